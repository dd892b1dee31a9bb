//! Respondent ids held compactly, to check them for repeats and to join a second file on
//! them: each id as its MD5 digest (the one the replicates already draw from,
//! [`replicates::digest`]), 16 bytes whatever the id's length, with a table of row
//! numbers keyed by it (4 bytes a slot). Ten million ids take about 250 MB, where the ids
//! as strings in a hash map took over a gigabyte. Two different ids share a digest with
//! probability about n²/2¹²⁹ (10⁻²⁵ at ten million): ids are compared by digest.

use std::path::Path;

use hashbrown::hash_table::{Entry, HashTable};
use polars::prelude::StringChunked;
use rayon::prelude::*;

use super::table::Table;
use crate::error::{Error, Result};
use crate::stats::replicates;

/// Digests per chunk: the index grows a chunk at a time, never copying what it holds
/// (a growing `Vec` would briefly hold it twice).
pub(crate) const CHUNK: usize = 1 << 16;

/// Each row's id digest, in row order, and the first row of each digest.
#[derive(Default)]
pub(crate) struct IdIndex {
    /// Rows' digests, `CHUNK` to a chunk (the last one partly filled).
    chunks: Vec<Vec<u128>>,
    rows: HashTable<u32>,
    len: usize,
}

impl IdIndex {
    /// Adds the next row's id; the earlier row holding the same id, if any.
    pub fn push(&mut self, digest: u128) -> Option<usize> {
        let row = self.len as u32;
        let chunks = &self.chunks;
        let at = |r: u32| chunks[r as usize / CHUNK][r as usize % CHUNK];
        let earlier = match self.rows.entry(digest as u64, |&r| at(r) == digest, |&r| at(r) as u64) {
            Entry::Occupied(e) => Some(*e.get() as usize),
            Entry::Vacant(e) => {
                e.insert(row);
                None
            }
        };
        if self.len.is_multiple_of(CHUNK) {
            self.chunks.push(Vec::with_capacity(CHUNK));
        }
        self.chunks.last_mut().expect("pushed above").push(digest);
        self.len += 1;
        earlier
    }

    /// Room for `more` ids in the table of rows.
    pub fn reserve(&mut self, more: usize) {
        let chunks = &self.chunks;
        self.rows.reserve(more, |&r| chunks[r as usize / CHUNK][r as usize % CHUNK] as u64);
    }

    /// The first row holding this id.
    pub fn get(&self, digest: u128) -> Option<usize> {
        let at = |r: u32| self.chunks[r as usize / CHUNK][r as usize % CHUNK];
        self.rows.find(digest as u64, |&r| at(r) == digest).map(|&r| r as usize)
    }

    /// The ids pushed, repeats included.
    pub fn len(&self) -> usize {
        self.len
    }
}

/// Each id's digest, computed in parallel; a blank id is an error naming its row.
pub(crate) fn digests(table: &Table, column: &str, ids: &StringChunked) -> Result<Vec<u128>> {
    let ids: Vec<Option<&str>> = ids.iter().collect();
    ids.par_iter()
        .enumerate()
        .map(|(i, id)| match id {
            Some(id) => Ok(replicates::digest(id)),
            None => Err(table.value_error(column, i, "respondent id is blank".into())),
        })
        .collect()
}

/// Repeated ids, gathered while an index is built: an error naming a few of them.
#[derive(Default)]
pub(crate) struct Repeats {
    count: usize,
    /// (id, its first row, the repeat's row), both counted from 1 as the file numbers them.
    examples: Vec<(String, usize, usize)>,
}

impl Repeats {
    /// Notes that row `row` (counted from 0) repeats the id of row `earlier`.
    pub fn see(&mut self, id: &str, earlier: usize, row: usize) {
        self.count += 1;
        if self.examples.len() < 3 {
            self.examples.push((id.to_string(), earlier + 1, row + 1));
        }
    }

    /// The error for the repeats seen, if any.
    pub fn check(self, file: &Path, column: &str) -> Result<()> {
        if self.count == 0 {
            return Ok(());
        }
        let examples: Vec<String> =
            self.examples.iter().map(|(id, a, b)| format!("\"{id}\" (rows {a} and {b})")).collect();
        Err(Error::BadColumn {
            file: file.to_path_buf(),
            column: column.to_string(),
            reason: format!(
                "{} duplicate respondent id(s), e.g. {}: each respondent must appear once",
                self.count,
                examples.join(", ")
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_found_by_id_and_repeats_name_both_rows() {
        let mut index = IdIndex::default();
        let ids = ["a", "b", "c", "b"].map(replicates::digest);
        let earlier: Vec<Option<usize>> = ids.iter().map(|&d| index.push(d)).collect();
        assert_eq!(earlier, [None, None, None, Some(1)]);
        assert_eq!(index.get(replicates::digest("c")), Some(2));
        assert_eq!(index.get(replicates::digest("z")), None);
        assert_eq!(index.len(), 4);
    }
}
