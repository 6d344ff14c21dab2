//! Lexical helpers shared by both rule planners: chatter around a request, Kubernetes name,
//! image and label checks, numbers and durations. Pure; allocation-free except where noted.

use std::sync::LazyLock;

use regex::Regex;

/// Openers people put before a request to a bot. Matched case-insensitively as whole words,
/// repeatedly, so "@kubechat hey, could you please …" loses all of them.
#[rustfmt::skip]
const LEADING_CHATTER: &[&str] = &[
    "@kubechat", "kubechat", "hey", "hi", "hello", "yo", "ok", "okay", "please", "pls", "plz",
    "kindly", "can you", "could you", "would you", "will you", "can u", "could u", "go ahead and",
    "i want to", "i'd like to", "i would like to", "i need to", "we need to", "let's", "lets",
    "just", "quickly", "i think", "i guess", "looks like",
];

/// Closers: politeness after the request.
#[rustfmt::skip]
const TRAILING_CHATTER: &[&str] = &[
    "please", "pls", "plz", "thanks", "thank you", "thx", "ty", "for me", "asap",
];

/// Strips mentions, greetings, "please", "can you", and (on one-line requests) trailing
/// punctuation. Multi-line text keeps its tail untouched: it may end in a manifest.
pub(super) fn strip_chatter(text: &str) -> &str {
    let mut text = text.trim();
    loop {
        let before = text.len();
        text = strip_mention(text);
        for opener in LEADING_CHATTER {
            if let Some(rest) = strip_word_prefix(text, opener) {
                text = rest;
            }
        }
        if !text.contains('\n') {
            text = text.trim_end_matches(['?', '.', '!', ',', ' ', '\t']);
            for closer in TRAILING_CHATTER {
                if let Some(rest) = strip_word_suffix(text, closer) {
                    text = rest;
                }
            }
        }
        if text.len() == before {
            return text;
        }
    }
}

/// Slack-style `<@U123ABC>` mentions.
fn strip_mention(text: &str) -> &str {
    if let Some(rest) = text.strip_prefix("<@")
        && let Some(end) = rest.find('>')
    {
        return rest[end + 1..].trim_start_matches([',', ':', ' ']);
    }
    text
}

/// `text` without `word` at its start, when `word` is a whole word there.
pub(super) fn strip_word_prefix<'a>(text: &'a str, word: &str) -> Option<&'a str> {
    let head = text.get(..word.len())?;
    if !head.eq_ignore_ascii_case(word) {
        return None;
    }
    let rest = &text[word.len()..];
    match rest.chars().next() {
        None => Some(rest),
        Some(c) if c.is_whitespace() || matches!(c, ',' | ':' | '!') => {
            Some(rest.trim_start_matches([',', ':', '!', ' ', '\t', '\n', '\r']))
        }
        _ => None,
    }
}

fn strip_word_suffix<'a>(text: &'a str, word: &str) -> Option<&'a str> {
    let start = text.len().checked_sub(word.len())?;
    let tail = text.get(start..)?;
    if !tail.eq_ignore_ascii_case(word) {
        return None;
    }
    let rest = &text[..start];
    match rest.chars().next_back() {
        Some(c) if c.is_whitespace() || c == ',' => Some(rest.trim_end_matches([',', ' ', '\t'])),
        _ => None,
    }
}

/// A DNS-1123 subdomain, what most Kubernetes object names must be (`checkout-7d9f`).
pub(super) fn is_name(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 253
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, b'-' | b'.'))
        && !s.contains("..")
}

/// A DNS-1123 label, what namespace names must be (`payments`).
pub(super) fn is_namespace(s: &str) -> bool {
    s.len() <= 63 && !s.contains('.') && is_name(s)
}

static IMAGE: LazyLock<Regex> = LazyLock::new(|| {
    // The distribution reference grammar, simplified: [registry[:port]/]path[:tag][@digest].
    #[allow(clippy::unwrap_used)] // a literal pattern, covered by the tests below
    Regex::new(
        r"^(?:[a-zA-Z0-9][a-zA-Z0-9.-]*(?::[0-9]+)?/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$",
    )
    .unwrap()
});

/// A container image reference (`registry/pay:1.4.2`, `nginx`, `ghcr.io/a/b@sha256:…`).
pub(super) fn is_image(s: &str) -> bool {
    s.len() <= 512 && IMAGE.is_match(s)
}

/// Looks like an image rather than a name: has a registry, tag or digest.
pub(super) fn looks_like_image(s: &str) -> bool {
    (s.contains(':') || s.contains('/') || s.contains('@')) && is_image(s)
}

/// Only a version (`1.4.2`, `v2`): a tag without the image it belongs to.
pub(super) fn is_bare_tag(s: &str) -> bool {
    let v = s.strip_prefix(['v', 'V']).unwrap_or(s);
    v.starts_with(|c: char| c.is_ascii_digit())
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+'))
        && v.split('.')
            .next()
            .is_some_and(|p| p.chars().all(|c| c.is_ascii_digit()))
}

