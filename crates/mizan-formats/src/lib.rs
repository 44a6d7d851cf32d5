//! The formats outsiders verify, each defined once: the decision record a leaf commits to
//! ([`decision`], `mizan.decision/1`), the platform event an events-log entry commits to
//! ([`event`], `mizan-event/v1`), the explanation of a decision ([`explanation`],
//! `mizan.explanation/1`), the receipt a holder fetches ([`receipt`], `mizan.receipt/1`) and a
//! system's human-oversight policy ([`oversight`], `mizan.oversight-policy/1`), the labels of
//! a model's features and outputs ([`model_card`], `mizan.model-card/1`),
//! with a hand-written JSON Schema for each ([`mod@schema`]).
//!
//! Why a crate of its own: these bytes are a promise to people who do not trust us. A decision
//! record's canonical JSON is under an HMAC in a public log, an event's under a SHA-256; if the
//! server built them by hand in one place and re-parsed them by hand in two others (the
//! `/verify` page, the CLI), a harmless-looking edit to one copy would make honest receipts
//! fail, or worse, pass. Here each format is a type whose serialisation is the format, tested
//! byte for byte against the form the server has always written, and whose schema is tested
//! against what the type writes. The formats carry no version field: a field would change every
//! existing commitment, so each format's name is a constant (`FORMAT`) and its schema's `$id`.
//!
//! The commitment check itself (a record and key open a leaf) is `mizan_ledger::leaf::open`;
//! [`decision::DecisionRecord::open`] calls it and then reads the record as this format. No
//! I/O: text and values in, values out.
#![warn(missing_docs)]

pub mod decision;
pub mod event;
pub mod explanation;
pub mod model_card;
pub mod oversight;
pub mod receipt;
pub mod schema;

pub use decision::{DecisionRecord, Human, Supersedes};
pub use event::{EventEntry, EventRecord};
pub use explanation::ExplanationDoc;
pub use model_card::ModelCard;
pub use oversight::{HoldReason, OversightPolicy};
pub use receipt::{Receipt, ReceiptStatus};
pub use schema::{SCHEMAS, schema};

use mizan_ledger::LedgerError;
use mizan_ledger::leaf::OpenError;

/// Why a text or value is not a valid instance of one of these formats.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum FormatError {
    /// The text is not JSON.
    #[error("a `{format}` is JSON, but this text is not: {reason}")]
    Json {
        /// The format's name.
        format: &'static str,
        /// The parser's message, with line and column.
        reason: String,
    },
    /// The value (or a nested part of it) is not a JSON object.
    #[error("`{field}` of a `{format}` is {found}; expected an object")]
    NotObject {
        /// The format's name.
        format: &'static str,
        /// Where: the field path, or `.` for the whole value.
        field: String,
        /// The JSON type found.
        found: &'static str,
    },
    /// A required field is absent.
    #[error("a `{format}` needs `{field}`, and this one has none")]
    Missing {
        /// The format's name.
        format: &'static str,
        /// The field path, e.g. `human.by`.
        field: String,
    },
    /// A field the format does not have.
    #[error("a `{format}` has no field `{field}` (its fields: {known})")]
    Unknown {
        /// The format's name.
        format: &'static str,
        /// The field path.
        field: String,
        /// The fields it has, in backticks.
        known: String,
    },
    /// A field has the wrong JSON type.
    #[error("`{field}` of a `{format}` is {found}; expected {expected}")]
    Type {
        /// The format's name.
        format: &'static str,
        /// The field path.
        field: String,
        /// What the format requires.
        expected: &'static str,
        /// The JSON type found.
        found: &'static str,
    },
    /// A field has the right type but a value the format does not allow.
    #[error("`{field}` of a `{format}` is `{value}`; {reason}")]
    Invalid {
        /// The format's name.
        format: &'static str,
        /// The field path.
        field: String,
        /// The value, shortened to 64 characters.
        value: String,
        /// What the format requires, and how to fix it.
        reason: String,
    },
    /// The text is a valid instance but not in the canonical form its commitment covers.
    #[error(
        "the text is a `{format}` but not its canonical form (they differ from byte {offset}); \
         the commitment covers the canonical form: sorted keys, no whitespace"
    )]
    NotCanonical {
        /// The format's name.
        format: &'static str,
        /// The first byte where the text and the canonical form differ.
        offset: usize,
    },
    /// The record cannot be committed to (see [`mizan_ledger::leaf::LeafCommitment::commit`]).
    #[error("the record cannot be committed to: {0}")]
    Commit(LedgerError),
    /// The record and key do not open the leaf.
    #[error(transparent)]
    Open(#[from] OpenError),
}

