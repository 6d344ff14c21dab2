//! The policy file: TOML in, a validated [`Policy`] out, or an error naming the line and key.
//!
//! Unknown keys are errors (`deny_unknown_fields`), verbs and risk classes are checked against
//! what kubechat knows, CEL conditions are compiled, time zones looked up and window times
//! parsed — all at load, so a policy that loads cannot fail later on a typo.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;

use jiff::SignedDuration;
use jiff::tz::TimeZone;
use serde::Deserialize;
use toml::Spanned;

use super::cel::Condition;
use super::model::{Approval, Decision, Match, Policy, Rule, Source};
use super::windows::{self, Effect, Window};
use crate::actions::{Action, Risk};

/// A policy file that cannot be used, with where and why.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}line {line}, column {column}{}: {message}", file.as_ref().map(|f| format!("{}: ", f.display())).unwrap_or_default(), key.as_ref().map(|k| format!(" ({k})")).unwrap_or_default())]
pub struct PolicyError {
    pub file: Option<PathBuf>,
    pub line: usize,
    pub column: usize,
    /// The key at fault (`rules[2].match.verbs`), when known.
    pub key: Option<String>,
    pub message: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    #[serde(default)]
    settings: RawSettings,
    #[serde(default)]
    rules: Vec<Spanned<RawRule>>,
    #[serde(default)]
    windows: Vec<Spanned<RawWindow>>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSettings {
    /// Namespace labels that mark production: `{ "kubechat.io/production" = "true" }`.
    #[serde(default)]
    production_labels: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    name: String,
    #[serde(default, rename = "match")]
    matcher: RawMatch,
    decision: Spanned<RawDecision>,
    reason: Option<String>,
    approvals: Option<Spanned<u32>>,
    #[serde(default)]
    approvers: Vec<String>,
    requester_may_approve: Option<bool>,
    ttl: Option<Spanned<String>>,
    #[serde(default)]
    conditions: Vec<RawCondition>,
}

#[derive(Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum RawDecision {
    Allow,
    Deny,
    Approve,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCondition {
    cel: Spanned<String>,
    message: Option<String>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMatch {
    #[serde(default)]
    clusters: Vec<String>,
    #[serde(default)]
    namespaces: Vec<String>,
    #[serde(default)]
    namespace_labels: BTreeMap<String, String>,
    production: Option<bool>,
    #[serde(default)]
    verbs: Vec<Spanned<String>>,
    #[serde(default)]
    risk: Vec<Risk>,
    #[serde(default)]
    kinds: Vec<String>,
    #[serde(default)]
    names: Vec<String>,
    #[serde(default)]
    users: Vec<String>,
    #[serde(default)]
    groups: Vec<String>,
    break_glass: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWindow {
    name: String,
    from: Spanned<String>,
    to: Spanned<String>,
    timezone: Spanned<String>,
    effect: RawEffect,
    #[serde(rename = "match")]
    matcher: Option<RawMatch>,
    reason: Option<String>,
    #[serde(default = "yes")]
    break_glass: bool,
    extra_approvals: Option<Spanned<u32>>,
}

fn yes() -> bool {
    true
}

#[derive(Clone, Copy, Deserialize)]
#[serde(rename_all = "kebab-case")]
enum RawEffect {
    Deny,
    ExtraApproval,
}

/// Parses and validates a policy file's text.
pub fn parse(text: &str, source: Source) -> Result<Policy, PolicyError> {
    let file = match &source {
        Source::File(p) => Some(p.clone()),
        Source::Builtin => None,
    };
    let at = |span: Range<usize>, key: Option<String>, message: String| {
        let (line, column) = line_col(text, span.start);
        PolicyError {
            file: file.clone(),
            line,
            column,
            key,
            message,
        }
    };
    let raw: RawPolicy = toml::from_str(text).map_err(|e| {
        at(
            e.span().unwrap_or(0..0),
            None,
            e.message().trim().to_string(),
        )
    })?;
    let mut names = BTreeMap::new();
    let mut rules = Vec::new();
    for (i, rule) in raw.rules.into_iter().enumerate() {
        let span = rule.span();
        let rule = rule.into_inner();
        if let Some(first) = names.insert(rule.name.clone(), span.start) {
            let (line, _) = line_col(text, first);
            return Err(at(
                span,
                Some(format!("rules[{i}].name")),
                format!(
                    "rule {:?} is defined twice (first at line {line})",
                    rule.name
                ),
            ));
        }
        rules.push(build_rule(i, span, rule, text, &at)?);
    }
    let mut windows = Vec::new();
    for (i, w) in raw.windows.into_iter().enumerate() {
        let span = w.span();
        windows.push(build_window(i, span, w.into_inner(), text, &at)?);
    }
    Ok(Policy {
        rules,
        windows,
        production_labels: raw.settings.production_labels,
        source,
    })
}

type At<'a> = dyn Fn(Range<usize>, Option<String>, String) -> PolicyError + 'a;

fn build_rule(
    i: usize,
    span: Range<usize>,
    r: RawRule,
    text: &str,
    at: &At<'_>,
) -> Result<Rule, PolicyError> {
    let key = |k: &str| Some(format!("rules[{i}].{k}"));
    let matcher = build_match(&r.matcher, &|k| format!("rules[{i}].match.{k}"), at)?;
    let decision_span = r.decision.span();
    let decision = match r.decision.into_inner() {
        RawDecision::Allow => Decision::Allow,
        RawDecision::Deny => Decision::Deny {
            reason: r
                .reason
                .clone()
                .unwrap_or_else(|| format!("refused by policy rule {:?}", r.name)),
        },
        RawDecision::Approve => {
            let approvals = r.approvals.as_ref().map_or(1, |a| *a.get_ref());
            if approvals == 0 {
                let s = r
                    .approvals
                    .as_ref()
                    .map_or(decision_span.clone(), |a| a.span());
                return Err(at(
                    s,
                    key("approvals"),
                    "approvals must be at least 1 (to let something run without approval, use decision = \"allow\", which for writes still asks the requester to confirm)".into(),
                ));
            }
            let ttl = match &r.ttl {
                None => None,
                Some(t) => Some(parse_ttl(t.get_ref()).map_err(|m| at(t.span(), key("ttl"), m))?),
            };
            Decision::Approve(Approval {
                approvals,
                approvers: r.approvers.clone(),
                requester_may_approve: r.requester_may_approve.unwrap_or(false),
                ttl,
                reason: r.reason.clone(),
            })
        }
    };
    if !matches!(decision, Decision::Approve(_)) {
        let stray = [
            ("approvals", r.approvals.is_some()),
            ("approvers", !r.approvers.is_empty()),
            ("requester_may_approve", r.requester_may_approve.is_some()),
            ("ttl", r.ttl.is_some()),
        ];
        if let Some((k, _)) = stray.iter().find(|(_, set)| *set) {
            return Err(at(
                decision_span,
                key(k),
                format!("`{k}` only applies to decision = \"approve\""),
            ));
        }
    }
    let mut conditions = Vec::new();
    for (j, c) in r.conditions.into_iter().enumerate() {
        let (line, _) = line_col(text, c.cel.span().start);
        let compiled = Condition::compile(c.cel.get_ref(), c.message, line).map_err(|m| {
            at(
                c.cel.span(),
                key(&format!("conditions[{j}].cel")),
                format!("the CEL expression does not compile: {m}"),
            )
        })?;
        conditions.push(Arc::new(compiled));
    }
    Ok(Rule {
        name: r.name,
        line: line_col(text, span.start).0,
        matcher,
        decision,
        conditions,
    })
}

fn build_match(
    m: &RawMatch,
    key: &dyn Fn(&str) -> String,
    at: &At<'_>,
) -> Result<Match, PolicyError> {
    let mut verbs = Vec::new();
    for v in &m.verbs {
        let verb = v.get_ref().to_ascii_lowercase();
        if !Action::VERBS.contains(&verb.as_str()) {
            let close = crate::suggest::close_names(&verb, Action::VERBS);
            let hint = match close.first() {
                Some(c) => format!(" (did you mean {c:?}?)"),
                None => format!("; known verbs: {}", Action::VERBS.join(", ")),
            };
            return Err(at(
                v.span(),
                Some(key("verbs")),
                format!("unknown verb {verb:?}{hint}"),
            ));
        }
        verbs.push(verb);
    }
    Ok(Match {
        clusters: m.clusters.clone(),
        namespaces: m.namespaces.clone(),
        namespace_labels: m.namespace_labels.clone(),
        production: m.production,
        verbs,
        risks: m.risk.clone(),
        kinds: m
            .kinds
            .iter()
            .map(|k| {
                if k.contains('*') {
                    k.to_ascii_lowercase()
                } else {
                    super::facts::canonical_kind(k)
                }
            })
            .collect(),
        names: m.names.clone(),
        users: m.users.clone(),
        groups: m.groups.clone(),
        break_glass: m.break_glass,
    })
}

fn build_window(
    i: usize,
    span: Range<usize>,
    w: RawWindow,
    text: &str,
    at: &At<'_>,
) -> Result<Window, PolicyError> {
    let key = |k: &str| Some(format!("windows[{i}].{k}"));
    let bound = |s: &Spanned<String>, k: &str| {
        windows::parse_bound(s.get_ref()).map_err(|m| at(s.span(), key(k), m))
    };
    let when = windows::when(bound(&w.from, "from")?, bound(&w.to, "to")?)
        .map_err(|m| at(w.from.span(), key("from"), m))?;
    let tz_name = w.timezone.get_ref().clone();
    let tz = TimeZone::get(&tz_name).map_err(|e| {
        at(
            w.timezone.span(),
            key("timezone"),
            format!("unknown time zone {tz_name:?} ({e}); use an IANA name such as \"Europe/Berlin\" or \"UTC\""),
        )
    })?;
    let matcher = match &w.matcher {
        Some(m) => build_match(m, &|k| format!("windows[{i}].match.{k}"), at)?,
        None => Match {
            production: Some(true),
            ..Match::default()
        },
    };
    let extra = w.extra_approvals.as_ref().map_or(1, |e| *e.get_ref());
    if extra == 0 {
        let s = w
            .extra_approvals
            .as_ref()
            .map_or(span.clone(), |e| e.span());
        return Err(at(
            s,
            key("extra_approvals"),
            "extra_approvals must be at least 1".into(),
        ));
    }
    Ok(Window {
        name: w.name,
        line: line_col(text, span.start).0,
        when,
        tz,
        tz_name,
        effect: match w.effect {
            RawEffect::Deny => Effect::Deny,
            RawEffect::ExtraApproval => Effect::ExtraApproval,
        },
        matcher,
        reason: w.reason,
        break_glass: w.break_glass,
        extra_approvals: extra,
    })
}

/// `15m`, `1h`, `90s`, `1h 30m` (jiff's friendly format), between 1 minute and 7 days.
fn parse_ttl(text: &str) -> Result<SignedDuration, String> {
    let d: SignedDuration = text.parse().map_err(|_| {
        format!("{text:?} is not a duration: write it like \"15m\", \"2h\" or \"1h 30m\"")
    })?;
    if d < SignedDuration::from_mins(1) || d > SignedDuration::from_hours(24 * 7) {
        return Err(format!("ttl {text:?} must be between 1 minute and 7 days"));
    }
    Ok(d)
}

/// 1-based line and column of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
    (line, column)
}

#[cfg(test)]
#[path = "file_tests.rs"]
mod tests;
