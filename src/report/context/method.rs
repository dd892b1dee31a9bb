//! The data and method notes: what was read, what was dropped, how each figure was made.

use super::*;

/// What was read, what was used, and what was left out and why.
#[derive(Serialize)]
pub struct DataView {
    pub ratings_file: String,
    pub ratings_rows: usize,
    pub nps_file: Option<String>,
    pub nps_rows: Option<usize>,
    pub id: Option<String>,
    pub matched: usize,
    pub unmatched_ratings: usize,
    pub unmatched_nps: usize,
    /// Per outcome: respondents without an answer.
    pub outcome_missing: Vec<Count>,
    /// Per driver, most blanks first: respondents without a rating.
    pub driver_missing: Vec<Count>,
    /// Per outcome with a driver model: complete rows used and dropped.
    pub models: Vec<ModelRows>,
    pub weight: Option<String>,
    /// "sampling" or "frequency".
    pub weights_are: &'static str,
    pub zero_weight: usize,
    /// "99, 98", or empty when none were declared.
    pub missing_codes: String,
    /// `None`: not counted (a report from sums).
    pub missing_coded: Option<usize>,
    pub blank_cells: usize,
    /// listwise or pairwise.
    pub missing: String,
    /// Waves and segments too small (or too uniform) to rank, with the outcome.
    pub small_groups: Vec<Unranked>,
    pub notes: Vec<String>,
}

#[derive(Serialize)]
pub struct Count {
    pub label: String,
    pub column: String,
    pub n: usize,
    pub pct: String,
}

#[derive(Serialize)]
pub struct ModelRows {
    pub outcome: String,
    pub used: usize,
    pub dropped: usize,
    pub pct_dropped: String,
}

impl DataView {
    pub(super) fn of(a: &Analysis) -> DataView {
        let (s, l) = (&a.survey, &a.load);
        let of_matched = |n: usize| pct(n as f64 / l.matched.max(1) as f64);
        let count = |label: &str, column: &str, n: usize| Count {
            label: label.to_string(),
            column: column.to_string(),
            n,
            pct: of_matched(n),
        };
        let mut driver_missing: Vec<Count> = s
            .drivers
            .iter()
            .map(|d| count(d.label(), &d.column, l.driver_missing.get(&d.column).copied().unwrap_or(0)))
            .collect();
        driver_missing.sort_by_key(|c| std::cmp::Reverse(c.n));
        let small_groups = a
            .outcomes
            .iter()
            .flat_map(|o| {
                let label = &o.outcome.label;
                let waves = o.groups.waves.iter().map(|w| (w.wave.as_str(), &w.fit));
                let segments = o.groups.segments.values().flatten().map(|g| (g.group.as_str(), &g.fit));
                waves.chain(segments).filter_map(move |(name, fit)| Unranked::of(label, name, fit))
            })
            .collect();
        DataView {
            ratings_file: l.ratings_file.clone(),
            ratings_rows: l.ratings_rows,
            nps_file: l.nps_file.clone(),
            nps_rows: l.nps_rows,
            id: s.id.clone(),
            matched: l.matched,
            unmatched_ratings: l.unmatched_ratings,
            unmatched_nps: l.unmatched_nps,
            outcome_missing: a
                .outcomes
                .iter()
                .map(|o| {
                    let c = &o.outcome.column;
                    count(&o.outcome.label, c, l.outcome_missing.get(c).copied().unwrap_or(0))
                })
                .collect(),
            driver_missing,
            models: a
                .outcomes
                .iter()
                .filter_map(|o| {
                    let d = o.drivers.as_ref()?;
                    Some(ModelRows {
                        outcome: o.outcome.label.clone(),
                        used: d.n_used,
                        dropped: d.n_dropped,
                        pct_dropped: pct(d.n_dropped as f64 / (d.n_used + d.n_dropped).max(1) as f64),
                    })
                })
                .collect(),
            weight: s.weight.clone(),
            weights_are: match s.weights_are {
                WeightsAre::Sampling => "sampling",
                WeightsAre::Frequency => "frequency",
            },
            zero_weight: l.zero_weight,
            missing_codes: s.missing_codes.iter().map(|c| c.to_string()).collect::<Vec<_>>().join(", "),
            missing_coded: l.missing_coded,
            blank_cells: l.blank_cells,
            missing: a
                .outcomes
                .iter()
                .find_map(|o| o.drivers.as_ref())
                .and_then(|d| serde_json::to_value(d.missing).ok()?.as_str().map(String::from))
                .unwrap_or_else(|| "listwise".into()),
            small_groups,
            notes: l.notes.clone(),
        }
    }
}

/// The settings a reader needs to reproduce the report.
#[derive(Serialize)]
pub struct MethodView {
    /// The methods that ran, for the template to name.
    pub methods: Vec<Method>,
    pub rank_by: String,
    pub bootstrap: usize,
    pub wave: Option<String>,
    pub segments: Vec<String>,
    pub has_logits: bool,
}

impl MethodView {
    pub(super) fn of(a: &Analysis) -> MethodView {
        let table = a.outcomes.iter().find_map(|o| o.drivers.as_ref());
        let ran = |m: Method| table.is_some_and(|t| t.drivers.first().is_some_and(|d| ran(m, d, t)));
        let ran_methods = Method::EACH.into_iter().filter(|&m| ran(m)).collect();
        MethodView {
            methods: ran_methods,
            rank_by: table.map_or("shapley", |t| t.rank_by.name()).to_string(),
            bootstrap: table.and_then(|t| t.uncertainty.as_ref()).map_or(0, |u| u.bootstrap.resamples),
            wave: a.survey.wave.clone(),
            segments: a.survey.segments.clone(),
            has_logits: ran(Method::Logit),
        }
    }
}

/// Whether method `m` left its mark on the table.
fn ran(m: Method, d: &Driver, t: &DriverTable) -> bool {
    match m {
        Method::Shapley => d.shapley.is_some(),
        Method::Relweights => d.relative_weight.is_some(),
        Method::Dominance => d.general_dominance.is_some(),
        Method::Kruskal => d.kruskal.is_some(),
        Method::Ols => d.beta.is_some(),
        Method::Corr => d.spearman.is_some(),
        Method::Logit => !t.pseudo_r2.is_empty(),
        Method::All => true,
    }
}
