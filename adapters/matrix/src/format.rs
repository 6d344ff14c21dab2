//! From the neutral chat types to Matrix message bodies: HTML (`org.matrix.custom.html`) plus a
//! plain-text body for clients and notifications that show no HTML (pure).
//!
//! Every string from the core (summaries, checks, diffs, read output, user ids) is escaped with
//! [`escape`], so cluster data cannot inject markup or links: no `<a href="https://matrix.to/…">`
//! pill can be smuggled in. Mentions are handled where messages are sent (an empty or explicit
//! `m.mentions`, so `@room` or a user id inside a pod log pings nobody). Long output is cut to
//! whole lines with a note saying how much was left out; the caller attaches the whole text as a
//! file when [`Body::cut`] says so.

use std::fmt::Write as _;

use kubechat_chat::{Outcome, PreviewCard, Risk};

/// Lines of output or diff shown in one message (as in Slack: a message must stay readable).
pub const MAX_LINES: usize = 40;
/// Characters of output shown in one message (Matrix events are limited to 64 KiB in all,
/// HTML and plain body together, and long messages are unreadable in a room anyway).
pub const MAX_CHARS: usize = 12_000;

/// A message body in both forms.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Body {
    pub plain: String,
    pub html: String,
    /// Part of the text was left out: attach the whole text as a file.
    pub cut: bool,
}

/// Escapes text for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Text cut to at most `max_lines` whole lines and about `max_chars` characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fitted {
    pub text: String,
    pub omitted_lines: usize,
    pub omitted_chars: usize,
}

/// Cuts `text` to whole lines; counts what was left out.
pub fn fit(text: &str, max_lines: usize, max_chars: usize) -> Fitted {
    let total_chars = text.chars().count();
    let lines: Vec<&str> = text.lines().collect();
    let mut kept = Vec::new();
    let mut chars = 0;
    for line in &lines {
        let n = line.chars().count() + 1;
        if kept.len() == max_lines || (chars + n > max_chars && !kept.is_empty()) {
            break;
        }
        // A single line longer than the budget is cut inside the line.
        let line: String = line.chars().take(max_chars).collect();
        chars += line.chars().count() + 1;
        kept.push(line);
    }
    let text_kept = kept.join("\n");
    Fitted {
        omitted_lines: lines.len() - kept.len(),
        omitted_chars: total_chars.saturating_sub(text_kept.chars().count()),
        text: text_kept,
    }
}

fn cut_note(f: &Fitted) -> Option<String> {
    if f.omitted_chars == 0 {
        return None;
    }
    let lines = if f.omitted_lines == 1 {
        "line"
    } else {
        "lines"
    };
    Some(format!(
        "… {} more {lines} ({} characters) not shown; the whole output is attached.",
        f.omitted_lines, f.omitted_chars
    ))
}

/// A plain answer: the first line as prose, the rest in a code block when it looks like a table
/// or output (aligned columns or many lines), so columns stay aligned.
pub fn reply(text: &str) -> Body {
    let text = text.trim_end();
    let (first, rest) = text.split_once('\n').unwrap_or((text, ""));
    let mut plain = first.to_string();
    let mut html = format!("<p>{}</p>", escape(first));
    let mut cut = false;
    if !rest.trim().is_empty() {
        let f = fit(rest, MAX_LINES, MAX_CHARS);
        plain.push('\n');
        plain.push_str(&f.text);
        if looks_like_output(rest) {
            let _ = write!(html, "<pre><code>{}</code></pre>", escape(&f.text));
        } else {
            let _ = write!(html, "<p>{}</p>", escape(&f.text).replace('\n', "<br>"));
        }
        if let Some(note) = cut_note(&f) {
            let _ = write!(plain, "\n{note}");
            let _ = write!(html, "<p><em>{}</em></p>", escape(&note));
            cut = true;
        }
    }
    Body { plain, html, cut }
}

fn looks_like_output(text: &str) -> bool {
    text.lines().count() > 8 || text.lines().any(|l| l.contains("   "))
}

/// The risk badge that starts every preview.
pub fn badge(risk: Risk) -> &'static str {
    match risk {
        Risk::Read => "🟢 read",
        Risk::Write => "🟡 write",
        Risk::Destructive => "🔴 destructive",
    }
}

/// How a settled preview is headed.
pub fn outcome_badge(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Executed => "✅ Executed",
        Outcome::Failed => "❌ Failed",
        Outcome::Aborted => "🚫 Aborted",
        Outcome::Expired => "⌛ Expired",
        Outcome::Denied => "⛔ Denied",
        Outcome::Superseded => "↪️ Superseded",
        Outcome::Interrupted => "⚠️ Interrupted",
    }
}

/// How to decide, under every pending preview (Matrix has no buttons).
pub const HOW_TO_DECIDE: &str =
    "React ✅ to approve or ❌ to abort, or reply approve / abort in this thread.";

