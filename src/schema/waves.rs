//! Survey waves in time order. Wave labels are periods written many ways (`2025Q1`,
//! `Q1 2025`, `2025-03`, `Mar 2025`, …): sorted as text, `Q4 2024` would come after
//! `Q1 2025` and the "latest" quarter would be wrong. Each label is parsed to a
//! [`Period`] and the waves sorted by it. A wave can also be derived from a date or
//! datetime column (the completion date survey platforms export).

use serde::{Deserialize, Serialize};

/// How long a wave is: `--wave-period`, `wave_period`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum PeriodKind {
    Year,
    Quarter,
    Month,
}

/// A calendar period: year, and quarter (1–4) or month (1–12) within it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Period {
    pub kind: PeriodKind,
    pub year: i32,
    /// Quarter or month number; 0 for a year.
    pub index: u32,
}

impl Period {
    /// The same period a year earlier, for year-on-year changes.
    pub fn year_earlier(self) -> Period {
        Period { year: self.year - 1, ..self }
    }

    /// The canonical label a derived wave gets: `2025`, `2025Q1` or `2025-03`.
    pub fn label(self) -> String {
        match self.kind {
            PeriodKind::Year => format!("{}", self.year),
            PeriodKind::Quarter => format!("{}Q{}", self.year, self.index),
            PeriodKind::Month => format!("{}-{:02}", self.year, self.index),
        }
    }

    /// The period of `kind` holding a calendar date.
    pub fn of_date(date: chrono::NaiveDate, kind: PeriodKind) -> Period {
        use chrono::Datelike;
        let index = match kind {
            PeriodKind::Year => 0,
            PeriodKind::Quarter => (date.month() - 1) / 3 + 1,
            PeriodKind::Month => date.month(),
        };
        Period { kind, year: date.year(), index }
    }
}

/// The ways a period label is written; all labels of one column must share one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spelling {
    /// `2025Q1`, `2025-Q1`, `2025 Q1`
    YearQuarter,
    /// `Q1 2025`, `Q1-2025`, `Q1-25`, `Q1 25`
    QuarterYear,
    /// `2025-03`, `2025/03`
    YearMonth,
    /// `Mar 2025`, `March 2025`, `Mar-25`
    MonthNameYear,
    /// `2025`
    Year,
}

impl Spelling {
    pub fn example(self) -> &'static str {
        match self {
            Spelling::YearQuarter => "2025Q1",
            Spelling::QuarterYear => "Q1 2025",
            Spelling::YearMonth => "2025-03",
            Spelling::MonthNameYear => "Mar 2025",
            Spelling::Year => "2025",
        }
    }
}

const MONTHS: [&str; 12] = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];

/// Parses one wave label; `None` when it is not a period keydriver recognises.
pub fn parse(label: &str) -> Option<(Period, Spelling)> {
    let s = label.trim();
    let year4 =
        |t: &str| (t.len() == 4 && t.bytes().all(|b| b.is_ascii_digit())).then(|| t.parse::<i32>().ok()).flatten();
    // A two-digit year is this century's, as every survey platform means it.
    let year = |t: &str| match t.len() {
        2 if t.bytes().all(|b| b.is_ascii_digit()) => t.parse::<i32>().ok().map(|y| 2000 + y),
        _ => year4(t),
    };
    let quarter = |t: &str| {
        let t = t.strip_prefix(['Q', 'q'])?;
        let q: u32 = t.parse().ok()?;
        (t.len() == 1 && (1..=4).contains(&q)).then_some(q)
    };
    let month_number = |t: &str| {
        let m: u32 = t.parse().ok()?;
        (t.len() == 2 && (1..=12).contains(&m)).then_some(m)
    };
    let month_name = |t: &str| {
        let t = t.to_ascii_lowercase();
        let i = MONTHS.iter().position(|m| t.len() >= 3 && t.starts_with(m))?;
        // "Mar" or "March", nothing else that merely starts alike.
        let full = chrono::Month::try_from(i as u8 + 1).ok()?.name().to_ascii_lowercase();
        (t.len() == 3 || t == full).then_some(i as u32 + 1)
    };
    let period = |kind, year, index| Period { kind, year, index };

    if let Some(y) = year4(s) {
        return Some((period(PeriodKind::Year, y, 0), Spelling::Year));
    }
    // 2025Q1 (no separator)
    if s.len() == 6 {
        if let (Some(y), Some(q)) = (year4(&s[..4]), s.get(4..).and_then(quarter)) {
            return Some((period(PeriodKind::Quarter, y, q), Spelling::YearQuarter));
        }
    }
    let parts: Vec<&str> = s.split(['-', ' ', '/', '_']).filter(|p| !p.is_empty()).collect();
    let [a, b] = parts[..] else { return None };
    if let (Some(y), Some(q)) = (year4(a), quarter(b)) {
        return Some((period(PeriodKind::Quarter, y, q), Spelling::YearQuarter));
    }
    if let (Some(q), Some(y)) = (quarter(a), year(b)) {
        return Some((period(PeriodKind::Quarter, y, q), Spelling::QuarterYear));
    }
    if let (Some(y), Some(m)) = (year4(a), month_number(b)) {
        return Some((period(PeriodKind::Month, y, m), Spelling::YearMonth));
    }
    if let (Some(m), Some(y)) = (month_name(a), year(b)) {
        return Some((period(PeriodKind::Month, y, m), Spelling::MonthNameYear));
    }
    None
}

