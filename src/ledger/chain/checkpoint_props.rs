//! Properties of chains with a signed checkpoint: an attacker who can write the database and
//! compute hashes, but lacks the signing key, cannot rewrite or cut the checkpointed history
//! unnoticed.

use proptest::prelude::*;

use super::tests::{arb_new_entry, build, stored};
use super::*;
use crate::ledger::checkpoint::Signer;

const SEED: &str = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";

fn signer() -> Signer {
    Signer::from_hex(SEED).expect("key")
}

/// `before`, a checkpoint covering them, then `after`; and the checkpoint's tree size.
fn checkpointed(before: Vec<NewEntry>, after: Vec<NewEntry>) -> (Vec<Entry>, i64) {
    let mut chain = build(before);
    let (seq, hash) = chain
        .last()
        .map(|e| (e.seq, e.hash.clone()))
        .expect("non-empty");
    let cp = signer()
        .entry(seq, &hash, jiff::Timestamp::UNIX_EPOCH)
        .expect("entry");
    let mut news = vec![cp];
    news.extend(after);
    for (s, e) in seal(seq, &hash, &news).expect("seal").into_iter().zip(news) {
        chain.push(stored(s.seq, e, s.prev_hash, s.hash));
    }
    (chain, seq)
}

/// Recomputes every hash from index `from` on, as an attacker knowing the scheme would.
fn rechain(chain: &mut [Entry], from: usize) {
    let prev = if from == 0 {
        GENESIS_HASH.to_owned()
    } else {
        chain[from - 1].hash.clone()
    };
    let news: Vec<NewEntry> = chain[from..]
        .iter()
        .map(|e| NewEntry {
            time: e.time,
            actor: e.actor.clone(),
            cluster: e.cluster.clone(),
            namespace: e.namespace.clone(),
            plan_id: e.plan_id.clone(),
            kind: e.kind,
            payload: e.payload.clone(),
        })
        .collect();
    let sealed = seal(from as i64, &prev, &news).expect("seal");
    for (e, s) in chain[from..].iter_mut().zip(sealed) {
        e.prev_hash = s.prev_hash;
        e.hash = s.hash;
    }
}

fn walk(chain: Vec<Entry>, walker: Walker) -> VerifyReport {
    let mut walker = walker;
    for e in &chain {
        walker.push_entry(e);
    }
    walker.finish()
}

fn entries(range: std::ops::Range<usize>) -> impl Strategy<Value = Vec<NewEntry>> {
    proptest::collection::vec(arb_new_entry(), range)
}

proptest! {
    #[test]
    fn an_untouched_checkpointed_chain_verifies_with_the_public_key(
        before in entries(1..8), after in entries(0..4)
    ) {
        let (chain, size) = checkpointed(before, after);
        let report = walk(chain, Walker::new().with_verifier(signer().verifier()));
        prop_assert_eq!(report.first_break, None);
        prop_assert_eq!((report.checkpoints, report.last_checkpoint), (1, Some(size)));
    }

    #[test]
    fn rewriting_checkpointed_history_and_every_hash_is_detected(
        before in entries(1..8), after in entries(0..4), at in any::<prop::sample::Index>(),
        new_actor in "[a-z]{1,8}"
    ) {
        let (mut chain, size) = checkpointed(before, after);
        let i = at.index(size as usize);
        prop_assume!(chain[i].actor != new_actor);
        chain[i].actor = new_actor;
        rechain(&mut chain, i);
        // The forger also makes the checkpoint claim the new head, which needs a new signature.
        let cp = size as usize;
        chain[cp].payload["head_hash"] = serde_json::json!(chain[cp - 1].hash);
        rechain(&mut chain, cp);
        prop_assert!(walk(chain.clone(), Walker::new()).first_break.is_none());
        let report = walk(chain, Walker::new().with_verifier(signer().verifier()));
        let b = report.first_break.expect("detected");
        prop_assert_eq!(b.seq, size + 1);
    }

    #[test]
    fn cutting_entries_a_kept_checkpoint_covers_is_detected(
        before in entries(1..8), after in entries(0..4), keep in any::<prop::sample::Index>()
    ) {
        let (mut chain, size) = checkpointed(before, after);
        let head = chain[size as usize - 1].hash.clone();
        chain.truncate(keep.index(size as usize));
        let report = walk(chain, Walker::new().expecting(size, &head));
        prop_assert!(report.first_break.is_some());
    }
}
