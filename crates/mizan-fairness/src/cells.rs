//! Count cells: the only pass over rows.
//!
//! Rows are reduced to one [`Counts`] per (control stratum, intersection of sensitive
//! values). [`Cells::count`] counts columns already in memory chunk by chunk through the
//! streaming [`Tally`](crate::tally::Tally) that file readers use, in parallel with rayon;
//! the result is keyed by the values themselves so cells from different chunks, files or
//! machines merge by addition. Memory is O(groups), not O(rows).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;

use crate::FairnessError;
use crate::tally::{Tally, merge_tree};

/// Name of the group that rows with a missing (empty) sensitive value fall into.
pub const MISSING: &str = "(missing)";

/// Rows per parallel chunk.
const CHUNK: usize = 1 << 16;

/// A dictionary-coded string column.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    name: String,
    levels: Vec<String>,
    codes: Vec<u32>,
}

impl Column {
    /// Builds a column from optional values; `None` and empty strings become [`MISSING`].
    pub fn from_values<'a, I>(name: &str, values: I) -> Self
    where
        I: IntoIterator<Item = Option<&'a str>>,
    {
        let mut index: HashMap<String, u32> = HashMap::new();
        let mut levels = Vec::new();
        let codes = values
            .into_iter()
            .map(|v| {
                let v = match v {
                    Some(s) if !s.is_empty() => s,
                    _ => MISSING,
                };
                if let Some(&c) = index.get(v) {
                    c
                } else {
                    let c = u32::try_from(levels.len()).unwrap_or(u32::MAX);
                    index.insert(v.to_owned(), c);
                    levels.push(v.to_owned());
                    c
                }
            })
            .collect();
        Self { name: name.to_owned(), levels, codes }
    }

    /// Builds a column from a dictionary and codes (as Arrow dictionary arrays hold them).
    /// Empty levels become [`MISSING`]; levels that are then equal share one code.
    ///
    /// # Errors
    /// [`FairnessError::BadCode`] if a code is outside the dictionary.
    pub fn from_codes(name: &str, levels: Vec<String>, codes: Vec<u32>) -> Result<Self, FairnessError> {
        if let Some((row, &code)) = codes.iter().enumerate().find(|(_, c)| **c as usize >= levels.len()) {
            return Err(FairnessError::BadCode { column: name.to_owned(), row, code, levels: levels.len() });
        }
        let mut index: HashMap<String, u32> = HashMap::new();
        let mut unique = Vec::new();
        let remap: Vec<u32> = levels
            .into_iter()
            .map(|l| {
                let l = if l.is_empty() { MISSING.to_owned() } else { l };
                *index.entry(l).or_insert_with_key(|l| {
                    unique.push(l.clone());
                    u32::try_from(unique.len() - 1).unwrap_or(u32::MAX)
                })
            })
            .collect();
        // Every code was checked against the dictionary above.
        let codes = codes.into_iter().map(|c| remap[c as usize]).collect();
        Ok(Self { name: name.to_owned(), levels: unique, codes })
    }

    /// The column name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Number of rows.
    #[must_use]
    pub fn len(&self) -> usize {
        self.codes.len()
    }

    /// True when the column has no rows.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.codes.is_empty()
    }
}

/// Already-read columns for one audit.
#[derive(Debug, Clone, Copy)]
pub struct Input<'a> {
    /// Ground truth, true for the positive label.
    pub label: &'a [bool],
    /// Decision, true for the positive (favourable) outcome.
    pub prediction: &'a [bool],
    /// One or more sensitive features.
    pub sensitive: &'a [Column],
    /// Optional control feature (strata).
    pub control: Option<&'a Column>,
    /// Optional sample weights.
    pub weight: Option<&'a [f64]>,
}

/// Confusion counts of one cell, indexed TP, FP, FN, TN.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Counts {
    /// Unweighted counts.
    pub n: [u64; 4],
    /// Σw per confusion cell (equal to `n` when unweighted).
    pub w: [f64; 4],
    /// Σw² per confusion cell.
    pub w2: [f64; 4],
}

/// Index of true positives in [`Counts`] arrays.
pub const TP: usize = 0;
/// Index of false positives.
pub const FP: usize = 1;
/// Index of false negatives.
pub const FN: usize = 2;
/// Index of true negatives.
pub const TN: usize = 3;

impl Counts {
    /// Adds another cell's counts.
    pub fn add(&mut self, o: &Self) {
        for i in 0..4 {
            self.n[i] += o.n[i];
            self.w[i] += o.w[i];
            self.w2[i] += o.w2[i];
        }
    }

    /// Rows in the cell.
    #[must_use]
    pub fn rows(&self) -> u64 {
        self.n.iter().sum()
    }
}

