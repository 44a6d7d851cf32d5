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

/// Appends unlogged events until the server stops; errors are logged and retried. First it
/// [`reconcile`]s, so that leaves appended before a crash are recorded rather than appended
/// again.
pub async fn follow(state: AppState) {
    let Some(log) = state.ledger.events() else { return };
    loop {
        match reconcile(&state).await {
            Ok(0) => break,
            Ok(n) => {
                tracing::info!(events = n, "events log: recorded leaves appended before a restart");
                break;
            }
            Err(e) => {
                tracing::warn!(error = %e, "events log: cannot reconcile with the database yet");
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
        }
    }
    loop {
        match append_unlogged(&state, log).await {
            Ok(0) => tokio::time::sleep(Duration::from_millis(250)).await,
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(error = %e, "events log: cannot append events yet");
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
        }
    }
}

/// Appends up to 1,000 events that have no leaf and records their leaves. Returns how many.
///
/// Once the append has succeeded, recording is retried until it succeeds too: giving up would
/// leave the events unlogged in the database's eyes, and the next pass would give them second
/// leaves.
///
/// # Errors
/// Reading the events or appending them failed; nothing was recorded.
pub async fn append_unlogged(state: &AppState, log: &crate::ledger::Ledger) -> Result<usize, String> {
    let batch = state.store.unlogged_events(1000).await.map_err(|e| format!("reading events: {e}"))?;
    if batch.is_empty() {
        return Ok(0);
    }
    let hashes: Vec<String> =
        batch.iter().map(|e| hex::encode(Sha256::digest(canonical_event(e).as_bytes()))).collect();
    let entries = batch.iter().zip(&hashes).map(|(e, h)| entry(e.id, h)).collect();
    let acks = log.append(entries).await.map_err(|e| format!("appending: {e}"))?;
    let leaves: Vec<(i64, u64, String)> = batch
        .iter()
        .zip(hashes)
        .zip(&acks)
        .map(|((e, h), a)| {
            let mizan_ledger_fs::ledger::log::LeafIndex(i) = a.index;
            (e.id, i, h)
        })
        .collect();
    let mut wait = Duration::from_millis(100);
    while let Err(e) = state.store.record_event_leaves(&leaves).await {
        tracing::warn!(error = %e, "events log: cannot record appended leaves yet; retrying");
        tokio::time::sleep(wait).await;
        wait = (wait * 2).min(Duration::from_secs(5));
    }
    Ok(batch.len())
}

/// Records the leaves the events log holds beyond the last one the database knows, for events
/// that have none recorded and whose commitment still matches: what a crash between an append
/// and its record leaves behind. Returns how many it recorded.
///
/// # Errors
/// The log could not be read up to its acknowledged size, or the database failed.
pub async fn reconcile(state: &AppState) -> Result<usize, String> {
    use mizan_ledger_fs::ledger::tile::{TILE_WIDTH, decode_bundle, tile_for};
    let Some(log) = state.ledger.events() else { return Ok(0) };
    let from = match state.store.last_event_leaf_index().await.map_err(|e| e.to_string())? {
        Some(last) => last + 1,
        None => 0,
    };
    let size = log.staged_size();
    if from >= size {
        return Ok(0);
    }
    // Leaves acknowledged before the restart are integrated by the sequencer shortly after it
    // opens the log; only then are their entry bundles published.
    let size = log
        .wait_published(size, Duration::from_secs(60))
        .await
        .map_err(|e| format!("waiting for the events log to publish {size} leaves: {e}"))?;
    // (event, leaf index, committed hash) of each entry after `from`; the first leaf of an event
    // counts.
    let mut found: Vec<(i64, u64, String)> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for bundle in from / TILE_WIDTH..size.div_ceil(TILE_WIDTH) {
        let tile = tile_for(0, bundle * TILE_WIDTH, size);
        let path = tile.entries_path();
        let bytes =
            log.read_public(&path).ok_or_else(|| format!("events log entry bundle {path} is missing"))?;
        let entries = decode_bundle(&bytes).map_err(|e| format!("events log {path}: {e}"))?;
        for (k, e) in entries.iter().enumerate() {
            let index = bundle * TILE_WIDTH + k as u64;
            if index < from || index >= size {
                continue;
            }
            let parsed = std::str::from_utf8(e).ok().and_then(parse_entry);
            if let Some((id, sha)) = parsed
                && seen.insert(id)
            {
                found.push((id, index, sha.to_owned()));
            }
        }
    }
    let ids: Vec<i64> = found.iter().map(|(id, ..)| *id).collect();
    let events = state.store.unlogged_events_among(&ids).await.map_err(|e| e.to_string())?;
    let leaves: Vec<(i64, u64, String)> = found
        .into_iter()
        .filter(|(id, _, sha)| {
            events
                .iter()
                .any(|e| e.id == *id && hex::encode(Sha256::digest(canonical_event(e).as_bytes())) == *sha)
        })
        .collect();
    if !leaves.is_empty() {
        state.store.record_event_leaves(&leaves).await.map_err(|e| e.to_string())?;
    }
    Ok(leaves.len())
}

/// The event id and hash of an entry written by [`entry`].
fn parse_entry(text: &str) -> Option<(i64, &str)> {
    let rest = text.strip_prefix("mizan-event/v1 ")?;
    let (id, sha) = rest.split_once(' ')?;
    Some((id.parse().ok()?, sha))
}
