//! The groups the pipeline fits (everyone, a wave, a segment level, the rest of the sample
//! beside a level), the random stream each one draws from, and why a group can have no
//! ranking of its own.

use serde::Serialize;

use crate::error::ModelError;

/// A group of respondents the engine runs on.
#[derive(Debug, Clone, Copy)]
pub enum Group<'a> {
    All,
    Wave {
        column: &'a str,
        label: &'a str,
    },
    Segment {
        column: &'a str,
        level: &'a str,
    },
    /// Everyone outside a segment level: what the level is compared with.
    Rest {
        column: &'a str,
        level: &'a str,
    },
}

impl Group<'_> {
    /// The group's own random stream: the run's seed mixed with the group's name, so
    /// groups are independent of each other, of the order they finish in and of where
    /// their moments were computed.
    pub fn seed(&self, seed: u64) -> u64 {
        match self {
            Group::All => seed,
            Group::Wave { label, .. } => group_seed(seed, label),
            Group::Segment { column, level } => group_seed(seed, &format!("{column}={level}")),
            Group::Rest { column, level } => group_seed(seed, &format!("{column}!={level}")),
        }
    }
}

/// The run's seed mixed with a name (FNV-1a).
fn group_seed(seed: u64, name: &str) -> u64 {
    name.bytes().fold(seed ^ 0xcbf2_9ce4_8422_2325, |h, b| (h ^ b as u64).wrapping_mul(0x0100_0000_01b3))
}

/// Why a group has no driver table of its own.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum NoRanking {
    /// Fewer complete responses than a group's ranking needs (`min_group_n`).
    TooFew {
        n: usize,
        min: usize,
    },
    /// The respondents without a value in the group's column.
    NoValue,
    Model(ModelError),
}

/// Where intervals come from, which decides how a missing one is explained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Intervals {
    /// Resampled rows (`bootstrap` resamples, 0 for none).
    Bootstrap(usize),
    /// A moments file's Poisson replicates (0 when it has none).
    Replicates(usize),
}

impl Intervals {
    pub fn any(self) -> bool {
        matches!(self, Intervals::Bootstrap(b) | Intervals::Replicates(b) if b > 0)
    }
}
