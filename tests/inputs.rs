//! Real-world exports that must load with no flag, inputs that must be refused with one
//! clear line, and property tests that no input makes the loader or config parser panic.

mod common;

use std::io::Write;

use common::{fails, folder, json, keydriver, p, Command};
use proptest::prelude::*;
use serde_json::Value;

/// The reference survey: ratings a (with a decimal), b, a text column; NPS in a second file.
const RATINGS: &str =
    "id,a,b,comment\n1,5.5,7,fine\n2,6,5,ok\n3,9,9,great\n4,3,4,slow\n5,8,6,ok\n6,7,8,good\n7,2,3,bad\n8,10,9,superb\n";
const NPS: &str = "id,ltr\n1,6\n2,5\n3,9\n4,2\n5,10\n6,8\n7,1\n8,10\n";

fn drivers_json(ratings_name: &str, ratings: &[u8], extra: &[&str]) -> Value {
    drivers_json_with(ratings_name, ratings, NPS, extra)
}

/// As `drivers_json`, with another NPS file (the dialect flags apply to both files).
fn drivers_json_with(ratings_name: &str, ratings: &[u8], nps: &str, extra: &[&str]) -> Value {
    let dir = folder(&[(ratings_name, ratings), ("nps.csv", nps.as_bytes())]);
    json(
        keydriver()
            .args(["drivers", "--data", &p(&dir, ratings_name), "--nps", &p(&dir, "nps.csv")])
            .args(["--id", "id", "--target", "ltr", "--drivers", "a,b", "--format", "json"])
            .args(extra),
    )
}

fn reference() -> Value {
    drivers_json("ratings.csv", RATINGS.as_bytes(), &[])
}

/// Same survey, same numbers.
fn same_as_reference(got: Value) {
    let want = reference();
    assert_eq!(got["n_used"], 8);
    for key in ["r2", "n_used", "n_dropped"] {
        assert_eq!(got[key], want[key], "{key}");
    }
    assert_eq!(got["drivers"], want["drivers"]);
}

// ---- exports that load with no flag ----

#[test]
fn utf8_bom() {
    let bytes = [b"\xef\xbb\xbf".as_slice(), RATINGS.as_bytes()].concat();
    same_as_reference(drivers_json("ratings.csv", &bytes, &[]));
}

#[test]
fn crlf_line_endings() {
    same_as_reference(drivers_json("ratings.csv", RATINGS.replace('\n', "\r\n").as_bytes(), &[]));
}

/// Excel in most of Europe: `;` between fields, `,` as the decimal mark.
fn european() -> String {
    RATINGS.replace(',', ";").replace("5.5", "5,5")
}

#[test]
fn semicolon_and_decimal_comma_detected() {
    same_as_reference(drivers_json("ratings.csv", european().as_bytes(), &[]));
}

#[test]
fn separator_and_decimal_comma_flags_override_detection() {
    let nps = NPS.replace(',', ";");
    same_as_reference(drivers_json_with(
        "ratings.csv",
        european().as_bytes(),
        &nps,
        &["--separator", ";", "--decimal-comma"],
    ));
    // Forcing the wrong separator proves the flag is used: the file then has one column.
    let dir = folder(&[("ratings.csv", european().as_bytes()), ("nps.csv", NPS.as_bytes())]);
    fails(
        keydriver().args(["drivers", "--data", &p(&dir, "ratings.csv"), "--nps", &p(&dir, "nps.csv")]).args([
            "--id",
            "id",
            "--target",
            "ltr",
            "--drivers",
            "a,b",
            "--separator",
            "|",
        ]),
        1,
        &["ratings.csv", "no column \"id\""],
    );
}

#[test]
fn decimal_comma_off_in_config_is_honoured() {
    let dir = folder(&[
        ("ratings.csv", european().as_bytes()),
        ("nps.csv", NPS.as_bytes()),
        ("survey.toml", b"ratings = \"ratings.csv\"\nnps = \"nps.csv\"\nid = \"id\"\ntarget = \"ltr\"\n[csv]\ndecimal_comma = false\n[[drivers]]\ncolumn = \"a\"\n[[drivers]]\ncolumn = \"b\"\n"),
    ]);
    fails(
        keydriver().args(["drivers", "--config", &p(&dir, "survey.toml")]),
        1,
        &["ratings.csv", "column \"a\"", "row 1", "\"5,5\" is not a number"],
    );
}

#[test]
fn quoted_fields_with_separators_inside() {
    let quoted = RATINGS.replace("fine", "\"fine, quick\"").replace("slow", "\"slow; \"\"very\"\" slow\"");
    same_as_reference(drivers_json("ratings.csv", quoted.as_bytes(), &[]));
}

/// A Qualtrics export: names, question texts, import ids, then data.
fn qualtrics() -> String {
    let mut lines = RATINGS.lines();
    let header = lines.next().unwrap();
    let rest: Vec<&str> = lines.collect();
    format!(
        "{header}\n\"Response ID\",\"How satisfied are you with A?\",\"And with B?\",\"Comments\"\n\"{{\"\"ImportId\"\":\"\"_recordId\"\"}}\",\"{{\"\"ImportId\"\":\"\"QID1\"\"}}\",\"{{\"\"ImportId\"\":\"\"QID2\"\"}}\",\"{{\"\"ImportId\"\":\"\"QID3_TEXT\"\"}}\"\n{}\n",
        rest.join("\n")
    )
}

#[test]
fn qualtrics_three_header_rows_detected() {
    same_as_reference(drivers_json("ratings.csv", qualtrics().as_bytes(), &[]));
}

