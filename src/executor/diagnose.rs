//! "Why is X crashing / pending?": gathers a pod's status, container states, restart counts and
//! recent events, and names the likely cause in one line with the evidence below it.

use k8s_openapi::api::apps::v1::ReplicaSet;
use k8s_openapi::api::core::v1::{ContainerStatus, Pod};
use kube::api::{Api, ListParams};

use super::{ExecError, Target};
use crate::actions::{ObjectRef, Scope, Workload, WorkloadKind};

/// A pod's health at a glance.
pub struct Health {
    pub healthy: bool,
    pub ready: String,
    pub status: String,
    pub restarts: i32,
}

/// Summarises a pod like kubectl's READY / STATUS / RESTARTS columns.
pub fn pod_health(pod: &Pod) -> Health {
    let status = pod.status.clone().unwrap_or_default();
    let containers = status.container_statuses.unwrap_or_default();
    let ready = containers.iter().filter(|c| c.ready).count();
    let restarts = containers.iter().map(|c| c.restart_count).sum();
    let phase = status.phase.unwrap_or_else(|| "Unknown".into());
    let waiting = containers.iter().find_map(|c| {
        c.state
            .as_ref()
            .and_then(|s| s.waiting.as_ref())
            .and_then(|w| w.reason.clone())
    });
    let terminated = containers.iter().find_map(|c| {
        c.state
            .as_ref()
            .and_then(|s| s.terminated.as_ref())
            .and_then(|t| t.reason.clone())
    });
    let shown = waiting.or(terminated).unwrap_or_else(|| phase.clone());
    let all_ready = !containers.is_empty() && ready == containers.len();
    Health {
        healthy: phase == "Succeeded" || (phase == "Running" && all_ready),
        ready: format!("{ready}/{}", containers.len().max(pod_containers(pod))),
        status: shown,
        restarts,
    }
}

fn pod_containers(pod: &Pod) -> usize {
    pod.spec.as_ref().map_or(0, |s| s.containers.len())
}

/// Diagnoses the pods named `name` (exact) or belonging to a workload called `name`.
pub async fn diagnose(
    client: &kube::Client,
    name: &str,
    namespace: &str,
) -> Result<String, ExecError> {
    let api: Api<Pod> = Api::namespaced(client.clone(), namespace);
    let target = Target {
        verb: "list".into(),
        resource: "pods".into(),
        name: Some(name.into()),
        namespace: Some(namespace.into()),
        ..Default::default()
    };
    let list = api
        .list(&ListParams {
            limit: Some(500),
            ..Default::default()
        })
        .await
        .map_err(|e| ExecError::from_kube(e, &target))?;
    let prefix = format!("{name}-");
    let pods: Vec<&Pod> = list
        .items
        .iter()
        .filter(|p| {
            let n = p.metadata.name.as_deref().unwrap_or("");
            n == name || n.starts_with(&prefix)
        })
        .collect();
    if pods.is_empty() {
        let names: Vec<String> = list
            .items
            .iter()
            .filter_map(|p| p.metadata.name.clone())
            .collect();
        return Err(ExecError::NotFound {
            resource: "pods".into(),
            name: name.into(),
            namespace: Some(namespace.into()),
            suggestions: crate::suggest::close_names(name, names.iter().map(String::as_str)),
        });
    }
    let worst = pods
        .iter()
        .max_by_key(|p| {
            let h = pod_health(p);
            (!h.healthy, h.restarts)
        })
        .copied()
        .ok_or_else(|| ExecError::Api("no pods".into()))?;
    let health = pod_health(worst);
    let pod_name = worst.metadata.name.clone().unwrap_or_default();
    let events = super::reads::events(
        client,
        &Scope::Namespace(namespace.into()),
        Some(&ObjectRef {
            resource: "pods".into(),
            name: pod_name.clone(),
        }),
    )
    .await?;
    let cause = likely_cause(worst, &health, &events);
    let mut out = format!(
        "{cause}\n\nEvidence (pod {pod_name} in {namespace}, {} of {} matching pods unhealthy):\n",
        pods.iter().filter(|p| !pod_health(p).healthy).count(),
        pods.len()
    );
    out.push_str(&format!(
        "- status {}, ready {}, restarts {}\n",
        health.status, health.ready, health.restarts
    ));
    for c in worst
        .status
        .as_ref()
        .and_then(|s| s.container_statuses.as_ref())
        .into_iter()
        .flatten()
    {
        out.push_str(&format!("- container {}: {}\n", c.name, container_state(c)));
    }
    if let Some(rollout) = owner_rollout(client, worst, namespace).await {
        out.push_str(&format!("- {rollout}\n"));
    }
    out.push_str("\nRecent events:\n");
    out.push_str(&events);
    Ok(crate::redact::text(&out))
}

