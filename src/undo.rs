//! Undo (pure): the inverse of an executed plan, built from the prior state captured in the
//! ledger just before it ran ([`Captured`]). The inverse is an ordinary [`Plan`] of typed
//! actions that goes through the same preview → policy → approval path as any request.
//!
//! What can be undone, and how: scale → the previous replica count; set image → the previous
//! image of each container; label/annotate → the previous values (removing keys that did not
//! exist); restart and rollout undo of a Deployment → rollout undo to the captured revision;
//! cordon ↔ uncordon; an apply that created objects → delete them; a delete → re-create the
//! object from its captured state minus server-set fields. Everything else answers why not.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::actions::{Action, MetaChanges, Plan, PlanSource, WorkloadKind};
use crate::executor::Captured;
use crate::redact::MASK;

/// Why a plan cannot be undone, in words for the person who asked.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct NotUndoable(pub String);

fn no(text: impl Into<String>) -> NotUndoable {
    NotUndoable(text.into())
}

/// The plan that reverts `plan` (id `plan_id`), given what each action changed (`prior`, in
/// the same order as the actions). Actions are reverted last-first.
pub fn inverse_plan(
    plan_id: &str,
    plan: &Plan,
    prior: &[Vec<Captured>],
) -> Result<Plan, NotUndoable> {
    if prior.len() != plan.actions.len() {
        return Err(no(format!(
            "plan {plan_id} has no recorded prior state for every action, so it cannot be undone safely"
        )));
    }
    let mut actions = Vec::new();
    for (action, captured) in plan.actions.iter().zip(prior).rev() {
        actions.extend(inverse(action, captured)?);
    }
    Ok(Plan {
        cluster: plan.cluster.clone(),
        actions,
        source: PlanSource::Undo {
            of: plan_id.to_string(),
        },
        explicit_cluster: plan.explicit_cluster,
        explicit_namespace: plan.explicit_namespace,
    })
}

/// The actions that revert one executed action.
pub fn inverse(action: &Action, captured: &[Captured]) -> Result<Vec<Action>, NotUndoable> {
    let object = || {
        captured
            .first()
            .and_then(|c| c.object.as_ref())
            .ok_or_else(|| no("its prior state was not recorded"))
    };
    Ok(match action {
        Action::Scale {
            target, namespace, ..
        } => {
            let was = object()?["spec"]["replicas"].as_u64().unwrap_or(1);
            vec![Action::Scale {
                target: target.clone(),
                namespace: namespace.clone(),
                replicas: u32::try_from(was)
                    .map_err(|_| no("its replica count is out of range"))?,
            }]
        }
        Action::SetImage {
            target,
            namespace,
            container,
            ..
        } => previous_images(object()?, container.as_deref())?
            .into_iter()
            .map(|(name, image)| Action::SetImage {
                target: target.clone(),
                namespace: namespace.clone(),
                container: Some(name),
                image,
            })
            .collect(),
        Action::RolloutRestart { target, namespace }
        | Action::RolloutUndo {
            target, namespace, ..
        } => {
            if target.kind != WorkloadKind::Deployment {
                return Err(no(format!(
                    "a restart of a {} replaced its pods; only Deployments keep a revision history kubechat can roll back to",
                    target.kind
                )));
            }
            let revision = crate::executor::deployment_revision(object()?)
                .ok_or_else(|| no("the deployment had no revision number recorded"))?;
            vec![Action::RolloutUndo {
                target: target.clone(),
                namespace: namespace.clone(),
                to_revision: Some(revision),
            }]
        }
        Action::Label {
            target,
            namespace,
            changes,
        } => vec![Action::metadata(
            true,
            target.clone(),
            namespace.clone(),
            previous_meta(&object()?["metadata"]["labels"], changes),
        )],
        Action::Annotate {
            target,
            namespace,
            changes,
        } => vec![Action::metadata(
            false,
            target.clone(),
            namespace.clone(),
            previous_meta(&object()?["metadata"]["annotations"], changes),
        )],
        Action::Cordon { node } | Action::Uncordon { node } => {
            let was_cordoned = object()?["spec"]["unschedulable"] == Value::Bool(true);
            match (action, was_cordoned) {
                (Action::Cordon { .. }, false) => vec![Action::Uncordon { node: node.clone() }],
                (Action::Uncordon { .. }, true) => vec![Action::Cordon { node: node.clone() }],
                _ => {
                    return Err(no(format!(
                        "node {node} was already in that state; nothing changed"
                    )));
                }
            }
        }
        Action::Apply { .. } => undo_apply(captured)?,
        Action::Delete { .. } => vec![recreate(object()?, captured)?],
        Action::Drain { node, .. } => {
            return Err(no(format!(
                "a drain evicted pods, which were rescheduled elsewhere and cannot be put back; to let pods onto node {node} again, ask to uncordon it"
            )));
        }
        Action::CreateJobFromCronJob { job, .. } => {
            return Err(no(format!(
                "a job that started cannot be un-run; ask to delete job {job} if you want it gone"
            )));
        }
        Action::Patch { .. } => {
            return Err(no(
                "kubechat does not compute the inverse of an arbitrary patch; ask for the change back as a new patch",
            ));
        }
        read => {
            return Err(no(format!(
                "`{}` is a read; it changed nothing",
                read.verb()
            )));
        }
    })
}

