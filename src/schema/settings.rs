//! The survey's settings: what each column means and how the engine runs. Read from
//! `survey.toml`, overridden field by field from the command line ([`Settings::merge`]),
//! then resolved into a [`Survey`] with every required field present and every choice
//! checked. Unknown keys and wrong types are refused, so a typo in a
//! scheduled job's config fails loudly instead of silently using a default.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::schema::choices::{Method, Missing, NonPd, RankBy};
use crate::schema::options::Options;
use crate::schema::outcome::{Outcome, OutcomeKind, OutcomeSpec};
use crate::schema::waves::PeriodKind;
use crate::schema::whatif::{Scenario, WhatIfModel, WhatIfSettings};

/// Every setting of a run, declared once: `survey.toml` fills it (serde), the command line
/// fills another (clap, behind the `cli` feature), [`Settings::merge`] lays the flags over
/// the file, and [`Settings::resolve`] checks the result into a [`Survey`]. Every field is
/// optional here so that either side can supply it.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[cfg_attr(feature = "cli", derive(clap::Args))]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Ratings file (CSV, CSV.gz, Parquet, Excel or SPSS); in survey.toml, relative to it.
    #[cfg_attr(feature = "cli", arg(long = "data", alias = "ratings"))]
    pub ratings: Option<PathBuf>,
    /// Second file with the outcome answers (recommend score, CSAT, …), joined on --id.
    #[cfg_attr(feature = "cli", arg(long))]
    pub nps: Option<PathBuf>,
    /// Respondent id column (needed to join two files).
    #[cfg_attr(feature = "cli", arg(long))]
    pub id: Option<String>,
    /// The outcome column (with [[outcomes]] in survey.toml: which one to analyse).
    #[cfg_attr(feature = "cli", arg(long, alias = "score"))]
    pub target: Option<String>,
    /// What kind of outcome --target is: nps (whole 0–10), csat (% satisfied), ces
    /// (effort, lower is better), numeric (any number) or binary (two answers, one
    /// positive: see --positive) [default: nps].
    #[cfg_attr(feature = "cli", arg(long, value_enum))]
    pub outcome: Option<OutcomeKind>,
    /// Several outcomes analysed side by side (e.g. NPS and CSAT), each with its kind.
    #[serde(default)]
    #[cfg_attr(feature = "cli", arg(skip))]
    pub outcomes: Vec<OutcomeSpec>,
    /// Lowest answer of a csat/ces outcome's scale [default: 1].
    #[serde(skip)]
    #[cfg_attr(feature = "cli", arg(long, requires = "outcome_max"))]
    pub outcome_min: Option<f64>,
    /// Highest answer of a csat/ces outcome's scale [default: 5 for csat, 7 for ces].
    #[serde(skip)]
    #[cfg_attr(feature = "cli", arg(long, requires = "outcome_min"))]
    pub outcome_max: Option<f64>,
    /// csat: lowest "satisfied" answer [default: top two boxes]; ces: lowest "high effort"
    /// answer [default: first above the midpoint].
    #[serde(skip)]
    #[cfg_attr(feature = "cli", arg(long))]
    pub cutoff: Option<f64>,
    /// A binary outcome's positive answers, comma-separated ("satisfied", "yes", "1");
    /// implies --outcome binary.
    #[serde(default)]
    #[cfg_attr(feature = "cli", arg(long, value_delimiter = ',', action = clap::ArgAction::Set, value_name = "LABEL"))]
    pub positive: Vec<String>,
    /// Codes meaning "no answer" in the outcome, comma-separated [default: none; the
    /// ratings' --missing-codes do not apply to outcomes].
    #[cfg_attr(feature = "cli", arg(long, value_delimiter = ',', action = clap::ArgAction::Set, value_name = "CODES"))]
    pub outcome_missing_codes: Option<Vec<f64>>,
    /// Benchmark CSV: metric, wave, value, and optionally n or ci_low/ci_high, label.
    #[cfg_attr(feature = "cli", arg(long))]
    pub benchmarks: Option<PathBuf>,
    /// Wave (quarter) column: period labels such as 2025Q1, or dates with --wave-period.
    #[cfg_attr(feature = "cli", arg(long))]
    pub wave: Option<String>,
    /// Derive the wave from the --wave date column: its quarter, month or year.
    #[cfg_attr(feature = "cli", arg(long, value_enum))]
    pub wave_period: Option<PeriodKind>,
    /// Columns to break NPS and the drivers down by, comma-separated.
    #[serde(default)]
    #[cfg_attr(feature = "cli", arg(long, alias = "by", value_delimiter = ',', action = clap::ArgAction::Set))]
    pub segments: Vec<String>,
    /// A segment column whose groups get a line each in the trend chart.
    #[cfg_attr(feature = "cli", arg(long, value_name = "SEGMENT"))]
    pub trend_by: Option<String>,
    /// Fewest complete responses for a wave or segment's own driver ranking
    /// [default: max(100, 10 × drivers)].
    #[cfg_attr(feature = "cli", arg(long, value_name = "N"))]
    pub min_group_n: Option<usize>,
    /// Survey weight column.
    #[cfg_attr(feature = "cli", arg(long = "weights"))]
    pub weight: Option<String>,
    /// What the weights are: sampling weights get design-based SEs (as R's survey
    /// package); frequency weights get lm(weights = w) SEs [default: sampling].
    #[cfg_attr(feature = "cli", arg(long, value_enum))]
    pub weights_are: Option<WeightsAre>,
    /// The drivers' rating scale (`[scale]` in survey.toml).
    #[cfg_attr(feature = "cli", arg(skip))]
    pub scale: Option<Scale>,
    /// Lowest valid rating.
    #[serde(skip)]
    #[cfg_attr(feature = "cli", arg(long, requires = "scale_max"))]
    pub scale_min: Option<f64>,
    /// Highest valid rating.
    #[serde(skip)]
    #[cfg_attr(feature = "cli", arg(long, requires = "scale_min"))]
    pub scale_max: Option<f64>,
    /// Codes meaning "missing" in the driver ratings (e.g. 99 for don't know, 0 for not
    /// applicable), comma-separated; an outcome has its own.
    #[serde(default)]
    #[cfg_attr(feature = "cli", arg(long, value_delimiter = ',', action = clap::ArgAction::Set))]
    pub missing_codes: Vec<f64>,
    /// How rows with gaps enter the correlation matrix: listwise deletion, pairwise
    /// deletion, or maximum likelihood (EM) from every answer [default: listwise].
    #[cfg_attr(feature = "cli", arg(long, value_enum))]
    pub missing: Option<Missing>,
    /// How to read CSV files; everything is detected when not given.
    #[serde(default)]
    #[cfg_attr(feature = "cli", command(flatten))]
    pub csv: CsvOptions,
    /// Excel files: the sheet to read [default: the first].
    #[cfg_attr(feature = "cli", arg(long))]
    pub sheet: Option<String>,
    /// Seed for every random step.
    #[cfg_attr(feature = "cli", arg(long))]
    pub seed: Option<u64>,
    /// Driver columns, comma-separated; `column=Label` sets a display label.
    #[serde(default)]
    #[cfg_attr(feature = "cli", arg(long, value_delimiter = ',', action = clap::ArgAction::Set))]
    pub drivers: Vec<DriverSpec>,
    /// How the driver engine runs (`[model]` in survey.toml; flags of `report` and
    /// `drivers`).
    #[serde(default)]
    #[cfg_attr(feature = "cli", arg(skip))]
    pub model: ModelSettings,
    /// What the what-if simulates (`[whatif]` in survey.toml; flags of `whatif` and
    /// `report`).
    #[serde(default)]
    #[cfg_attr(feature = "cli", arg(skip))]
    pub whatif: WhatIfSettings,
}

