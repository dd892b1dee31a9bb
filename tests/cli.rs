//! End-to-end tests of the `keydriver` command and the library's load step, on small
//! files written into temporary folders (and, for the ranking, on the bundled example).

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::{fails, keydriver, p, Command};
use serde_json::Value;

/// Writes text files into a fresh temp folder.
fn folder(files: &[(&str, &str)]) -> tempfile::TempDir {
    let bytes: Vec<(&str, &[u8])> = files.iter().map(|(n, t)| (*n, t.as_bytes())).collect();
    common::folder(&bytes)
}

const RATINGS: &str = "\
id,quarter,region,a,b
1,2025Q1,N,5,7
2,2025Q1,S,6,5
3,2025Q2,N,9,9
4,2025Q2,S,3,4
5,2025Q2,N,8,6
6,2025Q1,S,7,8
7,2025Q2,N,2,3
";
const NPS: &str = "\
id,ltr
3,9
4,2
5,10
6,8
7,1
1,6
8,10
9,7
";

fn drivers_cmd(dir: &tempfile::TempDir) -> Command {
    let mut c = keydriver();
    c.args(["drivers", "--data", &p(dir, "ratings.csv"), "--nps", &p(dir, "nps.csv")])
        .args(["--id", "id", "--target", "ltr", "--drivers", "a,b"]);
    c
}

#[test]
fn join_counts_unmatched_on_each_side() {
    let dir = folder(&[("ratings.csv", RATINGS), ("nps.csv", NPS)]);
    let spec = keydriver::spec::Spec {
        ratings: Some(dir.path().join("ratings.csv")),
        nps: Some(dir.path().join("nps.csv")),
        id: Some("id".into()),
        target: Some("ltr".into()),
        ..Default::default()
    };
    let survey = spec.resolve(false).unwrap();
    let r = keydriver::load::load(&survey).unwrap();
    // ratings ids 1–7, NPS ids 1,3–9: matched 1,3,4,5,6,7; ratings-only 2; NPS-only 8,9.
    assert_eq!((r.report.ratings_rows, r.report.nps_rows), (7, Some(8)));
    assert_eq!(r.report.matched, 6);
    assert_eq!((r.report.unmatched_ratings, r.report.unmatched_nps), (1, 2));
    // The join keeps the ratings order and pairs each score with its respondent.
    assert_eq!(r.target(), vec![Some(6.0), Some(9.0), Some(2.0), Some(10.0), Some(8.0), Some(1.0)]);
}

