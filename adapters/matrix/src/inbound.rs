//! From sync events to the core: room messages become requests, typed decisions or undos;
//! ✅ / ❌ reactions on a preview become decisions; invitations are accepted or refused.
//!
//! Every event is taken once (deduplicated by event id), the bot's own events are ignored, and
//! edits (`m.replace`) are not requests. Who may act is not decided here: every decision, also
//! from a stranger, goes to the core, which refuses and records it (unmapped users get the
//! refusal in the thread); the adapter never acts on its own.

use std::sync::{Arc, Mutex, PoisonError};

use kubechat_chat::{AdapterEvent, Decision, Inbound, Platform, ThreadRef, UndoRequest, Verdict};
use matrix_sdk::ruma::events::reaction::OriginalSyncReactionEvent;
use matrix_sdk::ruma::events::room::member::{MembershipState, StrippedRoomMemberEvent};
use matrix_sdk::ruma::events::room::message::{
    MessageType, OriginalSyncRoomMessageEvent, Relation,
};
use matrix_sdk::ruma::{EventId, MilliSecondsSinceUnixEpoch, UserId};
use matrix_sdk::{Client, Room, RoomMemberships, RoomState};
use serde_json::Value;
use tokio::sync::mpsc;

use crate::state::{Seen, Threads};
use crate::trigger::{self, Command, Context, Triggers};
use crate::{Settings, content, format, outbound};

/// What the handlers and the renderer share.
pub struct Shared {
    /// The bot's user id.
    pub own: String,
    pub triggers: Triggers,
    /// The core's inbox.
    events: mpsc::Sender<AdapterEvent>,
    /// Event ids already taken (messages and reactions).
    seen: Mutex<Seen>,
    /// Threads answered, previews pending (see [`Threads`]).
    pub threads: Mutex<Threads>,
    allowed_inviters: Vec<String>,
    allowed_servers: Vec<String>,
    /// When the adapter started: older messages and reactions (history of a room just joined)
    /// are never acted on.
    started: MilliSecondsSinceUnixEpoch,
}

/// Whether an invitation from `inviter` is accepted: from an allowed inviter or a user of an
/// allowed server; anyone when neither list is set.
pub fn invite_allowed(inviter: &UserId, inviters: &[String], servers: &[String]) -> bool {
    if inviters.is_empty() && servers.is_empty() {
        return true;
    }
    inviters.iter().any(|i| i == inviter.as_str())
        || servers
            .iter()
            .any(|s| s.eq_ignore_ascii_case(inviter.server_name().as_str()))
}

impl Shared {
    pub fn new(
        settings: &Settings,
        display_name: Option<String>,
        events: mpsc::Sender<AdapterEvent>,
    ) -> Self {
        Shared {
            own: settings.user_id.clone(),
            triggers: Triggers {
                user_id: settings.user_id.clone(),
                display_name,
                prefix: settings.prefix.clone(),
            },
            events,
            seen: Mutex::new(Seen::new(8192)),
            threads: Mutex::default(),
            allowed_inviters: settings.allowed_inviters.clone(),
            allowed_servers: settings.allowed_servers.clone(),
            started: MilliSecondsSinceUnixEpoch::now(),
        }
    }

    /// A new event (sent after start, not seen before, not our own) in a joined room.
    fn fresh(
        &self,
        room: &Room,
        sender: &UserId,
        sent: MilliSecondsSinceUnixEpoch,
        event_id: &EventId,
    ) -> bool {
        room.state() == RoomState::Joined
            && sender.as_str() != self.own
            && sent >= self.started
            && self.first(event_id)
    }

    fn first(&self, event_id: &EventId) -> bool {
        self.seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .first(event_id.as_str())
    }