/// The preview of a write: summary, risk, cluster, kubectl, checks, diff, approvers, expiry.
pub fn preview(card: &PreviewCard) -> Body {
    let mut body = preview_body(card);
    let _ = write!(body.plain, "\n{HOW_TO_DECIDE}");
    let _ = write!(body.html, "<p><em>{}</em></p>", escape(HOW_TO_DECIDE));
    body
}

/// The preview once settled (its edit): the outcome on top, the same facts, no call to decide.
pub fn resolved(card: &PreviewCard, outcome: Outcome, text: &str) -> Body {
    let f = fit(text.trim_end(), 8, 2000);
    let head = outcome_badge(outcome);
    let mut body = preview_body(card);
    body.plain = format!("{head} · {}\n{}", f.text, body.plain);
    body.html = format!(
        "<p><strong>{head}</strong> · {}</p>{}",
        escape(&f.text).replace('\n', "<br>"),
        body.html
    );
    body
}

fn preview_body(card: &PreviewCard) -> Body {
    let mut plain = format!("{} · {}\n", badge(card.risk), card.summary);
    let mut html = format!(
        "<p><strong>{}</strong> · {}</p>",
        badge(card.risk),
        escape(&card.summary)
    );
    let facts = format!(
        "cluster {} · plan {} · expires {}",
        card.cluster, card.plan_id, card.expires_at
    );
    let _ = writeln!(plain, "{facts}");
    let _ = write!(
        html,
        "<p>cluster <strong>{}</strong> · plan <code>{}</code> · expires {}</p>",
        escape(&card.cluster),
        escape(&card.plan_id),
        escape(&card.expires_at.to_string())
    );
    let mut cut = false;
    if !card.kubectl.is_empty() {
        let kubectl = card.kubectl.join("\n");
        let _ = writeln!(plain, "{kubectl}");
        let _ = write!(html, "<pre><code>{}</code></pre>", escape(&kubectl));
    }
    if !card.checks.is_empty() {
        for check in &card.checks {
            let _ = writeln!(plain, "• {check}");
        }
        html.push_str("<ul>");
        for check in &card.checks {
            let _ = write!(html, "<li>{}</li>", escape(check));
        }
        html.push_str("</ul>");
    }
    if !card.diff.trim().is_empty() {
        let f = fit(card.diff.trim_end(), MAX_LINES, MAX_CHARS);
        let _ = writeln!(plain, "{}", f.text);
        let _ = write!(
            html,
            "<pre><code class=\"language-diff\">{}</code></pre>",
            escape(&f.text)
        );
        if f.omitted_chars > 0 {
            let note = format!("… {} more diff lines not shown.", f.omitted_lines);
            let _ = writeln!(plain, "{note}");
            let _ = write!(html, "<p><em>{}</em></p>", escape(&note));
            cut = true;
        }
    }
    let plural = if card.approvals_needed == 1 { "" } else { "s" };
    let approvers = format!(
        "{} ({} approval{plural} needed)",
        card.approvers, card.approvals_needed
    );
    let _ = write!(plain, "Approvers: {approvers}");
    let _ = write!(
        html,
        "<p><strong>Approvers:</strong> {}</p>",
        escape(&approvers)
    );
    Body { plain, html, cut }
}

/// The result posted in the thread when a preview settles.
pub fn result(plan_id: &str, outcome: Outcome, text: &str, undoable: bool) -> Body {
    let mut body = reply(text);
    let head = outcome_badge(outcome);
    body.plain = format!("{head} · {}", body.plain);
    body.html = format!("<p><strong>{head}</strong> · {}", &body.html[3..]);
    if undoable {
        let undo = format!("Reply undo in this thread (or undo {plan_id}) to revert it.");
        let _ = write!(body.plain, "\n{undo}");
        let _ = write!(body.html, "<p><em>{}</em></p>", escape(&undo));
    }
    body
}

/// Progress on a pending preview ("approved by bob, 1 more needed").
pub fn progress(text: &str) -> Body {
    let mut body = reply(text);
    body.plain = format!("⏳ {}", body.plain);
    body.html = format!("<p>⏳ {}", &body.html[3..]);
    body
}

