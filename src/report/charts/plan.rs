//! The plan: which charts one outcome gets (each only when the data allow it), what their
//! words may name, and the drawing of each once the template has given its words.

use std::path::Path;

use serde::Serialize;

use super::*;
use crate::analysis::change::Explained;
use crate::analysis::groups::{GroupAnalysis, SegmentGroup};
use crate::analysis::OutcomeAnalysis;
use crate::engine::DriverTable;
use crate::report::Files;

/// A chart in the report: which one, its file, and the figures its words may name. The
/// words themselves (title, axes, notes) come from the template's `chart_words` macro,
/// so a team's template words the charts as it words the text.
#[derive(Debug, Clone, Serialize)]
pub struct Chart {
    /// composition, trend, drivers, quadrant, change, shares_by_wave, shares_by_segment or
    /// correlations.
    pub kind: &'static str,
    pub file: String,
    /// The outcome's label ("NPS", "CSAT") and headline ("NPS", "% satisfied").
    pub label: String,
    pub metric: String,
    /// The wave column, and the segment column the trend draws a line per group of.
    pub wave: Option<String>,
    pub by: Option<String>,
    /// The trend shows benchmarks.
    pub benchmarks: bool,
    /// The two waves a change or a shift of shares compares.
    pub from: Option<String>,
    pub to: Option<String>,
    /// Some driver's share moved beyond noise between them.
    pub moved: bool,
    /// A change decomposed from every respondent (else from the complete responses).
    pub everyone: bool,
    /// The bars carry bootstrap intervals.
    pub intervals: bool,
    /// The bars are correlations (Shapley values were not run).
    pub correlations: bool,
    /// Effort: lower is better, and drivers are signed by less effort.
    pub lower_is_better: bool,
    /// The outcome's kind (nps, csat, ces, numeric, binary) and a binary outcome's
    /// positive answer, for a template that names the headline itself.
    pub outcome: &'static str,
    pub positive: Option<String>,
    /// The answer bands (composition): name and answers of each.
    pub bands: Option<Bands>,
    /// The what-if's scenarios are each driver one point higher (the default).
    pub plus_one: bool,
}

/// An outcome's three answer bands, for a legend.
#[derive(Debug, Clone, Serialize)]
pub struct Bands {
    pub low: BandView,
    pub mid: BandView,
    pub high: BandView,
}

#[derive(Debug, Clone, Serialize)]
pub struct BandView {
    /// "promoters", "low_effort", …
    pub band: &'static str,
    /// "9–10", "4", …
    pub range: String,
}

impl Chart {
    fn of(kind: &'static str, file: &str, out: &Outcome) -> Chart {
        Chart {
            kind,
            file: file.to_string(),
            label: out.label.clone(),
            metric: out.metric(),
            wave: None,
            by: None,
            benchmarks: false,
            from: None,
            to: None,
            moved: false,
            everyone: false,
            intervals: false,
            correlations: false,
            lower_is_better: out.sign() < 0.0,
            outcome: out.kind.name(),
            positive: out.positive.first().cloned(),
            bands: out.band_names().map(|names| {
                let view = |b: Band| BandView { band: names[b as usize], range: out.band_range(b) };
                Bands { low: view(Band::Low), mid: view(Band::Mid), high: view(Band::High) }
            }),
            plus_one: false,
        }
    }
}

/// One outcome's charts; each is drawn only when the data allow it.
#[derive(Debug, Default, Serialize)]
pub struct OutcomeCharts {
    /// Answer bands by wave (NPS: detractors, passives, promoters).
    pub composition: Option<Chart>,
    /// The headline by wave with its 95% band and the benchmarks.
    pub trend: Option<Chart>,
    /// Shapley shares with intervals and tie letters (or correlations).
    pub drivers: Option<Chart>,
    /// Importance against performance.
    pub quadrant: Option<Chart>,
    /// What a point is worth: each scenario's predicted change.
    pub whatif: Option<Chart>,
    /// Why the headline moved: the waterfall.
    pub change: Option<Chart>,
    /// Drivers' shares by wave, movers marked.
    pub shares_by_wave: Option<Chart>,
    /// Drivers' shares by segment, as a heatmap.
    pub shares_by_segment: Option<Chart>,
    /// Correlations between the drivers, as a heatmap.
    pub correlations: Option<Chart>,
}

impl OutcomeCharts {
    /// Every chart, in the order the report shows them.
    pub fn all(&self) -> impl Iterator<Item = &Chart> {
        [
            &self.quadrant,
            &self.whatif,
            &self.change,
            &self.drivers,
            &self.shares_by_wave,
            &self.shares_by_segment,
            &self.correlations,
            &self.composition,
            &self.trend,
        ]
        .into_iter()
        .flatten()
    }
}

