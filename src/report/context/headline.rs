//! The headline section: the figure, its change, its gaps to benchmarks, the top driver
//! and where to act first.

use super::*;

/// The headline in the latest wave (or overall), its change and its benchmark gaps.
#[derive(Serialize)]
pub struct Headline {
    pub wave: Option<String>,
    /// With its unit: "+19.2", "69.7%", "3.41".
    pub value: String,
    pub ci_low: String,
    pub ci_high: String,
    pub change: Option<Change>,
    pub benchmarks: Vec<Gap>,
}

#[derive(Serialize)]
pub struct Change {
    pub from: String,
    pub difference: String,
    pub ci_low: String,
    pub ci_high: String,
    pub beyond_noise: bool,
}

#[derive(Serialize)]
pub struct Gap {
    pub label: String,
    pub benchmark: String,
    pub difference: String,
    pub beyond_noise: bool,
}

impl Headline {
    pub(super) fn of(a: &Analysis, o: &OutcomeAnalysis) -> Headline {
        let out = &o.outcome;
        let latest = a
            .survey
            .wave
            .as_deref()
            .and_then(|c| o.scores.by(c))
            .and_then(|rows| rows.iter().rev().find(|r| r.change.is_some()));
        let r = latest.unwrap_or(&o.scores.overall);
        Headline {
            wave: latest.map(|r| r.group.clone()),
            value: out.headline_value(r.score),
            ci_low: out.value(r.ci_low),
            ci_high: out.value(r.ci_high),
            change: r.change.as_ref().map(|c| Change {
                from: c.from.clone(),
                difference: out.delta(c.difference),
                ci_low: out.delta(c.ci_low),
                ci_high: out.delta(c.ci_high),
                beyond_noise: c.ci_low > 0.0 || c.ci_high < 0.0,
            }),
            benchmarks: o
                .scores
                .benchmarks
                .iter()
                .filter(|g| g.wave == r.group || (latest.is_none() && g.wave == "all"))
                .map(|g| Gap {
                    label: g.label.clone(),
                    benchmark: out.value(g.benchmark),
                    difference: out.delta(g.difference),
                    beyond_noise: g.beyond_noise,
                })
                .collect(),
        }
    }
}

/// One of the drivers that matter most, for the headline.
#[derive(Serialize)]
pub struct TopDriver {
    pub rank: usize,
    pub label: String,
    pub share: Option<String>,
    /// "18.7–23.5%", with a bootstrap.
    pub ci: Option<String>,
    /// The drivers it cannot be told apart from (sharing a tie-group letter).
    pub tied: Vec<String>,
    /// It shares no tie group with any other driver: apart from all of them beyond noise.
    pub apart: bool,
    pub direction: &'static str,
    pub suppressor: bool,
}

impl TopDriver {
    /// The top three (fewer when there are fewer drivers).
    pub(super) fn of(d: &DriverTable) -> Vec<TopDriver> {
        d.drivers
            .iter()
            .take(3)
            .map(|x| {
                let tied = tied_with(d, x);
                TopDriver {
                    rank: x.rank,
                    label: x.label.clone(),
                    share: x.shapley_share.map(pct),
                    ci: share_ci(x),
                    apart: x.tie_group.is_some() && tied.is_empty(),
                    tied,
                    direction: x.direction,
                    suppressor: is_suppressor(x),
                }
            })
            .collect()
    }
}

/// Positive correlation but negative beta: the driver's own association is positive; the
/// negative beta comes from what it shares with correlated drivers (a suppressor).
pub(super) fn is_suppressor(x: &Driver) -> bool {
    x.corr > 0.0 && x.beta.is_some_and(|b| b < 0.0)
}

/// The other drivers sharing a tie-group letter with `x`.
fn tied_with(d: &DriverTable, x: &Driver) -> Vec<String> {
    let Some(letters) = x.tie_group.as_deref() else { return vec![] };
    d.drivers
        .iter()
        .filter(|y| y.name != x.name && y.tie_group.as_deref().is_some_and(|l| l.chars().any(|c| letters.contains(c))))
        .map(|y| y.label.clone())
        .collect()
}

/// The overall headline with its bands.
#[derive(Serialize)]
pub struct Score {
    pub value: String,
    pub ci_low: String,
    pub ci_high: String,
    pub se: String,
    pub n: usize,
    /// Best band first: its share, name ("promoters") and answers ("9–10").
    pub bands: Vec<BandShare>,
}

#[derive(Serialize)]
pub struct BandShare {
    pub pct: String,
    pub band: &'static str,
    pub range: String,
}

impl Score {
    pub(super) fn of(out: &Outcome, r: &ScoreStats) -> Score {
        Score {
            value: out.headline_value(r.score),
            ci_low: out.value(r.ci_low),
            ci_high: out.value(r.ci_high),
            se: format!("{:.prec$}", r.se, prec = out.decimals()),
            n: r.n,
            bands: r
                .bands
                .as_ref()
                .map(|b| {
                    [Band::High, Band::Mid, Band::Low]
                        .iter()
                        .map(|&x| BandShare {
                            pct: format!("{:.1}%", b.pct[x as usize]),
                            band: out.band_names().map_or("", |n| n[x as usize]),
                            range: out.band_range(x),
                        })
                        .collect()
                })
                .unwrap_or_default(),
        }
    }
}

/// The importance–performance quadrants: above or below the drivers' mean share and
/// mean rating.
#[derive(Serialize)]
pub struct Act {
    pub fix_first: Vec<String>,
    pub keep_it_up: Vec<String>,
    pub possible_overkill: Vec<String>,
    pub low_priority: Vec<String>,
    /// Drivers whose mean rating cannot be told from the average (95%): not sorted into
    /// a quadrant by a difference that is noise.
    pub on_the_line: Vec<String>,
    pub mean_share: String,
    pub mean_rating: String,
}

impl Act {
    pub(super) fn of(d: &DriverTable) -> Option<Act> {
        let shares: Vec<(&Driver, f64)> =
            d.drivers.iter().map(|x| Some((x, x.shapley_share?))).collect::<Option<_>>()?;
        let n = shares.len().max(1) as f64;
        let mean_share = shares.iter().map(|(_, s)| s).sum::<f64>() / n;
        let mean_rating = d.average_rating();
        let pick = |important: bool, well_rated: bool| {
            shares
                .iter()
                .filter(|(x, _)| !x.rated_as(mean_rating))
                .filter(|(x, s)| (*s > mean_share) == important && (x.mean_rating >= mean_rating) == well_rated)
                .map(|(x, _)| x.label.clone())
                .collect()
        };
        Some(Act {
            fix_first: pick(true, false),
            keep_it_up: pick(true, true),
            possible_overkill: pick(false, true),
            low_priority: pick(false, false),
            on_the_line: shares.iter().filter(|(x, _)| x.rated_as(mean_rating)).map(|(x, _)| x.label.clone()).collect(),
            mean_share: pct(mean_share),
            mean_rating: format!("{mean_rating:.2}"),
        })
    }
}
