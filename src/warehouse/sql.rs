//! `keydriver sql`: one query that computes a moments file's groups inside a warehouse,
//! in each engine's own words (quoting, types, modulo, the replicate numbers).

use crate::error::{Error, Result};
use crate::load::MISSING_LABEL;
use crate::schema::outcome::{Outcome, OutcomeKind};
use crate::schema::settings::Survey;
use crate::stats::replicates;
use crate::warehouse::moments_file::{variables, FORMAT, VERSION};

/// SQL engines `keydriver sql` writes for. They differ in how names and text are quoted,
/// what the number and text types are called, and how MD5 and modulo are spelled; the
/// query is otherwise plain SQL (`GROUP BY` twice, no grouping sets, which SQLite lacks).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum SqlDialect {
    Duckdb,
    Postgres,
    Sqlite,
    Bigquery,
    Snowflake,
    Spark,
}

impl SqlDialect {
    /// Whether string literals read `\` as an escape (Spark, BigQuery, Snowflake) rather
    /// than as itself (the SQL standard's literals: PostgreSQL, DuckDB, SQLite).
    fn backslash_escapes(self) -> bool {
        matches!(self, SqlDialect::Spark | SqlDialect::Bigquery | SqlDialect::Snowflake)
    }

    /// A column name as a quoted identifier, whatever it holds.
    fn quote(self, name: &str) -> String {
        match self {
            // BigQuery's quoted identifiers take the escapes of its string literals.
            SqlDialect::Bigquery => format!("`{}`", escaped(name, '`')),
            SqlDialect::Spark => format!("`{}`", name.replace('`', "``")),
            _ => format!("\"{}\"", name.replace('"', "\"\"")),
        }
    }

    /// Text as a string literal, whatever it holds: no quote, backslash or line break in it
    /// can end the literal early.
    fn literal(self, text: &str) -> String {
        if self.backslash_escapes() {
            format!("'{}'", escaped(text, '\''))
        } else {
            format!("'{}'", text.replace('\'', "''"))
        }
    }

    fn float(self) -> &'static str {
        match self {
            SqlDialect::Postgres => "DOUBLE PRECISION",
            SqlDialect::Sqlite => "REAL",
            SqlDialect::Bigquery => "FLOAT64",
            _ => "DOUBLE",
        }
    }

    /// The 64-bit integer type: every step of the replicate hash needs 63 bits.
    fn bigint(self) -> &'static str {
        match self {
            SqlDialect::Bigquery => "INT64",
            SqlDialect::Sqlite => "INTEGER",
            _ => "BIGINT",
        }
    }

    /// A table `reps_(replicate_)` of 0…b as 64-bit integers, and whether it needs
    /// `WITH RECURSIVE`.
    fn replicates(self, b: usize) -> (bool, String) {
        let int = self.bigint();
        match self {
            SqlDialect::Bigquery => {
                (false, format!("reps_ AS (\n  SELECT replicate_ FROM UNNEST(GENERATE_ARRAY(0, {b})) AS replicate_\n)"))
            }
            SqlDialect::Spark => (
                false,
                format!("reps_ AS (\n  SELECT explode(sequence(CAST(0 AS {int}), CAST({b} AS {int}))) AS replicate_\n)"),
            ),
            _ => (
                true,
                format!(
                    "reps_(replicate_) AS (\n  SELECT CAST(0 AS {int})\n  UNION ALL\n  SELECT replicate_ + 1 FROM reps_ WHERE replicate_ < {b}\n)"
                ),
            ),
        }
    }

    /// `a mod b` for non-negative integers.
    pub(crate) fn modulo(self, a: &str, b: &str) -> String {
        match self {
            SqlDialect::Bigquery => format!("MOD({a}, {b})"),
            _ => format!("(({a}) % {b})"),
        }
    }

    fn text(self) -> &'static str {
        match self {
            SqlDialect::Sqlite => "TEXT",
            SqlDialect::Bigquery | SqlDialect::Spark => "STRING",
            _ => "VARCHAR",
        }
    }

    /// What keeps a stage's columns computed once per row, streamed: SQLite and PostgreSQL
    /// would otherwise inline a stage read once into the aggregate above it and compute
    /// the replicate weight again inside every sum (`OFFSET 0` stops that, and streams);
    /// the other engines compute a shared expression once.
    fn fence(self) -> &'static str {
        match self {
            SqlDialect::Sqlite => "\n  LIMIT -1 OFFSET 0",
            SqlDialect::Postgres => "\n  OFFSET 0",
            _ => "",
        }
    }

    /// The MD5 of `text` as 32 lowercase hex digits. SQLite has none of its own: the
    /// caller registers `md5` (the README shows how).
    fn md5_hex(self, text: &str) -> String {
        match self {
            SqlDialect::Bigquery => format!("TO_HEX(MD5({text}))"),
            _ => format!("LOWER(MD5({text}))"),
        }
    }

    /// Where `needle` (one character) is in `hay`, from 1.
    fn position(self, needle: &str, hay: &str) -> String {
        match self {
            SqlDialect::Sqlite => format!("INSTR({hay}, {needle})"),
            SqlDialect::Bigquery => format!("STRPOS({hay}, {needle})"),
            _ => format!("POSITION({needle} IN {hay})"),
        }
    }

    /// [`replicates::key`] of the hex digest in column `hex`: its first eight digits as a
    /// number, digit by digit in 64-bit arithmetic (no engine-specific hex parsing).
    fn key(self, hex: &str) -> String {
        (0..8)
            .map(|i| {
                let digit = self.position(&format!("SUBSTR({hex}, {}, 1)", i + 1), "'0123456789abcdef'");
                format!("CAST({digit} - 1 AS {}) * {}", self.bigint(), 1u64 << (4 * (7 - i)))
            })
            .collect::<Vec<_>>()
            .join(" + ")
    }
}

