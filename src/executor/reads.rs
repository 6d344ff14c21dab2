//! Read actions: get, describe, logs, events, failing, diagnose, auth can-i; `top` and
//! `rollout status|history` live in their own modules.
//!
//! `get` is in `get.rs`. Everything returned is redacted (Secret data, env values, token
//! patterns).

use k8s_openapi::api::authorization::v1::{
    ResourceAttributes, SelfSubjectAccessReview, SelfSubjectAccessReviewSpec,
};
use k8s_openapi::api::core::v1::{Event, Pod};
use kube::api::{Api, ListParams, LogParams, PostParams};
use serde_json::Value;

use super::resolve::{KindCache, Resolved};
use super::table::{MAX_ROWS, Text};
use super::writes::Call;
use super::{ExecError, Target};
use crate::actions::{Action, ObjectRef, Scope};
use crate::redact;

/// Log lines shown when the request names no `--tail`.
const DEFAULT_TAIL: i64 = 200;

/// Runs one read action.
pub async fn run(
    client: &kube::Client,
    kinds: &KindCache,
    action: &Action,
) -> Result<String, ExecError> {
    match action {
        Action::Get {
            resource,
            name,
            scope,
            selector,
            field_selector,
            output,
        } => {
            let resolved = kinds.resolve(resource).await?;
            let q = super::get::Query {
                resolved: &resolved,
                resource,
                name: name.as_deref(),
                scope,
                selector: selector.as_deref(),
                field_selector: field_selector.as_deref(),
            };
            super::get::get(client, kinds, &q, *output).await
        }
        Action::Describe {
            resource,
            name,
            namespace,
        } => describe(client, kinds, resource, name, namespace.as_deref()).await,
        Action::Logs {
            pod,
            namespace,
            container,
            tail,
            since_seconds,
            previous,
        } => {
            let lp = LogParams {
                container: container.clone(),
                tail_lines: Some(tail.map(i64::from).unwrap_or(DEFAULT_TAIL)),
                since_seconds: since_seconds.and_then(|s| i64::try_from(s).ok()),
                previous: *previous,
                limit_bytes: Some(512 * 1024),
                ..Default::default()
            };
            logs(client, pod, namespace, &lp, tail.is_none()).await
        }
        Action::Events { scope, object } => events(client, scope, object.as_ref()).await,
        Action::Failing { scope } => failing(client, scope).await,
        Action::Diagnose { name, namespace } => {
            super::diagnose::diagnose(client, name, namespace).await
        }
        Action::AuthCanI {
            verb,
            resource,
            name,
            scope,
        } => {
            let resolved = kinds.resolve(resource).await?;
            let review =
                access_review(client, verb, &resolved, name.as_deref(), scope.namespace()).await?;
            Ok(if review.allowed {
                "yes".to_string()
            } else {
                format!(
                    "no{}",
                    review.reason.map(|r| format!(" — {r}")).unwrap_or_default()
                )
            })
        }
        Action::RolloutStatus { target, namespace } => {
            super::rollout::status(client, target, namespace).await
        }
        Action::RolloutHistory { target, namespace } => {
            super::rollout::history(client, target, namespace).await
        }
        Action::Top {
            resource,
            scope,
            name,
        } => super::top::top(client, kinds, *resource, scope, name.as_deref()).await,
        write => Err(ExecError::Invalid(format!(
            "`{}` changes the cluster and must be previewed and approved",
            write.verb()
        ))),
    }
}

/// Drops fields that are noise in chat and diffs: managedFields and the last-applied blob.
pub fn strip_noise(mut value: Value) -> Value {
    if let Some(items) = value.get_mut("items").and_then(Value::as_array_mut) {
        for item in items {
            *item = strip_noise(item.take());
        }
    }
    if let Some(meta) = value.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.remove("managedFields");
        if let Some(Value::Object(ann)) = meta.get_mut("annotations") {
            ann.remove("kubectl.kubernetes.io/last-applied-configuration");
            if ann.is_empty() {
                meta.remove("annotations");
            }
        }
    }
    value
}

/// YAML text of a JSON value.
pub fn to_yaml(value: &Value) -> Result<String, ExecError> {
    serde_saphyr::to_string(value).map_err(|e| ExecError::Api(format!("cannot render YAML: {e}")))
}

