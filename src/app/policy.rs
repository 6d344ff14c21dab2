//! The policy in force, and its reload: on a change of the file (polled, by content) and on
//! SIGHUP. A policy that fails to load or validate is logged and counted
//! (`kubechat_policy_reloads_total{result="error"}`) and the last good one stays in force,
//! so a typo in a live edit never loosens — or breaks — approvals.
//!
//! The file is polled by content hash every [`POLL`] rather than watched with inotify: a
//! Kubernetes ConfigMap volume swaps a symlink, which inotify watches on the file itself miss,
//! and a 2-second read of a small file costs nothing.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use sha2::{Digest, Sha256};
use tokio::sync::watch;

use super::App;
use crate::policy::{self, Policy, PolicyError, Source};
use crate::telemetry;

/// How often the policy file is checked for changes.
pub const POLL: Duration = Duration::from_secs(2);

/// The policy in force and where it comes from. Written by [`App::reload_policy`] (the
/// watcher task, SIGHUP, start-up); read by every request and decision.
pub(super) struct PolicyState {
    current: RwLock<Arc<Policy>>,
    file: Mutex<Option<PathBuf>>,
    /// SHA-256 of the file text last loaded (good or bad), so an unchanged file is not
    /// re-parsed or re-reported every poll.
    seen: Mutex<Option<[u8; 32]>>,
}

impl Default for PolicyState {
    fn default() -> Self {
        PolicyState {
            current: RwLock::new(Arc::new(policy::builtin())),
            file: Mutex::default(),
            seen: Mutex::default(),
        }
    }
}

/// Why a policy file could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read policy file {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid policy file {0}")]
    Invalid(#[from] PolicyError),
}

/// Reads and validates a policy file.
pub fn load_file(path: &Path) -> Result<Policy, LoadError> {
    let text = std::fs::read_to_string(path).map_err(|source| LoadError::Read {
        path: path.to_owned(),
        source,
    })?;
    Ok(policy::parse(&text, Source::File(path.to_owned()))?)
}

impl App {
    /// The policy in force (a snapshot: a reload does not change it under a running request).
    pub fn policy(&self) -> Arc<Policy> {
        self.inner
            .policy
            .current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Puts a policy in force (tests, and the CLI with an explicit file).
    pub fn set_policy(&self, policy: Policy) {
        *self
            .inner
            .policy
            .current
            .write()
            .unwrap_or_else(|p| p.into_inner()) = Arc::new(policy);
    }

    /// Loads the policy from `path` now and keeps watching that file. An error leaves the
    /// policy in force unchanged.
    pub fn use_policy_file(&self, path: &Path) -> Result<(), LoadError> {
        *self
            .inner
            .policy
            .file
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = Some(path.to_owned());
        *self
            .inner
            .policy
            .seen
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = None;
        self.reload_policy().map(|_| ())
    }

    /// Re-reads the policy file if it changed. `Ok(true)`: a new policy is in force;
    /// `Ok(false)`: nothing to do. Errors are logged and counted, and keep the last good one.
    pub fn reload_policy(&self) -> Result<bool, LoadError> {
        let Some(path) = self
            .inner
            .policy
            .file
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
        else {
            return Ok(false);
        };
        let result = std::fs::read_to_string(&path)
            .map_err(|source| LoadError::Read {
                path: path.clone(),
                source,
            })
            .and_then(|text| {
                let digest: [u8; 32] = Sha256::digest(text.as_bytes()).into();
                let mut seen = self
                    .inner
                    .policy
                    .seen
                    .lock()
                    .unwrap_or_else(|p| p.into_inner());
                if *seen == Some(digest) {
                    return Ok(None);
                }
                *seen = Some(digest);
                Ok(Some(policy::parse(&text, Source::File(path.clone()))?))
            });
        match result {
            Ok(None) => Ok(false),
            Ok(Some(p)) => {
                tracing::info!(file = %path.display(), rules = p.rules.len(), windows = p.windows.len(), "policy loaded");
                telemetry::inc(&self.inner.metrics.policy_reloads, &[("result", "ok")]);
                self.set_policy(p);
                Ok(true)
            }
            Err(e) => {
                tracing::error!(error = %e, "policy reload failed; the last good policy stays in force");
                telemetry::inc(&self.inner.metrics.policy_reloads, &[("result", "error")]);
                Err(e)
            }
        }
    }
}

/// Reloads the policy file when it changes and on SIGHUP, until `shutdown` flips.
pub async fn watch_policy(app: App, mut shutdown: watch::Receiver<bool>) {
    #[cfg(unix)]
    let mut hup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok();
    let mut tick = tokio::time::interval(POLL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        #[cfg(unix)]
        let hangup = async {
            match hup.as_mut() {
                Some(s) => s.recv().await,
                None => std::future::pending().await,
            }
        };
        #[cfg(not(unix))]
        let hangup = std::future::pending::<Option<()>>();
        tokio::select! {
            _ = tick.tick() => {}
            Some(()) = hangup => {
                tracing::info!("SIGHUP: reloading the policy");
                // Force a re-parse even if the content is unchanged, so SIGHUP always
                // reports the file's state.
                *app.inner.policy.seen.lock().unwrap_or_else(|p| p.into_inner()) = None;
            }
            _ = shutdown.changed() => return,
        }
        let _ = app.reload_policy();
    }
}
