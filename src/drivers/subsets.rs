//! The one all-subsets R² engine that every subset method (Shapley/LMG, dominance,
//! Kruskal) shares.
//!
//! R² of a subset S comes from the correlation matrix alone: conditioning the remaining
//! variables on S (a Schur complement) leaves the target's residual variance 1 − R²(S).
//! Adding one driver to S is a rank-one update of that conditional matrix, O(p²), so a
//! depth-first walk that only ever adds drivers in increasing index order visits all 2^p
//! subsets at O(p²) each, without refitting or refactoring anything. The walk is split
//! into 2^L equal, independent branches (by which of the first L drivers are in S) that
//! rayon spreads over the cores.

use std::sync::atomic::{AtomicU64, Ordering};

use ndarray::Array2;
use rayon::prelude::*;

/// A driver whose variance left after conditioning is below this (in correlation units) is
/// a linear combination of drivers already in the subset: it adds nothing to R².
pub const COLLINEAR_TOL: f64 = 1e-10;

/// Above this many drivers, exact enumeration (2^p subsets) is not attempted.
pub const MAX_EXACT: usize = 24;

/// Conditions the `dim`×`dim` row-major matrix `c` on variable `a` in place (one Schur
/// step). Returns false, leaving `c` alone, when `a` has no variance left.
fn condition_in_place(c: &mut [f64], dim: usize, a: usize) -> bool {
    let pivot = c[a * dim + a];
    if pivot <= COLLINEAR_TOL {
        return false;
    }
    let col: Vec<f64> = (0..dim).map(|i| c[i * dim + a]).collect();
    for i in 0..dim {
        let f = col[i] / pivot;
        if f != 0.0 {
            for j in 0..dim {
                c[i * dim + j] -= f * col[j];
            }
        }
    }
    true
}

/// Drivers that are linear combinations of drivers before them (in column order): their
/// variance is gone once those are in the model.
pub fn redundant(corr: &Array2<f64>) -> Vec<usize> {
    let dim = corr.nrows();
    let mut c: Vec<f64> = corr.iter().copied().collect();
    (0..dim - 1).filter(|&a| !condition_in_place(&mut c, dim, a)).collect()
}

/// R² of the target (last variable of `corr`) on the drivers in `members`.
pub fn subset_r2(corr: &Array2<f64>, members: &[usize]) -> f64 {
    let dim = corr.nrows();
    let mut c: Vec<f64> = corr.iter().copied().collect();
    for &a in members {
        condition_in_place(&mut c, dim, a);
    }
    (1.0 - c[dim * dim - 1]).clamp(0.0, 1.0)
}

/// R² along an ordering: entry k is R² of the first k+1 drivers of `order`.
pub fn path_r2(corr: &Array2<f64>, order: &[usize]) -> Vec<f64> {
    let dim = corr.nrows();
    let mut c: Vec<f64> = corr.iter().copied().collect();
    order
        .iter()
        .map(|&a| {
            condition_in_place(&mut c, dim, a);
            (1.0 - c[dim * dim - 1]).clamp(0.0, 1.0)
        })
        .collect()
}

/// R² of every subset of the p drivers, indexed by bitmask (bit j set = driver j in).
pub struct SubsetTable {
    pub p: usize,
    pub r2: Vec<f64>,
}

impl SubsetTable {
    /// Enumerates all 2^p subsets of the drivers of `corr` ((p+1)×(p+1), target last).
    pub fn exact(corr: &Array2<f64>) -> SubsetTable {
        let dim = corr.nrows();
        let p = dim - 1;
        assert!(p <= MAX_EXACT, "exact subsets are limited to {MAX_EXACT} drivers");
        let out: Vec<AtomicU64> = (0..1usize << p).map(|_| AtomicU64::new(0)).collect();
        let split = p.min(6);
        let full: Vec<f64> = corr.iter().copied().collect();
        (0..1usize << split).into_par_iter().for_each(|head| {
            // Condition on the head's members among the first `split` drivers …
            let mut c = full.clone();
            for a in (0..split).filter(|a| head >> a & 1 == 1) {
                condition_in_place(&mut c, dim, a);
            }
            // … then keep only the drivers still to decide, and the target.
            let vars: Vec<usize> = (split..dim).collect();
            let q = vars.len();
            let mut start = vec![0.0; q * q];
            for (i, &vi) in vars.iter().enumerate() {
                for (j, &vj) in vars.iter().enumerate() {
                    start[i * q + j] = c[vi * dim + vj];
                }
            }
            let mut stack: Vec<Vec<f64>> = (0..=q).map(|_| vec![0.0; q * q]).collect();
            stack[0].copy_from_slice(&start);
            store(&out, head, start[q * q - 1]);
            walk(head, &vars, &mut stack, &out);
        });
        SubsetTable { p, r2: out.into_iter().map(|a| f64::from_bits(a.into_inner())).collect() }
    }

