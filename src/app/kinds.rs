//! Custom resource kinds in a plan are qualified by API discovery before policy sees it
//! (`get wd` → `widgets.example.com`), so a policy rule about `widgets.example.com` cannot be
//! sidestepped with a short name, and the ledger records the kind really touched. Unknown and
//! ambiguous kinds are answered here, with suggestions or the choices.

use serde_json::json;

use super::{App, Reply, Status, Trail};
use crate::actions::Plan;
use crate::identity::Person;
use crate::ledger::EntryKind;

impl App {
    /// The plan with every custom kind qualified, or the answer to send instead.
    pub(super) async fn qualify_kinds(
        &self,
        mut plan: Plan,
        person: &Person,
        trail: &mut Trail,
    ) -> Result<Plan, Reply> {
        for action in &mut plan.actions {
            let Err(e) = self
                .inner
                .executor
                .canonicalize(&plan.cluster, action)
                .await
            else {
                continue;
            };
            tracing::info!(cluster = %plan.cluster, error = %e, "kind not resolved");
            let text = e.to_string();
            let _ = self
                .record(
                    trail,
                    self.entry(
                        EntryKind::Clarified,
                        &person.actor(),
                        None,
                        json!({"reply": text}),
                    ),
                )
                .await;
            let status = if e.is_kind_question() {
                Status::Clarify
            } else {
                Status::Error
            };
            return Err(Reply::new(status, text));
        }
        Ok(plan)
    }
}
