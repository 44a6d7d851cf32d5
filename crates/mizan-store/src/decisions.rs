//! Logged automated decisions: the record and its key, beside the leaf the ledger holds.
//!
//! The ledger (a transparency log, outside the database) holds one fixed-size commitment per
//! decision; this table holds what it commits to. A decision is acknowledged only after both
//! are durable: the server appends to the log first and writes these rows second, so a crash in
//! between leaves an orphan leaf that nobody was promised and nobody can link to anyone.

use std::collections::HashMap;
use std::sync::Arc;

use mizan_register::Status;
use sqlx::{AssertSqlSafe, Row};

use crate::{Backend, CODE_ALPHABET, OrgScope, Result, Store, StoreError, now, random_code};

/// A decision about to be stored, after its leaf is in the log. Borrowed: the intake keeps
/// the strings it computed and hands them on afterwards, so storing a row copies nothing.
#[derive(Debug, Clone, Copy)]
pub struct NewDecision<'a> {
    /// The provider's idempotency key (unique per system).
    pub idempotency_key: &'a str,
    /// SHA-256 (hex) of the submitted item, to tell a retry from a different decision.
    pub body_sha256: &'a str,
    /// The system version that made it.
    pub system_version: i64,
    /// Canonical JSON of the decision record the leaf commits to.
    pub record_json: &'a str,
    /// The per-decision HMAC key, hex.
    pub hmac_key: &'a str,
    /// When the decision was made (RFC 3339).
    pub decided_at: &'a str,
    /// Index of its leaf in the log.
    pub leaf_index: u64,
    /// Hex leaf hash (RFC 6962 `SHA-256(0x00 || leaf)`).
    pub leaf_hash: &'a str,
    /// The receipt reference (see [`Store::new_decision_reference`]).
    pub reference: &'a str,
    /// When it was logged: the time its acknowledgement states.
    pub logged_at: &'a str,
    /// The origin of the log its leaf is in (logs are shards by period).
    pub log_origin: &'a str,
    /// Why the system's oversight policy held it for a person's review (`adverse,margin`), if it
    /// did.
    pub held: Option<&'a str>,
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
    /// Why it was held for a person's review, if it was (`adverse,margin`).
    pub held: Option<String>,
}

/// Where decisions of a system may be logged: a system on the public register as `registered`
/// whose intake is not stopped, with the versions its decisions may name.
///
/// A decision may name any version that was registered, the current one or an earlier one
/// (decisions are logged in batches after they are made, so one made by version 1 the hour
/// before version 2 was registered must still be loggable), never one that was not (a draft, a
/// version under review or sent back). While a newer version is under review, the registered
/// one stays in use and its decisions are logged as before.
#[derive(Debug, Clone)]
pub struct DecisionTarget {
    system_id: i64,
    registered_version: i64,
    /// Every version that was registered, ascending.
    registered: Arc<[i64]>,
    /// The newest oversight policy set for each version that has one (JSON), ascending.
    policies: Arc<[(i64, String)]>,
}

impl DecisionTarget {
    /// The system's internal id, for grouping decisions of one system together.
    #[must_use]
    pub fn system_id(&self) -> i64 {
        self.system_id
    }

    /// The version on the public register now.
    #[must_use]
    pub fn registered_version(&self) -> i64 {
        self.registered_version
    }

    /// Every version that was registered, ascending: the versions decisions may name.
    #[must_use]
    pub fn registered_versions(&self) -> &[i64] {
        &self.registered
    }

    /// Whether a decision may name `version`.
    #[must_use]
    pub fn may_name(&self, version: i64) -> bool {
        self.registered.binary_search(&version).is_ok()
    }

    /// The oversight policy (`mizan.oversight-policy/1` JSON) decisions of `version` are held
    /// by: the one set for the highest version at or below it, if any.
    #[must_use]
    pub fn policy_for(&self, version: i64) -> Option<&str> {
        self.policies.iter().rev().find(|(v, _)| *v <= version).map(|(_, p)| p.as_str())
    }
}