    pub fn full(&self) -> f64 {
        self.r2[(1 << self.p) - 1]
    }

    /// Each driver's gain in R² averaged over the subsets of the other drivers of each
    /// size: the one pass that Shapley/LMG and dominance read from. The gain sums need no
    /// pairing of S with S∪j: with `inside[s][j]` = Σ R²(S) over |S| = s, j ∈ S, and
    /// `total[s]` = Σ R²(S) over |S| = s, the gains of j over size-s subsets sum to
    /// `inside[s+1][j] − (total[s] − inside[s][j])`.
    ///
    /// Those sums take about two additions per subset, not p/2: the table is read in runs
    /// of 2^L subsets that share their high bits. A run's values summed by the size of
    /// their low part serve every high driver of the run at once; each value is also added
    /// into a small table keyed by (size of the high part, low part), which is spread over
    /// the low drivers once at the end. Runs go in fixed blocks summed in order, so the
    /// result is the same on any number of threads.
    pub fn gains(&self) -> Gains {
        let p = self.p;
        let low = p.min(8);
        let run = 1usize << low;
        let runs = 1usize << (p - low);
        let pc: Vec<usize> = (0..run).map(|lo| lo.count_ones() as usize).collect();
        const RUNS_PER_BLOCK: usize = 64;
        let blocks: Vec<(Vec<f64>, Vec<f64>)> = (0..runs.div_ceil(RUNS_PER_BLOCK))
            .into_par_iter()
            .map(|b| {
                let mut inside = vec![0.0; (p + 1) * p];
                let mut total = vec![0.0; p + 1];
                // by_high[ph * run + lo]: Σ R² of subsets with low part lo and ph high drivers.
                let mut by_high = vec![0.0; (p - low + 1) * run];
                for h in b * RUNS_PER_BLOCK..((b + 1) * RUNS_PER_BLOCK).min(runs) {
                    let ph = h.count_ones() as usize;
                    let mut by_size = [0.0; 9];
                    let cells = &mut by_high[ph * run..(ph + 1) * run];
                    for (lo, (&r, cell)) in self.r2[h * run..(h + 1) * run].iter().zip(cells).enumerate() {
                        by_size[pc[lo]] += r;
                        *cell += r;
                    }
                    for (sl, &v) in by_size.iter().enumerate().take(low + 1) {
                        total[ph + sl] += v;
                        for j in (0..p - low).filter(|j| h >> j & 1 == 1) {
                            inside[(ph + sl) * p + low + j] += v;
                        }
                    }
                }
                for ph in 0..=p - low {
                    for lo in 0..run {
                        let v = by_high[ph * run + lo];
                        for j in (0..low).filter(|j| lo >> j & 1 == 1) {
                            inside[(ph + pc[lo]) * p + j] += v;
                        }
                    }
                }
                (inside, total)
            })
            .collect();
        let mut inside = vec![0.0; (p + 1) * p];
        let mut total = vec![0.0; p + 1];
        for (i, t) in blocks {
            inside.iter_mut().zip(i).for_each(|(a, b)| *a += b);
            total.iter_mut().zip(t).for_each(|(a, b)| *a += b);
        }
        let r2 = (0..p)
            .map(|j| {
                (0..p)
                    .map(|s| (inside[(s + 1) * p + j] - (total[s] - inside[s * p + j])) / binomial(p - 1, s))
                    .collect()
            })
            .collect();
        Gains { r2 }
    }

    /// `[j][s]`: mean over subsets S of the other drivers with |S| = s of the squared
    /// partial correlation of j with the target given S, (R²(S∪j) − R²(S)) / (1 − R²(S)):
    /// what Kruskal's measure averages. A division per pair, so only computed when asked.
    pub fn partial_gains(&self) -> Vec<Vec<f64>> {
        let p = self.p;
        (0..p)
            .into_par_iter()
            .map(|j| {
                let bit = 1usize << j;
                let mut partial = vec![0.0; p];
                for mask in (0..1usize << p).filter(|m| m & bit == 0) {
                    let base = self.r2[mask];
                    if 1.0 - base > COLLINEAR_TOL {
                        partial[mask.count_ones() as usize] += (self.r2[mask | bit] - base) / (1.0 - base);
                    }
                }
                for (s, v) in partial.iter_mut().enumerate() {
                    *v /= binomial(p - 1, s);
                }
                partial
            })
            .collect()
    }
}

/// Mean gains by subset size; see [`SubsetTable::gains`].
pub struct Gains {
    /// `r2[j][s]`: mean of R²(S∪j) − R²(S) over subsets S of the other drivers, |S| = s.
    pub r2: Vec<Vec<f64>>,
}

