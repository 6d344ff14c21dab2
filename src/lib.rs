//! kubechat: chat-ops for Kubernetes.
//!
//! Module map (a newcomer reads `docs/architecture.md` first, then `app.rs`):
//! - [`actions`]: the typed actions and their kubectl rendering — the only things that run.
//! - [`kinds`]: built-in resource kinds and short names.
//! - [`planner`]: text → plan (rules), pure.
//! - [`identity`]: chat users → Kubernetes subjects.
//! - [`policy`]: rules, change windows, CEL conditions → allow / N approvals / deny, pure.
//! - [`approval`]: the approval state machine, folded from the ledger, pure.
//! - [`executor`]: runs actions through the Kubernetes API as the requester.
//! - [`ledger`]: the append-only, hash-chained audit ledger.
//! - [`undo`]: the inverse of an executed plan, from its captured prior state, pure.
//! - `llm` (feature `llm`, on by default): the LLM planner — providers, schema, validation.
//! - [`redact`], [`suggest`], [`clock`]: small pure helpers.
//! - [`config`]: the TOML configuration.
//! - [`eval`]: `kubechat eval`, planner accuracy and latency over a dataset.

pub mod actions;
pub mod app;
pub mod approval;
pub mod cli;
pub mod clock;
pub mod config;
pub mod eval;
pub mod executor;
pub mod identity;
pub mod kinds;
pub mod ledger;
#[cfg(feature = "llm")]
pub mod llm;
pub mod planner;
pub mod policy;
pub mod preview;
pub mod redact;
pub mod serve;
pub mod shutdown;
pub mod suggest;
pub mod telemetry;
pub mod undo;
pub mod web;
