//! Dominance analysis (Budescu 1993; Azen & Budescu 2003). Conditional dominance: a
//! driver's mean R² gain over subsets of each size. General dominance: the mean of those,
//! which equals the Shapley/LMG value. Complete dominance: i dominates j when i adds more
//! than j to every subset of the other drivers. All three come from the subset walk.

use super::subsets::{mean_over_orderings, Gains};

pub struct Dominance {
    /// `conditional[j][s]`: mean gain of driver j over subsets of size s.
    pub conditional: Vec<Vec<f64>>,
    pub general: Vec<f64>,
    /// `(i, j)`: driver i completely dominates driver j.
    pub complete: Vec<(usize, usize)>,
}

impl Dominance {
    /// From a walk that collected the complete-dominance comparisons.
    pub fn fit(gains: &Gains) -> Dominance {
        Dominance {
            conditional: gains.r2.clone(),
            general: gains.r2.iter().map(|g| mean_over_orderings(g)).collect(),
            complete: gains.complete.clone().expect("the walk was asked for complete dominance"),
        }
    }
}
