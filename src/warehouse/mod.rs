//! Where the rows stay put: the moments file (per-group sums, as `keydriver moments`
//! writes and a warehouse returns), the SQL that computes it, Poisson replicates and the
//! streaming one-pass scan.

pub mod moments_file;
pub mod replicates;
pub mod scan;
pub mod sql;
