//! Excel workbooks (xlsx, xls, ods: calamine) and SPSS files (sav, zsav: ambers, pure
//! Rust) as the same kind of frame CSV gives, so everything after reading is shared.
//!
//! Excel cells become text (numbers written as Excel shows them, dates as ISO dates) and
//! go through the same number parsing and row-numbered errors as CSV, so a number stored
//! as text reads as a number and a stray word is reported where it is. The header is the
//! first row with any cell filled.
//!
//! SPSS files keep their numbers as numbers and carry what CSV cannot: variable labels
//! (the question wording), value labels (1 = "East") and user-missing values (99 = don't
//! know). User-missing values are set to missing here and counted; labels travel in
//! [`Labels`].

use std::collections::HashMap;
use std::io::Cursor;
use std::path::Path;

use arrow::array::{Array, AsArray};
use arrow::datatypes::{DataType as ArrowType, Float64Type};
use calamine::{Data, Reader};
use polars::prelude::*;

use super::table::{first_line, format_number};
use crate::error::{Error, Result};

/// What an SPSS file says about its columns.
#[derive(Debug, Default, Clone)]
pub struct Labels {
    /// Column → its label (the question wording).
    pub variables: HashMap<String, String>,
    /// Column → (code, label) for coded columns such as region 1–4.
    pub values: HashMap<String, Vec<(f64, String)>>,
    /// Column → (its user-missing values in words, cells set to missing).
    pub user_missing: Vec<(String, String, usize)>,
}

/// The first sheet, or `sheet`, as text columns named by its header row. Extra header rows
/// (a Qualtrics export's question wording) are detected as in CSV, or given.
pub fn excel(path: &Path, bytes: Vec<u8>, sheet: Option<&str>, header_rows: Option<usize>) -> Result<DataFrame> {
    let bad = |reason: String| Error::BadFile { file: path.to_path_buf(), reason };
    let mut book = calamine::open_workbook_auto_from_rs(Cursor::new(bytes))
        .map_err(|e| bad(format!("not a readable Excel or OpenDocument workbook: {}", first_line(&e.to_string()))))?;
    let names = book.sheet_names();
    let name = match sheet {
        Some(s) => names.iter().find(|n| n.as_str() == s).cloned().ok_or_else(|| {
            Error::Usage(format!(
                "{}: no sheet \"{s}\"; its sheets are {}",
                path.display(),
                names.iter().map(|n| format!("\"{n}\"")).collect::<Vec<_>>().join(", ")
            ))
        })?,
        None => names.first().cloned().ok_or_else(|| bad("has no sheets".into()))?,
    };
    let others = if names.len() > 1 {
        let all: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
        format!("; its sheets are {}: pick one with --sheet", all.join(", "))
    } else {
        String::new()
    };
    let range =
        book.worksheet_range(&name).map_err(|e| bad(format!("sheet \"{name}\": {}", first_line(&e.to_string()))))?;
    let mut rows = range.rows().skip_while(|r| r.iter().all(|c| matches!(c, Data::Empty)));
    let header = rows
        .next()
        .ok_or_else(|| bad(format!("sheet \"{name}\" is empty: expected a header row and data rows{others}")))?;
    let mut data: Vec<&[Data]> = rows.collect();
    let sample: Vec<Vec<String>> = std::iter::once(header)
        .chain(data.iter().copied())
        .take(50)
        .map(|r| r.iter().map(|c| text(c).unwrap_or_default()).collect())
        .collect();
    let extra = header_rows.map_or_else(|| super::sniff::extra_header_rows(&sample, false), |h| h.max(1) - 1);
    data.drain(..extra.min(data.len()));
    if data.is_empty() {
        return Err(bad(format!("sheet \"{name}\" has a header but no data rows{others}")));
    }
    let columns: Vec<Column> = header
        .iter()
        .enumerate()
        .map(|(j, h)| {
            let title = text(h).unwrap_or_else(|| format!("column_{}", j + 1));
            let values: Vec<Option<String>> = data.iter().map(|r| r.get(j).and_then(text)).collect();
            Column::new(title.trim().into(), values)
        })
        .collect();
    DataFrame::new(data.len(), columns).map_err(|e| bad(format!("sheet \"{name}\": {}", first_line(&e.to_string()))))
}

/// A cell as the text a CSV export would hold; `None` when empty.
fn text(cell: &Data) -> Option<String> {
    match cell {
        Data::Empty => None,
        Data::String(s) if s.trim().is_empty() => None,
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => Some(s.trim().to_string()),
        Data::Float(f) => Some(format_number(*f)),
        Data::Int(i) => Some(i.to_string()),
        Data::Bool(b) => Some(b.to_string()),
        Data::DateTime(d) => Some(excel_date(d.as_f64())),
        Data::Error(e) => Some(format!("#{e:?}")),
    }
}

