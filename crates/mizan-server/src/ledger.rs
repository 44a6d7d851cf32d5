//! The decision ledger as the server runs it: one transparency log per year under
//! `<data-dir>/ledger/<year>/`, in the C2SP tlog-tiles layout, signed with an Ed25519 key kept in
//! `<data-dir>/ledger/log.key`, written through the group-commit [`Sequencer`].
//!
//! The server holds the log's only writer (the filesystem store takes an exclusive lock), so two
//! processes can never sequence the same log. Readers (checkpoints, tiles, proofs) go to files
//! through the sequencer's [`LogReader`], never to the database.
//!
//! With [`LedgerStorage::Object`] (`mizan serve --ledger-store s3://bucket/prefix`) the logs'
//! tiles, bundles, checkpoints, journal and origin live in object storage instead
//! (`<prefix>/<year>/`, `<prefix>/events/<year>/`) and `/log/...` is served by reading through
//! the store; the key and the cosigned checkpoint stay under `<data-dir>/ledger`. A bucket has
//! no lock: run one `mizan serve` per prefix. Reads block the calling thread for a request to
//! the store (on the store's own runtime, so they cannot deadlock the server's); handlers make
//! them on the blocking pool ([`Ledger::reads_block`], `routes::decisions::read_ledger`).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use mizan_ledger_fs::FsStore;
use mizan_ledger_fs::ledger::LedgerError;
use mizan_ledger_fs::ledger::ack::Acknowledgement;
use mizan_ledger_fs::ledger::log::{Log, LogReader};
use mizan_ledger_fs::ledger::note::{NoteSigner, NoteVerifier};
use mizan_ledger_fs::ledger::policy::Policy;
use mizan_ledger_fs::ledger::sequencer::{Ack, Sequencer, SequencerConfig};
use mizan_ledger_fs::ledger::store::LogStore;
use mizan_ledger_object::ObjectStorage;
use mizan_witness::WitnessClient;

/// Where the ledger keeps its logs.
#[derive(Clone, Debug, Default)]
pub enum LedgerStorage {
    /// Files under `<data-dir>/ledger` (`mizan-ledger-fs`: fsync'd, with a writer lock).
    #[default]
    Files,
    /// Object storage (`mizan-ledger-object`): each log under its own key prefix.
    Object(Arc<ObjectStorage>),
}

/// Why the ledger could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum LedgerSetupError {
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

/// The running ledger.
pub struct Ledger {
    seq: Sequencer,
    signer: NoteSigner,
    origin: String,
    dir: PathBuf,
    shard: String,
    year: i32,
    witnessing: std::sync::OnceLock<Witnessing>,
    events: Option<Box<Ledger>>,
    /// The log's storage, which `/log/...` reads through.
    store: Arc<dyn LogStore>,
    /// Whether reads of the store wait on the network (object storage).
    remote: bool,
    /// Earlier periods' logs of this kind (decisions or events), read-only: what was logged in
    /// them still proves.
    archived: Vec<Archived>,
}

/// An earlier period's log, which nobody writes any more.
struct Archived {
    origin: String,
    shard: String,
    year: i32,
    /// Acknowledged leaves past the published checkpoint that could not be published.
    unpublished_tail: bool,
    verifier: NoteVerifier,
    reader: LogReader,
    store: Arc<dyn LogStore>,
}

/// Witnesses the log asks for cosignatures, the policy their cosignatures must meet, and the
/// newest checkpoint that met it.
struct Witnessing {
    policy: Policy,
    text: String,
    cosigned: std::sync::RwLock<Option<(u64, Arc<str>)>>,
}

/// The file under the log directory holding the newest checkpoint with a witness quorum.
/// Shortest time between two checkpoints of a log. A quarter second keeps full receipts prompt
/// while a busy log writes its right-edge partial tiles four times a second, not once per
/// group of decisions (which cost a sixth of the server's time at 30,000 decisions/s).
const INTEGRATE_INTERVAL: Duration = Duration::from_millis(250);

