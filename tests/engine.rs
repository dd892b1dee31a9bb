//! The driver engine against published and peer-computed values (tests/data/README.md),
//! and the identities relative importance must satisfy.

use keydriver::engine::{self, subsets, DriverTable, Method, Missing, NonPd, Options, RankBy};
use keydriver::load::ModelData;
use keydriver::schema::outcome::{Outcome, OutcomeKind, OutcomeSpec};
use keydriver::schema::settings::{DriverSpec, WeightsAre};
use keydriver::stats::replicates::row_keys;
use ndarray::{Array1, Array2};
use serde_json::Value;

const TOL: f64 = 1e-6;

fn close(got: f64, want: f64, tol: f64, what: &str) {
    assert!((got - want).abs() <= tol, "{what}: got {got}, want {want}");
}

fn specs(names: &[&str]) -> Vec<DriverSpec> {
    names.iter().map(|n| DriverSpec { column: n.to_string(), ..Default::default() }).collect()
}

fn data(x: Array2<f64>, y: Array1<f64>, w: Option<Array1<f64>>) -> ModelData {
    ModelData { names: vec![], n_used: y.len(), n_dropped: 0, keys: row_keys(0..y.len()), x: x.into(), y, w }
}

const SWISS_DRIVERS: [&str; 5] = ["Agriculture", "Examination", "Education", "Catholic", "Infant.Mortality"];

/// swiss.csv: province, Fertility, then the five drivers.
fn swiss() -> ModelData {
    let text = include_str!("data/swiss.csv");
    let rows: Vec<Vec<f64>> =
        text.lines().skip(1).map(|l| l.split(',').skip(1).map(|v| v.parse().unwrap()).collect()).collect();
    let x = Array2::from_shape_fn((rows.len(), 5), |(i, j)| rows[i][j + 1]);
    let y = rows.iter().map(|r| r[0]).collect();
    data(x, y, None)
}

/// The reference cases' outcomes are plain numbers (Fertility, synthetic y).
fn numeric() -> Outcome {
    OutcomeSpec { column: "y".into(), kind: OutcomeKind::Numeric, ..Default::default() }.resolve().unwrap()
}

fn fit(d: &ModelData, names: &[&str], opts: &Options) -> DriverTable {
    fit_as(&numeric(), d, names, opts)
}

fn fit_as(outcome: &Outcome, d: &ModelData, names: &[&str], opts: &Options) -> DriverTable {
    DriverTable::fit_data(outcome, &specs(names), d, None, opts).unwrap()
}

/// Drivers back in column order (the table is sorted by rank).
fn by_name<'a>(t: &'a DriverTable, names: &[&str]) -> Vec<&'a engine::Driver> {
    names.iter().map(|n| t.drivers.iter().find(|d| d.name == *n).unwrap()).collect()
}

fn field(d: &engine::Driver, f: &str) -> f64 {
    serde_json::to_value(d).unwrap()[f].as_f64().unwrap()
}

#[test]
fn swiss_matches_relaimpo_lm_relativeimp_and_brute_force() {
    let want: Value = serde_json::from_str(include_str!("data/swiss-expected.json")).unwrap();
    let t = fit(&swiss(), &SWISS_DRIVERS, &Options::default());
    close(t.r2, want["r2"].as_f64().unwrap(), TOL, "R²");
    assert_eq!(t.n_used, 47);
    let got = by_name(&t, &SWISS_DRIVERS);
    for (d, w) in got.iter().zip(want["drivers"].as_array().unwrap()) {
        assert_eq!(d.name, w["name"].as_str().unwrap());
        let wf = |k: &str| w[k].as_f64().unwrap();
        let n = &d.name;
        close(d.shapley.unwrap(), wf("lmg"), TOL, &format!("{n} LMG"));
        close(d.general_dominance.unwrap(), wf("general_dominance"), TOL, &format!("{n} general dominance"));
        close(d.relative_weight.unwrap(), wf("relative_weight"), TOL, &format!("{n} relative weight"));
        close(d.beta.unwrap(), wf("beta"), TOL, &format!("{n} beta"));
        close(d.coef_se.unwrap(), wf("beta_se_unstandardized"), TOL, &format!("{n} SE"));
        close(d.beta_p.unwrap(), wf("beta_p"), TOL, &format!("{n} p"));
        close(d.vif.unwrap(), wf("vif"), TOL, &format!("{n} VIF"));
        close(d.corr, wf("corr"), TOL, &format!("{n} corr"));
        close(d.spearman.unwrap(), wf("spearman"), TOL, &format!("{n} Spearman"));
        close(d.kruskal.unwrap(), wf("kruskal"), TOL, &format!("{n} Kruskal"));
        let cd = d.conditional_dominance.as_ref().unwrap();
        for (k, v) in w["conditional_dominance"].as_array().unwrap().iter().enumerate() {
            close(cd[k], v.as_f64().unwrap(), TOL, &format!("{n} conditional dominance at size {k}"));
        }
    }
    let mut got_pairs: Vec<[String; 2]> = t.complete_dominance.clone().unwrap();
    let mut want_pairs: Vec<[String; 2]> = serde_json::from_value(want["complete_dominance"].clone()).unwrap();
    got_pairs.sort();
    want_pairs.sort();
    assert_eq!(got_pairs, want_pairs);
    // Ranked by LMG: Education, Examination, Infant.Mortality, Catholic, Agriculture.
    let order: Vec<&str> = t.drivers.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(order, ["Education", "Examination", "Infant.Mortality", "Catholic", "Agriculture"]);
    // Examination's beta is negative, like its correlation; Agriculture's beta is negative
    // while it correlates positively with Fertility: flagged.
    assert_eq!(got[0].direction, "mixed");
    assert_eq!(got[1].direction, "negative");
}

