//! `apply --server-side` of an inline manifest (one or many YAML documents), as the requester
//! with `fieldManager=kubechat` and without forcing conflicts (like kubectl without
//! `--force-conflicts`). Each document is resolved by its apiVersion/kind (built-ins from the
//! table, others by discovery), previewed with a dry-run apply and shown as a diff against the
//! live object or as "created". The preview's version is a fingerprint of every document's
//! resourceVersion, so a change to any of them between preview and approval is refused.

use kube::api::{Api, DynamicObject, Patch, PatchParams};
use serde_json::{Value, json};

use super::review::{self, Need};
use super::show::{created, diff};
use super::{Captured, FIELD_MANAGER, WritePreview, to_value};
use crate::actions::Action;
use crate::executor::resolve::{KindCache, Resolved};
use crate::executor::{ExecError, Target};

/// One document of the manifest, resolved.
struct Doc {
    body: Value,
    resolved: Resolved,
    name: String,
    namespace: Option<String>,
    api: Api<DynamicObject>,
    target: Target,
}

impl Doc {
    fn label(&self) -> String {
        format!("{}/{}", self.resolved.api.kind.to_lowercase(), self.name)
    }

    fn need(&self, verb: &'static str) -> Need {
        Need {
            verb,
            group: self.resolved.api.group.clone(),
            resource: self.resolved.api.plural.clone(),
            subresource: None,
            name: (verb != "create").then(|| self.name.clone()),
            namespace: self.namespace.clone(),
        }
    }

    async fn live(&self) -> Result<Option<DynamicObject>, ExecError> {
        self.api
            .get_opt(&self.name)
            .await
            .map_err(|e| ExecError::from_kube(e, &self.target))
    }
}

/// Splits a manifest into its non-empty documents (pure).
pub fn documents(manifest: &str) -> Result<Vec<Value>, ExecError> {
    let docs: Vec<Option<Value>> = serde_saphyr::from_multiple(manifest)
        .map_err(|e| ExecError::Invalid(format!("the manifest is not valid YAML: {e}")))?;
    let docs: Vec<Value> = docs
        .into_iter()
        .flatten()
        .filter(|d| !d.is_null())
        .collect();
    if docs.is_empty() {
        return Err(ExecError::Invalid("the manifest has no documents".into()));
    }
    for (i, d) in docs.iter().enumerate() {
        let missing = ["apiVersion", "kind"]
            .into_iter()
            .filter(|k| !d[*k].is_string())
            .chain((!d["metadata"]["name"].is_string()).then_some("metadata.name"))
            .collect::<Vec<_>>();
        if !missing.is_empty() {
            return Err(ExecError::Invalid(format!(
                "document {} of the manifest has no {}",
                i + 1,
                missing.join(", ")
            )));
        }
        if d["kind"] == "Secret" {
            return Err(ExecError::Invalid(
                "kubechat does not apply Secrets: their data would stay in chat and the audit ledger".into(),
            ));
        }
    }
    Ok(docs)
}

