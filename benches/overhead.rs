//! kubechat's own overhead from a chat message to the answer or the posted preview, beyond the
//! API round trips: the whole app loop (identity, rule planner, policy, ledger appends to a
//! SQLite file, access review, dry run, diff, preview card) against a fake cluster that
//! answers in process, instantly (`ClusterConn::in_process`: no socket, canned JSON).
//! Budget (DESIGN.md): < 5 ms.
//!
//! Run: `cargo bench --bench overhead -- --warm-up-time 1 --measurement-time 5`.

use std::convert::Infallible;
use std::time::{Duration, Instant};

use criterion::Criterion;
use http::{Request, Response};
use kube::client::Body;
use kubechat::app::{App, Status};
use kubechat::clock::Clock;
use kubechat::config::Config;
use kubechat::executor::{ClusterConn, Executor};
use kubechat::ledger::Ledger;
use kubechat::telemetry::Metrics;
use kubechat_chat::{Inbound, Platform, ThreadRef};
use serde_json::{Value, json};

const CONFIG: &str = r#"
[[clusters]]
name = "prod-eu"
production_namespaces = ["prod"]

[[identities]]
platform = "console"
user = "alice"
kube_user = "alice@example.com"
groups = ["payments-devs"]

[[channels]]
platform = "console"
channel = "payments"
cluster = "prod-eu"
namespace = "prod"
"#;

fn deployment(replicas: i64) -> Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "payment-api", "namespace": "prod", "uid": "u1", "resourceVersion": "41",
                     "generation": 3, "labels": {"app": "payment-api"}},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "payment-api"}},
                 "template": {"metadata": {"labels": {"app": "payment-api"}},
                              "spec": {"containers": [{"name": "api", "image": "pay:1.4.2"}]}}},
        "status": {"replicas": 3, "readyReplicas": 3}})
}

fn pod_table() -> Value {
    let rows: Vec<Value> = (0..20)
        .map(|i| json!({"cells": [format!("payment-api-{i}"), "1/1", "Running", 0, "2d"],
                        "object": {"metadata": {"name": format!("payment-api-{i}"), "namespace": "prod"}}}))
        .collect();
    json!({"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": {},
           "columnDefinitions": [{"name": "Name", "priority": 0}, {"name": "Ready", "priority": 0},
               {"name": "Status", "priority": 0}, {"name": "Restarts", "priority": 0}, {"name": "Age", "priority": 0}],
           "rows": rows})
}

/// The fake cluster: an access review says yes, the Deployment is read and dry-run patched,
/// pods are listed as a Table.
fn answer(req: &Request<Body>) -> Value {
    let path = req.uri().path();
    match (req.method().as_str(), path) {
        ("POST", p) if p.ends_with("selfsubjectaccessreviews") => {
            json!({"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
                   "spec": {}, "status": {"allowed": true}})
        }
        ("GET", p) if p.ends_with("/deployments/payment-api") => deployment(3),
        ("PATCH", p) if p.ends_with("/deployments/payment-api") => deployment(5),
        ("GET", p) if p.ends_with("/pods") => pod_table(),
        _ => json!({"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": 404,
                    "reason": "NotFound", "message": "not found"}),
    }
}

async fn serve(req: Request<Body>) -> Result<Response<Body>, Infallible> {
    let value = answer(&req);
    let code = value["code"].as_u64().unwrap_or(200) as u16;
    let body = serde_json::to_vec(&value).unwrap_or_default();
    Ok(Response::builder()
        .status(code)
        .header("content-type", "application/json")
        .body(Body::from(body))
        .unwrap_or_default())
}

fn message(n: u64, text: &str) -> Inbound {
    Inbound {
        // A thread per message, so previews do not supersede each other.
        thread: ThreadRef {
            platform: Platform::Console,
            channel: "payments".into(),
            thread: format!("t{n}"),
        },
        user: "alice".into(),
        text: text.into(),
        event_id: format!("ev-{n}"),
        email: None,
    }
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", dir.path().join("ledger.db").display());
    let app = rt.block_on(async {
        let ledger = Ledger::open(&url).await.expect("ledger");
        let conn = ClusterConn::in_process("prod-eu", tower::service_fn(serve));
        App::new(
            Config::parse(CONFIG).expect("config"),
            Executor::new(vec![conn]),
            ledger,
            Clock::system(),
            Metrics::default(),
        )
    });
    let mut c = Criterion::default().configure_from_args();
    let mut group = c.benchmark_group("message_to_reply");
    let mut n = 0u64;
    for (name, text, want) in [
        (
            "scale_preview",
            "kubectl scale deploy/payment-api --replicas=5",
            Status::Preview,
        ),
        ("get_pods_answer", "kubectl get pods", Status::Answered),
    ] {
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                rt.block_on(async {
                    let mut took = Duration::ZERO;
                    for _ in 0..iters {
                        n += 1;
                        let msg = message(n, text);
                        let start = Instant::now();
                        let reply = app.handle_message(&msg).await;
                        took += start.elapsed();
                        assert_eq!(reply.status, want, "{}", reply.reply);
                    }
                    took
                })
            })
        });
    }
    group.finish();
    c.final_summary();
}
