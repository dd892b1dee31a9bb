//! Load → validate → join: turns the survey's files into one clean frame of responses.
//!
//! Every value is checked against the schema before anything is modelled: ids must be
//! unique, ratings inside the declared scale, each outcome valid for its kind (NPS a whole
//! number 0–10), unless the value is a declared missing code. Each file is read a batch of
//! rows at a time ([`batches`]) and checked as it is read ([`pass`]); what is kept is
//! compact ([`columns`]): waves and segments as codes into their labels, ids as digests,
//! ratings and answers that are whole numbers as one byte each. The outcome (NPS) file is
//! read first; its index of ids, the same one that checks them for repeats, joins each
//! batch of ratings to it, and a ratings id is a repeat when its partner was already
//! taken: the ratings need no index of their own.

pub(crate) mod batches;
mod columns;
pub mod costs;
pub(crate) mod ids;
mod pass;
mod responses;
mod sheets;
pub(crate) mod sniff;
pub(crate) mod table;
mod values;

use batches::{Batches, Pending};
use columns::{Columns, Numbers};
pub(crate) use pass::slash_order;
use pass::{Plan, Read};
pub(crate) use values::{for_each_value, outcome_values, rating_values, wave_from_dates, weight_cells};

pub use responses::{LevelCodes, Reader};
pub use sniff::Dialect;
pub(crate) use table::leading_number;
pub use table::Table;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ndarray::Array2;
use polars::prelude::*;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::schema::outcome::{Outcome, OutcomeKind};
use crate::schema::settings::{DriverSpec, Survey};
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
    columns: Columns,
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

/// Reads the survey's files (the ratings, and the outcome file when there is one) a batch
/// at a time, checking each as it is read, and joins them.
pub fn load(survey: &Survey) -> Result<Responses> {
    let numeric = numeric_columns(survey, &survey.outcomes);
    let open =
        |path: &Path| -> Result<_> { Ok((path.to_path_buf(), Batches::open(path, &survey.csv, None, &numeric)?)) };
    let ratings = open(survey.ratings_file()?)?;
    let nps = survey.nps.as_deref().map(open).transpose()?;
    let day_first = match (&survey.wave, survey.wave_period) {
        (Some(wave), Some(_)) => Some(pass::slash_order(survey, wave)?),
        _ => None,
    };
    Responses::from_batches(survey, ratings, nps, day_first)
}

impl Responses {
    /// The survey's responses from frames already in memory (a notebook's, another
    /// program's): `ratings` holds what the ratings file would, `outcomes` what the outcome
    /// file would (joined on the survey's `id`). Every column is checked as a file's is;
    /// errors name the frame ("ratings frame", "outcomes frame"), the column and the row.
    pub fn from_frames(survey: &Survey, ratings: DataFrame, outcomes: Option<DataFrame>) -> Result<Responses> {
        let ratings = Table::from_frame("ratings frame", ratings)?;
        let outcomes = outcomes.map(|df| Table::from_frame("outcomes frame", df)).transpose()?;
        let one = |t: Table| (t.path.clone(), std::iter::once(Ok(Pending::whole(t))));
        Self::from_batches(survey, one(ratings), outcomes.map(one), None)
    }

