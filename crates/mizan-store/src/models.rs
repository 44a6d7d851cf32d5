//! Models uploaded per system version, and the explanations computed from them.
//!
//! A model row says which system version a model file belongs to (by the SHA-256 of its bytes;
//! the bytes themselves live in a content-addressed file the server keeps) and how to read its
//! output: the favourable side of a margin threshold, the features recourse must never change,
//! and the bounds recourse stays within. Rows are never changed; a version has at most one model.
//!
//! An explanation is computed once per decision, when someone first asks, and kept beside the
//! decision. Whoever holds a decision's receipt reference may read both, like the decision
//! itself; erasing the decision deletes its explanation.

use std::collections::BTreeMap;

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{OrgScope, Result, Store, StoreError, now};

/// Which side of the margin threshold is the favourable outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FavourableSide {
    /// A margin above the threshold is favourable (an approval score).
    High,
    /// A margin below the threshold is favourable (a risk score).
    Low,
}

impl FavourableSide {
    /// `high` or `low`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            FavourableSide::High => "high",
            FavourableSide::Low => "low",
        }
    }

    /// Parses `high` or `low`.
    #[must_use]
    pub fn parse(s: &str) -> Option<FavourableSide> {
        match s {
            "high" => Some(FavourableSide::High),
            "low" => Some(FavourableSide::Low),
            _ => None,
        }
    }
}

/// A model about to be recorded for a system version (its file is already durable).
#[derive(Debug, Clone)]
pub struct NewModel {
    /// Lowercase hex SHA-256 of the file bytes.
    pub sha256: String,
    /// File format (`xgboost-json`, `xgboost-ubjson`, `lightgbm-txt`, `mizan-linear-json`).
    pub format: String,
    /// File size in bytes.
    pub size_bytes: i64,
    /// Feature names in model order.
    pub feature_names: Vec<String>,
    /// Favourable side of the threshold.
    pub favourable: FavourableSide,
    /// Margin threshold between the two outcomes.
    pub threshold: f64,
    /// Features recourse never changes.
    pub immutable: Vec<String>,
    /// Inclusive bounds recourse stays within, by feature (unbounded when absent).
    pub bounds: BTreeMap<String, (f64, f64)>,
    /// Who uploaded it.
    pub uploaded_by: String,
}

/// A recorded model.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredModel {
    id: i64,
    /// The system's public id.
    pub system: String,
    /// The system version it belongs to.
    pub version: i64,
    /// Lowercase hex SHA-256 of the file bytes.
    pub sha256: String,
    /// File format.
    pub format: String,
    /// File size in bytes.
    pub size_bytes: i64,
    /// Feature names in model order.
    pub feature_names: Vec<String>,
    /// Favourable side of the threshold.
    pub favourable: FavourableSide,
    /// Margin threshold.
    pub threshold: f64,
    /// Features recourse never changes.
    pub immutable: Vec<String>,
    /// Bounds for recourse, by feature.
    pub bounds: BTreeMap<String, (f64, f64)>,
    /// Who uploaded it.
    pub uploaded_by: String,
    /// When.
    pub uploaded_at: String,
}

impl StoredModel {
    /// Whether `other` records the same file with the same settings (a repeated upload).
    fn same_as(&self, other: &NewModel) -> bool {
        self.sha256 == other.sha256
            && self.feature_names == other.feature_names
            && self.favourable == other.favourable
            && self.threshold.to_bits() == other.threshold.to_bits()
            && self.immutable == other.immutable
            && self.bounds == other.bounds
    }
}

/// An explanation about to be stored.
#[derive(Debug, Clone)]
pub struct NewExplanation {
    /// φ₀, the expected margin.
    pub phi0: f64,
    /// The model's margin for the decision.
    pub margin: f64,
    /// |Σφ + φ₀ − margin|.
    pub additivity_residual: f64,
    /// The whole explanation document (JSON).
    pub explanation_json: String,
}

/// A stored explanation.
#[derive(Debug, Clone)]
pub struct StoredExplanation {
    /// The model's hash.
    pub model_sha256: String,
    /// φ₀.
    pub phi0: f64,
    /// The margin.
    pub margin: f64,
    /// The additivity residual.
    pub additivity_residual: f64,
    /// The explanation document.
    pub explanation_json: String,
    /// When it was computed.
    pub computed_at: String,
}

const MODEL_COLS: &str = "m.id, s.public_id, m.version, m.sha256, m.format, m.size_bytes, m.feature_names, \
    m.favourable, m.threshold, m.immutable_features, m.bounds, m.uploaded_by, m.uploaded_at";

