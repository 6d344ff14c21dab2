//! Wiring the Slack adapter: `[slack]` config → adapter settings, refused webhook requests →
//! the `kubechat_webhook_rejections` metric, and the `/slack/*` routes for HTTP mode.

use std::sync::Arc;

use kubechat_chat::{AdapterEvent, CoreLink, Platform, link};
use kubechat_slack::{Mode, RejectHook, Settings, Slack};
use tokio::sync::mpsc;

use crate::app::App;
use crate::config::{SlackConfig, SlackMode};

/// The adapter's settings from the `[slack]` section (secrets resolved at config load).
pub fn settings(config: &SlackConfig) -> Settings {
    Settings {
        mode: match config.mode {
            SlackMode::Socket => Mode::Socket,
            SlackMode::Http => Mode::Http,
        },
        bot_token: config.bot_token.expose().to_string(),
        app_token: config.app_token.as_ref().map(|s| s.expose().to_string()),
        signing_secret: config
            .signing_secret
            .as_ref()
            .map(|s| s.expose().to_string()),
        allow_email_mapping: config.allow_email_mapping,
        api_url: config.api_url.clone(),
    }
}

/// Starts the adapter's task; returns the core's end of its link and, in HTTP mode, the
/// routes to merge into the web server.
pub fn start(
    app: &App,
    config: &SlackConfig,
    events: mpsc::Sender<AdapterEvent>,
) -> anyhow::Result<(CoreLink, Option<axum::Router>)> {
    let (adapter, core) = link(Platform::Slack, events);
    let slack = Slack::new(settings(config), adapter)?;
    let metrics = app.metrics().clone();
    let on_reject: RejectHook = Arc::new(move |reason| {
        crate::telemetry::inc(
            &metrics.webhook_rejections,
            &[("platform", "slack"), ("reason", reason)],
        );
    });
    let routes = slack.router(on_reject);
    tokio::spawn(async move {
        if let Err(e) = slack.run().await {
            tracing::error!(error = %e, "Slack adapter stopped");
        }
    });
    Ok((core, routes))
}
