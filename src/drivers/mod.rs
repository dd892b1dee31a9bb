//! The driver engine: from the survey's responses to one table with a row per driver and
//! a field per method. Each method lives in its own module and returns plain numbers from
//! the correlation matrix (or, for Spearman and the logits, the complete rows); this
//! module checks the data can support a model, runs the methods asked for and ranks.

pub mod corr;
pub mod dominance;
pub mod kruskal;
pub mod logit;
pub mod ols;
pub mod relweights;
pub mod shapley;
pub mod subsets;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::load::{GappyColumns, ModelData, Responses};
use crate::moments::{self, Moments, PD_TOL};
use crate::nps::Category;
use crate::spec::{DriverSpec, Survey};

/// `--method`: which methods to run (correlations and R² always are).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Method {
    All,
    Shapley,
    Relweights,
    Dominance,
    Ols,
    Corr,
    Logit,
}

/// `--missing`: how rows with gaps enter the correlation matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Missing {
    /// Only rows with the target and every driver.
    Listwise,
    /// Each correlation from every row that has both variables.
    Pairwise,
}

/// `--non-pd`: what to do with a pairwise matrix that is not positive definite.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum NonPd {
    /// Replace it by the nearest correlation matrix, with a warning.
    Repair,
    /// Stop with an error.
    Refuse,
}

#[derive(Debug, Clone)]
pub struct Options {
    pub methods: Vec<Method>,
    /// Field to rank by; default `shapley`, or `corr` when Shapley is not run.
    pub rank_by: Option<String>,
    pub missing: Missing,
    pub non_pd: NonPd,
    /// Sample orderings for Shapley even when exact enumeration is possible.
    pub approx: bool,
    pub permutations: usize,
    pub seed: u64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            methods: vec![Method::All],
            rank_by: None,
            missing: Missing::Listwise,
            non_pd: NonPd::Repair,
            approx: false,
            permutations: 10_000,
            seed: crate::spec::DEFAULT_SEED,
        }
    }
}

impl Options {
    fn wants(&self, m: Method) -> bool {
        self.methods.contains(&Method::All) || self.methods.contains(&m)
    }
}

/// One driver's results. Field names are the `drivers --format json` contract: later
/// versions add fields, never rename these. Methods not run are left out.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Driver {
    pub name: String,
    pub label: String,
    /// 1 = most important.
    pub rank: usize,
    /// Pearson correlation with the target.
    pub corr: f64,
    /// "positive", "negative" or "mixed": the signs of the correlation and the beta. A
    /// driver whose higher rating goes with a lower score is flagged, not hidden in a share.
    pub direction: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spearman: Option<f64>,
    /// Shapley value / LMG in R² units; the drivers' values sum to `r2`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shapley: Option<f64>,
    /// Shapley value as a share of R² (sums to 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shapley_share: Option<f64>,
    /// Monte-Carlo SE of `shapley` when it was sampled rather than exact.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shapley_se: Option<f64>,
    /// Johnson's relative weight in R² units (sums to `r2`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub relative_weight: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kruskal: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub general_dominance: Option<f64>,
    /// Mean R² gain over subsets of 0, 1, …, p−1 other drivers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conditional_dominance: Option<Vec<f64>>,
    /// Standardized beta and its SE and two-sided p-value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub beta: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub beta_se: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub beta_p: Option<f64>,
    /// Unstandardized coefficient (score points per rating point) and its SE.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coef: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coef_se: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vif: Option<f64>,
    /// Odds ratio of being a promoter (9–10) per one-point rating increase.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub promoter_odds_ratio: Option<f64>,
    /// Odds ratio of being a detractor (0–6) per one-point rating increase.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detractor_odds_ratio: Option<f64>,
}

/// The driver analysis of one target.
#[derive(Debug, Clone, Serialize)]
pub struct DriverTable {
    pub target: String,
    /// Complete rows (target and every driver present).
    pub n_used: usize,
    pub n_dropped: usize,
    /// R² of the full linear model.
    pub r2: f64,
    pub adj_r2: f64,
    pub missing: Missing,
    /// "as computed", or "repaired" when a pairwise matrix was replaced by the nearest
    /// positive definite correlation matrix.
    pub correlation_matrix: &'static str,
    /// Rows behind each part: the correlation matrix (with pairwise deletion, the
    /// smallest pairwise count) and the row-based methods.
    pub rows_used: BTreeMap<&'static str, usize>,
    /// The field the ranking is by.
    pub rank_by: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shapley_method: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub complete_dominance: Option<Vec<[String; 2]>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub promoter_pseudo_r2: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detractor_pseudo_r2: Option<f64>,
    /// Warnings and explanations a reader of the numbers needs.
    pub method_notes: Vec<String>,
    /// Sorted by rank.
    pub drivers: Vec<Driver>,
}

impl DriverTable {
    /// Runs the methods in `opts` on the survey's responses.
    pub fn fit(survey: &Survey, responses: &Responses, opts: &Options) -> Result<DriverTable> {
        let pairwise = (opts.missing == Missing::Pairwise).then(|| responses.model_columns());
        Self::fit_data(&survey.target, &survey.drivers, &responses.model_data(), pairwise, opts)
    }

