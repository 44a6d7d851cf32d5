//! Access requests for restricted datasets: the `data-access` case type
//! (`mizan_cases::CaseType::data_access`).
//!
//! A signed-in person asks for one published version of a restricted dataset, naming the
//! purpose, the project, the variables and how long they need it, and accepting the
//! data-sharing agreement (its text and version are data in `mizan-catalog`). A steward of the
//! publisher (`datasets:access`) approves or refuses, with reasons. An approval lets that person
//! download that version's files until the agreement ends, signed in or with download tokens
//! they make, each scoped to the version and expiring with the agreement. Every entry of the
//! case and every restricted download is committed to in the events log under the dataset
//! (`dataset:<slug>`), as HMACs under the case's key: the log proves what happened and when
//! without naming anyone.

use std::collections::BTreeMap;

use mizan_cases::{Case, CaseType, Entry, Move};
use mizan_catalog::AccessTier;
use mizan_store::{AccessToken, DownloadEvent, NewAccessToken, NewCase, Principal, QueueFilter, StoredCase};
use time::{Duration, OffsetDateTime};

use crate::appeals::{apply_move, commit, new_case_reference, projection, random_hex, text_field};
use crate::datasets::DatasetView;
use crate::{Error, Platform};

/// The case type's name.
pub const DATA_ACCESS: &str = "data-access";

/// The case roles of the type (`types/data-access.yaml`).
pub mod roles {
    /// The person asking, signed in.
    pub const APPLICANT: &str = "applicant";
    /// A steward of the publishing organisation (`datasets:access`).
    pub const STEWARD: &str = "data-steward";
    /// Another member of a sandbox project (not a role of the case type: members make no
    /// moves, they only use the project).
    pub const MEMBER: &str = "member";
}

/// How long a person may ask to hold the data, in days: the data-sharing agreement runs at
/// most a year.
pub const DURATIONS: [i64; 4] = [30, 90, 180, 365];

/// Longest project name, in characters.
pub const MAX_PROJECT: usize = 200;

/// Most download tokens one approval may make.
pub const MAX_TOKENS: usize = 10;

/// Days a steward has to decide before the request is marked late (the case type's deadline).
pub const DECIDE_DAYS: i64 = 20;

/// The prefix of a download token's secret.
pub const TOKEN_PREFIX: &str = "mzd_";

/// The `kind` field of a sandbox project's request.
pub const KIND_SANDBOX: &str = "sandbox";

/// Most other members of one sandbox project.
pub const MAX_MEMBERS: usize = 10;

/// A request as filed.
#[derive(Debug, Clone, Default)]
pub struct AccessRequestIn {
    /// What the data is for.
    pub purpose: String,
    /// The project or study it serves.
    pub project: String,
    /// The columns asked for; empty for all.
    pub variables: Vec<String>,
    /// One of [`DURATIONS`].
    pub duration_days: i64,
    /// The data-sharing agreement accepted.
    pub agree: bool,
    /// `en` or `ur`.
    pub lang: String,
    /// A sandbox project: differentially private queries, never the files.
    pub sandbox: bool,
    /// A sandbox project's other members, by their sign-in e-mail.
    pub members: Vec<String>,
}

/// What the opening entry says, read back.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestTerms {
    /// The dataset's slug.
    pub slug: String,
    /// The version asked for.
    pub version: i64,
    /// What the data is for.
    pub purpose: String,
    /// The project.
    pub project: String,
    /// The columns asked for; empty for all.
    pub variables: Vec<String>,
    /// Days asked for.
    pub duration_days: i64,
    /// The agreement accepted: its id and version.
    pub agreement: (String, i64),
    /// A sandbox project (queries, never files).
    pub sandbox: bool,
    /// A sandbox project's other members, by e-mail.
    pub members: Vec<String>,
}

