//! One input file as a polars DataFrame, and typed access to its columns with errors that
//! name the file, the column and the row. The columns that must hold numbers are parsed
//! by polars as they are read; when any cell will not parse (or numbers use a decimal
//! comma) the file is read again as text and parsed here, so a bad cell is reported where
//! it is instead of turning a whole column into strings or nulls.

use std::io::{Cursor, Read};
use std::path::{Path, PathBuf};

use polars::prelude::*;

use super::sheets::{self, Labels};
use super::sniff::{self, Dialect};
use crate::error::{Error, Result};
use crate::schema::outcome::{same_answer, ValueMap};
use crate::schema::settings::CsvOptions;

/// A file as read: its frame, for CSV the dialect it was read with, and for SPSS its
/// labels.
pub struct Table {
    pub path: PathBuf,
    pub df: DataFrame,
    pub dialect: Option<Dialect>,
    pub labels: Labels,
    /// Data rows of the file before this table's first: a batch of a streamed file names
    /// its rows as the file numbers them.
    pub first_row: usize,
}

pub(super) const GZIP_MAGIC: &[u8] = &[0x1f, 0x8b];
pub(super) const PARQUET_MAGIC: &[u8] = b"PAR1";
/// xlsx and ods are zip archives; xls is an OLE compound file; SPSS starts "$FL2" (sav)
/// or "$FL3" (zsav).
pub(super) const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
pub(super) const OLE_MAGIC: &[u8] = &[0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1];
pub(super) const SPSS_MAGIC: [&[u8]; 2] = [b"$FL2", b"$FL3"];
pub(super) const UTF8_BOM: &[u8] = &[0xef, 0xbb, 0xbf];

impl Table {
    /// Reads CSV (plain or gzip), Parquet, Excel (xlsx, xls, ods) or SPSS (sav, zsav),
    /// recognised by content, not by extension; or a folder of them (see [`super::batches`]).
    /// `numeric` names the columns that must hold numbers (any that exist).
    pub fn read(path: &Path, csv: &CsvOptions, numeric: &[&str]) -> Result<Table> {
        let unreadable = |reason: String| Error::Unreadable { file: path.to_path_buf(), reason };
        let bad = |reason: String| Error::BadFile { file: path.to_path_buf(), reason };
        if path.is_dir() {
            return super::batches::read_all(path, csv, numeric);
        }
        let mut bytes = std::fs::read(path).map_err(|e| unreadable(e.to_string()))?;
        if bytes.starts_with(GZIP_MAGIC) {
            let mut out = Vec::new();
            flate2::read::MultiGzDecoder::new(&bytes[..])
                .read_to_end(&mut out)
                .map_err(|e| bad(format!("not a valid gzip file: {e}")))?;
            bytes = out;
        }
        if bytes.starts_with(PARQUET_MAGIC) {
            let df = ParquetReader::new(Cursor::new(bytes)).finish().map_err(|e| not_parquet(path, e))?;
            if df.height() == 0 {
                return Err(bad("has no data rows".into()));
            }
            return Ok(Table { path: path.to_path_buf(), df, dialect: None, labels: Labels::default(), first_row: 0 });
        }
        if bytes.starts_with(ZIP_MAGIC) || bytes.starts_with(OLE_MAGIC) {
            let df = sheets::excel(path, bytes, csv.sheet.as_deref(), csv.header_rows)?;
            return Ok(Table { path: path.to_path_buf(), df, dialect: None, labels: Labels::default(), first_row: 0 });
        }
        if SPSS_MAGIC.iter().any(|m| bytes.starts_with(m)) {
            let (df, labels) = sheets::spss(path, bytes)?;
            return Ok(Table { path: path.to_path_buf(), df, dialect: None, labels, first_row: 0 });
        }
        let body = bytes.strip_prefix(UTF8_BOM).unwrap_or(&bytes);
        let text = std::str::from_utf8(body).map_err(|e| {
            let line = 1 + body[..e.valid_up_to()].iter().filter(|&&b| b == b'\n').count();
            bad(format!("line {line} is not UTF-8 text: save the file as UTF-8 (CSV UTF-8 in Excel)"))
        })?;
        if text.trim().is_empty() {
            return Err(bad("is empty: expected a header row and data rows".into()));
        }
        let dialect = sniff::sniff(text, csv);
        if text.lines().filter(|l| !l.trim().is_empty()).count() <= dialect.header_rows {
            return Err(bad("has a header but no data rows".into()));
        }
        let df = parse_csv(body, &dialect, numeric, None)
            .map_err(|e| bad(format!("cannot parse as CSV: {}", first_line(&e.to_string()))))?;
        if df.height() == 0 {
            return Err(bad("has a header but no data rows".into()));
        }
        Ok(Table { path: path.to_path_buf(), df, dialect: Some(dialect), labels: Labels::default(), first_row: 0 })
    }

