//! The national AI data repository's operations (issue #18): a steward creates a dataset,
//! uploads files and changes metadata (each a new immutable version), and publishes a version;
//! everyone finds published datasets by search, reads their profiles and metadata, and
//! downloads files under the version's access tier.
//!
//! **Files.** An upload is streamed to a temporary file under `<data-dir>/datasets/tmp` while
//! its SHA-256 is computed and its size checked against `Limits::dataset_file_bytes` at every
//! chunk, so memory stays flat and an over-long body stops at the limit. The file is then
//! profiled and scanned for personal data in one streaming pass (`mizan-profile` with a
//! `mizan-pii` column scanner as the observer of every column, off the async workers and under
//! the heavy-work permit), and only if that succeeds is it renamed to its content address
//! `<data-dir>/datasets/sha256/<aa>/<hex>` (fsync'd, with its directory) before the version
//! that names it is written. A refused or interrupted upload removes its temporary file: no
//! half-written state, nothing a row does not name. The same bytes uploaded twice are stored
//! once.
//!
//! **Publication.** A version whose scan flagged a direct identifier cannot be published open
//! or registered until the steward removes the column (a new file) or records a reason in the
//! metadata (`mizan_catalog::publication_check`); the flag stays on the page either way.
//!
//! **Search.** The index (`mizan-search`, under `<data-dir>/search`) holds each dataset's newest
//! published version; it is replaced on every publication and rebuilt from the database when
//! it is missing or empty on start ([`Platform::open_search`]).

use std::io::Write as _;

use futures_util::StreamExt as _;
use object_store::ObjectStoreExt as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::io::{AsyncReadExt as _, AsyncSeekExt as _, AsyncWriteExt as _};

use mizan_catalog::{AccessTier, DatasetMeta, Distribution, FileFormat, Flag, Source};
use mizan_store::{ActorRef, DatasetVersionRef, NewDatasetVersion, OrgScope, StoredDatasetVersion};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::{Error, Platform};

/// A demo version to seed: its metadata and its files (name, bytes).
pub(crate) type SeedVersion<'a> = (&'a DatasetMeta, Vec<(&'a str, &'a [u8])>);

/// Most files one version may have.
pub const MAX_FILES: usize = 20;

/// A column the personal-data scan flagged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PiiFlag {
    /// The column.
    pub column: String,
    /// What it holds (`cnic`, `mobile-phone`, `iban`, ...: `mizan_pii::Kind::id`).
    pub kind: String,
    /// A direct identifier: blocks open and registered publication without a reason.
    pub direct: bool,
    /// Share of the column's values that match the kind.
    pub share: f64,
    /// Values checked.
    pub values_checked: u64,
    /// Why it was flagged: `column-name`, `values` or `both`.
    pub evidence: String,
}

/// What the upload scan found in one file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FileScan {
    /// The distribution's name.
    pub name: String,
    /// The profile (`mizan.dataset-profile/1`); `None` for a file that is not tabular.
    pub profile: Option<mizan_profile::Profile>,
    /// Flagged columns.
    pub pii: Vec<PiiFlag>,
}

/// The scans of a version's files.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Scan {
    /// One per tabular or other file, by name.
    pub files: Vec<FileScan>,
}

impl Scan {
    /// The scan of the file named `name`.
    #[must_use]
    pub fn file(&self, name: &str) -> Option<&FileScan> {
        self.files.iter().find(|f| f.name == name)
    }

    /// Every flag, for the publication gate.
    #[must_use]
    pub fn flags(&self) -> Vec<Flag> {
        self.files
            .iter()
            .flat_map(|f| f.pii.iter())
            .map(|p| Flag { column: p.column.clone(), kind: p.kind.clone(), direct: p.direct })
            .collect()
    }
}

/// A dataset version as pages and the API read it.
#[derive(Debug, Clone)]
pub struct DatasetView {
    /// The stored row (slug, publisher, version, times).
    pub stored: StoredDatasetVersion,
    /// Its metadata.
    pub meta: DatasetMeta,
    /// Its files.
    pub files: Vec<Distribution>,
    /// What the scan found.
    pub scan: Scan,
    /// The dataset's versions, newest first (published ones only for the public).
    pub versions: Vec<DatasetVersionRef>,
}

impl DatasetView {
    fn from_stored(
        stored: StoredDatasetVersion,
        versions: Vec<DatasetVersionRef>,
    ) -> Result<DatasetView, Error> {
        let corrupt = |what: &str, e: serde_json::Error| {
            Error::Internal(format!(
                "stored {what} of dataset `{}` v{} is unreadable: {e}",
                stored.slug, stored.version
            ))
        };
        let meta = serde_json::from_str(&stored.meta_json).map_err(|e| corrupt("metadata", e))?;
        let files = serde_json::from_str(&stored.files_json).map_err(|e| corrupt("files", e))?;
        let scan = serde_json::from_str(&stored.scan_json).map_err(|e| corrupt("scan", e))?;
        Ok(DatasetView { stored, meta, files, scan, versions })
    }

    /// The distribution named `name`.
    #[must_use]
    pub fn file(&self, name: &str) -> Option<&Distribution> {
        self.files.iter().find(|f| f.name == name)
    }

    /// Flagged direct identifiers that still block publication at this version's tier.
    #[must_use]
    pub fn blocking_flags(&self) -> Vec<Flag> {
        mizan_catalog::publication_check(&self.meta, &self.scan.flags()).err().unwrap_or_default()
    }

    /// Whether this version is published.
    #[must_use]
    pub fn is_published(&self) -> bool {
        self.stored.published_at.is_some()
    }

