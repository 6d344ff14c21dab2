//! The Matrix adapter against a real Synapse homeserver (`scripts/synapse.sh`, which `.ci/run`
//! starts): alice asks in a room → the answer comes in a thread; alice asks for a scale → the
//! preview appears; bob reacts ✅ → the fake cluster gets the change as alice, approved by bob,
//! and the preview is edited to say so; mallory (unmapped) reacting is refused and recorded;
//! a restarted bot does not answer old messages again.
//!
//! Needs `KUBECHAT_TEST_SYNAPSE_URL` and `KUBECHAT_TEST_SYNAPSE_SECRET`; without them every test
//! here fails saying how to start Synapse (like the PostgreSQL ledger tests, they never skip).
//! Each test registers its own users (unique names), so tests run in parallel and re-runs
//! against the same Synapse do not collide.
#![cfg(feature = "matrix")]

mod common;
#[path = "matrix/people.rs"]
mod people;
#[path = "matrix/world.rs"]
mod world;

use kubechat::ledger::EntryKind;
use people::{relation, thread_of};
use serde_json::json;
use world::{DEPLOY, World, body};

use common::{PLAN_EXTRA, head, received};

#[tokio::test]
async fn alice_asks_a_read_in_a_room_and_the_answer_comes_in_her_thread() {
    let w = World::new().await;
    let _bot = w.start_bot().await;
    let ask = w
        .alice
        .say(&w.room, "!kubechat get deployment payment-api", None)
        .await;
    let replies = w.bot_says_in(&ask, 1).await;
    let reply = &replies[0];
    assert!(body(reply).contains("payment-api   3/3"), "{reply:#}");
    assert_eq!(reply["content"]["m.relates_to"]["rel_type"], "m.thread");
    assert_eq!(reply["content"]["format"], "org.matrix.custom.html");
    assert_eq!(reply["content"]["m.mentions"], json!({}), "pings nobody");
    let gets = received(&w.cluster, "GET", DEPLOY).await;
    assert!(!gets.is_empty());
    for r in gets {
        assert_eq!(
            head(&r, "impersonate-user").as_deref(),
            Some("alice@example.com")
        );
    }
    // 150 pods do not fit one message: cut with counts, the whole list attached as a file.
    let many = w.alice.say(&w.room, "!kubechat get pods", None).await;
    let said = w.bot_says_in(&many, 2).await;
    let text = body(&said[0]);
    assert!(
        text.contains("payment-api-000") && !text.contains("payment-api-049"),
        "{text}"
    );
    assert!(text.contains("more lines ("), "{text}");
    assert_eq!(said[1]["content"]["msgtype"], "m.file", "{:#}", said[1]);
    let url = said[1]["content"]["url"].as_str().expect("mxc url");
    assert!(url.starts_with("mxc://localhost/"), "{url}");
    // Plain room talk is not for kubechat; nor is mallory, who is refused in her thread.
    let chat = w.alice.say(&w.room, "lunch at noon?", None).await;
    let stranger = w
        .mallory
        .say(&w.room, "!kubechat get deployment payment-api", None)
        .await;
    let refusal = w.bot_says_in(&stranger, 1).await;
    assert!(
        body(&refusal[0]).contains("I don't know who you are"),
        "{:#}",
        refusal[0]
    );
    assert!(body(&refusal[0]).contains(&w.mallory.user_id));
    let everything = w.alice.messages(&w.room).await;
    assert!(
        !everything
            .iter()
            .any(|e| thread_of(e) == Some(chat.as_str()) && e["sender"] == w.bot.user_id.as_str()),
        "no answer to plain room talk: {:#?}",
        everything
            .iter()
            .filter(|e| thread_of(e) == Some(chat.as_str()))
            .collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn alice_asks_a_scale_bob_reacts_and_the_preview_says_approved_by_bob() {
    let w = World::new().await;
    let _bot = w.start_bot().await;
    let ask = w
        .alice
        .say(&w.room, "!kubechat scale payment-api to 5", None)
        .await;
    let previews = w.bot_says_in(&ask, 1).await;
    let preview = &previews[0];
    let preview_id = preview["event_id"].as_str().expect("event id").to_string();
    assert!(body(preview).contains("kubectl scale deployment/payment-api -n prod --replicas=5"));
    assert!(body(preview).contains("React ✅ to approve"), "{preview:#}");
    let plan_id = preview["content"]["org.kubechat.plan"]["id"]
        .as_str()
        .expect("the preview names its plan")
        .to_string();

    // mallory (not mapped) reacts ✅: refused in the thread, recorded, nothing runs.
    w.mallory.react(&w.room, &preview_id, "✅").await;
    let said = w.bot_says_in(&ask, 2).await;
    let refusal = &said[1];
    assert!(body(refusal).contains(&w.mallory.user_id), "{refusal:#}");
    assert_eq!(
        refusal["content"]["m.mentions"]["user_ids"],
        json!([w.mallory.user_id]),
        "only mallory is addressed"
    );
    let patches = received(&w.cluster, "PATCH", DEPLOY).await;
    assert!(
        patches.iter().all(common::is_dry_run),
        "mallory's reaction ran nothing"
    );

    // bob reacts ✅: the change runs as alice, approved by bob, once.
    w.bob.react(&w.room, &preview_id, "✅").await;
    let edited = w
        .alice
        .wait_for(&w.room, "the preview edited", |events| {
            events
                .iter()
                .find(|e| {
                    relation(e) == Some("m.replace")
                        && e["content"]["m.relates_to"]["event_id"] == preview_id.as_str()
                })
                .cloned()
        })
        .await;
    let new_body = edited["content"]["m.new_content"]["body"]
        .as_str()
        .expect("new body");
    assert!(new_body.starts_with("✅ Executed"), "{new_body}");
    assert!(
        new_body.contains(&format!("Approved by {}", w.bob.user_id)),
        "{new_body}"
    );
    assert!(
        !new_body.contains("React ✅"),
        "a settled preview takes no more decisions"
    );
    let result = w.bot_says_in(&ask, 3).await;
    assert!(
        body(&result[2]).starts_with("✅ Executed"),
        "{:#}",
        result[2]
    );

    let real: Vec<_> = received(&w.cluster, "PATCH", DEPLOY)
        .await
        .into_iter()
        .filter(|r| !common::is_dry_run(r))
        .collect();
    assert_eq!(real.len(), 1, "one approval, one change");
    assert_eq!(
        head(&real[0], "impersonate-user").as_deref(),
        Some("alice@example.com")
    );
    assert_eq!(
        head(&real[0], "impersonate-group").as_deref(),
        Some("payments-devs")
    );
    assert_eq!(
        head(&real[0], PLAN_EXTRA).as_deref(),
        Some(plan_id.as_str())
    );

    let entries = w.ledger.plan_entries(&plan_id).await.expect("entries");
    let kinds: Vec<EntryKind> = entries.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        vec![
            EntryKind::Planned,
            EntryKind::Previewed,
            EntryKind::Refused,
            EntryKind::Approved,
            EntryKind::Executing,
            EntryKind::Executed
        ]
    );
    let refused = &entries[2];
    assert_eq!(refused.actor, format!("matrix:{}", w.mallory.user_id));
}

#[tokio::test]
async fn a_typed_abort_in_the_thread_aborts_the_preview() {
    let w = World::new().await;
    let _bot = w.start_bot().await;
    let ask = w
        .alice
        .say(&w.room, "!kubechat scale payment-api to 5", None)
        .await;
    let previews = w.bot_says_in(&ask, 1).await;
    let preview_id = previews[0]["event_id"].as_str().expect("id").to_string();
    // In a thread kubechat answers in, no prefix is needed.
    w.bob.say(&w.room, "abort", Some(&ask)).await;
    let edited = w
        .alice
        .wait_for(&w.room, "the preview edited", |events| {
            events
                .iter()
                .find(|e| {
                    e["content"]["m.relates_to"]["event_id"] == preview_id.as_str()
                        && relation(e) == Some("m.replace")
                })
                .cloned()
        })
        .await;
    let new_body = edited["content"]["m.new_content"]["body"]
        .as_str()
        .unwrap_or_default();
    assert!(new_body.starts_with("🚫 Aborted"), "{new_body}");
    let real = received(&w.cluster, "PATCH", DEPLOY).await;
    assert!(real.iter().all(common::is_dry_run), "nothing ran");
}

#[tokio::test]
async fn a_restarted_bot_does_not_answer_old_messages_again() {
    let w = World::new().await;
    let first = w.start_bot().await;
    let old = w
        .alice
        .say(&w.room, "!kubechat get deployment payment-api", None)
        .await;
    w.bot_says_in(&old, 1).await;
    first.abort();
    let _ = first.await;

    let _second = w.start_bot().await;
    let new = w
        .alice
        .say(&w.room, "!kubechat get deployment payment-api", None)
        .await;
    w.bot_says_in(&new, 1).await;
    // A replay of the old message would have been handled before the new one; one more round
    // trip makes sure nothing is still on its way.
    let last = w
        .alice
        .say(&w.room, "!kubechat get deployment payment-api", None)
        .await;
    w.bot_says_in(&last, 1).await;
    let everything = w.alice.messages(&w.room).await;
    let answers_to_old = everything
        .iter()
        .filter(|e| e["sender"] == w.bot.user_id.as_str() && thread_of(e) == Some(old.as_str()))
        .count();
    assert_eq!(answers_to_old, 1, "the old message was answered once");
    let _ = &w.hs;
}

#[tokio::test]
async fn in_a_dm_every_message_is_a_request_and_invites_while_running_are_accepted() {
    let w = World::new().await;
    let _bot = w.start_bot().await;
    // Invited while the bot runs (the shared room's invite came before it started).
    let dm = w.alice.create_room(&[&w.bot.user_id]).await;
    w.alice.wait_joined(&dm, &w.bot.user_id).await;
    let ask = w
        .alice
        .say(&dm, "kubectl get deployment payment-api -n prod", None)
        .await;
    let replies = w
        .alice
        .wait_for(&dm, "the answer in the DM thread", |events| {
            events
                .iter()
                .find(|e| {
                    e["sender"] == w.bot.user_id.as_str() && thread_of(e) == Some(ask.as_str())
                })
                .cloned()
        })
        .await;
    assert!(body(&replies).contains("payment-api   3/3"), "{replies:#}");
}

#[tokio::test]
async fn a_password_login_keeps_its_device_across_restarts() {
    let w = World::new().await;
    let store = tempfile::tempdir().expect("store dir");
    let config = w.with_password(store.path());
    assert!(config.contains("password = "), "{config}");
    let first = w.start_bot_with(&config).await;
    let ask = w
        .alice
        .say(&w.room, "!kubechat get deployment payment-api", None)
        .await;
    w.bot_says_in(&ask, 1).await;
    first.abort();
    let _ = first.await;
    assert!(
        store.path().join("session.json").exists(),
        "the session is kept"
    );

    let _second = w.start_bot_with(&config).await;
    let again = w
        .alice
        .say(&w.room, "!kubechat get deployment payment-api", None)
        .await;
    w.bot_says_in(&again, 1).await;
    let devices = w.bot.devices().await;
    let kubechat = devices.iter().filter(|d| d.as_str() == "kubechat").count();
    assert_eq!(kubechat, 1, "one device for two starts: {devices:?}");
}
