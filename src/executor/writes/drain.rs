//! `drain`, like kubectl: cordon the node, then evict its pods one by one through the
//! policy/v1 Eviction API so PodDisruptionBudgets are honoured. DaemonSet-managed pods (their
//! controller ignores cordons) and mirror pods (the kubelet owns them) are skipped; pods no
//! controller would recreate, and pods with emptyDir data unless `--delete-emptydir-data`, are
//! skipped too and named, because evicting them loses them. An eviction answered with 429 is
//! blocked by a PodDisruptionBudget: reported per pod, never retried behind the user's back.

use std::collections::BTreeSet;

use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ListParams, Patch, PatchParams};
use serde_json::{Value, json};

use super::evictions::{Evicted, Fate, PodRef, blocking_pdb, fate, listing, summary};
use super::review::{self, Need};
use super::show::diff;
use super::single::Call;
use super::{Captured, FIELD_MANAGER, WritePreview, to_value};
use crate::actions::Action;
use crate::executor::resolve::KindCache;
use crate::executor::{ExecError, Target};

fn parts(action: &Action) -> Result<(&str, bool), ExecError> {
    match action {
        Action::Drain {
            node,
            delete_emptydir_data,
            ..
        } => Ok((node, *delete_emptydir_data)),
        other => Err(ExecError::Invalid(format!(
            "`{}` is not a drain",
            other.verb()
        ))),
    }
}

/// The node's pods split into those to evict and those skipped (with why).
async fn pods_on(
    client: &kube::Client,
    node: &str,
    delete_emptydir_data: bool,
) -> Result<(Vec<PodRef>, Vec<(PodRef, String)>), ExecError> {
    let api: Api<Pod> = Api::all(client.clone());
    let lp = ListParams::default().fields(&format!("spec.nodeName={node}"));
    let target = Target {
        verb: "list".into(),
        resource: "pods".into(),
        ..Default::default()
    };
    let pods = api
        .list(&lp)
        .await
        .map_err(|e| ExecError::from_kube(e, &target))?;
    let (mut evict, mut skip) = (Vec::new(), Vec::new());
    for pod in pods.items {
        let r = PodRef {
            namespace: pod.metadata.namespace.clone().unwrap_or_default(),
            name: pod.metadata.name.clone().unwrap_or_default(),
        };
        match fate(&to_value(&pod)?, delete_emptydir_data) {
            Fate::Evict => evict.push(r),
            Fate::Skip(why) => skip.push((r, why)),
        }
    }
    Ok((evict, skip))
}

/// Posts a policy/v1 Eviction for `pod` (a dry run when asked).
async fn evict(client: &kube::Client, pod: &PodRef, dry_run: bool) -> Evicted {
    let mut url = format!(
        "/api/v1/namespaces/{}/pods/{}/eviction",
        pod.namespace, pod.name
    );
    if dry_run {
        url.push_str("?dryRun=All");
    }
    let body = json!({"apiVersion": "policy/v1", "kind": "Eviction",
                      "metadata": {"name": pod.name, "namespace": pod.namespace}});
    let request = http::Request::post(url)
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(body.to_string().into_bytes());
    let request = match request {
        Ok(r) => r,
        Err(e) => return Evicted::Failed(e.to_string()),
    };
    match client.request::<Value>(request).await {
        Ok(_) => Evicted::Done,
        Err(kube::Error::Api(s)) if s.code == 429 => Evicted::Blocked(blocking_pdb(&s)),
        // Already gone: nothing left to evict.
        Err(kube::Error::Api(s)) if s.code == 404 => Evicted::Done,
        Err(e) => {
            let target = Target {
                verb: "create".into(),
                resource: "pods/eviction".into(),
                name: Some(pod.name.clone()),
                namespace: Some(pod.namespace.clone()),
                ..Default::default()
            };
            Evicted::Failed(ExecError::from_kube(e, &target).to_string())
        }
    }
}

fn node_need(verb: &'static str, node: &str) -> Need {
    Need {
        verb,
        group: String::new(),
        resource: "nodes".into(),
        subresource: None,
        name: Some(node.to_string()),
        namespace: None,
    }
}

fn eviction_needs(pods: &[PodRef]) -> Vec<Need> {
    let namespaces: BTreeSet<&str> = pods.iter().map(|p| p.namespace.as_str()).collect();
    namespaces
        .into_iter()
        .map(|ns| Need {
            verb: "create",
            group: String::new(),
            resource: "pods".into(),
            subresource: Some("eviction"),
            name: None,
            namespace: Some(ns.to_string()),
        })
        .collect()
}

