//! Plain English for routine operations: "show pods in prod", "why is checkout crashing",
//! "scale payment-api to 5", "roll it back".
//!
//! Steps: drop chatter ("@kubechat please …?"), split into words, take out where-phrases
//! ("in payments on staging-us"), answer help and refusals, treat questions as questions
//! (never a write from "should I restart x?"), then pick the intent from its verb and let
//! the intent read the rest. Every word must be understood; otherwise the reply says what was
//! understood and gives examples.

mod health;
mod lex;
mod logs;
mod objects;
mod reads;
mod subject;
mod writes;

use std::borrow::Cow;

use super::reply::{self, Topic};
use super::target::Where;
use super::{PlanContext, Planned, words};

use lex::Tok;

/// Plans a plain-English request.
pub(super) fn plan(text: &str, ctx: &PlanContext<'_>) -> Planned {
    let text: Cow<'_, str> = if text.contains(['’', '‘']) {
        Cow::Owned(text.replace(['’', '‘'], "'"))
    } else {
        Cow::Borrowed(text)
    };
    let text = words::strip_chatter(&text);
    if text.is_empty() {
        return reply::help();
    }
    let lower = text.to_ascii_lowercase();
    let toks = lex::lex(text, &lower);
    if is_help(&toks) {
        return reply::help();
    }
    let (toks, wh) = match lex::extract_where(toks, ctx) {
        Ok(x) => x,
        Err(p) => return p,
    };
    if toks.is_empty() {
        return reply::not_understood(
            "I see where you mean, but not what to do there",
            Topic::General,
        );
    }
    match plan_words(&toks, wh, ctx) {
        Ok(p) | Err(p) => p,
    }
}

const HELP: &[&[&str]] = &[
    &["what", "can", "you", "do"],
    &["what", "do", "you", "do"],
    &["what", "can", "i", "ask"],
    &["what", "can", "i", "say"],
    &["what", "can", "i", "ask", "you"],
    &["what", "do", "you", "understand"],
    &["how", "do", "i", "use", "you"],
    &["how", "does", "this", "work"],
    &["who", "are", "you"],
    &["commands"],
    &["usage"],
    &["examples"],
    &["show", "examples"],
    &["list", "commands"],
    &["thanks"],
    &["thank", "you"],
    &["what's", "up"],
    &["whats", "up"],
];

