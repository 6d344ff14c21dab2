//! Socket Mode hands us slack-morphism's typed events; they are turned back into Slack's JSON
//! and parsed by the same code as HTTP mode. These tests check that the round trip keeps
//! everything the adapter needs, for the documented payloads.

mod support;

use kubechat_slack::inbound::{ActionKind, Incoming};
use kubechat_slack::socket::{interaction_to_incoming, push_to_incoming};
use slack_morphism::prelude::{SlackInteractionEvent, SlackPushEvent};
use support::fixture;

#[test]
fn a_typed_app_mention_parses_like_the_http_payload() {
    // Slack's documented example gives event_time in microseconds; real deliveries use
    // seconds, and slack-morphism insists on seconds.
    let json = fixture("app_mention.json").replace("1515449483000108,", "1515449483,");
    let typed: SlackPushEvent = serde_json::from_str(&json).expect("slack-morphism parses it");
    let SlackPushEvent::EventCallback(callback) = typed else {
        panic!("an event callback")
    };
    let incoming = push_to_incoming(&callback).expect("parses");
    let http = kubechat_slack::inbound::parse_event(fixture("app_mention.json").as_bytes())
        .expect("parses");
    assert_eq!(incoming, http);
    assert!(matches!(incoming, Incoming::Message { ref text, .. } if text == "get pods"));
}

#[test]
fn a_typed_direct_message_parses_like_the_http_payload() {
    let typed: SlackPushEvent =
        serde_json::from_str(&fixture("message_im.json")).expect("slack-morphism parses it");
    let SlackPushEvent::EventCallback(callback) = typed else {
        panic!("an event callback")
    };
    let incoming = push_to_incoming(&callback).expect("parses");
    let Incoming::Message { channel, text, .. } = incoming else {
        panic!("a message, got {incoming:?}")
    };
    assert_eq!(
        (channel.as_str(), text.as_str()),
        ("D024BE91L", "scale payment-api to 5")
    );
}

#[test]
fn a_typed_button_click_keeps_plan_id_hash_and_thread() {
    let json = fixture("block_actions.json")
        .replace("USER_ID", "UBOB")
        .replace("PLAN_ID", "kc-0123456789")
        .replace("PLAN_HASH", "abcd")
        .replace("MESSAGE_TS", "1700000000.000300")
        .replace("THREAD_TS", "1700000000.000100");
    let typed: SlackInteractionEvent =
        serde_json::from_str(&json).expect("slack-morphism parses it");
    let incoming = interaction_to_incoming(&typed).expect("parses");
    let Incoming::Action {
        kind,
        plan_id,
        plan_hash,
        thread_ts,
        user,
        ..
    } = incoming
    else {
        panic!("an action, got {incoming:?}")
    };
    assert_eq!(kind, ActionKind::Approve);
    assert_eq!(
        (plan_id.as_str(), plan_hash.as_deref()),
        ("kc-0123456789", Some("abcd"))
    );
    assert_eq!(thread_ts.as_deref(), Some("1700000000.000100"));
    assert_eq!(user, "UBOB");
}
