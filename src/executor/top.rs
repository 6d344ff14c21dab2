//! `top pods|nodes` from the metrics.k8s.io API (metrics-server), like kubectl: CPU in
//! millicores, memory in Mi, nodes with percentages of their allocatable resources.
//!
//! Metrics are read as the requester (PodMetrics/NodeMetrics as dynamic objects); whether the
//! API exists at all comes from discovery. A cluster without metrics-server gets a plain
//! answer saying so, not an API error.

use k8s_openapi::api::core::v1::Node;
use kube::api::{Api, ApiResource, DynamicObject, ListParams};
use serde_json::Value;

use super::resolve::KindCache;
use super::table::{MAX_ROWS, Text};
use super::{ExecError, Target};
use crate::actions::{Scope, TopResource};

const GROUP: &str = "metrics.k8s.io";

/// The answer when the cluster serves no metrics API.
pub const NOT_INSTALLED: &str = "metrics are not available on this cluster: it does not serve the metrics.k8s.io API (metrics-server is not installed). Ask an admin to install metrics-server; meanwhile `describe pod` / `describe node` show requests and limits";

/// Runs `top pods` or `top nodes`.
pub async fn top(
    client: &kube::Client,
    kinds: &KindCache,
    resource: TopResource,
    scope: &Scope,
    name: Option<&str>,
) -> Result<String, ExecError> {
    let Some(version) = kinds.group_version(GROUP).await? else {
        return Err(ExecError::Unsupported(NOT_INSTALLED.into()));
    };
    let (kind, plural) = match resource {
        TopResource::Pods => ("PodMetrics", "pods"),
        TopResource::Nodes => ("NodeMetrics", "nodes"),
    };
    let ar = ApiResource {
        group: GROUP.into(),
        version: version.clone(),
        api_version: format!("{GROUP}/{version}"),
        kind: kind.into(),
        plural: plural.into(),
    };
    let namespace = match resource {
        TopResource::Pods => scope.namespace(),
        TopResource::Nodes => None,
    };
    let api: Api<DynamicObject> = match namespace {
        Some(ns) => Api::namespaced_with(client.clone(), ns, &ar),
        None => Api::all_with(client.clone(), &ar),
    };
    let target = Target {
        verb: if name.is_some() { "get" } else { "list" }.into(),
        resource: format!("{plural}.{GROUP}"),
        name: name.map(str::to_string),
        namespace: namespace.map(str::to_string),
        ..Default::default()
    };
    let mut items = match name {
        Some(n) => vec![api.get(n).await.map_err(|e| metrics_error(e, &target))?],
        None => {
            api.list(&ListParams::default())
                .await
                .map_err(|e| metrics_error(e, &target))?
                .items
        }
    };
    items.sort_by(|a, b| {
        (&a.metadata.namespace, &a.metadata.name).cmp(&(&b.metadata.namespace, &b.metadata.name))
    });
    if items.is_empty() {
        return Ok(match namespace {
            Some(ns) => format!(
                "No pod metrics in {ns} yet (no running pods, or they started less than a minute ago)."
            ),
            None => format!(
                "No {plural} metrics yet (metrics-server collects them about once a minute)."
            ),
        });
    }
    let out = match resource {
        TopResource::Pods => pods_table(&items, *scope == Scope::AllNamespaces),
        TopResource::Nodes => nodes_table(&items, &allocatable(client).await),
    };
    let mut text = out.render();
    if items.len() > MAX_ROWS {
        text.push_str(&format!(
            "… and {} more ({} in total).\n",
            items.len() - MAX_ROWS,
            items.len()
        ));
    }
    Ok(text)
}

/// A missing metrics API (404 on the list) or one that does not answer (503) in plain words.
fn metrics_error(e: kube::Error, target: &Target) -> ExecError {
    match &e {
        kube::Error::Api(s) if s.code == 404 && target.name.is_none() => {
            ExecError::Unsupported(NOT_INSTALLED.into())
        }
        kube::Error::Api(s) if s.code == 404 => ExecError::Invalid(format!(
            "no metrics for {} {} yet: it does not exist{}, or it started less than a minute ago",
            target.resource.trim_end_matches(&format!("s.{GROUP}")),
            target.name.as_deref().unwrap_or_default(),
            target
                .namespace
                .as_deref()
                .map(|ns| format!(" in {ns}"))
                .unwrap_or_default(),
        )),
        kube::Error::Api(s) if s.code == 503 => ExecError::Api(format!(
            "the metrics API (metrics.k8s.io) is registered but not answering ({}); metrics-server may be down or still starting",
            s.message
        )),
        _ => ExecError::from_kube(e, target),
    }
}

/// Summed container usage of one PodMetrics: (millicores, bytes).
fn pod_usage(m: &DynamicObject) -> (u64, u64) {
    m.data["containers"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| usage(&c["usage"]))
        .fold((0, 0), |(c, b), (c2, b2)| (c + c2, b + b2))
}

fn usage(u: &Value) -> (u64, u64) {
    let cpu = u["cpu"].as_str().and_then(quantity).unwrap_or(0.0);
    let mem = u["memory"].as_str().and_then(quantity).unwrap_or(0.0);
    (millicores(cpu), mem.max(0.0) as u64)
}

