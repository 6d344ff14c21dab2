//! Export of a large ledger: time and peak memory (VmHWM). Fills a fresh ledger with N
//! entries (default 1,000,000), resets the peak-RSS counter, then streams the whole ledger
//! as jsonl and as CSV to a sink.
//!
//! `cargo run --release --example ledger_export -- sqlite|postgres [N]`
//! (PostgreSQL: `KUBECHAT_TEST_POSTGRES_URL`, default postgres://postgres@127.0.0.1:5432/test;
//! a fresh schema, dropped afterwards). Linux only (reads /proc/self/status).

use std::time::Instant;

use kubechat::ledger::{EntryKind, ExportFormat, Filter, Ledger, NewEntry};
use sqlx::Connection;

fn vm_hwm_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Writing 5 to clear_refs resets VmHWM to the current RSS (Linux ≥ 4.0).
fn reset_hwm() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let backend = args.next().unwrap_or_else(|| "sqlite".into());
    let n: u64 = args.next().map_or(Ok(1_000_000), |s| s.parse())?;
    let dir = tempfile::tempdir()?;
    let server = std::env::var("KUBECHAT_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let schema = format!("kc_export_{}", uuid::Uuid::new_v4().simple());
    let url = if backend == "postgres" {
        let mut c = sqlx::PgConnection::connect(&server).await?;
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
            .execute(&mut c)
            .await?;
        format!("{server}?options=-c%20search_path%3D{schema}")
    } else {
        format!("sqlite://{}", dir.path().join("export.db").display())
    };
    let ledger = Ledger::open(&url).await?;
    let fill = Instant::now();
    let writers: Vec<_> = (0..16)
        .map(|w| {
            let ledger = ledger.clone();
            tokio::spawn(async move {
                for i in (w..n).step_by(16) {
                    let e = NewEntry {
                        time: jiff::Timestamp::now(),
                        actor: format!("slack:U{:08}", i % 97),
                        cluster: Some("prod-eu-1".into()),
                        namespace: Some("payments".into()),
                        plan_id: Some(format!("plan-{}", i / 8)),
                        kind: EntryKind::Approved,
                        payload: serde_json::json!({"approver": "slack:U0000042", "n": i}),
                    };
                    ledger.append(e).await?;
                }
                anyhow::Ok(())
            })
        })
        .collect();
    for w in writers {
        w.await??;
    }
    println!("{backend}: filled {n} entries in {:.1?}", fill.elapsed());
    for format in [ExportFormat::Jsonl, ExportFormat::Csv] {
        reset_hwm();
        let before = vm_hwm_kib();
        let start = Instant::now();
        let written = ledger
            .export(format, &Filter::default(), &mut std::io::sink())
            .await?;
        let took = start.elapsed();
        println!(
            "{backend}: export {format} of {written} entries in {took:.2?} ({:.0} entries/s); \
             peak RSS {} KiB (was {} KiB before the export)",
            written as f64 / took.as_secs_f64(),
            vm_hwm_kib(),
            before
        );
    }
    if backend == "postgres" {
        let mut c = sqlx::PgConnection::connect(&server).await?;
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
            .execute(&mut c)
            .await?;
    }
    Ok(())
}
