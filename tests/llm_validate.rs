//! Validation of model plans: what a model can get wrong, and the sentence it gets back.
#![cfg(feature = "llm")]

use kubechat::actions::{Action, Scope, Workload, WorkloadKind};
use kubechat::llm::schema::{ActionDto, Verb};
use kubechat::llm::validate::{Grounding, MAX_ACTIONS, actions};

fn g() -> Grounding {
    Grounding {
        cluster: "prod-eu".into(),
        namespace: "payments".into(),
        names: vec![
            ("deployments".into(), "payment-api".into()),
            ("pods".into(), "checkout-7d9f-x2x".into()),
        ],
    }
}

fn dto(verb: Verb, kind: Option<&str>, name: Option<&str>) -> ActionDto {
    ActionDto {
        verb,
        kind: kind.map(str::to_string),
        name: name.map(str::to_string),
        namespace: None,
        all_namespaces: None,
        selector: None,
        replicas: None,
        image: None,
        container: None,
        tail: None,
        previous: None,
        revision: None,
    }
}

#[test]
fn valid_answers_become_typed_actions_in_the_channel_namespace() {
    let mut scale = dto(Verb::Scale, Some("deploy"), Some("payment-api"));
    scale.replicas = Some(4);
    let nodes = dto(Verb::Get, Some("nodes"), None);
    let got = actions(&[scale, nodes], &g()).expect("valid");
    assert_eq!(
        got[0],
        Action::Scale {
            target: Workload {
                kind: WorkloadKind::Deployment,
                name: "payment-api".into()
            },
            namespace: "payments".into(),
            replicas: 4
        }
    );
    assert!(matches!(
        &got[1],
        Action::Get {
            scope: Scope::Cluster,
            name: None,
            ..
        }
    ));
}

#[test]
fn every_mistake_is_named_for_the_retry() {
    let mut huge = dto(Verb::Scale, None, Some("payment-api"));
    huge.replicas = Some(50_000);
    let mut spaced = dto(Verb::SetImage, None, Some("payment-api"));
    spaced.image = Some("nginx latest".into());
    let mut bad_ns = dto(Verb::Describe, Some("pods"), Some("checkout-7d9f-x2x"));
    bad_ns.namespace = Some("Prod_EU".into());
    for (d, want) in [
        (
            dto(Verb::Get, Some("deploymentz"), None),
            "unknown kind \"deploymentz\" (did you mean",
        ),
        (
            dto(Verb::Scale, None, Some("payment-api")),
            "scale needs replicas",
        ),
        (huge, "not a sane count"),
        (spaced, "not an image reference"),
        (
            dto(Verb::RolloutRestart, None, Some("paymnt-api")),
            "no deployments named \"paymnt-api\" in payments; existing: payment-api",
        ),
        (
            dto(Verb::RolloutRestart, Some("service"), Some("web")),
            "has no rollouts or replicas",
        ),
        (
            dto(Verb::Logs, Some("deployment"), Some("payment-api")),
            "logs are read from one pod",
        ),
        (
            dto(Verb::Delete, Some("pods"), Some("Bad Name!")),
            "not a valid Kubernetes name",
        ),
        (dto(Verb::Cordon, Some("nodes"), None), "name is required"),
        (bad_ns, "not a valid namespace name"),
        (
            dto(Verb::Top, Some("deployments"), None),
            "top measures pods or nodes",
        ),
    ] {
        let errors = actions(std::slice::from_ref(&d), &g()).expect_err("invalid");
        assert!(errors.iter().any(|e| e.contains(want)), "{d:?}: {errors:?}");
    }
    assert!(actions(&[], &g()).is_err(), "a plan needs actions");
    let many = vec![dto(Verb::Get, Some("pods"), None); MAX_ACTIONS + 1];
    assert!(actions(&many, &g()).expect_err("too many")[0].contains("too many"));
}

#[test]
fn names_are_only_checked_where_the_grounding_listed_them() {
    // Another namespace, and an unlisted kind: the cluster decides at preview time.
    let mut other = dto(Verb::RolloutRestart, None, Some("web"));
    other.namespace = Some("staging".into());
    let sts = dto(Verb::RolloutRestart, Some("sts"), Some("redis"));
    assert!(actions(&[other, sts], &g()).is_ok());
}
