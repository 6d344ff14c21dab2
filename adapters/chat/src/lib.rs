//! The neutral chat vocabulary shared by kubechat's core and every platform adapter.
//!
//! An adapter translates between one chat platform and these types; it never sees the planner,
//! the policy, the cluster or the ledger. The core and each adapter talk over two tokio channels:
//! the adapter sends [`AdapterEvent`]s (messages and Approve/Abort decisions) and receives
//! [`Outbound`] messages to render. Everything here is plain data, so adapters stay thin and the
//! core stays platform-agnostic.

use std::fmt;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

/// The chat platforms kubechat speaks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    /// The local terminal (`kubechat chat`, `kubechat ask`).
    Console,
    Slack,
    Mattermost,
    Matrix,
    Discord,
}

impl Platform {
    /// The lowercase name used in config files and the ledger.
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Console => "console",
            Platform::Slack => "slack",
            Platform::Mattermost => "mattermost",
            Platform::Matrix => "matrix",
            Platform::Discord => "discord",
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a conversation happens: a channel (room) and the thread inside it.
///
/// `thread` is the platform's id of the thread root; a request that starts a new conversation
/// uses the id of its own message, so every request gets its own thread.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ThreadRef {
    pub platform: Platform,
    pub channel: String,
    pub thread: String,
}

/// A message somebody wrote to kubechat.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inbound {
    pub thread: ThreadRef,
    /// The platform's stable user id (Slack `U…`, Matrix `@alice:example.org`, console user name).
    pub user: String,
    pub text: String,
    /// The platform's id for this event, used to drop platform retries and duplicates.
    pub event_id: String,
    /// The user's email as verified by the platform (Slack `users.info` with
    /// `users:read.email`), when the adapter can vouch for it. The core uses it only where the
    /// config explicitly enables mapping by email for the platform; `None` otherwise.
    #[serde(default)]
    pub email: Option<String>,
}

/// Approve or abort.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Approve,
    Abort,
}

/// Somebody clicked Approve / Abort (or reacted, or typed it) on a preview.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub thread: ThreadRef,
    pub user: String,
    pub plan_id: String,
    /// The plan hash the preview showed; a decision on a stale preview is refused.
    /// `None` when the platform cannot carry it (typed `approve PLAN_ID`).
    pub plan_hash: Option<String>,
    pub verdict: Verdict,
    pub event_id: String,
    /// The decider's platform-verified email (see [`Inbound::email`]).
    #[serde(default)]
    pub email: Option<String>,
}

/// Somebody asked to undo an executed plan (an Undo button, `undo PLAN_ID`). The core answers
/// with a fresh preview of the inverse change, which goes through policy and approval again.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UndoRequest {
    pub thread: ThreadRef,
    pub user: String,
    /// The executed plan to undo.
    pub plan_id: String,
    pub event_id: String,
    /// The requester's platform-verified email (see [`Inbound::email`]).
    #[serde(default)]
    pub email: Option<String>,
}

/// What an adapter sends to the core.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AdapterEvent {
    Message(Inbound),
    Decision(Decision),
    Undo(UndoRequest),
}

impl AdapterEvent {
    /// The platform's event id, for deduplicating retries.
    pub fn event_id(&self) -> &str {
        match self {
            AdapterEvent::Message(m) => &m.event_id,
            AdapterEvent::Decision(d) => &d.event_id,
            AdapterEvent::Undo(u) => &u.event_id,
        }
    }
}

/// How risky a plan is; decides badges and default policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Risk {
    Read,
    Write,
    Destructive,
}

impl fmt::Display for Risk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Risk::Read => "read",
            Risk::Write => "write",
            Risk::Destructive => "destructive",
        })
    }
}

/// Everything a platform needs to render an interactive preview of a write.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreviewCard {
    pub plan_id: String,
    pub plan_hash: String,
    /// One line: who wants what, where.
    pub summary: String,
    pub risk: Risk,
    pub cluster: String,
    /// Rendered kubectl equivalents, one per action.
    pub kubectl: Vec<String>,
    /// Facts the reviewer must see: RBAC verdict, dry-run result, blast radius, context warnings.
    pub checks: Vec<String>,
    /// Unified diff of live state against the dry-run result (may be empty).
    pub diff: String,
    /// Who may approve, in words ("any mapped user other than alice").
    pub approvers: String,
    pub approvals_needed: u32,
    pub expires_at: Timestamp,
}

/// How a preview ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Executed,
    Failed,
    Aborted,
    Expired,
    Denied,
    Superseded,
    /// kubechat stopped between the intent and the result (a crash); it is never re-run.
    Interrupted,
}

/// What the core asks an adapter to show.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outbound {
    /// A plain answer in the thread (read results, refusals, questions back).
    Reply { thread: ThreadRef, text: String },
    /// An interactive preview with Approve / Abort.
    Preview {
        thread: ThreadRef,
        card: PreviewCard,
    },
    /// Progress on a pending preview ("approved by bob, 1 more needed").
    Progress {
        thread: ThreadRef,
        plan_id: String,
        text: String,
    },
    /// The preview is settled: update it and post the result.
    Resolve {
        thread: ThreadRef,
        plan_id: String,
        outcome: Outcome,
        text: String,
        /// The change can be undone: offer an Undo button (it sends [`UndoRequest`]).
        undoable: bool,
    },
    /// A message only `user` should see (refused approvals); platforms without ephemeral
    /// messages post it in the thread addressed to the user.
    Ephemeral {
        thread: ThreadRef,
        user: String,
        text: String,
    },
}

impl Outbound {
    /// The thread this message belongs to.
    pub fn thread(&self) -> &ThreadRef {
        match self {
            Outbound::Reply { thread, .. }
            | Outbound::Preview { thread, .. }
            | Outbound::Progress { thread, .. }
            | Outbound::Resolve { thread, .. }
            | Outbound::Ephemeral { thread, .. } => thread,
        }
    }
}

/// The adapter's end of its connection to the core.
#[derive(Debug)]
pub struct AdapterLink {
    /// Events from the platform, to the core.
    pub events: mpsc::Sender<AdapterEvent>,
    /// Messages from the core, to render on the platform.
    pub outbound: mpsc::Receiver<Outbound>,
}

/// The core's end of one adapter's connection.
#[derive(Debug)]
pub struct CoreLink {
    pub platform: Platform,
    pub outbound: mpsc::Sender<Outbound>,
}

/// Creates the two ends for one adapter. `events` is the core's shared inbox.
pub fn link(platform: Platform, events: mpsc::Sender<AdapterEvent>) -> (AdapterLink, CoreLink) {
    let (tx, rx) = mpsc::channel(256);
    (
        AdapterLink {
            events,
            outbound: rx,
        },
        CoreLink {
            platform,
            outbound: tx,
        },
    )
}

/// Error an adapter's run loop ends with.
pub type AdapterError = Box<dyn std::error::Error + Send + Sync + 'static>;
