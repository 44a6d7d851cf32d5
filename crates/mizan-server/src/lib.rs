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

/// Server settings that handlers need.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// Mark cookies `Secure` (set when served over HTTPS).
    pub secure_cookies: bool,
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
    /// An argon2 hash checked when an e-mail is unknown, so sign-in takes the same time either way.
    pub dummy_hash: Arc<String>,
}

impl AppState {
    /// Builds the state of a server in front of `app`. Links use the platform's base URL
    /// (`app.config().base_url`).
    ///
    /// # Errors
    /// Only if password hashing is broken.
    pub fn new(app: Platform, config: Config) -> Result<AppState, String> {
        let dummy_hash = mizan_app::passwords::hash_password("not a real password")?;
        Ok(AppState { app, config: Arc::new(config), dummy_hash: Arc::new(dummy_hash) })
    }
}

/// Headers every response carries: no framing, no sniffing, a strict content policy (pages
/// need no scripts; a handler may set a stricter one of its own, as the stored audit reports
/// do), and no referrer leaking register searches.
pub async fn security_headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    h.insert("referrer-policy", HeaderValue::from_static("same-origin"));
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

/// Serves the application on `listener` until Ctrl-C / SIGTERM.
///
/// # Errors
/// I/O errors from the listener.
pub async fn serve(listener: tokio::net::TcpListener, state: AppState) -> std::io::Result<()> {
    let _checkpoints = state.app.start_background();
    let app = router(state);
    axum::serve(listener, app).with_graceful_shutdown(shutdown_signal()).await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = term => {} }
}
