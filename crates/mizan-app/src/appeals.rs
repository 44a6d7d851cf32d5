//! Appeals against automated decisions: the first case type of the case engine
//! (`mizan_cases::CaseType::appeal`).
//!
//! Standing is possession of the receipt reference; the filer follows the case through a
//! status link whose secret is stored hashed. The provider's reviewers (`appeals:decide`)
//! decide; an outcome that changes the decision logs a new decision that supersedes the
//! original (its record commits to the old leaf). Deadlines are the case type's: a provider
//! that does not decide in time is marked late, publicly, and the case goes to the regulator
//! (`appeals:regulate`). Every entry is committed to in the events log (`mizan_store::cases`);
//! while a case is open its decision cannot be erased.

use std::collections::BTreeMap;

use hmac::Mac as _;
use mizan_cases::{Case, CaseType, Entry, EntryKind, Move};
use mizan_store::{
    CaseProjection, NewCase, NewDocument, NewEntry, OrgScope, Principal, QueueFilter, StoredCase,
    StoredDocument, StoredEntry,
};
use rand::RngCore;
use serde_json::Value;
use sha2::Sha256;
use time::OffsetDateTime;

use crate::documents::{CheckedDocument, DocumentIn};
use crate::{Error, Platform};

/// The case type's name.
pub const APPEAL: &str = "appeal";

/// The case roles of the appeal type (`types/appeal.yaml`).
pub mod roles {
    /// The person decided about, holding the status link.
    pub const APPELLANT: &str = "appellant";
    /// A provider's reviewer (`appeals:decide`).
    pub const PROVIDER_REVIEWER: &str = "provider-reviewer";
    /// The regulator (`appeals:regulate`).
    pub const REGULATOR: &str = "regulator";
}

/// Why a person appeals, in a few words the public statistics can count.
pub const GROUNDS: [&str; 4] = ["wrong-data", "unfair", "unexplained", "other"];

/// The outcomes a reviewer may record.
pub const OUTCOMES: [&str; 3] = ["upheld", "reversed", "modified"];

/// Longest new output of a reversed or changed decision, in characters.
pub const MAX_OUTPUT: usize = 200;

/// Longest grounds or reasons, in characters.
pub const MAX_TEXT: usize = 4000;

/// Longest public summary, in characters.
pub const MAX_SUMMARY: usize = 500;

/// The opening entry's field holding the filed document's SHA-256, so the entry's commitment
/// (in the events log) commits to the document.
pub const DOCUMENT_FIELD: &str = "document_sha256";

/// The moves that may carry a public summary: a provider's decision and the regulator's
/// settlement.
pub const SUMMARY_MOVES: [&str; 5] = ["decide", "propose", "confirm", "uphold", "order_reversal"];

/// An appeal as filed.
#[derive(Debug, Clone, Default)]
pub struct AppealIn {
    /// Why, in the person's words.
    pub grounds: String,
    /// One of [`GROUNDS`].
    pub category: String,
    /// The features of the decision the person disputes.
    pub disputed: Vec<String>,
    /// An e-mail address for updates.
    pub email: Option<String>,
    /// A phone number for updates (kept for an SMS gateway).
    pub phone: Option<String>,
    /// Consent to publish an anonymised summary.
    pub consent: bool,
    /// `en` or `ur`: the language of the filing and of every message.
    pub lang: String,
    /// One document (PDF, PNG or JPEG), optional.
    pub document: Option<DocumentIn>,
}

/// A filed appeal: what its filer must keep.
#[derive(Debug, Clone)]
pub struct Filed {
    /// The appeal's reference.
    pub reference: String,
    /// The status link's secret (shown once, stored hashed).
    pub token: String,
}

/// A reviewer's or the regulator's decision on an appeal.
#[derive(Debug, Clone, Default)]
pub struct OutcomeIn {
    /// One of [`OUTCOMES`] (the regulator: `uphold`, `order_reversal` or `direct_rereview`).
    pub outcome: String,
    /// Why, in plain language.
    pub reasons: String,
    /// The decision's new output when the outcome changes it (a string, number or boolean).
    pub new_output: Option<Value>,
    /// A short public summary (with a decision or settlement, only when the filer consented
    /// to its publication; no contact or identity numbers).
    pub summary: Option<String>,
}

/// One entry of a case as shown to someone allowed to see it.
#[derive(Debug, Clone)]
pub struct EntryView {
    /// Position in the history.
    pub seq: i64,
    /// The entry; `None` once its personal data was removed.
    pub entry: Option<Entry>,
    /// Its commitment (HMAC-SHA256 under the case key, hex).
    pub commitment: String,
    /// Whether the stored entry still matches its commitment (`None` once redacted).
    pub intact: Option<bool>,
    /// The events-log event that commits to it.
    pub event_id: Option<i64>,
}

/// An appeal with its history.
#[derive(Debug, Clone)]
pub struct AppealView {
    /// The stored case.
    pub case: StoredCase,
    /// The history.
    pub entries: Vec<EntryView>,
    /// When the next deadline falls, if any.
    pub next_due: Option<OffsetDateTime>,
    /// Moves the viewer may make now.
    pub moves: Vec<String>,
    /// The decision that replaced the appealed one, if any.
    pub superseded_by: Option<String>,
    /// The case key, hex, for the filer to check the commitments (only to the filer).
    pub entry_key: Option<String>,
    /// The documents filed with it.
    pub documents: Vec<StoredDocument>,
}

/// A system's appeals at a glance.
#[derive(Debug, Clone)]
pub struct SystemAppeals {
    /// Public id.
    pub system: String,
    /// The provider.
    pub org_name: String,
    /// Name in English.
    pub name_en: String,
    /// Name in Urdu ("" when none).
    pub name_ur: String,
    /// Its figures.
    pub stats: mizan_store::CaseStats,
    /// Whether its latest public bias audit fails a preset.
    pub audit_fails: Option<bool>,
}

