//! Plain English for routine operations.

use super::{PlanContext, Planned};

/// Plans a plain-English request.
pub(super) fn plan(text: &str, _ctx: &PlanContext<'_>) -> Planned {
    Planned::NotUnderstood(format!("I did not understand \"{text}\"."))
}
