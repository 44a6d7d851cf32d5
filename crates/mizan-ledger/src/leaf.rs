//! Privacy-preserving leaf commitments: what a decision puts in the log.
//!
//! A leaf is exactly [`LEAF_LEN`] bytes:
//!
//! | bytes | field |
//! |---|---|
//! | 0 | version tag, `0x01` |
//! | 1..9 | the AI system's public ID, 8 ASCII characters |
//! | 9..17 | decision time in whole minutes since the Unix epoch, big-endian `u64` |
//! | 17..49 | `HMAC-SHA256(k, canonical decision record)` |
//!
//! `k` is a fresh random 32-byte key per decision, chosen by the caller and kept with the
//! record. No personal identifier enters the leaf: once `k` and the record are erased, the
//! HMAC output is indistinguishable from random and the leaf cannot be linked to anyone, while
//! the tree still verifies.
//!
//! The canonical record encoding is JSON in the style of RFC 8785 (JCS): object keys sorted by
//! UTF-16 code units, no insignificant whitespace, strings escaped minimally by `serde_json`,
//! numbers as `serde_json` prints them (integers are exact; callers should avoid floats or
//! pass them as strings).
//!
//! [`open`] is the one check that a record and its key open a leaf: the receipt check
//! ([`crate::receipt`]), the server and `mizan-formats`' `DecisionRecord::open` all call it, so a
//! record opens, or fails to open with the same reason, wherever it is checked.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::LedgerError;

/// Leaf length in bytes.
pub const LEAF_LEN: usize = 49;
/// Current leaf version tag.
pub const LEAF_VERSION: u8 = 1;

/// A decoded leaf commitment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeafCommitment {
    /// The system's 8-character public ID.
    pub system: [u8; 8],
    /// Minutes since the Unix epoch.
    pub minute: u64,
    /// `HMAC-SHA256(k, canonical record)`.
    pub mac: [u8; 32],
}

/// Canonical JSON (RFC 8785 style) for a decision record.
#[must_use]
pub fn canonical_json(value: &serde_json::Value) -> String {
    let mut out = Vec::with_capacity(256);
    write_canonical_json(value, &mut out);
    // Only whole UTF-8 strings and ASCII punctuation were written.
    String::from_utf8(out).unwrap_or_default()
}

/// Appends the canonical JSON of `v` to `out`, allocating only to sort an object's keys.
pub fn write_canonical_json(v: &serde_json::Value, out: &mut Vec<u8>) {
    use serde_json::Value;
    match v {
        Value::Object(map) => write_canonical_object(map, out),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_canonical_json(item, out);
            }
            out.push(b']');
        }
        other => {
            // Writing to a Vec cannot fail.
            let _ = serde_json::to_writer(&mut *out, other);
        }
    }
}

/// Appends the canonical JSON of the object `map` to `out`: for a caller that holds a map
/// rather than a [`serde_json::Value`] and should not copy it into one.
pub fn write_canonical_object(map: &serde_json::Map<String, serde_json::Value>, out: &mut Vec<u8>) {
    use serde_json::Value;
    let mut entries: Vec<(&String, &Value)> = map.iter().collect();
    // serde_json's map is sorted by bytes, which equals UTF-16 order except for
    // characters above U+FFFF against U+E000..U+FFFF; sort only if that can happen.
    if entries.iter().any(|(k, _)| k.chars().any(|c| c >= '\u{e000}')) {
        entries.sort_by(|a, b| a.0.encode_utf16().cmp(b.0.encode_utf16()));
    } else if !entries.is_sorted_by(|a, b| a.0 <= b.0) {
        entries.sort_by(|a, b| a.0.cmp(b.0));
    }
    out.push(b'{');
    for (i, (k, item)) in entries.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        // Writing a string to a Vec cannot fail.
        let _ = serde_json::to_writer(&mut *out, k);
        out.push(b':');
        write_canonical_json(item, out);
    }
    out.push(b'}');
}

impl LeafCommitment {
    /// Commits to `record` under key `k` for `system` at `unix_seconds` (coarsened to the minute).
    ///
    /// # Errors
    /// [`LedgerError::Malformed`] when `system` is not 8 ASCII characters or the time is negative.
    pub fn commit(
        system: &str,
        unix_seconds: i64,
        record: &serde_json::Value,
        k: &[u8; 32],
    ) -> Result<Self, LedgerError> {
        Self::commit_canonical(system, unix_seconds, canonical_json(record).as_bytes(), k)
    }

