//! The `[matrix]` section: how kubechat logs in to a Matrix homeserver. When it is present,
//! `kubechat serve` runs the Matrix adapter (with Slack, when that is configured too).
//!
//! Who may act is decided by `[[identities]]` entries with `platform = "matrix"`: each maps one
//! full Matrix user id (`@alice:example.org`) to a Kubernetes identity. There are no patterns
//! and no "same name on any server": `@alice:evil.org` is a different, unmapped person.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::{ConfigError, Secret};

/// `[matrix]`.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MatrixConfig {
    /// The homeserver's client-server API base URL (`https://matrix.example.org`).
    pub homeserver: String,
    /// The bot's user id (`@kubechat:example.org`).
    pub user_id: String,
    /// An access token for the bot's account (one of `access_token` / `password`).
    pub access_token: Option<Secret>,
    /// The bot account's password: kubechat logs in itself (and keeps its device in
    /// `store_path`, so a restart does not add a device).
    pub password: Option<Secret>,
    /// The device name shown in clients' session lists (password logins).
    #[serde(default = "default_device_name")]
    pub device_name: String,
    /// A directory for the bot's Matrix state: its session (password logins) and, with the
    /// `matrix-e2e` build, the encryption keys. Keep it on a persistent volume.
    pub store_path: Option<PathBuf>,
    /// A passphrase that encrypts the store at rest (`matrix-e2e` builds).
    pub store_passphrase: Option<Secret>,
    /// Messages starting with this are requests; so are mentions of the bot, DMs and replies in
    /// threads kubechat answers in.
    #[serde(default = "default_prefix")]
    pub prefix: String,
    /// Only invitations from these users are accepted (with `allowed_servers`); both empty: any.
    #[serde(default)]
    pub allowed_inviters: Vec<String>,
    /// Only invitations from users of these homeservers are accepted (with `allowed_inviters`).
    #[serde(default)]
    pub allowed_servers: Vec<String>,
}

fn default_device_name() -> String {
    "kubechat".into()
}

fn default_prefix() -> String {
    "!kubechat".into()
}

/// A Matrix user id's shape: `@localpart:server`. Only the shape is checked; the homeserver
/// decides the rest.
pub fn is_user_id(id: &str) -> bool {
    id.strip_prefix('@')
        .and_then(|rest| rest.split_once(':'))
        .is_some_and(|(local, server)| {
            !local.is_empty() && !server.is_empty() && !id.contains(char::is_whitespace)
        })
}

impl MatrixConfig {
    /// Checks what can be checked before connecting; errors name the key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |m: String| Err(ConfigError::Invalid(m));
        if !(self.homeserver.starts_with("https://") || self.homeserver.starts_with("http://")) {
            return bad(format!(
                "matrix.homeserver {:?} must be an http(s):// URL (the client-server API base, \
                 e.g. https://matrix.example.org)",
                self.homeserver
            ));
        }
        if !is_user_id(&self.user_id) {
            return bad(format!(
                "matrix.user_id {:?} is not a Matrix user id (like @kubechat:example.org)",
                self.user_id
            ));
        }
        match (&self.access_token, &self.password) {
            (Some(_), Some(_)) => {
                return bad("matrix: set either access_token or password, not both".into());
            }
            (None, None) => {
                return bad(
                    "matrix needs access_token (a token of the bot's account) or password".into(),
                );
            }
            _ => {}
        }
        if self.prefix.trim().is_empty() || self.prefix.contains(char::is_whitespace) {
            return bad(format!(
                "matrix.prefix {:?} must be one word, like \"!kubechat\"",
                self.prefix
            ));
        }
        if let Some(id) = self.allowed_inviters.iter().find(|id| !is_user_id(id)) {
            return bad(format!(
                "matrix.allowed_inviters: {id:?} is not a Matrix user id (like @alice:example.org)"
            ));
        }
        if let Some(s) = self
            .allowed_servers
            .iter()
            .find(|s| s.is_empty() || s.starts_with('@') || s.contains(char::is_whitespace))
        {
            return bad(format!(
                "matrix.allowed_servers: {s:?} is not a server name (like example.org)"
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Config;

    const MINIMAL: &str = "[matrix]\nhomeserver = \"https://matrix.example.org\"\n\
                           user_id = \"@kubechat:example.org\"\naccess_token = \"syt_secret\"\n";

    #[test]
    fn a_minimal_section_loads_with_defaults_and_hides_the_token() {
        let c = Config::parse(MINIMAL).expect("valid");
        let m = c.matrix.as_ref().expect("[matrix]");
        assert_eq!(m.prefix, "!kubechat");
        assert_eq!(m.device_name, "kubechat");
        assert!(m.allowed_inviters.is_empty() && m.allowed_servers.is_empty());
        let shown = c.redacted();
        assert!(shown.contains("[matrix]"), "{shown}");
        assert!(!shown.contains("syt_secret"), "{shown}");
    }

    #[test]
    fn bad_values_are_named() {
        let cases = [
            (
                "homeserver = \"https://matrix.example.org\"",
                "homeserver = \"matrix.example.org\"",
                "matrix.homeserver",
            ),
            (
                "user_id = \"@kubechat:example.org\"",
                "user_id = \"kubechat\"",
                "matrix.user_id",
            ),
            ("access_token = \"syt_secret\"", "", "access_token"),
            (
                "access_token = \"syt_secret\"",
                "access_token = \"a\"\npassword = \"b\"",
                "not both",
            ),
        ];
        for (from, to, named) in cases {
            let text = MINIMAL.replace(from, to);
            let err = Config::parse(&text).expect_err(to);
            assert!(err.to_string().contains(named), "{to}: {err}");
        }
        for (extra, named) in [
            ("prefix = \"kube chat\"", "matrix.prefix"),
            ("allowed_inviters = [\"alice\"]", "allowed_inviters"),
            ("allowed_servers = [\"@example.org\"]", "allowed_servers"),
            ("prefx = \"!k\"", "prefx"),
        ] {
            let err = Config::parse(&format!("{MINIMAL}{extra}\n")).expect_err(extra);
            assert!(err.to_string().contains(named), "{extra}: {err}");
        }
    }

    #[test]
    fn the_example_section_uncommented_is_valid() {
        let example = include_str!("../../config.example.toml");
        let start = example.find("# [matrix]\n").expect("example has [matrix]");
        let mut text = String::from("[matrix]\n");
        for line in example[start..].lines().skip(1) {
            let Some(kv) = line.strip_prefix("# ") else {
                break;
            };
            let is_key = kv.split_once(" = ").is_some_and(|(k, _)| !k.contains(' '));
            // One credential at a time; secrets inline (the env vars are not set here).
            if is_key && !kv.starts_with("password") {
                let kv = match kv.split_once(" = {") {
                    Some((k, _)) => format!("{k} = \"example-secret\""),
                    None => kv.to_string(),
                };
                text.push_str(&kv);
                text.push('\n');
            }
        }
        assert!(text.contains("allowed_servers"), "{text}");
        let c = Config::parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert_eq!(c.matrix.expect("[matrix]").user_id, "@kubechat:example.org");
    }

    #[test]
    fn matrix_identities_must_be_full_user_ids() {
        let text = "[[identities]]\nplatform = \"matrix\"\nuser = \"alice\"\nkube_user = \"a\"\n";
        let err = Config::parse(text).expect_err("bare localpart");
        assert!(err.to_string().contains("@alice:example.org"), "{err}");
        let ok = "[[identities]]\nplatform = \"matrix\"\nuser = \"@alice:example.org\"\nkube_user = \"a\"\n";
        assert!(Config::parse(ok).is_ok());
    }
}
