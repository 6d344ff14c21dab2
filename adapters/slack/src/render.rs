//! From the core's [`Outbound`] messages to Web API calls.
//!
//! Previews are remembered (channel, ts, card) so that when one settles its message can be
//! replaced by the settled version (`chat.update`) before the result is posted in the thread.
//! Long read output is cut to fit a message, and the whole output is attached as a file in
//! the thread so nothing is lost.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use kubechat_chat::{Outbound, PreviewCard};

use crate::api::{ApiError, WebApi};
use crate::blocks;

/// Output longer than this (lines or characters) is attached as a file too.
const FILE_LINES: usize = blocks::MAX_LINES;
const FILE_CHARS: usize = 2800;

/// Renders the core's messages on Slack.
pub struct Renderer {
    api: Arc<WebApi>,
    /// Previews posted, by plan id (written when posted, removed when resolved).
    previews: Mutex<HashMap<String, Posted>>,
}

struct Posted {
    channel: String,
    ts: String,
    card: PreviewCard,
}

impl Renderer {
    /// A renderer posting with `api`.
    pub fn new(api: Arc<WebApi>) -> Self {
        Renderer {
            api,
            previews: Mutex::default(),
        }
    }

    /// Shows one message from the core.
    pub async fn render(&self, message: Outbound) -> Result<(), ApiError> {
        let api = &self.api;
        match message {
            Outbound::Reply { thread, text } => {
                let (channel, ts) = (&thread.channel, thread.thread.as_str());
                api.post(channel, Some(ts), &blocks::reply(&text)).await?;
                if text.lines().count() > FILE_LINES || text.chars().count() > FILE_CHARS {
                    api.upload(channel, ts, "kubechat-output.txt", &text)
                        .await?;
                }
            }
            Outbound::Preview { thread, card } => {
                let message = blocks::preview(&card);
                let ts = api
                    .post(&thread.channel, Some(&thread.thread), &message)
                    .await?;
                let posted = Posted {
                    channel: thread.channel,
                    ts,
                    card,
                };
                self.previews
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(posted.card.plan_id.clone(), posted);
            }
            Outbound::Progress { thread, text, .. } => {
                let message = blocks::progress(&text);
                api.post(&thread.channel, Some(&thread.thread), &message)
                    .await?;
            }
            Outbound::Resolve {
                thread,
                plan_id,
                outcome,
                text,
                undoable,
            } => {
                let posted = self
                    .previews
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .remove(&plan_id);
                // After a restart the preview's ts is unknown: the result is still posted.
                if let Some(p) = posted {
                    let settled = blocks::resolved(&p.card, outcome, &text);
                    api.update(&p.channel, &p.ts, &settled).await?;
                }
                let message = blocks::result(&plan_id, outcome, &text, undoable);
                api.post(&thread.channel, Some(&thread.thread), &message)
                    .await?;
            }
            Outbound::Ephemeral { thread, user, text } => {
                let message = blocks::reply(&text);
                api.ephemeral(&thread.channel, &user, Some(&thread.thread), &message)
                    .await?;
            }
        }
        Ok(())
    }
}
