//! Weighted means and covariances of the drivers and the target: everything the linear
//! methods need. Computing them once is what makes all-subsets Shapley and the bootstrap
//! cheap: no method goes back to the rows.

use std::ops::Range;

use ndarray::{s, Array1, Array2, ArrayView1, ArrayView2, Axis, CowArray};
use rayon::prelude::*;

use super::{Matrix, ModelData};

/// Moments of (drivers…, target); the target is the last variable.
#[derive(Debug, Clone)]
pub struct Moments {
    /// Rows behind these moments: rows of weight 0 do not count (as in R's `lm`), and a
    /// bootstrap resample counts each row as often as it was drawn.
    pub n: usize,
    /// Rows seen, weight 0 included: tells "no rows" from "no weight".
    pub rows: usize,
    /// Kish's effective n, (Σw)²/Σw² (n without weights).
    pub n_eff: f64,
    pub mean: Array1<f64>,
    /// Covariance with weights rescaled to sum to n, over n − 1: the usual sample
    /// covariance without weights, and what `lm(weights = w)` implies with them.
    pub cov: Array2<f64>,
}

impl Moments {
    pub fn from_data(d: &ModelData) -> Moments {
        Rows::new(d).moments(None)
    }

    /// Number of drivers.
    pub fn p(&self) -> usize {
        self.cov.nrows() - 1
    }

    pub fn sd(&self) -> Array1<f64> {
        self.cov.diag().mapv(f64::sqrt)
    }

    /// The least-squares slopes of the target on the drivers, Sxx⁻¹ Sxy; `None` when the
    /// drivers are collinear or constant.
    pub fn slopes(&self) -> Option<Array1<f64>> {
        use linfa_linalg::cholesky::InverseC;
        let p = self.p();
        let sxx_inv = self.cov.slice(s![..p, ..p]).to_owned().invc().ok()?;
        let b = sxx_inv.dot(&self.cov.slice(s![..p, p]));
        b.iter().all(|c| c.is_finite()).then_some(b)
    }

    /// The correlation matrix; a variable with no variance gets zero correlations.
    pub fn corr(&self) -> Array2<f64> {
        let sd = self.sd();
        Array2::from_shape_fn(self.cov.raw_dim(), |(i, j)| {
            if i == j {
                1.0
            } else if sd[i] > 0.0 && sd[j] > 0.0 {
                self.cov[[i, j]] / (sd[i] * sd[j])
            } else {
                0.0
            }
        })
    }
}

/// The complete rows (drivers, then the target) with their weights and a centre. The full
/// fit reads them once; the bootstrap reweights the same rows by how often each was drawn,
/// so a resample costs one weighted cross-product and never copies the rows: each block
/// is centred as it is read.
pub struct Rows<'a> {
    x: &'a Matrix,
    y: &'a Array1<f64>,
    /// A point near the weighted mean: centring first keeps the cross-products free of
    /// cancellation.
    centre: Array1<f64>,
    /// Survey weights (`None`: each row weighs 1, with no column of ones the size of the
    /// rows).
    w: Option<ArrayView1<'a, f64>>,
}

