//! kubechat's Slack adapter: Socket Mode (default) or HTTP (Events API, interactivity and
//! slash commands on kubechat's own server), Block Kit previews with Approve / Abort buttons.
//!
//! Like every adapter it only translates between Slack and the neutral types of
//! `kubechat-chat`; it cannot reach the planner, policy, cluster or ledger. Module map:
//! - [`verify`]: v0 request signatures, the five-minute window, replay rejection.
//! - [`inbound`]: Slack payloads → [`inbound::Incoming`] (pure).
//! - [`dispatch`]: dedupe, open a thread for slash commands, send [`AdapterEvent`]s.
//! - [`http`] / [`socket`]: the two ways requests arrive.
//! - [`blocks`], [`mrkdwn`]: Block Kit rendering and escaping (pure).
//! - [`render`]: core messages → Web API calls; [`api`]: the Web API client (429-aware).

pub mod api;
pub mod blocks;
pub mod dispatch;
pub mod http;
pub mod inbound;
pub mod mrkdwn;
pub mod render;
pub mod socket;
pub mod verify;

use std::sync::Arc;

use kubechat_chat::{AdapterError, AdapterEvent, AdapterLink, Outbound};
use tokio::sync::mpsc;

pub use http::RejectHook;

/// How Slack reaches kubechat.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// kubechat dials out over a WebSocket; needs an app-level token (`xapp-…`).
    Socket,
    /// Slack calls kubechat's `/slack/*` URLs; needs the signing secret and a public URL.
    Http,
}

/// What the adapter needs; the core's `[slack]` config resolves into this.
#[derive(Clone)]
pub struct Settings {
    pub mode: Mode,
    /// Bot token (`xoxb-…`) for the Web API.
    pub bot_token: String,
    /// App-level token (`xapp-…`, scope `connections:write`); Socket Mode only.
    pub app_token: Option<String>,
    /// Signing secret; HTTP mode only.
    pub signing_secret: Option<String>,
    /// Put the user's confirmed email on events (`users.info`), for mapping by email.
    pub allow_email_mapping: bool,
    /// The Web API base URL; `None` for `https://slack.com/api` (tests use a fake).
    pub api_url: Option<String>,
}

/// A setting the chosen mode needs is missing, or the client cannot start.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error(
        "slack.mode = \"socket\" needs slack.app_token (an xapp-… token with connections:write)"
    )]
    NoAppToken,
    #[error(
        "slack.mode = \"http\" needs slack.signing_secret (Basic Information → App Credentials)"
    )]
    NoSigningSecret,
    #[error(transparent)]
    Api(#[from] api::ApiError),
}

/// The running adapter's parts.
pub struct Slack {
    settings: Settings,
    api: Arc<WebApi>,
    dispatcher: Arc<dispatch::Dispatcher>,
    outbound: mpsc::Receiver<Outbound>,
}

use api::WebApi;

impl Slack {
    /// Checks the settings for the mode and builds the Web API client.
    pub fn new(settings: Settings, link: AdapterLink) -> Result<Slack, SetupError> {
        match settings.mode {
            Mode::Socket if settings.app_token.is_none() => return Err(SetupError::NoAppToken),
            Mode::Http if settings.signing_secret.is_none() => {
                return Err(SetupError::NoSigningSecret);
            }
            _ => {}
        }
        let api = Arc::new(WebApi::new(
            &settings.bot_token,
            settings.api_url.as_deref(),
        )?);
        let dispatcher = Arc::new(dispatch::Dispatcher::new(
            link.events,
            api.clone(),
            settings.allow_email_mapping,
        ));
        Ok(Slack {
            settings,
            api,
            dispatcher,
            outbound: link.outbound,
        })
    }

    /// The `/slack/*` routes (HTTP mode; `None` in Socket Mode, where nothing is mounted).
    pub fn router(&self, on_reject: RejectHook) -> Option<axum::Router> {
        let secret = self.settings.signing_secret.as_deref()?;
        if self.settings.mode != Mode::Http {
            return None;
        }
        Some(http::router(Arc::new(http::HttpState {
            verifier: verify::Verifier::new(secret),
            dispatcher: self.dispatcher.clone(),
            on_reject,
        })))
    }

    /// Renders the core's messages (and, in Socket Mode, listens) until the core goes away.
    pub async fn run(self) -> Result<(), AdapterError> {
        let Slack {
            settings,
            api,
            dispatcher,
            mut outbound,
        } = self;
        if let (Mode::Socket, Some(token)) = (settings.mode, settings.app_token.clone()) {
            let api = api.clone();
            tokio::spawn(async move {
                if let Err(e) = socket::listen(&api, &token, dispatcher).await {
                    tracing::error!(error = %e, "Slack Socket Mode stopped: is slack.app_token valid?");
                }
            });
        }
        let renderer = render::Renderer::new(api);
        while let Some(message) = outbound.recv().await {
            let plan = message.thread().thread.clone();
            // One task per message would reorder a thread; Web API calls are fast enough
            // to render in order, and a failed one must not stop the next.
            if let Err(e) = renderer.render(message).await {
                tracing::error!(error = %e, thread = %plan, "cannot post to Slack");
            }
        }
        Ok(())
    }
}

/// The event type this adapter sends, re-exported for wiring code.
pub type Event = AdapterEvent;
