//! Bivariate correlations of each driver with the target: the first thing an analyst
//! looks at, and the baseline the relative-importance methods improve on.

use ndarray::Array2;

/// Pearson correlation of each driver with the target, from the correlation matrix
/// (target last), so that survey weights carry through.
pub fn pearson(corr: &Array2<f64>) -> Vec<f64> {
    let p = corr.nrows() - 1;
    (0..p).map(|j| corr[[j, p]]).collect()
}
