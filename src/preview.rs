//! Previews of writes (pure): the plan hash approvals are bound to, plan ids, and the neutral
//! text rendering of a preview card used by the console and the CLI's `reply`.

use kubechat_chat::PreviewCard;
use sha2::{Digest, Sha256};

use crate::actions::Plan;

/// SHA-256 over the canonical JSON of the plan's cluster and actions. An approval carries the
/// hash it saw; if the plan were different, the hash would be too.
pub fn plan_hash(plan: &Plan) -> String {
    let body = serde_json::json!({"cluster": plan.cluster, "actions": plan.actions});
    let mut h = Sha256::new();
    h.update(b"kubechat/plan/v1\n");
    // serde_json's map is ordered by key (no `preserve_order`), so this is canonical.
    h.update(body.to_string().as_bytes());
    hex::encode(h.finalize())
}

/// A new plan id: short enough to type (`kubechat approve kc-1a2b3c4d5e`), random enough not
/// to collide (40 bits per process-independent draw, checked against the ledger's history by
/// nothing else — a collision would merge two plans' histories, so ids are never reused).
pub fn new_plan_id() -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    format!("kc-{}", &id[..10])
}

/// The first 12 hex digits of a hash, for display.
pub fn short_hash(hash: &str) -> &str {
    &hash[..hash.len().min(12)]
}

/// Plain-text rendering of a preview (console, CLI, logs of what chat users saw).
pub fn card_text(card: &PreviewCard) -> String {
    let mut out = format!(
        "PREVIEW {} [{}] on cluster {}\n{}\n\nkubectl equivalent:\n",
        card.plan_id,
        card.risk.to_string().to_uppercase(),
        card.cluster,
        card.summary
    );
    for line in &card.kubectl {
        out.push_str(&format!("  {line}\n"));
    }
    if !card.checks.is_empty() {
        out.push_str("\nchecks:\n");
        for c in &card.checks {
            out.push_str(&format!("  - {c}\n"));
        }
    }
    if !card.diff.trim().is_empty() {
        out.push_str("\ndiff (live → after):\n");
        for line in card.diff.lines() {
            out.push_str(&format!("  {line}\n"));
        }
    }
    out.push_str(&format!(
        "\nneeds: {}\nexpires: {}\nplan hash: {}\nApprove with `approve {}`, abort with `abort {}`.",
        card.approvers,
        card.expires_at,
        short_hash(&card.plan_hash),
        card.plan_id,
        card.plan_id
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::{Action, PlanSource, Workload, WorkloadKind};

    fn plan(replicas: u32) -> Plan {
        Plan {
            cluster: "prod".into(),
            actions: vec![Action::Scale {
                target: Workload {
                    kind: WorkloadKind::Deployment,
                    name: "api".into(),
                },
                namespace: "payments".into(),
                replicas,
            }],
            source: PlanSource::Rules,
            explicit_cluster: false,
            explicit_namespace: true,
        }
    }

    #[test]
    fn the_hash_binds_the_exact_plan() {
        assert_eq!(plan_hash(&plan(5)), plan_hash(&plan(5)));
        assert_ne!(plan_hash(&plan(5)), plan_hash(&plan(6)));
        let mut elsewhere = plan(5);
        elsewhere.cluster = "staging".into();
        assert_ne!(plan_hash(&plan(5)), plan_hash(&elsewhere));
        assert_eq!(plan_hash(&plan(5)).len(), 64);
    }

    #[test]
    fn plan_ids_are_short_and_distinct() {
        let (a, b) = (new_plan_id(), new_plan_id());
        assert_ne!(a, b);
        assert_eq!(a.len(), 13);
        assert!(a.starts_with("kc-"));
    }
}
