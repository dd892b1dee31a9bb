//! `keydriver init`: a first survey.toml guessed from the data, so a new user with one
//! export does not start from a blank page. Every guess is written with a comment saying
//! why, to be checked before the first report; nothing here is used by a report run.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::load::{leading_number, Table};
use crate::schema::settings::CsvOptions;
use crate::schema::waves;

/// What one column holds, as far as guessing needs.
struct Profile {
    name: String,
    distinct: BTreeSet<String>,
    /// Every non-blank cell is a number (or starts with one: `10 - Extremely likely`).
    numbers: Option<Vec<f64>>,
    /// Every cell is filled and no two are the same.
    unique: bool,
}

impl Profile {
    fn of(table: &Table, name: &str) -> Result<Profile> {
        let cells = table.strings(name, "column")?;
        let mut distinct = BTreeSet::new();
        let mut numbers = Some(Vec::new());
        let mut repeated = false;
        for v in cells.iter().flatten() {
            repeated |= !distinct.insert(v.clone());
            let x = v.parse::<f64>().ok().filter(|x| x.is_finite()).or_else(|| leading_number(v));
            match (x, numbers.as_mut()) {
                (Some(x), Some(xs)) => xs.push(x),
                _ => numbers = None,
            }
        }
        let n = cells.iter().flatten().count();
        Ok(Profile { name: name.to_string(), distinct, numbers, unique: !repeated && n == cells.len() && n > 0 })
    }

    fn whole(&self) -> bool {
        self.numbers.as_ref().is_some_and(|xs| xs.iter().all(|x| x.fract() == 0.0))
    }

    fn range(&self) -> Option<(f64, f64)> {
        let xs = self.numbers.as_ref()?;
        let min = xs.iter().copied().fold(f64::INFINITY, f64::min);
        let max = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        (min <= max).then_some((min, max))
    }

    fn named(&self, words: &[&str]) -> bool {
        let lower = self.name.to_lowercase();
        words.iter().any(|w| lower.contains(w))
    }
}

/// Values outside a rating scale that surveys use for "don't know" or "not applicable".
const CODE_CANDIDATES: [f64; 6] = [0.0, -1.0, 97.0, 98.0, 99.0, 999.0];

/// Answers that read as the good one of two.
const POSITIVE_WORDS: [&str; 12] = [
    "satisfied",
    "yes",
    "y",
    "true",
    "1",
    "renewed",
    "retained",
    "promoter",
    "positive",
    "good",
    "recommend",
    "stayed",
];

/// The draft and where it was written.
pub struct Draft {
    pub path: PathBuf,
    pub text: String,
    /// The `report` command to run next.
    pub next: String,
}

