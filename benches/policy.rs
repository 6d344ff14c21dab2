//! Policy speed: evaluating the example policy (7 rules deep, two change windows) for a
//! production write, and checking its two CEL conditions against a Deployment as the dry run
//! returns it. Both run on every write preview, inside kubechat's < 5 ms own-overhead budget.
//!
//! Run: `cargo bench --bench policy -- --warm-up-time 1 --measurement-time 3`.

use std::collections::BTreeMap;
use std::hint::black_box;

use criterion::Criterion;
use jiff::{SignedDuration, Timestamp};
use kubechat::actions::{Action, Plan, PlanSource, Workload, WorkloadKind};
use kubechat::config::ClusterConfig;
use kubechat::identity::Subject;
use kubechat::policy::{self, Labels, Request, Source, cel};
use serde_json::json;

fn main() {
    let text = std::fs::read_to_string("policy.example.toml").expect("example policy");
    let policy = policy::parse(&text, Source::File("policy.example.toml".into())).expect("valid");
    let cluster = ClusterConfig {
        name: "prod-eu".into(),
        kubeconfig: None,
        context: None,
        in_cluster: false,
        default_namespace: "default".into(),
        production: false,
        production_namespaces: vec!["prod".into()],
        discovery_refresh_seconds: 30,
    };
    let plan = Plan {
        cluster: "prod-eu".into(),
        actions: vec![Action::Scale {
            target: Workload {
                kind: WorkloadKind::Deployment,
                name: "api".into(),
            },
            namespace: "shop".into(),
            replicas: 3,
        }],
        source: PlanSource::Rules,
        explicit_cluster: false,
        explicit_namespace: false,
    };
    let requester = Subject {
        user: "alice@example.com".into(),
        groups: vec!["payments-devs".into()],
    };
    let labels = BTreeMap::from([(
        "shop".to_string(),
        Labels::Known(BTreeMap::from([(
            "kubechat.io/production".into(),
            "true".into(),
        )])),
    )]);
    let now: Timestamp = "2026-11-18T10:00:00Z".parse().expect("time");
    let req = Request {
        plan: &plan,
        requester: &requester,
        cluster: &cluster,
        labels: &labels,
        now,
        break_glass: None,
        default_ttl: SignedDuration::from_mins(15),
    };
    let eval = policy::evaluate(&policy, &req);
    assert_eq!(
        eval.conditions.len(),
        2,
        "the production-writes rule decides"
    );
    let object = json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "api", "namespace": "shop", "labels": {"app": "api"}},
        "spec": {"replicas": 3, "template": {"spec": {"containers": [
            {"name": "api", "image": "registry.corp/api:1.4.2"},
            {"name": "sidecar", "image": "registry.corp/envoy:1.30"}]}}}});
    let input = cel::Input {
        request: cel::request_value(&plan, 0, &requester, false, true),
        action: serde_json::to_value(&plan.actions[0]).expect("json"),
        object: Some(object.clone()),
        old_object: Some(object),
    };
    let mut c = Criterion::default().configure_from_args();
    c.bench_function("policy/evaluate example, production write", |b| {
        b.iter(|| policy::evaluate(black_box(&policy), black_box(&req)))
    });
    c.bench_function("policy/two CEL conditions on a Deployment", |b| {
        b.iter(|| {
            for (_, cond, _) in &eval.conditions {
                black_box(cond.check(black_box(&input))).expect("holds");
            }
        })
    });
    c.bench_function("policy/parse + validate example file", |b| {
        b.iter(|| policy::parse(black_box(&text), Source::Builtin).expect("valid"))
    });
    c.final_summary();
}
