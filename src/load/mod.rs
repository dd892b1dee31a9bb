//! Load → validate → join: turns the survey's files into one clean frame of responses.
//!
//! Every value is checked against the schema before anything is modelled: ids must be
//! unique, ratings inside the declared scale, each outcome valid for its kind (NPS a whole
//! number 0–10), unless the value is a declared missing code. The files are read with
//! polars; the outcome (NPS) file joins the ratings through one index of its ids, the same
//! one that checks them for repeats. Waves and segments are held as codes into their
//! labels, so a million rows hold each label once.

pub(crate) mod batches;
pub mod costs;
pub(crate) mod ids;
mod responses;
mod sheets;
pub(crate) mod sniff;
pub(crate) mod table;
mod values;

use ids::{unique_ids, IdIndex};
use values::weight_values;
pub(crate) use values::{for_each_value, outcome_values, rating_values, wave_from_dates, weight_cells};

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
use crate::schema::settings::{DriverSpec, Survey};
use crate::schema::waves::{self, Period, PeriodKind, WaveOrder};
use crate::stats::replicates;
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
/// Each respondent's key ([`crate::stats::replicates::key`]), from its id or its row.
const KEY: &str = "__key";

/// An outcome's column inside the joined frame.
fn outcome_key(o: &Outcome) -> String {
    format!("__outcome:{}", o.column)
}

/// Reads the survey's files (the ratings, and the outcome file when there is one) and
/// joins them.
pub fn load(survey: &Survey) -> Result<Responses> {
    let numeric = numeric_columns(survey, &survey.outcomes);
    let ratings = survey.ratings_file()?;
    // The two files are read side by side.
    let (ratings, nps) = rayon::join(
        || Table::read(ratings, &survey.csv, &numeric),
        || survey.nps.as_ref().map(|path| Table::read(path, &survey.csv, &numeric)).transpose(),
    );
    Responses::from_tables(survey, ratings?, nps?)
}

impl Responses {
    /// The survey's responses from frames already in memory (a notebook's, another
    /// program's): `ratings` holds what the ratings file would, `outcomes` what the outcome
    /// file would (joined on the survey's `id`). Every column is checked as a file's is;
    /// errors name the frame ("ratings frame", "outcomes frame"), the column and the row.
    pub fn from_frames(survey: &Survey, ratings: DataFrame, outcomes: Option<DataFrame>) -> Result<Responses> {
        let ratings = Table::from_frame("ratings frame", ratings)?;
        let outcomes = outcomes.map(|df| Table::from_frame("outcomes frame", df)).transpose()?;
        if outcomes.is_some() && survey.id.is_none() {
            return Err(Error::NoJoinKey);
        }
        Self::from_tables(survey, ratings, outcomes)
    }

    /// Checks and joins the ratings table and the outcome table.
    fn from_tables(survey: &Survey, mut ratings: Table, mut nps: Option<Table>) -> Result<Responses> {
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
        let Checked { mut columns, nps_columns, levels, missing_coded, outcome_coded } = built?;
        let ratings_index = ratings_unique?;
        let nps_index = nps_index?;
        // Each respondent's key for the replicates: of its id's digest, else of its row.
        let keys = match &ratings_index {
            Some(index) => index.chunks().iter().flatten().map(|&d| replicates::key_of(d) as u32).collect(),
            None => replicates::row_keys(0..ratings.height()),
        };
        columns.push(Column::new(KEY.into(), keys));
        // Every cell is now checked and copied: the files' frames go before the join, which
        // makes a second copy of the matched rows (at 10M respondents, over a gigabyte each).
        // Each keeps its height, which the load report gives.
        for t in [Some(&mut ratings), nps.as_mut()].into_iter().flatten() {
            t.df = DataFrame::empty_with_height(t.height());
        }
        let df = match (&nps, &nps_index, &ratings_index) {
            (Some(nps), Some(index), Some(ids)) => {
                join(frame(&ratings, columns)?, ids, frame(nps, nps_columns)?, index).map_err(|e| {
                    Error::Data(format!("joining {} and {}: {e}", ratings.path.display(), nps.path.display()))
                })?
            }
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
                report.missing_coded =
                    report.missing_coded.map(|n| n + declared.iter().map(|(_, _, n)| n).sum::<usize>());
                let list: Vec<String> =
                    declared.iter().map(|(c, codes, n)| format!("{c} {codes} ({n} cells)")).collect();
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
fn join(ratings: DataFrame, digests: &IdIndex, outcomes: DataFrame, index: &IdIndex) -> PolarsResult<DataFrame> {
    let pairs: Vec<Vec<(IdxSize, IdxSize)>> = digests
        .chunks()
        .par_iter()
        .enumerate()
        .map(|(c, chunk)| {
            let rows = chunk.iter().enumerate();
            rows.filter_map(|(i, &id)| Some(((c * ids::CHUNK + i) as IdxSize, index.get(id)? as IdxSize))).collect()
        })
        .collect();
    let (left, right): (Vec<IdxSize>, Vec<IdxSize>) = pairs.into_iter().flatten().unzip();
    let ratings = if left.len() == ratings.height() { ratings } else { take(ratings, &left)? };
    ratings.hstack(take(outcomes, &right)?.columns())
}

/// Rows `rows` of every column (numbers and codes), the columns gathered side by side,
/// each dropped once gathered: the frame is not held twice.
fn take(df: DataFrame, rows: &[IdxSize]) -> PolarsResult<DataFrame> {
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
        .into_columns()
        .into_par_iter()
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
