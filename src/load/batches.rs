//! A file, or a folder of files, read a batch of rows at a time, so a pass over the rows
//! holds one batch in memory whatever the size of the data. CSV (plain or gzip) is cut
//! at record boundaries (a newline outside quotes) into blocks that polars parses; a
//! Parquet file is read in row slices of the needed columns. A folder is every data file
//! under it in path order, each with the `key=value` folder names above it (Hive
//! partitioning, e.g. `quarter=2025Q1/part-0.parquet`) as columns. Excel and SPSS files
//! are read whole, as one batch. Each batch is a [`Table`] whose errors name the row as
//! the file numbers it.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use polars::prelude::*;

use super::sniff::{self, Dialect};
use super::table::{
    first_line, not_parquet, parse_csv, Table, GZIP_MAGIC, OLE_MAGIC, PARQUET_MAGIC, SPSS_MAGIC, UTF8_BOM, ZIP_MAGIC,
};
use crate::error::{Error, Result};
use crate::schema::settings::CsvOptions;

/// Bytes of CSV per batch (about 100,000 survey rows).
const CSV_BLOCK: usize = 2 << 20;
/// Rows per batch of a Parquet file.
const PARQUET_ROWS: usize = 131_072;
/// Batches a pass parses at once, then merges in order: enough to keep two cores busy,
/// few enough to keep memory that of a handful of batches.
pub(crate) const IN_FLIGHT: usize = 4;

/// One data file and the partition columns its folders give it.
struct Part {
    path: PathBuf,
    hive: Vec<(String, String)>,
}

/// The batches of a file or folder, in order.
pub struct Batches {
    parts: std::vec::IntoIter<Part>,
    current: Option<(Reader, Vec<(String, String)>)>,
    csv: CsvOptions,
    numeric: Vec<String>,
    /// Columns to keep (others are not parsed where the format allows); `None`, all.
    columns: Option<Vec<String>>,
    /// Batch sizes: bytes of CSV, rows of Parquet.
    size: (usize, usize),
}

enum Reader {
    Csv(CsvBlocks),
    Parquet { path: PathBuf, offset: usize, rows: usize, columns: Option<Vec<String>> },
    Whole(Option<Table>),
}

impl Batches {
    /// Opens `path` (a file or a folder) for reading `columns` (`None`: all), of which
    /// `numeric` must hold numbers.
    pub fn open(path: &Path, csv: &CsvOptions, columns: Option<&[&str]>, numeric: &[&str]) -> Result<Batches> {
        let parts = if path.is_dir() {
            let mut parts = Vec::new();
            walk(path, &mut Vec::new(), &mut parts)?;
            if parts.is_empty() {
                return Err(Error::BadFile {
                    file: path.to_path_buf(),
                    reason: "is a folder with no data files".into(),
                });
            }
            parts
        } else {
            vec![Part { path: path.to_path_buf(), hive: Vec::new() }]
        };
        Ok(Batches {
            parts: parts.into_iter(),
            current: None,
            csv: csv.clone(),
            numeric: numeric.iter().map(|s| s.to_string()).collect(),
            columns: columns.map(|c| c.iter().map(|s| s.to_string()).collect()),
            size: (CSV_BLOCK, PARQUET_ROWS),
        })
    }

    /// Opens one file, its format recognised by content.
    fn start(&self, part: &Part) -> Result<Reader> {
        let unreadable = |e: std::io::Error| Error::Unreadable { file: part.path.clone(), reason: e.to_string() };
        let mut magic = [0u8; 8];
        let got = File::open(&part.path).and_then(|mut f| f.read(&mut magic)).map_err(unreadable)?;
        let magic = &magic[..got];
        if magic.starts_with(PARQUET_MAGIC) {
            let bad = |e| not_parquet(&part.path, e);
            let mut reader = ParquetReader::new(File::open(&part.path).map_err(unreadable)?);
            let schema = reader.schema().map_err(bad)?;
            let rows = reader.num_rows().map_err(bad)?;
            let columns = projection(self.columns.as_deref(), &part.hive, |c| schema.contains(c));
            return Ok(Reader::Parquet { path: part.path.clone(), offset: 0, rows, columns });
        }
        // Workbooks and SPSS files are read whole; their magic bytes can be valid UTF-8.
        let whole = [ZIP_MAGIC, OLE_MAGIC].into_iter().chain(SPSS_MAGIC).any(|m| magic.starts_with(m));
        let text_like = magic.is_empty() || magic.starts_with(GZIP_MAGIC) || std::str::from_utf8(magic).is_ok();
        if text_like && !whole {
            let file = File::open(&part.path).map_err(unreadable)?;
            let input: Box<dyn Read> = if magic.starts_with(GZIP_MAGIC) {
                Box::new(flate2::read::MultiGzDecoder::new(std::io::BufReader::new(file)))
            } else {
                Box::new(file)
            };
            return Ok(Reader::Csv(CsvBlocks::open(&part.path, input, &self.csv, self.size.0)?));
        }
        let numeric: Vec<&str> = self.numeric.iter().map(String::as_str).collect();
        Ok(Reader::Whole(Some(Table::read(&part.path, &self.csv, &numeric)?)))
    }

