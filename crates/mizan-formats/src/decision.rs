//! `mizan.decision/1`: the record of one automated decision, whose canonical JSON a decision
//! leaf commits to (`HMAC-SHA256(k, canonical record)`, see `mizan_ledger::leaf`).
//!
//! The record is a JSON object with exactly these keys (schema:
//! `schemas/mizan.decision-1.schema.json`):
//!
//! | key | JSON | meaning |
//! |---|---|---|
//! | `system` | string, 8 printable ASCII | the AI system's public ID |
//! | `system_version` | integer ≥ 1 | the registered version that decided |
//! | `model_hash` | string | the model file's hash, e.g. `sha256:<hex>` |
//! | `features` | object, free-form | the inputs as the model saw them |
//! | `output` | string, number or boolean | the outcome |
//! | `score` | number or null | the model's score |
//! | `human` | `{"involved": bool, "by": string or null}` | whether a person took part, and who |
//! | `decided_at` | string, RFC 3339 in UTC (`Z`) | when; the leaf holds its minute |
//! | `subject_ref` | string | the provider's reference for the person (never in the log) |
//! | `supersedes` | optional `{"log": string, "leaf_index": integer ≥ 0, "leaf_hash": 64 hex}` | the leaf of the decision this one replaces (after a human review or an appeal); absent otherwise |
//!
//! The canonical form is `mizan_ledger::leaf::canonical_json` of that object: keys sorted, no
//! whitespace, numbers as `serde_json` prints them (a score is always written as a float, `1.0`
//! not `1`). The format's name is [`FORMAT`]; it is not a field, since adding a field would
//! change every existing commitment.

use mizan_ledger::leaf::{self, LeafCommitment, write_canonical_json, write_canonical_object};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};
use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

use crate::{Fields, FormatError, parse_json, require_canonical};

/// The format's name.
pub const FORMAT: &str = "mizan.decision/1";

const FIELDS: &[&str] = &[
    "system",
    "system_version",
    "model_hash",
    "features",
    "output",
    "score",
    "human",
    "decided_at",
    "subject_ref",
    "supersedes",
];

/// The leaf of an earlier decision that a decision replaces (after a human review or an
/// appeal): the log it is in, its index and its leaf hash, so both records stay provable and
/// linked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Supersedes {
    /// The origin of the log holding the earlier leaf.
    pub log: String,
    /// Its index in that log.
    pub leaf_index: u64,
    /// Its RFC 6962 leaf hash, 64 lowercase hex digits.
    pub leaf_hash: String,
}

/// Whether a person took part in a decision, and who.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Human {
    /// Whether a person took part.
    pub involved: bool,
    /// Who, as a role or staff reference (not a name); `null` in JSON when not given.
    pub by: Option<String>,
}

/// One decision record (`mizan.decision/1`).
///
/// Serialises to, and deserialises from, exactly the JSON of the module documentation: serde
/// goes through [`DecisionRecord::to_value`] and [`DecisionRecord::from_value`], so there is one
/// encoding and one set of checks.
#[derive(Clone, Debug, PartialEq)]
pub struct DecisionRecord {
    /// The AI system's public ID (8 printable ASCII characters).
    pub system: String,
    /// The system version that decided (1 or more).
    pub system_version: i64,
    /// Hash of the model that decided.
    pub model_hash: String,
    /// The input features as the model saw them.
    pub features: Map<String, Value>,
    /// The outcome: a string, a number or a boolean.
    pub output: Value,
    /// The model's score, if any (finite).
    pub score: Option<f64>,
    /// Human involvement.
    pub human: Human,
    /// When the decision was made, RFC 3339 in UTC, as [`format_decided_at`] writes it.
    pub decided_at: String,
    /// The provider's reference for the person decided about.
    pub subject_ref: String,
    /// The earlier decision this one replaces; the key is absent from the JSON when `None`,
    /// so records without it keep their canonical bytes.
    pub supersedes: Option<Supersedes>,
}

