//! Typed Kubernetes actions: the only things kubechat ever runs.
//!
//! Invariant: nothing outside this enum reaches a cluster. Planners (rules or LLM) produce
//! [`Plan`]s of [`Action`]s; policy, preview, approval and execution all work on these values.
//! The kubectl line shown to people is rendered *from* an action ([`kubectl`]), never parsed
//! back into one and never executed.

pub mod kubectl;

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

pub use kubechat_chat::Risk;

/// Where a list-style action looks.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// One namespace.
    Namespace(String),
    /// Every namespace (`-A`).
    AllNamespaces,
    /// A cluster-scoped resource (nodes, namespaces, …): no namespace applies.
    Cluster,
}

impl Scope {
    /// The namespace, when the scope is a single namespace.
    pub fn namespace(&self) -> Option<&str> {
        match self {
            Scope::Namespace(ns) => Some(ns),
            _ => None,
        }
    }
}

/// The workload kinds that have replicas, rollouts and pod templates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WorkloadKind {
    Deployment,
    StatefulSet,
    DaemonSet,
    ReplicaSet,
}

impl WorkloadKind {
    /// kubectl's singular resource name (`deployment`).
    pub fn as_str(self) -> &'static str {
        match self {
            WorkloadKind::Deployment => "deployment",
            WorkloadKind::StatefulSet => "statefulset",
            WorkloadKind::DaemonSet => "daemonset",
            WorkloadKind::ReplicaSet => "replicaset",
        }
    }

    /// The API resource (plural) name.
    pub fn resource(self) -> &'static str {
        match self {
            WorkloadKind::Deployment => "deployments",
            WorkloadKind::StatefulSet => "statefulsets",
            WorkloadKind::DaemonSet => "daemonsets",
            WorkloadKind::ReplicaSet => "replicasets",
        }
    }

    /// Parses kubectl's names for a workload kind (`deploy`, `deployments`, `sts`, …).
    pub fn parse(word: &str) -> Option<Self> {
        Some(match word.to_ascii_lowercase().as_str() {
            "deploy" | "deployment" | "deployments" | "deployment.apps" | "deployments.apps" => {
                WorkloadKind::Deployment
            }
            "sts" | "statefulset" | "statefulsets" | "statefulsets.apps" => {
                WorkloadKind::StatefulSet
            }
            "ds" | "daemonset" | "daemonsets" | "daemonsets.apps" => WorkloadKind::DaemonSet,
            "rs" | "replicaset" | "replicasets" | "replicasets.apps" => WorkloadKind::ReplicaSet,
            _ => return None,
        })
    }
}

impl fmt::Display for WorkloadKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A named workload.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Workload {
    pub kind: WorkloadKind,
    pub name: String,
}

/// One named object of any kind. `resource` is the canonical plural (`pods`, `deployments`,
/// `widgets.example.com`) as resolved by [`crate::kinds`] or, for custom kinds, discovery.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ObjectRef {
    pub resource: String,
    pub name: String,
}

/// `-o` for get.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Output {
    #[default]
    Table,
    Wide,
    Yaml,
    Json,
    Name,
}

/// What `top` measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TopResource {
    Pods,
    Nodes,
}

/// Patch flavours, as `kubectl patch --type`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PatchType {
    #[default]
    Strategic,
    Merge,
    Json,
}

/// What a delete does with the objects the deleted one owns (`kubectl delete --cascade`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Cascade {
    /// They are deleted by the garbage collector afterwards (kubectl's default).
    #[default]
    Background,
    /// They are deleted first; the object goes once they are gone.
    Foreground,
    /// They are kept, without an owner.
    Orphan,
}

impl Cascade {
    /// The default (not written into plans, so older plans hash the same).
    pub fn is_background(&self) -> bool {
        *self == Cascade::Background
    }

    /// kubectl's `--cascade` value.
    pub fn as_str(self) -> &'static str {
        match self {
            Cascade::Background => "background",
            Cascade::Foreground => "foreground",
            Cascade::Orphan => "orphan",
        }
    }
}

