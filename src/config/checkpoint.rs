//! `[ledger.checkpoint]`: signed checkpoints of the audit ledger (see docs/security.md).

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{ConfigError, Secret};
use crate::ledger::checkpoint::{Signer, Verifier};
use crate::ledger::{CheckpointPolicy, LedgerOptions};

/// When and with which key the ledger signs checkpoints.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CheckpointConfig {
    /// Ed25519 signing key: a 32-byte seed as 64 hex digits (`openssl rand -hex 32`), from
    /// `{ file = … }` or `{ env = … }`. Unset: no checkpoints are written.
    pub signing_key: Option<Secret>,
    /// The public key (64 hex digits) `kubechat audit verify` checks signatures with where
    /// the signing key is not at hand. Derived from `signing_key` when unset.
    pub public_key: Option<String>,
    /// Write a checkpoint after this many entries…
    #[serde(default = "default_every_entries")]
    pub every_entries: u64,
    /// …or this many seconds after the first entry not yet covered.
    #[serde(default = "default_every_seconds")]
    pub every_seconds: u64,
}

impl Default for CheckpointConfig {
    fn default() -> Self {
        CheckpointConfig {
            signing_key: None,
            public_key: None,
            every_entries: default_every_entries(),
            every_seconds: default_every_seconds(),
        }
    }
}

fn default_every_entries() -> u64 {
    1000
}

fn default_every_seconds() -> u64 {
    60
}

impl CheckpointConfig {
    /// Checks keys and intervals at load time, so a bad key is a start-up error.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |e: crate::ledger::checkpoint::BadKey| {
            ConfigError::Invalid(format!("ledger.checkpoint: {e}"))
        };
        if let Some(key) = &self.signing_key {
            Signer::from_hex(key.expose()).map_err(bad)?;
        }
        if let Some(key) = &self.public_key {
            Verifier::from_hex(key).map_err(bad)?;
        }
        if self.every_entries == 0 || self.every_seconds == 0 {
            return Err(ConfigError::Invalid(
                "ledger.checkpoint: every_entries and every_seconds must be at least 1".into(),
            ));
        }
        Ok(())
    }

    /// How to open the ledger: with checkpoints when a signing key is set.
    pub fn options(&self) -> LedgerOptions {
        let signer = self
            .signing_key
            .as_ref()
            .and_then(|k| Signer::from_hex(k.expose()).ok());
        LedgerOptions {
            checkpoints: signer.map(|signer| CheckpointPolicy {
                signer,
                every_entries: self.every_entries,
                every: Duration::from_secs(self.every_seconds),
            }),
        }
    }

    /// The key checkpoint signatures are verified with, if one is configured.
    pub fn verifier(&self) -> Option<Verifier> {
        match (&self.public_key, &self.signing_key) {
            (Some(public), _) => Verifier::from_hex(public).ok(),
            (None, Some(secret)) => Signer::from_hex(secret.expose()).ok().map(|s| s.verifier()),
            (None, None) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Config;

    #[test]
    fn a_checkpoint_key_is_read_and_checked_at_load_time() {
        let seed = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
        let c = Config::parse(&format!(
            "[ledger.checkpoint]\nsigning_key = \"{seed}\"\nevery_entries = 10"
        ))
        .expect("valid");
        let cp = &c.ledger.checkpoint;
        let policy = cp.options().checkpoints.expect("checkpoints on");
        assert_eq!((policy.every_entries, policy.every.as_secs()), (10, 60));
        assert_eq!(
            cp.verifier().expect("verifier").public_hex(),
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
        );
        let err = Config::parse("[ledger.checkpoint]\nsigning_key = \"abc\"").expect_err("bad");
        assert!(err.to_string().contains("64 hex digits"), "{err}");
        let err = Config::parse("[ledger.checkpoint]\nevery_seconds = 0").expect_err("zero");
        assert!(err.to_string().contains("at least 1"), "{err}");
        assert!(
            Config::parse("")
                .expect("empty")
                .ledger
                .checkpoint
                .options()
                .checkpoints
                .is_none()
        );
        assert!(!c.redacted().contains(seed), "the key is never printed");
    }
}
