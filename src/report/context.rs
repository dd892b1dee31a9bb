//! What the report template sees: every figure of an [`Analysis`] already formatted
//! ("+19.2", "21.1%", "18.7–23.5%"), every choice already made (which drivers to fix
//! first, which are tied), so a template holds only wording and layout and a team's own
//! template cannot get a number wrong. The values come from the same structs as the
//! JSON and CSV files beside the report.

use serde::Serialize;

use super::{Chart, Files, OutcomeCharts};
use crate::analysis::groups::{GroupFit, ShareDifference};
use crate::analysis::{Analysis, OutcomeAnalysis};
use crate::engine::{Driver, DriverTable, Method, RankBy};
use crate::headline::scores::ScoreStats;
use crate::schema::outcome::{Band, Outcome, OutcomeKind};
use crate::schema::spec::WeightsAre;

#[derive(Serialize)]
pub struct Report<'a> {
    pub name: &'a str,
    pub version: &'a str,
    pub seed: u64,
    pub config: Option<&'a str>,
    pub n_drivers: usize,
    pub outcomes: Vec<OutcomeView<'a>>,
    pub agreement: Option<AgreementView>,
    pub data: DataView,
    pub method: MethodView,
}

impl<'a> Report<'a> {
    /// `charts[i]` are outcome i's charts.
    pub fn of(a: &'a Analysis, charts: &'a [OutcomeCharts]) -> Report<'a> {
        Report {
            name: &a.name,
            version: &a.version,
            seed: a.survey.seed,
            config: a.config.as_deref(),
            n_drivers: a.survey.drivers.len(),
            outcomes: a
                .outcomes
                .iter()
                .zip(charts)
                .enumerate()
                .map(|(i, (o, c))| OutcomeView::of(a, o, c, i == 0))
                .collect(),
            agreement: a.agreement.as_ref().map(|g| AgreementView::of(a, g)),
            data: DataView::of(a),
            method: MethodView::of(a),
        }
    }
}

#[derive(Serialize)]
pub struct OutcomeView<'a> {
    pub label: &'a str,
    pub column: &'a str,
    /// nps, csat, ces or numeric.
    pub kind: &'static str,
    /// "NPS", "% satisfied", "mean effort", "mean".
    pub metric: String,
    /// What the headline is, in words.
    pub describe: String,
    /// "points", "% points", …: the unit of a change.
    pub points: &'static str,
    /// Effort: lower is better, and drivers are signed by less effort.
    pub lower_is_better: bool,
    pub headline: Headline,
    /// The two or three drivers that matter most.
    pub top: Vec<TopDriver>,
    pub overall: Score,
    pub charts: &'a OutcomeCharts,
    /// Every chart of this outcome, in report order (for a template that lists them).
    pub chart_list: Vec<&'a Chart>,
    pub act: Option<Act>,
    pub change: Option<ChangeView>,
    pub drivers: Option<DriversView>,
    /// Why there is no driver model.
    pub drivers_note: Option<String>,
    pub share_shift: Option<ShareShiftView>,
    pub by_wave: Option<GroupTable>,
    pub by_segment: Vec<GroupTable>,
    pub group_notes: &'a [String],
    pub benchmarks: Vec<BenchmarkRow>,
    pub breakdowns: Vec<Breakdown>,
    pub files: FilesView,
}