    /// The thread state, also after a panic elsewhere (it holds plain data).
    pub fn threads(&self) -> std::sync::MutexGuard<'_, Threads> {
        self.threads.lock().unwrap_or_else(PoisonError::into_inner)
    }

    async fn to_core(&self, event: AdapterEvent) {
        if self.events.send(event).await.is_err() {
            tracing::warn!("Matrix: the core has stopped; event dropped");
        }
    }

    async fn on_message(&self, ev: OriginalSyncRoomMessageEvent, room: Room) {
        if !self.fresh(&room, &ev.sender, ev.origin_server_ts, &ev.event_id) {
            return;
        }
        let MessageType::Text(text) = &ev.content.msgtype else {
            return; // notices (other bots), images, files…
        };
        let root = match &ev.content.relates_to {
            Some(Relation::Replacement(_)) => return, // an edit is not a new request
            Some(Relation::Thread(t)) => t.event_id.to_string(),
            _ => ev.event_id.to_string(),
        };
        let thread = ThreadRef {
            platform: Platform::Matrix,
            channel: room.room_id().to_string(),
            thread: root,
        };
        let answered = self.threads().is_answered(&thread);
        let cx = Context {
            mentioned: ev
                .content
                .mentions
                .as_ref()
                .is_some_and(|m| m.user_ids.iter().any(|u| u == &self.own)),
            always: answered || is_dm(&room).await,
        };
        let Some(stripped) = self.triggers.strip(&text.body, cx) else {
            return;
        };
        let user = ev.sender.to_string();
        let event_id = ev.event_id.to_string();
        match trigger::command(&stripped) {
            Command::Request(text) if text.is_empty() => {
                let hint = format!(
                    "Ask me something, e.g. \"{} show pods in prod\".",
                    self.triggers.prefix
                );
                self.hint(&room, &thread, &hint).await;
            }
            Command::Request(text) => {
                self.threads().mark_answered(&thread);
                self.to_core(AdapterEvent::Message(Inbound {
                    thread,
                    user,
                    text,
                    event_id,
                    email: None,
                }))
                .await;
            }
            Command::Decide(verdict, plan) => {
                self.typed_decision(&room, thread, user, event_id, verdict, plan)
                    .await;
            }
            Command::Undo(plan) => {
                let plan = plan.or_else(|| self.threads().undoable(&thread).map(str::to_string));
                let Some(plan_id) = plan else {
                    self.hint(
                        &room,
                        &thread,
                        "There is nothing to undo in this thread; say \"undo PLAN_ID\".",
                    )
                    .await;
                    return;
                };
                self.to_core(AdapterEvent::Undo(UndoRequest {
                    thread,
                    user,
                    plan_id,
                    event_id,
                    email: None,
                }))
                .await;
            }
        }
    }

    /// `approve` / `abort` typed in a thread: the thread's pending preview (or the plan named).
    async fn typed_decision(
        &self,
        room: &Room,
        thread: ThreadRef,
        user: String,
        event_id: String,
        verdict: Verdict,
        plan: Option<String>,
    ) {
        let chosen = {
            let threads = self.threads();
            match plan {
                Some(id) => {
                    let hash = threads.preview(&id).map(|p| p.card.plan_hash.clone());
                    Ok((id, hash))
                }
                None => match threads.pending_in(&thread).as_slice() {
                    [one] => Ok((one.card.plan_id.clone(), Some(one.card.plan_hash.clone()))),
                    [] => Err("There is no pending preview in this thread; say \"approve PLAN_ID\" to decide on another one.".to_string()),
                    many => Err(format!(
                        "{} previews are pending in this thread; say which: \"approve PLAN_ID\" ({}).",
                        many.len(),
                        many.iter().map(|p| p.card.plan_id.as_str()).collect::<Vec<_>>().join(", ")
                    )),
                },
            }
        };
        match chosen {
            Ok((plan_id, plan_hash)) => {
                self.to_core(AdapterEvent::Decision(Decision {
                    thread,
                    user,
                    plan_id,
                    plan_hash,
                    verdict,
                    event_id,
                    email: None,
                }))
                .await;
            }
            Err(hint) => self.hint(room, &thread, &hint).await,
        }
    }

    async fn on_reaction(&self, ev: OriginalSyncReactionEvent, room: Room) {
        if !self.fresh(&room, &ev.sender, ev.origin_server_ts, &ev.event_id) {
            return;
        }
        let annotation = &ev.content.relates_to;
        let Some(verdict) = trigger::reaction(&annotation.key) else {
            return;
        };
        let known = self
            .threads()
            .by_event(annotation.event_id.as_str())
            .map(|p| {
                (
                    p.thread.clone(),
                    p.card.plan_id.clone(),
                    p.card.plan_hash.clone(),
                )
            });
        let target = match known {
            Some(t) => Some(t),
            None => {
                self.preview_from_homeserver(&room, &annotation.event_id)
                    .await
            }
        };
        let Some((thread, plan_id, plan_hash)) = target else {
            return; // a reaction to something that is not a pending preview
        };
        self.to_core(AdapterEvent::Decision(Decision {
            thread,
            user: ev.sender.to_string(),
            plan_id,
            plan_hash: Some(plan_hash),
            verdict,
            event_id: ev.event_id.to_string(),
            email: None,
        }))
        .await;
    }

    /// A preview posted before a restart: read its plan from the event itself. Only the bot's
    /// own events count, so nobody can forge a preview for a plan.
    async fn preview_from_homeserver(
        &self,
        room: &Room,
        event_id: &EventId,
    ) -> Option<(ThreadRef, String, String)> {
        let event = room.event(event_id, None).await.ok()?;
        let json: Value = event.raw().deserialize_as().ok()?;
        if json.get("sender")?.as_str()? != self.own {
            return None;
        }
        let content = json.get("content")?;
        let (plan_id, plan_hash) = content::plan_of(content)?;
        let root = content
            .get("m.relates_to")
            .and_then(|r| r.get("event_id"))
            .and_then(Value::as_str)
            .unwrap_or(event_id.as_str());
        let thread = ThreadRef {
            platform: Platform::Matrix,
            channel: room.room_id().to_string(),
            thread: root.to_string(),
        };
        Some((thread, plan_id, plan_hash))
    }

    /// A short answer from the adapter itself (nothing for the core to do).
    async fn hint(&self, room: &Room, thread: &ThreadRef, text: &str) {
        let body = format::reply(text);
        if let Err(e) = outbound::send(room, content::message(&body, &thread.thread, None)).await {
            tracing::warn!(error = %e, "Matrix: cannot post a hint");
        }
    }

    async fn on_invite(&self, ev: StrippedRoomMemberEvent, room: Room) {
        if ev.state_key != self.own || ev.content.membership != MembershipState::Invite {
            return;
        }
        self.answer_invite(room, &ev.sender).await;
    }

    async fn answer_invite(&self, room: Room, inviter: &UserId) {
        let room_id = room.room_id().to_owned();
        if !invite_allowed(inviter, &self.allowed_inviters, &self.allowed_servers) {
            tracing::warn!(%room_id, %inviter, "Matrix: refusing an invitation from a user not in matrix.allowed_inviters / allowed_servers");
            if let Err(e) = room.leave().await {
                tracing::warn!(%room_id, error = %e, "Matrix: cannot reject the invitation");
            }
            return;
        }
        // Joining right after the invite can race the homeserver; retry with backoff.
        tokio::spawn(async move {
            match crate::retry::with_backoff("join", || room.join()).await {
                Ok(()) => tracing::info!(%room_id, "Matrix: joined"),
                Err(e) => tracing::error!(%room_id, error = %e, "Matrix: cannot join"),
            }
        });
    }
}

