//! The driver engine: from the survey's responses to one table with a row per driver and
//! a field per method, in three steps that the bootstrap (and waves and segments) call
//! again: [`prepare`] (moments → a checked correlation matrix, or a typed [`ModelError`]),
//! [`estimate`] (each method a pure function returning plain numbers) and `assemble`
//! here (labels, notes, ranking → [`DriverTable`]).

pub mod bootstrap;
pub mod corr;
pub mod dominance;
pub mod estimate;
pub mod kruskal;
pub mod logit;
pub mod ols;
pub mod prepare;
pub mod relweights;
pub mod shapley;
pub mod subsets;

use std::collections::BTreeMap;

use serde::Serialize;

pub use prepare::{ModelError, Prepared};

use crate::load::{GappyColumns, ModelData, Responses};
pub use crate::schema::choices::{Method, Missing, NonPd, RankBy};
use crate::schema::outcome::{Outcome, OutcomeKind};
use crate::schema::spec::{DriverSpec, Survey, WeightsAre};
use crate::stats::moments::{self, Moments, Rows};
use bootstrap::Uncertainty;
use estimate::Estimates;

#[derive(Debug, Clone)]
pub struct Options {
    pub methods: Vec<Method>,
    /// Default: Shapley, or the correlation when Shapley is not run.
    pub rank_by: Option<RankBy>,
    pub missing: Missing,
    pub non_pd: NonPd,
    /// Sample orderings for Shapley even when exact enumeration is possible.
    pub approx: bool,
    pub permutations: usize,
    /// Stop sampling orderings once every driver's Monte-Carlo SE is at most this.
    pub tolerance: Option<f64>,
    pub seed: u64,
    /// Bootstrap resamples for intervals and rank stability (0: none).
    pub bootstrap: usize,
    /// How survey weights enter the standard errors.
    pub weights_are: WeightsAre,
    /// Told of every bootstrap resample; nothing unless the caller (the CLI's progress
    /// bar) listens.
    pub progress: Progress,
}

/// A step of the bootstrap, for a progress display.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tick {
    /// This many more resamples are to be drawn.
    More(u64),
    /// One resample is done.
    Done,
}

/// Whom the engine tells of its progress: no one by default. The engine has no idea how
/// (or whether) progress is shown.
#[derive(Clone, Default)]
pub struct Progress(Option<std::sync::Arc<dyn Fn(Tick) + Send + Sync>>);

impl Progress {
    pub fn new(listener: impl Fn(Tick) + Send + Sync + 'static) -> Progress {
        Progress(Some(std::sync::Arc::new(listener)))
    }

    pub fn tell(&self, tick: Tick) {
        if let Some(listener) = &self.0 {
            listener(tick);
        }
    }
}

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() { "Progress(listened)" } else { "Progress(none)" })
    }
}

impl Default for Options {
    fn default() -> Self {
        Options {
            methods: vec![Method::All],
            rank_by: None,
            missing: Missing::Listwise,
            non_pd: NonPd::Repair,
            approx: false,
            permutations: 10_000,
            tolerance: None,
            seed: crate::schema::spec::DEFAULT_SEED,
            bootstrap: 0,
            weights_are: WeightsAre::Sampling,
            progress: Progress::default(),
        }
    }
}

impl Options {
    pub fn wants(&self, m: Method) -> bool {
        self.methods.contains(&Method::All) || self.methods.contains(&m)
    }

    /// The ranking key: asked for, or Shapley when run, or the correlation.
    pub fn rank_by(&self) -> RankBy {
        self.rank_by.unwrap_or(if self.wants(Method::Shapley) { RankBy::Shapley } else { RankBy::Corr })
    }

    /// A `--rank-by` whose method is not run is a usage error, caught before any data is read.
    pub fn check(&self) -> Result<(), String> {
        let key = self.rank_by();
        if key.method().is_some_and(|m| !self.wants(m)) {
            return Err(format!(
                "--rank-by {}: its method is not run; add it to --method or rank by another field",
                key.name()
            ));
        }
        Ok(())
    }
}

