//! The writes beyond a patch, end to end against a fake API server: rollout undo through
//! ReplicaSet history, create job from a cronjob, delete
//! with a propagation policy, and plain answers for admission denials and targets that moved.
//! Each test asserts what the server received: method, path, query (dryRun, fieldManager),
//! impersonation headers and bodies.

mod common;

use common::*;
use kubechat::app::Status;
use kubechat::ledger::EntryKind;
use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param};
use wiremock::{MockServer, ResponseTemplate};

const DEPLOY: &str = "/apis/apps/v1/namespaces/prod/deployments/payment-api";
const RS: &str = "/apis/apps/v1/namespaces/prod/replicasets";

fn deployment(image: &str, revision: &str, rv: &str) -> Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "payment-api", "namespace": "prod", "uid": "dep-uid", "resourceVersion": rv,
                     "annotations": {"deployment.kubernetes.io/revision": revision}},
        "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "payment-api"}},
                 "template": {"metadata": {"labels": {"app": "payment-api"}},
                              "spec": {"containers": [{"name": "api", "image": image}]}}}})
}

fn replica_set(name: &str, owner: &str, revision: &str, image: &str) -> Value {
    json!({"apiVersion": "apps/v1", "kind": "ReplicaSet",
        "metadata": {"name": name, "namespace": "prod",
                     "annotations": {"deployment.kubernetes.io/revision": revision},
                     "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "payment-api",
                                          "uid": owner, "controller": true}]},
        "spec": {"selector": {"matchLabels": {"app": "payment-api"}},
                 "template": {"metadata": {"labels": {"app": "payment-api", "pod-template-hash": name}},
                              "spec": {"containers": [{"name": "api", "image": image}]}}}})
}

async fn mount_history(server: &MockServer) {
    allow_all_reviews(server).await;
    as_alice()
        .and(method("GET"))
        .and(path(DEPLOY))
        .respond_with(ResponseTemplate::new(200).set_body_json(deployment("pay:1.4.2", "3", "100")))
        .mount(server)
        .await;
    let list = json!({"apiVersion": "apps/v1", "kind": "ReplicaSetList", "metadata": {}, "items": [
        replica_set("pa-1", "dep-uid", "1", "pay:1.4.0"),
        replica_set("pa-2", "dep-uid", "2", "pay:1.4.1"),
        replica_set("pa-3", "dep-uid", "3", "pay:1.4.2"),
        // Same labels, another owner: not part of this Deployment's history.
        replica_set("other-9", "someone-else", "9", "evil:9"),
    ]});
    as_alice()
        .and(method("GET"))
        .and(path(RS))
        .and(query_param("labelSelector", "app=payment-api"))
        .respond_with(ResponseTemplate::new(200).set_body_json(list))
        .mount(server)
        .await;
    as_alice()
        .and(method("PATCH"))
        .and(path(DEPLOY))
        .respond_with(ResponseTemplate::new(200).set_body_json(deployment("pay:1.4.1", "3", "100")))
        .mount(server)
        .await;
}

#[tokio::test]
async fn rollout_undo_copies_the_previous_replicaset_template_as_a_guarded_json_patch() {
    let h = harness().await;
    mount_history(&h.server).await;
    let preview = h
        .app
        .handle_message(&says(
            "alice",
            "kubectl rollout undo deployment/payment-api",
        ))
        .await;
    assert_eq!(preview.status, Status::Preview, "{}", preview.reply);
    let card = preview.card.clone().expect("card");
    assert!(
        card.diff.contains("-      - image: pay:1.4.2"),
        "{}",
        card.diff
    );
    assert!(
        card.diff.contains("+      - image: pay:1.4.1"),
        "{}",
        card.diff
    );
    assert!(
        card.checks
            .iter()
            .any(|c| c.contains("from revision 3 to revision 2")),
        "{:?}",
        card.checks
    );
    let reviews = reviews(&h.server).await;
    assert_eq!(reviews[0]["verb"], "patch");
    assert_eq!(reviews[0]["resource"], "deployments");
    assert_eq!(reviews[1]["verb"], "list");
    assert_eq!(reviews[1]["resource"], "replicasets");

    let done = bob_approves(&h, &preview).await;
    assert_eq!(done.status, Status::Executed, "{}", done.reply);
    assert!(done.reply.contains("back to revision 2"), "{}", done.reply);
    assert!(done.undoable, "a rollback can be rolled back");
    let patches = received(&h.server, "PATCH", DEPLOY).await;
    assert_eq!(patches.len(), 2, "one dry run, one real");
    assert!(is_dry_run(&patches[0]));
    let real = &patches[1];
    assert!(!is_dry_run(real));
    assert_eq!(query(real, "fieldManager").as_deref(), Some("kubechat"));
    assert_eq!(
        head(real, "content-type").as_deref(),
        Some("application/json-patch+json")
    );
    assert_eq!(
        head(real, APPROVERS_EXTRA).as_deref(),
        Some("bob@example.com")
    );
    let ops = body(real);
    assert_eq!(
        ops[0],
        json!({"op": "test", "path": "/metadata/resourceVersion", "value": "100"})
    );
    assert_eq!(ops[1]["path"], "/spec/template");
    assert_eq!(
        ops[1]["value"]["spec"]["containers"][0]["image"],
        "pay:1.4.1"
    );
    assert!(
        ops[1]["value"]["metadata"]["labels"]
            .get("pod-template-hash")
            .is_none()
    );
    all_as_alice(&h.server).await;
}

