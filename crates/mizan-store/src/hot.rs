//! Short-lived caches for the decision intake's hot path.
//!
//! At ten thousand single-decision requests a second, resolving the bearer token (up to four
//! queries) and the target system (one more) for every request would cost more than logging
//! the decision. Both answers are kept for a few seconds. This process drops a token's entry
//! the moment it revokes it, and a system's target the moment its status or its intake stop
//! changes (so a suspension or a stop refuses the next request); a change made by another
//! process (a second server on the same PostgreSQL, `mizan admin`) takes effect within the
//! time-to-live. A request already past the check when the change commits may still be logged.
//! Expiry is checked on every use, cached or not.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::accounts::Principal;
use crate::decisions::DecisionTarget;

/// How long a resolved token is trusted without asking the database again.
pub const TOKEN_TTL: Duration = Duration::from_secs(5);
/// How long a system's status and newest version are trusted.
pub const TARGET_TTL: Duration = Duration::from_secs(1);
/// Entries each cache holds before it is emptied (bounds memory under a flood of new keys).
const CAP: usize = 10_000;

#[derive(Debug, Default)]
pub(crate) struct HotCache {
    tokens: Mutex<HashMap<[u8; 32], (Principal, String, Instant)>>,
    targets: Mutex<Targets>,
}

/// Cached decision targets, and how many times they were forgotten: an answer read from the
/// database before a change committed is kept only if nothing was forgotten meanwhile, so a
/// lookup racing a suspension cannot put the old answer back after the change dropped it.
#[derive(Debug, Default)]
struct Targets {
    generation: u64,
    map: HashMap<(i64, String), (DecisionTarget, Instant)>,
}

fn put<K: std::hash::Hash + Eq, V>(map: &Mutex<HashMap<K, V>>, k: K, v: V) {
    let mut m = map.lock().unwrap_or_else(PoisonError::into_inner);
    if m.len() >= CAP {
        m.clear();
    }
    m.insert(k, v);
}

impl HotCache {
    /// The cached principal of token hash `h` with its expiry, if still fresh.
    pub(crate) fn token(&self, h: &[u8; 32]) -> Option<(Principal, String)> {
        let m = self.tokens.lock().unwrap_or_else(PoisonError::into_inner);
        m.get(h).filter(|(_, _, at)| at.elapsed() < TOKEN_TTL).map(|(p, exp, _)| (p.clone(), exp.clone()))
    }

    pub(crate) fn put_token(&self, h: [u8; 32], p: Principal, expires_at: String) {
        put(&self.tokens, h, (p, expires_at, Instant::now()));
    }

    /// Forgets every token (after a revocation: the cache is keyed by hash, not by id).
    pub(crate) fn forget_tokens(&self) {
        self.tokens.lock().unwrap_or_else(PoisonError::into_inner).clear();
    }

    pub(crate) fn target(&self, org: i64, public_id: &str) -> Option<DecisionTarget> {
        let m = self.targets.lock().unwrap_or_else(PoisonError::into_inner);
        m.map
            .get(&(org, public_id.to_owned()))
            .filter(|(_, at)| at.elapsed() < TARGET_TTL)
            .map(|(t, _)| t.clone())
    }

    /// The generation to pass to [`HotCache::put_target`] for an answer about to be read.
    pub(crate) fn target_generation(&self) -> u64 {
        self.targets.lock().unwrap_or_else(PoisonError::into_inner).generation
    }

    /// Keeps `t`, read when the generation was `generation`, unless a target was forgotten since.
    pub(crate) fn put_target(&self, generation: u64, org: i64, public_id: &str, t: DecisionTarget) {
        let mut m = self.targets.lock().unwrap_or_else(PoisonError::into_inner);
        if m.generation != generation {
            return;
        }
        if m.map.len() >= CAP {
            m.map.clear();
        }
        m.map.insert((org, public_id.to_owned()), (t, Instant::now()));
    }

    /// Forgets the target of system `public_id` (after its status or intake stop changed).
    pub(crate) fn forget_target(&self, public_id: &str) {
        let mut m = self.targets.lock().unwrap_or_else(PoisonError::into_inner);
        m.generation = m.generation.wrapping_add(1);
        m.map.retain(|(_, id), _| id != public_id);
    }
}
