//! The log: one writer integrates batches of entries into tiles, signs a checkpoint and
//! publishes it, in crash-safe order; any number of [`LogReader`]s prove inclusion and
//! consistency from the tiles meanwhile.
//!
//! Order per batch: write the entry bundles and hash tiles (write-once, durable) → sign the new
//! checkpoint → compare-and-swap the latest signed checkpoint record → publish `checkpoint`.
//! A crash at any point leaves either the old or the new latest record. [`Log::open`]
//! reconciles: it refuses to run if the published checkpoint is ahead of the latest signed
//! record, checks the root recomputed from tiles against that record, republishes it, then
//! integrates what a crashed writer left beyond it: first the staging journal (batches the
//! [`crate::sequencer::Sequencer`] acknowledged), then entry bundles written by a direct
//! [`Log::append_batch`] that did not finish. Integration is idempotent, so both are safe to
//! repeat. Exclusive writer locking belongs to the store (see `mizan-ledger-fs`).

use std::sync::{Arc, PoisonError, RwLock};

use crate::LedgerError;
use crate::checkpoint::{Checkpoint, TlogProof, open_checkpoint};
use crate::merkle::{self, Hash, HashReader};
use crate::note::NoteSigner;
use crate::store::LogStore;
use crate::tile::{self, TILE_HEIGHT, TILE_WIDTH, TileId};
use crate::tilecache::TileCache;

/// Position of a leaf in the log.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LeafIndex(pub u64);

/// Reads complete-subtree hashes from the hash tiles of a log of `size` leaves, through a
/// [`TileCache`] when given one.
pub struct TileReader<'a> {
    store: &'a dyn LogStore,
    size: u64,
    cache: Option<&'a TileCache>,
}

impl<'a> TileReader<'a> {
    /// A reader over the tiles written for a tree of `size` leaves.
    #[must_use]
    pub fn new(store: &'a dyn LogStore, size: u64) -> Self {
        Self { store, size, cache: None }
    }

    /// A reader that keeps the tiles it reads, expanded, in `cache`.
    #[must_use]
    pub fn cached(store: &'a dyn LogStore, size: u64, cache: &'a TileCache) -> Self {
        Self { store, size, cache: Some(cache) }
    }

    /// Reads and decodes one hash tile.
    ///
    /// # Errors
    /// [`LedgerError::Missing`] naming the tile path, or a malformed-tile error.
    pub fn tile(&self, id: TileId) -> Result<Vec<Hash>, LedgerError> {
        let path = id.path();
        let bytes = read_tile(self.store, id, false)?;
        decode_tile(&path, &bytes, id.width)
    }
}

/// Reads hash tile `id` (or, with `entries`, its entry bundle). A partial tile may have been
/// deleted once its full tile was published (C2SP tlog-tiles allows it, and this log does it so
/// that tiles cost 32 bytes an entry, not one copy per checkpoint); then the full tile's first
/// `width` hashes or entries are the partial tile's, byte for byte.
///
/// # Errors
/// [`LedgerError::Missing`] naming the path when neither is stored; storage errors.
pub fn read_tile(store: &dyn LogStore, id: TileId, entries: bool) -> Result<Vec<u8>, LedgerError> {
    let path_of = |id: TileId| if entries { id.entries_path() } else { id.path() };
    let path = path_of(id);
    if let Some(bytes) = store.read(&path)? {
        return Ok(bytes);
    }
    let what = if entries { "entry bundle" } else { "hash tile" };
    let missing = || LedgerError::Missing(format!("{what} `{path}`"));
    if id.width >= 256 {
        return Err(missing());
    }
    let full = store.read(&path_of(TileId { width: 256, ..id }))?.ok_or_else(missing)?;
    if !entries {
        return full.get(..32 * usize::from(id.width)).map(<[u8]>::to_vec).ok_or_else(missing);
    }
    // The first `width` uint16-length-prefixed entries.
    let mut at = 0usize;
    for _ in 0..id.width {
        let len = full
            .get(at..at + 2)
            .map(|b| usize::from(u16::from_be_bytes([b[0], b[1]])))
            .ok_or_else(missing)?;
        at += 2 + len;
    }
    full.get(..at).map(<[u8]>::to_vec).ok_or_else(missing)
}

