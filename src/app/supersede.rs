//! Superseding: a new preview in a thread replaces any pending plan in the same thread aimed
//! at the same target (same cluster, and an overlapping object — or namespace, for actions
//! without a single object such as `apply`). People "edit" a request by asking again; the old
//! preview's approvals must not carry over to what was not shown to the approvers, so the old
//! plan is closed (`superseded`, naming the new plan) and its buttons answer with the new id.

use std::collections::BTreeSet;

use serde_json::json;

use super::{App, Trail};
use crate::actions::Plan;
use crate::approval::{self, PreviewRecord};
use crate::ledger::EntryKind;

impl App {
    /// Closes pending plans that `new` replaces; returns their ids.
    pub(super) async fn supersede(
        &self,
        new_id: &str,
        new: &PreviewRecord,
        trail: &mut Trail,
    ) -> Vec<String> {
        let Ok(open) = self.inner.ledger.open_plans().await else {
            return Vec::new();
        };
        let mut closed = Vec::new();
        for id in open.into_iter().filter(|id| id != new_id) {
            let lock = self.plan_lock(&id);
            let _guard = lock.lock().await;
            let Ok(entries) = self.inner.ledger.plan_entries(&id).await else {
                continue;
            };
            let Some(old) = approval::fold(&id, &entries) else {
                continue;
            };
            if !old.stage.is_open()
                || old.record.thread != new.thread
                || !same_target(&old.record.plan, &new.plan)
            {
                continue;
            }
            let entry = self.entry(
                EntryKind::Superseded,
                "kubechat",
                Some((&id, &old.record.plan)),
                json!({"by": new_id}),
            );
            if self.record(trail, entry).await.is_ok() {
                closed.push(id);
            }
        }
        closed
    }
}

/// True when two plans act on the same cluster and share a target.
pub fn same_target(a: &Plan, b: &Plan) -> bool {
    if a.cluster != b.cluster {
        return false;
    }
    let (ta, tb) = (targets(a), targets(b));
    ta.iter().any(|(ns, obj)| {
        tb.iter()
            .any(|(ns2, obj2)| ns == ns2 && (obj.is_none() || obj2.is_none() || obj == obj2))
    })
}

type Target = (Option<String>, Option<(String, String)>);

fn targets(plan: &Plan) -> BTreeSet<Target> {
    plan.actions
        .iter()
        .filter(|a| a.is_write())
        .map(|a| (a.namespace().map(str::to_string), a.target()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::{Action, PlanSource, Workload, WorkloadKind};

    fn plan(cluster: &str, action: Action) -> Plan {
        Plan {
            cluster: cluster.into(),
            actions: vec![action],
            source: PlanSource::Rules,
            explicit_cluster: false,
            explicit_namespace: false,
        }
    }

    fn scale(ns: &str, name: &str, replicas: u32) -> Action {
        Action::Scale {
            target: Workload {
                kind: WorkloadKind::Deployment,
                name: name.into(),
            },
            namespace: ns.into(),
            replicas,
        }
    }

    #[test]
    fn a_new_request_for_the_same_object_replaces_the_old_one() {
        let old = plan("c", scale("prod", "api", 5));
        assert!(same_target(&old, &plan("c", scale("prod", "api", 6))));
        let restart = Action::RolloutRestart {
            target: Workload {
                kind: WorkloadKind::Deployment,
                name: "api".into(),
            },
            namespace: "prod".into(),
        };
        assert!(
            same_target(&old, &plan("c", restart)),
            "another verb, same object"
        );
        let apply = Action::Apply {
            manifest: "kind: ConfigMap".into(),
            namespace: "prod".into(),
        };
        assert!(
            same_target(&old, &plan("c", apply)),
            "no single object: same namespace"
        );
    }

    #[test]
    fn other_objects_namespaces_and_clusters_are_left_alone() {
        let old = plan("c", scale("prod", "api", 5));
        assert!(!same_target(&old, &plan("c", scale("prod", "web", 5))));
        assert!(!same_target(&old, &plan("c", scale("dev", "api", 5))));
        assert!(!same_target(&old, &plan("d", scale("prod", "api", 5))));
    }
}
