//! The full linear model from the covariance matrix: standardized betas with standard
//! errors and p-values, unstandardized coefficients and VIFs.
//!
//! Standard errors come one of two ways. Model-based, as `lm(weights = w)` (or plain `lm`
//! without weights): σ²(XᵀWX)⁻¹, which needs only the moments. Design-based, for survey
//! (sampling) weights, as R's `survey::svyglm` with `svydesign(ids = ~1, weights = ~w)`:
//! the linearization (sandwich) estimator A⁻¹BA⁻¹ with A = XᵀWX and
//! B = n/(n−1) Σ wᵢ²eᵢ²xᵢxᵢᵀ (Binder 1983; Lumley 2010, ch. 5), which needs the residuals and
//! so the rows. Both use t tests on n − p − 1 degrees of freedom, as R does.

use linfa_linalg::cholesky::InverseC;
use ndarray::{s, Array1, Array2, Axis};
use statrs::distribution::{ContinuousCDF, StudentsT};

use crate::load::ModelData;
use crate::stats::moments::{blocks, weighted_cross, Moments, BLOCK};

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
    /// `r2` is the full model's R², which sets the residual variance; `design` holds the
    /// rows for design-based SEs (`None`: model-based). `None` when the drivers are
    /// perfectly collinear (the betas are not identified).
    pub fn fit(m: &Moments, corr: &Array2<f64>, r2: f64, design: Option<&ModelData>) -> Option<Ols> {
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
        // Coefficient units per standardized unit: score SD over rating SD.
        let scale: Vec<f64> = (0..p).map(|j| if sd[j] > 0.0 { sd[p] / sd[j] } else { 0.0 }).collect();
        let coef: Vec<f64> = (0..p).map(|j| beta[j] * scale[j]).collect();
        let mut beta_se: Vec<f64> = vif.iter().map(|v| ((1.0 - r2).max(0.0) / df * v).sqrt()).collect();
        if let Some(rows) = design {
            let se = sandwich_se(rows, m, &coef)?;
            for j in (0..p).filter(|&j| scale[j] > 0.0) {
                beta_se[j] = se[j] / scale[j];
            }
        }
        let beta_p = beta
            .iter()
            .zip(&beta_se)
            .map(|(b, se)| if *se > 0.0 { 2.0 * (1.0 - t.cdf((b / se).abs())) } else { 0.0 })
            .collect();
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

/// Design-based SEs of the unstandardized slopes. With the intercept placed at the
/// weighted means, XᵀWX is block-diagonal, so the slopes' block of A⁻¹BA⁻¹ needs only the
/// centred drivers. Drivers with no variance are left out (their coefficient is 0).
fn sandwich_se(d: &ModelData, m: &Moments, coef: &[f64]) -> Option<Vec<f64>> {
    let p = coef.len();
    let w = d.w.as_ref()?;
    let sd = m.sd();
    let used: Vec<usize> = (0..p).filter(|&j| sd[j] > 0.0).collect();
    let k = used.len();
    if k == 0 {
        return Some(vec![0.0; p]);
    }
    let mean = m.mean.select(Axis(0), &used);
    let slopes = Array1::from_iter(used.iter().map(|&j| coef[j]));
    // Block by block, with x̃ the centred drivers in use and e the residual: Σ w x̃x̃ᵀ (A)
    // and Σ (w e)² x̃x̃ᵀ (B before its n/(n−1)).
    let parts = blocks(
        d.n_used,
        || Array2::zeros((BLOCK, k)),
        |rows, scratch| {
            let block = d.x.block(rows.clone());
            let x = Array2::from_shape_fn((block.nrows(), k), |(i, c)| block[[i, used[c]]] - mean[c]);
            let resid = &d.y.slice(s![rows.clone()]) - m.mean[p] - x.dot(&slopes);
            let w = w.slice(s![rows]);
            let u2 = (&w * &resid).mapv(|u| u * u);
            (weighted_cross(x.view(), w, scratch), weighted_cross(x.view(), u2.view(), scratch))
        },
    );
    let (mut a, mut b) = (Array2::zeros((k, k)), Array2::zeros((k, k)));
    for (pa, pb) in parts {
        a += &pa;
        b += &pb;
    }
    let bread = a.invc().ok()?;
    let n = w.iter().filter(|&&v| v > 0.0).count() as f64;
    let meat = b * (n / (n - 1.0));
    let cov = bread.dot(&meat).dot(&bread);
    let mut se = vec![0.0; p];
    for (k, &j) in used.iter().enumerate() {
        se[j] = cov[[k, k]].max(0.0).sqrt();
    }
    Some(se)
}