/// Label or annotation changes: keys to set and keys to remove (`key-`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct MetaChanges {
    pub set: BTreeMap<String, String>,
    pub remove: Vec<String>,
    /// kubectl refuses to change an existing value without `--overwrite`.
    pub overwrite: bool,
}

/// A single typed Kubernetes action.
///
/// Namespaced single-object actions carry `namespace: Option<String>`: `None` means the
/// resource is cluster-scoped (nodes, namespaces). The planner always fills in the channel's
/// default namespace when the user named none, so an action is complete on its own.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    /// `kubectl get` — one object (`name`) or a list (with optional selectors).
    Get {
        resource: String,
        name: Option<String>,
        scope: Scope,
        selector: Option<String>,
        field_selector: Option<String>,
        output: Output,
    },
    /// `kubectl describe` — the object plus its events.
    Describe {
        resource: String,
        name: String,
        namespace: Option<String>,
    },
    /// `kubectl logs`.
    Logs {
        pod: String,
        namespace: String,
        container: Option<String>,
        tail: Option<u32>,
        since_seconds: Option<u64>,
        previous: bool,
    },
    /// `kubectl events`, optionally for one object.
    Events {
        scope: Scope,
        object: Option<ObjectRef>,
    },
    /// `kubectl top pods|nodes` (needs metrics.k8s.io).
    Top {
        resource: TopResource,
        scope: Scope,
        name: Option<String>,
    },
    /// "What's failing?": pods that are not healthy in a scope.
    Failing { scope: Scope },
    /// "Why is X crashing / pending?": status, container states, restarts, events, rollout.
    Diagnose {
        /// A pod name, a pod-name prefix, or a workload name.
        name: String,
        namespace: String,
    },
    /// `kubectl auth can-i`.
    AuthCanI {
        verb: String,
        resource: String,
        name: Option<String>,
        scope: Scope,
    },
    /// `kubectl rollout status`.
    RolloutStatus { target: Workload, namespace: String },
    /// `kubectl rollout history`.
    RolloutHistory { target: Workload, namespace: String },
    /// `kubectl scale --replicas`.
    Scale {
        target: Workload,
        namespace: String,
        replicas: u32,
    },
    /// `kubectl rollout restart` (sets the restartedAt annotation on the pod template).
    RolloutRestart { target: Workload, namespace: String },
    /// `kubectl rollout undo [--to-revision]`.
    RolloutUndo {
        target: Workload,
        namespace: String,
        to_revision: Option<u64>,
    },
    /// `kubectl set image`; `container: None` means every container (`*=`).
    SetImage {
        target: Workload,
        namespace: String,
        container: Option<String>,
        image: String,
    },
    /// `kubectl delete [--cascade]`.
    Delete {
        resource: String,
        name: String,
        namespace: Option<String>,
        /// The propagation policy sent with the delete.
        #[serde(default, skip_serializing_if = "Cascade::is_background")]
        cascade: Cascade,
    },
    /// `kubectl cordon`.
    Cordon { node: String },
    /// `kubectl uncordon`.
    Uncordon { node: String },
    /// `kubectl drain` (cordon, then evict honouring PodDisruptionBudgets).
    Drain {
        node: String,
        ignore_daemonsets: bool,
        delete_emptydir_data: bool,
    },
    /// `kubectl label`.
    Label {
        target: ObjectRef,
        namespace: Option<String>,
        changes: MetaChanges,
    },
    /// `kubectl annotate`.
    Annotate {
        target: ObjectRef,
        namespace: Option<String>,
        changes: MetaChanges,
    },
    /// `kubectl apply --server-side` of an inline YAML manifest (one or more documents).
    Apply { manifest: String, namespace: String },
    /// `kubectl patch --type`.
    Patch {
        target: ObjectRef,
        namespace: Option<String>,
        patch_type: PatchType,
        patch: String,
    },
    /// `kubectl create job NAME --from=cronjob/CRONJOB`.
    CreateJobFromCronJob {
        cronjob: String,
        job: String,
        namespace: String,
    },
}