/// Decodes a hash tile of `width` hashes.
///
/// # Errors
/// [`LedgerError::Malformed`] when the length is not `32 * width`.
pub fn decode_tile(path: &str, bytes: &[u8], width: u16) -> Result<Vec<Hash>, LedgerError> {
    if bytes.len() != 32 * usize::from(width) {
        return Err(LedgerError::Malformed(format!(
            "hash tile `{path}` is {} bytes; expected {} for width {width}",
            bytes.len(),
            32 * usize::from(width)
        )));
    }
    Ok(bytes
        .chunks_exact(32)
        .map(|c| {
            let mut h = [0u8; 32];
            h.copy_from_slice(c);
            Hash(h)
        })
        .collect())
}

impl HashReader for TileReader<'_> {
    fn subtree(&self, level: u8, n: u64) -> Result<Hash, LedgerError> {
        let missing =
            || LedgerError::Missing(format!("subtree {level}/{n} in a tree of size `{}`", self.size));
        let tl = level / TILE_HEIGHT;
        let r = level % TILE_HEIGHT;
        // First hash index at Merkle level 8 * tl, and how many hashes that level has.
        let first = n.checked_mul(1u64 << r).ok_or_else(missing)?;
        let count = self.size.checked_shr(u32::from(tl) * u32::from(TILE_HEIGHT)).unwrap_or(0);
        if first.checked_add(1u64 << r).is_none_or(|end| end > count) {
            return Err(missing());
        }
        let id = tile::tile_for(tl, first, self.size);
        let off = first - id.index * TILE_WIDTH;
        match self.cache {
            Some(cache) => cache.get_or_load(id, || self.tile(id))?.get(r, off >> r).ok_or_else(missing),
            None => {
                let hashes = self.tile(id)?;
                let off = usize::try_from(off).map_err(|_| missing())?;
                let span = hashes.get(off..off + (1usize << r)).ok_or_else(missing)?;
                Ok(merkle::root_of_slice(span))
            }
        }
    }
}

/// What readers see of the log: the latest published checkpoint.
#[derive(Clone, Debug)]
struct Head {
    size: u64,
    root: Hash,
    checkpoint: Option<Arc<str>>,
}

/// A cheap, cloneable, thread-safe reader of a log: checkpoint, proofs and receipts for the
/// latest published checkpoint, from the tiles (which never change) through a shared
/// [`TileCache`]. The writer moves its head forward after each publish.
#[derive(Clone)]
pub struct LogReader {
    store: Arc<dyn LogStore>,
    cache: Arc<TileCache>,
    head: Arc<RwLock<Head>>,
}

impl std::fmt::Debug for LogReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogReader").field("size", &self.size()).finish_non_exhaustive()
    }
}

impl LogReader {
    /// A reader of a log nobody is writing any more (an earlier period's shard): its published
    /// checkpoint, checked against `log_key`, and its tiles, read-only.
    ///
    /// # Errors
    /// [`LedgerError::Missing`] without a published checkpoint; signature errors.
    pub fn published(
        store: Arc<dyn LogStore>,
        log_key: &crate::note::NoteVerifier,
    ) -> Result<Self, LedgerError> {
        let bytes = store
            .read(crate::store::CHECKPOINT_PATH)?
            .ok_or_else(|| LedgerError::Missing(format!("`{}`", crate::store::CHECKPOINT_PATH)))?;
        let signed = crate::checkpoint::open_checkpoint(&bytes, log_key)?;
        let text =
            String::from_utf8(bytes).map_err(|_| LedgerError::Malformed("checkpoint is not UTF-8".into()))?;
        let head = Head {
            size: signed.checkpoint.size,
            root: signed.checkpoint.root,
            checkpoint: Some(Arc::from(text.as_str())),
        };
        Ok(Self { store, cache: Arc::new(TileCache::default()), head: Arc::new(RwLock::new(head)) })
    }

