//! AI systems: drafts, immutable versions, lifecycle moves with their event trail, and the
//! public register derived from registered versions.
//!
//! Provider methods take an [`OrgScope`] and filter by it in SQL; a system of another
//! organisation is "not found", never "forbidden", so ids cannot be probed. Regulator methods
//! take a [`RegulatorScope`]; public methods read only `public_register` and registered versions.

use mizan_register::{Actor, Record, Status};
use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, Row};

use crate::{OrgScope, Principal, Result, Store, StoreError, is_unique_violation, now, random_code};

/// Proof that the caller acts for the regulator; built only from a regulator principal.
#[derive(Debug, Clone, Copy)]
pub struct RegulatorScope(());

impl RegulatorScope {
    /// The scope when `p` belongs to a regulator organisation.
    #[must_use]
    pub fn of(p: &Principal) -> Option<RegulatorScope> {
        (p.org.kind == crate::OrgKind::Regulator).then_some(RegulatorScope(()))
    }
}

/// Who performs a change, for the event trail.
#[derive(Debug, Clone)]
pub struct ActorRef {
    /// The user id, if a person.
    pub user_id: Option<i64>,
    /// A readable name.
    pub name: String,
}

impl From<&Principal> for ActorRef {
    fn from(p: &Principal) -> Self {
        ActorRef { user_id: p.user.as_ref().map(|u| u.id), name: p.actor_name() }
    }
}

/// A system as listed to its provider or the regulator.
#[derive(Debug, Clone)]
pub struct SystemSummary {
    /// Stable public id (8 characters).
    pub public_id: String,
    /// Owning organisation's name.
    pub org_name: String,
    /// Name in English.
    pub name_en: String,
    /// Name in Urdu.
    pub name_ur: String,
    /// Lifecycle status.
    pub status: Status,
    /// Newest submitted version (0: none yet).
    pub latest_version: i64,
    /// Newest registered version (0: never registered).
    pub registered_version: i64,
    /// Last change.
    pub updated_at: String,
    /// Demo data.
    pub is_demo: bool,
}

/// A system with its draft, versions and events, for its provider or the regulator.
#[derive(Debug, Clone)]
pub struct SystemView {
    /// The summary.
    pub summary: SystemSummary,
    /// Owning organisation id.
    pub org_id: i64,
    /// The working draft.
    pub draft: Record,
    /// Submitted versions, newest first.
    pub versions: Vec<VersionInfo>,
    /// The event trail, oldest first.
    pub events: Vec<Event>,
}

/// One submitted version.
#[derive(Debug, Clone)]
pub struct VersionInfo {
    /// Version number, from 1.
    pub version: i64,
    /// When submitted.
    pub submitted_at: String,
    /// Whether it was ever registered (and so is public).
    pub registered: bool,
}

/// One entry of the event trail.
#[derive(Debug, Clone)]
pub struct Event {
    /// Event id (global order).
    pub id: i64,
    /// The system's public id.
    pub public_id: String,
    /// The version concerned.
    pub version: i64,
    /// `created`, `edited` or `transition`.
    pub kind: String,
    /// Status before.
    pub from_status: String,
    /// Status after.
    pub to_status: String,
    /// Who.
    pub actor_name: String,
    /// Why.
    pub reason: String,
    /// When.
    pub at: String,
}

/// A system on the public register: the public projection of its latest registered version.
#[derive(Debug, Clone)]
pub struct PublicEntry {
    /// Stable public id.
    pub public_id: String,
    /// Organisation slug.
    pub org_slug: String,
    /// Organisation name.
    pub org_name: String,
    /// Sector code.
    pub sector: String,
    /// `registered`, `suspended` or `retired`.
    pub status: String,
    /// The registered version shown.
    pub version: i64,
    /// Risk tier, once classified ("" before).
    pub risk_tier: String,
    /// Impact level `I`-`IV` ("" before assessment).
    pub impact_level: String,
    /// Public fields of the version.
    pub record: Record,
    /// Demo data.
    pub is_demo: bool,
    /// First registration.
    pub registered_at: String,
    /// Last public change.
    pub updated_at: String,
}

/// Filters and paging for the public register.
#[derive(Debug, Clone, Default)]
pub struct PublicQuery {
    /// Words that must all appear (case-insensitive) in the public record.
    pub q: String,
    /// Sector code.
    pub sector: String,
    /// Organisation slug.
    pub org: String,
    /// Public status.
    pub status: String,
    /// Risk tier.
    pub tier: String,
    /// Impact level.
    pub level: String,
    /// Page number from 1.
    pub page: u32,
    /// Rows per page (capped at 100).
    pub per_page: u32,
}

/// One page of the public register.
#[derive(Debug, Clone)]
pub struct PublicPage {
    /// Rows on this page.
    pub entries: Vec<PublicEntry>,
    /// Rows matching in total.
    pub total: i64,
    /// This page.
    pub page: u32,
    /// Rows per page.
    pub per_page: u32,
}

