//! Configuration: one TOML file (see `config.example.toml`, every key commented).
//!
//! Unknown keys are errors that name the key (`deny_unknown_fields`), so a typo never silently
//! changes behaviour. Secrets (a ledger URL with a password) are held as [`SecretString`] and
//! printed redacted by `kubechat check-config`; every other secret key (tokens, signing
//! secrets, keys) is a [`Secret`]: `{ env = "NAME" }`, `{ file = "/path" }` or inline. Environment variables override file values
//! where noted (`KUBECHAT_LEDGER_URL`).

mod checkpoint;
mod llm;
mod matrix;
mod secret;
mod slack;

use std::path::{Path, PathBuf};

use kubechat_chat::Platform;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

pub use checkpoint::CheckpointConfig;
pub use llm::{LlmConfig, ProviderConfig, ProviderKind, is_local_host};
pub use matrix::{MatrixConfig, is_user_id as is_matrix_user_id};
pub use secret::{Secret, SecretSource};
pub use slack::{SlackConfig, SlackMode};

/// The whole configuration.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub server: ServerConfig,
    #[serde(default)]
    pub ledger: LedgerConfig,
    #[serde(default)]
    pub defaults: Defaults,
    /// Clusters kubechat may act on. Empty: one cluster named `default` from the kubeconfig's
    /// current context.
    #[serde(default)]
    pub clusters: Vec<ClusterConfig>,
    /// Chat users mapped to Kubernetes identities. Unmapped users are refused.
    #[serde(default)]
    pub identities: Vec<IdentityConfig>,
    /// Per-channel context locks.
    #[serde(default)]
    pub channels: Vec<ChannelConfig>,
    /// The policy file (who may approve what); built-in defaults without one.
    #[serde(default)]
    pub policy: PolicyConfig,
    /// Slack (see docs/adapters.md); when set, `serve` runs the Slack adapter.
    pub slack: Option<SlackConfig>,
    /// Matrix (see docs/adapters.md); when set, `serve` runs the Matrix adapter.
    pub matrix: Option<MatrixConfig>,
    /// The optional LLM planner (see docs/llm.md). No providers: rules only.
    #[serde(default)]
    pub llm: LlmConfig,
}

/// Where the policy comes from (see docs/policy.md).
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyConfig {
    /// A TOML policy file, reloaded when it changes and on SIGHUP. Relative paths are relative
    /// to the config file. Unset: the built-in defaults.
    pub file: Option<PathBuf>,
}

/// The HTTP server (`/healthz`, `/readyz`, `/metrics`, platform webhooks).
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    #[serde(default = "default_listen")]
    pub listen: String,
    /// Log format: `plain` or `json`.
    #[serde(default = "default_log_format")]
    pub log_format: String,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: default_listen(),
            log_format: default_log_format(),
        }
    }
}

fn default_listen() -> String {
    "127.0.0.1:8080".into()
}

fn default_log_format() -> String {
    "plain".into()
}

/// Where the audit ledger lives.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LedgerConfig {
    /// `sqlite://PATH` (default `sqlite://kubechat.db`) or `postgres://…`.
    #[serde(default = "default_ledger_url")]
    pub url: SecretString,
    /// Signed checkpoints (`[ledger.checkpoint]`).
    #[serde(default)]
    pub checkpoint: CheckpointConfig,
}

impl Default for LedgerConfig {
    fn default() -> Self {
        LedgerConfig {
            url: default_ledger_url(),
            checkpoint: CheckpointConfig::default(),
        }
    }
}

fn default_ledger_url() -> SecretString {
    SecretString::from("sqlite://kubechat.db")
}

/// Defaults for requests made outside any configured channel.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Defaults {
    /// Cluster used when a channel has no lock; default: the first configured cluster.
    pub cluster: Option<String>,
    /// Namespace used when a channel has no lock; default: the cluster's default namespace.
    pub namespace: Option<String>,
    /// How long a preview may wait for approvals, in minutes.
    #[serde(default = "default_ttl")]
    pub preview_ttl_minutes: u32,
}

impl Default for Defaults {
    fn default() -> Self {
        Defaults {
            cluster: None,
            namespace: None,
            preview_ttl_minutes: default_ttl(),
        }
    }
}

fn default_ttl() -> u32 {
    15
}

