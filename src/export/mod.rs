//! Output formats for tables: one module per format. Each works from serde values, so a
//! table printed to the terminal, a CSV and the JSON always hold the same numbers.

pub mod csv;
pub mod frame;
pub mod json;
pub mod table;

use serde::Serialize;
use serde_json::Value;

/// `--format` of the `nps` and `drivers` commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum Format {
    Table,
    Json,
    Csv,
}

/// Rows of a table: the serialized records, flattened to one text cell per field.
/// Nested objects become `parent.field` columns; the header is every field any row has,
/// in the order first seen, and a row without one gets an empty cell. Arrays become
/// `;`-separated lists so a CSV keeps them in one cell.
pub fn records<T: Serialize>(rows: &[T]) -> (Vec<String>, Vec<Vec<String>>) {
    let flat: Vec<Vec<(String, String)>> = rows
        .iter()
        .map(|r| {
            let mut out = Vec::new();
            flatten("", &serde_json::to_value(r).expect("tables serialize"), &mut out);
            out
        })
        .collect();
    let mut header: Vec<String> = Vec::new();
    for (k, _) in flat.iter().flatten() {
        if !header.contains(k) {
            header.push(k.clone());
        }
    }
    let cells = flat
        .iter()
        .map(|row| {
            header
                .iter()
                .map(|k| row.iter().find(|(rk, _)| rk == k).map(|(_, c)| c.clone()).unwrap_or_default())
                .collect()
        })
        .collect();
    (header, cells)
}

fn flatten(prefix: &str, v: &Value, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let key = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                flatten(&key, x, out);
            }
        }
        other => out.push((prefix.to_string(), cell(other))),
    }
}

fn cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        // `{}` on f64 is the shortest text that reads back as the same number ("1", not "1.0").
        Value::Number(n) => match n.as_f64() {
            Some(x) if n.is_f64() => format!("{x}"),
            _ => n.to_string(),
        },
        Value::Array(a) => a.iter().map(cell).collect::<Vec<_>>().join(";"),
        other => other.to_string(),
    }
}
