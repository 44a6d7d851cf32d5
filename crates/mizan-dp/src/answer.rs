//! Answering a plan: one parallel scan for the exact cells, then OpenDP's noise on them.
//!
//! The scan (rayon over the table's record batches) computes, per cell, the number of rows,
//! their fixed-point sum (`i128`, exact) or, for a quantile, two histograms of the values
//! over the candidates. Cells are numbered row-major over the dimensions (group columns,
//! then a histogram's bins); a dense array holds them, or a hash map when partition
//! selection meets a large private dictionary.
//!
//! Nothing here branches on the data to decide what to release: every release decision
//! reads noisy values only (partition selection's threshold, [`MIN_CELL`]). An empty
//! filter answers like any other query. The only errors are a plan or table that does not
//! belong to the settings (decided before the scan) and the random source failing.
//!
//! Intervals (95 %):
//! - a count or a sum: its noise's half-width from OpenDP's `discrete_laplacian_scale_to_accuracy`
//!   at α = 0.05 (a count's lower end is raised to 0);
//! - a mean `S̃ / Ñ`: the sum's and the count's half-widths at α = 0.025 each, so both hold
//!   together with probability ≥ 95 % (union bound); the interval spans `s / n` over that box
//!   (`n` above 0) and is clipped to the column's bounds (the whole bounds when the count's
//!   interval reaches 0);
//! - a quantile: the released candidate ± the widest candidate spacing (the grid's
//!   resolution), clipped to the bounds. The exponential mechanism's own error is in rank,
//!   not value: with 95 % probability the released candidate's score is within
//!   `scale · ln(candidates / 0.05)` rows of the best candidate's (`Plan::rank_accuracy95`;
//!   each candidate is accepted with probability at most `exp(-gap / scale)`, and there are
//!   at most `candidates` of them). OpenDP gives no value-space accuracy for quantiles.
//!
//! Cells released after partition selection are those whose noisy count passed the
//! threshold; their intervals are the noise's, not conditioned on having passed.

use std::collections::HashMap;

use rayon::prelude::*;

use crate::calibrate;
use crate::hash::FastMap;
use crate::plan::{Design, Dim, Stat};
use crate::settings::Fixed;
use crate::table::{self, Data, Table};
use crate::{Answer, Cell, MIN_CELL, Plan, Settings};

/// Above this many cells (a private dictionary's product), partition-selection queries
/// aggregate into a hash map instead of a dense array.
const DENSE_LIMIT: u64 = 1 << 16;
/// A row in no cell (a value outside the public keys, or filtered out).
const SKIP: u64 = u64::MAX;

/// Whether two plans are the same up to rounding in a JSON round trip.
pub(crate) fn same_plan(a: &Plan, b: &Plan) -> bool {
    let close = |x: f64, y: f64| x == y || (x - y).abs() <= 1e-9 * x.abs().max(y.abs());
    let close_opt = |x: Option<f64>, y: Option<f64>| match (x, y) {
        (Some(x), Some(y)) => close(x, y),
        (None, None) => true,
        _ => false,
    };
    a.query == b.query
        && a.mechanism == b.mechanism
        && close(a.scale, b.scale)
        && close_opt(a.count_scale, b.count_scale)
        && close(a.epsilon, b.epsilon)
        && close(a.delta, b.delta)
        && close_opt(a.threshold, b.threshold)
}

/// One dimension of the cells, bound to the table's columns.
enum Axis<'a> {
    Codes { at: usize, size: u64, labels: &'a [String] },
    Bins { at: usize, bins: u32, fixed: Fixed },
}

impl Axis<'_> {
    fn size(&self) -> u64 {
        match self {
            Axis::Codes { size, .. } => *size,
            Axis::Bins { bins, .. } => u64::from(*bins),
        }
    }
}

/// The plan bound to a table.
struct Layout<'a> {
    axes: Vec<Axis<'a>>,
    filters: Vec<(usize, Vec<bool>)>,
    value: Option<(usize, Fixed)>,
    stat: Stat,
    candidates: &'a [i64],
    cells: u64,
    dense: bool,
}