    /// The search index's document for this version.
    #[must_use]
    pub fn search_doc(&self) -> mizan_search::SearchDoc {
        let mut provinces: Vec<String> = self
            .meta
            .spatial
            .iter()
            .filter_map(|p| mizan_catalog::vocab::province_of(p))
            .map(|p| p.id.clone())
            .collect();
        provinces.sort();
        provinces.dedup();
        let mut formats: Vec<String> = self.files.iter().map(|f| f.format.label().to_owned()).collect();
        formats.sort();
        formats.dedup();
        let modified =
            time::OffsetDateTime::parse(&self.stored.at, &time::format_description::well_known::Rfc3339)
                .map(time::OffsetDateTime::unix_timestamp)
                .unwrap_or_default();
        mizan_search::SearchDoc {
            id: self.stored.slug.clone(),
            org: self.stored.org_slug.clone(),
            publisher_en: self.stored.org_name.clone(),
            publisher_ur: self.stored.org_name.clone(),
            title_en: self.meta.title.en.clone(),
            title_ur: self.meta.title.ur.clone(),
            description_en: self.meta.description.en.clone(),
            description_ur: self.meta.description.ur.clone(),
            keywords: self.meta.keywords.clone(),
            themes: self.meta.themes.clone(),
            licence: self.meta.licence.clone(),
            formats,
            access: self.meta.access.id().to_owned(),
            provinces,
            modified,
            version: u32::try_from(self.stored.version).unwrap_or(u32::MAX),
        }
    }
}

/// The repository's files: kept at `<data-dir>/datasets/sha256/<aa>/<hex>`, or under the
/// same key (`datasets/sha256/<aa>/<hex>`) in object storage when one is configured; uploads in
/// progress always under `<data-dir>/datasets/tmp`, where they are profiled and scanned before
/// they are kept.
#[derive(Debug)]
pub struct DatasetFiles {
    root: PathBuf,
    remote: Option<Arc<mizan_ledger_object::ObjectStorage>>,
}

/// Bytes of a kept file as they are read: chunks of at most [`READ_CHUNK`].
pub type ByteStream = futures_util::stream::BoxStream<'static, std::io::Result<bytes::Bytes>>;

/// The largest chunk a read hands over.
pub const READ_CHUNK: usize = 256 * 1024;

/// The largest part of a multipart upload to object storage.
const PART: usize = 8 * 1024 * 1024;

fn storage_error(what: &str, e: impl std::fmt::Display) -> Error {
    Error::Internal(format!("{what}: {e}"))
}

impl DatasetFiles {
    /// The files under `data_dir`.
    #[must_use]
    pub fn in_data_dir(data_dir: &Path) -> DatasetFiles {
        DatasetFiles { root: data_dir.join("datasets"), remote: None }
    }

    /// Kept files in `storage` (uploads still pass through `data_dir`).
    #[must_use]
    pub fn in_object_storage(
        data_dir: &Path,
        storage: Arc<mizan_ledger_object::ObjectStorage>,
    ) -> DatasetFiles {
        DatasetFiles { root: data_dir.join("datasets"), remote: Some(storage) }
    }

    /// Where kept files live, for messages: a directory or an object storage URL.
    #[must_use]
    pub fn location(&self) -> String {
        match &self.remote {
            Some(r) => format!("{}/datasets", r.url()),
            None => self.root.display().to_string(),
        }
    }

    /// The file name of the bytes with this SHA-256 under the kept files' root.
    fn name(sha256: &str) -> String {
        let prefix = sha256.get(..2).unwrap_or("00");
        format!("sha256/{prefix}/{sha256}")
    }

    /// Where the bytes with this SHA-256 are kept on local disk (without object storage).
    #[must_use]
    pub fn path(&self, sha256: &str) -> PathBuf {
        self.root.join(Self::name(sha256))
    }

    fn object(
        remote: &mizan_ledger_object::ObjectStorage,
        sha256: &str,
    ) -> Result<(Arc<dyn object_store::ObjectStore>, object_store::path::Path), Error> {
        remote
            .object(&format!("datasets/{}", Self::name(sha256)))
            .map_err(|e| storage_error("dataset file key", e))
    }

    fn tmp_dir(&self) -> PathBuf {
        self.root.join("tmp")
    }

    /// Removes uploads a crash left behind (called on start).
    pub fn clear_tmp(&self) {
        let _ = std::fs::remove_dir_all(self.tmp_dir());
    }

