//! Decisions held for a person's review before they take effect: human oversight of a system's
//! decisions (EU AI Act Art. 14), the second case type of the case engine
//! (`mizan_cases::CaseType::oversight`).
//!
//! A provider sets an oversight policy per system version (`mizan.oversight-policy/1`). As a
//! decision is logged, the policy decides whether it is held (all adverse outputs, a random
//! sample drawn from the leaf hash, the close calls, decisions touching named inputs): the
//! decision is logged as the AI made it, with the reasons, its receipt says `pending_review`,
//! and an oversight case (`OV-…`) opens in the provider's queue. A reviewer (`oversight:review`)
//! confirms the AI's output or changes it; either way the final decision is logged as a
//! decision that supersedes the held one, by a person, so the ledger shows both. Until then the
//! held decision has no effect. Reviewers' agreement with the AI is kept per reviewer and per
//! system (the automation-bias measure of Art. 14(4)(b)), and the share of reviewed decisions
//! a person changed is public.

use std::collections::BTreeMap;

use mizan_cases::{Case, CaseType, Entry, Move};
use mizan_store::{Agreement, CaseProjection, NewCase, Principal, QueueFilter, StoredCase};
use serde_json::Value;

use crate::appeals::{
    apply_move, check_output, new_case_reference, projection, proposal, random_hex, roles, text_field,
};
use crate::{Error, Platform};

/// The case type's name.
pub const OVERSIGHT: &str = "oversight";

/// What a reviewer may record: the AI's output stands, or the person changed it.
pub const REVIEW_OUTCOMES: [&str; 3] = ["confirmed", "reversed", "modified"];

/// How far back the background pass looks for held decisions whose case was never opened.
const RECONCILE_DAYS: i64 = 7;

/// A held decision logged now, whose review case is to be opened.
#[derive(Debug, Clone)]
pub(crate) struct NewHold {
    /// The decision's receipt reference.
    pub reference: String,
    /// Its organisation.
    pub org_id: i64,
    /// Its system's internal id.
    pub system_id: i64,
    /// Its version.
    pub system_version: i64,
    /// Why it was held (`adverse,margin`).
    pub held: String,
}

/// A held decision as a reviewer sees it.
#[derive(Debug, Clone)]
pub struct HeldView {
    /// The case.
    pub case: StoredCase,
    /// Its history.
    pub entries: Vec<Entry>,
    /// The held decision's record (`None` if it was erased, which an open case prevents).
    pub record: Option<mizan_formats::DecisionRecord>,
    /// Why it was held.
    pub reasons: Vec<String>,
    /// Moves the viewer may make now.
    pub moves: Vec<String>,
    /// The final decision, once logged.
    pub final_decision: Option<String>,
}

/// A reviewer's decision on a held decision.
#[derive(Debug, Clone, Default)]
pub struct ReviewIn {
    /// One of [`REVIEW_OUTCOMES`].
    pub outcome: String,
    /// The new output, when the person changes it.
    pub new_output: Option<Value>,
    /// Why, in plain language (optional when confirming).
    pub reasons: String,
}

/// A system's oversight at a glance: the policies in force and what reviewers did.
#[derive(Debug, Clone, Default)]
pub struct OversightFigures {
    /// The policy in force from each version (JSON), by version.
    pub policies: BTreeMap<i64, mizan_formats::OversightPolicy>,
    /// Decisions held and still waiting.
    pub waiting: i64,
    /// Reviewed decisions, and how many a person changed.
    pub agreement: Agreement,
}