impl<'a> Rows<'a> {
    pub fn new(d: &'a ModelData) -> Rows<'a> {
        Rows::from_parts(&d.x, &d.y, d.w.as_ref().map(|w| w.view()))
    }

    /// Rows `x` with target `y` and weights `w` (ones when `None`), held as they are.
    pub fn from_parts(x: &'a Matrix, y: &'a Array1<f64>, w: Option<ArrayView1<'a, f64>>) -> Rows<'a> {
        let (n, p) = x.dim();
        // Any point near the middle of the rows will do: the moments add the offset of the
        // mean from it. The weighted mean of the first block is near, at a block's cost.
        let head = 0..n.min(BLOCK);
        let head_w = match w {
            Some(w) => CowArray::from(w.slice_move(s![head.clone()])),
            None => CowArray::from(Array1::ones(head.len())),
        };
        let total = head_w.sum();
        let mut centre = Array1::zeros(p + 1);
        if total > 0.0 {
            let w = head_w.view();
            centre.slice_mut(s![..p]).assign(&(x.block(head.clone()).t().dot(&w) / total));
            centre[p] = y.slice(s![head]).dot(&w) / total;
        }
        Rows { x, y, centre, w }
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.y.len()
    }

    pub fn is_empty(&self) -> bool {
        self.y.is_empty()
    }

    /// Row i's survey weight (1 without weights).
    #[inline]
    fn weight(&self, i: usize) -> f64 {
        self.w.map_or(1.0, |w| w[i])
    }

    /// Rows `rows` minus the centre, written into `buffer`.
    fn centred<'b>(&self, rows: Range<usize>, buffer: &'b mut Array2<f64>) -> ArrayView2<'b, f64> {
        let (m, p) = (rows.len(), self.x.ncols());
        let (c, cy) = (self.centre.slice(s![..p]), self.centre[p]);
        let x = self.x.block(rows.clone());
        let x = x.as_slice().expect("standard layout").chunks_exact(p);
        let out = buffer.as_slice_mut().expect("standard layout").chunks_exact_mut(p + 1);
        for ((out, x), &y) in out.zip(x).zip(self.y.slice(s![rows])) {
            for ((o, x), c) in out.iter_mut().zip(x).zip(&c) {
                *o = x - c;
            }
            out[p] = y - cy;
        }
        buffer.slice(s![..m, ..])
    }

    /// Moments with row i counted `counts[i]` times (a bootstrap resample), or once each.
    /// Equal to [`Moments::from_data`] on the rows repeated that often.
    pub fn moments(&self, counts: Option<&[u32]>) -> Moments {
        let k = self.centre.len();
        let freq = |i: usize| counts.map_or(1.0, |c| c[i] as f64);
        let v: Array1<f64> = Array1::from_shape_fn(self.len(), |i| self.weight(i) * freq(i));
        let n: f64 = (0..self.len()).filter(|&i| self.weight(i) > 0.0).map(freq).sum();
        let sum_w2: f64 = (0..self.len()).map(|i| self.weight(i) * self.weight(i) * freq(i)).sum();
        let rows = counts.map_or(self.len() as f64, |c| c.iter().map(|&x| x as f64).sum());
        let (mut sum, mut second) = (Array1::zeros(k), Array2::zeros((k, k)));
        let scratch = || (Array2::zeros((BLOCK, k)), Array2::zeros((BLOCK, k)));
        let parts = blocks(self.len(), scratch, |rows, (z, scaled)| {
            let v = v.slice(s![rows.clone()]);
            let z = self.centred(rows, z);
            (weighted_sum(z, v), weighted_cross(z, v, scaled))
        });
        for (s1, s2) in parts {
            sum += &s1;
            second += &s2;
        }
        finish(&self.centre, Sums { n, rows, total: v.sum(), sum_w2, sum, second })
    }

    /// The moments of Poisson bootstrap replicates 1…`b` of every cell: row i belongs to
    /// cell `cells[i]` (of `n_cells`) and counts `weight(keys[i], b, seed)` times in
    /// replicate b, all summed in one pass ([`super::replicates::totals`]). `CellSums`
    /// add, so a group of cells (or everyone minus a group) is a sum (or a difference) of
    /// them; [`CellSums::moments`] turns them into moments.
    pub fn replicate_sums(&self, keys: &[u32], cells: &[u32], n_cells: usize, seed: u64, b: usize) -> Vec<CellSums> {
        let (k, p) = (self.centre.len(), self.x.ncols());
        let width = 4 + k + k * (k + 1) / 2;
        let terms = |i: usize, _: &mut (), t: &mut [f64]| {
            let w = self.weight(i);
            let (head, rest) = t.split_at_mut(4 + k);
            head[..4].copy_from_slice(&[if w > 0.0 { 1.0 } else { 0.0 }, 1.0, w, w * w]);
            let z = &mut head[4..];
            self.x.row_into(i, &mut z[..p]);
            for (z, c) in z[..p].iter_mut().zip(&self.centre) {
                *z -= c;
            }
            z[p] = self.y[i] - self.centre[p];
            let mut c = 0;
            for j in 0..k {
                for l in j..k {
                    rest[c] = w * z[j] * z[l];
                    c += 1;
                }
            }
            for z in z.iter_mut() {
                *z *= w;
            }
        };
        super::replicates::totals(keys, cells, n_cells, (seed, b), width, || (), terms)
            .into_iter()
            .map(|sums| CellSums { sums, centre: self.centre.clone() })
            .collect()
    }
}

