//! What a point is worth: g-computation (Robins 1986) of a scenario's effect on the
//! headline. A model of each respondent's answer given their ratings is fitted; every
//! respondent is predicted with the scenario applied and as they are, and the weighted
//! mean of the difference is the scenario's change of the headline, in its units (NPS
//! points, % points, effort points). Unlike a share of R², this respects the scale: a
//! respondent already at the top does not move, and a promoter cannot be promoted.
//!
//! Intervals come from the drivers' own bootstrap resamples (the same Poisson weights of
//! the same respondents, [`crate::stats::replicates::counts`]): each resample refits the
//! model from the full fit's coefficients and redoes every scenario.

use ndarray::{Array1, ArrayView1, ArrayView2};
use rayon::prelude::*;

use super::bootstrap::percentile_interval;
use super::logit;
use super::notes::LogitFailure;
use super::ordinal::{self, Ordinal};
use crate::schema::outcome::{Band, Outcome, OutcomeKind};
use crate::schema::whatif::{Scenario, WhatIfModel};
use crate::stats::moments::{self, blocks};
use crate::stats::replicates::counts;

/// The complete rows a what-if runs on.
pub struct Rows<'a> {
    /// Ratings, rows × drivers, in standard layout.
    pub x: ArrayView2<'a, f64>,
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
/// answer (the headline is its mean).
#[derive(Debug, Clone)]
enum Fit {
    /// One logit per class, each `(code, intercept and slopes)`: the value is
    /// Σ code · P(class).
    Logits(Vec<(f64, Array1<f64>)>),
    /// The answer's categories' codes, and the model over them.
    Ordinal(Vec<f64>, Ordinal),
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
    let draws: Vec<Option<Vec<Resampled>>> = (0..resamples)
        .into_par_iter()
        .map(|k| {
            let w: Vec<f64> = rows.w.iter().zip(counts(rows.keys, seed, k)).map(|(w, c)| w * c as f64).collect();
            let refit = fit(model, outcome, rows, &w, Some(&full)).ok()?;
            Some(effects(&refit, rows, &w, scenarios).into_iter().map(|e| (e.change, e.points_moved)).collect())
        })
        .collect();
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
    Ok(Effects { observed, predicted, scenarios, failed })
}

/// One fit of `model` with weights `w`, from `start` when given.
fn fit(model: WhatIfModel, outcome: &Outcome, rows: &Rows, w: &[f64], start: Option<&Fit>) -> Result<Fit, Failure> {
    let not_for = || Failure::NotForKind { model, kind: outcome.kind.name() };
    match model {
        WhatIfModel::Logits => {
            let classes = outcome.classes();
            if !outcome.is_share() || classes.is_empty() {
                return Err(not_for());
            }
            let starts = match start {
                Some(Fit::Logits(s)) => s.iter().map(|(_, b)| Some(b.clone())).collect(),
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
                        Some(b) => logit::refit(rows.x, &y, w, b),
                        None => logit::irls(rows.x, &y, w),
                    }
                    .map_err(|why| Failure::Model { class: c.name, why })?;
                    Ok((code, b))
                })
                .collect::<Result<_, _>>()
                .map(Fit::Logits)
        }
        WhatIfModel::Ordinal => {
            if outcome.kind == OutcomeKind::Numeric {
                return Err(not_for());
            }
            // The answers that occur (with weight): a resample that lacks one is fitted
            // over the others, as `polr` on that resample would.
            let mut levels: Vec<f64> = rows.answers.iter().zip(w).filter(|(_, &w)| w > 0.0).map(|(&a, _)| a).collect();
            levels.sort_by(f64::total_cmp);
            levels.dedup();
            // A row of weight 0 may hold an answer that does not occur: it counts for nothing.
            let category: Vec<usize> =
                rows.answers.iter().map(|a| levels.partition_point(|l| l < a).min(levels.len() - 1)).collect();
            let start = match start {
                Some(Fit::Ordinal(codes, o)) if codes.len() == levels.len() => Some(o),
                _ => None,
            };
            let model = ordinal::fit(rows.x, &category, levels.len(), w, start)
                .map_err(|why| Failure::Model { class: "ordinal", why })?;
            Ok(Fit::Ordinal(levels.iter().map(|&l| outcome.code(l)).collect(), model))
        }
        WhatIfModel::Linear => {
            let y: Array1<f64> = rows.answers.iter().map(|&a| outcome.code(a)).collect();
            let m = moments::Rows::from_parts(rows.x.view(), &y, Some(ArrayView1::from(w))).moments(None);
            let slopes = m.slopes().ok_or(Failure::Collinear)?;
            let p = slopes.len();
            let intercept = m.mean[p] - slopes.dot(&m.mean.slice(ndarray::s![..p]));
            Ok(Fit::Linear(std::iter::once(intercept).chain(slopes).collect()))
        }
    }
}

impl Fit {
    /// Each linear predictor at a respondent's ratings.
    fn etas(&self, row: ndarray::ArrayView1<f64>, out: &mut Vec<f64>) {
        out.clear();
        match self {
            Fit::Logits(classes) => out.extend(classes.iter().map(|(_, b)| b[0] + row.dot(&b.slice(ndarray::s![1..])))),
            Fit::Ordinal(_, o) => out.push(row.dot(&o.beta)),
            Fit::Linear(b) => out.push(b[0] + row.dot(&b.slice(ndarray::s![1..]))),
        }
    }

