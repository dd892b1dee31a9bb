//! CSV: for spreadsheets. RFC 4180 quoting; arrays are `;`-joined in one cell.

use serde::Serialize;

pub fn render<T: Serialize>(rows: &[T]) -> String {
    let (header, cells) = super::records(rows);
    let mut out = String::new();
    for row in std::iter::once(&header).chain(&cells) {
        let line: Vec<String> = row.iter().map(|c| quote(c)).collect();
        out.push_str(&line.join(","));
        out.push('\n');
    }
    out
}

fn quote(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    #[derive(serde::Serialize)]
    struct Row {
        name: &'static str,
        v: f64,
        by_size: Vec<f64>,
    }

    #[test]
    fn quotes_and_arrays() {
        let rows = [Row { name: "a, \"b\"", v: 0.5, by_size: vec![1.0, 2.5] }];
        assert_eq!(super::render(&rows), "name,v,by_size\n\"a, \"\"b\"\"\",0.5,1;2.5\n");
    }
}
