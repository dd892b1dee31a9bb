//! The driver engine: from the moments of the complete rows to one table with a row per
//! driver and a column per method. Each method lives in its own module and returns plain
//! numbers; this module only gathers them and ranks.

pub mod corr;
pub mod subsets;

use serde::Serialize;

use crate::error::Result;
use crate::load::ModelData;
use crate::moments::Moments;
use crate::spec::Survey;

/// One driver's results. Field names are the `drivers --format json` contract: later
/// versions add fields, never rename these.
#[derive(Debug, Clone, Serialize)]
pub struct Driver {
    pub name: String,
    pub label: String,
    /// 1 = most important.
    pub rank: usize,
    /// Pearson correlation with the target.
    pub corr: f64,
}

/// The driver analysis of one target.
#[derive(Debug, Clone, Serialize)]
pub struct DriverTable {
    pub target: String,
    pub n_used: usize,
    pub n_dropped: usize,
    /// R² of the full linear model.
    pub r2: f64,
    /// Sorted by rank.
    pub drivers: Vec<Driver>,
}

impl DriverTable {
    /// Runs every method on the complete rows of `data`.
    pub fn fit(survey: &Survey, data: &ModelData) -> Result<DriverTable> {
        let moments = Moments::from_data(data);
        let corr = moments.corr();
        let p = moments.p();
        let r2 = subsets::subset_r2(&corr, &(0..p).collect::<Vec<_>>());
        let pearson = corr::pearson(&corr);
        let mut drivers: Vec<Driver> = survey
            .drivers
            .iter()
            .zip(&pearson)
            .map(|(d, &c)| Driver { name: d.column.clone(), label: d.label().to_string(), rank: 0, corr: c })
            .collect();
        drivers.sort_by(|a, b| b.corr.total_cmp(&a.corr));
        for (i, d) in drivers.iter_mut().enumerate() {
            d.rank = i + 1;
        }
        Ok(DriverTable {
            target: survey.target.clone(),
            n_used: data.n_used,
            n_dropped: data.n_dropped,
            r2,
            drivers,
        })
    }
}
