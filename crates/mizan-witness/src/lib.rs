//! An independent witness for Mizan's decision log, and the HTTP clients that talk to
//! witnesses and logs.
//!
//! A witness follows logs it knows by key and cosigns each checkpoint only if it is consistent
//! with the last one it cosigned, so a log cannot show different histories to different
//! people without a witness noticing. This crate puts C2SP tlog-witness on HTTP
//! ([`server::router`]: `POST /add-checkpoint`, `GET /<origin hash>/checkpoint`) around the
//! engine in [`mizan_ledger::witness`], keeps the witness's state durably in a directory
//! ([`state::FsWitnessStore`], atomic compare-and-swap), keeps its key in a file
//! ([`key::load_or_create`]), and provides the client side: [`client::add_checkpoint`] for a
//! log asking for cosignatures and [`client::HttpLog`] for monitors reading a log's tiles.
#![warn(missing_docs)]

pub mod client;
pub mod key;
pub mod request;
pub mod server;
pub mod state;

use std::future::Future;
use std::sync::Arc;

pub use client::{ClientError, HttpLog, WitnessClient, add_checkpoint};
pub use server::{WitnessService, router};
pub use state::FsWitnessStore;

/// Serves the witness on `listener` until `shutdown` completes.
///
/// # Errors
/// The server's I/O error.
pub async fn serve(
    listener: tokio::net::TcpListener,
    service: Arc<WitnessService>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(service)).with_graceful_shutdown(shutdown).await
}
