//! kubectl syntax: `kubectl get pods -n prod`, and the same without the leading `kubectl`.
//!
//! With the `kubectl` (or `k`) prefix the text is kubectl and every error is reported as such.
//! Without it, the text is only taken as kubectl when it starts with a kubectl verb and has no
//! English in it ("get pods in prod" is left to the English rules); a syntax error then falls
//! through to English unless the text carries flags.

mod flags;
mod objects;
mod reads;
mod writes;

use std::collections::HashSet;
use std::sync::LazyLock;

use crate::actions::Action;

use super::reply::{self, Topic};
use super::target::{self, Kind, Where};
use super::{PlanContext, Planned, manifest, words};

use flags::Args;

pub(super) use objects::{meta_changes, refuse_bulk};
pub(super) use reads::CAN_I_VERBS;

/// The outcome of one verb: `Ok` is an answer to give (a plan, or a deliberate question);
/// `Err` means the text did not fit the verb's syntax.
type Outcome = Result<Planned, Planned>;

/// Plans `text` when it is kubectl syntax; `None` when it is not (so plain English is tried).
pub(super) fn plan(text: &str, ctx: &PlanContext<'_>) -> Option<Planned> {
    let text = words::strip_chatter(text).trim_matches('`').trim();
    if let Some(planned) = manifest::plan(text, ctx) {
        return Some(planned);
    }
    let (explicit, body) = strip_prefix(text);
    if explicit && body.is_empty() {
        return Some(reply::help());
    }
    let verb_end = body.find(char::is_whitespace).unwrap_or(body.len());
    let verb = body[..verb_end].to_ascii_lowercase();
    if !explicit {
        if !KUBECTL_VERBS.contains(verb.as_str()) {
            return None;
        }
        if verb != "run"
            && let Some(refusal) = reply::refused_verb(&verb)
        {
            return Some(refusal);
        }
    }
    let Some(args) = shlex::split(body) else {
        return explicit.then(|| reply::not_understood("a quote is not closed", Topic::Kubectl));
    };
    let has_flags = args.iter().any(|a| a.len() > 1 && a.starts_with('-'));
    if !explicit {
        let english = args
            .iter()
            .any(|a| ENGLISH.contains(a.to_ascii_lowercase().as_str()));
        // Node maintenance in kubectl syntax means kubectl's defaults; plain "drain n1" is
        // left to the English rules, which ignore DaemonSets as people expect.
        if english || (matches!(verb.as_str(), "drain" | "run") && !has_flags) {
            return None;
        }
        // "scale payment-api", "delete payment-api": no kind where kubectl wants one, so
        // this is English; skip the (discarded, and costly) typo search for a kind.
        if !has_flags && takes_kind_first(&verb) && !args.get(1).is_some_and(|a| names_kind(a)) {
            return None;
        }
    }
    match plan_args(&args, ctx) {
        Ok(planned) => Some(planned),
        Err(planned) if explicit || has_flags => Some(planned),
        Err(_) => None,
    }
}

/// Splits off a leading `kubectl`, `k` or `$ kubectl`.
fn strip_prefix(text: &str) -> (bool, &str) {
    let t = text.strip_prefix("$ ").unwrap_or(text);
    for prefix in ["kubectl", "k"] {
        if let Some(rest) = words::strip_word_prefix(t, prefix) {
            // "k" alone is too short to be sure; only take it before a kubectl verb.
            if prefix == "k" {
                let verb = rest.split_whitespace().next().unwrap_or_default();
                if !KUBECTL_VERBS.contains(verb.to_ascii_lowercase().as_str()) {
                    continue;
                }
            }
            return (true, rest.trim());
        }
    }
    (false, t)
}

fn takes_kind_first(verb: &str) -> bool {
    matches!(
        verb,
        "get" | "describe" | "scale" | "delete" | "label" | "annotate" | "patch"
    )
}

/// `pods`, `deploy/x`, `pods,svc`: the word starts with kind names.
fn names_kind(arg: &str) -> bool {
    let kinds = arg.split_once('/').map_or(arg, |(k, _)| k);
    kinds.split(',').all(|k| target::kind_of(k).is_some())
}