/// Where a cell sits: control stratum (if any) and one value per sensitive feature.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct CellKey {
    /// Control stratum, `None` without a control feature.
    pub stratum: Option<String>,
    /// Values of the sensitive features, in feature order.
    pub group: Vec<String>,
}

/// All cells of an audit: the mergeable summary every metric derives from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cells {
    features: Vec<String>,
    control: Option<String>,
    weighted: bool,
    levels: Vec<BTreeSet<String>>,
    strata: BTreeSet<String>,
    cells: BTreeMap<CellKey, Counts>,
}

impl Cells {
    /// Counts `input` in one parallel pass: chunks of rows are tallied on rayon's threads
    /// and merged in a tree fixed by the number of rows, so the result does not depend on
    /// the number of threads.
    ///
    /// # Errors
    /// Length mismatches, bad weights, or no sensitive feature.
    pub fn count(input: &Input<'_>) -> Result<Self, FairnessError> {
        let n = input.label.len();
        if input.sensitive.is_empty() {
            return Err(FairnessError::NoSensitive);
        }
        let check = |column: &str, found: usize| {
            if found == n {
                Ok(())
            } else {
                Err(FairnessError::LengthMismatch {
                    column: column.to_owned(),
                    found,
                    expected_from: "label".to_owned(),
                    expected: n,
                })
            }
        };
        check("prediction", input.prediction.len())?;
        for c in input.sensitive {
            check(&c.name, c.len())?;
        }
        if let Some(c) = input.control {
            check(&c.name, c.len())?;
        }
        if let Some(w) = input.weight {
            check("weight", w.len())?;
            if let Some((row, &value)) = w.iter().enumerate().find(|(_, v)| !v.is_finite() || **v < 0.0) {
                return Err(FairnessError::BadWeight { row, value });
            }
        }
        let features: Vec<String> = input.sensitive.iter().map(|c| c.name.clone()).collect();
        let control = input.control.map(|c| c.name.as_str());
        // A tally whose dictionaries are the columns' own (levels are unique), so the
        // columns' codes are the tally's codes.
        let empty = || -> Result<Tally, FairnessError> {
            let mut t = Tally::new(&features, control, input.weight.is_some())?;
            for v in ["false", "true"] {
                t.code(0, v);
                t.code(1, v);
            }
            let columns = input.sensitive.iter().chain(input.control);
            for (d, c) in columns.enumerate() {
                for l in &c.levels {
                    t.code(2 + d, l);
                }
            }
            Ok(t)
        };
        let leaf = |k: usize| -> Result<Tally, FairnessError> {
            let mut t = empty()?;
            let (lo, hi) = (k * CHUNK, ((k + 1) * CHUNK).min(n));
            let label: Vec<u32> = input.label[lo..hi].iter().map(|&b| u32::from(b)).collect();
            let prediction: Vec<u32> = input.prediction[lo..hi].iter().map(|&b| u32::from(b)).collect();
            let mut codes: Vec<&[u32]> = vec![&label, &prediction];
            codes.extend(input.sensitive.iter().chain(input.control).map(|c| &c.codes[lo..hi]));
            t.count(&codes, input.weight.map(|w| &w[lo..hi]))?;
            Ok(t)
        };
        let join = |a: Result<Tally, FairnessError>, b: Result<Tally, FairnessError>| {
            let mut a = a?;
            a.merge(b?)?;
            Ok(a)
        };
        let tally = merge_tree(n.div_ceil(CHUNK), &leaf, &join).unwrap_or_else(empty)?;
        Ok(tally.into_cells(|v| v == "true"))
    }

    /// Cells from their parts (the tally's result).
    pub(crate) fn from_parts(
        features: Vec<String>,
        control: Option<String>,
        weighted: bool,
        levels: Vec<BTreeSet<String>>,
        strata: BTreeSet<String>,
        cells: BTreeMap<CellKey, Counts>,
    ) -> Self {
        Self { features, control, weighted, levels, strata, cells }
    }

    /// Adds `other` into `self`. Associative and commutative in the counts.
    ///
    /// # Errors
    /// [`FairnessError::MergeMismatch`] if the features differ.
    pub fn merge(&mut self, other: &Self) -> Result<(), FairnessError> {
        if self.features != other.features || self.control != other.control || self.weighted != other.weighted
        {
            return Err(FairnessError::MergeMismatch {
                left: self.features.join("`, `"),
                right: other.features.join("`, `"),
            });
        }
        for (a, b) in self.levels.iter_mut().zip(&other.levels) {
            a.extend(b.iter().cloned());
        }
        self.strata.extend(other.strata.iter().cloned());
        for (k, c) in &other.cells {
            self.cells.entry(k.clone()).or_default().add(c);
        }
        Ok(())
    }