const SUMMARY_COLS: &str = "s.id, s.public_id, s.org_id, s.status, s.draft_json, s.latest_version, \
    s.registered_version, s.is_demo, s.updated_at, o.name AS org_name";

pub(crate) fn summary_from_row(r: &AnyRow) -> Result<(i64, i64, SystemSummary, Record)> {
    let draft = parse_record(&r.try_get::<String, _>("draft_json")?)?;
    let status: String = r.try_get("status")?;
    let summary = SystemSummary {
        public_id: r.try_get("public_id")?,
        org_name: r.try_get("org_name")?,
        name_en: text_of(&draft, "name", "en"),
        name_ur: text_of(&draft, "name", "ur"),
        status: Status::parse(&status)?,
        latest_version: r.try_get("latest_version")?,
        registered_version: r.try_get("registered_version")?,
        updated_at: r.try_get("updated_at")?,
        is_demo: r.try_get::<i64, _>("is_demo")? != 0,
    };
    Ok((r.try_get("id")?, r.try_get("org_id")?, summary, draft))
}

fn text_of(record: &Record, key: &str, lang: &str) -> String {
    match record.get(key) {
        Some(mizan_register::Value::Text(t)) => {
            if lang == "ur" {
                t.ur.clone()
            } else {
                t.en.clone()
            }
        }
        Some(v) => v.display(lang),
        None => String::new(),
    }
}

