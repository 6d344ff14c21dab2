//! kubechat's Matrix adapter, on matrix-sdk: the bot logs in, joins rooms it is invited to
//! (optionally only from allowed inviters / servers), syncs once before answering so a restart
//! never replays old messages, and then turns room messages and reactions into the neutral
//! events of `kubechat-chat`, and the core's answers into threaded Matrix messages.
//!
//! Like every adapter it only translates; it cannot reach the planner, policy, cluster or
//! ledger. Module map:
//! - [`trigger`]: which messages are requests, typed decisions, reactions → verdicts (pure).
//! - [`format`]: HTML + plain bodies, escaping, cutting long output (pure).
//! - [`content`]: the event contents sent: threads, mentions, edits, reactions (pure).
//! - [`state`]: seen event ids, answered threads, pending previews (pure, in memory).
//! - [`retry`]: M_LIMIT_EXCEEDED and transient errors, honouring `retry_after_ms`.
//! - [`session`]: log in with a token or password; keep the device across restarts.
//! - [`inbound`]: sync event handlers → [`AdapterEvent`]s; invitations.
//! - [`outbound`]: core messages → sends, edits, reactions, files.

pub mod content;
pub mod format;
pub mod inbound;
pub mod outbound;
pub mod retry;
pub mod session;
pub mod state;
pub mod trigger;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use kubechat_chat::{AdapterError, AdapterEvent, AdapterLink, Outbound};
use matrix_sdk::Client;
use matrix_sdk::config::SyncSettings;
use tokio::sync::mpsc;

/// How the bot authenticates.
#[derive(Clone)]
pub enum Auth {
    /// A token of the bot's account (the device is the token's).
    AccessToken(String),
    /// The account's password; kubechat logs in and keeps the device in `store_path`.
    Password(String),
}

/// What the adapter needs; the core's `[matrix]` config resolves into this.
#[derive(Clone)]
pub struct Settings {
    /// Client-server API base URL.
    pub homeserver: String,
    /// The bot's user id.
    pub user_id: String,
    pub auth: Auth,
    /// Device name for password logins.
    pub device_name: String,
    /// Where the session (and, with the `e2e` feature, the encryption state) is kept.
    pub store_path: Option<PathBuf>,
    /// Encrypts the store at rest (`e2e` feature).
    pub store_passphrase: Option<String>,
    /// Command prefix (`!kubechat`).
    pub prefix: String,
    /// Invitations accepted from these users…
    pub allowed_inviters: Vec<String>,
    /// …or from users of these homeservers; both empty: any invitation is accepted.
    pub allowed_servers: Vec<String>,
}

/// The adapter could not start.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("matrix.user_id {0:?} is not a valid Matrix user id")]
    UserId(String),
    #[error("cannot set up the Matrix client for {homeserver}: {source}")]
    Client {
        homeserver: String,
        #[source]
        source: Box<matrix_sdk::ClientBuildError>,
    },
    #[error("cannot log in to Matrix: {0}")]
    Login(#[source] Box<matrix_sdk::Error>),
    #[error(
        "the access token belongs to {actual}, not to matrix.user_id {configured}: \
         use a token of the bot's own account"
    )]
    WrongUser { configured: String, actual: String },
    #[error("cannot use the Matrix store at {path}: {message}")]
    Store { path: PathBuf, message: String },
    #[error("the first sync with the homeserver failed: {0}")]
    Sync(#[source] Box<matrix_sdk::Error>),
}

/// A logged-in bot that has done its first sync.
pub struct Matrix {
    client: Client,
    state: Arc<inbound::Shared>,
    outbound: mpsc::Receiver<Outbound>,
    /// Where the first sync ended; the sync loop resumes from here.
    since: String,
}

/// Server-side long-poll timeout for each sync.
const SYNC_TIMEOUT: Duration = Duration::from_secs(30);

impl Matrix {
    /// Logs in, syncs once (events already in the rooms are not handled), joins rooms it was
    /// invited to meanwhile, and registers the event handlers for what comes next.
    pub async fn connect(settings: Settings, link: AdapterLink) -> Result<Matrix, SetupError> {
        let client = session::login(&settings).await?;
        let first = retry::with_backoff("first sync", || {
            client.sync_once(SyncSettings::default().timeout(Duration::ZERO))
        })
        .await
        .map_err(|e| SetupError::Sync(Box::new(e)))?;
        let display_name = client.account().get_display_name().await.ok().flatten();
        let state = Arc::new(inbound::Shared::new(&settings, display_name, link.events));
        inbound::join_pending_invites(&client, &state).await;
        inbound::register(&client, state.clone());
        tracing::info!(user = %settings.user_id, "Matrix: logged in and synced; answering new messages");
        Ok(Matrix {
            client,
            state,
            outbound: link.outbound,
            since: first.next_batch,
        })
    }

    /// Syncs (resuming after homeserver restarts) and renders the core's messages until the core
    /// goes away.
    pub async fn run(self) -> Result<(), AdapterError> {
        let Matrix {
            client,
            state,
            mut outbound,
            since,
        } = self;
        let sync = AbortOnDrop(tokio::spawn(sync_loop(client.clone(), since)));
        let renderer = outbound::Renderer::new(client, state);
        while let Some(message) = outbound.recv().await {
            let thread = message.thread().thread.clone();
            // In order: one task per message would reorder a thread.
            if let Err(e) = renderer.render(message).await {
                tracing::error!(error = %e, %thread, "cannot post to Matrix");
            }
        }
        drop(sync);
        Ok(())
    }
}

/// Syncs forever from `since`. A failed sync (homeserver restarting, network gone) is retried
/// with backoff from the same token, so nothing in between is lost or handled twice.
async fn sync_loop(client: Client, mut since: String) {
    let mut failures = 0u32;
    loop {
        let settings = SyncSettings::default()
            .token(since.clone())
            .timeout(SYNC_TIMEOUT);
        match client.sync_once(settings).await {
            Ok(response) => {
                if failures > 0 {
                    tracing::info!("Matrix: sync resumed");
                }
                failures = 0;
                since = response.next_batch;
            }
            Err(e) => {
                failures += 1;
                let wait = retry::delay(&e, failures);
                tracing::warn!(error = %e, retry_in = ?wait, "Matrix sync failed; retrying");
                tokio::time::sleep(wait).await;
            }
        }
    }
}

/// Stops a spawned task when dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The event type this adapter sends, re-exported for wiring code.
pub type Event = AdapterEvent;
