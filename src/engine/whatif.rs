//! What a point is worth: g-computation (Robins 1986) of a scenario's effect on the
//! headline. A model of each respondent's answer given their ratings is fitted; every
//! respondent is predicted with the scenario applied and as they are, and the weighted
//! mean of the difference is the scenario's change of the headline, in its units (NPS
//! points, % points, effort points). Unlike a share of R², this respects the scale: a
//! respondent already at the top does not move, and a promoter cannot be promoted.
//!
//! Intervals come from the drivers' own Poisson bootstrap replicates (the same weights of
//! the same respondents, [`crate::stats::replicates`]). While rows × replicates are few
//! (up to [`EXACT`], a few seconds), each replicate refits the model from the full fit
//! and redoes every scenario. Beyond, the one-step (linearised) bootstrap of the
//! estimating equations (Hu & Kalbfleisch 2000): a replicate's fit is one Newton step
//! from the full fit, θ_b ≈ θ̂ + (Σw / Σ_b w) H⁻¹ Σ_b w s, with the full sample's
//! information H and each respondent's score s, so a scenario's change in replicate b is
//! its mean change under the replicate's weights plus G·(θ_b − θ̂), G the gradient of the
//! change in θ. Every term is a per-respondent sum, so all replicates of all scenarios
//! come from one pass over the rows; the step's error, relative to the interval's width,
//! shrinks as 1/√n (at most 6% of the replicates' spread at n = 4,000, tested; so about 1%
//! at 100,000).

use linfa_linalg::cholesky::InverseC;
use ndarray::{s, Array1, Array2, ArrayView1};
use rayon::prelude::*;

use super::bootstrap::percentile_interval;
use super::logit;
use super::notes::LogitFailure;
use super::ordinal::{self, Ordinal};
use crate::schema::outcome::{Band, Outcome, OutcomeKind};
use crate::schema::whatif::{Scenario, WhatIfModel};
use crate::stats::moments::{self, blocks, weighted_cross_with_intercept, BLOCK};
use crate::stats::replicates;
use crate::stats::Matrix;

/// The complete rows a what-if runs on.
pub struct Rows<'a> {
    /// Ratings, rows × drivers.
    pub x: &'a Matrix,
    /// The outcome's answers as given (not oriented).
    pub answers: &'a [f64],
    /// Survey weights (ones when unweighted).
    pub w: &'a [f64],
    /// Each driver's lowest and highest possible rating: a shift stops there.
    pub bounds: &'a [(f64, f64)],
    /// Each row's respondent key: what its bootstrap weights are drawn from.
    pub keys: &'a [u32],
}

/// A fitted model: linear predictors and how they make a respondent's expected coded
/// answer (the headline is its mean). Its parameters θ, in the order the bootstrap's
/// step uses: each predictor's intercept then slopes (the ordinal model: cuts, slopes).
#[derive(Debug, Clone)]
enum Fit {
    /// One logit per class, each `(band, code, intercept and slopes)`: the value is
    /// Σ code · P(class).
    Logits(Vec<(Band, f64, Array1<f64>)>),
    /// The answers that occur, their codes, and the model over them.
    Ordinal { levels: Vec<f64>, codes: Vec<f64>, model: Ordinal },
    /// Intercept and slopes of the coded answer.
    Linear(Array1<f64>),
}

