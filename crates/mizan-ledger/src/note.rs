//! C2SP signed notes with Ed25519 keys, and C2SP tlog-cosignature (`cosignature/v1`).
//!
//! A note is UTF-8 text ending in a newline, a blank line, then signature lines
//! `— <key name> <base64(key id || signature)>`. The key id is the first four bytes of
//! `SHA-256(name || "\n" || type || public key)`; type `0x01` is Ed25519, `0x04` is a
//! cosignature/v1 witness key. Verifier keys print as `<name>+<hex key id>+<base64(type || key)>`.

use base64::{Engine, engine::general_purpose::STANDARD as B64};
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use sha2::{Digest, Sha256};

use crate::LedgerError;

/// Signature type byte for Ed25519 note signatures.
pub const ALG_ED25519: u8 = 0x01;
/// Signature type byte for `cosignature/v1` witness signatures.
pub const ALG_COSIGNATURE_V1: u8 = 0x04;

const DASH: &str = "\u{2014} ";

/// Most signature lines a note may carry. The signed-note spec requires accepting at least 16
/// and asks verifiers to apply a limit; this is golang.org/x/mod/sumdb/note's limit.
pub const MAX_SIGNATURES: usize = 100;

/// Largest `cosignature/v1` timestamp: tlog-cosignature says it MUST NOT exceed 2^63 - 1.
pub const MAX_COSIGNATURE_TIME: u64 = i64::MAX as u64;

/// Computes a key id: the first four bytes of `SHA-256(name || "\n" || alg || key)`.
#[must_use]
pub fn key_id(name: &str, alg: u8, key: &[u8; 32]) -> [u8; 4] {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update(b"\n");
    h.update([alg]);
    h.update(key);
    let d = h.finalize();
    [d[0], d[1], d[2], d[3]]
}

fn valid_name(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| !c.is_whitespace() && c != '+' && !c.is_control())
}

/// A verifier: a key name, key type and Ed25519 public key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoteVerifier {
    name: String,
    alg: u8,
    key: VerifyingKey,
}

impl NoteVerifier {
    /// Builds a verifier from parts.
    ///
    /// # Errors
    /// [`LedgerError::Malformed`] for an invalid key name.
    pub fn new(name: &str, alg: u8, key: VerifyingKey) -> Result<Self, LedgerError> {
        if !valid_name(name) {
            return Err(LedgerError::Malformed(format!(
                "key name `{name}` must be non-empty without spaces or `+`"
            )));
        }
        Ok(Self { name: name.to_owned(), alg, key })
    }

    /// Parses a vkey `<name>+<hex id>+<base64(type || key)>`.
    ///
    /// # Errors
    /// [`LedgerError::Malformed`] naming the part of the vkey that is wrong.
    pub fn from_vkey(vkey: &str) -> Result<Self, LedgerError> {
        let bad = |why: &str| LedgerError::Malformed(format!("vkey `{vkey}`: {why}"));
        let mut parts = vkey.splitn(3, '+');
        let (Some(name), Some(id), Some(key)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(bad("expected `name+keyid+base64key`"));
        };
        let raw = B64.decode(key).map_err(|_| bad("key part is not base64"))?;
        let (&alg, pk) = raw.split_first().ok_or_else(|| bad("key part is empty"))?;
        if alg != ALG_ED25519 && alg != ALG_COSIGNATURE_V1 {
            return Err(bad(&format!(
                "unsupported key type `{alg}`; expected 1 (Ed25519) or 4 (cosignature/v1)"
            )));
        }
        let pk: [u8; 32] = pk.try_into().map_err(|_| bad("public key is not 32 bytes"))?;
        let key = VerifyingKey::from_bytes(&pk).map_err(|_| bad("not a valid Ed25519 public key"))?;
        let v = Self::new(name, alg, key)?;
        if id.len() != 8 || !id.bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f')) {
            return Err(bad("key id must be 8 lower-case hex digits"));
        }
        if id != hex8(v.key_id()) {
            return Err(bad(&format!(
                "key id `{id}` does not match the key; expected `{}`",
                hex8(v.key_id())
            )));
        }
        Ok(v)
    }

    /// The key name (for a log key, the origin).
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The four-byte key id.
    #[must_use]
    pub fn key_id(&self) -> [u8; 4] {
        key_id(&self.name, self.alg, self.key.as_bytes())
    }

    /// Formats the vkey.
    #[must_use]
    pub fn to_vkey(&self) -> String {
        let mut raw = vec![self.alg];
        raw.extend_from_slice(self.key.as_bytes());
        format!("{}+{}+{}", self.name, hex8(self.key_id()), B64.encode(raw))
    }

    /// The signature type byte.
    #[must_use]
    pub fn alg(&self) -> u8 {
        self.alg
    }

    /// The Ed25519 public key.
    #[must_use]
    pub fn key(&self) -> &VerifyingKey {
        &self.key
    }
}

