//! kubectl verbs that only read: get, describe, logs, events, top, auth can-i.

use crate::actions::{Action, ObjectRef, Output, TopResource};
use crate::planner::reply::{self, Topic};
use crate::planner::target::{self, Where};
use crate::planner::{PlanContext, Planned, words};

use super::flags::{self, Args, Spec, flag};
use super::{Outcome, bad_value, done, name_arg, no_more, targets, where_from};

const GET: &[Spec] = &[
    flag(&["-l", "--selector"], "selector", true),
    flag(&["--field-selector"], "field", true),
    flag(&["-o", "--output"], "output", true),
];

/// `kubectl get KIND[,KIND] [NAME…]` or `get KIND/NAME…`.
pub(super) fn get(args: &[String], ctx: &PlanContext<'_>) -> Outcome {
    let a = flags::parse(args, GET)?;
    let wh = where_from(&a, ctx)?;
    let output = match a.get("output") {
        None => Output::Table,
        Some("wide") => Output::Wide,
        Some("yaml") => Output::Yaml,
        Some("json") => Output::Json,
        Some("name") => Output::Name,
        Some(o) => {
            return Err(reply::not_understood(
                &format!(
                    "the output format \"{o}\" is not supported; use wide, yaml, json or name"
                ),
                Topic::Kubectl,
            ));
        }
    };
    let Some(first) = a.pos.first() else {
        return Ok(Planned::Clarify(
            "Get what? Name a kind, e.g. \"kubectl get pods\" or \"kubectl get deployments -A\"."
                .to_string(),
        ));
    };
    let selector = a.get("selector").map(str::to_string);
    let field_selector = a.get("field").map(str::to_string);
    let plain = selector.is_none() && field_selector.is_none() && output == Output::Table;
    // "get pods,svc" is one Get per kind; "get pods a b" one Get per name.
    let mut targets_out = Vec::new();
    if first.contains('/') {
        let (t, used) = targets(&a.pos, true)?;
        no_more(&a.pos[used..], "get")?;
        targets_out = t;
    } else {
        let names = a.pos[1..]
            .iter()
            .map(|n| name_arg(n))
            .collect::<Result<Vec<_>, _>>()?;
        for kind_word in first.split(',') {
            let kind = target::resolve_kind(kind_word)?;
            if names.is_empty() {
                targets_out.push((kind, None));
            } else {
                targets_out.extend(names.iter().map(|n| (kind.clone(), Some(n.clone()))));
            }
        }
    }
    let actions = targets_out
        .into_iter()
        .map(|(kind, name)| {
            if kind.is("events") && name.is_none() && plain {
                return Action::Events {
                    scope: wh.scope(ctx, true),
                    object: None,
                };
            }
            Action::Get {
                scope: wh.scope(ctx, kind.namespaced),
                resource: kind.resource.into_owned(),
                name,
                selector: selector.clone(),
                field_selector: field_selector.clone(),
                output,
            }
        })
        .collect();
    done(wh, ctx, actions)
}

/// `kubectl describe KIND NAME…` or `describe KIND/NAME…`.
pub(super) fn describe(args: &[String], ctx: &PlanContext<'_>) -> Outcome {
    let a = flags::parse(args, &[])?;
    let wh = where_from(&a, ctx)?;
    let (t, used) = targets(&a.pos, true)?;
    no_more(&a.pos[used..], "describe")?;
    let mut actions = Vec::new();
    for (kind, name) in t {
        let Some(name) = name else {
            return Ok(Planned::Clarify(format!(
                "Describe which of the {}? Name one, e.g. \"kubectl describe {} <name>\".",
                kind.resource, kind.resource
            )));
        };
        actions.push(Action::Describe {
            namespace: wh.object_namespace(ctx, kind.namespaced)?,
            resource: kind.resource.into_owned(),
            name,
        });
    }
    if actions.is_empty() {
        return Ok(Planned::Clarify(
            "Describe what? e.g. \"kubectl describe deployment payment-api\".".to_string(),
        ));
    }
    done(wh, ctx, actions)
}

const LOGS: &[Spec] = &[
    flag(&["-c", "--container"], "container", true),
    flag(&["--tail"], "tail", true),
    flag(&["--since"], "since", true),
    flag(&["-p", "--previous"], "previous", false),
    flag(&["-f", "--follow"], "follow", false),
];

/// `kubectl logs POD [CONTAINER] [-c C] [--tail N] [--since D] [-p]`.
pub(super) fn logs(args: &[String], ctx: &PlanContext<'_>) -> Outcome {
    let a = flags::parse(args, LOGS)?;
    if a.switch("follow")? {
        return Ok(reply::refuse(
            "follow logs (-f)",
            "a chat reply is a snapshot. Ask for the last lines instead, e.g. \"kubectl logs <pod> --tail=100\".",
        ));
    }
    let wh = where_from(&a, ctx)?;
    let Some(first) = a.pos.first() else {
        return Ok(reply::ask_for_pod(None));
    };
    let pod = match first.split_once('/') {
        Some(("pod" | "pods" | "po", name)) => name_arg(name)?,
        Some((kind, name)) => {
            target::resolve_kind(kind)?;
            return Ok(reply::ask_for_pod(Some(&format!("{kind}/{name}"))));
        }
        None => name_arg(first)?,
    };
    let container = match (a.get("container"), a.pos.get(1)) {
        (Some(c), None) => Some(c.to_string()),
        (None, Some(c)) => Some(name_arg(c)?),
        (None, None) => None,
        (Some(_), Some(p)) => return Err(extra(p, "logs")),
    };
    no_more(a.pos.get(2..).unwrap_or_default(), "logs")?;
    let tail = match a.get("tail") {
        None => None,
        Some(t) => match t.parse::<i64>() {
            Ok(n) if n < 0 => None,
            Ok(n) => Some(u32::try_from(n).map_err(|_| bad_value("--tail", t))?),
            Err(_) => return Err(bad_value("--tail", t)),
        },
    };
    let since_seconds = match a.get("since") {
        None => None,
        Some(s) => Some(words::compact_duration(s).ok_or_else(|| bad_value("--since", s))?),
    };
    let action = Action::Logs {
        pod,
        namespace: wh.one_namespace(ctx)?,
        container,
        tail,
        since_seconds,
        previous: a.switch("previous")?,
    };
    done(wh, ctx, vec![action])
}