#[tokio::test]
async fn rollout_undo_to_a_missing_revision_lists_the_revisions_that_exist() {
    let h = harness().await;
    mount_history(&h.server).await;
    let reply = h
        .app
        .handle_message(&says(
            "alice",
            "kubectl rollout undo deployment/payment-api --to-revision=7",
        ))
        .await;
    assert_eq!(reply.status, Status::Error, "{}", reply.reply);
    assert_eq!(
        reply.reply,
        "deployment payment-api has no revision 7; its revisions are: 1, 2, 3 (current)"
    );
    assert!(received(&h.server, "PATCH", DEPLOY).await.is_empty());
}

fn pod(ns: &str, name: &str, owner: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": ns,
                     "ownerReferences": [{"apiVersion": "apps/v1", "kind": owner, "name": "o", "uid": "u", "controller": true}]},
        "spec": {"nodeName": "n1", "containers": [{"name": "c", "image": "i"}]}})
}

const CRONJOB: &str = "/apis/batch/v1/namespaces/prod/cronjobs/report";
const JOBS: &str = "/apis/batch/v1/namespaces/prod/jobs";

async fn mount_cronjob(server: &MockServer) {
    allow_all_reviews(server).await;
    let cj = json!({"apiVersion": "batch/v1", "kind": "CronJob",
        "metadata": {"name": "report", "namespace": "prod", "uid": "cj-uid", "resourceVersion": "12"},
        "spec": {"schedule": "0 3 * * *", "jobTemplate": {
            "metadata": {"labels": {"app": "report"}},
            "spec": {"template": {"spec": {"restartPolicy": "Never",
                "containers": [{"name": "r", "image": "report:2"}]}}}}}});
    as_alice()
        .and(method("GET"))
        .and(path(CRONJOB))
        .respond_with(ResponseTemplate::new(200).set_body_json(cj))
        .mount(server)
        .await;
}

