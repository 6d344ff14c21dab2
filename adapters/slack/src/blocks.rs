//! Block Kit rendering: pure functions from the neutral chat types to Slack message JSON.
//!
//! Every string that comes from the core (summaries, checks, diffs, read output) is escaped
//! with [`escape`] first. Slack's limits shape the output: a section's text holds at most 3000
//! characters, so long diffs and outputs are cut to whole lines with a note saying how many
//! were left out. Buttons carry the plan id and the plan hash, so a click on an old preview is
//! refused by the core (approvals are bound to the hash).

use kubechat_chat::{Outcome, PreviewCard, Risk};
use serde_json::{Value, json};

use crate::mrkdwn::{escape, fit};

/// `action_id` of the Approve button.
pub const APPROVE: &str = "kubechat_approve";
/// `action_id` of the Abort button.
pub const ABORT: &str = "kubechat_abort";
/// `action_id` of the Undo button.
pub const UNDO: &str = "kubechat_undo";

/// Slack's limit for a section's text is 3000; the rest is room for fences and notes.
const SECTION_CHARS: usize = 2900;
/// Lines of a diff or output shown before the rest is cut (a preview must stay readable).
pub const MAX_LINES: usize = 40;

/// A message ready for `chat.postMessage` / `chat.update`: fallback text and blocks (both
/// already escaped: Slack parses the fallback as mrkdwn too).
#[derive(Clone, Debug, PartialEq)]
pub struct Message {
    /// Plain fallback for notifications and clients without Block Kit.
    pub text: String,
    pub blocks: Vec<Value>,
}

fn section(text: impl Into<String>) -> Value {
    json!({"type": "section", "text": {"type": "mrkdwn", "text": text.into()}})
}

fn context(text: impl Into<String>) -> Value {
    json!({"type": "context", "elements": [{"type": "mrkdwn", "text": text.into()}]})
}

/// A code block of escaped text, cut to fit one section.
fn code(text: &str) -> Value {
    let fitted = fit(&escape(text.trim_end()), SECTION_CHARS, MAX_LINES);
    section(format!("```{}```", fitted.text))
}

/// The risk badge shown first on every preview.
pub fn badge(risk: Risk) -> &'static str {
    match risk {
        Risk::Read => ":large_green_circle: *read*",
        Risk::Write => ":large_yellow_circle: *write*",
        Risk::Destructive => ":red_circle: *destructive*",
    }
}

fn outcome_badge(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Executed => ":white_check_mark: *Executed*",
        Outcome::Failed => ":x: *Failed*",
        Outcome::Aborted => ":no_entry_sign: *Aborted*",
        Outcome::Expired => ":hourglass: *Expired*",
        Outcome::Denied => ":no_entry: *Denied*",
        Outcome::Superseded => ":leftwards_arrow_with_hook: *Superseded*",
        Outcome::Interrupted => ":warning: *Interrupted*",
    }
}

/// A plain answer (read results, refusals, questions back). The first line is prose; the rest,
/// when it looks like a table or output, goes into a code block so columns stay aligned.
pub fn reply(text: &str) -> Message {
    let text = text.trim_end();
    let (first, rest) = text.split_once('\n').unwrap_or((text, ""));
    let mut blocks = vec![section(fit(&escape(first), SECTION_CHARS, 1).text)];
    if !rest.trim().is_empty() {
        if looks_like_output(rest) {
            blocks.push(code(rest));
        } else {
            blocks.push(section(fit(&escape(rest), SECTION_CHARS, MAX_LINES).text));
        }
    }
    Message {
        text: fit(&escape(first), 150, 1).text,
        blocks,
    }
}

/// Tables and logs: aligned columns (runs of spaces) or many lines.
fn looks_like_output(text: &str) -> bool {
    text.lines().count() > 8 || text.lines().any(|l| l.contains("   "))
}

