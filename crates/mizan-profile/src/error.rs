//! The one error type: what was wrong with the input and where.

use std::fmt;

/// Where in the input: a CSV or JSON Lines line (1-based, the header is line 1 of a CSV) or
/// a Parquet row (1-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position {
    /// A line of a text file.
    Line(u64),
    /// A row of a Parquet file.
    Row(u64),
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Line(l) => write!(f, "line {l}"),
            Self::Row(r) => write!(f, "row {r}"),
        }
    }
}

/// Why a profile could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProfileError {
    /// More columns than [`crate::Limits::max_columns`], refused before reading any data.
    #[error("the file has {found} columns, more than the limit of {limit}; split it or raise the limit")]
    TooManyColumns {
        /// Columns found.
        found: usize,
        /// The limit.
        limit: usize,
    },
    /// A value longer than [`crate::Limits::max_value_chars`].
    #[error("{at}: the value of column `{column}` has {chars} characters, more than the limit of {limit}")]
    ValueTooLong {
        /// Where.
        at: Position,
        /// The column.
        column: String,
        /// Its length in characters.
        chars: usize,
        /// The limit.
        limit: usize,
    },
    /// A CSV record with more or fewer fields than the header.
    #[error("{at}: found a record with {found} fields, but the header has {expected}")]
    RaggedRow {
        /// Where.
        at: Position,
        /// Fields in the record.
        found: usize,
        /// Fields in the header.
        expected: usize,
    },
    /// A CSV quote opened and never closed.
    #[error("{at}: a quoted field starts here and is never closed; add the closing `\"`")]
    UnterminatedQuote {
        /// Where the quote opens.
        at: Position,
    },
    /// A record longer than 64 MiB (a quote left open is the usual cause).
    #[error("{at}: a record runs past 64 MiB without ending; check for an unclosed quote")]
    RecordTooLong {
        /// Where the record starts.
        at: Position,
    },
    /// Bytes that are not UTF-8.
    #[error("{at}: a value of column `{column}` is not valid UTF-8; save the file as UTF-8")]
    NotUtf8 {
        /// Where.
        at: Position,
        /// The column (the header when empty).
        column: String,
    },
    /// Malformed CSV the `csv` crate refused.
    #[error("{at}: malformed CSV: {message}")]
    Csv {
        /// Where.
        at: Position,
        /// The parser's message.
        message: String,
    },
    /// A JSON Lines line that is not a JSON object.
    #[error("{at}: not a JSON object: {message}")]
    Json {
        /// Where.
        at: Position,
        /// What was wrong.
        message: String,
    },
    /// A file the Parquet reader refused.
    #[error("not a readable Parquet file: {message}")]
    Parquet {
        /// The reader's message.
        message: String,
    },
    /// A Parquet column of a type this crate does not profile.
    #[error(
        "column `{column}` has type `{data_type}`, which cannot be profiled; cast it to text or a number"
    )]
    UnsupportedType {
        /// The column.
        column: String,
        /// Its Arrow type.
        data_type: String,
    },
    /// An unsigned 64-bit integer above the signed range.
    #[error("{at}: the value of column `{column}` is above 9223372036854775807")]
    IntegerOverflow {
        /// Where.
        at: Position,
        /// The column.
        column: String,
    },
    /// No header, or a header of empty names only.
    #[error("the file has no header row")]
    NoHeader,
    /// A column name given twice.
    #[error("column `{column}` appears twice in the header; rename one")]
    DuplicateColumn {
        /// The name.
        column: String,
    },
    /// A sensitive or declared-format column that the file does not have.
    #[error("column `{column}` not found (columns: {available})")]
    UnknownColumn {
        /// The name asked for.
        column: String,
        /// The file's columns, back-quoted and comma-separated.
        available: String,
    },
    /// A sensitive column with more groups than [`crate::Limits::max_groups`].
    #[error(
        "sensitive column `{column}` has more than {limit} distinct values; declare a coarser column (an age band, not an age)"
    )]
    TooManyGroups {
        /// The column.
        column: String,
        /// The limit.
        limit: usize,
    },
    /// A declared format that is not one.
    #[error("the format `{declared}` declared for column `{column}` is not valid: {message}")]
    BadPattern {
        /// The column.
        column: String,
        /// The format as declared.
        declared: String,
        /// What was wrong.
        message: String,
    },
    /// Reading the input failed.
    #[error("reading the input failed: {0}")]
    Io(#[from] std::io::Error),
}

/// `` `a`, `b`, `c` `` for an error message (at most 20 names).
pub(crate) fn list<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    let mut out: Vec<String> = names.into_iter().take(21).map(|n| format!("`{n}`")).collect();
    if out.len() > 20 {
        out.truncate(20);
        out.push("...".to_owned());
    }
    out.join(", ")
}
