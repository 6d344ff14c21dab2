//! The hash chain (pure): how an entry's hash is computed and how a sequence of entries is
//! checked. No I/O here, so the whole chain logic is table- and property-tested.
//!
//! Invariants:
//! - `hash(n) = SHA-256("kubechat/ledger/v1\n" || n as 8-byte big-endian || raw prev_hash ||
//!   canonical_body)`; the first entry's previous hash is [`GENESIS_HASH`];
//! - the canonical body is compact JSON of `actor, cluster, kind, namespace, payload, plan_id,
//!   time` with object keys sorted at every depth, `time` in RFC 3339 (jiff's `Display`);
//! - hashes are stored and compared as lowercase hex;
//! - the [`Walker`] hashes exactly the stored text, so *any* byte changed in a stored entry is
//!   reported, even one that would re-parse to the same value.
//!
//! A hash chain alone cannot see the newest entries removed, or new ones appended by someone
//! who can compute SHA-256: compare [`VerifyReport::head_hash`] and `entries` with a copy
//! kept elsewhere (an anchor) for that.

use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::checkpoint::{self, Verifier};
use super::{ChainBreak, Entry, EntryKind, NewEntry, VerifyReport};

/// The previous hash of entry 1.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Domain separation: a kubechat v1 ledger hash can never be confused with another SHA-256.
const DOMAIN: &[u8] = b"kubechat/ledger/v1\n";

/// A previous-hash that is not 64 hex digits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a ledger hash (64 hex digits)")]
pub struct MalformedHash(pub String);

/// The hashed fields of an entry, as text exactly as they are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Body<'a> {
    /// RFC 3339, as jiff's `Timestamp` displays it.
    pub time: &'a str,
    pub actor: &'a str,
    pub cluster: Option<&'a str>,
    pub namespace: Option<&'a str>,
    pub plan_id: Option<&'a str>,
    /// The snake_case kind name.
    pub kind: &'a str,
    /// Canonical JSON (see [`canonical_json`]); inserted into the body verbatim.
    pub payload: &'a str,
}

impl Body<'_> {
    /// Appends the canonical body to `out`: the same bytes as serde_json's compact output of a
    /// sorted-key object, written field by field so verifying needs no JSON parsing.
    pub fn write_canonical(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"actor\":");
        push_json(out, self.actor);
        out.extend_from_slice(b",\"cluster\":");
        push_json(out, &self.cluster);
        out.extend_from_slice(b",\"kind\":");
        push_json(out, self.kind);
        out.extend_from_slice(b",\"namespace\":");
        push_json(out, &self.namespace);
        out.extend_from_slice(b",\"payload\":");
        out.extend_from_slice(self.payload.as_bytes());
        out.extend_from_slice(b",\"plan_id\":");
        push_json(out, &self.plan_id);
        out.extend_from_slice(b",\"time\":");
        push_json(out, self.time);
        out.push(b'}');
    }
}

/// Compact JSON with object keys sorted at every depth.
///
/// Sorted by hand rather than relying on serde_json's default `BTreeMap`: any crate in the
/// build enabling serde_json's `preserve_order` feature would otherwise silently change every
/// hash.
pub fn canonical_json(value: &Value) -> String {
    let mut out = Vec::new();
    write_canonical_value(value, &mut out);
    // serde_json only ever writes valid UTF-8, and so do the brackets and commas added here.
    String::from_utf8(out).expect("serde_json writes UTF-8")
}

fn write_canonical_value(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Object(map) => {
            let mut fields: Vec<(&String, &Value)> = map.iter().collect();
            fields.sort_unstable_by(|a, b| a.0.cmp(b.0));
            out.push(b'{');
            for (i, (key, value)) in fields.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                push_json(out, key);
                out.push(b':');
                write_canonical_value(value, out);
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_canonical_value(item, out);
            }
            out.push(b']');
        }
        scalar => push_json(out, scalar),
    }
}

fn push_json<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) {
    // Infallible here: serde_json fails only on I/O errors (a Vec has none) and on map keys
    // that are not strings (we only serialize strings, options of strings and scalar Values).
    serde_json::to_writer(out, value).expect("JSON into a Vec cannot fail");
}

