//! polars frames: for a notebook or another program that wants the tables as data. The
//! columns are those of the CSV (nested fields as `parent.field`), each typed from its
//! values: whole numbers Int64, other numbers Float64, text String, flags Boolean, lists
//! of numbers List(Float64). A field a row lacks, or a number JSON cannot hold (NaN), is
//! null.

use polars::prelude::*;
use serde::Serialize;
use serde_json::Value;

use crate::error::{Error, Result};

pub fn render<T: Serialize>(rows: &[T]) -> Result<DataFrame> {
    let (header, cells) = super::fields(rows);
    let columns = header
        .iter()
        .enumerate()
        .map(|(c, name)| column(name, &cells.iter().map(|row| row[c].as_ref()).collect::<Vec<_>>()))
        .collect::<Vec<Column>>();
    DataFrame::new(rows.len(), columns).map_err(|e| Error::Data(format!("cannot build the table as a frame: {e}")))
}

/// A cell's value, null or absent as `None`.
fn get<'a>(c: &Option<&'a Value>) -> Option<&'a Value> {
    c.filter(|v| !v.is_null())
}

/// One column, typed by the values it holds (nulls aside).
fn column(name: &str, cells: &[Option<&Value>]) -> Column {
    let present = || cells.iter().filter_map(get);
    let name = PlSmallStr::from(name);
    let all = |f: fn(&Value) -> bool| present().all(f);
    if present().next().is_none() {
        return Column::full_null(name, cells.len(), &DataType::Null);
    }
    if all(|v| v.is_i64() || v.is_u64()) {
        Column::new(name, cells.iter().map(|c| get(c).and_then(Value::as_i64)).collect::<Vec<_>>())
    } else if all(Value::is_number) {
        Column::new(name, cells.iter().map(|c| get(c).and_then(Value::as_f64)).collect::<Vec<_>>())
    } else if all(Value::is_boolean) {
        Column::new(name, cells.iter().map(|c| get(c).and_then(Value::as_bool)).collect::<Vec<_>>())
    } else if all(|v| v.as_array().is_some_and(|a| a.iter().all(|x| x.is_number() || x.is_null()))) {
        let lists: Vec<Option<Series>> = cells
            .iter()
            .map(|c| {
                get(c)
                    .and_then(Value::as_array)
                    .map(|a| Series::new(PlSmallStr::EMPTY, a.iter().map(Value::as_f64).collect::<Vec<Option<f64>>>()))
            })
            .collect();
        let mut list: ListChunked = lists.into_iter().collect();
        list.rename(name);
        list.into_series().into_column()
    } else {
        // Mixed types: each cell as the CSV writes it.
        Column::new(name, cells.iter().map(|c| get(c).map(super::cell)).collect::<Vec<Option<String>>>())
    }
}

#[cfg(test)]
mod tests {
    use polars::prelude::*;

    #[derive(serde::Serialize)]
    struct Inner {
        low: f64,
    }

    #[derive(serde::Serialize)]
    struct Row {
        name: &'static str,
        n: usize,
        v: f64,
        flag: bool,
        by_size: Vec<f64>,
        ci: Inner,
        #[serde(skip_serializing_if = "Option::is_none")]
        note: Option<&'static str>,
    }

    #[test]
    fn columns_are_the_csv_columns_typed_by_their_values() {
        let rows = [
            Row { name: "a", n: 3, v: 0.5, flag: true, by_size: vec![1.0, 2.5], ci: Inner { low: 0.25 }, note: None },
            Row {
                name: "b",
                n: 4,
                v: f64::NAN,
                flag: false,
                by_size: vec![],
                ci: Inner { low: -1.0 },
                note: Some("x"),
            },
        ];
        let df = super::render(&rows).unwrap();
        let names: Vec<&str> = df.get_column_names().into_iter().map(|s| s.as_str()).collect();
        assert_eq!(names, ["name", "n", "v", "flag", "by_size", "ci.low", "note"]);
        assert_eq!(df.column("n").unwrap().dtype(), &DataType::Int64);
        let v: Vec<Option<f64>> = df.column("v").unwrap().f64().unwrap().iter().collect();
        assert_eq!(v, [Some(0.5), None]);
        assert_eq!(df.column("flag").unwrap().bool().unwrap().get(1), Some(false));
        assert_eq!(df.column("ci.low").unwrap().f64().unwrap().get(1), Some(-1.0));
        let first = df.column("by_size").unwrap().list().unwrap().get_as_series(0).unwrap();
        assert_eq!(first.f64().unwrap().iter().collect::<Vec<_>>(), [Some(1.0), Some(2.5)]);
        let note: Vec<Option<&str>> = df.column("note").unwrap().str().unwrap().iter().collect();
        assert_eq!(note, [None, Some("x")]);
    }
}
