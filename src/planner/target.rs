//! Where a request points (cluster, namespace) and what kind of object it names, shared by
//! both rule planners, plus assembling the final [`Plan`].
//!
//! Invariants: a cluster is only ever one of `PlanContext::clusters`; a namespace is a valid
//! DNS-1123 label; cluster-scoped kinds never get a namespace.

use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::LazyLock;

use crate::actions::{Action, ObjectRef, Plan, PlanSource, Scope, Workload, WorkloadKind};
use crate::kinds;

use super::reply;
use super::words;
use super::{PlanContext, Planned};

/// The cluster and namespace a request named itself (`None`: use the channel's).
#[derive(Debug, Default)]
pub(super) struct Where {
    cluster: Option<String>,
    namespace: Option<String>,
    all_namespaces: bool,
}

impl Where {
    /// Names the cluster: it must be one of the configured clusters.
    pub(super) fn set_cluster(&mut self, name: &str, ctx: &PlanContext<'_>) -> Result<(), Planned> {
        let Some(known) = ctx.clusters.iter().find(|c| c.eq_ignore_ascii_case(name)) else {
            return Err(unknown_cluster(name, ctx));
        };
        match &self.cluster {
            Some(c) if c != known => Err(Planned::Clarify(format!(
                "You named two clusters, {c} and {known}. Which one should I use?"
            ))),
            _ => {
                self.cluster = Some(known.clone());
                Ok(())
            }
        }
    }

    /// Names the namespace.
    pub(super) fn set_namespace(&mut self, name: &str) -> Result<(), Planned> {
        let ns = name.to_ascii_lowercase();
        if !words::is_namespace(&ns) {
            return Err(reply::not_understood(
                &format!(
                    "\"{name}\" is not a valid namespace name (lowercase letters, digits and '-', at most 63)"
                ),
                reply::Topic::General,
            ));
        }
        if self.all_namespaces {
            return Err(both_scopes(&ns));
        }
        match &self.namespace {
            Some(n) if *n != ns => Err(Planned::Clarify(format!(
                "You named two namespaces, {n} and {ns}. Which one should I use?"
            ))),
            _ => {
                self.namespace = Some(ns);
                Ok(())
            }
        }
    }

    /// Every namespace (`-A`, "everywhere").
    pub(super) fn set_all_namespaces(&mut self) -> Result<(), Planned> {
        if let Some(ns) = &self.namespace {
            return Err(both_scopes(ns));
        }
        self.all_namespaces = true;
        Ok(())
    }

    /// "in X": a cluster when X is a configured cluster, otherwise a namespace. A near miss of
    /// a cluster name is asked about rather than taken as a namespace.
    pub(super) fn set_in(&mut self, x: &str, ctx: &PlanContext<'_>) -> Result<(), Planned> {
        if ctx.clusters.iter().any(|c| c.eq_ignore_ascii_case(x)) {
            return self.set_cluster(x, ctx);
        }
        if let Some(close) = close_cluster(x, ctx) {
            return Err(Planned::Clarify(format!(
                "Did you mean cluster {close}, or a namespace called \"{x}\"? Say \"in cluster {close}\" or \"in namespace {x}\"."
            )));
        }
        self.set_namespace(x)
    }

    /// True when the request named a namespace or asked for all of them.
    pub(super) fn names_namespace(&self) -> bool {
        self.namespace.is_some() || self.all_namespaces
    }

    /// The namespace to use for a single namespaced object.
    pub(super) fn namespace<'a>(&'a self, ctx: &PlanContext<'a>) -> &'a str {
        self.namespace.as_deref().unwrap_or(ctx.namespace)
    }

    /// A single-object action's namespace: `Err` when "all namespaces" was asked for one object.
    pub(super) fn one_namespace(&self, ctx: &PlanContext<'_>) -> Result<String, Planned> {
        if self.all_namespaces {
            return Err(Planned::Clarify(
                "That works on one object, so it needs one namespace, not all of them. Which namespace?"
                    .to_string(),
            ));
        }
        Ok(self.namespace(ctx).to_string())
    }

    /// `Some(namespace)` for namespaced kinds, `None` for cluster-scoped ones.
    pub(super) fn object_namespace(
        &self,
        ctx: &PlanContext<'_>,
        namespaced: bool,
    ) -> Result<Option<String>, Planned> {
        if namespaced {
            self.one_namespace(ctx).map(Some)
        } else {
            Ok(None)
        }
    }