/// Writes a decision time as records hold it: RFC 3339 in UTC (`2026-11-30T09:15:00Z`, with
/// fractional seconds only when there are some).
///
/// # Errors
/// [`FormatError::Invalid`] when the time cannot be written in RFC 3339 (a year after 9999).
pub fn format_decided_at(when: OffsetDateTime) -> Result<String, FormatError> {
    when.to_offset(UtcOffset::UTC).format(&Rfc3339).map_err(|e| FormatError::Invalid {
        format: FORMAT,
        field: "decided_at".into(),
        value: when.to_string(),
        reason: format!("cannot be written as RFC 3339 ({e})"),
    })
}

/// Parses a record's `decided_at`: RFC 3339, in UTC.
fn parse_decided_at(text: &str) -> Result<OffsetDateTime, String> {
    let t = OffsetDateTime::parse(text, &Rfc3339)
        .map_err(|e| format!("not an RFC 3339 time ({e}); write e.g. `2026-11-30T09:15:00Z`"))?;
    if !text.ends_with('Z') {
        return Err("must be in UTC, ending in `Z`, e.g. `2026-11-30T09:15:00Z`".into());
    }
    Ok(t)
}

impl DecisionRecord {
    /// The record as a JSON value: the object the commitment covers.
    #[must_use]
    pub fn to_value(&self) -> Value {
        let human = Map::from_iter([
            ("involved".to_owned(), Value::Bool(self.human.involved)),
            ("by".to_owned(), self.human.by.clone().map_or(Value::Null, Value::String)),
        ]);
        let mut v = Value::Object(Map::from_iter([
            ("system".to_owned(), Value::String(self.system.clone())),
            ("system_version".to_owned(), Value::from(self.system_version)),
            ("model_hash".to_owned(), Value::String(self.model_hash.clone())),
            ("features".to_owned(), Value::Object(self.features.clone())),
            ("output".to_owned(), self.output.clone()),
            ("score".to_owned(), self.score.map_or(Value::Null, Value::from)),
            ("human".to_owned(), Value::Object(human)),
            ("decided_at".to_owned(), Value::String(self.decided_at.clone())),
            ("subject_ref".to_owned(), Value::String(self.subject_ref.clone())),
        ]));
        if let (Value::Object(m), Some(s)) = (&mut v, &self.supersedes) {
            m.insert(
                "supersedes".to_owned(),
                Value::Object(Map::from_iter([
                    ("log".to_owned(), Value::String(s.log.clone())),
                    ("leaf_index".to_owned(), Value::from(s.leaf_index)),
                    ("leaf_hash".to_owned(), Value::String(s.leaf_hash.clone())),
                ])),
            );
        }
        v
    }

