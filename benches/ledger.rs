//! Ledger throughput on both backends: a SQLite file (WAL, synchronous=FULL) in a temp dir,
//! and PostgreSQL (`KUBECHAT_TEST_POSTGRES_URL`, default postgres://postgres@127.0.0.1:5432/test,
//! a fresh schema dropped afterwards).
//! Budgets (DESIGN.md): sustained append ≥ 10,000 entries/s; verify ≥ 500,000 entries/s.
//! Export of 1,000,000 entries (time, peak memory): `examples/ledger_export.rs`.

use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use kubechat::ledger::{EntryKind, Ledger, NewEntry};
use serde_json::json;
use sqlx::Connection;

const WRITERS: u64 = 16;
const VERIFY_ENTRIES: u64 = 100_000;

fn entry(n: u64) -> NewEntry {
    NewEntry {
        time: jiff::Timestamp::now(),
        actor: format!("slack:U{:08}", n % 97),
        cluster: Some("prod-eu-1".into()),
        namespace: Some("payments".into()),
        plan_id: Some(format!("plan-{}", n / 8)),
        kind: EntryKind::Approved,
        payload: json!({
            "plan_hash": "9f2c1e7a4b3d5f60718293a4b5c6d7e8f9012345678901234567890abcdef12",
            "approver": "slack:U0000042",
            "approvals": {"needed": 2, "have": 1},
        }),
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// A fresh ledger on each backend; the guard removes it.
enum Guard {
    Dir(#[allow(dead_code)] tempfile::TempDir),
    Schema(String, String),
}

impl Drop for Guard {
    fn drop(&mut self) {
        if let Guard::Schema(server, schema) = self {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async {
                if let Ok(mut c) = sqlx::PgConnection::connect(server).await {
                    let sql = format!("DROP SCHEMA IF EXISTS {schema} CASCADE");
                    let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                        .execute(&mut c)
                        .await;
                }
            });
        }
    }
}

fn open(rt: &tokio::runtime::Runtime, backend: &str) -> (Ledger, Guard) {
    if backend == "sqlite" {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("bench.db").display());
        return (
            rt.block_on(Ledger::open(&url)).expect("open"),
            Guard::Dir(dir),
        );
    }
    let server = std::env::var("KUBECHAT_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let schema = format!("kc_bench_{}", uuid::Uuid::new_v4().simple());
    rt.block_on(async {
        let mut c = sqlx::PgConnection::connect(&server)
            .await
            .expect("PostgreSQL reachable (KUBECHAT_TEST_POSTGRES_URL)");
        let sql = format!("CREATE SCHEMA {schema}");
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&mut c)
            .await
            .expect("schema");
    });
    let url = format!("{server}?options=-c%20search_path%3D{schema}");
    let ledger = rt.block_on(Ledger::open(&url)).expect("open");
    (ledger, Guard::Schema(server, schema))
}

/// `iters` appends spread over 16 concurrent writers, each awaiting its own appends in turn.
fn append_concurrently(rt: &tokio::runtime::Runtime, ledger: &Ledger, iters: u64) -> Duration {
    rt.block_on(async {
        let start = Instant::now();
        let writers: Vec<_> = (0..WRITERS)
            .map(|w| {
                let ledger = ledger.clone();
                let n = iters / WRITERS + u64::from(w < iters % WRITERS);
                tokio::spawn(async move {
                    for i in 0..n {
                        ledger.append(entry(i)).await.expect("append");
                    }
                })
            })
            .collect();
        for w in writers {
            w.await.expect("writer task");
        }
        start.elapsed()
    })
}

fn appends(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("ledger_append");
    group.throughput(Throughput::Elements(1));
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(10));
    for backend in ["sqlite", "postgres"] {
        let (ledger, _guard) = open(&rt, backend);
        group.bench_function(format!("{backend}_16_writers"), |b| {
            b.iter_custom(|iters| append_concurrently(&rt, &ledger, iters))
        });
    }
    group.finish();
}

fn verify(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("ledger_verify");
    group.throughput(Throughput::Elements(VERIFY_ENTRIES));
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(10));
    for backend in ["sqlite", "postgres"] {
        let (ledger, _guard) = open(&rt, backend);
        append_concurrently(&rt, &ledger, VERIFY_ENTRIES);
        group.bench_function(format!("{backend}_100k"), |b| {
            b.iter(|| {
                let report = rt.block_on(ledger.verify()).expect("verify");
                assert!(report.first_break.is_none());
                report.entries
            })
        });
    }
    group.finish();
}

criterion_group!(benches, appends, verify);
criterion_main!(benches);