    fn tmp_file(&self) -> Result<(PathBuf, std::fs::File), Error> {
        let dir = self.tmp_dir();
        std::fs::create_dir_all(&dir)
            .map_err(|e| Error::Internal(format!("cannot create `{}`: {e}", dir.display())))?;
        let name: String = (0..16).map(|_| char::from(b'a' + rand::random::<u8>() % 26)).collect();
        let path = dir.join(name);
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| Error::Internal(format!("cannot create `{}`: {e}", path.display())))?;
        Ok((path, file))
    }

    /// Starts an upload of at most `limit` bytes.
    ///
    /// # Errors
    /// [`Error::Internal`] when the temporary file cannot be created.
    pub fn begin(&self, field: &str, limit: u64) -> Result<Upload, Error> {
        let (path, file) = self.tmp_file()?;
        Ok(Upload {
            tmp: TempFile(Some(path)),
            file: Some(std::io::BufWriter::with_capacity(256 * 1024, file)),
            hasher: Sha256::new(),
            bytes: 0,
            limit,
            field: field.to_owned(),
        })
    }

    /// Keeps a scanned upload at its content address, unless the same bytes are already kept:
    /// renamed into place (fsync'd) on local disk, or streamed to object storage in parts (the
    /// object appears whole or not at all) and the temporary file removed.
    pub(crate) async fn keep(&self, mut staged: StagedFile) -> Result<(), Error> {
        let Some(remote) = &self.remote else {
            let dest = self.path(&staged.sha256);
            return tokio::task::spawn_blocking(move || keep_local(&dest, &mut staged))
                .await
                .map_err(|e| Error::Internal(format!("keeping the file stopped: {e}")))?;
        };
        let (store, key) = Self::object(remote, &staged.sha256)?;
        if store.head(&key).await.is_ok() {
            return Ok(());
        }
        let src =
            staged.tmp.0.clone().ok_or_else(|| Error::Internal("the upload was already kept".into()))?;
        let upload =
            store.put_multipart(&key).await.map_err(|e| storage_error("cannot start the upload", e))?;
        let mut writer = object_store::WriteMultipart::new_with_chunk_size(upload, PART);
        let mut file = tokio::fs::File::open(&src)
            .await
            .map_err(|e| Error::Internal(format!("cannot read `{}`: {e}", src.display())))?;
        let mut buf = vec![0u8; PART];
        loop {
            let n = file
                .read(&mut buf)
                .await
                .map_err(|e| Error::Internal(format!("cannot read the upload: {e}")))?;
            if n == 0 {
                break;
            }
            // Bounded: at most two parts in flight, so memory stays a few parts whatever the size.
            if let Err(e) = writer.wait_for_capacity(2).await {
                let _ = writer.abort().await;
                return Err(storage_error("cannot store the file", e));
            }
            writer.write(&buf[..n]);
        }
        writer.finish().await.map_err(|e| storage_error("cannot store the file", e))?;
        Ok(())
    }

    /// A readable copy on local disk of a kept file, for a new scan: the kept file itself, or a
    /// download into the temporary directory (removed when the returned guard is dropped).
    pub(crate) async fn local_copy(&self, sha256: &str) -> Result<(PathBuf, Option<TempFile>), Error> {
        let Some(remote) = &self.remote else { return Ok((self.path(sha256), None)) };
        let (store, key) = Self::object(remote, sha256)?;
        let (path, file) = self.tmp_file()?;
        let guard = TempFile(Some(path.clone()));
        let mut file = tokio::fs::File::from_std(file);
        let mut stream = store
            .get(&key)
            .await
            .map_err(|e| storage_error(&format!("cannot read kept file {sha256}"), e))?
            .into_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| storage_error(&format!("cannot read kept file {sha256}"), e))?;
            file.write_all(&chunk).await.map_err(|e| Error::Internal(format!("cannot write a copy: {e}")))?;
        }
        file.flush().await.map_err(|e| Error::Internal(format!("cannot write a copy: {e}")))?;
        Ok((path, Some(guard)))
    }

    /// A kept file on local disk for repeated reads (the sandbox's tables): the kept file
    /// itself, or a copy under `<data-dir>/datasets/cache`, downloaded once and renamed into
    /// place whole.
    ///
    /// # Errors
    /// [`Error::Internal`] when storage fails.
    pub(crate) async fn cached_copy(&self, sha256: &str) -> Result<PathBuf, Error> {
        if self.remote.is_none() {
            return Ok(self.path(sha256));
        }
        let dest = self.root.join("cache").join(sha256);
        if tokio::fs::try_exists(&dest).await.unwrap_or(false) {
            return Ok(dest);
        }
        // The copy's guard removes nothing once it is renamed away.
        let (path, _guard) = self.local_copy(sha256).await?;
        let dir = self.root.join("cache");
        tokio::fs::create_dir_all(&dir)
            .await
            .map_err(|e| Error::Internal(format!("cannot create `{}`: {e}", dir.display())))?;
        tokio::fs::rename(&path, &dest)
            .await
            .map_err(|e| Error::Internal(format!("cannot keep `{}`: {e}", dest.display())))?;
        Ok(dest)
    }

    /// The size of a kept file.
    ///
    /// # Errors
    /// [`Error::NotFound`] when it is not kept; [`Error::Internal`] when storage fails.
    pub async fn size(&self, sha256: &str) -> Result<u64, Error> {
        match &self.remote {
            None => {
                let path = self.path(sha256);
                match tokio::fs::metadata(&path).await {
                    Ok(m) => Ok(m.len()),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                        Err(Error::NotFound(format!("kept file {sha256}")))
                    }
                    Err(e) => Err(Error::Internal(format!("cannot read `{}`: {e}", path.display()))),
                }
            }
            Some(remote) => {
                let (store, key) = Self::object(remote, sha256)?;
                match store.head(&key).await {
                    Ok(meta) => Ok(meta.size),
                    Err(object_store::Error::NotFound { .. }) => {
                        Err(Error::NotFound(format!("kept file {sha256}")))
                    }
                    Err(e) => Err(storage_error(&format!("cannot read kept file {sha256}"), e)),
                }
            }
        }
    }

    /// Reads `count` bytes of a kept file from `start`, a chunk at a time; a file that ends
    /// early ends the stream early.
    ///
    /// # Errors
    /// [`Error::NotFound`] when it is not kept; [`Error::Internal`] when storage fails.
    pub async fn read(&self, sha256: &str, start: u64, count: u64) -> Result<ByteStream, Error> {
        use futures_util::StreamExt as _;
        if count == 0 {
            return Ok(futures_util::stream::empty().boxed());
        }
        let Some(remote) = &self.remote else {
            let path = self.path(sha256);
            let mut file = tokio::fs::File::open(&path).await.map_err(|e| match e.kind() {
                std::io::ErrorKind::NotFound => Error::NotFound(format!("kept file {sha256}")),
                _ => Error::Internal(format!("cannot open `{}`: {e}", path.display())),
            })?;
            if start > 0 {
                file.seek(std::io::SeekFrom::Start(start))
                    .await
                    .map_err(|e| Error::Internal(format!("cannot seek `{}`: {e}", path.display())))?;
            }
            let stream = futures_util::stream::unfold((file, count), |(mut f, left)| async move {
                if left == 0 {
                    return None;
                }
                let want = usize::try_from(left).unwrap_or(READ_CHUNK).min(READ_CHUNK);
                let mut buf = vec![0u8; want];
                match f.read(&mut buf).await {
                    Ok(0) => None,
                    Ok(n) => {
                        buf.truncate(n);
                        Some((Ok(bytes::Bytes::from(buf)), (f, left - n as u64)))
                    }
                    Err(e) => Some((Err(e), (f, 0))),
                }
            });
            return Ok(stream.boxed());
        };
        let (store, key) = Self::object(remote, sha256)?;
        let options = object_store::GetOptions {
            range: Some(object_store::GetRange::Bounded(start..start + count)),
            ..object_store::GetOptions::default()
        };
        let got = store.get_opts(&key, options).await.map_err(|e| match e {
            object_store::Error::NotFound { .. } => Error::NotFound(format!("kept file {sha256}")),
            e => storage_error(&format!("cannot read kept file {sha256}"), e),
        })?;
        Ok(got.into_stream().map(|r| r.map_err(std::io::Error::other)).boxed())
    }
}