/// The rollout state of the workload that controls the pod (through its ReplicaSet for a
/// Deployment), when the requester may read it; evidence, so failures are left out.
async fn owner_rollout(client: &kube::Client, pod: &Pod, namespace: &str) -> Option<String> {
    let owner = pod
        .metadata
        .owner_references
        .as_ref()?
        .iter()
        .find(|o| o.controller == Some(true))?;
    let (kind, name) = match owner.kind.as_str() {
        "ReplicaSet" => {
            let api: Api<ReplicaSet> = Api::namespaced(client.clone(), namespace);
            let rs = api.get(&owner.name).await.ok()?;
            let d = rs
                .metadata
                .owner_references?
                .into_iter()
                .find(|o| o.kind == "Deployment")?;
            (WorkloadKind::Deployment, d.name)
        }
        "StatefulSet" => (WorkloadKind::StatefulSet, owner.name.clone()),
        "DaemonSet" => (WorkloadKind::DaemonSet, owner.name.clone()),
        _ => return None,
    };
    let w = Workload { kind, name };
    let state = super::rollout::status(client, &w, namespace).await.ok()?;
    Some(format!("owner {} {}: {state}", w.kind, w.name))
}

fn container_state(c: &ContainerStatus) -> String {
    let state = c.state.clone().unwrap_or_default();
    let now = if let Some(w) = state.waiting {
        format!(
            "waiting ({}){}",
            w.reason.unwrap_or_default(),
            w.message.map(|m| format!(": {m}")).unwrap_or_default()
        )
    } else if let Some(t) = state.terminated {
        format!(
            "terminated ({}, exit code {})",
            t.reason.unwrap_or_default(),
            t.exit_code
        )
    } else if state.running.is_some() {
        "running".into()
    } else {
        "unknown".into()
    };
    let last = c
        .last_state
        .as_ref()
        .and_then(|s| s.terminated.as_ref())
        .map(|t| {
            format!(
                "; last exit: {} (exit code {})",
                t.reason.clone().unwrap_or_default(),
                t.exit_code
            )
        })
        .unwrap_or_default();
    format!("{now}, restarted {} times{last}", c.restart_count)
}

/// One line naming the most likely cause.
fn likely_cause(pod: &Pod, health: &super::diagnose::Health, events: &str) -> String {
    let name = pod.metadata.name.as_deref().unwrap_or("the pod");
    let statuses = pod
        .status
        .as_ref()
        .and_then(|s| s.container_statuses.clone())
        .unwrap_or_default();
    for c in &statuses {
        let last = c.last_state.as_ref().and_then(|s| s.terminated.as_ref());
        if last.and_then(|t| t.reason.as_deref()) == Some("OOMKilled") {
            return format!(
                "Likely cause: container {} in {name} runs out of memory (OOMKilled); raise its memory limit or find the leak.",
                c.name
            );
        }
        if let Some(w) = c.state.as_ref().and_then(|s| s.waiting.as_ref()) {
            match w.reason.as_deref() {
                Some("CrashLoopBackOff") => {
                    let code = last.map(|t| t.exit_code).unwrap_or_default();
                    return format!(
                        "Likely cause: container {} in {name} keeps crashing (exit code {code}, {} restarts); its logs with --previous show why.",
                        c.name, c.restart_count
                    );
                }
                Some("ImagePullBackOff" | "ErrImagePull" | "InvalidImageName") => {
                    return format!(
                        "Likely cause: the image of container {} in {name} cannot be pulled ({}): check the image name, tag and pull secret.",
                        c.name,
                        w.reason.clone().unwrap_or_default()
                    );
                }
                Some("CreateContainerConfigError") => {
                    return format!(
                        "Likely cause: container {} in {name} refers to a missing ConfigMap, Secret or key.",
                        c.name
                    );
                }
                _ => {}
            }
        }
    }
    if events.contains("FailedScheduling") {
        return format!(
            "Likely cause: {name} cannot be scheduled: no node fits it (see the FailedScheduling event below)."
        );
    }
    if health.status == "Pending" {
        return format!(
            "Likely cause: {name} is Pending and not yet running; see the events below."
        );
    }
    if health.healthy {
        return format!(
            "{name} looks healthy right now (ready {}, {} restarts).",
            health.ready, health.restarts
        );
    }
    format!(
        "{name} is not healthy ({}); the evidence below is all I found.",
        health.status
    )
}
