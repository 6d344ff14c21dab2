//! `kubechat policy test FILE`: a table of cases (TOML) that operators run in CI to pin down
//! what their policy decides. Each case is a request in chat words, who asks, when, and the
//! expected outcome; the request is planned by the rule planner, so the cases read like chat.
//!
//! ```toml
//! [[cases]]
//! name = "bob may not delete in prod alone"
//! request = "delete deployment api in prod"
//! user = "bob@example.com"
//! groups = ["sre"]
//! at = "2026-11-18T10:00:00Z"
//! expect = { decision = "approve", approvals = 1, requester_may_approve = false }
//! ```

use std::collections::BTreeMap;

use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;

use super::explain::{Candidate, candidates};
use super::{Labels, Policy, Request, Verdict, evaluate};
use crate::config::Config;
use crate::identity::Subject;
use crate::planner::{self, PlanContext, Planned};

/// A case file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseFile {
    pub cases: Vec<Case>,
}

/// One case.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    pub name: String,
    /// The request as typed in chat.
    pub request: String,
    /// The requester's Kubernetes user and groups.
    pub user: String,
    #[serde(default)]
    pub groups: Vec<String>,
    /// Cluster and namespace the request is made in (a channel's context); default: the
    /// config's defaults.
    pub cluster: Option<String>,
    pub namespace: Option<String>,
    /// Namespace labels as the cluster would answer (namespace → labels).
    #[serde(default)]
    pub labels: BTreeMap<String, BTreeMap<String, String>>,
    /// Namespaces whose labels cannot be read (the stricter outcome must apply).
    #[serde(default)]
    pub unreadable_labels: Vec<String>,
    /// When it is asked (RFC 3339); default: now.
    pub at: Option<Timestamp>,
    pub break_glass: Option<String>,
    pub expect: Expect,
}

/// What the case expects; unset fields are not checked.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// `allow`, `deny` or `approve`.
    pub decision: String,
    pub approvals: Option<u32>,
    pub requester_may_approve: Option<bool>,
    /// Rules that decided (every one listed must be among them).
    #[serde(default)]
    pub rules: Vec<String>,
    /// Text the refusal or requirement reason must contain.
    pub reason_contains: Option<String>,
    /// Mapped chat users (from the config's identities) who must be able to approve.
    #[serde(default)]
    pub approvers_include: Vec<String>,
    /// Mapped chat users who must not be able to approve.
    #[serde(default)]
    pub approvers_exclude: Vec<String>,
}

/// How one case went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub name: String,
    /// Empty when the case passed.
    pub problems: Vec<String>,
    /// What policy decided, in one line.
    pub got: String,
}

/// Parses a case file.
pub fn parse(text: &str) -> Result<CaseFile, String> {
    toml::from_str(text).map_err(|e| e.to_string())
}

/// Runs every case against `policy` with the clusters and identities of `config`.
pub fn run(policy: &Policy, config: &Config, file: &CaseFile) -> Vec<Outcome> {
    file.cases
        .iter()
        .map(|c| run_case(policy, config, c))
        .collect()
}

