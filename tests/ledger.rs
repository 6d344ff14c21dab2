//! The audit ledger against a real database, SQLite and PostgreSQL alike: appends,
//! concurrency (in one process and across handles, like `kubechat serve` + `kubechat approve`
//! or two replicas), fail closed, plan queries and export. Tampering: `ledger_tamper.rs`.

#[path = "support/ledger_db.rs"]
mod ledger_db;

use std::collections::HashSet;

use kubechat::ledger::chain::GENESIS_HASH;
use kubechat::ledger::{Entry, EntryKind, ExportFormat, Filter, Ledger, LedgerError, NewEntry};
use ledger_db::{Backend, Db};
use serde_json::json;

fn entry(actor: &str, kind: EntryKind, plan_id: Option<&str>) -> NewEntry {
    NewEntry {
        time: "2025-03-04T05:06:07.123Z".parse().expect("timestamp"),
        actor: actor.into(),
        cluster: Some("prod".into()),
        namespace: Some("shop".into()),
        plan_id: plan_id.map(Into::into),
        kind,
        payload: json!({"note": format!("{actor} {kind:?}"), "n": 1}),
    }
}

fn message(n: usize) -> NewEntry {
    entry(&format!("slack:u{n}"), EntryKind::Message, None)
}

async fn append_n(ledger: &Ledger, n: usize) -> Vec<Entry> {
    let mut out = Vec::new();
    for i in 0..n {
        out.push(ledger.append(message(i)).await.expect("append"));
    }
    out
}

async fn export(ledger: &Ledger, format: ExportFormat, filter: &Filter) -> (u64, String) {
    let mut out = Vec::new();
    let n = ledger
        .export(format, filter, &mut out)
        .await
        .expect("export");
    (n, String::from_utf8(out).expect("utf-8"))
}

on_both_backends! {
    async fn appended_entries_read_back_with_dense_seq_and_linked_hashes(db: Db) {
        let ledger = Ledger::open(&db.url).await.expect("open");
        let first = entry("slack:alice", EntryKind::Previewed, Some("p1"));
        let stored = ledger.append(first.clone()).await.expect("append");
        assert_eq!(stored.seq, 1);
        assert_eq!(stored.prev_hash, GENESIS_HASH);
        assert_eq!(
            (stored.actor.as_str(), &stored.payload),
            ("slack:alice", &first.payload)
        );
        assert_eq!(stored.time, first.time);
        let more = append_n(&ledger, 4).await;
        assert_eq!(more.iter().map(|e| e.seq).collect::<Vec<_>>(), [2, 3, 4, 5]);
        assert_eq!(more[0].prev_hash, stored.hash);
        for pair in more.windows(2) {
            assert_eq!(pair[1].prev_hash, pair[0].hash);
        }
        assert_eq!(ledger.plan_entries("p1").await.expect("read"), [stored]);
        let report = ledger.verify().await.expect("verify");
        assert_eq!((report.entries, report.first_break), (5, None));
        assert_eq!(report.head_hash, more[3].hash);
    }
}

on_both_backends! {
    async fn reopening_continues_the_chain(db: Db) {
        let before = append_n(&Ledger::open(&db.url).await.expect("open"), 3).await;
        let ledger = Ledger::open(&db.url).await.expect("reopen");
        let after = ledger.append(message(9)).await.expect("append");
        assert_eq!(after.seq, 4);
        assert_eq!(after.prev_hash, before[2].hash);
        assert_eq!(ledger.verify().await.expect("verify").first_break, None);
    }
}

on_both_backends! {
    async fn sixteen_concurrent_tasks_build_one_unforked_chain(db: Db) {
        let ledger = Ledger::open(&db.url).await.expect("open");
        let tasks: Vec<_> = (0..16)
            .map(|t| {
                let ledger = ledger.clone();
                tokio::spawn(async move {
                    let mut seqs = Vec::new();
                    for i in 0..50 {
                        seqs.push(ledger.append(message(t * 100 + i)).await.expect("append").seq);
                    }
                    seqs
                })
            })
            .collect();
        let mut seqs = HashSet::new();
        for task in tasks {
            for seq in task.await.expect("task") {
                assert!(seqs.insert(seq), "seq {seq} given twice");
            }
        }
        assert_eq!(seqs, (1..=800).collect());
        let report = ledger.verify().await.expect("verify");
        assert_eq!((report.entries, report.first_break), (800, None));
    }
}

on_both_backends! {
    /// Two opens = two pools and two writer tasks, as two processes or two replicas.
    async fn two_handles_on_one_database_interleave_without_forking_the_chain(db: Db) {
        let serve = Ledger::open(&db.url).await.expect("open 1");
        let approve = Ledger::open(&db.url).await.expect("open 2");
        let run = |ledger: Ledger, base: usize| {
            tokio::spawn(async move {
                for i in 0..100 {
                    ledger.append(message(base + i)).await.expect("append");
                }
            })
        };
        let tasks: Vec<_> = (0..4)
            .map(|i| run(if i % 2 == 0 { serve.clone() } else { approve.clone() }, i * 1000))
            .collect();
        for task in tasks {
            task.await.expect("writer task");
        }
        for ledger in [serve, approve] {
            let report = ledger.verify().await.expect("verify");
            assert_eq!((report.entries, report.first_break), (400, None));
        }
    }
}

