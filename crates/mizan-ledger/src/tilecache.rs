//! A bounded cache of hash tiles, each expanded into all eight of its interior levels, so that
//! an inclusion proof is a handful of lookups rather than file reads and hundreds of SHA-256
//! calls.
//!
//! Tiles are immutable (a partial tile's path carries its width), so a cached tile never goes
//! stale and needs no invalidation. When the cache grows past its capacity it drops the least
//! recently used eighth of its tiles at once, which keeps eviction cheap per insertion.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use crate::LedgerError;
use crate::merkle::{Hash, node_hash};
use crate::tile::TileId;

/// One tile with its interior levels: `levels[r][i]` is the hash of tile hashes
/// `[i * 2^r, (i + 1) * 2^r)`, for every complete group (a partial tile has fewer).
#[derive(Debug)]
pub struct ExpandedTile {
    levels: Vec<Vec<Hash>>,
}

impl ExpandedTile {
    /// Expands the hashes of one tile.
    #[must_use]
    pub fn new(hashes: Vec<Hash>) -> Self {
        let mut levels = vec![hashes];
        loop {
            // The vector is never empty: it starts with one element and only grows.
            let below = &levels[levels.len() - 1];
            if below.len() < 2 {
                break;
            }
            let up: Vec<Hash> = below.chunks_exact(2).map(|p| node_hash(&p[0], &p[1])).collect();
            levels.push(up);
        }
        Self { levels }
    }

    /// The hash of the complete group of `2^r` tile hashes at `offset` (in units of `2^r`).
    #[must_use]
    pub fn get(&self, r: u8, offset: u64) -> Option<Hash> {
        let off = usize::try_from(offset).ok()?;
        self.levels.get(usize::from(r))?.get(off).copied()
    }

    fn bytes(&self) -> usize {
        self.levels.iter().map(|l| l.len() * 32).sum()
    }
}

/// A shared, bounded, least-recently-used cache of [`ExpandedTile`]s.
#[derive(Debug)]
pub struct TileCache {
    capacity: usize,
    inner: Mutex<Inner>,
    hits: AtomicU64,
    misses: AtomicU64,
}

#[derive(Debug, Default)]
struct Inner {
    tiles: HashMap<TileId, (Arc<ExpandedTile>, u64)>,
    tick: u64,
}

/// Hit and miss counts of a [`TileCache`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CacheStats {
    /// Lookups answered from memory.
    pub hits: u64,
    /// Lookups that read and expanded a tile.
    pub misses: u64,
    /// Tiles held now.
    pub tiles: usize,
    /// Bytes of hashes held now.
    pub bytes: usize,
}

impl TileCache {
    /// A cache of at most `capacity` tiles (a full expanded tile is 16,352 bytes, so the
    /// default of 1,024 tiles is about 16 MiB).
    #[must_use]
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(8),
            inner: Mutex::new(Inner::default()),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    /// The tile `id`, from memory or by calling `load` for its hashes.
    ///
    /// # Errors
    /// Whatever `load` returns.
    pub fn get_or_load(
        &self,
        id: TileId,
        load: impl FnOnce() -> Result<Vec<Hash>, LedgerError>,
    ) -> Result<Arc<ExpandedTile>, LedgerError> {
        {
            let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
            inner.tick += 1;
            let tick = inner.tick;
            if let Some((tile, used)) = inner.tiles.get_mut(&id) {
                *used = tick;
                self.hits.fetch_add(1, Ordering::Relaxed);
                return Ok(tile.clone());
            }
        }
        // Load and expand outside the lock, so readers of other tiles are not held up.
        self.misses.fetch_add(1, Ordering::Relaxed);
        let tile = Arc::new(ExpandedTile::new(load()?));
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        inner.tick += 1;
        let tick = inner.tick;
        inner.tiles.insert(id, (tile.clone(), tick));
        if inner.tiles.len() > self.capacity {
            let mut ticks: Vec<u64> = inner.tiles.values().map(|(_, t)| *t).collect();
            let cut = ticks.len() / 8;
            let (_, &mut threshold, _) = ticks.select_nth_unstable(cut);
            inner.tiles.retain(|_, (_, t)| *t > threshold);
        }
        Ok(tile)
    }

    /// Hit and miss counts so far, and the current size.
    #[must_use]
    pub fn stats(&self) -> CacheStats {
        let inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        CacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            tiles: inner.tiles.len(),
            bytes: inner.tiles.values().map(|(t, _)| t.bytes()).sum(),
        }
    }
}

impl Default for TileCache {
    fn default() -> Self {
        Self::new(1024)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merkle::{leaf_hash, root_of_slice};

    #[test]
    fn expanded_levels_are_subtree_roots_and_eviction_bounds_size() {
        let hashes: Vec<Hash> = (0u32..200).map(|i| leaf_hash(&i.to_be_bytes())).collect();
        let t = ExpandedTile::new(hashes.clone());
        for r in 0..8u8 {
            let w = 1usize << r;
            for (i, chunk) in hashes.chunks_exact(w).enumerate() {
                assert_eq!(t.get(r, i as u64), Some(root_of_slice(chunk)), "r {r} i {i}");
            }
            assert_eq!(t.get(r, (hashes.len() / w) as u64), None, "incomplete groups are absent");
        }
        let cache = TileCache::new(16);
        for i in 0..100u64 {
            let id = TileId { level: 0, index: i, width: 4 };
            cache.get_or_load(id, || Ok(hashes[..4].to_vec())).unwrap();
            // the most recent tile is always kept
            cache.get_or_load(id, || panic!("just cached")).unwrap();
        }
        let s = cache.stats();
        assert!(s.tiles <= 16, "{s:?}");
        assert_eq!((s.hits, s.misses), (100, 100));
    }
}
