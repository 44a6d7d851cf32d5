//! Demo access requests for restricted datasets, with histories in the past: one approved (so
//! the demo researcher can download the bank's microfinance repayments), one refused, and one
//! waiting for the citizen-services steward, who can decide it in the browser.

use std::collections::BTreeMap;

use mizan_cases::{Case, CaseType, Move};
use mizan_store::NewCase;
use time::Duration;

use crate::dataset_access::{DATA_ACCESS, roles, subject_of};
use crate::{Error, Platform};

/// The demo researcher who asks.
pub const RESEARCHER: &str = "researcher@pide.demo";

/// A demo request.
struct DemoRequest {
    reference: &'static str,
    dataset: &'static str,
    purpose: &'static str,
    project: &'static str,
    variables: &'static [&'static str],
    duration_days: i64,
    asked_days_ago: i64,
    /// The decision: move, days after asking, reasons, and who decided.
    decision: Option<(&'static str, i64, &'static str, &'static str)>,
    /// A sandbox project (private queries, never the files).
    sandbox: bool,
}

const REQUESTS: &[DemoRequest] = &[
    DemoRequest {
        reference: "DA-DEM0000001",
        dataset: "microfinance-repayments",
        purpose: "Estimate how repayment rates differ by province and gender of borrower, to test whether \
                  credit-scoring models trained on these loans would treat women borrowers in Balochistan \
                  and Khyber Pakhtunkhwa fairly.",
        project: "PIDE working paper: fairness of credit scoring in microfinance",
        variables: &[],
        duration_days: 180,
        asked_days_ago: 12,
        decision: Some((
            "approve",
            5,
            "Approved for the stated study. Keep the files on PIDE's research servers only, do not link \
             them with other data about the same borrowers, and delete them when the agreement ends.",
            "admin@indus-bank.demo",
        )),
        sandbox: false,
    },
    DemoRequest {
        reference: "DA-DEM0000002",
        dataset: "citizen-service-complaints",
        purpose: "Study how long complaints take to resolve in each district.",
        project: "Service delivery timeliness review",
        variables: &[],
        duration_days: 365,
        asked_days_ago: 40,
        decision: Some((
            "refuse",
            9,
            "Refused: the study needs districts and dates, not complainants' names and e-mail addresses. \
             Ask again for only the columns the study needs.",
            "steward@citizen-services.demo",
        )),
        sandbox: false,
    },
    DemoRequest {
        reference: "DA-DEM0000003",
        dataset: "citizen-service-complaints",
        purpose: "Study how long complaints take to resolve in each district and category, to find where \
                  automated triage would help most.",
        project: "Service delivery timeliness review",
        variables: &[
            "submitted_on",
            "province",
            "district",
            "category",
            "department",
            "status",
            "days_to_resolve",
        ],
        duration_days: 90,
        asked_days_ago: 2,
        decision: None,
        sandbox: false,
    },
    DemoRequest {
        reference: "DA-DEM0000004",
        dataset: "microfinance-repayments",
        purpose: "Measure repayment on time by province, gender and loan purpose, and the average loan, to \
                  see where the 2022 floods left borrowers behind, without seeing any borrower.",
        project: "PIDE policy brief: microfinance after the 2022 floods",
        variables: &[],
        duration_days: 365,
        asked_days_ago: 6,
        decision: Some((
            "approve",
            2,
            "Approved as a sandbox project: differentially private answers only, within the budget our \
             settings give each project.",
            "admin@indus-bank.demo",
        )),
        sandbox: true,
    },
];

/// Files the demo access requests that are not there yet. Returns how many it filed.
///
/// # Errors
/// Store errors.
pub async fn seed_data_access(p: &Platform) -> Result<usize, Error> {
    let Some((researcher, _)) = p.store().user_for_login(RESEARCHER).await? else { return Ok(0) };
    let t = CaseType::data_access();
    let now = p.now().replace_nanosecond(0).unwrap_or_else(|_| p.now());
    let mut filed = 0;
    for r in REQUESTS {
        match p.store().case_by_reference(r.reference).await {
            Ok(_) => continue,
            Err(mizan_store::StoreError::NotFound { .. }) => {}
            Err(e) => return Err(e.into()),
        }
        let view = match p.public_dataset(r.dataset, None).await {
            Ok(v) => v,
            Err(Error::NotFound(_)) => continue,
            Err(e) => return Err(e),
        };
        let columns: Vec<String> = view.meta.dictionary.iter().map(|c| c.name.clone()).collect();
        let variables: Vec<&str> =
            r.variables.iter().copied().filter(|v| columns.iter().any(|c| c == v)).collect();
        let agreement = mizan_catalog::vocab::terms("data-sharing-agreement")
            .ok_or_else(|| Error::Internal("the data-sharing agreement is missing".into()))?;
        let asked = now - Duration::days(r.asked_days_ago);
        let mut fields = BTreeMap::from([
            ("dataset".to_owned(), r.dataset.to_owned()),
            ("version".to_owned(), view.stored.version.to_string()),
            ("purpose".to_owned(), r.purpose.split_whitespace().collect::<Vec<_>>().join(" ")),
            ("project".to_owned(), r.project.to_owned()),
            ("variables".to_owned(), variables.join(", ")),
            ("duration_days".to_owned(), r.duration_days.to_string()),
            ("agreement".to_owned(), format!("{}@{}", agreement.id, agreement.version)),
        ]);
        if r.sandbox {
            fields.insert("kind".to_owned(), crate::dataset_access::KIND_SANDBOX.to_owned());
            fields.insert("members".to_owned(), String::new());
        }
        let mut case = Case::open(t, roles::APPLICANT, fields, asked);
        let mut decider = None;
        if let Some((name, after, reasons, by)) = r.decision {
            let m = Move {
                name: name.to_owned(),
                role: roles::STEWARD.to_owned(),
                fields: BTreeMap::from([(
                    "reasons".to_owned(),
                    reasons.split_whitespace().collect::<Vec<_>>().join(" "),
                )]),
                at: asked + Duration::days(after),
            };
            crate::appeals::apply_move(t, &mut case, &m)?;
            decider = p.store().user_for_login(by).await?.map(|(u, _)| u.id);
        }
        // Deadlines that passed before now fire as they would have.
        case.tick(t, now);
        let key = crate::appeals::random_hex(32);
        let mut entries = Platform::entries_for(&key, 0, &case, Some(researcher.id))?;
        for e in entries.iter_mut().filter(|e| e.seq > 0 && e.actor_user.is_some()) {
            e.actor_user = decider;
        }
        let new = NewCase {
            reference: r.reference.to_owned(),
            case_type: DATA_ACCESS.to_owned(),
            type_version: i64::from(t.version),
            org_id: view.stored.org_id,
            system_id: None,
            system_version: view.stored.version,
            subject: subject_of(r.dataset),
            token_hash: String::new(),
            entry_key: key,
            lang: "en".to_owned(),
            contact_email: None,
            contact_phone: None,
            publish_consent: false,
            grounds_category: String::new(),
            document: None,
        };
        p.store().open_case(&new, &entries, &crate::appeals::projection(t, &case, None)).await?;
        filed += 1;
    }
    Ok(filed)
}
