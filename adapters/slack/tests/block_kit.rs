//! Snapshots of the Block Kit kubechat posts: a read answer, a preview, and the preview once
//! approved (executed) or aborted. Cluster text that tries to ping or link is escaped.

use jiff::Timestamp;
use kubechat_chat::{Outcome, PreviewCard, Risk};
use kubechat_slack::blocks::{self, Message};
use serde_json::{Value, json};
use slack_morphism::prelude::SlackBlock;

fn card() -> PreviewCard {
    PreviewCard {
        plan_id: "kc-7f3a9c2e10".into(),
        plan_hash: "9b0c".repeat(16),
        summary: "alice wants to scale deployment/payment-api in prod to 5 replicas".into(),
        risk: Risk::Write,
        cluster: "prod-eu".into(),
        kubectl: vec!["kubectl scale deployment/payment-api -n prod --replicas=5".into()],
        checks: vec![
            "RBAC allows alice@example.com to patch deployments in prod".into(),
            "dry run: replicas 3 → 5".into(),
            "annotation says <!channel> & <https://evil.example|click me>".into(),
        ],
        diff: "   spec:\n-  replicas: 3\n+  replicas: 5\n".into(),
        approvers: "any mapped user other than alice".into(),
        approvals_needed: 1,
        expires_at: "2026-11-22T10:15:00Z".parse::<Timestamp>().expect("time"),
    }
}

trait BlocksJson {
    fn blocks_json(&self) -> String;
}

impl BlocksJson for Message {
    fn blocks_json(&self) -> String {
        Value::Array(self.blocks.clone()).to_string()
    }
}

fn shown(m: &Message) -> Value {
    // Slack-morphism's own Block Kit model must accept what we post.
    let typed: Result<Vec<SlackBlock>, _> = serde_json::from_value(Value::Array(m.blocks.clone()));
    assert!(typed.is_ok(), "{typed:?}");
    json!({"text": m.text, "blocks": m.blocks})
}

#[test]
fn a_read_answer_keeps_columns_in_a_code_block_and_escapes_cluster_text() {
    let text = "3 pods in prod:\nNAME                 READY   STATUS    RESTARTS\npayment-api-7c9d-1   1/1     Running   0\npayment-api-7c9d-2   1/1     Running   0\nevil-<@U123>-pod     0/1     Error     7";
    let m = blocks::reply(text);
    let rendered = m.blocks_json();
    assert!(!rendered.contains("<@U123>"), "{rendered}");
    insta::assert_json_snapshot!("read_answer", shown(&m));
}

#[test]
fn a_preview_shows_every_fact_and_approve_abort_carry_plan_id_and_hash() {
    let m = blocks::preview(&card());
    let rendered = m.blocks_json();
    assert!(!rendered.contains("<!channel>") && rendered.contains("&lt;!channel&gt;"));
    insta::assert_json_snapshot!("preview", shown(&m));
}

#[test]
fn a_destructive_preview_asks_for_confirmation_on_approve() {
    let mut c = card();
    c.risk = Risk::Destructive;
    let m = blocks::preview(&c);
    let actions = m.blocks.last().expect("actions");
    assert!(actions["elements"][0].get("confirm").is_some());
    assert!(
        actions["elements"][1].get("confirm").is_none(),
        "abort is never in the way"
    );
}

#[test]
fn an_approved_preview_loses_its_buttons_and_says_who_and_how_it_ended() {
    let m = blocks::resolved(
        &card(),
        Outcome::Executed,
        "Approved by bob at 10:03 UTC; deployment/payment-api scaled to 5.",
    );
    assert!(!m.blocks_json().contains("kubechat_approve"));
    insta::assert_json_snapshot!("approved_preview", shown(&m));
}

#[test]
fn an_aborted_preview_loses_its_buttons() {
    let m = blocks::resolved(&card(), Outcome::Aborted, "Aborted by alice at 10:02 UTC.");
    insta::assert_json_snapshot!("aborted_preview", shown(&m));
}

#[test]
fn a_result_offers_undo_only_when_the_core_does() {
    let with = blocks::result("kc-1", Outcome::Executed, "Scaled.", true);
    assert!(with.blocks_json().contains("kubechat_undo"));
    let without = blocks::result("kc-1", Outcome::Failed, "The API refused: conflict.", false);
    assert!(!without.blocks_json().contains("kubechat_undo"));
    shown(&with);
}

#[test]
fn a_long_diff_is_cut_with_a_note_and_stays_within_slacks_limit() {
    let mut c = card();
    c.diff = (0..300).map(|i| format!("+  line-{i}: value\n")).collect();
    let m = blocks::preview(&c);
    let diff = m
        .blocks
        .iter()
        .find(|b| b.to_string().contains("line-0"))
        .expect("diff");
    let text = diff["text"]["text"].as_str().expect("text");
    assert!(text.contains("260 of 300 lines not shown"), "{text}");
    assert!(text.chars().count() <= 3000);
}
