//! The platform's own events (register changes, reviews, overrides) committed to a second
//! transparency log, so the events trail is verifiable the way decisions are.
//!
//! A follower task appends every event that has no leaf yet. The entry is
//! `mizan-event/v1 <event id> <SHA-256 of the event's canonical JSON>`: it commits to the event
//! without revealing it, so events of systems that are not public stay private while anyone
//! holding a public event can check it was logged, and that it was not changed since.

use std::time::Duration;

use mizan_ledger_fs::ledger::leaf::canonical_json;
use mizan_store::Event;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::AppState;

/// The canonical JSON of an event: what its leaf commits to.
#[must_use]
pub fn canonical_event(e: &Event) -> String {
    canonical_json(&event_json(e))
}

/// The event as JSON, the fields the commitment covers.
#[must_use]
pub fn event_json(e: &Event) -> Value {
    json!({
        "id": e.id,
        "system": e.public_id,
        "version": e.version,
        "kind": e.kind,
        "from": e.from_status,
        "to": e.to_status,
        "actor": e.actor_name,
        "reason": e.reason,
        "at": e.at,
    })
}

/// The log entry of an event with this SHA-256.
#[must_use]
pub fn entry(event_id: i64, sha256_hex: &str) -> Vec<u8> {
    format!("mizan-event/v1 {event_id} {sha256_hex}").into_bytes()
}

/// Appends unlogged events until the server stops; errors are logged and retried.
pub async fn follow(state: AppState) {
    let Some(log) = state.ledger.events() else { return };
    loop {
        let batch = match state.store.unlogged_events(1000).await {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!(error = %e, "events log: cannot read events");
                tokio::time::sleep(Duration::from_secs(2)).await;
                continue;
            }
        };
        if batch.is_empty() {
            tokio::time::sleep(Duration::from_millis(250)).await;
            continue;
        }
        let hashes: Vec<String> =
            batch.iter().map(|e| hex::encode(Sha256::digest(canonical_event(e).as_bytes()))).collect();
        let entries = batch.iter().zip(&hashes).map(|(e, h)| entry(e.id, h)).collect();
        match log.append(entries).await {
            Ok(acks) => {
                let leaves: Vec<(i64, u64, String)> = batch
                    .iter()
                    .zip(hashes)
                    .zip(&acks)
                    .map(|((e, h), a)| {
                        let mizan_ledger_fs::ledger::log::LeafIndex(i) = a.index;
                        (e.id, i, h)
                    })
                    .collect();
                if let Err(e) = state.store.record_event_leaves(&leaves).await {
                    tracing::warn!(error = %e, "events log: cannot record leaves; they will be appended again");
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "events log: append failed");
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
        }
    }
}
