//! Throttling: growing delays and a temporary lockout for whoever keeps failing, by key.
//!
//! Sign-in counts failures per account (the e-mail address as typed, whether or not such an
//! account exists, so the answers for real and unknown accounts are the same) and per client
//! address; public forms count every submission per address. After [`Policy::free`] events a
//! key must wait, `base_delay` doubling with each further event up to `max_delay`; at
//! [`Policy::lockout_after`] events it is locked out for `lockout`. A key quiet for `forget`
//! starts again from nothing. Memory is bounded: at most [`Throttle::CAPACITY`] keys are
//! remembered, the stalest dropped first.
//!
//! Time comes from a [`Clock`], so tests drive it by hand ([`ManualClock`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Where throttling reads the time.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// Time since an arbitrary fixed start.
    fn now(&self) -> Duration;
}

/// The machine's monotonic clock.
#[derive(Debug)]
pub struct SystemClock(Instant);

impl Default for SystemClock {
    fn default() -> Self {
        SystemClock(Instant::now())
    }
}

impl Clock for SystemClock {
    fn now(&self) -> Duration {
        self.0.elapsed()
    }
}

/// A clock that moves only when told to (tests).
#[derive(Debug, Default)]
pub struct ManualClock(Mutex<Duration>);

impl ManualClock {
    /// Moves the clock forward.
    ///
    /// # Panics
    /// If the clock's lock is poisoned (a test thread panicked holding it).
    pub fn advance(&self, by: Duration) {
        *self.0.lock().expect("clock") += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Duration {
        *self.0.lock().expect("clock")
    }
}

/// How many events a key may have before it waits, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Events allowed without delay.
    pub free: u32,
    /// The wait after the first event over `free`; it doubles with each further event.
    pub base_delay: Duration,
    /// The longest wait before the lockout.
    pub max_delay: Duration,
    /// Events at which the key is locked out (0: never).
    pub lockout_after: u32,
    /// How long a lockout lasts.
    pub lockout: Duration,
    /// A key with no event for this long is forgotten.
    pub forget: Duration,
}

impl Policy {
    /// Wrong passwords for one account: 5 free, then 1 s doubling to 60 s, locked for 15
    /// minutes at the 10th.
    pub const ACCOUNT: Policy = Policy {
        free: 5,
        base_delay: Duration::from_secs(1),
        max_delay: Duration::from_secs(60),
        lockout_after: 10,
        lockout: Duration::from_secs(15 * 60),
        forget: Duration::from_secs(60 * 60),
    };
    /// Wrong passwords from one address, over any accounts: 20 free, then 1 s doubling to 60 s,
    /// locked for 15 minutes at the 50th.
    pub const ADDRESS: Policy = Policy {
        free: 20,
        base_delay: Duration::from_secs(1),
        max_delay: Duration::from_secs(60),
        lockout_after: 50,
        lockout: Duration::from_secs(15 * 60),
        forget: Duration::from_secs(60 * 60),
    };
    /// Submissions of a public form (an error report, an appeal) from one address: 10 free,
    /// then 30 s doubling to 10 minutes; forgotten after an hour's quiet.
    pub const PUBLIC_FORM: Policy = Policy {
        free: 10,
        base_delay: Duration::from_secs(30),
        max_delay: Duration::from_secs(10 * 60),
        lockout_after: 0,
        lockout: Duration::ZERO,
        forget: Duration::from_secs(60 * 60),
    };

    /// The wait after the `n`th event.
    fn wait_after(&self, n: u32) -> Duration {
        if self.lockout_after > 0 && n >= self.lockout_after {
            self.lockout
        } else if n <= self.free {
            Duration::ZERO
        } else {
            let doublings = (n - self.free - 1).min(30);
            self.base_delay.saturating_mul(1 << doublings).min(self.max_delay)
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    events: u32,
    last: Duration,
    until: Duration,
}

/// What an event did to its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counted {
    /// The key may go on at once.
    Free,
    /// The key must wait this long.
    Wait(Duration),
    /// This event started a lockout this long (reported when one starts).
    LockedOut(Duration),
}

/// Events counted by key under one [`Policy`].
#[derive(Debug)]
pub struct Throttle {
    policy: Policy,
    clock: Arc<dyn Clock>,
    keys: Mutex<HashMap<String, Entry>>,
}

impl Throttle {
    /// Keys remembered at most (a few MiB).
    pub const CAPACITY: usize = 100_000;

    /// Counts under `policy`, reading time from `clock`.
    #[must_use]
    pub fn new(policy: Policy, clock: Arc<dyn Clock>) -> Throttle {
        Throttle { policy, clock, keys: Mutex::new(HashMap::new()) }
    }

    /// The policy it counts under.
    #[must_use]
    pub fn policy(&self) -> Policy {
        self.policy
    }