fn previous_images(
    object: &Value,
    container: Option<&str>,
) -> Result<Vec<(String, String)>, NotUndoable> {
    let out: Vec<(String, String)> = object["spec"]["template"]["spec"]["containers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| {
            Some((
                c["name"].as_str()?.to_string(),
                c["image"].as_str()?.to_string(),
            ))
        })
        .filter(|(name, _)| container.is_none_or(|want| want == name))
        .collect();
    if out.is_empty() {
        return Err(no("the previous images were not recorded"));
    }
    Ok(out)
}

fn previous_meta(before: &Value, changes: &MetaChanges) -> MetaChanges {
    let mut set = BTreeMap::new();
    let mut remove = Vec::new();
    for key in changes.set.keys().chain(changes.remove.iter()) {
        match before[key].as_str() {
            Some(v) => {
                set.insert(key.clone(), v.to_string());
            }
            None => remove.push(key.clone()),
        }
    }
    MetaChanges {
        set,
        remove,
        overwrite: true,
    }
}

fn undo_apply(captured: &[Captured]) -> Result<Vec<Action>, NotUndoable> {
    if let Some(existing) = captured.iter().find(|c| c.object.is_some()) {
        return Err(no(format!(
            "the apply changed {} {}, which existed before; kubechat only undoes applies that created objects (ask for the earlier manifest to be applied instead)",
            existing.kind.to_lowercase(),
            existing.name
        )));
    }
    Ok(captured
        .iter()
        .rev()
        .map(|c| Action::Delete {
            resource: c.resource.clone(),
            name: c.name.clone(),
            namespace: c.namespace.clone(),
            cascade: Default::default(),
        })
        .collect())
}

/// An Apply that re-creates a deleted object from its captured state.
fn recreate(object: &Value, captured: &[Captured]) -> Result<Action, NotUndoable> {
    let c = &captured[0];
    if c.kind == "Secret" {
        return Err(no(
            "Secret data is never recorded by kubechat, so a deleted Secret cannot be re-created",
        ));
    }
    if let Some(owner) = object["metadata"]["ownerReferences"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|o| o["controller"] == Value::Bool(true))
    {
        return Err(no(format!(
            "{} {} was owned by {} {}, which re-creates it by itself",
            c.kind.to_lowercase(),
            c.name,
            owner["kind"]
                .as_str()
                .unwrap_or("a controller")
                .to_lowercase(),
            owner["name"].as_str().unwrap_or_default()
        )));
    }
    if object.to_string().contains(MASK) {
        return Err(no(format!(
            "{} {}'s recorded state has secret values (env values) redacted, so it cannot be re-created faithfully",
            c.kind.to_lowercase(),
            c.name
        )));
    }
    let manifest = serde_saphyr::to_string(&without_server_fields(object.clone(), c))
        .map_err(|e| no(format!("its recorded state cannot be rendered: {e}")))?;
    Ok(Action::Apply {
        manifest,
        namespace: c.namespace.clone().unwrap_or_else(|| "default".into()),
    })
}

/// The object as a person would have written it: no status, ids, versions or server-chosen
/// values that would make re-creating it fail (cluster IPs, a pod's node).
pub fn without_server_fields(mut object: Value, c: &Captured) -> Value {
    if let Some(map) = object.as_object_mut() {
        map.remove("status");
        map.insert("apiVersion".into(), Value::String(c.api_version.clone()));
        map.insert("kind".into(), Value::String(c.kind.clone()));
    }
    if let Some(meta) = object["metadata"].as_object_mut() {
        for k in [
            "uid",
            "resourceVersion",
            "creationTimestamp",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "generation",
            "managedFields",
            "selfLink",
        ] {
            meta.remove(k);
        }
    }
    if let Some(spec) = object["spec"].as_object_mut() {
        match c.kind.as_str() {
            "Service" => {
                spec.remove("clusterIP");
                spec.remove("clusterIPs");
            }
            "Pod" => {
                spec.remove("nodeName");
            }
            "PersistentVolumeClaim" => {
                spec.remove("volumeName");
            }
            _ => {}
        }
    }
    object
}

#[cfg(test)]
mod tests;
