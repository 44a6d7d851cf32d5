//! The object store against the `LogStore` contract and the ledger engine, on `object_store`'s
//! `InMemory` (conditional updates), on a local directory (`LocalFileSystem`: create-if-absent
//! only, swaps under the lock file), and on an S3-compatible server when `MIZAN_TEST_S3_URL`
//! names a bucket (credentials and endpoint from the usual `AWS_*` variables).

use std::sync::Arc;
use std::time::Duration;

use ed25519_dalek::SigningKey;
use mizan_ledger::LedgerError;
use mizan_ledger::log::{LeafIndex, Log, encode_staged};
use mizan_ledger::note::NoteSigner;
use mizan_ledger::sequencer::{Sequencer, SequencerConfig};
use mizan_ledger::store::LogStore;
use mizan_ledger::verify::verify_log;
use mizan_ledger_object::{ObjectLogStore, ObjectStorage};
use object_store::memory::InMemory;

const ORIGIN: &str = "decisions.mizan.example/2026";

fn signer() -> NoteSigner {
    NoteSigner::new(ORIGIN, SigningKey::from_bytes(&[5u8; 32])).unwrap()
}

/// The storages every test runs on, each with a fresh prefix or directory.
fn storages() -> Vec<(Arc<ObjectStorage>, Option<tempfile::TempDir>)> {
    let mut out = vec![(ObjectStorage::new(Arc::new(InMemory::new()), "memory:///").unwrap(), None)];
    let dir = tempfile::tempdir().unwrap();
    out.push((ObjectStorage::local(dir.path()).unwrap(), Some(dir)));
    if let Some(s3) = s3() {
        out.push((s3, None));
    }
    out
}

/// The S3-compatible bucket of `MIZAN_TEST_S3_URL`, under a fresh prefix; `None` (with the
/// reason printed) when the variable is unset. `scripts/test` (and so CI) starts a local S3
/// server, sets it and sets `MIZAN_TEST_REQUIRE_S3`, so there the S3 runs cannot be skipped.
fn s3() -> Option<Arc<ObjectStorage>> {
    let Ok(url) = std::env::var("MIZAN_TEST_S3_URL") else {
        assert!(
            std::env::var_os("MIZAN_TEST_REQUIRE_S3").is_none(),
            "MIZAN_TEST_REQUIRE_S3 is set but MIZAN_TEST_S3_URL is not"
        );
        eprintln!("skipping the S3 runs: MIZAN_TEST_S3_URL is not set (scripts/test sets it)");
        return None;
    };
    let prefix = format!("test-{:016x}", rand_u64());
    let options = std::env::vars().filter(|(k, _)| k.starts_with("AWS_"));
    Some(ObjectStorage::connect(&format!("{}/{prefix}", url.trim_end_matches('/')), options).unwrap())
}

fn rand_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos());
    h.finish()
}

fn conflict(r: Result<impl std::fmt::Debug, LedgerError>) -> String {
    match r {
        Err(LedgerError::Conflict(m)) => m,
        other => panic!("expected a conflict, got {other:?}"),
    }
}

#[test]
fn log_store_contract() {
    for (storage, _dir) in storages() {
        let store = storage.open_log("contract").unwrap();
        let url = store.url();
        assert_eq!(store.read("tile/0/000").unwrap(), None, "{url}");
        store.write_once("tile/0/000", b"tile").unwrap();
        store.write_once("tile/0/000", b"tile").unwrap();
        let msg = conflict(store.write_once("tile/0/000", b"other"));
        assert!(msg.contains(&format!("{url}/tile/0/000")), "the message names the object: {msg}");
        store
            .write_many(&[
                ("tile/0/000".into(), b"tile".to_vec()),
                ("tile/entries/000.p/1".into(), b"e".to_vec()),
            ])
            .unwrap();
        conflict(
            store.write_many(&[("tile/1/000.p/1".into(), vec![1]), ("tile/0/000".into(), b"x".to_vec())]),
        );
        assert_eq!(store.read("tile/entries/000.p/1").unwrap().as_deref(), Some(&b"e"[..]));
        assert!(matches!(store.read("../escape"), Err(LedgerError::Malformed(_))));
        assert!(matches!(store.read("tile//0"), Err(LedgerError::Malformed(_))));

        store.publish_checkpoint(b"one").unwrap();
        store.publish_checkpoint(b"two").unwrap();
        assert_eq!(store.read("checkpoint").unwrap().as_deref(), Some(&b"two"[..]));

        assert_eq!(store.latest().unwrap(), None);
        assert!(store.compare_and_swap_latest(None, b"a").unwrap());
        assert!(!store.compare_and_swap_latest(None, b"b").unwrap(), "created only once");
        assert!(!store.compare_and_swap_latest(Some(b"x"), b"b").unwrap(), "stale old value");
        assert!(store.compare_and_swap_latest(Some(b"a"), b"b").unwrap());
        assert!(store.compare_and_swap_latest(Some(b"b"), b"c").unwrap());
        assert_eq!(store.latest().unwrap().as_deref(), Some(&b"c"[..]));

        assert!(store.staged().unwrap().is_empty());
        for i in 0..12u8 {
            store.stage(&[i]).unwrap();
        }
        let staged = store.staged().unwrap();
        assert_eq!(staged, (0..12u8).map(|i| vec![i]).collect::<Vec<_>>(), "in staging order past 10");
        store.clear_staged().unwrap();
        assert!(store.staged().unwrap().is_empty());
        store.stage(b"after").unwrap();
        assert_eq!(store.staged().unwrap(), vec![b"after".to_vec()]);

        // Reading needs no writer; writing does.
        let ro = storage.read_only("contract").unwrap();
        assert_eq!(ro.read("tile/0/000").unwrap().as_deref(), Some(&b"tile"[..]));
        assert!(matches!(ro.write_once("tile/9/000", b"x"), Err(LedgerError::Storage(_))));
        drop(store);
        // A reopened writer continues the journal's numbering.
        let store = storage.open_log("contract").unwrap();
        store.stage(b"later").unwrap();
        assert_eq!(store.staged().unwrap(), vec![b"after".to_vec(), b"later".to_vec()]);
    }
}

