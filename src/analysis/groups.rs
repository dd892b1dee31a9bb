//! The engine again for every wave and every level of each segment column: what changed,
//! and for whom. A group with too few complete responses gets its headline (NPS, …) and a
//! note, never an abort. Between the last two waves, and between each segment level and the rest of
//! the sample, drivers' shares are compared through their independent bootstrap
//! resamples, paired by index, so "moved" means beyond the uncertainty.

use std::collections::BTreeMap;

use rayon::prelude::*;
use serde::Serialize;

use crate::analysis::change::{ChangeFailure, Explained};
use crate::analysis::group::{Group, Intervals, NoRanking};
use crate::analysis::source::Source;
use crate::engine::bootstrap::{self, Uncertainty};
use crate::engine::{DriverTable, Method, Options, RankBy};
use crate::headline::scores::{Change, ScoreStats, ScoreTable};
use crate::schema::outcome::Outcome;
use crate::schema::settings::Survey;
use crate::schema::waves::WaveOrder;

/// Why the groups' comparison of shares or the decomposition of a change is missing.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum GroupsNote {
    /// The last two waves' shares cannot be compared: one of them has no intervals.
    NoShareShift { from: String, to: String, intervals: Intervals },
    /// Why the headline moved between the last two waves is not decomposed.
    NotDecomposed { metric: String, from: String, to: String, why: ChangeFailure },
}

/// Why a group has no ranking, and the headline it still gets.
#[derive(Debug, Clone, Serialize)]
pub struct GroupNote {
    pub why: NoRanking,
    /// The headline's name ("NPS").
    pub metric: String,
}

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
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "crate::engine::notes::as_text_opt")]
    pub note: Option<GroupNote>,
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
    /// The same for the headline's own change (every respondent): its parts and rest add
    /// up to the change the headline reports.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub headline_change_explained: Option<Explained>,
    /// Why a comparison or the decomposition is missing.
    #[serde(skip_serializing_if = "Vec::is_empty", serialize_with = "crate::engine::notes::as_text")]
    pub notes: Vec<GroupsNote>,
}

/// One row per group and driver, for a frame or a spreadsheet: which group, its headline,
/// then the driver's fields; a group without a ranking gets one row saying why.
#[derive(Serialize)]
pub struct GroupRow<'a> {
    #[serde(flatten)]
    pub of: GroupOf<'a>,
    pub n: usize,
    pub score: f64,
    pub score_ci_low: f64,
    pub score_ci_high: f64,
    #[serde(serialize_with = "crate::engine::notes::as_text_opt")]
    pub note: Option<&'a GroupNote>,
    #[serde(flatten)]
    pub driver: Option<&'a crate::engine::Driver>,
}

/// The group a [`GroupRow`] belongs to.
#[derive(Serialize)]
#[serde(untagged)]
pub enum GroupOf<'a> {
    Wave { wave: &'a str },
    Segment { segment: &'a str, group: &'a str },
}

impl GroupFit {
    fn rows<'a>(&'a self, of: impl Fn() -> GroupOf<'a>) -> Vec<GroupRow<'a>> {
        let row = |driver| GroupRow {
            of: of(),
            n: self.n,
            score: self.score,
            score_ci_low: self.score_ci_low,
            score_ci_high: self.score_ci_high,
            note: self.note.as_ref(),
            driver,
        };
        match &self.table {
            Some(t) => t.drivers.iter().map(|d| row(Some(d))).collect(),
            None => vec![row(None)],
        }
    }
}

impl GroupAnalysis {
    /// Every wave's rows, in time order.
    pub fn wave_rows(&self) -> Vec<GroupRow<'_>> {
        self.waves.iter().flat_map(|w| w.fit.rows(|| GroupOf::Wave { wave: &w.wave })).collect()
    }

    /// Every segment level's rows, segment columns in name order.
    pub fn segment_rows(&self) -> Vec<GroupRow<'_>> {
        self.segments
            .iter()
            .flat_map(|(segment, levels)| {
                levels.iter().flat_map(move |l| l.fit.rows(move || GroupOf::Segment { segment, group: &l.group }))
            })
            .collect()
    }

    /// The decomposition the report shows: of the headline's own change when there is
    /// one (`true`), else of the complete responses'.
    pub fn explained(&self) -> Option<(&Explained, bool)> {
        match (&self.headline_change_explained, &self.change_explained) {
            (Some(h), _) => Some((h, true)),
            (None, c) => c.as_ref().map(|c| (c, false)),
        }
    }
}

