//! The survey schema: what each column means. Read from `survey.toml`, then overridden
//! field by field from the command line, then resolved into a [`Survey`] with every
//! required field present. Unknown keys and wrong types are refused, so a typo in a
//! scheduled job's config fails loudly instead of silently using a default.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::schema::outcome::{Outcome, OutcomeKind, OutcomeSpec};
use crate::schema::waves::PeriodKind;

/// `survey.toml`, as written. Every field is optional here so that the command line can
/// supply or replace it; [`Spec::resolve`] says which ones are missing.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// Ratings file (CSV, gzip CSV, Parquet, Excel or SPSS), relative to the toml's folder.
    pub ratings: Option<PathBuf>,
    /// Optional second file holding the target; joined to `ratings` on `id`.
    pub nps: Option<PathBuf>,
    /// Respondent id column, present in both files.
    pub id: Option<String>,
    /// The outcome column (the 0–10 likelihood to recommend unless `outcome` says
    /// otherwise). With `[[outcomes]]`, picks one of them.
    pub target: Option<String>,
    /// Kind of `target`: nps (default), csat, ces or numeric. Without `target`, picks the
    /// `[[outcomes]]` of this kind.
    pub outcome: Option<OutcomeKind>,
    /// Several outcomes analysed side by side (e.g. NPS and CSAT), each with its kind.
    #[serde(default)]
    pub outcomes: Vec<OutcomeSpec>,
    /// Answer scale of the one outcome analysed (`--outcome-min`/`--outcome-max`).
    #[serde(skip)]
    pub outcome_scale: Option<Scale>,
    /// Cut-off of the one outcome analysed (`--cutoff`).
    #[serde(skip)]
    pub cutoff: Option<f64>,
    /// A binary `target`'s positive answers (`--positive`).
    #[serde(default)]
    pub positive: Vec<String>,
    /// Codes meaning "no answer" in the outcomes analysed (`--outcome-missing-codes`);
    /// replaces each one's own `missing_codes`.
    pub outcome_missing_codes: Option<Vec<f64>>,
    /// Benchmark CSV (metric, wave, value; optional n or ci_low/ci_high, label).
    pub benchmarks: Option<PathBuf>,
    /// Wave (e.g. quarter) column: period labels, or dates when `wave_period` is set.
    pub wave: Option<String>,
    /// Derive the wave from a date column: the quarter, month or year of each date.
    pub wave_period: Option<PeriodKind>,
    /// Columns to break NPS and the drivers down by.
    #[serde(default)]
    pub segments: Vec<String>,
    /// A segment column whose groups get a line each in the trend chart (and their
    /// headline by wave in the scores JSON).
    pub trend_by: Option<String>,
    /// Fewest complete responses a wave or segment needs for its own driver ranking
    /// (default max(100, 10 × drivers)); smaller groups get their NPS and a note.
    pub min_group_n: Option<usize>,
    /// Survey weight column.
    pub weight: Option<String>,
    /// What the weights are: "sampling" (default; design-based SEs) or "frequency".
    pub weights_are: Option<WeightsAre>,
    /// Rating scale of the drivers.
    pub scale: Option<Scale>,
    /// Codes such as 99 ("don't know") that mean "missing" in the driver ratings (an
    /// outcome has its own `missing_codes`).
    #[serde(default)]
    pub missing_codes: Vec<f64>,
    /// How the driver models treat skipped answers: listwise (default), pairwise or em.
    pub missing: Option<crate::schema::choices::Missing>,
    /// How to read CSV files; everything is sniffed when not given.
    #[serde(default)]
    pub csv: CsvOptions,
    /// Excel files: the sheet to read [default: the first].
    pub sheet: Option<String>,
    /// Seed for every random step (bootstrap, sampled Shapley).
    pub seed: Option<u64>,
    #[serde(default)]
    pub drivers: Vec<DriverSpec>,
}