fn parse_record(json: &str) -> Result<Record> {
    serde_json::from_str(json).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// Refuses edits while a version is with the regulator or after retirement, so what the
/// regulator reviews cannot shift under them.
fn ensure_editable(status: Status, public_id: &str) -> Result<()> {
    if matches!(status, Status::Submitted | Status::UnderReview | Status::Retired) {
        return Err(StoreError::Conflict(format!(
            "system `{public_id}` is {status} and cannot be edited now"
        )));
    }
    Ok(())
}

pub(crate) fn public_from_row(r: &AnyRow) -> Result<PublicEntry> {
    Ok(PublicEntry {
        public_id: r.try_get("public_id")?,
        org_slug: r.try_get("org_slug")?,
        org_name: r.try_get("org_name")?,
        sector: r.try_get("sector")?,
        status: r.try_get("status")?,
        version: r.try_get("version")?,
        risk_tier: r.try_get("risk_tier")?,
        impact_level: r.try_get("impact_level")?,
        record: parse_record(&r.try_get::<String, _>("record_json")?)?,
        is_demo: r.try_get::<i64, _>("is_demo")? != 0,
        registered_at: r.try_get("registered_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

type Tx = sqlx::Transaction<'static, sqlx::Any>;

pub(crate) async fn insert_event(
    tx: &mut Tx,
    system_id: i64,
    version: i64,
    kind: &str,
    (from, to): (Status, Status),
    actor: &ActorRef,
    reason: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO system_events (system_id, version, kind, from_status, to_status, actor_id, actor_name, reason, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(system_id)
    .bind(version)
    .bind(kind)
    .bind(from.as_str())
    .bind(to.as_str())
    .bind(actor.user_id)
    .bind(&actor.name)
    .bind(reason)
    .bind(now())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

impl Store {
    /// Creates a draft system for the organisation in `scope`.
    ///
    /// # Errors
    /// [`StoreError::Database`] on failure.
    pub async fn create_system(
        &self,
        scope: OrgScope,
        actor: &ActorRef,
        draft: &Record,
        is_demo: bool,
    ) -> Result<String> {
        let (_guard, mut tx) = self.begin_scoped_write(scope).await?;
        let at = now();
        let mut attempt = 0;
        let (id, public_id) = loop {
            let public_id = random_code(8);
            let res = sqlx::query(
                "INSERT INTO systems (public_id, org_id, status, draft_json, is_demo, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
            )
            .bind(&public_id)
            .bind(scope.org_id())
            .bind(Status::Draft.as_str())
            .bind(draft.to_canonical_json())
            .bind(i64::from(is_demo))
            .bind(&at)
            .fetch_one(&mut *tx)
            .await;
            match res {
                Ok(row) => break (row.try_get::<i64, _>("id")?, public_id),
                // 32^8 ids make a clash rare; on PostgreSQL a failed statement aborts the
                // transaction, so a clash ends this attempt rather than looping forever.
                Err(e)
                    if is_unique_violation(&e) && self.backend == crate::Backend::Sqlite && attempt < 5 =>
                {
                    attempt += 1;
                }
                Err(e) => return Err(e.into()),
            }
        };
        insert_event(&mut tx, id, 0, "created", (Status::Draft, Status::Draft), actor, "").await?;
        tx.commit().await?;
        Ok(public_id)
    }

    pub(crate) async fn scoped_row(
        &self,
        tx: &mut Tx,
        scope: OrgScope,
        public_id: &str,
    ) -> Result<(i64, SystemSummary, Record)> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {SUMMARY_COLS} FROM systems s JOIN organisations o ON o.id = s.org_id \
             WHERE s.public_id = $1 AND s.org_id = $2"
        )))
        .bind(public_id)
        .bind(scope.org_id())
        .fetch_optional(&mut **tx)
        .await?
        .ok_or_else(|| StoreError::NotFound { what: "system", id: public_id.to_owned() })?;
        let (id, _, summary, draft) = summary_from_row(&row)?;
        Ok((id, summary, draft))
    }

    /// Replaces the draft. Refused while a version is with the regulator, so what the
    /// regulator reviews cannot shift under them.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] outside the scope; [`StoreError::Conflict`] while submitted.
    pub async fn update_draft(
        &self,
        scope: OrgScope,
        public_id: &str,
        actor: &ActorRef,
        draft: &Record,
    ) -> Result<()> {
        let (_guard, mut tx) = self.begin_scoped_write(scope).await?;
        let (id, summary, _) = self.scoped_row(&mut tx, scope, public_id).await?;
        ensure_editable(summary.status, public_id)?;
        sqlx::query("UPDATE systems SET draft_json = $1, updated_at = $2 WHERE id = $3 AND org_id = $4")
            .bind(draft.to_canonical_json())
            .bind(now())
            .bind(id)
            .bind(scope.org_id())
            .execute(&mut *tx)
            .await?;
        insert_event(
            &mut tx,
            id,
            summary.latest_version,
            "edited",
            (summary.status, summary.status),
            actor,
            "",
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Freezes the draft as a new version and sends it to the regulator.
    ///
    /// # Errors
    /// [`StoreError::Invalid`] listing missing required fields; [`StoreError::Transition`] when
    /// the system is not in a submittable state.
    pub async fn submit(
        &self,
        scope: OrgScope,
        public_id: &str,
        actor: &ActorRef,
        reason: &str,
    ) -> Result<i64> {
        let (_guard, mut tx) = self.begin_scoped_write(scope).await?;
        let (id, summary, draft) = self.scoped_row(&mut tx, scope, public_id).await?;
        summary.status.check_transition(Status::Submitted, Actor::Provider)?;
        draft.check_complete().map_err(StoreError::Invalid)?;
        // Every version is classified from the answers frozen with it, here and nowhere else.
        let answers_json: String = sqlx::query_scalar("SELECT risk_answers_json FROM systems WHERE id = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        let answers: mizan_rules::Answers =
            serde_json::from_str(&answers_json).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        // Answers stored under an older ruleset are read in the current one's terms; a question
        // they cannot settle makes the classification ask for it.
        let rules = mizan_rules::Ruleset::embedded()?;
        let classification = rules.classify(&rules.migrate_answers(&answers))?;
        let impact_json: String = sqlx::query_scalar("SELECT impact_answers_json FROM systems WHERE id = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        let impact_answers: mizan_rules::Answers =
            serde_json::from_str(&impact_json).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let impact = mizan_rules::impact::Questionnaire::embedded()?.assess(&impact_answers)?;
        let version = summary.latest_version + 1;
        let at = now();
        sqlx::query(
            "INSERT INTO system_versions (system_id, version, record_json, submitted_by, submitted_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id)
        .bind(version)
        .bind(draft.to_canonical_json())
        .bind(actor.user_id)
        .bind(&at)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO classifications (system_id, version, ruleset_id, ruleset_version, ruleset_sha256, tier, role, \
             answers_json, result_json, computed_at, impact_level, impact_json) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(id)
        .bind(version)
        .bind(&classification.ruleset.id)
        .bind(&classification.ruleset.version)
        .bind(&classification.ruleset.sha256)
        .bind(classification.tier.as_str())
        .bind(&classification.role)
        .bind(&answers_json)
        .bind(serde_json::to_string(&classification).map_err(|e| StoreError::Corrupt(e.to_string()))?)
        .bind(&at)
        .bind(&impact.level.level)
        .bind(serde_json::to_string(&impact).map_err(|e| StoreError::Corrupt(e.to_string()))?)
        .execute(&mut *tx)
        .await?;
        let need = mizan_rules::review::review_need(classification.tier, Some(&impact));
        sqlx::query(
            "UPDATE systems SET status = $1, latest_version = $2, updated_at = $3, reviewers_needed = $4 WHERE id = $5",
        )
        .bind(Status::Submitted.as_str())
        .bind(version)
        .bind(&at)
        .bind(i64::from(need.reviewers))
        .bind(id)
        .execute(&mut *tx)
        .await?;
        insert_event(&mut tx, id, version, "transition", (summary.status, Status::Submitted), actor, reason)
            .await?;
        tx.commit().await?;
        self.hot.forget_target(public_id);
        Ok(version)
    }

    /// A provider's own move (withdraw a submission, retire a system).
    ///
    /// # Errors
    /// [`StoreError::Transition`] for a move providers may not make.
    pub async fn provider_transition(
        &self,
        scope: OrgScope,
        public_id: &str,
        to: Status,
        actor: &ActorRef,
        reason: &str,
    ) -> Result<()> {
        if to == Status::Submitted {
            self.submit(scope, public_id, actor, reason).await?;
            return Ok(());
        }
        let (_guard, mut tx) = self.begin_scoped_write(scope).await?;
        let (id, summary, _) = self.scoped_row(&mut tx, scope, public_id).await?;
        summary.status.check_transition(to, Actor::Provider)?;
        self.apply_transition(&mut tx, id, &summary, to, actor, reason).await?;
        tx.commit().await?;
        self.public_cache.invalidate();
        self.hot.forget_target(public_id);
        Ok(())
    }

    /// A regulator's move on any organisation's system.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] for an unknown id; [`StoreError::Transition`] for a move not in
    /// the lifecycle table.
    pub async fn regulator_transition(
        &self,
        _scope: RegulatorScope,
        public_id: &str,
        to: Status,
        actor: &ActorRef,
        reason: &str,
    ) -> Result<()> {
        let (_guard, mut tx) = self.begin_write().await?;
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {SUMMARY_COLS} FROM systems s JOIN organisations o ON o.id = s.org_id WHERE s.public_id = $1"
        )))
        .bind(public_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| StoreError::NotFound { what: "system", id: public_id.to_owned() })?;
        let (id, _, summary, _) = summary_from_row(&row)?;
        summary.status.check_transition(to, Actor::Regulator)?;
        if to == Status::Registered {
            // The ethics board's approvals gate registration; they were given to this version.
            let state = crate::reviews::state_of(&mut tx, id, summary.latest_version).await?;
            if let Some(why) = state.refusal() {
                return Err(StoreError::Conflict(why));
            }
        }
        self.apply_transition(&mut tx, id, &summary, to, actor, reason).await?;
        tx.commit().await?;
        self.public_cache.invalidate();
        self.hot.forget_target(public_id);
        Ok(())
    }

    async fn apply_transition(
        &self,
        tx: &mut Tx,
        id: i64,
        summary: &SystemSummary,
        to: Status,
        actor: &ActorRef,
        reason: &str,
    ) -> Result<()> {
        let at = now();
        let registered_version =
            if to == Status::Registered { summary.latest_version } else { summary.registered_version };
        sqlx::query("UPDATE systems SET status = $1, registered_version = $2, updated_at = $3 WHERE id = $4")
            .bind(to.as_str())
            .bind(registered_version)
            .bind(&at)
            .bind(id)
            .execute(&mut **tx)
            .await?;
        insert_event(tx, id, summary.latest_version, "transition", (summary.status, to), actor, reason)
            .await?;
        match to {
            Status::Registered => self.publish(tx, id, registered_version, &at).await?,
            Status::Suspended | Status::Retired if summary.registered_version > 0 => {
                sqlx::query("UPDATE public_register SET status = $1, updated_at = $2 WHERE system_id = $3")
                    .bind(to.as_str())
                    .bind(&at)
                    .bind(id)
                    .execute(&mut **tx)
                    .await?;
            }
            _ => {}
        }
        Ok(())
    }

    /// Writes the public projection of `version` into the public register.
    async fn publish(&self, tx: &mut Tx, id: i64, version: i64, at: &str) -> Result<()> {
        let row = sqlx::query(
            "SELECT v.record_json, s.public_id, s.org_id, s.is_demo, o.name AS org_name, o.slug AS org_slug \
             FROM system_versions v JOIN systems s ON s.id = v.system_id JOIN organisations o ON o.id = s.org_id \
             WHERE v.system_id = $1 AND v.version = $2",
        )
        .bind(id)
        .bind(version)
        .fetch_one(&mut **tx)
        .await?;
        let record = parse_record(&row.try_get::<String, _>("record_json")?)?.public();
        let class = sqlx::query(
            "SELECT tier, impact_level FROM classifications WHERE system_id = $1 AND version = $2",
        )
        .bind(id)
        .bind(version)
        .fetch_optional(&mut **tx)
        .await?;
        let (mut tier, level): (Option<String>, String) = match class {
            Some(r) => (Some(r.try_get("tier")?), r.try_get("impact_level")?),
            None => (None, String::new()),
        };
        let overridden: Option<String> = sqlx::query_scalar(
            "SELECT tier FROM tier_overrides WHERE system_id = $1 AND version = $2 ORDER BY id DESC LIMIT 1",
        )
        .bind(id)
        .bind(version)
        .fetch_optional(&mut **tx)
        .await?;
        if overridden.is_some() {
            tier = overridden;
        }
        let org_name: String = row.try_get("org_name")?;
        let search = format!("{} {}", record.search_text(), org_name.to_lowercase());
        let existing: Option<String> =
            sqlx::query_scalar("SELECT registered_at FROM public_register WHERE system_id = $1")
                .bind(id)
                .fetch_optional(&mut **tx)
                .await?;
        sqlx::query("DELETE FROM public_register WHERE system_id = $1").bind(id).execute(&mut **tx).await?;
        sqlx::query(
            "INSERT INTO public_register (system_id, public_id, org_id, org_name, org_slug, name_en, name_ur, \
             summary_en, summary_ur, sector, status, version, record_json, search_text, is_demo, registered_at, updated_at, \
             risk_tier, impact_level) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)",
        )
        .bind(id)
        .bind(row.try_get::<String, _>("public_id")?)
        .bind(row.try_get::<i64, _>("org_id")?)
        .bind(&org_name)
        .bind(row.try_get::<String, _>("org_slug")?)
        .bind(text_of(&record, "name", "en"))
        .bind(text_of(&record, "name", "ur"))
        .bind(text_of(&record, "short_description", "en"))
        .bind(text_of(&record, "short_description", "ur"))
        .bind(record.text("sector", "en"))
        .bind(Status::Registered.as_str())
        .bind(version)
        .bind(record.to_canonical_json())
        .bind(search)
        .bind(row.try_get::<i64, _>("is_demo")?)
        .bind(existing.unwrap_or_else(|| at.to_owned()))
        .bind(at)
        .bind(tier.unwrap_or_default())
        .bind(level)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// The organisation's systems, most recently changed first.
    ///
    /// # Errors
    /// Database errors.
    pub async fn org_systems(&self, scope: OrgScope) -> Result<Vec<SystemSummary>> {
        let mut tx = self.begin_scoped_read(scope).await?;
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {SUMMARY_COLS} FROM systems s JOIN organisations o ON o.id = s.org_id \
             WHERE s.org_id = $1 ORDER BY s.updated_at DESC, s.id DESC"
        )))
        .bind(scope.org_id())
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        rows.iter().map(|r| summary_from_row(r).map(|(_, _, s, _)| s)).collect()
    }

    /// One of the organisation's systems with draft, versions and events.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when it is not this organisation's.
    pub async fn org_system(&self, scope: OrgScope, public_id: &str) -> Result<SystemView> {
        self.system_view(Some(scope), public_id).await
    }

    /// Systems waiting for the regulator (submitted or under review), oldest first.
    ///
    /// # Errors
    /// Database errors.
    pub async fn regulator_queue(&self, _scope: RegulatorScope) -> Result<Vec<SystemSummary>> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {SUMMARY_COLS} FROM systems s JOIN organisations o ON o.id = s.org_id \
             WHERE s.status IN ('submitted', 'under_review') ORDER BY s.updated_at, s.id"
        )))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| summary_from_row(r).map(|(_, _, s, _)| s)).collect()
    }

    /// Any system with draft, versions and events, for the regulator.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] for an unknown id.
    pub async fn regulator_system(&self, _scope: RegulatorScope, public_id: &str) -> Result<SystemView> {
        self.system_view(None, public_id).await
    }

    /// A submitted version's full record (including non-public fields), for provider or regulator.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when absent or outside `scope`.
    pub async fn version_record(
        &self,
        scope: Option<OrgScope>,
        _reg: Option<RegulatorScope>,
        public_id: &str,
        version: i64,
    ) -> Result<Record> {
        let org_filter = scope.map_or(-1, OrgScope::org_id);
        let json: Option<String> = sqlx::query_scalar(
            "SELECT v.record_json FROM system_versions v JOIN systems s ON s.id = v.system_id \
             WHERE s.public_id = $1 AND v.version = $2 AND ($3 = -1 OR s.org_id = $3)",
        )
        .bind(public_id)
        .bind(version)
        .bind(org_filter)
        .fetch_optional(&self.pool)
        .await?;
        let json = json
            .ok_or_else(|| StoreError::NotFound { what: "version", id: format!("{public_id}/{version}") })?;
        parse_record(&json)
    }

    /// Any organisation's system; callers check the caller may see it.
    pub(crate) async fn system_view_unscoped(&self, public_id: &str) -> Result<SystemView> {
        self.system_view(None, public_id).await
    }

    /// With a scope, reads inside a transaction fenced to that organisation; without one (the
    /// regulator and callers that check access themselves), inside an unfenced transaction.
    async fn system_view(&self, scope: Option<OrgScope>, public_id: &str) -> Result<SystemView> {
        let org_filter = scope.map_or(-1, OrgScope::org_id);
        let mut tx = match scope {
            Some(s) => self.begin_scoped_read(s).await?,
            None => self.pool.begin().await?,
        };
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {SUMMARY_COLS} FROM systems s JOIN organisations o ON o.id = s.org_id \
             WHERE s.public_id = $1 AND ($2 = -1 OR s.org_id = $2)"
        )))
        .bind(public_id)
        .bind(org_filter)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| StoreError::NotFound { what: "system", id: public_id.to_owned() })?;
        let (id, org_id, summary, draft) = summary_from_row(&row)?;
        let versions = Self::versions_of(&mut *tx, id).await?;
        let events = Self::events_of(&mut *tx, id, &summary.public_id).await?;
        tx.commit().await?;
        Ok(SystemView { summary, org_id, draft, versions, events })
    }

    async fn versions_of<'e, E>(db: E, id: i64) -> Result<Vec<VersionInfo>>
    where
        E: sqlx::Executor<'e, Database = sqlx::Any>,
    {
        let rows = sqlx::query(
            "SELECT v.version, v.submitted_at, \
             (SELECT COUNT(*) FROM system_events e WHERE e.system_id = v.system_id AND e.version = v.version \
              AND e.to_status = 'registered') AS registered \
             FROM system_versions v WHERE v.system_id = $1 ORDER BY v.version DESC",
        )
        .bind(id)
        .fetch_all(db)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(VersionInfo {
                    version: r.try_get("version")?,
                    submitted_at: r.try_get("submitted_at")?,
                    registered: r.try_get::<i64, _>("registered")? > 0,
                })
            })
            .collect()
    }

    async fn events_of<'e, E>(db: E, id: i64, public_id: &str) -> Result<Vec<Event>>
    where
        E: sqlx::Executor<'e, Database = sqlx::Any>,
    {
        let rows = sqlx::query(
            "SELECT id, version, kind, from_status, to_status, actor_name, reason, at FROM system_events \
             WHERE system_id = $1 ORDER BY id",
        )
        .bind(id)
        .fetch_all(db)
        .await?;
        rows.iter().map(|r| event_from_row(r, public_id.to_owned())).collect()
    }

    /// The registered versions of a public system, newest first.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when the system is not public.
    pub async fn public_versions(&self, public_id: &str) -> Result<Vec<VersionInfo>> {
        let id: i64 = sqlx::query_scalar("SELECT system_id FROM public_register WHERE public_id = $1")
            .bind(public_id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound { what: "system", id: public_id.to_owned() })?;
        Ok(Self::versions_of(&self.pool, id).await?.into_iter().filter(|v| v.registered).collect())
    }

    /// The public projection of one registered version.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when that version was never registered.
    pub async fn public_version(&self, public_id: &str, version: i64) -> Result<Record> {
        let json: Option<String> = sqlx::query_scalar(
            "SELECT v.record_json FROM system_versions v JOIN public_register p ON p.system_id = v.system_id \
             WHERE p.public_id = $1 AND v.version = $2 AND EXISTS (SELECT 1 FROM system_events e \
             WHERE e.system_id = v.system_id AND e.version = v.version AND e.to_status = 'registered')",
        )
        .bind(public_id)
        .bind(version)
        .fetch_optional(&self.pool)
        .await?;
        let json = json
            .ok_or_else(|| StoreError::NotFound { what: "version", id: format!("{public_id}/{version}") })?;
        Ok(parse_record(&json)?.public())
    }

    /// Recent public changes (registrations, suspensions, retirements), newest first: the feed.
    ///
    /// # Errors
    /// Database errors.
    pub async fn public_changes(&self, limit: i64) -> Result<Vec<Event>> {
        let rows = sqlx::query(
            "SELECT e.id, e.version, e.kind, e.from_status, e.to_status, e.actor_name, e.reason, e.at, p.public_id \
             FROM system_events e JOIN public_register p ON p.system_id = e.system_id \
             WHERE (e.kind = 'transition' AND e.to_status IN ('registered', 'suspended', 'retired')) \
             OR (e.kind = 'tier-override' AND e.version = p.version) \
             ORDER BY e.id DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| event_from_row(r, r.try_get("public_id")?)).collect()
    }

    /// Counts systems; used by the demo seeder to stay idempotent.
    ///
    /// # Errors
    /// Database errors.
    pub async fn count_demo_systems(&self) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM systems WHERE is_demo = 1").fetch_one(&self.pool).await?)
    }

    /// Tries an UPDATE on the events table; the database must refuse it. Exists so tests can
    /// prove the append-only guarantee is enforced below the application.
    ///
    /// # Errors
    /// The database's refusal, which is the expected outcome.
    pub async fn try_rewrite_history(&self) -> Result<u64> {
        let res = sqlx::query("UPDATE system_events SET reason = 'rewritten'").execute(&self.pool).await?;
        Ok(res.rows_affected())
    }

    /// Tries a DELETE on the events table; the database must refuse it.
    ///
    /// # Errors
    /// The database's refusal, which is the expected outcome.
    pub async fn try_erase_history(&self) -> Result<u64> {
        let res = sqlx::query("DELETE FROM system_events").execute(&self.pool).await?;
        Ok(res.rows_affected())
    }
}

