//! C2SP tlog-checkpoint bodies, signed checkpoints, and C2SP tlog-proof receipts.
//!
//! A checkpoint body is `<origin>\n<size>\n<base64 root>\n` plus optional extension lines; it is
//! signed as a note by the log key whose name equals the origin. A tlog-proof is
//! `c2sp.org/tlog-proof@v1\nindex <n>\n<base64 hash>...\n\n<signed checkpoint>`: everything a
//! holder needs to check inclusion offline.

use base64::{Engine, engine::general_purpose::STANDARD as B64};

use crate::LedgerError;
use crate::merkle::{self, Hash};
use crate::note::{Note, NoteSigner, NoteVerifier};

/// A checkpoint: the log's origin, tree size and root hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    /// Unique log identity, for example `decisions.mizan.example/2026`.
    pub origin: String,
    /// Number of leaves.
    pub size: u64,
    /// Root hash of the first `size` leaves.
    pub root: Hash,
    /// Extension lines (without newlines), usually empty.
    pub extensions: Vec<String>,
}

impl Checkpoint {
    /// The note body.
    #[must_use]
    pub fn body(&self) -> String {
        let mut s = format!("{}\n{}\n{}\n", self.origin, self.size, B64.encode(self.root.0));
        for e in &self.extensions {
            s.push_str(e);
            s.push('\n');
        }
        s
    }

    /// Parses a checkpoint body.
    ///
    /// # Errors
    /// [`LedgerError::Malformed`] naming the line at fault.
    pub fn parse_body(body: &str) -> Result<Self, LedgerError> {
        let bad = |line: usize, why: &str| LedgerError::Malformed(format!("checkpoint line {line}: {why}"));
        let lines: Vec<&str> = body.strip_suffix('\n').unwrap_or(body).split('\n').collect();
        if !body.ends_with('\n') || lines.len() < 3 {
            return Err(bad(lines.len(), "a checkpoint needs origin, size and root lines"));
        }
        let origin = lines[0];
        if origin.is_empty() {
            return Err(bad(1, "origin is empty"));
        }
        let size_s = lines[1];
        if size_s.is_empty()
            || !size_s.bytes().all(|b| b.is_ascii_digit())
            || (size_s.len() > 1 && size_s.starts_with('0'))
        {
            return Err(bad(2, &format!("size `{size_s}` is not a decimal number without leading zeros")));
        }
        let size = size_s.parse().map_err(|_| bad(2, &format!("size `{size_s}` is too large")))?;
        let raw = B64.decode(lines[2]).map_err(|_| bad(3, "root hash is not base64"))?;
        let root: [u8; 32] = raw.try_into().map_err(|_| bad(3, "root hash is not 32 bytes"))?;
        let extensions: Vec<String> = lines[3..].iter().map(|s| (*s).to_owned()).collect();
        if let Some(i) = extensions.iter().position(String::is_empty) {
            return Err(bad(i + 4, "empty extension line"));
        }
        Ok(Self { origin: origin.to_owned(), size, root: Hash(root), extensions })
    }

    /// Signs the checkpoint with the log key; the signer's name must equal the origin.
    ///
    /// # Errors
    /// [`LedgerError::Signature`] when the key name is not the origin.
    pub fn sign(&self, signer: &NoteSigner) -> Result<String, LedgerError> {
        if signer.name() != self.origin {
            return Err(LedgerError::Signature(format!(
                "log key is named `{}` but the origin is `{}`; the key name must equal the origin",
                signer.name(),
                self.origin
            )));
        }
        signer.sign(&self.body())
    }
}

/// A signed checkpoint that verified against the log key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedCheckpoint {
    /// The parsed checkpoint.
    pub checkpoint: Checkpoint,
    /// The full note (log signature and any cosignatures).
    pub note: Note,
}

