//! C2SP tlog-policy: the spec's example policy parses and means what the spec says it means
//! (2 of the X witnesses and 1 of the Y witnesses), malformed policies fail on the right line,
//! and tampered or missing cosignatures fail [`check`] with a reason.

use std::sync::Arc;

use ed25519_dalek::SigningKey;
use mizan_ledger::checkpoint::TlogProof;
use mizan_ledger::log::{LeafIndex, Log};
use mizan_ledger::note::{CosignatureSigner, Note, NoteSigner, NoteVerifier};
use mizan_ledger::policy::{Policy, PolicyError, check, check_proof};
use mizan_ledger::store::MemoryStore;
use proptest::prelude::*;

const EXAMPLE: &str = include_str!("data/c2sp/tlog-policy-example.policy");
const ORIGIN: &str = "decisions.mizan.example/2026";
const NAMES: [&str; 6] = ["X1", "X2", "X3", "Y1", "Y2", "Y3"];

fn log_signer() -> NoteSigner {
    NoteSigner::new(ORIGIN, SigningKey::from_bytes(&[1u8; 32])).unwrap()
}

fn witness(i: usize) -> CosignatureSigner {
    let seed = [11 + u8::try_from(i).unwrap(); 32];
    CosignatureSigner::new(&format!("witness.example/{}", NAMES[i]), SigningKey::from_bytes(&seed)).unwrap()
}

/// The spec's example with its `<vkey>`s filled in order: the log, then X1..X3, Y1..Y3.
fn example_text() -> String {
    let mut keys = vec![log_signer().verifier().to_vkey()];
    keys.extend((0..6).map(|i| witness(i).verifier().to_vkey()));
    let mut out = EXAMPLE.to_owned();
    for k in keys {
        out = out.replacen("<vkey>", &k, 1);
    }
    assert!(!out.contains("<vkey>"));
    out
}

fn example() -> Policy {
    Policy::parse(example_text().as_bytes()).unwrap()
}

/// A signed checkpoint of a small log, cosigned by the witnesses in `by` at time 1000 + i.
fn cosigned(log: &Log, by: &[usize]) -> String {
    let cp = std::str::from_utf8(log.checkpoint().unwrap()).unwrap().to_owned();
    let mut note = Note::parse(cp.as_bytes()).unwrap();
    for &i in by {
        note.signatures.push(witness(i).cosign(&note.text, 1000 + i as u64).unwrap());
    }
    note.to_text()
}

fn small_log() -> Log {
    let mut log = Log::open(Arc::new(MemoryStore::new()), log_signer(), ORIGIN).unwrap();
    let entries: Vec<Vec<u8>> = (0..10).map(|i| format!("decision {i}").into_bytes()).collect();
    log.append_batch(&entries).unwrap();
    log
}

#[test]
fn spec_example_parses() {
    let p = example();
    assert_eq!(p.logs().len(), 1);
    assert_eq!(p.logs()[0].key.name(), ORIGIN);
    let names: Vec<String> = p.witnesses().iter().map(|w| w.name().into_owned()).collect();
    assert_eq!(names, NAMES);
    assert!(p.witnesses().iter().all(|w| w.url.is_none()));
}

/// The spec: "valid cosignatures from at least two of the `X-witnesses`, and from at least one
/// of the `Y-witnesses`".
#[test]
fn spec_example_quorum() {
    let p = example();
    let log = small_log();
    let (x1, x2, x3, y1, y2, y3) = (0, 1, 2, 3, 4, 5);
    for (by, ok) in [
        (vec![], false),
        (vec![x1], false),
        (vec![y1], false),
        (vec![x1, x2], false),
        (vec![x1, y1], false),
        (vec![y1, y2, y3], false),
        (vec![x1, x2, x3], false),
        (vec![x1, x2, y1], true),
        (vec![x2, x3, y3], true),
        (vec![x1, x3, y2, y3], true),
        (vec![x1, x2, x3, y1, y2, y3], true),
    ] {
        let note = cosigned(&log, &by);
        let got = check(note.as_bytes(), &p);
        assert_eq!(got.is_ok(), ok, "cosigned by {by:?}: {got:?}");
        if let Ok(c) = got {
            assert_eq!(c.quorum, "X-and-Y");
            assert_eq!(c.cosigned.len(), by.len());
            assert_eq!(c.checkpoint.checkpoint.size, 10);
            let want: Vec<&str> = by.iter().map(|&i| NAMES[i]).collect();
            assert_eq!(c.cosigned.iter().map(|c| c.witness.as_str()).collect::<Vec<_>>(), want);
        }
    }
}

