//! What every reader shares: the summary of a block of rows ([`Partial`]), how two merge,
//! the observers, and the finished [`Profile`].
//!
//! Readers cut the input into blocks (CSV and JSON Lines: about `block_bytes` of whole
//! records; Parquet: a row group), summarise up to two blocks per thread at once, and fold
//! the summaries in file order. Only the folded summary and the blocks in flight are held,
//! so memory depends on columns and limits, not rows; and since the fold order is the file
//! order, the profile does not depend on the number of threads.

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};

use crate::column::{ColumnAcc, Finish};
use crate::hash::{self, Fixed, Hll, Map};
use crate::model::{BiasProfile, Estimate, Group, LimitsUsed, Profile, SensitiveColumn};
use crate::{Format, Options, Pattern, ProfileError, ValueObserver, error};

/// Row hashes seen, exact while few enough.
#[derive(Debug, Clone)]
pub(crate) enum RowSet {
    Exact(HashSet<u64, Fixed>),
    Approx(Hll),
}

impl RowSet {
    pub(crate) fn new() -> Self {
        Self::Exact(HashSet::default())
    }

    pub(crate) fn extend(&mut self, hashes: &[u64], limit: usize) {
        match self {
            Self::Exact(s) => {
                s.extend(hashes.iter().copied());
                if s.len() > limit {
                    self.approximate();
                }
            }
            Self::Approx(h) => hashes.iter().for_each(|&x| h.insert(hash::mix(x))),
        }
    }

    fn approximate(&mut self) {
        if let Self::Exact(s) = self {
            let mut h = Hll::new();
            for &x in s.iter() {
                h.insert(hash::mix(x));
            }
            *self = Self::Approx(h);
        }
    }

    fn merge(&mut self, other: Self, limit: usize) {
        match (&mut *self, other) {
            (Self::Exact(a), Self::Exact(b)) => {
                a.extend(b);
                if a.len() > limit {
                    self.approximate();
                }
            }
            (Self::Approx(a), Self::Exact(b)) => b.iter().for_each(|&x| a.insert(hash::mix(x))),
            (a @ Self::Exact(_), Self::Approx(mut b)) => {
                if let Self::Exact(s) = a {
                    for &x in s.iter() {
                        b.insert(hash::mix(x));
                    }
                }
                *a = Self::Approx(b);
            }
            (Self::Approx(a), Self::Approx(b)) => a.merge(&b),
        }
    }

    fn distinct(&self) -> (u64, bool) {
        match self {
            Self::Exact(s) => (s.len() as u64, true),
            Self::Approx(h) => (h.estimate(), false),
        }
    }
}

/// One group's rows, and per column how many of them have a value.
#[derive(Debug, Clone, Default)]
pub(crate) struct GroupAcc {
    pub(crate) count: u64,
    pub(crate) present: Vec<u64>,
}

/// The groups of one sensitive column.
#[derive(Debug, Clone, Default)]
pub(crate) struct BiasAcc {
    pub(crate) missing: u64,
    pub(crate) groups: Map<Box<str>, GroupAcc>,
}

/// The summary of some rows.
#[derive(Debug, Clone)]
pub(crate) struct Partial {
    pub(crate) rows: u64,
    pub(crate) names: Vec<Box<str>>,
    pub(crate) columns: Vec<ColumnAcc>,
    pub(crate) rowset: RowSet,
    /// One per sensitive column, in the order declared.
    pub(crate) bias: Vec<BiasAcc>,
}

impl Partial {
    pub(crate) fn empty(ctx: &Ctx<'_>) -> Self {
        Self {
            rows: 0,
            names: Vec::new(),
            columns: Vec::new(),
            rowset: RowSet::new(),
            bias: vec![BiasAcc::default(); ctx.options.sensitive.len()],
        }
    }

    /// Adds `other`, whose columns are matched to these by name (new ones appended).
    pub(crate) fn merge(&mut self, other: Self, ctx: &Ctx<'_>) -> Result<(), ProfileError> {
        let limits = &ctx.options.limits;
        let same = self.names == other.names;
        let map: Vec<usize> = if same {
            (0..other.names.len()).collect()
        } else {
            let mut index: Map<&str, usize> = self.names.iter().enumerate().map(|(i, n)| (&**n, i)).collect();
            let mut added = Vec::new();
            let mut map = Vec::with_capacity(other.names.len());
            for n in &other.names {
                if let Some(&i) = index.get(&**n) {
                    map.push(i);
                } else {
                    let i = self.names.len() + added.len();
                    index.insert(n, i);
                    added.push(n.clone());
                    map.push(i);
                }
            }
            drop(index);
            self.names.extend(added);
            map
        };
        if self.names.len() > limits.max_columns {
            return Err(ProfileError::TooManyColumns { found: self.names.len(), limit: limits.max_columns });
        }
        self.rows += other.rows;
        let mut slots: Vec<Option<ColumnAcc>> =
            std::mem::take(&mut self.columns).into_iter().map(Some).collect();
        slots.resize_with(self.names.len(), || None);
        for (j, acc) in other.columns.into_iter().enumerate() {
            // `map` has one entry per column of `other`, each below `self.names.len()`.
            let slot = &mut slots[map[j]];
            match slot {
                Some(a) => a.merge(acc, limits.exact_distinct),
                None => *slot = Some(acc),
            }
        }
        // Every slot is filled: by `self` or, for an added name, by `other`.
        self.columns = slots.into_iter().flatten().collect();
        self.rowset.merge(other.rowset, limits.exact_row_hashes);
        let width = self.names.len();
        for (s, (mine, theirs)) in self.bias.iter_mut().zip(other.bias).enumerate() {
            mine.missing += theirs.missing;
            for (value, g) in theirs.groups {
                let e = mine.groups.entry(value).or_default();
                e.count += g.count;
                e.present.resize(width, 0);
                for (j, p) in g.present.into_iter().enumerate() {
                    e.present[map[j]] += p;
                }
            }
            if mine.groups.len() > limits.max_groups {
                return Err(ProfileError::TooManyGroups {
                    column: ctx.options.sensitive[s].clone(),
                    limit: limits.max_groups,
                });
            }
        }
        Ok(())
    }

