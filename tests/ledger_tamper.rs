//! Tamper evidence against a real database, SQLite and PostgreSQL alike: whoever edits,
//! deletes, reorders or inserts entries behind kubechat's back is caught by
//! `kubechat audit verify`, which names the first bad entry and why.

#[path = "support/ledger_db.rs"]
mod ledger_db;

use kubechat::ledger::{Entry, EntryKind, Ledger, NewEntry};
use ledger_db::Db;
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

async fn append_n(ledger: &Ledger, n: usize) -> Vec<Entry> {
    let mut out = Vec::new();
    for i in 0..n {
        let e = entry(&format!("slack:u{i}"), EntryKind::Message, None);
        out.push(ledger.append(e).await.expect("append"));
    }
    out
}

async fn first_break(ledger: &Ledger) -> (i64, String) {
    let report = ledger.verify().await.expect("verify runs");
    let b = report.first_break.expect("tampering is detected");
    (b.seq, b.reason)
}

on_both_backends! {
    async fn the_database_refuses_update_and_delete(db: Db) {
        let ledger = Ledger::open(&db.url).await.expect("open");
        append_n(&ledger, 2).await;
        let mut conn = db.raw().await;
        for sql in [
            "UPDATE entries SET actor = 'mallory' WHERE seq = 1",
            "DELETE FROM entries WHERE seq = 2",
        ] {
            let err = conn.exec(sql).await.expect_err(sql);
            assert!(err.to_string().contains("kubechat ledger is append-only"), "{err}");
        }
        assert_eq!(ledger.verify().await.expect("verify").first_break, None);
    }
}

on_both_backends! {
    async fn verify_finds_an_edited_payload(db: Db) {
        let ledger = Ledger::open(&db.url).await.expect("open");
        append_n(&ledger, 20).await;
        db.attacker()
            .await
            .exec(r#"UPDATE entries SET payload = '{"n":2}' WHERE seq = 17"#)
            .await
            .expect("tamper");
        assert_eq!(
            first_break(&ledger).await,
            (17, "entry 17 was edited (its content no longer matches its hash)".into())
        );
    }
}

on_both_backends! {
    async fn verify_finds_a_deleted_entry(db: Db) {
        let ledger = Ledger::open(&db.url).await.expect("open");
        append_n(&ledger, 20).await;
        db.attacker().await.exec("DELETE FROM entries WHERE seq = 17").await.expect("tamper");
        assert_eq!(
            first_break(&ledger).await,
            (17, "entry 17 is missing (sequence jumps from 16 to 18)".into())
        );
    }
}

on_both_backends! {
    async fn verify_finds_a_deleted_entry_even_when_later_ones_are_renumbered(db: Db) {
        let ledger = Ledger::open(&db.url).await.expect("open");
        append_n(&ledger, 20).await;
        let mut conn = db.attacker().await;
        conn.exec("DELETE FROM entries WHERE seq = 17").await.expect("delete");
        for seq in 18..=20 {
            conn.exec(&format!("UPDATE entries SET seq = seq - 1 WHERE seq = {seq}"))
                .await
                .expect("renumber");
        }
        let (seq, reason) = first_break(&ledger).await;
        assert_eq!(seq, 17);
        assert!(reason.starts_with("entry 17 does not follow entry 16"), "{reason}");
    }
}

on_both_backends! {
    async fn verify_finds_two_swapped_entries(db: Db) {
        let ledger = Ledger::open(&db.url).await.expect("open");
        append_n(&ledger, 20).await;
        let mut conn = db.attacker().await;
        // Swap every column but the row key, as reordering rows in SQL would.
        for (from, to) in [(5, 1000), (8, 5), (1000, 8)] {
            conn.exec(&format!("UPDATE entries SET seq = {to} WHERE seq = {from}"))
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
}

on_both_backends! {
    async fn verify_finds_an_inserted_entry_with_a_valid_looking_hash(db: Db) {
        let ledger = Ledger::open(&db.url).await.expect("open");
        let stored = append_n(&ledger, 20).await;
        let mut conn = db.attacker().await;
        for seq in (10..=20).rev() {
            conn.exec(&format!("UPDATE entries SET seq = seq + 1 WHERE seq = {seq}"))
                .await
                .expect("make room");
        }
        // The forger knows the hash scheme and chains correctly after entry 9.
        let forged = entry("slack:mallory", EntryKind::Approved, Some("p9"));
        let hash = kubechat::ledger::chain::entry_hash(10, &stored[8].hash, &forged).expect("hash");
        conn.exec_with(
            "INSERT INTO entries (seq, time, actor, cluster, namespace, plan_id, kind, payload, \
             prev_hash, hash) VALUES (10, $1, $2, 'prod', 'shop', 'p9', 'approved', $3, $4, $5)",
            &[
                &forged.time.to_string(),
                &forged.actor,
                &kubechat::ledger::chain::canonical_json(&forged.payload),
                &stored[8].hash,
                &hash,
            ],
        )
        .await
        .expect("insert");
        let (seq, reason) = first_break(&ledger).await;
        assert_eq!(seq, 11);
        assert!(reason.starts_with("entry 11 does not follow entry 10"), "{reason}");
    }
}

on_both_backends! {
    /// SQLite reads in pages of 1,024 entries: breaks beyond the first page are found too.
    async fn verify_finds_breaks_on_later_pages(db: Db) {
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
        let mut conn = db.attacker().await;
        conn.exec("UPDATE entries SET kind = 'approved' WHERE seq = 2500").await.expect("tamper");
        assert_eq!(first_break(&ledger).await.0, 2500);
        conn.exec("UPDATE entries SET kind = 'approved' WHERE seq = 1025").await.expect("tamper");
        assert_eq!(
            first_break(&ledger).await,
            (1025, "entry 1025 was edited (its content no longer matches its hash)".into())
        );
        assert_eq!(ledger.verify().await.expect("verify").entries, 2680);
    }
}

/// Only SQLite can hold bytes that are not UTF-8 in a text column.
#[tokio::test]
async fn verify_reports_bytes_that_are_not_text_as_an_edit() {
    let db = Db::sqlite();
    let ledger = Ledger::open(&db.url).await.expect("open");
    append_n(&ledger, 1100).await;
    let mut conn = db.attacker().await;
    for seq in [3, 1050] {
        conn.exec(&format!(
            "UPDATE entries SET actor = CAST(X'ff61' AS TEXT) WHERE seq = {seq}"
        ))
        .await
        .expect("tamper");
    }
    let (seq, reason) = first_break(&ledger).await;
    assert_eq!(seq, 3);
    assert!(
        reason.starts_with("entry 3 was edited (it is unreadable: "),
        "{reason}"
    );
}
