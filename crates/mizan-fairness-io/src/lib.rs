//! File readers for fairness audits.
//!
//! The engine (`mizan-fairness`) does no I/O; this crate reads a decisions file, keeps only
//! the needed columns, validates labels and predictions (row numbers in every error) and
//! hashes the bytes so the report can name exactly what was audited. CSV, Parquet and Arrow
//! IPC (file and stream) are recognised by their first bytes; Parquet and IPC decode only the
//! requested columns (`columnar.rs`). Every column is dictionary-coded as it is read, so
//! memory is four bytes per row and column plus the distinct values.
#![warn(missing_docs)]

mod columnar;

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

pub use mizan_fairness;
use mizan_fairness::{Cells, Column, Input, MISSING};
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
    /// The engine refused the columns.
    #[error(transparent)]
    Engine(#[from] mizan_fairness::FairnessError),
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

fn is_missing(v: &str) -> bool {
    matches!(v.trim(), "" | "NaN" | "nan" | "NA" | "null" | "None")
}

/// Reads `path` (CSV, Parquet or Arrow IPC) and counts cells.
///
/// # Errors
/// See [`ReadError`]: unreadable, empty, missing columns, malformed rows or files, missing
/// labels, non-binary labels without a positive label, bad weights, unsupported column types.
pub fn load(path: &Path, spec: &Spec) -> Result<Loaded, ReadError> {
    let bytes = std::fs::read(path).map_err(|source| ReadError::Io { path: path.to_owned(), source })?;
    let sha256 = hex::encode(Sha256::digest(&bytes));
    let raw = if columnar::is_parquet(&bytes) {
        columnar::parquet(path, bytes::Bytes::from(bytes), spec)?
    } else {
        read(path, &bytes, spec)?
    };
    finish(path, sha256, spec, raw)
}

/// Like [`load`] over bytes already in memory; `path` only names the source in errors.
///
/// # Errors
/// As [`load`].
pub fn load_bytes(path: &Path, bytes: &[u8], spec: &Spec) -> Result<Loaded, ReadError> {
    let sha256 = hex::encode(Sha256::digest(bytes));
    let raw = if columnar::is_parquet(bytes) {
        columnar::parquet(path, bytes::Bytes::copy_from_slice(bytes), spec)?
    } else {
        read(path, bytes, spec)?
    };
    finish(path, sha256, spec, raw)
}

/// CSV or Arrow IPC.
fn read(path: &Path, bytes: &[u8], spec: &Spec) -> Result<Raw, ReadError> {
    if columnar::is_ipc(bytes) { columnar::ipc(path, bytes, spec) } else { csv_raw(path, bytes, spec) }
}

/// A column dictionary-coded as it is read.
#[derive(Debug, Default)]
struct Dict {
    index: HashMap<String, u32>,
    levels: Vec<String>,
    codes: Vec<u32>,
}

impl Dict {
    fn push(&mut self, v: &str) {
        let code = if let Some(&c) = self.index.get(v) {
            c
        } else {
            let c = u32::try_from(self.levels.len()).unwrap_or(u32::MAX);
            self.index.insert(v.to_owned(), c);
            self.levels.push(v.to_owned());
            c
        };
        self.codes.push(code);
    }

    fn into_column(self, name: &str) -> Result<Column, ReadError> {
        Ok(Column::from_codes(name, self.levels, self.codes)?)
    }
}

/// The requested columns of a file, coded, before the positive label is chosen.
#[derive(Debug, Default)]
struct Raw {
    label: Dict,
    prediction: Dict,
    sensitive: Vec<Dict>,
    control: Option<Dict>,
    weight: Option<Vec<f64>>,
    rows: usize,
}

/// Where a row is, for errors: its 1-based data row and, in text files, its line.
#[derive(Debug, Clone, Copy)]
struct At<'a> {
    path: &'a Path,
    row: usize,
    line: Option<usize>,
}

impl Raw {
    fn new(spec: &Spec) -> Self {
        Self {
            sensitive: spec.sensitive.iter().map(|_| Dict::default()).collect(),
            control: spec.control.as_ref().map(|_| Dict::default()),
            weight: spec.weight.as_ref().map(|_| Vec::new()),
            ..Self::default()
        }
    }

