//! The one receipt check ([`receipt::check`]): a good receipt passes every step, and each way a
//! receipt can be wrong (the record's key, the record, the leaf, the proof, the checkpoint's
//! signature, the witness quorum, the receipt's own fields) fails the step that checks it, with
//! a reason that names what differs. Also [`leaf::open`], the commitment check it runs, and two
//! properties: any text is checked without a panic, and a proof changed anywhere fails.

use std::sync::Arc;

use ed25519_dalek::SigningKey;
use mizan_ledger::checkpoint::TlogProof;
use mizan_ledger::leaf::{self, LeafCommitment, OpenError};
use mizan_ledger::log::{LeafIndex, Log};
use mizan_ledger::merkle;
use mizan_ledger::note::{CosignatureSigner, Note, NoteSigner};
use mizan_ledger::policy::Policy;
use mizan_ledger::receipt::{self, Evidence, Opening, Outcome, ReceiptCheck, ReceiptError, StepKind, Trust};
use mizan_ledger::store::MemoryStore;
use proptest::prelude::*;
use serde_json::{Value, json};

const ORIGIN: &str = "decisions.mizan.example/2026";
const K: [u8; 32] = [7u8; 32];

fn log_signer() -> NoteSigner {
    NoteSigner::new(ORIGIN, SigningKey::from_bytes(&[1u8; 32])).unwrap()
}

fn witness(i: u8) -> CosignatureSigner {
    CosignatureSigner::new(&format!("witness.example/w{i}"), SigningKey::from_bytes(&[20 + i; 32])).unwrap()
}

/// A decision record as the server writes it (canonical JSON).
fn record(n: u32) -> String {
    leaf::canonical_json(&json!({
        "system": "AB12CD34",
        "system_version": 1,
        "model_hash": "sha256:00ff",
        "features": {"income": 52000 + n, "age": 41},
        "output": "approved",
        "score": 0.81,
        "human": {"involved": false, "by": null},
        "decided_at": "2026-11-30T09:15:00Z",
        "subject_ref": format!("case-{n}"),
    }))
}

/// 2026-11-30T09:15:00Z.
const DECIDED: i64 = 1_796_030_100;

fn leaf_of(text: &str, k: &[u8; 32]) -> [u8; 49] {
    LeafCommitment::commit_canonical("AB12CD34", DECIDED, text.as_bytes(), k).unwrap().to_bytes()
}

/// A log of six decisions; decision 3 is the one the receipts are for.
struct Fixture {
    log: Log,
    leaves: Vec<[u8; 49]>,
}

fn fixture() -> Fixture {
    let mut log = Log::open(Arc::new(MemoryStore::new()), log_signer(), ORIGIN).unwrap();
    let leaves: Vec<[u8; 49]> = (0..6).map(|n| leaf_of(&record(n), &K)).collect();
    log.append_batch(&leaves).unwrap();
    Fixture { log, leaves }
}

impl Fixture {
    fn proof(&self) -> TlogProof {
        self.log.receipt(LeafIndex(3)).unwrap()
    }

    /// The receipt JSON of `GET /api/v1/receipts/{ref}` for decision 3.
    fn receipt_json(&self, proof: Option<&TlogProof>) -> String {
        let leaf = self.leaves[3];
        json!({
            "reference": "0000000300000000abcd",
            "status": if proof.is_some() { "proven" } else { "pending" },
            "system": "AB12CD34",
            "system_version": 1,
            "decided_at": "2026-11-30T09:15:00Z",
            "leaf_index": 3,
            "leaf_hash": merkle::leaf_hash(&leaf).to_hex(),
            "leaf": hex::encode(leaf),
            "log": ORIGIN,
            "vkey": log_signer().verifier().to_vkey(),
            "proof": proof.map(TlogProof::encode),
            "opening": {"k": hex::encode(K), "record": record(3)},
            "erased_at": null,
        })
        .to_string()
    }

    fn evidence(&self) -> Evidence {
        Evidence::from_text(&self.receipt_json(Some(&self.proof()))).unwrap()
    }
}

/// Each step as `kind outcome` (`signature passed`), and the failures' messages.
fn summary(c: &ReceiptCheck) -> (Vec<String>, Vec<String>) {
    let steps = c
        .steps
        .iter()
        .map(|s| {
            let o = match s.outcome {
                Outcome::Passed(_) => "passed",
                Outcome::Failed(_) => "failed",
                Outcome::Skipped(_) => "skipped",
            };
            format!("{} {o}", s.kind.as_str())
        })
        .collect();
    let why = c
        .steps
        .iter()
        .filter_map(|s| match &s.outcome {
            Outcome::Failed(e) => Some(e.to_string()),
            _ => None,
        })
        .collect();
    (steps, why)
}

