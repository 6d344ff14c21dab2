//! Logs (tracing: `plain` or `json`) and Prometheus metrics.

use std::sync::Arc;

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

type Labels = Vec<(&'static str, String)>;

/// kubechat's metrics. Cheap to clone; every field is shared.
#[derive(Clone)]
pub struct Metrics {
    registry: Arc<Registry>,
    /// Requests received, by platform. Written by the app loop.
    pub requests: Family<Labels, Counter>,
    /// Plans made, by planner source.
    pub plans: Family<Labels, Counter>,
    /// Decisions, by verdict and result (accepted / refused).
    pub decisions: Family<Labels, Counter>,
    /// Executions, by result (executed / failed / changed).
    pub executions: Family<Labels, Counter>,
    /// Ledger append latency in seconds.
    pub ledger_append: Histogram,
    /// Ledger appends that failed (writes were refused).
    pub ledger_failures: Counter,
    /// Policy file loads, by result (ok / error: the last good policy stays in force).
    pub policy_reloads: Family<Labels, Counter>,
    /// Platform requests refused (bad signature, stale, replayed…), by platform and reason.
    /// Written by the adapters' webhook handlers.
    pub webhook_rejections: Family<Labels, Counter>,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("kubechat");
        let requests = Family::<Labels, Counter>::default();
        let plans = Family::<Labels, Counter>::default();
        let decisions = Family::<Labels, Counter>::default();
        let executions = Family::<Labels, Counter>::default();
        let ledger_append = Histogram::new(exponential_buckets(0.0001, 2.0, 16));
        let ledger_failures = Counter::default();
        let policy_reloads = Family::<Labels, Counter>::default();
        let webhook_rejections = Family::<Labels, Counter>::default();
        registry.register(
            "webhook_rejections",
            "Platform requests refused (forged, stale, replayed…), by platform and reason",
            webhook_rejections.clone(),
        );
        registry.register(
            "policy_reloads",
            "Policy file loads, by result",
            policy_reloads.clone(),
        );
        registry.register("requests", "Chat requests received", requests.clone());
        registry.register("plans", "Plans made, by planner", plans.clone());
        registry.register("decisions", "Approve/abort decisions", decisions.clone());
        registry.register(
            "executions",
            "Write executions, by result",
            executions.clone(),
        );
        registry.register(
            "ledger_append_seconds",
            "Ledger append latency",
            ledger_append.clone(),
        );
        registry.register(
            "ledger_failures",
            "Ledger appends that failed",
            ledger_failures.clone(),
        );
        Metrics {
            registry: Arc::new(registry),
            requests,
            plans,
            decisions,
            executions,
            ledger_append,
            ledger_failures,
            policy_reloads,
            webhook_rejections,
        }
    }
}

impl Metrics {
    /// Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        if let Err(e) = encode(&mut out, &self.registry) {
            tracing::error!(error = %e, "cannot encode metrics");
        }
        out
    }
}

/// Counts one event in a single-label family.
pub fn inc(family: &Family<Labels, Counter>, labels: &[(&'static str, &str)]) {
    let labels: Labels = labels.iter().map(|(k, v)| (*k, (*v).to_string())).collect();
    family.get_or_create(&labels).inc();
}

/// Installs the tracing subscriber. `RUST_LOG` filters (default `info`).
pub fn init_logging(format: &str) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if format == "json" {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}
