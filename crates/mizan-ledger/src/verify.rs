//! Verifies a whole log from scratch: every entry bundle is re-hashed, every hash tile is
//! recomputed and compared byte for byte, and the root must match the signed checkpoint.
//!
//! Trusts nothing but the log's verifier key; reads through [`LogStore`] so the CLI can point
//! it at a directory and tests at memory.

use crate::LedgerError;
use crate::checkpoint::{Checkpoint, open_checkpoint};
use crate::log::decode_tile;
use crate::merkle::{self, Hash};
use crate::note::NoteVerifier;
use crate::store::{CHECKPOINT_PATH, LogStore};
use crate::tile::{self, TILE_WIDTH, TileId};

/// Verifies the published checkpoint and every tile and bundle under it.
///
/// # Errors
/// The first problem found, naming the tile path or leaf index that is wrong.
pub fn verify_log(store: &dyn LogStore, log_key: &NoteVerifier) -> Result<Checkpoint, LedgerError> {
    let bytes = store
        .read(CHECKPOINT_PATH)?
        .ok_or_else(|| LedgerError::Missing(format!("`{CHECKPOINT_PATH}` file; is this a log directory?")))?;
    let cp = open_checkpoint(&bytes, log_key)?.checkpoint;
    let size = cp.size;
    let mut level_hashes: Vec<Hash> = Vec::new();
    let mut index = 0u64;
    while index * TILE_WIDTH < size {
        let width = (size - index * TILE_WIDTH).min(TILE_WIDTH);
        // width <= 256
        let id = TileId { level: 0, index, width: width as u16 };
        let path = id.entries_path();
        let b = store.read(&path)?.ok_or_else(|| LedgerError::Missing(format!("entry bundle `{path}`")))?;
        let entries =
            tile::decode_bundle(&b).map_err(|e| LedgerError::Malformed(format!("`{path}`: {e}")))?;
        if entries.len() as u64 != width {
            return Err(LedgerError::Malformed(format!(
                "entry bundle `{path}` holds {} entries; expected {width} (leaves {} to {})",
                entries.len(),
                index * TILE_WIDTH,
                index * TILE_WIDTH + width - 1
            )));
        }
        level_hashes.extend(entries.iter().map(|e| merkle::leaf_hash(e)));
        index += 1;
    }
    // Check every hash tile level by level, carrying full-tile roots upward.
    let mut level = 0u8;
    let mut hashes = level_hashes.clone();
    while !hashes.is_empty() {
        let mut up = Vec::new();
        for (i, chunk) in hashes.chunks(256).enumerate() {
            // chunk.len() <= 256
            let id = TileId { level, index: i as u64, width: chunk.len() as u16 };
            let path = id.path();
            let b = store.read(&path)?.ok_or_else(|| LedgerError::Missing(format!("hash tile `{path}`")))?;
            let stored = decode_tile(&path, &b, id.width)?;
            if let Some(j) = stored.iter().zip(chunk).position(|(a, b)| a != b) {
                let first = (i as u64) * TILE_WIDTH + j as u64;
                let what = if level == 0 {
                    format!("leaf index {first}")
                } else {
                    format!("hash {first} of level {level}")
                };
                return Err(LedgerError::Inconsistent(format!(
                    "hash tile `{path}` is wrong at {what}: stored `{}`, recomputed `{}`",
                    stored[j], chunk[j]
                )));
            }
            if chunk.len() as u64 == TILE_WIDTH {
                up.push(merkle::root_of_slice(chunk));
            }
        }
        hashes = up;
        level += 1;
    }
    let root = merkle::tree_root(&level_hashes[..], size)?;
    if root != cp.root {
        return Err(LedgerError::Inconsistent(format!(
            "entries give root `{root}` at size `{size}` but the signed checkpoint says `{}`",
            cp.root
        )));
    }
    Ok(cp)
}
