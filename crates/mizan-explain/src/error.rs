//! The one error type of `mizan-explain`: every variant says where the problem is.

use thiserror::Error;

/// Everything that can go wrong while loading a model or explaining a row.
#[derive(Debug, Error)]
pub enum ExplainError {
    /// The model file is malformed at a given place.
    #[error("malformed {format} model at {at}: {detail}")]
    Format {
        /// Which format was being read.
        format: &'static str,
        /// Where in the file (key path, line, byte offset).
        at: String,
        /// What was wrong.
        detail: String,
    },
    /// A model file that is JSON (by its first bytes) but not valid JSON.
    #[error("invalid JSON in the model file at line {line}, column {column}: {detail}")]
    Json {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What the parser found.
        detail: String,
    },
    /// The model uses a feature of its format that Mizan does not support.
    #[error("unsupported {what} `{value}` in {format} model; supported: {supported}")]
    Unsupported {
        /// Which format.
        format: &'static str,
        /// What kind of thing (objective, booster, leaf type).
        what: &'static str,
        /// The value found.
        value: String,
        /// What would work instead.
        supported: &'static str,
    },
    /// The input row has the wrong number of features.
    #[error("row {row} has {got} features but the model expects {expected}; check the input columns")]
    FeatureCount {
        /// Zero-based row index.
        row: usize,
        /// Features given.
        got: usize,
        /// Features the model expects.
        expected: usize,
    },
    /// The requested output does not exist.
    #[error("output `{output}` does not exist; the model has {outputs} output(s)")]
    Output {
        /// Requested output.
        output: usize,
        /// Number of outputs.
        outputs: usize,
    },
    /// A recourse or background argument is inconsistent.
    #[error("invalid {what}: {detail}")]
    Invalid {
        /// Which argument.
        what: &'static str,
        /// What is wrong.
        detail: String,
    },
}

/// Text from a model file as shown inside an error message: control characters escaped (so a
/// message stays on one line and cannot drive a terminal) and at most 60 characters.
pub(crate) fn shown(s: &str) -> String {
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i == 60 {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// A marker byte as shown in an error message: the character when printable, else hex.
pub(crate) fn shown_byte(b: u8) -> String {
    if b.is_ascii_graphic() { char::from(b).to_string() } else { format!("0x{b:02x}") }
}
