//! The one pipeline: the headline and the driver engine for every outcome, then per wave
//! and segment ([`groups`]), why the headline moved ([`change`]) and where the outcomes
//! agree ([`agreement`]).

pub mod agreement;
pub mod change;
pub mod from_moments;
pub mod group;
pub mod groups;
pub mod source;
pub mod whatif;

use rayon::prelude::*;
use serde::Serialize;

use std::path::Path;

use crate::engine::{DriverTable, Method, Missing, Note, Options};
use crate::error::{Error, ModelError, Result};
use crate::headline::benchmarks::{self, Benchmark};
use crate::headline::scores::ScoreTable;
use crate::load::{LoadReport, Responses};
use crate::schema::outcome::Outcome;
use crate::schema::settings::{Survey, WeightsAre};
use crate::schema::waves::{self, WaveOrder};
use crate::warehouse::{self, moments_file::MomentsFile};
use group::{Group, NoRanking};
use groups::GroupAnalysis;
use source::{Rows, Source};

/// Everything one report says.
#[derive(Serialize)]
pub struct Analysis {
    /// The report's folder name: the latest wave unless named.
    pub name: String,
    pub version: String,
    pub config: Option<String>,
    pub survey: Survey,
    pub load: LoadReport,
    /// One analysis per outcome, the main one first.
    pub outcomes: Vec<OutcomeAnalysis>,
    /// Where the outcomes' driver rankings agree and differ (two or more outcomes).
    pub agreement: Option<agreement::Agreement>,
    /// Wall time of each stage, in order: for run.json and for finding what is slow. The
    /// outcomes' stages overlap: they run side by side.
    pub timings: Vec<Stage>,
}

/// One stage of a run and its wall time.
#[derive(Debug, Clone, Serialize)]
pub struct Stage {
    pub stage: String,
    pub seconds: f64,
}

impl Stage {
    /// Runs `f`, noting its wall time as stage `name` in `timings`.
    pub fn time<T>(timings: &mut Vec<Stage>, name: impl Into<String>, f: impl FnOnce() -> T) -> T {
        let start = std::time::Instant::now();
        let out = f();
        timings.push(Stage { stage: name.into(), seconds: start.elapsed().as_secs_f64() });
        out
    }
}

/// Everything about one outcome: its headline by wave and segment (with benchmarks), the
/// pooled driver table, and the engine per wave and segment.
#[derive(Serialize)]
pub struct OutcomeAnalysis {
    pub outcome: Outcome,
    pub scores: ScoreTable,
    /// `None` when the data cannot support a driver model; `drivers_note` says why.
    pub drivers: Option<DriverTable>,
    #[serde(serialize_with = "crate::engine::notes::as_text_opt")]
    pub drivers_note: Option<NoModel>,
    /// The engine per wave and segment, what moved, and why the headline moved.
    pub groups: GroupAnalysis,
    /// What a point is worth (the main outcome, from the rows): `None` with
    /// `whatif_note` saying why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub whatif: Option<whatif::WhatIf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub whatif_note: Option<whatif::NoWhatIf>,
}

/// Why an outcome has no pooled driver table: the model's reason and, when its missing
/// codes may be why (an outcome left empty or constant), how many answers they removed.
#[derive(Debug, Clone, Serialize)]
pub struct NoModel {
    pub why: NoRanking,
    pub coded_away: Option<CodedAway>,
}

/// An outcome's missing codes and the answers they set to missing.
#[derive(Debug, Clone, Serialize)]
pub struct CodedAway {
    pub column: String,
    pub codes: Vec<f64>,
    pub removed: usize,
}

/// What `drivers --format json` prints and `drivers.json` holds: the pooled table, then
/// the per-wave and per-segment analyses beside its fields.
#[derive(Serialize)]
pub struct DriverReport<'a> {
    #[serde(flatten)]
    pub table: &'a DriverTable,
    #[serde(flatten)]
    pub groups: &'a GroupAnalysis,
    /// What a point is worth (the report's drivers.json; not the `drivers` command).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub whatif: Option<&'a whatif::WhatIf>,
}