/// kubectl rounds CPU up to whole millicores (less a hair, so `7m` parsed as 0.007 cores
/// and multiplied back is not taken for 7.000000000000001).
fn millicores(cores: f64) -> u64 {
    (cores * 1000.0 - 1e-6).ceil().max(0.0) as u64
}

fn mebibytes(bytes: u64) -> String {
    format!("{}Mi", bytes / (1024 * 1024))
}

fn pods_table(items: &[DynamicObject], all_namespaces: bool) -> Text {
    let mut header = vec![
        "NAME".to_string(),
        "CPU(cores)".into(),
        "MEMORY(bytes)".into(),
    ];
    if all_namespaces {
        header.insert(0, "NAMESPACE".into());
    }
    let mut t = Text::new(header);
    for m in items {
        let (cpu, mem) = pod_usage(m);
        let mut row = vec![
            m.metadata.name.clone().unwrap_or_default(),
            format!("{cpu}m"),
            mebibytes(mem),
        ];
        if all_namespaces {
            row.insert(0, m.metadata.namespace.clone().unwrap_or_default());
        }
        t.row(row);
    }
    t
}

/// Each node's allocatable (millicores, bytes), read as the requester; empty when they may
/// not list nodes (the percentages then show `<unknown>`, as in kubectl).
async fn allocatable(client: &kube::Client) -> Vec<(String, (u64, u64))> {
    let api: Api<Node> = Api::all(client.clone());
    let Ok(list) = api.list(&ListParams::default()).await else {
        return Vec::new();
    };
    list.items
        .into_iter()
        .filter_map(|n| {
            let alloc = n.status?.allocatable?;
            let cpu = alloc.get("cpu").and_then(|q| quantity(&q.0)).unwrap_or(0.0);
            let mem = alloc
                .get("memory")
                .and_then(|q| quantity(&q.0))
                .unwrap_or(0.0);
            Some((n.metadata.name?, (millicores(cpu), mem as u64)))
        })
        .collect()
}

fn nodes_table(items: &[DynamicObject], alloc: &[(String, (u64, u64))]) -> Text {
    let mut t = Text::new(
        ["NAME", "CPU(cores)", "CPU(%)", "MEMORY(bytes)", "MEMORY(%)"]
            .map(String::from)
            .to_vec(),
    );
    let percent = |used: u64, of: Option<u64>| match of {
        Some(total) if total > 0 => format!("{}%", used * 100 / total),
        _ => "<unknown>".to_string(),
    };
    for m in items {
        let name = m.metadata.name.clone().unwrap_or_default();
        let (cpu, mem) = usage(&m.data["usage"]);
        let of = alloc.iter().find(|(n, _)| *n == name).map(|(_, a)| *a);
        t.row(vec![
            name,
            format!("{cpu}m"),
            percent(cpu, of.map(|a| a.0)),
            mebibytes(mem),
            percent(mem, of.map(|a| a.1)),
        ]);
    }
    t
}

/// A Kubernetes quantity (`250m`, `1.5`, `128974848`, `123456Ki`, `1Gi`, `12e6`, `5n`) in base
/// units (cores or bytes). Written here because k8s-openapi's `Quantity` is only a string and
/// no maintained crate parses it; this covers every suffix the API server emits.
pub fn quantity(text: &str) -> Option<f64> {
    let text = text.trim();
    if let Ok(n) = text.parse::<f64>() {
        return Some(n);
    }
    const BINARY: [(&str, f64); 6] = [
        ("Ki", 1024.0),
        ("Mi", 1048576.0),
        ("Gi", 1073741824.0),
        ("Ti", 1099511627776.0),
        ("Pi", 1125899906842624.0),
        ("Ei", 1152921504606846976.0),
    ];
    const DECIMAL: [(&str, f64); 9] = [
        ("n", 1e-9),
        ("u", 1e-6),
        ("m", 1e-3),
        ("k", 1e3),
        ("M", 1e6),
        ("G", 1e9),
        ("T", 1e12),
        ("P", 1e15),
        ("E", 1e18),
    ];
    BINARY
        .iter()
        .chain(DECIMAL.iter())
        .find_map(|(suffix, factor)| {
            let number = text.strip_suffix(suffix)?;
            number.parse::<f64>().ok().map(|n| n * factor)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_parse_like_the_api_server_writes_them() {
        assert_eq!(quantity("250m"), Some(0.25));
        assert_eq!(quantity("2"), Some(2.0));
        assert_eq!(quantity("1Ki"), Some(1024.0));
        assert_eq!(quantity("64Mi"), Some(67108864.0));
        assert_eq!(quantity("12e6"), Some(12e6));
        assert_eq!(quantity("1G"), Some(1e9));
        assert_eq!(quantity("lots"), None);
        let nano = quantity("1500000n").expect("nanocores");
        assert_eq!(millicores(nano), 2, "kubectl rounds up");
        assert_eq!(mebibytes(67108864 + 1), "64Mi");
        for m in 1..2000u64 {
            let q = quantity(&format!("{m}m")).expect("millicores");
            assert_eq!(millicores(q), m, "{m}m");
        }
    }
}
