//! Witness logic for C2SP tlog-witness `add-checkpoint`, without HTTP: keep the latest
//! (size, root) per origin, check the log signature and the consistency proof, advance by
//! compare-and-swap, and cosign (`cosignature/v1`).
//!
//! The HTTP layer (`mizan-witness`) maps errors to statuses as C2SP tlog-witness says:
//! malformed request or an old size above the checkpoint's → 400, unknown origin → 404, bad
//! log signature → 403, [`LedgerError::WitnessSize`] → 409 with the stored size, bad proof
//! or a second root at the stored size → 422.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::LedgerError;
use crate::checkpoint::{SignedCheckpoint, open_checkpoint};
use crate::merkle::{self, Hash};
use crate::note::{CosignatureSigner, Note, NoteSignature, NoteVerifier};

/// Durable per-origin witness state.
pub trait WitnessStore: Send + Sync {
    /// The latest cosigned (size, root) for `origin`.
    ///
    /// # Errors
    /// [`LedgerError::Storage`] on an I/O failure.
    fn get(&self, origin: &str) -> Result<Option<(u64, Hash)>, LedgerError>;
    /// Replaces the state for `origin` if it still equals `old`; `false` otherwise.
    ///
    /// # Errors
    /// [`LedgerError::Storage`] on an I/O failure.
    fn compare_and_swap(
        &self,
        origin: &str,
        old: Option<(u64, Hash)>,
        new: (u64, Hash),
    ) -> Result<bool, LedgerError>;

    /// Like [`WitnessStore::compare_and_swap`], and also keeps `cosigned`, the checkpoint note
    /// with the log's and this witness's signatures, for the tlog-witness monitoring API. The
    /// default keeps only the size and root.
    ///
    /// # Errors
    /// [`LedgerError::Storage`] on an I/O failure.
    fn compare_and_swap_cosigned(
        &self,
        origin: &str,
        old: Option<(u64, Hash)>,
        new: (u64, Hash),
        cosigned: &[u8],
    ) -> Result<bool, LedgerError> {
        let _ = cosigned;
        self.compare_and_swap(origin, old, new)
    }

    /// The latest cosigned checkpoint note for `origin`, when the store keeps it.
    ///
    /// # Errors
    /// [`LedgerError::Storage`] on an I/O failure.
    fn cosigned(&self, origin: &str) -> Result<Option<Vec<u8>>, LedgerError> {
        let _ = origin;
        Ok(None)
    }
}

/// In-memory witness state for tests.
#[derive(Debug, Default)]
pub struct MemoryWitnessStore(Mutex<HashMap<String, (u64, Hash)>>);

impl WitnessStore for MemoryWitnessStore {
    fn get(&self, origin: &str) -> Result<Option<(u64, Hash)>, LedgerError> {
        Ok(self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get(origin).copied())
    }
    fn compare_and_swap(
        &self,
        origin: &str,
        old: Option<(u64, Hash)>,
        new: (u64, Hash),
    ) -> Result<bool, LedgerError> {
        let mut m = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if m.get(origin).copied() != old {
            return Ok(false);
        }
        m.insert(origin.to_owned(), new);
        Ok(true)
    }
}

/// A witness: its signing key and the logs it follows (by origin).
#[derive(Debug)]
pub struct Witness {
    signer: CosignatureSigner,
    logs: HashMap<String, NoteVerifier>,
}

impl Witness {
    /// A witness cosigning with `signer` for logs identified by their verifier keys.
    #[must_use]
    pub fn new(signer: CosignatureSigner, logs: Vec<NoteVerifier>) -> Self {
        Self { signer, logs: logs.into_iter().map(|v| (v.name().to_owned(), v)).collect() }
    }

    /// Handles `add-checkpoint`: `old_size` is the size the caller believes the witness has,
    /// `proof` a consistency proof from it, `checkpoint` the signed note; `now` is Unix seconds.
    ///
    /// # Errors
    /// [`LedgerError::Missing`] unknown origin; [`LedgerError::Signature`] bad log signature;
    /// [`LedgerError::WitnessSize`] when `old_size` is not the stored size (or the CAS lost);
    /// [`LedgerError::Proof`] for an inconsistent checkpoint.
    pub fn add_checkpoint(
        &self,
        store: &dyn WitnessStore,
        old_size: u64,
        proof: &[Hash],
        checkpoint: &[u8],
        now: u64,
    ) -> Result<NoteSignature, LedgerError> {
        let note = Note::parse(checkpoint)?;
        let origin = note.text.split('\n').next().unwrap_or_default();
        let key = self.logs.get(origin).ok_or_else(|| {
            LedgerError::Missing(format!("log with origin `{origin}` is not followed by this witness"))
        })?;
        let SignedCheckpoint { checkpoint: cp, note } = open_checkpoint(checkpoint, key)?;
        if old_size > cp.size {
            return Err(LedgerError::Malformed(format!(
                "old size `{old_size}` is larger than the checkpoint's size `{}`",
                cp.size
            )));
        }
        if now == 0 {
            return Err(LedgerError::Malformed("cosignature time must not be zero".into()));
        }
        let stored = store.get(&cp.origin)?;
        let (stored_size, stored_root) = stored.unwrap_or((0, Hash::empty_tree()));
        if old_size != stored_size {
            return Err(LedgerError::WitnessSize { stored: stored_size });
        }
        if cp.size < stored_size {
            return Err(LedgerError::Proof(format!(
                "checkpoint size `{}` is older than the witnessed size `{stored_size}`",
                cp.size
            )));
        }
        merkle::verify_consistency(stored_size, cp.size, &stored_root, &cp.root, proof)?;
        // Sign before the compare-and-swap so a bad clock cannot advance the state uncosigned.
        let cosignature = self.signer.cosign(&note.text, now)?;
        // Keep the log's verified signature lines and ours, for monitors.
        let mut kept = note.clone();
        kept.signatures.retain(|s| s.name == key.name() && s.id == key.key_id());
        kept.signatures.push(cosignature.clone());
        let cosigned = kept.to_text();
        if !store.compare_and_swap_cosigned(&cp.origin, stored, (cp.size, cp.root), cosigned.as_bytes())? {
            let now_stored = store.get(&cp.origin)?.map_or(0, |s| s.0);
            return Err(LedgerError::WitnessSize { stored: now_stored });
        }
        Ok(cosignature)
    }
}
