//! The audit ledger against a real SQLite file: appends, concurrency (in one process and
//! across handles, like `kubechat serve` + `kubechat approve`), tamper detection, plan
//! queries and export.

use std::collections::HashSet;

use kubechat::ledger::chain::GENESIS_HASH;
use kubechat::ledger::{Entry, EntryKind, ExportFormat, Ledger, LedgerError, NewEntry};
use serde_json::json;
use sqlx::Connection;
use sqlx::sqlite::SqliteConnection;
use tempfile::TempDir;

struct Db {
    _dir: TempDir,
    url: String,
}

fn temp_db() -> Db {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("ledger.db").display());
    Db { _dir: dir, url }
}

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

/// A raw connection, as an attacker with access to the database file would have.
async fn attacker(db: &Db) -> SqliteConnection {
    let mut conn = SqliteConnection::connect(&db.url)
        .await
        .expect("raw connect");
    sqlx::query("DROP TRIGGER entries_no_update; DROP TRIGGER entries_no_delete")
        .execute(&mut conn)
        .await
        .expect("drop triggers");
    conn
}

async fn first_break(ledger: &Ledger) -> (i64, String) {
    let report = ledger.verify().await.expect("verify runs");
    let b = report.first_break.expect("tampering is detected");
    (b.seq, b.reason)
}

