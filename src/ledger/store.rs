//! Storage of ledger entries: the [`Ledger`] handle, its single writer task, and the choice
//! of database backend.
//!
//! Invariants:
//! - every append in a process goes through one writer task, which drains up to
//!   [`MAX_BATCH`] queued entries and writes them in one transaction; each caller gets its
//!   own stored entry, or — if the transaction fails — every caller in the batch gets the
//!   error and nothing of the batch is committed (fail closed);
//! - across processes and replicas, the backend serializes writers on the database's own
//!   lock and re-reads the chain head under it (see `sqlite.rs`, `postgres.rs`);
//! - an append whose caller stops waiting may still be committed: the ledger records what
//!   was attempted, and callers treat a missing answer as a failure.

use std::io::Write;

use sqlx::postgres::PgPool;
use sqlx::sqlite::SqlitePool;
use tokio::sync::{mpsc, oneshot};

use super::chain::{self, Sealed, Walker};
use super::checkpoint::Signer;
use super::export::ExportFormat;
use super::filter::Filter;
use super::writer;
use super::{Entry, EntryKind, LedgerError, NewEntry, VerifyReport, postgres, sqlite};

/// What the writer may add after a batch, inside the same transaction: given the new head
/// (`seq`, `hash`), an entry to chain after it (a checkpoint), or `None`.
pub(super) type Extra<'a> = dyn FnMut(i64, &str) -> Option<NewEntry> + Send + 'a;

/// Most entries written in one transaction.
pub const MAX_BATCH: usize = 512;

/// Appends that may wait for the writer before `append` itself waits (backpressure).
const QUEUE: usize = 4 * MAX_BATCH;

pub(super) type Reply = oneshot::Sender<Result<Entry, LedgerError>>;

/// How the ledger is opened, beyond its URL.
#[derive(Clone, Debug, Default)]
pub struct LedgerOptions {
    /// Signed checkpoints; `None` writes none.
    pub checkpoints: Option<CheckpointPolicy>,
}

/// When the writer appends a signed checkpoint: after `every_entries` entries, or `every`
/// after the first entry not yet covered, whichever comes first.
#[derive(Clone, Debug)]
pub struct CheckpointPolicy {
    pub signer: Signer,
    pub every_entries: u64,
    pub every: std::time::Duration,
}

/// Handle to the ledger: cheap to clone, shared by every task of the process. The writer
/// task stops once the last handle is dropped and the queue is drained.
#[derive(Clone, Debug)]
pub struct Ledger {
    /// Read by every query; the writer task holds its own clone.
    backend: Backend,
    /// Written by `append`; read only by the writer task.
    writer: mpsc::Sender<(NewEntry, Reply)>,
    /// Signs `checkpoint_now`; the writer task holds its own copy.
    signer: Option<Signer>,
}

/// The database behind a ledger: each method below has one match arm per backend, calling
/// into `sqlite.rs` or its twin `postgres.rs`.
#[derive(Clone, Debug)]
pub(super) enum Backend {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Calls the same-named function of whichever backend `$backend` is.
macro_rules! on_backend {
    ($backend:expr, $function:ident($($arg:expr),*)) => {
        match $backend {
            Backend::Sqlite(pool) => sqlite::$function(pool $(, $arg)*).await,
            Backend::Postgres(pool) => postgres::$function(pool $(, $arg)*).await,
        }
    };
}

impl Ledger {
    /// Opens the ledger at `url` and runs migrations. Accepts `sqlite://relative.db`,
    /// `sqlite:///abs/path.db` and `sqlite::memory:` (a SQLite file is created if missing;
    /// WAL mode; 5 s busy timeout), and `postgres://…` / `postgresql://…` (the database must
    /// exist; tables are created in the first schema of the connection's `search_path`).
    pub async fn open(url: &str) -> Result<Ledger, LedgerError> {
        Ledger::open_with(url, LedgerOptions::default()).await
    }