/// Renames a staged upload to `dest` (fsync'd with its directory), unless `dest` exists.
fn keep_local(dest: &Path, staged: &mut StagedFile) -> Result<(), Error> {
    if dest.exists() {
        return Ok(());
    }
    let dir = dest.parent().map(Path::to_path_buf).unwrap_or_default();
    std::fs::create_dir_all(&dir)
        .map_err(|e| Error::Internal(format!("cannot create `{}`: {e}", dir.display())))?;
    let Some(src) = staged.tmp.0.take() else {
        return Err(Error::Internal("the upload was already kept".to_owned()));
    };
    std::fs::rename(&src, dest)
        .and_then(|()| mizan_files::sync_dir(&dir))
        .map_err(|e| Error::Internal(format!("cannot keep `{}`: {e}", dest.display())))
}

/// A temporary file removed when dropped unless taken.
#[derive(Debug)]
pub(crate) struct TempFile(Option<PathBuf>);

impl Drop for TempFile {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// An upload being written: chunks go to a temporary file, hashed and counted as they come.
/// Dropped before [`Upload::finish`] (the client went away, the body was refused), it removes
/// its file.
#[derive(Debug)]
pub struct Upload {
    tmp: TempFile,
    file: Option<std::io::BufWriter<std::fs::File>>,
    hasher: Sha256,
    bytes: u64,
    limit: u64,
    field: String,
}

/// An upload is a writer, for files Mizan makes itself (the sandbox's tables and samples).
impl std::io::Write for Upload {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        Upload::write(self, buf).map_err(std::io::Error::other)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Upload {
    /// Appends a chunk.
    ///
    /// # Errors
    /// [`Error::TooLarge`] as soon as the upload passes its limit (the file is removed when the
    /// upload is dropped); [`Error::Internal`] when the disk refuses the write.
    pub fn write(&mut self, chunk: &[u8]) -> Result<(), Error> {
        self.bytes += chunk.len() as u64;
        if self.bytes > self.limit {
            return Err(Error::TooLarge {
                field: self.field.clone(),
                detail: format!("the file is larger than the limit of {} bytes", self.limit),
            });
        }
        self.hasher.update(chunk);
        let Some(f) = self.file.as_mut() else {
            return Err(Error::Internal("write after finish".to_owned()));
        };
        f.write_all(chunk).map_err(|e| Error::Internal(format!("cannot write the upload: {e}")))
    }

    /// Ends the upload: flushes and syncs the file.
    ///
    /// # Errors
    /// [`Error::BadRequest`] for an empty file; [`Error::Internal`] when the disk refuses.
    pub fn finish(mut self) -> Result<StagedFile, Error> {
        if self.bytes == 0 {
            return Err(Error::bad(self.field.clone(), "the file is empty"));
        }
        let Some(f) = self.file.take() else {
            return Err(Error::Internal("finish called twice".to_owned()));
        };
        let file = f.into_inner().map_err(|e| Error::Internal(format!("cannot write the upload: {e}")))?;
        file.sync_all().map_err(|e| Error::Internal(format!("cannot sync the upload: {e}")))?;
        Ok(StagedFile {
            sha256: hex::encode(self.hasher.clone().finalize()),
            bytes: self.bytes,
            tmp: TempFile(self.tmp.0.take()),
        })
    }
}

/// A whole upload on disk, hashed, not yet kept; removed when dropped unless kept.
#[derive(Debug)]
pub struct StagedFile {
    tmp: TempFile,
    /// SHA-256 of its bytes, lowercase hex.
    pub sha256: String,
    /// Its size.
    pub bytes: u64,
}

/// Adapts a `mizan-pii` column scanner to the profiler's observer.
struct PiiObserver(mizan_pii::ColumnScanner);

impl mizan_profile::ValueObserver for PiiObserver {
    fn observe(&mut self, value: &str) {
        self.0.observe(value);
    }

