//! Net Promoter Score: promoters (9–10), passives (7–8), detractors (0–6);
//! NPS = %promoters − %detractors, on −100…100.
//!
//! The standard error treats each answer as +1 / 0 / −1, whose variance is
//! pP + pD − (pP − pD)², so SE = 100·sqrt((pP + pD − (pP − pD)²) / n). With weights the
//! shares are weighted, and the SE depends on what the weights are: sampling weights get
//! the design-based (linearization) SE of the weighted mean of the coded score, equal to
//! R's `survey::svymean` under `svydesign(ids = ~1, weights = ~w)`:
//! SE² = n/(n−1) · Σ wᵢ²(yᵢ − ȳ)² / (Σw)²; frequency weights put Kish's effective sample
//! size (Σw)² / Σw² in place of n. Rows of weight 0 count nowhere.

use serde::Serialize;

use crate::load::Responses;
use crate::spec::WeightsAre;
use crate::waves::WaveOrder;

/// z for a two-sided 95% interval.
const Z95: f64 = 1.959_963_984_540_054;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    Detractor,
    Passive,
    Promoter,
}

impl Category {
    pub fn of(score: f64) -> Category {
        if score >= 9.0 {
            Category::Promoter
        } else if score >= 7.0 {
            Category::Passive
        } else {
            Category::Detractor
        }
    }
}

/// NPS of one group of respondents.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct NpsStats {
    /// "all", or the wave / segment value.
    pub group: String,
    /// Respondents with a score.
    pub n: usize,
    /// Kish's effective n (equals n without weights).
    pub n_eff: f64,
    pub promoters: usize,
    pub passives: usize,
    pub detractors: usize,
    /// Shares in percent (weighted when weights are given).
    pub pct_promoters: f64,
    pub pct_passives: f64,
    pub pct_detractors: f64,
    pub nps: f64,
    pub se: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    /// For a wave: the change from the previous wave.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change: Option<NpsChange>,
    /// For a wave: the change from the same period a year earlier, when the data has it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub year_change: Option<NpsChange>,
}

/// The change in NPS between two independent samples (two waves): difference, its SE
/// √(SE₁² + SE₂²) from the two groups' own SEs (design-based where weighted), a 95% CI
/// and the two-sided z-test p-value.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct NpsChange {
    pub from: String,
    pub nps_change: f64,
    pub se: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    pub p_value: f64,
}

impl NpsChange {
    pub fn between(before: &NpsStats, after: &NpsStats) -> NpsChange {
        use statrs::distribution::{ContinuousCDF, Normal};
        let d = after.nps - before.nps;
        let se = before.se.hypot(after.se);
        let p_value = if se > 0.0 {
            2.0 * (1.0 - Normal::new(0.0, 1.0).expect("standard normal").cdf((d / se).abs()))
        } else if d == 0.0 {
            1.0
        } else {
            0.0
        };
        NpsChange { from: before.group.clone(), nps_change: d, se, ci_low: d - Z95 * se, ci_high: d + Z95 * se, p_value }
    }
}

impl NpsStats {
    /// NPS of `scores` (0–10), optionally weighted. Returns `None` for an empty group.
    pub fn compute(group: &str, scores: &[f64], weights: Option<&[f64]>, kind: WeightsAre) -> Option<NpsStats> {
        let mut counts = [0usize; 3];
        let mut wsum = [0.0f64; 3];
        let mut w2sum = [0.0f64; 3];
        for (i, &s) in scores.iter().enumerate() {
            let w = weights.map_or(1.0, |w| w[i]);
            if w <= 0.0 {
                continue;
            }
            let c = Category::of(s) as usize;
            counts[c] += 1;
            wsum[c] += w;
            w2sum[c] += w * w;
        }
        let n: usize = counts.iter().sum();
        let total: f64 = wsum.iter().sum();
        if n == 0 || total <= 0.0 {
            return None;
        }
        let n_eff = total * total / w2sum.iter().sum::<f64>();
        let [p_d, p_pa, p_p] = wsum.map(|w| w / total);
        let nps = p_p - p_d;
        let se = match (weights, kind) {
            (Some(_), WeightsAre::Sampling) => {
                // Σ wᵢ²(yᵢ − ȳ)² by category, with y = −1, 0, +1.
                let ss: f64 = [-1.0, 0.0, 1.0].iter().zip(w2sum).map(|(y, w2)| w2 * (y - nps) * (y - nps)).sum();
                let finite = if n > 1 { n as f64 / (n as f64 - 1.0) } else { 1.0 };
                (finite * ss).sqrt() / total
            }
            _ => ((p_p + p_d - nps * nps).max(0.0) / n_eff).sqrt(),
        };
        Some(NpsStats {
            group: group.to_string(),
            n,
            n_eff,
            promoters: counts[Category::Promoter as usize],
            passives: counts[Category::Passive as usize],
            detractors: counts[Category::Detractor as usize],
            pct_promoters: 100.0 * p_p,
            pct_passives: 100.0 * p_pa,
            pct_detractors: 100.0 * p_d,
            nps: 100.0 * nps,
            se: 100.0 * se,
            ci_low: (100.0 * (nps - Z95 * se)).max(-100.0),
            ci_high: (100.0 * (nps + Z95 * se)).min(100.0),
            change: None,
            year_change: None,
        })
    }
}

