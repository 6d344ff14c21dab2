//! Single-object writes (scale, restart, set image, delete, cordon/uncordon, label/annotate,
//! patch): a patch or delete of one live object, dry-run first, then run with the previewed
//! resourceVersion as a precondition so a change that lands in between is refused by the API
//! server itself.

use kube::api::{
    Api, DeleteParams, DynamicObject, ListParams, PatchParams, Preconditions, PropagationPolicy,
};
use serde_json::Value;

use super::change::{Change, change_for};
use super::review::{self, Need};
use super::show::{blast_radius, diff};
use super::{Captured, FIELD_MANAGER, WritePreview, to_value};
use crate::actions::{Action, Cascade};
use crate::executor::resolve::{KindCache, Resolved};
use crate::executor::{ExecError, Target};

/// One object a write is aimed at, with the API to reach it.
pub struct Call {
    pub api: Api<DynamicObject>,
    pub resolved: Resolved,
    pub name: String,
    pub verb: &'static str,
    pub target: Target,
}

impl Call {
    /// Resolves `resource` and builds the namespaced (or cluster-wide) API for `name`.
    pub async fn new(
        client: &kube::Client,
        kinds: &KindCache,
        resource: &str,
        name: &str,
        namespace: Option<&str>,
        verb: &'static str,
    ) -> Result<Call, ExecError> {
        let resolved = kinds.resolve(resource).await?;
        let ns = namespace.filter(|_| resolved.namespaced);
        let api = match ns {
            Some(ns) => Api::namespaced_with(client.clone(), ns, &resolved.api),
            None => Api::all_with(client.clone(), &resolved.api),
        };
        Ok(Call {
            api,
            target: Target {
                verb: verb.into(),
                resource: resolved.api.plural.clone(),
                name: Some(name.to_string()),
                namespace: ns.map(str::to_string),
                ..Default::default()
            },
            resolved,
            name: name.to_string(),
            verb,
        })
    }

    /// The permission this call needs.
    pub fn need(&self) -> Need {
        Need {
            verb: self.verb,
            group: self.resolved.api.group.clone(),
            resource: self.resolved.api.plural.clone(),
            subresource: None,
            name: Some(self.name.clone()),
            namespace: self.target.namespace.clone(),
        }
    }

    /// "Deployment api", for messages.
    pub fn label(&self) -> String {
        format!("{} {}", self.resolved.api.kind, self.name)
    }

    /// The live object; a 404 becomes "no such X — did you mean …".
    pub async fn live(&self) -> Result<DynamicObject, ExecError> {
        match self.api.get(&self.name).await {
            Ok(obj) => Ok(obj),
            Err(kube::Error::Api(status)) if status.code == 404 => Err(self.not_found().await),
            Err(e) => Err(ExecError::from_kube(e, &self.target)),
        }
    }

    /// "No such X", with close names of what exists (one bounded metadata list).
    pub async fn not_found(&self) -> ExecError {
        let names = self
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
        ExecError::NotFound {
            resource: self.resolved.api.plural.clone(),
            name: self.name.clone(),
            namespace: self.target.namespace.clone(),
            suggestions: crate::suggest::close_names(&self.name, names.iter().map(String::as_str)),
        }
    }

    /// The live object, refusing when its resourceVersion is not the previewed one.
    pub async fn unchanged(&self, expected: Option<&str>) -> Result<DynamicObject, ExecError> {
        let live = self.live().await?;
        if let Some(expected) = expected
            && live.metadata.resource_version.as_deref() != Some(expected)
        {
            return Err(ExecError::Changed(self.label()));
        }
        Ok(live)
    }

    /// The live object as captured for undo (redacted).
    pub fn captured(&self, live: Option<&DynamicObject>) -> Result<Captured, ExecError> {
        let object = live.map(to_value).transpose()?;
        Ok(Captured::of(
            &self.resolved,
            self.target.namespace.as_deref(),
            &self.name,
            object,
        ))
    }

    /// Maps a conflict at execution (the precondition failed) to "changed since the preview".
    pub fn changed(&self, e: kube::Error) -> ExecError {
        match ExecError::from_kube(e, &self.target) {
            ExecError::Conflict(_) => ExecError::Changed(self.label()),
            other => other,
        }
    }
}

