//! Shared harness for the LLM tests: a fake Kubernetes API and a fake model server (wiremock),
//! an App configured with `[llm]` providers pointing at the fake, and answer builders in each
//! provider's documented wire format (Ollama /api/chat, OpenAI chat completions, Anthropic
//! Messages), shapes copied from their API references.

#![allow(dead_code)]

use jiff::Timestamp;
use kubechat::app::App;
use kubechat::clock::Clock;
use kubechat::config::Config;
use kubechat::executor::{ClusterConn, Executor};
use kubechat::ledger::Ledger;
use kubechat::telemetry::Metrics;
use kubechat_chat::{Inbound, Platform, ThreadRef};
use serde_json::{Value, json};
use wiremock::{MockServer, Request};

/// alice in payments-devs, prod-eu with a production namespace, channel `payments` locked to it.
pub const BASE: &str = include_str!("../fixtures/alice-prod-eu.toml");

pub struct Harness {
    pub app: App,
    pub ledger: Ledger,
    pub kube: MockServer,
    pub llm: MockServer,
    _dir: tempfile::TempDir,
}

/// `providers` is TOML for `[[llm.providers]]` blocks; `{LLM}` is replaced by the fake's URL.
pub async fn harness(providers: &str) -> Harness {
    let kube = MockServer::start().await;
    let llm = MockServer::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", dir.path().join("ledger.db").display());
    let ledger = Ledger::open(&url).await.expect("ledger opens");
    let kube_config = kube::Config::new(kube.uri().parse().expect("uri"));
    let conn = ClusterConn::new("prod-eu", kube_config).expect("client");
    let text = format!("{BASE}\n{}", providers.replace("{LLM}", &llm.uri()));
    let config = Config::parse(&text).expect("config");
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
        kube,
        llm,
        _dir: dir,
    }
}

pub fn says(text: &str) -> Inbound {
    Inbound {
        thread: ThreadRef {
            platform: Platform::Console,
            channel: "payments".into(),
            thread: "t1".into(),
        },
        user: "alice".into(),
        text: text.into(),
        event_id: format!("ev-{text}"),
        email: None,
    }
}

/// Ollama `POST /api/chat` answer (stream: false).
pub fn ollama_answer(content: &Value) -> Value {
    json!({"model": "qwen2.5:7b", "created_at": "2026-11-22T10:00:00.000Z",
           "message": {"role": "assistant", "content": content.to_string()},
           "done": true, "done_reason": "stop", "total_duration": 1_200_000_000u64})
}

/// OpenAI `POST /chat/completions` answer.
pub fn openai_answer(content: &Value) -> Value {
    json!({"id": "chatcmpl-1", "object": "chat.completion", "created": 1_763_805_600,
           "model": "gpt-4o-mini",
           "choices": [{"index": 0, "finish_reason": "stop",
                        "message": {"role": "assistant", "content": content.to_string(), "refusal": null}}],
           "usage": {"prompt_tokens": 900, "completion_tokens": 40, "total_tokens": 940}})
}

/// Anthropic `POST /v1/messages` answer.
pub fn anthropic_answer(content: &Value) -> Value {
    json!({"id": "msg_01", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5",
           "content": [{"type": "text", "text": content.to_string()}],
           "stop_reason": "end_turn", "stop_sequence": null,
           "usage": {"input_tokens": 900, "output_tokens": 40}})
}

pub fn clarify(question: &str) -> Value {
    json!({"outcome": "clarify", "message": question, "actions": []})
}

/// One plan action with every field the schema requires (nulls where unused).
pub fn action(verb: &str, kind: &str, name: &str, extra: Value) -> Value {
    let mut a = json!({"verb": verb, "kind": kind, "name": name, "namespace": null,
        "all_namespaces": null, "selector": null, "replicas": null, "image": null,
        "container": null, "tail": null, "previous": null, "revision": null});
    if let (Some(a), Some(extra)) = (a.as_object_mut(), extra.as_object()) {
        for (k, v) in extra {
            a.insert(k.clone(), v.clone());
        }
    }
    a
}

pub fn plan_of(actions: Vec<Value>) -> Value {
    json!({"outcome": "plan", "message": "as asked", "actions": actions})
}

/// The JSON bodies the fake model received, in order.
pub async fn model_requests(server: &MockServer) -> Vec<(String, Value, Request)> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|r| {
            let body: Value = serde_json::from_slice(&r.body).unwrap_or(Value::Null);
            (r.url.path().to_string(), body, r)
        })
        .collect()
}

pub fn deployment(replicas: u32, rv: &str) -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "payment-api", "namespace": "prod", "resourceVersion": rv,
                     "uid": "6c1e", "generation": 4},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "payment-api"}},
                 "template": {"metadata": {"labels": {"app": "payment-api"}},
                              "spec": {"containers": [{"name": "api", "image": "registry/pay:1.4.1"}]}}},
        "status": {"replicas": 3, "readyReplicas": 3}
    })
}

pub fn access_review(allowed: bool) -> Value {
    json!({"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
           "spec": {}, "status": {"allowed": allowed}})
}
