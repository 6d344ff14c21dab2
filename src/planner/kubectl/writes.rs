//! kubectl rollout (status, history, restart, undo), scale and set image: the verbs aimed at
//! workloads.

use crate::actions::Action;
use crate::planner::reply::{self, Topic};
use crate::planner::target;
use crate::planner::{PlanContext, Planned, words};

use super::flags::{self, flag};
use super::{Outcome, bad_value, done, name_arg, no_more, where_from, workload_target};

/// `kubectl rollout status|history|restart|undo KIND/NAME` (or `KIND NAME`).
pub(super) fn rollout(args: &[String], ctx: &PlanContext<'_>) -> Outcome {
    let a = flags::parse(args, &[flag(&["--to-revision"], "revision", true)])?;
    let wh = where_from(&a, ctx)?;
    let Some(sub) = a.pos.first().map(|s| s.to_ascii_lowercase()) else {
        return Ok(Planned::Clarify(
            "Which rollout command: status, history, restart or undo?".to_string(),
        ));
    };
    if !matches!(sub.as_str(), "status" | "history" | "restart" | "undo") {
        return Err(reply::not_understood(
            &format!(
                "kubechat supports rollout status, history, restart and undo, not rollout {sub}"
            ),
            Topic::Kubectl,
        ));
    }
    if a.pos.len() == 1 {
        return Ok(Planned::Clarify(format!(
            "rollout {sub} of which deployment? e.g. \"kubectl rollout {sub} deploy/payment-api\"."
        )));
    }
    let (kind, name, used) = workload_target(&a.pos[1..])?;
    no_more(&a.pos[1 + used..], "rollout")?;
    let Some(name) = name else {
        return Ok(Planned::Clarify(format!(
            "rollout {sub} of which {}? kubechat works on one named workload at a time.",
            kind.resource
        )));
    };
    let target = target::workload(Some(&kind), &name, &sub)?;
    let namespace = wh.one_namespace(ctx)?;
    if a.has("revision") && sub != "undo" {
        return Err(reply::not_understood(
            "--to-revision only goes with rollout undo",
            Topic::Kubectl,
        ));
    }
    let action = match sub.as_str() {
        "status" => Action::RolloutStatus { target, namespace },
        "history" => Action::RolloutHistory { target, namespace },
        "restart" => Action::RolloutRestart { target, namespace },
        _ => {
            let to_revision = match a.get("revision") {
                None => None,
                Some(r) => match r.parse::<u64>() {
                    Ok(0) => None,
                    Ok(n) => Some(n),
                    Err(_) => return Err(bad_value("--to-revision", r)),
                },
            };
            Action::RolloutUndo {
                target,
                namespace,
                to_revision,
            }
        }
    };
    done(wh, ctx, vec![action])
}

/// `kubectl scale KIND/NAME --replicas=N`.
pub(super) fn scale(args: &[String], ctx: &PlanContext<'_>) -> Outcome {
    let a = flags::parse(args, &[flag(&["--replicas"], "replicas", true)])?;
    let wh = where_from(&a, ctx)?;
    let (kind, name, used) = workload_target(&a.pos)?;
    no_more(&a.pos[used..], "scale")?;
    let Some(name) = name else {
        return Ok(Planned::Clarify(
            "Scale which one? e.g. \"kubectl scale deploy/payment-api --replicas=3\".".to_string(),
        ));
    };
    let target = target::workload(Some(&kind), &name, "scale")?;
    let Some(r) = a.get("replicas") else {
        return Ok(Planned::Clarify(format!(
            "Scale {} {name} to how many replicas? Add --replicas=N.",
            target.kind
        )));
    };
    let replicas = match r.parse::<i64>() {
        Ok(n) if n < 0 => {
            return Ok(Planned::Clarify(format!(
                "Replicas cannot be negative ({n}). How many replicas of {} {name} do you want?",
                target.kind
            )));
        }
        Ok(n) => u32::try_from(n).map_err(|_| bad_value("--replicas", r))?,
        Err(_) => return Err(bad_value("--replicas", r)),
    };
    let namespace = wh.one_namespace(ctx)?;
    done(
        wh,
        ctx,
        vec![Action::Scale {
            target,
            namespace,
            replicas,
        }],
    )
}

/// `kubectl set image KIND/NAME CONTAINER=IMAGE… ` (`*=IMAGE` for every container).
pub(super) fn set(args: &[String], ctx: &PlanContext<'_>) -> Outcome {
    let a = flags::parse(args, &[])?;
    let wh = where_from(&a, ctx)?;
    match a.pos.first().map(String::as_str) {
        Some("image") => {}
        other => {
            return Err(reply::not_understood(
                &format!(
                    "kubechat supports \"kubectl set image\", not set {}",
                    other.unwrap_or_default()
                ),
                Topic::Kubectl,
            ));
        }
    }
    let (kind, name, used) = workload_target(&a.pos[1..])?;
    let Some(name) = name else {
        return Ok(Planned::Clarify(
            "Set the image of which workload? e.g. \"kubectl set image deploy/payment-api app=registry/pay:1.4.2\"."
                .to_string(),
        ));
    };
    let target = target::workload(Some(&kind), &name, "change its image")?;
    let pairs = &a.pos[1 + used..];
    if pairs.is_empty() {
        return Ok(Planned::Clarify(format!(
            "Set the image of {} {name} to what? Add CONTAINER=IMAGE, or *=IMAGE for every container.",
            target.kind
        )));
    }
    let namespace = wh.one_namespace(ctx)?;
    let mut actions = Vec::new();
    for pair in pairs {
        let Some((container, image)) = pair.split_once('=') else {
            return Err(bad_value("set image", pair));
        };
        if !words::is_image(image) {
            return Err(reply::not_understood(
                &format!("\"{image}\" is not a valid image reference"),
                Topic::Kubectl,
            ));
        }
        let container = match container {
            "*" => None,
            c => Some(name_arg(c)?),
        };
        actions.push(Action::SetImage {
            target: target.clone(),
            namespace: namespace.clone(),
            container,
            image: image.to_string(),
        });
    }
    done(wh, ctx, actions)
}
