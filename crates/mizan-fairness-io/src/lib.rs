//! File readers for fairness audits.
//!
//! The engine (`mizan-fairness`) does no I/O; this crate streams a decisions file through the
//! engine's [`Tally`] and hashes its bytes so the report can name exactly what was audited.
//! CSV, Parquet and Arrow IPC (file and stream) are recognised by their first bytes. The
//! count pass is one streaming pass over chunks: CSV in blocks cut at record boundaries
//! (`csv.rs`), Parquet by row group and Arrow IPC files by record batch, decoding only the
//! requested columns (`columnar.rs`). Chunks are tallied in parallel with rayon and merged in
//! a tree fixed by the number of chunks, so memory is O(groups + threads × chunk), never
//! O(rows), and the numbers do not depend on the number of threads. Values become codes in
//! `code.rs`, which also validates labels, predictions and weights (row numbers in every
//! error). Records that do not come from a file (a system's logged decisions) are counted one
//! at a time through [`Rows`] (`rows.rs`), with the same checks.
//!
//! Every read is bounded before the work grows ([`Bounds`], on the [`Spec`]): values longer
//! than a limit, a feature with too many distinct values, or more intersections (sensitive
//! values × control strata, which the report lists one by one, empty or not) than a limit are
//! refused as soon as a batch of at most 16 Ki rows shows them, so a tally never holds more
//! than one batch beyond its limits. A Parquet file is refused before any page is decoded when
//! its metadata declares more decompressed bytes in a requested column chunk, or in all of
//! them, than the limits allow.
#![warn(missing_docs)]

mod code;
mod columnar;
mod csv;
mod rows;

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use mizan_fairness::{Cells, Tally};
pub use rows::Rows;
use sha2::{Digest, Sha256};

/// What to read.
#[derive(Debug, Clone, Default)]
pub struct Spec {
    /// Ground-truth column.
    pub label: String,
    /// Decision column.
    pub prediction: String,
    /// Sensitive feature columns.
    pub sensitive: Vec<String>,
    /// Control feature column.
    pub control: Option<String>,
    /// Sample weight column.
    pub weight: Option<String>,
    /// The positive (favourable) label; inferred for {0,1}, {-1,1} and {false,true}.
    pub pos_label: Option<String>,
    /// Limits on the work the read may cause.
    pub bounds: Bounds,
}

/// Limits on the work one read may cause, each checked before the work it bounds grows past
/// it. The defaults are the platform's (`mizan_app::limits::Limits`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounds {
    /// Most distinct values (groups) of one sensitive or control column.
    pub groups_per_feature: usize,
    /// Most intersections: the product of the sensitive columns' distinct values and the
    /// control column's strata (the report lists every one, empty or not).
    pub intersections: usize,
    /// Longest value of a requested column, in characters.
    pub value_chars: usize,
    /// Most decompressed bytes a Parquet column chunk of a requested column may declare.
    pub chunk_bytes: u64,
    /// Most decompressed bytes all requested Parquet column chunks may declare together.
    pub file_bytes: u64,
}

impl Default for Bounds {
    fn default() -> Self {
        Bounds {
            groups_per_feature: 2000,
            intersections: 5000,
            value_chars: 256,
            chunk_bytes: 16 << 20,
            file_bytes: 128 << 20,
        }
    }
}

/// Told how far reading has come, from any thread; the binary draws a progress bar with it.
pub trait Progress: Sync {
    /// `bytes` more work is ahead (called once per pass, before it starts).
    fn add_work(&self, bytes: u64);
    /// `bytes` of work are done.
    fn work_done(&self, bytes: u64);
}

/// How to read. The defaults suit large files; tests shrink the chunks.
#[derive(Clone, Copy)]
pub struct Options<'a> {
    /// Where to report progress.
    pub progress: Option<&'a dyn Progress>,
    /// Target size of a CSV block in bytes: blocks end at the first record boundary after it.
    pub csv_block: usize,
    /// Rows per decoded Parquet batch (small enough that a batch of the requested columns
    /// stays in the CPU cache while it is coded and counted).
    pub batch_rows: usize,
}

impl Default for Options<'_> {
    fn default() -> Self {
        Self { progress: None, csv_block: 4 << 20, batch_rows: 16 * 1024 }
    }
}

