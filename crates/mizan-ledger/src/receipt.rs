//! The one check of a decision receipt, step by step: the public `/verify` page and
//! `mizan log verify` both call [`check`], so a receipt that passes one passes the other, and a
//! receipt that fails, fails the same step for the same reason.
//!
//! A holder presents [`Evidence`]: a C2SP tlog-proof, the 49-byte leaf, and perhaps the record
//! and its key `k` (the receipt's opening). [`Evidence::from_text`] reads it from what people
//! paste or save: the receipt JSON of `GET /api/v1/receipts/{ref}` (`mizan.receipt/1`) or a
//! bare tlog-proof. The steps, in order:
//!
//! 1. [`StepKind::Receipt`]: the proof parses, the leaf is [`LEAF_LEN`] bytes of hex, and the
//!    parts agree: the receipt's `leaf_index` is the proof's, its `leaf_hash` is the leaf's
//!    hash, and a leaf given beside the receipt is the receipt's own.
//! 2. [`StepKind::Signature`]: the proof's checkpoint is signed by the log's key ([`Trust`]).
//! 3. [`StepKind::Witnesses`]: under a C2SP tlog-policy, its witness quorum cosigned the
//!    checkpoint (skipped when only a log key is trusted).
//! 4. [`StepKind::Inclusion`]: the leaf is in the log under that checkpoint.
//! 5. [`StepKind::Commitment`]: the record and `k` open the leaf ([`leaf::open`]).
//!
//! A step that cannot run because an earlier one failed, or because the evidence lacks what it
//! needs, is [`Outcome::Skipped`] with the reason. The receipt holds when the leaf's inclusion
//! was proven and no step failed ([`ReceiptCheck::passed`]). Whether the log has forked since
//! the receipt's checkpoint needs the log itself, so the server checks that on its own.
//!
//! This replaces two copies that had drifted apart (the server's `routes/verify.rs` and the
//! CLI's `cmd/log.rs`); where they differed, this takes the stricter: the leaf must be
//! [`LEAF_LEN`] bytes (the CLI's rule), the receipt's `leaf_index` and `leaf_hash` must agree
//! with the proof and the leaf (the CLI's), and a leaf given beside a receipt that carries one
//! must be the same leaf (each copy silently preferred one of the two). Leaves are compared as
//! bytes, not as hex text (the server compared text, so an upper-case leaf failed to open).
//! No I/O: text in, a [`ReceiptCheck`] out.

use serde_json::Value;

use crate::LedgerError;
use crate::checkpoint::{SignedCheckpoint, TlogProof, open_checkpoint};
use crate::leaf::{self, LEAF_LEN, OpenError};
use crate::merkle;
use crate::note::NoteVerifier;
use crate::policy::{self, Cosigned, Policy, PolicyError};

/// The record and key that open a decision's leaf (the receipt's `opening`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Opening {
    /// The 32-byte key, hex.
    pub k: String,
    /// The decision record, JSON (canonical as issued; any JSON form of it opens the leaf).
    pub record: String,
}

/// What a holder presents to be checked. Every part is optional: what is missing shows as a
/// skipped or failed step, never as an error before the checks.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Evidence {
    /// The C2SP tlog-proof text; `None` while the decision is not yet in a published checkpoint.
    pub proof: Option<String>,
    /// The receipt's `status` (`proven`, `pending`, `erased`), to explain a missing proof.
    pub status: Option<String>,
    /// The receipt's own leaf, hex.
    pub leaf: Option<String>,
    /// A leaf given beside the receipt (a `--leaf` flag, a form field), hex. When the receipt
    /// carries a leaf too, the two must be the same bytes.
    pub leaf_given: Option<String>,
    /// The leaf index the receipt states; it must be the proof's.
    pub leaf_index: Option<u64>,
    /// The leaf hash the receipt states, hex; it must be the leaf's.
    pub leaf_hash: Option<String>,
    /// The record and its key, to check the commitment.
    pub opening: Option<Opening>,
}

