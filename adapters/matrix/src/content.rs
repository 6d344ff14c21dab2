//! Event contents kubechat sends, as JSON (pure).
//!
//! Built by hand rather than through ruma's typed builders so every field is visible and tested
//! in one place: the `m.thread` relation (with the reply fallback for clients without threads),
//! `m.mentions` on every message (empty unless one person is addressed, so cluster data that
//! contains `@room` or a user id pings nobody: with `m.mentions` present, homeservers skip the
//! legacy body-matching push rules), `m.replace` edits, `m.annotation` reactions, and the plan a
//! preview belongs to (`org.kubechat.plan`), which lets a reaction be mapped to its plan even
//! after a restart.

use serde_json::{Value, json};

use crate::format::Body;

/// The custom field that marks a preview with its plan id and hash.
pub const PLAN_FIELD: &str = "org.kubechat.plan";

/// Bots answer with `m.notice` so other bots do not answer them back.
const MSGTYPE: &str = "m.notice";

fn thread_relation(root: &str) -> Value {
    json!({
        "rel_type": "m.thread",
        "event_id": root,
        "is_falling_back": true,
        "m.in_reply_to": {"event_id": root},
    })
}

fn formatted(body: &Body) -> Value {
    json!({
        "msgtype": MSGTYPE,
        "body": body.plain,
        "format": "org.matrix.custom.html",
        "formatted_body": body.html,
    })
}

/// A message in the thread rooted at `root`, mentioning exactly `mention` (or nobody).
pub fn message(body: &Body, root: &str, mention: Option<&str>) -> Value {
    let mut content = formatted(body);
    content["m.relates_to"] = thread_relation(root);
    content["m.mentions"] = match mention {
        Some(user) => json!({"user_ids": [user]}),
        None => json!({}),
    };
    content
}

/// A preview: a message that also carries its plan id and hash.
pub fn preview(body: &Body, root: &str, plan_id: &str, plan_hash: &str) -> Value {
    let mut content = message(body, root, None);
    content[PLAN_FIELD] = json!({"id": plan_id, "hash": plan_hash});
    content
}

/// The plan id and hash a preview's content carries, if it is one.
pub fn plan_of(content: &Value) -> Option<(String, String)> {
    let plan = content.get(PLAN_FIELD)?;
    let id = plan.get("id")?.as_str()?;
    let hash = plan.get("hash")?.as_str()?;
    Some((id.to_string(), hash.to_string()))
}

/// An edit (`m.replace`) of `original` to show `body`; clients without edits see the `* `
/// fallback. The replacement keeps no plan field: a settled preview takes no decisions.
pub fn edit(original: &str, body: &Body) -> Value {
    let mut content = formatted(&Body {
        plain: format!("* {}", body.plain),
        html: format!("* {}", body.html),
        cut: body.cut,
    });
    content["m.new_content"] = formatted(body);
    content["m.new_content"]["m.mentions"] = json!({});
    content["m.mentions"] = json!({});
    content["m.relates_to"] = json!({"rel_type": "m.replace", "event_id": original});
    content
}

/// A reaction (`m.reaction`) with `key` on `target`.
pub fn reaction(target: &str, key: &str) -> Value {
    json!({"m.relates_to": {"rel_type": "m.annotation", "event_id": target, "key": key}})
}

/// A text file (already uploaded to `url`, an `mxc://` URI) posted in the thread.
pub fn file(name: &str, url: &str, size: usize, root: &str) -> Value {
    json!({
        "msgtype": "m.file",
        "body": name,
        "filename": name,
        "url": url,
        "info": {"mimetype": "text/plain", "size": size},
        "m.relates_to": thread_relation(root),
        "m.mentions": {},
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body() -> Body {
        Body {
            plain: "hi @room".into(),
            html: "<p>hi @room</p>".into(),
            cut: false,
        }
    }

    #[test]
    fn messages_go_into_the_thread_and_mention_nobody_by_default() {
        let m = message(&body(), "$root", None);
        assert_eq!(m["msgtype"], "m.notice");
        assert_eq!(m["format"], "org.matrix.custom.html");
        assert_eq!(m["m.relates_to"]["rel_type"], "m.thread");
        assert_eq!(m["m.relates_to"]["event_id"], "$root");
        assert_eq!(m["m.relates_to"]["m.in_reply_to"]["event_id"], "$root");
        assert_eq!(m["m.mentions"], json!({}), "no @room, no user pinged");
        let addressed = message(&body(), "$root", Some("@bob:example.org"));
        assert_eq!(
            addressed["m.mentions"],
            json!({"user_ids": ["@bob:example.org"]})
        );
    }

    #[test]
    fn previews_carry_their_plan_and_edits_do_not() {
        let p = preview(&body(), "$root", "kc-1", "abc");
        assert_eq!(plan_of(&p), Some(("kc-1".into(), "abc".into())));
        let e = edit("$preview", &body());
        assert_eq!(plan_of(&e), None);
        assert_eq!(plan_of(&e["m.new_content"]), None);
        assert_eq!(
            e["m.relates_to"],
            json!({"rel_type": "m.replace", "event_id": "$preview"})
        );
        assert_eq!(e["m.new_content"]["body"], "hi @room");
        assert_eq!(e["body"], "* hi @room");
        assert_eq!(e["m.new_content"]["m.mentions"], json!({}));
    }

    #[test]
    fn reactions_and_files() {
        assert_eq!(
            reaction("$p", "✅"),
            json!({"m.relates_to": {"rel_type": "m.annotation", "event_id": "$p", "key": "✅"}})
        );
        let f = file("out.txt", "mxc://localhost/abc", 42, "$root");
        assert_eq!(f["msgtype"], "m.file");
        assert_eq!(f["info"]["size"], 42);
        assert_eq!(f["m.relates_to"]["event_id"], "$root");
    }
}