/// A chart's words, as the template gives them: `(chart, part)` → text.
pub type Words<'a> = dyn Fn(&Chart, &str) -> Result<String> + 'a;

/// The charts outcome `o` gets.
pub fn plan(wave: Option<&str>, o: &OutcomeAnalysis, files: &Files) -> OutcomeCharts {
    let out = &o.outcome;
    let mut charts = OutcomeCharts::default();
    let waves = wave.and_then(|w| o.scores.by(w).map(|rows| (w, rows)));
    if let (Some((wave, _)), Some(_)) = (waves, out.band_names()) {
        let file = format!("{}_by_wave.png", files.scores);
        charts.composition = Some(Chart { wave: Some(wave.into()), ..Chart::of("composition", &file, out) });
    }
    if let Some((wave, _)) = waves.filter(|(_, rows)| rows.len() > 1) {
        charts.trend = Some(Chart {
            wave: Some(wave.into()),
            by: o.scores.trend.as_ref().map(|t| t.by.clone()),
            benchmarks: !o.scores.benchmarks.is_empty(),
            ..Chart::of("trend", &files.trend, out)
        });
    }
    let Some(d) = &o.drivers else { return charts };
    let shares = d.drivers.iter().all(|x| x.shapley_share.is_some());
    charts.drivers = Some(Chart {
        intervals: shares && d.drivers.iter().all(|x| x.share_ci_low.is_some() && x.share_ci_high.is_some()),
        correlations: !shares,
        ..Chart::of("drivers", &format!("{}.png", files.drivers), out)
    });
    if shares {
        charts.quadrant = Some(Chart::of("quadrant", &files.quadrant, out));
    }
    if let Some(w) = &o.whatif {
        charts.whatif = Some(Chart {
            intervals: w.scenarios.iter().all(|s| s.ci_low.is_some()),
            plus_one: w.plus_one(),
            ..Chart::of("whatif", &format!("{}.png", files.whatif), out)
        });
    }
    if let Some((e, everyone)) = o.groups.explained() {
        charts.change = Some(Chart {
            from: Some(e.from.clone()),
            to: Some(e.to.clone()),
            everyone,
            ..Chart::of("change", &files.change, out)
        });
    }
    if let Some((_, lines)) = share_slopes(d, &o.groups) {
        let shift = o.groups.share_shift.as_ref();
        charts.shares_by_wave = Some(Chart {
            from: shift.map(|s| s.from.clone()),
            to: shift.map(|s| s.to.clone()),
            moved: lines.iter().any(|l| l.moved != 0),
            ..Chart::of("shares_by_wave", &files.shares_by_wave, out)
        });
    }
    if segment_cells(d, &o.groups).is_some() {
        charts.shares_by_segment = Some(Chart::of("shares_by_segment", &files.shares_by_segment, out));
    }
    if d.driver_correlations.len() > 1 {
        charts.correlations = Some(Chart::of("correlations", &files.correlations, out));
    }
    charts
}

