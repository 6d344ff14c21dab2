//! Policy questions in chat: "who can approve this?" in a preview's thread, and "explain
//! policy for <request>". Answered from the same evaluation the request path uses, as the
//! person asking (their identity, their label reads), and recorded as an answered read.

use std::sync::LazyLock;

use kubechat_chat::Inbound;
use regex::Regex;
use serde_json::json;

use super::{App, Reply, Status, Trail};
use crate::approval::{self, PlanState};
use crate::identity::Person;
use crate::ledger::EntryKind;
use crate::planner::Planned;
use crate::policy::Requirement;
use crate::policy::explain::{self, Candidate};

/// A policy question.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Question {
    /// Who may approve the pending plan (this thread's newest, or the one named).
    WhoMayApprove(Option<String>),
    /// Explain how policy decides this request.
    Explain(String),
    /// Explain in plain words what the pending plan (this thread's newest, or the one named)
    /// will do.
    ExplainPlan(Option<String>),
}

static WHO: LazyLock<Regex> = LazyLock::new(|| {
    // Constant pattern: cannot fail (exercised by the tests below).
    #[allow(clippy::unwrap_used)]
    Regex::new(r"(?i)^\s*(?:who\s+(?:can|may|could|should)\s+approve|who\s+approves|why\s+does\s+(?:this|it)\s+need\s+approval)\b\s*(?:this|it)?\s*(kc-[0-9a-f]+)?\s*\??\s*$").unwrap()
});

static EXPLAIN_PLAN: LazyLock<Regex> = LazyLock::new(|| {
    // Constant pattern: cannot fail (exercised by the tests below).
    #[allow(clippy::unwrap_used)]
    Regex::new(r"(?i)^\s*(?:explain|what\s+(?:will|would|does)\s+(?:this|it|the\s+plan)\s+do)\s*(?:this|it|the\s+plan|this\s+plan|plan)?\s*(kc-[0-9a-f]+)?\s*(?:\bdo\b)?\s*\??\s*$").unwrap()
});

static EXPLAIN: LazyLock<Regex> = LazyLock::new(|| {
    // Constant pattern: cannot fail (exercised by the tests below).
    #[allow(clippy::unwrap_used)]
    Regex::new(r"(?is)^\s*(?:explain\s+(?:the\s+)?policy|policy\s+explain)(?:\s+(?:for|of|on)\b|\s*:)?\s*(.*?)\s*\??\s*$").unwrap()
});

/// Recognises a policy question.
pub fn question(text: &str) -> Option<Question> {
    if let Some(c) = WHO.captures(text) {
        return Some(Question::WhoMayApprove(
            c.get(1).map(|m| m.as_str().to_string()),
        ));
    }
    if let Some(c) = EXPLAIN_PLAN.captures(text) {
        return Some(Question::ExplainPlan(
            c.get(1).map(|m| m.as_str().to_string()),
        ));
    }
    let c = EXPLAIN.captures(text)?;
    let rest = c.get(1).map_or("", |m| m.as_str());
    Some(if rest.is_empty() {
        Question::WhoMayApprove(None)
    } else {
        Question::Explain(rest.to_string())
    })
}

impl App {
    /// Answers a policy question.
    pub(super) async fn answer_question(
        &self,
        msg: &Inbound,
        person: &Person,
        q: Question,
        trail: &mut Trail,
    ) -> Reply {
        let reply = match q {
            Question::WhoMayApprove(id) => self.who_may_approve(msg, id).await,
            Question::Explain(text) => self.explain(msg, person, &text).await,
            Question::ExplainPlan(id) => self.explain_plan(msg, id).await,
        };
        let _ = self
            .record(
                trail,
                self.entry(
                    EntryKind::Answered,
                    &person.actor(),
                    None,
                    json!({"policy_question": true, "bytes": reply.reply.len()}),
                ),
            )
            .await;
        reply
    }

    async fn who_may_approve(&self, msg: &Inbound, id: Option<String>) -> Reply {
        let state = match id {
            Some(id) => self.plan_state(&id).await,
            None => self.newest_open_in_thread(msg).await,
        };
        let Some(s) = state else {
            return Reply::new(
                Status::Answered,
                "There is no pending preview in this thread. To see who could approve a request, ask `explain policy for <request>`.",
            );
        };
        let req = &s.record.requirement;
        let who = self.approver_line(req, &s.record.plan, &s.record.requester);
        let so_far: Vec<&str> = s
            .approvals
            .iter()
            .map(|a| a.approver.chat_user.as_str())
            .collect();
        let mut text = format!(
            "Plan {} ({}) is {:?}: {who}.\nApproved so far: {} ({} of {}). Preview expires at {}.",
            s.plan_id,
            s.record.plan.describe(),
            s.stage,
            if so_far.is_empty() {
                "nobody".to_string()
            } else {
                so_far.join(", ")
            },
            approval::valid_approvals(&s),
            req.approvals,
            s.record.expires_at
        );
        if !req.rules.is_empty() {
            text.push_str(&format!(
                "\nDecided by policy rule(s): {}.",
                req.rules.join(", ")
            ));
        }
        if let Some(why) = &req.break_glass {
            text.push_str(&format!("\nBreak-glass: {why}"));
        }
        let mut r = Reply::new(Status::Answered, text);
        r.plan_id = Some(s.plan_id.clone());
        r
    }