/// Sums about a centre: rows of positive weight, rows, Σw, Σw², Σwz, Σwzzᵀ.
struct Sums {
    n: f64,
    rows: f64,
    total: f64,
    sum_w2: f64,
    sum: Array1<f64>,
    second: Array2<f64>,
}

/// One cell's sums for each replicate (a row each): counts, Σw, Σw², Σwz and the upper
/// triangle of Σwzzᵀ, about the rows' centre.
#[derive(Debug, Clone)]
pub struct CellSums {
    sums: Array2<f64>,
    centre: Array1<f64>,
}

impl CellSums {
    /// Each replicate's moments.
    pub fn moments(&self) -> Vec<Moments> {
        let k = self.centre.len();
        self.sums
            .rows()
            .into_iter()
            .map(|t| {
                let mut second = Array2::zeros((k, k));
                let mut c = 4 + k;
                for j in 0..k {
                    for l in j..k {
                        second[[j, l]] = t[c];
                        second[[l, j]] = t[c];
                        c += 1;
                    }
                }
                let sum = t.slice(s![4..4 + k]).to_owned();
                finish(&self.centre, Sums { n: t[0], rows: t[1], total: t[2], sum_w2: t[3], sum, second })
            })
            .collect()
    }
}

impl std::ops::AddAssign<&CellSums> for CellSums {
    fn add_assign(&mut self, other: &CellSums) {
        self.sums += &other.sums;
    }
}

impl std::ops::Sub<&CellSums> for &CellSums {
    type Output = CellSums;
    fn sub(self, other: &CellSums) -> CellSums {
        CellSums { sums: &self.sums - &other.sums, centre: self.centre.clone() }
    }
}

/// Moments from sums about `centre`.
fn finish(centre: &Array1<f64>, t: Sums) -> Moments {
    let Sums { n, rows, total, sum_w2, sum, second } = t;
    let k = centre.len();
    let (mean, cov) = if total > 0.0 {
        // Mean offset from the centre, then E[zzᵀ] − m mᵀ, rescaled from "over Σw" to
        // "weights summing to n, over n − 1".
        let m = sum / total;
        let outer = m.view().insert_axis(Axis(1)).dot(&m.view().insert_axis(Axis(0)));
        (centre + &m, (second / total - outer) * (n / (n - 1.0)))
    } else {
        (centre.clone(), Array2::zeros((k, k)))
    };
    Moments {
        n: n.round() as usize,
        rows: rows.round() as usize,
        n_eff: if sum_w2 > 0.0 { total * total / sum_w2 } else { 0.0 },
        mean,
        cov,
    }
}

/// Rows per block of a pass over the rows.
pub const BLOCK: usize = 8_192;

/// `f` on each block of `n` rows, the blocks run in parallel, the results in order: a sum
/// of them is the same whatever the number of threads. `scratch` makes each thread's
/// working buffer once.
pub fn blocks<S, T: Send>(
    n: usize,
    scratch: impl Fn() -> S + Sync + Send,
    f: impl Fn(Range<usize>, &mut S) -> T + Sync + Send,
) -> Vec<T> {
    let starts: Vec<usize> = (0..n).step_by(BLOCK).collect();
    starts.par_iter().map_init(&scratch, |s, &start| f(start..(start + BLOCK).min(n), s)).collect()
}

