//! Fairness audits attached to system versions, and the logged decisions they can be run on.
//!
//! An audit is computed by the server (with `mizan-fairness`) and stored here once, whole:
//! the report as JSON and as a self-contained page, the public summary, what it was run on
//! (an uploaded file by hash, or the system's logged decisions of that version in a time
//! window), with which columns and settings, and who ran it. Rows are never changed.
//!
//! Who sees what is decided here, once: a provider ([`AuditScope::Org`]) runs and reads the
//! audits of its own organisation's systems, whoever ran them; the regulator
//! ([`AuditScope::Regulator`]) runs and reads audits of any system; the public reads only the
//! stored summaries ([`Store::public_audits`]) of registered versions of systems whose public
//! tier is `high`. Another organisation's system is "not found".

use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, Row};

use crate::systems::RegulatorScope;
use crate::{OrgScope, Principal, Result, Store, StoreError, now, random_code};

/// Where a caller may run and read audits.
#[derive(Debug, Clone, Copy)]
pub enum AuditScope {
    /// The systems of one organisation.
    Org(OrgScope),
    /// Every system (the regulator).
    Regulator(RegulatorScope),
}

impl AuditScope {
    /// `-1` for the regulator (every organisation), else the organisation id.
    fn org_filter(self) -> i64 {
        match self {
            AuditScope::Org(s) => s.org_id(),
            AuditScope::Regulator(_) => -1,
        }
    }
}

/// In which capacity an audit was run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditRole {
    /// By the system's provider.
    Provider,
    /// By the regulator.
    Regulator,
}

impl AuditRole {
    /// `provider` or `regulator`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            AuditRole::Provider => "provider",
            AuditRole::Regulator => "regulator",
        }
    }

    fn parse(s: &str) -> Result<AuditRole> {
        match s {
            "provider" => Ok(AuditRole::Provider),
            "regulator" => Ok(AuditRole::Regulator),
            other => Err(StoreError::Corrupt(format!("audits.run_by_role `{other}`"))),
        }
    }
}

/// Someone running an audit: their scope, and who they are for the record.
#[derive(Debug, Clone)]
pub struct Auditor {
    scope: AuditScope,
    user_id: Option<i64>,
    name: String,
    org_id: i64,
}

impl Auditor {
    /// `p` acting for its own organisation's systems.
    #[must_use]
    pub fn provider(p: &Principal) -> Auditor {
        Auditor {
            scope: AuditScope::Org(p.scope()),
            user_id: p.user.as_ref().map(|u| u.id),
            name: p.actor_name(),
            org_id: p.org.id,
        }
    }

    /// `p` acting as the regulator, when `p` belongs to a regulator organisation.
    #[must_use]
    pub fn regulator(p: &Principal) -> Option<Auditor> {
        RegulatorScope::of(p).map(|r| Auditor {
            scope: AuditScope::Regulator(r),
            user_id: p.user.as_ref().map(|u| u.id),
            name: p.actor_name(),
            org_id: p.org.id,
        })
    }

    /// Where this auditor may work.
    #[must_use]
    pub fn scope(&self) -> AuditScope {
        self.scope
    }

    /// In which capacity.
    #[must_use]
    pub fn role(&self) -> AuditRole {
        match self.scope {
            AuditScope::Org(_) => AuditRole::Provider,
            AuditScope::Regulator(_) => AuditRole::Regulator,
        }
    }
}

/// What an audit was run on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditSource {
    /// An uploaded decisions file.
    Upload {
        /// The file name as uploaded.
        file_name: String,
        /// Lowercase hex SHA-256 of its bytes.
        sha256: String,
        /// Its size in bytes.
        size_bytes: i64,
    },
    /// The system's logged decisions of the audited version, decided in `[from, to)`.
    Logged {
        /// Start of the window (RFC 3339, inclusive).
        from: String,
        /// End of the window (RFC 3339, exclusive).
        to: String,
    },
}

impl AuditSource {
    /// `upload` or `logged`.
    #[must_use]
    pub const fn kind(&self) -> &'static str {
        match self {
            AuditSource::Upload { .. } => "upload",
            AuditSource::Logged { .. } => "logged",
        }
    }
}

