//! Writes a report folder that appears whole or not at all: everything is written into a
//! hidden staging folder beside the destination and renamed into place at the end. An
//! existing report is only replaced with `--force`, and then also by rename, so a failed
//! or interrupted run never leaves a half-written report or loses the previous one.

mod charts;
mod html;
mod markdown;

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::Serialize;

use crate::drivers::DriverTable;
use crate::error::{Error, Result};
use crate::export;
use crate::outcome::{Outcome, OutcomeKind};
use crate::scores::{ScoreStats, ScoreTable};
use crate::{Analysis, OutcomeAnalysis};

/// The staging folder of the run in progress, for the Ctrl-C handler to remove.
/// Held locked while the finished folder is swapped into place.
pub static STAGING: Mutex<Option<PathBuf>> = Mutex::new(None);

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
    /// `quadrant.png`, `quadrant-satisfaction.png`: the importance–performance matrix.
    pub quadrant: String,
    /// `change.png`, `change-satisfaction.png`: why the headline moved, as a waterfall.
    pub change: String,
    /// `nps_trend.png`, `csat-satisfaction_trend.png`: the headline by wave with benchmarks.
    pub trend: String,
}

impl Files {
    pub fn of(outcome: &Outcome, main: bool) -> Files {
        let kind = match outcome.kind {
            OutcomeKind::Numeric => "scores",
            k => k.name(),
        };
        let suffix = if main { String::new() } else { format!("-{}", crate::waves::safe_name(&outcome.column)) };
        Files {
            drivers: format!("drivers{suffix}"),
            scores: format!("{kind}{suffix}"),
            quadrant: format!("quadrant{suffix}.png"),
            change: format!("change{suffix}.png"),
            trend: format!("{kind}{suffix}_trend.png"),
        }
    }
}

/// Writes `<out_dir>/<name>/` and returns its path.
pub fn write(a: &Analysis, out_dir: &Path, force: bool) -> Result<PathBuf> {
    let dest = out_dir.join(&a.name);
    if dest.exists() && !force {
        return Err(Error::output(
            &dest,
            "a report already exists here: pass --force to replace it, or --name to write another",
        ));
    }
    std::fs::create_dir_all(out_dir).map_err(|e| Error::output(out_dir, e))?;
    let staging =
        tempfile::Builder::new().prefix(STAGING_PREFIX).tempdir_in(out_dir).map_err(|e| Error::output(out_dir, e))?;
    *STAGING.lock().unwrap() = Some(staging.path().to_path_buf());
    fill(a, staging.path())?;

    let mut guard = STAGING.lock().unwrap();
    let staged = staging.keep();
    let result = swap_into_place(&staged, &dest);
    if result.is_err() {
        std::fs::remove_dir_all(&staged).ok();
    }
    *guard = None;
    result.map(|_| dest)
}

fn swap_into_place(staged: &Path, dest: &Path) -> Result<()> {
    if dest.exists() {
        let old = dest
            .with_file_name(format!("{STAGING_PREFIX}old-{}", dest.file_name().unwrap_or_default().to_string_lossy()));
        std::fs::rename(dest, &old).map_err(|e| Error::output(dest, e))?;
        if let Err(e) = std::fs::rename(staged, dest) {
            std::fs::rename(&old, dest).ok();
            return Err(Error::output(dest, e));
        }
        std::fs::remove_dir_all(&old).map_err(|e| Error::output(&old, e))
    } else {
        std::fs::rename(staged, dest).map_err(|e| Error::output(dest, e))
    }
}

fn fill(a: &Analysis, dir: &Path) -> Result<()> {
    let start = std::time::Instant::now();
    let put = |file: &str, text: String| {
        let path = dir.join(file);
        std::fs::write(&path, text).map_err(|e| Error::output(&path, e))
    };
    let mut charts = Vec::new();
    for (i, o) in a.outcomes.iter().enumerate() {
        let files = Files::of(&o.outcome, i == 0);
        charts.push(outcome_charts(a, o, &files, dir)?);
        if let Some(d) = &o.drivers {
            put(
                &format!("{}.json", files.drivers),
                export::json::render(&crate::DriverReport { table: d, groups: &o.groups }),
            )?;
            put(&format!("{}.csv", files.drivers), export::csv::render(&d.drivers))?;
        }
        put(&format!("{}.json", files.scores), export::json::render(&o.scores))?;
        put(&format!("{}.csv", files.scores), export::csv::render(&score_rows(&o.scores)))?;
    }
    if let Some(agreement) = &a.agreement {
        put("agreement.json", export::json::render(agreement))?;
    }
    let md = markdown::render(a, &charts);
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
                .chain([crate::Stage { stage: "charts and tables".into(), seconds: start.elapsed().as_secs_f64() }])
                .collect(),
        }),
    )
}