/// Checks `evidence` under `trust` and compares every step's outcome with `expect` (one word
/// per step: receipt, signature, witnesses, inclusion, commitment), and the first failure's
/// message with `message` (a part of it).
fn check(evidence: &Evidence, trust: Trust<'_>, expect: [&str; 5], message: Option<&str>) -> ReceiptCheck {
    let c = receipt::check(evidence, trust);
    let (steps, why) = summary(&c);
    let want: Vec<String> = ["receipt", "signature", "witnesses", "inclusion", "commitment"]
        .iter()
        .zip(expect)
        .map(|(k, o)| format!("{k} {o}"))
        .collect();
    assert_eq!(steps, want, "failures: {why:?}");
    match message {
        Some(m) => assert!(why.first().is_some_and(|w| w.contains(m)), "expected `{m}` in {why:?}"),
        None => assert!(why.is_empty(), "unexpected failures: {why:?}"),
    }
    c
}

fn policy_text(quorum: &str) -> String {
    format!(
        "log {}\nwitness w1 {}\nwitness w2 {}\ngroup both all w1 w2\nquorum {quorum}\n",
        log_signer().verifier().to_vkey(),
        witness(1).verifier().to_vkey(),
        witness(2).verifier().to_vkey()
    )
}

/// The fixture's proof with its checkpoint cosigned by witnesses `by`.
fn cosigned(f: &Fixture, by: &[u8]) -> TlogProof {
    let receipt = f.proof();
    let mut note = Note::parse(receipt.checkpoint.as_bytes()).unwrap();
    for &i in by {
        note.signatures.push(witness(i).cosign(&note.text, 1_800_000_000 + u64::from(i)).unwrap());
    }
    TlogProof { checkpoint: note.to_text(), ..receipt }
}

const ALL_PASS: [&str; 5] = ["passed", "passed", "skipped", "passed", "passed"];

#[test]
fn a_good_receipt_passes_every_step() {
    let f = fixture();
    let key = log_signer().verifier();
    let c = check(&f.evidence(), Trust::Log(&key), ALL_PASS, None);
    assert!(c.passed());
    assert_eq!(c.proof.as_ref().map(|p| p.index), Some(3));
    assert_eq!(c.leaf.as_deref(), Some(&f.leaves[3][..]));
    assert_eq!(c.checkpoint.as_ref().map(|cp| cp.checkpoint.size), Some(6));
    assert_eq!(c.log_key.as_ref(), Some(&key));
    let record = c.record.as_ref().unwrap();
    assert_eq!(record["subject_ref"], "case-3");
    let Some(Outcome::Passed(detail)) = c.step(StepKind::Inclusion).map(|s| &s.outcome) else { panic!() };
    assert!(detail.starts_with("leaf 3 of 6, root "), "{detail}");
}

#[test]
fn a_good_receipt_passes_under_a_policy_with_its_quorum() {
    let f = fixture();
    let proof = cosigned(&f, &[1, 2]);
    let evidence = Evidence::from_text(&f.receipt_json(Some(&proof))).unwrap();
    let policy = Policy::parse(policy_text("both").as_bytes()).unwrap();
    let c = check(&evidence, Trust::Policy(&policy), ["passed"; 5], None);
    assert!(c.passed());
    let names: Vec<&str> = c.cosigned.iter().map(|w| w.witness.as_str()).collect();
    assert_eq!(names, ["w1", "w2"]);
    assert_eq!(c.quorum.as_deref(), Some("both"));
    assert_eq!(c.log_key, Some(log_signer().verifier()));
}

#[test]
fn a_bare_proof_with_the_leaf_passes_without_an_opening() {
    let f = fixture();
    let mut evidence = Evidence::from_text(&format!("\n  {}\n\n", f.proof().encode())).unwrap();
    evidence.leaf_given = Some(hex::encode(f.leaves[3]).to_uppercase());
    let key = log_signer().verifier();
    let c = check(&evidence, Trust::Log(&key), ["passed", "passed", "skipped", "passed", "skipped"], None);
    assert!(c.passed());
    assert_eq!(c.record, None);
}

