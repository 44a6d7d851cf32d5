//! Planning a query from the settings and the query alone: refusals, the mechanisms, their
//! noise scales and the accuracy, all before any data is read.
//!
//! How ε is shared within one query:
//! - a count or histogram spends it all on its counts;
//! - a mean spends half on the sums and half on the counts (its denominators);
//! - a sum spends a quarter on counts used only to leave out cells under [`crate::MIN_CELL`] rows
//!   (never released) and the rest on the sums;
//! - a quantile spends a quarter on such counts and the rest on the quantiles; grouped, a
//!   unit's `k` rows reach at most `m = min(k, groups)` groups, so each group's mechanism
//!   gets `1/m` of it (basic composition over the maps OpenDP certifies).
//!
//! Splits are exact: no share is rounded above what is left (`calibrate::split_evenly`).

use crate::calibrate::{self, Calibrated, QuantileConstants};
use crate::settings::{Fixed, list_names};
use crate::{Filter, Mechanism, Plan, Query, Refusal, Settings, Statistic};

/// The most cells one query may release (groups times bins).
pub const MAX_CELLS: usize = 20_000;
/// The most groups of one quantile query.
pub const MAX_QUANTILE_GROUPS: usize = 1000;
/// The most quantile candidates, evenly spaced from the lower bound to the upper.
pub const QUANTILE_CANDIDATES: usize = 1001;
/// The most values of one filter.
pub const MAX_FILTER_VALUES: usize = 1000;

/// What a query computes, resolved against the settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Stat {
    Count,
    Sum,
    Mean,
    Histogram { bins: u32 },
    Quantile { q: f64 },
}

/// One dimension of the cells.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Dim {
    /// A categorical column with public keys: codes `0..keys.len()`; the code `keys.len()`
    /// (a value outside the keys) lies in no cell.
    Public { column: String, keys: Vec<String> },
    /// A categorical column whose categories are not public: dictionary codes, each cell
    /// released only through partition selection.
    Private { column: String },
    /// The bins of a histogram over the statistic's column.
    Bins { bins: u32 },
}

/// A filter, resolved.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FilterSpec {
    pub column: String,
    pub values: Vec<String>,
    /// The column's public keys, if any (then every value is one of them).
    pub keys: Option<Vec<String>>,
}

/// Everything [`crate::answer()`] needs, decided from the settings and the query.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Design {
    pub plan: Plan,
    pub stat: Stat,
    /// The statistic's numeric column and its fixed-point view.
    pub column: Option<(String, Fixed)>,
    pub dims: Vec<Dim>,
    pub filters: Vec<FilterSpec>,
    /// Rows per unit.
    pub k: u32,
    /// Partition selection on the counts (some group column has no public keys).
    pub selection: bool,
    /// Noise scale of the counts, in rows.
    pub count_scale: f64,
    /// Noise scale of the sums, in units of 10^-decimals.
    pub sum_scale: Option<f64>,
    /// Noise scale of each quantile, in rows.
    pub quantile_scale: Option<f64>,
    /// The selection threshold, in rows.
    pub threshold: Option<i64>,
    /// Quantile candidates, in units.
    pub candidates: Vec<i64>,
    pub quantile: Option<QuantileConstants>,
    /// Half-widths of the intervals: of a count and of a sum (units), at the significance
    /// the statistic uses (0.05, or 0.025 each for a mean).
    pub count_accuracy: f64,
    pub sum_accuracy: Option<f64>,
}

impl Design {
    /// The columns the query reads.
    pub fn columns(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let mut add = |c: &str| {
            if !out.iter().any(|o| o == c) {
                out.push(c.to_owned());
            }
        };
        for d in &self.dims {
            match d {
                Dim::Public { column, .. } | Dim::Private { column } => add(column),
                Dim::Bins { .. } => {}
            }
        }
        for f in &self.filters {
            add(&f.column);
        }
        if let Some((c, _)) = &self.column {
            add(c);
        }
        out
    }
}

fn invalid(field: impl Into<String>, message: impl Into<String>) -> Refusal {
    Refusal::Invalid { field: field.into(), message: message.into() }
}

fn opendp_failed(e: &opendp::error::Error) -> Refusal {
    invalid(
        "epsilon",
        format!("OpenDP could not calibrate the noise: {}", e.message.as_deref().unwrap_or("no detail")),
    )
}

