//! kubechat's own overhead from a chat message to the answer or the posted preview, beyond the
//! API round trips: the whole app loop (identity, rule planner, policy, ledger appends to a
//! SQLite file, access review, dry run, diff, preview card) against a fake cluster that
//! answers in process, instantly (`ClusterConn::in_process`: no socket, canned JSON).
//! Budget (DESIGN.md): < 5 ms.
//!
//! Each scenario runs with the ledger on disk and on tmpfs (/dev/shm), plus one bare ledger
//! append for reference, so the durable-write share is visible.
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
use kubechat::ledger::{EntryKind, Ledger, NewEntry};
use kubechat::telemetry::Metrics;
use kubechat_chat::{Decision, Inbound, Platform, ThreadRef, Verdict};
use serde_json::{Value, json};

/// alice in payments-devs, prod-eu with a production namespace, channel `payments` locked to it.
const CONFIG: &str = include_str!("../tests/fixtures/alice-prod-eu.toml");

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
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = http::StatusCode::from_u16(code).unwrap_or(http::StatusCode::OK);
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    Ok(response)
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

async fn app_over(dir: &std::path::Path) -> App {
    let url = format!("sqlite://{}", dir.join("ledger.db").display());
    let ledger = Ledger::open(&url).await.expect("ledger");
    let conn = ClusterConn::in_process("prod-eu", tower::service_fn(serve));
    App::new(
        Config::parse(CONFIG).expect("config"),
        Executor::new(vec![conn]),
        ledger,
        Clock::system(),
        Metrics::default(),
    )
}

/// One message through the app (timed); a preview is then aborted (untimed), so pending plans
/// do not pile up: every new preview looks at each pending one (supersede).
async fn one(app: &App, n: u64, text: &str, want: Status) -> Duration {
    let msg = message(n, text);
    let start = Instant::now();
    let reply = app.handle_message(&msg).await;
    let took = start.elapsed();
    assert_eq!(reply.status, want, "{}", reply.reply);
    if let Some(plan_id) = reply.plan_id.filter(|_| want == Status::Preview) {
        let abort = Decision {
            thread: msg.thread.clone(),
            user: "alice".into(),
            plan_id,
            plan_hash: reply.card.map(|c| c.plan_hash),
            verdict: Verdict::Abort,
            event_id: format!("abort-{n}"),
            email: None,
        };
        let done = app.decide(&abort).await;
        assert_eq!(done.status, Status::Aborted, "{}", done.reply);
    }
    took
}

async fn append(app: &App, i: u64) {
    let entry = NewEntry {
        time: jiff::Timestamp::now(),
        actor: "console:alice".into(),
        cluster: Some("prod-eu".into()),
        namespace: Some("prod".into()),
        plan_id: None,
        kind: EntryKind::Message,
        payload: json!({"text": "kubectl get pods", "n": i}),
    };
    app.ledger().append(entry).await.expect("append");
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    // The ledger on disk (SQLite WAL, synchronous=FULL: an fsync per entry, as deployed) and
    // on tmpfs (fsync is free): the difference is the durable writes, the rest is kubechat.
    let disk = tempfile::tempdir().expect("tempdir");
    let shm =
        tempfile::tempdir_in("/dev/shm").unwrap_or_else(|_| tempfile::tempdir().expect("tempdir"));
    let mut c = Criterion::default().configure_from_args();
    let mut group = c.benchmark_group("message_to_reply");
    let mut n = 0u64;
    for (ledger, dir) in [("disk", disk.path()), ("tmpfs", shm.path())] {
        let app = rt.block_on(app_over(dir));
        for (name, text, want) in [
            (
                "scale_preview",
                "kubectl scale deploy/payment-api --replicas=5",
                Status::Preview,
            ),
            ("get_pods_answer", "kubectl get pods", Status::Answered),
        ] {
            group.bench_function(format!("{name}/{ledger}"), |b| {
                b.iter_custom(|iters| {
                    rt.block_on(async {
                        let mut took = Duration::ZERO;
                        for _ in 0..iters {
                            n += 1;
                            took += one(&app, n, text, want).await;
                        }
                        took
                    })
                })
            });
        }
        // For reference: one ledger append. A read writes three entries (message, planned,
        // answered), a preview three (message, planned, previewed).
        group.bench_function(format!("one_ledger_append/{ledger}"), |b| {
            b.iter_custom(|iters| {
                rt.block_on(async {
                    let start = Instant::now();
                    for i in 0..iters {
                        append(&app, i).await;
                    }
                    start.elapsed()
                })
            })
        });
    }
    group.finish();
    c.final_summary();
}
