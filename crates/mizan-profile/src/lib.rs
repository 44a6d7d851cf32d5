//! Column and bias profiles of a tabular file (CSV, Parquet, JSON Lines) in one streaming
//! pass, with memory bounded by the number of columns and the [`Limits`], not by rows.
//!
//! Issue #18's national AI data repository computes a profile on upload and shows it on the
//! dataset page. Each column gets its type, nulls, distinct count, min/max, mean and
//! standard deviation, quantiles, a histogram, top values and conformance to a declared
//! format; the dataset gets its row count and duplicate rows; declared sensitive columns
//! get a [`BiasProfile`] that [`bias::compare`] sets against a reference population such
//! as the 2023 census ([`references`]).
//!
//! Exact where it can be, and saying so where it cannot: distinct counts are exact up to
//! [`Limits::exact_distinct`] values, then HyperLogLog (±0.8 %); top values exact up to the
//! same limit, then Misra–Gries; quantiles and histograms exact up to
//! [`Limits::quantile_buffer`] values, then a deterministic compactor sketch; duplicate rows
//! exact up to [`Limits::exact_row_hashes`] distinct rows, then rows minus a HyperLogLog
//! estimate. Every such figure carries an `exact` flag. Hashes use fixed seeds and blocks
//! are merged in file order, so the same file gives the same profile on any machine and
//! any number of threads.
//!
//! This crate does no I/O of its own: the caller opens the file and passes a reader (or,
//! for Parquet, a `File` or any [`ChunkReader`]). Work runs on the current rayon pool.
//! Other scanners (the platform's PII finder) ride on the same pass as [`ValueObserver`]s.
#![warn(missing_docs)]

pub mod bias;
mod column;
mod csv;
mod engine;
mod error;
mod hash;
mod jsonl;
mod model;
mod parquet;
mod pattern;
mod sketch;
pub mod svg;
mod text;
mod time;

use std::io::Read;

use ::parquet::file::reader::ChunkReader;
use serde::{Deserialize, Serialize};

pub use crate::bias::{Comparison, Reference, references};
pub use crate::error::{Position, ProfileError};
pub use crate::model::*;
pub use crate::pattern::Pattern;

/// CSV cells read as null: empty, `NA`, `N/A`, `n/a`, `NULL`, `null`, `NaN`, `nan`, `None`
/// and `<NA>` (the common part of pandas' default list), compared exactly, never trimmed.
pub const NULL_TOKENS: [&str; 10] = ["", "NA", "N/A", "n/a", "NULL", "null", "NaN", "nan", "None", "<NA>"];

/// An input format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// Comma-separated values with a header row (RFC 4180 quoting), UTF-8.
    Csv,
    /// Apache Parquet.
    Parquet,
    /// One flat JSON object per line.
    JsonLines,
}

/// Bounds on work and on when figures turn approximate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// A file with more columns is refused before any row is read.
    pub max_columns: usize,
    /// A longer value (in characters) is refused, naming its line or row.
    pub max_value_chars: usize,
    /// Distinct values per column counted exactly; beyond, HyperLogLog.
    pub exact_distinct: usize,
    /// Top values reported per column.
    pub top_k: usize,
    /// Values per level of the quantile sketch; quantiles are exact up to this many.
    pub quantile_buffer: usize,
    /// Histogram bins.
    pub histogram_bins: usize,
    /// Distinct row hashes kept for an exact duplicate count (8 bytes each).
    pub exact_row_hashes: usize,
    /// Groups allowed per sensitive column.
    pub max_groups: usize,
    /// Bytes per CSV or JSON Lines block.
    pub block_bytes: usize,
    /// Rows per Parquet batch.
    pub batch_rows: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_columns: 1_000,
            max_value_chars: 65_536,
            exact_distinct: 10_000,
            top_k: 10,
            quantile_buffer: 4_096,
            histogram_bins: 20,
            exact_row_hashes: 1_000_000,
            max_groups: 1_000,
            block_bytes: 1 << 20,
            batch_rows: 8_192,
        }
    }
}

/// What to profile and how.
#[derive(Debug, Clone)]
pub struct Options {
    /// Bounds.
    pub limits: Limits,
    /// Columns whose groups make the bias profile (gender, province, age band, ...).
    pub sensitive: Vec<String>,
    /// Groups with fewer rows are flagged `under_min_size`.
    pub min_group_size: u64,
    /// Declared formats by column.
    pub formats: Vec<(String, Pattern)>,
}

impl Default for Options {
    fn default() -> Self {
        Self { limits: Limits::default(), sensitive: Vec::new(), min_group_size: 10, formats: Vec::new() }
    }
}

