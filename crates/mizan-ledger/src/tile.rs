//! C2SP tlog-tiles layout: hash-tile and entry-bundle paths, tile coordinates, and the
//! uint16-length-prefixed entry bundle encoding.
//!
//! Tiles have height 8 (256 hashes). A tile at level `L` and index `N` holds Merkle hashes of
//! level `8 * L`, indices `N * 256 ..`; a partial tile of width `W < 256` has path suffix `.p/W`.

use crate::LedgerError;

/// Hashes per full tile (tile height 8).
pub const TILE_WIDTH: u64 = 256;
/// Merkle levels spanned by one tile level.
pub const TILE_HEIGHT: u8 = 8;

/// One tile: level (tile level, not Merkle level), index and width (1..=256).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TileId {
    /// Tile level `L`; level 0 holds leaf hashes.
    pub level: u8,
    /// Tile index `N` within the level.
    pub index: u64,
    /// Number of hashes (or entries) in the tile, 1 to 256.
    pub width: u16,
}

impl TileId {
    /// Path of this hash tile, relative to the log prefix: `tile/<L>/<N>[.p/<W>]`.
    #[must_use]
    pub fn path(&self) -> String {
        format!("tile/{}/{}", self.level, encode_index(self.index, self.width))
    }

    /// Path of the entry bundle with this index and width: `tile/entries/<N>[.p/<W>]`.
    #[must_use]
    pub fn entries_path(&self) -> String {
        format!("tile/entries/{}", encode_index(self.index, self.width))
    }

    /// Whether the tile is full (256 wide).
    #[must_use]
    pub fn is_full(&self) -> bool {
        u64::from(self.width) == TILE_WIDTH
    }
}

/// What a path under a tlog-tiles log prefix names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TilePath {
    /// `checkpoint`.
    Checkpoint,
    /// `tile/<L>/<N>[.p/<W>]`.
    Hash(TileId),
    /// `tile/entries/<N>[.p/<W>]` (the id's level is 0).
    Entries(TileId),
}

/// Highest tile level the spec allows (`<L>` is 0 to 63).
pub const MAX_TILE_LEVEL: u8 = 63;

impl TilePath {
    /// Parses a path relative to the log prefix, accepting only the one canonical spelling
    /// the spec allows: `<L>` in 0..=63 and `<W>` in 1..=255 without leading zeros, `<N>` in
    /// zero-padded 3-digit groups with every group but the last prefixed by `x` and no
    /// redundant leading group. A server can map any request path through this and serve
    /// `404` on error, never touching storage with an unchecked path.
    ///
    /// # Errors
    /// [`LedgerError::Malformed`] naming the path.
    pub fn parse(path: &str) -> Result<Self, LedgerError> {
        let bad = || LedgerError::Malformed(format!("`{path}` is not a tlog-tiles path"));
        if path == "checkpoint" {
            return Ok(Self::Checkpoint);
        }
        // The longest valid path is well under 100 bytes; refuse to work on anything larger.
        if path.len() > 100 {
            return Err(bad());
        }
        let rest = path.strip_prefix("tile/").ok_or_else(bad)?;
        let (level, rest) = rest.split_once('/').ok_or_else(bad)?;
        let (index_part, width) = match rest.split_once(".p/") {
            Some((n, w)) => {
                let w = decimal(w).filter(|w| (1..TILE_WIDTH).contains(w)).ok_or_else(bad)?;
                // 1 <= w < 256
                (n, w as u16)
            }
            None => (rest, 256),
        };
        let mut index = 0u64;
        let groups: Vec<&str> = index_part.split('/').collect();
        for (i, g) in groups.iter().enumerate() {
            let digits = if i + 1 < groups.len() { g.strip_prefix('x').ok_or_else(bad)? } else { g };
            if digits.len() != 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            let v: u64 = digits.parse().map_err(|_| bad())?;
            index = index.checked_mul(1000).and_then(|x| x.checked_add(v)).ok_or_else(bad)?;
        }
        let parsed = if level == "entries" {
            Self::Entries(TileId { level: 0, index, width })
        } else {
            let l = decimal(level).filter(|l| *l <= u64::from(MAX_TILE_LEVEL)).ok_or_else(bad)?;
            // l <= 63
            Self::Hash(TileId { level: l as u8, index, width })
        };
        // Reject non-canonical spellings such as `x000/001` by re-encoding.
        if parsed.path() != path {
            return Err(bad());
        }
        Ok(parsed)
    }

    /// The canonical path.
    #[must_use]
    pub fn path(&self) -> String {
        match self {
            Self::Checkpoint => "checkpoint".to_owned(),
            Self::Hash(id) => id.path(),
            Self::Entries(id) => id.entries_path(),
        }
    }
}

/// A decimal ASCII integer without leading zeros (`0` itself allowed), as every C2SP tlog
/// format spells sizes, indices, levels and widths.
pub(crate) fn decimal(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || (s.len() > 1 && s.starts_with('0')) {
        return None;
    }
    s.parse().ok()
}

/// Encodes `N` in 3-digit groups, every group but the last prefixed with `x`, and appends
/// `.p/<W>` for a partial width.
fn encode_index(n: u64, width: u16) -> String {
    let mut groups = Vec::new();
    let mut rest = n;
    loop {
        groups.push(rest % 1000);
        rest /= 1000;
        if rest == 0 {
            break;
        }
    }
    let mut s = String::new();
    for (i, g) in groups.iter().rev().enumerate() {
        if i + 1 < groups.len() {
            s.push_str(&format!("x{g:03}/"));
        } else {
            s.push_str(&format!("{g:03}"));
        }
    }
    if u64::from(width) < TILE_WIDTH {
        s.push_str(&format!(".p/{width}"));
    }
    s
}

