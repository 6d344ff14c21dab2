//! From an accepted Slack request to an [`AdapterEvent`] on the core's inbox.
//!
//! Runs after the request was acknowledged (HTTP 200 / Socket Mode ack), so Slack's 3-second
//! limit is never at stake here. Duplicates are dropped first, synchronously: Slack retries an
//! event it thinks we missed (`X-Slack-Retry-Num`), Socket Mode may redeliver, and one click
//! must be one decision. A slash command has no message of its own, so kubechat posts the
//! thread root ("alice asked: …") and the request lives in that thread.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use kubechat_chat::{AdapterEvent, Decision, Inbound, Platform, ThreadRef, UndoRequest, Verdict};
use tokio::sync::mpsc;

use crate::api::WebApi;
use crate::blocks;
use crate::inbound::{ActionKind, Incoming};
use crate::mrkdwn::escape;

/// Event ids remembered for deduplication (Slack retries within minutes; this covers hours
/// at any realistic rate).
const SEEN_CAP: usize = 50_000;
/// How long a confirmed email stays cached before `users.info` is asked again.
const EMAIL_TTL: Duration = Duration::from_secs(600);

/// Turns accepted requests into core events. Shared by the HTTP handlers and Socket Mode.
pub struct Dispatcher {
    events: mpsc::Sender<AdapterEvent>,
    api: Arc<WebApi>,
    allow_email_mapping: bool,
    /// Ids of events already accepted (written by `accept`, oldest evicted first).
    seen: Mutex<Seen>,
    /// Confirmed emails by Slack user id (written and read by `email`).
    emails: Mutex<HashMap<String, (Option<String>, Instant)>>,
}

#[derive(Default)]
struct Seen {
    order: VecDeque<String>,
    set: HashSet<String>,
}

impl Dispatcher {
    /// A dispatcher sending to the core's inbox.
    pub fn new(
        events: mpsc::Sender<AdapterEvent>,
        api: Arc<WebApi>,
        allow_email_mapping: bool,
    ) -> Self {
        Dispatcher {
            events,
            api,
            allow_email_mapping,
            seen: Mutex::default(),
            emails: Mutex::default(),
        }
    }

    /// False when this request was already accepted (a retry or a duplicate delivery).
    pub fn accept(&self, incoming: &Incoming) -> bool {
        let id = match incoming {
            Incoming::Message { event_id, .. } => event_id,
            Incoming::Command { trigger_id, .. } | Incoming::Action { trigger_id, .. } => {
                trigger_id
            }
            Incoming::Challenge(_) | Incoming::Ignored(_) => return true,
        };
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        if !seen.set.insert(id.clone()) {
            return false;
        }
        seen.order.push_back(id.clone());
        if seen.order.len() > SEEN_CAP
            && let Some(old) = seen.order.pop_front()
        {
            seen.set.remove(&old);
        }
        true
    }

    /// Hands an accepted request to the core (posting a thread root for slash commands).
    pub async fn dispatch(&self, incoming: Incoming) {
        let event = match incoming {
            Incoming::Challenge(_) | Incoming::Ignored(_) => return,
            Incoming::Message {
                channel,
                user,
                text,
                ts,
                thread_ts,
                event_id,
            } => AdapterEvent::Message(Inbound {
                thread: thread(channel, thread_ts.unwrap_or(ts)),
                email: self.email(&user).await,
                user,
                text,
                event_id,
            }),
            Incoming::Command {
                channel,
                user,
                text,
                trigger_id,
            } => match self.open_thread(&channel, &user, &text).await {
                Some(root) => AdapterEvent::Message(Inbound {
                    thread: thread(channel, root),
                    email: self.email(&user).await,
                    user,
                    text,
                    event_id: format!("command {trigger_id}"),
                }),
                None => return,
            },
            Incoming::Action {
                channel,
                user,
                message_ts,
                thread_ts,
                kind,
                plan_id,
                plan_hash,
                trigger_id,
            } => {
                let thread = thread(channel, thread_ts.unwrap_or(message_ts));
                let email = self.email(&user).await;
                let event_id = format!("action {trigger_id}");
                let verdict = match kind {
                    ActionKind::Approve => Verdict::Approve,
                    ActionKind::Abort => Verdict::Abort,
                    ActionKind::Undo => {
                        let undo = UndoRequest {
                            thread,
                            user,
                            plan_id,
                            event_id,
                            email,
                        };
                        return self.send(AdapterEvent::Undo(undo)).await;
                    }
                };
                AdapterEvent::Decision(Decision {
                    thread,
                    user,
                    plan_id,
                    plan_hash,
                    verdict,
                    event_id,
                    email,
                })
            }
        };
        self.send(event).await;
    }

    async fn send(&self, event: AdapterEvent) {
        if self.events.send(event).await.is_err() {
            tracing::warn!("the core's inbox is closed; Slack event dropped");
        }
    }

    /// Posts the thread root of a slash command; `None` when there is nothing to ask.
    async fn open_thread(&self, channel: &str, user: &str, text: &str) -> Option<String> {
        if text.trim().is_empty() {
            let usage = blocks::reply(
                "Tell me what to do, e.g. `/kubechat scale payment-api to 5` or \
                 `/kubechat get pods in prod`.",
            );
            if let Err(e) = self.api.ephemeral(channel, user, None, &usage).await {
                tracing::warn!(error = %e, "cannot send the slash command usage");
            }
            return None;
        }
        // The mention is ours (a user id from a verified request); only the text is escaped.
        let root = blocks::Message {
            text: format!("<@{user}> asked: {}", escape(text)),
            blocks: vec![
                serde_json::json!({"type": "section", "text": {"type": "mrkdwn",
                "text": format!("<@{user}> asked: `{}`", escape(text).replace('`', "'"))}}),
            ],
        };
        match self.api.post(channel, None, &root).await {
            Ok(ts) => Some(ts),
            Err(e) => {
                tracing::error!(error = %e, %channel, "cannot open a thread for a slash command");
                None
            }
        }
    }

    /// The user's confirmed email, only when mapping by email is enabled.
    async fn email(&self, user: &str) -> Option<String> {
        if !self.allow_email_mapping {
            return None;
        }
        if let Some((email, at)) = self
            .emails
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(user)
            && at.elapsed() < EMAIL_TTL
        {
            return email.clone();
        }
        let email = match self.api.confirmed_email(user).await {
            Ok(email) => email,
            Err(e) => {
                tracing::warn!(error = %e, %user, "cannot read the user's email; not mapping by email");
                return None;
            }
        };
        self.emails
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(user.to_string(), (email.clone(), Instant::now()));
        email
    }
}

fn thread(channel: String, root: String) -> ThreadRef {
    ThreadRef {
        platform: Platform::Slack,
        channel,
        thread: root,
    }
}
