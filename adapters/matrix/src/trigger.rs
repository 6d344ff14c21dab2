//! Which room messages are meant for kubechat, and what they ask (pure).
//!
//! A message is a request when it starts with the command prefix (`!kubechat …`), mentions the
//! bot (its user id, its display name at the start, or an intentional mention in `m.mentions`),
//! or needs no trigger at all: in a DM, and in a thread kubechat already answers in. The trigger
//! is stripped; what is left is either a decision typed in words (`approve`, `abort PLAN_ID`),
//! an undo, or a request for the core.

use kubechat_chat::Verdict;

/// What makes a message a request.
#[derive(Clone, Debug)]
pub struct Triggers {
    /// The bot's own user id (`@kubechat:example.org`).
    pub user_id: String,
    /// The bot's display name, when it has one (`kubechat`).
    pub display_name: Option<String>,
    /// The command prefix (`!kubechat`).
    pub prefix: String,
}

/// Where a message was written, as far as triggering goes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Context {
    /// The sender mentioned the bot intentionally (`m.mentions.user_ids`).
    pub mentioned: bool,
    /// A DM with the bot, or a thread kubechat answers in: every message counts.
    pub always: bool,
}

/// What a message means once its trigger is stripped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// `approve` / `abort`, optionally naming the plan (`approve kc-…`).
    Decide(Verdict, Option<String>),
    /// `undo`, optionally naming the plan.
    Undo(Option<String>),
    /// A request for the core (may be empty: the trigger alone).
    Request(String),
}

impl Triggers {
    /// The text after the trigger, or `None` when the message is not for kubechat.
    pub fn strip(&self, body: &str, cx: Context) -> Option<String> {
        let body = body.trim();
        for trigger in self.leading() {
            if let Some(rest) = strip_word(body, trigger) {
                return Some(rest.to_string());
            }
        }
        if cx.always {
            return Some(body.to_string());
        }
        if cx.mentioned || contains_user_id(body, &self.user_id) {
            // A mention in the middle ("hey @kubechat:x.org, show pods"): drop the id only.
            return Some(collapse(&body.replace(&self.user_id, " ")));
        }
        None
    }

    /// The triggers that may start a message, longest first so `!kubechat` wins over `kubechat`.
    fn leading(&self) -> Vec<&str> {
        let mut out = vec![self.prefix.as_str(), self.user_id.as_str()];
        if let Some(name) = self.display_name.as_deref() {
            out.push(name);
        }
        out.retain(|t| !t.trim().is_empty());
        out.sort_by_key(|t| std::cmp::Reverse(t.len()));
        out
    }
}

/// `body` without a leading `word` (case-insensitive), when the word ends there or is followed
/// by whitespace, `:` or `,` (how clients write a mention: "kubechat: show pods").
fn strip_word<'a>(body: &'a str, word: &str) -> Option<&'a str> {
    let head = body.get(..word.len())?;
    if !head.eq_ignore_ascii_case(word) {
        return None;
    }
    let rest = &body[word.len()..];
    match rest.chars().next() {
        None => Some(""),
        Some(c) if c.is_whitespace() || c == ':' || c == ',' => {
            Some(rest.trim_start_matches([':', ',']).trim())
        }
        Some(_) => None,
    }
}

/// The user id appears as a whole token (not as part of `@kubechat:example.org.evil`).
fn contains_user_id(body: &str, user_id: &str) -> bool {
    body.match_indices(user_id).any(|(at, _)| {
        let next = body[at + user_id.len()..].chars().next();
        !next.is_some_and(|c| c.is_alphanumeric() || c == '.' || c == '-' || c == '_')
    })
}