async fn docs(
    client: &kube::Client,
    kinds: &KindCache,
    action: &Action,
) -> Result<Vec<Doc>, ExecError> {
    let Action::Apply {
        manifest,
        namespace,
    } = action
    else {
        return Err(ExecError::Invalid(format!(
            "`{}` is not an apply",
            action.verb()
        )));
    };
    let mut out = Vec::new();
    for mut body in documents(manifest)? {
        let api_version = body["apiVersion"].as_str().unwrap_or_default().to_string();
        let kind = body["kind"].as_str().unwrap_or_default().to_string();
        let name = body["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let resolved = kinds.resolve_gvk(&api_version, &kind).await?;
        let ns = resolved.namespaced.then(|| {
            body["metadata"]["namespace"]
                .as_str()
                .unwrap_or(namespace)
                .to_string()
        });
        let api = match &ns {
            Some(ns) => {
                body["metadata"]["namespace"] = json!(ns);
                Api::namespaced_with(client.clone(), ns, &resolved.api)
            }
            None => Api::all_with(client.clone(), &resolved.api),
        };
        let target = Target {
            verb: "patch".into(),
            resource: resolved.api.plural.clone(),
            name: Some(name.clone()),
            namespace: ns.clone(),
            ..Default::default()
        };
        out.push(Doc {
            body,
            resolved,
            name,
            namespace: ns,
            api,
            target,
        });
    }
    Ok(out)
}

fn fingerprint(docs: &[Doc], lives: &[Option<DynamicObject>]) -> String {
    docs.iter()
        .zip(lives)
        .map(|(d, l)| {
            let rv = l
                .as_ref()
                .and_then(|l| l.metadata.resource_version.as_deref())
                .unwrap_or("-");
            format!("{}={rv}", d.label())
        })
        .collect::<Vec<_>>()
        .join(",")
}

fn params(dry_run: bool) -> PatchParams {
    PatchParams {
        dry_run,
        force: false,
        field_manager: Some(FIELD_MANAGER.into()),
        ..Default::default()
    }
}

/// Previews every document: RBAC (patch; create for new objects), dry-run apply, diff.
pub async fn preview(
    client: &kube::Client,
    kinds: &KindCache,
    action: &Action,
) -> Result<WritePreview, ExecError> {
    let docs = docs(client, kinds, action).await?;
    let needs: Vec<Need> = docs.iter().map(|d| d.need("patch")).collect();
    let verdict = review::check(client, &needs).await?;
    if let Some((need, reason)) = verdict.denied {
        return Ok(review::denied_preview(&need, reason));
    }
    let mut lives = Vec::new();
    let mut rbac = vec![verdict.allowed_words];
    for d in &docs {
        let live = d.live().await?;
        if live.is_none() {
            let v = review::check(client, &[d.need("create")]).await?;
            if let Some((need, reason)) = v.denied {
                return Ok(review::denied_preview(&need, reason));
            }
            rbac.push(v.allowed_words);
        }
        lives.push(live);
    }
    let (mut diffs, mut checks, mut planned) = (String::new(), Vec::new(), Vec::new());
    for (d, live) in docs.iter().zip(&lives) {
        let after = d
            .api
            .patch(&d.name, &params(true), &Patch::Apply(&d.body))
            .await
            .map_err(|e| ExecError::from_kube(e, &d.target))?;
        let after = to_value(&after)?;
        match live {
            Some(live) => {
                let text = diff(&to_value(live)?, &after)?;
                let what = if text.is_empty() {
                    "unchanged"
                } else {
                    "configured"
                };
                checks.push(format!("{} {what}", d.label()));
                diffs.push_str(&text);
            }
            None => {
                checks.push(format!("{} created", d.label()));
                diffs.push_str(&created(&after)?);
            }
        }
        planned.push(after);
    }
    checks.insert(
        0,
        format!(
            "server-side dry run: all {} document(s) accepted (field manager {FIELD_MANAGER}, admission webhooks included)",
            docs.len()
        ),
    );
    checks.push(format!(
        "blast radius: {} object(s) created or changed as listed",
        docs.len()
    ));
    let live_values: Vec<Value> = lives
        .iter()
        .map(|l| {
            l.as_ref()
                .map(to_value)
                .transpose()
                .map(Option::unwrap_or_default)
        })
        .collect::<Result<_, _>>()?;
    Ok(WritePreview {
        allowed: true,
        rbac: format!("RBAC allows: {}", rbac.join("; ")),
        diff: diffs,
        checks,
        version: Some(fingerprint(&docs, &lives)),
        live: Some(Value::Array(live_values)),
        planned: Some(Value::Array(planned)),
    })
}

async fn unchanged(
    docs: &[Doc],
    expected: Option<&str>,
) -> Result<Vec<Option<DynamicObject>>, ExecError> {
    let mut lives = Vec::new();
    for d in docs {
        lives.push(d.live().await?);
    }
    if let Some(expected) = expected
        && fingerprint(docs, &lives) != expected
    {
        return Err(ExecError::Changed("an object of the manifest".into()));
    }
    Ok(lives)
}

/// Captures every document's live object (or its absence) before the apply.
pub async fn capture(
    client: &kube::Client,
    kinds: &KindCache,
    action: &Action,
    expected: Option<&str>,
) -> Result<Vec<Captured>, ExecError> {
    let docs = docs(client, kinds, action).await?;
    let lives = unchanged(&docs, expected).await?;
    docs.iter()
        .zip(&lives)
        .map(|(d, l)| {
            let object = l.as_ref().map(to_value).transpose()?;
            Ok(Captured::of(
                &d.resolved,
                d.namespace.as_deref(),
                &d.name,
                object,
            ))
        })
        .collect()
}

/// Applies every document in order; existing objects carry their previewed resourceVersion.
pub async fn execute(
    client: &kube::Client,
    kinds: &KindCache,
    action: &Action,
    expected: Option<&str>,
) -> Result<String, ExecError> {
    let docs = docs(client, kinds, action).await?;
    let lives = unchanged(&docs, expected).await?;
    let mut done = Vec::new();
    for (d, live) in docs.iter().zip(&lives) {
        let mut body = d.body.clone();
        let rv = live
            .as_ref()
            .and_then(|l| l.metadata.resource_version.clone());
        if let Some(rv) = &rv {
            body["metadata"]["resourceVersion"] = json!(rv);
        }
        let outcome = d
            .api
            .patch(&d.name, &params(false), &Patch::Apply(&body))
            .await;
        if let Err(e) = outcome {
            let err = match ExecError::from_kube(e, &d.target) {
                ExecError::Conflict(_) if rv.is_some() => ExecError::Changed(d.label()),
                other => other,
            };
            if done.is_empty() {
                return Err(err);
            }
            return Err(ExecError::Api(format!(
                "{err} (already applied before the failure: {})",
                done.join(", ")
            )));
        }
        done.push(format!(
            "{} {}",
            d.label(),
            if live.is_some() {
                "configured"
            } else {
                "created"
            }
        ));
    }
    Ok(format!("Done: applied {}.", done.join(", ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manifest_splits_into_checked_documents() {
        let m = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\n# only a comment\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: b\n";
        let docs = documents(m).expect("two docs");
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[1]["kind"], "Service");
        let err = documents("apiVersion: v1\nkind: ConfigMap\n").expect_err("no name");
        assert!(
            err.to_string()
                .contains("document 1 of the manifest has no metadata.name"),
            "{err}"
        );
        let err =
            documents("apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n").expect_err("secret");
        assert!(err.to_string().contains("does not apply Secrets"), "{err}");
        assert!(documents("a: [").is_err());
    }
}
