//! Fixed-seed hashing: the same value hashes the same on every machine and every run, so
//! distinct counts, duplicate rows and sketches are reproducible.
//!
//! Bytes go through XXH3-64 with seed 0; 64-bit values (integers, float bits, day numbers)
//! through the SplitMix64 finaliser. A row's hash is the wrapping sum of one mixed hash per
//! non-null cell (column name and value), so it does not depend on column order, which JSON
//! Lines objects do not fix.

use std::hash::{BuildHasher, Hasher};

use twox_hash::XxHash3_64;

/// XXH3-64 of `bytes`, seed 0.
pub(crate) fn bytes(bytes: &[u8]) -> u64 {
    XxHash3_64::oneshot(bytes)
}

/// The SplitMix64 finaliser: a bijection that spreads every input bit over the output.
pub(crate) fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// One cell's share of its row's hash.
pub(crate) fn cell(column: u64, value: u64) -> u64 {
    mix(column.rotate_left(17) ^ value)
}

/// A deterministic hasher for the in-memory maps (iteration order never reaches the output).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Fixed;

/// The state of [`Fixed`].
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct FixedHasher(u64);

impl BuildHasher for Fixed {
    type Hasher = FixedHasher;
    fn build_hasher(&self) -> FixedHasher {
        FixedHasher(0)
    }
}

impl Hasher for FixedHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, b: &[u8]) {
        self.0 = mix(self.0 ^ bytes(b));
    }
    fn write_u8(&mut self, i: u8) {
        self.0 = mix(self.0 ^ u64::from(i));
    }
    fn write_u64(&mut self, i: u64) {
        self.0 = mix(self.0 ^ i);
    }
    fn write_usize(&mut self, i: usize) {
        self.0 = mix(self.0 ^ i as u64);
    }
}

/// A `HashMap` with the fixed hasher.
pub(crate) type Map<K, V> = std::collections::HashMap<K, V, Fixed>;

/// HyperLogLog with 2^14 one-byte registers (16 KiB): standard error 1.04/√16384 ≈ 0.81 %.
///
/// Flajolet et al. (2007) with the small-range (linear counting) correction; inputs are the
/// 64-bit hashes above, so no large-range correction is needed. Merging takes the register
/// maxima, so the estimate does not depend on how the input was split or ordered.
#[derive(Debug, Clone)]
pub(crate) struct Hll {
    registers: Box<[u8]>,
}

const HLL_BITS: u32 = 14;
const HLL_M: usize = 1 << HLL_BITS;

impl Hll {
    pub(crate) fn new() -> Self {
        Self { registers: vec![0; HLL_M].into_boxed_slice() }
    }

    pub(crate) fn insert(&mut self, hash: u64) {
        // The top 14 bits pick the register (always < HLL_M); the rest give the rank.
        let idx = (hash >> (64 - HLL_BITS)) as usize;
        let rest = (hash << HLL_BITS) | (1 << (HLL_BITS - 1));
        let rank = u8::try_from(rest.leading_zeros() + 1).unwrap_or(u8::MAX);
        if let Some(r) = self.registers.get_mut(idx) {
            *r = (*r).max(rank);
        }
    }

    pub(crate) fn merge(&mut self, other: &Self) {
        for (a, b) in self.registers.iter_mut().zip(other.registers.iter()) {
            *a = (*a).max(*b);
        }
    }

    #[expect(clippy::cast_precision_loss, reason = "register counts are far below 2^52")]
    pub(crate) fn estimate(&self) -> u64 {
        let m = HLL_M as f64;
        let alpha = 0.7213 / (1.0 + 1.079 / m);
        let mut sum = 0.0;
        let mut zeros = 0usize;
        for &r in &*self.registers {
            sum += (-f64::from(r)).exp2();
            if r == 0 {
                zeros += 1;
            }
        }
        let raw = alpha * m * m / sum;
        let est = if raw <= 2.5 * m && zeros > 0 { m * (m / zeros as f64).ln() } else { raw };
        // `est` is finite and non-negative.
        #[expect(clippy::cast_possible_truncation, clippy::cast_sign_loss, reason = "rounded, non-negative")]
        let n = est.round() as u64;
        n
    }
}