    fn next_pending(&mut self) -> Result<Option<Pending>> {
        loop {
            if self.current.is_none() {
                let Some(part) = self.parts.next() else { return Ok(None) };
                self.current = Some((self.start(&part)?, part.hive));
            }
            let (reader, hive) = self.current.as_mut().expect("just set");
            let source = match reader {
                Reader::Csv(blocks) => blocks.next()?.map(|(bytes, first_row)| Source::Csv {
                    bytes,
                    dialect: blocks.dialect.clone(),
                    names: blocks.names.clone(),
                    path: blocks.path.clone(),
                    first_row,
                }),
                Reader::Parquet { path, offset, rows, columns } => (*offset < *rows).then(|| {
                    let len = self.size.1.min(*rows - *offset);
                    *offset += len;
                    Source::Parquet { path: path.clone(), offset: *offset - len, len, columns: columns.clone() }
                }),
                Reader::Whole(table) => table.take().map(Source::Whole),
            };
            match source {
                Some(source) => {
                    return Ok(Some(Pending {
                        source,
                        hive: hive.clone(),
                        numeric: self.numeric.clone(),
                        columns: self.columns.clone(),
                    }))
                }
                None => self.current = None,
            }
        }
    }
}

impl Iterator for Batches {
    type Item = Result<Pending>;

    fn next(&mut self) -> Option<Result<Pending>> {
        self.next_pending().transpose()
    }
}

/// A batch cut from its file but not yet parsed: cutting is the sequential part of a
/// pass, parsing ([`Pending::table`]) can run on several batches at once.
pub struct Pending {
    source: Source,
    hive: Vec<(String, String)>,
    numeric: Vec<String>,
    columns: Option<Vec<String>>,
}

enum Source {
    Csv { bytes: Vec<u8>, dialect: Dialect, names: Vec<String>, path: PathBuf, first_row: usize },
    Parquet { path: PathBuf, offset: usize, len: usize, columns: Option<Vec<String>> },
    Whole(Table),
}

impl Pending {
    /// A table already read, as a batch.
    pub fn whole(table: Table) -> Pending {
        Pending { source: Source::Whole(table), hive: Vec::new(), numeric: Vec::new(), columns: None }
    }

    /// How many times this batch's bytes `path` holds, this being its first batch: its
    /// rows times that is about the file's (1 when it is not a CSV file).
    pub fn share_of(&self, path: &Path) -> f64 {
        let file = std::fs::metadata(path).ok().filter(|m| m.is_file()).map(|m| m.len() as f64);
        match (&self.source, file) {
            (Source::Csv { bytes, .. }, Some(len)) if !bytes.is_empty() => (len / bytes.len() as f64).max(1.0),
            _ => 1.0,
        }
    }

    /// The batch as a table, with its partition columns.
    pub fn table(self) -> Result<Table> {
        let numeric: Vec<&str> = self.numeric.iter().map(String::as_str).collect();
        let mut t = match self.source {
            Source::Csv { bytes, dialect, names, path, first_row } => {
                let bad = |reason: String| Error::BadFile { file: path.clone(), reason };
                let df = parse_csv(&bytes, &dialect, &numeric, Some(&names))
                    .map_err(|e| bad(format!("cannot parse as CSV: {}", first_line(&e.to_string()))))?;
                let df = match projection(self.columns.as_deref(), &self.hive, |c| df.column(c).is_ok()) {
                    Some(keep) => df.select(keep).map_err(|e| bad(e.to_string()))?,
                    None => df,
                };
                Table { path, df, dialect: Some(dialect), labels: Default::default(), first_row }
            }
            Source::Parquet { path, offset, len, columns } => {
                let file =
                    File::open(&path).map_err(|e| Error::Unreadable { file: path.clone(), reason: e.to_string() })?;
                let df = ParquetReader::new(file)
                    .with_columns(columns)
                    .with_slice(Some((offset, len)))
                    .finish()
                    .map_err(|e| not_parquet(&path, e))?;
                Table { path, df, dialect: None, labels: Default::default(), first_row: offset }
            }
            Source::Whole(t) => t,
        };
        let h = t.df.height();
        for (key, value) in &self.hive {
            if t.df.column(key).is_err() {
                let column = Column::new(key.as_str().into(), vec![value.as_str(); h]);
                t.df.with_column(column).map_err(|e| Error::BadFile { file: t.path.clone(), reason: e.to_string() })?;
            }
        }
        Ok(t)
    }
}

