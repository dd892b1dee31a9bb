//! How sure the ranking is: the Poisson bootstrap over respondents (Chamandy et al. 2012,
//! a nonparametric bootstrap in the sense of Efron & Tibshirani 1993). In resample k each
//! respondent counts m ~ Poisson(1) times, m drawn from a hash of its id and k
//! ([`crate::stats::replicates`]) rather than from n draws with replacement: the same
//! respondent gets the same weights whether its sums are made here, by `keydriver moments`
//! or in a warehouse's SQL, so every route gives the same intervals, and all resamples of
//! all groups are sums in one pass over the rows. Each resample reruns only `prepare` and
//! the interval methods (Shapley/LMG, relative weights) on its moments: never the logits,
//! Spearman or dominance. Intervals are percentile intervals (R's `quantile` type 7).
//!
//! Results are gathered in resample order, so the output is the same whatever the number
//! of threads.

pub mod letters;

use rayon::prelude::*;
use serde::Serialize;

use crate::engine::estimate::{estimate, Estimates};
use crate::engine::notes::{Note, ResampleFailure};
use crate::engine::{Method, Model, RankBy, Source};

/// Two-sided level of every interval.
pub const LEVEL: f64 = 0.95;

/// Random orderings per resample when Shapley values are sampled (above 24 drivers): the
/// resampling spread dwarfs their Monte-Carlo error, which only widens the intervals a
/// little, while 10,000 orderings a resample would take minutes.
pub const RESAMPLE_PERMUTATIONS: usize = 1000;

/// The bootstrap's findings. Serialised at the top level of the driver table; the
/// per-driver parts are copied onto the drivers' rows.
#[derive(Debug, Clone, Serialize)]
pub struct Uncertainty {
    pub bootstrap: BootstrapInfo,
    /// Every pair of drivers (better-ranked first): the CI of the difference in the
    /// ranking statistic, and whether it excludes 0.
    pub differences: Vec<Difference>,
    /// Compact letter display: drivers sharing a letter are not distinguishable at 95%.
    pub tie_groups: Vec<TieGroup>,
    /// Per driver, in column order.
    #[serde(skip)]
    pub drivers: Vec<DriverIntervals>,
    /// Per resample k (`None` if it failed): each driver's share of the ranking
    /// statistic's total. Two groups' resamples pair by k to give intervals of their
    /// difference.
    #[serde(skip)]
    pub shares: Vec<Option<Vec<f64>>>,
    /// The full-sample shares, in column order.
    #[serde(skip)]
    pub point_shares: Vec<f64>,
    #[serde(skip)]
    names: Vec<String>,
    #[serde(skip)]
    pub notes: Vec<Note>,
}

