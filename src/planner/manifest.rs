//! `apply` with an inline manifest: "apply\n<yaml>", "apply this in prod:\n```yaml …```",
//! "kubectl apply -f - <<EOF …". Used by both planners, before anything else, because the
//! manifest must not go through word-level normalisation.
//!
//! The manifest is checked, not trusted: every document needs apiVersion, kind and
//! metadata.name; Secrets are refused (their data would stay in chat and the ledger).

use serde::Deserialize;

use crate::actions::Action;

use super::reply::{self, Topic};
use super::target::Where;
use super::{PlanContext, Planned};

#[derive(Deserialize)]
struct Head {
    #[serde(rename = "apiVersion")]
    api_version: Option<String>,
    kind: Option<String>,
    metadata: Option<Meta>,
}

#[derive(Deserialize)]
struct Meta {
    name: Option<String>,
    namespace: Option<String>,
}

/// Plans an apply request, or `None` when `text` is not one.
pub(super) fn plan(text: &str, ctx: &PlanContext<'_>) -> Option<Planned> {
    let first_line_end = text.find('\n').unwrap_or(text.len());
    let first_line = &text[..first_line_end];
    let (command, fence_on_first_line) = match first_line.find("```") {
        Some(i) => (&first_line[..i], true),
        None => (first_line, false),
    };
    let mut words = command.split_whitespace().peekable();
    if words
        .peek()
        .is_some_and(|w| w.eq_ignore_ascii_case("kubectl") || *w == "k")
    {
        words.next();
    }
    if !words
        .next()
        .is_some_and(|w| w.trim_end_matches(':').eq_ignore_ascii_case("apply"))
    {
        return None;
    }
    let words: Vec<&str> = words.collect();
    let body = if fence_on_first_line {
        &text[command.len()..]
    } else {
        &text[first_line_end..]
    };
    Some(plan_apply(&words, body, ctx).unwrap_or_else(|p| p))
}

fn plan_apply(words: &[&str], body: &str, ctx: &PlanContext<'_>) -> Result<Planned, Planned> {
    let (wh, heredoc) = command_words(words, ctx)?;
    let manifest = strip_wrapping(body, heredoc);
    if manifest.is_empty() {
        return Err(Planned::Clarify(
            "Apply what? Send \"apply\" and the manifest on the following lines, e.g.\napply\n```yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  mode: fast\n```"
                .to_string(),
        ));
    }
    let namespace = check_documents(manifest, &wh, ctx)?;
    let mut wh = wh;
    if let Some(ns) = &namespace {
        wh.set_namespace(ns)?;
    }
    let namespace = wh.one_namespace(ctx)?;
    Ok(wh.finish(
        ctx,
        vec![Action::Apply {
            manifest: manifest.to_string(),
            namespace,
        }],
    ))
}

/// Reads the words after "apply" on the first line: filler, location, `-f -`, a heredoc.
fn command_words(words: &[&str], ctx: &PlanContext<'_>) -> Result<(Where, bool), Planned> {
    let mut wh = Where::default();
    let mut heredoc = false;
    let mut i = 0;
    while i < words.len() {
        let w = words[i].trim_end_matches(':');
        let lw = w.to_ascii_lowercase();
        let next = words.get(i + 1).map(|n| n.trim_end_matches(':'));
        match lw.as_str() {
            "" | "this" | "these" | "the" | "following" | "manifest" | "manifests" | "yaml"
            | "yml" | "it" | "please" | "--server-side" | "-" => {}
            "-f" | "--filename" => match next {
                Some("-") => i += 1,
                _ => {
                    return Err(reply::refuse(
                        "read files",
                        "it has no access to your machine. Paste the manifest after \"apply\" instead.",
                    ));
                }
            },
            "-k" | "--kustomize" => {
                return Err(reply::refuse(
                    "build kustomizations",
                    "paste the rendered manifest (kubectl kustomize) after \"apply\" instead.",
                ));
            }
            "-n" | "--namespace" => {
                wh.set_namespace(next.unwrap_or_default())?;
                i += 1;
            }
            "--context" => {
                wh.set_cluster(next.unwrap_or_default(), ctx)?;
                i += 1;
            }
            "in" | "to" | "into" | "on" => {
                let (x, used) = match next.map(str::to_ascii_lowercase).as_deref() {
                    Some("namespace" | "ns") => (words.get(i + 2), 2),
                    Some("cluster" | "context") => (words.get(i + 2), 2),
                    _ => (words.get(i + 1), 1),
                };
                let x = x.map(|x| x.trim_end_matches(':')).unwrap_or_default();
                match next.map(str::to_ascii_lowercase).as_deref() {
                    Some("namespace" | "ns") => wh.set_namespace(x)?,
                    Some("cluster" | "context") => wh.set_cluster(x, ctx)?,
                    _ => wh.set_in(x, ctx)?,
                }
                i += used;
            }
            _ if lw.starts_with("<<") => heredoc = true,
            _ if lw.starts_with("--namespace=") => wh.set_namespace(&w[12..])?,
            _ if lw.starts_with("--context=") => wh.set_cluster(&w[10..], ctx)?,
            _ if lw.starts_with("--dry-run") => {
                return Err(reply::refuse(
                    "take --dry-run",
                    "every change is already dry-run on the server and shown as a preview before you approve it.",
                ));
            }
            _ => {
                return Err(reply::not_understood(
                    &format!("I don't know what \"{w}\" means after \"apply\""),
                    Topic::Writes,
                ));
            }
        }
        i += 1;
    }
    Ok((wh, heredoc))
}

