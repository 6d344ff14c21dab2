//! `rollout status` and `rollout history` of Deployments, StatefulSets and DaemonSets, with
//! kubectl's wording and rules (kubectl/pkg/polymorphichelpers): a Deployment's history is
//! its ReplicaSets (`deployment.kubernetes.io/revision`), a StatefulSet's or DaemonSet's its
//! ControllerRevisions; the change cause is the `kubernetes.io/change-cause` annotation.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{ControllerRevision, DaemonSet, Deployment, StatefulSet};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use kube::Resource;
use kube::api::{Api, ListParams};
use serde::de::DeserializeOwned;

use super::table::Text;
use super::{ExecError, Target};
use crate::actions::{Workload, WorkloadKind};

const CHANGE_CAUSE: &str = "kubernetes.io/change-cause";

async fn fetch<K>(client: &kube::Client, w: &Workload, namespace: &str) -> Result<K, ExecError>
where
    K: Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>
        + Clone
        + DeserializeOwned
        + std::fmt::Debug,
{
    let target = Target {
        verb: "get".into(),
        resource: w.kind.resource().into(),
        name: Some(w.name.clone()),
        namespace: Some(namespace.into()),
        ..Default::default()
    };
    Api::<K>::namespaced(client.clone(), namespace)
        .get(&w.name)
        .await
        .map_err(|e| ExecError::from_kube(e, &target))
}

fn not_for_replicasets(verb: &str, w: &Workload) -> ExecError {
    ExecError::Unsupported(format!(
        "rollout {verb} works on deployments, statefulsets and daemonsets, not on replicaset {}; ask about the deployment that owns it",
        w.name
    ))
}

/// `kubectl rollout status` (one look, no watch).
pub async fn status(
    client: &kube::Client,
    w: &Workload,
    namespace: &str,
) -> Result<String, ExecError> {
    match w.kind {
        WorkloadKind::Deployment => Ok(deployment_status(
            &w.name,
            &fetch(client, w, namespace).await?,
        )),
        WorkloadKind::StatefulSet => {
            statefulset_status(&w.name, &fetch(client, w, namespace).await?)
        }
        WorkloadKind::DaemonSet => daemonset_status(&w.name, &fetch(client, w, namespace).await?),
        WorkloadKind::ReplicaSet => Err(not_for_replicasets("status", w)),
    }
}

/// kubectl's DeploymentStatusViewer.
pub fn deployment_status(name: &str, d: &Deployment) -> String {
    let want = d.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
    let st = d.status.clone().unwrap_or_default();
    if st.observed_generation.unwrap_or(0) < d.metadata.generation.unwrap_or(0) {
        return format!("Waiting for deployment \"{name}\" spec update to be observed…");
    }
    let deadline = st.conditions.iter().flatten().any(|c| {
        c.type_ == "Progressing" && c.reason.as_deref() == Some("ProgressDeadlineExceeded")
    });
    if deadline {
        return format!(
            "deployment \"{name}\" exceeded its progress deadline: the rollout is stuck; `why is {name} failing` shows the pods' state"
        );
    }
    let updated = st.updated_replicas.unwrap_or(0);
    let available = st.available_replicas.unwrap_or(0);
    let total = st.replicas.unwrap_or(0);
    if updated < want {
        format!(
            "Waiting for deployment \"{name}\" rollout to finish: {updated} out of {want} new replicas have been updated…"
        )
    } else if total > updated {
        format!(
            "Waiting for deployment \"{name}\" rollout to finish: {} old replicas are pending termination…",
            total - updated
        )
    } else if available < updated {
        format!(
            "Waiting for deployment \"{name}\" rollout to finish: {available} of {updated} updated replicas are available…"
        )
    } else {
        format!("deployment \"{name}\" successfully rolled out")
    }
}

fn only_rolling_update(kind: &str, name: &str, strategy: Option<&str>) -> Result<(), ExecError> {
    match strategy {
        None | Some("RollingUpdate") => Ok(()),
        Some(other) => Err(ExecError::Unsupported(format!(
            "rollout status is only available for the RollingUpdate strategy; {kind} {name} uses {other}, so its pods change only when they are deleted"
        ))),
    }
}

/// kubectl's StatefulSetStatusViewer.
pub fn statefulset_status(name: &str, s: &StatefulSet) -> Result<String, ExecError> {
    let spec = s.spec.clone().unwrap_or_default();
    let strategy = spec.update_strategy.clone().unwrap_or_default();
    only_rolling_update("statefulset", name, strategy.type_.as_deref())?;
    let st = s.status.clone().unwrap_or_default();
    let observed = st.observed_generation.unwrap_or(0);
    if observed == 0 || s.metadata.generation.unwrap_or(0) > observed {
        return Ok(format!(
            "Waiting for statefulset \"{name}\" spec update to be observed…"
        ));
    }
    let want = spec.replicas.unwrap_or(1);
    let ready = st.ready_replicas.unwrap_or(0);
    if ready < want {
        return Ok(format!(
            "Waiting for {} pods of statefulset \"{name}\" to be ready…",
            want - ready
        ));
    }
    let updated = st.updated_replicas.unwrap_or(0);
    if let Some(partition) = strategy
        .rolling_update
        .and_then(|r| r.partition)
        .filter(|p| *p > 0)
    {
        let expected = (want - partition).max(0);
        return Ok(if updated < expected {
            format!(
                "Waiting for partitioned roll out of statefulset \"{name}\" to finish: {updated} out of {expected} new pods have been updated…"
            )
        } else {
            format!(
                "partitioned roll out of statefulset \"{name}\" complete: {updated} new pods have been updated"
            )
        });
    }
    let update_rev = st.update_revision.unwrap_or_default();
    let current_rev = st.current_revision.unwrap_or_default();
    Ok(if update_rev != current_rev {
        format!(
            "Waiting for statefulset \"{name}\" rolling update to complete: {updated} pods at revision {update_rev}…"
        )
    } else {
        format!(
            "statefulset \"{name}\" rolling update complete: {} pods at revision {current_rev}",
            st.current_replicas.unwrap_or(0)
        )
    })
}

