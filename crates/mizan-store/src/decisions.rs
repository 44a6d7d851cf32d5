//! Logged automated decisions: the record and its key, beside the leaf the ledger holds.
//!
//! The ledger (a transparency log, outside the database) holds one fixed-size commitment per
//! decision; this table holds what it commits to. A decision is acknowledged only after both
//! are durable: the server appends to the log first and writes these rows second, so a crash in
//! between leaves an orphan leaf that nobody was promised and nobody can link to anyone.

use std::collections::HashMap;

use mizan_register::Status;
use sqlx::{AssertSqlSafe, Row};

use crate::{Backend, OrgScope, Result, Store, StoreError, now, random_code};

/// A decision about to be stored, after its leaf is in the log.
#[derive(Debug, Clone)]
pub struct NewDecision {
    /// The provider's idempotency key (unique per system).
    pub idempotency_key: String,
    /// SHA-256 (hex) of the submitted item, to tell a retry from a different decision.
    pub body_sha256: String,
    /// The system version that made it.
    pub system_version: i64,
    /// Canonical JSON of the decision record the leaf commits to.
    pub record_json: String,
    /// The per-decision HMAC key, hex.
    pub hmac_key: String,
    /// When the decision was made (RFC 3339).
    pub decided_at: String,
    /// Index of its leaf in the log.
    pub leaf_index: u64,
    /// Hex leaf hash (RFC 6962 `SHA-256(0x00 || leaf)`).
    pub leaf_hash: String,
    /// The receipt reference (see [`Store::new_decision_reference`]).
    pub reference: String,
    /// When it was logged: the time its acknowledgement states.
    pub logged_at: String,
    /// The origin of the log its leaf is in (logs are shards by period).
    pub log_origin: String,
}

/// A stored decision.
#[derive(Debug, Clone)]
pub struct StoredDecision {
    /// Receipt reference: unguessable, it is what the decision's holder keeps.
    pub reference: String,
    /// The system's public id.
    pub system: String,
    /// The system version.
    pub system_version: i64,
    /// The provider's idempotency key.
    pub idempotency_key: String,
    /// SHA-256 of the submitted item.
    pub body_sha256: String,
    /// Leaf index.
    pub leaf_index: u64,
    /// Leaf hash, hex.
    pub leaf_hash: String,
    /// Canonical record; `None` once erased.
    pub record_json: Option<String>,
    /// HMAC key, hex; `None` once erased.
    pub hmac_key: Option<String>,
    /// Decision time.
    pub decided_at: String,
    /// When it was logged.
    pub logged_at: String,
    /// When it was erased, if it was.
    pub erased_at: Option<String>,
    /// The origin of the log its leaf is in; `None` for decisions stored before this was kept
    /// (they are in the log that was current when they were logged).
    pub log_origin: Option<String>,
}

/// Where decisions of a system may be logged.
#[derive(Debug, Clone, Copy)]
pub struct DecisionTarget {
    system_id: i64,
    /// Newest submitted version.
    pub latest_version: i64,
}

impl DecisionTarget {
    /// The system's internal id, for grouping decisions of one system together.
    #[must_use]
    pub fn system_id(&self) -> i64 {
        self.system_id
    }
}

const COLS: &str = "d.reference, s.public_id, d.system_version, d.idempotency_key, d.body_sha256, d.leaf_index, \
    d.leaf_hash, d.record_json, d.hmac_key, d.decided_at, d.logged_at, d.erased_at, d.log_origin";

fn from_row(r: &sqlx::any::AnyRow) -> Result<StoredDecision> {
    Ok(StoredDecision {
        reference: r.try_get("reference")?,
        system: r.try_get("public_id")?,
        system_version: r.try_get("system_version")?,
        idempotency_key: r.try_get("idempotency_key")?,
        body_sha256: r.try_get("body_sha256")?,
        leaf_index: u64::try_from(r.try_get::<i64, _>("leaf_index")?)
            .map_err(|e| StoreError::Corrupt(format!("leaf index: {e}")))?,
        leaf_hash: r.try_get("leaf_hash")?,
        record_json: r.try_get("record_json")?,
        hmac_key: r.try_get("hmac_key")?,
        decided_at: r.try_get("decided_at")?,
        logged_at: r.try_get("logged_at")?,
        erased_at: r.try_get("erased_at")?,
        log_origin: r.try_get("log_origin")?,
    })
}

