//! Runs typed actions against Kubernetes, always as the person who asked.
//!
//! Invariants:
//! - every call goes through [`ClusterConn::client`], which impersonates the requester (and
//!   carries the plan id and approvers as Impersonate-Extra) — the bot's own rights are never
//!   used for a person's request;
//! - a write is previewed first with an access review and a server-side dry run *as the
//!   requester*, and at execution the target's resourceVersion must still be the one previewed;
//! - API errors become plain answers ([`ExecError`]) that say what to do.

mod client;
mod diagnose;
mod get;
mod labels;
mod reads;
mod resolve;
mod rollout;
mod table;
mod top;
mod writes;

use std::collections::HashMap;
use std::sync::Arc;

pub use client::{
    ClusterConn, ConnectError, EXTRA_APPROVERS, EXTRA_PLAN_ID, Impersonation,
    install_crypto_provider,
};
pub use writes::{Captured, WritePreview, deployment_revision};

use crate::actions::Action;

/// Every configured cluster's connection.
#[derive(Clone, Debug, Default)]
pub struct Executor {
    clusters: Arc<HashMap<String, Cluster>>,
    /// Configured clusters whose connection could not be set up, with the reason.
    unavailable: Arc<HashMap<String, String>>,
}

#[derive(Debug)]
struct Cluster {
    conn: ClusterConn,
    kinds: resolve::KindCache,
}

impl Executor {
    /// An executor over these cluster connections.
    pub fn new(conns: Vec<ClusterConn>) -> Self {
        let clusters = conns
            .into_iter()
            .map(|conn| {
                (
                    conn.name.clone(),
                    Cluster {
                        kinds: resolve::KindCache::new(conn.bot_client(), conn.discovery_refresh),
                        conn,
                    },
                )
            })
            .collect();
        Executor {
            clusters: Arc::new(clusters),
            unavailable: Arc::default(),
        }
    }

    /// Records clusters that are configured but could not be loaded, so requests to them
    /// say why instead of "no connection".
    pub fn with_unavailable(mut self, unavailable: HashMap<String, String>) -> Self {
        self.unavailable = Arc::new(unavailable);
        self
    }

    fn cluster(&self, name: &str) -> Result<&Cluster, ExecError> {
        self.clusters
            .get(name)
            .ok_or_else(|| match self.unavailable.get(name) {
                Some(reason) => ExecError::ClusterUnavailable {
                    cluster: name.to_string(),
                    reason: reason.clone(),
                },
                None => ExecError::NoCluster {
                    cluster: name.to_string(),
                },
            })
    }

    /// True when a connection for the cluster is configured.
    pub fn has_cluster(&self, name: &str) -> bool {
        self.clusters.contains_key(name)
    }

    /// Runs a read action and returns the answer text (already redacted).
    pub async fn read(
        &self,
        cluster: &str,
        who: &Impersonation,
        action: &Action,
    ) -> Result<String, ExecError> {
        let c = self.cluster(cluster)?;
        let client = c.conn.client(who);
        reads::run(&client, &c.kinds, action)
            .await
            .map_err(|e| e.on(cluster))
    }

    /// Rewrites every custom resource kind in `action` to its qualified name
    /// (`wd` → `widgets.example.com`) by discovery, so policy rules and the ledger see the
    /// kind that will really be touched. Built-in kinds are left as they are.
    pub async fn canonicalize(&self, cluster: &str, action: &mut Action) -> Result<(), ExecError> {
        let Ok(c) = self.cluster(cluster) else {
            // No connection: the action itself will say so.
            return Ok(());
        };
        let mut cluster_scoped = false;
        for resource in resolve::kind_names_mut(action) {
            // `*` and subresources (`pods/log`) in `auth can-i` are not kinds to look up.
            if crate::kinds::lookup(resource).is_some()
                || *resource == "*"
                || resource.contains('/')
            {
                continue;
            }
            let resolved = c.kinds.resolve(resource).await.map_err(|e| e.on(cluster))?;
            cluster_scoped |= !resolved.namespaced;
            *resource = resolved.qualified();
        }
        if cluster_scoped {
            resolve::drop_namespace(action);
        }
        Ok(())
    }