impl Evidence {
    /// Reads a receipt as people paste or save it: the JSON of `GET /api/v1/receipts/{ref}`
    /// when the text starts with `{`, otherwise a bare tlog-proof (surrounding whitespace
    /// trimmed; the proof ends in one newline). Only the fields the checks use are read
    /// (`proof`, `status`, `leaf`, `leaf_index`, `leaf_hash`, `opening.k`, `opening.record`);
    /// others are ignored, so a receipt from a newer server still verifies.
    ///
    /// # Errors
    /// [`ReceiptError::Json`] when the text starts with `{` but is not JSON.
    pub fn from_text(text: &str) -> Result<Self, ReceiptError> {
        let text = text.trim();
        if !text.starts_with('{') {
            return Ok(Self { proof: Some(format!("{text}\n")), ..Self::default() });
        }
        let json: Value = serde_json::from_str(text).map_err(|e| ReceiptError::Json(e.to_string()))?;
        let field = |name: &str| json.get(name).and_then(Value::as_str).map(str::to_owned);
        let opening = json.get("opening").and_then(|o| {
            Some(Opening {
                k: o.get("k")?.as_str()?.to_owned(),
                record: o.get("record")?.as_str()?.to_owned(),
            })
        });
        Ok(Self {
            proof: field("proof"),
            status: field("status"),
            leaf: field("leaf"),
            leaf_given: None,
            leaf_index: json.get("leaf_index").and_then(Value::as_u64),
            leaf_hash: field("leaf_hash"),
            opening,
        })
    }
}

/// Whom to trust for the log's checkpoint.
#[derive(Clone, Copy, Debug)]
pub enum Trust<'a> {
    /// This log key alone; witness cosignatures are not checked.
    Log(&'a NoteVerifier),
    /// The logs of this C2SP tlog-policy, and its witness quorum.
    Policy(&'a Policy),
}

/// What a step checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StepKind {
    /// The receipt's parts are well-formed and agree with each other.
    Receipt,
    /// The checkpoint is signed by the log.
    Signature,
    /// The checkpoint is cosigned by the witness quorum.
    Witnesses,
    /// The leaf is in the log under the checkpoint.
    Inclusion,
    /// The record and `k` open the leaf.
    Commitment,
}

impl StepKind {
    /// A stable lowercase name (`receipt`, `signature`, `witnesses`, `inclusion`, `commitment`).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Receipt => "receipt",
            Self::Signature => "signature",
            Self::Witnesses => "witnesses",
            Self::Inclusion => "inclusion",
            Self::Commitment => "commitment",
        }
    }
}

/// How a step went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// It held; the detail says what was found (origin, sizes, hashes).
    Passed(String),
    /// It did not hold.
    Failed(ReceiptError),
    /// It could not run; the reason says why.
    Skipped(String),
}

/// One step and its outcome.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// What was checked.
    pub kind: StepKind,
    /// How it went.
    pub outcome: Outcome,
}

