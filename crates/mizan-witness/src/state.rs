//! The witness's durable state: for each log it follows, the latest checkpoint it cosigned.
//!
//! Layout under the state directory:
//!
//! ```text
//! lock                      exclusive lock: one witness process per state directory
//! logs/<sha256(origin)>     the latest cosigned checkpoint note (log and witness signatures)
//! ```
//!
//! A log's file is named by the lower-case hex SHA-256 of its origin, as the tlog-witness
//! monitoring API names it. Every update is a compare-and-swap under one mutex: read the
//! current file, compare, then temp file → write → fsync → rename → fsync directory, so the
//! file is always either the old state or the new one and a crash can never roll it back. The
//! stored note is the record: size and root are read back from its first three lines.

use std::fs::{self, File, OpenOptions};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use mizan_ledger::checkpoint::Checkpoint;
use mizan_ledger::witness::WitnessStore;
use mizan_ledger::{Hash, LedgerError};
use sha2::{Digest, Sha256};

/// The lower-case hex SHA-256 of an origin: the name of its state file and its path segment in
/// the monitoring API.
#[must_use]
pub fn origin_hash(origin: &str) -> String {
    hex::encode(Sha256::digest(origin.as_bytes()))
}

fn io_err(path: &Path, what: &str, e: &std::io::Error) -> LedgerError {
    LedgerError::Storage(format!("{what} `{}`: {e}", path.display()))
}

fn sync_dir(dir: &Path) -> Result<(), LedgerError> {
    File::open(dir).and_then(|d| d.sync_all()).map_err(|e| io_err(dir, "cannot fsync directory", &e))
}

/// Witness state in a directory (see the module docs).
#[derive(Debug)]
pub struct FsWitnessStore {
    logs: PathBuf,
    cas: Mutex<()>,
    _lock: File,
}

impl FsWitnessStore {
    /// Opens (creating) the state directory and takes its exclusive lock; removes temp files a
    /// crash left behind.
    ///
    /// # Errors
    /// [`LedgerError::Conflict`] when another process holds the lock; [`LedgerError::Storage`]
    /// naming the path on an I/O failure.
    pub fn open(dir: &Path) -> Result<Self, LedgerError> {
        let logs = dir.join("logs");
        let fresh = !logs.is_dir();
        fs::create_dir_all(&logs).map_err(|e| io_err(&logs, "cannot create", &e))?;
        if fresh {
            sync_dir(dir)?;
        }
        let lock_path = dir.join("lock");
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| io_err(&lock_path, "cannot open lock", &e))?;
        lock.try_lock().map_err(|_| {
            LedgerError::Conflict(format!(
                "another witness holds `{}`; run one witness per state directory",
                lock_path.display()
            ))
        })?;
        for entry in fs::read_dir(&logs).map_err(|e| io_err(&logs, "cannot list", &e))? {
            let entry = entry.map_err(|e| io_err(&logs, "cannot list", &e))?;
            if entry.file_name().to_string_lossy().starts_with(".tmp-") {
                let p = entry.path();
                fs::remove_file(&p).map_err(|e| io_err(&p, "cannot remove stale temp file", &e))?;
            }
        }
        Ok(Self { logs, cas: Mutex::new(()), _lock: lock })
    }

    fn file(&self, origin: &str) -> PathBuf {
        self.logs.join(origin_hash(origin))
    }

    /// Reads the stored note for `origin`, checking it names that origin.
    fn load(&self, origin: &str) -> Result<Option<(Checkpoint, Vec<u8>)>, LedgerError> {
        let path = self.file(origin);
        let bytes = match fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_err(&path, "cannot read", &e)),
        };
        let bad =
            |why: String| LedgerError::Storage(format!("state file `{}` is corrupt: {why}", path.display()));
        let text = std::str::from_utf8(&bytes).map_err(|_| bad("not UTF-8".into()))?;
        let body = text.find("\n\n").map_or(text, |i| &text[..=i]);
        let cp = Checkpoint::parse_body(body).map_err(|e| bad(e.to_string()))?;
        if cp.origin != origin {
            return Err(bad(format!("it holds origin `{}`, not `{origin}`", cp.origin)));
        }
        Ok(Some((cp, bytes)))
    }

    /// The latest cosigned checkpoint note of the log whose origin hashes to `hash`.
    ///
    /// # Errors
    /// [`LedgerError::Storage`] on an I/O failure.
    pub fn cosigned_by_hash(&self, hash: &str) -> Result<Option<Vec<u8>>, LedgerError> {
        if hash.len() != 64 || !hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return Ok(None);
        }
        let path = self.logs.join(hash);
        match fs::read(&path) {
            Ok(b) if b.windows(2).any(|w| w == b"\n\n") => Ok(Some(b)),
            Ok(_) => Ok(None),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_err(&path, "cannot read", &e)),
        }
    }

    /// temp file → write → fsync → rename → fsync directory (`mizan_files::write_atomic`).
    fn write(&self, origin: &str, data: &[u8]) -> Result<(), LedgerError> {
        mizan_files::write_atomic(&self.file(origin), data)
            .map_err(|e| LedgerError::Storage(format!("cannot write witness state: {e}")))
    }

    fn swap(
        &self,
        origin: &str,
        old: Option<(u64, Hash)>,
        new: (u64, Hash),
        data: &[u8],
    ) -> Result<bool, LedgerError> {
        let _guard = self.cas.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let current = self.load(origin)?.map(|(cp, _)| (cp.size, cp.root));
        if current != old {
            return Ok(false);
        }
        // Defence in depth: whatever the caller checked, the stored size never goes down.
        if current.is_some_and(|(size, _)| new.0 < size) {
            return Ok(false);
        }
        self.write(origin, data)?;
        Ok(true)
    }
}