    /// The canonical JSON text: what the leaf's HMAC covers and what a receipt's
    /// `opening.record` holds. Byte for byte `canonical_json(&self.to_value())`, written
    /// straight from the fields so that logging a decision does not copy its features.
    #[must_use]
    pub fn canonical(&self) -> String {
        fn string(out: &mut Vec<u8>, s: &str) {
            // Writing to a Vec cannot fail.
            let _ = serde_json::to_writer(&mut *out, s);
        }
        let mut out = Vec::with_capacity(256 + 32 * self.features.len());
        // The keys in canonical order: all ASCII, so byte order is UTF-16 order.
        out.extend_from_slice(b"{\"decided_at\":");
        string(&mut out, &self.decided_at);
        out.extend_from_slice(b",\"features\":");
        write_canonical_object(&self.features, &mut out);
        out.extend_from_slice(b",\"human\":{\"by\":");
        match &self.human.by {
            Some(by) => string(&mut out, by),
            None => out.extend_from_slice(b"null"),
        }
        out.extend_from_slice(if self.human.involved {
            b",\"involved\":true}"
        } else {
            b",\"involved\":false}"
        });
        out.extend_from_slice(b",\"model_hash\":");
        string(&mut out, &self.model_hash);
        out.extend_from_slice(b",\"output\":");
        write_canonical_json(&self.output, &mut out);
        out.extend_from_slice(b",\"score\":");
        // As `Value::from(f64)` writes it: a float, or null when not finite.
        write_canonical_json(&self.score.map_or(Value::Null, Value::from), &mut out);
        out.extend_from_slice(b",\"subject_ref\":");
        string(&mut out, &self.subject_ref);
        if let Some(s) = &self.supersedes {
            out.extend_from_slice(b",\"supersedes\":{\"leaf_hash\":");
            string(&mut out, &s.leaf_hash);
            out.extend_from_slice(b",\"leaf_index\":");
            out.extend_from_slice(s.leaf_index.to_string().as_bytes());
            out.extend_from_slice(b",\"log\":");
            string(&mut out, &s.log);
            out.push(b'}');
        }
        out.extend_from_slice(b",\"system\":");
        string(&mut out, &self.system);
        out.extend_from_slice(b",\"system_version\":");
        out.extend_from_slice(self.system_version.to_string().as_bytes());
        out.push(b'}');
        // Only whole UTF-8 strings and ASCII punctuation were written.
        String::from_utf8(out).unwrap_or_default()
    }

    /// `decided_at` in seconds since the Unix epoch.
    ///
    /// # Errors
    /// [`FormatError::Invalid`] when `decided_at` is not RFC 3339 in UTC.
    pub fn decided_at_unix(&self) -> Result<i64, FormatError> {
        parse_decided_at(&self.decided_at).map(OffsetDateTime::unix_timestamp).map_err(|reason| {
            FormatError::Invalid {
                format: FORMAT,
                field: "decided_at".into(),
                value: crate::shorten(&self.decided_at),
                reason,
            }
        })
    }

    /// The leaf commitment to this record under `k`: system and minute from the record,
    /// `HMAC-SHA256(k, canonical record)`.
    ///
    /// # Errors
    /// As [`DecisionRecord::commit_with_text`].
    pub fn commit(&self, k: &[u8; 32]) -> Result<LeafCommitment, FormatError> {
        self.commit_with_text(k).map(|(_, leaf)| leaf)
    }

    /// The canonical text and the leaf commitment to it, encoding the record once (the
    /// server stores the text beside the leaf).
    ///
    /// # Errors
    /// [`FormatError::Invalid`] for a `decided_at` that is not RFC 3339 in UTC;
    /// [`FormatError::Commit`] for a system ID that is not 8 printable ASCII characters or a
    /// time before 1970.
    pub fn commit_with_text(&self, k: &[u8; 32]) -> Result<(String, LeafCommitment), FormatError> {
        let unix = self.decided_at_unix()?;
        let text = self.canonical();
        let leaf = LeafCommitment::commit_canonical(&self.system, unix, text.as_bytes(), k)
            .map_err(FormatError::Commit)?;
        Ok((text, leaf))
    }

