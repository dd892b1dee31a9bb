//! The headline metric of an outcome (NPS, % satisfied, mean effort, mean), overall and
//! by group, with its standard error and 95% interval, and changes between waves.
//!
//! Every metric is the weighted mean ȳ of the coded answer y ([`Outcome::code`]: NPS codes
//! −100 / 0 / +100, so the mean is %promoters − %detractors). Its standard error:
//! - sampling weights: design-based (linearization), equal to R's `survey::svymean` under
//!   `svydesign(ids = ~1, weights = ~w)`: SE² = n/(n−1) · Σ wᵢ²(yᵢ − ȳ)² / (Σw)²;
//! - otherwise: SE² = v / n_eff with Kish's effective size n_eff = (Σw)²/Σw² (n without
//!   weights) and v the weighted variance Σw(y − ȳ)²/Σw; for the shares (NPS, % satisfied)
//!   v is the binomial-style variance itself (for NPS pP + pD − (pP − pD)²), for means it
//!   is made unbiased, v · n_eff/(n_eff − 1), so that unweighted it is s²/n.
//!
//! Intervals are ȳ ± 1.96·SE (normal, as `confint(svymean(...))`), clamped to −100…100
//! for NPS and 0…100 for % satisfied. Rows of weight 0 count nowhere.

use std::collections::BTreeMap;

use serde::ser::{Serialize, SerializeMap, Serializer};

use crate::load::Responses;
use crate::schema::outcome::Outcome;
use crate::schema::settings::WeightsAre;
use crate::schema::waves::WaveOrder;

pub use crate::stats::moments::Z95;

/// The headline metric of one group of respondents.
#[derive(Debug, Clone, serde::Serialize, PartialEq)]
pub struct ScoreStats {
    /// "all", or the wave / segment value.
    pub group: String,
    /// Respondents with an answer.
    pub n: usize,
    /// Kish's effective n (equals n without weights).
    pub n_eff: f64,
    /// Counts and shares (%, weighted when weights are given) of the outcome's three
    /// answer bands: promoters/passives/detractors, satisfied/neutral/dissatisfied,
    /// high/moderate/low effort. None for a numeric outcome.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub bands: Option<Bands>,
    /// The NPS again, under the name NPS users' scripts read (NPS outcomes only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nps: Option<f64>,
    /// The headline: NPS, % satisfied, mean effort or mean.
    pub score: f64,
    pub se: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    /// For a wave: the change from the previous wave.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change: Option<Change>,
    /// For a wave: the change from the same period a year earlier, when the data has it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub year_change: Option<Change>,
}

/// Answers per band, low to high, with the bands' names (written out as fields:
/// `promoters`, …, `pct_promoters`, …, highest band first).
#[derive(Debug, Clone, PartialEq)]
pub struct Bands {
    pub names: [&'static str; 3],
    pub counts: [usize; 3],
    /// Percent of the (weighted) answers.
    pub pct: [f64; 3],
}

impl Serialize for Bands {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(6))?;
        for i in (0..3).rev() {
            map.serialize_entry(self.names[i], &self.counts[i])?;
        }
        for i in (0..3).rev() {
            map.serialize_entry(&format!("pct_{}", self.names[i]), &self.pct[i])?;
        }
        map.end()
    }
}

/// The change in the headline between two independent samples (two waves): difference,
/// its SE √(SE₁² + SE₂²) from the two groups' own SEs (design-based where weighted), a 95%
/// CI and the two-sided z-test p-value.
#[derive(Debug, Clone, serde::Serialize, PartialEq)]
pub struct Change {
    pub from: String,
    pub difference: f64,
    pub se: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    pub p_value: f64,
}

impl Change {
    pub fn between(before: &ScoreStats, after: &ScoreStats) -> Change {
        let d = after.score - before.score;
        let se = before.se.hypot(after.se);
        Change {
            from: before.group.clone(),
            difference: d,
            se,
            ci_low: d - Z95 * se,
            ci_high: d + Z95 * se,
            p_value: z_test(d, se),
        }
    }
}

