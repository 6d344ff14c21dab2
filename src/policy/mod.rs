//! Policy: may this person do this, here, now — and how many approvals from whom? Pure.
//!
//! A policy is a list of rules (the first that matches an action decides: allow, deny with a
//! reason, or require N approvals from approver groups, with optional CEL conditions over the
//! planned object), change windows (freezes) and settings. It comes from a TOML policy file
//! (`[policy] file` in the config; language in docs/policy.md) or, without one, from the
//! built-in defaults in `builtin.toml`, which are:
//! - reads are allowed and run at once;
//! - writes need one approval, which the requester may give (a deliberate confirmation);
//! - destructive actions in production (a cluster marked `production`, or a namespace matching
//!   the cluster's `production_namespaces`) need a second person.
//!
//! Invariants that no policy file can change (enforced here *and* again in `approval`):
//! a write never runs without an approval; the requester can never approve a destructive
//! action in production; labels that cannot be read count towards the stricter outcome.
//! Kubernetes RBAC still decides what the requester may do; policy can only narrow it.
//!
//! Everything here takes data and returns data. Reading the file, watching it and fetching
//! namespace labels happen in the app.

pub mod breakglass;
pub mod cases;
pub mod cel;
pub mod context;
mod eval;
pub mod explain;
mod facts;
mod file;
mod glob;
mod model;
pub mod windows;

use jiff::SignedDuration;
use serde::{Deserialize, Serialize};

use crate::identity::Subject;

pub use eval::{ActionTrace, Evaluation, Request, RuleOutcome, RuleTrace, evaluate};
pub use facts::{Labels, canonical_kind};
pub use file::{PolicyError, parse};
pub use glob::glob_match;
pub use model::{Approval, Decision, Match, Policy, Rule, Source};

/// What policy decided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Run now (reads).
    Allow,
    /// Preview and wait for approvals.
    Approve(Requirement),
    /// Refuse, with the reason to show.
    Deny(String),
}

impl Verdict {
    /// The stricter of two verdicts: a refusal wins, then approvals (merged), then allow.
    pub fn stricter(self, other: Verdict) -> Verdict {
        match (self, other) {
            (Verdict::Deny(a), _) => Verdict::Deny(a),
            (_, Verdict::Deny(b)) => Verdict::Deny(b),
            (Verdict::Allow, v) | (v, Verdict::Allow) => v,
            (Verdict::Approve(a), Verdict::Approve(b)) => Verdict::Approve(a.merge(b)),
        }
    }

    /// `allow`, `deny` or `approve`, as policy tests write it.
    pub fn word(&self) -> &'static str {
        match self {
            Verdict::Allow => "allow",
            Verdict::Approve(_) => "approve",
            Verdict::Deny(_) => "deny",
        }
    }
}

/// The approvals a plan needs. Recorded with the preview in the ledger; fields added after
/// the first release default when an older record is read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Requirement {
    /// Distinct valid approvals needed.
    pub approvals: u32,
    /// Whether the requester's own approval counts.
    pub requester_may_approve: bool,
    /// How long the preview stays valid.
    pub ttl: SignedDuration,
    /// Why (shown in the preview and the ledger).
    pub reason: String,
    /// Every approver must be in at least one group of each list; no lists: any mapped user.
    #[serde(default)]
    pub approver_groups: Vec<Vec<String>>,
    /// The rules that decided.
    #[serde(default)]
    pub rules: Vec<String>,
    /// The plan touches production (or possibly production: labels unreadable).
    #[serde(default)]
    pub production: bool,
    /// The break-glass reason given with the request.
    #[serde(default)]
    pub break_glass: Option<String>,
    /// Change windows in force that added approvals.
    #[serde(default)]
    pub windows: Vec<String>,
}

impl Default for Requirement {
    fn default() -> Self {
        Requirement {
            approvals: 1,
            requester_may_approve: false,
            ttl: SignedDuration::from_mins(15),
            reason: String::new(),
            approver_groups: Vec::new(),
            rules: Vec::new(),
            production: false,
            break_glass: None,
            windows: Vec::new(),
        }
    }
}

impl Requirement {
    /// A requirement at least as strict as both.
    pub fn merge(mut self, other: Requirement) -> Requirement {
        self.approvals = self.approvals.max(other.approvals);
        self.requester_may_approve &= other.requester_may_approve;
        self.ttl = self.ttl.min(other.ttl);
        if !other.reason.is_empty() && !self.reason.contains(&other.reason) {
            if !self.reason.is_empty() {
                self.reason.push_str("; ");
            }
            self.reason.push_str(&other.reason);
        }
        for (mine, theirs) in [
            (&mut self.rules, other.rules),
            (&mut self.windows, other.windows),
        ] {
            for x in theirs {
                if !mine.contains(&x) {
                    mine.push(x);
                }
            }
        }
        for g in other.approver_groups {
            if !self.approver_groups.contains(&g) {
                self.approver_groups.push(g);
            }
        }
        self.production |= other.production;
        self.break_glass = self.break_glass.or(other.break_glass);
        self
    }

    /// True when `who` belongs to the approver groups (not counting the requester rule).
    pub fn eligible(&self, who: &Subject) -> bool {
        self.approver_groups
            .iter()
            .all(|any| any.iter().any(|g| who.groups.contains(g)))
    }

    /// The approver groups in words: "members of sre or dba", "any mapped user".
    pub fn groups_text(&self) -> String {
        if self.approver_groups.is_empty() {
            return "any mapped user".into();
        }
        let parts: Vec<String> = self
            .approver_groups
            .iter()
            .map(|any| any.join(" or "))
            .collect();
        format!("members of {}", parts.join(" and of "))
    }

    /// Who may approve, in words.
    pub fn approvers_text(&self, requester: &str) -> String {
        let n = self.approvals;
        let people = if n == 1 { "approval" } else { "approvals" };
        let groups = self.groups_text();
        if self.requester_may_approve {
            format!("{n} {people} from {groups} (including {requester})")
        } else {
            format!("{n} {people} from {groups} other than {requester}")
        }
    }
}

/// True when the plan touches production by the config alone (a cluster marked `production`,
/// or a namespace matching its `production_namespaces`). The approval path uses this as a
/// second, independent check beside the policy engine's own (which also reads labels).
pub fn is_production(cluster: &crate::config::ClusterConfig, plan: &crate::actions::Plan) -> bool {
    cluster.production
        || plan
            .namespaces()
            .iter()
            .any(|ns| glob::any_match(&cluster.production_namespaces, ns))
}

/// The built-in defaults, as a policy (so explain shows them like any other rules).
pub fn builtin() -> Policy {
    // The embedded file is checked by a test; it cannot fail at run time.
    #[allow(clippy::expect_used)]
    parse(include_str!("builtin.toml"), Source::Builtin).expect("the built-in policy is valid")
}

#[cfg(test)]
mod tests;
