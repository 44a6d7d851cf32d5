//! The obligations checklist: a status and evidence per obligation of a system, kept by its
//! provider. Only the current state is stored here; every change also goes to the event trail.

use std::collections::BTreeMap;

use mizan_register::Status;
use sqlx::Row;

use crate::systems::insert_event;
use crate::{ActorRef, OrgScope, Result, Store, StoreError, now};

/// Checklist statuses.
pub const OBLIGATION_STATUSES: &[&str] = &["not_started", "in_progress", "done", "not_applicable"];

/// A change to one obligation's checklist entry.
#[derive(Debug, Clone)]
pub struct ObligationUpdate<'a> {
    /// The obligation id (from the ruleset).
    pub obligation_id: &'a str,
    /// One of [`OBLIGATION_STATUSES`].
    pub status: &'a str,
    /// A link to the evidence, or "".
    pub evidence_url: &'a str,
    /// A note, or "".
    pub note: &'a str,
}

/// The recorded state of one obligation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObligationStatus {
    /// One of [`OBLIGATION_STATUSES`].
    pub status: String,
    /// A link to the evidence ("" if none).
    pub evidence_url: String,
    /// A note.
    pub note: String,
    /// Who changed it last.
    pub updated_by: String,
    /// When.
    pub updated_at: String,
}

fn status_from_row(r: &sqlx::any::AnyRow) -> Result<(String, ObligationStatus)> {
    Ok((
        r.try_get("obligation_id")?,
        ObligationStatus {
            status: r.try_get("status")?,
            evidence_url: r.try_get("evidence_url")?,
            note: r.try_get("note")?,
            updated_by: r.try_get("updated_by")?,
            updated_at: r.try_get("updated_at")?,
        },
    ))
}

impl Store {
    /// The checklist of system `public_id` whichever organisation keeps it, by obligation id: for
    /// the regulator, the ethics board and (for a registered system) the public register. The
    /// caller decides who may see it.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] for an unknown system.
    pub async fn system_obligation_statuses(
        &self,
        public_id: &str,
    ) -> Result<BTreeMap<String, ObligationStatus>> {
        let rows = sqlx::query(
            "SELECT o.obligation_id, o.status, o.evidence_url, o.note, o.updated_by, o.updated_at \
             FROM obligation_status o JOIN systems s ON s.id = o.system_id WHERE s.public_id = $1",
        )
        .bind(public_id)
        .fetch_all(&self.pool)
        .await?;
        if rows.is_empty()
            && sqlx::query("SELECT 1 FROM systems WHERE public_id = $1")
                .bind(public_id)
                .fetch_optional(&self.pool)
                .await?
                .is_none()
        {
            return Err(StoreError::NotFound { what: "system", id: public_id.to_owned() });
        }
        rows.iter().map(status_from_row).collect()
    }

    /// The checklist of one of the organisation's systems, by obligation id.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] outside the scope.
    pub async fn obligation_statuses(
        &self,
        scope: OrgScope,
        public_id: &str,
    ) -> Result<BTreeMap<String, ObligationStatus>> {
        let mut tx = self.begin_scoped_read(scope).await?;
        let (id, _, _) = self.scoped_row(&mut tx, scope, public_id).await?;
        let rows = sqlx::query(
            "SELECT obligation_id, status, evidence_url, note, updated_by, updated_at FROM obligation_status \
             WHERE system_id = $1",
        )
        .bind(id)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        rows.iter().map(status_from_row).collect()
    }

    /// Records the status of one obligation. The caller checks that the obligation id is one
    /// the ruleset defines; this checks the status, the link and the lengths.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] naming the bad value; [`StoreError::NotFound`] outside the scope.
    pub async fn set_obligation_status(
        &self,
        scope: OrgScope,
        public_id: &str,
        actor: &ActorRef,
        update: &ObligationUpdate<'_>,
    ) -> Result<()> {
        let ObligationUpdate { obligation_id, status, evidence_url, note } = *update;
        if !OBLIGATION_STATUSES.contains(&status) {
            return Err(StoreError::Conflict(format!(
                "unknown status `{status}` (expected one of: {})",
                OBLIGATION_STATUSES.join(", ")
            )));
        }
        if !evidence_url.is_empty()
            && (!(evidence_url.starts_with("https://") || evidence_url.starts_with("http://"))
                || evidence_url.chars().count() > 500)
        {
            return Err(StoreError::Conflict(
                "the evidence link must start with https:// or http:// and be at most 500 characters".into(),
            ));
        }
        if note.chars().count() > 2000 {
            return Err(StoreError::Conflict("the note must be at most 2000 characters".into()));
        }
        let (_guard, mut tx) = self.begin_scoped_write(scope).await?;
        let (id, summary, _) = self.scoped_row(&mut tx, scope, public_id).await?;
        let at = now();
        sqlx::query(
            "INSERT INTO obligation_status (system_id, obligation_id, status, evidence_url, note, updated_by, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (system_id, obligation_id) DO UPDATE SET \
             status = excluded.status, evidence_url = excluded.evidence_url, note = excluded.note, \
             updated_by = excluded.updated_by, updated_at = excluded.updated_at",
        )
        .bind(id)
        .bind(obligation_id)
        .bind(status)
        .bind(evidence_url)
        .bind(note)
        .bind(&actor.name)
        .bind(&at)
        .execute(&mut *tx)
        .await?;
        let status_now: Status = summary.status;
        insert_event(
            &mut tx,
            id,
            summary.latest_version,
            "obligation",
            (status_now, status_now),
            actor,
            &format!("{obligation_id}: {status}"),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
