//! The example survey in `notebooks-data/`, generated from known driver weights so that
//! tests can check the engine recovers them.
//!
//! Model: each respondent has a general satisfaction factor g; attribute j's latent
//! opinion is z_j = √ρ·g + √(1−ρ)·e_j (so attributes correlate, as real ratings do), and
//! the latent recommend propensity is Σ β_j z_j + ε. Ratings and the 0–10 score are those
//! latents shifted, scaled, rounded and clipped to their scales; each attribute has its own
//! typical rating ([`MEAN_RATINGS`]: wait time lowest, expertise highest). Satisfaction (CSAT, 1–5)
//! comes from the same opinions with other weights ([`CSAT_WEIGHTS`]: quality and
//! expertise lead), and its own noise from a second random stream, so adding it left
//! the ratings and scores as they were. Wave and region move g,
//! so NPS trends upward through 2025; on top of that wait time improves quarter by
//! quarter while transparency slips, and in the West region wait time, not problem
//! solving, matters most. Some ratings are blank and some are 99 ("don't know"); a few
//! respondents are in only one of the two files.

use std::io::Write;
use std::path::{Path, PathBuf};

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

use crate::error::{Error, Result};

pub const DEFAULT_SEED: u64 = 2025;

/// (column, true standardized weight β_j) outside the West region, strongest first.
pub const TRUE_WEIGHTS: [(&str, f64); 8] = [
    ("problem_solving", 0.40),
    ("quality", 0.32),
    ("wait_time", 0.24),
    ("transparency", 0.16),
    ("communication", 0.10),
    ("flexibility", 0.06),
    ("expertise", 0.03),
    ("follow_up", 0.00),
];

/// (column, weight) behind satisfaction (CSAT): what makes a customer satisfied is not
/// quite what makes them recommend.
pub const CSAT_WEIGHTS: [(&str, f64); 8] = [
    ("quality", 0.40),
    ("expertise", 0.30),
    ("problem_solving", 0.20),
    ("communication", 0.12),
    ("wait_time", 0.05),
    ("transparency", 0.05),
    ("flexibility", 0.05),
    ("follow_up", 0.00),
];

/// Column order in ratings.csv.
const RATING_COLUMNS: [&str; 8] = [
    "wait_time",
    "quality",
    "flexibility",
    "transparency",
    "problem_solving",
    "communication",
    "expertise",
    "follow_up",
];
/// In the West, wait time leads: these weights replace the ones above there.
pub const WEST_WEIGHTS: [(&str, f64); 2] = [("problem_solving", 0.20), ("wait_time", 0.45)];
/// Shift of an attribute's latent opinion in each wave (in SD units): wait time improves
/// through the year, transparency slips.
pub const WAVE_SHIFTS: [(&str, [f64; 4]); 2] =
    [("wait_time", [-0.30, -0.10, 0.10, 0.30]), ("transparency", [0.30, 0.10, -0.10, -0.30])];
/// Each attribute's typical rating (the 1–10 rating at z = 0): as in real service surveys,
/// waiting is rated lowest and the staff's expertise highest, so the quadrant has a spread
/// of performance to show.
pub const MEAN_RATINGS: [(&str, f64); 8] = [
    ("wait_time", 5.8),
    ("quality", 7.3),
    ("flexibility", 6.6),
    ("transparency", 6.3),
    ("problem_solving", 6.9),
    ("communication", 7.2),
    ("expertise", 7.9),
    ("follow_up", 6.2),
];
const RHO: f64 = 0.5;
const NOISE_SD: f64 = 1.0;
const WAVES: [(&str, f64); 4] = [("2025Q1", -0.20), ("2025Q2", -0.05), ("2025Q3", 0.05), ("2025Q4", 0.20)];
const REGIONS: [(&str, f64, f64); 4] =
    [("North", 0.30, 0.10), ("South", 0.25, -0.20), ("East", 0.25, 0.00), ("West", 0.20, 0.10)];
const CHANNELS: [(&str, f64); 3] = [("phone", 0.4), ("web", 0.4), ("store", 0.2)];
const P_BLANK: f64 = 0.03;
const P_DONT_KNOW: f64 = 0.01;
const P_BLANK_SCORE: f64 = 0.005;
const P_NO_SCORE_ROW: f64 = 0.01;
const EXTRA_NPS_ONLY: usize = 12;

fn pick<'a, T>(rng: &mut ChaCha8Rng, items: &'a [T], share: impl Fn(&T) -> f64) -> &'a T {
    let mut u: f64 = rng.gen();
    for it in items {
        u -= share(it);
        if u < 0.0 {
            return it;
        }
    }
    items.last().expect("non-empty")
}

