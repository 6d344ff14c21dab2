//! The Helm chart, rendered by the real Helm engine (Helm's Go SDK via `helm-python-sdk`) for
//! the default values and the value sets in `charts/kubechat/ci/`: it lints clean, every object
//! round-trips through its k8s-openapi type, the ClusterRole only impersonates / discovers /
//! reviews, the pod is locked down, no secret value is inline, and the rendered config loads
//! with kubechat's own config loader. Bad values fail with a message naming the value.
//!
//! Needs the Helm venv (`.ci/run` creates it); without it every test here fails saying how.

#[path = "helm_chart/checks.rs"]
mod checks;
#[path = "helm_chart/load.rs"]
mod load;
#[path = "helm_chart/render.rs"]
mod render;

use std::path::{Path, PathBuf};

use load::ValueSet;
use render::{Rendered, lint_problems, render};
use serde_json::{Value, json};

const DEFAULT: ValueSet = ValueSet {
    file: None,
    loads_here: true,
};
const SLACK_POSTGRES: ValueSet = ValueSet {
    file: Some("slack-postgres-values.yaml"),
    loads_here: true,
};
const MATRIX_SQLITE: ValueSet = ValueSet {
    file: Some("matrix-sqlite-values.yaml"),
    loads_here: true,
};
const SLACK_HTTP: ValueSet = ValueSet {
    file: Some("slack-http-values.yaml"),
    loads_here: true,
};
const RESTRICTED: ValueSet = ValueSet {
    file: Some("restricted-impersonation-values.yaml"),
    loads_here: true,
};

/// Lints, renders and runs every common check; returns the render for set-specific checks.
fn check(set: &ValueSet) -> Rendered {
    let path = set.path();
    let files: Vec<&Path> = path.iter().map(PathBuf::as_path).collect();
    let problems = lint_problems(&files);
    assert!(
        problems.is_empty(),
        "{}: helm lint: {problems:#?}",
        set.name()
    );
    let r = render(&files).unwrap_or_else(|e| panic!("{}: {e}", set.name()));
    checks::objects_round_trip(&r);
    checks::cluster_role_is_least_privilege(&r);
    checks::pod_is_locked_down(&r);
    checks::no_secret_inline(&r);
    checks::objects_are_wired(&r);
    load::check_config_loads(set, &files);
    r
}

fn egress_ports(np: &Value) -> Vec<i64> {
    np["spec"]["egress"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|rule| rule["ports"].as_array().cloned().unwrap_or_default())
        .filter_map(|p| p["port"].as_i64())
        .collect()
}