/// Why a what-if could not be computed.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Failure {
    /// The model does not apply to this kind of outcome.
    NotForKind { model: WhatIfModel, kind: &'static str },
    /// A class or category model could not be fitted.
    Model { class: &'static str, why: LogitFailure },
    /// The linear model's drivers are collinear.
    Collinear,
}

/// The what-if's findings, scenario by scenario.
#[derive(Debug, Clone)]
pub struct Effects {
    /// The rows' observed headline and the model's mean prediction.
    pub observed: f64,
    pub predicted: f64,
    pub scenarios: Vec<Effect>,
    /// Resamples that could not be fitted.
    pub failed: usize,
    /// The resamples are one-step fits, not refits (beyond [`EXACT`]).
    pub one_step: bool,
}

#[derive(Debug, Clone)]
pub struct Effect {
    pub change: f64,
    pub ci: Option<[f64; 2]>,
    /// Weighted share of respondents whose ratings the scenario changes.
    pub moved_share: f64,
    /// Per driver shifted (in the scenario's order): the mean points moved per respondent.
    pub points_moved: Vec<f64>,
    /// Per resample (in order; `None` when it failed): the change, and the points moved.
    pub resamples: Vec<Option<Resampled>>,
}

/// One resample's change and points moved per shift.
pub type Resampled = (f64, Vec<f64>);

/// The model `kind` for `outcome` on `rows`, then every scenario, with `resamples`
/// bootstrap resamples drawn from `seed` (0: no interval).
pub fn simulate(
    model: WhatIfModel,
    outcome: &Outcome,
    rows: &Rows,
    scenarios: &[Scenario],
    resamples: usize,
    seed: u64,
) -> Result<Effects, Failure> {
    let full = fit(model, outcome, rows, rows.w, None)?;
    let point = effects(&full, rows, rows.w, scenarios);
    let one_step = rows.x.nrows() * resamples > EXACT;
    let draws = match resamples {
        0 => Vec::new(),
        b if one_step => self::one_step(&full, outcome, rows, scenarios, (seed, b))?,
        b => refitted(model, &full, outcome, rows, scenarios, (seed, b)),
    };
    let failed = draws.iter().filter(|d| d.is_none()).count();
    let scenarios = point
        .into_iter()
        .enumerate()
        .map(|(s, e)| {
            let resamples: Vec<Option<Resampled>> = draws.iter().map(|d| d.as_ref().map(|d| d[s].clone())).collect();
            let mut changes: Vec<f64> = resamples.iter().flatten().map(|r| r.0).collect();
            let ci = (changes.len() >= 2).then(|| percentile_interval(&mut changes));
            Effect { ci, resamples, ..e }
        })
        .collect();
    let total: f64 = rows.w.iter().sum();
    let observed = rows.answers.iter().zip(rows.w).map(|(&a, w)| outcome.code(a) * w).sum::<f64>() / total;
    let predicted = mean_value(&full, rows, rows.w);
    Ok(Effects { observed, predicted, scenarios, failed, one_step })
}

/// Rows × replicates up to which every replicate is refitted (about a second on two
/// cores): at 1,000 replicates, up to 4,000 rows, the size at which the one step's error
/// is tested.
pub const EXACT: usize = 4_000_000;

/// Every scenario's change and points moved in Poisson replicates 1…`b` (seeded by
/// `seed`), each a refit on the rows weighted by the replicate's draws.
fn refitted(
    model: WhatIfModel,
    full: &Fit,
    outcome: &Outcome,
    rows: &Rows,
    scenarios: &[Scenario],
    (seed, b): (u64, usize),
) -> Vec<Option<Vec<Resampled>>> {
    (0..b)
        .into_par_iter()
        .map(|k| {
            let counts = replicates::counts(rows.keys, seed, k);
            let w: Vec<f64> = rows.w.iter().zip(counts).map(|(w, c)| w * c as f64).collect();
            let refit = fit(model, outcome, rows, &w, Some(full)).ok()?;
            Some(effects(&refit, rows, &w, scenarios).into_iter().map(|e| (e.change, e.points_moved)).collect())
        })
        .collect()
}

/// One fit of `model` with weights `w`, from `start` when given (a replicate's refit
/// starts from the full fit).
fn fit(model: WhatIfModel, outcome: &Outcome, rows: &Rows, w: &[f64], start: Option<&Fit>) -> Result<Fit, Failure> {
    let not_for = || Failure::NotForKind { model, kind: outcome.kind.name() };
    match model {
        WhatIfModel::Logits => {
            let classes = outcome.classes();
            if !outcome.is_share() || classes.is_empty() {
                return Err(not_for());
            }
            let starts = match start {
                Some(Fit::Logits(s)) => s.iter().map(|(_, _, b)| Some(b.clone())).collect(),
                _ => vec![None; classes.len()],
            };
            classes
                .iter()
                .zip(starts)
                .map(|(c, start)| {
                    let y: Vec<f64> =
                        rows.answers.iter().map(|&a| f64::from(outcome.band(a) == Some(c.band))).collect();
                    let (low, high) = outcome.cuts().ok_or_else(not_for)?;
                    let code = outcome.code(if c.band == Band::High { high } else { low });
                    let positives: f64 = y.iter().zip(w).map(|(y, w)| y * w).sum();
                    let total: f64 = w.iter().sum();
                    if positives == 0.0 || positives == total {
                        let why = if positives == 0.0 { LogitFailure::NoneInClass } else { LogitFailure::AllInClass };
                        return Err(Failure::Model { class: c.name, why });
                    }
                    let b = match start {
                        Some(b) => logit::refit(rows.x, &y, Some(w), b),
                        None => logit::irls(rows.x, &y, Some(w)),
                    }
                    .map_err(|why| Failure::Model { class: c.name, why })?;
                    Ok((c.band, code, b))
                })
                .collect::<Result<_, _>>()
                .map(Fit::Logits)
        }
        WhatIfModel::Ordinal => {
            if outcome.kind == OutcomeKind::Numeric {
                return Err(not_for());
            }
            // The answers that occur (with weight), as `polr` models `factor()` of them: a
            // replicate that lacks one is fitted over the others.
            let mut levels: Vec<f64> = rows.answers.iter().zip(w).filter(|(_, &w)| w > 0.0).map(|(&a, _)| a).collect();
            levels.sort_by(f64::total_cmp);
            levels.dedup();
            let category: Vec<usize> = rows.answers.iter().map(|&a| category_of(&levels, a)).collect();
            let start = match start {
                Some(Fit::Ordinal { levels: known, model, .. }) if known.len() == levels.len() => Some(model),
                _ => None,
            };
            let model = ordinal::fit(rows.x, &category, levels.len(), w, start)
                .map_err(|why| Failure::Model { class: "ordinal", why })?;
            Ok(Fit::Ordinal { codes: levels.iter().map(|&l| outcome.code(l)).collect(), levels, model })
        }
        WhatIfModel::Linear => {
            let y: Array1<f64> = rows.answers.iter().map(|&a| outcome.code(a)).collect();
            let m = moments::Rows::from_parts(rows.x, &y, Some(ArrayView1::from(w))).moments(None);
            let slopes = m.slopes().ok_or(Failure::Collinear)?;
            let p = slopes.len();
            let intercept = m.mean[p] - slopes.dot(&m.mean.slice(s![..p]));
            Ok(Fit::Linear(std::iter::once(intercept).chain(slopes).collect()))
        }
    }
}

/// An answer's category among the answers that occur; a row of weight 0 may hold one that
/// does not occur, and counts for nothing wherever it lands.
fn category_of(levels: &[f64], answer: f64) -> usize {
    levels.partition_point(|l| *l < answer).min(levels.len() - 1)
}

fn logistic(t: f64) -> f64 {
    1.0 / (1.0 + (-t).exp())
}

impl Fit {
    /// Each linear predictor at a respondent's ratings.
    fn etas(&self, row: ArrayView1<f64>, out: &mut Vec<f64>) {
        out.clear();
        match self {
            Fit::Logits(classes) => out.extend(classes.iter().map(|(_, _, b)| b[0] + row.dot(&b.slice(s![1..])))),
            Fit::Ordinal { model, .. } => out.push(row.dot(&model.beta)),
            Fit::Linear(b) => out.push(b[0] + row.dot(&b.slice(s![1..]))),
        }
    }

    /// Each linear predictor's slope on driver j.
    fn slope(&self, j: usize, c: usize) -> f64 {
        match self {
            Fit::Logits(classes) => classes[c].2[j + 1],
            Fit::Ordinal { model, .. } => model.beta[j],
            Fit::Linear(b) => b[j + 1],
        }
    }

    /// The expected coded answer at linear predictors `etas`.
    fn value(&self, etas: &[f64], scratch: &mut [f64]) -> f64 {
        match self {
            Fit::Logits(classes) => classes.iter().zip(etas).map(|((_, code, _), e)| code * logistic(*e)).sum(),
            Fit::Ordinal { codes, model, .. } => {
                model.probabilities(etas[0], scratch);
                codes.iter().zip(scratch.iter()).map(|(c, p)| c * p).sum()
            }
            Fit::Linear(_) => etas[0],
        }
    }

    fn categories(&self) -> usize {
        match self {
            Fit::Ordinal { codes, .. } => codes.len(),
            _ => 0,
        }
    }

    /// How many parameters θ has.
    fn n_params(&self) -> usize {
        match self {
            Fit::Logits(classes) => classes.iter().map(|(_, _, b)| b.len()).sum(),
            Fit::Ordinal { model, .. } => model.cuts.len() + model.beta.len(),
            Fit::Linear(b) => b.len(),
        }
    }

    /// Adds `scale` · ∂value/∂θ at ratings `x` (predictors `etas`) to `out`. A logit's
    /// part is code · F′(η) · (1, x); least squares' is (1, x); the ordinal value
    /// Σ_k (code_k − code_{k+1}) F(ζ_k − η) + code_K gives (code_k − code_{k+1}) F′(ζ_k − η)
    /// for cut k and minus x times their sum for the slopes.
    fn add_value_gradient(&self, x: ArrayView1<f64>, etas: &[f64], scale: f64, out: &mut [f64]) {
        let add = |at: &mut [f64], by: f64| {
            at[0] += scale * by;
            for (o, x) in at[1..].iter_mut().zip(x) {
                *o += scale * by * x;
            }
        };
        match self {
            Fit::Logits(classes) => {
                let mut at = 0;
                for ((_, code, b), eta) in classes.iter().zip(etas) {
                    let f = logistic(*eta);
                    add(&mut out[at..at + b.len()], code * f * (1.0 - f));
                    at += b.len();
                }
            }
            Fit::Linear(_) => add(out, 1.0),
            Fit::Ordinal { codes, model, .. } => {
                let k = model.cuts.len();
                let mut slope = 0.0;
                for (j, z) in model.cuts.iter().enumerate() {
                    let f = logistic(z - etas[0]);
                    let part = (codes[j] - codes[j + 1]) * f * (1.0 - f);
                    out[j] += scale * part;
                    slope += part;
                }
                for (o, x) in out[k..].iter_mut().zip(x) {
                    *o -= scale * slope * x;
                }
            }
        }
    }

    /// One respondent's score, ∂ log-likelihood / ∂θ (least squares: the normal
    /// equations' term (y − ŷ)(1, x)), unweighted, written to `out`.
    fn score(&self, outcome: &Outcome, x: ArrayView1<f64>, etas: &[f64], answer: f64, out: &mut [f64]) {
        let put = |at: &mut [f64], by: f64| {
            at[0] = by;
            for (o, x) in at[1..].iter_mut().zip(x) {
                *o = by * x;
            }
        };
        match self {
            Fit::Logits(classes) => {
                let mut at = 0;
                for ((band, _, b), eta) in classes.iter().zip(etas) {
                    let y = f64::from(outcome.band(answer) == Some(*band));
                    put(&mut out[at..at + b.len()], y - logistic(*eta));
                    at += b.len();
                }
            }
            Fit::Linear(_) => put(out, outcome.code(answer) - etas[0]),
            Fit::Ordinal { levels, model, .. } => model.score(x, category_of(levels, answer), out),
        }
    }

    /// The information at the fit, Σ w · −∂² log-likelihood / ∂θ²: for a logit
    /// Σ w F′(η) (1, x)(1, x)ᵀ, block by block; for least squares Σ w (1, x)(1, x)ᵀ.
    fn information(&self, rows: &Rows, w: &[f64]) -> Array2<f64> {
        let q = self.n_params();
        if let Fit::Ordinal { levels, model, .. } = self {
            let category: Vec<usize> = rows.answers.iter().map(|&a| category_of(levels, a)).collect();
            return model.information(rows.x, &category, w);
        }
        let p = rows.x.ncols();
        let parts = blocks(
            rows.x.nrows(),
            || Array2::zeros((BLOCK, p)),
            |range, scaled| {
                let a = rows.x.block(range.clone());
                let a = a.view();
                let w = &w[range];
                // Each predictor's block: its rows' curvature, times the rows.
                let curvatures: Vec<Array1<f64>> = match self {
                    Fit::Logits(classes) => classes
                        .iter()
                        .map(|(_, _, b)| {
                            let f = (a.dot(&b.slice(s![1..])) + b[0]).mapv(logistic);
                            w.iter().zip(&f).map(|(w, f)| w * f * (1.0 - f)).collect()
                        })
                        .collect(),
                    _ => vec![Array1::from(w.to_vec())],
                };
                curvatures.iter().map(|c| weighted_cross_with_intercept(a, c.view(), scaled)).collect::<Vec<_>>()
            },
        );
        let mut h = Array2::zeros((q, q));
        for part in parts {
            for (c, block) in part.iter().enumerate() {
                let at = c * (p + 1);
                let mut slot = h.slice_mut(s![at..at + p + 1, at..at + p + 1]);
                slot += block;
            }
        }
        h
    }
}

/// One respondent as they are and under a scenario: working space reused row to row.
struct Respondent {
    /// Their ratings, predictors and expected coded answer as they are.
    row: Vec<f64>,
    etas: Vec<f64>,
    value: f64,
    /// Under the scenario last applied: ratings, predictors, each shift's points.
    x: Vec<f64>,
    shifted: Vec<f64>,
    d: Vec<f64>,
    scratch: Vec<f64>,
}

impl Respondent {
    fn new(fit: &Fit, p: usize) -> Respondent {
        let scratch = vec![0.0; fit.categories()];
        let (row, x) = (vec![0.0; p], vec![0.0; p]);
        Respondent { row, etas: Vec::new(), value: 0.0, x, shifted: Vec::new(), d: Vec::new(), scratch }
    }

    /// Row i as they answered.
    fn at(&mut self, fit: &Fit, rows: &Rows, i: usize) {
        rows.x.row_into(i, &mut self.row);
        fit.etas(ArrayView1::from(&self.row), &mut self.etas);
        self.value = fit.value(&self.etas, &mut self.scratch);
    }

    /// The row of [`Respondent::at`] under scenario `s`: the change of their expected
    /// answer, `None` when it moves none of their ratings (they are at the scale's end).
    fn shift(&mut self, fit: &Fit, rows: &Rows, s: &Scenario) -> Option<f64> {
        let row = &self.row;
        self.shifted.clone_from(&self.etas);
        self.x.copy_from_slice(row);
        self.d.clear();
        let mut moved = false;
        for shift in &s.shifts {
            let x = row[shift.index];
            let d = shift.change.apply(x, rows.bounds[shift.index]) - x;
            self.d.push(d);
            if d != 0.0 {
                moved = true;
                self.x[shift.index] += d;
                for (c, e) in self.shifted.iter_mut().enumerate() {
                    *e += fit.slope(shift.index, c) * d;
                }
            }
        }
        moved.then(|| fit.value(&self.shifted, &mut self.scratch) - self.value)
    }
}

/// The weighted mean prediction.
fn mean_value(fit: &Fit, rows: &Rows, w: &[f64]) -> f64 {
    let mut r = Respondent::new(fit, rows.x.ncols());
    let (mut sum, mut total) = (0.0, 0.0);
    for (i, w) in w.iter().enumerate() {
        r.at(fit, rows, i);
        sum += w * r.value;
        total += w;
    }
    sum / total
}

/// Every scenario's change under `fit`, weighted by `w`.
fn effects(fit: &Fit, rows: &Rows, w: &[f64], scenarios: &[Scenario]) -> Vec<Effect> {
    let total: f64 = w.iter().sum();
    let (n, p) = rows.x.dim();
    let per_block = blocks(
        n,
        || Respondent::new(fit, p),
        |range, r| {
            // Per scenario: Σ w Δvalue, Σ w over moved rows, Σ w Δx per shift.
            let mut sums: Vec<(f64, f64, Vec<f64>)> =
                scenarios.iter().map(|s| (0.0, 0.0, vec![0.0; s.shifts.len()])).collect();
            for i in range {
                if w[i] == 0.0 {
                    continue;
                }
                r.at(fit, rows, i);
                for (s, sum) in scenarios.iter().zip(&mut sums) {
                    if let Some(change) = r.shift(fit, rows, s) {
                        sum.0 += w[i] * change;
                        sum.1 += w[i];
                        sum.2.iter_mut().zip(&r.d).for_each(|(t, d)| *t += w[i] * d);
                    }
                }
            }
            sums
        },
    );
    scenarios
        .iter()
        .enumerate()
        .map(|(s, sc)| {
            let mut change = 0.0;
            let mut moved = 0.0;
            let mut points = vec![0.0; sc.shifts.len()];
            for b in &per_block {
                change += b[s].0;
                moved += b[s].1;
                for (p, d) in points.iter_mut().zip(&b[s].2) {
                    *p += d;
                }
            }
            Effect {
                change: change / total,
                ci: None,
                moved_share: moved / total,
                points_moved: points.iter().map(|p| p / total).collect(),
                resamples: Vec::new(),
            }
        })
        .collect()
}

/// Each scenario's gradient in θ of its change, Σ w (∇value(x′) − ∇value(x)) / Σ w.
fn gradients(fit: &Fit, rows: &Rows, scenarios: &[Scenario]) -> Vec<Vec<f64>> {
    let (n, p) = rows.x.dim();
    let q = fit.n_params();
    let w = rows.w;
    let parts = blocks(
        n,
        || Respondent::new(fit, p),
        |range, r| {
            let mut g = vec![vec![0.0; q]; scenarios.len()];
            for i in range {
                if w[i] == 0.0 {
                    continue;
                }
                r.at(fit, rows, i);
                for (s, g) in scenarios.iter().zip(&mut g) {
                    if r.shift(fit, rows, s).is_some() {
                        fit.add_value_gradient(ArrayView1::from(&r.x), &r.shifted, w[i], g);
                        fit.add_value_gradient(ArrayView1::from(&r.row), &r.etas, -w[i], g);
                    }
                }
            }
            g
        },
    );
    let total: f64 = w.iter().sum();
    let mut g = vec![vec![0.0; q]; scenarios.len()];
    for part in parts {
        for (g, part) in g.iter_mut().zip(part) {
            g.iter_mut().zip(part).for_each(|(g, v)| *g += v / total);
        }
    }
    g
}

/// [`refitted`]'s figures by the one-step bootstrap (the module's notes): one pass summing, per
/// replicate, each respondent's weight, weighted change, points and the step's term
/// w · aₛ·s with aₛ = H⁻¹Gₛ.
fn one_step(
    fit: &Fit,
    outcome: &Outcome,
    rows: &Rows,
    scenarios: &[Scenario],
    (seed, b): (u64, usize),
) -> Result<Vec<Option<Vec<Resampled>>>, Failure> {
    let (n, p) = rows.x.dim();
    let q = fit.n_params();
    let inverse = fit.information(rows, rows.w).invc().map_err(|_| Failure::Collinear)?;
    let steps: Vec<Array1<f64>> =
        gradients(fit, rows, scenarios).into_iter().map(|g| inverse.dot(&Array1::from(g))).collect();
    // Per scenario: its weighted change, each shift's weighted points, its step term.
    let offsets: Vec<usize> =
        scenarios.iter().scan(1, |at, s| Some(std::mem::replace(at, *at + s.shifts.len() + 2))).collect();
    let width = 1 + scenarios.iter().map(|s| s.shifts.len() + 2).sum::<usize>();
    let scratch = || (Respondent::new(fit, p), vec![0.0; q]);
    let terms = |i: usize, (r, score): &mut (Respondent, Vec<f64>), t: &mut [f64]| {
        t.fill(0.0);
        let w = rows.w[i];
        if w == 0.0 {
            return;
        }
        r.at(fit, rows, i);
        fit.score(outcome, ArrayView1::from(&r.row), &r.etas, rows.answers[i], score);
        t[0] = w;
        for ((s, step), &at) in scenarios.iter().zip(&steps).zip(&offsets) {
            let k = s.shifts.len();
            if let Some(change) = r.shift(fit, rows, s) {
                t[at] = w * change;
                t[at + 1..at + 1 + k].iter_mut().zip(&r.d).for_each(|(t, d)| *t = w * d);
            }
            t[at + 1 + k] = w * step.iter().zip(score.iter()).map(|(a, s)| a * s).sum::<f64>();
        }
    };
    let total: f64 = rows.w.iter().sum();
    let sums = replicates::totals(rows.keys, &vec![0; n], 1, (seed, b), width, scratch, terms).remove(0);
    Ok(sums
        .rows()
        .into_iter()
        .map(|t| {
            let weight = t[0];
            (weight > 0.0).then(|| {
                scenarios
                    .iter()
                    .zip(&offsets)
                    .map(|(s, &at)| {
                        let k = s.shifts.len();
                        let change = t[at] / weight + total / weight * t[at + 1 + k];
                        (change, (0..k).map(|j| t[at + 1 + j] / weight).collect())
                    })
                    .collect()
            })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::whatif::{Change, Shift};
    use ndarray::Array2;
    use rand::{Rng, SeedableRng};

    /// 0–10 answers rising with the first of two 1–10 ratings.
    fn survey(n: usize) -> (Array2<f64>, Vec<f64>, Vec<f64>) {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let x = Array2::from_shape_fn((n, 2), |_| rng.gen_range(1..=10) as f64);
        let y = (0..n).map(|i| (0.8 * x[[i, 0]] + rng.gen_range(-3.0..3.0_f64)).round().clamp(0.0, 10.0)).collect();
        let w = (0..n).map(|_| rng.gen_range(0.5..1.5)).collect();
        (x, y, w)
    }

    fn plus(index: usize, d: f64) -> Scenario {
        Scenario { name: "s".into(), shifts: vec![Shift { driver: "d".into(), index, change: Change::By(d) }] }
    }

    #[test]
    fn invariants_of_every_model() {
        let (x, y, w) = survey(3_000);
        let keys = crate::stats::replicates::row_keys(0..3_000);
        let bounds = [(1.0, 10.0), (1.0, 10.0)];
        let held = Matrix::from(x.clone());
        let rows = Rows { x: &held, answers: &y, w: &w, bounds: &bounds, keys: &keys };
        let nps = Outcome::nps("y");
        let scenarios = [plus(0, 0.0), plus(0, 1.0), plus(0, 100.0)];
        for model in [WhatIfModel::Logits, WhatIfModel::Ordinal, WhatIfModel::Linear] {
            let e = simulate(model, &nps, &rows, &scenarios, 0, 1).unwrap();
            // No shift, no change, nobody moved.
            assert_eq!((e.scenarios[0].change, e.scenarios[0].moved_share), (0.0, 0.0), "{model:?}");
            // A positive slope gives a positive change; those at 10 do not move.
            assert!(e.scenarios[1].change > 0.0, "{model:?}");
            let at_top: f64 =
                (0..3_000).filter(|&i| x[[i, 0]] == 10.0).map(|i| w[i]).sum::<f64>() / w.iter().sum::<f64>();
            assert!((e.scenarios[1].moved_share - (1.0 - at_top)).abs() < 1e-12);
            // +100 lands everyone at the top of the scale: the points moved are 10 − x.
            let gap: f64 = (0..3_000).map(|i| w[i] * (10.0 - x[[i, 0]])).sum::<f64>() / w.iter().sum::<f64>();
            assert!((e.scenarios[2].points_moved[0] - gap).abs() < 1e-9);
            if model != WhatIfModel::Ordinal {
                // With an intercept, the logits and least squares reproduce the observed mean.
                assert!((e.observed - e.predicted).abs() < 1e-6, "{model:?}: {} {}", e.observed, e.predicted);
            }
        }
    }

    /// Below [`EXACT`], resample k is the refit on the rows weighted by replicate k + 1's
    /// Poisson draws, and intervals are reproducible.
    #[test]
    fn resamples_are_refits_on_the_drivers_draws_and_reproducible() {
        let (x, y, w) = survey(800);
        let keys = replicates::row_keys(0..800);
        let bounds = [(1.0, 10.0), (1.0, 10.0)];
        let held = Matrix::from(x.clone());
        let rows = Rows { x: &held, answers: &y, w: &w, bounds: &bounds, keys: &keys };
        let nps = Outcome::nps("y");
        let a = simulate(WhatIfModel::Logits, &nps, &rows, &[plus(0, 1.0)], 50, 7).unwrap();
        let b = simulate(WhatIfModel::Logits, &nps, &rows, &[plus(0, 1.0)], 50, 7).unwrap();
        let [lo, hi] = a.scenarios[0].ci.unwrap();
        assert!(lo < a.scenarios[0].change && a.scenarios[0].change < hi);
        assert_eq!(a.scenarios[0].ci, b.scenarios[0].ci);
        let w3: Vec<f64> = w.iter().zip(replicates::counts(&keys, 7, 3)).map(|(w, c)| w * c as f64).collect();
        let own = simulate(WhatIfModel::Logits, &nps, &Rows { w: &w3, ..rows }, &[plus(0, 1.0)], 0, 7).unwrap();
        let third = a.scenarios[0].resamples[3].as_ref().unwrap().0;
        assert!((own.scenarios[0].change - third).abs() < 1e-9, "{} {third}", own.scenarios[0].change);
    }

    /// The one-step bootstrap's replicates are the refits' to a small part of their spread
    /// (5–6% at this size, the largest that [`EXACT`] refits at 1,000 replicates),
    /// for every model (which checks the scores, information and gradients behind the
    /// step: a wrong one is off by the whole spread), and its points moved are exact.
    #[test]
    fn one_step_replicates_are_near_the_refits() {
        let (x, y, w) = survey(4_000);
        let keys = replicates::row_keys(0..4_000);
        let bounds = [(1.0, 10.0), (1.0, 10.0)];
        let held = Matrix::from(x.clone());
        let rows = Rows { x: &held, answers: &y, w: &w, bounds: &bounds, keys: &keys };
        let nps = Outcome::nps("y");
        let scenarios = [plus(0, 1.0), plus(1, 2.0)];
        for model in [WhatIfModel::Logits, WhatIfModel::Ordinal, WhatIfModel::Linear] {
            let full = fit(model, &nps, &rows, &w, None).unwrap();
            let point = effects(&full, &rows, &w, &scenarios);
            let exact = refitted(model, &full, &nps, &rows, &scenarios, (7, 40));
            let step = one_step(&full, &nps, &rows, &scenarios, (7, 40)).unwrap();
            let (mut worst, mut spread) = (0.0_f64, 0.0_f64);
            for (e, s) in exact.iter().zip(&step) {
                for ((e, s), p) in e.as_ref().unwrap().iter().zip(s.as_ref().unwrap()).zip(&point) {
                    worst = worst.max((e.0 - s.0).abs());
                    spread = spread.max((e.0 - p.change).abs());
                    assert!((e.1[0] - s.1[0]).abs() < 1e-12, "{model:?}");
                }
            }
            assert!(worst < 0.1 * spread, "{model:?}: one step off by {worst}, spread {spread}");
        }
    }

    #[test]
    fn respondents_at_the_top_contribute_nothing() {
        let (x, y, w) = survey(2_000);
        let keys = crate::stats::replicates::row_keys(0..2_000);
        let bounds = [(1.0, 10.0), (1.0, 10.0)];
        let held = Matrix::from(x.clone());
        let rows = Rows { x: &held, answers: &y, w: &w, bounds: &bounds, keys: &keys };
        let nps = Outcome::nps("y");
        for model in [WhatIfModel::Logits, WhatIfModel::Ordinal, WhatIfModel::Linear] {
            let fitted = fit(model, &nps, &rows, &w, None).unwrap();
            let all = &effects(&fitted, &rows, &w, &[plus(0, 1.0)])[0];
            // The same fit with the respondents at 10 left out of the average.
            let below: Vec<f64> = (0..2_000).map(|i| if x[[i, 0]] == 10.0 { 0.0 } else { w[i] }).collect();
            let rest = &effects(&fitted, &rows, &below, &[plus(0, 1.0)])[0];
            let (total, kept) = (w.iter().sum::<f64>(), below.iter().sum::<f64>());
            assert!((all.change * total - rest.change * kept).abs() < 1e-9, "{model:?}");
            assert_eq!(rest.moved_share, 1.0);
        }
    }

    #[test]
    fn a_rating_that_raises_the_answer_gives_no_fall() {
        let nps = Outcome::nps("y");
        for seed in 0..12 {
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
            let x = Array2::from_shape_fn((400, 3), |_| rng.gen_range(1..=10) as f64);
            let slope: Vec<f64> = (0..3).map(|_| rng.gen_range(-0.6..0.6)).collect();
            let y: Vec<f64> = (0..400)
                .map(|i| {
                    (2.0 + (0..3).map(|j| slope[j] * x[[i, j]]).sum::<f64>() + rng.gen_range(-3.0..3.0_f64))
                        .round()
                        .clamp(0.0, 10.0)
                })
                .collect();
            let w = vec![1.0; 400];
            let keys = crate::stats::replicates::row_keys(0..400);
            let bounds = [(1.0, 10.0); 3];
            let held = Matrix::from(x.clone());
            let rows = Rows { x: &held, answers: &y, w: &w, bounds: &bounds, keys: &keys };
            for model in [WhatIfModel::Logits, WhatIfModel::Ordinal, WhatIfModel::Linear] {
                let Ok(fitted) = fit(model, &nps, &rows, &w, None) else { continue };
                for j in 0..3 {
                    let up = match &fitted {
                        Fit::Logits(c) => c[0].2[j + 1] >= 0.0 && c[1].2[j + 1] <= 0.0,
                        _ => fitted.slope(j, 0) >= 0.0,
                    };
                    let change = effects(&fitted, &rows, &w, &[plus(j, 1.0)])[0].change;
                    if up {
                        assert!(change >= 0.0, "seed {seed} {model:?} driver {j}: {change}");
                    }
                }
            }
        }
    }
}
