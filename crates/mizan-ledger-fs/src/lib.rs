//! Filesystem storage for the decision ledger.
//!
//! [`FsStore`] lays a log out as C2SP tlog-tiles files under one directory. Every write goes
//! temp file → write → sync → rename → sync directory, so a file is either absent or
//! complete; tiles and bundles are never overwritten. The files of one integration step share
//! their syncs ([`LogStore::write_many`]: on Linux one `syncfs` before the renames and one
//! after), so a batch costs a few device flushes however many tiles it touches. The latest signed checkpoint record
//! lives in `.state/latest` and the staging journal in `.state/journal` (neither is served).
//! [`FsStore::open`] takes an exclusive lock on `.state/lock` so only one writer runs per log.
//!
//! The journal is one append-only file of framed records (`u32` length, SHA-256 of the
//! payload, payload); staging a batch is one `write` and one `fdatasync`, which is the group
//! commit. A record torn by a crash fails its checksum and is cut off when the store is next
//! opened for writing. Group commit itself is `mizan_ledger::sequencer::Sequencer`, which callers take from the engine.
#![warn(missing_docs)]

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use mizan_ledger::LedgerError;
use mizan_ledger::store::{CHECKPOINT_PATH, LogStore};
use sha2::{Digest, Sha256};

const LATEST: &str = ".state/latest";
const LOCK: &str = ".state/lock";
const JOURNAL: &str = ".state/journal";
/// Frame header: `u32` big-endian payload length, then the payload's SHA-256.
const FRAME_HEADER: usize = 4 + 32;

/// A log directory on the local filesystem.
#[derive(Debug)]
pub struct FsStore {
    root: PathBuf,
    cas: Mutex<()>,
    tmp_counter: AtomicU64,
    journal: Mutex<Option<File>>,
    _lock: Option<File>,
}

fn io_err(path: &Path, what: &str, e: &std::io::Error) -> LedgerError {
    LedgerError::Storage(format!("{what} `{}`: {e}", path.display()))
}

