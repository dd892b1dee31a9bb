//! Load → validate → join: turns the survey's files into one clean frame of responses.
//!
//! Every value is checked against the schema before anything is modelled: ids must be
//! unique, ratings inside the declared scale, each outcome valid for its kind (NPS a whole
//! number 0–10), unless the value is a declared missing code. The files are read with
//! polars; the outcome (NPS) file joins the ratings through one index of its ids, the same
//! one that checks them for repeats. Waves and segments are held as codes into their
//! labels, so a million rows hold each label once.

pub(crate) mod batches;
mod sheets;
pub(crate) mod sniff;
pub(crate) mod table;

pub use sniff::Dialect;
pub(crate) use table::leading_number;
pub use table::Table;

use std::collections::BTreeMap;

use ndarray::Array2;
use polars::prelude::*;
use rayon::prelude::*;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::schema::outcome::{Outcome, OutcomeKind};
use crate::schema::spec::{DriverSpec, Survey};
use crate::schema::waves::{self, Period, PeriodKind, WaveOrder};
pub use crate::stats::{GappyColumns, ModelData};

/// What the loader did, for the report's data summary: nothing is dropped unseen.
#[derive(Debug, Clone, Serialize)]
pub struct LoadReport {
    pub ratings_file: String,
    pub ratings_rows: usize,
    pub nps_file: Option<String>,
    pub nps_rows: Option<usize>,
    /// Respondents present in both files (all ratings rows when there is one file).
    pub matched: usize,
    pub unmatched_ratings: usize,
    pub unmatched_nps: usize,
    /// Cells holding a declared missing code, now missing; `None` when the rows were not
    /// read (a report from a moments file).
    pub missing_coded: Option<usize>,
    /// Per outcome column, answers set to missing as one of its missing codes (all rows
    /// read, matched or not).
    pub outcome_coded: BTreeMap<String, usize>,
    /// Blank cells in the driver and outcome columns of matched rows.
    pub blank_cells: usize,
    /// Matched respondents with no usable answer, per outcome column.
    pub outcome_missing: BTreeMap<String, usize>,
    /// Matched respondents with no usable rating, per driver column (blank or a missing
    /// code): what listwise deletion costs, driver by driver.
    pub driver_missing: BTreeMap<String, usize>,
    /// Matched respondents with weight 0: left out of every statistic, as if not in the file.
    pub zero_weight: usize,
    /// How waves were read and ordered, when a reader needs to know.
    pub notes: Vec<String>,
    pub dialects: Vec<(String, Dialect)>,
}

/// The joined, validated responses: one row per matched respondent.
pub struct Responses {
    pub survey: Survey,
    /// Drivers, outcomes and weight as numbers; waves and segments as codes into `levels`.
    df: DataFrame,
    /// Each wave and segment column's labels, in order of first appearance in the file.
    levels: BTreeMap<String, Vec<String>>,
    pub report: LoadReport,
    /// The wave labels in time order, when there is a wave column.
    pub waves: Option<WaveOrder>,
}

/// A wave or segment column as codes (null for a blank) into its distinct labels, in
/// order of first appearance: each label is held once, not once per row.
fn code_labels(name: &str, labels: &StringChunked) -> (UInt32Chunked, Vec<String>) {
    let mut index: foldhash::HashMap<&str, u32> = Default::default();
    let mut names = Vec::new();
    let codes: UInt32Chunked = labels
        .iter()
        .map(|v| {
            v.map(|l| {
                *index.entry(l).or_insert_with(|| {
                    names.push(l.to_string());
                    names.len() as u32 - 1
                })
            })
        })
        .collect();
    (codes.with_name(name.into()), names)
}

/// How a blank wave or segment cell reads.
pub const MISSING_LABEL: &str = "(missing)";

/// Column names inside the joined frame (the user's names could clash with each other).
const WEIGHT: &str = "__weight";

/// An outcome's column inside the joined frame.
fn outcome_key(o: &Outcome) -> String {
    format!("__outcome:{}", o.column)
}

