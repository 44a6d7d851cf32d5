//! Cases of every case type (appeals first): the current state of each (`cases`, a projection
//! the case engine recomputes from the history) and the append-only history
//! (`case_entries`). The store does not know what a case type allows; `mizan-app` asks
//! `mizan-cases` and writes what it answers.
//!
//! Each entry is written in the same transaction as a row of `system_events` (kind `case`)
//! whose reason carries the entry's commitment (filed under the case's system, or for a case
//! about something else under its subject, such as `dataset:<slug>`), so the events log commits to every move
//! without holding personal data. Writers pass the sequence number they expect; two writers
//! racing on one case collide on the primary key and the second gets
//! [`StoreError::Conflict`] with nothing written.

use sqlx::{AssertSqlSafe, Row};

use crate::{OrgScope, Result, Store, StoreError, now};

/// A case about to be opened.
#[derive(Debug, Clone)]
pub struct NewCase {
    /// Its public reference (`AP-…`).
    pub reference: String,
    /// Case type name and version.
    pub case_type: String,
    /// The case type's version.
    pub type_version: i64,
    /// The organisation that must act on it.
    pub org_id: i64,
    /// The system it concerns, if any.
    pub system_id: Option<i64>,
    /// The version (of the system, or of the subject) its events are filed under.
    pub system_version: i64,
    /// What it is about (an appeal: the decision's receipt reference).
    pub subject: String,
    /// SHA-256 (hex) of the status link's secret.
    pub token_hash: String,
    /// Key of the entries' commitments, hex.
    pub entry_key: String,
    /// The language the person filed in.
    pub lang: String,
    /// Contact e-mail, if left.
    pub contact_email: Option<String>,
    /// Contact phone, if left.
    pub contact_phone: Option<String>,
    /// Consent to publish an anonymised summary.
    pub publish_consent: bool,
    /// A coarse category of the grounds, for public statistics.
    pub grounds_category: String,
    /// A document filed with the opening entry (seq 0), its bytes already durable.
    pub document: Option<NewDocument>,
}

/// A document attached to a case's entry; its bytes are a file named by `sha256`, written
/// before the row (a crash in between leaves an unreferenced file, never a dangling row).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDocument {
    /// SHA-256 of the bytes, lowercase hex.
    pub sha256: String,
    /// Size in bytes.
    pub size_bytes: i64,
    /// The media type sniffed from the bytes.
    pub media_type: String,
    /// The name the person gave it, cleaned.
    pub file_name: String,
}

/// A stored document of a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredDocument {
    /// The entry it came with (0: the filing).
    pub seq: i64,
    /// SHA-256 of the bytes, lowercase hex.
    pub sha256: String,
    /// Size in bytes.
    pub size_bytes: i64,
    /// The media type sniffed from the bytes.
    pub media_type: String,
    /// The name the person gave it.
    pub file_name: String,
    /// When it was attached.
    pub at: String,
}

/// Whose a case is.
#[derive(Debug, Clone, Copy)]
pub struct CaseTarget {
    /// The organisation that must act.
    pub org_id: i64,
    /// The system concerned.
    pub system_id: i64,
}

/// One entry to append.
#[derive(Debug, Clone)]
pub struct NewEntry {
    /// Its position in the history (0 for the opening).
    pub seq: i64,
    /// The engine's entry, as JSON.
    pub entry_json: String,
    /// HMAC-SHA256 of `entry_json` under the case's key, hex.
    pub commitment: String,
    /// The person who made it, if a signed-in user.
    pub actor_user: Option<i64>,
    /// Who, for the public events trail (a role, never a name of the filer).
    pub actor_name: String,
    /// The state before and after.
    pub from: String,
    /// The state after.
    pub to: String,
    /// When (store time format).
    pub at: String,
}

/// The projection after a change.
#[derive(Debug, Clone, Default)]
pub struct CaseProjection {
    /// Current state.
    pub state: String,
    /// Ever late.
    pub late: bool,
    /// Not in a terminal state.
    pub is_open: bool,
    /// When the state was entered.
    pub entered_at: String,
    /// Earliest unfired deadline.
    pub next_due_at: Option<String>,
    /// First provider decision.
    pub decided_at: Option<String>,
    /// Latest outcome.
    pub outcome: Option<String>,
    /// Ever escalated to the regulator.
    pub escalated: bool,
    /// When it closed.
    pub closed_at: Option<String>,
    /// Who made the deciding move (a user), if a signed-in person did.
    pub decided_by: Option<i64>,
    /// The reviewer's (or regulator's) latest public summary, if one was written; published
    /// only when the filer consented.
    pub public_summary: Option<String>,
}