/// Something that sees every non-null value of a column during the pass (a PII scanner).
///
/// Called with every non-null value of CSV and JSON Lines columns as written, and of
/// Parquet text and integer columns as text. Calls for one column come from several
/// threads in turn (never at once), a block at a time, blocks in no fixed order.
pub trait ValueObserver: Send {
    /// Sees one value.
    fn observe(&mut self, value: &str);

    /// Sees `value` `count` times (Parquet dictionaries); override when counting is cheaper.
    fn observe_repeated(&mut self, value: &str, count: u64) {
        for _ in 0..count {
            self.observe(value);
        }
    }
}

impl<T: ValueObserver + ?Sized> ValueObserver for Box<T> {
    fn observe(&mut self, value: &str) {
        (**self).observe(value);
    }
    fn observe_repeated(&mut self, value: &str, count: u64) {
        (**self).observe_repeated(value, count);
    }
}

/// The observer type when there are none (it has no values).
#[derive(Debug)]
pub enum NoObserver {}

impl ValueObserver for NoObserver {
    fn observe(&mut self, _: &str) {
        match *self {}
    }
}

/// The observer factory that makes none: `profile_csv(r, &options, &mut no_observers)`.
#[must_use]
pub fn no_observers(_column: &str) -> Option<NoObserver> {
    None
}

/// A profile and the observers that saw the values, by column name.
#[derive(Debug)]
pub struct Profiled<O> {
    /// The profile.
    pub profile: Profile,
    /// Each observer the factory made, with its column.
    pub observers: Vec<(String, O)>,
}

/// The factory asked once per column for that column's observer.
pub type ObserverFactory<'f, O> = dyn FnMut(&str) -> Option<O> + Send + 'f;

fn finish<O: ValueObserver>(
    partial: Result<engine::Partial, ProfileError>,
    ctx: &engine::Ctx<'_>,
    observers: engine::Observers<'_, O>,
    format: Format,
) -> Result<Profiled<O>, ProfileError> {
    let profile = partial?.finish(ctx, format)?;
    Ok(Profiled { profile, observers: observers.into_vec() })
}

/// Profiles a CSV stream.
///
/// # Errors
/// Malformed CSV (ragged record, unclosed quote, not UTF-8), a limit exceeded, an unknown
/// sensitive or declared column, or a read failure; each names the line and column.
pub fn profile_csv<R: Read + Send, O: ValueObserver>(
    reader: R,
    options: &Options,
    observers: &mut ObserverFactory<'_, O>,
) -> Result<Profiled<O>, ProfileError> {
    let ctx = engine::Ctx::new(options);
    let obs = engine::Observers::new(observers);
    let p = csv::profile(reader, &ctx, &obs);
    finish(p, &ctx, obs, Format::Csv)
}

/// Profiles a JSON Lines stream.
///
/// # Errors
/// A line that is not a JSON object, a limit exceeded, an unknown sensitive or declared
/// column, or a read failure.
pub fn profile_json_lines<R: Read + Send, O: ValueObserver>(
    reader: R,
    options: &Options,
    observers: &mut ObserverFactory<'_, O>,
) -> Result<Profiled<O>, ProfileError> {
    let ctx = engine::Ctx::new(options);
    let obs = engine::Observers::new(observers);
    let p = jsonl::profile(reader, &ctx, &obs);
    finish(p, &ctx, obs, Format::JsonLines)
}

/// Profiles a Parquet file through any [`ChunkReader`] (`bytes::Bytes` for one in memory).
/// Row groups are read at once from several threads, so `get_read` must give independent
/// readers; for a `File` use [`profile_file`], which reads with positioned reads.
///
/// # Errors
/// A file the Parquet reader refuses, a column of an unsupported type, a limit exceeded,
/// or an unknown sensitive or declared column.
pub fn profile_parquet<R: ChunkReader + 'static, O: ValueObserver>(
    reader: R,
    options: &Options,
    observers: &mut ObserverFactory<'_, O>,
) -> Result<Profiled<O>, ProfileError> {
    let ctx = engine::Ctx::new(options);
    let obs = engine::Observers::new(observers);
    let p = parquet::profile(reader, &ctx, &obs);
    finish(p, &ctx, obs, Format::Parquet)
}

/// Profiles an open file of the given format.
///
/// # Errors
/// As [`profile_csv`], [`profile_json_lines`] or [`profile_parquet`].
pub fn profile_file<O: ValueObserver>(
    format: Format,
    file: std::fs::File,
    options: &Options,
    observers: &mut ObserverFactory<'_, O>,
) -> Result<Profiled<O>, ProfileError> {
    match format {
        Format::Csv => profile_csv(std::io::BufReader::new(file), options, observers),
        Format::JsonLines => profile_json_lines(std::io::BufReader::new(file), options, observers),
        Format::Parquet => {
            let f = parquet::FileReader(std::sync::Arc::new(parquet::PositionedFile::new(file)?));
            profile_parquet(f, options, observers)
        }
    }
}