    /// The scope of a list-style action.
    pub(super) fn scope(&self, ctx: &PlanContext<'_>, namespaced: bool) -> Scope {
        if !namespaced {
            Scope::Cluster
        } else if self.all_namespaces {
            Scope::AllNamespaces
        } else {
            Scope::Namespace(self.namespace(ctx).to_string())
        }
    }

    /// The scope of an events query. Events of a cluster-scoped object (a node) are recorded
    /// in some namespace, so they are searched in all of them unless a namespace was named.
    pub(super) fn events_scope(
        &self,
        ctx: &PlanContext<'_>,
        object_namespaced: Option<bool>,
    ) -> Scope {
        match object_namespaced {
            Some(false) if !self.names_namespace() => Scope::AllNamespaces,
            _ => self.scope(ctx, true),
        }
    }

    /// The finished plan for `actions`.
    pub(super) fn finish(self, ctx: &PlanContext<'_>, actions: Vec<Action>) -> Planned {
        let touches_namespaces = actions.iter().any(|a| {
            a.namespace().is_some()
                || matches!(
                    a,
                    Action::Get {
                        scope: Scope::AllNamespaces,
                        ..
                    } | Action::Events {
                        scope: Scope::AllNamespaces,
                        ..
                    } | Action::Top {
                        scope: Scope::AllNamespaces,
                        ..
                    } | Action::Failing {
                        scope: Scope::AllNamespaces
                    } | Action::AuthCanI {
                        scope: Scope::AllNamespaces,
                        ..
                    }
                )
        });
        Planned::Plan(Plan {
            explicit_cluster: self.cluster.is_some(),
            explicit_namespace: self.names_namespace() && touches_namespaces,
            cluster: self.cluster.unwrap_or_else(|| ctx.cluster.to_string()),
            actions,
            source: PlanSource::Rules,
        })
    }
}

fn both_scopes(ns: &str) -> Planned {
    Planned::Clarify(format!(
        "You asked for namespace {ns} and for all namespaces. Which one did you mean?"
    ))
}

/// A configured cluster whose name is a near miss of `x` ("staging-su" → "staging-us").
fn close_cluster<'a>(x: &str, ctx: &PlanContext<'a>) -> Option<&'a str> {
    if x.len() < 4 {
        return None;
    }
    ctx.clusters
        .iter()
        .map(|c| (strsim::damerau_levenshtein(x, c), c.as_str()))
        .filter(|(d, c)| *d > 0 && *d <= kinds::max_typo_distance(c).min(2))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// The answer when a request names a cluster that is not configured.
pub(super) fn unknown_cluster(name: &str, ctx: &PlanContext<'_>) -> Planned {
    let known = ctx.clusters.join(", ");
    match close_cluster(name, ctx) {
        Some(close) => Planned::Clarify(format!(
            "I don't know a cluster called \"{name}\" — did you mean {close}? (Known clusters: {known}.)"
        )),
        None => reply::not_understood(
            &format!("I don't know a cluster called \"{name}\"; the clusters I know are {known}"),
            reply::Topic::General,
        ),
    }
}

/// A resolved resource kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Kind {
    /// The canonical plural (`pods`) or the custom resource as typed (`widgets.example.com`).
    pub resource: Cow<'static, str>,
    pub namespaced: bool,
}

impl Kind {
    pub(super) fn is(&self, resource: &str) -> bool {
        self.resource == resource
    }

    /// The workload kind, when this kind has replicas and rollouts.
    pub(super) fn workload(&self) -> Option<WorkloadKind> {
        WorkloadKind::parse(&self.resource)
    }

    pub(super) fn object(&self, name: &str) -> ObjectRef {
        ObjectRef {
            resource: self.resource.clone().into_owned(),
            name: name.to_string(),
        }
    }
}

/// Every built-in kind name, lowercase, so a word can be rejected without `kinds::lookup`'s
/// allocations. `kinds::lookup` stays the authority for what a name resolves to.
static KIND_WORDS: LazyLock<HashSet<String>> = LazyLock::new(|| {
    let mut set = HashSet::new();
    for k in kinds::KINDS {
        set.insert(k.resource.to_string());
        set.insert(k.singular.to_string());
        set.insert(k.kind.to_ascii_lowercase());
        set.extend(k.short.iter().map(|s| s.to_string()));
        if !k.group.is_empty() {
            set.insert(format!("{}.{}", k.resource, k.group));
        }
    }
    set
});