#[test]
fn a_second_writer_cannot_move_the_latest_record() {
    // Two writers over one bucket (a deployment mistake): the swap still refuses a stale old
    // value, and the newer writer's claim stops the older one from staging (and so from
    // acknowledging) anything more. A local directory refuses the second writer outright.
    let buckets =
        std::iter::once(ObjectStorage::new(Arc::new(InMemory::new()), "memory:///").unwrap()).chain(s3());
    for storage in buckets {
        let a = storage.open_log("log").unwrap();
        let b = storage.open_log("log").unwrap();
        assert!(a.compare_and_swap_latest(None, b"1").unwrap());
        assert!(!b.compare_and_swap_latest(None, b"1b").unwrap(), "{}", b.url());
        assert_eq!(b.latest().unwrap().as_deref(), Some(&b"1"[..]));
        assert!(a.compare_and_swap_latest(Some(b"1"), b"2a").unwrap());
        // b read "1" and holds its version: the conditional update fails on the store.
        assert!(!b.compare_and_swap_latest(Some(b"1"), b"2b").unwrap(), "{}", b.url());
        assert_eq!(a.latest().unwrap().as_deref(), Some(&b"2a"[..]));
        // The second writer's claim fenced the first off: it acknowledges nothing more, and
        // what it staged is taken back, so the journal holds the second writer's batch alone.
        let msg = conflict(a.stage(b"from a"));
        assert!(msg.contains("another writer opened"), "{msg}");
        b.stage(b"from b").unwrap();
        conflict(a.stage(b"from a, again"));
        assert_eq!(b.staged().unwrap(), vec![b"from b".to_vec()], "{}", b.url());
        // A writer opened after a batch was staged lists it (and so replays it).
        let c = storage.open_log("log").unwrap();
        assert_eq!(c.staged().unwrap(), vec![b"from b".to_vec()]);
        let msg = conflict(b.stage(b"from b, again"));
        assert!(msg.contains("another writer opened"), "{msg}");
        c.stage(b"from c").unwrap();
        assert_eq!(c.staged().unwrap(), vec![b"from b".to_vec(), b"from c".to_vec()]);
    }

    let dir = tempfile::tempdir().unwrap();
    let local = ObjectStorage::local(dir.path()).unwrap();
    let _held = local.open_log("log").unwrap();
    let msg = conflict(local.open_log("log"));
    assert!(msg.contains(".state/lock"), "{msg}");
    // A URL names the same directory; the lock is the same file.
    let url = format!("file://{}", dir.path().display());
    conflict(ObjectStorage::connect(&url, Vec::<(String, String)>::new()).unwrap().open_log("log"));
}

#[test]
fn a_store_without_conditional_updates_says_so() {
    // LocalFileSystem implements PutMode::Create but not PutMode::Update.
    let dir = tempfile::tempdir().unwrap();
    let fs = object_store::local::LocalFileSystem::new_with_prefix(dir.path()).unwrap();
    let storage = ObjectStorage::new(Arc::new(fs), "file:///plain").unwrap();
    let store = storage.open_log("log").unwrap();
    store.write_once("tile/0/000", b"x").unwrap();
    conflict(store.write_once("tile/0/000", b"y"));
    assert!(store.compare_and_swap_latest(None, b"1").unwrap(), "the first record is a create");
    match store.compare_and_swap_latest(Some(b"1"), b"2") {
        Err(LedgerError::Storage(m)) => {
            assert!(m.contains("PutMode::Update") && m.contains("file:///plain/log/.state/latest"), "{m}");
        }
        other => panic!("expected a storage error, got {other:?}"),
    }
}

