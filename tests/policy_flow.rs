//! Policy and approvals through the whole app, against a fake API server (wiremock) that
//! asserts every request: the two-person delete, approver groups, CEL conditions on the
//! dry-run result, a weekend freeze with break-glass (paused tokio time, Europe/Berlin),
//! context-lock highlights, superseding, "who can approve this?", and policy reload.

use jiff::Timestamp;
use kubechat::app::{App, Status};
use kubechat::clock::Clock;
use kubechat::config::Config;
use kubechat::executor::{ClusterConn, Executor};
use kubechat::ledger::{EntryKind, Ledger};
use kubechat::policy::{self, Source};
use kubechat::telemetry::Metrics;
use kubechat_chat::{Decision, Inbound, Platform, ThreadRef, Verdict};
use serde_json::{Value, json};
use wiremock::matchers::{
    body_partial_json, header, method, path, query_param, query_param_is_missing,
};
use wiremock::{Mock, MockServer, ResponseTemplate};

const DEPLOY: &str = "/apis/apps/v1/namespaces/prod/deployments/api";
const APPROVERS_EXTRA: &str = "impersonate-extra-kubechat.io%2Fapprovers";

const CONFIG: &str = r##"
[[clusters]]
name = "prod-eu"
production_namespaces = ["prod"]

[[identities]]
platform = "console"
user = "bob"
kube_user = "bob@example.com"
groups = ["sre"]

[[identities]]
platform = "console"
user = "carol"
kube_user = "carol@example.com"
groups = ["sre"]

[[identities]]
platform = "console"
user = "dave"
kube_user = "dave@example.com"
groups = ["payments-devs"]

[[channels]]
platform = "console"
channel = "payments-prod"
name = "#payments-prod-eu"
cluster = "prod-eu"
namespace = "prod"
"##;

const POLICY: &str = r#"
[[rules]]
name = "reads"
match = { risk = ["read"] }
decision = "allow"

[[rules]]
name = "prod needs an SRE"
match = { production = true }
decision = "approve"
approvers = ["sre"]
requester_may_approve = true
conditions = [{ cel = "!has(object.spec) || object.spec.replicas >= 2", message = "replicas may not go below 2 in prod" }]

[[rules]]
name = "other writes"
decision = "approve"
requester_may_approve = true

[[windows]]
name = "weekend"
from = "Fri 16:00"
to = "Mon 08:00"
timezone = "Europe/Berlin"
effect = "deny"
reason = "no changes over the weekend"
"#;

struct Harness {
    app: App,
    ledger: Ledger,
    server: MockServer,
    _dir: tempfile::TempDir,
}

/// A Wednesday morning, outside the freeze.
const WEDNESDAY: &str = "2026-11-18T10:00:00Z";

async fn harness(at: &str, policy_text: Option<&str>) -> Harness {
    let server = MockServer::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", dir.path().join("ledger.db").display());
    let ledger = Ledger::open(&url).await.expect("ledger opens");
    let kube_config = kube::Config::new(server.uri().parse().expect("uri"));
    let conn = ClusterConn::new("prod-eu", kube_config).expect("client");
    let app = App::new(
        Config::parse(CONFIG).expect("config"),
        Executor::new(vec![conn]),
        ledger.clone(),
        Clock::starting_at(at.parse().expect("time")),
        Metrics::default(),
    );
    if let Some(text) = policy_text {
        app.set_policy(policy::parse(text, Source::File("policy.toml".into())).expect("policy"));
    }
    Harness {
        app,
        ledger,
        server,
        _dir: dir,
    }
}

fn thread(channel: &str) -> ThreadRef {
    ThreadRef {
        platform: Platform::Console,
        channel: channel.into(),
        thread: "t1".into(),
    }
}

fn says(user: &str, text: &str) -> Inbound {
    Inbound {
        thread: thread("payments-prod"),
        user: user.into(),
        text: text.into(),
        event_id: format!("ev-{user}-{text}"),
        email: None,
    }
}

fn click(user: &str, plan_id: &str, hash: Option<&str>, verdict: Verdict) -> Decision {
    Decision {
        thread: thread("payments-prod"),
        user: user.into(),
        plan_id: plan_id.into(),
        plan_hash: hash.map(str::to_string),
        verdict,
        event_id: format!("click-{user}-{plan_id}-{verdict:?}"),
        email: None,
    }
}

fn deployment(replicas: u32, rv: &str) -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "api", "namespace": "prod", "resourceVersion": rv, "uid": "u1"},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "api"}},
                 "template": {"metadata": {"labels": {"app": "api"}},
                              "spec": {"containers": [{"name": "api", "image": "registry.corp/api:1"}]}}},
        "status": {"replicas": 3, "readyReplicas": 3}
    })
}

