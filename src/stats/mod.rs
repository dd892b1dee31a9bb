//! The numeric ground floor: weighted moments in one mergeable pass, pairwise and EM
//! moments for data with gaps, the repair of a matrix that is not positive definite, the
//! Poisson replicates, and the compact rows the fits read ([`Matrix`]). Nothing here
//! knows a file, a column name or a survey.

pub mod matrix;
pub mod moments;
pub mod replicates;

use ndarray::Array1;

pub use matrix::Matrix;
pub use moments::Z95;

/// Complete rows for a linear model (listwise deletion), as matrices. `y` is the outcome
/// oriented so that higher is better (`Outcome::sign`).
pub struct ModelData {
    pub names: Vec<String>,
    /// Drivers, rows × drivers.
    pub x: Matrix,
    pub y: Array1<f64>,
    pub w: Option<Array1<f64>>,
    pub n_used: usize,
    pub n_dropped: usize,
    /// Each row's respondent key ([`replicates::key`]): what its Poisson bootstrap
    /// weights are drawn from.
    pub keys: Vec<u32>,
}

/// Driver columns then the (oriented) outcome, gaps included, and the weights: what pairwise
/// deletion works from.
pub type GappyColumns = (Vec<Vec<Option<f64>>>, Option<Vec<f64>>);