/// Writes `ratings.csv` and `nps.csv` into `dir`.
pub fn write(dir: &Path, respondents: usize, seed: u64) -> Result<Vec<PathBuf>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut csat_rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5A7);
    let mut ratings = format!("respondent_id,quarter,region,channel,{}\n", RATING_COLUMNS.join(","));
    let mut nps_rows: Vec<String> = Vec::new();
    let beta = |c: &str, west: bool| {
        let base = TRUE_WEIGHTS.iter().find(|w| w.0 == c).map_or(0.0, |w| w.1);
        let west_w = WEST_WEIGHTS.iter().find(|w| w.0 == c).map(|w| w.1);
        if west {
            west_w.unwrap_or(base)
        } else {
            base
        }
    };
    // Var(Σβz) for equicorrelated z: (1−ρ)Σβ² + ρ(Σβ)²; puts the score on scale (the
    // same scale in every region, so regions differ in what drives the score, not in noise).
    let (sb, sb2) = TRUE_WEIGHTS.iter().fold((0.0, 0.0), |(s, s2), w| (s + w.1, s2 + w.1 * w.1));
    let sd_latent = ((1.0 - RHO) * sb2 + RHO * sb * sb + NOISE_SD * NOISE_SD).sqrt();
    let (cb, cb2) = CSAT_WEIGHTS.iter().fold((0.0, 0.0), |(s, s2), w| (s + w.1, s2 + w.1 * w.1));
    let sd_csat = ((1.0 - RHO) * cb2 + RHO * cb * cb + NOISE_SD * NOISE_SD).sqrt();
    let gamma = |c: &str| CSAT_WEIGHTS.iter().find(|w| w.0 == c).map_or(0.0, |w| w.1);
    for i in 1..=respondents {
        let w = rng.gen_range(0..WAVES.len());
        let wave = WAVES[w];
        let region = pick(&mut rng, &REGIONS, |r| r.1);
        let west = region.0 == "West";
        let channel = pick(&mut rng, &CHANNELS, |c| c.1);
        let g: f64 = rng.sample::<f64, _>(StandardNormal) + wave.1 + region.2;
        let mut latent = 0.0;
        let mut satisfaction = 0.0;
        let mut cells = Vec::with_capacity(RATING_COLUMNS.len());
        for col in RATING_COLUMNS {
            let e: f64 = rng.sample(StandardNormal);
            let shift = WAVE_SHIFTS.iter().find(|s| s.0 == col).map_or(0.0, |s| s.1[w]);
            let z = RHO.sqrt() * g + (1.0 - RHO).sqrt() * e + shift;
            latent += beta(col, west) * z;
            satisfaction += gamma(col) * z;
            let typical = MEAN_RATINGS.iter().find(|m| m.0 == col).map_or(6.9, |m| m.1);
            let rating = (typical + 1.7 * z).round().clamp(1.0, 10.0);
            let u: f64 = rng.gen();
            cells.push(if u < P_BLANK {
                String::new()
            } else if u < P_BLANK + P_DONT_KNOW {
                "99".to_string()
            } else {
                format!("{rating}")
            });
        }
        latent += NOISE_SD * rng.sample::<f64, _>(StandardNormal);
        let score = (7.8 + 2.0 * latent / sd_latent).round().clamp(0.0, 10.0);
        satisfaction += NOISE_SD * csat_rng.sample::<f64, _>(StandardNormal);
        let csat = (3.9 + 0.9 * satisfaction / sd_csat).round().clamp(1.0, 5.0);
        let csat = if csat_rng.gen::<f64>() < P_BLANK_SCORE { String::new() } else { format!("{csat}") };
        let id = format!("R{i:06}");
        ratings.push_str(&format!("{id},{},{},{},{}\n", wave.0, region.0, channel.0, cells.join(",")));
        let u: f64 = rng.gen();
        if u < P_BLANK_SCORE {
            nps_rows.push(format!("{id},,{csat}"));
        } else if u >= P_BLANK_SCORE + P_NO_SCORE_ROW {
            nps_rows.push(format!("{id},{score},{csat}"));
        }
    }
    for k in 1..=EXTRA_NPS_ONLY {
        nps_rows.push(format!("X{k:06},{},{}", rng.gen_range(0..=10), csat_rng.gen_range(1..=5)));
    }
    // Survey platforms export the two files in different orders: the join must not care.
    nps_rows.shuffle(&mut rng);
    let nps = format!("respondent_id,likelihood_to_recommend,satisfaction\n{}\n", nps_rows.join("\n"));

    std::fs::create_dir_all(dir).map_err(|e| Error::output(dir, e))?;
    [("ratings.csv", ratings), ("nps.csv", nps)]
        .into_iter()
        .map(|(name, text)| {
            let path = dir.join(name);
            std::fs::File::create(&path)
                .and_then(|mut f| f.write_all(text.as_bytes()))
                .map_err(|e| Error::output(&path, e))?;
            Ok(path)
        })
        .collect()
}
