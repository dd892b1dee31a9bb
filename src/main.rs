//! `keydriver` command: parse arguments, call the library, turn errors into one line on
//! stderr and the exit code documented in the README.

mod cli;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;
use keydriver::analysis::Stage;
use keydriver::error::{exit, Error, Result};
use keydriver::export::{self, Format};
use keydriver::schema::spec::Spec;

use cli::{Cli, Command, DataArgs};

const DEFAULT_CONFIG: &str = "notebooks-data/survey.toml";

/// mimalloc reuses freed pages instead of returning them to the kernel and faulting them
/// in again: a pass over a million rows allocates and frees a batch at a time.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in mimalloc.h (v3), which libmimalloc-sys does not name.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

fn main() -> ExitCode {
    // No transparent huge pages (the allocator asks for them before main runs): a 2 MiB
    // page is zeroed whole on first touch, half a second of a million-row report. Freed
    // pages go back to the kernel after 0.25 s rather than mimalloc's 1 s: a streaming pass
    // frees a batch every few milliseconds, and at 1 s its peak grew with the number of
    // batches (+30% from 1M to 10M rows, against +13–18% at 0.25 s; at 0 s, +4% but a
    // quarter more time).
    // SAFETY: sets a flag of this process and an option of the allocator this binary
    // links; no memory is touched.
    unsafe {
        #[cfg(target_os = "linux")]
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
        libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 250);
    }
    install_interrupt_handler();
    // A bug must still end in one line and a non-zero code, not a backtrace.
    std::panic::set_hook(Box::new(|info| {
        eprintln!("error: internal error ({info}); please report it with the command that caused it");
    }));
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::from(exit::OK as u8),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(e.exit_code() as u8)
        }
    }
}

/// For a run that holds every row in memory: keep the pages it frees. Its fits free and
/// take again arrays the size of the rows, which the kernel would zero again each time.
/// A streaming pass does not call this: it hands pages back, so its memory stays flat
/// however many batches it reads.
fn keep_freed_pages() {
    // SAFETY: sets an option of the allocator this binary links; no memory is touched.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1) };
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Report { data, out, name, force, scale, template, model, from_moments } => {
            // A template that does not compile is refused before any data is read.
            let template = match template {
                Some(path) => keydriver::report::template::Template::from_file(&path)?,
                None => keydriver::report::template::Template::builtin(),
            };
            let settings = keydriver::report::Settings { force, scale, template };
            let config = data.config.clone().or_else(|| {
                let default = PathBuf::from(DEFAULT_CONFIG);
                (data.data.is_none() && default.exists()).then_some(default)
            });
            let analysis = match from_moments {
                Some(file) => {
                    let (survey, config) = resolve_without_data(data, config)?;
                    let opts = moments_options(model, &survey)?;
                    let sums =
                        keydriver::warehouse::moments_file::MomentsFile::read(&file, &survey, survey.main_outcome())?;
                    let analysis = keydriver::analysis::from_moments::analyse_report(&survey, &file, &sums, &opts)?;
                    (analysis, config)
                }
                None => {
                    keep_freed_pages();
                    let (survey, config) = resolve(data, config, true)?;
                    let (opts, bar) = model.options(&survey, 1000)?;
                    let mut timings = Vec::new();
                    let responses = Stage::time(&mut timings, "load", || keydriver::load::load(&survey))?;
                    let analysis = keydriver::analyse(&survey, &responses, &opts);
                    bar.finish_and_clear();
                    let mut analysis = analysis?;
                    timings.append(&mut analysis.timings);
                    analysis.timings = timings;
                    (analysis, config)
                }
            };
            let (mut analysis, config) = analysis;
            analysis.config = config;
            if let Some(name) = name {
                analysis.name = name;
            }
            let dir = keydriver::report::write(&analysis, &out, &settings)?;
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
            let (mut survey, _) = resolve(data, config, false)?;
            survey.drivers.clear();
            tell_main_outcome(&survey, "scoring");
            keep_freed_pages();
            let scores = keydriver::analyse_scores(&survey, &keydriver::load::load(&survey)?)?;
            let rows = keydriver::report::score_rows(&scores);
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
        Command::Drivers { data, model, format, from_moments: Some(file) } => {
            let config = data.config.clone();
            let (survey, _) = resolve_without_data(data, config)?;
            tell_main_outcome(&survey, "ranking the drivers of");
            let opts = moments_options(model, &survey)?;
            let sums = keydriver::warehouse::moments_file::MomentsFile::read(&file, &survey, survey.main_outcome())?;
            print_moments_report(&keydriver::analysis::from_moments::analyse_moments(&survey, &sums, &opts)?, format);
            Ok(())
        }
        Command::Drivers { data, model, format, from_moments: None } => {
            let config = data.config.clone();
            let (survey, _) = resolve(data, config, true)?;
            tell_main_outcome(&survey, "ranking the drivers of");
            let (opts, bar) = model.options(&survey, 0)?;
            if keydriver::streams(&survey, &opts) {
                let sums = keydriver::moments(&survey, 0)?;
                print_moments_report(
                    &keydriver::analysis::from_moments::analyse_moments(&survey, &sums, &opts)?,
                    format,
                );
                return Ok(());
            }
            keep_freed_pages();
            let result = keydriver::load::load(&survey).and_then(|r| keydriver::analyse_drivers(&survey, &r, &opts));
            bar.finish_and_clear();
            let (table, groups) = result?;
            print!(
                "{}",
                match format {
                    Format::Table => export::table::render(&table.drivers),
                    Format::Csv => export::csv::render(&table.drivers),
                    Format::Json =>
                        export::json::render(&keydriver::analysis::DriverReport { table: &table, groups: &groups }),
                }
            );
            Ok(())
        }
        Command::Moments { data, replicates } => {
            let config = data.config.clone();
            let (survey, _) = resolve(data, config, true)?;
            tell_main_outcome(&survey, "summing");
            print!("{}", export::json::render(&keydriver::moments(&survey, replicates)?));
            Ok(())
        }
        Command::Sql { data, dialect, table, replicates } => {
            let config = data.config.clone();
            let (survey, _) = resolve_without_data(data, config)?;
            tell_main_outcome(&survey, "summing");
            print!(
                "{}",
                keydriver::warehouse::moments_file::sql(
                    &survey,
                    survey.main_outcome(),
                    dialect,
                    &table,
                    replicates,
                    survey.seed
                )?
            );
            Ok(())
        }
        Command::Simulate { out, respondents, seed } => {
            let written = keydriver::example::write(&out, respondents, seed)?;
            for path in written {
                println!("wrote {}", path.display());
            }
            Ok(())
        }
    }
}