/// aᵀ c, the rows of `a` (contiguous) weighted by `c` and added, in one pass over them.
pub fn weighted_sum(a: ArrayView2<f64>, c: ArrayView1<f64>) -> Array1<f64> {
    let mut sum = Array1::zeros(a.ncols());
    for (row, &c) in a.as_slice().expect("a block of rows is contiguous").chunks_exact(a.ncols()).zip(&c) {
        for (s, x) in sum.iter_mut().zip(row) {
            *s += c * x;
        }
    }
    sum
}

/// aᵀ diag(c) a, the rows of `a` (at most [`BLOCK`]) weighted by `c` and crossed, as one
/// matrix product; `scratch` (BLOCK × columns) holds the weighted rows.
pub fn weighted_cross(a: ArrayView2<f64>, c: ArrayView1<f64>, scratch: &mut Array2<f64>) -> Array2<f64> {
    let (m, k) = a.dim();
    let mut scaled = scratch.slice_mut(s![..m, ..]);
    let rows = a.as_slice().expect("a block of rows is contiguous").chunks_exact(k);
    let out = scaled.as_slice_mut().expect("a block of rows is contiguous").chunks_exact_mut(k);
    for ((out, row), &c) in out.zip(rows).zip(&c) {
        for (o, x) in out.iter_mut().zip(row) {
            *o = c * x;
        }
    }
    a.t().dot(&scaled)
}

/// Σ cᵢ (1, aᵢ)(1, aᵢ)ᵀ over the rows of `a` (at most [`BLOCK`]): a model's cross-products
/// with its intercept. The intercept's row and column are the weights' sums, so the rows
/// are read in place, without a column of ones; the rest is [`weighted_cross`].
pub fn weighted_cross_with_intercept(a: ArrayView2<f64>, c: ArrayView1<f64>, scratch: &mut Array2<f64>) -> Array2<f64> {
    let k = a.ncols() + 1;
    let mut h = Array2::zeros((k, k));
    let edge = weighted_sum(a, c);
    h[[0, 0]] = c.sum();
    h.slice_mut(s![0, 1..]).assign(&edge);
    h.slice_mut(s![1.., 0]).assign(&edge);
    h.slice_mut(s![1.., 1..]).assign(&weighted_cross(a, c, scratch));
    h
}

/// Correlation matrix from pairwise-complete rows: each correlation uses every row where
/// both variables are present, with that pair's own means and SDs, as R's
/// `cor(use = "pairwise")`. Variances use every row where the variable is present. `n` is
/// the smallest pairwise count, which stands in for the sample size.
pub fn pairwise(columns: &[Vec<Option<f64>>], w: Option<&[f64]>) -> Moments {
    let k = columns.len();
    let rows = columns.first().map_or(0, Vec::len);
    let weight = |i: usize| w.map_or(1.0, |w| w[i]);
    // Weighted (co)moments of a and b over the rows both have: (Σw, mean a, mean b, Sab, Saa, Sbb).
    let comoments = |a: usize, b: usize| {
        let both: Vec<usize> =
            (0..rows).filter(|&i| weight(i) > 0.0 && columns[a][i].is_some() && columns[b][i].is_some()).collect();
        let tw: f64 = both.iter().map(|&i| weight(i)).sum();
        let ma = both.iter().map(|&i| weight(i) * columns[a][i].unwrap()).sum::<f64>() / tw;
        let mb = both.iter().map(|&i| weight(i) * columns[b][i].unwrap()).sum::<f64>() / tw;
        let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
        for &i in &both {
            let (da, db) = (columns[a][i].unwrap() - ma, columns[b][i].unwrap() - mb);
            sab += weight(i) * da * db;
            saa += weight(i) * da * da;
            sbb += weight(i) * db * db;
        }
        (both.len(), tw, ma, sab, saa, sbb)
    };
    let mut mean = Array1::zeros(k);
    let mut sd = Array1::zeros(k);
    for a in 0..k {
        let (n, tw, ma, _, saa, _) = comoments(a, a);
        mean[a] = ma;
        // Weights rescaled to sum to n, over n − 1, as in `from_data`.
        sd[a] = (saa * (n as f64 / tw) / (n as f64 - 1.0)).sqrt();
    }
    let mut cov = Array2::zeros((k, k));
    let mut min_n = usize::MAX;
    for a in 0..k {
        for b in a..k {
            let (n, _, _, sab, saa, sbb) = comoments(a, b);
            min_n = min_n.min(n);
            let r = if a == b {
                1.0
            } else if saa > 0.0 && sbb > 0.0 {
                sab / (saa * sbb).sqrt()
            } else {
                0.0
            };
            cov[[a, b]] = r * sd[a] * sd[b];
            cov[[b, a]] = cov[[a, b]];
        }
    }
    Moments { n: min_n, rows, n_eff: min_n as f64, mean, cov }
}

