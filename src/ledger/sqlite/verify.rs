//! Verify for SQLite: walks the whole chain in one read transaction, in constant memory.
//!
//! Rows cross from SQLite's worker thread to ours one at a time, and that hand-over costs more
//! than hashing an entry. So verify asks SQLite for pages of entries packed as one JSON value
//! each (JSON strings carry any text losslessly), hashes one page while SQLite packs the next,
//! and reads a page row by row only to name an entry that is not even text.

use std::borrow::Cow;

use serde::Deserialize;
use sqlx::Row;
use sqlx::sqlite::{SqliteConnection, SqlitePool, SqliteRow};

use crate::ledger::chain::{Body, Link, Walker};
use crate::ledger::{LedgerError, VerifyReport};

/// Entries per page.
const VERIFY_PAGE: i64 = 1024;

/// One page: its last `seq` (`NULL` when past the end) and its entries as a JSON array of
/// arrays. `ORDER BY` inside the aggregate needs SQLite ≥ 3.44 (the bundled one is newer).
const VERIFY_PAGE_SQL: &str = "SELECT max(seq), CAST(json_group_array(json_array(seq, time, \
     actor, cluster, namespace, plan_id, kind, payload, prev_hash, hash) ORDER BY seq) AS BLOB) \
     FROM (SELECT * FROM entries WHERE seq > ?1 ORDER BY seq LIMIT ?2)";

struct Page {
    after: i64,
    last: Option<i64>,
    json: Vec<u8>,
}

async fn fetch_page(conn: &mut SqliteConnection, after: i64) -> Result<Page, sqlx::Error> {
    let (last, json) = sqlx::query_as(VERIFY_PAGE_SQL)
        .bind(after)
        .bind(VERIFY_PAGE)
        .fetch_one(conn)
        .await?;
    Ok(Page { after, last, json })
}

/// An entry as packed by [`VERIFY_PAGE_SQL`].
#[derive(Deserialize)]
struct Packed<'a>(
    i64,
    #[serde(borrow)] Cow<'a, str>,
    #[serde(borrow)] Cow<'a, str>,
    #[serde(borrow)] Option<Cow<'a, str>>,
    #[serde(borrow)] Option<Cow<'a, str>>,
    #[serde(borrow)] Option<Cow<'a, str>>,
    #[serde(borrow)] Cow<'a, str>,
    #[serde(borrow)] Cow<'a, str>,
    #[serde(borrow)] Cow<'a, str>,
    #[serde(borrow)] Cow<'a, str>,
);

/// Walks a packed page; `Err` (before anything is pushed) if it is not JSON of text, which
/// happens when some entry holds bytes that are not UTF-8.
fn walk_page(page: &[u8], walker: &mut Walker) -> Result<(), serde_json::Error> {
    let entries: Vec<Packed<'_>> = serde_json::from_slice(page)?;
    for e in &entries {
        walker.push(Link {
            seq: e.0,
            body: Body {
                time: &e.1,
                actor: &e.2,
                cluster: e.3.as_deref(),
                namespace: e.4.as_deref(),
                plan_id: e.5.as_deref(),
                kind: &e.6,
                payload: &e.7,
            },
            prev_hash: &e.8,
            hash: &e.9,
        });
    }
    Ok(())
}

/// Walks one page row by row, naming any entry that cannot be read as text.
async fn walk_rows(
    conn: &mut SqliteConnection,
    after: i64,
    walker: &mut Walker,
) -> Result<(), LedgerError> {
    let mut rows = sqlx::query(select_entries!("WHERE seq > ? ORDER BY seq LIMIT ?"))
        .bind(after)
        .bind(VERIFY_PAGE)
        .fetch(conn);
    while let Some(row) = next_row!(rows) {
        let row = row?;
        // seq is the INTEGER PRIMARY KEY, so it always reads as i64.
        let seq: i64 = row.try_get(0)?;
        match link(seq, &row) {
            Ok(link) => walker.push(link),
            Err(e) => {
                walker.push_unreadable(seq, row.try_get(9).unwrap_or_default(), &e.to_string())
            }
        }
    }
    Ok(())
}

pub(in crate::ledger) async fn verify(
    pool: &SqlitePool,
    mut walker: Walker,
) -> Result<VerifyReport, LedgerError> {
    // One read transaction: the walk sees a single snapshot while others keep appending.
    let mut tx = pool.begin().await?;
    let mut page = fetch_page(&mut tx, 0).await?;
    while let Some(last) = page.last {
        // SQLite packs the next page on its thread while this one is hashed here.
        let (next, walked) = tokio::join!(fetch_page(&mut tx, last), async {
            walk_page(&page.json, &mut walker)
        });
        if walked.is_err() {
            walk_rows(&mut tx, page.after, &mut walker).await?;
        }
        page = next?;
    }
    tx.rollback().await?;
    Ok(walker.finish())
}

fn link(seq: i64, row: &SqliteRow) -> Result<Link<'_>, sqlx::Error> {
    Ok(Link {
        seq,
        body: Body {
            time: row.try_get(1)?,
            actor: row.try_get(2)?,
            cluster: row.try_get(3)?,
            namespace: row.try_get(4)?,
            plan_id: row.try_get(5)?,
            kind: row.try_get(6)?,
            payload: row.try_get(7)?,
        },
        prev_hash: row.try_get(8)?,
        hash: row.try_get(9)?,
    })
}
