//! `kubechat serve` and `kubechat chat`: wire adapters to the app loop and run until shutdown.

use anyhow::Context;
use kubechat_chat::{Platform, link};
use tokio::io::BufReader;
use tokio::sync::mpsc;

use crate::app::{self, App};

#[cfg(feature = "matrix")]
pub mod matrix;
#[cfg(feature = "slack")]
pub mod slack;

/// Runs the HTTP server and every configured adapter (the console when no chat platform is
/// configured) until SIGTERM / Ctrl-C.
pub async fn serve(app: App) -> anyhow::Result<()> {
    let listen = app.config().server.listen.clone();
    let listener = tokio::net::TcpListener::bind(&listen)
        .await
        .with_context(|| format!("cannot listen on {listen} (server.listen)"))?;
    tracing::info!(%listen, "HTTP server listening (/healthz, /readyz, /metrics)");
    report_clusters(&app).await;
    let (_tx, shutdown) = crate::shutdown::on_signal();
    tokio::spawn(app::watch_policy(app.clone(), shutdown.clone()));
    let (events_tx, events_rx) = mpsc::channel(1024);
    let mut cores = Vec::new();
    let mut routes = None;
    if let Some(slack) = &app.config().slack {
        let (core, slack_routes) = start_slack(&app, slack, events_tx.clone())?;
        cores.push(core);
        routes = slack_routes;
    }
    if let Some(core) = start_matrix(&app, &events_tx).await? {
        cores.push(core);
    }
    if cores.is_empty() {
        cores.push(start_console(events_tx));
    }
    let mut router = crate::web::router(app.clone());
    if let Some(routes) = routes {
        router = router.merge(routes);
    }
    let mut web_shutdown = shutdown.clone();
    let server = tokio::spawn(async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(async move {
                let _ = web_shutdown.wait_for(|stop| *stop).await;
            })
            .await
    });
    app::run(app, events_rx, cores, shutdown).await;
    server.await.context("HTTP server task failed")??;
    Ok(())
}

/// The terminal as the chat platform (no `[slack]` configured).
fn start_console(events_tx: mpsc::Sender<kubechat_chat::AdapterEvent>) -> kubechat_chat::CoreLink {
    let (adapter, core) = link(Platform::Console, events_tx);
    let user = std::env::var("KUBECHAT_USER").unwrap_or_else(|_| "alice".into());
    eprintln!(
        "kubechat is running. No chat platform is configured, so this terminal is the console:\n  \
         type a request as {user} (switch with `/as NAME`), `approve ID` / `abort ID` to decide.\n  \
         Ctrl-C stops kubechat."
    );
    tokio::spawn(async move {
        let input = BufReader::new(tokio::io::stdin());
        if let Err(e) = kubechat_console::run(user, adapter, input, tokio::io::stdout()).await {
            tracing::warn!(error = %e, "console adapter stopped");
        }
    });
    core
}

#[cfg(feature = "slack")]
fn start_slack(
    app: &App,
    config: &crate::config::SlackConfig,
    events_tx: mpsc::Sender<kubechat_chat::AdapterEvent>,
) -> anyhow::Result<(kubechat_chat::CoreLink, Option<axum::Router>)> {
    let started = slack::start(app, config, events_tx)?;
    let how = match config.mode {
        crate::config::SlackMode::Socket => "Socket Mode",
        crate::config::SlackMode::Http => {
            "HTTP (/slack/events, /slack/interactivity, /slack/commands)"
        }
    };
    tracing::info!(mode = how, "Slack adapter started");
    Ok(started)
}

#[cfg(not(feature = "slack"))]
fn start_slack(
    _app: &App,
    _config: &crate::config::SlackConfig,
    _events_tx: mpsc::Sender<kubechat_chat::AdapterEvent>,
) -> anyhow::Result<(kubechat_chat::CoreLink, Option<axum::Router>)> {
    anyhow::bail!(
        "[slack] is configured but this kubechat was built without the `slack` feature; \
         rebuild with default features"
    )
}

/// Logs in to Matrix and syncs once (so nothing already in the rooms is answered), then runs
/// the adapter; `None` without `[matrix]`.
#[cfg(feature = "matrix")]
pub async fn start_matrix(
    app: &App,
    events_tx: &mpsc::Sender<kubechat_chat::AdapterEvent>,
) -> anyhow::Result<Option<kubechat_chat::CoreLink>> {
    let Some(config) = &app.config().matrix else {
        return Ok(None);
    };
    let (core, _task) = matrix::start(config, events_tx.clone()).await?;
    tracing::info!(homeserver = %config.homeserver, user = %config.user_id, "Matrix adapter started");
    Ok(Some(core))
}

#[cfg(not(feature = "matrix"))]
pub async fn start_matrix(
    app: &App,
    _events_tx: &mpsc::Sender<kubechat_chat::AdapterEvent>,
) -> anyhow::Result<Option<kubechat_chat::CoreLink>> {
    if app.config().matrix.is_some() {
        anyhow::bail!(
            "[matrix] is configured but this kubechat was built without the `matrix` feature; \
             rebuild with default features"
        );
    }
    Ok(None)
}

/// An interactive terminal session without the HTTP server.
pub async fn chat(app: App, user: String) -> anyhow::Result<()> {
    report_clusters(&app).await;
    let (_tx, shutdown) = crate::shutdown::on_signal();
    tokio::spawn(app::watch_policy(app.clone(), shutdown.clone()));
    let (events_tx, events_rx) = mpsc::channel(64);
    let (adapter, core) = link(Platform::Console, events_tx);
    eprintln!(
        "kubechat chat as {user}: type a request, `approve ID`, `abort ID`, `/as NAME`, `/quit`."
    );
    let loop_task = tokio::spawn(app::run(app, events_rx, vec![core], shutdown));
    let input = BufReader::new(tokio::io::stdin());
    kubechat_console::run(user, adapter, input, tokio::io::stdout())
        .await
        .map_err(|e| anyhow::anyhow!("console: {e}"))?;
    loop_task.abort();
    Ok(())
}

/// Says clearly at start-up which clusters answer and what to do about those that don't.
async fn report_clusters(app: &App) {
    for c in &app.config().clusters {
        match app.executor().ping(&c.name).await {
            Ok(()) => tracing::info!(cluster = %c.name, "cluster reachable"),
            Err(e) => eprintln!(
                "kubechat: cluster {:?} is not reachable right now: {e}\n  \
                 Requests to it will fail until it is. Check `kubectl --context ... version` with the same kubeconfig.",
                c.name
            ),
        }
    }
}
