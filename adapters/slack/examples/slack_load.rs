//! Load generator for the Slack acknowledgement path over real sockets.
//!
//! `cargo run -p kubechat-slack --release --example slack_load -- URL SECRET [RATE] [SECONDS]`
//! fires RATE signed `url_verification` requests per second (default 500) for SECONDS (default
//! 10) at URL/slack/events of a `kubechat serve` running in http mode with that signing
//! secret, then prints p50 / p99 / max latency and the count of non-200 answers. Each request
//! has its own challenge, so none is a replay. URL `self` serves the adapter's own routes on
//! 127.0.0.1 in this process instead (the same handlers, without the rest of kubechat).

use std::time::{Duration, Instant};

use axum::body::Body;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use kubechat_slack::verify::Verifier;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(base), Some(secret)) = (args.first(), args.get(1)) else {
        eprintln!("usage: slack_load URL SECRET [RATE] [SECONDS]");
        std::process::exit(2);
    };
    let rate: u64 = args.get(2).map(|s| s.parse()).transpose()?.unwrap_or(500);
    let seconds: u64 = args.get(3).map(|s| s.parse()).transpose()?.unwrap_or(10);
    let base = if base == "self" {
        serve_self(secret).await?
    } else {
        base.clone()
    };
    let url = format!("{}/slack/events", base.trim_end_matches('/'));
    let client = Client::builder(TokioExecutor::new()).build_http::<Body>();
    let verifier = std::sync::Arc::new(Verifier::new(secret));
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / rate));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    for i in 0..rate * seconds {
        tick.tick().await;
        let (client, verifier, tx, url) =
            (client.clone(), verifier.clone(), tx.clone(), url.clone());
        tokio::spawn(async move {
            let body =
                format!(r#"{{"type":"url_verification","token":"t","challenge":"load-{i}"}}"#);
            let ts = jiff::Timestamp::now().as_second();
            let req = hyper::Request::post(url)
                .header("content-type", "application/json")
                .header("x-slack-request-timestamp", ts.to_string())
                .header("x-slack-signature", verifier.sign(ts, body.as_bytes()))
                .body(Body::from(body));
            let started = Instant::now();
            let ok = match req {
                Ok(req) => matches!(client.request(req).await, Ok(r) if r.status() == 200),
                Err(_) => false,
            };
            let _ = tx.send((started.elapsed(), ok));
        });
    }
    drop(tx);
    let mut latencies = Vec::new();
    let mut failed = 0;
    while let Some((latency, ok)) = rx.recv().await {
        latencies.push(latency);
        failed += usize::from(!ok);
    }
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
    println!(
        "{} requests at {rate}/s for {seconds}s: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms, non-200: {failed}",
        latencies.len(),
        at(0.50).as_secs_f64() * 1e3,
        at(0.99).as_secs_f64() * 1e3,
        at(1.0).as_secs_f64() * 1e3,
    );
    Ok(())
}

/// Serves the Slack routes on an ephemeral local port; returns the base URL.
async fn serve_self(secret: &str) -> Result<String, Box<dyn std::error::Error>> {
    let (tx, mut rx) = tokio::sync::mpsc::channel(1024);
    tokio::spawn(async move { while rx.recv().await.is_some() {} });
    let (adapter, core) = kubechat_chat::link(kubechat_chat::Platform::Slack, tx);
    let settings = kubechat_slack::Settings {
        mode: kubechat_slack::Mode::Http,
        bot_token: "xoxb-load".into(),
        app_token: None,
        signing_secret: Some(secret.to_string()),
        allow_email_mapping: false,
        api_url: Some("http://127.0.0.1:9/api".into()),
    };
    let slack = kubechat_slack::Slack::new(settings, adapter)?;
    let router = slack
        .router(std::sync::Arc::new(|_| {}))
        .ok_or("http mode has routes")?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        let _core = core;
        let _ = axum::serve(listener, router).await;
    });
    Ok(format!("http://{addr}"))
}
