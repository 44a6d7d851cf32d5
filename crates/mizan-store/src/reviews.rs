//! Ethics-board review: independent reviewers approve, reject or send back a submitted
//! version, and the regulator cannot register a version that lacks the approvals its tier and
//! impact level call for.
//!
//! Reviews are bound to one version, so a new submission starts from zero approvals. The policy
//! (who needs review, by how many, who may not review) lives in `mizan_rules::review`; this
//! module applies it to stored rows.

use mizan_register::{Actor, Status};
use mizan_rules::review::{ReviewNeed, check_reviewer, review_need};
use mizan_rules::{Tier, impact::Assessment};
use sqlx::{AssertSqlSafe, Row};

use crate::systems::{ActorRef, SystemSummary, insert_event};
use crate::{Principal, Result, Store, StoreError, is_unique_violation, now};

/// Proof that the caller sits on the ethics board: a person (not a bare token) holding
/// `review:decide`. It carries the reviewer's organisation, which decides what they may not
/// review.
#[derive(Debug, Clone)]
pub struct ReviewerScope {
    user_id: i64,
    org_id: i64,
    name: String,
}

impl ReviewerScope {
    /// The scope when `p` is a person holding `review:decide`.
    #[must_use]
    pub fn of(p: &Principal) -> Option<ReviewerScope> {
        let user = p.user.as_ref()?;
        p.can("review:decide").then(|| ReviewerScope {
            user_id: user.id,
            org_id: p.org.id,
            name: p.actor_name(),
        })
    }
}

/// A reviewer's decision on one version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewDecision {
    /// Fit to register.
    Approve,
    /// Not fit to register; blocks registration of this version.
    Reject,
    /// The provider must revise; sends the system back to draft.
    RequestChanges,
}

impl ReviewDecision {
    /// All decisions, in form order.
    pub const ALL: [ReviewDecision; 3] =
        [ReviewDecision::Approve, ReviewDecision::RequestChanges, ReviewDecision::Reject];

    /// Stable code.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            ReviewDecision::Approve => "approve",
            ReviewDecision::Reject => "reject",
            ReviewDecision::RequestChanges => "request_changes",
        }
    }

    /// Parses a code.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] naming the allowed codes.
    pub fn parse(s: &str) -> Result<ReviewDecision> {
        Self::ALL.into_iter().find(|d| d.as_str() == s).ok_or_else(|| {
            StoreError::Conflict(format!(
                "unknown review decision `{s}` (expected approve, request_changes or reject)"
            ))
        })
    }
}

/// One recorded review.
#[derive(Debug, Clone)]
pub struct Review {
    /// The version reviewed.
    pub version: i64,
    /// Reviewer's name and organisation.
    pub reviewer_name: String,
    /// The decision code.
    pub decision: String,
    /// The reviewer's reasons.
    pub reason: String,
    /// When.
    pub at: String,
}

/// Where a version stands with the ethics board.
#[derive(Debug, Clone)]
pub struct ReviewState {
    /// The version this is about.
    pub version: i64,
    /// The tier the need was computed from (a regulator override wins over the computed tier).
    pub tier: String,
    /// The impact level, if assessed.
    pub level: Option<String>,
    /// What the policy asks for.
    pub need: ReviewNeed,
    /// Reviews of this version, oldest first.
    pub reviews: Vec<Review>,
}

impl ReviewState {
    /// Approvals so far.
    #[must_use]
    pub fn approvals(&self) -> u32 {
        u32::try_from(self.reviews.iter().filter(|r| r.decision == "approve").count()).unwrap_or(u32::MAX)
    }

    /// The first review that blocks registration (a rejection or a request for changes).
    #[must_use]
    pub fn blocking(&self) -> Option<&Review> {
        self.reviews.iter().find(|r| r.decision != "approve")
    }

    /// Whether the version may be registered as far as the ethics board is concerned.
    #[must_use]
    pub fn satisfied(&self) -> bool {
        !self.need.required || (self.approvals() >= self.need.reviewers && self.blocking().is_none())
    }

    /// Why registration is refused, in English, or `None` when it is not.
    #[must_use]
    pub fn refusal(&self) -> Option<String> {
        if let Some(b) = self.blocking() {
            return Some(format!(
                "version {} cannot be registered: {} decided `{}` ({})",
                self.version, b.reviewer_name, b.decision, b.reason
            ));
        }
        (!self.satisfied()).then(|| {
            format!(
                "version {} needs {} independent ethics-board approval(s) before it can be registered; it has {}",
                self.version,
                self.need.reviewers,
                self.approvals()
            )
        })
    }
}