/// How the betas' standard errors were computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StandardErrors {
    /// Unweighted ordinary least squares.
    Ols,
    /// `lm(weights = w)`: weights as frequency/precision weights.
    WeightedLm,
    /// Linearization (sandwich), as `survey::svyglm`: weights as sampling weights.
    DesignBased,
}

/// One driver's results. Field names are the `drivers --format json` contract: later
/// versions add fields, never rename these. Methods not run are left out.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Driver {
    pub name: String,
    pub label: String,
    /// 1 = most important.
    pub rank: usize,
    /// Pearson correlation with the outcome (for effort, with less effort: see `Outcome::sign`).
    pub corr: f64,
    /// "positive", "negative" or "mixed": the signs of the correlation and the beta. A
    /// driver whose higher rating goes with a worse outcome is flagged, not hidden in a share.
    pub direction: &'static str,
    /// Mean rating (weighted) in the rows behind the correlation matrix: the driver's
    /// performance, across from its importance in the report's quadrant.
    pub mean_rating: f64,
    /// Standard error of `mean_rating`, √(variance / Kish's n_eff): whether two drivers'
    /// performance differs beyond noise.
    pub mean_rating_se: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spearman: Option<f64>,
    /// Shapley value / LMG in R² units; the drivers' values sum to `r2`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shapley: Option<f64>,
    /// Bootstrap percentile 95% interval of `shapley`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ci_low: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ci_high: Option<f64>,
    /// Shapley value as a share of R² (sums to 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shapley_share: Option<f64>,
    /// Bootstrap percentile 95% interval of `shapley_share`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub share_ci_low: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub share_ci_high: Option<f64>,
    /// Monte-Carlo SE of `shapley` when it was sampled rather than exact.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shapley_se: Option<f64>,
    /// Johnson's relative weight in R² units (sums to `r2`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub relative_weight: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub relative_weight_ci_low: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub relative_weight_ci_high: Option<f64>,
    /// Share of bootstrap resamples in which this driver ranks first / in the top three.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p_rank1: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p_top3: Option<f64>,
    /// [2.5%, 97.5%] percentiles of its rank over the resamples.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rank_ci: Option<[usize; 2]>,
    /// Letters of `tie_groups`: drivers sharing a letter are not distinguishable at 95%.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tie_group: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kruskal: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub general_dominance: Option<f64>,
    /// Mean R² gain over subsets of 0, 1, …, p−1 other drivers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conditional_dominance: Option<Vec<f64>>,
    /// Standardized beta and its SE and two-sided p-value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub beta: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub beta_se: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub beta_p: Option<f64>,
    /// Unstandardized coefficient (score points per rating point) and its SE.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coef: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coef_se: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vif: Option<f64>,
    /// Odds ratio of each of the outcome's classes per one-point rating increase:
    /// `promoter_odds_ratio` (9–10) and `detractor_odds_ratio` (0–6) for NPS,
    /// `satisfied_odds_ratio` for CSAT, `high_effort_odds_ratio` for CES.
    #[serde(flatten)]
    pub odds_ratios: BTreeMap<String, f64>,
}

impl DriverTable {
    /// The drivers' average mean rating: the performance line of the importance–performance
    /// matrix, against which [`Driver::rated_as`] is judged.
    pub fn average_rating(&self) -> f64 {
        self.drivers.iter().map(|x| x.mean_rating).sum::<f64>() / self.drivers.len().max(1) as f64
    }
}

impl Driver {
    /// The value of the field the table can be ranked by.
    pub fn field(&self, by: RankBy) -> Option<f64> {
        match by {
            RankBy::Shapley => self.shapley,
            RankBy::RelativeWeight => self.relative_weight,
            RankBy::Kruskal => self.kruskal,
            RankBy::Beta => self.beta,
            RankBy::Corr => Some(self.corr),
            RankBy::Spearman => self.spearman,
        }
    }