#[test]
fn a_wrong_key_fails_the_commitment() {
    let f = fixture();
    let mut evidence = f.evidence();
    evidence.opening = Some(Opening { k: hex::encode([8u8; 32]), record: record(3) });
    let key = log_signer().verifier();
    let c = check(
        &evidence,
        Trust::Log(&key),
        ["passed", "passed", "skipped", "passed", "failed"],
        Some("the HMAC differs"),
    );
    assert!(!c.passed());
    assert_eq!(c.failure().map(|(k, e)| (k, e.clone())), Some((StepKind::Commitment, OpenError::Mac.into())));
}

#[test]
fn a_changed_record_fails_the_commitment_saying_what_differs() {
    let f = fixture();
    let key = log_signer().verifier();
    let changed = |from: &str, to: &str| {
        let mut evidence = f.evidence();
        let r = record(3);
        assert!(r.contains(from), "{from}");
        evidence.opening = Some(Opening { k: hex::encode(K), record: r.replace(from, to) });
        evidence
    };
    let failed = ["passed", "passed", "skipped", "passed", "failed"];
    check(&changed("approved", "declined"), Trust::Log(&key), failed, Some("the HMAC differs"));
    check(&changed("09:15:00Z", "09:16:00Z"), Trust::Log(&key), failed, Some("is minute `29933836`"));
    check(&changed("AB12CD34", "ZZ12CD34"), Trust::Log(&key), failed, Some("for system `ZZ12CD34`"));
    check(&changed("AB12CD34", "AB12"), Trust::Log(&key), failed, Some("8 printable ASCII"));
    check(&changed("\"decided_at\"", "\"when\""), Trust::Log(&key), failed, Some("no `decided_at` string"));
    check(&changed("{", "["), Trust::Log(&key), failed, Some("not valid JSON"));
    // The same record written another way still opens: the MAC covers its canonical form.
    let pretty = serde_json::to_string_pretty(&serde_json::from_str::<Value>(&record(3)).unwrap()).unwrap();
    check(&changed(&record(3), &pretty), Trust::Log(&key), ALL_PASS, None);
}

#[test]
fn a_wrong_leaf_fails_inclusion_and_the_commitment() {
    let f = fixture();
    let key = log_signer().verifier();
    // A bare proof with another decision's leaf: the proof does not lead from it to the root.
    let mut evidence = Evidence::from_text(&f.proof().encode()).unwrap();
    evidence.leaf_given = Some(hex::encode(f.leaves[4]));
    evidence.opening = Some(Opening { k: hex::encode(K), record: record(3) });
    check(
        &evidence,
        Trust::Log(&key),
        ["passed", "passed", "skipped", "failed", "failed"],
        Some("inclusion proof for leaf `3` in size `6` gives root"),
    );
    // In a receipt, its `leaf_hash` no longer fits.
    let mut evidence = f.evidence();
    evidence.leaf = Some(hex::encode(f.leaves[4]));
    check(
        &evidence,
        Trust::Log(&key),
        ["failed", "skipped", "skipped", "skipped", "skipped"],
        Some("is not the hash of its leaf"),
    );
    // A leaf given beside the receipt must be the receipt's.
    let mut evidence = f.evidence();
    evidence.leaf_given = Some(hex::encode(f.leaves[4]));
    check(
        &evidence,
        Trust::Log(&key),
        ["failed", "skipped", "skipped", "skipped", "skipped"],
        Some("is not the receipt's `leaf`"),
    );
    // Not a decision leaf at all.
    for (leaf, why) in
        [("abc", "the leaf is not hex"), ("00ff", "the leaf is 2 bytes; a decision leaf is 49")]
    {
        let mut evidence = Evidence::from_text(&f.proof().encode()).unwrap();
        evidence.leaf_given = Some(leaf.into());
        check(&evidence, Trust::Log(&key), ["failed", "skipped", "skipped", "skipped", "skipped"], Some(why));
    }
}

