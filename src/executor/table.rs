//! Text tables: the API server's `Table` format rendered like kubectl's default output, and a
//! small builder for tables kubechat composes itself.

use serde_json::Value;

/// Most rows shown in chat; the rest are counted, not listed.
pub const MAX_ROWS: usize = 50;

/// Renders a `meta.k8s.io/v1 Table` response. `namespace_column` prepends NAMESPACE from
/// each row's object metadata (for `-A`); `wide` includes priority > 0 columns.
pub fn render_server_table(table: &Value, wide: bool, namespace_column: bool) -> Text {
    let columns: Vec<(usize, String)> = table["columnDefinitions"]
        .as_array()
        .map(|cols| {
            cols.iter()
                .enumerate()
                .filter(|(_, c)| wide || c["priority"].as_i64().unwrap_or(0) == 0)
                .map(|(i, c)| (i, c["name"].as_str().unwrap_or("").to_uppercase()))
                .collect()
        })
        .unwrap_or_default();
    let mut out = Text::new(
        namespace_column
            .then(|| "NAMESPACE".to_string())
            .into_iter()
            .chain(columns.iter().map(|(_, n)| n.clone()))
            .collect(),
    );
    for row in table["rows"].as_array().into_iter().flatten() {
        let cells = row["cells"].as_array();
        let mut line = Vec::with_capacity(columns.len() + 1);
        if namespace_column {
            line.push(
                row["object"]["metadata"]["namespace"]
                    .as_str()
                    .unwrap_or("")
                    .to_string(),
            );
        }
        for (i, _) in &columns {
            line.push(cell_text(cells.and_then(|c| c.get(*i))));
        }
        out.row(line);
    }
    out
}

fn cell_text(cell: Option<&Value>) -> String {
    match cell {
        None | Some(Value::Null) => "<none>".into(),
        Some(Value::String(s)) if s.is_empty() => "<none>".into(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// An aligned text table.
#[derive(Debug, Default)]
pub struct Text {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Text {
    pub fn new(header: Vec<String>) -> Self {
        Text {
            header,
            rows: Vec::new(),
        }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Aligned columns separated by three spaces, like kubectl; at most [`MAX_ROWS`] rows.
    pub fn render(&self) -> String {
        let shown = &self.rows[..self.rows.len().min(MAX_ROWS)];
        let mut widths: Vec<usize> = self.header.iter().map(|h| h.chars().count()).collect();
        for row in shown {
            for (i, cell) in row.iter().enumerate() {
                if let Some(w) = widths.get_mut(i) {
                    *w = (*w).max(cell.chars().count());
                }
            }
        }
        let mut out = String::new();
        for row in std::iter::once(&self.header).chain(shown) {
            let mut line = String::new();
            for (i, cell) in row.iter().enumerate() {
                if i + 1 == row.len() {
                    line.push_str(cell);
                } else {
                    let pad = widths.get(i).copied().unwrap_or(0);
                    line.push_str(&format!("{cell:<pad$}   "));
                }
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn renders_server_tables_like_kubectl() {
        let table = json!({
            "kind": "Table",
            "columnDefinitions": [
                {"name": "Name", "priority": 0}, {"name": "Ready", "priority": 0},
                {"name": "Status", "priority": 0}, {"name": "IP", "priority": 1}
            ],
            "rows": [
                {"cells": ["api-1", "1/1", "Running", "10.0.0.1"], "object": {"metadata": {"namespace": "prod"}}},
                {"cells": ["api-22", "0/1", "Pending", null], "object": {"metadata": {"namespace": "dev"}}}
            ]
        });
        assert_eq!(
            render_server_table(&table, false, false).render(),
            "NAME     READY   STATUS\napi-1    1/1     Running\napi-22   0/1     Pending\n"
        );
        assert_eq!(
            render_server_table(&table, true, true).render(),
            "NAMESPACE   NAME     READY   STATUS    IP\nprod        api-1    1/1     Running   10.0.0.1\ndev         api-22   0/1     Pending   <none>\n"
        );
    }
}