/// The headline and the driver engine for every outcome of `survey`, pooled and per wave
/// and segment, from responses already loaded ([`crate::load::load`] for files,
/// [`Responses::from_frames`] for frames in memory). The drivers' labels are those of
/// `responses.survey`, which may have taken them from an SPSS file.
pub fn analyse(survey: &Survey, responses: &Responses) -> Result<Analysis> {
    let survey = &as_loaded(survey, responses);
    let opts = &survey.options;
    let benchmarks = benchmarks_for(survey, responses.waves.as_ref())?;
    let costs = whatif::costs_for(survey)?;
    let analyse_one = |(i, o): (usize, &Outcome)| -> Result<(OutcomeAnalysis, Stage)> {
        let start = std::time::Instant::now();
        let mut scores = score_table(survey, responses, o).map_err(|e| coded_away(e, o, &responses.report))?;
        scores.benchmarks = benchmarks::compare(o, &scores, survey.wave.as_deref(), &benchmarks);
        let source = Rows::new(survey, responses, o, opts);
        let mut analysed = outcome_analysis(survey, &source, o, scores, responses.waves.as_ref(), opts);
        if let Some(n) = &mut analysed.drivers_note {
            let emptied = matches!(&n.why, NoRanking::Model(e) if emptied(e));
            n.coded_away = codes_removed(o, &responses.report).filter(|_| emptied);
        }
        if let Some(t) = &mut analysed.drivers {
            note_listwise_cost(t, survey, &responses.report);
        }
        if i == 0 && analysed.drivers.is_some() {
            match whatif::simulate(survey, responses, o, costs.as_ref()) {
                Ok(w) => analysed.whatif = Some(w),
                Err(why) => analysed.whatif_note = Some(why),
            }
        }
        let stage = Stage { stage: format!("analyse {}", o.column), seconds: start.elapsed().as_secs_f64() };
        Ok((analysed, stage))
    };
    // The outcomes are analysed side by side while their model matrices together are
    // small; beyond that one after another, which halves the peak at ten million
    // respondents (each fit's groups and resamples still run in parallel).
    let matrices = responses.height() * (survey.drivers.len() + 3) * 8 * survey.outcomes.len();
    let analysed: Vec<(OutcomeAnalysis, Stage)> = if matrices <= SIDE_BY_SIDE_BYTES {
        survey.outcomes.par_iter().enumerate().map(analyse_one).collect::<Result<_>>()?
    } else {
        survey.outcomes.iter().enumerate().map(analyse_one).collect::<Result<_>>()?
    };
    let (outcomes, timings): (Vec<OutcomeAnalysis>, Vec<Stage>) = analysed.into_iter().unzip();
    let tables: Vec<&DriverTable> = outcomes.iter().filter_map(|o| o.drivers.as_ref()).collect();
    let agreement = agreement::compare(&tables);
    Ok(Analysis {
        name: waves::report_name(responses.waves.as_ref(), Path::new(&responses.report.ratings_file)),
        version: env!("CARGO_PKG_VERSION").to_string(),
        config: None,
        survey: survey.clone(),
        load: responses.report.clone(),
        outcomes,
        agreement,
        timings,
    })
}

/// The outcomes' model matrices (rows × drivers, outcome, weight and key, as 64-bit
/// numbers: ratings held as bytes take less) below which outcomes are analysed side by
/// side.
const SIDE_BY_SIDE_BYTES: usize = 512 << 20;

/// One outcome from any source: the pooled table (or why there is none), then the groups.
fn outcome_analysis(
    survey: &Survey,
    source: &dyn Source,
    outcome: &Outcome,
    scores: ScoreTable,
    waves: Option<&WaveOrder>,
    opts: &Options,
) -> OutcomeAnalysis {
    // A report still gives the headline when no driver model can be fitted, and says why.
    let (drivers, drivers_note) = match source.fit(Group::All, 0, opts) {
        Ok(t) => (Some(t), None),
        Err(why) => (None, Some(NoModel { why, coded_away: None })),
    };
    let groups = groups::analyse(survey, source, outcome, &scores, waves, opts);
    OutcomeAnalysis { outcome: outcome.clone(), scores, drivers, drivers_note, groups, whatif: None, whatif_note: None }
}

/// The main outcome's headline (the `nps` command): overall, by wave and by each segment,
/// with its benchmarks.
pub fn analyse_scores(survey: &Survey, responses: &Responses) -> Result<ScoreTable> {
    let benchmarks = benchmarks_for(survey, responses.waves.as_ref())?;
    let o = survey.main_outcome();
    let mut scores = score_table(survey, responses, o)?;
    scores.benchmarks = benchmarks::compare(o, &scores, survey.wave.as_deref(), &benchmarks);
    Ok(scores)
}

/// The main outcome's pooled driver table alone, which must fit (a caller that wants no
/// per-wave or per-segment fits).
pub fn analyse_pooled(survey: &Survey, responses: &Responses) -> Result<DriverTable> {
    let survey = &as_loaded(survey, responses);
    let o = survey.main_outcome();
    pooled(survey, responses, &Rows::new(survey, responses, o, &survey.options))
}

/// The driver analysis of the main outcome without charts or files (the `drivers`
/// command): the pooled table, which must fit, and the per-wave and per-segment analyses,
/// all from one source (with a bootstrap, every group's replicates from one pass).
pub fn analyse_drivers(survey: &Survey, responses: &Responses) -> Result<(DriverTable, GroupAnalysis)> {
    let survey = &as_loaded(survey, responses);
    let opts = &survey.options;
    let o = survey.main_outcome();
    let source = Rows::new(survey, responses, o, opts);
    let table = pooled(survey, responses, &source)?;
    let scores = score_table(survey, responses, o)?;
    Ok((table, groups::analyse(survey, &source, o, &scores, responses.waves.as_ref(), opts)))
}