pub fn load(survey: &Survey) -> Result<Responses> {
    let numeric = numeric_columns(survey, &survey.outcomes);
    // The two files are read side by side.
    let (ratings, nps) = rayon::join(
        || Table::read(&survey.ratings, &survey.csv, &numeric),
        || survey.nps.as_ref().map(|path| Table::read(path, &survey.csv, &numeric)).transpose(),
    );
    let (ratings, nps) = (ratings?, nps?);
    let ratings_ids = survey.id.as_ref().map(|id| ratings.text(id, "respondent id")).transpose()?;
    let nps_ids = match (&nps, &survey.id) {
        (Some(t), Some(id)) => Some(t.text(id, "respondent id")?),
        _ => None,
    };
    // The columns are checked while both files' ids are checked side by side; the outcome
    // file's index joins them.
    let (built, (ratings_unique, nps_index)) = rayon::join(
        || Checked::new(survey, &ratings, nps.as_ref()),
        || {
            rayon::join(
                || {
                    survey
                        .id
                        .as_ref()
                        .zip(ratings_ids.as_ref())
                        .map(|(id, ids)| unique_ids(&ratings, id, ids))
                        .transpose()
                },
                || match (&nps, &survey.id, &nps_ids) {
                    (Some(t), Some(id), Some(ids)) => unique_ids(t, id, ids).map(Some),
                    _ => Ok(None),
                },
            )
        },
    );
    let Checked { columns, nps_columns, levels, missing_coded, outcome_coded } = built?;
    ratings_unique?;
    let nps_index = nps_index?;
    let df = match (&nps, &nps_index, &ratings_ids) {
        (Some(nps), Some(index), Some(ids)) => join(frame(&ratings, columns)?, ids, frame(nps, nps_columns)?, index)
            .map_err(|e| {
                Error::Data(format!("joining {} and {}: {e}", survey.ratings.display(), nps.path.display()))
            })?,
        _ => frame(&ratings, columns)?,
    };
    if df.height() == 0 {
        return Err(Error::Data(match &nps {
            Some(n) => format!(
                "no respondent id appears in both {} and {}: check that --id names the same column in both",
                ratings.path.display(),
                n.path.display()
            ),
            None => format!("{}: no rows to analyse", ratings.path.display()),
        }));
    }
    let matched = df.height();
    let (df, zero_weight) = drop_zero_weights(df, survey, &ratings)?;
    let report = LoadReport {
        ratings_file: ratings.path.display().to_string(),
        ratings_rows: ratings.height(),
        nps_file: nps.as_ref().map(|t| t.path.display().to_string()),
        nps_rows: nps.as_ref().map(Table::height),
        matched,
        unmatched_ratings: ratings.height() - matched,
        unmatched_nps: nps.as_ref().map_or(0, |t| t.height() - matched),
        missing_coded: Some(missing_coded),
        outcome_coded,
        blank_cells: 0,
        outcome_missing: BTreeMap::new(),
        driver_missing: BTreeMap::new(),
        zero_weight,
        notes: Vec::new(),
        dialects: [Some(&ratings), nps.as_ref()]
            .into_iter()
            .flatten()
            .filter_map(|t| Some((t.path.display().to_string(), t.dialect.clone()?)))
            .collect(),
    };
    // An SPSS file's question wording labels the drivers survey.toml leaves unlabelled;
    // its user-missing values were set to missing on reading, and are counted here.
    let mut labelled = survey.clone();
    for table in [Some(&ratings), nps.as_ref()].into_iter().flatten() {
        for d in labelled.drivers.iter_mut().filter(|d| d.label.is_none()) {
            if let Some(l) = table.labels.variables.get(&d.column) {
                d.label = Some(l.clone());
            }
        }
    }
    let mut report = report;
    for table in [Some(&ratings), nps.as_ref()].into_iter().flatten() {
        let used =
            |c: &str| survey.drivers.iter().any(|d| d.column == c) || survey.outcomes.iter().any(|o| o.column == c);
        let declared: Vec<&(String, String, usize)> =
            table.labels.user_missing.iter().filter(|(c, _, _)| used(c)).collect();
        if !declared.is_empty() {
            report.missing_coded = report.missing_coded.map(|n| n + declared.iter().map(|(_, _, n)| n).sum::<usize>());
            let list: Vec<String> = declared.iter().map(|(c, codes, n)| format!("{c} {codes} ({n} cells)")).collect();
            report.notes.push(format!(
                "{} declares user-missing values, set to missing: {}",
                table.path.display(),
                list.join(", ")
            ));
        }
    }
    let mut responses = Responses { survey: labelled, df, levels, report, waves: None };
    if let Some(wave) = &survey.wave {
        let present = responses.present(wave);
        let order = waves::order(wave, &present).map_err(|reason| Error::BadColumn {
            file: ratings.path.clone(),
            column: wave.clone(),
            reason,
        })?;
        if let Some(kind) = survey.wave_period {
            let period = format!("{kind:?}").to_lowercase();
            responses.report.notes.push(format!("waves are the {period}s of the dates in \"{wave}\""));
        }
        responses.report.notes.extend(order.note.clone());
        responses.waves = Some(order);
    }
    let blanks = |key: &str| responses.df.column(key).map_or(0, Column::null_count);
    let outcome_missing: BTreeMap<String, usize> =
        survey.outcomes.iter().map(|o| (o.column.clone(), blanks(&outcome_key(o)))).collect();
    let driver_missing: BTreeMap<String, usize> =
        survey.drivers.iter().map(|d| (d.column.clone(), blanks(&d.column))).collect();
    responses.report.blank_cells = driver_missing.values().chain(outcome_missing.values()).sum();
    responses.report.outcome_missing = outcome_missing;
    responses.report.driver_missing = driver_missing;
    Ok(responses)
}

