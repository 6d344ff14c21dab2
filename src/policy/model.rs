//! The policy language as data: rules (match → decision, CEL conditions), change windows and
//! settings, as parsed and validated from a policy file (see [`super::file`]).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use jiff::SignedDuration;

use crate::actions::Risk;

/// A validated policy: rules in order (the first that matches decides), change windows and
/// settings. Cheap to share: the app holds it in an `Arc` and swaps it on reload.
#[derive(Clone, Debug)]
pub struct Policy {
    pub rules: Vec<Rule>,
    pub windows: Vec<super::windows::Window>,
    /// Namespace labels that mark a namespace as production (any of them), besides the
    /// cluster's `production` / `production_namespaces` in the config.
    pub production_labels: BTreeMap<String, String>,
    /// Where it came from (shown by explain and in logs).
    pub source: Source,
}

/// Where a policy came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// kubechat's built-in defaults (no `[policy] file`).
    Builtin,
    /// A policy file.
    File(PathBuf),
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Builtin => f.write_str("built-in defaults"),
            Source::File(p) => write!(f, "{}", p.display()),
        }
    }
}

impl Policy {
    /// True when some rule, window or setting looks at namespace labels, so the app must read
    /// them (as the requester) before deciding.
    pub fn needs_labels(&self) -> bool {
        !self.production_labels.is_empty()
            || self
                .rules
                .iter()
                .any(|r| !r.matcher.namespace_labels.is_empty())
            || self
                .windows
                .iter()
                .any(|w| !w.matcher.namespace_labels.is_empty())
    }

    /// `policy.toml:12` for a rule, or its name for built-in rules.
    pub fn place(&self, line: usize) -> String {
        match &self.source {
            Source::Builtin => "built-in".to_string(),
            Source::File(p) => format!(
                "{}:{line}",
                p.file_name()
                    .map(|n| n.to_string_lossy())
                    .unwrap_or_default()
            ),
        }
    }
}

/// One rule: when `matcher` matches an action, `decision` decides it and `conditions` must
/// hold.
#[derive(Clone, Debug)]
pub struct Rule {
    pub name: String,
    /// Line of the rule's `[[rules]]` header in the policy file.
    pub line: usize,
    pub matcher: Match,
    pub decision: Decision,
    pub conditions: Vec<Arc<super::cel::Condition>>,
}

/// What a rule (or a window) applies to. Every field that is set must match; a list matches
/// when any of its entries does. Unset fields match everything.
#[derive(Clone, Debug, Default)]
pub struct Match {
    /// Cluster name globs.
    pub clusters: Vec<String>,
    /// Namespace globs (never match cluster-scoped actions).
    pub namespaces: Vec<String>,
    /// Namespace labels that must all be present, values as globs (`"*"`: any value).
    pub namespace_labels: BTreeMap<String, String>,
    /// Only production (true) or only non-production (false) targets.
    pub production: Option<bool>,
    /// Action verbs (`scale`, `delete`, `rollout-restart`, …).
    pub verbs: Vec<String>,
    pub risks: Vec<Risk>,
    /// Resource kinds as canonical plurals (`deployments`) or globs.
    pub kinds: Vec<String>,
    /// Object name globs.
    pub names: Vec<String>,
    /// Requester Kubernetes user globs.
    pub users: Vec<String>,
    /// The requester is in any of these Kubernetes groups.
    pub groups: Vec<String>,
    /// Only break-glass requests (true) or only ordinary ones (false).
    pub break_glass: Option<bool>,
}

/// What a matching rule decides.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Run now. For a write this still means one confirmation (no write runs unapproved).
    Allow,
    /// Refuse, with the reason to show.
    Deny { reason: String },
    /// Preview and wait for approvals.
    Approve(Approval),
}

/// The approvals a rule asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Approval {
    /// Distinct approvals needed (at least 1).
    pub approvals: u32,
    /// Approvers must be in one of these groups; empty: any mapped user.
    pub approvers: Vec<String>,
    /// Whether the requester's own approval counts (never for destructive actions in
    /// production, whatever this says).
    pub requester_may_approve: bool,
    /// Preview validity; `None`: the config's `defaults.preview_ttl_minutes`.
    pub ttl: Option<SignedDuration>,
    /// Shown in the preview and recorded; `None`: a sentence built from the rule.
    pub reason: Option<String>,
}
