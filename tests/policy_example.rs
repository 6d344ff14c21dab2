//! The shipped example policy parses, and its example case table passes against it with the
//! example config — the same check `kubechat policy test` runs in an operator's CI.

use kubechat::config::Config;
use kubechat::policy::{self, Source, cases};

fn example() -> (policy::Policy, Config) {
    let text = std::fs::read_to_string("policy.example.toml").expect("policy.example.toml");
    let policy = policy::parse(&text, Source::File("policy.example.toml".into()))
        .unwrap_or_else(|e| panic!("the example policy must parse: {e}"));
    let config = Config::load(std::path::Path::new("config.example.toml")).expect("config");
    (policy, config)
}

#[test]
fn the_example_policy_parses_and_reads_labels() {
    let (policy, _) = example();
    assert_eq!(policy.rules.len(), 6);
    assert_eq!(policy.windows.len(), 2);
    assert!(policy.needs_labels());
}

#[test]
fn the_example_case_table_passes() {
    let (policy, config) = example();
    let text = std::fs::read_to_string("policy-tests.example.toml").expect("cases");
    let table = cases::parse(&text).expect("case file parses");
    let outcomes = cases::run(&policy, &config, &table);
    assert_eq!(outcomes.len(), 8);
    for o in &outcomes {
        assert!(
            o.problems.is_empty(),
            "{}: {:?} (got {})",
            o.name,
            o.problems,
            o.got
        );
    }
}

#[test]
fn a_wrong_expectation_is_reported_with_what_policy_decided() {
    let (policy, config) = example();
    let table = cases::parse(
        r#"
        [[cases]]
        name = "wrong on purpose"
        request = "delete deployment api in prod"
        user = "bob@example.com"
        groups = ["sre"]
        at = "2026-11-18T10:00:00Z"
        expect = { decision = "approve", approvals = 1, requester_may_approve = true }
        "#,
    )
    .expect("parses");
    let outcome = &cases::run(&policy, &config, &table)[0];
    assert_eq!(
        outcome.problems,
        vec![
            "approvals: want 1, got 2".to_string(),
            "requester_may_approve: want true, got false".to_string()
        ]
    );
    assert!(
        outcome
            .got
            .contains("needs 2 approvals from members of sre"),
        "{}",
        outcome.got
    );
}

#[test]
fn a_case_file_with_a_typo_names_the_key() {
    let err = cases::parse("[[cases]]\nname = \"x\"\nrequest = \"x\"\nuser = \"u\"\nexpekt = {}\n")
        .expect_err("typo");
    assert!(err.contains("expekt"), "{err}");
}