/// Columns that must hold numbers (the drivers, `outcomes`, the weight), read as numbers
/// where the file allows; a binary outcome's answers are text, coded as they are read.
pub(crate) fn numeric_columns<'a>(survey: &'a Survey, outcomes: impl IntoIterator<Item = &'a Outcome>) -> Vec<&'a str> {
    let outcomes = outcomes.into_iter().filter(|o| o.kind != OutcomeKind::Binary).map(|o| o.column.as_str());
    survey.drivers.iter().map(|d| d.column.as_str()).chain(outcomes).chain(survey.weight.as_deref()).collect()
}

/// The joined frame's columns before the join: from the ratings file, and the outcomes
/// the outcome file holds; each checked, waves and segments coded.
struct Checked {
    columns: Vec<Column>,
    nps_columns: Vec<Column>,
    levels: BTreeMap<String, Vec<String>>,
    missing_coded: usize,
    /// Per outcome column, answers that were one of its missing codes.
    outcome_coded: BTreeMap<String, usize>,
}

impl Checked {
    fn new(survey: &Survey, ratings: &Table, nps: Option<&Table>) -> Result<Checked> {
        let mut missing_coded = 0;
        let mut columns: Vec<Column> = Vec::new();
        let mut levels = BTreeMap::new();
        let mut code = |name: &str, labels: StringChunked| {
            let (codes, names) = code_labels(name, &labels);
            levels.insert(name.to_string(), names);
            codes.into_column()
        };
        if let Some(wave) = &survey.wave {
            let labels = match survey.wave_period {
                Some(kind) => {
                    let dates = wave_from_dates(ratings, wave, ratings.strings(wave, "wave")?, kind, None)?;
                    dates.into_iter().collect::<StringChunked>()
                }
                None => ratings.text(wave, "wave")?,
            };
            columns.push(code(wave, labels));
        }
        for name in &survey.segments {
            columns.push(code(name, ratings.text(name, "segment")?));
        }
        // The driver columns are checked side by side; the first bad one (in survey order) is
        // the one reported.
        let drivers: Vec<Result<(Column, usize)>> = survey
            .drivers
            .par_iter()
            .map(|d| {
                let mut coded = 0;
                Ok((rating_values(ratings, d, survey, &mut coded)?.into_column(), coded))
            })
            .collect();
        for d in drivers {
            let (column, coded) = d?;
            columns.push(column);
            missing_coded += coded;
        }
        if let Some(w) = &survey.weight {
            columns.push(Column::new(WEIGHT.into(), weight_values(ratings, w)?));
        }

        // Each outcome comes from the outcome (NPS) file when it has the column, else from
        // the ratings file.
        let mut nps_columns = Vec::new();
        let mut outcome_coded = BTreeMap::new();
        for o in &survey.outcomes {
            let (table, into) = match nps {
                Some(t) if t.df.column(&o.column).is_ok() || ratings.df.column(&o.column).is_err() => {
                    (t, &mut nps_columns)
                }
                _ => (ratings, &mut columns),
            };
            let mut coded = 0;
            let values = outcome_values(table, o, &mut coded)?;
            missing_coded += coded;
            outcome_coded.insert(o.column.clone(), coded);
            into.push(values.with_name(outcome_key(o).into()).into_column());
        }
        Ok(Checked { columns, nps_columns, levels, missing_coded, outcome_coded })
    }
}