/// A room marked direct, or with only the bot and one person (joined or invited): every message
/// there is for kubechat. The member list is fetched once per room (the sync summary's counts
/// are not always sent); when it cannot be had, the room is not taken for a DM.
async fn is_dm(room: &Room) -> bool {
    if room.is_direct().await.unwrap_or(false) {
        return true;
    }
    match room.members(RoomMemberships::ACTIVE).await {
        Ok(members) => members.len() == 2,
        Err(e) => {
            tracing::warn!(room = %room.room_id(), error = %e, "Matrix: cannot list room members");
            false
        }
    }
}

/// Invitations that arrived before the first sync (or while kubechat was down).
pub async fn join_pending_invites(client: &Client, shared: &Arc<Shared>) {
    for room in client.invited_rooms() {
        match room.invite_details().await {
            Ok(invite) => shared.answer_invite(room, &invite.inviter_id).await,
            Err(e) => {
                tracing::warn!(room = %room.room_id(), error = %e, "Matrix: cannot read an invitation")
            }
        }
    }
}

/// Registers the handlers; they run for every sync after the first.
pub fn register(client: &Client, shared: Arc<Shared>) {
    let s = shared.clone();
    client.add_event_handler(move |ev: OriginalSyncRoomMessageEvent, room: Room| {
        let s = s.clone();
        async move { s.on_message(ev, room).await }
    });
    let s = shared.clone();
    client.add_event_handler(move |ev: OriginalSyncReactionEvent, room: Room| {
        let s = s.clone();
        async move { s.on_reaction(ev, room).await }
    });
    client.add_event_handler(move |ev: StrippedRoomMemberEvent, room: Room| {
        let s = shared.clone();
        async move { s.on_invite(ev, room).await }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: &str) -> matrix_sdk::ruma::OwnedUserId {
        UserId::parse(id).expect("user id")
    }

    #[test]
    fn invitations_follow_the_allow_lists() {
        let none: [String; 0] = [];
        assert!(
            invite_allowed(&user("@eve:evil.org"), &none, &none),
            "no lists: any"
        );
        let inviters = ["@alice:example.org".to_string()];
        let servers = ["example.org".to_string()];
        assert!(invite_allowed(
            &user("@alice:example.org"),
            &inviters,
            &none
        ));
        assert!(!invite_allowed(&user("@bob:example.org"), &inviters, &none));
        assert!(invite_allowed(&user("@bob:Example.org"), &none, &servers));
        assert!(!invite_allowed(
            &user("@bob:example.org.evil.com"),
            &none,
            &servers
        ));
        assert!(!invite_allowed(
            &user("@alice:evil.org"),
            &inviters,
            &servers
        ));
        assert!(invite_allowed(
            &user("@carol:partner.net"),
            &["@carol:partner.net".into()],
            &servers
        ));
    }
}
