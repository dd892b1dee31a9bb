//! One pass over the rows to sufficient statistics, a batch at a time: memory stays that
//! of a few batches (and of the outcome file, when the outcome is joined from one) however
//! many rows there are. Every value passes the loader's own checks, so a bad cell stops
//! the pass with the same one-line error, naming the file, column and row.
//!
//! Sums are kept per cell, one cell per combination of wave and segment levels, and a
//! batch's complete rows are added to their cell as one matrix product (`XᵀWX`); each
//! group's sums (all respondents, a wave, a segment level) are then sums of its cells,
//! in a fixed order, so the result does not depend on the thread count.
//!
//! Poisson bootstrap replicates ([`crate::stats::replicates`]) are summed in the same pass:
//! every sum is linear in a row's draw, so a batch's replicates are its draws times its
//! rows' terms, the blocked product [`crate::stats::replicates::totals`] that the rows'
//! bootstrap uses too; the draws come from each respondent's id alone
//! ([`crate::stats::replicates::key`]), as the SQL route draws them.

use std::collections::{BTreeMap, HashMap};

use ndarray::{Array1, Array2};

use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::headline::scores::ScoreSums;
use crate::load::batches::{Batches, Pending, IN_FLIGHT};
use crate::load::ids::{self, IdIndex, Repeats};
use crate::load::table::Table;
use crate::load::{outcome_values, rating_values, slash_order, wave_from_dates, weight_cells, MISSING_LABEL};
use crate::schema::outcome::Outcome;
use crate::schema::settings::Survey;
use crate::schema::waves;
use crate::stats::replicates;
use crate::warehouse::moments_file::{GroupSums, MomentsFile};

/// The sums of `outcome` and the survey's drivers, per group, in one pass over the rows;
/// with `replicates` B > 0, also those of B Poisson bootstrap replicates.
pub fn sums(survey: &Survey, outcome: &Outcome, replicates: usize) -> Result<MomentsFile> {
    let path = survey.ratings_file()?;
    let numeric = crate::load::numeric_columns(survey, [outcome]);
    let join = Join::read(survey, outcome, &numeric)?;
    let by: Vec<&str> = survey.wave.iter().chain(&survey.segments).map(String::as_str).collect();
    let mut columns: Vec<&str> = by.clone();
    columns.extend(survey.drivers.iter().map(|d| d.column.as_str()));
    columns.extend(survey.weight.as_deref());
    columns.extend(survey.id.as_deref().filter(|_| join.is_some() || replicates > 0));
    if join.as_ref().is_none_or(|j| j.answers.is_none()) {
        columns.push(&outcome.column);
    }
    let draws = match (replicates, &survey.id) {
        (0, _) => None,
        (_, Some(_)) => Some(survey.seed),
        (_, None) => {
            return Err(Error::Usage(
                "--replicates draws each respondent's weights from its id: name the id column (--id)".into(),
            ))
        }
    };
    let day_first = match (&survey.wave, survey.wave_period) {
        (Some(wave), Some(_)) => Some(slash_order(survey, wave)?),
        _ => None,
    };
    let pass = Pass { survey, outcome, join: join.as_ref(), draws, by: &by, day_first };
    let mut cells = Cells::new(survey.drivers.len() + 1, by.len(), replicates);
    let mut matched = join.as_ref().map(|j| vec![false; j.index.len()]);
    // Replicates without a join: a respondent twice would be drawn twice alike.
    let mut seen_ids = (draws.is_some() && join.is_none()).then(IdIndex::default);
    let mut rows_seen = 0;
    let mut batches = Batches::open(path, &survey.csv, Some(&columns), &numeric)?;
    loop {
        // Cut a few batches in order, parse and sum them in parallel, then merge their
        // sums in order: the same result whatever the thread count.
        let pending: Vec<Pending> = batches.by_ref().take(IN_FLIGHT).collect::<Result<_>>()?;
        if pending.is_empty() {
            break;
        }
        let parts: Vec<Result<Batch>> =
            pending.into_par_iter().map(|p| Batch::read(p.table()?, &pass, &cells)).collect();
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
            if let (Some(seen), Some(digests)) = (&mut seen_ids, &part.digests) {
                if let Some(i) = digests.iter().position(|&d| seen.push(d).is_some()) {
                    let id = survey.id.as_deref().expect("replicates need the id");
                    return Err(part.table.value_error(
                        id,
                        i,
                        "respondent id appears a second time: each respondent must appear once".into(),
                    ));
                }
            }
            rows_seen += part.table.height();
            cells.merge(part.cells);
        }
    }
    if rows_seen == 0 {
        return Err(Error::BadFile { file: path.to_path_buf(), reason: "has a header but no data rows".into() });
    }
    if let (Some(matched), Some(nps)) = (&matched, &survey.nps) {
        if !matched.contains(&true) {
            return Err(Error::Data(format!(
                "no respondent id appears in both {} and {}: check that --id names the same column in both",
                path.display(),
                nps.display()
            )));
        }
    }
    if let Some(wave) = &survey.wave {
        let present: Vec<&str> = cells.labels[0].iter().map(String::as_str).filter(|l| *l != MISSING_LABEL).collect();
        waves::order(wave, &present).map_err(|reason| Error::BadColumn {
            file: path.to_path_buf(),
            column: wave.clone(),
            reason,
        })?;
    }
    Ok(MomentsFile::new(survey, crate::warehouse::moments_file::variables(survey, outcome), cells.groups(&by)))
}

