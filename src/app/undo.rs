//! `undo PLAN_ID` (a chat command, an Undo button, `kubechat undo`): the inverse of an
//! executed plan, built from the prior state captured in its `executing` entry, sent through
//! the same policy → preview → approval path as any request. The new plan names the one it
//! undoes (`source: undo`, `of`), so the ledger links the two.

use kubechat_chat::{Inbound, UndoRequest};
use serde_json::json;

use super::{App, Reply, Status, Trail, finish};
use crate::approval::{self, Stage};
use crate::executor::Captured;
use crate::identity;
use crate::ledger::{Entry, EntryKind};

impl App {
    /// Asks to undo an executed plan: answers with a preview of the inverse change (which
    /// needs approval like any other write), or says why it cannot be undone.
    pub async fn undo(&self, u: &UndoRequest) -> Reply {
        let mut trail = Trail { ids: Vec::new() };
        let actor = identity::actor(u.thread.platform, &u.user);
        let msg = Inbound {
            thread: u.thread.clone(),
            user: u.user.clone(),
            text: format!("undo {}", u.plan_id),
            event_id: u.event_id.clone(),
            email: u.email.clone(),
        };
        let logged = self
            .record(
                &mut trail,
                self.entry(
                    EntryKind::Message,
                    &actor,
                    None,
                    json!({"thread": msg.thread, "text": msg.text, "event_id": msg.event_id}),
                ),
            )
            .await
            .is_ok();
        let person =
            match self
                .inner
                .identities
                .resolve(u.thread.platform, &u.user, u.email.as_deref())
            {
                Ok(p) => p,
                Err(unknown) => return self.refuse_unknown(&actor, unknown, trail).await,
            };
        let plan = match self.inverse_of(&u.plan_id).await {
            Ok(plan) => plan,
            Err((status, text)) => {
                let _ = self
                    .record(
                        &mut trail,
                        self.entry(
                            EntryKind::Clarified,
                            &actor,
                            None,
                            json!({"reply": text, "undo_of": u.plan_id}),
                        ),
                    )
                    .await;
                let mut reply = Reply::new(status, text);
                reply.plan_id = Some(u.plan_id.clone());
                return finish(reply, trail);
            }
        };
        let mut reply = self
            .handle_plan(&msg, &person, plan, logged, None, &mut trail)
            .await;
        if reply.status == Status::Preview {
            reply.reply = format!("Undo of plan {}:\n{}", u.plan_id, reply.reply);
        }
        finish(reply, trail)
    }

    /// The inverse plan of executed plan `plan_id`, or the status and words saying why not.
    async fn inverse_of(&self, plan_id: &str) -> Result<crate::actions::Plan, (Status, String)> {
        let entries = self.inner.ledger.plan_entries(plan_id).await.map_err(|e| {
            tracing::error!(error = %e, "cannot read the ledger for an undo");
            (Status::Error, super::LEDGER_DOWN.to_string())
        })?;
        let Some(state) = approval::fold(plan_id, &entries) else {
            return Err((
                Status::Error,
                format!(
                    "There is no executed plan with id {plan_id}; `kubechat audit export` lists past plans."
                ),
            ));
        };
        if state.stage != Stage::Executed {
            let why = match state.stage {
                Stage::Failed => {
                    "failed, so it may have changed only part of what it planned; look at the cluster and ask for the change you want"
                }
                Stage::Interrupted => {
                    "was interrupted, so what it changed is not known; look at the cluster and ask for the change you want"
                }
                Stage::Executing | Stage::Approved => "is still running",
                _ => "never ran, so there is nothing to undo",
            };
            return Err((Status::Denied, format!("Plan {plan_id} {why}.")));
        }
        let prior = prior_state(&entries).ok_or_else(|| {
            (
                Status::Denied,
                format!("Plan {plan_id} ran before kubechat recorded prior state, so it cannot be undone; ask for the inverse change instead."),
            )
        })?;
        crate::undo::inverse_plan(plan_id, &state.record.plan, &prior).map_err(|why| {
            (
                Status::Denied,
                format!("Plan {plan_id} cannot be undone: {why}."),
            )
        })
    }
}

/// The prior state recorded in the plan's (last) `executing` entry.
fn prior_state(entries: &[Entry]) -> Option<Vec<Vec<Captured>>> {
    let intent = entries
        .iter()
        .rev()
        .find(|e| e.kind == EntryKind::Executing)?;
    serde_json::from_value(intent.payload.get("prior")?.clone()).ok()
}
