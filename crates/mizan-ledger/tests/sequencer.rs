//! Group commit: concurrent submitters get contiguous unique indices in shared batches, and a
//! crash at any storage operation (before or after it takes effect) loses no acknowledged
//! entry, leaves a log that verifies from scratch, and never signs two roots for one size.

use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ed25519_dalek::SigningKey;
use mizan_ledger::LedgerError;
use mizan_ledger::checkpoint::open_checkpoint;
use mizan_ledger::log::{LeafIndex, Log};
use mizan_ledger::merkle::{self, Hash};
use mizan_ledger::note::NoteSigner;
use mizan_ledger::sequencer::{Ack, Sequencer, SequencerConfig};
use mizan_ledger::store::{LogStore, MemoryStore};
use mizan_ledger::verify::verify_log;

const ORIGIN: &str = "decisions.mizan.example/2026";

fn signer() -> NoteSigner {
    NoteSigner::new(ORIGIN, SigningKey::from_bytes(&[21u8; 32])).unwrap()
}

fn config(max_batch: usize, wait_ms: u64) -> SequencerConfig {
    SequencerConfig {
        max_batch,
        max_wait: Duration::from_millis(wait_ms),
        max_unintegrated_batches: 4,
        journal_bytes: 2048,
        ..SequencerConfig::default()
    }
}

#[test]
fn concurrent_submitters_get_contiguous_unique_indices() {
    let store = Arc::new(MemoryStore::new());
    let log = Log::open(store.clone(), signer(), ORIGIN).unwrap();
    let seq = Sequencer::start(log, config(64, 20)).unwrap();
    let threads: Vec<_> = (0..8u32)
        .map(|t| {
            let seq = seq.clone();
            std::thread::spawn(move || {
                let mut got = Vec::new();
                for i in 0..40u32 {
                    let entries: Vec<Vec<u8>> =
                        (0..=(i % 3)).map(|j| format!("t{t}-s{i}-e{j}").into_bytes()).collect();
                    let acks = seq.submit(entries.clone()).unwrap();
                    assert_eq!(acks.len(), entries.len());
                    for (k, (a, e)) in acks.iter().zip(&entries).enumerate() {
                        assert_eq!(a.index.0, acks[0].index.0 + k as u64, "contiguous within a submission");
                        assert_eq!(a.leaf_hash, merkle::leaf_hash(e));
                        assert!(a.covered_at > a.index.0);
                    }
                    got.extend(acks.into_iter().zip(entries));
                }
                got
            })
        })
        .collect();
    let all: Vec<(Ack, Vec<u8>)> = threads.into_iter().flat_map(|h| h.join().unwrap()).collect();
    let n = all.len() as u64;
    let mut indices: Vec<u64> = all.iter().map(|(a, _)| a.index.0).collect();
    indices.sort_unstable();
    assert_eq!(indices, (0..n).collect::<Vec<_>>(), "unique and gap-free");
    let batches: HashSet<u64> = all.iter().map(|(a, _)| a.covered_at).collect();
    assert!(batches.len() < 8 * 40, "submissions were grouped: {} batches", batches.len());
    assert_eq!(seq.staged_size(), n);
    assert!(seq.wait_published(n, Duration::from_secs(10)).unwrap() >= n);
    let reader = seq.reader();
    for (a, e) in all.iter().step_by(7) {
        reader.receipt(a.index).unwrap().verify(e, &signer().verifier()).unwrap();
    }
    let log = seq.shutdown().unwrap();
    assert_eq!(log.size(), n);
    assert_eq!(verify_log(store.as_ref(), &signer().verifier()).unwrap().size, n);
    // oversized entries are refused before they are queued
    let seq = Sequencer::start(log, config(64, 1)).unwrap();
    assert!(matches!(seq.submit(vec![vec![0; 70_000]]), Err(LedgerError::Malformed(_))));
    assert_eq!(seq.shutdown().unwrap().size(), n);
}

/// Fails every mutating operation from the `budget`-th on, as a crash would. With
/// `apply_last`, the operation that exhausts the budget takes effect before it fails (the
/// write reached the disk, the process died before it returned).
struct FailAfter {
    inner: Arc<MemoryStore>,
    budget: AtomicUsize,
    apply_last: bool,
    dead: AtomicBool,
    signed: Mutex<Vec<Vec<u8>>>,
}

impl FailAfter {
    fn op(&self, apply: impl FnOnce() -> Result<(), LedgerError>) -> Result<(), LedgerError> {
        if self.dead.load(Ordering::SeqCst) {
            return Err(LedgerError::Storage("crashed".into()));
        }
        if self.budget.fetch_sub(1, Ordering::SeqCst) == 0 {
            self.dead.store(true, Ordering::SeqCst);
            if self.apply_last {
                apply()?;
            }
            return Err(LedgerError::Storage("crashed".into()));
        }
        apply()
    }
}