/// An audit about to be stored.
#[derive(Debug, Clone)]
pub struct NewAudit {
    /// The system version audited.
    pub version: i64,
    /// What it was run on.
    pub source: AuditSource,
    /// Rows (decisions) audited.
    pub rows: i64,
    /// The preset judged against ("" for none).
    pub preset: String,
    /// Columns and settings, as JSON.
    pub parameters_json: String,
    /// The `mizan.fairness.audit/1` document.
    pub report_json: String,
    /// The same, as one self-contained HTML page.
    pub report_html: String,
    /// The public summary (group sizes below the disclosure threshold already left out).
    pub summary_json: String,
}

/// A stored audit, without its report.
#[derive(Debug, Clone)]
pub struct AuditInfo {
    /// The audit's id (10 characters, unguessable).
    pub id: String,
    /// The system's public id.
    pub system: String,
    /// The version audited.
    pub version: i64,
    /// Who ran it, for the record.
    pub run_by: String,
    /// In which capacity.
    pub role: AuditRole,
    /// What it was run on.
    pub source: AuditSource,
    /// Rows audited.
    pub rows: i64,
    /// The preset ("" for none).
    pub preset: String,
    /// Columns and settings (JSON).
    pub parameters_json: String,
    /// The public summary (JSON).
    pub summary_json: String,
    /// When it was run.
    pub created_at: String,
}

/// A stored audit with its report.
#[derive(Debug, Clone)]
pub struct AuditReport {
    /// The audit.
    pub info: AuditInfo,
    /// The `mizan.fairness.audit/1` document.
    pub json: String,
    /// The self-contained HTML page.
    pub html: String,
}

/// What the public may know of an audit: no names of people, no file names, no report.
#[derive(Debug, Clone)]
pub struct PublicAudit {
    /// The audit's id.
    pub id: String,
    /// The version audited.
    pub version: i64,
    /// Run by the provider or the regulator.
    pub role: AuditRole,
    /// `upload` or `logged`.
    pub source: &'static str,
    /// SHA-256 of an uploaded file.
    pub file_sha256: Option<String>,
    /// The window of logged decisions.
    pub window: Option<(String, String)>,
    /// Rows audited.
    pub rows: i64,
    /// The preset ("" for none).
    pub preset: String,
    /// The public summary (JSON).
    pub summary_json: String,
    /// When it was run.
    pub created_at: String,
}

/// One logged decision as an audit reads it.
#[derive(Debug, Clone)]
pub struct LoggedRecord {
    /// Row id: pages continue after the last one.
    pub id: i64,
    /// The decision's leaf hash (hex).
    pub leaf_hash: String,
    /// The canonical record; `None` once erased.
    pub record_json: Option<String>,
}

const COLS: &str = "a.public_id AS audit_id, s.public_id, a.version, a.run_by_name, a.run_by_role, a.source, \
    a.file_name, a.file_sha256, a.file_size, a.window_from, a.window_to, a.rows_audited, a.preset, \
    a.parameters_json, a.summary_json, a.created_at";

fn source_from_row(r: &AnyRow) -> Result<AuditSource> {
    let kind: String = r.try_get("source")?;
    let text = |c: &str| -> Result<String> {
        r.try_get::<Option<String>, _>(c)?.ok_or_else(|| StoreError::Corrupt(format!("audits.{c} is empty")))
    };
    match kind.as_str() {
        "upload" => Ok(AuditSource::Upload {
            file_name: text("file_name")?,
            sha256: text("file_sha256")?,
            size_bytes: r
                .try_get::<Option<i64>, _>("file_size")?
                .ok_or_else(|| StoreError::Corrupt("audits.file_size is empty".into()))?,
        }),
        "logged" => Ok(AuditSource::Logged { from: text("window_from")?, to: text("window_to")? }),
        other => Err(StoreError::Corrupt(format!("audits.source `{other}`"))),
    }
}

