//! One pass over the rows to sufficient statistics, a batch at a time: memory stays that
//! of one batch (and of the outcome file, when the outcome is joined from one) however
//! many rows there are. Every value passes the loader's own checks, so a bad cell stops
//! the pass with the same one-line error, naming the file, column and row.
//!
//! Sums are kept per cell, one cell per combination of wave and segment levels, and a
//! batch's complete rows are added to their cell as one matrix product (`XᵀWX`); each
//! group's sums (all respondents, a wave, a segment level) are then sums of its cells,
//! in a fixed order, so the result does not depend on the thread count.

use std::collections::{BTreeMap, HashMap};

use ndarray::{Array1, Array2};

use rayon::prelude::*;

use super::batches::{Batches, Pending};
use super::table::Table;
use super::{outcome_values, rating_values, unique_ids, wave_from_dates, weight_cells, MISSING_LABEL};
use crate::error::{Error, Result};
use crate::outcome::Outcome;
use crate::spec::Survey;
use crate::sums::{GroupSums, SumsFile};
use crate::waves;

/// Batches parsed and summed at once: enough to keep two cores busy, few enough to keep
/// memory that of a handful of batches.
const IN_FLIGHT: usize = 4;

/// The sums of `outcome` and the survey's drivers, per group, in one pass over the rows.
pub fn sums(survey: &Survey, outcome: &Outcome) -> Result<SumsFile> {
    let numeric: Vec<&str> = survey
        .drivers
        .iter()
        .map(|d| d.column.as_str())
        .chain([outcome.column.as_str()])
        .chain(survey.weight.as_deref())
        .collect();
    let join = Join::read(survey, outcome, &numeric)?;
    let by: Vec<&str> = survey.wave.iter().chain(&survey.segments).map(String::as_str).collect();
    let mut columns: Vec<&str> = by.clone();
    columns.extend(survey.drivers.iter().map(|d| d.column.as_str()));
    columns.extend(survey.weight.as_deref());
    columns.extend(survey.id.as_deref().filter(|_| join.is_some()));
    if join.as_ref().is_none_or(|j| j.answers.is_none()) {
        columns.push(&outcome.column);
    }
    let mut cells = Cells::new(numeric.len() - survey.weight.iter().count(), by.len());
    let mut matched = join.as_ref().map(|j| vec![false; j.rows.len()]);
    let mut rows_seen = 0;
    let mut batches = Batches::open(&survey.ratings, &survey.csv, Some(&columns), &numeric)?;
    loop {
        // Cut a few batches in order, parse and sum them in parallel, then merge their
        // sums in order: the same result whatever the thread count.
        let pending: Vec<Pending> = batches.by_ref().take(IN_FLIGHT).collect::<Result<_>>()?;
        if pending.is_empty() {
            break;
        }
        let parts: Vec<Result<Batch>> = pending
            .into_par_iter()
            .map(|p| Batch::read(p.table()?, survey, outcome, join.as_ref(), &by, cells.k))
            .collect();
        for part in parts {
            let part = part?;
            if let (Some(matched), Some(partners)) = (&mut matched, &part.partners) {
                for (i, r) in partners.iter().enumerate() {
                    if let Some(r) = *r {
                        if std::mem::replace(&mut matched[r], true) {
                            let id = survey.id.as_deref().expect("joined on id");
                            return Err(part.table.value_error(
                                id,
                                i,
                                "respondent id appears a second time: each respondent must appear once".into(),
                            ));
                        }
                    }
                }
            }
            rows_seen += part.table.height();
            cells.merge(part.cells);
        }
    }
    if rows_seen == 0 {
        return Err(Error::BadFile { file: survey.ratings.clone(), reason: "has a header but no data rows".into() });
    }
    if let (Some(matched), Some(nps)) = (&matched, &survey.nps) {
        if !matched.contains(&true) {
            return Err(Error::Data(format!(
                "no respondent id appears in both {} and {}: check that --id names the same column in both",
                survey.ratings.display(),
                nps.display()
            )));
        }
    }
    if let Some(wave) = &survey.wave {
        let present: Vec<&str> = cells.labels[0].iter().map(String::as_str).filter(|l| *l != MISSING_LABEL).collect();
        waves::order(wave, &present).map_err(|reason| Error::BadColumn {
            file: survey.ratings.clone(),
            column: wave.clone(),
            reason,
        })?;
    }
    let variables = survey.drivers.iter().map(|d| d.column.clone()).chain([outcome.column.clone()]).collect();
    Ok(SumsFile::new(survey, variables, cells.groups(&by)))
}

