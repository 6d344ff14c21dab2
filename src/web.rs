//! The HTTP server: `/healthz` (process alive), `/readyz` (ledger and every cluster reachable),
//! `/metrics` (Prometheus text). Platform webhooks mount here too.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use tower_http::trace::TraceLayer;

use crate::app::App;

/// The router, testable with `oneshot` and no socket.
pub fn router(app: App) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
            tracing::debug_span!("http", method = %req.method(), path = %req.uri().path())
        }))
        .with_state(app)
}

async fn readyz(State(app): State<App>) -> impl IntoResponse {
    let mut problems = Vec::new();
    if let Err(e) = app.ledger().ping().await {
        tracing::warn!(error = %e, "readyz: ledger unreachable");
        problems.push("ledger unreachable".to_string());
    }
    for c in &app.config().clusters {
        if let Err(e) = app.executor().ping(&c.name).await {
            tracing::warn!(cluster = %c.name, error = %e, "readyz: cluster unreachable");
            problems.push(format!("cluster {} unreachable", c.name));
        }
    }
    if problems.is_empty() {
        (StatusCode::OK, "ready\n".to_string())
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("{}\n", problems.join("\n")),
        )
    }
}

async fn metrics(State(app): State<App>) -> impl IntoResponse {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        app.metrics().render(),
    )
}
