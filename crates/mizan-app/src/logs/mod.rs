//! The running logs: one decisions log and one events log per year, in the C2SP tlog-tiles
//! layout, each signed with the Ed25519 key kept in `<data-dir>/ledger/log.key` under its own
//! origin (`decisions.<host>/<year>`, `events.<host>/<year>`) and written through the
//! group-commit [`Sequencer`].
//!
//! - this file: [`LogKind`], [`Logs`] (both kinds) and [`Log`] (one kind's running log);
//! - `open.rs`: where a log lives and how this year's is opened (origin, key, storage);
//! - `archive.rs`: earlier years' logs, served read-only, whose receipts still prove;
//! - `witness.rs`: asking witnesses to cosign the decisions log's checkpoints.
//!
//! **Fencing.** The server holds each log's only writer: the file store takes an exclusive
//! lock, so two processes can never sequence the same log; a bucket has no lock, so a writer
//! claims `.state/writer` when it opens and checks the claim after staging each batch, and an
//! older writer that a newer one replaced acknowledges nothing more (run one `mizan serve` per
//! prefix). **Recovery.** What was acknowledged is in the log's journal before the answer goes
//! out; opening a log integrates whatever its journal holds past the published checkpoint, so a
//! crash loses no acknowledged leaf (an earlier year's tail too, see `archive.rs`).
//!
//! Readers (checkpoints, tiles, proofs) go to the logs' storage through the sequencer's
//! [`LogReader`], never to the database. With [`LedgerStorage::Object`] (`mizan serve
//! --ledger-store s3://bucket/prefix`) tiles, bundles, checkpoints, journal and origin live in
//! object storage (`<prefix>/<year>/`, `<prefix>/events/<year>/`); the key and the cosigned
//! checkpoint stay under `<data-dir>/ledger`. Reads then block the calling thread for a request
//! to the store (on the store's own runtime, so they cannot deadlock the server's); callers make
//! them on the blocking pool ([`Log::reads_block`], [`crate::Platform::read_logs`]).

mod archive;
mod open;
mod witness;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use mizan_ledger::LedgerError;
use mizan_ledger::ack::Acknowledgement;
use mizan_ledger::log::LogReader;
use mizan_ledger::note::{NoteSigner, NoteVerifier};
use mizan_ledger::sequencer::{Ack, Sequencer};
use mizan_ledger::store::LogStore;
use mizan_ledger_object::ObjectStorage;

use archive::Archived;
use witness::Witnessing;

/// The two kinds of log the platform runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LogKind {
    /// Automated decisions (leaves are `mizan_ledger::leaf` commitments).
    Decisions,
    /// Platform events: register changes, reviews, overrides (`mizan-event/v1` entries).
    Events,
}

impl LogKind {
    /// Both kinds, decisions first.
    pub const ALL: [LogKind; 2] = [LogKind::Decisions, LogKind::Events];

    /// The kind's name, first label of its origins: `decisions`, `events`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            LogKind::Decisions => "decisions",
            LogKind::Events => "events",
        }
    }

    /// The shard name of `year`'s log in URLs (`/log/<shard>/...`): the year for decisions
    /// (`2026`), `events-<year>` for events.
    #[must_use]
    pub fn shard(self, year: &str) -> String {
        match self {
            LogKind::Decisions => year.to_owned(),
            LogKind::Events => format!("events-{year}"),
        }
    }

    /// Where the kind's years are kept under the ledger root (or bucket prefix): decisions at
    /// the top, events in `events/`.
    #[must_use]
    pub fn folder(self) -> &'static str {
        match self {
            LogKind::Decisions => "",
            LogKind::Events => "events",
        }
    }

    /// The key prefix (directory) of `year`'s log: `2026` or `events/2026`.
    #[must_use]
    pub fn prefix(self, year: &str) -> String {
        match self {
            LogKind::Decisions => year.to_owned(),
            LogKind::Events => format!("events/{year}"),
        }
    }
}

