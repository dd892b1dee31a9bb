//! Step two of a fit: every method asked for, as plain numbers, from the prepared matrix
//! (and, for Spearman, the logits and design-based SEs, from the complete rows when
//! given). Nothing here writes a note or knows a label: the bootstrap calls it a thousand
//! times with only the interval methods on and no rows.

use super::dominance::Dominance;
use super::logit::{self, Logit};
use super::notes::LogitFailure;
use super::ols::Ols;
use super::prepare::Prepared;
use super::shapley::{self, Shapley};
use super::subsets::{self, Gains};
use super::{corr, kruskal, relweights, Method, Options};
use crate::load::ModelData;
use crate::schema::outcome::Outcome;
use crate::schema::settings::WeightsAre;

/// The raw results of one fit, in driver column order. `None`: not asked for, or not
/// possible on these data (`assemble` says which).
#[derive(Default)]
pub struct Estimates {
    pub r2: f64,
    pub pearson: Vec<f64>,
    pub spearman: Option<Vec<f64>>,
    pub ols: Option<Ols>,
    pub relative_weights: Option<Vec<f64>>,
    pub shapley: Option<Shapley>,
    pub kruskal: Option<Vec<f64>>,
    pub dominance: Option<Dominance>,
    /// One logit per class of the outcome (promoter, detractor, satisfied, high effort),
    /// by class name; `Err` says why it was not fitted.
    pub logits: Vec<(&'static str, Result<Logit, LogitFailure>)>,
}

/// Runs the methods in `opts`. `rows` are the complete rows (enough of them for a model)
/// when the row-based methods should run; `pairwise` says the matrix did not come from
/// those rows alone.
pub fn estimate(
    prep: &Prepared,
    outcome: &Outcome,
    rows: Option<&ModelData>,
    pairwise: bool,
    opts: &Options,
) -> Estimates {
    let p = prep.p();
    let corr = &prep.corr;
    let all: Vec<usize> = (0..p).collect();
    let r2 = subsets::subset_r2(corr, &all);
    let mut est = Estimates { r2, pearson: corr::pearson(corr), ..Default::default() };

    // The row-based methods run side by side: Spearman's one pass beside the logits'.
    (est.spearman, est.logits) = rayon::join(
        || rows.filter(|_| opts.wants(Method::Corr)).map(corr::spearman),
        || logits(prep, outcome, rows, opts),
    );
    if opts.wants(Method::Ols) && prep.identified() {
        // Design-based SEs need the very rows behind the matrix: not so under pairwise deletion.
        let design = rows.filter(|d| d.w.is_some() && opts.weights_are == WeightsAre::Sampling && !pairwise);
        est.ols = Ols::fit(&prep.moments, corr, r2, design);
    }
    if opts.wants(Method::Relweights) {
        est.relative_weights = relweights::relative_weights(corr);
    }

    let exact = p <= shapley::MAX_EXACT && !opts.approx;
    let needs_walk = [Method::Shapley, Method::Dominance, Method::Kruskal].iter().any(|&m| opts.wants(m));
    let wants = subsets::Wants { partial: opts.wants(Method::Kruskal), complete: opts.wants(Method::Dominance) };
    let gains = (exact && needs_walk).then(|| Gains::exact(corr, wants));
    if opts.wants(Method::Shapley) {
        est.shapley = Some(match &gains {
            Some(g) => Shapley::exact(g),
            None => Shapley::sampled(corr, opts.permutations, opts.seed, opts.tolerance),
        });
    }
    if let Some(g) = gains.as_ref().filter(|_| opts.wants(Method::Kruskal)) {
        est.kruskal = Some(kruskal::kruskal(g));
    }
    if let Some(g) = gains.as_ref().filter(|_| opts.wants(Method::Dominance)) {
        est.dominance = Some(Dominance::fit(g));
    }

    est
}

/// One logit per class of the outcome, when asked for and the drivers are not collinear.
fn logits(
    prep: &Prepared,
    outcome: &Outcome,
    rows: Option<&ModelData>,
    opts: &Options,
) -> Vec<(&'static str, Result<Logit, LogitFailure>)> {
    match (opts.wants(Method::Logit), prep.identified(), rows) {
        (true, true, Some(d)) => {
            // The rows hold the oriented outcome: sign × y is the answer as given.
            let sign = outcome.sign();
            outcome
                .classes()
                .into_iter()
                .map(|c| (c.name, logit::fit(d, |y| outcome.band(sign * y) == Some(c.band))))
                .collect()
        }
        _ => Vec::new(),
    }
}
