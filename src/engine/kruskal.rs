//! Kruskal's (1987) relative importance, as Displayr/Q report it: each driver's squared
//! partial correlation with the target, averaged over all orderings of the drivers.
//! Unlike Shapley values these do not sum to R².

use super::subsets::{mean_over_orderings, Gains};

/// From a walk that collected the partial correlations.
pub fn kruskal(gains: &Gains) -> Vec<f64> {
    gains
        .partial
        .as_ref()
        .expect("the walk was asked for partial correlations")
        .iter()
        .map(|g| mean_over_orderings(g))
        .collect()
}
