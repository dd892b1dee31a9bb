//! What-if scenarios as written (`--scenario wait_time+1,quality>=7`, `[[whatif.scenarios]]`)
//! and as checked against the survey's drivers and scale: each a list of shifts, each
//! shift one driver moved by a number of points or raised to a floor, never past the
//! scale's ends.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// `--model` of `whatif`: what predicts each respondent's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum WhatIfModel {
    /// A logit per class of the outcome on the drivers' main effects: promoters (9–10)
    /// and detractors (0–6) for NPS, the positive class for CSAT and binary outcomes.
    Logits,
    /// A proportional-odds logit of the answer over its scale (as R's `MASS::polr`).
    Ordinal,
    /// Least squares of the coded answer (the headline is its mean).
    Linear,
}

impl WhatIfModel {
    pub fn name(self) -> &'static str {
        match self {
            WhatIfModel::Logits => "logits",
            WhatIfModel::Ordinal => "ordinal",
            WhatIfModel::Linear => "linear",
        }
    }
}

/// How the what-if runs: `[whatif]` in survey.toml, flags of `whatif` and `report`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[cfg_attr(feature = "cli", derive(clap::Args))]
#[serde(deny_unknown_fields)]
pub struct WhatIfSettings {
    /// What-if model [default: logits for NPS, CSAT and binary outcomes, linear for CES
    /// and numeric ones].
    #[cfg_attr(feature = "cli", arg(long, value_enum))]
    pub model: Option<WhatIfModel>,
    /// A scenario: `wait_time+1` (everyone one point higher, capped at the scale's top),
    /// `wait_time>=7` (everyone below 7 raised to 7), or several joined by commas
    /// (`wait_time+1,quality+1`); repeat the flag for more [default: each driver +1 alone].
    #[serde(default)]
    #[cfg_attr(feature = "cli", arg(long = "scenario", value_name = "SHIFTS"))]
    pub scenarios: Vec<ScenarioSpec>,
    /// CSV of what improving a driver costs: `driver`, `cost` (per respondent moved one
    /// point) and optionally `unit` (e.g. EUR); the what-if then ranks scenarios by NPS
    /// points per unit of cost, and the report's "Where to act" by return.
    #[cfg_attr(feature = "cli", arg(long, value_name = "FILE"))]
    pub costs: Option<PathBuf>,
}

impl WhatIfSettings {
    pub fn merge(self, over: WhatIfSettings) -> WhatIfSettings {
        WhatIfSettings {
            model: over.model.or(self.model),
            scenarios: if over.scenarios.is_empty() { self.scenarios } else { over.scenarios },
            costs: over.costs.or(self.costs),
        }
    }
}

/// One scenario as written: a name (by default its shifts) and its shifts.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioSpec {
    /// What the report calls it [default: the shifts as written].
    pub name: Option<String>,
    /// `wait_time+1`, `wait_time>=7`, or several joined by commas.
    pub shift: String,
}

/// `--scenario wait_time+1,quality+1`.
impl std::str::FromStr for ScenarioSpec {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<ScenarioSpec, Self::Err> {
        Ok(ScenarioSpec { name: None, shift: s.to_string() })
    }
}

/// A checked scenario: every respondent's ratings changed by its shifts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scenario {
    pub name: String,
    pub shifts: Vec<Shift>,
}

/// One driver's change.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Shift {
    pub driver: String,
    /// The driver's index among the survey's drivers.
    #[serde(skip)]
    pub index: usize,
    pub change: Change,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// Every rating moved by this many points (may be negative), kept within the scale.
    By(f64),
    /// Every rating below this raised to it.
    AtLeast(f64),
}

impl Change {
    /// A rating `x` under the change, on a scale from `min` to `max`.
    pub fn apply(self, x: f64, (min, max): (f64, f64)) -> f64 {
        match self {
            Change::By(d) => (x + d).clamp(min.min(x), max.max(x)),
            Change::AtLeast(t) => x.max(t),
        }
    }

    /// As written: "+1", ">=7".
    pub fn text(self) -> String {
        match self {
            Change::By(d) => format!("{d:+}"),
            Change::AtLeast(t) => format!(">={t}"),
        }
    }
}