fn hex8(id: [u8; 4]) -> String {
    format!("{:08x}", u32::from_be_bytes(id))
}

/// A note signer: key name plus Ed25519 signing key (type `0x01`).
#[derive(Clone)]
pub struct NoteSigner {
    name: String,
    key: SigningKey,
}

impl std::fmt::Debug for NoteSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NoteSigner").field("name", &self.name).finish_non_exhaustive()
    }
}

impl NoteSigner {
    /// A signer named `name` (for a log: its origin) with `key`.
    ///
    /// # Errors
    /// [`LedgerError::Malformed`] for an invalid key name.
    pub fn new(name: &str, key: SigningKey) -> Result<Self, LedgerError> {
        if !valid_name(name) {
            return Err(LedgerError::Malformed(format!(
                "key name `{name}` must be non-empty without spaces or `+`"
            )));
        }
        Ok(Self { name: name.to_owned(), key })
    }

    /// Parses a private key in the golang.org/x/mod/sumdb/note form
    /// `PRIVATE+KEY+<name>+<hex key id>+<base64(0x01 || 32-byte Ed25519 seed)>`.
    ///
    /// # Errors
    /// [`LedgerError::Malformed`] naming the part that is wrong (never echoing the key).
    pub fn from_skey(skey: &str) -> Result<Self, LedgerError> {
        let bad = |why: &str| LedgerError::Malformed(format!("private note key: {why}"));
        let rest = skey.strip_prefix("PRIVATE+KEY+").ok_or_else(|| bad("must start with `PRIVATE+KEY+`"))?;
        let mut parts = rest.splitn(3, '+');
        let (Some(name), Some(id), Some(key)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(bad("expected `PRIVATE+KEY+name+keyid+base64key`"));
        };
        let raw = B64.decode(key).map_err(|_| bad("key part is not base64"))?;
        let (&alg, seed) = raw.split_first().ok_or_else(|| bad("key part is empty"))?;
        if alg != ALG_ED25519 {
            return Err(bad(&format!("unsupported key type `{alg}`; expected 1 (Ed25519)")));
        }
        let seed: [u8; 32] = seed.try_into().map_err(|_| bad("seed is not 32 bytes"))?;
        let signer = Self::new(name, SigningKey::from_bytes(&seed))?;
        if id.len() != 8 || !id.bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f')) {
            return Err(bad("key id must be 8 lower-case hex digits"));
        }
        if id != hex8(signer.verifier().key_id()) {
            return Err(bad(&format!("key id `{id}` does not match the key")));
        }
        Ok(signer)
    }

    /// The private key in the form [`NoteSigner::from_skey`] reads.
    #[must_use]
    pub fn to_skey(&self) -> String {
        let mut raw = vec![ALG_ED25519];
        raw.extend_from_slice(self.key.as_bytes());
        format!("PRIVATE+KEY+{}+{}+{}", self.name, hex8(self.verifier().key_id()), B64.encode(raw))
    }

    /// The matching verifier.
    #[must_use]
    pub fn verifier(&self) -> NoteVerifier {
        NoteVerifier { name: self.name.clone(), alg: ALG_ED25519, key: self.key.verifying_key() }
    }

    /// The key name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Signs `text` and returns the signature line (without newline).
    #[must_use]
    pub fn signature_line(&self, text: &str) -> String {
        let sig = self.key.sign(text.as_bytes());
        let mut raw = self.verifier().key_id().to_vec();
        raw.extend_from_slice(&sig.to_bytes());
        format!("{DASH}{} {}", self.name, B64.encode(raw))
    }

    /// Signs `text` into a complete signed note.
    ///
    /// # Errors
    /// [`LedgerError::Malformed`] when `text` is not valid note text.
    pub fn sign(&self, text: &str) -> Result<String, LedgerError> {
        check_text(text)?;
        Ok(format!("{text}\n{}\n", self.signature_line(text)))
    }
}