impl Uncertainty {
    /// Column index of a driver by name.
    /// (The drivers are the same in every group, so an index serves all of them.)
    pub fn index(&self, name: &str) -> usize {
        self.names.iter().position(|n| n == name).expect("the bootstrap ran on these drivers")
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct BootstrapInfo {
    pub resamples: usize,
    pub seed: u64,
    /// Resamples that could not be fitted (e.g. a constant target); left out.
    pub failed: usize,
    /// The statistic ranks, rank stability and tie groups are about.
    pub ranked_by: RankBy,
    pub level: f64,
    pub interval: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct Difference {
    pub a: String,
    pub b: String,
    /// a − b on the full sample.
    pub difference: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    /// The interval excludes 0: a really ranks above (or below) b.
    pub distinguishable: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct TieGroup {
    pub letter: String,
    pub drivers: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct DriverIntervals {
    pub shapley: Option<[f64; 2]>,
    pub share: Option<[f64; 2]>,
    pub relative_weight: Option<[f64; 2]>,
    pub p_rank1: f64,
    pub p_top3: f64,
    pub rank_ci: [usize; 2],
    pub letters: String,
}

/// What one resample keeps.
struct Sample {
    shapley: Option<Vec<f64>>,
    relative_weights: Option<Vec<f64>>,
}

/// Runs `model.opts.bootstrap` resamples of `source`. `full` is the fit on all rows (its
/// point estimates order the differences). `Err` is a note: why there are no intervals.
pub fn run(model: &Model, source: &Source, full: &Estimates, ranked_by: RankBy) -> Result<Uncertainty, Note> {
    let b = model.opts.bootstrap;
    let samples = resample(model, source, full)?;
    let failed: Vec<&ResampleFailure> = samples.iter().filter_map(|s| s.as_ref().err()).collect();
    let ok: Vec<&Sample> = samples.iter().filter_map(|s| s.as_ref().ok()).collect();
    let mut notes = Vec::new();
    if full.shapley.as_ref().is_some_and(|s| s.permutations > 0) {
        notes.push(Note::SampledResamples { orderings: RESAMPLE_PERMUTATIONS });
    }
    if let Some(first) = failed.first() {
        if ok.is_empty() {
            return Err(Note::NoResampleFitted { of: b, example: (*first).clone() });
        }
        notes.push(Note::ResamplesFailed { failed: failed.len(), of: b, example: (*first).clone() });
    }
    let statistic = |s: &Sample| -> Vec<f64> {
        match ranked_by {
            RankBy::RelativeWeight => s.relative_weights.clone(),
            _ => s.shapley.clone(),
        }
        .expect("the ranking statistic was resampled")
    };
    let point: Vec<f64> = match ranked_by {
        RankBy::RelativeWeight => full.relative_weights.clone(),
        _ => full.shapley.as_ref().map(|s| s.values.clone()),
    }
    .expect("the ranking statistic was estimated");
    let p = point.len();
    let stats: Vec<Vec<f64>> = ok.iter().map(|s| statistic(s)).collect();
    let ranks: Vec<Vec<usize>> = stats.iter().map(|s| ranks(s)).collect();
    let m = ok.len() as f64;

    let interval = |f: &dyn Fn(&Sample) -> Option<f64>| -> Option<[f64; 2]> {
        let mut v: Vec<f64> = ok.iter().map(|s| f(s)).collect::<Option<_>>()?;
        Some(percentile_interval(&mut v))
    };
    let order = descending(&point);
    let position: Vec<usize> = {
        let mut pos = vec![0; p];
        for (i, &j) in order.iter().enumerate() {
            pos[j] = i;
        }
        pos
    };
    let mut differences = Vec::new();
    let mut distinct = vec![vec![false; p]; p];
    for (i, &a) in order.iter().enumerate() {
        for &b in &order[i + 1..] {
            let mut d: Vec<f64> = stats.iter().map(|s| s[a] - s[b]).collect();
            let [lo, hi] = percentile_interval(&mut d);
            let yes = lo > 0.0 || hi < 0.0;
            distinct[a][b] = yes;
            distinct[b][a] = yes;
            differences.push(Difference {
                a: model.specs[a].column.clone(),
                b: model.specs[b].column.clone(),
                difference: point[a] - point[b],
                ci_low: lo,
                ci_high: hi,
                distinguishable: yes,
            });
        }
    }
    let groups = letters::groups(p, |x, y| distinct[order[x]][order[y]]);
    let by_position = letters::per_item(p, &groups);

    let drivers: Vec<DriverIntervals> = (0..p)
        .map(|j| {
            let mut r: Vec<usize> = ranks.iter().map(|r| r[j]).collect();
            r.sort_unstable();
            DriverIntervals {
                shapley: interval(&|s| Some(s.shapley.as_ref()?[j])),
                share: interval(&|s| Some(shares_of(s.shapley.as_ref()?)[j])),
                relative_weight: interval(&|s| Some(s.relative_weights.as_ref()?[j])),
                p_rank1: ranks.iter().filter(|r| r[j] == 1).count() as f64 / m,
                p_top3: ranks.iter().filter(|r| r[j] <= 3).count() as f64 / m,
                rank_ci: [order_statistic(&r, (1.0 - LEVEL) / 2.0), order_statistic(&r, (1.0 + LEVEL) / 2.0)],
                letters: by_position[position[j]].clone(),
            }
        })
        .collect();
    let tie_groups = groups
        .iter()
        .enumerate()
        .map(|(i, g)| TieGroup {
            letter: letters::name(i),
            drivers: g.iter().map(|&x| model.specs[order[x]].column.clone()).collect(),
        })
        .collect();
    Ok(Uncertainty {
        shares: samples.iter().map(|s| Some(shares_of(&statistic(s.as_ref().ok()?)))).collect(),
        point_shares: shares_of(&point),
        bootstrap: BootstrapInfo {
            resamples: b,
            seed: model.opts.seed,
            failed: failed.len(),
            ranked_by,
            level: LEVEL,
            interval: "percentile",
        },
        differences,
        tie_groups,
        drivers,
        names: model.specs.iter().map(|d| d.column.clone()).collect(),
        notes,
    })
}

/// Refits the interval methods on each resample, in resample order; `Err` for one that
/// cannot be fitted, with the reason.
fn resample(model: &Model, source: &Source, full: &Estimates) -> Result<Vec<Result<Sample, ResampleFailure>>, Note> {
    let opts = model.opts;
    let mut inner = opts.clone();
    inner.methods = [(Method::Shapley, full.shapley.is_some()), (Method::Relweights, full.relative_weights.is_some())]
        .into_iter()
        .filter_map(|(m, run)| run.then_some(m))
        .collect();
    if inner.methods.is_empty() {
        return Err(Note::NothingToResample);
    }
    inner.permutations = inner.permutations.min(RESAMPLE_PERMUTATIONS);
    let pairwise = source.is_pairwise();
    let made = source.replicates(opts.bootstrap, opts.seed).map(Source::Replicates);
    let source = made.as_ref().unwrap_or(source);
    // Several fits (waves, segments) may share one bar: each adds its resamples to it.
    opts.progress.tell(crate::engine::Tick::More(opts.bootstrap as u64));
    Ok((0..opts.bootstrap)
        .into_par_iter()
        .map(|k| {
            let result = model
                .prepare(source.resample(k, opts.seed), pairwise)
                .map_err(|error| ResampleFailure::Model { error })
                .and_then(|prep| {
                    let mut o = inner.clone();
                    o.seed = opts.seed ^ (k as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
                    let e = estimate(&prep, model.outcome, None, pairwise, &o);
                    let sample = Sample { shapley: e.shapley.map(|s| s.values), relative_weights: e.relative_weights };
                    let complete = sample.shapley.is_some() == full.shapley.is_some()
                        && sample.relative_weights.is_some() == full.relative_weights.is_some();
                    complete.then_some(sample).ok_or(ResampleFailure::Numerical)
                });
            opts.progress.tell(crate::engine::Tick::Done);
            result
        })
        .collect())
}

/// Values as shares of their total (all 0 when the total is not positive).
fn shares_of(v: &[f64]) -> Vec<f64> {
    let total: f64 = v.iter().sum();
    v.iter().map(|x| if total > 0.0 { x / total } else { 0.0 }).collect()
}

/// Percentile interval of the difference between two groups' shares of driver j, pairing
/// their independent resamples by index; `None` when fewer than two pairs exist.
pub fn share_difference(a: &Uncertainty, b: &Uncertainty, j: usize) -> Option<[f64; 2]> {
    let mut d: Vec<f64> =
        a.shares.iter().zip(&b.shares).filter_map(|(x, y)| Some(x.as_ref()?[j] - y.as_ref()?[j])).collect();
    (d.len() >= 2).then(|| percentile_interval(&mut d))
}

/// Indices by value, largest first; ties keep column order.
fn descending(v: &[f64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..v.len()).collect();
    order.sort_by(|&a, &b| v[b].total_cmp(&v[a]));
    order
}

/// Rank of each entry (1 = largest).
fn ranks(v: &[f64]) -> Vec<usize> {
    let mut r = vec![0; v.len()];
    for (i, j) in descending(v).into_iter().enumerate() {
        r[j] = i + 1;
    }
    r
}

/// [2.5%, 97.5%] percentiles (sorts `v`).
pub fn percentile_interval(v: &mut [f64]) -> [f64; 2] {
    v.sort_by(f64::total_cmp);
    [quantile(v, (1.0 - LEVEL) / 2.0), quantile(v, (1.0 + LEVEL) / 2.0)]
}

/// R's default quantile (type 7) of sorted values: linear between order statistics.
fn quantile(sorted: &[f64], q: f64) -> f64 {
    let h = (sorted.len() - 1) as f64 * q;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

/// The smallest value with at least a share q of values at or below it (type 1): a rank
/// interval made of ranks that occurred.
fn order_statistic(sorted: &[usize], q: f64) -> usize {
    let k = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[k - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantile_matches_r_type_7() {
        // R: quantile(c(1, 2, 4, 8, 16), c(.025, .5, .975)) = 1.1, 4, 15.2
        let v = [1.0, 2.0, 4.0, 8.0, 16.0];
        assert!((quantile(&v, 0.025) - 1.1).abs() < 1e-12);
        assert_eq!(quantile(&v, 0.5), 4.0);
        assert!((quantile(&v, 0.975) - 15.2).abs() < 1e-12);
    }

    #[test]
    fn order_statistic_of_ranks() {
        // 40 ranks: one 1, 38 2s, one 3 → 2.5% is the 1st value (1), 97.5% the 39th (2).
        let mut r = vec![2; 38];
        r.insert(0, 1);
        r.push(3);
        assert_eq!(order_statistic(&r, 0.025), 1);
        assert_eq!(order_statistic(&r, 0.975), 2);
    }

    #[test]
    fn ranks_largest_first_ties_in_column_order() {
        assert_eq!(ranks(&[0.1, 0.3, 0.1, 0.2]), vec![3, 1, 4, 2]);
    }
}
