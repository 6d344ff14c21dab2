//! The approval state machine (pure): a plan's state is derived from its ledger entries.
//!
//! pending → approved (the Nth valid approval) → executing → executed | failed; or aborted |
//! expired | superseded (a newer plan in the same thread for the same target); an intent
//! without a result found after a crash is interrupted. Because the state is a fold over the
//! append-only ledger, a restart loses nothing and another process sees the same.
//!
//! Each approval is checked ([`step`]): the plan is still pending, the preview has not
//! expired, the approver saw the same plan hash, is in an allowed approver group, has not
//! approved already, and is not the requester when self-approval is forbidden — which it
//! always is for a destructive action in production, whatever the recorded requirement says
//! (the policy engine enforces that too; this is the second lock). Only approvals on the
//! previewed plan hash count, so a plan re-previewed under the same id starts from zero.
//! An abort comes from the requester or someone who could approve.

use jiff::Timestamp;
use kubechat_chat::{PreviewCard, ThreadRef, Verdict};
use serde::{Deserialize, Serialize};

use crate::actions::{Plan, Risk};
use crate::identity::Person;
use crate::ledger::{Entry, EntryKind};
use crate::policy::Requirement;

/// Everything recorded when a preview is posted; enough to execute later, in any process.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PreviewRecord {
    pub plan: Plan,
    pub plan_hash: String,
    pub thread: ThreadRef,
    pub requester: Person,
    pub requirement: Requirement,
    pub expires_at: Timestamp,
    /// resourceVersion of each action's target at preview time (same order as the actions).
    pub versions: Vec<Option<String>>,
    pub card: PreviewCard,
}

/// A valid approval.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalRecord {
    pub approver: Person,
    pub plan_hash: String,
    pub event_id: String,
}

/// Where a plan is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    Pending,
    /// Enough valid approvals; execution follows at once.
    Approved,
    Executing,
    Executed,
    Failed,
    Aborted,
    Expired,
    Interrupted,
    Superseded,
}

impl Stage {
    fn word(self) -> &'static str {
        match self {
            Stage::Pending => "pending",
            Stage::Approved => "already approved",
            Stage::Executing => "already running",
            Stage::Executed => "already executed",
            Stage::Failed => "already run (it failed)",
            Stage::Aborted => "aborted",
            Stage::Expired => "expired",
            Stage::Interrupted => "interrupted",
            Stage::Superseded => "superseded by a newer request in its thread",
        }
    }

    /// Still waiting for decisions (and so for expiry).
    pub fn is_open(self) -> bool {
        matches!(self, Stage::Pending | Stage::Approved)
    }
}

/// A plan's state.
#[derive(Clone, Debug, PartialEq)]
pub struct PlanState {
    pub plan_id: String,
    pub record: PreviewRecord,
    pub approvals: Vec<ApprovalRecord>,
    pub stage: Stage,
    /// Platform event ids already handled for this plan (decisions and refusals).
    pub event_ids: Vec<String>,
    /// The plan that superseded this one.
    pub superseded_by: Option<String>,
}

/// Folds a plan's entries (ascending) into its state; `None` when it was never previewed.
pub fn fold(plan_id: &str, entries: &[Entry]) -> Option<PlanState> {
    let mut state: Option<PlanState> = None;
    for e in entries {
        if e.kind == EntryKind::Previewed {
            let record: PreviewRecord = serde_json::from_value(e.payload.clone()).ok()?;
            // A re-preview starts over: earlier approvals were for what was shown before.
            let event_ids = state.take().map(|s| s.event_ids).unwrap_or_default();
            state = Some(PlanState {
                plan_id: plan_id.to_string(),
                record,
                approvals: Vec::new(),
                stage: Stage::Pending,
                event_ids,
                superseded_by: None,
            });
            continue;
        }
        let Some(s) = state.as_mut() else { continue };
        if let Some(id) = e.payload.get("event_id").and_then(|v| v.as_str()) {
            s.event_ids.push(id.to_string());
        }
        match e.kind {
            EntryKind::Approved => {
                if let Ok(a) = serde_json::from_value::<ApprovalRecord>(e.payload.clone()) {
                    s.approvals.push(a);
                }
                if s.stage == Stage::Pending && valid_approvals(s) >= s.record.requirement.approvals
                {
                    s.stage = Stage::Approved;
                }
            }
            EntryKind::Executing => s.stage = Stage::Executing,
            EntryKind::Executed => s.stage = Stage::Executed,
            EntryKind::Failed => s.stage = Stage::Failed,
            EntryKind::Aborted => s.stage = Stage::Aborted,
            EntryKind::Expired => s.stage = Stage::Expired,
            EntryKind::Interrupted => s.stage = Stage::Interrupted,
            EntryKind::Superseded => {
                s.stage = Stage::Superseded;
                s.superseded_by = e.payload["by"].as_str().map(str::to_string);
            }
            _ => {}
        }
    }
    state
}

