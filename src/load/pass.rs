//! The loader's pass over one file, a batch of rows at a time: each batch is checked
//! against the schema as it is read and kept only in compact form (waves and segments as
//! codes into their labels, ids as digests, ratings and answers that are whole numbers as
//! one byte each), so no file is ever held whole as text: ten million respondents cost
//! tens of bytes each, not the hundreds a parsed CSV takes. Batches are parsed and checked
//! several at a time and merged in file order, so the result and the first error reported
//! do not depend on the thread count.

use std::collections::HashMap;
use std::path::Path;

use polars::prelude::*;
use rayon::prelude::*;

use super::batches::IN_FLIGHT;
use super::batches::{Batches, Pending};
use super::columns::{gather, Columns, Numbers, BLANK};
use super::ids::{self, IdIndex, Repeats};
use super::sheets::Labels;
use super::sniff::Dialect;
use super::table::Table;
use super::values::{outcome_values, rating_values, wave_from_dates, weight_cells};
use super::{code_labels, outcome_key, WEIGHT};
use crate::error::{Error, Result};
use crate::schema::outcome::{Outcome, OutcomeKind};
use crate::schema::settings::Survey;
use crate::schema::waves;
use crate::stats::replicates;

/// A row with no partner in the other file.
const UNMATCHED: u32 = u32::MAX;

/// What a file holds for the survey.
pub(super) struct Plan<'a> {
    pub survey: &'a Survey,
    /// The ratings file: waves, segments, drivers, the weight and each row's key.
    pub ratings: bool,
    /// The outcomes read from this file.
    pub outcomes: Vec<&'a Outcome>,
    /// How slash dates in the wave column read, when settled over the whole file first.
    pub day_first: Option<bool>,
}

/// A wave or segment column's codes into its labels, in order of first appearance in the
/// file.
#[derive(Default)]
struct Levels {
    index: HashMap<String, u32>,
    names: Vec<String>,
    codes: Vec<u32>,
}

impl Levels {
    /// Appends a batch's codes into its own labels.
    fn extend(&mut self, codes: &UInt32Chunked, names: Vec<String>) {
        let global: Vec<u32> = names
            .into_iter()
            .map(|name| {
                let next = self.names.len() as u32;
                *self.index.entry(name.clone()).or_insert_with(|| {
                    self.names.push(name);
                    next
                })
            })
            .collect();
        self.codes.extend(codes.iter().map(|c| c.map_or(BLANK, |c| global[c as usize])));
    }
}

/// An outcome's answers: numbers as they are checked, or a two-answer outcome's text,
/// checked once the file is read (which answer is the negative one is settled by the
/// whole column).
enum Answers {
    Numbers(Numbers),
    Text(StringChunked),
}

/// A batch's answers to one outcome (a two-answer outcome's as text).
enum BatchAnswers {
    Numbers(Float64Chunked),
    Text(StringChunked),
}

/// One batch, checked.
pub(super) struct Part {
    table: Table,
    ids: Option<(StringChunked, Vec<u128>)>,
    by: Vec<(UInt32Chunked, Vec<String>)>,
    drivers: Vec<Float64Chunked>,
    weight: Option<Vec<f64>>,
    outcomes: Vec<BatchAnswers>,
    driver_coded: usize,
    outcome_coded: Vec<usize>,
}