    /// The 95% interval of the mean rating.
    pub fn rating_ci(&self) -> (f64, f64) {
        let half = moments::Z95 * self.mean_rating_se;
        (self.mean_rating - half, self.mean_rating + half)
    }

    /// Whether the driver's mean rating is indistinguishable from `average` (the drivers'
    /// average rating): `average` lies in its 95% interval. Such a driver is neither well
    /// nor badly rated, "on the line" of the importance–performance matrix.
    pub fn rated_as(&self, average: f64) -> bool {
        let (lo, hi) = self.rating_ci();
        lo <= average && average <= hi
    }

    /// The odds ratio of class `name` ("promoter", "satisfied", …), if fitted.
    pub fn odds_ratio(&self, name: &str) -> Option<f64> {
        self.odds_ratios.get(&format!("{name}_odds_ratio")).copied()
    }
}

/// The driver analysis of one outcome.
#[derive(Debug, Clone, Serialize)]
pub struct DriverTable {
    /// The outcome column and its kind.
    pub target: String,
    pub outcome: OutcomeKind,
    /// Complete rows (target and every driver present).
    pub n_used: usize,
    pub n_dropped: usize,
    /// R² of the full linear model.
    pub r2: f64,
    pub adj_r2: f64,
    pub missing: Missing,
    /// "as computed", or "repaired" when a pairwise matrix was replaced by the nearest
    /// positive definite correlation matrix.
    pub correlation_matrix: &'static str,
    /// Rows behind each part: the correlation matrix (with pairwise deletion, the
    /// smallest pairwise count) and the row-based methods.
    pub rows_used: BTreeMap<&'static str, usize>,
    /// The field the ranking is by.
    pub rank_by: RankBy,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub standard_errors: Option<StandardErrors>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shapley_method: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub complete_dominance: Option<Vec<[String; 2]>>,
    /// McFadden's pseudo-R² of each logit: `promoter_pseudo_r2`, `satisfied_pseudo_r2`, ….
    #[serde(flatten)]
    pub pseudo_r2: BTreeMap<String, f64>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub uncertainty: Option<Uncertainty>,
    /// Warnings and explanations a reader of the numbers needs.
    pub method_notes: Vec<String>,
    /// Sorted by rank.
    pub drivers: Vec<Driver>,
    /// Pearson correlations between the drivers, rows and columns in the order of
    /// `drivers`: which ratings move together and so share importance.
    pub driver_correlations: Vec<Vec<f64>>,
}

/// Where a fit's moments come from: the complete rows, or every row with its gaps and how
/// to estimate from them (pairwise deletion or EM). The bootstrap resamples the same
/// source, so EM reruns per resample. A moments file brings its resamples ready made:
/// the moments of its Poisson bootstrap replicates.
pub enum Source<'a> {
    Listwise(Rows<'a>),
    Gappy(&'a GappyColumns, Missing),
    Replicates(Vec<Moments>),
}

impl Source<'_> {
    /// Rows a resample draws from.
    fn len(&self) -> usize {
        match self {
            Source::Listwise(rows) => rows.len(),
            Source::Gappy((columns, _), _) => columns.first().map_or(0, Vec::len),
            Source::Replicates(_) => 0,
        }
    }

    /// The moments of bootstrap resample `k`: the rows drawn with replacement (the stream
    /// `seed` and `k` pick), or the k-th replicate.
    pub fn resample(&self, k: usize, seed: u64) -> Moments {
        match self {
            Source::Replicates(r) => r[k].clone(),
            _ => self.moments(Some(&bootstrap::draw(self.len(), seed, k))),
        }
    }

    /// Moments with row i counted `counts[i]` times, or once each.
    fn moments(&self, counts: Option<&[u32]>) -> Moments {
        match self {
            Source::Replicates(_) => unreachable!("replicates come as moments, not rows"),
            Source::Listwise(rows) => rows.moments(counts),
            Source::Gappy((columns, w), how) => {
                let v: Option<Vec<f64>> = match counts {
                    None => w.clone(),
                    Some(c) => Some((0..c.len()).map(|i| c[i] as f64 * w.as_ref().map_or(1.0, |w| w[i])).collect()),
                };
                match how {
                    Missing::Em => moments::em(columns, v.as_deref()),
                    _ => moments::pairwise(columns, v.as_deref()),
                }
            }
        }
    }

    /// The moments are not those of the complete rows alone.
    pub fn is_pairwise(&self) -> bool {
        matches!(self, Source::Gappy(..))
    }
}

