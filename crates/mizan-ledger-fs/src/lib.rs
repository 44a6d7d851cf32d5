//! Filesystem storage and the group-commit sequencer thread for the decision ledger.
//!
//! [`FsStore`] lays a log out as C2SP tlog-tiles files under one directory. Every write goes
//! temp file → write → fsync → rename → fsync directory, so a file is either absent or
//! complete; tiles and bundles are never overwritten. The latest signed checkpoint record
//! lives in `.state/latest` (not served). [`FsStore::open`] takes an exclusive lock on
//! `.state/lock` so only one writer runs per log. [`Sequencer`] batches submissions (up to N
//! entries or T milliseconds) and acknowledges each submitter only after its batch is durable.
#![warn(missing_docs)]

/// The ledger engine, re-exported so a caller needs one dependency.
pub use mizan_ledger as ledger;

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use mizan_ledger::LedgerError;
use mizan_ledger::log::{LeafIndex, Log};
use mizan_ledger::store::{CHECKPOINT_PATH, LogStore};

const LATEST: &str = ".state/latest";
const LOCK: &str = ".state/lock";

/// A log directory on the local filesystem.
#[derive(Debug)]
pub struct FsStore {
    root: PathBuf,
    cas: Mutex<()>,
    tmp_counter: AtomicU64,
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
        Ok(Self {
            root: root.to_owned(),
            cas: Mutex::new(()),
            tmp_counter: AtomicU64::new(0),
            _lock: Some(lock),
        })
    }

    /// Opens `root` for reading only (no lock; writes fail).
    #[must_use]
    pub fn read_only(root: &Path) -> Self {
        Self { root: root.to_owned(), cas: Mutex::new(()), tmp_counter: AtomicU64::new(0), _lock: None }
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

    /// temp file → write → fsync → rename → fsync directory.
    fn atomic_write(&self, path: &Path, data: &[u8]) -> Result<(), LedgerError> {
        let dir = path.parent().unwrap_or(&self.root);
        fs::create_dir_all(dir).map_err(|e| io_err(dir, "cannot create", &e))?;
        let n = self.tmp_counter.fetch_add(1, Ordering::Relaxed);
        let tmp = dir.join(format!(".tmp-{}-{n}", std::process::id()));
        let mut f = File::create(&tmp).map_err(|e| io_err(&tmp, "cannot create", &e))?;
        f.write_all(data).map_err(|e| io_err(&tmp, "cannot write", &e))?;
        f.sync_all().map_err(|e| io_err(&tmp, "cannot fsync", &e))?;
        drop(f);
        fs::rename(&tmp, path).map_err(|e| io_err(path, "cannot rename into", &e))?;
        File::open(dir).and_then(|d| d.sync_all()).map_err(|e| io_err(dir, "cannot fsync directory", &e))
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
}

/// Group-commit settings.
#[derive(Clone, Copy, Debug)]
pub struct SequencerConfig {
    /// Most entries in one batch.
    pub max_entries: usize,
    /// Longest a submission waits for others to join its batch.
    pub max_wait: Duration,
}

impl Default for SequencerConfig {
    fn default() -> Self {
        Self { max_entries: 4096, max_wait: Duration::from_millis(5) }
    }
}

type Reply = mpsc::Sender<Result<Vec<LeafIndex>, LedgerError>>;

/// A running sequencer thread; clone the handle to submit from many threads.
#[derive(Clone, Debug)]
pub struct Sequencer {
    tx: mpsc::Sender<(Vec<Vec<u8>>, Reply)>,
    state: Arc<Mutex<Log>>,
}

impl Sequencer {
    /// Starts the batching thread over `log`.
    #[must_use]
    pub fn start(log: Log, config: SequencerConfig) -> Self {
        let (tx, rx) = mpsc::channel::<(Vec<Vec<u8>>, Reply)>();
        let state = Arc::new(Mutex::new(log));
        let log = state.clone();
        thread::spawn(move || {
            while let Ok(first) = rx.recv() {
                let deadline = Instant::now() + config.max_wait;
                let mut pending = vec![first];
                let mut count = pending[0].0.len();
                while count < config.max_entries {
                    let left = deadline.saturating_duration_since(Instant::now());
                    match rx.recv_timeout(left) {
                        Ok(sub) => {
                            count += sub.0.len();
                            pending.push(sub);
                        }
                        Err(_) => break,
                    }
                }
                let all: Vec<&[u8]> = pending.iter().flat_map(|(e, _)| e.iter().map(Vec::as_slice)).collect();
                let mut guard = log.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                let result = guard.append_batch(&all);
                drop(guard);
                match result {
                    Ok(indices) => {
                        let mut at = 0;
                        for (entries, reply) in pending {
                            let n = entries.len();
                            let _ = reply.send(Ok(indices[at..at + n].to_vec()));
                            at += n;
                        }
                    }
                    Err(e) => {
                        for (_, reply) in pending {
                            let _ = reply.send(Err(e.clone()));
                        }
                    }
                }
            }
        });
        Self { tx, state }
    }

    /// Submits entries and blocks until their batch is durable and in a signed checkpoint.
    ///
    /// # Errors
    /// The batch's error (no entry of a failed batch is acknowledged).
    pub fn submit(&self, entries: Vec<Vec<u8>>) -> Result<Vec<LeafIndex>, LedgerError> {
        let (rtx, rrx) = mpsc::channel();
        self.tx
            .send((entries, rtx))
            .map_err(|_| LedgerError::Storage("the sequencer thread has stopped".into()))?;
        rrx.recv().map_err(|_| LedgerError::Storage("the sequencer thread has stopped".into()))?
    }

    /// Runs `f` with the log (for checkpoints, proofs and receipts).
    pub fn with_log<T>(&self, f: impl FnOnce(&Log) -> T) -> T {
        f(&self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner))
    }
}