/// Who acts on an appeal.
#[derive(Debug, Clone)]
pub enum Actor<'a> {
    /// The filer, by the status secret.
    Filer(&'a str),
    /// A signed-in person or a token.
    Staff(&'a Principal),
}

pub(crate) fn commit(key_hex: &str, text: &str) -> Result<String, Error> {
    let key = hex::decode(key_hex).map_err(|e| Error::Internal(format!("case key: {e}")))?;
    let mut mac = hmac::Hmac::<Sha256>::new_from_slice(&key).map_err(|e| Error::Internal(e.to_string()))?;
    mac.update(text.as_bytes());
    Ok(hex::encode(mac.finalize().into_bytes()))
}

pub(crate) fn random_hex(n: usize) -> String {
    let mut b = vec![0u8; n];
    rand::thread_rng().fill_bytes(&mut b);
    hex::encode(b)
}

/// A new appeal reference (`AP-` and ten letters).
fn new_reference() -> String {
    new_case_reference("AP")
}

/// A new case reference: `prefix`, a dash and ten Crockford-style letters without look-alikes,
/// as receipt references use.
pub(crate) fn new_case_reference(prefix: &str) -> String {
    const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let mut b = [0u8; 10];
    rand::thread_rng().fill_bytes(&mut b);
    let code: String = b.iter().map(|x| char::from(ALPHABET[usize::from(x % 32)])).collect();
    format!("{prefix}-{code}")
}

pub(crate) fn text_field(field: &str, value: &str, required: bool) -> Result<String, Error> {
    let v = value.trim();
    if required && v.is_empty() {
        return Err(Error::bad(field, "must not be empty"));
    }
    if v.chars().count() > MAX_TEXT {
        return Err(Error::bad(field, format!("at most {MAX_TEXT} characters")));
    }
    if let Some((at, c)) = mizan_register::forbidden_char(v) {
        return Err(Error::bad(
            field,
            format!("has a control character (U+{:04X}) at position {at}", u32::from(c)),
        ));
    }
    Ok(v.to_owned())
}

/// A public summary as given for a move on `case`: `None` when empty; refused when the filer
/// did not consent, when it is too long, or when it holds a CNIC number, a phone number or an
/// e-mail address.
fn summary_field(case: &StoredCase, given: Option<&str>) -> Result<Option<String>, Error> {
    let v = given.map(str::trim).unwrap_or_default();
    if v.is_empty() {
        return Ok(None);
    }
    if !case.publish_consent {
        return Err(Error::bad(
            "summary",
            "the person did not consent to publishing a summary of this appeal; leave it empty",
        ));
    }
    if v.chars().count() > MAX_SUMMARY {
        return Err(Error::bad("summary", format!("at most {MAX_SUMMARY} characters")));
    }
    let v = text_field("summary", v, false)?;
    if let Some(found) = crate::pii::find(&v, &[]) {
        return Err(Error::bad(
            "summary",
            format!("holds {found}; a public summary must not identify or reach anyone, so leave it out"),
        ));
    }
    Ok(Some(v))
}

/// Checks a reviewer's new output for a decision before it is recorded or logged: a label of at
/// most [`MAX_OUTPUT`] characters, a number or yes/no.
///
/// # Errors
/// [`Error::BadRequest`] on `new_output`.
pub(crate) fn check_output(v: &Value) -> Result<(), Error> {
    if !matches!(v, Value::String(_) | Value::Number(_) | Value::Bool(_)) {
        return Err(Error::bad("new_output", "must be a label, a number or yes/no"));
    }
    if v.as_str().is_some_and(|o| o.chars().count() > MAX_OUTPUT) {
        return Err(Error::bad("new_output", format!("at most {MAX_OUTPUT} characters")));
    }
    Ok(())
}

/// The proposal a `confirm` confirms (the latest `propose` of `c`), after checking that
/// `user`, who confirms, is not the person who proposed (EU AI Act Art. 14(5)).
///
/// # Errors
/// [`Error::Refused`] when the same person confirms; [`Error::Internal`] without a proposal.
pub(crate) fn proposal<'a>(
    c: &'a Case,
    entries: &[StoredEntry],
    user: Option<i64>,
) -> Result<&'a Entry, Error> {
    let at = c.history.iter().rposition(|e| e.kind == EntryKind::Move { name: "propose".into() });
    let by = at.and_then(|i| entries.get(i)).and_then(|e| e.actor_user);
    if by.is_some() && by == user {
        return Err(Error::Refused(
            "a second, different reviewer must confirm this outcome (EU AI Act Art. 14(5))".into(),
        ));
    }
    at.and_then(|i| c.history.get(i)).ok_or_else(|| Error::Internal("no proposal to confirm".into()))
}

/// Applies move `m` of type `t` to `c`, the engine's refusals as the platform's errors: a
/// missing field names it, a move the role may not make is refused, any other is a conflict.
///
/// # Errors
/// As above.
pub(crate) fn apply_move(t: &CaseType, c: &mut Case, m: &Move) -> Result<(), Error> {
    c.apply(t, m).map(drop).map_err(|e| match e {
        mizan_cases::CaseError::MissingField { field, .. } => Error::bad(field, "must not be empty"),
        mizan_cases::CaseError::NotAllowed { .. } => Error::Refused(e.to_string()),
        other => Error::Conflict(other.to_string()),
    })
}

/// The projection of `case` for the `cases` row.
pub(crate) fn projection(t: &CaseType, case: &Case, old: Option<&CaseProjection>) -> CaseProjection {
    let mut p = old.cloned().unwrap_or_default();
    p.state.clone_from(&case.state);
    p.late = case.late;
    let terminal = t.state(&case.state).is_some_and(|s| s.terminal);
    p.is_open = !terminal;
    p.entered_at = mizan_store::format_time(case.entered_at);
    p.next_due_at = case.due(t).first().map(|(at, _)| mizan_store::format_time(*at));
    for e in &case.history {
        if let EntryKind::Move { name } = &e.kind {
            match name.as_str() {
                "decide" | "confirm" | "review" => {
                    if p.decided_at.is_none() {
                        p.decided_at = Some(mizan_store::format_time(e.at));
                    }
                    p.outcome = e.fields.get("outcome").cloned();
                }
                "order_reversal" => p.outcome = Some("reversed".into()),
                // An access request's decision (`data-access`).
                "approve" | "refuse" => {
                    p.decided_at = Some(mizan_store::format_time(e.at));
                    p.outcome = Some(if name == "approve" { "approved" } else { "refused" }.into());
                }
                "dispute" | "escalate_overdue" => p.escalated = true,
                _ => {}
            }
            if SUMMARY_MOVES.contains(&name.as_str())
                && let Some(summary) = e.fields.get("summary")
            {
                p.public_summary = Some(summary.clone());
            }
        }
    }
    if terminal && p.closed_at.is_none() {
        p.closed_at = Some(mizan_store::format_time(case.entered_at));
    }
    p
}

/// The row of a checked document.
fn new_document(d: &CheckedDocument) -> NewDocument {
    NewDocument {
        sha256: d.sha256.clone(),
        size_bytes: i64::try_from(d.bytes.len()).unwrap_or(i64::MAX),
        media_type: d.media_type.to_owned(),
        file_name: d.file_name.clone(),
    }
}

/// The role label an entry is filed under in the public events trail.
fn trail_actor(e: &Entry) -> String {
    e.actor.clone()
}

