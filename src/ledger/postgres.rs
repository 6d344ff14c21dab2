//! The PostgreSQL backend (production, and several replicas sharing one database):
//! connection setup, migrations, the batch insert and the queries behind
//! [`Ledger`](super::Ledger).
//!
//! Invariants:
//! - an append takes a transaction-scoped advisory lock ([`LOCK_SQL`], one per schema) and
//!   only then reads the chain head, so every writer of every replica sees the head its
//!   predecessor committed and the chain never forks;
//! - a batch is one transaction and one `INSERT … SELECT FROM UNNEST(…)` statement: all of it
//!   is committed or none of it;
//! - what is stored is exactly the text that was hashed (time, canonical payload). PostgreSQL
//!   text cannot hold the NUL character: an entry with one in a plain column is refused
//!   (fail closed); inside the payload it is JSON-escaped and fine;
//! - whole-ledger reads stream in constant memory inside one snapshot (`REPEATABLE READ`).

use std::io::{BufWriter, Write};
use std::time::Duration;

use sqlx::Row;
use sqlx::postgres::{PgPool, PgPoolOptions, PgRow};

use super::chain::GENESIS_HASH;
use super::export::{self, ExportFormat};
use super::filter::{self, Filter};
use super::{ALL_KINDS, Entry, EntryKind, LedgerError, NewEntry, decode_parts};

/// The migrations under `migrations/postgres`, embedded (see `sqlite.rs` for why by hand).
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "ledger",
        include_str!("../../migrations/postgres/0001_ledger.sql"),
    ),
    (
        2,
        "archive",
        include_str!("../../migrations/postgres/0002_archive.sql"),
    ),
];

/// Serializes appends across every connection and replica. The key is per schema, so ledgers
/// in different schemas of one database (tests, several installations) do not wait on
/// each other.
const LOCK_SQL: &str =
    "SELECT pg_advisory_xact_lock(hashtext('kubechat-ledger:' || current_schema()))";

/// How long opening waits for the database before failing.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Connects to `url` and brings the schema up to date.
pub(super) async fn open(url: &str, shown_url: &str) -> Result<PgPool, LedgerError> {
    let pool = PgPoolOptions::new()
        .max_connections(8)
        .acquire_timeout(CONNECT_TIMEOUT)
        .connect(url)
        .await
        .map_err(|source| LedgerError::Open {
            url: shown_url.to_owned(),
            source,
        })?;
    super::sqlite::migrator(MIGRATIONS).run(&pool).await?;
    Ok(pool)
}

const INSERT_SQL: &str = "INSERT INTO entries \
     (seq, time, actor, cluster, namespace, plan_id, kind, payload, prev_hash, hash) \
     SELECT * FROM UNNEST($1::int8[], $2::text[], $3::text[], $4::text[], $5::text[], \
     $6::text[], $7::text[], $8::text[], $9::text[], $10::text[])";

/// Appends `batch` (and what `extra` adds after it, e.g. a checkpoint) after the current
/// head, in one transaction under the ledger lock.
pub(super) async fn append_batch(
    pool: &PgPool,
    batch: Vec<NewEntry>,
    extra: &mut super::store::Extra<'_>,
) -> Result<Vec<Entry>, LedgerError> {
    let mut tx = pool.begin().await?;
    sqlx::query(LOCK_SQL).execute(&mut *tx).await?;
    // Read committed: this statement's snapshot starts after the lock was granted.
    let head: Option<(i64, String)> =
        sqlx::query_as("SELECT seq, hash FROM entries ORDER BY seq DESC LIMIT 1")
            .fetch_optional(&mut *tx)
            .await?;
    let (head_seq, head_hash) = head.unwrap_or((0, GENESIS_HASH.to_owned()));
    let (batch, sealed) = super::store::seal_with(head_seq, &head_hash, batch, extra)?;
    let column =
        |f: fn(&NewEntry) -> Option<&str>| -> Vec<Option<&str>> { batch.iter().map(f).collect() };
    sqlx::query(INSERT_SQL)
        .bind(sealed.iter().map(|s| s.seq).collect::<Vec<_>>())
        .bind(sealed.iter().map(|s| s.time.as_str()).collect::<Vec<_>>())
        .bind(column(|e| Some(e.actor.as_str())))
        .bind(column(|e| e.cluster.as_deref()))
        .bind(column(|e| e.namespace.as_deref()))
        .bind(column(|e| e.plan_id.as_deref()))
        .bind(column(|e| Some(e.kind.as_str())))
        .bind(
            sealed
                .iter()
                .map(|s| s.payload.as_str())
                .collect::<Vec<_>>(),
        )
        .bind(
            sealed
                .iter()
                .map(|s| s.prev_hash.as_str())
                .collect::<Vec<_>>(),
        )
        .bind(sealed.iter().map(|s| s.hash.as_str()).collect::<Vec<_>>())
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(super::store::stored(batch, sealed))
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

/// Polls the next row of a `fetch` stream (see `sqlite.rs`).
macro_rules! next_row {
    ($rows:expr) => {
        std::future::poll_fn(|cx| $rows.as_mut().poll_next(cx)).await
    };
}

mod verify;
pub(super) use verify::verify;

fn decode(row: &PgRow) -> Result<Entry, LedgerError> {
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

pub(super) async fn plan_entries(pool: &PgPool, plan_id: &str) -> Result<Vec<Entry>, LedgerError> {
    let rows = sqlx::query(select_entries!("WHERE plan_id = $1 ORDER BY seq"))
        .bind(plan_id)
        .fetch_all(pool)
        .await?;
    rows.iter().map(decode).collect()
}

/// Plans whose entries include `with` and none of `without`, oldest first.
pub(super) async fn plans_with_without(
    pool: &PgPool,
    with: EntryKind,
    without: &[EntryKind],
) -> Result<Vec<String>, LedgerError> {
    let without: Vec<&str> = without.iter().map(|k| k.as_str()).collect();
    let plans = sqlx::query_scalar(
        "SELECT plan_id FROM entries WHERE plan_id IS NOT NULL GROUP BY plan_id \
         HAVING bool_or(kind = $1) AND NOT bool_or(kind = ANY($2)) ORDER BY MIN(seq)",
    )
    .bind(with.as_str())
    .bind(without)
    .fetch_all(pool)
    .await?;
    Ok(plans)
}

pub(super) async fn open_plans(pool: &PgPool) -> Result<Vec<String>, LedgerError> {
    let terminal: Vec<EntryKind> = ALL_KINDS
        .iter()
        .copied()
        .filter(|k| k.is_terminal())
        .collect();
    plans_with_without(pool, EntryKind::Previewed, &terminal).await
}

pub(super) async fn export(
    pool: &PgPool,
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

pub(super) async fn ping(pool: &PgPool) -> Result<(), LedgerError> {
    sqlx::query("SELECT 1").execute(pool).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_migration_file_is_embedded() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/postgres");
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
        let listed: Vec<String> = super::MIGRATIONS
            .iter()
            .map(|(v, d, _)| format!("{v:04}_{}.sql", d.replace(' ', "_")))
            .collect();
        assert_eq!(files, listed, "list new migrations in MIGRATIONS");
    }
}