#[test]
fn header_rows_flag() {
    let nps3 = NPS.replacen('\n', "\n\"Response ID\",\"How likely…?\"\n\"{}\",\"{}\"\n", 1);
    same_as_reference(drivers_json_with("ratings.csv", qualtrics().as_bytes(), &nps3, &["--header-rows", "3"]));
    // Two header rows where the second is not all text: not detectable, so the flag is needed.
    let two = RATINGS.replacen('\n', "\n-,scale 1-10,scale 1-10,free text\n", 1);
    let nps2 = NPS.replacen('\n', "\n-,scale 0-10\n", 1);
    same_as_reference(drivers_json_with("ratings.csv", two.as_bytes(), &nps2, &["--header-rows", "2"]));
}

#[test]
fn parquet() {
    use polars::prelude::*;
    let mut df = df!(
        "id" => [1i64, 2, 3, 4, 5, 6, 7, 8],
        "a" => [5.5f64, 6.0, 9.0, 3.0, 8.0, 7.0, 2.0, 10.0],
        "b" => [7i32, 5, 9, 4, 6, 8, 3, 9],
    )
    .unwrap();
    let mut bytes = Vec::new();
    ParquetWriter::new(&mut bytes).finish(&mut df).unwrap();
    same_as_reference(drivers_json("ratings.parquet", &bytes, &[]));
}

#[test]
fn gzip_compressed_csv() {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(RATINGS.as_bytes()).unwrap();
    same_as_reference(drivers_json("ratings.csv.gz", &gz.finish().unwrap(), &[]));
}

#[test]
fn non_latin_column_names_and_labels_reach_the_report() {
    let ratings = RATINGS.replace("id,a,b,comment", "id,χρόνος_αναμονής,качество,σχόλιο");
    let dir = folder(&[
        ("ratings.csv", ratings.as_bytes()),
        ("nps.csv", NPS.as_bytes()),
        (
            "survey.toml",
            "ratings = \"ratings.csv\"\nnps = \"nps.csv\"\nid = \"id\"\ntarget = \"ltr\"\n[[drivers]]\ncolumn = \"χρόνος_αναμονής\"\nlabel = \"Χρόνος αναμονής\"\n[[drivers]]\ncolumn = \"качество\"\nlabel = \"Качество\"\n"
                .as_bytes(),
        ),
    ]);
    let v = json(keydriver().args(["drivers", "--config", &p(&dir, "survey.toml"), "--format", "json"]));
    let want = reference();
    assert_eq!(v["r2"], want["r2"]);
    let labels: Vec<&str> = v["drivers"].as_array().unwrap().iter().map(|d| d["label"].as_str().unwrap()).collect();
    assert!(labels.contains(&"Χρόνος αναμονής") && labels.contains(&"Качество"));
    let out = dir.path().join("out");
    let run = keydriver()
        .args(["report", "--config", &p(&dir, "survey.toml"), "--out", &out.display().to_string()])
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let md = std::fs::read_to_string(out.join("ratings/report.md")).unwrap();
    assert!(md.contains("| Качество |") || md.contains("Качество"));
}

// ---- inputs refused with one line and a non-zero exit ----

fn drivers_cmd(ratings: &str, nps: &str, extra: &[&str]) -> (tempfile::TempDir, Command) {
    let dir = folder(&[("ratings.csv", ratings.as_bytes()), ("nps.csv", nps.as_bytes())]);
    let mut c = keydriver();
    c.args(["drivers", "--data", &p(&dir, "ratings.csv"), "--nps", &p(&dir, "nps.csv")])
        .args(["--id", "id", "--target", "ltr", "--drivers", "a,b"])
        .args(extra);
    (dir, c)
}

#[test]
fn empty_file() {
    let (_d, mut c) = drivers_cmd("", NPS, &[]);
    fails(&mut c, 1, &["ratings.csv", "is empty"]);
}

#[test]
fn header_only() {
    let (_d, mut c) = drivers_cmd(RATINGS, "id,ltr\n", &[]);
    fails(&mut c, 1, &["nps.csv", "no data rows"]);
}

#[test]
fn missing_id_target_or_driver_column_suggests_the_closest() {
    let (_d, mut c) = drivers_cmd(RATINGS, NPS, &["--id", "ID_"]);
    fails(&mut c, 1, &["ratings.csv", "no column \"ID_\"", "respondent id", "did you mean \"id\"?"]);
    let (_d, mut c) = drivers_cmd(RATINGS, NPS, &["--target", "lt"]);
    fails(&mut c, 1, &["nps.csv", "no column \"lt\"", "outcome", "did you mean \"ltr\"?"]);
    let (_d, mut c) = drivers_cmd(RATINGS, NPS, &["--drivers", "a,bb"]);
    fails(&mut c, 1, &["ratings.csv", "no column \"bb\"", "driver", "did you mean \"b\"?"]);
}

/// Each refusal below is checked on the rows held in memory (all methods) and in the
/// streamed pass (`--method shapley`: moments only), which must say the same.
const PATHS: [&[&str]; 2] = [&[], &["--method", "shapley"]];

#[test]
fn text_in_a_rating_column() {
    for path in PATHS {
        let (_d, mut c) = drivers_cmd(&RATINGS.replace("4,3,4", "4,three,4"), NPS, path);
        fails(&mut c, 1, &["ratings.csv", "column \"a\"", "row 4", "\"three\" is not a number"]);
    }
}

#[test]
fn no_rows_left_after_the_join() {
    for path in PATHS {
        let (_d, mut c) = drivers_cmd(RATINGS, "id,ltr\n101,5\n102,9\n", path);
        fails(&mut c, 1, &["no respondent id appears in both", "ratings.csv", "nps.csv"]);
    }
}