/// Draws outcome `o`'s `charts` into `dir`, each with the words `words` gives it.
pub fn draw(
    o: &OutcomeAnalysis,
    wave: Option<&str>,
    charts: &OutcomeCharts,
    words: &Words,
    dir: &Path,
    scale: u32,
) -> Result<()> {
    let out = &o.outcome;
    let rows = |w: Option<&str>| w.and_then(|w| o.scores.by(w)).unwrap_or(&[]);
    if let Some(c) = &charts.composition {
        let legend = [words(c, "legend_low")?, words(c, "legend_mid")?, words(c, "legend_high")?];
        let (title, y, prefix) = (words(c, "title")?, words(c, "y")?, words(c, "value")?);
        composition(Canvas { path: &dir.join(&c.file), scale }, &title, &y, &legend, &prefix, out, rows(wave))?;
    }
    if let Some(c) = &charts.trend {
        let (waves, segments, references) = trend_lines(o, rows(wave));
        trend(
            Canvas { path: &dir.join(&c.file), scale },
            &words(c, "title")?,
            &words(c, "y")?,
            &waves,
            &segments,
            &references,
            out.decimals(),
        )?;
    }
    let Some(d) = &o.drivers else { return Ok(()) };
    if let Some(c) = &charts.drivers {
        ranked_bars(
            Canvas { path: &dir.join(&c.file), scale },
            &words(c, "title")?,
            &words(c, "x")?,
            &driver_bars(d),
            if c.correlations { 3 } else { 1 },
        )?;
    }
    if let Some(c) = &charts.quadrant {
        let average = d.average_rating();
        let points: Vec<Point> = d
            .drivers
            .iter()
            .map(|x| Point {
                label: x.label.clone(),
                x: x.mean_rating,
                x_ci: Some(x.rating_ci()),
                on_line: x.rated_as(average),
                y: 100.0 * x.shapley_share.unwrap_or(0.0),
            })
            .collect();
        let [fix, keep, overkill, low] =
            ["fix_first", "keep_it_up", "possible_overkill", "low_priority"].map(|p| words(c, p));
        quadrant(
            Canvas { path: &dir.join(&c.file), scale },
            &words(c, "title")?,
            &words(c, "x")?,
            &words(c, "y")?,
            [fix?, keep?, overkill?, low?],
            &points,
        )?;
    }
    if let (Some(c), Some(w)) = (&charts.whatif, &o.whatif) {
        let mut bars: Vec<Bar> = w
            .scenarios
            .iter()
            .map(|s| Bar { label: s.label.clone(), value: s.change, ci: s.ci_low.zip(s.ci_high), tie: None })
            .collect();
        bars.sort_by(|x, y| (out.sign() * y.value).total_cmp(&(out.sign() * x.value)));
        ranked_bars(
            Canvas { path: &dir.join(&c.file), scale },
            &words(c, "title")?,
            &words(c, "x")?,
            &bars,
            out.decimals(),
        )?;
    }
    if let (Some(c), Some((e, _))) = (&charts.change, o.groups.explained()) {
        let steps = waterfall_steps(e, words(c, "start")?, words(c, "rest")?, words(c, "end")?);
        waterfall(
            Canvas { path: &dir.join(&c.file), scale },
            &words(c, "title")?,
            &words(c, "y")?,
            &steps,
            out.decimals(),
            out.sign() > 0.0,
        )?;
    }
    if let (Some(c), Some((waves, lines))) = (&charts.shares_by_wave, share_slopes(d, &o.groups)) {
        slopes(Canvas { path: &dir.join(&c.file), scale }, &words(c, "title")?, &waves, &lines, &words(c, "note")?)?;
    }
    let heat = |c: &Chart, rows: &[String], columns: &[HeatColumn], cells: &[Vec<Option<HeatCell>>]| {
        heatmap(
            Canvas { path: &dir.join(&c.file), scale },
            &words(c, "title")?,
            rows,
            columns,
            cells,
            &words(c, "note")?,
        )
    };
    if let (Some(c), Some((columns, cells))) = (&charts.shares_by_segment, segment_cells(d, &o.groups)) {
        let rows: Vec<String> = d.drivers.iter().map(|x| x.label.clone()).collect();
        heat(c, &rows, &columns, &cells)?;
    }
    if let Some(c) = &charts.correlations {
        let rows: Vec<String> = d.drivers.iter().enumerate().map(|(i, x)| format!("{}. {}", i + 1, x.label)).collect();
        let columns: Vec<HeatColumn> =
            (1..=rows.len()).map(|i| HeatColumn { label: i.to_string(), group: None }).collect();
        let cells: Vec<Vec<Option<HeatCell>>> = d
            .driver_correlations
            .iter()
            .map(|row| row.iter().map(|&r| Some(HeatCell { text: format!("{r:.2}"), intensity: r })).collect())
            .collect();
        heat(c, &rows, &columns, &cells)?;
    }
    Ok(())
}

/// The headline by wave, each `trend_by` group's headline by wave, and each benchmark as a
/// line over the waves it names (a figure for the whole sample drawn flat across every wave).
type TrendLines = (Vec<Wave>, Vec<Reference>, Vec<Reference>);
fn trend_lines(o: &OutcomeAnalysis, rows: &[ScoreStats]) -> TrendLines {
    let index = |w: &str| rows.iter().position(|r| r.group == w);
    let waves = rows.iter().map(|r| Wave { label: r.group.clone(), value: r.score, ci: (r.ci_low, r.ci_high) });
    let segments = o.scores.trend.iter().flat_map(|t| &t.groups).map(|g| Reference {
        label: g.group.clone(),
        points: g.waves.iter().filter_map(|r| Some((index(&r.group)?, r.score))).collect(),
    });
    let mut references: Vec<Reference> = Vec::new();
    for g in &o.scores.benchmarks {
        let at: Vec<usize> =
            if g.wave == "all" { (0..rows.len()).collect() } else { index(&g.wave).into_iter().collect() };
        let points = at.into_iter().map(|i| (i, g.benchmark));
        match references.iter_mut().find(|r| r.label == g.label) {
            Some(r) => r.points.extend(points),
            None => references.push(Reference { label: g.label.clone(), points: points.collect() }),
        }
    }
    (waves.collect(), segments.collect(), references)
}

