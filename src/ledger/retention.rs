//! Retention: the oldest entries can be archived to a file and then removed — never
//! silently. `kubechat audit archive --before DATE --out FILE` exports entries
//! `first..=K` (jsonl, which verifies on its own), appends a chained `archived` entry naming
//! `K`, the hash of entry `K` and the file's SHA-256, signs a checkpoint after it, and only
//! then deletes `first..=K` (the database refuses any other deletion, see migrations 0002).
//!
//! Invariants:
//! - only a prefix of the chain is archived, and never an entry of a plan that is still open
//!   (its state is folded from all its entries);
//! - verify starts after the newest `archived` entry's `through_seq`/`through_hash` when the
//!   oldest stored entry is not entry 1; that anchor is itself chained, so editing it breaks
//!   the chain, and anything missing beyond it is reported as deleted.

use std::io::{self, Write};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::chain::Walker;
use super::store::Backend;
use super::{Entry, EntryKind, ExportFormat, Filter, Ledger, LedgerError, NewEntry, VerifyReport};

/// What an `archived` entry's payload holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Archived {
    pub from_seq: i64,
    /// The newest archived (and deleted) entry.
    pub through_seq: i64,
    /// Its hash: where the chain continues.
    pub through_hash: String,
    pub entries: u64,
    /// Hex SHA-256 of the archive file as written.
    pub file_sha256: String,
    /// The `--before` the operator asked for (RFC 3339).
    pub before: String,
}

/// Runs the same body on whichever pool `$backend` holds (the SQL is the same on both).
macro_rules! on_pool {
    ($backend:expr, |$pool:ident| $body:expr) => {
        match $backend {
            Backend::Sqlite($pool) => $body,
            Backend::Postgres($pool) => $body,
        }
    };
}

/// The oldest and newest stored `seq`.
async fn bounds(backend: &Backend) -> Result<(Option<i64>, Option<i64>), LedgerError> {
    let sql = "SELECT min(seq), max(seq) FROM entries";
    Ok(on_pool!(backend, |pool| sqlx::query_as(sql)
        .fetch_one(pool)
        .await?))
}

/// The first `seq` whose time text sorts at or after `cutoff`.
async fn first_at(backend: &Backend, cutoff: &str) -> Result<Option<i64>, LedgerError> {
    let sql = "SELECT min(seq) FROM entries WHERE time >= $1";
    Ok(on_pool!(backend, |pool| sqlx::query_scalar(sql)
        .bind(cutoff)
        .fetch_one(pool)
        .await?))
}

async fn hash_of(backend: &Backend, seq: i64) -> Result<String, LedgerError> {
    let sql = "SELECT hash FROM entries WHERE seq = $1";
    Ok(on_pool!(backend, |pool| sqlx::query_scalar(sql)
        .bind(seq)
        .fetch_one(pool)
        .await?))
}

/// The newest `archived` entry's anchor, if the oldest entries are gone.
pub(super) async fn start(backend: &Backend, walker: Walker) -> Result<Walker, LedgerError> {
    let (first, _) = bounds(backend).await?;
    if first.is_none_or(|f| f <= 1) {
        return Ok(walker);
    }
    let sql = "SELECT payload FROM entries WHERE kind = 'archived' ORDER BY seq DESC LIMIT 1";
    let payload: Option<String> = on_pool!(backend, |pool| sqlx::query_scalar(sql)
        .fetch_optional(pool)
        .await?);
    let Some(anchor) = payload.and_then(|p| serde_json::from_str::<Archived>(&p).ok()) else {
        return Ok(walker); // entry 1 is simply missing: the walk says so
    };
    walker
        .resume_after(anchor.through_seq, &anchor.through_hash)
        .map_err(|e| LedgerError::Corrupt {
            seq: anchor.through_seq,
            reason: format!("the archived entry's anchor is unusable: {e}"),
        })
}

/// Passes writes through while hashing them.
struct Hashing<'a> {
    out: &'a mut (dyn Write + Send),
    sha: Sha256,
}

impl Write for Hashing<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.out.write(buf)?;
        self.sha.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

impl Ledger {
    /// Archives entries older than `before` (whole seconds) to `out` and removes them; see
    /// the module docs. Returns the `archived` entry, or `None` when nothing can be archived.
    pub async fn archive(
        &self,
        before: Timestamp,
        actor: &str,
        out: &mut (dyn Write + Send),
    ) -> Result<Option<Entry>, LedgerError> {
        let backend = self.backend();
        let cutoff = before.strftime("%Y-%m-%dT%H:%M:%S").to_string();
        let newer = first_at(backend, &cutoff).await?;
        let (Some(first), Some(head)) = bounds(backend).await? else {
            return Ok(None);
        };
        let mut through = newer.map_or(head, |n| n - 1);
        for plan in self.open_plans().await? {
            if let Some(e) = self.plan_entries(&plan).await?.first() {
                through = through.min(e.seq - 1);
            }
        }
        if through < first {
            return Ok(None);
        }
        let mut file = Hashing {
            out,
            sha: Sha256::new(),
        };
        let filter = Filter {
            through_seq: Some(through),
            ..Filter::default()
        };
        let entries = self.export(ExportFormat::Jsonl, &filter, &mut file).await?;
        file.flush()?;
        let record = Archived {
            from_seq: first,
            through_seq: through,
            through_hash: hash_of(backend, through).await?,
            entries,
            file_sha256: hex::encode(file.sha.finalize()),
            before: before.to_string(),
        };
        let entry = self
            .append(NewEntry {
                time: Timestamp::now(),
                actor: actor.to_owned(),
                cluster: None,
                namespace: None,
                plan_id: None,
                kind: EntryKind::Archived,
                payload: serde_json::to_value(&record).unwrap_or_else(|_| json!({})),
            })
            .await?;
        if self.can_sign() {
            self.checkpoint_now().await?;
        }
        let sql = "DELETE FROM entries WHERE seq <= $1";
        on_pool!(backend, |pool| sqlx::query(sql)
            .bind(through)
            .execute(pool)
            .await
            .map(drop)?);
        Ok(Some(entry))
    }
}

/// Verifies a jsonl export or archive file on its own: the chain inside it, and its
/// checkpoints (signatures too with `walker`'s verifier). A file that does not start at
/// entry 1 (a later archive) is checked from its first entry's previous-hash on; compare
/// that with the previous archive's head.
pub fn verify_export(
    reader: impl io::BufRead,
    walker: Walker,
) -> Result<VerifyReport, LedgerError> {
    let mut walker = Some(walker);
    let mut started: Option<Walker> = None;
    for (n, line) in reader.lines().enumerate() {
        let line = line?;
        let entry: Entry = serde_json::from_str(&line).map_err(|e| LedgerError::Corrupt {
            seq: 0,
            reason: format!("line {} of the file is not a ledger entry: {e}", n + 1),
        })?;
        if let Some(fresh) = walker.take() {
            started = Some(if entry.seq > 1 {
                fresh
                    .resume_after(entry.seq - 1, &entry.prev_hash)
                    .unwrap_or_else(|_| Walker::new())
            } else {
                fresh
            });
        }
        if let Some(w) = started.as_mut() {
            w.push_entry(&entry);
        }
    }
    Ok(started.or(walker).unwrap_or_default().finish())
}