fn info_from_row(r: &AnyRow) -> Result<AuditInfo> {
    Ok(AuditInfo {
        id: r.try_get("audit_id")?,
        system: r.try_get("public_id")?,
        version: r.try_get("version")?,
        run_by: r.try_get("run_by_name")?,
        role: AuditRole::parse(&r.try_get::<String, _>("run_by_role")?)?,
        source: source_from_row(r)?,
        rows: r.try_get("rows_audited")?,
        preset: r.try_get("preset")?,
        parameters_json: r.try_get("parameters_json")?,
        summary_json: r.try_get("summary_json")?,
        created_at: r.try_get("created_at")?,
    })
}

type Tx = sqlx::Transaction<'static, sqlx::Any>;

impl Store {
    /// A read transaction for `scope`: fenced to the organisation for a provider, unfenced for
    /// the regulator.
    async fn begin_audit_read(&self, scope: AuditScope) -> Result<Tx> {
        match scope {
            AuditScope::Org(s) => self.begin_scoped_read(s).await,
            AuditScope::Regulator(_) => Ok(self.pool.begin().await?),
        }
    }

    /// The internal id of system `public_id` within `scope`, and its newest submitted version.
    async fn audit_system(tx: &mut Tx, scope: AuditScope, public_id: &str) -> Result<(i64, i64)> {
        let row = sqlx::query(
            "SELECT id, latest_version FROM systems WHERE public_id = $1 AND ($2 = -1 OR org_id = $2)",
        )
        .bind(public_id)
        .bind(scope.org_filter())
        .fetch_optional(&mut **tx)
        .await?
        .ok_or_else(|| StoreError::NotFound { what: "system", id: public_id.to_owned() })?;
        Ok((row.try_get("id")?, row.try_get("latest_version")?))
    }

    /// The internal id of system `public_id` within `scope` when `version` is one of its
    /// submitted versions.
    async fn audit_version(tx: &mut Tx, scope: AuditScope, public_id: &str, version: i64) -> Result<i64> {
        let (id, latest) = Self::audit_system(tx, scope, public_id).await?;
        if latest == 0 {
            return Err(StoreError::Conflict(format!(
                "system `{public_id}` has no submitted version; an audit belongs to a submitted version"
            )));
        }
        if !(1..=latest).contains(&version) {
            return Err(StoreError::NotFound { what: "version", id: format!("{public_id} v{version}") });
        }
        Ok(id)
    }

