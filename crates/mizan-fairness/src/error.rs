//! The one error type of the fairness engine.

/// What can go wrong when building cells or computing metrics.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum FairnessError {
    /// Two columns that must be aligned have different numbers of rows.
    #[error(
        "column `{column}` has {found} rows but `{expected_from}` has {expected}; pass columns of equal length"
    )]
    LengthMismatch {
        /// The offending column.
        column: String,
        /// Its length.
        found: usize,
        /// The column it was compared with.
        expected_from: String,
        /// That column's length.
        expected: usize,
    },
    /// A weight is negative or not finite.
    #[error("weight in row {row} is `{value}`; weights must be finite and non-negative")]
    BadWeight {
        /// Zero-based row index.
        row: usize,
        /// The weight.
        value: f64,
    },
    /// A dictionary code points outside its dictionary.
    #[error(
        "column `{column}` row {row} has code {code} but only {levels} levels; rebuild the column with `Column::from_values`"
    )]
    BadCode {
        /// Column name.
        column: String,
        /// Zero-based row index.
        row: usize,
        /// The code.
        code: u32,
        /// Dictionary size.
        levels: usize,
    },
    /// Cells with different feature names cannot be merged.
    #[error("cannot merge cells over features `{left}` with cells over `{right}`; audit the same columns")]
    MergeMismatch {
        /// Left feature list.
        left: String,
        /// Right feature list.
        right: String,
    },
    /// No sensitive feature was given.
    #[error("no sensitive feature given; pass at least one column")]
    NoSensitive,
    /// A batch given to a tally has the wrong number of coded columns or of weights.
    #[error(
        "a tally of {expected} coded columns (weighted: {weighted}) was given {found} (weights: {found_weight}); pass one code slice per dimension, and weights exactly when the tally is weighted"
    )]
    Shape {
        /// Dimensions of the tally.
        expected: usize,
        /// Whether the tally counts weights.
        weighted: bool,
        /// Slices given.
        found: usize,
        /// Whether weights were given.
        found_weight: bool,
    },
}