#[tokio::test]
async fn create_job_from_cronjob_copies_the_template_owned_by_the_cronjob_and_marked_manual() {
    let h = harness().await;
    mount_cronjob(&h.server).await;
    let job = json!({"apiVersion": "batch/v1", "kind": "Job",
        "metadata": {"name": "report-now", "namespace": "prod"},
        "spec": {"template": {"spec": {"restartPolicy": "Never", "containers": [{"name": "r", "image": "report:2"}]}}}});
    as_alice()
        .and(method("POST"))
        .and(path(JOBS))
        .respond_with(ResponseTemplate::new(201).set_body_json(job))
        .mount(&h.server)
        .await;
    let preview = h
        .app
        .handle_message(&says(
            "alice",
            "kubectl create job report-now --from=cronjob/report",
        ))
        .await;
    assert_eq!(preview.status, Status::Preview, "{}", preview.reply);
    let card = preview.card.clone().expect("card");
    assert!(card.diff.contains("+++ created"), "{}", card.diff);
    let reviews = reviews(&h.server).await;
    assert_eq!(
        (reviews[0]["verb"].clone(), reviews[0]["resource"].clone()),
        (json!("get"), json!("cronjobs"))
    );
    assert_eq!(
        (
            reviews[1]["verb"].clone(),
            reviews[1]["resource"].clone(),
            reviews[1]["group"].clone()
        ),
        (json!("create"), json!("jobs"), json!("batch"))
    );
    let done = bob_approves(&h, &preview).await;
    assert_eq!(done.status, Status::Executed, "{}", done.reply);
    assert!(!done.undoable);
    let posts = received(&h.server, "POST", JOBS).await;
    assert_eq!(posts.len(), 2);
    assert!(is_dry_run(&posts[0]));
    let real = &posts[1];
    assert!(!is_dry_run(real));
    assert_eq!(query(real, "fieldManager").as_deref(), Some("kubechat"));
    let sent = body(real);
    assert_eq!(sent["metadata"]["name"], "report-now");
    assert_eq!(
        sent["metadata"]["annotations"]["cronjob.kubernetes.io/instantiate"],
        "manual"
    );
    assert_eq!(sent["metadata"]["ownerReferences"][0]["uid"], "cj-uid");
    assert_eq!(sent["metadata"]["ownerReferences"][0]["kind"], "CronJob");
    assert_eq!(
        sent["spec"]["template"]["spec"]["containers"][0]["image"],
        "report:2"
    );
    let id = preview.plan_id.expect("plan id");
    let no = h.app.undo(&undo("alice", &id)).await;
    assert!(no.reply.contains("cannot be un-run"), "{}", no.reply);
}

#[tokio::test]
async fn a_job_name_already_taken_is_said_plainly_at_preview() {
    let h = harness().await;
    mount_cronjob(&h.server).await;
    let taken = json!({"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": 409,
        "reason": "AlreadyExists", "message": "jobs.batch \"report-now\" already exists"});
    as_alice()
        .and(method("POST"))
        .and(path(JOBS))
        .respond_with(ResponseTemplate::new(409).set_body_json(taken))
        .mount(&h.server)
        .await;
    let reply = h
        .app
        .handle_message(&says(
            "alice",
            "kubectl create job report-now --from=cronjob/report",
        ))
        .await;
    assert_eq!(reply.status, Status::Error, "{}", reply.reply);
    assert_eq!(
        reply.reply,
        "jobs report-now in namespace prod already exists; pick another name or delete it first"
    );
}

#[tokio::test]
async fn delete_sends_background_propagation_and_the_previewed_version_as_precondition() {
    let h = harness().await;
    allow_all_reviews(&h.server).await;
    let p = "/api/v1/namespaces/prod/pods/web-1";
    let mut live = pod("prod", "web-1", "ReplicaSet");
    live["metadata"]["resourceVersion"] = json!("77");
    as_alice()
        .and(method("GET"))
        .and(path(p))
        .respond_with(ResponseTemplate::new(200).set_body_json(live.clone()))
        .mount(&h.server)
        .await;
    as_alice()
        .and(method("DELETE"))
        .and(path(p))
        .respond_with(ResponseTemplate::new(200).set_body_json(live))
        .mount(&h.server)
        .await;
    let preview = h
        .app
        .handle_message(&says("alice", "delete pod web-1"))
        .await;
    let done = bob_approves(&h, &preview).await;
    assert_eq!(done.status, Status::Executed, "{}", done.reply);
    let deletes = received(&h.server, "DELETE", p).await;
    assert_eq!(deletes.len(), 2);
    // DeleteOptions travel in the body, dryRun included.
    assert_eq!(body(&deletes[0])["dryRun"], json!(["All"]));
    assert_eq!(body(&deletes[0])["propagationPolicy"], "Background");
    assert!(body(&deletes[1]).get("dryRun").is_none());
    assert_eq!(body(&deletes[1])["propagationPolicy"], "Background");
    assert_eq!(body(&deletes[1])["preconditions"]["resourceVersion"], "77");
    assert!(!done.undoable, "its ReplicaSet re-creates it");
    let no = h
        .app
        .undo(&undo("alice", &preview.plan_id.expect("id")))
        .await;
    assert!(no.reply.contains("owned by replicaset o"), "{}", no.reply);
}

