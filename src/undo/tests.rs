//! Table of inverses: each undoable action turns back into the action that restores the
//! captured state; the others say why not.

use serde_json::json;

use super::*;
use crate::actions::{ObjectRef, Workload};

fn deploy() -> Workload {
    Workload {
        kind: WorkloadKind::Deployment,
        name: "api".into(),
    }
}

fn captured(kind: &str, resource: &str, name: &str, object: Option<Value>) -> Captured {
    Captured {
        api_version: if kind == "Deployment" {
            "apps/v1"
        } else {
            "v1"
        }
        .into(),
        kind: kind.into(),
        resource: resource.into(),
        namespace: Some("shop".into()),
        name: name.into(),
        object,
    }
}

fn live_deployment() -> Captured {
    captured(
        "Deployment",
        "deployments",
        "api",
        Some(json!({"metadata": {"name": "api", "labels": {"team": "a"},
                                 "annotations": {"deployment.kubernetes.io/revision": "4"}},
                    "spec": {"replicas": 3, "template": {"spec": {"containers": [
                        {"name": "app", "image": "app:1"}, {"name": "proxy", "image": "envoy:1"}]}}}})),
    )
}

#[test]
fn scale_set_image_and_restart_go_back_to_the_captured_state() {
    let scale = Action::Scale {
        target: deploy(),
        namespace: "shop".into(),
        replicas: 5,
    };
    assert_eq!(
        inverse(&scale, &[live_deployment()]).expect("scale"),
        vec![Action::Scale {
            target: deploy(),
            namespace: "shop".into(),
            replicas: 3
        }]
    );
    let image = Action::SetImage {
        target: deploy(),
        namespace: "shop".into(),
        container: None,
        image: "app:2".into(),
    };
    let back = inverse(&image, &[live_deployment()]).expect("set image");
    assert_eq!(
        back.len(),
        2,
        "one per container, each with its own previous image"
    );
    assert!(
        matches!(&back[1], Action::SetImage { container: Some(c), image, .. } if c == "proxy" && image == "envoy:1")
    );
    let one = Action::SetImage {
        target: deploy(),
        namespace: "shop".into(),
        container: Some("app".into()),
        image: "app:2".into(),
    };
    assert!(
        matches!(&inverse(&one, &[live_deployment()]).expect("one")[..],
        [Action::SetImage { image, .. }] if image == "app:1")
    );
    let restart = Action::RolloutRestart {
        target: deploy(),
        namespace: "shop".into(),
    };
    assert_eq!(
        inverse(&restart, &[live_deployment()]).expect("restart"),
        vec![Action::RolloutUndo {
            target: deploy(),
            namespace: "shop".into(),
            to_revision: Some(4)
        }]
    );
}

#[test]
fn labels_get_their_old_values_back_and_new_keys_are_removed() {
    let mut changes = MetaChanges::default();
    changes.set.insert("team".into(), "b".into());
    changes.set.insert("tier".into(), "web".into());
    let label = Action::Label {
        target: ObjectRef {
            resource: "deployments".into(),
            name: "api".into(),
        },
        namespace: Some("shop".into()),
        changes,
    };
    let back = inverse(&label, &[live_deployment()]).expect("label");
    let Action::Label { changes, .. } = &back[0] else {
        panic!("a label action: {back:?}")
    };
    assert_eq!(changes.set.get("team").map(String::as_str), Some("a"));
    assert_eq!(changes.remove, vec!["tier".to_string()]);
    assert!(changes.overwrite);
}

#[test]
fn cordon_and_uncordon_swap_unless_nothing_changed() {
    let node = |unschedulable: bool| {
        captured(
            "Node",
            "nodes",
            "n1",
            Some(json!({"spec": {"unschedulable": unschedulable}})),
        )
    };
    let cordon = Action::Cordon { node: "n1".into() };
    assert_eq!(
        inverse(&cordon, &[node(false)]).expect("cordon"),
        vec![Action::Uncordon { node: "n1".into() }]
    );
    assert!(
        inverse(&cordon, &[node(true)]).is_err(),
        "was already cordoned"
    );
    let uncordon = Action::Uncordon { node: "n1".into() };
    assert_eq!(
        inverse(&uncordon, &[node(true)]).expect("uncordon"),
        vec![Action::Cordon { node: "n1".into() }]
    );
}

#[test]
fn an_apply_that_created_objects_is_undone_by_deleting_them() {
    let apply = Action::Apply {
        manifest: "…".into(),
        namespace: "shop".into(),
    };
    let created = [
        captured("ConfigMap", "configmaps", "settings", None),
        captured("Service", "services", "web", None),
    ];
    let back = inverse(&apply, &created).expect("apply");
    assert_eq!(
        back,
        vec![
            Action::Delete {
                resource: "services".into(),
                name: "web".into(),
                namespace: Some("shop".into()),
                cascade: Default::default(),
            },
            Action::Delete {
                resource: "configmaps".into(),
                name: "settings".into(),
                namespace: Some("shop".into()),
                cascade: Default::default(),
            },
        ]
    );
    let changed = [captured(
        "ConfigMap",
        "configmaps",
        "settings",
        Some(json!({})),
    )];
    let err = inverse(&apply, &changed).expect_err("existed");
    assert!(err.0.contains("existed before"), "{err}");
}

