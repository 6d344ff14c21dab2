//! Fixtures for read scenarios: aggregated discovery documents (`/api`, `/apis`, shaped like
//! apidiscovery.k8s.io/v2 `APIGroupDiscoveryList`), server-side `Table` pages, pods, and
//! checks of who a request was made as (the requester vs the bot's own credentials).

use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use super::{PLAN_EXTRA, head, received};

/// kubechat's Accept for a list as a server-side Table.
pub const TABLE_ACCEPT: &str = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json";

/// One resource of an aggregated discovery version.
pub fn resource(plural: &str, kind: &str, short: &[&str], namespaced: bool) -> Value {
    json!({"resource": plural, "responseKind": {"group": "", "version": "", "kind": kind},
           "scope": if namespaced { "Namespaced" } else { "Cluster" },
           "singularResource": kind.to_ascii_lowercase(), "shortNames": short,
           "verbs": ["get", "list", "watch"]})
}

/// One API group with one version serving `resources`.
pub fn group(name: &str, version: &str, resources: Vec<Value>) -> Value {
    json!({"metadata": {"name": name},
           "versions": [{"version": version, "resources": resources, "freshness": "Current"}]})
}

pub fn discovery_list(groups: Vec<Value>) -> Value {
    json!({"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2",
           "metadata": {}, "items": groups})
}

/// `/api`: the core group (a few resources are enough; built-ins resolve without discovery).
pub fn core() -> Value {
    discovery_list(vec![group(
        "",
        "v1",
        vec![
            resource("pods", "Pod", &["po"], true),
            resource("nodes", "Node", &["no"], false),
        ],
    )])
}

/// The example.com CRDs: widgets (`wd`) and cluster-scoped clusterwidgets (`cwd`).
pub fn widgets() -> Value {
    group(
        "example.com",
        "v1",
        vec![
            resource("widgets", "Widget", &["wd"], true),
            resource("clusterwidgets", "ClusterWidget", &["cwd"], false),
        ],
    )
}

pub fn metrics() -> Value {
    group(
        "metrics.k8s.io",
        "v1beta1",
        vec![
            resource("pods", "PodMetrics", &[], true),
            resource("nodes", "NodeMetrics", &[], false),
        ],
    )
}

/// Serves `/api` and `/apis` (with these groups) as aggregated discovery.
pub async fn mount_discovery(server: &MockServer, apis: Vec<Value>) {
    Mock::given(method("GET"))
        .and(path("/api"))
        .respond_with(ResponseTemplate::new(200).set_body_json(core()))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/apis"))
        .respond_with(ResponseTemplate::new(200).set_body_json(discovery_list(apis)))
        .mount(server)
        .await;
}

/// Every discovery request received (`/api` and `/apis`).
pub async fn discovery_requests(server: &MockServer) -> Vec<Request> {
    let mut all = received(server, "GET", "/api").await;
    all.extend(received(server, "GET", "/apis").await);
    all
}

/// The request was made with the bot's own credentials: no impersonation header at all,
/// asking for aggregated discovery.
pub fn assert_bot_discovery(r: &Request) {
    for (name, _) in r.headers.iter() {
        assert!(
            !name.as_str().starts_with("impersonate-"),
            "discovery must not impersonate: {} on {}",
            name,
            r.url
        );
    }
    let accept = head(r, "accept").unwrap_or_default();
    assert!(
        accept.starts_with("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"),
        "{accept}"
    );
}

/// The request was made as alice (user, group, plan id extra).
pub fn assert_as_alice(r: &Request) {
    assert_eq!(
        head(r, "impersonate-user").as_deref(),
        Some("alice@example.com"),
        "{}",
        r.url
    );
    assert_eq!(
        head(r, "impersonate-group").as_deref(),
        Some("payments-devs"),
        "{}",
        r.url
    );
    assert!(
        head(r, PLAN_EXTRA).is_some_and(|id| id.starts_with("kc-")),
        "{}",
        r.url
    );
}

/// A `meta.k8s.io/v1 Table` page of pods `first..first+n` with list metadata.
pub fn pod_table(first: usize, n: usize, cont: &str, remaining: Option<u64>) -> Value {
    let rows: Vec<Value> = (first..first + n)
        .map(|i| {
            json!({"cells": [format!("api-{i:03}"), "1/1", "Running", 0, "5d"],
                   "object": {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                              "metadata": {"name": format!("api-{i:03}"), "namespace": "prod"}}})
        })
        .collect();
    let mut meta = json!({"resourceVersion": "900", "continue": cont});
    if let Some(r) = remaining {
        meta["remainingItemCount"] = json!(r);
    }
    json!({"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": meta,
           "columnDefinitions": [
               {"name": "Name", "type": "string", "priority": 0},
               {"name": "Ready", "type": "string", "priority": 0},
               {"name": "Status", "type": "string", "priority": 0},
               {"name": "Restarts", "type": "integer", "priority": 0},
               {"name": "Age", "type": "string", "priority": 0}],
           "rows": rows})
}

/// Answers `m p` with `body` (200), only to requests impersonating alice.
pub async fn serve(server: &MockServer, m: &str, p: &str, body: Value) {
    super::as_alice()
        .and(method(m))
        .and(path(p))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(server)
        .await;
}

/// A Kubernetes `Status` error body.
pub fn status(code: u16, reason: &str, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(code).set_body_json(json!({"kind": "Status", "apiVersion": "v1",
        "metadata": {}, "status": "Failure", "message": message, "reason": reason, "code": code}))
}

/// A pod owned by ReplicaSet `rs`, with one container in the given state.
pub fn pod(name: &str, rs: &str, state: Value, restarts: i32, last: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": "prod", "uid": format!("uid-{name}"),
                     "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": rs,
                                          "uid": "rs-uid", "controller": true}]},
        "spec": {"nodeName": "n1", "containers": [{"name": "app", "image": "checkout:2"}]},
        "status": {"phase": "Running", "containerStatuses": [{"name": "app", "ready": false,
            "restartCount": restarts, "image": "checkout:2", "imageID": "", "state": state,
            "lastState": last}]}})
}

pub fn event(object: &str, kind: &str, reason: &str, at: &str, message: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Event",
        "metadata": {"name": format!("{object}.{reason}"), "namespace": "prod"},
        "involvedObject": {"kind": kind, "name": object, "namespace": "prod"},
        "reason": reason, "message": message, "type": if reason == "BackOff" { "Warning" } else { "Normal" },
        "lastTimestamp": at})
}

pub fn event_list(items: Vec<Value>) -> Value {
    json!({"apiVersion": "v1", "kind": "EventList", "metadata": {}, "items": items})
}
