//! Write actions: preview (access review + server-side dry run + diff, as the requester),
//! capture of the prior state (for undo), and execution (only if the target is unchanged since
//! the preview).
//!
//! One file per kind of write: [`single`] (a patch or delete of one object), [`rollback`]
//! (rollout undo through ReplicaSet history), [`drain`] (cordon + evictions honouring PDBs),
//! [`apply`] (server-side apply of one or many documents) and [`job`] (a Job from a CronJob).
//! Every one sends `fieldManager=kubechat` on changes and `dryRun=All` on previews.

mod apply;
mod change;
mod drain;
mod evictions;
mod job;
mod review;
mod rollback;
mod show;
mod single;

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use rollback::current_revision as deployment_revision;
pub(super) use rollback::history as deployment_history;
pub(super) use single::Call;

use super::ExecError;
use super::resolve::{KindCache, Resolved};
use crate::actions::Action;
use crate::redact;

/// Field manager recorded in managedFields for every change kubechat makes.
pub const FIELD_MANAGER: &str = "kubechat";

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
    /// resourceVersion of the live target at preview time (for writes touching several
    /// objects, a fingerprint of all of them).
    pub version: Option<String>,
    /// The live object and the dry-run result, for policy conditions (CEL `oldObject` and
    /// `object`); never shown or stored.
    pub live: Option<serde_json::Value>,
    pub planned: Option<serde_json::Value>,
}

/// One object a write touches, as it was just before the write ran: what undo restores.
/// Stored in the ledger's `executing` entry, so it is redacted (Secret data, env values).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Captured {
    /// `apps/v1`, `v1`, …
    pub api_version: String,
    pub kind: String,
    /// The API resource (plural).
    pub resource: String,
    pub namespace: Option<String>,
    pub name: String,
    /// The live object (managedFields dropped, secrets redacted); `None` when it did not
    /// exist yet (an apply that creates it).
    pub object: Option<Value>,
}

impl Captured {
    /// A capture of `object` (redacted here) of the resolved kind.
    pub fn of(
        resolved: &Resolved,
        namespace: Option<&str>,
        name: &str,
        object: Option<Value>,
    ) -> Captured {
        let object = object.map(|v| {
            let mut v = super::reads::strip_noise(v);
            redact::object(&mut v);
            v
        });
        Captured {
            api_version: resolved.api.api_version.clone(),
            kind: resolved.api.kind.clone(),
            resource: resolved.api.plural.clone(),
            namespace: namespace.map(str::to_string),
            name: name.to_string(),
            object,
        }
    }
}

/// Previews a write as the impersonated requester.
pub async fn preview(
    client: &kube::Client,
    kinds: &KindCache,
    action: &Action,
) -> Result<WritePreview, ExecError> {
    match action {
        a if !a.is_write() => Err(not_a_write(a)),
        Action::RolloutUndo { .. } => rollback::preview(client, kinds, action).await,
        Action::Drain { .. } => drain::preview(client, kinds, action).await,
        Action::Apply { .. } => apply::preview(client, kinds, action).await,
        Action::CreateJobFromCronJob { .. } => job::preview(client, kinds, action).await,
        _ => single::preview(client, kinds, action).await,
    }
}

/// Captures what `action` is about to change (for undo), refusing if it changed since the
/// preview. Runs after approval, before the ledger's `executing` entry is written.
pub async fn capture(
    client: &kube::Client,
    kinds: &KindCache,
    action: &Action,
    expected: Option<&str>,
) -> Result<Vec<Captured>, ExecError> {
    match action {
        a if !a.is_write() => Err(not_a_write(a)),
        Action::RolloutUndo { .. } => rollback::capture(client, kinds, action, expected).await,
        Action::Drain { .. } => drain::capture(client, kinds, action, expected).await,
        Action::Apply { .. } => apply::capture(client, kinds, action, expected).await,
        Action::CreateJobFromCronJob { .. } => job::capture(client, kinds, action, expected).await,
        _ => single::capture(client, kinds, action, expected).await,
    }
}

/// Executes a write as the impersonated requester (with approvers in Impersonate-Extra).
pub async fn execute(
    client: &kube::Client,
    kinds: &KindCache,
    action: &Action,
    expected: Option<&str>,
) -> Result<String, ExecError> {
    match action {
        a if !a.is_write() => Err(not_a_write(a)),
        Action::RolloutUndo { .. } => rollback::execute(client, kinds, action, expected).await,
        Action::Drain { .. } => drain::execute(client, kinds, action, expected).await,
        Action::Apply { .. } => apply::execute(client, kinds, action, expected).await,
        Action::CreateJobFromCronJob { .. } => job::execute(client, kinds, action, expected).await,
        _ => single::execute(client, kinds, action, expected).await,
    }
}

fn not_a_write(a: &Action) -> ExecError {
    ExecError::Invalid(format!("`{}` is a read, not a write", a.verb()))
}

/// JSON of any serialisable API object.
fn to_value<T: Serialize>(obj: &T) -> Result<Value, ExecError> {
    serde_json::to_value(obj).map_err(|e| ExecError::Api(e.to_string()))
}