impl Plan<'_> {
    /// Checks one batch.
    pub fn check(&self, t: Table) -> Result<Part> {
        let survey = self.survey;
        let mut by = Vec::new();
        let mut drivers = Vec::new();
        let mut weight = None;
        let mut driver_coded = 0;
        if self.ratings {
            if let Some(wave) = &survey.wave {
                let labels = match survey.wave_period {
                    Some(kind) => {
                        let dates = wave_from_dates(&t, wave, t.strings(wave, "wave")?, kind, self.day_first)?;
                        dates.into_iter().collect::<StringChunked>()
                    }
                    None => t.text(wave, "wave")?,
                };
                by.push(code_labels(wave, &labels));
            }
            for name in &survey.segments {
                by.push(code_labels(name, &t.text(name, "segment")?));
            }
            // The first bad driver in survey order is the one reported.
            let checked: Vec<Result<(Float64Chunked, usize)>> = survey
                .drivers
                .par_iter()
                .map(|d| {
                    let mut n = 0;
                    Ok((rating_values(&t, d, survey, &mut n)?, n))
                })
                .collect();
            for d in checked {
                let (values, n) = d?;
                drivers.push(values);
                driver_coded += n;
            }
            weight = survey.weight.as_ref().map(|w| weight_cells(&t, w)).transpose()?;
        }
        let mut outcomes = Vec::new();
        let mut outcome_coded = Vec::new();
        for o in &self.outcomes {
            let mut n = 0;
            outcomes.push(match o.kind {
                OutcomeKind::Binary => BatchAnswers::Text(t.text(&o.column, "outcome")?),
                _ => BatchAnswers::Numbers(outcome_values(&t, o, &mut n)?),
            });
            outcome_coded.push(n);
        }
        let ids = match &survey.id {
            Some(id) => {
                let text = t.text(id, "respondent id")?;
                let digests = ids::digests(&t, id, &text)?;
                Some((text, digests))
            }
            None => None,
        };
        Ok(Part { table: t, ids, by, drivers, weight, outcomes, driver_coded, outcome_coded })
    }
}

/// One file, read and checked: what the loader keeps of it.
pub(super) struct Read {
    pub path: std::path::PathBuf,
    pub rows: usize,
    pub dialect: Option<Dialect>,
    pub labels: Labels,
    /// The ids' index (row by digest), when the survey has ids and this file is read
    /// first (the other joins to it) or alone.
    pub index: Option<IdIndex>,
    /// When this file is joined to one read before it: each row's partner there.
    join: Option<Join>,
    keys: Vec<u32>,
    by: Vec<Levels>,
    drivers: Vec<Numbers>,
    weight: Numbers,
    outcomes: Vec<Answers>,
    /// Ratings that were a missing code, now missing.
    pub driver_coded: usize,
    /// Per outcome of the plan, answers that were one of its missing codes.
    pub outcome_coded: Vec<usize>,
}

/// A file's ids joined to a file read before it, as they are read. Its repeats are found
/// without an index of its own: a matched id is a repeat when its partner row was already
/// claimed, and only the ids without a partner (usually few) are indexed. Ten million ids
/// then cost 80 MB (a partner and a claim a row) rather than 250 MB more.
struct Join {
    /// Each row's partner row in the other file, or [`UNMATCHED`].
    partners: Vec<u32>,
    /// Each row of the other file: the first row here that holds its id, or [`UNMATCHED`].
    claims: Vec<u32>,
    /// The ids without a partner, and the row here of each.
    strays: IdIndex,
    stray_rows: Vec<u32>,
}

impl Join {
    fn new(other: &IdIndex) -> Join {
        Join {
            partners: Vec::new(),
            claims: vec![UNMATCHED; other.len()],
            strays: IdIndex::default(),
            stray_rows: Vec::new(),
        }
    }

    /// Row `row`'s id digest `d`; the earlier row holding the same id, if any.
    fn see(&mut self, d: u128, row: usize, other: &IdIndex) -> Option<usize> {
        match other.get(d) {
            Some(p) => {
                self.partners.push(p as u32);
                let claim = &mut self.claims[p];
                if *claim == UNMATCHED {
                    *claim = row as u32;
                    None
                } else {
                    Some(*claim as usize)
                }
            }
            None => {
                self.partners.push(UNMATCHED);
                let earlier = self.strays.push(d).map(|s| self.stray_rows[s] as usize);
                self.stray_rows.push(row as u32);
                earlier
            }
        }
    }
}