/// Writes a draft survey.toml beside `data` (never over an existing one). `nps` is a
/// second file with the outcomes; `target` names the outcome when it cannot be guessed.
pub fn init(data: &Path, nps: Option<&Path>, target: Option<&str>) -> Result<Draft> {
    let dir = data.parent().unwrap_or(Path::new(""));
    let path = dir.join("survey.toml");
    if path.exists() {
        return Err(Error::output(
            &path,
            "a survey.toml already exists here: edit it, or move it away to draft a new one",
        ));
    }
    let ratings = Table::read(data, &CsvOptions::default(), &[])?;
    let outcomes_table = nps.map(|p| Table::read(p, &CsvOptions::default(), &[])).transpose()?;
    let profiles = |t: &Table| -> Result<Vec<Profile>> {
        t.df.get_column_names().iter().filter(|c| !c.trim().is_empty()).map(|c| Profile::of(t, c)).collect()
    };
    let cols = profiles(&ratings)?;
    let nps_cols = outcomes_table.as_ref().map(profiles).transpose()?;
    let skipped: Vec<usize> = ratings
        .df
        .get_column_names()
        .iter()
        .enumerate()
        .filter(|(_, c)| c.trim().is_empty())
        .map(|(i, _)| i + 1)
        .collect();

    let mut out = String::new();
    let file_name = |p: &Path| p.file_name().map_or_else(String::new, |f| f.to_string_lossy().into_owned());
    writeln!(out, "# Draft written by `keydriver init` from {}: every guess says why. Check each", file_name(data))
        .ok();
    writeln!(out, "# one, then run the report (the command is at the end). Paths are relative to this file.\n").ok();
    writeln!(out, "ratings = {}", quote(&file_name(data))).ok();
    if let Some(p) = nps {
        writeln!(out, "nps = {}                  # the outcome answers, joined on id", quote(&file_name(p))).ok();
    }
    for i in &skipped {
        writeln!(out, "# column {i} has no name (a row index): left out").ok();
    }

    let id = guess_id(&cols, nps_cols.as_deref());
    match id {
        Some(c) => writeln!(out, "id = {}  # every row has its own value", quote(&c.name)).ok(),
        None if nps.is_some() => return Err(Error::Usage(
            "no column holds a different value on every row of both files: name the id column in survey.toml by hand"
                .into(),
        )),
        None => writeln!(out, "# id = \"…\"  # no column is unique on every row; only needed to join two files").ok(),
    };
    let taken = |c: &Profile| id.is_some_and(|i| i.name == c.name);
    let wave = guess_wave(cols.iter().filter(|c| !taken(c)));
    match wave {
        Some((c, None)) => writeln!(out, "wave = {}  # its values are periods ({})", quote(&c.name), examples(c)).ok(),
        Some((c, Some(period))) => writeln!(
            out,
            "wave = {}  # dates: the report compares {period}s of them\nwave_period = \"{period}\"",
            quote(&c.name)
        )
        .ok(),
        None => writeln!(out, "# wave = \"…\"  # no column of periods or dates: the report covers the whole file").ok(),
    };
    let is_wave = |c: &Profile| wave.is_some_and(|(w, _)| w.name == c.name);
    let free: Vec<&Profile> = cols.iter().filter(|c| !taken(c) && !is_wave(c)).collect();
    let (scale, codes, mut ratings) = guess_ratings(&free);
    // The outcome comes from the outcome file when there is one.
    let pool: Vec<&Profile> = match &nps_cols {
        Some(n) => n.iter().filter(|c| id.is_none_or(|i| i.name != c.name)).collect(),
        None => free.clone(),
    };
    let outcomes = match target {
        Some(t) => {
            let c = pool.iter().copied().chain(cols.iter()).find(|c| c.name == t).ok_or_else(|| {
                Error::Usage(format!("--target {t}: no such column in {}", nps.unwrap_or(data).display()))
            })?;
            vec![(c, outcome_entry(c, "named by --target"))]
        }
        None => guess_outcomes(&pool, &ratings),
    };
    if outcomes.is_empty() {
        return Err(Error::Usage(format!(
            "no outcome found in {}: name the column to explain with --target COLUMN{}",
            nps.unwrap_or(data).display(),
            if nps.is_none() { ", or pass --nps FILE when the answers are in a second file" } else { "" }
        )));
    }
    ratings.retain(|r| !outcomes.iter().any(|(o, _)| o.name == r.name));

    // Segments: text columns with a few values.
    let segments: Vec<&Profile> = free
        .iter()
        .copied()
        .filter(|c| c.numbers.is_none() && (2..=12).contains(&c.distinct.len()))
        .filter(|c| !outcomes.iter().any(|(o, _)| o.name == c.name))
        .collect();
    if segments.is_empty() {
        writeln!(out, "# segments = []  # no text column with 2–12 values").ok();
    } else {
        let list: Vec<String> = segments.iter().map(|c| quote(&c.name)).collect();
        writeln!(out, "segments = [{}]  # text columns with a few values each", list.join(", ")).ok();
    }
    if codes.is_empty() {
        writeln!(out, "missing_codes = []  # no rating lies outside the scale").ok();
    } else {
        let list: Vec<String> = codes.iter().map(|c| c.to_string()).collect();
        writeln!(
            out,
            "missing_codes = [{}]  # ratings outside the scale: \"don't know\" or \"not applicable\"",
            list.join(", ")
        )
        .ok();
    }
    if dir.join("benchmarks.csv").exists() {
        writeln!(out, "benchmarks = \"benchmarks.csv\"  # found beside the data").ok();
    }
    match scale {
        Some((lo, hi)) => {
            writeln!(out, "\n[scale]  # the range most rating columns share\nmin = {lo}\nmax = {hi}").ok()
        }
        None => writeln!(out, "\n# [scale]  # no common rating scale found\n# min = 1\n# max = 5").ok(),
    };
    if dir.join("costs.csv").exists() {
        writeln!(out, "\n[whatif]\ncosts = \"costs.csv\"  # found beside the data: what a point of each driver costs")
            .ok();
    }
    for (_, entry) in &outcomes {
        out.push('\n');
        out.push_str(entry);
    }
    if ratings.is_empty() {
        writeln!(out, "\n# [[drivers]]  # no column of ratings on a common scale: list them by hand").ok();
    }
    let on_scale = scale.map(|(lo, hi)| format!("whole numbers on {lo}–{hi}")).unwrap_or_default();
    for c in &ratings {
        let (column, shown) = (quote(&c.name), quote(&label(&c.name)));
        writeln!(out, "\n[[drivers]]  # {on_scale}\ncolumn = {column}\nlabel = {shown}  # from the header").ok();
    }
    let needs_positive = out.contains("# positive = ");
    let next = format!(
        "keydriver report --config {}{}",
        shell_quote(&path.display().to_string()),
        if needs_positive { " --positive ANSWER" } else { "" }
    );
    writeln!(out, "\n# Next:\n#   {next}").ok();
    std::fs::write(&path, &out).map_err(|e| Error::output(&path, e))?;
    Ok(Draft { path, text: out, next })
}