fn json_text<T: serde::Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| StoreError::Corrupt(format!("model settings: {e}")))
}

fn from_json<T: serde::de::DeserializeOwned>(what: &str, text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("models.{what}: {e}")))
}

fn model_from_row(r: &AnyRow) -> Result<StoredModel> {
    let favourable: String = r.try_get("favourable")?;
    let bounds: BTreeMap<String, [f64; 2]> = from_json("bounds", &r.try_get::<String, _>("bounds")?)?;
    Ok(StoredModel {
        id: r.try_get("id")?,
        system: r.try_get("public_id")?,
        version: r.try_get("version")?,
        sha256: r.try_get("sha256")?,
        format: r.try_get("format")?,
        size_bytes: r.try_get("size_bytes")?,
        feature_names: from_json("feature_names", &r.try_get::<String, _>("feature_names")?)?,
        favourable: FavourableSide::parse(&favourable)
            .ok_or_else(|| StoreError::Corrupt(format!("models.favourable `{favourable}`")))?,
        threshold: r.try_get("threshold")?,
        immutable: from_json("immutable_features", &r.try_get::<String, _>("immutable_features")?)?,
        bounds: bounds.into_iter().map(|(k, [lo, hi])| (k, (lo, hi))).collect(),
        uploaded_by: r.try_get("uploaded_by")?,
        uploaded_at: r.try_get("uploaded_at")?,
    })
}

fn explanation_from_row(r: &AnyRow) -> Result<StoredExplanation> {
    Ok(StoredExplanation {
        model_sha256: r.try_get("sha256")?,
        phi0: r.try_get("phi0")?,
        margin: r.try_get("margin")?,
        additivity_residual: r.try_get("additivity_residual")?,
        explanation_json: r.try_get("explanation_json")?,
        computed_at: r.try_get("computed_at")?,
    })
}

