//! The witness's HTTP interface (C2SP tlog-witness): `POST /add-checkpoint`, and the monitoring
//! endpoint `GET /<origin hash>/checkpoint`.
//!
//! Statuses, as the spec assigns them: 400 for a malformed body or an old size above the
//! checkpoint's; 404 for a log (origin) this witness does not follow; 403 when no trusted log
//! signature verifies; 409 with `text/x.tlog.size` and the stored size when the old size is
//! not the size this witness last cosigned; 422 when the consistency proof does not verify, a
//! proof comes with old size 0, or a second root is offered for the stored size. On success
//! the body is the witness's `cosignature/v1` line. Storage failures are 500 with no detail
//! (they are logged). Errors are `text/plain`, one lower-case sentence.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use mizan_ledger::LedgerError;
use mizan_ledger::note::{CosignatureSigner, NoteVerifier};
use mizan_ledger::witness::{Witness, WitnessStore};

use crate::request::AddCheckpoint;
use crate::state::origin_hash;

/// Largest request body accepted: a checkpoint with its signatures and 63 proof lines fit
/// many times over.
pub const MAX_BODY: usize = 64 * 1024;

/// A clock giving seconds since the Unix epoch.
pub type Clock = Arc<dyn Fn() -> u64 + Send + Sync>;

/// The witness behind the router: its key, the logs it follows, its state and its clock.
pub struct WitnessService {
    witness: Witness,
    verifier: NoteVerifier,
    store: Arc<dyn WitnessStore>,
    origins: HashMap<String, String>,
    clock: Clock,
}

impl std::fmt::Debug for WitnessService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WitnessService").field("witness", &self.verifier.name()).finish_non_exhaustive()
    }
}

fn system_clock() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

impl WitnessService {
    /// A witness cosigning with `signer` for the logs with keys `logs`, keeping state in
    /// `store`, timestamping with the system clock.
    #[must_use]
    pub fn new(signer: CosignatureSigner, logs: Vec<NoteVerifier>, store: Arc<dyn WitnessStore>) -> Self {
        let origins = logs.iter().map(|k| (origin_hash(k.name()), k.name().to_owned())).collect();
        let verifier = signer.verifier();
        Self { witness: Witness::new(signer, logs), verifier, store, origins, clock: Arc::new(system_clock) }
    }

    /// Replaces the clock (tests pin the cosignature timestamps).
    #[must_use]
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// The witness's verifier key (`cosignature/v1`).
    #[must_use]
    pub fn verifier(&self) -> &NoteVerifier {
        &self.verifier
    }

    /// Handles one request body; returns the response's status, content type and body.
    fn add(&self, body: &[u8]) -> (StatusCode, &'static str, String) {
        const TEXT: &str = "text/plain; charset=utf-8";
        let req = match AddCheckpoint::parse(body) {
            Ok(r) => r,
            Err(e) => return (StatusCode::BAD_REQUEST, TEXT, format!("{e}\n")),
        };
        let now = (self.clock)();
        match self.witness.add_checkpoint(self.store.as_ref(), req.old_size, &req.proof, &req.checkpoint, now)
        {
            Ok(sig) => (StatusCode::OK, TEXT, format!("{}\n", sig.line())),
            Err(LedgerError::WitnessSize { stored }) => {
                (StatusCode::CONFLICT, "text/x.tlog.size", format!("{stored}\n"))
            }
            Err(LedgerError::Malformed(m)) => (StatusCode::BAD_REQUEST, TEXT, format!("{m}\n")),
            Err(LedgerError::Missing(m)) => (StatusCode::NOT_FOUND, TEXT, format!("{m}\n")),
            Err(LedgerError::Signature(m)) => (StatusCode::FORBIDDEN, TEXT, format!("{m}\n")),
            Err(LedgerError::Proof(m)) => (StatusCode::UNPROCESSABLE_ENTITY, TEXT, format!("{m}\n")),
            Err(e) => {
                tracing::error!(error = %e, "add-checkpoint failed");
                (StatusCode::INTERNAL_SERVER_ERROR, TEXT, "internal error; the witness logged it\n".into())
            }
        }
    }
}

async fn add_checkpoint(State(service): State<Arc<WitnessService>>, body: Bytes) -> Response {
    // The state update fsyncs: keep it off the async workers.
    let s = service.clone();
    let outcome = tokio::task::spawn_blocking(move || s.add(&body)).await;
    let (status, ctype, text) = outcome.unwrap_or_else(|e| {
        tracing::error!(error = %e, "add-checkpoint task failed");
        (StatusCode::INTERNAL_SERVER_ERROR, "text/plain; charset=utf-8", "internal error\n".into())
    });
    if status.is_success() {
        tracing::info!(status = status.as_u16(), "cosigned");
    } else {
        tracing::info!(status = status.as_u16(), reason = text.trim_end(), "add-checkpoint refused");
    }
    (status, [(header::CONTENT_TYPE, ctype)], text).into_response()
}

async fn checkpoint(State(service): State<Arc<WitnessService>>, Path(hash): Path<String>) -> Response {
    let not_found =
        || (StatusCode::NOT_FOUND, "this witness has cosigned no checkpoint for that log\n").into_response();
    let Some(origin) = service.origins.get(&hash).cloned() else { return not_found() };
    let s = service.clone();
    match tokio::task::spawn_blocking(move || s.store.cosigned(&origin)).await {
        Ok(Ok(Some(note))) => ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], note).into_response(),
        Ok(Ok(None)) => not_found(),
        Ok(Err(e)) => {
            tracing::error!(error = %e, "reading witness state failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error; the witness logged it\n").into_response()
        }
        Err(e) => {
            tracing::error!(error = %e, "checkpoint task failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error\n").into_response()
        }
    }
}

/// The witness router: `POST /add-checkpoint` (the submission prefix is the root) and
/// `GET /{origin-hash}/checkpoint` (the monitoring prefix is the root too).
pub fn router(service: Arc<WitnessService>) -> Router {
    Router::new()
        .route("/add-checkpoint", post(add_checkpoint))
        .route("/{origin_hash}/checkpoint", get(checkpoint))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(service)
}
