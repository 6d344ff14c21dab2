//! The homeserver restarts under a running kubechat: the adapter's sync fails, backs off and
//! resumes from its last token, and the next request is answered (the old one not again).
//!
//! Its own test binary because it restarts the shared test Synapse (`scripts/synapse.sh
//! restart`, same port and data): cargo runs test binaries one after another, so no other Matrix
//! test is talking to Synapse meanwhile. Needs the same variables as tests/matrix_synapse.rs.
#![cfg(feature = "matrix")]

mod common;
#[path = "matrix/people.rs"]
mod people;
#[path = "matrix/world.rs"]
mod world;

use people::thread_of;
use world::{World, body};

#[tokio::test]
async fn the_bot_resumes_after_the_homeserver_restarts() {
    let w = World::new().await;
    let _bot = w.start_bot().await;
    let before = w
        .alice
        .say(&w.room, "!kubechat get deployment payment-api", None)
        .await;
    w.bot_says_in(&before, 1).await;

    let status = std::process::Command::new("scripts/synapse.sh")
        .arg("restart")
        .status()
        .expect("scripts/synapse.sh runs");
    assert!(status.success(), "Synapse restarted");

    let after = w
        .alice
        .say(&w.room, "!kubechat get deployment payment-api", None)
        .await;
    let replies = w.bot_says_in(&after, 1).await;
    assert!(
        body(&replies[0]).contains("payment-api   3/3"),
        "{:#}",
        replies[0]
    );
    let everything = w.alice.messages(&w.room).await;
    let answers_before = everything
        .iter()
        .filter(|e| e["sender"] == w.bot.user_id.as_str() && thread_of(e) == Some(before.as_str()))
        .count();
    assert_eq!(answers_before, 1, "resuming does not replay");
}