#[tokio::test]
async fn appended_entries_read_back_with_dense_seq_and_linked_hashes() {
    let db = temp_db();
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

#[tokio::test]
async fn reopening_the_file_continues_the_chain() {
    let db = temp_db();
    let before = append_n(&Ledger::open(&db.url).await.expect("open"), 3).await;
    let ledger = Ledger::open(&db.url).await.expect("reopen");
    let after = ledger.append(message(9)).await.expect("append");
    assert_eq!(after.seq, 4);
    assert_eq!(after.prev_hash, before[2].hash);
    assert_eq!(ledger.verify().await.expect("verify").first_break, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixteen_concurrent_tasks_build_one_unforked_chain() {
    let db = temp_db();
    let ledger = Ledger::open(&db.url).await.expect("open");
    let tasks: Vec<_> = (0..16)
        .map(|t| {
            let ledger = ledger.clone();
            tokio::spawn(async move {
                let mut seqs = Vec::new();
                for i in 0..50 {
                    seqs.push(
                        ledger
                            .append(message(t * 100 + i))
                            .await
                            .expect("append")
                            .seq,
                    );
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_handles_on_one_file_interleave_without_forking_the_chain() {
    let db = temp_db();
    // Two opens = two pools and two writer tasks, as in two processes.
    let serve = Ledger::open(&db.url).await.expect("open 1");
    let approve = Ledger::open(&db.url).await.expect("open 2");
    let run = |ledger: Ledger, base: usize| {
        tokio::spawn(async move {
            for i in 0..100 {
                ledger.append(message(base + i)).await.expect("append");
            }
        })
    };
    let (a, b) = (run(serve.clone(), 0), run(approve.clone(), 1000));
    a.await.expect("serve task");
    b.await.expect("approve task");
    for ledger in [serve, approve] {
        let report = ledger.verify().await.expect("verify");
        assert_eq!((report.entries, report.first_break), (200, None));
    }
}

#[tokio::test]
async fn the_database_refuses_update_and_delete() {
    let db = temp_db();
    let ledger = Ledger::open(&db.url).await.expect("open");
    append_n(&ledger, 2).await;
    let mut conn = SqliteConnection::connect(&db.url)
        .await
        .expect("raw connect");
    for sql in [
        "UPDATE entries SET actor = 'mallory' WHERE seq = 1",
        "DELETE FROM entries WHERE seq = 2",
    ] {
        let err = sqlx::query(sql).execute(&mut conn).await.expect_err(sql);
        assert!(
            err.to_string().contains("kubechat ledger is append-only"),
            "{err}"
        );
    }
    assert_eq!(ledger.verify().await.expect("verify").first_break, None);
}

#[tokio::test]
async fn verify_finds_an_edited_payload() {
    let db = temp_db();
    let ledger = Ledger::open(&db.url).await.expect("open");
    append_n(&ledger, 20).await;
    sqlx::query(r#"UPDATE entries SET payload = '{"n":2}' WHERE seq = 17"#)
        .execute(&mut attacker(&db).await)
        .await
        .expect("tamper");
    assert_eq!(
        first_break(&ledger).await,
        (
            17,
            "entry 17 was edited (its content no longer matches its hash)".into()
        )
    );
}

#[tokio::test]
async fn verify_finds_a_deleted_entry() {
    let db = temp_db();
    let ledger = Ledger::open(&db.url).await.expect("open");
    append_n(&ledger, 20).await;
    sqlx::query("DELETE FROM entries WHERE seq = 17")
        .execute(&mut attacker(&db).await)
        .await
        .expect("tamper");
    assert_eq!(
        first_break(&ledger).await,
        (
            17,
            "entry 17 is missing (sequence jumps from 16 to 18)".into()
        )
    );
}

#[tokio::test]
async fn verify_finds_a_deleted_entry_even_when_later_ones_are_renumbered() {
    let db = temp_db();
    let ledger = Ledger::open(&db.url).await.expect("open");
    append_n(&ledger, 20).await;
    let mut conn = attacker(&db).await;
    sqlx::query("DELETE FROM entries WHERE seq = 17")
        .execute(&mut conn)
        .await
        .expect("delete");
    for seq in 18..=20 {
        sqlx::query("UPDATE entries SET seq = seq - 1 WHERE seq = ?")
            .bind(seq)
            .execute(&mut conn)
            .await
            .expect("renumber");
    }
    let (seq, reason) = first_break(&ledger).await;
    assert_eq!(seq, 17);
    assert!(
        reason.starts_with("entry 17 does not follow entry 16"),
        "{reason}"
    );
}

#[tokio::test]
async fn verify_finds_two_swapped_entries() {
    let db = temp_db();
    let ledger = Ledger::open(&db.url).await.expect("open");
    append_n(&ledger, 20).await;
    let mut conn = attacker(&db).await;
    // Swap every column but the row key, as reordering rows in SQL would.
    for (from, to) in [(5, 1000), (8, 5), (1000, 8)] {
        sqlx::query("UPDATE entries SET seq = ? WHERE seq = ?")
            .bind(to)
            .bind(from)
            .execute(&mut conn)
            .await
            .expect("swap");
    }
    assert_eq!(
        first_break(&ledger).await,
        (
            5,
            "entry 5 does not follow entry 4 (its previous-hash does not match): entries were \
             reordered or inserted, or entry 4 was rewritten"
                .into()
        )
    );
}

#[tokio::test]
async fn verify_finds_an_inserted_entry_with_a_valid_looking_hash() {
    let db = temp_db();
    let ledger = Ledger::open(&db.url).await.expect("open");
    let stored = append_n(&ledger, 20).await;
    let mut conn = attacker(&db).await;
    for seq in (10..=20).rev() {
        sqlx::query("UPDATE entries SET seq = seq + 1 WHERE seq = ?")
            .bind(seq)
            .execute(&mut conn)
            .await
            .expect("make room");
    }
    // The forger knows the hash scheme and chains correctly after entry 9.
    let forged = entry("slack:mallory", EntryKind::Approved, Some("p9"));
    let hash = kubechat::ledger::chain::entry_hash(10, &stored[8].hash, &forged).expect("hash");
    sqlx::query(
        "INSERT INTO entries (seq, time, actor, cluster, namespace, plan_id, kind, payload, \
         prev_hash, hash) VALUES (10, ?, ?, 'prod', 'shop', 'p9', 'approved', ?, ?, ?)",
    )
    .bind(forged.time.to_string())
    .bind(&forged.actor)
    .bind(kubechat::ledger::chain::canonical_json(&forged.payload))
    .bind(&stored[8].hash)
    .bind(&hash)
    .execute(&mut conn)
    .await
    .expect("insert");
    let (seq, reason) = first_break(&ledger).await;
    assert_eq!(seq, 11);
    assert!(
        reason.starts_with("entry 11 does not follow entry 10"),
        "{reason}"
    );
}

#[tokio::test]
async fn verify_reports_bytes_that_are_not_text_as_an_edit() {
    let db = temp_db();
    let ledger = Ledger::open(&db.url).await.expect("open");
    append_n(&ledger, 5).await;
    sqlx::query("UPDATE entries SET actor = CAST(X'ff61' AS TEXT) WHERE seq = 3")
        .execute(&mut attacker(&db).await)
        .await
        .expect("tamper");
    let (seq, reason) = first_break(&ledger).await;
    assert_eq!(seq, 3);
    assert!(
        reason.starts_with("entry 3 was edited (it is unreadable: "),
        "{reason}"
    );
}

#[tokio::test]
async fn any_text_survives_storage_and_verifies() {
    let db = temp_db();
    let ledger = Ledger::open(&db.url).await.expect("open");
    let nasty = [
        "",
        "\0",
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
        e.payload = json!({ text: text, "list": [text, 1.5, -0.0, 1e300, u64::MAX, i64::MIN] });
        let stored = ledger.append(e).await.expect("append");
        let read = ledger.plan_entries(text).await.expect("read");
        assert_eq!(read.last(), Some(&stored), "{text:?}");
    }
    let report = ledger.verify().await.expect("verify");
    assert_eq!(
        (report.entries, report.first_break),
        (nasty.len() as u64, None)
    );
}

/// Verify reads in pages of 1,024 entries: breaks beyond the first page are found too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_finds_breaks_on_later_pages() {
    let db = temp_db();
    let ledger = Ledger::open(&db.url).await.expect("open");
    let tasks: Vec<_> = (0..16)
        .map(|t| {
            let ledger = ledger.clone();
            tokio::spawn(async move { append_n(&ledger, 160 + t).await })
        })
        .collect();
    for task in tasks {
        task.await.expect("task");
    }
    let report = ledger.verify().await.expect("verify");
    assert_eq!((report.entries, report.first_break), (2680, None));

    let mut conn = attacker(&db).await;
    sqlx::query("UPDATE entries SET actor = CAST(X'ff' AS TEXT) WHERE seq = 2100")
        .execute(&mut conn)
        .await
        .expect("tamper");
    sqlx::query("UPDATE entries SET kind = 'approved' WHERE seq = 2500")
        .execute(&mut conn)
        .await
        .expect("tamper");
    assert_eq!(first_break(&ledger).await.0, 2100);
    sqlx::query("UPDATE entries SET kind = 'approved' WHERE seq = 1025")
        .execute(&mut conn)
        .await
        .expect("tamper");
    assert_eq!(
        first_break(&ledger).await,
        (
            1025,
            "entry 1025 was edited (its content no longer matches its hash)".into()
        )
    );
    assert_eq!(ledger.verify().await.expect("verify").entries, 2680);
}

#[tokio::test]
async fn a_failed_write_is_reported_to_the_caller_and_nothing_is_stored() {
    let db = temp_db();
    let ledger = Ledger::open(&db.url).await.expect("open");
    append_n(&ledger, 1).await;
    let mut conn = SqliteConnection::connect(&db.url)
        .await
        .expect("raw connect");
    sqlx::query(
        "CREATE TRIGGER full_disk BEFORE INSERT ON entries BEGIN SELECT RAISE(ABORT, 'disk full'); END",
    )
    .execute(&mut conn)
    .await
    .expect("trigger");
    let err = ledger.append(message(1)).await.expect_err("fails closed");
    assert!(matches!(err, LedgerError::Append(_)), "{err:?}");
    assert!(err.to_string().contains("disk full"), "{err}");
    assert_eq!(ledger.verify().await.expect("verify").entries, 1);
}

#[tokio::test]
async fn plan_entries_and_open_plans_follow_the_plan_lifecycle() {
    let db = temp_db();
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
        ledger
            .append(entry("slack:alice", kind, Some(plan)))
            .await
            .expect("append");
    }
    ledger.append(message(0)).await.expect("no plan");
    assert_eq!(ledger.open_plans().await.expect("open plans"), ["p1", "p3"]);

    let p1: Vec<_> = ledger
        .plan_entries("p1")
        .await
        .expect("p1")
        .into_iter()
        .collect();
    assert_eq!(p1.iter().map(|e| e.seq).collect::<Vec<_>>(), [1, 2, 6]);
    assert_eq!(
        p1.iter().map(|e| e.kind).collect::<Vec<_>>(),
        [
            EntryKind::Planned,
            EntryKind::Previewed,
            EntryKind::Approved
        ]
    );
    assert!(ledger.plan_entries("nope").await.expect("none").is_empty());

    for (plan, kind) in [("p3", EntryKind::Executed), ("p1", EntryKind::Expired)] {
        ledger
            .append(entry("kubechat", kind, Some(plan)))
            .await
            .expect("append");
    }
    assert!(ledger.open_plans().await.expect("open plans").is_empty());
}

#[tokio::test]
async fn jsonl_export_parses_back_into_the_stored_entries() {
    let db = temp_db();
    let ledger = Ledger::open(&db.url).await.expect("open");
    let stored = append_n(&ledger, 5).await;
    let mut out = Vec::new();
    let n = ledger
        .export(ExportFormat::Jsonl, &mut out)
        .await
        .expect("export");
    assert_eq!(n, 5);
    let text = String::from_utf8(out).expect("utf-8");
    let parsed: Vec<Entry> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("an Entry per line"))
        .collect();
    assert_eq!(parsed, stored);
    assert_eq!(kubechat::ledger::chain::check(parsed).first_break, None);
}

#[tokio::test]
async fn csv_export_quotes_fields_and_defuses_formulas() {
    let db = temp_db();
    let ledger = Ledger::open(&db.url).await.expect("open");
    let mut evil = entry("=HYPERLINK(\"http://x\",\"y\")", EntryKind::Message, None);
    evil.namespace = Some("-2+3".into());
    evil.payload = json!({"text": "line1\nline2, \"quoted\""});
    let stored = ledger.append(evil).await.expect("append");
    let mut out = Vec::new();
    assert_eq!(
        ledger
            .export(ExportFormat::Csv, &mut out)
            .await
            .expect("export"),
        1
    );
    let text = String::from_utf8(out).expect("utf-8");
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

#[tokio::test]
async fn in_memory_ledgers_work_for_tests() {
    let ledger = Ledger::open("sqlite::memory:").await.expect("open");
    ledger.ping().await.expect("ping");
    append_n(&ledger, 3).await;
    assert_eq!(ledger.verify().await.expect("verify").entries, 3);
}

#[tokio::test]
async fn unsupported_urls_are_refused_without_leaking_passwords() {
    for url in [
        "postgres://kubechat:s3cret@db/ledger",
        "mysql://db/x",
        "kubechat.db",
    ] {
        let err = Ledger::open(url).await.expect_err(url);
        assert!(matches!(err, LedgerError::UnsupportedUrl(_)), "{err:?}");
        assert!(!err.to_string().contains("s3cret"), "{err}");
    }
}

#[tokio::test]
async fn the_ledger_file_is_created_in_wal_mode() {
    let db = temp_db();
    let ledger = Ledger::open(&db.url).await.expect("open");
    ledger.ping().await.expect("ping");
    let mut conn = SqliteConnection::connect(&db.url)
        .await
        .expect("raw connect");
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&mut conn)
        .await
        .expect("pragma");
    assert_eq!(mode, "wal");
}

#[test]
fn the_handle_is_a_cheap_shareable_clone() {
    fn shareable<T: Clone + Send + Sync + 'static>() {}
    shareable::<Ledger>();
}
