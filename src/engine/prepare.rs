//! Step one of a fit: moments → a correlation matrix the estimators can trust, with what
//! was found on the way (constant drivers, collinear drivers, a repaired pairwise matrix),
//! or a typed reason why no model can be fitted. The full fit, every bootstrap resample
//! and (later) every wave and segment come through here, so a failure is a value the
//! caller turns into a note, never a panic.

use ndarray::Array2;

use super::{subsets, NonPd};
pub use crate::error::ModelError;
use crate::stats::moments::{self, Moments, PD_TOL};

/// A checked correlation matrix and the moments behind it.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub moments: Moments,
    /// (p+1)×(p+1), target last; positive definite unless drivers are collinear.
    pub corr: Array2<f64>,
    /// Drivers with no variance in the rows used: importance 0.
    pub constant: Vec<usize>,
    /// Drivers that are exact linear combinations of earlier ones.
    pub redundant: Vec<usize>,
    /// A pairwise matrix was replaced by the nearest correlation matrix.
    pub repaired: bool,
}

impl Prepared {
    pub fn p(&self) -> usize {
        self.corr.nrows() - 1
    }

    /// Betas, VIFs and logits are identified only without perfect collinearity.
    pub fn identified(&self) -> bool {
        self.redundant.is_empty()
    }
}

/// Checks `m` (from complete rows, or pairwise when `pairwise`) and builds the matrix.
/// `names` and `target` only word the errors.
pub fn prepare(
    m: Moments,
    pairwise: bool,
    non_pd: NonPd,
    names: &[&str],
    target: &str,
) -> Result<Prepared, ModelError> {
    let p = m.p();
    if m.n == 0 && m.rows > 0 {
        return Err(ModelError::ZeroWeight { rows: m.rows });
    }
    if m.n < p + 2 {
        let kind = if pairwise { "pairwise-complete" } else { "complete" };
        return Err(ModelError::TooFewRows { n: m.n, p, kind });
    }
    let sd = m.sd();
    if !varies(sd[p]) {
        return Err(ModelError::ConstantTarget { target: target.to_string() });
    }
    let constant: Vec<usize> = (0..p).filter(|&j| !varies(sd[j])).collect();
    if constant.len() == p {
        return Err(ModelError::AllDriversConstant { drivers: list(names, &constant) });
    }
    let mut corr = m.corr();
    let mut repaired = false;
    if pairwise && moments::min_eigenvalue(&corr) <= PD_TOL {
        if non_pd == NonPd::Refuse {
            return Err(ModelError::NotPositiveDefinite);
        }
        corr = moments::nearest_correlation(&corr);
        repaired = true;
    }
    let redundant = subsets::redundant(&corr).into_iter().filter(|j| !constant.contains(j)).collect();
    Ok(Prepared { moments: m, corr, constant, redundant, repaired })
}

/// A standard deviation that is positive (not zero, not NaN from zero weight).
fn varies(sd: f64) -> bool {
    sd > 0.0
}

/// Driver names for a message: "a, b, c".
pub fn list(names: &[&str], idx: &[usize]) -> String {
    idx.iter().map(|&j| names[j]).collect::<Vec<_>>().join(", ")
}