/// The columns of a file to read: those asked for that it has (the rest come from its
/// folder names); all of them (`None`) when one asked for is in neither, so that the
/// error then lists every column.
fn projection(asked: Option<&[String]>, hive: &[(String, String)], has: impl Fn(&str) -> bool) -> Option<Vec<String>> {
    let asked = asked?;
    let given = |c: &str| hive.iter().any(|(k, _)| k == c);
    asked.iter().all(|c| has(c) || given(c)).then(|| asked.iter().filter(|c| has(c)).cloned().collect())
}

/// Data files under `dir`, in path order; hidden files and `_SUCCESS`-style markers are
/// skipped. `hive` holds the `key=value` folder names on the way down.
fn walk(dir: &Path, hive: &mut Vec<(String, String)>, out: &mut Vec<Part>) -> Result<()> {
    let unreadable = |e: std::io::Error| Error::Unreadable { file: dir.to_path_buf(), reason: e.to_string() };
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(unreadable)?
        .map(|e| e.map(|e| e.path()))
        .collect::<std::io::Result<_>>()
        .map_err(unreadable)?;
    entries.sort();
    for path in entries {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with('.') || name.starts_with('_') {
            continue;
        }
        if path.is_dir() {
            let pushed = name.split_once('=').map(|(k, v)| hive.push((k.to_string(), v.to_string()))).is_some();
            walk(&path, hive, out)?;
            if pushed {
                hive.pop();
            }
        } else {
            out.push(Part { path, hive: hive.clone() });
        }
    }
    Ok(())
}

/// A CSV stream cut into blocks of whole records.
struct CsvBlocks {
    path: PathBuf,
    input: Box<dyn Read>,
    /// Bytes read and not yet handed out; always starts at a record boundary.
    pending: Vec<u8>,
    eof: bool,
    dialect: Dialect,
    names: Vec<String>,
    /// Data rows handed out so far.
    rows: usize,
    /// Lines before `pending`, for the line an encoding error is on.
    lines: usize,
    block: usize,
}

impl CsvBlocks {
    fn open(path: &Path, input: Box<dyn Read>, csv: &CsvOptions, block: usize) -> Result<CsvBlocks> {
        let mut blocks = CsvBlocks {
            path: path.to_path_buf(),
            input,
            pending: Vec::new(),
            eof: false,
            dialect: Dialect { separator: ',', decimal_comma: false, header_rows: 1 },
            names: Vec::new(),
            rows: 0,
            lines: 0,
            block,
        };
        blocks.fill()?;
        if blocks.pending.starts_with(UTF8_BOM) {
            blocks.pending.drain(..UTF8_BOM.len());
        }
        let (head_end, _) = cut(&blocks.pending, 64 << 10, blocks.eof);
        let head = blocks.text(&blocks.pending[..head_end], 0)?;
        if head.trim().is_empty() {
            return Err(blocks.bad("is empty: expected a header row and data rows".into()));
        }
        blocks.dialect = sniff::sniff(head, csv);
        // The first record that is not blank: a quoted name may hold a line break.
        let mut start = 0;
        let header = loop {
            let end = match cut(&blocks.pending[start..], 1, false).0 {
                0 => blocks.pending.len(),
                n => start + n,
            };
            let record = &blocks.pending[start..end];
            if end >= blocks.pending.len() || !record.iter().all(u8::is_ascii_whitespace) {
                break blocks.text(record, 0)?;
            }
            start = end;
        };
        blocks.names =
            sniff::split_line(header, blocks.dialect.separator).into_iter().map(|n| n.trim().to_string()).collect();
        // Drop the header rows (blank lines before them too).
        let mut skip = 0;
        let mut seen = 0;
        while seen < blocks.dialect.header_rows {
            let end = skip + cut(&blocks.pending[skip..], 1, false).0;
            if !blocks.pending[skip..end].iter().all(u8::is_ascii_whitespace) {
                seen += 1;
            }
            blocks.lines += blocks.pending[skip..end].iter().filter(|&&b| b == b'\n').count();
            skip = end;
            if skip >= blocks.pending.len() {
                break;
            }
        }
        blocks.pending.drain(..skip);
        Ok(blocks)
    }

