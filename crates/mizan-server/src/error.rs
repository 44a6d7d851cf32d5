//! One error type at the HTTP edge, rendered two ways.
//!
//! Handlers return [`AppError`] with `?`. Its response carries the error as an extension; the
//! page layer ([`render_page_errors`]) turns it into a localized HTML page and the API layer
//! ([`render_api_errors`]) into RFC 9457 problem+json naming the field. Framework rejections
//! (bad JSON, wrong content type, oversized body, unknown route) pass through the same layers,
//! so no response ever leaks a bare framework message or internals. 5xx bodies show only a
//! request id; the detail goes to the log.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use mizan_register::FieldError;
use mizan_store::{StoreError, TokenProblem};
use serde_json::json;

use crate::i18n::{Lang, request_lang};

/// Everything a handler can fail with.
#[derive(Debug, Clone)]
pub enum AppError {
    /// No such thing (or not visible to the caller).
    NotFound(String),
    /// Signed in but lacking a permission.
    Forbidden(String),
    /// Refused whatever the permissions (a reviewer of their own organisation's system).
    Refused(String),
    /// Not signed in / no token.
    Unauthenticated,
    /// A token that does not work, and why.
    Token(TokenProblem),
    /// Field validation failed.
    Invalid(Vec<FieldError>),
    /// A malformed request, optionally naming the field.
    BadRequest {
        /// The field or parameter at fault.
        field: Option<String>,
        /// What is wrong, in English (API) — pages show a translated title plus this.
        detail: String,
    },
    /// The request conflicts with the current state.
    Conflict(String),
    /// The risk questionnaire is incomplete or has an invalid answer.
    Questionnaire {
        /// The field at fault: `risk_answers.<question>` or `impact_answers.<question>`.
        question: String,
        /// What is wrong, in English.
        detail: String,
    },
    /// The form's CSRF token is missing or wrong.
    Csrf,
    /// The body is larger than allowed.
    TooLarge,
    /// One field of the body (an attached document) is larger than allowed.
    TooLargeField {
        /// The field at fault.
        field: String,
        /// Its size and the limit, in English.
        detail: String,
    },
    /// The content type is not accepted.
    UnsupportedMediaType(String),
    /// The method is not allowed on this path.
    MethodNotAllowed,
    /// Too many requests from this client: try again after this many seconds.
    Throttled(u64),
    /// Too much heavy work is running; try again later.
    Busy(String),
    /// Something broke on our side; the detail is logged, not shown.
    Internal(String),
}

