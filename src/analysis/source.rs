//! What the one pipeline asks of its data: the rows held in memory ([`Rows`]) or a
//! moments file's sums ([`Sums`]). Only fitting a group differs between them; which groups
//! there are, how each is seeded, what is compared and every note are the pipeline's, the
//! same for both ([`super::groups`]).

use std::collections::HashMap;

use crate::analysis::change::{self, ChangeFailure, Changes};
use crate::analysis::group::{Group, Intervals, NoRanking};
use crate::engine::{DriverTable, Missing, Options};
use crate::error::ModelError;
use crate::load::{Responses, MISSING_LABEL};
use crate::schema::outcome::Outcome;
use crate::schema::settings::Survey;
use crate::stats::moments::{self, CellSums, Moments};
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
    survey: &'a Survey,
    responses: &'a Responses,
    outcome: &'a Outcome,
    /// Every group's bootstrap replicates, from one pass over the rows (made before the
    /// groups are fitted side by side).
    replicates: Option<Cells>,
}

impl<'a> Rows<'a> {
    /// The rows of `outcome`'s model; with a bootstrap in `opts`, every group's replicates
    /// summed at once.
    pub fn new(survey: &'a Survey, responses: &'a Responses, outcome: &'a Outcome, opts: &Options) -> Rows<'a> {
        Rows { survey, responses, outcome, replicates: Cells::sum(survey, responses, outcome, opts) }
    }

    /// The replicates' moments of `group`'s complete rows, when they come from the one pass
    /// (complete rows, a bootstrap); `None`: the engine makes its own.
    fn replicates(&self, group: Group, opts: &Options) -> Option<Vec<Moments>> {
        let cells = self.replicates.as_ref().filter(|c| (c.b, c.seed) == (opts.bootstrap, opts.seed))?;
        cells.of(self.responses, group)
    }
}

/// The Poisson replicates' sums of every cell: each combination of wave and segment
/// levels among the complete rows. A group (everyone, a wave, a segment level) is a sum
/// of cells, and the rest of the sample beside a level is everyone minus the level, so
/// every group's replicates come from one pass over the rows however many groups there
/// are.
struct Cells {
    b: usize,
    seed: u64,
    /// The breakdown columns (the wave, then the segments).
    columns: Vec<String>,
    /// Each cell's levels, column by column, and its sums.
    levels: Vec<Vec<u32>>,
    sums: Vec<CellSums>,
}

/// Cells beyond which groups are summed one by one: each cell holds replicates × sums.
const MAX_CELLS: usize = 512;

impl Cells {
    fn sum(survey: &Survey, responses: &Responses, outcome: &Outcome, opts: &Options) -> Option<Cells> {
        if opts.bootstrap == 0 || opts.missing != Missing::Listwise {
            return None;
        }
        let columns: Vec<String> = survey.wave.iter().chain(&survey.segments).cloned().collect();
        let per_column: Vec<Vec<u32>> = columns.iter().map(|c| responses.complete_levels(outcome, c)).collect();
        let data = responses.model_data(outcome, None);
        let mut index: HashMap<Vec<u32>, u32> = HashMap::new();
        let mut levels = Vec::new();
        let cells: Vec<u32> = (0..data.n_used)
            .map(|i| {
                let key: Vec<u32> = per_column.iter().map(|c| c[i]).collect();
                *index.entry(key.clone()).or_insert_with(|| {
                    levels.push(key);
                    levels.len() as u32 - 1
                })
            })
            .collect();
        if levels.len() > MAX_CELLS || data.n_used == 0 {
            return None;
        }
        let rows = moments::Rows::new(&data);
        let sums = rows.replicate_sums(&data.keys, &cells, levels.len(), opts.seed, opts.bootstrap);
        Some(Cells { b: opts.bootstrap, seed: opts.seed, columns, levels, sums })
    }

    /// The sums of the cells `keep` picks.
    fn total(&self, keep: impl Fn(&[u32]) -> bool) -> Option<CellSums> {
        let mut picked = self.levels.iter().zip(&self.sums).filter(|(l, _)| keep(l)).map(|(_, s)| s);
        let mut total = picked.next()?.clone();
        for s in picked {
            total += s;
        }
        Some(total)
    }

    fn of(&self, responses: &Responses, group: Group) -> Option<Vec<Moments>> {
        let level = |column: &str, label: &str| {
            let c = self.columns.iter().position(|x| x == column)?;
            Some((c, responses.level_of(column, label)?))
        };
        let sums = match group {
            Group::All => self.total(|_| true)?,
            Group::Wave { column, label: level_label } | Group::Segment { column, level: level_label } => {
                let (c, l) = level(column, level_label)?;
                self.total(|cell| cell[c] == l)?
            }
            Group::Rest { column, level: level_label } => {
                let (c, l) = level(column, level_label)?;
                let all = self.total(|_| true)?;
                match self.total(|cell| cell[c] == l) {
                    Some(part) => &all - &part,
                    None => all,
                }
            }
        };
        Some(sums.moments())
    }
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
        let replicates = self.replicates(group, opts);
        DriverTable::fit_rows(self.survey, self.responses, self.outcome, keep.as_deref(), &data, replicates, opts)
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
        self.fit_sums(g, &replicates, opts).map_err(NoRanking::Model)
    }

    fn explain(&self, _: &str, _: &str, _: &str, _: &Options) -> Result<Changes, ChangeFailure> {
        Err(ChangeFailure::NeedsRows)
    }

    fn intervals(&self, _: &Options) -> Intervals {
        Intervals::Replicates(self.file.replicates(self.file.all()).len())
    }
}