const COSIGNED: &str = "checkpoint.cosigned";

impl std::fmt::Debug for Ledger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ledger").field("origin", &self.origin).field("dir", &self.dir).finish_non_exhaustive()
    }
}

impl Ledger {
    /// Opens (creating on first use) this year's log under `root` (the key's directory, and the
    /// logs' too with [`LedgerStorage::Files`]). The origin is `decisions.<host>/<year>`, fixed
    /// beside the log on first use so that a later change of host name cannot orphan the log.
    ///
    /// # Errors
    /// [`LedgerSetupError`] naming the file or the log's reason.
    pub fn open(
        root: &Path,
        storage: &LedgerStorage,
        host: &str,
        year: i32,
        config: SequencerConfig,
    ) -> Result<Ledger, LedgerSetupError> {
        let mut decisions = Self::open_kind(root, storage, "decisions", host, year, config)?;
        let mut events = Self::open_kind(root, storage, "events", host, year, config)?;
        decisions.archived = Self::open_archived(root, storage, "decisions", year)?;
        events.archived = Self::open_archived(root, storage, "events", year)?;
        decisions.events = Some(Box::new(events));
        Ok(decisions)
    }

    /// The logs of `kind` of other periods (see [`shard_and_prefix`]), opened read-only with the
    /// key in `root` under their own origins.
    fn open_archived(
        root: &Path,
        storage: &LedgerStorage,
        kind: &str,
        current: i32,
    ) -> Result<Vec<Archived>, LedgerSetupError> {
        let key = signing_key(&root.join("log.key"))?;
        // Where the kind's years are kept: decisions at the top, others in `<kind>/`.
        let kind_dir = if kind == "decisions" { "" } else { kind };
        let names: Vec<String> = match storage {
            LedgerStorage::Files => {
                let dir = root.join(kind_dir);
                let io = |source| LedgerSetupError::Io { path: dir.clone(), source };
                let mut names = Vec::new();
                for entry in std::fs::read_dir(&dir).map_err(io)? {
                    names.push(entry.map_err(io)?.file_name().to_string_lossy().into_owned());
                }
                names
            }
            LedgerStorage::Object(objects) => objects.list_folders(kind_dir).map_err(|source| {
                LedgerSetupError::Log { path: PathBuf::from(format!("{}/{kind_dir}", objects.url())), source }
            })?,
        };
        let mut out = Vec::new();
        for name in names {
            let Ok(year) = name.parse::<i32>() else { continue };
            if year == current {
                continue;
            }
            let (shard, prefix) = shard_and_prefix(kind, &name);
            let archived = match storage {
                LedgerStorage::Files => {
                    let dir = root.join(&prefix);
                    let open_writer = || FsStore::open(&dir).map(|s| Arc::new(s) as Arc<dyn LogStore>);
                    Self::open_one_archived(
                        Arc::new(FsStore::read_only(&dir)),
                        open_writer,
                        &dir,
                        &key,
                        year,
                        shard,
                    )?
                }
                LedgerStorage::Object(objects) => {
                    let at = PathBuf::from(format!("{}/{prefix}", objects.url()));
                    let log_err = |source| LedgerSetupError::Log { path: at.clone(), source };
                    let store = Arc::new(objects.read_only(&prefix).map_err(log_err)?);
                    let open_writer = || objects.open_log(&prefix).map(|s| Arc::new(s) as Arc<dyn LogStore>);
                    Self::open_one_archived(store, open_writer, &at, &key, year, shard)?
                }
            };
            out.extend(archived);
        }
        out.sort_by_key(|a| a.year);
        Ok(out)
    }

