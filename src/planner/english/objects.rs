//! English requests that change named objects: delete, cordon/uncordon/drain, label and
//! annotate, create a job from a cronjob, and "stop"/"start" (asked back as scaling).

use crate::actions::Action;
use crate::planner::kubectl::{meta_changes, refuse_bulk};
use crate::planner::reply::{self, Topic};
use crate::planner::target::{self, Where};
use crate::planner::{PlanContext, Planned, words};

use super::lex::Tok;
use super::subject::{capital, collect, singular, which_kind};

type Outcome = Result<Planned, Planned>;

#[rustfmt::skip]
const DELETE_WORDS: &[&str] = &[
    "delete", "remove", "kill", "destroy", "terminate", "rm", "drop", "get", "rid", "and",
    "object",
];

/// "delete pod x", "kill the checkout-7d9f pod", "delete it".
pub(super) fn delete(toks: &[Tok<'_>], wh: Where, ctx: &PlanContext<'_>) -> Outcome {
    let s = collect(
        toks,
        DELETE_WORDS,
        "that you want to delete something",
        |t, i| match t[i].low {
            "all" | "every" | "everything" | "--all" | "-l" | "--selector" | "with"
            | "matching" | "labelled" | "labeled" | "where" => Err(refuse_bulk()),
            w if super::FAILURE.contains(&w) || matches!(w, "completed" | "old" | "finished") => {
                Err(refuse_bulk())
            }
            "force" | "--force" | "forcefully" | "--grace-period=0" | "--now" => {
                Err(reply::not_understood(
                    "kubechat only deletes gracefully, so pods can shut down cleanly",
                    Topic::Writes,
                ))
            }
            _ => Ok(0),
        },
    )?;
    if s.pronoun && s.names.is_empty() {
        let last = s.last(ctx)?;
        let action = Action::Delete {
            resource: last.resource.clone(),
            name: last.name.clone(),
            namespace: wh.object_namespace(ctx, target::namespaced(&last.resource))?,
            cascade: Default::default(),
        };
        return Ok(wh.finish(ctx, vec![action]));
    }
    let Some(kind) = s.kind.clone() else {
        if let Some(p) = s.kind_typo(false) {
            return Err(p);
        }
        return Err(match s.names.first() {
            Some(n) => which_kind("delete", n.text),
            None => Planned::Clarify("Delete what? e.g. \"delete pod checkout-7d9f\".".to_string()),
        });
    };
    if s.names.is_empty() {
        return Err(Planned::Clarify(format!(
            "Delete which {}? kubechat deletes named objects, e.g. \"delete {} <name>\".",
            singular(&kind.resource),
            singular(&kind.resource)
        )));
    }
    let namespace = wh.object_namespace(ctx, kind.namespaced)?;
    let actions = s
        .names
        .iter()
        .map(|n| Action::Delete {
            resource: kind.resource.to_string(),
            name: n.text.to_string(),
            namespace: namespace.clone(),
            cascade: Default::default(),
        })
        .collect();
    Ok(wh.finish(ctx, actions))
}

#[rustfmt::skip]
const NODE_WORDS: &[&str] = &[
    "cordon", "uncordon", "drain", "mark", "make", "as", "unschedulable", "schedulable", "and",
    "with",
];

/// "cordon node n1", "drain n1", "mark n1 unschedulable", "uncordon it".
pub(super) fn node(verb: &str, toks: &[Tok<'_>], wh: Where, ctx: &PlanContext<'_>) -> Outcome {
    let mut delete_emptydir = false;
    let s = collect(
        toks,
        NODE_WORDS,
        &format!("that you want to {verb} a node"),
        |t, i| {
            let w = t[i].low;
            let at = |j: usize| t.get(j).map_or("", |x| x.low);
            if verb != "drain" {
                return Ok(0);
            }
            if matches!(w, "--ignore-daemonsets") {
                return Ok(1);
            }
            if matches!(w, "ignoring" | "ignore") && matches!(at(i + 1), "daemonsets" | "daemonset")
            {
                return Ok(2);
            }
            if matches!(w, "--delete-emptydir-data" | "--delete-local-data") {
                delete_emptydir = true;
                return Ok(1);
            }
            if matches!(w, "delete" | "deleting" | "including" | "even")
                && matches!(at(i + 1), "emptydir" | "local")
            {
                delete_emptydir = true;
                return Ok(2 + usize::from(matches!(at(i + 2), "data" | "volumes")));
            }
            if matches!(w, "--force" | "force" | "--disable-eviction") {
                return Err(reply::not_understood(
                    "kubechat drains by eviction only, so PodDisruptionBudgets are honoured",
                    Topic::Nodes,
                ));
            }
            Ok(0)
        },
    )?;
    if let Some(k) = s.kind.as_ref().filter(|k| !k.is("nodes")) {
        return Err(reply::not_understood(
            &format!("only nodes can be {verb}ed, not {}", k.resource),
            Topic::Nodes,
        ));
    }
    let nodes: Vec<String> = if s.names.is_empty() && s.pronoun {
        let last = s.last(ctx)?;
        if last.resource != "nodes" {
            return Err(Planned::Clarify(format!(
                "{} which node? The last object here is {} {}, not a node.",
                capital(verb),
                singular(&last.resource),
                last.name
            )));
        }
        vec![last.name.clone()]
    } else {
        s.names.iter().map(|n| n.text.to_string()).collect()
    };
    if nodes.is_empty() {
        return Err(Planned::Clarify(format!(
            "{} which node? e.g. \"{verb} node n1\".",
            capital(verb)
        )));
    }
    let actions = nodes
        .into_iter()
        .map(|node| match verb {
            "cordon" => Action::Cordon { node },
            "uncordon" => Action::Uncordon { node },
            // In plain English a drain ignores DaemonSet pods, as nearly every real drain must
            // (they are recreated on the node anyway); the preview shows the exact flags.
            _ => Action::Drain {
                node,
                ignore_daemonsets: true,
                delete_emptydir_data: delete_emptydir,
            },
        })
        .collect();
    Ok(wh.finish(ctx, actions))
}

#[rustfmt::skip]
const META_WORDS: &[&str] = &[
    "label", "labels", "labelled", "labeled", "unlabel", "relabel", "annotate", "annotation",
    "annotations", "add", "set", "put", "with", "to", "on", "from", "remove", "delete", "drop",
    "unset", "and", "key", "keys", "change", "update",
];

/// "label pod x team=a", "add annotation note=hi to deployment y",
/// "remove label team from pod x", "unlabel pod x team".
pub(super) fn meta(labels: bool, toks: &[Tok<'_>], wh: Where, ctx: &PlanContext<'_>) -> Outcome {
    let first = toks.first().map_or("", |t| t.low);
    let removing = matches!(first, "remove" | "delete" | "drop" | "unset" | "unlabel");
    let from_pos = toks
        .iter()
        .position(|t| matches!(t.low, "from" | "on" | "of"))
        .unwrap_or(0);
    let mut pairs: Vec<String> = Vec::new();
    let mut overwrite = matches!(first, "set" | "update" | "change" | "relabel");
    let mut s = collect(
        toks,
        META_WORDS,
        "that you want to change labels or annotations",
        |t, i| {
            let (w, raw) = (t[i].low, t[i].raw);
            if matches!(
                w,
                "overwrite" | "--overwrite" | "overwriting" | "replace" | "replacing"
            ) {
                overwrite = true;
                return Ok(1);
            }
            if raw.contains('=') || (raw.ends_with('-') && raw.len() > 1) {
                pairs.push(raw.to_string());
                return Ok(1);
            }
            if removing
                && i < from_pos
                && !META_WORDS.contains(&w)
                && !matches!(w, "the" | "a")
                && words::is_meta_key(raw)
            {
                pairs.push(format!("{raw}-"));
                return Ok(1);
            }
            Ok(0)
        },
    )?;
    // "unlabel pod x team": names after the object are the keys to remove.
    if removing && from_pos == 0 && s.names.len() > 1 {
        for n in s.names.split_off(1) {
            pairs.push(format!("{}-", n.text));
        }
    }
    let verb = if labels { "label" } else { "annotate" };
    if !removing && !pairs.is_empty() && s.names.len() > 1 {
        let rest: Vec<&str> = s.names[1..].iter().map(|n| n.text).collect();
        return Err(reply::not_understood(
            &format!(
                "I understood {} for {}, but not \"{}\"; a value with spaces needs kubectl syntax and quotes, e.g. kubectl {verb} pod x 'note=hello world'",
                pairs.join(" "),
                s.names[0].text,
                rest.join(" ")
            ),
            Topic::Writes,
        ));
    }
    let Some((kind, name)) = s.object(ctx, verb)? else {
        return Err(Planned::Clarify(format!(
            "{} which object? e.g. \"{verb} pod checkout-7d9f team=checkout\".",
            capital(verb)
        )));
    };
    let Some(changes) = meta_changes(&pairs, labels, overwrite)? else {
        return Err(Planned::Clarify(format!(
            "Which {}? e.g. \"{verb} {} {name} team=checkout\".",
            if labels { "labels" } else { "annotations" },
            singular(&kind.resource)
        )));
    };
    let namespace = wh.object_namespace(ctx, kind.namespaced)?;
    let target = kind.object(&name);
    let action = Action::metadata(labels, target, namespace, changes);
    Ok(wh.finish(ctx, vec![action]))
}

#[rustfmt::skip]
const JOB_WORDS: &[&str] = &[
    "create", "trigger", "run", "start", "kick", "off", "launch", "execute", "manually", "manual",
    "now", "a", "an", "new", "the", "from", "of", "using", "based", "on", "once", "immediately",
    "one-off", "out", "for", "please", "me", "right", "away",
];

/// "create a job from cronjob nightly", "run cronjob nightly now", "trigger the nightly cronjob".
pub(super) fn job(toks: &[Tok<'_>], wh: Where, ctx: &PlanContext<'_>) -> Outcome {
    let mut cronjob: Option<String> = None;
    let mut job: Option<String> = None;
    let mut saw_cronjob = false;
    let mut loose: Vec<&str> = Vec::new();
    let is_free_name = |t: Option<&Tok<'_>>| {
        t.filter(|t| {
            words::is_name(t.low)
                && !JOB_WORDS.contains(&t.low)
                && !matches!(
                    t.low,
                    "job" | "jobs" | "cronjob" | "cronjobs" | "cj" | "named" | "called"
                )
        })
        .map(|t| t.low.to_string())
    };
    let mut i = 0;
    while i < toks.len() {
        let w = toks[i].low;
        let next = is_free_name(toks.get(i + 1));
        match w {
            _ if JOB_WORDS.contains(&w) => {}
            "cronjob" | "cronjobs" | "cj" => {
                saw_cronjob = true;
                if next.is_some() {
                    cronjob = next;
                    i += 1;
                }
            }
            "job" | "jobs" | "named" | "called" => {
                if next.is_some() {
                    job = next;
                    i += 1;
                }
            }
            "it" => {
                let last = target::last_target(ctx)?;
                if last.resource == "cronjobs" {
                    cronjob = Some(last.name.clone());
                    saw_cronjob = true;
                }
            }
            _ if words::is_name(w) => loose.push(w),
            _ => {
                return Err(reply::not_understood(
                    &format!(
                        "I understood that you want to run a cronjob, but not \"{}\"",
                        toks[i].raw
                    ),
                    Topic::Writes,
                ));
            }
        }
        i += 1;
    }
    if cronjob.is_none() && saw_cronjob && loose.len() == 1 {
        cronjob = loose.pop().map(str::to_string);
    }
    if let Some(extra) = loose.first() {
        return Err(reply::not_understood(
            &format!("I understood that you want to run a cronjob, but not \"{extra}\""),
            Topic::Writes,
        ));
    }
    let Some(cronjob) = cronjob else {
        return Err(Planned::Clarify(
            "Create a job from which cronjob? e.g. \"create a job from cronjob nightly\"."
                .to_string(),
        ));
    };
    // kubectl would add a random suffix; planning is deterministic, so the default is fixed.
    let job = job.unwrap_or_else(|| format!("{cronjob}-manual"));
    if job.len() > 63 {
        return Err(Planned::Clarify(format!(
            "The job name {job} is too long (63 characters at most). What should the job be called?"
        )));
    }
    let namespace = wh.one_namespace(ctx)?;
    Ok(wh.finish(
        ctx,
        vec![Action::CreateJobFromCronJob {
            cronjob,
            job,
            namespace,
        }],
    ))
}

/// "stop payment-api" / "start payment-api": scaling is what that means, but how far is
/// asked back rather than guessed.
pub(super) fn stop_or_start(
    stop: bool,
    toks: &[Tok<'_>],
    _wh: Where,
    _ctx: &PlanContext<'_>,
) -> Outcome {
    let s = collect(
        toks,
        &[
            "stop", "shutdown", "shut", "down", "off", "turn", "on", "pause", "suspend", "halt",
            "start", "up", "resume", "all",
        ],
        "that you want to stop or start something",
        |_, _| Ok(0),
    )?;
    let name = s.one_name()?.unwrap_or("<name>");
    Err(Planned::Clarify(if stop {
        format!(
            "Do you mean to scale {name} to 0 replicas? That stops all its pods. If so, say \"scale {name} to 0\"."
        )
    } else {
        format!("To start {name}, scale it up: how many replicas? e.g. \"scale {name} to 2\".")
    }))
}
