//! Detects the CSV dialect the way data.table's `fread` and DuckDB's sniffer do: try each
//! candidate separator on the first lines and keep the one that splits them into the same,
//! largest number of fields. Also finds extra header rows (a Qualtrics export has three:
//! names, question texts, import ids) and decimal commas (Excel in most of Europe).

use crate::schema::settings::CsvOptions;

/// The dialect a CSV file was read with; written into the report so it can be checked.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Dialect {
    pub separator: char,
    pub decimal_comma: bool,
    pub header_rows: usize,
}

const CANDIDATES: [char; 4] = [',', ';', '\t', '|'];
const SAMPLE_LINES: usize = 60;

/// Fills in whatever `given` leaves open from the text itself.
pub fn sniff(text: &str, given: &CsvOptions) -> Dialect {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).take(SAMPLE_LINES).collect();
    let separator = given.separator.unwrap_or_else(|| guess_separator(&lines));
    let rows: Vec<Vec<String>> = lines.iter().map(|l| split_line(l, separator)).collect();
    let decimal_comma = given
        .decimal_comma
        .unwrap_or_else(|| separator != ',' && rows.iter().skip(1).flatten().any(|f| is_decimal_comma(f)));
    let header_rows = given.header_rows.unwrap_or_else(|| 1 + extra_header_rows(&rows, decimal_comma));
    Dialect { separator, decimal_comma, header_rows: header_rows.max(1) }
}

fn guess_separator(lines: &[&str]) -> char {
    let mut best = (',', 0usize, 0usize); // (separator, consistent lines, fields)
    for sep in CANDIDATES {
        let counts: Vec<usize> = lines.iter().map(|l| split_line(l, sep).len()).collect();
        let Some(&first) = counts.first() else { continue };
        if first < 2 {
            continue;
        }
        let consistent = counts.iter().filter(|&&c| c == first).count();
        if (consistent, first) > (best.1, best.2) {
            best = (sep, consistent, first);
        }
    }
    best.0
}

/// Splits one line on `sep`, honouring double quotes (enough for sniffing; polars parses).
pub fn split_line(line: &str, sep: char) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                chars.next();
                fields.last_mut().unwrap().push('"');
            }
            '"' => quoted = !quoted,
            c if c == sep && !quoted => fields.push(String::new()),
            c => fields.last_mut().unwrap().push(c),
        }
    }
    fields
}

fn is_decimal_comma(field: &str) -> bool {
    let f = field.trim();
    let Some((a, b)) = f.split_once(',') else { return false };
    let a = a.strip_prefix('-').unwrap_or(a);
    !a.is_empty() && !b.is_empty() && a.bytes().all(|c| c.is_ascii_digit()) && b.bytes().all(|c| c.is_ascii_digit())
}

/// Parses a number as written in the file's dialect. Blank means missing.
pub fn parse_number(field: &str, decimal_comma: bool) -> Option<Result<f64, ()>> {
    let f = field.trim();
    if f.is_empty() {
        return None;
    }
    let parsed = if decimal_comma && f.contains(',') { f.replace(',', ".").parse::<f64>() } else { f.parse::<f64>() };
    Some(parsed.map_err(|_| ()))
}

/// Rows after the first that are really headers: every column that is numeric further down
/// holds text in them (question wording, `{"ImportId":"QID1"}`). A data row with one bad
/// value does not qualify, so it is still reported as bad data rather than skipped.
pub(super) fn extra_header_rows(rows: &[Vec<String>], decimal_comma: bool) -> usize {
    const MAX_EXTRA: usize = 4;
    if rows.len() < 3 {
        return 0;
    }
    let width = rows[0].len();
    let is_num = |s: &str| matches!(parse_number(s, decimal_comma), Some(Ok(_)));
    // Columns that are numeric in the lower half of the sample.
    let tail = &rows[(rows.len() / 2).max(1 + MAX_EXTRA.min(rows.len() - 2))..];
    let numeric: Vec<usize> = (0..width)
        .filter(|&c| {
            let cells: Vec<&str> =
                tail.iter().filter_map(|r| r.get(c).map(String::as_str)).filter(|s| !s.trim().is_empty()).collect();
            !cells.is_empty() && cells.iter().all(|s| is_num(s))
        })
        .collect();
    if numeric.len() < 2 {
        return 0;
    }
    rows[1..]
        .iter()
        .take(MAX_EXTRA)
        .take_while(|r| numeric.iter().all(|&c| r.get(c).is_some_and(|s| !s.trim().is_empty() && !is_num(s))))
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sniff_default(text: &str) -> Dialect {
        sniff(text, &CsvOptions::default())
    }

    #[test]
    fn comma_file() {
        let d = sniff_default("id,a,b\n1,2,3\n2,3,4\n");
        assert_eq!((d.separator, d.decimal_comma, d.header_rows), (',', false, 1));
    }

    #[test]
    fn semicolon_with_decimal_comma() {
        let d = sniff_default("id;a;b\n1;2,5;3\n2;3;4\n");
        assert_eq!((d.separator, d.decimal_comma), (';', true));
    }

    #[test]
    fn quoted_separators_do_not_count() {
        let d = sniff_default("id;name;a\n1;\"x; y\";2\n2;\"z; w\";3\n");
        assert_eq!(d.separator, ';');
        assert_eq!(split_line("1;\"x; y\";2", ';'), vec!["1", "x; y", "2"]);
    }

    #[test]
    fn qualtrics_three_header_rows() {
        let text = "id,q1,q2\n\"Respondent\",\"How was the wait?\",\"Quality?\"\n\"{\"\"ImportId\"\":\"\"r\"\"}\",\"{\"\"ImportId\"\":\"\"QID1\"\"}\",\"{\"\"ImportId\"\":\"\"QID2\"\"}\"\n1,5,6\n2,7,8\n3,1,2\n";
        assert_eq!(sniff_default(text).header_rows, 3);
    }

    #[test]
    fn one_bad_first_row_is_not_a_header() {
        let text = "id,q1,q2\n1,abc,6\n2,7,8\n3,1,2\n4,4,4\n";
        assert_eq!(sniff_default(text).header_rows, 1);
    }

    #[test]
    fn given_options_win() {
        let given = CsvOptions { separator: Some('|'), decimal_comma: Some(false), header_rows: Some(2), sheet: None };
        let d = sniff_default("a;b\n1;2\n");
        assert_eq!(d.separator, ';');
        assert_eq!(sniff("a;b\n1;2\n", &given), Dialect { separator: '|', decimal_comma: false, header_rows: 2 });
    }
}
