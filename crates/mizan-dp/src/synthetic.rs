//! A differentially private synthetic sample, from noisy one- and two-way marginals.
//!
//! The declared columns form a chain: categorical columns in declared order, then numeric
//! ones (each cut into up to [`SYNTHETIC_BINS`] equal-width bins between its bounds). The
//! steward's `synthetic_epsilon` is split evenly over `2n - 1` marginals: the one-way
//! marginal of each of the `n` columns and the two-way marginal of each adjacent pair. Each
//! is a table of counts (L1 sensitivity `k`, one row lies in one cell) with discrete
//! Laplace noise from OpenDP, calibrated as a query's counts are.
//!
//! A sampled row draws the first column from its one-way marginal, then each next column
//! from the two-way marginal's row for the value just drawn (negative noisy counts read as
//! 0); when that row has no mass left, from the column's own one-way marginal; when that is
//! empty too, uniformly. A numeric value is drawn uniformly among the fixed-point values of
//! its bin. Sampling is post-processing: it spends nothing further, and its random bits come
//! from ChaCha20 seeded by OpenSSL through OpenDP.
//!
//! A categorical column without public keys enters the chain only when the project has a δ
//! budget: its one-way marginal is then a partition selection (the settings' `query_delta`
//! shared evenly among such columns) and only the values that pass appear. Without δ such a
//! column is written empty. Values outside a column's public keys never appear.
//!
//! The output is CSV: a first column `synthetic` (`yes` on every row, so no one takes it for
//! real data), then the chain's columns by name.

use std::collections::HashMap;
use std::io::{Read, Seek, Write};

use rand::SeedableRng;
use rand::distributions::{Distribution, WeightedIndex};
use rand::{Rng, RngCore};
use rand_chacha::ChaCha20Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::calibrate;
use crate::settings::Fixed;
use crate::table::{Data, Table};
use crate::{Refusal, Settings, TableError};

/// The most bins of a numeric column in the synthetic sample.
pub const SYNTHETIC_BINS: u32 = 10;
/// The most rows of one synthetic sample.
pub const MAX_SYNTHETIC_ROWS: usize = 10_000_000;

/// What a synthetic sample will spend and hold, decided from the settings alone, so the
/// spend can be recorded in the budget ledger before the sample is made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SyntheticPlan {
    /// ε spent (the settings' `synthetic_epsilon`).
    pub epsilon: f64,
    /// δ spent (the settings' `query_delta` when a column needs partition selection, else 0).
    pub delta: f64,
    /// What the OpenDP maps certify in all (at most `epsilon`).
    pub mapped_epsilon: f64,
    /// What the OpenDP maps certify in all (at most `delta`).
    pub mapped_delta: f64,
    /// The output header: `synthetic`, then the columns.
    pub columns: Vec<String>,
    /// The marginals, in words (`province`, `province × sex`).
    pub marginals: Vec<String>,
    /// The noise scale of every marginal count, in rows.
    pub scale: f64,
    /// The partition-selection threshold of columns without public keys, in rows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f64>,
    /// The sample's shape in words, for the budget ledger.
    pub shape: String,
}

/// One column of the chain.
#[derive(Debug, Clone)]
enum Link {
    Public { name: String, keys: Vec<String> },
    Private { name: String },
    Numeric { name: String, fixed: Fixed, bins: u32 },
}

impl Link {
    fn name(&self) -> &str {
        match self {
            Link::Public { name, .. } | Link::Private { name } | Link::Numeric { name, .. } => name,
        }
    }
}

struct Synth {
    plan: SyntheticPlan,
    chain: Vec<Link>,
    threshold: Option<i64>,
    /// The noise scale of a partition selection (rows).
    selection_scale: Option<f64>,
}

