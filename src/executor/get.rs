//! `get`: one object, or a list fetched one bounded page at a time (`limit`, `continue`), so
//! a namespace with 10,000 pods costs one page of memory; the answer says how many more exist.
//! Tables are the API server's own (`as=Table`), rendered like kubectl's default columns.

use kube::Resource;
use kube::api::{DynamicObject, GetParams, ListParams};
use kube::core::Request;
use serde_json::Value;

use super::reads::{strip_noise, to_yaml};
use super::resolve::{KindCache, Resolved};
use super::table::{self, MAX_ROWS};
use super::writes::Call;
use super::{ExecError, Target};
use crate::actions::{Output, Scope};
use crate::redact;

const TABLE_ACCEPT: &str = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json";

/// What a `get` asks for.
pub struct Query<'a> {
    pub resolved: &'a Resolved,
    pub resource: &'a str,
    pub name: Option<&'a str>,
    pub scope: &'a Scope,
    pub selector: Option<&'a str>,
    pub field_selector: Option<&'a str>,
}

impl Query<'_> {
    fn namespace(&self) -> Option<&str> {
        if self.resolved.namespaced {
            self.scope.namespace()
        } else {
            None
        }
    }

    fn target(&self) -> Target {
        Target {
            verb: if self.name.is_some() { "get" } else { "list" }.into(),
            resource: self.resource.to_string(),
            name: self.name.map(str::to_string),
            namespace: self.namespace().map(str::to_string),
            ..Default::default()
        }
    }
}

/// Runs a `get` and renders the answer.
pub async fn get(
    client: &kube::Client,
    kinds: &KindCache,
    q: &Query<'_>,
    output: Output,
) -> Result<String, ExecError> {
    let as_table = matches!(output, Output::Table | Output::Wide);
    let mut value = match q.name {
        Some(name) => match fetch(client, q, Some(name), None, as_table).await {
            Err(ExecError::NotFound { .. }) => {
                let call = Call::new(client, kinds, q.resource, name, q.namespace(), "get").await?;
                return Err(call.not_found().await);
            }
            other => other?,
        },
        None => list_pages(client, q, as_table).await?,
    };
    let more = more_note(&value);
    redact::object(&mut value);
    let body = match output {
        Output::Table | Output::Wide => {
            let all_ns = q.resolved.namespaced && *q.scope == Scope::AllNamespaces;
            let t = table::render_server_table(&value, output == Output::Wide, all_ns);
            if t.is_empty() {
                return Ok(no_resources(q));
            }
            t.render()
        }
        Output::Json => serde_json::to_string_pretty(&strip_noise(value))
            .map_err(|e| ExecError::Api(e.to_string()))?,
        Output::Yaml => to_yaml(&strip_noise(value))?,
        Output::Name => names(&value, &q.resolved.api.kind.to_lowercase()),
    };
    Ok(format!("{body}{more}"))
}

/// Up to [`MAX_ROWS`] rows or items, one bounded page at a time: the API server may answer
/// a page short (field selectors) with a `continue` token, which is followed until the
/// answer is full. The merged value keeps the last page's list metadata (continue,
/// remainingItemCount) for the truncation note.
async fn list_pages(
    client: &kube::Client,
    q: &Query<'_>,
    as_table: bool,
) -> Result<Value, ExecError> {
    let mut merged: Option<Value> = None;
    let mut token: Option<String> = None;
    loop {
        let shown = merged.as_ref().map_or(0, entries);
        let limit = (MAX_ROWS - shown) as u32;
        let mut page = fetch(client, q, None, Some((limit, token.take())), as_table).await?;
        let next = page["metadata"]["continue"]
            .as_str()
            .unwrap_or("")
            .to_string();
        merged = Some(match merged {
            None => page,
            Some(mut all) => {
                let key = if as_table { "rows" } else { "items" };
                if let (Some(into), Some(more)) =
                    (all[key].as_array_mut(), page[key].as_array_mut())
                {
                    into.append(more);
                }
                all["metadata"] = page["metadata"].take();
                all
            }
        });
        let shown = merged.as_ref().map_or(0, entries);
        if next.is_empty() || shown >= MAX_ROWS {
            return Ok(merged.unwrap_or_default());
        }
        token = Some(next);
    }
}

fn entries(list: &Value) -> usize {
    list["rows"]
        .as_array()
        .or(list["items"].as_array())
        .map_or(0, Vec::len)
}

/// One GET: an object (`name`) or one list page (`page`: limit and continue token).
async fn fetch(
    client: &kube::Client,
    q: &Query<'_>,
    name: Option<&str>,
    page: Option<(u32, Option<String>)>,
    as_table: bool,
) -> Result<Value, ExecError> {
    let url = DynamicObject::url_path(&q.resolved.api, q.namespace());
    let request = Request::new(url);
    let mut http = match (name, page) {
        (Some(name), _) => request.get(name, &GetParams::default()),
        (None, page) => {
            let (limit, continue_token) = page.unwrap_or((MAX_ROWS as u32, None));
            request.list(&ListParams {
                label_selector: q.selector.map(str::to_string),
                field_selector: q.field_selector.map(str::to_string),
                limit: Some(limit),
                continue_token,
                ..Default::default()
            })
        }
    }
    .map_err(|e| ExecError::Invalid(e.to_string()))?;
    if as_table {
        http.headers_mut().insert(
            http::header::ACCEPT,
            http::HeaderValue::from_static(TABLE_ACCEPT),
        );
    }
    client
        .request(http)
        .await
        .map_err(|e| ExecError::from_kube(e, &q.target()))
}

fn no_resources(q: &Query<'_>) -> String {
    match q.namespace() {
        Some(ns) => format!("No {} found in {ns}.", q.resource),
        None => format!("No {} found.", q.resource),
    }
}

/// "… and N more" when the server has more pages than we showed.
fn more_note(list: &Value) -> String {
    let cont = list["metadata"]["continue"].as_str().unwrap_or("");
    if cont.is_empty() {
        return String::new();
    }
    let shown = entries(list);
    match list["metadata"]["remainingItemCount"].as_u64() {
        Some(rest) => format!(
            "… and {rest} more ({} in total); narrow it down with a name, -l selector or namespace.\n",
            rest + shown as u64
        ),
        None => format!(
            "… and more (showing the first {shown}); narrow it down with a name, -l selector or namespace.\n"
        ),
    }
}

fn names(value: &Value, kind: &str) -> String {
    let one = |v: &Value| format!("{kind}/{}\n", v["metadata"]["name"].as_str().unwrap_or(""));
    match value["items"].as_array() {
        Some(items) => items.iter().map(one).collect(),
        None => one(value),
    }
}
