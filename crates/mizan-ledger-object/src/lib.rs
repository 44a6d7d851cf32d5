//! Object storage for the decision ledger: S3-compatible buckets and local directories through
//! the `object_store` crate.
//!
//! [`ObjectStorage`] is one bucket (or directory) and the small tokio runtime its requests run
//! on; [`ObjectStorage::open_log`] gives the [`LogStore`] of one log under a key prefix. The
//! layout under a log's prefix is the C2SP tlog-tiles layout (`checkpoint`, `tile/...`), the
//! latest signed checkpoint record in `.state/latest` and the staging journal in
//! `.state/staging/` (neither is served).
//!
//! How each promise of [`LogStore`] is kept:
//! - **Tiles and bundles are write-once.** A write is a `PUT` with [`PutMode::Create`]
//!   (create-if-absent); when the object exists, its bytes are compared: identical is success
//!   (integration is idempotent), different is [`LedgerError::Conflict`].
//! - **The latest signed checkpoint changes only by compare-and-swap.** The first record is a
//!   `PUT` with [`PutMode::Create`]; later ones a `PUT` with [`PutMode::Update`] carrying the
//!   ETag/version of the record that was read (or last written). A failed precondition means the
//!   record moved: [`LogStore::compare_and_swap_latest`] returns `false` and changes nothing.
//! - **One durable operation per staged batch.** Each batch is its own object
//!   `.state/staging/<20-digit sequence number>`, written with [`PutMode::Create`]; a successful
//!   `PUT` is durable in an object store, and an object is whole or absent, never torn.
//!   [`LogStore::staged`] lists and reads them in order, [`LogStore::clear_staged`] deletes them.
//!   Batches wholly covered by a newly swapped latest checkpoint are deleted in the background,
//!   so the journal holds only batches not yet integrated and a restart reads few objects
//!   ([`crate::ledger::log::Log::open`] would skip the others anyway).
//!
//! **Local directories** (`file:///path`) go through `object_store`'s `LocalFileSystem` with
//! fsync on. It supports [`PutMode::Create`] but not [`PutMode::Update`], so for a local
//! directory the store takes an exclusive lock file (`.state/lock`, as `mizan-ledger-fs` does)
//! and swaps the latest record by compare-then-overwrite under that lock and a mutex. A store
//! made with [`ObjectStorage::new`] that cannot do conditional updates fails the swap with an
//! error that says so.
//!
//! **One writer per log.** A bucket has no lock file, so a writer fences the others off instead.
//! Opening a log for writing puts a fresh claim in `.state/writer` (a random token: a new
//! ETag); after staging each batch, and before the sequencer acknowledges it, the writer reads
//! that object's ETag back, and if the claim is no longer its own it deletes the batch it
//! just staged, stops writing for good and reports a conflict, so no submitter is acknowledged.
//! The newer writer lists the journal only after its claim, so it replays every batch the older
//! one acknowledged (that batch was staged before the older writer's check, which came before
//! the claim). Two writers that pick the same journal number meet at a create-if-absent, and
//! the loser stops too. Beyond that, create-if-absent tiles and the conditional swap keep the
//! log from ever signing two roots for one size or overwriting a tile. The cost is one `HEAD`
//! per staged batch, that is per group of submissions, not per leaf.
//!
//! **Blocking API over async storage.** [`LogStore`] is blocking and is called from the
//! sequencer's and integrator's own threads, and from request handlers. Every call runs its
//! future on this store's own runtime and waits for the answer on a channel, so a caller on any
//! thread, including a worker of another tokio runtime (even a current-thread one), cannot
//! deadlock: the work never needs the caller's runtime. A call from a thread of the store's own
//! runtime would deadlock and is refused with an error instead. The runtime is shut down in the
//! background on drop, so dropping the store inside async code does not panic.
#![warn(missing_docs)]

/// The ledger engine, re-exported so a caller needs one dependency.
pub use mizan_ledger as ledger;

