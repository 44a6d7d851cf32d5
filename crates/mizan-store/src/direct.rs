//! SQLite connections outside sqlx for the decision intake's hot path: every receipt lookup,
//! every group of decisions' idempotency-key lookup, and the transaction that stores a group's
//! decisions.
//!
//! sqlx runs each SQLite statement on a thread of its own and hands the answer back through a
//! channel. For a point lookup that takes a few microseconds, parking and waking those threads
//! cost more than the lookup: in a profile of receipt requests, a quarter of the server's time
//! went to those hand-offs. Storing a group made one such round trip for `BEGIN`, one per
//! insert statement and one for `COMMIT`, each on the path to every acknowledgement. These
//! connections run the statements on the caller's thread instead. Everything else, and
//! everything on PostgreSQL, goes through sqlx; the writer here takes the store's write lock
//! like every other SQLite write, so the two never contend for the database's one writer slot.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};

use rusqlite::{Connection, OpenFlags};

use crate::{Result, StoreError};

/// Settings of each reader connection. The journal mode (WAL) is the file's, set by the pool.
const READER_PRAGMAS: &str = "PRAGMA busy_timeout = 10000; PRAGMA mmap_size = 268435456; \
     PRAGMA query_only = ON;";

/// The direct connections to one SQLite file, opened on first use.
pub(crate) struct Direct {
    path: PathBuf,
    conns: OnceLock<Vec<Mutex<Connection>>>,
    next: AtomicUsize,
    writer: OnceLock<Mutex<Connection>>,
}

impl Direct {
    pub(crate) fn new(path: &Path) -> Self {
        Self {
            path: path.to_owned(),
            conns: OnceLock::new(),
            next: AtomicUsize::new(0),
            writer: OnceLock::new(),
        }
    }

    /// The writer connection, with the pool's settings (`synchronous = FULL` above all: a
    /// commit is on disk when it returns). Callers hold the store's write lock.
    ///
    /// # Errors
    /// When the connection cannot be opened.
    pub(crate) fn writer(&self) -> Result<MutexGuard<'_, Connection>> {
        let conn = match self.writer.get() {
            Some(c) => c,
            None => {
                let conn = open(&self.path, crate::SQLITE_PRAGMAS)?;
                self.writer.get_or_init(|| Mutex::new(conn))
            }
        };
        Ok(conn.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// A reader connection: the first free one, else the next in turn (waiting for it). There
    /// is one more than there are cores, so a caller finds one free unless more lookups run
    /// than can run at once anyway.
    ///
    /// # Errors
    /// When the connections cannot be opened.
    pub(crate) fn reader(&self) -> Result<MutexGuard<'_, Connection>> {
        let conns = match self.conns.get() {
            Some(c) => c,
            None => {
                let n = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get) + 1;
                let opened = (0..n)
                    .map(|_| open(&self.path, READER_PRAGMAS).map(Mutex::new))
                    .collect::<Result<Vec<_>>>()?;
                self.conns.get_or_init(|| opened)
            }
        };
        if let Some(free) = conns.iter().find_map(|c| c.try_lock().ok()) {
            return Ok(free);
        }
        let i = self.next.fetch_add(1, Ordering::Relaxed) % conns.len();
        // A panic while a statement ran leaves nothing to repair: statements reset when dropped
        // (and a transaction rolls back).
        Ok(conns[i].lock().unwrap_or_else(PoisonError::into_inner))
    }
}

fn open(path: &Path, pragmas: &str) -> Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.execute_batch(pragmas)?;
    Ok(conn)
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Direct(e.to_string())
    }
}
