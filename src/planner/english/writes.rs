//! English requests that change the cluster: scale, restart, roll back, set image, delete,
//! see `objects` for deletes, node maintenance, labels and jobs.
//!
//! A write needs its target and its value stated; anything missing or odd is asked back.

use crate::actions::{Action, Workload};
use crate::planner::reply::{self, Topic};
use crate::planner::target::{self, Where};
use crate::planner::{PlanContext, Planned, words};

use super::lex::Tok;
use super::subject::{Subject, capital, collect, singular};

type Outcome = Result<Planned, Planned>;

/// Replicas above this are asked back: more likely a typo than a plan.
const MAX_REPLICAS: i64 = 1000;

/// The workload a write is aimed at: named (default kind Deployment) or "it".
fn workload(s: &Subject<'_>, ctx: &PlanContext<'_>, verb: &str) -> Result<Workload, Planned> {
    match s.one_name()? {
        Some(n) => target::workload(s.kind.as_ref(), n, verb),
        None if s.pronoun => {
            s.last(ctx)?;
            target::last_workload(ctx, verb)
        }
        None => Err(Planned::Clarify(format!(
            "{} which {}? e.g. \"{verb} payment-api\".",
            capital(verb),
            s.kind
                .as_ref()
                .map_or("deployment", |k| singular(&k.resource))
        ))),
    }
}

#[rustfmt::skip]
const REPLICA_WORDS: &[&str] = &[
    "replicas", "replica", "pods", "pod", "instances", "instance", "copies", "copy",
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
                    if at(i + 1).parse::<f64>().is_ok() {
                        return Err(Planned::Clarify(format!(
                            "Replicas are whole numbers, and \"{}\" is not. How many replicas do you want?",
                            at(i + 1)
                        )));
                    }
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
            v if !v.is_empty()
                && (words::is_bare_tag(v)
                    || t.get(j).is_some_and(|x| words::looks_like_image(x.raw))) =>
            {
                let raw = t.get(j).map_or(v, |x| x.raw);
                Err(Planned::Clarify(format!(
                    "kubechat rolls back by revision number, and \"{raw}\" is a version or image. To run that image, say \"set image of <name> to <image>\"; to go back one revision, say \"roll back <name>\"."
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
