//! "Why, and who may approve?" in words: the rules walked, the one that decided, the floors
//! and windows applied, and the mapped people who could approve. Used by
//! `kubechat policy explain` and by "who can approve this?" in chat.

use super::{Evaluation, Policy, Requirement, RuleOutcome, Verdict};
use crate::identity::Subject;

/// A mapped person who might approve: their chat name and Kubernetes subject.
#[derive(Clone, Debug)]
pub struct Candidate<'a> {
    pub name: &'a str,
    pub subject: &'a Subject,
}

/// The people who may approve under `req`, excluding the requester when forbidden; the same
/// person mapped on two platforms counts once.
pub fn candidates<'a>(
    req: &Requirement,
    people: &[Candidate<'a>],
    requester: &Subject,
) -> Vec<Candidate<'a>> {
    let mut out: Vec<Candidate<'a>> = Vec::new();
    for p in people {
        let is_requester = p.subject.user == requester.user;
        if (is_requester && !req.requester_may_approve) || !req.eligible(p.subject) {
            continue;
        }
        if out.iter().all(|c| c.subject.user != p.subject.user) {
            out.push(p.clone());
        }
    }
    out
}

/// A one-line summary of who may approve, with the candidates: "needs 2 approvals from
/// members of sre other than alice — may approve: bob, carol".
pub fn who_may_approve(
    req: &Requirement,
    requester_name: &str,
    candidates: &[Candidate<'_>],
) -> String {
    let mut text = req.approvers_text(requester_name);
    let names: Vec<&str> = candidates.iter().map(|c| c.name).collect();
    if names.is_empty() {
        text.push_str(" — nobody mapped in kubechat can approve it; ask an admin");
    } else {
        text.push_str(&format!(" — may approve: {}", names.join(", ")));
        if (names.len() as u64) < u64::from(req.approvals) {
            text.push_str(&format!(
                " (only {} of the {} needed)",
                names.len(),
                req.approvals
            ));
        }
    }
    text
}

/// Evaluates a request and explains the result.
pub fn explain(
    policy: &Policy,
    req: &super::Request<'_>,
    requester_name: &str,
    people: &[Candidate<'_>],
) -> String {
    let eval = super::evaluate(policy, req);
    render(policy, &eval, requester_name, req.requester, people)
}

/// The full explanation.
pub fn render(
    policy: &Policy,
    eval: &Evaluation,
    requester_name: &str,
    requester: &Subject,
    people: &[Candidate<'_>],
) -> String {
    let mut out = format!(
        "Policy: {}\nRequester: {requester_name} = {} (groups: {})\n",
        policy.source,
        requester.user,
        if requester.groups.is_empty() {
            "none".to_string()
        } else {
            requester.groups.join(", ")
        }
    );
    for (i, a) in eval.actions.iter().enumerate() {
        out.push_str(&format!("\nAction {}: {}\n", i + 1, a.action));
        for r in &a.rules {
            let line = match &r.outcome {
                RuleOutcome::Matched => format!("  ✓ rule `{}` ({}) matches", r.rule, r.place),
                RuleOutcome::Uncertain(why) => format!(
                    "  ? rule `{}` ({}) may match: {why} — the stricter outcome counts",
                    r.rule, r.place
                ),
                RuleOutcome::Skipped(why) => {
                    format!("  · rule `{}` ({}) does not match: {why}", r.rule, r.place)
                }
            };
            out.push_str(&line);
            out.push('\n');
        }
        for n in &a.notes {
            out.push_str(&format!("  ! {n}\n"));
        }
        out.push_str(&format!("  → {}\n", verdict_line(&a.verdict)));
    }
    out.push_str(&format!("\nDecision: {}\n", verdict_line(&eval.verdict)));
    if let Verdict::Approve(req) = &eval.verdict {
        let found = candidates(req, people, requester);
        out.push_str(&format!(
            "Who may approve: {}\n",
            who_may_approve(req, requester_name, &found)
        ));
        out.push_str(&format!("Preview valid for: {}\n", friendly(req.ttl)));
        if let Some(why) = &req.break_glass {
            out.push_str(&format!("Break-glass: {why}\n"));
        }
    }
    for (i, c, rule) in &eval.conditions {
        out.push_str(&format!(
            "Condition (rule `{rule}`, action {}): `{}` must hold after the dry run — else: {}\n",
            i + 1,
            c.expr,
            c.message
        ));
    }
    out
}

/// The verdict in one line.
pub fn verdict_line(v: &Verdict) -> String {
    match v {
        Verdict::Allow => "allowed: runs at once".into(),
        Verdict::Deny(why) => format!("refused: {why}"),
        Verdict::Approve(r) => format!(
            "needs {} approval{} from {}{} ({})",
            r.approvals,
            if r.approvals == 1 { "" } else { "s" },
            r.groups_text(),
            if r.requester_may_approve {
                ", the requester's own counts"
            } else {
                ", not the requester"
            },
            r.reason
        ),
    }
}

fn friendly(d: jiff::SignedDuration) -> String {
    let mins = d.as_secs() / 60;
    if mins % 60 == 0 {
        format!("{}h", mins / 60)
    } else if mins > 60 {
        format!("{}h {}m", mins / 60, mins % 60)
    } else {
        format!("{mins}m")
    }
}