/// One cluster.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterConfig {
    /// The name people use in chat ("in staging-us") and the ledger records.
    pub name: String,
    /// Path of a kubeconfig holding the bot's own (impersonate-only) credentials. Default:
    /// `$KUBECONFIG` or `~/.kube/config`.
    pub kubeconfig: Option<PathBuf>,
    /// Context inside the kubeconfig. Default: its current context.
    pub context: Option<String>,
    /// Use the pod's service account instead of a kubeconfig.
    #[serde(default)]
    pub in_cluster: bool,
    /// Namespace used when a request names none and no channel lock applies.
    #[serde(default = "default_namespace")]
    pub default_namespace: String,
    /// The whole cluster is production: destructive actions need a second person.
    #[serde(default)]
    pub production: bool,
    /// Namespace globs that are production on this cluster (`prod`, `*-prod`).
    #[serde(default)]
    pub production_namespaces: Vec<String>,
    /// After a kind is not found, API discovery is refreshed at most once per this many
    /// seconds (a CRD installed since the last refresh resolves; a typo does not hammer the
    /// API server).
    #[serde(default = "default_discovery_refresh")]
    pub discovery_refresh_seconds: u64,
}

fn default_discovery_refresh() -> u64 {
    30
}

fn default_namespace() -> String {
    "default".into()
}

/// A chat user mapped to a Kubernetes identity.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct IdentityConfig {
    pub platform: Platform,
    /// The platform's user id (Slack `U…`, Matrix `@alice:example.org`, console name).
    /// Exactly one of `user` and `email` is set.
    #[serde(default)]
    pub user: String,
    /// The user's platform-confirmed email, for Slack with `slack.allow_email_mapping = true`
    /// (weaker than ids: workspace admins can change emails). Matched case-insensitively; an id
    /// entry for the same person wins.
    pub email: Option<String>,
    /// The Kubernetes user kubechat impersonates for this person.
    pub kube_user: String,
    /// Kubernetes groups impersonated with the user.
    #[serde(default)]
    pub groups: Vec<String>,
}

impl IdentityConfig {
    /// The user id, or the email for an email mapping.
    pub fn key(&self) -> &str {
        self.email.as_deref().unwrap_or(&self.user)
    }
}

/// A channel bound to a cluster and namespace (its context lock).
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelConfig {
    pub platform: Platform,
    /// The platform's channel id.
    pub channel: String,
    /// A readable name for messages ("#payments-prod-eu").
    pub name: Option<String>,
    pub cluster: String,
    pub namespace: String,
}

/// Errors loading or validating the configuration.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid config file {path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("invalid config: {0}")]
    Invalid(String),
}

