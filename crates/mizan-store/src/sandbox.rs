//! The privacy-safe data sandbox: a steward's settings per dataset version, and the budget
//! ledger, where a spend is checked against its budget and recorded with its events-log event
//! in one write transaction, before any answer is released.

use sqlx::Row;

use crate::{Backend, Result, Store, StoreError};

/// Settings as a steward sets them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSandboxSettings {
    /// The dataset.
    pub dataset_id: i64,
    /// The version.
    pub version: i64,
    /// The `mizan-dp` settings, as JSON.
    pub settings: String,
    /// The file the table was built from.
    pub file_name: String,
    /// SHA-256 of the bounded columnar table (a kept dataset file).
    pub table_sha256: String,
    /// Rows read.
    pub rows_in: i64,
    /// Rows kept after bounding each unit's contribution.
    pub rows_kept: i64,
    /// Privacy units seen.
    pub units: i64,
    /// The steward.
    pub set_by: i64,
}

/// Settings in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSandboxSettings {
    /// Row id: what each spend names.
    pub id: i64,
    /// As set.
    pub new: NewSandboxSettings,
    /// When.
    pub created_at: String,
}

/// Who spends: a project, or the steward (the synthetic sample).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spender {
    /// The project: an approved case.
    Project(i64),
    /// The steward of the settings.
    Steward,
}

/// A spend to check and record.
#[derive(Debug, Clone)]
pub struct NewSpend {
    /// The settings it spends under.
    pub settings_id: i64,
    /// Who spends.
    pub spender: Spender,
    /// The person.
    pub user_id: i64,
    /// The query's shape in words, without values.
    pub shape: String,
    /// The mechanism's id.
    pub mechanism: String,
    /// ε.
    pub epsilon: f64,
    /// δ.
    pub delta: f64,
    /// The spender's budget: total ε and δ.
    pub budget: (f64, f64),
    /// The event's organisation (the publisher's).
    pub org_id: i64,
    /// The event's subject (`dataset:<slug>`).
    pub subject: String,
    /// The event's actor, as a role.
    pub actor_name: String,
}

/// A recorded spend.
#[derive(Debug, Clone, PartialEq)]
pub struct Spend {
    /// Row id.
    pub id: i64,
    /// The settings.
    pub settings_id: i64,
    /// The project's case, or none for the steward.
    pub case_id: Option<i64>,
    /// The person.
    pub user_id: i64,
    /// The query's shape.
    pub shape: String,
    /// The mechanism's id.
    pub mechanism: String,
    /// ε.
    pub epsilon: f64,
    /// δ.
    pub delta: f64,
    /// The spender's running total ε after it.
    pub total_epsilon: f64,
    /// The spender's running total δ after it.
    pub total_delta: f64,
    /// The event recording it.
    pub event_id: i64,
    /// When.
    pub at: String,
}

/// A budget check that failed: nothing was recorded.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OverBudget {
    /// ε spent so far.
    pub spent_epsilon: f64,
    /// δ spent so far.
    pub spent_delta: f64,
}

/// Sums of ε within this relative margin of the budget are within it (floating-point sums of
/// the same spends in another order differ in the last bits).
const SLACK: f64 = 1e-12;

fn within(total: f64, budget: f64) -> bool {
    total <= budget * (1.0 + SLACK) + f64::MIN_POSITIVE
}

const SPEND_COLS: &str = "id, settings_id, case_id, user_id, shape, mechanism, epsilon, delta, \
                          total_epsilon, total_delta, event_id, at";

fn spend_from_row(r: &sqlx::any::AnyRow) -> Result<Spend> {
    Ok(Spend {
        id: r.try_get("id")?,
        settings_id: r.try_get("settings_id")?,
        case_id: r.try_get("case_id")?,
        user_id: r.try_get("user_id")?,
        shape: r.try_get("shape")?,
        mechanism: r.try_get("mechanism")?,
        epsilon: r.try_get("epsilon")?,
        delta: r.try_get("delta")?,
        total_epsilon: r.try_get("total_epsilon")?,
        total_delta: r.try_get("total_delta")?,
        event_id: r.try_get("event_id")?,
        at: r.try_get("at")?,
    })
}