/// Everything a fit needs to know about its variables.
pub struct Model<'a> {
    pub outcome: &'a Outcome,
    pub specs: &'a [DriverSpec],
    pub opts: &'a Options,
}

impl Model<'_> {
    fn names(&self) -> Vec<&str> {
        self.specs.iter().map(|d| d.column.as_str()).collect()
    }

    /// Step one on any moments: what the bootstrap calls per resample.
    pub fn prepare(&self, m: Moments, pairwise: bool) -> Result<Prepared, ModelError> {
        prepare::prepare(m, pairwise, self.opts.non_pd, &self.names(), &self.outcome.column)
    }
}

impl DriverTable {
    /// Runs the methods in `opts` on the survey's responses (the rows `keep` selects, or
    /// all) for `outcome`.
    pub fn fit(
        survey: &Survey,
        responses: &Responses,
        outcome: &Outcome,
        keep: Option<&[bool]>,
        opts: &Options,
    ) -> Result<DriverTable, ModelError> {
        Self::fit_rows(survey, responses, outcome, keep, &responses.model_data(outcome, keep), opts)
    }

    /// As [`DriverTable::fit`], with the complete rows of `keep` already built (a caller
    /// that first checks there are enough of them).
    pub fn fit_rows(
        survey: &Survey,
        responses: &Responses,
        outcome: &Outcome,
        keep: Option<&[bool]>,
        data: &ModelData,
        opts: &Options,
    ) -> Result<DriverTable, ModelError> {
        let gappy = (opts.missing != Missing::Listwise).then(|| responses.model_columns(outcome, keep));
        Self::fit_data(outcome, &survey.drivers, data, gappy.as_ref(), opts)
    }

    /// The engine proper, on complete rows (and, for `--missing pairwise` or `em`, the
    /// columns with their gaps: drivers then the outcome, and weights), both oriented.
    pub fn fit_data(
        outcome: &Outcome,
        specs: &[DriverSpec],
        data: &ModelData,
        pairwise: Option<&GappyColumns>,
        opts: &Options,
    ) -> Result<DriverTable, ModelError> {
        let model = Model { outcome, specs, opts };
        let source = match pairwise {
            Some(columns) => Source::Gappy(columns, opts.missing),
            None => Source::Listwise(Rows::new(data)),
        };
        let prep = model.prepare(source.moments(None), source.is_pairwise())?;
        // Spearman and the logits need the complete rows themselves, which pairwise
        // deletion may leave too few of.
        let rows = (data.n_used >= specs.len() + 2).then_some(data);
        let est = estimate::estimate(&prep, outcome, rows, source.is_pairwise(), opts);
        let counts = Counts { n_used: data.n_used, n_dropped: data.n_dropped, weighted: data.w.is_some(), rows: true };
        let mut table = assemble(&model, &prep, &est, &counts);
        if opts.bootstrap > 0 {
            table.bootstrap(&model, &source, &est);
        }
        Ok(table)
    }

