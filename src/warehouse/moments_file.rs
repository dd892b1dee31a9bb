//! Sufficient statistics: per group (all respondents, each wave, each segment level) the
//! weighted sums from which every linear method's moments follow — the count, Σw, Σw²,
//! Σw·v and Σw·v·v' over the complete rows of the drivers and the outcome (v the raw
//! answer) — and those of the headline. `keydriver moments` writes them as JSON;
//! `keydriver sql` prints one query that computes the same sums inside a warehouse (its
//! result, exported as CSV, is read the same way); `--from-moments` runs the driver engine
//! and the report on either, so the rows never leave the warehouse. Sums add, so any
//! union of groups is a sum of sums, and a difference of sums is the rest of a group.
//!
//! File format (`format = "keydriver-moments"`, `version = 1`): the variables (drivers
//! in order, the outcome last), then one record per group: `by` (`all`, the wave column
//! or a segment column), `group` (its label), `rows` (respondents in the group with a
//! positive weight), `n` (complete rows: outcome and every driver answered), `sw`, `sw2`,
//! `s` (Σw·v per variable) and `ss` (Σw·v·v', upper triangle row by row); `score`, the
//! headline's [`ScoreSums`] over every respondent who answered the outcome (`n`, `sw`,
//! `sw2`, `s1` = Σw·y, `s2` = Σw·y², `w2s1` = Σw²·y, `w2s2` = Σw²·y², `bands_n` and
//! `bands_w` per answer band low to high; y the answer's code); and `missing`, the
//! respondents without a value per variable. With Poisson bootstrap replicates
//! ([`crate::warehouse::replicates`]) each group also has one record per replicate b = 1…B, marked
//! `replicate` (absent or 0: the full sample), in which each row counts m times (m its
//! Poisson draw: weight m·w, m·w² in Σw², Σm in `rows` and `n`). The query's CSV has the
//! same columns flattened: `by_, group_, replicate_ (with replicates), rows_, n_, sw, sw2,
//! s_0 … s_p, ss_0_0, ss_0_1, …, ss_p_p, q_n, q_sw, q_sw2, q_s1, q_s2, q_w2s1, q_w2s2,
//! q_b0_n … q_b2_n, q_b0_w … q_b2_w, miss_0 … miss_p`.

use std::path::Path;

use ndarray::{Array1, Array2};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::headline::scores::ScoreSums;
use crate::load::MISSING_LABEL;
use crate::schema::outcome::Outcome;
use crate::schema::settings::Survey;
use crate::stats::moments::Moments;

pub const FORMAT: &str = "keydriver-moments";
pub const VERSION: u32 = 1;

/// The weighted sums of one group's complete rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupSums {
    pub by: String,
    pub group: String,
    /// 0: the full sample; b ≥ 1: Poisson bootstrap replicate b.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub replicate: usize,
    /// Respondents in the group (positive weight), complete or not.
    pub rows: usize,
    /// Complete rows: the outcome and every driver answered.
    pub n: usize,
    pub sw: f64,
    pub sw2: f64,
    /// Σ w·v for each variable (drivers, then the outcome as answered).
    pub s: Vec<f64>,
    /// Σ w·v_j·v_k for j ≤ k, row by row.
    pub ss: Vec<f64>,
    /// The headline's sums over every respondent in the group who answered the outcome
    /// (complete or not); absent from older files, which `report --from-moments` refuses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<ScoreSums>,
    /// Respondents without a value (blank or a missing code), per variable; empty in
    /// older files.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing: Vec<usize>,
}

impl GroupSums {
    /// The sums of the respondents in `self` but not in `part`, a group within it (the
    /// rest of the sample beside a segment level). The headline's sums are not carried.
    pub fn minus(&self, part: &GroupSums) -> GroupSums {
        let less = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| x - y).collect();
        GroupSums {
            by: self.by.clone(),
            group: format!("not {}", part.group),
            replicate: self.replicate,
            rows: self.rows - part.rows,
            n: self.n - part.n,
            sw: self.sw - part.sw,
            sw2: self.sw2 - part.sw2,
            s: less(&self.s, &part.s),
            ss: less(&self.ss, &part.ss),
            score: None,
            missing: Vec::new(),
        }
    }

    /// Moments of the drivers and the outcome oriented by `sign` (−1 for effort): the same
    /// as the engine computes from the rows themselves.
    pub fn moments(&self, sign: f64) -> Moments {
        let k = self.s.len();
        let n = self.n as f64;
        let orient = |j: usize| if j == k - 1 { sign } else { 1.0 };
        let mean = Array1::from_shape_fn(k, |j| orient(j) * self.s[j] / self.sw);
        let mut cov = Array2::zeros((k, k));
        let mut at = 0;
        for j in 0..k {
            for l in j..k {
                let second = orient(j) * orient(l) * self.ss[at] / self.sw;
                let c = (second - mean[j] * mean[l]) * n / (n - 1.0);
                cov[[j, l]] = c;
                cov[[l, j]] = c;
                at += 1;
            }
        }
        Moments { n: self.n, rows: self.n, n_eff: self.sw * self.sw / self.sw2, mean, cov }
    }
}

