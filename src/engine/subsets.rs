//! The one all-subsets engine that every subset method (Shapley/LMG, dominance, Kruskal)
//! shares, in one walk over the 2^p subsets that keeps no table of them.
//!
//! R² of a subset S comes from the correlation matrix alone: conditioning the other
//! variables on S (a Schur complement) leaves the target's residual variance 1 − R²(S),
//! and for every driver k outside S its residual variance d_k and covariance with the
//! target c_k, so that k's gain R²(S∪k) − R²(S) = c_k² / d_k and its squared partial
//! correlation with the target is that over 1 − R²(S). Each subset is visited once, in a
//! depth-first walk that only ever adds drivers above the largest already in; adding
//! driver a is a rank-one update. A node keeps only what its descendants need: every
//! outside driver's row against the drivers still to be added (those above the largest
//! in S) and the target, and the outside drivers' residual variances. Most subsets
//! contain one of the last few drivers, so that block is narrow and a subset costs O(p),
//! not O(p²): p = 30 (10⁹ subsets) runs in minutes in a few kilobytes per thread.
//!
//! Rounding: each node is one update from its parent and each branch starts from the
//! full matrix conditioned directly, so no value is more than p updates from the input.
//! The walk is split into 2^L branches (by which of the first L drivers are in S) that
//! rayon spreads over the cores; each branch sums on its own and the branches are added
//! in order, so the result is the same on any number of threads.

use ndarray::Array2;
use rayon::prelude::*;

/// A driver whose variance left after conditioning is below this (in correlation units) is
/// a linear combination of drivers already in the subset: it adds nothing to R².
pub const COLLINEAR_TOL: f64 = 1e-10;

/// Above this many drivers, exact enumeration (2^p subsets) is not attempted.
pub const MAX_EXACT: usize = 30;

/// Two gains closer than this are a tie: neither driver dominates on that subset.
const TIE: f64 = 1e-12;

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

/// What the walk collects besides the gains.
#[derive(Debug, Clone, Copy, Default)]
pub struct Wants {
    /// Squared partial correlations by subset size (Kruskal).
    pub partial: bool,
    /// Which driver adds more in every subset of the others (complete dominance).
    pub complete: bool,
}

/// Everything the subset methods read, from one walk.
pub struct Gains {
    pub p: usize,
    /// R² of all p drivers.
    pub full: f64,
    /// `r2[j][s]`: mean of R²(S∪j) − R²(S) over subsets S of the other drivers, |S| = s.
    pub r2: Vec<Vec<f64>>,
    /// `partial[j][s]`: mean over the same subsets of the squared partial correlation of
    /// j with the target given S, (R²(S∪j) − R²(S)) / (1 − R²(S)), when asked.
    pub partial: Option<Vec<Vec<f64>>>,
    /// `(i, j)`: i adds more than j to every subset of the other drivers, when asked.
    pub complete: Option<Vec<(usize, usize)>>,
}

impl Gains {
    /// Walks all 2^p subsets of the drivers of `corr` ((p+1)×(p+1), target last).
    pub fn exact(corr: &Array2<f64>, wants: Wants) -> Gains {
        let dim = corr.nrows();
        let p = dim - 1;
        assert!(p <= MAX_EXACT, "exact subsets are limited to {MAX_EXACT} drivers");
        // Branches of at least 2^12 subsets: below that, setting one up costs more than it saves.
        let split = p.saturating_sub(12).min(8);
        let full: Vec<f64> = corr.iter().copied().collect();
        let branches: Vec<Sums> = (0..1usize << split)
            .into_par_iter()
            .map(|head| {
                let mut c = full.clone();
                for a in (0..split).filter(|a| head >> a & 1 == 1) {
                    condition_in_place(&mut c, dim, a);
                }
                let mut walk = Walk::new(p, wants);
                walk.branch(head, split, &c);
                walk.sums
            })
            .collect();
        let mut sums = Sums::new(p, wants);
        for b in branches {
            sums.add(&b);
        }
        let mean = |v: &[f64]| -> Vec<Vec<f64>> {
            (0..p).map(|j| (0..p).map(|s| v[j * p + s] / binomial(p - 1, s)).collect()).collect()
        };
        Gains {
            p,
            full: sums.full,
            r2: mean(&sums.gain),
            partial: wants.partial.then(|| mean(&sums.partial)),
            complete: wants.complete.then(|| {
                let mut pairs: Vec<(usize, usize)> = (0..p)
                    .flat_map(|i| (0..p).map(move |j| (i, j)))
                    .filter(|&(i, j)| i != j && sums.wins[i * p + j])
                    .collect();
                pairs.sort_unstable();
                pairs
            }),
        }
    }
}