    /// Opens the ledger at `url` (see [`open`](Ledger::open)) with checkpoints.
    pub async fn open_with(url: &str, options: LedgerOptions) -> Result<Ledger, LedgerError> {
        let shown = redact_url(url);
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite(sqlite::open(url, &shown).await?)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres(postgres::open(url, &shown).await?)
        } else {
            return Err(LedgerError::UnsupportedUrl(shown));
        };
        let (writer, queue) = mpsc::channel(QUEUE);
        let signer = options.checkpoints.as_ref().map(|p| p.signer.clone());
        tokio::spawn(writer::run(backend.clone(), queue, options.checkpoints));
        Ok(Ledger {
            backend,
            writer,
            signer,
        })
    }

    /// Appends a signed checkpoint of the chain as it is now and returns it (for
    /// `kubechat audit checkpoint` and archiving). Needs a signing key.
    pub async fn checkpoint_now(&self) -> Result<Entry, LedgerError> {
        let signer = self.signer.as_ref().ok_or(LedgerError::NoSigningKey)?;
        let now = jiff::Timestamp::now();
        let mut extra = |seq, hash: &str| signer.entry(seq, hash, now);
        let stored = self.backend.append_batch(Vec::new(), &mut extra).await?;
        stored.into_iter().next().ok_or(LedgerError::NoSigningKey)
    }

    /// Appends one entry and returns it as stored (with `seq`, `prev_hash` and `hash`).
    /// An error means the entry is not in the ledger: refuse whatever it was recording.
    pub async fn append(&self, entry: NewEntry) -> Result<Entry, LedgerError> {
        entry.check_storable()?;
        let (reply, answer) = oneshot::channel();
        self.writer
            .send((entry, reply))
            .await
            .map_err(|_| LedgerError::WriterGone)?;
        answer.await.map_err(|_| LedgerError::WriterGone)?
    }

    /// All entries of plan `plan_id`, ascending `seq`.
    pub async fn plan_entries(&self, plan_id: &str) -> Result<Vec<Entry>, LedgerError> {
        on_backend!(&self.backend, plan_entries(plan_id))
    }

    /// Plans that were previewed and have no terminal entry yet (see
    /// [`EntryKind::is_terminal`](super::EntryKind::is_terminal)), oldest first.
    pub async fn open_plans(&self) -> Result<Vec<String>, LedgerError> {
        on_backend!(&self.backend, open_plans())
    }

    /// Plans with an entry of kind `with` and none of the kinds `without`, oldest first.
    pub async fn plans_with_without(
        &self,
        with: EntryKind,
        without: &[EntryKind],
    ) -> Result<Vec<String>, LedgerError> {
        on_backend!(&self.backend, plans_with_without(with, without))
    }

    /// Re-walks the whole chain from entry 1 (streaming) and reports the first break.
    pub async fn verify(&self) -> Result<VerifyReport, LedgerError> {
        self.verify_with(Walker::new()).await
    }

    /// Re-walks the whole chain with a prepared walker (checkpoint key, a checkpoint kept
    /// outside). After an archive, the walk starts at the anchor the newest `archived` entry
    /// recorded (see `retention.rs`).
    pub async fn verify_with(&self, walker: Walker) -> Result<VerifyReport, LedgerError> {
        let walker = super::retention::start(&self.backend, walker).await?;
        on_backend!(&self.backend, verify(walker))
    }

    pub(super) fn backend(&self) -> &Backend {
        &self.backend
    }

    /// Whether this handle has a checkpoint signing key.
    pub fn can_sign(&self) -> bool {
        self.signer.is_some()
    }

    /// Streams the entries that `filter` selects, ascending `seq`, to `out` in `format`;
    /// returns how many were written. Memory stays constant whatever the ledger's size.
    /// `out` is written synchronously (buffered): give it a file or stdout, not a slow socket.
    pub async fn export(
        &self,
        format: ExportFormat,
        filter: &Filter,
        out: &mut (dyn Write + Send),
    ) -> Result<u64, LedgerError> {
        on_backend!(&self.backend, export(format, filter, out))
    }

