//! Socket Mode: kubechat opens a WebSocket to Slack (no public URL needed; works behind
//! firewalls). slack-morphism's listener keeps two connections, acknowledges each envelope,
//! and reconnects with backoff when a connection drops; Slack then redelivers what was not
//! acknowledged, which the dispatcher deduplicates.
//!
//! The typed events slack-morphism hands us are turned back into Slack's JSON and parsed by
//! [`crate::inbound`], so both modes share one translation (and one set of tests).

use std::sync::Arc;

use serde_json::Value;
use slack_morphism::prelude::*;

use crate::api::{Connector, WebApi};
use crate::dispatch::Dispatcher;
use crate::inbound::{self, Incoming, ParseError};

/// Seconds before the first reconnect; slack-morphism grows it on repeated failures.
const INITIAL_BACKOFF_SECONDS: u64 = 2;

/// Listens until the process stops. Returns early only when the app token is refused.
pub async fn listen(
    api: &WebApi,
    app_token: &str,
    dispatcher: Arc<Dispatcher>,
) -> Result<(), slack_morphism::errors::SlackClientError> {
    let callbacks = SlackSocketModeListenerCallbacks::new()
        .with_command_events(on_command)
        .with_interaction_events(on_interaction)
        .with_push_events(on_push);
    let environment = Arc::new(
        SlackClientEventsListenerEnvironment::new(api.client())
            .with_error_handler(on_error)
            .with_user_state(dispatcher),
    );
    let config =
        SlackClientSocketModeConfig::new().with_initial_backoff_in_seconds(INITIAL_BACKOFF_SECONDS);
    let listener = SlackClientSocketModeListener::new(&config, environment, callbacks);
    let token = SlackApiToken::new(SlackApiTokenValue::new(app_token.to_string()));
    listener.listen_for(&token).await?;
    tracing::info!("Slack Socket Mode connected");
    listener.start().await;
    // The listener's tasks run until shutdown; park here so the adapter stays alive.
    std::future::pending::<()>().await;
    Ok(())
}

/// A typed Events API callback back to Slack's JSON, then through the shared parser.
pub fn push_to_incoming(event: &SlackPushEventCallback) -> Result<Incoming, ParseError> {
    let mut value = serde_json::to_value(event).map_err(ParseError::Event)?;
    if let Value::Object(map) = &mut value {
        map.insert("type".into(), "event_callback".into());
    }
    inbound::event_from_value(value)
}

/// A typed interaction back to Slack's JSON, then through the shared parser.
pub fn interaction_to_incoming(event: &SlackInteractionEvent) -> Result<Incoming, ParseError> {
    let value = serde_json::to_value(event).map_err(|e| ParseError::Interaction(e.to_string()))?;
    inbound::interaction_from_value(&value)
}

async fn dispatcher(state: &SlackClientEventsUserState) -> Option<Arc<Dispatcher>> {
    state
        .read()
        .await
        .get_user_state::<Arc<Dispatcher>>()
        .cloned()
}

/// Dedupes and hands an event to the dispatcher after the listener has acknowledged it.
fn enqueue(dispatcher: Arc<Dispatcher>, incoming: Incoming) {
    if let Incoming::Ignored(why) = incoming {
        tracing::debug!(why, "ignored a Slack event");
        return;
    }
    if dispatcher.accept(&incoming) {
        tokio::spawn(async move { dispatcher.dispatch(incoming).await });
    } else {
        tracing::info!("dropped a duplicate Slack delivery");
    }
}

async fn on_push(
    event: SlackPushEventCallback,
    _client: Arc<SlackClient<Connector>>,
    state: SlackClientEventsUserState,
) -> UserCallbackResult<()> {
    let incoming = push_to_incoming(&event)?;
    if let Some(d) = dispatcher(&state).await {
        enqueue(d, incoming);
    }
    Ok(())
}

async fn on_command(
    event: SlackCommandEvent,
    _client: Arc<SlackClient<Connector>>,
    state: SlackClientEventsUserState,
) -> UserCallbackResult<SlackCommandEventResponse> {
    let incoming = Incoming::Command {
        channel: event.channel_id.to_string(),
        user: event.user_id.to_string(),
        text: inbound::clean_text(event.text.as_deref().unwrap_or_default()),
        trigger_id: event.trigger_id.to_string(),
    };
    if let Some(d) = dispatcher(&state).await {
        enqueue(d, incoming);
    }
    // An empty response: the answer comes in the thread kubechat opens.
    Ok(SlackCommandEventResponse::new(SlackMessageContent::new()))
}

async fn on_interaction(
    event: SlackInteractionEvent,
    _client: Arc<SlackClient<Connector>>,
    state: SlackClientEventsUserState,
) -> UserCallbackResult<()> {
    let incoming = interaction_to_incoming(&event)?;
    if let Some(d) = dispatcher(&state).await {
        enqueue(d, incoming);
    }
    Ok(())
}

fn on_error(
    error: Box<dyn std::error::Error + Send + Sync>,
    _client: Arc<SlackClient<Connector>>,
    _state: SlackClientEventsUserState,
) -> HttpStatusCode {
    tracing::warn!(error = %error, "Slack Socket Mode event failed");
    HttpStatusCode::OK
}