/// One signature line of a note.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoteSignature {
    /// Key name on the line.
    pub name: String,
    /// Key id (first four decoded bytes).
    pub id: [u8; 4],
    /// Bytes after the key id.
    pub sig: Vec<u8>,
}

impl NoteSignature {
    /// The line as it appears in a note (without newline).
    #[must_use]
    pub fn line(&self) -> String {
        let mut raw = self.id.to_vec();
        raw.extend_from_slice(&self.sig);
        format!("{DASH}{} {}", self.name, B64.encode(raw))
    }
}

/// A parsed (not yet verified) note.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    /// The signed text, ending in a newline.
    pub text: String,
    /// Signature lines in order.
    pub signatures: Vec<NoteSignature>,
}

fn check_text(text: &str) -> Result<(), LedgerError> {
    if !text.ends_with('\n') {
        return Err(LedgerError::Malformed("note text must end with a newline".into()));
    }
    if let Some((i, c)) = text.char_indices().find(|&(_, c)| c != '\n' && c.is_control()) {
        return Err(LedgerError::Malformed(format!(
            "note text has control character U+{:04X} at byte {i}",
            c as u32
        )));
    }
    Ok(())
}

impl Note {
    /// Splits a signed note into text and signature lines.
    ///
    /// # Errors
    /// [`LedgerError::Malformed`] naming the byte offset or line at fault.
    pub fn parse(bytes: &[u8]) -> Result<Self, LedgerError> {
        let s = std::str::from_utf8(bytes)
            .map_err(|e| LedgerError::Malformed(format!("note is not UTF-8 at byte {}", e.valid_up_to())))?;
        let split = s
            .rfind("\n\n")
            .ok_or_else(|| LedgerError::Malformed("note has no blank line before its signatures".into()))?;
        let text = &s[..=split];
        check_text(text)?;
        let sigs = &s[split + 2..];
        if !sigs.ends_with('\n') {
            return Err(LedgerError::Malformed("note must end with a newline".into()));
        }
        let mut signatures = Vec::new();
        for (n, line) in sigs[..sigs.len() - 1].split('\n').enumerate() {
            if n == MAX_SIGNATURES {
                return Err(LedgerError::Malformed(format!(
                    "note has more than {MAX_SIGNATURES} signature lines"
                )));
            }
            let bad = |why: &str| LedgerError::Malformed(format!("signature line {} `{line}`: {why}", n + 1));
            let rest = line.strip_prefix(DASH).ok_or_else(|| bad("must start with `— `"))?;
            let (name, b64) = rest.split_once(' ').ok_or_else(|| bad("expected `— name signature`"))?;
            if !valid_name(name) {
                return Err(bad("invalid key name"));
            }
            let raw = B64.decode(b64).map_err(|_| bad("signature is not base64"))?;
            if raw.len() < 5 {
                return Err(bad("signature is shorter than a key id"));
            }
            signatures.push(NoteSignature {
                name: name.to_owned(),
                id: [raw[0], raw[1], raw[2], raw[3]],
                sig: raw[4..].to_vec(),
            });
        }
        if signatures.is_empty() {
            return Err(LedgerError::Malformed("note has no signatures".into()));
        }
        Ok(Self { text: text.to_owned(), signatures })
    }

    /// Verifies the note against `verifier` (an Ed25519 note key).
    ///
    /// Lines by other keys are ignored, even when they share the name or the key id (but not
    /// both). Every line whose name and key id are this key's must verify: one bad signature
    /// from a known key rejects the whole note, as the signed-note spec recommends.
    ///
    /// # Errors
    /// [`LedgerError::Signature`] when no line is by this key or one of its lines fails.
    pub fn verify(&self, verifier: &NoteVerifier) -> Result<(), LedgerError> {
        let id = verifier.key_id();
        let mut found = false;
        for line in self.signatures.iter().filter(|s| s.name == verifier.name && s.id == id) {
            let sig = Signature::from_slice(&line.sig).map_err(|_| {
                LedgerError::Signature(format!(
                    "signature by `{}` is {} bytes; Ed25519 signatures are 64",
                    verifier.name,
                    line.sig.len()
                ))
            })?;
            verifier.key.verify(self.text.as_bytes(), &sig).map_err(|_| {
                LedgerError::Signature(format!(
                    "signature by `{}` does not match the note text; the note was altered or signed by another key",
                    verifier.name
                ))
            })?;
            found = true;
        }
        if found {
            return Ok(());
        }
        Err(LedgerError::Signature(format!(
            "no signature by key `{}` (id `{}`); signed by: {}",
            verifier.name,
            hex8(id),
            self.signatures.iter().map(|s| format!("`{}`", s.name)).collect::<Vec<_>>().join(", ")
        )))
    }