#[test]
fn a_delete_is_undone_by_recreating_without_server_fields() {
    let delete = Action::Delete {
        resource: "services".into(),
        name: "web".into(),
        namespace: Some("shop".into()),
        cascade: Default::default(),
    };
    let svc = captured(
        "Service",
        "services",
        "web",
        Some(json!({"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "web", "namespace": "shop", "uid": "u1", "resourceVersion": "9",
                         "creationTimestamp": "2026-01-01T00:00:00Z"},
            "spec": {"clusterIP": "10.0.0.7", "clusterIPs": ["10.0.0.7"], "ports": [{"port": 80}]},
            "status": {"loadBalancer": {}}})),
    );
    let back = inverse(&delete, &[svc]).expect("recreate");
    let [
        Action::Apply {
            manifest,
            namespace,
        },
    ] = &back[..]
    else {
        panic!("an apply: {back:?}")
    };
    assert_eq!(namespace, "shop");
    for gone in [
        "uid",
        "resourceVersion",
        "creationTimestamp",
        "clusterIP",
        "status",
    ] {
        assert!(!manifest.contains(gone), "{gone} in {manifest}");
    }
    assert!(manifest.contains("port: 80"), "{manifest}");
}

#[test]
fn what_cannot_be_undone_says_why() {
    let owned = captured(
        "Pod",
        "pods",
        "api-1",
        Some(
            json!({"metadata": {"ownerReferences": [{"kind": "ReplicaSet", "name": "api-5d", "controller": true}]}}),
        ),
    );
    let delete_pod = Action::Delete {
        resource: "pods".into(),
        name: "api-1".into(),
        namespace: Some("shop".into()),
        cascade: Default::default(),
    };
    let err = inverse(&delete_pod, &[owned]).expect_err("owned");
    assert!(err.0.contains("owned by replicaset api-5d"), "{err}");
    let secret = captured(
        "Secret",
        "secrets",
        "db",
        Some(json!({"data": {"pw": MASK}})),
    );
    let delete_secret = Action::Delete {
        resource: "secrets".into(),
        name: "db".into(),
        namespace: Some("shop".into()),
        cascade: Default::default(),
    };
    assert!(
        inverse(&delete_secret, &[secret])
            .expect_err("secret")
            .0
            .contains("Secret data")
    );
    let redacted = captured(
        "Deployment",
        "deployments",
        "api",
        Some(
            json!({"spec": {"template": {"spec": {"containers": [{"env": [{"name": "PW", "value": MASK}]}]}}}}),
        ),
    );
    let delete_deploy = Action::Delete {
        resource: "deployments".into(),
        name: "api".into(),
        namespace: Some("shop".into()),
        cascade: Default::default(),
    };
    assert!(
        inverse(&delete_deploy, &[redacted])
            .expect_err("redacted")
            .0
            .contains("redacted")
    );
    let drain = Action::Drain {
        node: "n1".into(),
        ignore_daemonsets: true,
        delete_emptydir_data: false,
    };
    assert!(
        inverse(&drain, &[])
            .expect_err("drain")
            .0
            .contains("uncordon")
    );
    let job = Action::CreateJobFromCronJob {
        cronjob: "report".into(),
        job: "report-1".into(),
        namespace: "shop".into(),
    };
    assert!(
        inverse(&job, &[])
            .expect_err("job")
            .0
            .contains("delete job report-1")
    );
}

#[test]
fn a_plan_is_undone_last_action_first_and_names_what_it_undoes() {
    let plan = Plan {
        cluster: "prod".into(),
        actions: vec![
            Action::Scale {
                target: deploy(),
                namespace: "shop".into(),
                replicas: 5,
            },
            Action::Cordon { node: "n1".into() },
        ],
        source: PlanSource::Rules,
        explicit_cluster: false,
        explicit_namespace: false,
    };
    let node = captured("Node", "nodes", "n1", Some(json!({"spec": {}})));
    let back = inverse_plan("kc-1", &plan, &[vec![live_deployment()], vec![node]]).expect("plan");
    assert_eq!(back.source, PlanSource::Undo { of: "kc-1".into() });
    assert!(matches!(back.actions[0], Action::Uncordon { .. }));
    assert!(matches!(back.actions[1], Action::Scale { replicas: 3, .. }));
    assert!(
        inverse_plan("kc-1", &plan, &[]).is_err(),
        "no prior state recorded"
    );
}