/// Verbs that make unprefixed text a kubectl command candidate.
static KUBECTL_VERBS: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    [
        "get",
        "describe",
        "logs",
        "events",
        "top",
        "auth",
        "rollout",
        "scale",
        "set",
        "delete",
        "cordon",
        "uncordon",
        "drain",
        "label",
        "annotate",
        "patch",
        "create",
        "apply",
        "exec",
        "port-forward",
        "cp",
        "edit",
        "run",
        "proxy",
        "attach",
        "debug",
    ]
    .into_iter()
    .collect()
});

/// Words that make unprefixed text English rather than kubectl.
static ENGLISH: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    [
        "in",
        "on",
        "of",
        "for",
        "to",
        "the",
        "a",
        "an",
        "with",
        "from",
        "and",
        "me",
        "my",
        "our",
        "all",
        "please",
        "that",
        "this",
        "it",
        "its",
        "is",
        "are",
        "last",
        "since",
        "at",
        "by",
        "what",
        "why",
        "how",
        "i",
        "everywhere",
        "lines",
        "previous",
        "container",
        "namespace",
        "cluster",
        "replicas",
        "now",
        "back",
        "node",
        "nodes",
        "using",
        "named",
        "called",
    ]
    .into_iter()
    .collect()
});

/// Plans a kubectl command given as arguments (the verb first).
fn plan_args(args: &[String], ctx: &PlanContext<'_>) -> Outcome {
    let Some(verb) = args.first() else {
        return Ok(reply::help());
    };
    let rest = &args[1..];
    match verb.to_ascii_lowercase().as_str() {
        "get" => reads::get(rest, ctx),
        "describe" => reads::describe(rest, ctx),
        "logs" | "log" => reads::logs(rest, ctx),
        "events" => reads::events(rest, ctx),
        "top" => reads::top(rest, ctx),
        "auth" => reads::auth(rest, ctx),
        "rollout" => writes::rollout(rest, ctx),
        "scale" => writes::scale(rest, ctx),
        "set" => writes::set(rest, ctx),
        "delete" => objects::delete(rest, ctx),
        "cordon" | "uncordon" | "drain" => objects::node(verb, rest, ctx),
        "label" | "annotate" => objects::meta(verb, rest, ctx),
        "patch" => objects::patch(rest, ctx),
        "create" => objects::create(rest, ctx),
        "apply" => Ok(Planned::Clarify(
            "Apply what? Send \"apply\" and the manifest on the following lines.".to_string(),
        )),
        "help" | "--help" | "-h" => Ok(reply::help()),
        v => match reply::refused_verb(v) {
            Some(refusal) => Ok(refusal),
            None if UNSUPPORTED.contains(&v) => Ok(reply::not_understood(
                &format!(
                    "kubechat does not support kubectl {v}; it supports get, describe, logs, events, top, auth can-i, rollout, scale, set image, delete, cordon, uncordon, drain, label, annotate, patch, apply and create job --from=cronjob/…"
                ),
                Topic::Kubectl,
            )),
            None => Err(reply::not_understood(
                &format!("\"{v}\" is not a kubectl command I know"),
                Topic::Kubectl,
            )),
        },
    }
}

/// Real kubectl commands kubechat does not offer (yet).
#[rustfmt::skip]
const UNSUPPORTED: &[&str] = &[
    "replace", "expose", "autoscale", "taint", "certificate", "wait", "diff", "explain",
    "api-resources", "api-versions", "cluster-info", "config", "version", "kustomize", "plugin",
    "completion", "alpha", "convert", "events-watch",
];

/// The cluster and namespace the global flags name.
fn where_from(a: &Args, ctx: &PlanContext<'_>) -> Result<Where, Planned> {
    let mut wh = Where::default();
    if let Some(ns) = a.get("namespace") {
        wh.set_namespace(ns)?;
    }
    if a.switch("all")? {
        wh.set_all_namespaces()?;
    }
    if let Some(c) = a.get("context") {
        wh.set_cluster(c, ctx)?;
    }
    Ok(wh)
}

/// A kind and, unless only the kind was given, a name.
type Target = (Kind, Option<String>);

