//! No API text holds the NUL character (U+0000).
//!
//! PostgreSQL cannot store U+0000 in `text` or `jsonb`, so a report, a record or a decision
//! carrying one failed there with a 500 (schemathesis found it) while SQLite stored it. Rather
//! than let the database decide, the API refuses it on both: a JSON body with a `\u0000`
//! escape, or a path or query with `%00`, is a 400 naming the problem before any handler runs.
//! The OpenAPI document says so in its description. Binary uploads (models, CSV files) are not
//! JSON and pass untouched; their parsers handle every byte.

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::AppError;

/// The largest JSON body the API reads anywhere (the decision batches').
const MAX_JSON: usize = crate::routes::decisions::BODY_LIMIT;

/// Whether a JSON text has a string holding U+0000, which JSON can only write as `\u0000`.
/// A backslash escape is skipped as a whole, so `\\u0000` (a backslash, then `u0000`) is not one.
#[must_use]
pub fn json_has_nul(json: &[u8]) -> bool {
    let mut i = 0;
    while i < json.len() {
        if json[i] == b'\\' {
            if json.get(i + 1) == Some(&b'u') && json.get(i + 2..i + 6) == Some(b"0000".as_slice()) {
                return true;
            }
            i += 2;
        } else {
            i += 1;
        }
    }
    false
}

fn refused(what: &str) -> Response {
    AppError::BadRequest {
        field: None,
        detail: format!("{what} contains the NUL character (U+0000), which Mizan does not store"),
    }
    .into_response()
}

/// Refuses API requests whose path, query or JSON body holds U+0000 (see the module comment).
pub async fn refuse_nul(req: Request, next: Next) -> Response {
    if req.uri().path_and_query().is_some_and(|pq| pq.as_str().contains("%00")) {
        return refused("the URL");
    }
    let is_json = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| {
        v.split(';').next().is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json"))
    });
    if !is_json {
        return next.run(req).await;
    }
    // A body declared larger than will be read is refused before any of it is.
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_JSON as u64) {
        return AppError::TooLarge.into_response();
    }
    let (parts, body) = req.into_parts();
    let bytes: Bytes = match axum::body::to_bytes(body, MAX_JSON).await {
        Ok(b) => b,
        Err(_) => return AppError::TooLarge.into_response(),
    };
    if json_has_nul(&bytes) {
        return refused("the body");
    }
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}

#[cfg(test)]
mod tests {
    use super::json_has_nul;

    #[test]
    fn finds_the_escape_and_only_the_escape() {
        for (json, expect) in [
            (r#"{"a": "x\u0000y"}"#, true),
            (r#"["\u0000"]"#, true),
            (r#"{"a": "\\u0000"}"#, false),
            (r#"{"a": "\\\u0000"}"#, true),
            (r#"{"a": "\u00001"}"#, true),
            (r#"{"a": "\u0001"}"#, false),
            (r#"{"a": "u0000"}"#, false),
            (r#"{"a": "\"}"#, false),
        ] {
            assert_eq!(json_has_nul(json.as_bytes()), expect, "{json}");
        }
    }
}