fn resource_names(r: &Rendered, resource: &str) -> Option<Vec<String>> {
    let role = r.one("ClusterRole");
    let rule = role["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .find(|rule| rule["resources"] == json!([resource]))
        .expect("rule");
    rule.get("resourceNames").map(|names| {
        names
            .as_array()
            .expect("list")
            .iter()
            .map(|n| n.as_str().expect("name").to_string())
            .collect()
    })
}

#[test]
fn default_values_install_one_locked_down_pod_with_a_persistent_sqlite_ledger() {
    let r = check(&DEFAULT);
    assert!(
        r.all("PodDisruptionBudget").is_empty(),
        "no PDB for one replica"
    );
    assert!(r.all("NetworkPolicy").is_empty());
    assert!(r.all("ServiceMonitor").is_empty());
    let pvc = r.one("PersistentVolumeClaim");
    assert_eq!(
        pvc["metadata"]["annotations"]["helm.sh/resource-policy"],
        "keep"
    );
    let d = r.one("Deployment");
    assert_eq!(
        d["spec"]["strategy"]["type"], "Recreate",
        "one SQLite writer"
    );
    let config: toml::Table = toml::from_str(r.config_toml()).expect("TOML");
    assert_eq!(
        config["ledger"]["url"].as_str(),
        Some("sqlite:///var/lib/kubechat/kubechat.db")
    );
    assert_eq!(config["clusters"][0]["in_cluster"].as_bool(), Some(true));
    assert_eq!(resource_names(&r, "users"), None, "unrestricted by default");
    assert!(
        r.notes.contains("No chat platform is enabled"),
        "{}",
        r.notes
    );
    assert!(r.notes.contains("No chat users are mapped"), "{}", r.notes);
    assert!(r.notes.contains("restrictToIdentities"), "{}", r.notes);
}

#[test]
fn slack_and_postgres_values_reference_every_secret_and_fence_the_network() {
    let r = check(&SLACK_POSTGRES);
    let pod = checks::pod_spec(&r);
    let env = pod.containers[0].env.clone().unwrap_or_default();
    let url = env
        .iter()
        .find(|e| e.name == "KUBECHAT_LEDGER_URL")
        .and_then(|e| e.value_from.clone())
        .and_then(|v| v.secret_key_ref)
        .expect("ledger URL from a Secret");
    assert_eq!(
        (url.name.as_str(), url.key.as_str()),
        ("kubechat-ledger", "url")
    );
    let mounted = checks::projected_secret_files(&pod);
    for expected in [
        (
            "/etc/kubechat/secrets/slack-bot-token",
            "kubechat-slack",
            "bot-token",
        ),
        (
            "/etc/kubechat/secrets/slack-app-token",
            "kubechat-slack",
            "app-token",
        ),
        (
            "/etc/kubechat/secrets/ledger-checkpoint-key",
            "kubechat-checkpoint",
            "ed25519.key",
        ),
        (
            "/etc/kubechat/secrets/llm-1-api-key",
            "kubechat-llm",
            "api-key",
        ),
    ] {
        let found = mounted
            .iter()
            .any(|(f, s, k)| (f.as_str(), s.as_str(), k.as_str()) == expected);
        assert!(found, "{expected:?} in {mounted:?}");
    }
    assert_eq!(
        mounted.len(),
        4,
        "the ollama provider has no key: {mounted:?}"
    );
    assert!(r.all("PersistentVolumeClaim").is_empty());
    assert_eq!(r.one("PodDisruptionBudget")["spec"]["minAvailable"], 1);
    let d = r.one("Deployment");
    assert_eq!(d["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"], 0);
    assert!(
        pod.containers[0]
            .image
            .as_deref()
            .is_some_and(|i| i.contains("@sha256:"))
    );
    let np = r.one("NetworkPolicy");
    for rule in np["spec"]["egress"].as_array().expect("egress") {
        let to = rule["to"].as_array().map_or(0, Vec::len);
        assert!(
            to > 0,
            "an egress rule without `to` would allow everything: {rule}"
        );
    }
    let ports = egress_ports(np);
    for port in [53, 443, 6443, 11434, 5432] {
        assert!(ports.contains(&port), "egress to port {port}: {ports:?}");
    }
    assert_eq!(np["spec"]["policyTypes"], json!(["Ingress", "Egress"]));
    let sm = r.one("ServiceMonitor");
    assert_eq!(sm["metadata"]["labels"]["release"], "prometheus");
    assert_eq!(
        resource_names(&r, "users"),
        Some(vec![
            "alice@example.com".into(),
            "bob@example.com".into(),
            "system:anonymous".into()
        ])
    );
}

#[test]
fn matrix_values_keep_ledger_and_matrix_store_on_the_persistent_volume() {
    let r = check(&MATRIX_SQLITE);
    let pvc = r.one("PersistentVolumeClaim");
    assert_eq!(pvc["spec"]["storageClassName"], "fast-ssd");
    assert_eq!(pvc["spec"]["resources"]["requests"]["storage"], "5Gi");
    assert_eq!(r.one("Deployment")["spec"]["strategy"]["type"], "Recreate");
    let config: toml::Table = toml::from_str(r.config_toml()).expect("TOML");
    assert_eq!(
        config["matrix"]["store_path"].as_str(),
        Some("/var/lib/kubechat/matrix-store")
    );
    assert_eq!(config["matrix"]["prefix"].as_str(), Some("!kubechat"));
    assert_eq!(
        config["matrix"]["store_passphrase"]["file"].as_str(),
        Some("/etc/kubechat/secrets/matrix-store-passphrase")
    );
    let staging = &config["clusters"][1];
    assert_eq!(staging["name"].as_str(), Some("staging-us"));
    let kubeconfig = staging["kubeconfig"].as_str().expect("kubeconfig path");
    let mounted = checks::projected_secret_files(&checks::pod_spec(&r));
    assert!(
        mounted
            .iter()
            .any(|(f, s, k)| f == kubeconfig && s == "kubechat-staging" && k == "kubeconfig"),
        "{kubeconfig} is mounted from the Secret: {mounted:?}"
    );
    assert!(
        r.notes.contains("invite @kubechat:example.org"),
        "{}",
        r.notes
    );
}

#[test]
fn restricted_values_allow_impersonating_only_the_listed_and_mapped_identities() {
    let r = check(&RESTRICTED);
    let users = resource_names(&r, "users").expect("restricted");
    assert_eq!(
        users,
        [
            "alice@example.com",
            "bob@example.com",
            "oncall-bot@example.com",
            "system:anonymous"
        ]
    );
    let groups = resource_names(&r, "groups").expect("restricted");
    assert_eq!(
        groups,
        ["payments-devs", "sre", "system:unauthenticated", "viewers"]
    );
    assert!(!r.notes.contains("may impersonate any user"), "{}", r.notes);
}

#[test]
fn slack_http_mode_mounts_the_signing_secret_instead_of_the_app_token() {
    let r = check(&SLACK_HTTP);
    let mounted: Vec<String> = checks::projected_secret_files(&checks::pod_spec(&r))
        .into_iter()
        .map(|(file, secret, key)| format!("{file} <- {secret}/{key}"))
        .collect();
    assert_eq!(
        mounted,
        [
            "/etc/kubechat/secrets/slack-bot-token <- kubechat-slack/bot-token",
            "/etc/kubechat/secrets/slack-signing-secret <- kubechat-slack/signing-secret",
        ]
    );
    let config: toml::Table = toml::from_str(r.config_toml()).expect("TOML");
    assert_eq!(config["slack"]["mode"].as_str(), Some("http"));
    assert_eq!(config["slack"]["allow_email_mapping"].as_bool(), Some(true));
    assert!(config["slack"].get("app_token").is_none());
    assert!(r.notes.contains("/slack/interactivity"), "{}", r.notes);
}

#[test]
fn without_a_chat_platform_the_network_policy_opens_nothing_public() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/helm/networkpolicy-console-values.yaml");
    let r = render(&[&path]).expect("renders");
    checks::objects_round_trip(&r);
    let np = r.one("NetworkPolicy");
    let egress = np["spec"]["egress"].as_array().expect("egress");
    assert_eq!(egress.len(), 2, "DNS and the API server only: {egress:?}");
    assert!(!np.to_string().contains("0.0.0.0/0"), "{np}");
    assert_eq!(egress_ports(np), [53, 53, 443, 6443]);
}