    /// The engine proper, on complete rows (and, for `--missing pairwise`, the columns
    /// with their gaps: drivers then target, and weights).
    pub fn fit_data(
        target: &str,
        specs: &[DriverSpec],
        data: &ModelData,
        pairwise: Option<GappyColumns>,
        opts: &Options,
    ) -> Result<DriverTable> {
        let p = specs.len();
        let names: Vec<&str> = specs.iter().map(|d| d.column.as_str()).collect();
        let list = |idx: &[usize]| idx.iter().map(|&j| names[j]).collect::<Vec<_>>().join(", ");
        let mut notes = Vec::new();

        let m = match &pairwise {
            None => Moments::from_data(data),
            Some((columns, w)) => moments::pairwise(columns, w.as_deref()),
        };
        if m.n < p + 2 {
            return Err(Error::Model(format!(
                "only {} {} rows for {p} drivers: a model needs at least {} (p + 2); add data or drop drivers",
                m.n,
                if pairwise.is_none() { "complete" } else { "pairwise-complete" },
                p + 2
            )));
        }
        let sd = m.sd();
        if sd[p] <= 0.0 {
            return Err(Error::Model(format!(
                "every respondent in the model gave the same {target} score: there is nothing to explain"
            )));
        }
        let constant: Vec<usize> = (0..p).filter(|&j| sd[j] <= 0.0).collect();
        if constant.len() == p {
            return Err(Error::Model(format!("every driver is constant in the rows used ({})", list(&constant))));
        }
        if !constant.is_empty() {
            notes.push(format!("constant in the rows used, so importance 0: {}", list(&constant)));
        }

        let mut corr = m.corr();
        let mut matrix = "as computed";
        if pairwise.is_some() && moments::min_eigenvalue(&corr) <= PD_TOL {
            if opts.non_pd == NonPd::Refuse {
                return Err(Error::Model(
                    "the pairwise correlation matrix is not positive definite: use --missing listwise, or --non-pd repair".into(),
                ));
            }
            corr = moments::nearest_correlation(&corr);
            matrix = "repaired";
            notes.push("the pairwise correlation matrix was not positive definite and was replaced by the nearest correlation matrix (Higham 2002)".into());
        }
        let redundant: Vec<usize> =
            subsets::redundant(&corr).into_iter().filter(|j| !constant.contains(j)).collect();
        if !redundant.is_empty() {
            notes.push(format!(
                "perfectly collinear: {} duplicate(s) a combination of other drivers; betas, SEs, VIFs and logits are not identified and left out, and the relative-importance methods share importance among the collinear drivers",
                list(&redundant)
            ));
        }

        let all: Vec<usize> = (0..p).collect();
        let r2 = subsets::subset_r2(&corr, &all);
        let ols = if redundant.is_empty() { ols::Ols::fit(&m, &corr, r2) } else { None };
        let adj_r2 = 1.0 - (1.0 - r2) * (m.n as f64 - 1.0) / (m.n as f64 - p as f64 - 1.0);
        let pearson = corr::pearson(&corr);
        let mut rows_used = BTreeMap::from([("correlation_matrix", m.n)]);

        let mut drivers: Vec<Driver> = specs
            .iter()
            .enumerate()
            .map(|(j, d)| Driver {
                name: d.column.clone(),
                label: d.label().to_string(),
                corr: pearson[j],
                direction: direction(pearson[j], ols.as_ref().map(|o| o.beta[j])),
                ..Default::default()
            })
            .collect();

        // Spearman and the logits need the complete rows themselves, which pairwise
        // deletion may leave too few of.
        let rows_ok = data.n_used >= p + 2;
        if opts.wants(Method::Corr) {
            if rows_ok {
                for (d, s) in drivers.iter_mut().zip(corr::spearman(data)) {
                    d.spearman = Some(s);
                }
                rows_used.insert("spearman", data.n_used);
            } else {
                notes.push(format!("Spearman correlations skipped: only {} complete rows", data.n_used));
            }
        }
        if opts.wants(Method::Ols) {
            if let Some(o) = &ols {
                for (j, d) in drivers.iter_mut().enumerate() {
                    d.beta = Some(o.beta[j]);
                    d.beta_se = Some(o.beta_se[j]);
                    d.beta_p = Some(o.beta_p[j]);
                    d.coef = Some(o.coef[j]);
                    d.coef_se = Some(o.coef_se[j]);
                    d.vif = Some(o.vif[j]);
                }
            }
        }
        if opts.wants(Method::Relweights) {
            for (d, w) in drivers.iter_mut().zip(relweights::relative_weights(&corr)?) {
                d.relative_weight = Some(w);
            }
        }

        let exact = p <= shapley::MAX_EXACT && !opts.approx;
        let needs_subsets = opts.wants(Method::Shapley) || opts.wants(Method::Dominance);
        let table = (exact && needs_subsets).then(|| subsets::SubsetTable::exact(&corr));
        let gains = table.as_ref().map(subsets::SubsetTable::gains);
        let mut shapley_method = None;
        if opts.wants(Method::Shapley) {
            let s = match &gains {
                Some(g) => shapley::Shapley::exact(g),
                None => shapley::Shapley::sampled(&corr, opts.permutations, opts.seed),
            };
            shapley_method = Some(match s.permutations {
                0 => format!("exact, all {} subsets", 1u64 << p),
                k => format!("sampled, {k} random orderings (seed {}); see shapley_se", opts.seed),
            });
            let total: f64 = s.values.iter().sum();
            for (j, d) in drivers.iter_mut().enumerate() {
                d.shapley = Some(s.values[j]);
                d.shapley_share = Some(if total > 0.0 { s.values[j] / total } else { 0.0 });
                d.shapley_se = s.se.as_ref().map(|se| se[j]);
            }
        }
        let mut complete_dominance = None;
        match (&table, &gains) {
            (Some(t), Some(g)) => {
                for (d, k) in drivers.iter_mut().zip(kruskal::kruskal(g)) {
                    d.kruskal = Some(k);
                }
                if opts.wants(Method::Dominance) {
                    let dom = dominance::Dominance::fit(t, g);
                    for (j, d) in drivers.iter_mut().enumerate() {
                        d.general_dominance = Some(dom.general[j]);
                        d.conditional_dominance = Some(dom.conditional[j].clone());
                    }
                    complete_dominance =
                        Some(dom.complete.iter().map(|&(a, b)| [names[a].to_string(), names[b].to_string()]).collect());
                }
            }
            _ if needs_subsets => notes.push(format!(
                "dominance analysis and Kruskal's measure need all 2^p subsets and were skipped ({p} drivers; exact up to {})",
                shapley::MAX_EXACT
            )),
            _ => {}
        }

        let (mut promoter_pseudo_r2, mut detractor_pseudo_r2) = (None, None);
        if opts.wants(Method::Logit) {
            if !redundant.is_empty() || !rows_ok {
                notes.push("promoter/detractor logits skipped: collinear drivers or too few complete rows".into());
            } else {
                rows_used.insert("logit", data.n_used);
                let [promoter, detractor] = [(Category::Promoter, "promoter"), (Category::Detractor, "detractor")]
                    .map(|(class, name)| {
                        logit::fit(data, |s| Category::of(s) == class)
                            .map_err(|why| notes.push(format!("{name} logit not fitted: {why}")))
                            .ok()
                    });
                for (j, d) in drivers.iter_mut().enumerate() {
                    d.promoter_odds_ratio = promoter.as_ref().map(|f| f.odds_ratio[j]);
                    d.detractor_odds_ratio = detractor.as_ref().map(|f| f.odds_ratio[j]);
                }
                promoter_pseudo_r2 = promoter.map(|f| f.pseudo_r2);
                detractor_pseudo_r2 = detractor.map(|f| f.pseudo_r2);
            }
        }

        let rank_by = opts.rank_by.clone().unwrap_or_else(|| {
            if opts.wants(Method::Shapley) { "shapley" } else { "corr" }.to_string()
        });
        rank(&mut drivers, &rank_by)?;
        Ok(DriverTable {
            target: target.to_string(),
            n_used: data.n_used,
            n_dropped: data.n_dropped,
            r2,
            adj_r2,
            missing: if pairwise.is_some() { Missing::Pairwise } else { Missing::Listwise },
            correlation_matrix: matrix,
            rows_used,
            rank_by,
            shapley_method,
            complete_dominance,
            promoter_pseudo_r2,
            detractor_pseudo_r2,
            method_notes: notes,
            drivers,
        })
    }
}

