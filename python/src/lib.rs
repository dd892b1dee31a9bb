//! keydriver for Python: the library's pipeline behind four calls, frames crossing as
//! Arrow (pyo3-polars, eager frames only), settings crossing as the JSON of survey.toml's
//! keys. The Python package (`keydriver/__init__.py`) turns its arguments into those
//! settings; everything here is the same code the command line runs. The engine runs with
//! the interpreter released, and neither an error nor a panic reaches it as anything but
//! `KeydriverError`.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use polars::prelude::DataFrame;
use pyo3::create_exception;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3_polars::PyDataFrame;

use keydriver::analysis::whatif::WhatIf;
use keydriver::error::Error;
use keydriver::export;
use keydriver::load::{self, Responses};
use keydriver::{Settings, Survey};

create_exception!(
    _keydriver,
    KeydriverError,
    PyValueError,
    "Bad input or settings: the message names the file or frame, the column and the row."
);

/// Where the responses come from: frames in memory, or the files the settings name.
struct Input {
    ratings: Option<DataFrame>,
    outcomes: Option<DataFrame>,
}

impl Input {
    fn new(ratings: Option<PyDataFrame>, outcomes: Option<PyDataFrame>) -> Input {
        Input { ratings: ratings.map(|f| f.0), outcomes: outcomes.map(|f| f.0) }
    }

    fn responses(self, survey: &Survey) -> keydriver::Result<Responses> {
        match self.ratings {
            Some(ratings) => Responses::from_frames(survey, ratings, self.outcomes),
            None => load::load(survey),
        }
    }
}

/// survey.toml (if any) with the call's settings laid over it, resolved. A frame stands in
/// for the ratings file, so no file needs naming then.
fn survey(settings: &str, config: Option<&Path>, input: &Input, drivers: bool) -> keydriver::Result<Survey> {
    // serde's "at line 1 column 13" points into JSON the caller never saw.
    let over: Settings = serde_json::from_str(settings).map_err(|e| {
        let e = e.to_string();
        Error::Usage(format!("settings: {}", e.rsplit_once(" at line ").map_or(&e[..], |(what, _)| what)))
    })?;
    let base = config.map_or_else(|| Ok(Settings::default()), Settings::from_file)?;
    let settings = base.merge(over);
    if input.ratings.is_none() && settings.ratings.is_none() {
        return Err(Error::Usage(
            "no ratings given: pass a frame or a file as `ratings`, or a survey.toml that names one as `config`".into(),
        ));
    }
    settings.resolve(drivers)
}

/// Runs `work` with the interpreter released; an error or a panic comes back as
/// `KeydriverError` with the message the command line would print.
fn run<T: Send>(py: Python<'_>, work: impl FnOnce() -> keydriver::Result<T> + Send) -> PyResult<T> {
    match py.detach(|| catch_unwind(AssertUnwindSafe(work))) {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => Err(py_err(e)),
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown".into());
            Err(KeydriverError::new_err(format!("internal error (please report it): {what}")))
        }
    }
}

/// `KeydriverError` with the command line's message, in the words of a Python call where
/// it names a flag.
fn py_err(e: Error) -> PyErr {
    KeydriverError::new_err(match e {
        Error::NoJoinKey => "two frames or files need an id column to join them: pass id=\"COLUMN\"".into(),
        other => other.to_string(),
    })
}

fn frame<T: serde::Serialize>(rows: &[T]) -> keydriver::Result<PyDataFrame> {
    export::frame::render(rows).map(PyDataFrame)
}

/// The main outcome's driver table, one row per driver (the columns of drivers.csv).
#[pyfunction]
#[pyo3(signature = (settings, config=None, ratings=None, outcomes=None))]
fn drivers(
    py: Python<'_>,
    settings: &str,
    config: Option<PathBuf>,
    ratings: Option<PyDataFrame>,
    outcomes: Option<PyDataFrame>,
) -> PyResult<PyDataFrame> {
    let input = Input::new(ratings, outcomes);
    run(py, || {
        let survey = survey(settings, config.as_deref(), &input, true)?;
        let responses = input.responses(&survey)?;
        frame(&keydriver::analysis::analyse_pooled(&survey, &responses)?.drivers)
    })
}

/// The main outcome's headline overall and by group (the columns of nps.csv).
#[pyfunction]
#[pyo3(signature = (settings, config=None, ratings=None, outcomes=None))]
fn score(
    py: Python<'_>,
    settings: &str,
    config: Option<PathBuf>,
    ratings: Option<PyDataFrame>,
    outcomes: Option<PyDataFrame>,
) -> PyResult<PyDataFrame> {
    let input = Input::new(ratings, outcomes);
    run(py, || {
        let mut survey = survey(settings, config.as_deref(), &input, false)?;
        survey.drivers.clear();
        let responses = input.responses(&survey)?;
        frame(&keydriver::report::score_rows(&keydriver::analyse_scores(&survey, &responses)?))
    })
}

/// What a point is worth: the main outcome's change under each scenario (the columns of
/// whatif.csv).
#[pyfunction]
#[pyo3(signature = (settings, config=None, ratings=None, outcomes=None))]
fn whatif(
    py: Python<'_>,
    settings: &str,
    config: Option<PathBuf>,
    ratings: Option<PyDataFrame>,
    outcomes: Option<PyDataFrame>,
) -> PyResult<PyDataFrame> {
    let input = Input::new(ratings, outcomes);
    run(py, || {
        let survey = survey(settings, config.as_deref(), &input, true)?;
        let responses = input.responses(&survey)?;
        frame(&keydriver::analysis::analyse_whatif(&survey, &responses)?.scenarios)
    })
}