    /// The published profile.
    #[expect(clippy::cast_precision_loss, reason = "counts below 2^52")]
    pub(crate) fn finish(self, ctx: &Ctx<'_>, source: Format) -> Result<Profile, ProfileError> {
        let o = ctx.options;
        let available = || error::list(self.names.iter().map(|n| &**n));
        for name in o.sensitive.iter().chain(o.formats.iter().map(|(n, _)| n)) {
            if !self.names.iter().any(|n| **n == **name) {
                return Err(ProfileError::UnknownColumn { column: name.clone(), available: available() });
            }
        }
        let rows = self.rows;
        let (distinct_rows, exact) = self.rowset.distinct();
        let share = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
        let bias = (!o.sensitive.is_empty()).then(|| BiasProfile {
            min_group_size: o.min_group_size,
            columns: o
                .sensitive
                .iter()
                .zip(&self.bias)
                .map(|(column, b)| {
                    let known: u64 = b.groups.values().map(|g| g.count).sum();
                    let mut groups: Vec<Group> = b
                        .groups
                        .iter()
                        .map(|(value, g)| Group {
                            value: value.to_string(),
                            count: g.count,
                            share: share(g.count, known),
                            under_min_size: g.count < o.min_group_size,
                            missing_share_per_column: self
                                .names
                                .iter()
                                .enumerate()
                                .filter(|(_, n)| ***n != **column)
                                .map(|(j, n)| {
                                    let present = g.present.get(j).copied().unwrap_or(0);
                                    (n.to_string(), share(g.count - present.min(g.count), g.count))
                                })
                                .collect::<BTreeMap<_, _>>(),
                        })
                        .collect();
                    groups.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
                    SensitiveColumn {
                        column: column.clone(),
                        missing: b.missing,
                        missing_share: share(b.missing, rows),
                        groups,
                    }
                })
                .collect(),
        });
        let l = &o.limits;
        let columns = self
            .names
            .iter()
            .zip(self.columns)
            .map(|(name, acc)| acc.finish(&Finish { rows, top_k: l.top_k, bins: l.histogram_bins, name }))
            .collect();
        Ok(Profile {
            format: crate::FORMAT.to_owned(),
            source,
            rows,
            duplicate_rows: Estimate { count: rows.saturating_sub(distinct_rows), exact },
            columns,
            bias,
            limits: LimitsUsed {
                exact_distinct: l.exact_distinct as u64,
                exact_row_hashes: l.exact_row_hashes as u64,
                quantile_buffer: l.quantile_buffer as u64,
            },
        })
    }
}

/// An observer shared by the blocks being summarised.
pub(crate) type Shared<O> = Arc<Mutex<O>>;

/// The caller's observers, made on first sight of each column.
pub(crate) struct Observers<'f, O> {
    inner: Mutex<ObserverSlots<'f, O>>,
}

struct ObserverSlots<'f, O> {
    factory: &'f mut (dyn FnMut(&str) -> Option<O> + Send),
    slots: Vec<(String, Option<Shared<O>>)>,
    index: Map<String, usize>,
}

impl<'f, O: ValueObserver> Observers<'f, O> {
    pub(crate) fn new(factory: &'f mut (dyn FnMut(&str) -> Option<O> + Send)) -> Self {
        Self { inner: Mutex::new(ObserverSlots { factory, slots: Vec::new(), index: Map::default() }) }
    }

    /// The observer of column `name`, asking the factory the first time.
    pub(crate) fn get(&self, name: &str) -> Option<Shared<O>> {
        let mut g = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(&i) = g.index.get(name) {
            return g.slots.get(i).and_then(|s| s.1.clone());
        }
        let made = (g.factory)(name).map(|o| Arc::new(Mutex::new(o)));
        let i = g.slots.len();
        g.slots.push((name.to_owned(), made.clone()));
        g.index.insert(name.to_owned(), i);
        made
    }