/// A column the query names in the wrong role or not at all.
fn misplaced(settings: &Settings, column: &str, role: &str) -> Refusal {
    let declared = settings.numeric.iter().any(|n| n.name == column)
        || settings.categorical.iter().any(|c| c.name == column);
    if declared || column == settings.unit_column || settings.dataset_columns.iter().any(|c| c == column) {
        Refusal::NotDeclared { column: column.to_owned(), role: role.to_owned() }
    } else {
        Refusal::UnknownColumn(column.to_owned())
    }
}

fn numeric<'a>(settings: &'a Settings, column: &str) -> Result<&'a crate::NumericColumn, Refusal> {
    settings.numeric.iter().find(|n| n.name == column).ok_or_else(|| misplaced(settings, column, "numeric"))
}

fn categorical<'a>(settings: &'a Settings, column: &str) -> Result<&'a crate::CategoricalColumn, Refusal> {
    settings
        .categorical
        .iter()
        .find(|c| c.name == column)
        .ok_or_else(|| misplaced(settings, column, "categorical"))
}

/// [`crate::plan()`]'s body.
pub(crate) fn design(settings: &Settings, query: &Query) -> Result<Design, Refusal> {
    settings.check_shape().map_err(|e| invalid(format!("settings.{}", e.field), e.message))?;
    let cap = settings.max_query_epsilon;
    let epsilon = query.epsilon;
    if !(epsilon.is_finite() && epsilon > 0.0 && epsilon <= cap) {
        return Err(Refusal::EpsilonOverCap { asked: epsilon, cap });
    }
    let k = settings.max_rows_per_unit;

    // the statistic
    let (stat, column) = match &query.statistic {
        Statistic::Count => (Stat::Count, None),
        Statistic::Sum { column } => (Stat::Sum, Some(numeric(settings, column)?)),
        Statistic::Mean { column } => (Stat::Mean, Some(numeric(settings, column)?)),
        Statistic::Histogram { column, bins } => {
            let n = numeric(settings, column)?;
            if !(2..=50).contains(bins) {
                return Err(invalid("statistic.bins", format!("must be between 2 and 50, got {bins}")));
            }
            (Stat::Histogram { bins: *bins }, Some(n))
        }
        Statistic::Quantile { column, q } => {
            let n = numeric(settings, column)?;
            if !(q.is_finite() && *q > 0.0 && *q < 1.0) {
                return Err(invalid(
                    "statistic.q",
                    format!("must lie strictly between 0 and 1 (0.5 for the median), got `{q}`"),
                ));
            }
            (Stat::Quantile { q: *q }, Some(n))
        }
    };
    let column = column.map(|n| (n.name.clone(), Fixed::of(n)));

    // groups
    if query.group_by.len() > 2 {
        return Err(invalid("group_by", format!("at most 2 columns, got {}", query.group_by.len())));
    }
    let mut dims = Vec::new();
    for (i, g) in query.group_by.iter().enumerate() {
        if query.group_by[..i].contains(g) {
            return Err(invalid(format!("group_by[{i}]"), format!("`{g}` appears twice")));
        }
        let c = categorical(settings, g)?;
        dims.push(match &c.keys {
            Some(keys) => Dim::Public { column: g.clone(), keys: keys.clone() },
            None => Dim::Private { column: g.clone() },
        });
    }
    let private_at = query
        .group_by
        .iter()
        .position(|g| settings.categorical.iter().any(|c| &c.name == g && c.keys.is_none()));
    let selection = private_at.is_some();
    if let Some(i) = private_at {
        let g = &query.group_by[i];
        if matches!(stat, Stat::Quantile { .. }) {
            return Err(invalid(
                format!("group_by[{i}]"),
                format!(
                    "`{g}` has no public categories; quantiles can be grouped only by columns with public keys"
                ),
            ));
        }
        if settings.project_delta <= 0.0 {
            return Err(invalid(
                format!("group_by[{i}]"),
                format!(
                    "`{g}` has no public categories, so grouping by it needs δ, and this dataset's δ budget (project_delta) is 0"
                ),
            ));
        }
    }
    if let Stat::Histogram { bins } = stat {
        dims.push(Dim::Bins { bins });
    }

    // filters
    let mut filters: Vec<FilterSpec> = Vec::new();
    for (i, f) in query.filters.iter().enumerate() {
        let c = categorical(settings, &f.column)?;
        if let Some(j) = filters.iter().position(|o| o.column == f.column) {
            return Err(invalid(
                format!("filters[{i}].column"),
                format!(
                    "`{}` is already filtered by filters[{j}]; put all its values in one filter",
                    f.column
                ),
            ));
        }
        if f.values.is_empty() {
            return Err(invalid(format!("filters[{i}].values"), "must list at least one category"));
        }
        let mut values: Vec<String> = Vec::new();
        for (j, v) in f.values.iter().enumerate() {
            if let Some(keys) = &c.keys
                && !keys.contains(v)
            {
                return Err(invalid(
                    format!("filters[{i}].values[{j}]"),
                    format!(
                        "`{v}` is not one of the public categories of `{}` ({})",
                        f.column,
                        list_names(keys)
                    ),
                ));
            }
            if !values.contains(v) {
                values.push(v.clone());
            }
        }
        if values.len() > MAX_FILTER_VALUES {
            return Err(invalid(
                format!("filters[{i}].values"),
                format!("at most {MAX_FILTER_VALUES} categories, got {}", values.len()),
            ));
        }
        filters.push(FilterSpec { column: f.column.clone(), values, keys: c.keys.clone() });
    }

    let cells: usize = dims
        .iter()
        .map(|d| match d {
            Dim::Public { keys, .. } => keys.len(),
            Dim::Private { .. } => 1,
            Dim::Bins { bins } => *bins as usize,
        })
        .product();
    if cells > MAX_CELLS {
        return Err(invalid(
            "group_by",
            format!(
                "the query has {cells} cells, more than {MAX_CELLS}; group by fewer columns or use fewer bins"
            ),
        ));
    }
    if matches!(stat, Stat::Quantile { .. }) && cells > MAX_QUANTILE_GROUPS {
        return Err(invalid(
            "group_by",
            format!("a quantile may have at most {MAX_QUANTILE_GROUPS} groups, this one has {cells}"),
        ));
    }

    // the budget's shares
    let (count_share, rest) = match stat {
        Stat::Count | Stat::Histogram { .. } => (epsilon, None),
        Stat::Mean => {
            let c = calibrate::split_evenly(epsilon, 2);
            (c, Some(calibrate::remainder(epsilon, c)))
        }
        Stat::Sum | Stat::Quantile { .. } => {
            let c = calibrate::split_evenly(epsilon, 4);
            (c, Some(calibrate::remainder(epsilon, c)))
        }
    };

    // counts
    let query_delta = settings.query_delta;
    let (count, threshold, count_delta) = if selection {
        let c = calibrate::selection_scale(k, count_share).map_err(|e| opendp_failed(&e))?;
        let (t, (_, d)) = calibrate::selection_threshold(k, c.scale, count_share, query_delta)
            .map_err(|e| opendp_failed(&e))?;
        (c, Some(t), d)
    } else {
        (calibrate::count_scale(k, count_share, cells).map_err(|e| opendp_failed(&e))?, None, 0.0)
    };

    // sums or quantiles
    let mut sum: Option<Calibrated> = None;
    let mut quantile: Option<(Calibrated, u32)> = None;
    let mut candidates = Vec::new();
    let mut constants = None;
    let share = rest.unwrap_or(0.0);
    match (stat, &column) {
        (Stat::Sum | Stat::Mean, Some((_, fixed))) => {
            let d_in = i64::from(k) * fixed.magnitude();
            sum = Some(calibrate::sum_scale(d_in, share).map_err(|e| opendp_failed(&e))?);
        }
        (Stat::Quantile { q }, Some((_, fixed))) => {
            let groups = u32::try_from(cells).unwrap_or(u32::MAX);
            let m = k.min(groups).max(1);
            let per_group = calibrate::split_evenly(share, m);
            candidates = quantile_candidates(fixed);
            quantile = Some((
                calibrate::quantile_scale(k, q, &candidates, per_group).map_err(|e| opendp_failed(&e))?,
                m,
            ));
            constants = Some(QuantileConstants::of(q));
        }
        _ => {}
    }

    // accuracy: a mean's interval combines two, each at half the significance
    let alpha = if stat == Stat::Mean { calibrate::ALPHA / 2.0 } else { calibrate::ALPHA };
    let acc = |scale: f64| calibrate::accuracy(scale, alpha).map_err(|e| opendp_failed(&e));
    let count_accuracy = acc(count.scale)?;
    let sum_accuracy = sum.map(|s| acc(s.scale)).transpose()?;

    // what the maps certify, added up without rounding error piling up (m · q exactly as
    // hi + lo), so it stays within ε whenever the shares do
    let mut terms = vec![count.epsilon];
    if let Some(s) = sum {
        terms.push(s.epsilon);
    }
    if let Some((q, m)) = quantile {
        let hi = q.epsilon * f64::from(m);
        terms.push(hi);
        terms.push(q.epsilon.mul_add(f64::from(m), -hi));
    }
    let mapped_epsilon = calibrate::sum_accurately(&terms);

    let units = column.as_ref().map_or(1.0, |(_, f)| f.scale);
    let (scale, count_scale_out, accuracy95, count_accuracy95, rank_accuracy95) = match stat {
        Stat::Count | Stat::Histogram { .. } => (count.scale, None, count_accuracy, None, None),
        Stat::Sum | Stat::Mean => {
            let s = sum.map_or(0.0, |s| s.scale);
            (s / units, Some(count.scale), sum_accuracy.unwrap_or(0.0) / units, Some(count_accuracy), None)
        }
        Stat::Quantile { .. } => {
            let q = quantile.map_or(0.0, |(q, _)| q.scale);
            let fixed = column.as_ref().map(|(_, f)| *f);
            let spacing = fixed.map_or(0.0, |f| max_spacing(&f, candidates.len()) / units);
            // at most 1001 candidates
            let rank = q * (candidates.len() as f64 / calibrate::ALPHA).ln();
            (q, Some(count.scale), spacing, Some(count_accuracy), Some(rank))
        }
    };

    let mechanism = match stat {
        Stat::Quantile { .. } => Mechanism::Exponential,
        _ if selection => Mechanism::DiscreteLaplaceThreshold,
        _ => Mechanism::DiscreteLaplace,
    };
    let normalised = Query {
        statistic: query.statistic.clone(),
        group_by: query.group_by.clone(),
        filters: filters
            .iter()
            .map(|f| Filter { column: f.column.clone(), values: f.values.clone() })
            .collect(),
        epsilon,
    };
    // thresholds are far below 2^53
    let threshold_rows = threshold.map(|t| t as f64);
    let plan = Plan {
        shape: shape(&normalised),
        query: normalised,
        mechanism,
        scale,
        count_scale: count_scale_out,
        epsilon,
        delta: if selection { query_delta } else { 0.0 },
        accuracy95,
        threshold: threshold_rows,
        count_accuracy95,
        rank_accuracy95,
        mapped_epsilon,
        mapped_delta: count_delta,
    };
    Ok(Design {
        plan,
        stat,
        column,
        dims,
        filters,
        k,
        selection,
        count_scale: count.scale,
        sum_scale: sum.map(|s| s.scale),
        quantile_scale: quantile.map(|(q, _)| q.scale),
        threshold,
        candidates,
        quantile: constants,
        count_accuracy,
        sum_accuracy,
    })
}

