//! The adapter side of the loop: one shared inbox of [`AdapterEvent`]s, one outbox per
//! adapter, expiry timers for pending previews, and platform-retry deduplication.

use std::collections::{HashMap, HashSet, VecDeque};

use jiff::Timestamp;
use kubechat_chat::{AdapterEvent, CoreLink, Outbound, Outcome, Platform, ThreadRef};
use tokio::sync::{mpsc, watch};

use super::{App, Reply, Status, outcome};

type Outboxes = HashMap<Platform, mpsc::Sender<Outbound>>;

/// Runs until the inbox closes or `shutdown` flips to true. Each event is handled on its own
/// task, so a slow cluster call never blocks other conversations.
pub async fn run(
    app: App,
    mut events: mpsc::Receiver<AdapterEvent>,
    links: Vec<CoreLink>,
    mut shutdown: watch::Receiver<bool>,
) {
    let outboxes: Outboxes = links
        .into_iter()
        .map(|l| (l.platform, l.outbound))
        .collect();
    tokio::spawn(sweep_interrupted(app.clone(), outboxes.clone()));
    for (plan_id, at) in app.pending().await {
        schedule_expiry(&app, &outboxes, plan_id, at);
    }
    let mut seen = Seen::new(8192);
    loop {
        let event = tokio::select! {
            event = events.recv() => event,
            _ = shutdown.changed() => None,
        };
        let Some(event) = event else { break };
        if !seen.insert(event.event_id().to_string()) {
            tracing::debug!("dropped a duplicate platform event");
            continue;
        }
        let (app, outboxes) = (app.clone(), outboxes.clone());
        tokio::spawn(async move {
            let (thread, user, reply) = match event {
                AdapterEvent::Message(m) => {
                    let reply = app.handle_message(&m).await;
                    (m.thread, m.user, reply)
                }
                AdapterEvent::Decision(d) => {
                    let reply = app.decide(&d).await;
                    (d.thread, d.user, reply)
                }
                AdapterEvent::Undo(u) => {
                    let reply = app.undo(&u).await;
                    (u.thread, u.user, reply)
                }
            };
            if reply.status == Status::Preview
                && let (Some(id), Some(card)) = (&reply.plan_id, &reply.card)
            {
                schedule_expiry(&app, &outboxes, id.clone(), card.expires_at);
            }
            let replaced = superseded(&thread, &reply);
            send(&outboxes, to_outbound(thread, user, reply)).await;
            for message in replaced {
                send(&outboxes, message).await;
            }
        });
    }
}

/// Marks crashed executions interrupted (at start-up, then periodically) and tells their
/// threads; see `recover.rs`.
async fn sweep_interrupted(app: App, outboxes: Outboxes) {
    loop {
        for message in app.recover_interrupted(super::recover::STALE_INTENT).await {
            send(&outboxes, message).await;
        }
        tokio::time::sleep(super::recover::SWEEP_EVERY).await;
    }
}

fn schedule_expiry(app: &App, outboxes: &Outboxes, plan_id: String, at: Timestamp) {
    let (app, outboxes) = (app.clone(), outboxes.clone());
    tokio::spawn(async move {
        tokio::time::sleep_until(app.clock().deadline(at)).await;
        if let Some((thread, reply)) = app.expire(&plan_id).await {
            send(&outboxes, to_outbound(thread, String::new(), reply)).await;
        }
    });
}

async fn send(outboxes: &Outboxes, message: Outbound) {
    let platform = message.thread().platform;
    match outboxes.get(&platform) {
        Some(tx) => {
            if tx.send(message).await.is_err() {
                tracing::warn!(%platform, "adapter has stopped; reply dropped");
            }
        }
        None => tracing::warn!(%platform, "no adapter for platform; reply dropped"),
    }
}

/// Resolves the previews a new preview replaced.
fn superseded(thread: &ThreadRef, reply: &Reply) -> Vec<Outbound> {
    let by = reply.plan_id.clone().unwrap_or_default();
    reply
        .superseded
        .iter()
        .map(|old| Outbound::Resolve {
            thread: thread.clone(),
            plan_id: old.clone(),
            outcome: Outcome::Superseded,
            text: format!("Replaced by plan {by}; this preview can no longer be approved."),
            undoable: false,
        })
        .collect()
}

/// Chooses how an adapter shows a reply.
pub fn to_outbound(thread: ThreadRef, user: String, reply: Reply) -> Outbound {
    if reply.ephemeral {
        return Outbound::Ephemeral {
            thread,
            user,
            text: reply.reply,
        };
    }
    let plan_id = reply.plan_id.clone().unwrap_or_default();
    if let Some(outcome) = outcome(reply.status) {
        return Outbound::Resolve {
            thread,
            plan_id,
            outcome,
            text: reply.reply,
            undoable: reply.undoable,
        };
    }
    match (reply.status, reply.card) {
        (Status::Preview, Some(card)) => Outbound::Preview { thread, card },
        (Status::Approved, _) => Outbound::Progress {
            thread,
            plan_id,
            text: reply.reply,
        },
        _ => Outbound::Reply {
            thread,
            text: reply.reply,
        },
    }
}

/// A bounded set of recently seen event ids.
struct Seen {
    order: VecDeque<String>,
    set: HashSet<String>,
    cap: usize,
}

impl Seen {
    fn new(cap: usize) -> Self {
        Seen {
            order: VecDeque::new(),
            set: HashSet::new(),
            cap,
        }
    }

    /// False when `id` was seen recently.
    fn insert(&mut self, id: String) -> bool {
        if !self.set.insert(id.clone()) {
            return false;
        }
        self.order.push_back(id);
        if self.order.len() > self.cap
            && let Some(old) = self.order.pop_front()
        {
            self.set.remove(&old);
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seen_drops_repeats_and_forgets_the_oldest() {
        let mut s = Seen::new(2);
        assert!(s.insert("a".into()));
        assert!(!s.insert("a".into()));
        assert!(s.insert("b".into()));
        assert!(s.insert("c".into()));
        assert!(s.insert("a".into()), "a was forgotten");
    }
}
