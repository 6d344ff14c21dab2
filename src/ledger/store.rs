//! Storage of ledger entries: the [`Ledger`] handle, its single writer task, and the choice
//! of database backend.
//!
//! Invariants:
//! - every append in a process goes through one writer task, which drains up to
//!   [`MAX_BATCH`] queued entries and writes them in one transaction; each caller gets its
//!   own stored entry, or — if the transaction fails — every caller in the batch gets the
//!   error and nothing of the batch is committed (fail closed);
//! - across processes, the backend serializes writers on the database's own lock (see
//!   `sqlite.rs`);
//! - an append whose caller stops waiting may still be committed: the ledger records what
//!   was attempted, and callers treat a missing answer as a failure.

use std::io::Write;
use std::sync::Arc;

use sqlx::sqlite::SqlitePool;
use tokio::sync::{mpsc, oneshot};

use super::export::ExportFormat;
use super::{Entry, LedgerError, NewEntry, VerifyReport, sqlite};

/// Most entries written in one transaction.
pub const MAX_BATCH: usize = 512;

/// Appends that may wait for the writer before `append` itself waits (backpressure).
const QUEUE: usize = 4 * MAX_BATCH;

type Reply = oneshot::Sender<Result<Entry, LedgerError>>;

/// Handle to the ledger: cheap to clone, shared by every task of the process. The writer
/// task stops once the last handle is dropped and the queue is drained.
#[derive(Clone, Debug)]
pub struct Ledger {
    /// Read by every query; the writer task holds its own clone.
    backend: Backend,
    /// Written by `append`; read only by the writer task.
    writer: mpsc::Sender<(NewEntry, Reply)>,
}

/// The database behind a ledger. A PostgreSQL pool is the next variant: each method below
/// then gains one match arm calling into a `postgres.rs` twin of `sqlite.rs`.
#[derive(Clone, Debug)]
enum Backend {
    Sqlite(SqlitePool),
}

impl Ledger {
    /// Opens the ledger at `url` (creating a SQLite file if missing; WAL mode; 5 s busy
    /// timeout) and runs migrations. Accepts `sqlite://relative.db`, `sqlite:///abs/path.db`
    /// and `sqlite::memory:`; PostgreSQL URLs are refused with
    /// [`LedgerError::UnsupportedUrl`] until that backend lands.
    pub async fn open(url: &str) -> Result<Ledger, LedgerError> {
        let shown = redact_url(url);
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite(sqlite::open(url, &shown).await?)
        } else {
            return Err(LedgerError::UnsupportedUrl(shown));
        };
        let (writer, queue) = mpsc::channel(QUEUE);
        tokio::spawn(run_writer(backend.clone(), queue));
        Ok(Ledger { backend, writer })
    }

    /// Appends one entry and returns it as stored (with `seq`, `prev_hash` and `hash`).
    /// An error means the entry is not in the ledger: refuse whatever it was recording.
    pub async fn append(&self, entry: NewEntry) -> Result<Entry, LedgerError> {
        let (reply, answer) = oneshot::channel();
        self.writer
            .send((entry, reply))
            .await
            .map_err(|_| LedgerError::WriterGone)?;
        answer.await.map_err(|_| LedgerError::WriterGone)?
    }

    /// All entries of plan `plan_id`, ascending `seq`.
    pub async fn plan_entries(&self, plan_id: &str) -> Result<Vec<Entry>, LedgerError> {
        match &self.backend {
            Backend::Sqlite(pool) => sqlite::plan_entries(pool, plan_id).await,
        }
    }

    /// Plans that were previewed and have no terminal entry yet (see
    /// [`EntryKind::is_terminal`](super::EntryKind::is_terminal)), oldest first.
    pub async fn open_plans(&self) -> Result<Vec<String>, LedgerError> {
        match &self.backend {
            Backend::Sqlite(pool) => sqlite::open_plans(pool).await,
        }
    }

    /// Re-walks the whole chain from entry 1 (streaming) and reports the first break.
    pub async fn verify(&self) -> Result<VerifyReport, LedgerError> {
        match &self.backend {
            Backend::Sqlite(pool) => sqlite::verify(pool).await,
        }
    }

    /// Streams every entry, ascending `seq`, to `out` in `format`; returns how many were
    /// written. Memory stays constant whatever the ledger's size. `out` is written
    /// synchronously (buffered): give it a file or stdout, not a slow socket.
    pub async fn export(
        &self,
        format: ExportFormat,
        out: &mut (dyn Write + Send),
    ) -> Result<u64, LedgerError> {
        match &self.backend {
            Backend::Sqlite(pool) => sqlite::export(pool, format, out).await,
        }
    }

    /// Cheap reachability check for `/readyz`.
    pub async fn ping(&self) -> Result<(), LedgerError> {
        match &self.backend {
            Backend::Sqlite(pool) => sqlite::ping(pool).await,
        }
    }
}

impl Backend {
    async fn append_batch(&self, batch: Vec<NewEntry>) -> Result<Vec<Entry>, LedgerError> {
        match self {
            Backend::Sqlite(pool) => sqlite::append_batch(pool, batch).await,
        }
    }
}

/// The single writer: one transaction per batch of whatever is queued.
async fn run_writer(backend: Backend, mut queue: mpsc::Receiver<(NewEntry, Reply)>) {
    let mut jobs = Vec::with_capacity(MAX_BATCH);
    while queue.recv_many(&mut jobs, MAX_BATCH).await > 0 {
        let (batch, replies): (Vec<NewEntry>, Vec<Reply>) = jobs.drain(..).unzip();
        let size = batch.len();
        match backend.append_batch(batch).await {
            Ok(stored) => {
                for (reply, entry) in replies.into_iter().zip(stored) {
                    // A caller that stopped waiting still had its entry written; nothing to do.
                    let _ = reply.send(Ok(entry));
                }
            }
            Err(error) => {
                tracing::error!(%error, size, "ledger append failed; the batch was rolled back");
                let error = Arc::new(error);
                for reply in replies {
                    let _ = reply.send(Err(LedgerError::Append(Arc::clone(&error))));
                }
            }
        }
    }
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