fn is_zero(x: &usize) -> bool {
    *x == 0
}

/// A moments file: what the sums are of, and the sums.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MomentsFile {
    pub format: String,
    pub version: u32,
    /// Driver columns, then the outcome column.
    pub variables: Vec<String>,
    pub weight: Option<String>,
    pub wave: Option<String>,
    pub segments: Vec<String>,
    pub groups: Vec<GroupSums>,
}

impl MomentsFile {
    /// A file of `groups`, described by the survey's weight, wave and segment columns.
    pub(crate) fn new(survey: &Survey, variables: Vec<String>, groups: Vec<GroupSums>) -> MomentsFile {
        MomentsFile {
            format: FORMAT.into(),
            version: VERSION,
            variables,
            weight: survey.weight.clone(),
            wave: survey.wave.clone(),
            segments: survey.segments.clone(),
            groups,
        }
    }

    /// Reads a moments file: `keydriver moments` JSON, or the CSV of `keydriver sql`'s
    /// query (told apart by content), checked against the survey's drivers and outcome.
    pub fn read(path: &Path, survey: &Survey, outcome: &Outcome) -> Result<MomentsFile> {
        let bad = |reason: String| Error::BadFile { file: path.to_path_buf(), reason };
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::Unreadable { file: path.to_path_buf(), reason: e.to_string() })?;
        let want = variables(survey, outcome);
        let file = if text.trim_start().starts_with('{') {
            let f: MomentsFile = serde_json::from_str(&text).map_err(|e| bad(format!("not a moments file: {e}")))?;
            if f.format != FORMAT || f.version != VERSION {
                return Err(bad(format!(
                    "format {} version {}: this keydriver reads {FORMAT} version {VERSION}",
                    f.format, f.version
                )));
            }
            if f.variables != want {
                return Err(bad(format!(
                    "its variables are {}, but this run's drivers and outcome are {}: pass the same --drivers and --target as when it was made",
                    f.variables.join(", "),
                    want.join(", ")
                )));
            }
            f
        } else {
            let groups = from_csv(&text, want.len()).map_err(bad)?;
            MomentsFile::new(survey, want, groups)
        };
        if !file.groups.iter().any(|g| g.by == "all" && g.replicate == 0) {
            return Err(bad("no row with by = \"all\": the sums over every respondent are needed".into()));
        }
        Ok(file)
    }

    /// The groups of one breakdown (`by` = a wave or segment column), in file order: their
    /// full-sample sums.
    pub fn by<'a>(&'a self, by: &'a str) -> impl Iterator<Item = &'a GroupSums> + 'a {
        self.groups.iter().filter(move |g| g.by == by && g.replicate == 0)
    }

    /// Level `level` of column `by`, if the file has it.
    pub fn group(&self, by: &str, level: &str) -> Option<&GroupSums> {
        self.groups.iter().find(|g| g.by == by && g.replicate == 0 && g.group == level)
    }

    pub fn all(&self) -> &GroupSums {
        self.groups.iter().find(|g| g.by == "all" && g.replicate == 0).expect("checked when read")
    }

    /// The bootstrap replicates of group `g`, in replicate order.
    pub fn replicates(&self, g: &GroupSums) -> Vec<&GroupSums> {
        let mut r: Vec<&GroupSums> =
            self.groups.iter().filter(|r| r.replicate > 0 && r.by == g.by && r.group == g.group).collect();
        r.sort_by_key(|r| r.replicate);
        r
    }
}

/// Driver columns, then the outcome column.
pub(crate) fn variables(survey: &Survey, outcome: &Outcome) -> Vec<String> {
    survey.drivers.iter().map(|d| d.column.clone()).chain([outcome.column.clone()]).collect()
}

