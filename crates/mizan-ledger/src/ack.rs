//! Signed acknowledgements for a whole batch of entries: one signature, many receipts.
//!
//! A receipt must be signed the moment an entry is durable, before any checkpoint covers it,
//! so that a log which later leaves the entry out can be caught with the log's own signature.
//! Signing each entry costs an Ed25519 signature apiece, which at tens of thousands of entries
//! a second is most of a core. Instead the log signs one note per batch, committing to the
//! RFC 6962 Merkle tree of the batch's leaf hashes, which occupy the contiguous indices
//! `[first, first + count)`; each receipt carries the note and its leaf's inclusion proof in
//! that small tree. The note is checkable against the log itself: the batch root is the Merkle
//! tree hash of the log's leaves in that range.
//!
//! The note text is:
//!
//! ```text
//! mizan decision acknowledgement v2
//! log <origin>
//! leaves <first> <count>
//! root <base64 batch root>
//! logged <RFC 3339 time>
//! ```

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;

use crate::LedgerError;
use crate::merkle::{Hash, node_hash, verify_inclusion};
use crate::note::{Note, NoteSigner, NoteVerifier};

/// First line of an acknowledgement note.
pub const ACK_HEADER: &str = "mizan decision acknowledgement v2";

/// The Merkle tree of one batch's leaf hashes, every level kept, so that each of the `n`
/// inclusion proofs costs `log n` lookups rather than a rebuild.
#[derive(Clone, Debug)]
pub struct BatchTree {
    /// `levels[0]` are the leaf hashes; each next level pairs the one below, carrying a
    /// trailing odd node up unchanged (which is exactly RFC 6962's split at the largest power
    /// of two).
    levels: Vec<Vec<Hash>>,
}

impl BatchTree {
    /// Builds the tree over `leaves` (leaf hashes, in index order).
    ///
    /// # Errors
    /// [`LedgerError::Malformed`] for an empty batch.
    pub fn new(leaves: Vec<Hash>) -> Result<Self, LedgerError> {
        if leaves.is_empty() {
            return Err(LedgerError::Malformed("an acknowledgement needs at least one leaf".into()));
        }
        let mut levels = vec![leaves];
        while let Some(below) = levels.last().filter(|l| l.len() > 1) {
            let next = below
                .chunks(2)
                .map(|pair| match pair {
                    [l, r] => node_hash(l, r),
                    // A trailing odd node (chunks of two end in at most one).
                    _ => pair[0],
                })
                .collect();
            levels.push(next);
        }
        Ok(Self { levels })
    }

    /// Number of leaves.
    #[must_use]
    pub fn len(&self) -> usize {
        self.levels[0].len()
    }

    /// Always false: a batch has at least one leaf.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The batch root.
    #[must_use]
    pub fn root(&self) -> Hash {
        self.levels.last().map_or_else(Hash::empty_tree, |top| top[0])
    }

    /// The inclusion proof of leaf `i` (0-based within the batch), leaf to root.
    ///
    /// # Errors
    /// [`LedgerError::Proof`] when `i` is outside the batch.
    pub fn proof(&self, i: usize) -> Result<Vec<Hash>, LedgerError> {
        if i >= self.len() {
            return Err(LedgerError::Proof(format!("leaf `{i}` is not in a batch of {}", self.len())));
        }
        let mut out = Vec::with_capacity(self.levels.len());
        let mut at = i;
        for level in &self.levels[..self.levels.len() - 1] {
            let sibling = at ^ 1;
            if sibling < level.len() {
                out.push(level[sibling]);
            }
            at /= 2;
        }
        Ok(out)
    }
}

/// What an acknowledgement note says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Acknowledgement {
    /// The log's origin.
    pub origin: String,
    /// Index of the batch's first entry.
    pub first: u64,
    /// Entries in the batch.
    pub count: u64,
    /// Merkle tree hash of the batch's leaf hashes.
    pub root: Hash,
    /// When the batch was acknowledged (RFC 3339).
    pub logged: String,
}

impl Acknowledgement {
    /// The note text.
    #[must_use]
    pub fn text(&self) -> String {
        format!(
            "{ACK_HEADER}\nlog {}\nleaves {} {}\nroot {}\nlogged {}\n",
            self.origin,
            self.first,
            self.count,
            B64.encode(self.root.0),
            self.logged
        )
    }

    /// Signs the acknowledgement with the log key (whose name must be the origin).
    ///
    /// # Errors
    /// [`LedgerError::Malformed`] when a field would break the note format.
    pub fn sign(&self, signer: &NoteSigner) -> Result<String, LedgerError> {
        if signer.name() != self.origin {
            return Err(LedgerError::Malformed(format!(
                "acknowledgement for log `{}` cannot be signed by key `{}`",
                self.origin,
                signer.name()
            )));
        }
        if self.logged.contains(['\n', ' ']) || self.count == 0 {
            return Err(LedgerError::Malformed("acknowledgement time or count is malformed".into()));
        }
        signer.sign(&self.text())
    }