/// A request as someone allowed to see it sees it.
#[derive(Debug, Clone)]
pub struct AccessView {
    /// The case.
    pub case: StoredCase,
    /// What was asked.
    pub terms: RequestTerms,
    /// The history, oldest first.
    pub history: Vec<Entry>,
    /// The viewer's case role.
    pub role: String,
    /// The moves open to the viewer now.
    pub moves: Vec<String>,
    /// When the agreement ends (approved requests).
    pub expires_at: Option<OffsetDateTime>,
    /// Whether the files may be downloaded now (approved and not expired).
    pub active: bool,
    /// The download tokens made (the applicant's view only).
    pub tokens: Vec<AccessToken>,
}

/// A dataset's access figures, for its page.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AccessFigures {
    /// Requests received.
    pub requests: i64,
    /// Approved.
    pub approved: i64,
    /// Refused.
    pub refused: i64,
    /// Median days from request to decision.
    pub median_days: Option<f64>,
}

/// Who downloads a restricted file.
#[derive(Debug, Clone, Copy, Default)]
pub struct Downloader<'a> {
    /// The signed-in person.
    pub user: Option<i64>,
    /// A download token's secret.
    pub token: Option<&'a str>,
}

/// The events-log subject of a dataset.
#[must_use]
pub fn subject_of(slug: &str) -> String {
    format!("dataset:{slug}")
}

pub(crate) fn parse_terms(e: &Entry) -> RequestTerms {
    let get = |k: &str| e.fields.get(k).cloned().unwrap_or_default();
    let (agreement, agreement_version) = get("agreement")
        .rsplit_once('@')
        .map_or_else(|| (String::new(), 0), |(id, v)| (id.to_owned(), v.parse().unwrap_or(0)));
    RequestTerms {
        slug: get("dataset"),
        version: get("version").parse().unwrap_or(0),
        purpose: get("purpose"),
        project: get("project"),
        variables: get("variables").split(", ").filter(|v| !v.is_empty()).map(str::to_owned).collect(),
        duration_days: get("duration_days").parse().unwrap_or(0),
        agreement: (agreement, agreement_version),
        sandbox: get("kind") == KIND_SANDBOX,
        members: get("members").split(", ").filter(|v| !v.is_empty()).map(str::to_owned).collect(),
    }
}

/// The agreement's end for an approved case: its decision plus the days asked for.
pub(crate) fn expiry(case: &StoredCase, terms: &RequestTerms) -> Option<OffsetDateTime> {
    if case.projection.state != "approved" {
        return None;
    }
    let decided = case.projection.decided_at.as_deref()?;
    let at = OffsetDateTime::parse(decided, &time::format_description::well_known::Rfc3339).ok()?;
    Some(at + Duration::days(terms.duration_days))
}

/// The columns a request may name: the data dictionary's, or else the profiled columns.
#[must_use]
pub fn columns_of(view: &DatasetView) -> Vec<String> {
    if !view.meta.dictionary.is_empty() {
        return view.meta.dictionary.iter().map(|c| c.name.clone()).collect();
    }
    let mut out: Vec<String> = Vec::new();
    for f in &view.scan.files {
        for c in f.profile.iter().flat_map(|p| p.columns.iter()) {
            if !out.contains(&c.name) {
                out.push(c.name.clone());
            }
        }
    }
    out
}

