//! Evaluation: a plan, a requester and the facts around them → a verdict, with a trace of why.
//!
//! Order, per action:
//! 1. rules, top to bottom: the first rule that matches decides. A rule that *might* match
//!    (its answer depends on namespace labels that could not be read) is noted and the walk
//!    goes on; the result is then the stricter of that rule and whatever decides after it, so
//!    an unreadable label never makes a request more lenient. No rule at all: refused.
//! 2. floors that no policy can lower: a write is never run without an approval (an `allow`
//!    rule on a write means the requester's own confirmation); windows in force add their
//!    refusal or extra approval; a destructive action in production (or possibly production)
//!    can never be approved by the requester.
//!
//! The plan's verdict is the strictest of its actions' verdicts (a refusal wins; approvals
//! add up as the maximum count, every approver-group constraint, the shortest TTL).

use std::collections::BTreeMap;
use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};

use super::cel::Condition;
use super::facts::{Facts, Labels, Tri};
use super::model::{Decision, Policy, Rule};
use super::windows::Effect;
use super::{Requirement, Verdict};
use crate::actions::{Plan, Risk};
use crate::config::ClusterConfig;
use crate::identity::Subject;

/// Everything policy needs to decide a plan.
#[derive(Clone, Copy, Debug)]
pub struct Request<'a> {
    pub plan: &'a Plan,
    pub requester: &'a Subject,
    pub cluster: &'a ClusterConfig,
    /// Labels of the namespaces the plan touches (only needed when the policy reads labels).
    pub labels: &'a BTreeMap<String, Labels>,
    pub now: Timestamp,
    /// The break-glass reason, when the request carries one.
    pub break_glass: Option<&'a str>,
    /// TTL for rules that set none (the config's `defaults.preview_ttl_minutes`).
    pub default_ttl: SignedDuration,
}

/// The verdict and how it was reached.
#[derive(Clone, Debug)]
pub struct Evaluation {
    pub verdict: Verdict,
    /// One trace per action, in plan order.
    pub actions: Vec<ActionTrace>,
    /// Conditions to check once the planned objects are known: (action index, condition,
    /// rule name).
    pub conditions: Vec<(usize, Arc<Condition>, String)>,
}

/// How one action was decided.
#[derive(Clone, Debug)]
pub struct ActionTrace {
    /// "delete deployments api in prod".
    pub action: String,
    pub rules: Vec<RuleTrace>,
    /// Floors and windows that changed the rule's verdict, in words.
    pub notes: Vec<String>,
    pub verdict: Verdict,
}

/// What one rule said about one action.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleTrace {
    pub rule: String,
    /// `policy.toml:12` or `built-in`.
    pub place: String,
    pub outcome: RuleOutcome,
}

/// Whether a rule applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RuleOutcome {
    Matched,
    /// Might match (unknown labels): its decision is combined with the next one's.
    Uncertain(String),
    Skipped(String),
}

/// Decides a plan.
pub fn evaluate(policy: &Policy, req: &Request<'_>) -> Evaluation {
    let mut verdict: Option<Verdict> = None;
    let mut actions = Vec::new();
    let mut conditions = Vec::new();
    for (i, action) in req.plan.actions.iter().enumerate() {
        let facts = Facts::of(
            action,
            req.cluster,
            req.labels,
            &policy.production_labels,
            req.requester,
            req.break_glass.is_some(),
        );
        let (v, trace, conds) = decide_action(policy, req, &facts, action.describe());
        conditions.extend(conds.into_iter().map(|(c, r)| (i, c, r)));
        verdict = Some(match verdict {
            None => v.clone(),
            Some(prev) => prev.stricter(v.clone()),
        });
        actions.push(trace);
    }
    let mut verdict = verdict.unwrap_or(Verdict::Allow);
    if let (Verdict::Approve(r), Some(why)) = (&mut verdict, req.break_glass) {
        r.break_glass = Some(why.to_string());
    }
    Evaluation {
        verdict,
        actions,
        conditions,
    }
}

type Conds = Vec<(Arc<Condition>, String)>;

