//! The command line: its flags (clap derive over the library's [`Settings`], so each
//! setting is declared once), and each command as a call into the library.

mod run;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use keydriver::export::Format;
use keydriver::schema::settings::{ModelSettings, Settings};
use keydriver::schema::whatif::WhatIfSettings;

pub use run::{run, Process};

use keydriver::error::{Error, ModelError};

/// What to do about an error, in the command line's flags: the library names none.
pub fn hint(e: &Error) -> &'static str {
    match e {
        Error::Model(ModelError::NotPositiveDefinite) => ": use --missing listwise, or --non-pd repair",
        _ => "",
    }
}

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
        model: ModelSettings,
        #[command(flatten)]
        whatif: WhatIfSettings,
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
        model: ModelSettings,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
        /// Rank from a moments file (`keydriver moments` JSON, or the CSV of the
        /// `keydriver sql` query) instead of the rows: every method that needs only
        /// moments, pooled and by wave and segment.
        #[arg(long, value_name = "FILE")]
        from_moments: Option<PathBuf>,
    },
    /// What a point is worth: the main outcome's predicted change when drivers improve
    /// (each driver +1 alone unless --scenario says otherwise), with bootstrap intervals,
    /// the share of respondents moved and, with --costs, the return per unit of cost.
    Whatif {
        #[command(flatten)]
        data: DataArgs,
        #[command(flatten)]
        model: ModelSettings,
        #[command(flatten)]
        whatif: WhatIfSettings,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
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
        dialect: keydriver::warehouse::sql::SqlDialect,
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
    #[command(alias = "simulate")]
    Example {
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

/// Where the data is and what its columns mean: survey.toml, and flags that override
/// its fields one by one.
#[derive(Args, Debug, Default)]
pub struct DataArgs {
    /// survey.toml to start from [report default: notebooks-data/survey.toml].
    #[arg(long)]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    pub settings: Settings,
}
