//! The patch or delete a single-object write sends, built from the action and the live object
//! (pure). With a resourceVersion, the patch carries it as a precondition.

use jiff::Timestamp;
use kube::api::Patch;
use serde_json::{Value, json};

use super::super::ExecError;
use crate::actions::{Action, MetaChanges, PatchType};

/// What a single-object write sends.
pub enum Change {
    Patch(Patch<Value>),
    Delete,
}

/// Builds the change for `action` from the live object. With `version`, the patch carries it
/// as a precondition (merge/strategic: metadata.resourceVersion; JSON patch: a test op).
pub fn change_for(
    action: &Action,
    live: &Value,
    version: Option<&str>,
) -> Result<Change, ExecError> {
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

pub fn container_names(live: &Value) -> Vec<String> {
    live["spec"]["template"]["spec"]["containers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["name"].as_str().map(str::to_string))
        .collect()
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
}