    /// Cheap reachability check for `/readyz`.
    pub async fn ping(&self) -> Result<(), LedgerError> {
        on_backend!(&self.backend, ping())
    }

    /// Which backend this is (`sqlite` or `postgres`), for messages and benchmarks.
    pub fn backend_name(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite(_) => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }
}

impl Backend {
    pub(super) async fn append_batch(
        &self,
        batch: Vec<NewEntry>,
        extra: &mut Extra<'_>,
    ) -> Result<Vec<Entry>, LedgerError> {
        on_backend!(self, append_batch(batch, extra))
    }
}

/// Seals `batch` after the head, then whatever `extra` adds after the batch.
pub(super) fn seal_with(
    head_seq: i64,
    head_hash: &str,
    mut batch: Vec<NewEntry>,
    extra: &mut Extra<'_>,
) -> Result<(Vec<NewEntry>, Vec<Sealed>), LedgerError> {
    let corrupt = |seq| LedgerError::Corrupt {
        seq,
        reason: "its hash is not 64 lowercase hex digits, so nothing can be chained after it; \
                 run `kubechat audit verify`"
            .into(),
    };
    let mut sealed = chain::seal(head_seq, head_hash, &batch).map_err(|_| corrupt(head_seq))?;
    let (last_seq, last_hash) = sealed
        .last()
        .map_or((head_seq, head_hash), |s| (s.seq, s.hash.as_str()));
    if let Some(more) = extra(last_seq, last_hash) {
        let more_sealed = chain::seal(last_seq, last_hash, std::slice::from_ref(&more))
            .map_err(|_| corrupt(last_seq))?;
        sealed.extend(more_sealed);
        batch.push(more);
    }
    Ok((batch, sealed))
}

/// The stored entries, from what was appended and how it was sealed.
pub(super) fn stored(batch: Vec<NewEntry>, sealed: Vec<Sealed>) -> Vec<Entry> {
    batch
        .into_iter()
        .zip(sealed)
        .map(|(entry, sealed)| Entry {
            seq: sealed.seq,
            time: entry.time,
            actor: entry.actor,
            cluster: entry.cluster,
            namespace: entry.namespace,
            plan_id: entry.plan_id,
            kind: entry.kind,
            payload: entry.payload,
            prev_hash: sealed.prev_hash,
            hash: sealed.hash,
        })
        .collect()
}

/// The URL without its password, for errors and logs.
fn redact_url(url: &str) -> String {
    let mut shown = url.to_owned();
    if let Some(start) = shown.find("password=") {
        let value = start + "password=".len();
        let end = shown[value..].find('&').map_or(shown.len(), |i| value + i);
        shown.replace_range(value..end, "***");
    }
    if let (Some(scheme_end), Some(at)) = (shown.find("://"), shown.rfind('@')) {
        let user_start = scheme_end + 3;
        if let Some(colon) = shown.get(user_start..at).and_then(|u| u.find(':')) {
            shown.replace_range(user_start + colon + 1..at, "***");
        }
    }
    shown
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn passwords_never_reach_error_messages() {
        assert_eq!(
            redact_url("postgres://kubechat:s3cret@db:5432/ledger"),
            "postgres://kubechat:***@db:5432/ledger"
        );
        assert_eq!(
            redact_url("postgres://kubechat@db/ledger"),
            "postgres://kubechat@db/ledger"
        );
        assert_eq!(
            redact_url("postgres://db/ledger?user=k&password=s3cret&sslmode=require"),
            "postgres://db/ledger?user=k&password=***&sslmode=require"
        );
        assert_eq!(
            redact_url("sqlite:///var/lib/kubechat.db"),
            "sqlite:///var/lib/kubechat.db"
        );
    }
}