/// Parses the query's result (a header row, then one row per group). Labels may be
/// quoted (RFC 4180); numbers are plain.
fn from_csv(text: &str, k: usize) -> std::result::Result<Vec<GroupSums>, String> {
    let mut lines = split_csv(text).into_iter();
    let header: Vec<String> = lines.next().ok_or("empty file")?.iter().map(|h| h.to_lowercase()).collect();
    // Each column named, with where it is.
    let column = |name: String| Some((header.iter().position(|h| *h == name)?, name));
    let mut want = vec!["rows_".to_string(), "n_".into(), "sw".into(), "sw2".into()];
    want.extend((0..k).map(|j| format!("s_{j}")));
    for j in 0..k {
        want.extend((j..k).map(|l| format!("ss_{j}_{l}")));
    }
    let named = |names: &[String]| names.iter().map(|n| column(n.clone())).collect::<Option<Vec<_>>>();
    let [by, group] = ["by_", "group_"].map(|n| column(n.into()));
    let (Some(by), Some(group), Some(sums)) = (by, group, named(&want)) else {
        let absent = ["by_", "group_"].iter().map(|n| n.to_string()).chain(want).find(|n| !header.contains(n));
        return Err(format!(
            "no column \"{}\": expected the columns of `keydriver sql` for {k} variables",
            absent.unwrap_or_default()
        ));
    };
    let replicate = column("replicate_".into());
    // The headline's sums and the missing answers, when the query made them.
    let score = named(&SCORE_COLUMNS.map(String::from));
    let missing = named(&(0..k).map(|j| format!("miss_{j}")).collect::<Vec<_>>());
    let mut groups = Vec::new();
    for (row, cells) in lines.enumerate() {
        let text = |c: usize| cells.get(c).map_or("", |v| v.trim());
        // Numbers, blank read as 0; an error names the row and column.
        let numbers = |at: &[(usize, String)]| -> std::result::Result<Vec<f64>, String> {
            at.iter()
                .map(|(c, name)| match text(*c) {
                    "" => Ok(0.0),
                    v => v.parse().map_err(|_| format!("row {}, column \"{name}\": {v:?} is not a number", row + 1)),
                })
                .collect()
        };
        let count = |x: f64| x.round() as usize;
        let replicate = match &replicate {
            Some((c, _)) => text(*c).parse::<usize>().map_err(|_| {
                format!("row {}, column \"replicate_\": {:?} is not a replicate number", row + 1, text(*c))
            })?,
            None => 0,
        };
        let score = score.as_deref().map(numbers).transpose()?.map(|v| ScoreSums {
            n: count(v[0]),
            sw: v[1],
            sw2: v[2],
            s1: v[3],
            s2: v[4],
            w2s1: v[5],
            w2s2: v[6],
            bands_n: [count(v[7]), count(v[8]), count(v[9])],
            bands_w: [v[10], v[11], v[12]],
        });
        let missing =
            missing.as_deref().map(numbers).transpose()?.map_or(Vec::new(), |v| v.into_iter().map(count).collect());
        let v = numbers(&sums)?;
        let group = text(group.0).to_string();
        groups.push(GroupSums {
            by: text(by.0).to_string(),
            group: if group.is_empty() { MISSING_LABEL.into() } else { group },
            replicate,
            score,
            missing,
            rows: count(v[0]),
            n: count(v[1]),
            sw: v[2],
            sw2: v[3],
            s: v[4..4 + k].to_vec(),
            ss: v[4 + k..].to_vec(),
        });
    }
    Ok(groups)
}

/// The query's columns for [`ScoreSums`], in its field order.
const SCORE_COLUMNS: [&str; 13] = [
    "q_n", "q_sw", "q_sw2", "q_s1", "q_s2", "q_w2s1", "q_w2s2", "q_b0_n", "q_b1_n", "q_b2_n", "q_b0_w", "q_b1_w",
    "q_b2_w",
];

/// CSV text into records of cells (RFC 4180): a quoted cell may hold commas, doubled
/// quotes and line breaks (a label from the data may); blank lines are skipped.
fn split_csv(text: &str) -> Vec<Vec<String>> {
    let (mut records, mut cells) = (Vec::new(), vec![String::new()]);
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    let mut end = |cells: &mut Vec<String>| {
        let record = std::mem::replace(cells, vec![String::new()]);
        if record.len() > 1 || !record[0].trim().is_empty() {
            records.push(record);
        }
    };
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                cells.last_mut().unwrap().push('"');
            }
            ('"', _) => quoted = !quoted,
            (',', false) => cells.push(String::new()),
            ('\r', false) if chars.peek() == Some(&'\n') => {}
            ('\n', false) => end(&mut cells),
            (c, _) => cells.last_mut().unwrap().push(c),
        }
    }
    end(&mut cells);
    records
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_may_be_quoted() {
        let text = "a,\"b, c\",\"say \"\"hi\"\"\",\r\n\n\"two\nlines\",x\n";
        assert_eq!(split_csv(text), [vec!["a", "b, c", "say \"hi\"", ""], vec!["two\nlines", "x"]]);
    }

    #[test]
    fn moments_from_sums_match_the_sample_covariance() {
        // Rows (x, y): (1, 2), (2, 2), (3, 5), unweighted: means 2, 3; var x 1, var y 3,
        // cov 1.5 (over n − 1).
        let g = GroupSums {
            by: "all".into(),
            group: "all".into(),
            replicate: 0,
            score: None,
            missing: Vec::new(),
            rows: 3,
            n: 3,
            sw: 3.0,
            sw2: 3.0,
            s: vec![6.0, 9.0],
            ss: vec![14.0, 21.0, 33.0],
        };
        let m = g.moments(1.0);
        assert_eq!(m.mean.to_vec(), [2.0, 3.0]);
        for (got, want) in m.cov.iter().zip([1.0, 1.5, 1.5, 3.0]) {
            assert!((got - want).abs() < 1e-12);
        }
        // Effort is oriented: the outcome's mean and covariances change sign.
        let m = g.moments(-1.0);
        assert_eq!(m.mean[1], -3.0);
        assert!((m.cov[[0, 1]] + 1.5).abs() < 1e-12 && (m.cov[[1, 1]] - 3.0).abs() < 1e-12);
    }
}