    fn head(&self) -> Head {
        self.head.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Size of the latest published checkpoint.
    #[must_use]
    pub fn size(&self) -> u64 {
        self.head.read().unwrap_or_else(PoisonError::into_inner).size
    }

    /// Root hash of the latest published checkpoint.
    #[must_use]
    pub fn root(&self) -> Hash {
        self.head.read().unwrap_or_else(PoisonError::into_inner).root
    }

    /// The latest signed checkpoint note (empty log: `None`).
    #[must_use]
    pub fn checkpoint(&self) -> Option<Arc<str>> {
        self.head.read().unwrap_or_else(PoisonError::into_inner).checkpoint.clone()
    }

    /// The tile cache's counters.
    #[must_use]
    pub fn cache_stats(&self) -> crate::tilecache::CacheStats {
        self.cache.stats()
    }

    /// An inclusion proof for `index` in the tree of `size` leaves (`size` at most the
    /// published size).
    ///
    /// # Errors
    /// [`LedgerError::Proof`] when the index or size is out of range; storage errors.
    pub fn prove_inclusion(&self, index: LeafIndex, size: u64) -> Result<Vec<Hash>, LedgerError> {
        let current = self.size();
        if size > current {
            return Err(LedgerError::Proof(format!(
                "tree size `{size}` is beyond the published checkpoint size `{current}`"
            )));
        }
        merkle::prove_inclusion(&TileReader::cached(self.store.as_ref(), current, &self.cache), index.0, size)
    }

    /// A consistency proof between sizes `old` and `new` (`new` at most the published size).
    ///
    /// # Errors
    /// [`LedgerError::Proof`] when sizes are out of range; storage errors.
    pub fn prove_consistency(&self, old: u64, new: u64) -> Result<Vec<Hash>, LedgerError> {
        let current = self.size();
        if new > current {
            return Err(LedgerError::Proof(format!(
                "tree size `{new}` is beyond the published checkpoint size `{current}`"
            )));
        }
        merkle::prove_consistency(&TileReader::cached(self.store.as_ref(), current, &self.cache), old, new)
    }

    /// A C2SP tlog-proof receipt for `index` against the latest published checkpoint.
    ///
    /// # Errors
    /// [`LedgerError::Proof`] when the index is not yet in a published checkpoint; storage errors.
    pub fn receipt(&self, index: LeafIndex) -> Result<TlogProof, LedgerError> {
        let head = self.head();
        let checkpoint = head.checkpoint.ok_or_else(|| {
            LedgerError::Proof(format!("leaf `{}` is not in a checkpoint yet; the log is empty", index.0))
        })?;
        if index.0 >= head.size {
            return Err(LedgerError::Proof(format!(
                "leaf `{}` is not in a published checkpoint yet (size `{}`); try again shortly",
                index.0, head.size
            )));
        }
        let reader = TileReader::cached(self.store.as_ref(), head.size, &self.cache);
        Ok(TlogProof {
            extra: None,
            index: index.0,
            proof: merkle::prove_inclusion(&reader, index.0, head.size)?,
            checkpoint: checkpoint.to_string(),
        })
    }
}

/// Encodes one staging-journal record: big-endian `u64` first index, `u32` count, then each
/// entry as a big-endian `u16` length and its bytes.
///
/// # Errors
/// [`LedgerError::Malformed`] for an entry over 65535 bytes or more than `u32::MAX` entries.
pub fn encode_staged<E: AsRef<[u8]>>(start: u64, entries: &[E]) -> Result<Vec<u8>, LedgerError> {
    let count = u32::try_from(entries.len())
        .map_err(|_| LedgerError::Malformed(format!("batch of {} entries is too large", entries.len())))?;
    let mut out = Vec::with_capacity(12 + entries.iter().map(|e| 2 + e.as_ref().len()).sum::<usize>());
    out.extend_from_slice(&start.to_be_bytes());
    out.extend_from_slice(&count.to_be_bytes());
    out.extend_from_slice(&tile::encode_bundle(entries)?);
    Ok(out)
}

/// Decodes a staging-journal record into its first index and entries.
///
/// # Errors
/// [`LedgerError::Malformed`] when the record is not what [`encode_staged`] writes.
pub fn decode_staged(record: &[u8]) -> Result<(u64, Vec<Vec<u8>>), LedgerError> {
    let bad = |why: &str| LedgerError::Malformed(format!("staging record: {why}"));
    let (head, body) = record.split_at_checked(12).ok_or_else(|| bad("shorter than its 12-byte header"))?;
    let start = u64::from_be_bytes(head[..8].try_into().map_err(|_| bad("header"))?);
    let count = u32::from_be_bytes(head[8..].try_into().map_err(|_| bad("header"))?);
    let entries = tile::decode_bundle(body)?;
    if entries.len() as u64 != u64::from(count) {
        return Err(bad(&format!("header says {count} entries, body holds {}", entries.len())));
    }
    Ok((start, entries))
}

/// Tiles to write for one integration step.
struct Edge {
    /// Hashes of the rightmost (partial) tile at each tile level, and entries of the partial bundle.
    levels: Vec<Vec<Hash>>,
    bundle: Vec<Vec<u8>>,
}

/// A transparency log with one writer.
pub struct Log {
    store: Arc<dyn LogStore>,
    signer: NoteSigner,
    origin: String,
    size: u64,
    root: Hash,
    latest: Option<Vec<u8>>,
    edge: Edge,
    reader: LogReader,
}

impl std::fmt::Debug for Log {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Log").field("origin", &self.origin).field("size", &self.size).finish_non_exhaustive()
    }
}