async fn describe(
    client: &kube::Client,
    kinds: &KindCache,
    resource: &str,
    name: &str,
    namespace: Option<&str>,
) -> Result<String, ExecError> {
    let call = Call::new(client, kinds, resource, name, namespace, "get").await?;
    let obj = call.live().await?;
    let mut value = serde_json::to_value(&obj).map_err(|e| ExecError::Api(e.to_string()))?;
    redact::object(&mut value);
    let mut out = to_yaml(&strip_noise(value))?;
    let object = ObjectRef {
        resource: call.resolved.api.plural.clone(),
        name: name.to_string(),
    };
    let scope = call
        .target
        .namespace
        .clone()
        .map_or(Scope::Cluster, Scope::Namespace);
    out.push_str("\nEvents:\n");
    out.push_str(&events(client, &scope, Some(&object)).await?);
    Ok(out)
}

async fn logs(
    client: &kube::Client,
    pod: &str,
    namespace: &str,
    lp: &LogParams,
    defaulted_tail: bool,
) -> Result<String, ExecError> {
    let api: Api<Pod> = Api::namespaced(client.clone(), namespace);
    let target = Target {
        verb: "get".into(),
        resource: "pods/log".into(),
        name: Some(pod.into()),
        namespace: Some(namespace.into()),
        ..Default::default()
    };
    let text = match api.logs(pod, lp).await {
        Ok(text) => text,
        Err(kube::Error::Api(status)) if status.code == 400 => {
            // "container x is waiting to start", "previous terminated container not found"…
            return Ok(format!(
                "No logs for pod {pod} in {namespace} yet: {}.",
                status.message
            ));
        }
        Err(kube::Error::Api(status)) if kubelet_unreachable(status.code, &status.message) => {
            return Err(ExecError::KubeletUnreachable {
                pod: pod.into(),
                namespace: namespace.into(),
                detail: status.message.clone(),
            });
        }
        Err(e) => {
            let mut err = ExecError::from_kube(e, &target);
            if let ExecError::NotFound { resource, .. } = &mut err {
                *resource = "pods".into();
            }
            return Err(err);
        }
    };
    if text.trim().is_empty() {
        return Ok(format!(
            "Pod {pod} in {namespace} has no logs yet (its container may not have started or writes nothing)."
        ));
    }
    let mut out = redact::text(&text);
    if defaulted_tail && text.lines().count() as i64 >= DEFAULT_TAIL {
        out.push_str(&format!(
            "(last {DEFAULT_TAIL} lines; ask for more with --tail or \"last N lines\")\n"
        ));
    }
    Ok(out)
}

/// The API server proxies logs from the kubelet on the pod's node; when that node is down or
/// cut off it answers 5xx with the dial error (`dial tcp 10.0.0.5:10250: connect: no route to
/// host`, `i/o timeout`, a proxy's `502 Bad Gateway`).
fn kubelet_unreachable(code: u16, message: &str) -> bool {
    code >= 500
        && [
            ":10250",
            "dial tcp",
            "no route to host",
            "connection refused",
            "i/o timeout",
            "Bad Gateway",
        ]
        .iter()
        .any(|m| message.contains(m))
}