    /// Previews a write: access review, server-side dry run and diff, all as the requester.
    pub async fn preview(
        &self,
        cluster: &str,
        who: &Impersonation,
        action: &Action,
    ) -> Result<WritePreview, ExecError> {
        let c = self.cluster(cluster)?;
        let client = c.conn.client(who);
        writes::preview(&client, &c.kinds, action)
            .await
            .map_err(|e| e.on(cluster))
    }

    /// Executes a previewed write, refusing if the target changed since `expected_version`.
    pub async fn execute(
        &self,
        cluster: &str,
        who: &Impersonation,
        action: &Action,
        expected_version: Option<&str>,
    ) -> Result<String, ExecError> {
        let c = self.cluster(cluster)?;
        let client = c.conn.client(who);
        writes::execute(&client, &c.kinds, action, expected_version)
            .await
            .map_err(|e| e.on(cluster))
    }

    /// Captures what an approved write is about to change (redacted), refusing if the target
    /// changed since the preview; the app records it in the ledger before executing, so undo
    /// can restore it.
    pub async fn capture(
        &self,
        cluster: &str,
        who: &Impersonation,
        action: &Action,
        expected_version: Option<&str>,
    ) -> Result<Vec<Captured>, ExecError> {
        let c = self.cluster(cluster)?;
        let client = c.conn.client(who);
        writes::capture(&client, &c.kinds, action, expected_version)
            .await
            .map_err(|e| e.on(cluster))
    }

    /// Checks that the cluster answers (for `/readyz`), with the bot's identity
    /// impersonating nobody: only `/version`, which needs no rights.
    pub async fn ping(&self, cluster: &str) -> Result<(), ExecError> {
        let c = self.cluster(cluster)?;
        let who = Impersonation {
            subject: crate::identity::Subject {
                user: "system:anonymous".into(),
                groups: vec!["system:unauthenticated".into()],
            },
            plan_id: "readyz".into(),
            approvers: vec![],
        };
        c.conn
            .client(&who)
            .apiserver_version()
            .await
            .map(|_| ())
            .map_err(|e| ExecError::from_kube(e, &Target::cluster(cluster)))
    }
}

/// What a failing call was about, for error messages.
#[derive(Clone, Debug, Default)]
pub struct Target {
    pub cluster: String,
    pub verb: String,
    pub resource: String,
    pub name: Option<String>,
    pub namespace: Option<String>,
}

impl Target {
    fn cluster(cluster: &str) -> Self {
        Target {
            cluster: cluster.to_string(),
            ..Default::default()
        }
    }

    fn whereabouts(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("in namespace {ns}"),
            None => "cluster-wide".to_string(),
        }
    }
}

/// Why an action could not be run, in words a chat user can act on.
#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    #[error("kubechat has no cluster called {cluster:?}; ask an admin to add it to the config")]
    NoCluster { cluster: String },
    #[error(
        "cluster {cluster:?} is configured but kubechat could not connect to it ({reason}); an admin must fix its kubeconfig/context and restart kubechat"
    )]
    ClusterUnavailable { cluster: String, reason: String },
    #[error("{}", not_found_text(.resource, .name, .namespace, .suggestions))]
    NotFound {
        resource: String,
        name: String,
        namespace: Option<String>,
        suggestions: Vec<String>,
    },
    #[error(
        "you may not {verb} {resource} {where_}: {message}. Ask for a role that allows it (for example `edit` on the namespace) or ask someone who has it"
    )]
    Forbidden {
        verb: String,
        resource: String,
        where_: String,
        message: String,
    },
    #[error("the cluster refused the change: {0}")]
    Rejected(String),
    #[error("{}", admission_text(.webhook, .message))]
    AdmissionDenied {
        /// The webhook or ValidatingAdmissionPolicy that said no, when the message names it.
        webhook: Option<String>,
        message: String,
    },
    #[error("{0} already exists; pick another name or delete it first")]
    AlreadyExists(String),
    #[error(
        "cluster {cluster} did not answer in time ({detail}); nothing is known to have changed — check with a read before asking again"
    )]
    Timeout { cluster: String, detail: String },
    #[error("{0} changed since the preview; nothing was run. Ask again to get a fresh preview")]
    Changed(String),
    #[error("conflict: {0}. Someone else changed it at the same time; ask again")]
    Conflict(String),
    #[error(
        "cannot reach cluster {cluster}: {detail}. Check that the API server is up and reachable from kubechat"
    )]
    Unreachable { cluster: String, detail: String },
    #[error(
        "cannot read the logs of pod {pod} in {namespace}: the API server could not reach the kubelet on the pod's node ({detail}). The node may be down or cut off; `get pod {pod} -o wide` shows the node and `get nodes` whether it is Ready"
    )]
    KubeletUnreachable {
        pod: String,
        namespace: String,
        detail: String,
    },
    #[error("{}", unknown_kind_text(.kind, .suggestions))]
    UnknownKind {
        kind: String,
        suggestions: Vec<String>,
    },
    #[error(
        "\"{kind}\" names more than one resource kind on this cluster: {}. Say which one with its full name",
        .choices.join(", ")
    )]
    AmbiguousKind { kind: String, choices: Vec<String> },
    #[error("{0}")]
    Unsupported(String),
    #[error("{0}")]
    Invalid(String),
    #[error("the Kubernetes API answered with an error: {0}")]
    Api(String),
}

