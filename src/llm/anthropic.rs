//! Anthropic's Messages API, by hand (no well-kept Rust client exists): `POST {url}/v1/messages`
//! with `x-api-key`, `anthropic-version: 2023-06-01`, the system prompt at the top level and
//! `output_config.format` = `{"type": "json_schema", "schema": …}` (structured outputs, not
//! tool use). The answer's first `text` content block is the JSON.

use std::time::Duration;

use serde_json::{Value, json};

use super::http::HttpClient;
use super::{BoxFuture, LlmError, Prompt, Provider};
use crate::config::Secret;

/// The API version header this wire format follows.
const VERSION: &str = "2023-06-01";

/// A Claude model.
pub(super) struct Anthropic {
    pub(super) name: String,
    pub(super) url: String,
    pub(super) model: String,
    pub(super) api_key: Option<Secret>,
    pub(super) timeout: Duration,
    pub(super) http: HttpClient,
}

/// The request body for a prompt.
pub(super) fn body(model: &str, prompt: &Prompt) -> Value {
    let messages: Vec<Value> = prompt
        .messages
        .iter()
        .map(|m| json!({"role": m.role.as_str(), "content": m.content}))
        .collect();
    json!({
        "model": model,
        "max_tokens": 2048,
        "temperature": 0,
        "system": prompt.system,
        "messages": messages,
        "output_config": {"format": {"type": "json_schema", "schema": prompt.schema}},
    })
}

impl Provider for Anthropic {
    fn name(&self) -> &str {
        &self.name
    }

    fn model(&self) -> &str {
        &self.model
    }

    fn timeout(&self) -> Duration {
        self.timeout
    }

    fn complete<'a>(&'a self, prompt: &'a Prompt) -> BoxFuture<'a, Result<String, LlmError>> {
        Box::pin(async move {
            let url = format!("{}/v1/messages", self.url.trim_end_matches('/'));
            let mut headers = vec![("anthropic-version", VERSION.to_string())];
            if let Some(k) = &self.api_key {
                headers.push(("x-api-key", k.expose().to_string()));
            }
            let (status, bytes) = self
                .http
                .post_json(&url, &headers, &body(&self.model, prompt))
                .await?;
            let answer = super::openai::json_answer(&self.name, status, &bytes)?;
            if answer.get("stop_reason").and_then(Value::as_str) == Some("refusal") {
                return Err(LlmError::Garbage {
                    provider: self.name.clone(),
                    detail: "the model refused".into(),
                });
            }
            answer
                .get("content")
                .and_then(Value::as_array)
                .and_then(|blocks| {
                    blocks
                        .iter()
                        .find(|b| b.get("type").and_then(Value::as_str) == Some("text"))
                })
                .and_then(|b| b.get("text"))
                .and_then(Value::as_str)
                .map(str::to_string)
                .ok_or_else(|| LlmError::Garbage {
                    provider: self.name.clone(),
                    detail: "no text content block in the answer".into(),
                })
        })
    }
}