#[test]
fn repeated_id_in_the_streamed_pass() {
    let (_d, mut c) = drivers_cmd(&RATINGS.replace("\n7,", "\n3,"), NPS, &["--method", "shapley"]);
    fails(&mut c, 1, &["ratings.csv", "column \"id\"", "row 7", "appears a second time"]);
}

/// The bundled example as a folder of Parquet files partitioned by quarter (the quarter
/// only in the folder names) and as gzip CSV: the streamed sums, the streamed drivers and
/// the in-memory drivers all equal those of the CSV files.
#[test]
fn parquet_folder_partitioned_by_quarter_and_gzip_equal_the_csv() {
    use polars::prelude::*;
    let dir = tempfile::tempdir().unwrap();
    let ratings = CsvReadOptions::default()
        .with_infer_schema_length(Some(0))
        .try_into_reader_with_file_path(Some("notebooks-data/ratings.csv".into()))
        .unwrap()
        .finish()
        .unwrap();
    let quarters = ratings.column("quarter").unwrap().str().unwrap().clone();
    for q in ["2025Q1", "2025Q2", "2025Q3", "2025Q4"] {
        let mut part = ratings.filter(&quarters.equal(q)).unwrap().drop("quarter").unwrap();
        let path = dir.path().join(format!("ratings/quarter={q}/part-0.parquet"));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        ParquetWriter::new(std::fs::File::create(&path).unwrap()).finish(&mut part).unwrap();
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&std::fs::read("notebooks-data/ratings.csv").unwrap()).unwrap();
    std::fs::write(dir.path().join("ratings.csv.gz"), gz.finish().unwrap()).unwrap();

    let run = |data: Option<&str>, args: &[&str]| -> Value {
        let mut c = keydriver();
        c.args(args).args(["--config", "notebooks-data/survey.toml"]);
        if let Some(d) = data {
            c.args(["--data", &dir.path().join(d).display().to_string()]);
        }
        json(&mut c)
    };
    let csv = run(None, &["moments"]);
    assert_eq!(run(Some("ratings"), &["moments"])["groups"], csv["groups"], "Parquet folder");
    assert_eq!(run(Some("ratings.csv.gz"), &["moments"])["groups"], csv["groups"], "gzip");
    // The folder holds the rows in another order (by quarter): sums agree to rounding.
    for method in ["shapley,relweights", "all"] {
        let args = ["drivers", "--format", "json", "--bootstrap", "0", "--method", method];
        let (a, b) = (run(None, &args), run(Some("ratings"), &args));
        common::close(&a["drivers"], &b["drivers"], method);
        assert_eq!(b["waves"].as_array().unwrap().len(), 4, "{method}");
    }
}

#[test]
fn all_drivers_constant() {
    let flat = "id,a,b\n1,5,5\n2,5,5\n3,5,5\n4,5,5\n5,5,5\n6,5,5\n7,5,5\n8,5,5\n";
    let (_d, mut c) = drivers_cmd(flat, NPS, &[]);
    fails(&mut c, 1, &["every driver is constant"]);
}

#[test]
fn fewer_complete_rows_than_the_model_needs() {
    let gappy = "id,a,b\n1,5,\n2,,5\n3,9,9\n4,3,\n5,,6\n6,7,8\n7,2,\n8,,9\n";
    let (_d, mut c) = drivers_cmd(gappy, NPS, &[]);
    fails(&mut c, 1, &["only 2 complete rows for 2 drivers", "at least 4"]);
}

#[test]
fn bad_weights() {
    let with_w = |w: [&str; 8]| {
        let mut s = String::from("id,a,b,w\n");
        for (line, wv) in RATINGS.lines().skip(1).zip(w) {
            let cells: Vec<&str> = line.split(',').take(3).collect();
            s += &format!("{},{wv}\n", cells.join(","));
        }
        s
    };
    let cases: [([&str; 8], &[&str]); 4] = [
        (["1", "1", "-2", "1", "1", "1", "1", "1"], &["column \"w\"", "row 3", "negative"]),
        (["0", "0", "0", "0", "0", "0", "0", "0"], &["column \"w\"", "sum to zero"]),
        (["1", "inf", "1", "1", "1", "1", "1", "1"], &["column \"w\"", "row 2", "not a finite number"]),
        (["1", "1", "1", "NaN", "1", "1", "1", "1"], &["column \"w\"", "row 4"]),
    ];
    for (w, says) in cases {
        let (_d, mut c) = drivers_cmd(&with_w(w), NPS, &["--weights", "w"]);
        let mut all = vec!["ratings.csv"];
        all.extend_from_slice(says);
        fails(&mut c, 1, &all);
    }
}

#[test]
fn survey_toml_with_unknown_key_or_wrong_type() {
    for (toml, says) in [
        ("ratings = \"r.csv\"\ntarget = \"ltr\"\ntarrget = \"x\"\n", "unknown field `tarrget`"),
        ("ratings = \"r.csv\"\ntarget = 5\n", "invalid type"),
        ("ratings = \"r.csv\"\n[scale]\nmin = \"one\"\nmax = 10\n", "invalid type"),
        ("ratings = \n", "survey.toml"),
    ] {
        let dir = folder(&[("survey.toml", toml.as_bytes())]);
        fails(keydriver().args(["nps", "--config", &p(&dir, "survey.toml")]), 2, &["survey.toml", says]);
    }
}

