//! Namespace labels for policy, read as the requester and cached briefly.
//!
//! Read only when the policy looks at labels. Cached per (cluster, namespace, requester) for
//! [`TTL`]: keyed by requester because the read is made as them — one person's view is never
//! used for another. A label read that fails (the requester may not `get` the namespace, the
//! cluster is down) gives [`Labels::Unknown`], and policy then takes the stricter outcome of
//! "the label matches" and "it does not"; failures are cached too, so a flood of requests does
//! not become a flood of API calls.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use tokio::time::Instant;

use super::App;
use crate::actions::Plan;
use crate::executor::Impersonation;
use crate::identity::Person;
use crate::policy::Labels;

/// How long labels are reused.
pub const TTL: Duration = Duration::from_secs(30);

type Key = (String, String, String);

/// Cached label reads. Written and read by requests (`App::labels_for`).
#[derive(Default)]
pub(super) struct LabelCache {
    map: std::sync::Mutex<HashMap<Key, (Instant, Labels)>>,
}

impl LabelCache {
    fn get(&self, key: &Key) -> Option<Labels> {
        let map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        map.get(key)
            .filter(|(at, _)| at.elapsed() < TTL)
            .map(|(_, l)| l.clone())
    }

    fn put(&self, key: Key, labels: Labels) {
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > 10_000 {
            map.retain(|_, (at, _)| at.elapsed() < TTL);
        }
        map.insert(key, (Instant::now(), labels));
    }
}

impl App {
    /// Labels of every namespace the plan touches, when the policy needs them.
    pub(super) async fn labels_for(
        &self,
        person: &Person,
        plan_id: &str,
        plan: &Plan,
    ) -> BTreeMap<String, Labels> {
        let mut out = BTreeMap::new();
        if !self.policy().needs_labels() {
            return out;
        }
        let who = Impersonation {
            subject: person.subject.clone(),
            plan_id: plan_id.to_string(),
            approvers: Vec::new(),
        };
        for ns in plan.namespaces() {
            let key = (
                plan.cluster.clone(),
                ns.to_string(),
                person.subject.user.clone(),
            );
            let labels = match self.inner.labels.get(&key) {
                Some(l) => l,
                None => {
                    let l = match self
                        .inner
                        .executor
                        .namespace_labels(&plan.cluster, &who, ns)
                        .await
                    {
                        Ok(map) => Labels::Known(map),
                        Err(e) => {
                            tracing::info!(namespace = ns, error = %e, "namespace labels unreadable; policy takes the stricter outcome");
                            Labels::Unknown(e.to_string())
                        }
                    };
                    self.inner.labels.put(key, l.clone());
                    l
                }
            };
            out.insert(ns.to_string(), labels);
        }
        out
    }
}
