//! The driver table: one row per driver, with intervals, ties and direction notes.

use super::*;

/// The pooled driver table, every method side by side.
#[derive(Serialize)]
pub struct DriversView {
    pub target: String,
    pub r2: String,
    pub adj_r2: String,
    pub n_used: usize,
    pub n_dropped: usize,
    /// Respondents behind the correlation matrix (all with an answer, under EM).
    pub matrix_rows: usize,
    /// listwise, pairwise or em.
    pub missing: String,
    pub rank_by: &'static str,
    /// The first logit class ("promoter", "satisfied", "high effort"), when there is one.
    pub class: Option<String>,
    pub bootstrap: Option<BootstrapView>,
    pub rows: Vec<DriverRow>,
    pub shapley_method: Option<Said>,
    pub complete_dominance: Option<Vec<[String; 2]>>,
    /// Drivers whose direction is not plainly positive, explained.
    pub not_positive: Vec<DirectionNote>,
    pub notes: Vec<Said>,
}

#[derive(Serialize)]
pub struct BootstrapView {
    pub resamples: usize,
    pub seed: u64,
    pub failed: usize,
    /// "Shapley value" or "relative weight".
    pub ranked_by: &'static str,
}

#[derive(Serialize)]
pub struct DriverRow {
    pub rank: usize,
    pub label: String,
    pub share: String,
    pub share_ci: String,
    pub p_top: String,
    pub rank_range: String,
    pub tie_group: String,
    pub shapley: String,
    pub relative_weight: String,
    pub beta: String,
    pub p: String,
    pub corr: String,
    pub odds_ratio: String,
    pub mean_rating: String,
    /// positive, negative or mixed.
    pub direction: &'static str,
    pub suppressor: bool,
}

#[derive(Serialize)]
pub struct DirectionNote {
    pub label: String,
    pub corr: String,
    pub beta: String,
    pub direction: &'static str,
    pub suppressor: bool,
}

impl DriversView {
    pub(super) fn of(out: &Outcome, d: &DriverTable) -> DriversView {
        let num = |v: Option<f64>, digits: usize| v.map_or("—".to_string(), |x| format!("{x:.digits$}"));
        // The odds-ratio column only when the logits ran (not from sums, nor --method without them).
        let class =
            out.classes().first().map(|c| c.name).filter(|c| d.drivers.iter().any(|x| x.odds_ratio(c).is_some()));
        let find = |n: &str| d.drivers.iter().find(|x| x.name == n);
        let label = |n: &str| find(n).map_or(n.to_string(), |x| x.label.clone());
        DriversView {
            target: d.target.clone(),
            r2: format!("{:.3}", d.r2),
            adj_r2: format!("{:.3}", d.adj_r2),
            n_used: d.n_used,
            n_dropped: d.n_dropped,
            matrix_rows: d.rows_used.get("correlation_matrix").copied().unwrap_or(d.n_used),
            missing: serde_json::to_value(d.missing)
                .ok()
                .and_then(|v| v.as_str().map(String::from))
                .unwrap_or_default(),
            rank_by: d.rank_by.name(),
            class: class.map(|c| c.replace('_', " ")),
            bootstrap: d.uncertainty.as_ref().map(|u| BootstrapView {
                resamples: u.bootstrap.resamples,
                seed: u.bootstrap.seed,
                failed: u.bootstrap.failed,
                ranked_by: u.bootstrap.ranked_by.name(),
            }),
            rows: d
                .drivers
                .iter()
                .map(|x| DriverRow {
                    rank: x.rank,
                    label: x.label.clone(),
                    share: x.shapley_share.map_or("—".into(), pct),
                    share_ci: share_ci(x).unwrap_or_else(|| "—".into()),
                    p_top: x.p_rank1.map_or("—".into(), pct),
                    rank_range: x.rank_ci.map_or("—".to_string(), |[l, h]| {
                        if l == h {
                            l.to_string()
                        } else {
                            format!("{l}–{h}")
                        }
                    }),
                    tie_group: x.tie_group.clone().unwrap_or_else(|| "—".into()),
                    shapley: num(x.shapley, 4),
                    relative_weight: num(x.relative_weight, 4),
                    beta: num(x.beta, 3),
                    p: x.beta_p.map_or("—".to_string(), p_value),
                    corr: format!("{:.3}", x.corr),
                    odds_ratio: class.map_or(String::new(), |c| num(x.odds_ratio(c), 2)),
                    mean_rating: format!("{:.2}", x.mean_rating),
                    direction: x.direction,
                    suppressor: is_suppressor(x),
                })
                .collect(),
            shapley_method: d.shapley_method.as_ref().map(Said::of),
            complete_dominance: d.complete_dominance.as_ref().map(|pairs| {
                let mut pairs = pairs.clone();
                pairs.sort_by_key(|[a, b]| (find(a).map(|x| x.rank), find(b).map(|x| x.rank)));
                pairs.iter().map(|[a, b]| [label(a), label(b)]).collect()
            }),
            not_positive: d
                .drivers
                .iter()
                .filter(|x| x.direction != "positive")
                .map(|x| DirectionNote {
                    label: x.label.clone(),
                    corr: format!("{:.3}", x.corr),
                    beta: num(x.beta, 3),
                    direction: x.direction,
                    suppressor: is_suppressor(x),
                })
                .collect(),
            notes: d.method_notes.iter().map(Said::of).collect(),
        }
    }
}