fn allowed() -> Value {
    json!({"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
           "spec": {}, "status": {"allowed": true}})
}

/// Preview calls made as `user` (GET, access review), and the dry-run `verb`.
async fn mount_preview(server: &MockServer, user: &str, verb: &str, replicas: u32) {
    let as_user = || {
        Mock::given(header(
            "impersonate-user",
            format!("{user}@example.com").as_str(),
        ))
    };
    as_user()
        .and(method("GET"))
        .and(path(DEPLOY))
        .respond_with(ResponseTemplate::new(200).set_body_json(deployment(3, "100")))
        .mount(server)
        .await;
    as_user()
        .and(method("POST"))
        .and(path("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"))
        .and(body_partial_json(json!({"spec": {"resourceAttributes": {"verb": verb, "namespace": "prod", "name": "api"}}})))
        .respond_with(ResponseTemplate::new(201).set_body_json(allowed()))
        .mount(server)
        .await;
    // kube sends a dry-run PATCH as `?dryRun=All`, a dry-run DELETE as DeleteOptions.dryRun.
    let dry = match verb {
        "delete" => as_user()
            .and(method("DELETE"))
            .and(body_partial_json(json!({"dryRun": ["All"]}))),
        _ => as_user()
            .and(method("PATCH"))
            .and(query_param("dryRun", "All")),
    };
    dry.and(path(DEPLOY))
        .respond_with(ResponseTemplate::new(200).set_body_json(deployment(replicas, "100")))
        .expect(1..)
        .mount(server)
        .await;
}

async fn kinds(ledger: &Ledger, plan_id: &str) -> Vec<EntryKind> {
    ledger
        .plan_entries(plan_id)
        .await
        .expect("entries")
        .iter()
        .map(|e| e.kind)
        .collect()
}