    /// Sensitive feature names.
    #[must_use]
    pub fn features(&self) -> &[String] {
        &self.features
    }

    /// Control feature name, if any.
    #[must_use]
    pub fn control(&self) -> Option<&str> {
        self.control.as_deref()
    }

    /// Whether weights were given.
    #[must_use]
    pub fn weighted(&self) -> bool {
        self.weighted
    }

    /// Control strata (one `None` stratum without a control feature).
    #[must_use]
    pub fn strata(&self) -> Vec<Option<String>> {
        if self.control.is_some() { self.strata.iter().cloned().map(Some).collect() } else { vec![None] }
    }

    /// Every intersection of observed levels, including empty ones, in sorted order.
    #[must_use]
    pub fn groups(&self) -> Vec<Vec<String>> {
        let mut out: Vec<Vec<String>> = vec![Vec::new()];
        for levels in &self.levels {
            out = out
                .into_iter()
                .flat_map(|prefix| {
                    levels.iter().map(move |l| {
                        let mut g = prefix.clone();
                        g.push(l.clone());
                        g
                    })
                })
                .collect();
        }
        out
    }

    /// Counts of one cell (zero for an empty intersection).
    #[must_use]
    pub fn get(&self, stratum: Option<&str>, group: &[String]) -> Counts {
        let key = CellKey { stratum: stratum.map(str::to_owned), group: group.to_vec() };
        self.cells.get(&key).copied().unwrap_or_default()
    }

    /// Sum of all cells of a stratum (`None`: all strata).
    #[must_use]
    pub fn total(&self, stratum: Option<&str>) -> Counts {
        let mut t = Counts::default();
        for (k, c) in &self.cells {
            if stratum.is_none() || k.stratum.as_deref() == stratum {
                t.add(c);
            }
        }
        t
    }

    /// The non-empty cells.
    #[must_use]
    pub fn cells(&self) -> &BTreeMap<CellKey, Counts> {
        &self.cells
    }

    /// The same counts with every sensitive or control value seen in fewer than `min_rows`
    /// rows renamed `label(n)` (`n` = 1, 2, ... per feature, in value order), so a value that
    /// could single a person out is never written into a report. Numbers are unchanged: each
    /// rare value stays its own group, only its name is withheld.
    #[must_use]
    pub fn withhold_rare(&self, min_rows: u64, label: impl Fn(usize) -> String) -> Cells {
        let dims = self.levels.len();
        let mut rows: Vec<BTreeMap<&str, u64>> = vec![BTreeMap::new(); dims];
        let mut strata: BTreeMap<&str, u64> = BTreeMap::new();
        for (k, c) in &self.cells {
            for (d, v) in k.group.iter().enumerate() {
                *rows[d].entry(v.as_str()).or_default() += c.rows();
            }
            if let Some(s) = &k.stratum {
                *strata.entry(s.as_str()).or_default() += c.rows();
            }
        }
        let rename = |seen: &BTreeMap<&str, u64>, levels: &mut dyn Iterator<Item = &String>| {
            let mut n = 0;
            levels
                .map(|l| {
                    let name = if seen.get(l.as_str()).copied().unwrap_or(0) < min_rows {
                        n += 1;
                        label(n)
                    } else {
                        l.clone()
                    };
                    (l.clone(), name)
                })
                .collect::<BTreeMap<String, String>>()
        };
        let names: Vec<BTreeMap<String, String>> =
            self.levels.iter().enumerate().map(|(d, ls)| rename(&rows[d], &mut ls.iter())).collect();
        let stratum_names = rename(&strata, &mut self.strata.iter());
        let pick = |m: &BTreeMap<String, String>, v: &String| m.get(v).cloned().unwrap_or_else(|| v.clone());
        let cells = self
            .cells
            .iter()
            .map(|(k, c)| {
                let key = CellKey {
                    stratum: k.stratum.as_ref().map(|s| pick(&stratum_names, s)),
                    group: k.group.iter().enumerate().map(|(d, v)| pick(&names[d], v)).collect(),
                };
                (key, *c)
            })
            .collect();
        Cells {
            features: self.features.clone(),
            control: self.control.clone(),
            weighted: self.weighted,
            levels: names.iter().map(|m| m.values().cloned().collect()).collect(),
            strata: stratum_names.values().cloned().collect(),
            cells,
        }
    }

    /// The same cells (features, levels, strata) with every count replaced by `f(counts)`;
    /// the bootstrap uses it to redraw cells without revisiting rows.
    pub(crate) fn map_counts(&self, mut f: impl FnMut(&Counts) -> Counts) -> Self {
        let mut out = self.clone();
        for c in out.cells.values_mut() {
            *c = f(c);
        }
        out
    }
}
