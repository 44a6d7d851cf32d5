//! One column's running summary and the profile it finishes into.
//!
//! Text input (CSV, JSON Lines) arrives as strings: every candidate type is tracked at once
//! (a flag per type, cleared by the first value that does not fit) with numeric moments
//! kept while the column can still be a number, so the type is decided at the end without
//! a second pass. Parquet input arrives typed, so only that type's summary is kept.

use crate::hash;
use crate::model::{
    Bin, ColumnProfile, Estimate, Histogram, Kind, PatternConformance, QuantileSet, Scalar, TextLength,
    TopValue,
};
use crate::pattern::{self, Pattern};
use crate::sketch::{Counter, KeyText, Moments, Quantiles, TextKey, TextProbe, quantile};
use crate::time;

/// How values arrive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// As text; the type is inferred.
    Infer(Flags),
    /// Typed; integers, dates and datetimes as `i64` (days, or `unit` per second).
    Typed(Typed),
}

/// Typed input's kind, with the tick of datetimes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Typed {
    Integer,
    Float,
    Boolean,
    Text,
    /// Days since 1970-01-01.
    Date,
    /// Ticks per second since 1970-01-01T00:00:00, and whether the zone is UTC.
    Datetime {
        per_second: i64,
        utc: bool,
    },
}

/// Which types every value so far fits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[expect(clippy::struct_excessive_bools, reason = "one flag per candidate type")]
pub(crate) struct Flags {
    int: bool,
    float: bool,
    boolean: bool,
    date: bool,
    datetime: bool,
}

impl Flags {
    pub(crate) const ALL: Self = Self { int: true, float: true, boolean: true, date: true, datetime: true };
}

/// The running summary.
#[derive(Debug, Clone)]
pub(crate) struct ColumnAcc {
    pub(crate) mode: Mode,
    pub(crate) nonnull: u64,
    moments: Moments,
    imin: i64,
    imax: i64,
    trues: u64,
    sketch: Quantiles,
    text: Counter<TextKey>,
    bits: Counter<u64>,
    tmin: Option<Box<str>>,
    tmax: Option<Box<str>>,
    len_min: u64,
    len_max: u64,
    len_sum: u64,
    pattern: Option<Pattern>,
    conforming: u64,
}

/// What finishing needs besides the summary.
pub(crate) struct Finish<'a> {
    pub(crate) rows: u64,
    pub(crate) top_k: usize,
    pub(crate) bins: usize,
    pub(crate) name: &'a str,
}

impl ColumnAcc {
    pub(crate) fn new(mode: Mode, k: usize, pattern: Option<Pattern>) -> Self {
        Self {
            mode,
            nonnull: 0,
            moments: Moments::default(),
            imin: i64::MAX,
            imax: i64::MIN,
            trues: 0,
            sketch: Quantiles::new(k),
            text: Counter::new(),
            bits: Counter::new(),
            tmin: None,
            tmax: None,
            len_min: u64::MAX,
            len_max: 0,
            len_sum: 0,
            pattern,
            conforming: 0,
        }
    }

    /// A text value `n` times: its hash is `h` (`hash::bytes`).
    pub(crate) fn add_text(&mut self, s: &str, h: u64, n: u64, limit: usize) {
        self.nonnull += n;
        debug_assert_eq!(h, hash::bytes(s.as_bytes()), "the counter keys text by this hash");
        self.text.add(&TextProbe { text: s, hash: h } as &dyn KeyText, h, n, limit);
        let chars = if s.is_ascii() { s.len() } else { s.chars().count() } as u64;
        self.len_min = self.len_min.min(chars);
        self.len_max = self.len_max.max(chars);
        self.len_sum += chars * n;
        if self.tmin.as_deref().is_none_or(|m| s < m) {
            self.tmin = Some(s.into());
        }
        if self.tmax.as_deref().is_none_or(|m| s > m) {
            self.tmax = Some(s.into());
        }
        if let Some(p) = &self.pattern
            && p.matches(s)
        {
            self.conforming += n;
        }
        let Mode::Infer(f) = &mut self.mode else { return };
        if f.boolean {
            match pattern::parse_bool(s) {
                Some(b) => self.trues += u64::from(b) * n,
                None => f.boolean = false,
            }
        }
        if f.int {
            match s.parse::<i64>() {
                Ok(i) => {
                    self.imin = self.imin.min(i);
                    self.imax = self.imax.max(i);
                }
                Err(_) => f.int = false,
            }
        }
        if f.float {
            match pattern::parse_float(s) {
                Some(x) => {
                    for _ in 0..n {
                        self.moments.push(x);
                        self.sketch.push(x);
                    }
                }
                None => {
                    f.float = false;
                    f.int = false;
                }
            }
        }
        if f.date && !pattern::is_date(s) {
            f.date = false;
        }
        if f.datetime && !(pattern::is_datetime(s) || pattern::is_date(s)) {
            f.datetime = false;
        }
    }

    pub(crate) fn has_pattern(&self) -> bool {
        self.pattern.is_some()
    }