impl LogStore for FailAfter {
    fn read(&self, p: &str) -> Result<Option<Vec<u8>>, LedgerError> {
        self.inner.read(p)
    }
    fn write_once(&self, p: &str, d: &[u8]) -> Result<(), LedgerError> {
        self.op(|| self.inner.write_once(p, d))
    }
    fn publish_checkpoint(&self, d: &[u8]) -> Result<(), LedgerError> {
        self.op(|| self.inner.publish_checkpoint(d))
    }
    fn latest(&self) -> Result<Option<Vec<u8>>, LedgerError> {
        self.inner.latest()
    }
    fn compare_and_swap_latest(&self, o: Option<&[u8]>, n: &[u8]) -> Result<bool, LedgerError> {
        let mut swapped = false;
        self.op(|| {
            swapped = self.inner.compare_and_swap_latest(o, n)?;
            if swapped {
                self.signed.lock().unwrap().push(n.to_vec());
            }
            Ok(())
        })?;
        Ok(swapped)
    }
    fn stage(&self, r: &[u8]) -> Result<(), LedgerError> {
        self.op(|| self.inner.stage(r))
    }
    fn staged(&self) -> Result<Vec<Vec<u8>>, LedgerError> {
        self.inner.staged()
    }
    fn clear_staged(&self) -> Result<(), LedgerError> {
        self.op(|| self.inner.clear_staged())
    }
}

/// Acknowledgements with the entries they were for.
type Acked = Vec<(Ack, Vec<u8>)>;

fn root_of(note: &[u8]) -> (u64, Hash) {
    let cp = open_checkpoint(note, &signer().verifier()).unwrap().checkpoint;
    (cp.size, cp.root)
}

#[test]
fn crash_at_any_storage_operation_loses_no_acknowledged_entry() {
    crash_at_any_storage_operation(Duration::ZERO);
}

/// The same with integration held back: acknowledged batches wait for the integrator, and the
/// small journal makes the sequencer ask for integrations early.
#[test]
fn crash_at_any_storage_operation_with_an_integration_interval() {
    crash_at_any_storage_operation(Duration::from_millis(5));
}

fn crash_at_any_storage_operation(interval: Duration) {
    let config =
        |max_batch, wait_ms| SequencerConfig { integrate_interval: interval, ..config(max_batch, wait_ms) };
    let mut acked_total = 0;
    let mut crashed_after_acks = 0;
    for budget in 0..60 {
        for apply_last in [false, true] {
            let inner = Arc::new(MemoryStore::new());
            // A log with some history, so recovery starts from a real checkpoint.
            let mut log = Log::open(inner.clone(), signer(), ORIGIN).unwrap();
            log.append_batch(&(0..300u32).map(|i| format!("old {i}").into_bytes()).collect::<Vec<_>>())
                .unwrap();
            let mut signed = vec![inner.latest().unwrap().unwrap()];
            drop(log);

            let crashy = Arc::new(FailAfter {
                inner: inner.clone(),
                budget: AtomicUsize::new(budget),
                apply_last,
                dead: AtomicBool::new(false),
                signed: Mutex::new(Vec::new()),
            });
            let acked: Arc<Mutex<Acked>> = Arc::default();
            let outcome = Log::open(crashy.clone(), signer(), ORIGIN)
                .and_then(|log| Sequencer::start(log, config(16, 2)));
            if let Ok(seq) = outcome {
                let threads: Vec<_> = (0..4u32)
                    .map(|t| {
                        let (seq, acked) = (seq.clone(), acked.clone());
                        std::thread::spawn(move || {
                            for i in 0..25u32 {
                                let entries: Vec<Vec<u8>> = (0..=(i % 4))
                                    .map(|j| format!("b{budget}-t{t}-{i}-{j}").into_bytes())
                                    .collect();
                                match seq.submit(entries.clone()) {
                                    Ok(acks) => acked.lock().unwrap().extend(acks.into_iter().zip(entries)),
                                    Err(_) => break,
                                }
                            }
                        })
                    })
                    .collect();
                for h in threads {
                    h.join().unwrap();
                }
                let _ = seq.shutdown(); // the "crash": whatever was not done is lost
            }
            signed.extend(crashy.signed.lock().unwrap().iter().cloned());

            // Restart on the surviving storage.
            let ctx = format!("budget {budget}, apply_last {apply_last}");
            let log = Log::open(inner.clone(), signer(), ORIGIN).unwrap_or_else(|e| panic!("{ctx}: {e}"));
            signed.push(inner.latest().unwrap().unwrap());
            let cp =
                verify_log(inner.as_ref(), &signer().verifier()).unwrap_or_else(|e| panic!("{ctx}: {e}"));
            assert_eq!(cp.size, log.size());
            let reader = log.reader();
            for (ack, entry) in acked.lock().unwrap().iter() {
                let receipt = reader.receipt(ack.index).unwrap_or_else(|e| panic!("{ctx}: {e}"));
                receipt
                    .verify(entry, &signer().verifier())
                    .unwrap_or_else(|e| panic!("{ctx}: leaf {}: {e}", ack.index.0));
                assert!(log.size() >= ack.covered_at, "{ctx}");
            }
            // The log never signed two roots for one size, and every root it signed is a
            // prefix of the recovered log.
            let mut roots: BTreeMap<u64, Hash> = BTreeMap::new();
            for note in &signed {
                let (size, root) = root_of(note);
                assert_eq!(*roots.entry(size).or_insert(root), root, "{ctx}: two roots for size {size}");
                let p = log.prove_consistency(size, log.size()).unwrap();
                merkle::verify_consistency(size, log.size(), &root, &log.root(), &p)
                    .unwrap_or_else(|e| panic!("{ctx}: {e}"));
            }
            let n = acked.lock().unwrap().len();
            acked_total += n;
            crashed_after_acks += usize::from(n > 0 && crashy.dead.load(Ordering::SeqCst));
            // And it keeps going.
            let seq = Sequencer::start(log, config(16, 1)).unwrap();
            let ack = seq.submit(vec![b"after restart".to_vec()]).unwrap();
            assert_eq!(ack[0].index.0, cp.size, "{ctx}");
            assert_eq!(seq.shutdown().unwrap().size(), cp.size + 1);
        }
    }
    assert!(acked_total > 500 && crashed_after_acks > 40, "{acked_total} acks, {crashed_after_acks} crashes");
}

