//! Custom resource kinds and `top` against a fake API server: kinds resolve like kubectl
//! (short name, singular, Kind, `plural.group`) from aggregated discovery read with the bot's
//! own credentials (no impersonation), cached, refreshed on a miss at most once per interval;
//! ambiguous and unknown kinds are answered with the choices or suggestions; policy sees the
//! qualified kind. `top` reads metrics.k8s.io as alice, and says so when metrics-server is
//! missing.

mod common;

use std::time::Duration;

use common::reads::*;
use common::*;
use kubechat::app::Status;
use kubechat::policy::{self, Source};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

const WIDGETS: &str = "/apis/example.com/v1/namespaces/prod/widgets";

fn widget_table() -> serde_json::Value {
    json!({"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": {"resourceVersion": "5"},
           "columnDefinitions": [{"name": "Name", "type": "string", "priority": 0},
                                 {"name": "Age", "type": "string", "priority": 0}],
           "rows": [{"cells": ["w1", "3d"], "object": {"metadata": {"name": "w1", "namespace": "prod"}}}]})
}

const HOUR: Duration = Duration::from_secs(3600);

#[tokio::test]
async fn a_crd_short_name_resolves_by_discovery_made_with_the_bots_own_credentials() {
    let h = harness_with(|c| c.with_discovery_refresh(HOUR)).await;
    mount_discovery(&h.server, vec![widgets()]).await;
    serve(&h.server, "GET", WIDGETS, widget_table()).await;
    for text in [
        "kubectl get wd",
        "kubectl get widget",
        "kubectl get Widget",
        "get widgets.example.com",
    ] {
        let reply = h.app.handle_message(&says("alice", text)).await;
        assert_eq!(reply.status, Status::Answered, "{text}: {}", reply.reply);
        assert_eq!(reply.reply, "NAME   AGE\nw1     3d\n", "{text}");
        assert_eq!(
            reply.kubectl,
            vec!["kubectl get widgets.example.com -n prod"],
            "{text}"
        );
    }
    let discovery = discovery_requests(&h.server).await;
    assert_eq!(discovery.len(), 2, "/api and /apis once, then cached");
    discovery.iter().for_each(assert_bot_discovery);
    let lists = received(&h.server, "GET", WIDGETS).await;
    assert_eq!(lists.len(), 4);
    for r in &lists {
        assert_as_alice(r);
        assert_eq!(query(r, "limit").as_deref(), Some("50"));
        assert_eq!(head(r, "accept").as_deref(), Some(TABLE_ACCEPT));
    }
}

#[tokio::test]
async fn a_kind_installed_since_the_last_discovery_is_found_by_a_refresh_on_the_miss() {
    let h = harness_with(|c| c.with_discovery_refresh(Duration::ZERO)).await;
    Mock::given(method("GET"))
        .and(path("/api"))
        .respond_with(ResponseTemplate::new(200).set_body_json(core()))
        .mount(&h.server)
        .await;
    // The first /apis answer predates the gadgets CRD; later ones include it.
    Mock::given(method("GET"))
        .and(path("/apis"))
        .respond_with(ResponseTemplate::new(200).set_body_json(discovery_list(vec![widgets()])))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&h.server)
        .await;
    let gadgets = group(
        "example.com",
        "v1",
        vec![
            resource("widgets", "Widget", &["wd"], true),
            resource("gadgets", "Gadget", &["gd"], true),
        ],
    );
    Mock::given(method("GET"))
        .and(path("/apis"))
        .respond_with(ResponseTemplate::new(200).set_body_json(discovery_list(vec![gadgets])))
        .mount(&h.server)
        .await;
    as_alice()
        .and(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(widget_table()))
        .mount(&h.server)
        .await;

    let first = h.app.handle_message(&says("alice", "kubectl get wd")).await;
    assert_eq!(first.status, Status::Answered, "{}", first.reply);
    let second = h.app.handle_message(&says("alice", "kubectl get gd")).await;
    assert_eq!(second.status, Status::Answered, "{}", second.reply);
    assert_eq!(received(&h.server, "GET", "/apis").await.len(), 2);
    assert_eq!(
        received(
            &h.server,
            "GET",
            "/apis/example.com/v1/namespaces/prod/gadgets"
        )
        .await
        .len(),
        1
    );
    discovery_requests(&h.server)
        .await
        .iter()
        .for_each(assert_bot_discovery);
}

