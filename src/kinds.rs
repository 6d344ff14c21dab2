//! The built-in resource kinds kubectl users type every day, with their short names.
//!
//! The planner uses this table to recognise kinds in plain text and kubectl syntax without a
//! cluster round trip; anything else (CRDs such as `widgets.example.com`) passes through as
//! typed and is resolved by API discovery when the action runs.

/// One built-in kind.
#[derive(Debug, PartialEq, Eq)]
pub struct KindInfo {
    /// API resource name (plural), the canonical form in actions: `deployments`.
    pub resource: &'static str,
    /// Singular name: `deployment`.
    pub singular: &'static str,
    /// The Kind: `Deployment`.
    pub kind: &'static str,
    /// API group (`""` for core).
    pub group: &'static str,
    pub version: &'static str,
    pub short: &'static [&'static str],
    pub namespaced: bool,
}

macro_rules! kinds {
    ($( $res:literal $sing:literal $kind:literal $group:literal $ver:literal [$($short:literal),*] $ns:literal; )*) => {
        /// Every built-in kind, in the order `kubectl api-resources` lists the common ones.
        pub static KINDS: &[KindInfo] = &[
            $( KindInfo { resource: $res, singular: $sing, kind: $kind, group: $group, version: $ver,
                          short: &[$($short),*], namespaced: $ns } ),*
        ];
    };
}

kinds! {
    "pods" "pod" "Pod" "" "v1" ["po"] true;
    "services" "service" "Service" "" "v1" ["svc"] true;
    "deployments" "deployment" "Deployment" "apps" "v1" ["deploy"] true;
    "statefulsets" "statefulset" "StatefulSet" "apps" "v1" ["sts"] true;
    "daemonsets" "daemonset" "DaemonSet" "apps" "v1" ["ds"] true;
    "replicasets" "replicaset" "ReplicaSet" "apps" "v1" ["rs"] true;
    "jobs" "job" "Job" "batch" "v1" [] true;
    "cronjobs" "cronjob" "CronJob" "batch" "v1" ["cj"] true;
    "configmaps" "configmap" "ConfigMap" "" "v1" ["cm"] true;
    "secrets" "secret" "Secret" "" "v1" [] true;
    "namespaces" "namespace" "Namespace" "" "v1" ["ns"] false;
    "nodes" "node" "Node" "" "v1" ["no"] false;
    "events" "event" "Event" "" "v1" ["ev"] true;
    "persistentvolumeclaims" "persistentvolumeclaim" "PersistentVolumeClaim" "" "v1" ["pvc"] true;
    "persistentvolumes" "persistentvolume" "PersistentVolume" "" "v1" ["pv"] false;
    "serviceaccounts" "serviceaccount" "ServiceAccount" "" "v1" ["sa"] true;
    "endpoints" "endpoints" "Endpoints" "" "v1" ["ep"] true;
    "limitranges" "limitrange" "LimitRange" "" "v1" ["limits"] true;
    "resourcequotas" "resourcequota" "ResourceQuota" "" "v1" ["quota"] true;
    "ingresses" "ingress" "Ingress" "networking.k8s.io" "v1" ["ing"] true;
    "networkpolicies" "networkpolicy" "NetworkPolicy" "networking.k8s.io" "v1" ["netpol"] true;
    "endpointslices" "endpointslice" "EndpointSlice" "discovery.k8s.io" "v1" [] true;
    "horizontalpodautoscalers" "horizontalpodautoscaler" "HorizontalPodAutoscaler" "autoscaling" "v2" ["hpa"] true;
    "poddisruptionbudgets" "poddisruptionbudget" "PodDisruptionBudget" "policy" "v1" ["pdb"] true;
    "roles" "role" "Role" "rbac.authorization.k8s.io" "v1" [] true;
    "rolebindings" "rolebinding" "RoleBinding" "rbac.authorization.k8s.io" "v1" [] true;
    "clusterroles" "clusterrole" "ClusterRole" "rbac.authorization.k8s.io" "v1" [] false;
    "clusterrolebindings" "clusterrolebinding" "ClusterRoleBinding" "rbac.authorization.k8s.io" "v1" [] false;
    "storageclasses" "storageclass" "StorageClass" "storage.k8s.io" "v1" ["sc"] false;
    "customresourcedefinitions" "customresourcedefinition" "CustomResourceDefinition" "apiextensions.k8s.io" "v1" ["crd", "crds"] false;
    "priorityclasses" "priorityclass" "PriorityClass" "scheduling.k8s.io" "v1" ["pc"] false;
    "leases" "lease" "Lease" "coordination.k8s.io" "v1" [] true;
}

/// Finds a built-in kind by any name kubectl accepts for it: plural, singular, short name,
/// Kind (any case), or `plural.group`.
pub fn lookup(word: &str) -> Option<&'static KindInfo> {
    let w = word.to_ascii_lowercase();
    KINDS.iter().find(|k| {
        k.resource == w
            || k.singular == w
            || k.short.contains(&w.as_str())
            || k.kind.eq_ignore_ascii_case(&w)
            || (!k.group.is_empty() && w == format!("{}.{}", k.resource, k.group))
    })
}

/// Looks like a custom resource name kubectl would accept (`widgets.example.com`).
pub fn is_qualified_custom(word: &str) -> bool {
    let mut parts = word.split('.');
    let first = parts.next().unwrap_or_default();
    !first.is_empty()
        && parts.clone().count() >= 2
        && word
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
}

/// The closest built-in kind name to a misspelt one ("pdos" → "pods"), if any is close.
pub fn suggest(word: &str) -> Option<&'static str> {
    let w = word.to_ascii_lowercase();
    KINDS
        .iter()
        .flat_map(|k| [k.resource, k.singular])
        .map(|name| (strsim::damerau_levenshtein(&w, name), name))
        .filter(|(d, name)| *d > 0 && *d <= max_typo_distance(name))
        .min_by_key(|(d, _)| *d)
        .map(|(_, name)| name)
}

/// How many edits still count as a typo of `name`: short names tolerate fewer.
pub fn max_typo_distance(name: &str) -> usize {
    match name.chars().count() {
        0..=3 => 1,
        4..=7 => 2,
        _ => 3,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_kinds_by_every_name_kubectl_accepts() {
        for word in ["po", "pod", "pods", "Pod", "PODS"] {
            assert_eq!(lookup(word).map(|k| k.resource), Some("pods"), "{word}");
        }
        assert_eq!(lookup("deploy").map(|k| k.resource), Some("deployments"));
        assert_eq!(
            lookup("deployments.apps").map(|k| k.resource),
            Some("deployments")
        );
        assert_eq!(
            lookup("crds").map(|k| k.resource),
            Some("customresourcedefinitions")
        );
        assert_eq!(lookup("widgets"), None);
    }

    #[test]
    fn custom_resources_need_a_group() {
        assert!(is_qualified_custom("widgets.example.com"));
        assert!(!is_qualified_custom("widgets"));
        assert!(!is_qualified_custom("Widgets.Example.com"));
    }

    #[test]
    fn suggests_close_kind_names_only() {
        assert_eq!(suggest("pdos"), Some("pods"));
        assert_eq!(suggest("deploymnet"), Some("deployment"));
        assert_eq!(suggest("zebra"), None);
    }
}
