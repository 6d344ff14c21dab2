//! Break-glass: an emergency marker in a request, with a mandatory reason.
//!
//! Written as `break-glass: <reason>` at the end of a request or on its own line ("restart
//! api in prod break-glass: INC-4711 checkout down"). The marker is taken out before planning,
//! recorded in the ledger, shown on the preview and announced in the thread. It lifts a change
//! freeze's refusal to an extra approval; it never skips approval, and rules may ask more of
//! break-glass requests (`match.break_glass = true`).

use std::sync::LazyLock;

use regex::Regex;

/// What a request says about break-glass.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BreakGlass {
    /// No marker.
    None,
    /// The marker with its reason.
    Reason(String),
    /// The marker without a reason: refused, with how to write it.
    MissingReason,
}

/// `break-glass`, `breakglass` or `break glass`, then an optional `: reason` to the end of
/// the line.
static MARKER: LazyLock<Regex> = LazyLock::new(|| {
    // A constant pattern: compiling it cannot fail (covered by the tests below).
    #[allow(clippy::unwrap_used)]
    Regex::new(r"(?im)(^|[\s;,(])break[- ]?glass\b[ \t]*(:[ \t]*([^\n]*))?[ \t]*$").unwrap()
});

/// Splits a request into the text to plan and its break-glass marker.
pub fn split(text: &str) -> (String, BreakGlass) {
    let Some(caps) = MARKER.captures(text) else {
        return (text.to_string(), BreakGlass::None);
    };
    let (Some(whole), lead) = (caps.get(0), caps.get(1).map_or("", |m| m.as_str())) else {
        return (text.to_string(), BreakGlass::None);
    };
    let reason = caps
        .get(3)
        .map(|m| m.as_str().trim().trim_end_matches(['.', ')']).trim())
        .unwrap_or_default();
    let start = whole.start() + lead.len();
    let mut rest = format!("{}{}", &text[..start], &text[whole.end()..]);
    let trimmed = rest.trim_end_matches([' ', '\t', '\n', ',', ';', '(', '-', '—']);
    rest.truncate(trimmed.len());
    let rest = rest.trim().to_string();
    if reason.is_empty() {
        (rest, BreakGlass::MissingReason)
    } else {
        (rest, BreakGlass::Reason(reason.to_string()))
    }
}

/// The answer to a marker without a reason.
pub const MISSING_REASON: &str = "Break-glass needs a reason, so the audit trail says why: \
     end your request with `break-glass: <reason>` (for example `break-glass: INC-4711 checkout is down`).";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_marker_and_its_reason_are_taken_out_of_the_request() {
        for (text, want_text, want) in [
            (
                "restart api in prod break-glass: INC-4711 checkout down",
                "restart api in prod",
                BreakGlass::Reason("INC-4711 checkout down".into()),
            ),
            (
                "delete pod x in prod\nbreak-glass: disk full on db-0",
                "delete pod x in prod",
                BreakGlass::Reason("disk full on db-0".into()),
            ),
            (
                "scale api to 0, BREAK GLASS: runaway job",
                "scale api to 0",
                BreakGlass::Reason("runaway job".into()),
            ),
            (
                "restart api (breakglass: pager)",
                "restart api",
                BreakGlass::Reason("pager".into()),
            ),
            (
                "restart api break-glass",
                "restart api",
                BreakGlass::MissingReason,
            ),
            (
                "restart api break-glass:   ",
                "restart api",
                BreakGlass::MissingReason,
            ),
            ("restart api", "restart api", BreakGlass::None),
            (
                "get pods -l app=break-glass-tester",
                "get pods -l app=break-glass-tester",
                BreakGlass::None,
            ),
        ] {
            assert_eq!(split(text), (want_text.to_string(), want), "{text:?}");
        }
    }
}
