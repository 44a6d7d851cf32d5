//! Human oversight of decisions: each system's oversight policies (`oversight_policies`,
//! append-only, one row per change, each also an event of the system, `oversight-policy`, so the
//! events log commits to every change), the decisions they held (`decisions.held`) and the
//! reviewers' agreement with the AI.
//!
//! A held decision is pending until a decision that supersedes it is logged
//! (`decision_supersessions`); the review itself is a case of type `oversight` about the
//! decision, which `mizan-app` opens as the decision is logged and, should it have stopped in
//! between, from [`Store::held_without_case`].

use std::collections::BTreeMap;

use sqlx::Row;

use crate::systems::{ActorRef, insert_event};
use crate::{OrgScope, Result, Store, StoreError, is_unique_violation, now};

type Tx = sqlx::Transaction<'static, sqlx::Any>;

/// The newest policy of each version of `system_id` that has one, ascending by version.
pub(crate) async fn newest_policies(tx: &mut Tx, system_id: i64) -> Result<Vec<(i64, String)>> {
    let rows = sqlx::query(
        "SELECT p.version, p.policy_json FROM oversight_policies p WHERE p.system_id = $1 AND p.seq = \
         (SELECT MAX(q.seq) FROM oversight_policies q WHERE q.system_id = p.system_id AND q.version = p.version) \
         ORDER BY p.version",
    )
    .bind(system_id)
    .fetch_all(&mut **tx)
    .await?;
    rows.iter().map(|r| Ok((r.try_get("version")?, r.try_get("policy_json")?))).collect()
}

/// One change of a system's oversight policy.
#[derive(Debug, Clone)]
pub struct PolicyChange {
    /// The version it holds from.
    pub version: i64,
    /// The policy (`mizan.oversight-policy/1` JSON).
    pub policy_json: String,
    /// Who set it.
    pub actor_name: String,
    /// When.
    pub at: String,
}

/// A decision held for review, with what a reviewer needs to see.
#[derive(Debug, Clone)]
pub struct HeldDecision {
    /// The decision's receipt reference.
    pub reference: String,
    /// The organisation that must review it.
    pub org_id: i64,
    /// The system's internal id.
    pub system_id: i64,
    /// The version that decided.
    pub system_version: i64,
    /// Why it was held.
    pub held: String,
    /// When it was logged.
    pub logged_at: String,
}

/// Reviewers' agreement with the AI: reviewed decisions, and how many the person changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Agreement {
    /// Decisions a person reviewed.
    pub reviewed: i64,
    /// Of those, how many the person changed (reversed or modified).
    pub changed: i64,
}

impl Agreement {
    /// The share the person confirmed, if any were reviewed.
    #[must_use]
    #[allow(clippy::cast_precision_loss)]
    pub fn agreement(&self) -> Option<f64> {
        (self.reviewed > 0).then(|| (self.reviewed - self.changed) as f64 / self.reviewed as f64)
    }
}