/// What every batch of a pass is read with.
struct Pass<'a> {
    survey: &'a Survey,
    outcome: &'a Outcome,
    join: Option<&'a Join>,
    /// The replicates' seed, when they are drawn (each respondent's from its id).
    draws: Option<u64>,
    by: &'a [&'a str],
    /// How slash dates read, when waves are periods of dates.
    day_first: Option<bool>,
}

/// The outcome file's ids and answers, read a batch at a time and held compactly (each
/// id as its digest, each answer as one number), joined to each batch of ratings by id.
struct Join {
    index: IdIndex,
    /// The outcome's answers (NaN: none; answers are finite), when the outcome file has
    /// the column.
    answers: Option<Vec<f64>>,
}

impl Join {
    fn read(survey: &Survey, outcome: &Outcome, numeric: &[&str]) -> Result<Option<Join>> {
        let (Some(path), Some(id)) = (&survey.nps, &survey.id) else { return Ok(None) };
        let columns = [id.as_str(), outcome.column.as_str()];
        let mut batches = Batches::open(path, &survey.csv, Some(&columns), numeric)?;
        let mut join = Join { index: IdIndex::default(), answers: None };
        let mut repeats = Repeats::default();
        let mut batch = 0;
        loop {
            let pending: Vec<Pending> = batches.by_ref().take(IN_FLIGHT).collect::<Result<_>>()?;
            if pending.is_empty() {
                break;
            }
            type Part = (Table, polars::prelude::StringChunked, Vec<u128>, Option<Vec<f64>>);
            let parts: Vec<Result<Part>> = pending
                .into_par_iter()
                .map(|p| {
                    let t = p.table()?;
                    let ids = t.text(id, "respondent id")?;
                    let digests = ids::digests(&t, id, &ids)?;
                    let answers = match t.df.column(&outcome.column) {
                        Ok(_) => {
                            Some(outcome_values(&t, outcome, &mut 0)?.iter().map(|v| v.unwrap_or(f64::NAN)).collect())
                        }
                        Err(_) => None,
                    };
                    Ok((t, ids, digests, answers))
                })
                .collect();
            for part in parts {
                let (t, ids, digests, answers) = part?;
                for (i, d) in digests.into_iter().enumerate() {
                    if let Some(earlier) = join.index.push(d) {
                        repeats.see(ids.get(i).unwrap_or_default(), earlier, t.first_row + i);
                    }
                }
                // Every batch has the outcome's column or none does (a folder's files alike).
                match (answers, &mut join.answers) {
                    (Some(a), Some(all)) => all.extend(a),
                    (Some(a), None) if batch == 0 => join.answers = Some(a),
                    (None, None) => {}
                    _ => {
                        return Err(Error::BadColumn {
                            file: t.path.clone(),
                            column: outcome.column.clone(),
                            reason: "is in some of the outcome files but not in others".into(),
                        })
                    }
                }
                batch += 1;
            }
        }
        repeats.check(path, id)?;
        Ok(Some(join))
    }

    /// The outcome file's row for each of a batch's id digests (`None`: no match, left out).
    fn partners(&self, digests: &[u128]) -> Vec<Option<usize>> {
        digests.iter().map(|&d| self.index.get(d)).collect()
    }
}