/// Dates → period labels (`2025Q1`, `2025-03`, `2025`); a value that is no date is an
/// error naming its row, blanks stay blank.
/// `day_first` settles slash dates (`None`: from these values, [`waves::slash_order`]).
pub(crate) fn wave_from_dates(
    table: &Table,
    column: &str,
    values: Vec<Option<String>>,
    kind: PeriodKind,
    day_first: Option<bool>,
) -> Result<Vec<Option<String>>> {
    let day_first = match day_first {
        Some(d) => d,
        None => {
            let texts: Vec<&str> = values.iter().flatten().map(String::as_str).collect();
            waves::slash_order(&texts).map_err(|reason| Error::BadColumn {
                file: table.path.clone(),
                column: column.to_string(),
                reason,
            })?
        }
    };
    values
        .into_iter()
        .enumerate()
        .map(|(i, v)| match v {
            None => Ok(None),
            Some(text) => match waves::parse_date(&text, day_first) {
                Some(date) => Ok(Some(Period::of_date(date, kind).label())),
                None => Err(table.value_error(
                    column,
                    i,
                    format!("\"{text}\" is not a date (expected e.g. 2025-03-15, 2025-03-15 10:22:01 or 15/03/2025)"),
                )),
            },
        })
        .collect()
}

/// Rows of weight 0 contribute nothing to any estimate, and R's `lm` and the survey
/// package leave them out of n and the degrees of freedom: so does keydriver, here, once.
fn drop_zero_weights(df: DataFrame, survey: &Survey, ratings: &Table) -> Result<(DataFrame, usize)> {
    if survey.weight.is_none() {
        return Ok((df, 0));
    }
    let before = df.height();
    let kept = df
        .column(WEIGHT)
        .and_then(|c| c.f64().map(|w| w.gt(0.0)))
        .and_then(|mask| df.filter(&mask))
        .map_err(|e| Error::BadFile { file: ratings.path.clone(), reason: e.to_string() })?;
    let dropped = before - kept.height();
    Ok((kept, dropped))
}

/// The inner join of the ratings (with their ids) and the outcome file's columns, in the
/// ratings' row order: each matched rating row with its outcome row from `index`.
fn join(ratings: DataFrame, ids: &StringChunked, outcomes: DataFrame, index: &IdIndex) -> PolarsResult<DataFrame> {
    const CHUNK: usize = 1 << 16;
    let ids: Vec<Option<&str>> = ids.iter().collect();
    let pairs: Vec<Vec<(IdxSize, IdxSize)>> = ids
        .par_chunks(CHUNK)
        .enumerate()
        .map(|(c, chunk)| {
            let rows = chunk.iter().enumerate();
            rows.filter_map(|(i, id)| Some(((c * CHUNK + i) as IdxSize, *index.get((*id)?)? as IdxSize))).collect()
        })
        .collect();
    let (left, right): (Vec<IdxSize>, Vec<IdxSize>) = pairs.into_iter().flatten().unzip();
    let ratings = if left.len() == ratings.height() { ratings } else { take(&ratings, &left)? };
    ratings.hstack(take(&outcomes, &right)?.columns())
}