impl Store {
    /// Sets the oversight policy of `public_id` from `version` on, as `actor`; recorded as an
    /// event of the system. The caller checked the policy against its format.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] for a system not of `scope`'s organisation;
    /// [`StoreError::Conflict`] for a version the system does not have, or another change made
    /// at the same moment.
    pub async fn set_oversight_policy(
        &self,
        scope: OrgScope,
        public_id: &str,
        version: i64,
        policy_json: &str,
        actor: &ActorRef,
    ) -> Result<()> {
        let (guard, mut tx) = self.begin_scoped_write(scope).await?;
        let row = sqlx::query(
            "SELECT id, status, latest_version FROM systems WHERE public_id = $1 AND org_id = $2",
        )
        .bind(public_id)
        .bind(scope.org_id())
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| StoreError::NotFound { what: "system", id: public_id.to_owned() })?;
        let id: i64 = row.try_get("id")?;
        let status = mizan_register::Status::parse(&row.try_get::<String, _>("status")?)?;
        let latest: i64 = row.try_get("latest_version")?;
        if version < 1 || version > latest {
            return Err(StoreError::Conflict(format!(
                "system `{public_id}` has versions 1 to {latest}; there is no version {version}"
            )));
        }
        let seq: i64 =
            sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) FROM oversight_policies WHERE system_id = $1")
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
        let at = now();
        let inserted = sqlx::query(
            "INSERT INTO oversight_policies (system_id, version, seq, policy_json, actor_id, actor_name, at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id)
        .bind(version)
        .bind(seq + 1)
        .bind(policy_json)
        .bind(actor.user_id)
        .bind(&actor.name)
        .bind(&at)
        .execute(&mut *tx)
        .await;
        match inserted {
            Ok(_) => {}
            Err(e) if is_unique_violation(&e) => {
                return Err(StoreError::Conflict(format!(
                    "the oversight policy of `{public_id}` was changed at the same moment; reload and try again"
                )));
            }
            Err(e) => return Err(e.into()),
        }
        let reason = format!("oversight policy from version {version}: {policy_json}");
        insert_event(&mut tx, id, version, "oversight-policy", (status, status), actor, &reason).await?;
        tx.commit().await?;
        drop(guard);
        self.hot.forget_target(public_id);
        Ok(())
    }

    /// Every change of `public_id`'s oversight policy, newest first (public: the register shows
    /// what a system holds for review).
    ///
    /// # Errors
    /// Database errors.
    pub async fn oversight_policy_history(&self, public_id: &str) -> Result<Vec<PolicyChange>> {
        let rows = sqlx::query(
            "SELECT p.version, p.policy_json, p.actor_name, p.at FROM oversight_policies p \
             JOIN systems s ON s.id = p.system_id WHERE s.public_id = $1 ORDER BY p.seq DESC",
        )
        .bind(public_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(PolicyChange {
                    version: r.try_get("version")?,
                    policy_json: r.try_get("policy_json")?,
                    actor_name: r.try_get("actor_name")?,
                    at: r.try_get("at")?,
                })
            })
            .collect()
    }

    /// The policy in force for each version of `public_id` that has one (JSON), by version.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] for an unknown system.
    pub async fn oversight_policies(&self, public_id: &str) -> Result<BTreeMap<i64, String>> {
        let mut tx = self.pool.begin().await?;
        let id: i64 = sqlx::query_scalar("SELECT id FROM systems WHERE public_id = $1")
            .bind(public_id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| StoreError::NotFound { what: "system", id: public_id.to_owned() })?;
        let out = newest_policies(&mut tx, id).await?.into_iter().collect();
        tx.commit().await?;
        Ok(out)
    }

    /// Held decisions logged at or after `since` that have no oversight case yet (the process
    /// stopped between logging them and opening their cases), oldest first, at most `limit`.
    ///
    /// # Errors
    /// Database errors.
    pub async fn held_without_case(&self, since: &str, limit: i64) -> Result<Vec<HeldDecision>> {
        let rows = sqlx::query(
            "SELECT d.reference, s.org_id, d.system_id, d.system_version, d.held, d.logged_at FROM decisions d \
             JOIN systems s ON s.id = d.system_id \
             WHERE d.held IS NOT NULL AND d.logged_at >= $1 \
             AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.case_type = 'oversight' AND c.subject = d.reference) \
             ORDER BY d.logged_at LIMIT $2",
        )
        .bind(since)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(HeldDecision {
                    reference: r.try_get("reference")?,
                    org_id: r.try_get("org_id")?,
                    system_id: r.try_get("system_id")?,
                    system_version: r.try_get("system_version")?,
                    held: r.try_get("held")?,
                    logged_at: r.try_get("logged_at")?,
                })
            })
            .collect()
    }

    /// Reviewed oversight cases and how many the person changed: per system (`by_user` false) or
    /// per reviewer (`by_user` true, by the reviewer's name), of `scope`'s organisation or every one.
    /// `public_id` narrows to one system.
    ///
    /// # Errors
    /// Database errors.
    pub async fn oversight_agreement(
        &self,
        scope: Option<OrgScope>,
        public_id: Option<&str>,
        by_user: bool,
    ) -> Result<Vec<(String, Agreement)>> {
        let (key, group) = if by_user {
            ("COALESCE(u.display_name, '')", "c.decided_by, u.display_name")
        } else {
            ("s.public_id", "s.public_id")
        };
        let sql = format!(
            "SELECT {key} AS k, COUNT(*) AS reviewed, \
             SUM(CASE WHEN c.outcome IN ('reversed', 'modified') THEN 1 ELSE 0 END) AS changed \
             FROM cases c JOIN systems s ON s.id = c.system_id LEFT JOIN users u ON u.id = c.decided_by \
             WHERE c.case_type = 'oversight' AND c.state = 'reviewed' \
             AND ($1 = -1 OR c.org_id = $1) AND ($2 = '' OR s.public_id = $2) GROUP BY {group} ORDER BY 1"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(scope.map_or(-1, OrgScope::org_id))
            .bind(public_id.unwrap_or(""))
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get::<String, _>("k")?,
                    Agreement { reviewed: r.try_get("reviewed")?, changed: r.try_get("changed")? },
                ))
            })
            .collect()
    }
}
