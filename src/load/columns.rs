//! The joined responses as the loader keeps them: compact columns read in place. Ratings
//! and answers are whole numbers on almost every survey, so they take one byte a cell;
//! waves and segments are codes into their labels. Ten million respondents with eight
//! ratings and two outcomes then take about 300 MB, where 64-bit numbers with validity
//! would take a gigabyte.

use std::collections::HashMap;

/// A gap in a column of codes (a blank wave or segment cell).
pub(super) const BLANK: u32 = u32::MAX;
/// A gap in a column of bytes.
const GAP: u8 = u8::MAX;

/// A column of numbers: whole numbers 0–254 as one byte each (255 a gap) while every value
/// is one, else 64-bit numbers (NaN a gap: the loader's values are finite).
#[derive(Debug, Clone)]
pub(super) enum Numbers {
    Bytes(Vec<u8>),
    Floats(Vec<f64>),
}

impl Default for Numbers {
    fn default() -> Numbers {
        Numbers::Bytes(Vec::new())
    }
}

impl Numbers {
    /// Appends values (`None`: a gap), widening to 64-bit numbers at the first value that
    /// is not a byte. `values` is read twice: to see whether every value is a byte, then to
    /// keep them.
    pub fn extend<I: Iterator<Item = Option<f64>>>(&mut self, values: impl Fn() -> I) {
        if let Numbers::Bytes(bytes) = self {
            let byte = |x: f64| x.fract() == 0.0 && x.is_sign_positive() && x < GAP as f64;
            if values().all(|v| v.is_none_or(byte)) {
                bytes.extend(values().map(|v| v.map_or(GAP, |x| x as u8)));
                return;
            }
            *self = Numbers::Floats(bytes.iter().map(|&b| if b == GAP { f64::NAN } else { b as f64 }).collect());
        }
        if let Numbers::Floats(floats) = self {
            floats.extend(values().map(|v| v.unwrap_or(f64::NAN)));
        }
    }

    /// Room for `more` values.
    pub fn reserve(&mut self, more: usize) {
        match self {
            Numbers::Bytes(b) => b.reserve_exact(more),
            Numbers::Floats(f) => f.reserve_exact(more),
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Numbers::Bytes(b) => b.len(),
            Numbers::Floats(f) => f.len(),
        }
    }

    /// Row `i`'s value, NaN for a gap.
    #[inline]
    pub fn value(&self, i: usize) -> f64 {
        match self {
            Numbers::Bytes(b) if b[i] == GAP => f64::NAN,
            Numbers::Bytes(b) => b[i] as f64,
            Numbers::Floats(f) => f[i],
        }
    }

    /// Row `i`'s value, `None` for a gap.
    #[inline]
    pub fn get(&self, i: usize) -> Option<f64> {
        let x = self.value(i);
        (!x.is_nan()).then_some(x)
    }

    /// How many cells are gaps.
    pub fn gaps(&self) -> usize {
        match self {
            Numbers::Bytes(b) => b.iter().filter(|&&v| v == GAP).count(),
            Numbers::Floats(f) => f.iter().filter(|x| x.is_nan()).count(),
        }
    }

    /// Rows `rows`, in that order.
    pub fn take(&self, rows: &[u32]) -> Numbers {
        match self {
            Numbers::Bytes(b) => Numbers::Bytes(gather(b, rows)),
            Numbers::Floats(f) => Numbers::Floats(gather(f, rows)),
        }
    }
}

/// Rows `rows` of a column, in that order.
pub(super) fn gather<T: Copy>(values: &[T], rows: &[u32]) -> Vec<T> {
    rows.iter().map(|&r| values[r as usize]).collect()
}

/// The joined responses' columns, by name: the drivers under their own names, each
/// outcome and the weight under the loader's keys; waves and segments as codes.
#[derive(Default)]
pub(super) struct Columns {
    pub height: usize,
    pub numbers: HashMap<String, Numbers>,
    pub codes: HashMap<String, Vec<u32>>,
    /// Each row's respondent key (what its bootstrap weights are drawn from).
    pub keys: Vec<u32>,
}

impl Columns {
    /// Rows `rows` of every column, in that order.
    pub fn take(self, rows: &[u32]) -> Columns {
        Columns {
            height: rows.len(),
            numbers: self.numbers.into_iter().map(|(k, n)| (k, n.take(rows))).collect(),
            codes: self.codes.into_iter().map(|(k, c)| (k, gather(&c, rows))).collect(),
            keys: gather(&self.keys, rows),
        }
    }

    pub fn numbers(&self, name: &str) -> &Numbers {
        self.numbers.get(name).unwrap_or_else(|| panic!("the loader built column {name}"))
    }

    pub fn codes(&self, name: &str) -> &[u32] {
        self.codes.get(name).unwrap_or_else(|| panic!("the loader coded column {name}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_numbers_stay_bytes_until_a_value_is_not_one() {
        let mut n = Numbers::default();
        n.extend(|| [Some(0.0), None, Some(254.0)].into_iter());
        assert!(matches!(n, Numbers::Bytes(_)));
        assert_eq!((n.get(0), n.get(1), n.get(2)), (Some(0.0), None, Some(254.0)));
        n.extend(|| [Some(7.5), Some(255.0)].into_iter());
        assert!(matches!(n, Numbers::Floats(_)));
        let all: Vec<Option<f64>> = (0..n.len()).map(|i| n.get(i)).collect();
        assert_eq!(all, [Some(0.0), None, Some(254.0), Some(7.5), Some(255.0)]);
        assert_eq!(n.gaps(), 1);
        let mut negative = Numbers::default();
        negative.extend(|| [Some(-0.0)].into_iter());
        assert!(negative.value(0).is_sign_negative(), "-0 is kept as it is");
        assert_eq!(n.take(&[3, 1]).get(0), Some(7.5));
    }
}