/// Why a decision was refused; the text is shown to the person who tried.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("plan {0} is {1}; there is nothing to decide")]
    NotPending(String, &'static str),
    #[error(
        "plan {0} was replaced by plan {1} (a newer request in this thread for the same target); decide on {1} instead"
    )]
    Superseded(String, String),
    #[error("the preview of plan {0} expired at {1}; ask again for a fresh preview")]
    Expired(String, Timestamp),
    #[error("you asked for plan {0}, so you cannot approve it yourself: {1}")]
    SelfApproval(String, String),
    #[error("you have already approved plan {0}; it needs another person's approval")]
    AlreadyApproved(String),
    #[error("plan {0} changed since the preview you saw; look at the new preview before approving")]
    StaleHash(String),
    #[error(
        "plan {0} needs approval from {1}, and you are not one of them; ask one of them to approve"
    )]
    NotEligible(String, String),
    #[error("only {1} (who asked) or someone who may approve plan {0} can abort it")]
    MayNotAbort(String, String),
}

/// Where approvals stand after a valid one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Progress {
    /// This many more approvals are needed.
    NeedMore(u32),
    /// Enough approvals: run it.
    Ready,
}

/// What a valid decision does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// Record this approval; `Ready` means execute now.
    Approve(ApprovalRecord, Progress),
    /// Record the abort.
    Abort,
}

/// Checks a decision by `who` (who saw `plan_hash`, if the platform carries it) at `now`;
/// the one transition function of the state machine.
pub fn step(
    state: &PlanState,
    who: &Person,
    verdict: Verdict,
    plan_hash: Option<&str>,
    event_id: &str,
    now: Timestamp,
) -> Result<Step, Refusal> {
    match verdict {
        Verdict::Abort => check_abort(state, who, now).map(|()| Step::Abort),
        Verdict::Approve => check_approval(state, who, plan_hash, now).map(|p| {
            let record = ApprovalRecord {
                approver: who.clone(),
                plan_hash: state.record.plan_hash.clone(),
                event_id: event_id.to_string(),
            };
            Step::Approve(record, p)
        }),
    }
}

/// Checks an approval by `approver` who saw `plan_hash` (if the platform carries it) at `now`.
pub fn check_approval(
    state: &PlanState,
    approver: &Person,
    plan_hash: Option<&str>,
    now: Timestamp,
) -> Result<Progress, Refusal> {
    check_open(state, now)?;
    let id = &state.plan_id;
    if plan_hash.is_some_and(|h| h != state.record.plan_hash) {
        return Err(Refusal::StaleHash(id.clone()));
    }
    let req = &state.record.requirement;
    if self_approval_forbidden(&state.record) && same_person(approver, &state.record.requester) {
        return Err(Refusal::SelfApproval(id.clone(), req.reason.clone()));
    }
    if !req.eligible(&approver.subject) {
        return Err(Refusal::NotEligible(id.clone(), req.groups_text()));
    }
    if state
        .approvals
        .iter()
        .any(|a| same_person(&a.approver, approver))
    {
        return Err(Refusal::AlreadyApproved(id.clone()));
    }
    let have = valid_approvals(state) + 1;
    Ok(if have >= req.approvals {
        Progress::Ready
    } else {
        Progress::NeedMore(req.approvals - have)
    })
}

/// Checks an abort: the requester, or anyone who could approve the plan.
pub fn check_abort(state: &PlanState, who: &Person, now: Timestamp) -> Result<(), Refusal> {
    check_open(state, now)?;
    let rec = &state.record;
    if same_person(who, &rec.requester) || rec.requirement.eligible(&who.subject) {
        return Ok(());
    }
    Err(Refusal::MayNotAbort(
        state.plan_id.clone(),
        rec.requester.chat_user.clone(),
    ))
}

fn check_open(state: &PlanState, now: Timestamp) -> Result<(), Refusal> {
    if let (Stage::Superseded, Some(by)) = (state.stage, &state.superseded_by) {
        return Err(Refusal::Superseded(state.plan_id.clone(), by.clone()));
    }
    if state.stage != Stage::Pending {
        return Err(Refusal::NotPending(
            state.plan_id.clone(),
            state.stage.word(),
        ));
    }
    if now >= state.record.expires_at {
        return Err(Refusal::Expired(
            state.plan_id.clone(),
            state.record.expires_at,
        ));
    }
    Ok(())
}

/// The requester may not approve: the requirement says so, or — whatever it says — the plan
/// is destructive and touches production.
pub fn self_approval_forbidden(rec: &PreviewRecord) -> bool {
    forbids_self(&rec.requirement, &rec.plan)
}

/// [`self_approval_forbidden`] before the record exists.
pub fn forbids_self(req: &Requirement, plan: &Plan) -> bool {
    !req.requester_may_approve || (plan.risk() == Risk::Destructive && req.production)
}

/// Distinct approvals that count toward the requirement: on the previewed plan hash, from
/// eligible people, not the requester where forbidden.
pub fn valid_approvals(state: &PlanState) -> u32 {
    let rec = &state.record;
    let forbidden = self_approval_forbidden(rec);
    let mut people: Vec<&str> = state
        .approvals
        .iter()
        .filter(|a| a.plan_hash == rec.plan_hash)
        .filter(|a| rec.requirement.eligible(&a.approver.subject))
        .filter(|a| !forbidden || !same_person(&a.approver, &rec.requester))
        .map(|a| a.approver.subject.user.as_str())
        .collect();
    people.sort_unstable();
    people.dedup();
    u32::try_from(people.len()).unwrap_or(u32::MAX)
}

/// The same person, even when mapped on two platforms: compared by Kubernetes user.
fn same_person(a: &Person, b: &Person) -> bool {
    a.subject.user == b.subject.user
}

#[cfg(test)]
mod tests;
