//! Runs the real Helm engine (Helm's Go SDK through `helm-python-sdk`, driven by
//! `tests/helm_chart.py`) and parses what it renders.
//!
//! The Python interpreter comes from `KUBECHAT_HELM_PYTHON` (CI: `.ci/run` creates the venv and
//! exports it) or the venv's default place. Without it the tests fail and say how to create it:
//! a chart test that silently passes without Helm would prove nothing.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// The chart under test.
pub fn chart_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("charts/kubechat")
}

/// The Python of the Helm venv, or a panic that says how to create it.
fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("KUBECHAT_HELM_PYTHON") {
        let p = PathBuf::from(p);
        assert!(
            p.exists(),
            "KUBECHAT_HELM_PYTHON={} does not exist; run .ci/run or unset it",
            p.display()
        );
        return p;
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    let default = home.join(".cache/kubechat-helm-venv/bin/python");
    assert!(
        default.exists(),
        "the Helm chart tests need Helm's SDK for Python, which is not installed.\n\
         Create it (CI does this in .ci/run):\n  \
         python3 -m venv ~/.cache/kubechat-helm-venv && ~/.cache/kubechat-helm-venv/bin/pip install helm-python-sdk\n\
         or point KUBECHAT_HELM_PYTHON at a Python that has `helm_python`."
    );
    default
}

/// Runs one helper command and returns its JSON answer.
fn helper(command: &str, values: &[&Path]) -> Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/helm_chart.py");
    let out = Command::new(python())
        .arg(&script)
        .arg(command)
        .arg(chart_dir())
        .args(values)
        .output()
        .expect("run the Helm helper");
    assert!(
        out.status.success(),
        "tests/helm_chart.py {command} failed (is helm-python-sdk installed in that Python? \
         .ci/run creates ~/.cache/kubechat-helm-venv with it): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("the helper prints JSON")
}

/// What one render produced.
pub struct Rendered {
    /// Every Kubernetes object, in template order.
    pub objects: Vec<Value>,
    /// The rendered NOTES.txt.
    pub notes: String,
}

impl Rendered {
    /// All objects of one kind.
    pub fn all(&self, kind: &str) -> Vec<&Value> {
        self.objects.iter().filter(|o| o["kind"] == kind).collect()
    }

    /// The only object of `kind`; panics when there is none or more than one.
    pub fn one(&self, kind: &str) -> &Value {
        let found = self.all(kind);
        assert_eq!(
            found.len(),
            1,
            "expected exactly one {kind}, got {}",
            found.len()
        );
        found[0]
    }

    /// The rendered kubechat config file (the ConfigMap's `config.toml`).
    pub fn config_toml(&self) -> &str {
        self.one("ConfigMap")["data"]["config.toml"]
            .as_str()
            .expect("ConfigMap has config.toml")
    }
}

/// Renders the chart as `helm install` would; `Err` carries Helm's message.
pub fn render(values: &[&Path]) -> Result<Rendered, String> {
    let answer = helper("render", values);
    if let Some(error) = answer.get("error") {
        return Err(error.as_str().unwrap_or_default().to_string());
    }
    let manifests = answer["manifests"].as_object().expect("manifests");
    let mut objects = Vec::new();
    let mut notes = String::new();
    for (template, text) in manifests {
        let text = text.as_str().expect("manifest text");
        if template.ends_with("NOTES.txt") {
            notes = text.to_string();
            continue;
        }
        let docs: Vec<Option<Value>> = serde_saphyr::from_multiple(text)
            .unwrap_or_else(|e| panic!("{template} is not valid YAML: {e}\n{text}"));
        objects.extend(docs.into_iter().flatten());
    }
    Ok(Rendered { objects, notes })
}

/// `helm lint --strict` findings of warning level or worse, as readable lines.
pub fn lint_problems(values: &[&Path]) -> Vec<String> {
    let report = helper("lint", values);
    let mut problems: Vec<String> = report["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|m| m["severity"].as_u64().unwrap_or(3) >= 2)
        .map(|m| format!("{}: {}", m["path"], m["error"]))
        .collect();
    problems.extend(
        report["errors"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|e| e.to_string()),
    );
    problems
}