#[test]
fn interrupted_run_leaves_nothing_or_a_whole_report() {
    let out = tempfile::tempdir().unwrap();
    for delay_ms in [50u64, 300, 700] {
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("keydriver"))
            .args(["report", "--force", "--out", &out.path().display().to_string()])
            .stderr(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        std::process::Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
        let status = child.wait().unwrap();
        let entries: Vec<String> = std::fs::read_dir(out.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
            .collect();
        // Either it finished before the signal (a whole report) or it left nothing new.
        assert!(entries.iter().all(|e| e == "2025Q4"), "left behind: {entries:?} (status {status})");
        if status.success() || entries.contains(&"2025Q4".to_string()) {
            for f in ["report.md", "drivers.json", "nps.csv", "drivers.png"] {
                assert!(out.path().join("2025Q4").join(f).exists(), "{f} missing after {delay_ms} ms");
            }
        }
    }
}

// ---- nothing panics ----

fn no_panic<T>(r: std::thread::Result<T>) -> Result<(), TestCaseError> {
    prop_assert!(r.is_ok(), "panicked");
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, failure_persistence: None, ..ProptestConfig::default() })]

    /// Any bytes at all, as a ratings file: an error or a table, never a panic.
    #[test]
    fn loader_survives_random_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.csv");
        std::fs::write(&path, &bytes).unwrap();
        no_panic(std::panic::catch_unwind(|| {
            // With numeric columns named, so the fast path and its fallback both meet the bytes.
            let _ = keydriver::load::Table::read(&path, &Default::default(), &["a", "y"]);
        }))?;
    }

    /// Random CSV shapes with the expected columns: ragged rows, blanks, text, quotes,
    /// separators, extreme numbers, duplicate ids. The whole pipeline must answer.
    #[test]
    fn pipeline_survives_random_csv_shapes(
        rows in proptest::collection::vec(
            proptest::collection::vec(
                prop_oneof![
                    Just(String::new()), Just("99".to_string()), Just("x".to_string()),
                    Just("\"q,\"\"".to_string()), Just(";".to_string()), Just("1e308".to_string()),
                    Just("-0".to_string()), Just("NaN".to_string()), (0u8..12).prop_map(|v| v.to_string()),
                    (0u8..12).prop_map(|v| format!("{v}.5")),
                ],
                1..6,
            ),
            0..25,
        ),
        sep in prop_oneof![Just(','), Just(';'), Just('\t')],
        weighted in any::<bool>(),
    ) {
        let s = sep.to_string();
        let mut text = ["id", "a", "b", "ltr", "w"].join(&s) + "\n";
        for (i, r) in rows.iter().enumerate() {
            let mut cells = vec![(i % 7).to_string()];
            cells.extend(r.iter().cloned());
            text += &(cells.join(&s) + "\n");
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.csv");
        std::fs::write(&path, &text).unwrap();
        let spec = keydriver::schema::settings::Settings {
            ratings: Some(path),
            id: Some("id".into()),
            target: Some("ltr".into()),
            weight: weighted.then(|| "w".to_string()),
            wave: Some("a".into()),
            missing_codes: vec![99.0],
            drivers: ["a", "b"].iter().map(|c| keydriver::schema::settings::DriverSpec { column: c.to_string(), ..Default::default() }).collect(),
            ..Default::default()
        };
        let mut survey = spec.resolve(true).unwrap();
        survey.options.bootstrap = 0;
        no_panic(std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            if let Ok(responses) = keydriver::load::load(&survey) {
                let _ = keydriver::analyse_scores(&survey, &responses);
                let _ = keydriver::analyse_drivers(&survey, &responses);
            }
        })))?;
    }

    /// Any text as survey.toml: parsed or refused, never a panic.
    #[test]
    fn config_parser_survives_random_text(
        text in prop_oneof![
            ".{0,200}",
            proptest::collection::vec(
                prop_oneof![
                    Just("ratings = \"r.csv\"\n"), Just("[scale]\n"), Just("min = 1\n"), Just("max = \"x\"\n"),
                    Just("[[drivers]]\n"), Just("column = \"a\"\n"), Just("seed = -1\n"), Just("[csv]\n"),
                    Just("separator = \"ab\"\n"), Just("header_rows = 0\n"), Just("missing_codes = [99, \"x\"]\n"),
                ],
                0..12,
            ).prop_map(|parts| parts.concat()),
        ],
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("survey.toml");
        std::fs::write(&path, &text).unwrap();
        no_panic(std::panic::catch_unwind(|| {
            if let Ok(spec) = keydriver::schema::settings::Settings::from_file(&path) {
                let _ = spec.resolve(true);
            }
        }))?;
    }
}

/// The bundled example's drivers, and the flags that describe it without survey.toml.
const EXAMPLE_DRIVERS: &str =
    "wait_time,quality,flexibility,transparency,problem_solving,communication,expertise,follow_up";

/// `drivers --format json` on the example with `ratings` as the ratings file (and
/// notebooks-data/nps.csv as the outcome file), plus `extra` flags.
fn example_drivers(ratings: &str, extra: &[&str]) -> Value {
    json(
        keydriver()
            .args(["drivers", "--data", ratings, "--nps", "notebooks-data/nps.csv", "--id", "respondent_id"])
            .args(["--target", "likelihood_to_recommend", "--drivers", EXAMPLE_DRIVERS, "--wave", "quarter"])
            .args(["--by", "region,channel", "--format", "json"])
            .args(extra),
    )
}

/// Every number of two driver reports, pooled and per group, equal; labels (and the notes
/// that name drivers by them) aside.
fn same_numbers(a: &Value, b: &Value, path: &str) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for (k, v) in x {
                if k != "label" && k != "method_notes" {
                    same_numbers(v, &y[k], &format!("{path}.{k}"));
                }
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            assert_eq!(x.len(), y.len(), "{path}");
            for (i, (u, v)) in x.iter().zip(y).enumerate() {
                same_numbers(u, v, &format!("{path}[{i}]"));
            }
        }
        _ => assert_eq!(a, b, "{path}"),
    }
}

