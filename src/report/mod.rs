//! Writes a report folder that appears whole or not at all: everything is written into a
//! hidden staging folder beside the destination and renamed into place at the end. An
//! existing report is only replaced with `--force`, and then also by rename, so a failed
//! or interrupted run never leaves a half-written report or loses the previous one.

mod charts;
mod context;
mod html;
mod markdown;
pub mod template;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::Serialize;

use crate::analysis::groups::{GroupAnalysis, SegmentGroup};
use crate::analysis::{Analysis, OutcomeAnalysis};
use crate::engine::DriverTable;
use crate::error::{Error, Result};
use crate::export;
use crate::headline::scores::{ScoreStats, ScoreTable};
use crate::schema::outcome::{Outcome, OutcomeKind};

/// Where a run's staging folder is while it is written, for a caller's interrupt handler
/// to remove (the CLI's Ctrl-C); held locked while the finished folder is swapped into
/// place. Each caller owns its own: the library keeps no global state.
pub type Staging = Arc<Mutex<Option<PathBuf>>>;

const STAGING_PREFIX: &str = ".keydriver-staging-";

/// One headline row with the breakdown it belongs to, for nps.csv (csat.csv, …).
#[derive(Serialize)]
pub struct ScoreRow<'a> {
    pub by: &'a str,
    #[serde(flatten)]
    pub stats: &'a ScoreStats,
}

/// All headline rows: overall first, then each breakdown.
pub fn score_rows(scores: &ScoreTable) -> Vec<ScoreRow<'_>> {
    std::iter::once(ScoreRow { by: "all", stats: &scores.overall })
        .chain(scores.breakdowns.iter().flat_map(|b| b.rows.iter().map(move |s| ScoreRow { by: &b.by, stats: s })))
        .collect()
}

/// What one outcome's files are called. The main (first) outcome's are `drivers.*` and
/// `nps.*` (or `csat.*`, …); any other outcome's carry its column name, so two outcomes
/// never write the same file.
pub struct Files {
    /// `drivers`, `drivers-satisfaction`: the driver table's .json, .csv and .png.
    pub drivers: String,
    /// `nps`, `csat-satisfaction`: the headline's .json, .csv and `_by_wave.png`.
    pub scores: String,
    /// The charts' file names: `quadrant.png`, `quadrant-satisfaction.png`, ….
    pub quadrant: String,
    pub change: String,
    pub trend: String,
    pub shares_by_wave: String,
    pub shares_by_segment: String,
    pub correlations: String,
}

impl Files {
    pub fn of(outcome: &Outcome, main: bool) -> Files {
        let kind = match outcome.kind {
            OutcomeKind::Numeric => "scores",
            k => k.name(),
        };
        let suffix = if main { String::new() } else { format!("-{}", slug(&outcome.column)) };
        Files {
            drivers: format!("drivers{suffix}"),
            scores: format!("{kind}{suffix}"),
            quadrant: format!("quadrant{suffix}.png"),
            change: format!("change{suffix}.png"),
            trend: format!("{kind}{suffix}_trend.png"),
            shares_by_wave: format!("shares_by_wave{suffix}.png"),
            shares_by_segment: format!("shares_by_segment{suffix}.png"),
            correlations: format!("correlations{suffix}.png"),
        }
    }
}

/// A column name as part of a file name: letters, digits, `-` and `_` only, so the name
/// needs no quoting in a markdown link or a shell.
fn slug(s: &str) -> String {
    let out: String = s.chars().map(|c| if c.is_alphanumeric() || c == '-' { c } else { '_' }).collect();
    if out.trim_matches('_').is_empty() {
        "outcome".into()
    } else {
        out
    }
}

/// How a report is written, beyond what it says.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Replace an existing report of the same name.
    pub force: bool,
    /// Chart resolution: 1 = 1200×675 pixels, 2 = 2400×1350.
    pub scale: u32,
    /// The report's wording: the built-in template, or a team's own.
    pub template: template::Template,
    /// Told the staging folder while the report is written.
    pub staging: Staging,
}

impl Default for Settings {
    fn default() -> Self {
        Settings { force: false, scale: 1, template: template::Template::builtin(), staging: Staging::default() }
    }
}