/// The id: unique on every row of every file, named like an id when several are.
fn guess_id<'a>(cols: &'a [Profile], nps: Option<&[Profile]>) -> Option<&'a Profile> {
    let in_both = |c: &&Profile| nps.is_none_or(|n| n.iter().any(|x| x.name == c.name && x.unique));
    let unique: Vec<&Profile> = cols.iter().filter(|c| c.unique).filter(in_both).collect();
    unique.iter().find(|c| c.named(&["id", "respondent", "response"])).or(unique.first()).copied()
}

/// The wave: a column of period labels (2025Q1, Mar 2025; plain years only when named
/// like a wave), else of dates, read as quarters (`Some("quarter")`).
fn guess_wave<'a>(cols: impl Iterator<Item = &'a Profile> + Clone) -> Option<(&'a Profile, Option<&'static str>)> {
    let dates = |c: &Profile| {
        c.numbers.is_none()
            && c.distinct.iter().all(|v| waves::parse_date(v, false).or(waves::parse_date(v, true)).is_some())
    };
    let periods = cols.clone().filter(|c| !c.distinct.is_empty() && c.distinct.len() <= 60).find(|c| {
        c.distinct.iter().all(|v| waves::parse(v).is_some())
            && (c.numbers.is_none() || c.named(&["wave", "quarter", "period", "year", "month"]))
    });
    periods
        .map(|c| (c, None))
        .or_else(|| cols.filter(|c| !c.distinct.is_empty()).find(|c| dates(c)).map(|c| (c, Some("quarter"))))
}

