//! Demo oversight: the personal-loan system holds every declined application and every close
//! call for a person's review. Six declined applications are logged under that policy; the
//! bank's reviewer has confirmed two and reversed one, and three wait in the queue
//! (`/app/oversight`), so a newcomer sees a held receipt, a review and a final decision, and the
//! public figures on the register. Seeding is idempotent: nothing is done once the system has a
//! policy.

use mizan_store::{OrgScope, StoreError};

use crate::held::{OVERSIGHT, ReviewIn};
use crate::{Error, Platform};

/// The demo policy: declined applications and scores within 0.05 of 0.5.
const POLICY: &str = r#"{"adverse_outputs": ["decline"], "margin": {"threshold": 0.5, "width": 0.05}}"#;

/// How many held decisions the demo logs.
const HELD: usize = 6;

/// Sets the demo loan system's oversight policy and logs and reviews its held decisions.
/// Returns how many decisions it held; none when they are there, or the demo decisions are not.
///
/// # Errors
/// Store, model file and ledger errors.
pub async fn seed_oversight(p: &Platform) -> Result<usize, Error> {
    let org = p.store().org_by_slug(super::DECISION_SYSTEM.0).await?;
    let scope = OrgScope::new(org.id);
    let Some(system) = p
        .store()
        .org_systems(scope)
        .await?
        .into_iter()
        .find(|s| s.name_en == super::DECISION_SYSTEM.1 && s.is_demo)
    else {
        return Ok(0);
    };
    let id = system.public_id.clone();
    if !p.store().oversight_policy_history(&id).await?.is_empty() {
        return Ok(0);
    }
    let target = match p.store().decision_target(scope, &id, 0).await {
        Ok(t) => t,
        Err(StoreError::Conflict(_)) => return Ok(0),
        Err(e) => return Err(e.into()),
    };
    let Some((admin, _)) = p.store().user_for_login("admin@indus-bank.demo").await? else { return Ok(0) };
    let Some(reviewer) = p.store().principal_for_user(admin).await? else { return Ok(0) };
    let policy: serde_json::Value =
        serde_json::from_str(POLICY).map_err(|e| Error::Internal(format!("demo policy: {e}")))?;
    p.set_oversight_policy(&reviewer, &id, target.registered_version(), &policy).await?;

    let model = mizan_explain::load_model(super::LOAN_MODEL)
        .map_err(|e| Error::Internal(format!("demo model: {e}")))?;
    let files = p.models().clone();
    let sha256 = tokio::task::spawn_blocking(move || files.put(super::LOAN_MODEL))
        .await
        .map_err(|e| Error::Internal(e.to_string()))?
        .map_err(|e| Error::Internal(e.to_string()))?;
    let now = p.now().min(time::OffsetDateTime::now_utc());
    let mut items = Vec::new();
    for i in 0..1000 {
        if items.len() == HELD {
            break;
        }
        let mut d = super::demo_decision(&model, &sha256, 500 + i, 1000, target.registered_version())?;
        if d["output"] != "decline" {
            continue;
        }
        let n = items.len();
        let when = now - time::Duration::hours(i64::try_from(3 * n + 1).unwrap_or(1));
        d["idempotency_key"] = format!("demo-held-{n}").into();
        d["subject_ref"] = format!("demo-held-applicant-{n}").into();
        d["human"] = serde_json::json!({"involved": false, "by": null});
        d["decided_at"] = when
            .replace_nanosecond(0)
            .unwrap_or(when)
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default()
            .into();
        items.push(d);
    }
    let (receipts, _) = p.log_decisions(scope, &id, items).await?;
    // The reviewer's work: two confirmed, one reversed; the rest wait.
    let reviews = [
        ("confirmed", None, "The applicant has four open loans; the decline stands."),
        ("reversed", Some("approve"), "Income was verified from salary slips; approved."),
        ("confirmed", None, "Credit history is too short for this amount."),
    ];
    for (r, (outcome, output, reasons)) in receipts.iter().zip(reviews) {
        let Some(case) = p.store().open_case_about(OVERSIGHT, &r.reference).await? else { continue };
        let input = ReviewIn {
            outcome: outcome.to_owned(),
            new_output: output.map(|o| serde_json::Value::String(o.to_owned())),
            reasons: reasons.to_owned(),
        };
        p.review_held(&case, &reviewer, "review", input).await?;
    }
    Ok(receipts.iter().filter(|r| r.status != "in_effect").count())
}