use std::cell::Cell;
use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::future::Future;
use std::path::{Path as FsPath, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use futures_util::{StreamExt, TryStreamExt};
use mizan_ledger::LedgerError;
use mizan_ledger::checkpoint::Checkpoint;
use mizan_ledger::store::{CHECKPOINT_PATH, LogStore};
use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{
    Error as ObjectError, ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload, UpdateVersion,
};

const LATEST: &str = ".state/latest";
const STAGING: &str = ".state/staging";
/// The claim of a bucket log's current writer (see "One writer per log").
const WRITER: &str = ".state/writer";
const LOCK: &str = ".state/lock";
/// How many requests one call keeps in flight (tile writes, journal reads).
const CONCURRENCY: usize = 16;

thread_local! {
    /// Set on the threads of a store's own runtime, where a blocking call would deadlock.
    static ON_STORE_RUNTIME: Cell<bool> = const { Cell::new(false) };
}

/// A bucket or local directory holding logs, and the runtime its requests run on.
pub struct ObjectStorage {
    store: Arc<dyn ObjectStore>,
    runtime: Option<tokio::runtime::Runtime>,
    /// The URL objects are named under in messages, ending in `/` (`s3://bucket/`).
    base: String,
    /// Key prefix of every log in this storage, without slashes at either end; may be empty.
    root: String,
    /// For `file://`: the directory, where the writer lock lives and swaps happen under it.
    local: Option<PathBuf>,
}

impl std::fmt::Debug for ObjectStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ObjectStorage")
            .field("base", &self.base)
            .field("root", &self.root)
            .finish_non_exhaustive()
    }
}

impl Drop for ObjectStorage {
    fn drop(&mut self) {
        // A plain drop blocks, which panics inside async code; nothing is left to wait for.
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, LedgerError> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("ledger-object-store")
        .on_thread_start(|| ON_STORE_RUNTIME.set(true))
        .enable_all()
        .build()
        .map_err(|e| LedgerError::Storage(format!("cannot start the object store's runtime: {e}")))
}

/// Trims slashes and checks every segment of a key prefix.
fn clean_prefix(prefix: &str) -> Result<String, LedgerError> {
    let p = prefix.trim_matches('/');
    if !p.is_empty() && p.split('/').any(|c| c.is_empty() || c == "." || c == "..") {
        return Err(LedgerError::Malformed(format!(
            "key prefix `{prefix}` has an empty, `.` or `..` segment"
        )));
    }
    Ok(p.to_owned())
}

fn join(a: &str, b: &str) -> String {
    match (a.is_empty(), b.is_empty()) {
        (true, _) => b.to_owned(),
        (_, true) => a.to_owned(),
        _ => format!("{a}/{b}"),
    }
}

impl ObjectStorage {
    /// Connects to the storage a URL names:
    /// - `s3://bucket[/prefix]`: an S3-compatible bucket. `options` are `object_store`'s S3
    ///   settings by name, as `AmazonS3Builder::from_env` reads them from `AWS_*` environment
    ///   variables (`aws_access_key_id`, `aws_secret_access_key`, `aws_region`, `aws_endpoint`,
    ///   `aws_allow_http`, ...); names it does not know are ignored.
    /// - `file:///absolute/path`: a local directory (created), written with fsync.
    ///
    /// # Errors
    /// [`LedgerError::Malformed`] for another scheme or a bad path; [`LedgerError::Storage`]
    /// when the client cannot be built or the directory created.
    pub fn connect<K, V>(
        url: &str,
        options: impl IntoIterator<Item = (K, V)>,
    ) -> Result<Arc<Self>, LedgerError>
    where
        K: AsRef<str>,
        V: Into<String>,
    {
        if let Some(rest) = url.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            if bucket.is_empty() {
                return Err(LedgerError::Malformed(format!("ledger store URL `{url}` names no bucket")));
            }
            let mut builder = AmazonS3Builder::new();
            for (key, value) in options {
                if let Ok(key) = key.as_ref().to_ascii_lowercase().parse::<AmazonS3ConfigKey>() {
                    builder = builder.with_config(key, value);
                }
            }
            let s3 = builder
                .with_bucket_name(bucket)
                .build()
                .map_err(|e| LedgerError::Storage(format!("cannot set up S3 bucket `{bucket}`: {e}")))?;
            return Self::build(Arc::new(s3), format!("s3://{bucket}/"), prefix, None);
        }
        if let Some(path) = url.strip_prefix("file://") {
            if !path.starts_with('/') {
                return Err(LedgerError::Malformed(format!(
                    "ledger store URL `{url}` is not an absolute path; write `file:///absolute/path`"
                )));
            }
            return Self::local(FsPath::new(path));
        }
        Err(LedgerError::Malformed(format!(
            "ledger store URL `{url}` is not supported; use `file:///path` or `s3://bucket/prefix`"
        )))
    }