/// A stored case.
#[derive(Debug, Clone)]
pub struct StoredCase {
    /// Row id.
    pub id: i64,
    /// Public reference.
    pub reference: String,
    /// Case type.
    pub case_type: String,
    /// Case type version.
    pub type_version: i64,
    /// Organisation that must act.
    pub org_id: i64,
    /// The organisation's name.
    pub org_name: String,
    /// The system's public id, if any.
    pub system: Option<String>,
    /// The system's public name in English, if it is on the register.
    pub system_name: Option<String>,
    /// The same in Urdu.
    pub system_name_ur: Option<String>,
    /// Subject (decision reference for an appeal).
    pub subject: String,
    /// The projection.
    pub projection: CaseProjection,
    /// When it was opened.
    pub opened_at: String,
    /// SHA-256 of the status secret.
    pub token_hash: String,
    /// Commitment key; `None` once redacted.
    pub entry_key: Option<String>,
    /// Filing language.
    pub lang: String,
    /// Contact e-mail.
    pub contact_email: Option<String>,
    /// Contact phone.
    pub contact_phone: Option<String>,
    /// Consent to publish a summary.
    pub publish_consent: bool,
    /// Grounds category.
    pub grounds_category: String,
    /// When its personal data was removed.
    pub redacted_at: Option<String>,
}

impl StoredCase {
    /// The system's public name in `lang` (`en` or `ur`), else its public id.
    #[must_use]
    pub fn system_label(&self, lang: &str) -> String {
        let name = if lang == "ur" { self.system_name_ur.as_ref() } else { self.system_name.as_ref() };
        name.or(self.system_name.as_ref()).or(self.system.as_ref()).cloned().unwrap_or_default()
    }
}

/// A stored entry.
#[derive(Debug, Clone)]
pub struct StoredEntry {
    /// Position.
    pub seq: i64,
    /// The engine's entry; `None` once redacted.
    pub entry_json: Option<String>,
    /// Its commitment.
    pub commitment: String,
    /// The user who made it.
    pub actor_user: Option<i64>,
    /// The events-log event recording it.
    pub event_id: Option<i64>,
    /// When.
    pub at: String,
}

/// A closed case as the public dataset shows it.
#[derive(Debug, Clone)]
pub struct ClosedCase {
    /// Row id (the dataset's cursor).
    pub id: i64,
    /// Reference.
    pub reference: String,
    /// System public id.
    pub system: String,
    /// Filed.
    pub opened_at: String,
    /// First provider decision.
    pub decided_at: Option<String>,
    /// Closed.
    pub closed_at: String,
    /// Grounds category.
    pub grounds_category: String,
    /// Outcome.
    pub outcome: Option<String>,
    /// Final state.
    pub state: String,
    /// Decided within the first deadline.
    pub on_time: bool,
    /// Escalated.
    pub escalated: bool,
    /// Marked late.
    pub late: bool,
    /// The anonymised summary, only when the filer consented to its publication.
    pub summary: Option<String>,
}

/// Which cases a queue lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueFilter {
    /// Open cases in the given states, earliest deadline first.
    Open,
    /// Every case, newest first.
    All,
    /// Open cases marked late, earliest deadline first.
    Late,
}

/// Public figures of one system's (or organisation's) cases.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CaseStats {
    /// Cases received.
    pub received: i64,
    /// Cases with a provider decision.
    pub decided: i64,
    /// Median days from filing to the provider's first decision.
    pub median_days_to_decision: Option<f64>,
    /// Decided on time (within the first deadline), of those decided.
    pub decided_on_time: i64,
    /// Outcomes reversed or modified.
    pub changed: i64,
    /// Escalated to the regulator.
    pub escalated: i64,
    /// Marked late.
    pub late: i64,
    /// Still open.
    pub open: i64,
}

pub(crate) const CASE_COLS: &str = "c.id, c.reference, c.case_type, c.type_version, c.org_id, o.name AS org_name, \
    s.public_id AS system, p.name_en AS system_name, p.name_ur AS system_name_ur, c.subject, c.state, c.late, c.is_open, c.opened_at, c.entered_at, \
    c.next_due_at, c.decided_at, c.outcome, c.escalated, c.closed_at, c.token_hash, c.entry_key, c.lang, \
    c.contact_email, c.contact_phone, c.publish_consent, c.grounds_category, c.redacted_at, c.decided_by, c.public_summary";

pub(crate) const CASE_FROM: &str = "cases c JOIN organisations o ON o.id = c.org_id LEFT JOIN systems s ON s.id = c.system_id \
     LEFT JOIN public_register p ON p.system_id = c.system_id";

