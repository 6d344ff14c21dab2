//! Checks every rendered chart must pass: typed round trip, least-privilege RBAC, pod
//! security, no secret values inline, and the wiring between objects.

use std::collections::BTreeSet;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{
    ConfigMap, PersistentVolumeClaim, PodSpec, Service, ServiceAccount,
};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding};
use kubechat::executor::{EXTRA_APPROVERS, EXTRA_PLAN_ID};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::render::Rendered;

/// The Prometheus Operator's ServiceMonitor has no k8s-openapi type: this mirrors the fields
/// the chart sets and refuses any other, so a typo still fails the round trip.
#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ServiceMonitor {
    api_version: String,
    kind: String,
    metadata: k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta,
    spec: ServiceMonitorSpec,
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ServiceMonitorSpec {
    selector: k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector,
    endpoints: Vec<MonitorEndpoint>,
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct MonitorEndpoint {
    port: String,
    path: String,
    interval: String,
    scrape_timeout: String,
}

/// Parses `doc` as `T` and back; the result must equal the input (no field lost or invented).
fn round_trip<T: DeserializeOwned + Serialize>(doc: &Value) -> Result<(), String> {
    let typed: T = serde_json::from_value(doc.clone()).map_err(|e| e.to_string())?;
    let back = serde_json::to_value(&typed).map_err(|e| e.to_string())?;
    match first_difference(doc, &back, "") {
        None => Ok(()),
        Some(at) => Err(format!("round trip changed {at}")),
    }
}

fn first_difference(a: &Value, b: &Value, path: &str) -> Option<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            keys.into_iter().find_map(|k| match (x.get(k), y.get(k)) {
                (Some(p), Some(q)) => first_difference(p, q, &format!("{path}/{k}")),
                (p, q) => Some(format!("{path}/{k}: {p:?} became {q:?}")),
            })
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find_map(|(i, (p, q))| first_difference(p, q, &format!("{path}/{i}"))),
        _ if a == b => None,
        _ => Some(format!("{path}: {a} became {b}")),
    }
}

/// Every object parses into its k8s-openapi type and round-trips unchanged.
pub fn objects_round_trip(r: &Rendered) {
    for doc in &r.objects {
        let kind = doc["kind"].as_str().unwrap_or_default();
        let api = doc["apiVersion"].as_str().unwrap_or_default();
        let result = match (api, kind) {
            ("v1", "ConfigMap") => round_trip::<ConfigMap>(doc),
            ("v1", "Service") => round_trip::<Service>(doc),
            ("v1", "ServiceAccount") => round_trip::<ServiceAccount>(doc),
            ("v1", "PersistentVolumeClaim") => round_trip::<PersistentVolumeClaim>(doc),
            ("apps/v1", "Deployment") => round_trip::<Deployment>(doc),
            ("rbac.authorization.k8s.io/v1", "ClusterRole") => round_trip::<ClusterRole>(doc),
            ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding") => {
                round_trip::<ClusterRoleBinding>(doc)
            }
            ("policy/v1", "PodDisruptionBudget") => round_trip::<PodDisruptionBudget>(doc),
            ("networking.k8s.io/v1", "NetworkPolicy") => round_trip::<NetworkPolicy>(doc),
            ("monitoring.coreos.com/v1", "ServiceMonitor") => round_trip::<ServiceMonitor>(doc),
            _ => Err(format!("unexpected object {api} {kind} in the chart")),
        };
        if let Err(e) = result {
            panic!("{kind} {}: {e}", doc["metadata"]["name"]);
        }
    }
}

fn strings(v: &Value) -> Vec<&str> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect()
}

fn subset(v: &Value, allowed: &[&str]) -> bool {
    let got = strings(v);
    !got.is_empty() && got.iter().all(|s| allowed.contains(s))
}

