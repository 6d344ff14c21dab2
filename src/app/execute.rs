//! Running an approved plan: capture what it is about to change (refusing if the target moved
//! since the preview), intent first with that prior state (fail closed), then each action as
//! the requester with the approvers in Impersonate-Extra, then the result.
//!
//! The prior state goes into the `executing` entry (redacted: Secret data and env values never
//! reach the ledger), so `undo` can rebuild the inverse plan from the ledger alone.

use serde_json::json;

use super::{App, LEDGER_DOWN, Reply, Status, Trail};
use crate::approval::PlanState;
use crate::executor::{Captured, Impersonation};
use crate::ledger::EntryKind;
use crate::telemetry;

impl App {
    /// Runs an approved plan as the requester, approvers in Impersonate-Extra.
    pub(super) async fn execute(&self, state: &PlanState, trail: &mut Trail) -> Reply {
        let rec = &state.record;
        let plan = &rec.plan;
        let approvers: Vec<String> = state
            .approvals
            .iter()
            .map(|a| a.approver.subject.user.clone())
            .collect();
        let by: Vec<String> = state
            .approvals
            .iter()
            .map(|a| a.approver.chat_user.clone())
            .collect();
        let who = Impersonation {
            subject: rec.requester.subject.clone(),
            plan_id: state.plan_id.clone(),
            approvers,
        };
        let prior = match self.capture(state, &who).await {
            Ok(prior) => prior,
            Err(text) => return self.failed(state, trail, &by, text, Vec::new(), 0).await,
        };
        let intent = self.entry(
            EntryKind::Executing,
            "kubechat",
            Some((&state.plan_id, plan)),
            json!({"impersonated": who.subject, "extras": who.extras(), "approvers": who.approvers,
                   "prior": prior}),
        );
        if self.record(trail, intent).await.is_err() {
            return Reply::new(Status::Error, LEDGER_DOWN);
        }
        let started = tokio::time::Instant::now();
        let mut done = Vec::new();
        for (i, action) in plan.actions.iter().enumerate() {
            let version = rec.versions.get(i).and_then(|v| v.as_deref());
            match self
                .inner
                .executor
                .execute(&plan.cluster, &who, action, version)
                .await
            {
                Ok(text) => done.push(text),
                Err(e) => {
                    let ms = started.elapsed().as_millis();
                    return self
                        .failed(state, trail, &by, e.to_string(), done, ms)
                        .await;
                }
            }
        }
        let ms = started.elapsed().as_millis();
        let recorded = self
            .record(
                trail,
                self.entry(
                    EntryKind::Executed,
                    "kubechat",
                    Some((&state.plan_id, plan)),
                    json!({"results": done, "duration_ms": ms}),
                ),
            )
            .await;
        telemetry::inc(&self.inner.metrics.executions, &[("result", "executed")]);
        let mut text = format!("Approved by {}. {}", by.join(", "), done.join("\n"));
        if recorded.is_err() {
            text.push_str("\n(Warning: the result could not be written to the audit ledger; an operator has been alerted in kubechat's log.)");
        }
        let mut reply = Reply::new(Status::Executed, text);
        reply.undoable = crate::undo::inverse_plan(&state.plan_id, plan, &prior).is_ok();
        reply
    }

    /// The prior state of every action's target, as of now (it must still be the previewed
    /// version). An error means nothing ran.
    async fn capture(
        &self,
        state: &PlanState,
        who: &Impersonation,
    ) -> Result<Vec<Vec<Captured>>, String> {
        let plan = &state.record.plan;
        let mut prior = Vec::new();
        for (i, action) in plan.actions.iter().enumerate() {
            let version = state.record.versions.get(i).and_then(|v| v.as_deref());
            let captured = self
                .inner
                .executor
                .capture(&plan.cluster, who, action, version)
                .await
                .map_err(|e| e.to_string())?;
            prior.push(captured);
        }
        Ok(prior)
    }

    /// Records a failed execution and answers with what was already done.
    async fn failed(
        &self,
        state: &PlanState,
        trail: &mut Trail,
        by: &[String],
        text: String,
        done: Vec<String>,
        ms: u128,
    ) -> Reply {
        let plan = &state.record.plan;
        let _ = self
            .record(
                trail,
                self.entry(
                    EntryKind::Failed,
                    "kubechat",
                    Some((&state.plan_id, plan)),
                    json!({"error": text, "done": done, "duration_ms": ms}),
                ),
            )
            .await;
        telemetry::inc(&self.inner.metrics.executions, &[("result", "failed")]);
        let mut reply = format!("Approved by {}, but it failed: {text}", by.join(", "));
        if !done.is_empty() {
            reply.push_str(&format!(
                "\nAlready done before the failure:\n{}",
                done.join("\n")
            ));
        }
        Reply::new(Status::Failed, reply)
    }
}
