//! Property: no sequence of approve / abort / expire events — by arbitrary people, on
//! arbitrary (often stale) plan hashes, at arbitrary times — reaches `executing` without N
//! valid, distinct approvals on the previewed plan hash, all before expiry, from people in the
//! approver groups, never counting the requester where self-approval is forbidden.
//!
//! The events are driven through the real transition function (`approval::step`) and the
//! real fold, exactly as `App::decide` does; the oracle recounts from the raw entries
//! independently of `approval::valid_approvals`.

use std::collections::BTreeSet;

use jiff::{SignedDuration, Timestamp};
use kubechat::actions::{Action, Plan, PlanSource};
use kubechat::approval::{self, ApprovalRecord, PreviewRecord, Progress, Stage, Step};
use kubechat::identity::{Person, Subject};
use kubechat::ledger::{Entry, EntryKind};
use kubechat::policy::Requirement;
use kubechat_chat::{Platform, PreviewCard, Risk, ThreadRef, Verdict};
use proptest::prelude::*;

const PEOPLE: [(&str, &[&str]); 5] = [
    ("bob", &["sre"]), // the requester
    ("carol", &["sre"]),
    ("dave", &["sre", "dba"]),
    ("erin", &["dba"]),
    ("frank", &[]),
];

fn person(i: usize, platform: Platform) -> Person {
    let (name, groups) = PEOPLE[i % PEOPLE.len()];
    Person {
        platform,
        chat_user: format!("{name}-{platform}"),
        subject: Subject {
            user: format!("{name}@example.com"),
            groups: groups.iter().map(|g| g.to_string()).collect(),
        },
    }
}

fn start() -> Timestamp {
    "2026-11-18T10:00:00Z".parse().expect("time")
}

#[derive(Clone, Debug)]
enum Event {
    Approve {
        who: usize,
        on_slack: bool,
        hash: HashSeen,
    },
    Abort {
        who: usize,
    },
    Expire,
}

#[derive(Clone, Copy, Debug)]
enum HashSeen {
    Current,
    Stale,
    NotCarried,
}

fn event() -> impl Strategy<Value = (Event, i64)> {
    let hash = prop_oneof![
        Just(HashSeen::Current),
        Just(HashSeen::Stale),
        Just(HashSeen::NotCarried)
    ];
    let ev = prop_oneof![
        6 => (0..PEOPLE.len(), any::<bool>(), hash).prop_map(|(who, on_slack, hash)| Event::Approve { who, on_slack, hash }),
        1 => (0..PEOPLE.len()).prop_map(|who| Event::Abort { who }),
        1 => Just(Event::Expire),
    ];
    (ev, 0i64..7)
}

fn requirement() -> impl Strategy<Value = (Requirement, bool)> {
    (
        1u32..=3,
        any::<bool>(),
        any::<bool>(),
        prop_oneof![
            Just(vec![]),
            Just(vec![vec!["sre".to_string()]]),
            Just(vec![vec!["sre".to_string()], vec!["dba".to_string()]])
        ],
        any::<bool>(),
    )
        .prop_map(|(approvals, may, production, groups, destructive)| {
            (
                Requirement {
                    approvals,
                    requester_may_approve: may,
                    ttl: SignedDuration::from_mins(15),
                    reason: "test".into(),
                    approver_groups: groups,
                    production,
                    ..Requirement::default()
                },
                destructive,
            )
        })
}

fn record(req: Requirement, destructive: bool) -> PreviewRecord {
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
    let expires_at = start() + req.ttl;
    PreviewRecord {
        plan_hash: kubechat::preview::plan_hash(&plan),
        plan,
        thread: ThreadRef {
            platform: Platform::Slack,
            channel: "C".into(),
            thread: "T".into(),
        },
        requester: person(0, Platform::Slack),
        requirement: req,
        expires_at,
        versions: vec![None],
        card: PreviewCard {
            plan_id: "kc-p".into(),
            plan_hash: String::new(),
            summary: String::new(),
            risk: Risk::Write,
            cluster: "c".into(),
            kubectl: vec![],
            checks: vec![],
            diff: String::new(),
            approvers: String::new(),
            approvals_needed: 1,
            expires_at,
        },
    }
}

