//! Tallies: the count pass as a stream of chunks.
//!
//! A [`Tally`] counts rows whose columns arrive dictionary-coded against the tally's own
//! dictionaries (label value, prediction value, sensitive values, control stratum). Tallies
//! of different chunks merge by value ([`Tally::merge`]), so a reader counts a file chunk by
//! chunk, in parallel, with memory O(groups) and never O(rows). [`merge_tree`] merges chunks
//! in a binary tree fixed by their number, so the floating-point sums (Σw, Σw²) come out the
//! same whatever the number of threads. The positive label is applied only at the end
//! ([`Tally::into_cells`]), which lets a reader infer it from the values it has seen.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::FairnessError;
use crate::cells::{CellKey, Cells, Counts, FN, FP, TN, TP};

/// Batches whose level product is at most this are counted in a dense table.
const DENSE_MIN: usize = 1 << 12;
/// Never count in a dense table larger than this.
const DENSE_MAX: usize = 1 << 22;

/// One coded dimension of a tally.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dim {
    /// Ground truth value.
    Label,
    /// Decision value.
    Prediction,
    /// The `k`-th sensitive feature.
    Sensitive(usize),
    /// The control feature.
    Control,
}

/// Values of one dimension, in first-seen order; a value's code is its index.
#[derive(Debug, Clone, Default)]
struct Dictionary {
    index: HashMap<String, u32>,
    levels: Vec<String>,
}

impl Dictionary {
    fn code(&mut self, value: &str) -> u32 {
        if let Some(&c) = self.index.get(value) {
            return c;
        }
        let c = u32::try_from(self.levels.len()).unwrap_or(u32::MAX);
        self.index.insert(value.to_owned(), c);
        self.levels.push(value.to_owned());
        c
    }
}

/// Sums of one key: rows, Σw, Σw².
#[derive(Debug, Clone, Copy, Default)]
struct Acc {
    n: u64,
    w: f64,
    w2: f64,
}

impl Acc {
    fn add(&mut self, o: &Self) {
        self.n += o.n;
        self.w += o.w;
        self.w2 += o.w2;
    }
}

/// Reused buffers of [`Tally::count`].
#[derive(Debug, Clone, Default)]
struct Scratch {
    index: Vec<u32>,
    dense: Vec<Acc>,
    key: Vec<u32>,
}

/// Counts of coded rows, keyed by the values they stand for; mergeable.
#[derive(Debug, Clone)]
pub struct Tally {
    features: Vec<String>,
    control: Option<String>,
    weighted: bool,
    /// Label, prediction, the sensitive features in order, then the control feature.
    dicts: Vec<Dictionary>,
    cells: BTreeMap<Box<[u32]>, Acc>,
    rows: u64,
    scratch: Scratch,
}

impl Tally {
    /// An empty tally over these sensitive features (and control feature).
    ///
    /// # Errors
    /// [`FairnessError::NoSensitive`] if `features` is empty.
    pub fn new(features: &[String], control: Option<&str>, weighted: bool) -> Result<Self, FairnessError> {
        if features.is_empty() {
            return Err(FairnessError::NoSensitive);
        }
        let dims = 2 + features.len() + usize::from(control.is_some());
        Ok(Self {
            features: features.to_vec(),
            control: control.map(str::to_owned),
            weighted,
            dicts: vec![Dictionary::default(); dims],
            cells: BTreeMap::new(),
            rows: 0,
            scratch: Scratch::default(),
        })
    }

    /// Number of coded dimensions: label, prediction, one per sensitive feature, and the
    /// control feature if there is one. [`Tally::count`] takes codes in this order.
    #[must_use]
    pub fn dims(&self) -> usize {
        self.dicts.len()
    }