impl Action {
    /// `kubectl label` (when `labels`) or `kubectl annotate` of one object.
    pub fn metadata(
        labels: bool,
        target: ObjectRef,
        namespace: Option<String>,
        changes: MetaChanges,
    ) -> Action {
        if labels {
            Action::Label {
                target,
                namespace,
                changes,
            }
        } else {
            Action::Annotate {
                target,
                namespace,
                changes,
            }
        }
    }

    /// How risky the action is. Reads never change the cluster; destructive actions lose data
    /// or capacity in ways an undo cannot fully restore (deletes, drains, scaling to zero).
    pub fn risk(&self) -> Risk {
        use Action::*;
        match self {
            Get { .. }
            | Describe { .. }
            | Logs { .. }
            | Events { .. }
            | Top { .. }
            | Failing { .. }
            | Diagnose { .. }
            | AuthCanI { .. }
            | RolloutStatus { .. }
            | RolloutHistory { .. } => Risk::Read,
            Scale { replicas: 0, .. } | Delete { .. } | Drain { .. } => Risk::Destructive,
            Scale { .. }
            | RolloutRestart { .. }
            | RolloutUndo { .. }
            | SetImage { .. }
            | Cordon { .. }
            | Uncordon { .. }
            | Label { .. }
            | Annotate { .. }
            | Apply { .. }
            | Patch { .. }
            | CreateJobFromCronJob { .. } => Risk::Write,
        }
    }

    /// True when the action changes the cluster.
    pub fn is_write(&self) -> bool {
        self.risk() != Risk::Read
    }

    /// Every verb [`Action::verb`] can return, for validating policy files.
    pub const VERBS: [&'static str; 23] = [
        "get",
        "describe",
        "logs",
        "events",
        "top",
        "failing",
        "diagnose",
        "auth-can-i",
        "rollout-status",
        "rollout-history",
        "scale",
        "rollout-restart",
        "rollout-undo",
        "set-image",
        "delete",
        "cordon",
        "uncordon",
        "drain",
        "label",
        "annotate",
        "apply",
        "patch",
        "create-job",
    ];