    /// Checks that `scope` may audit `version` of system `public_id`, before any work is done.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] for an unknown system, another organisation's (for a provider),
    /// or a version that does not exist; [`StoreError::Conflict`] when nothing was submitted.
    pub async fn audit_target(&self, scope: AuditScope, public_id: &str, version: i64) -> Result<()> {
        let mut tx = self.begin_audit_read(scope).await?;
        Self::audit_version(&mut tx, scope, public_id, version).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Declares the privileged group of AIF360's comparisons for `version` of `public_id`
    /// (`sex=male,region=Punjab`, checked by the caller), as an event of the system. A version
    /// declares it once: later declarations are refused, and should two race, the first
    /// recorded stands ([`Store::declared_privileged`]).
    ///
    /// # Errors
    /// As [`Store::audit_target`]; [`StoreError::Conflict`] when the version already declares one.
    pub async fn declare_privileged(
        &self,
        scope: OrgScope,
        public_id: &str,
        version: i64,
        group: &str,
        actor: &crate::ActorRef,
    ) -> Result<()> {
        let (_guard, mut tx) = self.begin_scoped_write(scope).await?;
        let id = Self::audit_version(&mut tx, AuditScope::Org(scope), public_id, version).await?;
        if let Some(earlier) = Self::privileged_of(&mut tx, id, version).await? {
            return Err(StoreError::Conflict(format!(
                "version {version} of `{public_id}` already declares its privileged group ({earlier}); a declaration cannot change"
            )));
        }
        let status: String = sqlx::query_scalar("SELECT status FROM systems WHERE id = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        let status = mizan_register::Status::parse(&status)?;
        crate::systems::insert_event(
            &mut tx,
            id,
            version,
            "privileged-group",
            (status, status),
            actor,
            group,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn privileged_of(tx: &mut Tx, system_id: i64, version: i64) -> Result<Option<String>> {
        Ok(sqlx::query_scalar(
            "SELECT reason FROM system_events WHERE system_id = $1 AND version = $2 AND kind = 'privileged-group' \
             ORDER BY id LIMIT 1",
        )
        .bind(system_id)
        .bind(version)
        .fetch_optional(&mut **tx)
        .await?)
    }

    /// The privileged group each version of `public_id` declared, as `scope` may see it: one
    /// `(version, group)` per version that declared one (the first declaration), newest version
    /// first.
    ///
    /// # Errors
    /// As [`Store::audit_target`], without the version.
    pub async fn declared_privileged(
        &self,
        scope: AuditScope,
        public_id: &str,
    ) -> Result<Vec<(i64, String)>> {
        let mut tx = self.begin_audit_read(scope).await?;
        let (id, _) = Self::audit_system(&mut tx, scope, public_id).await?;
        let rows = sqlx::query(
            "SELECT version, reason FROM system_events WHERE system_id = $1 AND kind = 'privileged-group' \
             ORDER BY version DESC, id",
        )
        .bind(id)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        let mut out: Vec<(i64, String)> = Vec::new();
        for r in &rows {
            let version: i64 = r.try_get("version")?;
            if out.last().is_none_or(|(v, _)| *v != version) {
                out.push((version, r.try_get("reason")?));
            }
        }
        Ok(out)
    }

    /// Stores an audit of `audit.version` of system `public_id`, run by `by`.
    ///
    /// # Errors
    /// As [`Store::audit_target`].
    pub async fn insert_audit(&self, by: &Auditor, public_id: &str, audit: &NewAudit) -> Result<AuditInfo> {
        let (_guard, mut tx) = match by.scope {
            AuditScope::Org(s) => self.begin_scoped_write(s).await?,
            AuditScope::Regulator(_) => self.begin_write().await?,
        };
        let system_id = Self::audit_version(&mut tx, by.scope, public_id, audit.version).await?;
        let (file_name, sha256, size, from, to) = match &audit.source {
            AuditSource::Upload { file_name, sha256, size_bytes } => {
                (Some(file_name.as_str()), Some(sha256.as_str()), Some(*size_bytes), None, None)
            }
            AuditSource::Logged { from, to } => (None, None, None, Some(from.as_str()), Some(to.as_str())),
        };
        let audit_id = random_code(10);
        sqlx::query(
            "INSERT INTO audits (public_id, system_id, version, run_by_user_id, run_by_name, run_by_org_id, \
             run_by_role, source, file_name, file_sha256, file_size, window_from, window_to, rows_audited, preset, \
             parameters_json, report_json, report_html, summary_json, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)",
        )
        .bind(&audit_id)
        .bind(system_id)
        .bind(audit.version)
        .bind(by.user_id)
        .bind(&by.name)
        .bind(by.org_id)
        .bind(by.role().as_str())
        .bind(audit.source.kind())
        .bind(file_name)
        .bind(sha256)
        .bind(size)
        .bind(from)
        .bind(to)
        .bind(audit.rows)
        .bind(&audit.preset)
        .bind(&audit.parameters_json)
        .bind(&audit.report_json)
        .bind(&audit.report_html)
        .bind(&audit.summary_json)
        .bind(now())
        .execute(&mut *tx)
        .await?;
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {COLS} FROM audits a JOIN systems s ON s.id = a.system_id WHERE a.public_id = $1"
        )))
        .bind(&audit_id)
        .fetch_one(&mut *tx)
        .await?;
        let info = info_from_row(&row)?;
        tx.commit().await?;
        Ok(info)
    }

    /// The audits of system `public_id` within `scope`, newest first.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] for an unknown system or (for a provider) another
    /// organisation's.
    pub async fn audits(&self, scope: AuditScope, public_id: &str) -> Result<Vec<AuditInfo>> {
        let mut tx = self.begin_audit_read(scope).await?;
        let (system_id, _) = Self::audit_system(&mut tx, scope, public_id).await?;
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {COLS} FROM audits a JOIN systems s ON s.id = a.system_id \
             WHERE a.system_id = $1 ORDER BY a.id DESC"
        )))
        .bind(system_id)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        rows.iter().map(info_from_row).collect()
    }

    /// One audit of system `public_id` with its report, within `scope`.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] for an unknown system or audit, or one outside `scope`.
    pub async fn audit_report(
        &self,
        scope: AuditScope,
        public_id: &str,
        audit_id: &str,
    ) -> Result<AuditReport> {
        let mut tx = self.begin_audit_read(scope).await?;
        let (system_id, _) = Self::audit_system(&mut tx, scope, public_id).await?;
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {COLS}, a.report_json, a.report_html FROM audits a JOIN systems s ON s.id = a.system_id \
             WHERE a.system_id = $1 AND a.public_id = $2"
        )))
        .bind(system_id)
        .bind(audit_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| StoreError::NotFound { what: "audit", id: audit_id.to_owned() })?;
        tx.commit().await?;
        Ok(AuditReport {
            info: info_from_row(&row)?,
            json: row.try_get("report_json")?,
            html: row.try_get("report_html")?,
        })
    }

    /// The public summaries of the audits of a registered system whose public tier is `high`,
    /// newest first: only audits of versions that were registered. Empty for any other system.
    ///
    /// # Errors
    /// Database errors.
    pub async fn public_audits(&self, public_id: &str) -> Result<Vec<PublicAudit>> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {COLS} FROM audits a JOIN systems s ON s.id = a.system_id \
             JOIN public_register p ON p.system_id = a.system_id \
             WHERE p.public_id = $1 AND p.risk_tier = 'high' AND EXISTS (SELECT 1 FROM system_events e \
             WHERE e.system_id = a.system_id AND e.version = a.version AND e.to_status = 'registered') \
             ORDER BY a.id DESC"
        )))
        .bind(public_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let info = info_from_row(r)?;
                let (source, file_sha256, window) = match info.source {
                    AuditSource::Upload { sha256, .. } => ("upload", Some(sha256), None),
                    AuditSource::Logged { from, to } => ("logged", None, Some((from, to))),
                };
                Ok(PublicAudit {
                    id: info.id,
                    version: info.version,
                    role: info.role,
                    source,
                    file_sha256,
                    window,
                    rows: info.rows,
                    preset: info.preset,
                    summary_json: info.summary_json,
                    created_at: info.created_at,
                })
            })
            .collect()
    }

    /// Up to `limit` logged decisions of `version` of system `public_id` (within `scope`)
    /// decided in `[from, to)`, after row `after` (0 to start), in the order they were logged;
    /// erased ones come with no record. `from` and `to` are RFC 3339 UTC times to the second
    /// (`2026-01-31T00:00:00Z`); stored decision times are UTC RFC 3339 too, so comparing their
    /// first 19 characters compares the times.
    ///
    /// # Errors
    /// As [`Store::audit_target`].
    #[expect(clippy::too_many_arguments, reason = "one page of one window of one version; all needed")]
    pub async fn logged_decisions(
        &self,
        scope: AuditScope,
        public_id: &str,
        version: i64,
        from: &str,
        to: &str,
        after: i64,
        limit: i64,
    ) -> Result<Vec<LoggedRecord>> {
        let mut tx = self.begin_audit_read(scope).await?;
        let system_id = Self::audit_version(&mut tx, scope, public_id, version).await?;
        let second = |t: &str| t.get(..19).unwrap_or(t).to_owned();
        let rows = sqlx::query(
            "SELECT id, leaf_hash, record_json FROM decisions WHERE system_id = $1 AND system_version = $2 \
             AND decided_at >= $3 AND decided_at < $4 AND id > $5 ORDER BY id LIMIT $6",
        )
        .bind(system_id)
        .bind(version)
        .bind(second(from))
        .bind(second(to))
        .bind(after)
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        rows.iter()
            .map(|r| {
                Ok(LoggedRecord {
                    id: r.try_get("id")?,
                    leaf_hash: r.try_get("leaf_hash")?,
                    record_json: r.try_get("record_json")?,
                })
            })
            .collect()
    }

    /// Tries to change a stored audit; the database must refuse. Exists so tests can prove
    /// reports are immutable below the application.
    ///
    /// # Errors
    /// The database's refusal, which is the expected outcome.
    pub async fn try_rewrite_audits(&self) -> Result<u64> {
        let res = sqlx::query("UPDATE audits SET summary_json = '{}'").execute(&self.pool).await?;
        Ok(res.rows_affected())
    }
}