/// The example as an Excel workbook (tests/data/formats/make.py): the ratings on a second
/// sheet, some stored as text. With `--sheet` it gives exactly the CSV's results; the
/// first sheet (a note) is refused with the hint to pick a sheet; an unknown sheet names
/// the sheets.
#[test]
fn excel_workbook_gives_the_csv_results() {
    let csv = example_drivers("notebooks-data/ratings.csv", &["--missing-codes", "99"]);
    let xlsx = example_drivers("tests/data/formats/ratings.xlsx", &["--missing-codes", "99", "--sheet", "ratings"]);
    same_numbers(&xlsx, &csv, "xlsx");
    assert_eq!(xlsx["drivers"][0]["label"], "problem_solving");
    let cmd = |sheet: &[&str]| {
        let mut c = keydriver();
        c.args(["drivers", "--data", "tests/data/formats/ratings.xlsx", "--target", "ltr", "--drivers", "a,b"])
            .args(sheet);
        c
    };
    fails(&mut cmd(&["--sheet", "Sheet9"]), 2, &["ratings.xlsx", "no sheet \"Sheet9\"", "\"notes\", \"ratings\""]);
    fails(&mut cmd(&[]), 1, &["ratings.xlsx", "sheet \"notes\" has a header but no data rows", "--sheet"]);
}

/// The example as SPSS: the same numbers as the CSV with `--missing-codes 99`, though no
/// code is given (99 is declared user-missing in the file); the drivers take the file's
/// variable labels; region, coded 1–4, reads as its value labels.
#[test]
fn spss_file_gives_the_csv_results_with_its_labels_and_missing_values() {
    let csv = example_drivers("notebooks-data/ratings.csv", &["--missing-codes", "99"]);
    let sav = example_drivers("tests/data/formats/ratings.sav", &[]);
    same_numbers(&sav, &csv, "sav");
    assert_eq!(sav["drivers"][0]["label"], "Problem solving (SPSS)");
    let regions: Vec<&str> =
        sav["segments"]["region"].as_array().unwrap().iter().map(|g| g["group"].as_str().unwrap()).collect();
    assert_eq!(regions, ["East", "North", "South", "West"]);
    // A label in survey.toml or on the command line wins over the file's.
    let own = example_drivers("tests/data/formats/ratings.sav", &["--drivers", "wait_time=Waiting,quality"]);
    let labels: Vec<&str> = own["drivers"].as_array().unwrap().iter().map(|d| d["label"].as_str().unwrap()).collect();
    assert!(labels.contains(&"Waiting") && labels.contains(&"Quality (SPSS)"), "{labels:?}");
    // The report says which values the file declared missing, and how many cells.
    let out = tempfile::tempdir().unwrap();
    let run = keydriver()
        .args(["report", "--data", "tests/data/formats/ratings.sav", "--nps", "notebooks-data/nps.csv"])
        .args(["--id", "respondent_id", "--target", "likelihood_to_recommend", "--drivers", EXAMPLE_DRIVERS])
        .args(["--bootstrap", "0", "--out", &out.path().display().to_string()])
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let md = std::fs::read_to_string(out.path().join("ratings/report.md")).unwrap();
    // The note is data-derived text, so markdown-escaped (`wait\_time` reads wait_time).
    assert!(md.contains("declares user-missing values, set to missing: wait\\_time 99 (52 cells)"), "{md}");
}

/// A damaged workbook or SPSS file is one line naming the file.
#[test]
fn corrupt_excel_or_spss_is_one_line() {
    for (file, says) in [("corrupt.xlsx", "not a readable Excel"), ("corrupt.sav", "not a readable SPSS file")] {
        let path = format!("tests/data/formats/{file}");
        fails(keydriver().args(["drivers", "--data", &path, "--target", "y", "--drivers", "a"]), 1, &[file, says]);
    }
}

/// A Qualtrics-style workbook (names, then a row of question wording, then data) loads
/// with no flag, the extra header row detected as in CSV, and joins to a CSV.
#[test]
fn excel_with_an_extra_header_row() {
    same_as_reference(drivers_json("export.xlsx", include_bytes!("data/formats/qualtrics.xlsx"), &[]));
}

/// Waves from dates in a file the streamed pass reads in two batches: the first batch's
/// dates (04/03/2025) could be either order, only the last rows (03/15/2025) say month
/// first.
/// Every batch must read them as the whole column says, as the in-memory loader does:
/// 04/03/2025 is 3 April (2025Q2), not 4 March.
#[test]
fn streamed_pass_reads_slash_dates_as_the_whole_column_says() {
    let mut csv = String::from("id,date,a,b,ltr\n");
    for i in 0..100_000 {
        let date = if i < 99_000 { "04/03/2025" } else { "03/15/2025" };
        csv += &format!("{i},{date},{},{},{}\n", 1 + i % 7, 1 + (i * 3) % 10, i % 11);
    }
    assert!(csv.len() > 2 << 20, "two batches of 2 MiB");
    let dir = folder(&[("survey.csv", csv.as_bytes())]);
    let args = ["--data", &p(&dir, "survey.csv"), "--target", "ltr", "--drivers", "a,b", "--wave", "date"];
    let moments = json(keydriver().arg("moments").args(args).args(["--wave-period", "quarter"]));
    let n = |wave: &str| {
        let g = moments["groups"].as_array().unwrap().iter().find(|g| g["by"] == "date" && g["group"] == wave);
        g.map_or(0, |g| g["n"].as_u64().unwrap())
    };
    assert_eq!((n("2025Q1"), n("2025Q2")), (1_000, 99_000));
}