/// Rows `rows` of every column (numbers and codes), the columns gathered side by side.
fn take(df: &DataFrame, rows: &[IdxSize]) -> PolarsResult<DataFrame> {
    fn pick<T: PolarsNumericType>(ca: &ChunkedArray<T>, rows: &[IdxSize]) -> Column {
        let ca = ca.rechunk();
        let arr = ca.downcast_iter().next().expect("rechunked into one chunk");
        let out: ChunkedArray<T> = if ca.null_count() == 0 {
            let values = arr.values();
            ChunkedArray::from_vec(PlSmallStr::EMPTY, rows.iter().map(|&r| values[r as usize]).collect())
        } else {
            rows.iter().map(|&r| arr.get(r as usize)).collect()
        };
        out.with_name(ca.name().clone()).into_column()
    }
    let columns = df
        .columns()
        .par_iter()
        .map(|c| match c.dtype() {
            DataType::UInt32 => Ok(pick(c.u32()?, rows)),
            _ => Ok(pick(c.f64()?, rows)),
        })
        .collect::<PolarsResult<Vec<Column>>>()?;
    DataFrame::new(rows.len(), columns)
}

fn frame(table: &Table, columns: Vec<Column>) -> Result<DataFrame> {
    DataFrame::new(table.height(), columns)
        .map_err(|e| Error::BadFile { file: table.path.clone(), reason: e.to_string() })
}

/// Each id's row, from a column of ids as text; a blank or repeated id is an error naming
/// a few of the offenders. The same index joins the outcome file to the ratings.
pub(crate) fn unique_ids<'a>(table: &Table, column: &str, ids: &'a StringChunked) -> Result<IdIndex<'a>> {
    let mut first_row = IdIndex::with_capacity_and_hasher(ids.len(), Default::default());
    let mut dups: Vec<(&str, usize, usize)> = Vec::new();
    let mut n_dups = 0;
    for (i, id) in ids.iter().enumerate() {
        let Some(id) = id else {
            return Err(table.value_error(column, i, "respondent id is blank".into()));
        };
        if let Some(&j) = first_row.get(id) {
            n_dups += 1;
            if dups.len() < 3 {
                dups.push((id, j + 1, i + 1));
            }
        } else {
            first_row.insert(id, i);
        }
    }
    if n_dups > 0 {
        let examples: Vec<String> = dups.iter().map(|(id, a, b)| format!("\"{id}\" (rows {a} and {b})")).collect();
        return Err(Error::BadColumn {
            file: table.path.clone(),
            column: column.to_string(),
            reason: format!(
                "{n_dups} duplicate respondent id(s), e.g. {}: each respondent must appear once",
                examples.join(", ")
            ),
        });
    }
    Ok(first_row)
}

/// Respondent id → its row in a file.
type IdIndex<'a> = foldhash::HashMap<&'a str, usize>;

/// Ratings: the drivers' missing codes become missing; anything else outside the scale is
/// an error.
pub(crate) fn rating_values(
    table: &Table,
    d: &DriverSpec,
    survey: &Survey,
    coded: &mut usize,
) -> Result<Float64Chunked> {
    let values = table.numbers_as(&d.column, "driver", d.values.as_ref())?;
    let outside = |x: f64| {
        let s = survey.scale.filter(|s| x < s.min || x > s.max)?;
        Some(format!(
            "rating {x} is outside the scale {}–{} (if it is a \"don't know\" or \"not applicable\" code, add it to missing_codes)",
            s.min, s.max
        ))
    };
    coded_values(table, &d.column, values, &survey.missing_codes, coded, outside)
}

