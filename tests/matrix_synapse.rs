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

use kubechat::app::{self, App};
use kubechat::clock::Clock;
use kubechat::config::Config;
use kubechat::executor::{ClusterConn, Executor};
use kubechat::ledger::{EntryKind, Ledger};
use kubechat::telemetry::Metrics;
use people::{Homeserver, Person, relation, thread_of};
use serde_json::{Value, json};
use tokio::task::JoinHandle;
use wiremock::matchers::{
    body_partial_json, header, header_regex, method, path, query_param, query_param_is_missing,
};
use wiremock::{MockServer, ResponseTemplate};

use common::{PLAN_EXTRA, as_alice, allow_all_reviews, head, received};

const DEPLOY: &str = "/apis/apps/v1/namespaces/prod/deployments/payment-api";

fn deployment(replicas: u32, rv: &str) -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "payment-api", "namespace": "prod", "resourceVersion": rv, "uid": "6c1e"},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "payment-api"}},
                 "template": {"metadata": {"labels": {"app": "payment-api"}},
                              "spec": {"containers": [{"name": "api", "image": "registry/pay:1.4.1"}]}}},
        "status": {"replicas": 3, "readyReplicas": 3}
    })
}

/// A `meta.k8s.io/v1 Table`, as the API server answers `kubectl get` (columns of its
/// `Accept: …;as=Table` response).
fn table(columns: &[&str], rows: Vec<Value>) -> Value {
    let defs: Vec<Value> = columns
        .iter()
        .map(|c| json!({"name": c, "type": "string", "format": "", "description": "", "priority": 0}))
        .collect();
    json!({"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": {"resourceVersion": "100"},
           "columnDefinitions": defs, "rows": rows})
}

/// The fake cluster: alice may read payment-api and the pods (150 of them; kubechat lists 50,
/// still too many for one message) and scale payment-api; the real (not dry-run) patch must carry bob as approver and
/// happens at most once.
async fn cluster() -> MockServer {
    let server = MockServer::start().await;
    allow_all_reviews(&server).await;
    let row = json!({"cells": ["payment-api", "3/3", 3, 3, "5d"],
                     "object": {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                                "metadata": {"name": "payment-api", "namespace": "prod"}}});
    as_alice()
        .and(method("GET"))
        .and(path(DEPLOY))
        .and(header_regex("accept", "as=Table"))
        .respond_with(ResponseTemplate::new(200).set_body_json(table(
            &["Name", "Ready", "Up-to-date", "Available", "Age"],
            vec![row],
        )))
        .with_priority(1)
        .mount(&server)
        .await;
    let pods = (0..150)
        .map(|i| json!({"cells": [format!("payment-api-{i:03}"), "1/1", "Running", 0, "5d"],
                        "object": {"metadata": {"name": format!("payment-api-{i:03}"), "namespace": "prod"}}}))
        .collect();
    as_alice()
        .and(method("GET"))
        .and(path("/api/v1/namespaces/prod/pods"))
        .respond_with(ResponseTemplate::new(200).set_body_json(table(
            &["Name", "Ready", "Status", "Restarts", "Age"],
            pods,
        )))
        .mount(&server)
        .await;
    as_alice()
        .and(method("GET"))
        .and(path(DEPLOY))
        .respond_with(ResponseTemplate::new(200).set_body_json(deployment(3, "100")))
        .mount(&server)
        .await;
    as_alice()
        .and(method("PATCH"))
        .and(path(DEPLOY))
        .and(query_param("dryRun", "All"))
        .respond_with(ResponseTemplate::new(200).set_body_json(deployment(5, "100")))
        .mount(&server)
        .await;
    as_alice()
        .and(method("PATCH"))
        .and(path(DEPLOY))
        .and(query_param_is_missing("dryRun"))
        .and(header("impersonate-extra-kubechat.io%2Fapprovers", "bob@example.com"))
        .and(body_partial_json(json!({"spec": {"replicas": 5}})))
        .respond_with(ResponseTemplate::new(200).set_body_json(deployment(5, "101")))
        .expect(0..=1)
        .mount(&server)
        .await;
    server
}

/// One test's world: a Synapse with fresh users, a room they share, a fake cluster, a ledger.
struct World {
    hs: Homeserver,
    bot: Person,
    alice: Person,
    bob: Person,
    mallory: Person,
    room: String,
    cluster: MockServer,
    ledger: Ledger,
    config: String,
    _dir: tempfile::TempDir,
}

impl World {
    async fn new() -> World {
        let hs = Homeserver::from_env();
        let bot = hs.register("kubechat").await;
        let alice = hs.register("alice").await;
        let bob = hs.register("bob").await;
        let mallory = hs.register("mallory").await;
        let room = alice
            .create_room(&[&bot.user_id, &bob.user_id, &mallory.user_id])
            .await;
        bob.join(&room).await;
        mallory.join(&room).await;
        let cluster = cluster().await;
        let dir = tempfile::tempdir().expect("tempdir");
        let url = format!("sqlite://{}", dir.path().join("ledger.db").display());
        let ledger = Ledger::open(&url).await.expect("ledger");
        let config = format!(
            r#"
[[clusters]]
name = "prod-eu"
production_namespaces = ["prod"]

[[identities]]
platform = "matrix"
user = "{alice}"
kube_user = "alice@example.com"
groups = ["payments-devs"]

[[identities]]
platform = "matrix"
user = "{bob}"
kube_user = "bob@example.com"
groups = ["sre"]

[[channels]]
platform = "matrix"
channel = "{room}"
cluster = "prod-eu"
namespace = "prod"

[matrix]
homeserver = "{url}"
user_id = "{bot}"
access_token = "{token}"
allowed_servers = ["localhost"]
"#,
            alice = alice.user_id,
            bob = bob.user_id,
            bot = bot.user_id,
            url = hs.url,
            token = bot.token,
        );
        World {
            hs,
            bot,
            alice,
            bob,
            mallory,
            room,
            cluster,
            ledger,
            config,
            _dir: dir,
        }
    }