#[test]
fn acknowledgements_do_not_wait_for_the_integration_interval() {
    let store = Arc::new(MemoryStore::new());
    let log = Log::open(store.clone(), signer(), ORIGIN).unwrap();
    let cfg = SequencerConfig {
        integrate_interval: Duration::from_secs(3600),
        journal_bytes: 1 << 30,
        ..config(64, 0)
    };
    let seq = Sequencer::start(log, cfg).unwrap();
    // The first batch is integrated at once (no integration yet to space it from)...
    seq.submit(vec![b"first".to_vec()]).unwrap();
    assert_eq!(seq.wait_published(1, Duration::from_secs(5)).unwrap(), 1);
    // ...later ones are acknowledged while nothing more is published: order, not time, is
    // what is checked (the interval is an hour, so it cannot pass during the test).
    for i in 0..20u32 {
        seq.submit(vec![format!("later {i}").into_bytes()]).unwrap();
    }
    assert_eq!(seq.reader().size(), 1, "acknowledged before being published");
    assert_eq!(seq.wait_published(21, Duration::from_millis(50)).unwrap(), 1, "not before the interval");
    assert_eq!(seq.shutdown().unwrap().size(), 21);
    assert_eq!(verify_log(store.as_ref(), &signer().verifier()).unwrap().size, 21);
}

#[test]
fn a_full_journal_is_integrated_and_emptied_without_waiting_for_the_interval() {
    let store = Arc::new(MemoryStore::new());
    let log = Log::open(store.clone(), signer(), ORIGIN).unwrap();
    // An interval far longer than the test, and a journal that fills every few batches.
    let cfg =
        SequencerConfig { integrate_interval: Duration::from_secs(3600), journal_bytes: 512, ..config(8, 0) };
    let seq = Sequencer::start(log, cfg).unwrap();
    let started = std::time::Instant::now();
    for i in 0..100u32 {
        seq.submit(vec![format!("entry {i:03} with some bytes").into_bytes()]).unwrap();
    }
    assert!(started.elapsed() < Duration::from_secs(30));
    assert!(seq.reader().size() >= 90, "the full journal forced integrations: {}", seq.reader().size());
    assert!(store.staged().unwrap().len() < 100, "the journal was emptied");
    let log = seq.shutdown().unwrap();
    assert_eq!(log.size(), 100);
    assert_eq!(verify_log(store.as_ref(), &signer().verifier()).unwrap().size, 100);
}

#[test]
fn journaled_batches_are_integrated_on_open() {
    // Acknowledged but never integrated: only the journal holds them.
    let store = Arc::new(MemoryStore::new());
    let mut log = Log::open(store.clone(), signer(), ORIGIN).unwrap();
    log.append_batch(&[b"zero".to_vec()]).unwrap();
    drop(log);
    let rec = mizan_ledger::log::encode_staged(1, &[b"one".to_vec(), b"two".to_vec()]).unwrap();
    store.stage(&rec).unwrap();
    let log = Log::open(store.clone(), signer(), ORIGIN).unwrap();
    assert_eq!(log.size(), 3);
    log.receipt(LeafIndex(2)).unwrap().verify(b"two", &signer().verifier()).unwrap();
    // A journal that does not continue the log is refused, not silently skipped.
    drop(log);
    store.clear_staged().unwrap();
    store.stage(&mizan_ledger::log::encode_staged(5, &[b"gap".to_vec()]).unwrap()).unwrap();
    let err = Log::open(store, signer(), ORIGIN).unwrap_err();
    assert!(matches!(err, LedgerError::Inconsistent(_)), "{err}");
}
