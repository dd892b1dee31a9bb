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
/// Arrays become `;`-separated lists so a CSV keeps them in one cell.
pub fn records<T: Serialize>(rows: &[T]) -> (Vec<String>, Vec<Vec<String>>) {
    let (header, cells) = fields(rows);
    let text = cells.iter().map(|row| row.iter().map(|v| v.as_ref().map(cell).unwrap_or_default()).collect()).collect();
    (header, text)
}

/// The serialized records, flattened: nested objects become `parent.field` columns; the
/// header is every field any row has, in the order first seen, and a row without one has
/// `None` there.
fn fields<T: Serialize>(rows: &[T]) -> (Vec<String>, Vec<Vec<Option<Value>>>) {
    let flat: Vec<Vec<(String, Value)>> = rows
        .iter()
        .map(|r| {
            let mut out = Vec::new();
            flatten("", serde_json::to_value(r).expect("tables serialize"), &mut out);
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
        .into_iter()
        .map(|mut row| {
            header.iter().map(|k| row.iter().position(|(rk, _)| rk == k).map(|i| row.swap_remove(i).1)).collect()
        })
        .collect();
    (header, cells)
}

fn flatten(prefix: &str, v: Value, out: &mut Vec<(String, Value)>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let key = if prefix.is_empty() { k } else { format!("{prefix}.{k}") };
                flatten(&key, x, out);
            }
        }
        other => out.push((prefix.to_string(), other)),
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