#[test]
fn azen_budescu_from_the_correlation_matrix() {
    let want: Value = serde_json::from_str(include_str!("data/azen-budescu-2003.json")).unwrap();
    let corr: Vec<Vec<f64>> = serde_json::from_value(want["correlation"].clone()).unwrap();
    let corr = Array2::from_shape_fn((5, 5), |(i, j)| corr[i][j]);
    let gains = subsets::Gains::exact(&corr, subsets::Wants { partial: true, complete: true });
    close(gains.full, want["r2"].as_f64().unwrap(), 1e-12, "R²");
    let dom = engine::dominance::Dominance::fit(&gains);
    let kr = engine::kruskal::kruskal(&gains);
    for (j, x) in ["x1", "x2", "x3", "x4"].iter().enumerate() {
        close(dom.general[j], want["general_dominance"][x].as_f64().unwrap(), 1e-12, &format!("{x} general"));
        close(kr[j], want["kruskal"][x].as_f64().unwrap(), 1e-12, &format!("{x} Kruskal"));
        for (k, v) in want["conditional_dominance"][x].as_array().unwrap().iter().enumerate() {
            close(dom.conditional[j][k], v.as_f64().unwrap(), 1e-12, &format!("{x} conditional {k}"));
        }
    }
}

/// A correlated, weighted survey-like data set (deterministic).
fn synthetic(n: usize, p: usize) -> ModelData {
    use rand::{Rng, SeedableRng};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    let mut x = Array2::zeros((n, p));
    let mut y = Array1::zeros(n);
    for i in 0..n {
        let g: f64 = rng.gen_range(-1.0..1.0);
        for j in 0..p {
            x[[i, j]] = (5.0 + 3.0 * g + 2.0 * rng.gen_range(-1.0..1.0f64)).round();
            y[i] += (p - j) as f64 * 0.1 * x[[i, j]];
        }
        y[i] += 2.0 * rng.gen_range(-1.0..1.0f64);
    }
    let w = (0..n).map(|i| 0.5 + (i % 3) as f64).collect();
    data(x, y, Some(w))
}

fn names(p: usize) -> Vec<String> {
    (0..p).map(|j| format!("d{j}")).collect()
}

#[test]
fn identities_shapley_sums_to_r2_equals_general_dominance_relweights_sum_to_r2() {
    let d = synthetic(300, 7);
    let n = names(7);
    let nr: Vec<&str> = n.iter().map(String::as_str).collect();
    let t = fit(&d, &nr, &Options::default());
    let sum = |f: &str| t.drivers.iter().map(|d| field(d, f)).sum::<f64>();
    close(sum("shapley"), t.r2, 1e-12, "Σ Shapley");
    close(sum("relative_weight"), t.r2, 1e-12, "Σ relative weights");
    close(sum("shapley_share"), 1.0, 1e-12, "Σ shares");
    for d in &t.drivers {
        close(d.general_dominance.unwrap(), d.shapley.unwrap(), 1e-12, "general dominance = Shapley");
    }
}

#[test]
fn weights_of_one_equal_unweighted_and_weights_matter() {
    let mut d = synthetic(200, 4);
    let nr = ["a", "b", "c", "d"];
    // Scored as NPS (y ≥ 9 promoters) so that the logits are compared too.
    let nps = keydriver::schema::outcome::Outcome::nps("y");
    let fit = |d: &ModelData, nr: &[&str], o: &Options| fit_as(&nps, d, nr, o);
    let weighted = fit(&d, &nr, &Options::default());
    d.w = Some(Array1::ones(200));
    let frequency = Options { weights_are: WeightsAre::Frequency, ..Options::default() };
    let ones = fit(&d, &nr, &frequency);
    let ones_sampling = fit(&d, &nr, &Options::default());
    d.w = None;
    let none = fit(&d, &nr, &Options::default());
    for (a, b) in by_name(&ones, &nr).iter().zip(by_name(&none, &nr)) {
        for f in ["shapley", "relative_weight", "beta", "beta_se", "kruskal", "spearman", "promoter_odds_ratio"] {
            close(field(a, f), field(b, f), 1e-6, f);
        }
    }
    // Unit sampling weights: the same estimates, but design-based (sandwich) SEs.
    for (a, b) in by_name(&ones_sampling, &nr).iter().zip(by_name(&none, &nr)) {
        close(field(a, "beta"), field(b, "beta"), 1e-9, "beta");
        assert!((field(a, "beta_se") - field(b, "beta_se")).abs() > 1e-6, "sandwich SE equals the model-based one");
    }
    assert_eq!(ones_sampling.standard_errors, Some(engine::StandardErrors::DesignBased));
    assert_eq!(ones.standard_errors, Some(engine::StandardErrors::WeightedLm));
    assert_eq!(none.standard_errors, Some(engine::StandardErrors::Ols));
    assert!((weighted.r2 - none.r2).abs() > 1e-4, "weights must change the fit");
}