    fn bad(&self, reason: String) -> Error {
        Error::BadFile { file: self.path.clone(), reason }
    }

    /// Reads until a block's worth is pending or the input ends.
    fn fill(&mut self) -> Result<()> {
        let mut chunk = vec![0u8; 1 << 20];
        while !self.eof && self.pending.len() < self.block {
            let got = self.input.read(&mut chunk).map_err(|e| self.bad(format!("cannot be read: {e}")))?;
            if got == 0 {
                self.eof = true;
            }
            self.pending.extend_from_slice(&chunk[..got]);
        }
        Ok(())
    }

    fn text<'a>(&self, bytes: &'a [u8], line0: usize) -> Result<&'a str> {
        std::str::from_utf8(bytes).map_err(|e| {
            let line = self.lines + line0 + 1 + bytes[..e.valid_up_to()].iter().filter(|&&b| b == b'\n').count();
            self.bad(format!("line {line} is not UTF-8 text: save the file as UTF-8 (CSV UTF-8 in Excel)"))
        })
    }

    /// The next block of whole records and the data rows before it, or `None` at the end.
    fn next(&mut self) -> Result<Option<(Vec<u8>, usize)>> {
        self.fill()?;
        let (end, records) = cut(&self.pending, self.block, self.eof);
        let block: Vec<u8> = self.pending.drain(..end).collect();
        if records == 0 {
            return Ok(None);
        }
        self.text(&block, 0)?;
        self.lines += memchr::memchr_iter(b'\n', &block).count();
        let first_row = self.rows;
        self.rows += records;
        Ok(Some((block, first_row)))
    }
}

/// Where to cut `bytes` (which start at a record boundary) so the first part holds whole
/// records: after the first newline outside quotes at or past `want` bytes (or the last
/// one before), everything at the end of the input; and how many records that part holds.
fn cut(bytes: &[u8], want: usize, eof: bool) -> (usize, usize) {
    let (mut end, mut records) = (0, 0);
    let mut quoted = false;
    let mut start = 0;
    for i in memchr::memchr2_iter(b'"', b'\n', bytes) {
        if bytes[i] == b'"' {
            quoted = !quoted;
        } else if !quoted {
            // polars reads a blank line inside the data as a row of blanks: count it too.
            records += 1;
            (start, end) = (i + 1, i + 1);
            if end >= want {
                return (end, records);
            }
        }
    }
    if (eof || end == 0) && start < bytes.len() {
        if !bytes[start..].iter().all(u8::is_ascii_whitespace) {
            records += 1;
        }
        end = bytes.len();
    }
    (end, records)
}

