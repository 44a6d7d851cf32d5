//! Persistence for Mizan: the only crate that knows SQL.
//!
//! One code path serves SQLite (the embedded default) and PostgreSQL (production) through
//! sqlx's `Any` driver: `$n` placeholders, integers for flags, RFC 3339 text for timestamps.
//! The two schemas live side by side under `migrations/` and must mean the same thing.
//!
//! Tenant isolation lives here, once: every method that touches an organisation's non-public
//! records takes an [`OrgScope`] and filters by it in SQL. Handlers cannot forget it because
//! there is no unscoped method for them to call.
#![warn(missing_docs)]

mod accounts;
mod audits;
mod cases;
mod dataset_access;
mod datasets;
mod decisions;
mod direct;
mod event_log;
mod grid;
mod hot;
mod immutable;
mod intake;
mod models;
mod obligations;
mod oversight;
mod public;
mod reports;
mod reviews;
mod sandbox;
mod security;
mod systems;

use std::str::FromStr;
use std::sync::Arc;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};
use tokio::sync::Mutex;

pub use accounts::{ApiToken, Membership, NewToken, Org, OrgKind, Principal, TokenProblem, User};
pub use audits::{
    AuditInfo, AuditReport, AuditRole, AuditScope, AuditSource, Auditor, LoggedRecord, NewAudit, PublicAudit,
};
pub use cases::{
    CaseProjection, CaseStats, CaseTarget, ClosedCase, NewCase, NewDocument, NewEntry, QueueFilter,
    StoredCase, StoredDocument, StoredEntry,
};
pub use dataset_access::{AccessToken, DownloadEvent, NewAccessToken};
pub use datasets::{DatasetUse, DatasetVersionRef, NewDatasetVersion, StoredDatasetVersion};
pub use decisions::{DecisionTarget, NewDecision, StoredDecision};
pub use event_log::EventLeaf;
pub use grid::{
    GridAllocation, GridImport, GridImportSummary, GridInstitution, GridResource, GridUsage,
    NewGridAllocation, NewGridImport, NewGridJob, NewGridResource,
};
pub use hot::{TARGET_TTL, TOKEN_TTL};
pub use immutable::{APPEND_ONLY, Change};
pub use intake::{IntakeControl, IntakeStop, StoppedBy};
pub use mizan_rules::review::ReviewNeed;
pub use models::{
    ContradictionRow, FavourableSide, NewExplanation, NewModel, StoredExplanation, StoredModel,
};
pub use obligations::{OBLIGATION_STATUSES, ObligationStatus, ObligationUpdate};
pub use oversight::{Agreement, HeldDecision, PolicyChange};
pub use public::SNAPSHOT_TTL;
pub use reports::{ErrorReport, ReportStatus};
pub use reviews::{QueueItem, QueuePage, Review, ReviewDecision, ReviewState, ReviewerScope};
pub use sandbox::{
    NewSandboxSettings, NewSpend, OverBudget, Spend, Spender, StoredSandboxSettings, SyntheticSample,
};
pub use security::SecurityEvent;
pub use systems::{
    ActorRef, Event, PublicEntry, PublicPage, PublicQuery, RegulatorScope, StoredClassification,
    SystemSummary, SystemView, VersionInfo,
};

/// Which database is behind the pool; decides the migration set and write locking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite file.
    Sqlite,
    /// PostgreSQL server.
    Postgres,
}

/// What went wrong in the store, with the thing that was missing or invalid.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database URL is not one we support.
    #[error("unsupported database url `{0}` (expected sqlite://PATH or postgres://...)")]
    BadUrl(String),
    /// Nothing with that id (or not visible to this organisation, which looks the same).
    #[error("{what} `{id}` not found")]
    NotFound {
        /// Kind of record.
        what: &'static str,
        /// The id asked for.
        id: String,
    },
    /// The record would clash with an existing one.
    #[error("{0}")]
    Conflict(String),
    /// Field validation failed.
    #[error("the record has {} invalid field(s)", .0.len())]
    Invalid(Vec<mizan_register::FieldError>),
    /// A lifecycle move that is not allowed.
    #[error(transparent)]
    Transition(#[from] mizan_register::TransitionError),
    /// The database said no.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// Migrations failed.
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The risk questionnaire is incomplete or has an invalid answer, so the version cannot be
    /// classified.
    #[error("the risk questionnaire is not complete: {0}")]
    Questionnaire(#[from] mizan_rules::RulesError),
    /// The caller may not do this, whatever their permissions (a reviewer of their own
    /// organisation's system, for one).
    #[error("{0}")]
    Refused(String),
    /// A statement on a direct SQLite connection failed (see `direct.rs`).
    #[error("database error: {0}")]
    Direct(String),
    /// Stored JSON could not be read back (a bug or manual tampering).
    #[error("stored record is corrupt: {0}")]
    Corrupt(String),
}

/// Result alias for the store.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Proof that a caller acts for one organisation; every tenant-scoped method takes one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrgScope {
    org_id: i64,
}

