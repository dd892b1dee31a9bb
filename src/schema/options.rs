//! What the engine is asked to do: the methods, the handling of gaps, the seed and the
//! bootstrap, checked once; and how it tells a listener of its progress.

use super::choices::{Method, Missing, NonPd, RankBy};
use super::settings::WeightsAre;

#[derive(Debug, Clone)]
pub struct Options {
    pub methods: Vec<Method>,
    /// Default: Shapley, or the correlation when Shapley is not run.
    pub rank_by: Option<RankBy>,
    pub missing: Missing,
    pub non_pd: NonPd,
    /// Sample orderings for Shapley even when exact enumeration is possible.
    pub approx: bool,
    pub permutations: usize,
    /// Stop sampling orderings once every driver's Monte-Carlo SE is at most this.
    pub tolerance: Option<f64>,
    pub seed: u64,
    /// Bootstrap resamples for intervals and rank stability (0: none).
    pub bootstrap: usize,
    /// How survey weights enter the standard errors.
    pub weights_are: WeightsAre,
    /// Told of every bootstrap resample; nothing unless the caller (the CLI's progress
    /// bar) listens.
    pub progress: Progress,
}

/// A step of the bootstrap, for a progress display.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tick {
    /// This many more resamples are to be drawn.
    More(u64),
    /// One resample is done.
    Done,
}

/// Whom the engine tells of its progress: no one by default. The engine has no idea how
/// (or whether) progress is shown.
#[derive(Clone, Default)]
pub struct Progress(Option<std::sync::Arc<dyn Fn(Tick) + Send + Sync>>);

impl Progress {
    pub fn new(listener: impl Fn(Tick) + Send + Sync + 'static) -> Progress {
        Progress(Some(std::sync::Arc::new(listener)))
    }

    pub fn tell(&self, tick: Tick) {
        if let Some(listener) = &self.0 {
            listener(tick);
        }
    }
}

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() { "Progress(listened)" } else { "Progress(none)" })
    }
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
            tolerance: None,
            seed: crate::schema::settings::DEFAULT_SEED,
            bootstrap: 0,
            weights_are: WeightsAre::Sampling,
            progress: Progress::default(),
        }
    }
}

impl Options {
    pub fn wants(&self, m: Method) -> bool {
        self.methods.contains(&Method::All) || self.methods.contains(&m)
    }

    /// The methods asked for that need the rows ([`Method::needs_rows`]).
    pub fn needing_rows(&self) -> impl Iterator<Item = Method> + '_ {
        Method::EACH.into_iter().filter(|&m| m.needs_rows() && self.wants(m))
    }

    /// The ranking key: asked for, or Shapley when run, or the correlation.
    pub fn rank_by(&self) -> RankBy {
        self.rank_by.unwrap_or(if self.wants(Method::Shapley) { RankBy::Shapley } else { RankBy::Corr })
    }

    /// A `--rank-by` whose method is not run is a usage error, caught before any data is read.
    pub fn check(&self) -> Result<(), String> {
        let key = self.rank_by();
        if key.method().is_some_and(|m| !self.wants(m)) {
            return Err(format!(
                "--rank-by {}: its method is not run; add it to --method or rank by another field",
                key.name()
            ));
        }
        Ok(())
    }
}