// ---- exports as they come: text and yes/no outcomes, codes by role, a drafted config ----

const AIRLINE: &str = "tests/data/airline/airline.csv";
const SERVICES: &str = "Inflight wifi service,Departure/Arrival time convenient,Ease of Online booking,\
Gate location,Food and drink,Online boarding,Seat comfort,Inflight entertainment,On-board service,\
Leg room service,Baggage handling,Checkin service,Inflight service,Cleanliness";

/// R's values for the airline fixture (tests/data/airline/reference.R: lm on the 0/1
/// coding over all 2^14 subsets, glm for the odds ratios).
fn airline_reference() -> Value {
    serde_json::from_str(&std::fs::read_to_string("tests/data/airline/reference.json").unwrap()).unwrap()
}

fn assert_matches_r(drivers: &Value, scores: &Value) {
    let r = airline_reference();
    assert_eq!(drivers["n_used"], r["n_used"]);
    assert!((drivers["r2"].as_f64().unwrap() - r["r2"].as_f64().unwrap()).abs() < 1e-12);
    for want in r["drivers"].as_array().unwrap() {
        let got = drivers["drivers"].as_array().unwrap().iter().find(|d| d["name"] == want["name"]).unwrap();
        let (g, w) = (got["shapley"].as_f64().unwrap(), want["shapley"].as_f64().unwrap());
        assert!((g - w).abs() < 1e-12, "{}: Shapley {g} vs R {w}", want["name"]);
        let (g, w) = (got["positive_odds_ratio"].as_f64().unwrap(), want["positive_odds_ratio"].as_f64().unwrap());
        assert!((g - w).abs() < 1e-6 * w, "{}: odds ratio {g} vs R {w}", want["name"]);
    }
    let overall = &scores["overall"];
    assert!((overall["score"].as_f64().unwrap() - r["score"].as_f64().unwrap()).abs() < 1e-9);
    assert!((overall["se"].as_f64().unwrap() - r["se"].as_f64().unwrap()).abs() < 1e-9);
}

fn read_json(path: &std::path::Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn airline_export_in_one_command_equals_r() {
    let out = tempfile::tempdir().unwrap();
    let run = keydriver()
        .args(["report", "--data", AIRLINE, "--target", "satisfaction", "--positive", "satisfied"])
        .args(["--drivers", SERVICES, "--segments", "Customer Type,Type of Travel,Class"])
        .args(["--missing-codes", "0", "--scale-min", "1", "--scale-max", "5", "--bootstrap", "0"])
        .args(["--out", &out.path().display().to_string()])
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    // No wave: the report is named and titled after the data file.
    let dir = out.path().join("airline");
    assert_matches_r(&read_json(&dir.join("drivers.json")), &read_json(&dir.join("binary.json")));
    let md = std::fs::read_to_string(dir.join("report.md")).unwrap();
    assert!(md.starts_with("# Key-driver report — airline"), "{}", &md[..80]);
    assert!(md.contains("% satisfied: share of answers that are “satisfied”"), "the headline is worded by its label");
    assert!(md.contains("**65.9%**"), "the headline is a share");
    // Drivers whose mean rating is within noise of the average are in no quadrant.
    assert!(
        md.contains("*On the line* (a mean rating that cannot be told from the average at 95%, so in no quadrant; drawn hollow): Online boarding, Food and drink."),
        "{md}"
    );
    assert!(!md.contains(
        "Fix first** (more important than average, rated below average): Inflight wifi service, Online boarding"
    ));
}

/// The streaming pass codes a text outcome as the loader does: its sums give R's values.
#[test]
fn airline_moments_give_the_same_drivers() {
    let flags = ["--target", "satisfaction", "--positive", "satisfied", "--drivers", SERVICES, "--missing-codes", "0"];
    let out = keydriver().args(["moments", "--data", AIRLINE]).args(flags).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let dir = folder(&[("m.json", &out.stdout)]);
    let v = json(keydriver().args(["drivers", "--from-moments", &p(&dir, "m.json"), "--format", "json"]).args(flags));
    let r = airline_reference();
    assert_eq!(v["n_used"], r["n_used"]);
    for want in r["drivers"].as_array().unwrap() {
        let got = v["drivers"].as_array().unwrap().iter().find(|d| d["name"] == want["name"]).unwrap();
        assert!((got["shapley"].as_f64().unwrap() - want["shapley"].as_f64().unwrap()).abs() < 1e-12);
    }
}

#[test]
fn init_drafts_the_airline_survey_and_its_report_equals_r() {
    let dir = folder(&[("airline.csv", &std::fs::read(AIRLINE).unwrap())]);
    let run = keydriver().args(["init", &p(&dir, "airline.csv")]).output().unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let stdout = String::from_utf8_lossy(&run.stdout).to_string();
    assert!(stdout.contains("keydriver report --config"), "{stdout}");
    let toml = std::fs::read_to_string(dir.path().join("survey.toml")).unwrap();
    for guess in [
        "id = \"id\"",
        "segments = [\"Gender\", \"Customer Type\", \"Type of Travel\", \"Class\"]",
        "missing_codes = [0]",
        "min = 1\nmax = 5",
        "column = \"satisfaction\"\nkind = \"binary\"",
        "positive = [\"satisfied\"]",
        "column = \"Departure/Arrival time convenient\"",
        "# column 1 has no name",
    ] {
        assert!(toml.contains(guess), "survey.toml lacks {guess:?}:\n{toml}");
    }
    // Age and flight distance are numbers, not ratings on the scale.
    assert!(!toml.contains("column = \"Age\"") && !toml.contains("Flight Distance"), "{toml}");
    assert_eq!(toml.matches("[[drivers]]").count(), 14);
    // The report runs on the draft as it is.
    let out = tempfile::tempdir().unwrap();
    let run = keydriver()
        .args(["report", "--config", &p(&dir, "survey.toml"), "--bootstrap", "0"])
        .args(["--out", &out.path().display().to_string()])
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let report = out.path().join("airline");
    assert_matches_r(&read_json(&report.join("drivers.json")), &read_json(&report.join("binary.json")));
    // A draft is never written over a survey.toml.
    fails(keydriver().args(["init", &p(&dir, "airline.csv")]), 3, &["survey.toml already exists"]);
}

/// Drops every `label` field and the notes that name drivers: the draft labels drivers
/// from their headers.
fn without_labels(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.remove("label");
            m.remove("method_notes");
            m.values_mut().for_each(without_labels);
        }
        Value::Array(a) => a.iter_mut().for_each(without_labels),
        _ => {}
    }
}

