//! keydriver: key-driver analysis of customer surveys.
//!
//! Data flows one way: [`spec`] (what the columns mean) → [`load`] (read, validate, join)
//! → [`nps`] and [`drivers`] (the statistics) → [`report`] / [`export`] (what the analyst
//! reads). The command-line tool in `main.rs` is a thin layer over [`analyse`].

pub mod bootstrap;
pub mod drivers;
pub mod error;
pub mod export;
pub mod load;
pub mod moments;
pub mod nps;
pub mod report;
pub mod simulate;
pub mod spec;

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
    let (drivers, drivers_note) = match drivers::DriverTable::fit(survey, &responses, opts) {
        Ok(t) => (Some(t), None),
        Err(e) => (None, Some(e.to_string())),
    };
    let name = name.unwrap_or_else(|| {
        nps.breakdowns
            .iter()
            .find(|b| Some(&b.by) == survey.wave.as_ref())
            .and_then(|b| b.rows.iter().map(|r| r.group.clone()).filter(|g| g != "(missing)").max())
            .unwrap_or_else(|| "report".to_string())
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
    })
}

/// NPS only (the `nps` command): overall, by wave and by each segment.
pub fn analyse_nps(survey: &spec::Survey) -> Result<nps::NpsTable> {
    nps_table(survey, &load::load(survey)?)
}

/// The driver table only (the `drivers` command).
pub fn analyse_drivers(survey: &spec::Survey, opts: &drivers::Options) -> Result<drivers::DriverTable> {
    Ok(drivers::DriverTable::fit(survey, &load::load(survey)?, opts)?)
}

fn nps_table(survey: &spec::Survey, responses: &load::Responses) -> Result<nps::NpsTable> {
    let by: Vec<String> = survey.wave.iter().chain(&survey.segments).cloned().collect();
    nps::NpsTable::from_responses(responses, &by).ok_or_else(|| {
        Error::Data(format!("no respondent has a \"{}\" score: nothing to report", survey.target))
    })
}
