//! Chain tests: a known-answer vector, plain-word reasons, and properties over random chains
//! (untouched verifies; any single edit, deletion, swap or forged insertion is found).

use jiff::Timestamp;
use proptest::prelude::*;
use serde_json::{Map, Value, json};

use super::*;
use crate::ledger::{ALL_KINDS, EntryKind};

fn ts(s: &str) -> Timestamp {
    s.parse().expect("test timestamp")
}

fn new_entry(kind: EntryKind, payload: Value) -> NewEntry {
    NewEntry {
        time: ts("2025-01-02T03:04:05Z"),
        actor: "slack:alice".into(),
        cluster: Some("prod".into()),
        namespace: Some("shop".into()),
        plan_id: Some("p-1".into()),
        kind,
        payload,
    }
}

/// Builds a valid chain the way the store does.
pub(super) fn build(entries: Vec<NewEntry>) -> Vec<Entry> {
    let mut prev = GENESIS_HASH.to_owned();
    let mut out = Vec::new();
    for (i, e) in entries.into_iter().enumerate() {
        let seq = i as i64 + 1;
        let hash = entry_hash(seq, &prev, &e).expect("valid prev");
        out.push(stored(seq, e, prev, hash.clone()));
        prev = hash;
    }
    out
}

pub(super) fn stored(seq: i64, e: NewEntry, prev_hash: String, hash: String) -> Entry {
    Entry {
        seq,
        time: e.time,
        actor: e.actor,
        cluster: e.cluster,
        namespace: e.namespace,
        plan_id: e.plan_id,
        kind: e.kind,
        payload: e.payload,
        prev_hash,
        hash,
    }
}

#[test]
fn hashes_match_an_independent_implementation() {
    // Vectors computed with Python's hashlib + json.dumps(sort_keys=True, compact separators).
    let first = new_entry(
        EntryKind::Previewed,
        json!({"b": 1, "a": [true, null, "x"]}),
    );
    let h1 = entry_hash(1, GENESIS_HASH, &first).expect("genesis is valid");
    assert_eq!(
        h1,
        "4c9b98d64de6ab529b4bd2d3c6b6ee979fb29b3138e353861a93737f146124de"
    );
    let second = NewEntry {
        time: ts("2025-01-02T03:04:05.5Z"),
        actor: "kubechat".into(),
        cluster: None,
        namespace: None,
        plan_id: None,
        kind: EntryKind::Message,
        payload: json!({}),
    };
    assert_eq!(
        entry_hash(2, &h1, &second).expect("h1 is valid"),
        "207fb431ca68b34bfe2ae9bee79bcc5a3b5d953d32ce712d795aadfbf1250929"
    );
}

#[test]
fn key_order_of_the_payload_does_not_change_the_hash() {
    let mut ab = Map::new();
    ab.insert("a".into(), json!(1));
    ab.insert("b".into(), json!({"y": 2, "x": [3, {"q": 4, "p": 5}]}));
    let mut ba = Map::new();
    ba.insert("b".into(), json!({"x": [3, {"p": 5, "q": 4}], "y": 2}));
    ba.insert("a".into(), json!(1));
    let h_ab = entry_hash(
        1,
        GENESIS_HASH,
        &new_entry(EntryKind::Planned, Value::Object(ab)),
    );
    let h_ba = entry_hash(
        1,
        GENESIS_HASH,
        &new_entry(EntryKind::Planned, Value::Object(ba)),
    );
    assert_eq!(h_ab, h_ba);
    assert_eq!(
        canonical_json(&json!({"b": {"y": 2, "x": 1}, "a": null})),
        r#"{"a":null,"b":{"x":1,"y":2}}"#
    );
}

#[test]
fn a_malformed_previous_hash_is_refused() {
    let e = new_entry(EntryKind::Message, json!({}));
    assert!(entry_hash(1, "abc", &e).is_err());
    assert!(entry_hash(1, &"G".repeat(64), &e).is_err());
    assert!(
        entry_hash(1, &"A".repeat(64), &e).is_err(),
        "stored hashes are lowercase"
    );
}

#[test]
fn an_empty_ledger_verifies_with_the_genesis_head() {
    let report = check(Vec::new());
    assert_eq!(report.entries, 0);
    assert_eq!(report.head_hash, GENESIS_HASH);
    assert_eq!(report.first_break, None);
}

fn five() -> Vec<Entry> {
    build(
        (0..5)
            .map(|i| new_entry(EntryKind::Message, json!({ "i": i })))
            .collect(),
    )
}

