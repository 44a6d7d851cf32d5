//! The per-column summaries that bound memory: moments, a quantile sketch and a frequency
//! counter. Each merges with another of its kind, so blocks are summarised in parallel and
//! folded in file order; none keeps more than a fixed number of entries, whatever the rows.

use std::borrow::Borrow;
use std::hash::{Hash, Hasher};

use crate::hash::{Hll, Map};

/// Count, mean and sum of squared deviations (Welford), merged with Chan et al.'s formula.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Moments {
    pub(crate) n: u64,
    pub(crate) mean: f64,
    pub(crate) m2: f64,
    pub(crate) min: f64,
    pub(crate) max: f64,
}

impl Moments {
    #[expect(clippy::cast_precision_loss, reason = "counts below 2^52")]
    pub(crate) fn push(&mut self, x: f64) {
        if self.n == 0 {
            self.min = x;
            self.max = x;
        } else {
            self.min = self.min.min(x);
            self.max = self.max.max(x);
        }
        self.n += 1;
        let d = x - self.mean;
        self.mean += d / self.n as f64;
        self.m2 += d * (x - self.mean);
    }

    /// The moments of a batch, in two passes (exact mean first, then deviations).
    #[expect(clippy::cast_precision_loss, reason = "counts below 2^52")]
    pub(crate) fn of(xs: &[f64]) -> Self {
        let Some(&first) = xs.first() else { return Self::default() };
        let n = xs.len();
        let (mut min, mut max, mut sum) = (first, first, 0.0);
        for &x in xs {
            min = min.min(x);
            max = max.max(x);
            sum += x;
        }
        let mean = sum / n as f64;
        let m2 = xs.iter().map(|&x| (x - mean) * (x - mean)).sum();
        Self { n: n as u64, mean, m2, min, max }
    }

    #[expect(clippy::cast_precision_loss, reason = "counts below 2^52")]
    pub(crate) fn merge(&mut self, o: &Self) {
        if o.n == 0 {
            return;
        }
        if self.n == 0 {
            *self = *o;
            return;
        }
        let (na, nb) = (self.n as f64, o.n as f64);
        let n = na + nb;
        let d = o.mean - self.mean;
        self.mean += d * nb / n;
        self.m2 += o.m2 + d * d * na * nb / n;
        self.n += o.n;
        self.min = self.min.min(o.min);
        self.max = self.max.max(o.max);
    }

    /// Sample standard deviation (ddof = 1, as pandas), `None` below two values.
    #[expect(clippy::cast_precision_loss, reason = "counts below 2^52")]
    pub(crate) fn std(&self) -> Option<f64> {
        (self.n > 1).then(|| (self.m2.max(0.0) / (self.n - 1) as f64).sqrt())
    }
}

/// A deterministic mergeable quantile sketch (Manku–Rajagopalan–Lindsay compactors).
///
/// Level `h` holds values of weight 2^h. A level reaching `k` values is sorted and halved,
/// keeping the even or the odd positions (alternating per level, so no direction is
/// favoured), and the kept half moves up a level. While nothing has been compacted the
/// sketch holds every value and quantiles are exact. Each compaction moves any rank by at
/// most the weight of its level, so a rank is off by at most `levels × count / k` (at
/// `k = 4096` and 10 million values, 12 levels: 0.3 % of the count), and in practice far
/// less. The weights always add up to the count, so a histogram drawn from it has exactly
/// `count` values.
#[derive(Debug, Clone)]
pub(crate) struct Quantiles {
    k: usize,
    levels: Vec<Vec<f64>>,
    /// Per level, whether the next compaction keeps the odd positions.
    odd: Vec<bool>,
    compacted: bool,
}

impl Quantiles {
    pub(crate) fn new(k: usize) -> Self {
        Self { k: k.max(8) & !1, levels: vec![Vec::new()], odd: vec![false], compacted: false }
    }

    pub(crate) fn push(&mut self, x: f64) {
        // `levels` always has level 0.
        self.levels[0].push(x);
        if self.levels[0].len() >= self.k {
            self.compact_from(0);
        }
    }

    pub(crate) fn extend(&mut self, xs: &[f64]) {
        let mut rest = xs;
        while !rest.is_empty() {
            let room = self.k - self.levels[0].len().min(self.k - 1);
            let (now, later) = rest.split_at(room.min(rest.len()));
            self.levels[0].extend_from_slice(now);
            if self.levels[0].len() >= self.k {
                self.compact_from(0);
            }
            rest = later;
        }
    }