#[tokio::test]
async fn an_admission_webhook_denial_at_dry_run_is_shown_with_the_webhooks_message() {
    let h = harness().await;
    allow_all_reviews(&h.server).await;
    as_alice()
        .and(method("GET"))
        .and(path(DEPLOY))
        .respond_with(ResponseTemplate::new(200).set_body_json(deployment("pay:1", "1", "100")))
        .mount(&h.server)
        .await;
    let denied = json!({"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": 400,
        "message": "admission webhook \"replicas.policy.example.com\" denied the request: prod deployments run at most 4 replicas"});
    as_alice()
        .and(method("PATCH"))
        .and(path(DEPLOY))
        .respond_with(ResponseTemplate::new(400).set_body_json(denied))
        .mount(&h.server)
        .await;
    let reply = h
        .app
        .handle_message(&says("alice", "scale payment-api to 5"))
        .await;
    assert_eq!(reply.status, Status::Error, "{}", reply.reply);
    assert!(
        reply.reply.contains("webhook replicas.policy.example.com"),
        "{}",
        reply.reply
    );
    assert!(
        reply.reply.contains("at most 4 replicas"),
        "{}",
        reply.reply
    );
}

#[tokio::test]
async fn a_target_that_moved_after_approval_is_not_touched_and_no_intent_is_written() {
    let h = harness().await;
    allow_all_reviews(&h.server).await;
    as_alice()
        .and(method("GET"))
        .and(path(DEPLOY))
        .respond_with(ResponseTemplate::new(200).set_body_json(deployment("pay:1", "1", "100")))
        .up_to_n_times(1)
        .mount(&h.server)
        .await;
    as_alice()
        .and(method("GET"))
        .and(path(DEPLOY))
        .respond_with(ResponseTemplate::new(200).set_body_json(deployment("pay:1", "1", "101")))
        .mount(&h.server)
        .await;
    as_alice()
        .and(method("PATCH"))
        .and(path(DEPLOY))
        .respond_with(ResponseTemplate::new(200).set_body_json(deployment("pay:1", "1", "100")))
        .mount(&h.server)
        .await;
    let preview = h
        .app
        .handle_message(&says("alice", "scale payment-api to 5"))
        .await;
    let done = bob_approves(&h, &preview).await;
    assert_eq!(done.status, Status::Failed, "{}", done.reply);
    assert!(
        done.reply.contains("changed since the preview"),
        "{}",
        done.reply
    );
    let patches = received(&h.server, "PATCH", DEPLOY).await;
    assert!(patches.iter().all(is_dry_run), "only the preview's dry run");
    let kinds = kinds_of(&h.ledger, &preview.plan_id.expect("id")).await;
    assert_eq!(
        kinds,
        vec![
            EntryKind::Planned,
            EntryKind::Previewed,
            EntryKind::Approved,
            EntryKind::Failed
        ]
    );
}

#[tokio::test]
async fn delete_cascade_orphan_keeps_the_pods_and_says_so() {
    let h = harness().await;
    allow_all_reviews(&h.server).await;
    as_alice()
        .and(method("GET"))
        .and(path(DEPLOY))
        .respond_with(ResponseTemplate::new(200).set_body_json(deployment("pay:1", "1", "100")))
        .mount(&h.server)
        .await;
    as_alice()
        .and(method("DELETE"))
        .and(path(DEPLOY))
        .respond_with(ResponseTemplate::new(200).set_body_json(deployment("pay:1", "1", "100")))
        .mount(&h.server)
        .await;
    let preview = h
        .app
        .handle_message(&says(
            "alice",
            "kubectl delete deployment payment-api --cascade=orphan",
        ))
        .await;
    assert_eq!(preview.status, Status::Preview, "{}", preview.reply);
    assert_eq!(
        preview.kubectl,
        vec!["kubectl delete deployment payment-api -n prod --cascade=orphan"]
    );
    let card = preview.card.clone().expect("card");
    assert!(
        card.checks
            .iter()
            .any(|c| c.contains("kept, without an owner")),
        "{:?}",
        card.checks
    );
    let deletes = received(&h.server, "DELETE", DEPLOY).await;
    assert_eq!(body(&deletes[0])["propagationPolicy"], "Orphan");
    let bad = h
        .app
        .handle_message(&says(
            "alice",
            "kubectl delete deployment payment-api --cascade=sideways",
        ))
        .await;
    assert_eq!(bad.status, Status::Clarify, "{}", bad.reply);
    assert!(bad.reply.contains("--cascade"), "{}", bad.reply);
}