/// Why a step failed, or the evidence could not be read.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum ReceiptError {
    /// The receipt text starts like JSON but is not.
    #[error("the receipt is not valid JSON: {0}")]
    Json(String),
    /// The proof is not a C2SP tlog-proof.
    #[error("the receipt's `proof` is not a tlog-proof: {0}")]
    Proof(LedgerError),
    /// The leaf is not hex.
    #[error("the leaf is not hex; give the {LEAF_LEN}-byte leaf as {} hex digits", 2 * LEAF_LEN)]
    LeafHex,
    /// The leaf has the wrong length.
    #[error("the leaf is {len} bytes; a decision leaf is {LEAF_LEN}")]
    LeafLength {
        /// Its length in bytes.
        len: usize,
    },
    /// A leaf given beside the receipt is not the receipt's.
    #[error("the leaf given (`{given}`) is not the receipt's `leaf` (`{receipt}`)")]
    LeafConflict {
        /// The leaf given, hex.
        given: String,
        /// The receipt's, hex.
        receipt: String,
    },
    /// The receipt's `leaf_index` is not its proof's.
    #[error("the receipt says leaf index `{receipt}` but its proof is for index `{proof}`")]
    Index {
        /// The receipt's `leaf_index`.
        receipt: u64,
        /// The proof's `index`.
        proof: u64,
    },
    /// The receipt's `leaf_hash` is not the hash of the leaf.
    #[error("the receipt's `leaf_hash` `{receipt}` is not the hash of its leaf (`{computed}`)")]
    LeafHash {
        /// The receipt's `leaf_hash`.
        receipt: String,
        /// The leaf's RFC 6962 hash, hex.
        computed: String,
    },
    /// There is a proof but no leaf to check it with.
    #[error(
        "no leaf to check the proof with; give the {LEAF_LEN}-byte leaf, hex (the receipt's \
         `leaf`; an erased decision's leaf is no longer shown)"
    )]
    NoLeaf,
    /// The checkpoint is not signed by the trusted log key.
    #[error("the checkpoint is not signed by this log: {0}")]
    Signature(LedgerError),
    /// The checkpoint does not satisfy the policy (unknown log, bad log signature, a bad
    /// cosignature or a quorum not met).
    #[error("the checkpoint does not satisfy the policy: {0}")]
    Policy(PolicyError),
    /// The inclusion proof does not lead from the leaf to the checkpoint's root.
    #[error("the leaf is not proven to be in the log: {0}")]
    Inclusion(LedgerError),
    /// The record and key do not open the leaf.
    #[error(transparent)]
    Open(#[from] OpenError),
}

/// The steps, in order, and what they established.
#[derive(Clone, Debug, Default)]
pub struct ReceiptCheck {
    /// Every step, in the order of the module documentation.
    pub steps: Vec<Step>,
    /// The checkpoint, once its log signature verified.
    pub checkpoint: Option<SignedCheckpoint>,
    /// The log key that signed it.
    pub log_key: Option<NoteVerifier>,
    /// Under a policy, the witnesses whose cosignatures verified, in policy order.
    pub cosigned: Vec<Cosigned>,
    /// Under a policy, the quorum that was met, as written in it.
    pub quorum: Option<String>,
    /// The tlog-proof, once parsed (its `index` is the leaf's).
    pub proof: Option<TlogProof>,
    /// The leaf, once read.
    pub leaf: Option<Vec<u8>>,
    /// The record, once it opened the leaf.
    pub record: Option<Value>,
}

impl ReceiptCheck {
    /// Whether the receipt holds: the leaf's inclusion was proven and no step failed (a
    /// skipped witness or commitment step does not fail it; the caller can tell from
    /// [`ReceiptCheck::steps`]).
    #[must_use]
    pub fn passed(&self) -> bool {
        self.step(StepKind::Inclusion).is_some_and(|s| matches!(s.outcome, Outcome::Passed(_)))
            && self.failure().is_none()
    }

    /// The step of this kind.
    #[must_use]
    pub fn step(&self, kind: StepKind) -> Option<&Step> {
        self.steps.iter().find(|s| s.kind == kind)
    }

    /// The first step that failed, and why.
    #[must_use]
    pub fn failure(&self) -> Option<(StepKind, &ReceiptError)> {
        self.steps.iter().find_map(|s| match &s.outcome {
            Outcome::Failed(e) => Some((s.kind, e)),
            _ => None,
        })
    }

    fn push(&mut self, kind: StepKind, outcome: Outcome) {
        self.steps.push(Step { kind, outcome });
    }

    fn skip(&mut self, kinds: &[StepKind], reason: &str) {
        for &kind in kinds {
            self.push(kind, Outcome::Skipped(reason.to_owned()));
        }
    }
}

/// The receipt's parts, read and cross-checked (step 1).
struct Parts {
    proof: Option<TlogProof>,
    leaf: Option<Vec<u8>>,
}

