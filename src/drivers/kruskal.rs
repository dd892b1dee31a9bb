//! Kruskal's (1987) relative importance, as Displayr/Q report it: each driver's squared
//! partial correlation with the target, averaged over all orderings of the drivers.
//! Unlike Shapley values these do not sum to R².

use super::subsets::{mean_over_orderings, SubsetTable};

pub fn kruskal(table: &SubsetTable) -> Vec<f64> {
    table.partial_gains().iter().map(|g| mean_over_orderings(g)).collect()
}