/// An outcome's answers: valid for its kind (NPS: a whole number 0–10), or one of the
/// outcome's own missing codes. A binary outcome's answers are read as text and coded 1
/// (positive) or 0.
pub(crate) fn outcome_values(table: &Table, o: &Outcome, coded: &mut usize) -> Result<Float64Chunked> {
    if o.kind == OutcomeKind::Binary {
        return binary_values(table, o, coded);
    }
    let values = table.numbers_as(&o.column, "outcome", o.values.as_ref())?;
    coded_values(table, &o.column, values, &o.missing_codes, coded, |x| o.invalid(x))
}

/// A binary outcome's answers as 1 (one of `positive`) or 0. Without a list of negative
/// answers the column may hold one other answer; a second is refused (it may be a typo or
/// a "don't know"), naming it, its row and the answers seen. Missing codes become missing
/// and are counted in `coded`.
fn binary_values(table: &Table, o: &Outcome, coded: &mut usize) -> Result<Float64Chunked> {
    use crate::schema::outcome::same_answer;
    let text = table.text(&o.column, "outcome")?;
    // The answers seen (up to a few, for messages) and the first refusal, kept until the
    // column is read: a positive answer that never occurs is the likelier mistake.
    let mut seen: Vec<&str> = Vec::new();
    let mut negative: Option<&str> = None;
    let mut refused: Option<Error> = None;
    let mut seen_positive = false;
    let mut values = Vec::with_capacity(text.len());
    for (i, v) in text.iter().enumerate() {
        let Some(answer) = v else {
            values.push(None);
            continue;
        };
        if seen.len() < 6 && !seen.iter().any(|s| same_answer(s, answer)) {
            seen.push(answer);
        }
        if answer.trim().parse::<f64>().is_ok_and(|x| o.missing_codes.contains(&x)) {
            *coded += 1;
            values.push(None);
            continue;
        }
        let code = o.positive_code(answer);
        seen_positive |= code == Some(1.0);
        let why = match (code, negative) {
            (Some(1.0), _) => None,
            (Some(_), _) if !o.negative.is_empty() => None,
            (Some(_), Some(n)) if !same_answer(n, answer) => Some(format!(
                "\"{answer}\" is a third answer besides positive {} and \"{n}\": list the negative answers (negative = [...] in survey.toml) or add it to the positive ones",
                quoted(&o.positive)
            )),
            (Some(_), _) => {
                negative = Some(answer);
                None
            }
            (None, _) => Some(format!(
                "\"{answer}\" is neither positive ({}) nor negative ({})",
                quoted(&o.positive),
                quoted(&o.negative)
            )),
        };
        if let Some(why) = why {
            refused.get_or_insert_with(|| table.value_error(&o.column, i, why));
        }
        values.push(code);
    }
    if !seen_positive {
        let answers: Vec<String> = seen.iter().map(|a| a.to_string()).collect();
        return Err(Error::BadColumn {
            file: table.path.clone(),
            column: o.column.clone(),
            reason: format!(
                "no answer is positive ({}); the column holds {}: check --positive against them",
                quoted(&o.positive),
                quoted(&answers)
            ),
        });
    }
    if let Some(e) = refused {
        return Err(e);
    }
    let ca: Float64Chunked = values.into_iter().collect();
    Ok(ca.with_name(o.column.as_str().into()))
}

fn quoted(answers: &[String]) -> String {
    if answers.is_empty() {
        return "none listed".into();
    }
    answers.iter().map(|a| format!("\"{a}\"")).collect::<Vec<_>>().join(", ")
}

