//! The proportional-odds logit (McCullagh 1980), as R's `MASS::polr`: for an answer with
//! ordered categories 1…K and ratings x,
//!
//!   logit P(answer ≤ k | x) = ζ_k − x·β,   k = 1…K−1,
//!
//! one slope per rating shared by every cut. Maximum likelihood by Newton–Raphson on
//! (ζ, β) with the analytic Hessian and step halving: the log-likelihood is concave
//! (Pratt 1981), so from the no-slope fit each step that raises it brings the cuts
//! nearer their order at the maximum. Only the categories that occur are modelled, as
//! `polr` does with `factor()` of the observed answers.

use linfa_linalg::cholesky::InverseC;
use ndarray::{s, Array1, Array2, ArrayView1};

use super::notes::LogitFailure;
use crate::stats::moments::blocks;
use crate::stats::Matrix;

/// A fitted model: the cuts ζ (K−1, increasing) and the slopes β.
#[derive(Debug, Clone)]
pub struct Ordinal {
    pub cuts: Vec<f64>,
    pub beta: Array1<f64>,
}

fn logistic(t: f64) -> f64 {
    1.0 / (1.0 + (-t).exp())
}

impl Ordinal {
    /// The categories' probabilities at linear predictor `eta` = x·β.
    pub fn probabilities(&self, eta: f64, out: &mut [f64]) {
        let mut below = 0.0;
        for (k, p) in out.iter_mut().enumerate() {
            let at = self.cuts.get(k).map_or(1.0, |z| logistic(z - eta));
            *p = at - below;
            below = at;
        }
    }

    /// (ζ, β) as one vector, cuts first.
    fn theta(&self) -> Array1<f64> {
        self.cuts.iter().chain(&self.beta).copied().collect()
    }

    /// One row's score, ∂ log P(answer | x) / ∂(ζ, β), for an answer in `category`, as
    /// [`derivatives`] sums it (unweighted), written to `out`.
    pub fn score(&self, x: ArrayView1<f64>, category: usize, out: &mut [f64]) {
        let k = self.cuts.len() + 1;
        let eta = x.dot(&self.beta);
        let a = self.cuts.get(category).map_or(f64::INFINITY, |z| z - eta);
        let b = if category > 0 { self.cuts[category - 1] - eta } else { f64::NEG_INFINITY };
        let (fa_cdf, fb_cdf) = (logistic(a), logistic(b));
        let pr = fa_cdf - fb_cdf;
        let (fa, fb) = (fa_cdf * (1.0 - fa_cdf), fb_cdf * (1.0 - fb_cdf));
        out.fill(0.0);
        if category < k - 1 {
            out[category] = fa / pr;
        }
        if category > 0 {
            out[category - 1] = -fb / pr;
        }
        for (o, x) in out[k - 1..].iter_mut().zip(x) {
            *o = -x * (fa - fb) / pr;
        }
    }

    /// The information at the fit, −∂² log-likelihood / ∂(ζ, β)², of rows `x` with
    /// answers in `category`, weighted by `w`.
    pub fn information(&self, x: &Matrix, category: &[usize], w: &[f64]) -> Array2<f64> {
        -derivatives(x, category, self.cuts.len() + 1, w, &self.theta()).1
    }
}

/// Fits the model to rows `x` whose answers fall in `category` (0…k−1, each occurring),
/// weighted by `w`; from `start` when given (a resample starts from the full fit).
pub fn fit(
    x: &Matrix,
    category: &[usize],
    k: usize,
    w: &[f64],
    start: Option<&Ordinal>,
) -> Result<Ordinal, LogitFailure> {
    let p = x.ncols();
    if k < 2 {
        return Err(LogitFailure::AllInClass);
    }
    let mut theta = start.map_or_else(|| no_slopes(category, k, w, p), Ordinal::theta);
    let mut ll = loglik(x, category, k, w, &theta);
    for _ in 0..200 {
        let (grad, hessian) = derivatives(x, category, k, w, &theta);
        let inverse = (-hessian).invc().map_err(|_| LogitFailure::SeparatedOrCollinear)?;
        let step = inverse.dot(&grad);
        let mut t = 1.0;
        let (next, next_ll) = loop {
            let candidate = &theta + &(&step * t);
            let ordered = candidate.slice(s![..k - 1]).windows(2).into_iter().all(|z| z[0] < z[1]);
            let l = if ordered { loglik(x, category, k, w, &candidate) } else { f64::NEG_INFINITY };
            if l.is_finite() && l >= ll - 1e-12 * ll.abs() {
                break (candidate, l);
            }
            t /= 2.0;
            if t < 1e-10 {
                return Err(LogitFailure::NoConvergence);
            }
        };
        let largest = step.iter().fold(0.0_f64, |m, s| m.max((s * t).abs()));
        (theta, ll) = (next, next_ll);
        if largest < 1e-10 {
            let beta = theta.slice(s![k - 1..]).to_owned();
            if beta.iter().any(|b| !b.is_finite()) {
                return Err(LogitFailure::Separated);
            }
            return Ok(Ordinal { cuts: theta.slice(s![..k - 1]).to_vec(), beta });
        }
    }
    Err(LogitFailure::NoConvergence)
}

