//! Every validation error names the line (and the key) at fault.

use super::*;

fn error(text: &str) -> PolicyError {
    parse(text, Source::File("policy.toml".into())).expect_err("must be refused")
}

#[test]
fn each_mistake_is_reported_at_its_line_with_its_key() {
    for (text, line, key, says) in [
        (
            "[[rules]]\nname = \"a\"\ndecision = \"allow\"\nmatchh = {}\n",
            4,
            None,
            "unknown field `matchh`",
        ),
        (
            "[[rules]]\nname = \"a\"\ndecision = \"maybe\"\n",
            3,
            None,
            "unknown variant `maybe`",
        ),
        (
            "[[rules]]\nname = \"a\"\ndecision = \"deny\"\nmatch = { verbs = [\"scael\"] }\n",
            4,
            Some("rules[0].match.verbs"),
            "unknown verb \"scael\" (did you mean \"scale\"?)",
        ),
        (
            "[[rules]]\nname = \"a\"\ndecision = \"approve\"\napprovals = 0\n",
            4,
            Some("rules[0].approvals"),
            "approvals must be at least 1",
        ),
        (
            "[[rules]]\nname = \"a\"\ndecision = \"approve\"\nttl = \"soon\"\n",
            4,
            Some("rules[0].ttl"),
            "is not a duration",
        ),
        (
            "[[rules]]\nname = \"a\"\ndecision = \"allow\"\napprovers = [\"sre\"]\n",
            3,
            Some("rules[0].approvers"),
            "only applies to decision = \"approve\"",
        ),
        (
            "[[rules]]\nname = \"a\"\ndecision = \"approve\"\n\n[[rules]]\nname = \"a\"\ndecision = \"allow\"\n",
            5,
            Some("rules[1].name"),
            "defined twice (first at line 1)",
        ),
        (
            "[[rules]]\nname = \"a\"\ndecision = \"approve\"\nconditions = [\n  { cel = \"object.spec.replicas >=\" },\n]\n",
            5,
            Some("rules[0].conditions[0].cel"),
            "does not compile",
        ),
        (
            "[[windows]]\nname = \"w\"\nfrom = \"Fri 16:00\"\nto = \"Mon 08:00\"\ntimezone = \"Mars/Olympus\"\neffect = \"deny\"\n",
            5,
            Some("windows[0].timezone"),
            "unknown time zone \"Mars/Olympus\"",
        ),
        (
            "[[windows]]\nname = \"w\"\nfrom = \"Friday\"\nto = \"Mon 08:00\"\ntimezone = \"UTC\"\neffect = \"deny\"\n",
            3,
            Some("windows[0].from"),
            "not a window time",
        ),
    ] {
        let e = error(text);
        assert_eq!(e.line, line, "{text}\n→ {e}");
        assert_eq!(e.key.as_deref(), key, "{e}");
        assert!(e.message.contains(says), "{e}");
        assert!(
            e.to_string()
                .starts_with(&format!("policy.toml: line {line}")),
            "{e}"
        );
    }
}

#[test]
fn kinds_are_normalised_and_an_empty_file_has_no_rules() {
    let p = parse(
        "[[rules]]\nname = \"a\"\ndecision = \"deny\"\nmatch = { kinds = [\"deploy\", \"Pod\", \"widgets.example.com\", \"*.example.com\"] }\n",
        Source::Builtin,
    )
    .expect("valid");
    assert_eq!(
        p.rules[0].matcher.kinds,
        vec![
            "deployments",
            "pods",
            "widgets.example.com",
            "*.example.com"
        ]
    );
    assert!(parse("", Source::Builtin).expect("valid").rules.is_empty());
}