    fn keys(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        self.keys.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// How long `key` must still wait, if it must.
    #[must_use]
    pub fn wait(&self, key: &str) -> Option<Duration> {
        let now = self.clock.now();
        let keys = self.keys();
        let e = keys.get(key)?;
        (e.until > now).then(|| e.until - now)
    }

    /// Counts an event of `key` (a failed sign-in, a submitted form).
    pub fn count(&self, key: &str) -> Counted {
        let now = self.clock.now();
        let mut keys = self.keys();
        if keys.len() >= Self::CAPACITY && !keys.contains_key(key) {
            let forget = self.policy.forget;
            keys.retain(|_, e| now.saturating_sub(e.last) < forget && e.until > now);
            if keys.len() >= Self::CAPACITY
                && let Some(stalest) = keys.iter().min_by_key(|(_, e)| e.last).map(|(k, _)| k.clone())
            {
                keys.remove(&stalest);
            }
        }
        let e = keys.entry(key.to_owned()).or_insert(Entry { events: 0, last: now, until: Duration::ZERO });
        if now.saturating_sub(e.last) >= self.policy.forget && e.until <= now {
            e.events = 0;
        }
        let was_waiting = e.until > now;
        e.events = e.events.saturating_add(1);
        e.last = now;
        let wait = self.policy.wait_after(e.events);
        e.until = e.until.max(now + wait);
        if wait.is_zero() {
            Counted::Free
        } else if self.policy.lockout_after > 0 && e.events >= self.policy.lockout_after && !was_waiting {
            Counted::LockedOut(wait)
        } else {
            Counted::Wait(e.until - now)
        }
    }

    /// Events counted for `key` and not yet forgotten.
    #[must_use]
    pub fn events(&self, key: &str) -> u32 {
        self.keys().get(key).map_or(0, |e| e.events)
    }

    /// Forgets `key` (a successful sign-in).
    pub fn clear(&self, key: &str) {
        self.keys().remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn throttle(policy: Policy) -> (Throttle, Arc<ManualClock>) {
        let clock = Arc::new(ManualClock::default());
        (Throttle::new(policy, clock.clone()), clock)
    }

    #[test]
    fn delays_grow_then_lock_out_then_expire() {
        let (t, clock) = throttle(Policy::ACCOUNT);
        for _ in 0..5 {
            assert_eq!(t.count("a"), Counted::Free);
            assert_eq!(t.wait("a"), None);
        }
        assert_eq!(t.count("a"), Counted::Wait(Duration::from_secs(1)));
        assert_eq!(t.wait("a"), Some(Duration::from_secs(1)));
        clock.advance(Duration::from_secs(1));
        assert_eq!(t.wait("a"), None);
        assert_eq!(t.count("a"), Counted::Wait(Duration::from_secs(2)));
        clock.advance(Duration::from_secs(2));
        assert_eq!(t.count("a"), Counted::Wait(Duration::from_secs(4)));
        clock.advance(Duration::from_secs(4));
        assert_eq!(t.count("a"), Counted::Wait(Duration::from_secs(8)));
        clock.advance(Duration::from_secs(8));
        // the 10th failure locks the account out for 15 minutes
        assert_eq!(t.count("a"), Counted::LockedOut(Duration::from_secs(900)));
        assert_eq!(t.wait("a"), Some(Duration::from_secs(900)));
        // other keys are untouched
        assert_eq!(t.wait("b"), None);
        clock.advance(Duration::from_secs(899));
        assert_eq!(t.wait("a"), Some(Duration::from_secs(1)));
        clock.advance(Duration::from_secs(1));
        assert_eq!(t.wait("a"), None);
        // still counted: the next failure locks it out again until the count is forgotten
        assert_eq!(t.count("a"), Counted::LockedOut(Duration::from_secs(900)));
        assert_eq!(t.count("a"), Counted::Wait(Duration::from_secs(900)));
        clock.advance(Duration::from_secs(3600 + 900));
        assert_eq!(t.count("a"), Counted::Free);
    }

    #[test]
    fn success_clears_and_delays_are_capped() {
        let (t, clock) = throttle(Policy::PUBLIC_FORM);
        for _ in 0..10 {
            assert_eq!(t.count("f"), Counted::Free);
        }
        let mut last = Duration::ZERO;
        for _ in 0..20 {
            let Counted::Wait(w) = t.count("f") else { panic!("a public form never locks out") };
            assert!(w >= last && w <= Duration::from_secs(600), "{w:?}");
            last = w;
            clock.advance(w);
        }
        assert_eq!(last, Duration::from_secs(600));
        t.clear("f");
        assert_eq!(t.count("f"), Counted::Free);
    }

    #[test]
    fn memory_is_bounded() {
        let (t, _clock) = throttle(Policy::ADDRESS);
        for i in 0..Throttle::CAPACITY + 10 {
            t.count(&format!("k{i}"));
        }
        assert!(t.keys().len() <= Throttle::CAPACITY);
    }
}
