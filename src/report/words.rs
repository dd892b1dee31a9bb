//! The English words of what the engine and the pipeline return as values: the notes on a
//! driver table, why a group has no ranking, why a comparison or a decomposition is
//! missing. The JSON files and the built-in template print these sentences; a team's
//! template can word any of them itself from its `kind` and numbers. Flag hints for the
//! command line are part of the English words.

use std::fmt;

use crate::analysis::change::ChangeFailure;
use crate::analysis::group::{Intervals, NoRanking};
use crate::analysis::groups::{GroupNote, GroupsNote};
use crate::analysis::whatif::NoWhatIf;
use crate::analysis::{CodedAway, NoModel};
use crate::engine::notes::{LogitFailure, Note, ResampleFailure};
use crate::engine::whatif;
use crate::engine::{Method, Missing, ShapleyMethod};

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            Note::EffortSigned => f.write_str("effort is better when lower, so correlations, betas and coefficients are signed by less effort: positive means a higher rating goes with less effort"),
            Note::Constant { drivers } => write!(f, "constant in the rows used, so importance 0: {}", drivers.join(", ")),
            Note::Repaired => f.write_str("the pairwise correlation matrix was not positive definite and was replaced by the nearest correlation matrix (Higham 2002)"),
            Note::Collinear { drivers } => write!(f, "perfectly collinear: {} duplicate(s) a combination of other drivers; betas, SEs, VIFs and logits are not identified and left out, and the relative-importance methods share importance among the collinear drivers", drivers.join(", ")),
            Note::SpearmanSkipped { rows } => write!(f, "Spearman correlations skipped: only {rows} complete rows"),
            Note::NeedsRows { methods } => {
                let names: Vec<&str> = methods
                    .iter()
                    .map(|m| match m {
                        Method::Corr => "Spearman correlations",
                        Method::Logit => "the logits",
                        _ => "other methods",
                    })
                    .collect();
                write!(f, "computed from moments: {} need the rows and were skipped", names.join(" and "))
            }
            Note::ModelBasedFromMoments => f.write_str("computed from moments: the betas' standard errors are model-based, as lm(weights = w)"),
            Note::ModelBasedWithGaps { missing } => write!(
                f,
                "design-based standard errors need complete rows: with {} the betas' SEs are model-based, as lm(weights = w)",
                if *missing == Missing::Em { "EM" } else { "pairwise deletion" }
            ),
            Note::RelweightsFailed => f.write_str("relative weights not computed: the eigen-decomposition of the driver correlations failed"),
            Note::SubsetsSkipped { drivers, max_exact } => write!(
                f,
                "dominance analysis and Kruskal's measure need all 2^p subsets and were skipped ({drivers} drivers; exact up to {max_exact})"
            ),
            Note::LogitsSkipped { classes } => {
                write!(f, "{} logits skipped: collinear drivers or too few complete rows", classes.join("/"))
            }
            Note::LogitFailed { class, why } => write!(f, "{} logit not fitted: {why}", class.replace('_', " ")),
            Note::RankedInstead { asked, by } => write!(
                f,
                "ranked by {} instead of {}: {} could not be computed on these data",
                by.name(),
                asked.name(),
                asked.name()
            ),
            Note::Replicates { count } => write!(f, "intervals from the sums' {count} Poisson bootstrap replicates (each respondent weighted by a Poisson(1) draw per replicate; Chamandy et al. 2012), not from resampled rows"),
            Note::SampledResamples { orderings } => write!(f, "each bootstrap resample estimates the Shapley values from at most {orderings} random orderings; their Monte-Carlo error makes the intervals slightly wider"),
            Note::ResamplesFailed { failed, of, example } => write!(
                f,
                "{failed} of {of} bootstrap resamples could not be fitted (e.g. {example}) and were left out of the intervals"
            ),
            Note::NoResampleFitted { of, example } => {
                write!(f, "no bootstrap intervals: none of the {of} resamples could be fitted (e.g. {example})")
            }
            Note::NothingToResample => f.write_str("no bootstrap: it resamples Shapley values and relative weights, and neither was run (--method)"),
            Note::ListwiseCost { dropped, of, worst } => {
                let worst: Vec<String> = worst.iter().map(|(l, n)| format!("{l} ({n})")).collect();
                write!(
                    f,
                    "listwise deletion left out {dropped} of {of} respondents ({:.0}%) for a skipped answer; the drivers skipped most: {}. --missing em estimates the model from every answer instead",
                    100.0 * *dropped as f64 / *of as f64,
                    if worst.is_empty() { "none (the outcome is what is missing)".to_string() } else { worst.join(", ") }
                )
            }
        }
    }
}