fn decode_leaf(text: &str) -> Result<Vec<u8>, ReceiptError> {
    let leaf = hex::decode(text.trim()).map_err(|_| ReceiptError::LeafHex)?;
    if leaf.len() != LEAF_LEN {
        return Err(ReceiptError::LeafLength { len: leaf.len() });
    }
    Ok(leaf)
}

fn read_parts(e: &Evidence) -> Result<Parts, ReceiptError> {
    let proof = e.proof.as_deref().map(TlogProof::parse).transpose().map_err(ReceiptError::Proof)?;
    let receipt_leaf = e.leaf.as_deref().map(decode_leaf).transpose()?;
    let given_leaf = e.leaf_given.as_deref().map(decode_leaf).transpose()?;
    let leaf = match (receipt_leaf, given_leaf) {
        (Some(r), Some(g)) if r != g => {
            return Err(ReceiptError::LeafConflict { given: hex::encode(g), receipt: hex::encode(r) });
        }
        (r, g) => r.or(g),
    };
    if let (Some(i), Some(p)) = (e.leaf_index, &proof)
        && i != p.index
    {
        return Err(ReceiptError::Index { receipt: i, proof: p.index });
    }
    if let (Some(h), Some(l)) = (&e.leaf_hash, &leaf) {
        let computed = merkle::leaf_hash(l).to_hex();
        if !h.trim().eq_ignore_ascii_case(&computed) {
            let receipt = h.chars().take(80).collect();
            return Err(ReceiptError::LeafHash { receipt, computed });
        }
    }
    Ok(Parts { proof, leaf })
}

/// Checks `evidence` against the log keys in `trust`, every step that the evidence allows.
/// Never fails as a function: each step's outcome is in the returned [`ReceiptCheck`].
#[must_use]
pub fn check(evidence: &Evidence, trust: Trust<'_>) -> ReceiptCheck {
    use StepKind::{Commitment, Inclusion, Receipt, Signature, Witnesses};
    let mut out = ReceiptCheck::default();
    let parts = match read_parts(evidence) {
        Ok(p) => p,
        Err(e) => {
            out.push(Receipt, Outcome::Failed(e));
            out.skip(
                &[Signature, Witnesses, Inclusion, Commitment],
                "the receipt could not be read, so nothing in it can be checked",
            );
            return out;
        }
    };
    out.leaf.clone_from(&parts.leaf);
    let leaf_words = if parts.leaf.is_some() { "with its leaf" } else { "without a leaf" };
    match &parts.proof {
        Some(p) => {
            out.push(
                Receipt,
                Outcome::Passed(format!("a tlog-proof for leaf index {}, {leaf_words}", p.index)),
            );
            log_steps(&mut out, p, parts.leaf.as_deref(), trust);
            out.proof.clone_from(&parts.proof);
        }
        None => {
            let status = evidence.status.as_deref().unwrap_or("pending");
            out.push(
                Receipt,
                Outcome::Passed(format!("a receipt without a proof (status `{status}`), {leaf_words}")),
            );
            out.skip(
                &[Signature, Witnesses, Inclusion],
                &format!(
                    "the receipt has no proof (status `{status}`): the decision is not yet in a \
                     published checkpoint; fetch the receipt again in a minute"
                ),
            );
        }
    }
    match (&evidence.opening, &parts.leaf) {
        (None, _) => {
            out.skip(&[Commitment], "no record and key were given, so what was decided stays private");
        }
        (Some(_), None) => out.skip(&[Commitment], "there is no leaf to open"),
        (Some(o), Some(l)) => match leaf::open(l, &o.record, &o.k) {
            Ok(record) => {
                let s = |f: &str| record.get(f).and_then(Value::as_str).unwrap_or_default().to_owned();
                out.push(
                    Commitment,
                    Outcome::Passed(format!(
                        "system {}, decided {}: HMAC-SHA256(k, record) matches",
                        s("system"),
                        s("decided_at")
                    )),
                );
                out.record = Some(record);
            }
            Err(e) => out.push(Commitment, Outcome::Failed(e.into())),
        },
    }
    out
}

