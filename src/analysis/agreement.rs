//! Do the outcomes agree on what matters? The drivers' ranks, shares and tie groups side
//! by side for every outcome (NPS, CSAT, …), and the pairs of drivers whose order flips
//! between two outcomes *beyond noise*: a ranks significantly above b for one outcome (the
//! bootstrap interval of their difference excludes 0) and significantly below it for
//! another. Rankings that merely shuffle drivers within a tie group agree.

use serde::Serialize;

use crate::engine::DriverTable;

#[derive(Debug, Clone, Serialize)]
pub struct Agreement {
    /// The outcome columns compared, in order.
    pub outcomes: Vec<String>,
    /// Drivers in the first outcome's rank order.
    pub drivers: Vec<Placings>,
    /// Pairs ordered oppositely, each beyond noise, by two outcomes.
    pub disagreements: Vec<Disagreement>,
    /// Why disagreements could not be judged (no bootstrap for some outcome).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// One driver's place in each outcome's ranking.
#[derive(Debug, Clone, Serialize)]
pub struct Placings {
    pub name: String,
    pub label: String,
    /// Per outcome, in `Agreement::outcomes` order.
    pub placings: Vec<Placing>,
    /// No disagreement involves this driver.
    pub agrees: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Placing {
    pub rank: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub share: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tie_group: Option<String>,
}

/// Driver `above` ranks significantly above `below` for outcome `where_above`, and
/// significantly below it for `where_below`.
#[derive(Debug, Clone, Serialize)]
pub struct Disagreement {
    pub above: String,
    pub below: String,
    pub where_above: String,
    pub where_below: String,
}

/// Compares the driver tables of two or more outcomes (`None` when fewer than two fitted).
pub fn compare(tables: &[&DriverTable]) -> Option<Agreement> {
    let [first, ..] = tables else { return None };
    if tables.len() < 2 {
        return None;
    }
    let drivers = first
        .drivers
        .iter()
        .map(|d| Placings {
            name: d.name.clone(),
            label: d.label.clone(),
            placings: tables
                .iter()
                .map(|t| {
                    let x = t.drivers.iter().find(|x| x.name == d.name).expect("every outcome has the same drivers");
                    Placing { rank: x.rank, share: x.shapley_share, tie_group: x.tie_group.clone() }
                })
                .collect(),
            agrees: true,
        })
        .collect();
    let mut out = Agreement {
        outcomes: tables.iter().map(|t| t.target.clone()).collect(),
        drivers,
        disagreements: Vec::new(),
        note: None,
    };
    if tables.iter().any(|t| t.uncertainty.is_none()) {
        out.note = Some(
            "whether rankings differ beyond noise needs bootstrap intervals for every outcome (--bootstrap N)".into(),
        );
        return Some(out);
    }
    // Per outcome, every significantly ordered pair as (higher, lower).
    let ordered: Vec<Vec<(&str, &str)>> = tables
        .iter()
        .map(|t| {
            let u = t.uncertainty.as_ref().expect("checked above");
            u.differences
                .iter()
                .filter(|d| d.distinguishable)
                .map(|d| if d.difference > 0.0 { (d.a.as_str(), d.b.as_str()) } else { (d.b.as_str(), d.a.as_str()) })
                .collect()
        })
        .collect();
    for (i, pairs) in ordered.iter().enumerate() {
        for (j, other) in ordered.iter().enumerate().skip(i + 1) {
            for &(hi, lo) in pairs {
                if other.contains(&(lo, hi)) {
                    out.disagreements.push(Disagreement {
                        above: hi.into(),
                        below: lo.into(),
                        where_above: out.outcomes[i].clone(),
                        where_below: out.outcomes[j].clone(),
                    });
                }
            }
        }
    }
    for d in &mut out.drivers {
        d.agrees = !out.disagreements.iter().any(|x| x.above == d.name || x.below == d.name);
    }
    Some(out)
}
