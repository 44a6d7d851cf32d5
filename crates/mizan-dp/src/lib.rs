//! Differentially private queries on a restricted dataset (issue #19): the steward's
//! [`Settings`], an analyst's [`Query`], the [`Plan`] that says before any data is read what
//! a query will spend and how accurate it will be (or why it is [`Refusal`]-ed), the bounded
//! columnar [`Table`] built once per dataset version, and the noisy [`Answer`], which holds
//! numbers, never rows; also a synthetic sample from noisy marginals ([`synthetic_plan`],
//! [`synthesize`]).
//!
//! **Privacy unit.** A person or household (`unit_column`). The table keeps the first
//! `k = max_rows_per_unit` rows of each unit in file order, so datasets that differ by one
//! unit differ by at most `k` rows: OpenDP's `SymmetricDistance` at `d_in = k`. A row lies
//! in exactly one cell, so grouped counts and histograms have L1 sensitivity `k`, a grouped
//! sum `k · max(|lower|, |upper|)`. Numbers are fixed point ([`NumericColumn::decimals`]):
//! sums are exact integers and get discrete Laplace noise, so no floating-point rounding can
//! widen a sensitivity.
//!
//! **Calibration.** Every noise scale is the smallest whose OpenDP privacy map at `d_in` is
//! within the ε asked, found with OpenDP's own search as Python OpenDP's `binary_search_param`
//! finds it; `tests/oracle.rs` checks every plan shape against Python OpenDP. A mean spends
//! half its ε on sums and half on counts (its denominators); a sum or a quantile spends a
//! quarter on counts used only to leave out cells under [`MIN_CELL`] noisy rows; a grouped
//! quantile gives each group `1 / min(k, groups)` of the rest (a unit reaches at most that
//! many groups). Shares never round above the ε asked. [`Plan::mapped_epsilon`] is what the
//! maps certify.
//!
//! **Groups without public keys** are released by partition selection
//! (`make_count_by` then `make_laplace_threshold`), which spends the settings' `query_delta`;
//! only groups whose noisy count passes the threshold appear, and how many did not is not
//! told. Quantiles are `make_private_quantile`'s scores over up to 1,001 evenly spaced
//! candidates with report-noisy-max (permute-and-flip).
//!
//! **Intervals** (95 %) come from OpenDP's `discrete_laplacian_scale_to_accuracy`. A mean's
//! combines its sum's and count's, each at α = 0.025, over the box they span. A quantile's
//! is the candidate spacing only; its rank error is [`Plan::rank_accuracy95`].
//!
//! **Answers never branch on data**: release decisions read noisy values only, and a filter
//! matching nothing answers like any other. [`answer()`] plans the query again from the
//! settings and uses that plan's noise, so a plan edited in storage cannot lower it.
//!
//! Noise and privacy maps come from OpenDP (`opendp`, `contrib`), whose random bits come from
//! the system OpenSSL (`use-openssl`, linked against the platform's libssl, not vendored);
//! noise is never seeded. This crate reads and writes only through the readers and writers
//! it is given.
#![warn(missing_docs)]

mod answer;
mod calibrate;
mod hash;
mod plan;
mod settings;
mod synthetic;
mod table;

#[doc(hidden)]
pub use answer::{ExactCell, exact};
pub use plan::{MAX_CELLS, MAX_FILTER_VALUES, MAX_QUANTILE_GROUPS, QUANTILE_CANDIDATES};
pub use settings::{MAX_DECIMALS, MAX_DECLARED_COLUMNS, MAX_DELTA, MAX_KEYS, MAX_ROWS_PER_UNIT};
pub use synthetic::{MAX_SYNTHETIC_ROWS, SYNTHETIC_BINS, SyntheticPlan};
pub use table::{BATCH_ROWS, MAX_DICTIONARY, Table, TableBuilder};

use serde::{Deserialize, Serialize};

/// A column of numbers the sandbox may sum, average, bin or take quantiles of.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NumericColumn {
    /// The column's name in the file.
    pub name: String,
    /// The smallest value; smaller values are raised to it (and missing values take it).
    pub lower: f64,
    /// The largest value; larger values are lowered to it.
    pub upper: f64,
    /// Decimals kept (0 to 6): values are stored and summed as integers in units of
    /// 10^-decimals, rounded half away from zero. The bounds must fit in 2^53 units.
    #[serde(default)]
    pub decimals: u8,
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
    /// The δ one query spends when it needs partition selection (grouping by a column
    /// without public keys): above 0, below 10^-3 and at most `project_delta`.
    #[serde(default = "settings::default_query_delta")]
    pub query_delta: f64,
    /// The dataset's columns (its header), when known: lets a plan tell a column the dataset
    /// lacks ([`Refusal::UnknownColumn`]) from one the steward did not declare
    /// ([`Refusal::NotDeclared`]). Empty: an undeclared column is reported as unknown.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dataset_columns: Vec<String>,
}