#[test]
fn log_appends_reopens_and_verifies() {
    for (storage, _dir) in storages() {
        {
            let store = Arc::new(storage.open_log("2026").unwrap());
            let mut log = Log::open(store.clone(), signer(), ORIGIN).unwrap();
            let entries: Vec<Vec<u8>> = (0..300u32).map(|i| i.to_be_bytes().to_vec()).collect();
            log.append_batch(&entries).unwrap();
            for path in
                ["tile/0/000", "tile/0/001.p/44", "tile/entries/001.p/44", "tile/1/000.p/1", "checkpoint"]
            {
                assert!(store.read(path).unwrap().is_some(), "{}/{path}", store.url());
            }
            log.receipt(LeafIndex(299)).unwrap().verify(&299u32.to_be_bytes(), &signer().verifier()).unwrap();
            // A tile is never overwritten, by the log or anyone else.
            conflict(store.write_once("tile/0/000", b"other"));
        }
        let store = Arc::new(storage.open_log("2026").unwrap());
        let mut log = Log::open(store, signer(), ORIGIN).unwrap();
        assert_eq!(log.size(), 300);
        log.append_batch(&[b"next".to_vec()]).unwrap();
        let ro = storage.read_only("2026").unwrap();
        assert_eq!(verify_log(&ro, &signer().verifier()).unwrap().size, 301);
    }
}

#[test]
fn journal_is_replayed_after_a_crash() {
    for (storage, _dir) in storages() {
        {
            let store = Arc::new(storage.open_log("j").unwrap());
            let mut log = Log::open(store.clone(), signer(), ORIGIN).unwrap();
            log.append_batch(&[b"zero".to_vec()]).unwrap();
            // Acknowledged by the sequencer, then the process died before integrating it.
            store.stage(&encode_staged(1, &[b"one".to_vec(), b"two".to_vec()]).unwrap()).unwrap();
            assert_eq!(store.staged().unwrap().len(), 1);
        }
        let store = Arc::new(storage.open_log("j").unwrap());
        let log = Log::open(store.clone(), signer(), ORIGIN).unwrap();
        assert_eq!(log.size(), 3);
        log.receipt(LeafIndex(2)).unwrap().verify(b"two", &signer().verifier()).unwrap();
        let seq = Sequencer::start(log, SequencerConfig::default()).unwrap();
        assert!(store.staged().unwrap().is_empty(), "the sequencer empties the integrated journal");
        let acks = seq.submit(vec![b"three".to_vec()]).unwrap();
        assert_eq!((acks[0].index.0, acks[0].covered_at), (3, 4));
        drop(seq.shutdown().unwrap());
        assert_eq!(verify_log(&storage.read_only("j").unwrap(), &signer().verifier()).unwrap().size, 4);
    }
}