impl Store {
    /// Records new settings for a version; refused once anything was spent under the settings
    /// in force.
    ///
    /// # Errors
    /// [`StoreError::Refused`] after a spend.
    pub async fn set_sandbox_settings(&self, new: &NewSandboxSettings) -> Result<i64> {
        let (_guard, mut tx) = self.begin_write().await?;
        let spent: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM sandbox_spends p JOIN sandbox_settings s ON s.id = p.settings_id \
             WHERE s.dataset_id = $1 AND s.version = $2",
        )
        .bind(new.dataset_id)
        .bind(new.version)
        .fetch_one(&mut *tx)
        .await?;
        if spent > 0 {
            return Err(StoreError::Refused(
                "privacy budget was already spent under this version's settings, so they can no \
                 longer change; publish a new version to change them"
                    .into(),
            ));
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO sandbox_settings (dataset_id, version, settings, file_name, table_sha256, \
             rows_in, rows_kept, units, set_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(new.dataset_id)
        .bind(new.version)
        .bind(&new.settings)
        .bind(&new.file_name)
        .bind(&new.table_sha256)
        .bind(new.rows_in)
        .bind(new.rows_kept)
        .bind(new.units)
        .bind(new.set_by)
        .bind(crate::now())
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The settings in force for a version.
    ///
    /// # Errors
    /// Database errors.
    pub async fn sandbox_settings(
        &self,
        dataset_id: i64,
        version: i64,
    ) -> Result<Option<StoredSandboxSettings>> {
        let row = sqlx::query(
            "SELECT id, dataset_id, version, settings, file_name, table_sha256, rows_in, rows_kept, \
             units, set_by, created_at FROM sandbox_settings WHERE dataset_id = $1 AND version = $2 \
             ORDER BY id DESC LIMIT 1",
        )
        .bind(dataset_id)
        .bind(version)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(StoredSandboxSettings {
                id: r.try_get("id")?,
                new: NewSandboxSettings {
                    dataset_id: r.try_get("dataset_id")?,
                    version: r.try_get("version")?,
                    settings: r.try_get("settings")?,
                    file_name: r.try_get("file_name")?,
                    table_sha256: r.try_get("table_sha256")?,
                    rows_in: r.try_get("rows_in")?,
                    rows_kept: r.try_get("rows_kept")?,
                    units: r.try_get("units")?,
                    set_by: r.try_get("set_by")?,
                },
                created_at: r.try_get("created_at")?,
            })
        })
        .transpose()
    }

