//! The Mizan web application: public register pages, provider and regulator pages, and the
//! JSON API, in English and Urdu.
//!
//! This crate knows HTTP and HTML and nothing else: records, validation and lifecycle rules
//! come from `mizan-register`, persistence and tenant isolation from `mizan-store`. Handlers
//! are thin: extract, check permission, call the store, render.
#![warn(missing_docs)]

pub mod audits;
pub mod auth;
pub mod csrf;
pub mod demo;
pub mod error;
pub mod events_log;
pub mod explain;
pub mod i18n;
pub mod intake;
pub mod ledger;
pub mod models;
pub mod multipart;
pub mod pages;
pub mod router;
pub mod routes;
mod static_files;
pub mod util;

use std::sync::Arc;

use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use mizan_store::Store;

pub use router::router;

/// Server settings that handlers need.
#[derive(Debug, Clone)]
pub struct Config {
    /// Mark cookies `Secure` (set when served over HTTPS).
    pub secure_cookies: bool,
    /// Absolute base URL for links in the API, feed and downloads (no trailing slash).
    pub base_url: String,
    /// The data directory (model files live under `<data_dir>/models/`).
    pub data_dir: std::path::PathBuf,
}

/// Whether cookies are marked Secure; handed to middleware through request extensions.
#[derive(Debug, Clone, Copy)]
pub struct CookieSecurity(pub bool);

/// Shared state of every handler.
#[derive(Clone)]
pub struct AppState {
    /// The database.
    pub store: Store,
    /// Settings.
    pub config: Arc<Config>,
    /// An argon2 hash checked when an e-mail is unknown, so sign-in takes the same time either way.
    pub dummy_hash: Arc<String>,
    /// The decision ledger.
    pub ledger: Arc<ledger::Ledger>,
    /// Where logged decisions go: group commit to the ledger and the database.
    pub intake: Arc<intake::Intake>,
    /// Uploaded model files.
    pub models: Arc<models::ModelFiles>,
    /// Models prepared for explanations, by hash.
    pub prepared: Arc<explain::PreparedModels>,
}

impl AppState {
    /// Builds the state.
    ///
    /// # Errors
    /// Only if password hashing is broken.
    pub fn new(store: Store, config: Config, ledger: ledger::Ledger) -> Result<AppState, String> {
        let dummy_hash = auth::hash_password("not a real password")?;
        let models = models::ModelFiles::in_data_dir(&config.data_dir);
        let ledger = Arc::new(ledger);
        let intake = Arc::new(intake::Intake::new(store.clone(), Arc::clone(&ledger)));
        Ok(AppState {
            store,
            config: Arc::new(config),
            dummy_hash: Arc::new(dummy_hash),
            intake,
            ledger,
            models: Arc::new(models),
            prepared: Arc::new(explain::PreparedModels::new(explain::PREPARED_MODELS)),
        })
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
    tokio::spawn(events_log::follow(state.clone()));
    let _checkpoints = state.store.spawn_wal_checkpoints(std::time::Duration::from_millis(100));
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
