//! The operators' record of attacks: sign-in lockouts and throttled public forms.

use sqlx::Row as _;

use crate::{Result, Store, now};

/// One recorded security event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecurityEvent {
    /// Row id.
    pub id: i64,
    /// What happened: `sign-in-lockout`, `address-lockout`, `form-throttled`.
    pub kind: String,
    /// Whom it concerns: an e-mail address as typed, or a form's name.
    pub subject: String,
    /// The client address, or "" when unknown.
    pub address: String,
    /// More, in English (the failures counted, the lockout's length).
    pub detail: String,
    /// When (RFC 3339).
    pub at: String,
}

impl Store {
    /// Appends a security event.
    ///
    /// # Errors
    /// Database errors.
    pub async fn record_security_event(
        &self,
        kind: &str,
        subject: &str,
        address: &str,
        detail: &str,
    ) -> Result<()> {
        let (_guard, mut tx) = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO security_events (kind, subject, address, detail, at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(kind)
        .bind(subject)
        .bind(address)
        .bind(detail)
        .bind(now())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The latest `limit` security events, newest first.
    ///
    /// # Errors
    /// Database errors.
    pub async fn security_events(&self, limit: i64) -> Result<Vec<SecurityEvent>> {
        let rows = sqlx::query(
            "SELECT id, kind, subject, address, detail, at FROM security_events ORDER BY id DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(SecurityEvent {
                    id: r.try_get("id")?,
                    kind: r.try_get("kind")?,
                    subject: r.try_get("subject")?,
                    address: r.try_get("address")?,
                    detail: r.try_get("detail")?,
                    at: r.try_get("at")?,
                })
            })
            .collect()
    }
}