/// The fit without slopes: each cut the log-odds of the (weighted) share at or below it.
fn no_slopes(category: &[usize], k: usize, w: &[f64], p: usize) -> Array1<f64> {
    let mut mass = vec![0.0; k];
    for (&c, &w) in category.iter().zip(w) {
        mass[c] += w;
    }
    let total: f64 = mass.iter().sum();
    let mut below = 0.0;
    let mut theta = Array1::zeros(k - 1 + p);
    for j in 0..k - 1 {
        below += mass[j];
        let share = (below / total).clamp(1e-6, 1.0 - 1e-6);
        theta[j] = (share / (1.0 - share)).ln();
    }
    theta
}

/// The answer's category bounds for row `i`: (ζ_c − η, ζ_{c−1} − η), ±∞ at the ends.
fn bounds(theta: &Array1<f64>, k: usize, c: usize, eta: f64) -> (f64, f64) {
    let upper = if c < k - 1 { theta[c] - eta } else { f64::INFINITY };
    let lower = if c > 0 { theta[c - 1] - eta } else { f64::NEG_INFINITY };
    (upper, lower)
}

/// log P(answer | x) summed over the rows, weighted.
fn loglik(x: &Matrix, category: &[usize], k: usize, w: &[f64], theta: &Array1<f64>) -> f64 {
    let beta = theta.slice(s![k - 1..]);
    blocks(
        x.nrows(),
        || (),
        |rows, _| {
            let block = x.block(rows.clone());
            let etas = block.dot(&beta);
            rows.zip(etas)
                .map(|(i, eta)| {
                    let (a, b) = bounds(theta, k, category[i], eta);
                    let pr = logistic(a) - logistic(b);
                    if w[i] == 0.0 {
                        0.0
                    } else {
                        w[i] * pr.ln()
                    }
                })
                .sum::<f64>()
        },
    )
    .into_iter()
    .sum()
}