/// Writes `<out_dir>/<name>/` and returns its path.
pub fn write(a: &Analysis, out_dir: &Path, settings: &Settings) -> Result<PathBuf> {
    let dest = out_dir.join(&a.name);
    // Checked now to spare the work, and again, atomically, by the final rename.
    if dest.exists() && !settings.force {
        return Err(already_exists(&dest));
    }
    std::fs::create_dir_all(out_dir).map_err(|e| Error::output(out_dir, e))?;
    let staging =
        tempfile::Builder::new().prefix(STAGING_PREFIX).tempdir_in(out_dir).map_err(|e| Error::output(out_dir, e))?;
    *settings.staging.lock().unwrap_or_else(|p| p.into_inner()) = Some(staging.path().to_path_buf());
    fill(a, staging.path(), settings)?;

    let mut guard = settings.staging.lock().unwrap_or_else(|p| p.into_inner());
    let staged = staging.keep();
    let result = if settings.force { swap_into_place(&staged, &dest) } else { rename_new(&staged, &dest) };
    if result.is_err() {
        std::fs::remove_dir_all(&staged).ok();
    }
    *guard = None;
    result.map(|_| dest)
}

fn already_exists(dest: &Path) -> Error {
    Error::output(dest, "a report already exists here: pass --force to replace it, or --name to write another")
}

/// Moves the staged folder to `dest` unless something is there, in one step: of two runs
/// writing the same report at once, one wins and the other gets the usual refusal (an
/// existence check followed by a rename would let both "win" and lose one report).
fn rename_new(staged: &Path, dest: &Path) -> Result<()> {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::ffi::OsStrExt;
        let c = |p: &Path| std::ffi::CString::new(p.as_os_str().as_bytes()).map_err(|e| Error::output(p, e));
        let (from, to) = (c(staged)?, c(dest)?);
        // SAFETY: two NUL-terminated paths that live across the call.
        let rc = unsafe {
            libc::renameat2(libc::AT_FDCWD, from.as_ptr(), libc::AT_FDCWD, to.as_ptr(), libc::RENAME_NOREPLACE)
        };
        if rc == 0 {
            return Ok(());
        }
        let e = std::io::Error::last_os_error();
        match e.raw_os_error() {
            Some(libc::EEXIST) | Some(libc::ENOTEMPTY) => return Err(already_exists(dest)),
            // A file system without RENAME_NOREPLACE: the portable rule below.
            Some(libc::EINVAL) | Some(libc::ENOSYS) => {}
            _ => return Err(Error::output(dest, e)),
        }
    }
    // A folder cannot be renamed onto a folder that has files in it (a report always has).
    match std::fs::rename(staged, dest) {
        Ok(()) => Ok(()),
        Err(_) if dest.exists() => Err(already_exists(dest)),
        Err(e) => Err(Error::output(dest, e)),
    }
}

/// `--force`: the old report is moved aside, the new one renamed into place, the old one
/// removed; if the rename fails the old one is put back.
fn swap_into_place(staged: &Path, dest: &Path) -> Result<()> {
    if dest.exists() {
        let aside = tempfile::Builder::new()
            .prefix(&format!("{STAGING_PREFIX}old-"))
            .tempdir_in(dest.parent().unwrap_or(Path::new(".")))
            .map_err(|e| Error::output(dest, e))?
            .keep();
        let old = aside.join("report");
        std::fs::rename(dest, &old).map_err(|e| Error::output(dest, e))?;
        if let Err(e) = std::fs::rename(staged, dest) {
            if std::fs::rename(&old, dest).is_ok() {
                std::fs::remove_dir(&aside).ok();
            }
            return Err(Error::output(dest, e));
        }
        std::fs::remove_dir_all(&aside).map_err(|e| Error::output(&aside, e))
    } else {
        std::fs::rename(staged, dest).map_err(|e| Error::output(dest, e))
    }
}

fn fill(a: &Analysis, dir: &Path, settings: &Settings) -> Result<()> {
    let start = std::time::Instant::now();
    let put = |file: &str, text: String| {
        let path = dir.join(file);
        std::fs::write(&path, text).map_err(|e| Error::output(&path, e))
    };
    let mut charts = Vec::new();
    for (i, o) in a.outcomes.iter().enumerate() {
        let files = Files::of(&o.outcome, i == 0);
        charts.push(outcome_charts(a, o, &files, dir, settings.scale)?);
        if let Some(d) = &o.drivers {
            put(
                &format!("{}.json", files.drivers),
                export::json::render(&crate::analysis::DriverReport { table: d, groups: &o.groups }),
            )?;
            put(&format!("{}.csv", files.drivers), export::csv::render(&d.drivers))?;
        }
        put(&format!("{}.json", files.scores), export::json::render(&o.scores))?;
        put(&format!("{}.csv", files.scores), export::csv::render(&score_rows(&o.scores)))?;
    }
    if let Some(agreement) = &a.agreement {
        put("agreement.json", export::json::render(agreement))?;
    }
    let md = settings.template.render(&context::Report::of(a, &charts))?;
    put("report.html", html::render(&md, &format!("Key-driver report — {}", a.name), dir)?)?;
    put("report.md", md)?;
    put(
        "run.json",
        export::json::render(&RunInfo {
            version: &a.version,
            seed: a.survey.seed,
            config: a.config.as_deref(),
            inputs: inputs(a)?,
            survey: &a.survey,
            load: &a.load,
            timings: a
                .timings
                .iter()
                .cloned()
                .chain([crate::analysis::Stage {
                    stage: "charts and tables".into(),
                    seconds: start.elapsed().as_secs_f64(),
                }])
                .collect(),
        }),
    )
}