pub(crate) fn case_from_row(r: &sqlx::any::AnyRow) -> Result<StoredCase> {
    Ok(StoredCase {
        id: r.try_get("id")?,
        reference: r.try_get("reference")?,
        case_type: r.try_get("case_type")?,
        type_version: r.try_get("type_version")?,
        org_id: r.try_get("org_id")?,
        org_name: r.try_get("org_name")?,
        system: r.try_get("system")?,
        system_name: r.try_get("system_name")?,
        system_name_ur: r.try_get("system_name_ur")?,
        subject: r.try_get("subject")?,
        projection: CaseProjection {
            state: r.try_get("state")?,
            late: r.try_get::<i64, _>("late")? != 0,
            is_open: r.try_get::<i64, _>("is_open")? != 0,
            entered_at: r.try_get("entered_at")?,
            next_due_at: r.try_get("next_due_at")?,
            decided_at: r.try_get("decided_at")?,
            outcome: r.try_get("outcome")?,
            escalated: r.try_get::<i64, _>("escalated")? != 0,
            closed_at: r.try_get("closed_at")?,
            decided_by: r.try_get("decided_by")?,
            public_summary: r.try_get("public_summary")?,
        },
        opened_at: r.try_get("opened_at")?,
        token_hash: r.try_get("token_hash")?,
        entry_key: r.try_get("entry_key")?,
        lang: r.try_get("lang")?,
        contact_email: r.try_get("contact_email")?,
        contact_phone: r.try_get("contact_phone")?,
        publish_consent: r.try_get::<i64, _>("publish_consent")? != 0,
        grounds_category: r.try_get("grounds_category")?,
        redacted_at: r.try_get("redacted_at")?,
    })
}

/// What a case's events are filed under in the events log: its system, or, for a case about
/// something else, its own subject (`dataset:<slug>`) in its organisation.
#[derive(Debug, Clone, Copy)]
pub(crate) enum EventSubject<'a> {
    System(i64),
    Named { org_id: i64, subject: &'a str },
}

pub(crate) async fn insert_entries(
    tx: &mut sqlx::AnyConnection,
    case_id: i64,
    (subject, version): (EventSubject<'_>, i64),
    entries: &[NewEntry],
) -> Result<()> {
    let (system_id, named, org_id) = match subject {
        EventSubject::System(id) => (Some(id), None, None),
        EventSubject::Named { org_id, subject } => (None, Some(subject), Some(org_id)),
    };
    for e in entries {
        let reason = format!("case-entry {case_id}.{} hmac-sha256:{}", e.seq, e.commitment);
        let event_id: i64 = sqlx::query_scalar(
            "INSERT INTO system_events (system_id, subject, org_id, version, kind, from_status, to_status, \
             actor_id, actor_name, reason, at) VALUES ($1, $2, $3, $4, 'case', $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(system_id)
        .bind(named)
        .bind(org_id)
        .bind(version)
        .bind(&e.from)
        .bind(&e.to)
        .bind(e.actor_user)
        .bind(&e.actor_name)
        .bind(reason)
        .bind(&e.at)
        .fetch_one(&mut *tx)
        .await?;
        let done = sqlx::query(
            "INSERT INTO case_entries (case_id, seq, entry_json, commitment, actor_user, event_id, at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(case_id)
        .bind(e.seq)
        .bind(&e.entry_json)
        .bind(&e.commitment)
        .bind(e.actor_user)
        .bind(event_id)
        .bind(&e.at)
        .execute(&mut *tx)
        .await;
        match done {
            Ok(_) => {}
            Err(err) if crate::is_unique_violation(&err) => {
                return Err(StoreError::Conflict(
                    "the case changed meanwhile; reload it and try again".to_owned(),
                ));
            }
            Err(err) => return Err(err.into()),
        }
    }
    Ok(())
}

/// Inserts a case, its first entries and its projection in `tx`.
async fn insert_case(
    tx: &mut sqlx::AnyConnection,
    new: &NewCase,
    entries: &[NewEntry],
    p: &CaseProjection,
) -> Result<i64> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO cases (reference, case_type, type_version, org_id, system_id, subject, state, late, is_open, \
         opened_at, entered_at, token_hash, entry_key, lang, contact_email, contact_phone, publish_consent, grounds_category) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 0, 1, $16, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id",
    )
    .bind(&new.reference)
    .bind(&new.case_type)
    .bind(new.type_version)
    .bind(new.org_id)
    .bind(new.system_id)
    .bind(&new.subject)
    .bind(&p.state)
    .bind(&p.entered_at)
    .bind(&new.token_hash)
    .bind(&new.entry_key)
    .bind(&new.lang)
    .bind(&new.contact_email)
    .bind(&new.contact_phone)
    .bind(i64::from(new.publish_consent))
    .bind(&new.grounds_category)
    // Filed when its first entry was made (a case stored with its history, such as the
    // demo's, has entered a later state since).
    .bind(entries.first().map_or(&p.entered_at, |e| &e.at))
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| {
        if crate::is_unique_violation(&e) {
            StoreError::Conflict(format!("case reference `{}` is taken", new.reference))
        } else {
            e.into()
        }
    })?;
    let subject = match new.system_id {
        Some(system) => EventSubject::System(system),
        None => EventSubject::Named { org_id: new.org_id, subject: &new.subject },
    };
    insert_entries(tx, id, (subject, new.system_version), entries).await?;
    if let Some(d) = &new.document {
        sqlx::query(
            "INSERT INTO case_documents (case_id, seq, sha256, size_bytes, media_type, file_name, at) \
             VALUES ($1, 0, $2, $3, $4, $5, $6)",
        )
        .bind(id)
        .bind(&d.sha256)
        .bind(d.size_bytes)
        .bind(&d.media_type)
        .bind(&d.file_name)
        .bind(&p.entered_at)
        .execute(&mut *tx)
        .await?;
    }
    write_projection(tx, id, p).await?;
    Ok(id)
}