fn collapse(text: &str) -> String {
    let text = text.trim().trim_start_matches([':', ',']).trim();
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Reads the stripped text as a typed decision, an undo, or a request.
pub fn command(text: &str) -> Command {
    let mut words = text.split_whitespace();
    let (first, second, third) = (words.next(), words.next(), words.next());
    let plan = |w: Option<&str>| w.filter(|id| id.starts_with("kc-")).map(str::to_string);
    let verb = first.map(|w| w.trim_end_matches(['.', '!']).to_ascii_lowercase());
    let one_word_or_plan = third.is_none() && (second.is_none() || plan(second).is_some());
    match verb.as_deref() {
        Some("approve" | "approved" | "lgtm") if one_word_or_plan => {
            Command::Decide(Verdict::Approve, plan(second))
        }
        Some("abort" | "reject" | "cancel") if one_word_or_plan => {
            Command::Decide(Verdict::Abort, plan(second))
        }
        Some("undo") if one_word_or_plan => Command::Undo(plan(second)),
        _ => Command::Request(text.trim().to_string()),
    }
}

/// A reaction's key as a decision: ✅ (and ☑️ / ✔️) approve, ❌ (and ✖️) abort. Emoji
/// variation selectors are ignored. Anything else, 👍 included, is no decision: a casual
/// thumbs-up must never approve a change.
pub fn reaction(key: &str) -> Option<Verdict> {
    let base: String = key
        .chars()
        .filter(|c| !matches!(*c, '\u{FE0E}' | '\u{FE0F}'))
        .collect();
    match base.as_str() {
        "✅" | "☑" | "✔" => Some(Verdict::Approve),
        "❌" | "✖" => Some(Verdict::Abort),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn triggers() -> Triggers {
        Triggers {
            user_id: "@kubechat:example.org".into(),
            display_name: Some("kubechat".into()),
            prefix: "!kubechat".into(),
        }
    }

    const ROOM: Context = Context {
        mentioned: false,
        always: false,
    };

    #[test]
    fn prefix_display_name_and_user_id_trigger_and_are_stripped() {
        let t = triggers();
        let cases = [
            ("!kubechat show pods", Some("show pods")),
            ("!KubeChat   scale api to 3", Some("scale api to 3")),
            ("kubechat: show pods in prod", Some("show pods in prod")),
            ("Kubechat, logs api", Some("logs api")),
            ("@kubechat:example.org: get deploy", Some("get deploy")),
            ("hey @kubechat:example.org show pods", Some("hey show pods")),
            ("!kubechat", Some("")),
            ("show pods", None),
            ("kubechatty show pods", None),
            ("!kubechatx show pods", None),
            ("ask @kubechat:example.org.evil.com please", None),
            ("i think kubechat is neat", None),
        ];
        for (body, want) in cases {
            assert_eq!(t.strip(body, ROOM).as_deref(), want, "{body:?}");
        }
    }

    #[test]
    fn dms_threads_and_intentional_mentions_need_no_prefix() {
        let t = triggers();
        let always = Context {
            mentioned: false,
            always: true,
        };
        assert_eq!(t.strip("show pods", always).as_deref(), Some("show pods"));
        assert_eq!(
            t.strip("!kubechat show pods", always).as_deref(),
            Some("show pods")
        );
        let pill = Context {
            mentioned: true,
            always: false,
        };
        // Element writes a pill as the display name in the plain body.
        assert_eq!(
            t.strip("kubechat: show pods", pill).as_deref(),
            Some("show pods")
        );
        assert_eq!(
            t.strip("KC bot show pods", pill).as_deref(),
            Some("KC bot show pods")
        );
    }

    #[test]
    fn typed_decisions_undos_and_requests() {
        let cases = [
            ("approve", Command::Decide(Verdict::Approve, None)),
            ("Approve.", Command::Decide(Verdict::Approve, None)),
            (
                "approve kc-7f3a",
                Command::Decide(Verdict::Approve, Some("kc-7f3a".into())),
            ),
            ("abort", Command::Decide(Verdict::Abort, None)),
            (
                "abort kc-1",
                Command::Decide(Verdict::Abort, Some("kc-1".into())),
            ),
            ("undo", Command::Undo(None)),
            ("undo kc-9", Command::Undo(Some("kc-9".into()))),
            (
                "approve the change please",
                Command::Request("approve the change please".into()),
            ),
            ("abort api", Command::Request("abort api".into())),
            ("show pods", Command::Request("show pods".into())),
        ];
        for (text, want) in cases {
            assert_eq!(command(text), want, "{text:?}");
        }
    }

    #[test]
    fn reactions_map_to_verdicts() {
        assert_eq!(reaction("✅"), Some(Verdict::Approve));
        assert_eq!(reaction("✔\u{FE0F}"), Some(Verdict::Approve));
        assert_eq!(reaction("❌"), Some(Verdict::Abort));
        assert_eq!(reaction("✖\u{FE0F}"), Some(Verdict::Abort));
        assert_eq!(reaction("👍"), None, "a thumbs-up is not an approval");
        assert_eq!(reaction("🎉"), None);
        assert_eq!(reaction("approve"), None);
        assert_eq!(reaction(""), None);
    }
}
