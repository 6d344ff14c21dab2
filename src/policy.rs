//! Policy: may this person do this, here, and how many approvals does it need? Pure.
//!
//! Built-in defaults (a policy file replaces them in a later release):
//! - reads are allowed and run at once;
//! - writes need one approval, which the requester may give (a deliberate confirmation);
//! - destructive actions in production (a cluster marked `production`, or a namespace matching
//!   the cluster's `production_namespaces`) need a second person: the requester can never
//!   approve them, whatever the configuration says.
//!
//! Kubernetes RBAC still decides what the requester may do; policy can only narrow it.

use jiff::SignedDuration;
use serde::{Deserialize, Serialize};

use crate::actions::{Plan, Risk};
use crate::config::ClusterConfig;

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

/// The approvals a plan needs.
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
}

impl Requirement {
    /// Who may approve, in words.
    pub fn approvers_text(&self, requester: &str) -> String {
        let n = self.approvals;
        let people = if n == 1 { "approval" } else { "approvals" };
        if self.requester_may_approve {
            format!("{n} {people} from any mapped user (including {requester})")
        } else {
            format!("{n} {people} from a mapped user other than {requester}")
        }
    }
}

/// True when the plan touches production on this cluster.
pub fn is_production(cluster: &ClusterConfig, plan: &Plan) -> bool {
    cluster.production
        || plan.namespaces().iter().any(|ns| {
            cluster
                .production_namespaces
                .iter()
                .any(|glob| glob_match(glob, ns))
        })
}

/// Decides a plan with the built-in defaults.
pub fn decide(plan: &Plan, cluster: &ClusterConfig, ttl: SignedDuration) -> Verdict {
    match plan.risk() {
        Risk::Read => Verdict::Allow,
        Risk::Destructive if is_production(cluster, plan) => Verdict::Approve(Requirement {
            approvals: 1,
            requester_may_approve: false,
            ttl,
            reason: "destructive action in production: a second person must approve".into(),
        }),
        Risk::Write | Risk::Destructive => Verdict::Approve(Requirement {
            approvals: 1,
            requester_may_approve: true,
            ttl,
            reason: "writes need one approval".into(),
        }),
    }
}

/// `*` matches any run of characters; everything else matches itself.
pub fn glob_match(glob: &str, text: &str) -> bool {
    let parts: Vec<&str> = glob.split('*').collect();
    if parts.len() == 1 {
        return glob == text;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first) || !text[first.len()..].ends_with(last) {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(i) => rest = &rest[i + part.len()..],
            None => return false,
        }
    }
    first.len() + last.len() <= text.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::{Action, PlanSource, Workload, WorkloadKind};

    fn cluster(production: bool, globs: &[&str]) -> ClusterConfig {
        ClusterConfig {
            name: "c".into(),
            kubeconfig: None,
            context: None,
            in_cluster: false,
            default_namespace: "default".into(),
            production,
            production_namespaces: globs.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn plan(action: Action) -> Plan {
        Plan {
            cluster: "c".into(),
            actions: vec![action],
            source: PlanSource::Rules,
            explicit_cluster: false,
            explicit_namespace: false,
        }
    }

    fn scale(ns: &str, replicas: u32) -> Plan {
        plan(Action::Scale {
            target: Workload {
                kind: WorkloadKind::Deployment,
                name: "api".into(),
            },
            namespace: ns.into(),
            replicas,
        })
    }

    const TTL: SignedDuration = SignedDuration::from_mins(15);

    #[test]
    fn globs() {
        for (g, t, want) in [
            ("prod", "prod", true),
            ("prod", "production", false),
            ("prod*", "production", true),
            ("*-prod", "payments-prod", true),
            ("*-prod", "prod", false),
            ("*", "", true),
            ("a*b*c", "aXbYc", true),
            ("a*b*c", "acb", false),
            ("ab*ba", "aba", false),
        ] {
            assert_eq!(glob_match(g, t), want, "{g} vs {t}");
        }
    }

    #[test]
    fn reads_are_allowed() {
        let p = plan(Action::Logs {
            pod: "p".into(),
            namespace: "prod".into(),
            container: None,
            tail: None,
            since_seconds: None,
            previous: false,
        });
        assert_eq!(decide(&p, &cluster(true, &[]), TTL), Verdict::Allow);
    }

    #[test]
    fn writes_need_one_approval_the_requester_may_give() {
        let Verdict::Approve(r) = decide(&scale("dev", 3), &cluster(false, &["prod"]), TTL) else {
            panic!("expected approval")
        };
        assert_eq!(r.approvals, 1);
        assert!(r.requester_may_approve);
    }

    #[test]
    fn destructive_in_production_needs_a_second_person() {
        for c in [cluster(true, &[]), cluster(false, &["prod*"])] {
            let Verdict::Approve(r) = decide(&scale("prod", 0), &c, TTL) else {
                panic!("expected approval")
            };
            assert!(!r.requester_may_approve);
        }
        let Verdict::Approve(r) = decide(&scale("dev", 0), &cluster(false, &["prod*"]), TTL) else {
            panic!("expected approval")
        };
        assert!(r.requester_may_approve, "not production");
    }
}