pub(crate) async fn write_projection(
    tx: &mut sqlx::AnyConnection,
    case_id: i64,
    p: &CaseProjection,
) -> Result<()> {
    sqlx::query(
        "UPDATE cases SET state = $1, late = $2, is_open = $3, entered_at = $4, next_due_at = $5, decided_at = $6, \
         outcome = $7, escalated = $8, closed_at = $9, decided_by = $10, public_summary = $11 WHERE id = $12",
    )
    .bind(&p.state)
    .bind(i64::from(p.late))
    .bind(i64::from(p.is_open))
    .bind(&p.entered_at)
    .bind(&p.next_due_at)
    .bind(&p.decided_at)
    .bind(&p.outcome)
    .bind(i64::from(p.escalated))
    .bind(&p.closed_at)
    .bind(p.decided_by)
    .bind(&p.public_summary)
    .bind(case_id)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

impl Store {
    /// Opens a case with its first entries and projection, in one transaction. Filing needs no
    /// account, so this runs unfenced; the caller proved standing.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] when the reference is taken; database errors.
    pub async fn open_case(&self, new: &NewCase, entries: &[NewEntry], p: &CaseProjection) -> Result<i64> {
        let (_guard, mut tx) = self.begin_write().await?;
        let id = insert_case(&mut tx, new, entries, p).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Opens each of `cases` in one transaction (one sync for all): the group commit of filings
    /// made at the same moment. Each case is its own savepoint, so one that is refused (a
    /// reference taken) leaves the others; the answer is one result per case, in order.
    ///
    /// # Errors
    /// Database errors of the transaction itself (then no case was opened).
    pub async fn open_case_group(
        &self,
        cases: &[(NewCase, Vec<NewEntry>, CaseProjection)],
    ) -> Result<Vec<Result<i64>>> {
        let (_guard, mut tx) = self.begin_write().await?;
        let mut out = Vec::with_capacity(cases.len());
        for (new, entries, p) in cases {
            sqlx::query("SAVEPOINT one_case").execute(&mut *tx).await?;
            match insert_case(&mut tx, new, entries, p).await {
                Ok(id) => {
                    sqlx::query("RELEASE SAVEPOINT one_case").execute(&mut *tx).await?;
                    out.push(Ok(id));
                }
                Err(e) => {
                    sqlx::query("ROLLBACK TO SAVEPOINT one_case").execute(&mut *tx).await?;
                    sqlx::query("RELEASE SAVEPOINT one_case").execute(&mut *tx).await?;
                    out.push(Err(e));
                }
            }
        }
        tx.commit().await?;
        Ok(out)
    }

    /// Opens several cases in one transaction (one sync), all or none: the oversight cases of a
    /// batch of held decisions. A case whose subject already has an open case of its type is
    /// skipped, so a batch opened twice opens each case once.
    ///
    /// # Errors
    /// As [`Store::open_case`].
    pub async fn open_cases(&self, cases: &[(NewCase, Vec<NewEntry>, CaseProjection)]) -> Result<usize> {
        if cases.is_empty() {
            return Ok(0);
        }
        let (_guard, mut tx) = self.begin_write().await?;
        let mut opened = 0;
        for (new, entries, p) in cases {
            let exists: Option<i64> =
                sqlx::query_scalar("SELECT id FROM cases WHERE case_type = $1 AND subject = $2 LIMIT 1")
                    .bind(&new.case_type)
                    .bind(&new.subject)
                    .fetch_optional(&mut *tx)
                    .await?;
            if exists.is_none() {
                insert_case(&mut tx, new, entries, p).await?;
                opened += 1;
            }
        }
        tx.commit().await?;
        Ok(opened)
    }

    /// Appends entries to a case and writes its new projection, fenced to `scope` when an
    /// organisation acts (the regulator, the filer and the deadline engine act unfenced).
    ///
    /// # Errors
    /// [`StoreError::Conflict`] when another writer appended meanwhile.
    pub async fn append_case(
        &self,
        scope: Option<OrgScope>,
        case: &StoredCase,
        system_version: i64,
        entries: &[NewEntry],
        p: &CaseProjection,
    ) -> Result<()> {
        let (_guard, mut tx) = match scope {
            Some(s) => self.begin_scoped_write(s).await?,
            None => self.begin_write().await?,
        };
        let row = sqlx::query("SELECT system_id, org_id, subject FROM cases WHERE id = $1")
            .bind(case.id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| StoreError::NotFound { what: "case", id: case.reference.clone() })?;
        let (system_id, org_id, subject): (Option<i64>, i64, String) =
            (row.try_get("system_id")?, row.try_get("org_id")?, row.try_get("subject")?);
        let subject = match system_id {
            Some(system) => EventSubject::System(system),
            None => EventSubject::Named { org_id, subject: &subject },
        };
        insert_entries(&mut tx, case.id, (subject, system_version), entries).await?;
        write_projection(&mut tx, case.id, p).await?;
        tx.commit().await?;
        Ok(())
    }

    /// A case and its history by reference, unfenced: the caller checks the status secret, the
    /// organisation or the regulator's standing.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] for an unknown reference.
    pub async fn case_by_reference(&self, reference: &str) -> Result<(StoredCase, Vec<StoredEntry>)> {
        let row =
            sqlx::query(AssertSqlSafe(format!("SELECT {CASE_COLS} FROM {CASE_FROM} WHERE c.reference = $1")))
                .bind(reference.trim().to_uppercase())
                .fetch_optional(&self.pool)
                .await?
                .ok_or_else(|| StoreError::NotFound { what: "case", id: reference.to_owned() })?;
        let case = case_from_row(&row)?;
        let entries = self.case_entries(case.id).await?;
        Ok((case, entries))
    }

    /// The documents of case `case_id`, in the order they were attached. Unfenced: the caller
    /// checked who may see the case.
    ///
    /// # Errors
    /// Database errors.
    pub async fn case_documents(&self, case_id: i64) -> Result<Vec<StoredDocument>> {
        let rows = sqlx::query(
            "SELECT seq, sha256, size_bytes, media_type, file_name, at FROM case_documents \
             WHERE case_id = $1 ORDER BY seq, sha256",
        )
        .bind(case_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(StoredDocument {
                    seq: r.try_get("seq")?,
                    sha256: r.try_get("sha256")?,
                    size_bytes: r.try_get("size_bytes")?,
                    media_type: r.try_get("media_type")?,
                    file_name: r.try_get("file_name")?,
                    at: r.try_get("at")?,
                })
            })
            .collect()
    }

    /// Whether any case's document row names the file `sha256` (a file no row names may go).
    ///
    /// # Errors
    /// Database errors.
    pub async fn document_in_use(&self, sha256: &str) -> Result<bool> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM case_documents WHERE sha256 = $1")
            .bind(sha256)
            .fetch_one(&self.pool)
            .await?;
        Ok(n > 0)
    }

    async fn case_entries(&self, case_id: i64) -> Result<Vec<StoredEntry>> {
        let rows = sqlx::query(
            "SELECT seq, entry_json, commitment, actor_user, event_id, at FROM case_entries WHERE case_id = $1 ORDER BY seq",
        )
        .bind(case_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(StoredEntry {
                    seq: r.try_get("seq")?,
                    entry_json: r.try_get("entry_json")?,
                    commitment: r.try_get("commitment")?,
                    actor_user: r.try_get("actor_user")?,
                    event_id: r.try_get("event_id")?,
                    at: r.try_get("at")?,
                })
            })
            .collect()
    }

    /// Cases of `case_type` for one organisation (`Some`) or every organisation (`None`, the
    /// regulator), restricted to `states` when not empty, earliest deadline first for open
    /// ones and newest first for all, skipping the first `offset`, at most `limit`.
    ///
    /// # Errors
    /// Database errors.
    pub async fn case_queue(
        &self,
        scope: Option<OrgScope>,
        case_type: &str,
        states: &[&str],
        filter: QueueFilter,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<StoredCase>> {
        let mut sql = format!("SELECT {CASE_COLS} FROM {CASE_FROM} WHERE c.case_type = $1");
        if scope.is_some() {
            sql.push_str(" AND c.org_id = $3");
        }
        match filter {
            QueueFilter::Open => sql.push_str(" AND c.is_open = 1"),
            QueueFilter::Late => sql.push_str(" AND c.is_open = 1 AND c.late = 1"),
            QueueFilter::All => {}
        }
        if !states.is_empty() {
            // The states are the case type's own names, never input.
            let list =
                states.iter().map(|s| format!("'{}'", s.replace('\'', ""))).collect::<Vec<_>>().join(", ");
            sql.push_str(&format!(" AND c.state IN ({list})"));
        }
        sql.push_str(match filter {
            QueueFilter::Open | QueueFilter::Late => " ORDER BY c.next_due_at, c.id LIMIT $2",
            QueueFilter::All => " ORDER BY c.id DESC LIMIT $2",
        });
        // A literal, not a parameter: the placeholders' numbering differs with and without the
        // organisation, and it is a number.
        sql.push_str(&format!(" OFFSET {}", offset.max(0)));
        let rows = match scope {
            Some(s) => {
                let mut tx = self.begin_scoped_read(s).await?;
                let rows = sqlx::query(AssertSqlSafe(sql))
                    .bind(case_type)
                    .bind(limit)
                    .bind(s.org_id())
                    .fetch_all(&mut *tx)
                    .await?;
                tx.commit().await?;
                rows
            }
            None => sqlx::query(AssertSqlSafe(sql)).bind(case_type).bind(limit).fetch_all(&self.pool).await?,
        };
        rows.iter().map(case_from_row).collect()
    }

    /// References of open cases with a deadline at or before `at`, earliest first.
    ///
    /// # Errors
    /// Database errors.
    pub async fn cases_due(&self, at: &str, limit: i64) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT reference FROM cases WHERE is_open = 1 AND next_due_at IS NOT NULL AND next_due_at <= $1 \
             ORDER BY next_due_at LIMIT $2",
        )
        .bind(at)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// The open case of `case_type` about `subject`, if any (one appeal per decision at a time;
    /// an open appeal holds its decision against erasure).
    ///
    /// # Errors
    /// Database errors.
    pub async fn open_case_about(&self, case_type: &str, subject: &str) -> Result<Option<String>> {
        Ok(sqlx::query_scalar(
            "SELECT reference FROM cases WHERE case_type = $1 AND subject = $2 AND is_open = 1 LIMIT 1",
        )
        .bind(case_type)
        .bind(subject)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Public figures of the cases of `case_type` of one system (by public id), or of every
    /// system of one organisation when `system` is `None`. `on_time_days`: the first deadline.
    ///
    /// # Errors
    /// Database errors.
    pub async fn case_stats(
        &self,
        case_type: &str,
        system: Option<&str>,
        org_id: Option<i64>,
        on_time_days: i64,
    ) -> Result<CaseStats> {
        let (filter, key): (&str, String) = match (system, org_id) {
            (Some(s), _) => ("s.public_id = $2", s.to_owned()),
            (None, Some(o)) => ("CAST(c.org_id AS TEXT) = $2", o.to_string()),
            (None, None) => ("$2 = $2", String::new()),
        };
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT c.opened_at, c.decided_at, c.outcome, c.escalated, c.late, c.is_open FROM cases c \
             LEFT JOIN systems s ON s.id = c.system_id WHERE c.case_type = $1 AND {filter}"
        )))
        .bind(case_type)
        .bind(key)
        .fetch_all(&self.pool)
        .await?;
        let mut acc = StatsAcc::default();
        for r in &rows {
            acc.add(r, on_time_days)?;
        }
        Ok(acc.finish())
    }

    /// The figures of [`Store::case_stats`] for every system with cases of `case_type`, by
    /// public id, in one pass over the cases (the public statistics of all systems at once).
    ///
    /// # Errors
    /// Database errors.
    pub async fn case_stats_by_system(
        &self,
        case_type: &str,
        on_time_days: i64,
    ) -> Result<std::collections::HashMap<String, CaseStats>> {
        if let Some(direct) = &self.direct {
            // A million rows through sqlx cost seconds (each value decoded into an owned row
            // and handed across threads); read in place on a blocking thread instead.
            let direct = std::sync::Arc::clone(direct);
            let case_type = case_type.to_owned();
            return tokio::task::spawn_blocking(move || {
                stats_by_system_direct(&direct, &case_type, on_time_days)
            })
            .await
            .map_err(|e| StoreError::Direct(format!("figures thread: {e}")))?;
        }
        let rows = sqlx::query(
            "SELECT s.public_id, c.opened_at, c.decided_at, c.outcome, c.escalated, c.late, c.is_open FROM cases c \
             JOIN systems s ON s.id = c.system_id WHERE c.case_type = $1",
        )
        .bind(case_type)
        .fetch_all(&self.pool)
        .await?;
        let mut by_system: std::collections::HashMap<String, StatsAcc> = std::collections::HashMap::new();
        for r in &rows {
            by_system.entry(r.try_get("public_id")?).or_default().add(r, on_time_days)?;
        }
        Ok(by_system.into_iter().map(|(s, acc)| (s, acc.finish())).collect())
    }

    /// Closed cases of `case_type` with id above `after`, oldest first, at most `limit`.
    ///
    /// # Errors
    /// Database errors.
    pub async fn closed_cases(&self, case_type: &str, after: i64, limit: i64) -> Result<Vec<ClosedCase>> {
        let rows = sqlx::query(
            "SELECT c.id, c.reference, s.public_id, c.opened_at, c.decided_at, c.closed_at, c.grounds_category, \
             c.outcome, c.state, c.escalated, c.late, \
             CASE WHEN c.publish_consent = 1 AND c.redacted_at IS NULL THEN c.public_summary END AS summary \
             FROM cases c JOIN systems s ON s.id = c.system_id \
             WHERE c.case_type = $1 AND c.is_open = 0 AND c.id > $2 ORDER BY c.id LIMIT $3",
        )
        .bind(case_type)
        .bind(after)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let opened: String = r.try_get("opened_at")?;
                let decided: Option<String> = r.try_get("decided_at")?;
                Ok(ClosedCase {
                    id: r.try_get("id")?,
                    reference: r.try_get("reference")?,
                    system: r.try_get("public_id")?,
                    on_time: decided.as_deref().is_some_and(|d| days_between(&opened, d) <= 15.0),
                    opened_at: opened,
                    decided_at: decided,
                    closed_at: r.try_get::<Option<String>, _>("closed_at")?.unwrap_or_default(),
                    grounds_category: r.try_get("grounds_category")?,
                    outcome: r.try_get("outcome")?,
                    state: r.try_get("state")?,
                    escalated: r.try_get::<i64, _>("escalated")? != 0,
                    late: r.try_get::<i64, _>("late")? != 0,
                    summary: r.try_get("summary")?,
                })
            })
            .collect()
    }

    /// The systems with cases of `case_type`: public id, organisation name, and the names in
    /// English and Urdu when on the register.
    ///
    /// # Errors
    /// Database errors.
    pub async fn systems_with_cases(&self, case_type: &str) -> Result<Vec<(String, String, String, String)>> {
        let rows = sqlx::query(
            "SELECT s.public_id, o.name AS org_name, COALESCE(p.name_en, s.public_id) AS name_en, \
             COALESCE(p.name_ur, '') AS name_ur FROM systems s JOIN organisations o ON o.id = s.org_id \
             LEFT JOIN public_register p ON p.system_id = s.id \
             WHERE s.id IN (SELECT DISTINCT system_id FROM cases WHERE case_type = $1) ORDER BY s.public_id",
        )
        .bind(case_type)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("public_id")?,
                    r.try_get("org_name")?,
                    r.try_get("name_en")?,
                    r.try_get("name_ur")?,
                ))
            })
            .collect()
    }

    /// Records that decision `new` replaces `old` (idempotent).
    ///
    /// # Errors
    /// Database errors.
    pub async fn link_supersession(&self, old: &str, new: &str) -> Result<()> {
        let (_guard, mut tx) = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO decision_supersessions (old_reference, new_reference, at) VALUES ($1, $2, $3) \
             ON CONFLICT DO NOTHING",
        )
        .bind(old)
        .bind(new)
        .bind(now())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The decision that replaced `reference`, if one did.
    ///
    /// # Errors
    /// Database errors.
    pub async fn superseded_by(&self, reference: &str) -> Result<Option<String>> {
        Ok(sqlx::query_scalar("SELECT new_reference FROM decision_supersessions WHERE old_reference = $1")
            .bind(reference)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// The organisation and system of the decision `reference` (a case about it is theirs).
    ///
    /// # Errors
    /// [`StoreError::NotFound`] for an unknown decision.
    pub async fn appeal_target(&self, reference: &str) -> Result<CaseTarget> {
        let row = sqlx::query(
            "SELECT s.org_id, s.id FROM decisions d JOIN systems s ON s.id = d.system_id WHERE d.reference = $1",
        )
        .bind(reference)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::NotFound { what: "receipt", id: reference.to_owned() })?;
        Ok(CaseTarget { org_id: row.try_get("org_id")?, system_id: row.try_get("id")? })
    }

    /// A system's appeal settings: how many days after a decision its subject may appeal, and
    /// how many different reviewers must agree on an outcome.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] for an unknown system.
    pub async fn appeal_settings(&self, public_id: &str) -> Result<(i64, i64)> {
        let row =
            sqlx::query("SELECT appeal_window_days, appeal_reviewers FROM systems WHERE public_id = $1")
                .bind(public_id)
                .fetch_optional(&self.pool)
                .await?
                .ok_or_else(|| StoreError::NotFound { what: "system", id: public_id.to_owned() })?;
        Ok((row.try_get("appeal_window_days")?, row.try_get("appeal_reviewers")?))
    }

    /// Sets a system's appeal settings (see [`Store::appeal_settings`]).
    ///
    /// # Errors
    /// [`StoreError::NotFound`] for a system outside the scope.
    pub async fn set_appeal_settings(
        &self,
        scope: OrgScope,
        public_id: &str,
        window_days: i64,
        reviewers: i64,
    ) -> Result<()> {
        let (_guard, mut tx) = self.begin_scoped_write(scope).await?;
        let done = sqlx::query(
            "UPDATE systems SET appeal_window_days = $1, appeal_reviewers = $2 WHERE public_id = $3 AND org_id = $4",
        )
        .bind(window_days)
        .bind(reviewers)
        .bind(public_id)
        .bind(scope.org_id())
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound { what: "system", id: public_id.to_owned() });
        }
        tx.commit().await?;
        Ok(())
    }
}