/// The interactive preview of a write, with Approve / Abort.
pub fn preview(card: &PreviewCard) -> Message {
    let mut blocks = preview_body(card);
    let value = format!("{} {}", card.plan_id, card.plan_hash);
    let mut approve = json!({
        "type": "button", "action_id": APPROVE, "style": "primary", "value": value,
        "text": {"type": "plain_text", "text": "Approve"},
    });
    if card.risk == Risk::Destructive {
        approve["confirm"] = json!({
            "title": {"type": "plain_text", "text": "Approve a destructive change?"},
            "text": {"type": "mrkdwn", "text": escape(&card.summary)},
            "confirm": {"type": "plain_text", "text": "Approve"},
            "deny": {"type": "plain_text", "text": "Back"},
        });
    }
    blocks.push(json!({
        "type": "actions", "block_id": format!("decide {}", card.plan_id),
        "elements": [approve, {
            "type": "button", "action_id": ABORT, "style": "danger", "value": value,
            "text": {"type": "plain_text", "text": "Abort"},
        }],
    }));
    Message {
        text: fit(&format!("Preview: {}", escape(&card.summary)), 150, 1).text,
        blocks,
    }
}

/// The preview after it settled: same facts, no buttons, who decided and how it ended on top.
pub fn resolved(card: &PreviewCard, outcome: Outcome, text: &str) -> Message {
    // The whole outcome text (who decided, when, what happened), not just its first line.
    let mut blocks = vec![section(format!(
        "{} · {}",
        outcome_badge(outcome),
        fit(&escape(text.trim_end()), SECTION_CHARS - 64, 8).text
    ))];
    blocks.extend(preview_body(card));
    Message {
        text: fit(&format!("{outcome:?}: {}", escape(&card.summary)), 150, 1).text,
        blocks,
    }
}

fn preview_body(card: &PreviewCard) -> Vec<Value> {
    let mut blocks = vec![
        section(format!("{} · {}", badge(card.risk), escape(&card.summary))),
        context(format!(
            "cluster *{}* · plan `{}` · expires <!date^{}^{{date_short_pretty}} {{time}}|{}>",
            escape(&card.cluster),
            escape(&card.plan_id),
            card.expires_at.as_second(),
            card.expires_at
        )),
    ];
    if !card.kubectl.is_empty() {
        blocks.push(code(&card.kubectl.join("\n")));
    }
    if !card.checks.is_empty() {
        let checks: Vec<String> = card
            .checks
            .iter()
            .map(|c| format!("• {}", escape(c)))
            .collect();
        blocks.push(section(
            fit(&checks.join("\n"), SECTION_CHARS, MAX_LINES).text,
        ));
    }
    if !card.diff.trim().is_empty() {
        blocks.push(code(&card.diff));
    }
    let plural = if card.approvals_needed == 1 { "" } else { "s" };
    blocks.push(section(format!(
        "*Approvers:* {} ({} approval{plural} needed)",
        escape(&card.approvers),
        card.approvals_needed
    )));
    blocks
}

/// The result posted in the thread when a preview settles, with Undo when the core offers it.
pub fn result(plan_id: &str, outcome: Outcome, text: &str, undoable: bool) -> Message {
    let mut message = reply(text);
    message.blocks[0] = section(format!(
        "{} · {}",
        outcome_badge(outcome),
        fit(
            &escape(text.lines().next().unwrap_or_default()),
            SECTION_CHARS - 64,
            1
        )
        .text
    ));
    if undoable {
        message.blocks.push(json!({
            "type": "actions", "block_id": format!("undo {plan_id}"),
            "elements": [{
                "type": "button", "action_id": UNDO, "value": plan_id,
                "text": {"type": "plain_text", "text": "Undo"},
            }],
        }));
    }
    message
}

/// Progress on a pending preview ("approved by bob, 1 more needed").
pub fn progress(text: &str) -> Message {
    let mut message = reply(text);
    message.blocks[0] = section(format!(
        ":hourglass_flowing_sand: {}",
        fit(
            &escape(text.lines().next().unwrap_or_default()),
            SECTION_CHARS - 64,
            1
        )
        .text
    ));
    message
}