    fn compact_from(&mut self, mut h: usize) {
        while h < self.levels.len() && self.levels[h].len() >= self.k {
            self.compacted = true;
            if h + 1 == self.levels.len() {
                self.levels.push(Vec::new());
                self.odd.push(false);
            }
            let mut buf = std::mem::take(&mut self.levels[h]);
            sort_total(&mut buf);
            // An odd value out stays at this level.
            if buf.len() % 2 == 1
                && let Some(last) = buf.pop()
            {
                self.levels[h].push(last);
            }
            let start = usize::from(self.odd[h]);
            self.odd[h] = !self.odd[h];
            let kept = buf.iter().skip(start).step_by(2).copied();
            self.levels[h + 1].extend(kept);
            h += 1;
        }
    }

    pub(crate) fn merge(&mut self, o: &Self) {
        self.compacted |= o.compacted;
        while self.levels.len() < o.levels.len() {
            self.levels.push(Vec::new());
            self.odd.push(false);
        }
        for (h, l) in o.levels.iter().enumerate() {
            self.levels[h].extend_from_slice(l);
        }
        for h in 0..self.levels.len() {
            if self.levels[h].len() >= self.k {
                self.compact_from(h);
            }
        }
    }

    pub(crate) fn exact(&self) -> bool {
        !self.compacted
    }

    /// Values with their weights, sorted by value.
    pub(crate) fn weighted(&self) -> Vec<(f64, u64)> {
        let mut all: Vec<(f64, u64)> = self
            .levels
            .iter()
            .enumerate()
            .flat_map(|(h, l)| l.iter().map(move |&x| (x, 1u64 << h.min(63))))
            .collect();
        all.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
        all
    }
}

/// Sorts `xs` as `xs.sort_unstable_by(f64::total_cmp)` does, by sorting integer keys: every
/// value of a numeric column passes through here once or twice, and comparing integers is
/// about twice as fast as `total_cmp`'s comparison of floats.
///
/// The same result: [`order_key`] maps `total_cmp`'s order onto the unsigned order of the
/// keys, one-to-one, so values with equal keys are the same bits and there is one sorted
/// sequence for both sorts to find.
pub(crate) fn sort_total(xs: &mut [f64]) {
    let mut keys: Vec<u64> = xs.iter().map(|&x| order_key(x)).collect();
    keys.sort_unstable();
    for (x, &k) in xs.iter_mut().zip(&keys) {
        *x = from_order_key(k);
    }
}

/// A key whose unsigned order is `f64::total_cmp`'s: negative values (sign bit set) have all
/// bits flipped, so a larger magnitude sorts lower and below every positive value; positive
/// values have the sign bit set, keeping their magnitude order above the negatives.
fn order_key(x: f64) -> u64 {
    let b = x.to_bits();
    if b >> 63 == 1 { !b } else { b | 1 << 63 }
}

/// The value of an [`order_key`].
fn from_order_key(k: u64) -> f64 {
    f64::from_bits(if k >> 63 == 1 { k & !(1 << 63) } else { !k })
}

/// The `p`-quantile of sorted weighted values by linear interpolation between the values at
/// ranks ⌊p(n−1)⌋ and ⌈p(n−1)⌉, as pandas and NumPy's default `linear` method do.
#[expect(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "ranks"
)]
pub(crate) fn quantile(sorted: &[(f64, u64)], n: u64, p: f64) -> Option<f64> {
    if n == 0 || sorted.is_empty() {
        return None;
    }
    let h = p * (n - 1) as f64;
    let lo = h.floor() as u64;
    let hi = h.ceil() as u64;
    let at = |rank: u64| {
        let mut cum = 0u64;
        for &(x, w) in sorted {
            cum += w;
            if rank < cum {
                return x;
            }
        }
        sorted.last().map_or(0.0, |l| l.0)
    };
    let (a, b) = (at(lo), at(hi));
    Some(a + (b - a) * (h - lo as f64))
}

/// Value frequencies: exact counts of every value while there are at most `limit` distinct
/// values, then a HyperLogLog of all values for the distinct count and a Misra–Gries summary
/// for the most frequent ones.
///
/// The summary keeps up to `2 × capacity` counters; when full, the median count is taken off
/// every counter and those reaching zero go (Berinde et al.'s batched variant, amortised
/// O(1)). A reported count is then low by at most `values / capacity`. Merging adds
/// counters and reduces the same way (Agarwal et al. 2012), so blocks merge in file order
/// and the result does not depend on the number of threads.
#[derive(Debug, Clone)]
pub(crate) enum Counter<K> {
    Exact(Map<K, u64>),
    Approx { hll: Hll, counts: Map<K, u64> },
}

/// The approximate summary's counter budget (it reports its top values from these).
pub(crate) const SUMMARY: usize = 1024;

impl<K: Hash + Eq + Clone + FixedHash> Counter<K> {
    pub(crate) fn new() -> Self {
        Self::Exact(Map::default())
    }