/// A system in the reviewer's queue.
#[derive(Debug, Clone)]
pub struct QueueItem {
    /// The system.
    pub summary: SystemSummary,
    /// The tier the need follows from (an override wins).
    pub tier: String,
    /// Impact level, if assessed.
    pub level: Option<String>,
    /// What the policy asks for.
    pub need: ReviewNeed,
    /// Approvals of the latest version so far.
    pub approvals: u32,
    /// Whether this reviewer already reviewed that version.
    pub reviewed_by_me: bool,
}

/// One page of the reviewer's queue.
#[derive(Debug, Clone)]
pub struct QueuePage {
    /// Items on this page, oldest first.
    pub items: Vec<QueueItem>,
    /// Items in the whole queue.
    pub total: usize,
    /// This page, from 1.
    pub page: usize,
    /// Items per page.
    pub per_page: usize,
}

type Tx = sqlx::Transaction<'static, sqlx::Any>;

impl Store {
    /// Review state of `version` of a system, for whoever may see the system.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when the system or version has no classification row.
    pub async fn review_state(&self, public_id: &str, version: i64) -> Result<ReviewState> {
        let mut conn = self.pool.acquire().await?;
        let id: i64 = sqlx::query_scalar("SELECT id FROM systems WHERE public_id = $1")
            .bind(public_id)
            .fetch_optional(&mut *conn)
            .await?
            .ok_or_else(|| StoreError::NotFound { what: "system", id: public_id.to_owned() })?;
        let exists: Option<i64> =
            sqlx::query_scalar("SELECT version FROM system_versions WHERE system_id = $1 AND version = $2")
                .bind(id)
                .bind(version)
                .fetch_optional(&mut *conn)
                .await?;
        if exists.is_none() {
            return Err(StoreError::NotFound { what: "version", id: format!("{public_id}/{version}") });
        }
        state_of(&mut conn, id, version).await
    }