/// A chart in the report: its title (also its alt text) and file.
#[derive(Debug, Clone, Serialize)]
pub struct Chart {
    pub title: String,
    pub file: String,
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
    /// Every chart drawn, in the order the report shows them.
    pub fn all(&self) -> impl Iterator<Item = &Chart> {
        [
            &self.quadrant,
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

/// Draws one outcome's charts into `dir`.
fn outcome_charts(a: &Analysis, o: &OutcomeAnalysis, files: &Files, dir: &Path, scale: u32) -> Result<OutcomeCharts> {
    let mut charts = OutcomeCharts::default();
    let canvas = |file: &str| (dir.join(file), scale);
    let draw = |file: &str, title: String, f: &dyn Fn(charts::Canvas) -> Result<()>| -> Result<Option<Chart>> {
        let (path, scale) = canvas(file);
        f(charts::Canvas { path: &path, scale })?;
        Ok(Some(Chart { title, file: file.to_string() }))
    };
    let out = &o.outcome;
    let waves = a.survey.wave.as_deref().and_then(|w| o.scores.by(w).map(|rows| (w, rows)));
    if let (Some((wave, rows)), Some(_)) = (waves, out.band_names()) {
        let file = format!("{}_by_wave.png", files.scores);
        let title = format!("{} by {wave}", out.label);
        charts.composition = draw(&file, title.clone(), &|c| charts::composition(c, &title, out, rows))?;
    }
    if let Some((wave, rows)) = waves.filter(|(_, rows)| rows.len() > 1) {
        let (waves, segments, references) = trend_lines(o, rows);
        let title = match &o.scores.trend {
            Some(t) => format!("{} by {wave} and {}", capitalised(&out.metric()), t.by),
            None => format!("{} by {wave}", capitalised(&out.metric())),
        };
        let axis = format!("{}; band: 95% interval", out.metric());
        let alt = if references.is_empty() { title.clone() } else { format!("{title}, with benchmarks") };
        charts.trend = draw(&files.trend, alt, &|c| {
            charts::trend(c, &title, &axis, &waves, &segments, &references, out.decimals())
        })?;
    }
    let Some(d) = &o.drivers else { return Ok(charts) };
    let (title, axis, bars, decimals) = driver_bars(d, out);
    charts.drivers = draw(&format!("{}.png", files.drivers), title.clone(), &|c| {
        charts::ranked_bars(c, &title, axis, &bars, decimals)
    })?;
    let average = d.average_rating();
    let points: Option<Vec<charts::Point>> = d
        .drivers
        .iter()
        .map(|x| {
            Some(charts::Point {
                label: x.label.clone(),
                x: x.mean_rating,
                x_ci: Some(x.rating_ci()),
                on_line: x.rated_as(average),
                y: 100.0 * x.shapley_share?,
            })
        })
        .collect();
    if let Some(points) = points {
        let title = format!("Where to act on {}: importance and performance", out.label);
        charts.quadrant = draw(&files.quadrant, title.clone(), &|c| {
            charts::quadrant(
                c,
                &title,
                "performance: mean rating (whiskers: 95% interval; hollow: not distinguishable from the average)",
                &points,
            )
        })?;
    }
    if let Some(e) = &o.groups.change_explained {
        let steps = waterfall_steps(out, e);
        let title = format!("Why {} moved from {} to {}", out.metric(), e.from, e.to);
        let axis = format!("{} among complete responses; bars: each driver's part", out.metric());
        charts.change = draw(&files.change, title.clone(), &|c| {
            charts::waterfall(c, &title, &axis, &steps, out.decimals(), out.sign() > 0.0)
        })?;
    }
    if let Some((waves, lines)) = share_slopes(d, &o.groups) {
        let title = format!("Drivers of {}: share of R² by wave", out.label);
        let note = match (&o.groups.share_shift, lines.iter().any(|l| l.moved != 0)) {
            (Some(s), true) => {
                format!("▲ / ▼ in colour: moved beyond noise from {} to {} (95% bootstrap interval)", s.from, s.to)
            }
            (Some(s), false) => {
                format!("No driver's share moved beyond noise from {} to {} (95% bootstrap interval)", s.from, s.to)
            }
            (None, _) => String::new(),
        };
        charts.shares_by_wave =
            draw(&files.shares_by_wave, title.clone(), &|c| charts::slopes(c, &title, &waves, &lines, &note))?;
    }
    if let Some((columns, cells)) = segment_cells(d, &o.groups) {
        let title = format!("Drivers of {}: share of R² by segment", out.label);
        let rows: Vec<String> = d.drivers.iter().map(|x| x.label.clone()).collect();
        let note = "Darker: larger share. ▲ / ▼: more / less than in the rest of the sample, beyond noise";
        charts.shares_by_segment = draw(&files.shares_by_segment, title.clone(), &|c| {
            charts::heatmap(c, &title, &rows, &columns, &cells, note)
        })?;
    }
    if d.driver_correlations.len() > 1 {
        let title = "How the driver ratings move together".to_string();
        let rows: Vec<String> = d.drivers.iter().enumerate().map(|(i, x)| format!("{}. {}", i + 1, x.label)).collect();
        let columns: Vec<charts::HeatColumn> =
            (1..=rows.len()).map(|i| charts::HeatColumn { label: i.to_string(), group: None }).collect();
        let cells: Vec<Vec<Option<charts::HeatCell>>> = d
            .driver_correlations
            .iter()
            .map(|row| row.iter().map(|&r| Some(charts::HeatCell { text: format!("{r:.2}"), intensity: r })).collect())
            .collect();
        let note = "Pearson correlations of the ratings (complete responses); columns numbered as the rows";
        charts.correlations =
            draw(&files.correlations, title.clone(), &|c| charts::heatmap(c, &title, &rows, &columns, &cells, note))?;
    }
    Ok(charts)
}

/// The headline by wave, each `trend_by` group's headline by wave, and each benchmark as a
/// line over the waves it names (a figure for the whole sample drawn flat across every wave).
type TrendLines = (Vec<charts::Wave>, Vec<charts::Reference>, Vec<charts::Reference>);
fn trend_lines(o: &OutcomeAnalysis, rows: &[ScoreStats]) -> TrendLines {
    let index = |w: &str| rows.iter().position(|r| r.group == w);
    let waves = rows.iter().map(|r| charts::Wave { label: r.group.clone(), value: r.score, ci: (r.ci_low, r.ci_high) });
    let segments = o.scores.trend.iter().flat_map(|t| &t.groups).map(|g| charts::Reference {
        label: g.group.clone(),
        points: g.waves.iter().filter_map(|r| Some((index(&r.group)?, r.score))).collect(),
    });
    let mut references: Vec<charts::Reference> = Vec::new();
    for g in &o.scores.benchmarks {
        let at: Vec<usize> =
            if g.wave == "all" { (0..rows.len()).collect() } else { index(&g.wave).into_iter().collect() };
        let points = at.into_iter().map(|i| (i, g.benchmark));
        match references.iter_mut().find(|r| r.label == g.label) {
            Some(r) => r.points.extend(points),
            None => references.push(charts::Reference { label: g.label.clone(), points: points.collect() }),
        }
    }
    (waves.collect(), segments.collect(), references)
}

/// The waterfall: the earlier level, each driver's part (largest first), the unexplained
/// rest, the later level.
fn waterfall_steps(out: &Outcome, e: &crate::analysis::change::Explained) -> Vec<charts::Step> {
    let level =
        |wave: &str, to: f64| charts::Step { label: format!("{} {wave}", out.metric()), from: 0.0, to, level: true };
    let mut steps = vec![level(&e.from, e.score_from)];
    let mut at = e.score_from;
    let parts = e.by_size().into_iter().map(|c| (c.label.clone(), c.points));
    for (label, points) in parts.chain([("not explained by ratings".to_string(), e.unexplained)]) {
        steps.push(charts::Step { label, from: at, to: at + points, level: false });
        at += points;
    }
    steps.push(level(&e.to, e.score_to));
    steps
}

/// Each driver's share in every wave, marked when it moved beyond noise between the last two.
fn share_slopes(d: &DriverTable, g: &GroupAnalysis) -> Option<(Vec<String>, Vec<charts::Slope>)> {
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
            charts::Slope { label: x.label.clone(), shares, moved }
        })
        .collect();
    Some((waves, lines))
}

fn share_in(table: &Option<DriverTable>, name: &str) -> Option<f64> {
    table.as_ref()?.drivers.iter().find(|x| x.name == name)?.shapley_share
}

/// The segment heatmap's columns (every group of every segment variable) and cells
/// (drivers down, in the pooled order), darker for a larger share.
type Heat = (Vec<charts::HeatColumn>, Vec<Vec<Option<charts::HeatCell>>>);
fn segment_cells(d: &DriverTable, g: &GroupAnalysis) -> Option<Heat> {
    let groups: Vec<(&String, &SegmentGroup)> =
        g.segments.iter().flat_map(|(col, groups)| groups.iter().map(move |x| (col, x))).collect();
    if groups.iter().all(|(_, x)| x.fit.table.is_none()) {
        return None;
    }
    let columns = groups
        .iter()
        .map(|(col, x)| charts::HeatColumn { label: x.group.clone(), group: Some(col.to_string()) })
        .collect();
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
                    Some(charts::HeatCell { text: format!("{:.1}%{mark}", 100.0 * share), intensity: share / top })
                })
                .collect()
        })
        .collect();
    Some((columns, cells))
}