struct Log {
    entries: Vec<Entry>,
}

impl Log {
    fn push(&mut self, kind: EntryKind, time: Timestamp, payload: serde_json::Value) {
        let seq = self.entries.len() as i64 + 1;
        self.entries.push(Entry {
            seq,
            time,
            actor: "x".into(),
            cluster: None,
            namespace: None,
            plan_id: Some("kc-p".into()),
            kind,
            payload,
            prev_hash: String::new(),
            hash: String::new(),
        });
    }
}

/// The oracle: counts approvals that justify execution, straight from the entries.
fn justified(log: &[Entry], rec: &PreviewRecord) -> u32 {
    let req = &rec.requirement;
    let self_forbidden =
        !req.requester_may_approve || (rec.plan.risk() == Risk::Destructive && req.production);
    let mut people = BTreeSet::new();
    for e in log.iter().filter(|e| e.kind == EntryKind::Approved) {
        let a: ApprovalRecord = serde_json::from_value(e.payload.clone()).expect("approval");
        let groups = &a.approver.subject.groups;
        let eligible = req
            .approver_groups
            .iter()
            .all(|any| any.iter().any(|g| groups.contains(g)));
        let is_requester = a.approver.subject.user == rec.requester.subject.user;
        if a.plan_hash == rec.plan_hash
            && eligible
            && !(self_forbidden && is_requester)
            && e.time < rec.expires_at
        {
            people.insert(a.approver.subject.user.clone());
        }
    }
    people.len() as u32
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn nothing_executes_without_n_valid_distinct_approvals(
        (req, destructive) in requirement(),
        events in prop::collection::vec(event(), 0..14),
    ) {
        let rec = record(req, destructive);
        let mut log = Log { entries: Vec::new() };
        log.push(EntryKind::Previewed, start(), serde_json::to_value(&rec).expect("json"));
        let mut now = start();
        let mut executions = 0;
        for (i, (ev, minutes)) in events.into_iter().enumerate() {
            now += SignedDuration::from_mins(minutes);
            let state = approval::fold("kc-p", &log.entries).expect("previewed");
            let event_id = format!("ev-{i}");
            let (who, verdict, hash) = match ev {
                Event::Expire => {
                    if state.stage.is_open() && now >= state.record.expires_at {
                        log.push(EntryKind::Expired, now, serde_json::json!({}));
                    }
                    continue;
                }
                Event::Abort { who } => (person(who, Platform::Slack), Verdict::Abort, None),
                Event::Approve { who, on_slack, hash } => {
                    let platform = if on_slack { Platform::Slack } else { Platform::Matrix };
                    let seen = match hash {
                        HashSeen::Current => Some(rec.plan_hash.clone()),
                        HashSeen::Stale => Some("0".repeat(64)),
                        HashSeen::NotCarried => None,
                    };
                    (person(who, platform), Verdict::Approve, seen)
                }
            };
            match approval::step(&state, &who, verdict, hash.as_deref(), &event_id, now) {
                Ok(Step::Abort) => log.push(EntryKind::Aborted, now, serde_json::json!({"event_id": event_id})),
                Ok(Step::Approve(a, progress)) => {
                    log.push(EntryKind::Approved, now, serde_json::to_value(&a).expect("json"));
                    if progress == Progress::Ready {
                        let before = &log.entries;
                        prop_assert!(
                            justified(before, &rec) >= rec.requirement.approvals,
                            "executing with {} justified approvals of {} needed: {:#?}",
                            justified(before, &rec), rec.requirement.approvals, before
                        );
                        prop_assert_eq!(approval::fold("kc-p", before).expect("state").stage, Stage::Approved);
                        log.push(EntryKind::Executing, now, serde_json::json!({}));
                        executions += 1;
                    }
                }
                Err(_) => log.push(EntryKind::Refused, now, serde_json::json!({"event_id": event_id})),
            }
        }
        prop_assert!(executions <= 1, "executed {executions} times");
        let last = approval::fold("kc-p", &log.entries).expect("state");
        if last.stage == Stage::Executing {
            prop_assert!(justified(&log.entries, &rec) >= rec.requirement.approvals);
        }
    }
}
