//! Bookkeeping of the events log: which platform events are in it, and where.
//!
//! The server's follower appends events that have no leaf yet (found by a join, not by "id above
//! the last one", so an event whose transaction committed late is never skipped) and records
//! their leaves here. A crash between the append and this record leaves leaves at the end of the
//! log that nothing here names; on start the server reads them back and records those that
//! match an unlogged event (the server's `events_log::reconcile`), so an event keeps one leaf.

use sqlx::{AssertSqlSafe, Row};

use crate::systems::Event;
use crate::{Result, Store, StoreError};

/// Where an event sits in the events log.
#[derive(Debug, Clone)]
pub struct EventLeaf {
    /// The event.
    pub event: Event,
    /// Whether its subject is public (a system on the register, a published dataset), so the
    /// event may be shown.
    pub public: bool,
    /// Leaf index in the events log.
    pub leaf_index: u64,
    /// SHA-256 (hex) of the event's canonical JSON, as committed.
    pub event_sha256: String,
    /// The events log the leaf is in; `None` for a leaf recorded before logs were told apart
    /// and not (yet) found in a log (see [`Store::attribute_event_leaves`]).
    pub log_origin: Option<String>,
}

/// `$first, ..` for `count` parameters: an `IN` list (at most 500 long, well within every
/// backend's parameter limit).
fn placeholders(first: usize, count: usize) -> String {
    (first..first + count).map(|n| format!("${n}")).collect::<Vec<_>>().join(", ")
}

/// An event's columns, its subject's public ID as `public_id`: the system's, or the named
/// subject of an event about something else (`dataset:<slug>`).
const EVENT_COLS: &str = "e.id, COALESCE(s.public_id, e.subject) AS public_id, e.version, e.kind, \
     e.from_status, e.to_status, e.actor_name, e.reason, e.at";

