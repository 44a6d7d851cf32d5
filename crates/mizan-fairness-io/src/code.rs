//! Values to codes: what a raw value of a requested column stands for in the tally.
//!
//! A label or prediction is trimmed and must be present (empty, `NA`, `NaN`, `null`, `None`
//! or a null are errors naming the row); with `--pos-label` it is coded at once as the
//! positive value or the empty level, otherwise kept as it is for inference. A missing
//! sensitive or control value becomes the engine's visible `(missing)` group. Each chunk
//! keeps a small cache from raw values to codes, so most rows cost one comparison per column.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;

use mizan_fairness::{MISSING, Tally};

use crate::{Spec, is_missing};

/// What a requested column is for.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Role<'s> {
    /// Label or prediction, with the positive label if one was given.
    Outcome(Option<&'s str>),
    /// Sensitive or control feature.
    Group,
}

/// The roles of the tally's dimensions, in order.
pub(crate) fn roles(spec: &Spec) -> Vec<Role<'_>> {
    let pos = spec.pos_label.as_deref();
    let mut r = vec![Role::Outcome(pos), Role::Outcome(pos)];
    r.extend(spec.sensitive.iter().map(|_| Role::Group));
    r.extend(spec.control.iter().map(|_| Role::Group));
    r
}

impl<'s> Role<'s> {
    /// The level `raw` stands for, or `None` for a missing label or prediction.
    pub(crate) fn level<'v>(self, raw: Option<&'v str>) -> Option<&'v str>
    where
        's: 'v,
    {
        match (self, raw) {
            (Self::Group, Some(v)) if !is_missing(v) => Some(v),
            (Self::Group, _) => Some(MISSING),
            (Self::Outcome(_), None) => None,
            (Self::Outcome(_), Some(v)) if is_missing(v) => None,
            (Self::Outcome(None), Some(v)) => Some(v.trim()),
            // Every other value is coded as the empty level, which no present label is.
            (Self::Outcome(Some(pos)), Some(v)) => Some(if v.trim() == pos { pos } else { "" }),
        }
    }
}

/// Raw values already seen in this chunk and their codes: a short list scanned first, then
/// a hash map.
#[derive(Debug)]
pub(crate) struct Cache<K> {
    small: Vec<(K, u32)>,
    map: HashMap<K, u32>,
}

impl<K> Default for Cache<K> {
    fn default() -> Self {
        Self { small: Vec::new(), map: HashMap::new() }
    }
}

const SMALL: usize = 8;

impl<K: Hash + Eq> Cache<K> {
    #[inline]
    pub(crate) fn get<Q>(&self, k: &Q) -> Option<u32>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        for (key, c) in &self.small {
            if key.borrow() == k {
                return Some(*c);
            }
        }
        if self.map.is_empty() { None } else { self.map.get(k).copied() }
    }

    pub(crate) fn insert(&mut self, k: K, code: u32) {
        if self.small.len() < SMALL {
            self.small.push((k, code));
        } else {
            self.map.insert(k, code);
        }
    }
}

/// Why a value has no code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refused {
    /// A missing label or prediction.
    Missing,
    /// A value longer than the limit: its length in characters.
    TooLong(usize),
}

/// The length of `v` in characters when it is over `max`: bytes first, so a short value costs
/// one comparison.
pub(crate) fn too_long(v: &str, max: usize) -> Option<usize> {
    if v.len() <= max {
        return None;
    }
    let chars = v.chars().count();
    (chars > max).then_some(chars)
}

/// Codes `raw` for dimension `d` of `t`; refuses a missing label or prediction and a value
/// longer than `max_chars`.
pub(crate) fn code(
    t: &mut Tally,
    d: usize,
    role: Role<'_>,
    raw: Option<&str>,
    max_chars: usize,
) -> Result<u32, Refused> {
    let level = role.level(raw).ok_or(Refused::Missing)?;
    if let Some(chars) = too_long(level, max_chars) {
        return Err(Refused::TooLong(chars));
    }
    Ok(t.code(d, level))
}