/// Means and covariance by maximum likelihood for the multivariate normal with values
/// missing at random: the EM algorithm (Dempster, Laird & Rubin 1977; Little & Rubin
/// 2002, ch. 11), the estimate `lavaan::lavCor(missing = "ml")` gives. Rows are grouped
/// by which variables they have; each E-step fills a pattern's gaps with their
/// regression on what it has (and adds the residual covariance), each M-step takes the
/// weighted mean and covariance of the filled rows. Starts from the available-case means
/// and variances, stops when no mean or covariance moves by 1e-12 (relative to the
/// variances). Rows with no value at all carry no information and are left out. The
/// covariance is rescaled "over n − 1" like the others, so complete data give exactly
/// the listwise moments.
pub fn em(columns: &[Vec<Option<f64>>], w: Option<&[f64]>) -> Moments {
    let k = columns.len();
    let rows = columns.first().map_or(0, Vec::len);
    let weight = |i: usize| w.map_or(1.0, |w| w[i]);
    // Patterns of presence, each with its rows.
    let mut patterns: std::collections::BTreeMap<Vec<bool>, Vec<usize>> = std::collections::BTreeMap::new();
    for i in (0..rows).filter(|&i| weight(i) > 0.0) {
        let seen: Vec<bool> = columns.iter().map(|c| c[i].is_some()).collect();
        if seen.iter().any(|&s| s) {
            patterns.entry(seen).or_default().push(i);
        }
    }
    let n = patterns.values().map(Vec::len).sum::<usize>();
    let total: f64 = patterns.values().flatten().map(|&i| weight(i)).sum();
    let sum_w2: f64 = patterns.values().flatten().map(|&i| weight(i) * weight(i)).sum();
    // Start: available-case means and variances, no covariance.
    let mut mean = Array1::zeros(k);
    let mut cov = Array2::zeros((k, k));
    for a in 0..k {
        let present: Vec<(f64, f64)> =
            patterns.values().flatten().filter_map(|&i| Some((weight(i), columns[a][i]?))).collect();
        let tw: f64 = present.iter().map(|p| p.0).sum();
        if tw > 0.0 {
            mean[a] = present.iter().map(|(w, x)| w * x).sum::<f64>() / tw;
            cov[[a, a]] = present.iter().map(|(w, x)| w * (x - mean[a]).powi(2)).sum::<f64>() / tw;
        }
        if cov[[a, a]] <= 0.0 {
            cov[[a, a]] = 1.0;
        }
    }
    for _ in 0..1000 {
        let mut t1: Array1<f64> = Array1::zeros(k);
        let mut t2: Array2<f64> = Array2::zeros((k, k));
        for (seen, idx) in &patterns {
            let obs: Vec<usize> = (0..k).filter(|&a| seen[a]).collect();
            let mis: Vec<usize> = (0..k).filter(|&a| !seen[a]).collect();
            // Regression of the missing on the observed: B = Σ_mo Σ_oo⁻¹, residual C.
            let (b, c) = if mis.is_empty() {
                (Array2::zeros((0, obs.len())), Array2::zeros((0, 0)))
            } else {
                let soo = Array2::from_shape_fn((obs.len(), obs.len()), |(x, y)| cov[[obs[x], obs[y]]]);
                let smo = Array2::from_shape_fn((mis.len(), obs.len()), |(x, y)| cov[[mis[x], obs[y]]]);
                let smm = Array2::from_shape_fn((mis.len(), mis.len()), |(x, y)| cov[[mis[x], mis[y]]]);
                use linfa_linalg::cholesky::InverseC;
                let inv = soo.invc().unwrap_or_else(|_| Array2::zeros((obs.len(), obs.len())));
                let b = smo.dot(&inv);
                let c = &smm - &b.dot(&smo.t());
                (b, c)
            };
            let mut filled = Array1::zeros(k);
            let mut pw = 0.0;
            for &i in idx {
                let wi = weight(i);
                pw += wi;
                for &a in &obs {
                    filled[a] = columns[a][i].expect("observed");
                }
                for (x, &m) in mis.iter().enumerate() {
                    filled[m] =
                        mean[m] + obs.iter().enumerate().map(|(y, &o)| b[[x, y]] * (filled[o] - mean[o])).sum::<f64>();
                }
                t1.scaled_add(wi, &filled);
                for a in 0..k {
                    for c2 in 0..k {
                        t2[[a, c2]] += wi * filled[a] * filled[c2];
                    }
                }
            }
            for (x, &m1) in mis.iter().enumerate() {
                for (y, &m2) in mis.iter().enumerate() {
                    t2[[m1, m2]] += pw * c[[x, y]];
                }
            }
        }
        let new_mean = &t1 / total;
        let new_cov = &t2 / total - new_mean.view().insert_axis(Axis(1)).dot(&new_mean.view().insert_axis(Axis(0)));
        let scale = (0..k).map(|a| new_cov[[a, a]]).fold(1e-300, f64::max);
        let moved = (&new_mean - &mean).iter().chain((&new_cov - &cov).iter()).fold(0.0f64, |m, d| m.max(d.abs()));
        mean = new_mean;
        cov = new_cov;
        if moved <= 1e-12 * scale {
            break;
        }
    }
    let nf = n as f64;
    Moments { n, rows, n_eff: total * total / sum_w2, mean, cov: cov * (nf / (nf - 1.0)) }
}