/// One branch's running sums. `gain[j * p + s]`: Σ gains of j over subsets of size s.
struct Sums {
    full: f64,
    gain: Vec<f64>,
    partial: Vec<f64>,
    /// `wins[i * p + j]`: i has added more than j in every subset seen so far.
    wins: Vec<bool>,
}

impl Sums {
    fn new(p: usize, wants: Wants) -> Sums {
        Sums {
            full: 0.0,
            gain: vec![0.0; p * p],
            partial: if wants.partial { vec![0.0; p * p] } else { Vec::new() },
            wins: if wants.complete { (0..p * p).map(|k| k / p != k % p).collect() } else { Vec::new() },
        }
    }

    fn add(&mut self, b: &Sums) {
        self.full = self.full.max(b.full);
        self.gain.iter_mut().zip(&b.gain).for_each(|(a, b)| *a += b);
        self.partial.iter_mut().zip(&b.partial).for_each(|(a, b)| *a += b);
        self.wins.iter_mut().zip(&b.wins).for_each(|(a, b)| *a &= b);
    }
}

/// One node of the walk: the subset S (as the outside drivers `rows`), the drivers still
/// to add (`lo..p`), and the conditioned block. `b[r * w + c]`: covariance given S of
/// outside driver `rows[r]` (or the target, r = rows.len()) with driver `lo + c` (or the
/// target, c = p − lo); `w = p − lo + 1`. `d[r]`: residual variance of `rows[r]`.
#[derive(Default, Clone)]
struct Node {
    rows: Vec<usize>,
    lo: usize,
    b: Vec<f64>,
    d: Vec<f64>,
}

struct Walk {
    p: usize,
    wants: Wants,
    sums: Sums,
    /// One node per depth, reused.
    stack: Vec<Node>,
    /// Gains of the drivers outside the current subset, by driver index.
    g: Vec<f64>,
    /// Pairs (i, j) where neither has been refuted as dominating the other.
    alive: Vec<(usize, usize)>,
}

impl Walk {
    fn new(p: usize, wants: Wants) -> Walk {
        let alive =
            if wants.complete { (0..p).flat_map(|i| (i + 1..p).map(move |j| (i, j))).collect() } else { vec![] };
        Walk { p, wants, sums: Sums::new(p, wants), stack: vec![Node::default(); p + 2], g: vec![0.0; p], alive }
    }

    /// The branch of subsets whose members below `split` are `head`: its root conditioned
    /// on `head` (`c`, dense), then every superset adding drivers `split..p`.
    fn branch(&mut self, head: usize, split: usize, c: &[f64]) {
        let (p, dim) = (self.p, self.p + 1);
        let root = &mut self.stack[0];
        root.rows = (0..p).filter(|j| head >> j & 1 == 0).collect();
        root.lo = split;
        let w = p - split + 1;
        let cols: Vec<usize> = (split..p).chain([p]).collect();
        root.b.clear();
        root.d.clear();
        for &k in root.rows.iter().chain([&p]) {
            root.b.extend(cols.iter().map(|&m| c[k * dim + m]));
        }
        root.d.extend(root.rows.iter().map(|&k| c[k * dim + k]));
        debug_assert_eq!(root.b.len(), (root.rows.len() + 1) * w);
        self.visit(0, head.count_ones() as usize);
    }

