//! Each refusal reason, and the stages the fold derives.

use jiff::{SignedDuration, Timestamp};
use kubechat_chat::{Platform, PreviewCard, Risk as ChatRisk, ThreadRef, Verdict};

use super::*;
use crate::actions::{Action, PlanSource};
use crate::identity::Subject;
use crate::ledger::{Entry, EntryKind};
use crate::policy::Requirement;

fn person(name: &str, groups: &[&str]) -> Person {
    Person {
        platform: Platform::Slack,
        chat_user: name.into(),
        subject: Subject {
            user: format!("{name}@example.com"),
            groups: groups.iter().map(|s| s.to_string()).collect(),
        },
    }
}

fn t(min: i64) -> Timestamp {
    let base: Timestamp = "2026-11-18T10:00:00Z".parse().expect("time");
    base + SignedDuration::from_mins(min)
}

fn record(destructive: bool, req: Requirement) -> PreviewRecord {
    let action = if destructive {
        Action::Delete {
            resource: "deployments".into(),
            name: "api".into(),
            namespace: Some("prod".into()),
            cascade: Default::default(),
        }
    } else {
        Action::Cordon { node: "n1".into() }
    };
    let plan = Plan {
        cluster: "c".into(),
        actions: vec![action],
        source: PlanSource::Rules,
        explicit_cluster: false,
        explicit_namespace: false,
    };
    PreviewRecord {
        plan_hash: crate::preview::plan_hash(&plan),
        plan,
        thread: ThreadRef {
            platform: Platform::Slack,
            channel: "C".into(),
            thread: "T".into(),
        },
        requester: person("bob", &["sre"]),
        requirement: req,
        expires_at: t(15),
        versions: vec![None],
        card: PreviewCard {
            plan_id: "kc-1".into(),
            plan_hash: String::new(),
            summary: String::new(),
            risk: ChatRisk::Write,
            cluster: "c".into(),
            kubectl: vec![],
            checks: vec![],
            diff: String::new(),
            approvers: String::new(),
            approvals_needed: 1,
            expires_at: t(15),
        },
    }
}

fn entry(seq: i64, kind: EntryKind, payload: serde_json::Value) -> Entry {
    Entry {
        seq,
        time: t(0),
        actor: "x".into(),
        cluster: None,
        namespace: None,
        plan_id: Some("kc-1".into()),
        kind,
        payload,
        prev_hash: String::new(),
        hash: String::new(),
    }
}

fn state(rec: PreviewRecord, approvals: &[&Person]) -> PlanState {
    let mut entries = vec![entry(
        1,
        EntryKind::Previewed,
        serde_json::to_value(&rec).expect("json"),
    )];
    for (i, p) in approvals.iter().enumerate() {
        let a = ApprovalRecord {
            approver: (*p).clone(),
            plan_hash: rec.plan_hash.clone(),
            event_id: format!("e{i}"),
        };
        entries.push(entry(
            i as i64 + 2,
            EntryKind::Approved,
            serde_json::to_value(&a).expect("json"),
        ));
    }
    fold("kc-1", &entries).expect("previewed")
}

fn two_sre() -> Requirement {
    Requirement {
        approvals: 2,
        requester_may_approve: false,
        approver_groups: vec![vec!["sre".into()]],
        reason: "two SREs".into(),
        ..Requirement::default()
    }
}