impl Store {
    /// A fresh receipt reference for the decision at `leaf_index`: 20 characters of a 32-letter
    /// alphabet, the leaf index in the first 8 (so that new references land together at the end
    /// of their index rather than on a random page each, which is what keeps a batch's insert
    /// cheap) and 12 random ones (60 bits, beyond guessing over a network). The index is on the
    /// receipt anyway; holding the whole reference is what entitles one to the record.
    #[must_use]
    pub fn new_decision_reference(leaf_index: u64) -> String {
        const ALPHABET: &[u8] = b"0123456789abcdefghjkmnpqrstvwxyz";
        let mut out: String =
            (0..8).rev().map(|d| char::from(ALPHABET[((leaf_index >> (5 * d)) & 31) as usize])).collect();
        out.push_str(&random_code(12));
        out
    }

    /// Checks that `scope`'s organisation owns `public_id` and that it can log decisions
    /// (it has a submitted version and is not retired). The answer is kept for
    /// [`crate::TARGET_TTL`], unless the caller needs a version newer than the one kept
    /// (`need_version`: the highest version its decisions name), so a version submitted a moment
    /// ago is usable at once and a retirement takes effect within the time-to-live.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] for an unknown system or one of another organisation;
    /// [`StoreError::Conflict`] for a system with no submitted version, or a retired one.
    pub async fn decision_target(
        &self,
        scope: OrgScope,
        public_id: &str,
        need_version: i64,
    ) -> Result<DecisionTarget> {
        if let Some(t) =
            self.hot.target(scope.org_id(), public_id).filter(|t| t.latest_version >= need_version)
        {
            return Ok(t);
        }
        let t = self.decision_target_uncached(scope, public_id).await?;
        self.hot.put_target(scope.org_id(), public_id, t);
        Ok(t)
    }