#[tokio::test]
async fn bob_deletes_in_production_his_own_approval_is_refused_carol_approves_and_it_runs() {
    let h = harness(WEDNESDAY, None).await; // the built-in defaults
    mount_preview(&h.server, "bob", "delete", 3).await;
    Mock::given(method("DELETE"))
        .and(path(DEPLOY))
        .and(query_param_is_missing("dryRun"))
        .and(header("impersonate-user", "bob@example.com"))
        .and(header(APPROVERS_EXTRA, "carol@example.com"))
        .and(body_partial_json(
            json!({"preconditions": {"resourceVersion": "100"}}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(deployment(3, "100")))
        .expect(1)
        .mount(&h.server)
        .await;

    let preview = h
        .app
        .handle_message(&says("bob", "delete deployment api"))
        .await;
    assert_eq!(preview.status, Status::Preview, "{}", preview.reply);
    let card = preview.card.clone().expect("card");
    assert!(
        card.approvers.contains("other than bob"),
        "{}",
        card.approvers
    );
    assert!(
        card.approvers.contains("may approve: carol, dave"),
        "{}",
        card.approvers
    );
    let id = preview.plan_id.clone().expect("plan id");

    let own = h
        .app
        .decide(&click("bob", &id, Some(&card.plan_hash), Verdict::Approve))
        .await;
    assert_eq!(own.status, Status::Denied);
    assert!(own.ephemeral, "only bob sees the refusal");
    assert!(
        own.reply.contains("cannot approve it yourself"),
        "{}",
        own.reply
    );

    let done = h
        .app
        .decide(&click(
            "carol",
            &id,
            Some(&card.plan_hash),
            Verdict::Approve,
        ))
        .await;
    assert_eq!(done.status, Status::Executed, "{}", done.reply);
    assert_eq!(
        kinds(&h.ledger, &id).await,
        vec![
            EntryKind::Planned,
            EntryKind::Previewed,
            EntryKind::Refused,
            EntryKind::Approved,
            EntryKind::Executing,
            EntryKind::Executed
        ]
    );
}

#[tokio::test]
async fn approvers_must_be_in_the_rule_groups_and_only_they_or_the_requester_may_abort() {
    let h = harness(WEDNESDAY, Some(POLICY)).await;
    mount_preview(&h.server, "bob", "patch", 5).await;
    let preview = h.app.handle_message(&says("bob", "scale api to 5")).await;
    assert_eq!(preview.status, Status::Preview, "{}", preview.reply);
    let id = preview.plan_id.clone().expect("id");
    let card = preview.card.expect("card");
    assert!(
        card.checks
            .iter()
            .any(|c| c.contains("policy: `!has(object.spec) || object.spec.replicas >= 2` holds")),
        "{:?}",
        card.checks
    );

    let dave = h
        .app
        .decide(&click("dave", &id, None, Verdict::Approve))
        .await;
    assert_eq!(dave.status, Status::Denied);
    assert!(
        dave.reply.contains("needs approval from members of sre"),
        "{}",
        dave.reply
    );
    let abort = h
        .app
        .decide(&click("dave", &id, None, Verdict::Abort))
        .await;
    assert_eq!(abort.status, Status::Denied);
    assert!(
        abort.reply.contains("only bob (who asked)"),
        "{}",
        abort.reply
    );

    let ask = h
        .app
        .handle_message(&says("dave", "who can approve this?"))
        .await;
    assert_eq!(ask.status, Status::Answered, "{}", ask.reply);
    assert!(
        ask.reply.contains("may approve: bob, carol"),
        "{}",
        ask.reply
    );
    assert!(ask.reply.contains("prod needs an SRE"), "{}", ask.reply);

    let carol = h
        .app
        .decide(&click("carol", &id, None, Verdict::Abort))
        .await;
    assert_eq!(
        carol.status,
        Status::Aborted,
        "an approver may abort: {}",
        carol.reply
    );
    let refused = h.ledger.plan_entries(&id).await.expect("entries");
    assert_eq!(
        refused
            .iter()
            .filter(|e| e.kind == EntryKind::Refused)
            .count(),
        2,
        "every refusal recorded"
    );
}

#[tokio::test]
async fn a_cel_condition_on_the_dry_run_result_refuses_scaling_below_two_in_prod() {
    let h = harness(WEDNESDAY, Some(POLICY)).await;
    mount_preview(&h.server, "bob", "patch", 1).await;
    let reply = h.app.handle_message(&says("bob", "scale api to 1")).await;
    assert_eq!(reply.status, Status::Denied, "{}", reply.reply);
    assert_eq!(
        reply.reply,
        "replicas may not go below 2 in prod (policy rule `prod needs an SRE`)"
    );
    let id = reply.plan_id.expect("id");
    let entries = h.ledger.plan_entries(&id).await.expect("entries");
    let denied = entries.last().expect("entry");
    assert_eq!(denied.kind, EntryKind::Denied);
    assert_eq!(denied.payload["reason"], "policy condition");
    assert_eq!(denied.payload["rule"], "prod needs an SRE");
}

#[tokio::test]
async fn the_weekend_freeze_refuses_break_glass_lifts_it_and_monday_morning_ends_it() {
    // Friday 2026-11-20 17:00 in Berlin (UTC+1).
    let h = harness("2026-11-20T16:00:00Z", Some(POLICY)).await;
    mount_preview(&h.server, "bob", "patch", 5).await;
    let frozen = h.app.handle_message(&says("bob", "scale api to 5")).await;
    assert_eq!(frozen.status, Status::Denied, "{}", frozen.reply);
    assert!(
        frozen.reply.contains("frozen by change window `weekend`"),
        "{}",
        frozen.reply
    );
    assert!(
        frozen.reply.contains("break-glass: <reason>"),
        "{}",
        frozen.reply
    );

    let missing = h
        .app
        .handle_message(&says("bob", "scale api to 5 break-glass"))
        .await;
    assert_eq!(missing.status, Status::Clarify);
    assert!(
        missing.reply.contains("needs a reason"),
        "{}",
        missing.reply
    );

    let glass = h
        .app
        .handle_message(&says(
            "bob",
            "scale api to 5 break-glass: INC-42 checkout down",
        ))
        .await;
    assert_eq!(glass.status, Status::Preview, "{}", glass.reply);
    let card = glass.card.expect("card");
    assert!(
        card.summary
            .starts_with("BREAK-GLASS (INC-42 checkout down)"),
        "{}",
        card.summary
    );
    assert_eq!(card.approvals_needed, 2, "the freeze adds an approver");
    let id = glass.plan_id.expect("id");
    let planned = &h.ledger.plan_entries(&id).await.expect("entries")[0];
    assert_eq!(planned.payload["break_glass"], "INC-42 checkout down");

    // Monday 08:00 Berlin is 07:00 UTC: 2 days 15 hours later. Time is paused only to jump
    // (the SQLite pool's timeouts would fire under a paused, auto-advancing clock).
    tokio::time::pause();
    tokio::time::advance(std::time::Duration::from_secs((2 * 24 + 15) * 3600 - 1)).await;
    tokio::time::resume();
    let still = h.app.handle_message(&says("bob", "scale api to 7")).await;
    assert_eq!(
        still.status,
        Status::Denied,
        "Mon 07:59:59 is still frozen: {}",
        still.reply
    );
    tokio::time::pause();
    tokio::time::advance(std::time::Duration::from_secs(1)).await;
    tokio::time::resume();
    assert!(h.app.clock().now() >= "2026-11-23T07:00:00Z".parse::<Timestamp>().expect("t"));
    let monday = h.app.handle_message(&says("bob", "scale api to 6")).await;
    assert_eq!(monday.status, Status::Preview, "{}", monday.reply);
    assert_eq!(monday.card.expect("card").approvals_needed, 1);
}

#[tokio::test]
async fn a_new_request_for_the_same_target_supersedes_the_pending_preview() {
    let h = harness(WEDNESDAY, None).await;
    mount_preview(&h.server, "bob", "patch", 5).await;
    let first = h.app.handle_message(&says("bob", "scale api to 5")).await;
    let old = first.plan_id.clone().expect("id");
    let second = h.app.handle_message(&says("bob", "scale api to 4")).await;
    assert_eq!(second.status, Status::Preview, "{}", second.reply);
    assert_eq!(second.superseded, vec![old.clone()]);
    let new = second.plan_id.expect("id");
    assert!(
        second.reply.contains(&format!("replaces plan {old}")),
        "{}",
        second.reply
    );
    let late = h
        .app
        .decide(&click("carol", &old, None, Verdict::Approve))
        .await;
    assert_eq!(late.status, Status::Denied);
    assert!(
        late.reply.contains(&format!("was replaced by plan {new}")),
        "{}",
        late.reply
    );
    assert_eq!(
        kinds(&h.ledger, &old).await[2..],
        [EntryKind::Superseded, EntryKind::Refused],
        "closed, then the late click refused"
    );
}

#[tokio::test]
async fn a_request_naming_another_namespace_is_previewed_with_the_difference_first() {
    let h = harness(WEDNESDAY, None).await;
    Mock::given(method("GET"))
        .and(path("/apis/apps/v1/namespaces/dev/deployments/api"))
        .respond_with(ResponseTemplate::new(200).set_body_json(deployment(3, "7")))
        .mount(&h.server)
        .await;
    Mock::given(method("POST"))
        .and(path(
            "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
        ))
        .respond_with(ResponseTemplate::new(201).set_body_json(allowed()))
        .mount(&h.server)
        .await;
    Mock::given(method("PATCH"))
        .and(path("/apis/apps/v1/namespaces/dev/deployments/api"))
        .and(query_param("dryRun", "All"))
        .respond_with(ResponseTemplate::new(200).set_body_json(deployment(5, "7")))
        .mount(&h.server)
        .await;
    let reply = h
        .app
        .handle_message(&says("bob", "scale api in dev to 5"))
        .await;
    assert_eq!(reply.status, Status::Preview, "{}", reply.reply);
    let checks = reply.card.expect("card").checks;
    assert_eq!(
        checks[0],
        "⚠ context: you are in #payments-prod-eu (namespace prod); this targets namespace dev"
    );
}

#[tokio::test]
async fn explain_policy_in_chat_names_the_rule_and_the_approvers() {
    let h = harness(WEDNESDAY, Some(POLICY)).await;
    let reply = h
        .app
        .handle_message(&says("dave", "explain policy for delete deployment api"))
        .await;
    assert_eq!(reply.status, Status::Answered, "{}", reply.reply);
    assert!(
        reply
            .reply
            .contains("✓ rule `prod needs an SRE` (policy.toml:7) matches"),
        "{}",
        reply.reply
    );
    assert!(
        reply.reply.contains("may approve: bob, carol"),
        "{}",
        reply.reply
    );
    assert!(
        h.server
            .received_requests()
            .await
            .expect("recording")
            .is_empty(),
        "explain touches no cluster"
    );
}

#[tokio::test]
async fn a_bad_policy_reload_keeps_the_last_good_policy_and_is_counted() {
    let h = harness(WEDNESDAY, None).await;
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("policy.toml");
    std::fs::write(&file, POLICY).expect("write");
    h.app.use_policy_file(&file).expect("loads");
    assert_eq!(h.app.policy().rules.len(), 3);
    std::fs::write(
        &file,
        "[[rules]]\nname = \"x\"\ndecision = \"approve\"\nmatch = { verbs = [\"delte\"] }\n",
    )
    .expect("write");
    let err = h.app.reload_policy().expect_err("invalid");
    let text = err.to_string();
    assert!(
        text.contains("line 4") && text.contains("did you mean \"delete\""),
        "{text}"
    );
    assert_eq!(h.app.policy().rules.len(), 3, "the last good policy stays");
    assert!(!h.app.reload_policy().expect("unchanged"), "reported once");
    let metrics = h.app.metrics().render();
    assert!(
        metrics.contains("kubechat_policy_reloads_total{result=\"error\"} 1"),
        "{metrics}"
    );
    std::fs::write(&file, "[[rules]]\nname = \"all\"\ndecision = \"allow\"\n").expect("write");
    assert!(h.app.reload_policy().expect("valid"));
    assert_eq!(h.app.policy().rules.len(), 1);
}