/// One batch's rows, checked and summed.
struct Batch {
    table: Table,
    partners: Option<Vec<Option<usize>>>,
    /// Each row's id digest, when replicates are drawn from it.
    digests: Option<Vec<u128>>,
    cells: Cells,
}

impl Batch {
    fn read(t: Table, pass: &Pass, like: &Cells) -> Result<Batch> {
        let Pass { survey, outcome, join, draws, by, day_first } = *pass;
        // Each row's id digest, when the outcome is joined on it or replicates drawn from it.
        let digests = match &survey.id {
            Some(id) if join.is_some() || draws.is_some() => Some(ids::digests(&t, id, &t.text(id, "respondent id")?)?),
            _ => None,
        };
        let partners = join.zip(digests.as_deref()).map(|(j, d)| j.partners(d));
        let mut coded = 0;
        let mut values = survey
            .drivers
            .iter()
            .map(|d| Ok(rating_values(&t, d, survey, &mut coded)?.iter().collect()))
            .collect::<Result<Vec<_>>>()?;
        values.push(match (join.and_then(|j| j.answers.as_ref()), &partners) {
            (Some(a), Some(p)) => p.iter().map(|r| r.map(|r| a[r]).filter(|v| !v.is_nan())).collect(),
            _ => outcome_values(&t, outcome, &mut coded)?.iter().collect(),
        });
        let weights = survey.weight.as_deref().map(|w| weight_cells(&t, w)).transpose()?;
        let mut texts: Vec<polars::prelude::StringChunked> = Vec::with_capacity(by.len());
        for (c, col) in by.iter().enumerate() {
            let role = if c == 0 && survey.wave.is_some() { "wave" } else { "segment" };
            texts.push(match (role, survey.wave_period) {
                ("wave", Some(kind)) => {
                    wave_from_dates(&t, col, t.strings(col, role)?, kind, day_first)?.into_iter().collect()
                }
                _ => t.text(col, role)?,
            });
        }
        let labels: Vec<Vec<Option<&str>>> = texts.iter().map(|l| l.iter().collect()).collect();
        let mut cells = Cells::new(like.k, by.len(), like.replicates);
        let draws = digests.as_deref().zip(draws);
        cells.add(outcome, &labels, &values, weights.as_deref(), partners.as_deref(), draws);
        Ok(Batch { table: t, partners, digests, cells })
    }
}

/// Running sums per cell (combination of wave and segment levels).
struct Cells {
    k: usize,
    replicates: usize,
    /// Each breakdown column's labels, in order of first appearance.
    labels: Vec<Vec<String>>,
    lookup: Vec<HashMap<String, u32>>,
    cells: BTreeMap<Vec<u32>, Cell>,
}

/// One cell's sums: the full sample first, then each replicate.
type Cell = Vec<Acc>;

/// Sums with each row counted `m` times (its replicate draw; 1 in the full sample).
struct Acc {
    rows: f64,
    n: f64,
    sw: f64,
    sw2: f64,
    s: Array1<f64>,
    ss: Array2<f64>,
    /// The headline's sums, over every respondent who answered the outcome.
    score: ScoreSums,
    /// Respondents without a value, per variable.
    missing: Vec<f64>,
}

impl Acc {
    fn new(k: usize) -> Acc {
        let (s, ss) = (Array1::zeros(k), Array2::zeros((k, k)));
        Acc { rows: 0.0, n: 0.0, sw: 0.0, sw2: 0.0, s, ss, score: ScoreSums::default(), missing: vec![0.0; k] }
    }

    fn add(&mut self, other: &Acc) {
        self.rows += other.rows;
        self.n += other.n;
        self.sw += other.sw;
        self.sw2 += other.sw2;
        self.s += &other.s;
        self.ss += &other.ss;
        self.score.merge(&other.score);
        for (a, b) in self.missing.iter_mut().zip(&other.missing) {
            *a += b;
        }
    }
}

/// One row's terms for the replicates' pass, laid out in a row of `width` numbers: its
/// count, its missing values, its answer's [`ScoreSums::TERMS`], and when complete its
/// count, weight, squared weight, weighted values and weighted cross-products (j ≤ l).
struct Terms {
    k: usize,
}

impl Terms {
    const SCORE: usize = ScoreSums::TERMS;

    fn width(&self) -> usize {
        let k = self.k;
        1 + k + Self::SCORE + 3 + k + k * (k + 1) / 2
    }