    /// The engine on moments alone (`keydriver moments`, or a warehouse's sums): every
    /// method that needs only them. Spearman correlations and the logits need the rows and
    /// are skipped with a note; standard errors are model-based. With the moments of
    /// Poisson bootstrap `replicates`, the intervals come from them.
    pub fn fit_moments(
        outcome: &Outcome,
        specs: &[DriverSpec],
        moments: Moments,
        replicates: Vec<Moments>,
        n_dropped: usize,
        weighted: bool,
        opts: &Options,
    ) -> Result<DriverTable, ModelError> {
        let opts = &Options { bootstrap: replicates.len(), ..opts.clone() };
        let model = Model { outcome, specs, opts };
        let counts = Counts { n_used: moments.n, n_dropped, weighted, rows: false };
        let prep = model.prepare(moments, false)?;
        let est = estimate::estimate(&prep, outcome, None, false, opts);
        let mut table = assemble(&model, &prep, &est, &counts);
        if !replicates.is_empty() {
            table.method_notes.push(format!(
                "intervals from the sums' {} Poisson bootstrap replicates (each respondent weighted by a Poisson(1) draw per replicate; Chamandy et al. 2012), not from resampled rows",
                replicates.len()
            ));
            table.bootstrap(&model, &Source::Replicates(replicates), &est);
        }
        Ok(table)
    }

    /// Bootstrap intervals for the ranking statistic (Shapley, or relative weights when
    /// ranked by them or run alone), or a note saying why there are none.
    fn bootstrap(&mut self, model: &Model, source: &Source, est: &Estimates) {
        let ranked_by = match (self.rank_by, &est.shapley, &est.relative_weights) {
            (RankBy::RelativeWeight, _, Some(_)) | (_, None, Some(_)) => RankBy::RelativeWeight,
            _ => RankBy::Shapley,
        };
        match bootstrap::run(model, source, est, ranked_by) {
            Ok(u) => self.attach(u),
            Err(why) => self.method_notes.push(why),
        }
    }

    /// Copies the bootstrap's per-driver results onto the rows and keeps the rest.
    fn attach(&mut self, mut u: Uncertainty) {
        for d in &mut self.drivers {
            let j = u.index(&d.name);
            let b = &u.drivers[j];
            (d.ci_low, d.ci_high) = split(b.shapley);
            (d.share_ci_low, d.share_ci_high) = split(b.share);
            (d.relative_weight_ci_low, d.relative_weight_ci_high) = split(b.relative_weight);
            d.p_rank1 = Some(b.p_rank1);
            d.p_top3 = Some(b.p_top3);
            d.rank_ci = Some(b.rank_ci);
            d.tie_group = Some(b.letters.clone());
        }
        self.method_notes.append(&mut u.notes);
        self.uncertainty = Some(u);
    }
}

fn split(ci: Option<[f64; 2]>) -> (Option<f64>, Option<f64>) {
    (ci.map(|c| c[0]), ci.map(|c| c[1]))
}

/// What a fit knows of its rows: how many were used and dropped, whether they were
/// weighted, and whether the rows themselves were at hand (or only their moments).
struct Counts {
    n_used: usize,
    n_dropped: usize,
    weighted: bool,
    rows: bool,
}

