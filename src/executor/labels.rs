//! Namespace labels for policy (`match.namespace_labels`, `settings.production_labels`), read
//! as the requester like every other call: kubechat never looks at the cluster with its own
//! rights on a person's behalf.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Namespace;
use kube::Api;

use super::{ExecError, Executor, Impersonation, Target};

impl Executor {
    /// The labels of namespace `ns`, read as `who`.
    pub async fn namespace_labels(
        &self,
        cluster: &str,
        who: &Impersonation,
        ns: &str,
    ) -> Result<BTreeMap<String, String>, ExecError> {
        let c = self.cluster(cluster)?;
        let api: Api<Namespace> = Api::all(c.conn.client(who));
        let target = Target {
            cluster: cluster.to_string(),
            verb: "get".into(),
            resource: "namespaces".into(),
            name: Some(ns.to_string()),
            namespace: None,
        };
        let namespace = api
            .get(ns)
            .await
            .map_err(|e| ExecError::from_kube(e, &target))?;
        Ok(namespace.metadata.labels.unwrap_or_default())
    }
}
