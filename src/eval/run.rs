//! Running the dataset through a planner.

use std::time::Instant;

use super::{Case, Report, Row, score};
use crate::planner::{self, PlanContext, Planned};

/// Which planner to evaluate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    /// The rule planner alone.
    Rules,
    /// The model alone, for every case.
    Llm,
    /// Rules first, the model for what they cannot plan (what production does).
    Both,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::Rules => "rules",
            Mode::Llm => "llm",
            Mode::Both => "rules+llm",
        }
    }
}

/// Where the eval pretends to be asked.
pub struct EvalContext {
    pub cluster: String,
    pub namespace: String,
    pub clusters: Vec<String>,
}

/// The model chain, when the `llm` feature is built.
#[cfg(feature = "llm")]
pub type Model<'a> = Option<&'a crate::llm::Chain>;
/// Without the `llm` feature there is no model.
#[cfg(not(feature = "llm"))]
pub type Model<'a> = Option<&'a ()>;

/// Plans every case with `mode` and scores it.
pub async fn run(cases: &[Case], mode: Mode, model: Model<'_>, ctx: &EvalContext) -> Report {
    let mut rows = Vec::with_capacity(cases.len());
    for case in cases {
        let started = Instant::now();
        let got = plan_one(&case.utterance, mode, model, ctx).await;
        let latency = started.elapsed();
        let result = score(&case.expect, &got);
        rows.push(Row {
            category: case.category.clone(),
            passed: result.is_ok(),
            latency,
            detail: result.err(),
            utterance: case.utterance.clone(),
        });
    }
    Report {
        planner: mode.name().to_string(),
        rows,
    }
}

async fn plan_one(text: &str, mode: Mode, model: Model<'_>, ctx: &EvalContext) -> Planned {
    let pctx = PlanContext {
        cluster: &ctx.cluster,
        namespace: &ctx.namespace,
        clusters: &ctx.clusters,
        last_target: None,
    };
    let rules = match mode {
        Mode::Llm => None,
        _ => Some(planner::plan(text, &pctx)),
    };
    if mode == Mode::Rules {
        return rules.unwrap_or_else(|| Planned::NotUnderstood(String::new()));
    }
    if let Some(r) = &rules
        && !crate::planner::wants_model(r)
    {
        return r.clone();
    }
    match model {
        Some(chain) => with_model(text, chain, ctx).await,
        None => rules.unwrap_or_else(|| Planned::NotUnderstood("no model configured".into())),
    }
}

#[cfg(feature = "llm")]
async fn with_model(text: &str, chain: &crate::llm::Chain, ctx: &EvalContext) -> Planned {
    use crate::actions::{Plan, PlanSource};
    use crate::llm::{LlmPlanned, validate::Grounding};
    let g = Grounding {
        cluster: ctx.cluster.clone(),
        namespace: ctx.namespace.clone(),
        names: Vec::new(),
    };
    match crate::llm::plan(chain, text, &g, None).await {
        LlmPlanned::Plan {
            actions,
            completion,
            ..
        } => Planned::Plan(Plan {
            cluster: ctx.cluster.clone(),
            actions,
            source: PlanSource::Llm {
                provider: completion.provider,
                model: completion.model,
                latency_ms: completion.latency_ms,
            },
            explicit_cluster: false,
            explicit_namespace: false,
        }),
        LlmPlanned::Clarify { question, .. } => Planned::Clarify(question),
        LlmPlanned::Refuse { reason, .. } => Planned::NotUnderstood(reason),
        LlmPlanned::Rephrase { errors } => Planned::Clarify(errors.join("; ")),
        LlmPlanned::Unavailable { error } => Planned::NotUnderstood(error),
    }
}

#[cfg(not(feature = "llm"))]
async fn with_model(_: &str, _: &(), _: &EvalContext) -> Planned {
    Planned::NotUnderstood("built without the llm feature".into())
}
