//! What the drivers are drivers *of*: the outcome question and how its answers are scored.
//!
//! Every headline metric is the (weighted) mean of a coded answer, which is what lets one
//! formula give every standard error and one decomposition explain every change:
//!
//! | kind | answers | coded as | headline |
//! |---|---|---|---|
//! | `nps` | whole 0–10 | −100 detractor (0–6) / 0 passive / +100 promoter (9–10) | NPS |
//! | `csat` | scale, default 1–5 | 100 if at or above the top-box cut-off (default: the top two boxes), else 0 | % satisfied |
//! | `ces` | scale, default 1–7, lower = less effort | the rating | mean effort |
//! | `numeric` | any finite number | the number | mean |
//! | `binary` | two answers, text or numbers ("satisfied", "yes", 1) | 100 if one of the `positive` answers, else 0 | % positive |
//!
//! A binary outcome's answers are read as 1 (positive) or 0 by the loader, so everything
//! past it (the engine's linear-probability model, the logit of the positive class, the
//! headline) sees numbers.
//!
//! The driver engine sees the answers *oriented* so that higher is better: effort is
//! negated, so a driver whose better rating lowers effort has a positive correlation and
//! beta, and reads as a positive driver.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::schema::settings::Scale;

/// `--outcome`, `kind` in `[[outcomes]]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum OutcomeKind {
    /// Likelihood to recommend, whole numbers 0–10: Net Promoter Score.
    #[default]
    Nps,
    /// Customer satisfaction on a rating scale: % satisfied (top-box share).
    Csat,
    /// Customer effort on a rating scale, lower = less effort: mean effort.
    Ces,
    /// Any number (overall satisfaction, spend, a model score): its mean.
    Numeric,
    /// Two answers, one positive (satisfied / not, renewed / churned, yes / no): % positive.
    Binary,
}

impl OutcomeKind {
    pub fn name(self) -> &'static str {
        match self {
            OutcomeKind::Nps => "nps",
            OutcomeKind::Csat => "csat",
            OutcomeKind::Ces => "ces",
            OutcomeKind::Numeric => "numeric",
            OutcomeKind::Binary => "binary",
        }
    }
}

/// Text answers on a scale and the numbers they stand for (`values = { "Very satisfied" =
/// 5, … }`), matched ignoring case and surrounding spaces.
pub type ValueMap = BTreeMap<String, f64>;

/// One `[[outcomes]]` entry of survey.toml, as written.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct OutcomeSpec {
    pub column: String,
    #[serde(default)]
    pub kind: OutcomeKind,
    /// Display name, e.g. "Satisfaction overall" [default: by kind, e.g. "NPS"].
    pub label: Option<String>,
    /// Answer scale of a `csat` or `ces` outcome [default 1–5 for csat, 1–7 for ces].
    pub scale: Option<Scale>,
    /// csat: the lowest "satisfied" answer [default: the top two boxes, max − 1];
    /// ces: the lowest "high effort" answer [default: the first whole answer above the
    /// scale's midpoint, 5 on 1–7].
    pub cutoff: Option<f64>,
    /// binary: the answers that count as positive ("satisfied", "yes", "1").
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub positive: Vec<String>,
    /// binary: the answers that count as negative [default: the one other answer the
    /// column holds; a second one is refused rather than guessed].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub negative: Vec<String>,
    /// Text answers and the numbers they stand for; an answer that starts with its number
    /// ("10 - Extremely likely") needs none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub values: Option<ValueMap>,
    /// Codes meaning "no answer" in this outcome [default: none; the ratings'
    /// `missing_codes` do not apply to outcomes].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing_codes: Vec<f64>,
}

/// A checked outcome: the kind with its scale and cut-off filled in.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outcome {
    pub column: String,
    pub kind: OutcomeKind,
    pub label: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scale: Option<Scale>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cutoff: Option<f64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub positive: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub negative: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub values: Option<ValueMap>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub missing_codes: Vec<f64>,
}

