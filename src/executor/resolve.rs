//! Resource kinds → API resources, like kubectl: built-ins from [`crate::kinds`] without a
//! round trip; everything else (CRDs, aggregated APIs) by the API server's aggregated
//! discovery (`/api`, `/apis`), by plural, singular, Kind or short name, optionally qualified
//! with `.group` or `.version.group`.
//!
//! Invariants:
//! - discovery is read with the **bot's own** client (no impersonation): the bot needs
//!   discovery rights anyway, and the person asking may lack them; it reveals only which kinds
//!   exist, never objects;
//! - the index is cached per cluster and refreshed on a miss at most once per
//!   `refresh_every`, so a typo repeated in chat costs no extra discovery requests;
//! - one refresh at a time (the lock is held across it): concurrent misses wait for it.

use std::time::Duration;

use tokio::time::Instant;

use kube::api::{ApiResource, GroupVersionKind};
use kube::core::discovery::v2::{
    ACCEPT_AGGREGATED_DISCOVERY_V2, APIGroupDiscovery, APIGroupDiscoveryList,
};
use serde_json::Value;

use super::{ExecError, Target};

/// A resolved kind.
#[derive(Clone, Debug)]
pub struct Resolved {
    pub api: ApiResource,
    pub namespaced: bool,
}

impl Resolved {
    /// The name kubectl and policies use for it: `pods`, `widgets.example.com`.
    pub fn qualified(&self) -> String {
        qualified(&self.api)
    }
}

fn qualified(api: &ApiResource) -> String {
    match api.group.as_str() {
        "" => api.plural.clone(),
        g => format!("{}.{g}", api.plural),
    }
}

/// One resource from discovery (the group's most preferred version that serves it).
#[derive(Clone, Debug)]
pub struct Discovered {
    pub api: ApiResource,
    pub namespaced: bool,
    pub singular: String,
    pub short: Vec<String>,
}

/// What a word names in the discovery index.
#[derive(Debug, PartialEq)]
pub enum Found<'a> {
    One(&'a Discovered),
    /// The same name in several groups: their qualified names.
    Many(Vec<String>),
    Nothing,
}

impl PartialEq for Discovered {
    fn eq(&self, other: &Self) -> bool {
        self.api == other.api
    }
}

/// Discovery results for one cluster.
pub struct KindCache {
    bot: kube::Client,
    refresh_every: Duration,
    state: tokio::sync::Mutex<State>,
}

impl std::fmt::Debug for KindCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KindCache")
            .field("refresh_every", &self.refresh_every)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Default)]
struct State {
    index: Vec<Discovered>,
    /// When the index was last read from the API server (`None`: never).
    loaded: Option<Instant>,
}

impl KindCache {
    /// A cache reading discovery with `bot` (the bot's own client), refreshed on a miss at
    /// most once per `refresh_every`.
    pub fn new(bot: kube::Client, refresh_every: Duration) -> Self {
        KindCache {
            bot,
            refresh_every,
            state: tokio::sync::Mutex::default(),
        }
    }

    /// Resolves `resource` as kubectl would: a built-in name, or any name discovery knows.
    pub async fn resolve(&self, resource: &str) -> Result<Resolved, ExecError> {
        if let Some(k) = crate::kinds::lookup(resource) {
            let gvk = GroupVersionKind::gvk(k.group, k.version, k.kind);
            return Ok(Resolved {
                api: ApiResource::from_gvk_with_plural(&gvk, k.resource),
                namespaced: k.namespaced,
            });
        }
        let found = self
            .with_refresh(|index| match find(index, resource) {
                Found::Nothing => None,
                Found::One(d) => Some(Ok(Resolved {
                    api: d.api.clone(),
                    namespaced: d.namespaced,
                })),
                Found::Many(choices) => Some(Err(ExecError::AmbiguousKind {
                    kind: resource.to_string(),
                    choices,
                })),
            })
            .await?;
        match found {
            Some(answer) => answer,
            None => Err(ExecError::UnknownKind {
                kind: resource.to_string(),
                suggestions: self.suggestions(resource).await,
            }),
        }
    }

    /// Resolves a manifest's `apiVersion` and `kind` (built-in or discovered).
    pub async fn resolve_gvk(&self, api_version: &str, kind: &str) -> Result<Resolved, ExecError> {
        let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
        let gvk = GroupVersionKind::gvk(group, version, kind);
        if let Some(k) = crate::kinds::KINDS
            .iter()
            .find(|k| k.kind == kind && k.group == group)
        {
            return Ok(Resolved {
                api: ApiResource::from_gvk_with_plural(&gvk, k.resource),
                namespaced: k.namespaced,
            });
        }
        let hit = self
            .with_refresh(|index| {
                index
                    .iter()
                    .find(|d| d.api.group == group && d.api.kind == kind)
                    .map(|d| (d.api.plural.clone(), d.namespaced))
            })
            .await?;
        match hit {
            Some((plural, namespaced)) => Ok(Resolved {
                api: ApiResource::from_gvk_with_plural(&gvk, &plural),
                namespaced,
            }),
            None => Err(ExecError::UnknownKind {
                kind: format!("{kind} ({api_version})"),
                suggestions: Vec::new(),
            }),
        }
    }