fn design(settings: &Settings) -> Result<Synth, Refusal> {
    settings
        .check_shape()
        .map_err(|e| Refusal::Invalid { field: format!("settings.{}", e.field), message: e.message })?;
    let epsilon = settings.synthetic_epsilon;
    if epsilon <= 0.0 {
        return Err(Refusal::Invalid {
            field: "synthetic_epsilon".into(),
            message: "is 0: the steward has set no budget for a synthetic sample".into(),
        });
    }
    let with_delta = settings.project_delta > 0.0;
    let mut chain = Vec::new();
    let mut empty = Vec::new();
    for c in &settings.categorical {
        match &c.keys {
            Some(keys) => chain.push(Link::Public { name: c.name.clone(), keys: keys.clone() }),
            None if with_delta => chain.push(Link::Private { name: c.name.clone() }),
            None => empty.push(c.name.clone()),
        }
    }
    for n in &settings.numeric {
        let fixed = Fixed::of(n);
        let range = i128::from(fixed.upper) - i128::from(fixed.lower);
        let bins = u32::try_from(range.min(i128::from(SYNTHETIC_BINS))).unwrap_or(SYNTHETIC_BINS).max(1);
        chain.push(Link::Numeric { name: n.name.clone(), fixed, bins });
    }
    if chain.is_empty() {
        return Err(Refusal::Invalid {
            field: "categorical".into(),
            message: "no column can be synthesized: declare a numeric column or a categorical one with keys"
                .into(),
        });
    }
    let k = settings.max_rows_per_unit;
    let parts = u32::try_from(2 * chain.len() - 1).unwrap_or(u32::MAX);
    let share = calibrate::split_evenly(epsilon, parts);
    let failed = |e: opendp::error::Error| Refusal::Invalid {
        field: "synthetic_epsilon".into(),
        message: format!(
            "OpenDP could not calibrate the noise: {}",
            e.message.as_deref().unwrap_or("no detail")
        ),
    };
    let counts = calibrate::count_scale(k, share, 2).map_err(failed)?;
    let private = chain.iter().filter(|l| matches!(l, Link::Private { .. })).count();
    let mut mapped_delta = 0.0;
    let mut threshold = None;
    let mut selection_scale = None;
    let mut mapped = Vec::new();
    if private > 0 {
        let selection_delta =
            calibrate::split_evenly(settings.query_delta, u32::try_from(private).unwrap_or(u32::MAX));
        let s = calibrate::selection_scale(k, share).map_err(failed)?;
        let (t, (e, d)) =
            calibrate::selection_threshold(k, s.scale, share, selection_delta).map_err(failed)?;
        threshold = Some(t);
        mapped_delta = d * private as f64;
        mapped.extend(std::iter::repeat_n(e, private));
        selection_scale = Some(s.scale);
    }
    mapped.extend(std::iter::repeat_n(counts.epsilon, parts as usize - private));
    let mapped_epsilon = calibrate::sum_accurately(&mapped);
    let mut marginals: Vec<String> = chain.iter().map(|l| l.name().to_owned()).collect();
    for pair in chain.windows(2) {
        marginals.push(format!("{} × {}", pair[0].name(), pair[1].name()));
    }
    let mut columns = vec!["synthetic".to_owned()];
    columns.extend(chain.iter().map(|l| l.name().to_owned()));
    columns.extend(empty.iter().cloned());
    let shape =
        format!("synthetic sample from {} one-way and {} two-way marginals", chain.len(), chain.len() - 1);
    Ok(Synth {
        plan: SyntheticPlan {
            epsilon,
            delta: if private > 0 { settings.query_delta } else { 0.0 },
            mapped_epsilon,
            mapped_delta,
            columns,
            marginals,
            scale: counts.scale,
            threshold: threshold.map(|t| t as f64),
            shape,
        },
        chain,
        threshold,
        selection_scale,
    })
}

/// [`crate::synthetic_plan()`]'s body.
pub(crate) fn plan(settings: &Settings) -> Result<SyntheticPlan, Refusal> {
    design(settings).map(|s| s.plan)
}

/// A column of the chain bound to the table: how a row's value becomes an index in the
/// column's synthetic domain (`None`: in no cell).
struct Bound<'a> {
    at: usize,
    link: &'a Link,
    /// A private column: dictionary code → index among the selected values.
    selected: Vec<Option<u32>>,
    /// The values a sampled index writes.
    size: usize,
}

impl Bound<'_> {
    fn index(&self, batch: &[Data], row: usize) -> Option<usize> {
        match (self.link, &batch[self.at]) {
            (Link::Public { keys, .. }, Data::Codes(a)) => {
                let code = *a.values().get(row)? as usize;
                (code < keys.len()).then_some(code)
            }
            (Link::Private { .. }, Data::Codes(a)) => {
                let code = *a.values().get(row)? as usize;
                self.selected.get(code).copied().flatten().map(|i| i as usize)
            }
            (Link::Numeric { fixed, bins, .. }, Data::Units(a)) => {
                let v = (*a.values().get(row)?).clamp(fixed.lower, fixed.upper);
                let range = i128::from(fixed.upper) - i128::from(fixed.lower);
                let bin =
                    (i128::from(v - fixed.lower) * i128::from(*bins) / range).min(i128::from(*bins) - 1);
                usize::try_from(bin).ok()
            }
            _ => None,
        }
    }
}

