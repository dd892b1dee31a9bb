//! External benchmarks (the industry, a competitor, last year's target) and how far each
//! outcome's headline is from them.
//!
//! The file is a CSV with the columns `metric`, `wave`, `value`, and optionally `n` or
//! `ci_low`/`ci_high`, and `label`. `metric` names an outcome by column, kind (`nps`,
//! `csat`, `ces`) or label; `wave` names a wave of the survey, or is blank for a figure
//! compared with the whole sample.
//!
//! The gap's standard error combines ours with the benchmark's: from its interval,
//! (ci_high − ci_low) / (2 · 1.96); from its n, the binomial SE of its share for % satisfied
//! and, for NPS and means (whose spread a single figure does not carry), our own
//! per-respondent variance at its n; with neither, the benchmark is taken as exact (a
//! target). "Beyond noise" means the 95% interval of the gap excludes 0.

use std::path::Path;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::headline::scores::{z_test, ScoreStats, ScoreTable, Z95};
use crate::load::Table;
use crate::schema::outcome::{Outcome, OutcomeKind};
use crate::schema::settings::Survey;
use crate::schema::waves::WaveOrder;

/// One row of the benchmark file, checked.
#[derive(Debug, Clone)]
pub struct Benchmark {
    /// The outcome column it belongs to.
    pub outcome: String,
    /// `None`: compared with the whole sample.
    pub wave: Option<String>,
    pub value: f64,
    pub n: Option<f64>,
    pub ci: Option<(f64, f64)>,
    pub label: String,
}

/// Our headline against one benchmark.
#[derive(Debug, Clone, Serialize)]
pub struct Gap {
    pub label: String,
    /// The wave compared, or "all".
    pub wave: String,
    pub benchmark: f64,
    pub score: f64,
    /// score − benchmark.
    pub difference: f64,
    pub se: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    pub p_value: f64,
    /// The interval of the gap excludes 0.
    pub beyond_noise: bool,
}

/// Reads and checks the benchmark file against the survey's outcomes and waves.
pub fn read(path: &Path, survey: &Survey, waves: Option<&WaveOrder>) -> Result<Vec<Benchmark>> {
    let table = Table::read(path, &survey.csv, &[])?;
    let metric = table.strings("metric", "benchmark metric")?;
    let wave = table.strings("wave", "benchmark wave")?;
    let value: Vec<Option<f64>> = table.numbers("value", "benchmark value")?.iter().collect();
    let optional = |name: &str| -> Result<Option<Vec<Option<f64>>>> {
        match table.df.column(name) {
            Ok(_) => Ok(Some(table.numbers(name, "benchmark")?.iter().collect())),
            Err(_) => Ok(None),
        }
    };
    let (n, ci_low, ci_high) = (optional("n")?, optional("ci_low")?, optional("ci_high")?);
    if ci_low.is_some() != ci_high.is_some() {
        return Err(Error::BadFile {
            file: path.to_path_buf(),
            reason: "has only one of ci_low and ci_high: give both, or n, or neither".into(),
        });
    }
    let label = match table.df.column("label") {
        Ok(_) => table.strings("label", "benchmark label")?,
        Err(_) => vec![None; table.height()],
    };
    let names: Vec<String> = survey.declared_outcomes.iter().map(|o| o.column.clone()).collect();
    (0..table.height())
        .map(|i| {
            let err = |column: &str, reason: String| table.value_error(column, i, reason);
            let m = metric[i].as_deref().ok_or_else(|| err("metric", "metric is blank".into()))?;
            let outcome = find(&survey.declared_outcomes, m).ok_or_else(|| {
                err("metric", format!("unknown metric \"{m}\": expected an outcome of this survey ({})", names.join(", ")))
            })?;
            let w = wave[i].clone();
            match (&w, waves) {
                (Some(w), Some(order)) if !order.labels.contains(w) => {
                    return Err(err("wave", format!("unknown wave \"{w}\": the survey's waves are {}", order.labels.join(", "))))
                }
                (Some(w), None) => {
                    return Err(err("wave", format!("wave \"{w}\" given, but the survey has no wave column: leave it blank to compare with the whole sample")))
                }
                _ => {}
            }
            let v = value[i].ok_or_else(|| err("value", "value is blank".into()))?;
            let (lo, hi) = outcome.bounds();
            if v < lo || v > hi {
                return Err(err("value", format!("{} {v} is impossible: it lies within {lo} to {hi}", outcome.metric())));
            }
            let n = n.as_ref().and_then(|c| c[i]);
            if n.is_some_and(|n| n < 1.0) {
                return Err(err("n", format!("n {} must be at least 1", n.unwrap())));
            }
            let ci = match (ci_low.as_ref().and_then(|c| c[i]), ci_high.as_ref().and_then(|c| c[i])) {
                (Some(l), Some(h)) if l <= v && v <= h && l < h => Some((l, h)),
                (Some(l), Some(h)) => return Err(err("ci_low", format!("interval {l} to {h} must contain the value {v}"))),
                (None, None) => None,
                _ => return Err(err(if ci_low.as_ref().and_then(|c| c[i]).is_none() { "ci_low" } else { "ci_high" }, "only one end of the interval is given".into())),
            };
            Ok(Benchmark {
                outcome: outcome.column.clone(),
                wave: w,
                value: v,
                n,
                ci,
                label: label[i].clone().unwrap_or_else(|| "benchmark".into()),
            })
        })
        .collect()
}

