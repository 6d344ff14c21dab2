//! Redaction: secrets never reach chat, logs, the ledger or a model.
//!
//! Two layers. Structural: Secret objects lose their `data`/`stringData` values, and literal
//! container `env` values are hidden (they routinely hold credentials). Pattern based: text
//! (logs, messages) has tokens that look like credentials replaced. Structural redaction is
//! exact; patterns are a safety net, not a guarantee.

use std::sync::LazyLock;

use regex::Regex;
use serde_json::Value;

/// What replaces a secret value.
pub const MASK: &str = "[redacted]";

static PATTERNS: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    [
        // Authorization headers and bearer tokens.
        r"(?i)\b(bearer|basic)\s+[A-Za-z0-9\-._~+/]{8,}=*",
        // JSON web tokens.
        r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}",
        // Slack, GitHub, GitLab, OpenAI/Anthropic-style and AWS access keys.
        r"\bxox[abposr]-[A-Za-z0-9-]{10,}",
        r"\bgh[pousr]_[A-Za-z0-9]{20,}",
        r"\bglpat-[A-Za-z0-9_-]{20,}",
        r"\bsk-[A-Za-z0-9_-]{20,}",
        r"\b(AKIA|ASIA)[0-9A-Z]{16}\b",
        // PEM private keys.
        r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----",
    ]
    .iter()
    .map(|p| Regex::new(p).expect("static pattern compiles"))
    .collect()
});

/// `password=…`, `token: …`, `secret="…"`: keep the key, hide the value.
static KEY_VALUE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?i)\b([A-Za-z0-9_.-]*(?:password|passwd|secret|token|api[_-]?key|access[_-]?key|credential)s?)(["']?\s*[:=]\s*["']?)([^\s"',;&]+)"#,
    )
    .expect("static pattern compiles")
});

/// Replaces credential-looking substrings of free text.
pub fn text(input: &str) -> String {
    let mut out = KEY_VALUE
        .replace_all(input, |c: &regex::Captures<'_>| {
            format!("{}{}{MASK}", &c[1], &c[2])
        })
        .into_owned();
    for re in PATTERNS.iter() {
        if re.is_match(&out) {
            out = re.replace_all(&out, MASK).into_owned();
        }
    }
    out
}

/// Redacts a Kubernetes object (or list) in place: Secret data and literal env values.
pub fn object(value: &mut Value) {
    if let Some(items) = value.get_mut("items").and_then(Value::as_array_mut) {
        for item in items {
            object(item);
        }
    }
    let is_secret = value.get("kind").and_then(Value::as_str) == Some("Secret");
    if let Some(map) = value.as_object_mut() {
        if is_secret {
            for key in ["data", "stringData"] {
                if let Some(Value::Object(data)) = map.get_mut(key) {
                    for v in data.values_mut() {
                        *v = Value::String(MASK.into());
                    }
                }
            }
            if let Some(Value::Object(meta)) = map.get_mut("metadata")
                && let Some(Value::Object(ann)) = meta.get_mut("annotations")
            {
                // kubectl apply keeps the whole Secret, data included, in this annotation.
                ann.remove("kubectl.kubernetes.io/last-applied-configuration");
            }
        }
        for (key, v) in map.iter_mut() {
            if key == "env" {
                redact_env(v);
            } else if v.is_object() || v.is_array() {
                object(v);
            }
        }
    } else if let Some(items) = value.as_array_mut() {
        for item in items {
            object(item);
        }
    }
}

fn redact_env(env: &mut Value) {
    for var in env.as_array_mut().into_iter().flatten() {
        if let Some(v) = var.get_mut("value")
            && v.is_string()
        {
            *v = Value::String(MASK.into());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secret_data_is_masked_wherever_it_appears() {
        let mut list = json!({"kind": "List", "items": [
            {"kind": "Secret", "metadata": {"name": "db", "annotations": {
                "kubectl.kubernetes.io/last-applied-configuration": "{\"data\":{\"pw\":\"aHVudGVyMg==\"}}"}},
             "data": {"pw": "aHVudGVyMg=="}, "stringData": {"user": "root"}}
        ]});
        object(&mut list);
        let s = list.to_string();
        assert!(!s.contains("aHVudGVyMg"), "{s}");
        assert!(!s.contains("root"), "{s}");
        assert!(s.contains("\"name\":\"db\""));
    }

    #[test]
    fn literal_env_values_are_masked_but_references_kept() {
        let mut pod = json!({"kind": "Pod", "spec": {"containers": [{"name": "c", "env": [
            {"name": "DB_PASSWORD", "value": "hunter2"},
            {"name": "FROM_SECRET", "valueFrom": {"secretKeyRef": {"name": "db", "key": "pw"}}}
        ]}]}});
        object(&mut pod);
        let s = pod.to_string();
        assert!(!s.contains("hunter2"));
        assert!(s.contains("secretKeyRef"));
    }

    #[test]
    fn credential_patterns_in_text_are_masked() {
        for (input, secret) in [
            (
                "Authorization: Bearer abcdefghijklmnop123",
                "abcdefghijklmnop123",
            ),
            ("password=hunter2 user=bob", "hunter2"),
            ("DB_PASSWORD: \"s3cr3t!\"", "s3cr3t!"),
            ("token xoxb-1234567890-abcdefghij", "xoxb-1234567890"),
            ("key AKIAIOSFODNN7EXAMPLE here", "AKIAIOSFODNN7EXAMPLE"),
            (
                "jwt eyJhbGciOi.eyJzdWIiOi.SflKxwRJSM",
                "eyJhbGciOi.eyJzdWIiOi",
            ),
        ] {
            let out = text(input);
            assert!(!out.contains(secret), "{input} -> {out}");
            assert!(out.contains(MASK), "{input} -> {out}");
        }
        assert_eq!(text("scale payment-api to 5"), "scale payment-api to 5");
    }
}