    /// One earlier period's log, read through `store`, or `None` if it never published a
    /// checkpoint. `at` names it in errors, which are only those that make its published state
    /// unreadable or unverifiable (so that its receipts are not silently "not served here").
    ///
    /// A tail acknowledged just before the server of that period stopped (batches journaled
    /// but not integrated, or a checkpoint signed but not published) is published first
    /// through `open_writer`, as the log's writer would have on its next start, so its
    /// receipts prove like any other. That takes the log's writer lock (files) once; if it is
    /// held (an old server still stopping, a read-only copy) the log is served as published
    /// and the error logged. A bucket has no lock: the claim is taken over, and a server of the
    /// old period still running is fenced (it refuses further decisions; nothing it
    /// acknowledged is lost), so stop it before starting the new year's.
    fn open_one_archived(
        store: Arc<dyn LogStore>,
        open_writer: impl FnOnce() -> Result<Arc<dyn LogStore>, LedgerError>,
        at: &Path,
        key: &ed25519_dalek::SigningKey,
        year: i32,
        shard: String,
    ) -> Result<Option<Archived>, LedgerSetupError> {
        let log_err = |source| LedgerSetupError::Log { path: at.to_owned(), source };
        let origin = match store.read("origin").map_err(log_err)? {
            Some(origin) => String::from_utf8_lossy(&origin).trim().to_owned(),
            // A folder made for a log that never wrote anything.
            None if store.read("checkpoint").map_err(log_err)?.is_none() => return Ok(None),
            None => {
                return Err(log_err(LedgerError::Missing(
                    "`origin` beside a published checkpoint; restore it from backup".into(),
                )));
            }
        };
        let signer = NoteSigner::new(&origin, key.clone()).map_err(log_err)?;
        let verifier = signer.verifier();
        let published = match LogReader::published(Arc::clone(&store), &verifier) {
            Ok(reader) => reader.size(),
            Err(LedgerError::Missing(_)) => 0,
            Err(e) => return Err(log_err(e)),
        };
        let unpublished_tail = match Self::reach(store.as_ref(), &verifier) {
            Ok(reach) if reach > published => {
                let integrated = open_writer().and_then(|writer| {
                    let log = Log::open(Arc::clone(&writer), signer, &origin)?;
                    Ok((writer, log.size()))
                });
                match integrated {
                    Ok((writer, size)) => {
                        tracing::info!(log = %origin, published, size, "published the tail acknowledged before the log's last stop");
                        // Everything journaled is now under the latest signed checkpoint; a
                        // journal left behind only costs this again at the next start.
                        if let Err(e) = writer.clear_staged() {
                            tracing::warn!(log = %origin, error = %e, "cannot empty the journal of an earlier log");
                        }
                        false
                    }
                    Err(e) => {
                        tracing::error!(log = %origin, error = %e, "cannot publish the tail acknowledged before the log's last stop; serving the log as published");
                        true
                    }
                }
            }
            Ok(_) => false,
            // What is published is still sound: serve it, and say what could not be read.
            Err(e) => {
                tracing::error!(log = %origin, error = %e, "cannot read how far an earlier log reaches past its checkpoint; serving it as published");
                false
            }
        };
        match LogReader::published(Arc::clone(&store), &verifier) {
            Ok(reader) => {
                Ok(Some(Archived { origin, shard, year, verifier, reader, store, unpublished_tail }))
            }
            Err(LedgerError::Missing(_)) => Ok(None),
            Err(e) => Err(log_err(e)),
        }
    }

    /// How far a log reaches past its published checkpoint: the end of the batches in its
    /// journal, or the size of its latest signed checkpoint, which a server that stopped
    /// between signing and publishing left unpublished (object storage empties the journal
    /// once the checkpoint is signed).
    fn reach(store: &dyn LogStore, verifier: &NoteVerifier) -> Result<u64, LedgerError> {
        let mut reach = 0;
        for record in store.staged()? {
            let (start, entries) = mizan_ledger_fs::ledger::log::decode_staged(&record)?;
            reach = reach.max(start + entries.len() as u64);
        }
        if let Some(latest) = store.latest()? {
            let signed = mizan_ledger_fs::ledger::checkpoint::open_checkpoint(&latest, verifier)?;
            reach = reach.max(signed.checkpoint.size);
        }
        Ok(reach)
    }

