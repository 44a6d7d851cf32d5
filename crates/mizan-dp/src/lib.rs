//! Differentially private queries on a restricted dataset (issue #19): the steward's
//! [`Settings`], an analyst's [`Query`], the [`Plan`] that says before any data is read what
//! a query will spend and how accurate it will be (or why it is refused), the bounded
//! columnar [`Table`] built once per dataset version, and the noisy [`Answer`].
//!
//! Noise and privacy maps come from OpenDP (`opendp`, `contrib`), whose random bits come from
//! the system OpenSSL (`use-openssl`, linked against the platform's libssl, not vendored).
//! This crate reads and writes only through the readers and writers it is given.
#![warn(missing_docs)]

use serde::{Deserialize, Serialize};

/// A column of numbers the sandbox may sum, average, bin or take quantiles of.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NumericColumn {
    /// The column's name in the file.
    pub name: String,
    /// The smallest value; smaller values are raised to it (and missing values take it).
    pub lower: f64,
    /// The largest value; larger values are lowered to it.
    pub upper: f64,
}

/// A column of categories the sandbox may group and filter by.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CategoricalColumn {
    /// The column's name in the file.
    pub name: String,
    /// The public set of categories (for example the four provinces). `None`: the categories
    /// are not public, and a group appears only if it passes partition selection (needs δ).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keys: Option<Vec<String>>,
}

/// The steward's sandbox settings for one dataset version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    /// The column naming the privacy unit (a hashed CNIC, a household id).
    pub unit_column: String,
    /// The most rows one unit may contribute; further rows of the unit are left out.
    pub max_rows_per_unit: u32,
    /// The numeric columns, with their bounds.
    #[serde(default)]
    pub numeric: Vec<NumericColumn>,
    /// The categorical columns.
    #[serde(default)]
    pub categorical: Vec<CategoricalColumn>,
    /// Total ε one project may spend on this version.
    pub project_epsilon: f64,
    /// Total δ one project may spend (0 when no query needs δ).
    #[serde(default)]
    pub project_delta: f64,
    /// The largest ε one query may spend.
    pub max_query_epsilon: f64,
    /// The ε the steward spends once on the synthetic sample (0: none).
    #[serde(default)]
    pub synthetic_epsilon: f64,
}

/// Why settings cannot be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct SettingsError {
    /// The field at fault, as a path (`numeric[1].upper`).
    pub field: String,
    /// What is wrong, in words.
    pub message: String,
}

impl Settings {
    /// Checks the settings against the dataset's columns.
    ///
    /// # Errors
    /// The first field at fault.
    pub fn validate(&self, columns: &[String]) -> Result<(), SettingsError> {
        let _ = columns;
        Err(SettingsError { field: String::new(), message: "not built yet".into() })
    }
}

/// What a query computes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Statistic {
    /// Rows.
    Count,
    /// Sum of a numeric column.
    Sum {
        /// The numeric column.
        column: String,
    },
    /// Mean of a numeric column.
    Mean {
        /// The numeric column.
        column: String,
    },
    /// Counts of a numeric column in equal-width bins between its bounds.
    Histogram {
        /// The numeric column.
        column: String,
        /// Number of bins (2 to 50).
        bins: u32,
    },
    /// A quantile of a numeric column.
    Quantile {
        /// The numeric column.
        column: String,
        /// Which quantile, between 0 and 1 (0.5: the median).
        q: f64,
    },
}

/// Keep rows whose categorical `column` is one of `values`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Filter {
    /// A categorical column.
    pub column: String,
    /// The categories kept.
    pub values: Vec<String>,
}

/// An analyst's query.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Query {
    /// What to compute.
    pub statistic: Statistic,
    /// Up to two categorical columns to group by.
    #[serde(default)]
    pub group_by: Vec<String>,
    /// Conditions on categorical columns, all of which a row must meet.
    #[serde(default)]
    pub filters: Vec<Filter>,
    /// The ε to spend, at most the settings' `max_query_epsilon`.
    pub epsilon: f64,
}

/// Why a query is refused, decided from the settings and the query alone, never the data.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Refusal {
    /// A column the dataset does not have.
    #[error("`{0}` is not a column of this dataset")]
    UnknownColumn(String),
    /// A column the steward did not declare for this use.
    #[error("`{column}` is not declared as a {role} column in the sandbox settings")]
    NotDeclared {
        /// The column.
        column: String,
        /// `numeric` or `categorical`.
        role: String,
    },
    /// ε above the per-query cap, or not positive.
    #[error("ε {asked} is outside (0, {cap}]")]
    EpsilonOverCap {
        /// Asked for.
        asked: f64,
        /// The cap.
        cap: f64,
    },
    /// Anything else wrong with the query's shape.
    #[error("{field}: {message}")]
    Invalid {
        /// The field.
        field: String,
        /// What is wrong.
        message: String,
    },
}

