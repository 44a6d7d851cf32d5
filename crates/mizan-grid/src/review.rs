//! Reviewing allocation requests: the published criteria as data, a weighted score computed
//! on integers, and the fast track for a startup's first allocation.

use std::collections::BTreeMap;

use crate::error::ReviewError;
use crate::model::{InstitutionKind, TresMinutes};

/// A published review criterion (as data: a platform keeps its criteria in a JSON file).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Criterion {
    /// A stable id (`merit`, `feasibility`, ...).
    pub id: String,
    /// The English title.
    pub title_en: String,
    /// The Urdu title.
    pub title_ur: String,
    /// Its weight among the criteria.
    pub weight: u32,
    /// The highest score a reviewer may give.
    pub max_score: u32,
}

/// A weighted score: `points / out_of` (the weighted sum of scores over the weighted sum of
/// maxima), with a per-mille figure rounded half up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Score {
    /// Σ weight × score.
    pub points: u64,
    /// Σ weight × max score.
    pub out_of: u64,
    /// `points / out_of` in thousandths.
    pub per_mille: u64,
}

/// Scores every criterion once.
///
/// # Errors
/// [`ReviewError`] for an unknown, missing, repeated or too high score, or criteria without
/// weight.
pub fn weighted_score(criteria: &[Criterion], scores: &[(&str, u32)]) -> Result<Score, ReviewError> {
    let by_id: BTreeMap<&str, &Criterion> = criteria.iter().map(|c| (c.id.as_str(), c)).collect();
    let mut given: BTreeMap<&str, u32> = BTreeMap::new();
    for &(id, score) in scores {
        let c = by_id.get(id).ok_or_else(|| ReviewError::UnknownCriterion(id.to_owned()))?;
        if score > c.max_score {
            return Err(ReviewError::TooHigh { id: id.to_owned(), score, max: c.max_score });
        }
        if given.insert(id, score).is_some() {
            return Err(ReviewError::Duplicate(id.to_owned()));
        }
    }
    let (mut points, mut out_of) = (0u64, 0u64);
    for c in criteria {
        let score = given.get(c.id.as_str()).ok_or_else(|| ReviewError::Missing(c.id.clone()))?;
        points += u64::from(c.weight) * u64::from(*score);
        out_of += u64::from(c.weight) * u64::from(c.max_score);
    }
    if out_of == 0 {
        return Err(ReviewError::NoWeight);
    }
    Ok(Score { points, out_of, per_mille: (points * 1000 + out_of / 2) / out_of })
}

/// The fast track: a startup's first request, up to a fixed size, decided within
/// `max_days` working days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FastTrack {
    /// The most CPU-hours a fast-track request may ask for.
    pub cpu_hours: u64,
    /// The most GPU-hours.
    pub gpu_hours: u64,
    /// Days within which it is decided.
    pub max_days: u32,
}

impl FastTrack {
    /// Whether a request of this size fits the fast track.
    #[must_use]
    pub fn fits(&self, requested: TresMinutes) -> bool {
        requested.cpu <= self.cpu_hours.saturating_mul(60)
            && requested.gpu <= self.gpu_hours.saturating_mul(60)
    }
}

/// Whether an institution of this kind, with this many earlier allocations, may use the fast
/// track: startups, for their first allocation.
#[must_use]
pub fn fast_track_eligible(kind: InstitutionKind, previous_allocations: usize) -> bool {
    kind.is_startup() && previous_allocations == 0
}