impl Platform {
    /// Files a request by `user` for the published restricted version `view`. Returns the
    /// case's reference.
    ///
    /// # Errors
    /// [`Error::BadRequest`] naming the field; [`Error::Conflict`] when the version is not
    /// restricted or the person already has an open request for the dataset.
    pub async fn request_dataset_access(
        &self,
        view: &DatasetView,
        user: i64,
        input: AccessRequestIn,
    ) -> Result<String, Error> {
        if view.meta.access != AccessTier::Restricted {
            return Err(Error::Conflict("this version is not restricted: its files need no request".into()));
        }
        let purpose = text_field("purpose", &input.purpose, true)?;
        let project = text_field("project", &input.project, true)?;
        if project.chars().count() > MAX_PROJECT {
            return Err(Error::bad("project", format!("at most {MAX_PROJECT} characters")));
        }
        let columns = columns_of(view);
        if input.variables.len() > columns.len() {
            return Err(Error::bad(
                "variables",
                format!("{} variables named; this dataset has {}", input.variables.len(), columns.len()),
            ));
        }
        let mut variables: Vec<String> = Vec::new();
        for (i, v) in input.variables.iter().enumerate() {
            if !columns.contains(v) {
                return Err(Error::bad(
                    format!("variables[{i}]"),
                    format!("`{v}` is not a column of this dataset"),
                ));
            }
            if !variables.contains(v) {
                variables.push(v.clone());
            }
        }
        if !DURATIONS.contains(&input.duration_days) {
            return Err(Error::bad(
                "duration_days",
                format!(
                    "must be one of {} days",
                    DURATIONS.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
                ),
            ));
        }
        let members = members_field(&input.members)?;
        if input.sandbox
            && self.store().sandbox_settings(view.stored.dataset_id, view.stored.version).await?.is_none()
        {
            return Err(Error::Conflict(
                "this version has no sandbox settings yet: its steward has not opened it for \
                 private queries"
                    .into(),
            ));
        }
        if !input.sandbox && !members.is_empty() {
            return Err(Error::bad("members", "only a sandbox project has other members"));
        }
        let agreement = mizan_catalog::vocab::terms("data-sharing-agreement")
            .ok_or_else(|| Error::Internal("the data-sharing agreement is missing".into()))?;
        if !input.agree {
            return Err(Error::bad("agree", "accept the data-sharing agreement to ask for the data"));
        }
        let slug = &view.stored.slug;
        let subject = subject_of(slug);
        if let Some(open) = self.store().open_case_filed_by(DATA_ACCESS, &subject, user).await? {
            return Err(Error::Conflict(format!(
                "you already asked for this dataset ({open}); wait for the steward's decision or withdraw it"
            )));
        }
        let t = CaseType::data_access();
        let mut fields = BTreeMap::from([
            ("dataset".to_owned(), slug.clone()),
            ("version".to_owned(), view.stored.version.to_string()),
            ("purpose".to_owned(), purpose),
            ("project".to_owned(), project),
            ("variables".to_owned(), variables.join(", ")),
            ("duration_days".to_owned(), input.duration_days.to_string()),
            ("agreement".to_owned(), format!("{}@{}", agreement.id, agreement.version)),
        ]);
        if input.sandbox {
            fields.insert("kind".to_owned(), KIND_SANDBOX.to_owned());
            fields.insert("members".to_owned(), members.join(", "));
        }
        let case = Case::open(t, roles::APPLICANT, fields, self.now());
        let key = random_hex(32);
        let new = NewCase {
            reference: new_case_reference("DA"),
            case_type: t.name.clone(),
            type_version: i64::from(t.version),
            org_id: view.stored.org_id,
            system_id: None,
            system_version: view.stored.version,
            subject,
            // No status link: the applicant is signed in.
            token_hash: String::new(),
            entry_key: key.clone(),
            lang: if input.lang == "ur" { "ur" } else { "en" }.to_owned(),
            contact_email: None,
            contact_phone: None,
            publish_consent: false,
            grounds_category: String::new(),
            document: None,
        };
        let entries = Self::entries_for(&key, 0, &case, Some(user))?;
        self.case_writer.open(new.clone(), entries, projection(t, &case, None)).await?;
        Ok(new.reference)
    }

    /// A request as `p` may see it: its applicant, or a steward of the publisher.
    ///
    /// # Errors
    /// [`Error::NotFound`] when `p` may not see it (or it does not exist).
    pub async fn data_access(&self, reference: &str, p: &Principal) -> Result<AccessView, Error> {
        let (case, c, role) = self.load_access(reference, p).await?;
        let t = CaseType::data_access();
        let terms = c.history.first().map(parse_terms).unwrap_or_default();
        let moves = t.moves_for(&case.projection.state, role).iter().map(|m| m.name.clone()).collect();
        let expires_at = expiry(&case, &terms);
        let active = expires_at.is_some_and(|e| self.now() < e);
        let tokens = match (role, &p.user) {
            (roles::APPLICANT, _) => self.store().access_tokens_of(case.id).await?,
            (roles::MEMBER, Some(u)) => self
                .store()
                .access_tokens_of(case.id)
                .await?
                .into_iter()
                .filter(|t| t.user_id == u.id)
                .collect(),
            _ => vec![],
        };
        Ok(AccessView {
            case,
            terms,
            history: c.history,
            role: role.to_owned(),
            moves,
            expires_at,
            active,
            tokens,
        })
    }

