//! Shapley value regression, a.k.a. LMG (Lindeman, Merenda & Gold 1980; Grömping 2006):
//! each driver's gain in R² averaged over every order in which the drivers could enter
//! the model. The values sum to the full model's R² and share it fairly among correlated
//! drivers.
//!
//! Exact up to [`MAX_EXACT`] drivers from the all-subsets walk; beyond that (or on
//! request) estimated from random orderings, each driver with its Monte-Carlo SE.

use ndarray::Array2;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

pub use super::subsets::MAX_EXACT;
use super::subsets::{mean_over_orderings, path_r2, Gains};

pub struct Shapley {
    pub values: Vec<f64>,
    /// Monte-Carlo standard errors when sampled; `None` when exact.
    pub se: Option<Vec<f64>>,
    /// Orderings sampled (0 when exact).
    pub permutations: usize,
}

impl Shapley {
    pub fn exact(gains: &Gains) -> Shapley {
        Shapley { values: gains.r2.iter().map(|g| mean_over_orderings(g)).collect(), se: None, permutations: 0 }
    }

    /// Averages each driver's R² gain over up to `permutations` random orderings. With a
    /// `tolerance`, sampling stops at the first round (of 4,096 orderings) after which
    /// every driver's Monte-Carlo SE is at most that. Each block of orderings has its own
    /// seed derived from `seed` and blocks are summed in order, so the result does not
    /// depend on how rayon schedules them.
    pub fn sampled(corr: &Array2<f64>, permutations: usize, seed: u64, tolerance: Option<f64>) -> Shapley {
        const BLOCK: usize = 256;
        const ROUND: usize = 16;
        let p = corr.nrows() - 1;
        let blocks = permutations.div_ceil(BLOCK);
        let (mut sum, mut sum_sq) = (vec![0.0; p], vec![0.0; p]);
        let mut done = 0;
        for round in (0..blocks).step_by(ROUND) {
            let per_block: Vec<(Vec<f64>, Vec<f64>)> = (round..(round + ROUND).min(blocks))
                .into_par_iter()
                .map(|b| {
                    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ (b as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
                    let mut order: Vec<usize> = (0..p).collect();
                    let mut sum = vec![0.0; p];
                    let mut sum_sq = vec![0.0; p];
                    for _ in 0..BLOCK.min(permutations - b * BLOCK) {
                        order.shuffle(&mut rng);
                        let mut before = 0.0;
                        for (&j, r2) in order.iter().zip(path_r2(corr, &order)) {
                            let gain = r2 - before;
                            sum[j] += gain;
                            sum_sq[j] += gain * gain;
                            before = r2;
                        }
                    }
                    (sum, sum_sq)
                })
                .collect();
            // Added in block order, so the sums do not depend on the thread count.
            for (s, sq) in per_block {
                sum.iter_mut().zip(s).for_each(|(x, y)| *x += y);
                sum_sq.iter_mut().zip(sq).for_each(|(x, y)| *x += y);
            }
            done = permutations.min((round + ROUND) * BLOCK);
            let (_, se) = moments(&sum, &sum_sq, done);
            if tolerance.is_some_and(|t| se.iter().all(|&e| e <= t)) {
                break;
            }
        }
        let (values, se) = moments(&sum, &sum_sq, done);
        Shapley { values, se: Some(se), permutations: done }
    }
}

/// Means and their standard errors from sums and sums of squares over `m` orderings.
fn moments(sum: &[f64], sum_sq: &[f64], m: usize) -> (Vec<f64>, Vec<f64>) {
    let m = m as f64;
    let values: Vec<f64> = sum.iter().map(|s| s / m).collect();
    let se = sum_sq
        .iter()
        .zip(&values)
        .map(|(sq, mean)| ((sq / m - mean * mean).max(0.0) * m / (m - 1.0).max(1.0) / m).sqrt())
        .collect();
    (values, se)
}
