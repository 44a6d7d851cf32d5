//! Signed-note conformance against published vectors, plus a cross-check with the independent
//! `signed_note` crate (cloudflare/azul).
//!
//! Sources (data copied, code not):
//! - golang.org/x/mod `sumdb/note/note_test.go` at commit
//!   `fe2ec04f7c3c3aa6fad97631aafcff6e49e2d1db`: the PeterNeumann and EnochRoot keys and
//!   signatures, the mangled-key loops, the malformed-message list, the 101-signature note.
//! - C2SP `signed-note.md` at commit `5ba5ee830903e91240fc6f9f3a7a9293d49e69c9` (last changed in
//!   `b3a911e3f2bd75a6ccdd0bf04e9e1912961c439a`): the `example.com/foo` vkey and note.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use ed25519_dalek::SigningKey;
use mizan_ledger::LedgerError;
use mizan_ledger::note::{self, ALG_ED25519, MAX_SIGNATURES, Note, NoteSigner, NoteVerifier};

// x/mod sumdb/note/note_test.go (TestNewVerifier, TestNewSigner, TestSign, TestOpen).
const PETER_VKEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
const PETER_SKEY: &str = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
const ENOCH_VKEY: &str = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
const TEXT: &str =
    "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const PETER_SIG: &str = "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
const ENOCH_SIG: &str = "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";

// C2SP signed-note.md, "Verifier keys" example.
const FOO_VKEY: &str = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k";
const FOO_NOTE: &str = "This is an example message.\n\n— example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n";

fn open(msg: &str, v: &NoteVerifier) -> Result<Note, LedgerError> {
    let n = Note::parse(msg.as_bytes())?;
    n.verify(v)?;
    Ok(n)
}

fn key_bytes(vkey: &str) -> [u8; 32] {
    let raw = B64.decode(vkey.rsplit('+').next().unwrap()).unwrap();
    raw[1..].try_into().unwrap()
}

#[test]
fn key_ids_are_computed_as_published() {
    for (vkey, name, id) in [
        (PETER_VKEY, "PeterNeumann", 0xc74f_20a3_u32),
        (ENOCH_VKEY, "EnochRoot", 0xaf0c_fe78),
        (FOO_VKEY, "example.com/foo", 0x530d_903a),
    ] {
        assert_eq!(note::key_id(name, ALG_ED25519, &key_bytes(vkey)), id.to_be_bytes(), "{name}");
        let v = NoteVerifier::from_vkey(vkey).unwrap();
        assert_eq!(v.key_id(), id.to_be_bytes());
        assert_eq!(v.name(), name);
        assert_eq!(v.to_vkey(), vkey, "vkeys round-trip byte for byte");
    }
    // The same key as a cosignature/v1 key (type 0x04) has a different id.
    assert_ne!(
        note::key_id("PeterNeumann", note::ALG_COSIGNATURE_V1, &key_bytes(PETER_VKEY)),
        [0xc7, 0x4f, 0x20, 0xa3]
    );
}

#[test]
fn published_notes_verify_and_signing_reproduces_them() {
    let peter = NoteVerifier::from_vkey(PETER_VKEY).unwrap();
    let n = open(&format!("{TEXT}\n{PETER_SIG}"), &peter).unwrap();
    assert_eq!(n.text, TEXT);
    // Ed25519 is deterministic: signing the text with the published private key gives the
    // published note (x/mod TestSign).
    let signer = NoteSigner::from_skey(PETER_SKEY).unwrap();
    assert_eq!(signer.verifier(), peter);
    assert_eq!(signer.sign(TEXT).unwrap(), format!("{TEXT}\n{PETER_SIG}"));
    assert_eq!(signer.to_skey(), PETER_SKEY);

    let foo = NoteVerifier::from_vkey(FOO_VKEY).unwrap();
    let n = open(FOO_NOTE, &foo).unwrap();
    assert_eq!(n.text, "This is an example message.\n");
    assert_eq!(n.to_text(), FOO_NOTE);
}

#[test]
fn unknown_signatures_are_ignored_and_each_known_key_verifies() {
    // x/mod TestOpen: a note signed by PeterNeumann and EnochRoot.
    let both = format!("{TEXT}\n{PETER_SIG}{ENOCH_SIG}");
    let peter = NoteVerifier::from_vkey(PETER_VKEY).unwrap();
    let enoch = NoteVerifier::from_vkey(ENOCH_VKEY).unwrap();
    let n = open(&both, &peter).unwrap();
    assert_eq!(n.signatures.len(), 2);
    assert_eq!(n.signatures[1].name, "EnochRoot");
    assert_eq!(n.signatures[1].id, [0xaf, 0x0c, 0xfe, 0x78]);
    open(&both, &enoch).unwrap();
    // Neither known: rejected.
    let stranger = NoteSigner::new("PeterNeumann", SigningKey::from_bytes(&[9; 32])).unwrap().verifier();
    let err = open(&both, &stranger).unwrap_err();
    assert!(err.to_string().contains("no signature by key `PeterNeumann`"), "{err}");
    // Same name, other id (x/mod: `PeterNeumann+c74f20a4` is unknown): ignored, so rejected.
    let renamed = both.replace("— EnochRoot ", "— PeterNeumann ");
    open(&renamed, &peter).unwrap();
    // Repeated identical signatures are fine; 100 lines are accepted, 101 are malformed.
    let many = format!("{TEXT}\n{}", PETER_SIG.repeat(MAX_SIGNATURES));
    open(&many, &peter).unwrap();
    let too_many = format!("{TEXT}\n{}", PETER_SIG.repeat(MAX_SIGNATURES + 1));
    assert!(matches!(Note::parse(too_many.as_bytes()), Err(LedgerError::Malformed(_))));
}

