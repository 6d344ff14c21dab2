//! Signed checkpoints on SQLite and PostgreSQL: written every N entries and every T seconds
//! inside the writer's transaction; `verify` checks what each commits to and its Ed25519
//! signature, and a checkpoint kept outside the database reveals truncation. An attacker
//! with database write access (but not the signing key) who rewrites history and recomputes
//! every hash is caught.

#[path = "support/ledger_db.rs"]
mod ledger_db;

use std::time::Duration;

use kubechat::ledger::chain::{self, Walker};
use kubechat::ledger::checkpoint::{Signer, Verifier};
use kubechat::ledger::{
    CheckpointPolicy, Entry, EntryKind, ExportFormat, Filter, Ledger, LedgerError, LedgerOptions,
    NewEntry,
};
use ledger_db::{Db, Raw};
use serde_json::json;

const SEED: &str = "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb";

fn signer() -> Signer {
    Signer::from_hex(SEED).expect("key")
}

fn verifier() -> Verifier {
    signer().verifier()
}

async fn open(db: &Db, every_entries: u64, every: Duration) -> Ledger {
    let options = LedgerOptions {
        checkpoints: Some(CheckpointPolicy {
            signer: signer(),
            every_entries,
            every,
        }),
    };
    Ledger::open_with(&db.url, options).await.expect("open")
}

fn message(n: usize) -> NewEntry {
    NewEntry {
        time: "2025-03-04T05:06:07Z".parse().expect("time"),
        actor: format!("slack:u{n}"),
        cluster: None,
        namespace: None,
        plan_id: None,
        kind: EntryKind::Message,
        payload: json!({"n": n}),
    }
}