/// `text` with backslash escapes: `\\`, the quote, and line breaks as `\n`, `\r`.
fn escaped(text: &str, quote: char) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// One query computing [`crate::warehouse::moments_file::MomentsFile`]'s groups for `outcome` inside the warehouse, from
/// `table` (one row per respondent, ratings and outcome side by side). Missing codes
/// become NULL; a respondent counts in `n` only with the outcome and every driver
/// answered, and not at all with a weight of zero. Range checks on the ratings are not
/// done here: run the raw-row tool once on an extract to validate a new source.
///
/// With `replicates` B > 0, each group also gets B Poisson bootstrap replicates
/// ([`crate::stats::replicates`], seeded by `seed`), drawn from each respondent's id
/// (the MD5 of it as text): the query then needs the survey's id column.
pub fn sql(
    survey: &Survey,
    outcome: &Outcome,
    dialect: SqlDialect,
    table: &str,
    replicates: usize,
    seed: u64,
) -> Result<String> {
    let q = |name: &str| dialect.quote(name);
    let float = dialect.float();
    if outcome.kind == OutcomeKind::Binary || outcome.values.is_some() {
        return Err(Error::Usage(format!(
            "keydriver sql reads the outcome as numbers: code \"{}\" as numbers in a view (binary: 1 for positive, 0 otherwise) and run it as --outcome numeric or csat",
            outcome.column
        )));
    }
    if let Some(d) = survey.drivers.iter().find(|d| d.values.is_some()) {
        return Err(Error::Usage(format!(
            "keydriver sql reads ratings as numbers: code driver \"{}\"'s text answers as numbers in a view",
            d.column
        )));
    }
    // Each role's own missing codes: the drivers' and the outcome's.
    let list = |codes: &[f64]| codes.iter().map(|c| c.to_string()).collect::<Vec<_>>().join(", ");
    let (driver_codes, outcome_codes) = (list(&survey.missing_codes), list(&outcome.missing_codes));
    let value = |col: &str| {
        let v = format!("CAST({} AS {float})", q(col));
        let codes = if col == outcome.column { &outcome_codes } else { &driver_codes };
        if codes.is_empty() {
            v
        } else {
            format!("CASE WHEN {v} IN ({codes}) THEN NULL ELSE {v} END")
        }
    };
    let vars = variables(survey, outcome);
    let k = vars.len();
    let by: Vec<&String> = survey.wave.iter().chain(&survey.segments).collect();
    let text = dialect.text();
    // Names from the data appear only as quoted identifiers and escaped literals; the
    // query's own columns have fixed names (g0_, v0, …).
    let mut select: Vec<String> = by
        .iter()
        .enumerate()
        .map(|(i, col)| {
            format!("    COALESCE(CAST({} AS {text}), {}) AS g{i}_", q(col), dialect.literal(MISSING_LABEL))
        })
        .collect();
    select.push(format!(
        "    {} AS w_",
        survey.weight.as_ref().map_or(format!("CAST(1 AS {float})"), |w| format!("CAST({} AS {float})", q(w)))
    ));
    for (j, col) in vars.iter().enumerate() {
        select.push(format!("    {} AS v{j}", value(col)));
    }
    if replicates > 0 {
        let id = survey.id.as_deref().ok_or_else(|| {
            Error::Usage("--replicates draws each respondent's weights from its id: name the id column (--id)".into())
        })?;
        select.push(format!("    {} AS h_", dialect.md5_hex(&format!("CAST({} AS {text})", q(id)))));
    }
    let complete = (0..k).map(|j| format!("v{j} IS NOT NULL")).collect::<Vec<_>>().join(" AND ");
    // m_: the row's weight in its replicate (1 in the full sample); wm_ = w_ · m_. Each
    // sum as (its column, the summed expression).
    let mut sums: Vec<(String, String)> =
        [("rows_", "m_"), ("n_", "c_ * m_"), ("sw", "c_ * wm_"), ("sw2", "c_ * wm_ * w_")]
            .map(|(n, t)| (n.into(), t.into()))
            .into();
    sums.extend((0..k).map(|j| (format!("s_{j}"), format!("c_ * wm_ * x{j}"))));
    for j in 0..k {
        sums.extend((j..k).map(|l| (format!("ss_{j}_{l}"), format!("c_ * wm_ * x{j} * x{l}"))));
    }
    // The headline's sums: every answer of the outcome, complete row or not.
    let (y, b) = (format!("v{}", k - 1), "b_");
    let score_sums = [
        ("q_n", "a_ * m_"),
        ("q_sw", "a_ * wm_"),
        ("q_sw2", "a_ * wm_ * w_"),
        ("q_s1", "a_ * wm_ * y_"),
        ("q_s2", "a_ * wm_ * y_ * y_"),
        ("q_w2s1", "a_ * wm_ * w_ * y_"),
        ("q_w2s2", "a_ * wm_ * w_ * y_ * y_"),
    ];
    sums.extend(score_sums.map(|(n, t)| (n.into(), t.into())));
    sums.extend((0..3).map(|i| (format!("q_b{i}_n"), format!("CASE WHEN {b} = {i} THEN a_ * m_ ELSE 0 END"))));
    sums.extend((0..3).map(|i| (format!("q_b{i}_w"), format!("CASE WHEN {b} = {i} THEN a_ * wm_ ELSE 0 END"))));
    sums.extend((0..k).map(|j| (format!("miss_{j}"), format!("CASE WHEN v{j} IS NULL THEN m_ ELSE 0 END"))));
    let code = match (outcome.kind, outcome.cuts()) {
        (OutcomeKind::Nps, Some((low, high))) => {
            format!("CASE WHEN {y} >= {high} THEN 100 WHEN {y} <= {low} THEN -100 ELSE 0 END")
        }
        (OutcomeKind::Csat, Some((_, high))) => format!("CASE WHEN {y} >= {high} THEN 100 ELSE 0 END"),
        _ => format!("COALESCE({y}, 0)"),
    };
    let band = match (outcome.band_names(), outcome.cuts()) {
        (Some(_), Some((low, high))) => format!("CASE WHEN {y} >= {high} THEN 2 WHEN {y} <= {low} THEN 0 ELSE 1 END"),
        _ => "-1".to_string(),
    };
    // Each row once per replicate into cells (one per combination of wave and segment
    // levels), streamed into one GROUP BY: every table is read once, so no engine holds
    // respondents × replicates rows. Each breakdown's groups (all respondents, the wave,
    // each segment) are then sums of the cells, a small second GROUP BY: every sum is
    // additive, and a row summed once rather than once per breakdown cuts the work by the
    // number of breakdowns.
    let breakdowns = (0..=by.len()).map(|i| format!("SELECT {i} AS by_i_")).collect::<Vec<_>>().join(" UNION ALL ");
    // `by_` and `group_` for each breakdown: 0 is all respondents, i + 1 the i-th column.
    let cases = |breakdown: &dyn Fn(usize, &str) -> String| {
        std::iter::once(format!("WHEN 0 THEN {}", dialect.literal("all")))
            .chain(by.iter().enumerate().map(|(i, col)| format!("WHEN {} THEN {}", i + 1, breakdown(i, col))))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let by_name = cases(&|_, col| dialect.literal(col));
    let by_group = cases(&|i, _| format!("g{i}_"));
    let mut stages = Vec::new();
    let mut from = "complete_".to_string();
    if replicates > 0 {
        let fence = dialect.fence();
        stages.push(format!("keyed_ AS (\n  SELECT *,\n    {} AS k_\n  FROM complete_{fence}\n)", dialect.key("h_")));
        // The respondents on the left of each CROSS JOIN: SQLite keeps the left table in
        // the outer loop, so the rows stream and the small table is the one held.
        stages.push("drawn_ AS (\n  SELECT keyed_.*, reps_.replicate_\n  FROM keyed_ CROSS JOIN reps_\n)".to_string());
        from = "drawn_".to_string();
        for (i, (name, expr)) in replicate_columns(dialect, "k_", "replicate_", seed).into_iter().enumerate() {
            stages.push(format!("hash{i}_ AS (\n  SELECT *, {expr} AS {name}\n  FROM {from}\n)"));
            from = format!("hash{i}_");
        }
        stages.push(format!("weighted_ AS (\n  SELECT *, w_ * m_ AS wm_\n  FROM {from}{fence}\n)"));
    } else {
        stages.push(format!("weighted_ AS (\n  SELECT *, 1 AS m_, w_ AS wm_\n  FROM {from}\n)"));
    }
    let rep_key = if replicates > 0 { ", replicate_" } else { "" };
    let cell_keys: Vec<String> =
        (0..by.len()).map(|i| format!("g{i}_")).chain((replicates > 0).then(|| "replicate_".to_string())).collect();
    let (cell_select, cell_group) = match cell_keys.is_empty() {
        true => (String::new(), String::new()),
        false => (format!("{},\n    ", cell_keys.join(", ")), format!("\n  GROUP BY {}", cell_keys.join(", "))),
    };
    stages.push(format!(
        "cells_ AS (\n  SELECT {cell_select}{}\n  FROM weighted_{cell_group}\n)",
        sums.iter().map(|(name, term)| format!("SUM({term}) AS {name}")).collect::<Vec<_>>().join(",\n    ")
    ));
    stages.push(format!(
        "grouped_ AS (\n  SELECT cells_.*,\n    CASE by_i_ {by_name} END AS by_,\n    CASE by_i_ {by_group} END AS group_\n  FROM cells_ CROSS JOIN bys_\n)"
    ));
    let (with, reps) = match (replicates, dialect.replicates(replicates)) {
        (0, _) => ("WITH", String::new()),
        (_, (recursive, cte)) => (if recursive { "WITH RECURSIVE" } else { "WITH" }, format!("{cte},\n")),
    };
    let mut zeroed: Vec<String> =
        (0..k).map(|j| format!("    CASE WHEN c_ = 1 THEN v{j} ELSE 0 END AS x{j}")).collect();
    zeroed.push(format!("    CASE WHEN {y} IS NOT NULL THEN 1 ELSE 0 END AS a_"));
    zeroed.push(format!("    {code} AS y_"));
    zeroed.push(format!("    {band} AS b_"));
    // The comments name no column: a name can hold a line break.
    Ok(format!(
        "-- keydriver {} moments (format {FORMAT} version {VERSION}): {} drivers and the outcome, {} breakdowns{}\n\
         -- Export the result as CSV with a header row and pass it to --from-moments.\n\
         {with} {reps}bys_ AS (\n  {breakdowns}\n),\n\
         base_ AS (\n  SELECT\n{}\n  FROM {table}\n),\n\
         flagged_ AS (\n  SELECT *, CASE WHEN {complete} THEN 1 ELSE 0 END AS c_\n  FROM base_\n  WHERE w_ > 0\n),\n\
         complete_ AS (\n  SELECT *,\n{}\n  FROM flagged_\n),\n\
         {}\n\
         SELECT by_, group_{rep_key},\n    {}\nFROM grouped_\nGROUP BY by_, group_{rep_key}\nORDER BY by_, group_{rep_key};\n",
        env!("CARGO_PKG_VERSION"),
        k - 1,
        1 + by.len(),
        if replicates > 0 {
            format!(", with {replicates} Poisson bootstrap replicates (seed {seed})")
        } else {
            String::new()
        },
        select.join(",\n"),
        zeroed.join(",\n"),
        stages.join(",\n"),
        sums.iter().map(|(name, _)| format!("SUM({name}) AS {name}")).collect::<Vec<_>>().join(",\n    "),
    ))
}

/// The same weight in SQL, as columns each computed from the ones before (so that no
/// expression repeats another): `(name, expression)` pairs over the columns `key` and
/// `replicate` (`replicate` 0 is the full sample, weight 1); the last column is the weight.
fn replicate_columns(dialect: SqlDialect, key: &str, replicate: &str, seed: u64) -> Vec<(&'static str, String)> {
    let m = |a: String| dialect.modulo(&a, &replicates::M.to_string());
    let s = seed % replicates::M;
    let x = m(key.to_string());
    let cases: Vec<String> =
        replicates::thresholds().iter().enumerate().map(|(k, t)| format!("WHEN h4_ < {t} THEN {k}")).collect();
    vec![
        ("h1_", m(format!("{x} * 48271 + {replicate} * 16807 + {s}"))),
        ("h2_", m(format!("h1_ * h1_ + {replicate}"))),
        ("h3_", m(format!("h2_ * 69621 + {x}"))),
        ("h4_", m(format!("h3_ * h3_ + {s}"))),
        ("m_", format!("CASE WHEN {replicate} = 0 THEN 1 {} ELSE 10 END", cases.join(" "))),
    ]
}
