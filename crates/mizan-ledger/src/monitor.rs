//! Following a log as a monitor: each new checkpoint must be signed by the log, consistent with
//! the last one the monitor saw, and backed by entry bundles and hash tiles that re-hash to
//! its root.
//!
//! [`step`] reads the log through [`LogStore::read`] (a directory, or HTTP in the binary), so
//! the same code checks a local copy and a remote log. It never trusts the log's hash tiles
//! for the new entries: it hashes every new entry from the bundles, folds the hashes into the
//! compact range (the "frontier") of the old tree, compares every completed subtree whose
//! height is a multiple of 8 with the hash tile that should hold it, and requires the folded
//! root to be the signed root. The old frontier itself is read from the tiles and must give
//! the root the monitor saw last time, and a consistency proof built from the tiles must
//! verify between the two signed roots: a log that rewrote history fails one or the other.
//!
//! What the monitor remembers ([`MonitorState`]) is a small text file: the pinned log key and
//! the last checkpoint it verified, verbatim, so the file itself can be checked by anyone.

use std::collections::HashMap;

use crate::LedgerError;
use crate::checkpoint::{Checkpoint, SignedCheckpoint, open_checkpoint};
use crate::log::TileReader;
use crate::merkle::{self, Hash, HashReader};
use crate::note::NoteVerifier;
use crate::store::{CHECKPOINT_PATH, LogStore};
use crate::tile::{self, TILE_HEIGHT, TILE_WIDTH, TileId};

const STATE_HEADER: &str = "mizan.monitor/v1";

/// What the monitor found wrong, or why it could not look.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum MonitorError {
    /// The log showed two views that cannot both be true: a smaller size, a different root at
    /// the same size, or a checkpoint inconsistent with the last one seen.
    #[error("fork: {0}")]
    Fork(String),
    /// A checkpoint, hash tile or entry bundle the log must serve is absent.
    #[error("missing: {0}")]
    Missing(String),
    /// A tile or bundle is malformed or disagrees with the entries, or the checkpoint's
    /// signature does not verify.
    #[error("invalid: {0}")]
    Invalid(String),
    /// The log could not be read (network or storage); trying again later may succeed.
    #[error("cannot read the log: {0}")]
    Fetch(String),
    /// The state file is malformed or belongs to another log.
    #[error("monitor state: {0}")]
    State(String),
}

impl MonitorError {
    fn from_read(e: LedgerError) -> Self {
        match e {
            LedgerError::Missing(m) => MonitorError::Missing(m),
            LedgerError::Storage(m) => MonitorError::Fetch(m),
            other => MonitorError::Invalid(other.to_string()),
        }
    }
}

/// What a monitor remembers between runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MonitorState {
    /// The log's key, pinned on first use.
    pub key: NoteVerifier,
    /// The last checkpoint verified, if any.
    pub last: Option<SignedCheckpoint>,
}

impl MonitorState {
    /// A fresh state for the log with `key` (nothing seen yet).
    #[must_use]
    pub fn new(key: NoteVerifier) -> Self {
        Self { key, last: None }
    }

    /// The text form: `mizan.monitor/v1`, `vkey <vkey>`, then a blank line and the last
    /// checkpoint note verbatim when there is one.
    #[must_use]
    pub fn encode(&self) -> String {
        let mut s = format!("{STATE_HEADER}\nvkey {}\n", self.key.to_vkey());
        if let Some(last) = &self.last {
            s.push('\n');
            s.push_str(&last.note.to_text());
        }
        s
    }

    /// Parses the text form and re-verifies the stored checkpoint against the stored key.
    ///
    /// # Errors
    /// [`MonitorError::State`] naming what is wrong.
    pub fn parse(text: &str) -> Result<Self, MonitorError> {
        let bad = |why: String| MonitorError::State(why);
        let rest = text
            .strip_prefix(STATE_HEADER)
            .and_then(|r| r.strip_prefix('\n'))
            .ok_or_else(|| bad(format!("first line must be `{STATE_HEADER}`")))?;
        let (vkey_line, rest) = rest.split_once('\n').unwrap_or((rest, ""));
        let vkey =
            vkey_line.strip_prefix("vkey ").ok_or_else(|| bad("second line must be `vkey <vkey>`".into()))?;
        let key = NoteVerifier::from_vkey(vkey).map_err(|e| bad(e.to_string()))?;
        let last = if rest.is_empty() {
            None
        } else {
            let note = rest
                .strip_prefix('\n')
                .ok_or_else(|| bad("expected a blank line before the checkpoint".into()))?;
            Some(
                open_checkpoint(note.as_bytes(), &key)
                    .map_err(|e| bad(format!("stored checkpoint does not verify: {e}")))?,
            )
        };
        Ok(Self { key, last })
    }

