//! Resource kinds → API resources: built-ins from [`crate::kinds`], everything else (CRDs)
//! by API discovery, cached per cluster and refreshed on a miss.

use std::collections::HashMap;
use std::sync::Mutex;

use kube::api::{ApiResource, GroupVersionKind};
use kube::discovery::{Discovery, Scope};

use super::{ExecError, Target};

/// A resolved kind.
#[derive(Clone, Debug)]
pub struct Resolved {
    pub api: ApiResource,
    pub namespaced: bool,
}

/// Discovery results for one cluster.
#[derive(Debug, Default)]
pub struct KindCache {
    custom: Mutex<HashMap<String, Resolved>>,
}

impl KindCache {
    /// Resolves `resource` (a built-in name or `plural.group`).
    pub async fn resolve(
        &self,
        client: &kube::Client,
        resource: &str,
    ) -> Result<Resolved, ExecError> {
        if let Some(k) = crate::kinds::lookup(resource) {
            let gvk = GroupVersionKind::gvk(k.group, k.version, k.kind);
            return Ok(Resolved {
                api: ApiResource::from_gvk_with_plural(&gvk, k.resource),
                namespaced: k.namespaced,
            });
        }
        if let Some(hit) = self.cached(resource) {
            return Ok(hit);
        }
        let (plural, group) = resource
            .split_once('.')
            .ok_or_else(|| ExecError::UnknownKind(resource.to_string()))?;
        let discovery = Discovery::new(client.clone())
            .filter(&[group])
            .run()
            .await
            .map_err(|e| {
                ExecError::from_kube(
                    e,
                    &Target {
                        verb: "discover".into(),
                        resource: resource.into(),
                        ..Default::default()
                    },
                )
            })?;
        let found = discovery.get(group).and_then(|g| {
            g.recommended_resources()
                .into_iter()
                .find(|(ar, _)| ar.plural == plural || ar.kind.eq_ignore_ascii_case(plural))
        });
        let (api, caps) = found.ok_or_else(|| ExecError::UnknownKind(resource.to_string()))?;
        let resolved = Resolved {
            api,
            namespaced: caps.scope == Scope::Namespaced,
        };
        self.custom
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(resource.to_string(), resolved.clone());
        Ok(resolved)
    }

    fn cached(&self, resource: &str) -> Option<Resolved> {
        self.custom
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(resource)
            .cloned()
    }
}