    /// Reads a record from JSON, checking every field.
    ///
    /// # Errors
    /// [`FormatError`] naming the field: missing, unknown, of the wrong type, or with a value
    /// the format does not allow (a system ID that is not 8 printable ASCII characters, a
    /// version below 1, a `decided_at` that is not RFC 3339 in UTC, an output that is not a
    /// string, number or boolean, a score written as an integer).
    pub fn from_value(v: &Value) -> Result<Self, FormatError> {
        let f = Fields::new(FORMAT, "", v, FIELDS)?;
        let system = f.string("system")?;
        if system.len() != 8 || !system.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(f.invalid("system", &system, "a system's public ID is 8 printable ASCII characters"));
        }
        let system_version = f.i64("system_version")?;
        if system_version < 1 {
            return Err(f.invalid("system_version", &system_version.to_string(), "versions start at 1"));
        }
        let features = match f.get("features")? {
            Value::Object(m) => m.clone(),
            other => return Err(f.wrong("features", "an object", other)),
        };
        let output = f.get("output")?;
        if !matches!(output, Value::String(_) | Value::Number(_) | Value::Bool(_)) {
            return Err(f.wrong("output", "a string, a number or a boolean", output));
        }
        let score = match f.get("score")? {
            Value::Null => None,
            Value::Number(n) if n.is_f64() => n.as_f64(),
            Value::Number(n) => {
                return Err(f.invalid(
                    "score",
                    &n.to_string(),
                    format!("a score is written as a float (`{n}.0`); the commitment covers that text"),
                ));
            }
            other => return Err(f.wrong("score", "a number or null", other)),
        };
        let h = Fields::new(FORMAT, "human.", f.get("human")?, &["involved", "by"])?;
        let human = Human { involved: h.bool("involved")?, by: h.opt_string("by")? };
        let decided_at = f.string("decided_at")?;
        parse_decided_at(&decided_at).map_err(|reason| f.invalid("decided_at", &decided_at, reason))?;
        Ok(Self {
            system,
            system_version,
            model_hash: f.string("model_hash")?,
            features,
            output: output.clone(),
            score,
            human,
            decided_at,
            subject_ref: f.string("subject_ref")?,
            supersedes: supersedes(&f)?,
        })
    }

    /// Reads a record from its canonical text (a receipt's `opening.record`, a stored record),
    /// which must be exactly the canonical form, so that the record read commits to the same
    /// bytes.
    ///
    /// # Errors
    /// [`FormatError::Json`] for text that is not JSON, the errors of
    /// [`DecisionRecord::from_value`], and [`FormatError::NotCanonical`] for a valid record
    /// written another way (whitespace, key order).
    pub fn from_canonical(text: &str) -> Result<Self, FormatError> {
        let record = Self::from_value(&parse_json(FORMAT, text)?)?;
        require_canonical(FORMAT, text, &record.canonical())?;
        Ok(record)
    }

    /// Checks that `record_text` and the key `k_hex` open `leaf` (`mizan_ledger::leaf::open`,
    /// the check every verifier runs) and reads the record. The text need not be canonical:
    /// the commitment covers its canonical form.
    ///
    /// # Errors
    /// [`FormatError::Open`] saying which part of the leaf differs (system, minute, HMAC) or
    /// which input is malformed (leaf, key, record); then the errors of
    /// [`DecisionRecord::from_value`] for a record that opens the leaf but is not a
    /// `mizan.decision/1` record.
    pub fn open(leaf: &[u8], record_text: &str, k_hex: &str) -> Result<Self, FormatError> {
        let value = leaf::open(leaf, record_text, k_hex)?;
        Self::from_value(&value)
    }
}

/// Reads the optional `supersedes` object.
fn supersedes(f: &Fields<'_>) -> Result<Option<Supersedes>, FormatError> {
    let Ok(v) = f.get("supersedes") else { return Ok(None) };
    let s = Fields::new(FORMAT, "supersedes.", v, &["log", "leaf_index", "leaf_hash"])?;
    let leaf_index = s.i64("leaf_index")?;
    let leaf_index = u64::try_from(leaf_index)
        .map_err(|_| s.invalid("leaf_index", &leaf_index.to_string(), "a leaf index is 0 or more"))?;
    let leaf_hash = s.string("leaf_hash")?;
    if leaf_hash.len() != 64 || !leaf_hash.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
        return Err(s.invalid("leaf_hash", &leaf_hash, "a leaf hash is 64 lowercase hex digits"));
    }
    Ok(Some(Supersedes { log: s.string("log")?, leaf_index, leaf_hash }))
}

impl Serialize for DecisionRecord {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_value().serialize(s)
    }
}

impl<'de> Deserialize<'de> for DecisionRecord {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        Self::from_value(&v).map_err(serde::de::Error::custom)
    }
}
