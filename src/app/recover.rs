//! Start-up recovery: an "executing" intent without a result means kubechat stopped while
//! (or just before) calling the cluster. Such plans are marked interrupted — never re-run,
//! because the change may or may not have happened — and reported in their thread.
//!
//! Several replicas may share one ledger, and another replica's intent may be a call still in
//! flight: only intents older than [`STALE_INTENT`] (far longer than any API call kubechat
//! makes) count as interrupted. The sweep runs at start-up and every [`SWEEP_EVERY`].
//!
//! Invariant: [`App::recover_interrupted`] is idempotent. The interrupted entry is terminal,
//! so a second start finds nothing, and a decision on the plan is refused as not pending.

use kubechat_chat::{Outbound, Outcome};
use serde_json::json;

use super::{App, Trail};
use crate::approval;
use crate::ledger::EntryKind;

/// How old an intent without a result must be before it counts as interrupted.
pub const STALE_INTENT: jiff::SignedDuration = jiff::SignedDuration::from_mins(10);

/// How often the loop looks for interrupted executions.
pub const SWEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

/// Kinds that settle an execution intent.
const RESULTS: [EntryKind; 3] = [
    EntryKind::Executed,
    EntryKind::Failed,
    EntryKind::Interrupted,
];

impl App {
    /// Marks every intent without a result older than `older_than` as interrupted and
    /// returns the messages that tell each plan's thread. Ledger failures are logged; such
    /// plans stay unsettled (and still never run: their state is "executing") until the next
    /// sweep.
    pub async fn recover_interrupted(&self, older_than: jiff::SignedDuration) -> Vec<Outbound> {
        let cutoff = self.inner.clock.now() - older_than;
        let ids = match self
            .inner
            .ledger
            .plans_with_without(EntryKind::Executing, &RESULTS)
            .await
        {
            Ok(ids) => ids,
            Err(e) => {
                tracing::error!(error = %e, "cannot look for interrupted executions");
                return Vec::new();
            }
        };
        let mut out = Vec::new();
        for id in ids {
            let Ok(entries) = self.inner.ledger.plan_entries(&id).await else {
                continue;
            };
            let Some(state) = approval::fold(&id, &entries) else {
                continue;
            };
            let intent = entries
                .iter()
                .rev()
                .find(|e| e.kind == EntryKind::Executing);
            if intent.is_some_and(|e| e.time > cutoff) {
                continue; // maybe still running on another replica
            }
            let entry = self.entry(
                EntryKind::Interrupted,
                "kubechat",
                Some((&id, &state.record.plan)),
                json!({
                    "intent_seq": intent.map(|e| e.seq),
                    "reason": "kubechat stopped after recording the intent and before recording a result",
                }),
            );
            let mut trail = Trail { ids: Vec::new() };
            if self.record(&mut trail, entry).await.is_err() {
                continue;
            }
            tracing::warn!(plan_id = %id, "execution was interrupted by a restart; marked interrupted");
            out.push(Outbound::Resolve {
                thread: state.record.thread.clone(),
                plan_id: id.clone(),
                outcome: Outcome::Interrupted,
                text: format!(
                    "kubechat restarted while running plan {id}, so its result is unknown: the \
                     change may or may not have been applied. It will not be run again. Check the \
                     target (`{}`) and ask again if needed.",
                    state.record.plan.kubectl().join("; ")
                ),
                undoable: false,
            });
        }
        out
    }
}