    /// Checks and joins the ratings' batches and the outcome file's. `day_first`: how the
    /// wave column's slash dates read, when settled over the whole file beforehand.
    fn from_batches(
        survey: &Survey,
        ratings: (PathBuf, impl Iterator<Item = Result<Pending>>),
        nps: Option<(PathBuf, impl Iterator<Item = Result<Pending>>)>,
        day_first: Option<bool>,
    ) -> Result<Responses> {
        if nps.is_some() && survey.id.is_none() {
            return Err(Error::NoJoinKey);
        }
        let (ratings_path, (ratings_head, ratings_rows, ratings)) = (ratings.0.clone(), first(ratings)?);
        let nps = nps.map(|n| -> Result<_> { Ok((n.0.clone(), first(n)?)) }).transpose()?;
        // Which file each outcome is read from: the outcome file when it has the column (or
        // neither has it, so that the error names that file), seen in each file's first batch.
        let has = |t: &Table, column: &str| t.df.column(column).is_ok();
        let in_nps = |o: &Outcome| {
            nps.as_ref().is_some_and(|(_, (head, _, _))| has(head, &o.column) || !has(&ratings_head, &o.column))
        };
        let nps_plan = Plan {
            survey,
            ratings: false,
            outcomes: survey.outcomes.iter().filter(|o| in_nps(o)).collect(),
            day_first: None,
        };
        let ratings_plan = Plan {
            survey,
            ratings: true,
            outcomes: survey.outcomes.iter().filter(|o| !in_nps(o)).collect(),
            day_first,
        };
        // Both files' id columns are looked for before any other column.
        if let Some(id) = &survey.id {
            ratings_head.column(id, "respondent id")?;
            if let Some((_, (head, _, _))) = &nps {
                head.column(id, "respondent id")?;
            }
        }
        let ratings_head = ratings_plan.check(ratings_head)?;
        let mut nps = nps
            .map(|(path, (head, rows, rest))| Read::file(&path, (nps_plan.check(head)?, rows), rest, &nps_plan, None))
            .transpose()?;
        let partner = nps.as_ref().and_then(|n| n.index.as_ref());
        let mut ratings = Read::file(&ratings_path, (ratings_head, ratings_rows), ratings, &ratings_plan, partner)?;
        if let Some(n) = &mut nps {
            n.index = None;
        }
        // The inner join: each matched ratings row with its outcome row, in the ratings' order.
        let (left, right) = ratings.matched().unzip();
        let mut columns = Columns::default();
        ratings.columns_into(&ratings_plan, left.as_deref(), &mut columns);
        if let Some(n) = &mut nps {
            n.columns_into(&nps_plan, right.as_deref(), &mut columns);
        }
        let levels: BTreeMap<String, Vec<String>> = ratings.levels(survey).into_iter().collect();
        let outcome_coded: BTreeMap<String, usize> = [(&ratings_plan, Some(&ratings)), (&nps_plan, nps.as_ref())]
            .into_iter()
            .filter_map(|(plan, read)| {
                Some(plan.outcomes.iter().map(|o| o.column.clone()).zip(read?.outcome_coded.clone()))
            })
            .flatten()
            .collect();
        let missing_coded = ratings.driver_coded + outcome_coded.values().sum::<usize>();
        // What the report needs of each file; the rest (ids, the files' columns) goes now.
        let ratings = File::of(ratings);
        let nps = nps.map(File::of);
        if columns.height == 0 {
            return Err(Error::Data(match &nps {
                Some(n) => format!(
                    "no respondent id appears in both {} and {}: check that --id names the same column in both",
                    ratings.path.display(),
                    n.path.display()
                ),
                None => format!("{}: no rows to analyse", ratings.path.display()),
            }));
        }
        let matched = columns.height;
        let (columns, zero_weight) = drop_zero_weights(columns, survey);
        let report = LoadReport {
            ratings_file: ratings.path.display().to_string(),
            ratings_rows: ratings.rows,
            nps_file: nps.as_ref().map(|t| t.path.display().to_string()),
            nps_rows: nps.as_ref().map(|t| t.rows),
            matched,
            unmatched_ratings: ratings.rows - matched,
            unmatched_nps: nps.as_ref().map_or(0, |t| t.rows - matched),
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
        for file in [Some(&ratings), nps.as_ref()].into_iter().flatten() {
            for d in labelled.drivers.iter_mut().filter(|d| d.label.is_none()) {
                if let Some(l) = file.labels.variables.get(&d.column) {
                    d.label = Some(l.clone());
                }
            }
        }
        let mut report = report;
        for file in [Some(&ratings), nps.as_ref()].into_iter().flatten() {
            let used =
                |c: &str| survey.drivers.iter().any(|d| d.column == c) || survey.outcomes.iter().any(|o| o.column == c);
            let declared: Vec<&(String, String, usize)> =
                file.labels.user_missing.iter().filter(|(c, _, _)| used(c)).collect();
            if !declared.is_empty() {
                report.missing_coded =
                    report.missing_coded.map(|n| n + declared.iter().map(|(_, _, n)| n).sum::<usize>());
                let list: Vec<String> =
                    declared.iter().map(|(c, codes, n)| format!("{c} {codes} ({n} cells)")).collect();
                report.notes.push(format!(
                    "{} declares user-missing values, set to missing: {}",
                    file.path.display(),
                    list.join(", ")
                ));
            }
        }
        let mut responses = Responses { survey: labelled, columns, levels, report, waves: None };
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
        let blanks = |key: &str| responses.columns.numbers.get(key).map_or(0, Numbers::gaps);
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

/// A file's first batch, about how many rows the file holds (from the batch's share of its
/// bytes), and the rest: the first settles where each outcome is read from.
fn first<I: Iterator<Item = Result<Pending>>>((path, mut batches): (PathBuf, I)) -> Result<(Table, usize, I)> {
    match batches.next().transpose()? {
        Some(head) => {
            let share = head.share_of(&path);
            let table = head.table()?;
            // A twentieth more: a `Vec` that outgrows its room doubles it.
            let rows = (table.height() as f64 * share * 1.05).ceil().min(u32::MAX as f64) as usize;
            Ok((table, rows, batches))
        }
        None => Err(Error::BadFile { file: path, reason: "has a header but no data rows".into() }),
    }
}

/// What the load report says of a file once it is read.
struct File {
    path: PathBuf,
    rows: usize,
    dialect: Option<Dialect>,
    labels: sheets::Labels,
}

impl File {
    fn of(read: Read) -> File {
        File { path: read.path, rows: read.rows, dialect: read.dialect, labels: read.labels }
    }
}

/// Columns that must hold numbers (the drivers, `outcomes`, the weight), read as numbers
/// where the file allows; a binary outcome's answers are text, coded as they are read.
pub(crate) fn numeric_columns<'a>(survey: &'a Survey, outcomes: impl IntoIterator<Item = &'a Outcome>) -> Vec<&'a str> {
    let outcomes = outcomes.into_iter().filter(|o| o.kind != OutcomeKind::Binary).map(|o| o.column.as_str());
    survey.drivers.iter().map(|d| d.column.as_str()).chain(outcomes).chain(survey.weight.as_deref()).collect()
}

/// Rows of weight 0 contribute nothing to any estimate, and R's `lm` and the survey
/// package leave them out of n and the degrees of freedom: so does keydriver, here, once.
fn drop_zero_weights(columns: Columns, survey: &Survey) -> (Columns, usize) {
    if survey.weight.is_none() {
        return (columns, 0);
    }
    let w = columns.numbers(WEIGHT);
    let kept: Vec<u32> = (0..columns.height).filter(|&i| w.value(i) > 0.0).map(|i| i as u32).collect();
    match columns.height - kept.len() {
        0 => (columns, 0),
        dropped => (columns.take(&kept), dropped),
    }
}