impl AppError {
    fn status(&self) -> StatusCode {
        match self {
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Forbidden(_) | AppError::Refused(_) | AppError::Csrf => StatusCode::FORBIDDEN,
            AppError::Unauthenticated | AppError::Token(_) => StatusCode::UNAUTHORIZED,
            AppError::Invalid(_) | AppError::Questionnaire { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::TooLarge | AppError::TooLargeField { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            AppError::Throttled(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::Busy(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Stable slug for the problem type URI and the translation key `error-<slug>`.
    fn slug(&self) -> &'static str {
        match self {
            AppError::NotFound(_) => "not-found",
            AppError::Forbidden(_) => "forbidden",
            AppError::Refused(_) => "refused",
            AppError::Unauthenticated => "unauthenticated",
            AppError::Token(TokenProblem::Expired) => "token-expired",
            AppError::Token(TokenProblem::Revoked) => "token-revoked",
            AppError::Token(TokenProblem::Unknown) => "token-unknown",
            AppError::Invalid(_) => "invalid",
            AppError::BadRequest { .. } => "bad-request",
            AppError::Conflict(_) => "conflict",
            AppError::Questionnaire { .. } => "questionnaire",
            AppError::Csrf => "csrf",
            AppError::TooLarge | AppError::TooLargeField { .. } => "too-large",
            AppError::UnsupportedMediaType(_) => "unsupported-media-type",
            AppError::MethodNotAllowed => "method-not-allowed",
            AppError::Throttled(_) => "throttled",
            AppError::Busy(_) => "busy",
            AppError::Internal(_) => "internal",
        }
    }

    fn detail(&self) -> String {
        match self {
            AppError::NotFound(what) => format!("{what} not found"),
            AppError::Forbidden(perm) => format!("this needs the `{perm}` permission"),
            AppError::Unauthenticated => {
                "sign in, or send an API token as `Authorization: Bearer <token>`".into()
            }
            AppError::Token(TokenProblem::Expired) => "the API token has expired; make a new one".into(),
            AppError::Token(TokenProblem::Revoked) => "the API token was revoked".into(),
            AppError::Token(TokenProblem::Unknown) => "the API token is not recognised".into(),
            AppError::Invalid(errors) => {
                errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
            }
            AppError::BadRequest { detail, .. }
            | AppError::TooLargeField { detail, .. }
            | AppError::Refused(detail)
            | AppError::Busy(detail)
            | AppError::Conflict(detail)
            | AppError::Questionnaire { detail, .. } => detail.clone(),
            AppError::Csrf => "the form's security token is missing or out of date; reload the page".into(),
            AppError::TooLarge => "the request body is too large".into(),
            AppError::UnsupportedMediaType(expected) => format!("send the body as `{expected}`"),
            AppError::MethodNotAllowed => "this method is not allowed here".into(),
            AppError::Throttled(secs) => {
                format!("too many requests from this address; try again in {secs} seconds")
            }
            AppError::Internal(_) => "an internal error occurred".into(),
        }
    }
}

impl From<mizan_app::Error> for AppError {
    fn from(e: mizan_app::Error) -> Self {
        use mizan_app::Error as E;
        match e {
            E::NotFound(what) => AppError::NotFound(what),
            E::Refused(msg) => AppError::Refused(msg),
            E::Invalid(errors) => AppError::Invalid(errors),
            E::BadRequest { field, detail } => AppError::BadRequest { field, detail },
            E::Audit(e) => {
                AppError::BadRequest { detail: Lang::En.t_args(e.key, &e.args), field: Some(e.field) }
            }
            E::Conflict(msg) => AppError::Conflict(msg),
            E::Questionnaire { question, detail } => AppError::Questionnaire { question, detail },
            E::Busy(msg) | E::Unavailable(msg) => AppError::Busy(msg),
            E::TooLarge { field, detail } => AppError::TooLargeField { field, detail },
            E::Internal(msg) => AppError::Internal(msg),
        }
    }
}

/// An audit's refusal, in English (pages translate it themselves).
impl From<mizan_app::audits::InputError> for AppError {
    fn from(e: mizan_app::audits::InputError) -> Self {
        AppError::from(mizan_app::Error::Audit(e))
    }
}

/// Store errors mean what they mean to the platform.
impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        AppError::from(mizan_app::Error::from(e))
    }
}

/// Rules errors mean what they mean to the platform.
impl From<mizan_rules::RulesError> for AppError {
    fn from(e: mizan_rules::RulesError) -> Self {
        AppError::from(mizan_app::Error::from(e))
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let mut res = self.status().into_response();
        res.extensions_mut().insert(self);
        res
    }
}

/// A request id for correlating a 5xx page with the log.
fn request_id() -> String {
    use rand::Rng;
    format!("{:016x}", rand::thread_rng().r#gen::<u64>())
}

/// Turns a framework rejection (plain-text 4xx or empty 405/404) into an [`AppError`].
fn classify_bare(status: StatusCode, text: String) -> AppError {
    match status {
        StatusCode::PAYLOAD_TOO_LARGE => AppError::TooLarge,
        StatusCode::UNSUPPORTED_MEDIA_TYPE => AppError::UnsupportedMediaType(
            if text.contains("json") { "application/json" } else { "application/x-www-form-urlencoded" }
                .into(),
        ),
        StatusCode::METHOD_NOT_ALLOWED => AppError::MethodNotAllowed,
        StatusCode::NOT_FOUND => AppError::NotFound("page".into()),
        s if s.is_server_error() => AppError::Internal(text),
        _ => {
            // serde messages name the field as "missing field `x`" / "unknown field `x`".
            let field = text.split('`').nth(1).map(str::to_owned);
            AppError::BadRequest { field, detail: text }
        }
    }
}

async fn extract_error(res: Response) -> Result<(AppError, Response), Response> {
    let status = res.status();
    if let Some(err) = res.extensions().get::<AppError>().cloned() {
        return Ok((err, res));
    }
    let rendered = res.headers().get(header::CONTENT_TYPE).is_some_and(|v| {
        let v = v.as_bytes();
        v.starts_with(b"text/html") || v.starts_with(b"application/problem+json")
    });
    // Pages a handler rendered itself (a form shown again with 422) pass through untouched.
    if rendered || !(status.is_client_error() || status.is_server_error()) {
        return Err(res);
    }
    let (parts, body) = res.into_parts();
    let bytes = axum::body::to_bytes(body, 64 * 1024).await.unwrap_or_default();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    Ok((classify_bare(status, text), Response::from_parts(parts, Body::empty())))
}

/// Renders API errors as RFC 9457 problem+json.
pub async fn render_api_errors(req: Request, next: Next) -> Response {
    // The path as the client sent it: a nested router (`/log`) sees only its own part.
    let uri = req.extensions().get::<axum::extract::OriginalUri>().map_or(req.uri(), |o| &o.0);
    let instance = uri_reference(uri.path_and_query().map_or_else(|| uri.path(), |pq| pq.as_str()));
    let res = next.run(req).await;
    let (err, original) = match extract_error(res).await {
        Ok(x) => x,
        Err(res) => return res,
    };
    let id = request_id();
    if let AppError::Internal(detail) = &err {
        tracing::error!(request_id = %id, %detail, "internal error");
    }
    let mut body = json!({
        "type": format!("https://mizan.gov.pk/problems/{}", err.slug()),
        "title": Lang::En.t(&format!("error-{}", err.slug())),
        "status": err.status().as_u16(),
        "detail": err.detail(),
        "instance": instance,
        "request_id": id,
    });
    match &err {
        AppError::Invalid(errors) => {
            body["errors"] = serde_json::to_value(errors).unwrap_or_default();
            body["field"] = json!(errors.first().map(|e| e.field.clone()));
        }
        AppError::BadRequest { field: Some(f), .. } | AppError::TooLargeField { field: f, .. } => {
            body["field"] = json!(f);
        }
        AppError::Questionnaire { question, .. } => body["field"] = json!(question),
        _ => {}
    }
    let mut res = (err.status(), body.to_string()).into_response();
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
    // A 405 says which methods the path does take (RFC 9110, section 15.5.6).
    if let Some(allow) = original.headers().get(header::ALLOW) {
        res.headers_mut().insert(header::ALLOW, allow.clone());
    }
    if matches!(err, AppError::Unauthenticated | AppError::Token(_)) {
        res.headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"mizan\""));
    }
    if let AppError::Throttled(secs) = err {
        res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    res
}

/// `target` (a request's path and query) as a URI reference, which RFC 9457 asks `instance`
/// to be: the HTTP parser lets through bytes RFC 3986 does not allow in a path or query (`"`,
/// `{`, `}`, `|`, `^`, `\`, `[`, `]`, and a `%` not followed by two hex digits), so each of
/// those is percent-encoded; everything else is kept as sent.
fn uri_reference(target: &str) -> String {
    let bytes = target.as_bytes();
    let mut out = String::with_capacity(target.len());
    for (i, &b) in bytes.iter().enumerate() {
        let escape_start = b == b'%'
            && bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
            && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit);
        if b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/?".contains(&b) || escape_start {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Renders page errors as a localized HTML page; unauthenticated page requests go to sign-in.
pub async fn render_page_errors(req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    let lang = request_lang(&parts);
    let path = parts.uri.path_and_query().map(ToString::to_string).unwrap_or_default();
    let res = next.run(Request::from_parts(parts, body)).await;
    let (err, _) = match extract_error(res).await {
        Ok(x) => x,
        Err(res) => return res,
    };
    if matches!(err, AppError::Unauthenticated) {
        let target = format!("/login?next={}", crate::util::url_encode(&path));
        return axum::response::Redirect::to(&target).into_response();
    }
    let id = request_id();
    if let AppError::Internal(detail) = &err {
        tracing::error!(request_id = %id, %detail, "internal error");
    }
    let detail = match &err {
        AppError::Invalid(errors) => errors.iter().map(|e| crate::pages::field_error_text(lang, e)).collect(),
        AppError::Internal(_) => vec![lang.t_args("error-request-id", &[("id", id.clone())])],
        AppError::NotFound(_) | AppError::Csrf | AppError::TooLarge | AppError::MethodNotAllowed => vec![],
        other => vec![other.detail()],
    };
    let page =
        crate::pages::ErrorPage::new(lang, err.status().as_u16(), &format!("error-{}", err.slug()), detail);
    (err.status(), Html(page.render_string())).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_has_both_translations() {
        let samples = [
            AppError::NotFound("x".into()),
            AppError::Forbidden("p".into()),
            AppError::Refused("r".into()),
            AppError::Unauthenticated,
            AppError::Token(TokenProblem::Expired),
            AppError::Token(TokenProblem::Revoked),
            AppError::Token(TokenProblem::Unknown),
            AppError::Invalid(vec![]),
            AppError::BadRequest { field: None, detail: String::new() },
            AppError::Conflict(String::new()),
            AppError::Questionnaire { question: String::new(), detail: String::new() },
            AppError::Csrf,
            AppError::TooLarge,
            AppError::UnsupportedMediaType(String::new()),
            AppError::MethodNotAllowed,
            AppError::Throttled(1),
            AppError::Busy(String::new()),
            AppError::Internal(String::new()),
        ];
        for e in samples {
            let key = format!("error-{}", e.slug());
            assert!(Lang::En.has(&key), "{key} missing in English");
            assert!(Lang::Ur.has(&key), "{key} missing in Urdu");
        }
    }

    #[test]
    fn instance_is_a_uri_reference() {
        assert_eq!(uri_reference("/api/v1/systems/a%C3%BC?q=x&y=1"), "/api/v1/systems/a%C3%BC?q=x&y=1");
        assert_eq!(
            uri_reference("/api/v1/systems/a\\b\"{|}^[]"),
            "/api/v1/systems/a%5Cb%22%7B%7C%7D%5E%5B%5D"
        );
        assert_eq!(uri_reference("/x/%zz%4"), "/x/%25zz%254");
    }

    #[test]
    fn serde_field_is_named() {
        let e = classify_bare(StatusCode::UNPROCESSABLE_ENTITY, "missing field `name` at line 1".into());
        assert!(matches!(e, AppError::BadRequest { field: Some(f), .. } if f == "name"));
    }
}
