//! What the one pipeline asks of its data: the rows held in memory ([`Rows`]) or a
//! moments file's sums ([`Sums`]). Only fitting a group differs between them; which groups
//! there are, how each is seeded, what is compared and every note are the pipeline's, the
//! same for both ([`super::groups`]).

use crate::analysis::change::{self, ChangeFailure, Changes};
use crate::analysis::group::{Group, Intervals, NoRanking};
use crate::engine::{DriverTable, Options};
use crate::error::ModelError;
use crate::load::{Responses, MISSING_LABEL};
use crate::schema::outcome::Outcome;
use crate::schema::settings::Survey;
use crate::warehouse::moments_file::{GroupSums, MomentsFile};

/// The data the pipeline runs on.
pub trait Source: Sync {
    /// The driver table of `group`, seeded by it, when it has at least `min_n` complete
    /// responses.
    fn fit(&self, group: Group, min_n: usize, opts: &Options) -> Result<DriverTable, NoRanking>;

    /// [`Source::fit`], except for the respondents without a value in a wave or segment
    /// column (its `(missing)` level): they get their headline but no ranking of their own.
    fn fit_level(&self, group: Group, min_n: usize, opts: &Options) -> Result<DriverTable, NoRanking> {
        match group {
            Group::Wave { label: level, .. } | Group::Segment { level, .. } if level == MISSING_LABEL => {
                Err(NoRanking::NoValue)
            }
            _ => self.fit(group, min_n, opts),
        }
    }

    /// Why the headline moved between waves `from` and `to` of `column`.
    fn explain(&self, column: &str, from: &str, to: &str, opts: &Options) -> Result<Changes, ChangeFailure>;

    fn intervals(&self, opts: &Options) -> Intervals;
}

/// The rows held in memory.
pub struct Rows<'a> {
    pub survey: &'a Survey,
    pub responses: &'a Responses,
    pub outcome: &'a Outcome,
}

impl Source for Rows<'_> {
    fn fit(&self, group: Group, min_n: usize, opts: &Options) -> Result<DriverTable, NoRanking> {
        let keep = match group {
            Group::All => None,
            Group::Wave { column, label: level } | Group::Segment { column, level } => {
                Some(self.responses.rows_with(column, level))
            }
            Group::Rest { column, level } => Some(self.responses.rows_with(column, level).iter().map(|k| !k).collect()),
        };
        let data = self.responses.model_data(self.outcome, keep.as_deref());
        if data.n_used < min_n {
            return Err(NoRanking::TooFew { n: data.n_used, min: min_n });
        }
        let opts = Options { seed: group.seed(opts.seed), ..opts.clone() };
        DriverTable::fit_rows(self.survey, self.responses, self.outcome, keep.as_deref(), &data, &opts)
            .map_err(NoRanking::Model)
    }

    fn explain(&self, column: &str, from: &str, to: &str, opts: &Options) -> Result<Changes, ChangeFailure> {
        change::explain(self.survey, self.responses, self.outcome, column, (from, to), opts)
    }

    fn intervals(&self, opts: &Options) -> Intervals {
        Intervals::Bootstrap(opts.bootstrap)
    }
}

/// A moments file: the rows stayed where they were summed.
pub struct Sums<'a> {
    pub survey: &'a Survey,
    pub file: &'a MomentsFile,
}

impl Sums<'_> {
    /// The table of sums `g`, with intervals from its `replicates`.
    fn fit_sums(&self, g: &GroupSums, replicates: &[&GroupSums], opts: &Options) -> Result<DriverTable, ModelError> {
        let o = self.survey.main_outcome();
        let replicates = replicates.iter().map(|r| r.moments(o.sign())).collect();
        let weighted = self.survey.weight.is_some();
        DriverTable::fit_moments(o, &self.survey.drivers, g.moments(o.sign()), replicates, g.rows - g.n, weighted, opts)
    }
}

impl Source for Sums<'_> {
    fn fit(&self, group: Group, min_n: usize, opts: &Options) -> Result<DriverTable, NoRanking> {
        let file = self.file;
        let all = file.all();
        // The rest of the sample: all respondents' sums minus the level's, replicate by
        // replicate.
        let (owned, replicates): (GroupSums, Vec<GroupSums>);
        let (g, replicates): (&GroupSums, Vec<&GroupSums>) = match group {
            Group::All => (all, file.replicates(all)),
            Group::Wave { column, label: level } | Group::Segment { column, level } => {
                let g = file.group(column, level).ok_or(NoRanking::TooFew { n: 0, min: min_n })?;
                (g, file.replicates(g))
            }
            Group::Rest { column, level } => {
                let part = file.group(column, level).ok_or(NoRanking::TooFew { n: 0, min: min_n })?;
                let parts = file.replicates(part);
                owned = all.minus(part);
                replicates = file
                    .replicates(all)
                    .iter()
                    .filter_map(|a| Some(a.minus(parts.iter().find(|p| p.replicate == a.replicate)?)))
                    .collect();
                (&owned, replicates.iter().collect())
            }
        };
        if g.n < min_n {
            return Err(NoRanking::TooFew { n: g.n, min: min_n });
        }
        let opts = Options { seed: group.seed(opts.seed), ..opts.clone() };
        self.fit_sums(g, &replicates, &opts).map_err(NoRanking::Model)
    }

    fn explain(&self, _: &str, _: &str, _: &str, _: &Options) -> Result<Changes, ChangeFailure> {
        Err(ChangeFailure::NeedsRows)
    }

    fn intervals(&self, _: &Options) -> Intervals {
        Intervals::Replicates(self.file.replicates(self.file.all()).len())
    }
}
