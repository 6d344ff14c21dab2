//! English requests that only read: show/list, describe, logs, events, top, what's failing,
//! why is X crashing, rollout status and history, "can I …?".

use crate::actions::{Action, Output, TopResource};
use crate::planner::kubectl::CAN_I_VERBS;
use crate::planner::reply::{self, Topic};
use crate::planner::target::{self, Kind, Where};
use crate::planner::{PlanContext, Planned, words};

use super::lex::Tok;
use super::subject::{self, Subject, collect, which_kind};

type Outcome = Result<Planned, Planned>;

const GET_WORDS: &[&str] = &[
    "show",
    "list",
    "get",
    "display",
    "see",
    "view",
    "print",
    "fetch",
    "give",
    "what",
    "what's",
    "whats",
    "which",
    "are",
    "is",
    "any",
    "all",
    "how",
    "many",
    "current",
    "existing",
    "available",
    "do",
    "we",
    "have",
    "i",
    "check",
    "find",
    "lookup",
    "look",
    "at",
    "status",
    "output",
    "format",
    "only",
    "just",
    "every",
    "each",
    "there",
    "exist",
];

/// Get options read from the words.
#[derive(Default)]
struct GetOpts {
    selector: Vec<String>,
    fields: Vec<String>,
    output: Option<Output>,
}

