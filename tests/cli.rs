//! End-to-end tests of the `keydriver` command and the library's load step, on small
//! files written into temporary folders (and, for the ranking, on the bundled example).

mod common;

use std::fs;
use std::path::Path;

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
    c.args(["drivers", "--data", &p(dir, "ratings.csv"), "--nps", &p(dir, "nps.csv")]).args([
        "--id",
        "id",
        "--target",
        "ltr",
        "--drivers",
        "a,b",
    ]);
    c
}

#[test]
fn join_counts_unmatched_on_each_side() {
    let dir = folder(&[("ratings.csv", RATINGS), ("nps.csv", NPS)]);
    let spec = keydriver::schema::settings::Settings {
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
    assert_eq!(
        r.answers(survey.main_outcome()),
        vec![Some(6.0), Some(9.0), Some(2.0), Some(10.0), Some(8.0), Some(1.0)]
    );
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
    // The mean rating and its standard error s/√n over the six matched respondents (ids
    // 1, 3–7), by hand: the quadrant's whiskers and its "on the line".
    for (name, ratings) in [("a", [5.0, 9.0, 3.0, 8.0, 7.0, 2.0]), ("b", [7.0, 9.0, 4.0, 6.0, 8.0, 3.0])] {
        let d = drivers.iter().find(|d| d["name"] == name).unwrap();
        let mean = ratings.iter().sum::<f64>() / 6.0;
        let var = ratings.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / 5.0;
        assert!((d["mean_rating"].as_f64().unwrap() - mean).abs() < 1e-12, "{d}");
        assert!((d["mean_rating_se"].as_f64().unwrap() - (var / 6.0).sqrt()).abs() < 1e-12, "{d}");
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

/// `--trend-by region` adds each region's NPS by wave (for the trend chart's lines), in
/// time order with changes; a column that is not a segment is refused.
#[test]
fn trend_by_segment_matches_hand_count() {
    let dir = folder(&[("ratings.csv", RATINGS), ("nps.csv", NPS)]);
    let cmd = |trend_by: &str| {
        let mut c = keydriver();
        c.args(["nps", "--data", &p(&dir, "ratings.csv"), "--nps", &p(&dir, "nps.csv"), "--id", "id"]).args([
            "--score",
            "ltr",
            "--wave",
            "quarter",
            "--by",
            "region",
            "--trend-by",
            trend_by,
            "--format",
            "json",
        ]);
        c
    };
    let v = common::json(&mut cmd("region"));
    assert_eq!(v["trend"]["by"], "region");
    let groups = v["trend"]["groups"].as_array().unwrap();
    let at = |g: usize, w: usize| (&groups[g]["waves"][w]["group"], groups[g]["waves"][w]["nps"].as_f64().unwrap());
    // N: Q1 id 1 (6) → −100; Q2 ids 3, 5, 7 (9, 10, 1) → (2 − 1)/3 = +33.3.
    // S: Q1 id 6 (8) → 0; Q2 id 4 (2) → −100.
    assert_eq!(groups[0]["group"], "N");
    let (q1, n1) = at(0, 0);
    let (q2, n2) = at(0, 1);
    assert_eq!((q1.as_str(), q2.as_str()), (Some("2025Q1"), Some("2025Q2")));
    assert!((n1 + 100.0).abs() < 1e-9 && (n2 - 100.0 / 3.0).abs() < 1e-9, "{n1} {n2}");
    assert!((groups[0]["waves"][1]["change"]["difference"].as_f64().unwrap() - 400.0 / 3.0).abs() < 1e-9);
    assert!(at(1, 0).1.abs() < 1e-9 && (at(1, 1).1 + 100.0).abs() < 1e-9);
    fails(&mut cmd("quarter"), 2, &["--trend-by quarter", "not a segment column", "region"]);
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
    // Repeats are found whether or not the outcome file holds the id (\"x\" it does not),
    // each named by its first row.
    let ratings = "id,a,b\nx,1,1\n1,5,5\n2,6,6\nx,2,2\n1,7,7\nx,3,3\n";
    let dir = folder(&[("ratings.csv", ratings), ("nps.csv", NPS)]);
    fails(
        &mut drivers_cmd(&dir),
        1,
        &["3 duplicate respondent id(s)", "\"x\" (rows 1 and 4)", "\"1\" (rows 2 and 5)", "\"x\" (rows 1 and 6)"],
    );
}

#[test]
fn rating_outside_scale_is_refused_unless_a_missing_code() {
    let dir =
        folder(&[("ratings.csv", "id,a,b\n1,5,5\n2,6,6\n3,7,11\n4,8,9\n5,2,3\n6,4,6\n7,9,8\n"), ("nps.csv", NPS)]);
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
            "--id",
            "id",
            "--target",
            "LTR",
            "--drivers",
            "a,b",
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
        &["no outcome given", "--target"],
    );
}

// ---- the report ----

fn report_cmd(out: &Path) -> Command {
    let mut c = keydriver();
    c.args(["report", "--out", &out.display().to_string()]);
    c
}

/// Decodes the PNG at `path` whole and returns its size in pixels.
fn png_size(path: &Path) -> (u32, u32) {
    let file = fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut reader = png::Decoder::new(file).read_info().unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut pixels = vec![0; reader.output_buffer_size()];
    let frame = reader.next_frame(&mut pixels).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(pixels.iter().any(|&b| b != 255), "{} is blank", path.display());
    (frame.width, frame.height)
}

/// Every chart a report links decodes whole at the size charts are drawn: 1200×675
/// pixels times `scale`, except the heatmaps, whose height follows their rows. Returns
/// the links.
fn check_charts(md: &str, dir: &Path, scale: u32) -> Vec<String> {
    let links: Vec<String> = md.split("](").skip(1).map(|rest| rest[..rest.find(')').unwrap()].to_string()).collect();
    for link in &links {
        let (w, h) = png_size(&dir.join(link));
        assert_eq!(w, 1200 * scale, "{link}");
        if link.starts_with("correlations") || link.starts_with("shares_by_segment") {
            assert!(h >= 300 * scale && h % scale == 0, "{link}: {h}");
        } else {
            assert_eq!(h, 675 * scale, "{link}");
        }
    }
    // Every PNG written is in the report.
    for f in fs::read_dir(dir).unwrap() {
        let name = f.unwrap().file_name().to_string_lossy().to_string();
        assert!(!name.ends_with(".png") || links.contains(&name), "{name} is not in the report");
    }
    links
}

#[test]
fn report_end_to_end_then_refuses_to_overwrite() {
    let out = tempfile::tempdir().unwrap();
    let run = report_cmd(out.path()).output().unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let dir = out.path().join("2025Q4");
    let md = fs::read_to_string(dir.join("report.md")).unwrap();
    // The whole report, word for word and number for number: a change in wording or in
    // any figure shows up in review (`cargo insta review` to accept it).
    insta::assert_snapshot!("example_report_md", md);
    // The bundled example has two outcomes (NPS, CSAT) and a benchmark file: the report
    // has a section for each, the benchmark comparison and the side-by-side drivers.
    for needle in [
        "# Key-driver report — 2025Q4",
        "seed 20251231",
        "matched on `respondent_id`",
        "## CSAT — % satisfied",
        "#### % satisfied by quarter",
        "### Drivers of CSAT",
        "| industry 2025 | 2025Q4 |",
        "| competitor A | all |",
        "## Do NPS and CSAT agree on what drives them?",
        "(csat-satisfaction_by_wave.png)",
        "(drivers-satisfaction.png)",
    ] {
        assert!(md.contains(needle), "report.md lacks {needle:?}");
    }
    // The sections in the order a manager reads them: what happened, where to act, why,
    // what drives it (with waves and segments), the headline in detail, then the data and
    // how it was analysed.
    let order = [
        "## Headline",
        "## NPS — Net Promoter Score",
        "### Where to act on NPS",
        "](quadrant.png)",
        "### What a point is worth",
        "](whatif.png)",
        "### Why NPS moved from 2025Q3 to 2025Q4",
        "](change.png)",
        "### Drivers of NPS\n",
        "](drivers.png)",
        "#### Did the drivers' importance change from 2025Q3 to 2025Q4?",
        "](shares_by_wave.png)",
        "### Drivers of NPS by quarter",
        "### Drivers of NPS by segment",
        "](shares_by_segment.png)",
        "### How the ratings move together",
        "](correlations.png)",
        "### NPS by wave and segment",
        "](nps_by_wave.png)",
        "](nps_trend.png)",
        "#### NPS by quarter",
        "#### NPS by region",
        "#### Against benchmarks",
        "## CSAT — % satisfied",
        "## Data quality",
        "## Method notes",
        "## Files",
    ];
    let at: Vec<usize> = order.iter().map(|n| md.find(n).unwrap_or_else(|| panic!("report.md lacks {n:?}"))).collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "sections out of order: {order:?} at {at:?}");
    // The headline names the top drivers and says which are tied.
    assert!(md.contains("1. **Problem solving**: 21.0% of what the ratings explain"), "{md}");
    assert!(md.contains("2. **Wait time**: 17.3% of what the ratings explain (95% CI 15.4–19.4%), statistically tied with Quality / accuracy."));
    // Where to act: wait time, rated lowest of all, is the one to fix first.
    assert!(md.contains("**Fix first** (more important than average, rated below average): Wait time."), "{md}");
    // Data quality: what listwise deletion cost, driver by driver, and the method notes.
    assert!(md.contains("| left out of it for a missing rating or answer (27.8%) | 1379 |"));
    assert!(md.contains("| Problem solving | 220 | 4.4% |") && md.contains("Association, not causation"));
    // Every image it links decodes at its size; every PNG written is linked.
    let links = check_charts(&md, &dir, 1);
    assert_eq!(links.len(), 17, "eight charts per outcome and the main one's what-if: {links:?}");
    // The what-if: its sentence under the headline, ranked by return with the example's costs.
    assert!(
        md.contains(
            "Raising **Problem solving** by one point for every customer goes with NPS about +10.0 points higher"
        ),
        "{md}"
    );
    assert!(md.contains(
        "**By return** (NPS points per EUR spent per customer, from *What a point is worth*): Transparency (+10.79), "
    ));
    for file in [
        "nps.csv",
        "nps.json",
        "drivers.csv",
        "drivers.json",
        "whatif.csv",
        "csat-satisfaction.csv",
        "csat-satisfaction.json",
        "drivers-satisfaction.json",
        "agreement.json",
        "run.json",
    ] {
        assert!(md.contains(&format!("`{file}`")) && dir.join(file).exists(), "{file}");
    }
    // By construction (example.rs) problem solving leads NPS (0.40 against expertise's
    // 0.03) while expertise outweighs it for CSAT (0.30 against 0.20): a disagreement.
    let agreement: Value = serde_json::from_str(&fs::read_to_string(dir.join("agreement.json")).unwrap()).unwrap();
    assert!(
        agreement["disagreements"].as_array().unwrap().iter().any(|d| d["above"] == "problem_solving"
            && d["below"] == "expertise"
            && d["where_above"] == "likelihood_to_recommend"
            && d["where_below"] == "satisfaction"),
        "{agreement}"
    );
    // report.html is the same report as one page: every chart embedded, nothing linked.
    let html = fs::read_to_string(dir.join("report.html")).unwrap();
    let charts = md.matches("](").count();
    assert_eq!(html.matches("<img src=\"data:image/png;base64,").count(), charts, "every chart embedded");
    assert!(!html.contains(".png\""), "no image linked by file name");
    assert!(html.contains("<h2>Do NPS and CSAT agree on what drives them?</h2>") && html.contains("<table>"));
    assert!(html.contains("alt=\"NPS by quarter\""), "charts keep their alt text");
    assert_eq!(html.matches(" alt=\"\"").count(), 0, "no chart without alt text");
    // run.json names every input with its SHA-256, and times each stage.
    let run: Value = serde_json::from_str(&fs::read_to_string(dir.join("run.json")).unwrap()).unwrap();
    for input in run["inputs"].as_array().unwrap() {
        use sha2::Digest;
        let digest = sha2::Sha256::digest(fs::read(input["path"].as_str().unwrap()).unwrap());
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(input["sha256"].as_str().unwrap(), hex);
    }
    let stages: Vec<&str> = run["timings"].as_array().unwrap().iter().map(|t| t["stage"].as_str().unwrap()).collect();
    assert_eq!(stages, ["load", "analyse likelihood_to_recommend", "analyse satisfaction", "charts and tables"]);
    assert_eq!(run["inputs"].as_array().unwrap().len(), 5, "config, ratings, outcomes, benchmarks, costs");
    let csat: Value = serde_json::from_str(&fs::read_to_string(dir.join("csat-satisfaction.json")).unwrap()).unwrap();
    assert_eq!((csat["kind"].as_str(), csat["metric"].as_str()), (Some("csat"), Some("% satisfied")));
    assert!(csat["benchmarks"].as_array().unwrap().iter().any(|g| g["label"] == "competitor A" && g["wave"] == "all"));
    let drivers: Value = serde_json::from_str(&fs::read_to_string(dir.join("drivers.json")).unwrap()).unwrap();
    assert!(drivers["n_used"].as_u64().unwrap() > 3000);
    // The report bootstraps by default, and says so.
    assert_eq!(drivers["bootstrap"]["resamples"], 1000);
    assert!(md.contains("1000 bootstrap resamples") && md.contains("tie group"), "{md}");
    // Nothing else is left in the output folder (no staging folder).
    assert_eq!(fs::read_dir(out.path()).unwrap().count(), 1);

    // A second run must not touch the first report.
    let marker = dir.join("report.md");
    fs::write(&marker, "analyst's edits").unwrap();
    fails(&mut report_cmd(out.path()), 3, &["2025Q4", "already exists", "--force"]);
    assert_eq!(fs::read_to_string(&marker).unwrap(), "analyst's edits");
    assert_eq!(fs::read_dir(out.path()).unwrap().count(), 1);

    // With --force it is replaced, whole.
    let run = report_cmd(out.path()).args(["--force", "--bootstrap", "20"]).output().unwrap();
    assert!(run.status.success());
    assert!(fs::read_to_string(&marker).unwrap().starts_with("# Key-driver report"));
    assert_eq!(fs::read_dir(out.path()).unwrap().count(), 1);
}

#[test]
fn failed_run_writes_nothing() {
    let out = tempfile::tempdir().unwrap();
    fails(report_cmd(out.path()).args(["--drivers", "wait_time,nonexistent"]), 1, &["ratings.csv", "nonexistent"]);
    assert_eq!(fs::read_dir(out.path()).unwrap().count(), 0);
}

/// A team's own template sets the wording (here in French) from the same figures. A
/// template that does not compile is refused before any data is read; a name the report
/// does not define fails the run (not a silent blank). Both name the file and line and
/// write nothing.
#[test]
fn own_template_sets_the_wording_and_a_broken_one_is_refused() {
    let dir = folder(&[
        (
            "fr.md.j2",
            "# Rapport {{ name }}\n{% for o in outcomes %}\n- {{ o.label }} : {{ o.headline.value }} \
             (IC 95 % {{ o.headline.ci_low }} à {{ o.headline.ci_high }}), premier moteur : {{ o.top[0].label }}\n\
             {% endfor %}\n{{ image }}",
        ),
        ("typo.md.j2", "# {{ name }}\n{{ outcomes[0].lable }}\n"),
        ("broken.md.j2", "# {{ name }}\n{% for o in outcomes %}\n"),
    ]);
    let out = tempfile::tempdir().unwrap();
    // `image` is not a name the report defines: the render fails on it, naming the line.
    fails(
        report_cmd(out.path()).args(["--bootstrap", "0", "--template", &p(&dir, "fr.md.j2")]),
        2,
        &["fr.md.j2", "template line 5", "undefined"],
    );
    fs::write(
        dir.path().join("fr.md.j2"),
        fs::read_to_string(dir.path().join("fr.md.j2")).unwrap().replace("{{ image }}", ""),
    )
    .unwrap();
    let run = report_cmd(out.path()).args(["--bootstrap", "0", "--template", &p(&dir, "fr.md.j2")]).output().unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let md = fs::read_to_string(out.path().join("2025Q4/report.md")).unwrap();
    assert_eq!(
        md,
        "# Rapport 2025Q4\n- NPS : +19.2 (IC 95 % +14.8 à +23.6), premier moteur : Problem solving\n\
         - CSAT : 69.7% (IC 95 % 67.1 à 72.3), premier moteur : Quality / accuracy\n"
    );
    let html = fs::read_to_string(out.path().join("2025Q4/report.html")).unwrap();
    assert!(html.contains("<h1>Rapport 2025Q4</h1>"));
    for (file, says) in [("typo.md.j2", "template line 2"), ("broken.md.j2", "template line")] {
        let empty = tempfile::tempdir().unwrap();
        fails(report_cmd(empty.path()).args(["--template", &p(&dir, file)]), 2, &[file, says]);
        assert_eq!(fs::read_dir(empty.path()).unwrap().count(), 0, "{file}: nothing written");
    }
}

/// `--scale 2` draws every chart at twice the size, for print and large screens.
#[test]
fn scale_two_doubles_every_chart() {
    let out = tempfile::tempdir().unwrap();
    let run = report_cmd(out.path()).args(["--bootstrap", "20", "--scale", "2"]).output().unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let dir = out.path().join("2025Q4");
    let links = check_charts(&fs::read_to_string(dir.join("report.md")).unwrap(), &dir, 2);
    assert_eq!(links.len(), 17);
    let refused = report_cmd(out.path()).args(["--scale", "9"]).output().unwrap();
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("9 is not in 1..=4"));
}

