//! Command-line arguments (clap derive) and how they override survey.toml. Definitions
//! only: the work happens in the library.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use std::io::IsTerminal;

use keydriver::engine::{Method, Missing, NonPd, Options, Progress, RankBy, Tick};
use keydriver::error::{Error, Result};
use keydriver::export::Format;
use keydriver::schema::outcome::OutcomeKind;
use keydriver::schema::spec::{DriverSpec, Scale, Spec, Survey, WeightsAre};
use keydriver::schema::waves::PeriodKind;

#[derive(Parser)]
#[command(
    name = "keydriver",
    version,
    about = "Key-driver analysis of customer surveys: NPS and what drives it",
    args_override_self = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Write the full report (markdown, PNG charts, CSV/JSON tables) into a new folder.
    Report {
        #[command(flatten)]
        data: DataArgs,
        /// Folder to write the report folder into.
        #[arg(long, default_value = "reports")]
        out: PathBuf,
        /// Report folder name [default: the latest wave, e.g. 2025Q4].
        #[arg(long)]
        name: Option<String>,
        /// Replace an existing report of the same name.
        #[arg(long)]
        force: bool,
        /// Chart resolution: 1 = 1200×675 pixels, 2 = 2400×1350 for print and slides.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=4))]
        scale: u32,
        /// Your own wording or language for report.md and report.html: a minijinja
        /// template (start from templates/report.md.j2 in the source).
        #[arg(long, value_name = "FILE")]
        template: Option<PathBuf>,
        #[command(flatten)]
        model: ModelArgs,
        /// Make the report from sums instead of rows: a `keydriver moments` file, or the
        /// CSV of `keydriver sql`'s query (the main outcome only; what needs the rows is
        /// skipped with a note).
        #[arg(long, value_name = "FILE")]
        from_moments: Option<PathBuf>,
    },
    /// The main outcome's headline (NPS, % satisfied, mean effort, mean) with standard
    /// error and 95% CI, overall and by group, and its benchmarks.
    #[command(alias = "score")]
    Nps {
        #[command(flatten)]
        data: DataArgs,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// Rank the drivers of the main outcome (the recommend score unless --outcome says otherwise).
    Drivers {
        #[command(flatten)]
        data: DataArgs,
        #[command(flatten)]
        model: ModelArgs,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
        /// Rank from a moments file (`keydriver moments` JSON, or the CSV of the
        /// `keydriver sql` query) instead of the rows: every method that needs only
        /// moments, pooled and by wave and segment.
        #[arg(long, value_name = "FILE")]
        from_moments: Option<PathBuf>,
    },
    /// Write the main outcome's sufficient statistics (weighted sums by wave and segment)
    /// as JSON, for --from-moments.
    Moments {
        #[command(flatten)]
        data: DataArgs,
        /// Also write this many Poisson bootstrap replicates of every group's sums (needs
        /// --id); `drivers --from-moments` then gives bootstrap intervals.
        #[arg(long, default_value_t = 0)]
        replicates: usize,
    },
    /// Print one SQL query that computes the same sufficient statistics inside a
    /// warehouse; export its result as CSV and pass it to --from-moments.
    Sql {
        #[command(flatten)]
        data: DataArgs,
        #[arg(long, value_enum)]
        dialect: keydriver::warehouse::moments_file::Dialect,
        /// Table (or view) with one row per respondent: ratings and outcome side by side.
        #[arg(long)]
        table: String,
        /// Also compute this many Poisson bootstrap replicates of every group's sums (needs
        /// --id); `drivers --from-moments` then gives bootstrap intervals.
        #[arg(long, default_value_t = 0)]
        replicates: usize,
    },
    /// Draft a survey.toml beside a data file: the id, wave, segments, ratings, outcome and
    /// missing codes guessed from the columns, each guess commented. Never replaces one.
    Init {
        /// The ratings export (CSV, Excel, SPSS, Parquet).
        data: PathBuf,
        /// A second file with the outcome answers, joined on the id.
        #[arg(long)]
        nps: Option<PathBuf>,
        /// The outcome column, when it cannot be guessed.
        #[arg(long, alias = "score")]
        target: Option<String>,
    },
    /// Generate the example survey (ratings.csv, nps.csv) from known driver weights.
    Simulate {
        /// Folder to write ratings.csv and nps.csv into.
        #[arg(long, default_value = "notebooks-data")]
        out: PathBuf,
        /// Respondents to generate.
        #[arg(long, default_value_t = 5000)]
        respondents: usize,
        #[arg(long, default_value_t = keydriver::example::DEFAULT_SEED)]
        seed: u64,
    },
}

