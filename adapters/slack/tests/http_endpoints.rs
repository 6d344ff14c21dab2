//! The `/slack/*` endpoints: signed payloads from Slack's documentation are acknowledged at
//! once and reach the core as neutral events; forged, stale and replayed requests are refused
//! and counted; retries and duplicates become one event.

mod support;

use std::time::Duration;

use axum::http::StatusCode;
use kubechat_chat::{AdapterEvent, Verdict};
use support::*;
use tower::ServiceExt;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, ResponseTemplate};

async fn next(h: &mut Harness) -> AdapterEvent {
    tokio::time::timeout(Duration::from_secs(5), h.events.recv())
        .await
        .expect("an event within 5 s")
        .expect("channel open")
}

async fn nothing_more(h: &mut Harness) {
    let more = tokio::time::timeout(Duration::from_millis(300), h.events.recv()).await;
    assert!(more.is_err(), "unexpected event: {more:?}");
}

#[tokio::test]
async fn a_slash_command_is_acked_then_gets_its_own_thread_and_reaches_the_core() {
    let mut h = harness(false).await;
    let body = fixture("slash_command.txt");
    let res = h
        .router
        .clone()
        .oneshot(form_request("/slack/commands", &body))
        .await
        .expect("response");
    assert_eq!(res.status(), StatusCode::OK);
    let AdapterEvent::Message(m) = next(&mut h).await else {
        panic!("a message")
    };
    assert_eq!(m.text, "scale payment-api to 5");
    assert_eq!(m.user, "U2147483697");
    assert_eq!(m.thread.channel, "C2147483705");
    assert_eq!(
        m.thread.thread, "1700000000.000100",
        "the posted root is the thread"
    );
    assert_eq!(m.email, None, "email mapping is off");
    let roots = calls(&h.slack, "chat.postMessage").await;
    assert_eq!(roots.len(), 1);
    assert_eq!(roots[0]["channel"], "C2147483705");
    assert!(
        roots[0].get("thread_ts").is_none(),
        "the root starts a thread"
    );
    let text = roots[0]["blocks"][0]["text"]["text"]
        .as_str()
        .expect("text");
    assert_eq!(text, "<@U2147483697> asked: `scale payment-api to 5`");
}

#[tokio::test]
async fn mentions_and_direct_messages_keep_their_thread_and_lose_the_mention() {
    let mut h = harness(false).await;
    let res = h
        .router
        .clone()
        .oneshot(json_request("/slack/events", &fixture("app_mention.json")))
        .await
        .expect("response");
    assert_eq!(res.status(), StatusCode::OK);
    let AdapterEvent::Message(m) = next(&mut h).await else {
        panic!("a message")
    };
    assert_eq!(m.text, "get pods");
    assert_eq!(m.thread.thread, "1515449483.000108");
    assert_eq!(m.event_id, "Ev0MDYHUEL");

    let dm = fixture("message_im.json");
    h.router
        .clone()
        .oneshot(json_request("/slack/events", &dm))
        .await
        .expect("response");
    let AdapterEvent::Message(m) = next(&mut h).await else {
        panic!("a message")
    };
    assert_eq!(
        (m.thread.channel.as_str(), m.text.as_str()),
        ("D024BE91L", "scale payment-api to 5")
    );

    // A follow-up in the thread keeps the thread, so the core keeps its context.
    let follow_up = dm
        .replace(
            "\"ts\": \"1355517523.000005\"",
            "\"ts\": \"1355517600.000001\", \"thread_ts\": \"1355517523.000005\"",
        )
        .replace("Ev0PV52K21", "Ev0PV52K22");
    h.router
        .clone()
        .oneshot(json_request("/slack/events", &follow_up))
        .await
        .expect("response");
    let AdapterEvent::Message(m) = next(&mut h).await else {
        panic!("a message")
    };
    assert_eq!(m.thread.thread, "1355517523.000005");
}

#[tokio::test]
async fn the_url_verification_challenge_is_echoed() {
    let h = harness(false).await;
    let res = h
        .router
        .clone()
        .oneshot(json_request(
            "/slack/events",
            &fixture("url_verification.json"),
        ))
        .await
        .expect("response");
    assert_eq!(res.status(), StatusCode::OK);
    let body = axum::body::to_bytes(res.into_body(), 1024)
        .await
        .expect("body");
    assert_eq!(
        &body[..],
        b"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"
    );
}