/// Step three: labels, notes and the ranking.
fn assemble(model: &Model, prep: &Prepared, est: &Estimates, data: &Counts) -> DriverTable {
    let opts = model.opts;
    let names = model.names();
    let p = names.len();
    let list = |idx: &[usize]| prepare::list(&names, idx);
    let m = &prep.moments;
    let mut notes = Vec::new();
    if model.outcome.kind == OutcomeKind::Ces {
        notes.push("effort is better when lower, so correlations, betas and coefficients are signed by less effort: positive means a higher rating goes with less effort".into());
    }
    if !prep.constant.is_empty() {
        notes.push(format!("constant in the rows used, so importance 0: {}", list(&prep.constant)));
    }
    if prep.repaired {
        notes.push("the pairwise correlation matrix was not positive definite and was replaced by the nearest correlation matrix (Higham 2002)".into());
    }
    if !prep.identified() {
        notes.push(format!(
            "perfectly collinear: {} duplicate(s) a combination of other drivers; betas, SEs, VIFs and logits are not identified and left out, and the relative-importance methods share importance among the collinear drivers",
            list(&prep.redundant)
        ));
    }

    let mut drivers: Vec<Driver> = model
        .specs
        .iter()
        .enumerate()
        .map(|(j, d)| Driver {
            name: d.column.clone(),
            label: d.label().to_string(),
            corr: est.pearson[j],
            mean_rating: m.mean[j],
            mean_rating_se: (m.cov[[j, j]].max(0.0) / m.n_eff.max(1.0)).sqrt(),
            direction: direction(est.pearson[j], est.ols.as_ref().map(|o| o.beta[j])),
            ..Default::default()
        })
        .collect();
    let mut rows_used = BTreeMap::from([("correlation_matrix", m.n)]);

    if let Some(s) = &est.spearman {
        for (d, v) in drivers.iter_mut().zip(s) {
            d.spearman = Some(*v);
        }
        rows_used.insert("spearman", data.n_used);
    } else if opts.wants(Method::Corr) && data.rows {
        notes.push(format!("Spearman correlations skipped: only {} complete rows", data.n_used));
    }
    if !data.rows {
        let mut skipped = Vec::new();
        if opts.wants(Method::Corr) {
            skipped.push("Spearman correlations");
        }
        if opts.wants(Method::Logit) && !model.outcome.classes().is_empty() {
            skipped.push("the logits");
        }
        if !skipped.is_empty() {
            notes.push(format!("computed from moments: {} need the rows and were skipped", skipped.join(" and ")));
        }
        if data.weighted && opts.weights_are == WeightsAre::Sampling && opts.wants(Method::Ols) {
            notes.push("computed from moments: the betas' standard errors are model-based, as lm(weights = w)".into());
        }
    }
    let mut standard_errors = None;
    if let Some(o) = &est.ols {
        for (j, d) in drivers.iter_mut().enumerate() {
            d.beta = Some(o.beta[j]);
            d.beta_se = Some(o.beta_se[j]);
            d.beta_p = Some(o.beta_p[j]);
            d.coef = Some(o.coef[j]);
            d.coef_se = Some(o.coef_se[j]);
            d.vif = Some(o.vif[j]);
        }
        standard_errors = Some(match (data.weighted, opts.weights_are) {
            (false, _) => StandardErrors::Ols,
            (true, WeightsAre::Sampling) if opts.missing == Missing::Listwise && data.rows => {
                StandardErrors::DesignBased
            }
            (true, WeightsAre::Sampling) if !data.rows => StandardErrors::WeightedLm,
            (true, WeightsAre::Sampling) => {
                notes.push(format!("design-based standard errors need complete rows: with {} the betas' SEs are model-based, as lm(weights = w)", if opts.missing == Missing::Em { "EM" } else { "pairwise deletion" }));
                StandardErrors::WeightedLm
            }
            (true, WeightsAre::Frequency) => StandardErrors::WeightedLm,
        });
    }
    if let Some(w) = &est.relative_weights {
        for (d, v) in drivers.iter_mut().zip(w) {
            d.relative_weight = Some(*v);
        }
    } else if opts.wants(Method::Relweights) {
        notes.push("relative weights not computed: the eigen-decomposition of the driver correlations failed".into());
    }

    let mut shapley_method = None;
    if let Some(s) = &est.shapley {
        shapley_method = Some(match s.permutations {
            0 => format!("exact, all {} subsets", 1u64 << p),
            k => format!(
                "sampled, {k} random orderings (seed {}{}); see shapley_se",
                opts.seed,
                opts.tolerance.map(|t| format!(", until every SE ≤ {t}")).unwrap_or_default()
            ),
        });
        let total: f64 = s.values.iter().sum();
        for (j, d) in drivers.iter_mut().enumerate() {
            d.shapley = Some(s.values[j]);
            d.shapley_share = Some(if total > 0.0 { s.values[j] / total } else { 0.0 });
            d.shapley_se = s.se.as_ref().map(|se| se[j]);
        }
    }
    if let Some(k) = &est.kruskal {
        for (d, v) in drivers.iter_mut().zip(k) {
            d.kruskal = Some(*v);
        }
    }
    let complete_dominance = est.dominance.as_ref().map(|dom| {
        for (j, d) in drivers.iter_mut().enumerate() {
            d.general_dominance = Some(dom.general[j]);
            d.conditional_dominance = Some(dom.conditional[j].clone());
        }
        dom.complete.iter().map(|&(a, b)| [names[a].to_string(), names[b].to_string()]).collect()
    });
    let subsets_wanted = opts.wants(Method::Dominance) || opts.wants(Method::Kruskal);
    if subsets_wanted && est.kruskal.is_none() && est.dominance.is_none() {
        notes.push(format!(
            "dominance analysis and Kruskal's measure need all 2^p subsets and were skipped ({p} drivers; exact up to {})",
            shapley::MAX_EXACT
        ));
    }

    let classes = model.outcome.classes();
    if opts.wants(Method::Logit) && !classes.is_empty() && est.logits.is_empty() && data.rows {
        let names: Vec<&str> = classes.iter().map(|c| c.name).collect();
        notes.push(format!("{} logits skipped: collinear drivers or too few complete rows", names.join("/")));
    }
    let mut pseudo_r2 = BTreeMap::new();
    for (class, fit) in &est.logits {
        match fit {
            Ok(f) => {
                for (d, or) in drivers.iter_mut().zip(&f.odds_ratio) {
                    d.odds_ratios.insert(format!("{class}_odds_ratio"), *or);
                }
                pseudo_r2.insert(format!("{class}_pseudo_r2"), f.pseudo_r2);
                rows_used.insert("logit", data.n_used);
            }
            Err(why) => notes.push(format!("{} logit not fitted: {why}", class.replace('_', " "))),
        }
    }

    let rank_by = rank(&mut drivers, opts.rank_by(), &mut notes);
    let order: Vec<usize> = drivers.iter().filter_map(|d| names.iter().position(|n| *n == d.name)).collect();
    let driver_correlations = order.iter().map(|&a| order.iter().map(|&b| prep.corr[[a, b]]).collect()).collect();
    let n = m.n as f64;
    DriverTable {
        target: model.outcome.column.clone(),
        outcome: model.outcome.kind,
        n_used: data.n_used,
        n_dropped: data.n_dropped,
        r2: est.r2,
        adj_r2: 1.0 - (1.0 - est.r2) * (n - 1.0) / (n - p as f64 - 1.0),
        missing: opts.missing,
        correlation_matrix: if prep.repaired { "repaired" } else { "as computed" },
        rows_used,
        rank_by,
        standard_errors,
        shapley_method,
        complete_dominance,
        pseudo_r2,
        uncertainty: None,
        method_notes: notes,
        drivers,
        driver_correlations,
    }
}