/// Exact counts over one column, or a pair (`first` index times the second's size plus its
/// index).
fn marginal(table: &Table, columns: &[&Bound], size: usize) -> Vec<i64> {
    table
        .batches
        .par_iter()
        .with_min_len(crate::answer::min_batches(table.batches.len()))
        .fold(
            || vec![0i64; size],
            |mut counts, batch| {
                let rows = match batch.first() {
                    Some(Data::Codes(a)) => a.len(),
                    Some(Data::Units(a)) => a.len(),
                    None => 0,
                };
                'rows: for row in 0..rows {
                    let mut cell = 0usize;
                    for c in columns {
                        match c.index(batch, row) {
                            Some(i) => cell = cell * c.size + i,
                            None => continue 'rows,
                        }
                    }
                    if let Some(n) = counts.get_mut(cell) {
                        *n += 1;
                    }
                }
                counts
            },
        )
        .reduce(
            || vec![0i64; size],
            |mut a, b| {
                a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
                a
            },
        )
}

fn rng_failed(e: &opendp::error::Error) -> TableError {
    TableError::Io(format!("the random source failed: {}", e.message.as_deref().unwrap_or("no detail")))
}

/// Draws an index with probability proportional to the positive weights, or `None` when
/// no weight is positive.
fn draw(weights: &[i64], rng: &mut impl Rng) -> Option<usize> {
    let positive = weights.iter().map(|&w| w.max(0) as f64);
    WeightedIndex::new(positive).ok().map(|d| d.sample(rng))
}

/// [`crate::synthesize()`]'s body.
pub(crate) fn synthesize(
    settings: &Settings,
    file: impl Read + Seek,
    rows: usize,
    out: impl Write,
) -> Result<u64, TableError> {
    let synth = design(settings).map_err(|e| TableError::Input(format!("no synthetic sample: {e}")))?;
    if rows > MAX_SYNTHETIC_ROWS {
        return Err(TableError::Input(format!(
            "a synthetic sample may have at most {MAX_SYNTHETIC_ROWS} rows, {rows} were asked for"
        )));
    }
    let names: Vec<String> = synth.chain.iter().map(|l| l.name().to_owned()).collect();
    let table = Table::read_columns(settings, file, &names)?;
    let laplace = calibrate::vec_laplace(synth.plan.scale).map_err(|e| rng_failed(&e))?;

    // bind each column; a private column's values come from partition selection
    let mut bound: Vec<Bound> = Vec::new();
    let mut one_way: Vec<Vec<i64>> = Vec::new();
    let mut labels: Vec<Vec<String>> = Vec::new();
    for (at, link) in synth.chain.iter().enumerate() {
        match link {
            Link::Public { keys, .. } => {
                let b = Bound { at, link, selected: Vec::new(), size: keys.len() };
                let exact = marginal(&table, &[&b], b.size);
                one_way.push(laplace.invoke(&exact).map_err(|e| rng_failed(&e))?);
                labels.push(keys.clone());
                bound.push(b);
            }
            Link::Private { name } => {
                let dictionary = table.meta.dictionaries.get(name).cloned().unwrap_or_default();
                let all = Bound {
                    at,
                    link,
                    selected: (0..u32::try_from(dictionary.len()).unwrap_or(u32::MAX)).map(Some).collect(),
                    size: dictionary.len(),
                };
                let exact = marginal(&table, &[&all], all.size);
                let observed: HashMap<u64, i64> =
                    exact.iter().enumerate().filter(|(_, n)| **n > 0).map(|(i, &n)| (i as u64, n)).collect();
                let threshold = synth.threshold.unwrap_or(calibrate::FAR_THRESHOLD);
                let scale = synth.selection_scale.unwrap_or(synth.plan.scale);
                let measurement = calibrate::map_threshold(scale, threshold).map_err(|e| rng_failed(&e))?;
                let mut passed: Vec<(u64, i64)> =
                    measurement.invoke(&observed).map_err(|e| rng_failed(&e))?.into_iter().collect();
                passed.sort_unstable_by_key(|(k, _)| *k);
                let mut selected = vec![None; dictionary.len()];
                for (i, (code, _)) in (0u32..).zip(&passed) {
                    if let Some(s) = selected.get_mut(*code as usize) {
                        *s = Some(i);
                    }
                }
                labels.push(
                    passed
                        .iter()
                        .map(|(c, _)| dictionary.get(*c as usize).cloned().unwrap_or_default())
                        .collect(),
                );
                one_way.push(passed.iter().map(|(_, n)| *n).collect());
                bound.push(Bound { at, link, selected, size: passed.len() });
            }
            Link::Numeric { bins, .. } => {
                let b = Bound { at, link, selected: Vec::new(), size: *bins as usize };
                let exact = marginal(&table, &[&b], b.size);
                one_way.push(laplace.invoke(&exact).map_err(|e| rng_failed(&e))?);
                labels.push(Vec::new());
                bound.push(b);
            }
        }
    }
    let mut two_way: Vec<Vec<i64>> = Vec::new();
    for pair in bound.windows(2) {
        let exact = marginal(&table, &[&pair[0], &pair[1]], pair[0].size * pair[1].size);
        two_way.push(laplace.invoke(&exact).map_err(|e| rng_failed(&e))?);
    }

    // sample
    let mut seed = [0u8; 32];
    opendp::traits::samplers::fill_bytes(&mut seed).map_err(|e| rng_failed(&e))?;
    let mut rng = ChaCha20Rng::from_seed(seed);
    // Records end in CRLF, as RFC 4180 (section 2, rule 1) has it; the csv crate's default is LF.
    let mut writer = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(out);
    writer.write_record(&synth.plan.columns).map_err(|e| TableError::Io(e.to_string()))?;
    let mut record: Vec<String> = vec![String::new(); synth.plan.columns.len()];
    record[0] = "yes".into();
    let mut drawn = vec![0usize; bound.len()];
    for _ in 0..rows {
        for (i, b) in bound.iter().enumerate() {
            let conditional = if i == 0 {
                None
            } else {
                let row = drawn[i - 1];
                two_way[i - 1].get(row * b.size..(row + 1) * b.size).and_then(|w| draw(w, &mut rng))
            };
            let index = conditional
                .or_else(|| draw(&one_way[i], &mut rng))
                .unwrap_or_else(|| if b.size == 0 { 0 } else { (rng.next_u64() % b.size as u64) as usize });
            drawn[i] = index;
            record[i + 1] = match b.link {
                Link::Public { .. } | Link::Private { .. } => {
                    labels[i].get(index).cloned().unwrap_or_default()
                }
                Link::Numeric { fixed, bins, .. } => {
                    format_units(fixed, sample_bin(fixed, *bins, index, &mut rng))
                }
            };
        }
        writer.write_record(&record).map_err(|e| TableError::Io(e.to_string()))?;
    }
    writer.flush().map_err(|e| TableError::Io(e.to_string()))?;
    Ok(rows as u64)
}