#[test]
fn permuting_driver_order_changes_nothing() {
    let d = synthetic(200, 5);
    let nr = ["a", "b", "c", "d", "e"];
    let t = fit(&d, &nr, &Options::default());
    let perm = [3, 0, 4, 1, 2];
    let dx = d.x.to_floats();
    let x = Array2::from_shape_fn(dx.raw_dim(), |(i, j)| dx[[i, perm[j]]]);
    let pd = data(x, d.y.clone(), d.w.clone());
    let pn: Vec<&str> = perm.iter().map(|&j| nr[j]).collect();
    let tp = fit(&pd, &pn, &Options::default());
    close(t.r2, tp.r2, 1e-12, "R²");
    for (a, b) in by_name(&t, &nr).iter().zip(by_name(&tp, &nr)) {
        assert_eq!(a.rank, b.rank);
        for f in ["shapley", "relative_weight", "beta", "kruskal", "general_dominance"] {
            close(field(a, f), field(b, f), 1e-10, f);
        }
    }
}

#[test]
fn rescaling_a_driver_changes_nothing() {
    // pingouin's LMG breaks when a column is multiplied by 1e-8.
    let d = synthetic(200, 4);
    let nr = ["a", "b", "c", "d"];
    let t = fit(&d, &nr, &Options::default());
    let mut x = d.x.to_floats();
    x.column_mut(1).mapv_inplace(|v| v * 1e-8);
    x.column_mut(2).mapv_inplace(|v| v * 1e8 + 3.0);
    let ts = fit(&data(x, d.y.clone(), d.w.clone()), &nr, &Options::default());
    for (a, b) in by_name(&t, &nr).iter().zip(by_name(&ts, &nr)) {
        for f in ["shapley", "relative_weight", "beta", "beta_p", "corr", "spearman"] {
            close(field(a, f), field(b, f), 1e-8, f);
        }
    }
}

#[test]
fn a_duplicated_driver_shares_with_its_twin_and_is_flagged() {
    let d = synthetic(200, 3);
    let mut x = Array2::zeros((200, 4));
    let dx = d.x.to_floats();
    x.slice_mut(ndarray::s![.., ..3]).assign(&dx);
    x.column_mut(3).assign(&dx.column(0));
    let nr = ["a", "b", "c", "a_twin"];
    let t = fit(&data(x, d.y.clone(), d.w.clone()), &nr, &Options::default());
    let got = by_name(&t, &nr);
    close(got[0].shapley.unwrap(), got[3].shapley.unwrap(), 1e-12, "twin Shapley");
    close(got[0].relative_weight.unwrap(), got[3].relative_weight.unwrap(), 1e-9, "twin relative weight");
    close(t.drivers.iter().map(|d| d.shapley.unwrap()).sum(), t.r2, 1e-12, "Σ Shapley");
    // R² is the model without the twin.
    let alone = fit(&d, &["a", "b", "c"], &Options::default());
    close(t.r2, alone.r2, 1e-12, "R² with a twin");
    assert!(got.iter().all(|d| d.beta.is_none() && d.vif.is_none()));
    assert!(t.method_notes.iter().map(|n| n.to_string()).any(|n| n.contains("collinear") && n.contains("a_twin")));
    let json = serde_json::to_string(&t).unwrap();
    assert!(!json.contains("NaN") && !json.contains("null"), "{json}");
}

#[test]
fn constant_driver_gets_zero_and_a_note() {
    let d = synthetic(100, 3);
    let mut x = d.x.to_floats();
    x.column_mut(2).fill(4.0);
    let t = fit(&data(x, d.y.clone(), None), &["a", "b", "c"], &Options::default());
    let c = by_name(&t, &["c"])[0];
    close(c.shapley.unwrap(), 0.0, 1e-12, "constant driver");
    assert!(t.method_notes.iter().map(|n| n.to_string()).any(|n| n.contains("constant") && n.contains('c')));
}

#[test]
fn degenerate_data_is_a_clear_error() {
    let d = synthetic(5, 4);
    let err =
        DriverTable::fit_data(&numeric(), &specs(&["a", "b", "c", "d"]), &d, None, &Options::default()).unwrap_err();
    assert!(err.to_string().contains("only 5 complete rows for 4 drivers"), "{err}");
    let d = synthetic(50, 2);
    let flat = data(d.x.to_floats(), Array1::from_elem(50, 7.0), None);
    let err = DriverTable::fit_data(&numeric(), &specs(&["a", "b"]), &flat, None, &Options::default()).unwrap_err();
    assert!(err.to_string().contains("same y score"), "{err}");
    let consts = data(Array2::from_elem((50, 2), 3.0), d.y.clone(), None);
    let err = DriverTable::fit_data(&numeric(), &specs(&["a", "b"]), &consts, None, &Options::default()).unwrap_err();
    assert!(err.to_string().contains("every driver is constant"), "{err}");
}

#[test]
fn covariance_ols_agrees_with_linfa_linear() {
    use linfa::prelude::*;
    let d = swiss();
    let t = fit(&d, &SWISS_DRIVERS, &Options { methods: vec![Method::Ols], ..Options::default() });
    let model = linfa_linear::LinearRegression::new().fit(&linfa::Dataset::new(d.x.to_floats(), d.y.clone())).unwrap();
    for (j, dr) in by_name(&t, &SWISS_DRIVERS).iter().enumerate() {
        close(dr.coef.unwrap(), model.params()[j], 1e-8, "coefficient");
    }
}

