//! `GET /api/v1/schemas/{name}`: the published JSON Schemas of the formats outsiders verify
//! (decision record, event, explanation, receipt, ...), served byte for byte as `mizan_formats`
//! embeds them, of the fairness audit report (`mizan.fairness.audit/1`), which
//! `mizan_fairness_report` embeds beside the renderer that writes it, and of the dataset
//! profile (`mizan.dataset-profile/1`), which `mizan_profile` embeds beside its model.
//!
//! Each schema's `$id` is `https://mizan.gov.pk/api/v1/schemas/<name>.json`, this path, so a
//! validator that resolves the identifier on the national deployment gets the same bytes every
//! deployment serves here. The texts are compiled in and never change while the server runs,
//! so they may be cached for a day.

use axum::extract::Path;
use axum::http::header;
use axum::response::{IntoResponse, Response};

use crate::error::AppError;

/// A published JSON Schema (draft 2020-12) of a verifiable format.
#[utoipa::path(get, path = "/api/v1/schemas/{name}", tag = "register",
    params(("name" = String, Path, description = "the schema's file name: `mizan.decision-1.json`, `mizan-event-1.json`, `mizan.explanation-1.json`, `mizan.receipt-1.json`, `mizan.oversight-policy-1.json`, `mizan.model-card-1.json`, `mizan.fairness.audit-1.json` or `mizan.dataset-profile-1.json` (the `.json` may be left off)")),
    responses((status = 200, content_type = "application/schema+json", body = Object, description = "the JSON Schema, as its `$id` names it"),
        (status = 404, content_type = "application/problem+json")))]
pub async fn schema(Path(name): Path<String>) -> Response {
    match published(&name) {
        Some(text) => (
            [
                (header::CONTENT_TYPE, "application/schema+json"),
                (header::CACHE_CONTROL, "public, max-age=86400"),
            ],
            text,
        )
            .into_response(),
        None => {
            let known: Vec<String> = mizan_formats::SCHEMAS
                .iter()
                .map(|(n, _)| *n)
                .chain([mizan_fairness_report::SCHEMA_NAME, mizan_profile::SCHEMA_NAME])
                .map(|n| format!("`{n}.json`"))
                .collect();
            let shown: String = name.chars().take(64).collect();
            AppError::NotFound(format!("schema `{shown}` (the schemas are {})", known.join(", ")))
                .into_response()
        }
    }
}

/// The schema named `name` (a trailing `.json` allowed): one of `mizan_formats`, the fairness
/// audit report's or the dataset profile's.
fn published(name: &str) -> Option<&'static str> {
    mizan_formats::schema(name).or_else(|| {
        let name = name.strip_suffix(".json").unwrap_or(name);
        [
            (mizan_fairness_report::SCHEMA_NAME, mizan_fairness_report::SCHEMA),
            (mizan_profile::SCHEMA_NAME, mizan_profile::SCHEMA),
        ]
        .into_iter()
        .find_map(|(n, text)| (n == name).then_some(text))
    })
}
