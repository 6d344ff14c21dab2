//! The SQLite backend (the embedded default): connection setup, migrations, the batch insert
//! and the queries behind [`Ledger`](super::Ledger).
//!
//! Invariants:
//! - the chain head is read inside the `BEGIN IMMEDIATE` transaction that appends after it,
//!   so two processes on one file (`kubechat serve` and `kubechat approve`) serialize on
//!   SQLite's write lock and never fork the chain;
//! - a batch is one transaction: all of it is committed or none of it;
//! - what is stored is exactly the text that was hashed (time, canonical payload), so verify
//!   hashes stored text without re-serializing;
//! - reads that cover the whole ledger stream in constant memory: export row by row
//!   (`fetch`), verify page by page inside one read transaction (see `verify.rs`).

use std::io::{BufWriter, Write};
use std::str::FromStr;
use std::sync::LazyLock;
use std::time::Duration;

use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::{Row, SqlSafeStr};

use super::chain::{GENESIS_HASH, Sealed};
use super::export::{self, ExportFormat};
use super::filter::{self, Filter};
use super::store::{Extra, seal_with, stored};
use super::{ALL_KINDS, Entry, EntryKind, LedgerError, NewEntry, decode_parts};

/// How long a connection waits for another process's write lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The migrations under `migrations/sqlite`, embedded. Listed by hand because sqlx's
/// `migrate!` macro needs sqlx's `macros` feature, which this build does not enable; a test
/// checks that every file in the folder is listed. Versions, descriptions and checksums are
/// the ones `migrate!` would compute, so switching to it later is seamless.
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "ledger",
        include_str!("../../migrations/sqlite/0001_ledger.sql"),
    ),
    (
        2,
        "archive",
        include_str!("../../migrations/sqlite/0002_archive.sql"),
    ),
];

/// A migrator over embedded `(version, description, sql)` migrations (both backends).
pub(super) fn migrator(migrations: &[(i64, &str, &'static str)]) -> Migrator {
    Migrator::with_migrations(
        migrations
            .iter()
            .map(|&(version, description, sql)| {
                Migration::new(
                    version,
                    description.to_owned().into(),
                    MigrationType::Simple,
                    sql.into_sql_str(),
                    false,
                )
            })
            .collect(),
    )
}

/// Opens (creating if missing) the database at `url` and brings its schema up to date.
pub(super) async fn open(url: &str, shown_url: &str) -> Result<SqlitePool, LedgerError> {
    let open_error = |source| LedgerError::Open {
        url: shown_url.to_owned(),
        source,
    };
    let in_memory = url.contains(":memory:") || url.contains("mode=memory");
    let mut options = SqliteConnectOptions::from_str(url)
        .map_err(open_error)?
        .create_if_missing(true)
        .busy_timeout(BUSY_TIMEOUT)
        // Bigger row batches between SQLite's worker thread and us: faster export.
        .row_buffer_size(256);
    // A local file does not go stale like a network connection: skip the ping per acquire.
    let mut pool = SqlitePoolOptions::new()
        .max_connections(4)
        .test_before_acquire(false);
    if in_memory {
        // An in-memory database lives only while a connection to it is open: keep one.
        pool = pool
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None);
    } else {
        // WAL: readers never block the writer. FULL: a committed entry survives power loss,
        // which matters because "executing" is written *before* the cluster is touched.
        options = options
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full);
    }
    let pool = pool.connect_with(options).await.map_err(open_error)?;
    migrator(MIGRATIONS).run(&pool).await?;
    Ok(pool)
}

/// Most rows per `INSERT`. A batch is written as full chunks of this size plus one chunk
/// of the rest, so a typical batch is one statement (one round trip to SQLite's worker
/// thread), and at most this many statements stay prepared.
const CHUNK: usize = 32;

/// `INSERTS[n - 1]` inserts `n` rows.
static INSERTS: LazyLock<Vec<String>> = LazyLock::new(|| {
    (1..=CHUNK)
        .map(|rows| {
            let values = vec!["(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"; rows].join(", ");
            format!(
                "INSERT INTO entries \
                 (seq, time, actor, cluster, namespace, plan_id, kind, payload, prev_hash, hash) \
                 VALUES {values}"
            )
        })
        .collect()
});