/// The distinct wave labels of a column, in time order.
#[derive(Debug, Clone, Serialize)]
pub struct WaveOrder {
    /// Earliest first; the latest wave is the last.
    pub labels: Vec<String>,
    /// The period of each label, when every label is one.
    #[serde(skip)]
    pub periods: Option<Vec<Period>>,
    /// Why the order is the file's, when it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl WaveOrder {
    pub fn latest(&self) -> Option<&str> {
        self.labels.last().map(String::as_str)
    }

    /// The wave one year before `label`, if the data has it.
    pub fn year_earlier(&self, label: &str) -> Option<&str> {
        let periods = self.periods.as_ref()?;
        let i = self.labels.iter().position(|l| l == label)?;
        let want = periods[i].year_earlier();
        periods.iter().position(|p| *p == want).map(|k| self.labels[k].as_str())
    }
}

/// Orders the labels in `column` (in file order, repeats allowed) by time. Labels that
/// are all periods of one spelling sort by time; labels that are not periods keep their
/// first-seen order, with a note; one column mixing spellings is an error naming two.
pub fn order(column: &str, labels: &[&str]) -> Result<WaveOrder, String> {
    let mut distinct: Vec<&str> = Vec::new();
    for &l in labels {
        if !distinct.contains(&l) {
            distinct.push(l);
        }
    }
    if distinct.is_empty() {
        return Err(format!("column \"{column}\" names no wave: every cell is blank"));
    }
    let parsed: Vec<Option<(Period, Spelling)>> = distinct.iter().map(|l| parse(l)).collect();
    if let Some(i) = parsed.iter().position(Option::is_none) {
        return Ok(WaveOrder {
            labels: distinct.iter().map(|s| s.to_string()).collect(),
            periods: None,
            note: Some(format!(
                "wave \"{}\" in column \"{column}\" is not a period keydriver recognises (such as 2025Q1, Q1 2025, 2025-03, Mar 2025 or 2025), so the waves keep the order they first appear in the file",
                distinct[i]
            )),
        });
    }
    let parsed: Vec<(Period, Spelling)> = parsed.into_iter().flatten().collect();
    let (first_period, first_spelling) = parsed[0];
    if let Some(k) = parsed.iter().position(|(p, s)| *s != first_spelling || p.kind != first_period.kind) {
        return Err(format!(
            "column \"{column}\" mixes wave spellings: \"{}\" (like {}) and \"{}\" (like {}); write every wave the same way",
            distinct[0],
            first_spelling.example(),
            distinct[k],
            parsed[k].1.example()
        ));
    }
    let mut idx: Vec<usize> = (0..distinct.len()).collect();
    idx.sort_by_key(|&i| parsed[i].0);
    if let Some(w) = idx.windows(2).find(|w| parsed[w[0]].0 == parsed[w[1]].0) {
        return Err(format!(
            "column \"{column}\": \"{}\" and \"{}\" are the same period; write every wave the same way",
            distinct[w[0]], distinct[w[1]]
        ));
    }
    Ok(WaveOrder {
        labels: idx.iter().map(|&i| distinct[i].to_string()).collect(),
        periods: Some(idx.iter().map(|&i| parsed[i].0).collect()),
        note: None,
    })
}

