//! OpenAI-compatible chat completions (OpenAI, Azure OpenAI, vLLM, llama.cpp server, LM Studio,
//! Ollama's `/v1`, Gemini's OpenAI endpoint): `POST {url}/chat/completions` with
//! `response_format: {"type": "json_schema", "json_schema": {name, schema, strict: true}}`.
//! The answer is `choices[0].message.content`; a `refusal` there is reported as such.

use std::time::Duration;

use serde_json::{Value, json};

use super::http::HttpClient;
use super::{BoxFuture, LlmError, Prompt, Provider};
use crate::config::Secret;

/// A model behind an OpenAI-compatible server.
pub(super) struct OpenAi {
    pub(super) name: String,
    pub(super) url: String,
    pub(super) model: String,
    pub(super) api_key: Option<Secret>,
    pub(super) timeout: Duration,
    pub(super) http: HttpClient,
}

/// The request body for a prompt.
pub(super) fn body(model: &str, prompt: &Prompt) -> Value {
    let mut messages = vec![json!({"role": "system", "content": prompt.system})];
    messages.extend(
        prompt
            .messages
            .iter()
            .map(|m| json!({"role": m.role.as_str(), "content": m.content})),
    );
    json!({
        "model": model,
        "messages": messages,
        "temperature": 0,
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": prompt.schema_name, "schema": prompt.schema, "strict": true},
        },
    })
}

/// Parses a provider's HTTP answer as JSON, mapping non-2xx statuses and non-JSON bodies to
/// errors that name the provider.
pub(super) fn json_answer(provider: &str, status: u16, bytes: &[u8]) -> Result<Value, LlmError> {
    if !(200..300).contains(&status) {
        return Err(LlmError::Status {
            provider: provider.to_string(),
            status,
            body: super::clip(&String::from_utf8_lossy(bytes), 300),
        });
    }
    serde_json::from_slice(bytes).map_err(|e| LlmError::Garbage {
        provider: provider.to_string(),
        detail: format!("the HTTP body is not JSON: {e}"),
    })
}

impl Provider for OpenAi {
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
            let url = format!("{}/chat/completions", self.url.trim_end_matches('/'));
            let headers: Vec<(&str, String)> = self
                .api_key
                .iter()
                .map(|k| ("authorization", format!("Bearer {}", k.expose())))
                .collect();
            let (status, bytes) = self
                .http
                .post_json(&url, &headers, &body(&self.model, prompt))
                .await?;
            let answer = json_answer(&self.name, status, &bytes)?;
            let message = answer.pointer("/choices/0/message");
            if let Some(refusal) = message
                .and_then(|m| m.get("refusal"))
                .and_then(Value::as_str)
            {
                return Err(LlmError::Garbage {
                    provider: self.name.clone(),
                    detail: format!("the model refused: {}", super::clip(refusal, 200)),
                });
            }
            message
                .and_then(|m| m.get("content"))
                .and_then(Value::as_str)
                .map(str::to_string)
                .ok_or_else(|| LlmError::Garbage {
                    provider: self.name.clone(),
                    detail: "no choices[0].message.content in the answer".into(),
                })
        })
    }
}
