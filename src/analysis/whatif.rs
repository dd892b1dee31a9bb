//! The what-if of one outcome: the survey's scenarios (or each driver +1 alone) through
//! the engine's g-computation on the complete responses, with the drivers' bootstrap
//! resamples for intervals and, given costs, each scenario's headline points per unit of
//! cost (the return a budget is ranked by).

use std::borrow::Cow;

use ndarray::Array1;
use serde::Serialize;

use crate::engine::whatif::{self, Effect, Failure};
use crate::error::Result;
use crate::load::costs::{self, Costs};
use crate::load::Responses;
use crate::schema::outcome::{Outcome, OutcomeKind};
use crate::schema::settings::Survey;
use crate::schema::whatif::{Scenario, WhatIfModel};

/// What `whatif --format json` prints and drivers.json holds under `whatif`.
#[derive(Debug, Clone, Serialize)]
pub struct WhatIf {
    pub model: WhatIfModel,
    /// The outcome column and its headline metric ("NPS", "% satisfied").
    pub outcome: String,
    pub metric: String,
    /// Complete responses the model is fitted on.
    pub n: usize,
    pub baseline: Baseline,
    /// Bootstrap resamples behind the intervals (0: none), those that failed, the seed.
    pub resamples: usize,
    pub failed: usize,
    /// The resamples are one-step fits from the full one (many rows), not refits.
    pub one_step: bool,
    pub seed: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost_unit: Option<String>,
    /// By return (headline points per unit of cost) when costs are given, else by change;
    /// largest first.
    pub scenarios: Vec<ScenarioEffect>,
}

impl WhatIf {
    /// Every scenario is one driver one point higher (the default): the report words them
    /// by driver.
    pub fn plus_one(&self) -> bool {
        self.scenarios.iter().all(|s| s.driver.is_some() && s.shift == "+1")
    }
}

/// The headline of the modelled respondents, observed and as the model predicts it.
#[derive(Debug, Clone, Serialize)]
pub struct Baseline {
    pub observed: f64,
    pub predicted: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ScenarioEffect {
    pub name: String,
    /// The driver a single-driver scenario moves, and its label.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub driver: Option<String>,
    pub label: String,
    /// "+1", ">=7", or the joint shifts ("wait_time+1,quality+1").
    pub shift: String,
    /// The headline's predicted change, in its units.
    pub change: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ci_low: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ci_high: Option<f64>,
    /// Share of respondents (weighted) whose ratings the scenario changes.
    pub moved_share: f64,
    /// Cost per respondent of the scenario: each driver's cost times its mean points moved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost: Option<f64>,
    /// Headline points per unit of cost per respondent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub per_cost: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub per_cost_ci_low: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub per_cost_ci_high: Option<f64>,
}

impl ScenarioEffect {
    /// The interval excludes 0.
    pub fn beyond_noise(&self) -> Option<bool> {
        Some(self.ci_low? > 0.0 || self.ci_high? < 0.0)
    }
}

/// Why an outcome has no what-if.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "why", rename_all = "snake_case")]
pub enum NoWhatIf {
    TooFew { n: usize, min: usize },
    Model(Failure),
}

/// The model an outcome's what-if uses when none is asked for: the logits of its classes
/// for the shares, least squares for the means.
pub fn default_model(outcome: &Outcome) -> WhatIfModel {
    match outcome.kind {
        OutcomeKind::Nps | OutcomeKind::Csat | OutcomeKind::Binary => WhatIfModel::Logits,
        OutcomeKind::Ces | OutcomeKind::Numeric => WhatIfModel::Linear,
    }
}

/// Reads the survey's cost file, if it names one.
pub fn costs_for(survey: &Survey) -> Result<Option<Costs>> {
    survey.whatif.costs.as_deref().map(|p| costs::read(p, survey)).transpose()
}

/// The what-if of `outcome` on the complete responses: `Ok(Err(_))` when the data cannot
/// support it (a note, not a failed run).
pub fn simulate(
    survey: &Survey,
    responses: &Responses,
    outcome: &Outcome,
    costs: Option<&Costs>,
) -> std::result::Result<WhatIf, NoWhatIf> {
    let data = responses.model_data(outcome, None);
    let p = survey.drivers.len();
    if data.n_used < p + 2 {
        return Err(NoWhatIf::TooFew { n: data.n_used, min: p + 2 });
    }
    let model = survey.whatif.model.unwrap_or_else(|| default_model(outcome));
    let columns = survey.driver_columns();
    let scenarios = if survey.whatif.scenarios.is_empty() {
        Scenario::each_plus_one(&columns)
    } else {
        survey.whatif.scenarios.clone()
    };
    // A shift stops at the scale's ends, or at the ratings' own when no scale is given.
    let bounds: Vec<(f64, f64)> = match survey.scale {
        Some(s) => vec![(s.min, s.max); p],
        None => (0..p)
            .map(|j| {
                data.x.column(j).iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| (lo.min(v), hi.max(v)))
            })
            .collect(),
    };
    // The answers as given: the model's outcome itself unless it was turned round.
    let sign = outcome.sign();
    let answers: Cow<[f64]> = if sign == 1.0 {
        Cow::Borrowed(data.y.as_slice().expect("the outcome is contiguous"))
    } else {
        Cow::Owned(data.y.iter().map(|y| y * sign).collect())
    };
    let ones = Array1::ones(data.n_used);
    let w = data.w.as_ref().unwrap_or(&ones);
    let rows = whatif::Rows {
        x: &data.x,
        answers: answers.as_ref(),
        w: w.as_slice().expect("weights are contiguous"),
        bounds: &bounds,
        keys: &data.keys,
    };
    let opts = &survey.options;
    let effects =
        whatif::simulate(model, outcome, &rows, &scenarios, opts.bootstrap, opts.seed).map_err(NoWhatIf::Model)?;
    let mut out: Vec<ScenarioEffect> =
        scenarios.iter().zip(&effects.scenarios).map(|(s, e)| effect(survey, s, e, costs)).collect();
    if costs.is_some() {
        out.sort_by(|a, b| b.per_cost.unwrap_or(f64::NEG_INFINITY).total_cmp(&a.per_cost.unwrap_or(f64::NEG_INFINITY)));
    } else {
        out.sort_by(|a, b| b.change.total_cmp(&a.change));
    }
    Ok(WhatIf {
        model,
        outcome: outcome.column.clone(),
        metric: outcome.metric(),
        n: data.n_used,
        baseline: Baseline { observed: effects.observed, predicted: effects.predicted },
        resamples: opts.bootstrap,
        failed: effects.failed,
        one_step: effects.one_step,
        seed: opts.seed,
        cost_unit: costs.and_then(|c| c.unit.clone()),
        scenarios: out,
    })
}

