//! `[llm]`: the optional LLM planner's providers (see docs/llm.md).
//!
//! No provider is configured by default: kubechat then plans with rules only. Air-gapped by
//! default: a provider URL outside loopback, private address ranges and cluster DNS is refused
//! at load unless that provider says `allow_remote = true`, so a copied example config can never
//! send cluster data to the internet by accident.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use super::Secret;

/// The LLM planner's settings.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LlmConfig {
    /// Providers, tried in order: the next one is asked when one times out, fails or answers
    /// garbage. Empty: no LLM, rules only.
    #[serde(default)]
    pub providers: Vec<ProviderConfig>,
    /// Consecutive failures after which a provider is skipped for `breaker_cooldown_seconds`.
    #[serde(default = "default_breaker_failures")]
    pub breaker_failures: u32,
    /// How long a tripped provider is skipped before it is tried again.
    #[serde(default = "default_breaker_cooldown")]
    pub breaker_cooldown_seconds: u64,
    /// At most this many object names are sent to the model as grounding.
    #[serde(default = "default_max_names")]
    pub max_object_names: usize,
}

impl Default for LlmConfig {
    fn default() -> Self {
        LlmConfig {
            providers: Vec::new(),
            breaker_failures: default_breaker_failures(),
            breaker_cooldown_seconds: default_breaker_cooldown(),
            max_object_names: default_max_names(),
        }
    }
}

fn default_breaker_failures() -> u32 {
    3
}

fn default_breaker_cooldown() -> u64 {
    60
}

fn default_max_names() -> usize {
    50
}

/// Which wire format a provider speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ProviderKind {
    /// Ollama's native API (`POST /api/chat`, `format` = JSON schema).
    Ollama,
    /// Any OpenAI-compatible server (`POST /chat/completions`, `response_format: json_schema`).
    Openai,
    /// Anthropic's Messages API (`POST /v1/messages`).
    Anthropic,
}

impl ProviderKind {
    /// The name used in logs and the ledger.
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderKind::Ollama => "ollama",
            ProviderKind::Openai => "openai",
            ProviderKind::Anthropic => "anthropic",
        }
    }
}

/// One provider.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderConfig {
    pub kind: ProviderKind,
    /// Base URL: `http://127.0.0.1:11434` (Ollama), `https://api.openai.com/v1` (OpenAI-style,
    /// without `/chat/completions`), `https://api.anthropic.com` (Anthropic).
    pub url: String,
    pub model: String,
    /// Bearer token (OpenAI-style) or `x-api-key` (Anthropic). Ollama needs none.
    pub api_key: Option<Secret>,
    /// Per-request timeout.
    #[serde(default = "default_timeout")]
    pub timeout_seconds: u64,
    /// The URL may leave the local and cluster network (a hosted API).
    #[serde(default)]
    pub allow_remote: bool,
    /// A name for logs and the ledger; default `<kind>`.
    pub name: Option<String>,
}

fn default_timeout() -> u64 {
    30
}

impl ProviderConfig {
    /// The provider's name in logs and the ledger.
    pub fn display_name(&self) -> String {
        self.name
            .clone()
            .unwrap_or_else(|| self.kind.as_str().to_string())
    }
}

impl LlmConfig {
    /// Checks every provider: a parseable http(s) URL, a model, a timeout, and a local host
    /// unless `allow_remote`.
    pub fn validate(&self) -> Result<(), String> {
        for (i, p) in self.providers.iter().enumerate() {
            let which = format!("llm.providers[{i}] ({})", p.display_name());
            let uri: http::Uri = p
                .url
                .parse()
                .map_err(|e| format!("{which}: url {:?} is not a URL: {e}", p.url))?;
            if !matches!(uri.scheme_str(), Some("http" | "https")) {
                return Err(format!(
                    "{which}: url {:?} must be http:// or https://",
                    p.url
                ));
            }
            let host = uri.host().unwrap_or_default();
            if !p.allow_remote && !is_local_host(host) {
                return Err(format!(
                    "{which}: {host} is outside loopback, private networks and cluster DNS, so \
                     requests and cluster data would leave your network. Point it at a local \
                     model, or set allow_remote = true on this provider if that is intended."
                ));
            }
            if p.model.trim().is_empty() {
                return Err(format!("{which}: model is empty"));
            }
            if p.timeout_seconds == 0 {
                return Err(format!("{which}: timeout_seconds must be at least 1"));
            }
        }
        if self.breaker_failures == 0 {
            return Err("llm.breaker_failures must be at least 1".into());
        }
        Ok(())
    }
}

/// Loopback, private and link-local addresses, `localhost`, cluster DNS (`*.svc`,
/// `*.cluster.local`) and single-label names (in a pod they resolve through the cluster's
/// search domains, i.e. to in-cluster services).
pub fn is_local_host(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = host.parse::<IpAddr>() {
        return match ip {
            IpAddr::V4(v4) => v4.is_loopback() || v4.is_private() || v4.is_link_local(),
            IpAddr::V6(v6) => {
                v6.is_loopback()
                    || (v6.segments()[0] & 0xfe00) == 0xfc00
                    || (v6.segments()[0] & 0xffc0) == 0xfe80
            }
        };
    }
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    host == "localhost"
        || host.ends_with(".localhost")
        || host.ends_with(".svc")
        || host.ends_with(".cluster.local")
        || (!host.is_empty() && !host.contains('.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_and_cluster_hosts_are_local_others_are_remote() {
        for host in [
            "127.0.0.1",
            "localhost",
            "10.1.2.3",
            "172.20.0.9",
            "192.168.1.5",
            "[::1]",
            "[fd00::5]",
            "ollama",
            "ollama.ai.svc",
            "vllm.ml.svc.cluster.local",
        ] {
            assert!(is_local_host(host), "{host}");
        }
        for host in [
            "api.openai.com",
            "api.anthropic.com",
            "8.8.8.8",
            "172.32.0.1",
            "[2001:db8::1]",
            "ollama.example.com",
        ] {
            assert!(!is_local_host(host), "{host}");
        }
    }
}
