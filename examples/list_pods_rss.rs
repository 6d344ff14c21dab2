//! Peak memory (VmHWM) while kubechat answers about a cluster with N pods (default 10,000),
//! served by a fake API server (wiremock, in this process) that honours `limit`/`continue`
//! and builds each page on request, so the server itself holds no pod list.
//!
//! `cargo run --release --example list_pods_rss -- [N]` (Linux only: reads /proc/self/status).
//!
//! Two requests, each after resetting the peak-RSS counter: `kubectl get pods -A` (one page
//! of 50 rows as a server-side Table, plus the count of the rest) and "anything unhealthy
//! everywhere?" (walks every pod, 500 per page, and lists the unhealthy ones). The figure
//! includes the fake server's own work on the same process (one page at a time), so kubechat
//! alone needs less. Budget (docs/operations.md): < 150 MiB resident.

use std::time::Instant;

use kubechat::app::App;
use kubechat::clock::Clock;
use kubechat::config::Config;
use kubechat::executor::{ClusterConn, Executor};
use kubechat::ledger::Ledger;
use kubechat::telemetry::Metrics;
use kubechat_chat::{Inbound, Platform, ThreadRef};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const CONFIG: &str = r#"
[[clusters]]
name = "big"

[[identities]]
platform = "console"
user = "alice"
kube_user = "alice@example.com"
groups = ["sre"]
"#;

fn vm_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Writing 5 to clear_refs resets VmHWM to the current RSS (Linux ≥ 4.0).
fn reset_hwm() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// A realistic pod (~1.5 KB of JSON); every 100th one crash-loops.
fn pod(i: usize) -> Value {
    let ns = format!("team-{:02}", i % 40);
    let crashing = i.is_multiple_of(100);
    let state = if crashing {
        json!({"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 5m0s restarting failed container"}})
    } else {
        json!({"running": {"startedAt": "2026-11-20T08:00:00Z"}})
    };
    json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": format!("app-{i:05}-7d9f8b6c5d-x2x4z"), "namespace": ns,
            "uid": format!("0b7c2a4e-1f2d-4c3b-9a8e-{i:012}"), "resourceVersion": format!("{}", 100000 + i),
            "creationTimestamp": "2026-11-20T08:00:00Z",
            "labels": {"app": format!("app-{}", i % 300), "pod-template-hash": "7d9f8b6c5d", "team": ns},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": format!("app-{}-7d9f8b6c5d", i % 300),
                                 "uid": "5e1c", "controller": true, "blockOwnerDeletion": true}]},
        "spec": {"nodeName": format!("node-{}", i % 60), "serviceAccountName": "default",
            "containers": [{"name": "app", "image": "registry.example.com/app:1.4.2",
                "ports": [{"containerPort": 8080, "protocol": "TCP"}],
                "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}},
                "env": [{"name": "MODE", "value": "production"}]}]},
        "status": {"phase": "Running", "podIP": format!("10.1.{}.{}", i / 250, i % 250),
            "startTime": "2026-11-20T08:00:00Z",
            "conditions": [{"type": "Ready", "status": if crashing { "False" } else { "True" }}],
            "containerStatuses": [{"name": "app", "ready": !crashing, "restartCount": if crashing { 12 } else { 0 },
                "image": "registry.example.com/app:1.4.2", "imageID": "registry.example.com/app@sha256:0f3c",
                "state": state}]}})
}

/// One page of the pod list, as a Table when asked for one.
fn page(req: &Request, total: usize) -> ResponseTemplate {
    let param = |k: &str| {
        req.url
            .query_pairs()
            .find(|(q, _)| q == k)
            .map(|(_, v)| v.into_owned())
    };
    let limit: usize = param("limit").and_then(|l| l.parse().ok()).unwrap_or(total);
    let start: usize = param("continue").and_then(|c| c.parse().ok()).unwrap_or(0);
    let end = (start + limit).min(total);
    let mut meta = json!({"resourceVersion": "200000"});
    if end < total {
        meta["continue"] = json!(end.to_string());
        meta["remainingItemCount"] = json!(total - end);
    }
    let table = req
        .headers
        .get("accept")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("as=Table"));
    let body = if table {
        let rows: Vec<Value> = (start..end)
            .map(|i| {
                let p = pod(i);
                json!({"cells": [p["metadata"]["name"], "1/1", "Running", 0, "2d"],
                       "object": {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": p["metadata"]}})
            })
            .collect();
        json!({"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": meta,
               "columnDefinitions": [{"name": "Name", "type": "string", "priority": 0},
                   {"name": "Ready", "type": "string", "priority": 0}, {"name": "Status", "type": "string", "priority": 0},
                   {"name": "Restarts", "type": "integer", "priority": 0}, {"name": "Age", "type": "string", "priority": 0}],
               "rows": rows})
    } else {
        json!({"kind": "PodList", "apiVersion": "v1", "metadata": meta,
               "items": (start..end).map(pod).collect::<Vec<_>>()})
    };
    ResponseTemplate::new(200).set_body_json(body)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let total: usize = std::env::args().nth(1).map_or(Ok(10_000), |s| s.parse())?;
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/pods"))
        .respond_with(move |req: &Request| page(req, total))
        .mount(&server)
        .await;
    let dir = tempfile::tempdir()?;
    let ledger = Ledger::open(&format!("sqlite://{}", dir.path().join("l.db").display())).await?;
    let conn = ClusterConn::new("big", kube::Config::new(server.uri().parse()?))?;
    let app = App::new(
        Config::parse(CONFIG)?,
        Executor::new(vec![conn]),
        ledger,
        Clock::system(),
        Metrics::default(),
    );
    println!(
        "{total} pods; RSS before the first request: {} KiB",
        vm_kib("VmRSS:")
    );
    for text in ["kubectl get pods -A", "anything unhealthy everywhere?"] {
        reset_hwm();
        let start = Instant::now();
        let reply = app
            .handle_message(&Inbound {
                thread: ThreadRef {
                    platform: Platform::Console,
                    channel: "ops".into(),
                    thread: text.into(),
                },
                user: "alice".into(),
                text: text.into(),
                event_id: text.into(),
                email: None,
            })
            .await;
        let first = reply.reply.lines().next().unwrap_or_default().to_string();
        let last = reply.reply.lines().last().unwrap_or_default().to_string();
        println!(
            "{text:?}: {:?} in {:.0?}, {} lines (\"{first}\" … \"{last}\"); peak RSS {} KiB ({:.1} MiB)",
            reply.status,
            start.elapsed(),
            reply.reply.lines().count(),
            vm_kib("VmHWM:"),
            vm_kib("VmHWM:") as f64 / 1024.0
        );
    }
    Ok(())
}