    /// The action's verb as policy rules and metrics name it (`scale`, `rollout-restart`, …).
    pub fn verb(&self) -> &'static str {
        use Action::*;
        match self {
            Get { .. } => "get",
            Describe { .. } => "describe",
            Logs { .. } => "logs",
            Events { .. } => "events",
            Top { .. } => "top",
            Failing { .. } => "failing",
            Diagnose { .. } => "diagnose",
            AuthCanI { .. } => "auth-can-i",
            RolloutStatus { .. } => "rollout-status",
            RolloutHistory { .. } => "rollout-history",
            Scale { .. } => "scale",
            RolloutRestart { .. } => "rollout-restart",
            RolloutUndo { .. } => "rollout-undo",
            SetImage { .. } => "set-image",
            Delete { .. } => "delete",
            Cordon { .. } => "cordon",
            Uncordon { .. } => "uncordon",
            Drain { .. } => "drain",
            Label { .. } => "label",
            Annotate { .. } => "annotate",
            Apply { .. } => "apply",
            Patch { .. } => "patch",
            CreateJobFromCronJob { .. } => "create-job",
        }
    }

    /// The namespace the action touches, if it is confined to one.
    pub fn namespace(&self) -> Option<&str> {
        use Action::*;
        match self {
            Get { scope, .. }
            | Events { scope, .. }
            | Top { scope, .. }
            | Failing { scope }
            | AuthCanI { scope, .. } => scope.namespace(),
            Describe { namespace, .. }
            | Delete { namespace, .. }
            | Label { namespace, .. }
            | Annotate { namespace, .. }
            | Patch { namespace, .. } => namespace.as_deref(),
            Logs { namespace, .. }
            | Diagnose { namespace, .. }
            | RolloutStatus { namespace, .. }
            | RolloutHistory { namespace, .. }
            | Scale { namespace, .. }
            | RolloutRestart { namespace, .. }
            | RolloutUndo { namespace, .. }
            | SetImage { namespace, .. }
            | Apply { namespace, .. }
            | CreateJobFromCronJob { namespace, .. } => Some(namespace),
            Cordon { .. } | Uncordon { .. } | Drain { .. } => None,
        }
    }

    /// The resource kind (plural) and object name the action is aimed at, when it has one.
    pub fn target(&self) -> Option<(String, String)> {
        use Action::*;
        let pair = |r: &str, n: &str| Some((r.to_string(), n.to_string()));
        match self {
            Get { resource, name, .. } => name.as_deref().and_then(|n| pair(resource, n)),
            Describe { resource, name, .. } | Delete { resource, name, .. } => pair(resource, name),
            Logs { pod, .. } => pair("pods", pod),
            Diagnose { name, .. } => pair("pods", name),
            RolloutStatus { target, .. }
            | RolloutHistory { target, .. }
            | Scale { target, .. }
            | RolloutRestart { target, .. }
            | RolloutUndo { target, .. }
            | SetImage { target, .. } => pair(target.kind.resource(), &target.name),
            Cordon { node } | Uncordon { node } | Drain { node, .. } => pair("nodes", node),
            Label { target, .. } | Annotate { target, .. } | Patch { target, .. } => {
                pair(&target.resource, &target.name)
            }
            CreateJobFromCronJob { cronjob, .. } => pair("cronjobs", cronjob),
            Events { object, .. } => object.as_ref().and_then(|o| pair(&o.resource, &o.name)),
            Top { .. } | Failing { .. } | AuthCanI { .. } | Apply { .. } => None,
        }
    }

    /// A short human description: "scale deployment payment-api in prod to 5 replicas".
    pub fn describe(&self) -> String {
        use Action::*;
        let ns = |n: &Option<String>| n.as_deref().map(|n| format!(" in {n}")).unwrap_or_default();
        let scope = |s: &Scope| match s {
            Scope::Namespace(n) => format!(" in {n}"),
            Scope::AllNamespaces => " in all namespaces".to_string(),
            Scope::Cluster => String::new(),
        };
        match self {
            Get {
                resource,
                name: Some(name),
                scope: s,
                ..
            } => format!("get {resource} {name}{}", scope(s)),
            Get {
                resource,
                selector,
                scope: s,
                ..
            } => {
                let sel = selector
                    .as_deref()
                    .map(|l| format!(" matching {l}"))
                    .unwrap_or_default();
                format!("list {resource}{sel}{}", scope(s))
            }
            Describe {
                resource,
                name,
                namespace,
            } => format!("describe {resource} {name}{}", ns(namespace)),
            Logs { pod, namespace, .. } => format!("show logs of pod {pod} in {namespace}"),
            Events { scope: s, object } => match object {
                Some(o) => format!("show events of {} {}{}", o.resource, o.name, scope(s)),
                None => format!("show events{}", scope(s)),
            },
            Top {
                resource, scope: s, ..
            } => format!(
                "show resource usage of {}{}",
                match resource {
                    TopResource::Pods => "pods",
                    TopResource::Nodes => "nodes",
                },
                scope(s)
            ),
            Failing { scope: s } => format!("find failing pods{}", scope(s)),
            Diagnose { name, namespace } => format!("diagnose {name} in {namespace}"),
            AuthCanI {
                verb,
                resource,
                scope: s,
                ..
            } => format!("check whether you can {verb} {resource}{}", scope(s)),
            RolloutStatus { target, namespace } => {
                format!(
                    "show rollout status of {} {} in {namespace}",
                    target.kind, target.name
                )
            }
            RolloutHistory { target, namespace } => format!(
                "show rollout history of {} {} in {namespace}",
                target.kind, target.name
            ),
            Scale {
                target,
                namespace,
                replicas,
            } => format!(
                "scale {} {} in {namespace} to {replicas} replica{}",
                target.kind,
                target.name,
                if *replicas == 1 { "" } else { "s" }
            ),
            RolloutRestart { target, namespace } => {
                format!("restart {} {} in {namespace}", target.kind, target.name)
            }
            RolloutUndo {
                target,
                namespace,
                to_revision,
            } => match to_revision {
                Some(r) => format!(
                    "roll back {} {} in {namespace} to revision {r}",
                    target.kind, target.name
                ),
                None => format!(
                    "roll back {} {} in {namespace} to the previous revision",
                    target.kind, target.name
                ),
            },
            SetImage {
                target,
                namespace,
                container,
                image,
            } => format!(
                "set image of {} {} in {namespace} ({}) to {image}",
                target.kind,
                target.name,
                container.as_deref().unwrap_or("all containers")
            ),
            Delete {
                resource,
                name,
                namespace,
                cascade,
            } => match cascade {
                Cascade::Background => format!("delete {resource} {name}{}", ns(namespace)),
                Cascade::Foreground => format!(
                    "delete {resource} {name}{}, and what it owns first",
                    ns(namespace)
                ),
                Cascade::Orphan => format!(
                    "delete {resource} {name}{}, keeping what it owns",
                    ns(namespace)
                ),
            },
            Cordon { node } => format!("cordon node {node}"),
            Uncordon { node } => format!("uncordon node {node}"),
            Drain { node, .. } => format!("drain node {node}"),
            Label {
                target, namespace, ..
            } => format!("label {} {}{}", target.resource, target.name, ns(namespace)),
            Annotate {
                target, namespace, ..
            } => format!(
                "annotate {} {}{}",
                target.resource,
                target.name,
                ns(namespace)
            ),
            Apply {
                manifest,
                namespace,
            } => format!(
                "apply a manifest of {} document(s) in {namespace}",
                manifest_documents(manifest)
            ),
            Patch {
                target, namespace, ..
            } => format!("patch {} {}{}", target.resource, target.name, ns(namespace)),
            CreateJobFromCronJob {
                cronjob,
                job,
                namespace,
            } => format!("create job {job} from cronjob {cronjob} in {namespace}"),
        }
    }
}