    /// Counts `n` occurrences of `key`; `hash` is its fixed hash (as [`FixedHash`]).
    pub(crate) fn add<Q>(&mut self, key: &Q, hash: u64, n: u64, limit: usize)
    where
        K: std::borrow::Borrow<Q>,
        Q: Hash + Eq + ?Sized + ToOwnedKey<K>,
    {
        match self {
            Self::Exact(m) => {
                if let Some(c) = m.get_mut(key) {
                    *c += n;
                    return;
                }
                m.insert(key.to_key(), n);
                if m.len() > limit {
                    self.approximate();
                }
            }
            Self::Approx { hll, counts } => {
                hll.insert(hash);
                if let Some(c) = counts.get_mut(key) {
                    *c += n;
                } else {
                    counts.insert(key.to_key(), n);
                    if counts.len() >= 2 * SUMMARY {
                        reduce(counts);
                    }
                }
            }
        }
    }

    /// Turns exact counts into the approximate summary.
    fn approximate(&mut self) {
        if let Self::Exact(m) = self {
            let mut counts = std::mem::take(m);
            let mut hll = Hll::new();
            for k in counts.keys() {
                hll.insert(K::fixed_hash_of(k));
            }
            if counts.len() >= 2 * SUMMARY {
                reduce(&mut counts);
            }
            *self = Self::Approx { hll, counts };
        }
    }

    pub(crate) fn merge(&mut self, other: Self, limit: usize) {
        match (&mut *self, other) {
            (Self::Exact(a), Self::Exact(b)) => {
                for (k, c) in b {
                    *a.entry(k).or_insert(0) += c;
                }
                if a.len() > limit {
                    self.approximate();
                }
            }
            (Self::Approx { .. }, mut b @ Self::Exact(_)) => {
                b.approximate();
                self.merge(b, limit);
            }
            (a @ Self::Exact(_), mut b @ Self::Approx { .. }) => {
                a.approximate();
                std::mem::swap(a, &mut b);
                a.merge(b, limit);
            }
            (Self::Approx { hll, counts }, Self::Approx { hll: h2, counts: c2 }) => {
                hll.merge(&h2);
                for (k, c) in c2 {
                    *counts.entry(k).or_insert(0) += c;
                }
                if counts.len() >= 2 * SUMMARY {
                    reduce(counts);
                }
            }
        }
    }

    /// The distinct count and whether it is exact.
    pub(crate) fn distinct(&self) -> (u64, bool) {
        match self {
            Self::Exact(m) => (m.len() as u64, true),
            Self::Approx { hll, .. } => (hll.estimate(), false),
        }
    }

    /// The `k` most frequent values (count descending, then by `order`) and whether exact.
    pub(crate) fn top(
        &self,
        k: usize,
        order: impl Fn(&K, &K) -> std::cmp::Ordering,
    ) -> (Vec<(K, u64)>, bool) {
        let (m, exact) = match self {
            Self::Exact(m) => (m, true),
            Self::Approx { counts, .. } => (counts, false),
        };
        let mut all: Vec<(&K, u64)> = m.iter().map(|(k, c)| (k, *c)).collect();
        all.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| order(a.0, b.0)));
        all.truncate(k);
        (all.into_iter().map(|(k, c)| (k.clone(), c)).collect(), exact)
    }
}

/// Takes the median count off every counter, dropping those that reach zero.
fn reduce<K: Hash + Eq>(counts: &mut Map<K, u64>) {
    let mut cs: Vec<u64> = counts.values().copied().collect();
    let mid = cs.len() / 2;
    let (_, &mut median, _) = cs.select_nth_unstable(mid);
    counts.retain(|_, c| {
        *c = c.saturating_sub(median);
        *c > 0
    });
}

/// Keys of a [`Counter`]: owned from a borrowed form, with the fixed hash `add` is given.
pub(crate) trait ToOwnedKey<K> {
    fn to_key(&self) -> K;
}

/// The fixed hash of an owned key, as callers of [`Counter::add`] compute it.
pub(crate) trait FixedHash {
    fn fixed_hash_of(k: &Self) -> u64;
}

impl ToOwnedKey<TextKey> for dyn KeyText + '_ {
    fn to_key(&self) -> TextKey {
        TextKey::new(self.key_bytes(), self.key_hash())
    }
}

impl ToOwnedKey<u64> for u64 {
    fn to_key(&self) -> u64 {
        *self
    }
}

impl FixedHash for TextKey {
    fn fixed_hash_of(k: &Self) -> u64 {
        k.hash
    }
}

/// Bytes of text a [`TextKey`] keeps inline; most cells are shorter.
const INLINE: usize = 22;