/// Events in a scope, optionally for one object, oldest first like kubectl.
pub async fn events(
    client: &kube::Client,
    scope: &Scope,
    object: Option<&ObjectRef>,
) -> Result<String, ExecError> {
    let api: Api<Event> = match scope {
        Scope::Namespace(ns) => Api::namespaced(client.clone(), ns),
        _ => Api::all(client.clone()),
    };
    // Like `kubectl events --for kind/name`: the name, and the kind when it is a built-in.
    let field_selector = object.map(|o| match crate::kinds::lookup(&o.resource) {
        Some(k) => format!(
            "involvedObject.kind={},involvedObject.name={}",
            k.kind, o.name
        ),
        None => format!("involvedObject.name={}", o.name),
    });
    let lp = ListParams {
        field_selector,
        limit: Some(500),
        ..Default::default()
    };
    let target = Target {
        verb: "list".into(),
        resource: "events".into(),
        namespace: scope.namespace().map(str::to_string),
        ..Default::default()
    };
    let list = api
        .list(&lp)
        .await
        .map_err(|e| ExecError::from_kube(e, &target))?;
    let mut items = list.items;
    items.sort_by_key(event_time);
    if items.is_empty() {
        return Ok("No events found.\n".into());
    }
    let mut t = Text::new(
        ["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
            .map(String::from)
            .to_vec(),
    );
    let skip = items.len().saturating_sub(MAX_ROWS);
    for e in items.iter().skip(skip) {
        t.row(vec![
            event_time(e)
                .map(|ts| ts.to_string())
                .unwrap_or_else(|| "<unknown>".into()),
            e.type_.clone().unwrap_or_default(),
            e.reason.clone().unwrap_or_default(),
            format!(
                "{}/{}",
                e.involved_object
                    .kind
                    .clone()
                    .unwrap_or_default()
                    .to_lowercase(),
                e.involved_object.name.clone().unwrap_or_default()
            ),
            redact::text(e.message.as_deref().unwrap_or("")),
        ]);
    }
    let mut out = t.render();
    if skip > 0 {
        out.push_str(&format!("({skip} older events not shown)\n"));
    }
    Ok(out)
}

fn event_time(e: &Event) -> Option<jiff::Timestamp> {
    e.last_timestamp
        .as_ref()
        .map(|t| t.0)
        .or_else(|| e.event_time.as_ref().map(|t| t.0))
        .or_else(|| e.metadata.creation_timestamp.as_ref().map(|t| t.0))
}

/// Pods that are not healthy: not Running/Succeeded, or with containers not ready / waiting.
async fn failing(client: &kube::Client, scope: &Scope) -> Result<String, ExecError> {
    let api: Api<Pod> = match scope {
        Scope::Namespace(ns) => Api::namespaced(client.clone(), ns),
        _ => Api::all(client.clone()),
    };
    let target = Target {
        verb: "list".into(),
        resource: "pods".into(),
        namespace: scope.namespace().map(str::to_string),
        ..Default::default()
    };
    let mut t = Text::new(
        ["NAMESPACE", "NAME", "READY", "STATUS", "RESTARTS"]
            .map(String::from)
            .to_vec(),
    );
    let (mut seen, mut unhealthy) = (0usize, 0usize);
    let mut lp = ListParams {
        field_selector: Some("status.phase!=Succeeded".into()),
        limit: Some(500),
        ..Default::default()
    };
    loop {
        let page = api
            .list(&lp)
            .await
            .map_err(|e| ExecError::from_kube(e, &target))?;
        for pod in &page.items {
            seen += 1;
            let h = super::diagnose::pod_health(pod);
            if !h.healthy {
                unhealthy += 1;
                t.row(vec![
                    pod.metadata.namespace.clone().unwrap_or_default(),
                    pod.metadata.name.clone().unwrap_or_default(),
                    h.ready,
                    h.status,
                    h.restarts.to_string(),
                ]);
            }
        }
        match page.metadata.continue_.filter(|c| !c.is_empty()) {
            Some(c) => lp.continue_token = Some(c),
            None => break,
        }
    }
    let place = match scope {
        Scope::Namespace(ns) => format!("in {ns}"),
        _ => "in any namespace".into(),
    };
    if unhealthy == 0 {
        return Ok(format!(
            "Nothing is failing {place}: all {seen} pods are healthy."
        ));
    }
    let mut out = format!("{unhealthy} of {seen} pods {place} are not healthy:\n");
    out.push_str(&t.render());
    if unhealthy > MAX_ROWS {
        out.push_str(&format!("… and {} more.\n", unhealthy - MAX_ROWS));
    }
    Ok(out)
}

/// The result of a SelfSubjectAccessReview made as the impersonated person.
pub struct Review {
    pub allowed: bool,
    pub reason: Option<String>,
}

/// Asks the API server whether the impersonated person may `verb` the resource.
pub async fn access_review(
    client: &kube::Client,
    verb: &str,
    resolved: &Resolved,
    name: Option<&str>,
    namespace: Option<&str>,
) -> Result<Review, ExecError> {
    let review = SelfSubjectAccessReview {
        spec: SelfSubjectAccessReviewSpec {
            resource_attributes: Some(ResourceAttributes {
                verb: Some(verb.to_string()),
                group: Some(resolved.api.group.clone()),
                resource: Some(resolved.api.plural.clone()),
                name: name.map(str::to_string),
                namespace: namespace
                    .filter(|_| resolved.namespaced)
                    .map(str::to_string),
                ..Default::default()
            }),
            ..Default::default()
        },
        ..Default::default()
    };
    let api: Api<SelfSubjectAccessReview> = Api::all(client.clone());
    let target = Target {
        verb: "create".into(),
        resource: "selfsubjectaccessreviews".into(),
        ..Default::default()
    };
    let answer = api
        .create(&PostParams::default(), &review)
        .await
        .map_err(|e| ExecError::from_kube(e, &target))?;
    let status = answer.status.unwrap_or_default();
    Ok(Review {
        allowed: status.allowed && !status.denied.unwrap_or(false),
        reason: status.reason.filter(|r| !r.is_empty()),
    })
}