impl<'a> Layout<'a> {
    fn new(design: &'a Design, settings: &Settings, table: &'a Table) -> Result<Layout<'a>, String> {
        if table.meta.fingerprint != table::fingerprint(settings) {
            return Err("the table was built with other sandbox settings; rebuild it".into());
        }
        let at = |name: &str| {
            table.position(name).ok_or_else(|| {
                format!(
                    "the table was read without column `{name}`; read it with `Table::read_for` this plan"
                )
            })
        };
        let none: &[String] = &[];
        let mut axes = Vec::new();
        for d in &design.dims {
            axes.push(match d {
                Dim::Public { column, keys } => {
                    Axis::Codes { at: at(column)?, size: keys.len() as u64, labels: keys }
                }
                Dim::Private { column } => {
                    let labels = table.meta.dictionaries.get(column).map_or(none, Vec::as_slice);
                    Axis::Codes { at: at(column)?, size: labels.len() as u64, labels }
                }
                Dim::Bins { bins } => {
                    let (column, fixed) = design.column.as_ref().ok_or("a histogram needs a column")?;
                    Axis::Bins { at: at(column)?, bins: *bins, fixed: *fixed }
                }
            });
        }
        let mut filters = Vec::new();
        for f in &design.filters {
            let allowed = match &f.keys {
                Some(keys) => keys.iter().map(|k| f.values.contains(k)).collect(),
                None => {
                    let dictionary = table.meta.dictionaries.get(&f.column).map_or(none, Vec::as_slice);
                    let mut allowed = vec![false; dictionary.len()];
                    for v in &f.values {
                        if let Ok(code) = dictionary.binary_search(v) {
                            allowed[code] = true;
                        }
                    }
                    allowed
                }
            };
            filters.push((at(&f.column)?, allowed));
        }
        let value = match &design.column {
            Some((column, fixed)) => Some((at(column)?, *fixed)),
            None => None,
        };
        let cells = axes.iter().try_fold(1u64, |acc, a| acc.checked_mul(a.size())).unwrap_or(u64::MAX);
        let dense = !design.selection || cells <= DENSE_LIMIT;
        Ok(Layout { axes, filters, value, stat: design.stat, candidates: &design.candidates, cells, dense })
    }

    /// The labels of a cell.
    fn labels(&self, mut key: u64) -> Vec<String> {
        let mut out = vec![String::new(); self.axes.len()];
        for (slot, axis) in out.iter_mut().zip(&self.axes).rev() {
            let size = axis.size().max(1);
            let code = key % size;
            key /= size;
            *slot = match axis {
                Axis::Codes { labels, .. } => {
                    usize::try_from(code).ok().and_then(|c| labels.get(c)).cloned().unwrap_or_default()
                }
                Axis::Bins { bins, fixed, .. } => bin_label(fixed, *bins, code),
            };
        }
        out
    }

    fn slots(&self) -> usize {
        self.candidates.len() + 1
    }
}

/// The exact aggregates of every cell in one accumulator.
#[derive(Clone)]
enum Acc {
    Dense { counts: Vec<i64>, sums: Vec<i128>, hists: Vec<u64> },
    Sparse { cells: FastMap<u64, (i64, i128)> },
}

impl Acc {
    fn new(layout: &Layout) -> Acc {
        if !layout.dense {
            return Acc::Sparse { cells: FastMap::default() };
        }
        let n = usize::try_from(layout.cells).unwrap_or(0);
        let sums = if matches!(layout.stat, Stat::Sum | Stat::Mean) { vec![0; n] } else { Vec::new() };
        let hists = if matches!(layout.stat, Stat::Quantile { .. }) {
            vec![0; n * 2 * layout.slots()]
        } else {
            Vec::new()
        };
        Acc::Dense { counts: vec![0; n], sums, hists }
    }

    fn merge(mut self, other: Acc) -> Acc {
        match (&mut self, other) {
            (Acc::Dense { counts, sums, hists }, Acc::Dense { counts: c, sums: s, hists: h }) => {
                counts.iter_mut().zip(c).for_each(|(a, b)| *a += b);
                sums.iter_mut().zip(s).for_each(|(a, b)| *a += b);
                hists.iter_mut().zip(h).for_each(|(a, b)| *a += b);
            }
            (Acc::Sparse { cells }, Acc::Sparse { cells: other }) => {
                for (k, (c, s)) in other {
                    let e = cells.entry(k).or_insert((0, 0));
                    e.0 += c;
                    e.1 += s;
                }
            }
            // both sides come from `Acc::new` with one layout
            _ => {}
        }
        self
    }
}

