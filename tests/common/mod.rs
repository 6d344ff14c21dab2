//! Shared harness for scenario tests against a fake API server (wiremock): an app over a
//! temporary SQLite ledger and one cluster `prod-eu` pointing at the mock server; alice
//! (payments-devs) asks, bob (sre) approves; helpers to inspect what the server received.
#![allow(dead_code)]

pub mod reads;

use jiff::Timestamp;
use kubechat::app::{App, Reply, Status};
use kubechat::clock::Clock;
use kubechat::config::Config;
use kubechat::executor::{ClusterConn, Executor};
use kubechat::ledger::{Entry, EntryKind, Ledger};
use kubechat::telemetry::Metrics;
use kubechat_chat::{Decision, Inbound, Platform, ThreadRef, UndoRequest, Verdict};
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockBuilder, MockServer, Request, ResponseTemplate};

pub const PLAN_EXTRA: &str = "impersonate-extra-kubechat.io%2Fplan-id";
pub const APPROVERS_EXTRA: &str = "impersonate-extra-kubechat.io%2Fapprovers";
pub const SSAR: &str = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews";

pub const CONFIG: &str = r#"
[[clusters]]
name = "prod-eu"
production_namespaces = ["prod"]

[[identities]]
platform = "console"
user = "alice"
kube_user = "alice@example.com"
groups = ["payments-devs"]

[[identities]]
platform = "console"
user = "bob"
kube_user = "bob@example.com"
groups = ["sre"]

[[channels]]
platform = "console"
channel = "payments"
cluster = "prod-eu"
namespace = "prod"
"#;

pub struct Harness {
    pub app: App,
    pub ledger: Ledger,
    pub server: MockServer,
    _dir: tempfile::TempDir,
}

pub async fn harness() -> Harness {
    harness_with(|conn| conn).await
}

/// The harness with its cluster connection adjusted (e.g. the discovery refresh interval).
pub async fn harness_with(tweak: impl FnOnce(ClusterConn) -> ClusterConn) -> Harness {
    let server = MockServer::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", dir.path().join("ledger.db").display());
    let ledger = Ledger::open(&url).await.expect("ledger opens");
    let kube_config = kube::Config::new(server.uri().parse().expect("uri"));
    let conn = tweak(ClusterConn::new("prod-eu", kube_config).expect("client"));
    let config = Config::parse(CONFIG).expect("config");
    let start: Timestamp = "2026-11-22T10:00:00Z".parse().expect("time");
    let app = App::new(
        config,
        Executor::new(vec![conn]),
        ledger.clone(),
        Clock::starting_at(start),
        Metrics::default(),
    );
    Harness {
        app,
        ledger,
        server,
        _dir: dir,
    }
}

pub fn thread() -> ThreadRef {
    ThreadRef {
        platform: Platform::Console,
        channel: "payments".into(),
        thread: "t1".into(),
    }
}

pub fn says(user: &str, text: &str) -> Inbound {
    Inbound {
        thread: thread(),
        user: user.into(),
        text: text.into(),
        event_id: format!("ev-{user}-{text}"),
        email: None,
    }
}

pub fn undo(user: &str, plan_id: &str) -> UndoRequest {
    UndoRequest {
        thread: thread(),
        user: user.into(),
        plan_id: plan_id.into(),
        event_id: format!("undo-{user}-{plan_id}"),
        email: None,
    }
}

/// bob approves the preview in `reply` (with the plan hash he saw).
pub async fn bob_approves(h: &Harness, reply: &Reply) -> Reply {
    assert_eq!(reply.status, Status::Preview, "{}", reply.reply);
    let plan_id = reply.plan_id.clone().expect("plan id");
    let hash = reply.card.as_ref().map(|c| c.plan_hash.clone());
    h.app
        .decide(&Decision {
            thread: thread(),
            user: "bob".into(),
            plan_id: plan_id.clone(),
            plan_hash: hash,
            verdict: Verdict::Approve,
            event_id: format!("click-bob-{plan_id}"),
            email: None,
        })
        .await
}

/// A mock that only matches requests impersonating alice with her group.
pub fn as_alice() -> MockBuilder {
    Mock::given(header("impersonate-user", "alice@example.com"))
        .and(header("impersonate-group", "payments-devs"))
}

pub fn access_review(allowed: bool) -> Value {
    json!({"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
           "spec": {}, "status": {"allowed": allowed, "reason": if allowed { "" } else { "no RBAC policy matched" }}})
}

/// Every access review alice makes is allowed (tests that assert the reviews look at the
/// received requests afterwards).
pub async fn allow_all_reviews(server: &MockServer) {
    as_alice()
        .and(method("POST"))
        .and(path(SSAR))
        .respond_with(ResponseTemplate::new(201).set_body_json(access_review(true)))
        .mount(server)
        .await;
}

/// The resource attributes of every access review received, in order.
pub async fn reviews(server: &MockServer) -> Vec<Value> {
    received(server, "POST", SSAR)
        .await
        .iter()
        .map(|r| body(r)["spec"]["resourceAttributes"].clone())
        .collect()
}

pub async fn received(server: &MockServer, m: &str, p: &str) -> Vec<Request> {
    server
        .received_requests()
        .await
        .expect("recording")
        .into_iter()
        .filter(|r| r.method.as_str() == m && r.url.path() == p)
        .collect()
}

pub fn body(r: &Request) -> Value {
    serde_json::from_slice(&r.body).unwrap_or(Value::Null)
}

pub fn query(r: &Request, key: &str) -> Option<String> {
    r.url
        .query_pairs()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

pub fn is_dry_run(r: &Request) -> bool {
    query(r, "dryRun").as_deref() == Some("All")
}

pub fn head(r: &Request, name: &str) -> Option<String> {
    r.headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// Every request carried alice's identity and the plan id; only non-dry-run changes carried
/// the approvers.
pub async fn all_as_alice(server: &MockServer) {
    for r in server.received_requests().await.expect("recording") {
        assert_eq!(
            head(&r, "impersonate-user").as_deref(),
            Some("alice@example.com"),
            "{} {}",
            r.method,
            r.url
        );
        assert!(
            head(&r, PLAN_EXTRA).is_some_and(|id| id.starts_with("kc-")),
            "{} {}",
            r.method,
            r.url
        );
    }
}

pub async fn entries(ledger: &Ledger, plan_id: &str) -> Vec<Entry> {
    ledger.plan_entries(plan_id).await.expect("entries")
}

pub async fn kinds_of(ledger: &Ledger, plan_id: &str) -> Vec<EntryKind> {
    entries(ledger, plan_id)
        .await
        .iter()
        .map(|e| e.kind)
        .collect()
}
