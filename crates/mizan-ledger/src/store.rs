//! The storage trait the ledger writes through, and an in-memory implementation for tests.
//!
//! Paths are C2SP tlog-tiles paths relative to the log prefix (`checkpoint`, `tile/...`).
//! Tiles and bundles are write-once: writing the same bytes again succeeds (integration is
//! idempotent), writing different bytes fails. The "latest signed checkpoint" record is
//! separate from the published `checkpoint` file and changes only by compare-and-swap, so the
//! log can never sign two different roots for one size.
//!
//! The staging journal holds batches that were made durable (and acknowledged) but may not be
//! integrated into tiles yet: [`LogStore::stage`] appends one record with one sync, which is
//! the group commit; [`crate::log::Log::open`] integrates whatever the journal holds beyond the
//! latest signed checkpoint.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::LedgerError;

/// Where a log keeps its tiles, bundles and checkpoints.
pub trait LogStore: Send + Sync {
    /// Reads a file, `None` when absent.
    ///
    /// # Errors
    /// [`LedgerError::Storage`] on an I/O failure.
    fn read(&self, path: &str) -> Result<Option<Vec<u8>>, LedgerError>;

    /// Durably writes a tile or bundle that must never change. Identical content already
    /// present is success.
    ///
    /// # Errors
    /// [`LedgerError::Conflict`] when different bytes are already stored at `path`.
    fn write_once(&self, path: &str, data: &[u8]) -> Result<(), LedgerError>;

    /// Durably writes several write-once files (one integration step), with as few syncs as
    /// the store can manage; the same rules as [`LogStore::write_once`] apply to each. The
    /// default writes them one by one. A crash part-way may leave any subset written.
    ///
    /// # Errors
    /// As [`LogStore::write_once`].
    fn write_many(&self, files: &[(String, Vec<u8>)]) -> Result<(), LedgerError> {
        files.iter().try_for_each(|(path, data)| self.write_once(path, data))
    }

    /// Deletes every partial tile or bundle `<full_path>.p/<W>` once the full tile at
    /// `full_path` is published (readers fall back to the full tile, see
    /// [`crate::log::read_tile`]). Nothing there is success. The default keeps them: right for
    /// read-only views of someone else's log, wasteful for a writer's own store.
    ///
    /// # Errors
    /// [`LedgerError::Storage`] on an I/O failure.
    fn remove_partials(&self, full_path: &str) -> Result<(), LedgerError> {
        let _ = full_path;
        Ok(())
    }

    /// Durably replaces the published `checkpoint` file.
    ///
    /// # Errors
    /// [`LedgerError::Storage`] on an I/O failure.
    fn publish_checkpoint(&self, data: &[u8]) -> Result<(), LedgerError>;

    /// Reads the latest signed checkpoint record.
    ///
    /// # Errors
    /// [`LedgerError::Storage`] on an I/O failure.
    fn latest(&self) -> Result<Option<Vec<u8>>, LedgerError>;

    /// Durably replaces the latest signed checkpoint record if it still equals `old`;
    /// returns `false` (changing nothing) otherwise.
    ///
    /// # Errors
    /// [`LedgerError::Storage`] on an I/O failure.
    fn compare_and_swap_latest(&self, old: Option<&[u8]>, new: &[u8]) -> Result<bool, LedgerError>;

    /// Appends `record` to the staging journal and makes it durable with one sync before
    /// returning. A record is either wholly present afterwards or (after a crash during this
    /// call) wholly absent.
    ///
    /// # Errors
    /// [`LedgerError::Storage`] on an I/O failure; the record may or may not be durable.
    fn stage(&self, record: &[u8]) -> Result<(), LedgerError>;

    /// Every record in the staging journal, oldest first; a record torn by a crash is left out.
    ///
    /// # Errors
    /// [`LedgerError::Storage`] on an I/O failure.
    fn staged(&self) -> Result<Vec<Vec<u8>>, LedgerError>;

    /// Empties the staging journal; called only when every staged entry is integrated.
    ///
    /// # Errors
    /// [`LedgerError::Storage`] on an I/O failure.
    fn clear_staged(&self) -> Result<(), LedgerError>;
}

/// The published checkpoint's path.
pub const CHECKPOINT_PATH: &str = "checkpoint";

/// An in-memory store for tests and tools.
#[derive(Debug, Default)]
pub struct MemoryStore {
    files: Mutex<HashMap<String, Vec<u8>>>,
    latest: Mutex<Option<Vec<u8>>>,
    journal: Mutex<Vec<Vec<u8>>>,
}

impl MemoryStore {
    /// An empty store.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Overwrites a file regardless of the write-once rule (to simulate tampering in tests).
    pub fn tamper(&self, path: &str, data: Vec<u8>) {
        self.files.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(path.to_owned(), data);
    }

    /// Every stored path, sorted.
    #[must_use]
    pub fn paths(&self) -> Vec<String> {
        let files = self.files.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut v: Vec<String> = files.keys().cloned().collect();
        v.sort();
        v
    }
}

impl LogStore for MemoryStore {
    fn read(&self, path: &str) -> Result<Option<Vec<u8>>, LedgerError> {
        Ok(self.files.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get(path).cloned())
    }

    fn write_once(&self, path: &str, data: &[u8]) -> Result<(), LedgerError> {
        let mut files = self.files.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        match files.get(path) {
            Some(old) if old == data => Ok(()),
            Some(_) => Err(LedgerError::Conflict(format!(
                "`{path}` already holds different bytes; tiles are never overwritten"
            ))),
            None => {
                files.insert(path.to_owned(), data.to_vec());
                Ok(())
            }
        }
    }

    fn remove_partials(&self, full_path: &str) -> Result<(), LedgerError> {
        let prefix = format!("{full_path}.p/");
        self.files
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .retain(|p, _| !p.starts_with(&prefix));
        Ok(())
    }

    fn publish_checkpoint(&self, data: &[u8]) -> Result<(), LedgerError> {
        self.files
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(CHECKPOINT_PATH.to_owned(), data.to_vec());
        Ok(())
    }

    fn latest(&self) -> Result<Option<Vec<u8>>, LedgerError> {
        Ok(self.latest.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone())
    }

    fn compare_and_swap_latest(&self, old: Option<&[u8]>, new: &[u8]) -> Result<bool, LedgerError> {
        let mut latest = self.latest.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if latest.as_deref() != old {
            return Ok(false);
        }
        *latest = Some(new.to_vec());
        Ok(true)
    }

    fn stage(&self, record: &[u8]) -> Result<(), LedgerError> {
        self.journal.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(record.to_vec());
        Ok(())
    }

    fn staged(&self) -> Result<Vec<Vec<u8>>, LedgerError> {
        Ok(self.journal.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone())
    }

    fn clear_staged(&self) -> Result<(), LedgerError> {
        self.journal.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clear();
        Ok(())
    }
}