/// Why a system's status keeps it from logging decisions, in words; `None` when it may.
fn unusable(public_id: &str, status: Status, registered_version: i64) -> Option<String> {
    let until = "it cannot log decisions until the regulator registers it";
    Some(match (status, registered_version) {
        (Status::Suspended, _) => {
            format!(
                "system `{public_id}` is suspended; it cannot log decisions until the regulator registers it again"
            )
        }
        (Status::Retired, _) => format!("system `{public_id}` is retired; it can no longer log decisions"),
        // A registered system with a newer version in the works stays registered in public.
        (_, v) if v > 0 => return None,
        (Status::Draft, _) => format!("system `{public_id}` is a draft, not registered; {until}"),
        (Status::Submitted, _) => format!("system `{public_id}` is submitted, not yet registered; {until}"),
        (Status::UnderReview, _) => {
            format!("system `{public_id}` is under review, not yet registered; {until}")
        }
        (Status::Registered, _) => return None,
    })
}

/// Rows per multi-row INSERT: 64 × 13 parameters stays far below both databases' limits.
const INSERT_CHUNK: usize = 64;

/// `INSERT … VALUES` for `n` rows (a power of two up to [`INSERT_CHUNK`]), built once per
/// backend. SQLite gets anonymous `?` parameters: with `$N` names, binding looks each name up
/// in a list, which made binding a 64-row statement quadratic (a fifth of the server's time).
fn insert_sql(backend: Backend, n: usize) -> &'static str {
    static SQL: std::sync::LazyLock<[Vec<String>; 2]> = std::sync::LazyLock::new(|| {
        let sizes = || (0..=INSERT_CHUNK.ilog2()).map(|b| 1usize << b);
        [
            sizes().map(|n| build_insert_sql(Backend::Sqlite, n)).collect(),
            sizes().map(|n| build_insert_sql(Backend::Postgres, n)).collect(),
        ]
    });
    let by_backend = match backend {
        Backend::Sqlite => &SQL[0],
        Backend::Postgres => &SQL[1],
    };
    by_backend.get(n.ilog2() as usize).map_or("", String::as_str)
}

/// `INSERT … VALUES` for `n` rows of [`INSERT_COLUMNS`] each, the system first.
fn build_insert_sql(backend: Backend, n: usize) -> String {
    use std::fmt::Write as _;
    let mut sql = format!("INSERT INTO decisions ({}) VALUES ", INSERT_COLUMNS.join(", "));
    let mut p = 0;
    for r in 0..n {
        sql.push_str(if r == 0 { "(" } else { ", (" });
        for c in 0..INSERT_COLUMNS.len() {
            if c > 0 {
                sql.push_str(", ");
            }
            p += 1;
            let _ = match backend {
                Backend::Sqlite => write!(sql, "?"),
                Backend::Postgres => write!(sql, "${p}"),
            };
        }
        sql.push(')');
    }
    sql
}

/// The columns a new decision row binds, in binding order.
const INSERT_COLUMNS: [&str; 13] = [
    "system_id",
    "reference",
    "idempotency_key",
    "body_sha256",
    "system_version",
    "leaf_index",
    "leaf_hash",
    "record_json",
    "hmac_key",
    "decided_at",
    "logged_at",
    "log_origin",
    "held",
];

/// The columns of a [`StoredDecision`], as a literal so that statements can be built with
/// `concat!` at compile time.
macro_rules! cols {
    () => {
        "d.reference, s.public_id, d.system_version, d.idempotency_key, d.body_sha256, d.leaf_index, \
         d.leaf_hash, d.record_json, d.hmac_key, d.decided_at, d.logged_at, d.erased_at, d.log_origin, d.held"
    };
}
const COLS: &str = cols!();

/// A row of either driver: the pool's rows, or a direct connection's (see `direct.rs`), so
/// one function maps both.
trait Columns {
    fn text(&self, col: &str) -> Result<String>;
    fn opt_text(&self, col: &str) -> Result<Option<String>>;
    fn int(&self, col: &str) -> Result<i64>;
}

impl Columns for sqlx::any::AnyRow {
    fn text(&self, col: &str) -> Result<String> {
        Ok(self.try_get(col)?)
    }
    fn opt_text(&self, col: &str) -> Result<Option<String>> {
        Ok(self.try_get(col)?)
    }
    fn int(&self, col: &str) -> Result<i64> {
        Ok(self.try_get(col)?)
    }
}

