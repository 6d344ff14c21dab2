//! Every `Action` variant, with and without its optional parts, rendered as the kubectl line
//! people see in previews — compared with the exact expected text.

use std::collections::BTreeMap;

use kubechat::actions::{
    Action, MetaChanges, ObjectRef, Output, PatchType, Scope, TopResource, Workload, WorkloadKind,
    kubectl::render,
};

fn ns(n: &str) -> Scope {
    Scope::Namespace(n.to_string())
}

fn s(v: &str) -> String {
    v.to_string()
}

fn deploy(name: &str) -> Workload {
    Workload {
        kind: WorkloadKind::Deployment,
        name: s(name),
    }
}

fn obj(resource: &str, name: &str) -> ObjectRef {
    ObjectRef {
        resource: s(resource),
        name: s(name),
    }
}

fn get(resource: &str, name: Option<&str>, scope: Scope) -> Action {
    Action::Get {
        resource: s(resource),
        name: name.map(s),
        scope,
        selector: None,
        field_selector: None,
        output: Output::Table,
    }
}

/// A get with a selector and an output format.
fn with(action: Action, sel: Option<&str>, out: Output) -> Action {
    match action {
        Action::Get {
            resource,
            name,
            scope,
            field_selector,
            ..
        } => Action::Get {
            resource,
            name,
            scope,
            selector: sel.map(s),
            field_selector,
            output: out,
        },
        other => other,
    }
}

fn changes(set: &[(&str, &str)], remove: &[&str], overwrite: bool) -> MetaChanges {
    MetaChanges {
        set: set
            .iter()
            .map(|(k, v)| (s(k), s(v)))
            .collect::<BTreeMap<_, _>>(),
        remove: remove.iter().map(|k| s(k)).collect(),
        overwrite,
    }
}