/// Labels in Greek, Cyrillic and Persian reach every part of the report: the markdown,
/// the HTML and the charts (drawn with the bundled font; Persian shaped and right to
/// left). `KEYDRIVER_KEEP_REPORT=folder` keeps the report to look at.
#[test]
fn report_with_greek_cyrillic_and_persian_labels() {
    let data = tempfile::tempdir().unwrap();
    let sim = keydriver()
        .args(["simulate", "--respondents", "1500", "--out", &data.path().display().to_string()])
        .output()
        .unwrap();
    assert!(sim.status.success());
    let labels = [
        ("wait_time", "Χρόνος αναμονής"),
        ("quality", "Качество"),
        ("flexibility", "انعطاف‌پذیری"),
        ("transparency", "Διαφάνεια"),
        ("problem_solving", "Решение проблем"),
        ("communication", "ارتباطات"),
        ("expertise", "Expertise"),
        ("follow_up", "Follow-up"),
    ];
    let mut toml = String::from(
        "ratings = \"ratings.csv\"\nnps = \"nps.csv\"\nid = \"respondent_id\"\nwave = \"quarter\"\n\
         segments = [\"region\"]\nmissing_codes = [99]\ntarget = \"likelihood_to_recommend\"\n\
         [scale]\nmin = 1\nmax = 10\n",
    );
    for (column, label) in labels {
        toml.push_str(&format!("[[drivers]]\ncolumn = \"{column}\"\nlabel = \"{label}\"\n"));
    }
    fs::write(data.path().join("survey.toml"), toml).unwrap();
    let kept = std::env::var("KEYDRIVER_KEEP_REPORT").ok();
    let out = tempfile::tempdir().unwrap();
    let out_path = kept.as_deref().map(Path::new).unwrap_or(out.path());
    let run = report_cmd(out_path)
        .args(["--force", "--bootstrap", "50", "--config", &p(&data, "survey.toml")])
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let dir = out_path.join("2025Q4");
    let md = fs::read_to_string(dir.join("report.md")).unwrap();
    let html = fs::read_to_string(dir.join("report.html")).unwrap();
    for (_, label) in labels {
        assert!(md.contains(&format!("| {label} |")), "{label} in report.md");
        assert!(html.contains(label), "{label} in report.html");
    }
    assert!(html.contains("<meta charset=\"utf-8\">"));
    assert!(check_charts(&md, &dir, 1).len() >= 7);
}

/// A driver that goes with a higher score on its own but has a negative beta is a
/// suppressor (x2 = a, x1 = a + b, y = b + 0.2a: y = x1 − 0.8·x2), and the report says
/// so rather than "higher rating, lower score".
#[test]
fn a_suppressor_is_worded_as_one() {
    let mut csv = String::from("id,x1,x2,y\n");
    let mut i = 0;
    for _ in 0..4 {
        for a in 1..=5 {
            for b in 1..=5 {
                i += 1;
                let e = ((i * 7) % 5 - 2) as f64 * 0.3;
                csv.push_str(&format!("{i},{},{a},{:.2}\n", a + b, b as f64 + 0.2 * a as f64 + e));
            }
        }
    }
    let dir = folder(&[("s.csv", &csv)]);
    let out = tempfile::tempdir().unwrap();
    let run = report_cmd(out.path())
        .args(["--data", &p(&dir, "s.csv"), "--target", "y", "--outcome", "numeric", "--drivers", "x1,x2"])
        .args(["--bootstrap", "0"])
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    // No wave: named after the data file.
    let md = fs::read_to_string(out.path().join("s/report.md")).unwrap();
    let row = md.lines().find(|l| l.starts_with("| 2 | x2 |")).unwrap();
    let cells: Vec<&str> = row.split('|').map(str::trim).collect();
    let (beta, corr) = (cells[10].parse::<f64>().unwrap(), cells[12].parse::<f64>().unwrap());
    assert!(beta < 0.0 && corr > 0.0, "{row}");
    assert!(row.ends_with("| **suppressor** |"), "{row}");
    assert!(md.contains("> **x2 is a suppressor**, not a driver that hurts"), "{md}");
    assert!(!md.contains("higher rating, lower score"), "{md}");
}

/// The report's "Why NPS moved" decomposes the headline's own change: it starts and ends
/// at the headline's figures by wave (nps.json), and its parts plus the unexplained rest
/// add up to that change; the complete responses' decomposition keeps its meaning.
#[test]
fn the_change_explained_is_the_headlines_own() {
    let config = ["--config", "notebooks-data/survey.toml"];
    let v = common::json(keydriver().args(["drivers", "--format", "json", "--bootstrap", "30"]).args(config));
    let scores = common::json(keydriver().args(["nps", "--format", "json"]).args(config));
    let waves = scores["breakdowns"].as_array().unwrap().iter().find(|b| b["by"] == "quarter").unwrap();
    let wave = |w: &str| waves["rows"].as_array().unwrap().iter().find(|r| r["group"] == w).unwrap().clone();
    let (h, c) = (&v["headline_change_explained"], &v["change_explained"]);
    let num = |x: &Value| x.as_f64().unwrap();
    for (end, w) in [("score_from", "2025Q3"), ("score_to", "2025Q4")] {
        assert!((num(&h[end]) - num(&wave(w)["score"])).abs() < 1e-9, "{end}: {} vs {}", h[end], wave(w)["score"]);
    }
    assert_eq!((&h["n_from"], &h["n_to"]), (&wave("2025Q3")["n"], &wave("2025Q4")["n"]));
    let parts: f64 = h["drivers"].as_array().unwrap().iter().map(|d| num(&d["points"])).sum();
    assert!((parts + num(&h["unexplained"]) - num(&h["change"])).abs() < 1e-9);
    assert!((num(&h["change"]) - (num(&h["score_to"]) - num(&h["score_from"]))).abs() < 1e-9);
    assert!(h["drivers"][0]["ci_low"].is_number() && h["resamples"] == 30);
    // The complete responses' decomposition: a different change, the same coefficients.
    assert!((num(&c["change"]) - num(&h["change"])).abs() > 0.1);
    assert_eq!(c["drivers"][0]["coefficient"], h["drivers"][0]["coefficient"]);
}