    /// Counts the node at `depth` (a subset of `size` drivers), then its children.
    fn visit(&mut self, depth: usize, size: usize) {
        self.count(depth, size);
        let (p, lo) = (self.p, self.stack[depth].lo);
        for a in lo..p {
            let (before, after) = self.stack.split_at_mut(depth + 1);
            add_driver(&before[depth], &mut after[0], a, p);
            self.visit(depth + 1, size + 1);
        }
    }

    /// Adds the node's gains (and partials, and dominance comparisons) to the sums.
    fn count(&mut self, depth: usize, size: usize) {
        let node = &self.stack[depth];
        let p = self.p;
        let w = p - node.lo + 1;
        let n = node.rows.len();
        let resid = node.b[n * w + w - 1];
        if n == 0 {
            self.sums.full = (1.0 - resid).clamp(0.0, 1.0);
            return;
        }
        for (r, &k) in node.rows.iter().enumerate() {
            let c = node.b[r * w + w - 1];
            let gain = if node.d[r] > COLLINEAR_TOL { c * c / node.d[r] } else { 0.0 };
            self.g[k] = gain;
            self.sums.gain[k * p + size] += gain;
            if self.wants.partial && resid > COLLINEAR_TOL {
                self.sums.partial[k * p + size] += gain / resid;
            }
        }
        if self.wants.complete && n >= 2 {
            let outside: u64 = node.rows.iter().fold(0, |m, &k| m | 1 << k);
            let (g, wins) = (&self.g, &mut self.sums.wins);
            self.alive.retain(|&(i, j)| {
                if outside >> i & outside >> j & 1 == 0 {
                    return true;
                }
                let d = g[i] - g[j];
                if d <= TIE {
                    wins[i * p + j] = false;
                }
                if d >= -TIE {
                    wins[j * p + i] = false;
                }
                wins[i * p + j] || wins[j * p + i]
            });
        }
    }
}

/// The child of `parent` that adds driver `a` (one of `parent.lo..p`): one rank-one update
/// of the rows other than a's, over the columns after a and the target.
fn add_driver(parent: &Node, child: &mut Node, a: usize, p: usize) {
    let w = p - parent.lo + 1;
    let t = a - parent.lo;
    let ra = parent.rows.len() - (p - parent.lo) + t;
    let pivot = parent.d[ra];
    let usable = pivot > COLLINEAR_TOL;
    child.lo = a + 1;
    child.rows.clear();
    child.rows.extend(parent.rows.iter().copied().filter(|&k| k != a));
    child.b.clear();
    child.d.clear();
    let arow = &parent.b[ra * w + t + 1..(ra + 1) * w];
    for r in (0..=parent.rows.len()).filter(|&r| r != ra) {
        let row = &parent.b[r * w..(r + 1) * w];
        let f = if usable { row[t] / pivot } else { 0.0 };
        child.b.extend(row[t + 1..].iter().zip(arow).map(|(x, y)| x - f * y));
        if r < parent.rows.len() {
            child.d.push(parent.d[r] - f * row[t]);
        }
    }
}

/// Averaging the by-size means with equal weight is averaging over all p! orderings,
/// because an ordering puts j after a given S of size s with probability 1/(p·C(p−1, s)).
pub fn mean_over_orderings(by_size: &[f64]) -> f64 {
    by_size.iter().sum::<f64>() / by_size.len() as f64
}