/// Two-sided p-value of `d` with standard error `se` under the normal.
pub fn z_test(d: f64, se: f64) -> f64 {
    use statrs::distribution::{ContinuousCDF, Normal};
    if se > 0.0 {
        2.0 * (1.0 - Normal::new(0.0, 1.0).expect("standard normal").cdf((d / se).abs()))
    } else if d == 0.0 {
        1.0
    } else {
        0.0
    }
}

/// The sums a headline needs, over the respondents with an answer and a positive weight
/// (each counted `m` times: 1, or its draw in a bootstrap replicate): what `keydriver
/// moments` and `keydriver sql` write per group, so a report can be made from them.
/// `y` is the answer's code ([`Outcome::code`]: ±100 / 0 for NPS, 100 / 0 for CSAT, the
/// answer for effort and numeric outcomes).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ScoreSums {
    /// Respondents (Σm).
    pub n: usize,
    /// Σm·w and Σm·w².
    pub sw: f64,
    pub sw2: f64,
    /// Σm·w·y and Σm·w·y².
    pub s1: f64,
    pub s2: f64,
    /// Σm·w²·y and Σm·w²·y²: the design-based (linearization) variance's terms.
    pub w2s1: f64,
    pub w2s2: f64,
    /// Per answer band, low to high: Σm and Σm·w.
    pub bands_n: [usize; 3],
    pub bands_w: [f64; 3],
}

impl ScoreSums {
    /// What one answer adds to the sums, in field order (`n`, `sw`, `sw2`, `s1`, `s2`,
    /// `w2s1`, `w2s2`, `bands_n`, `bands_w`): a replicate's sums are its draws times these.
    pub const TERMS: usize = 13;

    /// The terms of an answer `x` with weight `w` (> 0) into `out` (`TERMS` long).
    pub fn terms(outcome: &Outcome, x: f64, w: f64, out: &mut [f64]) {
        let y = outcome.code(x);
        out[..7].copy_from_slice(&[1.0, w, w * w, w * y, w * y * y, w * w * y, w * w * y * y]);
        out[7..Self::TERMS].fill(0.0);
        if let Some(b) = outcome.band(x).filter(|_| outcome.band_names().is_some()) {
            out[7 + b as usize] = 1.0;
            out[10 + b as usize] = w;
        }
    }

    /// Adds summed terms (counts are whole numbers, held as floats).
    pub fn add_terms(&mut self, t: &[f64]) {
        self.n += t[0].round() as usize;
        self.sw += t[1];
        self.sw2 += t[2];
        self.s1 += t[3];
        self.s2 += t[4];
        self.w2s1 += t[5];
        self.w2s2 += t[6];
        for b in 0..3 {
            self.bands_n[b] += t[7 + b].round() as usize;
            self.bands_w[b] += t[10 + b];
        }
    }

    /// Adds an answer `x` with weight `w`.
    pub fn add(&mut self, outcome: &Outcome, x: f64, w: f64) {
        if w <= 0.0 {
            return;
        }
        let mut t = [0.0; Self::TERMS];
        Self::terms(outcome, x, w, &mut t);
        self.add_terms(&t);
    }

    pub fn merge(&mut self, o: &ScoreSums) {
        self.n += o.n;
        self.sw += o.sw;
        self.sw2 += o.sw2;
        self.s1 += o.s1;
        self.s2 += o.s2;
        self.w2s1 += o.w2s1;
        self.w2s2 += o.w2s2;
        for b in 0..3 {
            self.bands_n[b] += o.bands_n[b];
            self.bands_w[b] += o.bands_w[b];
        }
    }
}

impl ScoreStats {
    /// The headline of `answers` (as given, not oriented), optionally weighted. Returns
    /// `None` for an empty group.
    pub fn compute(
        group: &str,
        outcome: &Outcome,
        answers: &[f64],
        weights: Option<&[f64]>,
        kind: WeightsAre,
    ) -> Option<ScoreStats> {
        let mut sums = ScoreSums::default();
        for (i, &x) in answers.iter().enumerate() {
            sums.add(outcome, x, weights.map_or(1.0, |w| w[i]));
        }
        Self::from_sums(group, outcome, &sums, weights.is_some(), kind)
    }

