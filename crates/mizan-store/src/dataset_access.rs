//! Access to restricted datasets: the `data-access` cases a person filed (the cases themselves
//! live in `cases.rs`, like every case type), the download tokens an approval lets them make,
//! and each restricted download with the events-log event that commits to it.

use std::collections::BTreeMap;

use sqlx::{AssertSqlSafe, Row};

use crate::cases::{CASE_COLS, CASE_FROM, StatsAcc, case_from_row};
use crate::{CaseStats, Result, Store, StoredCase, now};

/// A download token as made: scoped to one dataset version, for one person, until
/// `expires_at`. Only the SHA-256 of the secret is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAccessToken {
    /// The approved case it comes from.
    pub case_id: i64,
    /// The dataset.
    pub dataset_id: i64,
    /// The version the request was for.
    pub version: i64,
    /// Its holder.
    pub user_id: i64,
    /// SHA-256 (hex) of the secret.
    pub token_hash: String,
    /// When it stops working (the agreement's end).
    pub expires_at: String,
}

/// A stored download token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessToken {
    /// Row id.
    pub id: i64,
    /// The case's reference.
    pub case_reference: String,
    /// The dataset.
    pub dataset_id: i64,
    /// The version it opens.
    pub version: i64,
    /// Its holder.
    pub user_id: i64,
    /// When made.
    pub created_at: String,
    /// When it stops working.
    pub expires_at: String,
}

/// The event that commits to a restricted download, filed under the dataset.
#[derive(Debug, Clone)]
pub struct DownloadEvent {
    /// The publishing organisation.
    pub org_id: i64,
    /// The dataset's subject in the events log (`dataset:<slug>`).
    pub subject: String,
    /// Who, as a role (never a name: the event may be shown).
    pub actor_name: String,
    /// The commitment (`download <case> hmac-sha256:<hex>`).
    pub reason: String,
    /// When, as the commitment states it.
    pub at: String,
}

impl Store {
    /// The cases of `case_type` that `user_id` filed (made the opening entry of), newest first;
    /// only those about `subject` when given (found by the subject's index first).
    ///
    /// # Errors
    /// Database errors.
    pub async fn cases_filed_by(
        &self,
        case_type: &str,
        subject: Option<&str>,
        user_id: i64,
        limit: i64,
    ) -> Result<Vec<StoredCase>> {
        let about = if subject.is_some() { " AND c.subject = $4" } else { "" };
        let q = sqlx::query(AssertSqlSafe(format!(
            "SELECT {CASE_COLS} FROM {CASE_FROM} JOIN case_entries f ON f.case_id = c.id AND f.seq = 0 \
             WHERE c.case_type = $1 AND f.actor_user = $2{about} ORDER BY c.id DESC LIMIT $3"
        )))
        .bind(case_type)
        .bind(user_id)
        .bind(limit);
        let q = match subject {
            Some(s) => q.bind(s),
            None => q,
        };
        q.fetch_all(&self.pool).await?.iter().map(case_from_row).collect()
    }

