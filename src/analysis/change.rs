//! Why the headline moved between two waves: an Oaxaca–Blinder decomposition with a
//! pooled reference (Oaxaca 1973; Blinder 1973; Neumark 1988). With the answer coded so
//! that its mean is the headline ([`Outcome::code`]: −100 / 0 / +100 for NPS, 0 / 100
//! for % satisfied, the answer itself for a mean), and a least-squares line passing
//! through the means, with the pooled two-wave coefficients b:
//!
//!   Δheadline = Σ_j b_j · Δ(mean rating_j) + unexplained,
//!
//! each driver's part being what its change in mean rating is worth at the pooled
//! importance, and the rest what better ratings do not explain (changed importance, other
//! causes). The parts add up to the change by construction. Intervals come from the
//! drivers' Poisson bootstrap resamples (each respondent its own weights, so the two
//! waves resample independently) and redoing the decomposition: every replicate's means
//! and pooled fit from one pass summing both waves' replicates at once.

use ndarray::{concatenate, Axis};
use rayon::prelude::*;
use serde::Serialize;

use crate::engine::bootstrap;
use crate::engine::{Missing, Options};
use crate::load::{ModelData, Reader, Responses};
use crate::schema::outcome::Outcome;
use crate::schema::settings::Survey;
use crate::stats::moments::{self, Moments, Rows};
use crate::stats::replicates::{self, counts};

#[derive(Debug, Clone, Serialize)]
pub struct Explained {
    pub from: String,
    pub to: String,
    /// The headline among the complete responses of each wave, and its change (what is
    /// decomposed), in its units (NPS points, % points, effort points).
    pub score_from: f64,
    pub score_to: f64,
    pub change: f64,
    pub n_from: usize,
    pub n_to: usize,
    pub drivers: Vec<Contribution>,
    /// The part of the change the ratings' changes do not account for.
    pub unexplained: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unexplained_ci_low: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unexplained_ci_high: Option<f64>,
    /// Bootstrap resamples behind the intervals (0: none).
    pub resamples: usize,
}

