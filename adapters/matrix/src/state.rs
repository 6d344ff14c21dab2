//! What the adapter remembers between events (in memory, pure): the event ids it has seen,
//! the threads it answers in, the previews it posted (so a reaction or a typed `approve` finds
//! its plan, and a settled plan finds the preview to edit), and the last undoable plan of each
//! thread.
//!
//! Written by the inbound handlers (seen, answered) and the renderer (previews, undoable); read
//! by both. Lost on restart by design: after a restart, reactions still find their plan through
//! the preview's own content (`org.kubechat.plan`), and old messages are never replayed.

use std::collections::{HashMap, HashSet, VecDeque};

use kubechat_chat::{PreviewCard, ThreadRef};

/// A bounded set of recently seen event ids: the homeserver may deliver an event twice
/// (retried syncs, a resumed connection); one event must make one request or decision.
#[derive(Debug)]
pub struct Seen {
    order: VecDeque<String>,
    set: HashSet<String>,
    cap: usize,
}

impl Seen {
    /// Remembers up to `cap` ids.
    pub fn new(cap: usize) -> Self {
        Seen {
            order: VecDeque::new(),
            set: HashSet::new(),
            cap,
        }
    }

    /// `true` the first time an id is offered.
    pub fn first(&mut self, id: &str) -> bool {
        if self.set.contains(id) {
            return false;
        }
        if self.order.len() == self.cap
            && let Some(old) = self.order.pop_front()
        {
            self.set.remove(&old);
        }
        self.order.push_back(id.to_string());
        self.set.insert(id.to_string());
        true
    }
}

/// A preview kubechat posted and has not seen settled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Posted {
    pub thread: ThreadRef,
    /// The preview's event id.
    pub event_id: String,
    pub card: PreviewCard,
}

/// Threads, previews and plans.
#[derive(Debug, Default)]
pub struct Threads {
    /// Threads kubechat answers in: follow-ups there need no prefix.
    answered: HashSet<ThreadRef>,
    /// Pending previews by plan id.
    previews: HashMap<String, Posted>,
    /// Plan id by preview event id.
    by_event: HashMap<String, String>,
    /// The newest undoable plan of each thread.
    undoable: HashMap<ThreadRef, String>,
}

impl Threads {
    pub fn mark_answered(&mut self, thread: &ThreadRef) {
        self.answered.insert(thread.clone());
    }

    pub fn is_answered(&self, thread: &ThreadRef) -> bool {
        self.answered.contains(thread)
    }

    /// Records a posted preview.
    pub fn posted(&mut self, p: Posted) {
        self.answered.insert(p.thread.clone());
        self.by_event
            .insert(p.event_id.clone(), p.card.plan_id.clone());
        self.previews.insert(p.card.plan_id.clone(), p);
    }

    /// The pending preview a reaction targets.
    pub fn by_event(&self, event_id: &str) -> Option<&Posted> {
        self.previews.get(self.by_event.get(event_id)?)
    }

    /// The newest pending preview in a thread (what a typed `approve` means).
    pub fn pending_in(&self, thread: &ThreadRef) -> Vec<&Posted> {
        let mut out: Vec<&Posted> = self
            .previews
            .values()
            .filter(|p| &p.thread == thread)
            .collect();
        out.sort_by(|a, b| a.card.plan_id.cmp(&b.card.plan_id));
        out
    }

    /// A plan settled: forget its preview and return it (to edit it).
    pub fn settle(&mut self, plan_id: &str) -> Option<Posted> {
        let p = self.previews.remove(plan_id)?;
        self.by_event.remove(&p.event_id);
        Some(p)
    }

    /// Progress may update the preview; it stays pending.
    pub fn preview(&self, plan_id: &str) -> Option<&Posted> {
        self.previews.get(plan_id)
    }

    pub fn set_undoable(&mut self, thread: &ThreadRef, plan_id: &str) {
        self.undoable.insert(thread.clone(), plan_id.to_string());
    }

    pub fn undoable(&self, thread: &ThreadRef) -> Option<&str> {
        self.undoable.get(thread).map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use kubechat_chat::{Platform, Risk};

    use super::*;

    fn thread(t: &str) -> ThreadRef {
        ThreadRef {
            platform: Platform::Matrix,
            channel: "!room".into(),
            thread: t.into(),
        }
    }

    fn posted(t: &str, event: &str, plan: &str) -> Posted {
        Posted {
            thread: thread(t),
            event_id: event.into(),
            card: PreviewCard {
                plan_id: plan.into(),
                plan_hash: format!("hash-{plan}"),
                summary: String::new(),
                risk: Risk::Write,
                cluster: "c".into(),
                kubectl: vec![],
                checks: vec![],
                diff: String::new(),
                approvers: String::new(),
                approvals_needed: 1,
                expires_at: jiff::Timestamp::UNIX_EPOCH,
            },
        }
    }

    #[test]
    fn seen_ids_are_refused_and_the_oldest_are_forgotten() {
        let mut seen = Seen::new(2);
        assert!(seen.first("$a"));
        assert!(!seen.first("$a"), "a redelivered event is dropped");
        assert!(seen.first("$b"));
        assert!(seen.first("$c"));
        assert!(seen.first("$a"), "forgotten once the set is full");
    }

    #[test]
    fn reactions_find_pending_previews_until_they_settle() {
        let mut t = Threads::default();
        t.posted(posted("$root", "$preview", "kc-1"));
        assert!(t.is_answered(&thread("$root")));
        assert_eq!(
            t.by_event("$preview").map(|p| p.card.plan_id.as_str()),
            Some("kc-1")
        );
        assert_eq!(t.pending_in(&thread("$root")).len(), 1);
        assert!(t.pending_in(&thread("$other")).is_empty());
        let settled = t.settle("kc-1").expect("pending");
        assert_eq!(settled.event_id, "$preview");
        assert!(
            t.by_event("$preview").is_none(),
            "a settled preview takes no decisions"
        );
        assert!(t.settle("kc-1").is_none());
    }

    #[test]
    fn the_last_undoable_plan_of_a_thread_is_remembered() {
        let mut t = Threads::default();
        t.set_undoable(&thread("$root"), "kc-1");
        t.set_undoable(&thread("$root"), "kc-2");
        assert_eq!(t.undoable(&thread("$root")), Some("kc-2"));
        assert_eq!(t.undoable(&thread("$x")), None);
    }
}
