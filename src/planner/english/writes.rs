//! English requests that change the cluster: scale, restart, roll back, set image, delete,
//! cordon/uncordon/drain, label/annotate, create a job from a cronjob.
//!
//! A write needs its target and its value stated; anything missing or odd is asked back.

use crate::actions::{Action, Workload};
use crate::planner::kubectl::{meta_changes, refuse_bulk};
use crate::planner::reply::{self, Topic};
use crate::planner::target::{self, Where};
use crate::planner::{PlanContext, Planned, words};

use super::lex::Tok;
use super::subject::{Subject, collect, which_kind};

type Outcome = Result<Planned, Planned>;

/// Replicas above this are asked back: more likely a typo than a plan.
const MAX_REPLICAS: i64 = 1000;

/// The workload a write is aimed at: named (default kind Deployment) or "it".
fn workload(s: &Subject<'_>, ctx: &PlanContext<'_>, verb: &str) -> Result<Workload, Planned> {
    match s.one_name()? {
        Some(n) => target::workload(s.kind.as_ref(), n, verb),
        None if s.pronoun => target::last_workload(ctx, verb),
        None => Err(Planned::Clarify(format!(
            "{} which {}? e.g. \"{verb} payment-api\".",
            capital(verb),
            s.kind
                .as_ref()
                .map_or("deployment", |k| singular(&k.resource))
        ))),
    }
}

fn singular(resource: &str) -> &str {
    crate::kinds::lookup(resource).map_or(resource, |k| k.singular)
}

fn capital(verb: &str) -> String {
    let mut c = verb.chars();
    c.next()
        .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
        .unwrap_or_default()
}

const REPLICA_WORDS: &[&str] = &[
    "replicas",
    "replica",
    "pods",
    "pod",
    "instances",
    "instance",
    "copies",
    "copy",
];

const SCALE_WORDS: &[&str] = &[
    "scale", "scaling", "up", "down", "out", "set", "change", "update", "replicas", "replica",
    "count", "number", "have", "run", "with",
];

