//! English log requests: "logs of checkout-7d9f in prod, last 100 lines", "previous logs of
//! x since 10 minutes", "logs of the sidecar container in x".

use crate::actions::Action;
use crate::planner::reply::{self, Topic};
use crate::planner::target::Where;
use crate::planner::{PlanContext, Planned, words};

use super::lex::Tok;
use super::subject::{collect, singular};

type Outcome = Result<Planned, Planned>;

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
                singular(&k.resource)
            ))));
        }
        (_, None) if s.pronoun => {
            let last = s.last(ctx)?;
            if last.resource != "pods" {
                return Err(reply::ask_for_pod(Some(&format!(
                    "{} {}",
                    singular(&last.resource),
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
        // "since an hour", "for a minute"
        if matches!(at(j), "a" | "an" | "one") && words::unit_seconds(at(j + 1)).is_some() {
            j += 1;
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