/// "show pods in prod", "list deployments everywhere", "yaml of deployment x".
pub(super) fn get(toks: &[Tok<'_>], wh: Where, ctx: &PlanContext<'_>) -> Outcome {
    let mut o = GetOpts::default();
    let s = collect(toks, GET_WORDS, "that you want to see something", |t, i| {
        get_option(t, i, &mut o)
    })?;
    if s.kind.is_none() {
        if let Some(p) = s.kind_typo(true) {
            return Err(p);
        }
        if let Some(n) = s.names.first() {
            return Err(which_kind("show", n.text));
        }
        if s.pronoun {
            let last = target::last_target(ctx)?;
            let kind = subject::last_kind(last);
            return finish_get(wh, ctx, kind, vec![last.name.clone()], o);
        }
        if !o.fields.is_empty() {
            return finish_get(wh, ctx, pods(), Vec::new(), o);
        }
        return Err(reply::not_understood(
            "I understood that you want to see something, but not which kind of object",
            Topic::Reads,
        ));
    }
    let kind = s.kind.clone().unwrap_or_else(pods);
    if s.plural
        && let Some(n) = s.names.iter().find(|n| n.via_of || n.pos < s.kind_pos)
    {
        return Err(Planned::Clarify(format!(
            "Do you mean the {r} in namespace {n} (\"show {r} in {n}\"), or the {r} of app {n} (\"show {r} -l app={n}\")?",
            r = kind.resource,
            n = n.text
        )));
    }
    let names = s.names.iter().map(|n| n.text.to_string()).collect();
    finish_get(wh, ctx, kind, names, o)
}

fn pods() -> Kind {
    Kind {
        resource: "pods".into(),
        namespaced: true,
    }
}

fn finish_get(
    wh: Where,
    ctx: &PlanContext<'_>,
    kind: Kind,
    names: Vec<String>,
    o: GetOpts,
) -> Outcome {
    if !o.fields.is_empty() && !kind.is("pods") {
        return Err(reply::not_understood(
            &format!("node and phase filters work on pods, not {}", kind.resource),
            Topic::Reads,
        ));
    }
    let selector = (!o.selector.is_empty()).then(|| o.selector.join(","));
    let field_selector = (!o.fields.is_empty()).then(|| o.fields.join(","));
    let output = o.output.unwrap_or_default();
    if kind.is("events") && names.is_empty() && selector.is_none() && output == Output::Table {
        let scope = wh.scope(ctx, true);
        return Ok(wh.finish(
            ctx,
            vec![Action::Events {
                scope,
                object: None,
            }],
        ));
    }
    let scope = wh.scope(ctx, kind.namespaced);
    let get = |name: Option<String>| Action::Get {
        resource: kind.resource.to_string(),
        name,
        scope: scope.clone(),
        selector: selector.clone(),
        field_selector: field_selector.clone(),
        output,
    };
    let actions = if names.is_empty() {
        vec![get(None)]
    } else {
        names.into_iter().map(|n| get(Some(n))).collect()
    };
    Ok(wh.finish(ctx, actions))
}

/// Selectors, output formats, "on node n1", "running".
fn get_option(t: &[Tok<'_>], i: usize, o: &mut GetOpts) -> Result<usize, Planned> {
    let w = t[i].low;
    let next = t.get(i + 1);
    let next_low = next.map_or("", |n| n.low);
    match w {
        "-l" | "--selector" | "--field-selector" => {
            let Some(v) = next else { return Ok(0) };
            if w == "--field-selector" {
                o.fields.push(v.raw.to_string());
            } else {
                o.selector.push(v.raw.to_string());
            }
            return Ok(2);
        }
        "-o" | "--output" => return set_output(o, next_low).map(|()| 2),
        "yaml" | "json" | "wide" => return set_output(o, w).map(|()| 1),
        "as" | "in" if matches!(next_low, "yaml" | "json" | "wide") => {
            set_output(o, next_low)?;
            return Ok(2);
        }
        "names" if matches!(next_low, "only") => {
            o.output = Some(Output::Name);
            return Ok(2);
        }
        "with" | "having" | "matching" | "where" | "labelled" | "labeled" => {
            let mut j = i + 1;
            while matches!(t.get(j).map(|x| x.low), Some("label" | "labels" | "the")) {
                j += 1;
            }
            return Ok(if label_selector(t.get(j), o) {
                j + 1 - i
            } else {
                0
            });
        }
        "on" if matches!(next_low, "node" | "nodes") => {
            let Some(node) = t.get(i + 2).filter(|n| words::is_name(n.low)) else {
                return Ok(0);
            };
            o.fields.push(format!("spec.nodeName={}", node.low));
            return Ok(3);
        }
        "running" => o.fields.push("status.phase=Running".to_string()),
        "completed" | "succeeded" | "finished" => {
            o.fields.push("status.phase=Succeeded".to_string())
        }
        _ => return Ok(usize::from(label_selector(t.get(i), o))),
    }
    Ok(1)
}

fn label_selector(t: Option<&Tok<'_>>, o: &mut GetOpts) -> bool {
    let Some(t) = t else { return false };
    match t.raw.split_once(['=', '!']) {
        Some((k, _)) if words::is_meta_key(k.trim_end_matches('=')) => {
            o.selector.push(t.raw.to_string());
            true
        }
        _ => false,
    }
}

fn set_output(o: &mut GetOpts, w: &str) -> Result<(), Planned> {
    o.output = Some(match w {
        "yaml" => Output::Yaml,
        "json" => Output::Json,
        "wide" => Output::Wide,
        "name" => Output::Name,
        _ => {
            return Err(reply::not_understood(
                &format!("the output \"{w}\" is not supported; use wide, yaml, json or name"),
                Topic::Reads,
            ));
        }
    });
    Ok(())
}

const DESCRIBE_WORDS: &[&str] = &[
    "describe",
    "details",
    "detail",
    "info",
    "information",
    "tell",
    "about",
    "show",
    "give",
    "get",
    "more",
    "on",
    "full",
    "what",
    "is",
    "everything",
    "know",
];

/// "describe deployment x", "details of pod y", "describe it".
pub(super) fn describe(toks: &[Tok<'_>], wh: Where, ctx: &PlanContext<'_>) -> Outcome {
    let s = collect(
        toks,
        DESCRIBE_WORDS,
        "that you want a description",
        |_, _| Ok(0),
    )?;
    let Some((kind, name)) = s.object(ctx, "describe")? else {
        return Err(Planned::Clarify(
            "Describe what? e.g. \"describe deployment payment-api\".".to_string(),
        ));
    };
    let action = Action::Describe {
        namespace: wh.object_namespace(ctx, kind.namespaced)?,
        resource: kind.resource.into_owned(),
        name,
    };
    Ok(wh.finish(ctx, vec![action]))
}

const LOG_WORDS: &[&str] = &[
    "logs", "log", "show", "get", "give", "fetch", "tail", "print", "see", "view", "recent",
    "latest", "output", "what", "did", "say", "says", "in", "last", "with",
];

#[derive(Default)]
struct LogOpts {
    container: Option<String>,
    tail: Option<u32>,
    since: Option<u64>,
    previous: bool,
    follow: bool,
}

/// "logs of checkout-7d9f in prod, last 100 lines", "previous logs of x since 10 minutes".
pub(super) fn logs(toks: &[Tok<'_>], wh: Where, ctx: &PlanContext<'_>) -> Outcome {
    let mut o = LogOpts::default();
    let s = collect(toks, LOG_WORDS, "that you want logs", |t, i| {
        log_option(t, i, &mut o)
    })?;
    if o.follow {
        return Err(reply::refuse(
            "follow or stream logs",
            "a chat reply is a snapshot. Ask for the last lines instead, e.g. \"logs of <pod>, last 100 lines\".",
        ));
    }
    let pod = match (&s.kind, s.one_name()?) {
        (None, Some(n)) => n.to_string(),
        (Some(k), Some(n)) if k.is("pods") => n.to_string(),
        (Some(k), Some(n)) => {
            return Err(reply::ask_for_pod(Some(&format!(
                "{} {n}",
                kinds_singular(&k.resource)
            ))));
        }
        (_, None) if s.pronoun => {
            let last = target::last_target(ctx)?;
            if last.resource != "pods" {
                return Err(reply::ask_for_pod(Some(&format!(
                    "{} {}",
                    kinds_singular(&last.resource),
                    last.name
                ))));
            }
            last.name.clone()
        }
        (_, None) => return Err(reply::ask_for_pod(None)),
    };
    let action = Action::Logs {
        pod,
        namespace: wh.one_namespace(ctx)?,
        container: o.container,
        tail: o.tail,
        since_seconds: o.since,
        previous: o.previous,
    };
    Ok(wh.finish(ctx, vec![action]))
}

fn kinds_singular(resource: &str) -> &str {
    crate::kinds::lookup(resource).map_or(resource, |k| k.singular)
}

/// Tail, since, previous, container and follow phrases.
fn log_option(t: &[Tok<'_>], i: usize, o: &mut LogOpts) -> Result<usize, Planned> {
    let w = t[i].low;
    let at = |j: usize| t.get(j).map_or("", |x| x.low);
    match w {
        "-c" | "--container" | "container" => {
            let Some(c) = t.get(i + 1).filter(|c| words::is_name(c.low)) else {
                return Ok(0);
            };
            o.container = Some(c.low.to_string());
            return Ok(2);
        }
        "-p" | "--previous" | "previous" | "prior" | "crashed" | "earlier" => {
            o.previous = true;
            let extra = usize::from(matches!(
                at(i + 1),
                "container" | "instance" | "run" | "one"
            ));
            return Ok(1 + extra);
        }
        "before" if matches!(at(i + 1), "it" | "the") => {
            if matches!(
                at(i + 2),
                "crashed" | "restarted" | "died" | "crash" | "restart"
            ) {
                o.previous = true;
                return Ok(3);
            }
        }
        "-f" | "--follow" | "follow" | "stream" | "live" | "streaming" => {
            o.follow = true;
            return Ok(1);
        }
        "--tail" => {
            return Ok(match at(i + 1).parse::<u32>() {
                Ok(n) => {
                    o.tail = Some(n);
                    2
                }
                Err(_) => 0,
            });
        }
        "--since" => {
            return Ok(match words::compact_duration(at(i + 1)) {
                Some(d) => {
                    o.since = Some(d);
                    2
                }
                None => 0,
            });
        }
        _ => {}
    }
    // "the app container" — but in "pod-x container app" the name after "container" wins.
    let free = |j: usize| words::is_name(at(j)) && !LOG_WORDS.contains(&at(j));
    if at(i + 1) == "container" && words::is_name(w) && !matches!(w, "the" | "a") && !free(i + 2) {
        o.container = Some(w.to_string());
        return Ok(2);
    }
    // "last 100 lines", "100 lines", "tail 50", "last 10 minutes", "since 5m", "past hour".
    let mut j = i;
    let lead = matches!(
        w,
        "last" | "past" | "since" | "for" | "over" | "during" | "tail" | "within"
    );
    if lead {
        j += 1;
        if at(j) == "the" {
            j += 1;
            if matches!(at(j), "last" | "past") {
                j += 1;
            }
        }
    }
    if let Some(n) = words::number(at(j)).filter(|n| *n > 0) {
        let unit = at(j + 1);
        if matches!(unit, "lines" | "line" | "rows" | "entries") {
            o.tail = Some(u32::try_from(n).map_err(|_| too_many())?);
            return Ok(j + 2 - i);
        }
        if let Some(secs) = words::unit_seconds(unit) {
            o.since = Some(secs.saturating_mul(n.unsigned_abs()));
            return Ok(j + 2 + usize::from(at(j + 2) == "ago") - i);
        }
        if lead && matches!(w, "last" | "tail") {
            o.tail = Some(u32::try_from(n).map_err(|_| too_many())?);
            return Ok(j + 1 - i);
        }
        return Ok(0);
    }
    if let Some(secs) = words::compact_duration(at(j)).filter(|_| lead || at(j + 1) == "ago") {
        o.since = Some(secs);
        return Ok(j + 1 + usize::from(at(j + 1) == "ago") - i);
    }
    if lead && let Some(secs) = words::unit_seconds(at(j)).filter(|_| !at(j).is_empty()) {
        // "in the last hour", "since a minute"
        o.since = Some(secs);
        return Ok(j + 1 - i);
    }
    Ok(0)
}

fn too_many() -> Planned {
    reply::not_understood("that is too many lines", Topic::Logs)
}

const EVENT_WORDS: &[&str] = &[
    "events", "event", "show", "list", "get", "recent", "latest", "what", "happened", "any",
    "warnings", "on", "with", "give", "see", "view", "all",
];

/// "events in prod", "events for pod x", "events of it".
pub(super) fn events(toks: &[Tok<'_>], wh: Where, ctx: &PlanContext<'_>) -> Outcome {
    let s = collect(toks, EVENT_WORDS, "that you want events", |_, _| Ok(0))?;
    let object = if s.kind.is_none() && s.names.is_empty() && !s.pronoun {
        None
    } else {
        match s.object(ctx, "events for")? {
            Some((kind, name)) => Some((kind.namespaced, kind.object(&name))),
            None => None,
        }
    };
    let action = Action::Events {
        scope: wh.events_scope(ctx, object.as_ref().map(|(n, _)| *n)),
        object: object.map(|(_, o)| o),
    };
    Ok(wh.finish(ctx, vec![action]))
}

const TOP_WORDS: &[&str] = &[
    "top",
    "cpu",
    "memory",
    "mem",
    "ram",
    "usage",
    "use",
    "uses",
    "using",
    "utilization",
    "utilisation",
    "consumption",
    "consuming",
    "resource",
    "resources",
    "show",
    "get",
    "what",
    "what's",
    "which",
    "is",
    "are",
    "the",
    "most",
    "highest",
    "by",
    "and",
    "how",
    "much",
    "heaviest",
    "list",
    "metrics",
];

/// "top pods", "cpu usage of pods in prod", "memory of nodes".
pub(super) fn top(toks: &[Tok<'_>], wh: Where, ctx: &PlanContext<'_>) -> Outcome {
    let s = collect(toks, TOP_WORDS, "that you want resource usage", |_, _| {
        Ok(0)
    })?;
    let name = s.one_name()?.map(str::to_string);
    let resource = match &s.kind {
        Some(k) if k.is("pods") => TopResource::Pods,
        Some(k) if k.is("nodes") => TopResource::Nodes,
        Some(k) => {
            return Err(reply::not_understood(
                &format!(
                    "resource usage is measured for pods and nodes, not {}",
                    k.resource
                ),
                Topic::Reads,
            ));
        }
        None if name.is_none() && wh.names_namespace() => TopResource::Pods,
        None => return Err(reply::ask_top()),
    };
    let scope = wh.scope(ctx, resource == TopResource::Pods);
    Ok(wh.finish(
        ctx,
        vec![Action::Top {
            resource,
            scope,
            name,
        }],
    ))
}

const DIAGNOSE_WORDS: &[&str] = &[
    "why",
    "is",
    "are",
    "does",
    "do",
    "did",
    "keep",
    "keeps",
    "kept",
    "my",
    "so",
    "still",
    "always",
    "being",
    "getting",
    "diagnose",
    "troubleshoot",
    "investigate",
    "debug",
    "what",
    "what's",
    "whats",
    "with",
    "happening",
    "going",
    "on",
    "wrong",
    "up",
    "crash",
    "crashes",
    "fail",
    "start",
    "starting",
    "started",
    "ready",
    "running",
    "working",
    "restart",
    "restarts",
    "killed",
    "slow",
    "won't",
    "doesn't",
    "isn't",
    "can't",
    "cannot",
    "to",
    "in",
    "state",
    "and",
    "how",
    "how's",
    "check",
    "healthy",
    "health",
    "ok",
    "okay",
    "fine",
    "alive",
    "status",
    "of",
    "any",
    "anything",
    "something",
    "which",
    "show",
    "list",
    "find",
    "all",
    "everything",
    "currently",
    "at",
    "moment",
    "see",
    "there",
];

/// "why is checkout crashing", "what's wrong with payment-api", "diagnose it".
pub(super) fn diagnose(toks: &[Tok<'_>], wh: Where, ctx: &PlanContext<'_>) -> Outcome {
    diagnose_or_failing(toks, wh, ctx)
}

/// With a name (or "it"): diagnose it. Without: list what is failing in the scope.
pub(super) fn diagnose_or_failing(toks: &[Tok<'_>], wh: Where, ctx: &PlanContext<'_>) -> Outcome {
    let s: Subject<'_> = collect(toks, DIAGNOSE_WORDS, "that something is wrong", |t, i| {
        Ok(usize::from(super::FAILURE.contains(&t[i].low)))
    })?;
    let name = match s.one_name()? {
        Some(n) => Some(n.to_string()),
        None if s.pronoun => Some(target::last_target(ctx)?.name.clone()),
        None => None,
    };
    if let Some(name) = name {
        let namespace = wh.one_namespace(ctx)?;
        return Ok(wh.finish(ctx, vec![Action::Diagnose { name, namespace }]));
    }
    let has = |w: &str| toks.iter().any(|t| t.low == w);
    let failure = toks.iter().any(|t| super::FAILURE.contains(&t.low));
    match &s.kind {
        Some(k) if !k.is("pods") && k.workload().is_none() => {
            return finish_get(wh, ctx, k.clone(), Vec::new(), GetOpts::default());
        }
        _ if has("running") && !failure => {
            let o = GetOpts {
                fields: vec!["status.phase=Running".to_string()],
                ..GetOpts::default()
            };
            return finish_get(wh, ctx, pods(), Vec::new(), o);
        }
        _ => {}
    }
    if toks.first().is_some_and(|t| t.low == "why") && !failure {
        return Err(Planned::Clarify(
            "Why is what failing? Name the pod or deployment, e.g. \"why is checkout crashing in payments\"."
                .to_string(),
        ));
    }
    let scope = wh.scope(ctx, true);
    Ok(wh.finish(ctx, vec![Action::Failing { scope }]))
}

const ROLLOUT_WORDS: &[&str] = &[
    "rollout",
    "roll-out",
    "roll",
    "status",
    "is",
    "the",
    "done",
    "finished",
    "finish",
    "complete",
    "completed",
    "over",
    "going",
    "progress",
    "progressing",
    "how",
    "how's",
    "has",
    "did",
    "rolled",
    "rolling",
    "out",
    "show",
    "check",
    "what",
    "what's",
    "get",
    "of",
    "yet",
];

/// "rollout status of payment-api", "is the rollout of x done".
pub(super) fn rollout_status(toks: &[Tok<'_>], wh: Where, ctx: &PlanContext<'_>) -> Outcome {
    let (target, namespace) = workload_subject(toks, ROLLOUT_WORDS, "rollout status", &wh, ctx)?;
    Ok(wh.finish(ctx, vec![Action::RolloutStatus { target, namespace }]))
}

const HISTORY_WORDS: &[&str] = &[
    "rollout",
    "roll-out",
    "history",
    "revisions",
    "revision",
    "versions",
    "show",
    "list",
    "get",
    "previous",
    "past",
    "what",
    "are",
    "deployment",
    "releases",
];

/// "rollout history of payment-api", "revisions of x".
pub(super) fn history(toks: &[Tok<'_>], wh: Where, ctx: &PlanContext<'_>) -> Outcome {
    let (target, namespace) = workload_subject(toks, HISTORY_WORDS, "rollout history", &wh, ctx)?;
    Ok(wh.finish(ctx, vec![Action::RolloutHistory { target, namespace }]))
}

/// The workload a rollout read is about (default kind: deployment).
fn workload_subject(
    toks: &[Tok<'_>],
    fillers: &[&str],
    verb: &str,
    wh: &Where,
    ctx: &PlanContext<'_>,
) -> Result<(crate::actions::Workload, String), Planned> {
    let s = collect(
        toks,
        fillers,
        &format!("that you want the {verb}"),
        |_, _| Ok(0),
    )?;
    let target = match s.one_name()? {
        Some(n) => target::workload(s.kind.as_ref(), n, verb)?,
        None if s.pronoun => target::last_workload(ctx, verb)?,
        None => {
            return Err(Planned::Clarify(format!(
                "The {verb} of which deployment? e.g. \"{verb} of payment-api\"."
            )));
        }
    };
    Ok((target, wh.one_namespace(ctx)?))
}

/// English verbs in a permission question, as API verbs.
fn api_verb(w: &str) -> Option<&'static str> {
    Some(match w {
        "see" | "view" | "read" | "show" | "look" | "access" => "get",
        "remove" | "kill" | "destroy" | "terminate" => "delete",
        "edit" | "change" | "modify" | "restart" | "bounce" | "redeploy" | "rollback"
        | "revert" | "undo" | "cordon" | "uncordon" | "label" | "annotate" => "patch",
        _ => return CAN_I_VERBS.iter().find(|v| **v == w && w != "*").copied(),
    })
}

/// "can I delete pods in prod?", "am I allowed to restart payment-api?".
pub(super) fn can_i(toks: &[Tok<'_>], wh: Where, ctx: &PlanContext<'_>) -> Outcome {
    let Some(first) = toks.first() else {
        return Err(Planned::Clarify(
            "Can you do what? e.g. \"can I delete pods in payments?\"".to_string(),
        ));
    };
    let Some(mut verb) = api_verb(first.low) else {
        return Err(reply::not_understood(
            &format!(
                "I can check permissions for verbs like get, list, create, update, patch and delete, not \"{}\"",
                first.raw
            ),
            Topic::Reads,
        ));
    };
    let rest = if toks.get(1).is_some_and(|t| t.low == "back") {
        &toks[2..]
    } else {
        &toks[1..]
    };
    let s = collect(
        rest,
        &["any", "all", "other", "every"],
        "a permission question",
        |_, _| Ok(0),
    )?;
    let name = s.one_name()?.map(str::to_string);
    let kind = match (&s.kind, &name) {
        (Some(k), _) => k.clone(),
        (None, _)
            if matches!(
                first.low,
                "restart" | "bounce" | "redeploy" | "rollback" | "revert" | "undo"
            ) =>
        {
            Kind {
                resource: "deployments".into(),
                namespaced: true,
            }
        }
        (None, Some(n)) => return Err(which_kind(&format!("can I {} …", first.low), n)),
        (None, None) => {
            return Err(Planned::Clarify(format!(
                "{} what? e.g. \"can I {} pods in payments?\"",
                first.raw, first.low
            )));
        }
    };
    if verb == "get" && name.is_none() && s.plural && first.low != "get" {
        verb = "list";
    }
    let scope = wh.scope(ctx, kind.namespaced);
    let action = Action::AuthCanI {
        verb: verb.to_string(),
        resource: kind.resource.into_owned(),
        name,
        scope,
    };
    Ok(wh.finish(ctx, vec![action]))
}