    /// A Parquet dictionary value is classified once for all its rows.
    fn observe_repeated(&mut self, value: &str, count: u64) {
        self.0.observe_repeated(value, count);
    }
}

fn profile_format(f: FileFormat) -> Option<mizan_profile::Format> {
    match f {
        FileFormat::Csv => Some(mizan_profile::Format::Csv),
        FileFormat::Parquet => Some(mizan_profile::Format::Parquet),
        FileFormat::Jsonl => Some(mizan_profile::Format::JsonLines),
        FileFormat::Other => None,
    }
}

/// Profiles and scans one file (blocking: call off the async workers).
///
/// # Errors
/// [`Error::BadRequest`] naming `file` and the place in it when the file cannot be read as its
/// format says.
pub fn scan_file(path: &Path, name: &str, format: FileFormat, meta: &DatasetMeta) -> Result<FileScan, Error> {
    let Some(pf) = profile_format(format) else {
        return Ok(FileScan { name: name.to_owned(), profile: None, pii: Vec::new() });
    };
    let mut options = mizan_profile::Options {
        sensitive: meta.sensitive_columns().into_iter().map(str::to_owned).collect(),
        formats: meta
            .dictionary
            .iter()
            .filter_map(|c| {
                Some((c.name.clone(), mizan_profile::Pattern::parse(&c.name, c.format.as_deref()?).ok()?))
            })
            .collect(),
        ..mizan_profile::Options::default()
    };
    // Sensitive and declared columns a file does not have are left out rather than refused:
    // the dictionary describes the dataset, and one file may hold a subset of its columns. The
    // profiler names a missing column before it reads any row, so a retry costs a header.
    let profiled = loop {
        let file = std::fs::File::open(path)
            .map_err(|e| Error::Internal(format!("cannot reopen the upload: {e}")))?;
        let mut factory = |column: &str| Some(PiiObserver(mizan_pii::ColumnScanner::new(column)));
        match mizan_profile::profile_file(pf, file, &options, &mut factory) {
            Ok(p) => break p,
            Err(mizan_profile::ProfileError::UnknownColumn { column, .. })
                if options.sensitive.contains(&column)
                    || options.formats.iter().any(|(c, _)| *c == column) =>
            {
                options.sensitive.retain(|c| *c != column);
                options.formats.retain(|(c, _)| *c != column);
            }
            Err(e) => return Err(Error::bad("file", format!("`{name}`: {e}"))),
        }
    };
    let pii = profiled
        .observers
        .iter()
        .filter_map(|(column, obs)| {
            let f = obs.0.finish()?;
            Some(PiiFlag {
                column: column.clone(),
                kind: f.kind.id().to_owned(),
                direct: f.kind.is_direct_identifier(),
                share: f.share,
                values_checked: f.values_checked,
                evidence: match f.evidence {
                    mizan_pii::Evidence::ColumnName { .. } => "column-name",
                    mizan_pii::Evidence::ValueShare => "values",
                    mizan_pii::Evidence::Both { .. } => "both",
                }
                .to_owned(),
            })
        })
        .collect();
    Ok(FileScan { name: name.to_owned(), profile: Some(profiled.profile), pii })
}

fn to_json<T: Serialize>(v: &T) -> Result<String, Error> {
    serde_json::to_string(v).map_err(|e| Error::Internal(format!("cannot write JSON: {e}")))
}

fn check_meta(meta: &DatasetMeta) -> Result<(), Error> {
    match meta.problems().into_iter().next() {
        None => Ok(()),
        Some(e) => Err(Error::bad(e.field, e.message)),
    }
}

fn new_version(meta: &DatasetMeta, files: &[Distribution], scan: &Scan) -> Result<NewDatasetVersion, Error> {
    Ok(NewDatasetVersion {
        meta_json: to_json(meta)?,
        files_json: to_json(&files)?,
        scan_json: to_json(scan)?,
        access: meta.access.id().to_owned(),
    })
}

impl Platform {
    /// The repository's files.
    #[must_use]
    pub fn dataset_files(&self) -> &DatasetFiles {
        &self.dataset_files
    }

    /// The dataset search index.
    #[must_use]
    pub fn search_index(&self) -> &mizan_search::Index {
        &self.search
    }

    /// Rebuilds the search index from the database when it was just created or is empty
    /// (called on start), and clears uploads a crash left behind.
    ///
    /// # Errors
    /// Database or index errors.
    pub async fn open_search(&self) -> Result<usize, Error> {
        self.dataset_files.clear_tmp();
        if !self.search.was_created() && !self.search.is_empty() {
            return Ok(self.search.len());
        }
        self.rebuild_search().await
    }

    /// Rebuilds the search index from every published dataset.
    ///
    /// # Errors
    /// Database or index errors.
    pub async fn rebuild_search(&self) -> Result<usize, Error> {
        let mut docs = Vec::new();
        for stored in self.store.public_datasets().await? {
            docs.push(DatasetView::from_stored(stored, Vec::new())?.search_doc());
        }
        let n = docs.len();
        let index = Arc::clone(&self.search);
        tokio::task::spawn_blocking(move || index.rebuild(docs))
            .await
            .map_err(|e| Error::Internal(format!("search rebuild stopped: {e}")))?
            .map_err(|e| Error::Internal(format!("search rebuild failed: {e}")))?;
        Ok(n)
    }

    /// Creates a dataset at version 1 with no files.
    ///
    /// # Errors
    /// [`Error::BadRequest`] naming the field that is wrong; [`Error::Conflict`] for a slug in use.
    pub async fn create_dataset(
        &self,
        scope: OrgScope,
        actor: &ActorRef,
        slug: &str,
        meta: &DatasetMeta,
    ) -> Result<(), Error> {
        mizan_catalog::check_slug(slug).map_err(|e| Error::bad(e.field, e.message))?;
        check_meta(meta)?;
        let v = new_version(meta, &[], &Scan::default())?;
        self.store.create_dataset(scope, actor, slug, &v, false).await?;
        Ok(())
    }

    /// The organisation's dataset at `version` (the newest when `None`), published or not.
    ///
    /// # Errors
    /// [`Error::NotFound`] when it does not exist or is another organisation's.
    pub async fn org_dataset(
        &self,
        scope: OrgScope,
        slug: &str,
        version: Option<i64>,
    ) -> Result<DatasetView, Error> {
        let stored = self.store.org_dataset_version(scope, slug, version).await?;
        let versions = self.store.dataset_versions(stored.dataset_id, false).await?;
        DatasetView::from_stored(stored, versions)
    }

    /// The organisation's datasets at their newest versions.
    ///
    /// # Errors
    /// Database errors.
    pub async fn org_datasets(&self, scope: OrgScope) -> Result<Vec<DatasetView>, Error> {
        self.store
            .org_datasets(scope)
            .await?
            .into_iter()
            .map(|s| DatasetView::from_stored(s, Vec::new()))
            .collect()
    }

