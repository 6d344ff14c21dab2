//! Wiring the Matrix adapter: `[matrix]` config → adapter settings; log in and sync once before
//! the adapter's task starts, so a start-up problem (wrong token, unreachable homeserver) stops
//! `kubechat serve` with a message that says what to fix.

use anyhow::Context;
use kubechat_chat::{AdapterEvent, CoreLink, Platform, link};
use kubechat_matrix::{Auth, Matrix, Settings};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::config::MatrixConfig;

/// The adapter's settings from the `[matrix]` section (secrets resolved at config load).
pub fn settings(config: &MatrixConfig) -> Settings {
    let auth = match (&config.access_token, &config.password) {
        (Some(token), _) => Auth::AccessToken(token.expose().to_string()),
        // Config validation guarantees one of the two.
        (None, password) => Auth::Password(
            password
                .as_ref()
                .map(|p| p.expose().to_string())
                .unwrap_or_default(),
        ),
    };
    Settings {
        homeserver: config.homeserver.clone(),
        user_id: config.user_id.clone(),
        auth,
        device_name: config.device_name.clone(),
        store_path: config.store_path.clone(),
        store_passphrase: config
            .store_passphrase
            .as_ref()
            .map(|s| s.expose().to_string()),
        prefix: config.prefix.clone(),
        allowed_inviters: config.allowed_inviters.clone(),
        allowed_servers: config.allowed_servers.clone(),
    }
}

/// Connects (login + initial sync) and spawns the adapter; returns the core's end of its link
/// and the adapter's task (aborting it stops the adapter: its sync loop and renderer).
pub async fn start(
    config: &MatrixConfig,
    events: mpsc::Sender<AdapterEvent>,
) -> anyhow::Result<(CoreLink, JoinHandle<()>)> {
    let (adapter, core) = link(Platform::Matrix, events);
    let matrix = Matrix::connect(settings(config), adapter)
        .await
        .with_context(|| {
            format!(
                "cannot start the Matrix adapter for {} on {} (check matrix.homeserver and the \
                 bot's access_token / password)",
                config.user_id, config.homeserver
            )
        })?;
    let task = tokio::spawn(async move {
        if let Err(e) = matrix.run().await {
            tracing::error!(error = %e, "Matrix adapter stopped");
        }
    });
    Ok((core, task))
}
