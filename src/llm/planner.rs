//! Planning with a model: prompt → constrained JSON → typed actions → validation, with one
//! retry that feeds the validation errors back, then a request to rephrase.

use super::prompt;
use super::schema::{self, Outcome, PlanDto};
use super::validate::{self, Grounding};
use super::{Chain, Completion};
use crate::actions::Action;

/// What the model made of a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LlmPlanned {
    /// Validated actions (still to go through policy, preview and approval).
    Plan {
        actions: Vec<Action>,
        /// The model's one-line summary.
        summary: String,
        completion: Completion,
        /// 1, or 2 when the first answer failed validation.
        attempts: u8,
    },
    /// The model asks back.
    Clarify {
        question: String,
        completion: Completion,
    },
    /// The model says kubechat should not do this.
    Refuse {
        reason: String,
        completion: Completion,
    },
    /// Two answers failed validation: ask the person to rephrase.
    Rephrase { errors: Vec<String> },
    /// No provider answered.
    Unavailable { error: String },
}

/// Plans `request` with the model chain.
pub async fn plan(
    chain: &Chain,
    request: &str,
    g: &Grounding,
    last_target: Option<(&str, &str)>,
) -> LlmPlanned {
    let mut feedback: Option<(String, Vec<String>)> = None;
    for attempt in 1..=2u8 {
        let p = prompt::plan_prompt(
            request,
            g,
            last_target,
            feedback.as_ref().map(|(a, e)| (a.as_str(), e.as_slice())),
        );
        let (dto, completion) = match chain.complete(&p, schema::parse::<PlanDto>).await {
            Ok(done) => done,
            Err(e) => {
                return LlmPlanned::Unavailable {
                    error: e.to_string(),
                };
            }
        };
        match dto.outcome {
            Outcome::Clarify => {
                return LlmPlanned::Clarify {
                    question: non_empty(dto.message, "Could you say that more precisely?"),
                    completion,
                };
            }
            Outcome::Refuse => {
                return LlmPlanned::Refuse {
                    reason: non_empty(dto.message, "kubechat does not do that."),
                    completion,
                };
            }
            Outcome::Plan => {}
        }
        match validate::actions(&dto.actions, g) {
            Ok(actions) => {
                return LlmPlanned::Plan {
                    actions,
                    summary: dto.message,
                    completion,
                    attempts: attempt,
                };
            }
            Err(errors) => {
                tracing::info!(attempt, provider = %completion.provider, ?errors, "LLM plan failed validation");
                let answer = serde_json::to_string(&dto).unwrap_or_default();
                feedback = Some((answer, errors));
            }
        }
    }
    LlmPlanned::Rephrase {
        errors: feedback.map(|(_, e)| e).unwrap_or_default(),
    }
}

fn non_empty(text: String, fallback: &str) -> String {
    if text.trim().is_empty() {
        fallback.to_string()
    } else {
        text
    }
}