/// How the driver engine runs.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[cfg_attr(feature = "cli", derive(clap::Args))]
#[serde(deny_unknown_fields)]
pub struct ModelSettings {
    /// Methods to run, comma-separated [default: all].
    #[serde(default)]
    #[cfg_attr(feature = "cli", arg(long = "method", value_enum, value_delimiter = ',', action = clap::ArgAction::Set))]
    pub methods: Vec<Method>,
    /// Driver field to rank by [default: shapley, or corr when Shapley is not run].
    #[cfg_attr(feature = "cli", arg(long, value_enum))]
    pub rank_by: Option<RankBy>,
    /// A pairwise matrix that is not positive definite: repair it (with a warning) or stop
    /// [default: repair].
    #[cfg_attr(feature = "cli", arg(long, value_enum))]
    pub non_pd: Option<NonPd>,
    /// Estimate Shapley values from random orderings even with 30 drivers or fewer.
    #[serde(default)]
    #[cfg_attr(feature = "cli", arg(long))]
    pub approx: bool,
    /// Random orderings for sampled Shapley values (above 30 drivers, or with --approx);
    /// with --tolerance, the most to draw [default: 10000].
    #[cfg_attr(feature = "cli", arg(long))]
    pub permutations: Option<usize>,
    /// Sampled Shapley: stop once every driver's Monte-Carlo SE is at most this (in R²
    /// units, e.g. 0.0005), checked every 4,096 orderings.
    #[cfg_attr(feature = "cli", arg(long, value_name = "SE"))]
    pub tolerance: Option<f64>,
    /// Bootstrap resamples for confidence intervals, rank stability and tie groups; 0 turns
    /// it off [default: 1000 for report, 0 for drivers].
    #[cfg_attr(feature = "cli", arg(long, value_name = "N"))]
    pub bootstrap: Option<usize>,
}

