//! Words of an English request, and the "where" phrases in it ("in payments", "on staging-us",
//! "in the payments namespace", "everywhere", "-n prod").

use crate::planner::target::{self, Where};
use crate::planner::{PlanContext, Planned, words};

/// One word: as typed (`raw`) and ASCII-lowercased (`low`), both slices of the request.
#[derive(Clone, Copy, Debug)]
pub(super) struct Tok<'a> {
    pub raw: &'a str,
    pub low: &'a str,
}

/// Contractions that are words of their own, not possessives.
const CONTRACTIONS: &[&str] = &[
    "what's", "it's", "that's", "who's", "where's", "how's", "there's", "here's", "let's", "what’s",
];

/// Splits `text` into words, dropping quotes, brackets and sentence punctuation around them
/// and possessive "'s" ("payment-api's" → "payment-api"). `lower` must be
/// `text.to_ascii_lowercase()`, so byte offsets agree.
pub(super) fn lex<'a>(text: &'a str, lower: &'a str) -> Vec<Tok<'a>> {
    let base = text.as_ptr() as usize;
    let mut out = Vec::with_capacity(16);
    for piece in text.split_whitespace() {
        let start = piece.as_ptr() as usize - base;
        let trimmed = piece
            .trim_start_matches(['"', '\'', '`', '(', '[', '“', '‘'])
            .trim_end_matches([
                '"', '\'', '`', ')', ']', ',', ';', ':', '!', '?', '.', '”', '’',
            ]);
        // Chat markup around a word (*bold*, _italic_), unless it is a `*=image` pair.
        let trimmed = if trimmed.contains('=') {
            trimmed
        } else {
            trimmed.trim_matches(['*', '_'])
        };
        // Emoji and lone punctuation ("🙏", "—") carry no request.
        if !trimmed.bytes().any(|b| b.is_ascii_alphanumeric()) {
            continue;
        }
        let s = start + (trimmed.as_ptr() as usize - piece.as_ptr() as usize);
        let mut e = s + trimmed.len();
        let low = &lower[s..e];
        if low.len() > 2 && low.ends_with("'s") && !CONTRACTIONS.contains(&low) {
            e -= 2;
        }
        out.push(Tok {
            raw: &text[s..e],
            low: &lower[s..e],
        });
    }
    out
}

/// Words that follow "in"/"on" without being a place ("in the last hour", "in yaml").
#[rustfmt::skip]
const NOT_A_PLACE: &[&str] = &[
    "the", "a", "an", "last", "past", "previous", "yaml", "json", "wide", "container",
    "containers", "order", "it", "them", "this", "that", "there", "case", "detail", "details",
    "total", "use", "my", "our", "your", "progress", "crashloop", "crashloopbackoff", "error",
    "pending", "trouble", "state", "status", "minutes", "lines", "parallel", "general", "place",
    "any", "all", "every", "each", "one", "here", "prod-like", "format", "full", "short",
];

fn is_place(t: &Tok<'_>) -> bool {
    words::is_namespace(t.low)
        && !NOT_A_PLACE.contains(&t.low)
        && !super::subject::NOT_NAMES.contains(&t.low)
        && !t.low.bytes().all(|b| b.is_ascii_digit())
        && target::kind_of(t.low).is_none()
}

fn word<'a>(toks: &[Tok<'a>], i: usize) -> &'a str {
    toks.get(i).map_or("", |t| t.low)
}

/// Takes the "where" phrases out of `toks`, recording them in a [`Where`].
pub(super) fn extract_where<'a>(
    toks: Vec<Tok<'a>>,
    ctx: &PlanContext<'_>,
) -> Result<(Vec<Tok<'a>>, Where), Planned> {
    let mut wh = Where::default();
    let mut out = Vec::with_capacity(toks.len());
    let mut i = 0;
    while i < toks.len() {
        let used = place_at(&toks, i, &mut wh, ctx)?;
        if used == 0 {
            out.push(toks[i]);
            i += 1;
        } else {
            i += used;
        }
    }
    Ok((out, wh))
}