impl Log {
    /// Opens (or creates) the log in `store`, signing with `signer` whose key name is `origin`.
    ///
    /// Reconciles storage with the latest signed checkpoint: entries staged after it are
    /// integrated again, the recomputed root must match, and the checkpoint is republished.
    ///
    /// # Errors
    /// [`LedgerError::Inconsistent`] when tiles disagree with the latest signed checkpoint or
    /// the published checkpoint is ahead of it; storage and signature errors.
    pub fn open(store: Arc<dyn LogStore>, signer: NoteSigner, origin: &str) -> Result<Self, LedgerError> {
        Self::open_with_cache(store, signer, origin, Arc::new(TileCache::default()))
    }

    /// [`Log::open`] with a tile cache of the caller's size (shared with every [`LogReader`]).
    ///
    /// # Errors
    /// As [`Log::open`].
    pub fn open_with_cache(
        store: Arc<dyn LogStore>,
        signer: NoteSigner,
        origin: &str,
        cache: Arc<TileCache>,
    ) -> Result<Self, LedgerError> {
        if signer.name() != origin {
            return Err(LedgerError::Signature(format!(
                "log key is named `{}` but the origin is `{origin}`; the key name must equal the origin",
                signer.name()
            )));
        }
        let verifier = signer.verifier();
        let latest = store.latest()?;
        let (size, root) = match &latest {
            Some(bytes) => {
                let cp = open_checkpoint(bytes, &verifier)?.checkpoint;
                (cp.size, cp.root)
            }
            None => (0, Hash::empty_tree()),
        };
        // The published checkpoint must never be ahead of the latest signed record.
        if let Some(published) = store.read(crate::store::CHECKPOINT_PATH)? {
            let p = open_checkpoint(&published, &verifier)?.checkpoint;
            if p.size > size || (p.size == size && p.root != root) {
                return Err(LedgerError::Inconsistent(format!(
                    "published checkpoint has size `{}` but the latest signed record has size `{size}`; \
                     storage was rolled back, restore it before starting",
                    p.size
                )));
            }
        }
        let reader = LogReader {
            store: store.clone(),
            cache,
            head: Arc::new(RwLock::new(Head {
                size,
                root,
                checkpoint: latest.as_deref().map(|b| Arc::from(String::from_utf8_lossy(b).as_ref())),
            })),
        };
        let mut log = Self {
            store,
            signer,
            origin: origin.to_owned(),
            size,
            root,
            latest,
            edge: Edge { levels: Vec::new(), bundle: Vec::new() },
            reader,
        };
        log.load_edge()?;
        let computed = merkle::tree_root(&TileReader::new(log.store.as_ref(), size), size)?;
        if computed != root {
            return Err(LedgerError::Inconsistent(format!(
                "tiles give root `{computed}` at size `{size}` but the latest signed checkpoint says `{root}`"
            )));
        }
        if let Some(bytes) = &log.latest {
            log.store.publish_checkpoint(bytes)?;
        }
        // Batches the sequencer acknowledged (durable in the journal) but did not integrate.
        let journaled = log.journaled_entries()?;
        if !journaled.is_empty() {
            log.append_batch(&journaled)?;
        }
        // Entries a direct append_batch wrote to bundles before it crashed.
        let staged = log.staged_entries()?;
        if !staged.is_empty() {
            log.append_batch(&staged)?;
        }
        Ok(log)
    }