on_both_backends! {
    async fn any_text_survives_storage_and_verifies(db: Db) {
        let ledger = Ledger::open(&db.url).await.expect("open");
        let nasty = [
            "",
            "\u{1}\u{1f}\u{7f}",
            "\r\n\t",
            "\"quoted\" \\ back/slash",
            "\u{2028}\u{2029}",
            "\u{feff}é😀",
            "{\"json\": \"looking\"}",
            "null",
            "=1+2",
            "a,b",
            "\u{10ffff}",
        ];
        for text in nasty {
            let mut e = entry(text, EntryKind::Message, Some(text));
            e.namespace = Some(text.into());
            e.payload = json!({ text: text, "nul": "a\0b", "list": [text, 1.5, -0.0, 1e300, u64::MAX, i64::MIN] });
            let stored = ledger.append(e).await.expect("append");
            let read = ledger.plan_entries(text).await.expect("read");
            assert_eq!(read.last(), Some(&stored), "{text:?}");
        }
        let report = ledger.verify().await.expect("verify");
        assert_eq!((report.entries, report.first_break), (nasty.len() as u64, None));
    }
}

on_both_backends! {
    /// PostgreSQL text cannot hold NUL, so neither backend takes one outside the payload
    /// (where JSON escapes it): the same behaviour everywhere, and a clear refusal.
    async fn a_nul_character_outside_the_payload_is_refused_alone(db: Db) {
        let ledger = Ledger::open(&db.url).await.expect("open");
        let err = ledger
            .append(entry("slack:a\0b", EntryKind::Message, None))
            .await
            .expect_err("NUL refused");
        assert!(matches!(err, LedgerError::Unstorable { .. }), "{err:?}");
        assert_eq!(err.to_string(), "the ledger cannot store this entry: its actor contains a NUL character");
        append_n(&ledger, 2).await;
        assert_eq!(ledger.verify().await.expect("verify").entries, 2);
    }
}

on_both_backends! {
    async fn a_failed_write_is_reported_to_the_caller_and_nothing_is_stored(db: Db) {
        let ledger = Ledger::open(&db.url).await.expect("open");
        append_n(&ledger, 1).await;
        db.break_inserts("disk full").await;
        let err = ledger.append(message(1)).await.expect_err("fails closed");
        assert!(matches!(err, LedgerError::Append(_)), "{err:?}");
        assert!(err.to_string().contains("disk full"), "{err}");
        // Reads keep working while writes fail.
        assert_eq!(ledger.verify().await.expect("verify").entries, 1);
        assert_eq!(export(&ledger, ExportFormat::Jsonl, &Filter::default()).await.0, 1);
        db.repair_inserts().await;
        assert_eq!(ledger.append(message(2)).await.expect("recovered").seq, 2);
    }
}

on_both_backends! {
    async fn plan_entries_and_open_plans_follow_the_plan_lifecycle(db: Db) {
        let ledger = Ledger::open(&db.url).await.expect("open");
        let steps = [
            ("p1", EntryKind::Planned),
            ("p1", EntryKind::Previewed),
            ("p2", EntryKind::Planned), // never previewed: not open
            ("p3", EntryKind::Previewed),
            ("p4", EntryKind::Previewed),
            ("p1", EntryKind::Approved),
            ("p3", EntryKind::Executing),
            ("p4", EntryKind::Aborted),
        ];
        for (plan, kind) in steps {
            ledger.append(entry("slack:alice", kind, Some(plan))).await.expect("append");
        }
        ledger.append(message(0)).await.expect("no plan");
        assert_eq!(ledger.open_plans().await.expect("open plans"), ["p1", "p3"]);
        let p1 = ledger.plan_entries("p1").await.expect("p1");
        assert_eq!(p1.iter().map(|e| e.seq).collect::<Vec<_>>(), [1, 2, 6]);
        assert_eq!(
            p1.iter().map(|e| e.kind).collect::<Vec<_>>(),
            [EntryKind::Planned, EntryKind::Previewed, EntryKind::Approved]
        );
        assert!(ledger.plan_entries("nope").await.expect("none").is_empty());
        for (plan, kind) in [("p3", EntryKind::Executed), ("p1", EntryKind::Expired)] {
            ledger.append(entry("kubechat", kind, Some(plan))).await.expect("append");
        }
        assert!(ledger.open_plans().await.expect("open plans").is_empty());
    }
}

on_both_backends! {
    async fn jsonl_and_json_exports_parse_back_into_the_stored_entries(db: Db) {
        let ledger = Ledger::open(&db.url).await.expect("open");
        let stored = append_n(&ledger, 5).await;
        let (n, text) = export(&ledger, ExportFormat::Jsonl, &Filter::default()).await;
        assert_eq!(n, 5);
        let parsed: Vec<Entry> = text
            .lines()
            .map(|l| serde_json::from_str(l).expect("an Entry per line"))
            .collect();
        assert_eq!(parsed, stored);
        assert_eq!(kubechat::ledger::chain::check(parsed).first_break, None);
        let (_, text) = export(&ledger, ExportFormat::Json, &Filter::default()).await;
        let parsed: Vec<Entry> = serde_json::from_str(&text).expect("a JSON array");
        assert_eq!(parsed, stored);
        let empty = Filter { actor: Some("nobody".into()), ..Filter::default() };
        assert_eq!(export(&ledger, ExportFormat::Json, &empty).await, (0, "[]\n".into()));
    }
}