async fn call_for(
    client: &kube::Client,
    kinds: &KindCache,
    action: &Action,
) -> Result<Call, ExecError> {
    let (resource, name) = action
        .target()
        .ok_or_else(|| ExecError::Invalid(format!("`{}` names no object", action.verb())))?;
    let verb = if matches!(action, Action::Delete { .. }) {
        "delete"
    } else {
        "patch"
    };
    Call::new(client, kinds, &resource, &name, action.namespace(), verb).await
}

/// The delete's options: its propagation policy always explicit (kubectl's default
/// `--cascade=background` when the action names none: owned objects such as a Deployment's
/// ReplicaSets and pods go too, without blocking the call), and the precondition.
fn delete_params(action: &Action, dry_run: bool, version: Option<&str>) -> DeleteParams {
    let cascade = match action {
        Action::Delete { cascade, .. } => *cascade,
        _ => Cascade::Background,
    };
    DeleteParams {
        dry_run,
        propagation_policy: Some(match cascade {
            Cascade::Background => PropagationPolicy::Background,
            Cascade::Foreground => PropagationPolicy::Foreground,
            Cascade::Orphan => PropagationPolicy::Orphan,
        }),
        preconditions: version.map(|v| Preconditions {
            resource_version: Some(v.to_string()),
            uid: None,
        }),
        ..Default::default()
    }
}

/// Previews a single-object write as the impersonated requester.
pub async fn preview(
    client: &kube::Client,
    kinds: &KindCache,
    action: &Action,
) -> Result<WritePreview, ExecError> {
    let call = call_for(client, kinds, action).await?;
    let verdict = review::check(client, &[call.need()]).await?;
    if let Some((need, reason)) = verdict.denied {
        return Ok(review::denied_preview(&need, reason));
    }
    let live = call.live().await?;
    let live_value = to_value(&live)?;
    let (after, mut checks) = match change_for(action, &live_value, None)? {
        Change::Patch(patch) => {
            let dry = PatchParams {
                dry_run: true,
                field_manager: Some(FIELD_MANAGER.into()),
                ..Default::default()
            };
            let after = call
                .api
                .patch(&call.name, &dry, &patch)
                .await
                .map_err(|e| ExecError::from_kube(e, &call.target))?;
            let check = "server-side dry run: accepted (admission webhooks and policies included)";
            (Some(to_value(&after)?), vec![check.to_string()])
        }
        Change::Delete => {
            call.api
                .delete(&call.name, &delete_params(action, true, None))
                .await
                .map_err(|e| ExecError::from_kube(e, &call.target))?;
            let check = "server-side dry run: the delete would be accepted";
            (None, vec![check.to_string()])
        }
    };
    checks.extend(blast_radius(action, &live_value));
    let diff = match &after {
        Some(after) => diff(&live_value, after)?,
        None => String::new(),
    };
    Ok(WritePreview {
        allowed: true,
        rbac: format!("RBAC allows: {}", verdict.allowed_words),
        diff,
        checks,
        version: live.metadata.resource_version.clone(),
        live: Some(live_value),
        planned: after,
    })
}

/// Captures the target as it is now (it must still be the previewed version).
pub async fn capture(
    client: &kube::Client,
    kinds: &KindCache,
    action: &Action,
    expected: Option<&str>,
) -> Result<Vec<Captured>, ExecError> {
    let call = call_for(client, kinds, action).await?;
    let live = call.unchanged(expected).await?;
    Ok(vec![call.captured(Some(&live))?])
}

/// Runs a single-object write, refusing if the target changed since the preview.
pub async fn execute(
    client: &kube::Client,
    kinds: &KindCache,
    action: &Action,
    expected: Option<&str>,
) -> Result<String, ExecError> {
    let call = call_for(client, kinds, action).await?;
    let live = call.unchanged(expected).await?;
    let live_value: Value = to_value(&live)?;
    let precondition = expected.or(live.metadata.resource_version.as_deref());
    match change_for(action, &live_value, precondition)? {
        Change::Patch(patch) => {
            let pp = PatchParams {
                field_manager: Some(FIELD_MANAGER.into()),
                ..Default::default()
            };
            call.api
                .patch(&call.name, &pp, &patch)
                .await
                .map_err(|e| call.changed(e))?;
        }
        Change::Delete => {
            call.api
                .delete(&call.name, &delete_params(action, false, precondition))
                .await
                .map_err(|e| call.changed(e))?;
        }
    }
    Ok(format!("Done: {}.", action.describe()))
}