    /// Entries of the staging journal beyond the latest checkpoint, which must continue it
    /// without a gap.
    fn journaled_entries(&self) -> Result<Vec<Vec<u8>>, LedgerError> {
        let mut out = Vec::new();
        let mut at = self.size;
        for record in self.store.staged()? {
            let (start, entries) = decode_staged(&record)?;
            let end = start + entries.len() as u64;
            if end <= self.size {
                continue; // integrated before the crash
            }
            if start != at {
                return Err(LedgerError::Inconsistent(format!(
                    "staging journal has a batch for leaves `{start}..{end}` but the log continues at \
                     leaf `{at}`; the journal does not belong to this log state"
                )));
            }
            out.extend(entries);
            at = end;
        }
        Ok(out)
    }

    fn load_edge(&mut self) -> Result<(), LedgerError> {
        let reader = TileReader::new(self.store.as_ref(), self.size);
        let mut levels = Vec::new();
        let mut count = self.size;
        let mut level = 0u8;
        while count > 0 {
            let rem = count % TILE_WIDTH;
            let hashes = if rem > 0 {
                // rem < 256
                reader.tile(TileId { level, index: count / TILE_WIDTH, width: rem as u16 })?
            } else {
                Vec::new()
            };
            levels.push(hashes);
            count /= TILE_WIDTH;
            level += 1;
        }
        let rem = self.size % TILE_WIDTH;
        let bundle = if rem > 0 {
            // rem < 256
            let id = TileId { level: 0, index: self.size / TILE_WIDTH, width: rem as u16 };
            let bytes = self
                .store
                .read(&id.entries_path())?
                .ok_or_else(|| LedgerError::Missing(format!("entry bundle `{}`", id.entries_path())))?;
            tile::decode_bundle(&bytes)?
        } else {
            Vec::new()
        };
        self.edge = Edge { levels, bundle };
        Ok(())
    }

    /// Entries written to bundles beyond the latest checkpoint (by a batch that did not finish).
    fn staged_entries(&self) -> Result<Vec<Vec<u8>>, LedgerError> {
        let mut out = Vec::new();
        let mut at = self.size;
        loop {
            let index = at / TILE_WIDTH;
            let skip = usize::try_from(at % TILE_WIDTH).unwrap_or(0);
            let full = TileId { level: 0, index, width: 256 };
            if let Some(b) = self.store.read(&full.entries_path())? {
                let entries = tile::decode_bundle(&b)?;
                out.extend(entries.into_iter().skip(skip));
                at = (index + 1) * TILE_WIDTH;
                continue;
            }
            for w in (skip + 1..256).rev() {
                // w < 256
                let id = TileId { level: 0, index, width: w as u16 };
                if let Some(b) = self.store.read(&id.entries_path())? {
                    out.extend(tile::decode_bundle(&b)?.into_iter().skip(skip));
                    break;
                }
            }
            return Ok(out);
        }
    }