/// SHA-256 of one entry, given its sequence number, the raw previous hash and its body.
/// `scratch` is reused between calls to avoid an allocation per entry.
pub fn digest(seq: i64, prev: &[u8; 32], body: &Body<'_>, scratch: &mut Vec<u8>) -> [u8; 32] {
    scratch.clear();
    body.write_canonical(scratch);
    let mut hasher = Sha256::new();
    hasher.update(DOMAIN);
    hasher.update(seq.to_be_bytes());
    hasher.update(prev);
    hasher.update(&scratch[..]);
    hasher.finalize().into()
}

/// Decodes a stored hash; `None` unless it is exactly 64 lowercase hex digits.
pub fn decode_hash(hex_hash: &str) -> Option<[u8; 32]> {
    if !is_canonical_hex(hex_hash) {
        return None;
    }
    let mut raw = [0u8; 32];
    hex::decode_to_slice(hex_hash, &mut raw).ok()?;
    Some(raw)
}

fn is_canonical_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// The lowercase hex hash that entry `seq` with this content gets after `prev_hash_hex`.
pub fn entry_hash(
    seq: i64,
    prev_hash_hex: &str,
    entry: &NewEntry,
) -> Result<String, MalformedHash> {
    let sealed = seal(seq - 1, prev_hash_hex, std::slice::from_ref(entry))?;
    Ok(sealed.into_iter().map(|s| s.hash).collect())
}

/// What the store writes besides a [`NewEntry`]'s own fields: its place in the chain and
/// the exact text that was hashed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed {
    pub seq: i64,
    /// RFC 3339, as hashed.
    pub time: String,
    /// Canonical JSON, as hashed.
    pub payload: String,
    pub prev_hash: String,
    pub hash: String,
}

/// Chains `entries` after the entry `head_seq` whose hash is `head_hash` (`0` and
/// [`GENESIS_HASH`] for an empty ledger).
pub fn seal(
    head_seq: i64,
    head_hash: &str,
    entries: &[NewEntry],
) -> Result<Vec<Sealed>, MalformedHash> {
    let mut prev = decode_hash(head_hash).ok_or_else(|| MalformedHash(head_hash.into()))?;
    let mut prev_hash = head_hash.to_owned();
    let mut scratch = Vec::with_capacity(512);
    let mut sealed = Vec::with_capacity(entries.len());
    for (seq, entry) in (head_seq + 1..).zip(entries) {
        let time = entry.time.to_string();
        let payload = canonical_json(&entry.payload);
        let body = Body {
            time: &time,
            actor: &entry.actor,
            cluster: entry.cluster.as_deref(),
            namespace: entry.namespace.as_deref(),
            plan_id: entry.plan_id.as_deref(),
            kind: entry.kind.as_str(),
            payload: &payload,
        };
        prev = digest(seq, &prev, &body, &mut scratch);
        let hash = hex::encode(prev);
        sealed.push(Sealed {
            seq,
            time,
            payload,
            prev_hash: std::mem::replace(&mut prev_hash, hash.clone()),
            hash,
        });
    }
    Ok(sealed)
}

/// One stored entry as the [`Walker`] sees it.
#[derive(Debug, Clone, Copy)]
pub struct Link<'a> {
    pub seq: i64,
    pub body: Body<'a>,
    pub prev_hash: &'a str,
    pub hash: &'a str,
}

/// Walks entries in storage order and remembers the first break. Feed it with
/// [`push`](Walker::push) (stored text) or [`push_entry`](Walker::push_entry), then
/// [`finish`](Walker::finish). Constant memory.
///
/// Checkpoint entries are checked for what they commit to (the entry before them) and, with
/// [`with_verifier`](Walker::with_verifier), for their signature. With
/// [`expecting`](Walker::expecting), a checkpoint kept outside the database must still be
/// part of the chain: this is what reveals the newest entries cut off.
#[derive(Debug)]
pub struct Walker {
    entries: u64,
    last_seq: i64,
    prev_hex: String,
    prev_raw: [u8; 32],
    head_hash: String,
    first_break: Option<ChainBreak>,
    scratch: Vec<u8>,
    verifier: Option<Verifier>,
    checkpoints: u64,
    last_checkpoint: Option<i64>,
    /// A checkpoint held outside: (tree size, head hash).
    anchor: Option<(i64, String)>,
}