/// Shapley shares with their bootstrap intervals and tie letters, or the correlations
/// when Shapley was not run: (title, axis, bars largest first, decimals).
fn driver_bars(d: &DriverTable, outcome: &Outcome) -> (String, &'static str, Vec<charts::Bar>, usize) {
    let shares: Option<Vec<charts::Bar>> = d
        .drivers
        .iter()
        .map(|x| {
            let ci = x.share_ci_low.zip(x.share_ci_high).map(|(l, h)| (100.0 * l, 100.0 * h));
            let tie = x.tie_group.clone();
            Some(charts::Bar { label: x.label.clone(), value: 100.0 * x.shapley_share?, ci, tie })
        })
        .collect();
    let shares_title = format!("What drives {}: share of R²", outcome.label);
    let (title, axis, mut bars, decimals) = match shares {
        Some(bars) if bars.iter().all(|b| b.ci.is_some()) => (
            shares_title,
            "share of explained variance (Shapley value), %; whiskers: 95% bootstrap interval; letters: tie groups",
            bars,
            1,
        ),
        Some(bars) => (shares_title, "share of explained variance (Shapley value), %", bars, 1),
        None => (
            format!("Correlation of each driver with {}", outcome.label),
            if outcome.sign() < 0.0 { "Pearson correlation with less effort" } else { "Pearson correlation" },
            d.drivers
                .iter()
                .map(|x| charts::Bar { label: x.label.clone(), value: x.corr, ci: None, tie: None })
                .collect(),
            3,
        ),
    };
    bars.sort_by(|x, y| y.value.total_cmp(&x.value));
    (title, axis, bars, decimals)
}