    /// The preferred version the API server serves `group` in (`metrics.k8s.io` → `v1beta1`),
    /// or `None` when it does not serve the group.
    pub async fn group_version(&self, group: &str) -> Result<Option<String>, ExecError> {
        self.with_refresh(|index| {
            index
                .iter()
                .find(|d| d.api.group == group)
                .map(|d| d.api.version.clone())
        })
        .await
    }

    /// Answers from the index; on a miss refreshes it (when due) and answers again.
    async fn with_refresh<T>(
        &self,
        answer: impl Fn(&[Discovered]) -> Option<T>,
    ) -> Result<Option<T>, ExecError> {
        let mut state = self.state.lock().await;
        if state.loaded.is_some()
            && let Some(hit) = answer(&state.index)
        {
            return Ok(Some(hit));
        }
        let due = state
            .loaded
            .is_none_or(|at| at.elapsed() >= self.refresh_every);
        if !due {
            return Ok(None);
        }
        tracing::debug!("refreshing API discovery");
        state.index = discover(&self.bot).await?;
        state.loaded = Some(Instant::now());
        Ok(answer(&state.index))
    }

    /// Close kind names (built-in and discovered) for a word that named none.
    async fn suggestions(&self, word: &str) -> Vec<String> {
        let state = self.state.lock().await;
        let mut names: Vec<(String, String)> = crate::kinds::KINDS
            .iter()
            .flat_map(|k| [(k.resource, k.resource), (k.singular, k.resource)])
            .map(|(n, q)| (n.to_string(), q.to_string()))
            .collect();
        for d in &state.index {
            let q = qualified(&d.api);
            names.push((d.api.plural.clone(), q.clone()));
            names.push((d.singular.clone(), q.clone()));
            names.push((q.clone(), q));
        }
        let lower = word.to_ascii_lowercase();
        let close = crate::suggest::close_names(&lower, names.iter().map(|(n, _)| n.as_str()));
        let mut out: Vec<String> = Vec::new();
        for c in close {
            if let Some((_, q)) = names.iter().find(|(n, _)| *n == c)
                && !out.contains(q)
            {
                out.push(q.clone());
            }
        }
        out
    }
}

/// The resource kind names an action carries (custom kinds among them get qualified before
/// policy sees the action).
pub fn kind_names_mut(action: &mut crate::actions::Action) -> Vec<&mut String> {
    use crate::actions::Action::*;
    match action {
        Get { resource, .. }
        | Describe { resource, .. }
        | AuthCanI { resource, .. }
        | Delete { resource, .. } => vec![resource],
        Events {
            object: Some(o), ..
        } => vec![&mut o.resource],
        Label { target, .. } | Annotate { target, .. } | Patch { target, .. } => {
            vec![&mut target.resource]
        }
        _ => Vec::new(),
    }
}

/// Makes a planned action cluster-wide once discovery says its custom kind is cluster-scoped
/// (the planner assumed a namespace).
pub fn drop_namespace(action: &mut crate::actions::Action) {
    use crate::actions::{Action::*, Scope};
    match action {
        Get { scope, .. } | AuthCanI { scope, .. } => *scope = Scope::Cluster,
        Describe { namespace, .. }
        | Delete { namespace, .. }
        | Label { namespace, .. }
        | Annotate { namespace, .. }
        | Patch { namespace, .. } => *namespace = None,
        _ => {}
    }
}

/// Finds what `word` names: `widgets`, `widget`, `Widget`, `wd`, `widgets.example.com`,
/// `widgets.v1.example.com`. Plural, singular and Kind beat short names (as in kubectl).
pub fn find<'a>(index: &'a [Discovered], word: &str) -> Found<'a> {
    let lower = word.to_ascii_lowercase();
    let (name, qualifier) = match lower.split_once('.') {
        Some((n, q)) => (n, Some(q)),
        None => (lower.as_str(), None),
    };
    let in_scope = |d: &&Discovered| match qualifier {
        None => true,
        Some(q) => {
            d.api.group == q
                || q.split_once('.')
                    .is_some_and(|(v, g)| d.api.version == v && d.api.group == g)
        }
    };
    let named = |d: &&Discovered| {
        d.api.plural == name || d.singular == name || d.api.kind.eq_ignore_ascii_case(name)
    };
    let short = |d: &&Discovered| d.short.iter().any(|s| s == name);
    let mut hits: Vec<&Discovered> = index.iter().filter(in_scope).filter(named).collect();
    if hits.is_empty() {
        hits = index.iter().filter(in_scope).filter(short).collect();
    }
    match hits.as_slice() {
        [] => Found::Nothing,
        [one] => Found::One(one),
        many => Found::Many(many.iter().map(|d| qualified(&d.api)).collect()),
    }
}

