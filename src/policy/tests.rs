//! Table tests: each rule feature, each floor, and the built-in defaults.

use std::collections::BTreeMap;

use jiff::{SignedDuration, Timestamp};

use super::*;
use crate::actions::{Action, Plan, PlanSource, Workload, WorkloadKind};
use crate::config::ClusterConfig;

const TTL: SignedDuration = SignedDuration::from_mins(15);

fn cluster(name: &str, production: bool, globs: &[&str]) -> ClusterConfig {
    ClusterConfig {
        name: name.into(),
        kubeconfig: None,
        context: None,
        in_cluster: false,
        default_namespace: "default".into(),
        production,
        production_namespaces: globs.iter().map(|s| s.to_string()).collect(),
        discovery_refresh_seconds: 30,
    }
}

fn plan(actions: Vec<Action>) -> Plan {
    Plan {
        cluster: "c".into(),
        actions,
        source: PlanSource::Rules,
        explicit_cluster: false,
        explicit_namespace: false,
    }
}

fn deploy(name: &str) -> Workload {
    Workload {
        kind: WorkloadKind::Deployment,
        name: name.into(),
    }
}

fn scale(ns: &str, replicas: u32) -> Action {
    Action::Scale {
        target: deploy("api"),
        namespace: ns.into(),
        replicas,
    }
}

fn delete(ns: &str, name: &str) -> Action {
    Action::Delete {
        resource: "deployments".into(),
        name: name.into(),
        namespace: Some(ns.into()),
        cascade: Default::default(),
    }
}

fn logs(ns: &str) -> Action {
    Action::Logs {
        pod: "p".into(),
        namespace: ns.into(),
        container: None,
        tail: None,
        since_seconds: None,
        previous: false,
    }
}

fn who(user: &str, groups: &[&str]) -> Subject {
    Subject {
        user: user.into(),
        groups: groups.iter().map(|s| s.to_string()).collect(),
    }
}

/// A Wednesday, outside any weekend freeze.
fn wednesday() -> Timestamp {
    "2026-11-18T10:00:00Z".parse().expect("time")
}

struct Ask<'a> {
    policy: &'a Policy,
    cluster: ClusterConfig,
    requester: Subject,
    labels: BTreeMap<String, Labels>,
    now: Timestamp,
    break_glass: Option<&'a str>,
}

impl<'a> Ask<'a> {
    fn new(policy: &'a Policy) -> Self {
        Ask {
            policy,
            cluster: cluster("c", false, &["prod*"]),
            requester: who("alice", &["dev"]),
            labels: BTreeMap::new(),
            now: wednesday(),
            break_glass: None,
        }
    }

    fn eval(&self, actions: Vec<Action>) -> Evaluation {
        let plan = plan(actions);
        evaluate(
            self.policy,
            &Request {
                plan: &plan,
                requester: &self.requester,
                cluster: &self.cluster,
                labels: &self.labels,
                now: self.now,
                break_glass: self.break_glass,
                default_ttl: TTL,
            },
        )
    }

    fn verdict(&self, actions: Vec<Action>) -> Verdict {
        self.eval(actions).verdict
    }
}

fn policy(text: &str) -> Policy {
    parse(text, Source::File("policy.toml".into())).expect("policy parses")
}

fn approve(v: Verdict) -> Requirement {
    match v {
        Verdict::Approve(r) => r,
        other => panic!("expected approval, got {other:?}"),
    }
}

