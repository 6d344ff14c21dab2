//! Slack's inbound payloads → what kubechat cares about. Pure: no I/O, table-tested with
//! payloads copied from Slack's documentation (tests/fixtures/slack/).
//!
//! Three shapes arrive, over HTTP or Socket Mode alike: Events API envelopes (JSON: app
//! mentions, direct messages, the URL verification challenge), slash commands (form fields)
//! and interactivity (a form field `payload` holding JSON: button clicks). Everything else is
//! acknowledged and ignored, with the reason logged.

use serde::Deserialize;
use serde_json::Value;

use crate::blocks::{ABORT, APPROVE, UNDO};

/// One inbound Slack request, reduced to what the adapter acts on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Incoming {
    /// Events API `url_verification`: answer with the challenge.
    Challenge(String),
    /// An app mention or a direct message.
    Message {
        channel: String,
        user: String,
        /// The text with the bot's mention removed and Slack's entities decoded.
        text: String,
        /// The message's own ts (a new thread starts here).
        ts: String,
        /// Set when the message is a reply in a thread: the follow-up keeps its context.
        thread_ts: Option<String>,
        event_id: String,
    },
    /// `/kubechat …`.
    Command {
        channel: String,
        user: String,
        text: String,
        trigger_id: String,
    },
    /// A click on Approve / Abort / Undo.
    Action {
        channel: String,
        user: String,
        /// The message the button is on (the preview).
        message_ts: String,
        /// The thread that message lives in.
        thread_ts: Option<String>,
        kind: ActionKind,
        plan_id: String,
        plan_hash: Option<String>,
        /// Unique per click: one click = one decision, retries included.
        trigger_id: String,
    },
    /// Acknowledged and dropped (bot messages, edits, other event types).
    Ignored(&'static str),
}

/// Which button.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ActionKind {
    Approve,
    Abort,
    Undo,
}

