//! The audit ledger: an append-only, hash-chained record of every thread, plan, preview,
//! decision and result.
//!
//! Invariants:
//! - entries are only ever appended; sequence numbers are dense from 1;
//! - each entry's hash covers its sequence number, the previous entry's hash and its canonical
//!   body (see [`chain`]), so `kubechat audit verify` finds any edited, deleted, reordered or
//!   inserted entry;
//! - appends go through one writer per process and a lock on the chain head in the database,
//!   so the chain never forks;
//! - if an append fails, the caller must refuse the write it was about to do (fail closed).
//!
//! The state of a pending plan is *derived* from its entries (see `crate::approval`), so a
//! restart loses nothing and another process (`kubechat approve`) sees the same state.

pub mod chain;
pub mod checkpoint;
mod export;
mod filter;
mod postgres;
mod retention;
mod sqlite;
mod store;
mod writer;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

pub use export::{ExportFormat, ParseExportFormatError};
pub use filter::Filter;
pub use retention::{Archived, verify_export};
pub use store::{CheckpointPolicy, Ledger, LedgerOptions};

/// What an entry records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    /// A request arrived (text redacted), with its thread.
    Message,
    /// A plan was made (actions, kubectl, planner source).
    Planned,
    /// A read was answered (digest of the answer).
    Answered,
    /// The planner asked back or could not plan.
    Clarified,
    /// A write preview was posted (plan hash, checks, diff digest, expiry, approvals needed).
    Previewed,
    /// A valid approval.
    Approved,
    /// An approval or abort that was refused (not mapped, self-approval, expired, …).
    Refused,
    /// The plan was aborted.
    Aborted,
    /// The preview expired before enough approvals arrived.
    Expired,
    /// Policy or identity denied the request.
    Denied,
    /// Execution intent, written before any call to the cluster.
    Executing,
    /// Execution finished.
    Executed,
    /// Execution failed.
    Failed,
    /// An intent without a result found at start-up (crash mid-execution): never re-run.
    Interrupted,
    /// A newer plan in the same thread for the same target replaced this pending one.
    Superseded,
    /// A signed checkpoint of the chain so far (see [`checkpoint`]).
    Checkpoint,
    /// The oldest entries were archived to a file and removed (see `kubechat audit archive`).
    Archived,
}

impl EntryKind {
    /// The snake_case name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::Message => "message",
            EntryKind::Planned => "planned",
            EntryKind::Answered => "answered",
            EntryKind::Clarified => "clarified",
            EntryKind::Previewed => "previewed",
            EntryKind::Approved => "approved",
            EntryKind::Refused => "refused",
            EntryKind::Aborted => "aborted",
            EntryKind::Expired => "expired",
            EntryKind::Denied => "denied",
            EntryKind::Executing => "executing",
            EntryKind::Executed => "executed",
            EntryKind::Failed => "failed",
            EntryKind::Interrupted => "interrupted",
            EntryKind::Superseded => "superseded",
            EntryKind::Checkpoint => "checkpoint",
            EntryKind::Archived => "archived",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        ALL_KINDS.iter().copied().find(|k| k.as_str() == s)
    }

    /// Kinds after which a plan can never run.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            EntryKind::Aborted
                | EntryKind::Expired
                | EntryKind::Denied
                | EntryKind::Executed
                | EntryKind::Failed
                | EntryKind::Interrupted
                | EntryKind::Superseded
        )
    }
}

const ALL_KINDS: [EntryKind; 17] = [
    EntryKind::Message,
    EntryKind::Planned,
    EntryKind::Answered,
    EntryKind::Clarified,
    EntryKind::Previewed,
    EntryKind::Approved,
    EntryKind::Refused,
    EntryKind::Aborted,
    EntryKind::Expired,
    EntryKind::Denied,
    EntryKind::Executing,
    EntryKind::Executed,
    EntryKind::Failed,
    EntryKind::Interrupted,
    EntryKind::Superseded,
    EntryKind::Checkpoint,
    EntryKind::Archived,
];

/// An entry to append. The ledger assigns `seq`, `prev_hash` and `hash`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NewEntry {
    pub time: Timestamp,
    /// Who caused the entry: `platform:user` of a person, or `kubechat` for the service itself.
    pub actor: String,
    pub cluster: Option<String>,
    pub namespace: Option<String>,
    pub plan_id: Option<String>,
    pub kind: EntryKind,
    /// Kind-specific details; stored as canonical JSON (object keys sorted).
    pub payload: serde_json::Value,
}