/// The outcome a metric names: its column, its label or (when unambiguous) its kind.
fn find<'a>(outcomes: &'a [Outcome], metric: &str) -> Option<&'a Outcome> {
    let m = metric.trim();
    outcomes.iter().find(|o| o.column == m || o.label.eq_ignore_ascii_case(m)).or_else(|| {
        let of_kind: Vec<&Outcome> = outcomes.iter().filter(|o| o.kind.name().eq_ignore_ascii_case(m)).collect();
        (of_kind.len() == 1).then(|| of_kind[0])
    })
}

/// The gaps between `scores` and the benchmarks of its outcome, overall first, then by wave.
pub fn compare(
    outcome: &Outcome,
    scores: &ScoreTable,
    wave_column: Option<&str>,
    benchmarks: &[Benchmark],
) -> Vec<Gap> {
    let waves = wave_column.and_then(|c| scores.by(c)).unwrap_or(&[]);
    benchmarks
        .iter()
        .filter(|b| b.outcome == outcome.column)
        .filter_map(|b| {
            let ours = match &b.wave {
                None => &scores.overall,
                Some(w) => waves.iter().find(|s| &s.group == w)?,
            };
            Some(gap(outcome, ours, b))
        })
        .collect()
}

fn gap(outcome: &Outcome, ours: &ScoreStats, b: &Benchmark) -> Gap {
    let theirs = match (b.ci, b.n) {
        (Some((l, h)), _) => (h - l) / (2.0 * Z95),
        (None, Some(n)) if matches!(outcome.kind, OutcomeKind::Csat | OutcomeKind::Binary) => {
            (b.value * (100.0 - b.value) / n).sqrt()
        }
        (None, Some(n)) => ours.se * (ours.n_eff / n).sqrt(),
        (None, None) => 0.0,
    };
    let difference = ours.score - b.value;
    let se = ours.se.hypot(theirs);
    let (ci_low, ci_high) = (difference - Z95 * se, difference + Z95 * se);
    Gap {
        label: b.label.clone(),
        wave: b.wave.clone().unwrap_or_else(|| "all".into()),
        benchmark: b.value,
        score: ours.score,
        difference,
        se,
        ci_low,
        ci_high,
        p_value: z_test(difference, se),
        beyond_noise: ci_low > 0.0 || ci_high < 0.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::settings::WeightsAre;

    /// By hand: our NPS 30 (SE 4, n_eff 100) against a benchmark of 20 with n = 400:
    /// their SE 4·√(100/400) = 2, gap 10 ± 1.96·√20 = 10 ± 8.765 — beyond noise. As an
    /// exact target the gap's SE is ours, 4.
    #[test]
    fn gap_by_hand() {
        let o = Outcome::nps("ltr");
        let mut ours = ScoreStats::compute("all", &o, &[9.0], None, WeightsAre::Sampling).unwrap();
        (ours.score, ours.se, ours.n_eff) = (30.0, 4.0, 100.0);
        let b = Benchmark {
            outcome: "ltr".into(),
            wave: None,
            value: 20.0,
            n: Some(400.0),
            ci: None,
            label: "industry".into(),
        };
        let g = gap(&o, &ours, &b);
        assert!((g.se - 20f64.sqrt()).abs() < 1e-12 && g.beyond_noise && g.wave == "all");
        assert!((g.ci_low - (10.0 - Z95 * 20f64.sqrt())).abs() < 1e-12);
        let target = gap(&o, &ours, &Benchmark { n: None, ..b.clone() });
        assert_eq!(target.se, 4.0);
        // An interval 14 to 26 is an SE of 6/1.96: √(16 + (6/1.96)²) = 5.00…, gap 10 still beyond.
        let with_ci = gap(&o, &ours, &Benchmark { n: None, ci: Some((14.0, 26.0)), ..b });
        assert!((with_ci.se - (16.0 + (6.0 / Z95).powi(2)).sqrt()).abs() < 1e-12);
    }

    #[test]
    fn metrics_are_found_by_column_label_or_unique_kind() {
        let nps = Outcome::nps("ltr");
        let csat =
            crate::schema::outcome::OutcomeSpec { column: "sat".into(), kind: OutcomeKind::Csat, ..Default::default() }
                .resolve()
                .unwrap();
        let all = [nps, csat];
        assert_eq!(find(&all, "ltr").unwrap().column, "ltr");
        assert_eq!(find(&all, "CSAT").unwrap().column, "sat");
        assert_eq!(find(&all, "nps").unwrap().column, "ltr");
        assert!(find(&all, "ces").is_none());
    }
}
