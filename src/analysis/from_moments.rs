//! The analyses a moments file allows (`--from-moments`): the rows stayed where they were
//! summed (a warehouse, or `keydriver moments`), and every figure that needs only sums is
//! made from them, equal to the raw-row run. The driver tables come from each group's
//! moments, their intervals from the file's Poisson bootstrap replicates; the headline
//! from each group's score sums. What needs the rows (Spearman, logits, design-based
//! standard errors, the decomposition of a change) is skipped with a note.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use crate::analysis::groups::{self, GroupAnalysis, GroupFit, SegmentGroup, WaveGroup};
use crate::analysis::{Analysis, OutcomeAnalysis};
use crate::engine::{DriverTable, Options};
use crate::error::{Error, Result};
use crate::headline::scores::{self, Breakdown, ScoreStats, ScoreTable};
use crate::load::{LoadReport, MISSING_LABEL};
use crate::schema::spec::Survey;
use crate::schema::waves::{self, WaveOrder};
use crate::warehouse::moments_file::{GroupSums, SumsFile};

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
    /// Complete rows.
    pub n: usize,
    /// Why there is no ranking for this group.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub table: Option<DriverTable>,
}

/// The driver engine on a moments file: every method that needs only moments, pooled and
/// per wave (in time order) and segment level. Equal to the raw-row run on those methods.
pub fn analyse_moments(survey: &Survey, file: &SumsFile, opts: &Options) -> Result<MomentsReport> {
    let table = fit(survey, file.all(), &file.replicates(file.all()), opts)?;
    let group = |g: &GroupSums| {
        let (table, note) = match group_table(survey, file, g, opts) {
            Ok(t) => (Some(t), None),
            Err(why) => (None, Some(why)),
        };
        MomentsGroup { group: g.group.clone(), n: g.n, note, table }
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
pub fn analyse_report(
    survey: &Survey,
    path: &Path,
    file: &SumsFile,
    opts: &Options,
    name: Option<String>,
    config: Option<String>,
) -> Result<Analysis> {
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

    let (drivers, drivers_note) = match fit(survey, file.all(), &file.replicates(file.all()), opts) {
        Ok(t) => (Some(t), None),
        Err(e) => (None, Some(e.to_string())),
    };
    let fit_of = |g: &GroupSums, s: &ScoreStats| {
        let (table, note) = match group_table(survey, file, g, opts) {
            Ok(t) => (Some(t), None),
            Err(why) => (None, Some(why)),
        };
        GroupFit {
            n: s.n,
            score: s.score,
            score_ci_low: s.ci_low,
            score_ci_high: s.ci_high,
            change: s.change.clone(),
            year_change: s.year_change.clone(),
            note,
            table,
        }
    };
    let mut groups = GroupAnalysis::default();
    if let (Some(col), Some(order)) = (&survey.wave, &order) {
        let rows = scores.by(col).unwrap_or(&[]);
        for g in in_order(file.by(col).collect(), order) {
            if let Some(s) = rows.iter().find(|s| s.group == g.group) {
                groups.waves.push(WaveGroup { wave: g.group.clone(), fit: fit_of(g, s) });
            }
        }
        if let [.., a, b] = &groups.waves[..] {
            match groups::share_shift(a, b, !file.replicates(file.all()).is_empty()) {
                Ok(shift) => groups.share_shift = Some(shift),
                Err(why) => groups.notes.push(why.replace("(--bootstrap N)", "(make the sums with --replicates B)")),
            }
            groups.notes.push(format!(
                "why {} moved between {} and {} is not decomposed: the decomposition needs the rows",
                o.metric(),
                a.wave,
                b.wave
            ));
        }
    }
    for col in &survey.segments {
        let rows = scores.by(col).unwrap_or(&[]);
        let levels = file
            .by(col)
            .filter_map(|g| {
                let s = rows.iter().find(|s| s.group == g.group)?;
                let fit = fit_of(g, s);
                let versus_rest = versus_rest(survey, file, g, &fit, opts);
                Some(SegmentGroup { group: g.group.clone(), fit, versus_rest })
            })
            .collect();
        groups.segments.insert(col.clone(), levels);
    }

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
    // Without waves, named after the sums file the report is made from.
    let name = name.unwrap_or_else(|| waves::report_name(order.as_ref(), path));
    let stage = crate::analysis::Stage {
        stage: format!("analyse {} from moments", o.column),
        seconds: start.elapsed().as_secs_f64(),
    };
    Ok(Analysis {
        name,
        version: env!("CARGO_PKG_VERSION").to_string(),
        config,
        outcomes: vec![OutcomeAnalysis { outcome: o.clone(), scores, drivers, drivers_note, groups }],
        survey,
        load,
        agreement: None,
        timings: vec![stage],
    })
}

/// The driver table of sums `g` from its moments, with intervals from its `replicates`.
fn fit(survey: &Survey, g: &GroupSums, replicates: &[&GroupSums], opts: &Options) -> Result<DriverTable> {
    let o = survey.main_outcome();
    let replicates = replicates.iter().map(|r| r.moments(o.sign())).collect();
    let weighted = survey.weight.is_some();
    Ok(DriverTable::fit_moments(o, &survey.drivers, g.moments(o.sign()), replicates, g.rows - g.n, weighted, opts)?)
}

/// A wave's or segment level's table, or why it has none (too few rows, or no model).
fn group_table(
    survey: &Survey,
    file: &SumsFile,
    g: &GroupSums,
    opts: &Options,
) -> std::result::Result<DriverTable, String> {
    if let Some(why) = groups::unrankable(survey, &g.group, g.n) {
        return Err(why);
    }
    let opts = Options { seed: groups::group_seed(opts.seed, &g.group), ..opts.clone() };
    fit(survey, g, &file.replicates(g), &opts).map_err(|e| format!("no driver model: {e}"))
}

/// A segment level's shares against the rest of the sample (all respondents' sums minus
/// the level's, replicate by replicate), when both have intervals.
fn versus_rest(
    survey: &Survey,
    file: &SumsFile,
    g: &GroupSums,
    fit_g: &GroupFit,
    opts: &Options,
) -> Option<Vec<groups::ShareDifference>> {
    let u = fit_g.table.as_ref()?.uncertainty.as_ref()?;
    let all = file.all();
    let part = file.replicates(g);
    let replicates: Vec<GroupSums> = file
        .replicates(all)
        .iter()
        .filter_map(|a| Some(a.minus(part.iter().find(|p| p.replicate == a.replicate)?)))
        .collect();
    let replicates: Vec<&GroupSums> = replicates.iter().collect();
    let rest = fit(survey, &all.minus(g), &replicates, &groups::rest_options(opts, &g.by, &g.group)).ok()?;
    Some(groups::compare(fit_g.table.as_ref()?, u, rest.uncertainty.as_ref()?))
}

/// The wave labels in time order, when there is a wave column.
fn wave_order(survey: &Survey, file: &SumsFile) -> Result<Option<WaveOrder>> {
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