fn expect_err(note: &str, policy: &Policy, needle: &str) -> PolicyError {
    let err = check(note.as_bytes(), policy).unwrap_err();
    assert!(err.to_string().contains(needle), "`{err}` lacks `{needle}`");
    err
}

#[test]
fn insufficient_cosignatures_say_which_group_is_short() {
    let p = example();
    let log = small_log();
    let err = expect_err(
        &cosigned(&log, &[0, 3]),
        &p,
        "group `X-and-Y` needs 2 of 2 (`X-witnesses`, `Y-witnesses`) and has 1 (`Y-witnesses`); \
         group `X-witnesses` needs 2 of 3 (`X1`, `X2`, `X3`) and has 1 (`X1`)",
    );
    assert!(matches!(err, PolicyError::Quorum(_)));
    expect_err(
        &cosigned(&log, &[0, 1]),
        &p,
        "group `Y-witnesses` needs 1 of 3 (`Y1`, `Y2`, `Y3`) and has 0 (none)",
    );
}

#[test]
fn tampered_cosignatures_fail_with_the_witness_named() {
    let p = example();
    let log = small_log();
    let good = cosigned(&log, &[0, 1, 3]);
    // One byte of X2's signature (after the 8-byte timestamp).
    let mut note = Note::parse(good.as_bytes()).unwrap();
    note.signatures[2].sig[20] ^= 1;
    let err = expect_err(
        &note.to_text(),
        &p,
        "witness `X2`: signature check failed: cosignature by `witness.example/X2` does not match",
    );
    assert!(matches!(err, PolicyError::Cosignature { .. }));
    // A cosignature's timestamp changed: the signature no longer covers it.
    let mut note = Note::parse(good.as_bytes()).unwrap();
    note.signatures[1].sig[7] ^= 1;
    expect_err(&note.to_text(), &p, "witness `X1`");
    // A cosignature moved from another checkpoint of the same log.
    let mut bigger = small_log();
    bigger.append_batch(&[b"later".to_vec()]).unwrap();
    let other = Note::parse(cosigned(&bigger, &[4]).as_bytes()).unwrap();
    let mut note = Note::parse(good.as_bytes()).unwrap();
    note.signatures.push(other.signatures[1].clone());
    expect_err(&note.to_text(), &p, "witness `Y2`");
    // The checkpoint text changed under the signatures: the log signature fails first.
    let t = good.replacen("\n10\n", "\n11\n", 1);
    expect_err(&t, &p, "does not match the note text");
    // Lines by witnesses the policy does not know are ignored, not counted.
    let stranger = CosignatureSigner::new("witness.example/X1", SigningKey::from_bytes(&[99u8; 32])).unwrap();
    let mut note = Note::parse(cosigned(&log, &[0, 3]).as_bytes()).unwrap();
    note.signatures.push(stranger.cosign(&note.text.clone(), 5).unwrap());
    expect_err(&note.to_text(), &p, "has 1 (`X1`)");
}

#[test]
fn log_must_be_in_the_policy() {
    let p = example();
    let other = NoteSigner::new(ORIGIN, SigningKey::from_bytes(&[2u8; 32])).unwrap();
    let mut log = Log::open(Arc::new(MemoryStore::new()), other, ORIGIN).unwrap();
    log.append_batch(&[b"x".to_vec()]).unwrap();
    expect_err(&cosigned(&log, &[0, 1, 3]), &p, "no signature by key `decisions.mizan.example/2026`");
    let foreign = NoteSigner::new("other.example/log", SigningKey::from_bytes(&[2u8; 32])).unwrap();
    let mut log = Log::open(Arc::new(MemoryStore::new()), foreign, "other.example/log").unwrap();
    log.append_batch(&[b"x".to_vec()]).unwrap();
    let err =
        expect_err(&cosigned(&log, &[0, 1, 3]), &p, "origin `other.example/log` is not a log of the policy");
    assert!(matches!(err, PolicyError::UnknownLog { .. }));
    // A policy without logs takes the log key from elsewhere.
    let mut bare = Policy::parse(b"quorum none\n").unwrap();
    expect_err(&cosigned(&small_log(), &[]), &bare, "pass the log's vkey too");
    bare.add_log(log_signer().verifier()).unwrap();
    assert!(check(cosigned(&small_log(), &[]).as_bytes(), &bare).is_ok());
}

