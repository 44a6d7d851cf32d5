//! Models uploaded per system version, and the explanations computed from them.
//!
//! A model row says which system version a model file belongs to (by the SHA-256 of its bytes;
//! the bytes themselves live in a content-addressed file the server keeps) and how to read its
//! output: the favourable side of a margin threshold, the features recourse must never change,
//! and the bounds recourse stays within. Rows are never changed; a version has at most one model.
//!
//! A model's card (`mizan.model-card/1` JSON: labels, units, steps, coded values, protected and
//! immutable features, bounds, favourable side) lives in `model_cards`, one row per card given,
//! newest wins. A card may be given or corrected only while no decision has been explained with
//! the model, and each is also a system event (`model-card`), so every correction is on the
//! record. When an explanation finds that the logged outcome contradicts the model's, the
//! contradiction is kept beside it for the provider's and the regulator's lists.
//!
//! An explanation is computed once per decision, when someone first asks, and kept beside the
//! decision. Whoever holds a decision's receipt reference may read both, like the decision
//! itself; erasing the decision deletes its explanation.

use std::collections::BTreeMap;

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::systems::{ActorRef, insert_event};
use crate::{OrgScope, RegulatorScope, Result, Store, StoreError, now};

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
    /// The newest model card (`mizan.model-card/1` JSON), if one was given.
    pub card_json: Option<String>,
    /// How many cards were given (the first, then corrections).
    pub cards: i64,
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
    /// The document's `contradiction` (JSON), when the logged outcome contradicts the model's.
    pub contradiction: Option<String>,
}

/// A decision whose logged outcome contradicts its model's, for the provider's and the
/// regulator's lists.
#[derive(Debug, Clone)]
pub struct ContradictionRow {
    /// The decision's receipt reference.
    pub reference: String,
    /// The system's public id.
    pub system: String,
    /// The system version that decided.
    pub version: i64,
    /// When it was decided.
    pub decided_at: String,
    /// The model's hash.
    pub model_sha256: String,
    /// The explanation's `contradiction` (JSON).
    pub contradiction: String,
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
    m.favourable, m.threshold, m.immutable_features, m.bounds, m.uploaded_by, m.uploaded_at, \
    (SELECT c.card_json FROM model_cards c WHERE c.model_id = m.id ORDER BY c.seq DESC LIMIT 1) AS card_json, \
    (SELECT COUNT(*) FROM model_cards c WHERE c.model_id = m.id) AS cards";

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
        card_json: r.try_get("card_json")?,
        cards: r.try_get("cards")?,
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

    /// The models of system `public_id` whichever organisation keeps it, newest version first:
    /// for the regulator and the ethics board (the caller decides who may see them).
    ///
    /// # Errors
    /// Database errors.
    pub async fn system_models(&self, public_id: &str) -> Result<Vec<StoredModel>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {MODEL_COLS} FROM models m JOIN systems s ON s.id = m.system_id \
             WHERE s.public_id = $1 ORDER BY m.version DESC"
        )))
        .bind(public_id)
        .fetch_all(&self.pool)
        .await?;
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
                 explanation_json, computed_at, contradiction) \
                 SELECT d.id, $2, $3, $4, $5, $6, $7, $8 FROM decisions d \
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
            .bind(e.contradiction.as_deref())
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
        }
        self.explanation(reference)
            .await?
            .ok_or_else(|| StoreError::NotFound { what: "decision", id: reference.to_owned() })
    }
}

const CONTRADICTION_COLS: &str =
    "d.reference, s.public_id, d.system_version, d.decided_at, m.sha256, e.contradiction";

fn contradiction_from_row(r: &AnyRow) -> Result<ContradictionRow> {
    Ok(ContradictionRow {
        reference: r.try_get("reference")?,
        system: r.try_get("public_id")?,
        version: r.try_get("system_version")?,
        decided_at: r.try_get("decided_at")?,
        model_sha256: r.try_get("sha256")?,
        contradiction: r.try_get("contradiction")?,
    })
}

