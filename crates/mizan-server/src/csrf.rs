//! CSRF protection for every form: a double-submit token.
//!
//! Every page response makes sure the browser holds a random `mizan_csrf` cookie
//! (`SameSite=Strict`, `HttpOnly`); every form carries the same value in a hidden `csrf` field;
//! [`CsrfForm`] refuses a POST whose field does not match the cookie. A cross-site page can
//! neither read the cookie nor make the browser send it, so it cannot forge a matching pair.

use axum::extract::{FromRequest, Request};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

use crate::AppState;
use crate::error::AppError;
use crate::i18n::cookie;
use crate::util::FormFields;

/// The CSRF token for this request's forms.
#[derive(Debug, Clone)]
pub struct CsrfToken(pub String);

fn new_token() -> String {
    use rand::RngCore;
    let mut b = [0u8; 24];
    rand::thread_rng().fill_bytes(&mut b);
    hex::encode(b)
}

/// Makes sure the request has a token (from its cookie or fresh) and sets the cookie if new.
pub async fn ensure_token(mut req: Request, next: Next) -> Response {
    let existing = cookie(req.headers(), "mizan_csrf").filter(|v| v.len() == 48).map(str::to_owned);
    let (token, fresh) = match existing {
        Some(t) => (t, false),
        None => (new_token(), true),
    };
    let secure = req.extensions().get::<crate::CookieSecurity>().is_some_and(|c| c.0);
    req.extensions_mut().insert(CsrfToken(token.clone()));
    let mut res = next.run(req).await;
    if fresh {
        let value = format!(
            "mizan_csrf={token}; Path=/; HttpOnly; SameSite=Strict{}",
            if secure { "; Secure" } else { "" }
        );
        if let Ok(v) = HeaderValue::from_str(&value) {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    res
}

/// A URL-encoded form whose `csrf` field matched the cookie.
#[derive(Debug)]
pub struct CsrfForm(pub FormFields);

impl FromRequest<AppState> for CsrfForm {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let cookie_token = cookie(req.headers(), "mizan_csrf").map(str::to_owned);
        let axum::Form(fields) =
            axum::Form::<Vec<(String, String)>>::from_request(req, state).await.map_err(|r| match r {
                axum::extract::rejection::FormRejection::InvalidFormContentType(_) => {
                    AppError::UnsupportedMediaType("application/x-www-form-urlencoded".into())
                }
                other if other.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => AppError::TooLarge,
                other => AppError::BadRequest { field: None, detail: other.body_text() },
            })?;
        let fields = FormFields(fields);
        fields.check_text()?;
        let given = fields.get("csrf");
        match cookie_token {
            Some(c) if !given.is_empty() && constant_time_eq(c.as_bytes(), given.as_bytes()) => {
                Ok(CsrfForm(fields))
            }
            _ => Err(AppError::Csrf),
        }
    }
}

/// Checks a `csrf` value read from a body [`CsrfForm`] cannot read (a file upload's
/// `multipart/form-data`) against the cookie.
///
/// # Errors
/// [`AppError::Csrf`] when it is missing or does not match.
pub fn check(headers: &axum::http::HeaderMap, given: &str) -> Result<(), AppError> {
    match cookie(headers, "mizan_csrf") {
        Some(c) if !given.is_empty() && constant_time_eq(c.as_bytes(), given.as_bytes()) => Ok(()),
        _ => Err(AppError::Csrf),
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