    /// Parses a signed acknowledgement and checks its signature by `log`.
    ///
    /// # Errors
    /// [`LedgerError::Signature`] for a missing or bad signature; [`LedgerError::Malformed`]
    /// naming the line that does not follow the format.
    pub fn verify(note: &[u8], log: &NoteVerifier) -> Result<Self, LedgerError> {
        let parsed = Note::parse(note)?;
        parsed.verify(log)?;
        let lines: Vec<&str> = parsed.text.trim_end_matches('\n').split('\n').collect();
        let bad = |n: usize, want: &str| {
            LedgerError::Malformed(format!(
                "acknowledgement line {}: expected `{want}`, found `{}`",
                n + 1,
                lines.get(n).copied().unwrap_or("")
            ))
        };
        if lines.len() != 5 || lines[0] != ACK_HEADER {
            return Err(bad(0, ACK_HEADER));
        }
        let origin = lines[1].strip_prefix("log ").ok_or_else(|| bad(1, "log <origin>"))?;
        if origin != log.name() {
            return Err(LedgerError::Signature(format!(
                "acknowledgement names log `{origin}`, but the key is for `{}`",
                log.name()
            )));
        }
        let (first, count) = lines[2]
            .strip_prefix("leaves ")
            .and_then(|r| r.split_once(' '))
            .and_then(|(f, c)| Some((f.parse::<u64>().ok()?, c.parse::<u64>().ok()?)))
            .filter(|&(f, c)| c > 0 && f.checked_add(c).is_some())
            .ok_or_else(|| bad(2, "leaves <first> <count>"))?;
        let root = lines[3]
            .strip_prefix("root ")
            .and_then(|b| B64.decode(b).ok())
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .ok_or_else(|| bad(3, "root <base64 of 32 bytes>"))?;
        let logged = lines[4].strip_prefix("logged ").ok_or_else(|| bad(4, "logged <time>"))?;
        Ok(Self { origin: origin.to_owned(), first, count, root: Hash(root), logged: logged.to_owned() })
    }

    /// Checks that leaf `index` with `leaf_hash` is in the acknowledged batch, by `proof`.
    ///
    /// # Errors
    /// [`LedgerError::Proof`] when the index is outside the batch or the proof does not lead
    /// to the signed root.
    pub fn covers(&self, index: u64, leaf_hash: &Hash, proof: &[Hash]) -> Result<(), LedgerError> {
        let Some(i) = index.checked_sub(self.first).filter(|&i| i < self.count) else {
            return Err(LedgerError::Proof(format!(
                "leaf `{index}` is outside the acknowledged leaves {}..{}",
                self.first,
                self.first + self.count
            )));
        };
        verify_inclusion(leaf_hash, i, self.count, proof, &self.root)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merkle::{leaf_hash, prove_inclusion, root_of_slice};

    fn leaves(n: usize) -> Vec<Hash> {
        (0..n).map(|i| leaf_hash(&(i as u64).to_be_bytes())).collect()
    }

    #[test]
    fn batch_tree_agrees_with_rfc6962_for_every_size_and_leaf() {
        for n in 1..=70 {
            let l = leaves(n);
            let tree = BatchTree::new(l.clone()).unwrap();
            assert_eq!(tree.root(), root_of_slice(&l), "root of {n}");
            for i in 0..n {
                let want = prove_inclusion(l.as_slice(), i as u64, n as u64).unwrap();
                assert_eq!(tree.proof(i).unwrap(), want, "proof of {i} in {n}");
                verify_inclusion(&l[i], i as u64, n as u64, &want, &tree.root()).unwrap();
            }
            assert!(tree.proof(n).is_err());
        }
        assert!(BatchTree::new(vec![]).is_err());
    }

    #[test]
    fn acknowledgement_signs_verifies_and_refuses_tampering() {
        let key = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
        let signer = NoteSigner::new("decisions.example/2026", key).unwrap();
        let vkey = signer.verifier();
        let l = leaves(5);
        let tree = BatchTree::new(l.clone()).unwrap();
        let ack = Acknowledgement {
            origin: "decisions.example/2026".into(),
            first: 100,
            count: 5,
            root: tree.root(),
            logged: "2026-11-30T10:00:00Z".into(),
        };
        let note = ack.sign(&signer).unwrap();
        let back = Acknowledgement::verify(note.as_bytes(), &vkey).unwrap();
        assert_eq!(back, ack);
        for (i, leaf) in l.iter().enumerate() {
            back.covers(100 + i as u64, leaf, &tree.proof(i).unwrap()).unwrap();
        }
        // Wrong index, wrong leaf, wrong proof, outside the batch.
        assert!(back.covers(101, &l[0], &tree.proof(0).unwrap()).is_err());
        assert!(back.covers(100, &l[1], &tree.proof(0).unwrap()).is_err());
        assert!(back.covers(100, &l[0], &tree.proof(1).unwrap()).is_err());
        let err = back.covers(105, &l[0], &tree.proof(0).unwrap()).unwrap_err();
        assert!(err.to_string().contains("outside"), "{err}");
        // One changed byte in the text, another key, another origin.
        let tampered = note.replacen("leaves 100 5", "leaves 101 5", 1);
        assert!(matches!(
            Acknowledgement::verify(tampered.as_bytes(), &vkey),
            Err(LedgerError::Signature(_))
        ));
        let other =
            NoteSigner::new("decisions.example/2026", ed25519_dalek::SigningKey::from_bytes(&[8; 32]))
                .unwrap();
        assert!(Acknowledgement::verify(note.as_bytes(), &other.verifier()).is_err());
        let foreign =
            NoteSigner::new("decisions.other/2026", ed25519_dalek::SigningKey::from_bytes(&[7; 32])).unwrap();
        assert!(ack.sign(&foreign).is_err());
        // A well-signed note that is not an acknowledgement.
        let checkpoint = signer.sign("decisions.example/2026\n5\nAAAA\n").unwrap();
        let err = Acknowledgement::verify(checkpoint.as_bytes(), &vkey).unwrap_err();
        assert!(err.to_string().contains("line 1"), "{err}");
    }
}
