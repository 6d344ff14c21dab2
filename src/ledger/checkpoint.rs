//! Signed checkpoints: every so often the writer appends an entry that signs (Ed25519) the
//! chain's size and head hash, so a verifier holding only the public key can tell the
//! history up to there was written by a holder of the signing key.
//!
//! Invariants:
//! - a checkpoint entry (kind `checkpoint`, actor `kubechat`) commits to the entry right
//!   before it: `tree_size = seq - 1`, `head_hash = prev_hash`; it is itself chained;
//! - the signed message is `"kubechat/ledger/checkpoint/v1\n" || tree_size (8-byte big-endian)
//!   || raw head hash || time` (the entry's RFC 3339 time as stored);
//! - the key id is the first 16 hex digits of SHA-256(public key): it names the key without
//!   revealing anything, and changes when the key is rotated.
//!
//! Pure (no I/O): the writer signs, the [`Walker`](super::chain::Walker) checks.

use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::chain::{Link, decode_hash};
use super::{EntryKind, NewEntry};

const DOMAIN: &[u8] = b"kubechat/ledger/checkpoint/v1\n";

/// A checkpoint key that is not 64 hex digits (32 bytes).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the ledger checkpoint {which} key is not a valid Ed25519 key of 64 hex digits (32 bytes); \
     generate a signing key with `openssl rand -hex 32`"
)]
pub struct BadKey {
    /// `signing` or `public`.
    pub which: &'static str,
}

fn key_bytes(hex_key: &str, which: &'static str) -> Result<[u8; 32], BadKey> {
    let mut raw = [0u8; 32];
    hex::decode_to_slice(hex_key.trim(), &mut raw).map_err(|_| BadKey { which })?;
    Ok(raw)
}

fn key_id(public: &VerifyingKey) -> String {
    hex::encode(&Sha256::digest(public.as_bytes())[..8])
}

fn message(tree_size: i64, head: &[u8; 32], time: &str) -> Vec<u8> {
    let mut m = Vec::with_capacity(DOMAIN.len() + 8 + 32 + time.len());
    m.extend_from_slice(DOMAIN);
    m.extend_from_slice(&tree_size.to_be_bytes());
    m.extend_from_slice(head);
    m.extend_from_slice(time.as_bytes());
    m
}

/// What a checkpoint entry's payload holds (and what `kubechat audit checkpoint` prints,
/// with `time`, for keeping outside the database).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checkpoint {
    /// How many entries the checkpoint covers (the seq of the last one).
    pub tree_size: i64,
    /// Hash of entry `tree_size`.
    pub head_hash: String,
    pub key_id: String,
    /// Hex Ed25519 signature.
    pub signature: String,
    /// RFC 3339 time that was signed; only in copies kept outside (in the ledger it is the
    /// entry's own time).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
}

/// Signs checkpoints (the writer's side).
#[derive(Clone)]
pub struct Signer {
    key: SigningKey,
    key_id: String,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

impl Signer {
    /// A signer from a 32-byte Ed25519 seed given as 64 hex digits.
    pub fn from_hex(seed: &str) -> Result<Signer, BadKey> {
        let key = SigningKey::from_bytes(&key_bytes(seed, "signing")?);
        let key_id = key_id(&key.verifying_key());
        Ok(Signer { key, key_id })
    }

    /// The matching verifier (public key).
    pub fn verifier(&self) -> Verifier {
        Verifier {
            key: self.key.verifying_key(),
            key_id: self.key_id.clone(),
        }
    }

    /// A checkpoint entry covering entries `1..=tree_size`, whose last hash is `head_hash`.
    pub fn entry(&self, tree_size: i64, head_hash: &str, time: Timestamp) -> Option<NewEntry> {
        let head = decode_hash(head_hash)?;
        let signature = self.key.sign(&message(tree_size, &head, &time.to_string()));
        let payload = Checkpoint {
            tree_size,
            head_hash: head_hash.to_owned(),
            key_id: self.key_id.clone(),
            signature: hex::encode(signature.to_bytes()),
            time: None,
        };
        Some(NewEntry {
            time,
            actor: "kubechat".into(),
            cluster: None,
            namespace: None,
            plan_id: None,
            kind: EntryKind::Checkpoint,
            payload: serde_json::to_value(payload).unwrap_or_else(|_| json!({})),
        })
    }
}

/// Checks checkpoint signatures (the verifier's side; needs only the public key).
#[derive(Clone, Debug)]
pub struct Verifier {
    key: VerifyingKey,
    key_id: String,
}

impl Verifier {
    /// A verifier from a public key given as 64 hex digits.
    pub fn from_hex(public: &str) -> Result<Verifier, BadKey> {
        let key = VerifyingKey::from_bytes(&key_bytes(public, "public")?)
            .map_err(|_| BadKey { which: "public" })?;
        let key_id = key_id(&key);
        Ok(Verifier { key, key_id })
    }

