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

use jiff::Timestamp;
use kubechat_chat::{Decision, Inbound, Outcome, PreviewCard, ThreadRef, Verdict};
use serde::Serialize;
use serde_json::json;

use crate::actions::{ObjectRef, Plan, PlanSource};
use crate::approval::{self, ApprovalRecord, PlanState, PreviewRecord, Progress};
use crate::clock::Clock;
use crate::config::Config;
use crate::executor::{Executor, Impersonation};
use crate::identity::{self, Identities, Person};
use crate::ledger::{EntryKind, Ledger, NewEntry};
use crate::planner::{self, PlanContext, Planned};
use crate::policy::{self, Verdict as PolicyVerdict};
use crate::preview;
use crate::redact;
use crate::telemetry::{self, Metrics};

mod outbound;
pub use outbound::run;

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

    /// Handles a chat message end to end (up to a posted preview for writes).
    pub async fn handle_message(&self, msg: &Inbound) -> Reply {
        let platform = msg.thread.platform;
        telemetry::inc(
            &self.inner.metrics.requests,
            &[("platform", platform.as_str())],
        );
        let actor = identity::actor(platform, &msg.user);
        let mut trail = Trail { ids: Vec::new() };
        let logged = self
            .record(
                &mut trail,
                self.entry(
                    EntryKind::Message,
                    &actor,
                    None,
                    json!({"thread": msg.thread, "text": redact::text(&msg.text), "event_id": msg.event_id}),
                ),
            )
            .await
            .is_ok();
        let person = match self.inner.identities.resolve(platform, &msg.user) {
            Ok(p) => p,
            Err(unknown) => {
                tracing::warn!(%actor, "refused unknown user");
                let text = unknown.to_string();
                let _ = self
                    .record(
                        &mut trail,
                        self.entry(
                            EntryKind::Denied,
                            &actor,
                            None,
                            json!({"reason": "unknown user"}),
                        ),
                    )
                    .await;
                return finish(Reply::new(Status::Denied, text), trail);
            }
        };
        let (cluster, namespace) = self.context(&msg.thread);
        let clusters: Vec<String> = self
            .inner
            .config
            .clusters
            .iter()
            .map(|c| c.name.clone())
            .collect();
        let last = self.last_target(&msg.thread);
        let ctx = PlanContext {
            cluster: &cluster,
            namespace: &namespace,
            clusters: &clusters,
            last_target: last.as_ref(),
        };
        let plan = match planner::plan(&msg.text, &ctx) {
            Planned::Plan(plan) => plan,
            Planned::Clarify(text) | Planned::NotUnderstood(text) | Planned::Help(text) => {
                let _ = self
                    .record(
                        &mut trail,
                        self.entry(EntryKind::Clarified, &actor, None, json!({"reply": text})),
                    )
                    .await;
                return finish(Reply::new(Status::Clarify, text), trail);
            }
        };
        self.remember_target(&msg.thread, &plan);
        let reply = self
            .handle_plan(msg, &person, plan, logged, &mut trail)
            .await;
        finish(reply, trail)
    }

    async fn handle_plan(
        &self,
        msg: &Inbound,
        person: &Person,
        plan: Plan,
        logged: bool,
        trail: &mut Trail,
    ) -> Reply {
        let plan_id = preview::new_plan_id();
        let actor = person.actor();
        let source = match &plan.source {
            PlanSource::Rules => "rules",
            PlanSource::Llm { .. } => "llm",
        };
        telemetry::inc(&self.inner.metrics.plans, &[("source", source)]);
        let kubectl = plan.kubectl();
        let with_plan = |mut r: Reply| {
            r.plan_id = Some(plan_id.clone());
            r.kubectl = kubectl.clone();
            r
        };
        let Some(cluster_cfg) = self.inner.config.cluster(&plan.cluster) else {
            return with_plan(Reply::new(
                Status::Error,
                format!("I have no cluster called {:?}.", plan.cluster),
            ));
        };
        let planned = self
            .record(
                trail,
                self.entry(
                    EntryKind::Planned,
                    &actor,
                    Some((&plan_id, &plan)),
                    json!({"plan": plan, "kubectl": kubectl, "text": redact::text(&msg.text)}),
                ),
            )
            .await;
        let ttl = jiff::SignedDuration::from_mins(i64::from(
            self.inner.config.defaults.preview_ttl_minutes,
        ));
        match policy::decide(&plan, cluster_cfg, ttl) {
            PolicyVerdict::Allow => with_plan(self.answer(person, &plan_id, &plan, trail).await),
            PolicyVerdict::Deny(reason) => {
                let _ = self
                    .record(
                        trail,
                        self.entry(
                            EntryKind::Denied,
                            &actor,
                            Some((&plan_id, &plan)),
                            json!({"reason": reason}),
                        ),
                    )
                    .await;
                with_plan(Reply::new(Status::Denied, reason))
            }
            PolicyVerdict::Approve(requirement) => {
                if !logged || planned.is_err() {
                    return with_plan(Reply::new(Status::Error, LEDGER_DOWN));
                }
                let record = match self
                    .build_preview(msg, person, &plan_id, plan.clone(), requirement, trail)
                    .await
                {
                    Ok(record) => record,
                    Err(reply) => return with_plan(reply),
                };
                let card = record.card.clone();
                let payload = serde_json::to_value(&record).unwrap_or_default();
                if self
                    .record(
                        trail,
                        self.entry(
                            EntryKind::Previewed,
                            &actor,
                            Some((&plan_id, &plan)),
                            payload,
                        ),
                    )
                    .await
                    .is_err()
                {
                    return with_plan(Reply::new(Status::Error, LEDGER_DOWN));
                }
                let mut reply = with_plan(Reply::new(Status::Preview, preview::card_text(&card)));
                reply.card = Some(card);
                reply
            }
        }
    }

    /// Runs a read plan and answers.
    async fn answer(
        &self,
        person: &Person,
        plan_id: &str,
        plan: &Plan,
        trail: &mut Trail,
    ) -> Reply {
        let who = Impersonation {
            subject: person.subject.clone(),
            plan_id: plan_id.to_string(),
            approvers: Vec::new(),
        };
        let mut parts = Vec::new();
        for action in &plan.actions {
            match self.inner.executor.read(&plan.cluster, &who, action).await {
                Ok(text) => parts.push(text),
                Err(e) => {
                    tracing::info!(plan_id, error = %e, "read failed");
                    let text = e.to_string();
                    let _ = self
                        .record(
                            trail,
                            self.entry(
                                EntryKind::Answered,
                                &person.actor(),
                                Some((plan_id, plan)),
                                json!({"error": text}),
                            ),
                        )
                        .await;
                    return Reply::new(Status::Error, text);
                }
            }
        }
        let text = parts.join("\n");
        let _ = self
            .record(
                trail,
                self.entry(
                    EntryKind::Answered,
                    &person.actor(),
                    Some((plan_id, plan)),
                    json!({"bytes": text.len(), "sha256": digest(&text)}),
                ),
            )
            .await;
        Reply::new(Status::Answered, text)
    }

    /// Previews every action as the requester and assembles the record to store.
    async fn build_preview(
        &self,
        msg: &Inbound,
        person: &Person,
        plan_id: &str,
        plan: Plan,
        requirement: policy::Requirement,
        trail: &mut Trail,
    ) -> Result<PreviewRecord, Reply> {
        let who = Impersonation {
            subject: person.subject.clone(),
            plan_id: plan_id.to_string(),
            approvers: Vec::new(),
        };
        let mut checks = self.context_warnings(msg, &plan);
        let mut diff = String::new();
        let mut versions = Vec::new();
        for action in &plan.actions {
            match self
                .inner
                .executor
                .preview(&plan.cluster, &who, action)
                .await
            {
                Ok(p) if !p.allowed => {
                    let text = format!(
                        "{} may not {}: {}. Ask for a role that allows it (for example `edit` on the namespace), or ask someone who has it.",
                        person.subject.user,
                        action.describe(),
                        p.rbac
                    );
                    let _ = self
                        .record(
                            trail,
                            self.entry(
                                EntryKind::Denied,
                                &person.actor(),
                                Some((plan_id, &plan)),
                                json!({"reason": "rbac", "rbac": p.rbac}),
                            ),
                        )
                        .await;
                    return Err(Reply::new(Status::Denied, text));
                }
                Ok(p) => {
                    checks.push(p.rbac);
                    checks.extend(p.checks);
                    diff.push_str(&p.diff);
                    versions.push(p.version);
                }
                Err(e) => {
                    let text = e.to_string();
                    let _ = self
                        .record(
                            trail,
                            self.entry(
                                EntryKind::Denied,
                                &person.actor(),
                                Some((plan_id, &plan)),
                                json!({"reason": "preview failed", "error": text}),
                            ),
                        )
                        .await;
                    return Err(Reply::new(Status::Error, text));
                }
            }
        }
        let expires_at = self
            .inner
            .clock
            .now()
            .checked_add(requirement.ttl)
            .unwrap_or(Timestamp::MAX);
        let plan_hash = preview::plan_hash(&plan);
        let card = PreviewCard {
            plan_id: plan_id.to_string(),
            plan_hash: plan_hash.clone(),
            summary: format!("{} asks to {}", person.chat_user, plan.describe()),
            risk: plan.risk(),
            cluster: plan.cluster.clone(),
            kubectl: plan.kubectl(),
            checks,
            diff,
            approvers: requirement.approvers_text(&person.chat_user),
            approvals_needed: requirement.approvals,
            expires_at,
        };
        Ok(PreviewRecord {
            plan,
            plan_hash,
            thread: msg.thread.clone(),
            requester: person.clone(),
            requirement,
            expires_at,
            versions,
            card,
        })
    }

    /// "You are in #payments-prod-eu; this targets cluster staging-us."
    fn context_warnings(&self, msg: &Inbound, plan: &Plan) -> Vec<String> {
        let Some(lock) = self
            .inner
            .config
            .channel(msg.thread.platform, &msg.thread.channel)
        else {
            return Vec::new();
        };
        let name = lock.name.clone().unwrap_or_else(|| lock.channel.clone());
        let mut out = Vec::new();
        if plan.cluster != lock.cluster {
            out.push(format!(
                "context: you are in {name} (cluster {}); this targets cluster {}",
                lock.cluster, plan.cluster
            ));
        }
        for ns in plan.namespaces() {
            if ns != lock.namespace {
                out.push(format!(
                    "context: you are in {name} (namespace {}); this targets namespace {ns}",
                    lock.namespace
                ));
            }
        }
        out
    }

    /// Handles Approve / Abort on a pending plan.
    pub async fn decide(&self, d: &Decision) -> Reply {
        let mut trail = Trail { ids: Vec::new() };
        let actor = identity::actor(d.thread.platform, &d.user);
        let verdict = match d.verdict {
            Verdict::Approve => "approve",
            Verdict::Abort => "abort",
        };
        let lock = self.plan_lock(&d.plan_id);
        let _guard = lock.lock().await;
        let entries = match self.inner.ledger.plan_entries(&d.plan_id).await {
            Ok(e) => e,
            Err(e) => {
                tracing::error!(error = %e, "cannot read the ledger for a decision");
                return finish(Reply::new(Status::Error, LEDGER_DOWN), trail);
            }
        };
        let Some(state) = approval::fold(&d.plan_id, &entries) else {
            let mut r = Reply::new(
                Status::Error,
                format!("There is no preview with plan id {}.", d.plan_id),
            );
            r.ephemeral = true;
            return finish(r, trail);
        };
        let plan = &state.record.plan;
        let refuse = |this: &App, reason: String| {
            this.entry(
                EntryKind::Refused,
                &actor,
                Some((&d.plan_id, plan)),
                json!({"verdict": verdict, "reason": reason, "event_id": d.event_id}),
            )
        };
        if state.event_ids.iter().any(|id| id == &d.event_id) {
            let mut r = Reply::new(Status::Denied, "This decision was already recorded.");
            r.ephemeral = true;
            return finish(with_state(r, &state), trail);
        }
        let person = match self.inner.identities.resolve(d.thread.platform, &d.user) {
            Ok(p) => p,
            Err(unknown) => {
                let entry = refuse(self, unknown.to_string());
                return self.refused(entry, verdict, &state, trail).await;
            }
        };
        let now = self.inner.clock.now();
        let checked = match d.verdict {
            Verdict::Abort => approval::check_abort(&state, now).map(|()| None),
            Verdict::Approve => {
                approval::check_approval(&state, &person, d.plan_hash.as_deref(), now).map(Some)
            }
        };
        let progress = match checked {
            Ok(p) => p,
            Err(refusal) => {
                let entry = refuse(self, refusal.to_string());
                return self.refused(entry, verdict, &state, trail).await;
            }
        };
        self.count_decision(verdict, "accepted");
        let reply = match progress {
            None => self.abort(&state, &person, &d.event_id, &mut trail).await,
            Some(progress) => {
                self.approve(state.clone(), &person, &d.event_id, progress, &mut trail)
                    .await
            }
        };
        finish(with_state(reply, &state), trail)
    }

    async fn abort(
        &self,
        state: &PlanState,
        person: &Person,
        event_id: &str,
        trail: &mut Trail,
    ) -> Reply {
        let plan = &state.record.plan;
        let entry = self.entry(
            EntryKind::Aborted,
            &person.actor(),
            Some((&state.plan_id, plan)),
            json!({"by": person.actor(), "event_id": event_id}),
        );
        if self.record(trail, entry).await.is_err() {
            return Reply::new(Status::Error, LEDGER_DOWN);
        }
        Reply::new(
            Status::Aborted,
            format!("Aborted by {}. Nothing was changed.", person.chat_user),
        )
    }

    async fn approve(
        &self,
        mut state: PlanState,
        person: &Person,
        event_id: &str,
        progress: Progress,
        trail: &mut Trail,
    ) -> Reply {
        let approval = ApprovalRecord {
            approver: person.clone(),
            plan_hash: state.record.plan_hash.clone(),
            event_id: event_id.to_string(),
        };
        let entry = self.entry(
            EntryKind::Approved,
            &person.actor(),
            Some((&state.plan_id, &state.record.plan)),
            serde_json::to_value(&approval).unwrap_or_default(),
        );
        if self.record(trail, entry).await.is_err() {
            return Reply::new(Status::Error, LEDGER_DOWN);
        }
        state.approvals.push(approval);
        match progress {
            Progress::NeedMore(n) => Reply::new(
                Status::Approved,
                format!(
                    "Approved by {}; {n} more approval{} needed.",
                    person.chat_user,
                    if n == 1 { "" } else { "s" }
                ),
            ),
            Progress::Ready => self.execute(&state, trail).await,
        }
    }

    /// Runs an approved plan as the requester, approvers in Impersonate-Extra.
    async fn execute(&self, state: &PlanState, trail: &mut Trail) -> Reply {
        let rec = &state.record;
        let plan = &rec.plan;
        let approvers: Vec<String> = state
            .approvals
            .iter()
            .map(|a| a.approver.subject.user.clone())
            .collect();
        let by: Vec<String> = state
            .approvals
            .iter()
            .map(|a| a.approver.chat_user.clone())
            .collect();
        let who = Impersonation {
            subject: rec.requester.subject.clone(),
            plan_id: state.plan_id.clone(),
            approvers,
        };
        let intent = self.entry(
            EntryKind::Executing,
            "kubechat",
            Some((&state.plan_id, plan)),
            json!({"impersonated": who.subject, "extras": who.extras(), "approvers": who.approvers}),
        );
        if self.record(trail, intent).await.is_err() {
            return Reply::new(Status::Error, LEDGER_DOWN);
        }
        let started = tokio::time::Instant::now();
        let mut done = Vec::new();
        for (i, action) in plan.actions.iter().enumerate() {
            let version = rec.versions.get(i).and_then(|v| v.as_deref());
            match self
                .inner
                .executor
                .execute(&plan.cluster, &who, action, version)
                .await
            {
                Ok(text) => done.push(text),
                Err(e) => {
                    let text = e.to_string();
                    let ms = started.elapsed().as_millis();
                    let _ = self
                        .record(
                            trail,
                            self.entry(
                                EntryKind::Failed,
                                "kubechat",
                                Some((&state.plan_id, plan)),
                                json!({"error": text, "done": done, "duration_ms": ms}),
                            ),
                        )
                        .await;
                    telemetry::inc(&self.inner.metrics.executions, &[("result", "failed")]);
                    let mut reply = format!("Approved by {}, but it failed: {text}", by.join(", "));
                    if !done.is_empty() {
                        reply.push_str(&format!(
                            "\nAlready done before the failure:\n{}",
                            done.join("\n")
                        ));
                    }
                    return Reply::new(Status::Failed, reply);
                }
            }
        }
        let ms = started.elapsed().as_millis();
        let recorded = self
            .record(
                trail,
                self.entry(
                    EntryKind::Executed,
                    "kubechat",
                    Some((&state.plan_id, plan)),
                    json!({"results": done, "duration_ms": ms}),
                ),
            )
            .await;
        telemetry::inc(&self.inner.metrics.executions, &[("result", "executed")]);
        let mut text = format!("Approved by {}. {}", by.join(", "), done.join("\n"));
        if recorded.is_err() {
            text.push_str("\n(Warning: the result could not be written to the audit ledger; an operator has been alerted in kubechat's log.)");
        }
        Reply::new(Status::Executed, text)
    }

    /// Expires a pending plan whose preview has run out. `None` if it is no longer pending or
    /// not yet due.
    pub async fn expire(&self, plan_id: &str) -> Option<(ThreadRef, Reply)> {
        let lock = self.plan_lock(plan_id);
        let _guard = lock.lock().await;
        let entries = self.inner.ledger.plan_entries(plan_id).await.ok()?;
        let state = approval::fold(plan_id, &entries)?;
        if state.stage != approval::Stage::Pending
            || self.inner.clock.now() < state.record.expires_at
        {
            return None;
        }
        let mut trail = Trail { ids: Vec::new() };
        let entry = self.entry(
            EntryKind::Expired,
            "kubechat",
            Some((plan_id, &state.record.plan)),
            json!({"expires_at": state.record.expires_at}),
        );
        self.record(&mut trail, entry).await.ok()?;
        let reply = Reply::new(
            Status::Expired,
            format!(
                "Expired: plan {plan_id} got {} of {} approvals before {}. Nothing was changed; ask again for a fresh preview.",
                approval::valid_approvals(&state),
                state.record.requirement.approvals,
                state.record.expires_at
            ),
        );
        Some((
            state.record.thread.clone(),
            finish(with_state(reply, &state), trail),
        ))
    }

    /// Plans still waiting for decisions, with their expiry (for timers after a restart).
    pub async fn pending(&self) -> Vec<(String, Timestamp)> {
        let Ok(ids) = self.inner.ledger.open_plans().await else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for id in ids {
            if let Ok(entries) = self.inner.ledger.plan_entries(&id).await
                && let Some(s) = approval::fold(&id, &entries)
                && s.stage == approval::Stage::Pending
            {
                out.push((id, s.record.expires_at));
            }
        }
        out
    }

    /// Records a refused decision and answers only the person who tried.
    async fn refused(
        &self,
        entry: NewEntry,
        verdict: &str,
        state: &PlanState,
        mut trail: Trail,
    ) -> Reply {
        let text = entry.payload["reason"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let _ = self.record(&mut trail, entry).await;
        self.count_decision(verdict, "refused");
        let mut r = Reply::new(Status::Denied, text);
        r.ephemeral = true;
        finish(with_state(r, state), trail)
    }

    fn count_decision(&self, verdict: &str, result: &str) {
        telemetry::inc(
            &self.inner.metrics.decisions,
            &[("verdict", verdict), ("result", result)],
        );
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
        let config = &self.inner.config;
        if let Some(ch) = config.channel(thread.platform, &thread.channel) {
            return (ch.cluster.clone(), ch.namespace.clone());
        }
        let cluster = config.default_cluster();
        let namespace = config
            .defaults
            .namespace
            .clone()
            .unwrap_or_else(|| cluster.default_namespace.clone());
        (cluster.name.clone(), namespace)
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
