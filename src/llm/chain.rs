//! The provider chain: providers are asked in order; one that times out, fails, or answers
//! something that does not parse is skipped for the next. A circuit breaker per provider stops
//! asking one that failed `breaker_failures` times in a row, for `breaker_cooldown`, so a dead
//! local model does not add its timeout to every request.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use super::{LlmError, Prompt, Provider};
use crate::config::{LlmConfig, ProviderKind};

/// Which provider answered, and how fast (recorded in the ledger with the plan).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Completion {
    pub provider: String,
    pub model: String,
    pub latency_ms: u64,
}

struct Breaker {
    failures: u32,
    open_until: Option<Instant>,
}

struct Slot {
    provider: Box<dyn Provider>,
    breaker: Mutex<Breaker>,
}

/// An ordered list of providers with fallback and circuit breakers. Shared by every request.
pub struct Chain {
    slots: Vec<Slot>,
    threshold: u32,
    cooldown: Duration,
}

impl Chain {
    /// The chain for `[llm]`, or `None` when no provider is configured.
    pub fn from_config(cfg: &LlmConfig) -> Option<Chain> {
        if cfg.providers.is_empty() {
            return None;
        }
        let http = super::http::HttpClient::new();
        let providers = cfg
            .providers
            .iter()
            .map(|p| -> Box<dyn Provider> {
                let (name, url, model) = (p.display_name(), p.url.clone(), p.model.clone());
                let timeout = Duration::from_secs(p.timeout_seconds);
                let http = http.clone();
                let api_key = p.api_key.clone();
                match p.kind {
                    ProviderKind::Ollama => Box::new(super::ollama::Ollama {
                        name,
                        url,
                        model,
                        timeout,
                        http,
                    }),
                    ProviderKind::Openai => Box::new(super::openai::OpenAi {
                        name,
                        url,
                        model,
                        api_key,
                        timeout,
                        http,
                    }),
                    ProviderKind::Anthropic => Box::new(super::anthropic::Anthropic {
                        name,
                        url,
                        model,
                        api_key,
                        timeout,
                        http,
                    }),
                }
            })
            .collect();
        Some(Chain::new(
            providers,
            cfg.breaker_failures,
            Duration::from_secs(cfg.breaker_cooldown_seconds),
        ))
    }

    /// A chain of the given providers (tests use fakes).
    pub fn new(providers: Vec<Box<dyn Provider>>, threshold: u32, cooldown: Duration) -> Chain {
        Chain {
            slots: providers
                .into_iter()
                .map(|provider| Slot {
                    provider,
                    breaker: Mutex::new(Breaker {
                        failures: 0,
                        open_until: None,
                    }),
                })
                .collect(),
            threshold: threshold.max(1),
            cooldown,
        }
    }

