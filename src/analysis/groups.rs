//! The engine again for every wave and every level of each segment column: what changed,
//! and for whom. A group with too few complete responses gets its headline (NPS, …) and a
//! note, never an abort. Between the last two waves, and between each segment level and the rest of
//! the sample, drivers' shares are compared through their independent bootstrap
//! resamples, paired by index, so "moved" means beyond the uncertainty.

use std::collections::BTreeMap;

use rayon::prelude::*;
use serde::Serialize;

use crate::analysis::change::{self, Explained};
use crate::engine::bootstrap::{self, Uncertainty};
use crate::engine::{DriverTable, Method, Options, RankBy};
use crate::headline::scores::{Change, ScoreStats, ScoreTable};
use crate::load::{Responses, MISSING_LABEL};
use crate::schema::outcome::Outcome;
use crate::schema::spec::Survey;

/// One group: its headline (with changes, for a wave) and its own driver table or why not.
#[derive(Debug, Clone, Serialize)]
pub struct GroupFit {
    /// Respondents with an answer.
    pub n: usize,
    /// The headline (NPS, % satisfied, mean effort, mean) and its 95% interval.
    pub score: f64,
    pub score_ci_low: f64,
    pub score_ci_high: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change: Option<Change>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub year_change: Option<Change>,
    /// Why there is no driver ranking for this group.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub table: Option<DriverTable>,
}

#[derive(Debug, Clone, Serialize)]
pub struct WaveGroup {
    pub wave: String,
    #[serde(flatten)]
    pub fit: GroupFit,
}

#[derive(Debug, Clone, Serialize)]
pub struct SegmentGroup {
    pub group: String,
    #[serde(flatten)]
    pub fit: GroupFit,
    /// Each driver's share here against its share in the rest of the sample.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub versus_rest: Option<Vec<ShareDifference>>,
}

/// A driver's share of explained variance in two independent groups.
#[derive(Debug, Clone, Serialize)]
pub struct ShareDifference {
    pub name: String,
    pub label: String,
    /// Share in this group (or the later wave).
    pub share: f64,
    /// Share in the other group (the rest of the sample, or the earlier wave).
    pub other_share: f64,
    pub difference: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    /// The interval excludes 0.
    pub significant: bool,
}

/// Drivers' shares in the latest wave against the wave before.
#[derive(Debug, Clone, Serialize)]
pub struct ShareShift {
    pub from: String,
    pub to: String,
    pub drivers: Vec<ShareDifference>,
}

