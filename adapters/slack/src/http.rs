//! HTTP mode: `/slack/events`, `/slack/interactivity` and `/slack/commands` on kubechat's
//! axum server.
//!
//! Each handler verifies the signature over the raw body, parses it, drops duplicates and
//! answers 200 at once; the work (posting a thread root, handing the event to the core) runs
//! on its own task afterwards, so Slack's 3-second limit is met however slow the cluster is.
//! Refused requests get 401 (bad signature) or 400 (unparseable), are logged with the reason,
//! and counted through the [`RejectHook`].

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;

use crate::dispatch::Dispatcher;
use crate::inbound::{self, Incoming, ParseError};
use crate::verify::{Rejection, Verifier};

/// Called once per refused request with a short reason (`forged`, `stale`, `replayed`,
/// `unsigned`, `malformed`, `unparseable`); kubechat counts these in a metric.
pub type RejectHook = Arc<dyn Fn(&'static str) + Send + Sync>;

/// What the handlers share.
pub struct HttpState {
    pub(crate) verifier: Verifier,
    pub(crate) dispatcher: Arc<Dispatcher>,
    pub(crate) on_reject: RejectHook,
}

/// The three Slack endpoints, ready to `.merge()` into the main router.
pub fn router(state: Arc<HttpState>) -> Router {
    Router::new()
        .route("/slack/events", post(events))
        .route("/slack/interactivity", post(interactivity))
        .route("/slack/commands", post(commands))
        .with_state(state)
}

async fn events(State(s): State<Arc<HttpState>>, headers: HeaderMap, body: Bytes) -> Response {
    handle(&s, &headers, &body, inbound::parse_event)
}

async fn interactivity(
    State(s): State<Arc<HttpState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    handle(&s, &headers, &body, inbound::parse_interaction)
}

async fn commands(State(s): State<Arc<HttpState>>, headers: HeaderMap, body: Bytes) -> Response {
    handle(&s, &headers, &body, inbound::parse_command)
}

/// Verify, parse, dedupe, enqueue, answer — nothing here waits on the network.
fn handle(
    s: &Arc<HttpState>,
    headers: &HeaderMap,
    body: &[u8],
    parse: fn(&[u8]) -> Result<Incoming, ParseError>,
) -> Response {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let now = jiff::Timestamp::now().as_second();
    if let Err(rejection) = s.verifier.check(
        header("x-slack-request-timestamp"),
        header("x-slack-signature"),
        body,
        now,
    ) {
        return reject(s, rejection);
    }
    let incoming = match parse(body) {
        Ok(incoming) => incoming,
        Err(e) => {
            tracing::warn!(error = %e, "refused a Slack request");
            (s.on_reject)("unparseable");
            return (StatusCode::BAD_REQUEST, "unparseable Slack payload\n").into_response();
        }
    };
    if let Incoming::Challenge(challenge) = incoming {
        return challenge.into_response();
    }
    if let Incoming::Ignored(why) = incoming {
        tracing::debug!(why, "ignored a Slack event");
        return StatusCode::OK.into_response();
    }
    if !s.dispatcher.accept(&incoming) {
        let retry = header("x-slack-retry-num").unwrap_or("-");
        tracing::info!(retry, "dropped a duplicate Slack delivery");
        return StatusCode::OK.into_response();
    }
    let dispatcher = s.dispatcher.clone();
    tokio::spawn(async move { dispatcher.dispatch(incoming).await });
    StatusCode::OK.into_response()
}

fn reject(s: &HttpState, rejection: Rejection) -> Response {
    tracing::warn!(
        reason = rejection.reason(),
        "refused a Slack request: {rejection}"
    );
    (s.on_reject)(rejection.reason());
    (StatusCode::UNAUTHORIZED, "invalid Slack signature\n").into_response()
}
