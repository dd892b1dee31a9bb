//! Output formats for tables: one module per format. Each works from serde values, so a
//! table printed to the terminal, a CSV and the JSON always hold the same numbers.

pub mod csv;
pub mod json;
pub mod table;

use serde::Serialize;
use serde_json::Value;

/// `--format` of the `nps` and `drivers` commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Json,
    Csv,
}

/// Rows of a table: the serialized records, flattened to one text cell per field.
/// Arrays become `;`-separated lists so a CSV keeps them in one cell.
pub fn records<T: Serialize>(rows: &[T]) -> (Vec<String>, Vec<Vec<String>>) {
    let values: Vec<Value> = rows
        .iter()
        .map(|r| serde_json::to_value(r).expect("tables serialize"))
        .collect();
    let header: Vec<String> = match values.first() {
        Some(Value::Object(m)) => m.keys().cloned().collect(),
        _ => Vec::new(),
    };
    let cells = values
        .iter()
        .map(|v| header.iter().map(|k| cell(&v[k])).collect())
        .collect();
    (header, cells)
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