/// Steps 2 to 4: signature, witnesses, inclusion.
fn log_steps(out: &mut ReceiptCheck, proof: &TlogProof, leaf: Option<&[u8]>, trust: Trust<'_>) {
    use StepKind::{Inclusion, Signature, Witnesses};
    let note = proof.checkpoint.as_bytes();
    let signed = match trust {
        Trust::Log(key) => match open_checkpoint(note, key) {
            Ok(cp) => {
                out.log_key = Some(key.clone());
                out.push(Signature, signed_detail(&cp, Some(key)));
                out.skip(
                    &[Witnesses],
                    "no witness policy was given, so witness cosignatures were not checked",
                );
                Some(cp)
            }
            Err(e) => {
                out.push(Signature, Outcome::Failed(ReceiptError::Signature(e)));
                None
            }
        },
        Trust::Policy(p) => {
            // Which of the policy's logs signed it (for the detail); `policy::check` decides.
            out.log_key =
                p.logs().iter().find(|l| open_checkpoint(note, &l.key).is_ok()).map(|l| l.key.clone());
            match policy::check(note, p) {
                Ok(checked) => {
                    let names: Vec<String> =
                        checked.cosigned.iter().map(|c| format!("`{}`", c.witness)).collect();
                    let who = if names.is_empty() {
                        "no cosignatures required".to_owned()
                    } else {
                        format!("cosigned by {}", names.join(", "))
                    };
                    out.push(Signature, signed_detail(&checked.checkpoint, out.log_key.as_ref()));
                    out.push(Witnesses, Outcome::Passed(format!("quorum `{}` met; {who}", checked.quorum)));
                    out.cosigned = checked.cosigned;
                    out.quorum = Some(checked.quorum);
                    Some(checked.checkpoint)
                }
                // `policy::check` looks at cosignatures only once the log's signature held.
                Err(e @ (PolicyError::Cosignature { .. } | PolicyError::Quorum(_))) => {
                    match p.logs().iter().find_map(|l| open_checkpoint(note, &l.key).ok()) {
                        Some(cp) => {
                            out.push(Signature, signed_detail(&cp, out.log_key.as_ref()));
                            out.push(Witnesses, Outcome::Failed(ReceiptError::Policy(e)));
                            Some(cp)
                        }
                        None => {
                            out.push(Signature, Outcome::Failed(ReceiptError::Policy(e)));
                            None
                        }
                    }
                }
                Err(e) => {
                    out.push(Signature, Outcome::Failed(ReceiptError::Policy(e)));
                    None
                }
            }
        }
    };
    let Some(cp) = signed else {
        out.log_key = None;
        if out.step(Witnesses).is_none() {
            out.skip(&[Witnesses], "the checkpoint's log signature did not verify");
        }
        out.skip(
            &[Inclusion],
            "the checkpoint's log signature did not verify, so a proof under it shows nothing",
        );
        return;
    };
    match leaf {
        None => out.push(Inclusion, Outcome::Failed(ReceiptError::NoLeaf)),
        Some(leaf) => {
            let c = &cp.checkpoint;
            let outcome = match merkle::verify_inclusion(
                &merkle::leaf_hash(leaf),
                proof.index,
                c.size,
                &proof.proof,
                &c.root,
            ) {
                Ok(()) => Outcome::Passed(format!(
                    "leaf {} of {}, root {} ({} proof hashes)",
                    proof.index,
                    c.size,
                    c.root,
                    proof.proof.len()
                )),
                Err(e) => Outcome::Failed(ReceiptError::Inclusion(e)),
            };
            out.push(Inclusion, outcome);
        }
    }
    out.checkpoint = Some(cp);
}

fn signed_detail(cp: &SignedCheckpoint, key: Option<&NoteVerifier>) -> Outcome {
    let c = &cp.checkpoint;
    let by = key.map(|k| format!(", signed by `{}`", k.to_vkey())).unwrap_or_default();
    Outcome::Passed(format!("{} size {} root {}{by}", c.origin, c.size, c.root))
}
