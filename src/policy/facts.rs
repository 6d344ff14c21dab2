//! The facts a rule is matched against, one set per action, and the three-valued match.
//!
//! A fact can be unknown: namespace labels that could not be read (the requester may not
//! `get` the namespace, or the cluster did not answer). A matcher over an unknown fact answers
//! [`Tri::Maybe`], and evaluation then takes the stricter of "it matched" and "it did not"
//! (see [`super::eval`]) — fail closed.

use std::collections::BTreeMap;

use crate::actions::{Action, Risk};
use crate::config::ClusterConfig;
use crate::identity::Subject;

use super::glob::{any_match, glob_match};
use super::model::Match;

/// What is known about a namespace's labels.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Labels {
    Known(BTreeMap<String, String>),
    /// Could not be read; the text says why (shown by explain).
    Unknown(String),
}

/// A three-valued match: yes, no (why not), or unknown (why).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Tri {
    Yes,
    No(String),
    Maybe(String),
}

impl Tri {
    /// Logical AND: any `No` wins, then any `Maybe`.
    fn and(self, other: Tri) -> Tri {
        match (self, other) {
            (Tri::No(a), _) | (_, Tri::No(a)) => Tri::No(a),
            (Tri::Maybe(a), _) | (_, Tri::Maybe(a)) => Tri::Maybe(a),
            _ => Tri::Yes,
        }
    }

    fn from_bool(ok: bool, why_not: impl FnOnce() -> String) -> Tri {
        if ok { Tri::Yes } else { Tri::No(why_not()) }
    }
}

/// Everything a matcher may look at for one action.
#[derive(Clone, Debug)]
pub struct Facts<'a> {
    pub cluster: &'a ClusterConfig,
    pub namespace: Option<String>,
    pub verb: &'static str,
    pub risk: Risk,
    /// Resource kinds (plural) and object names; several for a manifest, none when unknown.
    pub kinds: Vec<String>,
    pub names: Vec<String>,
    pub labels: Option<&'a Labels>,
    pub production: Tri,
    pub requester: &'a Subject,
    pub break_glass: bool,
}

impl<'a> Facts<'a> {
    /// The facts of one action.
    pub fn of(
        action: &Action,
        cluster: &'a ClusterConfig,
        labels: &'a BTreeMap<String, Labels>,
        production_labels: &BTreeMap<String, String>,
        requester: &'a Subject,
        break_glass: bool,
    ) -> Facts<'a> {
        let namespace = action.namespace().map(str::to_string);
        let ns_labels = namespace.as_deref().and_then(|ns| labels.get(ns));
        let (kinds, names) = targets(action);
        let mut facts = Facts {
            cluster,
            namespace,
            verb: action.verb(),
            risk: action.risk(),
            kinds,
            names,
            labels: ns_labels,
            production: Tri::No(String::new()),
            requester,
            break_glass,
        };
        facts.production = production(&facts, production_labels);
        facts
    }
}

/// Production if the config says so (cluster flag or namespace glob), else if the namespace
/// carries one of the production labels; unknown labels make it `Maybe`.
fn production(facts: &Facts<'_>, marks: &BTreeMap<String, String>) -> Tri {
    let ns = facts.namespace.as_deref();
    let cluster = facts.cluster;
    if cluster.production {
        return Tri::Yes;
    }
    let Some(ns) = ns else {
        return Tri::No(format!("cluster {} is not marked production", cluster.name));
    };
    if any_match(&cluster.production_namespaces, ns) {
        return Tri::Yes;
    }
    let not = || {
        format!(
            "namespace {ns} is not production on cluster {}",
            cluster.name
        )
    };
    if marks.is_empty() {
        return Tri::No(not());
    }
    match facts.labels {
        Some(Labels::Known(have)) => Tri::from_bool(
            marks
                .iter()
                .any(|(k, v)| have.get(k).is_some_and(|h| glob_match(v, h))),
            not,
        ),
        Some(Labels::Unknown(why)) => Tri::Maybe(format!(
            "the labels of namespace {ns} could not be read ({why}), so it counts as production"
        )),
        None => Tri::Maybe(format!(
            "the labels of namespace {ns} were not read, so it counts as production"
        )),
    }
}

fn targets(action: &Action) -> (Vec<String>, Vec<String>) {
    if let Action::Apply { manifest, .. } = action {
        let docs: Vec<Option<serde_json::Value>> =
            serde_saphyr::from_multiple(manifest).unwrap_or_default();
        let mut kinds = Vec::new();
        let mut names = Vec::new();
        for doc in docs.into_iter().flatten() {
            let kind = doc["kind"].as_str().unwrap_or_default();
            kinds.push(canonical_kind(kind));
            names.push(doc["metadata"]["name"].as_str().unwrap_or_default().into());
        }
        return (kinds, names);
    }
    match action.target() {
        Some((kind, name)) => (vec![canonical_kind(&kind)], vec![name]),
        None => match action {
            Action::Get { resource, .. } => (vec![canonical_kind(resource)], Vec::new()),
            _ => (Vec::new(), Vec::new()),
        },
    }
}