/// One of the three answer bands a kind with categories splits answers into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Band {
    Low,
    Mid,
    High,
}

/// A class of answers a logit models (promoters, detractors, satisfied, high effort).
#[derive(Debug, Clone, Copy)]
pub struct Class {
    /// Prefix of the odds-ratio and pseudo-R² fields: `promoter` → `promoter_odds_ratio`.
    pub name: &'static str,
    pub band: Band,
}

impl OutcomeSpec {
    /// Fills in the kind's defaults and checks the scale and cut-off.
    pub fn resolve(self) -> Result<Outcome, String> {
        let col = &self.column;
        if self.kind != OutcomeKind::Binary && !(self.positive.is_empty() && self.negative.is_empty()) {
            return Err(format!(
                "outcome \"{col}\": positive and negative answers belong to a binary outcome: set kind = \"binary\" (--outcome binary)"
            ));
        }
        let (scale, cutoff) = match self.kind {
            OutcomeKind::Nps => {
                if self.scale.is_some_and(|s| s != Scale { min: 0.0, max: 10.0 }) || self.cutoff.is_some() {
                    return Err(format!(
                        "outcome \"{col}\" is NPS, which is always 0–10 with promoters at 9–10: drop its scale and cutoff, or make it kind = \"csat\" or \"numeric\""
                    ));
                }
                (Some(Scale { min: 0.0, max: 10.0 }), None)
            }
            OutcomeKind::Csat | OutcomeKind::Ces => {
                let csat = self.kind == OutcomeKind::Csat;
                let s = self.scale.unwrap_or(if csat {
                    Scale { min: 1.0, max: 5.0 }
                } else {
                    Scale { min: 1.0, max: 7.0 }
                });
                if !(s.min.is_finite() && s.max.is_finite() && s.min < s.max) {
                    return Err(format!(
                        "outcome \"{col}\": scale {}–{} is empty: min must be below max",
                        s.min, s.max
                    ));
                }
                let cut = self.cutoff.unwrap_or(if csat { s.max - 1.0 } else { ((s.min + s.max) / 2.0).floor() + 1.0 });
                if !(cut > (s.min + s.max) / 2.0 && cut <= s.max) {
                    return Err(format!(
                        "outcome \"{col}\": cutoff {cut} must lie above the midpoint of the scale {}–{} and at most its top",
                        s.min, s.max
                    ));
                }
                (Some(s), Some(cut))
            }
            OutcomeKind::Numeric => {
                if self.cutoff.is_some() {
                    return Err(format!("outcome \"{col}\" is numeric, which has no cutoff: use kind = \"csat\" or \"ces\" for a top-box share"));
                }
                (self.scale, None)
            }
            OutcomeKind::Binary => {
                if self.positive.iter().all(|p| p.trim().is_empty()) {
                    return Err(format!(
                        "outcome \"{col}\" is binary: say which answers count as positive with positive = [\"yes\"] in survey.toml or --positive LABEL"
                    ));
                }
                if let Some(p) = self.positive.iter().find(|p| self.negative.iter().any(|n| same_answer(n, p))) {
                    return Err(format!("outcome \"{col}\": \"{p}\" is listed as both positive and negative"));
                }
                if self.scale.is_some() || self.cutoff.is_some() || self.values.is_some() {
                    return Err(format!(
                        "outcome \"{col}\" is binary: it has no scale, cutoff or values, only positive (and negative) answers"
                    ));
                }
                (Some(Scale { min: 0.0, max: 1.0 }), Some(1.0))
            }
        };
        let label = self.label.unwrap_or_else(|| match self.kind {
            OutcomeKind::Nps => "NPS".into(),
            OutcomeKind::Csat => "CSAT".into(),
            OutcomeKind::Ces => "Customer effort".into(),
            OutcomeKind::Numeric | OutcomeKind::Binary => self.column.clone(),
        });
        let positive = self.positive.iter().map(|p| p.trim().to_string()).filter(|p| !p.is_empty()).collect();
        Ok(Outcome {
            column: self.column,
            kind: self.kind,
            label,
            scale,
            cutoff,
            positive,
            negative: self.negative,
            values: self.values,
            missing_codes: self.missing_codes,
        })
    }
}

