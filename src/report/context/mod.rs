//! What the report template sees: every figure of an [`Analysis`] already formatted
//! ("+19.2", "21.1%", "18.7–23.5%"), every choice already made (which drivers to fix
//! first, which are tied), so a template holds only wording and layout and a team's own
//! template cannot get a number wrong. The values come from the same structs as the
//! JSON and CSV files beside the report.

mod agreement;
mod change;
mod drivers;
mod groups;
mod headline;
mod method;
mod whatif;

pub use agreement::*;
pub use change::*;
pub use drivers::*;
pub use groups::*;
pub use headline::*;
pub use method::*;
pub use whatif::*;

use serde::Serialize;

use super::charts::{Chart, OutcomeCharts};
use super::Files;
use crate::analysis::groups::{GroupFit, ShareDifference};
use crate::analysis::{Analysis, OutcomeAnalysis};
use crate::engine::{Driver, DriverTable, Method};
use crate::headline::scores::ScoreStats;
use crate::schema::outcome::{Band, Outcome};
use crate::schema::settings::WeightsAre;

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

/// An interval's ends, as the report prints them; the template says "to".
#[derive(Debug, Clone, Serialize)]
pub struct Span {
    pub low: String,
    pub high: String,
}

/// An answer scale's ends, as the report prints them.
#[derive(Serialize)]
pub struct ScaleView {
    pub min: String,
    pub max: String,
}

/// Something the engine or the pipeline found, as a template sees it: its `kind` and its
/// numbers (to word it itself), and its English words as `text`. Printed alone, it is its
/// text.
#[derive(Debug, Clone)]
pub struct Said {
    pub fields: serde_json::Value,
    pub text: String,
}

impl Said {
    pub fn of<T: Serialize + std::fmt::Display>(x: &T) -> Said {
        Said { fields: serde_json::to_value(x).unwrap_or_default(), text: x.to_string() }
    }
}

impl Serialize for Said {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let fields = self.fields.as_object();
        let mut map = s.serialize_map(None)?;
        for (k, v) in fields.into_iter().flatten() {
            map.serialize_entry(k, v)?;
        }
        map.serialize_entry("text", &self.text)?;
        map.end()
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
    /// What the template words the headline from: the answer scale, the cut-off of a
    /// csat or ces outcome, a binary outcome's positive answers.
    pub scale: Option<ScaleView>,
    pub cutoff: Option<String>,
    pub positive: Vec<String>,
    /// The headline is a share (NPS, % satisfied): its changes are points.
    pub is_share: bool,
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
    /// What a point is worth (the main outcome), or why it could not be computed.
    pub whatif: Option<WhatIfView>,
    pub whatif_note: Option<Said>,
    pub drivers: Option<DriversView>,
    /// Why there is no driver model.
    pub drivers_note: Option<Said>,
    pub share_shift: Option<ShareShiftView>,
    pub by_wave: Option<GroupTable>,
    pub by_segment: Vec<GroupTable>,
    pub group_notes: Vec<Said>,
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
            scale: out.scale.map(|s| ScaleView { min: s.min.to_string(), max: s.max.to_string() }),
            cutoff: out.cutoff.map(|c| c.to_string()),
            positive: out.positive.clone(),
            is_share: out.is_share(),
            lower_is_better: out.sign() < 0.0,
            headline: Headline::of(a, o),
            top: o.drivers.as_ref().map(TopDriver::of).unwrap_or_default(),
            overall: Score::of(out, &o.scores.overall),
            charts,
            chart_list: charts.all().collect(),
            act: o.drivers.as_ref().and_then(Act::of),
            change: o.groups.explained().map(|(e, everyone)| ChangeView::of(out, e, everyone)),
            whatif: o.whatif.as_ref().map(|w| WhatIfView::of(a, out, w)),
            whatif_note: o.whatif_note.as_ref().map(Said::of),
            drivers: o.drivers.as_ref().map(|d| DriversView::of(out, d)),
            drivers_note: o.drivers.as_ref().map_or_else(|| o.drivers_note.as_ref().map(Said::of), |_| None),
            share_shift: o.groups.share_shift.as_ref().map(|s| ShareShiftView {
                from: s.from.clone(),
                to: s.to.clone(),
                rows: s.drivers.iter().map(ShareRow::of).collect(),
            }),
            by_wave: o.drivers.as_ref().filter(|_| !o.groups.waves.is_empty()).map(|d| {
                let groups: Vec<(&str, &GroupFit)> = o.groups.waves.iter().map(|x| (x.wave.as_str(), &x.fit)).collect();
                GroupTable::of(&out.label, a.survey.wave.as_deref().unwrap_or("wave"), d, &groups, None)
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
                            GroupTable::of(&out.label, col, d, &fits, Some(&versus))
                        })
                        .collect()
                })
                .unwrap_or_default(),
            group_notes: o.groups.notes.iter().map(Said::of).collect(),
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
                    ci: Span { low: out.delta(g.ci_low), high: out.delta(g.ci_high) },
                    beyond_noise: g.beyond_noise,
                })
                .collect(),
            breakdowns: o.scores.breakdowns.iter().map(|b| Breakdown::of(out, &b.by, &b.rows)).collect(),
            files: FilesView {
                scores: files.scores,
                drivers: o.drivers.as_ref().map(|_| files.drivers),
                whatif: o.whatif.as_ref().map(|_| files.whatif),
            },
        }
    }
}

#[derive(Serialize)]
pub struct FilesView {
    pub scores: String,
    pub drivers: Option<String>,
    pub whatif: Option<String>,
}

/// A headline value with its unit: "+23.4", "78.2%", "3.41".
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
