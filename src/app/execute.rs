//! Running an approved plan: intent first (fail closed), then each action as the requester
//! with the approvers in Impersonate-Extra, then the result.

use serde_json::json;

use super::{App, LEDGER_DOWN, Reply, Status, Trail};
use crate::approval::PlanState;
use crate::executor::Impersonation;
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
        let intent = self.entry(
            EntryKind::Executing,
            "kubechat",
            Some((&state.plan_id, plan)),
            json!({"impersonated": who.subject, "extras": who.extras(), "approvers": who.approvers}),
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
                    let text = e.to_string();
                    let ms = started.elapsed().as_millis();
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
                    return Reply::new(Status::Failed, reply);
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
        Reply::new(Status::Executed, text)
    }
}
