//! English requests that only read: show/list, describe, events, top, "can I …?" (logs and
//! health questions have their own modules).

use crate::actions::{Action, Output, TopResource};
use crate::planner::kubectl::CAN_I_VERBS;
use crate::planner::reply::{self, Topic};
use crate::planner::target::{Kind, Where};
use crate::planner::{PlanContext, Planned, words};

use super::lex::Tok;
use super::subject::{self, collect, which_kind};

type Outcome = Result<Planned, Planned>;

#[rustfmt::skip]
const GET_WORDS: &[&str] = &[
    "show", "list", "get", "display", "see", "view", "print", "fetch", "give", "what", "what's",
    "whats", "which", "are", "is", "any", "all", "how", "many", "current", "existing", "available",
    "do", "we", "have", "i", "check", "find", "lookup", "look", "at", "status", "output", "format", "does", "use", "uses", "runs", "run",
    "only", "just", "every", "each", "there", "exist",
];

/// Get options read from the words.
#[derive(Default)]
pub(super) struct GetOpts {
    pub selector: Vec<String>,
    pub fields: Vec<String>,
    pub output: Option<Output>,
    /// The request asks about images or versions.
    pub images: bool,
}

/// "show pods in prod", "list deployments everywhere", "yaml of deployment x".
pub(super) fn get(toks: &[Tok<'_>], wh: Where, ctx: &PlanContext<'_>) -> Outcome {
    let mut o = GetOpts::default();
    let s = collect(toks, GET_WORDS, "that you want to see something", |t, i| {
        get_option(t, i, &mut o)
    })?;
    if o.images {
        // "what version is x running": "running" is not a phase filter here.
        o.fields.retain(|f| f != "status.phase=Running");
    }
    if s.kind.is_none() {
        if let Some(p) = s.kind_typo(true) {
            return Err(p);
        }
        if let (true, Some(n)) = (o.images, s.one_name()?) {
            let kind = Kind {
                resource: "deployments".into(),
                namespaced: true,
            };
            return finish_get(wh, ctx, kind, vec![n.to_string()], o);
        }
        if let Some(n) = s.names.first() {
            return Err(which_kind("show", n.text));
        }
        if s.pronoun {
            let last = s.last(ctx)?;
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
    let names = s.one_name()?.into_iter().map(str::to_string).collect();
    finish_get(wh, ctx, kind, names, o)
}

pub(super) fn pods() -> Kind {
    Kind {
        resource: "pods".into(),
        namespaced: true,
    }
}

pub(super) fn finish_get(
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
        // "what image does payment-api run": the wide listing shows images.
        "image" | "images" | "version" | "versions" | "tag" => {
            o.images = true;
            o.output.get_or_insert(Output::Wide);
        }
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

#[rustfmt::skip]
const DESCRIBE_WORDS: &[&str] = &[
    "describe", "details", "detail", "info", "information", "tell", "about", "show", "give", "get",
    "more", "on", "full", "what", "is", "everything", "know",
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

const EVENT_WORDS: &[&str] = &[
    "happening",
    "happened",
    "going",
    "is",
    "what's",
    "whats",
    "warning",
    "events",
    "event",
    "show",
    "list",
    "get",
    "recent",
    "latest",
    "what",
    "happened",
    "any",
    "warnings",
    "on",
    "with",
    "give",
    "see",
    "view",
    "all",
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

#[rustfmt::skip]
const TOP_WORDS: &[&str] = &[
    "top", "cpu", "memory", "mem", "ram", "usage", "use", "uses", "using", "utilization",
    "utilisation", "consumption", "consuming", "resource", "resources", "show", "get", "what",
    "what's", "which", "is", "are", "the", "most", "highest", "by", "and", "how", "much",
    "heaviest", "list", "metrics",
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
    if rest
        .iter()
        .any(|t| matches!(t.low, "logs" | "log" | "exec" | "shell"))
    {
        return Err(reply::not_understood(
            "permission checks on logs or exec (subresources) are not supported yet; ask e.g. \"can I get pods in payments?\"",
            Topic::Reads,
        ));
    }
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
