//! Signed notes, checkpoints, cosignatures and tlog-proofs: the spec example verifies, our own
//! goldens verify, and tampered copies fail with a clear error.

use base64::Engine;
use ed25519_dalek::SigningKey;
use mizan_ledger::LedgerError;
use mizan_ledger::checkpoint::{Checkpoint, TlogProof, open_checkpoint};
use mizan_ledger::merkle::{self, Hash};
use mizan_ledger::note::{self, CosignatureSigner, Note, NoteSigner, NoteVerifier};

const SPEC_NOTE: &str = include_str!("data/c2sp/peter_neumann.note");
const SPEC_VKEY: &str = include_str!("data/c2sp/peter_neumann.vkey");
const SPEC_SKEY: &str = include_str!("data/c2sp/peter_neumann.skey");
const ORIGIN: &str = "decisions.mizan.example/2026";

fn spec_signer() -> NoteSigner {
    let b64 = SPEC_SKEY.trim().splitn(5, '+').nth(4).unwrap();
    let raw = base64::engine::general_purpose::STANDARD.decode(b64).unwrap();
    assert_eq!(raw[0], 1);
    NoteSigner::new("PeterNeumann", SigningKey::from_bytes(&raw[1..].try_into().unwrap())).unwrap()
}

fn log_signer() -> NoteSigner {
    NoteSigner::new(ORIGIN, SigningKey::from_bytes(&[7u8; 32])).unwrap()
}

#[test]
fn spec_example_verifies_and_signing_reproduces_it() {
    let v = NoteVerifier::from_vkey(SPEC_VKEY.trim()).unwrap();
    assert_eq!(v.to_vkey(), SPEC_VKEY.trim());
    let n = Note::parse(SPEC_NOTE.as_bytes()).unwrap();
    n.verify(&v).unwrap();
    assert_eq!(n.to_text(), SPEC_NOTE);
    let s = spec_signer();
    assert_eq!(s.verifier().to_vkey(), SPEC_VKEY.trim());
    assert_eq!(s.sign(&n.text).unwrap(), SPEC_NOTE);
}

fn expect_sig_err(bytes: &[u8], v: &NoteVerifier, needle: &str) {
    let err = Note::parse(bytes).and_then(|n| n.verify(v)).unwrap_err();
    assert!(err.to_string().contains(needle), "`{err}` lacks `{needle}`");
}

#[test]
fn tampered_notes_fail() {
    let v = NoteVerifier::from_vkey(SPEC_VKEY.trim()).unwrap();
    // one byte of the text
    let t = SPEC_NOTE.replacen("cryptography", "cryptographY", 1);
    expect_sig_err(t.as_bytes(), &v, "does not match the note text");
    // one byte of the signature
    let t = SPEC_NOTE.replacen("x08go", "x08gp", 1);
    assert!(Note::parse(t.as_bytes()).and_then(|n| n.verify(&v)).is_err());
    // reordered lines
    let t = "then you don't know what your problem is.\nIf you think cryptography is the answer to your problem,\n\n"
        .to_owned()
        + SPEC_NOTE.split("\n\n").nth(1).unwrap();
    expect_sig_err(t.as_bytes(), &v, "does not match");
    // wrong key
    let other = NoteSigner::new("PeterNeumann", SigningKey::from_bytes(&[1u8; 32])).unwrap();
    expect_sig_err(SPEC_NOTE.as_bytes(), &other.verifier(), "no signature by key");
    // structure
    assert!(matches!(Note::parse(b"no blank line\n"), Err(LedgerError::Malformed(_))));
    assert!(Note::parse(b"text\n\nnot a signature\n").unwrap_err().to_string().contains("line 1"));
    assert!(Note::parse(b"te\x07xt\n\n\xe2\x80\x94 a AAAAAAAA\n").is_err());
    // bad vkeys
    assert!(
        NoteVerifier::from_vkey("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")
            .unwrap_err()
            .to_string()
            .contains("does not match the key")
    );
    assert!(NoteVerifier::from_vkey("nokey").is_err());
}

fn golden_checkpoint() -> (Checkpoint, Vec<Vec<u8>>) {
    let entries: Vec<Vec<u8>> = (0u32..10).map(|i| format!("decision {i}").into_bytes()).collect();
    let hashes: Vec<Hash> = entries.iter().map(|e| merkle::leaf_hash(e)).collect();
    let cp = Checkpoint {
        origin: ORIGIN.into(),
        size: 10,
        root: merkle::tree_root(&hashes[..], 10).unwrap(),
        extensions: vec![],
    };
    (cp, entries)
}