    /// As [`LeafCommitment::commit`], for a record already in canonical form (so a caller that
    /// stores the canonical text encodes it once).
    ///
    /// # Errors
    /// As [`LeafCommitment::commit`].
    pub fn commit_canonical(
        system: &str,
        unix_seconds: i64,
        canonical_record: &[u8],
        k: &[u8; 32],
    ) -> Result<Self, LedgerError> {
        let sys: [u8; 8] = system
            .as_bytes()
            .try_into()
            .ok()
            .filter(|s: &[u8; 8]| s.iter().all(u8::is_ascii_graphic))
            .ok_or_else(|| {
                LedgerError::Malformed(format!(
                    "system public ID `{system}` must be 8 printable ASCII characters"
                ))
            })?;
        let minute = u64::try_from(unix_seconds.div_euclid(60))
            .map_err(|_| LedgerError::Malformed(format!("decision time `{unix_seconds}` is before 1970")))?;
        Ok(Self { system: sys, minute, mac: mac(k, canonical_record) })
    }

    /// The 49-byte leaf.
    #[must_use]
    pub fn to_bytes(&self) -> [u8; LEAF_LEN] {
        let mut out = [0u8; LEAF_LEN];
        out[0] = LEAF_VERSION;
        out[1..9].copy_from_slice(&self.system);
        out[9..17].copy_from_slice(&self.minute.to_be_bytes());
        out[17..].copy_from_slice(&self.mac);
        out
    }

    /// Decodes a leaf.
    ///
    /// # Errors
    /// [`LedgerError::Malformed`] for a wrong length or version tag.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, LedgerError> {
        if bytes.len() != LEAF_LEN {
            return Err(LedgerError::Malformed(format!(
                "leaf is {} bytes; expected {LEAF_LEN}",
                bytes.len()
            )));
        }
        if bytes[0] != LEAF_VERSION {
            return Err(LedgerError::Malformed(format!(
                "leaf version tag is `{}`; expected `{LEAF_VERSION}`",
                bytes[0]
            )));
        }
        let mut system = [0u8; 8];
        system.copy_from_slice(&bytes[1..9]);
        let mut minute = [0u8; 8];
        minute.copy_from_slice(&bytes[9..17]);
        let mut mac = [0u8; 32];
        mac.copy_from_slice(&bytes[17..]);
        Ok(Self { system, minute: u64::from_be_bytes(minute), mac })
    }

    /// Whether `record` and `k` open this commitment (constant-time MAC comparison).
    #[must_use]
    pub fn opens(&self, record: &serde_json::Value, k: &[u8; 32]) -> bool {
        let mut m = <Hmac<Sha256> as Mac>::new_from_slice(k).expect("HMAC takes any key length");
        m.update(canonical_json(record).as_bytes());
        m.verify_slice(&self.mac).is_ok()
    }
}

/// Why a decision record and its key do not open a leaf (see [`open`]).
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum OpenError {
    /// The leaf is not a [`LEAF_LEN`]-byte leaf of a known version.
    #[error("the leaf is malformed: {0}")]
    Leaf(LedgerError),
    /// The key is not 32 bytes of hex.
    #[error("`k` is not 64 hex digits (32 bytes); copy the receipt's `opening.k` whole")]
    Key,
    /// The record is not JSON.
    #[error("the record is not valid JSON: {0}")]
    Json(String),
    /// The record lacks a field the leaf commits to, or it is not a string.
    #[error("the record has no `{field}` string; the leaf commits to the record's `system` and `decided_at`")]
    Missing {
        /// `system` or `decided_at`.
        field: &'static str,
    },
    /// The record's `decided_at` is not an RFC 3339 time.
    #[error("the record's `decided_at` `{value}` is not an RFC 3339 time: {reason}")]
    Time {
        /// The text found.
        value: String,
        /// Why it does not parse.
        reason: String,
    },
    /// The record cannot be committed to (a system ID that is not 8 printable ASCII
    /// characters, a time before 1970).
    #[error("the record cannot be committed to: {0}")]
    Commit(LedgerError),
    /// The leaf is for another system.
    #[error("the record is for system `{record}` but the leaf is for `{leaf}`")]
    System {
        /// The record's `system`.
        record: String,
        /// The leaf's system, lossily as text.
        leaf: String,
    },
    /// The leaf is for another minute.
    #[error(
        "the record's `decided_at` `{decided_at}` is minute `{record}` but the leaf says minute `{leaf}`"
    )]
    Minute {
        /// The record's `decided_at`.
        decided_at: String,
        /// Its minute since the Unix epoch.
        record: u64,
        /// The leaf's minute.
        leaf: u64,
    },
    /// System and minute agree but the HMAC does not.
    #[error(
        "the record and `k` do not open the leaf: the HMAC differs (the record was changed, or `k` is wrong)"
    )]
    Mac,
}