fn is_help(toks: &[Tok<'_>]) -> bool {
    toks.first().is_some_and(|t| t.low == "help")
        || HELP
            .iter()
            .any(|h| h.len() == toks.len() && h.iter().zip(toks).all(|(w, t)| *w == t.low))
}

/// Openers that make the request a question about what may or could be done.
const QUESTIONS: &[&[&str]] = &[
    &["should", "i"],
    &["should", "we"],
    &["shall", "i"],
    &["shall", "we"],
    &["how", "do", "i"],
    &["how", "do", "you"],
    &["how", "can", "i"],
    &["how", "would", "i"],
    &["how", "to"],
    &["what", "happens", "if", "i"],
    &["what", "happens", "if", "we"],
    &["what", "if", "i"],
    &["what", "if", "we"],
    &["is", "it", "safe", "to"],
    &["would", "it", "be", "safe", "to"],
    &["is", "it", "ok", "to"],
    &["is", "it", "okay", "to"],
    &["do", "i", "need", "to"],
    &["do", "we", "need", "to"],
    &["can", "we"],
    &["could", "we"],
    &["when", "should", "i"],
];

/// Openers of a permission question ("can I delete pods in prod?").
const CAN_I: &[&[&str]] = &[
    &["can", "i"],
    &["could", "i"],
    &["may", "i"],
    &["am", "i", "allowed", "to"],
    &["am", "i", "able", "to"],
    &["do", "i", "have", "permission", "to"],
    &["do", "i", "have", "permissions", "to"],
    &["do", "i", "have", "access", "to"],
];

fn opener(toks: &[Tok<'_>], openers: &[&[&str]]) -> Option<usize> {
    openers
        .iter()
        .find(|o| o.len() <= toks.len() && o.iter().zip(toks).all(|(w, t)| *w == t.low))
        .map(|o| o.len())
}

/// Verbs that start a second request after "and" / "then".
#[rustfmt::skip]
const VERBS: &[&str] = &[
    "restart", "scale", "delete", "remove", "kill", "roll", "rollback", "revert", "undo", "set",
    "update", "cordon", "uncordon", "drain", "label", "annotate", "show", "list", "get",
    "describe", "bounce", "redeploy", "create", "run", "trigger", "apply", "patch",
];

/// "scale x to 3 and restart y": one request at a time, so each gets its own preview.
fn two_requests(toks: &[Tok<'_>]) -> Option<Planned> {
    let at = toks.windows(2).enumerate().position(|(i, w)| {
        let after = toks.get(i + 2).map_or("", |t| t.low);
        // "drain n1 and delete emptydir data" is one request.
        matches!(w[0].low, "and" | "then")
            && VERBS.contains(&w[1].low)
            && !matches!(after, "emptydir" | "local")
    })?;
    let first: Vec<&str> = toks[..at].iter().map(|t| t.raw).collect();
    let second: Vec<&str> = toks[at + 1..].iter().map(|t| t.raw).collect();
    Some(Planned::Clarify(format!(
        "One request at a time, please, so each gets its own preview: send \"{}\" first, then \"{}\".",
        first.join(" "),
        second.join(" ")
    )))
}

fn plan_words(toks: &[Tok<'_>], wh: Where, ctx: &PlanContext<'_>) -> Result<Planned, Planned> {
    if let Some(refusal) = refusal(toks) {
        return Ok(refusal);
    }
    if let Some(n) = opener(toks, CAN_I) {
        return reads::can_i(&toks[n..], wh, ctx);
    }
    if let Some(n) = opener(toks, QUESTIONS) {
        return Ok(question(&toks[n..], wh, ctx));
    }
    intent(toks, wh, ctx)
}

/// "should I restart x?" is a question: reads are answered, writes are explained, not done.
fn question(rest: &[Tok<'_>], wh: Where, ctx: &PlanContext<'_>) -> Planned {
    if rest.is_empty() {
        return reply::help();
    }
    let planned = match intent(rest, wh, ctx) {
        Ok(p) | Err(p) => p,
    };
    match planned {
        Planned::Plan(plan) if plan.is_write() => {
            let asked: Vec<&str> = rest.iter().map(|t| t.raw).collect();
            Planned::NotUnderstood(format!(
                "That reads as a question, so I won't change anything. If you want me to do it, ask me directly: \"{}\" — which would run `{}`.",
                asked.join(" "),
                plan.kubectl().join(" && ")
            ))
        }
        other => other,
    }
}

/// Things kubechat does not do, asked in English.
fn refusal(toks: &[Tok<'_>]) -> Option<Planned> {
    let has = |w: &str| toks.iter().any(|t| t.low == w);
    let first = toks.first().map_or("", |t| t.low);
    let verb = if has("exec") || has("ssh") || has("shell") {
        "exec"
    } else if has("port-forward") || (has("port") && (has("forward") || has("forwarding"))) {
        "port-forward"
    } else if has("attach") {
        "attach"
    } else {
        match first {
            "edit" | "proxy" | "cp" => first,
            "copy" if !has("image") => "cp",
            _ => return None,
        }
    };
    reply::refused_verb(verb)
}

#[rustfmt::skip]
const FAILURE: &[&str] = &[
    "failing", "failed", "fails", "broken", "unhealthy", "crashing", "crashed", "crashlooping",
    "crashloop", "crashloopbackoff", "erroring", "errored", "errors", "down", "wrong", "problems",
    "problem", "issues", "pending", "stuck", "restarting", "oomkilled", "evicted", "not", "dying",
    "flapping", "degraded",
];

const HEALTH: &[&str] = &[
    "healthy", "ok", "okay", "fine", "alive", "status", "health", "running", "up", "ready",
    "working",
];

const READ_OPENERS: &[&str] = &[
    "yaml", "json", "show", "list", "get", "display", "see", "view", "print", "fetch", "give",
    "what", "what's", "whats", "which", "how", "are", "is", "any", "check", "find", "lookup",
    "look",
];

/// Picks the intent from the verb and hands the words to it.
fn intent(toks: &[Tok<'_>], wh: Where, ctx: &PlanContext<'_>) -> Result<Planned, Planned> {
    let has = |w: &str| toks.iter().any(|t| t.low == w);
    let has_any = |ws: &[&str]| toks.iter().any(|t| ws.contains(&t.low));
    let first = toks[0].low;
    let second = toks.get(1).map_or("", |t| t.low);
    let image_like = toks.iter().any(|t| words::looks_like_image(t.raw));
    let labels = has_any(&["label", "labels", "labelled", "labeled"]);
    let annotations = has_any(&["annotation", "annotations"]);
    if let Some(p) = two_requests(toks) {
        return Err(p);
    }
    match first {
        "get" if second == "rid" => return objects::delete(&toks[2..], wh, ctx),
        "describe" => return reads::describe(toks, wh, ctx),
        "logs" | "log" | "tail" => return logs::logs(toks, wh, ctx),
        "events" => return reads::events(toks, wh, ctx),
        "top" => return reads::top(toks, wh, ctx),
        "why" | "diagnose" | "troubleshoot" | "investigate" | "debug" => {
            return health::diagnose(toks, wh, ctx);
        }
        "restart" | "bounce" | "redeploy" | "recycle" | "reboot" | "cycle" => {
            return writes::restart(toks, wh, ctx);
        }
        "rollback" | "revert" | "undo" => return writes::rollback(toks, wh, ctx),
        "roll" | "rollout" | "roll-out" => {
            if has("back") || has("undo") {
                return writes::rollback(toks, wh, ctx);
            }
            if has("restart") {
                return writes::restart(toks, wh, ctx);
            }
            if has("history") {
                return health::history(toks, wh, ctx);
            }
            if image_like {
                return writes::set_image(toks, wh, ctx);
            }
            if has("status") {
                return health::rollout_status(toks, wh, ctx);
            }
        }
        "rolling" | "do" if has("restart") => return writes::restart(toks, wh, ctx),
        "scale" => return writes::scale(toks, wh, ctx),
        "cordon" | "uncordon" | "drain" => return objects::node(first, toks, wh, ctx),
        "mark" | "make" if has("unschedulable") => return objects::node("cordon", toks, wh, ctx),
        "mark" | "make" if has("schedulable") => return objects::node("uncordon", toks, wh, ctx),
        "label" | "unlabel" | "relabel" => return objects::meta(true, toks, wh, ctx),
        "annotate" => return objects::meta(false, toks, wh, ctx),
        "delete" | "remove" | "kill" | "destroy" | "terminate" | "rm" | "drop" | "unset"
        | "add" | "put" => {
            if labels || annotations {
                return objects::meta(labels, toks, wh, ctx);
            }
            if !matches!(first, "add" | "put" | "unset") {
                return objects::delete(toks, wh, ctx);
            }
        }
        "set" | "update" | "change" | "upgrade" | "bump" | "deploy" | "modify" => {
            if has_any(&["replicas", "replica"]) {
                return writes::scale(toks, wh, ctx);
            }
            if labels || annotations {
                return objects::meta(labels, toks, wh, ctx);
            }
            let tag = has("to") && toks.iter().any(|t| words::is_bare_tag(t.raw));
            if has_any(&["image", "images"]) || image_like || tag {
                return writes::set_image(toks, wh, ctx);
            }
            if first == "deploy" {
                return Err(Planned::Clarify(
                    "Deploy what, exactly? To run a new image say \"set image of <name> to <image>\"; to restart the pods, \"restart <name>\"; to create objects, send \"apply\" with the manifest."
                        .to_string(),
                ));
            }
        }
        "trigger" | "run" | "create" | "start" | "kick" | "launch" | "execute" => {
            let last_is_cronjob = ctx.last_target.is_some_and(|t| t.resource == "cronjobs");
            if has_any(&["cronjob", "cronjobs", "cj", "job", "jobs"])
                || (has("it") && last_is_cronjob)
            {
                return objects::job(toks, wh, ctx);
            }
            return Ok(match first {
                "run" | "execute" | "launch" => {
                    reply::refused_verb("run").unwrap_or_else(reply::help)
                }
                "create" => reply::not_understood(
                    "kubechat creates objects by applying a manifest: send \"apply\" followed by the YAML",
                    Topic::Writes,
                ),
                _ => objects::stop_or_start(false, toks, wh, ctx)?,
            });
        }
        "stop" | "shutdown" | "pause" | "suspend" | "halt" => {
            return objects::stop_or_start(true, toks, wh, ctx);
        }
        "turn" | "shut" if matches!(second, "off" | "down") => {
            return objects::stop_or_start(true, toks, wh, ctx);
        }
        "patch" => {
            return Ok(reply::not_understood(
                "patches need kubectl syntax so the patch is exact, e.g. kubectl patch deployment payment-api --type merge -p '{\"spec\":{\"paused\":true}}'",
                Topic::Kubectl,
            ));
        }
        _ => {}
    }
    if has("why") || has_any(&["diagnose", "troubleshoot"]) {
        return health::diagnose(toks, wh, ctx);
    }
    if has_any(&["logs", "log", "lines"]) {
        return logs::logs(toks, wh, ctx);
    }
    if has_any(&["happening", "going"]) && has("with") {
        return health::diagnose(toks, wh, ctx);
    }
    if has_any(&["events", "event", "warnings", "happening", "happened"])
        || (has("going") && has("on"))
    {
        return reads::events(toks, wh, ctx);
    }
    if has_any(&[
        "cpu",
        "memory",
        "mem",
        "ram",
        "usage",
        "utilization",
        "utilisation",
        "consumption",
        "consuming",
    ]) {
        return reads::top(toks, wh, ctx);
    }
    if has_any(&["history", "revisions"]) {
        return health::history(toks, wh, ctx);
    }
    if has_any(&["rollout", "roll-out", "rolled", "rolling"]) {
        return health::rollout_status(toks, wh, ctx);
    }
    // "what image does payment-api run": a wide get shows images.
    if has_any(&["image", "images", "version", "versions"]) && READ_OPENERS.contains(&first) {
        return reads::get(toks, wh, ctx);
    }
    if has_any(FAILURE)
        || (has_any(HEALTH)
            && matches!(
                first,
                "is" | "are" | "how" | "how's" | "what's" | "what" | "check" | "status" | "health"
            ))
    {
        return health::diagnose(toks, wh, ctx);
    }
    if has_any(&["details", "detail", "info", "information"]) || (first == "tell" && has("about")) {
        return reads::describe(toks, wh, ctx);
    }
    if READ_OPENERS.contains(&first) || subject::kind_word(first).is_some() {
        return reads::get(toks, wh, ctx);
    }
    Err(reply::not_understood(
        &format!("I don't know what \"{}\" asks me to do", toks[0].raw),
        Topic::General,
    ))
}