    /// Appends one row; `values` are the requested columns in [`columns`] order, `None` for
    /// a null.
    fn push(&mut self, spec: &Spec, at: At<'_>, values: &[Option<&str>]) -> Result<(), ReadError> {
        let get = |k: usize| values.get(k).copied().flatten();
        for (k, column) in [(0, &spec.label), (1, &spec.prediction)] {
            let v = get(k);
            if v.is_none_or(is_missing) {
                let value = v.unwrap_or("null").to_owned();
                return Err(match at.line {
                    Some(line) => {
                        ReadError::MissingValue { column: column.clone(), row: at.row, line, value }
                    }
                    None => ReadError::MissingCell {
                        column: column.clone(),
                        row: at.row,
                        path: at.path.to_owned(),
                        value,
                    },
                });
            }
        }
        self.label.push(get(0).unwrap_or("").trim());
        self.prediction.push(get(1).unwrap_or("").trim());
        // A missing sensitive or control value becomes the engine's visible `(missing)` group.
        let group = |v: Option<&str>| match v {
            Some(v) if !is_missing(v) => v.to_owned(),
            _ => MISSING.to_owned(),
        };
        let mut k = 2;
        for d in &mut self.sensitive {
            d.push(&group(get(k)));
            k += 1;
        }
        if let Some(d) = &mut self.control {
            d.push(&group(get(k)));
            k += 1;
        }
        if let Some(w) = &mut self.weight {
            let v = get(k);
            let parsed = v.and_then(|v| v.trim().parse::<f64>().ok()).filter(|w| w.is_finite() && *w >= 0.0);
            let Some(x) = parsed else {
                return Err(ReadError::BadWeight {
                    column: spec.weight.clone().unwrap_or_default(),
                    row: at.row,
                    value: v.unwrap_or("null").to_owned(),
                });
            };
            w.push(x);
        }
        self.rows += 1;
        Ok(())
    }
}

/// The requested column names in the order [`Raw::push`] takes their values.
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

fn csv_raw(path: &Path, bytes: &[u8], spec: &Spec) -> Result<Raw, ReadError> {
    let mut rdr = csv::ReaderBuilder::new().from_reader(bytes);
    let csv_err = |e: csv::Error| ReadError::Csv {
        path: path.to_owned(),
        line: e.position().map_or(0, csv::Position::line),
        message: e.to_string(),
    };
    let headers = rdr.headers().map_err(csv_err)?.clone();
    if headers.iter().all(|h| h.trim().is_empty()) {
        return Err(ReadError::Empty { path: path.to_owned() });
    }
    let idx: Vec<usize> = columns(spec)
        .into_iter()
        .map(|name| {
            headers.iter().position(|h| h == name).ok_or_else(|| missing_column(path, name, headers.iter()))
        })
        .collect::<Result<_, _>>()?;
    let mut raw = Raw::new(spec);
    let mut rec = csv::StringRecord::new();
    while rdr.read_record(&mut rec).map_err(csv_err)? {
        let row = raw.rows + 1;
        let values: Vec<Option<&str>> = idx.iter().map(|&i| rec.get(i)).collect();
        raw.push(spec, At { path, row, line: Some(row + 1) }, &values)?;
    }
    Ok(raw)
}

fn finish(path: &Path, sha256: String, spec: &Spec, raw: Raw) -> Result<Loaded, ReadError> {
    if raw.rows == 0 {
        return Err(ReadError::Empty { path: path.to_owned() });
    }
    let levels: Vec<&String> = raw.label.levels.iter().chain(&raw.prediction.levels).collect();
    let pos = match &spec.pos_label {
        Some(p) => {
            if !levels.contains(&p) {
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
    let positive = |d: &Dict| -> Vec<bool> {
        let is_pos: Vec<bool> = d.levels.iter().map(|l| *l == pos).collect();
        // Every code was handed out by `Dict::push` as an index into its own `levels`.
        d.codes.iter().map(|&c| is_pos[c as usize]).collect()
    };
    let label = positive(&raw.label);
    let prediction = positive(&raw.prediction);
    let sensitive: Vec<Column> =
        spec.sensitive.iter().zip(raw.sensitive).map(|(n, d)| d.into_column(n)).collect::<Result<_, _>>()?;
    let control = match (spec.control.as_deref(), raw.control) {
        (Some(n), Some(d)) => Some(d.into_column(n)?),
        _ => None,
    };
    let cells = Cells::count(&Input {
        label: &label,
        prediction: &prediction,
        sensitive: &sensitive,
        control: control.as_ref(),
        weight: raw.weight.as_deref(),
    })?;
    Ok(Loaded { cells, sha256, rows: raw.rows, pos_label: pos })
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
