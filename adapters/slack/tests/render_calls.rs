//! The core's messages become the right Web API calls: previews posted in the thread, the
//! preview updated when it settles and the result posted with Undo, refusals ephemeral, long
//! output attached as a file, and 429 Retry-After honoured.

mod support;

use std::time::Duration;

use jiff::Timestamp;
use kubechat_chat::{Outbound, Outcome, Platform, PreviewCard, Risk, ThreadRef};
use serde_json::{Value, json};
use support::*;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn thread() -> ThreadRef {
    ThreadRef {
        platform: Platform::Slack,
        channel: "C2147483705".into(),
        thread: "1700000000.000001".into(),
    }
}

pub fn card() -> PreviewCard {
    PreviewCard {
        plan_id: "kc-7f3a9c2e10".into(),
        plan_hash: "9b0c".repeat(16),
        summary: "alice wants to scale deployment/payment-api in prod to 5 replicas".into(),
        risk: Risk::Write,
        cluster: "prod-eu".into(),
        kubectl: vec!["kubectl scale deployment/payment-api -n prod --replicas=5".into()],
        checks: vec!["RBAC allows alice@example.com to patch deployments in prod".into()],
        diff: "-  replicas: 3\n+  replicas: 5\n".into(),
        approvers: "any mapped user other than alice".into(),
        approvals_needed: 1,
        expires_at: "2026-11-22T10:15:00Z".parse::<Timestamp>().expect("time"),
    }
}

/// Waits until the fake has seen `n` calls of `api_method`.
async fn wait_for(server: &MockServer, api_method: &str, n: usize) -> Vec<Value> {
    for _ in 0..100 {
        let got = calls(server, api_method).await;
        if got.len() >= n {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{api_method} was not called {n} times");
}

#[tokio::test]
async fn a_preview_is_posted_in_the_thread_then_updated_and_answered_with_undo() {
    let h = harness(false).await;
    let out = h.core.outbound.clone();
    out.send(Outbound::Preview {
        thread: thread(),
        card: card(),
    })
    .await
    .expect("send");
    let posted = wait_for(&h.slack, "chat.postMessage", 1).await;
    assert_eq!(posted[0]["thread_ts"], "1700000000.000001");
    let actions = posted[0]["blocks"]
        .as_array()
        .expect("blocks")
        .last()
        .expect("last")
        .clone();
    assert_eq!(actions["type"], "actions");
    assert_eq!(
        actions["elements"][0]["value"],
        format!("kc-7f3a9c2e10 {}", "9b0c".repeat(16))
    );

    out.send(Outbound::Resolve {
        thread: thread(),
        plan_id: "kc-7f3a9c2e10".into(),
        outcome: Outcome::Executed,
        text: "Approved by bob; deployment/payment-api scaled to 5.".into(),
        undoable: true,
    })
    .await
    .expect("send");
    let updated = wait_for(&h.slack, "chat.update", 1).await;
    assert_eq!(
        updated[0]["ts"], "1700000000.000100",
        "the preview message itself"
    );
    let blocks = updated[0]["blocks"].to_string();
    assert!(
        !blocks.contains("kubechat_approve"),
        "no buttons once settled"
    );
    assert!(blocks.contains("Approved by bob"), "{blocks}");
    let posted = wait_for(&h.slack, "chat.postMessage", 2).await;
    let result = posted[1]["blocks"].to_string();
    assert!(result.contains("kubechat_undo"), "{result}");
    assert_eq!(posted[1]["thread_ts"], "1700000000.000001");
}

#[tokio::test]
async fn a_refusal_to_an_approver_is_ephemeral() {
    let h = harness(false).await;
    h.core
        .outbound
        .send(Outbound::Ephemeral {
            thread: thread(),
            user: "UALICE".into(),
            text: "You asked for this change; another person must approve it.".into(),
        })
        .await
        .expect("send");
    let sent = wait_for(&h.slack, "chat.postEphemeral", 1).await;
    assert_eq!(sent[0]["user"], "UALICE");
    assert_eq!(sent[0]["thread_ts"], "1700000000.000001");
    assert!(calls(&h.slack, "chat.postMessage").await.is_empty());
}

#[tokio::test]
async fn a_rate_limited_post_waits_for_retry_after_and_succeeds() {
    let h = harness(false).await;
    h.slack.reset().await;
    Mock::given(method("POST"))
        .and(path("/api/chat.postMessage"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("retry-after", "1")
                .set_body_json(json!({"ok": false, "error": "ratelimited"})),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&h.slack)
        .await;
    mount_ok(&h.slack, "chat.postMessage", "1700000000.000100").await;
    let started = std::time::Instant::now();
    h.core
        .outbound
        .send(Outbound::Reply {
            thread: thread(),
            text: "3 pods are running.".into(),
        })
        .await
        .expect("send");
    let posted = wait_for(&h.slack, "chat.postMessage", 2).await;
    assert_eq!(posted[0], posted[1], "the same message, retried");
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "waited for Retry-After"
    );
}

#[tokio::test]
async fn long_output_is_cut_with_counts_and_attached_as_a_file() {
    let h = harness(false).await;
    let upload = format!("{}/upload/F123", h.slack.uri());
    Mock::given(method("GET"))
        .and(path("/api/files.getUploadURLExternal"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "ok": true, "upload_url": upload, "file_id": "F123"})))
        .mount(&h.slack)
        .await;
    Mock::given(method("POST"))
        .and(path("/upload/F123"))
        // What Slack's upload URL answers (plain text, not the JSON envelope).
        .respond_with(ResponseTemplate::new(200).set_body_raw("OK - 21021", "text/plain"))
        .expect(1)
        .mount(&h.slack)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/files.completeUploadExternal"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"ok": true, "files": []})))
        .mount(&h.slack)
        .await;
    let logs: String = (1..=500)
        .map(|i| format!("2026-11-22T10:00:{i:03} request served <@U1>\n"))
        .collect();
    h.core
        .outbound
        .send(Outbound::Reply {
            thread: thread(),
            text: format!("Logs of payment-api:\n{logs}"),
        })
        .await
        .expect("send");
    let posted = wait_for(&h.slack, "chat.postMessage", 1).await;
    let shown = posted[0]["blocks"][1]["text"]["text"]
        .as_str()
        .expect("code block");
    assert!(shown.contains("460 of 500 lines not shown"), "{shown}");
    assert!(
        shown.contains("&lt;@U1&gt;") && !shown.contains("<@U1>"),
        "escaped: {shown}"
    );
    let done = wait_for(&h.slack, "files.completeUploadExternal", 1).await;
    assert_eq!(done[0]["channel_id"], "C2147483705");
    assert_eq!(done[0]["thread_ts"], "1700000000.000001");
    assert_eq!(done[0]["files"][0]["id"], "F123");
}