    /// Row `x` (one value per variable, the outcome last) with weight `w` (> 0).
    fn fill(&self, outcome: &Outcome, x: &[Option<f64>], w: f64, t: &mut [f64]) {
        let k = self.k;
        t.fill(0.0);
        t[0] = 1.0;
        for (m, v) in t[1..=k].iter_mut().zip(x) {
            *m = f64::from(u8::from(v.is_none()));
        }
        let (score, rest) = t[1 + k..].split_at_mut(Self::SCORE);
        if let Some(y) = x[k - 1] {
            ScoreSums::terms(outcome, y, w, score);
        }
        if x.iter().all(Option::is_some) {
            let v = |j: usize| x[j].expect("complete");
            rest[..3].copy_from_slice(&[1.0, w, w * w]);
            let (s, ss) = rest[3..].split_at_mut(k);
            for (j, s) in s.iter_mut().enumerate() {
                *s = w * v(j);
            }
            for (c, (j, l)) in ss.iter_mut().zip(upper(k)) {
                *c = w * v(j) * v(l);
            }
        }
    }

    /// Adds a replicate's summed terms to its sums.
    fn add(&self, acc: &mut Acc, t: &[f64]) {
        let k = self.k;
        acc.rows += t[0];
        for (m, v) in acc.missing.iter_mut().zip(&t[1..=k]) {
            *m += v;
        }
        acc.score.add_terms(&t[1 + k..1 + k + Self::SCORE]);
        let rest = &t[1 + k + Self::SCORE..];
        acc.n += rest[0];
        acc.sw += rest[1];
        acc.sw2 += rest[2];
        for (s, v) in acc.s.iter_mut().zip(&rest[3..3 + k]) {
            *s += v;
        }
        // The upper triangle, which is what a group's sums are read from.
        for ((j, l), v) in upper(k).zip(&rest[3 + k..]) {
            acc.ss[[j, l]] += v;
        }
    }
}

/// The upper triangle's cells (j ≤ l) of a k × k matrix, row by row: the order in which
/// a moments file lists `ss`.
fn upper(k: usize) -> impl Iterator<Item = (usize, usize)> {
    (0..k).flat_map(move |j| (j..k).map(move |l| (j, l)))
}

impl Cells {
    fn new(k: usize, by: usize, replicates: usize) -> Cells {
        Cells { k, replicates, labels: vec![Vec::new(); by], lookup: vec![HashMap::new(); by], cells: BTreeMap::new() }
    }

