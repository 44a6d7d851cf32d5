//! `mizan-event/v1`: a platform event (a register change, a review, an override) and the
//! events-log entry that commits to it.
//!
//! The event is a JSON object with exactly the keys `id` (integer), `system` (the public ID of
//! what it is about: an AI system's, or a named subject such as `dataset:<slug>`; the key keeps
//! its name so that events logged before keep their hashes), `version` (integer), `kind`, `from`, `to`, `actor`, `reason` and `at` (strings);
//! schema: `schemas/mizan-event-1.schema.json`. Its log entry is the ASCII text
//!
//! ```text
//! mizan-event/v1 <id> <SHA-256 of the event's canonical JSON, lower-case hex>
//! ```
//!
//! so the log commits to every event without revealing it: events of systems that are not
//! public stay private, while anyone holding a public event can recompute its entry and check
//! its inclusion. The canonical JSON is `mizan_ledger::leaf::canonical_json` of the object.

use mizan_ledger::leaf::canonical_json;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::{Fields, FormatError, parse_json, require_canonical};

/// The format's name, also the first word of every entry.
pub const FORMAT: &str = "mizan-event/v1";

const FIELDS: &[&str] = &["id", "system", "version", "kind", "from", "to", "actor", "reason", "at"];

/// One platform event as the events log commits to it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventRecord {
    /// The event's id (global order).
    pub id: i64,
    /// The public ID of what it is about: a system's, or a named subject (`dataset:<slug>`).
    pub system: String,
    /// The system version concerned.
    pub version: i64,
    /// What happened (`created`, `edited`, `transition`, ...).
    pub kind: String,
    /// Status before.
    pub from: String,
    /// Status after.
    pub to: String,
    /// Who, by name.
    pub actor: String,
    /// Why.
    pub reason: String,
    /// When, as the store wrote it.
    pub at: String,
}

impl EventRecord {
    /// The event as a JSON value.
    #[must_use]
    pub fn to_value(&self) -> Value {
        let s = |v: &String| Value::String(v.clone());
        Value::Object(Map::from_iter([
            ("id".to_owned(), Value::from(self.id)),
            ("system".to_owned(), s(&self.system)),
            ("version".to_owned(), Value::from(self.version)),
            ("kind".to_owned(), s(&self.kind)),
            ("from".to_owned(), s(&self.from)),
            ("to".to_owned(), s(&self.to)),
            ("actor".to_owned(), s(&self.actor)),
            ("reason".to_owned(), s(&self.reason)),
            ("at".to_owned(), s(&self.at)),
        ]))
    }

    /// The canonical JSON text: what the entry's hash covers and what the event proof API
    /// shows as `event_json`.
    #[must_use]
    pub fn canonical(&self) -> String {
        canonical_json(&self.to_value())
    }

    /// SHA-256 of the canonical JSON, lower-case hex.
    #[must_use]
    pub fn sha256_hex(&self) -> String {
        hex::encode(Sha256::digest(self.canonical().as_bytes()))
    }

    /// The entry that commits to this event.
    #[must_use]
    pub fn log_entry(&self) -> EventEntry {
        EventEntry { id: self.id, sha256: self.sha256_hex() }
    }

    /// The entry's bytes, as appended to the events log.
    #[must_use]
    pub fn entry(&self) -> Vec<u8> {
        self.log_entry().to_bytes()
    }

    /// Reads an event from JSON, checking every field.
    ///
    /// # Errors
    /// [`FormatError`] naming the field that is missing, unknown or of the wrong type.
    pub fn from_value(v: &Value) -> Result<Self, FormatError> {
        let f = Fields::new(FORMAT, "", v, FIELDS)?;
        Ok(Self {
            id: f.i64("id")?,
            system: f.string("system")?,
            version: f.i64("version")?,
            kind: f.string("kind")?,
            from: f.string("from")?,
            to: f.string("to")?,
            actor: f.string("actor")?,
            reason: f.string("reason")?,
            at: f.string("at")?,
        })
    }

    /// Reads an event from its canonical text (the proof API's `event_json`); the text must be
    /// exactly the canonical form, so that its hash is the entry's.
    ///
    /// # Errors
    /// [`FormatError::Json`], the errors of [`EventRecord::from_value`], and
    /// [`FormatError::NotCanonical`] for a valid event written another way.
    pub fn from_canonical(text: &str) -> Result<Self, FormatError> {
        let event = Self::from_value(&parse_json(FORMAT, text)?)?;
        require_canonical(FORMAT, text, &event.canonical())?;
        Ok(event)
    }
}

impl Serialize for EventRecord {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_value().serialize(s)
    }
}

impl<'de> Deserialize<'de> for EventRecord {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        Self::from_value(&v).map_err(serde::de::Error::custom)
    }
}

/// An events-log entry: `mizan-event/v1 <id> <sha256 hex>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventEntry {
    /// The event's id.
    pub id: i64,
    /// SHA-256 of the event's canonical JSON, lower-case hex (as stored beside the leaf).
    pub sha256: String,
}

impl EventEntry {
    /// The entry's bytes.
    #[must_use]
    pub fn to_bytes(&self) -> Vec<u8> {
        format!("{FORMAT} {} {}", self.id, self.sha256).into_bytes()
    }

    /// Reads an entry written by [`EventEntry::to_bytes`]; `None` for anything else. Strict:
    /// the id in plain decimal (no sign, no leading zeros) and the hash as 64 lower-case hex
    /// digits, so exactly one text reads as each entry.
    #[must_use]
    pub fn parse(bytes: &[u8]) -> Option<Self> {
        let text = std::str::from_utf8(bytes).ok()?;
        let rest = text.strip_prefix(FORMAT)?.strip_prefix(' ')?;
        let (id_text, sha) = rest.split_once(' ')?;
        let id: i64 = id_text.parse().ok()?;
        if id.to_string() != id_text {
            return None;
        }
        if sha.len() != 64 || !sha.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return None;
        }
        Some(Self { id, sha256: sha.to_owned() })
    }

    /// Whether this entry commits to `event`.
    #[must_use]
    pub fn commits_to(&self, event: &EventRecord) -> bool {
        self.id == event.id && self.sha256 == event.sha256_hex()
    }
}
