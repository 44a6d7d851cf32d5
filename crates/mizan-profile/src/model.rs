//! The published profile, `mizan.dataset-profile/1`: what a dataset page shows and the JSON
//! the platform offers. Its JSON Schema is `schemas/mizan.dataset-profile-1.schema.json`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The `format` value of every profile this version writes.
pub const FORMAT: &str = "mizan.dataset-profile/1";

/// The published JSON Schema (draft 2020-12) of [`FORMAT`], hand-written in `schemas/` beside
/// this crate and served at `/api/v1/schemas/mizan.dataset-profile-1.json`, the URI its `$id`
/// names.
pub const SCHEMA: &str = include_str!("../schemas/mizan.dataset-profile-1.schema.json");

/// The name [`SCHEMA`] is published under: [`FORMAT`] with `/` as `-`, as the other formats'
/// schemas are named.
pub const SCHEMA_NAME: &str = "mizan.dataset-profile-1";

/// A dataset's profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    /// Always [`FORMAT`].
    pub format: String,
    /// The input's format.
    pub source: crate::Format,
    /// Data rows (the CSV header is not one).
    pub rows: u64,
    /// Rows equal to an earlier row in every column (nulls equal), as pandas `duplicated()`.
    pub duplicate_rows: Estimate,
    /// One profile per column, in file order (JSON Lines: order of first appearance).
    pub columns: Vec<ColumnProfile>,
    /// Groups of the sensitive columns, when any were declared.
    pub bias: Option<BiasProfile>,
    /// The limits the profile was computed with.
    pub limits: LimitsUsed,
}

/// A count, exact or estimated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Estimate {
    /// The count.
    pub count: u64,
    /// `false` when it comes from a sketch (HyperLogLog).
    pub exact: bool,
}

/// The limits that decide when counts turn approximate, echoed so a reader knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LimitsUsed {
    /// Distinct values counted exactly per column.
    pub exact_distinct: u64,
    /// Row hashes kept for the exact duplicate count.
    pub exact_row_hashes: u64,
    /// Values per level of the quantile sketch: quantiles are exact up to this many values.
    pub quantile_buffer: u64,
}

/// What a column holds, the narrowest type all its non-null values fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Whole numbers (64-bit).
    Integer,
    /// Finite decimal numbers.
    Float,
    /// `true`/`false` (CSV: also `True`, `TRUE`, `False`, `FALSE`).
    Boolean,
    /// ISO 8601 calendar dates, `YYYY-MM-DD`.
    Date,
    /// ISO 8601 date and time, with an optional offset.
    Datetime,
    /// Anything else.
    Text,
    /// Every value is null.
    Empty,
}

/// A minimum or maximum: a number for numeric columns, text for text and dates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Scalar {
    /// Boolean columns.
    Bool(bool),
    /// Integer columns.
    Int(i64),
    /// Float columns.
    Float(f64),
    /// Text, date and datetime columns (ISO 8601 text).
    Text(String),
}

/// One column's profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnProfile {
    /// The header's name.
    pub name: String,
    /// The inferred (CSV, JSON Lines) or declared (Parquet) type.
    pub kind: Kind,
    /// Null values (CSV: the null tokens; JSON Lines: `null` or absent).
    pub nulls: u64,
    /// `nulls / rows`, 0 for no rows.
    pub null_share: f64,
    /// Distinct non-null values.
    pub distinct: Estimate,
    /// Smallest value (numbers numerically, text by code point).
    pub min: Option<Scalar>,
    /// Largest value.
    pub max: Option<Scalar>,
    /// Mean of numeric columns; share of `true` for boolean columns.
    pub mean: Option<f64>,
    /// Sample standard deviation (ddof = 1, as pandas' default), for two or more values.
    pub std: Option<f64>,
    /// Quantiles of numeric columns.
    pub quantiles: Option<QuantileSet>,
    /// Equal-width histogram of numeric columns.
    pub histogram: Option<Histogram>,
    /// Most frequent values, count descending then value ascending, rendered as text.
    pub top_values: Vec<TopValue>,
    /// `false` when the counts come from the Misra–Gries summary (each low by at most
    /// non-null values / 1024).
    pub top_exact: bool,
    /// Conformance to the declared format, when one was declared.
    pub pattern: Option<PatternConformance>,
    /// Lengths in characters of text values.
    pub text_length: Option<TextLength>,
}

/// Quantiles by linear interpolation (pandas' default).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct QuantileSet {
    /// 1st percentile.
    pub p1: f64,
    /// 5th percentile.
    pub p5: f64,
    /// 25th percentile.
    pub p25: f64,
    /// Median.
    pub p50: f64,
    /// 75th percentile.
    pub p75: f64,
    /// 95th percentile.
    pub p95: f64,
    /// 99th percentile.
    pub p99: f64,
    /// `false` when computed from the compacted sketch (rank error bound in `limits`).
    pub exact: bool,
}

/// Equal-width bins from min to max; the last bin includes max (as `numpy.histogram`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Histogram {
    /// The bins, low to high.
    pub bins: Vec<Bin>,
    /// `false` when counts come from the sketch (each off by at most twice its rank error).
    pub exact: bool,
}

/// One histogram bin, `[lo, hi)`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Bin {
    /// Lower edge.
    pub lo: f64,
    /// Upper edge.
    pub hi: f64,
    /// Values in the bin.
    pub count: u64,
}

/// A frequent value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopValue {
    /// The value as text.
    pub value: String,
    /// Its count.
    pub count: u64,
}

/// How many non-null values fit the declared format.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PatternConformance {
    /// The declared format as written.
    pub declared: String,
    /// Non-null values that fit it.
    pub conforming: u64,
    /// `conforming / non-null values`, 1 when there are none.
    pub share: f64,
}

/// Character lengths of text values.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TextLength {
    /// Shortest.
    pub min: u64,
    /// Longest.
    pub max: u64,
    /// Mean.
    pub mean: f64,
}

/// Group shares of the declared sensitive columns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BiasProfile {
    /// Groups smaller than this are flagged.
    pub min_group_size: u64,
    /// One entry per declared sensitive column, in the order declared.
    pub columns: Vec<SensitiveColumn>,
}

/// The groups of one sensitive column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SensitiveColumn {
    /// The column.
    pub column: String,
    /// Rows where it is null.
    pub missing: u64,
    /// `missing / rows`.
    pub missing_share: f64,
    /// Groups by count descending, then value.
    pub groups: Vec<Group>,
}

/// One group of a sensitive column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Group {
    /// The value as text.
    pub value: String,
    /// Rows in the group.
    pub count: u64,
    /// `count / rows with a value` (as pandas `value_counts(normalize=True)`).
    pub share: f64,
    /// `count < min_group_size`: too small to report on alone.
    pub under_min_size: bool,
    /// Per other column, the share of this group's rows where it is null.
    pub missing_share_per_column: BTreeMap<String, f64>,
}
