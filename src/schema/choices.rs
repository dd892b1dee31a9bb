//! The analysis's choices as enums, checked once when the settings are read: which
//! methods run, how gaps enter the model, what a non-positive-definite matrix gets, what the
//! table is ranked by.

use serde::{Deserialize, Serialize};

/// `--method`: which methods to run (correlations and R² always are).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum Method {
    All,
    Shapley,
    Relweights,
    Dominance,
    Kruskal,
    Ols,
    Corr,
    Logit,
}

impl Method {
    /// Every method `All` stands for.
    pub const EACH: [Method; 7] = [
        Method::Shapley,
        Method::Relweights,
        Method::Dominance,
        Method::Kruskal,
        Method::Ols,
        Method::Corr,
        Method::Logit,
    ];

    /// Whether the method needs the respondents' rows, not only their moments: Spearman
    /// correlations rank the rows and the logits maximise a likelihood over them. The one
    /// place that says so: a moments file or a streamed pass skips exactly these.
    pub fn needs_rows(self) -> bool {
        matches!(self, Method::Corr | Method::Logit)
    }
}

/// `--missing`: how rows with gaps enter the correlation matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum Missing {
    /// Only rows with the target and every driver.
    Listwise,
    /// Each correlation from every row that has both variables.
    Pairwise,
    /// Means and covariance by maximum likelihood under missing-at-random (EM), from
    /// every row with any answer.
    Em,
}

/// `--non-pd`: what to do with a pairwise matrix that is not positive definite.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum NonPd {
    /// Replace it by the nearest correlation matrix, with a warning.
    Repair,
    /// Stop with an error.
    Refuse,
}

/// `--rank-by`: the driver field the table is sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[serde(rename_all = "snake_case")]
pub enum RankBy {
    Shapley,
    #[cfg_attr(feature = "cli", value(name = "relative_weight", alias = "relweights"))]
    #[serde(alias = "relweights")]
    RelativeWeight,
    Kruskal,
    Beta,
    Corr,
    Spearman,
}

impl RankBy {
    /// The method that computes this field (the Pearson correlation always is).
    pub fn method(self) -> Option<Method> {
        match self {
            RankBy::Shapley => Some(Method::Shapley),
            RankBy::Kruskal => Some(Method::Kruskal),
            RankBy::RelativeWeight => Some(Method::Relweights),
            RankBy::Beta => Some(Method::Ols),
            RankBy::Spearman => Some(Method::Corr),
            RankBy::Corr => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            RankBy::Shapley => "shapley",
            RankBy::RelativeWeight => "relative_weight",
            RankBy::Kruskal => "kruskal",
            RankBy::Beta => "beta",
            RankBy::Corr => "corr",
            RankBy::Spearman => "spearman",
        }
    }
}