    /// The observers made, by column, once no block holds one.
    pub(crate) fn into_vec(self) -> Vec<(String, O)> {
        let g = self.inner.into_inner().unwrap_or_else(PoisonError::into_inner);
        g.slots
            .into_iter()
            .filter_map(|(n, o)| {
                let o = Arc::try_unwrap(o?).ok()?;
                Some((n, o.into_inner().unwrap_or_else(PoisonError::into_inner)))
            })
            .collect()
    }
}

/// What a block's summary needs to know: options, declared formats by name.
pub(crate) struct Ctx<'a> {
    pub(crate) options: &'a Options,
    patterns: Map<&'a str, &'a Pattern>,
}

impl<'a> Ctx<'a> {
    pub(crate) fn new(options: &'a Options) -> Self {
        let patterns = options.formats.iter().map(|(n, p)| (n.as_str(), p)).collect();
        Self { options, patterns }
    }

    pub(crate) fn pattern(&self, column: &str) -> Option<Pattern> {
        self.patterns.get(column).map(|p| (*p).clone())
    }

    /// Index of each sensitive column among `names` (`None`: not in this block).
    pub(crate) fn sensitive_in(&self, names: &[Box<str>]) -> Vec<Option<usize>> {
        self.options.sensitive.iter().map(|s| names.iter().position(|n| **n == **s)).collect()
    }
}

/// Which rows of a column have a value, for [`Grouping::finish`].
#[derive(Debug, Clone, Copy)]
pub(crate) enum Present<'a> {
    /// Every row.
    All,
    /// Row `r` when `rows[r]`; rows past the end have none.
    Rows(&'a [bool]),
}

impl Present<'_> {
    /// Whether row `r` has a value.
    pub(crate) fn has(self, r: usize) -> bool {
        match self {
            Present::All => true,
            Present::Rows(rows) => rows.get(r).copied().unwrap_or(false),
        }
    }
}

/// Block-local group ids of one sensitive column: `None` for a missing value.
pub(crate) struct Grouping {
    ids: Map<Box<str>, usize>,
    keys: Vec<Box<str>>,
    pub(crate) of_row: Vec<Option<usize>>,
}

impl Grouping {
    pub(crate) fn new(rows: usize) -> Self {
        Self { ids: Map::default(), keys: Vec::new(), of_row: Vec::with_capacity(rows) }
    }

    /// The next row's group: `value`'s, or none for a missing value.
    pub(crate) fn push(&mut self, value: Option<&str>) {
        let id = value.map(|v| self.id(v));
        self.push_id(id);
    }

    /// The id of `value`'s group, made on first sight.
    pub(crate) fn id(&mut self, value: &str) -> usize {
        if let Some(&i) = self.ids.get(value) {
            i
        } else {
            let i = self.keys.len();
            self.keys.push(value.into());
            self.ids.insert(value.into(), i);
            i
        }
    }

    /// The next row's group by id (from [`Grouping::id`]), or none for a missing value.
    pub(crate) fn push_id(&mut self, id: Option<usize>) {
        self.of_row.push(id);
    }

    /// The block's groups, counting with `present(column)` which columns have a value in which
    /// rows.
    pub(crate) fn finish<'p>(self, columns: usize, present: impl Fn(usize) -> Present<'p>) -> BiasAcc {
        let mut groups: Vec<GroupAcc> =
            (0..self.keys.len()).map(|_| GroupAcc { count: 0, present: vec![0; columns] }).collect();
        let mut missing = 0;
        for id in &self.of_row {
            match id {
                // Ids index `keys`, and `groups` has one entry per key.
                Some(i) => groups[*i].count += 1,
                None => missing += 1,
            }
        }
        for c in 0..columns {
            match present(c) {
                // Every row of a group has a value: its count.
                Present::All => groups.iter_mut().for_each(|g| g.present[c] = g.count),
                Present::Rows(rows) => {
                    for (id, &has) in self.of_row.iter().zip(rows) {
                        if let Some(i) = id
                            && has
                        {
                            groups[*i].present[c] += 1;
                        }
                    }
                }
            }
        }
        BiasAcc { missing, groups: self.keys.into_iter().zip(groups).collect() }
    }
}

/// Summarises `blocks` in waves of `2 × threads`, each wave in parallel while the next is
/// read, folding results in order.
pub(crate) fn run<B: Send>(
    ctx: &Ctx<'_>,
    mut next: impl FnMut() -> Result<Option<B>, ProfileError> + Send,
    summarise: impl Fn(B) -> Result<Partial, ProfileError> + Sync,
) -> Result<Partial, ProfileError> {
    use rayon::prelude::*;
    let wave = 2 * rayon::current_num_threads().max(1);
    let mut read = move || -> Result<Vec<B>, ProfileError> {
        let mut v = Vec::with_capacity(wave);
        while v.len() < wave {
            match next()? {
                Some(b) => v.push(b),
                None => break,
            }
        }
        Ok(v)
    };
    let mut acc = Partial::empty(ctx);
    let mut current = read()?;
    while !current.is_empty() {
        let (done, upcoming) =
            rayon::join(|| current.into_par_iter().map(&summarise).collect::<Result<Vec<_>, _>>(), &mut read);
        for p in done? {
            acc.merge(p, ctx)?;
        }
        current = upcoming?;
    }
    Ok(acc)
}