#[test]
fn checkpoint_round_trip_and_tampering() {
    let (cp, _) = golden_checkpoint();
    let signer = log_signer();
    let v = signer.verifier();
    let signed = cp.sign(&signer).unwrap();
    let opened = open_checkpoint(signed.as_bytes(), &v).unwrap();
    assert_eq!(opened.checkpoint, cp);
    assert!(signed.starts_with(&format!("{ORIGIN}\n10\n")));
    // wrong origin: key named differently
    let other = NoteSigner::new("decisions.other.example/2026", SigningKey::from_bytes(&[7u8; 32])).unwrap();
    assert!(cp.sign(&other).unwrap_err().to_string().contains("key name must equal the origin"));
    let err = open_checkpoint(signed.as_bytes(), &other.verifier()).unwrap_err();
    assert!(err.to_string().contains("origin is"), "{err}");
    // one byte of the size
    let t = signed.replacen("\n10\n", "\n11\n", 1);
    assert!(matches!(open_checkpoint(t.as_bytes(), &v), Err(LedgerError::Signature(_))));
    // bodies
    assert!(Checkpoint::parse_body("o\n010\nAAAA\n").unwrap_err().to_string().contains("line 2"));
    assert!(Checkpoint::parse_body("o\n1\nAAAA\n").unwrap_err().to_string().contains("line 3"));
    assert!(Checkpoint::parse_body("o\n1\n").is_err());
}

#[test]
fn cosignatures_verify_and_reject_tampering() {
    let (cp, _) = golden_checkpoint();
    let w = CosignatureSigner::new("witness.example/w1", SigningKey::from_bytes(&[9u8; 32])).unwrap();
    let wv = NoteVerifier::from_vkey(&w.verifier().to_vkey()).unwrap();
    let sig = w.cosign(&cp.body(), 1_700_000_000).unwrap();
    assert_eq!(note::verify_cosignature(&wv, &cp.body(), &sig).unwrap(), 1_700_000_000);
    let mut other = cp.clone();
    other.size = 11;
    assert!(note::verify_cosignature(&wv, &other.body(), &sig).is_err());
    let mut bad = sig.clone();
    bad.sig[3] ^= 1; // timestamp byte
    assert!(note::verify_cosignature(&wv, &cp.body(), &bad).is_err());
    // tlog-cosignature: the timestamp MUST NOT exceed 2^63 - 1, even under a valid signature
    assert!(w.cosign(&cp.body(), 1 << 63).is_err());
    let late = 1u64 << 63;
    let raw = ed25519_dalek::Signer::sign(
        &SigningKey::from_bytes(&[9u8; 32]),
        note::cosignature_message(late, &cp.body()).as_bytes(),
    );
    let mut forged = sig.clone();
    forged.sig = [late.to_be_bytes().as_slice(), &raw.to_bytes()].concat();
    let err = note::verify_cosignature(&wv, &cp.body(), &forged).unwrap_err();
    assert!(err.to_string().contains("2^63 - 1"), "{err}");
    // a log key is not a witness key
    assert!(note::verify_cosignature(&log_signer().verifier(), &cp.body(), &sig).is_err());
    // the cosigned note still verifies for the log key
    let signed = cp.sign(&log_signer()).unwrap();
    let mut n = Note::parse(signed.as_bytes()).unwrap();
    n.signatures.push(sig);
    let cp2 = open_checkpoint(n.to_text().as_bytes(), &log_signer().verifier()).unwrap();
    assert_eq!(cp2.note.signatures.len(), 2);
}

#[test]
fn tlog_proof_golden_round_trip_and_tampering() {
    let (cp, entries) = golden_checkpoint();
    let hashes: Vec<Hash> = entries.iter().map(|e| merkle::leaf_hash(e)).collect();
    let signer = log_signer();
    let proof = TlogProof {
        extra: None,
        index: 3,
        proof: merkle::prove_inclusion(&hashes[..], 3, 10).unwrap(),
        checkpoint: cp.sign(&signer).unwrap(),
    };
    let text = proof.encode();
    let golden = include_str!("data/c2sp/receipt.tlog-proof");
    assert_eq!(text, golden, "golden receipt changed");
    let parsed = TlogProof::parse(golden).unwrap();
    assert_eq!(parsed, proof);
    parsed.verify(&entries[3], &signer.verifier()).unwrap();
    assert!(parsed.verify(&entries[4], &signer.verifier()).is_err());
    let mut wrong_index = parsed.clone();
    wrong_index.index = 4;
    assert!(wrong_index.verify(&entries[3], &signer.verifier()).is_err());
    // one byte of a proof hash
    let t = golden.replacen("index 3\n", "index 3\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n", 1);
    assert!(TlogProof::parse(&t).unwrap().verify(&entries[3], &signer.verifier()).is_err());
    assert!(TlogProof::parse("nope\n\n").unwrap_err().to_string().contains("line 1"));
}