#[test]
fn every_refusal_reason_has_its_answer() {
    let (bob, carol, dave, eve) = (
        person("bob", &["sre"]),
        person("carol", &["sre"]),
        person("dave", &["sre"]),
        person("eve", &["dev"]),
    );
    let fresh = state(record(false, two_sre()), &[]);
    let once = state(record(false, two_sre()), &[&carol]);
    let hash = fresh.record.plan_hash.clone();
    let approve =
        |s: &PlanState, p: &Person, h: Option<&str>, at| step(s, p, Verdict::Approve, h, "e", at);
    for (what, got, want) in [
        (
            "self",
            approve(&fresh, &bob, None, t(1)),
            Refusal::SelfApproval("kc-1".into(), "two SREs".into()),
        ),
        (
            "group",
            approve(&fresh, &eve, None, t(1)),
            Refusal::NotEligible("kc-1".into(), "members of sre".into()),
        ),
        (
            "twice",
            approve(&once, &carol, Some(&hash), t(1)),
            Refusal::AlreadyApproved("kc-1".into()),
        ),
        (
            "hash",
            approve(&fresh, &carol, Some("0"), t(1)),
            Refusal::StaleHash("kc-1".into()),
        ),
        (
            "expired",
            approve(&fresh, &carol, None, t(15)),
            Refusal::Expired("kc-1".into(), t(15)),
        ),
        (
            "abort",
            step(&fresh, &eve, Verdict::Abort, None, "e", t(1)),
            Refusal::MayNotAbort("kc-1".into(), "bob".into()),
        ),
    ] {
        assert_eq!(got, Err(want), "{what}");
    }
    assert_eq!(
        approve(&once, &dave, Some(&hash), t(1))
            .map(|s| matches!(s, Step::Approve(_, Progress::Ready))),
        Ok(true)
    );
    assert_eq!(
        approve(&fresh, &carol, None, t(1))
            .map(|s| matches!(s, Step::Approve(_, Progress::NeedMore(1)))),
        Ok(true)
    );
    assert_eq!(
        step(&fresh, &bob, Verdict::Abort, None, "e", t(1)),
        Ok(Step::Abort),
        "the requester"
    );
    assert_eq!(
        step(&fresh, &carol, Verdict::Abort, None, "e", t(1)),
        Ok(Step::Abort),
        "an approver"
    );
}

#[test]
fn the_requester_never_approves_destructive_production_even_if_the_record_allows_it() {
    let lenient = Requirement {
        requester_may_approve: true,
        production: true,
        ..Requirement::default()
    };
    let s = state(record(true, lenient.clone()), &[]);
    let bob = person("bob", &["sre"]);
    assert!(matches!(
        check_approval(&s, &bob, None, t(1)),
        Err(Refusal::SelfApproval(..))
    ));
    let s = state(record(true, lenient.clone()), &[&bob]);
    assert_eq!(
        valid_approvals(&s),
        0,
        "a recorded self-approval does not count"
    );
    let s = state(record(false, lenient), &[]);
    assert!(
        check_approval(&s, &bob, None, t(1)).is_ok(),
        "not destructive"
    );
}

#[test]
fn the_fold_derives_approved_superseded_and_settled_stages() {
    let carol = person("carol", &["sre"]);
    let dave = person("dave", &["sre"]);
    assert_eq!(
        state(record(false, two_sre()), &[&carol]).stage,
        Stage::Pending
    );
    let s = state(record(false, two_sre()), &[&carol, &dave]);
    assert_eq!(s.stage, Stage::Approved);
    assert!(matches!(
        check_approval(&s, &person("erin", &["sre"]), None, t(1)),
        Err(Refusal::NotPending(_, "already approved"))
    ));
    let rec = record(false, two_sre());
    let entries = vec![
        entry(
            1,
            EntryKind::Previewed,
            serde_json::to_value(&rec).expect("json"),
        ),
        entry(2, EntryKind::Superseded, serde_json::json!({"by": "kc-2"})),
    ];
    let s = fold("kc-1", &entries).expect("state");
    assert_eq!(s.stage, Stage::Superseded);
    assert_eq!(
        check_approval(&s, &carol, None, t(1)),
        Err(Refusal::Superseded("kc-1".into(), "kc-2".into()))
    );
}

#[test]
fn a_re_preview_under_the_same_id_discards_earlier_approvals() {
    let carol = person("carol", &["sre"]);
    let rec = record(false, two_sre());
    let approval = ApprovalRecord {
        approver: carol.clone(),
        plan_hash: rec.plan_hash.clone(),
        event_id: "e1".into(),
    };
    let mut edited = rec.clone();
    edited.plan_hash = "edited".into();
    let entries = vec![
        entry(
            1,
            EntryKind::Previewed,
            serde_json::to_value(&rec).expect("json"),
        ),
        entry(
            2,
            EntryKind::Approved,
            serde_json::to_value(&approval).expect("json"),
        ),
        entry(
            3,
            EntryKind::Previewed,
            serde_json::to_value(&edited).expect("json"),
        ),
    ];
    let s = fold("kc-1", &entries).expect("state");
    assert!(s.approvals.is_empty());
    assert_eq!(
        s.event_ids,
        vec!["e1"],
        "a retried click is still recognised"
    );
    assert_eq!(valid_approvals(&s), 0);
}