fn not_found_text(
    resource: &str,
    name: &str,
    namespace: &Option<String>,
    suggestions: &[String],
) -> String {
    let kind = crate::kinds::lookup(resource)
        .map(|k| k.singular)
        .unwrap_or(resource);
    let place = namespace
        .as_deref()
        .map(|ns| format!(" in {ns}"))
        .unwrap_or_default();
    match suggestions {
        [] => format!("no {kind} {name}{place}"),
        [one] => format!("no {kind} {name}{place} — did you mean {one}?"),
        many => format!(
            "no {kind} {name}{place} — did you mean one of: {}?",
            many.join(", ")
        ),
    }
}

fn unknown_kind_text(kind: &str, suggestions: &[String]) -> String {
    let base = format!(
        "I don't know the resource kind \"{kind}\" on this cluster (not found by API discovery)"
    );
    match suggestions {
        [] => format!("{base}; `kubectl api-resources` lists the kinds it serves"),
        [one] => format!("{base} — did you mean {one}?"),
        many => format!("{base} — did you mean one of: {}?", many.join(", ")),
    }
}

fn admission_text(webhook: &Option<String>, message: &str) -> String {
    match webhook {
        Some(w) => format!(
            "the cluster's admission control ({w}) refused it: {message}. Change the request to satisfy that policy, or ask its owners"
        ),
        None => format!(
            "the cluster's admission control refused it: {message}. Change the request to satisfy that policy, or ask its owners"
        ),
    }
}

/// The admission webhook or policy named in an API error message, when there is one:
/// `admission webhook "x" denied the request: …`, `ValidatingAdmissionPolicy 'p' with binding
/// 'b' denied request: …`.
fn admission_source(message: &str) -> Option<Option<String>> {
    let quoted = |rest: &str| {
        let rest = rest.trim_start();
        let q = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
        rest[1..].split(q).next().map(str::to_string)
    };
    if let Some(i) = message.find("admission webhook") {
        return Some(
            quoted(&message[i + "admission webhook".len()..]).map(|w| format!("webhook {w}")),
        );
    }
    if let Some(i) = message.find("ValidatingAdmissionPolicy") {
        return Some(
            quoted(&message[i + "ValidatingAdmissionPolicy".len()..])
                .map(|p| format!("ValidatingAdmissionPolicy {p}")),
        );
    }
    None
}

fn is_timeout(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if err.is::<tower::timeout::error::Elapsed>() {
            return true;
        }
        if let Some(io) = err.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::TimedOut
        {
            return true;
        }
        cur = err.source();
    }
    false
}

