//! Planning: turns what a person wrote into a [`Plan`] of typed actions, a question back, or a
//! helpful refusal. Pure: no I/O, no cluster access, no clock.
//!
//! The rule planner understands kubectl syntax (with or without the leading `kubectl`) and
//! plain English for routine operations. It never guesses: when a request is ambiguous it asks
//! back ([`Planned::Clarify`]); when it cannot plan it says what it understood and shows
//! examples ([`Planned::NotUnderstood`]).

mod english;
mod kubectl;
mod manifest;
mod reply;
mod target;
mod words;

use crate::actions::{ObjectRef, Plan};

/// What the planner knows about where the request was made.
#[derive(Clone, Copy, Debug)]
pub struct PlanContext<'a> {
    /// The channel's cluster (its context lock) or the configured default cluster.
    pub cluster: &'a str,
    /// The channel's namespace or the configured default namespace.
    pub namespace: &'a str,
    /// Every configured cluster name, so "in staging-us" is recognised as a cluster.
    pub clusters: &'a [String],
    /// The last object this thread talked about, for follow-ups ("restart it").
    pub last_target: Option<&'a ObjectRef>,
}

/// The planner's answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Planned {
    /// A complete plan to preview or run.
    Plan(Plan),
    /// The request is ambiguous or incomplete: ask this question back.
    Clarify(String),
    /// The person asked for help: this is the help text.
    Help(String),
    /// Nothing could be planned: this reply says what was understood and gives examples.
    NotUnderstood(String),
}

/// Plans `text` with the rules (no LLM).
pub fn plan(text: &str, ctx: &PlanContext<'_>) -> Planned {
    let text = text.trim();
    if let Some(planned) = kubectl::plan(text, ctx) {
        return planned;
    }
    english::plan(text, ctx)
}

/// Routing: true when the rules could not plan `planned` and a model may try. Deliberate
/// refusals (exec, port-forward…), clarifying questions and help stand as the rules said.
pub fn wants_model(planned: &Planned) -> bool {
    matches!(planned, Planned::NotUnderstood(t) if t.starts_with(reply::NOT_UNDERSTOOD))
}