/// Reads a whole folder (or file) as one table: what the loader does with a folder.
pub fn read_all(path: &Path, csv: &CsvOptions, numeric: &[&str]) -> Result<Table> {
    let batches = Batches::open(path, csv, None, numeric)?;
    let mut out: Option<Table> = None;
    for pending in batches {
        let mut t = pending?.table()?;
        for c in numeric {
            if let Ok(col) = t.df.column(c) {
                if col.dtype().is_primitive_numeric() && col.dtype() != &DataType::Float64 {
                    let cast = col
                        .cast(&DataType::Float64)
                        .map_err(|e| Error::BadFile { file: t.path.clone(), reason: e.to_string() })?;
                    t.df.with_column(cast)
                        .map_err(|e| Error::BadFile { file: t.path.clone(), reason: e.to_string() })?;
                }
            }
        }
        match &mut out {
            None => out = Some(t),
            Some(o) => {
                o.df.vstack_mut(&t.df).map_err(|e| Error::BadFile {
                    file: t.path.clone(),
                    reason: format!(
                        "does not have the columns of {}: {}",
                        o.path.display(),
                        first_line(&e.to_string())
                    ),
                })?;
            }
        }
    }
    let mut table =
        out.ok_or_else(|| Error::BadFile { file: path.to_path_buf(), reason: "has no data rows".into() })?;
    table.path = path.to_path_buf();
    Ok(table)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, bytes).unwrap();
        path
    }

    /// Every batch of `path` at the given sizes, stacked.
    fn batched(path: &Path, size: (usize, usize)) -> (Vec<Table>, DataFrame) {
        let mut batches = Batches::open(path, &CsvOptions::default(), None, &["x"]).unwrap();
        batches.size = size;
        let tables: Vec<Table> = batches.map(|p| p.unwrap().table().unwrap()).collect();
        let mut all = tables[0].df.clone();
        for t in &tables[1..] {
            all.vstack_mut(&t.df).unwrap();
        }
        (tables, all)
    }

    #[test]
    fn cut_keeps_quoted_newlines_inside_a_record() {
        let text = b"1,\"a\nb\"\n\n2,c\n3,d";
        // Past 3 bytes: the first newline outside quotes ends the first record.
        assert_eq!(cut(text, 3, false), (8, 1));
        // A blank line is a record (polars reads it as a row of blanks); the last record
        // needs no newline at the end.
        assert_eq!(cut(text, 100, true), (text.len(), 4));
    }

    /// Cut into tiny blocks (a few records each), a CSV with a quoted newline, a blank line
    /// and a BOM reads as the whole file does, and a bad cell in a late block is named by
    /// its row in the file.
    #[test]
    fn small_csv_blocks_equal_the_whole_file_and_name_rows_as_the_file_does() {
        let dir = tempfile::tempdir().unwrap();
        let mut text = String::from("\u{feff}id,x,note\n");
        for i in 0..50 {
            text += &format!("{i},{},\"line {i}\nmore\"\n", i % 7);
            if i == 20 {
                text += "\n";
            }
        }
        let path = write(dir.path(), "a.csv", text.as_bytes());
        let whole = Table::read(&path, &CsvOptions::default(), &["x"]).unwrap();
        let (tables, all) = batched(&path, (40, 0));
        assert!(tables.len() > 10, "{} batches", tables.len());
        assert!(all.equals_missing(&whole.df), "{all}\n{}", whole.df);
        let rows: usize = tables.iter().map(|t| t.df.height()).sum();
        assert_eq!((rows, tables.last().unwrap().first_row + tables.last().unwrap().df.height()), (51, 51));

        let bad = text.replace("\n44,2,", "\n44,two,");
        let path = write(dir.path(), "b.csv", bad.as_bytes());
        let mut batches = Batches::open(&path, &CsvOptions::default(), None, &["x"]).unwrap();
        batches.size = (40, 0);
        let err = batches
            .map(|p| p.unwrap().table().unwrap())
            .find_map(|t| t.numbers("x", "driver").err())
            .expect("the bad cell is found");
        assert_eq!(
            err.to_string(),
            Table::read(&path, &CsvOptions::default(), &["x"]).unwrap().numbers("x", "driver").unwrap_err().to_string()
        );
        assert!(err.to_string().contains("row 46"), "{err}");
    }

    /// A folder of Parquet files partitioned by quarter and a gzip CSV: sliced into small
    /// batches, they hold the rows of the files, with the partition as a column.
    #[test]
    fn parquet_folder_with_partitions_and_gzip_csv() {
        let dir = tempfile::tempdir().unwrap();
        for (q, n) in [("2025Q1", 7), ("2025Q2", 5)] {
            let mut df = df!("x" => (0..n).map(|i| i as f64).collect::<Vec<_>>()).unwrap();
            let path = dir.path().join(format!("quarter={q}/part-0.parquet"));
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            ParquetWriter::new(File::create(&path).unwrap()).finish(&mut df).unwrap();
        }
        write(dir.path(), "_SUCCESS", b"");
        let (tables, all) = batched(dir.path(), (0, 3));
        assert_eq!(tables.len(), 3 + 2);
        assert_eq!(tables[2].first_row, 6);
        let quarters: Vec<Option<&str>> = all.column("quarter").unwrap().str().unwrap().iter().collect();
        assert_eq!(quarters.iter().filter(|q| **q == Some("2025Q1")).count(), 7);
        assert_eq!(quarters[7], Some("2025Q2"));
        let whole = Table::read(dir.path(), &CsvOptions::default(), &["x"]).unwrap();
        assert_eq!(whole.df.height(), 12);

        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut gz, b"x,y\n1,a\n2,b\n3,c\n").unwrap();
        let path = write(dir.path(), "z/c.csv.gz", &gz.finish().unwrap());
        let (tables, all) = batched(&path, (4, 0));
        assert_eq!((tables.len(), all.height()), (3, 3));
        assert_eq!(all.column("x").unwrap().f64().unwrap().get(2), Some(3.0));
    }
}