fn run_case(policy: &Policy, config: &Config, case: &Case) -> Outcome {
    let fail = |problem: String| Outcome {
        name: case.name.clone(),
        problems: vec![problem],
        got: String::new(),
    };
    let cluster = case
        .cluster
        .as_deref()
        .map_or(config.default_cluster(), |c| {
            config.cluster(c).unwrap_or(config.default_cluster())
        });
    if let Some(c) = &case.cluster
        && config.cluster(c).is_none()
    {
        return fail(format!("cluster {c:?} is not in the config"));
    }
    let namespace = case
        .namespace
        .clone()
        .or_else(|| config.defaults.namespace.clone())
        .unwrap_or_else(|| cluster.default_namespace.clone());
    let clusters: Vec<String> = config.clusters.iter().map(|c| c.name.clone()).collect();
    let ctx = PlanContext {
        cluster: &cluster.name,
        namespace: &namespace,
        clusters: &clusters,
        last_target: None,
    };
    let plan = match planner::plan(&case.request, &ctx) {
        Planned::Plan(p) => p,
        other => return fail(format!("the request does not plan: {other:?}")),
    };
    let Some(plan_cluster) = config.cluster(&plan.cluster) else {
        return fail(format!(
            "the plan targets unknown cluster {:?}",
            plan.cluster
        ));
    };
    let mut labels: BTreeMap<String, Labels> = case
        .labels
        .iter()
        .map(|(ns, l)| (ns.clone(), Labels::Known(l.clone())))
        .collect();
    for ns in &case.unreadable_labels {
        labels.insert(
            ns.clone(),
            Labels::Unknown("unreadable in this test case".into()),
        );
    }
    for ns in plan.namespaces() {
        labels
            .entry(ns.to_string())
            .or_insert_with(|| Labels::Unknown("not given in this test case".into()));
    }
    let requester = Subject {
        user: case.user.clone(),
        groups: case.groups.clone(),
    };
    let eval = evaluate(
        policy,
        &Request {
            plan: &plan,
            requester: &requester,
            cluster: plan_cluster,
            labels: &labels,
            now: case.at.unwrap_or_else(Timestamp::now),
            break_glass: case.break_glass.as_deref(),
            default_ttl: SignedDuration::from_mins(i64::from(config.defaults.preview_ttl_minutes)),
        },
    );
    let problems = check(&case.expect, &eval.verdict, config, &requester);
    Outcome {
        name: case.name.clone(),
        problems,
        got: super::explain::verdict_line(&eval.verdict),
    }
}

fn check(want: &Expect, got: &Verdict, config: &Config, requester: &Subject) -> Vec<String> {
    let mut problems = Vec::new();
    if got.word() != want.decision {
        problems.push(format!(
            "decision: want {}, got {}",
            want.decision,
            got.word()
        ));
        return problems;
    }
    let reason = match got {
        Verdict::Deny(r) => r.clone(),
        Verdict::Approve(r) => r.reason.clone(),
        Verdict::Allow => String::new(),
    };
    if let Some(text) = &want.reason_contains
        && !reason.contains(text.as_str())
    {
        problems.push(format!(
            "reason: want it to contain {text:?}, got {reason:?}"
        ));
    }
    let Verdict::Approve(req) = got else {
        return problems;
    };
    if let Some(n) = want.approvals
        && n != req.approvals
    {
        problems.push(format!("approvals: want {n}, got {}", req.approvals));
    }
    if let Some(b) = want.requester_may_approve
        && b != req.requester_may_approve
    {
        problems.push(format!(
            "requester_may_approve: want {b}, got {}",
            req.requester_may_approve
        ));
    }
    for r in &want.rules {
        if !req.rules.contains(r) {
            problems.push(format!("rules: want {r:?} among {:?}", req.rules));
        }
    }
    let subjects: Vec<(String, Subject)> = config
        .identities
        .iter()
        .map(|i| {
            (
                i.key().to_string(),
                Subject {
                    user: i.kube_user.clone(),
                    groups: i.groups.clone(),
                },
            )
        })
        .collect();
    let people: Vec<Candidate<'_>> = subjects
        .iter()
        .map(|(name, subject)| Candidate { name, subject })
        .collect();
    let may: Vec<&str> = candidates(req, &people, requester)
        .iter()
        .map(|c| c.name)
        .collect();
    for p in &want.approvers_include {
        if !may.contains(&p.as_str()) {
            problems.push(format!(
                "approvers: want {p} to be able to approve; may approve: {may:?}"
            ));
        }
    }
    for p in &want.approvers_exclude {
        if may.contains(&p.as_str()) {
            problems.push(format!("approvers: want {p} NOT to be able to approve"));
        }
    }
    problems
}