#[test]
fn concurrent_submitters_through_the_sequencer() {
    for (storage, _dir) in storages() {
        let store = Arc::new(storage.open_log("seq").unwrap());
        let log = Log::open(store.clone(), signer(), ORIGIN).unwrap();
        let config = SequencerConfig {
            max_batch: 16,
            max_wait: Duration::from_millis(5),
            ..SequencerConfig::default()
        };
        let seq = Sequencer::start(log, config).unwrap();
        let handles: Vec<_> = (0..4)
            .map(|t| {
                let seq = seq.clone();
                std::thread::spawn(move || {
                    let mut got = Vec::new();
                    for i in 0..10u32 {
                        let acks =
                            seq.submit(vec![format!("t{t}-{i}").into_bytes(), b"pair".to_vec()]).unwrap();
                        assert_eq!(acks[1].index.0, acks[0].index.0 + 1);
                        got.extend(acks.iter().map(|a| a.index.0));
                    }
                    got
                })
            })
            .collect();
        let mut all: Vec<u64> = handles.into_iter().flat_map(|h| h.join().unwrap()).collect();
        all.sort_unstable();
        assert_eq!(all, (0..80).collect::<Vec<_>>());
        assert_eq!(seq.wait_published(80, Duration::from_secs(30)).unwrap(), 80);
        let reader = seq.reader();
        reader.receipt(LeafIndex(79)).unwrap();
        drop(seq.shutdown().unwrap());
        // Integrated batches are pruned from the journal in the background.
        let mut left = store.staged().unwrap().len();
        for _ in 0..100 {
            if left == 0 {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
            left = store.staged().unwrap().len();
        }
        assert_eq!(left, 0, "{}: integrated batches left in the journal", store.url());
        assert_eq!(verify_log(&storage.read_only("seq").unwrap(), &signer().verifier()).unwrap().size, 80);
    }
}

/// A second `mizan serve` started on a bucket log while the first still runs: the first stops
/// acknowledging, and every decision it did acknowledge is in the log the second one writes.
#[test]
fn a_newer_writer_takes_over_a_bucket_log_without_losing_an_acknowledged_leaf() {
    let buckets =
        std::iter::once(ObjectStorage::new(Arc::new(InMemory::new()), "memory:///").unwrap()).chain(s3());
    for storage in buckets {
        // An interval long enough that the first writer's batches are still in the journal.
        let config =
            SequencerConfig { integrate_interval: Duration::from_secs(3600), ..SequencerConfig::default() };
        let first = Arc::new(storage.open_log("takeover").unwrap());
        let old = Sequencer::start(Log::open(first, signer(), ORIGIN).unwrap(), config).unwrap();
        let acked: Vec<u64> = (0..5u8).map(|i| old.submit(vec![vec![b'a', i]]).unwrap()[0].index.0).collect();
        assert_eq!(acked, vec![0, 1, 2, 3, 4]);

        let second = Arc::new(storage.open_log("takeover").unwrap());
        let new = Sequencer::start(Log::open(second, signer(), ORIGIN).unwrap(), config).unwrap();
        // The old writer stages its batch, sees the claim is gone, and acknowledges nothing.
        assert!(old.submit(vec![b"late".to_vec()]).is_err(), "{}", storage.url());
        let next = new.submit(vec![b"b".to_vec()]).unwrap();
        assert_eq!(next[0].index.0, 5, "the new writer continues after every acknowledged leaf");
        assert_eq!(new.wait_published(6, Duration::from_secs(30)).unwrap(), 6);
        let reader = new.reader();
        for (i, want) in (0..5u8).map(|i| vec![b'a', i]).chain([b"b".to_vec()]).enumerate() {
            reader.receipt(LeafIndex(i as u64)).unwrap().verify(&want, &signer().verifier()).unwrap();
        }
        drop(new.shutdown().unwrap());
        let _ = old.shutdown();
        let ro = storage.read_only("takeover").unwrap();
        assert_eq!(verify_log(&ro, &signer().verifier()).unwrap().size, 6);
    }
}

fn use_from_async(store: &ObjectLogStore) {
    store.write_once("tile/0/000", b"t").unwrap();
    assert_eq!(store.read("tile/0/000").unwrap().as_deref(), Some(&b"t"[..]));
    assert!(store.compare_and_swap_latest(None, b"1").unwrap());
}

/// Runs `body` on a thread of its own and fails if it has not finished within a minute, so a
/// deadlock fails the test instead of hanging CI.
fn within_a_minute(body: impl FnOnce() + Send + 'static) {
    let (done, finished) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        body();
        let _ = done.send(());
    });
    match finished.recv_timeout(Duration::from_secs(60)) {
        Ok(()) => {}
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => panic!("deadlocked: not done within a minute"),
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => panic!("the body panicked (see above)"),
    }
}

#[test]
fn blocking_calls_from_a_current_thread_runtime_do_not_deadlock() {
    within_a_minute(|| {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let dir = tempfile::tempdir().unwrap();
            let storage = ObjectStorage::local(dir.path()).unwrap();
            use_from_async(&storage.open_log("a").unwrap());
            // Dropped inside async code: the store's runtime shuts down without blocking.
            drop(storage);
        });
    });
}

#[test]
fn blocking_calls_from_a_multi_thread_worker_do_not_deadlock() {
    within_a_minute(|| {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        rt.block_on(async {
            let storage = ObjectStorage::new(Arc::new(InMemory::new()), "memory:///").unwrap();
            use_from_async(&storage.open_log("a").unwrap());
            let more: Vec<_> = (0..4)
                .map(|i| {
                    let storage = storage.clone();
                    tokio::spawn(async move { use_from_async(&storage.open_log(&format!("b{i}")).unwrap()) })
                })
                .collect();
            for h in more {
                h.await.unwrap();
            }
        });
    });
}

#[test]
fn urls_are_checked() {
    let none = Vec::<(String, String)>::new;
    for bad in ["memory://", "gs://bucket/x", "file://relative/path", "s3://", "s3:///prefix"] {
        assert!(matches!(ObjectStorage::connect(bad, none()), Err(LedgerError::Malformed(_))), "{bad}");
    }
    let s3 =
        ObjectStorage::connect("s3://bucket/some/prefix/", [("aws_region", "eu-west-1"), ("unknown", "x")])
            .unwrap();
    assert_eq!(s3.url(), "s3://bucket/some/prefix");
    assert_eq!(s3.read_only("2026").unwrap().url(), "s3://bucket/some/prefix/2026");
    assert!(matches!(s3.read_only("a/../b"), Err(LedgerError::Malformed(_))));
}
