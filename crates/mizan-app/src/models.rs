//! Model files, content-addressed under `<data-dir>/models/<sha256>`.
//!
//! A file's name is the SHA-256 of its bytes, so a name never points at two contents and the
//! same model uploaded twice is stored once. A file is written to a temporary name, synced,
//! renamed into place and its directory synced, so after `put` returns the bytes survive a
//! crash and a reader never sees half a file. The database row that refers to a file is written
//! only after `put`; a crash in between leaves an unreferenced file, never a dangling row.

use crate::Error;
use std::path::{Path, PathBuf};

/// Why a model file could not be kept or read.
#[derive(Debug, thiserror::Error)]
pub enum ModelFileError {
    /// The file system said no.
    #[error("model file `{path}`: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The name is not a lowercase hex SHA-256.
    #[error("`{0}` is not a model hash (64 lowercase hex digits)")]
    BadHash(String),
    /// The bytes on disk no longer hash to their name.
    #[error("model file `{0}` does not match its hash; restore it from backup")]
    Corrupt(PathBuf),
}

/// The directory of model files.
#[derive(Debug, Clone)]
pub struct ModelFiles {
    dir: PathBuf,
}

fn is_hash(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

impl ModelFiles {
    /// Model files under `<data_dir>/models` (created on first write).
    #[must_use]
    pub fn in_data_dir(data_dir: &Path) -> ModelFiles {
        ModelFiles { dir: data_dir.join("models") }
    }

    /// Where the file of `sha256` lives.
    ///
    /// # Errors
    /// [`ModelFileError::BadHash`] unless `sha256` is 64 lowercase hex digits.
    pub fn path(&self, sha256: &str) -> Result<PathBuf, ModelFileError> {
        if is_hash(sha256) {
            Ok(self.dir.join(sha256))
        } else {
            Err(ModelFileError::BadHash(sha256.to_owned()))
        }
    }

    /// Keeps `bytes` durably under their hash and returns it. Blocking: call from
    /// `spawn_blocking`.
    ///
    /// # Errors
    /// [`ModelFileError::Io`] naming the file.
    pub fn put(&self, bytes: &[u8]) -> Result<String, ModelFileError> {
        let sha256 = mizan_explain::model_hash(bytes);
        let path = self.path(&sha256)?;
        let io = |path: &Path| {
            let path = path.to_owned();
            move |source| ModelFileError::Io { path, source }
        };
        if std::fs::read(&path).is_ok_and(|old| old == bytes) {
            return Ok(sha256);
        }
        std::fs::create_dir_all(&self.dir).map_err(io(&self.dir))?;
        mizan_files::write_atomic(&path, bytes).map_err(io(&path))?;
        Ok(sha256)
    }

    /// The bytes of model `sha256`, checked against the hash. Blocking: call from
    /// `spawn_blocking`.
    ///
    /// # Errors
    /// [`ModelFileError::Io`] when missing or unreadable; [`ModelFileError::Corrupt`] when the
    /// bytes changed.
    pub fn get(&self, sha256: &str) -> Result<Vec<u8>, ModelFileError> {
        let path = self.path(sha256)?;
        let bytes =
            std::fs::read(&path).map_err(|source| ModelFileError::Io { path: path.clone(), source })?;
        if mizan_explain::model_hash(&bytes) != sha256 {
            return Err(ModelFileError::Corrupt(path));
        }
        Ok(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_named_by_their_hash_and_checked_on_read() {
        let dir = tempfile::tempdir().expect("temp dir");
        let files = ModelFiles::in_data_dir(dir.path());
        let h = files.put(b"{\"format\": \"x\"}").expect("put");
        assert_eq!(h, mizan_explain::model_hash(b"{\"format\": \"x\"}"));
        assert_eq!(files.put(b"{\"format\": \"x\"}").expect("again"), h, "same bytes, same name");
        assert_eq!(files.get(&h).expect("get"), b"{\"format\": \"x\"}");
        let leftovers: Vec<_> = std::fs::read_dir(dir.path().join("models"))
            .expect("dir")
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "no temporary file is left behind");
        std::fs::write(dir.path().join("models").join(&h), b"tampered").expect("tamper");
        assert!(matches!(files.get(&h), Err(ModelFileError::Corrupt(_))));
        assert!(matches!(files.get("../mizan.db"), Err(ModelFileError::BadHash(_))));
    }
}

/// A model file checked and parsed for an upload.
#[derive(Debug)]
pub struct LoadedModel {
    /// The parsed model.
    pub model: mizan_explain::Model,
    /// The file format, for the record (`xgboost-json`, `lightgbm-txt`, ...).
    pub format: String,
}

/// The file format of `bytes`, parsed as `model`, for the record.
fn format_name(bytes: &[u8], model: &mizan_explain::Model) -> String {
    match model.source.library.as_str() {
        "lightgbm" => "lightgbm-txt".into(),
        "xgboost" if serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_ok() => "xgboost-json".into(),
        "xgboost" => "xgboost-ubjson".into(),
        _ if matches!(model.body, mizan_explain::ModelBody::Linear(_)) => "mizan-linear-json".into(),
        other => other.to_owned(),
    }
}

impl crate::Platform {
    /// Checks the size of an uploaded model file and parses it, on the blocking pool and
    /// holding a heavy-work permit (a parse takes memory and time that grow with the file).
    ///
    /// # Errors
    /// [`Error::BadRequest`] on `model` for an empty file, a file over `limits.model_bytes`
    /// (refused before it is parsed) or one that does not load (invalid JSON says where);
    /// [`Error::Busy`] when too much heavy work is running.
    pub async fn load_model(&self, bytes: bytes::Bytes) -> Result<LoadedModel, Error> {
        let max = self.config().limits.model_bytes;
        if bytes.is_empty() {
            return Err(Error::bad("model", "the model file is empty"));
        }
        if bytes.len() > max {
            return Err(Error::bad(
                "model",
                format!("the model file has {} bytes; at most {max} are accepted", bytes.len()),
            ));
        }
        let permit = self.heavy_permit()?;
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let model = mizan_explain::load_model(&bytes)
                .map_err(|e| Error::bad("model", format!("the model file cannot be loaded: {e}")))?;
            let format = format_name(&bytes, &model);
            Ok(LoadedModel { model, format })
        })
        .await
        .map_err(|e| Error::Internal(format!("model parse: {e}")))?
    }
}