/// Up to [`QUANTILE_CANDIDATES`] candidates from the lower bound to the upper, evenly spaced
/// in units (rounded down), strictly increasing.
pub(crate) fn quantile_candidates(fixed: &Fixed) -> Vec<i64> {
    let range = i128::from(fixed.upper) - i128::from(fixed.lower);
    let n = i128::try_from(QUANTILE_CANDIDATES).unwrap_or(1001).min(range + 1);
    (0..n).map(|j| (i128::from(fixed.lower) + j * range / (n - 1)) as i64).collect()
}

/// The widest gap between two adjacent candidates, in units.
fn max_spacing(fixed: &Fixed, candidates: usize) -> f64 {
    let range = i128::from(fixed.upper) - i128::from(fixed.lower);
    let gaps = i128::try_from(candidates.saturating_sub(1)).unwrap_or(1).max(1);
    // below 2^54
    ((range + gaps - 1) / gaps) as f64
}

/// The query in words without any values: `mean(income) by province, sex where district in
/// 2 values`.
pub(crate) fn shape(query: &Query) -> String {
    let mut out = match &query.statistic {
        Statistic::Count => "count".to_owned(),
        Statistic::Sum { column } => format!("sum({column})"),
        Statistic::Mean { column } => format!("mean({column})"),
        Statistic::Histogram { column, bins } => format!("histogram({column}, {bins} bins)"),
        Statistic::Quantile { column, q } => format!("quantile({column}, {q})"),
    };
    if !query.group_by.is_empty() {
        out.push_str(" by ");
        out.push_str(&query.group_by.join(", "));
    }
    for (i, f) in query.filters.iter().enumerate() {
        out.push_str(if i == 0 { " where " } else { " and " });
        let n = f.values.len();
        out.push_str(&format!("{} in {n} value{}", f.column, if n == 1 { "" } else { "s" }));
    }
    out
}
