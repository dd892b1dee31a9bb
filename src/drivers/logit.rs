//! Logits of the outcome's classes: logistic regression of "is a promoter (9–10)" and of
//! "is a detractor (0–6)" for NPS, "is satisfied" for CSAT, "reports high effort" for CES,
//! on the raw ratings, reported as odds ratios per one-point rating increase, with
//! McFadden's pseudo-R².
//!
//! Maximum likelihood by Newton–Raphson (IRLS): quadratic convergence, a handful of
//! passes over the rows however many there are (linfa-logistic's L-BFGS needed ~12 s per
//! fit at 700,000 rows and has no sample weights). The engine tests check the fits
//! against linfa-logistic with its penalty switched off.

use linfa_linalg::cholesky::InverseC;
use ndarray::{Array1, Array2};
use rayon::prelude::*;

use crate::load::ModelData;

pub struct Logit {
    pub odds_ratio: Vec<f64>,
    pub pseudo_r2: f64,
}

/// Fits P(class | ratings); `Err` explains why it could not be fitted.
pub fn fit(d: &ModelData, in_class: impl Fn(f64) -> bool) -> Result<Logit, String> {
    let y: Array1<bool> = d.y.mapv(&in_class);
    let positives = y.iter().filter(|&&b| b).count();
    if positives == 0 || positives == y.len() {
        return Err(format!("every complete row is {} the class", if positives == 0 { "outside" } else { "in" }));
    }
    let ones = Array1::ones(y.len());
    let w = d.w.as_ref().unwrap_or(&ones);
    let (intercept, coef) = irls(&d.x, &y.mapv(|b| b as u8 as f64), w)?;
    let eta = d.x.dot(&coef) + intercept;
    let loglik = |prob: &dyn Fn(usize) -> f64| -> f64 {
        (0..y.len())
            .map(|i| {
                let p = prob(i).clamp(1e-15, 1.0 - 1e-15);
                w[i] * if y[i] { p.ln() } else { (1.0 - p).ln() }
            })
            .sum()
    };
    let base = y.iter().zip(w).filter(|(b, _)| **b).map(|(_, w)| w).sum::<f64>() / w.sum();
    let ll = loglik(&|i| 1.0 / (1.0 + (-eta[i]).exp()));
    let ll0 = loglik(&|_| base);
    let odds_ratio = coef.mapv(f64::exp).to_vec();
    if odds_ratio.iter().any(|o| !o.is_finite() || *o == 0.0) {
        return Err("the ratings separate the class perfectly: odds ratios are infinite".into());
    }
    Ok(Logit { odds_ratio, pseudo_r2: 1.0 - ll / ll0 })
}

/// Rows per chunk of a pass: chunks are summed in parallel and added in order, so the
/// fit does not depend on the thread count.
const CHUNK: usize = 16_384;

/// Weighted maximum likelihood by Newton–Raphson. Each step is one pass over the rows
/// that sums the gradient and the upper triangle of the Hessian together, row by row,
/// with nothing allocated per row.
pub fn irls(x: &Array2<f64>, y: &Array1<f64>, w: &Array1<f64>) -> Result<(f64, Array1<f64>), String> {
    let (n, p) = x.dim();
    let k = p + 1;
    // Start from the intercept-only fit: one or two Newton steps fewer.
    let rate = (w * y).sum() / w.sum();
    let mut b: Array1<f64> = Array1::zeros(k);
    if rate > 0.0 && rate < 1.0 {
        b[0] = (rate / (1.0 - rate)).ln();
    }
    let starts: Vec<usize> = (0..n).step_by(CHUNK).collect();
    for _ in 0..100 {
        let pass = |start: usize| {
            let (mut grad, mut hess) = (vec![0.0; k], vec![0.0; k * k]);
            let mut row = vec![1.0; k];
            for i in start..(start + CHUNK).min(n) {
                for (r, v) in row[1..].iter_mut().zip(x.row(i)) {
                    *r = *v;
                }
                let eta: f64 = row.iter().zip(&b).map(|(r, b)| r * b).sum();
                let q = 1.0 / (1.0 + (-eta).exp());
                let (resid, curv) = (w[i] * (y[i] - q), w[i] * q * (1.0 - q));
                for a in 0..k {
                    grad[a] += resid * row[a];
                    let ca = curv * row[a];
                    for (h, r) in hess[a * k + a..(a + 1) * k].iter_mut().zip(&row[a..]) {
                        *h += ca * r;
                    }
                }
            }
            (grad, hess)
        };
        let parts: Vec<(Vec<f64>, Vec<f64>)> = starts.par_iter().map(|&s| pass(s)).collect();
        let mut grad = Array1::zeros(k);
        let mut hessian = Array2::zeros((k, k));
        for (g, h) in parts {
            grad += &Array1::from(g);
            hessian += &Array2::from_shape_vec((k, k), h).expect("k × k");
        }
        for a in 0..k {
            for c in 0..a {
                hessian[[a, c]] = hessian[[c, a]];
            }
        }
        let step = hessian
            .invc()
            .map_err(|_| "the ratings separate the class perfectly or are collinear".to_string())?
            .dot(&grad);
        b += &step;
        if step.iter().all(|s| s.abs() < 1e-10) {
            return Ok((b[0], b.slice(ndarray::s![1..]).to_owned()));
        }
    }
    Err("logistic fit did not converge in 100 Newton steps (perfect separation?)".into())
}
