//! Shell-style globs for policy matchers: `*` matches any run of characters (including none),
//! everything else matches itself. Written by hand because the policy language needs only
//! this one wildcard, and a glob crate would bring path semantics (`/`, `**`, classes) that
//! would surprise people matching namespace and object names.

/// `*` matches any run of characters; everything else matches itself.
pub fn glob_match(glob: &str, text: &str) -> bool {
    let parts: Vec<&str> = glob.split('*').collect();
    if parts.len() == 1 {
        return glob == text;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if first.len() + last.len() > text.len() || !text.starts_with(first) || !text.ends_with(last) {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(i) => rest = &rest[i + part.len()..],
            None => return false,
        }
    }
    true
}

/// True when any glob matches (an empty list matches nothing; callers treat "no list" as
/// "no constraint" before calling this).
pub fn any_match(globs: &[String], text: &str) -> bool {
    globs.iter().any(|g| glob_match(g, text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_like_a_shell_without_path_rules() {
        for (g, t, want) in [
            ("prod", "prod", true),
            ("prod", "production", false),
            ("prod*", "production", true),
            ("*-prod", "payments-prod", true),
            ("*-prod", "prod", false),
            ("*", "", true),
            ("a*b*c", "aXbYc", true),
            ("a*b*c", "acb", false),
            ("ab*ba", "aba", false),
            ("registry.corp/*", "registry.corp/team/api:1", true),
            ("*é*", "café", true),
        ] {
            assert_eq!(glob_match(g, t), want, "{g} vs {t}");
        }
    }
}