impl OrgScope {
    /// Scopes to `org_id`. The server builds this only from a verified membership or token.
    #[must_use]
    pub const fn new(org_id: i64) -> Self {
        Self { org_id }
    }

    /// The organisation id.
    #[must_use]
    pub const fn org_id(self) -> i64 {
        self.org_id
    }
}

/// The handle to the database; cheap to clone.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// SQLite allows one writer; taking this before a write transaction avoids lock-upgrade
    /// deadlocks (`SQLITE_BUSY`) between two deferred transactions.
    write_lock: Arc<Mutex<()>>,
    /// Snapshot of the public register for reads.
    public_cache: public::PublicCache,
    /// Tokens and decision targets of the decision intake's hot path.
    hot: Arc<hot::HotCache>,
    /// SQLite connections outside the pool for the decision intake's hot path (`None` for
    /// PostgreSQL).
    direct: Option<Arc<direct::Direct>>,
}

/// Per-connection settings of SQLite (see [`Store::connect`]).
/// `secure_delete` overwrites what a row held when it is deleted or shrunk (an erased
/// decision), so its bytes do not linger in free pages of the file.
pub(crate) const SQLITE_PRAGMAS: &str = "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
     PRAGMA foreign_keys = ON; PRAGMA secure_delete = ON; PRAGMA busy_timeout = 10000; \
     PRAGMA mmap_size = 268435456; PRAGMA wal_autocheckpoint = 10000;";

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("backend", &self.backend).finish_non_exhaustive()
    }
}