impl Outcome {
    /// A plain NPS outcome on `column`.
    pub fn nps(column: &str) -> Outcome {
        OutcomeSpec { column: column.into(), ..Default::default() }.resolve().expect("NPS needs no settings")
    }

    /// Why a (non-missing) answer is refused, or `None` when it is valid.
    pub fn invalid(&self, x: f64) -> Option<String> {
        match self.kind {
            OutcomeKind::Nps => (!(0.0..=10.0).contains(&x) || x.fract() != 0.0).then(|| {
                format!("likelihood to recommend must be a whole number 0–10, found {x} (for another kind of outcome pass --outcome csat, ces or numeric)")
            }),
            OutcomeKind::Csat | OutcomeKind::Ces => {
                let s = self.scale.expect("csat and ces have a scale");
                (x < s.min || x > s.max).then(|| {
                    format!(
                        "{} answer {x} is outside its scale {}–{} (set the outcome's scale, or add the code to missing_codes)",
                        self.kind.name(),
                        s.min,
                        s.max
                    )
                })
            }
            OutcomeKind::Numeric => match self.scale {
                Some(s) if x < s.min || x > s.max => Some(format!("value {x} is outside the outcome's scale {}–{}", s.min, s.max)),
                _ => None,
            },
            // The loader has already read the answers as 1 (positive) or 0.
            OutcomeKind::Binary => (x != 0.0 && x != 1.0).then(|| format!("binary answer {x} is neither 0 nor 1")),
        }
    }

    /// A binary outcome's coding of one answer as written: 1 for a positive answer, 0 for a
    /// negative one, `None` for one that is neither when the negatives are listed.
    pub fn positive_code(&self, answer: &str) -> Option<f64> {
        if self.positive.iter().any(|p| same_answer(p, answer)) {
            Some(1.0)
        } else if self.negative.is_empty() || self.negative.iter().any(|n| same_answer(n, answer)) {
            Some(0.0)
        } else {
            None
        }
    }

    /// +1, or −1 when lower answers are better (effort): what the engine multiplies by.
    pub fn sign(&self) -> f64 {
        if self.kind == OutcomeKind::Ces {
            -1.0
        } else {
            1.0
        }
    }

    /// The answer coded so that its mean is the headline metric.
    pub fn code(&self, x: f64) -> f64 {
        match self.kind {
            OutcomeKind::Nps => match self.band(x) {
                Some(Band::Low) => -100.0,
                Some(Band::Mid) => 0.0,
                _ => 100.0,
            },
            OutcomeKind::Csat | OutcomeKind::Binary => {
                if self.band(x) == Some(Band::High) {
                    100.0
                } else {
                    0.0
                }
            }
            OutcomeKind::Ces | OutcomeKind::Numeric => x,
        }
    }

    /// The band of an answer: detractor / passive / promoter, dissatisfied / neutral /
    /// satisfied (bottom and top boxes of equal width), low / moderate / high effort.
    pub fn band(&self, x: f64) -> Option<Band> {
        let (low_max, high_min) = self.cuts()?;
        Some(if x >= high_min {
            Band::High
        } else if x <= low_max {
            Band::Low
        } else {
            Band::Mid
        })
    }

    /// The highest answer in the low band and the lowest in the high band.
    pub(crate) fn cuts(&self) -> Option<(f64, f64)> {
        match self.kind {
            OutcomeKind::Nps => Some((6.0, 9.0)),
            OutcomeKind::Csat | OutcomeKind::Ces | OutcomeKind::Binary => {
                let (s, cut) = (self.scale?, self.cutoff?);
                Some((s.min + (s.max - cut), cut))
            }
            OutcomeKind::Numeric => None,
        }
    }

