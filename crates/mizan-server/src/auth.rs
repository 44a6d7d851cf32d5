//! Who is asking: session cookies for pages, bearer tokens for the API, and the one function
//! every handler uses to check a permission.
//!
//! Permissions are data (`role_permissions` in the database); handlers only ever ask
//! `require(principal, "systems:write")`, never "is this an admin".

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use mizan_store::{Principal, RegulatorScope};

use crate::AppState;
use crate::error::AppError;
use crate::i18n::cookie;

/// The session cookie name.
pub const SESSION_COOKIE: &str = "mizan_session";

/// Refuses unless the principal holds `permission`.
///
/// # Errors
/// [`AppError::Forbidden`] naming the missing permission.
pub fn require(p: &Principal, permission: &str) -> Result<(), AppError> {
    if p.can(permission) { Ok(()) } else { Err(AppError::Forbidden(permission.to_owned())) }
}

/// The regulator scope of a principal holding `permission`.
///
/// # Errors
/// [`AppError::Forbidden`] when the permission is missing or the organisation is no regulator.
pub fn regulator(p: &Principal, permission: &str) -> Result<RegulatorScope, AppError> {
    require(p, permission)?;
    RegulatorScope::of(p).ok_or_else(|| AppError::Forbidden(permission.to_owned()))
}

/// The signed-in user, if any (pages).
#[derive(Debug, Clone)]
pub struct MaybeUser(pub Option<Principal>);

impl FromRequestParts<AppState> for MaybeUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if let Some(cached) = parts.extensions.get::<MaybeUser>() {
            return Ok(cached.clone());
        }
        let principal = match cookie(&parts.headers, SESSION_COOKIE) {
            Some(secret) => state.app.store().principal_for_session(secret).await?,
            None => None,
        };
        let me = MaybeUser(principal);
        parts.extensions.insert(me.clone());
        Ok(me)
    }
}

/// A signed-in user (pages); anonymous requests are sent to sign in.
#[derive(Debug, Clone)]
pub struct SignedIn(pub Principal);

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        MaybeUser::from_request_parts(parts, state).await?.0.map(SignedIn).ok_or(AppError::Unauthenticated)
    }
}

/// A caller authenticated by an API token (`Authorization: Bearer mzn_...`).
#[derive(Debug, Clone)]
pub struct TokenUser(pub Principal);

impl FromRequestParts<AppState> for TokenUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let header = parts.headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
        let Some(secret) = header.and_then(|h| h.strip_prefix("Bearer ")).map(str::trim) else {
            return Err(AppError::Unauthenticated);
        };
        match state.app.store().principal_for_token(secret).await? {
            Ok(p) => Ok(TokenUser(p)),
            Err(problem) => Err(AppError::Token(problem)),
        }
    }
}
