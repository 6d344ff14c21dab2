//! The rendered config goes through kubechat's own config loader (what `kubechat check-config`
//! runs), with every Secret the pod mounts materialised as a file.

use std::path::{Path, PathBuf};

use kubechat::config::Config;
use serde_json::json;

use super::checks;
use super::render::{chart_dir, render};

/// A value set under test.
pub struct ValueSet {
    /// File under charts/kubechat/ci/, or none for the chart's defaults.
    pub file: Option<&'static str>,
    /// Whether its config uses only keys that kubechat's config loader on this branch knows.
    /// Sets with `[slack]`, `[matrix]`, `[[llm.providers]]` or ledger checkpoint keys are rendered
    /// and linted, and their config is expected to fail *only* on those keys until the features
    /// land; then the load check below starts failing and says to flip this flag.
    pub loads_here: bool,
}

/// Config keys of features newer than this branch's config loader, as the loader names them
/// ("unknown field `slack`"); the ledger's is `[ledger.checkpoint]`.
const PENDING_KEYS: &[&str] = &["`slack`", "`matrix`", "`llm`", "`checkpoint`"];

impl ValueSet {
    /// The values file, if any.
    pub fn path(&self) -> Option<PathBuf> {
        self.file.map(|f| chart_dir().join("ci").join(f))
    }

    /// How failures name the set.
    pub fn name(&self) -> &'static str {
        self.file.unwrap_or("default values")
    }
}

/// RFC 8032 Ed25519 test vector 1 secret key; its public key is in slack-postgres-values.yaml.
const CHECKPOINT_SEED: &str = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";

/// Renders with the secrets mounted into a temp dir, creates those files, and loads the
/// rendered config (and policy) exactly as `kubechat check-config` would.
pub fn check_config_loads(set: &ValueSet, files: &[&Path]) {
    let dir = tempfile::tempdir().expect("tempdir");
    let secrets = dir.path().join("secrets");
    let over = dir.path().join("override.yaml");
    let mount = json!({ "secretsMountPath": secrets.display().to_string() });
    std::fs::write(&over, mount.to_string()).expect("write override");
    let mut all = files.to_vec();
    all.push(&over);
    let r = render(&all).expect("renders with the override");
    for (file, _, _) in checks::projected_secret_files(&checks::pod_spec(&r)) {
        // The checkpoint key must be a real Ed25519 seed (RFC 8032 test vector 1) to load.
        let value = if file.ends_with("ledger-checkpoint-key") {
            CHECKPOINT_SEED
        } else {
            "canary-secret-value"
        };
        let file = Path::new(&file);
        std::fs::create_dir_all(file.parent().expect("parent")).expect("mkdir");
        std::fs::write(file, format!("{value}\n")).expect("write secret");
    }
    let config_path = dir.path().join("config.toml");
    std::fs::write(&config_path, r.config_toml()).expect("write config");
    let data = &r.one("ConfigMap")["data"];
    if let Some(policy) = data["policy.toml"].as_str() {
        let path = dir.path().join("policy.toml");
        std::fs::write(&path, policy).expect("write policy");
        kubechat::policy::parse(policy, kubechat::policy::Source::File(path))
            .unwrap_or_else(|e| panic!("{}: the rendered policy is invalid: {e}", set.name()));
    }
    match Config::load(&config_path) {
        Ok(config) if set.loads_here => {
            let shown = config.redacted();
            assert!(!shown.contains("canary-secret-value"), "{shown}");
            assert!(!shown.contains(CHECKPOINT_SEED), "{shown}");
            if let Some(policy) = &config.policy.file {
                assert!(policy.exists(), "[policy] file points into the ConfigMap");
            }
        }
        Ok(_) => panic!(
            "{}: the rendered config now loads on this kubechat; set loads_here: true for it in tests/helm_chart.rs",
            set.name()
        ),
        Err(e) if set.loads_here => panic!("{}: rendered config does not load: {e}", set.name()),
        Err(e) => {
            let text = e.to_string();
            assert!(
                text.contains("unknown field") && PENDING_KEYS.iter().any(|k| text.contains(k)),
                "{}: the config should fail only on keys of features not merged yet, got: {text}",
                set.name()
            );
        }
    }
}
