//! Drain's decisions (pure): which pods a drain evicts or skips (like kubectl), which
//! PodDisruptionBudget blocked an eviction, and the per-pod listing and one-line summary.

use std::collections::BTreeSet;

use serde_json::{Value, json};

/// What drain does with one pod.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fate {
    Evict,
    /// Skipped, with the reason in words.
    Skip(String),
}

/// One pod on the node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PodRef {
    pub namespace: String,
    pub name: String,
}

impl PodRef {
    pub fn label(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }
}

/// How one eviction went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Evicted {
    Done,
    /// Blocked by this PodDisruptionBudget (name when the API said which).
    Blocked(Option<String>),
    Failed(String),
}

/// Decides each pod's fate like kubectl drain (pure).
pub fn fate(pod: &Value, delete_emptydir_data: bool) -> Fate {
    let meta = &pod["metadata"];
    if meta["annotations"]["kubernetes.io/config.mirror"].is_string() {
        return Fate::Skip("mirror pod (managed by the kubelet)".into());
    }
    let controller = meta["ownerReferences"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|o| o["controller"] == json!(true));
    match controller.and_then(|c| c["kind"].as_str()) {
        Some("DaemonSet") => return Fate::Skip("DaemonSet-managed".into()),
        None => {
            return Fate::Skip(
                "not managed by a controller: it would be lost, not rescheduled (delete it yourself if that is intended)"
                    .into(),
            );
        }
        Some(_) => {}
    }
    let empty_dir = pod["spec"]["volumes"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|v| v.get("emptyDir").is_some());
    if empty_dir && !delete_emptydir_data {
        return Fate::Skip(
            "uses emptyDir: its data would be lost (ask again with --delete-emptydir-data)".into(),
        );
    }
    Fate::Evict
}

/// The PodDisruptionBudget a 429 names ("The disruption budget web-pdb needs 2 healthy …").
pub fn blocking_pdb(status: &kube::core::Status) -> Option<String> {
    let causes = status
        .details
        .as_ref()
        .map(|d| d.causes.as_slice())
        .unwrap_or_default();
    causes
        .iter()
        .filter(|c| c.reason == "DisruptionBudget")
        .chain(std::iter::empty())
        .find_map(|c| {
            c.message
                .strip_prefix("The disruption budget ")
                .and_then(|rest| rest.split_whitespace().next())
                .map(str::to_string)
        })
}

/// The one-line summary: "evicted 3, blocked 1 (pdb web-pdb), skipped 2".
pub fn summary(results: &[(PodRef, Evicted)], skipped: usize) -> String {
    let evicted = results.iter().filter(|(_, r)| *r == Evicted::Done).count();
    let pdbs: BTreeSet<String> = results
        .iter()
        .filter_map(|(_, r)| match r {
            Evicted::Blocked(p) => Some(p.clone().unwrap_or_else(|| "unnamed".into())),
            _ => None,
        })
        .collect();
    let blocked = results
        .iter()
        .filter(|(_, r)| matches!(r, Evicted::Blocked(_)))
        .count();
    let failed = results
        .iter()
        .filter(|(_, r)| matches!(r, Evicted::Failed(_)))
        .count();
    let mut out = format!("evicted {evicted}, blocked {blocked}");
    if !pdbs.is_empty() {
        let list: Vec<String> = pdbs.into_iter().collect();
        out.push_str(&format!(" (pdb {})", list.join(", ")));
    }
    out.push_str(&format!(", skipped {skipped}"));
    if failed > 0 {
        out.push_str(&format!(", failed {failed}"));
    }
    out
}

pub fn listing(
    results: &[(PodRef, Evicted)],
    skipped: &[(PodRef, String)],
    dry: bool,
) -> Vec<String> {
    let verb = if dry { "would be evicted" } else { "evicted" };
    let mut out: Vec<String> = results
        .iter()
        .map(|(p, r)| match r {
            Evicted::Done => format!("{}: {verb}", p.label()),
            Evicted::Blocked(Some(pdb)) => {
                format!("{}: blocked by PodDisruptionBudget {pdb}", p.label())
            }
            Evicted::Blocked(None) => format!("{}: blocked by a PodDisruptionBudget", p.label()),
            Evicted::Failed(why) => format!("{}: eviction failed: {why}", p.label()),
        })
        .collect();
    out.extend(
        skipped
            .iter()
            .map(|(p, why)| format!("{}: skipped, {why}", p.label())),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(owner: Option<&str>, extra: Value) -> Value {
        let mut p = json!({"metadata": {"name": "p", "namespace": "shop"}, "spec": {}});
        if let Some(kind) = owner {
            p["metadata"]["ownerReferences"] =
                json!([{"kind": kind, "name": "o", "uid": "u", "controller": true}]);
        }
        if let Some(obj) = extra.as_object() {
            for (k, v) in obj {
                p["spec"][k] = v.clone();
            }
        }
        p
    }

    #[test]
    fn drain_skips_daemonset_mirror_bare_and_emptydir_pods_like_kubectl() {
        assert_eq!(
            fate(&pod(Some("ReplicaSet"), json!({})), false),
            Fate::Evict
        );
        assert!(
            matches!(fate(&pod(Some("DaemonSet"), json!({})), false), Fate::Skip(w) if w.contains("DaemonSet"))
        );
        assert!(
            matches!(fate(&pod(None, json!({})), false), Fate::Skip(w) if w.contains("not managed"))
        );
        let mut mirror = pod(None, json!({}));
        mirror["metadata"]["annotations"] = json!({"kubernetes.io/config.mirror": "abc"});
        assert!(matches!(fate(&mirror, false), Fate::Skip(w) if w.contains("mirror")));
        let scratch = pod(
            Some("ReplicaSet"),
            json!({"volumes": [{"name": "t", "emptyDir": {}}]}),
        );
        assert!(matches!(fate(&scratch, false), Fate::Skip(w) if w.contains("emptyDir")));
        assert_eq!(fate(&scratch, true), Fate::Evict);
    }

    #[test]
    fn the_summary_counts_evicted_blocked_with_pdb_and_skipped() {
        let p = |n: &str| PodRef {
            namespace: "shop".into(),
            name: n.into(),
        };
        let results = vec![
            (p("a"), Evicted::Done),
            (p("b"), Evicted::Blocked(Some("web-pdb".into()))),
            (p("c"), Evicted::Done),
        ];
        assert_eq!(
            summary(&results, 2),
            "evicted 2, blocked 1 (pdb web-pdb), skipped 2"
        );
        let failed = vec![(p("d"), Evicted::Failed("boom".into()))];
        assert_eq!(
            summary(&failed, 0),
            "evicted 0, blocked 0, skipped 0, failed 1"
        );
    }

    #[test]
    fn the_blocking_pdb_is_read_from_the_status_causes() {
        let status: kube::core::Status = serde_json::from_value(json!({
            "code": 429, "reason": "TooManyRequests",
            "message": "Cannot evict pod as it would violate the pod's disruption budget.",
            "details": {"causes": [{"reason": "DisruptionBudget",
                "message": "The disruption budget web-pdb needs 2 healthy pods and has 2 currently"}]}
        }))
        .expect("status");
        assert_eq!(blocking_pdb(&status).as_deref(), Some("web-pdb"));
    }
}
