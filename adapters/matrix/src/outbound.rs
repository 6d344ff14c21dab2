//! From the core's [`Outbound`] messages to Matrix events, all in the request's thread.
//!
//! A preview is remembered (event id, card) and gets the bot's own ✅ / ❌ reactions so people
//! only have to click one. When its plan settles the preview is edited (`m.replace`) to lead
//! with the outcome, then the result is posted. Output too long for one message is cut with
//! counts, and the whole text is attached as a file (in plain rooms; in encrypted rooms the
//! file would be stored unencrypted on the homeserver, so only the cut message is sent).

use std::sync::Arc;

use kubechat_chat::{Outbound, ThreadRef};
use matrix_sdk::ruma::{OwnedEventId, RoomId};
use matrix_sdk::{Client, EncryptionState, Room};
use serde_json::Value;

use crate::content;
use crate::format::{self, Body};
use crate::inbound::Shared;
use crate::retry::with_backoff;
use crate::state::Posted;

/// Name of the attached file with the whole output.
pub const OUTPUT_FILE: &str = "kubechat-output.txt";

/// A message could not be shown.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("kubechat is not in room {0}")]
    NoRoom(String),
    #[error(transparent)]
    Matrix(#[from] matrix_sdk::Error),
}

/// Sends one `m.room.message` (rate limits and transient failures retried).
pub async fn send(room: &Room, content: Value) -> Result<OwnedEventId, matrix_sdk::Error> {
    send_event(room, "m.room.message", content).await
}

async fn send_event(
    room: &Room,
    event_type: &'static str,
    content: Value,
) -> Result<OwnedEventId, matrix_sdk::Error> {
    let sent = with_backoff(event_type, || {
        let content = content.clone();
        async move { room.send_raw(event_type, content).await }
    })
    .await?;
    Ok(sent.response.event_id)
}

/// Renders the core's messages.
pub struct Renderer {
    client: Client,
    shared: Arc<Shared>,
}

impl Renderer {
    pub fn new(client: Client, shared: Arc<Shared>) -> Self {
        Renderer { client, shared }
    }

    fn room(&self, thread: &ThreadRef) -> Result<Room, RenderError> {
        let missing = || RenderError::NoRoom(thread.channel.clone());
        let id = <&RoomId>::try_from(thread.channel.as_str()).map_err(|_| missing())?;
        self.client.get_room(id).ok_or_else(missing)
    }

    /// Shows one message from the core.
    pub async fn render(&self, message: Outbound) -> Result<(), RenderError> {
        let room = self.room(message.thread())?;
        match message {
            Outbound::Reply { thread, text } => {
                self.post(&room, &thread, format::reply(&text), None, &text)
                    .await?;
            }
            Outbound::Preview { thread, card } => {
                let body = format::preview(&card);
                let preview =
                    content::preview(&body, &thread.thread, &card.plan_id, &card.plan_hash);
                let event_id = send(&room, preview).await?;
                self.shared.threads().posted(Posted {
                    thread,
                    event_id: event_id.to_string(),
                    card,
                });
                for key in ["✅", "❌"] {
                    let reaction = content::reaction(event_id.as_str(), key);
                    if let Err(e) = send_event(&room, "m.reaction", reaction).await {
                        tracing::warn!(error = %e, "Matrix: cannot add the decision reactions");
                    }
                }
            }
            Outbound::Progress { thread, text, .. } => {
                self.post(&room, &thread, format::progress(&text), None, &text)
                    .await?;
            }
            Outbound::Resolve {
                thread,
                plan_id,
                outcome,
                text,
                undoable,
            } => {
                // After a restart the preview is unknown: the result is still posted.
                let posted = self.shared.threads().settle(&plan_id);
                if let Some(p) = posted {
                    let settled = format::resolved(&p.card, outcome, &text);
                    send(&room, content::edit(&p.event_id, &settled)).await?;
                }
                if undoable {
                    self.shared.threads().set_undoable(&thread, &plan_id);
                }
                let result = format::result(&plan_id, outcome, &text, undoable);
                self.post(&room, &thread, result, None, &text).await?;
            }
            Outbound::Ephemeral { thread, user, text } => {
                // Matrix has no ephemeral messages: address the person in the thread.
                let body = format::addressed(&user, &text);
                self.post(&room, &thread, body, Some(&user), &text).await?;
            }
        }
        Ok(())
    }

    /// Posts `body` in the thread; when it had to be cut, attaches `whole` as a file.
    async fn post(
        &self,
        room: &Room,
        thread: &ThreadRef,
        body: Body,
        mention: Option<&str>,
        whole: &str,
    ) -> Result<(), RenderError> {
        send(room, content::message(&body, &thread.thread, mention)).await?;
        self.shared.threads().mark_answered(thread);
        if body.cut {
            self.attach(room, thread, whole).await?;
        }
        Ok(())
    }

    async fn attach(
        &self,
        room: &Room,
        thread: &ThreadRef,
        whole: &str,
    ) -> Result<(), RenderError> {
        // Asked from the homeserver when not known yet; unknown counts as encrypted.
        let plain = matches!(
            room.latest_encryption_state().await,
            Ok(EncryptionState::NotEncrypted)
        );
        if !plain {
            tracing::info!("Matrix: output cut; no plaintext file in an encrypted room");
            return Ok(());
        }
        let data = whole.as_bytes().to_vec();
        let size = data.len();
        let media = self.client.media();
        let uploaded = with_backoff("upload", || {
            let data = data.clone();
            let media = &media;
            async move { media.upload(&mime::TEXT_PLAIN_UTF_8, data, None).await }
        })
        .await?;
        let file = content::file(
            OUTPUT_FILE,
            uploaded.content_uri.as_str(),
            size,
            &thread.thread,
        );
        send(room, file).await?;
        Ok(())
    }
}