/// NPS overall and broken down by one column.
#[derive(Debug, Clone, Serialize)]
pub struct Breakdown {
    /// The column broken down by ("all" for the overall row).
    pub by: String,
    pub rows: Vec<NpsStats>,
}

/// Everything the report says about NPS.
#[derive(Debug, Clone, Serialize)]
pub struct NpsTable {
    pub overall: NpsStats,
    /// The wave breakdown first (in time order, with changes), then each segment.
    pub breakdowns: Vec<Breakdown>,
}

impl NpsTable {
    /// NPS for the responses overall, by wave and by each segment column.
    pub fn from_responses(r: &Responses, by: &[String]) -> Option<NpsTable> {
        let kind = r.survey.weights_are;
        let target = r.target();
        let weights = r.weights();
        let rows: Vec<usize> = (0..target.len()).filter(|&i| target[i].is_some()).collect();
        let scores: Vec<f64> = rows.iter().map(|&i| target[i].unwrap()).collect();
        let w: Option<Vec<f64>> = weights.map(|w| rows.iter().map(|&i| w[i]).collect());
        let overall = NpsStats::compute("all", &scores, w.as_deref(), kind)?;
        let breakdowns = by
            .iter()
            .map(|col| {
                let labels = r.labels(col);
                let labels: Vec<&str> = rows.iter().map(|&i| labels[i].as_str()).collect();
                let mut rows = grouped(&labels, &scores, w.as_deref(), kind);
                if let Some(order) = r.waves.as_ref().filter(|_| Some(col) == r.survey.wave.as_ref()) {
                    in_time_order(&mut rows, order);
                }
                Breakdown { by: col.clone(), rows }
            })
            .collect();
        Some(NpsTable { overall, breakdowns })
    }
}

/// Puts wave rows in time order (a blank wave last) and adds each one's change from the
/// wave before it and from the same period a year earlier.
fn in_time_order(rows: &mut [NpsStats], order: &WaveOrder) {
    let position = |g: &str| order.labels.iter().position(|l| l == g).unwrap_or(usize::MAX);
    rows.sort_by_key(|r| position(&r.group));
    let find = |rows: &[NpsStats], g: &str| rows.iter().find(|r| r.group == g).cloned();
    for i in 1..rows.len() {
        if position(&rows[i].group) == usize::MAX {
            break;
        }
        rows[i].change = Some(NpsChange::between(&rows[i - 1], &rows[i]));
        if let Some(before) = order.year_earlier(&rows[i].group).and_then(|g| find(rows, g)) {
            rows[i].year_change = Some(NpsChange::between(&before, &rows[i]));
        }
    }
}