    /// Asks the providers in order until one answers something `parse` accepts.
    pub async fn complete<T>(
        &self,
        prompt: &Prompt,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Result<(T, Completion), LlmError> {
        if self.slots.is_empty() {
            return Err(LlmError::NoProviders);
        }
        let mut errors = Vec::new();
        for slot in &self.slots {
            let p = &slot.provider;
            if self.is_open(slot) {
                errors.push(
                    LlmError::Open {
                        provider: p.name().to_string(),
                    }
                    .to_string(),
                );
                continue;
            }
            let started = Instant::now();
            let result = match tokio::time::timeout(p.timeout(), p.complete(prompt)).await {
                Err(_) => Err(LlmError::Timeout {
                    provider: p.name().to_string(),
                    seconds: p.timeout().as_secs(),
                }),
                Ok(Err(e)) => Err(e),
                Ok(Ok(text)) => parse(&text).map_err(|detail| LlmError::Garbage {
                    provider: p.name().to_string(),
                    detail,
                }),
            };
            match result {
                Ok(value) => {
                    self.record(slot, true);
                    let completion = Completion {
                        provider: p.name().to_string(),
                        model: p.model().to_string(),
                        latency_ms: u64::try_from(started.elapsed().as_millis())
                            .unwrap_or(u64::MAX),
                    };
                    return Ok((value, completion));
                }
                Err(e) => {
                    tracing::warn!(provider = p.name(), model = p.model(), error = %e, "LLM provider failed; trying the next");
                    self.record(slot, false);
                    errors.push(e.to_string());
                }
            }
        }
        Err(LlmError::AllFailed(errors))
    }

    fn is_open(&self, slot: &Slot) -> bool {
        let mut b = slot.breaker.lock().unwrap_or_else(|p| p.into_inner());
        match b.open_until {
            Some(until) if Instant::now() < until => true,
            Some(_) => {
                // Half-open: one more try; a failure re-opens at once.
                b.open_until = None;
                b.failures = self.threshold - 1;
                false
            }
            None => false,
        }
    }

    fn record(&self, slot: &Slot, ok: bool) {
        let mut b = slot.breaker.lock().unwrap_or_else(|p| p.into_inner());
        if ok {
            b.failures = 0;
            b.open_until = None;
            return;
        }
        b.failures += 1;
        if b.failures >= self.threshold {
            b.open_until = Some(Instant::now() + self.cooldown);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::llm::BoxFuture;

    struct Fake {
        name: &'static str,
        answers: Mutex<Vec<Result<String, u16>>>,
        calls: Arc<AtomicUsize>,
        delay: Duration,
    }

    impl Provider for Fake {
        fn name(&self) -> &str {
            self.name
        }
        fn model(&self) -> &str {
            "fake-model"
        }
        fn timeout(&self) -> Duration {
            Duration::from_secs(1)
        }
        fn complete<'a>(&'a self, _: &'a Prompt) -> BoxFuture<'a, Result<String, LlmError>> {
            Box::pin(async move {
                self.calls.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(self.delay).await;
                let next = self.answers.lock().expect("lock").remove(0);
                next.map_err(|status| LlmError::Status {
                    provider: self.name.into(),
                    status,
                    body: String::new(),
                })
            })
        }
    }

    fn fake(
        name: &'static str,
        answers: Vec<Result<String, u16>>,
        delay: Duration,
    ) -> (Box<dyn Provider>, Arc<AtomicUsize>) {
        let calls = Arc::new(AtomicUsize::new(0));
        let f = Fake {
            name,
            answers: Mutex::new(answers),
            calls: calls.clone(),
            delay,
        };
        (Box::new(f), calls)
    }

    fn prompt() -> Prompt {
        Prompt {
            system: String::new(),
            messages: Vec::new(),
            schema_name: "t",
            schema: serde_json::json!({}),
        }
    }

    fn number(text: &str) -> Result<u32, String> {
        text.parse()
            .map_err(|_| format!("{text:?} is not a number"))
    }

    #[tokio::test(start_paused = true)]
    async fn falls_back_on_timeout_error_and_garbage_then_trips_the_breaker() {
        let slow = Duration::from_secs(5);
        let (a, a_calls) = fake("slow", vec![Ok("1".into()); 3], slow);
        let (b, _) = fake("broken", vec![Err(503); 3], Duration::ZERO);
        let (c, _) = fake("garbage", vec![Ok("hello".into()); 3], Duration::ZERO);
        let (d, d_calls) = fake("good", vec![Ok("7".into()); 4], Duration::ZERO);
        let chain = Chain::new(vec![a, b, c, d], 2, Duration::from_secs(60));
        for _ in 0..3 {
            let (n, done) = chain
                .complete(&prompt(), number)
                .await
                .expect("the last answers");
            assert_eq!(n, 7);
            assert_eq!(done.provider, "good");
        }
        // Two failures each tripped the breakers: the third request skipped a, b and c.
        assert_eq!(a_calls.load(Ordering::SeqCst), 2);
        assert_eq!(d_calls.load(Ordering::SeqCst), 3);
        tokio::time::advance(Duration::from_secs(61)).await;
        chain.complete(&prompt(), number).await.expect("answers");
        assert_eq!(
            a_calls.load(Ordering::SeqCst),
            3,
            "half-open after the cooldown"
        );
    }

    #[tokio::test]
    async fn all_failing_names_every_cause() {
        let (b, _) = fake("broken", vec![Err(500)], Duration::ZERO);
        let chain = Chain::new(vec![b], 3, Duration::from_secs(60));
        let err = chain.complete(&prompt(), number).await.expect_err("fails");
        assert!(
            err.to_string().contains("broken answered HTTP 500"),
            "{err}"
        );
    }
}
