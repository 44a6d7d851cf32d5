//! RFC 6962 / RFC 9162 Merkle tree hashing and proofs over SHA-256.
//!
//! Leaves hash as `SHA-256(0x00 || entry)`, interior nodes as `SHA-256(0x01 || left || right)`.
//! Proof generation reads complete-subtree hashes through [`HashReader`], so the same code
//! serves an in-memory slice of leaf hashes and a tile store. Verification is pure and follows
//! RFC 9162 §2.1.3.2 (inclusion) and §2.1.4.2 (consistency).

use sha2::{Digest, Sha256};

use crate::LedgerError;

/// Lower-case hexadecimal form of 32 bytes (a hash or a key). Every logged decision needs
/// several of these, and this is several times faster than formatting byte by byte.
#[must_use]
pub fn hex32(bytes: &[u8; 32]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = vec![0u8; 64];
    for (pair, b) in out.chunks_exact_mut(2).zip(bytes) {
        pair[0] = DIGITS[usize::from(b >> 4)];
        pair[1] = DIGITS[usize::from(b & 0x0f)];
    }
    // Hex digits are ASCII, so this cannot fail.
    String::from_utf8(out).unwrap_or_default()
}

/// A SHA-256 Merkle hash.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Hash(pub [u8; 32]);

impl Hash {
    /// The hash of an empty tree: `SHA-256("")`.
    #[must_use]
    pub fn empty_tree() -> Self {
        Hash(Sha256::digest([]).into())
    }

    /// Lower-case hexadecimal form.
    #[must_use]
    pub fn to_hex(&self) -> String {
        hex32(&self.0)
    }

    /// Parses 64 hexadecimal characters.
    ///
    /// # Errors
    /// [`LedgerError::Malformed`] when the text is not 64 hex digits.
    pub fn from_hex(text: &str) -> Result<Self, LedgerError> {
        let bytes = text.as_bytes();
        if bytes.len() != 64 {
            return Err(LedgerError::Malformed(format!(
                "hash `{text}` has {} characters; expected 64 hex digits",
                bytes.len()
            )));
        }
        let mut out = [0u8; 32];
        for (i, pair) in bytes.chunks(2).enumerate() {
            let s = std::str::from_utf8(pair).ok();
            let v = s.and_then(|s| u8::from_str_radix(s, 16).ok()).ok_or_else(|| {
                LedgerError::Malformed(format!("hash `{text}` has a non-hex digit at byte {}", i * 2))
            })?;
            out[i] = v;
        }
        Ok(Hash(out))
    }
}

impl std::fmt::Debug for Hash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Hash({})", self.to_hex())
    }
}

impl std::fmt::Display for Hash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// `SHA-256(0x00 || entry)`.
#[must_use]
pub fn leaf_hash(entry: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(entry);
    Hash(h.finalize().into())
}

/// `SHA-256(0x01 || left || right)`.
#[must_use]
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left.0);
    h.update(right.0);
    Hash(h.finalize().into())
}

/// Source of complete-subtree hashes: the hash at `level` (0 = leaf hashes) and index `n`
/// covers leaves `[n * 2^level, (n + 1) * 2^level)`.
pub trait HashReader {
    /// Returns the hash of the complete subtree, or an error if storage lacks it.
    ///
    /// # Errors
    /// Any storage error; [`LedgerError::Missing`] when the hash is not stored.
    fn subtree(&self, level: u8, n: u64) -> Result<Hash, LedgerError>;
}

/// Leaf hashes held in memory; higher levels are computed on demand.
impl HashReader for [Hash] {
    fn subtree(&self, level: u8, n: u64) -> Result<Hash, LedgerError> {
        let width = 1u64 << level;
        let lo = n.checked_mul(width).ok_or(LedgerError::Missing(format!("subtree {level}/{n}")))?;
        let hi = lo + width;
        if hi > self.len() as u64 {
            return Err(LedgerError::Missing(format!(
                "subtree at level {level} index {n} needs leaves up to {hi}, have {}",
                self.len()
            )));
        }
        // Bounds checked just above.
        let slice = &self[lo as usize..hi as usize];
        Ok(root_of_slice(slice))
    }
}