/// Reads a date or datetime as survey platforms export it: ISO 8601 (`2025-03-15`,
/// `2025-03-15 10:22:01`, `2025-03-15T10:22:01Z`, with or without seconds or an offset),
/// or day-first / month-first with slashes (`15/03/2025`, `03/15/2025 10:22`).
/// `day_first` settles `dd/mm` against `mm/dd`; see [`slash_order`].
pub fn parse_date(text: &str, day_first: bool) -> Option<chrono::NaiveDate> {
    use chrono::{DateTime, NaiveDate, NaiveDateTime};
    let s = text.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Some(d.date_naive());
    }
    let slash = if day_first { "%d/%m/%Y" } else { "%m/%d/%Y" };
    for f in [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
    ] {
        if let Ok(d) = NaiveDateTime::parse_from_str(s, f) {
            return Some(d.date());
        }
    }
    for suffix in ["", " %H:%M:%S", " %H:%M"] {
        if let Ok(d) = NaiveDateTime::parse_from_str(s, &format!("{slash}{suffix}")) {
            return Some(d.date());
        }
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d").or_else(|_| NaiveDate::parse_from_str(s, slash)).ok()
}

/// Whether slash dates are day-first: yes if some first field exceeds 12 (15/03/2025),
/// no if some second field does (03/15/2025), and day-first (the ISO-world reading)
/// when no value settles it. `Err` when the column has both.
pub fn slash_order(values: &[&str]) -> Result<bool, String> {
    let mut order = SlashOrder::default();
    values.iter().for_each(|v| order.see(v));
    order.day_first()
}

/// The evidence [`slash_order`] weighs, gathered a value at a time (a streamed pass sees
/// the whole column before reading any date).
#[derive(Debug, Default)]
pub struct SlashOrder {
    day_first: Option<String>,
    month_first: Option<String>,
}

impl SlashOrder {
    pub fn see(&mut self, v: &str) {
        let mut it = v.trim().split('/');
        let fields = (it.next().and_then(|a| a.parse::<u32>().ok()), it.next().and_then(|b| b.parse::<u32>().ok()));
        if let (Some(a), Some(b)) = fields {
            if a > 12 && self.day_first.is_none() {
                self.day_first = Some(v.to_string());
            }
            if b > 12 && self.month_first.is_none() {
                self.month_first = Some(v.to_string());
            }
        }
    }

    pub fn day_first(&self) -> Result<bool, String> {
        match (&self.day_first, &self.month_first) {
            (Some(d), Some(m)) => {
                Err(format!("dates \"{d}\" (day first) and \"{m}\" (month first) cannot both be right"))
            }
            (None, Some(_)) => Ok(false),
            _ => Ok(true),
        }
    }
}

/// A report folder name made from data: no path separators, colons, control or other
/// characters some filesystem refuses; never empty, never `.` or `..`.
/// A report's default folder name: the latest wave, or without waves the data file's
/// name (`airline.csv` → `airline`), made safe for any filesystem.
pub fn report_name(waves: Option<&WaveOrder>, data: &std::path::Path) -> String {
    let stem = data.file_stem().map(|s| s.to_string_lossy().into_owned());
    safe_name(waves.and_then(WaveOrder::latest).or(stem.as_deref()).unwrap_or("report"))
}