/// The main outcome's pooled table from `source`; an error when it cannot be fitted.
fn pooled(survey: &Survey, responses: &Responses, source: &Rows) -> Result<DriverTable> {
    let o = survey.main_outcome();
    let mut table = source.fit(Group::All, 0, &survey.options).map_err(|why| {
        let e = match why {
            NoRanking::Model(e) => e.into(),
            other => Error::Data(format!("no driver table for \"{}\": {other}", o.column)),
        };
        coded_away(e, o, &responses.report)
    })?;
    note_listwise_cost(&mut table, survey, &responses.report);
    Ok(table)
}

/// What a point of each driver is worth to the main outcome (the `whatif` command); an
/// error says why there is none.
pub fn analyse_whatif(survey: &Survey, responses: &Responses) -> Result<whatif::WhatIf> {
    let survey = &as_loaded(survey, responses);
    let costs = whatif::costs_for(survey)?;
    let o = survey.main_outcome();
    whatif::simulate(survey, responses, o, costs.as_ref())
        .map_err(|why| Error::Data(format!("no what-if for \"{}\": {why}", o.column)))
}

/// The main outcome's sufficient statistics (the `moments` command), in one pass over
/// the rows, with `replicates` Poisson bootstrap replicates (seeded by the survey's seed).
pub fn moments(survey: &Survey, replicates: usize) -> Result<MomentsFile> {
    warehouse::scan::sums(survey, survey.main_outcome(), replicates)
}

/// Whether `drivers` can run in one pass over the rows, holding a batch at a time: every
/// method asked for needs only moments (no Spearman, logits, design-based standard
/// errors, bootstrap or gap handling).
pub fn streams(survey: &Survey) -> bool {
    let opts = &survey.options;
    let design = survey.weight.is_some() && opts.weights_are == WeightsAre::Sampling && opts.wants(Method::Ols);
    opts.bootstrap == 0 && opts.missing == Missing::Listwise && opts.needing_rows().next().is_none() && !design
}

/// `survey` with the drivers' labels the loader found (an SPSS file's question wording
/// labels the drivers survey.toml leaves unlabelled).
fn as_loaded(survey: &Survey, responses: &Responses) -> Survey {
    Survey { drivers: responses.survey.drivers.clone(), ..survey.clone() }
}

/// An outcome left empty or constant says which of its missing codes removed how many
/// answers: "every respondent gave the same score" alone does not say why.
fn coded_away(e: Error, o: &Outcome, load: &LoadReport) -> Error {
    let emptied = match &e {
        Error::Data(_) => true,
        Error::Model(m) => emptied(m),
        _ => false,
    };
    match codes_removed(o, load).filter(|_| emptied) {
        Some(coded) => Error::Data(format!("{e}; {coded}")),
        None => e,
    }
}

/// A model error an outcome's missing codes may have caused: too few rows, or no spread.
fn emptied(e: &ModelError) -> bool {
    matches!(e, ModelError::ConstantTarget { .. } | ModelError::TooFewRows { .. })
}

/// How many of an outcome's answers its missing codes removed, when any were.
fn codes_removed(o: &Outcome, load: &LoadReport) -> Option<CodedAway> {
    let removed = *load.outcome_coded.get(&o.column).filter(|&&n| n > 0)?;
    Some(CodedAway { column: o.column.clone(), codes: o.missing_codes.clone(), removed })
}

/// When listwise deletion leaves out more than a fifth of the respondents, says so, names
/// the drivers whose blanks cost the most and points to `--missing em`.
fn note_listwise_cost(table: &mut DriverTable, survey: &Survey, load: &LoadReport) {
    let all = table.n_used + table.n_dropped;
    if table.missing != Missing::Listwise || all == 0 || table.n_dropped * 5 <= all {
        return;
    }
    let mut blanks: Vec<(&str, usize)> = survey
        .drivers
        .iter()
        .map(|d| (d.label(), load.driver_missing.get(&d.column).copied().unwrap_or(0)))
        .filter(|(_, n)| *n > 0)
        .collect();
    blanks.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
    let worst = blanks.iter().take(3).map(|&(l, n)| (l.to_string(), n)).collect();
    table.method_notes.push(Note::ListwiseCost { dropped: table.n_dropped, of: all, worst });
}

/// The benchmark file's figures, if survey.toml names one; `waves` orders its waves.
pub(crate) fn benchmarks_for(survey: &Survey, waves: Option<&WaveOrder>) -> Result<Vec<Benchmark>> {
    match &survey.benchmarks {
        Some(path) => benchmarks::read(path, survey, waves),
        None => Ok(Vec::new()),
    }
}

fn score_table(survey: &Survey, responses: &Responses, o: &Outcome) -> Result<ScoreTable> {
    let by: Vec<String> = survey.wave.iter().chain(&survey.segments).cloned().collect();
    ScoreTable::from_responses(responses, o, &by, survey.trend_by.as_deref())
        .ok_or_else(|| Error::Data(format!("no respondent has a \"{}\" answer: nothing to report", o.column)))
}