fn codes(data: &Data) -> &[u32] {
    match data {
        Data::Codes(a) => a.values(),
        Data::Units(_) => &[],
    }
}

fn units(data: &Data) -> &[i64] {
    match data {
        Data::Units(a) => a.values(),
        Data::Codes(_) => &[],
    }
}

/// The bin of `v` (units, within the bounds): `floor((v - lower) · bins / (upper - lower))`,
/// the upper bound in the last bin.
fn bin_of(fixed: &Fixed, bins: u32, v: i64) -> u64 {
    let v = v.clamp(fixed.lower, fixed.upper);
    let offset = i128::from(v) - i128::from(fixed.lower);
    let range = i128::from(fixed.upper) - i128::from(fixed.lower);
    let bin = (offset * i128::from(bins) / range).min(i128::from(bins) - 1);
    u64::try_from(bin).unwrap_or(0)
}

/// Adds one batch to `acc`, with `cell` as scratch space.
fn scan_batch(layout: &Layout, batch: &[Data], acc: &mut Acc, cell: &mut Vec<u64>) {
    let rows = batch.first().map_or(0, |d| match d {
        Data::Codes(a) => a.len(),
        Data::Units(a) => a.len(),
    });
    cell.clear();
    cell.resize(rows, 0);
    for axis in &layout.axes {
        match axis {
            Axis::Codes { at, size, .. } => {
                let codes = codes(&batch[*at]);
                if codes.len() != rows {
                    cell.fill(SKIP);
                    continue;
                }
                for (c, &code) in cell.iter_mut().zip(codes) {
                    let code = u64::from(code);
                    *c = if *c == SKIP || code >= *size { SKIP } else { *c * size + code };
                }
            }
            Axis::Bins { at, bins, fixed } => {
                let values = units(&batch[*at]);
                if values.len() != rows {
                    cell.fill(SKIP);
                    continue;
                }
                for (c, &v) in cell.iter_mut().zip(values) {
                    if *c != SKIP {
                        *c = *c * u64::from(*bins) + bin_of(fixed, *bins, v);
                    }
                }
            }
        }
    }
    for (at, allowed) in &layout.filters {
        let codes = codes(&batch[*at]);
        if codes.len() != rows {
            cell.fill(SKIP);
            continue;
        }
        for (c, &code) in cell.iter_mut().zip(codes) {
            if !allowed.get(code as usize).copied().unwrap_or(false) {
                *c = SKIP;
            }
        }
    }
    let values: &[i64] = match &layout.value {
        Some((at, _)) => units(&batch[*at]),
        None => &[],
    };
    let (lower, upper) = layout.value.map_or((0, 0), |(_, f)| (f.lower, f.upper));
    // indexing: a cell other than SKIP is below the product of the axes' sizes, the length
    // of `counts` (and of `sums`, and `hists` / (2 · slots)); every batch holds a column
    // per name read (`Table::read_columns`), and `at` is a position among them
    match acc {
        Acc::Dense { counts, sums, hists } => match layout.stat {
            Stat::Count | Stat::Histogram { .. } => {
                for &c in cell.iter() {
                    if c != SKIP {
                        counts[c as usize] += 1;
                    }
                }
            }
            Stat::Sum | Stat::Mean => {
                for (&c, &v) in cell.iter().zip(values) {
                    if c != SKIP {
                        counts[c as usize] += 1;
                        sums[c as usize] += i128::from(v.clamp(lower, upper));
                    }
                }
            }
            Stat::Quantile { .. } => {
                let slots = layout.slots();
                let candidates = layout.candidates;
                for (&c, &v) in cell.iter().zip(values) {
                    if c != SKIP {
                        let v = v.clamp(lower, upper);
                        counts[c as usize] += 1;
                        let base = c as usize * 2 * slots;
                        let below = candidates.partition_point(|&x| x < v);
                        let at_or_below = below + candidates[below..].partition_point(|&x| x == v);
                        hists[base + below] += 1;
                        hists[base + slots + at_or_below] += 1;
                    }
                }
            }
        },
        Acc::Sparse { cells } => {
            let sum = matches!(layout.stat, Stat::Sum | Stat::Mean);
            for (i, &c) in cell.iter().enumerate() {
                if c != SKIP {
                    let e = cells.entry(c).or_insert((0, 0));
                    e.0 += 1;
                    if sum {
                        e.1 += i128::from(values.get(i).map_or(lower, |v| (*v).clamp(lower, upper)));
                    }
                }
            }
        }
    }
}

