//! Step three of a fit: the estimates with labels, notes and the ranking, as a
//! [`DriverTable`].

use super::*;

pub(super) fn split(ci: Option<[f64; 2]>) -> (Option<f64>, Option<f64>) {
    (ci.map(|c| c[0]), ci.map(|c| c[1]))
}

/// What a fit knows of its rows: how many were used and dropped, whether they were
/// weighted, and whether the rows themselves were at hand (or only their moments).
pub(super) struct Counts {
    pub(super) n_used: usize,
    pub(super) n_dropped: usize,
    pub(super) weighted: bool,
    pub(super) rows: bool,
}

/// Step three: labels, notes and the ranking.
pub(super) fn assemble(model: &Model, prep: &Prepared, est: &Estimates, data: &Counts) -> DriverTable {
    let opts = model.opts;
    let names = model.names();
    let p = names.len();
    let list = |idx: &[usize]| idx.iter().map(|&j| names[j].to_string()).collect::<Vec<_>>();
    let m = &prep.moments;
    let mut notes = Vec::new();
    if model.outcome.kind == OutcomeKind::Ces {
        notes.push(Note::EffortSigned);
    }
    if !prep.constant.is_empty() {
        notes.push(Note::Constant { drivers: list(&prep.constant) });
    }
    if prep.repaired {
        notes.push(Note::Repaired);
    }
    if !prep.identified() {
        notes.push(Note::Collinear { drivers: list(&prep.redundant) });
    }

    let mut drivers: Vec<Driver> = model
        .specs
        .iter()
        .enumerate()
        .map(|(j, d)| Driver {
            name: d.column.clone(),
            label: d.label().to_string(),
            corr: est.pearson[j],
            mean_rating: m.mean[j],
            mean_rating_se: (m.cov[[j, j]].max(0.0) / m.n_eff.max(1.0)).sqrt(),
            direction: direction(est.pearson[j], est.ols.as_ref().map(|o| o.beta[j])),
            ..Default::default()
        })
        .collect();
    let mut rows_used = BTreeMap::from([("correlation_matrix", m.n)]);

    if let Some(s) = &est.spearman {
        for (d, v) in drivers.iter_mut().zip(s) {
            d.spearman = Some(*v);
        }
        rows_used.insert("spearman", data.n_used);
    } else if opts.wants(Method::Corr) && data.rows {
        notes.push(Note::SpearmanSkipped { rows: data.n_used });
    }
    if !data.rows {
        // A logit of an outcome without classes (a numeric one) is not missed.
        let skipped: Vec<Method> =
            opts.needing_rows().filter(|&m| m != Method::Logit || !model.outcome.classes().is_empty()).collect();
        if !skipped.is_empty() {
            notes.push(Note::NeedsRows { methods: skipped });
        }
        if data.weighted && opts.weights_are == WeightsAre::Sampling && opts.wants(Method::Ols) {
            notes.push(Note::ModelBasedFromMoments);
        }
    }
    let mut standard_errors = None;
    if let Some(o) = &est.ols {
        for (j, d) in drivers.iter_mut().enumerate() {
            d.beta = Some(o.beta[j]);
            d.beta_se = Some(o.beta_se[j]);
            d.beta_p = Some(o.beta_p[j]);
            d.coef = Some(o.coef[j]);
            d.coef_se = Some(o.coef_se[j]);
            d.vif = Some(o.vif[j]);
        }
        standard_errors = Some(match (data.weighted, opts.weights_are) {
            (false, _) => StandardErrors::Ols,
            (true, WeightsAre::Sampling) if opts.missing == Missing::Listwise && data.rows => {
                StandardErrors::DesignBased
            }
            (true, WeightsAre::Sampling) if !data.rows => StandardErrors::WeightedLm,
            (true, WeightsAre::Sampling) => {
                notes.push(Note::ModelBasedWithGaps { missing: opts.missing });
                StandardErrors::WeightedLm
            }
            (true, WeightsAre::Frequency) => StandardErrors::WeightedLm,
        });
    }
    if let Some(w) = &est.relative_weights {
        for (d, v) in drivers.iter_mut().zip(w) {
            d.relative_weight = Some(*v);
        }
    } else if opts.wants(Method::Relweights) {
        notes.push(Note::RelweightsFailed);
    }

    let mut shapley_method = None;
    if let Some(s) = &est.shapley {
        shapley_method = Some(match s.permutations {
            0 => ShapleyMethod::Exact { subsets: 1u64 << p },
            k => ShapleyMethod::Sampled { orderings: k, seed: opts.seed, tolerance: opts.tolerance },
        });
        let total: f64 = s.values.iter().sum();
        for (j, d) in drivers.iter_mut().enumerate() {
            d.shapley = Some(s.values[j]);
            d.shapley_share = Some(if total > 0.0 { s.values[j] / total } else { 0.0 });
            d.shapley_se = s.se.as_ref().map(|se| se[j]);
        }
    }
    if let Some(k) = &est.kruskal {
        for (d, v) in drivers.iter_mut().zip(k) {
            d.kruskal = Some(*v);
        }
    }
    let complete_dominance = est.dominance.as_ref().map(|dom| {
        for (j, d) in drivers.iter_mut().enumerate() {
            d.general_dominance = Some(dom.general[j]);
            d.conditional_dominance = Some(dom.conditional[j].clone());
        }
        dom.complete.iter().map(|&(a, b)| [names[a].to_string(), names[b].to_string()]).collect()
    });
    let subsets_wanted = opts.wants(Method::Dominance) || opts.wants(Method::Kruskal);
    if subsets_wanted && est.kruskal.is_none() && est.dominance.is_none() {
        notes.push(Note::SubsetsSkipped { drivers: p, max_exact: shapley::MAX_EXACT });
    }

    let classes = model.outcome.classes();
    if opts.wants(Method::Logit) && !classes.is_empty() && est.logits.is_empty() && data.rows {
        notes.push(Note::LogitsSkipped { classes: classes.iter().map(|c| c.name).collect() });
    }
    let mut pseudo_r2 = BTreeMap::new();
    for (class, fit) in &est.logits {
        match fit {
            Ok(f) => {
                for (d, or) in drivers.iter_mut().zip(&f.odds_ratio) {
                    d.odds_ratios.insert(format!("{class}_odds_ratio"), *or);
                }
                pseudo_r2.insert(format!("{class}_pseudo_r2"), f.pseudo_r2);
                rows_used.insert("logit", data.n_used);
            }
            Err(why) => notes.push(Note::LogitFailed { class, why: *why }),
        }
    }

    let rank_by = rank(&mut drivers, opts.rank_by(), &mut notes);
    let order: Vec<usize> = drivers.iter().filter_map(|d| names.iter().position(|n| *n == d.name)).collect();
    let driver_correlations = order.iter().map(|&a| order.iter().map(|&b| prep.corr[[a, b]]).collect()).collect();
    let n = m.n as f64;
    DriverTable {
        target: model.outcome.column.clone(),
        outcome: model.outcome.kind,
        n_used: data.n_used,
        n_dropped: data.n_dropped,
        r2: est.r2,
        adj_r2: 1.0 - (1.0 - est.r2) * (n - 1.0) / (n - p as f64 - 1.0),
        missing: opts.missing,
        correlation_matrix: if prep.repaired { "repaired" } else { "as computed" },
        rows_used,
        rank_by,
        standard_errors,
        shapley_method,
        complete_dominance,
        pseudo_r2,
        uncertainty: None,
        method_notes: notes,
        drivers,
        driver_correlations,
    }
}

fn direction(corr: f64, beta: Option<f64>) -> &'static str {
    match (corr >= 0.0, beta.map(|b| b >= 0.0)) {
        (true, None | Some(true)) => "positive",
        (false, None | Some(false)) => "negative",
        _ => "mixed",
    }
}

/// Sorts by `key`, largest first, and numbers the ranks. A key these data could not give
/// (betas of collinear drivers, Spearman without complete rows) falls back to Shapley or
/// the correlation, with a note.
fn rank(drivers: &mut [Driver], key: RankBy, notes: &mut Vec<Note>) -> RankBy {
    let usable = |k: RankBy| drivers.iter().all(|d| d.field(k).is_some());
    let key = if usable(key) {
        key
    } else {
        let fallback = if usable(RankBy::Shapley) { RankBy::Shapley } else { RankBy::Corr };
        notes.push(Note::RankedInstead { asked: key, by: fallback });
        fallback
    };
    let k = |d: &Driver| d.field(key).unwrap_or(f64::NEG_INFINITY);
    drivers.sort_by(|a, b| k(b).total_cmp(&k(a)));
    for (i, d) in drivers.iter_mut().enumerate() {
        d.rank = i + 1;
    }
    key
}