fn cases() -> Vec<(Action, &'static str)> {
    vec![
        // get
        (get("pods", None, ns("prod")), "kubectl get pods -n prod"),
        (
            get("pods", None, Scope::AllNamespaces),
            "kubectl get pods -A",
        ),
        (
            get("nodes", Some("n1"), Scope::Cluster),
            "kubectl get nodes n1",
        ),
        (
            Action::Get {
                resource: s("pods"),
                name: None,
                scope: ns("prod"),
                selector: Some(s("app in (a,b)")),
                field_selector: Some(s("status.phase!=Running")),
                output: Output::Wide,
            },
            "kubectl get pods -n prod -l 'app in (a,b)' --field-selector 'status.phase!=Running' -o wide",
        ),
        (
            with(
                get("deployments", Some("payment-api"), ns("prod")),
                None,
                Output::Yaml,
            ),
            "kubectl get deployments payment-api -n prod -o yaml",
        ),
        (
            with(
                get("widgets.example.com", None, ns("prod")),
                None,
                Output::Json,
            ),
            "kubectl get widgets.example.com -n prod -o json",
        ),
        (
            with(
                get("pods", None, Scope::AllNamespaces),
                Some("app=web"),
                Output::Name,
            ),
            "kubectl get pods -A -l app=web -o name",
        ),
        // describe
        (
            Action::Describe {
                resource: s("deployments"),
                name: s("payment-api"),
                namespace: Some(s("prod")),
            },
            "kubectl describe deployments payment-api -n prod",
        ),
        (
            Action::Describe {
                resource: s("nodes"),
                name: s("n1"),
                namespace: None,
            },
            "kubectl describe nodes n1",
        ),
        // logs
        (
            Action::Logs {
                pod: s("checkout-7d9f"),
                namespace: s("prod"),
                container: None,
                tail: None,
                since_seconds: None,
                previous: false,
            },
            "kubectl logs checkout-7d9f -n prod",
        ),
        (
            Action::Logs {
                pod: s("checkout-7d9f"),
                namespace: s("prod"),
                container: Some(s("app")),
                tail: Some(100),
                since_seconds: Some(600),
                previous: true,
            },
            "kubectl logs checkout-7d9f -n prod -c app --tail=100 --since=10m --previous",
        ),
        (
            Action::Logs {
                pod: s("checkout-7d9f"),
                namespace: s("prod"),
                container: None,
                tail: None,
                since_seconds: Some(7200),
                previous: false,
            },
            "kubectl logs checkout-7d9f -n prod --since=2h",
        ),
        (
            Action::Logs {
                pod: s("checkout-7d9f"),
                namespace: s("prod"),
                container: None,
                tail: Some(0),
                since_seconds: Some(45),
                previous: false,
            },
            "kubectl logs checkout-7d9f -n prod --tail=0 --since=45s",
        ),
        // events
        (
            Action::Events {
                scope: ns("prod"),
                object: None,
            },
            "kubectl events -n prod",
        ),
        (
            Action::Events {
                scope: Scope::AllNamespaces,
                object: Some(obj("nodes", "n1")),
            },
            "kubectl events -A --for=node/n1",
        ),
        (
            Action::Events {
                scope: ns("prod"),
                object: Some(obj("widgets.example.com", "w1")),
            },
            "kubectl events -n prod --for=widgets.example.com/w1",
        ),
        // top
        (
            Action::Top {
                resource: TopResource::Pods,
                scope: ns("prod"),
                name: None,
            },
            "kubectl top pods -n prod",
        ),
        (
            Action::Top {
                resource: TopResource::Pods,
                scope: Scope::AllNamespaces,
                name: Some(s("checkout-7d9f")),
            },
            "kubectl top pods checkout-7d9f -A",
        ),
        (
            Action::Top {
                resource: TopResource::Nodes,
                scope: Scope::Cluster,
                name: None,
            },
            "kubectl top nodes",
        ),
        (
            Action::Top {
                resource: TopResource::Nodes,
                scope: Scope::Cluster,
                name: Some(s("n1")),
            },
            "kubectl top nodes n1",
        ),
        // failing, diagnose
        (
            Action::Failing { scope: ns("prod") },
            "kubectl get pods -n prod --field-selector 'status.phase!=Succeeded'",
        ),
        (
            Action::Failing {
                scope: Scope::AllNamespaces,
            },
            "kubectl get pods -A --field-selector 'status.phase!=Succeeded'",
        ),
        (
            Action::Diagnose {
                name: s("checkout"),
                namespace: s("prod"),
            },
            "kubectl describe pods -n prod -l app=checkout",
        ),
        // auth can-i
        (
            Action::AuthCanI {
                verb: s("delete"),
                resource: s("pods"),
                name: None,
                scope: ns("prod"),
            },
            "kubectl auth can-i delete pods -n prod",
        ),
        (
            Action::AuthCanI {
                verb: s("get"),
                resource: s("pods"),
                name: Some(s("foo")),
                scope: Scope::AllNamespaces,
            },
            "kubectl auth can-i get pods/foo -A",
        ),
        (
            Action::AuthCanI {
                verb: s("*"),
                resource: s("nodes"),
                name: None,
                scope: Scope::Cluster,
            },
            "kubectl auth can-i '*' nodes",
        ),
        // rollouts
        (
            Action::RolloutStatus {
                target: deploy("payment-api"),
                namespace: s("prod"),
            },
            "kubectl rollout status deployment/payment-api -n prod",
        ),
        (
            Action::RolloutHistory {
                target: Workload {
                    kind: WorkloadKind::StatefulSet,
                    name: s("db"),
                },
                namespace: s("prod"),
            },
            "kubectl rollout history statefulset/db -n prod",
        ),
        (
            Action::RolloutRestart {
                target: Workload {
                    kind: WorkloadKind::DaemonSet,
                    name: s("node-exporter"),
                },
                namespace: s("monitoring"),
            },
            "kubectl rollout restart daemonset/node-exporter -n monitoring",
        ),
        (
            Action::RolloutUndo {
                target: deploy("payment-api"),
                namespace: s("prod"),
                to_revision: None,
            },
            "kubectl rollout undo deployment/payment-api -n prod",
        ),
        (
            Action::RolloutUndo {
                target: deploy("payment-api"),
                namespace: s("prod"),
                to_revision: Some(3),
            },
            "kubectl rollout undo deployment/payment-api -n prod --to-revision=3",
        ),
        // scale, set image
        (
            Action::Scale {
                target: Workload {
                    kind: WorkloadKind::ReplicaSet,
                    name: s("web-6f7"),
                },
                namespace: s("prod"),
                replicas: 0,
            },
            "kubectl scale replicaset/web-6f7 -n prod --replicas=0",
        ),
        (
            Action::SetImage {
                target: deploy("payment-api"),
                namespace: s("prod"),
                container: Some(s("app")),
                image: s("registry/pay:1.4.2"),
            },
            "kubectl set image deployment/payment-api app=registry/pay:1.4.2 -n prod",
        ),
        (
            Action::SetImage {
                target: deploy("payment-api"),
                namespace: s("prod"),
                container: None,
                image: s("registry/pay:1.4.2"),
            },
            "kubectl set image deployment/payment-api '*=registry/pay:1.4.2' -n prod",
        ),
        // delete
        (
            Action::Delete {
                resource: s("pods"),
                name: s("checkout-7d9f"),
                namespace: Some(s("prod")),
                cascade: Default::default(),
            },
            "kubectl delete pod checkout-7d9f -n prod",
        ),
        (
            Action::Delete {
                resource: s("namespaces"),
                name: s("old-team"),
                namespace: None,
                cascade: Default::default(),
            },
            "kubectl delete namespace old-team",
        ),
        (
            Action::Delete {
                resource: s("widgets.example.com"),
                name: s("w1"),
                namespace: Some(s("prod")),
                cascade: Default::default(),
            },
            "kubectl delete widgets.example.com w1 -n prod",
        ),
        // nodes
        (Action::Cordon { node: s("n1") }, "kubectl cordon n1"),
        (Action::Uncordon { node: s("n1") }, "kubectl uncordon n1"),
        (
            Action::Drain {
                node: s("n1"),
                ignore_daemonsets: false,
                delete_emptydir_data: false,
            },
            "kubectl drain n1",
        ),
        (
            Action::Drain {
                node: s("n1"),
                ignore_daemonsets: true,
                delete_emptydir_data: false,
            },
            "kubectl drain n1 --ignore-daemonsets",
        ),
        (
            Action::Drain {
                node: s("n1"),
                ignore_daemonsets: true,
                delete_emptydir_data: true,
            },
            "kubectl drain n1 --ignore-daemonsets --delete-emptydir-data",
        ),
        // label, annotate
        (
            Action::Label {
                target: obj("pods", "checkout-7d9f"),
                namespace: Some(s("prod")),
                changes: changes(&[("team", "checkout"), ("app", "web")], &["tier"], true),
            },
            "kubectl label pod checkout-7d9f app=web team=checkout tier- --overwrite -n prod",
        ),
        (
            Action::Label {
                target: obj("nodes", "n1"),
                namespace: None,
                changes: changes(&[("disk", "ssd")], &[], false),
            },
            "kubectl label node n1 disk=ssd",
        ),
        (
            Action::Annotate {
                target: obj("deployments", "payment-api"),
                namespace: Some(s("prod")),
                changes: changes(&[("note", "moved to v2")], &[], false),
            },
            "kubectl annotate deployment payment-api 'note=moved to v2' -n prod",
        ),
        (
            Action::Annotate {
                target: obj("nodes", "n1"),
                namespace: None,
                changes: changes(&[], &["example.com/owner"], false),
            },
            "kubectl annotate node n1 example.com/owner-",
        ),
        // apply
        (
            Action::Apply {
                manifest: s("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n"),
                namespace: s("prod"),
            },
            "kubectl apply --server-side -n prod -f - <<'EOF'\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\nEOF",
        ),
        // patch
        (
            Action::Patch {
                target: obj("deployments", "payment-api"),
                namespace: Some(s("prod")),
                patch_type: PatchType::Strategic,
                patch: s(r#"{"spec":{"replicas":2}}"#),
            },
            r#"kubectl patch deployment payment-api -n prod --type=strategic -p '{"spec":{"replicas":2}}'"#,
        ),
        (
            Action::Patch {
                target: obj("nodes", "n1"),
                namespace: None,
                patch_type: PatchType::Merge,
                patch: s(r#"{"metadata":{"labels":{"a":"it's"}}}"#),
            },
            r#"kubectl patch node n1 --type=merge -p '{"metadata":{"labels":{"a":"it'\''s"}}}'"#,
        ),
        (
            Action::Patch {
                target: obj("deployments", "x"),
                namespace: Some(s("prod")),
                patch_type: PatchType::Json,
                patch: s(r#"[{"op":"remove","path":"/spec/x"}]"#),
            },
            r#"kubectl patch deployment x -n prod --type=json -p '[{"op":"remove","path":"/spec/x"}]'"#,
        ),
        // create job
        (
            Action::CreateJobFromCronJob {
                cronjob: s("nightly"),
                job: s("nightly-manual"),
                namespace: s("prod"),
            },
            "kubectl create job nightly-manual --from=cronjob/nightly -n prod",
        ),
    ]
}

#[test]
fn every_action_renders_as_the_exact_kubectl_line() {
    let mut failures = Vec::new();
    for (action, want) in cases() {
        let got = render(&action);
        if got != want {
            failures.push(format!("{action:?}\n  wanted: {want}\n     got: {got}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn every_variant_is_covered() {
    let mut verbs: Vec<&str> = cases().iter().map(|(a, _)| a.verb()).collect();
    verbs.sort_unstable();
    verbs.dedup();
    assert_eq!(verbs.len(), 23, "variants covered: {verbs:?}");
}

#[test]
fn a_manifest_containing_the_heredoc_marker_still_renders_a_valid_heredoc() {
    let manifest =
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  script: |\nEOF\n";
    let line = render(&Action::Apply {
        manifest: s(manifest),
        namespace: s("prod"),
    });
    // The heredoc must end at its own terminator, after the whole manifest.
    let (head, body) = line.split_once('\n').expect("multi-line");
    let marker = head
        .rsplit("<<'")
        .next()
        .and_then(|m| m.strip_suffix('\''))
        .expect("a quoted heredoc marker");
    let terminator = body.lines().position(|l| l == marker).expect("terminated");
    assert_eq!(
        body.lines().take(terminator).collect::<Vec<_>>().join("\n"),
        manifest.trim_end(),
        "{line}"
    );
}