/// How survey weights enter standard errors (`--weights-are`, `weights_are`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum WeightsAre {
    /// Sampling (inverse-probability) weights: design-based SEs, as R's `survey` package
    /// (`svyglm`, `svymean`) with `svydesign(ids = ~1, weights = ~w)`.
    #[default]
    Sampling,
    /// Frequency/precision weights: betas' SEs as `lm(weights = w)`, NPS SE from Kish's
    /// effective sample size.
    Frequency,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Scale {
    pub min: f64,
    pub max: f64,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DriverSpec {
    pub column: String,
    /// Display label for tables and charts; defaults to the column name.
    pub label: Option<String>,
    /// Text answers and the numbers they stand for (`{ "Poor" = 1, …, "Excellent" = 5 }`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub values: Option<crate::schema::outcome::ValueMap>,
}

impl DriverSpec {
    pub fn label(&self) -> &str {
        self.label.as_deref().unwrap_or(&self.column)
    }
}

/// CSV dialect. `None` means "detect it".
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CsvOptions {
    pub separator: Option<char>,
    pub decimal_comma: Option<bool>,
    /// Number of header rows (3 for a Qualtrics export); the first one holds the names.
    pub header_rows: Option<usize>,
    /// Excel: the sheet to read (top-level `sheet` in survey.toml, or `--sheet`).
    #[serde(skip)]
    pub sheet: Option<String>,
}

/// The default seed, so that two runs of the same job give the same numbers.
pub const DEFAULT_SEED: u64 = 20_251_231;

impl Spec {
    /// Reads a survey.toml; relative file paths in it are taken relative to its folder.
    pub fn from_file(path: &Path) -> Result<Spec> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::Config { file: path.to_path_buf(), reason: format!("cannot read: {e}") })?;
        let mut spec: Spec = toml::from_str(&text)
            .map_err(|e| Error::Config { file: path.to_path_buf(), reason: one_line(&e.to_string()) })?;
        let base = path.parent().unwrap_or(Path::new(""));
        for file in [&mut spec.ratings, &mut spec.nps, &mut spec.benchmarks].into_iter().flatten() {
            if file.is_relative() {
                *file = base.join(&*file);
            }
        }
        Ok(spec)
    }

    /// Checks that everything a run needs is present and consistent.
    pub fn resolve(self, need_drivers: bool) -> Result<Survey> {
        let missing = |what: &str, flag: &str| {
            Error::Usage(format!("no {what} given: set `{what}` in survey.toml or pass {flag}"))
        };
        let outcomes = self.outcomes()?;
        // In survey.toml's order; a run's own version of an outcome wins (--outcome may
        // have changed its kind), and one named only on the command line comes last.
        let mut declared_outcomes = Vec::new();
        for o in &self.outcomes {
            declared_outcomes.push(match outcomes.iter().find(|x| x.column == o.column) {
                Some(run) => run.clone(),
                None => o.clone().resolve().map_err(Error::Usage)?,
            });
        }
        declared_outcomes
            .extend(outcomes.iter().filter(|o| !self.outcomes.iter().any(|x| x.column == o.column)).cloned());
        if self.nps.is_some() && self.id.is_none() {
            return Err(Error::NoJoinKey);
        }
        if need_drivers && self.drivers.is_empty() {
            return Err(missing("drivers", "--drivers A,B,C"));
        }
        if let Some(s) = self.scale {
            if !(s.min.is_finite() && s.max.is_finite() && s.min < s.max) {
                return Err(Error::Usage(format!("rating scale {}–{} is empty: min must be below max", s.min, s.max)));
            }
        }
        if let Some(sep) = self.csv.separator.filter(|c| !c.is_ascii() || *c == '"' || c.is_ascii_alphanumeric()) {
            return Err(Error::Usage(format!(
                "separator {sep:?} cannot be used: give one ASCII punctuation or whitespace character such as ',', ';', '|' or a tab"
            )));
        }
        if self.wave_period.is_some() && self.wave.is_none() {
            return Err(Error::Usage(
                "--wave-period needs the date column it applies to: pass --wave COLUMN or set `wave`".into(),
            ));
        }
        for seg in &self.segments {
            let clash = |role: &str| {
                Error::Usage(format!("segment column \"{seg}\" is also the {role}: a column can be one or the other"))
            };
            if Some(seg) == self.wave.as_ref() {
                return Err(clash("wave"));
            }
            if outcomes.iter().any(|o| o.column == *seg) {
                return Err(clash("outcome"));
            }
            if self.drivers.iter().any(|d| d.column == *seg) {
                return Err(clash("driver of the same name"));
            }
        }
        if let Some(t) = &self.trend_by {
            if self.wave.is_none() {
                return Err(Error::Usage(format!("--trend-by {t}: a trend needs waves; pass --wave COLUMN")));
            }
            if !self.segments.contains(t) {
                return Err(Error::Usage(format!(
                    "--trend-by {t}: not a segment column; choose one of the segments ({}) or add it with --segments",
                    if self.segments.is_empty() { "none given".to_string() } else { self.segments.join(", ") }
                )));
            }
        }
        let mut seen = std::collections::HashSet::new();
        for d in &self.drivers {
            if !seen.insert(d.column.as_str()) {
                return Err(Error::Usage(format!("driver \"{}\" is listed twice", d.column)));
            }
            if outcomes.iter().any(|o| o.column == d.column) {
                return Err(Error::Usage(format!("\"{}\" is both an outcome and a driver", d.column)));
            }
        }
        Ok(Survey {
            ratings: self.ratings,
            nps: self.nps,
            id: self.id,
            outcomes,
            declared_outcomes,
            benchmarks: self.benchmarks,
            wave: self.wave,
            wave_period: self.wave_period,
            segments: self.segments,
            trend_by: self.trend_by,
            min_group_n: self.min_group_n,
            weight: self.weight,
            weights_are: self.weights_are.unwrap_or_default(),
            scale: self.scale,
            missing_codes: self.missing_codes,
            missing: self.missing.unwrap_or(crate::schema::choices::Missing::Listwise),
            csv: CsvOptions { sheet: self.sheet, ..self.csv },
            seed: self.seed.unwrap_or(DEFAULT_SEED),
            drivers: self.drivers,
        })
    }
}

