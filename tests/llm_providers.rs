//! Each provider's real wire format against a fake server (request bodies asserted, including
//! the schema sent), fallback on timeout / 5xx / garbage, and the air-gapped config check.
#![cfg(feature = "llm")]

#[path = "llm/common.rs"]
mod common;

use std::time::Duration;

use common::*;
use kubechat::app::Status;
use kubechat::config::Config;
use kubechat::llm::schema::{PlanDto, schema_of};
use serde_json::json;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, ResponseTemplate};

/// The rules cannot plan this; the model gets it.
const VAGUE: &str = "the payment thing feels sluggish, sort it out";

#[tokio::test]
async fn ollama_gets_the_schema_as_format_and_the_request_fenced() {
    let h = harness(
        r#"[[llm.providers]]
kind = "ollama"
url = "{LLM}"
model = "qwen2.5:7b""#,
    )
    .await;
    Mock::given(method("POST"))
        .and(path("/api/chat"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(ollama_answer(&clarify("Which deployment, payment-api?"))),
        )
        .expect(1)
        .mount(&h.llm)
        .await;
    let reply = h.app.handle_message(&says(VAGUE)).await;
    assert_eq!(reply.status, Status::Clarify, "{}", reply.reply);
    assert_eq!(reply.reply, "Which deployment, payment-api?");
    let reqs = model_requests(&h.llm).await;
    let body = &reqs[0].1;
    assert_eq!(body["model"], "qwen2.5:7b");
    assert_eq!(body["stream"], false);
    assert_eq!(body["format"], schema_of::<PlanDto>());
    assert_eq!(body["messages"][0]["role"], "system");
    let system = body["messages"][0]["content"].as_str().unwrap_or_default();
    assert!(system.contains("channel namespace: prod"), "{system}");
    let user = body["messages"][1]["content"].as_str().unwrap_or_default();
    assert!(user.starts_with("<<<UNTRUSTED_DATA chat request"), "{user}");
    assert!(user.contains(VAGUE));
}

#[tokio::test]
async fn openai_compatible_gets_json_schema_response_format_and_bearer_key() {
    let h = harness(
        r#"[[llm.providers]]
kind = "openai"
url = "{LLM}/v1"
model = "gpt-4o-mini"
api_key = "sk-test-key-0123456789abcdef""#,
    )
    .await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .and(header(
            "authorization",
            "Bearer sk-test-key-0123456789abcdef",
        ))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(openai_answer(&clarify("Which one?"))),
        )
        .expect(1)
        .mount(&h.llm)
        .await;
    let reply = h.app.handle_message(&says(VAGUE)).await;
    assert_eq!(reply.reply, "Which one?");
    let body = &model_requests(&h.llm).await[0].1;
    assert_eq!(body["model"], "gpt-4o-mini");
    assert_eq!(body["response_format"]["type"], "json_schema");
    assert_eq!(
        body["response_format"]["json_schema"]["name"],
        "kubechat_plan"
    );
    assert_eq!(body["response_format"]["json_schema"]["strict"], true);
    assert_eq!(
        body["response_format"]["json_schema"]["schema"],
        schema_of::<PlanDto>()
    );
    assert!(
        body.get("tools").is_none(),
        "structured output, not tool calling"
    );
}