/// The noise a plan adds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mechanism {
    /// Discrete Laplace (geometric) noise on integers.
    DiscreteLaplace,
    /// Discrete Laplace noise with a threshold (partition selection; spends δ).
    DiscreteLaplaceThreshold,
    /// The exponential mechanism over candidates (quantiles).
    Exponential,
}

/// What a query will do, decided before the data is read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// The query, normalised.
    pub query: Query,
    /// The mechanism.
    pub mechanism: Mechanism,
    /// The noise scale of each released number (for a mean: of its sum; see `count_scale`).
    pub scale: f64,
    /// A mean's count noise scale.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count_scale: Option<f64>,
    /// ε spent.
    pub epsilon: f64,
    /// δ spent.
    pub delta: f64,
    /// Half-width of the 95 % interval of each released number's noise.
    pub accuracy95: f64,
    /// The partition-selection threshold, when the groups are not public.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f64>,
    /// The query's shape in words without values, for the budget ledger
    /// (`mean(income) by province where sex in 1 value`).
    pub shape: String,
}

/// Plans `query` under `settings`.
///
/// # Errors
/// The [`Refusal`], decided without the data.
pub fn plan(settings: &Settings, query: &Query) -> Result<Plan, Refusal> {
    let _ = (settings, query);
    Err(Refusal::Invalid { field: String::new(), message: "not built yet".into() })
}

/// One released number.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cell {
    /// The group's categories, one per `group_by` column (and the bin for a histogram).
    pub group: Vec<String>,
    /// The noisy value.
    pub value: f64,
    /// The 95 % interval around `value`.
    pub low: f64,
    /// The 95 % interval around `value`.
    pub high: f64,
}

/// A query's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Answer {
    /// The plan it followed.
    pub plan: Plan,
    /// The released numbers.
    pub cells: Vec<Cell>,
    /// Cells left out: failed partition selection, or fewer than [`MIN_CELL`] noisy rows.
    pub suppressed: usize,
}

/// Noisy counts below this are not released (the Five Safes' minimum cell size).
pub const MIN_CELL: f64 = 10.0;

/// Why a table cannot be built or read.
#[derive(Debug, thiserror::Error)]
pub enum TableError {
    /// Bad input, with where.
    #[error("{0}")]
    Input(String),
    /// I/O or Arrow.
    #[error("{0}")]
    Io(String),
}

/// What building a table did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableStats {
    /// Rows read.
    pub rows_in: u64,
    /// Rows kept after bounding each unit's contribution.
    pub rows_kept: u64,
    /// Units seen.
    pub units: u64,
}

/// Builds the bounded columnar table of a dataset version from its rows.
pub struct TableBuilder {
    _private: (),
}

impl TableBuilder {
    /// A builder for rows with this header.
    ///
    /// # Errors
    /// A declared column missing from the header.
    pub fn new(settings: &Settings, header: &[String]) -> Result<TableBuilder, TableError> {
        let _ = (settings, header);
        Err(TableError::Input("not built yet".into()))
    }

    /// Adds one row (fields in header order).
    ///
    /// # Errors
    /// A row of the wrong width.
    pub fn push(&mut self, row: &[&str]) -> Result<(), TableError> {
        let _ = row;
        Ok(())
    }

    /// Writes the table (Arrow IPC file) to `out`.
    ///
    /// # Errors
    /// I/O.
    pub fn finish(self, out: impl std::io::Write) -> Result<TableStats, TableError> {
        let _ = out;
        Err(TableError::Input("not built yet".into()))
    }
}

/// A bounded columnar table, with only the columns a query needs read.
pub struct Table {
    _private: (),
}

impl Table {
    /// Reads the columns `plan` needs from an Arrow IPC file written by [`TableBuilder`].
    ///
    /// # Errors
    /// I/O, or a file that is not such a table.
    pub fn read_for(
        plan: &Plan,
        settings: &Settings,
        file: impl std::io::Read + std::io::Seek,
    ) -> Result<Table, TableError> {
        let _ = (plan, settings, file);
        Err(TableError::Input("not built yet".into()))
    }
}

/// Runs `plan` on `table`: never fails on the data's content.
///
/// # Errors
/// Only the random source failing.
pub fn answer(plan: &Plan, settings: &Settings, table: &Table) -> Result<Answer, String> {
    let _ = (plan, settings, table);
    Err("not built yet".into())
}

/// Writes a synthetic sample of `rows` rows as CSV to `out`, generated from noisy one- and
/// two-way marginals of the table under `settings.synthetic_epsilon`.
///
/// # Errors
/// I/O, or settings without a synthetic budget.
pub fn synthesize(
    settings: &Settings,
    file: impl std::io::Read + std::io::Seek,
    rows: usize,
    out: impl std::io::Write,
) -> Result<u64, TableError> {
    let _ = (settings, file, rows, out);
    Err(TableError::Input("not built yet".into()))
}