#[test]
fn sampled_shapley_is_close_to_exact_and_reproducible() {
    let d = synthetic(300, 6);
    let nr = ["a", "b", "c", "d", "e", "f"];
    let exact = fit(&d, &nr, &Options::default());
    let opts = Options { approx: true, permutations: 4000, seed: 11, ..Options::default() };
    let a = fit(&d, &nr, &opts);
    let b = fit(&d, &nr, &opts);
    assert!(a.shapley_method.as_ref().unwrap().to_string().starts_with("sampled, 4000"));
    for ((x, y), e) in by_name(&a, &nr).iter().zip(by_name(&b, &nr)).zip(by_name(&exact, &nr)) {
        assert_eq!(x.shapley, y.shapley, "same seed, same values");
        let se = x.shapley_se.unwrap();
        assert!(se > 0.0 && se < 0.01, "MC SE {se}");
        assert!((x.shapley.unwrap() - e.shapley.unwrap()).abs() < 5.0 * se + 1e-12, "within 5 MC SE");
    }
    // Every ordering's gains sum to R², so the sampled values do too.
    close(a.drivers.iter().map(|d| d.shapley.unwrap()).sum(), a.r2, 1e-9, "Σ sampled Shapley");
}

/// `--tolerance`: sampling stops after the first round of 4,096 orderings whose SEs are
/// all within it; a tolerance never met uses every ordering allowed.
#[test]
fn sampled_shapley_stops_at_its_tolerance() {
    let d = synthetic(300, 6);
    let nr = ["a", "b", "c", "d", "e", "f"];
    let run = |tolerance| {
        let opts = Options { approx: true, permutations: 40_000, tolerance: Some(tolerance), ..Options::default() };
        fit(&d, &nr, &opts)
    };
    let loose = run(0.01);
    assert!(loose.shapley_method.as_ref().unwrap().to_string().starts_with("sampled, 4096 random orderings"));
    assert!(loose.drivers.iter().all(|x| x.shapley_se.unwrap() <= 0.01));
    let tight = run(1e-9);
    assert!(tight.shapley_method.as_ref().unwrap().to_string().starts_with("sampled, 40000 random orderings"));
    // More orderings, smaller errors: SE falls as 1/√m.
    for (l, t) in
        loose.drivers.iter().zip(&by_name(&tight, &loose.drivers.iter().map(|x| x.name.as_str()).collect::<Vec<_>>()))
    {
        let ratio = l.shapley_se.unwrap() / t.shapley_se.unwrap();
        assert!((ratio - (40_000f64 / 4096.0).sqrt()).abs() < 0.6, "{ratio}");
    }
}

#[test]
fn beyond_30_drivers_shapley_is_sampled_and_dominance_skipped() {
    let d = synthetic(400, 31);
    let n = names(31);
    let nr: Vec<&str> = n.iter().map(String::as_str).collect();
    let opts = Options {
        permutations: 200,
        bootstrap: 20,
        methods: vec![Method::Shapley, Method::Dominance],
        ..Options::default()
    };
    let t = fit(&d, &nr, &opts);
    assert!(t.shapley_method.as_ref().unwrap().to_string().starts_with("sampled"));
    assert!(t.drivers.iter().all(|d| d.shapley_se.is_some() && d.general_dominance.is_none()));
    assert!(t.method_notes.iter().map(|n| n.to_string()).any(|n| n.contains("skipped")));
    // The bootstrap works on sampled values too, and says what that costs.
    assert!(t.drivers.iter().all(|d| d.ci_low.unwrap() <= d.ci_high.unwrap()));
    assert!(t
        .method_notes
        .iter()
        .map(|n| n.to_string())
        .any(|n| n.contains("random orderings; their Monte-Carlo error")));
}

#[test]
fn promoter_odds_ratios_point_the_right_way_and_match_linfa_logistic() {
    let d = synthetic(400, 3);
    // Rescale y onto 0–10 so there are promoters and detractors.
    let (lo, hi) = d.y.iter().fold((f64::MAX, f64::MIN), |(a, b), &v| (a.min(v), b.max(v)));
    let y = d.y.mapv(|v| (10.0 * (v - lo) / (hi - lo)).round());
    let unweighted = data(d.x.to_floats(), y.clone(), None);
    let logits = Options { methods: vec![Method::Logit], ..Options::default() };
    let nps = Outcome::nps("y");
    let t = fit_as(&nps, &unweighted, &["a", "b", "c"], &logits);
    let top = by_name(&t, &["a"])[0];
    assert!(top.odds_ratio("promoter").unwrap() > 1.0, "higher rating, more promoters");
    assert!(top.odds_ratio("detractor").unwrap() < 1.0, "higher rating, fewer detractors");
    let r2 = t.pseudo_r2["promoter_pseudo_r2"];
    assert!(r2 > 0.0 && r2 < 1.0);
    // The engine's Newton–Raphson against linfa-logistic's L-BFGS, penalty off.
    use linfa::prelude::*;
    for (class, in_class) in [("promoter", 9.0..=10.0), ("detractor", 0.0..=6.0)] {
        let labels = y.mapv(|v| in_class.contains(&v));
        let model = linfa_logistic::LogisticRegression::default()
            .alpha(0.0)
            .max_iterations(1000)
            .gradient_tolerance(1e-8)
            .fit(&linfa::Dataset::new(d.x.to_floats(), labels))
            .unwrap();
        // linfa-logistic calls the more frequent class "positive"; we want P(in class).
        let sign = if model.labels().pos.class { 1.0 } else { -1.0 };
        for (j, x) in by_name(&t, &["a", "b", "c"]).iter().enumerate() {
            close(x.odds_ratio(class).unwrap(), (sign * model.params()[j]).exp(), 1e-4, class);
        }
    }
    // Unit weights change nothing.
    let ones = data(d.x.to_floats(), y, Some(Array1::ones(400)));
    let tw = fit_as(&nps, &ones, &["a", "b", "c"], &logits);
    for (a, b) in by_name(&t, &["a", "b", "c"]).iter().zip(by_name(&tw, &["a", "b", "c"])) {
        for class in ["promoter", "detractor"] {
            close(a.odds_ratio(class).unwrap(), b.odds_ratio(class).unwrap(), 1e-12, class);
        }
    }
    // A numeric outcome has no classes, so no logits.
    assert!(fit(&unweighted, &["a", "b", "c"], &logits).drivers.iter().all(|d| d.odds_ratios.is_empty()));
}