    pub(crate) fn matches(&self, s: &str) -> bool {
        self.pattern.as_ref().is_some_and(|p| p.matches(s))
    }

    pub(crate) fn add_conforming(&mut self, n: u64) {
        self.conforming += n;
    }

    /// Non-null integers (also dates and datetimes, as ticks).
    #[expect(clippy::cast_precision_loss, reason = "moments and quantiles are f64; documented")]
    pub(crate) fn add_ints(&mut self, vs: &[i64], limit: usize, scratch: &mut Vec<f64>) {
        if vs.is_empty() {
            return;
        }
        self.nonnull += vs.len() as u64;
        for &v in vs {
            self.imin = self.imin.min(v);
            self.imax = self.imax.max(v);
            self.bits.add(&v.cast_unsigned(), hash::mix(v.cast_unsigned()), 1, limit);
        }
        if self.mode == Mode::Typed(Typed::Integer) {
            scratch.clear();
            scratch.extend(vs.iter().map(|&v| v as f64));
            self.moments.merge(&Moments::of(scratch));
            self.sketch.extend(scratch);
        }
    }

    /// Non-null, non-NaN floats.
    pub(crate) fn add_floats(&mut self, vs: &[f64], limit: usize) {
        if vs.is_empty() {
            return;
        }
        self.nonnull += vs.len() as u64;
        for &v in vs {
            // -0.0 and 0.0 are one value.
            let b = (v + 0.0).to_bits();
            self.bits.add(&b, hash::mix(b), 1, limit);
        }
        self.moments.merge(&Moments::of(vs));
        self.sketch.extend(vs);
    }

    /// Non-null booleans: `trues` of `n`.
    pub(crate) fn add_bools(&mut self, trues: u64, n: u64, limit: usize) {
        self.nonnull += n;
        self.trues += trues;
        if trues > 0 {
            self.bits.add(&1, hash::mix(1), trues, limit);
        }
        if n > trues {
            self.bits.add(&0, hash::mix(0), n - trues, limit);
        }
    }

    pub(crate) fn merge(&mut self, o: Self, limit: usize) {
        if let (Mode::Infer(a), Mode::Infer(b)) = (&mut self.mode, o.mode) {
            a.int &= b.int;
            a.float &= b.float;
            a.boolean &= b.boolean;
            a.date &= b.date;
            a.datetime &= b.datetime;
        }
        self.nonnull += o.nonnull;
        self.moments.merge(&o.moments);
        self.imin = self.imin.min(o.imin);
        self.imax = self.imax.max(o.imax);
        self.trues += o.trues;
        self.sketch.merge(&o.sketch);
        self.text.merge(o.text, limit);
        self.bits.merge(o.bits, limit);
        if let Some(m) = o.tmin
            && self.tmin.as_ref().is_none_or(|s| m < *s)
        {
            self.tmin = Some(m);
        }
        if let Some(m) = o.tmax
            && self.tmax.as_ref().is_none_or(|s| m > *s)
        {
            self.tmax = Some(m);
        }
        self.len_min = self.len_min.min(o.len_min);
        self.len_max = self.len_max.max(o.len_max);
        self.len_sum += o.len_sum;
        self.conforming += o.conforming;
    }

    /// The kind the values fit.
    pub(crate) fn kind(&self) -> Kind {
        if self.nonnull == 0 {
            return Kind::Empty;
        }
        match self.mode {
            Mode::Infer(f) if f.boolean => Kind::Boolean,
            Mode::Infer(f) if f.int => Kind::Integer,
            Mode::Infer(f) if f.float => Kind::Float,
            Mode::Infer(f) if f.date => Kind::Date,
            Mode::Infer(f) if f.datetime => Kind::Datetime,
            Mode::Infer(_) | Mode::Typed(Typed::Text) => Kind::Text,
            Mode::Typed(Typed::Integer) => Kind::Integer,
            Mode::Typed(Typed::Float) => Kind::Float,
            Mode::Typed(Typed::Boolean) => Kind::Boolean,
            Mode::Typed(Typed::Date) => Kind::Date,
            Mode::Typed(Typed::Datetime { .. }) => Kind::Datetime,
        }
    }