/// One scenario's figures, with its cost and return when every driver it moves has a cost.
fn effect(survey: &Survey, s: &Scenario, e: &Effect, costs: Option<&Costs>) -> ScenarioEffect {
    let label_of = |column: &str| {
        survey.drivers.iter().find(|d| d.column == column).map_or(column.to_string(), |d| d.label().into())
    };
    let per_point: Option<Vec<f64>> = costs.and_then(|c| s.shifts.iter().map(|t| c.per_point[t.index]).collect());
    let cost_of = |moved: &[f64]| per_point.as_ref().map(|c| c.iter().zip(moved).map(|(c, m)| c * m).sum::<f64>());
    let cost = cost_of(&e.points_moved);
    let ratio = |change: f64, cost: Option<f64>| cost.filter(|&c| c > 0.0).map(|c| change / c);
    let mut returns: Vec<f64> =
        e.resamples.iter().flatten().filter_map(|(change, moved)| ratio(*change, cost_of(moved))).collect();
    let per_cost_ci = (returns.len() >= 2).then(|| crate::engine::bootstrap::percentile_interval(&mut returns));
    let (driver, shift) = match s.driver() {
        Some(one) => (Some(one.driver.clone()), one.change.text()),
        None => {
            (None, s.shifts.iter().map(|t| format!("{}{}", t.driver, t.change.text())).collect::<Vec<_>>().join(","))
        }
    };
    ScenarioEffect {
        name: s.name.clone(),
        label: match s.driver() {
            Some(one) if s.name == format!("{}{}", one.driver, one.change.text()) => {
                format!("{} {}", label_of(&one.driver), one.change.text())
            }
            _ => s.name.clone(),
        },
        driver,
        shift,
        change: e.change,
        ci_low: e.ci.map(|c| c[0]),
        ci_high: e.ci.map(|c| c[1]),
        moved_share: e.moved_share,
        per_cost: ratio(e.change, cost),
        per_cost_ci_low: per_cost_ci.map(|c| c[0]).filter(|_| cost.is_some()),
        per_cost_ci_high: per_cost_ci.map(|c| c[1]).filter(|_| cost.is_some()),
        cost,
    }
}