impl Store {
    /// Gives or corrects the card of the model of `version` of `scope`'s system `public_id`:
    /// appends `card_json` (a checked `mizan.model-card/1`) and a `model-card` event carrying
    /// it, in one transaction. Returns the model with its new card.
    ///
    /// # Errors
    /// As [`Store::model_target`]; [`StoreError::NotFound`] when the version has no model;
    /// [`StoreError::Conflict`] once a decision has been explained with the model (its
    /// explanation read the card as it was; a new card needs a new version), or when another
    /// correction was made at the same moment.
    pub async fn set_model_card(
        &self,
        scope: OrgScope,
        public_id: &str,
        version: i64,
        card_json: &str,
        actor: &ActorRef,
    ) -> Result<StoredModel> {
        let (_guard, mut tx) = self.begin_scoped_write(scope).await?;
        let system_id = owned_version(&mut tx, scope, public_id, version).await?;
        let select = format!(
            "SELECT {MODEL_COLS} FROM models m JOIN systems s ON s.id = m.system_id \
             WHERE m.system_id = $1 AND m.version = $2"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(select.clone()))
            .bind(system_id)
            .bind(version)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| StoreError::NotFound { what: "model", id: format!("{public_id} v{version}") })?;
        let model = model_from_row(&row)?;
        let explained: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM explanations WHERE model_id = $1")
            .bind(model.id)
            .fetch_one(&mut *tx)
            .await?;
        if explained > 0 {
            return Err(StoreError::Conflict(format!(
                "model `{}` of version {version} of system `{public_id}` has already explained {explained} \
                 decision(s), which read its card as it was; a different card needs a new version: \
                 submit the system again and upload the model with the new card",
                model.sha256
            )));
        }
        let status: String = sqlx::query_scalar("SELECT status FROM systems WHERE id = $1")
            .bind(system_id)
            .fetch_one(&mut *tx)
            .await?;
        let status = mizan_register::Status::parse(&status)?;
        let inserted = sqlx::query(
            "INSERT INTO model_cards (model_id, seq, card_json, actor_id, actor_name, at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(model.id)
        .bind(model.cards + 1)
        .bind(card_json)
        .bind(actor.user_id)
        .bind(&actor.name)
        .bind(now())
        .execute(&mut *tx)
        .await;
        match inserted {
            Ok(_) => {}
            Err(e) if crate::is_unique_violation(&e) => {
                return Err(StoreError::Conflict(format!(
                    "the card of version {version} of system `{public_id}` was changed at the same moment; \
                     reload and try again"
                )));
            }
            Err(e) => return Err(e.into()),
        }
        let what = if model.cards == 0 { "model card" } else { "model card corrected" };
        let reason = format!("{what} of version {version}, model sha256:{}: {card_json}", model.sha256);
        insert_event(&mut tx, system_id, version, "model-card", (status, status), actor, &reason).await?;
        let row = sqlx::query(sqlx::AssertSqlSafe(select))
            .bind(system_id)
            .bind(version)
            .fetch_one(&mut *tx)
            .await?;
        let stored = model_from_row(&row)?;
        tx.commit().await?;
        Ok(stored)
    }

    /// The decisions of `scope`'s system `public_id` whose logged outcome contradicts their
    /// model's, newest first, at most `limit`.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] for an unknown system or another organisation's.
    pub async fn org_contradictions(
        &self,
        scope: OrgScope,
        public_id: &str,
        limit: i64,
    ) -> Result<Vec<ContradictionRow>> {
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
            "SELECT {CONTRADICTION_COLS} FROM explanations e JOIN decisions d ON d.id = e.decision_id \
             JOIN systems s ON s.id = d.system_id JOIN models m ON m.id = e.model_id \
             WHERE d.system_id = $1 AND e.contradiction IS NOT NULL \
             ORDER BY d.decided_at DESC, d.id DESC LIMIT $2"
        )))
        .bind(system_id)
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        rows.iter().map(contradiction_from_row).collect()
    }

    /// Every system's decisions whose logged outcome contradicts their model's, for the
    /// regulator, newest first, at most `limit`.
    ///
    /// # Errors
    /// Database errors.
    pub async fn contradictions(&self, _scope: RegulatorScope, limit: i64) -> Result<Vec<ContradictionRow>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {CONTRADICTION_COLS} FROM explanations e JOIN decisions d ON d.id = e.decision_id \
             JOIN systems s ON s.id = d.system_id JOIN models m ON m.id = e.model_id \
             WHERE e.contradiction IS NOT NULL ORDER BY d.decided_at DESC, d.id DESC LIMIT $1"
        )))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(contradiction_from_row).collect()
    }

    /// The newest model of the public system `public_id`, for the register's "labels missing"
    /// notice: `(version, feature names, newest card)`; `None` when it has no model.
    ///
    /// # Errors
    /// Database errors.
    pub async fn public_model_labels(
        &self,
        public_id: &str,
    ) -> Result<Option<(i64, Vec<String>, Option<String>)>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {MODEL_COLS} FROM models m JOIN systems s ON s.id = m.system_id \
             JOIN public_register p ON p.system_id = s.id AND m.version <= p.version \
             WHERE s.public_id = $1 ORDER BY m.version DESC LIMIT 1"
        )))
        .bind(public_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.as_ref().map(model_from_row).transpose()?.map(|m| (m.version, m.feature_names, m.card_json)))
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
