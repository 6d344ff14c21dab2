//! The approval state machine (pure): a plan's state is derived from its ledger entries.
//!
//! pending → (N valid approvals) → executing → executed | failed; or aborted | expired; an
//! intent without a result found after a crash is interrupted. Because the state is a fold
//! over the append-only ledger, a restart loses nothing and another process sees the same.
//!
//! Each approval is checked: the plan is still pending, the preview has not expired, the
//! approver saw the same plan hash, has not approved already, and is not the requester when
//! the requirement forbids self-approval.

use jiff::Timestamp;
use kubechat_chat::{PreviewCard, ThreadRef};
use serde::{Deserialize, Serialize};

use crate::actions::Plan;
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
    Executing,
    Executed,
    Failed,
    Aborted,
    Expired,
    Interrupted,
}

impl Stage {
    fn word(self) -> &'static str {
        match self {
            Stage::Pending => "pending",
            Stage::Executing => "already running",
            Stage::Executed => "already executed",
            Stage::Failed => "already run (it failed)",
            Stage::Aborted => "aborted",
            Stage::Expired => "expired",
            Stage::Interrupted => "interrupted",
        }
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
}

/// Folds a plan's entries (ascending) into its state; `None` when it was never previewed.
pub fn fold(plan_id: &str, entries: &[Entry]) -> Option<PlanState> {
    let mut state: Option<PlanState> = None;
    for e in entries {
        if e.kind == EntryKind::Previewed {
            let record: PreviewRecord = serde_json::from_value(e.payload.clone()).ok()?;
            state = Some(PlanState {
                plan_id: plan_id.to_string(),
                record,
                approvals: Vec::new(),
                stage: Stage::Pending,
                event_ids: Vec::new(),
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
            }
            EntryKind::Executing => s.stage = Stage::Executing,
            EntryKind::Executed => s.stage = Stage::Executed,
            EntryKind::Failed => s.stage = Stage::Failed,
            EntryKind::Aborted => s.stage = Stage::Aborted,
            EntryKind::Expired => s.stage = Stage::Expired,
            EntryKind::Interrupted => s.stage = Stage::Interrupted,
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
    #[error("the preview of plan {0} expired at {1}; ask again for a fresh preview")]
    Expired(String, Timestamp),
    #[error("you asked for plan {0}, so you cannot approve it yourself: {1}")]
    SelfApproval(String, String),
    #[error("you have already approved plan {0}; it needs another person's approval")]
    AlreadyApproved(String),
    #[error("plan {0} changed since the preview you saw; look at the new preview before approving")]
    StaleHash(String),
}

/// Where approvals stand after a valid one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Progress {
    /// This many more approvals are needed.
    NeedMore(u32),
    /// Enough approvals: run it.
    Ready,
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
    if !req.requester_may_approve && same_person(approver, &state.record.requester) {
        return Err(Refusal::SelfApproval(id.clone(), req.reason.clone()));
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

/// Checks an abort: anyone mapped may abort a pending plan (the requester or a reviewer).
pub fn check_abort(state: &PlanState, now: Timestamp) -> Result<(), Refusal> {
    check_open(state, now)
}

fn check_open(state: &PlanState, now: Timestamp) -> Result<(), Refusal> {
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

/// Distinct approvals that count toward the requirement.
pub fn valid_approvals(state: &PlanState) -> u32 {
    let req = &state.record.requirement;
    let mut people: Vec<&str> = state
        .approvals
        .iter()
        .filter(|a| a.plan_hash == state.record.plan_hash)
        .filter(|a| req.requester_may_approve || !same_person(&a.approver, &state.record.requester))
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
