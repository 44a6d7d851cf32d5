//! Scanning a column of a tabular upload: count what its values look like, then flag it with
//! one kind when enough of them agree.
//!
//! [`ColumnScanner::observe`] runs once per cell, millions of times for a large upload: it
//! classifies the value on the stack and bumps counters, so memory is a few dozen integers
//! whatever the column's length, and nothing allocates. [`ColumnScanner::finish`] applies the
//! rule, which [`ScanConfig`] documents.

use crate::Kind;
use crate::context::ColumnContext;
use crate::value::{Shapes, classify_trimmed, resolve};

/// The shares a column must reach to be flagged.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScanConfig {
    /// Share of values of one definitive shape (dashed CNIC, NTN, phone, IBAN, e-mail, card,
    /// IP) that flags a column whose name says nothing. Default 0.8.
    pub shaped_share: f64,
    /// Share of values of the kind the column's name announces that flags it. Default 0.5:
    /// the name is evidence already, and a half-filled `phone` column is still personal data.
    pub named_share: f64,
    /// Share of 13-digit values with a valid province digit (plain or dashed) that flags a
    /// column as CNIC with no name to say so. Default 0.95.
    pub plain_cnic_share: f64,
    /// The plain-CNIC share rule needs at least this many values. Default 20.
    pub plain_cnic_min_values: u64,
}

impl Default for ScanConfig {
    fn default() -> Self {
        ScanConfig { shaped_share: 0.8, named_share: 0.5, plain_cnic_share: 0.95, plain_cnic_min_values: 20 }
    }
}

/// Why a column was flagged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Evidence {
    /// The column's name announced the kind (`word` is the word or phrase that did), and
    /// enough values fit it.
    ColumnName {
        /// The word of the column name, as this crate lists it (`cnic`, `شناختی کارڈ`).
        word: &'static str,
    },
    /// Enough values have the kind's shape on their own.
    ValueShare,
    /// Both: the name announced the kind and enough values have its shape on their own.
    Both {
        /// The word of the column name.
        word: &'static str,
    },
}

/// A column flagged as holding personal data of one kind.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ColumnFinding {
    /// The kind of personal data.
    pub kind: Kind,
    /// Non-empty values observed.
    pub values_checked: u64,
    /// Values that are of `kind` (in the column's context).
    pub values_matching: u64,
    /// `values_matching / values_checked`.
    pub share: f64,
    /// Why the column was flagged.
    pub evidence: Evidence,
}

/// Scans one column: create it with the column's name, [`observe`](Self::observe) each
/// non-empty value, then [`finish`](Self::finish).
///
/// ```
/// use mizan_pii::{ColumnScanner, Evidence, Kind};
///
/// let mut scan = ColumnScanner::new("applicant_cnic");
/// for v in ["3520212345671", "4210198765432", "61101-2345678-9"] {
///     scan.observe(v);
/// }
/// let found = scan.finish().expect("a CNIC column");
/// assert_eq!(found.kind, Kind::Cnic);
/// assert_eq!(found.evidence, Evidence::ColumnName { word: "cnic" });
/// ```
#[derive(Debug, Clone)]
pub struct ColumnScanner {
    ctx: ColumnContext,
    config: ScanConfig,
    checked: u64,
    /// Values resolved to each kind in this column's context, by [`Kind::index`].
    resolved: [u64; Kind::ALL.len()],
    /// Values with each kind's definitive shape, context aside.
    shaped: [u64; Kind::ALL.len()],
    /// 13-digit values with a valid province digit, plain or dashed.
    thirteen: u64,
    ean13: u64,
    epoch_millis: u64,
}

impl ColumnScanner {
    /// A scanner for the column named `column_name`, with the default [`ScanConfig`].
    #[must_use]
    pub fn new(column_name: &str) -> ColumnScanner {
        ColumnScanner::with_config(column_name, ScanConfig::default())
    }

    /// A scanner with other thresholds.
    #[must_use]
    pub fn with_config(column_name: &str, config: ScanConfig) -> ColumnScanner {
        ColumnScanner {
            ctx: ColumnContext::new(column_name),
            config,
            checked: 0,
            resolved: [0; Kind::ALL.len()],
            shaped: [0; Kind::ALL.len()],
            thirteen: 0,
            ean13: 0,
            epoch_millis: 0,
        }
    }

    /// Counts one value. Empty and blank values are skipped (not counted as checked).
    pub fn observe(&mut self, value: &str) {
        self.observe_repeated(value, 1);
    }