    /// The size of the last checkpoint seen (0 before the first).
    #[must_use]
    pub fn size(&self) -> u64 {
        self.last.as_ref().map_or(0, |l| l.checkpoint.size)
    }
}

/// The outcome of one [`step`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// The state to keep: the new checkpoint when it verified.
    pub state: MonitorState,
    /// Size before this step.
    pub old_size: u64,
    /// Size after it.
    pub new_size: u64,
}

/// A complete subtree: `2^height` leaves starting at leaf `index << height`.
#[derive(Clone, Copy, Debug)]
struct Node {
    height: u8,
    index: u64,
    hash: Hash,
}

fn fold_root(frontier: &[Node]) -> Hash {
    let mut it = frontier.iter().rev();
    let Some(last) = it.next() else { return Hash::empty_tree() };
    it.fold(last.hash, |acc, n| merkle::node_hash(&n.hash, &acc))
}

/// Compares recomputed subtree hashes with the hash tiles of a tree of `size`, reading each
/// tile once.
struct TileCheck<'a> {
    reader: TileReader<'a>,
    size: u64,
    current: HashMap<u8, (TileId, Vec<Hash>)>,
}

impl TileCheck<'_> {
    fn check(&mut self, node: &Node) -> Result<(), MonitorError> {
        if !node.height.is_multiple_of(TILE_HEIGHT) {
            return Ok(());
        }
        let level = node.height / TILE_HEIGHT;
        let id = tile::tile_for(level, node.index, self.size);
        if self.current.get(&level).is_none_or(|(have, _)| *have != id) {
            let hashes = self.reader.tile(id).map_err(MonitorError::from_read)?;
            self.current.insert(level, (id, hashes));
        }
        // `node.index` lies in tile `id` by construction of `tile_for`, and the tile decoded
        // to exactly `id.width` hashes; a miss would still be reported, not panic.
        let stored = self
            .current
            .get(&level)
            .and_then(|(_, h)| h.get(usize::try_from(node.index - id.index * TILE_WIDTH).ok()?))
            .copied()
            .ok_or_else(|| MonitorError::Invalid(format!("hash tile `{}` is too short", id.path())))?;
        if stored != node.hash {
            let what = if level == 0 {
                format!("leaf index {}", node.index)
            } else {
                format!("hash {} of level {level}", node.index)
            };
            return Err(MonitorError::Invalid(format!(
                "hash tile `{}` is wrong at {what}: served `{stored}`, entries give `{}`",
                id.path(),
                node.hash
            )));
        }
        Ok(())
    }
}

