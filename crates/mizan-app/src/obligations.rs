//! The obligations of a system and where each stands: the obligations its classification
//! brings (with the NIST AI RMF and ISO/IEC 42001 items each maps to) joined with the status and
//! evidence its provider records. The provider works on the checklist; the regulator, the ethics
//! board and, for a registered system, the public read it.

use mizan_rules::Bilingual;
use mizan_store::{ObligationStatus, OrgScope};

use crate::Error;

/// One obligation and its recorded state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObligationItem {
    /// Obligation id (`EU-RISK-MANAGEMENT`).
    pub id: String,
    /// What to do, in both languages.
    pub text: Bilingual,
    /// The clause.
    pub cite: String,
    /// NIST AI RMF subcategories it maps to.
    pub nist: Vec<String>,
    /// ISO/IEC 42001 Annex A controls it maps to.
    pub iso: Vec<String>,
    /// `not_started`, `in_progress`, `done` or `not_applicable`.
    pub status: String,
    /// Link to the evidence ("" if none).
    pub evidence_url: String,
    /// The provider's note ("" if none).
    pub note: String,
    /// Last change ("" if never).
    pub updated_at: String,
}

/// How many obligations stand at each status: (done, in progress, not started, not applicable).
#[must_use]
pub fn tally(items: &[ObligationItem]) -> (usize, usize, usize, usize) {
    let n = |s: &str| items.iter().filter(|i| i.status == s).count();
    (n("done"), n("in_progress"), n("not_started"), n("not_applicable"))
}

/// A stored classification as it stands after a regulator's tier override: the obligations
/// recomputed for the new tier from the answers on its path (the computed tier stays, beside
/// the override)
/// ([`mizan_rules::Ruleset::obligations_as`]; answers stored under an older ruleset are
/// migrated first). Without an override, or when the stored answers do not classify under this
/// ruleset (a question it added), the stored result as it is.
#[must_use]
pub fn with_override(result: &serde_json::Value, tier: Option<&str>) -> serde_json::Value {
    let Some(tier) = tier.filter(|t| result["tier"].as_str() != Some(*t)) else { return result.clone() };
    let Ok(rs) = mizan_rules::Ruleset::embedded() else { return result.clone() };
    let Ok(new_tier) = serde_json::from_value::<mizan_rules::Tier>(serde_json::Value::from(tier)) else {
        return result.clone();
    };
    let answers: mizan_rules::Answers = result["path"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| Some((s["question"].as_str()?.to_owned(), s["answer"].as_str()?.to_owned())))
        .collect();
    let answers = rs.migrate_answers(&answers);
    let Ok(obligations) = rs.obligations_as(&answers, new_tier) else { return result.clone() };
    let mut out = result.clone();
    out["obligations"] = serde_json::to_value(obligations).unwrap_or_default();
    out
}

fn items(
    result: &serde_json::Value,
    statuses: &std::collections::BTreeMap<String, ObligationStatus>,
) -> Result<Vec<ObligationItem>, Error> {
    let obligations: Vec<mizan_rules::Obligation> = serde_json::from_value(result["obligations"].clone())
        .map_err(|e| Error::Internal(format!("stored classification: {e}")))?;
    let crosswalk = mizan_rules::crosswalk::Crosswalk::embedded()?;
    Ok(obligations
        .into_iter()
        .map(|o| {
            let mapping = crosswalk.for_obligation(&o.id);
            let st = statuses.get(&o.id);
            ObligationItem {
                text: o.text,
                cite: o.cite,
                nist: mapping.map(|m| m.nist.clone()).unwrap_or_default(),
                iso: mapping.map(|m| m.iso.clone()).unwrap_or_default(),
                status: st.map_or_else(|| "not_started".to_owned(), |s| s.status.clone()),
                evidence_url: st.map(|s| s.evidence_url.clone()).unwrap_or_default(),
                note: st.map(|s| s.note.clone()).unwrap_or_default(),
                updated_at: st.map(|s| s.updated_at.clone()).unwrap_or_default(),
                id: o.id,
            }
        })
        .collect())
}

impl crate::Platform {
    /// The checklist of one of `scope`'s systems: the obligations of its latest submitted
    /// version's classification or, before the first submission, of its complete risk answers;
    /// empty when neither exists yet.
    ///
    /// # Errors
    /// [`Error`] not found outside the scope; store errors.
    pub async fn org_obligations(
        &self,
        scope: OrgScope,
        public_id: &str,
    ) -> Result<Vec<ObligationItem>, Error> {
        let store = self.store();
        let view = store.org_system(scope, public_id).await?;
        let version = view.summary.latest_version;
        let overridden = store.tier_override(public_id, version).await?.map(|o| o.tier);
        let result = match store.classification(Some(scope), public_id, version).await? {
            Some(c) => Some(with_override(&c.result, overridden.as_deref())),
            None => {
                let answers = store.risk_answers(scope, public_id).await?;
                mizan_rules::Ruleset::embedded()?
                    .classify(&answers)
                    .ok()
                    .and_then(|c| serde_json::to_value(c).ok())
            }
        };
        let Some(result) = result else { return Ok(vec![]) };
        items(&result, &store.obligation_statuses(scope, public_id).await?)
    }

    /// The obligations of `version` of system `public_id` and where each stands, as the provider
    /// reports it; empty when the version has no classification. For the regulator and the
    /// ethics board, and for the public register's registered version; the provider's notes are
    /// left out unless `with_notes`.
    ///
    /// # Errors
    /// Store errors.
    pub async fn version_obligations(
        &self,
        public_id: &str,
        version: i64,
        with_notes: bool,
    ) -> Result<Vec<ObligationItem>, Error> {
        let store = self.store();
        let Some(c) = store.classification(None, public_id, version).await? else { return Ok(vec![]) };
        let overridden = store.tier_override(public_id, version).await?.map(|o| o.tier);
        let result = with_override(&c.result, overridden.as_deref());
        let mut out = items(&result, &store.system_obligation_statuses(public_id).await?)?;
        if !with_notes {
            for i in &mut out {
                i.note.clear();
            }
        }
        Ok(out)
    }
}