impl std::fmt::Debug for Options<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Options")
            .field("progress", &self.progress.is_some())
            .field("csv_block", &self.csv_block)
            .field("batch_rows", &self.batch_rows)
            .finish()
    }
}

/// Errors reading a decisions file.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The file could not be opened or read.
    #[error("cannot read `{path}`")]
    Io {
        /// Path.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// The file has no data rows.
    #[error("`{path}` is empty: it has no data rows; check the file and its header")]
    Empty {
        /// Path.
        path: PathBuf,
    },
    /// A requested column is absent.
    #[error("column `{column}` not found in `{path}` (columns: {present})")]
    MissingColumn {
        /// The missing column.
        column: String,
        /// Path.
        path: PathBuf,
        /// Columns present, backticked and comma-separated.
        present: String,
    },
    /// Malformed CSV (for example a row with a different number of fields).
    #[error(
        "malformed CSV in `{path}` at line {line}: {message}; every row must have as many fields as the header"
    )]
    Csv {
        /// Path.
        path: PathBuf,
        /// 1-based line.
        line: u64,
        /// Parser message.
        message: String,
    },
    /// A label or prediction is null or NaN in a columnar file.
    #[error(
        "column `{column}` is `{value}` at data row {row} of `{path}`; labels and predictions must be present"
    )]
    MissingCell {
        /// Column.
        column: String,
        /// 1-based data row.
        row: usize,
        /// Path.
        path: PathBuf,
        /// The value found (`null` for a null).
        value: String,
    },
    /// A label or prediction is missing or NaN.
    #[error(
        "column `{column}` is `{value}` at data row {row} (line {line}); labels and predictions must be present"
    )]
    MissingValue {
        /// Column.
        column: String,
        /// 1-based data row.
        row: usize,
        /// 1-based line in the file.
        line: usize,
        /// The value found.
        value: String,
    },
    /// Labels are not binary and no positive label was given.
    #[error("cannot tell the positive label: `{column}` has values {values}; pass `--pos-label VALUE`")]
    NotBinary {
        /// Column.
        column: String,
        /// Distinct values seen (first few).
        values: String,
    },
    /// The positive label never occurs.
    #[error("positive label `{pos}` does not occur in `{label}` or `{prediction}`; check `--pos-label`")]
    PosLabelAbsent {
        /// The positive label.
        pos: String,
        /// Label column.
        label: String,
        /// Prediction column.
        prediction: String,
    },
    /// A weight is not a number.
    #[error("weight column `{column}` is `{value}` at data row {row}; weights must be non-negative numbers")]
    BadWeight {
        /// Column.
        column: String,
        /// 1-based data row.
        row: usize,
        /// The value.
        value: String,
    },
    /// A Parquet or Arrow IPC file that cannot be decoded.
    #[error(
        "cannot read `{path}` as {format}: {message}; this build reads uncompressed, snappy and lz4 data from complete files (rewrite zstd, gzip or brotli files with one of these, or as CSV)"
    )]
    Columnar {
        /// Path.
        path: PathBuf,
        /// `Parquet` or `Arrow IPC`.
        format: &'static str,
        /// The decoder's message.
        message: String,
    },
    /// A requested column of a columnar file has a type that is not text, integer, float or
    /// boolean (or a dictionary of those).
    #[error(
        "column `{column}` in `{path}` has type `{data_type}`; use text, integer, float or boolean columns"
    )]
    ColumnType {
        /// Column.
        column: String,
        /// Path.
        path: PathBuf,
        /// The Arrow data type.
        data_type: String,
    },
    /// A sensitive or control column has more distinct values than an audit compares.
    #[error(
        "column `{column}` has more than {limit} distinct values; an audit compares at most {limit} groups per column (group the values into fewer bands)"
    )]
    TooManyGroups {
        /// Column.
        column: String,
        /// The limit.
        limit: usize,
    },
    /// The sensitive columns' values and the control strata make too many intersections.
    #[error(
        "columns {columns} make at least {found} intersections; an audit compares at most {limit} (use fewer sensitive columns or group their values)"
    )]
    TooManyIntersections {
        /// The columns with their numbers of values: `` `sex` (2), `region` (900) ``.
        columns: String,
        /// Intersections found so far (a lower bound).
        found: usize,
        /// The limit.
        limit: usize,
    },
    /// A value longer than the limit.
    #[error(
        "column `{column}` has a value of {chars} characters at data row {row}; values may have at most {limit}"
    )]
    ValueTooLong {
        /// Column.
        column: String,
        /// 1-based data row.
        row: usize,
        /// Length of the value in characters (at least `limit + 1`).
        chars: usize,
        /// The limit.
        limit: usize,
    },
    /// A Parquet column chunk declares more decompressed bytes than the limit.
    #[error(
        "column `{column}` of row group {row_group} in `{path}` declares {declared} decompressed bytes; at most {limit} are read per column chunk (write smaller row groups)"
    )]
    DecompressedChunk {
        /// Path.
        path: PathBuf,
        /// Column.
        column: String,
        /// 1-based row group.
        row_group: usize,
        /// Bytes declared.
        declared: u64,
        /// The limit.
        limit: u64,
    },
    /// The requested columns of a Parquet file declare more decompressed bytes than the limit.
    #[error(
        "the requested columns of `{path}` declare {declared} decompressed bytes; at most {limit} are read (split the file)"
    )]
    DecompressedFile {
        /// Path.
        path: PathBuf,
        /// Bytes declared.
        declared: u64,
        /// The limit.
        limit: u64,
    },
    /// The engine refused the columns.
    #[error(transparent)]
    Engine(#[from] mizan_fairness::FairnessError),
}