    /// Counts `value` `count` times, as `count` calls of [`observe`](Self::observe) would, but
    /// classifies it once: for a column's distinct values with their counts (a Parquet
    /// dictionary, a value counter).
    pub fn observe_repeated(&mut self, value: &str, count: u64) {
        let value = trim(value);
        if value.is_empty() {
            return;
        }
        self.checked += count;
        let s = classify_trimmed(value);
        // A value with no shape resolves to no kind and counts nowhere else: most values of
        // most columns, so the counters below are left alone.
        if s == Shapes::default() {
            return;
        }
        if let Some(kind) = resolve(s, &self.ctx) {
            self.resolved[kind.index()] += count;
        }
        for kind in Kind::ALL {
            if s.has(Shapes::kind(kind)) {
                self.shaped[kind.index()] += count;
            }
        }
        let counted = |bits: u16| if s.has(bits) { count } else { 0 };
        self.thirteen += counted(Shapes::PLAIN_CNIC | Shapes::kind(Kind::Cnic));
        self.ean13 += counted(Shapes::EAN13);
        self.epoch_millis += counted(Shapes::EPOCH_MILLIS);
    }

    /// Values observed so far.
    #[must_use]
    pub fn values_checked(&self) -> u64 {
        self.checked
    }

    /// The kind the column holds, if the rule flags it:
    ///
    /// 1. The kind most values resolve to in the column's context (ties go to the kind listed
    ///    first in [`Kind::ALL`]) is flagged when the column's name announced it and its share is
    ///    at least `named_share`, or when at least `shaped_share` of all values have its shape
    ///    on their own.
    /// 2. Otherwise a column of 13-digit numbers is flagged as CNIC by value share alone when at
    ///    least `plain_cnic_share` of at least `plain_cnic_min_values` values have a valid
    ///    province digit, unless its name rules that out (`barcode`, `order_id`, `timestamp`),
    ///    or they look like EAN-13 barcodes (over 30% pass the EAN check digit, where one CNIC in
    ///    ten would) or Unix times in milliseconds (most of them; so a header-less column of only
    ///    KP and FATA CNICs, which start with 1 or 2, needs its name).
    ///
    /// One kind per column: a column mixing phones and e-mails is flagged with the more common
    /// if it reaches the share, and not at all otherwise.
    #[must_use]
    pub fn finish(&self) -> Option<ColumnFinding> {
        if self.checked == 0 {
            return None;
        }
        let n = self.checked;
        let share = |c: u64| c as f64 / n as f64;
        let best = Kind::ALL.into_iter().filter(|k| self.resolved[k.index()] > 0).max_by(|a, b| {
            // Ties to the kind listed first.
            self.resolved[a.index()].cmp(&self.resolved[b.index()]).then(b.cmp(a))
        });
        if let Some(kind) = best {
            let matching = self.resolved[kind.index()];
            let by_name = self.ctx.hint_for(kind).filter(|_| share(matching) >= self.config.named_share);
            let by_values = share(self.shaped[kind.index()].min(matching)) >= self.config.shaped_share;
            let evidence = match (by_name, by_values) {
                (Some(word), true) => Some(Evidence::Both { word }),
                (Some(word), false) => Some(Evidence::ColumnName { word }),
                (None, true) => Some(Evidence::ValueShare),
                (None, false) => None,
            };
            if let Some(evidence) = evidence {
                return Some(ColumnFinding {
                    kind,
                    values_checked: n,
                    values_matching: matching,
                    share: share(matching),
                    evidence,
                });
            }
        }
        let plain_cnic = !self.ctx.not_cnic()
            && n >= self.config.plain_cnic_min_values
            && share(self.thirteen) >= self.config.plain_cnic_share
            && share(self.ean13) <= 0.3
            && share(self.epoch_millis) < 0.5;
        plain_cnic.then(|| ColumnFinding {
            kind: Kind::Cnic,
            values_checked: n,
            values_matching: self.thirteen,
            share: share(self.thirteen),
            evidence: Evidence::ValueShare,
        })
    }
}

/// `value.trim()`, returning at once when both ends are visible ASCII characters (no white
/// space is among `!`..`~`), as most cells' ends are.
fn trim(value: &str) -> &str {
    let visible = |b: Option<&u8>| b.is_some_and(|b| (b'!'..=b'~').contains(b));
    let bytes = value.as_bytes();
    if visible(bytes.first()) && visible(bytes.last()) { value } else { value.trim() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn observe_repeated_counts_as_observing_each_time() {
        let values = [
            ("cnic", "3520212345671", 7),
            ("cnic", "35202-1234567-1", 3),
            ("phone", "03001234567", 5),
            ("phone", "3001234567", 2),
            ("name", "Ayesha Khan", 4),
            ("barcode", "4006381333931", 30),
            ("created_ms", "1700000000000", 25),
            ("notes", "  ", 3),
            ("notes", "n/a", 1),
            ("email", "a.person@example.pk", 6),
        ];
        for (column, _, _) in values {
            let mut each = ColumnScanner::new(column);
            let mut repeated = ColumnScanner::new(column);
            for (c, v, n) in values {
                // Other columns' values too, so that shares are mixed.
                let n = if c == column { n } else { 1 };
                for _ in 0..n {
                    each.observe(v);
                }
                repeated.observe_repeated(v, n);
            }
            assert_eq!(each.values_checked(), repeated.values_checked(), "{column}");
            assert_eq!(each.finish(), repeated.finish(), "{column}");
        }
    }
}
