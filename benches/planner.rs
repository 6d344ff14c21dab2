//! Rule planner speed: text → plan over a representative mix of requests (kubectl syntax,
//! English, follow-ups, questions back, not understood). Budget: < 50 µs median per request.
//!
//! Run: `cargo bench --bench planner -- --warm-up-time 1 --measurement-time 3`. Besides
//! criterion's figures per group, it prints the median over the whole mix per request.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::Criterion;
use kubechat::actions::ObjectRef;
use kubechat::planner::{PlanContext, plan};

const KUBECTL: &[&str] = &[
    "kubectl get pods -n prod -l app=web -o wide",
    "kubectl logs checkout-7d9f -c app --tail=100 --since=5m -p",
    "kubectl scale deploy/payment-api --replicas=3 --context staging-us",
    "kubectl set image deploy/payment-api app=registry/pay:1.4.2 -n prod",
    "kubectl rollout undo deploy/payment-api --to-revision=3",
    "kubectl patch deploy payment-api --type merge -p '{\"spec\":{\"replicas\":2}}'",
    "get widgets.example.com -A",
];

const ENGLISH: &[&str] = &[
    "show pods in prod",
    "@kubechat could you please restart payment-api in prod?",
    "logs of checkout-7d9f in prod, last 100 lines",
    "what's failing in payments?",
    "why is checkout crashing in prod",
    "scale payment-api in billing on staging-us to 5",
    "set image of payment-api container app to registry/pay:1.4.2",
    "roll back payment-api to revision 2",
    "can I delete pods in prod?",
    "drain node n1 and delete emptydir data",
    "scale it to 3",
];

const ASK_BACK: &[&str] = &[
    "delete payment-api",
    "scale payment-api",
    "show pdos",
    "make it faster",
    "kubectl exec -it checkout-7d9f -- sh",
    "should I restart payment-api?",
    "help",
];

fn ctx<'a>(clusters: &'a [String], last: &'a ObjectRef) -> PlanContext<'a> {
    PlanContext {
        cluster: "prod-eu",
        namespace: "payments",
        clusters,
        last_target: Some(last),
    }
}

fn bench(c: &mut Criterion, clusters: &[String], last: &ObjectRef) {
    let ctx = ctx(clusters, last);
    let mut group = c.benchmark_group("plan");
    for (name, mix) in [
        ("kubectl", KUBECTL),
        ("english", ENGLISH),
        ("ask_back", ASK_BACK),
    ] {
        // One iteration = one request, cycling through the group.
        let mut i = 0;
        group.bench_function(name, |b| {
            b.iter(|| {
                i = (i + 1) % mix.len();
                black_box(plan(black_box(mix[i]), &ctx))
            })
        });
    }
    group.finish();
}

/// The median over every request of the mix of its mean time per plan.
fn median_per_request(clusters: &[String], last: &ObjectRef) -> (Duration, Duration, &'static str) {
    let ctx = ctx(clusters, last);
    let mut times: Vec<(Duration, &'static str)> = KUBECTL
        .iter()
        .chain(ENGLISH)
        .chain(ASK_BACK)
        .map(|text| {
            const RUNS: u32 = 2_000;
            let start = Instant::now();
            for _ in 0..RUNS {
                black_box(plan(black_box(text), &ctx));
            }
            (start.elapsed() / RUNS, *text)
        })
        .collect();
    times.sort();
    let median = times[times.len() / 2].0;
    let (slowest, text) = times[times.len() - 1];
    (median, slowest, text)
}

fn main() {
    let clusters = vec!["prod-eu".to_string(), "staging-us".to_string()];
    let last = ObjectRef {
        resource: "deployments".to_string(),
        name: "payment-api".to_string(),
    };
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c, &clusters, &last);
    c.final_summary();
    let (median, slowest, text) = median_per_request(&clusters, &last);
    println!(
        "rule planner, {} requests: median {:.2?} per request (budget 50µs); slowest {:.2?} for {text:?}",
        KUBECTL.len() + ENGLISH.len() + ASK_BACK.len(),
        median,
        slowest
    );
}
