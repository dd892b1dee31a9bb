//! What a point is worth: each scenario's predicted change of the headline, with its
//! interval, the customers it moves and, given costs, its return.

use super::*;
use crate::analysis::whatif::{ScenarioEffect, WhatIf};

#[derive(Serialize)]
pub struct WhatIfView {
    /// logits, ordinal or linear.
    pub model: &'static str,
    /// The modelled (complete) responses, their observed headline and the model's.
    pub n: usize,
    pub observed: String,
    pub predicted: String,
    pub resamples: usize,
    pub failed: usize,
    pub one_step: bool,
    /// Every scenario is one driver one point higher (the default).
    pub plus_one: bool,
    /// A cost file was given: the rows are ranked by return.
    pub costs: bool,
    pub unit: Option<String>,
    pub rows: Vec<ScenarioRow>,
    /// The scenario with the largest change, for the headline.
    pub best: Option<ScenarioRow>,
}

#[derive(Clone, Serialize)]
pub struct ScenarioRow {
    pub label: String,
    /// The driver's label, for a single-driver scenario.
    pub driver: Option<String>,
    /// "+1", ">=7", or the joint shifts.
    pub shift: String,
    pub change: String,
    pub ci: Option<Span>,
    pub beyond_noise: Option<bool>,
    /// Share of customers whose ratings it changes: "93.2%".
    pub moved: String,
    pub cost: Option<String>,
    pub per_cost: Option<String>,
    pub per_cost_ci: Option<Span>,
}

impl WhatIfView {
    pub(super) fn of(a: &Analysis, out: &Outcome, w: &WhatIf) -> WhatIfView {
        let label_of =
            |column: &str| a.survey.drivers.iter().find(|d| d.column == column).map(|d| d.label().to_string());
        let row = |s: &ScenarioEffect| ScenarioRow {
            label: s.label.clone(),
            driver: s.driver.as_deref().and_then(label_of),
            shift: s.shift.clone(),
            change: out.delta(s.change),
            ci: s.ci_low.zip(s.ci_high).map(|(l, h)| Span { low: out.delta(l), high: out.delta(h) }),
            beyond_noise: s.beyond_noise(),
            moved: pct(s.moved_share),
            cost: s.cost.map(|c| format!("{c:.2}")),
            per_cost: s.per_cost.map(|r| format!("{r:+.2}")),
            per_cost_ci: s
                .per_cost_ci_low
                .zip(s.per_cost_ci_high)
                .map(|(l, h)| Span { low: format!("{l:+.2}"), high: format!("{h:+.2}") }),
        };
        let best = w.scenarios.iter().max_by(|x, y| (out.sign() * x.change).total_cmp(&(out.sign() * y.change)));
        WhatIfView {
            model: w.model.name(),
            n: w.n,
            observed: out.headline_value(w.baseline.observed),
            predicted: out.headline_value(w.baseline.predicted),
            resamples: w.resamples,
            failed: w.failed,
            one_step: w.one_step,
            plus_one: w.plus_one(),
            costs: w.scenarios.iter().any(|s| s.cost.is_some()),
            unit: w.cost_unit.clone(),
            rows: w.scenarios.iter().map(row).collect(),
            best: best.map(row),
        }
    }
}