/// Every tile (hash tiles at all levels) that exists for a tree of `size` leaves, in
/// bottom-up order; level 0 tiles double as entry-bundle coordinates.
#[must_use]
pub fn tiles_for_size(size: u64) -> Vec<TileId> {
    let mut out = Vec::new();
    let mut level = 0u8;
    let mut count = size; // hashes at Merkle level 8 * level
    while count > 0 {
        let full = count / TILE_WIDTH;
        for index in 0..full {
            out.push(TileId { level, index, width: 256 });
        }
        let rem = count % TILE_WIDTH;
        if rem > 0 {
            // rem < 256 so the cast is exact
            out.push(TileId { level, index: full, width: rem as u16 });
        }
        count = full;
        level += 1;
    }
    out
}

/// The tile at `level` that holds hash index `n` of Merkle level `8 * level`, in a tree of `size`.
#[must_use]
pub fn tile_for(level: u8, n: u64, size: u64) -> TileId {
    let count = size >> (u32::from(level) * u32::from(TILE_HEIGHT));
    let index = n / TILE_WIDTH;
    let width = (count - index * TILE_WIDTH).min(TILE_WIDTH);
    // width <= 256
    TileId { level, index, width: width as u16 }
}

/// Encodes entries as a bundle: each entry prefixed with its big-endian uint16 length.
///
/// # Errors
/// [`LedgerError::Malformed`] when an entry is longer than 65535 bytes.
pub fn encode_bundle<E: AsRef<[u8]>>(entries: &[E]) -> Result<Vec<u8>, LedgerError> {
    let mut out = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        let e = e.as_ref();
        let len = u16::try_from(e.len()).map_err(|_| {
            LedgerError::Malformed(format!(
                "entry {i} of the bundle is {} bytes; entries are at most 65535 bytes",
                e.len()
            ))
        })?;
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(e);
    }
    Ok(out)
}

/// Decodes a bundle into its entries.
///
/// # Errors
/// [`LedgerError::Malformed`] naming the byte offset where the bundle is truncated.
pub fn decode_bundle(bytes: &[u8]) -> Result<Vec<Vec<u8>>, LedgerError> {
    let mut out = Vec::new();
    let mut at = 0usize;
    while at < bytes.len() {
        let Some(lb) = bytes.get(at..at + 2) else {
            return Err(LedgerError::Malformed(format!(
                "entry bundle truncated at byte {at}: a length prefix needs 2 bytes"
            )));
        };
        let len = usize::from(u16::from_be_bytes([lb[0], lb[1]]));
        let Some(e) = bytes.get(at + 2..at + 2 + len) else {
            return Err(LedgerError::Malformed(format!(
                "entry bundle truncated at byte {at}: entry {} claims {len} bytes, {} remain",
                out.len(),
                bytes.len() - at - 2
            )));
        };
        out.push(e.to_vec());
        at += 2 + len;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_example_paths() {
        let t = TileId { level: 0, index: 1_234_067, width: 256 };
        assert_eq!(t.path(), "tile/0/x001/x234/067");
        let t = TileId { level: 1, index: 1_234_067, width: 8 };
        assert_eq!(t.path(), "tile/1/x001/x234/067.p/8");
        assert_eq!(t.entries_path(), "tile/entries/x001/x234/067.p/8");
        let t = TileId { level: 2, index: 0, width: 1 };
        assert_eq!(t.path(), "tile/2/000.p/1");
        let t = TileId { level: 0, index: 1000, width: 256 };
        assert_eq!(t.path(), "tile/0/x001/000");
    }

    #[test]
    fn tiles_at_sizes() {
        assert!(tiles_for_size(0).is_empty());
        assert_eq!(tiles_for_size(1), vec![TileId { level: 0, index: 0, width: 1 }]);
        assert_eq!(
            tiles_for_size(256),
            vec![TileId { level: 0, index: 0, width: 256 }, TileId { level: 1, index: 0, width: 1 }]
        );
        let t = tiles_for_size(70_000);
        // 273 full level-0 tiles + 1 partial (112), level 1: 273 hashes -> 1 full + 17
        assert_eq!(t.iter().filter(|t| t.level == 0).count(), 274);
        assert_eq!(t.last(), Some(&TileId { level: 2, index: 0, width: 1 }));
        assert!(t.contains(&TileId { level: 0, index: 273, width: 112 }));
        assert!(t.contains(&TileId { level: 1, index: 1, width: 17 }));
        assert_eq!(tile_for(0, 70_000 - 1, 70_000), TileId { level: 0, index: 273, width: 112 });
        assert_eq!(tile_for(1, 5, 70_000), TileId { level: 1, index: 0, width: 256 });
    }

    #[test]
    fn bundles_round_trip_and_reject_truncation() {
        let entries = vec![b"".to_vec(), b"abc".to_vec(), vec![7u8; 300]];
        let b = encode_bundle(&entries).unwrap();
        assert_eq!(&b[..5], &[0, 0, 0, 3, b'a']);
        assert_eq!(decode_bundle(&b).unwrap(), entries);
        assert!(decode_bundle(&b[..b.len() - 1]).unwrap_err().to_string().contains("truncated"));
        assert!(decode_bundle(&[0]).is_err());
        assert!(encode_bundle(&[vec![0u8; 70_000]]).is_err());
    }
}