/// The manifest without Markdown fences or a heredoc terminator.
fn strip_wrapping(body: &str, heredoc: bool) -> &str {
    let mut m = body.trim();
    if let Some(rest) = m.strip_prefix("```") {
        // Drop the fence's language tag ("```yaml"), if the fence has one.
        m = match rest.split_once('\n') {
            Some((tag, r)) if !tag.contains(':') => r,
            Some(_) => rest,
            None => "",
        };
    }
    m = m.trim_end();
    if let Some(rest) = m.strip_suffix("```") {
        m = rest.trim_end();
    }
    if heredoc && let Some(rest) = m.strip_suffix("EOF") {
        m = rest.trim_end();
    }
    m.trim_matches('\n')
}

/// Checks every document; returns the namespace the documents name, if they name one.
fn check_documents(
    manifest: &str,
    wh: &Where,
    ctx: &PlanContext<'_>,
) -> Result<Option<String>, Planned> {
    let docs: Vec<Option<Head>> = serde_saphyr::from_multiple(manifest).map_err(|e| {
        let first = e.to_string();
        let first = first.lines().next().unwrap_or_default().to_string();
        reply::not_understood(
            &format!("the manifest is not valid YAML ({first})"),
            Topic::Writes,
        )
    })?;
    let mut namespace: Option<String> = None;
    let mut count = 0;
    for head in docs.into_iter().flatten() {
        count += 1;
        let kind = head.kind.unwrap_or_default();
        let name = head.metadata.as_ref().and_then(|m| m.name.clone());
        if head.api_version.is_none() || kind.is_empty() || name.is_none() {
            return Err(reply::not_understood(
                "every document in the manifest needs apiVersion, kind and metadata.name",
                Topic::Writes,
            ));
        }
        if kind == "Secret" {
            return Err(reply::refuse(
                "apply Secrets from chat",
                "their data would stay in the chat history and the audit ledger. Create secrets with your secret manager (e.g. external-secrets or sealed-secrets) instead.",
            ));
        }
        if let Some(ns) = head.metadata.and_then(|m| m.namespace) {
            match &namespace {
                Some(n) if *n != ns => {
                    return Err(Planned::Clarify(format!(
                        "The manifest names two namespaces, {n} and {ns}. kubechat applies to one namespace at a time: split it into two requests."
                    )));
                }
                _ => namespace = Some(ns),
            }
        }
    }
    if count == 0 {
        return Err(reply::not_understood(
            "the manifest has no documents",
            Topic::Writes,
        ));
    }
    if let Some(ns) = &namespace
        && wh.names_namespace()
        && wh.namespace(ctx) != ns
    {
        return Err(Planned::Clarify(format!(
            "You asked to apply in {} but the manifest says namespace {ns}. Which one is right?",
            wh.namespace(ctx)
        )));
    }
    Ok(namespace)
}
