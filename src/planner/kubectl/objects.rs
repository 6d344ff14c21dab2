//! kubectl verbs that change named objects: delete, cordon/uncordon/drain, label/annotate,
//! patch, create job --from=cronjob/….

use crate::actions::{Action, Cascade, MetaChanges, PatchType};
use crate::planner::reply::{self, Topic};
use crate::planner::target;
use crate::planner::{PlanContext, Planned, words};

use super::flags::{self, Spec, flag};
use super::{Outcome, bad_value, done, name_arg, no_more, one_target, targets, where_from};

const DELETE: &[Spec] = &[
    flag(&["--all"], "bulk", false),
    flag(&["-l", "--selector"], "bulk", true),
    flag(&["--field-selector"], "bulk", true),
    flag(&["--cascade"], "cascade", true),
];

/// `kubectl delete KIND NAME…` or `delete KIND/NAME…`.
pub(super) fn delete(args: &[String], ctx: &PlanContext<'_>) -> Outcome {
    let a = flags::parse(args, DELETE)?;
    if a.has("bulk") {
        return Ok(refuse_bulk());
    }
    let wh = where_from(&a, ctx)?;
    let cascade = match a.get("cascade") {
        None | Some("background" | "true") => Cascade::Background,
        Some("foreground") => Cascade::Foreground,
        Some("orphan" | "false") => Cascade::Orphan,
        Some(other) => return Err(bad_value("--cascade", other)),
    };
    let (t, used) = targets(&a.pos, true)?;
    no_more(&a.pos[used..], "delete")?;
    let mut actions = Vec::new();
    for (kind, name) in t {
        let Some(name) = name else {
            return Ok(Planned::Clarify(format!(
                "Delete which of the {}? kubechat deletes named objects, e.g. \"kubectl delete {} <name>\".",
                kind.resource, kind.resource
            )));
        };
        actions.push(Action::Delete {
            namespace: wh.object_namespace(ctx, kind.namespaced)?,
            resource: kind.resource.into_owned(),
            name,
            cascade,
        });
    }
    if actions.is_empty() {
        return Ok(Planned::Clarify(
            "Delete what? e.g. \"kubectl delete pod checkout-7d9f\".".to_string(),
        ));
    }
    done(wh, ctx, actions)
}

/// The refusal of deletes by selector or `--all`.
pub(in crate::planner) fn refuse_bulk() -> Planned {
    reply::refuse(
        "delete by selector or --all",
        "it deletes named objects one at a time, so the preview shows exactly what goes. Name the objects, e.g. \"delete pod checkout-7d9f\".",
    )
}

const DRAIN: &[Spec] = &[
    flag(&["--ignore-daemonsets"], "ignore-daemonsets", false),
    flag(
        &["--delete-emptydir-data", "--delete-local-data"],
        "delete-emptydir",
        false,
    ),
];

/// `kubectl cordon|uncordon|drain NODE`.
pub(super) fn node(verb: &str, args: &[String], ctx: &PlanContext<'_>) -> Outcome {
    let verb = verb.to_ascii_lowercase();
    let specs: &[Spec] = if verb == "drain" { DRAIN } else { &[] };
    let a = flags::parse(args, specs)?;
    let wh = where_from(&a, ctx)?;
    let Some(node) = a.pos.first() else {
        return Ok(Planned::Clarify(format!(
            "{verb} which node? e.g. \"kubectl {verb} n1\"."
        )));
    };
    let node = name_arg(node.strip_prefix("node/").unwrap_or(node))?;
    no_more(&a.pos[1..], &verb)?;
    let action = match verb.as_str() {
        "cordon" => Action::Cordon { node },
        "uncordon" => Action::Uncordon { node },
        _ => Action::Drain {
            node,
            ignore_daemonsets: a.switch("ignore-daemonsets")?,
            delete_emptydir_data: a.switch("delete-emptydir")?,
        },
    };
    done(wh, ctx, vec![action])
}

const META: &[Spec] = &[
    flag(&["--overwrite"], "overwrite", false),
    flag(&["--all"], "bulk", false),
    flag(&["-l", "--selector"], "bulk", true),
];

/// `kubectl label|annotate KIND NAME k=v k2- [--overwrite]`.
pub(super) fn meta(verb: &str, args: &[String], ctx: &PlanContext<'_>) -> Outcome {
    let verb = verb.to_ascii_lowercase();
    let a = flags::parse(args, META)?;
    if a.has("bulk") {
        return Ok(reply::refuse(
            &format!("{verb} by selector or --all"),
            "it changes named objects, so the preview shows exactly what changes.",
        ));
    }
    let wh = where_from(&a, ctx)?;
    let (kind, name, used) = one_target(&a.pos)?;
    let (name, used) = match name {
        // `label pod k=v` would take "k=v" as the name.
        Some(n) => (n, used),
        None => {
            return Ok(Planned::Clarify(format!(
                "{verb} which of the {}? e.g. \"kubectl {verb} {} <name> team=checkout\".",
                kind.resource, kind.resource
            )));
        }
    };
    let changes = meta_changes(&a.pos[used..], verb == "label", a.switch("overwrite")?)?;
    let Some(changes) = changes else {
        return Ok(Planned::Clarify(format!(
            "Which {}s? e.g. \"kubectl {verb} {} {name} team=checkout\".",
            if verb == "label" {
                "label"
            } else {
                "annotation"
            },
            kind.resource
        )));
    };
    let target = kind.object(&name);
    let namespace = wh.object_namespace(ctx, kind.namespaced)?;
    let action = Action::metadata(verb == "label", target, namespace, changes);
    done(wh, ctx, vec![action])
}

