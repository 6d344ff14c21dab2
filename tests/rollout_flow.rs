//! `rollout status` and `rollout history` end to end against a fake API server, with kubectl's
//! wording: Deployments (ReplicaSets owned by the Deployment, revision and change-cause
//! annotations), StatefulSets and DaemonSets (ControllerRevisions). Every request is asserted
//! to be made as alice.

mod common;

use common::reads::serve;
use common::*;
use kubechat::app::Status;
use serde_json::{Value, json};
use wiremock::ResponseTemplate;
use wiremock::matchers::{method, path, query_param};

fn owner(kind: &str, uid: &str) -> Value {
    json!([{"apiVersion": "apps/v1", "kind": kind, "name": "x", "uid": uid, "controller": true}])
}

/// Serves the revision list (selected by the workload's labels) and asks for the history.
async fn history(h: &Harness, list_path: &str, selector: &str, list: Value, ask: &str) -> String {
    as_alice()
        .and(method("GET"))
        .and(path(list_path))
        .and(query_param("labelSelector", selector))
        .respond_with(ResponseTemplate::new(200).set_body_json(list))
        .mount(&h.server)
        .await;
    let reply = h.app.handle_message(&says("alice", ask)).await;
    assert_eq!(reply.status, Status::Answered, "{}", reply.reply);
    reply.reply
}

#[tokio::test]
async fn deployment_history_lists_its_own_replicasets_with_their_change_cause() {
    let h = harness().await;
    serve(
        &h.server,
        "GET",
        "/apis/apps/v1/namespaces/prod/deployments/api",
        json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "api", "namespace": "prod", "uid": "dep-uid",
                     "annotations": {"deployment.kubernetes.io/revision": "3"}},
        "spec": {"selector": {"matchLabels": {"app": "api"}}, "template": {}}}),
    )
    .await;
    let rs = |name: &str, uid: &str, rev: &str, cause: Option<&str>| {
        let mut ann = json!({"deployment.kubernetes.io/revision": rev});
        if let Some(c) = cause {
            ann["kubernetes.io/change-cause"] = json!(c);
        }
        json!({"apiVersion": "apps/v1", "kind": "ReplicaSet",
               "metadata": {"name": name, "namespace": "prod", "annotations": ann, "ownerReferences": owner("Deployment", uid)},
               "spec": {"selector": {"matchLabels": {"app": "api"}}, "template": {"spec": {"containers": []}}}})
    };
    let list = json!({"apiVersion": "apps/v1", "kind": "ReplicaSetList", "metadata": {}, "items": [
        rs("api-3", "dep-uid", "3", Some("kubectl set image deployment/api app=api:1.3")),
        rs("api-1", "dep-uid", "1", None),
        rs("other-9", "not-ours", "9", Some("someone else's")),
    ]});
    let reply = history(
        &h,
        "/apis/apps/v1/namespaces/prod/replicasets",
        "app=api",
        list,
        "kubectl rollout history deploy/api",
    )
    .await;
    assert_eq!(
        reply,
        "deployment.apps/api\nREVISION   CHANGE-CAUSE\n1          <none>\n3          kubectl set image deployment/api app=api:1.3\n"
    );
    all_as_alice(&h.server).await;
}

#[tokio::test]
async fn statefulset_history_comes_from_its_controller_revisions() {
    let h = harness().await;
    serve(
        &h.server,
        "GET",
        "/apis/apps/v1/namespaces/prod/statefulsets/db",
        json!({
        "apiVersion": "apps/v1", "kind": "StatefulSet",
        "metadata": {"name": "db", "namespace": "prod", "uid": "sts-uid"},
        "spec": {"serviceName": "db", "selector": {"matchLabels": {"app": "db"}}, "template": {}}}),
    )
    .await;
    let cr = |name: &str, uid: &str, rev: i64| {
        json!({"apiVersion": "apps/v1", "kind": "ControllerRevision", "revision": rev,
               "metadata": {"name": name, "namespace": "prod", "ownerReferences": owner("StatefulSet", uid)}})
    };
    let list = json!({"apiVersion": "apps/v1", "kind": "ControllerRevisionList", "metadata": {}, "items": [
        cr("db-b", "sts-uid", 2), cr("db-a", "sts-uid", 1), cr("db-old", "gone", 7)]});
    let reply = history(
        &h,
        "/apis/apps/v1/namespaces/prod/controllerrevisions",
        "app=db",
        list,
        "kubectl rollout history sts/db",
    )
    .await;
    assert_eq!(
        reply,
        "statefulset.apps/db\nREVISION   CHANGE-CAUSE\n1          <none>\n2          <none>\n"
    );
    all_as_alice(&h.server).await;
}