/// Counts the YAML documents in a manifest (separated by `---` lines), ignoring empty ones.
pub fn manifest_documents(manifest: &str) -> usize {
    manifest
        .split("\n---")
        .filter(|doc| {
            doc.lines().any(|l| {
                let l = l.trim();
                !l.is_empty() && !l.starts_with('#') && l != "---"
            })
        })
        .count()
}

/// Which planner produced a plan.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "planner", rename_all = "snake_case")]
pub enum PlanSource {
    Rules,
    Llm {
        provider: String,
        model: String,
        /// How long the model took to answer (the ledger records it with the plan).
        #[serde(default)]
        latency_ms: u64,
    },
    /// The inverse of an executed plan (`undo PLAN_ID`), built from its captured prior state.
    Undo {
        of: String,
    },
}

/// What a request turned into: typed actions against one cluster.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Plan {
    pub cluster: String,
    pub actions: Vec<Action>,
    pub source: PlanSource,
    /// The request named the cluster itself (so it may differ from the channel's lock).
    pub explicit_cluster: bool,
    /// The request named the namespace itself.
    pub explicit_namespace: bool,
}

impl Plan {
    /// The highest risk among the actions.
    pub fn risk(&self) -> Risk {
        self.actions
            .iter()
            .map(Action::risk)
            .max()
            .unwrap_or(Risk::Read)
    }

    /// True when any action changes the cluster.
    pub fn is_write(&self) -> bool {
        self.risk() != Risk::Read
    }

    /// The kubectl equivalents, one line (possibly multi-line for manifests) per action.
    pub fn kubectl(&self) -> Vec<String> {
        self.actions.iter().map(kubectl::render).collect()
    }

    /// The namespaces the plan touches.
    pub fn namespaces(&self) -> Vec<&str> {
        let mut out: Vec<&str> = self.actions.iter().filter_map(Action::namespace).collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// One line describing every action.
    pub fn describe(&self) -> String {
        self.actions
            .iter()
            .map(Action::describe)
            .collect::<Vec<_>>()
            .join("; then ")
    }
}