    /// The bands' names, low to high, as they appear in JSON and CSV field names.
    pub fn band_names(&self) -> Option<[&'static str; 3]> {
        match self.kind {
            OutcomeKind::Nps => Some(["detractors", "passives", "promoters"]),
            OutcomeKind::Csat => Some(["dissatisfied", "neutral", "satisfied"]),
            OutcomeKind::Ces => Some(["low_effort", "moderate_effort", "high_effort"]),
            // Two answers, not three bands: the headline is the share positive.
            OutcomeKind::Numeric | OutcomeKind::Binary => None,
        }
    }

    /// The answers in `band`: "9–10", "7–8", "4".
    pub fn band_range(&self, band: Band) -> String {
        let (low_max, high_min) = self.cuts().expect("kinds with bands have cuts");
        let s = self.scale.expect("kinds with bands have a scale");
        match band {
            Band::Low => format!("{}–{}", s.min, low_max),
            Band::Mid if high_min - low_max == 2.0 => format!("{}", low_max + 1.0),
            Band::Mid => format!("{}–{}", low_max + 1.0, high_min - 1.0),
            Band::High => format!("{}–{}", high_min, s.max),
        }
    }

    /// Shares (NPS, % satisfied) use the binomial-style variance with n; means use the
    /// sample variance with n − 1.
    pub fn is_share(&self) -> bool {
        matches!(self.kind, OutcomeKind::Nps | OutcomeKind::Csat | OutcomeKind::Binary)
    }

    /// Where the headline can lie, for clamping its interval.
    pub fn bounds(&self) -> (f64, f64) {
        match self.kind {
            OutcomeKind::Nps => (-100.0, 100.0),
            OutcomeKind::Csat | OutcomeKind::Binary => (0.0, 100.0),
            _ => (f64::NEG_INFINITY, f64::INFINITY),
        }
    }

    /// The headline metric's name in prose: "NPS", "% satisfied", "mean effort", "mean";
    /// a binary outcome's is named after its (first) positive answer: "% renewed".
    pub fn metric(&self) -> String {
        match self.kind {
            OutcomeKind::Nps => "NPS".into(),
            OutcomeKind::Csat => "% satisfied".into(),
            OutcomeKind::Ces => "mean effort".into(),
            OutcomeKind::Numeric => "mean".into(),
            OutcomeKind::Binary => format!("% {}", self.positive.first().map_or("positive", String::as_str)),
        }
    }

    /// A value or change of the headline in a table: signed for NPS, 1 decimal for shares, 2 for means.
    pub fn value(&self, v: f64) -> String {
        match self.kind {
            OutcomeKind::Nps => format!("{v:+.1}"),
            OutcomeKind::Csat | OutcomeKind::Binary => format!("{v:.1}"),
            _ => format!("{v:.2}"),
        }
    }

    /// The headline as it is reported: "+12.3" (NPS), "62.5%" (a share), "3.41" (a mean).
    pub fn headline_value(&self, v: f64) -> String {
        match self.kind {
            OutcomeKind::Csat | OutcomeKind::Binary => format!("{v:.1}%"),
            _ => self.value(v),
        }
    }

    /// A change in the headline: always signed.
    pub fn delta(&self, v: f64) -> String {
        format!("{v:+.prec$}", prec = self.decimals())
    }

    /// Decimals the headline is shown with.
    pub fn decimals(&self) -> usize {
        if self.is_share() {
            1
        } else {
            2
        }
    }