    /// A new version with changed metadata and the same files; returns its number.
    ///
    /// # Errors
    /// [`Error::BadRequest`] naming the field; [`Error::Conflict`] when `after` is not the newest
    /// version.
    pub async fn update_dataset_meta(
        &self,
        scope: OrgScope,
        actor: &ActorRef,
        slug: &str,
        after: i64,
        meta: &DatasetMeta,
    ) -> Result<i64, Error> {
        check_meta(meta)?;
        let cur = self.org_dataset(scope, slug, Some(after)).await?;
        let mut scan = cur.scan.clone();
        // Sensitive columns may have changed: the bias profile needs a fresh pass over each file.
        if meta.sensitive_columns() != cur.meta.sensitive_columns() || meta.dictionary != cur.meta.dictionary
        {
            scan = self.rescan(&cur.files, meta).await?;
        }
        let v = new_version(meta, &cur.files, &scan)?;
        Ok(self.store.add_dataset_version(scope, actor, slug, after, &v).await?)
    }

    async fn rescan(&self, files: &[Distribution], meta: &DatasetMeta) -> Result<Scan, Error> {
        let _permit = self.heavy_permit()?;
        let mut out = Scan::default();
        for f in files {
            let Source::File { sha256, .. } = &f.source else { continue };
            // Held until the scan ends: a copy from object storage is removed with it.
            let (path, _copy) = self.dataset_files.local_copy(sha256).await?;
            let (name, format, meta) = (f.name.clone(), f.format, meta.clone());
            let scan = tokio::task::spawn_blocking(move || scan_file(&path, &name, format, &meta))
                .await
                .map_err(|e| Error::Internal(format!("scan stopped: {e}")))??;
            out.files.push(scan);
        }
        Ok(out)
    }

    /// Adds (or replaces) the file `name` from a finished upload: profiles and scans it, keeps
    /// it, and makes a new version; returns its number. Nothing is kept when the file is refused.
    ///
    /// # Errors
    /// [`Error::BadRequest`] for a bad name or a file that cannot be read as its format;
    /// [`Error::Conflict`] when `after` is not the newest version; [`Error::Busy`] when too
    /// much heavy work runs.
    pub async fn add_dataset_file(
        &self,
        scope: OrgScope,
        actor: &ActorRef,
        slug: &str,
        after: i64,
        name: &str,
        staged: StagedFile,
    ) -> Result<i64, Error> {
        mizan_catalog::check_file_name(name).map_err(|e| Error::bad(e.field, e.message))?;
        let cur = self.org_dataset(scope, slug, Some(after)).await?;
        if cur.file(name).is_none() && cur.files.len() >= MAX_FILES {
            return Err(Error::bad("file", format!("a version holds at most {MAX_FILES} files")));
        }
        let format = FileFormat::from_name(name);
        let scan = {
            let _permit = self.heavy_permit()?;
            let path =
                staged.tmp.0.clone().ok_or_else(|| Error::Internal("upload already kept".to_owned()))?;
            let (n, meta) = (name.to_owned(), cur.meta.clone());
            tokio::task::spawn_blocking(move || scan_file(&path, &n, format, &meta))
                .await
                .map_err(|e| Error::Internal(format!("scan stopped: {e}")))??
        };
        let source = Source::File { sha256: staged.sha256.clone(), bytes: staged.bytes };
        self.dataset_files.keep(staged).await?;
        let dist = Distribution { name: name.to_owned(), format, source };
        let mut files = cur.files.clone();
        let mut scans = cur.scan.clone();
        files.retain(|f| f.name != name);
        scans.files.retain(|f| f.name != name);
        files.push(dist);
        scans.files.push(scan);
        let v = new_version(&cur.meta, &files, &scans)?;
        // The kept file is content-addressed: if this write fails, the bytes stay for a retry
        // and are named by no row (as a document whose filing failed), harmless and bounded by
        // what the steward uploads.
        Ok(self.store.add_dataset_version(scope, actor, slug, after, &v).await?)
    }

    /// A new version without the file `name`.
    ///
    /// # Errors
    /// [`Error::NotFound`] for no such file; [`Error::Conflict`] as [`Self::add_dataset_file`].
    pub async fn remove_dataset_file(
        &self,
        scope: OrgScope,
        actor: &ActorRef,
        slug: &str,
        after: i64,
        name: &str,
    ) -> Result<i64, Error> {
        let cur = self.org_dataset(scope, slug, Some(after)).await?;
        if cur.file(name).is_none() {
            return Err(Error::NotFound(format!("file `{name}` in `{slug}` v{after}")));
        }
        let files: Vec<Distribution> = cur.files.iter().filter(|f| f.name != name).cloned().collect();
        let mut scans = cur.scan.clone();
        scans.files.retain(|f| f.name != name);
        let v = new_version(&cur.meta, &files, &scans)?;
        Ok(self.store.add_dataset_version(scope, actor, slug, after, &v).await?)
    }

    /// Publishes a version and puts it in the search index.
    ///
    /// # Errors
    /// [`Error::Refused`] naming the flagged columns that still need a reason, or when the
    /// version has no file; [`Error::Conflict`] when already published.
    pub async fn publish_dataset(
        &self,
        scope: OrgScope,
        actor: &ActorRef,
        slug: &str,
        version: i64,
    ) -> Result<(), Error> {
        let view = self.org_dataset(scope, slug, Some(version)).await?;
        if view.files.is_empty() {
            return Err(Error::Refused("add at least one file before publishing".to_owned()));
        }
        let blocking = view.blocking_flags();
        if !blocking.is_empty() {
            let cols: Vec<String> = blocking.iter().map(|f| format!("`{}` ({})", f.column, f.kind)).collect();
            return Err(Error::Refused(format!(
                "the scan found direct identifiers in {}: remove the column (upload the file without it) or \
                 record a reason for each in the metadata, or publish as restricted",
                cols.join(", ")
            )));
        }
        self.store.publish_dataset_version(scope, actor, slug, version).await?;
        self.index_dataset(slug).await
    }