/// A regulator's override of a computed tier.
#[derive(Debug, Clone)]
pub struct TierOverride {
    /// The tier set by the regulator.
    pub tier: String,
    /// Why.
    pub reason: String,
    /// Who.
    pub actor_name: String,
    /// When.
    pub at: String,
}

impl Store {
    /// Overrides the tier of a system's latest submitted version, with a reason. The computed
    /// classification stays as it was; the override is shown beside it and decides the tier on
    /// the public register.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] for an unknown system; [`StoreError::Conflict`] when nothing was
    /// submitted yet or the tier code is unknown.
    pub async fn override_tier(
        &self,
        _scope: RegulatorScope,
        public_id: &str,
        tier: &str,
        actor: &ActorRef,
        reason: &str,
    ) -> Result<()> {
        if !["prohibited", "high", "limited", "minimal", "out_of_scope"].contains(&tier) {
            return Err(StoreError::Conflict(format!(
                "unknown tier `{tier}` (expected prohibited, high, limited, minimal or out_of_scope)"
            )));
        }
        let (_guard, mut tx) = self.begin_write().await?;
        let row = sqlx::query(
            "SELECT id, status, latest_version, registered_version FROM systems WHERE public_id = $1",
        )
        .bind(public_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| StoreError::NotFound { what: "system", id: public_id.to_owned() })?;
        let (id, version, registered): (i64, i64, i64) =
            (row.try_get("id")?, row.try_get("latest_version")?, row.try_get("registered_version")?);
        let status = Status::parse(&row.try_get::<String, _>("status")?)?;
        if version == 0 {
            return Err(StoreError::Conflict(format!(
                "system `{public_id}` has no submitted version to override"
            )));
        }
        let at = now();
        sqlx::query(
            "INSERT INTO tier_overrides (system_id, version, tier, reason, actor_id, actor_name, at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id)
        .bind(version)
        .bind(tier)
        .bind(reason)
        .bind(actor.user_id)
        .bind(&actor.name)
        .bind(&at)
        .execute(&mut *tx)
        .await?;
        insert_event(
            &mut tx,
            id,
            version,
            "tier-override",
            (status, status),
            actor,
            &format!("{tier}: {reason}"),
        )
        .await?;
        let need = crate::reviews::state_of(&mut tx, id, version).await?.need;
        sqlx::query("UPDATE systems SET reviewers_needed = $1 WHERE id = $2")
            .bind(i64::from(need.reviewers))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if registered == version {
            sqlx::query("UPDATE public_register SET risk_tier = $1, updated_at = $2 WHERE system_id = $3")
                .bind(tier)
                .bind(&at)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        self.public_cache.invalidate();
        Ok(())
    }

    /// The latest override of a version's tier, if any (public once the version is registered).
    ///
    /// # Errors
    /// Database errors.
    pub async fn tier_override(&self, public_id: &str, version: i64) -> Result<Option<TierOverride>> {
        let row = sqlx::query(
            "SELECT t.tier, t.reason, t.actor_name, t.at FROM tier_overrides t JOIN systems s ON s.id = t.system_id \
             WHERE s.public_id = $1 AND t.version = $2 ORDER BY t.id DESC LIMIT 1",
        )
        .bind(public_id)
        .bind(version)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(TierOverride {
                tier: r.try_get("tier")?,
                reason: r.try_get("reason")?,
                actor_name: r.try_get("actor_name")?,
                at: r.try_get("at")?,
            })
        })
        .transpose()
    }
}

