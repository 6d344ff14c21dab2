//! Write actions: preview (access review + server-side dry run + diff, as the requester) and
//! execution (only if the target is unchanged since the preview).
//!
//! Each supported write is a patch or a delete of one object, built from the action and the
//! live object. Execution sends the previewed resourceVersion as a precondition, so a change
//! that lands between our check and our call is refused by the API server itself.

use jiff::Timestamp;
use kube::api::{Api, DeleteParams, DynamicObject, ListParams, Patch, PatchParams, Preconditions};
use serde_json::{Value, json};

use super::reads::{access_review, strip_noise, to_yaml};
use super::resolve::{KindCache, Resolved};
use super::{ExecError, Target};
use crate::actions::{Action, MetaChanges, PatchType};
use crate::redact;

/// Field manager recorded in managedFields for every change kubechat makes.
pub const FIELD_MANAGER: &str = "kubechat";
/// Longest diff shown in a preview; longer ones are cut with a note.
const MAX_DIFF_LINES: usize = 80;

/// What a write would do, found out without changing anything.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WritePreview {
    /// RBAC allows the requester to make this call.
    pub allowed: bool,
    /// The access review's verdict in words.
    pub rbac: String,
    /// Unified diff of the live object against the dry-run result (noise stripped, redacted).
    pub diff: String,
    /// Blast radius and other facts a reviewer needs.
    pub checks: Vec<String>,
    /// resourceVersion of the live target at preview time.
    pub version: Option<String>,
    /// The live object and the dry-run result, for policy conditions (CEL `oldObject` and
    /// `object`); never shown or stored.
    pub live: Option<serde_json::Value>,
    pub planned: Option<serde_json::Value>,
}

struct Call {
    api: Api<DynamicObject>,
    resolved: Resolved,
    name: String,
    verb: &'static str,
    target: Target,
}

async fn call_for(
    client: &kube::Client,
    kinds: &KindCache,
    action: &Action,
) -> Result<Call, ExecError> {
    let unsupported = |what: &str| {
        Err(ExecError::Unsupported(format!(
            "kubechat can plan `{what}` but cannot run it in this release yet; use kubectl for now"
        )))
    };
    let (resource, name) = match action {
        Action::RolloutUndo { .. } => return unsupported("rollout undo"),
        Action::Drain { .. } => return unsupported("drain"),
        Action::Apply { .. } => return unsupported("apply"),
        Action::CreateJobFromCronJob { .. } => return unsupported("create job --from"),
        a if !a.is_write() => {
            return Err(ExecError::Invalid(format!(
                "`{}` is a read, not a write",
                a.verb()
            )));
        }
        a => a
            .target()
            .ok_or_else(|| ExecError::Invalid(format!("`{}` names no object", a.verb())))?,
    };
    let resolved = kinds.resolve(client, &resource).await?;
    let ns = action.namespace().filter(|_| resolved.namespaced);
    let api = match ns {
        Some(ns) => Api::namespaced_with(client.clone(), ns, &resolved.api),
        None => Api::all_with(client.clone(), &resolved.api),
    };
    let verb = if matches!(action, Action::Delete { .. }) {
        "delete"
    } else {
        "patch"
    };
    Ok(Call {
        api,
        target: Target {
            verb: verb.into(),
            resource: resolved.api.plural.clone(),
            name: Some(name.clone()),
            namespace: ns.map(str::to_string),
            ..Default::default()
        },
        resolved,
        name,
        verb,
    })
}