pub fn safe_name(name: &str) -> String {
    let cleaned: String =
        name.chars().map(|c| if c.is_control() || "/\\:*?\"<>|".contains(c) { '_' } else { c }).collect();
    let trimmed = cleaned.trim().trim_matches('.').trim();
    if trimmed.is_empty() {
        "report".to_string()
    } else {
        trimmed.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ordered(labels: &[&str]) -> Vec<String> {
        order("wave", labels).unwrap().labels
    }

    #[test]
    fn every_spelling_sorts_by_time() {
        for (shuffled, want) in [
            (vec!["2025Q1", "2024Q4", "2025Q2"], vec!["2024Q4", "2025Q1", "2025Q2"]),
            (vec!["2025-Q1", "2024-Q4"], vec!["2024-Q4", "2025-Q1"]),
            (vec!["Q1 2025", "Q4 2024", "Q2 2025"], vec!["Q4 2024", "Q1 2025", "Q2 2025"]),
            (vec!["Q1-25", "Q4-24", "Q3-24"], vec!["Q3-24", "Q4-24", "Q1-25"]),
            (vec!["2025-03", "2024-12", "2025-01"], vec!["2024-12", "2025-01", "2025-03"]),
            (
                vec!["Mar 2025", "Dec 2024", "Jan 2025", "September 2024"],
                vec!["September 2024", "Dec 2024", "Jan 2025", "Mar 2025"],
            ),
            (vec!["2025", "2023", "2024"], vec!["2023", "2024", "2025"]),
        ] {
            assert_eq!(ordered(&shuffled), want, "{shuffled:?}");
        }
    }

    #[test]
    fn mixed_spellings_are_refused_naming_both() {
        let err = order("quarter", &["2025Q1", "Q2 2025"]).unwrap_err();
        assert!(err.contains("\"2025Q1\"") && err.contains("\"Q2 2025\"") && err.contains("quarter"), "{err}");
        assert!(order("quarter", &["2025Q1", "2025-03"]).is_err());
        assert!(order("quarter", &["2025", "2025Q1"]).is_err());
    }

    #[test]
    fn labels_that_are_no_period_keep_file_order_with_a_note() {
        let o = order("wave", &["spring", "autumn", "spring", "summer"]).unwrap();
        assert_eq!(o.labels, ["spring", "autumn", "summer"]);
        assert!(o.note.unwrap().contains("\"spring\""));
        assert!(o.periods.is_none());
    }

    #[test]
    fn year_earlier() {
        let o = order("q", &["2024Q3", "2025Q3", "2025Q2"]).unwrap();
        assert_eq!(o.year_earlier("2025Q3"), Some("2024Q3"));
        assert_eq!(o.year_earlier("2025Q2"), None);
        assert_eq!(o.latest(), Some("2025Q3"));
    }

    #[test]
    fn not_periods() {
        for s in ["Q5 2025", "2025Q0", "2025-13", "Marc 2025", "202", "Q1", "2025Q1x", ""] {
            assert!(parse(s).is_none(), "{s}");
        }
    }

    #[test]
    fn dates_in_platform_formats() {
        let d = |s: &str, df: bool| parse_date(s, df).map(|d| d.to_string());
        assert_eq!(d("2025-03-15 10:22:01", true).as_deref(), Some("2025-03-15"));
        assert_eq!(d("2025-03-15T10:22:01Z", true).as_deref(), Some("2025-03-15"));
        assert_eq!(d("2025-03-15T10:22:01+02:00", true).as_deref(), Some("2025-03-15"));
        assert_eq!(d("2025-03-15", true).as_deref(), Some("2025-03-15"));
        assert_eq!(d("15/03/2025", true).as_deref(), Some("2025-03-15"));
        assert_eq!(d("03/15/2025 10:22", false).as_deref(), Some("2025-03-15"));
        assert_eq!(d("yesterday", true), None);
        assert_eq!(slash_order(&["01/02/2025", "15/03/2025"]), Ok(true));
        assert_eq!(slash_order(&["01/02/2025", "03/15/2025"]), Ok(false));
        assert!(slash_order(&["15/03/2025", "03/15/2025"]).is_err());
    }

    #[test]
    fn folder_names_are_safe() {
        assert_eq!(safe_name("2025/Q1"), "2025_Q1");
        assert_eq!(safe_name("Q1: 2025"), "Q1_ 2025");
        assert_eq!(safe_name("a\u{7}b"), "a_b");
        assert_eq!(safe_name(".."), "report");
        assert_eq!(safe_name("Q1 2025"), "Q1 2025");
    }
}