    /// The public key as 64 hex digits (for config and docs).
    pub fn public_hex(&self) -> String {
        hex::encode(self.key.as_bytes())
    }

    /// The key id checkpoints signed by this key carry.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// Checks `cp` was signed by this key at `time`; the reason if not.
    pub fn check(&self, cp: &Checkpoint, time: &str) -> Result<(), String> {
        if cp.key_id != self.key_id {
            return Err(format!(
                "it is signed with key {}, not with the verifying key {}",
                cp.key_id, self.key_id
            ));
        }
        let head = decode_hash(&cp.head_hash).ok_or("its head hash is not a ledger hash")?;
        let mut sig = [0u8; 64];
        hex::decode_to_slice(&cp.signature, &mut sig).map_err(|_| "its signature is not hex")?;
        self.key
            .verify_strict(
                &message(cp.tree_size, &head, time),
                &Signature::from_bytes(&sig),
            )
            .map_err(|_| "its signature is not valid".to_owned())
    }
}

/// Checks a checkpoint entry whose own hash is already verified: it commits to the entry
/// before it, and (with a verifier) its signature is valid. Returns its tree size.
pub(super) fn check_link(verifier: Option<&Verifier>, link: &Link<'_>) -> Result<i64, String> {
    let cp: Checkpoint = serde_json::from_str(link.body.payload)
        .map_err(|e| format!("its payload is not a checkpoint ({e})"))?;
    if cp.tree_size != link.seq - 1 || cp.head_hash != link.prev_hash {
        return Err(format!(
            "it claims {} entries ending in {}, but it follows entry {} ({})",
            cp.tree_size,
            cp.head_hash,
            link.seq - 1,
            link.prev_hash
        ));
    }
    if let Some(v) = verifier {
        v.check(&cp, link.body.time)?;
    }
    Ok(cp.tree_size)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED: &str = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
    const HEAD: &str = "1111111111111111111111111111111111111111111111111111111111111111";

    fn signed(tree_size: i64) -> (Checkpoint, String) {
        let signer = Signer::from_hex(SEED).expect("key");
        let e = signer
            .entry(tree_size, HEAD, "2025-01-01T00:00:00Z".parse().expect("t"))
            .expect("entry");
        (
            serde_json::from_value(e.payload).expect("payload"),
            e.time.to_string(),
        )
    }

    #[test]
    fn a_checkpoint_verifies_with_the_public_key_only() {
        let public = Signer::from_hex(SEED).expect("key").verifier().public_hex();
        // RFC 8032 test vector 1: this seed's public key.
        assert_eq!(
            public,
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
        );
        let verifier = Verifier::from_hex(&public).expect("public key");
        let (cp, time) = signed(41);
        assert_eq!(cp.key_id, verifier.key_id());
        assert_eq!(verifier.check(&cp, &time), Ok(()));
    }

    #[test]
    fn any_change_to_a_checkpoint_breaks_its_signature() {
        let verifier = Signer::from_hex(SEED).expect("key").verifier();
        let (cp, time) = signed(41);
        let bad = |cp: &Checkpoint, time: &str| verifier.check(cp, time).expect_err("detected");
        assert_eq!(
            bad(
                &Checkpoint {
                    tree_size: 40,
                    ..cp.clone()
                },
                &time
            ),
            "its signature is not valid"
        );
        let other_head = HEAD.replace('1', "2");
        assert_eq!(
            bad(
                &Checkpoint {
                    head_hash: other_head,
                    ..cp.clone()
                },
                &time
            ),
            "its signature is not valid"
        );
        assert_eq!(
            bad(&cp, "2025-01-01T00:00:01Z"),
            "its signature is not valid"
        );
        let other = Signer::from_hex(&SEED.replace('9', "8"))
            .expect("key")
            .verifier();
        assert!(
            other
                .check(&cp, &time)
                .expect_err("other key")
                .starts_with("it is signed with key")
        );
    }

    #[test]
    fn bad_keys_are_explained() {
        let err = Signer::from_hex("abc").expect_err("short");
        assert!(err.to_string().contains("openssl rand -hex 32"), "{err}");
        assert!(Verifier::from_hex(&"zz".repeat(32)).is_err());
    }
}