impl Explained {
    /// The drivers' parts, largest first (by size, either sign): the order the table and
    /// the waterfall read in.
    pub fn by_size(&self) -> Vec<&Contribution> {
        let mut parts: Vec<&Contribution> = self.drivers.iter().collect();
        parts.sort_by(|a, b| b.points.abs().total_cmp(&a.points.abs()));
        parts
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Contribution {
    pub name: String,
    pub label: String,
    /// Headline points this driver's change in mean rating accounts for.
    pub points: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ci_low: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ci_high: Option<f64>,
    pub mean_from: f64,
    pub mean_to: f64,
    /// Pooled coefficient: headline points per rating point.
    pub coefficient: f64,
}

/// One decomposition: per-driver points, then the unexplained rest, and the parts behind them.
struct Parts {
    points: Vec<f64>,
    unexplained: f64,
    change: f64,
    score_from: f64,
    mean_from: Vec<f64>,
    mean_to: Vec<f64>,
    coef: Vec<f64>,
}

/// The decomposition of a change from means `ma` to `mb` (the drivers', then the coded
/// answer's) at the pooled coefficients `coef`.
fn decompose(ma: &[f64], mb: &[f64], coef: Vec<f64>) -> Parts {
    let p = coef.len();
    let points: Vec<f64> = (0..p).map(|j| coef[j] * (mb[j] - ma[j])).collect();
    let change = mb[p] - ma[p];
    Parts {
        unexplained: change - points.iter().sum::<f64>(),
        points,
        change,
        score_from: ma[p],
        mean_from: ma[..p].to_vec(),
        mean_to: mb[..p].to_vec(),
        coef,
    }
}

/// The oriented answers the engine sees, coded so that their mean is the headline.
fn coded(d: ModelData, outcome: &Outcome) -> ModelData {
    let sign = outcome.sign();
    let y = d.y.mapv(|y| outcome.code(sign * y));
    ModelData { y, ..d }
}

/// Why a change is not decomposed.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum ChangeFailure {
    /// Too few complete responses in a wave for the drivers.
    TooFew { from: usize, to: usize, drivers: usize },
    /// The pooled model's drivers are collinear or constant.
    Collinear,
    /// A moments file holds no rows to decompose.
    NeedsRows,
}

/// Decomposes the change in `outcome`'s headline from wave `from` to wave `to` of column `wave`.
pub fn explain(
    survey: &Survey,
    responses: &Responses,
    outcome: &Outcome,
    wave: &str,
    (from, to): (&str, &str),
    opts: &Options,
) -> Result<Changes, ChangeFailure> {
    let (keep_a, keep_b) = (responses.rows_with(wave, from), responses.rows_with(wave, to));
    let data = |keep: &[bool]| coded(responses.model_data(outcome, Some(keep)), outcome);
    let (a, b) = (data(&keep_a), data(&keep_b));
    let p = survey.drivers.len();
    if a.n_used < p + 2 || b.n_used < p + 2 {
        return Err(ChangeFailure::TooFew { from: a.n_used, to: b.n_used, drivers: p });
    }
    let pooled = ModelData {
        names: a.names.clone(),
        x: a.x.stack(&b.x),
        y: concatenate![Axis(0), a.y, b.y],
        w: a.w.as_ref().zip(b.w.as_ref()).map(|(wa, wb)| concatenate![Axis(0), *wa, *wb]),
        n_used: a.n_used + b.n_used,
        n_dropped: 0,
        keys: [a.keys.as_slice(), &b.keys].concat(),
    };
    // Each wave's complete rows are a cell of the pooled rows: one pass sums both waves'
    // replicates, and the pooled fit's are their sum.
    let rows = Rows::new(&pooled);
    let slopes = |m: &Moments| m.slopes().map(|b| b.to_vec());
    let coef = slopes(&rows.moments(None)).ok_or(ChangeFailure::Collinear)?;
    let mean = |d: &ModelData| Rows::new(d).moments(None).mean.to_vec();
    let full = decompose(&mean(&a), &mean(&b), coef);
    let (resamples, seed) = (opts.bootstrap, opts.seed);
    let cells: Vec<u32> = (0..pooled.n_used).map(|i| u32::from(i >= a.n_used)).collect();
    let (reps_a, reps_b, coefs) = match resamples {
        0 => (Vec::new(), Vec::new(), Vec::new()),
        _ => {
            let sums = rows.replicate_sums(&pooled.keys, &cells, 2, seed, resamples);
            let mut both = sums[0].clone();
            both += &sums[1];
            let coefs: Vec<Option<Vec<f64>>> = both.moments().iter().map(slopes).collect();
            (sums[0].moments(), sums[1].moments(), coefs)
        }
    };
    let samples: Vec<Parts> = (0..resamples)
        .filter_map(|k| {
            let (ma, mb) = (reps_a[k].mean.as_slice()?, reps_b[k].mean.as_slice()?);
            Some(decompose(ma, mb, coefs[k].clone()?))
        })
        .collect();
    let complete = explained(survey, (from, to), &full, &samples, (a.n_used, b.n_used));

    // The headline's own change: every respondent of each wave, each driver's mean from
    // everyone who rated it (EM means with `--missing em`), the pooled coefficients of the
    // complete responses. Resamples draw each wave's respondents, complete or not, with
    // the weights the complete rows have in the pooled fit (a respondent's are its own).
    let everyone = |keep: &[bool]| Everyone::of(responses, outcome, keep, opts.missing == Missing::Em);
    let (ea, eb) = (everyone(&keep_a), everyone(&keep_b));
    let whole = decompose(&ea.means(None), &eb.means(None), full.coef.clone());
    let (means_a, means_b) = (ea.replicate_means(seed, resamples), eb.replicate_means(seed, resamples));
    let samples: Vec<Parts> =
        (0..resamples).filter_map(|k| Some(decompose(&means_a[k], &means_b[k], coefs[k].clone()?))).collect();
    let headline = explained(survey, (from, to), &whole, &samples, (ea.answered(), eb.answered()));
    Ok(Changes { complete, headline })
}

/// A decomposition with its bootstrap intervals; `n`: the respondents behind each wave's figure.
fn explained(
    survey: &Survey,
    (from, to): (&str, &str),
    full: &Parts,
    samples: &[Parts],
    n: (usize, usize),
) -> Explained {
    let interval = |f: &dyn Fn(&Parts) -> f64| -> (Option<f64>, Option<f64>) {
        if samples.len() < 2 {
            return (None, None);
        }
        let [lo, hi] = bootstrap::percentile_interval(&mut samples.iter().map(f).collect::<Vec<_>>());
        (Some(lo), Some(hi))
    };
    let drivers = survey
        .drivers
        .iter()
        .enumerate()
        .map(|(j, d)| {
            let (ci_low, ci_high) = interval(&|s| s.points[j]);
            Contribution {
                name: d.column.clone(),
                label: d.label().to_string(),
                points: full.points[j],
                ci_low,
                ci_high,
                mean_from: full.mean_from[j],
                mean_to: full.mean_to[j],
                coefficient: full.coef[j],
            }
        })
        .collect();
    let (unexplained_ci_low, unexplained_ci_high) = interval(&|s| s.unexplained);
    Explained {
        from: from.to_string(),
        to: to.to_string(),
        score_from: full.score_from,
        score_to: full.score_from + full.change,
        change: full.change,
        n_from: n.0,
        n_to: n.1,
        drivers,
        unexplained: full.unexplained,
        unexplained_ci_low,
        unexplained_ci_high,
        resamples: samples.len(),
    }
}

/// The two decompositions of a change: of the complete responses' headline, and of the
/// headline itself (every respondent), whose parts and rest add up to the reported change.
pub struct Changes {
    pub complete: Explained,
    pub headline: Explained,
}

/// One wave's every respondent: the drivers' columns and the coded answer (NaN for a
/// gap) and the weights, each read by row number from where the rows are held.
struct Everyone<'a> {
    rows: Vec<u32>,
    columns: Vec<Reader<'a>>,
    weights: Option<Reader<'a>>,
    keys: Vec<u32>,
    em: bool,
}

