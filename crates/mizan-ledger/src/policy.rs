//! C2SP tlog-policy: which logs a verifier accepts and which witness cosignatures it needs, and
//! [`check`], which applies a policy to a signed checkpoint.
//!
//! The format, checked line by line against C2SP `tlog-policy.md` (commit `5ba5ee8`):
//!
//! ```text
//! # comments and blank lines are ignored; items are separated by spaces and tabs
//! log <vkey> [<url>]
//! witness <name> <vkey> [<url>]
//! group <name> all|any|<k> <name>...
//! quorum <name>|none
//! ```
//!
//! A group witnesses a checkpoint when at least `k` of its members (witnesses or earlier
//! groups) do; `any` is `k = 1`, `all` is `k = n`. Names are opaque bytes shared by witnesses
//! and groups; `none` is predefined and may only be the quorum. A name is a group member at
//! most once in the whole file, so no witness counts twice towards the quorum. Log keys are
//! Ed25519 note keys (type `0x01`) named after the origin; witness keys are Ed25519
//! `cosignature/v1` keys (type `0x04`). Two log (or two witness) lines wrapping the same public
//! key are duplicates even under different names. Only tab, newline and bytes `0x20..=0x7E`,
//! `0x80..=0xFF` may appear. One deviation, on the lenient side: the last line may lack its
//! newline. ML-DSA-44 cosigner keys (type `0x06`) are refused with a clear error.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use base64::{Engine, engine::general_purpose::STANDARD as B64};

use crate::LedgerError;
use crate::checkpoint::{Checkpoint, SignedCheckpoint, TlogProof};
use crate::merkle;
use crate::note::{self, ALG_COSIGNATURE_V1, ALG_ED25519, Note, NoteVerifier};

/// Most logs, witnesses or groups a policy may define. The spec recommends supporting at
/// least 32 of each.
pub const MAX_ENTRIES: usize = 1024;

/// Why a policy could not be parsed, or a checkpoint does not satisfy it.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum PolicyError {
    /// A line of the policy file is wrong.
    #[error("policy line {line}: {message}")]
    Syntax {
        /// 1-based line number.
        line: usize,
        /// What is wrong, and how to fix it.
        message: String,
    },
    /// The file has no `quorum` line.
    #[error("policy has no `quorum` line; add one, for example `quorum none` to require no cosignatures")]
    NoQuorum,
    /// The checkpoint's origin is not one of the policy's logs.
    #[error("checkpoint origin `{origin}` is not a log of the policy (logs: {known})")]
    UnknownLog {
        /// The checkpoint's origin.
        origin: String,
        /// The logs the policy lists, in backticks, or `none`.
        known: String,
    },
    /// The note, its log signature or an inclusion proof failed.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// A cosignature line by one of the policy's witnesses does not verify.
    #[error("witness `{witness}`: {reason}")]
    Cosignature {
        /// The witness's name in the policy.
        witness: String,
        /// Why its line failed.
        reason: String,
    },
    /// Too few witnesses cosigned.
    #[error("witness quorum not met: {0}")]
    Quorum(String),
}

/// A log the policy accepts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyLog {
    /// Its Ed25519 note key; the key name is the log's origin.
    pub key: NoteVerifier,
    /// Where to reach it, if given.
    pub url: Option<String>,
}

/// A witness the policy knows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyWitness {
    name: Vec<u8>,
    /// Its `cosignature/v1` key.
    pub key: NoteVerifier,
    /// Its tlog-witness submission prefix, if given.
    pub url: Option<String>,
}

impl PolicyWitness {
    /// The witness's name in the policy (not the key name), lossily as UTF-8.
    #[must_use]
    pub fn name(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.name)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Node {
    None,
    Witness(usize),
    Group(usize),
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Group {
    name: Vec<u8>,
    k: usize,
    members: Vec<Node>,
}

/// A parsed tlog-policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    logs: Vec<PolicyLog>,
    witnesses: Vec<PolicyWitness>,
    groups: Vec<Group>,
    quorum: Node,
}

fn lossy(b: &[u8]) -> Cow<'_, str> {
    String::from_utf8_lossy(b)
}