impl Columns for rusqlite::Row<'_> {
    fn text(&self, col: &str) -> Result<String> {
        Ok(self.get(col)?)
    }
    fn opt_text(&self, col: &str) -> Result<Option<String>> {
        Ok(self.get(col)?)
    }
    fn int(&self, col: &str) -> Result<i64> {
        Ok(self.get(col)?)
    }
}

fn from_row(r: &impl Columns) -> Result<StoredDecision> {
    Ok(StoredDecision {
        reference: r.text("reference")?,
        system: r.text("public_id")?,
        system_version: r.int("system_version")?,
        idempotency_key: r.text("idempotency_key")?,
        body_sha256: r.text("body_sha256")?,
        leaf_index: u64::try_from(r.int("leaf_index")?)
            .map_err(|e| StoreError::Corrupt(format!("leaf index: {e}")))?,
        leaf_hash: r.text("leaf_hash")?,
        record_json: r.opt_text("record_json")?,
        hmac_key: r.opt_text("hmac_key")?,
        decided_at: r.text("decided_at")?,
        logged_at: r.text("logged_at")?,
        erased_at: r.opt_text("erased_at")?,
        log_origin: r.opt_text("log_origin")?,
        held: r.opt_text("held")?,
    })
}

/// Runs `sql` with `params` on a reader connection and maps every row.
fn read_decisions(
    direct: &crate::direct::Direct,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<Vec<StoredDecision>> {
    let conn = direct.reader()?;
    let mut stmt = conn.prepare_cached(sql)?;
    let mut rows = stmt.query(params)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(from_row(row)?);
    }
    Ok(out)
}

/// Rows in the next INSERT of a batch with `left` rows still to store: [`INSERT_CHUNK`], or
/// the largest power of two below it.
fn chunk_len(left: usize) -> usize {
    if left >= INSERT_CHUNK { INSERT_CHUNK } else { 1 << left.ilog2() }
}

fn logged_meanwhile() -> StoreError {
    StoreError::Conflict("an idempotency key in this batch was logged meanwhile; retry the batch".into())
}

/// [`Store::insert_decisions`] on SQLite's direct writer: one transaction, committed (and
/// synced) before it returns, or nothing (dropping the transaction rolls it back).
fn insert_direct(conn: &mut rusqlite::Connection, system_id: i64, rows: &[NewDecision<'_>]) -> Result<()> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let mut rest = rows;
    while !rest.is_empty() {
        let (chunk, tail) = rest.split_at(chunk_len(rest.len()));
        rest = tail;
        let mut stmt = tx.prepare_cached(insert_sql(Backend::Sqlite, chunk.len()))?;
        let mut p = 0;
        let mut bind = |stmt: &mut rusqlite::CachedStatement<'_>, v: &dyn rusqlite::ToSql| {
            p += 1;
            stmt.raw_bind_parameter(p, v)
        };
        for d in chunk {
            let index = i64::try_from(d.leaf_index)
                .map_err(|_| StoreError::Conflict(format!("leaf index {} out of range", d.leaf_index)))?;
            bind(&mut stmt, &system_id)?;
            bind(&mut stmt, &d.reference)?;
            bind(&mut stmt, &d.idempotency_key)?;
            bind(&mut stmt, &d.body_sha256)?;
            bind(&mut stmt, &d.system_version)?;
            bind(&mut stmt, &index)?;
            bind(&mut stmt, &d.leaf_hash)?;
            bind(&mut stmt, &d.record_json)?;
            bind(&mut stmt, &d.hmac_key)?;
            bind(&mut stmt, &d.decided_at)?;
            bind(&mut stmt, &d.logged_at)?;
            bind(&mut stmt, &d.log_origin)?;
            bind(&mut stmt, &d.held)?;
        }
        match stmt.raw_execute() {
            Ok(stored) if stored == chunk.len() => {}
            Ok(stored) => {
                return Err(StoreError::Corrupt(format!(
                    "{stored} of {} decisions were stored; nothing was committed",
                    chunk.len()
                )));
            }
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE =>
            {
                return Err(logged_meanwhile());
            }
            Err(e) => return Err(e.into()),
        }
    }
    tx.commit()?;
    Ok(())
}

/// Key lookups with more keys than this run on the blocking pool rather than on the calling
/// async worker, which a long lookup would hold up.
const INLINE_KEYS: usize = 32;