/// The ratings: whole numbers on the scale most columns share, with the values just
/// outside it that surveys use for "don't know" or "not applicable" as missing codes.
fn guess_ratings<'a>(cols: &[&'a Profile]) -> (Option<(f64, f64)>, BTreeSet<i64>, Vec<&'a Profile>) {
    let whole: Vec<&Profile> = cols.iter().copied().filter(|c| c.whole()).collect();
    let scale = common_scale(&whole);
    let mut codes = BTreeSet::new();
    let mut ratings = Vec::new();
    if let Some((lo, hi)) = scale {
        for c in whole {
            let xs = c.numbers.as_ref().expect("whole columns hold numbers");
            let outside: Vec<f64> = xs.iter().copied().filter(|x| *x < lo || *x > hi).collect();
            let coded = outside.iter().all(|x| CODE_CANDIDATES.contains(x));
            let spread = xs.iter().filter(|x| (lo..=hi).contains(*x)).map(|x| *x as i64).collect::<BTreeSet<_>>();
            if coded && spread.len() >= 3 && outside.len() * 4 < xs.len() {
                codes.extend(outside.iter().map(|x| *x as i64));
                ratings.push(c);
            }
        }
    }
    (scale, codes, ratings)
}

/// The outcomes, each with its `[[outcomes]]` entry: a 0–10 column named like the
/// recommend question, the columns named like a satisfaction question, else a column of
/// two answers that is not a rating.
fn guess_outcomes<'a>(pool: &[&'a Profile], ratings: &[&Profile]) -> Vec<(&'a Profile, String)> {
    let zero_to_ten = |c: &Profile| c.whole() && c.range().is_some_and(|(lo, hi)| lo >= 0.0 && hi <= 10.0 && hi > 6.0);
    let mut outcomes: Vec<(&Profile, String)> = Vec::new();
    if let Some(c) = pool.iter().find(|c| zero_to_ten(c) && c.named(&["recommend", "likely", "nps", "ltr"])) {
        outcomes.push((c, outcome_entry(c, "0–10 and named like the recommend question")));
    }
    for c in pool.iter().filter(|c| c.named(&["satisf", "csat"])) {
        if !outcomes.iter().any(|(o, _)| o.name == c.name) {
            outcomes.push((c, outcome_entry(c, "named like a satisfaction question")));
        }
    }
    if outcomes.is_empty() {
        if let Some(c) = pool.iter().find(|c| c.distinct.len() == 2 && !ratings.iter().any(|r| r.name == c.name)) {
            outcomes.push((c, outcome_entry(c, "two answers")));
        }
    }
    outcomes
}

/// The `[[outcomes]]` entry for column `c`, with its kind guessed from its answers.
fn outcome_entry(c: &Profile, why: &str) -> String {
    let head = format!("[[outcomes]]  # {why}\ncolumn = {}\n", quote(&c.name));
    let range = c.range();
    if let (true, Some((lo, hi))) = (c.whole(), range) {
        if lo >= 0.0 && hi <= 10.0 && hi > 6.0 && c.named(&["recommend", "likely", "nps", "ltr"]) {
            return format!("{head}kind = \"nps\"  # whole numbers 0–10: promoters 9–10, detractors 0–6\n");
        }
        if c.distinct.len() > 2 && hi - lo >= 3.0 && hi <= 11.0 {
            let kind = if c.named(&["effort", "ces", "easy"]) { "ces" } else { "csat" };
            return format!("{head}kind = \"{kind}\"\nscale = {{ min = {lo}, max = {hi} }}  # the answers seen\n");
        }
    }
    if c.distinct.len() == 2 {
        let answers: Vec<&String> = c.distinct.iter().collect();
        let positive = answers.iter().find(|a| POSITIVE_WORDS.contains(&a.trim().to_lowercase().as_str()));
        let listed = answers.iter().map(|a| quote(a)).collect::<Vec<_>>().join(" and ");
        return match positive {
            Some(p) => format!(
                "{head}kind = \"binary\"  # two answers: {listed}\npositive = [{}]  # the one that reads as good news: check\n",
                quote(p)
            ),
            None => format!(
                "{head}kind = \"binary\"  # two answers: {listed}\n# positive = [\"…\"]  # which is good news? set it here or pass --positive\n"
            ),
        };
    }
    match c.numbers {
        Some(_) => format!("{head}kind = \"numeric\"  # numbers, not on a rating scale\n"),
        None => format!(
            "{head}kind = \"binary\"  # text answers ({}): say which are good news\n# positive = [\"…\"]\n",
            examples(c)
        ),
    }
}

