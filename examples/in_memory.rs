//! keydriver as a library, on data already in memory: a polars frame built here (as a
//! notebook or another program would hold it), the settings written in code, the
//! analysis returned as structs. No file is read and no folder is written.
//!
//! `cargo run --example in_memory`

use keydriver::schema::settings::{DriverSpec, Settings};
use keydriver::{analyse, load::Responses};
use polars::prelude::*;

fn main() -> keydriver::Result<()> {
    // 400 respondents over two quarters: three ratings (1–10) and the 0–10 recommend score,
    // which here depends on quality most and on wait time least.
    let n = 400;
    let rating = |i: usize, k: usize| ((i * 7 + k * 13) % 10 + 1) as f64;
    let wait: Vec<f64> = (0..n).map(|i| rating(i, 1)).collect();
    let quality: Vec<f64> = (0..n).map(|i| rating(i, 2)).collect();
    let expertise: Vec<f64> = (0..n).map(|i| rating(i / 3, 5)).collect();
    let recommend: Vec<f64> = (0..n)
        .map(|i| {
            (0.15 * wait[i] + 0.6 * quality[i] + 0.3 * expertise[i] + ((i * 31) % 5) as f64 * 0.3 + 1.5)
                .clamp(0.0, 10.0)
                .round()
        })
        .collect();
    let quarter: Vec<&str> = (0..n).map(|i| if i < n / 2 { "2025Q3" } else { "2025Q4" }).collect();
    let ratings = df!(
        "quarter" => quarter,
        "wait_time" => wait,
        "quality" => quality,
        "expertise" => expertise,
        "recommend" => recommend,
    )
    .expect("columns of one length");

    let survey = Settings {
        target: Some("recommend".into()),
        wave: Some("quarter".into()),
        drivers: ["wait_time=Wait time", "quality=Quality", "expertise=Expertise"]
            .iter()
            .map(|d| d.parse::<DriverSpec>().expect("infallible"))
            .collect(),
        ..Default::default()
    }
    .resolve(true)?;

    let responses = Responses::from_frames(&survey, ratings, None)?;
    let analysis = analyse(&survey, &responses)?;

    let nps = &analysis.outcomes[0];
    println!("{} overall: {:+.1}", nps.outcome.metric(), nps.scores.overall.score);
    if let Some(table) = &nps.drivers {
        println!("R² {:.3}; share of R² (Shapley), with 95% bootstrap intervals:", table.r2);
        for d in &table.drivers {
            println!(
                "  {:<10} {:>5.1}%  [{:.1}%, {:.1}%]",
                d.label,
                100.0 * d.shapley_share.unwrap_or(f64::NAN),
                100.0 * d.share_ci_low.unwrap_or(f64::NAN),
                100.0 * d.share_ci_high.unwrap_or(f64::NAN)
            );
        }
    }
    for w in &nps.groups.waves {
        println!("{}: {:+.1} (n {})", w.wave, w.fit.score, w.fit.n);
    }
    Ok(())
}
