//! Renders a fairness audit as JSON, plain text or one self-contained HTML file.
//!
//! The input is a [`Document`]: the engine's [`Report`] plus where its numbers came from (the
//! input file's name and SHA-256, the columns, the positive label, the Mizan version and the
//! command that reproduces it). No I/O: values in, `String` out; the binary writes the file.
//!
//! - [`json`] is the documented, versioned format ([`FORMAT`]): everything in the report,
//!   including the counts, the bootstrap seed and B, so anyone can re-derive every number.
//!   Undefined numbers are `null` (a rate or an untested comparison says why in its
//!   `reason`). [`SCHEMA`] is its published JSON Schema.
//! - [`text`] is a readable summary for a terminal.
//! - [`html`] is one printable page with inline CSS and inline SVG charts, no script and no
//!   external reference, with a plain-language summary in English and Urdu and the verdict
//!   table. Every user-provided string (file and column names, group values, labels) is
//!   escaped.
#![warn(missing_docs)]

mod chart;
mod fmt;
mod html;
mod summary;
mod text;

use mizan_fairness::report::Report;
use serde::Serialize;

pub use html::html;
pub use text::text;

/// Name and version of the JSON format, written as its `format` field.
pub const FORMAT: &str = "mizan.fairness.audit/1";

/// The published JSON Schema (draft 2020-12) of [`FORMAT`], hand-written in `schemas/` beside
/// this crate and served at `/api/v1/schemas/mizan.fairness.audit-1.json`, the URI its `$id`
/// names. It documents every field and every definition ID the report can carry.
pub const SCHEMA: &str = include_str!("../schemas/mizan.fairness.audit-1.schema.json");

/// The name [`SCHEMA`] is published under: [`FORMAT`] with `/` as `-`, as the other formats'
/// schemas are named (`mizan_formats::schema::SCHEMAS`).
pub const SCHEMA_NAME: &str = "mizan.fairness.audit-1";

/// Where the audited numbers came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Source {
    /// The input file as the user named it.
    pub input: String,
    /// SHA-256 of the input file's bytes, lowercase hex.
    pub sha256: String,
    /// Data rows read.
    pub rows: u64,
    /// Ground-truth column.
    pub label: String,
    /// Decision column.
    pub prediction: String,
    /// The value of label and decision counted as positive (favourable).
    pub pos_label: String,
    /// Sample weight column, if any.
    pub weight: Option<String>,
}

/// One audit ready to render.
#[derive(Debug, Clone, Serialize)]
pub struct Document<'a> {
    /// Always [`FORMAT`].
    pub format: &'static str,
    /// Version of Mizan that computed the report.
    pub mizan_version: String,
    /// A command line that recomputes this report from the same file.
    pub reproduce: String,
    /// The input.
    pub source: Source,
    /// The engine's report.
    pub report: &'a Report,
}

impl<'a> Document<'a> {
    /// A document for `report` computed by Mizan `mizan_version` from `source`.
    #[must_use]
    pub fn new(report: &'a Report, source: Source, mizan_version: &str, reproduce: &str) -> Self {
        Self {
            format: FORMAT,
            mizan_version: mizan_version.to_owned(),
            reproduce: reproduce.to_owned(),
            source,
            report,
        }
    }
}

/// Errors while rendering.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// The report could not be serialized.
    #[error("cannot write the report as JSON: {0}")]
    Json(#[from] serde_json::Error),
}

/// The document as pretty-printed JSON (NaN becomes `null`), ending in a newline.
///
/// # Errors
/// [`RenderError::Json`] if serialization fails (it does not for reports the engine builds).
pub fn json(doc: &Document<'_>) -> Result<String, RenderError> {
    let mut s = serde_json::to_string_pretty(doc)?;
    s.push('\n');
    Ok(s)
}