#[test]
#[allow(clippy::needless_range_loop)] // one index across four columns reads best here
fn pairwise_non_positive_definite_is_repaired_or_refused() {
    // Three drivers observed in disjoint pairs so pairwise correlations are incompatible.
    let n = 60;
    let mut cols: Vec<Vec<Option<f64>>> = vec![vec![None; n]; 4];
    for i in 0..n {
        let v = (i % 10) as f64;
        let u = ((i * 7) % 10) as f64;
        match i % 3 {
            0 => {
                cols[0][i] = Some(v);
                cols[1][i] = Some(v);
            }
            1 => {
                cols[1][i] = Some(v);
                cols[2][i] = Some(v);
            }
            _ => {
                cols[0][i] = Some(v);
                cols[2][i] = Some(9.0 - v);
            }
        }
        cols[3][i] = Some(v + u / 10.0);
    }
    let listwise = data(Array2::zeros((0, 3)), Array1::zeros(0), None);
    let opts = Options { missing: Missing::Pairwise, ..Options::default() };
    let t = DriverTable::fit_data(
        &numeric(),
        &specs(&["a", "b", "c"]),
        &listwise,
        Some((&(cols.clone(), None), &row_keys(0..cols[0].len()))),
        &opts,
    )
    .unwrap();
    assert_eq!(t.correlation_matrix, "repaired");
    assert!(t.method_notes.iter().map(|n| n.to_string()).any(|n| n.contains("nearest correlation matrix")));
    // No complete rows: the row-based methods say why they are missing instead of NaN.
    assert!(t.method_notes.iter().map(|n| n.to_string()).any(|n| n.contains("Spearman correlations skipped")));
    assert!(t.r2 >= 0.0 && t.r2 <= 1.0);
    let json = serde_json::to_string(&t).unwrap();
    assert!(!json.contains("NaN") && !json.contains("null"));
    let refuse = Options { non_pd: NonPd::Refuse, ..opts };
    let err = DriverTable::fit_data(
        &numeric(),
        &specs(&["a", "b", "c"]),
        &listwise,
        Some((&(cols.clone(), None), &row_keys(0..cols[0].len()))),
        &refuse,
    )
    .unwrap_err();
    assert!(err.to_string().contains("not positive definite"), "{err}");
}

#[test]
fn rank_by_another_field_or_one_not_run() {
    let d = swiss();
    let t = fit(&d, &SWISS_DRIVERS, &Options { rank_by: Some(RankBy::RelativeWeight), ..Options::default() });
    assert_eq!(t.rank_by, RankBy::RelativeWeight);
    assert!(t.drivers.windows(2).all(|w| w[0].relative_weight >= w[1].relative_weight));
    // Asked for a field whose method is not run: refused before any data is read.
    let opts = Options { rank_by: Some(RankBy::Beta), methods: vec![Method::Shapley], ..Options::default() };
    assert!(opts.check().unwrap_err().contains("--rank-by beta"));
    // Asked for betas that collinear data cannot give: ranked by Shapley, with a note.
    let mut x = d.x.to_floats();
    let twin = x.column(0).to_owned();
    x.column_mut(1).assign(&twin);
    let t = fit(
        &data(x, d.y.clone(), None),
        &SWISS_DRIVERS,
        &Options { rank_by: Some(RankBy::Beta), ..Options::default() },
    );
    assert_eq!(t.rank_by, RankBy::Shapley);
    assert!(
        t.method_notes.iter().map(|n| n.to_string()).any(|n| n.contains("ranked by shapley instead of beta")),
        "{:?}",
        t.method_notes
    );
}

// ---- the bootstrap ----

fn with_bootstrap(b: usize, seed: u64) -> Options {
    Options { bootstrap: b, seed, methods: vec![Method::Shapley, Method::Relweights], ..Options::default() }
}

/// relaimpo's boot.relimp(b = 1000) percentile CIs for swiss (a different RNG, so about
/// ±0.03 apart, as the reference file says).
#[test]
fn swiss_bootstrap_intervals_agree_with_relaimpo_loosely() {
    let want: Value = serde_json::from_str(include_str!("data/swiss-expected.json")).unwrap();
    let t = fit(&swiss(), &SWISS_DRIVERS, &with_bootstrap(1000, 1));
    for (d, w) in by_name(&t, &SWISS_DRIVERS).iter().zip(want["drivers"].as_array().unwrap()) {
        close(d.ci_low.unwrap(), w["boot_lmg_ci_low"].as_f64().unwrap(), 0.03, &format!("{} CI low", d.name));
        close(d.ci_high.unwrap(), w["boot_lmg_ci_high"].as_f64().unwrap(), 0.03, &format!("{} CI high", d.name));
    }
}

