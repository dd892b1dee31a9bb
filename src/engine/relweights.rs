//! Johnson's (2000) relative weights: regress the target on the orthogonal counterpart
//! Z = R^{1/2} of the drivers (the orthogonal variables closest to them), then split each
//! Z's share back onto the drivers in proportion to the squared loadings. The weights sum
//! to R². Eigenvalues that vanish (perfectly collinear drivers) are left out of R^{1/2}'s
//! inverse, so collinear twins share their weight instead of producing NaN.

use linfa_linalg::eigh::Eigh;
use ndarray::{s, Array1, Array2};

const EIGEN_TOL: f64 = 1e-10;

/// `None` only when the eigen-decomposition fails to converge.
pub fn relative_weights(corr: &Array2<f64>) -> Option<Vec<f64>> {
    let p = corr.nrows() - 1;
    let rxx = corr.slice(s![..p, ..p]);
    let rxy = corr.slice(s![..p, p]);
    let (vals, vecs) = rxx.eigh().ok()?;
    let sqrt_vals: Array1<f64> = vals.mapv(|v| v.max(0.0).sqrt());
    // Λ = V diag(√λ) Vᵀ (the loadings) and β = V diag(1/√λ) Vᵀ r_xy.
    let lambda: Array2<f64> = vecs.dot(&Array2::from_diag(&sqrt_vals)).dot(&vecs.t());
    let inv_sqrt = sqrt_vals.mapv(|v| if v * v > EIGEN_TOL { 1.0 / v } else { 0.0 });
    let beta: Array1<f64> = vecs.dot(&Array2::from_diag(&inv_sqrt)).dot(&vecs.t()).dot(&rxy);
    Some((0..p).map(|j| (0..p).map(|k| lambda[[j, k]].powi(2) * beta[k].powi(2)).sum()).collect())
}
