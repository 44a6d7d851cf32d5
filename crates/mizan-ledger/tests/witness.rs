//! Witness add-checkpoint: advances on consistent checkpoints, rejects forks, stale sizes and
//! foreign logs, and concurrent calls cannot roll its state back.

use std::sync::Arc;

use ed25519_dalek::SigningKey;
use mizan_ledger::LedgerError;
use mizan_ledger::log::Log;
use mizan_ledger::note::{CosignatureSigner, NoteSigner, verify_cosignature};
use mizan_ledger::store::MemoryStore;
use mizan_ledger::witness::{MemoryWitnessStore, Witness, WitnessStore};

const ORIGIN: &str = "decisions.mizan.example/2026";

fn signer() -> NoteSigner {
    NoteSigner::new(ORIGIN, SigningKey::from_bytes(&[3u8; 32])).unwrap()
}

fn grow(log: &mut Log, n: u32, tag: &str) {
    let entries: Vec<Vec<u8>> = (0..n).map(|i| format!("{tag}{i}").into_bytes()).collect();
    log.append_batch(&entries).unwrap();
}

#[test]
fn witness_follows_rejects_forks_and_never_rolls_back() {
    let wsigner = CosignatureSigner::new("witness.example/w1", SigningKey::from_bytes(&[8u8; 32])).unwrap();
    let witness = Arc::new(Witness::new(wsigner.clone(), vec![signer().verifier()]));
    let state = Arc::new(MemoryWitnessStore::default());
    let mut log = Log::open(Arc::new(MemoryStore::new()), signer(), ORIGIN).unwrap();
    grow(&mut log, 10, "a");
    let cp10 = log.checkpoint().unwrap().to_vec();
    let sig = witness.add_checkpoint(state.as_ref(), 0, &[], &cp10, 1000).unwrap();
    let body = String::from_utf8(cp10.clone()).unwrap();
    let body = &body[..body.find("\n\n").unwrap() + 1];
    assert_eq!(verify_cosignature(&wsigner.verifier(), body, &sig).unwrap(), 1000);
    // stale old size → 409 with the stored size
    grow(&mut log, 5, "b");
    let cp15 = log.checkpoint().unwrap().to_vec();
    assert_eq!(
        witness.add_checkpoint(state.as_ref(), 3, &[], &cp15, 1001).unwrap_err(),
        LedgerError::WitnessSize { stored: 10 }
    );
    // bad proof → rejected, state unchanged
    assert!(matches!(
        witness.add_checkpoint(state.as_ref(), 10, &[], &cp15, 1001),
        Err(LedgerError::Proof(_))
    ));
    let proof = log.prove_consistency(10, 15).unwrap();
    witness.add_checkpoint(state.as_ref(), 10, &proof, &cp15, 1002).unwrap();
    assert_eq!(state.get(ORIGIN).unwrap().unwrap().0, 15);
    // a fork: a different log with the same key and a larger size is inconsistent
    let mut fork = Log::open(Arc::new(MemoryStore::new()), signer(), ORIGIN).unwrap();
    grow(&mut fork, 20, "z");
    let fork_proof = fork.prove_consistency(15, 20).unwrap();
    let err = witness
        .add_checkpoint(state.as_ref(), 15, &fork_proof, fork.checkpoint().unwrap(), 1003)
        .unwrap_err();
    assert!(matches!(err, LedgerError::Proof(_)), "{err}");
    // unknown log and bad signature
    let other = NoteSigner::new("other.example/log", SigningKey::from_bytes(&[4u8; 32])).unwrap();
    let mut olog = Log::open(Arc::new(MemoryStore::new()), other, "other.example/log").unwrap();
    grow(&mut olog, 1, "o");
    assert!(matches!(
        witness.add_checkpoint(state.as_ref(), 0, &[], olog.checkpoint().unwrap(), 1),
        Err(LedgerError::Missing(_))
    ));
    let tampered = String::from_utf8(cp15.clone()).unwrap().replacen("\n15\n", "\n16\n", 1);
    assert!(matches!(
        witness.add_checkpoint(state.as_ref(), 15, &[], tampered.as_bytes(), 1),
        Err(LedgerError::Signature(_))
    ));
    // concurrent calls from size 15: older and newer checkpoints race; the state only grows
    grow(&mut log, 10, "c");
    let cp25 = log.checkpoint().unwrap().to_vec();
    let p25 = log.prove_consistency(15, 25).unwrap();
    let handles: Vec<_> = (0..8)
        .map(|i| {
            let (w, s, cp, p) = (witness.clone(), state.clone(), cp25.clone(), p25.clone());
            let (cp_old, p_old) = (cp15.clone(), Vec::new());
            std::thread::spawn(move || {
                if i % 2 == 0 {
                    w.add_checkpoint(s.as_ref(), 15, &p, &cp, 2000).is_ok()
                } else {
                    w.add_checkpoint(s.as_ref(), 15, &p_old, &cp_old, 2000).is_ok()
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(state.get(ORIGIN).unwrap().unwrap().0, 25);
}
