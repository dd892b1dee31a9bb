//! Bivariate correlations of each driver with the target: the first thing an analyst
//! looks at, and the baseline the relative-importance methods improve on.

use ndarray::{Array1, Array2};

use crate::load::ModelData;
use crate::stats::moments::{Moments, BLOCK};
use crate::stats::Matrix;

/// Pearson correlation of each driver with the target, from the correlation matrix
/// (target last), so that survey weights carry through.
pub fn pearson(corr: &Array2<f64>) -> Vec<f64> {
    let p = corr.nrows() - 1;
    (0..p).map(|j| corr[[j, p]]).collect()
}

/// Spearman correlation: Pearson on mid-ranks (ties share the average rank), weighted
/// like everything else.
pub fn spearman(d: &ModelData) -> Vec<f64> {
    match (Span::columns(&d.x), Span::of(d.y.iter())) {
        (Some(x), Some(y)) => tabulated(d, &x, y),
        _ => ranked(d),
    }
}

/// Ranks every column, then the weighted Pearson correlations of the ranks.
fn ranked(d: &ModelData) -> Vec<f64> {
    let mut x = Array2::zeros(d.x.dim());
    for j in 0..x.ncols() {
        x.column_mut(j).assign(&ranks(&d.x.column(j)));
    }
    let ranked = ModelData {
        names: d.names.clone(),
        x: x.into(),
        y: ranks(&d.y.to_vec()),
        w: d.w.clone(),
        n_used: d.n_used,
        n_dropped: d.n_dropped,
        keys: d.keys.clone(),
    };
    pearson(&Moments::from_data(&ranked).corr())
}

/// The values of a column of whole numbers in a short range (ratings, 0–10 answers): the
/// lowest and how many slots from it to the highest.
#[derive(Clone, Copy)]
struct Span {
    low: f64,
    slots: usize,
}

impl Span {
    const MAX: usize = 1024;

    fn of<'a>(values: impl Iterator<Item = &'a f64> + Clone) -> Option<Span> {
        let (lo, hi) = values.clone().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| (a.min(x), b.max(x)));
        Span::new(lo, hi, values.into_iter().all(|x| x.fract() == 0.0))
    }

    /// Every column's span, in one pass over the rows.
    fn columns(x: &Matrix) -> Option<Vec<Span>> {
        let (n, p) = x.dim();
        let (mut lo, mut hi, mut whole) = (vec![f64::INFINITY; p], vec![f64::NEG_INFINITY; p], true);
        for start in (0..n).step_by(BLOCK) {
            let rows = x.block(start..(start + BLOCK).min(n));
            for row in rows.as_slice().expect("standard layout").chunks_exact(p) {
                for ((&v, lo), hi) in row.iter().zip(&mut lo).zip(&mut hi) {
                    *lo = lo.min(v);
                    *hi = hi.max(v);
                    whole &= v.fract() == 0.0;
                }
            }
        }
        (0..p).map(|j| Span::new(lo[j], hi[j], whole)).collect()
    }

    fn new(lo: f64, hi: f64, whole: bool) -> Option<Span> {
        (whole && hi - lo < Self::MAX as f64).then(|| Span { low: lo, slots: (hi - lo) as usize + 1 })
    }

    fn slot(&self, x: f64) -> usize {
        (x - self.low) as usize
    }
}

/// The same correlations for whole-number columns without ranking a row: one pass adds
/// each row's weight to its cell of a (driver value × outcome value) table per driver and
/// counts each value; the mid-ranks come from the counts, and the weighted moments of the
/// ranks from the tables.
fn tabulated(d: &ModelData, x: &[Span], y: Span) -> Vec<f64> {
    let mut tables: Vec<Vec<f64>> = x.iter().map(|s| vec![0.0; s.slots * y.slots]).collect();
    let mut counts: Vec<Vec<usize>> = x.iter().map(|s| vec![0; s.slots]).collect();
    let mut y_counts = vec![0; y.slots];
    let n = d.x.nrows();
    for start in (0..n).step_by(BLOCK) {
        let block = d.x.block(start..(start + BLOCK).min(n));
        let rows = block.as_slice().expect("standard layout").chunks_exact(x.len());
        for (i, row) in (start..).zip(rows) {
            let b = y.slot(d.y[i]);
            let w = d.w.as_ref().map_or(1.0, |w| w[i]);
            y_counts[b] += 1;
            for (((&v, span), table), counts) in row.iter().zip(x).zip(&mut tables).zip(&mut counts) {
                let a = span.slot(v);
                table[a * y.slots + b] += w;
                counts[a] += 1;
            }
        }
    }
    let y_ranks = mid_ranks(&y_counts);
    tables
        .iter()
        .zip(&counts)
        .map(|(table, counts)| {
            let x_ranks = mid_ranks(counts);
            let cells = || table.iter().enumerate().map(|(c, &w)| (w, x_ranks[c / y.slots], y_ranks[c % y.slots]));
            let total: f64 = table.iter().sum();
            let mx = cells().map(|(w, rx, _)| w * rx).sum::<f64>() / total;
            let my = cells().map(|(w, _, ry)| w * ry).sum::<f64>() / total;
            let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
            for (w, rx, ry) in cells() {
                sxy += w * (rx - mx) * (ry - my);
                sxx += w * (rx - mx) * (rx - mx);
                syy += w * (ry - my) * (ry - my);
            }
            if sxx > 0.0 && syy > 0.0 {
                sxy / (sxx * syy).sqrt()
            } else {
                0.0
            }
        })
        .collect()
}