impl Default for Walker {
    fn default() -> Self {
        Self::new()
    }
}

impl Walker {
    /// A walker expecting entry 1 next.
    pub fn new() -> Self {
        Walker {
            entries: 0,
            last_seq: 0,
            prev_hex: GENESIS_HASH.to_owned(),
            prev_raw: [0; 32],
            head_hash: GENESIS_HASH.to_owned(),
            first_break: None,
            scratch: Vec::with_capacity(512),
            verifier: None,
            checkpoints: 0,
            last_checkpoint: None,
            anchor: None,
        }
    }

    /// Also checks every checkpoint's signature with `verifier`.
    pub fn with_verifier(mut self, verifier: Verifier) -> Self {
        self.verifier = Some(verifier);
        self
    }

    /// Requires entry `tree_size` to exist with hash `head_hash` (a checkpoint kept outside).
    pub fn expecting(mut self, tree_size: i64, head_hash: &str) -> Self {
        self.anchor = Some((tree_size, head_hash.to_owned()));
        self
    }

    /// Starts after entry `seq` with hash `hash` instead of at genesis: for a ledger whose
    /// oldest entries were archived (the anchor comes from the chained `archived` entry) or
    /// an archive file that continues an earlier one.
    pub fn resume_after(mut self, seq: i64, hash: &str) -> Result<Self, MalformedHash> {
        self.prev_raw = decode_hash(hash).ok_or_else(|| MalformedHash(hash.into()))?;
        self.last_seq = seq;
        self.prev_hex = hash.to_owned();
        Ok(self)
    }

    /// Checks the next stored entry. After the first break, entries are only counted.
    pub fn push(&mut self, link: Link<'_>) {
        self.entries += 1;
        self.head_hash.clear();
        self.head_hash.push_str(link.hash);
        if self.first_break.is_some() {
            return;
        }
        if let Some(reason) = self.check_link(&link) {
            let seq = if link.seq > self.last_seq + 1 {
                self.last_seq + 1 // the first missing one
            } else {
                link.seq
            };
            self.first_break = Some(ChainBreak { seq, reason });
            return;
        }
        if let Some(reason) = self.check_extras(&link) {
            self.first_break = Some(ChainBreak {
                seq: link.seq,
                reason,
            });
            return;
        }
        self.last_seq = link.seq;
        self.prev_hex.clear();
        self.prev_hex.push_str(link.hash);
    }

    /// Checkpoints and the outside anchor, for an entry whose hash is right.
    fn check_extras(&mut self, link: &Link<'_>) -> Option<String> {
        if let Some((size, hash)) = &self.anchor
            && link.seq == *size
            && link.hash != hash
        {
            return Some(format!(
                "entry {size} is not the one the checkpoint kept outside signed (its hash differs): \
                 the history up to it was rewritten"
            ));
        }
        if link.body.kind != EntryKind::Checkpoint.as_str() {
            return None;
        }
        let seq = link.seq;
        let checked = checkpoint::check_link(self.verifier.as_ref(), link)
            .map_err(|why| format!("entry {seq} is a bad checkpoint: {why}"));
        match checked {
            Ok(tree_size) => {
                self.checkpoints += 1;
                self.last_checkpoint = Some(tree_size);
                None
            }
            Err(reason) => Some(reason),
        }
    }