/// The Merkle tree hash (MTH) of a slice of leaf hashes.
#[must_use]
pub fn root_of_slice(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => Hash::empty_tree(),
        1 => leaves[0],
        n => {
            let k = split_point(n as u64) as usize;
            node_hash(&root_of_slice(&leaves[..k]), &root_of_slice(&leaves[k..]))
        }
    }
}

/// Largest power of two strictly less than `n` (n >= 2).
fn split_point(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1u64 << (63 - (n - 1).leading_zeros())
}

/// The hash of leaves `[lo, hi)` where `lo` is aligned so that RFC 6962 decomposition applies
/// (every range reached from a root recursion qualifies).
fn range_hash<R: HashReader + ?Sized>(r: &R, lo: u64, hi: u64) -> Result<Hash, LedgerError> {
    let n = hi - lo;
    if n == 0 {
        return Ok(Hash::empty_tree());
    }
    if n.is_power_of_two() && lo.is_multiple_of(n) {
        let level = n.trailing_zeros() as u8;
        return r.subtree(level, lo >> level);
    }
    let k = split_point(n);
    let left = range_hash(r, lo, lo + k)?;
    let right = range_hash(r, lo + k, hi)?;
    Ok(node_hash(&left, &right))
}

/// Root hash of the first `size` leaves.
///
/// # Errors
/// Storage errors from the reader.
pub fn tree_root<R: HashReader + ?Sized>(r: &R, size: u64) -> Result<Hash, LedgerError> {
    range_hash(r, 0, size)
}

/// Inclusion proof (RFC 9162 PATH) for leaf `index` in a tree of `size` leaves.
///
/// # Errors
/// [`LedgerError::Proof`] when `index >= size`; storage errors from the reader.
pub fn prove_inclusion<R: HashReader + ?Sized>(
    r: &R,
    index: u64,
    size: u64,
) -> Result<Vec<Hash>, LedgerError> {
    if index >= size {
        return Err(LedgerError::Proof(format!(
            "leaf index `{index}` is not in a tree of size `{size}`; ask for a larger tree size"
        )));
    }
    let mut out = Vec::new();
    path(r, index, 0, size, &mut out)?;
    Ok(out)
}

fn path<R: HashReader + ?Sized>(
    r: &R,
    m: u64,
    lo: u64,
    hi: u64,
    out: &mut Vec<Hash>,
) -> Result<(), LedgerError> {
    let n = hi - lo;
    if n <= 1 {
        return Ok(());
    }
    let k = split_point(n);
    if m < k {
        path(r, m, lo, lo + k, out)?;
        out.push(range_hash(r, lo + k, hi)?);
    } else {
        path(r, m - k, lo + k, hi, out)?;
        out.push(range_hash(r, lo, lo + k)?);
    }
    Ok(())
}

/// Consistency proof (RFC 9162 PROOF) between tree sizes `old` and `new`.
///
/// # Errors
/// [`LedgerError::Proof`] when `old > new`; storage errors from the reader.
pub fn prove_consistency<R: HashReader + ?Sized>(
    r: &R,
    old: u64,
    new: u64,
) -> Result<Vec<Hash>, LedgerError> {
    if old > new {
        return Err(LedgerError::Proof(format!(
            "old size `{old}` is larger than new size `{new}`; swap them"
        )));
    }
    let mut out = Vec::new();
    if old == 0 || old == new {
        return Ok(out);
    }
    subproof(r, old, 0, new, true, &mut out)?;
    Ok(out)
}