    /// A request, its replayed case and `p`'s role on it, after firing the deadlines due.
    async fn load_access(
        &self,
        reference: &str,
        p: &Principal,
    ) -> Result<(StoredCase, Case, &'static str), Error> {
        let not_found = || Error::NotFound(format!("access request `{reference}`"));
        let (mut case, mut entries) = match self.store().case_by_reference(reference).await {
            Ok(x) => x,
            Err(mizan_store::StoreError::NotFound { .. }) => return Err(not_found()),
            Err(e) => return Err(e.into()),
        };
        if case.case_type != DATA_ACCESS {
            return Err(not_found());
        }
        let user = p.user.as_ref().map(|u| u.id);
        let role = if user.is_some() && entries.first().and_then(|e| e.actor_user) == user {
            roles::APPLICANT
        } else if p.org.id == case.org_id && p.can("datasets:access") {
            roles::STEWARD
        } else if let Some(u) = &p.user
            && Self::replay(&case, &entries)?
                .and_then(|c| c.history.first().map(parse_terms))
                .is_some_and(|t| t.sandbox && t.members.iter().any(|m| m.eq_ignore_ascii_case(&u.email)))
        {
            roles::MEMBER
        } else {
            return Err(not_found());
        };
        // A deadline due by now fires before anyone sees the request.
        let now = mizan_store::format_time(self.now());
        if case.projection.next_due_at.as_deref().is_some_and(|due| due <= now.as_str()) {
            match self.tick_appeal(reference).await {
                Ok(_) | Err(Error::Conflict(_)) => {}
                Err(e) => return Err(e),
            }
            (case, entries) = self.store().case_by_reference(reference).await?;
        }
        let c = Self::replay(&case, &entries)?
            .ok_or_else(|| Error::Conflict(format!("access request `{reference}` was erased")))?;
        Ok((case, c, role))
    }

    /// Makes move `name` (`approve`, `refuse` or `withdraw`) on a request for `p`, with the
    /// reasons.
    ///
    /// # Errors
    /// As [`Platform::data_access`]; [`Error::Conflict`] for a move not open to `p` now;
    /// [`Error::BadRequest`] for missing or bad reasons.
    pub async fn move_data_access(
        &self,
        reference: &str,
        p: &Principal,
        name: &str,
        reasons: &str,
    ) -> Result<AccessView, Error> {
        let (case, mut c, role) = self.load_access(reference, p).await?;
        let t = CaseType::data_access();
        if !t.moves_for(&case.projection.state, role).iter().any(|m| m.name == name) {
            return Err(Error::Conflict(format!(
                "`{name}` is not open to you on this request now (it is {})",
                case.projection.state
            )));
        }
        let key = case
            .entry_key
            .clone()
            .ok_or_else(|| Error::Conflict("this request's record was erased".into()))?;
        let version = c.history.first().map(parse_terms).unwrap_or_default().version;
        let mut fields = BTreeMap::new();
        let reasons = text_field("reasons", reasons, false)?;
        if !reasons.is_empty() {
            fields.insert("reasons".to_owned(), reasons);
        }
        let start = c.history.len();
        let m = Move { name: name.to_owned(), role: role.to_owned(), fields, at: self.now() };
        apply_move(t, &mut c, &m)?;
        let user = p.user.as_ref().map(|u| u.id);
        let new = Self::entries_for(&key, start, &c, user)?;
        let scope = (role == roles::STEWARD).then(|| p.scope());
        self.store()
            .append_case(scope, &case, version, &new, &projection(t, &c, Some(&case.projection)))
            .await?;
        self.data_access(reference, p).await
    }