/// A uniform fixed-point value of bin `bin`: the values `v` with
/// `floor((v - lower) · bins / range) = bin`.
fn sample_bin(fixed: &Fixed, bins: u32, bin: usize, rng: &mut impl Rng) -> i64 {
    let range = i128::from(fixed.upper) - i128::from(fixed.lower);
    let bins = i128::from(bins);
    let bin = i128::try_from(bin).unwrap_or(0).min(bins - 1);
    let ceil_div = |a: i128, b: i128| (a + b - 1) / b;
    let lo = i128::from(fixed.lower) + ceil_div(bin * range, bins);
    let hi = if bin == bins - 1 {
        i128::from(fixed.upper)
    } else {
        i128::from(fixed.lower) + ceil_div((bin + 1) * range, bins) - 1
    };
    let (lo, hi) = (lo as i64, hi.max(lo) as i64);
    rng.gen_range(lo..=hi)
}

/// Units as a decimal with exactly `decimals` places.
fn format_units(fixed: &Fixed, units: i64) -> String {
    if fixed.decimals == 0 {
        return units.to_string();
    }
    let power = 10u64.pow(u32::from(fixed.decimals));
    let magnitude = units.unsigned_abs();
    let sign = if units < 0 { "-" } else { "" };
    format!("{sign}{}.{:0width$}", magnitude / power, magnitude % power, width = usize::from(fixed.decimals))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_sample_inside_themselves() {
        let f = Fixed { lower: -7, upper: 93, decimals: 1, scale: 10.0 };
        let mut rng = ChaCha20Rng::from_seed([7; 32]);
        for bin in 0..10 {
            for _ in 0..200 {
                let v = sample_bin(&f, 10, bin, &mut rng);
                let back = (i128::from(v - f.lower) * 10 / 100).min(9);
                assert_eq!(back, bin as i128, "{v}");
            }
        }
        assert_eq!(format_units(&f, -7), "-0.7");
        assert_eq!(format_units(&f, 93), "9.3");
        assert_eq!(format_units(&Fixed { lower: 0, upper: 1, decimals: 0, scale: 1.0 }, 5), "5");
    }
}
