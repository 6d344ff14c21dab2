//! `kubechat audit …` end to end through the real binary, on a SQLite ledger with a
//! checkpoint key: verify, export filters, show, checkpoint kept outside, archive, and the
//! messages for bad input.

use std::path::Path;
use std::process::{Command, Output};

use kubechat::ledger::{EntryKind, Ledger, NewEntry};
use serde_json::json;

/// RFC 8032 test vector 1's public key: a valid key, but not the one that signs here.
const RFC8032_PUBLIC: &str = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
const SEED: &str = "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb";

fn kubechat(config: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kubechat"))
        .arg("--config")
        .arg(config)
        .args(args)
        .env_remove("KUBECHAT_LEDGER_URL")
        .output()
        .expect("run kubechat")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn entry(time: &str, kind: EntryKind, plan: Option<&str>) -> NewEntry {
    NewEntry {
        time: time.parse().expect("time"),
        actor: "slack:alice".into(),
        cluster: Some("prod".into()),
        namespace: Some("shop".into()),
        plan_id: plan.map(Into::into),
        kind,
        payload: json!({"why": "test"}),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_commands_verify_export_show_checkpoint_and_archive() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("ledger.db");
    let key = dir.path().join("checkpoint.key");
    std::fs::write(&key, format!("{SEED}\n")).expect("key");
    let config = dir.path().join("kubechat.toml");
    std::fs::write(
        &config,
        format!(
            "[ledger]\nurl = \"sqlite://{}\"\n[ledger.checkpoint]\nsigning_key = {{ file = {:?} }}\nevery_entries = 1000\n",
            db.display(),
            key.display().to_string()
        ),
    )
    .expect("config");
    {
        let ledger = Ledger::open(&format!("sqlite://{}", db.display()))
            .await
            .expect("open");
        for (t, kind, plan) in [
            ("2025-01-01T00:00:00Z", EntryKind::Message, None),
            ("2025-01-01T00:00:01Z", EntryKind::Planned, Some("p1")),
            ("2025-01-01T00:00:02Z", EntryKind::Previewed, Some("p1")),
            ("2025-01-01T00:00:03Z", EntryKind::Aborted, Some("p1")),
            ("2025-06-01T00:00:00Z", EntryKind::Message, None),
        ] {
            ledger.append(entry(t, kind, plan)).await.expect("append");
        }
    }
    let o = kubechat(&config, &["audit", "verify"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("ledger OK: 5 entries"), "{}", text(&o));
    assert!(text(&o).contains("signatures checked"), "{}", text(&o));

    let o = kubechat(
        &config,
        &[
            "audit",
            "export",
            "--format",
            "csv",
            "--kind",
            "planned",
            "--since",
            "2025-01-01",
        ],
    );
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(out.lines().count(), 2, "header + 1 row: {out}");
    assert!(
        out.lines().nth(1).is_some_and(|l| l.starts_with("2,")),
        "{out}"
    );
    let o = kubechat(&config, &["audit", "export", "--kind", "approve"]);
    assert!(!o.status.success());
    assert!(
        text(&o).contains("--kind \"approve\" is not an entry kind"),
        "{}",
        text(&o)
    );
    let o = kubechat(&config, &["audit", "export", "--since", "yesterday"]);
    assert!(
        text(&o).contains("is not a time: use 2025-03-01"),
        "{}",
        text(&o)
    );

    let o = kubechat(&config, &["audit", "show", "p1"]);
    let story = String::from_utf8_lossy(&o.stdout);
    let kinds: Vec<&str> = story
        .lines()
        .filter(|l| l.starts_with('#'))
        .map(|l| l.split_whitespace().nth(2).unwrap_or(""))
        .collect();
    assert_eq!(kinds, ["planned", "previewed", "aborted"], "{story}");
    let o = kubechat(&config, &["audit", "show", "nope"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("no ledger entries for plan \"nope\""));

    let kept = dir.path().join("kept.json");
    let o = kubechat(
        &config,
        &["audit", "checkpoint", "--out", kept.to_str().expect("path")],
    );
    assert!(o.status.success(), "{}", text(&o));
    let o = kubechat(
        &config,
        &[
            "audit",
            "verify",
            "--checkpoint",
            kept.to_str().expect("path"),
        ],
    );
    assert!(o.status.success(), "{}", text(&o));

    let archive = dir.path().join("2025-h1.jsonl");
    let o = kubechat(
        &config,
        &[
            "audit",
            "archive",
            "--before",
            "2025-02-01",
            "--out",
            archive.to_str().expect("path"),
        ],
    );
    assert!(text(&o).contains("archived entries 1..=4"), "{}", text(&o));
    let o = kubechat(
        &config,
        &["audit", "verify", "--file", archive.to_str().expect("path")],
    );
    assert!(text(&o).contains("ledger OK: 4 entries"), "{}", text(&o));
    let o = kubechat(&config, &["audit", "verify"]);
    assert!(o.status.success(), "{}", text(&o));
    // The kept checkpoint's head (entry 5) is still in the ledger after the archive.
    let o = kubechat(
        &config,
        &[
            "audit",
            "verify",
            "--checkpoint",
            kept.to_str().expect("path"),
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let o = kubechat(
        &config,
        &["audit", "verify", "--public-key", RFC8032_PUBLIC],
    );
    assert_eq!(o.status.code(), Some(2), "another key: {}", text(&o));
    assert!(
        text(&o).contains("is a bad checkpoint: it is signed with key"),
        "{}",
        text(&o)
    );
    let o = kubechat(
        &config,
        &[
            "audit",
            "archive",
            "--before",
            "2025-02-01",
            "--out",
            archive.to_str().expect("path"),
        ],
    );
    assert!(text(&o).contains("it must not exist yet"), "{}", text(&o));
}