/// Runs the engine per wave (in time order) and per segment level of `source`, with the
/// headline of each group from `scores`.
pub fn analyse(
    survey: &Survey,
    source: &dyn Source,
    outcome: &Outcome,
    scores: &ScoreTable,
    waves: Option<&WaveOrder>,
    opts: &Options,
) -> GroupAnalysis {
    let mut out = GroupAnalysis::default();
    let breakdown = |col: &str| scores.by(col).unwrap_or(&[]);
    let min_n = survey.min_group_n();
    let fit_group = |stats: &ScoreStats, group: Group| {
        let fitted = source.fit_level(group, min_n, opts);
        let (table, note) = match fitted {
            Ok(t) => (Some(t), None),
            Err(why) => (None, Some(GroupNote { why, metric: outcome.metric() })),
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
    };
    if let (Some(wave), Some(order)) = (&survey.wave, waves) {
        let stats = breakdown(wave);
        // Groups are fitted side by side; each is seeded by its name, so the result does
        // not depend on the order they finish in.
        out.waves = order
            .labels
            .par_iter()
            .filter_map(|w| {
                let s = stats.iter().find(|s| &s.group == w)?;
                Some(WaveGroup { wave: w.clone(), fit: fit_group(s, Group::Wave { column: wave, label: w }) })
            })
            .collect();
        if let [.., a, b] = &out.waves[..] {
            let (from, to) = (a.wave.clone(), b.wave.clone());
            match share_shift(a, b) {
                Some(shift) => out.share_shift = Some(shift),
                None => out.notes.push(GroupsNote::NoShareShift {
                    from: from.clone(),
                    to: to.clone(),
                    intervals: source.intervals(opts),
                }),
            }
            match source.explain(wave, &a.wave, &b.wave, opts) {
                Ok(e) => (out.change_explained, out.headline_change_explained) = (Some(e.complete), Some(e.headline)),
                Err(why) => out.notes.push(GroupsNote::NotDecomposed { metric: outcome.metric(), from, to, why }),
            }
        }
    }
    for col in &survey.segments {
        let groups = breakdown(col)
            .par_iter()
            .map(|s| {
                let fit = fit_group(s, Group::Segment { column: col, level: &s.group });
                let versus_rest = uncertainty(&fit).and_then(|u| {
                    let rest = source.fit(Group::Rest { column: col, level: &s.group }, 0, &rest_options(opts)).ok()?;
                    Some(compare(fit.table.as_ref()?, u, rest.uncertainty.as_ref()?))
                });
                SegmentGroup { group: s.group.clone(), fit, versus_rest }
            })
            .collect();
        out.segments.insert(col.clone(), groups);
    }
    out
}

/// Drivers' shares in wave `b` against wave `a`, when both have intervals.
fn share_shift(a: &WaveGroup, b: &WaveGroup) -> Option<ShareShift> {
    let (ua, ub) = (uncertainty(&a.fit)?, uncertainty(&b.fit)?);
    let table = b.fit.table.as_ref()?;
    Some(ShareShift { from: a.wave.clone(), to: b.wave.clone(), drivers: compare(table, ub, ua) })
}

/// The options for the rest of the sample beside a segment level: only the bootstrapped
/// shares are compared, so its other methods (logits, Spearman, dominance) are not run.
fn rest_options(opts: &Options) -> Options {
    Options {
        methods: [Method::Shapley, Method::Relweights].into_iter().filter(|&m| opts.wants(m)).collect(),
        rank_by: opts.rank_by.filter(|r| matches!(r, RankBy::Shapley | RankBy::RelativeWeight)),
        ..opts.clone()
    }
}

fn uncertainty(fit: &GroupFit) -> Option<&Uncertainty> {
    fit.table.as_ref()?.uncertainty.as_ref()
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
