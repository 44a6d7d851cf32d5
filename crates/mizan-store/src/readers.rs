//! SQLite connections outside sqlx for the hottest single-statement reads: every receipt
//! lookup and every group of decisions' idempotency-key lookup.
//!
//! sqlx runs each SQLite statement on a thread of its own and hands the answer back through a
//! channel. For a point lookup that takes a few microseconds, parking and waking those threads
//! cost more than the lookup: in a profile of receipt requests, a quarter of the server's time
//! went to those hand-offs. These connections run the statement on the caller's thread instead.
//! They only read (`query_only`), so the one-code-path rule for writes is untouched; PostgreSQL
//! reads keep going through the pool.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};

use rusqlite::{Connection, OpenFlags};

use crate::{Result, StoreError};

/// Settings of each reader connection. The journal mode (WAL) is the file's, set by the pool.
const READER_PRAGMAS: &str = "PRAGMA busy_timeout = 10000; PRAGMA mmap_size = 268435456; \
     PRAGMA query_only = ON;";

/// The reader connections of one SQLite file, opened on first use.
pub(crate) struct Readers {
    path: PathBuf,
    conns: OnceLock<Vec<Mutex<Connection>>>,
    next: AtomicUsize,
}

impl Readers {
    pub(crate) fn new(path: &Path) -> Self {
        Self { path: path.to_owned(), conns: OnceLock::new(), next: AtomicUsize::new(0) }
    }

    /// A connection: the first free one, else the next in turn (waiting for it). There is one
    /// more than there are cores, so a caller finds one free unless more lookups run than can
    /// run at once anyway.
    ///
    /// # Errors
    /// When the connections cannot be opened.
    pub(crate) fn get(&self) -> Result<MutexGuard<'_, Connection>> {
        let conns = match self.conns.get() {
            Some(c) => c,
            None => {
                let n = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get) + 1;
                let opened = (0..n).map(|_| open(&self.path).map(Mutex::new)).collect::<Result<Vec<_>>>()?;
                self.conns.get_or_init(|| opened)
            }
        };
        if let Some(free) = conns.iter().find_map(|c| c.try_lock().ok()) {
            return Ok(free);
        }
        let i = self.next.fetch_add(1, Ordering::Relaxed) % conns.len();
        // A panic while a statement ran leaves nothing to repair: statements reset when dropped.
        Ok(conns[i].lock().unwrap_or_else(PoisonError::into_inner))
    }
}

fn open(path: &Path) -> Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.execute_batch(READER_PRAGMAS)?;
    Ok(conn)
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Read(e.to_string())
    }
}
