//! The filesystem store end to end: lock, durable layout, reopen, concurrent group commit,
//! and verification of the directory from scratch.

use std::sync::Arc;
use std::time::Duration;

use ed25519_dalek::SigningKey;
use mizan_ledger::LedgerError;
use mizan_ledger::log::{LeafIndex, Log};
use mizan_ledger::note::NoteSigner;
use mizan_ledger::sequencer::{Sequencer, SequencerConfig};
use mizan_ledger::store::LogStore;
use mizan_ledger::verify::verify_log;
use mizan_ledger_fs::FsStore;

const ORIGIN: &str = "decisions.mizan.example/2026";

fn signer() -> NoteSigner {
    NoteSigner::new(ORIGIN, SigningKey::from_bytes(&[5u8; 32])).unwrap()
}

fn tmpdir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("mizan-ledger-fs-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

#[test]
fn lock_layout_reopen_and_verify() {
    let dir = tmpdir("layout");
    {
        let store = Arc::new(FsStore::open(&dir).unwrap());
        assert!(matches!(FsStore::open(&dir), Err(LedgerError::Conflict(_))));
        let mut log = Log::open(store.clone(), signer(), ORIGIN).unwrap();
        let entries: Vec<Vec<u8>> = (0..300u32).map(|i| i.to_be_bytes().to_vec()).collect();
        log.append_batch(&entries).unwrap();
        assert!(dir.join("tile/0/000").is_file());
        assert!(dir.join("tile/0/001.p/44").is_file());
        assert!(dir.join("tile/entries/001.p/44").is_file());
        assert!(dir.join("tile/1/000.p/1").is_file());
        assert!(dir.join("checkpoint").is_file());
        assert!(store.write_once("tile/0/000", b"other").is_err());
        // Batched writes keep the write-once rule and leave no temporary files behind.
        let same = store.read("tile/0/000").unwrap().unwrap();
        let fresh = ("tile/9/000.p/1".to_owned(), vec![1u8; 32]);
        let err = store.write_many(&[fresh.clone(), ("tile/0/000".into(), b"other".to_vec())]).unwrap_err();
        assert!(matches!(err, LedgerError::Conflict(_)), "{err}");
        store.write_many(&[("tile/0/000".into(), same), fresh]).unwrap();
        assert_eq!(store.read("tile/9/000.p/1").unwrap(), Some(vec![1u8; 32]));
        let leftovers: Vec<_> = std::fs::read_dir(dir.join("tile/9"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .filter(|n| n.to_string_lossy().starts_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
        assert!(store.read("../etc/passwd").is_err());
    }
    // lock released on drop; reopen continues the same log
    let store = Arc::new(FsStore::open(&dir).unwrap());
    let mut log = Log::open(store.clone(), signer(), ORIGIN).unwrap();
    assert_eq!(log.size(), 300);
    log.append_batch(&[b"next".to_vec()]).unwrap();
    let ro = FsStore::read_only(&dir);
    assert_eq!(verify_log(&ro, &signer().verifier()).unwrap().size, 301);
    assert!(ro.write_once("tile/x", b"y").is_err());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn concurrent_submitters_share_batches_and_get_contiguous_indices() {
    let dir = tmpdir("group");
    let store = Arc::new(FsStore::open(&dir).unwrap());
    let log = Log::open(store, signer(), ORIGIN).unwrap();
    let seq = Sequencer::start(
        log,
        SequencerConfig { max_batch: 64, max_wait: Duration::from_millis(20), ..SequencerConfig::default() },
    )
    .unwrap();
    let handles: Vec<_> = (0..8)
        .map(|t| {
            let seq = seq.clone();
            std::thread::spawn(move || {
                let mut got = Vec::new();
                for i in 0..10u32 {
                    let acks = seq.submit(vec![format!("t{t}-{i}").into_bytes(), b"pair".to_vec()]).unwrap();
                    assert_eq!(acks.len(), 2);
                    assert_eq!(acks[1].index.0, acks[0].index.0 + 1);
                    assert_eq!(acks[0].covered_at, acks[1].covered_at, "a submission is one batch");
                    got.extend(acks.iter().map(|a| (a.index.0, a.covered_at)));
                }
                got
            })
        })
        .collect();
    let mut all: Vec<(u64, u64)> = handles.into_iter().flat_map(|h| h.join().unwrap()).collect();
    all.sort_unstable();
    assert_eq!(all.iter().map(|a| a.0).collect::<Vec<_>>(), (0..160).collect::<Vec<_>>());
    // Shared batches: 80 submissions from 8 threads at once end in fewer batches than that
    // (each submitter blocks until its batch is durable, and the others' wait in the next).
    let mut batches: Vec<u64> = all.iter().map(|a| a.1).collect();
    batches.dedup();
    assert!(batches.len() < 80, "{} batches for 80 submissions: none shared", batches.len());
    for (index, covered) in &all {
        assert!(index < covered, "entry {index} is covered by its batch's end {covered}");
    }
    assert_eq!(seq.wait_published(160, Duration::from_secs(10)).unwrap(), 160);
    assert_eq!(seq.reader().size(), 160);
    drop(seq.shutdown().unwrap());
    let ro = FsStore::read_only(&dir);
    assert_eq!(verify_log(&ro, &signer().verifier()).unwrap().size, 160);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn journal_survives_restart_and_a_torn_tail_is_cut_off() {
    let dir = tmpdir("journal");
    {
        let store = Arc::new(FsStore::open(&dir).unwrap());
        let mut log = Log::open(store.clone(), signer(), ORIGIN).unwrap();
        log.append_batch(&[b"zero".to_vec()]).unwrap();
        // A batch acknowledged by the sequencer, then the process died before integrating it.
        store
            .stage(&mizan_ledger::log::encode_staged(1, &[b"one".to_vec(), b"two".to_vec()]).unwrap())
            .unwrap();
        assert_eq!(store.staged().unwrap().len(), 1);
    }
    // A crash in the middle of the next append left half a frame.
    let journal = dir.join(".state/journal");
    let mut bytes = std::fs::read(&journal).unwrap();
    let good = bytes.len();
    bytes.extend_from_slice(&[0, 0, 0, 50, 1, 2, 3]);
    std::fs::write(&journal, &bytes).unwrap();
    let store = Arc::new(FsStore::open(&dir).unwrap());
    assert_eq!(std::fs::metadata(&journal).unwrap().len(), good as u64, "torn tail cut off");
    let log = Log::open(store.clone(), signer(), ORIGIN).unwrap();
    assert_eq!(log.size(), 3);
    log.receipt(LeafIndex(2)).unwrap().verify(b"two", &signer().verifier()).unwrap();
    // The sequencer empties the integrated journal and appends after it.
    let seq = Sequencer::start(log, SequencerConfig::default()).unwrap();
    assert_eq!(std::fs::metadata(&journal).unwrap().len(), 0);
    let acks = seq.submit(vec![b"three".to_vec()]).unwrap();
    assert_eq!((acks[0].index.0, acks[0].covered_at), (3, 4));
    assert!(std::fs::metadata(&journal).unwrap().len() > 0, "staged before the acknowledgement");
    drop(seq.shutdown().unwrap());
    assert_eq!(verify_log(&FsStore::read_only(&dir), &signer().verifier()).unwrap().size, 4);
    let _ = std::fs::remove_dir_all(&dir);
}