/// A payload that cannot be understood (logged; Slack gets a 400).
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    #[error("the Events API body is not the JSON Slack documents: {0}")]
    Event(#[source] serde_json::Error),
    #[error("the slash command form is incomplete: {0}")]
    Command(#[source] serde_urlencoded::de::Error),
    #[error("the interactivity form has no valid `payload` field: {0}")]
    Interaction(String),
}

#[derive(Deserialize)]
struct Envelope {
    #[serde(rename = "type")]
    kind: String,
    challenge: Option<String>,
    event_id: Option<String>,
    event: Option<EventBody>,
}

#[derive(Deserialize)]
struct EventBody {
    #[serde(rename = "type")]
    kind: String,
    subtype: Option<String>,
    bot_id: Option<String>,
    channel_type: Option<String>,
    user: Option<String>,
    channel: Option<String>,
    text: Option<String>,
    ts: Option<String>,
    thread_ts: Option<String>,
}

/// Parses an Events API body (HTTP) or a Socket Mode `events_api` payload (the same JSON).
pub fn parse_event(body: &[u8]) -> Result<Incoming, ParseError> {
    let env: Envelope = serde_json::from_slice(body).map_err(ParseError::Event)?;
    Ok(from_envelope(env))
}

/// The same, for a payload already decoded (Socket Mode hands us typed events).
pub fn event_from_value(value: Value) -> Result<Incoming, ParseError> {
    let env: Envelope = serde_json::from_value(value).map_err(ParseError::Event)?;
    Ok(from_envelope(env))
}

fn from_envelope(env: Envelope) -> Incoming {
    match env.kind.as_str() {
        "url_verification" => return Incoming::Challenge(env.challenge.unwrap_or_default()),
        "event_callback" => {}
        _ => return Incoming::Ignored("not an event callback"),
    }
    let Some(ev) = env.event else {
        return Incoming::Ignored("event callback without an event");
    };
    let direct = ev.kind == "message" && ev.channel_type.as_deref() == Some("im");
    if ev.kind != "app_mention" && !direct {
        return Incoming::Ignored("event type kubechat does not handle");
    }
    // Our own replies (and other bots', and edits/joins) must never become requests.
    if ev.bot_id.is_some() || ev.subtype.is_some() {
        return Incoming::Ignored("bot message or message subtype");
    }
    let (Some(user), Some(channel), Some(ts), Some(event_id)) =
        (ev.user, ev.channel, ev.ts, env.event_id)
    else {
        return Incoming::Ignored("event without user, channel, ts or event id");
    };
    Incoming::Message {
        channel,
        user,
        text: clean_text(ev.text.as_deref().unwrap_or_default()),
        ts,
        thread_ts: ev.thread_ts,
        event_id,
    }
}

/// Removes user mentions (`<@U0LAN0Z89>` — the bot's own, at least) and decodes the three
/// entities Slack encodes, so the planner sees what the person typed.
pub fn clean_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("<@") {
        out.push_str(&rest[..start]);
        match rest[start..].find('>') {
            Some(end) => rest = &rest[start + end + 1..],
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    let decoded = out
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    decoded.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[derive(Deserialize)]
struct CommandForm {
    channel_id: String,
    user_id: String,
    #[serde(default)]
    text: String,
    trigger_id: String,
}

/// Parses a slash command's form body.
pub fn parse_command(body: &[u8]) -> Result<Incoming, ParseError> {
    let form: CommandForm = serde_urlencoded::from_bytes(body).map_err(ParseError::Command)?;
    Ok(Incoming::Command {
        channel: form.channel_id,
        user: form.user_id,
        text: clean_text(&form.text),
        trigger_id: form.trigger_id,
    })
}

#[derive(Deserialize)]
struct PayloadForm {
    payload: String,
}

/// Parses an interactivity form body (`payload=<json>`).
pub fn parse_interaction(body: &[u8]) -> Result<Incoming, ParseError> {
    let form: PayloadForm =
        serde_urlencoded::from_bytes(body).map_err(|e| ParseError::Interaction(e.to_string()))?;
    let value: Value =
        serde_json::from_str(&form.payload).map_err(|e| ParseError::Interaction(e.to_string()))?;
    interaction_from_value(&value)
}

/// Reads a `block_actions` payload; other interaction types are ignored.
pub fn interaction_from_value(v: &Value) -> Result<Incoming, ParseError> {
    if v["type"] != "block_actions" {
        return Ok(Incoming::Ignored(
            "interaction type kubechat does not handle",
        ));
    }
    let s = |v: &Value| v.as_str().map(str::to_string);
    let missing = |what: &str| ParseError::Interaction(format!("block_actions without {what}"));
    let action = &v["actions"][0];
    let kind = match action["action_id"].as_str() {
        Some(APPROVE) => ActionKind::Approve,
        Some(ABORT) => ActionKind::Abort,
        Some(UNDO) => ActionKind::Undo,
        _ => return Ok(Incoming::Ignored("a button kubechat did not post")),
    };
    let value = s(&action["value"]).ok_or_else(|| missing("a button value"))?;
    let mut parts = value.split_whitespace();
    let plan_id = parts
        .next()
        .filter(|id| id.starts_with("kc-"))
        .ok_or_else(|| missing("a plan id in the button value"))?
        .to_string();
    let plan_hash = parts.next().map(str::to_string);
    let channel = s(&v["container"]["channel_id"])
        .or_else(|| s(&v["channel"]["id"]))
        .ok_or_else(|| missing("a channel"))?;
    Ok(Incoming::Action {
        channel,
        user: s(&v["user"]["id"]).ok_or_else(|| missing("a user"))?,
        message_ts: s(&v["container"]["message_ts"]).ok_or_else(|| missing("a message ts"))?,
        thread_ts: s(&v["message"]["thread_ts"]),
        kind,
        plan_id,
        plan_hash,
        trigger_id: s(&v["trigger_id"]).ok_or_else(|| missing("a trigger id"))?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mentions_are_removed_and_entities_decoded() {
        assert_eq!(
            clean_text("<@U0LAN0Z89> scale   payment-api to 5"),
            "scale payment-api to 5"
        );
        assert_eq!(
            clean_text("logs a &amp;&amp; b &lt;x&gt;"),
            "logs a && b <x>"
        );
        assert_eq!(clean_text("broken <@U1"), "broken <@U1");
    }

    #[test]
    fn bot_messages_and_edits_are_ignored_so_we_never_answer_ourselves() {
        let body = br#"{"type":"event_callback","event_id":"Ev1","event":{"type":"message",
            "channel_type":"im","bot_id":"B1","user":"U1","channel":"D1","text":"hi","ts":"1.2"}}"#;
        assert!(matches!(parse_event(body), Ok(Incoming::Ignored(_))));
        let body = br#"{"type":"event_callback","event_id":"Ev1","event":{"type":"message",
            "channel_type":"im","subtype":"message_changed","channel":"D1","ts":"1.2"}}"#;
        assert!(matches!(parse_event(body), Ok(Incoming::Ignored(_))));
        let body = br#"{"type":"event_callback","event_id":"Ev1","event":{"type":"message",
            "channel_type":"channel","user":"U1","channel":"C1","text":"hi","ts":"1.2"}}"#;
        assert!(matches!(parse_event(body), Ok(Incoming::Ignored(_))));
    }

    #[test]
    fn garbage_is_a_specific_error() {
        let err = parse_event(b"not json").expect_err("bad");
        assert!(err.to_string().contains("Events API"), "{err}");
        let err = parse_command(b"text=hi").expect_err("bad");
        assert!(err.to_string().contains("slash command"), "{err}");
        let err = parse_interaction(b"nope=1").expect_err("bad");
        assert!(err.to_string().contains("payload"), "{err}");
    }
}