/// The exact cells: every cell of a dense layout without selection, else the observed ones
/// (count above 0), by cell number.
struct Exact {
    keys: Vec<u64>,
    counts: Vec<i64>,
    sums: Vec<i128>,
    /// For a quantile: per cell, the left-open then the right-open histogram.
    hists: Vec<u64>,
}

/// The fewest batches one rayon task takes: enough that there are at most about four
/// accumulators per thread (each holds every cell).
pub(crate) fn min_batches(batches: usize) -> usize {
    (batches / (4 * rayon::current_num_threads().max(1))).max(1)
}

fn scan(layout: &Layout, table: &Table, selection: bool) -> Exact {
    let acc = table
        .batches
        .par_iter()
        .with_min_len(min_batches(table.batches.len()))
        .fold(
            || (Acc::new(layout), Vec::new()),
            |(mut acc, mut cell), batch| {
                scan_batch(layout, batch, &mut acc, &mut cell);
                (acc, cell)
            },
        )
        .map(|(acc, _)| acc)
        .reduce(|| Acc::new(layout), Acc::merge);
    match acc {
        Acc::Dense { counts, sums, hists } => {
            if selection {
                let keep: Vec<usize> = (0..counts.len()).filter(|&i| counts[i] > 0).collect();
                Exact {
                    keys: keep.iter().map(|&i| i as u64).collect(),
                    counts: keep.iter().map(|&i| counts[i]).collect(),
                    sums: if sums.is_empty() { Vec::new() } else { keep.iter().map(|&i| sums[i]).collect() },
                    hists: Vec::new(),
                }
            } else {
                Exact { keys: (0..counts.len() as u64).collect(), counts, sums, hists }
            }
        }
        Acc::Sparse { cells } => {
            let mut all: Vec<(u64, (i64, i128))> = cells.into_iter().filter(|(_, (c, _))| *c > 0).collect();
            all.sort_unstable_by_key(|(k, _)| *k);
            let sum = matches!(layout.stat, Stat::Sum | Stat::Mean);
            Exact {
                keys: all.iter().map(|(k, _)| *k).collect(),
                counts: all.iter().map(|(_, (c, _))| *c).collect(),
                sums: if sum { all.iter().map(|(_, (_, s))| *s).collect() } else { Vec::new() },
                hists: Vec::new(),
            }
        }
    }
}

fn prepare<'a>(
    plan: &Plan,
    settings: &Settings,
    design: &'a Design,
    table: &'a Table,
) -> Result<Layout<'a>, String> {
    if !same_plan(plan, &design.plan) {
        return Err("the plan was made under other sandbox settings; plan the query again".into());
    }
    Layout::new(design, settings, table)
}

fn rng_failed(e: &opendp::error::Error) -> String {
    format!("the random source failed: {}", e.message.as_deref().unwrap_or("no detail"))
}

