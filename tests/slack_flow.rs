//! The whole Slack path: a signed `/kubechat` slash command into kubechat's axum router →
//! the app loop previews against a fake Kubernetes API (as alice) → the preview is posted in
//! a thread on a fake Slack Web API → bob clicks Approve → the deployment is patched as alice →
//! the preview is updated and the result posted in the thread.
#![cfg(feature = "slack")]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use jiff::Timestamp;
use kubechat::app::{self, App};
use kubechat::clock::Clock;
use kubechat::config::Config;
use kubechat::executor::{ClusterConn, Executor};
use kubechat::ledger::{EntryKind, Ledger};
use kubechat::telemetry::Metrics;
use kubechat_slack::verify::Verifier;
use serde_json::{Value, json};
use tower::ServiceExt;
use wiremock::matchers::{
    body_partial_json, header, method, path, query_param, query_param_is_missing,
};
use wiremock::{Mock, MockServer, Request as Seen, ResponseTemplate};

const SECRET: &str = "flow-signing-secret";
const DEPLOY: &str = "/apis/apps/v1/namespaces/prod/deployments/payment-api";

fn config(slack_api: &str) -> String {
    format!(
        r#"
[[clusters]]
name = "prod-eu"
production_namespaces = ["prod"]

[[identities]]
platform = "slack"
user = "U2147483697"
kube_user = "alice@example.com"
groups = ["payments-devs"]

[[identities]]
platform = "slack"
user = "UBOB"
kube_user = "bob@example.com"
groups = ["sre"]

[[channels]]
platform = "slack"
channel = "C2147483705"
cluster = "prod-eu"
namespace = "prod"

[slack]
mode = "http"
bot_token = "xoxb-flow"
signing_secret = "{SECRET}"
api_url = "{slack_api}/api"
"#
    )
}

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!("tests/fixtures/slack/{name}")).expect("fixture")
}

fn deployment(replicas: u32, rv: &str) -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "payment-api", "namespace": "prod", "resourceVersion": rv, "uid": "6c1e"},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "payment-api"}},
                 "template": {"metadata": {"labels": {"app": "payment-api"}},
                              "spec": {"containers": [{"name": "api", "image": "registry/pay:1.4.1"}]}}},
        "status": {"replicas": 3, "readyReplicas": 3}
    })
}

async fn mount_cluster(server: &MockServer) {
    let as_alice = || {
        Mock::given(header("impersonate-user", "alice@example.com"))
            .and(header("impersonate-group", "payments-devs"))
    };
    as_alice()
        .and(method("GET"))
        .and(path(DEPLOY))
        .respond_with(ResponseTemplate::new(200).set_body_json(deployment(3, "100")))
        .mount(server)
        .await;
    as_alice()
        .and(method("POST"))
        .and(path(
            "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
        ))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
            "spec": {}, "status": {"allowed": true}})))
        .mount(server)
        .await;
    as_alice()
        .and(method("PATCH"))
        .and(path(DEPLOY))
        .and(query_param("dryRun", "All"))
        .respond_with(ResponseTemplate::new(200).set_body_json(deployment(5, "100")))
        .mount(server)
        .await;
    as_alice()
        .and(method("PATCH"))
        .and(path(DEPLOY))
        .and(query_param_is_missing("dryRun"))
        .and(header(
            "impersonate-extra-kubechat.io%2Fapprovers",
            "bob@example.com",
        ))
        .and(body_partial_json(json!({"spec": {"replicas": 5}})))
        .respond_with(ResponseTemplate::new(200).set_body_json(deployment(5, "101")))
        .expect(1)
        .mount(server)
        .await;
}

/// A fake Web API: every post gets the next ts, so the thread root and the preview differ.
async fn mount_slack(server: &MockServer) {
    let n = Arc::new(AtomicU64::new(100));
    for api in ["chat.postMessage", "chat.update", "chat.postEphemeral"] {
        let n = n.clone();
        Mock::given(method("POST"))
            .and(path(format!("/api/{api}")))
            .respond_with(move |_: &Seen| {
                let ts = format!("1700000000.000{}", n.fetch_add(1, Ordering::SeqCst));
                ResponseTemplate::new(200).set_body_json(
                    json!({"ok": true, "channel": "C2147483705", "ts": ts, "message": {}}),
                )
            })
            .mount(server)
            .await;
    }
}