    /// Puts a dataset's newest published version in the search index.
    ///
    /// # Errors
    /// Database or index errors.
    pub async fn index_dataset(&self, slug: &str) -> Result<(), Error> {
        let Some(stored) = self.store.public_dataset_version(slug, None).await? else {
            return Ok(());
        };
        let doc = DatasetView::from_stored(stored, Vec::new())?.search_doc();
        let index = Arc::clone(&self.search);
        tokio::task::spawn_blocking(move || index.replace(&doc).and_then(|()| index.commit()))
            .await
            .map_err(|e| Error::Internal(format!("indexing stopped: {e}")))?
            .map_err(|e| Error::Internal(format!("indexing failed: {e}")))
    }

    /// A published version (the newest when `version` is `None`).
    ///
    /// # Errors
    /// [`Error::NotFound`] when there is none.
    pub async fn public_dataset(&self, slug: &str, version: Option<i64>) -> Result<DatasetView, Error> {
        let stored = self.store.public_dataset_version(slug, version).await?.ok_or_else(|| {
            Error::NotFound(match version {
                Some(v) => format!("dataset `{slug}` version {v}"),
                None => format!("dataset `{slug}`"),
            })
        })?;
        let versions = self.store.dataset_versions(stored.dataset_id, true).await?;
        DatasetView::from_stored(stored, versions)
    }

    /// Every dataset's newest published version.
    ///
    /// # Errors
    /// Database errors.
    pub async fn public_datasets(&self) -> Result<Vec<DatasetView>, Error> {
        self.store
            .public_datasets()
            .await?
            .into_iter()
            .map(|s| DatasetView::from_stored(s, Vec::new()))
            .collect()
    }

    /// Searches the published datasets.
    ///
    /// # Errors
    /// [`Error::BadRequest`] for a query the index refuses (too long).
    pub async fn search_datasets(&self, query: mizan_search::Query) -> Result<mizan_search::Results, Error> {
        let index = Arc::clone(&self.search);
        tokio::task::spawn_blocking(move || index.search(&query))
            .await
            .map_err(|e| Error::Internal(format!("search stopped: {e}")))?
            .map_err(|e| Error::bad("q", e.to_string()))
    }

    /// Whether `user_id` accepted the current registered-use terms for this version.
    ///
    /// # Errors
    /// Database errors.
    pub async fn accepted_terms(&self, view: &DatasetView, user_id: i64) -> Result<bool, Error> {
        let Some(t) = mizan_catalog::vocab::terms("registered-use") else {
            return Err(Error::Internal("the registered-use terms are missing".to_owned()));
        };
        Ok(self
            .store
            .accepted_dataset_terms(view.stored.dataset_id, view.stored.version, user_id, (&t.id, t.version))
            .await?)
    }

    /// Records that `user_id` accepted the current registered-use terms for this version.
    ///
    /// # Errors
    /// Database errors.
    pub async fn accept_terms(&self, view: &DatasetView, user_id: i64) -> Result<(), Error> {
        let Some(t) = mizan_catalog::vocab::terms("registered-use") else {
            return Err(Error::Internal("the registered-use terms are missing".to_owned()));
        };
        if !self.accepted_terms(view, user_id).await? {
            self.store
                .accept_dataset_terms(
                    view.stored.dataset_id,
                    view.stored.version,
                    user_id,
                    (&t.id, t.version),
                )
                .await?;
        }
        Ok(())
    }

    /// The path of a published file `user_id` may download, recording the download of a
    /// governed version.
    ///
    /// # Errors
    /// [`Error::NotFound`] for no such file; [`Error::Refused`] when the tier needs a signed-in
    /// person who accepted the terms, or an approved access request.
    pub async fn dataset_download(
        &self,
        view: &DatasetView,
        name: &str,
        who: crate::dataset_access::Downloader<'_>,
    ) -> Result<Distribution, Error> {
        let user_id = who.user;
        let dist = view.file(name).cloned().ok_or_else(|| {
            Error::NotFound(format!("file `{name}` in `{}` v{}", view.stored.slug, view.stored.version))
        })?;
        let Source::File { .. } = &dist.source else {
            return Err(Error::NotFound(format!("file `{name}` is kept elsewhere")));
        };
        match view.meta.access {
            AccessTier::Open => {}
            AccessTier::Registered => {
                let Some(user) = user_id else {
                    return Err(Error::Refused(
                        "sign in and accept the terms of use to download this file".to_owned(),
                    ));
                };
                if !self.accepted_terms(view, user).await? {
                    return Err(Error::Refused("accept the terms of use to download this file".to_owned()));
                }
                self.store
                    .record_dataset_download(view.stored.dataset_id, view.stored.version, name, Some(user))
                    .await?;
            }
            AccessTier::Restricted => self.restricted_download(view, name, who).await?,
        }
        Ok(dist)
    }