    /// Whether `origin` is an earlier period's log with an acknowledged tail this start could
    /// not publish (see [`Ledger::open`]): its leaves past the checkpoint are pending, not
    /// missing, until a later start publishes them.
    #[must_use]
    pub fn has_unpublished_tail(&self, origin: &str) -> bool {
        self.archived.iter().any(|a| a.origin == origin && a.unpublished_tail)
    }

    /// The origin of the log of the latest period before this one that is served here: where a
    /// server stopped at a year's end left its last batch.
    #[must_use]
    pub fn previous_log(&self) -> Option<&str> {
        self.archived.iter().filter(|a| a.year < self.year).max_by_key(|a| a.year).map(|a| a.origin.as_str())
    }

    /// The reader and key of the log named `origin`: this one, or an earlier period's.
    /// `None` for an origin this server has no log for.
    #[must_use]
    pub fn log_for(&self, origin: &str) -> Option<(LogReader, NoteVerifier)> {
        if origin == self.origin {
            return Some((self.reader(), self.verifier()));
        }
        self.archived.iter().find(|a| a.origin == origin).map(|a| (a.reader.clone(), a.verifier.clone()))
    }

    /// Earlier periods' logs of this kind: (origin, shard, vkey).
    #[must_use]
    pub fn archived_logs(&self) -> Vec<(String, String, String)> {
        self.archived.iter().map(|a| (a.origin.clone(), a.shard.clone(), a.verifier.to_vkey())).collect()
    }

    /// The entries of bundle `bundle` (leaves `256 * bundle ..`) of the log named `origin`, this
    /// one or an earlier period's, up to its latest published checkpoint: the events follower
    /// reads its own leaves back to find where a crash or an older version left them. `None`
    /// for a log not served here or a bundle past the checkpoint.
    ///
    /// # Errors
    /// A bundle the checkpoint covers is missing or malformed.
    pub fn published_bundle(&self, origin: &str, bundle: u64) -> Result<Option<Vec<Vec<u8>>>, String> {
        use mizan_ledger_fs::ledger::tile::{TILE_WIDTH, decode_bundle, tile_for};
        let (store, size) = if origin == self.origin {
            (self.store.as_ref(), self.reader().size())
        } else if let Some(a) = self.archived.iter().find(|a| a.origin == origin) {
            (a.store.as_ref(), a.reader.size())
        } else {
            return Ok(None);
        };
        let Some(start) = bundle.checked_mul(TILE_WIDTH).filter(|s| *s < size) else { return Ok(None) };
        let path = tile_for(0, start, size).entries_path();
        let bytes = read_log_file(store, &path)
            .ok_or_else(|| format!("log `{origin}`: entry bundle {path} is missing"))?;
        let mut entries = decode_bundle(&bytes).map_err(|e| format!("log `{origin}`: {path}: {e}"))?;
        // A full bundle read in place of a deleted partial one may go past the checkpoint.
        entries.truncate(usize::try_from(size - start).unwrap_or(usize::MAX));
        Ok(Some(entries))
    }

    /// A published file of an earlier period's log, as [`Ledger::read_public`].
    #[must_use]
    pub fn read_archived(&self, shard: &str, rel: &str) -> Option<Vec<u8>> {
        let a = self.archived.iter().find(|a| a.shard == shard)?;
        read_log_file(a.store.as_ref(), rel)
    }