/// The outcome file, held in memory and joined to each batch of ratings by respondent id.
struct Join {
    rows: HashMap<String, usize>,
    /// The outcome's answers, when the outcome file has the column.
    answers: Option<Vec<Option<f64>>>,
}

impl Join {
    fn read(survey: &Survey, outcome: &Outcome, numeric: &[&str]) -> Result<Option<Join>> {
        let (Some(path), Some(id)) = (&survey.nps, &survey.id) else { return Ok(None) };
        let table = Table::read(path, &survey.csv, numeric)?;
        let ids = unique_ids(&table, id)?;
        let answers = match table.df.column(&outcome.column) {
            Ok(_) => Some(outcome_values(&table, outcome, survey, &mut 0)?),
            Err(_) => None,
        };
        let rows = ids.into_iter().enumerate().map(|(i, id)| (id.expect("checked not blank"), i)).collect();
        Ok(Some(Join { rows, answers }))
    }

    /// The outcome file's row for each row of `t` (`None`: no match, left out).
    fn partners(&self, t: &Table, id: &str) -> Result<Vec<Option<usize>>> {
        let ids = t.strings(id, "respondent id")?;
        ids.into_iter()
            .enumerate()
            .map(|(i, v)| match v {
                None => Err(t.value_error(id, i, "respondent id is blank".into())),
                Some(v) => Ok(self.rows.get(&v).copied()),
            })
            .collect()
    }
}

/// One batch's rows, checked and summed.
struct Batch {
    table: Table,
    partners: Option<Vec<Option<usize>>>,
    cells: Cells,
}

impl Batch {
    fn read(t: Table, survey: &Survey, outcome: &Outcome, join: Option<&Join>, by: &[&str], k: usize) -> Result<Batch> {
        let partners = match (join, &survey.id) {
            (Some(j), Some(id)) => Some(j.partners(&t, id)?),
            _ => None,
        };
        let mut coded = 0;
        let mut values = survey
            .drivers
            .iter()
            .map(|d| rating_values(&t, &d.column, survey, &mut coded))
            .collect::<Result<Vec<_>>>()?;
        values.push(match (join.and_then(|j| j.answers.as_ref()), &partners) {
            (Some(a), Some(p)) => p.iter().map(|r| r.and_then(|r| a[r])).collect(),
            _ => outcome_values(&t, outcome, survey, &mut coded)?,
        });
        let weights = survey.weight.as_deref().map(|w| weight_cells(&t, w)).transpose()?;
        let mut labels = Vec::with_capacity(by.len());
        for (c, col) in by.iter().enumerate() {
            let role = if c == 0 && survey.wave.is_some() { "wave" } else { "segment" };
            let l = t.strings(col, role)?;
            labels.push(match (role, survey.wave_period) {
                ("wave", Some(kind)) => wave_from_dates(&t, col, l, kind)?,
                _ => l,
            });
        }
        let mut cells = Cells::new(k, by.len());
        cells.add(&labels, &values, weights.as_deref(), partners.as_deref());
        Ok(Batch { table: t, partners, cells })
    }
}

/// Running sums per cell (combination of wave and segment levels).
struct Cells {
    k: usize,
    /// Each breakdown column's labels, in order of first appearance.
    labels: Vec<Vec<String>>,
    lookup: Vec<HashMap<String, u32>>,
    cells: BTreeMap<Vec<u32>, Cell>,
}

struct Cell {
    rows: usize,
    n: usize,
    sw: f64,
    sw2: f64,
    s: Array1<f64>,
    ss: Array2<f64>,
}

impl Cells {
    fn new(k: usize, by: usize) -> Cells {
        Cells { k, labels: vec![Vec::new(); by], lookup: vec![HashMap::new(); by], cells: BTreeMap::new() }
    }