#[test]
fn quorum_none_and_single_witness() {
    let log = small_log();
    let lk = log_signer().verifier().to_vkey();
    let none = Policy::parse(format!("log {lk}\nquorum none\n").as_bytes()).unwrap();
    let c = check(cosigned(&log, &[]).as_bytes(), &none).unwrap();
    assert_eq!(c.quorum, "none");
    let one = Policy::parse(
        format!(
            "log {lk} https://log.example\nwitness W {} https://w.example\nquorum W",
            witness(0).verifier().to_vkey()
        )
        .as_bytes(),
    )
    .unwrap();
    assert_eq!(one.logs()[0].url.as_deref(), Some("https://log.example"));
    assert_eq!(one.witnesses()[0].url.as_deref(), Some("https://w.example"));
    expect_err(&cosigned(&log, &[]), &one, "witness `W` did not cosign");
    let c = check(cosigned(&log, &[0]).as_bytes(), &one).unwrap();
    assert_eq!(c.cosigned[0].time, 1000);
    assert_eq!(c.cosigned[0].key_name, "witness.example/X1");
}

#[test]
fn proofs_verify_under_a_policy() {
    let p = example();
    let log = small_log();
    let receipt = log.receipt(LeafIndex(4)).unwrap();
    let proof = TlogProof { checkpoint: cosigned(&log, &[0, 1, 5]), ..receipt };
    let proof = TlogProof::parse(&proof.encode()).unwrap();
    check_proof(&proof, b"decision 4", &p).unwrap();
    let err = check_proof(&proof, b"decision 5", &p).unwrap_err();
    assert!(err.to_string().contains("inclusion proof for leaf `4`"), "{err}");
    let short = TlogProof { checkpoint: cosigned(&log, &[0, 5]), ..proof };
    assert!(matches!(check_proof(&short, b"decision 4", &p), Err(PolicyError::Quorum(_))));
}

/// One malformed policy, the line the error must name and a phrase of the message.
fn bad(text: &str, line: usize, needle: &str) {
    let err = Policy::parse(text.as_bytes()).unwrap_err();
    let msg = err.to_string();
    match err {
        PolicyError::Syntax { line: l, .. } => assert_eq!(l, line, "`{msg}`"),
        PolicyError::NoQuorum => assert_eq!(line, 0, "`{msg}`"),
        other => panic!("unexpected {other:?}"),
    }
    assert!(msg.contains(needle), "`{msg}` lacks `{needle}`");
}