fn decide_action(
    policy: &Policy,
    req: &Request<'_>,
    facts: &Facts<'_>,
    describe: String,
) -> (Verdict, ActionTrace, Conds) {
    let mut rules = Vec::new();
    let mut outcome: Option<Verdict> = None;
    let mut conds: Conds = Vec::new();
    let mut decided = false;
    for rule in &policy.rules {
        let m = rule.matcher.matches(facts);
        let trace = |outcome| RuleTrace {
            rule: rule.name.clone(),
            place: policy.place(rule.line),
            outcome,
        };
        match m {
            Tri::No(why) => {
                rules.push(trace(RuleOutcome::Skipped(why)));
                continue;
            }
            Tri::Yes => rules.push(trace(RuleOutcome::Matched)),
            Tri::Maybe(why) => rules.push(trace(RuleOutcome::Uncertain(why))),
        }
        let v = rule_verdict(rule, req.default_ttl);
        conds.extend(
            rule.conditions
                .iter()
                .map(|c| (c.clone(), rule.name.clone())),
        );
        outcome = Some(match outcome {
            None => v,
            Some(prev) => prev.stricter(v),
        });
        if rules
            .last()
            .is_some_and(|t| t.outcome == RuleOutcome::Matched)
        {
            decided = true;
            break;
        }
    }
    if !decided {
        let none = Verdict::Deny(format!(
            "no policy rule covers this ({} {} on cluster {}), so it is refused; ask a kubechat admin to add a rule (see docs/policy.md)",
            facts.verb,
            facts
                .namespace
                .as_deref()
                .map(|ns| format!("in namespace {ns}"))
                .unwrap_or_else(|| "cluster-wide".into()),
            facts.cluster.name
        ));
        outcome = Some(match outcome {
            None => none,
            Some(prev) => prev.stricter(none),
        });
    }
    let mut notes = Vec::new();
    let verdict = floors(
        policy,
        req,
        facts,
        outcome.unwrap_or(Verdict::Allow),
        &mut notes,
    );
    let trace = ActionTrace {
        action: describe,
        rules,
        notes,
        verdict: verdict.clone(),
    };
    (verdict, trace, conds)
}

fn rule_verdict(rule: &Rule, default_ttl: SignedDuration) -> Verdict {
    match &rule.decision {
        Decision::Allow => Verdict::Allow,
        Decision::Deny { reason } => {
            Verdict::Deny(format!("{reason} (policy rule `{}`)", rule.name))
        }
        Decision::Approve(a) => {
            let groups = if a.approvers.is_empty() {
                "any mapped user".to_string()
            } else {
                format!("members of {}", a.approvers.join(" or "))
            };
            Verdict::Approve(Requirement {
                approvals: a.approvals,
                requester_may_approve: a.requester_may_approve,
                ttl: a.ttl.unwrap_or(default_ttl),
                reason: a.reason.clone().unwrap_or_else(|| {
                    format!(
                        "policy rule `{}`: {} approval{} from {groups}",
                        rule.name,
                        a.approvals,
                        if a.approvals == 1 { "" } else { "s" }
                    )
                }),
                approver_groups: if a.approvers.is_empty() {
                    Vec::new()
                } else {
                    vec![a.approvers.clone()]
                },
                rules: vec![rule.name.clone()],
                ..Requirement::default()
            })
        }
    }
}

/// The parts of the decision no policy file can change.
fn floors(
    policy: &Policy,
    req: &Request<'_>,
    facts: &Facts<'_>,
    verdict: Verdict,
    notes: &mut Vec<String>,
) -> Verdict {
    if facts.risk == Risk::Read {
        return verdict;
    }
    let mut verdict = match verdict {
        Verdict::Allow => {
            notes.push("a write always needs an approval: the rule allows it, so the requester's own confirmation is enough".into());
            Verdict::Approve(Requirement {
                approvals: 1,
                requester_may_approve: true,
                ttl: req.default_ttl,
                reason: "writes need a confirmation".into(),
                ..Requirement::default()
            })
        }
        other => other,
    };
    for w in policy.windows.iter().filter(|w| w.active(req.now)) {
        if let Tri::No(_) = w.matcher.matches(facts) {
            continue;
        }
        let why = w.reason.clone().unwrap_or_default();
        let extra = match (w.effect, w.break_glass, req.break_glass) {
            (Effect::Deny, true, Some(_)) => {
                notes.push(format!("change window `{}` ({}) refuses this, but break-glass lifts it to {} extra approval(s)", w.name, w.describe(), w.extra_approvals));
                w.extra_approvals
            }
            (Effect::Deny, lift, _) => {
                let how = if lift {
                    " In an emergency, end the request with `break-glass: <reason>`."
                } else {
                    ""
                };
                let text = format!(
                    "Writes here are frozen by change window `{}` ({}){}.{how}",
                    w.name,
                    w.describe(),
                    if why.is_empty() {
                        String::new()
                    } else {
                        format!(": {why}")
                    }
                );
                notes.push(format!("change window `{}` is in force: refused", w.name));
                verdict = verdict.stricter(Verdict::Deny(text));
                continue;
            }
            (Effect::ExtraApproval, _, _) => {
                notes.push(format!(
                    "change window `{}` ({}) adds {} approval(s)",
                    w.name,
                    w.describe(),
                    w.extra_approvals
                ));
                w.extra_approvals
            }
        };
        if let Verdict::Approve(r) = &mut verdict {
            r.approvals += extra;
            r.windows.push(w.name.clone());
            r.reason
                .push_str(&format!("; change window `{}` (+{extra})", w.name));
        }
    }
    if let Verdict::Approve(r) = &mut verdict {
        r.production |= !matches!(facts.production, Tri::No(_));
        if let Tri::Maybe(why) = &facts.production {
            notes.push(why.clone());
        }
        if facts.risk == Risk::Destructive && r.production {
            if r.requester_may_approve {
                notes.push("destructive in production: the requester may never approve it, whatever the policy says".into());
            }
            r.requester_may_approve = false;
            r.approvals = r.approvals.max(1);
        }
    }
    verdict
}