/// The waterfall: the earlier level, each driver's part (largest first), the unexplained
/// rest, the later level.
fn waterfall_steps(e: &Explained, start: String, rest: String, end: String) -> Vec<Step> {
    let level = |label: String, to: f64| Step { label, from: 0.0, to, level: true };
    let mut steps = vec![level(start, e.score_from)];
    let mut at = e.score_from;
    let parts = e.by_size().into_iter().map(|c| (c.label.clone(), c.points));
    for (label, points) in parts.chain([(rest, e.unexplained)]) {
        steps.push(Step { label, from: at, to: at + points, level: false });
        at += points;
    }
    steps.push(level(end, e.score_to));
    steps
}

/// Each driver's share in every wave, marked when it moved beyond noise between the last two.
fn share_slopes(d: &DriverTable, g: &GroupAnalysis) -> Option<(Vec<String>, Vec<Slope>)> {
    let fitted = g.waves.iter().filter(|w| w.fit.table.is_some()).count();
    if fitted < 2 {
        return None;
    }
    let waves: Vec<String> = g.waves.iter().map(|w| w.wave.clone()).collect();
    let lines = d
        .drivers
        .iter()
        .map(|x| {
            let shares = g.waves.iter().map(|w| Some(100.0 * share_in(&w.fit.table, &x.name)?)).collect();
            let moved = g
                .share_shift
                .as_ref()
                .and_then(|s| s.drivers.iter().find(|s| s.name == x.name))
                .filter(|s| s.significant)
                .map_or(0, |s| if s.difference > 0.0 { 1 } else { -1 });
            Slope { label: x.label.clone(), shares, moved }
        })
        .collect();
    Some((waves, lines))
}

fn share_in(table: &Option<DriverTable>, name: &str) -> Option<f64> {
    table.as_ref()?.drivers.iter().find(|x| x.name == name)?.shapley_share
}

/// The segment heatmap's columns (every group of every segment variable) and cells
/// (drivers down, in the pooled order), darker for a larger share.
type Heat = (Vec<HeatColumn>, Vec<Vec<Option<HeatCell>>>);
fn segment_cells(d: &DriverTable, g: &GroupAnalysis) -> Option<Heat> {
    let groups: Vec<(&String, &SegmentGroup)> =
        g.segments.iter().flat_map(|(col, groups)| groups.iter().map(move |x| (col, x))).collect();
    if groups.iter().all(|(_, x)| x.fit.table.is_none()) {
        return None;
    }
    let columns =
        groups.iter().map(|(col, x)| HeatColumn { label: x.group.clone(), group: Some(col.to_string()) }).collect();
    let top = groups.iter().filter_map(|(_, x)| x.fit.table.as_ref()).flat_map(|t| &t.drivers);
    let top = top.filter_map(|x| x.shapley_share).fold(1e-9, f64::max);
    let cells = d
        .drivers
        .iter()
        .map(|x| {
            groups
                .iter()
                .map(|(_, grp)| {
                    let share = share_in(&grp.fit.table, &x.name)?;
                    let mark = grp
                        .versus_rest
                        .as_ref()
                        .and_then(|v| v.iter().find(|s| s.name == x.name))
                        .filter(|s| s.significant)
                        .map_or("", |s| if s.difference > 0.0 { " ▲" } else { " ▼" });
                    Some(HeatCell { text: format!("{:.1}%{mark}", 100.0 * share), intensity: share / top })
                })
                .collect()
        })
        .collect();
    Some((columns, cells))
}

/// The bars, largest first: Shapley shares with their bootstrap intervals and tie letters,
/// or the correlations when Shapley was not run.
fn driver_bars(d: &DriverTable) -> Vec<Bar> {
    let shares: Option<Vec<Bar>> = d
        .drivers
        .iter()
        .map(|x| {
            let ci = x.share_ci_low.zip(x.share_ci_high).map(|(l, h)| (100.0 * l, 100.0 * h));
            let tie = x.tie_group.clone();
            Some(Bar { label: x.label.clone(), value: 100.0 * x.shapley_share?, ci, tie })
        })
        .collect();
    let mut bars = shares.unwrap_or_else(|| {
        d.drivers.iter().map(|x| Bar { label: x.label.clone(), value: x.corr, ci: None, tie: None }).collect()
    });
    bars.sort_by(|x, y| y.value.total_cmp(&x.value));
    bars
}
