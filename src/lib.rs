//! keydriver: key-driver analysis of customer surveys.
//!
//! Data flows one way, each layer importing only from the ones before it:
//! [`error`] → [`schema`] (what the columns mean) → [`stats`] (moments) → [`load`] (read,
//! validate, join) → [`engine`] (the driver statistics) → [`headline`] (NPS, % satisfied,
//! …) → [`warehouse`] (moments files, SQL) → [`analysis`] (the one pipeline) → [`report`] /
//! [`export`] (what the analyst reads). The command-line tool in `main.rs` is a thin layer
//! over [`analyse`].
//!
//! As a library: resolve [`Settings`] into a [`Survey`], get its [`Responses`] from files
//! ([`load::load`]) or from polars frames ([`Responses::from_frames`]), run [`analyse`],
//! and, if a folder is wanted, [`report::write`] it. `examples/in_memory.rs` does it with
//! no file read and no folder written; the Python package (`python/`) is the same calls,
//! its tables turned into polars frames by [`export::frame`].

pub mod analysis;
pub mod draft;
pub mod engine;
pub mod error;
pub mod example;
pub mod export;
pub mod headline;
pub mod load;
pub mod report;
pub mod schema;
pub mod stats;
pub mod warehouse;

pub use analysis::{analyse, analyse_drivers, analyse_scores, moments, streams, Analysis, OutcomeAnalysis};
pub use error::{Error, Result};
pub use load::Responses;
pub use schema::settings::{Settings, Survey};
