//! Making cluster data safe and small enough for Slack.
//!
//! Slack parses `<…>` as links, user/channel mentions (`<@U123>`, `<!channel>`) and `&` as the
//! start of an entity, even inside code blocks. Everything kubechat shows comes from the cluster
//! or from people (names, logs, annotations), so every piece of text is escaped before it is
//! rendered: nothing in a pod log can ping `@channel` or pose as a link. Redaction of secrets
//! happens earlier, in the core.

/// Escapes the three characters Slack's mrkdwn gives meaning to (`&`, `<`, `>`), as Slack
/// documents under "Escaping text".
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            _ => out.push(c),
        }
    }
    out
}

/// Text cut to fit one Block Kit field, with a note saying what was left out.
#[derive(Debug, PartialEq, Eq)]
pub struct Fitted {
    /// The text that fits (already within `max_chars`, note included).
    pub text: String,
    /// Lines that did not fit (0 when nothing was cut).
    pub hidden_lines: usize,
    /// All lines of the input.
    pub total_lines: usize,
}

/// Keeps whole lines of `text` while they fit in `max_chars` (leaving room for the note) and
/// at most `max_lines` of them. Cuts at a character boundary when a single line is too long.
pub fn fit(text: &str, max_chars: usize, max_lines: usize) -> Fitted {
    let total_lines = text.lines().count();
    if text.chars().count() <= max_chars && total_lines <= max_lines {
        return Fitted {
            text: text.to_string(),
            hidden_lines: 0,
            total_lines,
        };
    }
    // Room for the note ("… 12345 of 12345 lines not shown") so the result stays in bounds.
    let budget = max_chars.saturating_sub(64);
    let mut kept = String::new();
    let mut kept_lines = 0;
    for line in text.lines() {
        let len = kept.chars().count() + line.chars().count() + 1;
        if kept_lines == max_lines || len > budget {
            if kept_lines == 0 {
                kept = line.chars().take(budget).collect();
                kept.push('\n');
                kept_lines = 1;
            }
            break;
        }
        kept.push_str(line);
        kept.push('\n');
        kept_lines += 1;
    }
    let hidden_lines = total_lines - kept_lines;
    let note = if hidden_lines == 0 {
        "… (the last line was cut)".to_string()
    } else {
        format!("… {hidden_lines} of {total_lines} lines not shown")
    };
    kept.push_str(&note);
    Fitted {
        text: kept,
        hidden_lines,
        total_lines,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mentions_links_and_entities_in_cluster_data_are_neutralised() {
        assert_eq!(
            escape("<!channel> see <https://evil|docs> & <@U123>"),
            "&lt;!channel&gt; see &lt;https://evil|docs&gt; &amp; &lt;@U123&gt;"
        );
        assert_eq!(escape("plain text"), "plain text");
    }

    #[test]
    fn short_text_is_kept_whole() {
        let f = fit("a\nb\n", 100, 10);
        assert_eq!(f.text, "a\nb\n");
        assert_eq!(f.hidden_lines, 0);
    }

    #[test]
    fn long_text_keeps_whole_lines_and_counts_the_rest() {
        let text: String = (0..100).map(|i| format!("line {i}\n")).collect();
        let f = fit(&text, 3000, 10);
        assert_eq!(f.hidden_lines, 90);
        assert_eq!(f.total_lines, 100);
        assert!(f.text.starts_with("line 0\n"));
        assert!(
            f.text.ends_with("… 90 of 100 lines not shown"),
            "{}",
            f.text
        );
        let f = fit(&text, 200, 1000);
        assert!(f.text.chars().count() <= 200, "{}", f.text.len());
        assert!(f.hidden_lines > 0);
    }

    #[test]
    fn one_huge_line_is_cut_not_dropped() {
        let text = "x".repeat(10_000);
        let f = fit(&text, 500, 10);
        assert!(f.text.chars().count() <= 500);
        assert!(f.text.starts_with("xxx"));
        assert!(f.text.ends_with("(the last line was cut)"));
    }
}