pub fn binomial(n: usize, k: usize) -> f64 {
    (0..k).fold(1.0, |acc, i| acc * (n - i) as f64 / (i + 1) as f64)
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
    fn pair_r2_matches_closed_form() {
        // R² of y on x1, x2 = (r1² + r2² − 2 r1 r2 r12) / (1 − r12²).
        let (r1, r2, r12) = (0.6, 0.3, 0.8);
        let want = (r1 * r1 + r2 * r2 - 2.0 * r1 * r2 * r12) / (1.0 - r12 * r12);
        assert!((subset_r2(&ab(), &[0, 1]) - want).abs() < 1e-12);
        // Size-0 gains are the squared correlations.
        let g = Gains::exact(&ab(), Wants::default());
        for (j, r) in [0.6f64, 0.3, 0.4, 0.5].iter().enumerate() {
            assert!((g.r2[j][0] - r * r).abs() < 1e-12);
        }
    }

    /// A p-driver matrix with uneven correlations, and one driver a copy of another when
    /// `collinear`.
    fn uneven(p: usize, collinear: bool) -> Array2<f64> {
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
            c[[j, p]] = 0.15 + 0.02 * j as f64;
            c[[p, j]] = c[[j, p]];
        }
        if collinear {
            for k in 0..=p {
                c[[p - 1, k]] = c[[1, k]];
                c[[k, p - 1]] = c[[k, 1]];
            }
            c[[p - 1, p - 1]] = 1.0;
            c[[1, p - 1]] = 1.0;
            c[[p - 1, 1]] = 1.0;
        }
        c
    }

    /// The walk's sums against brute force: every S and S∪j conditioned directly.
    fn agrees_with_brute_force(c: &Array2<f64>) {
        let p = c.nrows() - 1;
        assert!(
            crate::stats::moments::min_eigenvalue(c) > 0.0,
            "a correlation matrix: brute force clamps R² otherwise"
        );
        let g = Gains::exact(c, Wants { partial: true, complete: true });
        let table: Vec<f64> =
            (0..1usize << p).map(|m| subset_r2(c, &(0..p).filter(|j| m >> j & 1 == 1).collect::<Vec<_>>())).collect();
        let r2 = |mask: usize| table[mask];
        let all: Vec<usize> = (0..p).collect();
        assert!((g.full - path_r2(c, &all)[p - 1]).abs() < 1e-12);
        let dominates = |i: usize, j: usize| {
            i != j
                && (0..1usize << p)
                    .filter(|m| m & (1 << i | 1 << j) == 0)
                    .all(|m| r2(m | 1 << i) - r2(m | 1 << j) > TIE)
        };
        for j in 0..p {
            for s in 0..p {
                let masks: Vec<usize> =
                    (0..1usize << p).filter(|m| m >> j & 1 == 0 && m.count_ones() as usize == s).collect();
                let gain = |m: usize| r2(m | 1 << j) - r2(m);
                let direct = masks.iter().map(|&m| gain(m)).sum::<f64>() / masks.len() as f64;
                assert!((g.r2[j][s] - direct).abs() < 1e-12, "driver {j}, size {s}");
                let partial = masks
                    .iter()
                    .filter(|&&m| 1.0 - r2(m) > COLLINEAR_TOL)
                    .map(|&m| gain(m) / (1.0 - r2(m)))
                    .sum::<f64>()
                    / masks.len() as f64;
                assert!((g.partial.as_ref().unwrap()[j][s] - partial).abs() < 1e-12, "partial {j}, {s}");
            }
        }
        let want: Vec<(usize, usize)> =
            (0..p).flat_map(|i| (0..p).map(move |j| (i, j))).filter(|&(i, j)| dominates(i, j)).collect();
        assert_eq!(g.complete.as_ref().unwrap(), &want);
    }

    #[test]
    fn walk_agrees_with_brute_force() {
        // 14 drivers: split into 4 parallel branches, each walked below its root.
        agrees_with_brute_force(&uneven(14, false));
        agrees_with_brute_force(&ab());
        // A duplicated driver: pivots of zero are skipped, and neither twin dominates.
        agrees_with_brute_force(&uneven(7, true));
    }
}
