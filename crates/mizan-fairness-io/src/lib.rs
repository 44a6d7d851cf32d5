//! File readers for fairness audits.
//!
//! The engine (`mizan-fairness`) does no I/O; this crate reads a decisions file, keeps only
//! the needed columns, validates labels and predictions (row numbers in every error) and
//! hashes the bytes so the report can name exactly what was audited. CSV is supported;
//! Parquet and Arrow IPC are recognised by their magic bytes and refused with a clear error
//! until the arrow readers land.
#![warn(missing_docs)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

pub use mizan_fairness;
use mizan_fairness::{Cells, Column, Input};
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
    #[error("cannot read `{path}`: {source}")]
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
    /// A columnar format this build cannot read.
    #[error(
        "`{path}` looks like {format}, which this build cannot read yet; convert it to CSV (for example with `pyarrow.csv.write_csv`)"
    )]
    Unsupported {
        /// Path.
        path: PathBuf,
        /// Format name.
        format: &'static str,
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

/// Reads `path` (CSV) and counts cells.
///
/// # Errors
/// See [`ReadError`]: unreadable, empty, missing columns, malformed rows, missing labels,
/// non-binary labels without a positive label, bad weights, Parquet/Arrow input.
pub fn load(path: &Path, spec: &Spec) -> Result<Loaded, ReadError> {
    let bytes = std::fs::read(path).map_err(|source| ReadError::Io { path: path.to_owned(), source })?;
    load_bytes(path, &bytes, spec)
}

/// Like [`load`] over bytes already in memory; `path` only names the source in errors.
///
/// # Errors
/// As [`load`].
pub fn load_bytes(path: &Path, bytes: &[u8], spec: &Spec) -> Result<Loaded, ReadError> {
    if bytes.starts_with(b"PAR1") {
        return Err(ReadError::Unsupported { path: path.to_owned(), format: "Parquet" });
    }
    if bytes.starts_with(b"ARROW1") || bytes.starts_with(&[0xff, 0xff, 0xff, 0xff]) {
        return Err(ReadError::Unsupported { path: path.to_owned(), format: "Arrow IPC" });
    }
    let sha256 = hex::encode(Sha256::digest(bytes));
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
    let find = |name: &str| {
        headers.iter().position(|h| h == name).ok_or_else(|| ReadError::MissingColumn {
            column: name.to_owned(),
            path: path.to_owned(),
            present: headers.iter().map(|h| format!("`{h}`")).collect::<Vec<_>>().join(", "),
        })
    };
    let li = find(&spec.label)?;
    let pi = find(&spec.prediction)?;
    let si: Vec<usize> = spec.sensitive.iter().map(|s| find(s)).collect::<Result<_, _>>()?;
    let ci = spec.control.as_deref().map(find).transpose()?;
    let wi = spec.weight.as_deref().map(find).transpose()?;
    let mut labels = Vec::new();
    let mut preds = Vec::new();
    let mut sens: Vec<Vec<String>> = vec![Vec::new(); si.len()];
    let mut ctrl = Vec::new();
    let mut weights = Vec::new();
    let mut rec = csv::StringRecord::new();
    let mut row = 0usize;
    while rdr.read_record(&mut rec).map_err(csv_err)? {
        row += 1;
        for (col, idx) in [(&spec.label, li), (&spec.prediction, pi)] {
            let v = rec.get(idx).unwrap_or("");
            if is_missing(v) {
                return Err(ReadError::MissingValue {
                    column: col.clone(),
                    row,
                    line: row + 1,
                    value: v.to_owned(),
                });
            }
        }
        labels.push(rec.get(li).unwrap_or("").trim().to_owned());
        preds.push(rec.get(pi).unwrap_or("").trim().to_owned());
        // A missing sensitive or control value becomes the engine's visible `(missing)` group.
        let group_value = |i: usize| {
            let v = rec.get(i).unwrap_or("");
            if is_missing(v) { String::new() } else { v.to_owned() }
        };
        for (k, &i) in si.iter().enumerate() {
            sens[k].push(group_value(i));
        }
        if let Some(i) = ci {
            ctrl.push(group_value(i));
        }
        if let Some(i) = wi {
            let v = rec.get(i).unwrap_or("");
            let w: f64 =
                v.trim().parse().ok().filter(|w: &f64| w.is_finite() && *w >= 0.0).ok_or_else(|| {
                    ReadError::BadWeight {
                        column: spec.weight.clone().unwrap_or_default(),
                        row,
                        value: v.to_owned(),
                    }
                })?;
            weights.push(w);
        }
    }
    if row == 0 {
        return Err(ReadError::Empty { path: path.to_owned() });
    }
    let pos = match &spec.pos_label {
        Some(p) => {
            if !labels.iter().chain(&preds).any(|v| v == p) {
                return Err(ReadError::PosLabelAbsent {
                    pos: p.clone(),
                    label: spec.label.clone(),
                    prediction: spec.prediction.clone(),
                });
            }
            p.clone()
        }
        None => infer_pos(&spec.label, &labels, &preds)?,
    };
    let label: Vec<bool> = labels.iter().map(|v| *v == pos).collect();
    let prediction: Vec<bool> = preds.iter().map(|v| *v == pos).collect();
    let sensitive: Vec<Column> = spec
        .sensitive
        .iter()
        .zip(&sens)
        .map(|(n, vals)| Column::from_values(n, vals.iter().map(|v| Some(v.as_str()))))
        .collect();
    let control =
        spec.control.as_deref().map(|n| Column::from_values(n, ctrl.iter().map(|v| Some(v.as_str()))));
    let cells = Cells::count(&Input {
        label: &label,
        prediction: &prediction,
        sensitive: &sensitive,
        control: control.as_ref(),
        weight: wi.map(|_| weights.as_slice()),
    })?;
    Ok(Loaded { cells, sha256, rows: row, pos_label: pos })
}

fn infer_pos(column: &str, labels: &[String], preds: &[String]) -> Result<String, ReadError> {
    let values: BTreeSet<&str> = labels.iter().chain(preds).map(String::as_str).collect();
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