    /// Each linear predictor's slope on driver j.
    fn slope(&self, j: usize, c: usize) -> f64 {
        match self {
            Fit::Logits(classes) => classes[c].1[j + 1],
            Fit::Ordinal(_, o) => o.beta[j],
            Fit::Linear(b) => b[j + 1],
        }
    }

    /// The expected coded answer at linear predictors `etas`.
    fn value(&self, etas: &[f64], scratch: &mut [f64]) -> f64 {
        match self {
            Fit::Logits(classes) => classes.iter().zip(etas).map(|((code, _), e)| code / (1.0 + (-e).exp())).sum(),
            Fit::Ordinal(codes, o) => {
                o.probabilities(etas[0], scratch);
                codes.iter().zip(scratch.iter()).map(|(c, p)| c * p).sum()
            }
            Fit::Linear(_) => etas[0],
        }
    }

    fn categories(&self) -> usize {
        match self {
            Fit::Ordinal(codes, _) => codes.len(),
            _ => 0,
        }
    }
}

/// The weighted mean prediction.
fn mean_value(fit: &Fit, rows: &Rows, w: &[f64]) -> f64 {
    let mut etas = Vec::new();
    let mut scratch = vec![0.0; fit.categories()];
    let (mut sum, mut total) = (0.0, 0.0);
    for (i, row) in rows.x.rows().into_iter().enumerate() {
        fit.etas(row, &mut etas);
        sum += w[i] * fit.value(&etas, &mut scratch);
        total += w[i];
    }
    sum / total
}

/// Every scenario's change under `fit`, weighted by `w`.
fn effects(fit: &Fit, rows: &Rows, w: &[f64], scenarios: &[Scenario]) -> Vec<Effect> {
    let total: f64 = w.iter().sum();
    let (n, _) = rows.x.dim();
    let per_block = blocks(
        n,
        || (Vec::new(), Vec::new(), vec![0.0; fit.categories()]),
        |range, (etas, shifted, scratch)| {
            // Per scenario: Σ w Δvalue, Σ w over moved rows, Σ w Δx per shift.
            let mut sums: Vec<(f64, f64, Vec<f64>)> =
                scenarios.iter().map(|s| (0.0, 0.0, vec![0.0; s.shifts.len()])).collect();
            for i in range {
                if w[i] == 0.0 {
                    continue;
                }
                let row = rows.x.row(i);
                fit.etas(row, etas);
                let base = fit.value(etas, scratch);
                for (s, sum) in scenarios.iter().zip(&mut sums) {
                    shifted.clone_from(etas);
                    let mut moved = false;
                    for (t, shift) in s.shifts.iter().enumerate() {
                        let x = row[shift.index];
                        let d = shift.change.apply(x, rows.bounds[shift.index]) - x;
                        if d != 0.0 {
                            moved = true;
                            sum.2[t] += w[i] * d;
                            for (c, e) in shifted.iter_mut().enumerate() {
                                *e += fit.slope(shift.index, c) * d;
                            }
                        }
                    }
                    if moved {
                        sum.0 += w[i] * (fit.value(shifted, scratch) - base);
                        sum.1 += w[i];
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
        let rows = Rows { x: x.view(), answers: &y, w: &w, bounds: &bounds, keys: &keys };
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

    #[test]
    fn resamples_are_the_drivers_draws_and_reproducible() {
        let (x, y, w) = survey(800);
        let keys = crate::stats::replicates::row_keys(0..800);
        let bounds = [(1.0, 10.0), (1.0, 10.0)];
        let rows = Rows { x: x.view(), answers: &y, w: &w, bounds: &bounds, keys: &keys };
        let nps = Outcome::nps("y");
        let a = simulate(WhatIfModel::Logits, &nps, &rows, &[plus(0, 1.0)], 50, 7).unwrap();
        let b = simulate(WhatIfModel::Logits, &nps, &rows, &[plus(0, 1.0)], 50, 7).unwrap();
        let [lo, hi] = a.scenarios[0].ci.unwrap();
        assert!(lo < a.scenarios[0].change && a.scenarios[0].change < hi);
        assert_eq!(a.scenarios[0].ci, b.scenarios[0].ci);
        // Resample 3 is the fit on the rows weighted by replicate 4's Poisson draws.
        let w3: Vec<f64> = w.iter().zip(counts(&keys, 7, 3)).map(|(w, c)| w * c as f64).collect();
        let own = simulate(WhatIfModel::Logits, &nps, &Rows { w: &w3, ..rows }, &[plus(0, 1.0)], 0, 7).unwrap();
        let third = a.scenarios[0].resamples[3].as_ref().unwrap().0;
        assert!((own.scenarios[0].change - third).abs() < 1e-9, "{} {third}", own.scenarios[0].change);
    }

    #[test]
    fn respondents_at_the_top_contribute_nothing() {
        let (x, y, w) = survey(2_000);
        let keys = crate::stats::replicates::row_keys(0..2_000);
        let bounds = [(1.0, 10.0), (1.0, 10.0)];
        let rows = Rows { x: x.view(), answers: &y, w: &w, bounds: &bounds, keys: &keys };
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
            let rows = Rows { x: x.view(), answers: &y, w: &w, bounds: &bounds, keys: &keys };
            for model in [WhatIfModel::Logits, WhatIfModel::Ordinal, WhatIfModel::Linear] {
                let Ok(fitted) = fit(model, &nps, &rows, &w, None) else { continue };
                for j in 0..3 {
                    let up = match &fitted {
                        Fit::Logits(c) => c[0].1[j + 1] >= 0.0 && c[1].1[j + 1] <= 0.0,
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