async fn all(ledger: &Ledger) -> Vec<Entry> {
    let mut out = Vec::new();
    ledger
        .export(ExportFormat::Jsonl, &Filter::default(), &mut out)
        .await
        .expect("export");
    String::from_utf8(out)
        .expect("utf-8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("entry"))
        .collect()
}

/// Rewrites entry `seq` with `edit` and recomputes every hash from there on, as an attacker
/// who knows the hash scheme (but not the signing key) would.
async fn rewrite_and_rechain(
    ledger: &Ledger,
    raw: &mut Raw,
    seq: i64,
    edit: impl Fn(&mut NewEntry),
) {
    let entries = all(ledger).await;
    let from = usize::try_from(seq - 1).expect("seq");
    let mut tail: Vec<NewEntry> = entries[from..]
        .iter()
        .map(|e| NewEntry {
            time: e.time,
            actor: e.actor.clone(),
            cluster: e.cluster.clone(),
            namespace: e.namespace.clone(),
            plan_id: e.plan_id.clone(),
            kind: e.kind,
            payload: e.payload.clone(),
        })
        .collect();
    edit(&mut tail[0]);
    let prev = if from == 0 {
        chain::GENESIS_HASH.to_owned()
    } else {
        entries[from - 1].hash.clone()
    };
    for s in chain::seal(seq - 1, &prev, &tail).expect("seal") {
        let e = &tail[usize::try_from(s.seq - seq).expect("index")];
        raw.exec_with(
            &format!(
                "UPDATE entries SET actor = $1, payload = $2, prev_hash = $3, hash = $4 WHERE seq = {}",
                s.seq
            ),
            &[&e.actor, &s.payload, &s.prev_hash, &s.hash],
        )
        .await
        .expect("rewrite");
    }
}

on_both_backends! {
    async fn checkpoints_are_written_every_n_entries_and_verify(db: Db) {
        let ledger = open(&db, 10, Duration::from_secs(3600)).await;
        for i in 0..25 {
            ledger.append(message(i)).await.expect("append");
        }
        let entries = all(&ledger).await;
        let at: Vec<i64> = entries.iter().filter(|e| e.kind == EntryKind::Checkpoint).map(|e| e.seq).collect();
        assert_eq!(at, [11, 22], "after entries 10 and 21");
        assert_eq!(entries[10].payload["tree_size"], json!(10));
        assert_eq!(entries[10].payload["head_hash"], json!(entries[9].hash));
        let report = ledger.verify_with(Walker::new().with_verifier(verifier())).await.expect("verify");
        assert_eq!(report.first_break, None);
        assert_eq!((report.entries, report.checkpoints, report.last_checkpoint), (27, 2, Some(21)));
        assert!(report.signatures_checked);
    }
}

on_both_backends! {
    async fn checkpoints_are_written_after_an_interval_when_something_is_new(db: Db) {
        let ledger = open(&db, 1000, Duration::from_millis(300)).await;
        for i in 0..3 {
            ledger.append(message(i)).await.expect("append");
        }
        tokio::time::sleep(Duration::from_millis(900)).await;
        let entries = all(&ledger).await;
        let kinds: Vec<EntryKind> = entries.iter().map(|e| e.kind).collect();
        assert_eq!(kinds.iter().filter(|k| **k == EntryKind::Checkpoint).count(), 1, "{kinds:?}");
        assert_eq!(kinds[3], EntryKind::Checkpoint);
    }
}

on_both_backends! {
    async fn a_rewritten_and_rechained_history_is_caught_by_the_next_checkpoint(db: Db) {
        let ledger = open(&db, 10, Duration::from_secs(3600)).await;
        for i in 0..15 {
            ledger.append(message(i)).await.expect("append");
        }
        let mut raw = db.attacker().await;
        rewrite_and_rechain(&ledger, &mut raw, 5, |e| e.actor = "slack:mallory".into()).await;
        let b = ledger.verify().await.expect("verify").first_break.expect("caught");
        assert_eq!(b.seq, 11);
        assert!(b.reason.starts_with("entry 11 is a bad checkpoint: it claims 10 entries ending in"), "{}", b.reason);

        // The attacker fixes the checkpoint's claim too, but cannot sign it.
        let entries = all(&ledger).await;
        let fixed = entries[9].hash.clone();
        rewrite_and_rechain(&ledger, &mut raw, 11, |e| e.payload["head_hash"] = json!(fixed)).await;
        assert_eq!(ledger.verify().await.expect("verify").first_break, None, "only the key can tell");
        let b = ledger
            .verify_with(Walker::new().with_verifier(verifier()))
            .await
            .expect("verify")
            .first_break
            .expect("caught");
        assert_eq!((b.seq, b.reason.as_str()), (11, "entry 11 is a bad checkpoint: its signature is not valid"));
    }
}

on_both_backends! {
    async fn a_checkpoint_kept_outside_reveals_truncation(db: Db) {
        let ledger = open(&db, 1000, Duration::from_secs(3600)).await;
        for i in 0..8 {
            ledger.append(message(i)).await.expect("append");
        }
        let cp = ledger.checkpoint_now().await.expect("checkpoint");
        assert_eq!((cp.seq, cp.kind), (9, EntryKind::Checkpoint));
        let (size, head) = (cp.payload["tree_size"].as_i64().expect("size"), cp.prev_hash.clone());
        ledger.append(message(9)).await.expect("append");
        let kept = || Walker::new().with_verifier(verifier()).expecting(size, &head);
        assert_eq!(ledger.verify_with(kept()).await.expect("verify").first_break, None);
        db.attacker().await.exec("DELETE FROM entries WHERE seq >= 7").await.expect("truncate");
        assert_eq!(ledger.verify().await.expect("verify").first_break, None, "the chain alone cannot tell");
        let b = ledger.verify_with(kept()).await.expect("verify").first_break.expect("caught");
        assert_eq!(b.seq, 7);
        assert_eq!(
            b.reason,
            "the ledger ends at entry 6, but a checkpoint kept outside covers 8 entries: entries 7 to 8 were removed (truncated)"
        );
    }
}

#[tokio::test]
async fn checkpoint_now_needs_a_signing_key() {
    let db = Db::sqlite();
    let ledger = Ledger::open(&db.url).await.expect("open");
    let err = ledger.checkpoint_now().await.expect_err("no key");
    assert!(matches!(err, LedgerError::NoSigningKey), "{err:?}");
    assert!(
        err.to_string().contains("[ledger.checkpoint] signing_key"),
        "{err}"
    );
}
