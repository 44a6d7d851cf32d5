//! The tables the database itself keeps append-only, and the hooks tests use to prove it: an
//! `UPDATE`, a `DELETE` or (on PostgreSQL) a `TRUNCATE` of any of them is refused by a trigger,
//! whatever the application does.

use sqlx::{AssertSqlSafe, Row};

use crate::{Backend, Result, Store};

/// Every append-only table with a text column that never changes once written (the column a
/// test tries to rewrite), and whether rows may be deleted: `explanations` may (erasure removes
/// them with their decision; only an update is refused).
pub const APPEND_ONLY: &[(&str, &str, bool)] = &[
    ("system_events", "reason", false),
    ("system_versions", "record_json", false),
    ("classifications", "ruleset_sha256", false),
    ("tier_overrides", "reason", false),
    ("reviews", "reason", false),
    ("models", "sha256", false),
    ("explanations", "explanation_json", true),
    ("audits", "run_by_name", false),
    ("security_events", "detail", false),
    ("case_entries", "commitment", false),
    ("intake_stops", "actor_name", false),
    ("oversight_policies", "policy_json", false),
    ("model_cards", "card_json", false),
    ("dataset_versions", "meta_json", false),
    ("dataset_publications", "actor_name", false),
    ("dataset_acceptances", "terms_id", false),
    ("dataset_downloads", "file_name", false),
    ("dataset_access_tokens", "token_hash", false),
    ("sandbox_settings", "settings", false),
    ("sandbox_spends", "shape", false),
    ("sandbox_synthetic", "sha256", false),
    ("grid_resources", "description", false),
    ("grid_allocations", "title", false),
    ("grid_imports", "cluster", false),
    ("grid_jobs", "state", false),
];

/// A change a test attempts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// `UPDATE t SET column = column || 'x'` on every row.
    Update,
    /// `DELETE FROM t`.
    Delete,
    /// `TRUNCATE t` (PostgreSQL; SQLite has no `TRUNCATE`).
    Truncate,
}

fn listed(table: &str) -> Option<&'static (&'static str, &'static str, bool)> {
    APPEND_ONLY.iter().find(|(t, _, _)| *t == table)
}

impl Store {
    /// Attempts `change` on append-only `table` (one of [`APPEND_ONLY`]; any other name is
    /// refused before SQL is built). The database must refuse it; the error is its message.
    ///
    /// # Errors
    /// The database's refusal, which is the expected outcome.
    ///
    /// # Panics
    /// For a table not in [`APPEND_ONLY`] (a test's mistake).
    pub async fn try_change(&self, table: &str, change: Change) -> Result<u64> {
        let (t, column, _) = listed(table).unwrap_or_else(|| panic!("`{table}` is not an append-only table"));
        let sql = match change {
            Change::Update => format!("UPDATE {t} SET {column} = {column} || 'x'"),
            Change::Delete => format!("DELETE FROM {t}"),
            Change::Truncate => format!("TRUNCATE {t} CASCADE"),
        };
        Ok(sqlx::query(AssertSqlSafe(sql)).execute(&self.pool).await?.rows_affected())
    }

    /// Rows of append-only `table` and the total length of its protected column: equal before
    /// and after a refused change when nothing changed.
    ///
    /// # Errors
    /// Database errors.
    ///
    /// # Panics
    /// For a table not in [`APPEND_ONLY`].
    pub async fn table_fingerprint(&self, table: &str) -> Result<(i64, i64)> {
        let (t, column, _) = listed(table).unwrap_or_else(|| panic!("`{table}` is not an append-only table"));
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT COUNT(*) AS n, COALESCE(SUM(LENGTH({column})), 0) AS len FROM {t}"
        )))
        .fetch_one(&self.pool)
        .await?;
        Ok((row.try_get("n")?, row.try_get("len")?))
    }

    /// Every table that has a trigger in the database's schema, sorted: a test compares it with
    /// [`APPEND_ONLY`] so a new protected table cannot go untested.
    ///
    /// # Errors
    /// Database errors.
    pub async fn tables_with_triggers(&self) -> Result<Vec<String>> {
        let sql = match self.backend() {
            Backend::Sqlite => {
                "SELECT DISTINCT tbl_name AS t FROM sqlite_master WHERE type = 'trigger' ORDER BY t"
            }
            Backend::Postgres => {
                "SELECT DISTINCT c.relname::text AS t FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid \
                 WHERE NOT g.tgisinternal ORDER BY t"
            }
        };
        let rows = sqlx::query(sql).fetch_all(&self.pool).await?;
        rows.iter().map(|r| Ok(r.try_get::<String, _>("t")?)).collect()
    }
}