fn is_space(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// Decodes a vkey token, requiring key type `want`.
fn parse_key(token: &[u8], want: u8, what: &str) -> Result<NoteVerifier, String> {
    let text = std::str::from_utf8(token).map_err(|_| format!("{what} vkey is not UTF-8"))?;
    // Look at the type byte first, for a clearer message than the generic vkey parser's.
    if let Some(b64) = text.splitn(3, '+').nth(2)
        && let Ok(raw) = B64.decode(b64)
        && let Some(&alg) = raw.first()
        && alg != want
    {
        let hint = match (alg, want) {
            (0x06, _) => "ML-DSA-44 cosigner keys (type 0x06) are not supported; ask the witness for its Ed25519 cosignature/v1 key (type 0x04)".to_owned(),
            (ALG_ED25519, ALG_COSIGNATURE_V1) => "this is a note-signing key (type 0x01); a witness line needs the witness's cosignature/v1 key (type 0x04)".to_owned(),
            (ALG_COSIGNATURE_V1, ALG_ED25519) => "this is a cosignature/v1 witness key (type 0x04); a log line needs the log's Ed25519 key (type 0x01)".to_owned(),
            _ => format!("key type is `{alg}`; expected `{want}`"),
        };
        return Err(format!("{what} vkey `{text}`: {hint}"));
    }
    NoteVerifier::from_vkey(text).map_err(|e| e.to_string())
}

fn parse_url(token: Option<&&[u8]>, what: &str) -> Result<Option<String>, String> {
    token.map(|u| String::from_utf8(u.to_vec()).map_err(|_| format!("{what} url is not UTF-8"))).transpose()
}

struct Parser {
    policy_logs: Vec<PolicyLog>,
    witnesses: Vec<PolicyWitness>,
    groups: Vec<Group>,
    names: HashMap<Vec<u8>, Node>,
    members_used: HashSet<Vec<u8>>,
    quorum: Option<Node>,
}

impl Parser {
    fn define(&mut self, name: &[u8], node: Node) -> Result<(), String> {
        if name == b"none" {
            return Err("`none` is predefined (no cosignatures); choose another name".into());
        }
        if self.names.contains_key(name) {
            return Err(format!(
                "duplicate name `{}`; witnesses and groups share one namespace",
                lossy(name)
            ));
        }
        self.names.insert(name.to_vec(), node);
        Ok(())
    }

    fn lookup(&self, name: &[u8]) -> Result<Node, String> {
        self.names.get(name).copied().ok_or_else(|| {
            format!(
                "`{}` is not defined on an earlier line; define witnesses and groups before use",
                lossy(name)
            )
        })
    }

    fn line(&mut self, items: &[&[u8]]) -> Result<(), String> {
        let Some((&keyword, args)) = items.split_first() else { return Ok(()) };
        match keyword {
            b"log" => {
                let [key, rest @ ..] = args else { return Err("expected `log <vkey> [<url>]`".into()) };
                if rest.len() > 1 {
                    return Err(format!(
                        "expected `log <vkey> [<url>]`, found {} items after the key (comments must be on their own line)",
                        rest.len()
                    ));
                }
                let key = parse_key(key, ALG_ED25519, "log")?;
                if let Some(dup) = self.policy_logs.iter().find(|l| l.key.key() == key.key()) {
                    return Err(format!("duplicate log: the key of `{}` is listed twice", dup.key.name()));
                }
                self.check_limit(self.policy_logs.len(), "logs")?;
                let url = parse_url(rest.first(), "log")?;
                self.policy_logs.push(PolicyLog { key, url });
            }
            b"witness" => {
                let [name, key, rest @ ..] = args else {
                    return Err("expected `witness <name> <vkey> [<url>]`".into());
                };
                if rest.len() > 1 {
                    return Err(format!(
                        "expected `witness <name> <vkey> [<url>]`, found {} items after the key (comments must be on their own line)",
                        rest.len()
                    ));
                }
                let key = parse_key(key, ALG_COSIGNATURE_V1, "witness")?;
                if let Some(dup) = self.witnesses.iter().find(|w| w.key.key() == key.key()) {
                    return Err(format!(
                        "duplicate witness: `{}` has the same public key as `{}`",
                        lossy(name),
                        dup.name()
                    ));
                }
                self.check_limit(self.witnesses.len(), "witnesses")?;
                let url = parse_url(rest.first(), "witness")?;
                self.define(name, Node::Witness(self.witnesses.len()))?;
                self.witnesses.push(PolicyWitness { name: name.to_vec(), key, url });
            }
            b"group" => {
                let [name, threshold, members @ ..] = args else {
                    return Err("expected `group <name> all|any|<k> <member>...`".into());
                };
                if members.is_empty() {
                    return Err(format!("group `{}` needs at least one member", lossy(name)));
                }
                let n = members.len();
                let k = match *threshold {
                    b"all" => n,
                    b"any" => 1,
                    t => {
                        let k = std::str::from_utf8(t)
                            .ok()
                            .filter(|s| s.bytes().all(|b| b.is_ascii_digit()))
                            .and_then(|s| s.parse::<usize>().ok())
                            .ok_or_else(|| {
                                format!("threshold `{}` must be `all`, `any` or a decimal number", lossy(t))
                            })?;
                        if k == 0 || k > n {
                            return Err(format!(
                                "threshold {k} of group `{}` must be between 1 and its {n} members",
                                lossy(name)
                            ));
                        }
                        k
                    }
                };
                let mut nodes = Vec::with_capacity(n);
                for m in members {
                    if *m == b"none" {
                        return Err("`none` cannot be a group member".into());
                    }
                    let node = self.lookup(m)?;
                    if !self.members_used.insert(m.to_vec()) {
                        return Err(format!(
                            "`{}` is already a member of a group; a name may be a member only once",
                            lossy(m)
                        ));
                    }
                    nodes.push(node);
                }
                self.check_limit(self.groups.len(), "groups")?;
                self.define(name, Node::Group(self.groups.len()))?;
                self.groups.push(Group { name: name.to_vec(), k, members: nodes });
            }
            b"quorum" => {
                let [name] = args else { return Err("expected `quorum <name>`".into()) };
                if self.quorum.is_some() {
                    return Err("a second `quorum` line; a policy has exactly one".into());
                }
                self.quorum = Some(if *name == b"none" { Node::None } else { self.lookup(name)? });
            }
            other => {
                return Err(format!(
                    "unknown keyword `{}`; expected `log`, `witness`, `group` or `quorum`",
                    lossy(other)
                ));
            }
        }
        Ok(())
    }

    fn check_limit(&self, have: usize, what: &str) -> Result<(), String> {
        if have >= MAX_ENTRIES {
            return Err(format!("more than {MAX_ENTRIES} {what}"));
        }
        Ok(())
    }
}

/// A cosignature that counted towards the quorum.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cosigned {
    /// The witness's name in the policy.
    pub witness: String,
    /// Its key name (as on the signature line).
    pub key_name: String,
    /// The cosignature's timestamp, seconds since the Unix epoch.
    pub time: u64,
}

