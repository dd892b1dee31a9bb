//! Weighted means and covariances of the drivers and the target: everything the linear
//! methods need. Computing them once is what makes all-subsets Shapley and the bootstrap
//! cheap: no method goes back to the rows.

use ndarray::{Array1, Array2, Axis};

use crate::load::ModelData;

/// Moments of (drivers…, target); the target is the last variable.
#[derive(Debug, Clone)]
pub struct Moments {
    /// Complete rows behind these moments.
    pub n: usize,
    /// Kish's effective n, (Σw)²/Σw² (n without weights).
    pub n_eff: f64,
    pub mean: Array1<f64>,
    /// Covariance with weights rescaled to sum to n, over n − 1: the usual sample
    /// covariance without weights, and what `lm(weights = w)` implies with them.
    pub cov: Array2<f64>,
}

impl Moments {
    pub fn from_data(d: &ModelData) -> Moments {
        let n = d.y.len();
        let p = d.x.ncols();
        let mut z = Array2::zeros((n, p + 1));
        z.slice_mut(ndarray::s![.., ..p]).assign(&d.x);
        z.column_mut(p).assign(&d.y);
        let w = match &d.w {
            Some(w) => {
                let total: f64 = w.sum();
                w * (n as f64 / total)
            }
            None => Array1::ones(n),
        };
        let sum_w2: f64 = w.iter().map(|v| v * v).sum();
        let mean = z.t().dot(&w) / n as f64;
        let centred = &z - &mean.view().insert_axis(Axis(0));
        let weighted = &centred * &w.view().insert_axis(Axis(1));
        let cov = weighted.t().dot(&centred) / (n as f64 - 1.0);
        Moments { n, n_eff: (n * n) as f64 / sum_w2, mean, cov }
    }

    /// Number of drivers.
    pub fn p(&self) -> usize {
        self.cov.nrows() - 1
    }

    pub fn sd(&self) -> Array1<f64> {
        self.cov.diag().mapv(f64::sqrt)
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

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    fn data(w: Option<Array1<f64>>) -> ModelData {
        ModelData {
            names: vec!["a".into()],
            x: array![[1.0], [2.0], [3.0], [4.0]],
            y: array![2.0, 1.0, 4.0, 3.0],
            w,
            n_used: 4,
            n_dropped: 0,
        }
    }

    #[test]
    fn unweighted_matches_hand_computation() {
        // x̄ = 2.5, ȳ = 2.5; Σ(x−x̄)(y−ȳ) = 3; var x = 5/3; cov = 1; r = 0.6.
        let m = Moments::from_data(&data(None));
        assert!((m.cov[[0, 0]] - 5.0 / 3.0).abs() < 1e-12);
        assert!((m.cov[[0, 1]] - 1.0).abs() < 1e-12);
        assert!((m.corr()[[0, 1]] - 0.6).abs() < 1e-12);
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
