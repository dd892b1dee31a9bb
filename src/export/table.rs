//! Aligned text table for the terminal; numbers rounded to 4 significant decimals.

use serde::Serialize;

pub fn render<T: Serialize>(rows: &[T]) -> String {
    let (header, cells) = super::records(rows);
    let cells: Vec<Vec<String>> = cells.into_iter().map(|r| r.into_iter().map(|c| round(&c)).collect()).collect();
    let widths: Vec<usize> = (0..header.len())
        .map(|i| {
            std::iter::once(&header[i]).chain(cells.iter().map(|r| &r[i])).map(|s| s.chars().count()).max().unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in std::iter::once(&header).chain(&cells) {
        let line: Vec<String> = row.iter().zip(&widths).map(|(c, &w)| format!("{c:>w$}")).collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out
}

fn round(cell: &str) -> String {
    match cell.parse::<f64>() {
        Ok(x) if cell.contains('.') || cell.contains('e') => format!("{x:.4}"),
        _ => cell.to_string(),
    }
}