/// A checkpoint that satisfies a policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checked {
    /// The checkpoint, verified against the log key named by its origin.
    pub checkpoint: SignedCheckpoint,
    /// Every policy witness whose cosignature verified, in policy order.
    pub cosigned: Vec<Cosigned>,
    /// The quorum that was met, as written in the policy (`none` or a name).
    pub quorum: String,
}

impl Policy {
    /// Parses a policy file.
    ///
    /// # Errors
    /// [`PolicyError::Syntax`] with the 1-based line number and what to fix;
    /// [`PolicyError::NoQuorum`] when there is no `quorum` line.
    pub fn parse(text: &[u8]) -> Result<Self, PolicyError> {
        let mut p = Parser {
            policy_logs: Vec::new(),
            witnesses: Vec::new(),
            groups: Vec::new(),
            names: HashMap::new(),
            members_used: HashSet::new(),
            quorum: None,
        };
        let body = text.strip_suffix(b"\n").unwrap_or(text);
        for (i, raw) in body.split(|&b| b == b'\n').enumerate() {
            let line = i + 1;
            let err = |message: String| PolicyError::Syntax { line, message };
            if let Some(col) = raw.iter().position(|&b| (b < 0x20 && b != b'\t') || b == 0x7f) {
                let hint = if raw[col] == b'\r' { " (save the file with Unix line endings)" } else { "" };
                return Err(err(format!(
                    "control character 0x{:02x} at column {}; only tab and newline are allowed{hint}",
                    raw[col],
                    col + 1
                )));
            }
            let items: Vec<&[u8]> = raw.split(|&b| is_space(b)).filter(|s| !s.is_empty()).collect();
            if items.first().is_some_and(|f| f.starts_with(b"#")) {
                continue;
            }
            p.line(&items).map_err(err)?;
        }
        let quorum = p.quorum.ok_or(PolicyError::NoQuorum)?;
        Ok(Self { logs: p.policy_logs, witnesses: p.witnesses, groups: p.groups, quorum })
    }