#[tokio::test]
async fn rollout_status_reads_statefulsets_daemonsets_and_deployments_like_kubectl() {
    let h = harness().await;
    serve(
        &h.server,
        "GET",
        "/apis/apps/v1/namespaces/prod/statefulsets/db",
        json!({
        "apiVersion": "apps/v1", "kind": "StatefulSet",
        "metadata": {"name": "db", "namespace": "prod", "generation": 2},
        "spec": {"replicas": 3, "serviceName": "db", "selector": {}, "template": {},
                 "updateStrategy": {"type": "RollingUpdate"}},
        "status": {"observedGeneration": 2, "replicas": 3, "readyReplicas": 3, "updatedReplicas": 1,
                   "currentReplicas": 2, "currentRevision": "db-a", "updateRevision": "db-b"}}),
    )
    .await;
    serve(&h.server, "GET", "/apis/apps/v1/namespaces/prod/daemonsets/agent", json!({
        "apiVersion": "apps/v1", "kind": "DaemonSet",
        "metadata": {"name": "agent", "namespace": "prod", "generation": 5},
        "spec": {"selector": {}, "template": {}},
        "status": {"observedGeneration": 5, "desiredNumberScheduled": 4, "currentNumberScheduled": 4,
                   "numberMisscheduled": 0, "numberReady": 4, "updatedNumberScheduled": 4, "numberAvailable": 4}})).await;
    serve(
        &h.server,
        "GET",
        "/apis/apps/v1/namespaces/prod/daemonsets/ondelete",
        json!({
        "apiVersion": "apps/v1", "kind": "DaemonSet",
        "metadata": {"name": "ondelete", "namespace": "prod"},
        "spec": {"selector": {}, "template": {}, "updateStrategy": {"type": "OnDelete"}}}),
    )
    .await;
    serve(&h.server, "GET", "/apis/apps/v1/namespaces/prod/deployments/api", json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "api", "namespace": "prod", "generation": 9},
        "spec": {"replicas": 3, "selector": {}, "template": {}},
        "status": {"observedGeneration": 9, "replicas": 3, "updatedReplicas": 3, "availableReplicas": 3,
                   "conditions": [{"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded"}]}})).await;

    let ask = |text: &'static str| {
        let app = h.app.clone();
        async move { app.handle_message(&says("alice", text)).await }
    };
    let sts = ask("kubectl rollout status sts/db").await;
    assert_eq!(sts.status, Status::Answered, "{}", sts.reply);
    assert_eq!(
        sts.reply,
        "Waiting for statefulset \"db\" rolling update to complete: 1 pods at revision db-b…"
    );
    let ds = ask("kubectl rollout status ds/agent").await;
    assert_eq!(ds.reply, "daemon set \"agent\" successfully rolled out");
    let on_delete = ask("kubectl rollout status ds/ondelete").await;
    assert_eq!(on_delete.status, Status::Error, "{}", on_delete.reply);
    assert!(
        on_delete.reply.starts_with("rollout status is only available for the RollingUpdate strategy; daemonset ondelete uses OnDelete"),
        "{}",
        on_delete.reply
    );
    let stuck = ask("kubectl rollout status deploy/api").await;
    assert!(
        stuck
            .reply
            .starts_with("deployment \"api\" exceeded its progress deadline"),
        "{}",
        stuck.reply
    );
    all_as_alice(&h.server).await;
}
