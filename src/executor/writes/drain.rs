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

use super::review::{self, Need};
use super::show::diff;
use super::single::Call;
use super::{Captured, FIELD_MANAGER, WritePreview, to_value};
use crate::actions::Action;
use crate::executor::resolve::KindCache;
use crate::executor::{ExecError, Target};

/// What drain does with one pod.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fate {
    Evict,
    /// Skipped, with the reason in words.
    Skip(String),
}

/// One pod on the node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PodRef {
    pub namespace: String,
    pub name: String,
}

impl PodRef {
    fn label(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }
}

/// How one eviction went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Evicted {
    Done,
    /// Blocked by this PodDisruptionBudget (name when the API said which).
    Blocked(Option<String>),
    Failed(String),
}

/// Decides each pod's fate like kubectl drain (pure).
pub fn fate(pod: &Value, delete_emptydir_data: bool) -> Fate {
    let meta = &pod["metadata"];
    if meta["annotations"]["kubernetes.io/config.mirror"].is_string() {
        return Fate::Skip("mirror pod (managed by the kubelet)".into());
    }
    let controller = meta["ownerReferences"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|o| o["controller"] == json!(true));
    match controller.and_then(|c| c["kind"].as_str()) {
        Some("DaemonSet") => return Fate::Skip("DaemonSet-managed".into()),
        None => {
            return Fate::Skip(
                "not managed by a controller: it would be lost, not rescheduled (delete it yourself if that is intended)"
                    .into(),
            );
        }
        Some(_) => {}
    }
    let empty_dir = pod["spec"]["volumes"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|v| v.get("emptyDir").is_some());
    if empty_dir && !delete_emptydir_data {
        return Fate::Skip(
            "uses emptyDir: its data would be lost (ask again with --delete-emptydir-data)".into(),
        );
    }
    Fate::Evict
}

/// The PodDisruptionBudget a 429 names ("The disruption budget web-pdb needs 2 healthy …").
pub fn blocking_pdb(status: &kube::core::Status) -> Option<String> {
    let causes = status
        .details
        .as_ref()
        .map(|d| d.causes.as_slice())
        .unwrap_or_default();
    causes
        .iter()
        .filter(|c| c.reason == "DisruptionBudget")
        .chain(std::iter::empty())
        .find_map(|c| {
            c.message
                .strip_prefix("The disruption budget ")
                .and_then(|rest| rest.split_whitespace().next())
                .map(str::to_string)
        })
}

/// The one-line summary: "evicted 3, blocked 1 (pdb web-pdb), skipped 2".
pub fn summary(results: &[(PodRef, Evicted)], skipped: usize) -> String {
    let evicted = results.iter().filter(|(_, r)| *r == Evicted::Done).count();
    let pdbs: BTreeSet<String> = results
        .iter()
        .filter_map(|(_, r)| match r {
            Evicted::Blocked(p) => Some(p.clone().unwrap_or_else(|| "unnamed".into())),
            _ => None,
        })
        .collect();
    let blocked = results
        .iter()
        .filter(|(_, r)| matches!(r, Evicted::Blocked(_)))
        .count();
    let failed = results
        .iter()
        .filter(|(_, r)| matches!(r, Evicted::Failed(_)))
        .count();
    let mut out = format!("evicted {evicted}, blocked {blocked}");
    if !pdbs.is_empty() {
        let list: Vec<String> = pdbs.into_iter().collect();
        out.push_str(&format!(" (pdb {})", list.join(", ")));
    }
    out.push_str(&format!(", skipped {skipped}"));
    if failed > 0 {
        out.push_str(&format!(", failed {failed}"));
    }
    out
}

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

fn listing(results: &[(PodRef, Evicted)], skipped: &[(PodRef, String)], dry: bool) -> Vec<String> {
    let verb = if dry { "would be evicted" } else { "evicted" };
    let mut out: Vec<String> = results
        .iter()
        .map(|(p, r)| match r {
            Evicted::Done => format!("{}: {verb}", p.label()),
            Evicted::Blocked(Some(pdb)) => {
                format!("{}: blocked by PodDisruptionBudget {pdb}", p.label())
            }
            Evicted::Blocked(None) => format!("{}: blocked by a PodDisruptionBudget", p.label()),
            Evicted::Failed(why) => format!("{}: eviction failed: {why}", p.label()),
        })
        .collect();
    out.extend(
        skipped
            .iter()
            .map(|(p, why)| format!("{}: skipped, {why}", p.label())),
    );
    out
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

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(owner: Option<&str>, extra: Value) -> Value {
        let mut p = json!({"metadata": {"name": "p", "namespace": "shop"}, "spec": {}});
        if let Some(kind) = owner {
            p["metadata"]["ownerReferences"] =
                json!([{"kind": kind, "name": "o", "uid": "u", "controller": true}]);
        }
        if let Some(obj) = extra.as_object() {
            for (k, v) in obj {
                p["spec"][k] = v.clone();
            }
        }
        p
    }

    #[test]
    fn drain_skips_daemonset_mirror_bare_and_emptydir_pods_like_kubectl() {
        assert_eq!(
            fate(&pod(Some("ReplicaSet"), json!({})), false),
            Fate::Evict
        );
        assert!(
            matches!(fate(&pod(Some("DaemonSet"), json!({})), false), Fate::Skip(w) if w.contains("DaemonSet"))
        );
        assert!(
            matches!(fate(&pod(None, json!({})), false), Fate::Skip(w) if w.contains("not managed"))
        );
        let mut mirror = pod(None, json!({}));
        mirror["metadata"]["annotations"] = json!({"kubernetes.io/config.mirror": "abc"});
        assert!(matches!(fate(&mirror, false), Fate::Skip(w) if w.contains("mirror")));
        let scratch = pod(
            Some("ReplicaSet"),
            json!({"volumes": [{"name": "t", "emptyDir": {}}]}),
        );
        assert!(matches!(fate(&scratch, false), Fate::Skip(w) if w.contains("emptyDir")));
        assert_eq!(fate(&scratch, true), Fate::Evict);
    }

    #[test]
    fn the_summary_counts_evicted_blocked_with_pdb_and_skipped() {
        let p = |n: &str| PodRef {
            namespace: "shop".into(),
            name: n.into(),
        };
        let results = vec![
            (p("a"), Evicted::Done),
            (p("b"), Evicted::Blocked(Some("web-pdb".into()))),
            (p("c"), Evicted::Done),
        ];
        assert_eq!(
            summary(&results, 2),
            "evicted 2, blocked 1 (pdb web-pdb), skipped 2"
        );
        let failed = vec![(p("d"), Evicted::Failed("boom".into()))];
        assert_eq!(
            summary(&failed, 0),
            "evicted 0, blocked 0, skipped 0, failed 1"
        );
    }

    #[test]
    fn the_blocking_pdb_is_read_from_the_status_causes() {
        let status: kube::core::Status = serde_json::from_value(json!({
            "code": 429, "reason": "TooManyRequests",
            "message": "Cannot evict pod as it would violate the pod's disruption budget.",
            "details": {"causes": [{"reason": "DisruptionBudget",
                "message": "The disruption budget web-pdb needs 2 healthy pods and has 2 currently"}]}
        }))
        .expect("status");
        assert_eq!(blocking_pdb(&status).as_deref(), Some("web-pdb"));
    }
}