/// How the driver engine runs.
#[derive(Args, Debug)]
pub struct ModelArgs {
    /// Methods to run, comma-separated.
    #[arg(long, value_enum, value_delimiter = ',', action = clap::ArgAction::Set, default_value = "all")]
    pub method: Vec<Method>,
    /// Driver field to rank by [default: shapley, or corr when Shapley is not run].
    #[arg(long, value_enum)]
    pub rank_by: Option<RankBy>,
    /// How rows with gaps enter the correlation matrix: listwise deletion, pairwise
    /// deletion, or maximum likelihood (EM) from every answer [default: listwise, or
    /// `missing` in survey.toml].
    #[arg(long, value_enum)]
    pub missing: Option<Missing>,
    /// A pairwise matrix that is not positive definite: repair it (with a warning) or stop.
    #[arg(long, value_enum, default_value = "repair")]
    pub non_pd: NonPd,
    /// Estimate Shapley values from random orderings even with 30 drivers or fewer.
    #[arg(long)]
    pub approx: bool,
    /// Random orderings for sampled Shapley values (above 30 drivers, or with --approx);
    /// with --tolerance, the most to draw.
    #[arg(long, default_value_t = 10_000)]
    pub permutations: usize,
    /// Sampled Shapley: stop once every driver's Monte-Carlo SE is at most this (in R²
    /// units, e.g. 0.0005), checked every 4,096 orderings.
    #[arg(long, value_name = "SE")]
    pub tolerance: Option<f64>,
    /// Bootstrap resamples for confidence intervals, rank stability and tie groups; 0 turns
    /// it off [default: 1000 for report, 0 for drivers].
    #[arg(long, value_name = "N")]
    pub bootstrap: Option<usize>,
}

impl ModelArgs {
    /// The engine's options for `survey`, checked; `bootstrap` is the command's default.
    /// With them, the progress bar the engine advances: drawn on stderr only when it is a
    /// terminal, to be cleared when the run ends.
    pub fn options(self, survey: &Survey, bootstrap: usize) -> Result<(Options, indicatif::ProgressBar)> {
        let bootstrap = self.bootstrap.unwrap_or(bootstrap);
        let progress = if bootstrap > 0 && std::io::stderr().is_terminal() {
            let bar = indicatif::ProgressBar::new(bootstrap as u64);
            bar.set_style(
                indicatif::ProgressStyle::with_template("bootstrap {bar:40} {pos}/{len} resamples, {eta} left")
                    .expect("the template is valid"),
            );
            bar
        } else {
            indicatif::ProgressBar::hidden()
        };
        let opts = Options {
            methods: self.method,
            rank_by: self.rank_by,
            missing: self.missing.unwrap_or(survey.missing),
            non_pd: self.non_pd,
            approx: self.approx,
            permutations: self.permutations.max(2),
            tolerance: self.tolerance,
            seed: survey.seed,
            bootstrap,
            weights_are: survey.weights_are,
            progress: Progress::new({
                let bar = progress.clone();
                move |tick| match tick {
                    Tick::More(n) => bar.inc_length(n),
                    Tick::Done => bar.inc(1),
                }
            }),
        };
        opts.check().map_err(Error::Usage)?;
        Ok((opts, progress))
    }
}

