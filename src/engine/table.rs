//! What a fit returns: one row per driver, a field per method, and the table's notes.

use super::*;

/// How the betas' standard errors were computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StandardErrors {
    /// Unweighted ordinary least squares.
    Ols,
    /// `lm(weights = w)`: weights as frequency/precision weights.
    WeightedLm,
    /// Linearization (sandwich), as `survey::svyglm`: weights as sampling weights.
    DesignBased,
}

/// One driver's results. Field names are the `drivers --format json` contract: later
/// versions add fields, never rename these. Methods not run are left out.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Driver {
    pub name: String,
    pub label: String,
    /// 1 = most important.
    pub rank: usize,
    /// Pearson correlation with the outcome (for effort, with less effort: see `Outcome::sign`).
    pub corr: f64,
    /// "positive", "negative" or "mixed": the signs of the correlation and the beta. A
    /// driver whose higher rating goes with a worse outcome is flagged, not hidden in a share.
    pub direction: &'static str,
    /// Mean rating (weighted) in the rows behind the correlation matrix: the driver's
    /// performance, across from its importance in the report's quadrant.
    pub mean_rating: f64,
    /// Standard error of `mean_rating`, √(variance / Kish's n_eff): whether two drivers'
    /// performance differs beyond noise.
    pub mean_rating_se: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spearman: Option<f64>,
    /// Shapley value / LMG in R² units; the drivers' values sum to `r2`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shapley: Option<f64>,
    /// Bootstrap percentile 95% interval of `shapley`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ci_low: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ci_high: Option<f64>,
    /// Shapley value as a share of R² (sums to 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shapley_share: Option<f64>,
    /// Bootstrap percentile 95% interval of `shapley_share`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub share_ci_low: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub share_ci_high: Option<f64>,
    /// Monte-Carlo SE of `shapley` when it was sampled rather than exact.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shapley_se: Option<f64>,
    /// Johnson's relative weight in R² units (sums to `r2`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub relative_weight: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub relative_weight_ci_low: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub relative_weight_ci_high: Option<f64>,
    /// Share of bootstrap resamples in which this driver ranks first / in the top three.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p_rank1: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p_top3: Option<f64>,
    /// [2.5%, 97.5%] percentiles of its rank over the resamples.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rank_ci: Option<[usize; 2]>,
    /// Letters of `tie_groups`: drivers sharing a letter are not distinguishable at 95%.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tie_group: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kruskal: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub general_dominance: Option<f64>,
    /// Mean R² gain over subsets of 0, 1, …, p−1 other drivers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conditional_dominance: Option<Vec<f64>>,
    /// Standardized beta and its SE and two-sided p-value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub beta: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub beta_se: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub beta_p: Option<f64>,
    /// Unstandardized coefficient (score points per rating point) and its SE.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coef: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coef_se: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vif: Option<f64>,
    /// Odds ratio of each of the outcome's classes per one-point rating increase:
    /// `promoter_odds_ratio` (9–10) and `detractor_odds_ratio` (0–6) for NPS,
    /// `satisfied_odds_ratio` for CSAT, `high_effort_odds_ratio` for CES.
    #[serde(flatten)]
    pub odds_ratios: BTreeMap<String, f64>,
}

impl DriverTable {
    /// The drivers' average mean rating: the performance line of the importance–performance
    /// matrix, against which [`Driver::rated_as`] is judged.
    pub fn average_rating(&self) -> f64 {
        self.drivers.iter().map(|x| x.mean_rating).sum::<f64>() / self.drivers.len().max(1) as f64
    }
}

impl Driver {
    /// The value of the field the table can be ranked by.
    pub fn field(&self, by: RankBy) -> Option<f64> {
        match by {
            RankBy::Shapley => self.shapley,
            RankBy::RelativeWeight => self.relative_weight,
            RankBy::Kruskal => self.kruskal,
            RankBy::Beta => self.beta,
            RankBy::Corr => Some(self.corr),
            RankBy::Spearman => self.spearman,
        }
    }

    /// The 95% interval of the mean rating.
    pub fn rating_ci(&self) -> (f64, f64) {
        let half = moments::Z95 * self.mean_rating_se;
        (self.mean_rating - half, self.mean_rating + half)
    }

    /// Whether the driver's mean rating is indistinguishable from `average` (the drivers'
    /// average rating): `average` lies in its 95% interval. Such a driver is neither well
    /// nor badly rated, "on the line" of the importance–performance matrix.
    pub fn rated_as(&self, average: f64) -> bool {
        let (lo, hi) = self.rating_ci();
        lo <= average && average <= hi
    }

    /// The odds ratio of class `name` ("promoter", "satisfied", …), if fitted.
    pub fn odds_ratio(&self, name: &str) -> Option<f64> {
        self.odds_ratios.get(&format!("{name}_odds_ratio")).copied()
    }
}

/// The driver analysis of one outcome.
#[derive(Debug, Clone, Serialize)]
pub struct DriverTable {
    /// The outcome column and its kind.
    pub target: String,
    pub outcome: OutcomeKind,
    /// Complete rows (target and every driver present).
    pub n_used: usize,
    pub n_dropped: usize,
    /// R² of the full linear model.
    pub r2: f64,
    pub adj_r2: f64,
    pub missing: Missing,
    /// "as computed", or "repaired" when a pairwise matrix was replaced by the nearest
    /// positive definite correlation matrix.
    pub correlation_matrix: &'static str,
    /// Rows behind each part: the correlation matrix (with pairwise deletion, the
    /// smallest pairwise count) and the row-based methods.
    pub rows_used: BTreeMap<&'static str, usize>,
    /// The field the ranking is by.
    pub rank_by: RankBy,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub standard_errors: Option<StandardErrors>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[serde(serialize_with = "super::notes::as_text_opt")]
    pub shapley_method: Option<ShapleyMethod>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub complete_dominance: Option<Vec<[String; 2]>>,
    /// McFadden's pseudo-R² of each logit: `promoter_pseudo_r2`, `satisfied_pseudo_r2`, ….
    #[serde(flatten)]
    pub pseudo_r2: BTreeMap<String, f64>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub uncertainty: Option<Uncertainty>,
    /// Warnings and explanations a reader of the numbers needs.
    #[serde(serialize_with = "super::notes::as_text")]
    pub method_notes: Vec<Note>,
    /// Sorted by rank.
    pub drivers: Vec<Driver>,
    /// Pearson correlations between the drivers, rows and columns in the order of
    /// `drivers`: which ratings move together and so share importance.
    pub driver_correlations: Vec<Vec<f64>>,
}

/// How the Shapley values were computed.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ShapleyMethod {
    /// Every one of the 2^p subsets.
    Exact { subsets: u64 },
    /// From random orderings, seeded; until every SE is at most `tolerance`, when given.
    Sampled { orderings: usize, seed: u64, tolerance: Option<f64> },
}
