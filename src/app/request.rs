//! From a message to an answer or a posted preview: identity, plan, context lock, policy,
//! then a read run at once or a write previewed as the requester (access review, dry run,
//! diff), with the policy's CEL conditions checked against the dry-run result.

use kubechat_chat::Inbound;
use serde_json::json;

use super::gate::Gate;
use super::{App, LEDGER_DOWN, Reply, Status, Trail, digest, finish};
use crate::actions::{Plan, PlanSource};
use crate::approval::PreviewRecord;
use crate::executor::Impersonation;
use crate::identity::{self, Person};
use crate::ledger::EntryKind;
use crate::planner::Planned;
use crate::policy::breakglass::{self, BreakGlass};
use crate::policy::{self, Verdict as PolicyVerdict};
use crate::preview;
use crate::redact;
use crate::telemetry;

impl App {
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
        let person = match self
            .inner
            .identities
            .resolve(platform, &msg.user, msg.email.as_deref())
        {
            Ok(p) => p,
            Err(unknown) => return self.refuse_unknown(&actor, unknown, trail).await,
        };
        if let Some(q) = super::explain::question(&msg.text) {
            let reply = self.answer_question(msg, &person, q, &mut trail).await;
            return finish(reply, trail);
        }
        let (text, break_glass) = match breakglass::split(&msg.text) {
            (t, BreakGlass::None) => (t, None),
            (t, BreakGlass::Reason(r)) => (t, Some(r)),
            (_, BreakGlass::MissingReason) => {
                let text = breakglass::MISSING_REASON;
                let _ = self
                    .record(
                        &mut trail,
                        self.entry(EntryKind::Clarified, &actor, None, json!({"reply": text})),
                    )
                    .await;
                return finish(Reply::new(Status::Clarify, text), trail);
            }
        };
        let last = self.last_target(&msg.thread);
        let plan = match self
            .plan_routed(&msg.thread, &person, &text, last.as_ref())
            .await
        {
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
            .handle_plan(msg, &person, plan, logged, break_glass, &mut trail)
            .await;
        finish(reply, trail)
    }

