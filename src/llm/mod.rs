//! The LLM planner: for requests the rule planner cannot plan, and for diagnoses that need
//! reasoning. Local-first (Ollama), pluggable (OpenAI-compatible servers, Anthropic), validated.
//!
//! Invariant (DESIGN 6, "the LLM proposes, never disposes"): a model's answer is untrusted
//! input. It must match the JSON schema of [`schema::PlanDto`], is converted into typed
//! [`crate::actions::Action`]s and validated ([`validate`]), and then goes down exactly the same
//! policy / preview / approval path as a rule plan. Everything sent to a model is redacted first,
//! and cluster text is fenced as untrusted data ([`prompt`]).
//!
//! Providers sit behind [`Provider`]; [`Chain`] tries them in order with per-provider timeouts
//! and a circuit breaker.

mod anthropic;
mod chain;
pub mod diagnose;
mod http;
mod ollama;
mod openai;
pub mod planner;
pub mod prompt;
pub mod schema;
pub mod validate;

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

pub use chain::{Chain, Completion};
pub use planner::{LlmPlanned, plan};

/// A boxed future, so [`Provider`] stays object safe without a macro crate.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Who wrote a message of the conversation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    User,
    Assistant,
}

impl Role {
    /// The role's name in every provider's wire format.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Assistant => "assistant",
        }
    }
}

/// One message of the conversation sent to a model.
#[derive(Clone, Debug)]
pub struct Message {
    pub role: Role,
    pub content: String,
}

/// What is sent to a model: instructions, the conversation, and the JSON schema its answer
/// must match (sent as the provider's constrained output format, not as a tool).
#[derive(Clone, Debug)]
pub struct Prompt {
    pub system: String,
    pub messages: Vec<Message>,
    /// Schema name (OpenAI's `json_schema.name`).
    pub schema_name: &'static str,
    pub schema: serde_json::Value,
}

/// Why a model gave no usable answer.
#[derive(Debug, thiserror::Error)]
pub enum LlmError {
    #[error("no LLM provider is configured")]
    NoProviders,
    #[error("{provider} did not answer within {seconds}s")]
    Timeout { provider: String, seconds: u64 },
    #[error("{provider} answered HTTP {status}: {body}")]
    Status {
        provider: String,
        status: u16,
        body: String,
    },
    #[error("cannot reach the model: {0}")]
    Transport(String),
    #[error("{provider} answered something that is not the expected JSON: {detail}")]
    Garbage { provider: String, detail: String },
    #[error("{provider} is skipped for now after repeated failures")]
    Open { provider: String },
    #[error("every LLM provider failed: {}", .0.join("; "))]
    AllFailed(Vec<String>),
}

/// One model behind one wire format.
pub trait Provider: Send + Sync {
    /// The provider's configured name (logs, ledger).
    fn name(&self) -> &str;
    /// The model asked.
    fn model(&self) -> &str;
    /// How long one answer may take.
    fn timeout(&self) -> Duration;
    /// Sends the prompt; returns the model's JSON text (not yet parsed or validated).
    fn complete<'a>(&'a self, prompt: &'a Prompt) -> BoxFuture<'a, Result<String, LlmError>>;
}

/// Shortens text for error messages and logs.
pub(crate) fn clip(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}