    async fn decision_target_uncached(&self, scope: OrgScope, public_id: &str) -> Result<DecisionTarget> {
        let mut tx = self.begin_scoped_read(scope).await?;
        let row = sqlx::query(
            "SELECT id, status, latest_version FROM systems WHERE public_id = $1 AND org_id = $2",
        )
        .bind(public_id)
        .bind(scope.org_id())
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| StoreError::NotFound { what: "system", id: public_id.to_owned() })?;
        tx.commit().await?;
        let status = Status::parse(&row.try_get::<String, _>("status")?)?;
        let latest_version: i64 = row.try_get("latest_version")?;
        if latest_version == 0 {
            return Err(StoreError::Conflict(format!(
                "system `{public_id}` has no submitted version; submit it before logging decisions"
            )));
        }
        if status == Status::Retired {
            return Err(StoreError::Conflict(format!(
                "system `{public_id}` is retired; it cannot log decisions"
            )));
        }
        Ok(DecisionTarget { system_id: row.try_get("id")?, latest_version })
    }

    /// Decisions already logged under any of `keys`, by key.
    ///
    /// # Errors
    /// Database errors.
    pub async fn decisions_by_key(
        &self,
        scope: OrgScope,
        target: DecisionTarget,
        keys: &[&str],
    ) -> Result<HashMap<String, StoredDecision>> {
        let mut out = HashMap::new();
        if keys.is_empty() {
            return Ok(out);
        }
        // All keys go in as one JSON array parameter: one statement whatever their number,
        // instead of one bound parameter each (binding cost grows with a statement's size).
        let keys_in = match self.backend {
            Backend::Sqlite => "(SELECT value FROM json_each($2))",
            Backend::Postgres => "(SELECT json_array_elements_text($2::json))",
        };
        let sql = format!(
            "SELECT {COLS} FROM decisions d JOIN systems s ON s.id = d.system_id \
             WHERE d.system_id = $1 AND d.idempotency_key IN {keys_in}"
        );
        let mut tx = self.begin_scoped_read(scope).await?;
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(target.system_id)
            .bind(serde_json::to_string(keys).map_err(|e| StoreError::Corrupt(format!("keys: {e}")))?)
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;
        for row in rows {
            let d = from_row(&row)?;
            out.insert(d.idempotency_key.clone(), d);
        }
        Ok(out)
    }

    /// Stores a batch of decisions whose leaves are already durable in the log, all or nothing.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] when an idempotency key was taken meanwhile (nothing is written).
    pub async fn insert_decisions(
        &self,
        scope: OrgScope,
        target: DecisionTarget,
        rows: &[&NewDecision],
    ) -> Result<()> {
        // The rows go in as one JSON parameter that the database unpacks itself: one statement
        // and one bound value for the whole batch, so thousands of rows cost one round trip.
        let mut json = Vec::with_capacity(rows.len() * 600);
        json.push(b'[');
        for (n, d) in rows.iter().enumerate() {
            let index = i64::try_from(d.leaf_index)
                .map_err(|_| StoreError::Conflict(format!("leaf index {} out of range", d.leaf_index)))?;
            if n > 0 {
                json.push(b',');
            }
            serde_json::to_writer(
                &mut json,
                &(
                    &d.reference,
                    &d.idempotency_key,
                    &d.body_sha256,
                    d.system_version,
                    index,
                    &d.leaf_hash,
                    &d.record_json,
                    &d.hmac_key,
                    &d.decided_at,
                    &d.logged_at,
                    &d.log_origin,
                ),
            )
            .map_err(|e| StoreError::Corrupt(format!("decision row: {e}")))?;
        }
        json.push(b']');
        let json = String::from_utf8(json).map_err(|e| StoreError::Corrupt(format!("decision rows: {e}")))?;
        let select = match self.backend {
            Backend::Sqlite => {
                "SELECT $1, value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, \
                 value ->> 6, value ->> 7, value ->> 8, value ->> 9, value ->> 10, NULL FROM json_each($2)"
            }
            Backend::Postgres => {
                "SELECT $1, r ->> 0, r ->> 1, r ->> 2, (r ->> 3)::bigint, (r ->> 4)::bigint, r ->> 5, \
                 r ->> 6, r ->> 7, r ->> 8, r ->> 9, r ->> 10, NULL FROM json_array_elements($2::json) AS r"
            }
        };
        let sql = format!(
            "INSERT INTO decisions (system_id, reference, idempotency_key, body_sha256, system_version, \
             leaf_index, leaf_hash, record_json, hmac_key, decided_at, logged_at, log_origin, erased_at) {select}"
        );
        let (_guard, mut tx) = self.begin_scoped_write(scope).await?;
        let done = sqlx::query(AssertSqlSafe(sql)).bind(target.system_id).bind(json).execute(&mut *tx).await;
        match done {
            Ok(r) if r.rows_affected() == rows.len() as u64 => {}
            Ok(r) => {
                return Err(StoreError::Corrupt(format!(
                    "{} of {} decisions were stored; nothing was committed",
                    r.rows_affected(),
                    rows.len()
                )));
            }
            Err(e) if crate::is_unique_violation(&e) => {
                return Err(StoreError::Conflict(
                    "an idempotency key in this batch was logged meanwhile; retry the batch".into(),
                ));
            }
            Err(e) => return Err(e.into()),
        }
        tx.commit().await?;
        Ok(())
    }

    /// A decision by its receipt reference (whoever holds the reference may read it).
    ///
    /// # Errors
    /// [`StoreError::NotFound`] for an unknown reference.
    pub async fn decision(&self, reference: &str) -> Result<StoredDecision> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {COLS} FROM decisions d JOIN systems s ON s.id = d.system_id WHERE d.reference = $1"
        )))
        .bind(reference)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::NotFound { what: "receipt", id: reference.to_owned() })?;
        from_row(&row)
    }

    /// Erases a decision's record and key (a data-protection request). The leaf stays in the
    /// log, which still verifies; without `k` it can no longer be linked to anyone.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] for an unknown reference or one of another organisation.
    pub async fn erase_decision(&self, scope: OrgScope, reference: &str) -> Result<()> {
        let (_guard, mut tx) = self.begin_scoped_write(scope).await?;
        let res = sqlx::query(
            "UPDATE decisions SET record_json = NULL, hmac_key = NULL, erased_at = $1 \
             WHERE reference = $2 AND system_id IN (SELECT id FROM systems WHERE org_id = $3)",
        )
        .bind(now())
        .bind(reference)
        .bind(scope.org_id())
        .execute(&mut *tx)
        .await?;
        if res.rows_affected() == 0 {
            return Err(StoreError::NotFound { what: "decision", id: reference.to_owned() });
        }
        // Its explanation holds the feature values, so it goes too.
        sqlx::query(
            "DELETE FROM explanations WHERE decision_id IN (SELECT id FROM decisions WHERE reference = $1)",
        )
        .bind(reference)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The newest `limit` decisions of any system, for the regulator.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] for an unknown system.
    pub async fn regulator_decisions(
        &self,
        _scope: crate::RegulatorScope,
        public_id: &str,
        limit: i64,
    ) -> Result<Vec<StoredDecision>> {
        let found: Option<i64> = sqlx::query_scalar("SELECT id FROM systems WHERE public_id = $1")
            .bind(public_id)
            .fetch_optional(&self.pool)
            .await?;
        let system_id =
            found.ok_or_else(|| StoreError::NotFound { what: "system", id: public_id.to_owned() })?;
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {COLS} FROM decisions d JOIN systems s ON s.id = d.system_id \
             WHERE d.system_id = $1 ORDER BY d.decided_at DESC, d.id DESC LIMIT $2"
        )))
        .bind(system_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(from_row).collect()
    }

    /// How many decisions the database holds (all systems); the ledger's size must never be
    /// smaller.
    ///
    /// # Errors
    /// Database errors.
    pub async fn count_decisions(&self) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM decisions").fetch_one(&self.pool).await?)
    }
}
