//! Public "report an error in this record" reports: filed by anyone, answered by the owning
//! organisation, followed by the reporter through a reference number.

use sqlx::{AssertSqlSafe, Row};

use crate::{OrgScope, Result, Store, StoreError, now, random_code};

/// Where a report stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportStatus {
    /// Filed, not yet looked at.
    Open,
    /// The organisation is looking into it.
    Acknowledged,
    /// Corrected.
    Resolved,
    /// Not an error; the response says why.
    Rejected,
}

impl ReportStatus {
    /// Every status.
    pub const ALL: [ReportStatus; 4] =
        [ReportStatus::Open, ReportStatus::Acknowledged, ReportStatus::Resolved, ReportStatus::Rejected];

    /// Stable code.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            ReportStatus::Open => "open",
            ReportStatus::Acknowledged => "acknowledged",
            ReportStatus::Resolved => "resolved",
            ReportStatus::Rejected => "rejected",
        }
    }

    /// Parses a code.
    #[must_use]
    pub fn parse(s: &str) -> Option<ReportStatus> {
        ReportStatus::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// A filed report.
#[derive(Debug, Clone)]
pub struct ErrorReport {
    /// Reference number given to the reporter.
    pub reference: String,
    /// The system's public id.
    pub public_id: String,
    /// The field concerned ("" for the record as a whole).
    pub field: String,
    /// What the reporter wrote.
    pub body: String,
    /// Optional contact (visible only to the owning organisation).
    pub reporter_contact: String,
    /// Status.
    pub status: ReportStatus,
    /// The organisation's public answer.
    pub response: String,
    /// Filed at.
    pub created_at: String,
    /// Last change.
    pub updated_at: String,
}

fn report_from_row(r: &sqlx::any::AnyRow) -> Result<ErrorReport> {
    let status: String = r.try_get("status")?;
    Ok(ErrorReport {
        reference: r.try_get("reference")?,
        public_id: r.try_get("public_id")?,
        field: r.try_get("field")?,
        body: r.try_get("body")?,
        reporter_contact: r.try_get("reporter_contact")?,
        status: ReportStatus::parse(&status)
            .ok_or_else(|| StoreError::Corrupt(format!("report status `{status}`")))?,
        response: r.try_get("response")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

const COLS: &str = "r.reference, s.public_id, r.field, r.body, r.reporter_contact, r.status, r.response, \
    r.created_at, r.updated_at";

impl Store {
    /// Files a report against a public system; returns its reference.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when the system is not on the public register.
    pub async fn file_report(
        &self,
        public_id: &str,
        field: &str,
        body: &str,
        contact: &str,
    ) -> Result<String> {
        let row = sqlx::query("SELECT system_id, org_id FROM public_register WHERE public_id = $1")
            .bind(public_id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound { what: "system", id: public_id.to_owned() })?;
        let reference = format!("ER-{}", random_code(8).to_uppercase());
        let at = now();
        sqlx::query(
            "INSERT INTO error_reports (reference, system_id, org_id, field, body, reporter_contact, status, response, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, 'open', '', $7, $7)",
        )
        .bind(&reference)
        .bind(row.try_get::<i64, _>("system_id")?)
        .bind(row.try_get::<i64, _>("org_id")?)
        .bind(field)
        .bind(body)
        .bind(contact)
        .bind(&at)
        .execute(&self.pool)
        .await?;
        Ok(reference)
    }

    /// A report by reference, as its reporter sees it (the contact is blanked).
    ///
    /// # Errors
    /// [`StoreError::NotFound`] for an unknown reference.
    pub async fn report_by_reference(&self, reference: &str) -> Result<ErrorReport> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {COLS} FROM error_reports r JOIN systems s ON s.id = r.system_id WHERE r.reference = $1"
        )))
        .bind(reference.trim().to_uppercase())
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::NotFound { what: "report", id: reference.to_owned() })?;
        let mut report = report_from_row(&row)?;
        report.reporter_contact.clear();
        Ok(report)
    }

    /// The organisation's report queue, open ones first.
    ///
    /// # Errors
    /// Database errors.
    pub async fn org_reports(&self, scope: OrgScope) -> Result<Vec<ErrorReport>> {
        let mut tx = self.begin_scoped_read(scope).await?;
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {COLS} FROM error_reports r JOIN systems s ON s.id = r.system_id WHERE r.org_id = $1 \
             ORDER BY CASE r.status WHEN 'open' THEN 0 WHEN 'acknowledged' THEN 1 ELSE 2 END, r.id DESC"
        )))
        .bind(scope.org_id())
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        rows.iter().map(report_from_row).collect()
    }

    /// Every organisation's reports, open ones first, newest first, at most `limit`, with the
    /// organisation's name: the regulator's view of how providers answer citizens.
    ///
    /// # Errors
    /// Database errors.
    pub async fn all_reports(
        &self,
        _scope: crate::RegulatorScope,
        limit: i64,
    ) -> Result<Vec<(ErrorReport, String)>> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {COLS}, o.name AS org_name FROM error_reports r JOIN systems s ON s.id = r.system_id \
             JOIN organisations o ON o.id = r.org_id \
             ORDER BY CASE r.status WHEN 'open' THEN 0 WHEN 'acknowledged' THEN 1 ELSE 2 END, r.id DESC LIMIT $1"
        )))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| Ok((report_from_row(r)?, r.try_get("org_name")?))).collect()
    }

    /// Answers one of the organisation's reports.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when the report is not this organisation's.
    pub async fn respond_report(
        &self,
        scope: OrgScope,
        reference: &str,
        status: ReportStatus,
        response: &str,
    ) -> Result<()> {
        let (_guard, mut tx) = self.begin_scoped_write(scope).await?;
        let done = sqlx::query(
            "UPDATE error_reports SET status = $1, response = $2, updated_at = $3 WHERE reference = $4 AND org_id = $5",
        )
        .bind(status.as_str())
        .bind(response)
        .bind(now())
        .bind(reference)
        .bind(scope.org_id())
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound { what: "report", id: reference.to_owned() });
        }
        tx.commit().await?;
        Ok(())
    }
}
