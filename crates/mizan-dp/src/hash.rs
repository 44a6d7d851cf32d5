//! Hashing for the builder's maps: XXH3 with a fixed seed, so a unit's hash is the same on
//! every machine and every build of a dataset version.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use twox_hash::XxHash3_64;

/// The seed of unit and value hashes (fixed: a table must not depend on the run).
const SEED: u64 = 0x6d69_7a61_6e2d_6470; // "mizan-dp"

/// A unit's id, hashed. Two ids with the same hash become one unit, which keeps at most `k`
/// rows between them: a collision can only tighten the bound, never loosen it.
pub(crate) fn unit(id: &str) -> u64 {
    XxHash3_64::oneshot_with_seed(SEED, id.as_bytes())
}

/// The fingerprint of bytes, as 16 hex digits.
pub(crate) fn fingerprint(bytes: &[u8]) -> String {
    format!("{:016x}", XxHash3_64::oneshot_with_seed(SEED, bytes))
}

/// A hasher for the builder's maps: XXH3 over string keys, a multiplicative mix of integer
/// keys (unit hashes are already uniform; cell numbers are not).
#[derive(Default, Clone, Copy)]
pub(crate) struct Fast(u64);

impl Hasher for Fast {
    fn finish(&self) -> u64 {
        self.0 ^ (self.0 >> 29)
    }

    fn write(&mut self, bytes: &[u8]) {
        self.0 = XxHash3_64::oneshot_with_seed(self.0 ^ SEED, bytes);
    }

    fn write_u8(&mut self, b: u8) {
        self.write_u64(u64::from(b));
    }

    fn write_u32(&mut self, x: u32) {
        self.write_u64(u64::from(x));
    }

    fn write_u64(&mut self, x: u64) {
        self.0 = (self.0 ^ x).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }

    fn write_usize(&mut self, x: usize) {
        self.write_u64(x as u64);
    }
}

/// A `HashMap` with the [`Fast`] hasher.
pub(crate) type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<Fast>>;
