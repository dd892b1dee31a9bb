//! The driver engine: from the survey's responses to one table with a row per driver and
//! a field per method, in three steps that the bootstrap (and waves and segments) call
//! again: [`prepare`] (moments → a checked correlation matrix, or a typed [`ModelError`]),
//! [`estimate`] (each method a pure function returning plain numbers) and `assemble`
//! here (labels, notes, ranking → [`DriverTable`]).

pub mod bootstrap;
pub mod corr;
pub mod dominance;
pub mod estimate;
pub mod kruskal;
pub mod logit;
pub mod notes;
pub mod ols;
pub mod ordinal;
pub mod prepare;
pub mod relweights;
pub mod shapley;
pub mod subsets;
pub mod whatif;

use std::collections::BTreeMap;

use serde::Serialize;

mod assemble;
use assemble::{assemble, split, Counts};
mod table;

pub use crate::schema::options::{Options, Progress, Tick};
pub use notes::Note;
pub use prepare::{ModelError, Prepared};
pub use table::{Driver, DriverTable, ShapleyMethod, StandardErrors};

use crate::load::{GappyColumns, ModelData, Responses};
pub use crate::schema::choices::{Method, Missing, NonPd, RankBy};
use crate::schema::outcome::{Outcome, OutcomeKind};
use crate::schema::settings::{DriverSpec, Survey, WeightsAre};
use crate::stats::moments::{self, Moments, Rows};
use crate::stats::replicates;
use bootstrap::Uncertainty;
use estimate::Estimates;

/// Where a fit's moments come from: the complete rows, or every row with its gaps and how
/// to estimate from them (pairwise deletion or EM), each row with its respondent key. The
/// bootstrap reweights the same source by Poisson draws of the keys, so EM reruns per
/// resample. Ready-made replicates (a moments file's, or a caller's that summed every
/// group's at once) come as their moments.
pub enum Source<'a> {
    Listwise(Rows<'a>, &'a [u32]),
    Gappy(&'a GappyColumns, Missing, &'a [u32]),
    Replicates(Vec<Moments>),
}

impl Source<'_> {
    /// The moments of bootstrap resample `k` (replicate k + 1): each row counted as often
    /// as its key's Poisson draw says ([`crate::stats::replicates`]), or the k-th replicate.
    pub fn resample(&self, k: usize, seed: u64) -> Moments {
        match self {
            Source::Replicates(r) => r[k].clone(),
            Source::Listwise(_, keys) | Source::Gappy(_, _, keys) => {
                self.moments(Some(&replicates::counts(keys, seed, k)))
            }
        }
    }

    /// The moments of resamples 0…b: for complete rows, all of them in one blocked pass.
    fn replicates(&self, b: usize, seed: u64) -> Option<Vec<Moments>> {
        match self {
            Source::Listwise(rows, keys) => {
                let sums = rows.replicate_sums(keys, &vec![0; rows.len()], 1, seed, b);
                Some(sums[0].moments())
            }
            _ => None,
        }
    }

    /// Moments with row i counted `counts[i]` times, or once each.
    fn moments(&self, counts: Option<&[u32]>) -> Moments {
        match self {
            Source::Replicates(_) => unreachable!("replicates come as moments, not rows"),
            Source::Listwise(rows, _) => rows.moments(counts),
            Source::Gappy((columns, w), how, _) => {
                let v: Option<Vec<f64>> = match counts {
                    None => w.clone(),
                    Some(c) => Some((0..c.len()).map(|i| c[i] as f64 * w.as_ref().map_or(1.0, |w| w[i])).collect()),
                };
                match how {
                    Missing::Em => moments::em(columns, v.as_deref()),
                    _ => moments::pairwise(columns, v.as_deref()),
                }
            }
        }
    }

    /// The moments are not those of the complete rows alone.
    pub fn is_pairwise(&self) -> bool {
        matches!(self, Source::Gappy(..))
    }
}

/// Everything a fit needs to know about its variables.
pub struct Model<'a> {
    pub outcome: &'a Outcome,
    pub specs: &'a [DriverSpec],
    pub opts: &'a Options,
}

impl Model<'_> {
    fn names(&self) -> Vec<&str> {
        self.specs.iter().map(|d| d.column.as_str()).collect()
    }

    /// Step one on any moments: what the bootstrap calls per resample.
    pub fn prepare(&self, m: Moments, pairwise: bool) -> Result<Prepared, ModelError> {
        prepare::prepare(m, pairwise, self.opts.non_pd, &self.names(), &self.outcome.column)
    }
}

impl DriverTable {
    /// Runs the methods in `opts` on the survey's responses for `outcome`: the complete
    /// rows `data` of the rows `keep` selects (or all) and, for complete rows, perhaps their
    /// replicates' moments (a caller that summed every group's in one pass).
    pub fn fit_rows(
        survey: &Survey,
        responses: &Responses,
        outcome: &Outcome,
        keep: Option<&[bool]>,
        data: &ModelData,
        replicates: Option<Vec<Moments>>,
        opts: &Options,
    ) -> Result<DriverTable, ModelError> {
        let gappy =
            (opts.missing != Missing::Listwise).then(|| (responses.model_columns(outcome, keep), responses.keys(keep)));
        let gappy = gappy.as_ref().map(|(columns, keys)| (columns, keys.as_slice()));
        Self::fit_with(outcome, &survey.drivers, data, gappy, replicates, opts)
    }