impl ScenarioSpec {
    /// Checks the shifts against the drivers (`columns`, in order) and their `scale`.
    pub fn resolve(&self, columns: &[&str], scale: Option<(f64, f64)>) -> Result<Scenario, String> {
        let mut shifts: Vec<Shift> = Vec::new();
        for part in self.shift.split(',').map(str::trim) {
            let bad = |why: &str| {
                format!("scenario \"{}\": \"{part}\" {why}; write driver+1, driver-1 or driver>=7", self.shift)
            };
            let (driver, change) = if let Some((d, t)) = part.split_once(">=") {
                (d, t.trim().parse().ok().filter(|t: &f64| t.is_finite()).map(Change::AtLeast))
            } else if let Some(at) = part.rfind(['+', '-']).filter(|&at| at > 0) {
                let (d, n) = part.split_at(at);
                (d, n.trim().parse().ok().filter(|n: &f64| n.is_finite()).map(Change::By))
            } else {
                return Err(bad("has no shift"));
            };
            let driver = driver.trim();
            let change = change.ok_or_else(|| bad("has no number after the shift"))?;
            let index = columns
                .iter()
                .position(|c| *c == driver)
                .ok_or_else(|| bad(&format!("names no driver (the drivers are {})", columns.join(", "))))?;
            if let (Change::AtLeast(t), Some((min, max))) = (change, scale) {
                if !(min..=max).contains(&t) {
                    return Err(bad(&format!("is outside the rating scale {min}–{max}")));
                }
            }
            if shifts.iter().any(|s| s.index == index) {
                return Err(bad("shifts a driver twice"));
            }
            shifts.push(Shift { driver: driver.to_string(), index, change });
        }
        Ok(Scenario { name: self.name.clone().unwrap_or_else(|| self.shift.replace(' ', "")), shifts })
    }
}

impl Scenario {
    /// The default: each driver alone, one point higher.
    pub fn each_plus_one(columns: &[&str]) -> Vec<Scenario> {
        columns
            .iter()
            .enumerate()
            .map(|(index, c)| Scenario {
                name: format!("{c}+1"),
                shifts: vec![Shift { driver: c.to_string(), index, change: Change::By(1.0) }],
            })
            .collect()
    }

    /// The one driver a single-driver scenario moves.
    pub fn driver(&self) -> Option<&Shift> {
        match self.shifts.as_slice() {
            [one] => Some(one),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(s: &str) -> ScenarioSpec {
        s.parse().unwrap()
    }

    #[test]
    fn shifts_are_read_as_written() {
        let cols = ["wait_time", "quality"];
        let s = spec("wait_time+1, quality>=7").resolve(&cols, Some((1.0, 10.0))).unwrap();
        assert_eq!(s.name, "wait_time+1,quality>=7");
        assert_eq!(s.shifts[0].change, Change::By(1.0));
        assert_eq!((s.shifts[1].index, s.shifts[1].change), (1, Change::AtLeast(7.0)));
        assert_eq!(spec("quality-0.5").resolve(&cols, None).unwrap().shifts[0].change, Change::By(-0.5));
        for (bad, says) in [
            ("speed+1", "names no driver"),
            ("quality", "has no shift"),
            ("quality+x", "no number"),
            ("quality>=11", "outside the rating scale"),
            ("quality+1,quality>=3", "twice"),
        ] {
            let e = spec(bad).resolve(&cols, Some((1.0, 10.0))).unwrap_err();
            assert!(e.contains(says), "{bad}: {e}");
        }
    }

    #[test]
    fn a_shift_stays_within_the_scale() {
        let s = (1.0, 10.0);
        assert_eq!(Change::By(1.0).apply(10.0, s), 10.0);
        assert_eq!(Change::By(1.0).apply(9.5, s), 10.0);
        assert_eq!(Change::By(-2.0).apply(2.0, s), 1.0);
        assert_eq!(Change::AtLeast(7.0).apply(3.0, s), 7.0);
        assert_eq!(Change::AtLeast(7.0).apply(8.0, s), 8.0);
        // A rating already outside the scale is not pulled in by a shift the other way.
        assert_eq!(Change::By(1.0).apply(11.0, s), 11.0);
    }
}
