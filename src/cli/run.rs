//! Each command as calls into the library: settings resolved once, data loaded, analysed,
//! written or printed.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use keydriver::analysis::from_moments::{self, MomentsReport};
use keydriver::analysis::{DriverReport, Stage};
use keydriver::engine::{Missing, Progress, Tick};
use keydriver::error::{Error, Result};
use keydriver::export::{self, Format};
use keydriver::report::{self, template::Template, Staging};
use keydriver::schema::settings::{ModelSettings, Settings, Survey};
use keydriver::schema::whatif::WhatIfSettings;
use keydriver::warehouse::moments_file::MomentsFile;

use super::{Command, DataArgs};

const DEFAULT_CONFIG: &str = "notebooks-data/survey.toml";

/// What a run needs from `main`: where the report being written is staged (for the
/// Ctrl-C handler).
pub struct Process {
    pub staging: Staging,
}

pub fn run(command: Command, process: &Process) -> Result<()> {
    match command {
        Command::Report { data, out, name, force, scale, template, model, whatif, from_moments } => {
            // A template that does not compile is refused before any data is read.
            let template = match template {
                Some(path) => Template::from_file(&path)?,
                None => Template::builtin(),
            };
            let settings = report::Settings { force, scale, template, staging: process.staging.clone() };
            let config = default_config(&data);
            let mut analysis = match from_moments {
                Some(file) => {
                    let survey = from_sums(data, model, whatif, config.as_deref())?;
                    let sums = MomentsFile::read(&file, &survey, survey.main_outcome())?;
                    from_moments::analyse_report(&survey, &file, &sums)?
                }
                None => {
                    let mut survey = resolve(data, model, whatif, config.as_deref(), Need::Drivers)?;
                    let bar = progress_bar(&mut survey);
                    let mut timings = Vec::new();
                    let analysed = Stage::time(&mut timings, "load", || keydriver::load::load(&survey))
                        .and_then(|responses| keydriver::analyse(&survey, &responses));
                    bar.finish_and_clear();
                    let mut analysis = analysed?;
                    timings.append(&mut analysis.timings);
                    analysis.timings = timings;
                    analysis
                }
            };
            analysis.config = config.as_deref().map(|p| p.display().to_string());
            if let Some(name) = name {
                analysis.name = name;
            }
            let dir = report::write(&analysis, &out, &settings)?;
            println!("wrote {}", dir.join("report.md").display());
            Ok(())
        }
        Command::Init { data, nps, target } => {
            let draft = keydriver::draft::init(&data, nps.as_deref(), target.as_deref())?;
            println!("wrote {}: check its guesses (each says why), then run:\n  {}", draft.path.display(), draft.next);
            Ok(())
        }
        Command::Nps { data, format } => {
            let config = data.config.clone();
            let mut survey =
                resolve(data, ModelSettings::default(), WhatIfSettings::default(), config.as_deref(), Need::Outcome)?;
            survey.drivers.clear();
            tell_main_outcome(&survey, "scoring");
            let scores = keydriver::analyse_scores(&survey, &keydriver::load::load(&survey)?)?;
            let rows = report::score_rows(&scores);
            print!(
                "{}",
                match format {
                    Format::Table => export::table::render(&rows),
                    Format::Csv => export::csv::render(&rows),
                    Format::Json => export::json::render(&scores),
                }
            );
            Ok(())
        }
        Command::Drivers { data, mut model, format, from_moments: Some(file) } => {
            model.bootstrap.get_or_insert(0);
            let config = data.config.clone();
            let survey = from_sums(data, model, WhatIfSettings::default(), config.as_deref())?;
            tell_main_outcome(&survey, "ranking the drivers of");
            let sums = MomentsFile::read(&file, &survey, survey.main_outcome())?;
            print_moments_report(&from_moments::analyse_moments(&survey, &sums)?, format);
            Ok(())
        }
        Command::Drivers { data, mut model, format, from_moments: None } => {
            model.bootstrap.get_or_insert(0);
            let config = data.config.clone();
            let mut survey = resolve(data, model, WhatIfSettings::default(), config.as_deref(), Need::Drivers)?;
            tell_main_outcome(&survey, "ranking the drivers of");
            if keydriver::streams(&survey) {
                let sums = keydriver::moments(&survey, 0)?;
                print_moments_report(&from_moments::analyse_moments(&survey, &sums)?, format);
                return Ok(());
            }
            let bar = progress_bar(&mut survey);
            let result =
                keydriver::load::load(&survey).and_then(|responses| keydriver::analyse_drivers(&survey, &responses));
            bar.finish_and_clear();
            let (table, groups) = result?;
            print!(
                "{}",
                match format {
                    Format::Table => export::table::render(&table.drivers),
                    Format::Csv => export::csv::render(&table.drivers),
                    Format::Json =>
                        export::json::render(&DriverReport { table: &table, groups: &groups, whatif: None }),
                }
            );
            Ok(())
        }
        Command::Whatif { data, model, whatif, format } => {
            let config = default_config(&data);
            let mut survey = resolve(data, model, whatif, config.as_deref(), Need::Drivers)?;
            tell_main_outcome(&survey, "simulating");
            let bar = progress_bar(&mut survey);
            let result = keydriver::load::load(&survey)
                .and_then(|responses| keydriver::analysis::analyse_whatif(&survey, &responses));
            bar.finish_and_clear();
            let w = result?;
            print!(
                "{}",
                match format {
                    Format::Table => export::table::render(&w.scenarios),
                    Format::Csv => export::csv::render(&w.scenarios),
                    Format::Json => export::json::render(&w),
                }
            );
            Ok(())
        }
        Command::Moments { data, replicates } => {
            let config = data.config.clone();
            let survey =
                resolve(data, ModelSettings::default(), WhatIfSettings::default(), config.as_deref(), Need::Drivers)?;
            tell_main_outcome(&survey, "summing");
            print!("{}", export::json::render(&keydriver::moments(&survey, replicates)?));
            Ok(())
        }
        Command::Sql { data, dialect, table, replicates } => {
            let config = data.config.clone();
            let survey = settings(data, ModelSettings::default(), WhatIfSettings::default(), config.as_deref())?
                .resolve(true)?;
            tell_main_outcome(&survey, "summing");
            let query = keydriver::warehouse::sql::sql(
                &survey,
                survey.main_outcome(),
                dialect,
                &table,
                replicates,
                survey.seed,
            )?;
            print!("{query}");
            Ok(())
        }
        Command::Example { out, respondents, seed } => {
            let written = keydriver::example::write(&out, respondents, seed)?;
            for path in written {
                println!("wrote {}", path.display());
            }
            Ok(())
        }
    }
}