/// kubectl's DaemonSetStatusViewer.
pub fn daemonset_status(name: &str, d: &DaemonSet) -> Result<String, ExecError> {
    let strategy = d
        .spec
        .as_ref()
        .and_then(|s| s.update_strategy.as_ref())
        .and_then(|u| u.type_.clone());
    only_rolling_update("daemonset", name, strategy.as_deref())?;
    let st = d.status.clone().unwrap_or_default();
    if d.metadata.generation.unwrap_or(0) > st.observed_generation.unwrap_or(0) {
        return Ok(format!(
            "Waiting for daemon set \"{name}\" spec update to be observed…"
        ));
    }
    let desired = st.desired_number_scheduled;
    let updated = st.updated_number_scheduled.unwrap_or(0);
    let available = st.number_available.unwrap_or(0);
    Ok(if updated < desired {
        format!(
            "Waiting for daemon set \"{name}\" rollout to finish: {updated} out of {desired} new pods have been updated…"
        )
    } else if available < desired {
        format!(
            "Waiting for daemon set \"{name}\" rollout to finish: {available} of {desired} updated pods are available…"
        )
    } else {
        format!("daemon set \"{name}\" successfully rolled out")
    })
}

/// `kubectl rollout history`: revisions oldest first with their change cause.
pub async fn history(
    client: &kube::Client,
    w: &Workload,
    namespace: &str,
) -> Result<String, ExecError> {
    let revisions: Vec<(u64, Option<String>)> = match w.kind {
        WorkloadKind::Deployment => {
            let d: Deployment = fetch(client, w, namespace).await?;
            super::writes::deployment_history(client, namespace, &d)
                .await?
                .into_iter()
                .map(|r| (r.number, r.annotations.get(CHANGE_CAUSE).cloned()))
                .collect()
        }
        WorkloadKind::StatefulSet => {
            let s: StatefulSet = fetch(client, w, namespace).await?;
            let selector = s.spec.as_ref().map(|s| &s.selector);
            controller_revisions(client, namespace, &s.metadata, selector).await?
        }
        WorkloadKind::DaemonSet => {
            let d: DaemonSet = fetch(client, w, namespace).await?;
            let selector = d.spec.as_ref().map(|s| &s.selector);
            controller_revisions(client, namespace, &d.metadata, selector).await?
        }
        WorkloadKind::ReplicaSet => return Err(not_for_replicasets("history", w)),
    };
    let mut out = format!("{}.apps/{}\n", w.kind, w.name);
    if revisions.is_empty() {
        out.push_str("No rollout history found.\n");
        return Ok(out);
    }
    let mut t = Text::new(vec!["REVISION".into(), "CHANGE-CAUSE".into()]);
    for (number, cause) in revisions {
        let cause = cause
            .filter(|c| !c.is_empty())
            .unwrap_or_else(|| "<none>".into());
        t.row(vec![number.to_string(), crate::redact::text(&cause)]);
    }
    out.push_str(&t.render());
    Ok(out)
}

/// A selector's `matchLabels` as a label selector query (`app=web,tier=front`).
pub(super) fn selector_text(selector: Option<&LabelSelector>) -> String {
    selector
        .and_then(|s| s.match_labels.as_ref())
        .map(|m: &BTreeMap<String, String>| {
            m.iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(",")
        })
        .unwrap_or_default()
}

/// The ControllerRevisions owned by the object (by uid), oldest first.
async fn controller_revisions(
    client: &kube::Client,
    namespace: &str,
    owner: &ObjectMeta,
    selector: Option<&LabelSelector>,
) -> Result<Vec<(u64, Option<String>)>, ExecError> {
    let api: Api<ControllerRevision> = Api::namespaced(client.clone(), namespace);
    let target = Target {
        verb: "list".into(),
        resource: "controllerrevisions".into(),
        namespace: Some(namespace.into()),
        ..Default::default()
    };
    let list = api
        .list(&ListParams::default().labels(&selector_text(selector)))
        .await
        .map_err(|e| ExecError::from_kube(e, &target))?;
    let uid = owner.uid.as_deref();
    let mut out: Vec<(u64, Option<String>)> = list
        .items
        .into_iter()
        .filter(|cr| {
            cr.metadata
                .owner_references
                .iter()
                .flatten()
                .any(|o| Some(o.uid.as_str()) == uid)
        })
        .map(|cr| {
            let cause = cr
                .metadata
                .annotations
                .and_then(|a| a.get(CHANGE_CAUSE).cloned());
            (u64::try_from(cr.revision).unwrap_or(0), cause)
        })
        .collect();
    out.sort_by_key(|(n, _)| *n);
    Ok(out)
}
