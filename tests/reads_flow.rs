//! Reads end to end against a fake API server (wiremock): alice asks in the payments channel
//! (locked to prod-eu/prod), kubechat answers at once. Each test asserts what the server
//! received — method, path, query (`limit`/`continue`, log options, field selectors), the
//! Table Accept header and alice's impersonation — and what alice sees.

mod common;

use common::reads::*;
use common::*;
use kubechat::app::Status;
use serde_json::json;
use wiremock::ResponseTemplate;
use wiremock::matchers::{method, path, query_param, query_param_is_missing};

const PODS: &str = "/api/v1/namespaces/prod/pods";

#[tokio::test]
async fn a_long_pod_list_is_fetched_in_bounded_pages_and_says_how_many_more_exist() {
    let h = harness().await;
    // The server answers the first page short (as it may with selectors), with a token.
    as_alice()
        .and(method("GET"))
        .and(path(PODS))
        .and(query_param_is_missing("continue"))
        .respond_with(ResponseTemplate::new(200).set_body_json(pod_table(0, 30, "c1", Some(90))))
        .mount(&h.server)
        .await;
    as_alice()
        .and(method("GET"))
        .and(path(PODS))
        .and(query_param("continue", "c1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(pod_table(30, 20, "c2", Some(70))))
        .mount(&h.server)
        .await;
    let reply = h
        .app
        .handle_message(&says("alice", "kubectl get pods"))
        .await;
    assert_eq!(reply.status, Status::Answered, "{}", reply.reply);
    let lines: Vec<&str> = reply.reply.lines().collect();
    assert_eq!(lines[0], "NAME      READY   STATUS    RESTARTS   AGE");
    assert_eq!(lines[1], "api-000   1/1     Running   0          5d");
    assert_eq!(lines[50], "api-049   1/1     Running   0          5d");
    assert_eq!(
        lines[51],
        "… and 70 more (120 in total); narrow it down with a name, -l selector or namespace."
    );

    let pages = received(&h.server, "GET", PODS).await;
    assert_eq!(pages.len(), 2, "stops once 50 rows are shown");
    assert_eq!(query(&pages[0], "limit").as_deref(), Some("50"));
    assert_eq!(query(&pages[0], "continue"), None);
    assert_eq!(query(&pages[1], "limit").as_deref(), Some("20"));
    assert_eq!(query(&pages[1], "continue").as_deref(), Some("c1"));
    for p in &pages {
        assert_eq!(head(p, "accept").as_deref(), Some(TABLE_ACCEPT));
        assert_as_alice(p);
    }
}

#[tokio::test]
async fn one_object_as_yaml_or_json_drops_noise_and_never_shows_secret_data() {
    let h = harness().await;
    let cm = json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "settings", "namespace": "prod", "resourceVersion": "7",
                     "managedFields": [{"manager": "kubectl"}],
                     "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}"}},
        "data": {"mode": "fast"}});
    serve(
        &h.server,
        "GET",
        "/api/v1/namespaces/prod/configmaps/settings",
        cm,
    )
    .await;
    let secret = json!({"apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "db", "namespace": "prod"}, "type": "Opaque",
        "data": {"password": "aHVudGVyMg=="}});
    serve(
        &h.server,
        "GET",
        "/api/v1/namespaces/prod/secrets/db",
        secret,
    )
    .await;

    let yaml = h
        .app
        .handle_message(&says("alice", "kubectl get cm settings -o yaml"))
        .await;
    assert_eq!(yaml.status, Status::Answered, "{}", yaml.reply);
    assert!(yaml.reply.contains("mode: fast"), "{}", yaml.reply);
    assert!(!yaml.reply.contains("managedFields"), "{}", yaml.reply);
    assert!(!yaml.reply.contains("last-applied"), "{}", yaml.reply);

    let json = h
        .app
        .handle_message(&says("alice", "kubectl get secret db -o json"))
        .await;
    assert_eq!(json.status, Status::Answered, "{}", json.reply);
    let shown: serde_json::Value = serde_json::from_str(&json.reply).expect("json answer");
    assert_eq!(shown["metadata"]["name"], "db");
    assert!(!json.reply.contains("aHVudGVyMg=="), "{}", json.reply);

    for r in h.server.received_requests().await.expect("recording") {
        assert_ne!(
            head(&r, "accept").as_deref(),
            Some(TABLE_ACCEPT),
            "-o asks for objects"
        );
        assert_as_alice(&r);
    }
}