/// Reads the log's checkpoint and checks it against `state` (see the module docs); returns the
/// new state when everything verified.
///
/// # Errors
/// [`MonitorError::Fork`] for a rollback, a second root at one size or an inconsistent
/// checkpoint; [`MonitorError::Missing`] naming the absent checkpoint, tile or bundle;
/// [`MonitorError::Invalid`] for a bad signature, malformed file or wrong tile;
/// [`MonitorError::Fetch`] when the log could not be read.
pub fn step(state: &MonitorState, store: &dyn LogStore) -> Result<Step, MonitorError> {
    let bytes = store
        .read(CHECKPOINT_PATH)
        .map_err(MonitorError::from_read)?
        .ok_or_else(|| MonitorError::Missing(format!("`{CHECKPOINT_PATH}`")))?;
    let signed =
        open_checkpoint(&bytes, &state.key).map_err(|e| MonitorError::Invalid(format!("checkpoint: {e}")))?;
    let new = &signed.checkpoint;
    let old_size = state.size();
    let old_root = state.last.as_ref().map_or_else(Hash::empty_tree, |l| l.checkpoint.root);
    let done = |signed: SignedCheckpoint| Step {
        state: MonitorState { key: state.key.clone(), last: Some(signed) },
        old_size,
        new_size: new.size,
    };
    if new.size < old_size {
        return Err(MonitorError::Fork(format!(
            "the log went back from size {old_size} (root `{old_root}`) to size {} (root `{}`)",
            new.size, new.root
        )));
    }
    if new.size == old_size {
        if new.root != old_root {
            return Err(MonitorError::Fork(format!(
                "two roots for size {old_size}: `{old_root}` seen before, `{}` now",
                new.root
            )));
        }
        return Ok(done(signed.clone()));
    }
    let reader = TileReader::new(store, new.size);
    if old_size > 0 {
        let proof =
            merkle::prove_consistency(&reader, old_size, new.size).map_err(MonitorError::from_read)?;
        merkle::verify_consistency(old_size, new.size, &old_root, &new.root, &proof).map_err(|e| {
            MonitorError::Fork(format!(
                "checkpoint at size {} (root `{}`) is not consistent with size {old_size} (root `{old_root}`) seen before: {e}",
                new.size, new.root
            ))
        })?;
    }
    let mut frontier = old_frontier(&reader, old_size)?;
    if fold_root(&frontier) != old_root {
        return Err(MonitorError::Invalid(format!(
            "hash tiles for the first {old_size} leaves give root `{}`, not the root `{old_root}` signed at that size",
            fold_root(&frontier)
        )));
    }
    let mut tiles =
        TileCheck { reader: TileReader::new(store, new.size), size: new.size, current: HashMap::new() };
    append_new_entries(store, new, old_size, &mut frontier, &mut tiles)?;
    let root = fold_root(&frontier);
    if root != new.root {
        return Err(MonitorError::Invalid(format!(
            "entries 0 to {} re-hash to root `{root}` but the checkpoint signs `{}`",
            new.size - 1,
            new.root
        )));
    }
    Ok(done(signed.clone()))
}

/// The complete subtrees covering leaves `[0, size)`, largest first, read from the tiles.
fn old_frontier(reader: &TileReader<'_>, size: u64) -> Result<Vec<Node>, MonitorError> {
    let mut out = Vec::new();
    let mut start = 0u64;
    for height in (0..64u8).rev() {
        if size & (1u64 << height) != 0 {
            let index = start >> height;
            let hash = reader.subtree(height, index).map_err(MonitorError::from_read)?;
            out.push(Node { height, index, hash });
            start += 1u64 << height;
        }
    }
    Ok(out)
}

fn append_new_entries(
    store: &dyn LogStore,
    new: &Checkpoint,
    old_size: u64,
    frontier: &mut Vec<Node>,
    tiles: &mut TileCheck<'_>,
) -> Result<(), MonitorError> {
    for t in old_size / TILE_WIDTH..new.size.div_ceil(TILE_WIDTH) {
        let first = t * TILE_WIDTH;
        // at most 256, so the cast is exact
        let width = (new.size - first).min(TILE_WIDTH) as u16;
        let id = TileId { level: 0, index: t, width };
        let path = id.entries_path();
        let bytes = crate::log::read_tile(store, id, true).map_err(MonitorError::from_read)?;
        let entries = tile::decode_bundle(&bytes)
            .map_err(|e| MonitorError::Invalid(format!("entry bundle `{path}`: {e}")))?;
        if entries.len() != usize::from(width) {
            return Err(MonitorError::Invalid(format!(
                "entry bundle `{path}` holds {} entries; expected {width} (leaves {first} to {})",
                entries.len(),
                first + u64::from(width) - 1
            )));
        }
        for (i, entry) in (first..).zip(&entries) {
            if i < old_size {
                continue;
            }
            let mut node = Node { height: 0, index: i, hash: merkle::leaf_hash(entry) };
            tiles.check(&node)?;
            // Merge equal-height subtrees, checking each completed tile-level hash.
            while let Some(left) = frontier.last().copied().filter(|l| l.height == node.height) {
                frontier.pop();
                node = Node {
                    height: node.height + 1,
                    index: left.index / 2,
                    hash: merkle::node_hash(&left.hash, &node.hash),
                };
                tiles.check(&node)?;
            }
            frontier.push(node);
        }
    }
    Ok(())
}
