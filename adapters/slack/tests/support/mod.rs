//! Shared test fixtures: a fake Slack Web API (wiremock), signed requests, the adapter wired
//! to channels the test reads and writes.
#![allow(dead_code)]

use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::Request;
use kubechat_chat::{AdapterEvent, CoreLink, Platform, link};
use kubechat_slack::verify::Verifier;
use kubechat_slack::{Mode, Settings, Slack};
use serde_json::{Value, json};
use tokio::sync::mpsc;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

pub const SECRET: &str = "test-signing-secret";

pub fn fixture(name: &str) -> String {
    let path = format!(
        "{}/../../tests/fixtures/slack/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

pub struct Harness {
    pub slack: MockServer,
    pub router: axum::Router,
    pub events: mpsc::Receiver<AdapterEvent>,
    pub core: CoreLink,
    pub rejected: Arc<Mutex<Vec<&'static str>>>,
}

pub fn settings(api: &MockServer, allow_email_mapping: bool) -> Settings {
    Settings {
        mode: Mode::Http,
        bot_token: "xoxb-test".into(),
        app_token: None,
        signing_secret: Some(SECRET.into()),
        allow_email_mapping,
        api_url: Some(format!("{}/api", api.uri())),
    }
}

/// The adapter in HTTP mode against a fake Web API that answers every post with `ts`.
pub async fn harness(allow_email_mapping: bool) -> Harness {
    let slack = MockServer::start().await;
    mount_ok(&slack, "chat.postMessage", "1700000000.000100").await;
    mount_ok(&slack, "chat.update", "1700000000.000100").await;
    mount_ok(&slack, "chat.postEphemeral", "1700000000.000200").await;
    let (tx, events) = mpsc::channel(16);
    let (adapter, core) = link(Platform::Slack, tx);
    let adapter = Slack::new(settings(&slack, allow_email_mapping), adapter).expect("adapter");
    let rejected = Arc::new(Mutex::new(Vec::new()));
    let sink = rejected.clone();
    let router = adapter
        .router(Arc::new(move |r| sink.lock().expect("lock").push(r)))
        .expect("http mode mounts routes");
    tokio::spawn(adapter.run());
    Harness {
        slack,
        router,
        events,
        core,
        rejected,
    }
}

pub async fn mount_ok(server: &MockServer, api_method: &str, ts: &str) {
    Mock::given(method("POST"))
        .and(path(format!("/api/{api_method}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "ok": true, "channel": "C2147483705", "ts": ts, "message": {"text": "", "ts": ts}
        })))
        .mount(server)
        .await;
}

pub fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}

/// A request signed the way Slack signs it.
pub fn signed(uri: &str, body: &str, ts: i64, secret: &str, content_type: &str) -> Request<Body> {
    let signature = Verifier::new(secret).sign(ts, body.as_bytes());
    Request::post(uri)
        .header("content-type", content_type)
        .header("x-slack-request-timestamp", ts.to_string())
        .header("x-slack-signature", signature)
        .body(Body::from(body.to_string()))
        .expect("request")
}

pub fn json_request(uri: &str, body: &str) -> Request<Body> {
    signed(uri, body, now(), SECRET, "application/json")
}

pub fn form_request(uri: &str, body: &str) -> Request<Body> {
    signed(
        uri,
        body,
        now(),
        SECRET,
        "application/x-www-form-urlencoded",
    )
}

/// An interactivity form body for the block_actions fixture with the placeholders filled.
pub fn click(user: &str, plan_id: &str, hash: &str, message_ts: &str, thread_ts: &str) -> String {
    let payload = fixture("block_actions.json")
        .replace("USER_ID", user)
        .replace("PLAN_ID", plan_id)
        .replace("PLAN_HASH", hash)
        .replace("MESSAGE_TS", message_ts)
        .replace("THREAD_TS", thread_ts);
    let compact: Value = serde_json::from_str(&payload).expect("fixture is JSON");
    serde_urlencoded::to_string([("payload", compact.to_string())]).expect("form")
}

/// The JSON bodies the fake Web API received for one method.
pub async fn calls(server: &MockServer, api_method: &str) -> Vec<Value> {
    server
        .received_requests()
        .await
        .expect("recording")
        .into_iter()
        .filter(|r| r.url.path() == format!("/api/{api_method}"))
        .map(|r| serde_json::from_slice(&r.body).unwrap_or(Value::Null))
        .collect()
}