/// Figures of cases as their rows are read (`opened_at`, `decided_at`, `outcome`, `escalated`,
/// `late`, `is_open`).
#[derive(Default)]
pub(crate) struct StatsAcc {
    st: CaseStats,
    days: Vec<f64>,
}

impl StatsAcc {
    pub(crate) fn add(&mut self, r: &sqlx::any::AnyRow, on_time_days: i64) -> Result<()> {
        self.add_values(
            &r.try_get::<String, _>("opened_at")?,
            r.try_get::<Option<String>, _>("decided_at")?.as_deref(),
            r.try_get::<Option<String>, _>("outcome")?.as_deref(),
            [r.try_get("escalated")?, r.try_get("late")?, r.try_get("is_open")?],
            on_time_days,
        );
        Ok(())
    }

    /// `flags`: `escalated`, `late`, `is_open` (0 or 1).
    fn add_values(
        &mut self,
        opened: &str,
        decided: Option<&str>,
        outcome: Option<&str>,
        flags: [i64; 3],
        on_time_days: i64,
    ) {
        let st = &mut self.st;
        st.received += 1;
        if let Some(decided) = decided {
            st.decided += 1;
            let d = days_between(opened, decided);
            if d <= on_time_days as f64 {
                st.decided_on_time += 1;
            }
            self.days.push(d);
        }
        if matches!(outcome, Some("reversed" | "modified")) {
            st.changed += 1;
        }
        let [escalated, late, open] = flags;
        st.escalated += escalated;
        st.late += late;
        st.open += open;
    }

