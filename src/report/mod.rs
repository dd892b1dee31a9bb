//! Writes a report folder that appears whole or not at all: everything is written into a
//! hidden staging folder beside the destination and renamed into place at the end. An
//! existing report is only replaced with `--force`, and then also by rename, so a failed
//! or interrupted run never leaves a half-written report or loses the previous one.

mod charts;
mod context;
mod html;
mod markdown;
pub mod template;
mod words;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::Serialize;

use crate::analysis::Analysis;
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
    /// The what-if's table and chart (stem).
    pub whatif: String,
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
            whatif: format!("whatif{suffix}"),
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
    let wave = a.survey.wave.as_deref();
    let mut charts = Vec::new();
    for (i, o) in a.outcomes.iter().enumerate() {
        let files = Files::of(&o.outcome, i == 0);
        charts.push(charts::plan(wave, o, &files));
        if let Some(d) = &o.drivers {
            put(
                &format!("{}.json", files.drivers),
                export::json::render(&crate::analysis::DriverReport {
                    table: d,
                    groups: &o.groups,
                    whatif: o.whatif.as_ref(),
                }),
            )?;
            put(&format!("{}.csv", files.drivers), export::csv::render(&d.drivers))?;
        }
        if let Some(w) = &o.whatif {
            put(&format!("{}.csv", files.whatif), export::csv::render(&w.scenarios))?;
        }
        put(&format!("{}.json", files.scores), export::json::render(&o.scores))?;
        put(&format!("{}.csv", files.scores), export::csv::render(&score_rows(&o.scores)))?;
    }
    if let Some(agreement) = &a.agreement {
        put("agreement.json", export::json::render(agreement))?;
    }
    let rendered = settings.template.render(&context::Report::of(a, &charts), |words| {
        a.outcomes.iter().zip(&charts).try_for_each(|(o, c)| charts::draw(o, wave, c, words, dir, settings.scale))
    })?;
    put("report.html", html::render(&rendered.markdown, &rendered.lang, dir)?)?;
    put("report.md", rendered.markdown)?;
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
    // The cost file is read only by a what-if, which a report from sums has not.
    let costs = s.whatif.costs.as_ref().filter(|_| a.outcomes.iter().any(|o| o.whatif.is_some()));
    [config.as_ref(), s.ratings.as_ref(), s.nps.as_ref(), s.benchmarks.as_ref(), costs]
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

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use super::*;
    use crate::schema::settings::Settings;

    /// English words that neither the French template nor the example's data (its labels,
    /// segments, waves and benchmarks) use.
    const ENGLISH: [&str; 24] = [
        "the",
        "and",
        "of",
        "with",
        "from",
        "by",
        "is",
        "are",
        "not",
        "which",
        "what",
        "when",
        "than",
        "more",
        "less",
        "each",
        "every",
        "share",
        "driver",
        "drivers",
        "rating",
        "ratings",
        "respondents",
        "noise",
    ];

    fn english_in(text: &str) -> Vec<String> {
        // Code spans and image links hold column and file names, not sentences.
        let mut prose: String = text.split('`').step_by(2).collect::<Vec<_>>().join(" ");
        while let Some(at) = prose.find("](") {
            let end = prose[at..].find(')').map_or(prose.len(), |e| at + e + 1);
            prose.replace_range(at..end, " ");
        }
        let words: Vec<String> =
            prose.split(|c: char| !c.is_alphabetic()).map(str::to_lowercase).filter(|w| !w.is_empty()).collect();
        ENGLISH.iter().filter(|e| words.iter().any(|w| w == *e)).map(|e| e.to_string()).collect()
    }

    /// report.md and every word drawn on a chart for the bundled example, with `template`.
    fn words_of(template: &template::Template) -> (String, Vec<(String, String)>) {
        let mut survey = Settings::from_file(Path::new("notebooks-data/survey.toml")).unwrap().resolve(true).unwrap();
        survey.options.bootstrap = 40;
        let responses = crate::load::load(&survey).unwrap();
        let mut a = crate::analysis::analyse(&survey, &responses).unwrap();
        a.config = Some("notebooks-data/survey.toml".into());
        let wave = a.survey.wave.as_deref();
        let charts: Vec<charts::OutcomeCharts> =
            a.outcomes.iter().enumerate().map(|(i, o)| charts::plan(wave, o, &Files::of(&o.outcome, i == 0))).collect();
        let dir = tempfile::tempdir().unwrap();
        let drawn = RefCell::new(Vec::new());
        let rendered = template
            .render(&context::Report::of(&a, &charts), |words| {
                let record = |c: &charts::Chart, part: &str| {
                    let w = words(c, part)?;
                    drawn.borrow_mut().push((format!("{} {part}", c.kind), w.clone()));
                    Ok(w)
                };
                a.outcomes.iter().zip(&charts).try_for_each(|(o, c)| charts::draw(o, wave, c, &record, dir.path(), 1))
            })
            .unwrap();
        (rendered.markdown, drawn.into_inner())
    }

    /// A French template (tests/data/report.fr.md.j2) words every sentence of the report and
    /// every title, axis, legend and note of its charts: no English word is left, where the
    /// built-in template's report and charts are full of them.
    #[test]
    fn a_french_template_translates_every_sentence_and_every_chart() {
        let (md, drawn) = words_of(&template::Template::builtin());
        assert!(english_in(&md).len() > 20, "the check finds English");
        assert!(drawn.iter().any(|(_, w)| !english_in(w).is_empty()));

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fr.md.j2");
        std::fs::write(&path, include_str!("../../tests/data/report.fr.md.j2")).unwrap();
        let (md, drawn) = words_of(&template::Template::from_file(&path).unwrap());
        for line in md.lines() {
            assert!(english_in(line).is_empty(), "English {:?} in report.md: {line}", english_in(line));
        }
        assert!(drawn.len() > 50, "{} chart words", drawn.len());
        for (what, w) in &drawn {
            assert!(english_in(w).is_empty(), "English {:?} on a chart ({what}): {w}", english_in(w));
        }
        for says in ["## L'essentiel", "### Où agir sur NPS", "> **Note :** la suppression des réponses incomplètes"]
        {
            assert!(md.contains(says), "report.md lacks {says:?}");
        }
    }
}
