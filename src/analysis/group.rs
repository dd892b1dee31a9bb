//! The groups the pipeline fits (everyone, a wave, a segment level, the rest of the sample
//! beside a level) and why a group can have no ranking of its own. Every group draws its
//! bootstrap weights from the same seed: a respondent's weights are its own, so groups of
//! different respondents are independent, and a rest of the sample is everyone minus the
//! level replicate by replicate.

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