impl<'a> Everyone<'a> {
    fn of(responses: &'a Responses, outcome: &'a Outcome, keep: &[bool], em: bool) -> Everyone<'a> {
        let (columns, weights) = responses.coded_readers(outcome, |y| outcome.code(y));
        let rows = keep.iter().zip(0..).filter_map(|(&k, i)| k.then_some(i)).collect();
        Everyone { rows, columns, weights, keys: responses.keys(Some(keep)), em }
    }

    fn n(&self) -> usize {
        self.rows.len()
    }

    /// Respondent i's value in column c.
    fn value(&self, c: usize, i: usize) -> f64 {
        (self.columns[c])(self.rows[i])
    }

    fn weight(&self, i: usize) -> f64 {
        self.weights.as_ref().map_or(1.0, |w| w(self.rows[i]))
    }

    /// Respondents with an answer: those behind the headline.
    fn answered(&self) -> usize {
        let last = self.columns.len() - 1;
        (0..self.n()).filter(|&i| !self.value(last, i).is_nan()).count()
    }

    /// [`Everyone::means`] in Poisson replicates 1…`b`: the plain means from one pass
    /// summing each column's weighted values and weights over the rows that have it; EM
    /// means refitted replicate by replicate.
    fn replicate_means(&self, seed: u64, b: usize) -> Vec<Vec<f64>> {
        if self.em {
            return (0..b).into_par_iter().map(|k| self.means(Some(&counts(&self.keys, seed, k)))).collect();
        }
        let k = self.columns.len();
        let terms = |i: usize, _: &mut (), t: &mut [f64]| {
            let w = self.weight(i);
            for (c, t) in t.chunks_exact_mut(2).enumerate() {
                let v = self.value(c, i);
                t.copy_from_slice(&if v.is_nan() { [0.0, 0.0] } else { [w * v, w] });
            }
        };
        let cells = vec![0; self.n()];
        let totals = replicates::totals(&self.keys, &cells, 1, (seed, b), 2 * k, || (), terms);
        totals[0].rows().into_iter().map(|t| (0..k).map(|j| t[2 * j] / t[2 * j + 1]).collect()).collect()
    }

    /// Each column's weighted mean over the rows that have it, row i counted `counts[i]`
    /// times: the drivers' mean ratings (by EM when asked) and, last, the headline.
    fn means(&self, counts: Option<&[u32]>) -> Vec<f64> {
        let weight = |i: usize| counts.map_or(1.0, |c| c[i] as f64) * self.weight(i);
        let mut means: Vec<f64> = (0..self.columns.len())
            .map(|c| {
                let (sum, total) = (0..self.n())
                    .map(|i| (i, self.value(c, i)))
                    .filter(|(_, v)| !v.is_nan())
                    .fold((0.0, 0.0), |(s, t), (i, v)| (s + weight(i) * v, t + weight(i)));
                sum / total
            })
            .collect();
        if self.em {
            let w: Vec<f64> = (0..self.n()).map(weight).collect();
            let gappy: Vec<Vec<Option<f64>>> = (0..self.columns.len())
                .map(|c| (0..self.n()).map(|i| Some(self.value(c, i)).filter(|v| !v.is_nan())).collect())
                .collect();
            let fitted = moments::em(&gappy, Some(&w));
            let p = means.len() - 1;
            means[..p].copy_from_slice(&fitted.mean.as_slice().expect("contiguous")[..p]);
        }
        means
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The one-pass replicate means are the means of each resample's counts, gaps and
    /// weights included (the per-resample definition they replace).
    #[test]
    fn replicate_means_are_each_resamples_means() {
        let n = 300;
        let column = |m: usize| -> Reader {
            Box::new(move |i| if (i as usize).is_multiple_of(m) { f64::NAN } else { ((i as usize * m) % 11) as f64 })
        };
        let everyone = Everyone {
            rows: (0..n as u32).collect(),
            columns: vec![column(7), column(5), column(13)],
            weights: Some(Box::new(|i| 0.5 + (i % 4) as f64)),
            keys: replicates::row_keys(0..n),
            em: false,
        };
        let one_pass = everyone.replicate_means(42, 30);
        for (k, means) in one_pass.iter().enumerate() {
            let each = everyone.means(Some(&counts(&everyone.keys, 42, k)));
            for (a, b) in means.iter().zip(&each) {
                assert!((a - b).abs() < 1e-12, "resample {k}: {a} vs {b}");
            }
        }
    }
}
