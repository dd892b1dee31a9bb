//! Where the outcomes agree on what matters, and where they disagree beyond noise.

use super::*;

/// The outcomes' rankings side by side.
#[derive(Serialize)]
pub struct AgreementView {
    pub outcomes: Vec<String>,
    pub rows: Vec<AgreementRow>,
    /// "Problem solving matters more than Expertise for NPS, but less for CSAT".
    pub disagreements: Vec<Disagreement>,
    pub note: Option<String>,
}

#[derive(Serialize)]
pub struct AgreementRow {
    pub label: String,
    /// Per outcome: rank, share, tie group.
    pub placings: Vec<[String; 3]>,
    pub agrees: bool,
}

#[derive(Serialize)]
pub struct Disagreement {
    pub above: String,
    pub below: String,
    pub where_above: String,
    pub where_below: String,
}

impl AgreementView {
    pub(super) fn of(a: &Analysis, g: &crate::analysis::agreement::Agreement) -> AgreementView {
        let outcome = |col: &str| {
            a.outcomes.iter().find(|o| o.outcome.column == col).map_or(col.to_string(), |o| o.outcome.label.clone())
        };
        let driver = |n: &str| g.drivers.iter().find(|d| d.name == n).map_or(n.to_string(), |d| d.label.clone());
        AgreementView {
            outcomes: g.outcomes.iter().map(|c| outcome(c)).collect(),
            rows: g
                .drivers
                .iter()
                .map(|d| AgreementRow {
                    label: d.label.clone(),
                    placings: d
                        .placings
                        .iter()
                        .map(|p| {
                            [
                                p.rank.to_string(),
                                p.share.map_or("—".into(), pct),
                                p.tie_group.clone().unwrap_or_else(|| "—".into()),
                            ]
                        })
                        .collect(),
                    agrees: d.agrees,
                })
                .collect(),
            disagreements: g
                .disagreements
                .iter()
                .map(|x| Disagreement {
                    above: driver(&x.above),
                    below: driver(&x.below),
                    where_above: outcome(&x.where_above),
                    where_below: outcome(&x.where_below),
                })
                .collect(),
            note: g.note.clone(),
        }
    }
}