impl FsStore {
    /// Opens `root` for writing, creating it, and takes the exclusive writer lock.
    ///
    /// # Errors
    /// [`LedgerError::Conflict`] when another process holds the lock; storage errors.
    pub fn open(root: &Path) -> Result<Self, LedgerError> {
        let state = root.join(".state");
        fs::create_dir_all(&state).map_err(|e| io_err(&state, "cannot create", &e))?;
        let lock_path = root.join(LOCK);
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| io_err(&lock_path, "cannot open lock", &e))?;
        lock.try_lock().map_err(|_| {
            LedgerError::Conflict(format!(
                "another sequencer holds `{}`; run one writer per log",
                lock_path.display()
            ))
        })?;
        let journal_path = root.join(JOURNAL);
        let mut journal = OpenOptions::new()
            .create(true)
            .append(true)
            .read(true)
            .open(&journal_path)
            .map_err(|e| io_err(&journal_path, "cannot open journal", &e))?;
        // Cut off a record torn by a crash, so later appends stay readable.
        let bytes = fs::read(&journal_path).map_err(|e| io_err(&journal_path, "cannot read", &e))?;
        let valid = frames(&bytes).1;
        if valid < bytes.len() {
            journal.set_len(valid as u64).map_err(|e| io_err(&journal_path, "cannot truncate", &e))?;
            journal.sync_all().map_err(|e| io_err(&journal_path, "cannot fsync", &e))?;
        }
        journal.flush().map_err(|e| io_err(&journal_path, "cannot flush", &e))?;
        File::open(&state)
            .and_then(|d| d.sync_all())
            .map_err(|e| io_err(&state, "cannot fsync directory", &e))?;
        Ok(Self {
            root: root.to_owned(),
            cas: Mutex::new(()),
            tmp_counter: AtomicU64::new(0),
            journal: Mutex::new(Some(journal)),
            _lock: Some(lock),
        })
    }

    /// Opens `root` for reading only (no lock; writes fail).
    #[must_use]
    pub fn read_only(root: &Path) -> Self {
        Self {
            root: root.to_owned(),
            cas: Mutex::new(()),
            tmp_counter: AtomicU64::new(0),
            journal: Mutex::new(None),
            _lock: None,
        }
    }

    fn path(&self, rel: &str) -> Result<PathBuf, LedgerError> {
        if rel.split('/').any(|c| c.is_empty() || c == "..") || rel.starts_with('/') {
            return Err(LedgerError::Malformed(format!("path `{rel}` is not a relative log path")));
        }
        Ok(self.root.join(rel))
    }

    fn writable(&self) -> Result<(), LedgerError> {
        if self._lock.is_none() {
            return Err(LedgerError::Storage(format!(
                "`{}` was opened read-only; open it with the writer lock to write",
                self.root.display()
            )));
        }
        Ok(())
    }

    /// Makes the contents of `files` durable: one `syncfs` of the log's file system on Linux,
    /// an `fsync` per file elsewhere.
    fn sync_files<'a>(&self, files: impl Iterator<Item = &'a Path>) -> Result<(), LedgerError> {
        #[cfg(target_os = "linux")]
        {
            let _ = files;
            self.syncfs()
        }
        #[cfg(not(target_os = "linux"))]
        {
            for f in files {
                File::open(f).and_then(|f| f.sync_all()).map_err(|e| io_err(f, "cannot fsync", &e))?;
            }
            Ok(())
        }
    }

    /// Makes renames and new entries in `dirs` durable (one `syncfs` on Linux).
    fn sync_dirs<'a>(&self, dirs: impl Iterator<Item = &'a Path>) -> Result<(), LedgerError> {
        #[cfg(target_os = "linux")]
        {
            let _ = dirs;
            self.syncfs()
        }
        #[cfg(not(target_os = "linux"))]
        {
            let mut seen = std::collections::BTreeSet::new();
            for d in dirs {
                // New directories' own entries live in their parents.
                for a in d.ancestors().take_while(|a| a.starts_with(&self.root)) {
                    if seen.insert(a.to_owned()) {
                        File::open(a)
                            .and_then(|f| f.sync_all())
                            .map_err(|e| io_err(a, "cannot fsync directory", &e))?;
                    }
                }
            }
            Ok(())
        }
    }

    #[cfg(target_os = "linux")]
    fn syncfs(&self) -> Result<(), LedgerError> {
        let root = File::open(&self.root).map_err(|e| io_err(&self.root, "cannot open", &e))?;
        rustix::fs::syncfs(&root).map_err(|e| io_err(&self.root, "cannot syncfs", &e.into()))
    }

    /// temp file → write → fsync → rename → fsync directory (`mizan_files::write_atomic`).
    fn atomic_write(&self, path: &Path, data: &[u8]) -> Result<(), LedgerError> {
        let dir = path.parent().unwrap_or(&self.root);
        fs::create_dir_all(dir).map_err(|e| io_err(dir, "cannot create", &e))?;
        mizan_files::write_atomic(path, data)
            .map_err(|e| LedgerError::Storage(format!("cannot write atomically: {e}")))
    }
}

