//! Each column's cells as the numbers or labels the model takes, checked one by one: a
//! rating or an outcome (its missing codes, its text answers), a binary outcome's classes,
//! a weight, a date read as its period. Every error names the file, the column and the row.

use super::*;

/// Dates → period labels (`2025Q1`, `2025-03`, `2025`); a value that is no date is an
/// error naming its row, blanks stay blank.
/// `day_first` settles slash dates (`None`: from these values, [`waves::slash_order`]).
pub(crate) fn wave_from_dates(
    table: &Table,
    column: &str,
    values: Vec<Option<String>>,
    kind: PeriodKind,
    day_first: Option<bool>,
) -> Result<Vec<Option<String>>> {
    let day_first = match day_first {
        Some(d) => d,
        None => {
            let texts: Vec<&str> = values.iter().flatten().map(String::as_str).collect();
            waves::slash_order(&texts).map_err(|reason| Error::BadColumn {
                file: table.path.clone(),
                column: column.to_string(),
                reason,
            })?
        }
    };
    values
        .into_iter()
        .enumerate()
        .map(|(i, v)| match v {
            None => Ok(None),
            Some(text) => match waves::parse_date(&text, day_first) {
                Some(date) => Ok(Some(Period::of_date(date, kind).label())),
                None => Err(table.value_error(
                    column,
                    i,
                    format!("\"{text}\" is not a date (expected e.g. 2025-03-15, 2025-03-15 10:22:01 or 15/03/2025)"),
                )),
            },
        })
        .collect()
}

/// Ratings: the drivers' missing codes become missing; anything else outside the scale is
/// an error.
pub(crate) fn rating_values(
    table: &Table,
    d: &DriverSpec,
    survey: &Survey,
    coded: &mut usize,
) -> Result<Float64Chunked> {
    let values = table.numbers_as(&d.column, "driver", d.values.as_ref())?;
    let outside = |x: f64| {
        let s = survey.scale.filter(|s| x < s.min || x > s.max)?;
        Some(format!(
            "rating {x} is outside the scale {}–{} (if it is a \"don't know\" or \"not applicable\" code, add it to missing_codes)",
            s.min, s.max
        ))
    };
    coded_values(table, &d.column, values, &survey.missing_codes, coded, outside)
}

/// An outcome's answers: valid for its kind (NPS: a whole number 0–10), or one of the
/// outcome's own missing codes. A binary outcome's answers are read as text and coded 1
/// (positive) or 0.
pub(crate) fn outcome_values(table: &Table, o: &Outcome, coded: &mut usize) -> Result<Float64Chunked> {
    if o.kind == OutcomeKind::Binary {
        return binary_values(table, o, coded);
    }
    let values = table.numbers_as(&o.column, "outcome", o.values.as_ref())?;
    coded_values(table, &o.column, values, &o.missing_codes, coded, |x| o.invalid(x))
}