impl Store {
    /// A fresh receipt reference for the decision at `leaf_index`: 20 characters of a 32-letter
    /// alphabet, the leaf index in the first 8 (so that new references land together at the end
    /// of their index rather than on a random page each, which is what keeps a batch's insert
    /// cheap) and 12 random ones (60 bits, beyond guessing over a network). The index is on the
    /// receipt anyway; holding the whole reference is what entitles one to the record.
    #[must_use]
    pub fn new_decision_reference(leaf_index: u64) -> String {
        let mut out: String = (0..8)
            .rev()
            .map(|d| char::from(CODE_ALPHABET[((leaf_index >> (5 * d)) & 31) as usize]))
            .collect();
        out.push_str(&random_code(12));
        out
    }

    /// Checks that `scope`'s organisation owns `public_id` and that it may log decisions: it is
    /// on the public register as `registered` (not a draft, submitted, under review, suspended
    /// or retired) and its intake is not stopped. The answer is kept for [`crate::TARGET_TTL`],
    /// unless the caller needs a version newer than the registered one kept (`need_version`: the
    /// highest version its decisions name), so a version registered a moment ago is usable at
    /// once; a change of status or of the intake stop made by this process drops it at once.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] for an unknown system or one of another organisation;
    /// [`StoreError::Conflict`] naming the status of a system that may not be used, or who
    /// stopped its intake, when and why.
    pub async fn decision_target(
        &self,
        scope: OrgScope,
        public_id: &str,
        need_version: i64,
    ) -> Result<DecisionTarget> {
        if let Some(t) =
            self.hot.target(scope.org_id(), public_id).filter(|t| t.registered_version >= need_version)
        {
            return Ok(t);
        }
        let generation = self.hot.target_generation();
        let t = self.decision_target_uncached(scope, public_id).await?;
        self.hot.put_target(generation, scope.org_id(), public_id, t.clone());
        Ok(t)
    }