/// A label or annotation key: `[prefix/]name`, name up to 63 characters.
pub(super) fn is_meta_key(s: &str) -> bool {
    let (prefix, name) = match s.split_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, s),
    };
    let name_ok = {
        let b = name.as_bytes();
        !b.is_empty()
            && b.len() <= 63
            && b[0].is_ascii_alphanumeric()
            && b[b.len() - 1].is_ascii_alphanumeric()
            && b.iter()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
    };
    name_ok && prefix.is_none_or(is_name)
}

/// A label value: empty, or up to 63 characters of `[A-Za-z0-9._-]` starting and ending
/// alphanumeric.
pub(super) fn is_label_value(s: &str) -> bool {
    let b = s.as_bytes();
    b.is_empty()
        || (b.len() <= 63
            && b[0].is_ascii_alphanumeric()
            && b[b.len() - 1].is_ascii_alphanumeric()
            && b.iter()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.')))
}

/// A whole number written in digits or as a small English word ("three").
pub(super) fn number(s: &str) -> Option<i64> {
    if let Ok(n) = s.parse::<i64>() {
        return Some(n);
    }
    const WORDS: &[&str] = &[
        "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
        "eleven", "twelve",
    ];
    WORDS.iter().position(|w| *w == s).map(|n| n as i64)
}

/// Seconds in one unit word (`m`, `min`, `minutes`, `h`, `hours`, …).
pub(super) fn unit_seconds(unit: &str) -> Option<u64> {
    Some(match unit {
        "s" | "sec" | "secs" | "second" | "seconds" => 1,
        "m" | "min" | "mins" | "minute" | "minutes" => 60,
        "h" | "hr" | "hrs" | "hour" | "hours" => 3600,
        "d" | "day" | "days" => 86_400,
        _ => return None,
    })
}

/// A compact duration as kubectl takes it: `30s`, `5m`, `2h`, `1h30m` (also `10min`, `1d`).
pub(super) fn compact_duration(s: &str) -> Option<u64> {
    let mut total: u64 = 0;
    let mut rest = s;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit())?;
        if digits == 0 {
            return None;
        }
        let value: u64 = rest[..digits].parse().ok()?;
        let after = &rest[digits..];
        let unit_len = after
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(after.len());
        let unit = unit_seconds(&after[..unit_len])?;
        total = total.checked_add(value.checked_mul(unit)?)?;
        rest = &after[unit_len..];
    }
    (total > 0).then_some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chatter_around_a_request_is_dropped() {
        assert_eq!(
            strip_chatter("@kubechat hey, could you please restart payment-api?"),
            "restart payment-api"
        );
        assert_eq!(
            strip_chatter("<@U123> scale x to 3, thanks!"),
            "scale x to 3"
        );
        assert_eq!(strip_chatter("please"), "");
        assert_eq!(strip_chatter("kubectl get pods."), "kubectl get pods");
        // "heyday" is not "hey".
        assert_eq!(strip_chatter("heyday"), "heyday");
    }

    #[test]
    fn manifests_keep_their_last_line() {
        assert_eq!(
            strip_chatter("apply\nkind: A\nx: y."),
            "apply\nkind: A\nx: y."
        );
    }

    #[test]
    fn names_images_and_labels() {
        assert!(is_name("checkout-7d9f"));
        assert!(is_name("node-1.example.com"));
        assert!(!is_name("Payment"));
        assert!(!is_name("-x"));
        assert!(is_namespace("payments"));
        assert!(!is_namespace("a.b"));
        assert!(is_image("registry/pay:1.4.2"));
        assert!(is_image("nginx"));
        assert!(is_image("localhost:5000/team/app:v1"));
        assert!(!is_image("Registry/Pay"));
        assert!(looks_like_image("registry/pay:1.4.2"));
        assert!(!looks_like_image("payment-api"));
        assert!(is_bare_tag("1.4.2"));
        assert!(is_bare_tag("v2"));
        assert!(!is_bare_tag("nginx"));
        assert!(is_meta_key("app.kubernetes.io/name"));
        assert!(!is_meta_key("bad key"));
        assert!(is_label_value("web"));
        assert!(!is_label_value("a b"));
    }

    #[test]
    fn numbers_and_durations() {
        assert_eq!(number("5"), Some(5));
        assert_eq!(number("-1"), Some(-1));
        assert_eq!(number("three"), Some(3));
        assert_eq!(number("x"), None);
        assert_eq!(compact_duration("5m"), Some(300));
        assert_eq!(compact_duration("1h30m"), Some(5400));
        assert_eq!(compact_duration("10min"), Some(600));
        assert_eq!(compact_duration("5"), None);
        assert_eq!(compact_duration("m5"), None);
    }
}