    /// The reference of an open case of `case_type` about `subject` that `user_id` filed.
    ///
    /// # Errors
    /// Database errors.
    pub async fn open_case_filed_by(
        &self,
        case_type: &str,
        subject: &str,
        user_id: i64,
    ) -> Result<Option<String>> {
        Ok(sqlx::query_scalar(
            "SELECT c.reference FROM cases c JOIN case_entries f ON f.case_id = c.id AND f.seq = 0 \
             WHERE c.case_type = $1 AND c.subject = $2 AND c.is_open = 1 AND f.actor_user = $3 LIMIT 1",
        )
        .bind(case_type)
        .bind(subject)
        .bind(user_id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Figures over every case of `case_type` about `subject`, and how many ended in each
    /// outcome.
    ///
    /// # Errors
    /// Database errors.
    pub async fn case_stats_about(
        &self,
        case_type: &str,
        subject: &str,
        on_time_days: i64,
    ) -> Result<(CaseStats, BTreeMap<String, i64>)> {
        let rows = sqlx::query(
            "SELECT c.opened_at, c.decided_at, c.outcome, c.escalated, c.late, c.is_open FROM cases c \
             WHERE c.case_type = $1 AND c.subject = $2",
        )
        .bind(case_type)
        .bind(subject)
        .fetch_all(&self.pool)
        .await?;
        let mut acc = StatsAcc::default();
        let mut outcomes = BTreeMap::new();
        for r in &rows {
            acc.add(r, on_time_days)?;
            if let Some(o) = r.try_get::<Option<String>, _>("outcome")? {
                *outcomes.entry(o).or_insert(0) += 1;
            }
        }
        Ok((acc.finish(), outcomes))
    }

    /// Stores a download token.
    ///
    /// # Errors
    /// Database errors.
    pub async fn add_access_token(&self, t: &NewAccessToken) -> Result<i64> {
        let (_guard, mut tx) = self.begin_write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO dataset_access_tokens (case_id, dataset_id, version, user_id, token_hash, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(t.case_id)
        .bind(t.dataset_id)
        .bind(t.version)
        .bind(t.user_id)
        .bind(&t.token_hash)
        .bind(now())
        .bind(&t.expires_at)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The token whose secret hashes to `token_hash`, if any (expired or not: the caller
    /// compares `expires_at` with its clock).
    ///
    /// # Errors
    /// Database errors.
    pub async fn access_token(&self, token_hash: &str) -> Result<Option<AccessToken>> {
        let row = sqlx::query(
            "SELECT t.id, c.reference, t.dataset_id, t.version, t.user_id, t.created_at, t.expires_at \
             FROM dataset_access_tokens t JOIN cases c ON c.id = t.case_id WHERE t.token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| token_from_row(&r)).transpose()
    }

    /// The tokens made under case `case_id`, oldest first.
    ///
    /// # Errors
    /// Database errors.
    pub async fn access_tokens_of(&self, case_id: i64) -> Result<Vec<AccessToken>> {
        let rows = sqlx::query(
            "SELECT t.id, c.reference, t.dataset_id, t.version, t.user_id, t.created_at, t.expires_at \
             FROM dataset_access_tokens t JOIN cases c ON c.id = t.case_id WHERE t.case_id = $1 ORDER BY t.id",
        )
        .bind(case_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(token_from_row).collect()
    }

    /// Records a download of a restricted version's file with the event that commits to it, in
    /// one transaction. Returns the event's id.
    ///
    /// # Errors
    /// Database errors.
    pub async fn record_restricted_download(
        &self,
        (dataset_id, version): (i64, i64),
        file: &str,
        user_id: i64,
        event: &DownloadEvent,
    ) -> Result<i64> {
        let (_guard, mut tx) = self.begin_write().await?;
        sqlx::query("INSERT INTO dataset_downloads (dataset_id, version, file_name, user_id, at) VALUES ($1, $2, $3, $4, $5)")
            .bind(dataset_id)
            .bind(version)
            .bind(file)
            .bind(user_id)
            .bind(&event.at)
            .execute(&mut *tx)
            .await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO system_events (subject, org_id, version, kind, from_status, to_status, actor_id, actor_name, reason, at) \
             VALUES ($1, $2, $3, 'download', '', '', $4, $5, $6, $7) RETURNING id",
        )
        .bind(&event.subject)
        .bind(event.org_id)
        .bind(version)
        .bind(user_id)
        .bind(&event.actor_name)
        .bind(&event.reason)
        .bind(&event.at)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(id)
    }
}

fn token_from_row(r: &sqlx::any::AnyRow) -> Result<AccessToken> {
    Ok(AccessToken {
        id: r.try_get("id")?,
        case_reference: r.try_get("reference")?,
        dataset_id: r.try_get("dataset_id")?,
        version: r.try_get("version")?,
        user_id: r.try_get("user_id")?,
        created_at: r.try_get("created_at")?,
        expires_at: r.try_get("expires_at")?,
    })
}
