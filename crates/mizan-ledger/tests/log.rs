//! The sequencer over an in-memory store: roots, tiles, proofs, receipts, crash recovery,
//! refusing to run behind a published checkpoint, and verification from scratch.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use ed25519_dalek::SigningKey;
use mizan_ledger::LedgerError;
use mizan_ledger::checkpoint::open_checkpoint;
use mizan_ledger::leaf::{LeafCommitment, canonical_json};
use mizan_ledger::log::{LeafIndex, Log, read_tile};
use mizan_ledger::merkle::{self, Hash};
use mizan_ledger::note::NoteSigner;
use mizan_ledger::store::{LogStore, MemoryStore};
use mizan_ledger::tile::TileId;
use mizan_ledger::verify::verify_log;
use proptest::prelude::*;

const ORIGIN: &str = "decisions.mizan.example/2026";

fn signer() -> NoteSigner {
    NoteSigner::new(ORIGIN, SigningKey::from_bytes(&[3u8; 32])).unwrap()
}

fn entry(i: u64) -> Vec<u8> {
    format!("entry-{i}-{}", "x".repeat((i % 17) as usize)).into_bytes()
}

fn check_log(log: &Log, store: &MemoryStore, all: &[Hash]) {
    let size = all.len() as u64;
    assert_eq!(log.size(), size);
    assert_eq!(log.root(), merkle::tree_root(all, size).unwrap());
    let cp = verify_log(store, &signer().verifier()).unwrap();
    assert_eq!(cp.size, size);
    for idx in [0, size / 3, size.saturating_sub(1)] {
        if idx < size {
            let p = log.prove_inclusion(LeafIndex(idx), size).unwrap();
            merkle::verify_inclusion(&all[idx as usize], idx, size, &p, &log.root()).unwrap();
            let receipt = log.receipt(LeafIndex(idx)).unwrap();
            let text = receipt.encode();
            let parsed = mizan_ledger::checkpoint::TlogProof::parse(&text).unwrap();
            parsed.verify(&entry(idx), &signer().verifier()).unwrap();
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn batches_match_reference(batches in proptest::collection::vec(1usize..600, 1..6)) {
        let store = Arc::new(MemoryStore::new());
        let mut log = Log::open(store.clone(), signer(), ORIGIN).unwrap();
        let mut all = Vec::new();
        let mut roots = Vec::new();
        for b in batches {
            let start = all.len() as u64;
            let entries: Vec<Vec<u8>> = (start..start + b as u64).map(entry).collect();
            let idx = log.append_batch(&entries).unwrap();
            prop_assert_eq!(idx.first().copied(), Some(LeafIndex(start)));
            prop_assert_eq!(idx.len(), b);
            all.extend(entries.iter().map(|e| merkle::leaf_hash(e)));
            check_log(&log, &store, &all);
            roots.push((log.size(), log.root()));
        }
        // consistency between every pair of published sizes
        for &(old, old_root) in &roots {
            let p = log.prove_consistency(old, log.size()).unwrap();
            merkle::verify_consistency(old, log.size(), &old_root, &log.root(), &p).unwrap();
        }
        // reopening rebuilds the same state and keeps appending correctly
        drop(log);
        let mut log = Log::open(store.clone(), signer(), ORIGIN).unwrap();
        let s = all.len() as u64;
        log.append_batch(&[entry(s)]).unwrap();
        all.push(merkle::leaf_hash(&entry(s)));
        check_log(&log, &store, &all);
    }
}

#[test]
fn large_log_spans_three_tile_levels() {
    let store = Arc::new(MemoryStore::new());
    let mut log = Log::open(store.clone(), signer(), ORIGIN).unwrap();
    let mut all = Vec::new();
    let n = 66_000u64;
    for chunk in (0..n).collect::<Vec<_>>().chunks(1000) {
        let entries: Vec<Vec<u8>> = chunk.iter().map(|&i| entry(i)).collect();
        log.append_batch(&entries).unwrap();
        all.extend(entries.iter().map(|e| merkle::leaf_hash(e)));
    }
    assert!(store.paths().iter().any(|p| p.starts_with("tile/2/")));
    check_log(&log, &store, &all);
    // hash tiles stay within 33 bytes per entry
    let tile_bytes: usize = store
        .paths()
        .iter()
        .filter(|p| !p.starts_with("tile/entries") && p.starts_with("tile/"))
        .map(|p| store.read(p).unwrap().unwrap().len())
        .sum();
    // Superseded partial tiles are gone, so hash tiles take at most 33 bytes an entry.
    assert!(tile_bytes as u64 <= 33 * n, "{tile_bytes} bytes of hash tiles for {n} entries");
}

#[test]
fn partial_tiles_go_once_full_and_old_sizes_still_prove_from_the_full_tile() {
    let store = Arc::new(MemoryStore::new());
    let mut log = Log::open(store.clone(), signer(), ORIGIN).unwrap();
    let mut all = Vec::new();
    let append = |log: &mut Log, n: u64, all: &mut Vec<Hash>| {
        let start = all.len() as u64;
        let entries: Vec<Vec<u8>> = (start..start + n).map(entry).collect();
        log.append_batch(&entries).unwrap();
        all.extend(entries.iter().map(|e| merkle::leaf_hash(e)));
    };
    append(&mut log, 100, &mut all);
    let (old, old_root) = (log.size(), log.root());
    let partial = TileId { level: 0, index: 0, width: 100 };
    let partial_bundle = store.read(&partial.entries_path()).unwrap().expect("partial bundle at 100");
    let partial_tile = store.read(&partial.path()).unwrap().expect("partial tile at 100");
    append(&mut log, 200, &mut all); // the first tile is now full
    let paths = store.paths();
    assert!(
        !paths.iter().any(|p| p.starts_with("tile/0/000.p/") || p.starts_with("tile/entries/000.p/")),
        "{paths:?}"
    );
    assert!(paths.iter().any(|p| p == "tile/0/001.p/44"), "the newest partial tile stays: {paths:?}");
    // A reader at the old size gets the partial tile's bytes from the full tile.
    assert_eq!(read_tile(store.as_ref(), partial, true).unwrap(), partial_bundle);
    assert_eq!(read_tile(store.as_ref(), partial, false).unwrap(), partial_tile);
    // Proofs at the old size still build and verify.
    for idx in [0u64, 57, 99] {
        let p = log.prove_inclusion(LeafIndex(idx), old).unwrap();
        merkle::verify_inclusion(&all[idx as usize], idx, old, &p, &old_root).unwrap();
    }
    let c = log.prove_consistency(old, log.size()).unwrap();
    merkle::verify_consistency(old, log.size(), &old_root, &log.root(), &c).unwrap();
    // Missing both is still an error that names the tile.
    let err = read_tile(store.as_ref(), TileId { level: 0, index: 7, width: 3 }, false).unwrap_err();
    assert!(err.to_string().contains("tile/0/007.p/3"), "{err}");
    check_log(&log, &store, &all);
}

/// A store that fails every write after a budget, to simulate a crash mid-batch.
struct Crashy {
    inner: Arc<MemoryStore>,
    budget: AtomicUsize,
}

impl LogStore for Crashy {
    fn read(&self, p: &str) -> Result<Option<Vec<u8>>, LedgerError> {
        self.inner.read(p)
    }
    fn write_once(&self, p: &str, d: &[u8]) -> Result<(), LedgerError> {
        if self.budget.fetch_sub(1, Ordering::SeqCst) == 0 {
            return Err(LedgerError::Storage("crash".into()));
        }
        self.inner.write_once(p, d)
    }
    fn publish_checkpoint(&self, d: &[u8]) -> Result<(), LedgerError> {
        self.inner.publish_checkpoint(d)
    }
    fn latest(&self) -> Result<Option<Vec<u8>>, LedgerError> {
        self.inner.latest()
    }
    fn compare_and_swap_latest(&self, o: Option<&[u8]>, n: &[u8]) -> Result<bool, LedgerError> {
        if self.budget.load(Ordering::SeqCst) > 1_000_000 {
            return Err(LedgerError::Storage("crash".into()));
        }
        self.inner.compare_and_swap_latest(o, n)
    }
    fn stage(&self, r: &[u8]) -> Result<(), LedgerError> {
        self.inner.stage(r)
    }
    fn staged(&self) -> Result<Vec<Vec<u8>>, LedgerError> {
        self.inner.staged()
    }
    fn clear_staged(&self) -> Result<(), LedgerError> {
        self.inner.clear_staged()
    }
}

#[test]
fn crash_mid_batch_recovers_staged_entries_and_verifies() {
    // 0..5 crash during staging; the last one crashes at the compare-and-swap after staging.
    for budget in [0, 1, 2, 3, 4, usize::MAX / 2] {
        let inner = Arc::new(MemoryStore::new());
        let mut all = Vec::new();
        {
            let mut log = Log::open(inner.clone(), signer(), ORIGIN).unwrap();
            let first: Vec<Vec<u8>> = (0..300).map(entry).collect();
            log.append_batch(&first).unwrap();
            all.extend(first.iter().map(|e| merkle::leaf_hash(e)));
        }
        let crashy = Arc::new(Crashy { inner: inner.clone(), budget: AtomicUsize::new(budget) });
        let mut log = Log::open(crashy, signer(), ORIGIN).unwrap();
        let second: Vec<Vec<u8>> = (300..700).map(entry).collect();
        assert!(log.append_batch(&second).is_err(), "budget {budget}");
        drop(log);
        let log = Log::open(inner.clone(), signer(), ORIGIN).unwrap();
        // Either the staged bundles were adopted whole, or nothing was staged.
        let size = log.size();
        assert!(size == 300 || size == 700 || size == 512, "budget {budget}: size {size}");
        all.extend(second.iter().take((size - 300) as usize).map(|e| merkle::leaf_hash(e)));
        check_log(&log, &inner, &all);
    }
}

#[test]
fn refuses_to_run_behind_a_published_checkpoint_and_detects_a_second_writer() {
    let ahead = Arc::new(MemoryStore::new());
    let mut a = Log::open(ahead.clone(), signer(), ORIGIN).unwrap();
    a.append_batch(&(0..10).map(entry).collect::<Vec<_>>()).unwrap();
    let published_ahead = ahead.read("checkpoint").unwrap().unwrap();

    let store = Arc::new(MemoryStore::new());
    let mut log = Log::open(store.clone(), signer(), ORIGIN).unwrap();
    log.append_batch(&(0..5).map(entry).collect::<Vec<_>>()).unwrap();
    // a second writer on the same store loses the compare-and-swap
    let mut other = Log::open(store.clone(), signer(), ORIGIN).unwrap();
    log.append_batch(&[entry(5)]).unwrap();
    assert!(matches!(other.append_batch(&[b"fork".to_vec()]), Err(LedgerError::Conflict(_))));
    drop((log, other));
    // roll back: the published checkpoint is ahead of the latest signed record
    store.tamper("checkpoint", published_ahead);
    let err = Log::open(store, signer(), ORIGIN).unwrap_err();
    assert!(matches!(err, LedgerError::Inconsistent(_)), "{err}");
    // wrong origin for the key
    assert!(Log::open(Arc::new(MemoryStore::new()), signer(), "other.example/2026").is_err());
}

#[test]
fn verify_names_the_wrong_tile_and_index() {
    let store = Arc::new(MemoryStore::new());
    let mut log = Log::open(store.clone(), signer(), ORIGIN).unwrap();
    log.append_batch(&(0..300).map(entry).collect::<Vec<_>>()).unwrap();
    let mut tile = store.read("tile/0/000").unwrap().unwrap();
    tile[32 * 7] ^= 1;
    store.tamper("tile/0/000", tile);
    let err = verify_log(store.as_ref(), &signer().verifier()).unwrap_err().to_string();
    assert!(err.contains("tile/0/000") && err.contains("leaf index 7"), "{err}");
    // a changed entry changes the root
    let store2 = Arc::new(MemoryStore::new());
    let mut log2 = Log::open(store2.clone(), signer(), ORIGIN).unwrap();
    log2.append_batch(&(0..3).map(entry).collect::<Vec<_>>()).unwrap();
    let b = mizan_ledger::tile::encode_bundle(&[entry(0), entry(9), entry(2)]).unwrap();
    store2.tamper("tile/entries/000.p/3", b);
    let err = verify_log(store2.as_ref(), &signer().verifier()).unwrap_err().to_string();
    assert!(err.contains("tile/0/000.p/3") && err.contains("leaf index 1"), "{err}");
    // oversized entries are rejected before anything is written
    let before = store2.paths();
    assert!(log2.append_batch(&[vec![0u8; 70_000]]).is_err());
    assert_eq!(store2.paths(), before);
}

#[test]
fn erased_commitments_cannot_be_linked_and_the_log_still_verifies() {
    let record = serde_json::json!({"z": 1, "a": {"y": [true, null], "b": "x"}, "subject": "ref-123"});
    assert_eq!(canonical_json(&record), r#"{"a":{"b":"x","y":[true,null]},"subject":"ref-123","z":1}"#);
    let k = [42u8; 32];
    let c = LeafCommitment::commit("SYS00001", 1_780_000_059, &record, &k).unwrap();
    assert_eq!(c.minute, 1_780_000_059 / 60);
    let bytes = c.to_bytes();
    assert_eq!(bytes.len(), 49);
    assert_eq!(LeafCommitment::from_bytes(&bytes).unwrap(), c);
    assert!(c.opens(&record, &k));
    // the same record under a different key (what an attacker without k can try) does not open
    assert!(!c.opens(&record, &[43u8; 32]));
    let mut other = record.clone();
    other["subject"] = serde_json::json!("ref-124");
    assert!(!c.opens(&other, &k));
    // no part of the record or subject is in the leaf
    assert!(!bytes.windows(7).any(|w| w == b"ref-123"));
    // the same record with fresh keys gives unrelated leaves
    let c2 = LeafCommitment::commit("SYS00001", 1_780_000_059, &record, &[7u8; 32]).unwrap();
    assert_ne!(c.mac, c2.mac);
    // erase k and the record: the log still verifies
    let store = Arc::new(MemoryStore::new());
    let mut log = Log::open(store.clone(), signer(), ORIGIN).unwrap();
    log.append_batch(&[bytes.to_vec(), c2.to_bytes().to_vec()]).unwrap();
    drop((k, record));
    let cp = verify_log(store.as_ref(), &signer().verifier()).unwrap();
    assert_eq!(cp.size, 2);
    assert!(open_checkpoint(log.checkpoint().unwrap(), &signer().verifier()).is_ok());
    assert!(LeafCommitment::commit("SHORT", 0, &serde_json::json!({}), &[0; 32]).is_err());
    assert!(LeafCommitment::from_bytes(&[2u8; 49]).is_err());
}

#[test]
fn subtree_reads_outside_the_tree_are_errors_not_panics() {
    use mizan_ledger::log::TileReader;
    use mizan_ledger::merkle::HashReader;
    let store = Arc::new(MemoryStore::new());
    let mut log = Log::open(store.clone(), signer(), ORIGIN).unwrap();
    log.append_batch(&(0..10).map(entry).collect::<Vec<_>>()).unwrap();
    let r = TileReader::new(store.as_ref(), 10);
    assert!(r.subtree(0, 9).is_ok());
    // Before: a subtree past the last tile of a level underflowed the tile width and panicked.
    for (level, n) in [(0, 10), (4, 5), (8, 0), (8, 300), (16, 1), (200, u64::MAX)] {
        assert!(matches!(r.subtree(level, n), Err(LedgerError::Missing(_))), "{level}/{n}");
    }
}