/// [`crate::answer()`]'s body.
pub(crate) fn answer(plan: &Plan, settings: &Settings, table: &Table) -> Result<Answer, String> {
    let design =
        crate::plan::design(settings, &plan.query).map_err(|e| format!("the plan is refused: {e}"))?;
    let layout = prepare(plan, settings, &design, table)?;
    let exact = scan(&layout, table, design.selection);

    // noisy counts: every cell, or the cells that pass partition selection
    let mut released: Vec<(usize, i64)> = Vec::new();
    let mut suppressed = 0usize;
    let mut keep = |index: usize, noisy: i64, suppressed: &mut usize| {
        // MIN_CELL is 10: exact as an i64
        if (noisy as f64) < MIN_CELL {
            *suppressed += 1;
        } else {
            released.push((index, noisy));
        }
    };
    if let Some(threshold) = design.threshold {
        let measurement =
            calibrate::map_threshold(design.count_scale, threshold).map_err(|e| rng_failed(&e))?;
        let observed: HashMap<u64, i64> =
            exact.keys.iter().copied().zip(exact.counts.iter().copied()).collect();
        let passed = measurement.invoke(&observed).map_err(|e| rng_failed(&e))?;
        let mut passed: Vec<(u64, i64)> = passed.into_iter().collect();
        passed.sort_unstable_by_key(|(k, _)| *k);
        for (key, noisy) in passed {
            if let Ok(index) = exact.keys.binary_search(&key) {
                keep(index, noisy, &mut suppressed);
            }
        }
    } else {
        let measurement = calibrate::vec_laplace(design.count_scale).map_err(|e| rng_failed(&e))?;
        let noisy = measurement.invoke(&exact.counts).map_err(|e| rng_failed(&e))?;
        for (index, n) in noisy.into_iter().enumerate() {
            keep(index, n, &mut suppressed);
        }
    }

    let count_acc = design.count_accuracy;
    let mut cells = Vec::with_capacity(released.len());
    match design.stat {
        Stat::Count | Stat::Histogram { .. } => {
            for &(index, noisy) in &released {
                let value = noisy as f64;
                cells.push(Cell {
                    group: layout.labels(exact.keys[index]),
                    value,
                    low: (value - count_acc).max(0.0),
                    high: value + count_acc,
                });
            }
        }
        Stat::Sum | Stat::Mean => {
            let fixed = design.column.as_ref().map(|(_, f)| *f).ok_or("a sum needs a column")?;
            let sum_scale = design.sum_scale.ok_or("a sum needs its scale")?;
            let sum_acc = design.sum_accuracy.unwrap_or(0.0);
            // clamping to the i64 range is 1-Lipschitz, so the sensitivity holds
            let sums: Vec<i64> = released
                .iter()
                .map(|&(index, _)| exact.sums[index].clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64)
                .collect();
            let noisy_sums = calibrate::vec_laplace(sum_scale)
                .and_then(|m| m.invoke(&sums))
                .map_err(|e| rng_failed(&e))?;
            let (lower, upper) = (fixed.value_of(fixed.lower), fixed.value_of(fixed.upper));
            for (&(index, noisy_count), &noisy_sum) in released.iter().zip(&noisy_sums) {
                let group = layout.labels(exact.keys[index]);
                let s = noisy_sum as f64;
                if design.stat == Stat::Sum {
                    cells.push(Cell {
                        group,
                        value: s / fixed.scale,
                        low: (s - sum_acc) / fixed.scale,
                        high: (s + sum_acc) / fixed.scale,
                    });
                } else {
                    let n = noisy_count as f64;
                    let value = (s / n / fixed.scale).clamp(lower, upper);
                    let (n_lo, n_hi) = (n - count_acc, n + count_acc);
                    let (s_lo, s_hi) = (s - sum_acc, s + sum_acc);
                    let (low, high) = if n_lo > 0.0 {
                        (
                            ((s_lo / n_lo).min(s_lo / n_hi) / fixed.scale).clamp(lower, upper),
                            ((s_hi / n_lo).max(s_hi / n_hi) / fixed.scale).clamp(lower, upper),
                        )
                    } else {
                        (lower, upper)
                    };
                    cells.push(Cell { group, value, low: low.min(value), high: high.max(value) });
                }
            }
        }
        Stat::Quantile { .. } => {
            let fixed = design.column.as_ref().map(|(_, f)| *f).ok_or("a quantile needs a column")?;
            let constants = design.quantile.ok_or("a quantile needs its constants")?;
            let scale = design.quantile_scale.ok_or("a quantile needs its scale")?;
            let measurement =
                calibrate::noisy_min(scale * constants.denominator as f64, design.candidates.len())
                    .map_err(|e| rng_failed(&e))?;
            let slots = layout.slots();
            let spacing = design.plan.accuracy95;
            let (lower, upper) = (fixed.value_of(fixed.lower), fixed.value_of(fixed.upper));
            for &(index, _) in &released {
                let base = index * 2 * slots;
                let scores = constants
                    .scores(&exact.hists[base..base + slots], &exact.hists[base + slots..base + 2 * slots]);
                let chosen = measurement.invoke(&scores).map_err(|e| rng_failed(&e))?;
                let value = fixed.value_of(design.candidates.get(chosen).copied().unwrap_or(fixed.lower));
                cells.push(Cell {
                    group: layout.labels(exact.keys[index]),
                    value,
                    low: (value - spacing).max(lower),
                    high: (value + spacing).min(upper),
                });
            }
        }
    }
    Ok(Answer { plan: design.plan.clone(), cells, suppressed })
}

