//! The console adapter: talk to kubechat from a terminal, no chat account needed.
//!
//! Lines typed are messages from the current user; `approve PLAN_ID` and `abort PLAN_ID`
//! decide on previews, `undo PLAN_ID` asks to revert an executed plan; `/as NAME` switches
//! who is typing (to try a two-person approval in one terminal). Replies are printed as plain text. End of input stops the adapter, not kubechat.

use std::sync::atomic::{AtomicU64, Ordering};

use kubechat_chat::{
    AdapterEvent, AdapterLink, Decision, Inbound, Outbound, Platform, ThreadRef, UndoRequest,
    Verdict,
};
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncWrite, AsyncWriteExt};

/// The console's single channel name.
pub const CHANNEL: &str = "console";

static EVENTS: AtomicU64 = AtomicU64::new(1);

/// What one typed line means.
#[derive(Debug, PartialEq, Eq)]
pub enum Line {
    /// Switch the current user.
    SwitchUser(String),
    /// Approve or abort a plan.
    Decide(Verdict, String),
    /// Undo an executed plan.
    Undo(String),
    /// A request for kubechat.
    Say(String),
    /// Nothing to do (blank line).
    Nothing,
    /// Leave the session.
    Quit,
}

/// Parses one typed line.
pub fn parse_line(line: &str) -> Line {
    let line = line.trim();
    let mut words = line.split_whitespace();
    match (words.next(), words.next(), words.next()) {
        (None, _, _) => Line::Nothing,
        (Some("/quit" | "/exit"), None, _) => Line::Quit,
        (Some("/as"), Some(name), None) => Line::SwitchUser(name.to_string()),
        (Some("approve"), Some(id), None) if id.starts_with("kc-") => {
            Line::Decide(Verdict::Approve, id.to_string())
        }
        (Some("abort"), Some(id), None) if id.starts_with("kc-") => {
            Line::Decide(Verdict::Abort, id.to_string())
        }
        (Some("undo"), Some(id), None) if id.starts_with("kc-") => Line::Undo(id.to_string()),
        _ => Line::Say(line.to_string()),
    }
}

fn next_event() -> String {
    format!(
        "console-{}-{}",
        std::process::id(),
        EVENTS.fetch_add(1, Ordering::Relaxed)
    )
}

/// Runs the console: reads `input` until it ends, prints replies to `output`.
pub async fn run<R, W>(
    user: String,
    link: AdapterLink,
    input: R,
    mut output: W,
) -> Result<(), kubechat_chat::AdapterError>
where
    R: AsyncBufRead + Unpin + Send + 'static,
    W: AsyncWrite + Unpin + Send + 'static,
{
    let AdapterLink {
        events,
        mut outbound,
    } = link;
    let printer = tokio::spawn(async move {
        while let Some(msg) = outbound.recv().await {
            let text = render(&msg);
            if output.write_all(text.as_bytes()).await.is_err() || output.flush().await.is_err() {
                break;
            }
        }
    });
    let mut user = user;
    let mut lines = input.lines();
    while let Some(line) = lines.next_line().await? {
        let thread = ThreadRef {
            platform: Platform::Console,
            channel: CHANNEL.into(),
            thread: next_event(),
        };
        let event = match parse_line(&line) {
            Line::Nothing => continue,
            Line::Quit => break,
            Line::SwitchUser(name) => {
                eprintln!("(you are now {name})");
                user = name;
                continue;
            }
            Line::Decide(verdict, plan_id) => AdapterEvent::Decision(Decision {
                event_id: thread.thread.clone(),
                thread,
                user: user.clone(),
                plan_id,
                plan_hash: None,
                verdict,
                email: None,
            }),
            Line::Undo(plan_id) => AdapterEvent::Undo(UndoRequest {
                event_id: thread.thread.clone(),
                thread,
                user: user.clone(),
                plan_id,
                email: None,
            }),
            Line::Say(text) => AdapterEvent::Message(Inbound {
                event_id: thread.thread.clone(),
                thread,
                user: user.clone(),
                text,
                email: None,
            }),
        };
        if events.send(event).await.is_err() {
            break;
        }
    }
    drop(events);
    // Let replies already on their way be printed.
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    printer.abort();
    Ok(())
}

/// Plain-text rendering of what the core sends.
pub fn render(msg: &Outbound) -> String {
    let body = match msg {
        Outbound::Reply { text, .. } => text.clone(),
        Outbound::Preview { card, .. } => {
            let mut out = format!(
                "PREVIEW {} [{:?}] on cluster {}\n{}\n",
                card.plan_id, card.risk, card.cluster, card.summary
            );
            for l in &card.kubectl {
                out.push_str(&format!("  $ {l}\n"));
            }
            for c in &card.checks {
                out.push_str(&format!("  - {c}\n"));
            }
            if !card.diff.trim().is_empty() {
                out.push_str(&card.diff);
                if !card.diff.ends_with('\n') {
                    out.push('\n');
                }
            }
            out.push_str(&format!(
                "needs {}; expires {}\ntype `approve {}` or `abort {}`",
                card.approvers, card.expires_at, card.plan_id, card.plan_id
            ));
            out
        }
        Outbound::Progress { plan_id, text, .. } => format!("[{plan_id}] {text}"),
        Outbound::Resolve {
            plan_id,
            outcome,
            text,
            undoable,
            ..
        } => {
            let undo = if *undoable {
                format!("\ntype `undo {plan_id}` to revert it")
            } else {
                String::new()
            };
            format!("[{plan_id}] {outcome:?}: {text}{undo}")
        }
        Outbound::Ephemeral { user, text, .. } => format!("(only for {user}) {text}"),
    };
    format!("{}\n\n", body.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_decisions_user_switches_and_requests() {
        assert_eq!(
            parse_line("approve kc-0123456789"),
            Line::Decide(Verdict::Approve, "kc-0123456789".into())
        );
        assert_eq!(
            parse_line(" abort kc-1 "),
            Line::Decide(Verdict::Abort, "kc-1".into())
        );
        assert_eq!(parse_line("undo kc-1"), Line::Undo("kc-1".into()));
        assert_eq!(parse_line("/as bob"), Line::SwitchUser("bob".into()));
        assert_eq!(
            parse_line("approve the change"),
            Line::Say("approve the change".into())
        );
        assert_eq!(parse_line("   "), Line::Nothing);
        assert_eq!(parse_line("/quit"), Line::Quit);
    }
}