/// The rating scale most whole-number columns share: the top most of them reach (codes
/// such as 98 and 99 aside), from 1, or from 0 when 0 is a common answer (a 0–10 scale)
/// rather than a rare "not applicable".
fn common_scale(columns: &[&Profile]) -> Option<(f64, f64)> {
    let mut tops: std::collections::BTreeMap<i64, usize> = Default::default();
    let mut zero_based = false;
    for c in columns {
        let xs = c.numbers.as_ref()?;
        let core: Vec<f64> = xs.iter().copied().filter(|x| (0.0..90.0).contains(x)).collect();
        let (Some(lo), Some(hi)) = (core.iter().copied().reduce(f64::min), core.iter().copied().reduce(f64::max))
        else {
            continue;
        };
        if hi > 11.0 || hi - lo < 2.0 {
            continue;
        }
        let zeros = core.iter().filter(|x| **x == 0.0).count();
        zero_based |= zeros * 10 >= core.len();
        *tops.entry(hi as i64).or_default() += 1;
    }
    let (hi, _) = tops.into_iter().max_by_key(|&(hi, n)| (n, hi))?;
    Some((if zero_based { 0.0 } else { 1.0 }, hi as f64))
}

fn examples(c: &Profile) -> String {
    let first: Vec<&str> = c.distinct.iter().take(3).map(String::as_str).collect();
    format!("{}{}", first.join(", "), if c.distinct.len() > 3 { ", …" } else { "" })
}

/// A header as a display label: `wait_time` → "Wait time".
fn label(column: &str) -> String {
    let spaced = column.replace(['_', '.'], " ");
    let mut chars = spaced.trim().chars();
    chars.next().map(|f| f.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// A TOML basic string: quotes, backslashes and control characters escaped, whatever the
/// header holds.
fn quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn shell_quote(s: &str) -> String {
    if s.chars().all(|c| c.is_ascii_alphanumeric() || "/._-".contains(c)) {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_become_quarters_and_the_scale_starts_at_one() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("d.csv");
        std::fs::write(
            &data,
            "id,date,store,q1,q2,q3,ltr\n1,2025-01-05,A,3,4,5,9\n2,2025-02-11,B,2,2,3,6\n3,2025-04-20,A,5,5,4,10\n\
             4,2025-05-02,B,1,2,2,3\n5,2025-07-15,A,4,4,4,8\n6,2025-08-30,B,3,3,2,7\n",
        )
        .unwrap();
        let draft = init(&data, None, None).unwrap();
        for line in [
            "id = \"id\"",
            "wave = \"date\"",
            "wave_period = \"quarter\"",
            "segments = [\"store\"]",
            "min = 1\nmax = 5",
            "column = \"ltr\"\nkind = \"nps\"",
        ] {
            assert!(draft.text.contains(line), "{line:?} not in\n{}", draft.text);
        }
        assert_eq!(draft.text.matches("[[drivers]]").count(), 3);
        // What it wrote is a survey.toml the report reads.
        let spec = crate::schema::settings::Settings::from_file(&draft.path).unwrap();
        assert_eq!(spec.resolve(true).unwrap().drivers.len(), 3);
    }

    #[test]
    fn labels_and_quotes() {
        assert_eq!(label("wait_time"), "Wait time");
        assert_eq!(label("Departure/Arrival time convenient"), "Departure/Arrival time convenient");
        assert_eq!(quote("a \"b\"\nc"), "\"a \\\"b\\\"\\nc\"");
        assert_eq!(shell_quote("a b/survey.toml"), "'a b/survey.toml'");
        // What it writes is TOML that reads back as the header.
        let header = "x \"y\" \\ z\u{7}\nw";
        let parsed: toml::Value = toml::from_str(&format!("k = {}", quote(header))).unwrap();
        assert_eq!(parsed["k"].as_str(), Some(header));
    }
}