    /// One log of `kind`: decisions in `<root>/<year>`, others in `<root>/<kind>/<year>` (or
    /// those prefixes in object storage), all signed with the key in `<root>/log.key` under
    /// their own origin `<kind>.<host>/<year>`.
    fn open_kind(
        root: &Path,
        storage: &LedgerStorage,
        kind: &str,
        host: &str,
        year: i32,
        config: SequencerConfig,
    ) -> Result<Ledger, LedgerSetupError> {
        let io = |path: &Path| {
            let path = path.to_owned();
            move |source| LedgerSetupError::Io { path, source }
        };
        let (shard, prefix) = shard_and_prefix(kind, &year.to_string());
        let dir = root.join(&prefix);
        std::fs::create_dir_all(&dir).map_err(io(&dir))?;
        let key = signing_key(&root.join("log.key"))?;
        let (store, at): (Arc<dyn LogStore>, PathBuf) = match storage {
            LedgerStorage::Files => {
                let log_err = |source| LedgerSetupError::Log { path: dir.clone(), source };
                (Arc::new(FsStore::open(&dir).map_err(log_err)?), dir.clone())
            }
            LedgerStorage::Object(objects) => {
                let at = PathBuf::from(format!("{}/{prefix}", objects.url()));
                let log_err = |source| LedgerSetupError::Log { path: at.clone(), source };
                (Arc::new(objects.open_log(&prefix).map_err(log_err)?), at)
            }
        };
        let log_err = |source| LedgerSetupError::Log { path: at.clone(), source };
        // The origin is kept beside the log's tiles (the `origin` file of a log directory).
        let origin = match store.read("origin").map_err(log_err)? {
            Some(text) => String::from_utf8_lossy(&text).trim().to_owned(),
            None => {
                let origin = format!("{kind}.{host}/{year}");
                store.write_once("origin", origin.as_bytes()).map_err(log_err)?;
                origin
            }
        };
        let signer = NoteSigner::new(&origin, key).map_err(log_err)?;
        let log = Log::open(store.clone(), signer.clone(), &origin).map_err(log_err)?;
        let seq = Sequencer::start(log, config).map_err(log_err)?;
        Ok(Ledger {
            seq,
            signer,
            origin,
            dir,
            shard,
            year,
            witnessing: std::sync::OnceLock::new(),
            events: None,
            store,
            remote: matches!(storage, LedgerStorage::Object(_)),
            archived: Vec::new(),
        })
    }

    /// Opens this year's log under `<data_dir>/ledger`, naming it after the host of `base_url`.
    ///
    /// # Errors
    /// As [`Ledger::open`].
    pub fn open_in(data_dir: &Path, base_url: &str) -> Result<Ledger, LedgerSetupError> {
        Self::open_in_storage(data_dir, base_url, &LedgerStorage::Files)
    }

    /// [`Ledger::open_in`] with the logs in `storage`; the key stays in `<data_dir>/ledger`.
    ///
    /// # Errors
    /// As [`Ledger::open`].
    pub fn open_in_storage(
        data_dir: &Path,
        base_url: &str,
        storage: &LedgerStorage,
    ) -> Result<Ledger, LedgerSetupError> {
        let host = base_url.split("://").nth(1).unwrap_or(base_url);
        let host = host.split(['/', ':']).next().unwrap_or("localhost");
        let host = if host.is_empty() { "localhost" } else { host };
        let year = time::OffsetDateTime::now_utc().year();
        // No batching timer: each log has one submitter (the decision intake, the events
        // follower) that already groups whatever is waiting, so a timer would only add latency.
        // Checkpoints at most every INTEGRATE_INTERVAL: a receipt's full proof waits that long
        // at worst, its acknowledgement not at all.
        let config = SequencerConfig {
            max_wait: Duration::ZERO,
            integrate_interval: INTEGRATE_INTERVAL,
            ..SequencerConfig::default()
        };
        Ledger::open(&data_dir.join("ledger"), storage, host, year, config)
    }

    /// Whether reading the logs' files (tiles for a proof, `/log/...`) waits on the network, as
    /// with object storage: a handler then reads on the blocking pool, so that a slow store
    /// holds up that request alone, not the async worker and every request queued on it.
    #[must_use]
    pub fn reads_block(&self) -> bool {
        self.remote
    }