/// A stored entry.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub seq: i64,
    pub time: Timestamp,
    pub actor: String,
    pub cluster: Option<String>,
    pub namespace: Option<String>,
    pub plan_id: Option<String>,
    pub kind: EntryKind,
    pub payload: serde_json::Value,
    /// Hex SHA-256 of the previous entry (64 zeros for the first).
    pub prev_hash: String,
    /// Hex SHA-256 of this entry (see [`chain::entry_hash`]).
    pub hash: String,
}

/// Where `audit verify` found the chain broken, and how.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ChainBreak {
    /// Sequence number of the first bad entry (or the first missing one).
    pub seq: i64,
    pub reason: String,
}

/// The result of walking the whole chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    /// Entries read, including any after the first break.
    pub entries: u64,
    /// Hash of the newest entry (64 zeros if empty). Keep a copy elsewhere (an anchor): only
    /// comparing it reveals removed newest entries or a wholly recomputed chain.
    pub head_hash: String,
    /// The first inconsistency, if any.
    pub first_break: Option<ChainBreak>,
    /// Checkpoint entries found valid (before the first break).
    pub checkpoints: u64,
    /// Tree size of the newest valid checkpoint: entries after it are covered by the hash
    /// chain only.
    pub last_checkpoint: Option<i64>,
    /// Whether checkpoint signatures were checked (a public key was given).
    pub signatures_checked: bool,
}

/// Ledger failures. Callers refuse writes on any of these (fail closed).
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("cannot open the ledger at {url}: {source}")]
    Open {
        url: String,
        #[source]
        source: sqlx::Error,
    },
    #[error("ledger migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("ledger database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("ledger entry {seq} is unreadable: {reason}")]
    Corrupt { seq: i64, reason: String },
    /// The URL (password removed) names no backend this build supports.
    #[error("unsupported ledger URL {0:?}: use sqlite://PATH or postgres://USER@HOST/DB")]
    UnsupportedUrl(String),
    /// An entry the ledger refuses before any write (the same on every backend).
    #[error("the ledger cannot store this entry: its {field} contains a NUL character")]
    Unstorable { field: &'static str },
    #[error(
        "no checkpoint signing key is configured: set [ledger.checkpoint] signing_key \
         (see config.example.toml)"
    )]
    NoSigningKey,
    #[error("the ledger writer has stopped")]
    WriterGone,
    /// The transaction holding this entry failed and was rolled back; every append of the
    /// batch gets the same cause.
    #[error("the ledger append was rolled back: {0}")]
    Append(#[source] std::sync::Arc<LedgerError>),
    #[error("cannot write the export: {0}")]
    Io(#[from] std::io::Error),
}

impl NewEntry {
    /// Refuses what some backend could not store as hashed: PostgreSQL text has no NUL.
    /// (The payload is canonical JSON, where NUL is escaped.)
    fn check_storable(&self) -> Result<(), LedgerError> {
        let fields = [
            ("actor", Some(self.actor.as_str())),
            ("cluster", self.cluster.as_deref()),
            ("namespace", self.namespace.as_deref()),
            ("plan id", self.plan_id.as_deref()),
        ];
        match fields
            .iter()
            .find(|(_, v)| v.is_some_and(|v| v.contains('\0')))
        {
            Some((field, _)) => Err(LedgerError::Unstorable { field }),
            None => Ok(()),
        }
    }
}

/// Decodes the typed columns of a stored row (shared by both backends).
fn decode_parts(
    seq: i64,
    time: &str,
    kind: &str,
    payload: &str,
) -> Result<(Timestamp, EntryKind, serde_json::Value), LedgerError> {
    let corrupt = |reason: String| LedgerError::Corrupt { seq, reason };
    let time: Timestamp = time
        .parse()
        .map_err(|e| corrupt(format!("its time {time:?} is not RFC 3339: {e}")))?;
    let kind = EntryKind::parse(kind).ok_or_else(|| corrupt(format!("unknown kind {kind:?}")))?;
    let payload = serde_json::from_str(payload)
        .map_err(|e| corrupt(format!("its payload is not JSON: {e}")))?;
    Ok((time, kind, payload))
}