impl Platform {
    /// Sets system `id`'s oversight policy from `version` on (`oversight:set`). An empty
    /// policy holds nothing.
    ///
    /// # Errors
    /// [`Error::Refused`] without the permission; [`Error::BadRequest`] naming the policy's
    /// field that is wrong; [`Error::NotFound`] for another organisation's system;
    /// [`Error::Conflict`] for a version the system does not have.
    pub async fn set_oversight_policy(
        &self,
        p: &Principal,
        id: &str,
        version: i64,
        policy: &Value,
    ) -> Result<mizan_formats::OversightPolicy, Error> {
        if !p.can("oversight:set") {
            return Err(Error::Refused("you may not set oversight policies".into()));
        }
        let parsed = mizan_formats::OversightPolicy::from_value(policy).map_err(|e| {
            let field = match &e {
                mizan_formats::FormatError::Invalid { field, .. }
                | mizan_formats::FormatError::Type { field, .. } => {
                    format!("policy.{field}")
                }
                _ => "policy".to_owned(),
            };
            Error::bad(field, e.to_string())
        })?;
        self.store().set_oversight_policy(p.scope(), id, version, &parsed.to_json(), &p.into()).await?;
        Ok(parsed)
    }

    /// System `id`'s oversight: the policies in force and what reviewers did (public).
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown system.
    pub async fn oversight_figures(&self, id: &str) -> Result<OversightFigures, Error> {
        let policies = self
            .store()
            .oversight_policies(id)
            .await?
            .into_iter()
            .filter_map(|(v, text)| Some((v, mizan_formats::OversightPolicy::from_json(&text).ok()?)))
            .collect();
        let agreement =
            self.store().oversight_agreement(None, Some(id), false).await?.into_iter().next().map(|(_, a)| a);
        let waiting = self.store().case_stats(OVERSIGHT, Some(id), None, 2).await?.open;
        Ok(OversightFigures { policies, waiting, agreement: agreement.unwrap_or_default() })
    }

    /// Reviewers' agreement with the AI, per reviewer: of `p`'s organisation, or of every
    /// organisation for the regulator.
    ///
    /// # Errors
    /// [`Error::Refused`] without `oversight:review` (or the regulator's `appeals:regulate`).
    pub async fn reviewer_agreement(&self, p: &Principal) -> Result<Vec<(String, Agreement)>, Error> {
        let regulator = mizan_store::RegulatorScope::of(p).is_some() && p.can("appeals:regulate");
        if !regulator && !p.can("oversight:review") {
            return Err(Error::Refused("you may not read reviewers' figures".into()));
        }
        let scope = if regulator { None } else { Some(p.scope()) };
        Ok(self.store().oversight_agreement(scope, None, true).await?)
    }

    /// Opens the review cases of decisions just held, in one transaction. A decision whose
    /// case is already open is skipped.
    pub(crate) async fn open_reviews(&self, holds: &[NewHold]) -> Result<usize, Error> {
        if holds.is_empty() {
            return Ok(0);
        }
        let t = CaseType::oversight();
        let now = self.now();
        let mut cases = Vec::with_capacity(holds.len());
        for h in holds {
            let fields = BTreeMap::from([("reasons".to_owned(), h.held.clone())]);
            let case = Case::open(t, mizan_cases::SYSTEM, fields, now);
            let key = random_hex(32);
            let new = NewCase {
                reference: new_case_reference("OV"),
                case_type: t.name.clone(),
                type_version: i64::from(t.version),
                org_id: h.org_id,
                system_id: Some(h.system_id),
                system_version: h.system_version,
                subject: h.reference.clone(),
                token_hash: String::new(),
                entry_key: key.clone(),
                lang: "en".to_owned(),
                contact_email: None,
                contact_phone: None,
                publish_consent: false,
                grounds_category: h.held.clone(),
                document: None,
            };
            let entries = Self::entries_for(&key, 0, &case, None)?;
            cases.push((new, entries, projection(t, &case, None)));
        }
        Ok(self.store().open_cases(&cases).await?)
    }