    /// The headline from its sums. Returns `None` for an empty group.
    pub fn from_sums(
        group: &str,
        outcome: &Outcome,
        t: &ScoreSums,
        weighted: bool,
        kind: WeightsAre,
    ) -> Option<ScoreStats> {
        let n = t.n;
        if n == 0 || t.sw <= 0.0 {
            return None;
        }
        let mean = t.s1 / t.sw;
        let n_eff = t.sw * t.sw / t.sw2;
        let se = match (weighted, kind) {
            (true, WeightsAre::Sampling) => {
                // Σ(w(y − ȳ))² = Σw²y² − 2ȳΣw²y + ȳ²Σw².
                let ss = (t.w2s2 - 2.0 * mean * t.w2s1 + mean * mean * t.sw2).max(0.0);
                let finite = if n > 1 { n as f64 / (n as f64 - 1.0) } else { 1.0 };
                (finite * ss).sqrt() / t.sw
            }
            _ => {
                let v = (t.s2 / t.sw - mean * mean).max(0.0);
                let v = if outcome.is_share() || n_eff <= 1.0 { v } else { v * n_eff / (n_eff - 1.0) };
                (v / n_eff).sqrt()
            }
        };
        let bands = outcome.band_names().map(|names| Bands {
            names,
            counts: t.bands_n,
            pct: t.bands_w.map(|x| 100.0 * x / t.sw),
        });
        let (lo, hi) = outcome.bounds();
        Some(ScoreStats {
            group: group.to_string(),
            n,
            n_eff,
            bands,
            nps: (outcome.kind == crate::schema::outcome::OutcomeKind::Nps).then_some(mean),
            score: mean,
            se,
            ci_low: (mean - Z95 * se).max(lo),
            ci_high: (mean + Z95 * se).min(hi),
            change: None,
            year_change: None,
        })
    }
}

/// The headline overall and broken down by one column.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Breakdown {
    /// The column broken down by ("all" for the overall row).
    pub by: String,
    pub rows: Vec<ScoreStats>,
}

/// Everything the report says about one outcome's headline.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ScoreTable {
    /// The outcome column, its kind and the metric's name.
    pub outcome: String,
    pub kind: crate::schema::outcome::OutcomeKind,
    pub metric: String,
    pub overall: ScoreStats,
    /// The wave breakdown first (in time order, with changes), then each segment.
    pub breakdowns: Vec<Breakdown>,
    /// The gaps to the benchmark file's figures for this outcome, overall and by wave.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub benchmarks: Vec<crate::headline::benchmarks::Gap>,
    /// The headline by wave within each group of the `trend_by` column.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trend: Option<Trend>,
}

/// The headline by wave within each group of one segment column.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Trend {
    pub by: String,
    pub groups: Vec<TrendGroup>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct TrendGroup {
    pub group: String,
    /// In time order, with each wave's change from the one before.
    pub waves: Vec<ScoreStats>,
}