on_both_backends! {
    async fn export_filters_select_exactly_the_matching_entries(db: Db) {
        let ledger = Ledger::open(&db.url).await.expect("open");
        let times = ["2025-01-01T00:00:00Z", "2025-01-01T00:00:00.5Z", "2025-01-02T10:00:00Z"];
        for (i, t) in times.iter().enumerate() {
            let mut e = entry(&format!("slack:u{i}"), EntryKind::Approved, Some("p"));
            e.time = t.parse().expect("time");
            e.namespace = (i != 1).then(|| "shop".into());
            ledger.append(e).await.expect("append");
        }
        ledger.append(message(7)).await.expect("append");
        let seqs = |text: String| -> Vec<i64> {
            text.lines().map(|l| serde_json::from_str::<Entry>(l).expect("entry").seq).collect()
        };
        let cases = [
            (Filter { since: Some(times[1].parse().expect("t")), ..Filter::default() }, vec![2, 3, 4]),
            (Filter { until: Some(times[1].parse().expect("t")), ..Filter::default() }, vec![1]),
            (Filter { actor: Some("slack:u2".into()), ..Filter::default() }, vec![3]),
            (Filter { namespace: Some("shop".into()), kind: Some(EntryKind::Approved), ..Filter::default() }, vec![1, 3]),
            (Filter { cluster: Some("staging".into()), ..Filter::default() }, vec![]),
        ];
        for (filter, want) in cases {
            let (n, text) = export(&ledger, ExportFormat::Jsonl, &filter).await;
            assert_eq!((n as usize, seqs(text)), (want.len(), want.clone()), "{filter:?}");
        }
    }
}

on_both_backends! {
    async fn csv_export_quotes_fields_and_defuses_formulas(db: Db) {
        let ledger = Ledger::open(&db.url).await.expect("open");
        let mut evil = entry("=HYPERLINK(\"http://x\",\"y\")", EntryKind::Message, None);
        evil.namespace = Some("-2+3".into());
        evil.payload = json!({"text": "line1\nline2, \"quoted\""});
        let stored = ledger.append(evil).await.expect("append");
        let (n, text) = export(&ledger, ExportFormat::Csv, &Filter::default()).await;
        assert_eq!(n, 1);
        let expected = [
            "seq,time,actor,cluster,namespace,plan_id,kind,payload,prev_hash,hash\r\n",
            r#"1,2025-03-04T05:06:07.123Z,"'=HYPERLINK(""http://x"",""y"")",prod,'-2+3,,message,"#,
            r#""{""text"":""line1\nline2, \""quoted\""""}","#,
            &stored.prev_hash,
            ",",
            &stored.hash,
            "\r\n",
        ]
        .concat();
        assert_eq!(text, expected);
    }
}

#[tokio::test]
async fn in_memory_ledgers_work_for_tests() {
    let ledger = Ledger::open("sqlite::memory:").await.expect("open");
    ledger.ping().await.expect("ping");
    append_n(&ledger, 3).await;
    assert_eq!(ledger.verify().await.expect("verify").entries, 3);
}

#[tokio::test]
async fn unsupported_urls_are_refused_without_leaking_passwords() {
    for url in ["mysql://kubechat:s3cret@db/x", "kubechat.db"] {
        let err = Ledger::open(url).await.expect_err(url);
        assert!(matches!(err, LedgerError::UnsupportedUrl(_)), "{err:?}");
        assert!(!err.to_string().contains("s3cret"), "{err}");
    }
}

#[tokio::test]
async fn an_unreachable_postgres_is_an_open_error_without_the_password() {
    let err = Ledger::open("postgres://kubechat:s3cret@127.0.0.1:1/ledger")
        .await
        .expect_err("nothing listens on port 1");
    assert!(matches!(err, LedgerError::Open { .. }), "{err:?}");
    assert!(!err.to_string().contains("s3cret"), "{err}");
}

#[tokio::test]
async fn the_ledger_file_is_created_in_wal_mode() {
    let db = Db::sqlite();
    let ledger = Ledger::open(&db.url).await.expect("open");
    ledger.ping().await.expect("ping");
    let ledger_db::Raw::Sqlite(mut conn) = db.raw().await else {
        unreachable!("a SQLite db")
    };
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&mut conn)
        .await
        .expect("pragma");
    assert_eq!(mode, "wal");
    assert_eq!(db.backend, Backend::Sqlite);
    assert_eq!(ledger.backend_name(), "sqlite");
}

#[test]
fn the_handle_is_a_cheap_shareable_clone() {
    fn shareable<T: Clone + Send + Sync + 'static>() {}
    shareable::<Ledger>();
}
