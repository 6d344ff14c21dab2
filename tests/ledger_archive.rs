//! Retention on SQLite and PostgreSQL: archiving exports the oldest entries to a file that
//! verifies on its own, records an `archived` entry, checkpoints, and removes exactly those
//! entries; verify then passes and still catches tampering in what remains.

#[path = "support/ledger_db.rs"]
mod ledger_db;

use std::time::Duration;

use kubechat::ledger::chain::Walker;
use kubechat::ledger::checkpoint::Signer;
use kubechat::ledger::{
    Archived, CheckpointPolicy, EntryKind, Ledger, LedgerOptions, NewEntry, verify_export,
};
use ledger_db::Db;
use serde_json::json;

const SEED: &str = "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb";

fn at(time: &str, kind: EntryKind, plan: Option<&str>) -> NewEntry {
    NewEntry {
        time: time.parse().expect("time"),
        actor: "slack:alice".into(),
        cluster: Some("prod".into()),
        namespace: Some("shop".into()),
        plan_id: plan.map(Into::into),
        kind,
        payload: json!({"at": time}),
    }
}

async fn open(db: &Db) -> Ledger {
    let checkpoints = Some(CheckpointPolicy {
        signer: Signer::from_hex(SEED).expect("key"),
        every_entries: 1000,
        every: Duration::from_secs(3600),
    });
    Ledger::open_with(&db.url, LedgerOptions { checkpoints })
        .await
        .expect("open")
}

fn signed() -> Walker {
    Walker::new().with_verifier(Signer::from_hex(SEED).expect("key").verifier())
}

on_both_backends! {
    async fn archiving_moves_old_entries_to_a_file_and_verify_still_holds(db: Db) {
        let ledger = open(&db).await;
        for i in 0..10 {
            ledger.append(at(&format!("2025-01-01T00:00:{i:02}.5Z"), EntryKind::Message, None)).await.expect("append");
        }
        // An open plan from January keeps its entries (and all after) in the ledger.
        ledger.append(at("2025-01-02T00:00:00Z", EntryKind::Previewed, Some("open"))).await.expect("append");
        ledger.append(at("2025-06-01T00:00:00Z", EntryKind::Message, None)).await.expect("append");

        let mut file = Vec::new();
        let entry = ledger
            .archive("2025-03-01T00:00:00Z".parse().expect("t"), "console:ops", &mut file)
            .await
            .expect("archive")
            .expect("something archived");
        let record: Archived = serde_json::from_value(entry.payload.clone()).expect("payload");
        assert_eq!((record.from_seq, record.through_seq, record.entries), (1, 10, 10));
        assert_eq!(entry.kind, EntryKind::Archived);

        let report = verify_export(&file[..], signed()).expect("file");
        assert_eq!((report.entries, report.first_break), (10, None));
        assert_eq!(report.head_hash, record.through_hash);

        let report = ledger.verify_with(signed()).await.expect("verify");
        assert_eq!(report.first_break, None, "verify understands the archive");
        assert_eq!((report.entries, report.checkpoints), (4, 1), "2 kept + archived + checkpoint");

        // Nothing else may be deleted, and tampering with what remains is caught.
        let err = db.raw().await.exec("DELETE FROM entries WHERE seq = 11").await.expect_err("refused");
        assert!(err.to_string().contains("append-only"), "{err}");
        db.attacker().await.exec("UPDATE entries SET actor = 'mallory' WHERE seq = 12").await.expect("tamper");
        let b = ledger.verify().await.expect("verify").first_break.expect("caught");
        assert_eq!(b.seq, 12);
        // Nothing left to archive before March: the open plan holds the rest.
        let mut again = Vec::new();
        let none = ledger.archive("2025-03-01T00:00:00Z".parse().expect("t"), "console:ops", &mut again).await.expect("archive");
        assert!(none.is_none() && again.is_empty());
    }
}

on_both_backends! {
    async fn deleting_beyond_the_archive_or_the_archive_entry_is_caught(db: Db) {
        let ledger = open(&db).await;
        for i in 0..6 {
            ledger.append(at(&format!("2025-01-01T00:00:0{i}Z"), EntryKind::Message, None)).await.expect("append");
        }
        ledger.append(at("2025-06-01T00:00:00Z", EntryKind::Message, None)).await.expect("append");
        let mut file = Vec::new();
        ledger.archive("2025-02-01T00:00:00Z".parse().expect("t"), "console:ops", &mut file).await.expect("archive");
        assert_eq!(ledger.verify().await.expect("verify").first_break, None);
        db.attacker().await.exec("DELETE FROM entries WHERE seq = 7").await.expect("tamper");
        let b = ledger.verify().await.expect("verify").first_break.expect("caught");
        assert_eq!((b.seq, b.reason.as_str()), (7, "entry 7 is missing (sequence jumps from 6 to 8)"));
        db.attacker().await.exec("DELETE FROM entries WHERE seq = 8").await.expect("tamper");
        let b = ledger.verify().await.expect("verify").first_break.expect("caught");
        assert_eq!(b.seq, 1, "without the archived entry, entries 1.. are simply missing: {}", b.reason);
    }
}