fn deny(v: Verdict) -> String {
    match v {
        Verdict::Deny(r) => r,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn builtin_reads_are_allowed_writes_need_one_approval_the_requester_may_give() {
    let p = builtin();
    let ask = Ask::new(&p);
    assert_eq!(ask.verdict(vec![logs("prod")]), Verdict::Allow);
    let r = approve(ask.verdict(vec![scale("dev", 3)]));
    assert_eq!((r.approvals, r.requester_may_approve), (1, true));
    assert_eq!(r.ttl, TTL);
    assert_eq!(r.rules, vec!["writes"]);
}

#[test]
fn builtin_destructive_in_production_needs_a_second_person() {
    let p = builtin();
    let mut ask = Ask::new(&p);
    let r = approve(ask.verdict(vec![scale("prod", 0)]));
    assert!(!r.requester_may_approve && r.production, "{r:?}");
    let r = approve(ask.verdict(vec![scale("dev", 0)]));
    assert!(r.requester_may_approve, "not production");
    ask.cluster = cluster("c", true, &[]);
    let r = approve(ask.verdict(vec![delete("anything", "x")]));
    assert!(!r.requester_may_approve, "a production cluster");
}

#[test]
fn the_first_matching_rule_wins() {
    let p = policy(
        r#"
        [[rules]]
        name = "no deletes of api"
        match = { verbs = ["delete"], names = ["api"] }
        decision = "deny"
        reason = "api is never deleted from chat"
        [[rules]]
        name = "everything else"
        decision = "approve"
        requester_may_approve = true
        "#,
    );
    let ask = Ask::new(&p);
    let why = deny(ask.verdict(vec![delete("dev", "api")]));
    assert_eq!(
        why,
        "api is never deleted from chat (policy rule `no deletes of api`)"
    );
    let r = approve(ask.verdict(vec![delete("dev", "worker")]));
    assert_eq!(r.rules, vec!["everything else"]);
}

#[test]
fn each_matcher_narrows_the_rule() {
    let p = policy(
        r#"
        [[rules]]
        name = "special"
        match = { clusters = ["c"], namespaces = ["pay*"], verbs = ["scale"], risk = ["write"], kinds = ["deploy"], names = ["a*"], users = ["alice"], groups = ["dev"] }
        decision = "deny"
        [[rules]]
        name = "rest"
        decision = "allow"
        "#,
    );
    let mut ask = Ask::new(&p);
    let special = |ns: &str, replicas| {
        vec![Action::Scale {
            target: deploy("api"),
            namespace: ns.into(),
            replicas,
        }]
    };
    assert_eq!(
        ask.verdict(special("payments", 3)).word(),
        "deny",
        "all match"
    );
    for (what, actions) in [
        ("namespace", special("billing", 3)),
        ("risk", special("payments", 0)),
        (
            "name",
            vec![Action::Scale {
                target: deploy("web"),
                namespace: "payments".into(),
                replicas: 3,
            }],
        ),
        (
            "kind",
            vec![Action::Scale {
                target: Workload {
                    kind: WorkloadKind::StatefulSet,
                    name: "api".into(),
                },
                namespace: "payments".into(),
                replicas: 3,
            }],
        ),
        (
            "verb",
            vec![Action::RolloutRestart {
                target: deploy("api"),
                namespace: "payments".into(),
            }],
        ),
    ] {
        assert_eq!(
            ask.verdict(actions).word(),
            "approve",
            "{what} differs → next rule"
        );
    }
    ask.requester = who("bob", &["dev"]);
    assert_eq!(
        ask.verdict(special("payments", 3)).word(),
        "approve",
        "user"
    );
    ask.requester = who("alice", &["ops"]);
    assert_eq!(
        ask.verdict(special("payments", 3)).word(),
        "approve",
        "groups"
    );
    ask.requester = who("alice", &["dev"]);
    ask.cluster = cluster("other", false, &[]);
    assert_eq!(
        ask.verdict(special("payments", 3)).word(),
        "approve",
        "cluster"
    );
}

#[test]
fn no_matching_rule_is_a_refusal() {
    let p = policy(
        r#"
        [[rules]]
        name = "reads"
        match = { risk = ["read"] }
        decision = "allow"
        "#,
    );
    let why = deny(Ask::new(&p).verdict(vec![scale("dev", 2)]));
    assert!(
        why.contains("no policy rule covers this (scale in namespace dev"),
        "{why}"
    );
}

#[test]
fn approvals_come_from_approver_groups_with_the_rule_ttl() {
    let p = policy(
        r#"
        [[rules]]
        name = "prod writes"
        match = { production = true }
        decision = "approve"
        approvals = 2
        approvers = ["sre", "dba"]
        ttl = "10m"
        "#,
    );
    let r = approve(Ask::new(&p).verdict(vec![scale("prod", 4)]));
    assert_eq!(r.approvals, 2);
    assert_eq!(r.ttl, SignedDuration::from_mins(10));
    assert!(!r.requester_may_approve, "the default in a policy file");
    assert!(r.eligible(&who("bob", &["dba"])));
    assert!(!r.eligible(&who("eve", &["dev"])));
    assert_eq!(
        r.approvers_text("alice"),
        "2 approvals from members of sre or dba other than alice"
    );
}

#[test]
fn an_allow_rule_never_lets_a_write_run_unapproved() {
    let p = policy("[[rules]]\nname = \"yolo\"\ndecision = \"allow\"\n");
    let ask = Ask::new(&p);
    assert_eq!(ask.verdict(vec![logs("dev")]), Verdict::Allow);
    let r = approve(ask.verdict(vec![scale("dev", 3)]));
    assert_eq!((r.approvals, r.requester_may_approve), (1, true));
    let eval = ask.eval(vec![scale("dev", 3)]);
    assert!(eval.actions[0].notes[0].contains("always needs an approval"));
}

#[test]
fn requester_may_never_approve_destructive_in_production_whatever_the_file_says() {
    let p = policy(
        r#"
        [[rules]]
        name = "mistake"
        decision = "approve"
        requester_may_approve = true
        "#,
    );
    let ask = Ask::new(&p);
    let r = approve(ask.verdict(vec![delete("prod", "api")]));
    assert!(!r.requester_may_approve);
    let r = approve(ask.verdict(vec![delete("dev", "api")]));
    assert!(
        r.requester_may_approve,
        "outside production the rule stands"
    );
}

#[test]
fn a_plan_takes_the_strictest_of_its_actions() {
    let p = policy(
        r#"
        [[rules]]
        name = "dev"
        match = { namespaces = ["dev"] }
        decision = "approve"
        requester_may_approve = true
        approvers = ["dev"]
        ttl = "30m"
        [[rules]]
        name = "prod"
        match = { namespaces = ["prod"] }
        decision = "approve"
        approvals = 2
        approvers = ["sre"]
        "#,
    );
    let r = approve(Ask::new(&p).verdict(vec![scale("dev", 2), scale("prod", 2)]));
    assert_eq!(r.approvals, 2);
    assert!(!r.requester_may_approve);
    assert_eq!(r.ttl, TTL, "the shorter TTL");
    assert!(r.eligible(&who("x", &["dev", "sre"])));
    assert!(
        !r.eligible(&who("y", &["sre"])),
        "must be eligible for both"
    );
    let p2 = policy(
        "[[rules]]\nname = \"no prod\"\nmatch = { namespaces = [\"prod\"] }\ndecision = \"deny\"\n[[rules]]\nname = \"ok\"\ndecision = \"allow\"\n",
    );
    assert_eq!(
        Ask::new(&p2)
            .verdict(vec![logs("dev"), scale("prod", 1)])
            .word(),
        "deny"
    );
}

#[test]
fn namespace_labels_match_and_unreadable_labels_take_the_stricter_rule() {
    let p = policy(
        r#"
        [settings]
        production_labels = { "kubechat.io/production" = "true" }
        [[rules]]
        name = "sandbox is relaxed"
        match = { namespace_labels = { team = "sandbox" } }
        decision = "approve"
        requester_may_approve = true
        [[rules]]
        name = "default"
        decision = "approve"
        approvals = 2
        "#,
    );
    let mut ask = Ask::new(&p);
    let labels = |pairs: &[(&str, &str)]| {
        Labels::Known(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    };
    ask.labels
        .insert("box".into(), labels(&[("team", "sandbox")]));
    let r = approve(ask.verdict(vec![scale("box", 2)]));
    assert_eq!((r.approvals, r.requester_may_approve), (1, true));

    ask.labels
        .insert("box".into(), Labels::Unknown("forbidden".into()));
    let eval = ask.eval(vec![scale("box", 2)]);
    let r = approve(eval.verdict.clone());
    assert_eq!(
        (r.approvals, r.requester_may_approve),
        (2, false),
        "stricter of both"
    );
    assert!(matches!(
        eval.actions[0].rules[0].outcome,
        RuleOutcome::Uncertain(_)
    ));
    assert!(r.production, "unreadable labels count as production");

    ask.labels
        .insert("ns".into(), labels(&[("kubechat.io/production", "true")]));
    let r = approve(ask.verdict(vec![delete("ns", "x")]));
    assert!(
        r.production && !r.requester_may_approve,
        "labelled production"
    );
}

#[test]
fn break_glass_requests_can_be_matched_and_are_recorded() {
    let p = policy(
        r#"
        [[rules]]
        name = "break-glass needs an incident commander"
        match = { break_glass = true }
        decision = "approve"
        approvers = ["incident-commanders"]
        [[rules]]
        name = "rest"
        decision = "approve"
        requester_may_approve = true
        "#,
    );
    let mut ask = Ask::new(&p);
    ask.break_glass = Some("INC-1 checkout down");
    let r = approve(ask.verdict(vec![scale("dev", 2)]));
    assert_eq!(r.break_glass.as_deref(), Some("INC-1 checkout down"));
    assert!(r.eligible(&who("ic", &["incident-commanders"])));
    ask.break_glass = None;
    assert!(approve(ask.verdict(vec![scale("dev", 2)])).requester_may_approve);
}

const FREEZE: &str = r#"
[[rules]]
name = "reads"
match = { risk = ["read"] }
decision = "allow"

[[rules]]
name = "writes"
decision = "approve"
requester_may_approve = true

[[windows]]
name = "weekend"
from = "Fri 16:00"
to = "Mon 08:00"
timezone = "Europe/Berlin"
effect = "deny"
reason = "no changes over the weekend"

[[windows]]
name = "black friday"
from = "2026-11-27T00:00"
to = "2026-11-28T00:00"
timezone = "America/New_York"
effect = "extra-approval"
match = { namespaces = ["pay*"] }
"#;

#[test]
fn a_freeze_refuses_writes_to_production_and_says_how_to_break_glass() {
    let p = policy(FREEZE);
    let mut ask = Ask::new(&p);
    ask.now = "2026-11-20T16:30:00Z".parse().expect("Fri 17:30 Berlin");
    let why = deny(ask.verdict(vec![scale("prod", 3)]));
    assert!(
        why.contains("frozen by change window `weekend` (Fri 16:00 – Mon 08:00 Europe/Berlin)"),
        "{why}"
    );
    assert!(why.contains("no changes over the weekend"), "{why}");
    assert!(why.contains("break-glass: <reason>"), "{why}");
    assert_eq!(
        ask.verdict(vec![scale("dev", 3)]).word(),
        "approve",
        "not production"
    );
    assert_eq!(
        ask.verdict(vec![logs("prod")]),
        Verdict::Allow,
        "reads go on"
    );
    ask.break_glass = Some("INC-7");
    let r = approve(ask.verdict(vec![scale("prod", 3)]));
    assert_eq!(
        r.approvals, 2,
        "break-glass lifts the freeze to an extra approval"
    );
    assert_eq!(r.windows, vec!["weekend"]);
}

#[test]
fn an_extra_approval_window_adds_an_approver_in_its_time_zone() {
    let p = policy(FREEZE);
    let mut ask = Ask::new(&p);
    // 2026-11-27 03:00 UTC is still the 26th in New York: not yet in force.
    ask.now = "2026-11-27T03:00:00Z".parse().expect("time");
    assert_eq!(
        approve(ask.verdict(vec![scale("payments", 3)])).approvals,
        1
    );
    ask.now = "2026-11-27T06:00:00Z".parse().expect("01:00 New York");
    let r = approve(ask.verdict(vec![scale("payments", 3)]));
    assert_eq!(r.approvals, 2);
    assert_eq!(
        approve(ask.verdict(vec![scale("dev", 3)])).approvals,
        1,
        "match"
    );
}

#[test]
fn a_window_with_break_glass_off_cannot_be_lifted() {
    let p = policy(&FREEZE.replace(
        "effect = \"deny\"",
        "effect = \"deny\"\nbreak_glass = false",
    ));
    let mut ask = Ask::new(&p);
    ask.now = "2026-11-21T12:00:00Z".parse().expect("Saturday");
    ask.break_glass = Some("please");
    let why = deny(ask.verdict(vec![scale("prod", 3)]));
    assert!(!why.contains("break-glass"), "{why}");
}

#[test]
fn conditions_travel_with_the_rule_that_matched() {
    let p = policy(
        r#"
        [[rules]]
        name = "prod scale"
        match = { namespaces = ["prod"], verbs = ["scale"] }
        decision = "approve"
        conditions = [{ cel = "object.spec.replicas >= 2", message = "replicas may not go below 2 in prod" }]
        [[rules]]
        name = "rest"
        decision = "approve"
        "#,
    );
    let eval = Ask::new(&p).eval(vec![scale("dev", 1), scale("prod", 1)]);
    assert_eq!(eval.conditions.len(), 1);
    let (index, cond, rule) = &eval.conditions[0];
    assert_eq!((*index, rule.as_str()), (1, "prod scale"));
    assert_eq!(cond.message, "replicas may not go below 2 in prod");
}

#[test]
fn explain_names_the_rule_and_the_people_who_may_approve() {
    let p = policy(
        r#"
        [[rules]]
        name = "reads"
        match = { risk = ["read"] }
        decision = "allow"
        [[rules]]
        name = "prod deletes"
        match = { verbs = ["delete"], production = true }
        decision = "approve"
        approvers = ["sre"]
        "#,
    );
    let ask = Ask::new(&p);
    let eval = ask.eval(vec![delete("prod", "api")]);
    let (bob, carol, dave) = (
        who("bob", &["sre"]),
        who("carol", &["sre"]),
        who("dave", &["dev"]),
    );
    let people = [
        explain::Candidate {
            name: "alice",
            subject: &ask.requester,
        },
        explain::Candidate {
            name: "bob",
            subject: &bob,
        },
        explain::Candidate {
            name: "carol",
            subject: &carol,
        },
        explain::Candidate {
            name: "dave",
            subject: &dave,
        },
    ];
    let text = explain::render(&p, &eval, "alice", &ask.requester, &people);
    assert!(
        text.contains(
            "· rule `reads` (policy.toml:2) does not match: the action is a destructive action"
        ),
        "{text}"
    );
    assert!(
        text.contains("✓ rule `prod deletes` (policy.toml:6) matches"),
        "{text}"
    );
    assert!(text.contains("may approve: bob, carol"), "{text}");
    assert!(!text.contains("dave"), "{text}");
}