/// A column whose missing codes become missing (counted in `coded`) and whose other values
/// must pass `invalid` (which returns the reason a value is refused). The column is
/// checked in place and copied only when it holds missing codes.
fn coded_values(
    table: &Table,
    column: &str,
    values: Float64Chunked,
    missing_codes: &[f64],
    coded: &mut usize,
    invalid: impl Fn(f64) -> Option<String>,
) -> Result<Float64Chunked> {
    let is_code = |x: f64| missing_codes.contains(&x);
    let mut codes = 0;
    for_each_value(&values, |i, x| {
        if is_code(x) {
            codes += 1;
        } else if let Some(reason) = invalid(x) {
            return Err(table.value_error(column, i, reason));
        }
        Ok(())
    })?;
    *coded += codes;
    if codes == 0 {
        return Ok(values);
    }
    let kept: Float64Chunked = values.iter().map(|v| v.filter(|x| !is_code(*x))).collect();
    Ok(kept.with_name(column.into()))
}

/// Calls `f` with each present value and its row, chunk by chunk (a million cells in a
/// few milliseconds); stops at the first error.
pub(crate) fn for_each_value(ca: &Float64Chunked, mut f: impl FnMut(usize, f64) -> Result<()>) -> Result<()> {
    let mut row = 0;
    for arr in ca.downcast_iter() {
        match arr.validity().filter(|v| v.unset_bits() > 0) {
            None => arr.values().iter().enumerate().try_for_each(|(i, &x)| f(row + i, x))?,
            Some(valid) => arr
                .values()
                .iter()
                .zip(valid.iter())
                .enumerate()
                .filter(|(_, (_, ok))| *ok)
                .try_for_each(|(i, (&x, _))| f(row + i, x))?,
        }
        row += arr.len();
    }
    Ok(())
}

/// Survey weights: present, finite, non-negative, and not all zero.
fn weight_values(table: &Table, column: &str) -> Result<Vec<Option<f64>>> {
    let values = weight_cells(table, column)?;
    if values.iter().sum::<f64>() <= 0.0 {
        return Err(Error::BadColumn {
            file: table.path.clone(),
            column: column.to_string(),
            reason: "weights sum to zero".into(),
        });
    }
    Ok(values.into_iter().map(Some).collect())
}

/// Each weight present and non-negative (one batch of a pass may hold only zeros).
pub(crate) fn weight_cells(table: &Table, column: &str) -> Result<Vec<f64>> {
    table
        .numbers(column, "weight")?
        .iter()
        .enumerate()
        .map(|(i, v)| match v {
            None => Err(table.value_error(column, i, "weight is blank".into())),
            Some(w) if w < 0.0 => Err(table.value_error(column, i, format!("weight {w} is negative"))),
            Some(w) => Ok(w),
        })
        .collect()
}

impl Responses {
    pub fn height(&self) -> usize {
        self.df.height()
    }

    /// A numeric column of the joined frame (a driver, an outcome or the weight).
    fn numbers(&self, name: &str) -> Vec<Option<f64>> {
        self.df
            .column(name)
            .and_then(|c| c.f64().map(|ca| ca.iter().collect()))
            .expect("the loader built this column as f64")
    }

    /// An outcome's answers as given (not oriented), blanks `None`.
    pub fn answers(&self, o: &Outcome) -> Vec<Option<f64>> {
        self.numbers(&outcome_key(o))
    }

    /// An outcome oriented for the engine: higher is better.
    fn oriented(&self, o: &Outcome) -> Vec<Option<f64>> {
        let sign = o.sign();
        self.answers(o).into_iter().map(|v| v.map(|x| sign * x)).collect()
    }

    pub fn weights(&self) -> Option<Vec<f64>> {
        self.survey
            .weight
            .as_ref()
            .map(|_| self.numbers(WEIGHT).into_iter().map(|w| w.expect("weights were checked")).collect())
    }

    /// A wave or segment column as labels; blanks read "(missing)".
    pub fn labels(&self, name: &str) -> Vec<&str> {
        let names = &self.levels[name];
        self.codes(name).iter().map(|c| c.map_or(MISSING_LABEL, |c| names[c as usize].as_str())).collect()
    }