    /// What a pending plan will do, in plain words: the actions, risk, kubectl lines and what
    /// it still needs; with a model configured, its plain-language explanation first.
    async fn explain_plan(&self, msg: &Inbound, id: Option<String>) -> Reply {
        let state = match id {
            Some(id) => self.plan_state(&id).await,
            None => self.newest_open_in_thread(msg).await,
        };
        let Some(s) = state else {
            return Reply::new(
                Status::Answered,
                "There is no pending preview in this thread to explain. Name one: `explain kc-…`.",
            );
        };
        let plan = &s.record.plan;
        #[cfg_attr(not(feature = "llm"), allow(unused_mut))]
        let mut text = format!(
            "Plan {} will {} on cluster {} ({} risk).\nIt runs as {} once it has {} approval(s), and expires at {}.\nkubectl equivalent:\n{}",
            s.plan_id,
            plan.describe(),
            plan.cluster,
            plan.risk(),
            s.record.requester.subject.user,
            s.record.requirement.approvals,
            s.record.expires_at,
            plan.kubectl().join("\n")
        );
        #[cfg(feature = "llm")]
        if let Some(words) = self.llm_explain(plan).await {
            text = format!("{words}\n\n{text}");
        }
        let mut r = Reply::new(Status::Answered, text);
        r.plan_id = Some(s.plan_id.clone());
        r
    }

    async fn explain(&self, msg: &Inbound, person: &Person, text: &str) -> Reply {
        let (text, bg) = crate::policy::breakglass::split(text);
        let plan = match self.plan_in(&msg.thread, &text, None) {
            Planned::Plan(p) => p,
            Planned::Clarify(t) | Planned::NotUnderstood(t) | Planned::Help(t) => {
                return Reply::new(Status::Clarify, t);
            }
        };
        let Some(cluster_cfg) = self.inner.config.cluster(&plan.cluster) else {
            return Reply::new(
                Status::Error,
                format!("I have no cluster called {:?}.", plan.cluster),
            );
        };
        let labels = self.labels_for(person, "explain", &plan).await;
        let policy = self.policy();
        let break_glass = match &bg {
            crate::policy::breakglass::BreakGlass::Reason(r) => Some(r.as_str()),
            _ => None,
        };
        let req = crate::policy::Request {
            plan: &plan,
            requester: &person.subject,
            cluster: cluster_cfg,
            labels: &labels,
            now: self.inner.clock.now(),
            break_glass,
            default_ttl: self.default_ttl(),
        };
        let people = self.inner.identities.people();
        let people: Vec<Candidate<'_>> = people
            .iter()
            .map(|(name, subject)| Candidate { name, subject })
            .collect();
        let text = explain::explain(&policy, &req, &person.chat_user, &people);
        Reply::new(Status::Answered, text)
    }

    /// "needs 2 approvals from members of sre other than bob — may approve: carol, dave".
    pub(super) fn approver_line(
        &self,
        req: &Requirement,
        plan: &crate::actions::Plan,
        requester: &Person,
    ) -> String {
        let people = self.inner.identities.people();
        let people: Vec<Candidate<'_>> = people
            .iter()
            .map(|(name, subject)| Candidate { name, subject })
            .collect();
        let mut req = req.clone();
        if approval::forbids_self(&req, plan) {
            req.requester_may_approve = false;
        }
        let found = explain::candidates(&req, &people, &requester.subject);
        explain::who_may_approve(&req, &requester.chat_user, &found)
    }

    async fn plan_state(&self, id: &str) -> Option<PlanState> {
        let entries = self.inner.ledger.plan_entries(id).await.ok()?;
        approval::fold(id, &entries)
    }

    async fn newest_open_in_thread(&self, msg: &Inbound) -> Option<PlanState> {
        let open = self.inner.ledger.open_plans().await.ok()?;
        for id in open.iter().rev() {
            if let Some(s) = self.plan_state(id).await
                && s.stage.is_open()
                && s.record.thread == msg.thread
            {
                return Some(s);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_questions_are_recognised() {
        for (text, want) in [
            ("who can approve this?", Some(Question::WhoMayApprove(None))),
            ("Who may approve it", Some(Question::WhoMayApprove(None))),
            (
                "who can approve kc-1a2b3c4d5e?",
                Some(Question::WhoMayApprove(Some("kc-1a2b3c4d5e".into()))),
            ),
            (
                "why does this need approval?",
                Some(Question::WhoMayApprove(None)),
            ),
            ("explain policy", Some(Question::WhoMayApprove(None))),
            (
                "explain policy for delete deployment api in prod",
                Some(Question::Explain("delete deployment api in prod".into())),
            ),
            (
                "explain the policy: scale web to 3?",
                Some(Question::Explain("scale web to 3".into())),
            ),
            ("explain this", Some(Question::ExplainPlan(None))),
            ("what will this do?", Some(Question::ExplainPlan(None))),
            (
                "explain kc-1a2b3c4d5e",
                Some(Question::ExplainPlan(Some("kc-1a2b3c4d5e".into()))),
            ),
            ("scale web to 3", None),
            (
                "who can approve deployments in prod for me and my team today",
                None,
            ),
        ] {
            assert_eq!(question(text), want, "{text:?}");
        }
    }
}