    /// Position of `dim` among [`Tally::dims`], or `None` if the tally has no such dimension.
    #[must_use]
    pub fn position(&self, dim: Dim) -> Option<usize> {
        let k = self.features.len();
        match dim {
            Dim::Label => Some(0),
            Dim::Prediction => Some(1),
            Dim::Sensitive(i) => (i < k).then_some(2 + i),
            Dim::Control => self.control.is_some().then_some(2 + k),
        }
    }

    /// The code of `value` in dimension `d` (by position), adding it if it is new.
    ///
    /// # Panics
    /// If `d >= self.dims()`: dimensions are fixed when the tally is made.
    pub fn code(&mut self, d: usize, value: &str) -> u32 {
        self.dicts[d].code(value)
    }

    /// The values of dimension `d` (by position) seen so far; a code is an index into it.
    ///
    /// # Panics
    /// If `d >= self.dims()`.
    #[must_use]
    pub fn levels(&self, d: usize) -> &[String] {
        &self.dicts[d].levels
    }

    /// Rows counted.
    #[must_use]
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Whether the tally counts weights.
    #[must_use]
    pub fn weighted(&self) -> bool {
        self.weighted
    }

    fn name(&self, d: usize) -> String {
        match d {
            0 => "label".to_owned(),
            1 => "prediction".to_owned(),
            d => self.features.get(d - 2).or(self.control.as_ref()).cloned().unwrap_or_default(),
        }
    }

    /// Counts a batch of rows: `codes` holds one slice per dimension (in [`Tally::dims`]
    /// order), each a code handed out by [`Tally::code`] for that dimension; `weight` is
    /// given exactly when the tally is weighted. Rows in errors are 0-based within the batch.
    ///
    /// # Errors
    /// The wrong number of slices or of weights, slices of different lengths, a code
    /// outside its dictionary, or a negative or non-finite weight.
    pub fn count(&mut self, codes: &[&[u32]], weight: Option<&[f64]>) -> Result<(), FairnessError> {
        if codes.len() != self.dicts.len() || weight.is_some() != self.weighted {
            return Err(FairnessError::Shape {
                expected: self.dicts.len(),
                weighted: self.weighted,
                found: codes.len(),
                found_weight: weight.is_some(),
            });
        }
        let n = codes.first().map_or(0, |c| c.len());
        for (d, c) in codes.iter().enumerate() {
            if c.len() != n {
                return Err(FairnessError::LengthMismatch {
                    column: self.name(d),
                    found: c.len(),
                    expected_from: "label".to_owned(),
                    expected: n,
                });
            }
        }
        if let Some(w) = weight
            && w.len() != n
        {
            return Err(FairnessError::LengthMismatch {
                column: "weight".to_owned(),
                found: w.len(),
                expected_from: "label".to_owned(),
                expected: n,
            });
        }
        if n == 0 {
            return Ok(());
        }
        let sizes: Vec<usize> = self.dicts.iter().map(|d| d.levels.len().max(1)).collect();
        let product = sizes.iter().try_fold(1usize, |a, &s| a.checked_mul(s));
        match product {
            Some(p) if p <= DENSE_MIN.max(n).min(DENSE_MAX) => self.count_dense(codes, weight, &sizes, p)?,
            _ => {
                self.check_codes(codes)?;
                check_weights(weight)?;
                self.count_sparse(codes, weight);
            }
        }
        self.rows += n as u64;
        Ok(())
    }

    /// The first code outside its dictionary, as an error.
    fn check_codes(&self, codes: &[&[u32]]) -> Result<(), FairnessError> {
        for (d, c) in codes.iter().enumerate() {
            let levels = self.dicts[d].levels.len();
            if let Some((row, &code)) = c.iter().enumerate().find(|(_, x)| **x as usize >= levels) {
                return Err(FairnessError::BadCode { column: self.name(d), row, code, levels });
            }
        }
        Ok(())
    }