/// The ClusterRole grants impersonation, discovery and access reviews, nothing else.
pub fn cluster_role_is_least_privilege(r: &Rendered) {
    let role = r.one("ClusterRole");
    assert!(role.get("aggregationRule").is_none(), "no aggregation");
    let text = role["rules"].to_string();
    assert!(!text.contains("\"*\""), "no wildcard: {text}");
    assert!(!text.contains("secrets"), "never secrets: {text}");
    for rule in role["rules"].as_array().expect("rules") {
        let allowed = if rule.get("nonResourceURLs").is_some() {
            rule.get("apiGroups").is_none()
                && rule.get("resources").is_none()
                && subset(
                    &rule["nonResourceURLs"],
                    &[
                        "/api",
                        "/api/*",
                        "/apis",
                        "/apis/*",
                        "/version",
                        "/openapi/*",
                    ],
                )
                && strings(&rule["verbs"]) == ["get"]
        } else {
            let groups = strings(&rule["apiGroups"]);
            let verbs = strings(&rule["verbs"]);
            match groups.as_slice() {
                [""] => {
                    subset(&rule["resources"], &["users", "groups"]) && verbs == ["impersonate"]
                }
                ["authentication.k8s.io"] => {
                    // Exactly the Impersonate-Extra keys the executor sends.
                    let mut want =
                        [EXTRA_PLAN_ID, EXTRA_APPROVERS].map(|k| format!("userextras/{k}"));
                    want.sort_unstable();
                    let mut got = strings(&rule["resources"]);
                    got.sort_unstable();
                    got == want && verbs == ["impersonate"]
                }
                ["authorization.k8s.io"] => {
                    subset(
                        &rule["resources"],
                        &["selfsubjectaccessreviews", "subjectaccessreviews"],
                    ) && verbs == ["create"]
                }
                _ => false,
            }
        };
        assert!(
            allowed,
            "the ClusterRole grants more than kubechat needs: {rule}"
        );
    }
    let binding = r.one("ClusterRoleBinding");
    assert_eq!(binding["roleRef"]["name"], role["metadata"]["name"]);
    assert_eq!(binding["roleRef"]["kind"], "ClusterRole");
    let sa = r.one("ServiceAccount");
    let subjects = binding["subjects"].as_array().expect("subjects");
    assert_eq!(subjects.len(), 1, "bound to kubechat's ServiceAccount only");
    assert_eq!(subjects[0]["name"], sa["metadata"]["name"]);
    assert_eq!(subjects[0]["namespace"], sa["metadata"]["namespace"]);
    for kind in ["Role", "RoleBinding", "Secret"] {
        assert!(r.all(kind).is_empty(), "the chart must not create a {kind}");
    }
}

/// The pod spec of the one Deployment, typed.
pub fn pod_spec(r: &Rendered) -> PodSpec {
    let d: Deployment = serde_json::from_value(r.one("Deployment").clone()).expect("Deployment");
    d.spec.and_then(|s| s.template.spec).expect("pod spec")
}

/// Non-root, read-only root filesystem, no capabilities, RuntimeDefault seccomp, probes, resources.
pub fn pod_is_locked_down(r: &Rendered) {
    let pod = pod_spec(r);
    let psc = pod.security_context.expect("pod securityContext");
    assert_eq!(psc.run_as_non_root, Some(true));
    assert!(psc.run_as_user.is_some_and(|u| u != 0), "a non-root uid");
    let seccomp = psc.seccomp_profile.expect("pod seccompProfile");
    assert_eq!(seccomp.type_, "RuntimeDefault");
    assert!(pod.host_network.is_none() && pod.host_pid.is_none() && pod.host_ipc.is_none());
    assert_eq!(pod.containers.len(), 1);
    let c = &pod.containers[0];
    let sc = c
        .security_context
        .as_ref()
        .expect("container securityContext");
    assert_eq!(sc.read_only_root_filesystem, Some(true));
    assert_eq!(sc.allow_privilege_escalation, Some(false));
    assert_ne!(sc.privileged, Some(true));
    let caps = sc.capabilities.as_ref().expect("capabilities");
    assert_eq!(caps.drop.as_deref(), Some(&["ALL".to_string()][..]));
    assert!(caps.add.as_ref().is_none_or(Vec::is_empty));
    let image = c.image.as_deref().expect("image");
    assert!(
        !image.ends_with(":latest") && !image.ends_with(':'),
        "{image}"
    );
    let res = c.resources.as_ref().expect("resources");
    let requests = res.requests.as_ref().expect("requests");
    assert!(requests.contains_key("cpu") && requests.contains_key("memory"));
    assert!(
        res.limits
            .as_ref()
            .is_some_and(|l| l.contains_key("memory"))
    );
    let port = |probe: &Option<k8s_openapi::api::core::v1::Probe>| {
        let get = probe
            .as_ref()
            .and_then(|p| p.http_get.clone())
            .expect("httpGet probe");
        (
            get.path.unwrap_or_default(),
            serde_json::to_value(get.port).expect("port"),
        )
    };
    assert_eq!(
        port(&c.liveness_probe),
        ("/healthz".into(), Value::from("http"))
    );
    assert_eq!(
        port(&c.readiness_probe),
        ("/readyz".into(), Value::from("http"))
    );
    let ports = c.ports.as_deref().unwrap_or_default();
    assert!(ports.iter().any(|p| p.name.as_deref() == Some("http")));
}