impl fmt::Display for LogitFailure {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(match self {
            LogitFailure::NoneInClass => "every complete row is outside the class",
            LogitFailure::AllInClass => "every complete row is in the class",
            LogitFailure::Separated => "the ratings separate the class perfectly: odds ratios are infinite",
            LogitFailure::SeparatedOrCollinear => "the ratings separate the class perfectly or are collinear",
            LogitFailure::NoConvergence => "logistic fit did not converge in 100 Newton steps (perfect separation?)",
        })
    }
}

impl fmt::Display for ResampleFailure {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            ResampleFailure::Model { error } => write!(f, "{error}"),
            ResampleFailure::Numerical => f.write_str("a numerical failure"),
        }
    }
}

impl fmt::Display for ShapleyMethod {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            ShapleyMethod::Exact { subsets } => write!(f, "exact, all {subsets} subsets"),
            ShapleyMethod::Sampled { orderings, seed, tolerance } => write!(
                f,
                "sampled, {orderings} random orderings (seed {seed}{}); see shapley_se",
                tolerance.map(|t| format!(", until every SE ≤ {t}")).unwrap_or_default()
            ),
        }
    }
}

impl fmt::Display for NoModel {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match &self.why {
            NoRanking::Model(e) => write!(f, "{e}")?,
            why => write!(f, "{why}")?,
        }
        match &self.coded_away {
            Some(c) => write!(f, "; {c}"),
            None => Ok(()),
        }
    }
}

impl fmt::Display for CodedAway {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let codes: Vec<String> = self.codes.iter().map(|c| c.to_string()).collect();
        write!(
            f,
            "the outcome's missing codes ({}) removed {} answers of \"{}\" (outcome_missing_codes / --outcome-missing-codes)",
            codes.join(", "),
            self.removed,
            self.column
        )
    }
}

impl fmt::Display for NoRanking {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            NoRanking::TooFew { n, min } => {
                write!(f, "only {n} complete responses, fewer than the {min} a ranking needs (min_group_n)")
            }
            NoRanking::NoValue => f.write_str("respondents without a value here"),
            NoRanking::Model(e) => write!(f, "no driver model: {e}"),
        }
    }
}

impl fmt::Display for GroupNote {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match &self.why {
            NoRanking::Model(_) => write!(f, "{}", self.why),
            why => write!(f, "{why}: {} only", self.metric),
        }
    }
}

impl fmt::Display for ChangeFailure {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            ChangeFailure::TooFew { from, to, drivers } => {
                write!(f, "too few complete responses ({from} and {to}) for {drivers} drivers")
            }
            ChangeFailure::Collinear => f.write_str("the pooled model's drivers are collinear or constant"),
            ChangeFailure::NeedsRows => f.write_str("the decomposition needs the rows"),
        }
    }
}

impl fmt::Display for GroupsNote {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            GroupsNote::NoShareShift { from, to, intervals } => write!(
                f,
                "no comparison of driver shares between {from} and {to}: {}",
                match intervals {
                    i if i.any() => "both waves need a ranking with bootstrap intervals",
                    Intervals::Bootstrap(_) => "it needs bootstrap intervals (--bootstrap N)",
                    Intervals::Replicates(_) => "it needs bootstrap intervals (make the sums with --replicates B)",
                }
            ),
            GroupsNote::NotDecomposed { metric, from, to, why } => {
                write!(f, "why {metric} moved between {from} and {to} is not decomposed: {why}")
            }
        }
    }
}

impl fmt::Display for NoWhatIf {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            NoWhatIf::TooFew { n, min } => {
                write!(f, "only {n} complete responses, fewer than the {min} its model needs")
            }
            NoWhatIf::Model(why) => why.fmt(f),
        }
    }
}

impl fmt::Display for whatif::Failure {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            whatif::Failure::NotForKind { model, kind } => write!(
                f,
                "the {} model does not apply to a {kind} outcome (logits: nps, csat, binary; ordinal: an answer scale; linear: any)",
                model.name()
            ),
            whatif::Failure::Model { class, why } => write!(f, "the {class} model could not be fitted: {why}"),
            whatif::Failure::Collinear => f.write_str("the drivers are collinear: least squares has no unique fit"),
        }
    }
}
