//! kubechat: chat-ops for Kubernetes.
//!
//! Module map (a newcomer reads `docs/architecture.md` first, then `app.rs`):
//! - [`actions`]: the typed actions and their kubectl rendering — the only things that run.
//! - [`kinds`]: built-in resource kinds and short names.
//! - [`planner`]: text → plan (rules; LLM later), pure.
//! - [`ledger`]: the append-only, hash-chained audit ledger.

pub mod actions;
pub mod kinds;
pub mod ledger;
pub mod planner;