/// Everything one report says, for every outcome, pooled and by wave and segment.
#[pyfunction]
#[pyo3(signature = (settings, config=None, ratings=None, outcomes=None))]
fn analyse(
    py: Python<'_>,
    settings: &str,
    config: Option<PathBuf>,
    ratings: Option<PyDataFrame>,
    outcomes: Option<PyDataFrame>,
) -> PyResult<Analysis> {
    let input = Input::new(ratings, outcomes);
    run(py, || {
        let survey = survey(settings, config.as_deref(), &input, true)?;
        let responses = input.responses(&survey)?;
        let mut analysis = keydriver::analyse(&survey, &responses)?;
        analysis.config = config.map(|p| p.display().to_string());
        Ok(Analysis(analysis))
    })
}

/// A finished analysis: its tables as frames, its JSON, and its report on demand.
#[pyclass(frozen, module = "keydriver._keydriver")]
struct Analysis(keydriver::Analysis);

impl Analysis {
    fn main(&self) -> &keydriver::OutcomeAnalysis {
        &self.0.outcomes[0]
    }
}

#[pymethods]
impl Analysis {
    /// The main outcome's pooled driver table (empty when no model could be fitted:
    /// `notes` says why).
    fn drivers(&self) -> PyResult<PyDataFrame> {
        let rows = self.main().drivers.as_ref().map_or(&[][..], |t| &t.drivers);
        frame(rows).map_err(py_err)
    }

    fn scores(&self) -> PyResult<PyDataFrame> {
        frame(&keydriver::report::score_rows(&self.main().scores)).map_err(py_err)
    }

    fn waves(&self) -> PyResult<PyDataFrame> {
        frame(&self.main().groups.wave_rows()).map_err(py_err)
    }

    fn segments(&self) -> PyResult<PyDataFrame> {
        frame(&self.main().groups.segment_rows()).map_err(py_err)
    }

    /// The what-if's scenarios, or `None` when there is none (`notes` says why).
    fn whatif(&self) -> PyResult<Option<PyDataFrame>> {
        let w: Option<&WhatIf> = self.main().whatif.as_ref();
        w.map(|w| frame(&w.scenarios)).transpose().map_err(py_err)
    }

    /// Why a table is missing or what a reader of it should know, as sentences.
    fn notes(&self) -> Vec<String> {
        let o = self.main();
        let model = o.drivers.iter().flat_map(|t| t.method_notes.iter().map(|n| n.to_string()));
        let why = o.drivers_note.iter().map(|n| n.to_string()).chain(o.whatif_note.iter().map(|n| n.to_string()));
        why.chain(model).chain(o.groups.notes.iter().map(|n| n.to_string())).collect()
    }

    /// The main outcome's headline as the report leads with it, in the latest wave (all
    /// respondents without waves): its metric, the group, score, 95% interval and
    /// respondents.
    fn headline(&self) -> (String, String, f64, f64, f64, usize) {
        let o = self.main();
        let latest = self
            .0
            .survey
            .wave
            .as_deref()
            .and_then(|w| o.scores.by(w))
            .and_then(|rows| rows.iter().rev().find(|s| s.group != keydriver::load::MISSING_LABEL));
        let s = latest.unwrap_or(&o.scores.overall);
        (o.outcome.metric(), s.group.clone(), s.score, s.ci_low, s.ci_high, s.n)
    }

    /// What the report's name and run.json say: the latest wave, the seed, the version.
    fn name(&self) -> String {
        self.0.name.clone()
    }

    fn seed(&self) -> u64 {
        self.0.survey.seed
    }

    fn version(&self) -> String {
        self.0.version.clone()
    }

    /// The whole analysis as JSON (every outcome, wave and segment).
    fn json(&self) -> String {
        export::json::render(&self.0)
    }

    /// Writes the report folder under `out` (as `keydriver report --out`), atomically:
    /// an existing report of the same name is kept unless `force`.
    #[pyo3(signature = (out, force=false, scale=1))]
    fn write_report(&self, py: Python<'_>, out: PathBuf, force: bool, scale: u32) -> PyResult<PathBuf> {
        if !(1..=4).contains(&scale) {
            return Err(KeydriverError::new_err(format!("scale {scale}: give 1 to 4")));
        }
        let settings = keydriver::report::Settings { force, scale, ..Default::default() };
        run(py, || keydriver::report::write(&self.0, &out, &settings))
    }
}

/// The frame's shape once it has crossed into Rust, and nothing else: what the crossing
/// costs, for the benchmark and the test that a frame arrives whole.
#[pyfunction]
fn _frame_shape(frame: PyDataFrame) -> (usize, usize) {
    (frame.0.height(), frame.0.width())
}

/// Panics inside the guard every call runs in, for the test that a panic comes back as
/// `KeydriverError` and leaves the interpreter running.
#[pyfunction]
fn _panic_in_guard(py: Python<'_>) -> PyResult<()> {
    run(py, || -> keydriver::Result<()> { panic!("a panic inside the engine") })
}

#[pymodule]
fn _keydriver(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("KeydriverError", m.py().get_type::<KeydriverError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<Analysis>()?;
    m.add_function(wrap_pyfunction!(drivers, m)?)?;
    m.add_function(wrap_pyfunction!(score, m)?)?;
    m.add_function(wrap_pyfunction!(whatif, m)?)?;
    m.add_function(wrap_pyfunction!(analyse, m)?)?;
    m.add_function(wrap_pyfunction!(_panic_in_guard, m)?)?;
    m.add_function(wrap_pyfunction!(_frame_shape, m)?)?;
    Ok(())
}