impl Platform {
    /// The platform's calendar time: the machine's, moved by a test's clock.
    #[must_use]
    pub fn now(&self) -> OffsetDateTime {
        self.epoch.0 + (self.config.clock.now().saturating_sub(self.epoch.1))
    }

    pub(crate) fn entries_for(
        key: &str,
        start: usize,
        case: &Case,
        user: Option<i64>,
    ) -> Result<Vec<NewEntry>, Error> {
        case.history
            .iter()
            .enumerate()
            .skip(start)
            .map(|(seq, e)| {
                let entry_json = serde_json::to_string(e).map_err(|e| Error::Internal(e.to_string()))?;
                Ok(NewEntry {
                    seq: i64::try_from(seq).unwrap_or(i64::MAX),
                    commitment: commit(key, &entry_json)?,
                    entry_json,
                    // Deadlines are the engine's; the person made only their own move.
                    actor_user: if e.actor == mizan_cases::SYSTEM { None } else { user },
                    actor_name: trail_actor(e),
                    from: e.from.clone(),
                    to: e.to.clone(),
                    at: mizan_store::format_time(e.at),
                })
            })
            .collect()
    }

    /// Files an appeal against the decision whose receipt reference is `receipt`.
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown receipt; [`Error::BadRequest`] naming the field;
    /// [`Error::Conflict`] when an appeal on it is open, the decision was erased, or the
    /// appeal window has passed.
    pub async fn file_appeal(&self, receipt: &str, a: AppealIn) -> Result<Filed, Error> {
        let t = CaseType::appeal();
        let d = self.store().decision(receipt.trim()).await?;
        let grounds = text_field("grounds", &a.grounds, true)?;
        if !GROUNDS.contains(&a.category.as_str()) {
            return Err(Error::bad("category", format!("must be one of {}", GROUNDS.join(", "))));
        }
        let lang = if a.lang == "ur" { "ur" } else { "en" }.to_owned();
        let document = match a.document {
            Some(doc) => {
                Some(crate::documents::check("document", doc, self.config.limits.appeal_document_bytes)?)
            }
            None => None,
        };
        // Checked as the notifier checks them, so an address accepted here is one it can use.
        let email = match a.email.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
            Some(e) => Some(
                mizan_notify::EmailAddress::parse(e)
                    .map_err(|err| Error::bad("email", err.to_string()))?
                    .as_str()
                    .to_owned(),
            ),
            None => None,
        };
        let phone = match a.phone.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
            Some(p) => Some(
                mizan_notify::PhoneNumber::parse(p)
                    .map_err(|err| Error::bad("phone", err.to_string()))?
                    .as_str()
                    .to_owned(),
            ),
            None => None,
        };
        let record = d.record_json.as_deref().ok_or_else(|| {
            Error::Conflict("this decision's record was erased; it can no longer be appealed".into())
        })?;
        let features: Vec<String> = serde_json::from_str::<Value>(record)
            .ok()
            .and_then(|v| v.get("features")?.as_object().map(|m| m.keys().cloned().collect()))
            .unwrap_or_default();
        // Bounded before the loop: each factor at most once.
        if a.disputed.len() > features.len() {
            return Err(Error::bad(
                "disputed",
                format!("{} factors named; this decision has {}", a.disputed.len(), features.len()),
            ));
        }
        let mut disputed = Vec::new();
        for (i, f) in a.disputed.iter().enumerate() {
            if !features.contains(f) {
                return Err(Error::bad(
                    format!("disputed[{i}]"),
                    format!("`{f}` is not a factor of this decision"),
                ));
            }
            if !disputed.contains(f) {
                disputed.push(f.clone());
            }
        }
        let (window, _) = self.store().appeal_settings(&d.system).await?;
        let now = self.now();
        let decided = OffsetDateTime::parse(&d.decided_at, &time::format_description::well_known::Rfc3339)
            .map_err(|e| Error::Internal(format!("stored decision time: {e}")))?;
        if now > decided + time::Duration::days(window) {
            return Err(Error::Conflict(format!(
                "decisions of this system may be appealed within {window} days; this one was made on {}",
                &d.decided_at[..10]
            )));
        }
        if d.held.is_some() && self.store().superseded_by(&d.reference).await?.is_none() {
            return Err(Error::Conflict(
                "a person is already reviewing this decision before it takes effect; you can appeal the final decision once it is made".into(),
            ));
        }
        if let Some(open) = self.store().open_case_about(APPEAL, &d.reference).await? {
            return Err(Error::Conflict(format!(
                "an appeal on this decision is already open ({open}); follow it with its status link"
            )));
        }
        let target = self.store().appeal_target(&d.reference).await?;
        let mut fields =
            BTreeMap::from([("grounds".to_owned(), grounds), ("category".to_owned(), a.category.clone())]);
        if !disputed.is_empty() {
            fields.insert("disputed".to_owned(), disputed.join(", "));
        }
        if let Some(doc) = &document {
            fields.insert(DOCUMENT_FIELD.to_owned(), doc.sha256.clone());
        }
        let case = Case::open(t, roles::APPELLANT, fields, now);
        let key = random_hex(32);
        let token = random_hex(24);
        let new = NewCase {
            reference: new_reference(),
            case_type: t.name.clone(),
            type_version: i64::from(t.version),
            org_id: target.org_id,
            system_id: Some(target.system_id),
            system_version: d.system_version,
            subject: d.reference.clone(),
            token_hash: mizan_store::sha256_hex(token.as_bytes()),
            entry_key: key.clone(),
            lang,
            contact_email: email,
            contact_phone: phone,
            publish_consent: a.consent,
            grounds_category: a.category,
            document: document.as_ref().map(new_document),
        };
        let entries = Self::entries_for(&key, 0, &case, None)?;
        self.open_with_document(&new, &entries, &projection(t, &case, None), document).await?;
        if let Ok((stored, _)) = self.store().case_by_reference(&new.reference).await {
            self.tell(&stored, "filed", Some(&token));
        }
        Ok(Filed { reference: new.reference, token })
    }

    /// Opens a case, first writing its document's file (when it has one) so the row never
    /// names a file that is not there; when the case cannot be stored, the file goes again
    /// unless another case's row names the same bytes.
    async fn open_with_document(
        &self,
        new: &NewCase,
        entries: &[NewEntry],
        p: &CaseProjection,
        doc: Option<CheckedDocument>,
    ) -> Result<(), Error> {
        let Some(doc) = doc else {
            // Filed with others arriving at the same moment, in one transaction.
            self.case_writer.open(new.clone(), entries.to_vec(), p.clone()).await?;
            return Ok(());
        };
        let _held = self.document_lock.lock().await;
        let files = std::sync::Arc::clone(&self.documents);
        let sha256 = doc.sha256.clone();
        let bytes = doc.bytes.clone();
        tokio::task::spawn_blocking(move || files.put(&sha256, &bytes))
            .await
            .map_err(|e| Error::Internal(format!("document write: {e}")))??;
        match self.store().open_case(new, entries, p).await {
            Ok(_) => Ok(()),
            Err(e) => {
                // Kept when the question cannot be answered: an orphan file is harmless, a
                // row without its file is not.
                if !self.store().document_in_use(&doc.sha256).await.unwrap_or(true) {
                    let files = std::sync::Arc::clone(&self.documents);
                    let sha256 = doc.sha256.clone();
                    let removed = tokio::task::spawn_blocking(move || files.remove(&sha256))
                        .await
                        .map_err(|e| Error::Internal(format!("document removal: {e}")))
                        .and_then(|r| r);
                    if let Err(err) = removed {
                        tracing::warn!(error = %err, "appeals: cannot remove an unused document");
                    }
                }
                Err(e.into())
            }
        }
    }

    /// Deletes the document files `hashes` that no case's row names any more (after an
    /// erasure removed the rows).
    pub(crate) async fn drop_documents(&self, hashes: Vec<String>) -> Result<(), Error> {
        if hashes.is_empty() {
            return Ok(());
        }
        let _held = self.document_lock.lock().await;
        for h in hashes {
            if self.store().document_in_use(&h).await? {
                continue;
            }
            let files = std::sync::Arc::clone(&self.documents);
            tokio::task::spawn_blocking(move || files.remove(&h))
                .await
                .map_err(|e| Error::Internal(format!("document removal: {e}")))??;
        }
        Ok(())
    }

    /// A document of an appeal, with its bytes (checked against its hash), for someone who may
    /// see the appeal: the filer by the secret, the provider's staff, the regulator.
    ///
    /// # Errors
    /// [`Error::NotFound`] when the actor may not see the appeal or it has no such document.
    pub async fn appeal_document(
        &self,
        reference: &str,
        actor: &Actor<'_>,
        sha256: &str,
    ) -> Result<(StoredDocument, Vec<u8>), Error> {
        let (case, _, _) = self.load(reference, actor).await?;
        let doc = self
            .store()
            .case_documents(case.id)
            .await?
            .into_iter()
            .find(|d| d.sha256 == sha256)
            .ok_or_else(|| Error::NotFound(format!("document `{sha256}` of appeal `{reference}`")))?;
        let files = std::sync::Arc::clone(&self.documents);
        let hash = doc.sha256.clone();
        let bytes = tokio::task::spawn_blocking(move || files.get(&hash))
            .await
            .map_err(|e| Error::Internal(format!("document read: {e}")))??;
        Ok((doc, bytes))
    }

    /// Loads a case for `actor`: the filer by the secret, a provider's staff in their own
    /// organisation, the regulator anywhere; anyone else gets [`Error::NotFound`].
    async fn load(
        &self,
        reference: &str,
        actor: &Actor<'_>,
    ) -> Result<(StoredCase, Vec<StoredEntry>, String), Error> {
        let not_found = || Error::NotFound(format!("appeal `{reference}`"));
        let (case, entries) = match self.store().case_by_reference(reference).await {
            Ok(c) => c,
            Err(mizan_store::StoreError::NotFound { .. }) => return Err(not_found()),
            Err(e) => return Err(e.into()),
        };
        if case.case_type != APPEAL {
            return Err(not_found());
        }
        let role = match actor {
            Actor::Filer(token) => {
                let given = mizan_store::sha256_hex(token.as_bytes());
                if case.token_hash.is_empty() || !constant_eq(&given, &case.token_hash) {
                    return Err(not_found());
                }
                roles::APPELLANT
            }
            Actor::Staff(p) => {
                if mizan_store::RegulatorScope::of(p).is_some() && p.can("appeals:read") {
                    roles::REGULATOR
                } else if p.org.id == case.org_id && p.can("appeals:read") {
                    roles::PROVIDER_REVIEWER
                } else {
                    return Err(not_found());
                }
            }
        };
        Ok((case, entries, role.to_owned()))
    }

    pub(crate) fn replay(case: &StoredCase, entries: &[StoredEntry]) -> Result<Option<Case>, Error> {
        let history: Option<Vec<Entry>> = entries
            .iter()
            .map(|e| e.entry_json.as_deref().and_then(|j| serde_json::from_str(j).ok()))
            .collect();
        let t = CaseType::named(&case.case_type)
            .ok_or_else(|| Error::Internal(format!("case `{}` has an unknown type", case.reference)))?;
        match history {
            Some(h) => Case::replay(t, &h)
                .map(Some)
                .map_err(|e| Error::Internal(format!("case `{}`: {e}", case.reference))),
            None => Ok(None),
        }
    }

    /// Fires the deadlines of `reference` due by now and stores what they did. Returns the
    /// number of entries added.
    ///
    /// # Errors
    /// Store errors; [`Error::Conflict`] when another writer moved the case meanwhile.
    pub async fn tick_appeal(&self, reference: &str) -> Result<usize, Error> {
        let (case, entries) = self.store().case_by_reference(reference).await?;
        let t = CaseType::named(&case.case_type)
            .ok_or_else(|| Error::Internal(format!("case `{reference}` has an unknown type")))?;
        let (Some(mut c), Some(key)) = (Self::replay(&case, &entries)?, case.entry_key.clone()) else {
            return Ok(0);
        };
        let start = c.history.len();
        let added = c.tick(t, self.now());
        if added.is_empty() {
            return Ok(0);
        }
        let new = Self::entries_for(&key, start, &c, None)?;
        let version = self.case_version(&case, &c).await?;
        self.store()
            .append_case(None, &case, version, &new, &projection(t, &c, Some(&case.projection)))
            .await?;
        if added.iter().any(|e| e.kind == EntryKind::Move { name: "escalate_overdue".into() }) {
            self.tell(&case, "escalated", None);
        }
        Ok(added.len())
    }

    /// The version a case's events are filed under: the system version of the decision it is
    /// about, or for a case about something else the version its opening entry names.
    async fn case_version(&self, case: &StoredCase, c: &Case) -> Result<i64, Error> {
        if case.system.is_none() {
            return Ok(c
                .history
                .first()
                .and_then(|e| e.fields.get("version"))
                .and_then(|v| v.parse().ok())
                .unwrap_or(0));
        }
        Ok(self.store().decision(&case.subject).await?.system_version)
    }

    /// Fires every deadline due by now, across all appeals (a case that fails is logged and
    /// skipped). Returns the entries added.
    ///
    /// # Errors
    /// Store errors listing the due cases.
    pub async fn tick_appeals(&self) -> Result<usize, Error> {
        let due = self.store().cases_due(&mizan_store::format_time(self.now()), 1000).await?;
        let mut n = 0;
        for r in due {
            match self.tick_appeal(&r).await {
                Ok(k) => n += k,
                // Moved meanwhile: the next pass sees it.
                Err(Error::Conflict(_)) => {}
                // One case that cannot move must not hold up every other case's deadlines.
                Err(e) => tracing::error!(error = %e, case = %r, "appeals: cannot fire a deadline"),
            }
        }
        Ok(n)
    }

    /// An appeal as `actor` may see it, after firing its due deadlines.
    ///
    /// # Errors
    /// [`Error::NotFound`] when the actor may not see it (or it does not exist).
    pub async fn appeal(&self, reference: &str, actor: &Actor<'_>) -> Result<AppealView, Error> {
        let mut loaded = self.load(reference, actor).await?;
        // A deadline due by now fires before anyone sees the case; otherwise one read serves.
        let now = mizan_store::format_time(self.now());
        if loaded.0.projection.next_due_at.as_deref().is_some_and(|due| due <= now.as_str()) {
            match self.tick_appeal(reference).await {
                Ok(_) | Err(Error::Conflict(_)) => {}
                Err(e) => return Err(e),
            }
            loaded = self.load(reference, actor).await?;
        }
        let (case, entries, role) = loaded;
        let t = CaseType::appeal();
        let replayed = Self::replay(&case, &entries)?;
        let next_due = replayed.as_ref().and_then(|c| c.due(t).first().map(|(at, _)| *at));
        let mut moves: Vec<String> =
            t.moves_for(&case.projection.state, &role).iter().map(|m| m.name.clone()).collect();
        let needs_two = self.reviewers_required(case.system.as_deref().unwrap_or_default()).await? >= 2;
        if role == roles::PROVIDER_REVIEWER {
            let can_decide = matches!(actor, Actor::Staff(p) if p.can("appeals:decide"));
            moves.retain(|m| {
                can_decide && if needs_two { m != "decide" } else { m != "propose" && m != "confirm" }
            });
        }
        if role == roles::REGULATOR && !matches!(actor, Actor::Staff(p) if p.can("appeals:regulate")) {
            moves.clear();
        }
        let views = entries
            .iter()
            .map(|e| EntryView {
                seq: e.seq,
                entry: e.entry_json.as_deref().and_then(|j| serde_json::from_str(j).ok()),
                commitment: e.commitment.clone(),
                intact: match (&e.entry_json, &case.entry_key) {
                    (Some(j), Some(k)) => Some(commit(k, j).is_ok_and(|c| c == e.commitment)),
                    _ => None,
                },
                event_id: e.event_id,
            })
            .collect();
        let superseded_by = self.store().superseded_by(&case.subject).await?;
        let entry_key = if role == roles::APPELLANT { case.entry_key.clone() } else { None };
        let documents = self.store().case_documents(case.id).await?;
        Ok(AppealView { case, entries: views, next_due, moves, superseded_by, entry_key, documents })
    }

    /// Makes move `name` on an appeal for `actor`, with `fields`; the outcome of a decision
    /// that changes the original logs the superseding decision first.
    ///
    /// # Errors
    /// [`Error::NotFound`] when the actor may not see it; [`Error::Refused`] when the actor
    /// may not make the move (the engine's answer, in words); [`Error::BadRequest`] for a bad
    /// field; [`Error::Conflict`] for a move not allowed from the case's state.
    pub async fn move_appeal(
        &self,
        reference: &str,
        actor: &Actor<'_>,
        name: &str,
        input: OutcomeIn,
    ) -> Result<AppealView, Error> {
        let view = self.appeal(reference, actor).await?;
        if !view.moves.iter().any(|m| m == name) {
            return Err(Error::Conflict(format!(
                "`{name}` is not open to you on this appeal now (it is {}{})",
                view.case.projection.state,
                if view.moves.is_empty() {
                    String::new()
                } else {
                    format!("; you may: {}", view.moves.join(", "))
                }
            )));
        }
        let (case, entries, role) = self.load(reference, actor).await?;
        let t = CaseType::appeal();
        let (Some(mut c), Some(key)) = (Self::replay(&case, &entries)?, case.entry_key.clone()) else {
            return Err(Error::Conflict("this appeal's record was erased".into()));
        };
        let user = match actor {
            Actor::Staff(p) => p.user.as_ref().map(|u| u.id),
            Actor::Filer(_) => None,
        };
        let mut fields = BTreeMap::new();
        let reasons = text_field("reasons", &input.reasons, false)?;
        if !reasons.is_empty() {
            fields.insert("reasons".to_owned(), reasons);
        }
        match summary_field(&case, input.summary.as_deref())? {
            Some(summary) if SUMMARY_MOVES.contains(&name) => {
                fields.insert("summary".to_owned(), summary);
            }
            Some(_) => {
                return Err(Error::bad("summary", "a public summary goes with a decision or a settlement"));
            }
            None => {}
        }
        match name {
            "decide" | "propose" | "confirm" => {
                let outcome = if name == "confirm" {
                    // The second reviewer confirms the first one's outcome, and must be someone else.
                    let p = proposal(&c, &entries, user)?;
                    if !fields.contains_key("reasons") {
                        fields.insert(
                            "reasons".to_owned(),
                            p.fields.get("reasons").cloned().unwrap_or_default(),
                        );
                    }
                    if !fields.contains_key("summary")
                        && let Some(summary) = p.fields.get("summary")
                    {
                        fields.insert("summary".to_owned(), summary.clone());
                    }
                    p.fields.get("outcome").cloned().unwrap_or_default()
                } else {
                    input.outcome.clone()
                };
                if !OUTCOMES.contains(&outcome.as_str()) {
                    return Err(Error::bad("outcome", format!("must be one of {}", OUTCOMES.join(", "))));
                }
                fields.insert("outcome".to_owned(), outcome.clone());
                if outcome != "upheld" {
                    let new_output = match (&input.new_output, name) {
                        (Some(v), _) => Some(v.clone()),
                        (None, "confirm") => c
                            .history
                            .iter()
                            .rev()
                            .find_map(|e| e.fields.get("new_output"))
                            .and_then(|s| serde_json::from_str(s).ok()),
                        (None, _) => None,
                    };
                    let v = new_output.ok_or_else(|| {
                        Error::bad(
                            "new_output",
                            "say what the decision becomes when it is reversed or modified",
                        )
                    })?;
                    check_output(&v)?;
                    fields.insert("new_output".to_owned(), v.to_string());
                    if name != "propose" {
                        let new = self.supersede(&case, &v, roles::PROVIDER_REVIEWER).await?;
                        fields.insert("new_decision".to_owned(), new);
                    }
                }
            }
            "order_reversal" => {
                let v = input
                    .new_output
                    .clone()
                    .ok_or_else(|| Error::bad("new_output", "say what the decision becomes"))?;
                check_output(&v)?;
                fields.insert("new_output".to_owned(), v.to_string());
                let new = self.supersede(&case, &v, roles::REGULATOR).await?;
                fields.insert("new_decision".to_owned(), new);
            }
            "dispute" => {
                fields.insert("grounds".to_owned(), text_field("grounds", &input.reasons, true)?);
                fields.remove("reasons");
            }
            _ => {}
        }
        let start = c.history.len();
        let m = Move { name: name.to_owned(), role: role.clone(), fields, at: self.now() };
        apply_move(t, &mut c, &m)?;
        let new = Self::entries_for(&key, start, &c, user)?;
        let scope = match actor {
            Actor::Staff(p) if role == roles::PROVIDER_REVIEWER => Some(p.scope()),
            _ => None,
        };
        let version = self.case_version(&case, &c).await?;
        self.store()
            .append_case(scope, &case, version, &new, &projection(t, &c, Some(&case.projection)))
            .await?;
        if let Some(event) = event_of(name) {
            self.tell(&case, event, None);
        }
        self.appeal(reference, actor).await
    }

    /// Logs the decision that replaces the one `case` is about (an appeal's or a held
    /// decision's review): the original's inputs and model, the new output, decided by a person
    /// now.
    pub(crate) async fn supersede(
        &self,
        case: &StoredCase,
        output: &Value,
        by: &str,
    ) -> Result<String, Error> {
        let at = self.now().min(OffsetDateTime::now_utc());
        self.supersede_at(case.org_id, &case.subject, (&case.case_type, &case.reference), output, by, at)
            .await
    }

    /// Logs the decision that replaces `subject` after case `(case_type, reference)`
    /// (idempotently, keyed by the case): the original's inputs and model, the new `output`,
    /// decided by a person at `at`. Returns the new decision's reference.
    pub(crate) async fn supersede_at(
        &self,
        org_id: i64,
        subject: &str,
        (case_type, appeal): (&str, &str),
        output: &Value,
        by: &str,
        at: OffsetDateTime,
    ) -> Result<String, Error> {
        check_output(output)?;
        let d = self.store().decision(subject).await?;
        let record: Value = d
            .record_json
            .as_deref()
            .and_then(|r| serde_json::from_str(r).ok())
            .ok_or_else(|| Error::Conflict("the appealed decision's record was erased".into()))?;
        let when =
            mizan_formats::decision::format_decided_at(at).map_err(|e| Error::Internal(e.to_string()))?;
        // The key and the words the new record gives: a review of a held decision, or an appeal.
        let (key, what) =
            if case_type == crate::held::OVERSIGHT { ("oversight", "review") } else { (APPEAL, "appeal") };
        let item = serde_json::json!({
            "idempotency_key": format!("{key}:{appeal}"),
            "system_version": d.system_version,
            "model_hash": record.get("model_hash").cloned().unwrap_or(Value::Null),
            "features": record.get("features").cloned().unwrap_or(Value::Null),
            "output": output,
            "score": record.get("score").cloned().unwrap_or(Value::Null),
            "human": { "involved": true, "by": format!("{by} ({what} {appeal})") },
            "decided_at": when,
            "subject_ref": record.get("subject_ref").cloned().unwrap_or(Value::Null),
            "supersedes": d.reference,
        });
        let (receipts, _) = self.log_decisions(OrgScope::new(org_id), &d.system, vec![item]).await?;
        receipts.into_iter().next().map(|r| r.reference).ok_or_else(|| Error::Internal("no receipt".into()))
    }

    /// Open appeals awaiting `p`'s organisation (or, for the regulator, escalated ones),
    /// earliest deadline first.
    ///
    /// # Errors
    /// [`Error::Refused`] without `appeals:read`.
    pub async fn appeal_queue(
        &self,
        p: &Principal,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<StoredCase>, Error> {
        if !p.can("appeals:read") {
            return Err(Error::Refused("you may not read appeals".into()));
        }
        if mizan_store::RegulatorScope::of(p).is_some() {
            return Ok(self
                .store()
                .case_queue(None, APPEAL, &["escalated"], QueueFilter::Open, limit, offset)
                .await?);
        }
        Ok(self
            .store()
            .case_queue(
                Some(p.scope()),
                APPEAL,
                &["filed", "rereview", "confirming"],
                QueueFilter::Open,
                limit,
                offset,
            )
            .await?)
    }

    /// Every appeal `p` may see, newest first (the regulator: all; a provider: its own).
    ///
    /// # Errors
    /// [`Error::Refused`] without `appeals:read`.
    pub async fn all_appeals(
        &self,
        p: &Principal,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<StoredCase>, Error> {
        if !p.can("appeals:read") {
            return Err(Error::Refused("you may not read appeals".into()));
        }
        let scope = if mizan_store::RegulatorScope::of(p).is_some() { None } else { Some(p.scope()) };
        Ok(self.store().case_queue(scope, APPEAL, &[], QueueFilter::All, limit, offset).await?)
    }

    /// Open appeals marked late: every organisation's for the regulator, else `p`'s own.
    ///
    /// # Errors
    /// [`Error::Refused`] without `appeals:read`.
    pub async fn late_appeals(
        &self,
        p: &Principal,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<StoredCase>, Error> {
        if !p.can("appeals:read") {
            return Err(Error::Refused("you may not read appeals".into()));
        }
        let scope = if mizan_store::RegulatorScope::of(p).is_some() { None } else { Some(p.scope()) };
        Ok(self.store().case_queue(scope, APPEAL, &[], QueueFilter::Late, limit, offset).await?)
    }

    /// Public appeal figures of every system with appeals, by public id, in one pass over the
    /// cases (the bulk register downloads).
    ///
    /// # Errors
    /// Store errors.
    pub async fn appeal_figures_by_system(
        &self,
    ) -> Result<std::collections::HashMap<String, mizan_store::CaseStats>, Error> {
        Ok(self.store().case_stats_by_system(APPEAL, 15).await?)
    }

    /// Public appeal figures of all of one organisation's systems.
    ///
    /// # Errors
    /// Store errors.
    pub async fn provider_appeal_stats(&self, org_id: i64) -> Result<mizan_store::CaseStats, Error> {
        Ok(self.store().case_stats(APPEAL, None, Some(org_id), 15).await?)
    }

    /// How many different reviewers must agree on an appeal's outcome, or on a held decision,
    /// for system `system`: the system's setting (`systems.appeal_reviewers`), and at least two
    /// when the classification of the version on the register says it is remote biometric
    /// identification (EU AI Act Annex III point 1(a): "no action or decision is taken ... unless
    /// that identification has been separately verified and confirmed by at least two natural
    /// persons", Art. 14(5)).
    ///
    /// # Errors
    /// Store errors.
    pub async fn reviewers_required(&self, system: &str) -> Result<i64, Error> {
        let (_, set) = self.store().appeal_settings(system).await?;
        let version = match self.store().public_entry(system).await {
            Ok(e) => e.version,
            Err(mizan_store::StoreError::NotFound { .. }) => return Ok(set),
            Err(e) => return Err(e.into()),
        };
        let rbi = self.store().classification(None, system, version).await?.is_some_and(|c| {
            c.result["path"].as_array().is_some_and(|path| {
                path.iter().any(|s| s["question"] == "annex_iii_1a" && s["answer"] == "remote_identification")
            })
        });
        Ok(if rbi { set.max(2) } else { set })
    }

    /// Public appeal figures of a system.
    ///
    /// # Errors
    /// Store errors.
    pub async fn appeal_stats(&self, system: &str) -> Result<mizan_store::CaseStats, Error> {
        Ok(self.store().case_stats(APPEAL, Some(system), None, 15).await?)
    }

    /// Every system with appeals, with its figures and whether its latest public bias audit
    /// fails a preset (`None`: no audit with verdicts): the regulator's and the ethics board's
    /// view of where automated decisions go wrong. Most reversed or changed first.
    ///
    /// # Errors
    /// Store errors.
    pub async fn appeal_overview(&self) -> Result<Vec<SystemAppeals>, Error> {
        let mut out = Vec::new();
        // Every system's figures in one pass over the cases, not one query per system.
        let mut all = self.store().case_stats_by_system(APPEAL, 15).await?;
        for (system, org_name, name_en, name_ur) in self.store().systems_with_cases(APPEAL).await? {
            let stats = all.remove(&system).unwrap_or_default();
            let audit_fails = self.audit_fails(&system).await?;
            out.push(SystemAppeals { system, org_name, name_en, name_ur, stats, audit_fails });
        }
        #[allow(clippy::cast_precision_loss)]
        let rate = |s: &mizan_store::CaseStats| {
            if s.decided == 0 { 0.0 } else { s.changed as f64 / s.decided as f64 }
        };
        out.sort_by(|a, b| rate(&b.stats).total_cmp(&rate(&a.stats)).then_with(|| a.system.cmp(&b.system)));
        Ok(out)
    }

    /// Whether the latest published audit of any standard of `system` fails a verdict of that
    /// standard; `None` when no published audit has verdicts.
    ///
    /// # Errors
    /// Store errors.
    pub async fn audit_fails(&self, system: &str) -> Result<Option<bool>, Error> {
        let published = self.published_audits(system).await?;
        let latest = crate::audits::latest_per_standard(&published);
        let judged: Vec<_> = latest.iter().filter(|a| !a.summary.verdicts.is_empty()).collect();
        Ok((!judged.is_empty()).then(|| judged.iter().any(|a| a.summary.fails())))
    }

    /// Fires due deadlines every minute until the server stops.
    pub async fn follow_deadlines(self) {
        loop {
            if let Err(e) = self.tick_appeals().await {
                tracing::warn!(error = %e, "appeals: cannot fire deadlines yet");
            }
            match self.reconcile_reviews().await {
                Ok(0) => {}
                Ok(n) => tracing::info!(opened = n, "oversight: opened review cases of held decisions"),
                Err(e) => tracing::warn!(error = %e, "oversight: cannot open review cases yet"),
            }
            tokio::time::sleep(std::time::Duration::from_secs(60)).await;
        }
    }
}

/// What a person is told, by event and language: (subject, body). `{reference}`, `{system}`
/// and `{link}` are filled in.
fn message_text(event: &str, lang: &str) -> (&'static str, &'static str) {
    match (event, lang == "ur") {
        ("filed", false) => (
            "Your appeal {reference} was received",
            "We received your appeal {reference} against a decision of {system}.\n\nThe organisation must decide within 15 days; if it does not, your appeal goes to the regulator.\n\nFollow your appeal with your private link (anyone with it can see your appeal):\n{link}",
        ),
        ("filed", true) => (
            "آپ کی اپیل {reference} موصول ہو گئی",
            "ہمیں {system} کے ایک فیصلے کے خلاف آپ کی اپیل {reference} موصول ہو گئی ہے۔\n\nادارے کو 15 دن کے اندر فیصلہ کرنا ہے؛ اگر ایسا نہ ہوا تو آپ کی اپیل ریگولیٹر کے پاس جائے گی۔\n\nاپنی اپیل اپنے نجی لنک سے دیکھیں (جس کے پاس یہ لنک ہو وہ اپیل دیکھ سکتا ہے):\n{link}",
        ),
        ("decided", false) => (
            "Your appeal {reference} was decided",
            "The organisation decided your appeal {reference}. Open your private link to read the outcome and the reasons. If you disagree, you can take it to the regulator within 30 days.",
        ),
        ("decided", true) => (
            "آپ کی اپیل {reference} کا فیصلہ ہو گیا",
            "ادارے نے آپ کی اپیل {reference} کا فیصلہ کر دیا ہے۔ نتیجہ اور وجوہات پڑھنے کے لیے اپنا نجی لنک کھولیں۔ اگر آپ متفق نہیں تو 30 دن کے اندر اسے ریگولیٹر کے پاس لے جا سکتے ہیں۔",
        ),
        ("escalated", false) => (
            "Your appeal {reference} is now before the regulator",
            "Your appeal {reference} is now before the regulator, who can uphold the decision, order it reversed or send it back for a new review. Open your private link to follow it.",
        ),
        ("escalated", true) => (
            "آپ کی اپیل {reference} اب ریگولیٹر کے سامنے ہے",
            "آپ کی اپیل {reference} اب ریگولیٹر کے سامنے ہے، جو فیصلہ برقرار رکھ سکتا ہے، اسے واپس لینے کا حکم دے سکتا ہے یا نئی نظرِ ثانی کے لیے واپس بھیج سکتا ہے۔ اسے دیکھنے کے لیے اپنا نجی لنک کھولیں۔",
        ),
        (_, false) => (
            "The regulator decided on your appeal {reference}",
            "The regulator decided on your appeal {reference}. Open your private link to read what was decided and why.",
        ),
        (_, true) => (
            "ریگولیٹر نے آپ کی اپیل {reference} پر فیصلہ کیا",
            "ریگولیٹر نے آپ کی اپیل {reference} پر فیصلہ کر دیا ہے۔ کیا فیصلہ ہوا اور کیوں، یہ پڑھنے کے لیے اپنا نجی لنک کھولیں۔",
        ),
    }
}

/// Which message a move sends, if any.
fn event_of(m: &str) -> Option<&'static str> {
    match m {
        "decide" | "confirm" => Some("decided"),
        "dispute" | "escalate_overdue" => Some("escalated"),
        "uphold" | "order_reversal" | "direct_rereview" => Some("regulator"),
        _ => None,
    }
}

impl Platform {
    /// Tells the person who filed `case` of `event` by every address they left, in their
    /// language, in the background: a slow mail server never holds up the request. Failures
    /// are logged.
    fn tell(&self, case: &StoredCase, event: &'static str, token: Option<&str>) {
        let Some(notifier) = self.notifier.clone() else { return };
        let recipients: Vec<mizan_notify::Recipient> = [
            case.contact_email
                .as_deref()
                .map(mizan_notify::EmailAddress::parse)
                .map(|r| r.map(mizan_notify::Recipient::Email)),
            case.contact_phone
                .as_deref()
                .map(mizan_notify::PhoneNumber::parse)
                .map(|r| r.map(mizan_notify::Recipient::Phone)),
        ]
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .collect();
        if recipients.is_empty() {
            return;
        }
        let link = match token {
            Some(t) => format!("{}/appeals/{}?token={t}", self.config.base_url, case.reference),
            None => format!("{}/appeals/{}", self.config.base_url, case.reference),
        };
        let (subject, body) = message_text(event, &case.lang);
        let fill = |t: &str| {
            t.replace("{reference}", &case.reference)
                .replace("{system}", &case.system_label(&case.lang))
                .replace("{link}", &link)
        };
        let (subject, body, lang, reference) =
            (fill(subject), fill(body), case.lang.clone(), case.reference.clone());
        tokio::spawn(async move {
            for to in recipients {
                let msg = mizan_notify::Message {
                    to,
                    subject: subject.clone(),
                    body: body.clone(),
                    lang: lang.clone(),
                    reference: reference.clone(),
                };
                if let Err(e) = notifier.send(&msg).await {
                    tracing::warn!(error = %e, case = %reference, "appeals: could not tell the filer");
                }
            }
        });
    }
}

/// An appeal whose whole history was built with the engine elsewhere, at past times (the demo's
/// appeals): [`Platform::store_past_appeal`] stores it as filing and moving store theirs.
pub(crate) struct PastAppeal<'a> {
    /// Its reference.
    pub reference: &'a str,
    /// The status link's secret.
    pub token: &'a str,
    /// The appealed decision's receipt reference.
    pub subject: &'a str,
    /// `en` or `ur`.
    pub lang: &'a str,
    /// The case, its history ticked up to now.
    pub case: &'a Case,
    /// The user each role's moves are filed under (none for the filer and the engine).
    pub users: &'a BTreeMap<&'a str, i64>,
    /// Whether the person consented to a public summary.
    pub consent: bool,
    /// The document filed with it (its hash is in the opening entry's fields).
    pub document: Option<CheckedDocument>,
}