    /// Which rows read `label` in wave or segment column `name` (as [`Responses::labels`]
    /// reads them), from the codes: no text is compared row by row.
    pub fn rows_with(&self, name: &str, label: &str) -> Vec<bool> {
        let code = self.levels[name].iter().position(|l| l == label).map(|c| c as u32);
        let blank = label == MISSING_LABEL;
        self.codes(name).iter().map(|c| c.map_or(blank, |c| Some(c) == code)).collect()
    }

    /// The labels the rows hold (blanks aside), in order of first appearance.
    fn present(&self, name: &str) -> Vec<&str> {
        let names = &self.levels[name];
        let mut seen = vec![false; names.len()];
        let mut out = Vec::new();
        for c in self.codes(name).iter().flatten() {
            if !std::mem::replace(&mut seen[c as usize], true) {
                out.push(names[c as usize].as_str());
            }
        }
        out
    }

    fn codes(&self, name: &str) -> &UInt32Chunked {
        self.df.column(name).and_then(|c| c.u32()).expect("the loader coded this column")
    }

    /// Every driver column then the outcome, with gaps, for pairwise deletion; and weights.
    /// `keep` selects the rows of one group (a wave, a segment level); `None` is all rows.
    pub fn model_columns(&self, o: &Outcome, keep: Option<&[bool]>) -> GappyColumns {
        fn pick<T>(v: Vec<T>, keep: Option<&[bool]>) -> Vec<T> {
            match keep {
                None => v,
                Some(k) => v.into_iter().zip(k).filter(|(_, &k)| k).map(|(x, _)| x).collect(),
            }
        }
        let mut columns: Vec<Vec<Option<f64>>> =
            self.survey.drivers.iter().map(|d| pick(self.numbers(&d.column), keep)).collect();
        columns.push(pick(self.oriented(o), keep));
        (columns, self.weights().map(|w| pick(w, keep)))
    }

    /// Rows where the outcome and every driver are present (listwise deletion), among the
    /// rows `keep` selects (`None`: all). Reads the frame's columns in place: no
    /// per-cell option is built, so a million rows cost the matrix and little more.
    pub fn model_data(&self, o: &Outcome, keep: Option<&[bool]>) -> ModelData {
        let column = |name: &str| {
            let ca = self.df.column(name).and_then(|c| c.f64()).expect("the loader built this column as f64");
            ca.rechunk().into_owned()
        };
        let mut columns: Vec<Float64Chunked> = self.survey.drivers.iter().map(|d| column(&d.column)).collect();
        columns.push(column(&outcome_key(o)));
        let arrays: Vec<_> =
            columns.iter().map(|ca| ca.downcast_iter().next().expect("rechunked into one chunk")).collect();
        // Only columns with blanks are checked, row by row.
        let gaps: Vec<_> = arrays.iter().filter_map(|a| a.validity().filter(|v| v.unset_bits() > 0)).collect();
        let n = self.height();
        let kept = |i: usize| keep.is_none_or(|k| k[i]);
        let mut in_group = 0;
        let rows: Vec<usize> = (0..n)
            .filter(|&i| kept(i))
            .inspect(|_| in_group += 1)
            .filter(|&i| gaps.iter().all(|v| v.get_bit(i)))
            .collect();
        let p = arrays.len() - 1;
        let values: Vec<&[f64]> = arrays.iter().map(|a| a.values().as_slice()).collect();
        let mut x = Vec::with_capacity(rows.len() * p);
        for &i in &rows {
            x.extend(values[..p].iter().map(|v| v[i]));
        }
        let (sign, target) = (o.sign(), values[p]);
        let weights = self.weights();
        ModelData {
            names: self.survey.drivers.iter().map(|d| d.column.clone()).collect(),
            x: Array2::from_shape_vec((rows.len(), p), x).expect("rows × drivers values"),
            y: rows.iter().map(|&i| sign * target[i]).collect(),
            w: weights.map(|w| rows.iter().map(|&i| w[i]).collect()),
            n_used: rows.len(),
            n_dropped: in_group - rows.len(),
        }
    }
}