    /// Every request to `p`'s organisation, newest first.
    ///
    /// # Errors
    /// [`Error::Refused`] without `datasets:access`.
    pub async fn data_access_queue(&self, p: &Principal) -> Result<Vec<StoredCase>, Error> {
        if !p.can("datasets:access") {
            return Err(Error::Refused(
                "deciding access requests needs the `datasets:access` permission".into(),
            ));
        }
        Ok(self.store().case_queue(Some(p.scope()), DATA_ACCESS, &[], QueueFilter::All, 200, 0).await?)
    }

    /// The requests `user` filed, newest first.
    ///
    /// # Errors
    /// Database errors.
    pub async fn my_data_access(&self, user: i64) -> Result<Vec<StoredCase>, Error> {
        Ok(self.store().cases_filed_by(DATA_ACCESS, None, user, 200).await?)
    }

    /// A dataset's access figures: requests, approvals, refusals and the median days to decide.
    ///
    /// # Errors
    /// Database errors.
    pub async fn data_access_figures(&self, slug: &str) -> Result<AccessFigures, Error> {
        let (st, outcomes) =
            self.store().case_stats_about(DATA_ACCESS, &subject_of(slug), DECIDE_DAYS).await?;
        Ok(AccessFigures {
            requests: st.received,
            approved: outcomes.get("approved").copied().unwrap_or(0),
            refused: outcomes.get("refused").copied().unwrap_or(0),
            median_days: st.median_days_to_decision,
        })
    }

    /// The approved, unexpired request of `user` for the version `view`, if any.
    ///
    /// # Errors
    /// Database errors.
    pub async fn access_grant(
        &self,
        view: &DatasetView,
        user: i64,
    ) -> Result<Option<(StoredCase, OffsetDateTime)>, Error> {
        let subject = subject_of(&view.stored.slug);
        for case in self.store().cases_filed_by(DATA_ACCESS, Some(&subject), user, 200).await? {
            if case.projection.state != "approved" {
                continue;
            }
            let (case, entries) = self.store().case_by_reference(&case.reference).await?;
            let Some(first) = Self::replay(&case, &entries)?.and_then(|c| c.history.into_iter().next())
            else {
                continue;
            };
            let terms = parse_terms(&first);
            if terms.sandbox || terms.version != view.stored.version {
                continue;
            }
            if let Some(expires) = expiry(&case, &terms).filter(|e| self.now() < *e) {
                return Ok(Some((case, expires)));
            }
        }
        Ok(None)
    }

    /// Makes a download token for the approved request `reference` of `p`: shown once, scoped to
    /// the version asked for, expiring with the agreement. Returns the secret.
    ///
    /// # Errors
    /// As [`Platform::data_access`]; [`Error::Conflict`] when the request is not approved, has
    /// ended, or already made [`MAX_TOKENS`] tokens.
    pub async fn make_access_token(
        &self,
        reference: &str,
        p: &Principal,
    ) -> Result<(String, AccessToken), Error> {
        let v = self.data_access(reference, p).await?;
        let Some(user) =
            p.user.as_ref().map(|u| u.id).filter(|_| v.role == roles::APPLICANT || v.role == roles::MEMBER)
        else {
            return Err(Error::NotFound(format!("access request `{reference}`")));
        };
        let (Some(expires), true) = (v.expires_at, v.active) else {
            return Err(Error::Conflict(
                "download tokens come with an approved request whose agreement has not ended".into(),
            ));
        };
        if v.tokens.len() >= MAX_TOKENS {
            return Err(Error::Conflict(format!(
                "this request already made {MAX_TOKENS} tokens, the most it may"
            )));
        }
        let dataset = self.public_dataset(&v.terms.slug, Some(v.terms.version)).await?.stored.dataset_id;
        let secret = format!("{TOKEN_PREFIX}{}", random_hex(24));
        let new = NewAccessToken {
            case_id: v.case.id,
            dataset_id: dataset,
            version: v.terms.version,
            user_id: user,
            token_hash: mizan_store::sha256_hex(secret.as_bytes()),
            expires_at: mizan_store::format_time(expires),
        };
        self.store().add_access_token(&new).await?;
        let stored = self
            .store()
            .access_token(&new.token_hash)
            .await?
            .ok_or_else(|| Error::Internal("the token just made is missing".into()))?;
        Ok((secret, stored))
    }

