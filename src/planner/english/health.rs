//! English questions about health: "what's failing in payments?", "why is checkout
//! crashing?", "is the rollout of x done?", "rollout history of x".

use crate::actions::{Action, Workload};
use crate::planner::target::{self, Where};
use crate::planner::{PlanContext, Planned};

use super::lex::Tok;
use super::reads::{GetOpts, finish_get, pods};
use super::subject::{Subject, collect, last_kind};

type Outcome = Result<Planned, Planned>;

#[rustfmt::skip]
const DIAGNOSE_WORDS: &[&str] = &[
    "why", "is", "are", "does", "do", "did", "keep", "keeps", "kept", "my", "so", "still",
    "always", "being", "getting", "diagnose", "troubleshoot", "investigate", "debug", "what",
    "what's", "whats", "with", "happening", "going", "on", "wrong", "up", "crash", "crashes",
    "fail", "start", "starting", "started", "ready", "running", "working", "restart", "restarts",
    "killed", "slow", "won't", "doesn't", "isn't", "can't", "cannot", "to", "in", "state", "and",
    "how", "how's", "check", "healthy", "health", "ok", "okay", "fine", "alive", "status", "of",
    "any", "anything", "something", "which", "show", "list", "find", "all", "everything",
    "currently", "at", "moment", "see", "there", "many", "much",
];

/// "why is checkout crashing", "what's wrong with payment-api", "what's failing in prod?".
/// With a name (or "it"): diagnose it. Without: list what is failing in the scope.
pub(super) fn diagnose(toks: &[Tok<'_>], wh: Where, ctx: &PlanContext<'_>) -> Outcome {
    let s: Subject<'_> = collect(toks, DIAGNOSE_WORDS, "that something is wrong", |t, i| {
        Ok(usize::from(super::FAILURE.contains(&t[i].low)))
    })?;
    let (kind, name) = match (s.one_name()?, &s.kind) {
        (Some(n), k) => (k.clone(), Some(n.to_string())),
        (None, _) if s.pronoun => {
            let last = s.last(ctx)?;
            (Some(last_kind(last)), Some(last.name.clone()))
        }
        (None, k) => (k.clone(), None),
    };
    // Nodes, volumes and the like have no pods to diagnose: describing them shows their
    // conditions and events.
    if let (Some(k), Some(name)) = (
        kind.as_ref()
            .filter(|k| !k.is("pods") && k.workload().is_none()),
        &name,
    ) {
        let action = Action::Describe {
            namespace: wh.object_namespace(ctx, k.namespaced)?,
            resource: k.resource.to_string(),
            name: name.clone(),
        };
        return Ok(wh.finish(ctx, vec![action]));
    }
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

#[rustfmt::skip]
const ROLLOUT_WORDS: &[&str] = &[
    "rollout", "roll-out", "roll", "status", "is", "the", "done", "finished", "finish", "complete",
    "completed", "over", "going", "progress", "progressing", "how", "how's", "has", "did",
    "rolled", "rolling", "out", "show", "check", "what", "what's", "get", "of", "yet",
];

/// "rollout status of payment-api", "is the rollout of x done".
pub(super) fn rollout_status(toks: &[Tok<'_>], wh: Where, ctx: &PlanContext<'_>) -> Outcome {
    let (target, namespace) = workload_subject(toks, ROLLOUT_WORDS, "rollout status", &wh, ctx)?;
    Ok(wh.finish(ctx, vec![Action::RolloutStatus { target, namespace }]))
}

#[rustfmt::skip]
const HISTORY_WORDS: &[&str] = &[
    "rollout", "roll-out", "history", "revisions", "revision", "versions", "show", "list", "get",
    "previous", "past", "what", "are", "deployment", "releases",
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
) -> Result<(Workload, String), Planned> {
    let s = collect(
        toks,
        fillers,
        &format!("that you want the {verb}"),
        |_, _| Ok(0),
    )?;
    let target = match s.one_name()? {
        Some(n) => target::workload(s.kind.as_ref(), n, verb)?,
        None if s.pronoun => {
            s.last(ctx)?;
            target::last_workload(ctx, verb)?
        }
        None => {
            return Err(Planned::Clarify(format!(
                "The {verb} of which deployment? e.g. \"{verb} of payment-api\"."
            )));
        }
    };
    Ok((target, wh.one_namespace(ctx)?))
}