/// The exact, pre-noise aggregates of one cell, for tests of bounding. Never release these.
#[doc(hidden)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExactCell {
    /// The cell's labels, as in [`Cell::group`].
    pub group: Vec<String>,
    /// Rows in the cell.
    pub count: i64,
    /// Their sum in fixed-point units of 10^-decimals (0 unless a sum or mean).
    pub sum_units: i128,
}

/// The exact aggregates `answer` would add noise to: every cell when the groups are public,
/// the observed ones otherwise. For tests only: releasing them would break the guarantee.
///
/// # Errors
/// As [`crate::answer()`], for a plan or table that does not belong to the settings.
#[doc(hidden)]
pub fn exact(plan: &Plan, settings: &Settings, table: &Table) -> Result<Vec<ExactCell>, String> {
    let design =
        crate::plan::design(settings, &plan.query).map_err(|e| format!("the plan is refused: {e}"))?;
    let layout = prepare(plan, settings, &design, table)?;
    let exact = scan(&layout, table, design.selection);
    Ok(exact
        .keys
        .iter()
        .enumerate()
        .map(|(i, &key)| ExactCell {
            group: layout.labels(key),
            count: exact.counts[i],
            sum_units: exact.sums.get(i).copied().unwrap_or(0),
        })
        .collect())
}

/// A bin as words: `20,000–30,000`.
fn bin_label(fixed: &Fixed, bins: u32, bin: u64) -> String {
    let range = fixed.upper as f64 - fixed.lower as f64;
    let edge = |i: u64| (fixed.lower as f64 + range * i as f64 / f64::from(bins)) / fixed.scale;
    format!("{}–{}", format_number(edge(bin), fixed.decimals), format_number(edge(bin + 1), fixed.decimals))
}

/// `x` with thousands separators and at most `decimals` decimals, trailing zeros dropped.
pub(crate) fn format_number(x: f64, decimals: u8) -> String {
    let text = format!("{:.*}", usize::from(decimals), x.abs());
    let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
    let frac = frac.trim_end_matches('0');
    let mut grouped = String::new();
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    let negative = x < 0.0 && (grouped.chars().any(|c| c != '0' && c != ',') || !frac.is_empty());
    let sign = if negative { "-" } else { "" };
    if frac.is_empty() { format!("{sign}{grouped}") } else { format!("{sign}{grouped}.{frac}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_well() {
        assert_eq!(format_number(20000.0, 0), "20,000");
        assert_eq!(format_number(1234567.5, 2), "1,234,567.5");
        assert_eq!(format_number(-1500.0, 0), "-1,500");
        assert_eq!(format_number(0.0, 2), "0");
        assert_eq!(format_number(999.0, 0), "999");
        assert_eq!(format_number(33.333, 0), "33");
    }

    #[test]
    fn bins_cover_the_bounds() {
        let f = Fixed { lower: 0, upper: 100, decimals: 0, scale: 1.0 };
        assert_eq!(bin_of(&f, 10, 0), 0);
        assert_eq!(bin_of(&f, 10, 9), 0);
        assert_eq!(bin_of(&f, 10, 10), 1);
        assert_eq!(bin_of(&f, 10, 100), 9);
        assert_eq!(bin_of(&f, 3, 33), 0);
        assert_eq!(bin_of(&f, 3, 34), 1);
        assert_eq!(bin_label(&f, 10, 2), "20–30");
        let g = Fixed { lower: -500, upper: 500, decimals: 0, scale: 1.0 };
        assert_eq!(bin_of(&g, 2, -1), 0);
        assert_eq!(bin_of(&g, 2, 0), 1);
    }
}