impl ScoreTable {
    /// The outcome's headline overall, by wave and by each segment column, and by wave
    /// within each group of `trend_by`.
    pub fn from_responses(
        r: &Responses,
        outcome: &Outcome,
        by: &[String],
        trend_by: Option<&str>,
    ) -> Option<ScoreTable> {
        let kind = r.survey.weights_are;
        let weighted = r.survey.weight.is_some();
        // Each group's sums in one pass over the rows, added in row order.
        let by_label = |labels: &[&str], sums: Vec<ScoreSums>| -> Vec<ScoreStats> {
            let mut merged: BTreeMap<&str, ScoreSums> = BTreeMap::new();
            for (&label, s) in labels.iter().zip(&sums) {
                merged.entry(label).or_default().merge(s);
            }
            merged.iter().filter_map(|(g, s)| ScoreStats::from_sums(g, outcome, s, weighted, kind)).collect()
        };
        let mut all = ScoreSums::default();
        r.each_answer(outcome, |_, x, w| all.add(outcome, x, w));
        let overall = ScoreStats::from_sums("all", outcome, &all, weighted, kind)?;
        let breakdowns = by
            .iter()
            .map(|col| {
                let levels = r.levels_of(col);
                let mut sums = vec![ScoreSums::default(); levels.labels.len()];
                r.each_answer(outcome, |i, x, w| sums[levels.of(i)].add(outcome, x, w));
                let mut rows = by_label(&levels.labels, sums);
                if let Some(order) = r.waves.as_ref().filter(|_| Some(col) == r.survey.wave.as_ref()) {
                    in_time_order(&mut rows, order);
                }
                Breakdown { by: col.clone(), rows }
            })
            .collect();
        let trend = trend_by.zip(r.survey.wave.as_ref()).zip(r.waves.as_ref()).map(|((col, wave), order)| {
            let (segment, wave) = (r.levels_of(col), r.levels_of(wave));
            let mut sums = vec![vec![ScoreSums::default(); wave.labels.len()]; segment.labels.len()];
            let mut seen = vec![false; segment.labels.len()];
            r.each_answer(outcome, |i, x, w| {
                let g = segment.of(i);
                seen[g] = true;
                sums[g][wave.of(i)].add(outcome, x, w);
            });
            let mut merged: BTreeMap<&str, Vec<ScoreSums>> = BTreeMap::new();
            for ((&label, s), _) in segment.labels.iter().zip(sums).zip(&seen).filter(|(_, &seen)| seen) {
                match merged.get_mut(label) {
                    Some(m) => m.iter_mut().zip(&s).for_each(|(m, s)| m.merge(s)),
                    None => {
                        merged.insert(label, s);
                    }
                }
            }
            let groups = merged
                .into_iter()
                .map(|(g, sums)| {
                    let mut waves = by_label(&wave.labels, sums);
                    in_time_order(&mut waves, order);
                    TrendGroup { group: g.to_string(), waves }
                })
                .collect();
            Trend { by: col.to_string(), groups }
        });
        Some(ScoreTable {
            outcome: outcome.column.clone(),
            kind: outcome.kind,
            metric: outcome.metric(),
            overall,
            breakdowns,
            benchmarks: Vec::new(),
            trend,
        })
    }

    /// The rows of the breakdown by `column`, if there is one.
    pub fn by(&self, column: &str) -> Option<&[ScoreStats]> {
        self.breakdowns.iter().find(|b| b.by == column).map(|b| b.rows.as_slice())
    }
}

/// Puts wave rows in time order (a blank wave last) and adds each one's change from the
/// wave before it and from the same period a year earlier.
pub fn in_time_order(rows: &mut [ScoreStats], order: &WaveOrder) {
    let position = |g: &str| order.labels.iter().position(|l| l == g).unwrap_or(usize::MAX);
    rows.sort_by_key(|r| position(&r.group));
    let find = |rows: &[ScoreStats], g: &str| rows.iter().find(|r| r.group == g).cloned();
    for i in 1..rows.len() {
        if position(&rows[i].group) == usize::MAX {
            break;
        }
        rows[i].change = Some(Change::between(&rows[i - 1], &rows[i]));
        if let Some(before) = order.year_earlier(&rows[i].group).and_then(|g| find(rows, g)) {
            rows[i].year_change = Some(Change::between(&before, &rows[i]));
        }
    }
}