    /// Opens the review cases of held decisions of the last week that have none (the server
    /// stopped between logging them and opening their cases). Returns how many it opened.
    ///
    /// # Errors
    /// Store errors.
    pub async fn reconcile_reviews(&self) -> Result<usize, Error> {
        let since = mizan_store::format_time(self.now() - time::Duration::days(RECONCILE_DAYS));
        let missing = self.store().held_without_case(&since, 1000).await?;
        let holds: Vec<NewHold> = missing
            .into_iter()
            .map(|h| NewHold {
                reference: h.reference,
                org_id: h.org_id,
                system_id: h.system_id,
                system_version: h.system_version,
                held: h.held,
            })
            .collect();
        self.open_reviews(&holds).await
    }

    /// Held decisions waiting for `p`'s organisation, earliest deadline first.
    ///
    /// # Errors
    /// [`Error::Refused`] without `oversight:review`.
    pub async fn held_queue(&self, p: &Principal, limit: i64, offset: i64) -> Result<Vec<StoredCase>, Error> {
        if !p.can("oversight:review") {
            return Err(Error::Refused("you may not review held decisions".into()));
        }
        Ok(self
            .store()
            .case_queue(
                Some(p.scope()),
                OVERSIGHT,
                &["pending", "confirming"],
                QueueFilter::Open,
                limit,
                offset,
            )
            .await?)
    }

    /// A held decision's review as `p` may see it: a reviewer of its organisation, or the
    /// regulator (read only). Anyone else gets [`Error::NotFound`].
    ///
    /// # Errors
    /// [`Error::NotFound`] as above.
    pub async fn held_review(&self, reference: &str, p: &Principal) -> Result<HeldView, Error> {
        let not_found = || Error::NotFound(format!("review `{reference}`"));
        let (case, stored) = match self.store().case_by_reference(reference).await {
            Ok(c) => c,
            Err(mizan_store::StoreError::NotFound { .. }) => return Err(not_found()),
            Err(e) => return Err(e.into()),
        };
        let regulator = mizan_store::RegulatorScope::of(p).is_some() && p.can("appeals:read");
        let own = p.org.id == case.org_id && (p.can("oversight:review") || p.can("appeals:read"));
        if case.case_type != OVERSIGHT || !(regulator || own) {
            return Err(not_found());
        }
        let t = CaseType::oversight();
        let entries: Vec<Entry> = stored
            .iter()
            .filter_map(|e| e.entry_json.as_deref().and_then(|j| serde_json::from_str(j).ok()))
            .collect();
        let d = self.store().decision(&case.subject).await?;
        let record =
            d.record_json.as_deref().and_then(|r| mizan_formats::DecisionRecord::from_canonical(r).ok());
        let mut moves: Vec<String> = if own && p.can("oversight:review") {
            t.moves_for(&case.projection.state, roles::PROVIDER_REVIEWER)
                .iter()
                .map(|m| m.name.clone())
                .collect()
        } else {
            Vec::new()
        };
        let needs_two = self.reviewers_required(case.system.as_deref().unwrap_or_default()).await? >= 2;
        moves.retain(|m| if needs_two { m != "review" } else { m != "propose" && m != "confirm" });
        let reasons = case.grounds_category.split(',').filter(|r| !r.is_empty()).map(str::to_owned).collect();
        let final_decision = self.store().superseded_by(&case.subject).await?;
        Ok(HeldView { case, entries, record, reasons, moves, final_decision })
    }