/// Empty settings with the defaults serde gives missing fields (`query_delta` 10^-7), for
/// building settings field by field; they do not validate until filled in.
impl Default for Settings {
    fn default() -> Self {
        Settings {
            unit_column: String::new(),
            max_rows_per_unit: 1,
            numeric: Vec::new(),
            categorical: Vec::new(),
            project_epsilon: 0.0,
            project_delta: 0.0,
            max_query_epsilon: 0.0,
            synthetic_epsilon: 0.0,
            query_delta: settings::default_query_delta(),
            dataset_columns: Vec::new(),
        }
    }
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
        self.validate_against(columns)
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
    /// The noise scale of each released number: rows for a count or histogram, the column's
    /// units for a sum or mean (of the sum), rows of rank for a quantile (its scores' scale).
    pub scale: f64,
    /// The noise scale of the counts spent alongside a sum, mean or quantile, in rows: a
    /// mean's denominators; for a sum or quantile used only to leave out small cells.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count_scale: Option<f64>,
    /// ε spent: what the budget is charged (the query's ε).
    pub epsilon: f64,
    /// δ spent: the settings' `query_delta` when partition selection runs, else 0.
    pub delta: f64,
    /// Half-width of the 95 % interval of each released number's noise: a count's or sum's
    /// (α = 0.05); for a mean, its sum's at α = 0.025 (see `count_accuracy95`; cells carry
    /// the combined interval); for a quantile, the widest candidate spacing, in the column's
    /// units (see `rank_accuracy95`).
    pub accuracy95: f64,
    /// The partition-selection threshold in rows, when the groups are not public: a group
    /// appears when its noisy count reaches it (and [`MIN_CELL`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f64>,
    /// The query's shape in words without values, for the budget ledger
    /// (`mean(income) by province where sex in 1 value`).
    pub shape: String,
    /// Half-width of the interval of the counts' noise, in rows (α = 0.025 for a mean, so
    /// that with the sum's it holds at 95 %; else α = 0.05).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count_accuracy95: Option<f64>,
    /// A quantile's rank error: with 95 % probability the released candidate's score is
    /// within this many rows of the best candidate's (`scale · ln(candidates / 0.05)`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rank_accuracy95: Option<f64>,
    /// The ε OpenDP's privacy maps certify for the mechanisms at `d_in = k`, added up: at
    /// most `epsilon`.
    #[serde(default)]
    pub mapped_epsilon: f64,
    /// The δ OpenDP's privacy map certifies: at most `delta`.
    #[serde(default)]
    pub mapped_delta: f64,
}

/// Plans `query` under `settings`.
///
/// # Errors
/// The [`Refusal`], decided without the data.
pub fn plan(settings: &Settings, query: &Query) -> Result<Plan, Refusal> {
    plan::design(settings, query).map(|d| d.plan)
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
    /// Cells left out because their noisy count was below [`MIN_CELL`]. Groups that fail
    /// partition selection are not counted: how many groups the data has is not public.
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

/// Runs `plan` on `table`: never fails on the data's content.
///
/// The plan is made again from `settings` and `plan.query`, and that plan's noise is used
/// (a plan edited in storage cannot lower it).
///
/// # Errors
/// The random source failing; or, before the data is read, a plan made under other settings
/// or a table read for another plan or built with other settings.
pub fn answer(plan: &Plan, settings: &Settings, table: &Table) -> Result<Answer, String> {
    answer::answer(plan, settings, table)
}

/// What a synthetic sample spends and holds, from the settings alone: record its spend in
/// the budget ledger before calling [`synthesize`].
///
/// # Errors
/// Settings without a synthetic budget (`synthetic_epsilon` 0) or without a column to
/// synthesize.
pub fn synthetic_plan(settings: &Settings) -> Result<SyntheticPlan, Refusal> {
    synthetic::plan(settings)
}

/// Writes a synthetic sample of `rows` rows as CSV to `out`, generated from noisy one- and
/// two-way marginals of the table under `settings.synthetic_epsilon` (see
/// [`synthetic_plan`] for its spend). The first column, `synthetic`, is `yes` on every row.
///
/// # Errors
/// I/O, a table built with other settings, settings without a synthetic budget, or more
/// than [`MAX_SYNTHETIC_ROWS`] rows.
pub fn synthesize(
    settings: &Settings,
    file: impl std::io::Read + std::io::Seek,
    rows: usize,
    out: impl std::io::Write,
) -> Result<u64, TableError> {
    synthetic::synthesize(settings, file, rows, out)
}