    /// A local directory (created) through `object_store`'s `LocalFileSystem`, with fsync on.
    /// Its writers take a lock file, and swap the latest record under it (`LocalFileSystem`
    /// cannot do conditional updates).
    ///
    /// # Errors
    /// [`LedgerError::Storage`] when the directory cannot be created.
    pub fn local(dir: &FsPath) -> Result<Arc<Self>, LedgerError> {
        std::fs::create_dir_all(dir)
            .map_err(|e| LedgerError::Storage(format!("cannot create `{}`: {e}", dir.display())))?;
        let fs = LocalFileSystem::new_with_prefix(dir)
            .map_err(|e| LedgerError::Storage(format!("cannot open `{}`: {e}", dir.display())))?
            .with_fsync(true);
        let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_owned());
        let base = format!("file://{}/", dir.display().to_string().trim_end_matches('/'));
        Self::build(Arc::new(fs), base, "", Some(dir))
    }

    /// Any `object_store` store, such as a configured `AmazonS3` or `InMemory`. `base` names it
    /// in messages (`memory:///`). The store must support conditional `PUT`s: create-if-absent
    /// for tiles and the journal, and updates by ETag/version for the latest checkpoint record.
    ///
    /// # Errors
    /// [`LedgerError::Storage`] when the runtime cannot start.
    pub fn new(store: Arc<dyn ObjectStore>, base: &str) -> Result<Arc<Self>, LedgerError> {
        let base = if base.ends_with('/') { base.to_owned() } else { format!("{base}/") };
        Self::build(store, base, "", None)
    }

    fn build(
        store: Arc<dyn ObjectStore>,
        base: String,
        root: &str,
        local: Option<PathBuf>,
    ) -> Result<Arc<Self>, LedgerError> {
        let root = clean_prefix(root)?;
        Ok(Arc::new(Self { store, runtime: Some(runtime()?), base, root, local }))
    }

    /// The storage's URL with its root prefix, for messages (`s3://bucket/prefix`).
    #[must_use]
    pub fn url(&self) -> String {
        format!("{}{}", self.base, self.root).trim_end_matches('/').to_owned()
    }

    /// The store and the full key of `name` under this storage's root prefix, for callers that
    /// keep other objects beside the logs (the data repository's files) and call the store
    /// asynchronously on their own runtime.
    ///
    /// # Errors
    /// [`LedgerError::Malformed`] for a bad name.
    pub fn object(&self, name: &str) -> Result<(Arc<dyn ObjectStore>, Path), LedgerError> {
        let full = join(&self.root, &clean_prefix(name)?);
        let key = Path::parse(&full).map_err(|e| LedgerError::Malformed(format!("key `{full}`: {e}")))?;
        Ok((self.store.clone(), key))
    }

    /// Opens the log under `prefix` for writing: the one writer of that log. For a local
    /// directory this takes the exclusive lock `.state/lock`; for a bucket the deployment must
    /// make sure no other writer runs (see the crate docs).
    ///
    /// # Errors
    /// [`LedgerError::Conflict`] when another process holds the lock; storage errors.
    pub fn open_log(self: &Arc<Self>, prefix: &str) -> Result<ObjectLogStore, LedgerError> {
        let prefix = join(&self.root, &clean_prefix(prefix)?);
        let mut log = ObjectLogStore { storage: self.clone(), prefix, writer: None };
        let (lock, claim) = match &self.local {
            Some(dir) => (Some(log.lock(dir)?), None),
            None => (None, Some(log.claim()?)),
        };
        // Continue numbering after whatever the journal already holds. Listed after the claim:
        // see "One writer per log".
        let next = log
            .staged_keys()?
            .iter()
            .filter_map(|k| k.filename()?.parse::<u64>().ok())
            .max()
            .map_or(0, |n| n + 1);
        log.writer = Some(Writer {
            next_seq: AtomicU64::new(next),
            latest: Mutex::new(None),
            unintegrated: Mutex::new(BTreeMap::new()),
            _lock: lock,
            claim,
            fenced: std::sync::atomic::AtomicBool::new(false),
        });
        Ok(log)
    }

    /// The names of the folders directly under `prefix` (in this storage's root): the periods
    /// whose logs of one kind are kept there (`2025`, `2026`), so a server can still serve the
    /// logs of earlier years.
    ///
    /// # Errors
    /// [`LedgerError::Malformed`] for a bad prefix; the listing's storage error.
    pub fn list_folders(self: &Arc<Self>, prefix: &str) -> Result<Vec<String>, LedgerError> {
        let full = join(&self.root, &clean_prefix(prefix)?);
        let location = format!("{}{full}", self.base);
        let key = if full.is_empty() {
            None
        } else {
            Some(
                Path::parse(&full)
                    .map_err(|e| LedgerError::Malformed(format!("key prefix `{full}`: {e}")))?,
            )
        };
        let store = self.store.clone();
        let listed = self
            .block(async move { store.list_with_delimiter(key.as_ref()).await })?
            .map_err(|e| fail("list", &location, &e))?;
        Ok(listed.common_prefixes.iter().filter_map(|p| p.filename().map(str::to_owned)).collect())
    }

    /// The log under `prefix` for reading only (no lock; writes fail), for replicas and tools.
    ///
    /// # Errors
    /// [`LedgerError::Malformed`] for a bad prefix.
    pub fn read_only(self: &Arc<Self>, prefix: &str) -> Result<ObjectLogStore, LedgerError> {
        Ok(ObjectLogStore {
            storage: self.clone(),
            prefix: join(&self.root, &clean_prefix(prefix)?),
            writer: None,
        })
    }

    /// Runs `fut` on the store's runtime and waits for it on this thread.
    fn block<T: Send + 'static>(
        &self,
        fut: impl Future<Output = T> + Send + 'static,
    ) -> Result<T, LedgerError> {
        if ON_STORE_RUNTIME.get() {
            return Err(LedgerError::Storage(
                "the object store was called from its own runtime's thread, which would deadlock; \
                 call it from another thread"
                    .into(),
            ));
        }
        let rt = self
            .runtime
            .as_ref()
            .ok_or_else(|| LedgerError::Storage("the object store is shut down".into()))?;
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        rt.spawn(async move {
            let _ = tx.send(fut.await);
        });
        rx.recv()
            .map_err(|_| LedgerError::Storage("the object store's runtime stopped before answering".into()))
    }

    /// Runs `fut` on the store's runtime without waiting (best-effort clean-up).
    fn spawn(&self, fut: impl Future<Output = ()> + Send + 'static) {
        if let Some(rt) = &self.runtime {
            rt.spawn(fut);
        }
    }
}

