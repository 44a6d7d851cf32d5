//! The monitor follows a growing log across tile and level boundaries, and reports a rollback,
//! a second root at one size, an inconsistent checkpoint, a missing tile or bundle, a wrong
//! tile and a bad signature, each as its own kind of error.

use std::collections::HashSet;
use std::sync::Arc;

use ed25519_dalek::SigningKey;
use mizan_ledger::LedgerError;
use mizan_ledger::log::Log;
use mizan_ledger::monitor::{MonitorError, MonitorState, step};
use mizan_ledger::note::NoteSigner;
use mizan_ledger::store::{LogStore, MemoryStore};

const ORIGIN: &str = "decisions.mizan.example/2026";

fn signer() -> NoteSigner {
    NoteSigner::new(ORIGIN, SigningKey::from_bytes(&[5u8; 32])).unwrap()
}

fn grow(log: &mut Log, from: u64, n: u64, tag: &str) {
    let entries: Vec<Vec<u8>> = (from..from + n).map(|i| format!("{tag}{i}").into_bytes()).collect();
    for chunk in entries.chunks(5000) {
        log.append_batch(chunk).unwrap();
    }
}

fn new_log() -> (Arc<MemoryStore>, Log) {
    let store = Arc::new(MemoryStore::new());
    let log = Log::open(store.clone(), signer(), ORIGIN).unwrap();
    (store, log)
}

/// Reads through to a store, hiding some paths (a log that lost files).
struct Hiding<'a> {
    inner: &'a dyn LogStore,
    hidden: HashSet<String>,
}

impl LogStore for Hiding<'_> {
    fn read(&self, path: &str) -> Result<Option<Vec<u8>>, LedgerError> {
        if self.hidden.contains(path) { Ok(None) } else { self.inner.read(path) }
    }
    fn write_once(&self, path: &str, data: &[u8]) -> Result<(), LedgerError> {
        self.inner.write_once(path, data)
    }
    fn publish_checkpoint(&self, data: &[u8]) -> Result<(), LedgerError> {
        self.inner.publish_checkpoint(data)
    }
    fn latest(&self) -> Result<Option<Vec<u8>>, LedgerError> {
        self.inner.latest()
    }
    fn compare_and_swap_latest(&self, old: Option<&[u8]>, new: &[u8]) -> Result<bool, LedgerError> {
        self.inner.compare_and_swap_latest(old, new)
    }
    fn stage(&self, record: &[u8]) -> Result<(), LedgerError> {
        self.inner.stage(record)
    }
    fn staged(&self) -> Result<Vec<Vec<u8>>, LedgerError> {
        self.inner.staged()
    }
    fn clear_staged(&self) -> Result<(), LedgerError> {
        self.inner.clear_staged()
    }
}

fn hiding<'a>(inner: &'a dyn LogStore, paths: &[&str]) -> Hiding<'a> {
    Hiding { inner, hidden: paths.iter().map(|p| (*p).to_owned()).collect() }
}

#[test]
fn follows_a_growing_log_across_tile_and_level_boundaries() {
    let (store, mut log) = new_log();
    let state = MonitorState::new(signer().verifier());
    // No checkpoint yet: the log has published nothing.
    assert!(
        matches!(step(&state, store.as_ref()), Err(MonitorError::Missing(m)) if m.contains("checkpoint"))
    );
    let mut state = state;
    let mut size = 0;
    for n in [1u64, 2, 253, 1, 300, 65_000, 1, 0, 7] {
        grow(&mut log, size, n, "e");
        size += n;
        let s = step(&state, store.as_ref()).unwrap();
        assert_eq!((s.old_size, s.new_size), (size - n, size));
        // The state survives its text form.
        state = MonitorState::parse(&s.state.encode()).unwrap();
        assert_eq!(state, s.state);
    }
    assert_eq!(state.size(), 65_565);
    // Starting from nothing re-hashes the whole log in one step, level-1 tile included.
    let fresh = step(&MonitorState::new(signer().verifier()), store.as_ref()).unwrap();
    assert_eq!(fresh.state, state);
}