impl Read {
    /// Reads file `path` as `plan` says, from its first batch (already checked, so that the
    /// ratings' first errors come before the outcome file's) and about how many rows the
    /// file holds, then the rest; `partner` is the other file's index, to join on. What is
    /// kept is reserved at that many rows: a `Vec` that doubles as it grows holds up to
    /// twice its rows, and three times while it moves.
    pub fn file(
        path: &Path,
        (head, rows): (Part, usize),
        rest: impl Iterator<Item = Result<Pending>>,
        plan: &Plan,
        partner: Option<&IdIndex>,
    ) -> Result<Read> {
        let survey = plan.survey;
        let mut batches = rest.peekable();
        let mut read = Read {
            path: path.to_path_buf(),
            rows: 0,
            dialect: None,
            labels: Labels::default(),
            index: survey.id.as_ref().filter(|_| partner.is_none()).map(|_| IdIndex::default()),
            join: partner.map(Join::new),
            keys: Vec::new(),
            by: Vec::new(),
            drivers: Vec::new(),
            weight: Numbers::default(),
            outcomes: Vec::new(),
            driver_coded: 0,
            outcome_coded: vec![0; plan.outcomes.len()],
        };
        let mut repeats = Repeats::default();
        read.merge(head, plan, partner, &mut repeats);
        read.reserve(rows.saturating_sub(read.rows), plan);
        while batches.peek().is_some() {
            let pending: Vec<Pending> = batches.by_ref().take(IN_FLIGHT).collect::<Result<_>>()?;
            let parts: Vec<Result<Part>> = pending.into_par_iter().map(|p| plan.check(p.table()?)).collect();
            for part in parts {
                read.merge(part?, plan, partner, &mut repeats);
            }
        }
        if read.rows == 0 {
            return Err(Error::BadFile { file: read.path, reason: "has a header but no data rows".into() });
        }
        if let Some(id) = &survey.id {
            repeats.check(&read.path, id)?;
        }
        if let Some(w) = &survey.weight {
            if plan.ratings && (0..read.weight.len()).map(|i| read.weight.value(i)).sum::<f64>() <= 0.0 {
                return Err(Error::BadColumn {
                    file: read.path.clone(),
                    column: w.clone(),
                    reason: "weights sum to zero".into(),
                });
            }
        }
        // Two-answer outcomes, now that the whole column is known.
        for ((o, answers), coded) in plan.outcomes.iter().zip(&mut read.outcomes).zip(&mut read.outcome_coded) {
            if let Answers::Text(text) = answers {
                let df = DataFrame::new(
                    text.len(),
                    vec![std::mem::take(text).with_name(o.column.as_str().into()).into_column()],
                )
                .map_err(|e| Error::BadFile { file: read.path.clone(), reason: e.to_string() })?;
                let table =
                    Table { path: read.path.clone(), df, dialect: None, labels: Labels::default(), first_row: 0 };
                let values = outcome_values(&table, o, coded)?;
                let mut numbers = Numbers::default();
                numbers.extend(|| values.iter());
                *answers = Answers::Numbers(numbers);
            }
        }
        Ok(read)
    }

    /// Room for `more` rows in every column kept.
    fn reserve(&mut self, more: usize, plan: &Plan) {
        let Read { index, join, keys, by, drivers, weight, outcomes, .. } = self;
        if let Some(index) = index {
            index.reserve(more);
        }
        if let Some(join) = join {
            join.partners.reserve_exact(more);
        }
        if plan.ratings {
            keys.reserve_exact(more);
        }
        by.iter_mut().for_each(|l| l.codes.reserve_exact(more));
        drivers.iter_mut().chain(std::iter::once(weight).filter(|w| w.len() > 0)).for_each(|n| n.reserve(more));
        for answers in outcomes {
            if let Answers::Numbers(n) = answers {
                n.reserve(more);
            }
        }
    }

