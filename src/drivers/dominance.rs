//! Dominance analysis (Budescu 1993; Azen & Budescu 2003). Conditional dominance: a
//! driver's mean R² gain over subsets of each size. General dominance: the mean of those,
//! which equals the Shapley/LMG value. Complete dominance: i dominates j when i adds more
//! than j to every subset of the other drivers.

use super::subsets::{mean_over_orderings, Gains, SubsetTable};

/// Two gains closer than this are a tie: neither driver dominates on that subset.
const TIE: f64 = 1e-12;

pub struct Dominance {
    /// `conditional[j][s]`: mean gain of driver j over subsets of size s.
    pub conditional: Vec<Vec<f64>>,
    pub general: Vec<f64>,
    /// `(i, j)`: driver i completely dominates driver j.
    pub complete: Vec<(usize, usize)>,
}

impl Dominance {
    pub fn fit(table: &SubsetTable, gains: &Gains) -> Dominance {
        Dominance {
            conditional: gains.r2.clone(),
            general: gains.r2.iter().map(|g| mean_over_orderings(g)).collect(),
            complete: complete(table),
        }
    }
}

fn complete(table: &SubsetTable) -> Vec<(usize, usize)> {
    use rayon::prelude::*;
    let p = table.p;
    let pairs: Vec<(usize, usize)> = (0..p).flat_map(|i| (i + 1..p).map(move |j| (i, j))).collect();
    pairs
        .into_par_iter()
        .filter_map(|(i, j)| {
            let (bi, bj) = (1usize << i, 1usize << j);
            let (mut i_wins, mut j_wins) = (true, true);
            for mask in (0..1usize << p).filter(|m| m & (bi | bj) == 0) {
                let d = table.r2[mask | bi] - table.r2[mask | bj];
                i_wins &= d > TIE;
                j_wins &= d < -TIE;
                if !i_wins && !j_wins {
                    return None;
                }
            }
            Some(if i_wins { (i, j) } else { (j, i) })
        })
        .collect()
}