/// (ts answered, body) of every call to one Web API method, in order.
async fn slack_calls(server: &MockServer, api: &str, n: usize) -> Vec<Value> {
    for _ in 0..200 {
        let got: Vec<Value> = server
            .received_requests()
            .await
            .expect("recording")
            .into_iter()
            .filter(|r| r.url.path() == format!("/api/{api}"))
            .map(|r| serde_json::from_slice(&r.body).expect("json body"))
            .collect();
        if got.len() >= n {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("Slack {api} was not called {n} times");
}

fn signed(uri: &str, body: String) -> Request<Body> {
    let ts = Timestamp::now().as_second();
    Request::post(uri)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-slack-request-timestamp", ts.to_string())
        .header(
            "x-slack-signature",
            Verifier::new(SECRET).sign(ts, body.as_bytes()),
        )
        .body(Body::from(body))
        .expect("request")
}

#[tokio::test]
async fn alice_asks_by_slash_command_bob_approves_by_button_and_the_thread_tells_the_story() {
    let (cluster, slack) = (MockServer::start().await, MockServer::start().await);
    mount_cluster(&cluster).await;
    mount_slack(&slack).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", dir.path().join("ledger.db").display());
    let ledger = Ledger::open(&url).await.expect("ledger");
    let conn = ClusterConn::new(
        "prod-eu",
        kube::Config::new(cluster.uri().parse().expect("uri")),
    )
    .expect("client");
    let config = Config::parse(&config(&slack.uri())).expect("config");
    let app = App::new(
        config,
        Executor::new(vec![conn]),
        ledger.clone(),
        Clock::starting_at("2026-11-22T10:00:00Z".parse().expect("time")),
        Metrics::default(),
    );
    let (events_tx, events_rx) = tokio::sync::mpsc::channel(64);
    let slack_config = app.config().slack.as_ref().expect("[slack]");
    let (core, routes) =
        kubechat::serve::slack::start(&app, slack_config, events_tx).expect("slack starts");
    let router = kubechat::web::router(app.clone()).merge(routes.expect("http mode routes"));
    let (_stop, shutdown) = tokio::sync::watch::channel(false);
    tokio::spawn(app::run(app.clone(), events_rx, vec![core], shutdown));

    // alice: /kubechat scale payment-api to 5 (Slack's documented payload).
    let res = router
        .clone()
        .oneshot(signed("/slack/commands", fixture("slash_command.txt")))
        .await
        .expect("response");
    assert_eq!(res.status(), StatusCode::OK, "acknowledged at once");

    let posts = slack_calls(&slack, "chat.postMessage", 2).await;
    let (root, preview) = (&posts[0], &posts[1]);
    assert!(root.get("thread_ts").is_none());
    assert_eq!(
        preview["thread_ts"], "1700000000.000100",
        "the preview is in the new thread"
    );
    let buttons = &preview["blocks"]
        .as_array()
        .expect("blocks")
        .last()
        .expect("actions")["elements"];
    let value = buttons[0]["value"].as_str().expect("approve value");
    let (plan_id, plan_hash) = value.split_once(' ').expect("plan id and hash");
    assert!(plan_id.starts_with("kc-"), "{value}");
    assert!(
        preview["blocks"]
            .to_string()
            .contains("kubectl scale deployment/payment-api -n prod --replicas=5")
    );

    // bob clicks Approve on the preview (Slack's documented block_actions payload).
    let payload = fixture("block_actions.json")
        .replace("USER_ID", "UBOB")
        .replace("PLAN_ID", plan_id)
        .replace("PLAN_HASH", plan_hash)
        .replace("MESSAGE_TS", "1700000000.000101")
        .replace("THREAD_TS", "1700000000.000100")
        .replace("CBR2V3XEX", "C2147483705");
    let compact: Value = serde_json::from_str(&payload).expect("json");
    let form = serde_urlencoded::to_string([("payload", compact.to_string())]).expect("form");
    let res = router
        .clone()
        .oneshot(signed("/slack/interactivity", form))
        .await
        .expect("response");
    assert_eq!(res.status(), StatusCode::OK);

    let updates = slack_calls(&slack, "chat.update", 1).await;
    assert_eq!(
        updates[0]["ts"], "1700000000.000101",
        "the preview message is updated"
    );
    let settled = updates[0]["blocks"].to_string();
    assert!(
        settled.contains("Executed") && settled.contains("Approved by UBOB"),
        "{settled}"
    );
    assert!(
        !settled.contains("kubechat_approve"),
        "no buttons once settled"
    );
    let posts = slack_calls(&slack, "chat.postMessage", 3).await;
    assert_eq!(
        posts[2]["thread_ts"], "1700000000.000100",
        "the result is in the thread"
    );

    let kinds: Vec<EntryKind> = ledger
        .plan_entries(plan_id)
        .await
        .expect("entries")
        .iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(
        kinds,
        vec![
            EntryKind::Planned,
            EntryKind::Previewed,
            EntryKind::Approved,
            EntryKind::Executing,
            EntryKind::Executed
        ]
    );
}