/// Appends `batch` (and what `extra` adds after it, e.g. a checkpoint) after the current
/// head in one `BEGIN IMMEDIATE` transaction.
pub(super) async fn append_batch(
    pool: &SqlitePool,
    batch: Vec<NewEntry>,
    extra: &mut Extra<'_>,
) -> Result<Vec<Entry>, LedgerError> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let head: Option<(i64, String)> =
        sqlx::query_as("SELECT seq, hash FROM entries ORDER BY seq DESC LIMIT 1")
            .fetch_optional(&mut *tx)
            .await?;
    let (head_seq, head_hash) = head.unwrap_or((0, GENESIS_HASH.to_owned()));
    let (batch, sealed) = seal_with(head_seq, &head_hash, batch, extra)?;
    let rows: Vec<(&NewEntry, &Sealed)> = batch.iter().zip(&sealed).collect();
    for chunk in rows.chunks(CHUNK) {
        let mut insert = sqlx::query(INSERTS[chunk.len() - 1].as_str());
        for (entry, sealed) in chunk {
            insert = insert
                .bind(sealed.seq)
                .bind(sealed.time.as_str())
                .bind(entry.actor.as_str())
                .bind(entry.cluster.as_deref())
                .bind(entry.namespace.as_deref())
                .bind(entry.plan_id.as_deref())
                .bind(entry.kind.as_str())
                .bind(sealed.payload.as_str())
                .bind(sealed.prev_hash.as_str())
                .bind(sealed.hash.as_str());
        }
        insert.execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(stored(batch, sealed))
}

macro_rules! select_entries {
    ($tail:literal) => {
        concat!(
            "SELECT seq, time, actor, cluster, namespace, plan_id, kind, payload, prev_hash, hash \
             FROM entries ",
            $tail
        )
    };
}

/// Polls the next row of a `fetch` stream. `poll_next` is callable on the boxed
/// `dyn Stream` without naming the trait, which saves a dependency on `futures`.
macro_rules! next_row {
    ($rows:expr) => {
        std::future::poll_fn(|cx| $rows.as_mut().poll_next(cx)).await
    };
}

mod verify;
pub(super) use verify::verify;

fn decode(row: &SqliteRow) -> Result<Entry, LedgerError> {
    let seq: i64 = row.try_get(0)?;
    let (time, kind, payload) =
        decode_parts(seq, row.try_get(1)?, row.try_get(6)?, row.try_get(7)?)?;
    Ok(Entry {
        seq,
        time,
        actor: row.try_get(2)?,
        cluster: row.try_get(3)?,
        namespace: row.try_get(4)?,
        plan_id: row.try_get(5)?,
        kind,
        payload,
        prev_hash: row.try_get(8)?,
        hash: row.try_get(9)?,
    })
}

pub(super) async fn plan_entries(
    pool: &SqlitePool,
    plan_id: &str,
) -> Result<Vec<Entry>, LedgerError> {
    let rows = sqlx::query(select_entries!("WHERE plan_id = ? ORDER BY seq"))
        .bind(plan_id)
        .fetch_all(pool)
        .await?;
    rows.iter().map(decode).collect()
}

/// Plans whose entries include `with` and none of `without`, oldest first.
pub(super) async fn plans_with_without(
    pool: &SqlitePool,
    with: EntryKind,
    without: &[EntryKind],
) -> Result<Vec<String>, LedgerError> {
    let without: Vec<&str> = without.iter().map(|k| k.as_str()).collect();
    let without = serde_json::Value::from(without).to_string();
    let plans = sqlx::query_scalar(
        "SELECT plan_id FROM entries WHERE plan_id IS NOT NULL GROUP BY plan_id \
         HAVING SUM(kind = ?1) > 0 AND SUM(kind IN (SELECT value FROM json_each(?2))) = 0 \
         ORDER BY MIN(seq)",
    )
    .bind(with.as_str())
    .bind(without)
    .fetch_all(pool)
    .await?;
    Ok(plans)
}

pub(super) async fn open_plans(pool: &SqlitePool) -> Result<Vec<String>, LedgerError> {
    let terminal: Vec<EntryKind> = ALL_KINDS
        .iter()
        .copied()
        .filter(|k| k.is_terminal())
        .collect();
    plans_with_without(pool, EntryKind::Previewed, &terminal).await
}

