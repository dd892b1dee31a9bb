//! Why the headline moved, and how the drivers' shares moved between waves.

use super::*;

/// Why the headline moved between the last two waves.
#[derive(Serialize)]
pub struct ChangeView {
    pub from: String,
    pub to: String,
    pub n_from: usize,
    pub n_to: usize,
    /// The headline's own change, from every respondent (else the complete responses').
    pub everyone: bool,
    pub change: String,
    pub resamples: usize,
    /// Largest part first.
    pub parts: Vec<Part>,
    pub unexplained: String,
    pub unexplained_ci: Option<Span>,
    /// The largest part, and whether its interval excludes zero.
    pub biggest: Option<Part>,
}

#[derive(Serialize, Clone)]
pub struct Part {
    pub label: String,
    pub mean_from: String,
    pub mean_to: String,
    pub coefficient: String,
    pub points: String,
    pub ci: Option<Span>,
    pub beyond_noise: bool,
}

impl ChangeView {
    pub(super) fn of(out: &Outcome, e: &crate::analysis::change::Explained, everyone: bool) -> ChangeView {
        let ci = |l: Option<f64>, h: Option<f64>| {
            l.zip(h).map(|(l, h)| Span { low: format!("{l:+.2}"), high: format!("{h:+.2}") })
        };
        let parts: Vec<Part> = e
            .by_size()
            .into_iter()
            .map(|c| Part {
                label: c.label.clone(),
                mean_from: format!("{:.2}", c.mean_from),
                mean_to: format!("{:.2}", c.mean_to),
                coefficient: format!("{:+.2}", c.coefficient),
                points: format!("{:+.2}", c.points),
                ci: ci(c.ci_low, c.ci_high),
                beyond_noise: c.ci_low.zip(c.ci_high).is_some_and(|(l, h)| l > 0.0 || h < 0.0),
            })
            .collect();
        ChangeView {
            from: e.from.clone(),
            to: e.to.clone(),
            n_from: e.n_from,
            n_to: e.n_to,
            everyone,
            change: out.delta(e.change),
            resamples: e.resamples,
            biggest: parts.first().cloned(),
            parts,
            unexplained: format!("{:+.2}", e.unexplained),
            unexplained_ci: ci(e.unexplained_ci_low, e.unexplained_ci_high),
        }
    }
}

/// Did the drivers' shares move from the wave before to the latest?
#[derive(Serialize)]
pub struct ShareShiftView {
    pub from: String,
    pub to: String,
    pub rows: Vec<ShareRow>,
}

#[derive(Serialize)]
pub struct ShareRow {
    pub label: String,
    pub other: String,
    pub this: String,
    pub change: String,
    pub ci: Span,
    pub beyond_noise: bool,
}

impl ShareRow {
    pub(super) fn of(r: &ShareDifference) -> ShareRow {
        ShareRow {
            label: r.label.clone(),
            other: pct(r.other_share),
            this: pct(r.share),
            change: format!("{:+.1}", 100.0 * r.difference),
            ci: Span { low: format!("{:+.1}", 100.0 * r.ci_low), high: format!("{:+.1}", 100.0 * r.ci_high) },
            beyond_noise: r.significant,
        }
    }
}