/// Smallest eigenvalue above which a correlation matrix counts as positive definite.
pub const PD_TOL: f64 = 1e-10;

/// z for a two-sided 95% interval: every normal-theory interval in the report.
pub const Z95: f64 = 1.959_963_984_540_054;

pub fn min_eigenvalue(c: &Array2<f64>) -> f64 {
    use linfa_linalg::eigh::Eigh;
    c.eigh().map(|(v, _)| v.iter().copied().fold(f64::INFINITY, f64::min)).unwrap_or(f64::NAN)
}

/// The nearest correlation matrix (Higham 2002): alternating projections, with Dykstra's
/// correction, onto the positive semidefinite matrices (eigenvalues clipped to a small
/// positive floor, so the result is strictly positive definite) and the unit-diagonal ones.
pub fn nearest_correlation(a: &Array2<f64>) -> Array2<f64> {
    use linfa_linalg::eigh::Eigh;
    const FLOOR: f64 = 1e-6;
    let mut y = a.clone();
    let mut ds = Array2::<f64>::zeros(a.raw_dim());
    for _ in 0..1000 {
        let r = &y - &ds;
        let (vals, vecs) = match r.eigh() {
            Ok(e) => e,
            Err(_) => break,
        };
        let x = vecs.dot(&Array2::from_diag(&vals.mapv(|v| v.max(FLOOR)))).dot(&vecs.t());
        ds = &x - &r;
        let mut next = x;
        next.diag_mut().fill(1.0);
        let change = (&next - &y).iter().map(|v| v * v).sum::<f64>().sqrt();
        y = next;
        if change < 1e-12 && min_eigenvalue(&y) > PD_TOL {
            break;
        }
    }
    y
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    fn data(w: Option<Array1<f64>>) -> ModelData {
        ModelData {
            names: vec!["a".into()],
            x: array![[1.0], [2.0], [3.0], [4.0]].into(),
            y: array![2.0, 1.0, 4.0, 3.0],
            w,
            n_used: 4,
            n_dropped: 0,
            keys: super::super::replicates::row_keys(0..4),
        }
    }

    #[test]
    fn repaired_matrix_is_a_positive_definite_correlation_matrix() {
        // Pairwise deletion can produce this: three mutual correlations no data can have.
        let bad = array![[1.0, 0.9, -0.9], [0.9, 1.0, 0.9], [-0.9, 0.9, 1.0]];
        assert!(min_eigenvalue(&bad) < 0.0);
        let fixed = nearest_correlation(&bad);
        assert!(min_eigenvalue(&fixed) > PD_TOL);
        assert!(fixed.diag().iter().all(|d| (d - 1.0).abs() < 1e-12));
        // Higham's result is symmetric and moves each entry only as far as needed.
        assert!((fixed[[0, 1]] - fixed[[1, 0]]).abs() < 1e-12);
        assert!(fixed[[0, 1]] < 0.9 && fixed[[0, 2]] > -0.9);
    }

    #[test]
    fn pairwise_equals_listwise_without_gaps() {
        let d = data(Some(array![1.0, 2.0, 1.0, 3.0]));
        let cols = vec![d.x.column(0).iter().map(|v| Some(*v)).collect(), d.y.iter().map(|v| Some(*v)).collect()];
        let pw = pairwise(&cols, d.w.as_ref().map(|w| w.as_slice().unwrap()));
        let lw = Moments::from_data(&d);
        assert!((&pw.cov - &lw.cov).iter().all(|v| v.abs() < 1e-12));
    }

    #[test]
    fn unweighted_matches_hand_computation() {
        // x̄ = 2.5, ȳ = 2.5; Σ(x−x̄)(y−ȳ) = 3; var x = 5/3; cov = 1; r = 0.6.
        let m = Moments::from_data(&data(None));
        assert!((m.cov[[0, 0]] - 5.0 / 3.0).abs() < 1e-12);
        assert!((m.cov[[0, 1]] - 1.0).abs() < 1e-12);
        assert!((m.corr()[[0, 1]] - 0.6).abs() < 1e-12);
    }

    /// A bootstrap resample's moments equal those of the rows actually repeated.
    #[test]
    fn counts_equal_repeated_rows() {
        let d = data(Some(array![1.0, 2.0, 0.5, 3.0]));
        let counts = [2u32, 0, 1, 3];
        let rows: Vec<usize> =
            counts.iter().enumerate().flat_map(|(i, &c)| std::iter::repeat_n(i, c as usize)).collect();
        let repeated = ModelData {
            names: d.names.clone(),
            x: d.x.select(&rows),
            y: d.y.select(Axis(0), &rows),
            w: d.w.as_ref().map(|w| w.select(Axis(0), &rows)),
            n_used: rows.len(),
            n_dropped: 0,
            keys: vec![0; rows.len()],
        };
        let a = Rows::new(&d).moments(Some(&counts));
        let b = Moments::from_data(&repeated);
        assert_eq!((a.n, a.rows), (6, 6));
        assert!((&a.cov - &b.cov).iter().all(|v| v.abs() < 1e-12));
        assert!((&a.mean - &b.mean).iter().all(|v| v.abs() < 1e-12));
        assert!((a.n_eff - b.n_eff).abs() < 1e-12);
    }

    /// The one blocked pass gives each cell's replicates the moments of its rows counted
    /// as their keys' Poisson draws say, one pass per replicate; cells add up to everyone.
    #[test]
    fn replicate_sums_equal_each_replicate_counted_alone() {
        let n = 700;
        let x = Array2::from_shape_fn((n, 2), |(i, j)| ((i * 7 + j * 3) % 11) as f64 + 0.1 * j as f64);
        let y = Array1::from_shape_fn(n, |i| ((i * 5) % 9) as f64);
        let w = Array1::from_shape_fn(n, |i| 0.5 + (i % 4) as f64 / 3.0);
        let keys = super::super::replicates::row_keys(0..n);
        let cells: Vec<u32> = (0..n as u32).map(|i| i % 3).collect();
        let x = Matrix::from(x);
        let rows = Rows::from_parts(&x, &y, Some(w.view()));
        let sums = rows.replicate_sums(&keys, &cells, 3, 11, 5);
        let mut all = sums[0].clone();
        all += &sums[1];
        all += &sums[2];
        for (k, m) in all.moments().iter().enumerate() {
            let want = rows.moments(Some(&super::super::replicates::counts(&keys, 11, k)));
            assert_eq!((m.n, m.rows), (want.n, want.rows));
            assert!((&m.cov - &want.cov).iter().all(|v| v.abs() < 1e-10), "replicate {k}");
            assert!((&m.mean - &want.mean).iter().all(|v| v.abs() < 1e-12));
            assert!((m.n_eff - want.n_eff).abs() < 1e-9);
        }
        // One cell alone: its rows' moments with the same draws (others counted 0).
        let c = super::super::replicates::counts(&keys, 11, 2);
        let only: Vec<u32> = c.iter().zip(&cells).map(|(&m, &cell)| if cell == 1 { m } else { 0 }).collect();
        let want = rows.moments(Some(&only));
        assert!((&sums[1].moments()[2].cov - &want.cov).iter().all(|v| v.abs() < 1e-10));
        // Everyone minus a cell is the other cells.
        let rest = &all - &sums[1];
        let mut others = sums[0].clone();
        others += &sums[2];
        assert!((&rest.moments()[4].cov - &others.moments()[4].cov).iter().all(|v| v.abs() < 1e-10));
    }

    /// Weight 0 rows count neither in n nor in the covariance's n − 1.
    #[test]
    fn zero_weight_rows_do_not_count() {
        let with = Moments::from_data(&data(Some(array![1.0, 0.0, 2.0, 1.0])));
        let d = data(None);
        let keep = [0usize, 2, 3];
        let without = Moments::from_data(&ModelData {
            names: d.names.clone(),
            x: d.x.select(&keep),
            y: d.y.select(Axis(0), &keep),
            w: Some(array![1.0, 2.0, 1.0]),
            n_used: 3,
            n_dropped: 0,
            keys: vec![0; 3],
        });
        assert_eq!((with.n, with.rows), (3, 4));
        assert!((&with.cov - &without.cov).iter().all(|v| v.abs() < 1e-12));
    }

    #[test]
    fn integer_weights_equal_repeated_rows_for_the_mean_and_correlation() {
        let m = Moments::from_data(&data(Some(array![2.0, 1.0, 1.0, 1.0])));
        // Repeating row 1: x = 1,1,2,3,4; y = 2,2,1,4,3.
        assert!((m.mean[0] - 11.0 / 5.0).abs() < 1e-12);
        let x = [1.0, 1.0, 2.0, 3.0, 4.0];
        let y = [2.0, 2.0, 1.0, 4.0, 3.0];
        let (mx, my) = (2.2, 2.4);
        let sxy: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
        let sxx: f64 = x.iter().map(|a| (a - mx) * (a - mx)).sum();
        let syy: f64 = y.iter().map(|b| (b - my) * (b - my)).sum();
        assert!((m.corr()[[0, 1]] - sxy / (sxx * syy).sqrt()).abs() < 1e-12);
        // Kish: (Σw)²/Σw² = 5²/7.
        assert!((m.n_eff - 25.0 / 7.0).abs() < 1e-12);
    }
}