/// One outcome's charts, as (title, file): its answer bands by wave, its drivers.
fn outcome_charts(a: &Analysis, o: &OutcomeAnalysis, files: &Files, dir: &Path) -> Result<Vec<(String, String)>> {
    let mut charts = Vec::new();
    let waves = a.survey.wave.as_deref().and_then(|w| o.scores.by(w).map(|rows| (w, rows)));
    if let (Some((wave, rows)), Some(_)) = (waves, o.outcome.band_names()) {
        let title = format!("{} by {wave}", o.outcome.label);
        let file = format!("{}_by_wave.png", files.scores);
        charts::composition(&dir.join(&file), &title, &o.outcome, rows)?;
        charts.push((title, file));
    }
    if let Some((wave, rows)) = waves.filter(|(_, rows)| rows.len() > 1) {
        let index = |w: &str| rows.iter().position(|r| r.group == w);
        let waves: Vec<charts::Wave> = rows
            .iter()
            .map(|r| charts::Wave { label: r.group.clone(), value: r.score, ci: (r.ci_low, r.ci_high) })
            .collect();
        let mut references: Vec<charts::Reference> = Vec::new();
        for g in &o.scores.benchmarks {
            // A figure for the whole sample is drawn flat across every wave.
            let at: Vec<usize> =
                if g.wave == "all" { (0..rows.len()).collect() } else { index(&g.wave).into_iter().collect() };
            let points = at.into_iter().map(|i| (i, g.benchmark));
            match references.iter_mut().find(|r| r.label == g.label) {
                Some(r) => r.points.extend(points),
                None => references.push(charts::Reference { label: g.label.clone(), points: points.collect() }),
            }
        }
        let title = format!("{} by {wave}", capitalised(o.outcome.metric()));
        let axis = format!("{}; band: 95% interval", o.outcome.metric());
        charts::trend(&dir.join(&files.trend), &title, &axis, &waves, &references, o.outcome.decimals())?;
        charts.push((format!("{title}, with benchmarks"), files.trend.clone()));
    }
    if let Some(d) = &o.drivers {
        let file = format!("{}.png", files.drivers);
        let title = driver_chart(d, &o.outcome, &dir.join(&file))?;
        charts.push((title, file));
        let points: Option<Vec<charts::Point>> = d
            .drivers
            .iter()
            .map(|x| Some(charts::Point { label: x.label.clone(), x: x.mean_rating, y: 100.0 * x.shapley_share? }))
            .collect();
        if let Some(points) = points {
            let title = format!("Where to act on {}: importance and performance", o.outcome.label);
            charts::quadrant(&dir.join(&files.quadrant), &title, "performance: mean rating", &points)?;
            charts.push((title, files.quadrant.clone()));
        }
    }
    if let Some(e) = &o.groups.change_explained {
        let parts = e.by_size();
        let mut level = e.score_from;
        let mut steps = vec![charts::Step {
            label: format!("{} {}", o.outcome.metric(), e.from),
            from: 0.0,
            to: level,
            level: true,
        }];
        for (label, points) in parts
            .iter()
            .map(|c| (c.label.clone(), c.points))
            .chain([("not explained by ratings".to_string(), e.unexplained)])
        {
            steps.push(charts::Step { label, from: level, to: level + points, level: false });
            level += points;
        }
        steps.push(charts::Step {
            label: format!("{} {}", o.outcome.metric(), e.to),
            from: 0.0,
            to: e.score_to,
            level: true,
        });
        let title = format!("Why {} moved from {} to {}", o.outcome.metric(), e.from, e.to);
        let axis = format!("{} among complete responses; bars: each driver's part", o.outcome.metric());
        charts::waterfall(
            &dir.join(&files.change),
            &title,
            &axis,
            &steps,
            o.outcome.decimals(),
            o.outcome.sign() > 0.0,
        )?;
        charts.push((title, files.change.clone()));
    }
    Ok(charts)
}

/// Shapley shares with their bootstrap intervals, or the correlations when Shapley was
/// not run. Returns the chart's title.
fn driver_chart(d: &DriverTable, outcome: &Outcome, path: &Path) -> Result<String> {
    let shares: Option<Vec<charts::Bar>> = d
        .drivers
        .iter()
        .map(|x| {
            let ci = x.share_ci_low.zip(x.share_ci_high).map(|(l, h)| (100.0 * l, 100.0 * h));
            Some(charts::Bar { label: x.label.clone(), value: 100.0 * x.shapley_share?, ci })
        })
        .collect();
    let shares_title = format!("What drives {}: share of R²", outcome.label);
    let (title, axis, mut bars, decimals) = match shares {
        Some(bars) if bars.iter().all(|b| b.ci.is_some()) => {
            (shares_title, "share of explained variance (Shapley value), %; whiskers: 95% bootstrap interval", bars, 1)
        }
        Some(bars) => (shares_title, "share of explained variance (Shapley value), %", bars, 1),
        None => (
            format!("Correlation of each driver with {}", outcome.label),
            if outcome.sign() < 0.0 { "Pearson correlation with less effort" } else { "Pearson correlation" },
            d.drivers.iter().map(|x| charts::Bar { label: x.label.clone(), value: x.corr, ci: None }).collect(),
            3,
        ),
    };
    bars.sort_by(|x, y| y.value.total_cmp(&x.value));
    charts::ranked_bars(path, &title, axis, &bars, decimals)?;
    Ok(title)
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
    survey: &'a crate::spec::Survey,
    load: &'a crate::load::LoadReport,
    timings: Vec<crate::Stage>,
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
    [config.as_ref(), Some(&s.ratings), s.nps.as_ref(), s.benchmarks.as_ref()]
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
