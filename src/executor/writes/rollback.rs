//! `rollout undo` of a Deployment, like kubectl: the Deployment's ReplicaSets carry its
//! revision history (`deployment.kubernetes.io/revision`); rolling back copies the chosen
//! ReplicaSet's pod template (without `pod-template-hash`) into the Deployment with one JSON
//! patch, guarded by a `test` of the previewed resourceVersion.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use kube::api::{Api, ListParams, Patch, PatchParams};
use serde_json::{Value, json};

use super::review::{self, Need};
use super::show::diff;
use super::single::Call;
use super::{Captured, FIELD_MANAGER, WritePreview, to_value};
use crate::actions::{Action, WorkloadKind};
use crate::executor::resolve::KindCache;
use crate::executor::{ExecError, Target};

/// The annotation the Deployment controller numbers revisions with.
pub const REVISION: &str = "deployment.kubernetes.io/revision";

/// Annotations kubectl keeps from the Deployment instead of copying from the ReplicaSet.
const SKIPPED: [&str; 6] = [
    "kubectl.kubernetes.io/last-applied-configuration",
    REVISION,
    "deployment.kubernetes.io/revision-history",
    "deployment.kubernetes.io/desired-replicas",
    "deployment.kubernetes.io/max-replicas",
    "deprecated.deployment.rollback.to",
];

/// One revision of a Deployment: its number and pod template.
#[derive(Clone, Debug, PartialEq)]
pub struct Revision {
    pub number: u64,
    pub template: Value,
    pub annotations: BTreeMap<String, String>,
}

fn parts(action: &Action) -> Result<(&str, &str, Option<u64>), ExecError> {
    match action {
        Action::RolloutUndo {
            target,
            namespace,
            to_revision,
        } if target.kind == WorkloadKind::Deployment => {
            Ok((target.name.as_str(), namespace.as_str(), *to_revision))
        }
        Action::RolloutUndo { target, .. } => Err(ExecError::Unsupported(format!(
            "rollout undo of a {kind} is not available in kubechat yet (only Deployments keep \
             their history in ReplicaSets); use `set image {kind}/{name} …` to go back to an \
             earlier image",
            kind = target.kind,
            name = target.name
        ))),
        other => Err(ExecError::Invalid(format!(
            "`{}` is not a rollout undo",
            other.verb()
        ))),
    }
}

/// The revision a Deployment object is at (its revision annotation).
pub fn current_revision(deployment: &Value) -> Option<u64> {
    deployment["metadata"]["annotations"][REVISION]
        .as_str()
        .and_then(|r| r.parse().ok())
}

/// The Deployment's revisions, from its ReplicaSets (owned by its uid), oldest first.
pub async fn history(
    client: &kube::Client,
    namespace: &str,
    deployment: &Deployment,
) -> Result<Vec<Revision>, ExecError> {
    let api: Api<ReplicaSet> = Api::namespaced(client.clone(), namespace);
    let selector =
        crate::executor::rollout::selector_text(deployment.spec.as_ref().map(|s| &s.selector));
    let target = Target {
        verb: "list".into(),
        resource: "replicasets".into(),
        namespace: Some(namespace.to_string()),
        ..Default::default()
    };
    let list = api
        .list(&ListParams::default().labels(&selector))
        .await
        .map_err(|e| ExecError::from_kube(e, &target))?;
    let uid = deployment.metadata.uid.as_deref();
    let mut out: Vec<Revision> = list
        .items
        .into_iter()
        .filter(|rs| {
            rs.metadata
                .owner_references
                .iter()
                .flatten()
                .any(|o| Some(o.uid.as_str()) == uid)
        })
        .filter_map(|rs| {
            let annotations = rs.metadata.annotations.clone().unwrap_or_default();
            let number = annotations.get(REVISION)?.parse().ok()?;
            let template = serde_json::to_value(rs.spec?.template?).ok()?;
            Some(Revision {
                number,
                template,
                annotations,
            })
        })
        .collect();
    out.sort_by_key(|r| r.number);
    Ok(out)
}