    pub(super) async fn handle_plan(
        &self,
        msg: &Inbound,
        person: &Person,
        plan: Plan,
        logged: bool,
        break_glass: Option<String>,
        trail: &mut Trail,
    ) -> Reply {
        let plan = match self.qualify_kinds(plan, person, trail).await {
            Ok(plan) => plan,
            Err(reply) => return reply,
        };
        let plan_id = preview::new_plan_id();
        let actor = person.actor();
        let source = match &plan.source {
            PlanSource::Rules => "rules",
            PlanSource::Llm { .. } => "llm",
            PlanSource::Undo { .. } => "undo",
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
                    json!({"plan": plan, "kubectl": kubectl, "text": redact::text(&msg.text),
                           "break_glass": break_glass}),
                ),
            )
            .await;
        let lock = self
            .inner
            .config
            .channel(msg.thread.platform, &msg.thread.channel);
        let highlights = match policy::context::check(lock, &plan) {
            Ok(c) => c.highlights,
            Err(text) => {
                let why = json!({"reason": "context lock", "text": text});
                return with_plan(self.deny(person, &plan_id, &plan, why, text, trail).await);
            }
        };
        let labels = self.labels_for(person, &plan_id, &plan).await;
        let eval = policy::evaluate(
            &self.policy(),
            &policy::Request {
                plan: &plan,
                requester: &person.subject,
                cluster: cluster_cfg,
                labels: &labels,
                now: self.inner.clock.now(),
                break_glass: break_glass.as_deref(),
                default_ttl: self.default_ttl(),
            },
        );
        let gate = Gate {
            highlights,
            conditions: eval.conditions,
            break_glass,
        };
        match eval.verdict {
            PolicyVerdict::Allow => {
                let objects = vec![(None, None); plan.actions.len()];
                if let Err(r) = self
                    .conditions(person, &plan_id, &plan, &gate, &objects, trail)
                    .await
                {
                    return with_plan(r);
                }
                let mut reply = self.answer(person, &plan_id, &plan, trail).await;
                // With a model configured, a diagnosis is explained and its suggested next
                // step previewed as a plan of its own (a new plan id, policy and approval).
                #[cfg(feature = "llm")]
                if let Some(r) = self
                    .llm_followup(msg, person, &plan, &reply, logged, trail)
                    .await
                {
                    return r;
                }
                if !gate.highlights.is_empty() {
                    reply.reply = format!("{}\n{}", gate.highlights.join("\n"), reply.reply);
                }
                with_plan(reply)
            }
            PolicyVerdict::Deny(reason) => {
                let why = json!({"reason": reason, "rules": eval.actions.iter().map(|a| a.rules.len()).sum::<usize>()});
                with_plan(self.deny(person, &plan_id, &plan, why, reason, trail).await)
            }
            PolicyVerdict::Approve(mut requirement) => {
                if !logged || planned.is_err() {
                    return with_plan(Reply::new(Status::Error, LEDGER_DOWN));
                }
                // The second, independent production check (config only): see `approval`.
                requirement.production |= policy::is_production(cluster_cfg, &plan);
                with_plan(
                    self.preview_write(msg, person, &plan_id, plan, requirement, gate, trail)
                        .await,
                )
            }
        }
    }

    /// Records a refusal and answers it.
    /// An unmapped chat user: recorded as a denial, answered with how to get access.
    pub(super) async fn refuse_unknown(
        &self,
        actor: &str,
        unknown: identity::Unknown,
        mut trail: Trail,
    ) -> Reply {
        tracing::warn!(%actor, "refused unknown user");
        let entry = self.entry(
            EntryKind::Denied,
            actor,
            None,
            json!({"reason": "unknown user"}),
        );
        let _ = self.record(&mut trail, entry).await;
        finish(Reply::new(Status::Denied, unknown.to_string()), trail)
    }

    pub(super) async fn deny(
        &self,
        person: &Person,
        plan_id: &str,
        plan: &Plan,
        payload: serde_json::Value,
        text: String,
        trail: &mut Trail,
    ) -> Reply {
        let _ = self
            .record(
                trail,
                self.entry(
                    EntryKind::Denied,
                    &person.actor(),
                    Some((plan_id, plan)),
                    payload,
                ),
            )
            .await;
        Reply::new(Status::Denied, text)
    }

    /// Previews a write, records the preview and replaces older plans it supersedes.
    #[allow(clippy::too_many_arguments)]
    async fn preview_write(
        &self,
        msg: &Inbound,
        person: &Person,
        plan_id: &str,
        plan: Plan,
        requirement: policy::Requirement,
        gate: Gate,
        trail: &mut Trail,
    ) -> Reply {
        let record = match self
            .build_preview(msg, person, plan_id, plan, requirement, gate, trail)
            .await
        {
            Ok(record) => record,
            Err(reply) => return reply,
        };
        let card = record.card.clone();
        let payload = serde_json::to_value(&record).unwrap_or_default();
        let entry = self.entry(
            EntryKind::Previewed,
            &person.actor(),
            Some((plan_id, &record.plan)),
            payload,
        );
        if self.record(trail, entry).await.is_err() {
            return Reply::new(Status::Error, LEDGER_DOWN);
        }
        let superseded = self.supersede(plan_id, &record, trail).await;
        let mut text = preview::card_text(&card);
        for old in &superseded {
            text.push_str(&format!(
                "\n(This replaces plan {old}, which can no longer be approved.)"
            ));
        }
        let mut reply = Reply::new(Status::Preview, text);
        reply.card = Some(card);
        reply.superseded = superseded;
        reply
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
    #[allow(clippy::too_many_arguments)]
    async fn build_preview(
        &self,
        msg: &Inbound,
        person: &Person,
        plan_id: &str,
        plan: Plan,
        requirement: policy::Requirement,
        gate: Gate,
        trail: &mut Trail,
    ) -> Result<PreviewRecord, Reply> {
        let who = Impersonation {
            subject: person.subject.clone(),
            plan_id: plan_id.to_string(),
            approvers: Vec::new(),
        };
        let mut checks = gate.highlights.clone();
        if let Some(why) = &gate.break_glass {
            checks.push(format!("⚠ BREAK-GLASS by {}: {why}", person.chat_user));
        }
        checks.push(format!("policy: {}", requirement.reason));
        let mut diff = String::new();
        let mut versions = Vec::new();
        let mut objects = Vec::new();
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
                    let payload = json!({"reason": "rbac", "rbac": p.rbac});
                    return Err(self
                        .deny(person, plan_id, &plan, payload, text, trail)
                        .await);
                }
                Ok(p) => {
                    checks.push(p.rbac);
                    checks.extend(p.checks);
                    diff.push_str(&p.diff);
                    versions.push(p.version);
                    objects.push((p.live, p.planned));
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
        checks.extend(
            self.conditions(person, plan_id, &plan, &gate, &objects, trail)
                .await?,
        );
        Ok(self.record_for(
            msg,
            person,
            plan_id,
            plan,
            requirement,
            &gate,
            checks,
            diff,
            versions,
        ))
    }
}