/// Averaging the by-size means with equal weight is averaging over all p! orderings,
/// because an ordering puts j after a given S of size s with probability 1/(p·C(p−1, s)).
pub fn mean_over_orderings(by_size: &[f64]) -> f64 {
    by_size.iter().sum::<f64>() / by_size.len() as f64
}

pub fn binomial(n: usize, k: usize) -> f64 {
    (0..k).fold(1.0, |acc, i| acc * (n - i) as f64 / (i + 1) as f64)
}

fn store(out: &[AtomicU64], mask: usize, resid: f64) {
    out[mask].store((1.0 - resid).clamp(0.0, 1.0).to_bits(), Ordering::Relaxed);
}

/// Visits every superset of `mask` that adds drivers from `vars` (all but the last entry,
/// which is the target). `stack[0]` holds the matrix conditioned on `mask` over `vars`.
fn walk(mask: usize, vars: &[usize], stack: &mut [Vec<f64>], out: &[AtomicU64]) {
    let q = vars.len();
    let (parent, rest) = stack.split_first_mut().expect("stack is as deep as the walk");
    for a in 0..q - 1 {
        // Child: add vars[a]; it may only add drivers after a, so keep a+1..q.
        let child_mask = mask | 1 << vars[a];
        let cq = q - 1 - a;
        let child = &mut rest[0];
        let pivot = parent[a * q + a];
        let usable = pivot > COLLINEAR_TOL;
        for i in 0..cq {
            let pi = a + 1 + i;
            let f = if usable { parent[pi * q + a] / pivot } else { 0.0 };
            for j in 0..cq {
                let pj = a + 1 + j;
                child[i * cq + j] = parent[pi * q + pj] - f * parent[a * q + pj];
            }
        }
        store(out, child_mask, child[cq * cq - 1]);
        if cq > 1 {
            walk(child_mask, &vars[a + 1..], rest, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    /// Azen & Budescu (2003) correlation matrix.
    fn ab() -> Array2<f64> {
        array![
            [1.0, 0.8, 0.1, 0.3, 0.6],
            [0.8, 1.0, 0.1, 0.1, 0.3],
            [0.1, 0.1, 1.0, 0.5, 0.4],
            [0.3, 0.1, 0.5, 1.0, 0.5],
            [0.6, 0.3, 0.4, 0.5, 1.0]
        ]
    }

    #[test]
    fn single_driver_r2_is_squared_correlation() {
        let t = SubsetTable::exact(&ab());
        for (j, r) in [0.6f64, 0.3, 0.4, 0.5].iter().enumerate() {
            assert!((t.r2[1 << j] - r * r).abs() < 1e-12);
        }
        assert_eq!(t.r2[0], 0.0);
    }

    #[test]
    fn pair_r2_matches_closed_form() {
        // R² of y on x1, x2 = (r1² + r2² − 2 r1 r2 r12) / (1 − r12²).
        let (r1, r2, r12) = (0.6, 0.3, 0.8);
        let want = (r1 * r1 + r2 * r2 - 2.0 * r1 * r2 * r12) / (1.0 - r12 * r12);
        let t = SubsetTable::exact(&ab());
        assert!((t.r2[0b11] - want).abs() < 1e-12);
    }

    #[test]
    fn table_agrees_with_direct_conditioning_for_every_subset() {
        // A 9-driver matrix so the walk goes below the parallel split.
        let p = 9;
        let mut c =
            Array2::from_shape_fn(
                (p + 1, p + 1),
                |(i, j)| {
                    if i == j {
                        1.0
                    } else {
                        0.3 + 0.04 * ((i * 7 + j * 7) % 5) as f64
                    }
                },
            );
        for j in 0..p {
            c[[j, p]] = 0.2 + 0.05 * j as f64;
            c[[p, j]] = c[[j, p]];
        }
        let t = SubsetTable::exact(&c);
        for mask in 0..1usize << p {
            let members: Vec<usize> = (0..p).filter(|j| mask >> j & 1 == 1).collect();
            assert!((t.r2[mask] - subset_r2(&c, &members)).abs() < 1e-12, "mask {mask:b}");
        }
        let all: Vec<usize> = (0..p).collect();
        assert!((path_r2(&c, &all)[p - 1] - t.full()).abs() < 1e-12);
        // The summed-table gains equal the direct pairing of each S with S∪j.
        let g = t.gains();
        for j in 0..p {
            for s in 0..p {
                let pairs: Vec<f64> = (0..1usize << p)
                    .filter(|m| m >> j & 1 == 0 && m.count_ones() as usize == s)
                    .map(|m| t.r2[m | 1 << j] - t.r2[m])
                    .collect();
                let direct = pairs.iter().sum::<f64>() / pairs.len() as f64;
                assert!((g.r2[j][s] - direct).abs() < 1e-12, "driver {j}, size {s}");
            }
        }
    }
}
