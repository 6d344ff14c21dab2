//! Verify for PostgreSQL: streams the whole chain inside one `REPEATABLE READ` snapshot, in
//! constant memory, hashing the stored text as it arrives.

use sqlx::Row;
use sqlx::postgres::{PgPool, PgRow};

use crate::ledger::chain::{Body, Link, Walker};
use crate::ledger::{LedgerError, VerifyReport};

pub(in crate::ledger) async fn verify(
    pool: &PgPool,
    mut walker: Walker,
) -> Result<VerifyReport, LedgerError> {
    let mut tx = pool.begin().await?;
    // One snapshot: the walk sees a consistent chain while others keep appending.
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .execute(&mut *tx)
        .await?;
    {
        let mut rows = sqlx::query(select_entries!("ORDER BY seq")).fetch(&mut *tx);
        while let Some(row) = next_row!(rows) {
            walker.push(link(&row?)?);
        }
    }
    tx.rollback().await?;
    Ok(walker.finish())
}

fn link(row: &PgRow) -> Result<Link<'_>, sqlx::Error> {
    Ok(Link {
        seq: row.try_get(0)?,
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
