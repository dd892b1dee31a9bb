//! What the engine found on the way, as values with their numbers, never as sentences:
//! the report's words (`report::words` in English, a team's template in its own language)
//! say them, and a caller can tell one from another.

use serde::Serialize;

use crate::error::ModelError;
use crate::schema::choices::{Method, Missing, RankBy};

/// One note on a driver table. Serialised with its `kind` and numbers for a template; the
/// JSON files carry its English sentence ([`as_text`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Note {
    /// Effort is better when lower: correlations, betas and coefficients are signed by
    /// less effort.
    EffortSigned,
    /// Drivers with no variance in the rows used: importance 0.
    Constant {
        drivers: Vec<String>,
    },
    /// A pairwise matrix that was not positive definite, replaced by the nearest
    /// correlation matrix.
    Repaired,
    /// Drivers that are exact combinations of others: betas, SEs, VIFs and logits left out.
    Collinear {
        drivers: Vec<String>,
    },
    /// Too few complete rows for Spearman correlations.
    SpearmanSkipped {
        rows: usize,
    },
    /// A fit from moments: the methods asked for that need the rows were skipped.
    NeedsRows {
        methods: Vec<Method>,
    },
    /// A weighted fit from moments: the betas' standard errors are model-based.
    ModelBasedFromMoments,
    /// Sampling weights with gaps handled by `missing`: the betas' standard errors are
    /// model-based, design-based ones needing complete rows.
    ModelBasedWithGaps {
        missing: Missing,
    },
    /// The eigen-decomposition behind relative weights failed.
    RelweightsFailed,
    /// Dominance and Kruskal's measure need every subset: skipped beyond `max_exact`.
    SubsetsSkipped {
        drivers: usize,
        max_exact: usize,
    },
    /// No logit could be fitted: collinear drivers or too few complete rows.
    LogitsSkipped {
        classes: Vec<&'static str>,
    },
    LogitFailed {
        class: &'static str,
        why: LogitFailure,
    },
    /// The ranking key asked for could not be computed on these data.
    RankedInstead {
        asked: RankBy,
        by: RankBy,
    },
    /// Intervals from a moments file's Poisson replicates.
    Replicates {
        count: usize,
    },
    /// Each resample estimates sampled Shapley values from at most `orderings` orderings.
    SampledResamples {
        orderings: usize,
    },
    /// Resamples that could not be fitted, left out of the intervals.
    ResamplesFailed {
        failed: usize,
        of: usize,
        example: ResampleFailure,
    },
    /// No resample could be fitted: no intervals.
    NoResampleFitted {
        of: usize,
        example: ResampleFailure,
    },
    /// The bootstrap resamples Shapley values and relative weights, and neither was run.
    NothingToResample,
    /// Listwise deletion left out more than a fifth of the respondents; `worst`: the
    /// drivers skipped most, with their blanks.
    ListwiseCost {
        dropped: usize,
        of: usize,
        worst: Vec<(String, usize)>,
    },
}

/// Why a logit was not fitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LogitFailure {
    NoneInClass,
    AllInClass,
    /// The ratings separate the class perfectly: odds ratios are infinite.
    Separated,
    /// The Hessian is singular: separation, or collinear ratings.
    SeparatedOrCollinear,
    NoConvergence,
}

/// Why a bootstrap resample could not be fitted.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum ResampleFailure {
    Model { error: ModelError },
    Numerical,
}

/// Serialises a value by its words, as [`as_text`].
pub fn as_text_opt<S: serde::Serializer, T: std::fmt::Display>(value: &Option<T>, s: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(v) => s.collect_str(v),
        None => s.serialize_none(),
    }
}

/// Serialises values by their words (`Display`): the JSON's notes are sentences.
pub fn as_text<S: serde::Serializer, T: std::fmt::Display>(values: &[T], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(values.iter().map(|v| v.to_string()))
}