/// The engine's options for a run from sums: resampling rows and gap handling are refused.
fn moments_options(
    model: cli::ModelArgs,
    survey: &keydriver::schema::spec::Survey,
) -> Result<keydriver::engine::Options> {
    if model.bootstrap.is_some_and(|b| b > 0)
        || model.missing.unwrap_or(survey.missing) != keydriver::engine::Missing::Listwise
    {
        return Err(Error::Usage(
            "--from-moments: resampling and pairwise deletion need the rows; drop --bootstrap and --missing (for intervals, make the sums with --replicates B)"
                .into(),
        ));
    }
    // No resamples from rows: no bar to draw.
    model.options(survey, 0).map(|(opts, _)| opts)
}

/// The driver tables from sums (`--from-moments`, or a streamed pass).
fn print_moments_report(result: &keydriver::analysis::from_moments::MomentsReport, format: Format) {
    print!(
        "{}",
        match format {
            Format::Table => export::table::render(&result.table.drivers),
            Format::Csv => export::csv::render(&result.table.drivers),
            Format::Json => export::json::render(result),
        }
    );
}

/// survey.toml (if any) overridden by the flags, checked for completeness.
fn resolve(
    data: DataArgs,
    config: Option<PathBuf>,
    need_drivers: bool,
) -> Result<(keydriver::schema::spec::Survey, Option<String>)> {
    let spec = data.apply(read_config(config.as_deref())?);
    if spec.ratings.is_none() {
        return Err(Error::NoData);
    }
    checked(spec, config, need_drivers)
}

/// As [`resolve`], for commands that never read the data file, which may then be left out.
fn resolve_without_data(
    data: DataArgs,
    config: Option<PathBuf>,
) -> Result<(keydriver::schema::spec::Survey, Option<String>)> {
    let spec = data.apply(read_config(config.as_deref())?);
    checked(spec, config, true)
}

fn read_config(config: Option<&Path>) -> Result<Spec> {
    config.map_or_else(|| Ok(Spec::default()), Spec::from_file)
}

fn checked(
    spec: Spec,
    config: Option<PathBuf>,
    need_drivers: bool,
) -> Result<(keydriver::schema::spec::Survey, Option<String>)> {
    let survey = spec.resolve(need_drivers)?;
    Ok((survey, config.as_deref().map(Path::display).map(|d| d.to_string())))
}

/// The `nps` and `drivers` commands report one outcome: when survey.toml has several,
/// say on stderr which one, and how to pick another.
fn tell_main_outcome(survey: &keydriver::schema::spec::Survey, doing: &str) {
    if let [main, _, ..] = survey.outcomes.as_slice() {
        eprintln!(
            "note: {doing} \"{}\" ({}), the first of {} outcomes; pick another with --target COLUMN",
            main.column,
            main.kind.name(),
            survey.outcomes.len()
        );
    }
}

/// Ctrl-C removes the half-built report folder, so an interrupted run leaves nothing.
fn install_interrupt_handler() {
    ctrlc::set_handler(|| {
        let staging = keydriver::report::STAGING.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(dir) = staging.as_ref() {
            std::fs::remove_dir_all(dir).ok();
        }
        eprintln!("error: {}", Error::Interrupted);
        std::process::exit(exit::INTERRUPTED);
    })
    .ok();
}