/// A binary outcome's answers as 1 (one of `positive`) or 0. Without a list of negative
/// answers the column may hold one other answer; a second is refused (it may be a typo or
/// a "don't know"), naming it, its row and the answers seen. Missing codes become missing
/// and are counted in `coded`.
fn binary_values(table: &Table, o: &Outcome, coded: &mut usize) -> Result<Float64Chunked> {
    use crate::schema::outcome::same_answer;
    let text = table.text(&o.column, "outcome")?;
    // The answers seen (up to a few, for messages) and the first refusal, kept until the
    // column is read: a positive answer that never occurs is the likelier mistake.
    let mut seen: Vec<&str> = Vec::new();
    let mut negative: Option<&str> = None;
    let mut refused: Option<Error> = None;
    let mut seen_positive = false;
    let mut values = Vec::with_capacity(text.len());
    for (i, v) in text.iter().enumerate() {
        let Some(answer) = v else {
            values.push(None);
            continue;
        };
        if seen.len() < 6 && !seen.iter().any(|s| same_answer(s, answer)) {
            seen.push(answer);
        }
        if answer.trim().parse::<f64>().is_ok_and(|x| o.missing_codes.contains(&x)) {
            *coded += 1;
            values.push(None);
            continue;
        }
        let code = o.positive_code(answer);
        seen_positive |= code == Some(1.0);
        let why = match (code, negative) {
            (Some(1.0), _) => None,
            (Some(_), _) if !o.negative.is_empty() => None,
            (Some(_), Some(n)) if !same_answer(n, answer) => Some(format!(
                "\"{answer}\" is a third answer besides positive {} and \"{n}\": list the negative answers (negative = [...] in survey.toml) or add it to the positive ones",
                quoted(&o.positive)
            )),
            (Some(_), _) => {
                negative = Some(answer);
                None
            }
            (None, _) => Some(format!(
                "\"{answer}\" is neither positive ({}) nor negative ({})",
                quoted(&o.positive),
                quoted(&o.negative)
            )),
        };
        if let Some(why) = why {
            refused.get_or_insert_with(|| table.value_error(&o.column, i, why));
        }
        values.push(code);
    }
    if !seen_positive {
        let answers: Vec<String> = seen.iter().map(|a| a.to_string()).collect();
        return Err(Error::BadColumn {
            file: table.path.clone(),
            column: o.column.clone(),
            reason: format!(
                "no answer is positive ({}); the column holds {}: check --positive against them",
                quoted(&o.positive),
                quoted(&answers)
            ),
        });
    }
    if let Some(e) = refused {
        return Err(e);
    }
    let ca: Float64Chunked = values.into_iter().collect();
    Ok(ca.with_name(o.column.as_str().into()))
}

fn quoted(answers: &[String]) -> String {
    if answers.is_empty() {
        return "none listed".into();
    }
    answers.iter().map(|a| format!("\"{a}\"")).collect::<Vec<_>>().join(", ")
}

/// A column whose missing codes become missing (counted in `coded`) and whose other values
/// must pass `invalid` (which returns the reason a value is refused). The column is
/// checked in place and copied only when it holds missing codes.
fn coded_values(
    table: &Table,
    column: &str,
    values: Float64Chunked,
    missing_codes: &[f64],
    coded: &mut usize,
    invalid: impl Fn(f64) -> Option<String>,
) -> Result<Float64Chunked> {
    let is_code = |x: f64| missing_codes.contains(&x);
    let mut codes = 0;
    for_each_value(&values, |i, x| {
        if is_code(x) {
            codes += 1;
        } else if let Some(reason) = invalid(x) {
            return Err(table.value_error(column, i, reason));
        }
        Ok(())
    })?;
    *coded += codes;
    if codes == 0 {
        return Ok(values);
    }
    let kept: Float64Chunked = values.iter().map(|v| v.filter(|x| !is_code(*x))).collect();
    Ok(kept.with_name(column.into()))
}

/// Calls `f` with each present value and its row, chunk by chunk (a million cells in a
/// few milliseconds); stops at the first error.
pub(crate) fn for_each_value(ca: &Float64Chunked, mut f: impl FnMut(usize, f64) -> Result<()>) -> Result<()> {
    let mut row = 0;
    for arr in ca.downcast_iter() {
        match arr.validity().filter(|v| v.unset_bits() > 0) {
            None => arr.values().iter().enumerate().try_for_each(|(i, &x)| f(row + i, x))?,
            Some(valid) => arr
                .values()
                .iter()
                .zip(valid.iter())
                .enumerate()
                .filter(|(_, (_, ok))| *ok)
                .try_for_each(|(i, (&x, _))| f(row + i, x))?,
        }
        row += arr.len();
    }
    Ok(())
}

/// Each weight present and non-negative (one batch of a pass may hold only zeros).
pub(crate) fn weight_cells(table: &Table, column: &str) -> Result<Vec<f64>> {
    table
        .numbers(column, "weight")?
        .iter()
        .enumerate()
        .map(|(i, v)| match v {
            None => Err(table.value_error(column, i, "weight is blank".into())),
            Some(w) if w < 0.0 => Err(table.value_error(column, i, format!("weight {w} is negative"))),
            Some(w) => Ok(w),
        })
        .collect()
}
