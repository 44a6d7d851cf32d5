//! The platform's own events (register changes, reviews, overrides) committed to a second
//! transparency log, so the events trail is verifiable the way decisions are.
//!
//! A follower task appends every event that has no leaf yet. The entry is
//! `mizan-event/v1 <event id> <SHA-256 of the event's canonical JSON>`: it commits to the event
//! without revealing it, so events of systems that are not public stay private while anyone
//! holding a public event can check it was logged, and that it was not changed since. The
//! event's JSON and the entry are the format `mizan-event/v1` of `mizan_formats::event`.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use mizan_formats::{EventEntry, EventRecord};
use mizan_store::Event;

use crate::{Error, Platform};

/// An event as the events log commits to it (`mizan-event/v1`).
#[must_use]
pub fn record(e: &Event) -> EventRecord {
    EventRecord {
        id: e.id,
        system: e.public_id.clone(),
        version: e.version,
        kind: e.kind.clone(),
        from: e.from_status.clone(),
        to: e.to_status.clone(),
        actor: e.actor_name.clone(),
        reason: e.reason.clone(),
        at: e.at.clone(),
    }
}

/// The log entry of the event `event_id` whose canonical JSON has this SHA-256 (hex).
#[must_use]
pub fn entry(event_id: i64, sha256_hex: &str) -> Vec<u8> {
    EventEntry { id: event_id, sha256: sha256_hex.to_owned() }.to_bytes()
}

/// Most events in one append. The follower records a batch's leaves (retrying until it can)
/// before it appends another, so a crash leaves at most this many leaves unrecorded, at the end
/// of the log it was writing: the window [`reconcile`] reads. A restart in a new year opens a new
/// log, so that window may be at the end of the newest earlier log instead.
const BATCH: usize = 1000;