impl ReadError {
    /// The same error seen from `rows` rows earlier: chunks number their rows from 1, and
    /// merging a chunk after others moves its errors down by the rows before it.
    fn after_rows(mut self, rows: usize) -> Self {
        match &mut self {
            Self::MissingCell { row, .. }
            | Self::MissingValue { row, .. }
            | Self::BadWeight { row, .. }
            | Self::ValueTooLong { row, .. } => {
                *row += rows;
            }
            _ => {}
        }
        self
    }
}

/// A file reduced to cells, with its identity.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The count cells.
    pub cells: Cells,
    /// SHA-256 of the file bytes, lowercase hex.
    pub sha256: String,
    /// Data rows read.
    pub rows: usize,
    /// The positive label used.
    pub pos_label: String,
}

/// The count pass alone: cells without the file's hash.
#[derive(Debug, Clone)]
pub struct Counted {
    /// The count cells.
    pub cells: Cells,
    /// Data rows read.
    pub rows: usize,
    /// The positive label used.
    pub pos_label: String,
}

/// A value as an error message shows it: at most 64 characters, so an error never grows
/// with a long value.
fn clip(v: &str) -> String {
    const SHOWN: usize = 64;
    match v.char_indices().nth(SHOWN) {
        Some((at, _)) => format!("{}…", &v[..at]),
        None => v.to_owned(),
    }
}

fn is_missing(v: &str) -> bool {
    matches!(v.trim(), "" | "NaN" | "nan" | "NA" | "null" | "None")
}

/// Reads `path` (CSV, Parquet or Arrow IPC), counts cells and hashes the file.
///
/// # Errors
/// See [`ReadError`]: unreadable, empty, missing columns, malformed rows or files, missing
/// labels, non-binary labels without a positive label, bad weights, unsupported column types,
/// and anything past the spec's [`Bounds`].
pub fn load(path: &Path, spec: &Spec) -> Result<Loaded, ReadError> {
    load_with(path, spec, &Options::default())
}

/// [`load`] with progress reporting and chunk sizes. For Parquet and Arrow IPC the hash is
/// computed beside the count pass; for CSV in the pass that finds the blocks.
///
/// # Errors
/// As [`load`].
pub fn load_with(path: &Path, spec: &Spec, opts: &Options<'_>) -> Result<Loaded, ReadError> {
    run(&Ctx::new(path, Source::File(path), spec, opts), true)
}

/// Like [`load`] over bytes already in memory; `path` only names the source in errors.
///
/// # Errors
/// As [`load`].
pub fn load_bytes(path: &Path, bytes: &[u8], spec: &Spec) -> Result<Loaded, ReadError> {
    run(&Ctx::new(path, Source::Memory(bytes), spec, &Options::default()), true)
}

/// The count pass alone (no hash): what `mizan audit fairness --timings` measures.
///
/// # Errors
/// As [`load`].
pub fn count(path: &Path, spec: &Spec, opts: &Options<'_>) -> Result<Counted, ReadError> {
    let l = run(&Ctx::new(path, Source::File(path), spec, opts), false)?;
    Ok(Counted { cells: l.cells, rows: l.rows, pos_label: l.pos_label })
}