/// Recognises a "where" phrase starting at `i`; returns how many words it used (0: none).
fn place_at(
    toks: &[Tok<'_>],
    i: usize,
    wh: &mut Where,
    ctx: &PlanContext<'_>,
) -> Result<usize, Planned> {
    let t = toks[i];
    let next = toks.get(i + 1);
    match t.low {
        "-n" | "--namespace" => {
            wh.set_namespace(next.map_or("", |n| n.low))?;
            return Ok(2);
        }
        "--context" => {
            wh.set_cluster(next.map_or("", |n| n.raw), ctx)?;
            return Ok(2);
        }
        "--all-namespaces" | "everywhere" | "cluster-wide" | "clusterwide" => {
            wh.set_all_namespaces()?;
            return Ok(1);
        }
        _ if t.raw == "-A" => {
            wh.set_all_namespaces()?;
            return Ok(1);
        }
        _ => {}
    }
    if let Some(ns) = t
        .low
        .strip_prefix("--namespace=")
        .or(t.low.strip_prefix("-n="))
    {
        wh.set_namespace(ns)?;
        return Ok(1);
    }
    if let Some(c) = t.raw.strip_prefix("--context=") {
        wh.set_cluster(c, ctx)?;
        return Ok(1);
    }
    if matches!(t.low, "all" | "every" | "any")
        && matches!(word(toks, i + 1), "namespaces" | "namespace" | "ns")
    {
        wh.set_all_namespaces()?;
        return Ok(2);
    }
    if !matches!(t.low, "in" | "inside" | "within" | "on" | "across") {
        return Ok(0);
    }
    // "the sidecar container in checkout-7d9f": a pod, not a namespace.
    if i > 0 && matches!(toks[i - 1].low, "container" | "containers") {
        return Ok(0);
    }
    let mut j = i + 1;
    if word(toks, j) == "the" {
        j += 1;
    }
    let w = word(toks, j);
    let after = word(toks, j + 1);
    if matches!(w, "all" | "every" | "any") && matches!(after, "namespaces" | "namespace" | "ns") {
        wh.set_all_namespaces()?;
        return Ok(j + 2 - i);
    }
    if matches!(w, "whole" | "entire") && after == "cluster" {
        wh.set_all_namespaces()?;
        return Ok(j + 2 - i);
    }
    if t.low == "across" && matches!(w, "cluster" | "namespaces") {
        wh.set_all_namespaces()?;
        return Ok(j + 1 - i);
    }
    if matches!(w, "namespace" | "ns") && toks.get(j + 1).is_some() {
        wh.set_namespace(after)?;
        return Ok(j + 2 - i);
    }
    if matches!(w, "cluster" | "context") && toks.get(j + 1).is_some() {
        wh.set_cluster(toks[j + 1].raw, ctx)?;
        return Ok(j + 2 - i);
    }
    let Some(x) = toks.get(j).filter(|x| is_place(x)) else {
        return Ok(0);
    };
    match after {
        "namespace" | "ns" => wh.set_namespace(x.low)?,
        "cluster" | "context" => wh.set_cluster(x.raw, ctx)?,
        "container" | "containers" => return Ok(0),
        _ if t.low == "on" => {
            if !ctx.clusters.iter().any(|c| c.eq_ignore_ascii_case(x.low)) {
                return Err(unknown_on(x.low, ctx));
            }
            wh.set_cluster(x.low, ctx)?;
            return Ok(j + 1 - i);
        }
        _ => {
            wh.set_in(x.low, ctx)?;
            return Ok(j + 1 - i);
        }
    }
    Ok(j + 2 - i)
}

/// "on X" where X is not a configured cluster.
fn unknown_on(x: &str, ctx: &PlanContext<'_>) -> Planned {
    match target::unknown_cluster(x, ctx) {
        Planned::NotUnderstood(_) => Planned::Clarify(format!(
            "I don't know a cluster called \"{x}\" (known clusters: {}). If {x} is a node, say \"on node {x}\"; if it is a namespace, say \"in {x}\".",
            ctx.clusters.join(", ")
        )),
        other => other,
    }
}