    /// Checks that `who` may download file `name` of the restricted version `view`, and records
    /// the download with its events-log commitment.
    ///
    /// # Errors
    /// [`Error::Refused`] without an approved, unexpired request (signed in) or a token for
    /// this version.
    pub(crate) async fn restricted_download(
        &self,
        view: &DatasetView,
        name: &str,
        who: Downloader<'_>,
    ) -> Result<(), Error> {
        let refused =
            || Error::Refused("this dataset is restricted: its files need an approved access request".into());
        let (user, reference, via) = match (who.token, who.user) {
            (Some(secret), _) => {
                let hash = mizan_store::sha256_hex(secret.trim().as_bytes());
                let Some(t) = self.store().access_token(&hash).await? else { return Err(refused()) };
                let expires =
                    OffsetDateTime::parse(&t.expires_at, &time::format_description::well_known::Rfc3339)
                        .map_err(|e| Error::Internal(format!("stored token expiry: {e}")))?;
                if t.dataset_id != view.stored.dataset_id
                    || t.version != view.stored.version
                    || self.now() >= expires
                {
                    return Err(refused());
                }
                (t.user_id, t.case_reference, "token")
            }
            (None, Some(user)) => match self.access_grant(view, user).await? {
                Some((case, _)) => (user, case.reference, "session"),
                None => return Err(refused()),
            },
            (None, None) => return Err(refused()),
        };
        let (case, entries) = self.store().case_by_reference(&reference).await?;
        // A sandbox project's token answers private queries; it never opens the files.
        if Self::replay(&case, &entries)?
            .and_then(|c| c.history.first().map(parse_terms))
            .is_none_or(|t| t.sandbox)
        {
            return Err(refused());
        }
        let key = case.entry_key.ok_or_else(refused)?;
        let at = mizan_store::format_time(self.now());
        let statement = mizan_ledger::leaf::canonical_json(&serde_json::json!({
            "case": reference,
            "dataset": view.stored.slug,
            "version": view.stored.version,
            "file": name,
            "via": via,
            "at": at,
        }));
        let event = DownloadEvent {
            org_id: view.stored.org_id,
            subject: subject_of(&view.stored.slug),
            actor_name: roles::APPLICANT.to_owned(),
            reason: format!("download {reference} hmac-sha256:{}", commit(&key, &statement)?),
            at,
        };
        self.store()
            .record_restricted_download((view.stored.dataset_id, view.stored.version), name, user, &event)
            .await?;
        Ok(())
    }
}

/// The members field: distinct e-mail addresses, at most [`MAX_MEMBERS`].
fn members_field(members: &[String]) -> Result<Vec<String>, Error> {
    let mut out: Vec<String> = Vec::new();
    for (i, m) in members.iter().enumerate() {
        let m = m.trim().to_lowercase();
        if m.is_empty() {
            continue;
        }
        let ok = m.len() <= 254
            && !m.contains(char::is_whitespace)
            && !m.contains(',')
            && m.split_once('@').is_some_and(|(a, b)| !a.is_empty() && b.contains('.'));
        if !ok {
            return Err(Error::bad(format!("members[{i}]"), format!("`{m}` is not an e-mail address")));
        }
        if !out.contains(&m) {
            out.push(m);
        }
    }
    if out.len() > MAX_MEMBERS {
        return Err(Error::bad("members", format!("at most {MAX_MEMBERS} other members")));
    }
    Ok(out)
}
