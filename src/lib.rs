//! keydriver: key-driver analysis of customer surveys.
//!
//! Data flows one way: [`spec`] (what the columns mean) → [`load`] (read, validate, join)
//! → [`nps`] and [`drivers`] (the statistics) → [`report`] / [`export`] (what the analyst
//! reads). The command-line tool in `main.rs` is a thin layer over [`analyse`].

pub mod bootstrap;
pub mod change;
pub mod drivers;
pub mod error;
pub mod export;
pub mod groups;
pub mod load;
pub mod moments;
pub mod nps;
pub mod report;
pub mod simulate;
pub mod spec;
pub mod waves;

use serde::Serialize;

pub use error::{Error, Result};

/// Everything one report says.
#[derive(Serialize)]
pub struct Analysis {
    /// The report's folder name: the latest wave unless named.
    pub name: String,
    pub version: String,
    pub config: Option<String>,
    pub survey: spec::Survey,
    pub load: load::LoadReport,
    pub nps: nps::NpsTable,
    /// `None` when the data cannot support a driver model; `drivers_note` says why.
    pub drivers: Option<drivers::DriverTable>,
    pub drivers_note: Option<String>,
    /// The engine per wave and segment, what moved, and why NPS moved.
    pub groups: groups::GroupAnalysis,
}

/// What `drivers --format json` prints and `drivers.json` holds: the pooled table, then
/// the per-wave and per-segment analyses beside its fields.
#[derive(Serialize)]
pub struct DriverReport<'a> {
    #[serde(flatten)]
    pub table: &'a drivers::DriverTable,
    #[serde(flatten)]
    pub groups: &'a groups::GroupAnalysis,
}

/// Loads the survey and runs NPS and the driver engine on it.
pub fn analyse(
    survey: &spec::Survey,
    opts: &drivers::Options,
    name: Option<String>,
    config: Option<String>,
) -> Result<Analysis> {
    let responses = load::load(survey)?;
    let nps = nps_table(survey, &responses)?;
    // A report still gives the NPS when no driver model can be fitted, and says why.
    let (drivers, drivers_note) = match drivers::DriverTable::fit(survey, &responses, None, opts) {
        Ok(t) => (Some(t), None),
        Err(e) => (None, Some(e.to_string())),
    };
    let groups = groups::analyse(survey, &responses, &nps, opts);
    // The folder is named after the latest wave in time, made safe for any filesystem.
    let name = name.unwrap_or_else(|| {
        waves::safe_name(responses.waves.as_ref().and_then(|w| w.latest()).unwrap_or("report"))
    });
    Ok(Analysis {
        name,
        version: env!("CARGO_PKG_VERSION").to_string(),
        config,
        survey: survey.clone(),
        load: responses.report,
        nps,
        drivers,
        drivers_note,
        groups,
    })
}

/// NPS only (the `nps` command): overall, by wave and by each segment.
pub fn analyse_nps(survey: &spec::Survey) -> Result<nps::NpsTable> {
    nps_table(survey, &load::load(survey)?)
}

/// The driver analysis without NPS charts or files (the `drivers` command): the pooled
/// table, which must fit, and the per-wave and per-segment analyses.
pub fn analyse_drivers(survey: &spec::Survey, opts: &drivers::Options) -> Result<(drivers::DriverTable, groups::GroupAnalysis)> {
    let responses = load::load(survey)?;
    let table = drivers::DriverTable::fit(survey, &responses, None, opts)?;
    let nps = nps_table(survey, &responses)?;
    Ok((table, groups::analyse(survey, &responses, &nps, opts)))
}

fn nps_table(survey: &spec::Survey, responses: &load::Responses) -> Result<nps::NpsTable> {
    let by: Vec<String> = survey.wave.iter().chain(&survey.segments).cloned().collect();
    nps::NpsTable::from_responses(responses, &by).ok_or_else(|| {
        Error::Data(format!("no respondent has a \"{}\" score: nothing to report", survey.target))
    })
}