#[tokio::test]
async fn a_mistyped_kind_gets_suggestions_and_costs_no_second_discovery_within_the_interval() {
    let h = harness_with(|c| c.with_discovery_refresh(HOUR)).await;
    mount_discovery(&h.server, vec![widgets()]).await;
    for _ in 0..3 {
        let reply = h
            .app
            .handle_message(&says("alice", "kubectl get wdigets"))
            .await;
        assert_eq!(reply.status, Status::Clarify, "{}", reply.reply);
        assert_eq!(
            reply.reply,
            "I don't know the resource kind \"wdigets\" on this cluster (not found by API discovery) — did you mean widgets.example.com?"
        );
    }
    assert_eq!(
        discovery_requests(&h.server).await.len(),
        2,
        "one discovery (/api + /apis) for three misses"
    );
    let reply = h
        .app
        .handle_message(&says("alice", "kubectl get zebras"))
        .await;
    assert!(
        reply
            .reply
            .ends_with("`kubectl api-resources` lists the kinds it serves"),
        "{}",
        reply.reply
    );
}

#[tokio::test]
async fn a_short_name_in_two_groups_is_answered_with_the_choices() {
    let h = harness().await;
    let acme = group(
        "acme.io",
        "v1",
        vec![resource("wardens", "Warden", &["wd"], true)],
    );
    mount_discovery(&h.server, vec![widgets(), acme]).await;
    let reply = h.app.handle_message(&says("alice", "kubectl get wd")).await;
    assert_eq!(reply.status, Status::Clarify, "{}", reply.reply);
    assert_eq!(
        reply.reply,
        "\"wd\" names more than one resource kind on this cluster: widgets.example.com, wardens.acme.io. Say which one with its full name"
    );
}

#[tokio::test]
async fn a_cluster_scoped_crd_is_read_cluster_wide() {
    let h = harness().await;
    mount_discovery(&h.server, vec![widgets()]).await;
    serve(
        &h.server,
        "GET",
        "/apis/example.com/v1/clusterwidgets",
        widget_table(),
    )
    .await;
    let reply = h
        .app
        .handle_message(&says("alice", "kubectl get cwd"))
        .await;
    assert_eq!(reply.status, Status::Answered, "{}", reply.reply);
    assert_eq!(
        reply.kubectl,
        vec!["kubectl get clusterwidgets.example.com"]
    );
}

#[tokio::test]
async fn policy_rules_about_a_crd_apply_when_it_is_named_by_its_short_name() {
    let h = harness().await;
    h.app.set_policy(
        policy::parse(
            r#"
[[rules]]
name = "widgets are managed by the platform team"
match = { kinds = ["widgets.example.com"], verbs = ["delete"] }
decision = "deny"
reason = "widgets are managed by the platform team"

[[rules]]
name = "everything else"
decision = "allow"
"#,
            Source::File("policy.toml".into()),
        )
        .expect("policy"),
    );
    mount_discovery(&h.server, vec![widgets()]).await;
    let reply = h
        .app
        .handle_message(&says("alice", "kubectl delete wd w1"))
        .await;
    assert_eq!(reply.status, Status::Denied, "{}", reply.reply);
    assert!(
        reply
            .reply
            .contains("widgets are managed by the platform team"),
        "{}",
        reply.reply
    );
    assert!(
        received(
            &h.server,
            "DELETE",
            "/apis/example.com/v1/namespaces/prod/widgets/w1"
        )
        .await
        .is_empty()
    );
}

