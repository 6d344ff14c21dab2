//! What the gate (context lock and policy) hands to a write preview, the policy's CEL
//! conditions checked against the dry-run objects, and the preview record assembled from it.

use jiff::Timestamp;
use kubechat_chat::{Inbound, PreviewCard};
use serde_json::json;

use super::{App, Reply, Trail};
use crate::actions::Plan;
use crate::approval::PreviewRecord;
use crate::identity::Person;
use crate::policy;
use crate::policy::cel::{self as policy_cel, Condition};
use crate::preview;

/// What the gate (context lock and policy) hands on to the preview.
pub(super) struct Gate {
    /// Context-lock differences to show first.
    pub(super) highlights: Vec<String>,
    /// Policy conditions to check against the dry-run result.
    pub(super) conditions: Vec<(usize, std::sync::Arc<Condition>, String)>,
    pub(super) break_glass: Option<String>,
}

impl App {
    /// Checks the policy's CEL conditions against each action's (live, planned) objects.
    /// `Ok` carries a line per condition for the preview; `Err` is the recorded refusal.
    pub(super) async fn conditions(
        &self,
        person: &Person,
        plan_id: &str,
        plan: &Plan,
        gate: &Gate,
        objects: &[(Option<serde_json::Value>, Option<serde_json::Value>)],
        trail: &mut Trail,
    ) -> Result<Vec<String>, Reply> {
        let mut passed = Vec::new();
        let production = policy::is_production(
            self.inner
                .config
                .cluster(&plan.cluster)
                .unwrap_or(self.inner.config.default_cluster()),
            plan,
        );
        for (i, cond, rule) in &gate.conditions {
            let (live, planned) = objects.get(*i).cloned().unwrap_or_default();
            let input = policy_cel::Input {
                request: policy_cel::request_value(
                    plan,
                    *i,
                    &person.subject,
                    gate.break_glass.is_some(),
                    production,
                ),
                action: serde_json::to_value(&plan.actions[*i]).unwrap_or_default(),
                object: planned,
                old_object: live,
            };
            if let Err(why) = cond.check(&input) {
                let text = format!("{why} (policy rule `{rule}`)");
                let payload = json!({"reason": "policy condition", "rule": rule, "cel": cond.expr, "text": text});
                return Err(self.deny(person, plan_id, plan, payload, text, trail).await);
            }
            passed.push(format!("policy: `{}` holds (rule `{rule}`)", cond.expr));
        }
        Ok(passed)
    }

    /// The preview card and the record stored with it.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn record_for(
        &self,
        msg: &Inbound,
        person: &Person,
        plan_id: &str,
        plan: Plan,
        requirement: policy::Requirement,
        gate: &Gate,
        checks: Vec<String>,
        diff: String,
        versions: Vec<Option<String>>,
    ) -> PreviewRecord {
        let expires_at = self
            .inner
            .clock
            .now()
            .checked_add(requirement.ttl)
            .unwrap_or(Timestamp::MAX);
        let plan_hash = preview::plan_hash(&plan);
        let asks = match &plan.source {
            crate::actions::PlanSource::Undo { of } => {
                format!("undo plan {of}: {}", plan.describe())
            }
            _ => plan.describe(),
        };
        let summary = match &gate.break_glass {
            Some(why) => format!("BREAK-GLASS ({why}): {} asks to {asks}", person.chat_user,),
            None => format!("{} asks to {asks}", person.chat_user),
        };
        let card = PreviewCard {
            plan_id: plan_id.to_string(),
            plan_hash: plan_hash.clone(),
            summary,
            risk: plan.risk(),
            cluster: plan.cluster.clone(),
            kubectl: plan.kubectl(),
            checks,
            diff,
            approvers: self.approver_line(&requirement, &plan, person),
            approvals_needed: requirement.approvals,
            expires_at,
        };
        PreviewRecord {
            plan,
            plan_hash,
            thread: msg.thread.clone(),
            requester: person.clone(),
            requirement,
            expires_at,
            versions,
            card,
        }
    }
}