/// Chooses the revision to go back to, like kubectl: a named one, or the newest before the
/// current one. The errors name what exists.
pub fn choose(
    name: &str,
    revisions: &[Revision],
    current: Option<u64>,
    wanted: Option<u64>,
) -> Result<Revision, ExecError> {
    let current = current.or_else(|| revisions.last().map(|r| r.number));
    let listed = || {
        revisions
            .iter()
            .map(|r| match Some(r.number) == current {
                true => format!("{} (current)", r.number),
                false => r.number.to_string(),
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let found = match wanted {
        Some(w) => revisions.iter().find(|r| r.number == w).ok_or_else(|| {
            ExecError::Invalid(format!(
                "deployment {name} has no revision {w}; its revisions are: {}",
                listed()
            ))
        })?,
        None => revisions
            .iter()
            .rev()
            .find(|r| Some(r.number) != current && current.is_none_or(|c| r.number < c))
            .ok_or_else(|| {
                ExecError::Invalid(format!(
                    "deployment {name} has no earlier revision to roll back to (revisions: {})",
                    if revisions.is_empty() {
                        "none".to_string()
                    } else {
                        listed()
                    }
                ))
            })?,
    };
    if Some(found.number) == current {
        return Err(ExecError::Invalid(format!(
            "deployment {name} is already at revision {}; nothing to roll back",
            found.number
        )));
    }
    Ok(found.clone())
}

/// The JSON patch that puts `revision`'s template into the Deployment (as kubectl does),
/// with a `test` of `version` first when given.
pub fn rollback_patch(
    live: &Value,
    revision: &Revision,
    version: Option<&str>,
) -> Result<json_patch::Patch, ExecError> {
    let mut template = revision.template.clone();
    if let Some(labels) = template["metadata"]["labels"].as_object_mut() {
        labels.remove("pod-template-hash");
    }
    let mut annotations = serde_json::Map::new();
    if let Some(live_ann) = live["metadata"]["annotations"].as_object() {
        for (k, v) in live_ann
            .iter()
            .filter(|(k, _)| SKIPPED.contains(&k.as_str()))
        {
            annotations.insert(k.clone(), v.clone());
        }
    }
    for (k, v) in revision
        .annotations
        .iter()
        .filter(|(k, _)| !SKIPPED.contains(&k.as_str()))
    {
        annotations.insert(k.clone(), json!(v));
    }
    let mut ops = Vec::new();
    if let Some(v) = version {
        ops.push(json!({"op": "test", "path": "/metadata/resourceVersion", "value": v}));
    }
    ops.push(json!({"op": "replace", "path": "/spec/template", "value": template}));
    ops.push(json!({"op": "replace", "path": "/metadata/annotations", "value": annotations}));
    serde_json::from_value(Value::Array(ops))
        .map_err(|e| ExecError::Api(format!("cannot build the rollback patch: {e}")))
}

struct Plan {
    call: Call,
    live: Value,
    revision: Revision,
    version: Option<String>,
}

async fn plan(
    client: &kube::Client,
    kinds: &KindCache,
    action: &Action,
    expected: Option<&str>,
) -> Result<Plan, ExecError> {
    let (name, namespace, wanted) = parts(action)?;
    let call = Call::new(client, kinds, "deployments", name, Some(namespace), "patch").await?;
    let live = call.unchanged(expected).await?;
    let version = live.metadata.resource_version.clone();
    let live = to_value(&live)?;
    let typed: Deployment = serde_json::from_value(live.clone())
        .map_err(|e| ExecError::Api(format!("deployment {name} is not readable: {e}")))?;
    let revisions = history(client, namespace, &typed).await?;
    let revision = choose(name, &revisions, current_revision(&live), wanted)?;
    Ok(Plan {
        call,
        live,
        revision,
        version,
    })
}

/// Previews the rollback: access review (patch the Deployment, list its ReplicaSets), a
/// dry-run patch, and the diff of the template.
pub async fn preview(
    client: &kube::Client,
    kinds: &KindCache,
    action: &Action,
) -> Result<WritePreview, ExecError> {
    let (name, namespace, _) = parts(action)?;
    let needs = [
        Need {
            verb: "patch",
            group: "apps".into(),
            resource: "deployments".into(),
            subresource: None,
            name: Some(name.to_string()),
            namespace: Some(namespace.to_string()),
        },
        Need {
            verb: "list",
            group: "apps".into(),
            resource: "replicasets".into(),
            subresource: None,
            name: None,
            namespace: Some(namespace.to_string()),
        },
    ];
    let verdict = review::check(client, &needs).await?;
    if let Some((need, reason)) = verdict.denied {
        return Ok(review::denied_preview(&need, reason));
    }
    let p = plan(client, kinds, action, None).await?;
    let dry = PatchParams {
        dry_run: true,
        field_manager: Some(FIELD_MANAGER.into()),
        ..Default::default()
    };
    let patch = rollback_patch(&p.live, &p.revision, None)?;
    let after = p
        .call
        .api
        .patch(name, &dry, &Patch::<Value>::Json(patch))
        .await
        .map_err(|e| ExecError::from_kube(e, &p.call.target))?;
    let after = to_value(&after)?;
    let replicas = p.live["spec"]["replicas"].as_i64().unwrap_or(0);
    Ok(WritePreview {
        allowed: true,
        rbac: format!("RBAC allows: {}", verdict.allowed_words),
        diff: diff(&p.live, &after)?,
        checks: vec![
            "server-side dry run: accepted (admission webhooks and policies included)".into(),
            format!(
                "rolls deployment {name} back from revision {} to revision {}",
                current_revision(&p.live).map_or_else(|| "?".into(), |r| r.to_string()),
                p.revision.number
            ),
            format!(
                "blast radius: all {replicas} pod(s) of deployment {name} will be replaced by a rolling update"
            ),
        ],
        version: p.version,
        live: Some(p.live),
        planned: Some(after),
    })
}

/// Captures the Deployment (with its revision) before the rollback.
pub async fn capture(
    client: &kube::Client,
    kinds: &KindCache,
    action: &Action,
    expected: Option<&str>,
) -> Result<Vec<Captured>, ExecError> {
    let (name, namespace, _) = parts(action)?;
    let call = Call::new(client, kinds, "deployments", name, Some(namespace), "patch").await?;
    let live = call.unchanged(expected).await?;
    Ok(vec![call.captured(Some(&live))?])
}

/// Rolls back, refusing if the Deployment changed since the preview.
pub async fn execute(
    client: &kube::Client,
    kinds: &KindCache,
    action: &Action,
    expected: Option<&str>,
) -> Result<String, ExecError> {
    let p = plan(client, kinds, action, expected).await?;
    let version = expected.or(p.version.as_deref());
    let patch = rollback_patch(&p.live, &p.revision, version)?;
    let pp = PatchParams {
        field_manager: Some(FIELD_MANAGER.into()),
        ..Default::default()
    };
    p.call
        .api
        .patch(&p.call.name, &pp, &Patch::<Value>::Json(patch))
        .await
        .map_err(|e| p.call.changed(e))?;
    Ok(format!(
        "Done: rolled deployment {} back to revision {}.",
        p.call.name, p.revision.number
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rev(n: u64, image: &str) -> Revision {
        Revision {
            number: n,
            template: json!({"metadata": {"labels": {"app": "api", "pod-template-hash": "abc"}},
                             "spec": {"containers": [{"name": "app", "image": image}]}}),
            annotations: BTreeMap::from([
                (REVISION.to_string(), n.to_string()),
                ("team".to_string(), "a".to_string()),
            ]),
        }
    }

    #[test]
    fn previous_revision_is_the_newest_before_the_current_one() {
        let revs = [rev(1, "a:1"), rev(2, "a:2"), rev(3, "a:3")];
        assert_eq!(choose("api", &revs, Some(3), None).expect("prev").number, 2);
        assert_eq!(
            choose("api", &revs, Some(3), Some(1))
                .expect("named")
                .number,
            1
        );
    }

    #[test]
    fn a_missing_revision_lists_the_ones_that_exist() {
        let revs = [rev(1, "a:1"), rev(2, "a:2")];
        let err = choose("api", &revs, Some(2), Some(7)).expect_err("no 7");
        assert_eq!(
            err.to_string(),
            "deployment api has no revision 7; its revisions are: 1, 2 (current)"
        );
        let err = choose("api", &revs[..1], Some(1), None).expect_err("nothing earlier");
        assert!(err.to_string().contains("no earlier revision"), "{err}");
        let err = choose("api", &revs, Some(2), Some(2)).expect_err("already there");
        assert!(err.to_string().contains("already at revision 2"), "{err}");
    }

    #[test]
    fn the_patch_copies_the_template_without_pod_template_hash_and_tests_the_version() {
        let live = json!({"metadata": {"annotations": {REVISION: "3", "old": "x"}}});
        let patch = rollback_patch(&live, &rev(2, "a:2"), Some("41")).expect("patch");
        let ops = serde_json::to_value(&patch).expect("json");
        assert_eq!(
            ops[0],
            json!({"op": "test", "path": "/metadata/resourceVersion", "value": "41"})
        );
        assert_eq!(ops[1]["path"], "/spec/template");
        assert_eq!(ops[1]["value"]["metadata"]["labels"], json!({"app": "api"}));
        assert_eq!(ops[1]["value"]["spec"]["containers"][0]["image"], "a:2");
        // The Deployment keeps its own revision annotation; others come from the ReplicaSet.
        assert_eq!(ops[2]["value"], json!({REVISION: "3", "team": "a"}));
    }
}