/// What only the writer of a log keeps.
struct Writer {
    /// The next staging record's number.
    next_seq: AtomicU64,
    /// The latest record as last read or written, with the version a conditional update needs.
    latest: Mutex<Option<(Vec<u8>, UpdateVersion)>>,
    /// Staging records written by this process: number → the leaf count after the batch.
    unintegrated: Mutex<BTreeMap<u64, u64>>,
    _lock: Option<File>,
    /// For a bucket: the version of the `.state/writer` claim this writer put.
    claim: Option<UpdateVersion>,
    /// Set once another writer has been seen: from then on this one stages nothing.
    fenced: std::sync::atomic::AtomicBool,
}

/// One log in an [`ObjectStorage`]: the [`LogStore`] the ledger engine writes through.
pub struct ObjectLogStore {
    storage: Arc<ObjectStorage>,
    /// Key prefix of this log (root and log prefix), without slashes at either end.
    prefix: String,
    writer: Option<Writer>,
}

impl std::fmt::Debug for ObjectLogStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ObjectLogStore").field("url", &self.url()).finish_non_exhaustive()
    }
}

/// Names an object and an operation in an error.
fn fail(op: &str, location: &str, e: &ObjectError) -> LedgerError {
    LedgerError::Storage(format!("cannot {op} `{location}`: {e}"))
}

impl ObjectLogStore {
    /// The log's URL (`s3://bucket/prefix/2026`), for messages.
    #[must_use]
    pub fn url(&self) -> String {
        format!("{}{}", self.storage.base, self.prefix).trim_end_matches('/').to_owned()
    }