#[test]
fn malformed_policies_name_the_line() {
    let lk = log_signer().verifier().to_vkey();
    let w: Vec<String> = (0..6).map(|i| witness(i).verifier().to_vkey()).collect();
    let (w1, w2, w3) = (&w[0], &w[1], &w[2]);
    bad("", 0, "no `quorum` line");
    bad("# only a comment\n\n", 0, "no `quorum` line");
    bad("# \x0c\nquorum none\n", 1, "control character 0x0c at column 3");
    bad("quorum none\n# \x7f\n", 2, "control character 0x7f");
    bad("quorum none\r\n", 1, "Unix line endings");
    bad("logs x\n", 1, "unknown keyword `logs`");
    bad(&format!("log {lk}\n  log {lk}\nquorum none\n"), 2, "duplicate log");
    // Same public key under another name is still a duplicate.
    let renamed = NoteSigner::new("renamed.example/log", SigningKey::from_bytes(&[1u8; 32])).unwrap();
    bad(&format!("log {lk}\nlog {}\nquorum none\n", renamed.verifier().to_vkey()), 2, "duplicate log");
    bad(&format!("log {lk} http://example.org #comment\n"), 1, "comments must be on their own line");
    bad("log\n", 1, "expected `log <vkey> [<url>]`");
    bad("log example.com+00000000+AQ\n", 1, "vkey");
    bad(
        &format!("witness W1 {w1}\nwitness W2 {w1}\n"),
        2,
        "duplicate witness: `W2` has the same public key as `W1`",
    );
    bad(&format!("witness W1 {w1}\nwitness W1 {w2}\n"), 2, "duplicate name `W1`");
    bad(&format!("witness none {w1}\n"), 1, "`none` is predefined");
    bad(
        &format!("witness W1 {lk}\n"),
        1,
        "a witness line needs the witness's cosignature/v1 key (type 0x04)",
    );
    bad(&format!("log {w1}\n"), 1, "a log line needs the log's Ed25519 key (type 0x01)");
    let mldsa = format!("witness.example/pq+01020304+{}", base64_of(&[6u8; 1313]));
    bad(&format!("witness PQ {mldsa}\n"), 1, "ML-DSA-44 cosigner keys (type 0x06) are not supported");
    bad(
        &format!("witness W1 {w1}\nwitness W2 {w2}\ngroup G all W1 W3 W2\n"),
        3,
        "`W3` is not defined on an earlier line",
    );
    bad(&format!("group G any W1\nwitness W1 {w1}\nquorum G\n"), 1, "`W1` is not defined");
    bad(&format!("witness W1 {w1}\nwitness W2 {w2}\ngroup G all W1 W2\n"), 0, "no `quorum` line");
    bad(&format!("witness W1 {w1}\nwitness W2 {w2}\ngroup G all W1 W2 W1\n"), 3, "`W1` is already a member");
    bad(
        &format!(
            "witness W1 {w1}\nwitness W2 {w2}\nwitness W3 {w3}\ngroup G1 all W1 W2\ngroup G2 all W3 W2\n"
        ),
        5,
        "`W2` is already a member",
    );
    bad(&format!("witness W1 {w1}\ngroup G any W1 none\n"), 2, "`none` cannot be a group member");
    bad(&format!("witness W1 {w1}\ngroup G all\n"), 2, "group `G` needs at least one member");
    bad(
        &format!("witness W1 {w1}\ngroup G 0 W1\n"),
        2,
        "threshold 0 of group `G` must be between 1 and its 1 members",
    );
    bad(&format!("witness W1 {w1}\ngroup G 2 W1\n"), 2, "threshold 2");
    bad(&format!("witness W1 {w1}\ngroup G two W1\n"), 2, "threshold `two` must be");
    bad(&format!("witness W1 {w1}\ngroup G +1 W1\n"), 2, "threshold `+1` must be");
    bad(&format!("witness W1 {w1}\ngroup W1 any W1\n"), 2, "duplicate name `W1`");
    bad("quorum none\nquorum none\n", 2, "a second `quorum` line");
    bad("quorum\n", 1, "expected `quorum <name>`");
    bad("quorum W9\n", 1, "`W9` is not defined");
}

#[test]
fn lenient_whitespace_comments_and_opaque_names() {
    let lk = log_signer().verifier().to_vkey();
    let w1 = witness(0).verifier().to_vkey();
    // Tabs, leading and trailing blanks, indented comments, no final newline, and a name with
    // bytes that are not UTF-8 (names are opaque octets).
    let mut text =
        format!("\t# policy\n  log\t{lk}  \n\nwitness \t W\u{e9} {w1}\t\n   # indented\ngroup ").into_bytes();
    text.extend_from_slice(b"G\xff any W\xc3\xa9\nquorum G\xff");
    let p = Policy::parse(&text).unwrap();
    assert_eq!(p.witnesses()[0].name(), "W\u{e9}");
    assert!(check(cosigned(&small_log(), &[0]).as_bytes(), &p).is_ok());
    // The same key may be a log and a witness (undesirable, not an error).
    let same = NoteSigner::new("witness.example/X1", SigningKey::from_bytes(&[11u8; 32])).unwrap();
    Policy::parse(format!("log {}\nwitness W {w1}\nquorum W\n", same.verifier().to_vkey()).as_bytes())
        .unwrap();
}

fn base64_of(b: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(b)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Untrusted bytes: the parser returns an error, never panics.
    #[test]
    fn parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = Policy::parse(&bytes);
    }

    /// The example with one byte changed parses or fails cleanly; if it parses, checking a
    /// note against it does not panic either.
    #[test]
    fn mutated_example_never_panics(at in 0usize..2000, byte in any::<u8>()) {
        let mut text = example_text().into_bytes();
        let i = at % text.len();
        text[i] = byte;
        if let Ok(p) = Policy::parse(&text) {
            let _ = check(cosigned(&small_log(), &[0, 1, 3]).as_bytes(), &p);
        }
    }
}

#[test]
fn verifier_types_are_kept() {
    let p = example();
    assert_eq!(p.logs()[0].key, NoteVerifier::from_vkey(&log_signer().verifier().to_vkey()).unwrap());
    assert!(p.witnesses().iter().all(|w| w.key.alg() == mizan_ledger::note::ALG_COSIGNATURE_V1));
}