/// Targets at the start of `pos`: `kind/name [kind/name…]` or `kind [name…]`.
/// Returns the targets (names may be empty for `kind` alone) and how many positionals they used.
fn targets(pos: &[String], more_names: bool) -> Result<(Vec<Target>, usize), Planned> {
    targets_with(pos, more_names, target::resolve_kind)
}

type KindFn = fn(&str) -> Result<Kind, Planned>;

fn targets_with(
    pos: &[String],
    more_names: bool,
    resolve: KindFn,
) -> Result<(Vec<Target>, usize), Planned> {
    let Some(first) = pos.first() else {
        return Ok((Vec::new(), 0));
    };
    if first.contains('/') {
        let mut out = Vec::new();
        for p in pos.iter().take_while(|p| p.contains('/')) {
            let (kind, name) = p.split_once('/').unwrap_or_default();
            out.push((resolve(kind)?, Some(name_arg(name)?)));
            if !more_names {
                break;
            }
        }
        let used = out.len();
        return Ok((out, used));
    }
    let kind = resolve(first)?;
    let names: Vec<&String> = if more_names {
        pos[1..].iter().collect()
    } else {
        pos.get(1).into_iter().collect()
    };
    if names.is_empty() {
        return Ok((vec![(kind, None)], 1));
    }
    let used = 1 + names.len();
    let out = names
        .into_iter()
        .map(|n| Ok((kind.clone(), Some(name_arg(n)?))))
        .collect::<Result<Vec<_>, Planned>>()?;
    Ok((out, used))
}

/// One target (`kind/name` or `kind name`), nothing else allowed after it except what
/// `rest_ok` accepts.
fn one_target(pos: &[String]) -> Result<(Kind, Option<String>, usize), Planned> {
    one_target_with(pos, target::resolve_kind)
}

/// [`one_target`] for workload verbs (rollout, scale, set image): only built-in kinds.
fn workload_target(pos: &[String]) -> Result<(Kind, Option<String>, usize), Planned> {
    one_target_with(pos, target::resolve_known_kind)
}

fn one_target_with(
    pos: &[String],
    resolve: KindFn,
) -> Result<(Kind, Option<String>, usize), Planned> {
    let (mut t, used) = targets_with(pos, false, resolve)?;
    match t.pop() {
        Some((kind, name)) => Ok((kind, name, used)),
        None => Err(reply::not_understood("it names no object", Topic::Kubectl)),
    }
}

/// An object name as typed, checked. Words like "in" or "all" are refused as names: in
/// "kubectl get pods in prod" kubectl would look for a pod called "in".
fn name_arg(name: &str) -> Result<String, Planned> {
    if matches!(
        name,
        "in" | "on" | "of" | "for" | "to" | "from" | "with" | "and" | "all" | "everything"
    ) {
        return Err(reply::not_understood(
            &format!(
                "\"{name}\" would be read as an object name; use -n <namespace> for a namespace, and name objects one by one"
            ),
            Topic::Kubectl,
        ));
    }
    if words::is_name(name) {
        Ok(name.to_string())
    } else {
        Err(reply::not_understood(
            &format!(
                "\"{name}\" is not a valid Kubernetes name (lowercase letters, digits, '-' and '.')"
            ),
            Topic::Kubectl,
        ))
    }
}

/// Extra positionals nobody asked for.
fn no_more(pos: &[String], verb: &str) -> Result<(), Planned> {
    match pos.first() {
        None => Ok(()),
        Some(p) => Err(reply::not_understood(
            &format!("I don't know what \"{p}\" means in kubectl {verb}"),
            Topic::Kubectl,
        )),
    }
}

/// "\"x\" is not a valid value for --flag".
fn bad_value(flag: &str, v: &str) -> Planned {
    reply::not_understood(
        &format!("\"{v}\" is not a valid value for {flag}"),
        Topic::Kubectl,
    )
}

/// Finishes a plan from actions.
fn done(wh: Where, ctx: &PlanContext<'_>, actions: Vec<Action>) -> Outcome {
    Ok(wh.finish(ctx, actions))
}