fn direction(corr: f64, beta: Option<f64>) -> &'static str {
    match (corr >= 0.0, beta.map(|b| b >= 0.0)) {
        (true, None | Some(true)) => "positive",
        (false, None | Some(false)) => "negative",
        _ => "mixed",
    }
}

/// Sorts by the named numeric field, largest first, and numbers the ranks.
fn rank(drivers: &mut [Driver], field: &str) -> Result<()> {
    let keys: Vec<f64> = drivers
        .iter()
        .map(|d| serde_json::to_value(d).ok().and_then(|v| v.get(field).and_then(|x| x.as_f64())))
        .collect::<Option<_>>()
        .ok_or_else(|| {
            Error::Usage(format!(
                "--rank-by {field}: no such numeric field was computed; run its method (--method) or pick one of shapley, relative_weight, kruskal, beta, corr, spearman"
            ))
        })?;
    let mut order: Vec<usize> = (0..drivers.len()).collect();
    order.sort_by(|&a, &b| keys[b].total_cmp(&keys[a]));
    let sorted: Vec<Driver> = order.iter().map(|&i| drivers[i].clone()).collect();
    for (i, mut d) in sorted.into_iter().enumerate() {
        d.rank = i + 1;
        drivers[i] = d;
    }
    Ok(())
}
