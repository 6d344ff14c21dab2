//! The app loop: inbound message → identity → plan → policy → (read: run and answer) |
//! (write: preview → wait for decisions → execute → resolve), every step in the ledger.
//!
//! [`App::handle_message`] and [`App::decide`] are the two entry points; chat adapters reach
//! them through [`App::run`] (one shared inbox, one outbox per adapter), the CLI calls them
//! directly. Both return a [`Reply`]: exactly what the person sees, plus the ledger entries
//! written on the way.
//!
//! Fail closed: if the ledger cannot record a step of a write (message, preview, approval,
//! intent), the write is refused. Reads still answer, and the failure is logged and counted.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use kubechat_chat::{Outcome, PreviewCard, ThreadRef};
use serde::Serialize;

use crate::actions::{ObjectRef, Plan};
use crate::approval::PlanState;
use crate::clock::Clock;
use crate::config::Config;
use crate::executor::Executor;
use crate::identity::Identities;
use crate::ledger::{EntryKind, Ledger, NewEntry};
use crate::telemetry::Metrics;

mod decide;
mod execute;
mod explain;
mod gate;
mod kinds;
mod labels;
#[cfg(feature = "llm")]
mod llm;
mod outbound;
mod policy;
mod recover;
mod request;
mod supersede;
mod undo;
pub use outbound::run;
pub use policy::{LoadError as PolicyLoadError, load_file as load_policy_file, watch_policy};

/// How a request ended, as scripts see it (`kubechat ask --output json`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// A read was answered.
    Answered,
    /// A write preview is waiting for approval.
    Preview,
    /// An approval was recorded; more are needed.
    Approved,
    /// The approved plan ran.
    Executed,
    /// The approved plan ran and failed.
    Failed,
    /// Refused by identity, policy, RBAC, or a refused decision.
    Denied,
    Aborted,
    Expired,
    /// The planner asked back or could not plan.
    Clarify,
    /// Something went wrong (cluster unreachable, ledger down, unknown plan…).
    Error,
}

impl Status {
    /// Exit code 0 for these; non-zero otherwise.
    pub fn is_success(self) -> bool {
        matches!(
            self,
            Status::Answered | Status::Preview | Status::Approved | Status::Executed
        )
    }
}

/// What a person sees, and what was recorded.
#[derive(Clone, Debug, Serialize)]
pub struct Reply {
    pub status: Status,
    pub plan_id: Option<String>,
    /// Rendered kubectl equivalents of the plan.
    pub kubectl: Vec<String>,
    /// Exactly the text a chat user sees.
    pub reply: String,
    /// Sequence numbers of the ledger entries written for this step.
    pub ledger: Vec<i64>,
    /// The preview card, for platforms that render buttons.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub card: Option<PreviewCard>,
    /// Only the person who acted should see this (refused decisions).
    #[serde(skip)]
    pub ephemeral: bool,
    /// The executed change can be undone (`kubechat undo PLAN_ID`, an Undo button).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub undoable: bool,
    /// Pending plans this preview replaced (their previews are resolved as superseded).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub superseded: Vec<String>,
}

impl Reply {
    fn new(status: Status, reply: impl Into<String>) -> Self {
        Reply {
            status,
            plan_id: None,
            kubectl: Vec::new(),
            reply: reply.into(),
            ledger: Vec::new(),
            card: None,
            ephemeral: false,
            undoable: false,
            superseded: Vec::new(),
        }
    }
}

/// Shared state of the service. Cheap to clone.
#[derive(Clone)]
pub struct App {
    inner: Arc<Inner>,
}

struct Inner {
    config: Config,
    identities: Identities,
    executor: Executor,
    ledger: Ledger,
    clock: Clock,
    metrics: Metrics,
    /// The last object each thread talked about, for follow-ups ("restart it").
    /// Written after every plan; read when planning.
    threads: Mutex<HashMap<ThreadRef, ObjectRef>>,
    /// One lock per plan being decided, so two approvals can't both execute it.
    deciding: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// The policy in force (built-in until a file is loaded; swapped on reload).
    policy: policy::PolicyState,
    /// Namespace labels read for policy, per requester, for a few seconds.
    labels: labels::LabelCache,
    /// The LLM provider chain (`[llm]`), `None` without providers: rules only.
    #[cfg(feature = "llm")]
    llm: Option<crate::llm::Chain>,
}

/// Steps of a request, collected as they are recorded.
struct Trail {
    ids: Vec<i64>,
}

impl App {
    /// Assembles the service from its parts.
    pub fn new(
        config: Config,
        executor: Executor,
        ledger: Ledger,
        clock: Clock,
        metrics: Metrics,
    ) -> App {
        let identities = Identities::new(&config.identities);
        #[cfg(feature = "llm")]
        let llm = crate::llm::Chain::from_config(&config.llm);
        App {
            inner: Arc::new(Inner {
                config,
                identities,
                executor,
                ledger,
                clock,
                metrics,
                threads: Mutex::default(),
                deciding: Mutex::default(),
                policy: policy::PolicyState::default(),
                labels: labels::LabelCache::default(),
                #[cfg(feature = "llm")]
                llm,
            }),
        }
    }