impl Config {
    /// Loads and validates a config file, then applies environment overrides.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        let config = Config::parse(&text).map_err(|e| match e {
            ConfigError::Parse { message, .. } => ConfigError::Parse {
                path: path.to_owned(),
                message,
            },
            other => other,
        })?;
        let mut config = config.with_env();
        if let (Some(file), Some(dir)) = (&config.policy.file, path.parent())
            && file.is_relative()
        {
            config.policy.file = Some(dir.join(file));
        }
        Ok(config)
    }

    /// The configuration used when no file is given: one cluster from the kubeconfig's
    /// current context, SQLite ledger, console only, no identities mapped.
    pub fn builtin() -> Config {
        Config::parse("")
            .expect("the empty config is valid")
            .with_env()
    }

    /// Parses and validates TOML text.
    pub fn parse(text: &str) -> Result<Config, ConfigError> {
        let mut config: Config = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: PathBuf::new(),
            message: e.to_string(),
        })?;
        if config.clusters.is_empty() {
            config.clusters.push(ClusterConfig {
                name: "default".into(),
                kubeconfig: None,
                context: None,
                in_cluster: false,
                default_namespace: default_namespace(),
                production: false,
                production_namespaces: Vec::new(),
                discovery_refresh_seconds: default_discovery_refresh(),
            });
        }
        config.validate()?;
        Ok(config)
    }

    fn with_env(mut self) -> Config {
        if let Ok(url) = std::env::var("KUBECHAT_LEDGER_URL") {
            self.ledger.url = SecretString::from(url);
        }
        self
    }

    /// An identity names exactly one of `user` and `email`; email only where the platform can
    /// vouch for it and the operator enabled it.
    fn validate_identity_key(&self, id: &IdentityConfig) -> Result<(), ConfigError> {
        let invalid = |why: &str| {
            Err(ConfigError::Invalid(format!(
                "identity {}:{}: {why}",
                id.platform,
                id.key()
            )))
        };
        match (id.user.trim().is_empty(), &id.email) {
            (true, None) => invalid("set `user` (the platform's user id) or `email`"),
            (false, Some(_)) => invalid("set either `user` or `email`, not both"),
            (false, None) => Ok(()),
            (true, Some(email)) if !email.contains('@') => {
                invalid("`email` is not an email address")
            }
            (true, Some(_)) if id.platform != Platform::Slack => invalid(
                "mapping by email is only available for Slack (the only adapter that reports confirmed emails)",
            ),
            (true, Some(_)) if !self.slack.as_ref().is_some_and(|s| s.allow_email_mapping) => {
                invalid(
                    "mapping by email needs slack.allow_email_mapping = true (it is weaker than member ids)",
                )
            }
            (true, Some(_)) => Ok(()),
        }
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let mut names = std::collections::HashSet::new();
        for c in &self.clusters {
            if !names.insert(c.name.as_str()) {
                return Err(ConfigError::Invalid(format!(
                    "cluster {:?} is defined twice",
                    c.name
                )));
            }
            if c.in_cluster && (c.kubeconfig.is_some() || c.context.is_some()) {
                return Err(ConfigError::Invalid(format!(
                    "cluster {:?}: in_cluster = true cannot be combined with kubeconfig/context",
                    c.name
                )));
            }
        }
        let known = |name: &str| self.clusters.iter().any(|c| c.name == name);
        if let Some(default) = &self.defaults.cluster
            && !known(default)
        {
            return Err(ConfigError::Invalid(format!(
                "defaults.cluster {default:?} is not one of the configured clusters"
            )));
        }
        for ch in &self.channels {
            if !known(&ch.cluster) {
                return Err(ConfigError::Invalid(format!(
                    "channel {:?} is locked to unknown cluster {:?}",
                    ch.channel, ch.cluster
                )));
            }
        }
        let mut seen = std::collections::HashSet::new();
        for id in &self.identities {
            self.validate_identity_key(id)?;
            let key = match &id.email {
                Some(email) => format!("email:{}", email.to_ascii_lowercase()),
                None => id.user.clone(),
            };
            if !seen.insert((id.platform, key)) {
                return Err(ConfigError::Invalid(format!(
                    "identity {}:{} is mapped twice",
                    id.platform,
                    id.key()
                )));
            }
            if id.platform == Platform::Matrix && !matrix::is_user_id(&id.user) {
                return Err(ConfigError::Invalid(format!(
                    "identity matrix:{} is not a Matrix user id: map the full id \
                     (like @alice:example.org), so users of other homeservers never match",
                    id.user
                )));
            }
            if id.kube_user.trim().is_empty() {
                return Err(ConfigError::Invalid(format!(
                    "identity {}:{} has an empty kube_user",
                    id.platform,
                    id.key()
                )));
            }
        }
        if let Some(slack) = &self.slack {
            slack.validate()?;
        }
        if let Some(matrix) = &self.matrix {
            matrix.validate()?;
        }
        self.llm.validate().map_err(ConfigError::Invalid)?;
        self.ledger.checkpoint.validate()?;
        if self.defaults.preview_ttl_minutes == 0 {
            return Err(ConfigError::Invalid(
                "defaults.preview_ttl_minutes must be at least 1".into(),
            ));
        }
        Ok(())
    }

    /// The cluster used when nothing else decides.
    pub fn default_cluster(&self) -> &ClusterConfig {
        self.defaults
            .cluster
            .as_deref()
            .and_then(|name| self.cluster(name))
            .unwrap_or(&self.clusters[0])
    }

    /// A configured cluster by name.
    pub fn cluster(&self, name: &str) -> Option<&ClusterConfig> {
        self.clusters.iter().find(|c| c.name == name)
    }

    /// The context lock of a channel, if any.
    pub fn channel(&self, platform: Platform, channel: &str) -> Option<&ChannelConfig> {
        self.channels
            .iter()
            .find(|c| c.platform == platform && c.channel == channel)
    }

    /// The cluster and namespace a request in `channel` starts from: the channel's lock, or
    /// the configured defaults.
    pub fn context(&self, platform: Platform, channel: &str) -> (String, String) {
        if let Some(ch) = self.channel(platform, channel) {
            return (ch.cluster.clone(), ch.namespace.clone());
        }
        let cluster = self.default_cluster();
        let namespace = self
            .defaults
            .namespace
            .clone()
            .unwrap_or_else(|| cluster.default_namespace.clone());
        (cluster.name.clone(), namespace)
    }

    /// The effective configuration as TOML with secrets redacted (`kubechat check-config`).
    pub fn redacted(&self) -> String {
        #[derive(Serialize)]
        struct Shown<'a> {
            server: &'a ServerConfig,
            ledger: LedgerShown<'a>,
            defaults: &'a Defaults,
            clusters: &'a [ClusterConfig],
            identities: &'a [IdentityConfig],
            channels: &'a [ChannelConfig],
            policy: &'a PolicyConfig,
            #[serde(skip_serializing_if = "Option::is_none")]
            slack: Option<&'a SlackConfig>,
            #[serde(skip_serializing_if = "Option::is_none")]
            matrix: Option<&'a MatrixConfig>,
            llm: &'a LlmConfig,
        }
        #[derive(Serialize)]
        struct LedgerShown<'a> {
            url: String,
            checkpoint: &'a CheckpointConfig,
        }
        let shown = Shown {
            server: &self.server,
            ledger: LedgerShown {
                url: redact_url(self.ledger.url.expose_secret()),
                checkpoint: &self.ledger.checkpoint,
            },
            defaults: &self.defaults,
            clusters: &self.clusters,
            identities: &self.identities,
            channels: &self.channels,
            policy: &self.policy,
            slack: self.slack.as_ref(),
            matrix: self.matrix.as_ref(),
            llm: &self.llm,
        };
        toml::to_string_pretty(&shown).unwrap_or_else(|e| format!("# cannot render config: {e}"))
    }
}