    /// Starts kubechat (app loop + Matrix adapter) the way `kubechat serve` does, and waits
    /// until the bot is in the room. Aborting the handle stops the adapter.
    async fn start_bot(&self) -> JoinHandle<()> {
        let config = Config::parse(&self.config).expect("config");
        let conn = ClusterConn::new(
            "prod-eu",
            kube::Config::new(self.cluster.uri().parse().expect("uri")),
        )
        .expect("client");
        let app = App::new(
            config,
            Executor::new(vec![conn]),
            self.ledger.clone(),
            Clock::starting_at("2026-11-22T10:00:00Z".parse().expect("time")),
            Metrics::default(),
        );
        let (events_tx, events_rx) = tokio::sync::mpsc::channel(64);
        let matrix = app.config().matrix.as_ref().expect("[matrix]");
        let (core, adapter) = kubechat::serve::matrix::start(matrix, events_tx)
            .await
            .expect("the bot logs in and syncs");
        let (_stop, shutdown) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            app::run(app, events_rx, vec![core], shutdown).await;
            drop(_stop);
        });
        self.alice.wait_joined(&self.room, &self.bot.user_id).await;
        adapter
    }

    /// The bot's messages in the thread rooted at `root` (edits excluded).
    async fn bot_says_in(&self, root: &str, n: usize) -> Vec<Value> {
        let bot = self.bot.user_id.clone();
        let root = root.to_string();
        self.alice
            .wait_for(&self.room, &format!("{n} bot messages in thread {root}"), move |events| {
                let found: Vec<Value> = events
                    .iter()
                    .filter(|e| e["sender"] == bot.as_str() && e["type"] == "m.room.message")
                    .filter(|e| relation(e) != Some("m.replace"))
                    .filter(|e| thread_of(e) == Some(root.as_str()))
                    .cloned()
                    .collect();
                (found.len() >= n).then_some(found)
            })
            .await
    }
}

fn body(e: &Value) -> &str {
    e["content"]["body"].as_str().unwrap_or_default()
}

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
        assert_eq!(head(&r, "impersonate-user").as_deref(), Some("alice@example.com"));
    }
    // 150 pods do not fit one message: cut with counts, the whole list attached as a file.
    let many = w.alice.say(&w.room, "!kubechat get pods", None).await;
    let said = w.bot_says_in(&many, 2).await;
    let text = body(&said[0]);
    assert!(text.contains("payment-api-000") && !text.contains("payment-api-049"), "{text}");
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
    assert!(body(&refusal[0]).contains("I don't know who you are"), "{:#}", refusal[0]);
    assert!(body(&refusal[0]).contains(&w.mallory.user_id));
    let everything = w.alice.messages(&w.room).await;
    assert!(
        !everything.iter().any(|e| thread_of(e) == Some(chat.as_str())
            && e["sender"] == w.bot.user_id.as_str()),
        "no answer to plain room talk: {:#?}",
        everything.iter().filter(|e| thread_of(e) == Some(chat.as_str())).collect::<Vec<_>>()
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
    assert!(patches.iter().all(common::is_dry_run), "mallory's reaction ran nothing");

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
    let new_body = edited["content"]["m.new_content"]["body"].as_str().expect("new body");
    assert!(new_body.starts_with("✅ Executed"), "{new_body}");
    assert!(new_body.contains(&format!("Approved by {}", w.bob.user_id)), "{new_body}");
    assert!(!new_body.contains("React ✅"), "a settled preview takes no more decisions");
    let result = w.bot_says_in(&ask, 3).await;
    assert!(body(&result[2]).starts_with("✅ Executed"), "{:#}", result[2]);

    let real: Vec<_> = received(&w.cluster, "PATCH", DEPLOY)
        .await
        .into_iter()
        .filter(|r| !common::is_dry_run(r))
        .collect();
    assert_eq!(real.len(), 1, "one approval, one change");
    assert_eq!(head(&real[0], "impersonate-user").as_deref(), Some("alice@example.com"));
    assert_eq!(head(&real[0], "impersonate-group").as_deref(), Some("payments-devs"));
    assert_eq!(head(&real[0], PLAN_EXTRA).as_deref(), Some(plan_id.as_str()));

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
                .find(|e| e["content"]["m.relates_to"]["event_id"] == preview_id.as_str()
                    && relation(e) == Some("m.replace"))
                .cloned()
        })
        .await;
    let new_body = edited["content"]["m.new_content"]["body"].as_str().unwrap_or_default();
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