/// Where the logs are kept.
#[derive(Clone, Debug, Default)]
pub enum LedgerStorage {
    /// Files under `<data-dir>/ledger` (`mizan-ledger-fs`: fsync'd, with a writer lock).
    #[default]
    Files,
    /// Object storage (`mizan-ledger-object`): each log under its own key prefix.
    Object(Arc<ObjectStorage>),
}

/// Why a log could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum LogSetupError {
    /// A file of the ledger could not be read or written.
    #[error("ledger file `{path}`: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The key file does not hold a 32-byte hex seed.
    #[error(
        "ledger key `{0}` is not 64 hex digits; restore it from backup (a new key cannot sign the old log)"
    )]
    BadKey(PathBuf),
    /// A log (decisions or events, this period's or an earlier one's) refused to open: state
    /// behind a published checkpoint, bad tiles, another writer holding it, ...
    #[error("ledger log `{path}`: {source}")]
    Log {
        /// The log directory.
        path: PathBuf,
        /// The engine's reason.
        source: LedgerError,
    },
}

/// This year's decisions and events logs, with the earlier years' of each.
pub struct Logs {
    decisions: Log,
    events: Log,
}

impl std::fmt::Debug for Logs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Logs")
            .field("decisions", &self.decisions)
            .field("events", &self.events)
            .finish_non_exhaustive()
    }
}

impl Logs {
    /// The decisions log.
    #[must_use]
    pub fn decisions(&self) -> &Log {
        &self.decisions
    }

    /// The events log (register changes, reviews, overrides), verifiable the way decisions are.
    #[must_use]
    pub fn events(&self) -> &Log {
        &self.events
    }

    /// The log of `kind`.
    #[must_use]
    pub fn of(&self, kind: LogKind) -> &Log {
        match kind {
            LogKind::Decisions => &self.decisions,
            LogKind::Events => &self.events,
        }
    }

    /// Both logs, decisions first.
    pub fn all(&self) -> impl Iterator<Item = &Log> {
        [&self.decisions, &self.events].into_iter()
    }

    /// Stops both logs' writers once everything acknowledged is integrated, and releases their
    /// locks, so that a test can play the next period's server in the same process. (A server
    /// that stops just exits: what it acknowledged is in the journal, integrated on its next
    /// start.) Blocks.
    ///
    /// # Errors
    /// The failure that had stopped a sequencer.
    pub fn shutdown(self) -> Result<(), LedgerError> {
        let Logs { decisions, events, .. } = self;
        events.seq.shutdown()?;
        decisions.seq.shutdown().map(drop)
    }
}

/// One kind's running log of this year, and its earlier years' logs.
pub struct Log {
    kind: LogKind,
    seq: Sequencer,
    signer: NoteSigner,
    origin: String,
    dir: PathBuf,
    shard: String,
    year: i32,
    /// The log's storage, which `/log/...` reads through.
    store: Arc<dyn LogStore>,
    /// Whether reads of the store wait on the network (object storage).
    remote: bool,
    /// Earlier periods' logs of this kind, read-only: what was logged in them still proves.
    archived: Vec<Archived>,
    /// The witnesses asked to cosign this log's checkpoints, once started.
    witnessing: std::sync::OnceLock<Witnessing>,
}

/// Shortest time between two checkpoints of a log. A quarter second keeps full receipts prompt
/// while a busy log writes its right-edge partial tiles four times a second, not once per
/// group of decisions (which cost a sixth of the server's time at 30,000 decisions/s).
const INTEGRATE_INTERVAL: Duration = Duration::from_millis(250);

impl std::fmt::Debug for Log {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Log").field("origin", &self.origin).field("dir", &self.dir).finish_non_exhaustive()
    }
}

impl Log {
    /// Whether reading the logs' files (tiles for a proof, `/log/...`) waits on the network, as
    /// with object storage: a handler then reads on the blocking pool, so that a slow store
    /// holds up that request alone, not the async worker and every request queued on it.
    #[must_use]
    pub fn reads_block(&self) -> bool {
        self.remote
    }

