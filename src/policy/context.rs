//! Context locks: a channel bound to a cluster and namespace (`[[channels]]` in the config).
//!
//! An action aimed elsewhere is refused unless the request named the other cluster or
//! namespace itself (`Plan::explicit_cluster` / `explicit_namespace`): a follow-up ("restart
//! it"), a remembered target or an LLM's guess can never carry a request out of the channel's
//! context silently. When the request did name it, the preview leads with the difference.

use crate::actions::Plan;
use crate::config::ChannelConfig;

/// What the lock says about a plan.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct LockCheck {
    /// Lines to show first on the preview (or above a read's answer).
    pub highlights: Vec<String>,
}

/// Checks a plan against a channel's lock. `Err` is the refusal to show.
pub fn check(lock: Option<&ChannelConfig>, plan: &Plan) -> Result<LockCheck, String> {
    let Some(lock) = lock else {
        return Ok(LockCheck::default());
    };
    let name = lock.name.clone().unwrap_or_else(|| lock.channel.clone());
    let mut highlights = Vec::new();
    if plan.cluster != lock.cluster {
        if !plan.explicit_cluster {
            return Err(format!(
                "You are in {name}, which is locked to cluster {}, but this request would act on cluster {}. \
                 Name the cluster in your request (\"… in cluster {}\") if that is what you mean.",
                lock.cluster, plan.cluster, plan.cluster
            ));
        }
        highlights.push(format!(
            "⚠ context: you are in {name} (cluster {}); this targets cluster {}",
            lock.cluster, plan.cluster
        ));
    }
    for ns in plan.namespaces() {
        if ns == lock.namespace {
            continue;
        }
        if !plan.explicit_namespace {
            return Err(format!(
                "You are in {name}, which is locked to namespace {}, but this request would act in namespace {ns}. \
                 Name the namespace in your request (\"… in {ns}\" or `-n {ns}`) if that is what you mean.",
                lock.namespace
            ));
        }
        highlights.push(format!(
            "⚠ context: you are in {name} (namespace {}); this targets namespace {ns}",
            lock.namespace
        ));
    }
    if plan.is_write()
        && plan
            .actions
            .iter()
            .any(|a| a.is_write() && a.namespace().is_none())
    {
        highlights.push(format!(
            "⚠ context: you are in {name} (namespace {}); this change is cluster-wide, beyond that namespace",
            lock.namespace
        ));
    }
    Ok(LockCheck { highlights })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::{Action, PlanSource, Workload, WorkloadKind};
    use kubechat_chat::Platform;

    fn lock() -> ChannelConfig {
        ChannelConfig {
            platform: Platform::Slack,
            channel: "C1".into(),
            name: Some("#payments-prod-eu".into()),
            cluster: "prod-eu".into(),
            namespace: "payments".into(),
        }
    }

    fn restart(cluster: &str, ns: &str, explicit_cluster: bool, explicit_ns: bool) -> Plan {
        Plan {
            cluster: cluster.into(),
            actions: vec![Action::RolloutRestart {
                target: Workload {
                    kind: WorkloadKind::Deployment,
                    name: "api".into(),
                },
                namespace: ns.into(),
            }],
            source: PlanSource::Rules,
            explicit_cluster,
            explicit_namespace: explicit_ns,
        }
    }

    #[test]
    fn inside_the_lock_nothing_is_said() {
        let plan = restart("prod-eu", "payments", false, false);
        assert_eq!(check(Some(&lock()), &plan), Ok(LockCheck::default()));
        assert_eq!(check(None, &plan), Ok(LockCheck::default()));
    }

    #[test]
    fn another_cluster_not_named_in_the_request_is_refused() {
        let err = check(
            Some(&lock()),
            &restart("staging-us", "payments", false, false),
        )
        .expect_err("refused");
        assert!(err.contains("locked to cluster prod-eu"), "{err}");
        assert!(err.contains("cluster staging-us"), "{err}");
    }

    #[test]
    fn another_namespace_not_named_in_the_request_is_refused() {
        let err = check(Some(&lock()), &restart("prod-eu", "billing", false, false))
            .expect_err("refused");
        assert!(err.contains("locked to namespace payments"), "{err}");
    }

    #[test]
    fn a_named_target_elsewhere_is_allowed_and_highlighted() {
        let got = check(Some(&lock()), &restart("staging-us", "billing", true, true)).expect("ok");
        assert_eq!(
            got.highlights,
            vec![
                "⚠ context: you are in #payments-prod-eu (cluster prod-eu); this targets cluster staging-us",
                "⚠ context: you are in #payments-prod-eu (namespace payments); this targets namespace billing",
            ]
        );
    }

    #[test]
    fn cluster_wide_writes_are_highlighted() {
        let plan = Plan {
            cluster: "prod-eu".into(),
            actions: vec![Action::Cordon { node: "n1".into() }],
            source: PlanSource::Rules,
            explicit_cluster: false,
            explicit_namespace: false,
        };
        let got = check(Some(&lock()), &plan).expect("ok");
        assert!(got.highlights[0].contains("cluster-wide"), "{got:?}");
    }
}