    fn key(&self, rel: &str) -> Result<Path, LedgerError> {
        if rel.is_empty()
            || rel.starts_with('/')
            || rel.split('/').any(|c| c.is_empty() || c == "." || c == "..")
        {
            return Err(LedgerError::Malformed(format!("path `{rel}` is not a relative log path")));
        }
        let full = join(&self.prefix, rel);
        Path::parse(&full)
            .map_err(|e| LedgerError::Malformed(format!("path `{rel}` is not an object key: {e}")))
    }

    fn location(&self, key: &Path) -> String {
        format!("{}{key}", self.storage.base)
    }

    fn writer(&self) -> Result<&Writer, LedgerError> {
        self.writer.as_ref().ok_or_else(|| {
            LedgerError::Storage(format!(
                "`{}` was opened read-only; open it as the log's writer to write",
                self.url()
            ))
        })
    }

    fn lock(&self, dir: &FsPath) -> Result<File, LedgerError> {
        let path = dir.join(&self.prefix).join(LOCK);
        let io = |what: &str, e: std::io::Error| {
            LedgerError::Storage(format!("cannot {what} `{}`: {e}", path.display()))
        };
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| io("create the directory of", e))?;
        }
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| io("open lock", e))?;
        file.try_lock().map_err(|_| {
            LedgerError::Conflict(format!(
                "another sequencer holds `{}`; run one writer per log",
                path.display()
            ))
        })?;
        Ok(file)
    }

    /// Puts a fresh claim in `.state/writer` and returns its version.
    fn claim(&self) -> Result<UpdateVersion, LedgerError> {
        let key = self.key(WRITER)?;
        let location = self.location(&key);
        let token: [u8; 16] = rand::random();
        let hex: String = token.iter().map(|b| format!("{b:02x}")).collect();
        let body = format!("mizan log writer {hex} pid {}\n", std::process::id());
        let store = self.storage.store.clone();
        let put = self.storage.block(async move {
            store
                .put(&key, PutPayload::from(body.into_bytes()))
                .await
                .map_err(|e| fail("claim", &location, &e))
        })??;
        if put.e_tag.is_none() && put.version.is_none() {
            return Err(LedgerError::Storage(format!(
                "`{}` returned no ETag or version for the writer claim, so a second writer could not be \
                 detected; use an S3-compatible store that returns ETags",
                self.url()
            )));
        }
        Ok(UpdateVersion { e_tag: put.e_tag, version: put.version })
    }

    /// Whether `.state/writer` still holds this writer's claim (always, for a local directory,
    /// whose lock file excludes other writers).
    fn still_claimed(&self, w: &Writer) -> Result<bool, LedgerError> {
        let Some(mine) = &w.claim else { return Ok(true) };
        let key = self.key(WRITER)?;
        let location = self.location(&key);
        let store = self.storage.store.clone();
        let now = self.storage.block(async move {
            match store.head(&key).await {
                Ok(meta) => Ok(Some(UpdateVersion { e_tag: meta.e_tag, version: meta.version })),
                Err(ObjectError::NotFound { .. }) => Ok(None),
                Err(e) => Err(fail("check the writer claim", &location, &e)),
            }
        })??;
        Ok(now.is_some_and(|now| now.e_tag == mine.e_tag && now.version == mine.version))
    }

    /// Stops this writer for good (another one runs) and says so.
    fn fence(&self, w: &Writer) -> LedgerError {
        w.fenced.store(true, Ordering::SeqCst);
        LedgerError::Conflict(format!(
            "another writer opened `{}` (its `.state/writer` claim replaced this one's); this writer \
             has stopped and acknowledges nothing more: run one writer per log",
            self.url()
        ))
    }

    /// Keys of the staging journal, oldest first.
    fn staged_keys(&self) -> Result<Vec<Path>, LedgerError> {
        let dir = self.key(STAGING)?;
        let location = self.location(&dir);
        let store = self.storage.store.clone();
        let mut keys = self
            .storage
            .block(
                async move { store.list(Some(&dir)).map_ok(|m| m.location).try_collect::<Vec<_>>().await },
            )?
            .map_err(|e| fail("list", &location, &e))?;
        // Zero-padded numbers: name order is staging order.
        keys.sort();
        Ok(keys)
    }

    /// Writes `data` at `key` unless present; present with the same bytes is success.
    async fn create_or_compare(
        store: Arc<dyn ObjectStore>,
        key: Path,
        location: String,
        data: Vec<u8>,
    ) -> Result<(), LedgerError> {
        let opts = PutOptions { mode: PutMode::Create, ..PutOptions::default() };
        match store.put_opts(&key, PutPayload::from(data.clone()), opts).await {
            Ok(_) => Ok(()),
            Err(ObjectError::AlreadyExists { .. }) => {
                let old = match store.get(&key).await {
                    Ok(got) => got.bytes().await.map_err(|e| fail("read", &location, &e))?,
                    Err(e) => return Err(fail("read", &location, &e)),
                };
                if old[..] == data[..] {
                    Ok(())
                } else {
                    Err(LedgerError::Conflict(format!(
                        "`{location}` already holds different bytes; tiles are never overwritten"
                    )))
                }
            }
            Err(e @ ObjectError::NotImplemented { .. }) => Err(LedgerError::Storage(format!(
                "cannot write `{location}` once: the store cannot create an object only if it is absent \
                 (PutMode::Create): {e}"
            ))),
            Err(e) => Err(fail("write", &location, &e)),
        }
    }

    /// Reads the latest record and the version a conditional update of it needs.
    fn read_latest(&self) -> Result<Option<(Vec<u8>, UpdateVersion)>, LedgerError> {
        let key = self.key(LATEST)?;
        let location = self.location(&key);
        let store = self.storage.store.clone();
        self.storage.block(async move {
            match store.get(&key).await {
                Ok(got) => {
                    let version =
                        UpdateVersion { e_tag: got.meta.e_tag.clone(), version: got.meta.version.clone() };
                    let bytes = got.bytes().await.map_err(|e| fail("read", &location, &e))?;
                    Ok(Some((bytes.to_vec(), version)))
                }
                Err(ObjectError::NotFound { .. }) => Ok(None),
                Err(e) => Err(fail("read", &location, &e)),
            }
        })?
    }

    /// Deletes, in the background, the staging records a checkpoint of `size` leaves covers.
    fn prune_staged(&self, writer: &Writer, size: u64) {
        let done: Vec<u64> = {
            let mut pending = writer.unintegrated.lock().unwrap_or_else(PoisonError::into_inner);
            let done: Vec<u64> =
                pending.iter().take_while(|&(_, &end)| end <= size).map(|(&n, _)| n).collect();
            for n in &done {
                pending.remove(n);
            }
            done
        };
        let keys: Vec<Path> =
            done.iter().filter_map(|n| self.key(&format!("{STAGING}/{n:020}")).ok()).collect();
        if keys.is_empty() {
            return;
        }
        let store = self.storage.store.clone();
        // A record left behind is harmless: Log::open skips batches below the latest checkpoint.
        self.storage.spawn(async move {
            let keys = futures_util::stream::iter(keys.into_iter().map(Ok)).boxed();
            store.delete_stream(keys).for_each(|_| async {}).await;
        });
    }
}

