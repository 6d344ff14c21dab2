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
mod labels;
mod reads;
mod resolve;
mod table;
mod writes;

use std::collections::HashMap;
use std::sync::Arc;

pub use client::{ClusterConn, ConnectError, EXTRA_APPROVERS, EXTRA_PLAN_ID, Impersonation};
pub use writes::WritePreview;

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
                        conn,
                        kinds: resolve::KindCache::default(),
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
        reads::run(&client, &c.kinds, action).await
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
        writes::preview(&client, &c.kinds, action).await
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
        writes::execute(&client, &c.kinds, action, expected_version).await
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
    #[error("{0} changed since the preview; nothing was run. Ask again to get a fresh preview")]
    Changed(String),
    #[error("conflict: {0}. Someone else changed it at the same time; ask again")]
    Conflict(String),
    #[error(
        "cannot reach cluster {cluster}: {detail}. Check that the API server is up and reachable from kubechat"
    )]
    Unreachable { cluster: String, detail: String },
    #[error("I don't know the resource kind {0:?} on this cluster (not found by API discovery)")]
    UnknownKind(String),
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

impl ExecError {
    /// Translates a kube error for `target` into a plain answer.
    pub fn from_kube(err: kube::Error, target: &Target) -> ExecError {
        match err {
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
                // Admission webhooks answer with their own message, often as 400/403/500.
                _ if status.message.contains("admission webhook") => {
                    ExecError::Rejected(status.message.clone())
                }
                _ => ExecError::Api(format!("{} ({})", status.message, status.code)),
            },
            kube::Error::HyperError(e) => ExecError::Unreachable {
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

    /// True when the answer should offer "did you mean" names.
    pub fn is_not_found(&self) -> bool {
        matches!(self, ExecError::NotFound { .. })
    }
}

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