/// Coverage: data drawn from a population whose Shapley values are known exactly (they
/// follow from its correlation matrix); about 95% of the 95% intervals must cover them.
/// 150 samples × 3 drivers = 450 intervals; binomial SE of the coverage ≈ 1%, and the
/// percentile bootstrap runs slightly under nominal at n = 250, so we accept 0.91–0.99.
#[test]
fn bootstrap_intervals_cover_the_population_shapley_values() {
    use rand::SeedableRng;
    use rand_distr::{Distribution, StandardNormal};
    // y = 0.5 x1 + 0.3 x2 + 0.2 x3 + e; the xs equicorrelated at 0.3, var(e) = 1.
    let (b, rho) = ([0.5, 0.3, 0.2], 0.3);
    let sxx = |i: usize, j: usize| if i == j { 1.0 } else { rho };
    let sxy: Vec<f64> = (0..3).map(|i| (0..3).map(|j| b[j] * sxx(i, j)).sum()).collect();
    let vy: f64 = (0..3).map(|i| b[i] * sxy[i]).sum::<f64>() + 1.0;
    let pop = Array2::from_shape_fn((4, 4), |(i, j)| match (i, j) {
        (3, 3) => 1.0,
        (i, 3) => sxy[i] / vy.sqrt(),
        (3, j) => sxy[j] / vy.sqrt(),
        (i, j) => sxx(i, j),
    });
    let truth = engine::shapley::Shapley::exact(&subsets::Gains::exact(&pop, Default::default())).values;

    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(99);
    let (reps, n) = (150, 250);
    let mut covered = 0;
    for rep in 0..reps {
        let mut x = Array2::zeros((n, 3));
        let mut y = Array1::zeros(n);
        for i in 0..n {
            let common: f64 = StandardNormal.sample(&mut rng);
            for j in 0..3 {
                let own: f64 = StandardNormal.sample(&mut rng);
                x[[i, j]] = rho.sqrt() * common + (1.0 - rho).sqrt() * own;
                y[i] += b[j] * x[[i, j]];
            }
            let e: f64 = StandardNormal.sample(&mut rng);
            y[i] += e;
        }
        let t = fit(&data(x, y, None), &["x1", "x2", "x3"], &with_bootstrap(200, rep));
        for (d, want) in by_name(&t, &["x1", "x2", "x3"]).iter().zip(&truth) {
            covered += usize::from(d.ci_low.unwrap() <= *want && *want <= d.ci_high.unwrap());
        }
    }
    let coverage = covered as f64 / (3 * reps) as f64;
    eprintln!("bootstrap coverage: {coverage} of {} intervals", 3 * reps);
    assert!((0.91..=0.99).contains(&coverage), "coverage {coverage}");
}

#[test]
fn a_resample_that_cannot_be_fitted_is_counted_and_noted() {
    // One respondent of 12 differs on the score: a resample that misses them (about a
    // third do) has a constant target and cannot be fitted.
    let d = synthetic(12, 2);
    let y = Array1::from_shape_fn(12, |i| if i == 0 { 9.0 } else { 3.0 });
    let t = fit(&data(d.x.to_floats(), y, None), &["a", "b"], &with_bootstrap(300, 5));
    let u = t.uncertainty.as_ref().unwrap();
    assert!(u.bootstrap.failed > 50 && u.bootstrap.failed < 200, "failed {}", u.bootstrap.failed);
    assert!(
        t.method_notes
            .iter()
            .map(|n| n.to_string())
            .any(|n| n.contains("could not be fitted") && n.contains("same y score")),
        "{:?}",
        t.method_notes
    );
    assert!(t.drivers.iter().all(|d| d.ci_low.is_some()));
}

/// A ModelData's columns with gaps: drivers, then the outcome.
fn gappy(d: &ModelData, blank: impl Fn(usize, usize) -> bool) -> Vec<Vec<Option<f64>>> {
    let dx = d.x.to_floats();
    let (n, p) = dx.dim();
    let mut cols: Vec<Vec<Option<f64>>> =
        (0..p).map(|j| (0..n).map(|i| (!blank(i, j)).then_some(dx[[i, j]])).collect()).collect();
    cols.push(d.y.iter().map(|&v| Some(v)).collect());
    cols
}

/// EM with nothing missing is the listwise fit exactly; with a bootstrap it reruns per
/// resample and gives intervals.
#[test]
fn em_without_gaps_equals_listwise() {
    let d = synthetic(300, 4);
    let nr = ["a", "b", "c", "d"];
    let opts = Options { methods: vec![Method::Shapley, Method::Relweights, Method::Ols], ..Options::default() };
    let listwise = fit(&d, &nr, &opts);
    let em_opts = Options { missing: Missing::Em, ..opts.clone() };
    let w = d.w.as_ref().map(|w| w.to_vec());
    let em = DriverTable::fit_data(
        &numeric(),
        &specs(&nr),
        &d,
        Some((&(gappy(&d, |_, _| false), w.clone()), &d.keys)),
        &em_opts,
    )
    .unwrap();
    close(em.r2, listwise.r2, 1e-10, "R²");
    for (a, b) in by_name(&em, &nr).iter().zip(by_name(&listwise, &nr)) {
        for (x, y, what) in
            [(a.shapley, b.shapley, "Shapley"), (a.beta, b.beta, "beta"), (a.relative_weight, b.relative_weight, "RW")]
        {
            close(x.unwrap(), y.unwrap(), 1e-10, what);
        }
    }
    let boot = Options { bootstrap: 30, ..em_opts };
    let t = DriverTable::fit_data(
        &numeric(),
        &specs(&nr),
        &d,
        Some((&(gappy(&d, |i, j| (i + j) % 7 == 0), w), &d.keys)),
        &boot,
    )
    .unwrap();
    assert!(t.drivers.iter().all(|x| x.share_ci_low.unwrap() <= x.share_ci_high.unwrap()));
}