/// Which questionnaire's answers.
#[derive(Debug, Clone, Copy)]
enum Questionnaire {
    Risk,
    Impact,
}

impl Questionnaire {
    const fn column(self) -> &'static str {
        match self {
            Questionnaire::Risk => "risk_answers_json",
            Questionnaire::Impact => "impact_answers_json",
        }
    }

    const fn event(self) -> &'static str {
        match self {
            Questionnaire::Risk => "risk-answers",
            Questionnaire::Impact => "impact-answers",
        }
    }
}

/// A classification frozen with a version.
#[derive(Debug, Clone)]
pub struct StoredClassification {
    /// The version it belongs to.
    pub version: i64,
    /// Tier code.
    pub tier: String,
    /// The full result (a `mizan_rules::Classification` as JSON).
    pub result: serde_json::Value,
    /// The impact assessment (a `mizan_rules::impact::Assessment` as JSON).
    pub impact: serde_json::Value,
    /// When it was computed.
    pub computed_at: String,
}

impl Store {
    /// The draft's risk questionnaire answers, in the current ruleset's terms: answers stored
    /// under an older ruleset are translated (`Ruleset::migrate_answers`), and what they cannot
    /// settle is left for the questionnaire to ask.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] outside the scope.
    pub async fn risk_answers(&self, scope: OrgScope, public_id: &str) -> Result<mizan_rules::Answers> {
        let stored = self.answers(scope, public_id, Questionnaire::Risk).await?;
        Ok(mizan_rules::Ruleset::embedded()?.migrate_answers(&stored))
    }

