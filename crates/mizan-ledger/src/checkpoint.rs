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

/// Most inclusion-proof lines a tlog-proof may carry: a tree of fewer than 2^64 leaves has
/// proofs of at most 64 hashes.
pub const MAX_PROOF_HASHES: usize = 64;

/// A C2SP tlog-proof (`c2sp.org/tlog-proof@v1`): leaf index, inclusion proof and the signed
/// checkpoint it is relative to.
///
/// The text form, checked line by line against C2SP `tlog-proof.md` (commit `ab17a741`):
///
/// ```text
/// c2sp.org/tlog-proof@v1
/// extra <base64>            (optional, only as the second line)
/// index <decimal>           (no leading zeros unless `0`)
/// <base64 hash>             (zero or more: RFC 6962 PATH, leaf's sibling first)
///
/// <checkpoint note, verbatim, with its signatures and cosignatures>
/// ```
///
/// [`TlogProof::parse`] used to accept `index` with leading zeros or a `+` sign, any number
/// of proof lines, and a checkpoint that was not a note; it now rejects all three, as the
/// spec's "MUST"s require. The encoder already matched the spec.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlogProof {
    /// Optional opaque `extra` data (not authenticated; never trust it implicitly).
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
        use std::fmt::Write;
        let mut s = String::with_capacity(64 + 45 * self.proof.len() + self.checkpoint.len());
        s.push_str(PROOF_HEADER);
        s.push('\n');
        if let Some(e) = &self.extra {
            let _ = writeln!(s, "extra {}", B64.encode(e));
        }
        let _ = writeln!(s, "index {}", self.index);
        for h in &self.proof {
            B64.encode_string(h.0, &mut s);
            s.push('\n');
        }
        s.push('\n');
        s.push_str(&self.checkpoint);
        s
    }

    /// Parses a proof and checks that its checkpoint is a well-formed checkpoint note (it
    /// does not verify signatures or the inclusion proof: see [`TlogProof::verify`]).
    ///
    /// # Errors
    /// [`LedgerError::Malformed`] naming the line at fault.
    pub fn parse(text: &str) -> Result<Self, LedgerError> {
        let bad = |line: usize, why: &str| LedgerError::Malformed(format!("tlog-proof line {line}: {why}"));
        let (head, checkpoint) =
            text.split_once("\n\n").ok_or_else(|| bad(1, "no blank line before the checkpoint"))?;
        let mut lines = head.split('\n').peekable();
        if lines.next() != Some(PROOF_HEADER) {
            return Err(bad(1, &format!("expected `{PROOF_HEADER}`")));
        }
        let mut n = 2;
        let mut extra = None;
        if let Some(e) = lines.peek().and_then(|l| l.strip_prefix("extra ")) {
            extra = Some(B64.decode(e).map_err(|_| bad(n, "extra is not base64"))?);
            lines.next();
            n += 1;
        }
        let index = lines
            .next()
            .and_then(|l| l.strip_prefix("index "))
            .ok_or_else(|| bad(n, "expected `index <n>`"))?;
        let index = crate::tile::decimal(index).ok_or_else(|| {
            bad(n, &format!("index `{index}` is not a decimal number without leading zeros"))
        })?;
        let mut proof = Vec::new();
        for line in lines {
            n += 1;
            if proof.len() == MAX_PROOF_HASHES {
                return Err(bad(n, &format!("more than {MAX_PROOF_HASHES} proof hashes")));
            }
            let raw = B64.decode(line).map_err(|_| bad(n, "proof hash is not base64"))?;
            let h: [u8; 32] = raw.try_into().map_err(|_| bad(n, "proof hash is not 32 bytes"))?;
            proof.push(Hash(h));
        }
        let note = Note::parse(checkpoint.as_bytes())
            .map_err(|e| LedgerError::Malformed(format!("tlog-proof checkpoint: {e}")))?;
        Checkpoint::parse_body(&note.text)
            .map_err(|e| LedgerError::Malformed(format!("tlog-proof checkpoint: {e}")))?;
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

    /// Verifies like [`TlogProof::verify`] and also requires cosignatures (`cosignature/v1`)
    /// from at least `quorum` distinct witnesses of `witnesses` (tlog-proof verification step
    /// 3 with a k-of-n policy). Lines by witnesses not in the list are ignored; a line by a
    /// listed witness that does not verify fails the proof. Returns the checkpoint and the
    /// cosignature timestamps of the witnesses that counted, in list order.
    ///
    /// # Errors
    /// As [`TlogProof::verify`]; [`LedgerError::Signature`] when fewer than `quorum` witnesses
    /// cosigned, naming how many did.
    pub fn verify_with_witnesses(
        &self,
        entry: &[u8],
        log_key: &NoteVerifier,
        witnesses: &[NoteVerifier],
        quorum: usize,
    ) -> Result<(SignedCheckpoint, Vec<(String, u64)>), LedgerError> {
        let cp = self.verify(entry, log_key)?;
        let body = cp.note.text.clone();
        let mut counted = Vec::new();
        for w in witnesses {
            let id = w.key_id();
            let mut time = None;
            for line in cp.note.signatures.iter().filter(|s| s.name == w.name() && s.id == id) {
                time = Some(crate::note::verify_cosignature(w, &body, line)?);
            }
            if let Some(t) = time
                && !counted.iter().any(|(n, _): &(String, u64)| n == w.name())
            {
                counted.push((w.name().to_owned(), t));
            }
        }
        if counted.len() < quorum {
            return Err(LedgerError::Signature(format!(
                "checkpoint has {} of the {quorum} witness cosignatures the policy requires",
                counted.len()
            )));
        }
        Ok((cp, counted))
    }
}
