//! Export formats of ledger entries (pure formatting; the store streams rows through it).
//!
//! Invariants:
//! - `jsonl`: one JSON object per line, every [`Entry`] field, parseable back into `Entry`;
//! - `json`: the same objects as one JSON array (one entry per line, so it streams too);
//! - `csv`: RFC 4180 with a fixed header; a cell that a spreadsheet would run as a formula
//!   (first character `=`, `+`, `-`, `@`, tab or CR) is prefixed with `'`, so opening an
//!   export can never execute text that a chat user typed. That prefix is the one lossy step:
//!   use `jsonl` for machine processing.

use std::fmt;
use std::io::{self, Write};
use std::str::FromStr;

use super::Entry;
use super::chain::canonical_json;

/// How `kubechat audit export` writes entries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    /// One JSON object per line.
    Jsonl,
    /// One JSON array of objects.
    Json,
    /// Comma-separated values with a header row, safe to open in a spreadsheet.
    Csv,
}

impl ExportFormat {
    /// The accepted names, as [`FromStr`] reads them.
    pub const NAMES: [&'static str; 3] = ["jsonl", "json", "csv"];

    /// The name of this format.
    pub fn as_str(self) -> &'static str {
        match self {
            ExportFormat::Jsonl => "jsonl",
            ExportFormat::Json => "json",
            ExportFormat::Csv => "csv",
        }
    }
}

impl fmt::Display for ExportFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An export format name that is not `jsonl`, `json` or `csv`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown export format {0:?}: use jsonl, json or csv")]
pub struct ParseExportFormatError(pub String);

impl FromStr for ExportFormat {
    type Err = ParseExportFormatError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "jsonl" => Ok(ExportFormat::Jsonl),
            "json" => Ok(ExportFormat::Json),
            "csv" => Ok(ExportFormat::Csv),
            _ => Err(ParseExportFormatError(s.to_owned())),
        }
    }
}

/// The CSV header row (without the line ending).
pub(super) const CSV_HEADER: &str =
    "seq,time,actor,cluster,namespace,plan_id,kind,payload,prev_hash,hash";

/// Writes what comes before the first entry.
pub(super) fn write_header(format: ExportFormat, out: &mut impl Write) -> io::Result<()> {
    match format {
        ExportFormat::Jsonl => Ok(()),
        ExportFormat::Json => out.write_all(b"["),
        ExportFormat::Csv => write!(out, "{CSV_HEADER}\r\n"),
    }
}

/// Writes one entry as a line of `format`; `index` counts the entries written before it.
pub(super) fn write_entry(
    format: ExportFormat,
    entry: &Entry,
    index: u64,
    out: &mut impl Write,
) -> io::Result<()> {
    match format {
        ExportFormat::Jsonl => {
            serde_json::to_writer(&mut *out, entry)?;
            out.write_all(b"\n")
        }
        ExportFormat::Json => {
            out.write_all(if index == 0 { b"\n" } else { b",\n" })?;
            serde_json::to_writer(&mut *out, entry).map_err(io::Error::from)
        }
        ExportFormat::Csv => write_csv_row(entry, out),
    }
}

/// Writes what comes after the last of `written` entries.
pub(super) fn write_footer(
    format: ExportFormat,
    written: u64,
    out: &mut impl Write,
) -> io::Result<()> {
    match (format, written) {
        (ExportFormat::Json, 0) => out.write_all(b"]\n"),
        (ExportFormat::Json, _) => out.write_all(b"\n]\n"),
        _ => Ok(()),
    }
}

// CSV is written by hand: the format is ~20 lines here, and the `csv` crate would add a
// dependency while still leaving formula-injection escaping to us.
fn write_csv_row(e: &Entry, out: &mut impl Write) -> io::Result<()> {
    let seq = e.seq.to_string();
    let time = e.time.to_string();
    let payload = canonical_json(&e.payload);
    let cells = [
        seq.as_str(),
        &time,
        &e.actor,
        e.cluster.as_deref().unwrap_or(""),
        e.namespace.as_deref().unwrap_or(""),
        e.plan_id.as_deref().unwrap_or(""),
        e.kind.as_str(),
        &payload,
        &e.prev_hash,
        &e.hash,
    ];
    for (i, cell) in cells.into_iter().enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        write_csv_cell(cell, out)?;
    }
    out.write_all(b"\r\n")
}

/// One RFC 4180 cell with formula-injection protection (OWASP "CSV injection").
fn write_csv_cell(cell: &str, out: &mut impl Write) -> io::Result<()> {
    let formula = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let quote = cell.contains([',', '"', '\r', '\n']);
    if quote {
        out.write_all(b"\"")?;
    }
    if formula {
        out.write_all(b"'")?;
    }
    if quote {
        out.write_all(cell.replace('"', "\"\"").as_bytes())?;
        out.write_all(b"\"")
    } else {
        out.write_all(cell.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(s: &str) -> String {
        let mut out = Vec::new();
        write_csv_cell(s, &mut out).expect("Vec");
        String::from_utf8(out).expect("utf-8")
    }

    #[test]
    fn csv_cells_are_quoted_per_rfc_4180() {
        assert_eq!(cell("plain"), "plain");
        assert_eq!(cell(""), "");
        assert_eq!(cell("a,b"), "\"a,b\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("two\nlines"), "\"two\nlines\"");
        assert_eq!(cell("cr\rhere"), "\"cr\rhere\"");
    }

    #[test]
    fn csv_cells_that_look_like_formulas_are_defused() {
        assert_eq!(
            cell("=HYPERLINK(\"http://evil\")"),
            "\"'=HYPERLINK(\"\"http://evil\"\")\""
        );
        assert_eq!(cell("=1+2"), "'=1+2");
        assert_eq!(cell("+1"), "'+1");
        assert_eq!(cell("-1"), "'-1");
        assert_eq!(cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(cell("\tx"), "'\tx");
        assert_eq!(cell("\rx"), "\"'\rx\"");
        assert_eq!(
            cell("a=b"),
            "a=b",
            "only a leading character triggers a formula"
        );
    }

    #[test]
    fn formats_parse_from_their_names() {
        assert_eq!("jsonl".parse(), Ok(ExportFormat::Jsonl));
        assert_eq!("CSV".parse(), Ok(ExportFormat::Csv));
        for name in ExportFormat::NAMES {
            let format: ExportFormat = name.parse().expect("listed name");
            assert_eq!(format.to_string(), name);
        }
        let err = "xml".parse::<ExportFormat>().expect_err("unknown");
        assert_eq!(
            err.to_string(),
            "unknown export format \"xml\": use jsonl, json or csv"
        );
    }
}
