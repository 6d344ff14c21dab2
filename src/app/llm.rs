//! The LLM hooks in the request path (feature `llm`): routing what the rules could not plan to
//! the model, and explaining a diagnosis. Whatever the model proposes becomes an ordinary
//! [`Plan`] (source `llm`, with provider, model and latency, recorded in the ledger's "planned"
//! entry) and takes exactly the rule plan's path: context lock, policy, preview, approval.

use kubechat_chat::{Inbound, ThreadRef};

use super::{App, Reply, Status, Trail};
use crate::actions::{Action, ObjectRef, Output, Plan, PlanSource, Scope};
use crate::executor::Impersonation;
use crate::identity::Person;
use crate::llm::validate::Grounding;
use crate::llm::{self, LlmPlanned};
use crate::planner::Planned;

/// Kinds whose names are listed for the model (the usual targets), in this order.
const GROUNDING_KINDS: [&str; 3] = ["deployments", "statefulsets", "pods"];

impl App {
    /// Plans with the model when the rules could not; `None` keeps the rules' answer.
    pub(super) async fn llm_route(
        &self,
        thread: &ThreadRef,
        person: &Person,
        text: &str,
        last: Option<&ObjectRef>,
        rules: &Planned,
    ) -> Option<Planned> {
        let chain = self.inner.llm.as_ref()?;
        if !crate::planner::wants_model(rules) {
            return None;
        }
        let (cluster, namespace) = self.context(thread);
        let g = self.grounding(person, &cluster, &namespace).await;
        let last = last.map(|o| (o.resource.as_str(), o.name.as_str()));
        let out = match llm::plan(chain, text, &g, last).await {
            LlmPlanned::Plan {
                actions,
                completion,
                attempts,
                ..
            } => {
                tracing::info!(provider = %completion.provider, model = %completion.model,
                    latency_ms = completion.latency_ms, attempts, "LLM planned");
                Planned::Plan(Plan {
                    cluster,
                    actions,
                    source: PlanSource::Llm {
                        provider: completion.provider,
                        model: completion.model,
                        latency_ms: completion.latency_ms,
                    },
                    explicit_cluster: false,
                    explicit_namespace: false,
                })
            }
            LlmPlanned::Clarify { question, .. } => Planned::Clarify(question),
            LlmPlanned::Refuse { reason, .. } => Planned::NotUnderstood(reason),
            LlmPlanned::Rephrase { errors } => Planned::Clarify(format!(
                "I couldn't turn that into a valid plan ({}). Could you rephrase it, naming the object and namespace? e.g. \"restart deployment payment-api in payments\".",
                errors.join("; ")
            )),
            LlmPlanned::Unavailable { error } => {
                tracing::warn!(%error, "no LLM provider answered; keeping the rules' reply");
                return None;
            }
        };
        Some(out)
    }

    /// Facts for the model: where it acts and the names of likely targets, read as the
    /// requester (so the model never learns a name the person could not list), bounded.
    async fn grounding(&self, person: &Person, cluster: &str, namespace: &str) -> Grounding {
        let who = Impersonation {
            subject: person.subject.clone(),
            plan_id: "llm-grounding".into(),
            approvers: Vec::new(),
        };
        let max = self.inner.config.llm.max_object_names;
        let mut names = Vec::new();
        for resource in GROUNDING_KINDS {
            let list = Action::Get {
                resource: resource.into(),
                name: None,
                scope: Scope::Namespace(namespace.into()),
                selector: None,
                field_selector: None,
                output: Output::Name,
            };
            match self.inner.executor.read(cluster, &who, &list).await {
                Ok(text) => {
                    for line in text.lines() {
                        if let Some((_, name)) = line.split_once('/')
                            && names.len() < max
                        {
                            names.push((resource.to_string(), name.trim().to_string()));
                        }
                    }
                }
                Err(e) => tracing::debug!(resource, error = %e, "no names for the LLM"),
            }
        }
        Grounding {
            cluster: cluster.into(),
            namespace: namespace.into(),
            names,
        }
    }