    /// Makes move `name` (`review`, or `propose` and `confirm` where two reviewers must agree)
    /// on a held decision for reviewer `p`. The move that settles it logs the final decision,
    /// superseding the held one, before the case moves (logging is idempotent by the case, so a
    /// retry after a failure in between logs nothing twice).
    ///
    /// # Errors
    /// [`Error::NotFound`] when `p` may not see it; [`Error::Conflict`] for a move not open now;
    /// [`Error::BadRequest`] for a bad field; [`Error::Refused`] when the same person confirms
    /// their own proposal.
    pub async fn review_held(
        &self,
        reference: &str,
        p: &Principal,
        name: &str,
        input: ReviewIn,
    ) -> Result<HeldView, Error> {
        let view = self.held_review(reference, p).await?;
        if !p.can("oversight:review") || p.org.id != view.case.org_id {
            return Err(Error::Refused(
                "only the organisation's reviewers may review its held decisions".into(),
            ));
        }
        if !view.moves.iter().any(|m| m == name) {
            return Err(Error::Conflict(format!(
                "`{name}` is not open to you on this review now (it is {}{})",
                view.case.projection.state,
                if view.moves.is_empty() {
                    String::new()
                } else {
                    format!("; you may: {}", view.moves.join(", "))
                }
            )));
        }
        let t = CaseType::oversight();
        let (case, stored) = self.store().case_by_reference(reference).await?;
        let erased = || Error::Conflict("this review's record was erased".into());
        let mut c = Self::replay(&case, &stored)?.ok_or_else(erased)?;
        let key = case.entry_key.clone().ok_or_else(erased)?;
        let user = p.user.as_ref().map(|u| u.id);
        let mut fields = BTreeMap::new();
        let reasons = text_field("reasons", &input.reasons, false)?;
        let (outcome, new_output) = if name == "confirm" {
            let proposed = proposal(&c, &stored, user)?;
            let outcome = proposed.fields.get("outcome").cloned().unwrap_or_default();
            let output = proposed.fields.get("new_output").and_then(|s| serde_json::from_str(s).ok());
            if reasons.is_empty()
                && let Some(r) = proposed.fields.get("reasons")
            {
                fields.insert("reasons".to_owned(), r.clone());
            }
            (outcome, output)
        } else {
            (input.outcome.clone(), input.new_output.clone())
        };
        if !reasons.is_empty() {
            fields.insert("reasons".to_owned(), reasons);
        }
        if !REVIEW_OUTCOMES.contains(&outcome.as_str()) {
            return Err(Error::bad("outcome", format!("must be one of {}", REVIEW_OUTCOMES.join(", "))));
        }
        let original = view
            .record
            .as_ref()
            .map(|r| r.output.clone())
            .ok_or_else(|| Error::Conflict("the held decision's record was erased".into()))?;
        let output = if outcome == "confirmed" {
            original
        } else {
            let v = new_output.ok_or_else(|| {
                Error::bad("new_output", "say what the decision becomes when the person changes it")
            })?;
            check_output(&v)?;
            if v == original {
                return Err(Error::bad(
                    "new_output",
                    "is the AI's own output; record `confirmed` when the person agrees with it",
                ));
            }
            fields.insert("new_output".to_owned(), v.to_string());
            v
        };
        fields.insert("outcome".to_owned(), outcome);
        if name != "propose" {
            // A final decision logged by an earlier attempt that stopped before the case moved is
            // the one this move records, if it says the same; it is never logged twice.
            let new = match self.store().superseded_by(&case.subject).await? {
                Some(done) => {
                    let logged = self.store().decision(&done).await?.record_json.and_then(|r| {
                        mizan_formats::DecisionRecord::from_canonical(&r).ok().map(|r| r.output)
                    });
                    if logged.as_ref() != Some(&output) {
                        return Err(Error::Conflict(format!(
                            "a final decision ({done}) was already logged with another output; record that one"
                        )));
                    }
                    done
                }
                None => self.supersede(&case, &output, roles::PROVIDER_REVIEWER).await?,
            };
            fields.insert("new_decision".to_owned(), new);
        }
        let start = c.history.len();
        let m =
            Move { name: name.to_owned(), role: roles::PROVIDER_REVIEWER.to_owned(), fields, at: self.now() };
        apply_move(t, &mut c, &m)?;
        let new = Self::entries_for(&key, start, &c, user)?;
        let mut proj: CaseProjection = projection(t, &c, Some(&case.projection));
        if name != "propose" {
            proj.decided_by = user;
        }
        let version = self.store().decision(&case.subject).await?.system_version;
        self.store().append_case(Some(p.scope()), &case, version, &new, &proj).await?;
        self.held_review(reference, p).await
    }
}