/// The leaf count after a staged batch, from the header `encode_staged` writes (`u64` first
/// index, `u32` count, big-endian).
fn staged_end(record: &[u8]) -> Option<u64> {
    let start = u64::from_be_bytes(record.get(..8)?.try_into().ok()?);
    let count = u32::from_be_bytes(record.get(8..12)?.try_into().ok()?);
    start.checked_add(u64::from(count))
}

impl LogStore for ObjectLogStore {
    fn read(&self, rel: &str) -> Result<Option<Vec<u8>>, LedgerError> {
        let key = self.key(rel)?;
        let location = self.location(&key);
        let store = self.storage.store.clone();
        self.storage.block(async move {
            match store.get(&key).await {
                Ok(got) => {
                    got.bytes().await.map(|b| Some(b.to_vec())).map_err(|e| fail("read", &location, &e))
                }
                Err(ObjectError::NotFound { .. }) => Ok(None),
                Err(e) => Err(fail("read", &location, &e)),
            }
        })?
    }

    fn write_once(&self, rel: &str, data: &[u8]) -> Result<(), LedgerError> {
        self.writer()?;
        let key = self.key(rel)?;
        let location = self.location(&key);
        let store = self.storage.store.clone();
        self.storage.block(Self::create_or_compare(store, key, location, data.to_vec()))?
    }