#[test]
fn init_on_the_bundled_example_gives_the_shipped_reports_numbers() {
    let file = |n: &str| std::fs::read(format!("notebooks-data/{n}")).unwrap();
    let dir = folder(&[
        ("ratings.csv", &file("ratings.csv")),
        ("nps.csv", &file("nps.csv")),
        ("benchmarks.csv", &file("benchmarks.csv")),
        ("costs.csv", &file("costs.csv")),
    ]);
    let run = keydriver().args(["init", &p(&dir, "ratings.csv"), "--nps", &p(&dir, "nps.csv")]).output().unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let out = tempfile::tempdir().unwrap();
    let report = |config: &str, name: &str| {
        let run = keydriver()
            .args(["report", "--config", config, "--bootstrap", "0", "--name", name])
            .args(["--out", &out.path().display().to_string()])
            .output()
            .unwrap();
        assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
        out.path().join(name)
    };
    let drafted = report(&p(&dir, "survey.toml"), "drafted");
    let shipped = report("notebooks-data/survey.toml", "shipped");
    for file in ["drivers.json", "nps.json", "drivers-satisfaction.json", "csat-satisfaction.json", "nps.csv"] {
        if file.ends_with(".csv") {
            let read = |d: &std::path::Path| std::fs::read_to_string(d.join(file)).unwrap();
            assert_eq!(read(&drafted), read(&shipped), "{file}");
            continue;
        }
        let (mut a, mut b) = (read_json(&drafted.join(file)), read_json(&shipped.join(file)));
        without_labels(&mut a);
        without_labels(&mut b);
        common::close(&a, &b, file);
    }
}

/// A yes/no outcome coded 0/1 in a survey where 0 also means "not applicable" in the
/// ratings: the ratings' code leaves the outcome alone; the outcome's own code is its own.
const RENEWALS: &str = "id,a,b,renewed\n1,5,0,1\n2,3,4,0\n3,4,5,1\n4,0,2,0\n5,2,2,0\n6,5,4,1\n7,1,3,0\n8,4,4,1\n\
9,3,0,1\n10,2,1,0\n11,5,5,1\n12,1,2,0\n";

#[test]
fn missing_codes_belong_to_their_role() {
    let dir = folder(&[("r.csv", RENEWALS.as_bytes())]);
    let drivers = |extra: &[&str]| {
        let mut c = keydriver();
        c.args(["drivers", "--data", &p(&dir, "r.csv"), "--drivers", "a,b", "--target", "renewed"])
            .args(["--positive", "1", "--missing-codes", "0", "--format", "json"])
            .args(extra);
        c
    };
    // 12 respondents, 3 with a 0 rating: 9 complete, their renewals 0 and 1 both kept.
    let v = json(&mut drivers(&[]));
    assert_eq!((v["n_used"].as_u64(), v["outcome"].as_str()), (Some(9), Some("binary")));
    // The outcome's own code 0 removes every "not renewed": the error says so.
    fails(
        &mut drivers(&["--outcome-missing-codes", "0"]),
        1,
        &["the outcome's missing codes (0) removed 6 answers of \"renewed\"", "--outcome-missing-codes"],
    );
}