    /// Which log this is.
    #[must_use]
    pub fn kind(&self) -> LogKind {
        self.kind
    }

    /// The log's origin (also its key name).
    #[must_use]
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The shard name in URLs: the year for decisions (`2026`), `events-<year>` for events.
    #[must_use]
    pub fn shard(&self) -> &str {
        &self.shard
    }

    /// The log key's verifier, for checks made here.
    #[must_use]
    pub fn verifier(&self) -> NoteVerifier {
        self.signer.verifier()
    }

    /// The verifier key clients need, `origin+keyid+base64`.
    #[must_use]
    pub fn vkey(&self) -> String {
        self.signer.verifier().to_vkey()
    }

    /// Appends leaves and waits until they are durable (one fsync per batch, shared with
    /// concurrent callers). Returns one acknowledgement per leaf, in order.
    ///
    /// # Errors
    /// The sequencer's storage error; nothing was acknowledged.
    pub async fn append(&self, leaves: Vec<Vec<u8>>) -> Result<Vec<Ack>, LedgerError> {
        let pending = self.seq.enqueue(leaves)?;
        tokio::task::spawn_blocking(move || pending.wait())
            .await
            .map_err(|e| LedgerError::Storage(format!("sequencer wait failed: {e}")))?
    }

    /// Waits (bounded) until a checkpoint covering `size` leaves is published; returns the
    /// published size, which is below `size` when the time ran out.
    ///
    /// # Errors
    /// The sequencer's failure.
    pub async fn wait_published(&self, size: u64, timeout: Duration) -> Result<u64, LedgerError> {
        let seq = self.seq.clone();
        tokio::task::spawn_blocking(move || seq.wait_published(size, timeout))
            .await
            .map_err(|e| LedgerError::Storage(format!("sequencer wait failed: {e}")))?
    }

    /// Leaves acknowledged so far, published or not (the next index to be assigned).
    #[must_use]
    pub fn staged_size(&self) -> u64 {
        self.seq.staged_size()
    }

    /// A reader of the latest published checkpoint.
    #[must_use]
    pub fn reader(&self) -> LogReader {
        self.seq.reader()
    }

    /// Signs a group's acknowledgement (see [`mizan_ledger::ack`]): the log's promise,
    /// before any checkpoint covers them, that these leaves are in the log at these indices.
    ///
    /// # Errors
    /// [`LedgerError::Malformed`] for an acknowledgement of another log.
    pub fn sign_acknowledgement(&self, ack: &Acknowledgement) -> Result<String, LedgerError> {
        ack.sign(&self.signer)
    }

    /// Reads a published file of the log (checkpoint, hash tile or entry bundle) through its
    /// store. `rel` is checked to be a tlog-tiles path, so nothing else is served.
    ///
    /// # Errors
    /// `None` when the path is not a log file or does not exist.
    pub fn read_public(&self, rel: &str) -> Option<Vec<u8>> {
        if rel == "checkpoint" {
            // With witnesses, the checkpoint published is the newest one that met the witness
            // policy, with its cosignatures, so that clients and monitors see it cosigned; until
            // the first quorum, the log's own.
            if let Some((_, note)) = self.cosigned() {
                return Some(note.as_bytes().to_vec());
            }
        }
        read_log_file(self.store.as_ref(), rel)
    }
}

/// Reads a checkpoint, hash tile or entry bundle of a log for serving. A partial tile deleted
/// since its full tile was published is answered from the full tile, so clients that do not
/// fall back themselves still get it.
fn read_log_file(store: &dyn LogStore, rel: &str) -> Option<Vec<u8>> {
    // The engine's strict parser: only the spec's canonical spelling of a path gets through.
    use mizan_ledger::tile::TilePath;
    let (id, entries) = match TilePath::parse(rel).ok()? {
        TilePath::Checkpoint => return store.read(rel).ok().flatten(),
        TilePath::Hash(id) => (id, false),
        TilePath::Entries(id) => (id, true),
    };
    mizan_ledger::log::read_tile(store, id, entries).ok()
}