#[tokio::test]
async fn describe_shows_the_object_and_its_events_oldest_first() {
    let h = harness().await;
    let crash = json!({"waiting": {"reason": "CrashLoopBackOff"}});
    as_alice()
        .and(method("GET"))
        .and(path("/api/v1/namespaces/prod/pods/checkout-1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(pod(
            "checkout-1",
            "checkout-6f",
            crash,
            5,
            json!({}),
        )))
        .mount(&h.server)
        .await;
    let events = event_list(vec![
        event(
            "checkout-1",
            "Pod",
            "BackOff",
            "2026-11-22T09:59:00Z",
            "Back-off restarting failed container",
        ),
        event(
            "checkout-1",
            "Pod",
            "Scheduled",
            "2026-11-22T09:00:00Z",
            "Successfully assigned prod/checkout-1 to n1",
        ),
        event(
            "checkout-1",
            "Pod",
            "Pulled",
            "2026-11-22T09:01:00Z",
            "Container image pulled",
        ),
    ]);
    as_alice()
        .and(method("GET"))
        .and(path("/api/v1/namespaces/prod/events"))
        .and(query_param(
            "fieldSelector",
            "involvedObject.kind=Pod,involvedObject.name=checkout-1",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(events))
        .mount(&h.server)
        .await;
    let reply = h
        .app
        .handle_message(&says("alice", "kubectl describe pod checkout-1"))
        .await;
    assert_eq!(reply.status, Status::Answered, "{}", reply.reply);
    assert!(reply.reply.contains("name: checkout-1"), "{}", reply.reply);
    let (object, events) = reply
        .reply
        .split_once("\nEvents:\n")
        .expect("an events section");
    assert!(object.contains("reason: CrashLoopBackOff"), "{object}");
    let order: Vec<&str> = events
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().nth(2))
        .collect();
    assert_eq!(
        order,
        ["Scheduled", "Pulled", "BackOff"],
        "oldest first: {events}"
    );
    all_as_alice(&h.server).await;
}

#[tokio::test]
async fn events_for_one_object_are_filtered_by_the_server_and_sorted() {
    let h = harness().await;
    let events = event_list(vec![
        event(
            "api",
            "Deployment",
            "ScalingReplicaSet",
            "2026-11-22T09:30:00Z",
            "Scaled up replica set api-7 to 3",
        ),
        event(
            "api",
            "Deployment",
            "ScalingReplicaSet",
            "2026-11-22T08:00:00Z",
            "Scaled up replica set api-6 to 3",
        ),
    ]);
    serve(&h.server, "GET", "/api/v1/namespaces/prod/events", events).await;
    let reply = h
        .app
        .handle_message(&says("alice", "kubectl events --for deployment/api"))
        .await;
    assert_eq!(reply.status, Status::Answered, "{}", reply.reply);
    let six = reply.reply.find("api-6").expect("older event");
    let seven = reply.reply.find("api-7").expect("newer event");
    assert!(six < seven, "oldest first: {}", reply.reply);
    assert!(reply.reply.contains("deployment/api"), "{}", reply.reply);
    let r = &received(&h.server, "GET", "/api/v1/namespaces/prod/events").await[0];
    assert_eq!(
        query(r, "fieldSelector").as_deref(),
        Some("involvedObject.kind=Deployment,involvedObject.name=api")
    );
    assert_eq!(query(r, "limit").as_deref(), Some("500"));
    assert_as_alice(r);
}

const LOG: &str = "/api/v1/namespaces/prod/pods/checkout-1/log";

#[tokio::test]
async fn logs_pass_container_tail_since_and_previous_and_are_redacted() {
    let h = harness().await;
    as_alice()
        .and(method("GET"))
        .and(path(LOG))
        .respond_with(ResponseTemplate::new(200).set_body_string(
            "starting\npanic: cannot connect to db\nAuthorization: Bearer abcdefghijklmnopqrstuvwxyz0123456789\n",
        ))
        .mount(&h.server)
        .await;
    let reply = h
        .app
        .handle_message(&says(
            "alice",
            "kubectl logs checkout-1 -c app --tail=20 --since=5m -p",
        ))
        .await;
    assert_eq!(reply.status, Status::Answered, "{}", reply.reply);
    assert!(
        reply.reply.contains("panic: cannot connect to db"),
        "{}",
        reply.reply
    );
    assert!(
        !reply.reply.contains("abcdefghijklmnopqrstuvwxyz0123456789"),
        "{}",
        reply.reply
    );
    let r = &received(&h.server, "GET", LOG).await[0];
    assert_eq!(query(r, "container").as_deref(), Some("app"));
    assert_eq!(query(r, "tailLines").as_deref(), Some("20"));
    assert_eq!(query(r, "sinceSeconds").as_deref(), Some("300"));
    assert_eq!(query(r, "previous").as_deref(), Some("true"));
    assert_as_alice(r);
}