#[test]
fn text_answers_are_read_as_their_numbers() {
    // Qualtrics "choice text": the ends of the scale carry words, the rest are numbers.
    let ratings = "id,a,b\n1,5,7\n2,6,5\n3,9,9\n4,3,4\n5,8,6\n6,7,8\n7,2,3\n8,10,9\n";
    let ltr = "id,ltr\n1,6\n2,5\n3,9 - Very likely\n4,0 - Not at all likely\n5,10 - Extremely likely\n6,8\n7,1\n\
8,10 - Extremely likely\n";
    let words = drivers_json_with("r.csv", ratings.as_bytes(), ltr, &[]);
    assert_eq!(words["n_used"], 8);
    // The same as writing the numbers alone.
    let plain = "id,ltr\n1,6\n2,5\n3,9\n4,0\n5,10\n6,8\n7,1\n8,10\n";
    let plain = drivers_json_with("r.csv", ratings.as_bytes(), plain, &[]);
    common::close(&words["drivers"], &plain["drivers"], "drivers");

    // SurveyMonkey words with a map in survey.toml, on a driver and on the outcome.
    let words = "id,a,b,sat\n1,Poor,2,Very satisfied\n2,Fair,3,Satisfied\n3,Good,4,Very satisfied\n\
4,Poor,1,Dissatisfied\n5,Excellent,5,Very satisfied\n6,Fair,2,Neutral\n7,Good,3,Satisfied\n8,Poor,2,Dissatisfied\n";
    let toml = "ratings = \"w.csv\"\nid = \"id\"\n[[outcomes]]\ncolumn = \"sat\"\nkind = \"csat\"\n\
values = { \"Very dissatisfied\" = 1, \"Dissatisfied\" = 2, \"Neutral\" = 3, \"Satisfied\" = 4, \"Very satisfied\" = 5 }\n\
[[drivers]]\ncolumn = \"a\"\nvalues = { \"poor\" = 1, \"fair\" = 2, \"good\" = 3, \"excellent\" = 4 }\n\
[[drivers]]\ncolumn = \"b\"\n";
    let dir = folder(&[("w.csv", words.as_bytes()), ("survey.toml", toml.as_bytes())]);
    let v = json(keydriver().args(["drivers", "--config", &p(&dir, "survey.toml"), "--format", "json"]));
    let coded = "id,a,b,sat\n1,1,2,5\n2,2,3,4\n3,3,4,5\n4,1,1,2\n5,4,5,5\n6,2,2,3\n7,3,3,4\n8,1,2,2\n";
    let dir2 = folder(&[("w.csv", coded.as_bytes())]);
    let want = json(
        keydriver().args(["drivers", "--data", &p(&dir2, "w.csv"), "--target", "sat", "--outcome", "csat"]).args([
            "--drivers",
            "a,b",
            "--format",
            "json",
        ]),
    );
    common::close(&v["drivers"], &want["drivers"], "mapped drivers");
    // An answer outside the map: file, column, row and the allowed answers.
    let bad = words.replace("6,Fair,2,Neutral", "6,Fair,2,Meh");
    std::fs::write(dir.path().join("w.csv"), bad).unwrap();
    fails(
        keydriver().args(["drivers", "--config", &p(&dir, "survey.toml")]),
        1,
        &["w.csv", "column \"sat\", row 6", "\"Meh\"", "\"Neutral\" = 3"],
    );
}

#[test]
fn binary_answers_are_checked() {
    let data = "id,a,b,churn\n1,5,7,stayed\n2,6,5,left\n3,9,9,stayed\n4,3,4,Left\n5,8,6,stayed\n6,7,8,left \n\
7,2,3,left\n8,10,9,stayed\n";
    let dir = folder(&[("c.csv", data.as_bytes())]);
    let cmd = |positive: &str, extra: &[&str]| {
        let mut c = keydriver();
        c.args(["nps", "--data", &p(&dir, "c.csv"), "--target", "churn", "--positive", positive, "--format", "json"])
            .args(extra);
        c
    };
    // Case and spaces do not matter: 4 of 8 stayed.
    let v = json(&mut cmd("stayed", &[]));
    assert_eq!(v["overall"]["score"].as_f64(), Some(50.0));
    assert_eq!(v["metric"], "% stayed");
    // A typo is not silently negative.
    let typo = data.replace("7,2,3,left", "7,2,3,lfet");
    std::fs::write(dir.path().join("c.csv"), typo).unwrap();
    fails(&mut cmd("stayed", &[]), 1, &["column \"churn\", row 7", "\"lfet\" is a third answer", "negative"]);
    // A positive answer the column never holds: the answers it does hold are listed.
    std::fs::write(dir.path().join("c.csv"), data).unwrap();
    fails(&mut cmd("renewed", &[]), 1, &["no answer is positive (\"renewed\")", "\"stayed\", \"left\""]);
}

/// The bundled example read by polars into frames (as a notebook holds them) and passed to
/// `Responses::from_frames` gives the files' analysis: every driver table, pooled and by
/// wave and segment, and every headline. A bad cell in a frame is an error naming the
/// frame, the column and the row.
#[test]
fn frames_in_memory_give_the_files_results() {
    use polars::prelude::*;
    let read = |path: &str| {
        CsvReadOptions::default()
            .with_has_header(true)
            .try_into_reader_with_file_path(Some(path.into()))
            .unwrap()
            .finish()
            .unwrap()
    };
    let mut survey = keydriver::Settings::from_file(std::path::Path::new("notebooks-data/survey.toml"))
        .unwrap()
        .resolve(true)
        .unwrap();
    survey.options.bootstrap = 0;
    let tables = |a: &keydriver::Analysis| -> Vec<Value> {
        a.outcomes
            .iter()
            .flat_map(|o| {
                let d = o.drivers.as_ref().unwrap();
                let report =
                    keydriver::analysis::DriverReport { table: d, groups: &o.groups, whatif: o.whatif.as_ref() };
                [serde_json::to_value(&report).unwrap(), serde_json::to_value(&o.scores).unwrap()]
            })
            .collect()
    };
    let from_files = keydriver::analyse(&survey, &keydriver::load::load(&survey).unwrap()).unwrap();
    let (ratings, nps) = (read("notebooks-data/ratings.csv"), read("notebooks-data/nps.csv"));
    let frames = keydriver::Responses::from_frames(&survey, ratings.clone(), Some(nps.clone())).unwrap();
    let from_frames = keydriver::analyse(&survey, &frames).unwrap();
    for (a, b) in tables(&from_files).iter().zip(&tables(&from_frames)) {
        common::close(a, b, "frames");
    }
    assert_eq!(from_frames.load.ratings_file, "ratings frame");

    // Row 3's wait time as text.
    let text = ratings.column("wait_time").unwrap().cast(&DataType::String).unwrap();
    let mut cells: Vec<Option<String>> = text.str().unwrap().iter().map(|v| v.map(String::from)).collect();
    cells[2] = Some("excellent".into());
    let mut bad = ratings.clone();
    bad.with_column(Column::new("wait_time".into(), cells)).unwrap();
    let e = keydriver::Responses::from_frames(&survey, bad, Some(nps)).err().unwrap().to_string();
    assert!(e.contains("ratings frame") && e.contains("\"wait_time\"") && e.contains("row 3"), "{e}");
}
