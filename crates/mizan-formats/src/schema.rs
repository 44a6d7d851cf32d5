//! The published JSON Schemas (draft 2020-12) of the formats, hand-written in `schemas/` and
//! embedded here so the server can serve them at `/api/v1/schemas/{name}.json` and tests in
//! any crate can validate against exactly what is published.
//!
//! Each schema's `$id` is `https://mizan.gov.pk/api/v1/schemas/{name}.json` ([`ID_BASE`] and the
//! name): an absolute URI, as draft 2020-12 asks of a root schema, whose path is where every
//! deployment serves it, so the identifier is the same everywhere and resolves on the national
//! deployment. Records that a commitment covers (decision, event) and the documents the
//! server writes (explanation, receipt) are strict: `additionalProperties: false` everywhere
//! except a decision's free-form `features`.
//!
//! The schemas describe the JSON; the types in this crate check a little more than JSON Schema
//! can say (that `decided_at` parses as a time, that a score is written as a float, that a
//! canonical text is byte for byte canonical).

/// What every schema's `$id` starts with; the name and `.json` follow.
pub const ID_BASE: &str = "https://mizan.gov.pk/api/v1/schemas/";

/// Every schema: (name, JSON text). The name is the format's with `/` as `-`
/// (`mizan.decision/1` is `mizan.decision-1`).
pub const SCHEMAS: &[(&str, &str)] = &[
    ("mizan.decision-1", include_str!("../schemas/mizan.decision-1.schema.json")),
    ("mizan-event-1", include_str!("../schemas/mizan-event-1.schema.json")),
    ("mizan.explanation-1", include_str!("../schemas/mizan.explanation-1.schema.json")),
    ("mizan.receipt-1", include_str!("../schemas/mizan.receipt-1.schema.json")),
    ("mizan.oversight-policy-1", include_str!("../schemas/mizan.oversight-policy-1.schema.json")),
    ("mizan.model-card-1", include_str!("../schemas/mizan.model-card-1.schema.json")),
];

/// The schema named `name` (as in [`SCHEMAS`]; a trailing `.json` is allowed, so a request
/// path's last segment can be passed as it is).
#[must_use]
pub fn schema(name: &str) -> Option<&'static str> {
    let name = name.strip_suffix(".json").unwrap_or(name);
    SCHEMAS.iter().find(|(n, _)| *n == name).map(|(_, text)| *text)
}

/// The schema name of a format (`mizan.decision/1`, `mizan-event/v1`, `mizan.explanation/1`,
/// `mizan.receipt/1`).
#[must_use]
pub fn name_of(format: &str) -> Option<&'static str> {
    match format {
        crate::decision::FORMAT => Some("mizan.decision-1"),
        crate::event::FORMAT => Some("mizan-event-1"),
        crate::explanation::FORMAT => Some("mizan.explanation-1"),
        crate::receipt::FORMAT => Some("mizan.receipt-1"),
        crate::oversight::FORMAT => Some("mizan.oversight-policy-1"),
        crate::model_card::FORMAT => Some("mizan.model-card-1"),
        _ => None,
    }
}