    fn merge(&mut self, part: Part, plan: &Plan, partner: Option<&IdIndex>, repeats: &mut Repeats) {
        let h = part.table.height();
        if self.rows == 0 {
            self.dialect = part.table.dialect.clone();
            self.labels = part.table.labels;
            self.by = part.by.iter().map(|_| Levels::default()).collect();
            self.drivers = part.drivers.iter().map(|_| Numbers::default()).collect();
            self.outcomes = part
                .outcomes
                .iter()
                .map(|a| match a {
                    BatchAnswers::Numbers(_) => Answers::Numbers(Numbers::default()),
                    BatchAnswers::Text(_) => Answers::Text(StringChunked::default()),
                })
                .collect();
        }
        match &part.ids {
            Some((text, digests)) => {
                for (i, &d) in digests.iter().enumerate() {
                    let row = self.rows + i;
                    let earlier = match (&mut self.join, &mut self.index, partner) {
                        (Some(join), _, Some(other)) => join.see(d, row, other),
                        (_, Some(index), _) => index.push(d),
                        _ => None,
                    };
                    if let Some(earlier) = earlier {
                        repeats.see(text.get(i).unwrap_or_default(), earlier, row);
                    }
                }
                if plan.ratings {
                    self.keys.extend(digests.iter().map(|&d| replicates::key_of(d) as u32));
                }
            }
            None if plan.ratings => self.keys.extend(replicates::row_keys(self.rows..self.rows + h)),
            None => {}
        }
        for (levels, (codes, names)) in self.by.iter_mut().zip(part.by) {
            levels.extend(&codes, names);
        }
        for (numbers, values) in self.drivers.iter_mut().zip(&part.drivers) {
            numbers.extend(|| values.iter());
        }
        if let Some(w) = &part.weight {
            self.weight.extend(|| w.iter().map(|&w| Some(w)));
        }
        for (answers, values) in self.outcomes.iter_mut().zip(part.outcomes) {
            match (answers, values) {
                (Answers::Numbers(n), BatchAnswers::Numbers(values)) => n.extend(|| values.iter()),
                (Answers::Text(all), BatchAnswers::Text(text)) => {
                    all.append(&text).expect("text columns append");
                }
                _ => unreachable!("a column is read alike in every batch"),
            }
        }
        for (total, n) in self.outcome_coded.iter_mut().zip(&part.outcome_coded) {
            *total += n;
        }
        self.driver_coded += part.driver_coded;
        self.rows += h;
    }

    /// The rows of this file that have a partner in the other, and those partners' rows
    /// (the join's working space goes with them).
    pub fn matched(&mut self) -> Option<(Vec<u32>, Vec<u32>)> {
        let partners = self.join.take()?.partners;
        Some(partners.iter().enumerate().filter(|(_, &p)| p != UNMATCHED).map(|(i, &p)| (i as u32, p)).unzip())
    }

    /// Moves this file's columns into `into`, of rows `rows` (all when `None`), each column
    /// dropped once gathered: the file is not held twice.
    pub fn columns_into(&mut self, plan: &Plan, rows: Option<&[u32]>, into: &mut Columns) {
        let survey = plan.survey;
        let pick = |n: Numbers| match rows {
            None => n,
            Some(r) => n.take(r),
        };
        let pick_codes = |c: Vec<u32>| match rows {
            None => c,
            Some(r) => gather(&c, r),
        };
        if plan.ratings {
            let names = survey.wave.iter().chain(&survey.segments);
            for (name, levels) in names.zip(&mut self.by) {
                into.codes.insert(name.clone(), pick_codes(std::mem::take(&mut levels.codes)));
            }
            for (d, n) in survey.drivers.iter().zip(&mut self.drivers) {
                into.numbers.insert(d.column.clone(), pick(std::mem::take(n)));
            }
            if survey.weight.is_some() {
                into.numbers.insert(WEIGHT.into(), pick(std::mem::take(&mut self.weight)));
            }
            into.keys = pick_codes(std::mem::take(&mut self.keys));
            into.height = into.keys.len();
        }
        for (o, answers) in plan.outcomes.iter().zip(&mut self.outcomes) {
            if let Answers::Numbers(n) = answers {
                into.numbers.insert(outcome_key(o), pick(std::mem::take(n)));
            }
        }
    }

    /// Each wave and segment column's labels, in order of first appearance.
    pub fn levels(&self, survey: &Survey) -> Vec<(String, Vec<String>)> {
        let names = survey.wave.iter().chain(&survey.segments);
        names.zip(&self.by).map(|(name, levels)| (name.clone(), levels.names.clone())).collect()
    }
}

/// Whether the wave column's slash dates are day-first, from every value (a first pass
/// over that column alone): one batch's dates may not settle it, and every batch must
/// read them alike.
pub(crate) fn slash_order(survey: &Survey, wave: &str) -> Result<bool> {
    let path = survey.ratings_file()?;
    let mut order = waves::SlashOrder::default();
    for pending in Batches::open(path, &survey.csv, Some(&[wave]), &[])? {
        pending?.table()?.strings(wave, "wave")?.iter().flatten().for_each(|v| order.see(v));
    }
    order.day_first().map_err(|reason| Error::BadColumn { file: path.to_path_buf(), column: wave.to_string(), reason })
}