    /// Writes the files concurrently (a few requests in flight), each create-if-absent.
    fn write_many(&self, files: &[(String, Vec<u8>)]) -> Result<(), LedgerError> {
        self.writer()?;
        let jobs = files
            .iter()
            .map(|(rel, data)| {
                let key = self.key(rel)?;
                Ok((self.location(&key), key, data.clone()))
            })
            .collect::<Result<Vec<_>, LedgerError>>()?;
        let store = self.storage.store.clone();
        self.storage.block(async move {
            futures_util::stream::iter(
                jobs.into_iter()
                    .map(|(location, key, data)| Self::create_or_compare(store.clone(), key, location, data)),
            )
            .buffer_unordered(CONCURRENCY)
            .try_collect::<Vec<()>>()
            .await
            .map(drop)
        })?
    }

    /// Lists `<full_path>.p/` and deletes what is there (a partial tile is one object per width).
    fn remove_partials(&self, full_path: &str) -> Result<(), LedgerError> {
        self.writer()?;
        let dir = self.key(&format!("{full_path}.p"))?;
        let location = self.location(&dir);
        let store = self.storage.store.clone();
        self.storage.block(async move {
            let keys = store.list(Some(&dir)).map_ok(|m| m.location).boxed();
            let mut deleted = store.delete_stream(keys);
            while let Some(result) = deleted.next().await {
                match result {
                    Ok(_) | Err(ObjectError::NotFound { .. }) => {}
                    Err(e) => return Err(fail("delete partial tiles under", &location, &e)),
                }
            }
            Ok(())
        })?
    }

    fn publish_checkpoint(&self, data: &[u8]) -> Result<(), LedgerError> {
        self.writer()?;
        let key = self.key(CHECKPOINT_PATH)?;
        let location = self.location(&key);
        let store = self.storage.store.clone();
        let data = data.to_vec();
        self.storage.block(async move {
            store.put(&key, PutPayload::from(data)).await.map(drop).map_err(|e| fail("write", &location, &e))
        })?
    }

    fn latest(&self) -> Result<Option<Vec<u8>>, LedgerError> {
        let got = self.read_latest()?;
        if let Some(w) = &self.writer {
            got.clone_into(&mut w.latest.lock().unwrap_or_else(PoisonError::into_inner));
        }
        Ok(got.map(|(bytes, _)| bytes))
    }

    fn compare_and_swap_latest(&self, old: Option<&[u8]>, new: &[u8]) -> Result<bool, LedgerError> {
        let w = self.writer()?;
        let key = self.key(LATEST)?;
        let location = self.location(&key);
        let store = self.storage.store.clone();
        // One swap at a time from this process; the cache below is per writer.
        let mut cached = w.latest.lock().unwrap_or_else(PoisonError::into_inner);
        let swapped = if self.storage.local.is_some() {
            // LocalFileSystem has no conditional update; the lock file excludes other
            // processes and the mutex held here other threads, so compare-then-overwrite is
            // a compare-and-swap.
            let current = self.read_latest()?.map(|(b, _)| b);
            if current.as_deref() == old {
                let data = new.to_vec();
                self.storage.block(async move {
                    store.put(&key, PutPayload::from(data)).await.map_err(|e| fail("write", &location, &e))
                })??;
                true
            } else {
                false
            }
        } else {
            let mode = match old {
                None => PutMode::Create,
                Some(old) => {
                    let version = match cached.as_ref() {
                        Some((bytes, version))
                            if bytes == old && (version.e_tag.is_some() || version.version.is_some()) =>
                        {
                            version.clone()
                        }
                        _ => match self.read_latest()? {
                            Some((bytes, version)) if bytes == old => version,
                            _ => return Ok(false),
                        },
                    };
                    PutMode::Update(version)
                }
            };
            let opts = PutOptions { mode, ..PutOptions::default() };
            let data = new.to_vec();
            let result = self.storage.block(async move {
                match store.put_opts(&key, PutPayload::from(data), opts).await {
                    Ok(put) => Ok(Some(UpdateVersion { e_tag: put.e_tag, version: put.version })),
                    Err(
                        ObjectError::AlreadyExists { .. }
                        | ObjectError::Precondition { .. }
                        | ObjectError::NotFound { .. },
                    ) => Ok(None),
                    Err(e @ ObjectError::NotImplemented { .. }) => Err(LedgerError::Storage(format!(
                        "cannot compare-and-swap `{location}`: the store cannot make conditional updates \
                         (PutMode::Update): {e}; use an S3-compatible store with conditional writes, or a \
                         `file://` directory (swapped under a lock file)"
                    ))),
                    Err(e) => Err(fail("compare-and-swap", &location, &e)),
                }
            })??;
            match result {
                Some(version) => {
                    *cached = Some((new.to_vec(), version));
                    true
                }
                None => {
                    *cached = None;
                    false
                }
            }
        };
        drop(cached);
        if swapped {
            let body = std::str::from_utf8(new)
                .ok()
                .and_then(|t| t.split_once("\n\n"))
                .map(|(b, _)| format!("{b}\n"));
            if let Some(cp) = body.and_then(|b| Checkpoint::parse_body(&b).ok()) {
                self.prune_staged(w, cp.size);
            }
        }
        Ok(swapped)
    }

