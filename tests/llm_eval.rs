//! `kubechat eval` over the shipped dataset: the rule planner alone, and rules + LLM against a
//! fake Ollama replaying evals/llm-recorded.jsonl (see evals/make_fake_answers.py for what
//! those answers are and are not). Prints both reports (`cargo test --test llm_eval -- --nocapture`).
#![cfg(feature = "llm")]

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use kubechat::config::Config;
use kubechat::eval::{self, EvalContext, Mode};
use kubechat::llm::Chain;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// Answers each planning request with the recorded answer for its utterance.
struct Replay(HashMap<String, Value>);

impl Respond for Replay {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
        let fenced = body["messages"][1]["content"].as_str().unwrap_or_default();
        // "<<<UNTRUSTED_DATA chat request\n{utterance}\nUNTRUSTED_DATA>>>"
        let lines: Vec<&str> = fenced.lines().collect();
        let utterance = lines[1..lines.len().saturating_sub(1)].join("\n");
        let Some(rec) = self.0.get(&utterance) else {
            return ResponseTemplate::new(404)
                .set_body_string(format!("no recording for {utterance:?}"));
        };
        let content = match (rec.get("answer"), rec.get("raw")) {
            (Some(a), _) => a.to_string(),
            (None, Some(raw)) => raw.as_str().unwrap_or_default().to_string(),
            _ => String::new(),
        };
        ResponseTemplate::new(200).set_body_json(json!({
            "model": "recorded", "created_at": "2026-11-22T10:00:00Z",
            "message": {"role": "assistant", "content": content}, "done": true}))
    }
}

fn recordings() -> HashMap<String, Value> {
    let text = std::fs::read_to_string("evals/llm-recorded.jsonl").expect("recordings");
    text.lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter_map(|v| Some((v["utterance"].as_str()?.to_string(), v)))
        .collect()
}

#[tokio::test]
async fn rules_alone_and_rules_plus_llm_over_the_shipped_dataset() {
    let cases = eval::load(Path::new("evals/planner.jsonl")).expect("dataset");
    assert!(cases.len() >= 200, "{} cases", cases.len());
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/chat"))
        .respond_with(Replay(recordings()))
        .mount(&server)
        .await;
    let config = Config::parse(&format!(
        "[llm]\nbreaker_failures = 1000\n[[llm.providers]]\nkind = \"ollama\"\nurl = \"{}\"\nmodel = \"recorded\"",
        server.uri()
    ))
    .expect("config");
    let chain = Chain::from_config(&config.llm).expect("a provider");
    let ctx = EvalContext {
        cluster: "default".into(),
        namespace: "payments".into(),
        clusters: vec!["default".into()],
    };
    let rules = eval::run(&cases, Mode::Rules, None, &ctx).await;
    let both = eval::run(&cases, Mode::Both, Some(&chain), &ctx).await;
    let llm = eval::run(&cases, Mode::Llm, Some(&chain), &ctx).await;
    println!(
        "{}\n{}\n{}",
        rules.render(false),
        both.render(false),
        llm.render(false)
    );

    assert!(
        both.accuracy() > rules.accuracy(),
        "the model adds coverage"
    );
    let refusals = |r: &eval::Report| {
        r.by_category()
            .into_iter()
            .find(|(c, _, _)| c == "refuse/clarify")
            .map(|(_, p, t)| (p, t))
    };
    // Whatever the model says, what the rules refuse or ask back about is never planned.
    assert_eq!(refusals(&both), refusals(&rules));
    // Model latency is real (HTTP round trips), so percentiles are reported, never asserted.
    assert!(both.percentile(99.0) < Duration::from_secs(60));
}
