//! The full linear model from the covariance matrix: standardized betas with standard
//! errors and p-values, unstandardized coefficients and VIFs. With survey weights these equal
//! `lm(weights = w)` on the complete rows (the SE does not depend on the weights' scale).

use linfa_linalg::cholesky::InverseC;
use ndarray::{s, Array2};
use statrs::distribution::{ContinuousCDF, StudentsT};

use crate::moments::Moments;

pub struct Ols {
    /// Standardized betas.
    pub beta: Vec<f64>,
    pub beta_se: Vec<f64>,
    pub beta_p: Vec<f64>,
    /// Unstandardized coefficients (per one-point rating increase) and their SEs.
    pub coef: Vec<f64>,
    pub coef_se: Vec<f64>,
    pub vif: Vec<f64>,
}

impl Ols {
    /// `r2` is the full model's R², which sets the residual variance. `None` when the
    /// drivers are perfectly collinear (the betas are not identified).
    pub fn fit(m: &Moments, corr: &Array2<f64>, r2: f64) -> Option<Ols> {
        let p = m.p();
        let rxx_inv = corr.slice(s![..p, ..p]).to_owned().invc().ok()?;
        if rxx_inv.iter().any(|v| !v.is_finite()) {
            return None;
        }
        let beta = rxx_inv.dot(&corr.slice(s![..p, p]));
        let df = m.n as f64 - p as f64 - 1.0;
        let sd = m.sd();
        let t = StudentsT::new(0.0, 1.0, df).ok()?;
        let vif: Vec<f64> = (0..p).map(|j| rxx_inv[[j, j]]).collect();
        let beta_se: Vec<f64> = vif.iter().map(|v| ((1.0 - r2).max(0.0) / df * v).sqrt()).collect();
        let beta_p = beta
            .iter()
            .zip(&beta_se)
            .map(|(b, se)| if *se > 0.0 { 2.0 * (1.0 - t.cdf((b / se).abs())) } else { 0.0 })
            .collect();
        let scale: Vec<f64> = (0..p).map(|j| if sd[j] > 0.0 { sd[p] / sd[j] } else { 0.0 }).collect();
        let coef: Vec<f64> = (0..p).map(|j| beta[j] * scale[j]).collect();
        Some(Ols {
            coef_se: (0..p).map(|j| beta_se[j] * scale[j]).collect(),
            coef,
            beta: beta.to_vec(),
            beta_se,
            beta_p,
            vif,
        })
    }
}
