//! `create job NAME --from=cronjob/CJ`, like kubectl: the CronJob's job template becomes a
//! Job owned by the CronJob (a controller ownerReference) and annotated
//! `cronjob.kubernetes.io/instantiate: manual`, so the CronJob controller and people can tell
//! it was started by hand.

use k8s_openapi::api::batch::v1::Job;
use kube::api::{Api, PostParams};
use serde_json::{Value, json};

use super::review::{self, Need};
use super::show::created;
use super::{Captured, FIELD_MANAGER, WritePreview, to_value};
use crate::actions::Action;
use crate::executor::resolve::KindCache;
use crate::executor::{ExecError, Target};

/// The annotation kubectl sets on a Job created from a CronJob by hand.
pub const INSTANTIATE: &str = "cronjob.kubernetes.io/instantiate";

fn parts(action: &Action) -> Result<(&str, &str, &str), ExecError> {
    match action {
        Action::CreateJobFromCronJob {
            cronjob,
            job,
            namespace,
        } => Ok((cronjob, job, namespace)),
        other => Err(ExecError::Invalid(format!(
            "`{}` is not a create job",
            other.verb()
        ))),
    }
}

/// The Job kubectl would create from `cronjob` (a live CronJob object).
pub fn job_from(cronjob: &Value, job: &str, namespace: &str) -> Result<Value, ExecError> {
    let name = cronjob["metadata"]["name"].as_str().unwrap_or_default();
    let template = &cronjob["spec"]["jobTemplate"];
    let spec = template
        .get("spec")
        .cloned()
        .ok_or_else(|| ExecError::Invalid(format!("cronjob {name} has no job template to copy")))?;
    let mut annotations = template["metadata"]["annotations"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    annotations.insert(INSTANTIATE.into(), json!("manual"));
    let labels = template["metadata"]["labels"].clone();
    let mut metadata = json!({
        "name": job,
        "namespace": namespace,
        "annotations": annotations,
        "ownerReferences": [{
            "apiVersion": "batch/v1",
            "kind": "CronJob",
            "name": name,
            "uid": cronjob["metadata"]["uid"],
            "controller": true,
            "blockOwnerDeletion": true,
        }],
    });
    if labels.is_object() {
        metadata["labels"] = labels;
    }
    Ok(json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": metadata, "spec": spec}))
}

struct Built {
    cronjob: super::single::Call,
    live: kube::api::DynamicObject,
    job: Job,
    version: Option<String>,
}

async fn build(
    client: &kube::Client,
    kinds: &KindCache,
    action: &Action,
    expected: Option<&str>,
) -> Result<Built, ExecError> {
    let (cronjob, job, namespace) = parts(action)?;
    let call = super::single::Call::new(client, kinds, "cronjobs", cronjob, Some(namespace), "get")
        .await?;
    let live = call.unchanged(expected).await?;
    let version = live.metadata.resource_version.clone();
    let body = job_from(&to_value(&live)?, job, namespace)?;
    let job: Job = serde_json::from_value(body)
        .map_err(|e| ExecError::Invalid(format!("cronjob {cronjob}'s job template: {e}")))?;
    Ok(Built {
        cronjob: call,
        live,
        job,
        version,
    })
}

fn jobs(client: &kube::Client, action: &Action) -> Result<(Api<Job>, Target), ExecError> {
    let (_, job, namespace) = parts(action)?;
    let target = Target {
        verb: "create".into(),
        resource: "jobs".into(),
        name: Some(job.to_string()),
        namespace: Some(namespace.to_string()),
        ..Default::default()
    };
    Ok((Api::namespaced(client.clone(), namespace), target))
}

/// Previews the Job: may the requester read the CronJob and create Jobs; a dry-run create.
pub async fn preview(
    client: &kube::Client,
    kinds: &KindCache,
    action: &Action,
) -> Result<WritePreview, ExecError> {
    let (cronjob, job, namespace) = parts(action)?;
    let need = |verb, resource: &str, name: Option<&str>| Need {
        verb,
        group: "batch".into(),
        resource: resource.into(),
        subresource: None,
        name: name.map(str::to_string),
        namespace: Some(namespace.to_string()),
    };
    let verdict = review::check(
        client,
        &[
            need("get", "cronjobs", Some(cronjob)),
            need("create", "jobs", None),
        ],
    )
    .await?;
    if let Some((need, reason)) = verdict.denied {
        return Ok(review::denied_preview(&need, reason));
    }
    let built = build(client, kinds, action, None).await?;
    let (api, target) = jobs(client, action)?;
    let pp = PostParams {
        dry_run: true,
        field_manager: Some(FIELD_MANAGER.into()),
    };
    let after = api
        .create(&pp, &built.job)
        .await
        .map_err(|e| ExecError::from_kube(e, &target))?;
    let after = to_value(&after)?;
    let parallel = after["spec"]["parallelism"].as_i64().unwrap_or(1);
    Ok(WritePreview {
        allowed: true,
        rbac: format!("RBAC allows: {}", verdict.allowed_words),
        diff: created(&after)?,
        checks: vec![
            "server-side dry run: the job would be created (admission webhooks and policies included)".into(),
            format!(
                "blast radius: starts job {job} now ({parallel} pod(s) at a time), outside cronjob {}'s schedule",
                built.cronjob.name
            ),
        ],
        version: built.version,
        live: None,
        planned: Some(after),
    })
}

/// A created Job has no prior state; the record keeps the CronJob it came from.
pub async fn capture(
    client: &kube::Client,
    kinds: &KindCache,
    action: &Action,
    expected: Option<&str>,
) -> Result<Vec<Captured>, ExecError> {
    let built = build(client, kinds, action, expected).await?;
    let (_, job, namespace) = parts(action)?;
    let mut out = vec![built.cronjob.captured(Some(&built.live))?];
    let jobs = crate::executor::resolve::Resolved {
        api: kube::api::ApiResource::erase::<Job>(&()),
        namespaced: true,
    };
    out.push(Captured::of(&jobs, Some(namespace), job, None));
    Ok(out)
}

/// Creates the Job, refusing if the CronJob changed since the preview.
pub async fn execute(
    client: &kube::Client,
    kinds: &KindCache,
    action: &Action,
    expected: Option<&str>,
) -> Result<String, ExecError> {
    let built = build(client, kinds, action, expected).await?;
    let (api, target) = jobs(client, action)?;
    let pp = PostParams {
        dry_run: false,
        field_manager: Some(FIELD_MANAGER.into()),
    };
    api.create(&pp, &built.job)
        .await
        .map_err(|e| ExecError::from_kube(e, &target))?;
    Ok(format!("Done: {}.", action.describe()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_job_is_owned_by_the_cronjob_and_marked_manual() {
        let cj = json!({"metadata": {"name": "report", "uid": "cj-uid"},
            "spec": {"schedule": "0 * * * *", "jobTemplate": {
                "metadata": {"labels": {"app": "report"}, "annotations": {"team": "data"}},
                "spec": {"template": {"spec": {"restartPolicy": "Never",
                    "containers": [{"name": "r", "image": "report:1"}]}}}}}});
        let job = job_from(&cj, "report-manual-1", "shop").expect("job");
        assert_eq!(job["metadata"]["name"], "report-manual-1");
        assert_eq!(job["metadata"]["annotations"][INSTANTIATE], "manual");
        assert_eq!(job["metadata"]["annotations"]["team"], "data");
        assert_eq!(job["metadata"]["labels"]["app"], "report");
        let owner = &job["metadata"]["ownerReferences"][0];
        assert_eq!(owner["kind"], "CronJob");
        assert_eq!(owner["uid"], "cj-uid");
        assert_eq!(owner["controller"], true);
        assert_eq!(
            job["spec"]["template"]["spec"]["containers"][0]["image"],
            "report:1"
        );
        let bare = json!({"metadata": {"name": "x"}, "spec": {}});
        assert!(job_from(&bare, "j", "ns").is_err());
    }
}