    /// The ledger, for health checks and the CLI.
    pub fn ledger(&self) -> &Ledger {
        &self.inner.ledger
    }

    /// The executor, for health checks.
    pub fn executor(&self) -> &Executor {
        &self.inner.executor
    }

    /// The configuration in force.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The metrics registry.
    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    /// The clock.
    pub fn clock(&self) -> Clock {
        self.inner.clock
    }

    /// Preview TTL for policy rules that set none (`defaults.preview_ttl_minutes`).
    fn default_ttl(&self) -> jiff::SignedDuration {
        jiff::SignedDuration::from_mins(i64::from(self.inner.config.defaults.preview_ttl_minutes))
    }

    /// Appends to the ledger, timing it and counting failures.
    async fn record(
        &self,
        trail: &mut Trail,
        entry: NewEntry,
    ) -> Result<i64, crate::ledger::LedgerError> {
        let started = std::time::Instant::now();
        let kind = entry.kind;
        let result = self.inner.ledger.append(entry).await;
        self.inner
            .metrics
            .ledger_append
            .observe(started.elapsed().as_secs_f64());
        match result {
            Ok(e) => {
                trail.ids.push(e.seq);
                Ok(e.seq)
            }
            Err(err) => {
                self.inner.metrics.ledger_failures.inc();
                tracing::error!(error = %err, kind = kind.as_str(), "ledger append failed");
                Err(err)
            }
        }
    }

    fn entry(
        &self,
        kind: EntryKind,
        actor: &str,
        plan: Option<(&str, &Plan)>,
        payload: serde_json::Value,
    ) -> NewEntry {
        NewEntry {
            time: self.inner.clock.now(),
            actor: actor.to_string(),
            cluster: plan.map(|(_, p)| p.cluster.clone()),
            namespace: plan.and_then(|(_, p)| p.namespaces().first().map(|s| s.to_string())),
            plan_id: plan.map(|(id, _)| id.to_string()),
            kind,
            payload,
        }
    }

    fn plan_lock(&self, plan_id: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut map = self
            .inner
            .deciding
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        map.retain(|_, l| Arc::strong_count(l) > 1);
        map.entry(plan_id.to_string()).or_default().clone()
    }

    /// The channel's lock, or the configured defaults.
    fn context(&self, thread: &ThreadRef) -> (String, String) {
        self.inner.config.context(thread.platform, &thread.channel)
    }

    /// Plans `text` as asked in `thread` (its context lock or the defaults).
    fn plan_in(
        &self,
        thread: &ThreadRef,
        text: &str,
        last_target: Option<&ObjectRef>,
    ) -> crate::planner::Planned {
        let (cluster, namespace) = self.context(thread);
        let clusters: Vec<String> = self
            .inner
            .config
            .clusters
            .iter()
            .map(|c| c.name.clone())
            .collect();
        let ctx = crate::planner::PlanContext {
            cluster: &cluster,
            namespace: &namespace,
            clusters: &clusters,
            last_target,
        };
        crate::planner::plan(text, &ctx)
    }

    /// Routing: the rules first; the LLM (when configured) only for what the rules could not
    /// plan. Without a provider the rule planner's "I couldn't plan that, try …" stands.
    async fn plan_routed(
        &self,
        thread: &ThreadRef,
        person: &crate::identity::Person,
        text: &str,
        last_target: Option<&ObjectRef>,
    ) -> crate::planner::Planned {
        let planned = self.plan_in(thread, text, last_target);
        #[cfg(feature = "llm")]
        if let Some(p) = self
            .llm_route(thread, person, text, last_target, &planned)
            .await
        {
            return p;
        }
        #[cfg(not(feature = "llm"))]
        let _ = person;
        planned
    }

    fn last_target(&self, thread: &ThreadRef) -> Option<ObjectRef> {
        self.inner
            .threads
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(thread)
            .cloned()
    }

    fn remember_target(&self, thread: &ThreadRef, plan: &Plan) {
        if let Some((resource, name)) = plan.actions.iter().find_map(|a| a.target()) {
            let mut threads = self.inner.threads.lock().unwrap_or_else(|p| p.into_inner());
            if threads.len() > 10_000 {
                threads.clear();
            }
            threads.insert(thread.clone(), ObjectRef { resource, name });
        }
    }
}

const LEDGER_DOWN: &str = "The audit ledger cannot be written right now, so I won't change anything \
     (reads still work). An operator can see the cause in kubechat's log.";

fn finish(mut reply: Reply, trail: Trail) -> Reply {
    reply.ledger = trail.ids;
    reply
}

fn with_state(mut reply: Reply, state: &PlanState) -> Reply {
    reply.plan_id = Some(state.plan_id.clone());
    reply.kubectl = state.record.plan.kubectl();
    reply
}

fn digest(text: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// The outcome a settled reply maps to, for adapters.
pub fn outcome(status: Status) -> Option<Outcome> {
    Some(match status {
        Status::Executed => Outcome::Executed,
        Status::Failed => Outcome::Failed,
        Status::Aborted => Outcome::Aborted,
        Status::Expired => Outcome::Expired,
        _ => return None,
    })
}