    /// The engine proper, on complete rows (and, for `--missing pairwise` or `em`, the
    /// columns with their gaps: drivers then the outcome, and weights, with the rows'
    /// keys), both oriented.
    pub fn fit_data(
        outcome: &Outcome,
        specs: &[DriverSpec],
        data: &ModelData,
        pairwise: Option<(&GappyColumns, &[u32])>,
        opts: &Options,
    ) -> Result<DriverTable, ModelError> {
        Self::fit_with(outcome, specs, data, pairwise, None, opts)
    }

    /// [`DriverTable::fit_data`], with the complete rows' replicates when already made.
    fn fit_with(
        outcome: &Outcome,
        specs: &[DriverSpec],
        data: &ModelData,
        pairwise: Option<(&GappyColumns, &[u32])>,
        replicates: Option<Vec<Moments>>,
        opts: &Options,
    ) -> Result<DriverTable, ModelError> {
        let model = Model { outcome, specs, opts };
        let source = match pairwise {
            Some((columns, keys)) => Source::Gappy(columns, opts.missing, keys),
            None => Source::Listwise(Rows::new(data), &data.keys),
        };
        let prep = model.prepare(source.moments(None), source.is_pairwise())?;
        // Spearman and the logits need the complete rows themselves, which pairwise
        // deletion may leave too few of.
        let rows = (data.n_used >= specs.len() + 2).then_some(data);
        let est = estimate::estimate(&prep, outcome, rows, source.is_pairwise(), opts);
        let counts = Counts { n_used: data.n_used, n_dropped: data.n_dropped, weighted: data.w.is_some(), rows: true };
        let mut table = assemble(&model, &prep, &est, &counts);
        if opts.bootstrap > 0 {
            match replicates.filter(|_| !source.is_pairwise()) {
                Some(r) => table.bootstrap(&model, &Source::Replicates(r), &est),
                None => table.bootstrap(&model, &source, &est),
            }
        }
        Ok(table)
    }

    /// The engine on moments alone (`keydriver moments`, or a warehouse's sums): every
    /// method that needs only them. Spearman correlations and the logits need the rows and
    /// are skipped with a note; standard errors are model-based. With the moments of
    /// Poisson bootstrap `replicates`, the intervals come from them.
    pub fn fit_moments(
        outcome: &Outcome,
        specs: &[DriverSpec],
        moments: Moments,
        replicates: Vec<Moments>,
        n_dropped: usize,
        weighted: bool,
        opts: &Options,
    ) -> Result<DriverTable, ModelError> {
        let opts = &Options { bootstrap: replicates.len(), ..opts.clone() };
        let model = Model { outcome, specs, opts };
        let counts = Counts { n_used: moments.n, n_dropped, weighted, rows: false };
        let prep = model.prepare(moments, false)?;
        let est = estimate::estimate(&prep, outcome, None, false, opts);
        let mut table = assemble(&model, &prep, &est, &counts);
        if !replicates.is_empty() {
            table.method_notes.push(Note::Replicates { count: replicates.len() });
            table.bootstrap(&model, &Source::Replicates(replicates), &est);
        }
        Ok(table)
    }

    /// Bootstrap intervals for the ranking statistic (Shapley, or relative weights when
    /// ranked by them or run alone), or a note saying why there are none.
    fn bootstrap(&mut self, model: &Model, source: &Source, est: &Estimates) {
        let ranked_by = match (self.rank_by, &est.shapley, &est.relative_weights) {
            (RankBy::RelativeWeight, _, Some(_)) | (_, None, Some(_)) => RankBy::RelativeWeight,
            _ => RankBy::Shapley,
        };
        match bootstrap::run(model, source, est, ranked_by) {
            Ok(u) => self.attach(u),
            Err(why) => self.method_notes.push(why),
        }
    }

    /// Copies the bootstrap's per-driver results onto the rows and keeps the rest.
    fn attach(&mut self, mut u: Uncertainty) {
        for d in &mut self.drivers {
            let j = u.index(&d.name);
            let b = &u.drivers[j];
            (d.ci_low, d.ci_high) = split(b.shapley);
            (d.share_ci_low, d.share_ci_high) = split(b.share);
            (d.relative_weight_ci_low, d.relative_weight_ci_high) = split(b.relative_weight);
            d.p_rank1 = Some(b.p_rank1);
            d.p_top3 = Some(b.p_top3);
            d.rank_ci = Some(b.rank_ci);
            d.tie_group = Some(b.letters.clone());
        }
        self.method_notes.append(&mut u.notes);
        self.uncertainty = Some(u);
    }
}