/// Hides the password of a URL (`postgres://kc:secret@db/kc` → `postgres://kc:***@db/kc`).
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let slash = if rest.contains('/') { "/" } else { "" };
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split_once(':').map_or(userinfo, |(u, _)| u);
            format!("{scheme}://{user}:***@{host}{slash}{path}")
        }
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_config_means_one_default_cluster_and_sqlite() {
        let c = Config::parse("").expect("valid");
        assert_eq!(c.clusters.len(), 1);
        assert_eq!(c.default_cluster().name, "default");
        assert_eq!(c.ledger.url.expose_secret(), "sqlite://kubechat.db");
        assert_eq!(c.server.listen, "127.0.0.1:8080");
    }

    #[test]
    fn unknown_keys_are_errors_that_name_the_key() {
        let err = Config::parse("[server]\nlisten = \"0.0.0.0:1\"\nlistne = 3\n")
            .expect_err("typo must fail");
        assert!(err.to_string().contains("listne"), "{err}");
        let err = Config::parse("[[clusters]]\nname = \"a\"\nproduciton = true\n")
            .expect_err("typo must fail");
        assert!(err.to_string().contains("produciton"), "{err}");
    }

    #[test]
    fn channels_must_lock_to_known_clusters() {
        let err = Config::parse(
            "[[channels]]\nplatform = \"slack\"\nchannel = \"C1\"\ncluster = \"nope\"\nnamespace = \"x\"\n",
        )
        .expect_err("unknown cluster");
        assert!(err.to_string().contains("nope"), "{err}");
    }

    #[test]
    fn duplicate_identities_are_rejected() {
        let text = "[[identities]]\nplatform = \"console\"\nuser = \"a\"\nkube_user = \"a\"\n\
                    [[identities]]\nplatform = \"console\"\nuser = \"a\"\nkube_user = \"b\"\n";
        assert!(Config::parse(text).is_err());
    }

    #[test]
    fn a_relative_policy_file_is_found_beside_the_config() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("kubechat.toml");
        std::fs::write(&path, "[policy]\nfile = \"policy.toml\"\n").expect("write");
        let c = Config::load(&path).expect("valid");
        assert_eq!(c.policy.file, Some(dir.path().join("policy.toml")));
        let err = Config::parse("[policy]\nfiel = \"x\"\n").expect_err("typo");
        assert!(err.to_string().contains("fiel"), "{err}");
    }

    #[test]
    fn check_config_output_hides_passwords() {
        let c =
            Config::parse("[ledger]\nurl = \"postgres://kc:hunter2@db:5432/kc\"\n").expect("valid");
        let shown = c.redacted();
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("postgres://kc:***@db:5432/kc"), "{shown}");
    }

    #[test]
    fn redact_url_leaves_urls_without_passwords_alone() {
        assert_eq!(redact_url("sqlite://kubechat.db"), "sqlite://kubechat.db");
        assert_eq!(redact_url("postgres://db/kc"), "postgres://db/kc");
        assert_eq!(redact_url("postgres://u:p@db"), "postgres://u:***@db");
    }
}