/// With `--bootstrap 0` no interval of a driver's part of the change exists, so the report
/// calls none "within noise" (or "beyond"): it says that no interval was computed.
#[test]
fn without_the_bootstrap_no_part_of_a_change_is_called_within_noise() {
    let out = tempfile::tempdir().unwrap();
    let run = report_cmd(out.path()).args(["--bootstrap", "0"]).output().unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let md = fs::read_to_string(out.path().join("2025Q4/report.md")).unwrap();
    let why = md.lines().find(|l| l.starts_with("Among all respondents")).unwrap();
    assert!(why.contains("(no interval computed)") && why.contains("No intervals were computed"), "{why}");
    assert!(!why.contains("noise"), "{why}");
}

/// An in-memory SQLite with the `md5` the replicate query needs (hex digits, as
/// PostgreSQL's), which SQLite lacks.
fn sqlite() -> rusqlite::Connection {
    use rusqlite::functions::FunctionFlags;
    let db = rusqlite::Connection::open_in_memory().unwrap();
    db.create_scalar_function("md5", 1, FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC, |ctx| {
        let text: String = ctx.get(0)?;
        Ok(format!("{:032x}", keydriver::stats::replicates::digest(&text)))
    })
    .unwrap();
    db
}

/// Loads a simple CSV (no quoted cells) into a SQLite table.
fn sqlite_table(db: &rusqlite::Connection, name: &str, path: &str) {
    let text = fs::read_to_string(path).unwrap();
    let mut lines = text.lines().map(|l| l.split(',').map(String::from).collect::<Vec<_>>());
    let header = lines.next().unwrap();
    sqlite_insert(db, name, &header, &lines.collect::<Vec<_>>());
}

/// A CSV cell or a SQL identifier in double quotes, any quote in it doubled.
fn quoted(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}

/// A SQLite table of these columns (any names) and rows: blanks are NULL, numbers are
/// stored as numbers.
fn sqlite_insert(db: &rusqlite::Connection, name: &str, header: &[String], rows: &[Vec<String>]) {
    let columns = header.iter().map(|h| quoted(h)).collect::<Vec<_>>().join(", ");
    db.execute(&format!("CREATE TABLE {name} ({columns})"), []).unwrap();
    let marks = vec!["?"; header.len()].join(", ");
    let tx = db.unchecked_transaction().unwrap();
    {
        let mut insert = tx.prepare(&format!("INSERT INTO {name} VALUES ({marks})")).unwrap();
        for row in rows {
            let cells = row.iter().map(|c| match c.parse::<f64>() {
                _ if c.is_empty() => rusqlite::types::Value::Null,
                Ok(v) => rusqlite::types::Value::Real(v),
                Err(_) => rusqlite::types::Value::Text(c.clone()),
            });
            insert.execute(rusqlite::params_from_iter(cells)).unwrap();
        }
    }
    tx.commit().unwrap();
}

/// `query`'s result in `db` as CSV with its header row, text cells quoted.
fn sqlite_csv(db: &rusqlite::Connection, query: &str) -> String {
    let mut statement = db.prepare(query).unwrap();
    let names: Vec<String> = statement.column_names().map(|c| c.to_string()).collect();
    let mut csv = names.join(",") + "\n";
    let mut rows = statement.query([]).unwrap();
    while let Some(row) = rows.next().unwrap() {
        let cells: Vec<String> = (0..names.len())
            .map(|i| match row.get_ref(i).unwrap() {
                rusqlite::types::ValueRef::Integer(v) => v.to_string(),
                rusqlite::types::ValueRef::Real(v) => format!("{v:?}"),
                rusqlite::types::ValueRef::Text(t) => quoted(&String::from_utf8_lossy(t)),
                other => panic!("unexpected {other:?}"),
            })
            .collect();
        csv += &(cells.join(",") + "\n");
    }
    csv
}

/// The two files loaded into SQLite and joined in a view, `keydriver sql --dialect sqlite
/// ARGS` run there: its result as CSV, with its header row.
fn sums_from_sqlite(ratings: &str, answers: &str, args: &[&str]) -> String {
    let db = sqlite();
    sqlite_table(&db, "ratings", ratings);
    sqlite_table(&db, "answers", answers);
    db.execute("CREATE VIEW survey AS SELECT * FROM ratings JOIN answers USING (respondent_id)", []).unwrap();
    let query = keydriver().args(["sql", "--dialect", "sqlite", "--table", "survey"]).args(args).output().unwrap();
    assert!(query.status.success(), "{}", String::from_utf8_lossy(&query.stderr));
    sqlite_csv(&db, &String::from_utf8(query.stdout).unwrap())
}

/// Weighted (survey weights, 2% of them zero) and for CSAT, the report from SQLite's
/// sums has the raw-row headline with its design-based standard errors, by wave and
/// segment, and the raw-row Shapley values and betas, to 1e-9.
#[test]
fn weighted_csat_report_from_sqlite_sums_equals_the_raw_rows() {
    let text = fs::read_to_string("notebooks-data/ratings.csv").unwrap();
    let weighted: String = text
        .lines()
        .enumerate()
        .map(|(i, line)| match i {
            0 => format!("{line},w\n"),
            i if i % 50 == 0 => format!("{line},0\n"),
            i => format!("{line},{}\n", 0.4 + (i * 37 % 23) as f64 / 10.0),
        })
        .collect();
    let config = fs::read_to_string("notebooks-data/survey.toml")
        .unwrap()
        .replace("benchmarks = \"benchmarks.csv\"", "")
        .replace("# weight = \"weight\"", "weight = \"w\"");
    let nps = fs::read_to_string("notebooks-data/nps.csv").unwrap();
    let dir =
        folder(&[("ratings.csv", weighted.as_str()), ("nps.csv", nps.as_str()), ("survey.toml", config.as_str())]);
    let args = ["--config", &p(&dir, "survey.toml"), "--target", "satisfaction"];
    fs::write(dir.path().join("sums.csv"), sums_from_sqlite(&p(&dir, "ratings.csv"), &p(&dir, "nps.csv"), &args))
        .unwrap();
    let out = dir.path().join("reports");
    let report = keydriver()
        .args(["report", "--from-moments", &p(&dir, "sums.csv"), "--out", &out.display().to_string(), "--name", "w"])
        .args(args)
        .output()
        .unwrap();
    assert!(report.status.success(), "{}", String::from_utf8_lossy(&report.stderr));
    let headline: Value = serde_json::from_str(&fs::read_to_string(out.join("w/csat.json")).unwrap()).unwrap();
    common::close(&headline, &common::json(keydriver().args(["nps", "--format", "json"]).args(args)), "csat.json");
    let drivers: Value = serde_json::from_str(&fs::read_to_string(out.join("w/drivers.json")).unwrap()).unwrap();
    let raw = common::json(keydriver().args(["drivers", "--format", "json", "--method", "shapley,ols"]).args(args));
    for d in raw["drivers"].as_array().unwrap() {
        let e = drivers["drivers"].as_array().unwrap().iter().find(|e| e["name"] == d["name"]).unwrap();
        for f in ["shapley", "beta", "coef", "mean_rating"] {
            let (a, b) = (e[f].as_f64().unwrap(), d[f].as_f64().unwrap());
            assert!((a - b).abs() < 1e-9, "{} {f}: {a} vs {b}", d["name"]);
        }
    }
}

/// The warehouse route end to end on a real SQL engine: the bundled example loaded into
/// SQLite (the two files joined in a view), `keydriver sql`'s query run there, its result
/// written as CSV and ranked with `--from-moments`: every moment-based figure, pooled and
/// per wave and segment, equals the raw-row run to 1e-9; so does `keydriver moments`.
/// Both carry 20 Poisson bootstrap replicates, and the intervals SQLite's replicates give
/// equal those of keydriver's own pass to 1e-9 (the same draws, computed by each). The
/// report made from SQLite's sums has the raw-row headline, by wave (with changes) and
/// segment, to 1e-9.
#[test]
fn sql_in_sqlite_then_from_moments_equals_the_raw_rows() {
    let config = ["--config", "notebooks-data/survey.toml"];
    let replicates = ["--replicates", "20"];
    let csv =
        sums_from_sqlite("notebooks-data/ratings.csv", "notebooks-data/nps.csv", &[&config[..], &replicates].concat());
    let dir = folder(&[("sums.csv", &csv)]);
    let raw = common::json(keydriver().args(["drivers", "--format", "json"]).args(config));
    let from_sql = common::json(
        keydriver().args(["drivers", "--format", "json", "--from-moments", &p(&dir, "sums.csv")]).args(config),
    );
    let moments = keydriver().arg("moments").args(replicates).args(config).output().unwrap();
    fs::write(dir.path().join("m.json"), &moments.stdout).unwrap();
    let from_json = common::json(
        keydriver().args(["drivers", "--format", "json", "--from-moments", &p(&dir, "m.json")]).args(config),
    );
    let same = |a: &Value, b: &Value, what: &str| {
        for field in ["n_used", "n_dropped"] {
            assert_eq!(a[field], b[field], "{what} {field}");
        }
        assert!((a["r2"].as_f64().unwrap() - b["r2"].as_f64().unwrap()).abs() < 1e-9, "{what} r2");
        let fields = [
            "shapley",
            "relative_weight",
            "kruskal",
            "general_dominance",
            "beta",
            "beta_se",
            "beta_p",
            "corr",
            "vif",
            "mean_rating",
        ];
        for (x, y) in a["drivers"].as_array().unwrap().iter().zip(b["drivers"].as_array().unwrap()) {
            assert_eq!(x["name"], y["name"], "{what}: same ranking");
            for f in fields {
                let (u, v) = (x[f].as_f64().unwrap(), y[f].as_f64().unwrap());
                assert!((u - v).abs() < 1e-9, "{what} {} {f}: {u} vs {v}", x["name"]);
            }
        }
        assert_eq!(a["complete_dominance"], b["complete_dominance"], "{what}");
    };
    for field in ["ci_low", "ci_high", "share_ci_low", "relative_weight_ci_high", "p_rank1"] {
        for (x, y) in from_sql["drivers"].as_array().unwrap().iter().zip(from_json["drivers"].as_array().unwrap()) {
            let (u, v) = (x[field].as_f64().unwrap(), y[field].as_f64().unwrap());
            assert!((u - v).abs() < 1e-9, "{} {field}: SQLite {u}, keydriver {v}", x["name"]);
        }
    }
    assert_eq!(from_sql["waves"][3]["drivers"][0]["tie_group"], from_json["waves"][3]["drivers"][0]["tie_group"]);
    for from in [&from_sql, &from_json] {
        same(from, &raw, "pooled");
        assert!(
            from["drivers"][0].get("spearman").is_none() && from["drivers"][0].get("promoter_odds_ratio").is_none()
        );
        assert!(from["method_notes"].to_string().contains("computed from moments"));
        let waves = from["waves"].as_array().unwrap();
        assert_eq!(waves.len(), 4);
        for (w, r) in waves.iter().zip(raw["waves"].as_array().unwrap()) {
            assert_eq!(w["group"], r["wave"]);
            same(w, r, w["group"].as_str().unwrap());
        }
        for (col, groups) in from["segments"].as_object().unwrap() {
            for (g, r) in groups.as_array().unwrap().iter().zip(raw["segments"][col].as_array().unwrap()) {
                same(g, r, &format!("{col} {}", g["group"]));
            }
        }
    }
    let out = dir.path().join("reports");
    let report = keydriver()
        .args(["report", "--from-moments", &p(&dir, "sums.csv"), "--out", &out.display().to_string()])
        .args(config)
        .output()
        .unwrap();
    assert!(report.status.success(), "{}", String::from_utf8_lossy(&report.stderr));
    let headline: Value = serde_json::from_str(&fs::read_to_string(out.join("2025Q4/nps.json")).unwrap()).unwrap();
    let raw_headline = common::json(keydriver().args(["nps", "--format", "json"]).args(config));
    common::close(&headline, &raw_headline, "nps.json");
    let md = fs::read_to_string(out.join("2025Q4/report.md")).unwrap();
    for says in ["read from `", "20 Poisson bootstrap replicates", "not decomposed: the decomposition needs the rows"] {
        assert!(md.contains(says), "report.md lacks {says:?}");
    }
    // A moments file for other drivers is refused, naming what it holds.
    fails(
        keydriver()
            .args([
                "drivers",
                "--drivers",
                "quality,expertise",
                "--target",
                "likelihood_to_recommend",
                "--from-moments",
                &p(&dir, "m.json"),
            ])
            .args(config),
        1,
        &["m.json", "its variables are wait_time", "--drivers"],
    );
}