/// Bootstrap resamples when none are asked for: enough for stable 95% percentile intervals.
pub const DEFAULT_BOOTSTRAP: usize = 1000;

impl Settings {
    /// `self` with every setting `over` gives replacing this one's: the command line's
    /// flags over survey.toml.
    pub fn merge(self, over: Settings) -> Settings {
        fn pick<T>(base: Option<T>, over: Option<T>) -> Option<T> {
            over.or(base)
        }
        fn list<T>(base: Vec<T>, over: Vec<T>) -> Vec<T> {
            if over.is_empty() {
                base
            } else {
                over
            }
        }
        let (m, o) = (self.model, over.model);
        Settings {
            ratings: pick(self.ratings, over.ratings),
            nps: pick(self.nps, over.nps),
            id: pick(self.id, over.id),
            target: pick(self.target, over.target),
            outcome: pick(self.outcome, over.outcome),
            outcomes: list(self.outcomes, over.outcomes),
            outcome_min: pick(self.outcome_min, over.outcome_min),
            outcome_max: pick(self.outcome_max, over.outcome_max),
            cutoff: pick(self.cutoff, over.cutoff),
            positive: list(self.positive, over.positive),
            outcome_missing_codes: pick(self.outcome_missing_codes, over.outcome_missing_codes),
            benchmarks: pick(self.benchmarks, over.benchmarks),
            wave: pick(self.wave, over.wave),
            wave_period: pick(self.wave_period, over.wave_period),
            segments: list(self.segments, over.segments),
            trend_by: pick(self.trend_by, over.trend_by),
            min_group_n: pick(self.min_group_n, over.min_group_n),
            weight: pick(self.weight, over.weight),
            weights_are: pick(self.weights_are, over.weights_are),
            scale: pick(self.scale, over.scale),
            scale_min: pick(self.scale_min, over.scale_min),
            scale_max: pick(self.scale_max, over.scale_max),
            missing_codes: list(self.missing_codes, over.missing_codes),
            missing: pick(self.missing, over.missing),
            csv: CsvOptions {
                separator: pick(self.csv.separator, over.csv.separator),
                decimal_comma: pick(self.csv.decimal_comma, over.csv.decimal_comma),
                header_rows: pick(self.csv.header_rows, over.csv.header_rows),
                sheet: None,
            },
            sheet: pick(self.sheet, over.sheet),
            seed: pick(self.seed, over.seed),
            drivers: list(self.drivers, over.drivers),
            model: ModelSettings {
                methods: list(m.methods, o.methods),
                rank_by: pick(m.rank_by, o.rank_by),
                non_pd: pick(m.non_pd, o.non_pd),
                approx: m.approx || o.approx,
                permutations: pick(m.permutations, o.permutations),
                tolerance: pick(m.tolerance, o.tolerance),
                bootstrap: pick(m.bootstrap, o.bootstrap),
            },
            whatif: self.whatif.merge(over.whatif),
        }
    }
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

/// `column`, or `column=Label` (as `--drivers` takes them).
impl std::str::FromStr for DriverSpec {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> std::result::Result<DriverSpec, Self::Err> {
        Ok(match s.split_once('=') {
            Some((c, l)) => DriverSpec { column: c.trim().into(), label: Some(l.trim().into()), ..Default::default() },
            None => DriverSpec { column: s.trim().into(), ..Default::default() },
        })
    }
}

/// CSV dialect. `None` means "detect it".
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[cfg_attr(feature = "cli", derive(clap::Args))]
#[serde(deny_unknown_fields)]
pub struct CsvOptions {
    /// CSV field separator [default: detected].
    #[cfg_attr(feature = "cli", arg(long))]
    pub separator: Option<char>,
    /// Numbers use a decimal comma (2,5) [default: detected].
    #[cfg_attr(feature = "cli", arg(long, num_args = 0, default_missing_value = "true"))]
    pub decimal_comma: Option<bool>,
    /// Header rows before the data; the first holds the names (3 for a Qualtrics export)
    /// [default: detected].
    #[cfg_attr(feature = "cli", arg(long))]
    pub header_rows: Option<usize>,
    /// Excel: the sheet to read (top-level `sheet` in survey.toml, or `--sheet`).
    #[serde(skip)]
    #[cfg_attr(feature = "cli", arg(skip))]
    pub sheet: Option<String>,
}

/// The default seed, so that two runs of the same job give the same numbers.
pub const DEFAULT_SEED: u64 = 20_251_231;

impl Settings {
    /// Reads a survey.toml; relative file paths in it are taken relative to its folder.
    pub fn from_file(path: &Path) -> Result<Settings> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::Config { file: path.to_path_buf(), reason: format!("cannot read: {e}") })?;
        let mut spec: Settings = toml::from_str(&text)
            .map_err(|e| Error::Config { file: path.to_path_buf(), reason: one_line(&e.to_string()) })?;
        let base = path.parent().unwrap_or(Path::new(""));
        for file in
            [&mut spec.ratings, &mut spec.nps, &mut spec.benchmarks, &mut spec.whatif.costs].into_iter().flatten()
        {
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
        let scale = match (self.scale_min, self.scale_max) {
            (Some(min), Some(max)) => Some(Scale { min, max }),
            _ => self.scale,
        };
        if let Some(s) = scale {
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
        let (seed, missing) = (self.seed.unwrap_or(DEFAULT_SEED), self.missing.unwrap_or(Missing::Listwise));
        let m = self.model;
        let options = Options {
            methods: if m.methods.is_empty() { vec![Method::All] } else { m.methods },
            rank_by: m.rank_by,
            missing,
            non_pd: m.non_pd.unwrap_or(NonPd::Repair),
            approx: m.approx,
            permutations: m.permutations.unwrap_or(Options::default().permutations).max(2),
            tolerance: m.tolerance,
            seed,
            bootstrap: m.bootstrap.unwrap_or(DEFAULT_BOOTSTRAP),
            weights_are: self.weights_are.unwrap_or_default(),
            ..Options::default()
        };
        options.check().map_err(Error::Usage)?;
        let columns: Vec<&str> = self.drivers.iter().map(|d| d.column.as_str()).collect();
        let whatif = WhatIf {
            model: self.whatif.model,
            scenarios: self
                .whatif
                .scenarios
                .iter()
                .map(|s| s.resolve(&columns, scale.map(|s| (s.min, s.max))))
                .collect::<std::result::Result<_, _>>()
                .map_err(Error::Usage)?,
            costs: self.whatif.costs,
        };
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
            scale,
            missing_codes: self.missing_codes,
            missing,
            csv: CsvOptions { sheet: self.sheet, ..self.csv },
            seed,
            drivers: self.drivers,
            options,
            whatif,
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
    pub missing: Missing,
    pub csv: CsvOptions,
    pub seed: u64,
    pub drivers: Vec<DriverSpec>,
    /// What the engine runs, checked.
    #[serde(skip)]
    pub options: Options,
    pub whatif: WhatIf,
}

/// The what-if's settings, checked: its scenarios resolved against the drivers.
#[derive(Debug, Clone, Default, Serialize)]
pub struct WhatIf {
    /// `None`: the outcome kind's default ([`crate::schema::outcome::Outcome::whatif_model`]).
    pub model: Option<WhatIfModel>,
    /// Empty: each driver one point higher, alone.
    pub scenarios: Vec<Scenario>,
    pub costs: Option<PathBuf>,
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

impl Settings {
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
        let outcome_scale = self.outcome_min.zip(self.outcome_max).map(|(min, max)| Scale { min, max });
        if outcome_scale.is_some() || self.cutoff.is_some() {
            let [one] = chosen.as_mut_slice() else {
                return Err(Error::Usage(
                    "--outcome-min/--outcome-max/--cutoff apply to one outcome: pick it with --target COL".into(),
                ));
            };
            one.scale = outcome_scale.or(one.scale);
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
