//! One small HTTPS client for every provider: `POST` a JSON body, read the whole answer.
//!
//! Written on the hyper + rustls (ring) stack kube already builds, rather than pulling in
//! ollama-rs and async-openai: both bring reqwest (a second HTTP/TLS stack, aws-lc-rs by
//! default) for what is, per wire format, a single JSON POST. Owning the request also lets the
//! tests assert the exact body and schema each provider receives.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;

use super::LlmError;

/// Answers larger than this are refused (a plan is a few KiB).
const MAX_BODY: usize = 4 * 1024 * 1024;

/// A shared HTTP(S) client.
#[derive(Clone)]
pub(super) struct HttpClient {
    inner: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
}

impl HttpClient {
    /// A client trusting the system's root certificates (plain http works too, for local
    /// models).
    pub(super) fn new() -> HttpClient {
        let provider = rustls::crypto::ring::default_provider();
        let builder = hyper_rustls::HttpsConnectorBuilder::new();
        let builder = match builder.with_provider_and_native_roots(provider) {
            Ok(b) => b,
            Err(e) => {
                // No CA bundle (a scratch image): https providers then fail with a TLS error
                // naming the cause, while http ones (local Ollama) keep working.
                tracing::warn!(error = %e, "no system root certificates; https LLM providers will fail");
                let config = rustls::ClientConfig::builder_with_provider(
                    rustls::crypto::ring::default_provider().into(),
                )
                .with_safe_default_protocol_versions()
                .map(|b| {
                    b.with_root_certificates(rustls::RootCertStore::empty())
                        .with_no_client_auth()
                });
                match config {
                    Ok(c) => hyper_rustls::HttpsConnectorBuilder::new().with_tls_config(c),
                    Err(e) => {
                        tracing::error!(error = %e, "rustls has no safe protocol versions");
                        hyper_rustls::HttpsConnectorBuilder::new().with_tls_config(
                            rustls::ClientConfig::builder()
                                .with_root_certificates(rustls::RootCertStore::empty())
                                .with_no_client_auth(),
                        )
                    }
                }
            }
        };
        let connector = builder.https_or_http().enable_http1().build();
        HttpClient {
            inner: Client::builder(TokioExecutor::new()).build(connector),
        }
    }

    /// POSTs `body` as JSON to `url` with extra `headers`; returns the status and the body.
    pub(super) async fn post_json(
        &self,
        url: &str,
        headers: &[(&str, String)],
        body: &Value,
    ) -> Result<(u16, Vec<u8>), LlmError> {
        let mut req = http::Request::post(url).header("content-type", "application/json");
        for (k, v) in headers {
            req = req.header(*k, v);
        }
        let req = req
            .body(Full::new(Bytes::from(body.to_string())))
            .map_err(|e| LlmError::Transport(format!("bad request to {url}: {e}")))?;
        let resp = self
            .inner
            .request(req)
            .await
            .map_err(|e| LlmError::Transport(format!("{url}: {e}")))?;
        let status = resp.status().as_u16();
        let limited = http_body_util::Limited::new(resp.into_body(), MAX_BODY);
        let bytes = limited
            .collect()
            .await
            .map_err(|e| LlmError::Transport(format!("{url}: reading the answer: {e}")))?
            .to_bytes();
        Ok((status, bytes.to_vec()))
    }
}