    pub(crate) fn finish(mut self) -> CaseStats {
        let days = &mut self.days;
        days.sort_by(f64::total_cmp);
        self.st.median_days_to_decision = match days.len() {
            0 => None,
            n if n % 2 == 1 => Some(days[n / 2]),
            n => Some((days[n / 2 - 1] + days[n / 2]) / 2.0),
        };
        self.st
    }
}

/// [`Store::case_stats_by_system`] on a direct SQLite reader: by system row id while reading,
/// then named by public id.
fn stats_by_system_direct(
    direct: &crate::direct::Direct,
    case_type: &str,
    on_time_days: i64,
) -> Result<std::collections::HashMap<String, CaseStats>> {
    let conn = direct.reader()?;
    let mut by_id: std::collections::HashMap<i64, StatsAcc> = std::collections::HashMap::new();
    let mut stmt = conn.prepare_cached(
        "SELECT system_id, opened_at, decided_at, outcome, escalated, late, is_open FROM cases \
         WHERE case_type = ?1 AND system_id IS NOT NULL",
    )?;
    let mut rows = stmt.query([case_type])?;
    while let Some(r) = rows.next()? {
        let text = |i: usize| -> Result<Option<&str>> {
            r.get_ref(i)?.as_str_or_null().map_err(|e| StoreError::Direct(format!("cases column {i}: {e}")))
        };
        by_id.entry(r.get(0)?).or_default().add_values(
            text(1)?.unwrap_or_default(),
            text(2)?,
            text(3)?,
            [r.get(4)?, r.get(5)?, r.get(6)?],
            on_time_days,
        );
    }
    drop(rows);
    let mut names = conn.prepare_cached("SELECT id, public_id FROM systems")?;
    let names: std::collections::HashMap<i64, String> =
        names.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<_>>()?;
    Ok(by_id.into_iter().filter_map(|(id, acc)| Some((names.get(&id)?.clone(), acc.finish()))).collect())
}

/// Days (fractional) between two store times; 0 when either does not parse.
fn days_between(from: &str, to: &str) -> f64 {
    let parse = |s: &str| time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok();
    match (parse(from), parse(to)) {
        (Some(a), Some(b)) => (b - a).as_seconds_f64() / 86_400.0,
        _ => 0.0,
    }
}