    /// The log's origin.
    #[must_use]
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// Number of leaves integrated and covered by the latest signed checkpoint.
    #[must_use]
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The latest signed checkpoint note (empty tree: `None`).
    #[must_use]
    pub fn checkpoint(&self) -> Option<&[u8]> {
        self.latest.as_deref()
    }

    /// The current root hash.
    #[must_use]
    pub fn root(&self) -> Hash {
        self.root
    }

    /// The store this log writes to.
    pub(crate) fn store_handle(&self) -> Arc<dyn LogStore> {
        self.store.clone()
    }

    /// A reader that follows this log's published checkpoints.
    #[must_use]
    pub fn reader(&self) -> LogReader {
        self.reader.clone()
    }

    /// The signer's verifier key.
    #[must_use]
    pub fn verifier(&self) -> crate::note::NoteVerifier {
        self.signer.verifier()
    }

    /// Appends `entries` (each at most 65535 bytes), makes them durable, integrates them,
    /// signs and publishes a checkpoint. Returns the contiguous indices assigned, in order.
    /// Nothing is acknowledged unless every step succeeded.
    ///
    /// # Errors
    /// [`LedgerError::Malformed`] for an oversized entry (nothing is written);
    /// [`LedgerError::Conflict`] when another writer moved the latest checkpoint; storage errors.
    pub fn append_batch<E: AsRef<[u8]>>(&mut self, entries: &[E]) -> Result<Vec<LeafIndex>, LedgerError> {
        if let Some((i, e)) = entries.iter().enumerate().find(|(_, e)| e.as_ref().len() > 65535) {
            return Err(LedgerError::Malformed(format!(
                "entry {i} of the batch is {} bytes; entries are at most 65535 bytes",
                e.as_ref().len()
            )));
        }
        if entries.is_empty() {
            return Ok(Vec::new());
        }
        let start = self.size;
        let mut edge_levels = self.edge.levels.clone();
        let mut bundle = self.edge.bundle.clone();
        let mut writes: Vec<(String, Vec<u8>)> = Vec::new();
        let mut size = start;
        for e in entries {
            let e = e.as_ref();
            bundle.push(e.to_vec());
            if bundle.len() as u64 == TILE_WIDTH {
                let id = TileId { level: 0, index: size / TILE_WIDTH, width: 256 };
                writes.push((id.entries_path(), tile::encode_bundle(&bundle)?));
                bundle.clear();
            }
            push_hash(&mut edge_levels, 0, size, merkle::leaf_hash(e), &mut writes);
            size += 1;
        }
        // Partial bundle and partial tiles at the new size.
        if !bundle.is_empty() {
            // len < 256
            let id = TileId { level: 0, index: size / TILE_WIDTH, width: bundle.len() as u16 };
            writes.push((id.entries_path(), tile::encode_bundle(&bundle)?));
        }
        let mut count = size;
        for (level, hashes) in edge_levels.iter().enumerate() {
            if !hashes.is_empty() {
                // level < 8 for any u64 size; len < 256
                let id = TileId { level: level as u8, index: count / TILE_WIDTH, width: hashes.len() as u16 };
                writes.push((id.path(), encode_tile(hashes)));
            }
            count /= TILE_WIDTH;
        }
        // Bundles first (the durable record of the entries), then tiles.
        writes.sort_by_key(|(p, _)| !p.starts_with("tile/entries/"));
        self.store.write_many(&writes)?;
        let root =
            merkle::tree_root(&TileReader::cached(self.store.as_ref(), size, &self.reader.cache), size)?;
        let cp = Checkpoint { origin: self.origin.clone(), size, root, extensions: Vec::new() };
        let signed = cp.sign(&self.signer)?;
        if !self.store.compare_and_swap_latest(self.latest.as_deref(), signed.as_bytes())? {
            return Err(LedgerError::Conflict(
                "the latest signed checkpoint changed underneath this writer; another sequencer is running"
                    .into(),
            ));
        }
        self.store.publish_checkpoint(signed.as_bytes())?;
        // Partial tiles that a full tile of this batch supersedes: only now, after the full tile
        // is durable and published. A crash before this leaves them behind, which costs space.
        for (path, _) in writes.iter().filter(|(p, _)| !p.contains(".p/")) {
            self.store.remove_partials(path)?;
        }
        *self.reader.head.write().unwrap_or_else(PoisonError::into_inner) =
            Head { size, root, checkpoint: Some(Arc::from(signed.as_str())) };
        self.latest = Some(signed.into_bytes());
        self.size = size;
        self.root = root;
        self.edge = Edge { levels: edge_levels, bundle };
        Ok((start..size).map(LeafIndex).collect())
    }