    /// Systems awaiting the ethics board that this reviewer may review (never their own
    /// organisation's), oldest first.
    ///
    /// # Errors
    /// Database errors.
    pub async fn review_queue(
        &self,
        scope: &ReviewerScope,
        page: usize,
        per_page: usize,
    ) -> Result<QueuePage> {
        // Filtered and paged in SQL on the stored need, so a page costs the same with ten
        // systems waiting or ten thousand. The page's ids are picked first: the per-row
        // subqueries then run for the page only, not for the rows an OFFSET skips.
        let per_page = per_page.clamp(1, 200);
        let page = page.clamp(1, 1_000_000);
        // A registered version waits too when a regulator's tier override raised its need above
        // the approvals it has (it stays on the register meanwhile).
        const WAITING: &str = "((s.status IN ('submitted', 'under_review') AND s.reviewers_needed > 0) \
             OR (s.status = 'registered' AND s.latest_version = s.registered_version \
             AND s.reviewers_needed > (SELECT COUNT(*) FROM reviews r WHERE r.system_id = s.id \
             AND r.version = s.latest_version AND r.decision = 'approve'))) AND s.org_id <> $1";
        let total: i64 =
            sqlx::query_scalar(AssertSqlSafe(format!("SELECT COUNT(*) FROM systems s WHERE {WAITING}")))
                .bind(scope.org_id)
                .fetch_one(&self.pool)
                .await?;
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT s.id, s.public_id, s.org_id, s.status, s.draft_json, s.latest_version, s.registered_version, \
             s.is_demo, s.updated_at, s.reviewers_needed, o.name AS org_name, c.tier, c.impact_level, \
             (SELECT t.tier FROM tier_overrides t WHERE t.system_id = s.id AND t.version = s.latest_version \
              ORDER BY t.id DESC LIMIT 1) AS override_tier, \
             (SELECT COUNT(*) FROM reviews r WHERE r.system_id = s.id AND r.version = s.latest_version \
              AND r.decision = 'approve') AS approvals, \
             (SELECT COUNT(*) FROM reviews r WHERE r.system_id = s.id AND r.version = s.latest_version \
              AND r.reviewer_id = $2) AS mine \
             FROM (SELECT s.id FROM systems s WHERE {WAITING} ORDER BY s.updated_at, s.id LIMIT $3 OFFSET $4) page \
             JOIN systems s ON s.id = page.id JOIN organisations o ON o.id = s.org_id \
             LEFT JOIN classifications c ON c.system_id = s.id AND c.version = s.latest_version \
             ORDER BY s.updated_at, s.id"
        )))
        .bind(scope.org_id)
        .bind(scope.user_id)
        .bind(i64::try_from(per_page).unwrap_or(200))
        .bind(i64::try_from((page - 1) * per_page).unwrap_or(i64::MAX))
        .fetch_all(&self.pool)
        .await?;
        let mut items = Vec::with_capacity(rows.len());
        for row in &rows {
            let computed: Option<String> = row.try_get("tier")?;
            let overridden: Option<String> = row.try_get("override_tier")?;
            let level: Option<String> = row.try_get("impact_level")?;
            let (_, _, summary, _) = crate::systems::summary_from_row(row)?;
            items.push(QueueItem {
                summary,
                tier: overridden.or(computed).unwrap_or_else(|| "minimal".to_owned()),
                level: level.filter(|l| !l.is_empty()),
                need: ReviewNeed {
                    required: true,
                    reviewers: u32::try_from(row.try_get::<i64, _>("reviewers_needed")?).unwrap_or(u32::MAX),
                },
                approvals: u32::try_from(row.try_get::<i64, _>("approvals")?).unwrap_or(u32::MAX),
                reviewed_by_me: row.try_get::<i64, _>("mine")? > 0,
            });
        }
        Ok(QueuePage { items, total: usize::try_from(total).unwrap_or(0), page, per_page })
    }

    /// Re-derives `systems.reviewers_needed` for every system awaiting review from the frozen
    /// rows (run on start, so the column follows the policy code that is running).
    ///
    /// # Errors
    /// Database errors.
    pub(crate) async fn refresh_review_needs(&self) -> Result<()> {
        let (_guard, mut tx) = self.begin_write().await?;
        let rows: Vec<(i64, i64, i64)> = sqlx::query_as(
            "SELECT id, latest_version, reviewers_needed FROM systems \
             WHERE status IN ('submitted', 'under_review') AND latest_version > 0",
        )
        .fetch_all(&mut *tx)
        .await?;
        for (id, version, stored) in rows {
            let need = i64::from(state_of(&mut tx, id, version).await?.need.reviewers);
            if need != stored {
                sqlx::query("UPDATE systems SET reviewers_needed = $1 WHERE id = $2")
                    .bind(need)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// A system as a reviewer sees it: any organisation's system while it waits for review
    /// (submitted, under review, or registered and reopened by a tier override).
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when unknown or not awaiting review.
    pub async fn reviewer_system(
        &self,
        _scope: &ReviewerScope,
        public_id: &str,
    ) -> Result<crate::SystemView> {
        let view = self.system_view_unscoped(public_id).await?;
        let waiting = match view.summary.status {
            Status::Submitted | Status::UnderReview => true,
            // Reopened by a tier override that raised its need above its approvals.
            Status::Registered => {
                let st = self.review_state(public_id, view.summary.latest_version).await?;
                st.need.reviewers > st.approvals()
            }
            _ => false,
        };
        if !waiting {
            return Err(StoreError::NotFound { what: "system awaiting review", id: public_id.to_owned() });
        }
        Ok(view)
    }

    /// Records a reviewer's decision on `version`, which must be the latest submitted one.
    ///
    /// The first review takes a submitted system up (`submitted → under_review`); a request for
    /// changes sends it back to the provider (`→ draft`). Both moves go to the event trail with
    /// the reviewer as actor.
    ///
    /// # Errors
    /// [`StoreError::Refused`] for a reviewer of the system's own organisation;
    /// [`StoreError::Conflict`] for a stale version, a system not awaiting review, or a second
    /// review by the same person.
    pub async fn decide_review(
        &self,
        scope: &ReviewerScope,
        public_id: &str,
        version: i64,
        decision: ReviewDecision,
        reason: &str,
    ) -> Result<ReviewState> {
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > 4000 {
            return Err(StoreError::Conflict("a review needs reasons (1 to 4000 characters)".into()));
        }
        let (_guard, mut tx) = self.begin_write().await?;
        let row = sqlx::query("SELECT id, org_id, status, latest_version FROM systems WHERE public_id = $1")
            .bind(public_id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| StoreError::NotFound { what: "system", id: public_id.to_owned() })?;
        let (id, org_id, latest): (i64, i64, i64) =
            (row.try_get("id")?, row.try_get("org_id")?, row.try_get("latest_version")?);
        let status = Status::parse(&row.try_get::<String, _>("status")?)?;
        check_reviewer(scope.org_id, org_id).map_err(|e| StoreError::Refused(e.to_string()))?;
        // A registered version awaits review after an override raised its need.
        let reopened = status == Status::Registered && {
            let st = state_of(&mut tx, id, latest).await?;
            st.need.reviewers > st.approvals()
        };
        if !matches!(status, Status::Submitted | Status::UnderReview) && !reopened {
            return Err(StoreError::Conflict(format!(
                "system `{public_id}` is `{}`, not awaiting review",
                status.as_str()
            )));
        }
        if version != latest {
            return Err(StoreError::Conflict(format!(
                "you reviewed version {version}, but the latest submitted version is {latest}; reload and review that"
            )));
        }
        let inserted = sqlx::query(
            "INSERT INTO reviews (system_id, version, reviewer_id, reviewer_name, reviewer_org_id, decision, reason, at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(id)
        .bind(version)
        .bind(scope.user_id)
        .bind(&scope.name)
        .bind(scope.org_id)
        .bind(decision.as_str())
        .bind(reason)
        .bind(now())
        .execute(&mut *tx)
        .await;
        match inserted {
            Err(e) if is_unique_violation(&e) => {
                return Err(StoreError::Conflict(format!(
                    "you already reviewed version {version} of `{public_id}`"
                )));
            }
            other => {
                other?;
            }
        }
        let actor = ActorRef { user_id: Some(scope.user_id), name: scope.name.clone() };
        insert_event(
            &mut tx,
            id,
            version,
            "review",
            (status, status),
            &actor,
            &format!("{}: {reason}", decision.as_str()),
        )
        .await?;
        let mut at = status;
        if at == Status::Submitted {
            move_to(&mut tx, id, version, at, Status::UnderReview, &actor, "taken up by the ethics board")
                .await?;
            at = Status::UnderReview;
        }
        // A registered system stays registered: the board's reviews are on the record for the
        // regulator, who may suspend it.
        if decision == ReviewDecision::RequestChanges && !reopened {
            move_to(&mut tx, id, version, at, Status::Draft, &actor, reason).await?;
        }
        let state = state_of(&mut tx, id, version).await?;
        tx.commit().await?;
        Ok(state)
    }
}

impl Store {
    /// Tries to rewrite recorded reviews; the database must refuse. Exists so tests can prove
    /// that reviews are append-only below the application.
    ///
    /// # Errors
    /// The database's refusal, which is the expected outcome.
    pub async fn try_rewrite_reviews(&self) -> Result<u64> {
        let res = sqlx::query("UPDATE reviews SET decision = 'approve', reason = 'rewritten'")
            .execute(&self.pool)
            .await?;
        Ok(res.rows_affected())
    }
}

async fn move_to(
    tx: &mut Tx,
    id: i64,
    version: i64,
    from: Status,
    to: Status,
    actor: &ActorRef,
    reason: &str,
) -> Result<()> {
    from.check_transition(to, Actor::Regulator)?;
    sqlx::query("UPDATE systems SET status = $1, updated_at = $2 WHERE id = $3")
        .bind(to.as_str())
        .bind(now())
        .bind(id)
        .execute(&mut **tx)
        .await?;
    insert_event(tx, id, version, "transition", (from, to), actor, reason).await
}

/// Reads the review state of one version on any connection or transaction.
pub(crate) async fn state_of(conn: &mut sqlx::AnyConnection, id: i64, version: i64) -> Result<ReviewState> {
    let class =
        sqlx::query("SELECT tier, impact_json FROM classifications WHERE system_id = $1 AND version = $2")
            .bind(id)
            .bind(version)
            .fetch_optional(&mut *conn)
            .await?;
    let (computed_tier, impact_json): (String, String) = match class {
        Some(r) => (r.try_get("tier")?, r.try_get("impact_json")?),
        None => ("minimal".to_owned(), String::new()),
    };
    let overridden: Option<String> = sqlx::query_scalar(
        "SELECT tier FROM tier_overrides WHERE system_id = $1 AND version = $2 ORDER BY id DESC LIMIT 1",
    )
    .bind(id)
    .bind(version)
    .fetch_optional(&mut *conn)
    .await?;
    let tier = overridden.unwrap_or(computed_tier);
    let assessment: Option<Assessment> = serde_json::from_str(&impact_json).ok();
    let need = review_need(parse_tier(&tier)?, assessment.as_ref());
    let rows = sqlx::query(
        "SELECT version, reviewer_name, decision, reason, at FROM reviews \
         WHERE system_id = $1 AND version = $2 ORDER BY id",
    )
    .bind(id)
    .bind(version)
    .fetch_all(&mut *conn)
    .await?;
    let reviews = rows
        .iter()
        .map(|r| {
            Ok(Review {
                version: r.try_get("version")?,
                reviewer_name: r.try_get("reviewer_name")?,
                decision: r.try_get("decision")?,
                reason: r.try_get("reason")?,
                at: r.try_get("at")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(ReviewState { version, tier, level: assessment.map(|a| a.level.level), need, reviews })
}

fn parse_tier(tier: &str) -> Result<Tier> {
    serde_json::from_value(serde_json::Value::String(tier.to_owned()))
        .map_err(|e| StoreError::Corrupt(format!("tier `{tier}`: {e}")))
}