/// Reads `/api` and `/apis` as aggregated discovery (two requests for the whole cluster).
async fn discover(bot: &kube::Client) -> Result<Vec<Discovered>, ExecError> {
    let mut index = Vec::new();
    for path in ["/api", "/apis"] {
        for group in aggregated(bot, path).await?.items {
            index_group(group, &mut index);
        }
    }
    Ok(index)
}

async fn aggregated(bot: &kube::Client, path: &str) -> Result<APIGroupDiscoveryList, ExecError> {
    let request = http::Request::get(path)
        .header(http::header::ACCEPT, ACCEPT_AGGREGATED_DISCOVERY_V2)
        .body(Vec::new())
        .map_err(|e| ExecError::Api(e.to_string()))?;
    let value: Value = bot.request(request).await.map_err(discovery_error)?;
    if value["kind"] != "APIGroupDiscoveryList" {
        return Err(ExecError::Api(format!(
            "the API server did not answer {path} with aggregated discovery (it sent {}); kubechat needs Kubernetes 1.26 or newer to look up custom resource kinds",
            value["kind"].as_str().unwrap_or("something else")
        )));
    }
    serde_json::from_value(value)
        .map_err(|e| ExecError::Api(format!("cannot read API discovery from {path}: {e}")))
}

fn discovery_error(e: kube::Error) -> ExecError {
    match e {
        kube::Error::Api(s) if s.code == 401 || s.code == 403 => ExecError::Api(format!(
            "kubechat's own credentials may not read API discovery ({}); an admin must grant the bot discovery (the system:discovery ClusterRole)",
            s.message
        )),
        other => ExecError::from_kube(
            other,
            &Target {
                verb: "discover".into(),
                resource: "API resources".into(),
                ..Default::default()
            },
        ),
    }
}

/// Adds a group's resources, each once, from its most preferred version that serves it.
fn index_group(group: APIGroupDiscovery, index: &mut Vec<Discovered>) {
    let name = group.metadata.and_then(|m| m.name).unwrap_or_default();
    let first = index.len();
    for version in group.versions {
        let v = version.version.unwrap_or_default();
        for r in version.resources {
            let plural = r.resource.unwrap_or_default();
            let kind = r.response_kind.and_then(|k| k.kind).unwrap_or_default();
            if plural.is_empty()
                || kind.is_empty()
                || index[first..].iter().any(|d| d.api.plural == plural)
            {
                continue;
            }
            let gvk = GroupVersionKind::gvk(&name, &v, &kind);
            index.push(Discovered {
                api: ApiResource::from_gvk_with_plural(&gvk, &plural),
                namespaced: r.scope.as_deref() == Some("Namespaced"),
                singular: r
                    .singular_resource
                    .filter(|s| !s.is_empty())
                    .unwrap_or_else(|| kind.to_ascii_lowercase()),
                short: r.short_names,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(group: &str, plural: &str, kind: &str, short: &[&str]) -> Discovered {
        let gvk = GroupVersionKind::gvk(group, "v1", kind);
        Discovered {
            api: ApiResource::from_gvk_with_plural(&gvk, plural),
            namespaced: true,
            singular: kind.to_ascii_lowercase(),
            short: short.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn index() -> Vec<Discovered> {
        vec![
            d("example.com", "widgets", "Widget", &["wd"]),
            d("example.com", "gadgets", "Gadget", &["gd"]),
            d("acme.io", "gizmos", "Gizmo", &["gd"]),
            d("acme.io", "widgets", "Widget", &[]),
        ]
    }

    fn one(word: &str) -> String {
        let index = index();
        match find(&index, word) {
            Found::One(d) => qualified(&d.api),
            other => panic!("{word}: {other:?}"),
        }
    }

    #[test]
    fn a_kind_resolves_by_every_name_kubectl_accepts() {
        assert_eq!(one("wd"), "widgets.example.com");
        assert_eq!(one("gadget"), "gadgets.example.com");
        assert_eq!(one("Gizmo"), "gizmos.acme.io");
        assert_eq!(one("widgets.example.com"), "widgets.example.com");
        assert_eq!(one("widget.acme.io"), "widgets.acme.io");
        assert_eq!(one("widgets.v1.acme.io"), "widgets.acme.io");
    }

    #[test]
    fn a_name_in_two_groups_is_answered_with_the_choices() {
        let index = index();
        assert_eq!(
            find(&index, "widgets"),
            Found::Many(vec!["widgets.example.com".into(), "widgets.acme.io".into()])
        );
        assert_eq!(
            find(&index, "gd"),
            Found::Many(vec!["gadgets.example.com".into(), "gizmos.acme.io".into()])
        );
        assert_eq!(find(&index, "zebras"), Found::Nothing);
        assert_eq!(find(&index, "widgets.v2.acme.io"), Found::Nothing);
    }

    #[test]
    fn a_plural_beats_a_short_name_of_another_kind() {
        let mut index = index();
        index.push(d("other.io", "wd", "Wd", &[]));
        let Found::One(hit) = find(&index, "wd") else {
            panic!("one")
        };
        assert_eq!(qualified(&hit.api), "wd.other.io");
    }
}
