//! The running Mizan platform: the operations behind every page, API call and command.
//!
//! [`Platform`] owns what a running Mizan holds: the store, the decision and events logs
//! ([`logs::Logs`]), the decision intake ([`intake::Intake`]), uploaded model files and the
//! models prepared from them. Its operations take plain inputs (ids, parsed values, bytes) and
//! return plain results or one [`Error`]; they know nothing of HTTP, pages or OpenAPI, so the
//! server, the command line and tests call the same code.
//!
//! Where things live:
//! - [`decisions`]: logging decisions (checks, commitments, receipts), receipts with proofs,
//!   erasure, and the log files served at `/log/...`;
//! - [`logs`]: the running logs, by [`logs::LogKind`], this year's and earlier years';
//! - [`intake`]: the group-commit writer every logged decision passes through;
//! - [`events`]: the follower that commits platform events to the events log;
//! - [`audits`]: fairness audits of a system version, from a file or logged decisions;
//! - [`explain`]: explanations of logged decisions with their uploaded models;
//! - [`oversight`]: the stop control of a system's decision intake;
//! - [`models`]: model files by hash; [`demo`]: the demo data `serve --demo` seeds;
//! - [`appeals`]: appeals against decisions, the first case type of `mizan-cases`;
//!   [`documents`]: the files filed with them, by hash; [`pii`]: the check that keeps
//!   identity numbers, phone numbers and addresses out of what is published;
//! - [`passwords`]: argon2id hashing.
#![warn(missing_docs)]

pub mod appeals;
pub mod audits;
mod case_writer;
pub mod dataset_access;
pub mod datasets;
pub mod decisions;
pub mod demo;
pub mod documents;
mod error;
pub mod events;
pub mod explain;
pub mod grid;
pub mod held;
pub mod intake;
pub mod limits;
pub mod logs;
pub mod models;
pub mod obligations;
pub mod oversight;
pub mod passwords;
pub mod pii;
pub mod sandbox;
pub mod signin;
pub mod throttle;
pub mod wire;

use std::path::PathBuf;
use std::sync::Arc;

pub use error::Error;
use mizan_store::Store;

/// What the platform needs to know about where it runs.
#[derive(Debug, Clone)]
pub struct PlatformConfig {
    /// Absolute base URL for links in receipts and documents (no trailing slash).
    pub base_url: String,
    /// The data directory (model files live under `<data_dir>/models/`).
    pub data_dir: PathBuf,
    /// Limits on uploads and the work they cause.
    pub limits: limits::Limits,
    /// Where throttling reads the time (tests move a [`throttle::ManualClock`] by hand).
    pub clock: Arc<dyn throttle::Clock>,
    /// How people who left an address are told about their case: SMTP, or (by default) `.eml`
    /// files in `<data_dir>/outbox`.
    pub mail: mizan_notify::Config,
    /// Object storage for the data repository's kept files; `None` keeps them under
    /// `<data_dir>/datasets`.
    pub dataset_storage: Option<Arc<mizan_ledger_object::ObjectStorage>>,
}

impl PlatformConfig {
    /// A platform at `base_url` keeping its files in `data_dir`, with default limits.
    #[must_use]
    pub fn new(base_url: impl Into<String>, data_dir: impl Into<PathBuf>) -> PlatformConfig {
        let data_dir: PathBuf = data_dir.into();
        PlatformConfig {
            mail: mizan_notify::Config::new(data_dir.join("outbox")),
            base_url: base_url.into(),
            data_dir,
            limits: limits::Limits::default(),
            clock: Arc::new(throttle::SystemClock::default()),
            dataset_storage: None,
        }
    }
}

/// The running platform. Cloning is cheap (shared handles).
#[derive(Clone)]
pub struct Platform {
    store: Store,
    config: Arc<PlatformConfig>,
    logs: Arc<logs::Logs>,
    intake: Arc<intake::Intake>,
    /// Opens filed cases in groups (one sync for the filings of a moment).
    case_writer: Arc<case_writer::CaseWriter>,
    models: Arc<models::ModelFiles>,
    documents: Arc<documents::DocumentFiles>,
    /// Held while a document file is written or deleted together with the rows that name it,
    /// so a filing and an erasure of the same bytes cannot leave a row without its file.
    document_lock: Arc<tokio::sync::Mutex<()>>,
    prepared: Arc<explain::PreparedModels>,
    /// The data repository's files.
    dataset_files: Arc<datasets::DatasetFiles>,
    /// The dataset search index.
    search: Arc<mizan_search::Index>,
    guards: Arc<signin::Guards>,
    /// Permits for heavy work (audits, model parses): `limits.audits_at_once`.
    heavy: Arc<tokio::sync::Semaphore>,
    /// Calendar time and the clock's reading when the platform started ([`Platform::now`]).
    epoch: (time::OffsetDateTime, std::time::Duration),
    /// Sends what people asked to be told (`None` when the mail settings were refused).
    notifier: Option<Arc<mizan_notify::Notifier>>,
    /// Woken when the grid's allocations change, for the server's Slurm sync.
    grid_notify: Arc<tokio::sync::Notify>,
}