/// One NpsStats per distinct label, in sorted label order.
pub fn grouped(labels: &[&str], scores: &[f64], weights: Option<&[f64]>, kind: WeightsAre) -> Vec<NpsStats> {
    let mut groups: Vec<&str> = labels.to_vec();
    groups.sort_unstable();
    groups.dedup();
    groups
        .into_iter()
        .filter_map(|g| {
            let idx: Vec<usize> = (0..labels.len()).filter(|&i| labels[i] == g).collect();
            let s: Vec<f64> = idx.iter().map(|&i| scores[i]).collect();
            let w: Option<Vec<f64>> = weights.map(|w| idx.iter().map(|&i| w[i]).collect());
            NpsStats::compute(g, &s, w.as_deref(), kind)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) {
        assert!((a - b).abs() < 1e-9, "{a} != {b}");
    }

    #[test]
    fn categories_at_the_boundaries() {
        assert_eq!(Category::of(0.0), Category::Detractor);
        assert_eq!(Category::of(6.0), Category::Detractor);
        assert_eq!(Category::of(7.0), Category::Passive);
        assert_eq!(Category::of(8.0), Category::Passive);
        assert_eq!(Category::of(9.0), Category::Promoter);
        assert_eq!(Category::of(10.0), Category::Promoter);
    }

    /// By hand: 10 answers, 5 promoters, 3 passives, 2 detractors.
    /// pP = .5, pD = .2, NPS = 30; var = (.5 + .2 − .3²)/10 = .061; SE = 100·sqrt(.061).
    #[test]
    fn unweighted_by_hand() {
        let s = [10., 9., 9., 10., 9., 8., 7., 7., 3., 0.];
        let r = NpsStats::compute("all", &s, None, WeightsAre::Sampling).unwrap();
        assert_eq!((r.promoters, r.passives, r.detractors, r.n), (5, 3, 2, 10));
        close(r.nps, 30.0);
        close(r.pct_passives, 30.0);
        close(r.se, 100.0 * 0.061f64.sqrt()); // 24.698…
        close(r.ci_low, 30.0 - 1.959963984540054 * 24.698178070456937);
        close(r.n_eff, 10.0);
    }

    /// By hand: frequency weights 2,2,1,1 on scores 10,0,8,9.
    /// Σw = 6, pP = 3/6 = .5, pD = 2/6, NPS = 16.667; n_eff = 36/10 = 3.6;
    /// var = (.5 + 1/3 − (1/6)²)/3.6 = (0.833333 − 0.027778)/3.6 = 0.223765.
    #[test]
    fn frequency_weighted_by_hand() {
        let r = NpsStats::compute("all", &[10., 0., 8., 9.], Some(&[2., 2., 1., 1.]), WeightsAre::Frequency).unwrap();
        close(r.nps, 100.0 / 6.0);
        close(r.n_eff, 3.6);
        close(r.se, 100.0 * ((0.5 + 1.0 / 3.0 - 1.0 / 36.0) / 3.6f64).sqrt());
        assert_eq!(r.n, 4);
    }

    /// By hand, the linearization SE: y = +1, −1, 0, +1, ȳ = 1/6;
    /// Σw²(y − ȳ)² = 4(5/6)² + 4(7/6)² + (1/6)² + (5/6)² = 322/36;
    /// SE² = 4/3 · (322/36) / 6² = 1288/3888.
    #[test]
    fn sampling_weighted_by_hand() {
        let r = NpsStats::compute("all", &[10., 0., 8., 9.], Some(&[2., 2., 1., 1.]), WeightsAre::Sampling).unwrap();
        close(r.nps, 100.0 / 6.0);
        close(r.se, 100.0 * (1288.0f64 / 3888.0).sqrt());
    }

    #[test]
    fn zero_weight_rows_count_nowhere() {
        let with = NpsStats::compute("all", &[10., 0., 3., 8., 9.], Some(&[2., 2., 0., 1., 1.]), WeightsAre::Sampling);
        let without = NpsStats::compute("all", &[10., 0., 8., 9.], Some(&[2., 2., 1., 1.]), WeightsAre::Sampling);
        assert_eq!(with, without);
    }

    #[test]
    fn unit_weights_equal_unweighted() {
        let s = [10., 9., 3., 7., 6., 10.];
        assert_eq!(
            NpsStats::compute("all", &s, None, WeightsAre::Sampling),
            NpsStats::compute("all", &s, Some(&[1.0; 6]), WeightsAre::Frequency)
        );
    }

    /// By hand: NPS 30 (SE 4) then 40 (SE 3): change 10, SE 5, CI 10 ± 1.96·5,
    /// z = 2, p = 2(1 − Φ(2)) = 0.0455003.
    #[test]
    fn change_between_two_waves_by_hand() {
        let wave = |g: &str, nps: f64, se: f64| NpsStats { group: g.into(), nps, se, ..NpsStats::compute("x", &[9.0], None, WeightsAre::Sampling).unwrap() };
        let c = NpsChange::between(&wave("2025Q1", 30.0, 4.0), &wave("2025Q2", 40.0, 3.0));
        assert_eq!(c.from, "2025Q1");
        close(c.nps_change, 10.0);
        close(c.se, 5.0);
        close(c.ci_low, 10.0 - 1.959963984540054 * 5.0);
        assert!((c.p_value - 0.045500263896358).abs() < 1e-9, "{}", c.p_value);
    }

    #[test]
    fn all_promoters_has_zero_se_and_clamped_ci() {
        let r = NpsStats::compute("all", &[9., 10.], None, WeightsAre::Sampling).unwrap();
        close(r.nps, 100.0);
        close(r.se, 0.0);
        close(r.ci_high, 100.0);
    }

    #[test]
    fn groups_are_sorted_and_complete() {
        let g = grouped(&["b", "a", "b"], &[10., 0., 9.], None, WeightsAre::Sampling);
        assert_eq!(g.iter().map(|s| s.group.as_str()).collect::<Vec<_>>(), ["a", "b"]);
        close(g[0].nps, -100.0);
        close(g[1].nps, 100.0);
    }
}