    /// Counts through a dense table indexed by the mixed-radix code of each row; checks the
    /// codes while it computes the index.
    fn count_dense(
        &mut self,
        codes: &[&[u32]],
        weight: Option<&[f64]>,
        sizes: &[usize],
        p: usize,
    ) -> Result<(), FairnessError> {
        let s = &mut self.scratch;
        s.index.clear();
        s.index.resize(codes.first().map_or(0, |c| c.len()), 0);
        let mut bad = 0u32;
        for ((c, &size), dict) in codes.iter().zip(sizes).zip(&self.dicts) {
            // `p <= DENSE_MAX` fits in u32, so every size and partial index does.
            let (size, levels) = (size as u32, dict.levels.len() as u32);
            for (x, &code) in s.index.iter_mut().zip(c.iter()) {
                bad |= u32::from(code >= levels);
                *x = *x * size + code;
            }
        }
        if bad != 0 {
            return self.check_codes(codes);
        }
        let s = &mut self.scratch;
        s.dense.clear();
        s.dense.resize(p, Acc::default());
        // Every index is below `p`: each code is below its dimension's size.
        match weight {
            None => {
                for &i in &s.index {
                    s.dense[i as usize].n += 1;
                }
            }
            Some(w) => {
                // Weights are checked as they are added; the table is thrown away if one is bad.
                let mut bad = false;
                for (&i, &x) in s.index.iter().zip(w) {
                    bad |= !(0.0..f64::INFINITY).contains(&x);
                    let a = &mut s.dense[i as usize];
                    a.n += 1;
                    a.w += x;
                    a.w2 += x * x;
                }
                if bad {
                    return check_weights(weight);
                }
            }
        }
        let mut key = vec![0u32; sizes.len()];
        for (mut i, acc) in s.dense.iter().enumerate() {
            if acc.n == 0 {
                continue;
            }
            for (k, &size) in key.iter_mut().zip(sizes).rev() {
                *k = (i % size) as u32;
                i /= size;
            }
            match self.cells.get_mut(key.as_slice()) {
                Some(a) => a.add(acc),
                None => {
                    self.cells.insert(key.clone().into_boxed_slice(), *acc);
                }
            }
        }
        Ok(())
    }

    /// Counts row by row into the map: for level products too large for a dense table.
    fn count_sparse(&mut self, codes: &[&[u32]], weight: Option<&[f64]>) {
        let n = codes.first().map_or(0, |c| c.len());
        let key = &mut self.scratch.key;
        for row in 0..n {
            key.clear();
            // Every slice has `n` codes (checked by `count`).
            key.extend(codes.iter().map(|c| c[row]));
            let x = weight.map_or(0.0, |w| w[row]);
            let acc = Acc { n: 1, w: x, w2: x * x };
            match self.cells.get_mut(key.as_slice()) {
                Some(a) => a.add(&acc),
                None => {
                    self.cells.insert(key.clone().into_boxed_slice(), acc);
                }
            }
        }
    }

    /// Adds `other` into `self`, matching values, not codes. Associative and commutative in
    /// the counts; Σw and Σw² are sums of the same terms in a different order.
    ///
    /// # Errors
    /// [`FairnessError::MergeMismatch`] if features, control or weighting differ.
    pub fn merge(&mut self, other: Self) -> Result<(), FairnessError> {
        if self.features != other.features || self.control != other.control || self.weighted != other.weighted
        {
            return Err(FairnessError::MergeMismatch {
                left: self.features.join("`, `"),
                right: other.features.join("`, `"),
            });
        }
        let remap: Vec<Vec<u32>> = self
            .dicts
            .iter_mut()
            .zip(&other.dicts)
            .map(|(mine, theirs)| theirs.levels.iter().map(|l| mine.code(l)).collect())
            .collect();
        let mut key = Vec::with_capacity(remap.len());
        for (k, acc) in &other.cells {
            key.clear();
            // Every code of `other` indexes its own dictionary, which `remap` covers.
            key.extend(k.iter().zip(&remap).map(|(&c, m)| m[c as usize]));
            match self.cells.get_mut(key.as_slice()) {
                Some(a) => a.add(acc),
                None => {
                    self.cells.insert(key.clone().into_boxed_slice(), *acc);
                }
            }
        }
        self.rows += other.rows;
        Ok(())
    }