    /// Seeds a demo dataset's versions, oldest first, each published with its metadata and
    /// files, unless the dataset exists.
    ///
    /// # Errors
    /// Store, scan or file errors.
    pub(crate) async fn seed_dataset(
        &self,
        scope: OrgScope,
        actor: &ActorRef,
        slug: &str,
        versions: &[SeedVersion<'_>],
    ) -> Result<bool, Error> {
        if self.store.org_dataset_version(scope, slug, None).await.is_ok() {
            return Ok(false);
        }
        let Some((first, _)) = versions.first() else { return Ok(false) };
        let v = new_version(first, &[], &Scan::default())?;
        self.store.create_dataset(scope, actor, slug, &v, true).await?;
        let mut at = 1;
        let mut meta: &DatasetMeta = first;
        for (m, files) in versions {
            if *m != meta {
                at = self.update_dataset_meta(scope, actor, slug, at, m).await?;
                meta = m;
            }
            for (name, bytes) in files {
                let mut up = self.dataset_files.begin("file", self.config.limits.dataset_file_bytes)?;
                up.write(bytes)?;
                let staged = up.finish()?;
                at = self.add_dataset_file(scope, actor, slug, at, name, staged).await?;
            }
            self.publish_dataset(scope, actor, slug, at).await?;
        }
        Ok(true)
    }
}

/// What the metadata exports (`mizan_catalog::export`) need beside the version's metadata, owned
/// so a [`mizan_catalog::export::VersionView`] can borrow it.
#[derive(Debug, Clone)]
pub struct ExportParts {
    /// The publisher.
    pub publisher: mizan_catalog::export::Publisher,
    /// The files with their columns.
    pub files: Vec<mizan_catalog::export::FileView>,
    /// What the bias profile and the scan add to the steward's responsible-AI notes.
    pub rai: mizan_catalog::export::RaiExtra,
    /// When the dataset was first published.
    pub issued: time::OffsetDateTime,
    /// When this version was published (or made).
    pub modified: time::OffsetDateTime,
}

fn parse_time(at: &str) -> time::OffsetDateTime {
    time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
}

fn column_type(kind: mizan_profile::Kind) -> mizan_catalog::ColumnType {
    use mizan_catalog::ColumnType as C;
    match kind {
        mizan_profile::Kind::Integer => C::Integer,
        mizan_profile::Kind::Float => C::Number,
        mizan_profile::Kind::Boolean => C::Boolean,
        mizan_profile::Kind::Date => C::Date,
        mizan_profile::Kind::Datetime => C::Datetime,
        mizan_profile::Kind::Text | mizan_profile::Kind::Empty => C::Text,
    }
}

impl DatasetView {
    /// The export inputs for this version at `base_url`.
    #[must_use]
    pub fn export_parts(&self, base_url: &str) -> ExportParts {
        use std::fmt::Write as _;
        let slug = &self.stored.slug;
        let ver = self.stored.version;
        let files = self
            .files
            .iter()
            .filter_map(|f| {
                let Source::File { sha256, bytes } = &f.source else { return None };
                let profile = self.scan.file(&f.name).and_then(|s| s.profile.as_ref());
                let columns = profile
                    .map(|p| {
                        p.columns
                            .iter()
                            .map(|c| {
                                let declared = self.meta.dictionary.iter().find(|d| d.name == c.name);
                                mizan_catalog::export::ColumnView {
                                    name: c.name.clone(),
                                    kind: declared.map_or_else(|| column_type(c.kind), |d| d.kind),
                                    description: declared
                                        .map(|d| d.description.en.clone())
                                        .unwrap_or_default(),
                                }
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                Some(mizan_catalog::export::FileView {
                    name: f.name.clone(),
                    format: f.format,
                    bytes: *bytes,
                    sha256: sha256.clone(),
                    download_url: format!("{base_url}/datasets/{slug}/v/{ver}/files/{}", url_path(&f.name)),
                    columns,
                })
            })
            .collect();
        let mut biases = String::new();
        let mut personal = String::new();
        for f in &self.scan.files {
            for p in &f.pii {
                let _ = write!(
                    personal,
                    "The upload scan flagged column `{}` of {} as {} ({:.0} % of {} values). ",
                    p.column,
                    f.name,
                    p.kind,
                    p.share * 100.0,
                    p.values_checked
                );
            }
            let Some(bias) = f.profile.as_ref().and_then(|p| p.bias.as_ref()) else { continue };
            for col in &bias.columns {
                let small: Vec<String> = col
                    .groups
                    .iter()
                    .filter(|g| g.under_min_size)
                    .map(|g| format!("`{}` ({})", g.value, g.count))
                    .collect();
                let shares: Vec<String> = col
                    .groups
                    .iter()
                    .take(8)
                    .map(|g| format!("{} {:.1} %", g.value, g.share * 100.0))
                    .collect();
                let _ =
                    write!(biases, "In {}, column `{}` splits as {}", f.name, col.column, shares.join(", "));
                if !small.is_empty() {
                    let _ =
                        write!(biases, "; groups under {} rows: {}", bias.min_group_size, small.join(", "));
                }
                biases.push_str(". ");
            }
        }
        ExportParts {
            publisher: mizan_catalog::export::Publisher {
                slug: self.stored.org_slug.clone(),
                name: mizan_catalog::Text::new(&self.stored.org_name, ""),
                homepage: format!("{base_url}/datasets?publisher={}", self.stored.org_slug),
            },
            files,
            rai: mizan_catalog::export::RaiExtra {
                biases: biases.trim_end().to_owned(),
                personal_info: personal.trim_end().to_owned(),
            },
            issued: parse_time(self.stored.first_published_at.as_deref().unwrap_or(&self.stored.at)),
            modified: parse_time(self.stored.published_at.as_deref().unwrap_or(&self.stored.at)),
        }
    }

    /// The export view of this version, borrowing `parts` (from [`Self::export_parts`]).
    #[must_use]
    pub fn export_view<'a>(
        &'a self,
        base_url: &'a str,
        parts: &'a ExportParts,
    ) -> mizan_catalog::export::VersionView<'a> {
        mizan_catalog::export::VersionView {
            base_url,
            publisher: &parts.publisher,
            slug: &self.stored.slug,
            version: u32::try_from(self.stored.version).unwrap_or(u32::MAX),
            issued: parts.issued,
            modified: parts.modified,
            meta: &self.meta,
            files: &parts.files,
            rai_extra: &parts.rai,
        }
    }
}

/// A file name as a URL path segment (percent-encoded outside unreserved characters).
#[must_use]
pub fn url_path(name: &str) -> String {
    let mut out = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
