//! kubectl syntax: `kubectl get pods -n prod`, and the same without the leading `kubectl`.

use super::{PlanContext, Planned};

/// Plans `text` when it is kubectl syntax; `None` when it is not (so plain English is tried).
pub(super) fn plan(_text: &str, _ctx: &PlanContext<'_>) -> Option<Planned> {
    None
}
