//! `kubechat eval`: runs a dataset of utterances with expected actions through the planner
//! (rules, LLM, or rules then LLM as in production) and reports accuracy per category and
//! planning latency percentiles. The dataset is JSON lines (`evals/planner.jsonl`); see
//! docs/llm.md for its format.
//!
//! Scoring is strict on what matters for safety and loose on the rest: a case passes when the
//! plan has the expected actions in order with the expected verb, kind, name, namespace and key
//! parameters; a case that expects no plan (clarify / refuse) passes when nothing was planned.

mod report;
mod run;

use serde::Deserialize;
use serde_json::Value;

use crate::actions::Action;
use crate::planner::Planned;

pub use report::{Report, Row};
pub use run::{EvalContext, Mode, Model, run};

/// One case of the dataset.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    pub utterance: String,
    /// routine, paraphrase, typo, multi-step, question, refuse/clarify.
    pub category: String,
    pub expect: Expect,
}

/// What the planner should produce.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// `plan`, `clarify` or `refuse` (the last two: nothing may be planned).
    pub outcome: String,
    #[serde(default)]
    pub actions: Vec<ExpectAction>,
}

/// One expected action. Unset fields are not checked.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectAction {
    /// As [`Action::verb`]: `scale`, `rollout-restart`, `logs`, …
    pub verb: String,
    /// Resource plural: `deployments`, `pods`, `nodes`.
    pub kind: Option<String>,
    pub name: Option<String>,
    pub namespace: Option<String>,
    /// Key parameters, compared with the action's JSON fields (`{"replicas": 5}`).
    #[serde(default)]
    pub params: serde_json::Map<String, Value>,
}

/// Why a dataset could not be read.
#[derive(Debug, thiserror::Error)]
pub enum DatasetError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} line {line}: {message}")]
    Parse {
        path: String,
        line: usize,
        message: String,
    },
    #[error("{path} holds no cases")]
    Empty { path: String },
}

/// Reads a JSON-lines dataset (blank lines and `#` comments are skipped).
pub fn load(path: &std::path::Path) -> Result<Vec<Case>, DatasetError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| DatasetError::Read {
        path: shown.clone(),
        source,
    })?;
    let cases = parse(&text).map_err(|(line, message)| DatasetError::Parse {
        path: shown.clone(),
        line,
        message,
    })?;
    if cases.is_empty() {
        return Err(DatasetError::Empty { path: shown });
    }
    Ok(cases)
}

/// Parses dataset text; errors carry the 1-based line number.
pub fn parse(text: &str) -> Result<Vec<Case>, (usize, String)> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let case: Case = serde_json::from_str(line).map_err(|e| (i + 1, e.to_string()))?;
        if !matches!(case.expect.outcome.as_str(), "plan" | "clarify" | "refuse") {
            return Err((
                i + 1,
                format!(
                    "expect.outcome {:?} must be plan, clarify or refuse",
                    case.expect.outcome
                ),
            ));
        }
        out.push(case);
    }
    Ok(out)
}

/// Does the planner's answer meet the expectation? `Err` says what differed.
pub fn score(expect: &Expect, got: &Planned) -> Result<(), String> {
    let actions = match got {
        Planned::Plan(p) => &p.actions,
        _ if expect.outcome != "plan" => return Ok(()),
        other => return Err(format!("no plan: {}", first_line(other))),
    };
    if expect.outcome != "plan" {
        return Err(format!(
            "planned {:?} but expected {}",
            describe(actions),
            expect.outcome
        ));
    }
    if actions.len() != expect.actions.len() {
        return Err(format!(
            "{} action(s) {:?}, expected {}",
            actions.len(),
            describe(actions),
            expect.actions.len()
        ));
    }
    for (a, e) in actions.iter().zip(&expect.actions) {
        check(a, e)?;
    }
    Ok(())
}

fn check(a: &Action, e: &ExpectAction) -> Result<(), String> {
    if a.verb() != e.verb {
        return Err(format!("verb {} instead of {}", a.verb(), e.verb));
    }
    let target = a.target();
    if let Some(kind) = &e.kind
        && target.as_ref().map(|t| t.0.as_str()) != Some(kind)
    {
        return Err(format!("kind {:?} instead of {kind}", target.map(|t| t.0)));
    }
    if let Some(name) = &e.name
        && target.as_ref().map(|t| t.1.as_str()) != Some(name)
    {
        return Err(format!("name {:?} instead of {name}", target.map(|t| t.1)));
    }
    if let Some(ns) = &e.namespace
        && a.namespace() != Some(ns)
    {
        return Err(format!("namespace {:?} instead of {ns}", a.namespace()));
    }
    let json = serde_json::to_value(a).unwrap_or(Value::Null);
    for (k, want) in &e.params {
        if json.get(k) != Some(want) {
            return Err(format!("{k} = {:?} instead of {want}", json.get(k)));
        }
    }
    Ok(())
}

fn describe(actions: &[Action]) -> Vec<String> {
    actions.iter().map(Action::describe).collect()
}

fn first_line(p: &Planned) -> String {
    let text = match p {
        Planned::Plan(_) => "",
        Planned::Clarify(t) | Planned::Help(t) | Planned::NotUnderstood(t) => t,
    };
    text.lines().next().unwrap_or_default().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::planner::{PlanContext, plan};

    fn ctx() -> PlanContext<'static> {
        PlanContext {
            cluster: "prod-eu",
            namespace: "payments",
            clusters: &[],
            last_target: None,
        }
    }

    #[test]
    fn scoring_checks_verb_target_namespace_and_params() {
        let case = &parse(
            r#"{"utterance":"scale payment-api to 5","category":"routine","expect":{"outcome":"plan","actions":[{"verb":"scale","kind":"deployments","name":"payment-api","namespace":"payments","params":{"replicas":5}}]}}"#,
        )
        .expect("parses")[0];
        assert_eq!(
            score(&case.expect, &plan("scale payment-api to 5", &ctx())),
            Ok(())
        );
        let wrong = score(&case.expect, &plan("scale payment-api to 4", &ctx()));
        assert!(wrong.expect_err("4 is not 5").contains("replicas"));
        let none = score(&case.expect, &plan("exec into it", &ctx()));
        assert!(none.expect_err("no plan").starts_with("no plan"));
    }

    #[test]
    fn refusals_pass_only_without_a_plan_and_bad_lines_are_named() {
        let e = Expect {
            outcome: "refuse".into(),
            actions: Vec::new(),
        };
        assert_eq!(score(&e, &plan("exec into checkout-7d9f", &ctx())), Ok(()));
        assert!(score(&e, &plan("delete pod checkout-7d9f", &ctx())).is_err());
        let err = parse("\n{\"utterance\": 1}").expect_err("bad line");
        assert_eq!(err.0, 2);
        let err = parse(r#"{"utterance":"x","category":"c","expect":{"outcome":"maybe"}}"#)
            .expect_err("bad outcome");
        assert!(err.1.contains("plan, clarify or refuse"));
    }
}