/// Each value's mid-rank from the counts of the values in order: the values below it,
/// plus the middle of its ties.
fn mid_ranks(counts: &[usize]) -> Vec<f64> {
    let mut below = 0;
    counts
        .iter()
        .map(|&c| {
            let m = below as f64 + (c as f64 + 1.0) / 2.0;
            below += c;
            m
        })
        .collect()
}

/// Mid-ranks: for whole numbers in a short range (ratings, 0–10 answers) by counting each
/// value, in one pass; otherwise by sorting.
fn ranks(v: &[f64]) -> Array1<f64> {
    if let Some(span) = Span::of(v.iter()) {
        let mut count = vec![0; span.slots];
        for &x in v {
            count[span.slot(x)] += 1;
        }
        let mid = mid_ranks(&count);
        return v.iter().map(|&x| mid[span.slot(x)]).collect();
    }
    let mut idx: Vec<usize> = (0..v.len()).collect();
    idx.sort_by(|&a, &b| v[a].total_cmp(&v[b]));
    let mut out = Array1::zeros(v.len());
    let mut i = 0;
    while i < idx.len() {
        let mut k = i;
        while k + 1 < idx.len() && v[idx[k + 1]] == v[idx[i]] {
            k += 1;
        }
        let mid = (i + k) as f64 / 2.0 + 1.0;
        for &r in &idx[i..=k] {
            out[r] = mid;
        }
        i = k + 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use ndarray::{Array1, Array2};

    use crate::load::ModelData;
    use crate::stats::Matrix;

    #[test]
    fn tables_give_the_correlations_of_ranked_rows() {
        // Ratings 1–5 with ties, a constant driver, a 0–10 outcome and uneven weights:
        // the one-pass tables equal ranking every row, to rounding, the ratings held as
        // 64-bit numbers or as bytes.
        let n = 500;
        let hash = |i: usize, j: usize| ((i * 2654435761 + j * 40503) >> 7) % 97;
        let x = Array2::from_shape_fn((n, 3), |(i, j)| if j == 2 { 3.0 } else { 1.0 + (hash(i, j) % 5) as f64 });
        let y: Array1<f64> =
            (0..n).map(|i| ((x[[i, 0]] * 2.0 + (hash(i, 9) % 3) as f64) as usize % 11) as f64).collect();
        let w: Array1<f64> = (0..n).map(|i| 0.5 + (hash(i, 4) % 4) as f64).collect();
        let held = [Matrix::from(x.clone()), Matrix::Bytes(x.mapv(|v| v as u8))];
        for (x, w) in held.iter().flat_map(|x| [(x, None), (x, Some(w.clone()))]) {
            let x = x.clone();
            let d = ModelData { names: vec![], x, y: y.clone(), w, n_used: n, n_dropped: 0, keys: vec![0; n] };
            let fast = super::spearman(&d);
            let slow = super::ranked(&d);
            assert!(fast[0].abs() > 0.3, "{fast:?}");
            assert_eq!(fast[2], 0.0);
            for (a, b) in fast.iter().zip(&slow) {
                assert!((a - b).abs() < 1e-12, "{fast:?} against {slow:?}");
            }
        }
    }

    #[test]
    fn ties_get_the_mid_rank() {
        // Counted (whole numbers) and sorted (a fraction sends it down that path) alike.
        assert_eq!(super::ranks(&[3.0, 1.0, 3.0, 2.0]).to_vec(), vec![3.5, 1.0, 3.5, 2.0]);
        assert_eq!(super::ranks(&[3.0, 1.5, 3.0, 2.0]).to_vec(), vec![3.5, 1.0, 3.5, 2.0]);
        assert_eq!(super::ranks(&[7.0, 7.0, 7.0]).to_vec(), vec![2.0, 2.0, 2.0]);
    }
}