    /// Adds a batch: `values` per variable (drivers, then `outcome`), `labels` per
    /// breakdown column, optional weights, for a joined batch which rows matched, and for
    /// replicates each row's id digest and the seed.
    fn add(
        &mut self,
        outcome: &Outcome,
        labels: &[Vec<Option<&str>>],
        values: &[Vec<Option<f64>>],
        weights: Option<&[f64]>,
        partners: Option<&[Option<usize>]>,
        draws: Option<(&[u128], u64)>,
    ) {
        let (n, k) = (values[0].len(), self.k);
        let weight = |i: usize| weights.map_or(1.0, |w| w[i]);
        let complete = |i: usize| values.iter().all(|v| v[i].is_some());
        // The rows counted, each with its cell (in order of first appearance here).
        let mut rows: Vec<(usize, u32)> = Vec::with_capacity(n);
        let mut local: BTreeMap<Vec<u32>, u32> = BTreeMap::new();
        let mut keys: Vec<Vec<u32>> = Vec::new();
        // One key buffer for every row: nothing is allocated per row.
        let mut key: Vec<u32> = Vec::with_capacity(labels.len());
        for i in 0..n {
            if partners.is_some_and(|p| p[i].is_none()) || weight(i) <= 0.0 {
                continue;
            }
            key.clear();
            for (c, l) in labels.iter().enumerate() {
                key.push(self.intern(c, l[i].unwrap_or(MISSING_LABEL)));
            }
            let c = match local.get(&key[..]) {
                Some(&c) => c,
                None => {
                    local.insert(key.clone(), keys.len() as u32);
                    keys.push(key.clone());
                    keys.len() as u32 - 1
                }
            };
            rows.push((i, c));
        }
        // The full sample: each row once, a cell's complete rows as one product `XᵀWX`.
        let mut complete_rows: Vec<Vec<usize>> = vec![Vec::new(); keys.len()];
        for &(i, c) in &rows {
            let acc = &mut self.cell(&keys[c as usize])[0];
            acc.rows += 1.0;
            for (miss, v) in acc.missing.iter_mut().zip(values) {
                if v[i].is_none() {
                    *miss += 1.0;
                }
            }
            if let Some(x) = values[k - 1][i] {
                acc.score.add(outcome, x, weight(i));
            }
            if complete(i) {
                complete_rows[c as usize].push(i);
            }
        }
        for (key, rows) in keys.iter().zip(&complete_rows) {
            let acc = &mut self.cell(key)[0];
            let x = Array2::from_shape_fn((rows.len(), k), |(r, j)| values[j][rows[r]].expect("complete"));
            let w = Array1::from_iter(rows.iter().map(|&i| weight(i)));
            let wx = &x * &w.view().insert_axis(ndarray::Axis(1));
            acc.ss += &wx.t().dot(&x);
            acc.s += &wx.sum_axis(ndarray::Axis(0));
            acc.sw += w.sum();
            acc.sw2 += w.dot(&w);
            acc.n += rows.len() as f64;
        }
        // The replicates: every sum is linear in the draws, so each row's terms times its
        // draws in every replicate, one blocked pass (as the rows' bootstrap sums them).
        let Some((digests, seed)) = draws.filter(|_| self.replicates > 0) else { return };
        let layout = Terms { k };
        let row_keys: Vec<u32> = rows.iter().map(|&(i, _)| replicates::key_of(digests[i]) as u32).collect();
        let row_cells: Vec<u32> = rows.iter().map(|&(_, c)| c).collect();
        let totals = replicates::totals(
            &row_keys,
            &row_cells,
            keys.len(),
            (seed, self.replicates),
            layout.width(),
            || Vec::with_capacity(k),
            |r, x: &mut Vec<Option<f64>>, t| {
                let i = rows[r].0;
                x.clear();
                x.extend(values.iter().map(|v| v[i]));
                layout.fill(outcome, x, weight(i), t);
            },
        );
        for (key, sums) in keys.iter().zip(totals) {
            for (acc, t) in self.cell(key)[1..].iter_mut().zip(sums.rows()) {
                layout.add(acc, t.as_slice().expect("rows are contiguous"));
            }
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

    fn cell(&mut self, key: &[u32]) -> &mut Cell {
        let (k, b) = (self.k, self.replicates);
        if !self.cells.contains_key(key) {
            self.cells.insert(key.to_vec(), (0..=b).map(|_| Acc::new(k)).collect());
        }
        self.cells.get_mut(key).expect("inserted above")
    }

    /// Adds another batch's sums, its labels matched to these by name.
    fn merge(&mut self, other: Cells) {
        for (key, c) in other.cells {
            let key: Vec<u32> =
                key.iter().enumerate().map(|(col, &id)| self.intern(col, &other.labels[col][id as usize])).collect();
            for (acc, other) in self.cell(&key).iter_mut().zip(&c) {
                acc.add(other);
            }
        }
    }

    /// Every group's sums: all respondents, then each breakdown column's levels in label
    /// order; then the same groups' replicates.
    fn groups(&self, by: &[&str]) -> Vec<GroupSums> {
        let total = |by: &str, group: &str, b: usize, keep: &dyn Fn(&[u32]) -> bool| {
            let mut t = Acc::new(self.k);
            for c in self.cells.iter().filter(|(key, _)| keep(key)).map(|(_, c)| c) {
                t.add(&c[b]);
            }
            let k = self.k;
            let ss = upper(k).map(|(j, l)| t.ss[[j, l]]).collect();
            let (rows, n) = (t.rows.round() as usize, t.n.round() as usize);
            GroupSums {
                by: by.into(),
                group: group.into(),
                replicate: b,
                rows,
                n,
                sw: t.sw,
                sw2: t.sw2,
                s: t.s.to_vec(),
                ss,
                score: Some(t.score),
                missing: t.missing.iter().map(|m| m.round() as usize).collect(),
            }
        };
        let mut out = Vec::new();
        for b in 0..=self.replicates {
            out.push(total("all", "all", b, &|_| true));
            for (c, col) in by.iter().enumerate() {
                let mut levels: Vec<(usize, &String)> = self.labels[c].iter().enumerate().collect();
                levels.sort_by(|a, b| a.1.cmp(b.1));
                for (id, label) in levels {
                    out.push(total(col, label, b, &|key| key[c] == id as u32));
                }
            }
        }
        out
    }
}
