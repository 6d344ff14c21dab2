//! Ollama's native chat API: `POST {url}/api/chat` with `stream: false` and `format` set to
//! the plan's JSON schema (structured outputs, Ollama ≥ 0.5). The answer is
//! `{"message": {"role": "assistant", "content": "<json>"}, "done": true, …}`.

use std::time::Duration;

use serde_json::{Value, json};

use super::http::HttpClient;
use super::{BoxFuture, LlmError, Prompt, Provider};

/// A model served by Ollama.
pub(super) struct Ollama {
    pub(super) name: String,
    pub(super) url: String,
    pub(super) model: String,
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
        "stream": false,
        "format": prompt.schema,
        // Planning is not creative writing: the most likely answer, every time.
        "options": {"temperature": 0},
    })
}

impl Provider for Ollama {
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
            let url = format!("{}/api/chat", self.url.trim_end_matches('/'));
            let (status, bytes) = self
                .http
                .post_json(&url, &[], &body(&self.model, prompt))
                .await?;
            let answer = super::openai::json_answer(&self.name, status, &bytes)?;
            answer
                .pointer("/message/content")
                .and_then(Value::as_str)
                .map(str::to_string)
                .ok_or_else(|| LlmError::Garbage {
                    provider: self.name.clone(),
                    detail: "no message.content in the answer".into(),
                })
        })
    }
}
