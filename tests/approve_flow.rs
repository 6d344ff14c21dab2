//! The spine, end to end: alice asks to scale → preview (access review + dry run as alice) →
//! bob approves → the deployment is patched as alice with bob in Impersonate-Extra → the
//! ledger tells the story and verifies. The fake API server (wiremock) asserts every request.

use jiff::Timestamp;
use kubechat::app::{App, Status};
use kubechat::clock::Clock;
use kubechat::config::Config;
use kubechat::executor::{ClusterConn, Executor};
use kubechat::ledger::{EntryKind, Ledger};
use kubechat::telemetry::Metrics;
use kubechat_chat::{Decision, Inbound, Platform, ThreadRef, Verdict};
use serde_json::{Value, json};
use wiremock::matchers::{
    body_partial_json, header, method, path, query_param, query_param_is_missing,
};
use wiremock::{Mock, MockServer, ResponseTemplate};

const DEPLOY: &str = "/apis/apps/v1/namespaces/prod/deployments/payment-api";
const PLAN_EXTRA: &str = "impersonate-extra-kubechat.io%2Fplan-id";
const APPROVERS_EXTRA: &str = "impersonate-extra-kubechat.io%2Fapprovers";

const CONFIG: &str = r#"
[[clusters]]
name = "prod-eu"
production_namespaces = ["prod"]

[[identities]]
platform = "console"
user = "alice"
kube_user = "alice@example.com"
groups = ["payments-devs"]

[[identities]]
platform = "console"
user = "bob"
kube_user = "bob@example.com"
groups = ["sre"]

[[channels]]
platform = "console"
channel = "payments"
cluster = "prod-eu"
namespace = "prod"
"#;

fn deployment(replicas: u32, rv: &str) -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "payment-api", "namespace": "prod", "resourceVersion": rv,
                     "uid": "6c1e", "generation": 4,
                     "managedFields": [{"manager": "kubectl", "operation": "Apply"}]},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "payment-api"}},
                 "template": {"metadata": {"labels": {"app": "payment-api"}},
                              "spec": {"containers": [{"name": "api", "image": "registry/pay:1.4.1"}]}}},
        "status": {"replicas": 3, "readyReplicas": 3}
    })
}

fn access_review(allowed: bool) -> Value {
    json!({"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
           "spec": {}, "status": {"allowed": allowed, "reason": if allowed { "" } else { "no RBAC policy matched" }}})
}

struct Harness {
    app: App,
    ledger: Ledger,
    server: MockServer,
    _dir: tempfile::TempDir,
}

async fn harness() -> Harness {
    let server = MockServer::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", dir.path().join("ledger.db").display());
    let ledger = Ledger::open(&url).await.expect("ledger opens");
    let kube_config = kube::Config::new(server.uri().parse().expect("uri"));
    let conn = ClusterConn::new("prod-eu", kube_config).expect("client");
    let config = Config::parse(CONFIG).expect("config");
    let start: Timestamp = "2026-11-22T10:00:00Z".parse().expect("time");
    let app = App::new(
        config,
        Executor::new(vec![conn]),
        ledger.clone(),
        Clock::starting_at(start),
        Metrics::default(),
    );
    Harness {
        app,
        ledger,
        server,
        _dir: dir,
    }
}

fn thread() -> ThreadRef {
    ThreadRef {
        platform: Platform::Console,
        channel: "payments".into(),
        thread: "t1".into(),
    }
}

fn says(user: &str, text: &str) -> Inbound {
    Inbound {
        thread: thread(),
        user: user.into(),
        text: text.into(),
        event_id: format!("ev-{user}-{text}"),
        email: None,
    }
}

fn decision(user: &str, plan_id: &str, hash: Option<String>, verdict: Verdict) -> Decision {
    Decision {
        thread: thread(),
        user: user.into(),
        plan_id: plan_id.into(),
        plan_hash: hash,
        verdict,
        event_id: format!("click-{user}-{plan_id}"),
        email: None,
    }
}