    /// Adds a batch: `values` per variable (drivers, then the outcome), `labels` per
    /// breakdown column, optional weights, and for a joined batch which rows matched.
    fn add(
        &mut self,
        labels: &[Vec<Option<String>>],
        values: &[Vec<Option<f64>>],
        weights: Option<&[f64]>,
        partners: Option<&[Option<usize>]>,
    ) {
        let n = values[0].len();
        let mut complete: BTreeMap<Vec<u32>, Vec<usize>> = BTreeMap::new();
        for i in 0..n {
            let w = weights.map_or(1.0, |w| w[i]);
            if partners.is_some_and(|p| p[i].is_none()) || w <= 0.0 {
                continue;
            }
            let key: Vec<u32> = labels
                .iter()
                .enumerate()
                .map(|(c, l)| self.intern(c, l[i].as_deref().unwrap_or(MISSING_LABEL)))
                .collect();
            self.cell(key.clone()).rows += 1;
            if values.iter().all(|v| v[i].is_some()) {
                complete.entry(key).or_default().push(i);
            }
        }
        for (key, rows) in complete {
            let cell = self.cells.get_mut(&key).expect("made above");
            let x = Array2::from_shape_fn((rows.len(), self.k), |(r, j)| values[j][rows[r]].expect("complete"));
            let w = Array1::from_iter(rows.iter().map(|&i| weights.map_or(1.0, |w| w[i])));
            let wx = &x * &w.view().insert_axis(ndarray::Axis(1));
            cell.ss += &wx.t().dot(&x);
            cell.s += &wx.sum_axis(ndarray::Axis(0));
            cell.sw += w.sum();
            cell.sw2 += w.dot(&w);
            cell.n += rows.len();
        }
    }

    /// The id of `label` in breakdown column `c`.
    fn intern(&mut self, c: usize, label: &str) -> u32 {
        if let Some(&id) = self.lookup[c].get(label) {
            return id;
        }
        let id = self.labels[c].len() as u32;
        self.labels[c].push(label.to_string());
        self.lookup[c].insert(label.to_string(), id);
        id
    }

    fn cell(&mut self, key: Vec<u32>) -> &mut Cell {
        let k = self.k;
        self.cells.entry(key).or_insert_with(|| Cell {
            rows: 0,
            n: 0,
            sw: 0.0,
            sw2: 0.0,
            s: Array1::zeros(k),
            ss: Array2::zeros((k, k)),
        })
    }

    /// Adds another batch's sums, its labels matched to these by name.
    fn merge(&mut self, other: Cells) {
        for (key, c) in other.cells {
            let key: Vec<u32> =
                key.iter().enumerate().map(|(col, &id)| self.intern(col, &other.labels[col][id as usize])).collect();
            let cell = self.cell(key);
            cell.rows += c.rows;
            cell.n += c.n;
            cell.sw += c.sw;
            cell.sw2 += c.sw2;
            cell.s += &c.s;
            cell.ss += &c.ss;
        }
    }

    /// Every group's sums: all respondents, then each breakdown column's levels in label
    /// order.
    fn groups(&self, by: &[&str]) -> Vec<GroupSums> {
        let total = |by: &str, group: &str, keep: &dyn Fn(&[u32]) -> bool| {
            let (mut rows, mut n, mut sw, mut sw2) = (0, 0, 0.0, 0.0);
            let mut s = Array1::zeros(self.k);
            let mut ss = Array2::zeros((self.k, self.k));
            for c in self.cells.iter().filter(|(key, _)| keep(key)).map(|(_, c)| c) {
                rows += c.rows;
                n += c.n;
                sw += c.sw;
                sw2 += c.sw2;
                s += &c.s;
                ss += &c.ss;
            }
            let upper = (0..self.k).flat_map(|j| (j..self.k).map(move |l| (j, l))).map(|(j, l)| ss[[j, l]]).collect();
            GroupSums { by: by.into(), group: group.into(), rows, n, sw, sw2, s: s.to_vec(), ss: upper }
        };
        let mut out = vec![total("all", "all", &|_| true)];
        for (c, col) in by.iter().enumerate() {
            let mut levels: Vec<(usize, &String)> = self.labels[c].iter().enumerate().collect();
            levels.sort_by(|a, b| a.1.cmp(b.1));
            for (id, label) in levels {
                out.push(total(col, label, &|key| key[c] == id as u32));
            }
        }
        out
    }
}
