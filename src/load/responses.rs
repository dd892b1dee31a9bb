//! What the engine reads from the joined responses: the model's matrices for a group of
//! rows, an outcome's answers, the weights, and the wave and segment labels as codes.

use super::columns::{Numbers, BLANK};
use super::*;
use crate::stats::Matrix;

impl Responses {
    pub fn height(&self) -> usize {
        self.columns.height
    }

    /// A numeric column of the joined frame (a driver, an outcome or the weight).
    fn numbers(&self, name: &str) -> Vec<Option<f64>> {
        let n = self.columns.numbers(name);
        (0..n.len()).map(|i| n.get(i)).collect()
    }

    /// An outcome's answers as given (not oriented), blanks `None`.
    pub fn answers(&self, o: &Outcome) -> Vec<Option<f64>> {
        self.numbers(&outcome_key(o))
    }

    /// An outcome oriented for the engine: higher is better.
    fn oriented(&self, o: &Outcome) -> Vec<Option<f64>> {
        let sign = o.sign();
        self.answers(o).into_iter().map(|v| v.map(|x| sign * x)).collect()
    }

    pub fn weights(&self) -> Option<Vec<f64>> {
        self.survey
            .weight
            .as_ref()
            .map(|_| self.numbers(WEIGHT).into_iter().map(|w| w.expect("weights were checked")).collect())
    }

    /// Each row's respondent key (what its bootstrap weights are drawn from), of the rows
    /// `keep` selects.
    pub fn keys(&self, keep: Option<&[bool]>) -> Vec<u32> {
        let keys = &self.columns.keys;
        keys.iter().zip(0..).filter(|(_, i)| keep.is_none_or(|k| k[*i])).map(|(&k, _)| k).collect()
    }

    /// Each row with an answer to `o`, in row order: its row, the answer as given and its
    /// weight (1 without weights). Read in place: nothing the size of the rows is made.
    pub fn each_answer(&self, o: &Outcome, mut f: impl FnMut(usize, f64, f64)) {
        let answers = self.columns.numbers(&outcome_key(o));
        let weights = self.survey.weight.as_ref().map(|_| self.columns.numbers(WEIGHT));
        for i in 0..self.height() {
            if let Some(x) = answers.get(i) {
                f(i, x, weights.map_or(1.0, |w| w.value(i)));
            }
        }
    }

