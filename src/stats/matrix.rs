//! The complete rows' drivers, row by row. Ratings are whole numbers 0–254 on almost every
//! survey, and a byte a cell holds them exactly: ten million respondents with eight
//! drivers take 80 MB, where 64-bit numbers take 640 MB. One value that is not such a
//! number makes the whole matrix 64-bit. Every reader takes a block of rows at a time as
//! 64-bit numbers, the values held exactly, so what a fit computes does not depend on how
//! its rows are kept.

use std::ops::Range;

use ndarray::{concatenate, s, Array2, ArrayView2, Axis, CowArray, Ix2};

#[derive(Debug, Clone, PartialEq)]
pub enum Matrix {
    /// Whole numbers 0–254, rows × columns.
    Bytes(Array2<u8>),
    /// Any other values, rows × columns, in standard layout.
    Floats(Array2<f64>),
}

impl Matrix {
    pub fn dim(&self) -> (usize, usize) {
        match self {
            Matrix::Bytes(b) => b.dim(),
            Matrix::Floats(f) => f.dim(),
        }
    }

    pub fn nrows(&self) -> usize {
        self.dim().0
    }

    pub fn ncols(&self) -> usize {
        self.dim().1
    }

    /// Row `i`'s values, written into `out` (one per column).
    #[inline]
    pub fn row_into(&self, i: usize, out: &mut [f64]) {
        match self {
            Matrix::Bytes(b) => out.iter_mut().zip(b.row(i)).for_each(|(o, &v)| *o = v as f64),
            Matrix::Floats(f) => out.iter_mut().zip(f.row(i)).for_each(|(o, &v)| *o = v),
        }
    }

    /// Rows `rows` as 64-bit numbers in standard layout: the rows themselves when they are
    /// held so, else converted (a block's worth, never the whole matrix).
    pub fn block(&self, rows: Range<usize>) -> CowArray<'_, f64, Ix2> {
        match self {
            Matrix::Bytes(b) => CowArray::from(b.slice(s![rows, ..]).mapv(f64::from)),
            Matrix::Floats(f) => CowArray::from(f.slice(s![rows, ..])),
        }
    }

    /// Column `j`'s values.
    pub fn column(&self, j: usize) -> Vec<f64> {
        match self {
            Matrix::Bytes(b) => b.column(j).iter().map(|&v| v as f64).collect(),
            Matrix::Floats(f) => f.column(j).to_vec(),
        }
    }

    /// Rows `rows`, in that order.
    pub fn select(&self, rows: &[usize]) -> Matrix {
        match self {
            Matrix::Bytes(b) => Matrix::Bytes(b.select(Axis(0), rows)),
            Matrix::Floats(f) => Matrix::Floats(f.select(Axis(0), rows)),
        }
    }

    /// These rows, then `other`'s.
    pub fn stack(&self, other: &Matrix) -> Matrix {
        match (self, other) {
            (Matrix::Bytes(a), Matrix::Bytes(b)) => Matrix::Bytes(concatenate![Axis(0), *a, *b]),
            _ => Matrix::Floats(concatenate![Axis(0), self.to_floats(), other.to_floats()]),
        }
    }

    /// Every value as a 64-bit number (for small data: tests, a cross-check).
    pub fn to_floats(&self) -> Array2<f64> {
        self.block(0..self.nrows()).into_owned()
    }
}

impl From<Array2<f64>> for Matrix {
    fn from(x: Array2<f64>) -> Matrix {
        Matrix::Floats(if x.is_standard_layout() { x } else { x.as_standard_layout().into_owned() })
    }
}

impl From<ArrayView2<'_, f64>> for Matrix {
    fn from(x: ArrayView2<f64>) -> Matrix {
        Matrix::Floats(x.as_standard_layout().into_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn bytes_read_as_the_numbers_they_hold() {
        let floats = array![[1.0, 254.0], [0.0, 7.0], [3.0, 9.0]];
        let bytes = Matrix::Bytes(floats.mapv(|v| v as u8));
        assert_eq!(bytes.to_floats(), floats);
        assert_eq!(bytes.block(1..3), floats.slice(s![1..3, ..]));
        let mut row = [0.0; 2];
        bytes.row_into(2, &mut row);
        assert_eq!(row, [3.0, 9.0]);
        assert_eq!(bytes.column(1), [254.0, 7.0, 9.0]);
        assert_eq!(bytes.select(&[2, 0]).to_floats(), array![[3.0, 9.0], [1.0, 254.0]]);
        // A 64-bit matrix stacked on bytes makes the whole 64-bit.
        let stacked = bytes.stack(&Matrix::from(array![[0.5, 1.0]]));
        assert_eq!(stacked.to_floats().row(3), array![0.5, 1.0]);
        assert!(matches!(bytes.stack(&bytes), Matrix::Bytes(_)));
    }
}