#[test]
fn drivers_json_contract() {
    let dir = folder(&[("ratings.csv", RATINGS), ("nps.csv", NPS)]);
    let out = drivers_cmd(&dir).args(["--format", "json"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["target"], "ltr");
    assert_eq!(v["n_used"], 6);
    assert_eq!(v["n_dropped"], 0);
    let r2 = v["r2"].as_f64().unwrap();
    assert!(r2 > 0.0 && r2 <= 1.0);
    let drivers = v["drivers"].as_array().unwrap();
    assert_eq!(drivers.len(), 2);
    for (i, d) in drivers.iter().enumerate() {
        assert_eq!(d["rank"], i + 1);
        assert!(d["name"].is_string() && d["corr"].is_f64());
    }
}

#[test]
fn nps_command_by_segment_matches_hand_count() {
    let dir = folder(&[("ratings.csv", RATINGS), ("nps.csv", NPS)]);
    let out = keydriver()
        .args(["nps", "--data", &p(&dir, "ratings.csv"), "--nps", &p(&dir, "nps.csv")])
        .args(["--id", "id", "--score", "ltr", "--by", "region", "--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    // Matched scores: 6, 9, 2, 10, 8, 1 → 2 promoters, 1 passive, 3 detractors: NPS −16.67.
    assert!((v["overall"]["nps"].as_f64().unwrap() + 100.0 / 6.0).abs() < 1e-9);
    // Region N: ids 1,3,5,7 → 6, 9, 10, 1 → 2 P, 2 D → 0. Region S: ids 4,6 → 2, 8 → −50.
    let rows = v["breakdowns"][0]["rows"].as_array().unwrap();
    assert_eq!(rows[0]["group"], "N");
    assert!((rows[0]["nps"].as_f64().unwrap()).abs() < 1e-9);
    assert!((rows[1]["nps"].as_f64().unwrap() + 50.0).abs() < 1e-9);
}

#[test]
fn nps_csv_and_table_formats() {
    let dir = folder(&[("ratings.csv", RATINGS), ("nps.csv", NPS)]);
    let out = keydriver()
        .args(["nps", "--data", &p(&dir, "ratings.csv"), "--nps", &p(&dir, "nps.csv")])
        .args(["--id", "id", "--score", "ltr", "--format", "csv"])
        .output()
        .unwrap();
    let csv = String::from_utf8(out.stdout).unwrap();
    assert!(csv.starts_with("by,group,n,n_eff,promoters"), "{csv}");
    assert!(csv.contains("\nall,all,6,"), "{csv}");
    let out = drivers_cmd(&dir).output().unwrap();
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(table.lines().next().unwrap().contains("rank"), "{table}");
}

#[test]
fn weighted_nps_through_the_command() {
    let ratings = "id,w\n1,2\n2,2\n3,1\n4,1\n";
    let nps = "id,ltr\n1,10\n2,0\n3,8\n4,9\n";
    let dir = folder(&[("ratings.csv", ratings), ("nps.csv", nps)]);
    let out = keydriver()
        .args(["nps", "--data", &p(&dir, "ratings.csv"), "--nps", &p(&dir, "nps.csv")])
        .args(["--id", "id", "--score", "ltr", "--weights", "w", "--format", "json"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    // As in nps::tests::weighted_by_hand: NPS 16.67, n_eff 3.6.
    assert!((v["overall"]["nps"].as_f64().unwrap() - 100.0 / 6.0).abs() < 1e-9);
    assert!((v["overall"]["n_eff"].as_f64().unwrap() - 3.6).abs() < 1e-9);
}

// ---- loader errors: one line, file + column + row, exit 1 ----

#[test]
fn duplicate_id_is_refused() {
    let dir = folder(&[("ratings.csv", "id,a,b\n1,5,5\n2,6,6\n1,7,7\n"), ("nps.csv", NPS)]);
    fails(&mut drivers_cmd(&dir), 1, &["ratings.csv", "\"id\"", "duplicate", "\"1\" (rows 1 and 3)"]);
}

#[test]
fn rating_outside_scale_is_refused_unless_a_missing_code() {
    let dir = folder(&[("ratings.csv", "id,a,b\n1,5,5\n2,6,6\n3,7,11\n4,8,9\n5,2,3\n6,4,6\n7,9,8\n"), ("nps.csv", NPS)]);
    fails(
        drivers_cmd(&dir).args(["--scale-min", "1", "--scale-max", "10"]),
        1,
        &["ratings.csv", "column \"b\"", "row 3", "outside the scale 1–10"],
    );
    let out = drivers_cmd(&dir)
        .args(["--scale-min", "1", "--scale-max", "10", "--missing-codes", "11", "--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((v["n_used"].as_u64(), v["n_dropped"].as_u64()), (Some(5), Some(1)));
}

#[test]
fn nps_outside_0_to_10_or_fractional_is_refused() {
    for (bad, shows) in [("11", "found 11"), ("7.5", "found 7.5"), ("-1", "found -1")] {
        let nps = format!("id,ltr\n1,5\n2,{bad}\n3,9\n");
        let dir = folder(&[("ratings.csv", RATINGS), ("nps.csv", &nps)]);
        fails(&mut drivers_cmd(&dir), 1, &["nps.csv", "column \"ltr\"", "row 2", "0–10", shows]);
    }
}

#[test]
fn unknown_column_suggests_the_closest() {
    let dir = folder(&[("ratings.csv", RATINGS), ("nps.csv", NPS)]);
    fails(
        drivers_cmd(&dir).args(["--drivers", "a,qaurter_x,b"]),
        1,
        &["ratings.csv", "no column \"qaurter_x\"", "driver"],
    );
    fails(
        keydriver().args(["drivers", "--data", &p(&dir, "ratings.csv"), "--nps", &p(&dir, "nps.csv")]).args([
            "--id", "id", "--target", "LTR", "--drivers", "a,b",
        ]),
        1,
        &["nps.csv", "no column \"LTR\"", "did you mean \"ltr\"?"],
    );
}

#[test]
fn unreadable_file_is_refused() {
    let dir = folder(&[("nps.csv", NPS)]);
    fails(&mut drivers_cmd(&dir), 1, &["ratings.csv", "cannot read"]);
}

#[test]
fn missing_required_setting_is_a_usage_error() {
    let dir = folder(&[("ratings.csv", RATINGS)]);
    fails(
        keydriver().args(["drivers", "--data", &p(&dir, "ratings.csv"), "--drivers", "a,b"]),
        2,
        &["no target", "--target"],
    );
}

// ---- the report ----

fn report_cmd(out: &Path) -> Command {
    let mut c = keydriver();
    c.args(["report", "--out", &out.display().to_string()]);
    c
}

fn is_png(path: PathBuf) -> bool {
    fs::read(&path).map(|b| b.starts_with(b"\x89PNG\r\n\x1a\n") && b.len() > 10_000).unwrap_or(false)
}

#[test]
fn report_end_to_end_then_refuses_to_overwrite() {
    let out = tempfile::tempdir().unwrap();
    let run = report_cmd(out.path()).output().unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let dir = out.path().join("2025Q4");
    let md = fs::read_to_string(dir.join("report.md")).unwrap();
    for needle in ["# Key-driver report — 2025Q4", "seed 20251231", "matched on `respondent_id`", "### By quarter", "### By region", "(nps_by_wave.png)", "(drivers.png)"] {
        assert!(md.contains(needle), "report.md lacks {needle:?}");
    }
    assert!(is_png(dir.join("nps_by_wave.png")) && is_png(dir.join("drivers.png")));
    let drivers: Value = serde_json::from_str(&fs::read_to_string(dir.join("drivers.json")).unwrap()).unwrap();
    assert!(drivers["n_used"].as_u64().unwrap() > 3000);
    // Nothing else is left in the output folder (no staging folder).
    assert_eq!(fs::read_dir(out.path()).unwrap().count(), 1);

    // A second run must not touch the first report.
    let marker = dir.join("report.md");
    fs::write(&marker, "analyst's edits").unwrap();
    fails(&mut report_cmd(out.path()), 3, &["2025Q4", "already exists", "--force"]);
    assert_eq!(fs::read_to_string(&marker).unwrap(), "analyst's edits");
    assert_eq!(fs::read_dir(out.path()).unwrap().count(), 1);

    // With --force it is replaced, whole.
    let run = report_cmd(out.path()).arg("--force").output().unwrap();
    assert!(run.status.success());
    assert!(fs::read_to_string(&marker).unwrap().starts_with("# Key-driver report"));
    assert_eq!(fs::read_dir(out.path()).unwrap().count(), 1);
}

#[test]
fn failed_run_writes_nothing() {
    let out = tempfile::tempdir().unwrap();
    fails(
        report_cmd(out.path()).args(["--drivers", "wait_time,nonexistent"]),
        1,
        &["ratings.csv", "nonexistent"],
    );
    assert_eq!(fs::read_dir(out.path()).unwrap().count(), 0);
}

/// The example data was generated from known weights (notebooks-data/README.md):
/// the ranking must recover the order of the strongest four.
#[test]
fn example_ranking_recovers_true_driver_order() {
    let out = keydriver()
        .args(["drivers", "--config", "notebooks-data/survey.toml", "--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> = v["drivers"].as_array().unwrap().iter().map(|d| d["name"].as_str().unwrap()).collect();
    let truth: Vec<&str> = keydriver::simulate::TRUE_WEIGHTS.iter().map(|w| w.0).collect();
    assert_eq!(names[..4], truth[..4], "ranking {names:?}");
}

#[test]
fn pairwise_deletion_uses_more_rows_and_says_so() {
    let listwise = keydriver()
        .args(["drivers", "--config", "notebooks-data/survey.toml", "--format", "json", "--method", "shapley,relweights"])
        .output()
        .unwrap();
    let pairwise = keydriver()
        .args(["drivers", "--config", "notebooks-data/survey.toml", "--format", "json", "--method", "shapley,relweights"])
        .args(["--missing", "pairwise"])
        .output()
        .unwrap();
    let (l, p): (Value, Value) =
        (serde_json::from_slice(&listwise.stdout).unwrap(), serde_json::from_slice(&pairwise.stdout).unwrap());
    assert_eq!(l["missing"], "listwise");
    assert_eq!(p["missing"], "pairwise");
    assert_eq!(p["correlation_matrix"], "as computed");
    let (ln, pn) = (l["rows_used"]["correlation_matrix"].as_u64().unwrap(), p["rows_used"]["correlation_matrix"].as_u64().unwrap());
    assert_eq!(ln, l["n_used"].as_u64().unwrap());
    assert!(pn > ln + 500, "pairwise {pn} vs listwise {ln}");
    let sum: f64 = p["drivers"].as_array().unwrap().iter().map(|d| d["shapley"].as_f64().unwrap()).sum();
    assert!((sum - p["r2"].as_f64().unwrap()).abs() < 1e-12);
}