    async fn decision_target_uncached(&self, scope: OrgScope, public_id: &str) -> Result<DecisionTarget> {
        let mut tx = self.begin_scoped_read(scope).await?;
        let row = sqlx::query(
            "SELECT id, status, registered_version FROM systems WHERE public_id = $1 AND org_id = $2",
        )
        .bind(public_id)
        .bind(scope.org_id())
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| StoreError::NotFound { what: "system", id: public_id.to_owned() })?;
        let system_id: i64 = row.try_get("id")?;
        let status = Status::parse(&row.try_get::<String, _>("status")?)?;
        let registered_version: i64 = row.try_get("registered_version")?;
        if let Some(why) = unusable(public_id, status, registered_version) {
            return Err(StoreError::Conflict(why));
        }
        if let Some(stop) = crate::intake::current_stop(&mut tx, system_id).await? {
            return Err(StoreError::Conflict(stop.refusal(public_id)));
        }
        let registered: Vec<i64> = sqlx::query_scalar(
            "SELECT DISTINCT version FROM system_events WHERE system_id = $1 AND kind = 'transition' \
             AND to_status = 'registered' ORDER BY version",
        )
        .bind(system_id)
        .fetch_all(&mut *tx)
        .await?;
        let policies = crate::oversight::newest_policies(&mut tx, system_id).await?;
        tx.commit().await?;
        Ok(DecisionTarget {
            system_id,
            registered_version,
            registered: registered.into(),
            policies: policies.into(),
        })
    }

    /// Decisions already logged under any of `keys`, by key.
    ///
    /// # Errors
    /// Database errors.
    pub async fn decisions_by_key(
        &self,
        scope: OrgScope,
        target: &DecisionTarget,
        keys: &[&str],
    ) -> Result<HashMap<String, StoredDecision>> {
        let mut out = HashMap::new();
        if keys.is_empty() {
            return Ok(out);
        }
        // All keys go in as one JSON array parameter: one statement whatever their number,
        // instead of one bound parameter each (binding cost grows with a statement's size).
        let keys_json = serde_json::to_string(keys).map_err(|e| StoreError::Corrupt(format!("keys: {e}")))?;
        let found = if let Some(direct) = &self.direct {
            // One statement reads a consistent snapshot by itself, and SQLite has no row-level
            // security to fence, so it runs without a transaction.
            const SQL: &str = concat!(
                "SELECT ",
                cols!(),
                " FROM decisions d JOIN systems s ON s.id = d.system_id \
                 WHERE d.system_id = ?1 AND d.idempotency_key IN (SELECT value FROM json_each(?2))"
            );
            let system_id = target.system_id;
            if keys.len() <= INLINE_KEYS {
                read_decisions(direct, SQL, (system_id, keys_json))?
            } else {
                let direct = Arc::clone(direct);
                tokio::task::spawn_blocking(move || read_decisions(&direct, SQL, (system_id, keys_json)))
                    .await
                    .map_err(|e| StoreError::Direct(format!("key lookup: {e}")))??
            }
        } else {
            // PostgreSQL: SQLite always has direct connections.
            let sql = format!(
                "SELECT {COLS} FROM decisions d JOIN systems s ON s.id = d.system_id \
                 WHERE d.system_id = $1 AND d.idempotency_key IN (SELECT json_array_elements_text($2::json))"
            );
            let mut tx = self.begin_scoped_read(scope).await?;
            let rows = sqlx::query(AssertSqlSafe(sql))
                .bind(target.system_id)
                .bind(keys_json)
                .fetch_all(&mut *tx)
                .await?;
            tx.commit().await?;
            rows.iter().map(from_row).collect::<Result<Vec<_>>>()?
        };
        for d in found {
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
        target: &DecisionTarget,
        rows: &[NewDecision<'_>],
    ) -> Result<()> {
        // Rows go in as multi-row INSERTs of INSERT_CHUNK rows, the rest in power-of-two
        // chunks, so a batch of any size uses at most seven distinct statements, all prepared
        // once and kept in the connection's cache. Unpacking the rows from one JSON parameter
        // instead cost a third of the database's time (SQLite parses the JSON, then each
        // `->>` converts it back to text).
        if let Some(direct) = &self.direct {
            // The whole transaction on this thread, with no hand-off per statement (see
            // `direct.rs`). It includes the commit's sync, so on a multi-threaded runtime the
            // worker's other tasks move to another thread meanwhile.
            let _guard = self.write_lock.lock().await;
            let run = || insert_direct(&mut *direct.writer()?, target.system_id, rows);
            return match tokio::runtime::Handle::try_current().map(|h| h.runtime_flavor()) {
                Ok(tokio::runtime::RuntimeFlavor::MultiThread) => tokio::task::block_in_place(run),
                _ => run(),
            };
        }
        let (_guard, mut tx) = self.begin_scoped_write(scope).await?;
        let mut rest = rows;
        while !rest.is_empty() {
            let (chunk, tail) = rest.split_at(chunk_len(rest.len()));
            let n = chunk.len();
            rest = tail;
            let mut q = sqlx::query(AssertSqlSafe(insert_sql(self.backend, n)));
            for d in chunk {
                let index = i64::try_from(d.leaf_index)
                    .map_err(|_| StoreError::Conflict(format!("leaf index {} out of range", d.leaf_index)))?;
                q = q
                    .bind(target.system_id)
                    .bind(d.reference)
                    .bind(d.idempotency_key)
                    .bind(d.body_sha256)
                    .bind(d.system_version)
                    .bind(index)
                    .bind(d.leaf_hash)
                    .bind(d.record_json)
                    .bind(d.hmac_key)
                    .bind(d.decided_at)
                    .bind(d.logged_at)
                    .bind(d.log_origin)
                    .bind(d.held);
            }
            match q.execute(&mut *tx).await {
                Ok(r) if r.rows_affected() == n as u64 => {}
                Ok(r) => {
                    return Err(StoreError::Corrupt(format!(
                        "{} of {n} decisions were stored; nothing was committed",
                        r.rows_affected()
                    )));
                }
                Err(e) if crate::is_unique_violation(&e) => return Err(logged_meanwhile()),
                Err(e) => return Err(e.into()),
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// A decision by its receipt reference (whoever holds the reference may read it).
    ///
    /// # Errors
    /// [`StoreError::NotFound`] for an unknown reference.
    pub async fn decision(&self, reference: &str) -> Result<StoredDecision> {
        let not_found = || StoreError::NotFound { what: "receipt", id: reference.to_owned() };
        if let Some(direct) = &self.direct {
            // A point lookup of a few microseconds: on the calling thread, no hand-off.
            const SQL: &str = concat!(
                "SELECT ",
                cols!(),
                " FROM decisions d JOIN systems s ON s.id = d.system_id WHERE d.reference = ?1"
            );
            return read_decisions(direct, SQL, [reference])?.pop().ok_or_else(not_found);
        }
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {COLS} FROM decisions d JOIN systems s ON s.id = d.system_id WHERE d.reference = $1"
        )))
        .bind(reference)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(not_found)?;
        from_row(&row)
    }

    /// Erases a decision's record and key (a data-protection request). The leaf stays in the
    /// log, which still verifies; without `k` it can no longer be linked to anyone. Closed
    /// cases about it lose their words, contacts, summary and documents; returns the SHA-256 of
    /// each document file no row names any more, for the caller to delete.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] for an unknown reference or one of another organisation.
    pub async fn erase_decision(&self, scope: OrgScope, reference: &str) -> Result<Vec<String>> {
        let (guard, mut tx) = self.begin_scoped_write(scope).await?;
        // A legal hold: while a case about the decision is open (an appeal, or the review of a
        // held decision), it stays.
        let open =
            sqlx::query("SELECT reference, case_type FROM cases WHERE subject = $1 AND is_open = 1 LIMIT 1")
                .bind(reference)
                .fetch_optional(&mut *tx)
                .await?;
        if let Some(row) = open {
            let (case, case_type): (String, String) = (row.try_get("reference")?, row.try_get("case_type")?);
            return Err(StoreError::Conflict(format!(
                "decision `{reference}` is {} ({case}); it cannot be erased until that case is closed",
                if case_type == "oversight" { "held for a person's review" } else { "under appeal" }
            )));
        }
        let res = sqlx::query(
            "UPDATE decisions SET record_json = NULL, hmac_key = NULL, body_sha256 = '', erased_at = $1 \
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
        // Closed cases about it keep their commitments and figures, not its subject's words.
        sqlx::query(
            "UPDATE case_entries SET entry_json = NULL WHERE entry_json IS NOT NULL AND case_id IN \
             (SELECT id FROM cases WHERE subject = $1 AND org_id = $2)",
        )
        .bind(reference)
        .bind(scope.org_id())
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE cases SET contact_email = NULL, contact_phone = NULL, entry_key = NULL, token_hash = '', \
             public_summary = NULL, redacted_at = $3 WHERE subject = $1 AND org_id = $2 AND redacted_at IS NULL",
        )
        .bind(reference)
        .bind(scope.org_id())
        .bind(now())
        .execute(&mut *tx)
        .await?;
        // The documents the person filed are theirs too: the rows go here, the files no other
        // case names go once this commits (the caller deletes them).
        let hashes: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT sha256 FROM case_documents WHERE case_id IN \
             (SELECT id FROM cases WHERE subject = $1 AND org_id = $2)",
        )
        .bind(reference)
        .bind(scope.org_id())
        .fetch_all(&mut *tx)
        .await?;
        sqlx::query(
            "DELETE FROM case_documents WHERE case_id IN (SELECT id FROM cases WHERE subject = $1 AND org_id = $2)",
        )
        .bind(reference)
        .bind(scope.org_id())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        // Asked unfenced, after the commit: inside the fence another organisation's row that
        // names the same bytes is invisible, and the file would look unused.
        let mut gone = Vec::new();
        for h in hashes {
            if !self.document_in_use(&h).await? {
                gone.push(h);
            }
        }
        drop(guard);
        // The pages the record was in are still in SQLite's write-ahead log: copy them into the
        // file (where secure_delete has zeroed the old bytes) and empty the log.
        // A reader still on an older snapshot keeps the checkpoint from finishing (it answers
        // `busy` rather than failing), so it is tried again until the log is empty.
        if self.backend == Backend::Sqlite {
            for attempt in 0..100 {
                let row = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").fetch_one(&self.pool).await?;
                let busy: i64 = row.try_get(0)?;
                if busy == 0 {
                    break;
                }
                if attempt == 99 {
                    tracing::warn!(decision = %reference, "erasure: the write-ahead log could not be emptied yet");
                }
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
        }
        Ok(gone)
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
