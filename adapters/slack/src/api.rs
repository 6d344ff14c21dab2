//! Slack's Web API, through slack-morphism's client: `chat.postMessage`, `chat.update`,
//! `chat.postEphemeral`, `users.info`.
//!
//! Bodies are the Block Kit JSON from [`crate::blocks`] posted as-is (slack-morphism's
//! `http_post`), so what the snapshot tests show is exactly what Slack receives. Rate limits:
//! slack-morphism's rate controller honours `429 Retry-After` and retries up to
//! [`MAX_RETRIES`] times before the call fails.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use slack_morphism::prelude::*;

use crate::blocks::Message;

/// Retries after `429 Too Many Requests` before a call gives up.
pub const MAX_RETRIES: usize = 3;

pub(crate) type Connector = SlackClientHyperConnector<
    hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>,
>;

/// A Web API call that failed (logged by the caller; nothing of it reaches chat).
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("cannot set up TLS for the Slack Web API: {0}")]
    Tls(#[source] std::io::Error),
    #[error("Slack Web API {method} failed: {message}")]
    Call { method: String, message: String },
    #[error("Slack Web API {method} answered without {field}")]
    Shape { method: String, field: &'static str },
}

/// The bot's Web API client.
pub struct WebApi {
    client: Arc<SlackClient<Connector>>,
    token: SlackApiToken,
}

impl WebApi {
    /// A client for `api_url` (default `https://slack.com/api`; tests point it at a fake).
    /// Plain `http://` is accepted only when the URL asks for it explicitly.
    pub fn new(bot_token: &str, api_url: Option<&str>) -> Result<WebApi, ApiError> {
        // With both ring and aws-lc-rs in the build, rustls has no default provider and the
        // connector (and Socket Mode's WebSocket TLS) would panic; ring is what kube uses too.
        // Failing means a provider is already installed, which is just as good.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let builder = hyper_rustls::HttpsConnectorBuilder::new()
            .with_native_roots()
            .map_err(ApiError::Tls)?;
        let https = match api_url {
            Some(url) if url.starts_with("http://") => builder.https_or_http().enable_http1(),
            _ => builder.https_only().enable_http1(),
        };
        let rate = SlackApiRateControlConfig::new()
            .with_max_retries(MAX_RETRIES)
            .with_max_delay_timeout(Duration::from_secs(60));
        let mut connector =
            SlackClientHyperConnector::with_connector(https.build()).with_rate_control(rate);
        if let Some(url) = api_url {
            connector = connector.with_slack_api_url(url.trim_end_matches('/'));
        }
        Ok(WebApi {
            client: Arc::new(SlackClient::new(connector)),
            token: SlackApiToken::new(SlackApiTokenValue::new(bot_token.to_string())),
        })
    }

    /// The underlying client (Socket Mode listens with it).
    pub(crate) fn client(&self) -> Arc<SlackClient<Connector>> {
        self.client.clone()
    }

    /// Posts `body` to a Web API method and returns Slack's answer (`ok: true` checked).
    pub async fn call(&self, method: &str, body: &Value) -> Result<Value, ApiError> {
        let session = self.client.open_session(&self.token);
        session
            .http_session_api
            .http_post(method, body, None)
            .await
            .map_err(|e| ApiError::Call {
                method: method.to_string(),
                message: e.to_string(),
            })
    }

    /// Posts a message (in a thread when `thread_ts` is set); returns its ts.
    pub async fn post(
        &self,
        channel: &str,
        thread_ts: Option<&str>,
        message: &Message,
    ) -> Result<String, ApiError> {
        let mut body = json!({
            "channel": channel, "text": message.text, "blocks": message.blocks,
            "unfurl_links": false, "unfurl_media": false,
        });
        if let Some(ts) = thread_ts {
            body["thread_ts"] = json!(ts);
        }
        let answer = self.call("chat.postMessage", &body).await?;
        answer["ts"]
            .as_str()
            .map(str::to_string)
            .ok_or(ApiError::Shape {
                method: "chat.postMessage".into(),
                field: "ts",
            })
    }

    /// Replaces the message at `ts`.
    pub async fn update(&self, channel: &str, ts: &str, message: &Message) -> Result<(), ApiError> {
        let body = json!({
            "channel": channel, "ts": ts, "text": message.text, "blocks": message.blocks,
        });
        self.call("chat.update", &body).await.map(drop)
    }

    /// A message only `user` sees, in the thread.
    pub async fn ephemeral(
        &self,
        channel: &str,
        user: &str,
        thread_ts: Option<&str>,
        message: &Message,
    ) -> Result<(), ApiError> {
        let mut body = json!({
            "channel": channel, "user": user, "text": message.text, "blocks": message.blocks,
        });
        if let Some(ts) = thread_ts {
            body["thread_ts"] = json!(ts);
        }
        self.call("chat.postEphemeral", &body).await.map(drop)
    }

    /// The user's email when Slack says it is confirmed (`users.info`, scope
    /// `users:read.email`); `None` for an unconfirmed or hidden address.
    pub async fn confirmed_email(&self, user: &str) -> Result<Option<String>, ApiError> {
        let session = self.client.open_session(&self.token);
        let answer: Value = session
            .http_session_api
            .http_get("users.info", &vec![("user", Some(user))], None)
            .await
            .map_err(|e| ApiError::Call {
                method: "users.info".into(),
                message: e.to_string(),
            })?;
        let u = &answer["user"];
        if u["is_email_confirmed"] != json!(true) {
            return Ok(None);
        }
        Ok(u["profile"]["email"].as_str().map(str::to_string))
    }

    /// Uploads `content` as a text file shared in the thread (files.getUploadURLExternal,
    /// the upload itself, files.completeUploadExternal: Slack's current upload flow).
    pub async fn upload(
        &self,
        channel: &str,
        thread_ts: &str,
        filename: &str,
        content: &str,
    ) -> Result<(), ApiError> {
        let failed = |method: &str| {
            let method = method.to_string();
            move |e: slack_morphism::errors::SlackClientError| ApiError::Call {
                method,
                message: e.to_string(),
            }
        };
        let session = self.client.open_session(&self.token);
        let target = session
            .get_upload_url_external(&SlackApiFilesGetUploadUrlExternalRequest::new(
                filename.to_string(),
                content.len(),
            ))
            .await
            .map_err(failed("files.getUploadURLExternal"))?;
        session
            .files_upload_via_url(&SlackApiFilesUploadViaUrlRequest::new(
                target.upload_url,
                content.as_bytes().to_vec(),
                "text/plain".into(),
            ))
            .await
            .map_err(failed("file upload"))?;
        let file = SlackApiFilesComplete::new(target.file_id).with_title(filename.to_string());
        session
            .files_complete_upload_external(
                &SlackApiFilesCompleteUploadExternalRequest::new(vec![file])
                    .with_channel_id(SlackChannelId::new(channel.to_string()))
                    .with_thread_ts(SlackTs::new(thread_ts.to_string())),
            )
            .await
            .map_err(failed("files.completeUploadExternal"))?;
        Ok(())
    }
}