    fn stage(&self, record: &[u8]) -> Result<(), LedgerError> {
        let w = self.writer()?;
        if w.fenced.load(Ordering::SeqCst) {
            return Err(self.fence(w));
        }
        let n = w.next_seq.fetch_add(1, Ordering::SeqCst);
        let key = self.key(&format!("{STAGING}/{n:020}"))?;
        let location = self.location(&key);
        let store = self.storage.store.clone();
        let data = record.to_vec();
        let staged = {
            let (key, store) = (key.clone(), store.clone());
            self.storage.block(async move {
                let opts = PutOptions { mode: PutMode::Create, ..PutOptions::default() };
                match store.put_opts(&key, PutPayload::from(data), opts).await {
                    Ok(_) => Ok(true),
                    // Another writer took this number: it runs, so this one stops.
                    Err(ObjectError::AlreadyExists { .. }) => Ok(false),
                    Err(e) => Err(fail("stage", &location, &e)),
                }
            })??
        };
        if !staged {
            return Err(self.fence(w));
        }
        if !self.still_claimed(w)? {
            // Not acknowledged, so not replayed: a newer writer may already use these indices.
            // Should the delete fail, the newer writer stops at this number instead.
            let _ = self.storage.block(async move { store.delete(&key).await });
            return Err(self.fence(w));
        }
        if let Some(end) = staged_end(record) {
            w.unintegrated.lock().unwrap_or_else(PoisonError::into_inner).insert(n, end);
        }
        Ok(())
    }

    fn staged(&self) -> Result<Vec<Vec<u8>>, LedgerError> {
        let keys = self.staged_keys()?;
        let store = self.storage.store.clone();
        let base = self.storage.base.clone();
        self.storage.block(async move {
            let records: Vec<Option<Vec<u8>>> = futures_util::stream::iter(keys.into_iter().map(|key| {
                let store = store.clone();
                let location = format!("{base}{key}");
                async move {
                    match store.get(&key).await {
                        Ok(got) => got
                            .bytes()
                            .await
                            .map(|b| Some(b.to_vec()))
                            .map_err(|e| fail("read", &location, &e)),
                        // Deleted by a prune since the listing: integrated already.
                        Err(ObjectError::NotFound { .. }) => Ok(None),
                        Err(e) => Err(fail("read", &location, &e)),
                    }
                }
            }))
            .buffered(CONCURRENCY)
            .try_collect()
            .await?;
            Ok(records.into_iter().flatten().collect())
        })?
    }

    fn clear_staged(&self) -> Result<(), LedgerError> {
        let w = self.writer()?;
        let keys = self.staged_keys()?;
        let location = self.location(&self.key(STAGING)?);
        let store = self.storage.store.clone();
        self.storage.block(async move {
            let keys = futures_util::stream::iter(keys.into_iter().map(Ok)).boxed();
            let mut deleted = store.delete_stream(keys);
            while let Some(result) = deleted.next().await {
                match result {
                    Ok(_) | Err(ObjectError::NotFound { .. }) => {}
                    Err(e) => return Err(fail("delete staged records under", &location, &e)),
                }
            }
            Ok(())
        })??;
        w.unintegrated.lock().unwrap_or_else(PoisonError::into_inner).clear();
        Ok(())
    }
}