impl std::fmt::Debug for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Platform").field("config", &self.config).finish_non_exhaustive()
    }
}

impl Platform {
    /// The platform over `store` and the opened `logs`.
    #[must_use]
    pub fn new(store: Store, config: PlatformConfig, logs: logs::Logs) -> Platform {
        let models = models::ModelFiles::in_data_dir(&config.data_dir);
        let config_data_dir = config.data_dir.clone();
        let logs = Arc::new(logs);
        let intake = Arc::new(intake::Intake::new(store.clone(), Arc::clone(&logs)));
        let case_writer = Arc::new(case_writer::CaseWriter::new(store.clone()));
        let guards = Arc::new(signin::Guards::new(&config.clock, config.limits.public_form_free));
        let heavy = Arc::new(tokio::sync::Semaphore::new(config.limits.audits_at_once.max(1)));
        let epoch = (time::OffsetDateTime::now_utc(), config.clock.now());
        // `mizan serve` checks the mail settings before it gets here; a platform built with bad
        // ones (a library caller) writes to the outbox instead of failing.
        let notifier = match mizan_notify::Notifier::new(config.mail.clone())
            .or_else(|_| mizan_notify::Notifier::new(mizan_notify::Config::new(config.mail.outbox.clone())))
        {
            Ok(n) => Some(Arc::new(n)),
            Err(e) => {
                tracing::error!(error = %e, "mail settings refused; nobody will be told of their case");
                None
            }
        };
        let search = match mizan_search::Index::open(&config_data_dir.join("search")) {
            Ok(i) => i,
            Err(e) => {
                tracing::error!(error = %e, "search index unavailable on disk; using one in memory");
                match mizan_search::Index::in_memory() {
                    Ok(i) => i,
                    // An in-memory index has no I/O to fail; its creation failing is a bug.
                    Err(e) => panic!("cannot create an in-memory search index: {e}"),
                }
            }
        };
        Platform {
            dataset_files: Arc::new(match config.dataset_storage.clone() {
                Some(storage) => datasets::DatasetFiles::in_object_storage(&config_data_dir, storage),
                None => datasets::DatasetFiles::in_data_dir(&config_data_dir),
            }),
            search: Arc::new(search),
            notifier,
            grid_notify: Arc::new(tokio::sync::Notify::new()),
            epoch,
            guards,
            store,
            config: Arc::new(config),
            logs,
            intake,
            case_writer,
            models: Arc::new(models),
            documents: Arc::new(documents::DocumentFiles::in_data_dir(&config_data_dir)),
            document_lock: Arc::new(tokio::sync::Mutex::new(())),
            prepared: Arc::new(explain::PreparedModels::new(explain::PREPARED_MODELS)),
            heavy,
        }
    }

    fn guards(&self) -> &signin::Guards {
        &self.guards
    }

    /// A permit for heavy work (an audit, a model parse), held until dropped.
    ///
    /// # Errors
    /// [`Error::Busy`] when `limits.audits_at_once` are already running: the caller is told
    /// to try again rather than queued (a queued request would still hold its body).
    pub fn heavy_permit(&self) -> Result<tokio::sync::OwnedSemaphorePermit, Error> {
        Arc::clone(&self.heavy).try_acquire_owned().map_err(|_| {
            Error::Busy(format!(
                "the platform is already computing {} audits or models; try again in a minute",
                self.config.limits.audits_at_once
            ))
        })
    }

    /// The notifier (SMTP or the outbox folder).
    #[must_use]
    pub fn notifier(&self) -> Option<&mizan_notify::Notifier> {
        self.notifier.as_deref()
    }

    /// The database.
    #[must_use]
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Where the platform runs.
    #[must_use]
    pub fn config(&self) -> &PlatformConfig {
        &self.config
    }

    /// The decision and events logs.
    #[must_use]
    pub fn logs(&self) -> &Arc<logs::Logs> {
        &self.logs
    }

    /// The decision intake.
    #[must_use]
    pub fn intake(&self) -> &intake::Intake {
        &self.intake
    }

    /// Uploaded model files.
    #[must_use]
    pub fn models(&self) -> &models::ModelFiles {
        &self.models
    }

    /// Documents filed with cases, by hash.
    #[must_use]
    pub fn documents(&self) -> &documents::DocumentFiles {
        &self.documents
    }

    /// Models prepared for explanations, by hash.
    #[must_use]
    pub fn prepared(&self) -> &explain::PreparedModels {
        &self.prepared
    }

    /// Starts the platform's background work: the events follower, and SQLite's write-ahead
    /// log checkpoints (their task, which the caller keeps while the platform runs).
    #[must_use]
    pub fn start_background(&self) -> Option<tokio::task::JoinHandle<()>> {
        tokio::spawn(events::follow(self.clone()));
        tokio::spawn(self.clone().follow_deadlines());
        self.store.spawn_wal_checkpoints(std::time::Duration::from_millis(100))
    }
}
