//! What a preview shows (pure): the diff of the live object against the dry-run result with
//! noise stripped and secrets redacted, a new object's YAML, and the blast radius in words.

use serde_json::Value;

use super::super::ExecError;
use super::super::reads::{strip_noise, to_yaml};
use crate::actions::Action;
use crate::redact;

/// Longest diff shown in a preview; longer ones are cut with a note.
const MAX_DIFF_LINES: usize = 80;

/// What else the change touches, in words.
pub fn blast_radius(action: &Action, live: &Value) -> Vec<String> {
    let replicas = live["spec"]["replicas"].as_i64();
    match action {
        Action::Scale {
            replicas: want,
            target,
            ..
        } => {
            let was = replicas.unwrap_or(0);
            let want = i64::from(*want);
            let effect = match want.cmp(&was) {
                std::cmp::Ordering::Greater => format!("{} pod(s) will be added", want - was),
                std::cmp::Ordering::Less => format!("{} pod(s) will be removed", was - want),
                std::cmp::Ordering::Equal => "no change in pods".to_string(),
            };
            vec![format!(
                "blast radius: {} {} replicas {was} → {want}: {effect}",
                target.kind, target.name
            )]
        }
        Action::RolloutRestart { target, .. } | Action::SetImage { target, .. } => vec![format!(
            "blast radius: all {} pod(s) of {} {} will be replaced by a rolling update",
            replicas.map_or_else(|| "its".to_string(), |r| r.to_string()),
            target.kind,
            target.name
        )],
        Action::Delete {
            resource,
            name,
            cascade,
            ..
        } => {
            let owner = live["metadata"]["ownerReferences"][0]["kind"].as_str();
            let mut out = vec![format!("blast radius: deletes {resource} {name}")];
            match (replicas, cascade) {
                (Some(r), crate::actions::Cascade::Orphan) => out.push(format!(
                    "its {r} pod(s) are kept, without an owner (--cascade=orphan)"
                )),
                (Some(r), _) => out.push(format!("its {r} pod(s) will be deleted with it")),
                (None, _) => {}
            }
            if let Some(owner) = owner {
                out.push(format!(
                    "it is owned by a {owner}, which will likely recreate it"
                ));
            }
            out
        }
        Action::Cordon { node } => vec![format!(
            "blast radius: no new pods will be scheduled on node {node}; running pods stay"
        )],
        Action::Uncordon { node } => {
            vec![format!("blast radius: node {node} accepts new pods again")]
        }
        _ => vec!["blast radius: the change shown in the diff".into()],
    }
}

/// An object's YAML without noise or secrets, as a preview shows it.
fn clean(v: &Value) -> Result<String, ExecError> {
    let mut v = strip_noise(v.clone());
    if let Some(obj) = v.as_object_mut() {
        obj.remove("status");
    }
    if let Some(meta) = v.get_mut("metadata").and_then(Value::as_object_mut) {
        for k in ["resourceVersion", "generation", "creationTimestamp", "uid"] {
            meta.remove(k);
        }
    }
    redact::object(&mut v);
    to_yaml(&v)
}

/// Unified diff of two objects' YAML, noise stripped and secrets redacted.
pub fn diff(before: &Value, after: &Value) -> Result<String, ExecError> {
    let (a, b) = (clean(before)?, clean(after)?);
    let text = similar::TextDiff::from_lines(&a, &b)
        .unified_diff()
        .context_radius(2)
        .header("live", "after")
        .to_string();
    Ok(cut(&text))
}

/// A new object, shown as all-added lines under a "created" header.
pub fn created(after: &Value) -> Result<String, ExecError> {
    let b = clean(after)?;
    let text = similar::TextDiff::from_lines("", &b)
        .unified_diff()
        .context_radius(2)
        .header("(none)", "created")
        .to_string();
    Ok(cut(&text))
}

fn cut(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    if lines.len() <= MAX_DIFF_LINES {
        return text.to_string();
    }
    let mut out = lines[..MAX_DIFF_LINES].join("\n");
    out.push_str(&format!(
        "\n… diff cut: {} more lines not shown\n",
        lines.len() - MAX_DIFF_LINES
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn deployment() -> Value {
        json!({"metadata": {"name": "api", "labels": {"team": "a"}, "resourceVersion": "7"},
               "spec": {"replicas": 3}})
    }

    #[test]
    fn diffs_hide_noise_and_show_the_change() {
        let before = deployment();
        let mut after = deployment();
        after["spec"]["replicas"] = json!(5);
        after["metadata"]["resourceVersion"] = json!("8");
        let d = diff(&before, &after).expect("diff");
        assert!(d.contains("-  replicas: 3"), "{d}");
        assert!(d.contains("+  replicas: 5"), "{d}");
        assert!(!d.contains("resourceVersion"), "{d}");
    }

    #[test]
    fn a_created_object_is_all_additions_and_secret_data_is_hidden() {
        let secret = json!({"apiVersion": "v1", "kind": "Secret",
                            "metadata": {"name": "db", "uid": "u1"}, "data": {"pw": "aHVudGVyMg=="}});
        let d = created(&secret).expect("created");
        assert!(d.contains("+++ created"), "{d}");
        assert!(d.contains("+kind: Secret"), "{d}");
        assert!(!d.contains("aHVudGVyMg=="), "{d}");
        assert!(!d.contains("uid"), "{d}");
    }

    #[test]
    fn long_diffs_are_cut_with_a_note() {
        let text: String = (0..100).map(|i| format!("line {i}\n")).collect();
        let out = cut(&text);
        assert!(out.contains("20 more lines not shown"), "{out}");
    }
}