pub(super) async fn export(
    pool: &SqlitePool,
    format: ExportFormat,
    filter: &Filter,
    out: &mut (dyn Write + Send),
) -> Result<u64, LedgerError> {
    let mut out = BufWriter::with_capacity(64 * 1024, out);
    export::write_header(format, &mut out)?;
    let [since, until] = filter.time_binds();
    let sql = format!("{} {}", select_entries!(""), filter::WHERE);
    // Built from constants only: the filter values are bound, never spliced.
    let mut rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(since)
        .bind(until)
        .bind(filter.actor.as_deref())
        .bind(filter.cluster.as_deref())
        .bind(filter.namespace.as_deref())
        .bind(filter.kind.map(EntryKind::as_str))
        .bind(filter.through_seq)
        .fetch(pool);
    let mut written = 0;
    while let Some(row) = next_row!(rows) {
        let entry = decode(&row?)?;
        if filter.matches(&entry) {
            export::write_entry(format, &entry, written, &mut out)?;
            written += 1;
        }
    }
    export::write_footer(format, written, &mut out)?;
    out.flush()?;
    Ok(written)
}

pub(super) async fn ping(pool: &SqlitePool) -> Result<(), LedgerError> {
    sqlx::query("SELECT 1").execute(pool).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_migration_file_is_embedded() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/sqlite");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .expect("migrations folder")
            .map(|f| {
                f.expect("dir entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .filter(|name| name.ends_with(".sql"))
            .collect();
        files.sort();
        let listed: Vec<String> = MIGRATIONS
            .iter()
            .map(|(v, d, _)| format!("{v:04}_{}.sql", d.replace(' ', "_")))
            .collect();
        assert_eq!(files, listed, "list new migrations in MIGRATIONS");
    }

    fn entry(actor: &str) -> NewEntry {
        NewEntry {
            time: jiff::Timestamp::UNIX_EPOCH,
            actor: actor.into(),
            cluster: None,
            namespace: None,
            plan_id: None,
            kind: EntryKind::Message,
            payload: serde_json::json!({}),
        }
    }

    #[tokio::test]
    async fn a_failing_batch_commits_nothing() {
        let pool = open("sqlite::memory:", "sqlite::memory:")
            .await
            .expect("open");
        sqlx::query(
            "CREATE TRIGGER poison BEFORE INSERT ON entries WHEN NEW.actor = 'poison' \
             BEGIN SELECT RAISE(ABORT, 'refused'); END",
        )
        .execute(&pool)
        .await
        .expect("trigger");
        let batch = vec![entry("a"), entry("poison"), entry("b")];
        assert!(append_batch(&pool, batch, &mut |_, _| None).await.is_err());
        let count: i64 = sqlx::query_scalar("SELECT count(*) FROM entries")
            .fetch_one(&pool)
            .await
            .expect("count");
        assert_eq!(count, 0, "nothing of a failed batch is committed");
        let stored = append_batch(&pool, vec![entry("a"), entry("b")], &mut |_, _| None)
            .await
            .expect("a clean batch");
        assert_eq!(stored.iter().map(|e| e.seq).collect::<Vec<_>>(), [1, 2]);
    }

    #[tokio::test]
    async fn a_large_batch_is_written_in_chunks_that_chain_correctly() {
        let pool = open("sqlite::memory:", "sqlite::memory:")
            .await
            .expect("open");
        // 32 + 32 + 26 rows, then a batch continuing after it.
        let first = append_batch(
            &pool,
            (0..90).map(|i| entry(&format!("u{i}"))).collect(),
            &mut |_, _| None,
        )
        .await
        .expect("batch");
        let second = append_batch(&pool, vec![entry("next")], &mut |_, _| None)
            .await
            .expect("batch");
        assert_eq!(first.last().map(|e| e.seq), Some(90));
        assert_eq!(second[0].prev_hash, first[89].hash);
        let report = verify(&pool, crate::ledger::chain::Walker::new())
            .await
            .expect("verify");
        assert_eq!((report.entries, report.first_break), (91, None));
        let actors: Vec<String> = sqlx::query_scalar("SELECT actor FROM entries ORDER BY seq")
            .fetch_all(&pool)
            .await
            .expect("actors");
        assert_eq!(actors[..3], ["u0", "u1", "u2"]);
        assert_eq!(actors[89..], ["u89", "next"]);
    }
}