    /// The draft's impact assessment answers.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] outside the scope.
    pub async fn impact_answers(&self, scope: OrgScope, public_id: &str) -> Result<mizan_rules::Answers> {
        self.answers(scope, public_id, Questionnaire::Impact).await
    }

    async fn answers(
        &self,
        scope: OrgScope,
        public_id: &str,
        which: Questionnaire,
    ) -> Result<mizan_rules::Answers> {
        let mut tx = self.begin_scoped_read(scope).await?;
        let json: Option<String> = sqlx::query_scalar(AssertSqlSafe(format!(
            "SELECT {} FROM systems WHERE public_id = $1 AND org_id = $2",
            which.column()
        )))
        .bind(public_id)
        .bind(scope.org_id())
        .fetch_optional(&mut *tx)
        .await?;
        tx.commit().await?;
        let json = json.ok_or_else(|| StoreError::NotFound { what: "system", id: public_id.to_owned() })?;
        serde_json::from_str(&json).map_err(|e| StoreError::Corrupt(e.to_string()))
    }

    /// Replaces the draft's risk questionnaire answers (the caller keeps only on-path answers).
    ///
    /// # Errors
    /// [`StoreError::NotFound`] outside the scope; [`StoreError::Conflict`] while submitted.
    pub async fn set_risk_answers(
        &self,
        scope: OrgScope,
        public_id: &str,
        actor: &ActorRef,
        answers: &mizan_rules::Answers,
    ) -> Result<()> {
        self.set_answers(scope, public_id, actor, answers, Questionnaire::Risk).await
    }