    /// The logs, in file order.
    #[must_use]
    pub fn logs(&self) -> &[PolicyLog] {
        &self.logs
    }

    /// The witnesses, in file order.
    #[must_use]
    pub fn witnesses(&self) -> &[PolicyWitness] {
        &self.witnesses
    }

    /// Adds a log known from elsewhere (for example a `--vkey` flag) to the accepted logs.
    ///
    /// # Errors
    /// [`PolicyError::Syntax`] (line 0) when the key is not an Ed25519 note key or is listed.
    pub fn add_log(&mut self, key: NoteVerifier) -> Result<(), PolicyError> {
        let err = |message: String| PolicyError::Syntax { line: 0, message };
        if key.alg() != ALG_ED25519 {
            return Err(err(format!("log key `{}` is not an Ed25519 note key (type 0x01)", key.to_vkey())));
        }
        if self.logs.iter().any(|l| l.key.key() == key.key()) {
            return Ok(());
        }
        self.logs.push(PolicyLog { key, url: None });
        Ok(())
    }

    fn node_name(&self, node: Node) -> Cow<'_, str> {
        match node {
            Node::None => Cow::Borrowed("none"),
            Node::Witness(i) => self.witnesses[i].name(),
            Node::Group(i) => lossy(&self.groups[i].name),
        }
    }

    // `present[i]`: witness `i` cosigned. Groups only refer to earlier definitions, so the
    // recursion ends.
    fn met(&self, node: Node, present: &[bool]) -> bool {
        match node {
            Node::None => true,
            Node::Witness(i) => present[i],
            Node::Group(g) => {
                let g = &self.groups[g];
                g.members.iter().filter(|&&m| self.met(m, present)).count() >= g.k
            }
        }
    }

    fn explain(&self, node: Node, present: &[bool]) -> String {
        match node {
            Node::None => String::new(),
            Node::Witness(i) => format!("witness `{}` did not cosign", self.witnesses[i].name()),
            Node::Group(gi) => {
                let g = &self.groups[gi];
                let (ok, missing): (Vec<Node>, Vec<Node>) =
                    g.members.iter().partition(|&&m| self.met(m, present));
                let list = |ns: &[Node]| {
                    if ns.is_empty() {
                        "none".to_owned()
                    } else {
                        ns.iter().map(|&n| format!("`{}`", self.node_name(n))).collect::<Vec<_>>().join(", ")
                    }
                };
                let mut s = format!(
                    "group `{}` needs {} of {} ({}) and has {} ({})",
                    lossy(&g.name),
                    g.k,
                    g.members.len(),
                    list(&g.members),
                    ok.len(),
                    list(&ok)
                );
                for m in missing.iter().filter(|m| matches!(m, Node::Group(_))) {
                    s.push_str("; ");
                    s.push_str(&self.explain(*m, present));
                }
                s
            }
        }
    }
}

