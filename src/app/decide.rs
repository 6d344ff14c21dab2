//! Approve / Abort on a pending plan, and expiry: every decision is checked against the
//! plan's state as folded from the ledger, and every refusal is recorded.

use jiff::Timestamp;
use kubechat_chat::{Decision, ThreadRef, Verdict};
use serde_json::json;

use super::{App, LEDGER_DOWN, Reply, Status, Trail, finish, with_state};
use crate::approval::{self, ApprovalRecord, PlanState, Progress, Step};
use crate::identity::{self, Person};
use crate::ledger::{EntryKind, NewEntry};
use crate::telemetry;

impl App {
    /// Handles Approve / Abort on a pending plan.
    pub async fn decide(&self, d: &Decision) -> Reply {
        let mut trail = Trail { ids: Vec::new() };
        let actor = identity::actor(d.thread.platform, &d.user);
        let verdict = match d.verdict {
            Verdict::Approve => "approve",
            Verdict::Abort => "abort",
        };
        let lock = self.plan_lock(&d.plan_id);
        let _guard = lock.lock().await;
        let entries = match self.inner.ledger.plan_entries(&d.plan_id).await {
            Ok(e) => e,
            Err(e) => {
                tracing::error!(error = %e, "cannot read the ledger for a decision");
                return finish(Reply::new(Status::Error, LEDGER_DOWN), trail);
            }
        };
        let Some(state) = approval::fold(&d.plan_id, &entries) else {
            let mut r = Reply::new(
                Status::Error,
                format!("There is no preview with plan id {}.", d.plan_id),
            );
            r.ephemeral = true;
            return finish(r, trail);
        };
        let plan = &state.record.plan;
        let refuse = |this: &App, reason: String| {
            this.entry(
                EntryKind::Refused,
                &actor,
                Some((&d.plan_id, plan)),
                json!({"verdict": verdict, "reason": reason, "event_id": d.event_id}),
            )
        };
        if state.event_ids.iter().any(|id| id == &d.event_id) {
            let mut r = Reply::new(Status::Denied, "This decision was already recorded.");
            r.ephemeral = true;
            return finish(with_state(r, &state), trail);
        }
        let person =
            match self
                .inner
                .identities
                .resolve(d.thread.platform, &d.user, d.email.as_deref())
            {
                Ok(p) => p,
                Err(unknown) => {
                    let entry = refuse(self, unknown.to_string());
                    return self.refused(entry, verdict, &state, trail).await;
                }
            };
        let now = self.inner.clock.now();
        let hash = d.plan_hash.as_deref();
        let step = match approval::step(&state, &person, d.verdict, hash, &d.event_id, now) {
            Ok(step) => step,
            Err(refusal) => {
                let entry = refuse(self, refusal.to_string());
                return self.refused(entry, verdict, &state, trail).await;
            }
        };
        self.count_decision(verdict, "accepted");
        let reply = match step {
            Step::Abort => self.abort(&state, &person, &d.event_id, &mut trail).await,
            Step::Approve(approval, progress) => {
                self.approve(state.clone(), &person, approval, progress, &mut trail)
                    .await
            }
        };
        finish(with_state(reply, &state), trail)
    }

    async fn abort(
        &self,
        state: &PlanState,
        person: &Person,
        event_id: &str,
        trail: &mut Trail,
    ) -> Reply {
        let plan = &state.record.plan;
        let entry = self.entry(
            EntryKind::Aborted,
            &person.actor(),
            Some((&state.plan_id, plan)),
            json!({"by": person.actor(), "event_id": event_id}),
        );
        if self.record(trail, entry).await.is_err() {
            return Reply::new(Status::Error, LEDGER_DOWN);
        }
        Reply::new(
            Status::Aborted,
            format!("Aborted by {}. Nothing was changed.", person.chat_user),
        )
    }

    async fn approve(
        &self,
        mut state: PlanState,
        person: &Person,
        approval: ApprovalRecord,
        progress: Progress,
        trail: &mut Trail,
    ) -> Reply {
        let entry = self.entry(
            EntryKind::Approved,
            &person.actor(),
            Some((&state.plan_id, &state.record.plan)),
            serde_json::to_value(&approval).unwrap_or_default(),
        );
        if self.record(trail, entry).await.is_err() {
            return Reply::new(Status::Error, LEDGER_DOWN);
        }
        state.approvals.push(approval);
        match progress {
            Progress::NeedMore(n) => Reply::new(
                Status::Approved,
                format!(
                    "Approved by {}; {n} more approval{} needed.",
                    person.chat_user,
                    if n == 1 { "" } else { "s" }
                ),
            ),
            Progress::Ready => self.execute(&state, trail).await,
        }
    }

    /// Expires a pending plan whose preview has run out. `None` if it is no longer pending or
    /// not yet due.
    pub async fn expire(&self, plan_id: &str) -> Option<(ThreadRef, Reply)> {
        let lock = self.plan_lock(plan_id);
        let _guard = lock.lock().await;
        let entries = self.inner.ledger.plan_entries(plan_id).await.ok()?;
        let state = approval::fold(plan_id, &entries)?;
        if !state.stage.is_open() || self.inner.clock.now() < state.record.expires_at {
            return None;
        }
        let mut trail = Trail { ids: Vec::new() };
        let entry = self.entry(
            EntryKind::Expired,
            "kubechat",
            Some((plan_id, &state.record.plan)),
            json!({"expires_at": state.record.expires_at}),
        );
        self.record(&mut trail, entry).await.ok()?;
        let reply = Reply::new(
            Status::Expired,
            format!(
                "Expired: plan {plan_id} got {} of {} approvals before {}. Nothing was changed; ask again for a fresh preview.",
                approval::valid_approvals(&state),
                state.record.requirement.approvals,
                state.record.expires_at
            ),
        );
        Some((
            state.record.thread.clone(),
            finish(with_state(reply, &state), trail),
        ))
    }

    /// Plans still waiting for decisions, with their expiry (for timers after a restart).
    pub async fn pending(&self) -> Vec<(String, Timestamp)> {
        let Ok(ids) = self.inner.ledger.open_plans().await else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for id in ids {
            if let Ok(entries) = self.inner.ledger.plan_entries(&id).await
                && let Some(s) = approval::fold(&id, &entries)
                && s.stage.is_open()
            {
                out.push((id, s.record.expires_at));
            }
        }
        out
    }

    /// Records a refused decision and answers only the person who tried.
    async fn refused(
        &self,
        entry: NewEntry,
        verdict: &str,
        state: &PlanState,
        mut trail: Trail,
    ) -> Reply {
        let text = entry.payload["reason"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let _ = self.record(&mut trail, entry).await;
        self.count_decision(verdict, "refused");
        let mut r = Reply::new(Status::Denied, text);
        r.ephemeral = true;
        finish(with_state(r, state), trail)
    }

    fn count_decision(&self, verdict: &str, result: &str) {
        telemetry::inc(
            &self.inner.metrics.decisions,
            &[("verdict", verdict), ("result", result)],
        );
    }
}