    /// An inclusion proof for `index` in the tree of `size` leaves (`size <= self.size()`).
    ///
    /// # Errors
    /// [`LedgerError::Proof`] when the index or size is out of range; storage errors.
    pub fn prove_inclusion(&self, index: LeafIndex, size: u64) -> Result<Vec<Hash>, LedgerError> {
        self.reader.prove_inclusion(index, size)
    }

    /// A consistency proof between sizes `old` and `new` (`new <= self.size()`).
    ///
    /// # Errors
    /// [`LedgerError::Proof`] when sizes are out of range; storage errors.
    pub fn prove_consistency(&self, old: u64, new: u64) -> Result<Vec<Hash>, LedgerError> {
        self.reader.prove_consistency(old, new)
    }

    /// A C2SP tlog-proof receipt for `index` against the latest signed checkpoint.
    ///
    /// # Errors
    /// [`LedgerError::Proof`] when the index is not yet in a checkpoint; storage errors.
    pub fn receipt(&self, index: LeafIndex) -> Result<TlogProof, LedgerError> {
        self.reader.receipt(index)
    }
}

/// An inclusion proof read from tiles, for readers without the writer (`current` is the size
/// of the latest checkpoint, so that all needed tiles exist).
///
/// # Errors
/// [`LedgerError::Proof`] for an out-of-range index or size; [`LedgerError::Missing`] tiles.
pub fn prove_inclusion(
    store: &dyn LogStore,
    index: LeafIndex,
    size: u64,
    current: u64,
) -> Result<Vec<Hash>, LedgerError> {
    if size > current {
        return Err(LedgerError::Proof(format!(
            "tree size `{size}` is beyond the checkpoint size `{current}`"
        )));
    }
    merkle::prove_inclusion(&TileReader::new(store, current), index.0, size)
}

fn encode_tile(hashes: &[Hash]) -> Vec<u8> {
    hashes.iter().flat_map(|h| h.0).collect()
}

/// Appends hash `n` at tile level `level`; completing a tile writes it and carries its root up.
fn push_hash(
    levels: &mut Vec<Vec<Hash>>,
    level: usize,
    n: u64,
    h: Hash,
    writes: &mut Vec<(String, Vec<u8>)>,
) {
    if levels.len() <= level {
        levels.push(Vec::new());
    }
    levels[level].push(h);
    if levels[level].len() as u64 == TILE_WIDTH {
        // level < 8 for any u64 tree size
        let id = TileId { level: level as u8, index: n / TILE_WIDTH, width: 256 };
        writes.push((id.path(), encode_tile(&levels[level])));
        let up = merkle::root_of_slice(&levels[level]);
        levels[level].clear();
        push_hash(levels, level + 1, n / TILE_WIDTH, up, writes);
    }
}
