//! The acknowledgement path of a signed Slack request, in process: signature check, replay
//! guard, parsing, deduplication, enqueueing for the core, and the `200`. Each iteration is a
//! fresh app mention (new event id, fresh signature) so no shortcut applies.
//! Budget (DESIGN.md): p99 < 20 ms at 500 requests/s; the socket-level p99 comes from
//! `examples/slack_load.rs`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use criterion::{Criterion, criterion_group, criterion_main};
use kubechat_chat::{Platform, link};
use kubechat_slack::verify::Verifier;
use kubechat_slack::{Mode, Settings, Slack};
use tower::ServiceExt;

const SECRET: &str = "bench-signing-secret";

fn ack(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let (router, _core) = rt.block_on(async {
        let (tx, mut rx) = tokio::sync::mpsc::channel(1024);
        // The core: drains the inbox as fast as it fills.
        tokio::spawn(async move { while rx.recv().await.is_some() {} });
        let (adapter, core) = link(Platform::Slack, tx);
        let settings = Settings {
            mode: Mode::Http,
            bot_token: "xoxb-bench".into(),
            app_token: None,
            signing_secret: Some(SECRET.into()),
            allow_email_mapping: false,
            api_url: Some("http://127.0.0.1:9/api".into()),
        };
        let slack = Slack::new(settings, adapter).expect("adapter");
        let router = slack.router(Arc::new(|_| {})).expect("routes");
        (router, core)
    });
    let verifier = Verifier::new(SECRET);
    let n = AtomicU64::new(0);
    c.bench_function("slack ack: signed app mention → 200", |b| {
        b.iter(|| {
            let i = n.fetch_add(1, Ordering::Relaxed);
            let body = format!(
                r#"{{"type":"event_callback","team_id":"T1","api_app_id":"A1","event_id":"Ev{i}","event_time":1,"event":{{"type":"app_mention","user":"U1","text":"<@U0> get pods","ts":"1515449483.{i:06}","channel":"C1"}}}}"#
            );
            let ts = jiff::Timestamp::now().as_second();
            let req = Request::post("/slack/events")
                .header("content-type", "application/json")
                .header("x-slack-request-timestamp", ts.to_string())
                .header("x-slack-signature", verifier.sign(ts, body.as_bytes()))
                .body(Body::from(body))
                .expect("request");
            let res = rt.block_on(router.clone().oneshot(req)).expect("response");
            assert_eq!(res.status(), StatusCode::OK);
        })
    });
}

criterion_group!(benches, ack);
criterion_main!(benches);