/// A message for one person (Matrix has no ephemeral messages): their name first. The caller
/// mentions exactly that user in `m.mentions`.
pub fn addressed(user: &str, text: &str) -> Body {
    let mut body = reply(text);
    body.plain = format!("{user}: {}", body.plain);
    body.html = format!("<p>{}: {}", escape(user), &body.html[3..]);
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    fn card() -> PreviewCard {
        PreviewCard {
            plan_id: "kc-1".into(),
            plan_hash: "h".into(),
            summary: "alice wants to scale <b>api</b> & friends".into(),
            risk: Risk::Write,
            cluster: "prod-eu".into(),
            kubectl: vec!["kubectl scale deployment/api -n prod --replicas=5".into()],
            checks: vec![
                "RBAC: allowed".into(),
                "<img src=x onerror=alert(1)>".into(),
            ],
            diff: "-  replicas: 3\n+  replicas: 5".into(),
            approvers: "any mapped user other than @alice:example.org".into(),
            approvals_needed: 1,
            expires_at: "2026-11-22T10:15:00Z".parse().expect("time"),
        }
    }

    #[test]
    fn cluster_data_cannot_inject_markup_or_mention_links() {
        let evil = "pod <a href=\"https://matrix.to/#/@room\">@room</a> & 'x'";
        let body = reply(evil);
        assert!(!body.html.contains("<a"), "{}", body.html);
        assert!(
            body.html
                .contains("&lt;a href=&quot;https://matrix.to/#/@room&quot;&gt;")
        );
        assert!(body.html.contains("&amp; &#39;x&#39;"));
        let p = preview(&card());
        assert!(!p.html.contains("<img"), "{}", p.html);
        assert!(!p.html.contains("<b>"), "{}", p.html);
        assert!(p.html.contains("&lt;b&gt;api&lt;/b&gt; &amp; friends"));
    }

    #[test]
    fn previews_show_every_fact_in_both_forms_and_how_to_decide() {
        let p = preview(&card());
        for part in [
            "🟡 write",
            "prod-eu",
            "kc-1",
            "2026-11-22T10:15:00Z",
            "kubectl scale deployment/api -n prod --replicas=5",
            "RBAC: allowed",
            "+  replicas: 5",
            "1 approval needed",
            "React ✅ to approve or ❌ to abort",
        ] {
            assert!(p.plain.contains(part), "plain lacks {part:?}: {}", p.plain);
            assert!(
                p.html.contains(&escape(part)),
                "html lacks {part:?}: {}",
                p.html
            );
        }
        assert!(p.html.contains("<pre><code class=\"language-diff\">"));
        assert!(!p.cut);
    }

    #[test]
    fn a_settled_preview_leads_with_the_outcome_and_drops_the_call_to_decide() {
        let r = resolved(
            &card(),
            Outcome::Executed,
            "Approved by @bob:example.org. Done.",
        );
        assert!(
            r.plain
                .starts_with("✅ Executed · Approved by @bob:example.org")
        );
        assert!(
            r.html
                .starts_with("<p><strong>✅ Executed</strong> · Approved by")
        );
        assert!(!r.plain.contains("React ✅"), "{}", r.plain);
        assert!(r.plain.contains("kubectl scale deployment/api"));
    }

    #[test]
    fn long_output_is_cut_to_whole_lines_with_counts() {
        let text: String = std::iter::once("10 pods".to_string())
            .chain((0..200).map(|i| format!("pod-{i:03}   Running   0   5m")))
            .collect::<Vec<_>>()
            .join("\n");
        let body = reply(&text);
        assert!(body.cut);
        assert!(body.plain.contains("pod-039"));
        assert!(!body.plain.contains("pod-040"));
        assert!(
            body.plain.contains("… 160 more lines ("),
            "{}",
            &body.plain[body.plain.len() - 120..]
        );
        assert!(body.html.contains("<pre><code>pod-000"));
        let short = reply("one line");
        assert!(!short.cut);
        assert_eq!(short.html, "<p>one line</p>");
    }

    #[test]
    fn fit_counts_what_it_leaves_out() {
        assert_eq!(
            fit("a\nb\nc", 2, 100),
            Fitted {
                text: "a\nb".into(),
                omitted_lines: 1,
                omitted_chars: 2
            }
        );
        let long = "x".repeat(50);
        let f = fit(&long, 10, 20);
        assert_eq!((f.text.len(), f.omitted_chars), (20, 30));
        assert_eq!(fit("a", 10, 100).omitted_chars, 0);
    }

    #[test]
    fn results_progress_and_addressed_messages() {
        let r = result("kc-1", Outcome::Executed, "Scaled api to 5.", true);
        assert!(r.plain.starts_with("✅ Executed · Scaled api to 5."));
        assert!(r.plain.contains("undo kc-1"));
        assert!(
            r.html
                .starts_with("<p><strong>✅ Executed</strong> · Scaled")
        );
        let p = progress("Approved by bob; 1 more needed.");
        assert_eq!(p.html, "<p>⏳ Approved by bob; 1 more needed.</p>");
        let a = addressed("@mallory:evil.org", "<you> may not approve");
        assert_eq!(a.plain, "@mallory:evil.org: <you> may not approve");
        assert_eq!(
            a.html,
            "<p>@mallory:evil.org: &lt;you&gt; may not approve</p>"
        );
    }
}
