//! From a message to an answer or a posted preview: identity, plan, policy, then a read run
//! at once or a write previewed as the requester (access review, dry run, diff).

use jiff::Timestamp;
use kubechat_chat::{Inbound, PreviewCard};
use serde_json::json;

use super::{App, LEDGER_DOWN, Reply, Status, Trail, digest, finish};
use crate::actions::{Plan, PlanSource};
use crate::approval::PreviewRecord;
use crate::executor::Impersonation;
use crate::identity::{self, Person};
use crate::ledger::EntryKind;
use crate::planner::{self, PlanContext, Planned};
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
}