/// The log-likelihood's gradient and Hessian in (ζ, β). With F the logistic CDF, f = F′
/// and f′ = f(1 − 2F), a row in category c has P = F(a) − F(b), a = ζ_c − η, b = ζ_{c−1} − η:
/// ∂/∂ζ_c = f(a)/P, ∂/∂ζ_{c−1} = −f(b)/P, ∂/∂β = −x (f(a) − f(b))/P, and the second
/// derivatives follow by the quotient rule.
fn derivatives(x: &Matrix, category: &[usize], k: usize, w: &[f64], theta: &Array1<f64>) -> (Array1<f64>, Array2<f64>) {
    let p = x.ncols();
    let q = k - 1 + p;
    let beta = theta.slice(s![k - 1..]);
    let parts = blocks(
        x.nrows(),
        || (),
        |rows, _| {
            let mut g = Array1::<f64>::zeros(q);
            let mut h = Array2::<f64>::zeros((q, q));
            let block = x.block(rows.clone());
            for (i, xi) in rows.zip(block.rows()) {
                if w[i] == 0.0 {
                    continue;
                }
                let c = category[i];
                let (a, b) = bounds(theta, k, c, xi.dot(&beta));
                let (fa_cdf, fb_cdf) = (logistic(a), logistic(b));
                let pr = fa_cdf - fb_cdf;
                let fa = fa_cdf * (1.0 - fa_cdf);
                let fb = fb_cdf * (1.0 - fb_cdf);
                let da = fa * (1.0 - 2.0 * fa_cdf);
                let db = fb * (1.0 - 2.0 * fb_cdf);
                let wi = w[i];
                let diff = fa - fb;
                // The β parts.
                let gb = -wi * diff / pr;
                let hbb = wi * ((da - db) / pr - diff * diff / (pr * pr));
                for (j, xj) in xi.iter().enumerate() {
                    g[k - 1 + j] += gb * xj;
                    for (l, xl) in xi.iter().enumerate().take(j + 1) {
                        h[[k - 1 + j, k - 1 + l]] += hbb * xj * xl;
                    }
                }
                if c < k - 1 {
                    g[c] += wi * fa / pr;
                    h[[c, c]] += wi * (da / pr - fa * fa / (pr * pr));
                    let cross = wi * (-da / pr + fa * diff / (pr * pr));
                    for (j, xj) in xi.iter().enumerate() {
                        h[[k - 1 + j, c]] += cross * xj;
                    }
                }
                if c > 0 {
                    g[c - 1] -= wi * fb / pr;
                    h[[c - 1, c - 1]] += wi * (-db / pr - fb * fb / (pr * pr));
                    let cross = wi * (db / pr - fb * diff / (pr * pr));
                    for (j, xj) in xi.iter().enumerate() {
                        h[[k - 1 + j, c - 1]] += cross * xj;
                    }
                }
                if c > 0 && c < k - 1 {
                    h[[c, c - 1]] += wi * fa * fb / (pr * pr);
                }
            }
            (g, h)
        },
    );
    let mut grad = Array1::zeros(q);
    let mut hessian = Array2::zeros((q, q));
    for (g, h) in parts {
        grad += &g;
        hessian += &h;
    }
    // Only the lower triangle was summed (the cuts come before the slopes).
    for r in 0..q {
        for c in r + 1..q {
            hessian[[r, c]] = hessian[[c, r]];
        }
    }
    (grad, hessian)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    /// Answers 0…4 from a latent logistic model with known cuts and slopes.
    fn rows(n: usize) -> (Array2<f64>, Vec<usize>, Vec<f64>) {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        let x = Array2::from_shape_fn((n, 2), |_| rng.gen_range(1..=10) as f64);
        let cuts = [1.0, 2.5, 3.5, 5.0];
        let c = (0..n)
            .map(|i| {
                let u: f64 = rng.gen_range(1e-9..1.0);
                let latent = 0.4 * x[[i, 0]] + 0.2 * x[[i, 1]] + (u / (1.0 - u)).ln();
                cuts.iter().filter(|&&z| latent > z).count()
            })
            .collect();
        (x, c, vec![1.0; n])
    }

    #[test]
    fn the_maximum_solves_the_likelihood_equations_and_finds_the_truth() {
        let (x, c, w) = rows(20_000);
        let x = Matrix::from(x);
        let fit = fit(&x, &c, 5, &w, None).unwrap();
        let theta: Array1<f64> = fit.cuts.iter().copied().chain(fit.beta.iter().copied()).collect();
        let (g, _) = derivatives(&x, &c, 5, &w, &theta);
        assert!(g.iter().all(|g| g.abs() < 1e-6), "{g}");
        assert!((fit.beta[0] - 0.4).abs() < 0.03 && (fit.beta[1] - 0.2).abs() < 0.03, "{:?}", fit.beta);
        // The analytic Hessian against differences of the gradient.
        let (_, h) = derivatives(&x, &c, 5, &w, &theta);
        for j in 0..theta.len() {
            let mut up = theta.clone();
            up[j] += 1e-6;
            let (gu, _) = derivatives(&x, &c, 5, &w, &up);
            for i in 0..theta.len() {
                let numeric = (gu[i] - g[i]) / 1e-6;
                assert!(
                    (numeric - h[[i, j]]).abs() < 1e-3 * (1.0 + h[[i, j]].abs()),
                    "{i},{j}: {numeric} vs {}",
                    h[[i, j]]
                );
            }
        }
        // Probabilities add up to one.
        let mut pr = [0.0; 5];
        fit.probabilities(3.0, &mut pr);
        assert!((pr.iter().sum::<f64>() - 1.0).abs() < 1e-12 && pr.iter().all(|&p| p > 0.0));
    }

    #[test]
    fn two_categories_are_the_logit() {
        let (x, c, w) = rows(5_000);
        let x = Matrix::from(x);
        let two: Vec<usize> = c.iter().map(|&c| usize::from(c >= 3)).collect();
        let ord = fit(&x, &two, 2, &w, None).unwrap();
        let y: Vec<f64> = two.iter().map(|&c| c as f64).collect();
        let logit = super::super::logit::irls(&x, &y, Some(&w)).unwrap();
        // logit P(high) = −ζ + xβ.
        assert!((ord.cuts[0] + logit[0]).abs() < 1e-7, "{} {}", ord.cuts[0], logit[0]);
        assert!((ord.beta[0] - logit[1]).abs() < 1e-7 && (ord.beta[1] - logit[2]).abs() < 1e-7);
    }
}