    /// Replaces the draft's impact assessment answers.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] outside the scope; [`StoreError::Conflict`] while submitted.
    pub async fn set_impact_answers(
        &self,
        scope: OrgScope,
        public_id: &str,
        actor: &ActorRef,
        answers: &mizan_rules::Answers,
    ) -> Result<()> {
        self.set_answers(scope, public_id, actor, answers, Questionnaire::Impact).await
    }

    async fn set_answers(
        &self,
        scope: OrgScope,
        public_id: &str,
        actor: &ActorRef,
        answers: &mizan_rules::Answers,
        which: Questionnaire,
    ) -> Result<()> {
        let (_guard, mut tx) = self.begin_scoped_write(scope).await?;
        let (id, summary, _) = self.scoped_row(&mut tx, scope, public_id).await?;
        ensure_editable(summary.status, public_id)?;
        let json = serde_json::to_string(answers).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        sqlx::query(AssertSqlSafe(format!(
            "UPDATE systems SET {} = $1, updated_at = $2 WHERE id = $3",
            which.column()
        )))
        .bind(json)
        .bind(now())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        insert_event(
            &mut tx,
            id,
            summary.latest_version,
            which.event(),
            (summary.status, summary.status),
            actor,
            "",
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The classification frozen with a version: for its provider (`Some(scope)`), or for the
    /// regulator and the public register (`None`; callers pass only versions they may show).
    ///
    /// # Errors
    /// Database errors.
    pub async fn classification(
        &self,
        scope: Option<OrgScope>,
        public_id: &str,
        version: i64,
    ) -> Result<Option<StoredClassification>> {
        let org_filter = scope.map_or(-1, OrgScope::org_id);
        let row = sqlx::query(
            "SELECT c.version, c.tier, c.result_json, c.impact_json, c.computed_at FROM classifications c \
             JOIN systems s ON s.id = c.system_id WHERE s.public_id = $1 AND c.version = $2 AND ($3 = -1 OR s.org_id = $3)",
        )
        .bind(public_id)
        .bind(version)
        .bind(org_filter)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            let json: String = r.try_get("result_json")?;
            Ok(StoredClassification {
                version: r.try_get("version")?,
                tier: r.try_get("tier")?,
                result: serde_json::from_str(&json).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                impact: serde_json::from_str(&r.try_get::<String, _>("impact_json")?).unwrap_or_default(),
                computed_at: r.try_get("computed_at")?,
            })
        })
        .transpose()
    }
}

pub(crate) fn event_from_row(r: &AnyRow, public_id: String) -> Result<Event> {
    Ok(Event {
        id: r.try_get("id")?,
        public_id,
        version: r.try_get("version")?,
        kind: r.try_get("kind")?,
        from_status: r.try_get("from_status")?,
        to_status: r.try_get("to_status")?,
        actor_name: r.try_get("actor_name")?,
        reason: r.try_get("reason")?,
        at: r.try_get("at")?,
    })
}
