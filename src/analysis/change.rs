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
//! waves resample independently) and redoing the decomposition: means and the pooled fit
//! from one weighted cross-product each.

use ndarray::{concatenate, s, Axis};
use rayon::prelude::*;
use serde::Serialize;

use crate::engine::bootstrap;
use crate::engine::{Missing, Options};
use crate::load::{ModelData, Responses};
use crate::schema::outcome::Outcome;
use crate::schema::settings::Survey;
use crate::stats::moments::{self, Rows};
use crate::stats::replicates::counts;

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

/// The rows of two waves with the answer coded, ready to be reweighted.
struct Waves<'a> {
    from: Rows<'a>,
    to: Rows<'a>,
    pooled: Rows<'a>,
    p: usize,
}

impl Waves<'_> {
    fn parts(&self, counts: Option<(&[u32], &[u32])>) -> Option<Parts> {
        let p = self.p;
        let (a, b) = match counts {
            Some((ca, cb)) => (self.from.moments(Some(ca)), self.to.moments(Some(cb))),
            None => (self.from.moments(None), self.to.moments(None)),
        };
        let coef = self.coef(counts)?;
        let points: Vec<f64> = (0..p).map(|j| coef[j] * (b.mean[j] - a.mean[j])).collect();
        let change = b.mean[p] - a.mean[p];
        Some(Parts {
            unexplained: change - points.iter().sum::<f64>(),
            points,
            change,
            score_from: a.mean[p],
            mean_from: a.mean.slice(s![..p]).to_vec(),
            mean_to: b.mean.slice(s![..p]).to_vec(),
            coef,
        })
    }

    /// The pooled two-wave coefficients: headline points per rating point.
    fn coef(&self, counts: Option<(&[u32], &[u32])>) -> Option<Vec<f64>> {
        let both: Option<Vec<u32>> = counts.map(|(ca, cb)| ca.iter().chain(cb).copied().collect());
        self.pooled.moments(both.as_deref()).slopes().map(|b| b.to_vec())
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
        x: concatenate![Axis(0), a.x, b.x],
        y: concatenate![Axis(0), a.y, b.y],
        w: a.w.as_ref().zip(b.w.as_ref()).map(|(wa, wb)| concatenate![Axis(0), *wa, *wb]),
        n_used: a.n_used + b.n_used,
        n_dropped: 0,
        keys: [a.keys.as_slice(), &b.keys].concat(),
    };
    let waves = Waves { from: Rows::new(&a), to: Rows::new(&b), pooled: Rows::new(&pooled), p };
    let full = waves.parts(None).ok_or(ChangeFailure::Collinear)?;

    let resamples = opts.bootstrap;
    let seed = opts.seed;
    let samples: Vec<Parts> = (0..resamples)
        .into_par_iter()
        .filter_map(|k| {
            let (ca, cb) = (counts(&a.keys, seed, k), counts(&b.keys, seed, k));
            waves.parts(Some((&ca, &cb)))
        })
        .collect();
    let complete = explained(survey, (from, to), &full, &samples, (a.n_used, b.n_used));

    // The headline's own change: every respondent of each wave, each driver's mean from
    // everyone who rated it (EM means with `--missing em`), the pooled coefficients of the
    // complete responses. Resamples draw each wave's respondents, complete or not.
    let everyone = |keep: &[bool]| Everyone::of(responses, outcome, keep, opts.missing == Missing::Em);
    let (ea, eb) = (everyone(&keep_a), everyone(&keep_b));
    let headline_parts = |counts: Option<(&[u32], &[u32])>| -> Option<Parts> {
        let complete = counts.map(|(ca, cb)| (ea.complete_counts(ca), eb.complete_counts(cb)));
        let coef = waves.coef(complete.as_ref().map(|(ca, cb)| (ca.as_slice(), cb.as_slice())))?;
        let (ma, mb) = (ea.means(counts.map(|c| c.0)), eb.means(counts.map(|c| c.1)));
        let points: Vec<f64> = (0..p).map(|j| coef[j] * (mb[j] - ma[j])).collect();
        let change = mb[p] - ma[p];
        Some(Parts {
            unexplained: change - points.iter().sum::<f64>(),
            points,
            change,
            score_from: ma[p],
            mean_from: ma[..p].to_vec(),
            mean_to: mb[..p].to_vec(),
            coef,
        })
    };
    let whole = headline_parts(None).ok_or(ChangeFailure::Collinear)?;
    let samples: Vec<Parts> = (0..resamples)
        .into_par_iter()
        .filter_map(|k| {
            let (ca, cb) = (counts(&ea.keys, seed, k), counts(&eb.keys, seed, k));
            headline_parts(Some((&ca, &cb)))
        })
        .collect();
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

/// One wave's every respondent: the drivers' columns and the coded answer, NaN for a gap,
/// the weights, and which rows are complete (in the order of the complete rows' matrix).
struct Everyone {
    columns: Vec<Vec<f64>>,
    keys: Vec<u32>,
    w: Option<Vec<f64>>,
    complete: Vec<bool>,
    em: bool,
}

impl Everyone {
    fn of(responses: &Responses, outcome: &Outcome, keep: &[bool], em: bool) -> Everyone {
        let (columns, w) = responses.coded_columns(outcome, keep, |y| outcome.code(y));
        let n = columns.first().map_or(0, Vec::len);
        let complete = (0..n).map(|i| columns.iter().all(|c| !c[i].is_nan())).collect();
        Everyone { columns, keys: responses.keys(Some(keep)), w, complete, em }
    }

    fn n(&self) -> usize {
        self.complete.len()
    }

    /// Respondents with an answer: those behind the headline.
    fn answered(&self) -> usize {
        self.columns.last().map_or(0, |c| c.iter().filter(|v| !v.is_nan()).count())
    }

    /// The complete rows' counts among a resample's.
    fn complete_counts(&self, counts: &[u32]) -> Vec<u32> {
        counts.iter().zip(&self.complete).filter(|(_, &c)| c).map(|(&k, _)| k).collect()
    }

    /// Each column's weighted mean over the rows that have it, row i counted `counts[i]`
    /// times: the drivers' mean ratings (by EM when asked) and, last, the headline.
    fn means(&self, counts: Option<&[u32]>) -> Vec<f64> {
        let weight = |i: usize| counts.map_or(1.0, |c| c[i] as f64) * self.w.as_ref().map_or(1.0, |w| w[i]);
        let mut means: Vec<f64> = self
            .columns
            .iter()
            .map(|c| {
                let (sum, total) = c
                    .iter()
                    .enumerate()
                    .filter(|(_, v)| !v.is_nan())
                    .fold((0.0, 0.0), |(s, t), (i, &v)| (s + weight(i) * v, t + weight(i)));
                sum / total
            })
            .collect();
        if self.em {
            let w: Vec<f64> = (0..self.n()).map(weight).collect();
            let gappy: Vec<Vec<Option<f64>>> =
                self.columns.iter().map(|c| c.iter().map(|&v| (!v.is_nan()).then_some(v)).collect()).collect();
            let fitted = moments::em(&gappy, Some(&w));
            let p = means.len() - 1;
            means[..p].copy_from_slice(&fitted.mean.as_slice().expect("contiguous")[..p]);
        }
        means
    }
}