impl Store {
    /// Checks that `scope`'s organisation owns `public_id` and that `version` is one of its
    /// submitted versions, before the caller keeps a model file for it.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] for an unknown system, another organisation's, or a version that
    /// does not exist (yet).
    pub async fn model_target(&self, scope: OrgScope, public_id: &str, version: i64) -> Result<()> {
        let mut tx = self.begin_scoped_read(scope).await?;
        owned_version(&mut tx, scope, public_id, version).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records `model` for `version` of `scope`'s system `public_id`. Repeating an upload (same
    /// file, same settings) returns the existing row; the `bool` says whether it is new.
    ///
    /// # Errors
    /// As [`Store::model_target`]; [`StoreError::Conflict`] when the version already has a
    /// different model (a new model needs a new version).
    pub async fn insert_model(
        &self,
        scope: OrgScope,
        public_id: &str,
        version: i64,
        model: &NewModel,
    ) -> Result<(StoredModel, bool)> {
        let (_guard, mut tx) = self.begin_scoped_write(scope).await?;
        let system_id = owned_version(&mut tx, scope, public_id, version).await?;
        let existing = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {MODEL_COLS} FROM models m JOIN systems s ON s.id = m.system_id \
             WHERE m.system_id = $1 AND m.version = $2"
        )))
        .bind(system_id)
        .bind(version)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(row) = existing {
            let old = model_from_row(&row)?;
            tx.commit().await?;
            if old.same_as(model) {
                return Ok((old, false));
            }
            return Err(StoreError::Conflict(format!(
                "version {version} of system `{public_id}` already has model `{}` (uploaded {}); \
                 a different model or different settings need a new version: submit the system again",
                old.sha256, old.uploaded_at
            )));
        }
        let bounds: BTreeMap<&String, [f64; 2]> =
            model.bounds.iter().map(|(k, &(lo, hi))| (k, [lo, hi])).collect();
        sqlx::query(
            "INSERT INTO models (system_id, version, sha256, format, size_bytes, feature_names, favourable, \
             threshold, immutable_features, bounds, uploaded_by, uploaded_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(system_id)
        .bind(version)
        .bind(&model.sha256)
        .bind(&model.format)
        .bind(model.size_bytes)
        .bind(json_text(&model.feature_names)?)
        .bind(model.favourable.as_str())
        .bind(model.threshold)
        .bind(json_text(&model.immutable)?)
        .bind(json_text(&bounds)?)
        .bind(&model.uploaded_by)
        .bind(now())
        .execute(&mut *tx)
        .await
        .map_err(|e| {
            if crate::is_unique_violation(&e) {
                StoreError::Conflict(format!(
                    "version {version} of system `{public_id}` got a model meanwhile; reload and check it"
                ))
            } else {
                e.into()
            }
        })?;
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {MODEL_COLS} FROM models m JOIN systems s ON s.id = m.system_id \
             WHERE m.system_id = $1 AND m.version = $2"
        )))
        .bind(system_id)
        .bind(version)
        .fetch_one(&mut *tx)
        .await?;
        let stored = model_from_row(&row)?;
        tx.commit().await?;
        Ok((stored, true))
    }

    /// The models of `scope`'s system `public_id`, newest version first.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] for an unknown system or another organisation's.
    pub async fn org_models(&self, scope: OrgScope, public_id: &str) -> Result<Vec<StoredModel>> {
        let mut tx = self.begin_scoped_read(scope).await?;
        let found: Option<i64> =
            sqlx::query_scalar("SELECT id FROM systems WHERE public_id = $1 AND org_id = $2")
                .bind(public_id)
                .bind(scope.org_id())
                .fetch_optional(&mut *tx)
                .await?;
        let system_id =
            found.ok_or_else(|| StoreError::NotFound { what: "system", id: public_id.to_owned() })?;
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {MODEL_COLS} FROM models m JOIN systems s ON s.id = m.system_id \
             WHERE m.system_id = $1 ORDER BY m.version DESC"
        )))
        .bind(system_id)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        rows.iter().map(model_from_row).collect()
    }

    /// The model of the decision `reference`'s system whose hash is `sha256`: the one uploaded
    /// for the decision's own version if there is one, else the newest. Whoever holds the
    /// reference may read it, like the decision.
    ///
    /// # Errors
    /// Database errors.
    pub async fn decision_model(&self, reference: &str, sha256: &str) -> Result<Option<StoredModel>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {MODEL_COLS} FROM models m JOIN systems s ON s.id = m.system_id \
             JOIN decisions d ON d.system_id = m.system_id \
             WHERE d.reference = $1 AND m.sha256 = $2 \
             ORDER BY CASE WHEN m.version = d.system_version THEN 0 ELSE 1 END, m.version DESC LIMIT 1"
        )))
        .bind(reference)
        .bind(sha256)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(model_from_row).transpose()
    }

    /// The stored explanation of decision `reference`, if one was computed.
    ///
    /// # Errors
    /// Database errors.
    pub async fn explanation(&self, reference: &str) -> Result<Option<StoredExplanation>> {
        let row = sqlx::query(
            "SELECT m.sha256, e.phi0, e.margin, e.additivity_residual, e.explanation_json, e.computed_at \
             FROM explanations e JOIN decisions d ON d.id = e.decision_id JOIN models m ON m.id = e.model_id \
             WHERE d.reference = $1",
        )
        .bind(reference)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(explanation_from_row).transpose()
    }

    /// Stores the explanation of decision `reference` made with `model`, unless one is already
    /// stored (then that one stays: an explanation is computed once). Returns what is stored.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when the decision is unknown or was erased meanwhile.
    pub async fn insert_explanation(
        &self,
        reference: &str,
        model: &StoredModel,
        e: &NewExplanation,
    ) -> Result<StoredExplanation> {
        {
            let (_guard, mut tx) = self.begin_write().await?;
            sqlx::query(
                "INSERT INTO explanations (decision_id, model_id, phi0, margin, additivity_residual, \
                 explanation_json, computed_at) \
                 SELECT d.id, $2, $3, $4, $5, $6, $7 FROM decisions d \
                 WHERE d.reference = $1 AND d.record_json IS NOT NULL \
                 ON CONFLICT (decision_id) DO NOTHING",
            )
            .bind(reference)
            .bind(model.id)
            .bind(e.phi0)
            .bind(e.margin)
            .bind(e.additivity_residual)
            .bind(&e.explanation_json)
            .bind(now())
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
        }
        self.explanation(reference)
            .await?
            .ok_or_else(|| StoreError::NotFound { what: "decision", id: reference.to_owned() })
    }
}

/// The internal id of `scope`'s system `public_id` when `version` is one of its submitted
/// versions.
async fn owned_version(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    scope: OrgScope,
    public_id: &str,
    version: i64,
) -> Result<i64> {
    let row = sqlx::query("SELECT id, latest_version FROM systems WHERE public_id = $1 AND org_id = $2")
        .bind(public_id)
        .bind(scope.org_id())
        .fetch_optional(&mut **tx)
        .await?
        .ok_or_else(|| StoreError::NotFound { what: "system", id: public_id.to_owned() })?;
    let latest: i64 = row.try_get("latest_version")?;
    if !(1..=latest).contains(&version) {
        return Err(StoreError::NotFound { what: "version", id: format!("{public_id} v{version}") });
    }
    Ok(row.try_get("id")?)
}