#[tokio::test]
async fn wrong_secret_stale_and_replayed_requests_are_refused_and_counted() {
    let mut h = harness(false).await;
    let body = fixture("app_mention.json");
    let forged = signed(
        "/slack/events",
        &body,
        now(),
        "not-our-secret",
        "application/json",
    );
    let stale = signed(
        "/slack/events",
        &body,
        now() - 6 * 60,
        SECRET,
        "application/json",
    );
    for req in [forged, stale] {
        let res = h.router.clone().oneshot(req).await.expect("response");
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    let ts = now();
    let first = signed("/slack/events", &body, ts, SECRET, "application/json");
    let replay = signed("/slack/events", &body, ts, SECRET, "application/json");
    assert_eq!(
        h.router.clone().oneshot(first).await.expect("r").status(),
        StatusCode::OK
    );
    next(&mut h).await;
    let res = h.router.clone().oneshot(replay).await.expect("response");
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let mut unsigned = json_request("/slack/events", &body);
    unsigned.headers_mut().remove("x-slack-signature");
    let res = h.router.clone().oneshot(unsigned).await.expect("response");
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        *h.rejected.lock().expect("lock"),
        vec!["forged", "stale", "replayed", "unsigned"]
    );
    nothing_more(&mut h).await;
}

#[tokio::test]
async fn slack_retries_of_an_event_become_one_event() {
    let mut h = harness(false).await;
    let body = fixture("app_mention.json");
    for retry in 0..3 {
        // Slack re-signs each retry with a fresh timestamp.
        let mut req = signed(
            "/slack/events",
            &body,
            now() - retry,
            SECRET,
            "application/json",
        );
        if retry > 0 {
            req.headers_mut().insert(
                "x-slack-retry-num",
                retry.to_string().parse().expect("header"),
            );
        }
        let res = h.router.clone().oneshot(req).await.expect("response");
        assert_eq!(res.status(), StatusCode::OK, "retries are acknowledged too");
    }
    next(&mut h).await;
    nothing_more(&mut h).await;
}

#[tokio::test]
async fn an_approve_click_is_a_decision_bound_to_the_plan_hash_once() {
    let mut h = harness(false).await;
    let body = click(
        "UBOB",
        "kc-0123456789",
        "abcd",
        "1700000000.000300",
        "1700000000.000100",
    );
    // The same click delivered twice (re-signed, so not a replay): one decision.
    for i in 0..2 {
        let req = signed(
            "/slack/interactivity",
            &body,
            now() - i,
            SECRET,
            "application/x-www-form-urlencoded",
        );
        let res = h.router.clone().oneshot(req).await.expect("response");
        assert_eq!(res.status(), StatusCode::OK);
    }
    let AdapterEvent::Decision(d) = next(&mut h).await else {
        panic!("a decision")
    };
    assert_eq!(d.verdict, Verdict::Approve);
    assert_eq!(d.user, "UBOB");
    assert_eq!(d.plan_id, "kc-0123456789");
    assert_eq!(d.plan_hash.as_deref(), Some("abcd"));
    assert_eq!(d.thread.thread, "1700000000.000100", "the preview's thread");
    assert_eq!(d.thread.channel, "CBR2V3XEX");
    nothing_more(&mut h).await;
}

#[tokio::test]
async fn garbage_is_refused_with_400_and_foreign_buttons_are_ignored() {
    let mut h = harness(false).await;
    let res = h
        .router
        .clone()
        .oneshot(form_request("/slack/interactivity", "payload=%7Bnot-json"))
        .await
        .expect("response");
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let foreign = click("UBOB", "kc-1", "h", "1.1", "1.1").replace("kubechat_approve", "other_app");
    let res = h
        .router
        .clone()
        .oneshot(form_request("/slack/interactivity", &foreign))
        .await
        .expect("response");
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(*h.rejected.lock().expect("lock"), vec!["unparseable"]);
    nothing_more(&mut h).await;
}

#[tokio::test]
async fn the_confirmed_email_is_attached_only_when_mapping_by_email_is_enabled() {
    let mut h = harness(true).await;
    Mock::given(method("GET"))
        .and(path("/api/users.info"))
        .and(query_param("user", "W021FGA1Z"))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw(fixture("users_info.json"), "application/json"),
        )
        .expect(1)
        .mount(&h.slack)
        .await;
    h.router
        .clone()
        .oneshot(json_request("/slack/events", &fixture("app_mention.json")))
        .await
        .expect("response");
    let AdapterEvent::Message(m) = next(&mut h).await else {
        panic!("a message")
    };
    assert_eq!(
        m.email.as_deref(),
        Some("spengler@ghostbusters.example.com")
    );

    let unconfirmed = fixture("users_info.json").replace(
        "\"is_email_confirmed\": true",
        "\"is_email_confirmed\": false",
    );
    let h2 = harness(true).await;
    Mock::given(method("GET"))
        .and(path("/api/users.info"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(unconfirmed, "application/json"))
        .mount(&h2.slack)
        .await;
    let mut h2 = h2;
    h2.router
        .clone()
        .oneshot(json_request("/slack/events", &fixture("message_im.json")))
        .await
        .expect("response");
    let AdapterEvent::Message(m) = next(&mut h2).await else {
        panic!("a message")
    };
    assert_eq!(m.email, None, "an unconfirmed email is never used");
}