    /// After a diagnosis read: the model explains the evidence; a suggested write is previewed
    /// as its own plan. `None` keeps the rules' diagnosis (no model, not a diagnosis, or the
    /// model failed).
    pub(super) async fn llm_followup(
        &self,
        msg: &Inbound,
        person: &Person,
        plan: &Plan,
        reply: &Reply,
        logged: bool,
        trail: &mut Trail,
    ) -> Option<Reply> {
        let chain = self.inner.llm.as_ref()?;
        let [Action::Diagnose { name, namespace }] = plan.actions.as_slice() else {
            return None;
        };
        if reply.status != Status::Answered {
            return None;
        }
        let evidence = self
            .evidence(person, plan, &reply.reply, namespace, name)
            .await;
        let g = self.grounding(person, &plan.cluster, namespace).await;
        let d = match llm::diagnose::diagnose(chain, &msg.text, &evidence, &g).await {
            Ok(d) => d,
            Err(e) => {
                tracing::warn!(error = %e, "LLM diagnosis failed; keeping the rules' diagnosis");
                return None;
            }
        };
        let text = format!("{}\n\n{}", d.render(), reply.reply);
        let next = d.next.clone().filter(Action::is_write);
        let Some(next) = next else {
            let mut r = Reply::new(Status::Answered, text);
            r.plan_id = reply.plan_id.clone();
            r.kubectl = reply.kubectl.clone();
            return Some(r);
        };
        let suggested = Plan {
            cluster: plan.cluster.clone(),
            actions: vec![next],
            source: PlanSource::Llm {
                provider: d.completion.provider.clone(),
                model: d.completion.model.clone(),
                latency_ms: d.completion.latency_ms,
            },
            explicit_cluster: false,
            explicit_namespace: false,
        };
        let mut preview =
            Box::pin(self.handle_plan(msg, person, suggested, logged, None, trail)).await;
        preview.reply = format!("{text}\n\n{}", preview.reply);
        Some(preview)
    }

    /// The executor's diagnosis plus the last log lines of the pod it examined.
    async fn evidence(
        &self,
        person: &Person,
        plan: &Plan,
        diagnosis: &str,
        namespace: &str,
        name: &str,
    ) -> String {
        // The executor names the pod it examined: "Evidence (pod NAME in NS, …".
        let pod = diagnosis
            .split_once("Evidence (pod ")
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .unwrap_or(name)
            .to_string();
        let who = Impersonation {
            subject: person.subject.clone(),
            plan_id: "llm-evidence".into(),
            approvers: Vec::new(),
        };
        let logs = Action::Logs {
            pod,
            namespace: namespace.into(),
            container: None,
            tail: Some(30),
            since_seconds: None,
            previous: false,
        };
        match self.inner.executor.read(&plan.cluster, &who, &logs).await {
            Ok(lines) => format!("{diagnosis}\n\nLast log lines:\n{lines}"),
            Err(e) => format!("{diagnosis}\n\n(no logs: {e})"),
        }
    }
}

impl App {
    /// The model's plain-words explanation of a pending plan, if a model is configured and
    /// answers.
    pub(super) async fn llm_explain(&self, plan: &Plan) -> Option<String> {
        let chain = self.inner.llm.as_ref()?;
        let prompt = llm::prompt::explain_prompt(&plan.describe(), &plan.kubectl());
        match chain
            .complete(&prompt, llm::schema::parse::<llm::schema::ExplanationDto>)
            .await
        {
            Ok((dto, done)) => Some(format!(
                "{} (explained by {} / {})",
                dto.explanation.trim(),
                done.provider,
                done.model
            )),
            Err(e) => {
                tracing::warn!(error = %e, "LLM explanation failed; plain description only");
                None
            }
        }
    }
}