/// SHA-256 of a file, lowercase hex, read in blocks.
///
/// # Errors
/// [`ReadError::Io`] if the file cannot be read.
pub fn sha256(path: &Path, progress: Option<&dyn Progress>) -> Result<String, ReadError> {
    let src = Source::File(path);
    let len = src.len(path)?;
    if let Some(p) = progress {
        p.add_work(len);
    }
    let mut h = Sha256::new();
    src.stream(path, |block| {
        h.update(block);
        if let Some(p) = progress {
            p.work_done(block.len() as u64);
        }
    })?;
    Ok(hex::encode(h.finalize()))
}

/// Threads the count pass runs on (rayon's pool: `RAYON_NUM_THREADS`, else one per core).
#[must_use]
pub fn threads() -> usize {
    rayon::current_num_threads()
}

fn run(ctx: &Ctx<'_>, hash: bool) -> Result<Loaded, ReadError> {
    let head = ctx.src.head(ctx.path, 8)?;
    let (tally, sha256) = if columnar::is_parquet(&head) || columnar::is_ipc(&head) {
        let count = || {
            if columnar::is_parquet(&head) { columnar::parquet(ctx) } else { columnar::ipc(ctx) }
        };
        if hash {
            let (digest, tally) = rayon::join(|| ctx.sha256(), count);
            (tally?, Some(digest?))
        } else {
            (count()?, None)
        }
    } else {
        csv::count(ctx, hash)?
    };
    let (cells, rows, pos_label) = ctx.finish(tally)?;
    Ok(Loaded { cells, sha256: sha256.unwrap_or_default(), rows, pos_label })
}

/// Where the bytes are: a file each worker opens for itself, or memory.
#[derive(Debug, Clone, Copy)]
enum Source<'a> {
    File(&'a Path),
    Memory(&'a [u8]),
}

impl Source<'_> {
    fn io(path: &Path) -> impl Fn(std::io::Error) -> ReadError + '_ {
        move |source| ReadError::Io { path: path.to_owned(), source }
    }

    fn len(&self, path: &Path) -> Result<u64, ReadError> {
        match self {
            Self::File(p) => Ok(std::fs::metadata(p).map_err(Self::io(path))?.len()),
            Self::Memory(b) => Ok(b.len() as u64),
        }
    }

    /// Up to `n` bytes from the start.
    fn head(&self, path: &Path, n: usize) -> Result<Vec<u8>, ReadError> {
        match self {
            Self::File(p) => {
                let mut out = Vec::with_capacity(n);
                let f = std::fs::File::open(p).map_err(Self::io(path))?;
                f.take(n as u64).read_to_end(&mut out).map_err(Self::io(path))?;
                Ok(out)
            }
            Self::Memory(b) => Ok(b[..n.min(b.len())].to_vec()),
        }
    }

    /// `len` bytes from `offset` (a file is opened anew, so workers never share a cursor).
    fn read_at(&self, path: &Path, offset: u64, len: usize) -> Result<Cow<'_, [u8]>, ReadError> {
        match self {
            Self::File(p) => {
                let mut f = std::fs::File::open(p).map_err(Self::io(path))?;
                f.seek(SeekFrom::Start(offset)).map_err(Self::io(path))?;
                let mut out = vec![0; len];
                f.read_exact(&mut out).map_err(Self::io(path))?;
                Ok(Cow::Owned(out))
            }
            Self::Memory(b) => {
                let lo = usize::try_from(offset).unwrap_or(usize::MAX).min(b.len());
                Ok(Cow::Borrowed(&b[lo..lo.saturating_add(len).min(b.len())]))
            }
        }
    }

    /// Every byte in order, in blocks of at most 1 MiB.
    fn stream(&self, path: &Path, mut f: impl FnMut(&[u8])) -> Result<(), ReadError> {
        const BLOCK: usize = 1 << 20;
        match self {
            Self::File(p) => {
                let mut file = std::fs::File::open(p).map_err(Self::io(path))?;
                let mut buf = vec![0; BLOCK];
                loop {
                    let n = match file.read(&mut buf) {
                        Ok(0) => return Ok(()),
                        Ok(n) => n,
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                        Err(e) => return Err(Self::io(path)(e)),
                    };
                    f(&buf[..n]);
                }
            }
            Self::Memory(b) => {
                b.chunks(BLOCK).for_each(f);
                Ok(())
            }
        }
    }
}