fn reason(chain: Vec<Entry>) -> (i64, String) {
    let b = check(chain).first_break.expect("a break");
    (b.seq, b.reason)
}

#[test]
fn reasons_say_what_happened_in_plain_words() {
    let mut edited = five();
    edited[2].payload = json!({"i": 99});
    assert_eq!(
        reason(edited),
        (
            3,
            "entry 3 was edited (its content no longer matches its hash)".into()
        )
    );

    let mut missing = five();
    missing.remove(2);
    assert_eq!(
        reason(missing),
        (3, "entry 3 is missing (sequence jumps from 2 to 4)".into())
    );

    let mut two_missing = five();
    two_missing.drain(1..3);
    assert_eq!(
        reason(two_missing).1,
        "entries 2 to 3 are missing (sequence jumps from 1 to 4)"
    );

    let mut first_missing = five();
    first_missing.remove(0);
    assert_eq!(
        reason(first_missing).1,
        "entry 1 is missing (the ledger starts at entry 2)"
    );

    // A swap as it looks in the database: the rows keep their seq, the contents move.
    let mut swapped = five();
    let (a, b) = (swapped[1].clone(), swapped[2].clone());
    swapped[1] = Entry { seq: 2, ..b };
    swapped[2] = Entry { seq: 3, ..a };
    assert_eq!(
        reason(swapped),
        (
            2,
            "entry 2 does not follow entry 1 (its previous-hash does not match): entries were \
             reordered or inserted, or entry 1 was rewritten"
                .into()
        )
    );

    let mut bad_hash = five();
    bad_hash[4].hash = "not a hash".into();
    assert_eq!(
        reason(bad_hash).1,
        "entry 5's hash is not the hash of its content (it is not even 64 lowercase hex digits)"
    );

    let mut reordered = five();
    reordered.swap(3, 4);
    assert_eq!(
        reason(reordered).1,
        "entry 4 is missing (sequence jumps from 3 to 5)"
    );
}

#[test]
fn entries_after_the_first_break_are_still_counted() {
    let mut chain = five();
    let head = chain[4].hash.clone();
    chain[0].actor = "mallory".into();
    let report = check(chain);
    assert_eq!(report.entries, 5);
    assert_eq!(report.head_hash, head);
    assert_eq!(report.first_break.map(|b| b.seq), Some(1));
}

// ---- properties ----------------------------------------------------------------------------

fn opt_text() -> impl Strategy<Value = Option<String>> {
    proptest::option::of("[a-z0-9-]{1,12}")
}

fn payload() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        "\\PC{0,16}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            proptest::collection::btree_map("\\PC{0,6}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

pub(super) fn arb_new_entry() -> impl Strategy<Value = NewEntry> {
    (
        0i64..4_000_000_000,
        0i32..1_000_000_000,
        "\\PC{1,20}",
        opt_text(),
        opt_text(),
        opt_text(),
        // Checkpoint and archived entries carry checked payloads: see checkpoint_props.rs.
        0usize..ALL_KINDS.len() - 2,
        payload(),
    )
        .prop_map(
            |(secs, nanos, actor, cluster, namespace, plan_id, kind, payload)| NewEntry {
                time: Timestamp::new(secs, nanos).expect("in range"),
                actor,
                cluster,
                namespace,
                plan_id,
                kind: ALL_KINDS[kind],
                payload,
            },
        )
}

fn arb_chain() -> impl Strategy<Value = Vec<Entry>> {
    proptest::collection::vec(arb_new_entry(), 1..12).prop_map(build)
}

/// Changes field `field` (0..10) of `e`; the result always differs from the original.
fn edit(e: &mut Entry, field: u8, n: u32) {
    let flip = |h: &mut String| {
        let i = n as usize % h.len();
        let c = h.as_bytes()[i];
        let new = if c == b'0' { "1" } else { "0" };
        h.replace_range(i..=i, new);
    };
    let toggle = |o: &mut Option<String>| {
        *o = match o.take() {
            Some(s) if n.is_multiple_of(2) => Some(format!("{s}x")),
            Some(_) => None,
            None => Some(format!("v{n}")),
        }
    };
    match field {
        0 => e.seq += if n.is_multiple_of(2) { 1 } else { -1 },
        1 => {
            e.time = e
                .time
                .checked_add(jiff::SignedDuration::from_nanos(i64::from(n % 1000) + 1))
                .expect("in range")
        }
        2 => e.actor.push('x'),
        3 => toggle(&mut e.cluster),
        4 => toggle(&mut e.namespace),
        5 => toggle(&mut e.plan_id),
        6 => {
            let i = ALL_KINDS.iter().position(|k| *k == e.kind).expect("known");
            e.kind = ALL_KINDS[(i + 1 + n as usize % 13) % ALL_KINDS.len()];
        }
        7 => e.payload = json!({ "edited": e.payload.take() }),
        8 => flip(&mut e.prev_hash),
        _ => flip(&mut e.hash),
    }
}