fn extra(p: &str, verb: &str) -> Planned {
    reply::not_understood(
        &format!("I don't know what \"{p}\" means in kubectl {verb}"),
        Topic::Kubectl,
    )
}

/// `kubectl events [--for KIND/NAME]`.
pub(super) fn events(args: &[String], ctx: &PlanContext<'_>) -> Outcome {
    let a = flags::parse(args, &[flag(&["--for"], "for", true)])?;
    let wh = where_from(&a, ctx)?;
    no_more(&a.pos, "events")?;
    let object = match a.get("for") {
        None => None,
        Some(f) => {
            let Some((kind, name)) = f.split_once('/') else {
                return Err(bad_value("--for", f));
            };
            let kind = target::resolve_kind(kind)?;
            Some((kind.namespaced, kind.object(&name_arg(name)?)))
        }
    };
    done_events(wh, ctx, object)
}

fn done_events(wh: Where, ctx: &PlanContext<'_>, object: Option<(bool, ObjectRef)>) -> Outcome {
    let action = Action::Events {
        scope: wh.events_scope(ctx, object.as_ref().map(|(namespaced, _)| *namespaced)),
        object: object.map(|(_, o)| o),
    };
    done(wh, ctx, vec![action])
}

/// `kubectl top pods|nodes [NAME]`.
pub(super) fn top(args: &[String], ctx: &PlanContext<'_>) -> Outcome {
    let a = flags::parse(args, &[])?;
    let wh = where_from(&a, ctx)?;
    let resource = match a.pos.first().map(|p| p.to_ascii_lowercase()).as_deref() {
        Some("pod" | "pods" | "po") => TopResource::Pods,
        Some("node" | "nodes" | "no") => TopResource::Nodes,
        Some(other) => {
            return Err(reply::not_understood(
                &format!("kubectl top shows pods or nodes, not \"{other}\""),
                Topic::Kubectl,
            ));
        }
        None => return Ok(reply::ask_top()),
    };
    let name = a.pos.get(1).map(|n| name_arg(n)).transpose()?;
    no_more(a.pos.get(2..).unwrap_or_default(), "top")?;
    let scope = wh.scope(ctx, resource == TopResource::Pods);
    done(
        wh,
        ctx,
        vec![Action::Top {
            resource,
            scope,
            name,
        }],
    )
}

/// Verbs `kubectl auth can-i` knows.
pub(in crate::planner) const CAN_I_VERBS: &[&str] = &[
    "get",
    "list",
    "watch",
    "create",
    "update",
    "patch",
    "delete",
    "deletecollection",
    "escalate",
    "bind",
    "impersonate",
    "use",
    "approve",
    "*",
];

/// `kubectl auth can-i VERB KIND[/NAME] [NAME]`.
pub(super) fn auth(args: &[String], ctx: &PlanContext<'_>) -> Outcome {
    let a = flags::parse(args, &[])?;
    let wh = where_from(&a, ctx)?;
    match a.pos.first().map(String::as_str) {
        Some("can-i") => {}
        other => {
            return Err(reply::not_understood(
                &format!(
                    "kubechat supports \"kubectl auth can-i\", not auth {}",
                    other.unwrap_or_default()
                ),
                Topic::Kubectl,
            ));
        }
    }
    let (Some(verb), Some(what)) = (a.pos.get(1), a.pos.get(2)) else {
        return Ok(Planned::Clarify(
            "Can you do what? e.g. \"kubectl auth can-i delete pods -n payments\".".to_string(),
        ));
    };
    can_i(&a, wh, ctx, verb, what)
}

fn can_i(a: &Args, wh: Where, ctx: &PlanContext<'_>, verb: &str, what: &str) -> Outcome {
    let verb = verb.to_ascii_lowercase();
    if !CAN_I_VERBS.contains(&verb.as_str()) {
        return Err(reply::not_understood(
            &format!(
                "\"{verb}\" is not an API verb (get, list, watch, create, update, patch, delete, …)"
            ),
            Topic::Kubectl,
        ));
    }
    let (kind_word, mut name) = match what.split_once('/') {
        Some((k, n)) => (k, Some(name_arg(n)?)),
        None => (what, None),
    };
    if let Some(n) = a.pos.get(3) {
        if name.is_some() {
            return Err(extra(n, "auth can-i"));
        }
        name = Some(name_arg(n)?);
    }
    no_more(a.pos.get(4..).unwrap_or_default(), "auth can-i")?;
    let (resource, namespaced) = if kind_word == "*" {
        ("*".to_string(), true)
    } else {
        let k = target::resolve_kind(kind_word)?;
        (k.resource.into_owned(), k.namespaced)
    };
    let action = Action::AuthCanI {
        verb,
        scope: wh.scope(ctx, namespaced),
        resource,
        name,
    };
    done(wh, ctx, vec![action])
}