    #[expect(clippy::cast_precision_loss, reason = "counts below 2^52")]
    pub(crate) fn finish(self, f: &Finish<'_>) -> ColumnProfile {
        let kind = self.kind();
        let n = self.nonnull;
        let nulls = f.rows.saturating_sub(n);
        let share = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
        let typed = match self.mode {
            Mode::Typed(t) => Some(t),
            Mode::Infer(_) => None,
        };
        // Values as text, for top values.
        let render = |b: u64| -> String {
            match typed {
                Some(Typed::Integer) => b.cast_signed().to_string(),
                Some(Typed::Float) => f64::from_bits(b).to_string(),
                Some(Typed::Boolean) => (b == 1).to_string(),
                Some(Typed::Date) => time::date(b.cast_signed()),
                Some(Typed::Datetime { per_second, utc }) => time::datetime(b.cast_signed(), per_second, utc),
                Some(Typed::Text) | None => String::new(),
            }
        };
        let order = |a: &u64, b: &u64| match typed {
            Some(Typed::Float) => f64::from_bits(*a).total_cmp(&f64::from_bits(*b)),
            _ => a.cast_signed().cmp(&b.cast_signed()),
        };
        let use_bits = matches!(typed, Some(t) if t != Typed::Text);
        let (distinct, (top_values, top_exact)) = if use_bits {
            let (tops, exact) = self.bits.top(f.top_k, order);
            let tops = tops.into_iter().map(|(k, count)| TopValue { value: render(k), count }).collect();
            (self.bits.distinct(), (tops, exact))
        } else {
            let (tops, exact) = self.text.top(f.top_k, Ord::cmp);
            let tops =
                tops.into_iter().map(|(k, count)| TopValue { value: k.into_string(), count }).collect();
            (self.text.distinct(), (tops, exact))
        };
        let numeric = matches!(kind, Kind::Integer | Kind::Float);
        let (min, max) = match (kind, typed) {
            (Kind::Empty, _) => (None, None),
            (Kind::Integer, _) => (Some(Scalar::Int(self.imin)), Some(Scalar::Int(self.imax))),
            (Kind::Float, _) => {
                (Some(Scalar::Float(self.moments.min)), Some(Scalar::Float(self.moments.max)))
            }
            (Kind::Boolean, _) => (Some(Scalar::Bool(self.trues == n)), Some(Scalar::Bool(self.trues > 0))),
            (Kind::Date | Kind::Datetime, Some(_)) => (
                Some(Scalar::Text(render(self.imin.cast_unsigned()))),
                Some(Scalar::Text(render(self.imax.cast_unsigned()))),
            ),
            _ => (self.tmin.map(|s| Scalar::Text(s.into())), self.tmax.map(|s| Scalar::Text(s.into()))),
        };
        let (mean, std) = match kind {
            _ if numeric => (Some(self.moments.mean), self.moments.std()),
            Kind::Boolean => {
                let p = share(self.trues, n);
                let var = (n > 1).then(|| p * (1.0 - p) * n as f64 / (n - 1) as f64);
                (Some(p), var.map(f64::sqrt))
            }
            _ => (None, None),
        };
        let (quantiles, histogram) = if numeric && n > 0 {
            let sorted = self.sketch.weighted();
            let exact = self.sketch.exact();
            let q = |p| quantile(&sorted, n, p).unwrap_or(f64::NAN);
            let qs = QuantileSet {
                p1: q(0.01),
                p5: q(0.05),
                p25: q(0.25),
                p50: q(0.5),
                p75: q(0.75),
                p95: q(0.95),
                p99: q(0.99),
                exact,
            };
            (Some(qs), Some(histogram(&sorted, self.moments.min, self.moments.max, f.bins, exact)))
        } else {
            (None, None)
        };
        let pattern = self.pattern.as_ref().map(|p| PatternConformance {
            declared: p.declared().to_owned(),
            conforming: self.conforming,
            share: if n == 0 { 1.0 } else { share(self.conforming, n) },
        });
        let text_length = (kind == Kind::Text).then(|| TextLength {
            min: self.len_min,
            max: self.len_max,
            mean: share(self.len_sum, n),
        });
        ColumnProfile {
            name: f.name.to_owned(),
            kind,
            nulls,
            null_share: share(nulls, f.rows),
            distinct: Estimate { count: distinct.0, exact: distinct.1 },
            min,
            max,
            mean,
            std,
            quantiles,
            histogram,
            top_values,
            top_exact,
            pattern,
            text_length,
        }
    }
}

/// `numpy.histogram(values, bins)` over the weighted sorted values: edges evenly spaced from
/// `min` to `max`, a value on an inner edge in the bin above it, `max` in the last bin.
#[expect(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "bin indices"
)]
fn histogram(sorted: &[(f64, u64)], min: f64, max: f64, bins: usize, exact: bool) -> Histogram {
    let bins = bins.max(1);
    // NumPy widens an empty range by 0.5 each side.
    let (lo, hi) = if max > min { (min, max) } else { (min - 0.5, max + 0.5) };
    let step = (hi - lo) / bins as f64;
    let edge = |i: usize| if i == bins { hi } else { lo + step * i as f64 };
    let mut counts = vec![0u64; bins];
    let norm = bins as f64 / (hi - lo);
    for &(x, w) in sorted {
        let mut i = (((x - lo) * norm).max(0.0) as usize).min(bins - 1);
        if i > 0 && x < edge(i) {
            i -= 1;
        } else if i + 1 < bins && x >= edge(i + 1) {
            i += 1;
        }
        counts[i] += w;
    }
    let bins =
        counts.iter().enumerate().map(|(i, &count)| Bin { lo: edge(i), hi: edge(i + 1), count }).collect();
    Histogram { bins, exact }
}