/// The JSON type of `v`, with its article, for messages.
pub(crate) fn json_type(v: &serde_json::Value) -> &'static str {
    use serde_json::Value;
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_f64() => "a number",
        Value::Number(_) => "an integer",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// `s`, cut to 64 characters for a message.
pub(crate) fn shorten(s: &str) -> String {
    match s.char_indices().nth(64) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}

/// Reads the fields of one JSON object of a format, naming each field in its errors and
/// refusing fields the format does not have.
pub(crate) struct Fields<'a> {
    format: &'static str,
    prefix: &'static str,
    map: &'a serde_json::Map<String, serde_json::Value>,
}

impl<'a> Fields<'a> {
    /// The object `v` (at `prefix`, `""` for the top level), which may hold only `known` fields.
    pub(crate) fn new(
        format: &'static str,
        prefix: &'static str,
        v: &'a serde_json::Value,
        known: &[&str],
    ) -> Result<Self, FormatError> {
        let map = v.as_object().ok_or_else(|| FormatError::NotObject {
            format,
            field: if prefix.is_empty() { ".".to_owned() } else { prefix.trim_end_matches('.').to_owned() },
            found: json_type(v),
        })?;
        if let Some(k) = map.keys().find(|k| !known.contains(&k.as_str())) {
            return Err(FormatError::Unknown {
                format,
                field: format!("{prefix}{}", shorten(k)),
                known: known.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", "),
            });
        }
        Ok(Self { format, prefix, map })
    }

    pub(crate) fn path(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    pub(crate) fn get(&self, name: &str) -> Result<&'a serde_json::Value, FormatError> {
        self.map.get(name).ok_or_else(|| FormatError::Missing { format: self.format, field: self.path(name) })
    }

    pub(crate) fn wrong(&self, name: &str, expected: &'static str, found: &serde_json::Value) -> FormatError {
        FormatError::Type { format: self.format, field: self.path(name), expected, found: json_type(found) }
    }

    pub(crate) fn invalid(&self, name: &str, value: &str, reason: impl Into<String>) -> FormatError {
        FormatError::Invalid {
            format: self.format,
            field: self.path(name),
            value: shorten(value),
            reason: reason.into(),
        }
    }

    pub(crate) fn string(&self, name: &str) -> Result<String, FormatError> {
        let v = self.get(name)?;
        v.as_str().map(str::to_owned).ok_or_else(|| self.wrong(name, "a string", v))
    }

    pub(crate) fn opt_string(&self, name: &str) -> Result<Option<String>, FormatError> {
        match self.get(name)? {
            serde_json::Value::Null => Ok(None),
            serde_json::Value::String(s) => Ok(Some(s.clone())),
            other => Err(self.wrong(name, "a string or null", other)),
        }
    }

    pub(crate) fn i64(&self, name: &str) -> Result<i64, FormatError> {
        let v = self.get(name)?;
        v.as_i64().ok_or_else(|| self.wrong(name, "an integer (64-bit)", v))
    }

    pub(crate) fn bool(&self, name: &str) -> Result<bool, FormatError> {
        let v = self.get(name)?;
        v.as_bool().ok_or_else(|| self.wrong(name, "true or false", v))
    }
}

/// `text` must be exactly `canonical`, else [`FormatError::NotCanonical`] at the first byte
/// that differs.
pub(crate) fn require_canonical(
    format: &'static str,
    text: &str,
    canonical: &str,
) -> Result<(), FormatError> {
    if text == canonical {
        return Ok(());
    }
    let offset = text
        .bytes()
        .zip(canonical.bytes())
        .position(|(a, b)| a != b)
        .unwrap_or_else(|| text.len().min(canonical.len()));
    Err(FormatError::NotCanonical { format, offset })
}

/// Parses `text` as JSON for `format`.
pub(crate) fn parse_json(format: &'static str, text: &str) -> Result<serde_json::Value, FormatError> {
    serde_json::from_str(text).map_err(|e| FormatError::Json { format, reason: e.to_string() })
}