/// Blanks that depend on the outcome (missing at random given it): listwise deletion
/// keeps a skewed sample and moves the Shapley values; EM, using every answer, lands
/// closer to the values of the full data.
#[test]
fn em_is_closer_to_the_full_data_than_listwise_deletion() {
    let d = synthetic(3000, 4);
    let nr = ["a", "b", "c", "d"];
    let opts = Options { methods: vec![Method::Shapley], ..Options::default() };
    let full = fit(&d, &nr, &opts);
    let mut rng = <rand_chacha::ChaCha8Rng as rand::SeedableRng>::seed_from_u64(5);
    let cut = {
        let mut y: Vec<f64> = d.y.to_vec();
        y.sort_by(f64::total_cmp);
        y[y.len() / 2]
    };
    // High scorers skip each rating with probability 0.5, low scorers with 0.05.
    let blanks: Vec<Vec<bool>> = (0..d.y.len())
        .map(|i| {
            let p = if d.y[i] > cut { 0.5 } else { 0.05 };
            (0..4).map(|_| rand::Rng::gen_bool(&mut rng, p)).collect()
        })
        .collect();
    let cols = gappy(&d, |i, j| blanks[i][j]);
    let keep: Vec<usize> = (0..d.y.len()).filter(|&i| !blanks[i].iter().any(|&b| b)).collect();
    let w = d.w.as_ref().unwrap();
    let complete = data(
        d.x.to_floats().select(ndarray::Axis(0), &keep),
        d.y.select(ndarray::Axis(0), &keep),
        Some(w.select(ndarray::Axis(0), &keep)),
    );
    let listwise = fit(&complete, &nr, &opts);
    let em = DriverTable::fit_data(
        &numeric(),
        &specs(&nr),
        &complete,
        Some((&(cols.clone(), Some(w.to_vec())), &row_keys(0..cols[0].len()))),
        &Options { missing: Missing::Em, ..opts },
    )
    .unwrap();
    let error = |t: &DriverTable| -> f64 {
        by_name(t, &nr)
            .iter()
            .zip(by_name(&full, &nr))
            .map(|(a, b)| (a.shapley.unwrap() - b.shapley.unwrap()).abs())
            .sum()
    };
    let (e_lw, e_em) = (error(&listwise), error(&em));
    assert!(keep.len() < 2000, "a skewed complete-case sample: {}", keep.len());
    assert!(e_em < 0.5 * e_lw, "EM error {e_em} against listwise {e_lw}");
}

/// The numbers of a report's driver tables, pooled and per wave and segment, that need no
/// rows: each group's table as `(where, driver, field) -> value`, every field a moments
/// file also gives (Spearman, the logits and the notes need the rows).
fn moment_figures(a: &keydriver::Analysis) -> Vec<(String, f64)> {
    let o = &a.outcomes[0];
    let report = serde_json::to_value(keydriver::analysis::DriverReport {
        table: o.drivers.as_ref().expect("pooled table"),
        groups: &o.groups,
        whatif: None,
    })
    .unwrap();
    let mut tables = vec![("pooled".to_string(), &report)];
    for w in report["waves"].as_array().unwrap() {
        tables.push((format!("wave {}", w["wave"]), w));
    }
    for (col, levels) in report["segments"].as_object().unwrap() {
        for g in levels.as_array().unwrap() {
            tables.push((format!("{col}={}", g["group"]), g));
        }
    }
    let rows_only = ["spearman", "promoter_odds_ratio", "detractor_odds_ratio", "positive_odds_ratio"];
    let mut out = Vec::new();
    for (at, t) in tables {
        out.push((format!("{at} r2"), t["r2"].as_f64().unwrap_or(f64::NAN)));
        for d in t["drivers"].as_array().into_iter().flatten() {
            for (k, v) in d.as_object().unwrap() {
                if let (Some(x), false) = (v.as_f64(), rows_only.iter().any(|r| k.starts_with(r))) {
                    out.push((format!("{at} {} {k}", d["name"]), x));
                }
            }
        }
    }
    out
}

/// The rows and the moments file `keydriver moments` makes from them feed the same
/// pipeline: with sampled orderings (`--approx`) every moment-based figure of every group
/// is the same, so each group samples the same orderings whichever route its moments took.
fn rows_and_moments_agree(mut survey: keydriver::schema::settings::Survey, opts: Options) -> usize {
    survey.options = opts;
    let survey = &survey;
    let responses = keydriver::load::load(survey).unwrap();
    let rows = keydriver::analyse(survey, &responses).unwrap();
    let file = keydriver::moments(survey, 0).unwrap();
    let sums =
        keydriver::analysis::from_moments::analyse_report(survey, std::path::Path::new("m.json"), &file).unwrap();
    let (a, b) = (moment_figures(&rows), moment_figures(&sums));
    let b: std::collections::HashMap<_, _> = b.into_iter().collect();
    let mut compared = 0;
    for (at, x) in &a {
        let Some(&y) = b.get(at) else { continue };
        assert!((x - y).abs() <= 1e-9 * x.abs().max(1.0) || (x.is_nan() && y.is_nan()), "{at}: rows {x}, moments {y}");
        compared += 1;
    }
    compared
}