/// Checks that `record_text` (a decision record, JSON) and `k_hex` (its 32-byte key, hex) open
/// `leaf`: the leaf's system is the record's `system`, its minute is the record's `decided_at`
/// (RFC 3339) coarsened to the minute, and its MAC is `HMAC-SHA256(k, canonical record)`.
/// Returns the record, parsed.
///
/// The record need not be in canonical form (it is canonicalised before the MAC), and only
/// `system` and `decided_at` are read from it: what else a decision record holds is the
/// record format's business (`mizan-formats`), not the commitment's. Surrounding whitespace
/// of `k_hex` is ignored.
///
/// # Errors
/// [`OpenError`], saying which part differs: a malformed leaf, key or record, another
/// system, another minute, or another HMAC.
pub fn open(leaf: &[u8], record_text: &str, k_hex: &str) -> Result<serde_json::Value, OpenError> {
    let theirs = LeafCommitment::from_bytes(leaf).map_err(OpenError::Leaf)?;
    let k: [u8; 32] = hex::decode(k_hex.trim()).ok().and_then(|b| b.try_into().ok()).ok_or(OpenError::Key)?;
    let record: serde_json::Value =
        serde_json::from_str(record_text).map_err(|e| OpenError::Json(e.to_string()))?;
    let field = |field: &'static str| {
        record.get(field).and_then(serde_json::Value::as_str).ok_or(OpenError::Missing { field })
    };
    let system = field("system")?;
    let decided_at = field("decided_at")?;
    let unix = OffsetDateTime::parse(decided_at, &Rfc3339)
        .map_err(|e| OpenError::Time { value: decided_at.to_owned(), reason: e.to_string() })?
        .unix_timestamp();
    let mine = LeafCommitment::commit(system, unix, &record, &k).map_err(OpenError::Commit)?;
    if mine.system != theirs.system {
        return Err(OpenError::System {
            record: system.to_owned(),
            leaf: String::from_utf8_lossy(&theirs.system).into_owned(),
        });
    }
    if mine.minute != theirs.minute {
        return Err(OpenError::Minute {
            decided_at: decided_at.to_owned(),
            record: mine.minute,
            leaf: theirs.minute,
        });
    }
    if mine.mac != theirs.mac {
        return Err(OpenError::Mac);
    }
    Ok(record)
}

fn mac(k: &[u8; 32], canonical_record: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(k).expect("HMAC takes any key length");
    m.update(canonical_record);
    m.finalize().into_bytes().into()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::Value;

    use super::*;

    /// The definition, written the slow and obvious way.
    fn reference(v: &Value) -> String {
        match v {
            Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort_by(|a, b| a.encode_utf16().cmp(b.encode_utf16()));
                let parts: Vec<String> = keys
                    .iter()
                    .map(|k| format!("{}:{}", Value::String((*k).clone()), reference(&map[*k])))
                    .collect();
                format!("{{{}}}", parts.join(","))
            }
            Value::Array(items) => format!("[{}]", items.iter().map(reference).collect::<Vec<_>>().join(",")),
            other => other.to_string(),
        }
    }

    fn json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
            "\\PC{0,8}".prop_map(Value::String),
        ];
        leaf.prop_recursive(3, 32, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
                // Keys from the whole of Unicode, so U+E000..U+FFFF meets the astral planes.
                prop::collection::btree_map(
                    "[a-z\u{e000}-\u{e010}\u{fff0}\u{10000}-\u{10010}\"\\\\]{0,3}",
                    inner,
                    0..5
                )
                .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn canonical_json_matches_its_definition(v in json()) {
            prop_assert_eq!(canonical_json(&v), reference(&v));
        }
    }

    #[test]
    fn keys_sort_by_utf16_not_by_bytes() {
        let v: Value = serde_json::from_str(r#"{"\uffff":1,"\ud800\udc00":2,"a":3}"#).unwrap();
        // U+10000 is D800 DC00 in UTF-16, below U+FFFF, though above it in UTF-8.
        assert_eq!(canonical_json(&v), "{\"a\":3,\"\u{10000}\":2,\"\u{ffff}\":1}");
    }
}