    /// A wave or segment column as levels: each row's level and each level's label (blanks
    /// read "(missing)", the last level).
    pub fn levels_of(&self, name: &str) -> LevelCodes<'_> {
        let mut labels: Vec<&str> = self.levels[name].iter().map(String::as_str).collect();
        labels.push(MISSING_LABEL);
        LevelCodes { codes: self.codes(name), labels }
    }

    /// Which rows read `label` in wave or segment column `name` (as [`Responses::labels`]
    /// reads them), from the codes: no text is compared row by row.
    pub fn rows_with(&self, name: &str, label: &str) -> Vec<bool> {
        let code = self.levels[name].iter().position(|l| l == label).map(|c| c as u32);
        let blank = label == MISSING_LABEL;
        self.codes(name).iter().map(|&c| if c == BLANK { blank } else { Some(c) == code }).collect()
    }

    /// The labels the rows hold (blanks aside), in order of first appearance.
    pub(super) fn present(&self, name: &str) -> Vec<&str> {
        let names = &self.levels[name];
        let mut seen = vec![false; names.len()];
        let mut out = Vec::new();
        for &c in self.codes(name).iter().filter(|&&c| c != BLANK) {
            if !std::mem::replace(&mut seen[c as usize], true) {
                out.push(names[c as usize].as_str());
            }
        }
        out
    }

    fn codes(&self, name: &str) -> &[u32] {
        self.columns.codes(name)
    }

    /// Every driver column, then the outcome coded by `code` (its oriented answer → the
    /// value whose mean is the headline), and the weights: each a reader of a row's value
    /// by row number, NaN for a gap. Read from the loader's columns in place, so a group
    /// of rows costs its row numbers, not a copy of its values.
    pub fn coded_readers<'a>(
        &'a self,
        o: &Outcome,
        code: impl Fn(f64) -> f64 + Sync + 'a,
    ) -> (Vec<Reader<'a>>, Option<Reader<'a>>) {
        let reader = |column: &'a Numbers| -> Reader<'a> { Box::new(move |i| column.value(i as usize)) };
        let mut columns: Vec<Reader<'a>> =
            self.survey.drivers.iter().map(|d| reader(self.columns.numbers(&d.column))).collect();
        let (answers, sign) = (self.columns.numbers(&outcome_key(o)), o.sign());
        columns.push(Box::new(move |i| answers.get(i as usize).map_or(f64::NAN, |y| code(sign * y))));
        let weights = self.survey.weight.as_ref().map(|_| reader(self.columns.numbers(WEIGHT)));
        (columns, weights)
    }

    /// Every driver column then the outcome, with gaps, for pairwise deletion; and weights.
    /// `keep` selects the rows of one group (a wave, a segment level); `None` is all rows.
    pub fn model_columns(&self, o: &Outcome, keep: Option<&[bool]>) -> GappyColumns {
        fn pick<T>(v: Vec<T>, keep: Option<&[bool]>) -> Vec<T> {
            match keep {
                None => v,
                Some(k) => v.into_iter().zip(k).filter(|(_, &k)| k).map(|(x, _)| x).collect(),
            }
        }
        let mut columns: Vec<Vec<Option<f64>>> =
            self.survey.drivers.iter().map(|d| pick(self.numbers(&d.column), keep)).collect();
        columns.push(pick(self.oriented(o), keep));
        (columns, self.weights().map(|w| pick(w, keep)))
    }

    /// The model's columns (drivers, then the outcome), the rows among `keep` where all are
    /// present, and how many rows `keep` selects.
    fn complete(&self, o: &Outcome, keep: Option<&[bool]>) -> (Vec<&Numbers>, Vec<u32>, usize) {
        let mut columns: Vec<&Numbers> = self.survey.drivers.iter().map(|d| self.columns.numbers(&d.column)).collect();
        columns.push(self.columns.numbers(&outcome_key(o)));
        // Only columns with gaps are checked, row by row.
        let gappy: Vec<&Numbers> = columns.iter().copied().filter(|n| n.gaps() > 0).collect();
        let kept = |i: usize| keep.is_none_or(|k| k[i]);
        let mut in_group = 0;
        let rows: Vec<u32> = (0..self.height())
            .filter(|&i| kept(i))
            .inspect(|_| in_group += 1)
            .filter(|&i| gappy.iter().all(|n| !n.value(i).is_nan()))
            .map(|i| i as u32)
            .collect();
        (columns, rows, in_group)
    }

    /// Each complete row's level in wave or segment column `name` (as
    /// [`Responses::level_of`] numbers them), for the model of outcome `o`.
    pub fn complete_levels(&self, o: &Outcome, name: &str) -> Vec<u32> {
        let blank = self.levels[name].len() as u32;
        let codes = self.codes(name);
        self.complete(o, None)
            .1
            .iter()
            .map(|&i| codes[i as usize])
            .map(|c| if c == BLANK { blank } else { c })
            .collect()
    }

    /// The number [`Responses::complete_levels`] gives `label` of column `name` (`None`:
    /// no row reads it).
    pub fn level_of(&self, name: &str, label: &str) -> Option<u32> {
        let names = &self.levels[name];
        match label {
            MISSING_LABEL => Some(names.len() as u32),
            _ => names.iter().position(|l| l == label).map(|c| c as u32),
        }
    }

    /// Rows where the outcome and every driver are present (listwise deletion), among the
    /// rows `keep` selects (`None`: all). Reads the frame's columns in place: no
    /// per-cell option is built, so a million rows cost the matrix and little more.
    pub fn model_data(&self, o: &Outcome, keep: Option<&[bool]>) -> ModelData {
        let (columns, rows, in_group) = self.complete(o, keep);
        let p = columns.len() - 1;
        let shape = (rows.len(), p);
        let bytes: Option<Vec<&[u8]>> =
            columns[..p].iter().map(|c| if let Numbers::Bytes(b) = c { Some(b.as_slice()) } else { None }).collect();
        let x = match bytes {
            // Complete rows hold no gap, so every byte is a rating.
            Some(bytes) => {
                let mut x = Vec::with_capacity(rows.len() * p);
                for &i in &rows {
                    x.extend(bytes.iter().map(|c| c[i as usize]));
                }
                Matrix::Bytes(Array2::from_shape_vec(shape, x).expect("rows × drivers values"))
            }
            None => {
                let mut x = Vec::with_capacity(rows.len() * p);
                for &i in &rows {
                    x.extend(columns[..p].iter().map(|c| c.value(i as usize)));
                }
                Matrix::Floats(Array2::from_shape_vec(shape, x).expect("rows × drivers values"))
            }
        };
        let (sign, target) = (o.sign(), columns[p]);
        let weights = self.survey.weight.as_ref().map(|_| self.columns.numbers(WEIGHT));
        let keys = &self.columns.keys;
        ModelData {
            keys: rows.iter().map(|&i| keys[i as usize]).collect(),
            names: self.survey.drivers.iter().map(|d| d.column.clone()).collect(),
            x,
            y: rows.iter().map(|&i| sign * target.value(i as usize)).collect(),
            w: weights.map(|w| rows.iter().map(|&i| w.value(i as usize)).collect()),
            n_used: rows.len(),
            n_dropped: in_group - rows.len(),
        }
    }
}

/// A wave or segment column's rows as levels ([`Responses::levels_of`]).
pub struct LevelCodes<'a> {
    codes: &'a [u32],
    pub labels: Vec<&'a str>,
}

impl LevelCodes<'_> {
    /// Row `i`'s level: an index into `labels`.
    #[inline]
    pub fn of(&self, i: usize) -> usize {
        match self.codes[i] {
            BLANK => self.labels.len() - 1,
            c => c as usize,
        }
    }
}

/// A column's value at a row number ([`Responses::coded_readers`]).
pub type Reader<'a> = Box<dyn Fn(u32) -> f64 + Sync + 'a>;
