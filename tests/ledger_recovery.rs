//! A crash between "executing" and "executed": at the next start the intent is marked
//! interrupted, its thread is told, and the plan is never run again — on SQLite and
//! PostgreSQL alike. The fake API server refuses to see the real (non-dry-run) patch.

#[path = "support/ledger_db.rs"]
mod ledger_db;

use jiff::{SignedDuration, Timestamp};
use kubechat::app::{App, Status};
use kubechat::clock::Clock;
use kubechat::config::Config;
use kubechat::executor::{ClusterConn, Executor};
use kubechat::ledger::{EntryKind, Ledger, NewEntry};
use kubechat::telemetry::Metrics;
use kubechat_chat::{Decision, Inbound, Outbound, Outcome, Platform, ThreadRef, Verdict};
use ledger_db::Db;
use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

const DEPLOY: &str = "/apis/apps/v1/namespaces/prod/deployments/payment-api";

const CONFIG: &str = r#"
[[clusters]]
name = "prod-eu"

[[identities]]
platform = "console"
user = "alice"
kube_user = "alice@example.com"

[[identities]]
platform = "console"
user = "bob"
kube_user = "bob@example.com"

[[channels]]
platform = "console"
channel = "payments"
cluster = "prod-eu"
namespace = "prod"
"#;

fn deployment(replicas: u32) -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "payment-api", "namespace": "prod", "resourceVersion": "100", "uid": "6c1e"},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "payment-api"}},
                 "template": {"metadata": {"labels": {"app": "payment-api"}},
                              "spec": {"containers": [{"name": "api", "image": "registry/pay:1.4.1"}]}}},
        "status": {"replicas": 3, "readyReplicas": 3}
    })
}

async fn mount_preview_but_no_execution(server: &MockServer) {
    Mock::given(method("GET"))
        .and(path(DEPLOY))
        .respond_with(ResponseTemplate::new(200).set_body_json(deployment(3)))
        .mount(server)
        .await;
    Mock::given(method("POST"))
        .and(path(
            "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
        ))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
            "spec": {}, "status": {"allowed": true}})))
        .mount(server)
        .await;
    Mock::given(method("PATCH"))
        .and(path(DEPLOY))
        .and(query_param("dryRun", "All"))
        .respond_with(ResponseTemplate::new(200).set_body_json(deployment(5)))
        .mount(server)
        .await;
    Mock::given(method("PATCH"))
        .and(path(DEPLOY))
        .and(query_param_is_missing("dryRun"))
        .respond_with(ResponseTemplate::new(200).set_body_json(deployment(5)))
        .expect(0)
        .mount(server)
        .await;
}

fn app(server: &MockServer, ledger: &Ledger, now: Timestamp) -> App {
    let kube_config = kube::Config::new(server.uri().parse().expect("uri"));
    let conn = ClusterConn::new("prod-eu", kube_config).expect("client");
    App::new(
        Config::parse(CONFIG).expect("config"),
        Executor::new(vec![conn]),
        ledger.clone(),
        Clock::starting_at(now),
        Metrics::default(),
    )
}

fn thread() -> ThreadRef {
    ThreadRef {
        platform: Platform::Console,
        channel: "payments".into(),
        thread: "t1".into(),
    }
}

/// What the crashed process had written last: the intent, before calling the cluster.
fn intent(plan_id: &str, at: Timestamp) -> NewEntry {
    NewEntry {
        time: at,
        actor: "kubechat".into(),
        cluster: Some("prod-eu".into()),
        namespace: Some("prod".into()),
        plan_id: Some(plan_id.into()),
        kind: EntryKind::Executing,
        payload: json!({"impersonated": {"user": "alice@example.com"}}),
    }
}

on_both_backends! {
    async fn an_intent_without_result_is_marked_interrupted_reported_and_never_run(db: Db) {
        let server = MockServer::start().await;
        mount_preview_but_no_execution(&server).await;
        let ledger = Ledger::open(&db.url).await.expect("open");
        let start: Timestamp = "2026-11-22T10:00:00Z".parse().expect("time");
        let before = app(&server, &ledger, start);
        let preview = before
            .handle_message(&Inbound {
                thread: thread(),
                user: "alice".into(),
                text: "scale payment-api to 5".into(),
                event_id: "ev-1".into(),
                email: None,
            })
            .await;
        assert_eq!(preview.status, Status::Preview, "{}", preview.reply);
        let plan_id = preview.plan_id.clone().expect("plan id");
        ledger
            .append(intent(&plan_id, start + SignedDuration::from_secs(30)))
            .await
            .expect("intent");
        // ... and the process died here.

        // A fresh intent may still be running on another replica: left alone.
        let after = app(&server, &ledger, start + SignedDuration::from_mins(5));
        assert!(after.recover_interrupted(SignedDuration::from_mins(10)).await.is_empty());

        let after = app(&server, &ledger, start + SignedDuration::from_mins(20));
        let told = after.recover_interrupted(SignedDuration::from_mins(10)).await;
        let [Outbound::Resolve { thread: t, plan_id: id, outcome, text, undoable }] = &told[..]
        else {
            panic!("one message to the plan's thread: {told:?}")
        };
        assert_eq!((t, id, *outcome, *undoable), (&thread(), &plan_id, Outcome::Interrupted, false));
        assert!(text.contains("will not be run again"), "{text}");
        assert!(text.contains("kubectl scale deployment/payment-api"), "{text}");
        let entries = ledger.plan_entries(&plan_id).await.expect("entries");
        let last = entries.last().expect("entries");
        assert_eq!(last.kind, EntryKind::Interrupted);
        assert_eq!(last.payload["intent_seq"], json!(entries[entries.len() - 2].seq));

        // Idempotent, and the plan can no longer be approved into running.
        assert!(after.recover_interrupted(SignedDuration::ZERO).await.is_empty());
        let decided = after
            .decide(&Decision {
                thread: thread(),
                user: "bob".into(),
                plan_id: plan_id.clone(),
                plan_hash: None,
                verdict: Verdict::Approve,
                event_id: "click-1".into(),
                email: None,
            })
            .await;
        assert_ne!(decided.status, Status::Executed, "{}", decided.reply);
        assert!(decided.reply.contains("interrupted"), "{}", decided.reply);
        assert_eq!(ledger.verify().await.expect("verify").first_break, None);
        server.verify().await;
    }
}