/// "mean effort" → "Mean effort", for headings and legends.
fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}

/// What run.json records: enough to say later exactly which data and settings made a
/// report, and where its time went.
#[derive(Serialize)]
struct RunInfo<'a> {
    version: &'a str,
    seed: u64,
    config: Option<&'a str>,
    /// Every input file with its size and SHA-256.
    inputs: Vec<Input>,
    survey: &'a crate::schema::settings::Survey,
    load: &'a crate::load::LoadReport,
    timings: Vec<crate::analysis::Stage>,
}

#[derive(Serialize)]
struct Input {
    path: String,
    bytes: u64,
    sha256: String,
}

/// The config, the ratings, outcome and benchmark files, hashed as they are now.
fn inputs(a: &Analysis) -> Result<Vec<Input>> {
    use sha2::{Digest, Sha256};
    let s = &a.survey;
    let config = a.config.as_ref().map(std::path::PathBuf::from);
    [config.as_ref(), s.ratings.as_ref(), s.nps.as_ref(), s.benchmarks.as_ref()]
        .into_iter()
        .flatten()
        .map(|path| {
            let bytes =
                std::fs::read(path).map_err(|e| Error::Unreadable { file: path.clone(), reason: e.to_string() })?;
            let hash = Sha256::digest(&bytes);
            Ok(Input {
                path: path.display().to_string(),
                bytes: bytes.len() as u64,
                sha256: hash.iter().map(|b| format!("{b:02x}")).collect(),
            })
        })
        .collect()
}
