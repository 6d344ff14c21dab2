//! The world of the Matrix tests: fresh users on the test Synapse sharing a room, a fake
//! cluster (alice may read and scale payment-api), a ledger, and kubechat started the way
//! `kubechat serve` starts it.
#![allow(dead_code)]

use kubechat::app::{self, App};
use kubechat::clock::Clock;
use kubechat::config::Config;
use kubechat::executor::{ClusterConn, Executor};
use kubechat::ledger::Ledger;
use kubechat::telemetry::Metrics;
use serde_json::{Value, json};
use tokio::task::JoinHandle;
use wiremock::matchers::{
    body_partial_json, header, header_regex, method, path, query_param, query_param_is_missing,
};
use wiremock::{MockServer, ResponseTemplate};

use crate::common::{allow_all_reviews, as_alice};
use crate::people::{Homeserver, Person, relation, thread_of};

pub const DEPLOY: &str = "/apis/apps/v1/namespaces/prod/deployments/payment-api";

pub fn deployment(replicas: u32, rv: &str) -> Value {
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
pub fn table(columns: &[&str], rows: Vec<Value>) -> Value {
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
pub async fn cluster() -> MockServer {
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
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(table(&["Name", "Ready", "Status", "Restarts", "Age"], pods)),
        )
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
        .and(header(
            "impersonate-extra-kubechat.io%2Fapprovers",
            "bob@example.com",
        ))
        .and(body_partial_json(json!({"spec": {"replicas": 5}})))
        .respond_with(ResponseTemplate::new(200).set_body_json(deployment(5, "101")))
        .expect(0..=1)
        .mount(&server)
        .await;
    server
}

/// One test's world: a Synapse with fresh users, a room they share, a fake cluster, a ledger.
pub struct World {
    pub hs: Homeserver,
    pub bot: Person,
    pub alice: Person,
    pub bob: Person,
    pub mallory: Person,
    pub room: String,
    pub cluster: MockServer,
    pub ledger: Ledger,
    pub config: String,
    _dir: tempfile::TempDir,
}

impl World {
    pub async fn new() -> World {
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
    pub async fn start_bot(&self) -> JoinHandle<()> {
        self.start_bot_with(&self.config).await
    }

    /// The config with the bot logging in by password, keeping its state in `store`.
    pub fn with_password(&self, store: &std::path::Path) -> String {
        self.config.replace(
            &format!("access_token = \"{}\"", self.bot.token),
            &format!(
                "password = \"{}\"\nstore_path = \"{}\"",
                self.bot.password,
                store.display()
            ),
        )
    }

    /// [`World::start_bot`] with another config.
    pub async fn start_bot_with(&self, config: &str) -> JoinHandle<()> {
        let config = Config::parse(config).expect("config");
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
    pub async fn bot_says_in(&self, root: &str, n: usize) -> Vec<Value> {
        let bot = self.bot.user_id.clone();
        let root = root.to_string();
        self.alice
            .wait_for(
                &self.room,
                &format!("{n} bot messages in thread {root}"),
                move |events| {
                    let found: Vec<Value> = events
                        .iter()
                        .filter(|e| e["sender"] == bot.as_str() && e["type"] == "m.room.message")
                        .filter(|e| relation(e) != Some("m.replace"))
                        .filter(|e| thread_of(e) == Some(root.as_str()))
                        .cloned()
                        .collect();
                    (found.len() >= n).then_some(found)
                },
            )
            .await
    }
}

pub fn body(e: &Value) -> &str {
    e["content"]["body"].as_str().unwrap_or_default()
}