/// Hostile column names (a quote, a double quote, a backtick, a backslash, `\'`, a line
/// break, `;` and `--`) survive the warehouse route on a real engine: SQLite runs
/// `keydriver sql`'s query over a table with those names, and its sums, with 20
/// replicates, give the raw rows' Shapley values and `keydriver moments`' intervals, per
/// segment named as the columns are; no name reaches the query's comments. The SQL of
/// every dialect quotes them its own way.
#[test]
fn hostile_names_survive_the_warehouse_route() {
    let hostile = [
        ("region", "re\"gion\\'; DROP TABLE x; --"),
        ("channel", "chan'nel\nnext"),
        ("wait_time", "wait \"time\""),
        ("quality", "qu`al\\ity"),
        ("likelihood_to_recommend", "l'tr;"),
    ];
    let rename = |c: &str| hostile.iter().find(|(from, _)| *from == c).map_or(c.to_string(), |(_, to)| to.to_string());
    let read = |path: &str| -> Vec<Vec<String>> {
        fs::read_to_string(path).unwrap().lines().map(|l| l.split(',').map(String::from).collect()).collect()
    };
    let (ratings, answers) = (read("notebooks-data/ratings.csv"), read("notebooks-data/nps.csv"));
    let answer: std::collections::HashMap<&str, &str> = answers[1..].iter().map(|r| (&r[0][..], &r[1][..])).collect();
    let header: Vec<String> = ratings[0].iter().map(|c| rename(c)).chain([rename("likelihood_to_recommend")]).collect();
    let rows: Vec<Vec<String>> = ratings[1..]
        .iter()
        .filter_map(|r| answer.get(&r[0][..]).map(|a| r.iter().cloned().chain([a.to_string()]).collect()))
        .collect();
    let csv: String = std::iter::once(&header)
        .chain(&rows)
        .map(|r| r.iter().map(|c| quoted(c)).collect::<Vec<_>>().join(",") + "\n")
        .collect();
    let dir = folder(&[("survey.csv", &csv)]);
    let db = sqlite();
    sqlite_insert(&db, "survey", &header, &rows);
    let drivers = ratings[0][4..].iter().map(|c| rename(c)).collect::<Vec<_>>().join(",");
    let segments = [rename("region"), rename("channel")].join(",");
    let target = rename("likelihood_to_recommend");
    let args = [
        "--id",
        "respondent_id",
        "--wave",
        "quarter",
        "--target",
        &target,
        "--drivers",
        &drivers,
        "--segments",
        &segments,
        "--missing-codes",
        "99",
    ];
    let sql = |dialect: &str| {
        let out = keydriver()
            .args(["sql", "--dialect", dialect, "--table", "survey", "--replicates", "20"])
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{dialect}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    for dialect in ["duckdb", "postgres", "sqlite", "bigquery", "snowflake", "spark"] {
        let query = sql(dialect);
        for comment in query.lines().filter(|l| l.trim_start().starts_with("--")) {
            assert!(
                hostile.iter().all(|(_, name)| !name.lines().any(|part| comment.contains(part))),
                "{dialect}: {comment}"
            );
        }
        let backslashes = ["bigquery", "snowflake", "spark"].contains(&dialect);
        let literal =
            if backslashes { "'re\"gion\\\\\\'; DROP TABLE x; --'" } else { "'re\"gion\\''; DROP TABLE x; --'" };
        assert!(query.contains(literal), "{dialect} spells the segment's name {literal}");
    }
    let sums = sqlite_csv(&db, &sql("sqlite"));
    fs::write(dir.path().join("sums.csv"), sums).unwrap();
    let data = p(&dir, "survey.csv");
    let raw = common::json(keydriver().args(["drivers", "--format", "json", "--data", &data]).args(args));
    let from_sql = common::json(
        keydriver()
            .args(["drivers", "--format", "json", "--data", &data, "--from-moments", &p(&dir, "sums.csv")])
            .args(args),
    );
    let moments = keydriver().args(["moments", "--replicates", "20", "--data", &data]).args(args).output().unwrap();
    assert!(moments.status.success(), "{}", String::from_utf8_lossy(&moments.stderr));
    fs::write(dir.path().join("m.json"), &moments.stdout).unwrap();
    let from_json = common::json(
        keydriver()
            .args(["drivers", "--format", "json", "--data", &data, "--from-moments", &p(&dir, "m.json")])
            .args(args),
    );
    let number = |v: &Value, f: &str| v[f].as_f64().unwrap_or_else(|| panic!("{f}: {v}"));
    for (a, b) in raw["drivers"].as_array().unwrap().iter().zip(from_sql["drivers"].as_array().unwrap()) {
        assert_eq!(a["name"], b["name"]);
        assert!((number(a, "shapley") - number(b, "shapley")).abs() < 1e-9, "{}", a["name"]);
    }
    for (a, b) in from_sql["drivers"].as_array().unwrap().iter().zip(from_json["drivers"].as_array().unwrap()) {
        for f in ["ci_low", "ci_high", "share_ci_high"] {
            assert!((number(a, f) - number(b, f)).abs() < 1e-9, "{} {f}: SQLite {a}, keydriver {b}", a["name"]);
        }
    }
    for (_, name) in &hostile[..2] {
        let (raw_groups, sql_groups) = (&raw["segments"][name], &from_sql["segments"][name]);
        assert_eq!(sql_groups.as_array().map(Vec::len), Some(raw_groups.as_array().unwrap().len()), "{name}");
        for (a, b) in raw_groups.as_array().unwrap().iter().zip(sql_groups.as_array().unwrap()) {
            assert_eq!(a["group"], b["group"]);
            assert!((number(a, "r2") - number(b, "r2")).abs() < 1e-9, "{name} {}", a["group"]);
        }
    }
    // The rows' own bootstrap is the same Poisson bootstrap: 20 resamples of the rows in
    // memory give SQLite's intervals, pooled and per segment level.
    let rows = common::json(
        keydriver().args(["drivers", "--format", "json", "--bootstrap", "20", "--data", &data]).args(args),
    );
    let same = |a: &Value, b: &Value, what: &str| {
        for (a, b) in a["drivers"].as_array().unwrap().iter().zip(b["drivers"].as_array().unwrap()) {
            assert_eq!(a["name"], b["name"]);
            for f in ["ci_low", "ci_high", "share_ci_low", "share_ci_high", "p_rank1"] {
                assert!((number(a, f) - number(b, f)).abs() < 1e-9, "{what} {} {f}: rows {a}, SQLite {b}", a["name"]);
            }
        }
    };
    same(&rows, &from_sql, "all");
    for (_, name) in &hostile[..2] {
        for (a, b) in
            rows["segments"][name].as_array().unwrap().iter().zip(from_sql["segments"][name].as_array().unwrap())
        {
            same(a, b, &format!("{name}={}", a["group"]));
        }
    }
}

/// Each dialect gets the replicates in its own words: BigQuery has no `%`, generates the
/// replicate numbers with GENERATE_ARRAY and hex digits with TO_HEX, Spark with
/// explode(sequence) of 64-bit numbers, the others with a recursive CTE; every dialect
/// keys a respondent by the MD5 of its id, never by a global row number. Replicates need
/// the id column.
#[test]
fn sql_dialects_spell_the_replicates_their_way() {
    let config = ["--config", "notebooks-data/survey.toml", "--table", "t", "--replicates", "5"];
    let query = |dialect: &str| {
        let out = keydriver().args(["sql", "--dialect", dialect]).args(config).output().unwrap();
        assert!(out.status.success(), "{dialect}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let has = |q: &str, dialect: &str, says: &[&str], not: &[&str]| {
        for s in says {
            assert!(q.contains(s), "{dialect} lacks {s:?}");
        }
        for s in not {
            assert!(!q.contains(s), "{dialect} has {s:?}");
        }
    };
    has(
        &query("bigquery"),
        "bigquery",
        &["MOD(", "GENERATE_ARRAY(0, 5)", "`likelihood_to_recommend`", "TO_HEX(MD5(CAST(`respondent_id` AS STRING)))"],
        &[" % ", "RECURSIVE", "ROW_NUMBER"],
    );
    has(
        &query("spark"),
        "spark",
        &["explode(sequence(CAST(0 AS BIGINT), CAST(5 AS BIGINT)))", " % 2147483647", "AS BIGINT) * 268435456"],
        &["RECURSIVE", "ROW_NUMBER"],
    );
    has(
        &query("postgres"),
        "postgres",
        &["WITH RECURSIVE", "DOUBLE PRECISION", "POSITION(SUBSTR(h_, 1, 1)"],
        &["MOD("],
    );
    for dialect in ["duckdb", "sqlite", "snowflake"] {
        has(
            &query(dialect),
            dialect,
            &["WITH RECURSIVE", "replicate_ < 5", "GROUP BY by_, group_, replicate_", "MD5(CAST(\"respondent_id\""],
            &["ROW_NUMBER", "UNION ALL\nSELECT"],
        );
    }
    fails(
        keydriver().args([
            "sql",
            "--dialect",
            "duckdb",
            "--table",
            "t",
            "--replicates",
            "5",
            "--target",
            "ltr",
            "--drivers",
            "a,b",
        ]),
        2,
        &["--replicates", "--id"],
    );
}

/// The rows' bootstrap and the sums' replicates are the same Poisson bootstrap (Chamandy
/// et al. 2012): on the bundled example, 100 resamples of the rows in memory and 100
/// replicates summed by `keydriver moments` give the same intervals, pooled and per wave,
/// to 1e-9 (sums in another order; the draws themselves are identical).
#[test]
fn rows_and_replicates_give_identical_intervals() {
    let config = ["--config", "notebooks-data/survey.toml"];
    let dir = folder(&[]);
    let moments = keydriver().args(["moments", "--replicates", "100"]).args(config).output().unwrap();
    assert!(moments.status.success(), "{}", String::from_utf8_lossy(&moments.stderr));
    fs::write(dir.path().join("m.json"), &moments.stdout).unwrap();
    let sums = common::json(
        keydriver().args(["drivers", "--format", "json", "--from-moments", &p(&dir, "m.json")]).args(config),
    );
    let rows = common::json(
        keydriver().args(["drivers", "--format", "json", "--bootstrap", "100", "--method", "shapley"]).args(config),
    );
    assert!(sums["method_notes"].to_string().contains("100 Poisson bootstrap replicates"));
    let same = |rows: &Value, sums: &Value, what: &str| {
        for d in rows["drivers"].as_array().unwrap() {
            let e = sums["drivers"].as_array().unwrap().iter().find(|e| e["name"] == d["name"]).unwrap();
            for end in ["ci_low", "ci_high", "share_ci_low", "share_ci_high", "p_top3"] {
                let (a, b) = (e[end].as_f64().unwrap(), d[end].as_f64().unwrap());
                assert!((a - b).abs() < 1e-9, "{what} {} {end}: replicates {a}, rows {b}", d["name"]);
            }
        }
    };
    same(&rows, &sums, "all");
    for (a, b) in rows["waves"].as_array().unwrap().iter().zip(sums["waves"].as_array().unwrap()) {
        same(a, b, a["wave"].as_str().unwrap());
    }
}

/// The example data was generated from known weights (notebooks-data/README.md): in the
/// two large regions with the base weights the ranking recovers the order of the
/// strongest four; in the West, wait time leads; and across quarters wait time's rise
/// lifts NPS while transparency's slide pulls it down.
#[test]
fn example_recovers_the_generators_truth() {
    let v = common::json(keydriver().args([
        "drivers",
        "--config",
        "notebooks-data/survey.toml",
        "--format",
        "json",
        "--bootstrap",
        "100",
    ]));
    let names = |drivers: &Value| -> Vec<String> {
        drivers.as_array().unwrap().iter().map(|d| d["name"].as_str().unwrap().to_string()).collect()
    };
    let truth: Vec<&str> = keydriver::example::TRUE_WEIGHTS.iter().map(|w| w.0).collect();
    assert_eq!(names(&v["drivers"])[0], truth[0]);
    let region =
        |r: &str| v["segments"]["region"].as_array().unwrap().iter().find(|g| g["group"] == r).unwrap().clone();
    for r in ["North", "East"] {
        assert_eq!(names(&region(r)["drivers"])[..4], truth[..4], "{r}");
    }
    assert_eq!(names(&region("West")["drivers"])[0], "wait_time");
    // West against the rest: wait time matters significantly more there.
    let west_wait =
        region("West")["versus_rest"].as_array().unwrap().iter().find(|d| d["name"] == "wait_time").unwrap().clone();
    assert!(
        west_wait["significant"].as_bool().unwrap() && west_wait["difference"].as_f64().unwrap() > 0.0,
        "{west_wait}"
    );
    let e = &v["change_explained"];
    assert_eq!((e["from"].as_str(), e["to"].as_str()), (Some("2025Q3"), Some("2025Q4")));
    let part = |n: &str| e["drivers"].as_array().unwrap().iter().find(|d| d["name"] == n).unwrap().clone();
    assert!(part("wait_time")["ci_low"].as_f64().unwrap() > 0.0, "{}", part("wait_time"));
    assert!(part("transparency")["ci_high"].as_f64().unwrap() < 0.0, "{}", part("transparency"));
    let sum: f64 = e["drivers"].as_array().unwrap().iter().map(|d| d["points"].as_f64().unwrap()).sum();
    assert!((sum + e["unexplained"].as_f64().unwrap() - e["change"].as_f64().unwrap()).abs() < 1e-9);
    // Satisfaction was generated with quality and expertise leading (example::CSAT_WEIGHTS).
    let csat = common::json(keydriver().args([
        "drivers",
        "--config",
        "notebooks-data/survey.toml",
        "--outcome",
        "csat",
        "--format",
        "json",
    ]));
    assert_eq!(csat["target"], "satisfaction");
    let mut top2 = names(&csat["drivers"])[..2].to_vec();
    top2.sort();
    assert_eq!(top2, ["expertise", "quality"]);
}

#[test]
fn pairwise_deletion_uses_more_rows_and_says_so() {
    let listwise = keydriver()
        .args([
            "drivers",
            "--config",
            "notebooks-data/survey.toml",
            "--format",
            "json",
            "--method",
            "shapley,relweights",
        ])
        .output()
        .unwrap();
    let pairwise = keydriver()
        .args([
            "drivers",
            "--config",
            "notebooks-data/survey.toml",
            "--format",
            "json",
            "--method",
            "shapley,relweights",
        ])
        .args(["--missing", "pairwise"])
        .output()
        .unwrap();
    let (l, p): (Value, Value) =
        (serde_json::from_slice(&listwise.stdout).unwrap(), serde_json::from_slice(&pairwise.stdout).unwrap());
    assert_eq!(l["missing"], "listwise");
    assert_eq!(p["missing"], "pairwise");
    assert_eq!(p["correlation_matrix"], "as computed");
    let (ln, pn) = (
        l["rows_used"]["correlation_matrix"].as_u64().unwrap(),
        p["rows_used"]["correlation_matrix"].as_u64().unwrap(),
    );
    assert_eq!(ln, l["n_used"].as_u64().unwrap());
    assert!(pn > ln + 500, "pairwise {pn} vs listwise {ln}");
    let sum: f64 = p["drivers"].as_array().unwrap().iter().map(|d| d["shapley"].as_f64().unwrap()).sum();
    assert!((sum - p["r2"].as_f64().unwrap()).abs() < 1e-12);
}

// ---- uncertainty (bootstrap) and weights ----

/// `drivers --format json` on the bundled example with a bootstrap, under a thread count.
fn bootstrap_json(threads: &str, extra: &[&str]) -> Value {
    common::json(
        keydriver()
            .env("RAYON_NUM_THREADS", threads)
            .args(["drivers", "--config", "notebooks-data/survey.toml", "--format", "json", "--bootstrap", "200"])
            .args(extra),
    )
}

#[test]
fn bootstrap_is_identical_whatever_the_thread_count() {
    let one = bootstrap_json("1", &[]);
    let two = bootstrap_json("2", &[]);
    assert_eq!(one, two);
    assert_eq!(one["bootstrap"]["resamples"], 200);
    assert_eq!(one["bootstrap"]["seed"], 20251231);
    // Another seed gives other intervals.
    let other = bootstrap_json("2", &["--seed", "7"]);
    assert_ne!(one["drivers"][0]["ci_low"], other["drivers"][0]["ci_low"]);
}

#[test]
fn bootstrap_fields_are_consistent() {
    let v = bootstrap_json("2", &[]);
    let drivers = v["drivers"].as_array().unwrap();
    let f = |d: &Value, k: &str| d[k].as_f64().unwrap_or_else(|| panic!("{k} missing in {d}"));
    let p_rank1: f64 = drivers.iter().map(|d| f(d, "p_rank1")).sum();
    assert!((p_rank1 - 1.0).abs() < 1e-12, "Σ p_rank1 = {p_rank1}");
    let p_top3: f64 = drivers.iter().map(|d| f(d, "p_top3")).sum();
    assert!((p_top3 - 3.0).abs() < 1e-12, "Σ p_top3 = {p_top3}");
    for d in drivers {
        for (lo, mid, hi) in [
            ("ci_low", "shapley", "ci_high"),
            ("share_ci_low", "shapley_share", "share_ci_high"),
            ("relative_weight_ci_low", "relative_weight", "relative_weight_ci_high"),
        ] {
            assert!(f(d, lo) <= f(d, hi), "{lo} > {hi}");
            // A percentile interval of 200 resamples almost surely holds the estimate here.
            assert!(f(d, lo) < f(d, mid) && f(d, mid) < f(d, hi), "{mid} outside its CI in {d}");
        }
        let r = d["rank_ci"].as_array().unwrap();
        let (lo, hi) = (r[0].as_u64().unwrap(), r[1].as_u64().unwrap());
        assert!(lo <= hi && hi <= drivers.len() as u64);
    }
    // Tie groups agree with the pairwise difference intervals: two drivers share a letter
    // exactly when the interval of their difference includes zero.
    let letters = |name: &str| -> String {
        drivers.iter().find(|d| d["name"] == name).unwrap()["tie_group"].as_str().unwrap().to_string()
    };
    let diffs = v["differences"].as_array().unwrap();
    assert_eq!(diffs.len(), drivers.len() * (drivers.len() - 1) / 2);
    let mut distinct_pairs = 0;
    for d in diffs {
        let (a, b) = (letters(d["a"].as_str().unwrap()), letters(d["b"].as_str().unwrap()));
        let share = a.chars().any(|c| b.contains(c));
        let (lo, hi) = (f(d, "ci_low"), f(d, "ci_high"));
        assert_eq!(d["distinguishable"].as_bool().unwrap(), lo > 0.0 || hi < 0.0);
        assert_eq!(share, !d["distinguishable"].as_bool().unwrap(), "{d}: {a} vs {b}");
        distinct_pairs += usize::from(!share);
    }
    assert!(distinct_pairs > 0 && distinct_pairs < diffs.len(), "the example has both ties and clear gaps");
    // The top-level groups list the same letters.
    for g in v["tie_groups"].as_array().unwrap() {
        let letter = g["letter"].as_str().unwrap();
        for name in g["drivers"].as_array().unwrap() {
            assert!(letters(name.as_str().unwrap()).contains(letter));
        }
    }
}

#[test]
fn drivers_runs_no_bootstrap_unless_asked_and_keeps_its_contract() {
    let v = common::json(keydriver().args(["drivers", "--config", "notebooks-data/survey.toml", "--format", "json"]));
    assert!(v.get("bootstrap").is_none() && v["drivers"][0].get("ci_low").is_none());
    assert!(v["drivers"][0]["shapley"].is_f64());
}

#[test]
fn rank_by_is_checked_when_flags_are_parsed() {
    let dir = folder(&[("ratings.csv", RATINGS), ("nps.csv", NPS)]);
    // clap's own message: what was wrong, and the possible values.
    let out = drivers_cmd(&dir).args(["--rank-by", "nope"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr.contains("'nope'") && stderr.contains("relative_weight"), "{stderr}");
    fails(drivers_cmd(&dir).args(["--rank-by", "beta", "--method", "shapley"]), 2, &["--rank-by beta", "--method"]);
}

const SVY_CSV: &str = include_str!("data/svy-weighted.csv");

fn svy_expected() -> Value {
    serde_json::from_str(include_str!("data/svy-expected.json")).unwrap()
}

fn svy_drivers(dir: &tempfile::TempDir, extra: &[&str]) -> Value {
    common::json(
        keydriver()
            .args(["drivers", "--data", &p(dir, "svy.csv"), "--target", "ltr", "--drivers", "a,b,c", "--weights", "w"])
            .args(["--format", "json", "--method", "ols"])
            .args(extra),
    )
}

fn by_name<'a>(v: &'a Value, name: &str) -> &'a Value {
    v["drivers"].as_array().unwrap().iter().find(|d| d["name"] == name).unwrap()
}

/// Sampling weights: SEs and p-values equal survey::svyglm; frequency weights: lm(weights =).
#[test]
fn weighted_standard_errors_match_r_survey_and_lm() {
    let dir = folder(&[("svy.csv", SVY_CSV)]);
    let want = svy_expected();
    let sampling = svy_drivers(&dir, &[]);
    let frequency = svy_drivers(&dir, &["--weights-are", "frequency"]);
    assert_eq!(sampling["standard_errors"], "design_based");
    assert_eq!(frequency["standard_errors"], "weighted_lm");
    for (j, name) in ["a", "b", "c"].iter().enumerate() {
        let w = |k: &str| want[k][j].as_f64().unwrap();
        let (s, f) = (by_name(&sampling, name), by_name(&frequency, name));
        let got = |d: &Value, k: &str| d[k].as_f64().unwrap();
        for (g, wv, what) in [
            (got(s, "coef"), w("coef"), "coefficient"),
            (got(s, "coef_se"), w("svyglm_se"), "svyglm SE"),
            (got(s, "beta_p"), w("svyglm_p"), "svyglm p"),
            (got(f, "coef_se"), w("lm_se"), "lm SE"),
            (got(f, "beta_p"), w("lm_p"), "lm p"),
        ] {
            assert!((g - wv).abs() < 1e-6, "{name} {what}: got {g}, want {wv}");
        }
    }
}

#[test]
fn weighted_nps_se_matches_svymean() {
    let dir = folder(&[("svy.csv", SVY_CSV)]);
    let want = svy_expected();
    let v = common::json(keydriver().args([
        "nps",
        "--data",
        &p(&dir, "svy.csv"),
        "--target",
        "ltr",
        "--weights",
        "w",
        "--format",
        "json",
    ]));
    let o = &v["overall"];
    assert!((o["nps"].as_f64().unwrap() - want["nps"].as_f64().unwrap()).abs() < 1e-6);
    assert!((o["se"].as_f64().unwrap() - want["nps_se"].as_f64().unwrap()).abs() < 1e-6, "{o}");
}

/// Rows of weight 0 are as if they were not in the file: every statistic, the bootstrap
/// included, is unchanged by removing them (with `--id`: a respondent's bootstrap weights
/// are drawn from its id; without one, from its row number, which inserted rows move).
#[test]
fn zero_weight_rows_change_no_statistic() {
    let mut with_zeros = String::new();
    for (i, line) in SVY_CSV.lines().enumerate() {
        with_zeros += line;
        with_zeros.push('\n');
        if i > 0 && i % 10 == 0 {
            // A respondent nobody should count, with an extreme score.
            with_zeros += &format!("z{i},2025Q3,1,10,1,10,0\n");
        }
    }
    let dir = folder(&[("svy.csv", SVY_CSV), ("zeros.csv", &with_zeros)]);
    let run = |file: &str, cmd: &str| {
        let mut c = keydriver();
        c.args([cmd, "--data", &p(&dir, file), "--target", "ltr", "--weights", "w", "--id", "id", "--format", "json"]);
        if cmd == "drivers" {
            c.args(["--drivers", "a,b,c", "--bootstrap", "50"]);
        }
        common::json(&mut c)
    };
    assert_eq!(run("svy.csv", "drivers"), run("zeros.csv", "drivers"));
    assert_eq!(run("svy.csv", "nps"), run("zeros.csv", "nps"));
}

// ---- waves and segments ----

/// Weighted two-quarter fixture: the decomposition equals R's pooled-reference
/// Oaxaca–Blinder (tests/data/svy.R), and its parts sum to the change.
#[test]
fn nps_change_decomposition_matches_r_on_weighted_data() {
    let dir = folder(&[("svy.csv", SVY_CSV)]);
    let want = svy_expected();
    let v = common::json(keydriver().args([
        "drivers",
        "--data",
        &p(&dir, "svy.csv"),
        "--target",
        "ltr",
        "--drivers",
        "a,b,c",
        "--weights",
        "w",
        "--wave",
        "quarter",
        "--min-group-n",
        "30",
        "--format",
        "json",
        "--bootstrap",
        "50",
    ]));
    let e = &v["change_explained"];
    let close = |got: &Value, want: &Value, what: &str| {
        let (g, w) = (got.as_f64().unwrap(), want.as_f64().unwrap());
        assert!((g - w).abs() < 1e-6, "{what}: got {g}, want {w}");
    };
    close(&e["change"], &want["decomposition_nps_change"], "NPS change");
    close(&e["unexplained"], &want["decomposition_unexplained"], "unexplained");
    for (j, name) in ["a", "b", "c"].iter().enumerate() {
        let d = e["drivers"].as_array().unwrap().iter().find(|d| d["name"] == *name).unwrap();
        close(&d["points"], &want["decomposition_points"][j], name);
        close(&d["coefficient"], &want["decomposition_coefficient"][j], name);
        assert!(d["ci_low"].as_f64().unwrap() < d["points"].as_f64().unwrap());
    }
    let sum: f64 = e["drivers"].as_array().unwrap().iter().map(|d| d["points"].as_f64().unwrap()).sum();
    assert!((sum + e["unexplained"].as_f64().unwrap() - e["change"].as_f64().unwrap()).abs() < 1e-9);
}

/// Waves derived from completion dates, in two platform formats; a thin wave gets its
/// NPS and a note, not an error; the report folder is the latest quarter.
#[test]
fn waves_from_dates_and_thin_groups() {
    let mut csv = String::from("id,EndDate,region,a,b,ltr\n");
    for i in 0..120 {
        // 2024Q4 gets 4 respondents: too few for a ranking. Then 2025Q1, 2025Q2.
        let date = match i {
            0..=3 => format!("{:02}/11/2024", 10 + i),
            4..=61 => format!("2025-02-{:02} 10:22:01", 1 + i % 27),
            _ => format!("2025-05-{:02}T08:00:00Z", 1 + i % 28),
        };
        let (a, b) = (1 + (i * 7) % 10, 1 + (i * 3) % 10);
        csv += &format!("{i},{date},{},{a},{b},{}\n", if i % 2 == 0 { "N" } else { "S" }, (a + b) / 2);
    }
    // Three date formats in one column (day-first slashes, ISO with a space, ISO with T
    // and a zone): each value is parsed on its own.
    let dir = folder(&[("s.csv", &csv)]);
    let v = common::json(keydriver().args([
        "drivers",
        "--data",
        &p(&dir, "s.csv"),
        "--target",
        "ltr",
        "--drivers",
        "a,b",
        "--wave",
        "EndDate",
        "--wave-period",
        "quarter",
        "--by",
        "region",
        "--min-group-n",
        "20",
        "--format",
        "json",
    ]));
    let waves: Vec<&str> = v["waves"].as_array().unwrap().iter().map(|w| w["wave"].as_str().unwrap()).collect();
    assert_eq!(waves, ["2024Q4", "2025Q1", "2025Q2"]);
    let first = &v["waves"][0];
    assert!(first["note"].as_str().unwrap().contains("only 4 complete responses"), "{first}");
    assert!(first.get("drivers").is_none() && first["score"].is_f64());
    assert!(v["waves"][1]["drivers"].is_array() && v["waves"][1]["change"]["from"] == "2024Q4");
    assert!(v["segments"]["region"][0]["drivers"].is_array());
    // Segments too small to rank (60 respondents each, 100 asked) get a note, not an error.
    let v = common::json(keydriver().args([
        "drivers",
        "--data",
        &p(&dir, "s.csv"),
        "--target",
        "ltr",
        "--drivers",
        "a,b",
        "--by",
        "region",
        "--min-group-n",
        "100",
        "--format",
        "json",
    ]));
    for g in v["segments"]["region"].as_array().unwrap() {
        assert!(g["note"].as_str().unwrap().contains("fewer than the 100"), "{g}");
        assert!(g["score"].is_f64() && g.get("drivers").is_none());
    }
    let out = tempfile::tempdir().unwrap();
    let run = keydriver()
        .args(["report", "--data", &p(&dir, "s.csv"), "--target", "ltr", "--drivers", "a,b", "--wave", "EndDate"])
        .args(["--wave-period", "quarter", "--bootstrap", "20", "--out", &out.path().display().to_string()])
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    assert!(out.path().join("2025Q2").join("report.md").exists());
}

#[test]
fn wave_labels_sort_in_time_and_mixed_spellings_are_refused() {
    let rows = |labels: &[&str]| {
        let mut s = String::from("id,wave,a,b,ltr\n");
        for (i, l) in labels.iter().cycle().take(40).enumerate() {
            s += &format!("{i},{l},{},{},{}\n", 1 + i % 9, 1 + (i * 5) % 9, i % 11);
        }
        s
    };
    let dir =
        folder(&[("ok.csv", &rows(&["Q1 2025", "Q4 2024", "Q2 2025"])), ("mixed.csv", &rows(&["Q1 2025", "2024Q4"]))]);
    let v = common::json(keydriver().args([
        "nps",
        "--data",
        &p(&dir, "ok.csv"),
        "--target",
        "ltr",
        "--wave",
        "wave",
        "--format",
        "json",
    ]));
    let order: Vec<&str> =
        v["breakdowns"][0]["rows"].as_array().unwrap().iter().map(|r| r["group"].as_str().unwrap()).collect();
    assert_eq!(order, ["Q4 2024", "Q1 2025", "Q2 2025"]);
    // Each wave after the first carries its change, with a CI that holds it.
    let q1 = &v["breakdowns"][0]["rows"][1];
    let c = &q1["change"];
    assert_eq!(c["from"], "Q4 2024");
    let d = c["difference"].as_f64().unwrap();
    assert!(c["ci_low"].as_f64().unwrap() < d && d < c["ci_high"].as_f64().unwrap());
    fails(
        keydriver().args(["nps", "--data", &p(&dir, "mixed.csv"), "--target", "ltr", "--wave", "wave"]),
        1,
        &["mixed.csv", "column \"wave\"", "\"Q1 2025\"", "\"2024Q4\""],
    );
}

#[test]
fn a_segment_that_is_also_the_wave_or_a_driver_is_a_usage_error() {
    let dir = folder(&[("ratings.csv", RATINGS), ("nps.csv", NPS)]);
    fails(drivers_cmd(&dir).args(["--wave", "quarter", "--by", "quarter"]), 2, &["\"quarter\"", "wave"]);
    fails(drivers_cmd(&dir).args(["--by", "a"]), 2, &["\"a\"", "driver"]);
}

/// R's `swiss` through the command line as a numeric outcome: the values relaimpo, lm()
/// and the brute-force reference give (tests/data/README.md). As an NPS target the same
/// column is refused with a hint to use --outcome numeric.
#[test]
fn numeric_outcome_reproduces_swiss_through_the_command_line() {
    let want: Value = serde_json::from_str(include_str!("data/swiss-expected.json")).unwrap();
    let drivers = "Agriculture,Examination,Education,Catholic,Infant.Mortality";
    let base = ["drivers", "--data", "tests/data/swiss.csv", "--target", "Fertility", "--drivers", drivers];
    let v = common::json(keydriver().args(base).args(["--outcome", "numeric", "--format", "json"]));
    assert_eq!(v["outcome"], "numeric");
    assert!((v["r2"].as_f64().unwrap() - want["r2"].as_f64().unwrap()).abs() < 1e-6);
    for w in want["drivers"].as_array().unwrap() {
        let got = v["drivers"].as_array().unwrap().iter().find(|d| d["name"] == w["name"]).unwrap();
        for (ours, theirs) in [
            ("shapley", "lmg"),
            ("beta", "beta"),
            ("beta_p", "beta_p"),
            ("vif", "vif"),
            ("relative_weight", "relative_weight"),
            ("general_dominance", "general_dominance"),
            ("kruskal", "kruskal"),
            ("corr", "corr"),
            ("spearman", "spearman"),
        ] {
            let (g, e) = (got[ours].as_f64().unwrap(), w[theirs].as_f64().unwrap());
            assert!((g - e).abs() < 1e-6, "{} {ours}: {g} vs {e}", w["name"]);
        }
        assert!(got.get("promoter_odds_ratio").is_none(), "a numeric outcome has no logits");
    }
    fails(
        keydriver().args(base),
        1,
        &["swiss.csv", "column \"Fertility\"", "row 1", "whole number 0–10, found 80.2", "--outcome"],
    );
}

/// Effort on 1–7, lower is better, and it falls as ratings rise: every driver reads as
/// positive (correlation and beta signed by less effort), the strongest first, the odds of
/// high effort fall with a better rating, and the report says so in words. As a plain
/// numeric outcome the same data's correlations are negative: the sign flip is CES's own.
#[test]
fn ces_reads_lower_effort_as_a_positive_driver() {
    let mut csv = String::from("id,a,b,c,effort\n");
    for i in 0..300u64 {
        let (a, b, c) = (1 + (i * 7) % 10, 1 + (i * 3 + i / 10) % 10, 1 + (i * 11 + i / 7) % 10);
        let noise = (i * 37 % 5) as f64 - 2.0;
        let effort = (8.0 - 0.5 * a as f64 - 0.2 * b as f64 - 0.05 * c as f64 + 0.4 * noise).round().clamp(1.0, 7.0);
        csv += &format!("{i},{a},{b},{c},{effort}\n");
    }
    let dir = folder(&[("ces.csv", &csv)]);
    let run = |kind: &str| {
        common::json(
            keydriver()
                .args(["drivers", "--data", &p(&dir, "ces.csv"), "--target", "effort", "--drivers", "a,b,c"])
                .args(["--outcome", kind, "--format", "json"]),
        )
    };
    let v = run("ces");
    let names: Vec<&str> = v["drivers"].as_array().unwrap().iter().map(|d| d["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["a", "b", "c"]);
    for d in v["drivers"].as_array().unwrap().iter().take(2) {
        assert_eq!(d["direction"], "positive", "{d}");
        assert!(d["corr"].as_f64().unwrap() > 0.0 && d["beta"].as_f64().unwrap() > 0.0, "{d}");
        assert!(d["high_effort_odds_ratio"].as_f64().unwrap() < 1.0, "{d}");
    }
    assert!(v["method_notes"].as_array().unwrap().iter().any(|n| n.as_str().unwrap().contains("less effort")));
    let plain = run("numeric");
    assert!(plain["drivers"][0]["corr"].as_f64().unwrap() < 0.0);
    assert!((plain["drivers"][0]["corr"].as_f64().unwrap() + v["drivers"][0]["corr"].as_f64().unwrap()).abs() < 1e-12);
    // The headline is mean effort with bands; an answer off the 1–7 scale is refused.
    let s = common::json(keydriver().args([
        "nps",
        "--data",
        &p(&dir, "ces.csv"),
        "--target",
        "effort",
        "--outcome",
        "ces",
        "--format",
        "json",
    ]));
    assert_eq!(s["metric"], "mean effort");
    assert!(s["overall"]["pct_high_effort"].is_f64() && s["overall"].get("nps").is_none());
    let bad = folder(&[("ces.csv", "id,a,effort\n1,5,3\n2,6,9\n")]);
    fails(
        keydriver().args(["nps", "--data", &p(&bad, "ces.csv"), "--target", "effort", "--outcome", "ces"]),
        1,
        &["ces.csv", "column \"effort\"", "row 2", "outside its scale 1–7"],
    );
}

/// A small survey with waves, NPS and CSAT, for the benchmark checks.
fn two_outcomes() -> tempfile::TempDir {
    let mut csv = String::from("id,wave,a,b,ltr,sat\n");
    for i in 0..40 {
        csv += &format!(
            "{i},{},{},{},{},{}\n",
            if i < 20 { "2025Q1" } else { "2025Q2" },
            1 + i % 9,
            1 + (i * 5) % 9,
            i % 11,
            1 + i % 5
        );
    }
    folder(&[("s.csv", &csv)])
}

fn with_benchmarks(dir: &tempfile::TempDir, benchmarks: &str) -> Command {
    fs::write(dir.path().join("b.csv"), benchmarks).unwrap();
    let toml = "ratings = \"s.csv\"\nwave = \"wave\"\nbenchmarks = \"b.csv\"\n\n[[outcomes]]\ncolumn = \"ltr\"\n\n[[outcomes]]\ncolumn = \"sat\"\nkind = \"csat\"\n";
    fs::write(dir.path().join("survey.toml"), toml).unwrap();
    let mut c = keydriver();
    c.args(["nps", "--config", &p(dir, "survey.toml"), "--outcome", "csat", "--format", "json"]);
    c
}

/// CSAT's top-box share through the command line, by hand: sat = 1 + i mod 5 for 40
/// respondents, so 16 of 40 answer 4 or 5: 40%, SE 100·√(.4·.6/40) = 7.746; a benchmark
/// of 30 with no n is a target, so the gap is 10 ± 1.96·7.746 = −5.18 to 25.18.
#[test]
fn csat_share_and_benchmark_gap_by_hand() {
    let dir = two_outcomes();
    let v =
        common::json(&mut with_benchmarks(&dir, "metric,wave,value,label\ncsat,,30,target\nnps,2025Q2,5,industry\n"));
    let o = &v["overall"];
    assert_eq!(o["satisfied"], 16);
    assert!((o["score"].as_f64().unwrap() - 40.0).abs() < 1e-9);
    let se = 100.0 * (0.4f64 * 0.6 / 40.0).sqrt();
    assert!((o["se"].as_f64().unwrap() - se).abs() < 1e-9);
    let gaps = v["benchmarks"].as_array().unwrap();
    assert_eq!(gaps.len(), 1, "only the CSAT benchmark belongs to CSAT");
    let g = &gaps[0];
    assert_eq!(
        (g["label"].as_str(), g["wave"].as_str(), g["beyond_noise"].as_bool()),
        (Some("target"), Some("all"), Some(false))
    );
    assert!((g["ci_low"].as_f64().unwrap() - (10.0 - 1.959963984540054 * se)).abs() < 1e-9);
}

#[test]
fn bad_benchmark_files_are_refused_with_the_row() {
    let dir = two_outcomes();
    for (file, says) in [
        (
            "metric,wave,value\nnps,2025Q1,5\nnsp,2025Q1,5\n",
            vec!["b.csv", "column \"metric\", row 2", "unknown metric \"nsp\"", "ltr, sat"],
        ),
        (
            "metric,wave,value\ncsat,2024Q4,70\n",
            vec!["b.csv", "column \"wave\", row 1", "unknown wave \"2024Q4\"", "2025Q1, 2025Q2"],
        ),
        (
            "metric,wave,value\ncsat,2025Q1,170\n",
            vec!["b.csv", "column \"value\", row 1", "% satisfied 170 is impossible"],
        ),
        ("metric,wave,value\ncsat,2025Q1,abc\n", vec!["b.csv", "column \"value\", row 1", "\"abc\" is not a number"]),
        (
            "metric,wave,value,ci_low,ci_high\ncsat,2025Q1,70,72,80\n",
            vec!["b.csv", "row 1", "must contain the value 70"],
        ),
        ("metric,wave,value,n\ncsat,2025Q1,70,0\n", vec!["b.csv", "column \"n\", row 1", "at least 1"]),
        ("metric,quarter,value\ncsat,2025Q1,70\n", vec!["b.csv", "no column \"wave\""]),
    ] {
        fails(&mut with_benchmarks(&dir, file), 1, &says);
    }
    // A wave named in a survey without waves.
    fs::write(dir.path().join("b.csv"), "metric,wave,value\nnps,2025Q1,5\n").unwrap();
    fails(
        keydriver().args(["nps", "--data", &p(&dir, "s.csv"), "--target", "ltr", "--benchmarks", &p(&dir, "b.csv")]),
        1,
        &["b.csv", "row 1", "has no wave column"],
    );
}

/// `--missing em` on 1,200 respondents with 15% of each driver's answers blank (only 535
/// complete): the Shapley values are those of lavaan's maximum-likelihood correlation
/// matrix, `lavCor(missing = "ml")` (tests/data/em/, made by make.py and make.R), to 1e-4.
#[test]
fn em_matches_lavaan_maximum_likelihood() {
    let want: Value = serde_json::from_str(include_str!("data/em/lavaan.json")).unwrap();
    let corr: Vec<Vec<f64>> = serde_json::from_value(want["correlation"].clone()).unwrap();
    let corr = ndarray::Array2::from_shape_fn((6, 6), |(i, j)| corr[i][j]);
    let gains = keydriver::engine::subsets::Gains::exact(&corr, Default::default());
    let lavaan = keydriver::engine::shapley::Shapley::exact(&gains).values;
    let run = |extra: &[&str]| {
        common::json(
            keydriver()
                .args(["drivers", "--data", "tests/data/em/blanks.csv", "--target", "y", "--outcome", "numeric"])
                .args(["--drivers", "d1,d2,d3,d4,d5", "--format", "json"])
                .args(extra),
        )
    };
    let got = run(&["--missing", "em"]);
    assert_eq!(got["n_used"], want["complete_rows"]);
    assert_eq!(got["rows_used"]["correlation_matrix"], 1200);
    for d in got["drivers"].as_array().unwrap() {
        let j: usize = d["name"].as_str().unwrap()[1..].parse::<usize>().unwrap() - 1;
        let (ours, theirs) = (d["shapley"].as_f64().unwrap(), lavaan[j]);
        assert!((ours - theirs).abs() < 1e-4, "{}: {ours} vs lavaan {theirs}", d["name"]);
    }
    assert!((got["r2"].as_f64().unwrap() - gains.full).abs() < 1e-4);
    // Listwise deletion on the same file says what it cost and points to EM.
    let listwise = run(&[]);
    let notes = listwise["method_notes"].to_string();
    assert!(
        notes.contains("listwise deletion left out 665 of 1200 respondents (55%)") && notes.contains("--missing em"),
        "{notes}"
    );
}

// ---- nothing from the data is trusted ----

/// Payloads a vendor's file could carry: a script, an event handler, a `javascript:`
/// link, and a pipe that would split a table cell.
const PAYLOADS: [&str; 4] =
    ["<script>alert(1)</script>", "<img src=x onerror=alert(2)>", "[x](javascript:alert(3))", "left | right"];

/// The HTML holds only the tags the report writes, no script, no event-handler
/// attribute and no `javascript:` anywhere, and carries the Content-Security-Policy.
fn assert_inert(html: &str) {
    const TAGS: [&str; 27] = [
        "!DOCTYPE",
        "html",
        "head",
        "meta",
        "title",
        "style",
        "body",
        "h1",
        "h2",
        "h3",
        "h4",
        "p",
        "ul",
        "ol",
        "li",
        "strong",
        "em",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
        "img",
        "blockquote",
        "code",
        "br",
    ];
    let lower = html.to_lowercase();
    assert!(!lower.contains("<script") && !lower.contains("javascript:"), "script in report.html");
    assert!(html.contains("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; style-src 'unsafe-inline'\">"));
    for tag in html.split('<').skip(1) {
        let tag = tag.split('>').next().unwrap();
        let name = tag.trim_start_matches('/').split([' ', '/']).next().unwrap();
        assert!(TAGS.contains(&name), "unexpected tag <{tag}>");
        // No attribute is an event handler (`on…=`); text inside alt has its `=` as an entity.
        let handler =
            |a: &str| a.split_once('=').is_some_and(|(k, _)| k.starts_with("on") && k.chars().all(char::is_alphabetic));
        assert!(!tag.to_lowercase().split_whitespace().any(handler), "handler in <{tag}>");
    }
    // Every table row has as many cells as its header.
    for table in html.split("<table>").skip(1) {
        let table = table.split("</table>").next().unwrap();
        let counts: Vec<usize> =
            table.split("<tr>").skip(1).map(|row| row.matches("<td").count() + row.matches("<th").count()).collect();
        assert!(counts.windows(2).all(|w| w[0] == w[1]), "a table lost its columns: {counts:?}");
    }
}

/// Every markdown table row has as many cells (unescaped pipes) as its header.
fn assert_tables_whole(md: &str) {
    let cells = |line: &str| {
        let bytes = line.as_bytes();
        (0..bytes.len()).filter(|&i| bytes[i] == b'|' && (i == 0 || bytes[i - 1] != b'\\')).count()
    };
    let mut header: Option<usize> = None;
    for line in md.lines() {
        if line.starts_with('|') {
            let n = cells(line);
            let want = *header.get_or_insert(n);
            assert_eq!(n, want, "a table row lost its columns: {line}");
        } else {
            header = None;
        }
    }
    assert!(!md.contains("<script") && !md.contains("<img"), "raw HTML in report.md");
}

#[test]
fn text_from_every_source_reaches_the_report_inert() {
    let data = tempfile::tempdir().unwrap();
    let sim = keydriver()
        .args(["simulate", "--respondents", "1200", "--out", &data.path().display().to_string()])
        .output()
        .unwrap();
    assert!(sim.status.success());
    // CSV header (a driver with no label), segment and wave values, from the data file.
    let ratings = fs::read_to_string(data.path().join("ratings.csv")).unwrap();
    let mut lines = ratings.lines();
    let header = lines.next().unwrap().replace(",follow_up", ",\"<svg onload=alert(4)>\"");
    let regions = [("East", PAYLOADS[0]), ("North", PAYLOADS[1]), ("South", PAYLOADS[2]), ("West", PAYLOADS[3])];
    let body: Vec<String> = lines
        .map(|l| {
            let mut cells: Vec<String> = l.split(',').map(str::to_string).collect();
            let region = regions.iter().find(|(r, _)| *r == cells[2]).unwrap().1;
            cells[2] = format!("\"{}\"", region.replace('"', "\"\""));
            cells[1] = format!("\"{} <b onmouseover=alert(5)>\"", cells[1]);
            cells.join(",")
        })
        .collect();
    fs::write(data.path().join("ratings.csv"), format!("{header}\n{}\n", body.join("\n"))).unwrap();
    fs::write(data.path().join("benchmarks.csv"), format!("metric,wave,value,label\nnps,,10,\"{}\"\n", PAYLOADS[0]))
        .unwrap();
    let mut toml = String::from(
        "ratings = \"ratings.csv\"\nnps = \"nps.csv\"\nid = \"respondent_id\"\nwave = \"quarter\"\n\
         segments = [\"region\", \"channel\"]\nmissing_codes = [99]\nbenchmarks = \"benchmarks.csv\"\n\
         [scale]\nmin = 1\nmax = 10\n",
    );
    toml.push_str(&format!(
        "[[outcomes]]\ncolumn = \"likelihood_to_recommend\"\nkind = \"nps\"\nlabel = {:?}\n",
        "<iframe src=javascript:alert(6)>"
    ));
    let labelled = ["wait_time", "quality", "flexibility", "transparency"];
    for (column, label) in labelled.iter().zip(PAYLOADS) {
        toml.push_str(&format!("[[drivers]]\ncolumn = \"{column}\"\nlabel = {label:?}\n"));
    }
    for column in ["problem_solving", "communication", "expertise", "<svg onload=alert(4)>"] {
        toml.push_str(&format!("[[drivers]]\ncolumn = {column:?}\n"));
    }
    fs::write(data.path().join("survey.toml"), toml).unwrap();
    let out = tempfile::tempdir().unwrap();
    let config = p(&data, "survey.toml");
    let flags = format!("problem_solving={},communication=`x` *y* _z_", PAYLOADS[1]);
    for (name, extra) in [("from-toml", vec![]), ("from-flags", vec!["--drivers".to_string(), flags])] {
        let run = report_cmd(out.path())
            .args(["--bootstrap", "20", "--config", &config, "--name", name])
            .args(&extra)
            .output()
            .unwrap();
        assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
        let dir = out.path().join(name);
        let md = fs::read_to_string(dir.join("report.md")).unwrap();
        let html = fs::read_to_string(dir.join("report.html")).unwrap();
        assert_inert(&html);
        assert_tables_whole(&md);
        // The text is still there for the reader, as text.
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "{name}");
        assert!(md.contains("left \\| right") || name == "from-flags", "{name}");
    }
}

/// The SPSS fixture's variable labels and value labels carry the payloads
/// (tests/data/formats/make.py): they reach report.html as text.
#[test]
fn spss_labels_reach_the_report_inert() {
    let out = tempfile::tempdir().unwrap();
    let run = report_cmd(out.path())
        .args(["--data", "tests/data/formats/hostile.sav", "--nps", "notebooks-data/nps.csv"])
        .args(["--id", "respondent_id", "--target", "likelihood_to_recommend", "--wave", "quarter"])
        .args(["--segments", "region", "--drivers", "wait_time,quality,expertise", "--missing-codes", "99"])
        .args(["--bootstrap", "0", "--name", "spss"])
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let dir = out.path().join("spss");
    let md = fs::read_to_string(dir.join("report.md")).unwrap();
    let html = fs::read_to_string(dir.join("report.html")).unwrap();
    assert_inert(&html);
    assert_tables_whole(&md);
    assert!(html.contains("Wait &lt;script&gt;"), "the variable label is shown as text");
    assert!(html.contains("West \\| Coast") || md.contains("West \\| Coast"), "the value label is shown whole");
}

#[test]
fn two_runs_at_once_write_one_report_and_the_other_refuses() {
    let out = tempfile::tempdir().unwrap();
    let start = || {
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("keydriver"));
        cmd.args(["report", "--bootstrap", "0", "--out", &out.path().display().to_string(), "--name", "same"]);
        cmd.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped()).spawn().unwrap()
    };
    for _ in 0..3 {
        fs::remove_dir_all(out.path().join("same")).ok();
        let (a, b) = (start(), start());
        let results = [a.wait_with_output().unwrap(), b.wait_with_output().unwrap()];
        let won = results.iter().filter(|r| r.status.success()).count();
        assert_eq!(won, 1, "exactly one run writes the report");
        let lost = results.iter().find(|r| !r.status.success()).unwrap();
        assert_eq!(lost.status.code(), Some(3));
        assert!(String::from_utf8_lossy(&lost.stderr).contains("a report already exists here"));
        assert!(out.path().join("same/report.md").exists());
        // No staging folder is left behind by either.
        let left: Vec<_> = fs::read_dir(out.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(left, ["same"], "{left:?}");
    }
}

/// `whatif` on tests/data/whatif/survey.csv (600 respondents, four drivers).
fn whatif_cmd(dir: &tempfile::TempDir) -> Command {
    let mut c = keydriver();
    c.args(["whatif", "--data", &p(dir, "survey.csv"), "--target", "ltr"])
        .args(["--drivers", "wait_time=Wait time,quality,problem_solving,transparency", "--scale-min", "1"])
        .args(["--scale-max", "10"]);
    c
}

fn whatif_folder() -> tempfile::TempDir {
    folder(&[
        ("survey.csv", include_str!("data/whatif/survey.csv")),
        ("costs.csv", "driver,cost,unit\nwait_time,2.5,EUR\nproblem_solving,4,EUR\nquality,1,EUR\n"),
    ])
}

#[test]
fn whatif_json_contract_with_costs_and_intervals() {
    let dir = whatif_folder();
    let mut cmd = whatif_cmd(&dir);
    cmd.args(["--bootstrap", "60", "--costs", &p(&dir, "costs.csv"), "--format", "json"]);
    let v = common::json(&mut cmd);
    assert_eq!(v["model"], "logits");
    assert_eq!((v["n"].as_u64(), v["resamples"].as_u64(), v["cost_unit"].as_str()), (Some(600), Some(60), Some("EUR")));
    let (observed, predicted) =
        (v["baseline"]["observed"].as_f64().unwrap(), v["baseline"]["predicted"].as_f64().unwrap());
    assert!((observed - 15.666666666666666).abs() < 1e-9 && (predicted - observed).abs() < 1e-6);
    let s = v["scenarios"].as_array().unwrap();
    assert_eq!(s.len(), 4, "each driver +1 by default");
    let by = |d: &str| s.iter().find(|x| x["driver"] == d).unwrap();
    let wait = by("wait_time");
    assert_eq!(
        (wait["name"].as_str(), wait["shift"].as_str(), wait["label"].as_str()),
        (Some("wait_time+1"), Some("+1"), Some("Wait time +1"))
    );
    // The change's R value (tests/data/whatif/expected.csv) inside its interval.
    let change = wait["change"].as_f64().unwrap();
    assert!((change - 6.96788082790998).abs() < 1e-6);
    assert!(wait["ci_low"].as_f64().unwrap() < change && change < wait["ci_high"].as_f64().unwrap());
    // Cost per respondent: 2.5 EUR a point times the mean points moved (0.9767 of them move one).
    let cost = wait["cost"].as_f64().unwrap();
    assert!((cost - 2.5 * 0.976666666666667).abs() < 1e-9, "{cost}");
    assert!((wait["per_cost"].as_f64().unwrap() - change / cost).abs() < 1e-12);
    assert!(wait["per_cost_ci_low"].as_f64().unwrap() < wait["per_cost"].as_f64().unwrap());
    // Without a cost, no return; with costs, ranked by return, those without last.
    assert!(by("transparency").get("per_cost").is_none());
    let returns: Vec<f64> = s.iter().map(|x| x["per_cost"].as_f64().unwrap_or(f64::NEG_INFINITY)).collect();
    assert!(returns.windows(2).all(|w| w[0] >= w[1]), "{returns:?}");
}

#[test]
fn whatif_is_reproducible_whatever_the_thread_count_and_off_without_a_bootstrap() {
    let dir = whatif_folder();
    let run = |threads: &str| {
        let mut cmd = whatif_cmd(&dir);
        cmd.env("RAYON_NUM_THREADS", threads).args([
            "--bootstrap",
            "40",
            "--scenario",
            "wait_time>=7",
            "--format",
            "json",
        ]);
        common::json(&mut cmd)
    };
    let (one, two) = (run("1"), run("2"));
    assert_eq!(one, two);
    assert_eq!(one["scenarios"][0]["shift"], ">=7");
    let mut cmd = whatif_cmd(&dir);
    cmd.args(["--bootstrap", "0", "--format", "json"]);
    let off = common::json(&mut cmd);
    assert!(off["scenarios"][0].get("ci_low").is_none() && off["resamples"] == 0);
}

#[test]
fn whatif_refuses_bad_scenarios_costs_and_models() {
    let dir = whatif_folder();
    fails(whatif_cmd(&dir).args(["--scenario", "speed+1"]), 2, &["speed+1", "names no driver", "wait_time, quality"]);
    fails(whatif_cmd(&dir).args(["--scenario", "quality>=12"]), 2, &["outside the rating scale 1–10"]);
    fs::write(dir.path().join("bad.csv"), "driver,cost\nquality,1\nspeed,2\n").unwrap();
    fails(
        whatif_cmd(&dir).args(["--costs", &p(&dir, "bad.csv")]),
        1,
        &["bad.csv", "column \"driver\", row 2", "unknown driver \"speed\""],
    );
    fs::write(dir.path().join("free.csv"), "driver,cost\nquality,0\n").unwrap();
    fails(whatif_cmd(&dir).args(["--costs", &p(&dir, "free.csv")]), 1, &["free.csv", "row 1", "must be above 0"]);
    fails(
        whatif_cmd(&dir).args(["--outcome", "numeric", "--model", "logits", "--bootstrap", "0"]),
        1,
        &["no what-if for \"ltr\"", "logits model does not apply to a numeric outcome"],
    );
}