/// Where the data is and what its columns mean. Each flag overrides the same field of
/// survey.toml.
#[derive(Args, Debug, Default)]
pub struct DataArgs {
    /// survey.toml to start from [report default: notebooks-data/survey.toml].
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Ratings file (CSV, CSV.gz or Parquet).
    #[arg(long, alias = "ratings")]
    pub data: Option<PathBuf>,
    /// Second file with the outcome answers (recommend score, CSAT, …), joined on --id.
    #[arg(long)]
    pub nps: Option<PathBuf>,
    /// Respondent id column (needed to join two files).
    #[arg(long)]
    pub id: Option<String>,
    /// The outcome column (with [[outcomes]] in survey.toml: which one to analyse).
    #[arg(long, alias = "score")]
    pub target: Option<String>,
    /// What kind of outcome --target is: nps (whole 0–10), csat (% satisfied), ces
    /// (effort, lower is better), numeric (any number) or binary (two answers, one
    /// positive: see --positive) [default: nps].
    #[arg(long, value_enum)]
    pub outcome: Option<OutcomeKind>,
    /// Lowest answer of a csat/ces outcome's scale [default: 1].
    #[arg(long, requires = "outcome_max")]
    pub outcome_min: Option<f64>,
    /// Highest answer of a csat/ces outcome's scale [default: 5 for csat, 7 for ces].
    #[arg(long, requires = "outcome_min")]
    pub outcome_max: Option<f64>,
    /// csat: lowest "satisfied" answer [default: top two boxes]; ces: lowest "high effort"
    /// answer [default: first above the midpoint].
    #[arg(long)]
    pub cutoff: Option<f64>,
    /// A binary outcome's positive answers, comma-separated ("satisfied", "yes", "1");
    /// implies --outcome binary.
    #[arg(long, value_delimiter = ',', action = clap::ArgAction::Set, value_name = "LABEL")]
    pub positive: Option<Vec<String>>,
    /// Codes meaning "no answer" in the outcome, comma-separated [default: none; the
    /// ratings' --missing-codes do not apply to outcomes].
    #[arg(long, value_delimiter = ',', action = clap::ArgAction::Set, value_name = "CODES")]
    pub outcome_missing_codes: Option<Vec<f64>>,
    /// Benchmark CSV: metric, wave, value, and optionally n or ci_low/ci_high, label.
    #[arg(long)]
    pub benchmarks: Option<PathBuf>,
    /// Driver columns, comma-separated; `column=Label` sets a display label.
    #[arg(long, value_delimiter = ',', action = clap::ArgAction::Set)]
    pub drivers: Option<Vec<String>>,
    /// Survey weight column.
    #[arg(long)]
    pub weights: Option<String>,
    /// What the weights are: sampling weights get design-based SEs (as R's survey
    /// package); frequency weights get lm(weights = w) SEs [default: sampling].
    #[arg(long, value_enum)]
    pub weights_are: Option<WeightsAre>,
    /// Wave (quarter) column: period labels such as 2025Q1, or dates with --wave-period.
    #[arg(long)]
    pub wave: Option<String>,
    /// Derive the wave from the --wave date column: its quarter, month or year.
    #[arg(long, value_enum)]
    pub wave_period: Option<PeriodKind>,
    /// Columns to break NPS and the drivers down by, comma-separated.
    #[arg(long, alias = "by", value_delimiter = ',', action = clap::ArgAction::Set)]
    pub segments: Option<Vec<String>>,
    /// A segment column whose groups get a line each in the trend chart.
    #[arg(long, value_name = "SEGMENT")]
    pub trend_by: Option<String>,
    /// Fewest complete responses for a wave or segment's own driver ranking
    /// [default: max(100, 10 × drivers)].
    #[arg(long, value_name = "N")]
    pub min_group_n: Option<usize>,
    /// Lowest valid rating.
    #[arg(long, requires = "scale_max")]
    pub scale_min: Option<f64>,
    /// Highest valid rating.
    #[arg(long, requires = "scale_min")]
    pub scale_max: Option<f64>,
    /// Codes meaning "missing" in the driver ratings (e.g. 99 for don't know, 0 for not
    /// applicable), comma-separated.
    #[arg(long, value_delimiter = ',', action = clap::ArgAction::Set)]
    pub missing_codes: Option<Vec<f64>>,
    /// CSV field separator [default: detected].
    #[arg(long)]
    pub separator: Option<char>,
    /// Numbers use a decimal comma (2,5) [default: detected].
    #[arg(long)]
    pub decimal_comma: bool,
    /// Header rows before the data; the first holds the names [default: detected].
    #[arg(long)]
    pub header_rows: Option<usize>,
    /// Excel files: the sheet to read [default: the first].
    #[arg(long)]
    pub sheet: Option<String>,
    /// Seed for every random step.
    #[arg(long)]
    pub seed: Option<u64>,
}

impl DataArgs {
    /// Applies the flags that were given on top of `spec`.
    pub fn apply(self, mut spec: Spec) -> Spec {
        fn set<T>(field: &mut Option<T>, v: Option<T>) {
            if v.is_some() {
                *field = v;
            }
        }
        set(&mut spec.ratings, self.data);
        set(&mut spec.nps, self.nps);
        set(&mut spec.id, self.id);
        set(&mut spec.target, self.target);
        set(&mut spec.outcome, self.outcome);
        set(&mut spec.cutoff, self.cutoff);
        set(&mut spec.benchmarks, self.benchmarks);
        if let (Some(min), Some(max)) = (self.outcome_min, self.outcome_max) {
            spec.outcome_scale = Some(Scale { min, max });
        }
        set(&mut spec.weight, self.weights);
        set(&mut spec.weights_are, self.weights_are);
        set(&mut spec.wave, self.wave);
        set(&mut spec.wave_period, self.wave_period);
        set(&mut spec.min_group_n, self.min_group_n);
        set(&mut spec.trend_by, self.trend_by);
        set(&mut spec.seed, self.seed);
        set(&mut spec.csv.separator, self.separator);
        set(&mut spec.csv.header_rows, self.header_rows);
        set(&mut spec.sheet, self.sheet);
        if self.decimal_comma {
            spec.csv.decimal_comma = Some(true);
        }
        if let (Some(min), Some(max)) = (self.scale_min, self.scale_max) {
            spec.scale = Some(Scale { min, max });
        }
        if let Some(codes) = self.missing_codes {
            spec.missing_codes = codes;
        }
        if let Some(positive) = self.positive {
            spec.positive = positive;
        }
        set(&mut spec.outcome_missing_codes, self.outcome_missing_codes);
        if let Some(segments) = self.segments {
            spec.segments = segments;
        }
        if let Some(drivers) = self.drivers {
            spec.drivers = drivers
                .into_iter()
                .map(|d| match d.split_once('=') {
                    Some((c, l)) => {
                        DriverSpec { column: c.trim().into(), label: Some(l.trim().into()), ..Default::default() }
                    }
                    None => DriverSpec { column: d.trim().into(), ..Default::default() },
                })
                .collect();
        }
        spec
    }
}