/// Every request must impersonate alice with her groups and carry the plan id.
async fn mount_alice_scale(server: &MockServer, allowed: bool) {
    let as_alice = || {
        Mock::given(header("impersonate-user", "alice@example.com"))
            .and(header("impersonate-group", "payments-devs"))
    };
    as_alice()
        .and(method("GET"))
        .and(path(DEPLOY))
        .respond_with(ResponseTemplate::new(200).set_body_json(deployment(3, "100")))
        .mount(server)
        .await;
    as_alice()
        .and(method("POST"))
        .and(path(
            "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
        ))
        .and(body_partial_json(json!({"spec": {"resourceAttributes": {
            "verb": "patch", "group": "apps", "resource": "deployments",
            "namespace": "prod", "name": "payment-api"}}})))
        .respond_with(ResponseTemplate::new(201).set_body_json(access_review(allowed)))
        .mount(server)
        .await;
    as_alice()
        .and(method("PATCH"))
        .and(path(DEPLOY))
        .and(query_param("dryRun", "All"))
        .and(query_param("fieldManager", "kubechat"))
        .and(body_partial_json(json!({"spec": {"replicas": 5}})))
        .respond_with(ResponseTemplate::new(200).set_body_json(deployment(5, "100")))
        .mount(server)
        .await;
    as_alice()
        .and(method("PATCH"))
        .and(path(DEPLOY))
        .and(query_param_is_missing("dryRun"))
        .and(query_param("fieldManager", "kubechat"))
        .and(header(APPROVERS_EXTRA, "bob@example.com"))
        .and(body_partial_json(
            json!({"spec": {"replicas": 5}, "metadata": {"resourceVersion": "100"}}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(deployment(5, "101")))
        .expect(1)
        .mount(server)
        .await;
}

async fn kinds_of(ledger: &Ledger, plan_id: &str) -> Vec<EntryKind> {
    ledger
        .plan_entries(plan_id)
        .await
        .expect("entries")
        .iter()
        .map(|e| e.kind)
        .collect()
}

#[tokio::test]
async fn alice_asks_bob_approves_deployment_scaled_as_alice_and_ledger_tells_the_story() {
    let h = harness().await;
    mount_alice_scale(&h.server, true).await;

    let preview = h
        .app
        .handle_message(&says("alice", "scale payment-api to 5"))
        .await;
    assert_eq!(preview.status, Status::Preview, "{}", preview.reply);
    assert_eq!(
        preview.kubectl,
        vec!["kubectl scale deployment/payment-api -n prod --replicas=5"]
    );
    let card = preview.card.clone().expect("preview card");
    assert!(
        card.diff.contains("-  replicas: 3") && card.diff.contains("+  replicas: 5"),
        "{}",
        card.diff
    );
    assert!(
        !card.diff.contains("managedFields"),
        "noise stripped: {}",
        card.diff
    );
    assert!(
        card.checks.iter().any(|c| c.contains("RBAC allows")),
        "{:?}",
        card.checks
    );
    assert!(
        card.checks.iter().any(|c| c.contains("replicas 3 → 5")),
        "{:?}",
        card.checks
    );
    let plan_id = preview.plan_id.clone().expect("plan id");

    // Nothing but reads and dry runs so far, all carrying the plan id.
    let requests = h.server.received_requests().await.expect("recording");
    assert_eq!(requests.len(), 3, "get, access review, dry run");
    for r in &requests {
        assert_eq!(
            r.headers.get(PLAN_EXTRA).and_then(|v| v.to_str().ok()),
            Some(plan_id.as_str())
        );
        assert!(
            r.headers.get(APPROVERS_EXTRA).is_none(),
            "no approvers before approval"
        );
    }

    let done = h
        .app
        .decide(&decision(
            "bob",
            &plan_id,
            Some(card.plan_hash.clone()),
            Verdict::Approve,
        ))
        .await;
    assert_eq!(done.status, Status::Executed, "{}", done.reply);
    assert!(done.reply.contains("Approved by bob"), "{}", done.reply);

    assert_eq!(
        kinds_of(&h.ledger, &plan_id).await,
        vec![
            EntryKind::Planned,
            EntryKind::Previewed,
            EntryKind::Approved,
            EntryKind::Executing,
            EntryKind::Executed
        ]
    );
    let report = h.ledger.verify().await.expect("verify");
    assert!(report.first_break.is_none(), "{report:?}");
}

#[tokio::test]
async fn an_unknown_user_is_refused_politely_and_the_cluster_is_never_called() {
    let h = harness().await;
    let reply = h
        .app
        .handle_message(&says("mallory", "scale payment-api to 5"))
        .await;
    assert_eq!(reply.status, Status::Denied);
    assert!(
        reply.reply.contains("don't know who you are"),
        "{}",
        reply.reply
    );
    assert!(reply.reply.contains("[[identities]]"), "{}", reply.reply);
    assert!(
        h.server
            .received_requests()
            .await
            .expect("recording")
            .is_empty()
    );
}

#[tokio::test]
async fn rbac_denial_at_preview_names_the_missing_permission_and_offers_no_approval() {
    let h = harness().await;
    mount_alice_scale(&h.server, false).await;
    let reply = h
        .app
        .handle_message(&says("alice", "scale payment-api to 5"))
        .await;
    assert_eq!(reply.status, Status::Denied, "{}", reply.reply);
    assert!(
        reply.reply.contains("may not patch deployments in prod"),
        "{}",
        reply.reply
    );
    assert!(reply.card.is_none());
    let plan_id = reply.plan_id.expect("plan id");
    assert_eq!(
        kinds_of(&h.ledger, &plan_id).await,
        vec![EntryKind::Planned, EntryKind::Denied]
    );
    h.server.reset().await;
}

#[tokio::test]
async fn a_stale_plan_hash_or_an_abort_means_nothing_runs() {
    let h = harness().await;
    mount_alice_scale(&h.server, true).await;
    let preview = h
        .app
        .handle_message(&says("alice", "scale payment-api to 5"))
        .await;
    let plan_id = preview.plan_id.clone().expect("plan id");

    let stale = h
        .app
        .decide(&decision(
            "bob",
            &plan_id,
            Some("0".repeat(64)),
            Verdict::Approve,
        ))
        .await;
    assert_eq!(stale.status, Status::Denied);
    assert!(stale.ephemeral);
    assert!(
        stale.reply.contains("changed since the preview"),
        "{}",
        stale.reply
    );

    let mut abort = decision("alice", &plan_id, None, Verdict::Abort);
    abort.event_id = "abort-1".into();
    let aborted = h.app.decide(&abort).await;
    assert_eq!(aborted.status, Status::Aborted, "{}", aborted.reply);

    let mut late = decision("bob", &plan_id, None, Verdict::Approve);
    late.event_id = "late".into();
    let late = h.app.decide(&late).await;
    assert_eq!(late.status, Status::Denied);
    assert!(late.reply.contains("aborted"), "{}", late.reply);
    // Only the three preview calls: no real PATCH happened (the mock expecting one would fail
    // on drop if it had been called… so check it was not).
    let patches = h
        .server
        .received_requests()
        .await
        .expect("recording")
        .into_iter()
        .filter(|r| r.method.as_str() == "PATCH" && !r.url.query().unwrap_or("").contains("dryRun"))
        .count();
    assert_eq!(patches, 0);
    h.server.reset().await;
}

#[tokio::test]
async fn a_retried_click_is_one_decision() {
    let h = harness().await;
    mount_alice_scale(&h.server, true).await;
    let preview = h
        .app
        .handle_message(&says("alice", "scale payment-api to 5"))
        .await;
    let plan_id = preview.plan_id.clone().expect("plan id");
    let click = decision("bob", &plan_id, None, Verdict::Approve);
    assert_eq!(h.app.decide(&click).await.status, Status::Executed);
    let again = h.app.decide(&click).await;
    assert_eq!(again.status, Status::Denied);
    assert!(again.reply.contains("already recorded"), "{}", again.reply);
}

#[tokio::test]
async fn a_preview_expires_and_cannot_be_approved_afterwards() {
    let h = harness().await;
    mount_alice_scale(&h.server, true).await;
    let preview = h
        .app
        .handle_message(&says("alice", "scale payment-api to 5"))
        .await;
    let plan_id = preview.plan_id.clone().expect("plan id");
    assert!(h.app.expire(&plan_id).await.is_none(), "not due yet");

    // Fifteen minutes pass: a second app over the same ledger whose clock reads 16 minutes
    // later (as after a restart), so expiry is decided from the ledger alone.
    let later: Timestamp = "2026-11-22T10:16:00Z".parse().expect("time");
    let kube_config = kube::Config::new(h.server.uri().parse().expect("uri"));
    let app = App::new(
        Config::parse(CONFIG).expect("config"),
        Executor::new(vec![
            ClusterConn::new("prod-eu", kube_config).expect("client"),
        ]),
        h.ledger.clone(),
        Clock::starting_at(later),
        Metrics::default(),
    );
    assert_eq!(
        app.pending().await.len(),
        1,
        "the pending preview survives a restart"
    );
    let (_, expired) = app.expire(&plan_id).await.expect("expired");
    assert_eq!(expired.status, Status::Expired);
    let late = app
        .decide(&decision("bob", &plan_id, None, Verdict::Approve))
        .await;
    assert_eq!(late.status, Status::Denied);
    assert!(late.reply.contains("expired"), "{}", late.reply);
    assert!(app.pending().await.is_empty());
    h.server.reset().await;
}