/// Previews a write as the impersonated requester.
pub async fn preview(
    client: &kube::Client,
    kinds: &KindCache,
    action: &Action,
) -> Result<WritePreview, ExecError> {
    let call = call_for(client, kinds, action).await?;
    let review = access_review(
        client,
        call.verb,
        &call.resolved,
        Some(&call.name),
        call.target.namespace.as_deref(),
    )
    .await?;
    let place = call
        .target
        .namespace
        .as_deref()
        .map(|ns| format!("in {ns}"))
        .unwrap_or_else(|| "cluster-wide".into());
    let what = format!("{} {} {place}", call.verb, call.resolved.api.plural);
    if !review.allowed {
        return Ok(WritePreview {
            allowed: false,
            rbac: format!(
                "RBAC denies: may not {what}{}",
                review.reason.map(|r| format!(" ({r})")).unwrap_or_default()
            ),
            ..Default::default()
        });
    }
    let live = get_live(&call).await?;
    let live_value = serde_json::to_value(&live).map_err(|e| ExecError::Api(e.to_string()))?;
    let version = live.metadata.resource_version.clone();
    let dry = PatchParams {
        dry_run: true,
        field_manager: Some(FIELD_MANAGER.into()),
        ..Default::default()
    };
    let (after, mut checks) = match change_for(action, &live_value, None)? {
        Change::Patch(patch) => {
            let after = call
                .api
                .patch(&call.name, &dry, &patch)
                .await
                .map_err(|e| ExecError::from_kube(e, &call.target))?;
            let after = serde_json::to_value(&after).map_err(|e| ExecError::Api(e.to_string()))?;
            (Some(after), Vec::new())
        }
        Change::Delete => {
            let dp = DeleteParams {
                dry_run: true,
                ..Default::default()
            };
            call.api
                .delete(&call.name, &dp)
                .await
                .map_err(|e| ExecError::from_kube(e, &call.target))?;
            (
                None,
                vec!["server-side dry run: the delete would be accepted".to_string()],
            )
        }
    };
    if after.is_some() {
        checks.push(
            "server-side dry run: accepted (admission webhooks and policies included)".into(),
        );
    }
    checks.extend(blast_radius(action, &live_value));
    let diff = match &after {
        Some(after) => diff(&live_value, after)?,
        None => String::new(),
    };
    Ok(WritePreview {
        allowed: true,
        rbac: format!("RBAC allows: may {what}"),
        diff,
        checks,
        version,
        live: Some(live_value),
        planned: after,
    })
}

/// Executes a write as the impersonated requester (with approvers in Impersonate-Extra).
pub async fn execute(
    client: &kube::Client,
    kinds: &KindCache,
    action: &Action,
    expected_version: Option<&str>,
) -> Result<String, ExecError> {
    let call = call_for(client, kinds, action).await?;
    let live = get_live(&call).await?;
    let live_version = live.metadata.resource_version.clone();
    let label = format!("{} {}", call.resolved.api.kind, call.name);
    if let Some(expected) = expected_version
        && live_version.as_deref() != Some(expected)
    {
        return Err(ExecError::Changed(label));
    }
    let live_value = serde_json::to_value(&live).map_err(|e| ExecError::Api(e.to_string()))?;
    let precondition = expected_version.or(live_version.as_deref());
    let changed = |e: kube::Error| match ExecError::from_kube(e, &call.target) {
        ExecError::Conflict(_) => ExecError::Changed(label.clone()),
        other => other,
    };
    match change_for(action, &live_value, precondition)? {
        Change::Patch(patch) => {
            let pp = PatchParams {
                field_manager: Some(FIELD_MANAGER.into()),
                ..Default::default()
            };
            call.api
                .patch(&call.name, &pp, &patch)
                .await
                .map_err(changed)?;
        }
        Change::Delete => {
            let dp = DeleteParams {
                preconditions: Some(Preconditions {
                    resource_version: precondition.map(str::to_string),
                    uid: None,
                }),
                ..Default::default()
            };
            call.api.delete(&call.name, &dp).await.map_err(changed)?;
        }
    }
    Ok(format!("Done: {}.", action.describe()))
}

