//! What the survey's columns mean: the settings (survey.toml and flags), the outcome
//! kinds and how their answers are scored, and waves in time order.

pub mod choices;
pub mod options;
pub mod outcome;
pub mod settings;
pub mod waves;
pub mod whatif;