/// `k=v` and `k-` words as changes; `None` when there are none.
pub(in crate::planner) fn meta_changes(
    pairs: &[String],
    labels: bool,
    overwrite: bool,
) -> Result<Option<MetaChanges>, Planned> {
    let mut changes = MetaChanges {
        overwrite,
        ..MetaChanges::default()
    };
    for p in pairs {
        if let Some((k, v)) = p.split_once('=') {
            if !words::is_meta_key(k) || (labels && !words::is_label_value(v)) {
                return Err(reply::not_understood(
                    &format!(
                        "\"{p}\" is not a valid {}",
                        if labels { "label" } else { "annotation" }
                    ),
                    Topic::Writes,
                ));
            }
            if changes.set.get(k).is_some_and(|old| old != v) {
                return Err(Planned::Clarify(format!(
                    "You gave {k} two values. Which one should it be?"
                )));
            }
            changes.set.insert(k.to_string(), v.to_string());
        } else if let Some(k) = p.strip_suffix('-')
            && words::is_meta_key(k)
        {
            changes.remove.push(k.to_string());
        } else {
            return Err(reply::not_understood(
                &format!(
                    "I don't know what \"{p}\" means; use key=value to set and key- to remove"
                ),
                Topic::Writes,
            ));
        }
    }
    Ok((!changes.set.is_empty() || !changes.remove.is_empty()).then_some(changes))
}

const PATCH: &[Spec] = &[
    flag(&["-p", "--patch"], "patch", true),
    flag(&["--type"], "type", true),
];

/// `kubectl patch KIND NAME --type strategic|merge|json -p PATCH`.
pub(super) fn patch(args: &[String], ctx: &PlanContext<'_>) -> Outcome {
    let a = flags::parse(args, PATCH)?;
    let wh = where_from(&a, ctx)?;
    let (kind, name, used) = one_target(&a.pos)?;
    no_more(&a.pos[used..], "patch")?;
    let Some(name) = name else {
        return Ok(Planned::Clarify(format!(
            "Patch which of the {}?",
            kind.resource
        )));
    };
    let patch_type = match a.get("type") {
        None | Some("strategic") => PatchType::Strategic,
        Some("merge") => PatchType::Merge,
        Some("json") => PatchType::Json,
        Some(t) => return Err(bad_value("--type", t)),
    };
    let Some(patch) = a.get("patch") else {
        return Ok(Planned::Clarify(format!(
            "Patch {} {name} with what? Add -p '<json>'.",
            kind.resource
        )));
    };
    check_patch(patch, patch_type)?;
    let action = Action::Patch {
        namespace: wh.object_namespace(ctx, kind.namespaced)?,
        target: kind.object(&name),
        patch_type,
        patch: patch.to_string(),
    };
    done(wh, ctx, vec![action])
}

/// A patch must parse (JSON, or YAML as kubectl also accepts) and have the shape its type
/// needs: a list of operations for JSON patches, an object otherwise.
fn check_patch(patch: &str, patch_type: PatchType) -> Result<(), Planned> {
    let value: serde_json::Value = serde_json::from_str(patch)
        .or_else(|_| serde_saphyr::from_str(patch))
        .map_err(|_| {
            reply::not_understood("the patch is not valid JSON or YAML", Topic::Kubectl)
        })?;
    let ok = match patch_type {
        PatchType::Json => value.is_array(),
        PatchType::Merge | PatchType::Strategic => value.is_object(),
    };
    if ok {
        Ok(())
    } else {
        Err(reply::not_understood(
            "a --type=json patch is a list of operations; merge and strategic patches are objects",
            Topic::Kubectl,
        ))
    }
}

/// `kubectl create job NAME --from=cronjob/CRONJOB`.
pub(super) fn create(args: &[String], ctx: &PlanContext<'_>) -> Outcome {
    if args.first().map(String::as_str) != Some("job") {
        return Ok(reply::not_understood(
            "kubechat creates jobs from cronjobs (kubectl create job NAME --from=cronjob/CRONJOB); create anything else by sending \"apply\" followed by its manifest",
            Topic::Writes,
        ));
    }
    let a = flags::parse(args, &[flag(&["--from"], "from", true)])?;
    let wh = where_from(&a, ctx)?;
    let Some(from) = a.get("from") else {
        return Ok(reply::not_understood(
            "kubechat creates jobs only from a cronjob: add --from=cronjob/<name>",
            Topic::Writes,
        ));
    };
    let cronjob = match from.split_once('/') {
        Some((k, n)) if target::kind_of(k).is_some_and(|k| k.is("cronjobs")) => name_arg(n)?,
        _ => return Err(bad_value("--from", from)),
    };
    let Some(job) = a.pos.get(1) else {
        return Ok(Planned::Clarify(format!(
            "What should the job be called? e.g. \"kubectl create job {cronjob}-manual --from=cronjob/{cronjob}\"."
        )));
    };
    let job = name_arg(job)?;
    no_more(&a.pos[2..], "create job")?;
    let namespace = wh.one_namespace(ctx)?;
    done(
        wh,
        ctx,
        vec![Action::CreateJobFromCronJob {
            cronjob,
            job,
            namespace,
        }],
    )
}