    /// Re-encodes the note.
    #[must_use]
    pub fn to_text(&self) -> String {
        let mut s = format!("{}\n", self.text);
        for sig in &self.signatures {
            s.push_str(&sig.line());
            s.push('\n');
        }
        s
    }
}

/// The message a `cosignature/v1` signs: header, timestamp, then the checkpoint body.
#[must_use]
pub fn cosignature_message(timestamp: u64, checkpoint_body: &str) -> String {
    format!("cosignature/v1\ntime {timestamp}\n{checkpoint_body}")
}

/// A witness signer (key type `0x04`, `cosignature/v1`).
#[derive(Clone)]
pub struct CosignatureSigner {
    name: String,
    key: SigningKey,
}

impl std::fmt::Debug for CosignatureSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CosignatureSigner").field("name", &self.name).finish_non_exhaustive()
    }
}

impl CosignatureSigner {
    /// A witness signer named `name`.
    ///
    /// # Errors
    /// [`LedgerError::Malformed`] for an invalid key name.
    pub fn new(name: &str, key: SigningKey) -> Result<Self, LedgerError> {
        NoteSigner::new(name, key.clone())?;
        Ok(Self { name: name.to_owned(), key })
    }

    /// The matching verifier.
    #[must_use]
    pub fn verifier(&self) -> NoteVerifier {
        NoteVerifier { name: self.name.clone(), alg: ALG_COSIGNATURE_V1, key: self.key.verifying_key() }
    }

    /// Cosigns a checkpoint body at `timestamp` (seconds since the Unix epoch, from the caller).
    ///
    /// # Errors
    /// [`LedgerError::Malformed`] when `timestamp` exceeds [`MAX_COSIGNATURE_TIME`].
    pub fn cosign(&self, checkpoint_body: &str, timestamp: u64) -> Result<NoteSignature, LedgerError> {
        if timestamp > MAX_COSIGNATURE_TIME {
            return Err(LedgerError::Malformed(format!(
                "cosignature time `{timestamp}` exceeds 2^63 - 1; pass seconds since the Unix epoch"
            )));
        }
        let sig = self.key.sign(cosignature_message(timestamp, checkpoint_body).as_bytes());
        let mut raw = timestamp.to_be_bytes().to_vec();
        raw.extend_from_slice(&sig.to_bytes());
        Ok(NoteSignature { name: self.name.clone(), id: self.verifier().key_id(), sig: raw })
    }
}

/// Verifies a `cosignature/v1` line on `checkpoint_body`; returns its timestamp.
///
/// # Errors
/// [`LedgerError::Signature`] when the line is not by this witness or does not verify.
pub fn verify_cosignature(
    verifier: &NoteVerifier,
    checkpoint_body: &str,
    sig: &NoteSignature,
) -> Result<u64, LedgerError> {
    if verifier.alg != ALG_COSIGNATURE_V1 {
        return Err(LedgerError::Signature(format!(
            "key `{}` is not a cosignature/v1 witness key",
            verifier.name
        )));
    }
    if sig.name != verifier.name || sig.id != verifier.key_id() {
        return Err(LedgerError::Signature(format!(
            "signature line by `{}` is not from witness `{}`",
            sig.name, verifier.name
        )));
    }
    if sig.sig.len() != 72 {
        return Err(LedgerError::Signature(format!(
            "cosignature by `{}` is {} bytes; expected 8-byte time and 64-byte signature",
            sig.name,
            sig.sig.len()
        )));
    }
    let mut ts = [0u8; 8];
    ts.copy_from_slice(&sig.sig[..8]);
    let ts = u64::from_be_bytes(ts);
    if ts > MAX_COSIGNATURE_TIME {
        return Err(LedgerError::Signature(format!(
            "cosignature by `{}` has time `{ts}`, beyond 2^63 - 1",
            sig.name
        )));
    }
    let s = Signature::from_slice(&sig.sig[8..])
        .map_err(|_| LedgerError::Signature("cosignature is malformed".into()))?;
    verifier.key.verify(cosignature_message(ts, checkpoint_body).as_bytes(), &s).map_err(|_| {
        LedgerError::Signature(format!("cosignature by `{}` does not match the checkpoint", verifier.name))
    })?;
    Ok(ts)
}