    fn check_link(&mut self, link: &Link<'_>) -> Option<String> {
        let (seq, last) = (link.seq, self.last_seq);
        if seq > last + 1 {
            return Some(missing_reason(last, seq));
        }
        if seq <= 0 {
            return Some(format!(
                "entry {seq} has an impossible sequence number (they start at 1)"
            ));
        }
        if seq <= last {
            return Some(format!(
                "entry {seq} is out of order (it comes after entry {last}): entries were \
                 reordered or duplicated"
            ));
        }
        if link.prev_hash != self.prev_hex {
            return Some(if seq == 1 {
                "entry 1 does not start the chain (its previous-hash is not the genesis value): \
                 entries were inserted before it"
                    .to_owned()
            } else {
                format!(
                    "entry {seq} does not follow entry {last} (its previous-hash does not match): \
                     entries were reordered or inserted, or entry {last} was rewritten"
                )
            });
        }
        let computed = digest(seq, &self.prev_raw, &link.body, &mut self.scratch);
        let mut computed_hex = [0u8; 64];
        // 32 bytes always encode into exactly 64 hex digits.
        hex::encode_to_slice(computed, &mut computed_hex).expect("64 = 2 × 32");
        if link.hash.as_bytes() == computed_hex {
            self.prev_raw = computed;
            return None;
        }
        Some(if is_canonical_hex(link.hash) {
            format!("entry {seq} was edited (its content no longer matches its hash)")
        } else {
            format!(
                "entry {seq}'s hash is not the hash of its content (it is not even 64 lowercase \
                 hex digits)"
            )
        })
    }

    /// Records a stored row that could not even be read as text (for example bytes that are
    /// not UTF-8, written by someone bypassing kubechat): a break at `seq`.
    pub fn push_unreadable(&mut self, seq: i64, hash: &str, what: &str) {
        self.entries += 1;
        self.head_hash.clear();
        self.head_hash.push_str(hash);
        if self.first_break.is_none() {
            self.first_break = Some(ChainBreak {
                seq,
                reason: format!("entry {seq} was edited (it is unreadable: {what})"),
            });
        }
    }

    /// Checks a decoded entry (re-canonicalizing its time and payload).
    pub fn push_entry(&mut self, entry: &Entry) {
        let time = entry.time.to_string();
        let payload = canonical_json(&entry.payload);
        self.push(Link {
            seq: entry.seq,
            body: Body {
                time: &time,
                actor: &entry.actor,
                cluster: entry.cluster.as_deref(),
                namespace: entry.namespace.as_deref(),
                plan_id: entry.plan_id.as_deref(),
                kind: entry.kind.as_str(),
                payload: &payload,
            },
            prev_hash: &entry.prev_hash,
            hash: &entry.hash,
        });
    }

    /// The report: how many entries were seen, the last one's hash, and the first break.
    pub fn finish(mut self) -> VerifyReport {
        if let Some((size, _)) = &self.anchor
            && self.first_break.is_none()
            && self.last_seq < *size
        {
            let last = self.last_seq;
            self.first_break = Some(ChainBreak {
                seq: last + 1,
                reason: format!(
                    "the ledger ends at entry {last}, but a checkpoint kept outside covers {size} \
                     entries: entries {} to {size} were removed (truncated)",
                    last + 1
                ),
            });
        }
        VerifyReport {
            entries: self.entries,
            head_hash: self.head_hash,
            first_break: self.first_break,
            checkpoints: self.checkpoints,
            last_checkpoint: self.last_checkpoint,
            signatures_checked: self.verifier.is_some(),
        }
    }
}

fn missing_reason(last: i64, seq: i64) -> String {
    let first_missing = last + 1;
    match (first_missing == seq - 1, last == 0) {
        (true, false) => {
            format!("entry {first_missing} is missing (sequence jumps from {last} to {seq})")
        }
        (true, true) => format!("entry 1 is missing (the ledger starts at entry {seq})"),
        (false, false) => format!(
            "entries {first_missing} to {} are missing (sequence jumps from {last} to {seq})",
            seq - 1
        ),
        (false, true) => format!(
            "entries 1 to {} are missing (the ledger starts at entry {seq})",
            seq - 1
        ),
    }
}

/// Walks `entries` (in storage order) and reports the first break.
pub fn check(entries: impl IntoIterator<Item = Entry>) -> VerifyReport {
    let mut walker = Walker::new();
    for entry in entries {
        walker.push_entry(&entry);
    }
    walker.finish()
}

#[cfg(test)]
mod checkpoint_props;
#[cfg(test)]
mod tests;