impl WitnessStore for FsWitnessStore {
    fn get(&self, origin: &str) -> Result<Option<(u64, Hash)>, LedgerError> {
        Ok(self.load(origin)?.map(|(cp, _)| (cp.size, cp.root)))
    }

    fn compare_and_swap(
        &self,
        origin: &str,
        old: Option<(u64, Hash)>,
        new: (u64, Hash),
    ) -> Result<bool, LedgerError> {
        let body =
            Checkpoint { origin: origin.to_owned(), size: new.0, root: new.1, extensions: Vec::new() }.body();
        self.swap(origin, old, new, body.as_bytes())
    }

    fn compare_and_swap_cosigned(
        &self,
        origin: &str,
        old: Option<(u64, Hash)>,
        new: (u64, Hash),
        cosigned: &[u8],
    ) -> Result<bool, LedgerError> {
        self.swap(origin, old, new, cosigned)
    }

    fn cosigned(&self, origin: &str) -> Result<Option<Vec<u8>>, LedgerError> {
        self.cosigned_by_hash(&origin_hash(origin))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_survives_reopen_and_the_lock_excludes_a_second_process() {
        let dir = tempfile::tempdir().unwrap();
        let origin = "decisions.example/2026";
        let h = Hash([9; 32]);
        {
            let s = FsWitnessStore::open(dir.path()).unwrap();
            assert_eq!(s.get(origin).unwrap(), None);
            assert!(s.compare_and_swap(origin, None, (5, h)).unwrap());
            assert!(!s.compare_and_swap(origin, None, (6, h)).unwrap());
            // The lock is held while `s` lives.
            let err = FsWitnessStore::open(dir.path()).unwrap_err();
            assert!(err.to_string().contains("another witness holds"), "{err}");
            assert_eq!(s.cosigned(origin).unwrap(), None);
        }
        fs::write(dir.path().join("logs/.tmp-1-1"), b"torn").unwrap();
        let s = FsWitnessStore::open(dir.path()).unwrap();
        assert!(!dir.path().join("logs/.tmp-1-1").exists());
        assert_eq!(s.get(origin).unwrap(), Some((5, h)));
        // Never backwards, even if the caller asks.
        assert!(!s.compare_and_swap(origin, Some((5, h)), (4, h)).unwrap());
        assert_eq!(s.get(origin).unwrap(), Some((5, h)));
        // A file holding another origin is reported, not trusted.
        fs::write(
            dir.path().join("logs").join(origin_hash(origin)),
            b"other.example\n1\nCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQk=\n",
        )
        .unwrap();
        let err = s.get(origin).unwrap_err();
        assert!(err.to_string().contains("holds origin `other.example`"), "{err}");
    }
}