impl<'a> OutcomeView<'a> {
    fn of(a: &'a Analysis, o: &'a OutcomeAnalysis, charts: &'a OutcomeCharts, main: bool) -> OutcomeView<'a> {
        let out = &o.outcome;
        let files = Files::of(out, main);
        OutcomeView {
            label: &out.label,
            column: &out.column,
            kind: out.kind.name(),
            metric: out.metric(),
            describe: describe(out),
            points: out.points(),
            lower_is_better: out.sign() < 0.0,
            headline: Headline::of(a, o),
            top: o.drivers.as_ref().map(TopDriver::of).unwrap_or_default(),
            overall: Score::of(out, &o.scores.overall),
            charts,
            chart_list: charts.all().collect(),
            act: o.drivers.as_ref().and_then(Act::of),
            change: o.groups.change_explained.as_ref().map(|e| ChangeView::of(out, e)),
            drivers: o.drivers.as_ref().map(|d| DriversView::of(out, d)),
            drivers_note: o.drivers.is_none().then(|| o.drivers_note.clone().unwrap_or_else(|| "not run".into())),
            share_shift: o.groups.share_shift.as_ref().map(|s| ShareShiftView {
                from: s.from.clone(),
                to: s.to.clone(),
                rows: s.drivers.iter().map(ShareRow::of).collect(),
            }),
            by_wave: o.drivers.as_ref().filter(|_| !o.groups.waves.is_empty()).map(|d| {
                let groups: Vec<(&str, &GroupFit)> = o.groups.waves.iter().map(|x| (x.wave.as_str(), &x.fit)).collect();
                GroupTable::of(a.survey.wave.as_deref().unwrap_or("wave"), d, &groups, None)
            }),
            by_segment: o
                .drivers
                .as_ref()
                .map(|d| {
                    o.groups
                        .segments
                        .iter()
                        .map(|(col, groups)| {
                            let fits: Vec<(&str, &GroupFit)> =
                                groups.iter().map(|x| (x.group.as_str(), &x.fit)).collect();
                            let versus: Vec<Option<&[ShareDifference]>> =
                                groups.iter().map(|x| x.versus_rest.as_deref()).collect();
                            GroupTable::of(col, d, &fits, Some(&versus))
                        })
                        .collect()
                })
                .unwrap_or_default(),
            group_notes: &o.groups.notes,
            benchmarks: o
                .scores
                .benchmarks
                .iter()
                .map(|g| BenchmarkRow {
                    label: g.label.clone(),
                    wave: g.wave.clone(),
                    benchmark: out.value(g.benchmark),
                    ours: out.value(g.score),
                    gap: out.delta(g.difference),
                    ci: format!("{} to {}", out.delta(g.ci_low), out.delta(g.ci_high)),
                    beyond_noise: g.beyond_noise,
                })
                .collect(),
            breakdowns: o.scores.breakdowns.iter().map(|b| Breakdown::of(out, &b.by, &b.rows)).collect(),
            files: FilesView { scores: files.scores, drivers: o.drivers.as_ref().map(|_| files.drivers) },
        }
    }
}

#[derive(Serialize)]
pub struct FilesView {
    pub scores: String,
    pub drivers: Option<String>,
}

/// The headline in the latest wave (or overall), its change and its benchmark gaps.
#[derive(Serialize)]
pub struct Headline {
    pub wave: Option<String>,
    /// With its unit: "+19.2", "69.7%", "3.41".
    pub value: String,
    pub ci_low: String,
    pub ci_high: String,
    pub change: Option<Change>,
    pub benchmarks: Vec<Gap>,
}

#[derive(Serialize)]
pub struct Change {
    pub from: String,
    pub difference: String,
    pub ci_low: String,
    pub ci_high: String,
    pub beyond_noise: bool,
}

#[derive(Serialize)]
pub struct Gap {
    pub label: String,
    pub benchmark: String,
    pub difference: String,
    pub beyond_noise: bool,
}

impl Headline {
    fn of(a: &Analysis, o: &OutcomeAnalysis) -> Headline {
        let out = &o.outcome;
        let latest = a
            .survey
            .wave
            .as_deref()
            .and_then(|c| o.scores.by(c))
            .and_then(|rows| rows.iter().rev().find(|r| r.change.is_some()));
        let r = latest.unwrap_or(&o.scores.overall);
        Headline {
            wave: latest.map(|r| r.group.clone()),
            value: headline_value(out, r.score),
            ci_low: out.value(r.ci_low),
            ci_high: out.value(r.ci_high),
            change: r.change.as_ref().map(|c| Change {
                from: c.from.clone(),
                difference: out.delta(c.difference),
                ci_low: out.delta(c.ci_low),
                ci_high: out.delta(c.ci_high),
                beyond_noise: c.ci_low > 0.0 || c.ci_high < 0.0,
            }),
            benchmarks: o
                .scores
                .benchmarks
                .iter()
                .filter(|g| g.wave == r.group || (latest.is_none() && g.wave == "all"))
                .map(|g| Gap {
                    label: g.label.clone(),
                    benchmark: out.value(g.benchmark),
                    difference: out.delta(g.difference),
                    beyond_noise: g.beyond_noise,
                })
                .collect(),
        }
    }
}

/// One of the drivers that matter most, for the headline.
#[derive(Serialize)]
pub struct TopDriver {
    pub rank: usize,
    pub label: String,
    pub share: Option<String>,
    /// "18.7–23.5%", with a bootstrap.
    pub ci: Option<String>,
    /// The drivers it cannot be told apart from (sharing a tie-group letter).
    pub tied: Vec<String>,
    /// It shares no tie group with any other driver: apart from all of them beyond noise.
    pub apart: bool,
    pub direction: &'static str,
    pub suppressor: bool,
}

impl TopDriver {
    /// The top three (fewer when there are fewer drivers).
    fn of(d: &DriverTable) -> Vec<TopDriver> {
        d.drivers
            .iter()
            .take(3)
            .map(|x| {
                let tied = tied_with(d, x);
                TopDriver {
                    rank: x.rank,
                    label: x.label.clone(),
                    share: x.shapley_share.map(pct),
                    ci: share_ci(x),
                    apart: x.tie_group.is_some() && tied.is_empty(),
                    tied,
                    direction: x.direction,
                    suppressor: is_suppressor(x),
                }
            })
            .collect()
    }
}

/// Positive correlation but negative beta: the driver's own association is positive; the
/// negative beta comes from what it shares with correlated drivers (a suppressor).
fn is_suppressor(x: &Driver) -> bool {
    x.corr > 0.0 && x.beta.is_some_and(|b| b < 0.0)
}

/// The other drivers sharing a tie-group letter with `x`.
fn tied_with(d: &DriverTable, x: &Driver) -> Vec<String> {
    let Some(letters) = x.tie_group.as_deref() else { return vec![] };
    d.drivers
        .iter()
        .filter(|y| y.name != x.name && y.tie_group.as_deref().is_some_and(|l| l.chars().any(|c| letters.contains(c))))
        .map(|y| y.label.clone())
        .collect()
}

/// The overall headline with its bands.
#[derive(Serialize)]
pub struct Score {
    pub value: String,
    pub ci_low: String,
    pub ci_high: String,
    pub se: String,
    pub n: usize,
    /// Best band first: "36.1% promoters (9–10)", …
    pub bands: Vec<String>,
}

impl Score {
    fn of(out: &Outcome, r: &ScoreStats) -> Score {
        Score {
            value: headline_value(out, r.score),
            ci_low: out.value(r.ci_low),
            ci_high: out.value(r.ci_high),
            se: format!("{:.prec$}", r.se, prec = out.decimals()),
            n: r.n,
            bands: r
                .bands
                .as_ref()
                .map(|b| {
                    [Band::High, Band::Mid, Band::Low]
                        .iter()
                        .map(|&x| format!("{:.1}% {}", b.pct[x as usize], out.band_legend(x)))
                        .collect()
                })
                .unwrap_or_default(),
        }
    }
}

/// The importance–performance quadrants: above or below the drivers' mean share and
/// mean rating.
#[derive(Serialize)]
pub struct Act {
    pub fix_first: Vec<String>,
    pub keep_it_up: Vec<String>,
    pub possible_overkill: Vec<String>,
    pub low_priority: Vec<String>,
    /// Drivers whose mean rating cannot be told from the average (95%): not sorted into
    /// a quadrant by a difference that is noise.
    pub on_the_line: Vec<String>,
    pub mean_share: String,
    pub mean_rating: String,
}

impl Act {
    fn of(d: &DriverTable) -> Option<Act> {
        let shares: Vec<(&Driver, f64)> =
            d.drivers.iter().map(|x| Some((x, x.shapley_share?))).collect::<Option<_>>()?;
        let n = shares.len().max(1) as f64;
        let mean_share = shares.iter().map(|(_, s)| s).sum::<f64>() / n;
        let mean_rating = d.average_rating();
        let pick = |important: bool, well_rated: bool| {
            shares
                .iter()
                .filter(|(x, _)| !x.rated_as(mean_rating))
                .filter(|(x, s)| (*s > mean_share) == important && (x.mean_rating >= mean_rating) == well_rated)
                .map(|(x, _)| x.label.clone())
                .collect()
        };
        Some(Act {
            fix_first: pick(true, false),
            keep_it_up: pick(true, true),
            possible_overkill: pick(false, true),
            low_priority: pick(false, false),
            on_the_line: shares.iter().filter(|(x, _)| x.rated_as(mean_rating)).map(|(x, _)| x.label.clone()).collect(),
            mean_share: pct(mean_share),
            mean_rating: format!("{mean_rating:.2}"),
        })
    }
}

/// Why the headline moved between the last two waves.
#[derive(Serialize)]
pub struct ChangeView {
    pub from: String,
    pub to: String,
    pub n_from: usize,
    pub n_to: usize,
    pub change: String,
    pub resamples: usize,
    /// Largest part first.
    pub parts: Vec<Part>,
    pub unexplained: String,
    pub unexplained_ci: String,
    /// The largest part, and whether its interval excludes zero.
    pub biggest: Option<Part>,
}

#[derive(Serialize, Clone)]
pub struct Part {
    pub label: String,
    pub mean_from: String,
    pub mean_to: String,
    pub coefficient: String,
    pub points: String,
    pub ci: String,
    pub beyond_noise: bool,
}

impl ChangeView {
    fn of(out: &Outcome, e: &crate::analysis::change::Explained) -> ChangeView {
        let ci =
            |l: Option<f64>, h: Option<f64>| l.zip(h).map_or("—".to_string(), |(l, h)| format!("{l:+.2} to {h:+.2}"));
        let parts: Vec<Part> = e
            .by_size()
            .into_iter()
            .map(|c| Part {
                label: c.label.clone(),
                mean_from: format!("{:.2}", c.mean_from),
                mean_to: format!("{:.2}", c.mean_to),
                coefficient: format!("{:+.2}", c.coefficient),
                points: format!("{:+.2}", c.points),
                ci: ci(c.ci_low, c.ci_high),
                beyond_noise: c.ci_low.zip(c.ci_high).is_some_and(|(l, h)| l > 0.0 || h < 0.0),
            })
            .collect();
        ChangeView {
            from: e.from.clone(),
            to: e.to.clone(),
            n_from: e.n_from,
            n_to: e.n_to,
            change: out.delta(e.change),
            resamples: e.resamples,
            biggest: parts.first().cloned(),
            parts,
            unexplained: format!("{:+.2}", e.unexplained),
            unexplained_ci: ci(e.unexplained_ci_low, e.unexplained_ci_high),
        }
    }
}

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
    pub shapley_method: Option<String>,
    pub complete_dominance: Option<Vec<String>>,
    /// Drivers whose direction is not plainly positive, explained.
    pub not_positive: Vec<DirectionNote>,
    pub notes: Vec<String>,
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
    fn of(out: &Outcome, d: &DriverTable) -> DriversView {
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
                ranked_by: if u.bootstrap.ranked_by == RankBy::RelativeWeight {
                    "relative weight"
                } else {
                    "Shapley value"
                },
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
            shapley_method: d.shapley_method.clone(),
            complete_dominance: d.complete_dominance.as_ref().map(|pairs| {
                let mut pairs = pairs.clone();
                pairs.sort_by_key(|[a, b]| (find(a).map(|x| x.rank), find(b).map(|x| x.rank)));
                pairs.iter().map(|[a, b]| format!("{} over {}", label(a), label(b))).collect()
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
            notes: d.method_notes.clone(),
        }
    }
}

/// Did the drivers' shares move from the wave before to the latest?
#[derive(Serialize)]
pub struct ShareShiftView {
    pub from: String,
    pub to: String,
    pub rows: Vec<ShareRow>,
}

#[derive(Serialize)]
pub struct ShareRow {
    pub label: String,
    pub other: String,
    pub this: String,
    pub change: String,
    pub ci: String,
    pub beyond_noise: bool,
}

impl ShareRow {
    fn of(r: &ShareDifference) -> ShareRow {
        ShareRow {
            label: r.label.clone(),
            other: pct(r.other_share),
            this: pct(r.share),
            change: format!("{:+.1} pts", 100.0 * r.difference),
            ci: format!("{:+.1} to {:+.1}", 100.0 * r.ci_low, 100.0 * r.ci_high),
            beyond_noise: r.significant,
        }
    }
}

/// Drivers down (in the pooled order), groups across: each cell the share with its tie
/// letters and, for segments, ▲ / ▼ against the rest of the sample.
#[derive(Serialize)]
pub struct GroupTable {
    pub by: String,
    /// "2025Q1 (n 859)".
    pub columns: Vec<String>,
    pub rows: Vec<GroupRow>,
    /// Groups without a ranking, and why.
    pub notes: Vec<String>,
}

#[derive(Serialize)]
pub struct GroupRow {
    pub label: String,
    pub cells: Vec<String>,
}

impl GroupTable {
    fn of(
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
            notes: groups.iter().filter_map(|(name, fit)| Some(format!("{name}: {}", fit.note.as_ref()?))).collect(),
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
    pub ci: String,
    pub beyond_noise: bool,
}

/// The headline by one breakdown (wave, region, …).
#[derive(Serialize)]
pub struct Breakdown {
    pub by: String,
    /// Band names, best first ("promoters", "passives", "detractors"); empty for a mean.
    pub bands: Vec<String>,
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
    pub ci: String,
    pub change: String,
    pub change_ci: String,
    pub p: String,
    pub year_change: String,
}

impl Breakdown {
    fn of(out: &Outcome, by: &str, rows: &[ScoreStats]) -> Breakdown {
        let order = [Band::High, Band::Mid, Band::Low];
        let names = out.band_names();
        let dash = || "—".to_string();
        Breakdown {
            by: by.to_string(),
            bands: names.map(|n| order.iter().map(|&b| n[b as usize].replace('_', " ")).collect()).unwrap_or_default(),
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
                        ci: format!("{} to {}", out.value(r.ci_low), out.value(r.ci_high)),
                        change: c.map_or_else(dash, |c| out.delta(c.difference)),
                        change_ci: c
                            .map_or_else(dash, |c| format!("{} to {}", out.delta(c.ci_low), out.delta(c.ci_high))),
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
    fn of(a: &Analysis, g: &crate::analysis::agreement::Agreement) -> AgreementView {
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
    pub small_groups: Vec<String>,
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
    fn of(a: &Analysis) -> DataView {
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
                waves.chain(segments).filter_map(move |(name, fit)| {
                    Some(format!("{label}, {name} (n {}): {}", fit.n, fit.note.as_ref()?))
                })
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
    pub methods: String,
    pub rank_by: String,
    pub bootstrap: usize,
    /// The intervals come from a moments file's Poisson replicates.
    pub poisson: bool,
    pub wave: Option<String>,
    pub segments: Vec<String>,
    pub has_logits: bool,
}

impl MethodView {
    fn of(a: &Analysis) -> MethodView {
        let table = a.outcomes.iter().find_map(|o| o.drivers.as_ref());
        let ran = |m: Method| table.is_some_and(|t| t.drivers.first().is_some_and(|d| ran(m, d, t)));
        let methods: Vec<&str> = [
            (Method::Shapley, "Shapley values (LMG)"),
            (Method::Relweights, "relative weights"),
            (Method::Dominance, "dominance analysis"),
            (Method::Kruskal, "Kruskal's averaged squared partial correlations"),
            (Method::Ols, "standardized betas"),
            (Method::Corr, "Pearson and Spearman correlations"),
            (Method::Logit, "logits"),
        ]
        .into_iter()
        .filter(|(m, _)| ran(*m))
        .map(|(_, name)| name)
        .collect();
        MethodView {
            methods: methods.join(", "),
            rank_by: table.map_or("shapley", |t| t.rank_by.name()).to_string(),
            bootstrap: table.and_then(|t| t.uncertainty.as_ref()).map_or(0, |u| u.bootstrap.resamples),
            poisson: table
                .and_then(|t| t.uncertainty.as_ref())
                .is_some_and(|u| u.bootstrap.scheme == crate::engine::bootstrap::Scheme::Poisson),
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

/// A headline value with its unit: "+23.4", "78.2%", "3.41".
fn headline_value(o: &Outcome, v: f64) -> String {
    match o.kind {
        OutcomeKind::Csat | OutcomeKind::Binary => format!("{v:.1}%"),
        _ => o.value(v),
    }
}

/// What the headline is, in words.
fn describe(o: &Outcome) -> String {
    match o.kind {
        OutcomeKind::Nps => "Net Promoter Score (% promoters 9–10 minus % detractors 0–6)".into(),
        OutcomeKind::Csat => {
            let s = o.scale.expect("csat has a scale");
            format!("% satisfied (answers {} to {} on {}–{})", o.cutoff.unwrap_or(s.max), s.max, s.min, s.max)
        }
        OutcomeKind::Ces => {
            let s = o.scale.expect("ces has a scale");
            format!("mean customer effort on {}–{}, lower is better", s.min, s.max)
        }
        OutcomeKind::Numeric => format!("mean of {}", o.column),
        OutcomeKind::Binary => {
            let answers: Vec<String> = o.positive.iter().map(|p| format!("“{p}”")).collect();
            format!("{}: share of answers that are {}", o.metric(), answers.join(" or "))
        }
    }
}

/// A share as a percentage with one decimal: 0.2113 → "21.1%".
fn pct(share: f64) -> String {
    format!("{:.1}%", 100.0 * share)
}

fn share_ci(x: &Driver) -> Option<String> {
    let (l, h) = x.share_ci_low.zip(x.share_ci_high)?;
    Some(format!("{:.1}–{:.1}%", 100.0 * l, 100.0 * h))
}

fn p_value(p: f64) -> String {
    if p < 0.001 {
        "<0.001".to_string()
    } else {
        format!("{p:.3}")
    }
}
