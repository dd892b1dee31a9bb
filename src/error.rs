//! One error type for the whole pipeline. Every variant renders as a single line that
//! says what is wrong, where (file, column, row) and, where possible, what to do.
//! `main.rs` maps the variant to the exit code documented in the README.

use std::path::PathBuf;

/// Exit codes, documented in the README: scheduled jobs branch on them.
pub mod exit {
    pub const OK: i32 = 0;
    /// The input data is wrong or cannot support the model.
    pub const DATA: i32 = 1;
    /// The command line or survey.toml is wrong.
    pub const USAGE: i32 = 2;
    /// The output could not be written (or would overwrite a report without `--force`).
    pub const OUTPUT: i32 = 3;
    /// Interrupted (Ctrl-C); nothing was written.
    pub const INTERRUPTED: i32 = 130;
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{file}: cannot read: {reason}")]
    Unreadable { file: PathBuf, reason: String },

    #[error("{file}: {reason}")]
    BadFile { file: PathBuf, reason: String },

    #[error("{file}: no column \"{column}\" ({role}){hint}")]
    UnknownColumn { file: PathBuf, column: String, role: &'static str, hint: String },

    #[error("{file}: column \"{column}\", row {row}: {reason}")]
    BadValue {
        file: PathBuf,
        column: String,
        /// 1-based data row (the header is not counted).
        row: usize,
        reason: String,
    },

    #[error("{file}: column \"{column}\": {reason}")]
    BadColumn { file: PathBuf, column: String, reason: String },

    #[error("{0}")]
    Data(String),

    /// No ratings file was named (a library caller with frames uses `Responses::from_frames`).
    #[error("no ratings given: set `ratings` in survey.toml or pass --data FILE")]
    NoData,

    #[error("two input files need an id column to join them: set `id` in survey.toml or pass --id COL")]
    NoJoinKey,

    #[error(transparent)]
    Model(#[from] ModelError),

    #[error("{file}: {reason}")]
    Config { file: PathBuf, reason: String },

    #[error("{0}")]
    Usage(String),

    #[error("{path}: {reason}")]
    Output { path: PathBuf, reason: String },

    #[error("interrupted: nothing was written")]
    Interrupted,
}

impl Error {
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Unreadable { .. }
            | Error::BadFile { .. }
            | Error::UnknownColumn { .. }
            | Error::BadValue { .. }
            | Error::BadColumn { .. }
            | Error::Data(_)
            | Error::Model(_) => exit::DATA,
            Error::Config { .. } | Error::Usage(_) | Error::NoData | Error::NoJoinKey => exit::USAGE,
            Error::Output { .. } => exit::OUTPUT,
            Error::Interrupted => exit::INTERRUPTED,
        }
    }

    pub fn output(path: impl Into<PathBuf>, e: impl std::fmt::Display) -> Self {
        Error::Output { path: path.into(), reason: e.to_string() }
    }
}

/// Why a group of rows cannot support a driver model.
#[derive(Debug, Clone, PartialEq, thiserror::Error, serde::Serialize)]
#[serde(tag = "error", rename_all = "snake_case")]
pub enum ModelError {
    #[error("only {n} {kind} rows for {p} drivers: a model needs at least {need} (p + 2); add data or drop drivers", need = p + 2)]
    TooFewRows { n: usize, p: usize, kind: &'static str },
    #[error("the {rows} rows in the model all have weight 0: there is nothing to estimate")]
    ZeroWeight { rows: usize },
    #[error("every respondent in the model gave the same {target} score: there is nothing to explain")]
    ConstantTarget { target: String },
    #[error("every driver is constant in the rows used ({drivers})")]
    AllDriversConstant { drivers: String },
    #[error("the pairwise correlation matrix is not positive definite")]
    NotPositiveDefinite,
}

pub type Result<T> = std::result::Result<T, Error>;