impl Platform {
    /// Stores a case built elsewhere, after checking that its history replays, in one
    /// transaction: the case, every entry with its commitment, and the events that commit to
    /// them. Nothing is stored when any part is refused.
    ///
    /// # Errors
    /// [`Error::Internal`] for a history that does not replay; [`Error::NotFound`] for an
    /// unknown decision; [`Error::Conflict`] when the reference is taken.
    pub(crate) async fn store_past_appeal(&self, a: &PastAppeal<'_>) -> Result<(), Error> {
        let t = CaseType::appeal();
        Case::replay(t, &a.case.history)
            .map_err(|e| Error::Internal(format!("case `{}`: {e}", a.reference)))?;
        let d = self.store().decision(a.subject).await?;
        let target = self.store().appeal_target(&d.reference).await?;
        let opened = a.case.history.first();
        let key = random_hex(32);
        let new = NewCase {
            reference: a.reference.to_owned(),
            case_type: t.name.clone(),
            type_version: i64::from(t.version),
            org_id: target.org_id,
            system_id: Some(target.system_id),
            system_version: d.system_version,
            subject: d.reference.clone(),
            token_hash: mizan_store::sha256_hex(a.token.as_bytes()),
            entry_key: key.clone(),
            lang: if a.lang == "ur" { "ur" } else { "en" }.to_owned(),
            contact_email: None,
            contact_phone: None,
            publish_consent: a.consent,
            document: a.document.as_ref().map(new_document),
            grounds_category: opened
                .and_then(|e| e.fields.get("category"))
                .cloned()
                .unwrap_or_else(|| "other".to_owned()),
        };
        let mut entries = Self::entries_for(&key, 0, a.case, None)?;
        for (n, e) in entries.iter_mut().zip(&a.case.history) {
            n.actor_user = a.users.get(e.actor.as_str()).copied();
        }
        self.open_with_document(&new, &entries, &projection(t, a.case, None), a.document.clone()).await?;
        Ok(())
    }
}