#[test]
fn a_tampered_proof_fails_the_step_that_checks_it() {
    let f = fixture();
    let key = log_signer().verifier();
    let with = |proof: &TlogProof| Evidence::from_text(&f.receipt_json(Some(proof))).unwrap();
    // A proof hash changed: the signature holds, inclusion does not.
    let mut proof = f.proof();
    proof.proof[0].0[0] ^= 1;
    check(
        &with(&proof),
        Trust::Log(&key),
        ["passed", "passed", "skipped", "failed", "passed"],
        Some("gives root"),
    );
    // The checkpoint's size changed: its signature no longer verifies, so inclusion proves nothing.
    let mut proof = f.proof();
    proof.checkpoint = proof.checkpoint.replacen("\n6\n", "\n7\n", 1);
    let c = check(
        &with(&proof),
        Trust::Log(&key),
        ["passed", "failed", "skipped", "skipped", "passed"],
        Some("does not match the note text"),
    );
    assert!(!c.passed());
    assert!(c.checkpoint.is_none());
    // The proof text itself broken.
    let mut evidence = f.evidence();
    evidence.proof = evidence.proof.map(|p| p.replacen("index 3", "index 03", 1));
    check(
        &evidence,
        Trust::Log(&key),
        ["failed", "skipped", "skipped", "skipped", "skipped"],
        Some("is not a tlog-proof: malformed input: tlog-proof line 2"),
    );
    // The receipt's leaf index is not its proof's.
    let mut evidence = f.evidence();
    evidence.leaf_index = Some(4);
    check(
        &evidence,
        Trust::Log(&key),
        ["failed", "skipped", "skipped", "skipped", "skipped"],
        Some("leaf index `4` but its proof is for index `3`"),
    );
}

#[test]
fn another_log_key_fails_the_signature() {
    let f = fixture();
    let other = NoteSigner::new(ORIGIN, SigningKey::from_bytes(&[2u8; 32])).unwrap().verifier();
    check(
        &f.evidence(),
        Trust::Log(&other),
        ["passed", "failed", "skipped", "skipped", "passed"],
        Some("no signature by key `decisions.mizan.example/2026`"),
    );
    let elsewhere = NoteSigner::new("events.mizan.example/2026", SigningKey::from_bytes(&[1u8; 32])).unwrap();
    check(
        &f.evidence(),
        Trust::Log(&elsewhere.verifier()),
        ["passed", "failed", "skipped", "skipped", "passed"],
        Some("checkpoint origin is `decisions.mizan.example/2026` but the log key is for"),
    );
}

#[test]
fn a_policy_quorum_not_met_fails_the_witnesses() {
    let f = fixture();
    let policy = Policy::parse(policy_text("both").as_bytes()).unwrap();
    let proof = cosigned(&f, &[1]);
    let evidence = Evidence::from_text(&f.receipt_json(Some(&proof))).unwrap();
    let c = check(
        &evidence,
        Trust::Policy(&policy),
        ["passed", "passed", "failed", "passed", "passed"],
        Some("witness quorum not met: group `both` needs 2 of 2"),
    );
    assert!(!c.passed());
    assert_eq!(c.failure().map(|(k, _)| k), Some(StepKind::Witnesses));
    // A bad cosignature by a policy witness fails the witnesses too, naming it.
    let mut proof = cosigned(&f, &[1, 2]);
    let mut note = Note::parse(proof.checkpoint.as_bytes()).unwrap();
    let last = note.signatures.len() - 1;
    note.signatures[last].sig[20] ^= 1;
    proof.checkpoint = note.to_text();
    let evidence = Evidence::from_text(&f.receipt_json(Some(&proof))).unwrap();
    check(
        &evidence,
        Trust::Policy(&policy),
        ["passed", "passed", "failed", "passed", "passed"],
        Some("witness `w2`: signature check failed: cosignature by `witness.example/w2` does not match"),
    );
    // A policy without this log fails the signature.
    let other = policy_text("none").replace(&log_signer().verifier().to_vkey(), "");
    let other = Policy::parse(other.replace("log \n", "").as_bytes()).unwrap();
    check(
        &f.evidence(),
        Trust::Policy(&other),
        ["passed", "failed", "skipped", "skipped", "passed"],
        Some("is not a log of the policy"),
    );
    // `quorum none`: no cosignatures needed.
    let none = Policy::parse(policy_text("none").as_bytes()).unwrap();
    check(&f.evidence(), Trust::Policy(&none), ["passed"; 5], None);
}

#[test]
fn a_pending_or_erased_receipt_is_not_proven() {
    let f = fixture();
    let key = log_signer().verifier();
    let pending = Evidence::from_text(&f.receipt_json(None)).unwrap();
    assert_eq!(pending.status.as_deref(), Some("pending"));
    let c = check(&pending, Trust::Log(&key), ["passed", "skipped", "skipped", "skipped", "passed"], None);
    assert!(!c.passed(), "no inclusion, no pass");
    let Some(Outcome::Skipped(why)) = c.step(StepKind::Inclusion).map(|s| &s.outcome) else { panic!() };
    assert!(why.starts_with("the receipt has no proof (status `pending`)"), "{why}");
    // Erased: the proof stays, the leaf and opening go.
    let mut erased: Value = serde_json::from_str(&f.receipt_json(Some(&f.proof()))).unwrap();
    erased["leaf"] = Value::Null;
    erased["opening"] = Value::Null;
    erased["status"] = "erased".into();
    let erased = Evidence::from_text(&erased.to_string()).unwrap();
    let c = check(
        &erased,
        Trust::Log(&key),
        ["passed", "passed", "skipped", "failed", "skipped"],
        Some("no leaf to check the proof with"),
    );
    assert!(matches!(c.failure(), Some((StepKind::Inclusion, ReceiptError::NoLeaf))));
}