/// A text value counted by a [`Counter`], with its fixed hash (`hash::bytes` of the text).
///
/// In a high-cardinality column most values enter the approximate summary only to leave at
/// its next reduction, so a key must be cheap to make and to look up: the counter's map
/// hashes the stored hash rather than the text again, and a value of up to [`INLINE`] bytes
/// is kept inline rather than allocated. Keys compare by their bytes, which for UTF-8 text is
/// the order and equality of `str`.
#[derive(Debug, Clone)]
pub(crate) struct TextKey {
    hash: u64,
    text: Text,
}

/// The bytes of a [`TextKey`], always those of a whole `str`.
#[derive(Debug, Clone)]
enum Text {
    /// The first `len` bytes (`len` ≤ [`INLINE`]).
    Inline {
        len: u8,
        bytes: [u8; INLINE],
    },
    Heap(Box<[u8]>),
}

impl TextKey {
    fn new(text: &[u8], hash: u64) -> Self {
        let text = match u8::try_from(text.len()) {
            Ok(len) if text.len() <= INLINE => {
                let mut bytes = [0; INLINE];
                bytes.iter_mut().zip(text).for_each(|(b, t)| *b = *t);
                Text::Inline { len, bytes }
            }
            _ => Text::Heap(text.into()),
        };
        Self { hash, text }
    }

    /// The text.
    pub(crate) fn into_string(self) -> String {
        // The bytes are those of a `str` (`TextProbe::text`), so nothing is replaced.
        String::from_utf8_lossy(self.key_bytes()).into_owned()
    }
}

/// A text key as a [`Counter`]'s map sees it, stored ([`TextKey`]) or looked for
/// ([`TextProbe`]): both hash as their fixed hash and compare by their bytes.
pub(crate) trait KeyText {
    fn key_hash(&self) -> u64;
    fn key_bytes(&self) -> &[u8];
}

/// A text value to count, with its fixed hash (`hash::bytes` of `text`).
pub(crate) struct TextProbe<'a> {
    pub(crate) text: &'a str,
    pub(crate) hash: u64,
}

impl KeyText for TextProbe<'_> {
    fn key_hash(&self) -> u64 {
        self.hash
    }
    fn key_bytes(&self) -> &[u8] {
        self.text.as_bytes()
    }
}

impl KeyText for TextKey {
    fn key_hash(&self) -> u64 {
        self.hash
    }
    fn key_bytes(&self) -> &[u8] {
        match &self.text {
            Text::Inline { len, bytes } => bytes.get(..usize::from(*len)).unwrap_or_default(),
            Text::Heap(b) => b,
        }
    }
}

impl Hash for dyn KeyText + '_ {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.key_hash());
    }
}

impl PartialEq for dyn KeyText + '_ {
    fn eq(&self, other: &Self) -> bool {
        self.key_bytes() == other.key_bytes()
    }
}

impl Eq for dyn KeyText + '_ {}

// As `dyn KeyText`, which the map's lookups go through.
impl Hash for TextKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        (self as &dyn KeyText).hash(state);
    }
}

impl PartialEq for TextKey {
    fn eq(&self, other: &Self) -> bool {
        self.key_bytes() == other.key_bytes()
    }
}

impl Eq for TextKey {}

impl PartialOrd for TextKey {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for TextKey {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.key_bytes().cmp(other.key_bytes())
    }
}

impl<'a> Borrow<dyn KeyText + 'a> for TextKey {
    fn borrow(&self) -> &(dyn KeyText + 'a) {
        self
    }
}

impl FixedHash for u64 {
    fn fixed_hash_of(k: &Self) -> u64 {
        crate::hash::mix(*k)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// `sort_total` against the comparison sort it replaces, bit for bit.
    fn check_sort(xs: &[f64]) {
        let mut want = xs.to_vec();
        want.sort_unstable_by(f64::total_cmp);
        let mut got = xs.to_vec();
        sort_total(&mut got);
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&got), bits(&want));
    }

    #[test]
    fn sorts_the_special_values_as_total_cmp() {
        let special =
            [f64::NAN, -f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 0.0, -0.0, f64::MIN_POSITIVE, -1.5, 1.5];
        let xs: Vec<f64> =
            (0..200).map(|i| special[i % special.len()] * if i % 7 == 0 { 3.0 } else { 1.0 }).collect();
        check_sort(&xs);
        check_sort(&[2.0; 100]);
        check_sort(&(0..5000).map(|i| f64::from(i % 97) - 48.5).collect::<Vec<_>>());
    }

    proptest! {
        #[test]
        fn sorts_as_total_cmp(
            xs in proptest::collection::vec(any::<f64>(), 0..300),
            bits in proptest::collection::vec(any::<u64>(), 0..300),
        ) {
            check_sort(&xs);
            check_sort(&bits.iter().map(|&b| f64::from_bits(b)).collect::<Vec<_>>());
        }
    }
}