/// The kind a word names, if it is a built-in kind name or a qualified custom resource.
pub(super) fn kind_of(word: &str) -> Option<Kind> {
    let lower;
    let w = if word.bytes().any(|b| b.is_ascii_uppercase()) {
        lower = word.to_ascii_lowercase();
        lower.as_str()
    } else {
        word
    };
    if KIND_WORDS.contains(w) {
        let info = kinds::lookup(w)?;
        return Some(Kind {
            resource: Cow::Borrowed(info.resource),
            namespaced: info.namespaced,
        });
    }
    kinds::is_qualified_custom(word).then(|| Kind {
        // Custom resources are assumed namespaced; discovery corrects this when it runs.
        resource: Cow::Owned(word.to_string()),
        namespaced: true,
    })
}

/// Resolves a word where only a built-in kind makes sense (workload verbs: a CRD cannot be
/// scaled or rolled out by kubechat), so `rollout restart payment-api` is not read as a kind.
pub(super) fn resolve_known_kind(word: &str) -> Result<Kind, Planned> {
    kind_of(word).ok_or_else(|| unknown_kind(word))
}

/// Resolves a word in a position where only a kind can stand (kubectl syntax).
///
/// A word that is no built-in kind (nor a near miss of one) may still be a custom kind's
/// plural, singular, Kind or short name (`widgets`, `wd`): it passes through, and API
/// discovery resolves it before policy runs (answering unknown kinds with suggestions).
pub(super) fn resolve_kind(word: &str) -> Result<Kind, Planned> {
    if let Some(kind) = kind_of(word) {
        return Ok(kind);
    }
    if kinds::suggest(word).is_some() || !could_be_kind(word) {
        return Err(unknown_kind(word));
    }
    Ok(Kind {
        // Assumed namespaced; discovery corrects this when it runs.
        resource: Cow::Owned(word.to_ascii_lowercase()),
        namespaced: true,
    })
}

/// A resource name as Kubernetes spells them: a letter, then letters, digits, `-` or `.`.
fn could_be_kind(word: &str) -> bool {
    word.len() <= 253
        && word.starts_with(|c: char| c.is_ascii_alphabetic())
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
}

/// "I don't know the kind …", with the close match when there is one.
pub(super) fn unknown_kind(word: &str) -> Planned {
    match kinds::suggest(word) {
        Some(s) => Planned::Clarify(format!(
            "I don't know the kind \"{word}\" — did you mean {s}?"
        )),
        None => reply::not_understood(
            &format!(
                "I don't know the kind \"{word}\"; for a custom resource use its full name, like widgets.example.com"
            ),
            reply::Topic::Reads,
        ),
    }
}

/// The workload an action aims at, from an optional explicit kind (default: Deployment).
pub(super) fn workload(kind: Option<&Kind>, name: &str, verb: &str) -> Result<Workload, Planned> {
    let kind = match kind {
        None => WorkloadKind::Deployment,
        Some(k) => k
            .workload()
            .ok_or_else(|| not_a_workload(&k.resource, name, verb))?,
    };
    Ok(Workload {
        kind,
        name: name.to_string(),
    })
}

/// The answer when a verb that needs a workload is aimed at something else.
pub(super) fn not_a_workload(resource: &str, name: &str, verb: &str) -> Planned {
    if resource == "pods" {
        return Planned::Clarify(format!(
            "A pod cannot {verb} by itself. Do you mean its deployment (\"{verb} deployment <name>\"), or to delete pod {name} so its controller recreates it (\"delete pod {name}\")?"
        ));
    }
    reply::not_understood(
        &format!(
            "{resource} cannot {verb}; that works on deployments, statefulsets, daemonsets and replicasets"
        ),
        reply::Topic::Writes,
    )
}

/// The workload named by the last thing the thread talked about ("restart it").
pub(super) fn last_workload(ctx: &PlanContext<'_>, verb: &str) -> Result<Workload, Planned> {
    let last = last_target(ctx)?;
    match WorkloadKind::parse(&last.resource) {
        Some(kind) => Ok(Workload {
            kind,
            name: last.name.clone(),
        }),
        None => Err(not_a_workload(&last.resource, &last.name, verb)),
    }
}

/// The last object the thread talked about, or a question when there is none.
pub(super) fn last_target<'a>(ctx: &PlanContext<'a>) -> Result<&'a ObjectRef, Planned> {
    ctx.last_target.ok_or_else(|| {
        Planned::Clarify(
            "I'm not sure what \"it\" refers to in this thread. Which object do you mean? Name it, e.g. \"deployment payment-api\"."
                .to_string(),
        )
    })
}

/// Whether the last target's kind is namespaced (unknown custom kinds are assumed so).
pub(super) fn namespaced(resource: &str) -> bool {
    kind_of(resource).is_none_or(|k| k.namespaced)
}