#[test]
fn evidence_reads_receipt_json_and_bare_proofs() {
    let f = fixture();
    let e = f.evidence();
    assert_eq!(e.proof.as_deref(), Some(f.proof().encode().as_str()));
    assert_eq!(e.status.as_deref(), Some("proven"));
    assert_eq!(e.leaf_index, Some(3));
    assert_eq!(e.leaf.as_deref(), Some(hex::encode(f.leaves[3]).as_str()));
    assert_eq!(e.opening, Some(Opening { k: hex::encode(K), record: record(3) }));
    let bare = Evidence::from_text(&f.proof().encode()).unwrap();
    assert_eq!(bare, Evidence { proof: Some(f.proof().encode()), ..Evidence::default() });
    let err = Evidence::from_text("{\"proof\": ").unwrap_err();
    assert!(matches!(err, ReceiptError::Json(_)), "{err}");
}

#[test]
fn open_names_what_is_wrong_with_its_inputs() {
    let f = fixture();
    let leaf = f.leaves[3];
    let r = record(3);
    assert_eq!(leaf::open(&leaf, &r, &hex::encode(K)).unwrap()["subject_ref"], "case-3");
    assert_eq!(leaf::open(&leaf, &r, &format!(" {} \n", hex::encode(K).to_uppercase())).map(|_| ()), Ok(()));
    let open = |leaf: &[u8], r: &str, k: &str| leaf::open(leaf, r, k).unwrap_err();
    assert_eq!(open(&leaf, &r, "abcd"), OpenError::Key);
    assert!(matches!(open(&leaf[..48], &r, &hex::encode(K)), OpenError::Leaf(_)));
    assert_eq!(open(&leaf, "{}", &hex::encode(K)), OpenError::Missing { field: "system" });
    assert!(matches!(
        open(&leaf, &r.replace("2026-11-30T09:15:00Z", "yesterday"), &hex::encode(K)),
        OpenError::Time { value, .. } if value == "yesterday"
    ));
    assert_eq!(
        open(&leaf, &r.replace("T09:15:00Z", "T09:15:00+05:00"), &hex::encode(K)),
        OpenError::Minute {
            decided_at: "2026-11-30T09:15:00+05:00".into(),
            record: 29_933_535,
            leaf: 29_933_835
        }
    );
    // Within the minute, the leaf's minute holds; the HMAC then tells the records apart.
    assert_eq!(open(&leaf, &r.replace("09:15:00Z", "09:15:59Z"), &hex::encode(K)), OpenError::Mac);
    assert!(open(&leaf, &r, &hex::encode([0u8; 32])).to_string().contains("`k` is wrong"));
}

proptest! {
    #[test]
    fn any_text_is_checked_without_panicking(text in "\\PC{0,400}", leaf in "[0-9a-fA-F ]{0,120}") {
        let key = log_signer().verifier();
        if let Ok(mut evidence) = Evidence::from_text(&text) {
            evidence.leaf_given = Some(leaf);
            let c = receipt::check(&evidence, Trust::Log(&key));
            prop_assert!(!c.passed());
            prop_assert_eq!(c.steps.len(), 5);
        }
    }

    #[test]
    fn a_proof_changed_anywhere_does_not_pass(at in any::<prop::sample::Index>(), to in 0x20u8..0x7f) {
        let f = fixture();
        let key = log_signer().verifier();
        let mut evidence = f.evidence();
        let proof = evidence.proof.take().unwrap();
        let i = at.index(proof.len());
        let was = proof.as_bytes()[i];
        // Every byte of a tlog-proof is ASCII except the em dash of the signature lines.
        prop_assume!(was.is_ascii() && was != to);
        let mut bytes = proof.into_bytes();
        bytes[i] = to;
        evidence.proof = Some(String::from_utf8(bytes).unwrap());
        let c = receipt::check(&evidence, Trust::Log(&key));
        prop_assert!(!c.passed(), "byte {} `{}` -> `{}` still passes", i, was as char, to as char);
    }
}