#[test]
fn tampered_notes_are_rejected() {
    let peter = NoteVerifier::from_vkey(PETER_VKEY).unwrap();
    // x/mod TestOpen "Invalid signature": four base64 characters spliced into the signature.
    let bad = format!("{TEXT}\n{}ABCD{}", &PETER_SIG[..60], &PETER_SIG[60..]);
    assert!(matches!(open(&bad, &peter), Err(LedgerError::Signature(_))));
    // A known key's bad signature rejects the note even beside a good one (C2SP SHOULD).
    let mixed = format!("{TEXT}\n{PETER_SIG}{}ABCD{}", &PETER_SIG[..60], &PETER_SIG[60..]);
    assert!(matches!(open(&mixed, &peter), Err(LedgerError::Signature(_))));
    // One byte of the text, of the signature, and reordered lines.
    let text = format!("{TEXT}\n{PETER_SIG}").replacen("problem,", "problem;", 1);
    assert!(matches!(open(&text, &peter), Err(LedgerError::Signature(_))));
    let sig = format!("{TEXT}\n{PETER_SIG}").replacen("x08go/", "x08go+", 1);
    assert!(open(&sig, &peter).is_err());
    let lines: Vec<&str> = TEXT.lines().collect();
    let reordered = format!("{}\n{}\n\n{PETER_SIG}", lines[1], lines[0]);
    assert!(matches!(open(&reordered, &peter), Err(LedgerError::Signature(_))));
    // x/mod TestOpen "Invalid encoded message syntax": all malformed.
    let bad_msgs = [
        TEXT.to_owned(),
        format!("{TEXT}\n"),
        format!("{TEXT}\n{}", &PETER_SIG[..PETER_SIG.len() - 1]),
        format!("\x01{TEXT}\n{PETER_SIG}"),
        format!(
            "{TEXT}\n— Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM="
        ),
        format!("{TEXT}\n{PETER_SIG}Unexpected line.\n"),
    ];
    for m in &bad_msgs {
        assert!(matches!(Note::parse(m.as_bytes()), Err(LedgerError::Malformed(_))), "{m:?}");
    }
    let mut invalid_utf8 = b"\xff".to_vec();
    invalid_utf8.extend_from_slice(format!("{TEXT}\n{PETER_SIG}").as_bytes());
    assert!(matches!(Note::parse(&invalid_utf8), Err(LedgerError::Malformed(_))));
}

/// x/mod TestNewVerifier / TestNewSigner: every proper substring and every single-byte
/// increment of a published key is rejected.
#[test]
fn mangled_keys_are_rejected() {
    fn manglings(key: &str) -> Vec<Vec<u8>> {
        let b = key.as_bytes();
        let mut out = Vec::new();
        for i in 0..=b.len() {
            for j in i + 1..=b.len() {
                if i != 0 || j != b.len() {
                    out.push(b[i..j].to_vec());
                }
            }
        }
        for i in 0..b.len() {
            let mut m = b.to_vec();
            m[i] = m[i].wrapping_add(1);
            out.push(m);
        }
        out
    }
    for m in manglings(PETER_VKEY) {
        let s = String::from_utf8_lossy(&m);
        assert!(NoteVerifier::from_vkey(&s).is_err(), "vkey `{s}` was accepted");
    }
    for m in manglings(PETER_SKEY) {
        let s = String::from_utf8_lossy(&m);
        assert!(NoteSigner::from_skey(&s).is_err(), "skey `{s}` was accepted");
    }
    // wrong-length key with adjusted key id; unknown algorithm with adjusted key id
    assert!(
        NoteVerifier::from_vkey("PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==")
            .is_err()
    );
    assert!(
        NoteVerifier::from_vkey("PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")
            .is_err()
    );
}

/// Our notes verify with azul's `signed_note`, and theirs with ours.
#[test]
fn interoperates_with_the_signed_note_crate() {
    use signed_note::{Note as TheirNote, StandardSigner, StandardVerifier, VerifierList};
    for seed in 0u8..8 {
        let name = format!("decisions.mizan.example/{seed}");
        let ours = NoteSigner::new(&name, SigningKey::from_bytes(&[seed; 32])).unwrap();
        let theirs = StandardVerifier::new(&ours.verifier().to_vkey()).unwrap();
        let text = format!("{name}\n{seed}\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n");
        let signed = ours.sign(&text).unwrap();
        let list = VerifierList::new(vec![Box::new(theirs)]);
        let (verified, _unverified) =
            TheirNote::from_bytes(signed.as_bytes()).unwrap().verify(&list).unwrap();
        assert_eq!(verified.len(), 1);
        // and the other way round, with their private-key encoding
        let their_signer = StandardSigner::new(&ours.to_skey()).unwrap();
        let mut n = TheirNote::new(text.as_bytes(), &[]).unwrap();
        n.add_sigs(&[&their_signer]).unwrap();
        let bytes = n.to_bytes();
        assert_eq!(bytes, signed.as_bytes(), "both sign Ed25519 deterministically");
        open(std::str::from_utf8(&bytes).unwrap(), &ours.verifier()).unwrap();
    }
}