    /// The classes the logits model: promoters and detractors for NPS, the satisfied for
    /// CSAT, high effort for CES; none for a numeric outcome.
    pub fn classes(&self) -> Vec<Class> {
        match self.kind {
            OutcomeKind::Nps => {
                vec![Class { name: "promoter", band: Band::High }, Class { name: "detractor", band: Band::Low }]
            }
            OutcomeKind::Csat => vec![Class { name: "satisfied", band: Band::High }],
            OutcomeKind::Ces => vec![Class { name: "high_effort", band: Band::High }],
            OutcomeKind::Binary => vec![Class { name: "positive", band: Band::High }],
            OutcomeKind::Numeric => vec![],
        }
    }
}

/// Two answers are the same ignoring case and surrounding spaces, or as numbers ("1" and
/// "1.0": a column read as numbers prints them so).
pub fn same_answer(a: &str, b: &str) -> bool {
    let (a, b) = (a.trim(), b.trim());
    a.eq_ignore_ascii_case(b)
        || a.to_lowercase() == b.to_lowercase()
        || matches!((a.parse::<f64>(), b.parse::<f64>()), (Ok(x), Ok(y)) if x == y)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(kind: OutcomeKind) -> OutcomeSpec {
        OutcomeSpec { column: "y".into(), kind, ..Default::default() }
    }

    #[test]
    fn defaults_by_kind() {
        let csat = spec(OutcomeKind::Csat).resolve().unwrap();
        assert_eq!((csat.scale, csat.cutoff), (Some(Scale { min: 1.0, max: 5.0 }), Some(4.0)));
        // Top two boxes satisfied, bottom two dissatisfied, 3 neutral.
        let bands: Vec<_> = [1., 2., 3., 4., 5.].iter().map(|&x| csat.band(x).unwrap()).collect();
        assert_eq!(bands, [Band::Low, Band::Low, Band::Mid, Band::High, Band::High]);
        assert_eq!((csat.band_names().unwrap()[2], csat.band_range(Band::High).as_str()), ("satisfied", "4–5"));
        let ces = spec(OutcomeKind::Ces).resolve().unwrap();
        assert_eq!((ces.scale, ces.cutoff), (Some(Scale { min: 1.0, max: 7.0 }), Some(5.0)));
        assert_eq!((ces.band_names().unwrap()[0], ces.band_range(Band::Low).as_str()), ("low_effort", "1–3"));
        assert_eq!((ces.band_names().unwrap()[1], ces.band_range(Band::Mid).as_str()), ("moderate_effort", "4"));
        assert_eq!(ces.sign(), -1.0);
        let nps = Outcome::nps("ltr");
        assert_eq!((nps.band_names().unwrap()[1], nps.band_range(Band::Mid).as_str()), ("passives", "7–8"));
        assert_eq!([0., 6., 7., 8., 9., 10.].map(|x| nps.code(x)), [-100., -100., 0., 0., 100., 100.]);
    }

    #[test]
    fn bad_settings_are_refused() {
        let with = |kind, scale: Option<(f64, f64)>, cutoff| {
            OutcomeSpec { scale: scale.map(|(min, max)| Scale { min, max }), cutoff, ..spec(kind) }.resolve()
        };
        assert!(with(OutcomeKind::Nps, Some((1.0, 5.0)), None).unwrap_err().contains("always 0–10"));
        assert!(with(OutcomeKind::Csat, Some((1.0, 5.0)), Some(6.0)).unwrap_err().contains("cutoff 6"));
        assert!(with(OutcomeKind::Csat, Some((5.0, 1.0)), None).unwrap_err().contains("empty"));
        assert!(with(OutcomeKind::Numeric, None, Some(3.0)).unwrap_err().contains("no cutoff"));
        assert!(Outcome::nps("ltr").invalid(21.0).unwrap().contains("--outcome"));
        assert!(spec(OutcomeKind::Csat).resolve().unwrap().invalid(7.0).unwrap().contains("1–5"));
        assert!(spec(OutcomeKind::Numeric).resolve().unwrap().invalid(-1e9).is_none());
    }
}