fn direction(corr: f64, beta: Option<f64>) -> &'static str {
    match (corr >= 0.0, beta.map(|b| b >= 0.0)) {
        (true, None | Some(true)) => "positive",
        (false, None | Some(false)) => "negative",
        _ => "mixed",
    }
}

/// Sorts by `key`, largest first, and numbers the ranks. A key these data could not give
/// (betas of collinear drivers, Spearman without complete rows) falls back to Shapley or
/// the correlation, with a note.
fn rank(drivers: &mut [Driver], key: RankBy, notes: &mut Vec<String>) -> RankBy {
    let usable = |k: RankBy| drivers.iter().all(|d| d.field(k).is_some());
    let key = if usable(key) {
        key
    } else {
        let fallback = if usable(RankBy::Shapley) { RankBy::Shapley } else { RankBy::Corr };
        notes.push(format!(
            "ranked by {} instead of {}: {} could not be computed on these data",
            fallback.name(),
            key.name(),
            key.name()
        ));
        fallback
    };
    let k = |d: &Driver| d.field(key).unwrap_or(f64::NEG_INFINITY);
    drivers.sort_by(|a, b| k(b).total_cmp(&k(a)));
    for (i, d) in drivers.iter_mut().enumerate() {
        d.rank = i + 1;
    }
    key
}