    /// A frame already in memory, named `name` in errors.
    pub fn from_frame(name: &str, df: DataFrame) -> Result<Table> {
        if df.height() == 0 {
            return Err(Error::BadFile { file: PathBuf::from(name), reason: "has no data rows".into() });
        }
        Ok(Table { path: PathBuf::from(name), df, dialect: None, labels: Labels::default(), first_row: 0 })
    }

    pub fn height(&self) -> usize {
        self.df.height()
    }

    /// The column, or an error that suggests the closest existing name.
    pub fn column(&self, name: &str, role: &'static str) -> Result<&Column> {
        self.df.column(name).map_err(|_| {
            let names: Vec<String> = self.df.get_column_names().iter().map(|s| s.to_string()).collect();
            let hint = closest(name, &names)
                .map(|c| format!("; did you mean \"{c}\"?"))
                .unwrap_or_else(|| format!("; columns are: {}", names.join(", ")));
            Error::UnknownColumn { file: self.path.clone(), column: name.to_string(), role, hint }
        })
    }

    /// A column as text (ids, waves, segments), trimmed, blank cells null; a coded column
    /// with value labels (an SPSS region 1–4) reads as its labels. The column polars read
    /// is kept as it is when no cell needs trimming: a million ids cost no copy.
    pub fn text(&self, name: &str, role: &'static str) -> Result<StringChunked> {
        let col = self.column(name, role)?;
        if let (Some(coded), true) = (self.labels.values.get(name), col.dtype().is_primitive_numeric()) {
            let col = col.cast(&DataType::Float64).map_err(|e| self.column_error(name, e))?;
            let ca = col.f64().map_err(|e| self.column_error(name, e))?;
            let label =
                |x: f64| coded.iter().find(|(c, _)| *c == x).map_or_else(|| format_number(x), |(_, l)| l.clone());
            let labels: StringChunked = ca.iter().map(|v| v.map(label)).collect();
            return Ok(labels.with_name(name.into()));
        }
        let col = col.cast(&DataType::String).map_err(|e| self.column_error(name, e))?;
        let ca = col.str().map_err(|e| self.column_error(name, e))?;
        let clean = |s: &str| !s.is_empty() && s.trim().len() == s.len();
        if ca.iter().all(|v| v.is_none_or(clean)) {
            return Ok(ca.clone());
        }
        let trimmed: StringChunked = ca.iter().map(|v| v.map(str::trim).filter(|s| !s.is_empty())).collect();
        Ok(trimmed.with_name(name.into()))
    }

    /// [`Table::text`] as owned strings.
    pub fn strings(&self, name: &str, role: &'static str) -> Result<Vec<Option<String>>> {
        Ok(self.text(name, role)?.iter().map(|v| v.map(str::to_string)).collect())
    }

    /// A column as numbers. Blank cells are null; text that is not a number, or a number
    /// that is not finite, is an error naming its row.
    pub fn numbers(&self, name: &str, role: &'static str) -> Result<Float64Chunked> {
        self.numbers_as(name, role, None)
    }

