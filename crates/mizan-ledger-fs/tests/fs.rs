//! The filesystem store end to end: lock, durable layout, reopen, concurrent group commit,
//! and verification of the directory from scratch.

use std::sync::Arc;

use ed25519_dalek::SigningKey;
use mizan_ledger::LedgerError;
use mizan_ledger::log::Log;
use mizan_ledger::note::NoteSigner;
use mizan_ledger::store::LogStore;
use mizan_ledger::verify::verify_log;
use mizan_ledger_fs::{FsStore, Sequencer, SequencerConfig};

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
        SequencerConfig { max_entries: 64, max_wait: std::time::Duration::from_millis(20) },
    );
    let handles: Vec<_> = (0..8)
        .map(|t| {
            let seq = seq.clone();
            std::thread::spawn(move || {
                let mut got = Vec::new();
                for i in 0..10u32 {
                    let idx = seq.submit(vec![format!("t{t}-{i}").into_bytes(), b"pair".to_vec()]).unwrap();
                    assert_eq!(idx.len(), 2);
                    assert_eq!(idx[1].0, idx[0].0 + 1);
                    got.extend(idx);
                }
                got
            })
        })
        .collect();
    let mut all: Vec<u64> = handles.into_iter().flat_map(|h| h.join().unwrap()).map(|i| i.0).collect();
    all.sort_unstable();
    assert_eq!(all, (0..160).collect::<Vec<_>>());
    assert_eq!(seq.with_log(Log::size), 160);
    let ro = FsStore::read_only(&dir);
    assert_eq!(verify_log(&ro, &signer().verifier()).unwrap().size, 160);
    let _ = std::fs::remove_dir_all(&dir);
}