impl Store {
    /// Connects to `url` (`sqlite://PATH` or `postgres://...`), creating a SQLite file if needed.
    ///
    /// # Errors
    /// [`StoreError::BadUrl`] for another scheme; [`StoreError::Database`] when it cannot connect.
    pub async fn connect(url: &str) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            return Err(StoreError::BadUrl(url.to_owned()));
        };
        let url = if backend == Backend::Sqlite && !url.contains("mode=") {
            format!("{url}{}mode=rwc", if url.contains('?') { '&' } else { '?' })
        } else {
            url.to_owned()
        };
        let options = AnyConnectOptions::from_str(&url)?;
        let pool = AnyPoolOptions::new()
            .max_connections(if backend == Backend::Sqlite { 8 } else { 16 })
            // A ping before every use finds a server that hung up; an embedded database cannot,
            // and for SQLite the ping is one more round trip to the connection's thread per
            // query (a sixth of a receipt lookup's time).
            .test_before_acquire(backend == Backend::Postgres)
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // `synchronous = FULL`: a commit is on disk when it returns, so a
                        // decision's record and key are durable before its receipt goes out. The
                        // decision intake commits whole groups, so this is one sync per group.
                        // `mmap_size`: every commit empties the other connections' page caches,
                        // and a mapped file is re-read without a system call and a copy per page.
                        // `wal_autocheckpoint`: a server checkpoints from a background task
                        // (`spawn_wal_checkpoints`); the commit that crosses this many pages
                        // does it only if that task falls behind (or none runs).
                        conn.execute(SQLITE_PRAGMAS).await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        let direct = match backend {
            Backend::Sqlite => {
                let file = sqlx::sqlite::SqliteConnectOptions::from_str(&url)?;
                Some(Arc::new(direct::Direct::new(file.get_filename())))
            }
            Backend::Postgres => None,
        };
        Ok(Store {
            pool,
            backend,
            write_lock: Arc::new(Mutex::new(())),
            public_cache: public::PublicCache::default(),
            hot: Arc::default(),
            direct,
        })
    }

    /// Checkpoints SQLite's write-ahead log every `every` from a background task, so that
    /// copying the log back into the database happens beside the writer, not inside one of its
    /// commits: in the decision intake that copy was a fifth of the writer's time, and the
    /// writer is the one thing that cannot run on two cores. A passive checkpoint waits for
    /// nobody. Nothing to do for PostgreSQL. The task ends when the pool is closed.
    #[must_use]
    pub fn spawn_wal_checkpoints(&self, every: std::time::Duration) -> Option<tokio::task::JoinHandle<()>> {
        if self.backend != Backend::Sqlite {
            return None;
        }
        let pool = self.pool.clone();
        Some(tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                if pool.is_closed() {
                    break;
                }
                if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(&pool).await {
                    tracing::warn!(error = %e, "write-ahead log checkpoint failed; the next commit past the limit will do it");
                }
            }
        }))
    }

    /// Which database this is.
    #[must_use]
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Brings the schema up to date; safe to run on every start.
    ///
    /// # Errors
    /// [`StoreError::Migrate`] when a migration fails or the recorded history disagrees.
    pub async fn migrate(&self) -> Result<()> {
        match self.backend {
            Backend::Sqlite => sqlx::migrate!("./migrations/sqlite").run(&self.pool).await?,
            Backend::Postgres => sqlx::migrate!("./migrations/postgres").run(&self.pool).await?,
        }
        self.refresh_review_needs().await
    }

    /// Closes the pool, waiting for connections to finish.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// A write transaction fenced to one organisation: on PostgreSQL it also sets
    /// `mizan.org_id`, which the row-level security policies check, so even a query that forgot
    /// its `org_id` filter cannot touch another organisation's rows.
    async fn begin_scoped_write(
        &self,
        scope: OrgScope,
    ) -> Result<(Option<tokio::sync::MutexGuard<'_, ()>>, sqlx::Transaction<'static, sqlx::Any>)> {
        let (guard, mut tx) = self.begin_write().await?;
        self.fence(&mut tx, scope).await?;
        Ok((guard, tx))
    }

    /// A read transaction fenced to one organisation (see `begin_scoped_write`).
    async fn begin_scoped_read(&self, scope: OrgScope) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
        let mut tx = self.pool.begin().await?;
        self.fence(&mut tx, scope).await?;
        Ok(tx)
    }

    async fn fence(&self, tx: &mut sqlx::Transaction<'static, sqlx::Any>, scope: OrgScope) -> Result<()> {
        if self.backend == Backend::Postgres {
            sqlx::query("SELECT set_config('mizan.org_id', $1, true)")
                .bind(scope.org_id().to_string())
                .execute(&mut **tx)
                .await?;
        }
        Ok(())
    }

    async fn begin_write(
        &self,
    ) -> Result<(Option<tokio::sync::MutexGuard<'_, ()>>, sqlx::Transaction<'static, sqlx::Any>)> {
        let guard = match self.backend {
            Backend::Sqlite => Some(self.write_lock.lock().await),
            Backend::Postgres => None,
        };
        let tx = self.pool.begin().await?;
        Ok((guard, tx))
    }
}

/// Now, as fixed-width RFC 3339 UTC text with microseconds, so text order is time order.
#[must_use]
pub fn now() -> String {
    format_time(time::OffsetDateTime::now_utc())
}

/// Formats a time the way the store keeps it.
#[must_use]
pub fn format_time(t: time::OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.microsecond()
    )
}

/// Hex SHA-256, used for session and token hashes (both are 256-bit random secrets, so a fast
/// hash is enough; passwords use argon2id in the server).
#[must_use]
pub fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(data))
}

/// Crockford-style alphabet of 32 letters without look-alikes (no i, l, o, u), easy to read out
/// on a phone; codes and receipt references are written in it.
const CODE_ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";

fn random_code(len: usize) -> String {
    use rand::Rng;
    let mut rng = rand::thread_rng();
    (0..len).map(|_| char::from(CODE_ALPHABET[rng.gen_range(0..CODE_ALPHABET.len())])).collect()
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.is_unique_violation())
}