    /// The platform's events log (register changes, reviews, overrides), beside the decisions
    /// log, so the events trail is verifiable the same way.
    #[must_use]
    pub fn events(&self) -> Option<&Ledger> {
        self.events.as_deref()
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

    /// Stops this log's writer and the events log's, once everything acknowledged is
    /// integrated, and releases their locks, so that a test can play the next period's server
    /// in the same process. (A server that stops just exits: what it acknowledged is in the
    /// journal, integrated on its next start.) Blocks.
    ///
    /// # Errors
    /// The failure that had stopped a sequencer.
    pub fn shutdown(self) -> Result<(), LedgerError> {
        let Ledger { seq, events, .. } = self;
        if let Some(events) = events {
            events.shutdown()?;
        }
        seq.shutdown().map(drop)
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

    /// Signs a group's acknowledgement (see [`mizan_ledger_fs::ledger::ack`]): the log's promise,
    /// before any checkpoint covers them, that these leaves are in the log at these indices.
    ///
    /// # Errors
    /// [`LedgerError::Malformed`] for an acknowledgement of another log.
    pub fn sign_acknowledgement(&self, ack: &Acknowledgement) -> Result<String, LedgerError> {
        ack.sign(&self.signer)
    }

    /// Starts asking the witnesses of `policy_text` (C2SP tlog-policy; this log's key is added
    /// if the policy does not name it) to cosign each new checkpoint, in the background. Full
    /// receipts then wait for a checkpoint that meets the policy's quorum; ingestion does not.
    ///
    /// # Errors
    /// The policy's parse error (line-numbered), or a policy with a witness that has no URL.
    pub fn start_witnessing(self: &Arc<Self>, policy_text: &str) -> Result<(), String> {
        let mut policy = Policy::parse(policy_text.as_bytes()).map_err(|e| e.to_string())?;
        if !policy.logs().iter().any(|l| l.key.name() == self.origin) {
            policy.add_log(self.verifier()).map_err(|e| e.to_string())?;
        }
        if let Some(w) = policy.witnesses().iter().find(|w| w.url.is_none()) {
            return Err(format!("witness `{}` has no submission URL in the policy", w.name()));
        }
        // A quorum reached before a restart still counts.
        let cosigned = std::fs::read(self.dir.join(COSIGNED)).ok().and_then(|bytes| {
            let checked = mizan_ledger_fs::ledger::policy::check(&bytes, &policy).ok()?;
            Some((checked.checkpoint.checkpoint.size, Arc::from(String::from_utf8(bytes).ok()?.as_str())))
        });
        let w =
            Witnessing { policy, text: policy_text.to_owned(), cosigned: std::sync::RwLock::new(cosigned) };
        self.witnessing.set(w).map_err(|_| "witnessing already started".to_owned())?;
        let me = Arc::clone(self);
        tokio::spawn(async move { me.witness_loop().await });
        Ok(())
    }

    /// The witness policy in force, as configured.
    #[must_use]
    pub fn witness_policy(&self) -> Option<&str> {
        self.witnessing.get().map(|w| w.text.as_str())
    }

    /// The newest checkpoint meeting the witness policy: its size and the cosigned note.
    /// `None` without witnesses configured, or before the first quorum.
    #[must_use]
    pub fn cosigned(&self) -> Option<(u64, Arc<str>)> {
        self.witnessing.get()?.cosigned.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// Whether receipts must wait for a witness quorum.
    #[must_use]
    pub fn witnessed(&self) -> bool {
        self.witnessing.get().is_some()
    }

    async fn witness_loop(self: Arc<Self>) {
        let Some(w) = self.witnessing.get() else { return };
        let http = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap_or_default();
        let clients: Vec<WitnessClient> = w
            .policy
            .witnesses()
            .iter()
            .map(|pw| WitnessClient::new(http.clone(), pw.url.as_deref().unwrap_or_default()))
            .collect();
        // What each witness has cosigned so far (it tells us on a 409).
        let mut sizes = vec![0u64; clients.len()];
        loop {
            tokio::time::sleep(Duration::from_millis(200)).await;
            let reader = self.reader();
            let size = reader.size();
            let done = self.cosigned().map_or(0, |(s, _)| s);
            let Some(checkpoint) = reader.checkpoint() else { continue };
            if size == 0 || size <= done {
                continue;
            }
            let mut note = checkpoint.to_string();
            for (i, client) in clients.iter().enumerate() {
                for _attempt in 0..2 {
                    let old = sizes[i].min(size);
                    let proof = if old == 0 { Ok(vec![]) } else { reader.prove_consistency(old, size) };
                    let Ok(proof) = proof else { break };
                    match client.add_checkpoint(old, &proof, checkpoint.as_bytes()).await {
                        Ok(lines) => {
                            sizes[i] = size;
                            note.push_str(&lines);
                            break;
                        }
                        Err(mizan_witness::ClientError::Conflict { size: theirs, .. }) => sizes[i] = theirs,
                        Err(e) => {
                            tracing::warn!(error = %e, "witness did not cosign");
                            break;
                        }
                    }
                }
            }
            match mizan_ledger_fs::ledger::policy::check(note.as_bytes(), &w.policy) {
                Ok(_) => {
                    let tmp = self.dir.join(format!("{COSIGNED}.tmp"));
                    let saved = std::fs::write(&tmp, note.as_bytes())
                        .and_then(|()| std::fs::File::open(&tmp)?.sync_all())
                        .and_then(|()| std::fs::rename(&tmp, self.dir.join(COSIGNED)));
                    if let Err(e) = saved {
                        tracing::warn!(error = %e, "cannot save the cosigned checkpoint");
                    }
                    *w.cosigned.write().unwrap_or_else(std::sync::PoisonError::into_inner) =
                        Some((size, Arc::from(note.as_str())));
                }
                Err(e) => tracing::warn!(error = %e, size, "witness quorum not met yet"),
            }
        }
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
    use mizan_ledger_fs::ledger::tile::TilePath;
    let (id, entries) = match TilePath::parse(rel).ok()? {
        TilePath::Checkpoint => return store.read(rel).ok().flatten(),
        TilePath::Hash(id) => (id, false),
        TilePath::Entries(id) => (id, true),
    };
    mizan_ledger_fs::ledger::log::read_tile(store, id, entries).ok()
}

/// A log's shard name in URLs and its key prefix (directory) under the ledger root, from its
/// kind and year: `2026` and `2026/` for decisions, `events-2026` and `events/2026/` for others.
fn shard_and_prefix(kind: &str, year: &str) -> (String, String) {
    if kind == "decisions" {
        (year.to_owned(), year.to_owned())
    } else {
        (format!("{kind}-{year}"), format!("{kind}/{year}"))
    }
}

fn write_new(path: &Path, bytes: &[u8]) -> Result<(), LedgerSetupError> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path).map_err(|source| LedgerSetupError::Io { path: path.to_owned(), source })?;
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .map_err(|source| LedgerSetupError::Io { path: path.to_owned(), source })
}

fn signing_key(path: &Path) -> Result<ed25519_dalek::SigningKey, LedgerSetupError> {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let bytes = hex::decode(text.trim()).map_err(|_| LedgerSetupError::BadKey(path.to_owned()))?;
            let seed: [u8; 32] = bytes.try_into().map_err(|_| LedgerSetupError::BadKey(path.to_owned()))?;
            Ok(ed25519_dalek::SigningKey::from_bytes(&seed))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = ed25519_dalek::SigningKey::generate(&mut rand::rngs::OsRng);
            write_new(path, hex::encode(key.to_bytes()).as_bytes())?;
            Ok(key)
        }
        Err(source) => Err(LedgerSetupError::Io { path: path.to_owned(), source }),
    }
}