    /// Checks `spend` against its spender's budget and, if it fits, records it with its event
    /// (kind `dp-spend`, the reason from `reason(total_epsilon, total_delta)`) in one write
    /// transaction. Concurrent spends of one version are serialised: on SQLite by the one
    /// writer, on PostgreSQL by a row lock on the settings (`FOR UPDATE`), so no two spends read
    /// the same running total.
    ///
    /// # Errors
    /// `Ok(Err(OverBudget))` when it does not fit (nothing recorded); database errors.
    pub async fn record_spend(
        &self,
        spend: &NewSpend,
        reason: impl FnOnce(f64, f64) -> String,
    ) -> Result<std::result::Result<Spend, OverBudget>> {
        let (_guard, mut tx) = self.begin_write().await?;
        if self.backend == Backend::Postgres {
            // SQLite has no FOR UPDATE; its writer lock (taken above) already serialises.
            sqlx::query("SELECT id FROM sandbox_settings WHERE id = $1 FOR UPDATE")
                .bind(spend.settings_id)
                .fetch_optional(&mut *tx)
                .await?;
        }
        let last = match spend.spender {
            Spender::Project(case) => {
                sqlx::query(
                    "SELECT total_epsilon, total_delta FROM sandbox_spends \
                     WHERE case_id = $1 AND settings_id = $2 ORDER BY id DESC LIMIT 1",
                )
                .bind(case)
                .bind(spend.settings_id)
                .fetch_optional(&mut *tx)
                .await?
            }
            Spender::Steward => {
                sqlx::query(
                    "SELECT total_epsilon, total_delta FROM sandbox_spends \
                     WHERE case_id IS NULL AND settings_id = $1 ORDER BY id DESC LIMIT 1",
                )
                .bind(spend.settings_id)
                .fetch_optional(&mut *tx)
                .await?
            }
        };
        let (spent_epsilon, spent_delta): (f64, f64) = match last {
            Some(r) => (r.try_get("total_epsilon")?, r.try_get("total_delta")?),
            None => (0.0, 0.0),
        };
        let total_epsilon = spent_epsilon + spend.epsilon;
        let total_delta = spent_delta + spend.delta;
        if !within(total_epsilon, spend.budget.0) || !within(total_delta, spend.budget.1) {
            return Ok(Err(OverBudget { spent_epsilon, spent_delta }));
        }
        let at = crate::now();
        let version: i64 = sqlx::query_scalar("SELECT version FROM sandbox_settings WHERE id = $1")
            .bind(spend.settings_id)
            .fetch_one(&mut *tx)
            .await?;
        let event_id: i64 = sqlx::query_scalar(
            "INSERT INTO system_events (subject, org_id, version, kind, from_status, to_status, actor_id, actor_name, reason, at) \
             VALUES ($1, $2, $3, 'dp-spend', '', '', $4, $5, $6, $7) RETURNING id",
        )
        .bind(&spend.subject)
        .bind(spend.org_id)
        .bind(version)
        .bind(spend.user_id)
        .bind(&spend.actor_name)
        .bind(reason(total_epsilon, total_delta))
        .bind(&at)
        .fetch_one(&mut *tx)
        .await?;
        let case_id = match spend.spender {
            Spender::Project(c) => Some(c),
            Spender::Steward => None,
        };
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO sandbox_spends (settings_id, case_id, user_id, shape, mechanism, epsilon, delta, \
             total_epsilon, total_delta, event_id, at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
        )
        .bind(spend.settings_id)
        .bind(case_id)
        .bind(spend.user_id)
        .bind(&spend.shape)
        .bind(&spend.mechanism)
        .bind(spend.epsilon)
        .bind(spend.delta)
        .bind(total_epsilon)
        .bind(total_delta)
        .bind(event_id)
        .bind(&at)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Ok(Spend {
            id,
            settings_id: spend.settings_id,
            case_id,
            user_id: spend.user_id,
            shape: spend.shape.clone(),
            mechanism: spend.mechanism.clone(),
            epsilon: spend.epsilon,
            delta: spend.delta,
            total_epsilon,
            total_delta,
            event_id,
            at,
        }))
    }

    /// The spends under settings `settings_id`: of one project, of the steward
    /// (`Some(Spender::Steward)`), or of everyone (`None`), oldest first.
    ///
    /// # Errors
    /// Database errors.
    pub async fn spends(&self, settings_id: i64, spender: Option<Spender>) -> Result<Vec<Spend>> {
        let q = match spender {
            Some(Spender::Project(case)) => sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {SPEND_COLS} FROM sandbox_spends WHERE settings_id = $1 AND case_id = $2 ORDER BY id"
            )))
            .bind(settings_id)
            .bind(case),
            Some(Spender::Steward) => sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {SPEND_COLS} FROM sandbox_spends WHERE settings_id = $1 AND case_id IS NULL ORDER BY id"
            )))
            .bind(settings_id),
            None => sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {SPEND_COLS} FROM sandbox_spends WHERE settings_id = $1 ORDER BY id"
            )))
            .bind(settings_id),
        };
        q.fetch_all(&self.pool).await?.iter().map(spend_from_row).collect()
    }
}

/// A version's synthetic sample.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntheticSample {
    /// The settings it was made under.
    pub settings_id: i64,
    /// The steward's spend on it.
    pub spend_id: i64,
    /// SHA-256 of the CSV (a kept dataset file).
    pub sha256: String,
    /// Rows.
    pub rows: i64,
    /// Bytes.
    pub bytes: i64,
    /// When.
    pub created_at: String,
}

impl Store {
    /// Records the synthetic sample made under settings `settings_id`.
    ///
    /// # Errors
    /// Database errors (a second sample for the same settings among them).
    pub async fn add_synthetic(&self, s: &SyntheticSample) -> Result<()> {
        let (_guard, mut tx) = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO sandbox_synthetic (settings_id, spend_id, sha256, rows, bytes, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(s.settings_id)
        .bind(s.spend_id)
        .bind(&s.sha256)
        .bind(s.rows)
        .bind(s.bytes)
        .bind(&s.created_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The synthetic sample made under settings `settings_id`, if any.
    ///
    /// # Errors
    /// Database errors.
    pub async fn synthetic(&self, settings_id: i64) -> Result<Option<SyntheticSample>> {
        let row = sqlx::query(
            "SELECT settings_id, spend_id, sha256, rows, bytes, created_at FROM sandbox_synthetic \
             WHERE settings_id = $1",
        )
        .bind(settings_id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(SyntheticSample {
                settings_id: r.try_get("settings_id")?,
                spend_id: r.try_get("spend_id")?,
                sha256: r.try_get("sha256")?,
                rows: r.try_get("rows")?,
                bytes: r.try_get("bytes")?,
                created_at: r.try_get("created_at")?,
            })
        })
        .transpose()
    }
}
