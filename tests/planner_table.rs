//! The rule planner, as a table: what people type → the kubectl line(s) of the plan, or the
//! question / refusal / help they get back.
//!
//! Context for every row: channel cluster `prod-eu`, namespace `payments`, configured clusters
//! `prod-eu` and `staging-us`. Follow-ups have their own table with a last target.

use kubechat::actions::{ObjectRef, Risk};
use kubechat::planner::{PlanContext, Planned, plan};

/// What a row expects.
#[derive(Debug)]
enum Want {
    /// A plan on the channel's cluster with exactly these kubectl lines.
    K(&'static [&'static str]),
    /// A plan on this (explicitly named) cluster with these kubectl lines.
    On(&'static str, &'static [&'static str]),
    /// A question back containing this text.
    Clarify(&'static str),
    /// A "not understood" / refusal containing this text.
    No(&'static str),
    /// The help text.
    Help,
}
use Want::*;

fn clusters() -> Vec<String> {
    vec!["prod-eu".to_string(), "staging-us".to_string()]
}

fn ctx<'a>(clusters: &'a [String], last: Option<&'a ObjectRef>) -> PlanContext<'a> {
    PlanContext {
        cluster: "prod-eu",
        namespace: "payments",
        clusters,
        last_target: last,
    }
}

const MANIFEST_ROWS: &[(&str, Want)] = &[
    (
        "apply\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  mode: fast",
        K(&[
            "kubectl apply --server-side -n payments -f - <<'EOF'\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  mode: fast\nEOF",
        ]),
    ),
    (
        "please apply this in prod:\n```yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n```",
        K(&[
            "kubectl apply --server-side -n prod -f - <<'EOF'\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\nEOF",
        ]),
    ),
    (
        "kubectl apply -f - <<EOF\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: billing\nEOF",
        K(&[
            "kubectl apply --server-side -n billing -f - <<'EOF'\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: billing\nEOF",
        ]),
    ),
    (
        "apply on staging-us ```apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n```",
        On(
            "staging-us",
            &[
                "kubectl apply --server-side -n payments -f - <<'EOF'\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\nEOF",
            ],
        ),
    ),
    (
        "apply\napiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  password: hunter2",
        No("apply Secrets"),
    ),
    (
        "apply\nkind: ConfigMap\nmetadata:\n  name: a",
        No("apiVersion, kind and metadata.name"),
    ),
    ("apply\n{ not: [yaml", No("not valid YAML")),
    ("apply", Clarify("Apply what?")),
    ("kubectl apply -f deploy.yaml", No("read files")),
    (
        "apply -n prod\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: billing",
        Clarify("manifest says namespace billing"),
    ),
];

const ROWS: &[(&str, Want)] = &[
    // ── kubectl syntax: get ──────────────────────────────────────────────────────────────
    ("kubectl get pods -n prod", K(&["kubectl get pods -n prod"])),
    ("get pods -n prod", K(&["kubectl get pods -n prod"])),
    ("kubectl get po", K(&["kubectl get pods -n payments"])),
    (
        "k get deploy payment-api -o yaml",
        K(&["kubectl get deployments payment-api -n payments -o yaml"]),
    ),
    ("kubectl get pods -A", K(&["kubectl get pods -A"])),
    (
        "kubectl get pods --all-namespaces -o wide",
        K(&["kubectl get pods -A -o wide"]),
    ),
    (
        "kubectl get pods -l app=web,tier=front",
        K(&["kubectl get pods -n payments -l app=web,tier=front"]),
    ),
    (
        "kubectl get pods --selector 'app in (a,b)'",
        K(&["kubectl get pods -n payments -l 'app in (a,b)'"]),
    ),
    (
        "kubectl get pods --field-selector=status.phase=Running",
        K(&["kubectl get pods -n payments --field-selector status.phase=Running"]),
    ),
    ("kubectl get nodes", K(&["kubectl get nodes"])),
    ("kubectl get nodes -n prod", K(&["kubectl get nodes"])),
    ("kubectl get ns", K(&["kubectl get namespaces"])),
    ("kubectl get pv", K(&["kubectl get persistentvolumes"])),
    (
        "kubectl get widgets.example.com -n prod",
        K(&["kubectl get widgets.example.com -n prod"]),
    ),
    (
        "kubectl get deploy/payment-api -o json",
        K(&["kubectl get deployments payment-api -n payments -o json"]),
    ),
    (
        "kubectl get pods,svc -n prod",
        K(&["kubectl get pods -n prod", "kubectl get services -n prod"]),
    ),
    (
        "kubectl get pods -o name",
        K(&["kubectl get pods -n payments -o name"]),
    ),
    (
        "kubectl get svc -nprod",
        K(&["kubectl get services -n prod"]),
    ),
    (
        "kubectl get pods --namespace=prod",
        K(&["kubectl get pods -n prod"]),
    ),
    (
        "kubectl get pods --context staging-us",
        On("staging-us", &["kubectl get pods -n payments"]),
    ),
    (
        "kubectl get pods --context=staging-uz",
        Clarify("did you mean staging-us"),
    ),
    (
        "kubectl get pods --context qa-1",
        No("the clusters I know are prod-eu, staging-us"),
    ),
    ("kubectl get events", K(&["kubectl events -n payments"])),
    (
        "kubectl get pdos",
        Clarify("I don't know the kind \"pdos\" — did you mean pods?"),
    ),
    // Not a built-in kind: it may be a CRD's name; discovery decides when the plan runs.
    ("kubectl get zebras", K(&["kubectl get zebras -n payments"])),
    ("kubectl get wd -A", K(&["kubectl get wd -A"])),
    ("kubectl get 9lives", No("I don't know the kind \"9lives\"")),
    ("kubectl get pods -o jsonpath='{.items}'", No("jsonpath")),
    ("kubectl get pods --show-labels", No("--show-labels")),
    ("kubectl get pods -w", No("watch")),
    ("kubectl get pods --sort-by=.metadata.name", No("--sort-by")),
    ("kubectl get", Clarify("Get what?")),
    ("kubectl get pods -n Prod_1", No("not a valid namespace")),
    // ── kubectl syntax: describe, logs, events, top, auth ─────────────────────────────────
    (
        "kubectl describe deploy payment-api",
        K(&["kubectl describe deployments payment-api -n payments"]),
    ),
    (
        "describe pod/checkout-7d9f -n prod",
        K(&["kubectl describe pods checkout-7d9f -n prod"]),
    ),
    (
        "kubectl describe node n1",
        K(&["kubectl describe nodes n1"]),
    ),
    (
        "kubectl describe pods",
        Clarify("Describe which of the pods?"),
    ),
    (
        "kubectl logs checkout-7d9f",
        K(&["kubectl logs checkout-7d9f -n payments"]),
    ),
    (
        "kubectl logs checkout-7d9f -c app --tail 50 --since=5m -p",
        K(&["kubectl logs checkout-7d9f -n payments -c app --tail=50 --since=5m --previous"]),
    ),
    (
        "logs checkout-7d9f --since 2h --tail=10 -n prod",
        K(&["kubectl logs checkout-7d9f -n prod --tail=10 --since=2h"]),
    ),
    (
        "kubectl logs pod/checkout-7d9f app --since=30s",
        K(&["kubectl logs checkout-7d9f -n payments -c app --since=30s"]),
    ),
    (
        "kubectl logs checkout-7d9f --previous=true --tail=-1",
        K(&["kubectl logs checkout-7d9f -n payments --previous"]),
    ),
    (
        "kubectl logs deploy/payment-api",
        Clarify("Logs of which pod?"),
    ),
    ("kubectl logs", Clarify("Logs of which pod?")),
    ("kubectl logs checkout-7d9f -f", No("follow logs")),
    ("kubectl logs checkout-7d9f --since=soon", No("--since")),
    (
        "kubectl events --for pod/checkout-7d9f",
        K(&["kubectl events -n payments --for=pod/checkout-7d9f"]),
    ),
    ("kubectl events -A", K(&["kubectl events -A"])),
    (
        "kubectl events --for=node/n1",
        K(&["kubectl events -A --for=node/n1"]),
    ),
    ("kubectl top pods -n prod", K(&["kubectl top pods -n prod"])),
    ("kubectl top nodes", K(&["kubectl top nodes"])),
    (
        "kubectl top pod checkout-7d9f",
        K(&["kubectl top pods checkout-7d9f -n payments"]),
    ),
    ("kubectl top", Clarify("pods or of nodes")),
    (
        "kubectl auth can-i delete pods -n prod",
        K(&["kubectl auth can-i delete pods -n prod"]),
    ),
    (
        "kubectl auth can-i get pods/foo",
        K(&["kubectl auth can-i get pods/foo -n payments"]),
    ),
    (
        "kubectl auth can-i list nodes",
        K(&["kubectl auth can-i list nodes"]),
    ),
    ("kubectl auth can-i frobnicate pods", No("not an API verb")),
    ("kubectl auth whoami", No("auth can-i")),
    // ── kubectl syntax: writes ────────────────────────────────────────────────────────────
    (
        "kubectl rollout status deploy/payment-api",
        K(&["kubectl rollout status deployment/payment-api -n payments"]),
    ),
    (
        "kubectl rollout history sts/db -n prod",
        K(&["kubectl rollout history statefulset/db -n prod"]),
    ),
    (
        "kubectl rollout restart deployment payment-api",
        K(&["kubectl rollout restart deployment/payment-api -n payments"]),
    ),
    (
        "kubectl rollout undo deploy/payment-api --to-revision=3",
        K(&["kubectl rollout undo deployment/payment-api -n payments --to-revision=3"]),
    ),
    (
        "kubectl rollout restart deployment",
        Clarify("rollout restart of which"),
    ),
    ("kubectl rollout pause deploy/x", No("rollout pause")),
    ("kubectl rollout restart svc/web", No("cannot restart")),
    (
        "kubectl scale deploy/payment-api --replicas=3",
        K(&["kubectl scale deployment/payment-api -n payments --replicas=3"]),
    ),
    (
        "kubectl scale deployment payment-api --replicas 0 -n prod",
        K(&["kubectl scale deployment/payment-api -n prod --replicas=0"]),
    ),
    (
        "scale --replicas=2 sts/db",
        K(&["kubectl scale statefulset/db -n payments --replicas=2"]),
    ),
    (
        "kubectl scale deploy/payment-api",
        Clarify("to how many replicas"),
    ),
    (
        "kubectl scale deploy/payment-api --replicas=-1",
        Clarify("cannot be negative"),
    ),
    (
        "kubectl scale deploy/payment-api --replicas=3 --current-replicas=2",
        No("--current-replicas"),
    ),
    (
        "kubectl scale pod/x --replicas=3",
        Clarify("A pod cannot scale"),
    ),
    (
        "kubectl set image deploy/payment-api app=registry/pay:1.4.2",
        K(&["kubectl set image deployment/payment-api app=registry/pay:1.4.2 -n payments"]),
    ),
    (
        "kubectl set image deployment payment-api *=registry/pay:1.4.2 -n prod",
        K(&["kubectl set image deployment/payment-api '*=registry/pay:1.4.2' -n prod"]),
    ),
    ("kubectl set image deploy/payment-api", Clarify("to what?")),
    ("kubectl set env deploy/payment-api A=b", No("set image")),
    (
        "kubectl delete pod checkout-7d9f",
        K(&["kubectl delete pod checkout-7d9f -n payments"]),
    ),
    (
        "delete pod/checkout-7d9f pod/checkout-8e1a -n prod",
        K(&[
            "kubectl delete pod checkout-7d9f -n prod",
            "kubectl delete pod checkout-8e1a -n prod",
        ]),
    ),
    (
        "kubectl delete ns old-team",
        K(&["kubectl delete namespace old-team"]),
    ),
    (
        "kubectl delete pods --all",
        No("delete by selector or --all"),
    ),
    (
        "kubectl delete pods -l app=web",
        No("delete by selector or --all"),
    ),
    ("kubectl delete pod", Clarify("Delete which of the pods?")),
    ("kubectl delete pod x --force", No("--force")),
    ("kubectl cordon n1", K(&["kubectl cordon n1"])),
    ("kubectl uncordon n1", K(&["kubectl uncordon n1"])),
    (
        "kubectl drain n1 --ignore-daemonsets --delete-emptydir-data",
        K(&["kubectl drain n1 --ignore-daemonsets --delete-emptydir-data"]),
    ),
    ("kubectl drain n1", K(&["kubectl drain n1"])),
    ("kubectl drain n1 --force", No("--force")),
    (
        "kubectl label pod checkout-7d9f team=checkout tier- --overwrite",
        K(&["kubectl label pod checkout-7d9f team=checkout tier- --overwrite -n payments"]),
    ),
    (
        "kubectl label nodes n1 disk=ssd",
        K(&["kubectl label node n1 disk=ssd"]),
    ),
    (
        "kubectl annotate deploy/payment-api 'note=moved to v2'",
        K(&["kubectl annotate deployment payment-api 'note=moved to v2' -n payments"]),
    ),
    ("kubectl label pod x 'bad key=1'", No("not a valid label")),
    ("kubectl label pod x", Clarify("Which labels?")),
    (
        "kubectl patch deploy payment-api --type merge -p '{\"spec\":{\"replicas\":2}}'",
        K(&[
            "kubectl patch deployment payment-api -n payments --type=merge -p '{\"spec\":{\"replicas\":2}}'",
        ]),
    ),
    (
        "kubectl patch node n1 -p '{\"spec\":{\"unschedulable\":true}}'",
        K(&["kubectl patch node n1 --type=strategic -p '{\"spec\":{\"unschedulable\":true}}'"]),
    ),
    (
        "kubectl patch deploy/x --type=json -p='[{\"op\":\"remove\",\"path\":\"/spec/x\"}]'",
        K(&[
            "kubectl patch deployment x -n payments --type=json -p '[{\"op\":\"remove\",\"path\":\"/spec/x\"}]'",
        ]),
    ),
    (
        "kubectl patch deploy x --type=json -p '{\"a\":1}'",
        No("list of operations"),
    ),
    ("kubectl patch deploy x -p '{oops'", No("not valid JSON")),
    (
        "kubectl create job backfill --from=cronjob/nightly",
        K(&["kubectl create job backfill --from=cronjob/nightly -n payments"]),
    ),
    ("kubectl create deployment web --image=nginx", No("apply")),
    ("kubectl get pods 'unclosed", No("quote is not closed")),
    // ── refusals ─────────────────────────────────────────────────────────────────────────
    ("kubectl exec -it checkout-7d9f -- sh", No("exec")),
    ("exec into checkout-7d9f", No("exec")),
    ("kubectl port-forward svc/web 8080:80", No("port-forward")),
    ("port forward to the web service", No("port-forward")),
    ("kubectl cp checkout-7d9f:/tmp/a ./a", No("copy files")),
    ("kubectl edit deploy payment-api", No("editor")),
    ("edit deployment payment-api", No("editor")),
    ("kubectl run tmp --image=busybox", No("ad-hoc pods")),
    ("run nginx", No("ad-hoc pods")),
    ("kubectl proxy", No("proxy")),
    ("kubectl attach checkout-7d9f", No("attach")),
    ("kubectl apply --dry-run=server -f -", No("dry-run")),
    ("kubectl delete pod x --dry-run=client", No("dry-run")),
    ("kubectl get pods --as admin", No("impersonation")),
    ("kubectl frobnicate pods", No("not a kubectl command")),
    ("kubectl version", No("does not support kubectl version")),
    // ── English: reads ───────────────────────────────────────────────────────────────────
    ("show pods in prod", K(&["kubectl get pods -n prod"])),
    ("list the pods", K(&["kubectl get pods -n payments"])),
    (
        "what are the deployments in billing?",
        K(&["kubectl get deployments -n billing"]),
    ),
    ("display services", K(&["kubectl get services -n payments"])),
    ("get me all pods everywhere", K(&["kubectl get pods -A"])),
    ("pods", K(&["kubectl get pods -n payments"])),
    ("show nodes", K(&["kubectl get nodes"])),
    ("list namespaces", K(&["kubectl get namespaces"])),
    ("show pods in all namespaces", K(&["kubectl get pods -A"])),
    (
        "show pods across all namespaces",
        K(&["kubectl get pods -A"]),
    ),
    (
        "show deployment payment-api as yaml",
        K(&["kubectl get deployments payment-api -n payments -o yaml"]),
    ),
    (
        "show the payment-api deployment in json",
        K(&["kubectl get deployments payment-api -n payments -o json"]),
    ),
    (
        "show pods with label app=web",
        K(&["kubectl get pods -n payments -l app=web"]),
    ),
    (
        "list pods on node n1",
        K(&["kubectl get pods -n payments --field-selector spec.nodeName=n1"]),
    ),
    (
        "show pods in payments on staging-us",
        On("staging-us", &["kubectl get pods -n payments"]),
    ),
    (
        "show pods in billing in cluster staging-us",
        On("staging-us", &["kubectl get pods -n billing"]),
    ),
    (
        "show pods in staging-us",
        On("staging-us", &["kubectl get pods -n payments"]),
    ),
    (
        "show pods in the billing namespace",
        K(&["kubectl get pods -n billing"]),
    ),
    (
        "show pods in namespace billing",
        K(&["kubectl get pods -n billing"]),
    ),
    (
        "show pods on qa-7",
        Clarify("I don't know a cluster called \"qa-7\""),
    ),
    (
        "show pods in staging-su",
        Clarify("Did you mean cluster staging-us"),
    ),
    (
        "show widgets.example.com in prod",
        K(&["kubectl get widgets.example.com -n prod"]),
    ),
    (
        "show pdos",
        Clarify("I don't know the kind \"pdos\" — did you mean pods?"),
    ),
    (
        "show deploymnets in prod",
        Clarify("did you mean deployments?"),
    ),
    (
        "show payment-api",
        Clarify("which kind: deployment payment-api or pod payment-api?"),
    ),
    ("show payment-api pods", Clarify("namespace payment-api")),
    ("show pods -n prod", K(&["kubectl get pods -n prod"])),
    (
        "what's running in prod?",
        K(&["kubectl get pods -n prod --field-selector status.phase=Running"]),
    ),
    (
        "describe deployment payment-api",
        K(&["kubectl describe deployments payment-api -n payments"]),
    ),
    (
        "details of pod checkout-7d9f in prod",
        K(&["kubectl describe pods checkout-7d9f -n prod"]),
    ),
    ("tell me about node n1", K(&["kubectl describe nodes n1"])),
    (
        "describe payment-api",
        Clarify("which kind: deployment payment-api or pod payment-api?"),
    ),
    (
        "logs of checkout-7d9f in prod, last 100 lines",
        K(&["kubectl logs checkout-7d9f -n prod --tail=100"]),
    ),
    (
        "show me the logs for checkout-7d9f",
        K(&["kubectl logs checkout-7d9f -n payments"]),
    ),
    (
        "checkout-7d9f logs since 10 minutes",
        K(&["kubectl logs checkout-7d9f -n payments --since=10m"]),
    ),
    (
        "logs from checkout-7d9f for the last 2 hours",
        K(&["kubectl logs checkout-7d9f -n payments --since=2h"]),
    ),
    (
        "previous logs of checkout-7d9f",
        K(&["kubectl logs checkout-7d9f -n payments --previous"]),
    ),
    (
        "logs of checkout-7d9f from the previous container",
        K(&["kubectl logs checkout-7d9f -n payments --previous"]),
    ),
    (
        "logs of checkout-7d9f before it crashed",
        K(&["kubectl logs checkout-7d9f -n payments --previous"]),
    ),
    (
        "logs of checkout-7d9f container app, last 20 lines",
        K(&["kubectl logs checkout-7d9f -n payments -c app --tail=20"]),
    ),
    (
        "logs of the sidecar container in checkout-7d9f",
        K(&["kubectl logs checkout-7d9f -n payments -c sidecar"]),
    ),
    (
        "tail 50 lines of checkout-7d9f",
        K(&["kubectl logs checkout-7d9f -n payments --tail=50"]),
    ),
    (
        "logs of checkout-7d9f in the last hour",
        K(&["kubectl logs checkout-7d9f -n payments --since=1h"]),
    ),
    (
        "logs of checkout-7d9f since 5m",
        K(&["kubectl logs checkout-7d9f -n payments --since=5m"]),
    ),
    (
        "logs of deployment payment-api",
        Clarify("deployment payment-api is not a pod"),
    ),
    ("logs", Clarify("Logs of which pod?")),
    ("stream logs of checkout-7d9f", No("follow or stream logs")),
    ("events in prod", K(&["kubectl events -n prod"])),
    ("show recent events", K(&["kubectl events -n payments"])),
    (
        "events for pod checkout-7d9f",
        K(&["kubectl events -n payments --for=pod/checkout-7d9f"]),
    ),
    (
        "events of deployment payment-api in prod",
        K(&["kubectl events -n prod --for=deployment/payment-api"]),
    ),
    (
        "events for node n1",
        K(&["kubectl events -A --for=node/n1"]),
    ),
    ("events for payment-api", Clarify("which kind")),
    ("top pods", K(&["kubectl top pods -n payments"])),
    (
        "cpu usage of pods in prod",
        K(&["kubectl top pods -n prod"]),
    ),
    ("memory of nodes", K(&["kubectl top nodes"])),
    (
        "which pods use the most memory in prod",
        K(&["kubectl top pods -n prod"]),
    ),
    (
        "resource usage of pod checkout-7d9f",
        K(&["kubectl top pods checkout-7d9f -n payments"]),
    ),
    ("cpu usage", Clarify("pods or of nodes")),
    (
        "what's failing in payments?",
        K(&["kubectl get pods -n payments --field-selector 'status.phase!=Succeeded'"]),
    ),
    (
        "what is broken in prod",
        K(&["kubectl get pods -n prod --field-selector 'status.phase!=Succeeded'"]),
    ),
    (
        "anything unhealthy everywhere?",
        K(&["kubectl get pods -A --field-selector 'status.phase!=Succeeded'"]),
    ),
    (
        "show failing pods",
        K(&["kubectl get pods -n payments --field-selector 'status.phase!=Succeeded'"]),
    ),
    (
        "which pods are crashing in prod",
        K(&["kubectl get pods -n prod --field-selector 'status.phase!=Succeeded'"]),
    ),
    (
        "why is checkout crashing in prod",
        K(&["kubectl describe pods -n prod -l app=checkout"]),
    ),
    (
        "why is payment-api pending?",
        K(&["kubectl describe pods -n payments -l app=payment-api"]),
    ),
    (
        "why does checkout keep restarting",
        K(&["kubectl describe pods -n payments -l app=checkout"]),
    ),
    (
        "why is checkout not starting on staging-us",
        On(
            "staging-us",
            &["kubectl describe pods -n payments -l app=checkout"],
        ),
    ),
    (
        "what's wrong with payment-api",
        K(&["kubectl describe pods -n payments -l app=payment-api"]),
    ),
    (
        "diagnose checkout",
        K(&["kubectl describe pods -n payments -l app=checkout"]),
    ),
    (
        "is payment-api healthy",
        K(&["kubectl describe pods -n payments -l app=payment-api"]),
    ),
    ("why", Clarify("Name the pod or deployment")),
    (
        "why is node n1 not ready",
        K(&["kubectl describe nodes n1"]),
    ),
    (
        "why is pvc data pending",
        K(&["kubectl describe persistentvolumeclaims data -n payments"]),
    ),
    (
        "can I delete pods in prod?",
        K(&["kubectl auth can-i delete pods -n prod"]),
    ),
    (
        "am I allowed to restart payment-api",
        K(&["kubectl auth can-i patch deployments/payment-api -n payments"]),
    ),
    (
        "can I see secrets",
        K(&["kubectl auth can-i list secrets -n payments"]),
    ),
    ("can i drain nodes", No("not \"drain\"")),
    (
        "rollout status of payment-api",
        K(&["kubectl rollout status deployment/payment-api -n payments"]),
    ),
    (
        "is the rollout of payment-api done?",
        K(&["kubectl rollout status deployment/payment-api -n payments"]),
    ),
    (
        "rollout history of payment-api in prod",
        K(&["kubectl rollout history deployment/payment-api -n prod"]),
    ),
    (
        "show revisions of statefulset db",
        K(&["kubectl rollout history statefulset/db -n payments"]),
    ),
    // ── English: writes ──────────────────────────────────────────────────────────────────
    (
        "scale payment-api in prod to 5",
        K(&["kubectl scale deployment/payment-api -n prod --replicas=5"]),
    ),
    (
        "scale payment-api to 3 replicas",
        K(&["kubectl scale deployment/payment-api -n payments --replicas=3"]),
    ),
    (
        "scale up payment-api to 10",
        K(&["kubectl scale deployment/payment-api -n payments --replicas=10"]),
    ),
    (
        "scale down the payment-api deployment to two",
        K(&["kubectl scale deployment/payment-api -n payments --replicas=2"]),
    ),
    (
        "please scale statefulset db to 3 pods",
        K(&["kubectl scale statefulset/db -n payments --replicas=3"]),
    ),
    (
        "set replicas of payment-api to 4",
        K(&["kubectl scale deployment/payment-api -n payments --replicas=4"]),
    ),
    (
        "scale payment-api to 0",
        K(&["kubectl scale deployment/payment-api -n payments --replicas=0"]),
    ),
    (
        "scale payment-api 6",
        K(&["kubectl scale deployment/payment-api -n payments --replicas=6"]),
    ),
    (
        "scale payment-api on staging-us to 2",
        On(
            "staging-us",
            &["kubectl scale deployment/payment-api -n payments --replicas=2"],
        ),
    ),
    ("scale payment-api", Clarify("to how many replicas?")),
    ("scale payment-api to -1", Clarify("cannot be negative")),
    (
        "scale payment-api to 5000",
        Clarify("Did you really mean 5000 replicas"),
    ),
    (
        "scale payment-api by 2",
        Clarify("exact number of replicas"),
    ),
    ("scale to 3", Clarify("Scale which deployment?")),
    (
        "scale pod checkout-7d9f to 2",
        Clarify("A pod cannot scale"),
    ),
    (
        "restart payment-api",
        K(&["kubectl rollout restart deployment/payment-api -n payments"]),
    ),
    (
        "@kubechat could you please restart payment-api in prod?",
        K(&["kubectl rollout restart deployment/payment-api -n prod"]),
    ),
    (
        "bounce payment-api",
        K(&["kubectl rollout restart deployment/payment-api -n payments"]),
    ),
    (
        "redeploy the checkout deployment",
        K(&["kubectl rollout restart deployment/checkout -n payments"]),
    ),
    (
        "restart daemonset node-exporter in monitoring",
        K(&["kubectl rollout restart daemonset/node-exporter -n monitoring"]),
    ),
    (
        "restart all the pods of payment-api",
        K(&["kubectl rollout restart deployment/payment-api -n payments"]),
    ),
    (
        "rolling restart of payment-api",
        K(&["kubectl rollout restart deployment/payment-api -n payments"]),
    ),
    ("restart", Clarify("Restart which deployment?")),
    ("restart pod checkout-7d9f", Clarify("A pod cannot restart")),
    ("restart node n1", No("reboot nodes")),
    (
        "roll back payment-api in prod",
        K(&["kubectl rollout undo deployment/payment-api -n prod"]),
    ),
    (
        "rollback payment-api",
        K(&["kubectl rollout undo deployment/payment-api -n payments"]),
    ),
    (
        "revert payment-api to revision 3",
        K(&["kubectl rollout undo deployment/payment-api -n payments --to-revision=3"]),
    ),
    (
        "undo the rollout of payment-api",
        K(&["kubectl rollout undo deployment/payment-api -n payments"]),
    ),
    (
        "roll payment-api back to the previous version",
        K(&["kubectl rollout undo deployment/payment-api -n payments"]),
    ),
    (
        "roll back payment-api to 1.4.1",
        Clarify("rolls back by revision number"),
    ),
    ("roll back payment-api to 3", Clarify("to revision 3")),
    (
        "set image of payment-api to registry/pay:1.4.2",
        K(&["kubectl set image deployment/payment-api '*=registry/pay:1.4.2' -n payments"]),
    ),
    (
        "set the image of payment-api container app to registry/pay:1.4.2",
        K(&["kubectl set image deployment/payment-api app=registry/pay:1.4.2 -n payments"]),
    ),
    (
        "update payment-api to registry/pay:1.4.2 in prod",
        K(&["kubectl set image deployment/payment-api '*=registry/pay:1.4.2' -n prod"]),
    ),
    (
        "change image of statefulset db to postgres:16.2",
        K(&["kubectl set image statefulset/db '*=postgres:16.2' -n payments"]),
    ),
    (
        "set image of payment-api to nginx",
        K(&["kubectl set image deployment/payment-api '*=nginx' -n payments"]),
    ),
    (
        "set image of payment-api app=registry/pay:2",
        K(&["kubectl set image deployment/payment-api app=registry/pay:2 -n payments"]),
    ),
    ("set image of payment-api", Clarify("to what?")),
    (
        "update payment-api to 1.4.2",
        Clarify("looks like a version"),
    ),
    (
        "delete pod checkout-7d9f",
        K(&["kubectl delete pod checkout-7d9f -n payments"]),
    ),
    (
        "kill the checkout-7d9f pod in prod",
        K(&["kubectl delete pod checkout-7d9f -n prod"]),
    ),
    (
        "remove deployment old-api",
        K(&["kubectl delete deployment old-api -n payments"]),
    ),
    (
        "delete namespace old-team",
        K(&["kubectl delete namespace old-team"]),
    ),
    (
        "delete payment-api",
        Clarify("delete which kind: deployment payment-api or pod payment-api?"),
    ),
    ("delete pods", Clarify("Delete which of the pods?")),
    ("delete the pods", Clarify("Delete which pod?")),
    ("delete all pods in prod", No("delete by selector or --all")),
    ("delete the failing pods", No("delete by selector or --all")),
    ("delete pdo checkout-7d9f", Clarify("did you mean pod?")),
    ("cordon node n1", K(&["kubectl cordon n1"])),
    ("cordon n1", K(&["kubectl cordon n1"])),
    ("uncordon node n1", K(&["kubectl uncordon n1"])),
    (
        "drain node n1",
        K(&["kubectl drain n1 --ignore-daemonsets"]),
    ),
    (
        "drain n1 and delete emptydir data",
        K(&["kubectl drain n1 --ignore-daemonsets --delete-emptydir-data"]),
    ),
    ("mark node n2 as unschedulable", K(&["kubectl cordon n2"])),
    ("cordon", Clarify("Cordon which node?")),
    ("cordon deployment x", No("only nodes")),
    (
        "label pod checkout-7d9f team=a",
        K(&["kubectl label pod checkout-7d9f team=a -n payments"]),
    ),
    (
        "add label tier=web to deployment payment-api",
        K(&["kubectl label deployment payment-api tier=web -n payments"]),
    ),
    (
        "remove label team from pod checkout-7d9f",
        K(&["kubectl label pod checkout-7d9f team- -n payments"]),
    ),
    (
        "annotate deployment payment-api owner=sre",
        K(&["kubectl annotate deployment payment-api owner=sre -n payments"]),
    ),
    (
        "label node n1 disk=ssd, overwrite",
        K(&["kubectl label node n1 disk=ssd --overwrite"]),
    ),
    (
        "label checkout-7d9f team=a",
        Clarify("which kind: deployment checkout-7d9f or pod checkout-7d9f?"),
    ),
    (
        "create a job from cronjob nightly",
        K(&["kubectl create job nightly-manual --from=cronjob/nightly -n payments"]),
    ),
    (
        "create job backfill-1 from cronjob nightly in prod",
        K(&["kubectl create job backfill-1 --from=cronjob/nightly -n prod"]),
    ),
    (
        "run cronjob nightly now",
        K(&["kubectl create job nightly-manual --from=cronjob/nightly -n payments"]),
    ),
    (
        "trigger the nightly cronjob",
        K(&["kubectl create job nightly-manual --from=cronjob/nightly -n payments"]),
    ),
    ("trigger a job", Clarify("from which cronjob?")),
    ("stop payment-api", Clarify("scale payment-api to 0")),
    ("patch deployment payment-api", Clarify("with what?")),
    ("patch the payment-api deployment", No("kubectl syntax")),
    ("create namespace foo", No("applying a manifest")),
    // ── questions are not orders ─────────────────────────────────────────────────────────
    ("should I restart payment-api?", No("reads as a question")),
    (
        "how do I scale payment-api to 3",
        No("kubectl scale deployment/payment-api -n payments --replicas=3"),
    ),
    (
        "what happens if I delete pod checkout-7d9f",
        No("won't change anything"),
    ),
    (
        "how do I see the pods in prod",
        K(&["kubectl get pods -n prod"]),
    ),
    // ── words that must never become names, and one request at a time ────────────────────
    ("restart payment-api and checkout", No("not \"and\"")),
    (
        "scale payment-api to 3 and restart checkout",
        Clarify("One request at a time"),
    ),
    (
        "set image of payment-api to registry/pay:1.4.2 and restart it",
        Clarify("One request at a time"),
    ),
    ("drain all nodes", No("not \"all\"")),
    ("cordon all nodes", No("not \"all\"")),
    ("label all pods team=a", No("not \"all\"")),
    ("restart everything", No("not \"everything\"")),
    (
        "delete everything in prod",
        No("delete by selector or --all"),
    ),
    ("list pods sorted by restarts", No("not \"sorted\"")),
    ("show pods in prod and billing", No("not \"and\"")),
    (
        "kubectl get pods in prod",
        No("\"in\" would be read as an object name"),
    ),
    ("kubectl label pod x app=web app=api", Clarify("two values")),
    ("scale payment-api to 2.5", Clarify("whole numbers")),
    ("deploy payment-api", Clarify("Deploy what, exactly?")),
    (
        "deploy registry/pay:1.4.2 to payment-api",
        K(&["kubectl set image deployment/payment-api '*=registry/pay:1.4.2' -n payments"]),
    ),
    (
        "get rid of pod checkout-7d9f",
        K(&["kubectl delete pod checkout-7d9f -n payments"]),
    ),
    (
        "I think payment-api is broken",
        K(&["kubectl describe pods -n payments -l app=payment-api"]),
    ),
    (
        "payment-api is down!",
        K(&["kubectl describe pods -n payments -l app=payment-api"]),
    ),
    (
        "how many pods are running in prod",
        K(&["kubectl get pods -n prod --field-selector status.phase=Running"]),
    ),
    ("show nodes that are not ready", K(&["kubectl get nodes"])),
    ("what's happening in prod", K(&["kubectl events -n prod"])),
    ("warnings in prod", K(&["kubectl events -n prod"])),
    (
        "show the last 50 lines of checkout-7d9f",
        K(&["kubectl logs checkout-7d9f -n payments --tail=50"]),
    ),
    (
        "what image does payment-api use",
        K(&["kubectl get deployments payment-api -n payments -o wide"]),
    ),
    (
        "what version is payment-api running",
        K(&["kubectl get deployments payment-api -n payments -o wide"]),
    ),
    (
        "get pods running on node n1",
        K(
            &[
                "kubectl get pods -n payments --field-selector status.phase=Running,spec.nodeName=n1",
            ],
        ),
    ),
    (
        "Restart Payment-API",
        K(&["kubectl rollout restart deployment/payment-api -n payments"]),
    ),
    (
        "rollout restart payment-api",
        K(&["kubectl rollout restart deployment/payment-api -n payments"]),
    ),
    (
        "kubectl get pods -A -n prod",
        Clarify("namespace prod and for all namespaces"),
    ),
    ("can I scale payment-api", No("not \"scale\"")),
    ("nuke payment-api", No("\"nuke\"")),
    // ── more paraphrases ─────────────────────────────────────────────────────────────────
    (
        "*restart* payment-api 🙏",
        K(&["kubectl rollout restart deployment/payment-api -n payments"]),
    ),
    (
        "hey kubechat\nrestart `payment-api`\nthanks",
        K(&["kubectl rollout restart deployment/payment-api -n payments"]),
    ),
    (
        "why is payment-api failing",
        K(&["kubectl describe pods -n payments -l app=payment-api"]),
    ),
    (
        "why is payment-api restarting",
        K(&["kubectl describe pods -n payments -l app=payment-api"]),
    ),
    (
        "why won't checkout start",
        K(&["kubectl describe pods -n payments -l app=checkout"]),
    ),
    (
        "status of payment-api",
        K(&["kubectl describe pods -n payments -l app=payment-api"]),
    ),
    (
        "logs of checkout-7d9f since an hour",
        K(&["kubectl logs checkout-7d9f -n payments --since=1h"]),
    ),
    (
        "logs of checkout-7d9f from the last 15 minutes",
        K(&["kubectl logs checkout-7d9f -n payments --since=15m"]),
    ),
    (
        "last 100 lines of logs of checkout-7d9f in prod",
        K(&["kubectl logs checkout-7d9f -n prod --tail=100"]),
    ),
    (
        "logs for checkout-7d9f -c app --tail 20",
        K(&["kubectl logs checkout-7d9f -n payments -c app --tail=20"]),
    ),
    (
        "show me the crashed container logs of checkout-7d9f",
        K(&["kubectl logs checkout-7d9f -n payments --previous"]),
    ),
    (
        "logs of pod/checkout-7d9f",
        K(&["kubectl logs checkout-7d9f -n payments"]),
    ),
    (
        "restart deploy/payment-api in prod",
        K(&["kubectl rollout restart deployment/payment-api -n prod"]),
    ),
    (
        "restart payment-api --context staging-us",
        On(
            "staging-us",
            &["kubectl rollout restart deployment/payment-api -n payments"],
        ),
    ),
    (
        "scale payment-api to 3 on prod",
        Clarify("If prod is a node, say \"on node prod\"; if it is a namespace, say \"in prod\""),
    ),
    (
        "scale deployment old-api to 2 everywhere",
        Clarify("needs one namespace"),
    ),
    (
        "show hpa in prod",
        K(&["kubectl get horizontalpodautoscalers -n prod"]),
    ),
    (
        "describe svc web",
        K(&["kubectl describe services web -n payments"]),
    ),
    (
        "terminate pod x in prod",
        K(&["kubectl delete pod x -n prod"]),
    ),
    (
        "upgrade payment-api to registry/pay:1.5.0",
        K(&["kubectl set image deployment/payment-api '*=registry/pay:1.5.0' -n payments"]),
    ),
    (
        "roll out registry/pay:1.5.0 to payment-api",
        K(&["kubectl set image deployment/payment-api '*=registry/pay:1.5.0' -n payments"]),
    ),
    ("mark n1 schedulable again", K(&["kubectl uncordon n1"])),
    (
        "unlabel pod x team",
        K(&["kubectl label pod x team- -n payments"]),
    ),
    (
        "remove annotation note from pod x",
        K(&["kubectl annotate pod x note- -n payments"]),
    ),
    (
        "annotate pod x note=hello world",
        No("a value with spaces needs kubectl syntax"),
    ),
    (
        "create job from cronjob nightly named test-1",
        K(&["kubectl create job test-1 --from=cronjob/nightly -n payments"]),
    ),
    ("shut down payment-api", Clarify("scale payment-api to 0")),
    ("start payment-api", Clarify("how many replicas?")),
    (
        "show pods where app=web",
        K(&["kubectl get pods -n payments -l app=web"]),
    ),
    (
        "list pods matching tier!=frontend",
        K(&["kubectl get pods -n payments -l 'tier!=frontend'"]),
    ),
    ("which node uses the most memory", K(&["kubectl top nodes"])),
    (
        "can I create deployments in prod",
        K(&["kubectl auth can-i create deployments -n prod"]),
    ),
    (
        "can I get secrets on staging-us",
        On(
            "staging-us",
            &["kubectl auth can-i get secrets -n payments"],
        ),
    ),
    (
        "am I allowed to delete nodes",
        K(&["kubectl auth can-i delete nodes"]),
    ),
    ("can I view logs", No("subresources")),
    (
        "how is the rollout of payment-api going",
        K(&["kubectl rollout status deployment/payment-api -n payments"]),
    ),
    (
        "has payment-api finished rolling out",
        K(&["kubectl rollout status deployment/payment-api -n payments"]),
    ),
    // ── help and vague text ──────────────────────────────────────────────────────────────
    ("help", Help),
    ("what can you do?", Help),
    ("@kubechat", Help),
    ("kubectl", Help),
    ("hello", Help),
    ("make it faster", No("make")),
    ("the database is slow", No("the")),
    ("something about scaling", No("something")),
    ("show", No("which kind of object")),
    ("in prod", No("what to do there")),
];

/// Follow-ups: (last target kind, last target name, utterance, expected).
const FOLLOW_UPS: &[(&str, &str, &str, Want)] = &[
    (
        "deployments",
        "payment-api",
        "restart it",
        K(&["kubectl rollout restart deployment/payment-api -n payments"]),
    ),
    (
        "deployments",
        "payment-api",
        "scale it to 3",
        K(&["kubectl scale deployment/payment-api -n payments --replicas=3"]),
    ),
    (
        "deployments",
        "payment-api",
        "roll it back",
        K(&["kubectl rollout undo deployment/payment-api -n payments"]),
    ),
    (
        "deployments",
        "payment-api",
        "describe it",
        K(&["kubectl describe deployments payment-api -n payments"]),
    ),
    (
        "deployments",
        "payment-api",
        "set its image to registry/pay:2.0.0",
        K(&["kubectl set image deployment/payment-api '*=registry/pay:2.0.0' -n payments"]),
    ),
    (
        "deployments",
        "payment-api",
        "show its logs",
        Clarify("deployment payment-api is not a pod"),
    ),
    (
        "deployments",
        "payment-api",
        "why is it failing?",
        K(&["kubectl describe pods -n payments -l app=payment-api"]),
    ),
    (
        "statefulsets",
        "db",
        "restart it in prod",
        K(&["kubectl rollout restart statefulset/db -n prod"]),
    ),
    (
        "pods",
        "checkout-7d9f",
        "show its logs",
        K(&["kubectl logs checkout-7d9f -n payments"]),
    ),
    (
        "pods",
        "checkout-7d9f",
        "show its logs, last 20 lines",
        K(&["kubectl logs checkout-7d9f -n payments --tail=20"]),
    ),
    (
        "pods",
        "checkout-7d9f",
        "delete it",
        K(&["kubectl delete pod checkout-7d9f -n payments"]),
    ),
    (
        "pods",
        "checkout-7d9f",
        "restart it",
        Clarify("A pod cannot restart"),
    ),
    (
        "pods",
        "checkout-7d9f",
        "events for it",
        K(&["kubectl events -n payments --for=pod/checkout-7d9f"]),
    ),
    ("nodes", "n1", "cordon it", K(&["kubectl cordon n1"])),
    (
        "nodes",
        "n1",
        "describe it",
        K(&["kubectl describe nodes n1"]),
    ),
    (
        "cronjobs",
        "nightly",
        "run it now",
        K(&["kubectl create job nightly-manual --from=cronjob/nightly -n payments"]),
    ),
];

fn check(utterance: &str, got: &Planned, want: &Want) -> Result<(), String> {
    let ok = match (want, got) {
        (K(lines), Planned::Plan(p)) => {
            p.cluster == "prod-eu" && !p.explicit_cluster && p.kubectl() == *lines
        }
        (On(cluster, lines), Planned::Plan(p)) => {
            p.cluster == *cluster && p.explicit_cluster && p.kubectl() == *lines
        }
        (Clarify(s), Planned::Clarify(m)) => m.to_lowercase().contains(&s.to_lowercase()),
        (No(s), Planned::NotUnderstood(m)) => m.to_lowercase().contains(&s.to_lowercase()),
        (Help, Planned::Help(_)) => true,
        _ => false,
    };
    if ok {
        return Ok(());
    }
    let got = match got {
        Planned::Plan(p) => format!(
            "Plan on {} (explicit: {}): {:#?}",
            p.cluster,
            p.explicit_cluster,
            p.kubectl()
        ),
        other => format!("{other:?}"),
    };
    Err(format!(
        "utterance: {utterance:?}\n   wanted: {want:?}\n      got: {got}\n"
    ))
}

#[test]
fn every_utterance_in_the_table_plans_as_expected() {
    let clusters = clusters();
    let mut failures = Vec::new();
    for (utterance, want) in ROWS.iter().chain(MANIFEST_ROWS) {
        let got = plan(utterance, &ctx(&clusters, None));
        if let Err(e) = check(utterance, &got, want) {
            failures.push(e);
        }
    }
    for (resource, name, utterance, want) in FOLLOW_UPS {
        let last = ObjectRef {
            resource: resource.to_string(),
            name: name.to_string(),
        };
        let got = plan(utterance, &ctx(&clusters, Some(&last)));
        if let Err(e) = check(utterance, &got, want) {
            failures.push(format!("(last target {resource}/{name}) {e}"));
        }
    }
    let total = ROWS.len() + MANIFEST_ROWS.len() + FOLLOW_UPS.len();
    assert!(
        failures.is_empty(),
        "{} of {total} utterances planned wrongly:\n\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn the_table_is_big_enough_to_mean_something() {
    let total = ROWS.len() + MANIFEST_ROWS.len() + FOLLOW_UPS.len();
    println!("{total} utterances");
    assert!(total >= 150);
}

fn planned(text: &str) -> kubechat::actions::Plan {
    let clusters = clusters();
    match plan(text, &ctx(&clusters, None)) {
        Planned::Plan(p) => p,
        other => panic!("{text:?} did not plan: {other:?}"),
    }
}

#[test]
fn risk_classes_follow_the_action() {
    assert_eq!(planned("show pods").risk(), Risk::Read);
    assert_eq!(planned("kubectl get pods -A").risk(), Risk::Read);
    assert_eq!(
        planned("delete pod checkout-7d9f").risk(),
        Risk::Destructive
    );
    assert_eq!(planned("scale payment-api to 0").risk(), Risk::Destructive);
    assert_eq!(planned("drain node n1").risk(), Risk::Destructive);
    assert_eq!(planned("scale payment-api to 2").risk(), Risk::Write);
    assert_eq!(planned("restart payment-api").risk(), Risk::Write);
    assert!(!planned("why is checkout crashing").is_write());
}

#[test]
fn explicit_cluster_and_namespace_are_flagged() {
    let p = planned("restart payment-api");
    assert!(!p.explicit_cluster && !p.explicit_namespace);
    assert_eq!(
        (p.cluster.as_str(), p.namespaces()),
        ("prod-eu", vec!["payments"])
    );

    let p = planned("restart payment-api in billing");
    assert!(!p.explicit_cluster && p.explicit_namespace);

    let p = planned("restart payment-api on staging-us");
    assert!(p.explicit_cluster && !p.explicit_namespace);
    assert_eq!(
        (p.cluster.as_str(), p.namespaces()),
        ("staging-us", vec!["payments"])
    );

    let p = planned("kubectl get pods -A --context staging-us");
    assert!(p.explicit_cluster && p.explicit_namespace);

    // A namespace named for a cluster-scoped kind does not count: nothing is namespaced.
    let p = planned("kubectl get nodes -n billing");
    assert!(!p.explicit_namespace);
}

#[test]
fn questions_and_vague_text_never_plan_a_write() {
    let clusters = clusters();
    for text in [
        "should I delete pod checkout-7d9f?",
        "can we restart payment-api",
        "is it safe to drain node n1",
        "do I need to scale payment-api to 5",
        "what if I roll back payment-api",
        "can I delete pods in prod?",
        "restart?",
        "delete",
        "scale",
    ] {
        if let Planned::Plan(p) = plan(text, &ctx(&clusters, None)) {
            assert!(!p.is_write(), "{text:?} planned a write: {:?}", p.kubectl());
        }
    }
}

#[test]
fn planning_is_deterministic() {
    let clusters = clusters();
    for (utterance, _) in ROWS {
        assert_eq!(
            plan(utterance, &ctx(&clusters, None)),
            plan(utterance, &ctx(&clusters, None)),
            "{utterance}"
        );
    }
}

/// Words the planner reacts to, for random sentences.
const VOCAB: &[&str] = &[
    "show",
    "pods",
    "in",
    "prod",
    "on",
    "staging-us",
    "restart",
    "scale",
    "to",
    "5",
    "-1",
    "delete",
    "pod",
    "x",
    "it",
    "logs",
    "of",
    "last",
    "100",
    "lines",
    "since",
    "10",
    "minutes",
    "why",
    "is",
    "crashing",
    "can",
    "i",
    "should",
    "and",
    "all",
    "deploy/x",
    "--tail",
    "-n",
    "kubectl",
    "get",
    "set",
    "image",
    "registry/pay:1.4.2",
    "node",
    "drain",
    "label",
    "a=b",
    "apply",
    "\n",
    "```",
    "’s",
    "please",
    "?",
    "cluster",
    "namespace",
    "-A",
    "--context",
    "rollout",
    "undo",
    "--to-revision=2",
    "events",
    "for",
    "top",
    "cpu",
    "help",
    "k-",
    "'",
];

proptest::proptest! {
    #[test]
    fn any_text_gets_an_answer_without_panicking(text in "\\PC{0,120}") {
        let clusters = clusters();
        let _ = plan(&text, &ctx(&clusters, None));
    }

    #[test]
    fn random_requests_are_deterministic(words in proptest::collection::vec(proptest::sample::select(VOCAB), 0..14)) {
        let clusters = clusters();
        let last = ObjectRef { resource: "pods".to_string(), name: "x".to_string() };
        let text = words.join(" ");
        let a = plan(&text, &ctx(&clusters, Some(&last)));
        let b = plan(&text, &ctx(&clusters, Some(&last)));
        proptest::prop_assert_eq!(a, b);
    }

    #[test]
    fn a_write_asked_as_a_question_is_never_planned(
        i in 0..ROWS.len(),
        opener in proptest::sample::select(&["should I", "how do I", "what happens if I", "is it safe to", "can we", "do I need to"][..]),
    ) {
        let clusters = clusters();
        let text = format!("{opener} {}", ROWS[i].0);
        if let Planned::Plan(p) = plan(&text, &ctx(&clusters, None)) {
            proptest::prop_assert!(!p.is_write(), "{text:?} planned {:?}", p.kubectl());
        }
    }
}