/// Why a chunk gave no tally.
enum Stop {
    Failed(ReadError),
    /// An earlier chunk already failed, so this one was not read.
    Skipped,
}

impl From<ReadError> for Stop {
    fn from(e: ReadError) -> Self {
        Self::Failed(e)
    }
}

impl From<mizan_fairness::FairnessError> for Stop {
    fn from(e: mizan_fairness::FairnessError) -> Self {
        Self::Failed(e.into())
    }
}

/// One read of one file.
struct Ctx<'a> {
    path: &'a Path,
    src: Source<'a>,
    spec: &'a Spec,
    opts: &'a Options<'a>,
    /// The lowest chunk that failed (`usize::MAX` while none has); later chunks are skipped.
    failed: AtomicUsize,
}

/// Without `--pos-label`, labels and predictions may together take at most this many values
/// (the binary codings are {0,1}, {0.0,1.0}, {-1,1}, {true,false} and their spellings).
const OUTCOME_VALUES: usize = 16;

impl<'a> Ctx<'a> {
    fn new(path: &'a Path, src: Source<'a>, spec: &'a Spec, opts: &'a Options<'a>) -> Self {
        Self { path, src, spec, opts, failed: AtomicUsize::new(usize::MAX) }
    }

    fn tally(&self) -> Result<Tally, ReadError> {
        Ok(Tally::new(&self.spec.sensitive, self.spec.control.as_deref(), self.spec.weight.is_some())?)
    }

    fn add_work(&self, bytes: u64) {
        if let Some(p) = self.opts.progress {
            p.add_work(bytes);
        }
    }

    fn work_done(&self, bytes: u64) {
        if let Some(p) = self.opts.progress {
            p.work_done(bytes);
        }
    }

    fn sha256(&self) -> Result<String, ReadError> {
        self.add_work(self.src.len(self.path)?);
        let mut h = Sha256::new();
        self.src.stream(self.path, |block| {
            h.update(block);
            self.work_done(block.len() as u64);
        })?;
        Ok(hex::encode(h.finalize()))
    }

    fn check_tally(&self, t: &Tally) -> Result<(), ReadError> {
        check_tally(self.spec, t)
    }

    /// Tallies chunks `0..n` in parallel and merges them in order (see
    /// [`mizan_fairness::tally::merge_tree`]); the first error in file order wins, with its
    /// row counted from the start of the file.
    fn chunks(
        &self,
        n: usize,
        leaf: impl Fn(usize) -> Result<Tally, ReadError> + Sync,
    ) -> Result<Tally, ReadError> {
        let leaf = |k: usize| -> Result<Tally, Stop> {
            if k > self.failed.load(Ordering::Relaxed) {
                return Err(Stop::Skipped);
            }
            leaf(k).map_err(|e| {
                self.failed.fetch_min(k, Ordering::Relaxed);
                Stop::Failed(e)
            })
        };
        let join = |a: Result<Tally, Stop>, b: Result<Tally, Stop>| -> Result<Tally, Stop> {
            let mut a = a?;
            match b {
                Ok(b) => {
                    a.merge(b)?;
                    self.check_tally(&a)?;
                    Ok(a)
                }
                Err(Stop::Failed(e)) => {
                    Err(Stop::Failed(e.after_rows(usize::try_from(a.rows()).unwrap_or(usize::MAX))))
                }
                Err(Stop::Skipped) => Err(Stop::Skipped),
            }
        };
        match mizan_fairness::tally::merge_tree(n, &leaf, &join) {
            None => self.tally(),
            Some(Ok(t)) => Ok(t),
            Some(Err(Stop::Failed(e))) => Err(e),
            // The leftmost chunk that stopped failed: a chunk is skipped only after an earlier one fails.
            Some(Err(Stop::Skipped)) => Err(ReadError::Empty { path: self.path.to_owned() }),
        }
    }

    /// Chooses the positive label and turns the tally into cells.
    fn finish(&self, t: Tally) -> Result<(Cells, usize, String), ReadError> {
        finish(self.spec, self.path, t)
    }
}

