//! Per-segment tables: the headline and its benchmarks by group, and the breakdowns.

use super::*;

/// Drivers down (in the pooled order), groups across: each cell the share with its tie
/// letters and, for segments, ▲ / ▼ against the rest of the sample.
#[derive(Serialize)]
pub struct GroupTable {
    pub by: String,
    /// "2025Q1 (n 859)".
    pub columns: Vec<String>,
    pub rows: Vec<GroupRow>,
    /// Groups without a ranking, and why.
    pub notes: Vec<Unranked>,
}

/// A group without a ranking: its name, its size, and why.
#[derive(Serialize)]
pub struct Unranked {
    /// The outcome's label.
    pub outcome: String,
    pub group: String,
    pub n: usize,
    pub note: Said,
}

impl Unranked {
    pub fn of(outcome: &str, group: &str, fit: &GroupFit) -> Option<Unranked> {
        let note = Said::of(fit.note.as_ref()?);
        Some(Unranked { outcome: outcome.to_string(), group: group.to_string(), n: fit.n, note })
    }
}

#[derive(Serialize)]
pub struct GroupRow {
    pub label: String,
    pub cells: Vec<String>,
}

impl GroupTable {
    pub(super) fn of(
        outcome: &str,
        by: &str,
        pooled: &DriverTable,
        groups: &[(&str, &GroupFit)],
        versus: Option<&[Option<&[ShareDifference]>]>,
    ) -> GroupTable {
        let cell = |k: usize, fit: &GroupFit, name: &str| {
            let Some(x) = fit.table.as_ref().and_then(|t| t.drivers.iter().find(|x| x.name == name)) else {
                return "—".to_string();
            };
            let mark = versus
                .and_then(|v| v[k])
                .and_then(|v| v.iter().find(|s| s.name == name))
                .filter(|s| s.significant)
                .map_or("", |s| if s.difference > 0.0 { " ▲" } else { " ▼" });
            let share = x.shapley_share.map_or("—".to_string(), pct);
            format!("{share}{}{mark}", x.tie_group.as_deref().map(|l| format!(" {l}")).unwrap_or_default())
        };
        GroupTable {
            by: by.to_string(),
            columns: groups
                .iter()
                .map(|(name, fit)| format!("{name} (n {})", fit.table.as_ref().map_or(0, |t| t.n_used)))
                .collect(),
            rows: pooled
                .drivers
                .iter()
                .map(|d| GroupRow {
                    label: d.label.clone(),
                    cells: groups.iter().enumerate().map(|(k, (_, fit))| cell(k, fit, &d.name)).collect(),
                })
                .collect(),
            notes: groups.iter().filter_map(|(name, fit)| Unranked::of(outcome, name, fit)).collect(),
        }
    }
}

#[derive(Serialize)]
pub struct BenchmarkRow {
    pub label: String,
    pub wave: String,
    pub benchmark: String,
    pub ours: String,
    pub gap: String,
    pub ci: Span,
    pub beyond_noise: bool,
}

/// The headline by one breakdown (wave, region, …).
#[derive(Serialize)]
pub struct Breakdown {
    pub by: String,
    /// Band names, best first ("promoters", "passives", "detractors"); empty for a mean.
    pub bands: Vec<&'static str>,
    /// Rows carry changes (a wave breakdown).
    pub changes: bool,
    pub rows: Vec<BreakdownRow>,
}

#[derive(Serialize)]
pub struct BreakdownRow {
    pub group: String,
    pub n: usize,
    pub bands: Vec<String>,
    pub value: String,
    pub se: String,
    pub ci: Span,
    pub change: String,
    pub change_ci: Option<Span>,
    pub p: String,
    pub year_change: String,
}

impl Breakdown {
    pub(super) fn of(out: &Outcome, by: &str, rows: &[ScoreStats]) -> Breakdown {
        let order = [Band::High, Band::Mid, Band::Low];
        let names = out.band_names();
        let dash = || "—".to_string();
        Breakdown {
            by: by.to_string(),
            bands: names.map(|n| order.iter().map(|&b| n[b as usize]).collect()).unwrap_or_default(),
            changes: rows.iter().any(|r| r.change.is_some()),
            rows: rows
                .iter()
                .map(|r| {
                    let c = r.change.as_ref();
                    BreakdownRow {
                        group: r.group.clone(),
                        n: r.n,
                        bands: names
                            .map(|_| {
                                order
                                    .iter()
                                    .map(|&b| format!("{:.1}%", r.bands.as_ref().map_or(0.0, |x| x.pct[b as usize])))
                                    .collect()
                            })
                            .unwrap_or_default(),
                        value: out.value(r.score),
                        se: format!("{:.prec$}", r.se, prec = out.decimals()),
                        ci: Span { low: out.value(r.ci_low), high: out.value(r.ci_high) },
                        change: c.map_or_else(dash, |c| out.delta(c.difference)),
                        change_ci: c.map(|c| Span { low: out.delta(c.ci_low), high: out.delta(c.ci_high) }),
                        p: c.map_or_else(dash, |c| p_value(c.p_value)),
                        year_change: r
                            .year_change
                            .as_ref()
                            .map_or_else(dash, |c| format!("{} (p {})", out.delta(c.difference), p_value(c.p_value))),
                    }
                })
                .collect(),
        }
    }
}