/// Equal strings, compared in time independent of where they differ.
fn constant_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A phone number as filing keeps it: E.164, as the notifier sends to it.
    fn normalise_phone(s: &str) -> Option<String> {
        mizan_notify::PhoneNumber::parse(s).ok().map(|p| p.as_str().to_owned())
    }

    #[test]
    fn phones_are_normalised_or_refused() {
        assert_eq!(normalise_phone("0300 1234567").as_deref(), Some("+923001234567"));
        assert_eq!(normalise_phone("+92-300-1234567").as_deref(), Some("+923001234567"));
        assert_eq!(normalise_phone("0092 300 1234567").as_deref(), Some("+923001234567"));
        assert_eq!(normalise_phone("300 1234567"), None);
        assert_eq!(normalise_phone("+92 300 12a4567"), None);
        assert_eq!(normalise_phone("+1234567890123456"), None);
    }

    #[test]
    fn references_are_readable_and_distinct() {
        let a = new_reference();
        assert!(a.starts_with("AP-") && a.len() == 13, "{a}");
        assert!(a[3..].bytes().all(|b| b"0123456789ABCDEFGHJKMNPQRSTVWXYZ".contains(&b)));
        assert_ne!(a, new_reference());
    }

    #[test]
    fn secrets_compare_exactly() {
        assert!(constant_eq("abc", "abc"));
        assert!(!constant_eq("abc", "abd"));
        assert!(!constant_eq("abc", "ab"));
    }
}