/// Files the pod gets from Secrets: `mountPath/path` for every projected item.
pub fn projected_secret_files(pod: &PodSpec) -> Vec<(String, String, String)> {
    let c = &pod.containers[0];
    let mut files = Vec::new();
    for vol in pod.volumes.as_deref().unwrap_or_default() {
        let Some(projected) = &vol.projected else {
            continue;
        };
        let mount = c
            .volume_mounts
            .as_deref()
            .unwrap_or_default()
            .iter()
            .find(|m| m.name == vol.name)
            .expect("projected volume is mounted");
        for source in projected.sources.as_deref().unwrap_or_default() {
            let secret = source.secret.as_ref().expect("only Secrets are projected");
            for item in secret.items.as_deref().unwrap_or_default() {
                files.push((
                    format!("{}/{}", mount.mount_path, item.path),
                    secret.name.clone(),
                    item.key.clone(),
                ));
            }
        }
    }
    files
}

fn is_sensitive(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    // A public key is published on purpose (auditors verify checkpoints with it).
    !k.starts_with("public")
        && [
            "token",
            "secret",
            "password",
            "api_key",
            "apikey",
            "_key",
            "ledger_url",
        ]
        .iter()
        .any(|s| k.contains(s))
}

/// Secrets appear only as references: env from secretKeyRef, config keys as `{ file = … }`
/// pointing at files projected from Secrets, a ledger URL without credentials.
pub fn no_secret_inline(r: &Rendered) {
    let pod = pod_spec(r);
    for env in pod.containers[0].env.as_deref().unwrap_or_default() {
        if is_sensitive(&env.name) {
            assert!(env.value.is_none(), "{} has an inline value", env.name);
            let from = env
                .value_from
                .as_ref()
                .and_then(|v| v.secret_key_ref.as_ref());
            assert!(from.is_some(), "{} must come from a Secret", env.name);
        }
    }
    let files: Vec<String> = projected_secret_files(&pod)
        .into_iter()
        .map(|f| f.0)
        .collect();
    let config: toml::Table = toml::from_str(r.config_toml()).expect("config.toml is TOML");
    walk_secrets(&toml::Value::Table(config.clone()), "", &files);
    let url = config
        .get("ledger")
        .and_then(|l| l.get("url"))
        .and_then(|u| u.as_str())
        .unwrap_or_default();
    assert!(
        !url.contains('@'),
        "no credentials in the ConfigMap's ledger url: {url}"
    );
}

fn walk_secrets(v: &toml::Value, path: &str, files: &[String]) {
    match v {
        toml::Value::Table(t) => {
            for (k, v) in t {
                let here = format!("{path}.{k}");
                if is_sensitive(k) {
                    let file = v.get("file").and_then(|f| f.as_str());
                    let only_file = v.as_table().is_some_and(|t| t.len() == 1);
                    assert!(
                        only_file && file.is_some_and(|f| files.iter().any(|m| m == f)),
                        "{here} must be {{ file = … }} from a mounted Secret, got {v}"
                    );
                } else {
                    walk_secrets(v, &here, files);
                }
            }
        }
        toml::Value::Array(items) => items.iter().for_each(|i| walk_secrets(i, path, files)),
        _ => {}
    }
}

/// Names and selectors agree: the Service finds the pods, the pod mounts the ConfigMap and the
/// claim, runs as the ServiceAccount, and the config listens on the container port.
pub fn objects_are_wired(r: &Rendered) {
    let pod = pod_spec(r);
    let deployment = r.one("Deployment");
    let labels = &deployment["spec"]["template"]["metadata"]["labels"];
    let selector = r.one("Service")["spec"]["selector"]
        .as_object()
        .expect("selector");
    for (k, v) in selector {
        assert_eq!(&labels[k], v, "Service selector {k} matches the pods");
    }
    assert_eq!(
        deployment["spec"]["selector"]["matchLabels"],
        Value::Object(selector.clone())
    );
    assert_eq!(
        pod.service_account_name.as_deref(),
        r.one("ServiceAccount")["metadata"]["name"].as_str()
    );
    let volumes = pod.volumes.as_deref().unwrap_or_default();
    let cm_name = r.one("ConfigMap")["metadata"]["name"]
        .as_str()
        .expect("name");
    assert!(
        volumes
            .iter()
            .any(|v| v.config_map.as_ref().is_some_and(|c| c.name == cm_name))
    );
    let c = &pod.containers[0];
    assert_eq!(
        c.args.as_deref().unwrap_or_default(),
        ["--config", "/etc/kubechat/config.toml", "serve"]
    );
    let port = c.ports.as_deref().unwrap_or_default()[0].container_port;
    let config: toml::Table = toml::from_str(r.config_toml()).expect("TOML");
    let listen = config["server"]["listen"].as_str().expect("listen");
    assert!(
        listen.ends_with(&format!(":{port}")),
        "{listen} vs containerPort {port}"
    );
    for pvc in r.all("PersistentVolumeClaim") {
        let name = pvc["metadata"]["name"].as_str().expect("name");
        assert!(
            volumes.iter().any(|v| v
                .persistent_volume_claim
                .as_ref()
                .is_some_and(|p| p.claim_name == name)),
            "the pod mounts claim {name}"
        );
    }
}