    /// The cells: each label and prediction value is positive when `positive(value)` holds;
    /// sensitive and control values are taken as they are.
    #[must_use]
    pub fn into_cells(self, positive: impl Fn(&str) -> bool) -> Cells {
        let k = self.features.len();
        let pos: Vec<Vec<bool>> =
            self.dicts[..2].iter().map(|d| d.levels.iter().map(|l| positive(l)).collect()).collect();
        let mut cells: BTreeMap<CellKey, Counts> = BTreeMap::new();
        for (key, acc) in &self.cells {
            // Keys have one code per dimension, each within its dictionary.
            let i = match (pos[0][key[0] as usize], pos[1][key[1] as usize]) {
                (true, true) => TP,
                (false, true) => FP,
                (true, false) => FN,
                (false, false) => TN,
            };
            let group = (0..k).map(|f| self.dicts[2 + f].levels[key[2 + f] as usize].clone()).collect();
            let stratum =
                self.control.as_ref().map(|_| self.dicts[2 + k].levels[key[2 + k] as usize].clone());
            let c = cells.entry(CellKey { stratum, group }).or_default();
            c.n[i] += acc.n;
            c.w[i] += acc.w;
            c.w2[i] += acc.w2;
        }
        if !self.weighted {
            for c in cells.values_mut() {
                for i in 0..4 {
                    #[expect(clippy::cast_precision_loss, reason = "counts stay far below 2^53")]
                    let n = c.n[i] as f64;
                    c.w[i] = n;
                    c.w2[i] = n;
                }
            }
        }
        let levels: Vec<BTreeSet<String>> =
            (0..k).map(|f| self.dicts[2 + f].levels.iter().cloned().collect()).collect();
        let strata = self.control.as_ref().map(|_| self.dicts[2 + k].levels.iter().cloned().collect());
        Cells::from_parts(
            self.features,
            self.control,
            self.weighted,
            levels,
            strata.unwrap_or_default(),
            cells,
        )
    }
}

/// The first negative or non-finite weight, as an error.
fn check_weights(weight: Option<&[f64]>) -> Result<(), FairnessError> {
    match weight.and_then(|w| w.iter().enumerate().find(|(_, v)| !(0.0..f64::INFINITY).contains(*v))) {
        Some((row, &value)) => Err(FairnessError::BadWeight { row, value }),
        None => Ok(()),
    }
}

/// Computes `leaf(0)`, …, `leaf(n - 1)` in parallel (rayon) and combines them with `join`
/// in a binary tree whose shape depends only on `n`: `join(left, right)` always gets the
/// results of two adjacent ranges, left first. `None` when `n` is 0.
///
/// The tree keeps few partial results alive at once (about one per thread and level), and
/// because its shape is fixed, combining floating-point sums gives the same result on any
/// number of threads.
pub fn merge_tree<T, F, J>(n: usize, leaf: &F, join: &J) -> Option<T>
where
    T: Send,
    F: Fn(usize) -> T + Sync,
    J: Fn(T, T) -> T + Sync,
{
    fn go<T: Send, F: Fn(usize) -> T + Sync, J: Fn(T, T) -> T + Sync>(
        lo: usize,
        hi: usize,
        leaf: &F,
        join: &J,
    ) -> T {
        if hi - lo == 1 {
            return leaf(lo);
        }
        let mid = lo + (hi - lo) / 2;
        let (a, b) = rayon::join(|| go(lo, mid, leaf, join), || go(mid, hi, leaf, join));
        join(a, b)
    }
    (n > 0).then(|| go(0, n, leaf, join))
}
