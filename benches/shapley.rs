//! Exact Shapley/LMG timings: from a correlation matrix for p = 10, 15, 20, 24, and end to
//! end (read CSV, validate, moments, all methods) from 10,000 rows. Run with
//! `cargo bench --bench shapley`; figures go to BENCHMARKS.md. Not a test: nothing here
//! asserts a time.

use std::time::Instant;

use keydriver::engine::{shapley::Shapley, subsets::Gains, Method, Options};
use keydriver::schema::settings::{DriverSpec, Scale, Settings, Survey};
use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A random equicorrelated-plus-noise correlation matrix of p drivers and a target.
fn correlation(p: usize, seed: u64) -> Array2<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let n = 2000;
    let rows: Vec<Vec<f64>> = (0..n)
        .map(|_| {
            let g: f64 = rng.gen_range(-1.0..1.0);
            let mut r: Vec<f64> = (0..p).map(|_| g + rng.gen_range(-1.0..1.0)).collect();
            let y = r.iter().enumerate().map(|(j, v)| v / (j + 1) as f64).sum::<f64>() + rng.gen_range(-1.0..1.0);
            r.push(y);
            r
        })
        .collect();
    let k = p + 1;
    let mean: Vec<f64> = (0..k).map(|j| rows.iter().map(|r| r[j]).sum::<f64>() / n as f64).collect();
    let cov = Array2::from_shape_fn((k, k), |(a, b)| {
        rows.iter().map(|r| (r[a] - mean[a]) * (r[b] - mean[b])).sum::<f64>() / (n - 1) as f64
    });
    Array2::from_shape_fn((k, k), |(a, b)| cov[[a, b]] / (cov[[a, a]] * cov[[b, b]]).sqrt())
}

fn time<T>(f: impl Fn() -> T, runs: usize) -> (f64, T) {
    let mut best = f64::MAX;
    let mut out = None;
    for _ in 0..runs {
        let t = Instant::now();
        let v = f();
        best = best.min(t.elapsed().as_secs_f64());
        out = Some(v);
    }
    (best, out.unwrap())
}

fn main() {
    println!("threads: {}", rayon::current_num_threads());
    println!("| p | subsets | exact Shapley from the correlation matrix (best of runs) |");
    println!("|---:|---:|---:|");
    // `cargo bench --bench shapley -- 28 30` times those sizes (one run each) instead.
    let asked: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let sizes: Vec<(usize, usize)> = if asked.is_empty() {
        vec![(10, 20), (15, 10), (20, 5), (24, 2)]
    } else {
        asked.iter().map(|&p| (p, 1)).collect()
    };
    for (p, runs) in sizes {
        let corr = correlation(p, p as u64);
        let (secs, (g, s)) = time(
            || {
                let g = Gains::exact(&corr, Default::default());
                let s = Shapley::exact(&g);
                (g, s)
            },
            runs,
        );
        let total: f64 = s.values.iter().sum();
        let r2 = keydriver::engine::subsets::subset_r2(&corr, &(0..p).collect::<Vec<_>>());
        println!("| {p} | {} | {:.4} s | Σ Shapley − R² = {:.1e} |", 1u64 << p, secs, total - r2);
        assert!((total - r2).abs() < 1e-9 && (total - g.full).abs() < 1e-9);
    }
    if !asked.is_empty() {
        return;
    }

    // End to end: n = 10,000 respondents, 20 drivers, from CSV.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bench.csv");
    let (n, p) = (10_000, 20);
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let mut csv = (0..p).map(|j| format!("d{j}")).collect::<Vec<_>>().join(",") + ",ltr\n";
    for _ in 0..n {
        let g: f64 = rng.gen_range(-1.0..1.0);
        let r: Vec<f64> =
            (0..p).map(|_| (5.5 + 3.0 * g + 2.0 * rng.gen_range(-1.0..1.0f64)).round().clamp(1.0, 10.0)).collect();
        let y = (r.iter().enumerate().map(|(j, v)| v / (j + 1) as f64).sum::<f64>() / 3.6
            + rng.gen_range(-1.5..1.5f64))
        .round()
        .clamp(0.0, 10.0);
        csv += &r.iter().map(|v| v.to_string()).collect::<Vec<_>>().join(",");
        csv += &format!(",{y}\n");
    }
    std::fs::write(&path, csv).unwrap();
    let survey = Settings {
        ratings: Some(path.clone()),
        target: Some("ltr".into()),
        scale: Some(Scale { min: 1.0, max: 10.0 }),
        drivers: (0..p).map(|j| DriverSpec { column: format!("d{j}"), ..Default::default() }).collect(),
        ..Default::default()
    }
    .resolve(true)
    .unwrap();
    for (what, methods) in [("shapley only", vec![Method::Shapley]), ("all methods", vec![Method::All])] {
        let survey = Survey { options: Options { methods, ..Options::default() }, ..survey.clone() };
        let (secs, t) =
            time(|| keydriver::analyse_drivers(&survey, &keydriver::load::load(&survey).unwrap()).unwrap(), 3);
        println!("end to end, n = {n}, p = {p}, {what}: {secs:.3} s (R² {:.4})", t.0.r2);
    }
}