/// An Excel serial date (days since 1899-12-30, time as the fraction) as ISO text.
fn excel_date(serial: f64) -> String {
    let epoch = chrono::NaiveDate::from_ymd_opt(1899, 12, 30).expect("a valid date");
    let days = serial.floor();
    let date = epoch + chrono::Duration::days(days as i64);
    let seconds = ((serial - days) * 86_400.0).round() as i64;
    if seconds == 0 {
        date.format("%Y-%m-%d").to_string()
    } else {
        let t = chrono::NaiveTime::from_num_seconds_from_midnight_opt(seconds.min(86_399) as u32, 0)
            .expect("within the day");
        format!("{} {}", date.format("%Y-%m-%d"), t.format("%H:%M:%S"))
    }
}

/// An SPSS file's data, user-missing values set to missing, and its labels.
pub fn spss(path: &Path, bytes: Vec<u8>) -> Result<(DataFrame, Labels)> {
    let bad = |reason: String| Error::BadFile { file: path.to_path_buf(), reason };
    let (batch, meta) = ambers::read_sav_from_reader(Cursor::new(bytes))
        .map_err(|e| bad(format!("not a readable SPSS file: {}", first_line(&e.to_string()))))?;
    if batch.num_rows() == 0 {
        return Err(bad("has no data rows".into()));
    }
    let mut labels = Labels::default();
    let mut columns = Vec::new();
    for (field, array) in batch.schema().fields().iter().zip(batch.columns()) {
        let name = field.name().as_str();
        if let Some(l) = meta.variable_labels.get(name).filter(|l| !l.trim().is_empty() && l.as_str() != name) {
            labels.variables.insert(name.to_string(), l.trim().to_string());
        }
        if let Some(v) = meta.variable_value_labels.get(name) {
            let coded: Vec<(f64, String)> = v
                .iter()
                .filter_map(|(k, l)| match k {
                    ambers::Value::Numeric(x) => Some((*x, l.clone())),
                    ambers::Value::String(_) => None,
                })
                .collect();
            if !coded.is_empty() {
                labels.values.insert(name.to_string(), coded);
            }
        }
        let column = match array.data_type() {
            ArrowType::Float64 => {
                let values = array.as_primitive::<Float64Type>();
                let specs = meta.variable_missing_values.get(name).cloned().unwrap_or_default();
                let missing = |x: f64| {
                    specs.iter().any(|s| match s {
                        ambers::MissingSpec::Value(v) => x == *v,
                        ambers::MissingSpec::Range { lo, hi } => x >= *lo && x <= *hi,
                        ambers::MissingSpec::StringValue(_) => false,
                    })
                };
                let mut recoded = 0;
                let v: Vec<Option<f64>> = (0..values.len())
                    .map(|i| {
                        let x = values.is_valid(i).then(|| values.value(i))?;
                        if missing(x) {
                            recoded += 1;
                            None
                        } else {
                            Some(x)
                        }
                    })
                    .collect();
                if !specs.is_empty() {
                    let words: Vec<String> = specs
                        .iter()
                        .map(|s| match s {
                            ambers::MissingSpec::Value(v) => v.to_string(),
                            ambers::MissingSpec::Range { lo, hi } => format!("{lo}–{hi}"),
                            ambers::MissingSpec::StringValue(s) => format!("\"{s}\""),
                        })
                        .collect();
                    labels.user_missing.push((name.to_string(), words.join(", "), recoded));
                }
                Column::new(name.into(), v)
            }
            ArrowType::Utf8 | ArrowType::LargeUtf8 | ArrowType::Utf8View => {
                let v: Vec<Option<String>> = match array.data_type() {
                    ArrowType::Utf8 => array.as_string::<i32>().iter().map(trimmed).collect(),
                    ArrowType::LargeUtf8 => array.as_string::<i64>().iter().map(trimmed).collect(),
                    _ => array.as_string_view().iter().map(trimmed).collect(),
                };
                Column::new(name.into(), v)
            }
            other => {
                return Err(Error::BadColumn {
                    file: path.to_path_buf(),
                    column: name.to_string(),
                    reason: format!(
                        "holds SPSS {other} values, which keydriver does not read: save it as a number or text"
                    ),
                })
            }
        };
        columns.push(column);
    }
    let df = DataFrame::new(batch.num_rows(), columns).map_err(|e| bad(first_line(&e.to_string())))?;
    Ok((df, labels))
}

fn trimmed(v: Option<&str>) -> Option<String> {
    v.map(str::trim).filter(|s| !s.is_empty()).map(str::to_string)
}
