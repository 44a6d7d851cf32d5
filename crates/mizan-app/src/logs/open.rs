//! Opening this year's logs: where each lives, its origin and its key.
//!
//! A log of [`LogKind`] `k` for year `y` lives at `<root>/<k.prefix(y)>` (files) or under the
//! same prefix in object storage. Its origin, `<kind>.<host>/<year>`, is written beside its
//! tiles on first use (`origin`) and read back ever after, so a later change of host name
//! cannot orphan the log. Every log is signed with the one Ed25519 key in `<root>/log.key`,
//! created (mode 0600, fsync'd) on first start and never replaced: a new key could not sign
//! the old logs, so a key file that does not parse is an error to restore from backup, not a
//! reason to make a new one. Opening a log's writer integrates whatever its journal holds past
//! the published checkpoint (`mizan_ledger::log::Log::open`), which is how an acknowledged
//! batch survives a crash.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use mizan_ledger::log::Log as EngineLog;
use mizan_ledger::note::NoteSigner;
use mizan_ledger::sequencer::{Sequencer, SequencerConfig};
use mizan_ledger::store::LogStore;
use mizan_ledger_fs::FsStore;

use super::{INTEGRATE_INTERVAL, LedgerStorage, Log, LogKind, LogSetupError, Logs};

impl Logs {
    /// Opens (creating on first use) this year's logs under `root` (the key's directory, and the
    /// logs' too with [`LedgerStorage::Files`]). Each origin is `<kind>.<host>/<year>`, fixed
    /// beside the log on first use so that a later change of host name cannot orphan the log.
    ///
    /// # Errors
    /// [`LogSetupError`] naming the file or the log's reason.
    pub fn open(
        root: &Path,
        storage: &LedgerStorage,
        host: &str,
        year: i32,
        config: SequencerConfig,
    ) -> Result<Logs, LogSetupError> {
        let mut decisions = Log::open_kind(root, storage, LogKind::Decisions, host, year, config)?;
        let mut events = Log::open_kind(root, storage, LogKind::Events, host, year, config)?;
        decisions.archived = Log::open_archived(root, storage, LogKind::Decisions, year)?;
        events.archived = Log::open_archived(root, storage, LogKind::Events, year)?;
        Ok(Logs { decisions, events })
    }

    /// Opens this year's logs under `<data_dir>/ledger`, naming it after the host of `base_url`.
    ///
    /// # Errors
    /// As [`Logs::open`].
    pub fn open_in(data_dir: &Path, base_url: &str) -> Result<Logs, LogSetupError> {
        Self::open_in_storage(data_dir, base_url, &LedgerStorage::Files)
    }

    /// [`Logs::open_in`] with the logs in `storage`; the key stays in `<data_dir>/ledger`.
    ///
    /// # Errors
    /// As [`Logs::open`].
    pub fn open_in_storage(
        data_dir: &Path,
        base_url: &str,
        storage: &LedgerStorage,
    ) -> Result<Logs, LogSetupError> {
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
        Logs::open(&data_dir.join("ledger"), storage, host, year, config)
    }
}

impl Log {
    /// One log of `kind`: decisions in `<root>/<year>`, others in `<root>/<kind>/<year>` (or
    /// those prefixes in object storage), all signed with the key in `<root>/log.key` under
    /// their own origin `<kind>.<host>/<year>`.
    pub(super) fn open_kind(
        root: &Path,
        storage: &LedgerStorage,
        kind: LogKind,
        host: &str,
        year: i32,
        config: SequencerConfig,
    ) -> Result<Log, LogSetupError> {
        let io = |path: &Path| {
            let path = path.to_owned();
            move |source| LogSetupError::Io { path, source }
        };
        let (shard, prefix) = (kind.shard(&year.to_string()), kind.prefix(&year.to_string()));
        let dir = root.join(&prefix);
        std::fs::create_dir_all(&dir).map_err(io(&dir))?;
        let key = signing_key(&root.join("log.key"))?;
        let (store, at): (Arc<dyn LogStore>, PathBuf) = match storage {
            LedgerStorage::Files => {
                let log_err = |source| LogSetupError::Log { path: dir.clone(), source };
                (Arc::new(FsStore::open(&dir).map_err(log_err)?), dir.clone())
            }
            LedgerStorage::Object(objects) => {
                let at = PathBuf::from(format!("{}/{prefix}", objects.url()));
                let log_err = |source| LogSetupError::Log { path: at.clone(), source };
                (Arc::new(objects.open_log(&prefix).map_err(log_err)?), at)
            }
        };
        let log_err = |source| LogSetupError::Log { path: at.clone(), source };
        // The origin is kept beside the log's tiles (the `origin` file of a log directory).
        let origin = match store.read("origin").map_err(log_err)? {
            Some(text) => String::from_utf8_lossy(&text).trim().to_owned(),
            None => {
                let origin = format!("{}.{host}/{year}", kind.name());
                store.write_once("origin", origin.as_bytes()).map_err(log_err)?;
                origin
            }
        };
        let signer = NoteSigner::new(&origin, key).map_err(log_err)?;
        let log = EngineLog::open(store.clone(), signer.clone(), &origin).map_err(log_err)?;
        let seq = Sequencer::start(log, config).map_err(log_err)?;
        Ok(Log {
            kind,
            seq,
            signer,
            origin,
            dir,
            shard,
            year,
            witnessing: std::sync::OnceLock::new(),
            store,
            remote: matches!(storage, LedgerStorage::Object(_)),
            archived: Vec::new(),
        })
    }
}

pub(super) fn signing_key(path: &Path) -> Result<ed25519_dalek::SigningKey, LogSetupError> {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let bytes = hex::decode(text.trim()).map_err(|_| LogSetupError::BadKey(path.to_owned()))?;
            let seed: [u8; 32] = bytes.try_into().map_err(|_| LogSetupError::BadKey(path.to_owned()))?;
            Ok(ed25519_dalek::SigningKey::from_bytes(&seed))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = ed25519_dalek::SigningKey::generate(&mut rand::rngs::OsRng);
            mizan_files::write_new_private(path, hex::encode(key.to_bytes()).as_bytes())
                .map_err(|source| LogSetupError::Io { path: path.to_owned(), source })?;
            Ok(key)
        }
        Err(source) => Err(LogSetupError::Io { path: path.to_owned(), source }),
    }
}