/// Verifies a signed checkpoint against `policy`: the origin must be one of its logs and that
/// log's signature must verify; every cosignature line by a policy witness must verify (one
/// bad line from a known key rejects the note, as signed-note requires); and the witnesses
/// that cosigned must satisfy the quorum. Lines by keys the policy does not know are ignored.
///
/// # Errors
/// [`PolicyError::UnknownLog`], [`PolicyError::Ledger`] (malformed note or log signature),
/// [`PolicyError::Cosignature`] naming the witness, [`PolicyError::Quorum`] explaining which
/// group is short of cosignatures.
pub fn check(note_bytes: &[u8], policy: &Policy) -> Result<Checked, PolicyError> {
    let note = Note::parse(note_bytes)?;
    let checkpoint = Checkpoint::parse_body(&note.text)?;
    let candidates: Vec<&PolicyLog> =
        policy.logs.iter().filter(|l| l.key.name() == checkpoint.origin).collect();
    if candidates.is_empty() {
        let known = if policy.logs.is_empty() {
            "none; pass the log's vkey too".to_owned()
        } else {
            policy.logs.iter().map(|l| format!("`{}`", l.key.name())).collect::<Vec<_>>().join(", ")
        };
        return Err(PolicyError::UnknownLog { origin: checkpoint.origin, known });
    }
    // Any one of the policy's logs for this origin may have signed it.
    let mut failure = None;
    let signed = candidates.iter().any(|log| match note.verify(&log.key) {
        Ok(()) => true,
        Err(e) => {
            failure = Some(e);
            false
        }
    });
    if !signed {
        return Err(PolicyError::Ledger(failure.unwrap_or_else(|| {
            LedgerError::Signature(format!("no log signature for `{}`", checkpoint.origin))
        })));
    }
    let mut present = vec![false; policy.witnesses.len()];
    let mut cosigned = Vec::new();
    for (i, w) in policy.witnesses.iter().enumerate() {
        let id = w.key.key_id();
        for line in note.signatures.iter().filter(|s| s.name == w.key.name() && s.id == id) {
            let time = note::verify_cosignature(&w.key, &note.text, line).map_err(|e| {
                PolicyError::Cosignature { witness: w.name().into_owned(), reason: e.to_string() }
            })?;
            if !present[i] {
                present[i] = true;
                cosigned.push(Cosigned {
                    witness: w.name().into_owned(),
                    key_name: w.key.name().to_owned(),
                    time,
                });
            }
        }
    }
    if !policy.met(policy.quorum, &present) {
        return Err(PolicyError::Quorum(policy.explain(policy.quorum, &present)));
    }
    Ok(Checked {
        checkpoint: SignedCheckpoint { checkpoint, note },
        cosigned,
        quorum: policy.node_name(policy.quorum).into_owned(),
    })
}

/// Verifies a tlog-proof under `policy`: [`check`] on its checkpoint, then the inclusion of
/// `entry` at the proof's index.
///
/// # Errors
/// As [`check`]; [`PolicyError::Ledger`] with a proof error when inclusion fails.
pub fn check_proof(proof: &TlogProof, entry: &[u8], policy: &Policy) -> Result<Checked, PolicyError> {
    let checked = check(proof.checkpoint.as_bytes(), policy)?;
    let cp = &checked.checkpoint.checkpoint;
    merkle::verify_inclusion(&merkle::leaf_hash(entry), proof.index, cp.size, &proof.proof, &cp.root)?;
    Ok(checked)
}
