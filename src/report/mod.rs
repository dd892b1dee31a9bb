//! Writes a report folder that appears whole or not at all: everything is written into a
//! hidden staging folder beside the destination and renamed into place at the end. An
//! existing report is only replaced with `--force`, and then also by rename, so a failed
//! or interrupted run never leaves a half-written report or loses the previous one.

mod charts;
mod markdown;

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::export;
use crate::drivers::DriverTable;
use crate::nps::{NpsStats, NpsTable};
use crate::Analysis;

/// The staging folder of the run in progress, for the Ctrl-C handler to remove.
/// Held locked while the finished folder is swapped into place.
pub static STAGING: Mutex<Option<PathBuf>> = Mutex::new(None);

const STAGING_PREFIX: &str = ".keydriver-staging-";

/// One NPS row with the breakdown it belongs to, for nps.csv.
#[derive(Serialize)]
pub struct NpsRow<'a> {
    pub by: &'a str,
    #[serde(flatten)]
    pub stats: &'a NpsStats,
}

/// All NPS rows: overall first, then each breakdown.
pub fn nps_rows(nps: &NpsTable) -> Vec<NpsRow<'_>> {
    std::iter::once(NpsRow { by: "all", stats: &nps.overall })
        .chain(nps.breakdowns.iter().flat_map(|b| b.rows.iter().map(move |s| NpsRow { by: &b.by, stats: s })))
        .collect()
}

/// Writes `<out_dir>/<name>/` and returns its path.
pub fn write(a: &Analysis, out_dir: &Path, force: bool) -> Result<PathBuf> {
    let dest = out_dir.join(&a.name);
    if dest.exists() && !force {
        return Err(Error::output(&dest, "a report already exists here: pass --force to replace it, or --name to write another"));
    }
    std::fs::create_dir_all(out_dir).map_err(|e| Error::output(out_dir, e))?;
    let staging = tempfile::Builder::new()
        .prefix(STAGING_PREFIX)
        .tempdir_in(out_dir)
        .map_err(|e| Error::output(out_dir, e))?;
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
        let old = dest.with_file_name(format!(
            "{STAGING_PREFIX}old-{}",
            dest.file_name().unwrap_or_default().to_string_lossy()
        ));
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
    let put = |file: &str, text: String| {
        let path = dir.join(file);
        std::fs::write(&path, text).map_err(|e| Error::output(&path, e))
    };
    let mut charts = Vec::new();
    if let Some(wave) = a.nps.breakdowns.iter().find(|b| Some(&b.by) == a.survey.wave.as_ref()) {
        let title = format!("NPS composition by {}", wave.by);
        charts::nps_composition(&dir.join("nps_by_wave.png"), &title, &wave.rows)?;
        charts.push((title, "nps_by_wave.png".to_string()));
    }
    if let Some(drivers) = &a.drivers {
        let (title, file) = driver_chart(drivers, dir)?;
        charts.push((title.to_string(), file.to_string()));
    }

    put("report.md", markdown::render(a, &charts))?;
    if let Some(d) = &a.drivers {
        put("drivers.json", export::json::render(&crate::DriverReport { table: d, groups: &a.groups }))?;
        put("drivers.csv", export::csv::render(&d.drivers))?;
    }
    put("nps.json", export::json::render(&a.nps))?;
    put("nps.csv", export::csv::render(&nps_rows(&a.nps)))?;
    put("run.json", export::json::render(&RunInfo { version: &a.version, seed: a.survey.seed, config: a.config.as_deref(), survey: &a.survey, load: &a.load }))
}

/// Shapley shares with their bootstrap intervals, or the correlations when Shapley was
/// not run. Returns the chart's title and file name.
fn driver_chart(d: &DriverTable, dir: &Path) -> Result<(&'static str, &'static str)> {
    let file = "drivers.png";
    let shares: Option<Vec<charts::Bar>> = d
        .drivers
        .iter()
        .map(|x| {
            let ci = x.share_ci_low.zip(x.share_ci_high).map(|(l, h)| (100.0 * l, 100.0 * h));
            Some(charts::Bar { label: x.label.clone(), value: 100.0 * x.shapley_share?, ci })
        })
        .collect();
    let (title, axis, mut bars, decimals) = match shares {
        Some(bars) if bars.iter().all(|b| b.ci.is_some()) => (
            "What drives the recommend score: share of R²",
            "share of explained variance (Shapley value), %; whiskers: 95% bootstrap interval",
            bars,
            1,
        ),
        Some(bars) => ("What drives the recommend score: share of R²", "share of explained variance (Shapley value), %", bars, 1),
        None => (
            "Correlation of each driver with the recommend score",
            "Pearson correlation",
            d.drivers.iter().map(|x| charts::Bar { label: x.label.clone(), value: x.corr, ci: None }).collect(),
            3,
        ),
    };
    bars.sort_by(|x, y| y.value.total_cmp(&x.value));
    charts::ranked_bars(&dir.join(file), title, axis, &bars, decimals)?;
    Ok((title, file))
}

#[derive(Serialize)]
struct RunInfo<'a> {
    version: &'a str,
    seed: u64,
    config: Option<&'a str>,
    survey: &'a crate::spec::Survey,
    load: &'a crate::load::LoadReport,
}