/// Checks a tally against the spec's bounds and the outcome values: called after every batch,
/// so a tally never holds more than one batch of values beyond a limit.
fn check_tally(spec: &Spec, t: &Tally) -> Result<(), ReadError> {
    check_outcomes(spec, t)?;
    let b = &spec.bounds;
    // The group dimensions (sensitive, then control) and their names; the weight is not one.
    let groups: Vec<(&str, usize)> = columns(spec)
        .into_iter()
        .enumerate()
        .take(t.dims())
        .skip(2)
        .map(|(d, c)| (c, t.levels(d).len()))
        .collect();
    let mut product = 1usize;
    for &(column, n) in &groups {
        if n > b.groups_per_feature {
            return Err(ReadError::TooManyGroups { column: column.to_owned(), limit: b.groups_per_feature });
        }
        product = product.saturating_mul(n.max(1));
    }
    if product > b.intersections {
        let columns: Vec<String> = groups.iter().map(|(c, n)| format!("`{c}` ({n})")).collect();
        return Err(ReadError::TooManyIntersections {
            columns: columns.join(" × "),
            found: product,
            limit: b.intersections,
        });
    }
    Ok(())
}

/// Without a positive label, too many distinct labels and predictions cannot be binary:
/// stop before they fill memory.
fn check_outcomes(spec: &Spec, t: &Tally) -> Result<(), ReadError> {
    if spec.pos_label.is_none() && t.levels(0).len() + t.levels(1).len() > OUTCOME_VALUES {
        let values: BTreeSet<&str> = t.levels(0).iter().chain(t.levels(1)).map(String::as_str).collect();
        let shown: Vec<String> = values.iter().take(6).map(|v| format!("`{v}`")).collect();
        return Err(ReadError::NotBinary { column: spec.label.clone(), values: shown.join(", ") });
    }
    Ok(())
}

/// Chooses the positive label and turns the tally of `path` into cells.
fn finish(spec: &Spec, path: &Path, t: Tally) -> Result<(Cells, usize, String), ReadError> {
    if t.rows() == 0 {
        return Err(ReadError::Empty { path: path.to_owned() });
    }
    let levels: Vec<&String> = t.levels(0).iter().chain(t.levels(1)).collect();
    let pos = match &spec.pos_label {
        // Values other than `p` were coded as the empty level, which no present label is.
        Some(p) => {
            if p.is_empty() || !levels.contains(&p) {
                return Err(ReadError::PosLabelAbsent {
                    pos: p.clone(),
                    label: spec.label.clone(),
                    prediction: spec.prediction.clone(),
                });
            }
            p.clone()
        }
        None => infer_pos(&spec.label, &levels)?,
    };
    let rows = usize::try_from(t.rows()).unwrap_or(usize::MAX);
    Ok((t.into_cells(|v| v == pos), rows, pos))
}

/// The requested column names: label, prediction, the sensitive features, the control
/// feature and the weight, in the order of the tally's dimensions (weight last).
fn columns(spec: &Spec) -> Vec<&str> {
    let mut c = vec![spec.label.as_str(), spec.prediction.as_str()];
    c.extend(spec.sensitive.iter().map(String::as_str));
    c.extend(spec.control.as_deref());
    c.extend(spec.weight.as_deref());
    c
}

/// The error for a requested column absent from `present`.
fn missing_column<'a>(path: &Path, column: &str, present: impl Iterator<Item = &'a str>) -> ReadError {
    ReadError::MissingColumn {
        column: column.to_owned(),
        path: path.to_owned(),
        present: present.map(|h| format!("`{h}`")).collect::<Vec<_>>().join(", "),
    }
}

fn infer_pos(column: &str, levels: &[&String]) -> Result<String, ReadError> {
    let values: BTreeSet<&str> = levels.iter().map(|v| v.as_str()).collect();
    let norm: BTreeSet<String> = values.iter().map(|v| v.to_ascii_lowercase()).collect();
    let is = |set: &[&str]| norm.iter().all(|v| set.contains(&v.as_str()));
    if (is(&["0", "1", "0.0", "1.0"]) || is(&["-1", "1", "-1.0", "1.0"]))
        && let Some(one) = values.iter().find(|v| v.trim_end_matches(".0") == "1")
    {
        return Ok((*one).to_owned());
    }
    if is(&["true", "false"])
        && let Some(t) = values.iter().find(|v| v.eq_ignore_ascii_case("true"))
    {
        return Ok((*t).to_owned());
    }
    let shown: Vec<String> = values.iter().take(6).map(|v| format!("`{v}`")).collect();
    Err(ReadError::NotBinary { column: column.to_owned(), values: shown.join(", ") })
}
