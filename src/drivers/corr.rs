//! Bivariate correlations of each driver with the target: the first thing an analyst
//! looks at, and the baseline the relative-importance methods improve on.

use ndarray::{Array1, Array2};

use crate::load::ModelData;
use crate::moments::Moments;

/// Pearson correlation of each driver with the target, from the correlation matrix
/// (target last), so that survey weights carry through.
pub fn pearson(corr: &Array2<f64>) -> Vec<f64> {
    let p = corr.nrows() - 1;
    (0..p).map(|j| corr[[j, p]]).collect()
}

/// Spearman correlation: Pearson on mid-ranks (ties share the average rank), weighted
/// like everything else.
pub fn spearman(d: &ModelData) -> Vec<f64> {
    let mut ranked = ModelData {
        names: d.names.clone(),
        x: Array2::zeros(d.x.raw_dim()),
        y: ranks(&d.y.to_vec()),
        w: d.w.clone(),
        n_used: d.n_used,
        n_dropped: d.n_dropped,
    };
    for (j, col) in d.x.columns().into_iter().enumerate() {
        ranked.x.column_mut(j).assign(&ranks(&col.to_vec()));
    }
    pearson(&Moments::from_data(&ranked).corr())
}

/// Mid-ranks: for whole numbers in a short range (ratings, 0–10 answers) by counting each
/// value, in one pass; otherwise by sorting.
fn ranks(v: &[f64]) -> Array1<f64> {
    const SPAN: f64 = 1024.0;
    let (lo, hi) = v.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| (a.min(x), b.max(x)));
    if hi - lo < SPAN && v.iter().all(|x| x.fract() == 0.0) {
        let mut count = vec![0usize; (hi - lo) as usize + 1];
        for &x in v {
            count[(x - lo) as usize] += 1;
        }
        // Values below a value's ties, plus the middle of its ties.
        let mut below = 0;
        let mid: Vec<f64> = count
            .iter()
            .map(|&c| {
                let m = below as f64 + (c as f64 + 1.0) / 2.0;
                below += c;
                m
            })
            .collect();
        return v.iter().map(|&x| mid[(x - lo) as usize]).collect();
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
    #[test]
    fn ties_get_the_mid_rank() {
        // Counted (whole numbers) and sorted (a fraction sends it down that path) alike.
        assert_eq!(super::ranks(&[3.0, 1.0, 3.0, 2.0]).to_vec(), vec![3.5, 1.0, 3.5, 2.0]);
        assert_eq!(super::ranks(&[3.0, 1.5, 3.0, 2.0]).to_vec(), vec![3.5, 1.0, 3.5, 2.0]);
        assert_eq!(super::ranks(&[7.0, 7.0, 7.0]).to_vec(), vec![2.0, 2.0, 2.0]);
    }
}