    /// [`Table::numbers`], with text answers read as numbers: by `values` when given (an
    /// answer outside it is an error listing the allowed ones), else when they start with
    /// their number (`10 - Extremely likely`, `1 = Poor`), as survey platforms export them.
    pub fn numbers_as(&self, name: &str, role: &'static str, values: Option<&ValueMap>) -> Result<Float64Chunked> {
        let col = self.column(name, role)?;
        let ca = if col.dtype() == &DataType::String {
            let decimal_comma = self.dialect.as_ref().is_some_and(|d| d.decimal_comma);
            let ca = col.str().map_err(|e| self.column_error(name, e))?;
            ca.iter()
                .enumerate()
                .map(|(i, v)| {
                    let text = v.unwrap_or("").trim();
                    if let Some(x) = values.and_then(|m| lookup(m, text)) {
                        return Ok(Some(x));
                    }
                    match sniff::parse_number(text, decimal_comma) {
                        None => Ok(None),
                        Some(Ok(x)) if x.is_finite() => Ok(Some(x)),
                        Some(Ok(_)) => Err(self.value_error(name, i, format!("\"{text}\" is not a finite number"))),
                        Some(Err(_)) => match (values, leading_number(text)) {
                            (None, Some(x)) => Ok(Some(x)),
                            (Some(m), _) => Err(self.value_error(name, i, not_in_map(text, m))),
                            (None, None) => Err(self.value_error(name, i, not_a_number(text, role))),
                        },
                    }
                })
                .collect::<Result<Float64Chunked>>()?
        } else if col.dtype().is_primitive_numeric() || col.dtype() == &DataType::Boolean {
            let col = col.cast(&DataType::Float64).map_err(|e| self.column_error(name, e))?;
            col.f64().map_err(|e| self.column_error(name, e))?.clone()
        } else {
            return Err(Error::BadColumn {
                file: self.path.clone(),
                column: name.to_string(),
                reason: format!("holds {} values, expected numbers", col.dtype()),
            });
        };
        super::for_each_value(&ca, |i, x| match x.is_finite() {
            true => Ok(()),
            false => Err(self.value_error(name, i, format!("{x} is not a finite number"))),
        })?;
        Ok(ca.with_name(name.into()))
    }

    /// An error for the value at 0-based data row `index`.
    pub fn value_error(&self, column: &str, index: usize, reason: String) -> Error {
        Error::BadValue { file: self.path.clone(), column: column.to_string(), row: self.first_row + index + 1, reason }
    }

    fn column_error(&self, column: &str, e: PolarsError) -> Error {
        Error::BadColumn { file: self.path.clone(), column: column.to_string(), reason: first_line(&e.to_string()) }
    }
}

/// CSV bytes through polars. Fast path: polars parses the `numeric` columns itself (a
/// tenth of the time and memory of text at a million rows); any cell it cannot parse
/// sends the bytes down the text path, where [`Table::numbers`] names the cell. `names`:
/// the columns of headerless bytes (a later batch of a streamed file); `None`, the bytes
/// start with the dialect's header rows.
pub(super) fn parse_csv(
    body: &[u8],
    dialect: &Dialect,
    numeric: &[&str],
    names: Option<&[String]>,
) -> PolarsResult<DataFrame> {
    let read = |numbers: bool| {
        let options = CsvReadOptions::default();
        let options = match names {
            Some(names) => {
                let dtype = |c: &str| {
                    if numbers && numeric.contains(&c) {
                        DataType::Float64
                    } else {
                        DataType::String
                    }
                };
                let schema: Schema = names.iter().map(|c| Field::new(c.into(), dtype(c))).collect();
                // Batches are parsed several at a time, one thread each.
                options.with_has_header(false).with_schema(Some(Arc::new(schema))).with_n_threads(Some(1))
            }
            None => {
                let schema: Schema = numeric.iter().map(|&c| Field::new(c.into(), DataType::Float64)).collect();
                options
                    .with_has_header(true)
                    .with_infer_schema_length(Some(0))
                    .with_schema_overwrite(numbers.then(|| Arc::new(schema)))
                    .with_skip_rows_after_header(dialect.header_rows - 1)
            }
        };
        options
            .map_parse_options(|p| p.with_separator(dialect.separator as u8).with_missing_is_null(true))
            .into_reader_with_file_handle(Cursor::new(body))
            .finish()
    };
    let fast = !numeric.is_empty() && !dialect.decimal_comma;
    let mut df = match fast.then(|| read(true).ok()).flatten() {
        Some(df) => df,
        None => read(false)?,
    };
    if names.is_none() {
        // polars keeps a quoted header's doubled quotes (`"wait ""time"""` reads as
        // `wait ""time""`): undo them, as every other cell is undone.
        let unquoted: Vec<String> = df.get_column_names().iter().map(|n| n.replace("\"\"", "\"")).collect();
        df.set_column_names(&unquoted)?;
    }
    Ok(df)
}