/// A complete, checked survey description: what the loader and the models run on.
#[derive(Debug, Clone, Serialize)]
pub struct Survey {
    /// The ratings file; `None` when the responses come as frames
    /// (`Responses::from_frames`) or from a moments file.
    pub ratings: Option<PathBuf>,
    pub nps: Option<PathBuf>,
    pub id: Option<String>,
    /// What the drivers drive in this run; the first is the main one.
    pub outcomes: Vec<Outcome>,
    /// Every outcome survey.toml declares, run or not: what a benchmark file may name.
    #[serde(skip)]
    pub declared_outcomes: Vec<Outcome>,
    pub benchmarks: Option<PathBuf>,
    pub wave: Option<String>,
    pub wave_period: Option<PeriodKind>,
    pub segments: Vec<String>,
    pub trend_by: Option<String>,
    pub min_group_n: Option<usize>,
    pub weight: Option<String>,
    pub weights_are: WeightsAre,
    pub scale: Option<Scale>,
    pub missing_codes: Vec<f64>,
    pub missing: crate::schema::choices::Missing,
    pub csv: CsvOptions,
    pub seed: u64,
    pub drivers: Vec<DriverSpec>,
}

impl Survey {
    /// The ratings file, for the commands that read it.
    pub fn ratings_file(&self) -> Result<&Path> {
        self.ratings.as_deref().ok_or(Error::NoData)
    }

    /// The outcome the `nps` and `drivers` commands report: the first.
    pub fn main_outcome(&self) -> &Outcome {
        &self.outcomes[0]
    }

    /// Complete responses a wave or segment needs for its own driver ranking.
    pub fn min_group_n(&self) -> usize {
        self.min_group_n.unwrap_or((10 * self.drivers.len()).max(100))
    }

    pub fn driver_columns(&self) -> Vec<&str> {
        self.drivers.iter().map(|d| d.column.as_str()).collect()
    }
}

impl Spec {
    /// The outcomes to analyse: `target` (and `outcome`) pick one of `[[outcomes]]` or
    /// name a new one; `outcome` alone keeps the outcomes of that kind.
    fn outcomes(&self) -> Result<Vec<Outcome>> {
        let mut chosen = self.outcomes.clone();
        let mut seen = std::collections::HashSet::new();
        if let Some(dup) = chosen.iter().find(|o| !seen.insert(o.column.as_str())) {
            return Err(Error::Usage(format!("outcome \"{}\" is listed twice in [[outcomes]]", dup.column)));
        }
        match (&self.target, self.outcome) {
            (Some(target), kind) => {
                let mut one = chosen
                    .into_iter()
                    .find(|o| o.column == *target)
                    .unwrap_or_else(|| OutcomeSpec { column: target.clone(), ..Default::default() });
                if let Some(kind) = kind.filter(|k| *k != one.kind) {
                    // A label written for another kind ("CSAT") would now mislead.
                    (one.kind, one.label) = (kind, None);
                }
                chosen = vec![one];
            }
            (None, Some(kind)) if chosen.len() == 1 && chosen[0].kind != kind => {
                (chosen[0].kind, chosen[0].label) = (kind, None)
            }
            (None, Some(_)) if chosen.len() == 1 => {}
            (None, Some(kind)) => {
                chosen.retain(|o| o.kind == kind);
                if chosen.is_empty() && !self.outcomes.is_empty() {
                    return Err(Error::Usage(format!(
                        "--outcome {}: no outcome of that kind in [[outcomes]]; name its column with --target",
                        kind.name()
                    )));
                }
            }
            (None, None) => {}
        }
        if chosen.is_empty() {
            return Err(Error::Usage(
                "no outcome given: set `target` or [[outcomes]] in survey.toml, or pass --target COL".into(),
            ));
        }
        if self.outcome_scale.is_some() || self.cutoff.is_some() {
            let [one] = chosen.as_mut_slice() else {
                return Err(Error::Usage(
                    "--outcome-min/--outcome-max/--cutoff apply to one outcome: pick it with --target COL".into(),
                ));
            };
            one.scale = self.outcome_scale.or(one.scale);
            one.cutoff = self.cutoff.or(one.cutoff);
        }
        if !self.positive.is_empty() {
            let [one] = chosen.as_mut_slice() else {
                return Err(Error::Usage("--positive applies to one outcome: pick it with --target COL".into()));
            };
            if one.kind != OutcomeKind::Binary && self.outcome.is_none() {
                (one.kind, one.label) = (OutcomeKind::Binary, None);
            }
            one.positive = self.positive.clone();
        }
        if let Some(codes) = &self.outcome_missing_codes {
            for o in &mut chosen {
                o.missing_codes = codes.clone();
            }
        }
        chosen.into_iter().map(|o| o.resolve().map_err(Error::Usage)).collect()
    }
}

/// toml's errors span several lines with a source excerpt; a batch log wants one.
fn one_line(s: &str) -> String {
    s.split('\n')
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('|') && !l.chars().all(|c| c == '^'))
        .collect::<Vec<_>>()
        .join(" ")
}
