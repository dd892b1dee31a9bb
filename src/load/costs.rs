//! What improving a driver costs (`--costs FILE`): a CSV with `driver`, `cost` (per
//! respondent moved one point) and optionally `unit`. Drivers the file leaves out have no
//! cost, and their scenarios no return.

use std::path::Path;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::load::Table;
use crate::schema::settings::Survey;

/// Each driver's cost per respondent per point, in the survey's driver order.
#[derive(Debug, Clone, Serialize)]
pub struct Costs {
    pub per_point: Vec<Option<f64>>,
    /// What a cost is counted in (EUR, hours), when the file says.
    pub unit: Option<String>,
}

pub fn read(path: &Path, survey: &Survey) -> Result<Costs> {
    let table = Table::read(path, &survey.csv, &["cost"])?;
    let driver = table.strings("driver", "cost driver")?;
    let cost = table.numbers("cost", "cost per respondent and point")?;
    let units = match table.df.column("unit") {
        Ok(_) => table.strings("unit", "cost unit")?,
        Err(_) => vec![None; table.height()],
    };
    let columns = survey.driver_columns();
    let mut per_point = vec![None; columns.len()];
    let mut unit: Option<String> = None;
    for i in 0..table.height() {
        let err = |column: &str, reason: String| table.value_error(column, i, reason);
        let d = driver[i].as_deref().ok_or_else(|| err("driver", "driver is blank".into()))?;
        let j = columns
            .iter()
            .position(|c| *c == d)
            .ok_or_else(|| err("driver", format!("unknown driver \"{d}\": the drivers are {}", columns.join(", "))))?;
        let c = cost.get(i).ok_or_else(|| err("cost", "cost is blank".into()))?;
        if c <= 0.0 {
            return Err(err("cost", format!("cost {c} must be above 0")));
        }
        if per_point[j].replace(c).is_some() {
            return Err(err("driver", format!("driver \"{d}\" is listed twice")));
        }
        match (&unit, &units[i]) {
            (Some(a), Some(b)) if a != b => {
                return Err(err(
                    "unit",
                    format!("unit \"{b}\" differs from \"{a}\" above: give every cost in one unit"),
                ))
            }
            (None, Some(b)) => unit = Some(b.clone()),
            _ => {}
        }
    }
    if per_point.iter().all(Option::is_none) {
        return Err(Error::BadFile { file: path.to_path_buf(), reason: "names no driver's cost".into() });
    }
    Ok(Costs { per_point, unit })
}