impl LogStore for FsStore {
    fn read(&self, rel: &str) -> Result<Option<Vec<u8>>, LedgerError> {
        let p = self.path(rel)?;
        match fs::read(&p) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_err(&p, "cannot read", &e)),
        }
    }

    fn write_once(&self, rel: &str, data: &[u8]) -> Result<(), LedgerError> {
        self.writable()?;
        let p = self.path(rel)?;
        if let Some(old) = self.read(rel)? {
            if old == data {
                return Ok(());
            }
            return Err(LedgerError::Conflict(format!(
                "`{}` already holds different bytes; tiles are never overwritten",
                p.display()
            )));
        }
        self.atomic_write(&p, data)
    }

    /// Writes every file to a temporary name without syncing, makes them all durable with one
    /// sync, renames them into place, and makes the renames durable with a second sync: two
    /// device flushes for the whole integration step instead of two per file.
    fn write_many(&self, files: &[(String, Vec<u8>)]) -> Result<(), LedgerError> {
        self.writable()?;
        let mut pending: Vec<(PathBuf, PathBuf)> = Vec::new();
        let result = (|| {
            for (rel, data) in files {
                let p = self.path(rel)?;
                if let Some(old) = self.read(rel)? {
                    if &old == data {
                        continue;
                    }
                    return Err(LedgerError::Conflict(format!(
                        "`{}` already holds different bytes; tiles are never overwritten",
                        p.display()
                    )));
                }
                let dir = p.parent().unwrap_or(&self.root);
                fs::create_dir_all(dir).map_err(|e| io_err(dir, "cannot create", &e))?;
                let n = self.tmp_counter.fetch_add(1, Ordering::Relaxed);
                let tmp = dir.join(format!(".tmp-{}-{n}", std::process::id()));
                let mut f = File::create(&tmp).map_err(|e| io_err(&tmp, "cannot create", &e))?;
                pending.push((tmp.clone(), p));
                f.write_all(data).map_err(|e| io_err(&tmp, "cannot write", &e))?;
            }
            if pending.is_empty() {
                return Ok(());
            }
            self.sync_files(pending.iter().map(|(tmp, _)| tmp.as_path()))?;
            for (tmp, p) in &pending {
                fs::rename(tmp, p).map_err(|e| io_err(p, "cannot rename into", &e))?;
            }
            self.sync_dirs(pending.iter().filter_map(|(_, p)| p.parent()))
        })();
        if result.is_err() {
            for (tmp, _) in &pending {
                let _ = fs::remove_file(tmp);
            }
        }
        result
    }

    /// Removes the `<N>.p/` directory beside a full tile. Not synced: a deletion that a crash
    /// undoes leaves a partial tile that is still correct.
    fn remove_partials(&self, full_path: &str) -> Result<(), LedgerError> {
        self.writable()?;
        let dir = self.path(&format!("{full_path}.p"))?;
        match fs::remove_dir_all(&dir) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_err(&dir, "cannot remove", &e)),
        }
    }

    fn publish_checkpoint(&self, data: &[u8]) -> Result<(), LedgerError> {
        self.writable()?;
        self.atomic_write(&self.root.join(CHECKPOINT_PATH), data)
    }

    fn latest(&self) -> Result<Option<Vec<u8>>, LedgerError> {
        self.read(LATEST)
    }

    fn compare_and_swap_latest(&self, old: Option<&[u8]>, new: &[u8]) -> Result<bool, LedgerError> {
        self.writable()?;
        // The writer lock excludes other processes; this mutex excludes other threads.
        let _g = self.cas.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if self.read(LATEST)?.as_deref() != old {
            return Ok(false);
        }
        self.atomic_write(&self.root.join(LATEST), new)?;
        Ok(true)
    }

    fn stage(&self, record: &[u8]) -> Result<(), LedgerError> {
        self.writable()?;
        let path = self.root.join(JOURNAL);
        let len = u32::try_from(record.len()).map_err(|_| {
            LedgerError::Storage(format!("staging record of {} bytes is too large", record.len()))
        })?;
        let mut frame = Vec::with_capacity(FRAME_HEADER + record.len());
        frame.extend_from_slice(&len.to_be_bytes());
        frame.extend_from_slice(&Sha256::digest(record));
        frame.extend_from_slice(record);
        let mut guard = self.journal.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let file = guard.as_mut().ok_or_else(|| LedgerError::Storage("journal is not open".into()))?;
        file.write_all(&frame).map_err(|e| io_err(&path, "cannot append to", &e))?;
        // The one sync of a group commit.
        file.sync_data().map_err(|e| io_err(&path, "cannot fsync", &e))
    }

    fn staged(&self) -> Result<Vec<Vec<u8>>, LedgerError> {
        let bytes = self.read(JOURNAL)?.unwrap_or_default();
        Ok(frames(&bytes).0)
    }

    fn clear_staged(&self) -> Result<(), LedgerError> {
        self.writable()?;
        let path = self.root.join(JOURNAL);
        let guard = self.journal.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let file = guard.as_ref().ok_or_else(|| LedgerError::Storage("journal is not open".into()))?;
        file.set_len(0).map_err(|e| io_err(&path, "cannot truncate", &e))?;
        file.sync_all().map_err(|e| io_err(&path, "cannot fsync", &e))
    }
}

/// The complete records of a journal and the length of the valid prefix holding them.
fn frames(bytes: &[u8]) -> (Vec<Vec<u8>>, usize) {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(header) = bytes.get(at..at + FRAME_HEADER) {
        let len = u32::from_be_bytes([header[0], header[1], header[2], header[3]]) as usize;
        let Some(payload) = bytes.get(at + FRAME_HEADER..at + FRAME_HEADER + len) else { break };
        if Sha256::digest(payload)[..] != header[4..] {
            break;
        }
        out.push(payload.to_vec());
        at += FRAME_HEADER + len;
    }
    (out, at)
}
