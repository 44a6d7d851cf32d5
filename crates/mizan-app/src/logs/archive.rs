//! Earlier years' logs: served read-only, so what was logged in them still proves.
//!
//! At the start of a year the server opens a new log of each kind and finds the earlier
//! years' beside it (by listing the kind's folder or prefix). Each is opened read-only under
//! its own origin and the one log key, and served at `/log/<shard>/...` with its final
//! checkpoint; its receipts and event proofs prove against that checkpoint.
//!
//! **Recovery of a year's tail.** A server stopped just after a year's end may have
//! acknowledged leaves of the old year's log that it had not yet published (batches journaled
//! but not integrated, or a checkpoint signed but not published). Those are published first,
//! through the log's writer, as that server would have on its next start, so their receipts
//! prove like any other. That takes the old log's writer lock (files) once; if it is held, the
//! log is served as published, the error logged, and [`Log::has_unpublished_tail`] says its
//! leaves past the checkpoint are pending, not missing. A bucket has no lock: the writer's
//! claim is taken over, and a server of the old year still running is fenced (it refuses
//! further decisions; nothing it acknowledged is lost), so stop it before starting the new
//! year's.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use mizan_ledger::LedgerError;
use mizan_ledger::log::{Log as EngineLog, LogReader};
use mizan_ledger::note::{NoteSigner, NoteVerifier};
use mizan_ledger::store::LogStore;
use mizan_ledger_fs::FsStore;

use super::{LedgerStorage, Log, LogKind, LogSetupError, read_log_file};

/// An earlier period's log, which nobody writes any more.
pub(super) struct Archived {
    origin: String,
    shard: String,
    year: i32,
    /// Acknowledged leaves past the published checkpoint that could not be published.
    unpublished_tail: bool,
    verifier: NoteVerifier,
    reader: LogReader,
    store: Arc<dyn LogStore>,
}

impl Log {
    /// The logs of `kind` of other periods (see [`shard_and_prefix`]), opened read-only with the
    /// key in `root` under their own origins.
    pub(super) fn open_archived(
        root: &Path,
        storage: &LedgerStorage,
        kind: LogKind,
        current: i32,
    ) -> Result<Vec<Archived>, LogSetupError> {
        let key = super::open::signing_key(&root.join("log.key"))?;
        let kind_dir = kind.folder();
        let names: Vec<String> = match storage {
            LedgerStorage::Files => {
                let dir = root.join(kind_dir);
                let io = |source| LogSetupError::Io { path: dir.clone(), source };
                let mut names = Vec::new();
                for entry in std::fs::read_dir(&dir).map_err(io)? {
                    names.push(entry.map_err(io)?.file_name().to_string_lossy().into_owned());
                }
                names
            }
            LedgerStorage::Object(objects) => objects.list_folders(kind_dir).map_err(|source| {
                LogSetupError::Log { path: PathBuf::from(format!("{}/{kind_dir}", objects.url())), source }
            })?,
        };
        let mut out = Vec::new();
        for name in names {
            let Ok(year) = name.parse::<i32>() else { continue };
            if year == current {
                continue;
            }
            let (shard, prefix) = (kind.shard(&name), kind.prefix(&name));
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
                    let log_err = |source| LogSetupError::Log { path: at.clone(), source };
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
    ) -> Result<Option<Archived>, LogSetupError> {
        let log_err = |source| LogSetupError::Log { path: at.to_owned(), source };
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
                    let log = EngineLog::open(Arc::clone(&writer), signer, &origin)?;
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
            let (start, entries) = mizan_ledger::log::decode_staged(&record)?;
            reach = reach.max(start + entries.len() as u64);
        }
        if let Some(latest) = store.latest()? {
            let signed = mizan_ledger::checkpoint::open_checkpoint(&latest, verifier)?;
            reach = reach.max(signed.checkpoint.size);
        }
        Ok(reach)
    }

    /// Whether `origin` is an earlier period's log with an acknowledged tail this start could
    /// not publish (see [`Logs::open`](super::Logs::open)): its leaves past the checkpoint are pending, not
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
        use mizan_ledger::tile::{TILE_WIDTH, decode_bundle, tile_for};
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

    /// A published file of an earlier period's log, as [`Log::read_public`].
    #[must_use]
    pub fn read_archived(&self, shard: &str, rel: &str) -> Option<Vec<u8>> {
        let a = self.archived.iter().find(|a| a.shard == shard)?;
        read_log_file(a.store.as_ref(), rel)
    }
}