fn cordon_patch(version: Option<&str>) -> Patch<Value> {
    let mut body = json!({"spec": {"unschedulable": true}});
    if let Some(v) = version {
        body["metadata"] = json!({"resourceVersion": v});
    }
    Patch::Merge(body)
}

fn pp(dry_run: bool) -> PatchParams {
    PatchParams {
        dry_run,
        field_manager: Some(FIELD_MANAGER.into()),
        ..Default::default()
    }
}

/// Previews a drain: RBAC (patch the node, list pods, create evictions), a dry-run cordon,
/// and a dry-run eviction of every pod (which tells which ones a PDB would block).
pub async fn preview(
    client: &kube::Client,
    kinds: &KindCache,
    action: &Action,
) -> Result<WritePreview, ExecError> {
    let (node, delete_emptydir_data) = parts(action)?;
    let list_pods = Need {
        verb: "list",
        group: String::new(),
        resource: "pods".into(),
        subresource: None,
        name: None,
        namespace: None,
    };
    let verdict = review::check(client, &[node_need("patch", node), list_pods]).await?;
    if let Some((need, reason)) = verdict.denied {
        return Ok(review::denied_preview(&need, reason));
    }
    let call = Call::new(client, kinds, "nodes", node, None, "patch").await?;
    let live = call.live().await?;
    let (evictable, skipped) = pods_on(client, node, delete_emptydir_data).await?;
    let evictions = review::check(client, &eviction_needs(&evictable)).await?;
    if let Some((need, reason)) = evictions.denied {
        return Ok(review::denied_preview(&need, reason));
    }
    let after = call
        .api
        .patch(node, &pp(true), &cordon_patch(None))
        .await
        .map_err(|e| ExecError::from_kube(e, &call.target))?;
    let mut results = Vec::new();
    for pod in &evictable {
        results.push((pod.clone(), evict(client, pod, true).await));
    }
    let live_value = to_value(&live)?;
    let after = to_value(&after)?;
    let mut checks = vec![
        "server-side dry run: cordon accepted; every eviction tried as a dry run".to_string(),
        format!(
            "blast radius: node {node} is cordoned; {}",
            summary(&results, skipped.len()).replace("evicted", "would evict")
        ),
    ];
    checks.extend(listing(&results, &skipped, true));
    let mut rbac = verdict.allowed_words;
    if !evictions.allowed_words.is_empty() {
        rbac = format!("{rbac}; {}", evictions.allowed_words);
    }
    Ok(WritePreview {
        allowed: true,
        rbac: format!("RBAC allows: {rbac}"),
        diff: diff(&live_value, &after)?,
        checks,
        version: live.metadata.resource_version.clone(),
        live: Some(live_value),
        planned: Some(after),
    })
}

/// Captures the node before the drain (for the record; a drain cannot be undone).
pub async fn capture(
    client: &kube::Client,
    kinds: &KindCache,
    action: &Action,
    expected: Option<&str>,
) -> Result<Vec<Captured>, ExecError> {
    let (node, _) = parts(action)?;
    let call = Call::new(client, kinds, "nodes", node, None, "patch").await?;
    let live = call.unchanged(expected).await?;
    Ok(vec![call.captured(Some(&live))?])
}

/// Cordons (with the previewed resourceVersion as precondition), then evicts pod by pod.
pub async fn execute(
    client: &kube::Client,
    kinds: &KindCache,
    action: &Action,
    expected: Option<&str>,
) -> Result<String, ExecError> {
    let (node, delete_emptydir_data) = parts(action)?;
    let call = Call::new(client, kinds, "nodes", node, None, "patch").await?;
    let live = call.unchanged(expected).await?;
    let version = expected.or(live.metadata.resource_version.as_deref());
    call.api
        .patch(node, &pp(false), &cordon_patch(version))
        .await
        .map_err(|e| call.changed(e))?;
    let (evictable, skipped) = pods_on(client, node, delete_emptydir_data).await?;
    let mut results = Vec::new();
    for pod in &evictable {
        results.push((pod.clone(), evict(client, pod, false).await));
    }
    let mut text = format!(
        "Done: node {node} cordoned; {}.",
        summary(&results, skipped.len())
    );
    for line in listing(&results, &skipped, false) {
        text.push_str(&format!("\n  {line}"));
    }
    Ok(text)
}