impl Store {
    /// Up to `limit` events not yet in the events log, oldest first.
    ///
    /// # Errors
    /// Database errors.
    pub async fn unlogged_events(&self, limit: i64) -> Result<Vec<Event>> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {EVENT_COLS} FROM system_events e LEFT JOIN systems s ON s.id = e.system_id \
             LEFT JOIN event_leaves l ON l.event_id = e.id WHERE l.event_id IS NULL ORDER BY e.id LIMIT $1"
        )))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| crate::systems::event_from_row(r, r.try_get("public_id")?)).collect()
    }

    /// Every event about the named subject `subject` (`dataset:<slug>`), logged or not, oldest
    /// first.
    ///
    /// # Errors
    /// Database errors.
    pub async fn subject_events(&self, subject: &str) -> Result<Vec<Event>> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {EVENT_COLS} FROM system_events e LEFT JOIN systems s ON s.id = e.system_id \
             WHERE e.subject = $1 ORDER BY e.id"
        )))
        .bind(subject)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| crate::systems::event_from_row(r, r.try_get("public_id")?)).collect()
    }

    /// Those of `ids` that are events with no leaf recorded yet, oldest first.
    ///
    /// # Errors
    /// Database errors.
    pub async fn unlogged_events_among(&self, ids: &[i64]) -> Result<Vec<Event>> {
        let mut out = Vec::new();
        for chunk in ids.chunks(500) {
            let sql = format!(
                "SELECT {EVENT_COLS} FROM system_events e LEFT JOIN systems s ON s.id = e.system_id \
                 LEFT JOIN event_leaves l ON l.event_id = e.id WHERE l.event_id IS NULL AND e.id IN ({}) \
                 ORDER BY e.id",
                placeholders(1, chunk.len())
            );
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for id in chunk {
                q = q.bind(*id);
            }
            for r in q.fetch_all(&self.pool).await? {
                out.push(crate::systems::event_from_row(&r, r.try_get("public_id")?)?);
            }
        }
        out.sort_by_key(|e| e.id);
        Ok(out)
    }

    /// Records where events went in the events log named `origin` (a later record of the same
    /// event wins).
    ///
    /// # Errors
    /// Database errors.
    pub async fn record_event_leaves(&self, origin: &str, leaves: &[(i64, u64, String)]) -> Result<()> {
        let (_guard, mut tx) = self.begin_write().await?;
        for (event, index, sha) in leaves {
            let index =
                i64::try_from(*index).map_err(|_| StoreError::Conflict("leaf index out of range".into()))?;
            sqlx::query("DELETE FROM event_leaves WHERE event_id = $1").bind(event).execute(&mut *tx).await?;
            sqlx::query(
                "INSERT INTO event_leaves (event_id, leaf_index, event_sha256, log_origin) VALUES ($1, $2, $3, $4)",
            )
            .bind(event)
            .bind(index)
            .bind(sha)
            .bind(origin)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Leaves recorded before logs were told apart (no log origin): (event, leaf index, committed
    /// hash), by event. The server reads each back from the logs it serves to learn which log it
    /// is in (the server's `events_log::attribute_legacy_leaves`).
    ///
    /// # Errors
    /// Database errors.
    pub async fn unattributed_event_leaves(&self) -> Result<Vec<(i64, u64, String)>> {
        let rows = sqlx::query(
            "SELECT event_id, leaf_index, event_sha256 FROM event_leaves WHERE log_origin IS NULL ORDER BY event_id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let index: i64 = r.try_get("leaf_index")?;
                let index = u64::try_from(index).map_err(|e| StoreError::Corrupt(e.to_string()))?;
                Ok((r.try_get("event_id")?, index, r.try_get("event_sha256")?))
            })
            .collect()
    }

    /// Attributes the unattributed leaves of `events` to the events log `origin`, where the
    /// caller found them. Returns how many it attributed.
    ///
    /// # Errors
    /// Database errors.
    pub async fn attribute_event_leaves(&self, origin: &str, events: &[i64]) -> Result<u64> {
        let (_guard, mut tx) = self.begin_write().await?;
        let mut done = 0;
        for chunk in events.chunks(500) {
            let sql = format!(
                "UPDATE event_leaves SET log_origin = $1 WHERE log_origin IS NULL AND event_id IN ({})",
                placeholders(2, chunk.len())
            );
            let mut q = sqlx::query(AssertSqlSafe(sql)).bind(origin);
            for id in chunk {
                q = q.bind(*id);
            }
            done += q.execute(&mut *tx).await?.rows_affected();
        }
        tx.commit().await?;
        Ok(done)
    }

    /// An event's place in the events log, if it has one yet.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] for an unknown event.
    pub async fn event_leaf(&self, event_id: i64) -> Result<Option<EventLeaf>> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {EVENT_COLS}, l.leaf_index, l.event_sha256, l.log_origin, \
             (SELECT COUNT(*) FROM public_register p WHERE p.system_id = e.system_id) \
             + (SELECT COUNT(*) FROM datasets d JOIN dataset_publications dp ON dp.dataset_id = d.id \
                WHERE e.subject = 'dataset:' || d.slug) AS public \
             FROM system_events e LEFT JOIN systems s ON s.id = e.system_id \
             LEFT JOIN event_leaves l ON l.event_id = e.id WHERE e.id = $1"
        )))
        .bind(event_id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::NotFound { what: "event", id: event_id.to_string() })?;
        let Some(index) = row.try_get::<Option<i64>, _>("leaf_index")? else { return Ok(None) };
        Ok(Some(EventLeaf {
            event: crate::systems::event_from_row(&row, row.try_get("public_id")?)?,
            public: row.try_get::<i64, _>("public")? > 0,
            leaf_index: u64::try_from(index).map_err(|e| StoreError::Corrupt(e.to_string()))?,
            event_sha256: row.try_get("event_sha256")?,
            log_origin: row.try_get("log_origin")?,
        }))
    }
}