#[test]
fn rows_and_moments_give_the_same_sampled_shapley_values_in_every_group() {
    let spec =
        keydriver::schema::settings::Settings::from_file(std::path::Path::new("notebooks-data/survey.toml")).unwrap();
    let survey = spec.resolve(true).unwrap();
    let opts = Options { approx: true, permutations: 200, bootstrap: 0, ..Options::default() };
    // Pooled, four waves and six segment levels, eight drivers, several fields each.
    assert!(rows_and_moments_agree(survey, opts) > 11 * 8 * 4);
}

#[test]
fn rows_and_moments_agree_beyond_30_drivers() {
    let (n, p) = (900, 32);
    let data = synthetic(n, p);
    let x = data.x.to_floats();
    let mut text = String::from("id,wave,region,y");
    for j in 0..p {
        text += &format!(",x{j}");
    }
    for i in 0..n {
        text += &format!("\n{i},2025Q{},{},{}", 1 + i % 2, ["north", "south", "east"][i % 3], data.y[i]);
        for j in 0..p {
            text += &format!(",{}", x[[i, j]]);
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wide.csv");
    std::fs::write(&path, text).unwrap();
    let survey = keydriver::schema::settings::Settings {
        ratings: Some(path),
        target: Some("y".into()),
        outcome: Some(OutcomeKind::Numeric),
        wave: Some("wave".into()),
        segments: vec!["region".into()],
        min_group_n: Some(100),
        drivers: (0..p).map(|j| DriverSpec { column: format!("x{j}"), ..Default::default() }).collect(),
        ..Default::default()
    }
    .resolve(true)
    .unwrap();
    let opts = Options { permutations: 100, bootstrap: 0, ..Options::default() };
    // Pooled, two waves and three regions, 32 drivers.
    assert!(rows_and_moments_agree(survey, opts) > 6 * p * 4);
}

/// The what-if's g-computation against R (tests/data/whatif/make.R): `glm(binomial)` for
/// the promoter and detractor logits, `MASS::polr` for the ordinal model, `lm` for least
/// squares, `survey::svyglm` for the weighted logits, each predicted on the changed data.
#[test]
fn whatif_equals_r_predictions_on_the_changed_data() {
    use keydriver::schema::settings::Settings;
    use keydriver::schema::whatif::{ScenarioSpec, WhatIfModel, WhatIfSettings};
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("survey.csv");
    std::fs::write(&data, include_str!("data/whatif/survey.csv")).unwrap();
    let expected = include_str!("data/whatif/expected.csv");
    let scenarios = ["wait_time+1", "problem_solving+1", "wait_time>=7", "wait_time+1,quality+1"];
    let mut checked = 0;
    for (model, name) in
        [(WhatIfModel::Logits, "logits"), (WhatIfModel::Ordinal, "ordinal"), (WhatIfModel::Linear, "linear")]
    {
        // polr's optimiser stops near, not at, the maximum.
        let tol = if model == WhatIfModel::Ordinal { 1e-4 } else { 1e-6 };
        for weighted in [false, true] {
            let settings = Settings {
                ratings: Some(data.clone()),
                target: Some("ltr".into()),
                drivers: ["wait_time", "quality", "problem_solving", "transparency"]
                    .map(|d| d.parse().unwrap())
                    .to_vec(),
                scale_min: Some(1.0),
                scale_max: Some(10.0),
                weight: weighted.then(|| "weight".into()),
                model: keydriver::schema::settings::ModelSettings { bootstrap: Some(0), ..Default::default() },
                whatif: WhatIfSettings {
                    model: Some(model),
                    scenarios: scenarios.map(|s| ScenarioSpec { name: None, shift: s.into() }).to_vec(),
                    costs: None,
                },
                ..Default::default()
            };
            let survey = settings.resolve(true).unwrap();
            let responses = keydriver::load::load(&survey).unwrap();
            let got = keydriver::analysis::analyse_whatif(&survey, &responses).unwrap();
            for line in expected.lines().skip(1) {
                // "model",weighted,"scenario",change,moved_share,observed,predicted
                let cells: Vec<&str> = line.split('"').collect();
                let (m, rest, s, numbers) = (cells[1], cells[2], cells[3], cells[4]);
                if m != name || rest.trim_matches(',') != if weighted { "TRUE" } else { "FALSE" } {
                    continue;
                }
                let v: Vec<f64> = numbers.trim_start_matches(',').split(',').map(|x| x.parse().unwrap()).collect();
                let e = got.scenarios.iter().find(|e| e.name == s).unwrap();
                let what = format!("{name} weighted={weighted} {s}");
                close(e.change, v[0], tol, &format!("{what}: change"));
                close(e.moved_share, v[1], 1e-12, &format!("{what}: moved share"));
                close(got.baseline.observed, v[2], 1e-9, &format!("{what}: observed"));
                close(got.baseline.predicted, v[3], tol, &format!("{what}: predicted"));
                checked += 1;
            }
            if model == WhatIfModel::Logits {
                // A logit with an intercept reproduces its class's share, so NPS itself.
                close(got.baseline.predicted, got.baseline.observed, 1e-6, "logits' baseline");
            }
        }
    }
    assert_eq!(checked, 24);
}