#[test]
fn forks_and_rollbacks_are_reported() {
    let (store, mut log) = new_log();
    grow(&mut log, 0, 300, "a");
    let seen = step(&MonitorState::new(signer().verifier()), store.as_ref()).unwrap().state;
    // The same key signs a different history that is larger: inconsistent.
    let (fork_store, mut fork) = new_log();
    grow(&mut fork, 0, 310, "b");
    let err = step(&seen, fork_store.as_ref()).unwrap_err();
    assert!(matches!(&err, MonitorError::Fork(m) if m.contains("not consistent with size 300")), "{err}");
    // Same size, another root.
    let (same_store, mut same) = new_log();
    grow(&mut same, 0, 300, "c");
    let err = step(&seen, same_store.as_ref()).unwrap_err();
    assert!(matches!(&err, MonitorError::Fork(m) if m.contains("two roots for size 300")), "{err}");
    // Smaller: the log went back.
    let (small_store, mut small) = new_log();
    grow(&mut small, 0, 299, "a");
    let err = step(&seen, small_store.as_ref()).unwrap_err();
    assert!(matches!(&err, MonitorError::Fork(m) if m.contains("went back from size 300")), "{err}");
    // A fork that shares the prefix but rewrote an old tile and its bundle consistently with a
    // new root is still caught, because the old root is pinned.
    let (bad_store, mut bad) = new_log();
    grow(&mut bad, 0, 299, "a");
    grow(&mut bad, 299, 20, "z");
    let err = step(&seen, bad_store.as_ref()).unwrap_err();
    assert!(matches!(err, MonitorError::Fork(_)), "{err}");
}

#[test]
fn missing_and_wrong_files_are_reported() {
    let (store, mut log) = new_log();
    grow(&mut log, 0, 10, "a");
    let seen = step(&MonitorState::new(signer().verifier()), store.as_ref()).unwrap().state;
    grow(&mut log, 10, 600, "a");
    // A missing entry bundle.
    let err = step(&seen, &hiding(store.as_ref(), &["tile/entries/001"])).unwrap_err();
    assert_eq!(err, MonitorError::Missing("entry bundle `tile/entries/001`".into()));
    // A missing hash tile (the consistency proof needs it).
    let err = step(&seen, &hiding(store.as_ref(), &["tile/0/000"])).unwrap_err();
    assert!(matches!(&err, MonitorError::Missing(m) if m.contains("tile/0/000")), "{err}");
    // A missing partial tile of the new size.
    let err = step(&seen, &hiding(store.as_ref(), &["tile/0/002.p/98"])).unwrap_err();
    assert!(matches!(&err, MonitorError::Missing(m) if m.contains("tile/0/002.p/98")), "{err}");
    // A hash tile that disagrees with its entries.
    let mut t = store.read("tile/0/001").unwrap().unwrap();
    t[32 * 5] ^= 1;
    store.tamper("tile/0/001", t);
    let err = step(&seen, store.as_ref()).unwrap_err();
    assert!(
        matches!(&err, MonitorError::Invalid(m) if m.contains("hash tile `tile/0/001` is wrong at leaf index 261")),
        "{err}"
    );
}

#[test]
fn altered_entries_and_signatures_are_reported() {
    let (store, mut log) = new_log();
    grow(&mut log, 0, 40, "a");
    let seen = step(&MonitorState::new(signer().verifier()), store.as_ref()).unwrap().state;
    grow(&mut log, 40, 10, "a");
    // An entry changed in the bundle: re-hashing catches it at its leaf.
    let b = store.read("tile/entries/000.p/50").unwrap().unwrap();
    let s = String::from_utf8_lossy(&b).replacen("a45", "A45", 1);
    store.tamper("tile/entries/000.p/50", s.into_bytes());
    let err = step(&seen, store.as_ref()).unwrap_err();
    assert!(matches!(&err, MonitorError::Invalid(m) if m.contains("leaf index 45")), "{err}");
    // A checkpoint signed by another key.
    let other = NoteSigner::new(ORIGIN, SigningKey::from_bytes(&[6u8; 32])).unwrap();
    let ostore = Arc::new(MemoryStore::new());
    Log::open(ostore.clone(), other, ORIGIN).unwrap().append_batch(&[b"x"]).unwrap();
    let err = step(&seen, ostore.as_ref()).unwrap_err();
    assert!(matches!(&err, MonitorError::Invalid(m) if m.contains("no signature by key")), "{err}");
}

#[test]
fn state_files_are_checked() {
    let (store, mut log) = new_log();
    grow(&mut log, 0, 3, "a");
    let state = step(&MonitorState::new(signer().verifier()), store.as_ref()).unwrap().state;
    let text = state.encode();
    assert!(text.starts_with("mizan.monitor/v1\nvkey decisions.mizan.example/2026+"));
    assert!(text.contains("\n\ndecisions.mizan.example/2026\n3\n"));
    let bad = text.replacen("\n3\n", "\n4\n", 1);
    let err = MonitorState::parse(&bad).unwrap_err();
    assert!(err.to_string().contains("stored checkpoint does not verify"), "{err}");
    assert!(MonitorState::parse("mizan.monitor/v2\n").is_err());
    let fresh = MonitorState::new(signer().verifier());
    assert_eq!(MonitorState::parse(&fresh.encode()).unwrap(), fresh);
}
