//! Where the rows stay put: the moments file (per-group sums, as `keydriver moments`
//! writes and a warehouse returns), the SQL that computes it (its Poisson replicates
//! drawn as [`crate::stats::replicates`] draws them) and the streaming one-pass scan.

pub mod moments_file;
pub mod scan;
pub mod sql;