impl ExecError {
    /// Translates a kube error for `target` into a plain answer.
    pub fn from_kube(err: kube::Error, target: &Target) -> ExecError {
        match err {
            // Admission control answers with its own message under several codes (400, 403,
            // 422, 500): say who refused and why before looking at the code.
            kube::Error::Api(status) if admission_source(&status.message).is_some() => {
                ExecError::AdmissionDenied {
                    webhook: admission_source(&status.message).flatten(),
                    message: status.message.clone(),
                }
            }
            kube::Error::Api(status) if status.code == 409 && status.reason == "AlreadyExists" => {
                let what = match &target.name {
                    Some(n) => format!("{} {n}", target.resource),
                    None => target.resource.clone(),
                };
                ExecError::AlreadyExists(format!("{what} {}", target.whereabouts()))
            }
            kube::Error::Api(status)
                if status.code == 409 && status.message.contains("Apply failed with") =>
            {
                ExecError::Rejected(format!(
                    "{} (another field manager owns these fields; kubechat does not force-apply — change them with that tool, or remove them from the manifest)",
                    status.message
                ))
            }
            kube::Error::Api(status) if status.code == 504 || status.reason == "Timeout" => {
                ExecError::Timeout {
                    cluster: target.cluster.clone(),
                    detail: status.message.clone(),
                }
            }
            kube::Error::Api(status) if status.code == 429 => ExecError::Api(format!(
                "the API server is busy ({}); try again in a moment",
                status.message
            )),
            kube::Error::Api(status) => match status.code {
                404 => ExecError::NotFound {
                    resource: target.resource.clone(),
                    name: target.name.clone().unwrap_or_default(),
                    namespace: target.namespace.clone(),
                    suggestions: vec![],
                },
                403 => ExecError::Forbidden {
                    verb: target.verb.clone(),
                    resource: target.resource.clone(),
                    where_: target.whereabouts(),
                    message: status.message.clone(),
                },
                409 => ExecError::Conflict(status.message.clone()),
                400 | 422 => ExecError::Rejected(status.message.clone()),
                _ => ExecError::Api(format!("{} ({})", status.message, status.code)),
            },
            kube::Error::HyperError(e) => ExecError::Unreachable {
                cluster: target.cluster.clone(),
                detail: e.to_string(),
            },
            kube::Error::Service(e) if is_timeout(e.as_ref()) => ExecError::Timeout {
                cluster: target.cluster.clone(),
                detail: e.to_string(),
            },
            kube::Error::Service(e) => ExecError::Unreachable {
                cluster: target.cluster.clone(),
                detail: e.to_string(),
            },
            other => ExecError::Api(other.to_string()),
        }
    }

    /// Names the cluster in reachability errors raised below the executor (which only knew
    /// the object).
    fn on(self, cluster: &str) -> ExecError {
        match self {
            ExecError::Unreachable { cluster: c, detail } if c.is_empty() => {
                ExecError::Unreachable {
                    cluster: cluster.to_string(),
                    detail,
                }
            }
            ExecError::Timeout { cluster: c, detail } if c.is_empty() => ExecError::Timeout {
                cluster: cluster.to_string(),
                detail,
            },
            other => other,
        }
    }

    /// True when the answer should offer "did you mean" names.
    pub fn is_not_found(&self) -> bool {
        matches!(self, ExecError::NotFound { .. })
    }

    /// True when the request named a kind the cluster does not serve, or more than one.
    pub fn is_kind_question(&self) -> bool {
        matches!(
            self,
            ExecError::UnknownKind { .. } | ExecError::AmbiguousKind { .. }
        )
    }
}

#[cfg(test)]
mod error_tests;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::{Output, Scope};

    #[tokio::test]
    async fn a_cluster_that_failed_to_load_says_why() {
        let exec = Executor::default().with_unavailable(HashMap::from([(
            "prod".to_string(),
            "no kubeconfig at /etc/kubechat/kubeconfig".to_string(),
        )]));
        let who = Impersonation {
            subject: crate::identity::Subject {
                user: "alice".into(),
                groups: vec![],
            },
            plan_id: "kc-1".into(),
            approvers: vec![],
        };
        let get = Action::Get {
            resource: "pods".into(),
            name: None,
            scope: Scope::Namespace("default".into()),
            selector: None,
            field_selector: None,
            output: Output::Table,
        };
        let err = exec
            .read("prod", &who, &get)
            .await
            .expect_err("unavailable");
        assert!(
            err.to_string()
                .contains("no kubeconfig at /etc/kubechat/kubeconfig"),
            "{err}"
        );
        let err = exec.read("nope", &who, &get).await.expect_err("unknown");
        assert!(
            err.to_string().contains("no cluster called \"nope\""),
            "{err}"
        );
    }
}