/// One ScoreStats per distinct label, in sorted label order: one pass adding each answer
/// to its group's sums.
pub fn grouped(
    outcome: &Outcome,
    labels: &[&str],
    answers: &[f64],
    weights: Option<&[f64]>,
    kind: WeightsAre,
) -> Vec<ScoreStats> {
    let mut sums: foldhash::HashMap<&str, ScoreSums> = Default::default();
    for (i, (&g, &x)) in labels.iter().zip(answers).enumerate() {
        sums.entry(g).or_default().add(outcome, x, weights.map_or(1.0, |w| w[i]));
    }
    let mut sums: Vec<(&str, ScoreSums)> = sums.into_iter().collect();
    sums.sort_unstable_by_key(|(g, _)| *g);
    sums.into_iter().filter_map(|(g, s)| ScoreStats::from_sums(g, outcome, &s, weights.is_some(), kind)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::outcome::{OutcomeKind, OutcomeSpec};

    fn close(a: f64, b: f64) {
        assert!((a - b).abs() < 1e-9, "{a} != {b}");
    }

    fn outcome(kind: OutcomeKind) -> Outcome {
        OutcomeSpec { column: "y".into(), kind, ..Default::default() }.resolve().unwrap()
    }

    fn nps(s: &[f64], w: Option<&[f64]>, kind: WeightsAre) -> ScoreStats {
        ScoreStats::compute("all", &Outcome::nps("ltr"), s, w, kind).unwrap()
    }

    /// By hand: 10 answers, 5 promoters, 3 passives, 2 detractors.
    /// pP = .5, pD = .2, NPS = 30; var = (.5 + .2 − .3²)/10 = .061; SE = 100·sqrt(.061).
    #[test]
    fn unweighted_nps_by_hand() {
        let r = nps(&[10., 9., 9., 10., 9., 8., 7., 7., 3., 0.], None, WeightsAre::Sampling);
        let b = r.bands.as_ref().unwrap();
        assert_eq!((b.counts, r.n), ([2, 3, 5], 10));
        close(r.score, 30.0);
        assert_eq!(r.nps, Some(r.score));
        close(b.pct[1], 30.0);
        close(r.se, 100.0 * 0.061f64.sqrt()); // 24.698…
        close(r.ci_low, 30.0 - 1.959963984540054 * 24.698178070456937);
        close(r.n_eff, 10.0);
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!((json["promoters"].as_u64(), json["pct_detractors"].as_f64()), (Some(5), Some(20.0)));
    }

    /// By hand: frequency weights 2,2,1,1 on scores 10,0,8,9.
    /// Σw = 6, pP = 3/6 = .5, pD = 2/6, NPS = 16.667; n_eff = 36/10 = 3.6;
    /// var = (.5 + 1/3 − (1/6)²)/3.6 = (0.833333 − 0.027778)/3.6 = 0.223765.
    #[test]
    fn frequency_weighted_nps_by_hand() {
        let r = nps(&[10., 0., 8., 9.], Some(&[2., 2., 1., 1.]), WeightsAre::Frequency);
        close(r.score, 100.0 / 6.0);
        close(r.n_eff, 3.6);
        close(r.se, 100.0 * ((0.5 + 1.0 / 3.0 - 1.0 / 36.0) / 3.6f64).sqrt());
        assert_eq!(r.n, 4);
    }

    /// By hand, the linearization SE: y = +1, −1, 0, +1, ȳ = 1/6;
    /// Σw²(y − ȳ)² = 4(5/6)² + 4(7/6)² + (1/6)² + (5/6)² = 322/36;
    /// SE² = 4/3 · (322/36) / 6² = 1288/3888.
    #[test]
    fn sampling_weighted_nps_by_hand() {
        let r = nps(&[10., 0., 8., 9.], Some(&[2., 2., 1., 1.]), WeightsAre::Sampling);
        close(r.score, 100.0 / 6.0);
        close(r.se, 100.0 * (1288.0f64 / 3888.0).sqrt());
    }

    /// By hand, CSAT on 1–5 (top two boxes): 5,4,4,3,2,5,1,4 → 5 satisfied of 8 = 62.5%,
    /// SE = 100·√(.625 · .375 / 8) = 17.1163…; 1 neutral (3), 2 dissatisfied (1–2).
    #[test]
    fn csat_top_box_share_by_hand() {
        let r = ScoreStats::compute(
            "all",
            &outcome(OutcomeKind::Csat),
            &[5., 4., 4., 3., 2., 5., 1., 4.],
            None,
            WeightsAre::Sampling,
        )
        .unwrap();
        close(r.score, 62.5);
        close(r.se, 100.0 * (0.625f64 * 0.375 / 8.0).sqrt());
        close(r.ci_high, 62.5 + 1.959963984540054 * 17.116329922036726);
        assert_eq!(r.bands.as_ref().unwrap().counts, [2, 1, 5]);
        assert_eq!(r.nps, None);
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!((json["satisfied"].as_u64(), json["pct_satisfied"].as_f64()), (Some(5), Some(62.5)));
    }

    /// By hand, CES on 1–7: 2,3,5,7,1,4 → mean 22/6; Σ(y − ȳ)² = 23⅓, s² = 23⅓/5 = 4⅔,
    /// SE = √(4⅔/6) = 0.881917…; low effort (1–3) 3, moderate (4) 1, high (5–7) 2.
    #[test]
    fn ces_mean_effort_by_hand() {
        let r = ScoreStats::compute(
            "all",
            &outcome(OutcomeKind::Ces),
            &[2., 3., 5., 7., 1., 4.],
            None,
            WeightsAre::Sampling,
        )
        .unwrap();
        close(r.score, 22.0 / 6.0);
        close(r.se, (14.0f64 / 3.0 / 6.0).sqrt());
        close(r.ci_low, 22.0 / 6.0 - 1.959963984540054 * 0.881917103688197);
        assert_eq!(r.bands.as_ref().unwrap().counts, [3, 1, 2]);
    }

    /// By hand, a numeric mean of 10, 20, 40 with weights 1, 2, 1: ȳ = 90/4 = 22.5.
    /// Sampling: Σw²(y − ȳ)² = 156.25 + 4·6.25 + 306.25 = 487.5, SE = √(3/2 · 487.5)/4.
    /// Frequency: v = 475/4, n_eff = 16/6, SE² = v·n_eff/(n_eff − 1)/n_eff = 190/(16/6) = 71.25.
    /// Unweighted 10, 20, 40: s² = 233⅓, SE = √(233⅓/3).
    #[test]
    fn numeric_mean_by_hand() {
        let o = outcome(OutcomeKind::Numeric);
        let (y, w) = ([10., 20., 40.], [1., 2., 1.]);
        let r = ScoreStats::compute("all", &o, &y, Some(&w), WeightsAre::Sampling).unwrap();
        close(r.score, 22.5);
        close(r.se, (1.5f64 * 487.5).sqrt() / 4.0);
        assert!(r.bands.is_none());
        close(ScoreStats::compute("all", &o, &y, Some(&w), WeightsAre::Frequency).unwrap().se, 71.25f64.sqrt());
        close(
            ScoreStats::compute("all", &o, &y, None, WeightsAre::Sampling).unwrap().se,
            (700.0f64 / 3.0 / 3.0).sqrt(),
        );
        // A mean's interval is not clamped.
        assert!(ScoreStats::compute("all", &o, &[-5., 5.], None, WeightsAre::Sampling).unwrap().ci_low < -5.0);
    }

    #[test]
    fn zero_weight_rows_count_nowhere() {
        let with = nps(&[10., 0., 3., 8., 9.], Some(&[2., 2., 0., 1., 1.]), WeightsAre::Sampling);
        let without = nps(&[10., 0., 8., 9.], Some(&[2., 2., 1., 1.]), WeightsAre::Sampling);
        assert_eq!(with, without);
    }

    #[test]
    fn unit_weights_equal_unweighted() {
        let s = [10., 9., 3., 7., 6., 10.];
        assert_eq!(nps(&s, None, WeightsAre::Sampling), nps(&s, Some(&[1.0; 6]), WeightsAre::Frequency));
    }

    /// By hand: NPS 30 (SE 4) then 40 (SE 3): change 10, SE 5, CI 10 ± 1.96·5,
    /// z = 2, p = 2(1 − Φ(2)) = 0.0455003.
    #[test]
    fn change_between_two_waves_by_hand() {
        let wave = |g: &str, score: f64, se: f64| ScoreStats {
            group: g.into(),
            score,
            se,
            ..nps(&[9.0], None, WeightsAre::Sampling)
        };
        let c = Change::between(&wave("2025Q1", 30.0, 4.0), &wave("2025Q2", 40.0, 3.0));
        assert_eq!(c.from, "2025Q1");
        close(c.difference, 10.0);
        close(c.se, 5.0);
        close(c.ci_low, 10.0 - 1.959963984540054 * 5.0);
        assert!((c.p_value - 0.045500263896358).abs() < 1e-9, "{}", c.p_value);
    }

    #[test]
    fn all_promoters_has_zero_se_and_clamped_ci() {
        let r = nps(&[9., 10.], None, WeightsAre::Sampling);
        close(r.score, 100.0);
        close(r.se, 0.0);
        close(r.ci_high, 100.0);
    }

    #[test]
    fn groups_are_sorted_and_complete() {
        let g = grouped(&Outcome::nps("ltr"), &["b", "a", "b"], &[10., 0., 9.], None, WeightsAre::Sampling);
        assert_eq!(g.iter().map(|s| s.group.as_str()).collect::<Vec<_>>(), ["a", "b"]);
        close(g[0].score, -100.0);
        close(g[1].score, 100.0);
    }
}
