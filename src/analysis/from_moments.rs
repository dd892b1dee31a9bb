//! The analyses a moments file allows (`--from-moments`): the rows stayed where they were
//! summed (a warehouse, or `keydriver moments`), and every figure that needs only sums is
//! made from them, equal to the raw-row run. The driver tables come from each group's
//! moments, their intervals from the file's Poisson bootstrap replicates; the headline
//! from each group's score sums. What needs the rows (Spearman, logits, design-based
//! standard errors, the decomposition of a change) is skipped with a note.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use crate::analysis::group::{Group, NoRanking};
use crate::analysis::source::{Source, Sums};
use crate::analysis::Analysis;
use crate::engine::DriverTable;
use crate::error::{Error, Result};
use crate::headline::scores::{self, Breakdown, ScoreStats, ScoreTable};
use crate::load::{LoadReport, MISSING_LABEL};
use crate::schema::settings::Survey;
use crate::schema::waves::{self, WaveOrder};
use crate::warehouse::moments_file::{GroupSums, MomentsFile};

/// What `drivers --from-moments` prints: the pooled table and one per wave and segment
/// level, each from its sums alone.
#[derive(Serialize)]
pub struct MomentsReport {
    #[serde(flatten)]
    pub table: DriverTable,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub waves: Vec<MomentsGroup>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub segments: BTreeMap<String, Vec<MomentsGroup>>,
}

#[derive(Serialize)]
pub struct MomentsGroup {
    pub group: String,
    /// Respondents with an answer, as a group's `n` from the rows means (absent from a
    /// file too old to hold the headline's sums); the table's `n_used` counts complete rows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub n: Option<usize>,
    /// Why there is no ranking for this group.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub table: Option<DriverTable>,
}

/// The driver engine on a moments file: every method that needs only moments, pooled and
/// per wave (in time order) and segment level. Equal to the raw-row run on those methods.
pub fn analyse_moments(survey: &Survey, file: &MomentsFile) -> Result<MomentsReport> {
    let opts = &survey.options;
    let source = Sums { survey, file };
    let min_n = survey.min_group_n();
    let table = match source.fit(Group::All, 0, opts) {
        Ok(t) => t,
        Err(NoRanking::Model(e)) => return Err(e.into()),
        Err(other) => return Err(Error::Data(other.to_string())),
    };
    let group = |g: &GroupSums| {
        let group = match survey.wave.as_deref() {
            Some(w) if w == g.by => Group::Wave { column: &g.by, label: &g.group },
            _ => Group::Segment { column: &g.by, level: &g.group },
        };
        let (table, note) = match source.fit_level(group, min_n, opts) {
            Ok(t) => (Some(t), None),
            Err(why) => (None, Some(why.to_string())),
        };
        MomentsGroup { group: g.group.clone(), n: g.score.as_ref().map(|s| s.n), note, table }
    };
    let waves = match (&survey.wave, wave_order(survey, file)?) {
        (Some(col), Some(order)) => in_order(file.by(col).collect(), &order).into_iter().map(group).collect(),
        _ => Vec::new(),
    };
    let segments = survey.segments.iter().map(|col| (col.clone(), file.by(col).map(group).collect())).collect();
    Ok(MomentsReport { table, waves, segments })
}