/// Parses and verifies a signed checkpoint against the log's key (key name = origin).
///
/// # Errors
/// [`LedgerError::Malformed`] for a bad note or body, [`LedgerError::Signature`] for a bad or
/// missing signature or an origin that is not the key's name.
pub fn open_checkpoint(bytes: &[u8], log_key: &NoteVerifier) -> Result<SignedCheckpoint, LedgerError> {
    let note = Note::parse(bytes)?;
    let checkpoint = Checkpoint::parse_body(&note.text)?;
    if checkpoint.origin != log_key.name() {
        return Err(LedgerError::Signature(format!(
            "checkpoint origin is `{}` but the log key is for `{}`; use this log's key",
            checkpoint.origin,
            log_key.name()
        )));
    }
    note.verify(log_key)?;
    Ok(SignedCheckpoint { checkpoint, note })
}

const PROOF_HEADER: &str = "c2sp.org/tlog-proof@v1";

/// A C2SP tlog-proof: leaf index, inclusion proof and the signed checkpoint it is relative to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlogProof {
    /// Optional opaque `extra` data.
    pub extra: Option<Vec<u8>>,
    /// Leaf index.
    pub index: u64,
    /// Inclusion proof hashes.
    pub proof: Vec<Hash>,
    /// The signed checkpoint note, verbatim.
    pub checkpoint: String,
}

impl TlogProof {
    /// Encodes the proof.
    #[must_use]
    pub fn encode(&self) -> String {
        let mut s = format!("{PROOF_HEADER}\n");
        if let Some(e) = &self.extra {
            s.push_str(&format!("extra {}\n", B64.encode(e)));
        }
        s.push_str(&format!("index {}\n", self.index));
        for h in &self.proof {
            s.push_str(&B64.encode(h.0));
            s.push('\n');
        }
        s.push('\n');
        s.push_str(&self.checkpoint);
        s
    }

    /// Parses a proof (does not verify it).
    ///
    /// # Errors
    /// [`LedgerError::Malformed`] naming the line at fault.
    pub fn parse(text: &str) -> Result<Self, LedgerError> {
        let bad = |line: usize, why: &str| LedgerError::Malformed(format!("tlog-proof line {line}: {why}"));
        let (head, checkpoint) =
            text.split_once("\n\n").ok_or_else(|| bad(1, "no blank line before the checkpoint"))?;
        let mut lines = head.split('\n').enumerate();
        match lines.next() {
            Some((_, PROOF_HEADER)) => {}
            _ => return Err(bad(1, &format!("expected `{PROOF_HEADER}`"))),
        }
        let mut extra = None;
        let mut index = None;
        let mut proof = Vec::new();
        for (i, line) in lines {
            let n = i + 1;
            if let Some(e) = line.strip_prefix("extra ") {
                if index.is_some() || extra.is_some() {
                    return Err(bad(n, "`extra` must come once, before `index`"));
                }
                extra = Some(B64.decode(e).map_err(|_| bad(n, "extra is not base64"))?);
            } else if let Some(ix) = line.strip_prefix("index ") {
                if index.is_some() {
                    return Err(bad(n, "`index` appears twice"));
                }
                index = Some(ix.parse().map_err(|_| bad(n, &format!("index `{ix}` is not a number")))?);
            } else {
                if index.is_none() {
                    return Err(bad(n, "expected `index <n>` before proof hashes"));
                }
                let raw = B64.decode(line).map_err(|_| bad(n, "proof hash is not base64"))?;
                let h: [u8; 32] = raw.try_into().map_err(|_| bad(n, "proof hash is not 32 bytes"))?;
                proof.push(Hash(h));
            }
        }
        let index = index.ok_or_else(|| bad(2, "missing `index <n>`"))?;
        Ok(Self { extra, index, proof, checkpoint: checkpoint.to_owned() })
    }

    /// Verifies that `leaf` (the entry bytes) is at this index under the signed checkpoint.
    ///
    /// # Errors
    /// Signature errors from the checkpoint, proof errors from inclusion.
    pub fn verify(&self, entry: &[u8], log_key: &NoteVerifier) -> Result<SignedCheckpoint, LedgerError> {
        let cp = open_checkpoint(self.checkpoint.as_bytes(), log_key)?;
        merkle::verify_inclusion(
            &merkle::leaf_hash(entry),
            self.index,
            cp.checkpoint.size,
            &self.proof,
            &cp.checkpoint.root,
        )?;
        Ok(cp)
    }
}