/// survey.toml as given, else the bundled example's when no data is named either.
fn default_config(data: &DataArgs) -> Option<PathBuf> {
    data.config.clone().or_else(|| {
        let default = PathBuf::from(DEFAULT_CONFIG);
        (data.settings.ratings.is_none() && default.exists()).then_some(default)
    })
}

/// What a command needs besides the outcome.
#[derive(PartialEq)]
enum Need {
    Outcome,
    Drivers,
}

/// survey.toml (if any) with the flags laid over it.
fn settings(data: DataArgs, model: ModelSettings, whatif: WhatIfSettings, config: Option<&Path>) -> Result<Settings> {
    let file = config.map_or_else(|| Ok(Settings::default()), Settings::from_file)?;
    Ok(file.merge(Settings { model, whatif, ..data.settings }))
}

/// The settings of a run over the rows, checked for completeness.
fn resolve(
    data: DataArgs,
    model: ModelSettings,
    whatif: WhatIfSettings,
    config: Option<&Path>,
    need: Need,
) -> Result<Survey> {
    let settings = settings(data, model, whatif, config)?;
    if settings.ratings.is_none() {
        return Err(Error::NoData);
    }
    settings.resolve(need == Need::Drivers)
}

/// The settings of a run from sums: resampling rows and gap handling are refused.
fn from_sums(data: DataArgs, model: ModelSettings, whatif: WhatIfSettings, config: Option<&Path>) -> Result<Survey> {
    let mut settings = settings(data, model, whatif, config)?;
    if settings.model.bootstrap.is_some_and(|b| b > 0) || settings.missing.is_some_and(|m| m != Missing::Listwise) {
        return Err(Error::Usage(
            "--from-moments: resampling and pairwise deletion need the rows; drop --bootstrap and --missing (for intervals, make the sums with --replicates B)"
                .into(),
        ));
    }
    // No resamples from rows: the file brings its replicates.
    settings.model.bootstrap = Some(0);
    settings.resolve(true)
}

/// The bootstrap's progress bar, advanced by the engine: drawn on stderr only when it is a
/// terminal, to be cleared when the run ends.
fn progress_bar(survey: &mut Survey) -> indicatif::ProgressBar {
    let resamples = survey.options.bootstrap;
    let bar = if resamples > 0 && std::io::stderr().is_terminal() {
        let bar = indicatif::ProgressBar::new(resamples as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template("bootstrap {bar:40} {pos}/{len} resamples, {eta} left")
                .expect("the template is valid"),
        );
        bar
    } else {
        indicatif::ProgressBar::hidden()
    };
    let listener = bar.clone();
    survey.options.progress = Progress::new(move |tick| match tick {
        Tick::More(n) => listener.inc_length(n),
        Tick::Done => listener.inc(1),
    });
    bar
}

/// The driver tables from sums (`--from-moments`, or a streamed pass).
fn print_moments_report(result: &MomentsReport, format: Format) {
    print!(
        "{}",
        match format {
            Format::Table => export::table::render(&result.table.drivers),
            Format::Csv => export::csv::render(&result.table.drivers),
            Format::Json => export::json::render(result),
        }
    );
}

/// The `nps` and `drivers` commands report one outcome: when survey.toml has several,
/// say on stderr which one, and how to pick another.
fn tell_main_outcome(survey: &Survey, doing: &str) {
    if let [main, _, ..] = survey.outcomes.as_slice() {
        eprintln!(
            "note: {doing} \"{}\" ({}), the first of {} outcomes; pick another with --target COLUMN",
            main.column,
            main.kind.name(),
            survey.outcomes.len()
        );
    }
}
