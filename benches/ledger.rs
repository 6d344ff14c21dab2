//! Ledger throughput against a SQLite file (WAL, synchronous=FULL) in a temp dir.
//! Budgets (DESIGN.md): sustained append ≥ 10,000 entries/s; verify ≥ 500,000 entries/s.

use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use kubechat::ledger::{EntryKind, Ledger, NewEntry};
use serde_json::json;

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

fn open(rt: &tokio::runtime::Runtime, dir: &tempfile::TempDir) -> Ledger {
    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
    rt.block_on(Ledger::open(&url)).expect("open ledger")
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
    let dir = tempfile::tempdir().expect("temp dir");
    let ledger = open(&rt, &dir);
    let mut group = c.benchmark_group("ledger_append");
    group.throughput(Throughput::Elements(1));
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(10));
    group.bench_function("sqlite_16_writers", |b| {
        b.iter_custom(|iters| append_concurrently(&rt, &ledger, iters))
    });
    group.finish();
}

fn verify(c: &mut Criterion) {
    let rt = runtime();
    let dir = tempfile::tempdir().expect("temp dir");
    let ledger = open(&rt, &dir);
    append_concurrently(&rt, &ledger, VERIFY_ENTRIES);
    let mut group = c.benchmark_group("ledger_verify");
    group.throughput(Throughput::Elements(VERIFY_ENTRIES));
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(10));
    group.bench_function("sqlite_100k", |b| {
        b.iter(|| {
            let report = rt.block_on(ledger.verify()).expect("verify");
            assert!(report.first_break.is_none());
            report.entries
        })
    });
    group.finish();
}

criterion_group!(benches, appends, verify);
criterion_main!(benches);