/// `deploy`, `Deployment`, `deployments.apps` → `deployments`; unknown kinds as written,
/// lowercased (custom resources: `widgets.example.com`).
pub fn canonical_kind(word: &str) -> String {
    crate::kinds::lookup(word)
        .map(|k| k.resource.to_string())
        .unwrap_or_else(|| word.to_ascii_lowercase())
}

impl Match {
    /// Matches one action's facts.
    pub fn matches(&self, f: &Facts<'_>) -> Tri {
        let mut t = Tri::Yes;
        if !self.clusters.is_empty() {
            t = t.and(Tri::from_bool(
                any_match(&self.clusters, &f.cluster.name),
                || {
                    format!(
                        "cluster {} is not {}",
                        f.cluster.name,
                        self.clusters.join(" / ")
                    )
                },
            ));
        }
        if !self.namespaces.is_empty() {
            t = t.and(match f.namespace.as_deref() {
                Some(ns) => Tri::from_bool(any_match(&self.namespaces, ns), || {
                    format!("namespace {ns} is not {}", self.namespaces.join(" / "))
                }),
                None => Tri::No("the action is not in a namespace".into()),
            });
        }
        t = t.and(self.labels_match(f));
        if let Some(want) = self.production {
            t = t.and(match (&f.production, want) {
                (Tri::Yes, true) | (Tri::No(_), false) => Tri::Yes,
                (Tri::Yes, false) => Tri::No("the target is production".into()),
                (Tri::No(why), true) => Tri::No(why.clone()),
                (Tri::Maybe(why), _) => Tri::Maybe(why.clone()),
            });
        }
        if !self.verbs.is_empty() {
            t = t.and(Tri::from_bool(
                self.verbs.iter().any(|v| v == f.verb),
                || format!("the verb {} is not {}", f.verb, self.verbs.join(" / ")),
            ));
        }
        if !self.risks.is_empty() {
            t = t.and(Tri::from_bool(self.risks.contains(&f.risk), || {
                format!("the action is a {} action", f.risk)
            }));
        }
        if !self.kinds.is_empty() {
            t = t.and(all_or_some(&self.kinds, &f.kinds, "kind"));
        }
        if !self.names.is_empty() {
            t = t.and(all_or_some(&self.names, &f.names, "name"));
        }
        t.and(self.requester_match(f))
    }

    fn labels_match(&self, f: &Facts<'_>) -> Tri {
        if self.namespace_labels.is_empty() {
            return Tri::Yes;
        }
        let Some(ns) = f.namespace.as_deref() else {
            return Tri::No("the action is not in a namespace".into());
        };
        match f.labels {
            Some(Labels::Known(have)) => {
                let missing = self
                    .namespace_labels
                    .iter()
                    .find(|(k, v)| !have.get(*k).is_some_and(|h| glob_match(v, h)));
                match missing {
                    None => Tri::Yes,
                    Some((k, v)) => Tri::No(format!("namespace {ns} has no label {k}={v}")),
                }
            }
            Some(Labels::Unknown(why)) => Tri::Maybe(format!(
                "the labels of namespace {ns} could not be read ({why})"
            )),
            None => Tri::Maybe(format!("the labels of namespace {ns} were not read")),
        }
    }

    fn requester_match(&self, f: &Facts<'_>) -> Tri {
        let user = &f.requester.user;
        let mut t = Tri::Yes;
        if !self.users.is_empty() {
            t = t.and(Tri::from_bool(any_match(&self.users, user), || {
                format!("{user} is not {}", self.users.join(" / "))
            }));
        }
        if !self.groups.is_empty() {
            let member = f.requester.groups.iter().any(|g| self.groups.contains(g));
            t = t.and(Tri::from_bool(member, || {
                format!("{user} is in none of the groups {}", self.groups.join(", "))
            }));
        }
        if let Some(want) = self.break_glass {
            t = t.and(Tri::from_bool(want == f.break_glass, || {
                if want {
                    "not a break-glass request"
                } else {
                    "a break-glass request"
                }
                .into()
            }));
        }
        t
    }
}

/// Every value matching: yes; none: no; some (a manifest of several kinds) or no value known:
/// maybe, so the stricter outcome applies.
fn all_or_some(globs: &[String], values: &[String], what: &str) -> Tri {
    let hits = values.iter().filter(|v| any_match(globs, v)).count();
    if values.is_empty() {
        return Tri::Maybe(format!("the action names no single {what}"));
    }
    if hits == values.len() {
        Tri::Yes
    } else if hits == 0 {
        Tri::No(format!(
            "the {what} {} is not {}",
            values.join(", "),
            globs.join(" / ")
        ))
    } else {
        Tri::Maybe(format!("only some {what}s of {} match", values.join(", ")))
    }
}