/// The number a text answer stands for in `values`, ignoring case and surrounding spaces.
fn lookup(values: &ValueMap, text: &str) -> Option<f64> {
    values.iter().find(|(k, _)| same_answer(k, text)).map(|(_, &x)| x)
}

/// The number an answer starts with, when words follow it: `10 - Extremely likely`,
/// `1 = Poor`, `5: Very satisfied`, `0 (not at all)`. Dates (`2025-03`) and ordinals
/// (`1st`) are not numbers with words.
pub(crate) fn leading_number(text: &str) -> Option<f64> {
    let end = text.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(text.len());
    let (number, rest) = text.split_at(end);
    let x: f64 = number.trim_end_matches('.').parse().ok()?;
    let after_space = rest.trim_start();
    let spaced = after_space.len() < rest.len();
    let (sep, words) = match after_space.chars().next()? {
        c @ ('-' | '–' | '—' | '=' | ':' | '(' | ')' | '.') => (true, after_space[c.len_utf8()..].trim_start()),
        _ => (false, after_space),
    };
    let word = words.chars().next().is_some_and(char::is_alphabetic);
    (word && (sep || spaced)).then_some(x)
}

fn not_in_map(text: &str, values: &ValueMap) -> String {
    let allowed: Vec<String> = values.iter().map(|(k, v)| format!("\"{k}\" = {}", format_number(*v))).collect();
    format!("\"{text}\" is not one of this column's answers in survey.toml's values: {}", allowed.join(", "))
}

fn not_a_number(text: &str, role: &str) -> String {
    let hint = match role {
        "outcome" => " (a text outcome: --outcome binary --positive LABEL for two answers, or values = { \"…\" = 1, … } on the outcome in survey.toml)",
        "driver" => " (text ratings: give values = { \"…\" = 1, … } on the driver in survey.toml)",
        _ => "",
    };
    format!("\"{text}\" is not a number{hint}")
}

/// A number as it would be written: 3 rather than 3.0.
pub(super) fn format_number(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        x.to_string()
    }
}

/// A Parquet file polars cannot read.
pub(super) fn not_parquet(path: &Path, e: PolarsError) -> Error {
    Error::BadFile {
        file: path.to_path_buf(),
        reason: format!("not a valid Parquet file: {}", first_line(&e.to_string())),
    }
}

pub(super) fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or("").trim().to_string()
}

/// The existing name closest to `name` (case-insensitive edit distance), if close enough.
fn closest(name: &str, names: &[String]) -> Option<String> {
    let want = name.to_lowercase();
    names
        .iter()
        .map(|n| (strsim::levenshtein(&want, &n.to_lowercase()), n))
        .filter(|(d, n)| *d <= (n.chars().count().max(want.chars().count()) / 3).max(2))
        .min_by_key(|(d, _)| *d)
        .map(|(_, n)| n.clone())
}

#[cfg(test)]
mod tests {
    use super::leading_number;

    #[test]
    fn answers_that_start_with_their_number() {
        for (text, want) in [
            ("10 - Extremely likely", Some(10.0)),
            ("0 - Not at all likely", Some(0.0)),
            ("1 = Poor", Some(1.0)),
            ("5: Very satisfied", Some(5.0)),
            ("3 Neutral", Some(3.0)),
            ("4 – Good", Some(4.0)),
            ("2025-03", None),
            ("1st", None),
            ("Very satisfied", None),
            ("7 - 8", None),
        ] {
            assert_eq!(leading_number(text), want, "{text}");
        }
    }
}