pub use mizan_formats::model_card::{self as card, ModelCard};

/// Reads and checks a model card given with a model whose features are `feature_names`.
///
/// # Errors
/// [`Error::BadRequest`] on field `card`, saying what is wrong and where in the card
/// (`features[2].label.ur`).
pub fn check_card(text: &str, feature_names: &[String]) -> Result<ModelCard, Error> {
    let card = ModelCard::parse(text).and_then(|c| c.check(feature_names).map(|()| c));
    card.map_err(|e| Error::bad("card", e.to_string()))
}

/// The newest card of `model`, if it has one that still reads (a stored card was checked when
/// given; one that no longer parses is treated as absent rather than failing every page).
#[must_use]
pub fn card_of(model: &mizan_store::StoredModel) -> Option<ModelCard> {
    model.card_json.as_deref().and_then(|t| ModelCard::parse(t).ok())
}

/// What the model's card still lacks for explanations to read in people's words: feature
/// names without a label, and `outputs` when no output is labelled; every feature and
/// `outputs` when there is no card.
#[must_use]
pub fn labels_missing(feature_names: &[String], card: Option<&ModelCard>) -> Vec<String> {
    match card {
        Some(c) => c.missing(feature_names),
        None => feature_names.iter().cloned().chain(["outputs".to_owned()]).collect(),
    }
}

impl crate::Platform {
    /// Gives or corrects the card of the model of `version` of `p`'s system `public_id`,
    /// checked against the model's features; a system event records it.
    ///
    /// # Errors
    /// [`Error::BadRequest`] on `card` for a card that does not read or fit the model;
    /// not found for an unknown system, version or model; [`Error::Conflict`] once a decision
    /// has been explained with the model.
    pub async fn set_model_card(
        &self,
        p: &mizan_store::Principal,
        public_id: &str,
        version: i64,
        text: &str,
    ) -> Result<mizan_store::StoredModel, Error> {
        let model = self
            .store()
            .org_models(p.scope(), public_id)
            .await?
            .into_iter()
            .find(|m| m.version == version)
            .ok_or_else(|| Error::NotFound(format!("model of version {version} of system `{public_id}`")))?;
        let card = check_card(text, &model.feature_names)?;
        // Stored as the type writes it: one spelling per card, whatever the upload's spacing.
        let json = serde_json::to_string(&card).map_err(|e| Error::Internal(format!("model card: {e}")))?;
        Ok(self.store().set_model_card(p.scope(), public_id, version, &json, &p.into()).await?)
    }
}