fn rejected(fixture: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/helm")
        .join(fixture);
    match render(&[&path]) {
        Ok(_) => panic!("{fixture} must be rejected"),
        Err(e) => e,
    }
}

#[test]
fn the_schema_rejects_bad_values_naming_each_one() {
    let e = rejected("bad-values.yaml");
    for part in [
        "at '/replicaCount': got string, want integer",
        "at '/image/pullPolicy': value must be one of 'Always', 'IfNotPresent', 'Never'",
        "at '/slack': additional properties 'enabeld' not allowed",
        "at '/config/identities/0/platform': value must be one of",
    ] {
        assert!(e.contains(part), "missing {part:?} in:\n{e}");
    }
}

#[test]
fn two_replicas_with_sqlite_or_a_writable_root_filesystem_are_refused() {
    let e = rejected("sqlite-two-replicas-values.yaml");
    assert!(
        e.contains("at '/replicaCount': maximum: got 2, want 1"),
        "{e}"
    );
    let e = rejected("writable-root-values.yaml");
    assert!(
        e.contains("at '/securityContext/readOnlyRootFilesystem': value must be true"),
        "{e}"
    );
    let e = rejected("slack-without-secret-values.yaml");
    assert!(e.contains("at '/slack/existingSecret'"), "{e}");
}

#[test]
fn a_network_policy_without_the_api_server_says_what_to_set() {
    let e = rejected("networkpolicy-no-apiserver-values.yaml");
    assert!(e.contains("networkPolicy.egress.apiServer.to"), "{e}");
    assert!(e.contains("kubectl get endpointslices"), "{e}");
}