proptest! {
    #[test]
    fn an_untouched_chain_verifies(chain in arb_chain()) {
        let (n, head) = (chain.len() as u64, chain.last().map(|e| e.hash.clone()));
        let report = check(chain);
        prop_assert_eq!(report.first_break, None);
        prop_assert_eq!(report.entries, n);
        prop_assert_eq!(Some(report.head_hash), head);
    }

    #[test]
    fn the_hand_written_body_is_serde_jsons_sorted_object(e in arb_new_entry()) {
        let time = e.time.to_string();
        let payload = canonical_json(&e.payload);
        let body = Body {
            time: &time, actor: &e.actor, cluster: e.cluster.as_deref(),
            namespace: e.namespace.as_deref(), plan_id: e.plan_id.as_deref(),
            kind: e.kind.as_str(), payload: &payload,
        };
        let mut ours = Vec::new();
        body.write_canonical(&mut ours);
        let reference = json!({
            "time": time, "actor": e.actor, "cluster": e.cluster, "namespace": e.namespace,
            "plan_id": e.plan_id, "kind": e.kind, "payload": e.payload,
        });
        prop_assert_eq!(String::from_utf8(ours).expect("utf-8"), canonical_json(&reference));
        // Canonical text survives a parse and re-serialization (what `push_entry` relies on).
        let reparsed: Value = serde_json::from_str(&payload).expect("valid JSON");
        prop_assert_eq!(canonical_json(&reparsed), payload);
    }

    #[test]
    fn any_single_field_edit_is_detected(
        chain in arb_chain(), at in any::<prop::sample::Index>(), field in 0u8..10, n in any::<u32>()
    ) {
        let mut chain = chain;
        let i = at.index(chain.len());
        edit(&mut chain[i], field, n);
        let report = check(chain);
        prop_assert!(report.first_break.is_some(), "edit of field {} of entry {} unseen", field, i + 1);
        if (1..=7).contains(&field) || field == 9 {
            prop_assert_eq!(report.first_break.map(|b| b.seq), Some(i as i64 + 1));
        }
    }

    // Deleting the newest entry is a truncation: only an anchored head hash can reveal it.
    #[test]
    fn deleting_any_entry_but_the_newest_is_detected(chain in arb_chain(), at in any::<prop::sample::Index>()) {
        prop_assume!(chain.len() >= 2);
        let mut chain = chain;
        let i = at.index(chain.len() - 1);
        chain.remove(i);
        prop_assert!(check(chain).first_break.is_some());
    }

    #[test]
    fn swapping_two_entries_is_detected(
        chain in arb_chain(), a in any::<prop::sample::Index>(), b in any::<prop::sample::Index>(),
        keep_seq in any::<bool>()
    ) {
        prop_assume!(chain.len() >= 2);
        let (i, j) = (a.index(chain.len()), b.index(chain.len()));
        prop_assume!(i != j);
        let mut chain = chain;
        chain.swap(i, j);
        if keep_seq {
            // As in the database, where seq is the row key and the contents move.
            let (si, sj) = (chain[i].seq, chain[j].seq);
            chain[i].seq = sj;
            chain[j].seq = si;
        }
        prop_assert!(check(chain).first_break.is_some());
    }

    // The forger computes a valid hash after the entry before the gap; inserting after the
    // newest entry is an append, which only an anchored head hash can reveal.
    #[test]
    fn inserting_a_forged_entry_is_detected(
        chain in arb_chain(), at in any::<prop::sample::Index>(), forged in arb_new_entry(),
        renumber in any::<bool>()
    ) {
        let mut chain = chain;
        let i = at.index(chain.len());
        let seq = i as i64 + 1;
        let prev = if i == 0 { GENESIS_HASH.to_owned() } else { chain[i - 1].hash.clone() };
        let hash = entry_hash(seq, &prev, &forged).expect("valid prev");
        chain.insert(i, stored(seq, forged, prev, hash));
        if renumber {
            for e in &mut chain[i + 1..] {
                e.seq += 1;
            }
        }
        prop_assert!(check(chain).first_break.is_some());
    }
}
