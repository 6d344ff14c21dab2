//! Drain end to end against a fake API server: cordon with the previewed resourceVersion,
//! one policy/v1 Eviction per pod (dry run at preview), a PDB-blocked eviction reported with
//! the budget's name, DaemonSet pods skipped, and a drain that cannot be undone says why.

mod common;

use common::*;
use kubechat::app::Status;
use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param};
use wiremock::{MockServer, ResponseTemplate};

fn pod(ns: &str, name: &str, owner: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": ns,
                     "ownerReferences": [{"apiVersion": "apps/v1", "kind": owner, "name": "o", "uid": "u", "controller": true}]},
        "spec": {"nodeName": "n1", "containers": [{"name": "c", "image": "i"}]}})
}

fn node(unschedulable: bool) -> Value {
    json!({"apiVersion": "v1", "kind": "Node",
           "metadata": {"name": "n1", "resourceVersion": "55"}, "spec": {"unschedulable": unschedulable}})
}

async fn mount_drain(server: &MockServer) {
    allow_all_reviews(server).await;
    as_alice()
        .and(method("GET"))
        .and(path("/api/v1/nodes/n1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(node(false)))
        .mount(server)
        .await;
    as_alice()
        .and(method("PATCH"))
        .and(path("/api/v1/nodes/n1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(node(true)))
        .mount(server)
        .await;
    let pods = json!({"apiVersion": "v1", "kind": "PodList", "metadata": {}, "items": [
        pod("shop", "web-1", "ReplicaSet"), pod("shop", "web-2", "ReplicaSet"),
        pod("kube-system", "agent-x", "DaemonSet")]});
    as_alice()
        .and(method("GET"))
        .and(path("/api/v1/pods"))
        .and(query_param("fieldSelector", "spec.nodeName=n1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(pods))
        .mount(server)
        .await;
    as_alice()
        .and(method("POST"))
        .and(path("/api/v1/namespaces/shop/pods/web-1/eviction"))
        .respond_with(
            ResponseTemplate::new(201)
                .set_body_json(json!({"kind": "Status", "status": "Success"})),
        )
        .mount(server)
        .await;
    let blocked = json!({"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": 429,
        "reason": "TooManyRequests",
        "message": "Cannot evict pod as it would violate the pod's disruption budget.",
        "details": {"causes": [{"reason": "DisruptionBudget",
            "message": "The disruption budget web-pdb needs 1 healthy pods and has 1 currently"}]}});
    as_alice()
        .and(method("POST"))
        .and(path("/api/v1/namespaces/shop/pods/web-2/eviction"))
        .respond_with(ResponseTemplate::new(429).set_body_json(blocked))
        .mount(server)
        .await;
}

#[tokio::test]
async fn drain_cordons_then_evicts_honouring_the_pdb_and_skips_daemonset_pods() {
    let h = harness().await;
    mount_drain(&h.server).await;
    let preview = h
        .app
        .handle_message(&says("alice", "kubectl drain n1 --ignore-daemonsets"))
        .await;
    assert_eq!(preview.status, Status::Preview, "{}", preview.reply);
    let card = preview.card.clone().expect("card");
    let checks = card.checks.join("\n");
    assert!(
        checks.contains("would evict 1, blocked 1 (pdb web-pdb), skipped 1"),
        "{checks}"
    );
    assert!(
        checks.contains("shop/web-2: blocked by PodDisruptionBudget web-pdb"),
        "{checks}"
    );
    assert!(
        checks.contains("kube-system/agent-x: skipped, DaemonSet-managed"),
        "{checks}"
    );
    let reviews = reviews(&h.server).await;
    assert!(
        reviews.iter().any(|r| r["resource"] == "pods"
            && r["subresource"] == "eviction"
            && r["namespace"] == "shop"),
        "{reviews:?}"
    );
    assert!(
        !reviews.iter().any(|r| r["namespace"] == "kube-system"),
        "no eviction right needed where nothing is evicted: {reviews:?}"
    );
    let dry = received(
        &h.server,
        "POST",
        "/api/v1/namespaces/shop/pods/web-1/eviction",
    )
    .await;
    assert_eq!(dry.len(), 1);
    assert!(is_dry_run(&dry[0]));
    assert_eq!(body(&dry[0])["apiVersion"], "policy/v1");
    assert_eq!(body(&dry[0])["kind"], "Eviction");

    let done = bob_approves(&h, &preview).await;
    assert_eq!(done.status, Status::Executed, "{}", done.reply);
    assert!(
        done.reply
            .contains("evicted 1, blocked 1 (pdb web-pdb), skipped 1"),
        "{}",
        done.reply
    );
    assert!(!done.undoable);
    let cordon = received(&h.server, "PATCH", "/api/v1/nodes/n1").await;
    let real = cordon.iter().find(|r| !is_dry_run(r)).expect("real cordon");
    assert_eq!(
        body(real),
        json!({"spec": {"unschedulable": true}, "metadata": {"resourceVersion": "55"}})
    );
    let evictions = received(
        &h.server,
        "POST",
        "/api/v1/namespaces/shop/pods/web-1/eviction",
    )
    .await;
    let real = evictions
        .iter()
        .find(|r| !is_dry_run(r))
        .expect("real eviction");
    assert_eq!(
        head(real, APPROVERS_EXTRA).as_deref(),
        Some("bob@example.com")
    );
    assert!(
        received(
            &h.server,
            "POST",
            "/api/v1/namespaces/kube-system/pods/agent-x/eviction"
        )
        .await
        .is_empty()
    );
    let id = preview.plan_id.expect("plan id");
    let no = h.app.undo(&undo("alice", &id)).await;
    assert_eq!(no.status, Status::Denied, "{}", no.reply);
    assert!(
        no.reply.contains("cannot be undone: a drain evicted pods"),
        "{}",
        no.reply
    );
    all_as_alice(&h.server).await;
}