/// The whole report's analysis from a moments file, for the outcome it holds (the main
/// one): the headline by wave and segment with changes and benchmarks, and the driver
/// engine pooled and per group, with intervals and comparisons when the file has
/// replicates.
pub fn analyse_report(survey: &Survey, path: &Path, file: &MomentsFile) -> Result<Analysis> {
    let opts = &survey.options;
    let start = std::time::Instant::now();
    let o = survey.main_outcome();
    let mut notes = vec![format!(
        "read from the moments file {}: the rows stayed where they were summed, so the cells holding a missing code and the respondents not matched between files are not counted here (missing answers are)",
        path.display()
    )];
    if survey.outcomes.len() > 1 {
        let others: Vec<&str> = survey.outcomes[1..].iter().map(|o| o.column.as_str()).collect();
        notes.push(format!(
            "the moments file holds \"{}\" only; {} need their own file (--target)",
            o.column,
            others.join(", ")
        ));
    }
    let stats = |g: &GroupSums| -> Result<Option<ScoreStats>> {
        let sums = g.score.as_ref().ok_or_else(|| Error::BadFile {
            file: path.to_path_buf(),
            reason: "has no headline sums (an older keydriver made it): make it again with `keydriver moments` or `keydriver sql`".into(),
        })?;
        Ok(ScoreStats::from_sums(&g.group, o, sums, survey.weight.is_some(), survey.weights_are))
    };
    let overall = stats(file.all())?.ok_or_else(|| {
        Error::Data(format!("no respondent has a \"{}\" answer in {}: nothing to report", o.column, path.display()))
    })?;
    let order = wave_order(survey, file)?;
    let mut breakdowns = Vec::new();
    for col in survey.wave.iter().chain(&survey.segments) {
        let mut rows: Vec<ScoreStats> =
            file.by(col).map(stats).collect::<Result<Vec<_>>>()?.into_iter().flatten().collect();
        if let (Some(order), true) = (&order, Some(col) == survey.wave.as_ref()) {
            scores::in_time_order(&mut rows, order);
        }
        breakdowns.push(Breakdown { by: col.clone(), rows });
    }
    if survey.trend_by.is_some() {
        notes.push(
            "--trend-by needs the headline per wave within each segment level, which a moments file does not hold"
                .into(),
        );
    }
    let mut scores = ScoreTable {
        outcome: o.column.clone(),
        kind: o.kind,
        metric: o.metric(),
        overall,
        breakdowns,
        benchmarks: Vec::new(),
        trend: None,
    };
    let benchmarks = crate::analysis::benchmarks_for(survey, order.as_ref())?;
    scores.benchmarks = crate::headline::benchmarks::compare(o, &scores, survey.wave.as_deref(), &benchmarks);

    let source = Sums { survey, file };
    let analysed = super::outcome_analysis(survey, &source, o, scores, order.as_ref(), opts);
    let scores = &analysed.scores;

    let all = file.all();
    let missing = |j: usize| all.missing.get(j).copied().unwrap_or(0);
    let driver_missing: BTreeMap<String, usize> =
        survey.drivers.iter().enumerate().map(|(j, d)| (d.column.clone(), missing(j))).collect();
    let load = LoadReport {
        ratings_file: path.display().to_string(),
        ratings_rows: all.rows,
        nps_file: None,
        nps_rows: None,
        matched: all.rows,
        unmatched_ratings: 0,
        unmatched_nps: 0,
        missing_coded: None,
        outcome_coded: BTreeMap::new(),
        blank_cells: (0..=survey.drivers.len()).map(missing).sum(),
        outcome_missing: BTreeMap::from([(o.column.clone(), all.rows - scores.overall.n)]),
        driver_missing,
        zero_weight: 0,
        notes,
        dialects: Vec::new(),
    };
    let survey = Survey { outcomes: vec![o.clone()], ..survey.clone() };
    // Without waves, named after the moments file the report is made from.
    let name = waves::report_name(order.as_ref(), path);
    let stage = crate::analysis::Stage {
        stage: format!("analyse {} from moments", o.column),
        seconds: start.elapsed().as_secs_f64(),
    };
    Ok(Analysis {
        name,
        version: env!("CARGO_PKG_VERSION").to_string(),
        config: None,
        outcomes: vec![analysed],
        survey,
        load,
        agreement: None,
        timings: vec![stage],
    })
}

/// The wave labels in time order, when there is a wave column.
fn wave_order(survey: &Survey, file: &MomentsFile) -> Result<Option<WaveOrder>> {
    let Some(col) = &survey.wave else { return Ok(None) };
    let present: Vec<&str> = file.by(col).map(|g| g.group.as_str()).filter(|l| *l != MISSING_LABEL).collect();
    waves::order(col, &present).map(Some).map_err(Error::Data)
}

/// Wave groups in time order (a blank wave last).
fn in_order<'a>(mut groups: Vec<&'a GroupSums>, order: &WaveOrder) -> Vec<&'a GroupSums> {
    let position = |g: &str| order.labels.iter().position(|l| l == g).unwrap_or(usize::MAX);
    groups.sort_by_key(|g| position(&g.group));
    groups
}