#[tokio::test]
async fn a_pod_still_creating_has_no_logs_yet_and_an_unreachable_node_is_named() {
    let h = harness().await;
    as_alice()
        .and(method("GET"))
        .and(path(LOG))
        .respond_with(status(
            400,
            "BadRequest",
            "container \"app\" in pod \"checkout-1\" is waiting to start: ContainerCreating",
        ))
        .mount(&h.server)
        .await;
    as_alice()
        .and(method("GET"))
        .and(path("/api/v1/namespaces/prod/pods/checkout-2/log"))
        .respond_with(status(
            500,
            "InternalError",
            "Get \"https://10.0.0.5:10250/containerLogs/prod/checkout-2/app?tailLines=200\": dial tcp 10.0.0.5:10250: connect: no route to host",
        ))
        .mount(&h.server)
        .await;
    let waiting = h
        .app
        .handle_message(&says("alice", "kubectl logs checkout-1"))
        .await;
    assert_eq!(waiting.status, Status::Answered, "{}", waiting.reply);
    assert_eq!(
        waiting.reply,
        "No logs for pod checkout-1 in prod yet: container \"app\" in pod \"checkout-1\" is waiting to start: ContainerCreating."
    );
    let r = &received(&h.server, "GET", LOG).await[0];
    assert_eq!(
        query(r, "tailLines").as_deref(),
        Some("200"),
        "a default tail"
    );

    let cut_off = h
        .app
        .handle_message(&says("alice", "kubectl logs checkout-2"))
        .await;
    assert_eq!(cut_off.status, Status::Error, "{}", cut_off.reply);
    assert!(
        cut_off.reply.starts_with(
            "cannot read the logs of pod checkout-2 in prod: the API server could not reach the kubelet on the pod's node"
        ),
        "{}",
        cut_off.reply
    );
    assert!(
        cut_off.reply.contains("no route to host"),
        "{}",
        cut_off.reply
    );
}

#[tokio::test]
async fn can_i_asks_the_api_server_as_alice() {
    let h = harness().await;
    as_alice()
        .and(method("POST"))
        .and(path(SSAR))
        .respond_with(ResponseTemplate::new(201).set_body_json(access_review(false)))
        .mount(&h.server)
        .await;
    let reply = h
        .app
        .handle_message(&says("alice", "kubectl auth can-i delete pods -n prod"))
        .await;
    assert_eq!(reply.status, Status::Answered, "{}", reply.reply);
    assert_eq!(reply.reply, "no — no RBAC policy matched");
    let asked = reviews(&h.server).await;
    assert_eq!(
        asked,
        vec![json!({"verb": "delete", "group": "", "resource": "pods", "namespace": "prod"})]
    );
    all_as_alice(&h.server).await;
}

#[tokio::test]
async fn why_is_it_crashing_names_the_cause_with_the_evidence_and_the_rollout() {
    let h = harness().await;
    let crash = json!({"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 5m0s"}});
    let last = json!({"terminated": {"reason": "Error", "exitCode": 1}});
    let healthy = json!({"running": {"startedAt": "2026-11-22T09:00:00Z"}});
    let mut ok = pod("checkout-6f-b", "checkout-6f", healthy, 0, json!({}));
    ok["status"]["containerStatuses"][0]["ready"] = json!(true);
    let pods = json!({"apiVersion": "v1", "kind": "PodList", "metadata": {}, "items": [
        ok, pod("checkout-6f-a", "checkout-6f", crash, 7, last),
        pod("cart-1", "cart-5", json!({}), 0, json!({}))]});
    serve(&h.server, "GET", PODS, pods).await;
    let events = event_list(vec![event(
        "checkout-6f-a",
        "Pod",
        "BackOff",
        "2026-11-22T09:59:00Z",
        "Back-off restarting failed container app",
    )]);
    serve(&h.server, "GET", "/api/v1/namespaces/prod/events", events).await;
    let rs = json!({"apiVersion": "apps/v1", "kind": "ReplicaSet",
        "metadata": {"name": "checkout-6f", "namespace": "prod",
                     "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "checkout", "uid": "d", "controller": true}]}});
    as_alice()
        .and(method("GET"))
        .and(path(
            "/apis/apps/v1/namespaces/prod/replicasets/checkout-6f",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(rs))
        .mount(&h.server)
        .await;
    let deploy = json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "checkout", "namespace": "prod", "generation": 4},
        "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "checkout"}}, "template": {}},
        "status": {"observedGeneration": 4, "replicas": 2, "updatedReplicas": 2, "availableReplicas": 1}});
    serve(
        &h.server,
        "GET",
        "/apis/apps/v1/namespaces/prod/deployments/checkout",
        deploy,
    )
    .await;

    let reply = h
        .app
        .handle_message(&says("alice", "why is checkout crashing?"))
        .await;
    assert_eq!(reply.status, Status::Answered, "{}", reply.reply);
    let first = reply.reply.lines().next().unwrap_or_default();
    assert_eq!(
        first,
        "Likely cause: container app in checkout-6f-a keeps crashing (exit code 1, 7 restarts); its logs with --previous show why."
    );
    assert!(
        reply.reply.contains("1 of 2 matching pods unhealthy"),
        "{}",
        reply.reply
    );
    assert!(
        reply.reply.contains("- container app: waiting (CrashLoopBackOff): back-off 5m0s, restarted 7 times; last exit: Error (exit code 1)"),
        "{}",
        reply.reply
    );
    assert!(
        reply.reply.contains("- owner deployment checkout: Waiting for deployment \"checkout\" rollout to finish: 1 of 2 updated replicas are available…"),
        "{}",
        reply.reply
    );
    assert!(
        reply
            .reply
            .contains("Back-off restarting failed container app"),
        "{}",
        reply.reply
    );
    all_as_alice(&h.server).await;
}
