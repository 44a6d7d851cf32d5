//! The Mizan web application: public register pages, provider and regulator pages, and the
//! JSON API, in English and Urdu.
//!
//! This crate knows HTTP and HTML and nothing else: the platform's operations (decision
//! intake, the logs, audits, explanations, models) are `mizan-app`'s [`Platform`]; records,
//! validation and lifecycle rules come from `mizan-register`, persistence and tenant isolation
//! from `mizan-store`. Handlers are thin: extract, check permission, call one operation,
//! render. [`error::AppError`] maps the platform's errors to pages and problem+json.
#![warn(missing_docs)]

pub mod auth;
pub mod csrf;
pub mod error;
pub mod i18n;
pub mod list;
pub mod multipart;
pub mod nul;
pub mod openapi;
pub mod pages;
pub mod plain;
pub mod reports;
pub mod router;
pub mod routes;
pub mod serve;
mod static_files;
pub mod util;
pub mod views;

use std::sync::Arc;

use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use mizan_app::Platform;

pub use router::router;
pub use serve::serve;

/// Server settings: cookies, and the limits on connections (`mizan serve` flags, README).
#[derive(Debug, Clone)]
pub struct Config {
    /// Mark cookies `Secure` (set when served over HTTPS).
    pub secure_cookies: bool,
    /// Time a client has to send a request's headers; a kept-alive connection idle this long
    /// is closed too. Default 10 s.
    pub header_timeout: std::time::Duration,
    /// Longest wait for the next chunk of a request body. Default 15 s.
    pub body_idle_timeout: std::time::Duration,
    /// Time a client has to send a whole request body. Default 300 s (32 MiB at 1 Mbit/s).
    pub body_timeout: std::time::Duration,
    /// Connections served at once; more wait in the kernel's backlog. Default 1024.
    pub max_connections: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            secure_cookies: false,
            header_timeout: std::time::Duration::from_secs(10),
            body_idle_timeout: std::time::Duration::from_secs(15),
            body_timeout: std::time::Duration::from_secs(300),
            max_connections: 1024,
        }
    }
}

/// Whether cookies are marked Secure; handed to middleware through request extensions.
#[derive(Debug, Clone, Copy)]
pub struct CookieSecurity(pub bool);

/// Shared state of every handler.
#[derive(Clone)]
pub struct AppState {
    /// The running platform: every operation a handler calls.
    pub app: Platform,
    /// Settings.
    pub config: Arc<Config>,
}

impl AppState {
    /// Builds the state of a server in front of `app`. Links use the platform's base URL
    /// (`app.config().base_url`).
    #[must_use]
    pub fn new(app: Platform, config: Config) -> AppState {
        AppState { app, config: Arc::new(config) }
    }
}

/// Headers every response carries: no framing, no sniffing, a strict content policy (pages
/// need no scripts; a handler may set a stricter one of its own, as the stored audit reports
/// do), and no referrer leaking register searches.
///
/// A response to a signed-in request (a session cookie or a bearer token) is never stored
/// by a browser or a shared cache: `Cache-Control: no-store`, unless the handler said otherwise.
pub async fn security_headers(req: Request, next: Next) -> Response {
    let signed_in = req.headers().contains_key(header::AUTHORIZATION)
        || i18n::cookie(req.headers(), auth::SESSION_COOKIE).is_some();
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    if signed_in && !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    h.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    // A page whose address holds a secret (an appeal's status link) asks for less.
    h.entry("referrer-policy").or_insert(HeaderValue::from_static("same-origin"));
    if h.get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"text/html"))
        && !h.contains_key(header::CONTENT_SECURITY_POLICY)
    {
        h.insert(
            "content-security-policy",
            HeaderValue::from_static("default-src 'self'; script-src 'none'; style-src 'self'; font-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'"),
        );
    }
    res
}