#[tokio::test]
async fn anthropic_gets_output_config_format_system_on_top_and_its_headers() {
    let h = harness(
        r#"[[llm.providers]]
kind = "anthropic"
url = "{LLM}"
model = "claude-sonnet-4-5"
api_key = "test-anthropic-key"
allow_remote = false"#,
    )
    .await;
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .and(header("x-api-key", "test-anthropic-key"))
        .and(header("anthropic-version", "2023-06-01"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(anthropic_answer(&clarify("In prod?"))),
        )
        .expect(1)
        .mount(&h.llm)
        .await;
    let reply = h.app.handle_message(&says(VAGUE)).await;
    assert_eq!(reply.reply, "In prod?");
    let body = &model_requests(&h.llm).await[0].1;
    assert_eq!(body["output_config"]["format"]["type"], "json_schema");
    assert_eq!(
        body["output_config"]["format"]["schema"],
        schema_of::<PlanDto>()
    );
    assert!(
        body["system"]
            .as_str()
            .unwrap_or_default()
            .contains("kubechat's planner")
    );
    assert_eq!(body["messages"][0]["role"], "user");
    assert!(body["max_tokens"].as_u64().unwrap_or_default() > 0);
}

#[tokio::test]
async fn falls_back_past_timeout_5xx_and_garbage_to_the_next_provider() {
    let h = harness(
        r#"[[llm.providers]]
name = "slow"
kind = "ollama"
url = "{LLM}/slow"
model = "m"
timeout_seconds = 1

[[llm.providers]]
name = "broken"
kind = "ollama"
url = "{LLM}/broken"
model = "m"

[[llm.providers]]
name = "garbage"
kind = "openai"
url = "{LLM}/garbage"
model = "m"

[[llm.providers]]
name = "good"
kind = "openai"
url = "{LLM}/good"
model = "m""#,
    )
    .await;
    let answer = ollama_answer(&clarify("too late"));
    Mock::given(path("/slow/api/chat"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(answer)
                .set_delay(Duration::from_secs(5)),
        )
        .mount(&h.llm)
        .await;
    Mock::given(path("/broken/api/chat"))
        .respond_with(ResponseTemplate::new(503).set_body_string("model is loading"))
        .mount(&h.llm)
        .await;
    Mock::given(path("/garbage/chat/completions"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(openai_answer(&json!("Sure! I'd scale it for you."))),
        )
        .mount(&h.llm)
        .await;
    Mock::given(path("/good/chat/completions"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(openai_answer(&clarify("From good."))),
        )
        .expect(1)
        .mount(&h.llm)
        .await;
    let reply = h.app.handle_message(&says(VAGUE)).await;
    assert_eq!(reply.reply, "From good.");
}

#[tokio::test]
async fn when_every_provider_fails_the_rules_reply_stands() {
    let h = harness(
        r#"[[llm.providers]]
kind = "ollama"
url = "{LLM}"
model = "m""#,
    )
    .await;
    Mock::given(path("/api/chat"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&h.llm)
        .await;
    let reply = h.app.handle_message(&says(VAGUE)).await;
    assert_eq!(reply.status, Status::Clarify);
    assert!(
        reply.reply.starts_with("I couldn't plan that"),
        "{}",
        reply.reply
    );
}

#[tokio::test]
async fn without_a_provider_the_model_is_never_asked() {
    let h = harness("").await;
    let reply = h.app.handle_message(&says(VAGUE)).await;
    assert!(
        reply.reply.starts_with("I couldn't plan that"),
        "{}",
        reply.reply
    );
    assert!(model_requests(&h.llm).await.is_empty());
}

#[tokio::test]
async fn routine_requests_never_reach_the_model() {
    let h = harness(
        r#"[[llm.providers]]
kind = "ollama"
url = "{LLM}"
model = "m""#,
    )
    .await;
    // Refusals and clarifications of the rules stand as well.
    for text in ["exec into checkout-7d9f", "logs", "help"] {
        h.app.handle_message(&says(text)).await;
    }
    assert!(model_requests(&h.llm).await.is_empty());
}

#[test]
fn a_remote_provider_must_be_allowed_explicitly() {
    let remote = |extra: &str| {
        format!(
            "[[llm.providers]]\nkind = \"openai\"\nurl = \"https://api.openai.com/v1\"\nmodel = \"gpt-4o\"\n{extra}"
        )
    };
    let err = Config::parse(&remote("")).expect_err("remote refused");
    let text = err.to_string();
    assert!(
        text.contains("api.openai.com") && text.contains("allow_remote = true"),
        "{text}"
    );
    Config::parse(&remote("allow_remote = true")).expect("explicitly allowed");
    for local in [
        "http://127.0.0.1:11434",
        "http://ollama.ai.svc:11434",
        "http://vllm.ml.svc.cluster.local/v1",
        "http://10.0.0.7:8000/v1",
    ] {
        let cfg = format!("[[llm.providers]]\nkind = \"ollama\"\nurl = \"{local}\"\nmodel = \"m\"");
        Config::parse(&cfg).unwrap_or_else(|e| panic!("{local}: {e}"));
    }
    let bad = "[[llm.providers]]\nkind = \"ollama\"\nurl = \"ftp://127.0.0.1\"\nmodel = \"m\"";
    assert!(Config::parse(bad).is_err());
}

#[test]
fn check_config_shows_providers_but_never_their_keys() {
    let cfg = Config::parse(
        "[[llm.providers]]\nkind = \"anthropic\"\nurl = \"https://api.anthropic.com\"\nmodel = \"claude-sonnet-4-5\"\napi_key = \"sk-ant-verysecretvalue123456\"\nallow_remote = true",
    )
    .expect("config");
    let shown = cfg.redacted();
    assert!(shown.contains("claude-sonnet-4-5"), "{shown}");
    assert!(!shown.contains("verysecretvalue"), "{shown}");
}