/// Everything by wave and segment.
#[derive(Debug, Clone, Default, Serialize)]
pub struct GroupAnalysis {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub waves: Vec<WaveGroup>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub segments: BTreeMap<String, Vec<SegmentGroup>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub share_shift: Option<ShareShift>,
    /// Why the headline moved between the last two waves.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change_explained: Option<Explained>,
    /// Why a comparison or the decomposition is missing.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// Runs the engine for `outcome` per wave and per segment level of `responses`.
pub fn analyse(
    survey: &Survey,
    responses: &Responses,
    outcome: &Outcome,
    scores: &ScoreTable,
    opts: &Options,
) -> GroupAnalysis {
    let mut out = GroupAnalysis::default();
    let breakdown = |col: &str| scores.by(col).unwrap_or(&[]);
    let fit_group =
        |stats: &ScoreStats, keep: &[bool], name: &str| fit_group(survey, responses, outcome, stats, keep, name, opts);
    if let (Some(wave), Some(order)) = (&survey.wave, &responses.waves) {
        let stats = breakdown(wave);
        // Groups are fitted side by side; each is seeded by its name, so the result does
        // not depend on the order they finish in.
        out.waves = order
            .labels
            .par_iter()
            .filter_map(|w| {
                let s = stats.iter().find(|s| &s.group == w)?;
                let keep = responses.rows_with(wave, w);
                Some(WaveGroup { wave: w.clone(), fit: fit_group(s, &keep, w) })
            })
            .collect();
        if let [.., a, b] = &out.waves[..] {
            match share_shift(a, b, opts.bootstrap > 0) {
                Ok(shift) => out.share_shift = Some(shift),
                Err(why) => out.notes.push(why),
            }
            match change::explain(survey, responses, outcome, wave, (&a.wave, &b.wave), opts) {
                Ok(e) => out.change_explained = Some(e),
                Err(why) => out.notes.push(format!(
                    "why {} moved between {} and {} is not decomposed: {why}",
                    outcome.metric(),
                    a.wave,
                    b.wave
                )),
            }
        }
    }
    for col in &survey.segments {
        let groups = breakdown(col)
            .par_iter()
            .map(|s| {
                let keep = responses.rows_with(col, &s.group);
                let fit = fit_group(s, &keep, &format!("{col}={}", s.group));
                let versus_rest = uncertainty(&fit).and_then(|u| {
                    let rest: Vec<bool> = keep.iter().map(|k| !k).collect();
                    let data = responses.model_data(outcome, Some(&rest));
                    let rest_opts = rest_options(opts, col, &s.group);
                    let rest_table =
                        DriverTable::fit_rows(survey, responses, outcome, Some(&rest), &data, &rest_opts).ok()?;
                    Some(compare(fit.table.as_ref()?, u, rest_table.uncertainty.as_ref()?))
                });
                SegmentGroup { group: s.group.clone(), fit, versus_rest }
            })
            .collect();
        out.segments.insert(col.clone(), groups);
    }
    out
}

/// Drivers' shares in wave `b` against wave `a`, or why they cannot be compared.
pub fn share_shift(a: &WaveGroup, b: &WaveGroup, bootstrapped: bool) -> Result<ShareShift, String> {
    match (uncertainty(&a.fit), uncertainty(&b.fit)) {
        (Some(ua), Some(ub)) => {
            let table = b.fit.table.as_ref().expect("has uncertainty");
            Ok(ShareShift { from: a.wave.clone(), to: b.wave.clone(), drivers: compare(table, ub, ua) })
        }
        _ => Err(format!(
            "no comparison of driver shares between {} and {}: {}",
            a.wave,
            b.wave,
            if bootstrapped {
                "both waves need a ranking with bootstrap intervals"
            } else {
                "it needs bootstrap intervals (--bootstrap N)"
            }
        )),
    }
}

/// The options for the rest of the sample beside level `group` of `col`: only the
/// bootstrapped shares are compared, so its other methods (logits, Spearman, dominance)
/// are not run; its resamples have their own stream.
pub fn rest_options(opts: &Options, col: &str, group: &str) -> Options {
    Options {
        seed: group_seed(opts.seed, &format!("{col}!={group}")),
        methods: [Method::Shapley, Method::Relweights].into_iter().filter(|&m| opts.wants(m)).collect(),
        rank_by: opts.rank_by.filter(|r| matches!(r, RankBy::Shapley | RankBy::RelativeWeight)),
        ..opts.clone()
    }
}

fn uncertainty(fit: &GroupFit) -> Option<&Uncertainty> {
    fit.table.as_ref()?.uncertainty.as_ref()
}

/// One group's driver table when it has enough complete rows, else a note.
fn fit_group(
    survey: &Survey,
    responses: &Responses,
    outcome: &Outcome,
    stats: &ScoreStats,
    keep: &[bool],
    name: &str,
    opts: &Options,
) -> GroupFit {
    let data = responses.model_data(outcome, Some(keep));
    let (table, note) = if let Some(why) = unrankable(survey, &stats.group, data.n_used) {
        (None, Some(format!("{why}: {} only", outcome.metric())))
    } else {
        let group_opts = Options { seed: group_seed(opts.seed, name), ..opts.clone() };
        match DriverTable::fit_rows(survey, responses, outcome, Some(keep), &data, &group_opts) {
            Ok(t) => (Some(t), None),
            Err(e) => (None, Some(format!("no driver model: {e}"))),
        }
    };
    GroupFit {
        n: stats.n,
        score: stats.score,
        score_ci_low: stats.ci_low,
        score_ci_high: stats.ci_high,
        change: stats.change.clone(),
        year_change: stats.year_change.clone(),
        note,
        table,
    }
}

/// Shares in `this` against `other`, driver by driver (in `this` table's rank order).
pub fn compare(this: &DriverTable, u: &Uncertainty, other: &Uncertainty) -> Vec<ShareDifference> {
    this.drivers
        .iter()
        .filter_map(|d| {
            let j = u.index(&d.name);
            let [ci_low, ci_high] = bootstrap::share_difference(u, other, j)?;
            Some(ShareDifference {
                name: d.name.clone(),
                label: d.label.clone(),
                share: u.point_shares[j],
                other_share: other.point_shares[j],
                difference: u.point_shares[j] - other.point_shares[j],
                ci_low,
                ci_high,
                significant: ci_low > 0.0 || ci_high < 0.0,
            })
        })
        .collect()
}

/// Why a group gets no driver ranking of its own, if it does not: respondents without a
/// value in the column, or fewer complete responses than `min_group_n`.
pub fn unrankable(survey: &Survey, group: &str, n_used: usize) -> Option<String> {
    let min = survey.min_group_n();
    if group == MISSING_LABEL {
        Some("respondents without a value here".into())
    } else if n_used < min {
        Some(format!("only {n_used} complete responses, fewer than the {min} a ranking needs (min_group_n)"))
    } else {
        None
    }
}

/// Each group resamples from its own stream: the run's seed mixed with the group's name
/// (FNV-1a), so groups are independent and every run is reproducible.
pub fn group_seed(seed: u64, name: &str) -> u64 {
    name.bytes().fold(seed ^ 0xcbf2_9ce4_8422_2325, |h, b| (h ^ b as u64).wrapping_mul(0x0100_0000_01b3))
}