fn subproof<R: HashReader + ?Sized>(
    r: &R,
    m: u64,
    lo: u64,
    hi: u64,
    complete: bool,
    out: &mut Vec<Hash>,
) -> Result<(), LedgerError> {
    let n = hi - lo;
    if m == n {
        if !complete {
            out.push(range_hash(r, lo, hi)?);
        }
        return Ok(());
    }
    let k = split_point(n);
    if m <= k {
        subproof(r, m, lo, lo + k, complete, out)?;
        out.push(range_hash(r, lo + k, hi)?);
    } else {
        subproof(r, m - k, lo + k, hi, false, out)?;
        out.push(range_hash(r, lo, lo + k)?);
    }
    Ok(())
}

/// Verifies an inclusion proof (RFC 9162 §2.1.3.2).
///
/// # Errors
/// [`LedgerError::Proof`] naming what did not match.
pub fn verify_inclusion(
    leaf: &Hash,
    index: u64,
    size: u64,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), LedgerError> {
    if index >= size {
        return Err(LedgerError::Proof(format!("leaf index `{index}` is not below tree size `{size}`")));
    }
    let mut f_n = index;
    let mut s_n = size - 1;
    let mut r = *leaf;
    for p in proof {
        if s_n == 0 {
            return Err(LedgerError::Proof(format!(
                "inclusion proof for leaf `{index}` in size `{size}` has too many hashes ({})",
                proof.len()
            )));
        }
        if f_n & 1 == 1 || f_n == s_n {
            r = node_hash(p, &r);
            if f_n & 1 == 0 {
                while f_n & 1 == 0 && f_n != 0 {
                    f_n >>= 1;
                    s_n >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        f_n >>= 1;
        s_n >>= 1;
    }
    if s_n != 0 {
        return Err(LedgerError::Proof(format!(
            "inclusion proof for leaf `{index}` in size `{size}` has too few hashes ({})",
            proof.len()
        )));
    }
    if &r != root {
        return Err(LedgerError::Proof(format!(
            "inclusion proof for leaf `{index}` in size `{size}` gives root `{r}`, expected `{root}`"
        )));
    }
    Ok(())
}

/// Verifies a consistency proof (RFC 9162 §2.1.4.2).
///
/// # Errors
/// [`LedgerError::Proof`] naming what did not match.
pub fn verify_consistency(
    old: u64,
    new: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> Result<(), LedgerError> {
    let fail =
        |why: &str| Err(LedgerError::Proof(format!("consistency proof from size `{old}` to `{new}`: {why}")));
    if old > new {
        return fail("old size is larger than new size");
    }
    if old == new {
        if !proof.is_empty() {
            return fail("equal sizes need an empty proof");
        }
        if old_root != new_root {
            return fail("equal sizes but different roots");
        }
        return Ok(());
    }
    if old == 0 {
        if !proof.is_empty() {
            return fail("an empty old tree needs an empty proof");
        }
        return Ok(());
    }
    if proof.is_empty() {
        return fail("proof is empty");
    }
    let mut path: Vec<Hash> = proof.to_vec();
    if old.is_power_of_two() {
        path.insert(0, *old_root);
    }
    let mut f_n = old - 1;
    let mut s_n = new - 1;
    while f_n & 1 == 1 {
        f_n >>= 1;
        s_n >>= 1;
    }
    let mut fr = path[0];
    let mut sr = path[0];
    for c in &path[1..] {
        if s_n == 0 {
            return fail("too many hashes");
        }
        if f_n & 1 == 1 || f_n == s_n {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            if f_n & 1 == 0 {
                while f_n & 1 == 0 && f_n != 0 {
                    f_n >>= 1;
                    s_n >>= 1;
                }
            }
        } else {
            sr = node_hash(&sr, c);
        }
        f_n >>= 1;
        s_n >>= 1;
    }
    if s_n != 0 {
        return fail("too few hashes");
    }
    if &fr != old_root {
        return fail(&format!("old root computes to `{fr}`, expected `{old_root}`"));
    }
    if &sr != new_root {
        return fail(&format!("new root computes to `{sr}`, expected `{new_root}`"));
    }
    Ok(())
}