/// "scale payment-api in prod to 5", "scale it to 3", "set replicas of x to 2".
pub(super) fn scale(toks: &[Tok<'_>], wh: Where, ctx: &PlanContext<'_>) -> Outcome {
    let mut replicas: Vec<i64> = Vec::new();
    let mut relative = false;
    let s = collect(
        toks,
        SCALE_WORDS,
        "that you want to scale something",
        |t, i| {
            let w = t[i].low;
            let at = |j: usize| t.get(j).map_or("", |x| x.low);
            let unit = |j: usize| usize::from(REPLICA_WORDS.contains(&at(j)));
            if let Some(v) = w.strip_prefix("--replicas=") {
                replicas.push(words::number(v).ok_or_else(|| bad_number(v))?);
                return Ok(1);
            }
            if matches!(w, "--replicas" | "to" | "by") {
                let Some(n) = words::number(at(i + 1)) else {
                    return Ok(0);
                };
                relative |= w == "by";
                replicas.push(n);
                return Ok(2 + unit(i + 2));
            }
            match words::number(w) {
                Some(n) => {
                    replicas.push(n);
                    Ok(1 + unit(i + 1))
                }
                None => Ok(0),
            }
        },
    )?;
    let target = workload(&s, ctx, "scale")?;
    let namespace = wh.one_namespace(ctx)?;
    let replicas = match replicas.as_slice() {
        [] => {
            return Err(Planned::Clarify(format!(
                "Scale {} {} in {namespace} to how many replicas? e.g. \"scale {} to 3\".",
                target.kind, target.name, target.name
            )));
        }
        _ if relative => {
            return Err(Planned::Clarify(format!(
                "kubechat sets an exact number of replicas. How many replicas of {} {} do you want in total?",
                target.kind, target.name
            )));
        }
        [n] => *n,
        many if many.windows(2).all(|w| w[0] == w[1]) => many[0],
        many => {
            return Err(Planned::Clarify(format!(
                "I see more than one number ({}). How many replicas of {} {} do you want?",
                many.iter()
                    .map(i64::to_string)
                    .collect::<Vec<_>>()
                    .join(", "),
                target.kind,
                target.name
            )));
        }
    };
    if replicas < 0 {
        return Err(Planned::Clarify(format!(
            "Replicas cannot be negative ({replicas}). How many replicas of {} {} do you want?",
            target.kind, target.name
        )));
    }
    if replicas > MAX_REPLICAS {
        return Err(Planned::Clarify(format!(
            "Did you really mean {replicas} replicas of {} {}? That is far more than usual. If so, send \"kubectl scale {}/{} --replicas={replicas} -n {namespace}\".",
            target.kind, target.name, target.kind, target.name
        )));
    }
    let replicas = u32::try_from(replicas).map_err(|_| bad_number(&replicas.to_string()))?;
    Ok(wh.finish(
        ctx,
        vec![Action::Scale {
            target,
            namespace,
            replicas,
        }],
    ))
}

fn bad_number(v: &str) -> Planned {
    reply::not_understood(&format!("\"{v}\" is not a number"), Topic::Writes)
}

const RESTART_WORDS: &[&str] = &[
    "restart", "bounce", "redeploy", "recycle", "reboot", "cycle", "rolling", "rollout",
    "roll-out", "roll", "out", "do", "all", "a",
];

/// "restart payment-api", "bounce the checkout deployment", "restart it".
pub(super) fn restart(toks: &[Tok<'_>], wh: Where, ctx: &PlanContext<'_>) -> Outcome {
    let s = collect(toks, RESTART_WORDS, "that you want a restart", |t, i| {
        // "restart (all) the pods of payment-api" restarts the workload.
        let next = t.get(i + 1).map_or("", |x| x.low);
        Ok(
            if matches!(t[i].low, "pods" | "pod") && matches!(next, "of" | "for") {
                2
            } else {
                0
            },
        )
    })?;
    if s.kind.as_ref().is_some_and(|k| k.is("nodes")) {
        return Err(reply::refuse(
            "reboot nodes",
            "it has no access to machines. To take a node out of service, \"drain node <name>\"; to bring it back, \"uncordon node <name>\".",
        ));
    }
    let target = workload(&s, ctx, "restart")?;
    let namespace = wh.one_namespace(ctx)?;
    Ok(wh.finish(ctx, vec![Action::RolloutRestart { target, namespace }]))
}

const ROLLBACK_WORDS: &[&str] = &[
    "rollback", "roll", "back", "revert", "undo", "rollout", "roll-out", "last", "latest",
    "change", "changes", "release", "update", "upgrade", "do", "a",
];

/// "roll back payment-api", "undo the rollout of x", "roll x back to revision 3".
pub(super) fn rollback(toks: &[Tok<'_>], wh: Where, ctx: &PlanContext<'_>) -> Outcome {
    let mut to_revision: Option<u64> = None;
    let s = collect(toks, ROLLBACK_WORDS, "that you want a roll back", |t, i| {
        let at = |j: usize| t.get(j).map_or("", |x| x.low);
        let w = t[i].low;
        if let Some(v) = w.strip_prefix("--to-revision=") {
            to_revision = Some(v.parse().map_err(|_| bad_number(v))?);
            return Ok(1);
        }
        let mut j = i;
        if matches!(w, "to" | "--to-revision") {
            j += 1;
            if at(j) == "the" {
                j += 1;
            }
        }
        if matches!(at(j), "revision" | "rev") || (w == "--to-revision" && j == i + 1) {
            let k = if w == "--to-revision" { j } else { j + 1 };
            let v = at(k);
            to_revision = Some(v.parse().map_err(|_| bad_number(v))?);
            return Ok(k + 1 - i);
        }
        if w != "to" {
            return Ok(0);
        }
        match at(j) {
            "previous" | "prior" | "last" | "earlier" => {
                let noun = matches!(at(j + 1), "revision" | "version" | "one" | "release");
                Ok(j + 1 + usize::from(noun) - i)
            }
            v if v.parse::<u64>().is_ok() => Err(Planned::Clarify(format!(
                "Roll back to revision {v}? Say \"… to revision {v}\" (see \"rollout history of <name>\" for revisions)."
            ))),
            v if words::is_bare_tag(v) || words::looks_like_image(t[j].raw) => {
                Err(Planned::Clarify(format!(
                    "kubechat rolls back by revision number, and \"{}\" is a version or image. To run that image, say \"set image of <name> to <image>\"; to go back one revision, say \"roll back <name>\".",
                    t[j].raw
                )))
            }
            _ => Ok(0),
        }
    })?;
    if to_revision == Some(0) {
        to_revision = None;
    }
    let target = workload(&s, ctx, "roll back")?;
    let namespace = wh.one_namespace(ctx)?;
    Ok(wh.finish(
        ctx,
        vec![Action::RolloutUndo {
            target,
            namespace,
            to_revision,
        }],
    ))
}

const IMAGE_WORDS: &[&str] = &[
    "set", "update", "change", "upgrade", "bump", "modify", "roll", "rollout", "out", "image",
    "images", "version", "tag", "new", "use", "run", "with", "to",
];

/// "set image of payment-api to registry/pay:1.4.2", "update x container app to img".
pub(super) fn set_image(toks: &[Tok<'_>], wh: Where, ctx: &PlanContext<'_>) -> Outcome {
    let mut image: Option<String> = None;
    let mut container: Option<String> = None;
    let mut after_to: Option<usize> = None;
    let mut s = collect(
        toks,
        IMAGE_WORDS,
        "that you want to change an image",
        |t, i| {
            let w = t[i].low;
            let raw = t[i].raw;
            let next = t.get(i + 1);
            if matches!(w, "-c" | "container")
                && let Some(c) = next.filter(|c| words::is_name(c.low))
            {
                container = Some(c.low.to_string());
                return Ok(2);
            }
            let after = t.get(i + 2).map_or("", |x| x.low);
            let name_after = words::is_name(after) && !IMAGE_WORDS.contains(&after);
            if next.is_some_and(|n| n.low == "container") && words::is_name(w) && !name_after {
                container = Some(w.to_string());
                return Ok(2);
            }
            if let Some((c, img)) = raw.split_once('=') {
                if !words::is_image(img) {
                    return Err(bad_image(img));
                }
                if c != "*" {
                    container = Some(c.to_ascii_lowercase());
                }
                image = Some(img.to_string());
                return Ok(1);
            }
            if words::looks_like_image(raw) {
                image = Some(raw.to_string());
                return Ok(1);
            }
            if matches!(w, "to" | "with" | "image")
                && let Some(n) = next
            {
                if words::is_bare_tag(n.raw) {
                    return Err(Planned::Clarify(format!(
                        "\"{}\" looks like a version. Which image exactly? e.g. \"set image of <name> to registry/app:{}\".",
                        n.raw, n.raw
                    )));
                }
                after_to = Some(i + 1);
            }
            Ok(0)
        },
    )?;
    // "set image of payment-api to nginx": the name after "to" is the image.
    if image.is_none()
        && s.names.len() == 2
        && let Some(pos) = after_to
        && let Some(idx) = s.names.iter().position(|n| n.pos == pos)
    {
        image = Some(s.names.remove(idx).text.to_string());
    }
    let target = workload(&s, ctx, "set the image of")?;
    let Some(image) = image else {
        return Err(Planned::Clarify(format!(
            "Set the image of {} {} to what? e.g. \"set image of {} to registry/app:1.2.3\".",
            target.kind, target.name, target.name
        )));
    };
    if !words::is_image(&image) {
        return Err(bad_image(&image));
    }
    let namespace = wh.one_namespace(ctx)?;
    Ok(wh.finish(
        ctx,
        vec![Action::SetImage {
            target,
            namespace,
            container,
            image,
        }],
    ))
}

fn bad_image(img: &str) -> Planned {
    reply::not_understood(
        &format!("\"{img}\" is not a valid image reference"),
        Topic::Writes,
    )
}

const DELETE_WORDS: &[&str] = &[
    "delete",
    "remove",
    "kill",
    "destroy",
    "terminate",
    "rm",
    "drop",
    "get",
    "rid",
    "and",
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
        let last = target::last_target(ctx)?;
        let action = Action::Delete {
            resource: last.resource.clone(),
            name: last.name.clone(),
            namespace: wh.object_namespace(ctx, target::namespaced(&last.resource))?,
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
        })
        .collect();
    Ok(wh.finish(ctx, actions))
}

const NODE_WORDS: &[&str] = &[
    "cordon",
    "uncordon",
    "drain",
    "mark",
    "make",
    "as",
    "unschedulable",
    "schedulable",
    "and",
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
        let last = target::last_target(ctx)?;
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

const META_WORDS: &[&str] = &[
    "label",
    "labels",
    "labelled",
    "labeled",
    "unlabel",
    "relabel",
    "annotate",
    "annotation",
    "annotations",
    "add",
    "set",
    "put",
    "with",
    "to",
    "on",
    "from",
    "remove",
    "delete",
    "drop",
    "unset",
    "and",
    "key",
    "keys",
    "change",
    "update",
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
    let action = if labels {
        Action::Label {
            target,
            namespace,
            changes,
        }
    } else {
        Action::Annotate {
            target,
            namespace,
            changes,
        }
    };
    Ok(wh.finish(ctx, vec![action]))
}

const JOB_WORDS: &[&str] = &[
    "create",
    "trigger",
    "run",
    "start",
    "kick",
    "off",
    "launch",
    "execute",
    "manually",
    "manual",
    "now",
    "a",
    "an",
    "new",
    "the",
    "from",
    "of",
    "using",
    "based",
    "on",
    "once",
    "immediately",
    "one-off",
    "out",
    "for",
    "please",
    "me",
    "right",
    "away",
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