/// Appends unlogged events until the server stops; errors are logged and retried. First it
/// [`reconcile`]s, so that leaves appended before a crash are recorded rather than appended
/// again, and [`attribute_legacy_leaves`].
pub async fn follow(state: Platform) {
    let log = state.logs().events();
    // The trail must not stop for these: after the last attempt the follower goes on (events
    // whose leaves could not be matched are then appended a second time; leaves that could not
    // be placed have no proof until a later start places them).
    if let Some(n) = retry("recording leaves appended before a restart", || reconcile(&state)).await
        && n > 0
    {
        tracing::info!(events = n, "events log: recorded leaves appended before a restart");
    }
    if let Some(n) =
        retry("placing leaves recorded before logs were told apart", || attribute_legacy_leaves(&state)).await
        && n > 0
    {
        tracing::info!(events = n, "events log: placed leaves recorded before logs were told apart");
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

/// Runs `step` up to five times, two seconds apart, logging each failure under `what`.
async fn retry<F, Fut>(what: &str, mut step: F) -> Option<usize>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<usize, String>>,
{
    for attempt in 1..=5 {
        match step().await {
            Ok(n) => return Some(n),
            Err(e) if attempt == 5 => {
                tracing::error!(error = %e, step = what, "events log: giving up; going on without");
            }
            Err(e) => {
                tracing::warn!(error = %e, step = what, "events log: failed; retrying");
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
        }
    }
    None
}

/// Appends up to `BATCH` (1,000) events that have no leaf and records their leaves. Returns how many.
///
/// Once the append has succeeded, recording is retried until it succeeds too: giving up would
/// leave the events unlogged in the database's eyes, and the next pass would give them second
/// leaves.
///
/// # Errors
/// Reading the events or appending them failed; nothing was recorded.
pub async fn append_unlogged(state: &Platform, log: &crate::logs::Log) -> Result<usize, String> {
    let limit = i64::try_from(BATCH).unwrap_or(i64::MAX);
    let batch = state.store().unlogged_events(limit).await.map_err(|e| format!("reading events: {e}"))?;
    if batch.is_empty() {
        return Ok(0);
    }
    let hashes: Vec<String> = batch.iter().map(event_sha256).collect();
    let entries = batch.iter().zip(&hashes).map(|(e, h)| entry(e.id, h)).collect();
    let acks = log.append(entries).await.map_err(|e| format!("appending: {e}"))?;
    let leaves: Vec<(i64, u64, String)> = batch
        .iter()
        .zip(hashes)
        .zip(&acks)
        .map(|((e, h), a)| {
            let mizan_ledger::log::LeafIndex(i) = a.index;
            (e.id, i, h)
        })
        .collect();
    let mut wait = Duration::from_millis(100);
    while let Err(e) = state.store().record_event_leaves(log.origin(), &leaves).await {
        tracing::warn!(error = %e, "events log: cannot record appended leaves yet; retrying");
        tokio::time::sleep(wait).await;
        wait = (wait * 2).min(Duration::from_secs(5));
    }
    Ok(batch.len())
}

/// SHA-256 (hex) of an event's canonical JSON: what its entry commits to.
#[must_use]
pub fn event_sha256(e: &Event) -> String {
    record(e).sha256_hex()
}

/// Finds the log of each leaf recorded before the database kept which events log a leaf is in:
/// the served events log (this period's or an earlier one's) whose published entry at the
/// leaf's index is the event's entry. A leaf found in none stays unattributed (its event has
/// no proof to show: see [`locate`]). Returns how many it attributed.
///
/// # Errors
/// A log's bundle could not be read, or the database failed.
pub async fn attribute_legacy_leaves(state: &Platform) -> Result<usize, String> {
    let log = state.logs().events();
    let rows = state.store().unattributed_event_leaves().await.map_err(|e| e.to_string())?;
    if rows.is_empty() {
        return Ok(0);
    }
    let origins = served_origins(log);
    let mut reader = BundleReader::default();
    let mut found: HashMap<&str, Vec<i64>> = HashMap::new();
    for (id, index, sha) in &rows {
        let want = entry(*id, sha);
        for origin in &origins {
            if reader.entry(log, origin, *index)? == Some(want.as_slice()) {
                found.entry(origin).or_default().push(*id);
                break;
            }
        }
    }
    let mut n = 0;
    for (origin, ids) in found {
        n += state.store().attribute_event_leaves(origin, &ids).await.map_err(|e| e.to_string())?;
    }
    Ok(usize::try_from(n).unwrap_or(usize::MAX))
}

/// The events logs served here: this period's first, then earlier ones, newest first.
fn served_origins(log: &crate::logs::Log) -> Vec<String> {
    let mut origins = vec![log.origin().to_owned()];
    origins.extend(log.archived_logs().into_iter().rev().map(|(origin, ..)| origin));
    origins
}

/// Reads published entries, keeping the last bundle read of each log: leaves are looked up in
/// event order, which is index order within each year's log, so each bundle is read about once.
#[derive(Default)]
struct BundleReader {
    last: HashMap<String, (u64, Vec<Vec<u8>>)>,
}

impl BundleReader {
    fn entry(&mut self, log: &crate::logs::Log, origin: &str, index: u64) -> Result<Option<&[u8]>, String> {
        use mizan_ledger::tile::TILE_WIDTH;
        let bundle = index / TILE_WIDTH;
        if self.last.get(origin).is_none_or(|(b, _)| *b != bundle) {
            let entries = log.published_bundle(origin, bundle)?.unwrap_or_default();
            self.last.insert(origin.to_owned(), (bundle, entries));
        }
        let k = usize::try_from(index % TILE_WIDTH).unwrap_or(usize::MAX);
        Ok(self.last.get(origin).and_then(|(_, entries)| entries.get(k)).map(Vec::as_slice))
    }
}

/// Where an event's recorded leaf is, as far as the published logs show.
#[derive(Debug, PartialEq, Eq)]
pub enum Located {
    /// The published entry at the leaf's index of this log is the event's: it can be proven.
    Proven(String),
    /// The log has not published the leaf's index yet: this period's, or an earlier one whose
    /// acknowledged tail is still to be published.
    Pending(String),
    /// The log the leaf is recorded in is not served here.
    NotServed(String),
    /// No served log has the event's entry at the leaf's index (the record and the logs
    /// disagree, or the leaf is in a log not served here).
    Missing,
}

/// Locates the leaf recorded for an event: in the log its record names, or, for a leaf recorded
/// before logs were told apart, in whichever served log has the event's entry at its index.
/// Nothing is called proven unless the entry there is the event's, so a proof handed out always
/// verifies.
///
/// # Errors
/// A log's bundle could not be read.
pub fn locate(
    log: &crate::logs::Log,
    event_id: i64,
    leaf: &mizan_store::EventLeaf,
) -> Result<Located, String> {
    let want = entry(event_id, &leaf.event_sha256);
    // The published size is taken before the entries are read: an index below it was covered
    // by the read, so a mismatch there is real, not a checkpoint published in between.
    let (origins, published) = match &leaf.log_origin {
        Some(origin) => {
            let Some((reader, _)) = log.log_for(origin) else {
                return Ok(Located::NotServed(origin.clone()));
            };
            (vec![origin.clone()], reader.size())
        }
        None => (served_origins(log), 0),
    };
    let mut reader = BundleReader::default();
    for origin in &origins {
        if reader.entry(log, origin, leaf.leaf_index)? == Some(want.as_slice()) {
            return Ok(Located::Proven(origin.clone()));
        }
    }
    // An unattributed leaf was recorded before this server started, when opening the logs
    // published all they had; an earlier period's log grows only if this start could not
    // publish its tail: otherwise, not found now, never.
    match &leaf.log_origin {
        Some(origin)
            if leaf.leaf_index >= published
                && (origin == log.origin() || log.has_unpublished_tail(origin)) =>
        {
            Ok(Located::Pending(origin.clone()))
        }
        _ => Ok(Located::Missing),
    }
}

/// Records the leaves among the last `BATCH` of the events log that belong to events with no
/// leaf recorded and commit to them as they are: what a crash between an append and its record
/// leaves behind. The same for the latest earlier events log, where a crash at the end of a
/// year leaves them (see [`crate::logs::Log::previous_log`]). An event's first such leaf counts. Returns how many it recorded.
///
/// # Errors
/// The log could not be read up to its acknowledged size, or the database failed.
pub async fn reconcile(state: &Platform) -> Result<usize, String> {
    let log = state.logs().events();
    let size = log.staged_size();
    // Opening the log integrated its journal, so this does not wait unless the follower's
    // appends are still being integrated.
    let published = log
        .wait_published(size, Duration::from_secs(60))
        .await
        .map_err(|e| format!("waiting for the events log to publish {size} leaves: {e}"))?;
    if published < size {
        return Err(format!("the events log published {published} of its {size} leaves within 60 s"));
    }
    let mut n = 0;
    // The earlier log first: its leaves were appended first.
    if let Some(origin) = log.previous_log() {
        let size = log.log_for(origin).map_or(0, |(reader, _)| reader.size());
        n += reconcile_window(state, log, origin, size).await?;
    }
    n += reconcile_window(state, log, log.origin(), size).await?;
    Ok(n)
}

/// [`reconcile`] for the last [`BATCH`] leaves of the log `origin`, which has `size`.
async fn reconcile_window(
    state: &Platform,
    log: &crate::logs::Log,
    origin: &str,
    size: u64,
) -> Result<usize, String> {
    // (event, leaf index, committed hash) of each entry in the window, in leaf order.
    let mut entries: Vec<(i64, u64, String)> = Vec::new();
    let mut reader = BundleReader::default();
    for index in size.saturating_sub(BATCH as u64)..size {
        let e = reader
            .entry(log, origin, index)?
            .ok_or_else(|| format!("log `{origin}`: leaf `{index}` is not published"))?;
        if let Some(entry) = EventEntry::parse(e) {
            entries.push((entry.id, index, entry.sha256));
        }
    }
    let ids: Vec<i64> = entries.iter().map(|(id, ..)| *id).collect();
    let unlogged: HashMap<i64, String> = state
        .store
        .unlogged_events_among(&ids)
        .await
        .map_err(|e| e.to_string())?
        .iter()
        .map(|e| (e.id, event_sha256(e)))
        .collect();
    let mut taken = HashSet::new();
    let leaves: Vec<(i64, u64, String)> = entries
        .into_iter()
        .filter(|(id, _, sha)| unlogged.get(id) == Some(sha) && taken.insert(*id))
        .collect();
    if !leaves.is_empty() {
        state.store().record_event_leaves(origin, &leaves).await.map_err(|e| e.to_string())?;
    }
    Ok(leaves.len())
}

/// What proves that a platform event is in the events log.
#[derive(Debug, Clone)]
pub struct EventProof {
    /// The event's id.
    pub event: i64,
    /// `proven` (its leaf is in a published checkpoint) or `pending`.
    pub status: &'static str,
    /// The origin of the events log the event is in (this year's when it has no leaf yet).
    pub log: String,
    /// That log's verifier key.
    pub vkey: String,
    /// The event's leaf index, once appended.
    pub leaf_index: Option<u64>,
    /// The log entry, hex: `mizan-event/v1 <id> <sha256 of the canonical event>`.
    pub entry: Option<String>,
    /// The C2SP tlog-proof, once proven.
    pub proof: Option<String>,
    /// The event's canonical JSON, when its system is on the public register.
    pub event_json: Option<String>,
}

impl Platform {
    /// The proof that event `id` is in the events log, and the event itself when its system
    /// is public.
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown event, or one whose log is not served here.
    pub async fn event_proof(&self, id: i64) -> Result<EventProof, Error> {
        let log = self.logs().events();
        let leaf = self.store().event_leaf(id).await?;
        let mut out = EventProof {
            event: id,
            status: "pending",
            log: log.origin().to_owned(),
            vkey: log.vkey(),
            leaf_index: None,
            entry: None,
            proof: None,
            event_json: None,
        };
        if let Some(l) = leaf {
            out.leaf_index = Some(l.leaf_index);
            out.entry = Some(hex::encode(entry(id, &l.event_sha256)));
            if l.public {
                out.event_json = Some(record(&l.event).canonical());
            }
            let (log, vkey, proof) = self.read_logs(move |app| prove_event(app, id, &l)).await??;
            out.log = log;
            out.vkey = vkey;
            if let Some(proof) = proof {
                out.proof = Some(proof);
                out.status = "proven";
            }
        }
        Ok(out)
    }
}

/// The events log an event's leaf is in, its vkey, and the leaf's tlog-proof once published.
fn prove_event(
    app: &Platform,
    id: i64,
    l: &mizan_store::EventLeaf,
) -> Result<(String, String, Option<String>), Error> {
    use Located;
    let log = app.logs().events();
    let located = locate(log, id, l).map_err(|e| Error::Internal(format!("events log: {e}")))?;
    let (origin, proven) = match located {
        Located::Proven(origin) => (origin, true),
        Located::Pending(origin) => (origin, false),
        Located::NotServed(origin) => {
            return Err(Error::NotFound(format!(
                "the events log `{origin}` this event is in is not served here (only this \
                 period's log and the earlier years' logs found beside it are)"
            )));
        }
        Located::Missing => {
            tracing::warn!(
                event = id,
                leaf = l.leaf_index,
                "events log: the recorded leaf is not the event's entry in any log served here"
            );
            return Err(Error::NotFound(format!(
                "event `{id}` is recorded at leaf `{}` of the events log, but no events log \
                 served here has its entry there, so there is no proof to give",
                l.leaf_index
            )));
        }
    };
    let Some((reader, verifier)) = log.log_for(&origin) else {
        return Err(Error::NotFound(format!("the events log `{origin}` is not served here")));
    };
    let vkey = verifier.to_vkey();
    if !proven {
        return Ok((origin, vkey, None));
    }
    let p = reader
        .receipt(mizan_ledger::log::LeafIndex(l.leaf_index))
        .map_err(|e| Error::Internal(format!("events log proof: {e}")))?;
    // The entry was read from the bundle, the proof from the hash tiles: a proof handed out
    // must verify, so the two are checked against each other.
    p.verify(&entry(id, &l.event_sha256), &verifier)
        .map_err(|e| Error::Internal(format!("events log proof for event `{id}` does not verify: {e}")))?;
    Ok((origin, vkey, Some(p.encode())))
}