async fn get_live(call: &Call) -> Result<DynamicObject, ExecError> {
    match call.api.get(&call.name).await {
        Ok(obj) => Ok(obj),
        Err(kube::Error::Api(status)) if status.code == 404 => {
            let names = call
                .api
                .list_metadata(&ListParams {
                    limit: Some(500),
                    ..Default::default()
                })
                .await
                .map(|l| {
                    l.items
                        .into_iter()
                        .filter_map(|o| o.metadata.name)
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default();
            Err(ExecError::NotFound {
                resource: call.resolved.api.plural.clone(),
                name: call.name.clone(),
                namespace: call.target.namespace.clone(),
                suggestions: crate::suggest::close_names(
                    &call.name,
                    names.iter().map(String::as_str),
                ),
            })
        }
        Err(e) => Err(ExecError::from_kube(e, &call.target)),
    }
}

enum Change {
    Patch(Patch<Value>),
    Delete,
}

/// Builds the change for `action` from the live object. With `version`, the patch carries it
/// as a precondition (merge/strategic: metadata.resourceVersion; JSON patch: a test op).
fn change_for(action: &Action, live: &Value, version: Option<&str>) -> Result<Change, ExecError> {
    let with_version = |mut body: Value| {
        if let (Some(v), Some(obj)) = (version, body.as_object_mut()) {
            let meta = obj.entry("metadata").or_insert_with(|| json!({}));
            meta["resourceVersion"] = json!(v);
        }
        body
    };
    Ok(match action {
        Action::Scale { replicas, .. } => Change::Patch(Patch::Merge(with_version(
            json!({"spec": {"replicas": replicas}}),
        ))),
        Action::RolloutRestart { .. } => Change::Patch(Patch::Strategic(with_version(json!({
            "spec": {"template": {"metadata": {"annotations": {
                "kubectl.kubernetes.io/restartedAt": Timestamp::now().to_string()
            }}}}
        })))),
        Action::SetImage {
            container,
            image,
            target,
            ..
        } => {
            let names = container_names(live);
            let chosen: Vec<&str> = match container {
                Some(c) if names.iter().any(|n| n == c) => vec![c.as_str()],
                Some(c) => {
                    return Err(ExecError::Invalid(format!(
                        "{} {} has no container {c:?}; its containers are: {}",
                        target.kind,
                        target.name,
                        names.join(", ")
                    )));
                }
                None => names.iter().map(String::as_str).collect(),
            };
            let containers: Vec<Value> = chosen
                .iter()
                .map(|n| json!({"name": n, "image": image}))
                .collect();
            Change::Patch(Patch::Strategic(with_version(
                json!({"spec": {"template": {"spec": {"containers": containers}}}}),
            )))
        }
        Action::Delete { .. } => Change::Delete,
        Action::Cordon { .. } => Change::Patch(Patch::Merge(with_version(
            json!({"spec": {"unschedulable": true}}),
        ))),
        Action::Uncordon { .. } => Change::Patch(Patch::Merge(with_version(
            json!({"spec": {"unschedulable": null}}),
        ))),
        Action::Label { changes, .. } => Change::Patch(Patch::Merge(with_version(meta_patch(
            "labels", live, changes,
        )?))),
        Action::Annotate { changes, .. } => Change::Patch(Patch::Merge(with_version(meta_patch(
            "annotations",
            live,
            changes,
        )?))),
        Action::Patch {
            patch_type, patch, ..
        } => {
            let body: Value = serde_json::from_str(patch)
                .map_err(|e| ExecError::Invalid(format!("the patch is not valid JSON: {e}")))?;
            match patch_type {
                PatchType::Merge => Change::Patch(Patch::Merge(with_version(body))),
                PatchType::Strategic => Change::Patch(Patch::Strategic(with_version(body))),
                PatchType::Json => {
                    let mut ops = body.as_array().cloned().ok_or_else(|| {
                        ExecError::Invalid("a JSON patch must be an array of operations".into())
                    })?;
                    if let Some(v) = version {
                        ops.insert(
                            0,
                            json!({"op": "test", "path": "/metadata/resourceVersion", "value": v}),
                        );
                    }
                    let patch: json_patch::Patch = serde_json::from_value(Value::Array(ops))
                        .map_err(|e| ExecError::Invalid(format!("invalid JSON patch: {e}")))?;
                    Change::Patch(Patch::Json(patch))
                }
            }
        }
        other => {
            return Err(ExecError::Unsupported(format!(
                "kubechat cannot run `{}` in this release yet",
                other.verb()
            )));
        }
    })
}

fn meta_patch(field: &str, live: &Value, changes: &MetaChanges) -> Result<Value, ExecError> {
    let current = &live["metadata"][field];
    let mut map = serde_json::Map::new();
    for (k, v) in &changes.set {
        if let Some(old) = current[k].as_str()
            && old != v
            && !changes.overwrite
        {
            return Err(ExecError::Invalid(format!(
                "{k:?} already has a value ({old:?}); say --overwrite to replace it"
            )));
        }
        map.insert(k.clone(), json!(v));
    }
    for k in &changes.remove {
        map.insert(k.clone(), Value::Null);
    }
    Ok(json!({"metadata": {field: map}}))
}

fn container_names(live: &Value) -> Vec<String> {
    live["spec"]["template"]["spec"]["containers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["name"].as_str().map(str::to_string))
        .collect()
}

/// What else the change touches, in words.
fn blast_radius(action: &Action, live: &Value) -> Vec<String> {
    let replicas = live["spec"]["replicas"].as_i64();
    match action {
        Action::Scale {
            replicas: want,
            target,
            ..
        } => {
            let was = replicas.unwrap_or(0);
            let want = i64::from(*want);
            let effect = match want.cmp(&was) {
                std::cmp::Ordering::Greater => format!("{} pod(s) will be added", want - was),
                std::cmp::Ordering::Less => format!("{} pod(s) will be removed", was - want),
                std::cmp::Ordering::Equal => "no change in pods".to_string(),
            };
            vec![format!(
                "blast radius: {} {} replicas {was} → {want}: {effect}",
                target.kind, target.name
            )]
        }
        Action::RolloutRestart { target, .. } | Action::SetImage { target, .. } => vec![format!(
            "blast radius: all {} pod(s) of {} {} will be replaced by a rolling update",
            replicas.map_or_else(|| "its".to_string(), |r| r.to_string()),
            target.kind,
            target.name
        )],
        Action::Delete { resource, name, .. } => {
            let owner = live["metadata"]["ownerReferences"][0]["kind"].as_str();
            let mut out = vec![format!("blast radius: deletes {resource} {name}")];
            if let Some(r) = replicas {
                out.push(format!("its {r} pod(s) will be deleted with it"));
            }
            if let Some(owner) = owner {
                out.push(format!(
                    "it is owned by a {owner}, which will likely recreate it"
                ));
            }
            out
        }
        Action::Cordon { node } => vec![format!(
            "blast radius: no new pods will be scheduled on node {node}; running pods stay"
        )],
        Action::Uncordon { node } => {
            vec![format!("blast radius: node {node} accepts new pods again")]
        }
        _ => vec!["blast radius: the change shown in the diff".into()],
    }
}

/// Unified diff of two objects' YAML, noise stripped and secrets redacted.
fn diff(before: &Value, after: &Value) -> Result<String, ExecError> {
    let clean = |v: &Value| -> Result<String, ExecError> {
        let mut v = strip_noise(v.clone());
        if let Some(obj) = v.as_object_mut() {
            obj.remove("status");
        }
        if let Some(meta) = v.get_mut("metadata").and_then(Value::as_object_mut) {
            for k in ["resourceVersion", "generation", "creationTimestamp", "uid"] {
                meta.remove(k);
            }
        }
        redact::object(&mut v);
        to_yaml(&v)
    };
    let (a, b) = (clean(before)?, clean(after)?);
    let text = similar::TextDiff::from_lines(&a, &b)
        .unified_diff()
        .context_radius(2)
        .header("live", "after")
        .to_string();
    let lines: Vec<&str> = text.lines().collect();
    if lines.len() <= MAX_DIFF_LINES {
        return Ok(text);
    }
    let mut out = lines[..MAX_DIFF_LINES].join("\n");
    out.push_str(&format!(
        "\n… diff cut: {} more lines not shown\n",
        lines.len() - MAX_DIFF_LINES
    ));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::{ObjectRef, Workload, WorkloadKind};

    fn deployment() -> Value {
        json!({"metadata": {"name": "api", "labels": {"team": "a"}, "resourceVersion": "7"},
               "spec": {"replicas": 3, "template": {"spec": {"containers": [
                   {"name": "app", "image": "app:1"}, {"name": "proxy", "image": "envoy:1"}]}}}})
    }

    fn patch_body(c: Change) -> Value {
        match c {
            Change::Patch(Patch::Merge(v) | Patch::Strategic(v)) => v,
            _ => panic!("expected a merge/strategic patch"),
        }
    }

    #[test]
    fn scale_patches_replicas_with_the_previewed_version() {
        let a = Action::Scale {
            target: Workload {
                kind: WorkloadKind::Deployment,
                name: "api".into(),
            },
            namespace: "prod".into(),
            replicas: 5,
        };
        let body = patch_body(change_for(&a, &deployment(), Some("7")).expect("patch"));
        assert_eq!(
            body,
            json!({"spec": {"replicas": 5}, "metadata": {"resourceVersion": "7"}})
        );
    }

    #[test]
    fn set_image_without_container_sets_every_container() {
        let a = Action::SetImage {
            target: Workload {
                kind: WorkloadKind::Deployment,
                name: "api".into(),
            },
            namespace: "prod".into(),
            container: None,
            image: "app:2".into(),
        };
        let body = patch_body(change_for(&a, &deployment(), None).expect("patch"));
        assert_eq!(
            body["spec"]["template"]["spec"]["containers"],
            json!([{"name": "app", "image": "app:2"}, {"name": "proxy", "image": "app:2"}])
        );
    }

    #[test]
    fn set_image_of_a_missing_container_names_the_real_ones() {
        let a = Action::SetImage {
            target: Workload {
                kind: WorkloadKind::Deployment,
                name: "api".into(),
            },
            namespace: "prod".into(),
            container: Some("web".into()),
            image: "app:2".into(),
        };
        let Err(e) = change_for(&a, &deployment(), None) else {
            panic!("must fail")
        };
        assert!(e.to_string().contains("app, proxy"), "{e}");
    }

    #[test]
    fn labels_need_overwrite_to_change_a_value() {
        let mut changes = MetaChanges::default();
        changes.set.insert("team".into(), "b".into());
        let a = Action::Label {
            target: ObjectRef {
                resource: "deployments".into(),
                name: "api".into(),
            },
            namespace: Some("prod".into()),
            changes: changes.clone(),
        };
        assert!(change_for(&a, &deployment(), None).is_err());
        changes.overwrite = true;
        changes.remove.push("old".into());
        let a = Action::Label {
            target: ObjectRef {
                resource: "deployments".into(),
                name: "api".into(),
            },
            namespace: Some("prod".into()),
            changes,
        };
        let body = patch_body(change_for(&a, &deployment(), None).expect("patch"));
        assert_eq!(
            body,
            json!({"metadata": {"labels": {"team": "b", "old": null}}})
        );
    }

    #[test]
    fn diffs_hide_noise_and_show_the_change() {
        let before = deployment();
        let mut after = deployment();
        after["spec"]["replicas"] = json!(5);
        after["metadata"]["resourceVersion"] = json!("8");
        let d = diff(&before, &after).expect("diff");
        assert!(d.contains("-  replicas: 3"), "{d}");
        assert!(d.contains("+  replicas: 5"), "{d}");
        assert!(!d.contains("resourceVersion"), "{d}");
    }
}