#[tokio::test]
async fn top_pods_and_nodes_read_metrics_as_alice_in_millicores_and_mebibytes() {
    let h = harness().await;
    mount_discovery(&h.server, vec![metrics()]).await;
    let usage = |cpu: &str, mem: &str| json!({"cpu": cpu, "memory": mem});
    let pods = json!({"kind": "PodMetricsList", "apiVersion": "metrics.k8s.io/v1beta1", "metadata": {}, "items": [
        {"metadata": {"name": "web-2", "namespace": "prod"}, "timestamp": "2026-11-22T10:00:00Z", "window": "15s",
         "containers": [{"name": "app", "usage": usage("7m", "20Mi")}]},
        {"metadata": {"name": "web-1", "namespace": "prod"}, "timestamp": "2026-11-22T10:00:00Z", "window": "15s",
         "containers": [{"name": "app", "usage": usage("250500000n", "65536Ki")},
                        {"name": "proxy", "usage": usage("1m", "1048576")}]}]});
    serve(
        &h.server,
        "GET",
        "/apis/metrics.k8s.io/v1beta1/namespaces/prod/pods",
        pods,
    )
    .await;
    let nodes = json!({"kind": "NodeMetricsList", "apiVersion": "metrics.k8s.io/v1beta1", "metadata": {}, "items": [
        {"metadata": {"name": "n1"}, "timestamp": "2026-11-22T10:00:00Z", "window": "20s", "usage": usage("500m", "2Gi")}]});
    serve(
        &h.server,
        "GET",
        "/apis/metrics.k8s.io/v1beta1/nodes",
        nodes,
    )
    .await;
    let node_list = json!({"kind": "NodeList", "apiVersion": "v1", "metadata": {}, "items": [
        {"metadata": {"name": "n1"}, "status": {"allocatable": {"cpu": "2", "memory": "8Gi"}}}]});
    serve(&h.server, "GET", "/api/v1/nodes", node_list).await;

    let pods = h
        .app
        .handle_message(&says("alice", "kubectl top pods"))
        .await;
    assert_eq!(pods.status, Status::Answered, "{}", pods.reply);
    assert_eq!(
        pods.reply,
        "NAME    CPU(cores)   MEMORY(bytes)\nweb-1   252m         65Mi\nweb-2   7m           20Mi\n"
    );
    let nodes = h
        .app
        .handle_message(&says("alice", "kubectl top nodes"))
        .await;
    assert_eq!(nodes.status, Status::Answered, "{}", nodes.reply);
    assert_eq!(
        nodes.reply,
        "NAME   CPU(cores)   CPU(%)   MEMORY(bytes)   MEMORY(%)\nn1     500m         25%      2048Mi          25%\n"
    );
    for r in h.server.received_requests().await.expect("recording") {
        if r.url.path() == "/api" || r.url.path() == "/apis" {
            assert_bot_discovery(&r);
        } else {
            assert_as_alice(&r);
        }
    }
}

#[tokio::test]
async fn top_without_metrics_server_says_it_is_not_installed() {
    let h = harness().await;
    mount_discovery(&h.server, vec![widgets()]).await;
    let reply = h
        .app
        .handle_message(&says("alice", "kubectl top pods"))
        .await;
    assert_eq!(reply.status, Status::Error, "{}", reply.reply);
    assert!(
        reply.reply.starts_with("metrics are not available on this cluster: it does not serve the metrics.k8s.io API (metrics-server is not installed)"),
        "{}",
        reply.reply
    );
    let asked: Vec<String> = h
        .server
        .received_requests()
        .await
        .expect("recording")
        .iter()
        .map(|r| r.url.path().to_string())
        .collect();
    assert_eq!(
        asked,
        ["/api", "/apis"],
        "no metrics request without the API"
    );
}
