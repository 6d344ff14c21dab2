//! "Why is X failing?" with a model: the executor's evidence (status, container states, events,
//! rollout) plus the last log lines go to the model fenced as untrusted data; the answer is a
//! cause, its evidence, and at most one suggested next action, validated like any plan action.
//! The suggestion is only ever offered as a new plan, which goes through policy and approval.

use super::schema::{self, DiagnosisDto};
use super::validate::{self, Grounding};
use super::{Chain, Completion, LlmError, prompt};
use crate::actions::Action;

/// A model's diagnosis.
#[derive(Clone, Debug)]
pub struct Diagnosis {
    pub cause: String,
    pub evidence: Vec<String>,
    /// The suggested next action, when it passed validation.
    pub next: Option<Action>,
    /// Why a suggestion was dropped.
    pub dropped: Option<String>,
    pub completion: Completion,
}

/// Asks the model to explain `evidence`.
pub async fn diagnose(
    chain: &Chain,
    request: &str,
    evidence: &str,
    g: &Grounding,
) -> Result<Diagnosis, LlmError> {
    let p = prompt::diagnose_prompt(request, evidence, g);
    let (dto, completion) = chain.complete(&p, schema::parse::<DiagnosisDto>).await?;
    let (next, dropped) = match &dto.next_action {
        None => (None, None),
        Some(a) => match validate::actions(std::slice::from_ref(a), g) {
            Ok(mut v) => (v.pop(), None),
            Err(e) => (None, Some(e.join("; "))),
        },
    };
    Ok(Diagnosis {
        cause: dto.cause,
        evidence: dto.evidence.into_iter().take(5).collect(),
        next,
        dropped,
        completion,
    })
}

impl Diagnosis {
    /// The text a person sees: cause, evidence, and the suggestion (previewed separately).
    pub fn render(&self) -> String {
        let mut out = format!("Likely cause: {}\n", self.cause.trim());
        if !self.evidence.is_empty() {
            out.push_str("Evidence:\n");
            for e in &self.evidence {
                out.push_str(&format!("- {}\n", e.trim()));
            }
        }
        match (&self.next, &self.dropped) {
            (Some(a), _) => out.push_str(&format!(
                "Suggested next step: {} (`{}`).\n",
                a.describe(),
                crate::actions::kubectl::render(a)
            )),
            (None, Some(why)) => out.push_str(&format!(
                "(The model suggested a next step I could not validate: {why}.)\n"
            )),
            (None, None) => {}
        }
        out.push_str(&format!(
            "(explained by {} / {} in {} ms)",
            self.completion.provider, self.completion.model, self.completion.latency_ms
        ));
        out
    }
}
