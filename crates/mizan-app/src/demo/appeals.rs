//! Demo appeals: one in every state a newcomer should be able to open (filed, late, upheld,
//! reversed with its superseding decision, escalated, closed by the regulator, withdrawn), on
//! declined demo loan decisions. The first carries a document (a one-page PDF), the one the
//! regulator closed a public summary its filer consented to.
//!
//! Deadlines count from when a case entered its state, and the demo runs on the real clock, so
//! a late or escalated case needs a history in the past. Each one is built with the case engine
//! (`Case::open`, `apply`, `tick`) at times before now and stored in one transaction with the
//! same entries, commitments and events a filing and its moves store, so its history replays
//! and the events log commits to it. Status secrets are fixed per case ([`APPEALS`], listed in
//! the README and printed on start) so the status pages can be opened; they are demo data.
//! Seeding is idempotent: a case whose reference exists is left alone.

use std::collections::BTreeMap;

use mizan_cases::{Case, CaseType, Move};
use serde_json::Value;
use time::{Duration, OffsetDateTime};

use crate::appeals::{APPEAL, PastAppeal, roles};
use crate::{Error, Platform};

/// A demo appeal: where it stands and how to open its status page.
#[derive(Debug, Clone, Copy)]
pub struct DemoAppeal {
    /// Its reference (`AP-` and ten of `0-9A-Z` without I, L, O, U: `DEM0` ends in a zero).
    pub reference: &'static str,
    /// The status link's secret (demo data; real ones are random).
    pub token: &'static str,
    /// Where it stands, in a few words.
    pub what: &'static str,
    /// The state it ends in.
    pub state: &'static str,
    /// Whether it missed a deadline.
    pub late: bool,
    /// The demo decision it appeals (`demo-loan-NNN`; all declined).
    decision: usize,
    /// Filing language.
    lang: &'static str,
    /// Grounds category, grounds and disputed factor.
    filing: (&'static str, &'static str, &'static str),
    /// Hours before now it was filed.
    filed_hours_ago: i64,
    /// What happened next, each with hours before now.
    steps: &'static [(i64, Step)],
    /// The name of a document filed with it ([`DEMO_PDF`]).
    document: Option<&'static str>,
    /// A public summary, written with its last decision or settlement; the filer consented.
    summary: Option<&'static str>,
}

/// The demo's document: a one-page PDF saying it is demo data.
pub const DEMO_PDF: &[u8] = b"%PDF-1.4\n\
1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n\
2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n\
3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 300 144]/Contents 4 0 R/Resources<</Font<</F1 5 0 R>>>>>>endobj\n\
4 0 obj<</Length 53>>stream\n\
BT /F1 14 Tf 20 100 Td (Salary slip: demo data) Tj ET\n\
endstream endobj\n\
5 0 obj<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>endobj\n\
trailer<</Root 1 0 R>>\n\
%%EOF\n";

/// A move in a demo appeal's history.
#[derive(Debug, Clone, Copy)]
enum Step {
    /// The bank's reviewer decides: outcome, reasons, and the new output when it changes.
    Decide(&'static str, &'static str, Option<&'static str>),
    /// The person disputes the outcome: grounds.
    Dispute(&'static str),
    /// The regulator upholds the outcome: reasons.
    Uphold(&'static str),
    /// The person withdraws: reasons.
    Withdraw(&'static str),
}

const DAY: i64 = 24;

/// Every demo appeal.
pub const APPEALS: &[DemoAppeal] = &[
    DemoAppeal {
        reference: "AP-DEM0000001",
        token: "demo-appeal-filed",
        what: "filed, awaiting the bank",
        state: "filed",
        late: false,
        decision: 13,
        lang: "en",
        filing: (
            "wrong-data",
            "My monthly income is PKR 140,000, not what the bank recorded. My salary slips show it.",
            "monthly_income_pkr",
        ),
        filed_hours_ago: 2 * DAY + 5,
        steps: &[],
        document: Some("salary-slip.pdf"),
        summary: None,
    },
    DemoAppeal {
        reference: "AP-DEM0000002",
        token: "demo-appeal-late",
        what: "filed in Urdu; the bank missed its 15-day deadline: late",
        state: "filed",
        late: true,
        decision: 2,
        lang: "ur",
        filing: (
            "unfair",
            "میں نے اپنے تمام پچھلے قرضے وقت پر ادا کیے ہیں، پھر بھی درخواست مسترد کر دی گئی۔",
            "existing_loans",
        ),
        filed_hours_ago: 18 * DAY + 3,
        steps: &[],
        document: None,
        summary: None,
    },
    DemoAppeal {
        reference: "AP-DEM0000003",
        token: "demo-appeal-upheld",
        what: "decided: the bank upheld the decision",
        state: "decided",
        late: false,
        decision: 5,
        lang: "en",
        filing: (
            "unexplained",
            "Nobody told me why my application was declined. I have worked at the same firm for years.",
            "months_at_employer",
        ),
        filed_hours_ago: 12 * DAY + 7,
        steps: &[(
            5 * DAY + 2,
            Step::Decide(
                "upheld",
                "A credit officer checked your application again. Your record shows three loans still \
                 being repaid, and the instalments would take more than half of your income; the \
                 decision stands. You may apply again once one of the loans is repaid.",
                None,
            ),
        )],
        document: None,
        summary: None,
    },
    DemoAppeal {
        reference: "AP-DEM0000004",
        token: "demo-appeal-reversed",
        what: "decided: the bank reversed the decision and logged a new one",
        state: "decided",
        late: false,
        decision: 9,
        lang: "en",
        filing: (
            "wrong-data",
            "The bank's record says I have no credit history, but I have had a credit card for years.",
            "credit_history_months",
        ),
        filed_hours_ago: 10 * DAY + 4,
        steps: &[(
            3 * DAY + 6,
            Step::Decide(
                "reversed",
                "You were right: your credit card history was missing from the bureau report we used. \
                 With it, your application meets our criteria, and the loan is approved.",
                Some("approve"),
            ),
        )],
        document: None,
        summary: None,
    },
    DemoAppeal {
        reference: "AP-DEM0000005",
        token: "demo-appeal-escalated",
        what: "escalated: the person disputed the outcome; before the regulator",
        state: "escalated",
        late: false,
        decision: 0,
        lang: "en",
        filing: (
            "unfair",
            "I think the score is unfair to people like me who changed jobs recently.",
            "months_at_employer",
        ),
        filed_hours_ago: 20 * DAY + 1,
        steps: &[
            (
                14 * DAY + 3,
                Step::Decide(
                    "upheld",
                    "Time with the current employer is one of four factors, applied to every applicant \
                     alike; your income and existing loans also weighed against approval.",
                    None,
                ),
            ),
            (
                6 * DAY + 9,
                Step::Dispute(
                    "I moved to a better-paid job in the same industry. Treating that as a risk is unfair, \
                     and the bank did not look at my letter of appointment.",
                ),
            ),
        ],
        document: None,
        summary: None,
    },
    DemoAppeal {
        reference: "AP-DEM0000006",
        token: "demo-appeal-closed",
        what: "closed: disputed, then the regulator upheld the bank's outcome",
        state: "closed",
        late: false,
        decision: 1,
        lang: "en",
        filing: ("other", "I want a person to look at my application, not a computer.", "existing_loans"),
        filed_hours_ago: 19 * DAY + 6,
        steps: &[
            (
                13 * DAY + 4,
                Step::Decide(
                    "upheld",
                    "A credit officer read your application in full. The decision stands because of the \
                     loans you are still repaying.",
                    None,
                ),
            ),
            (10 * DAY + 2, Step::Dispute("The officer did not explain which loans were counted.")),
            (
                2 * DAY + 5,
                Step::Uphold(
                    "The Directorate reviewed the bank's file. The loans counted are listed in the \
                     decision record, the scorecard was applied as registered, and the bank's reasons \
                     are adequate. The outcome stands.",
                ),
            ),
        ],
        document: None,
        summary: Some(
            "A person asked for a human review of a declined personal loan. The bank and then the regulator \
             checked which existing loans were counted; they were counted correctly, and the decision stands.",
        ),
    },
    DemoAppeal {
        reference: "AP-DEM0000007",
        token: "demo-appeal-withdrawn",
        what: "withdrawn by the person",
        state: "withdrawn",
        late: false,
        decision: 10,
        lang: "en",
        filing: ("unexplained", "Why was I declined?", "monthly_income_pkr"),
        filed_hours_ago: 8 * DAY + 2,
        steps: &[(6 * DAY + 8, Step::Withdraw("I got a loan from another bank."))],
        document: None,
        summary: None,
    },
];

/// Files the demo appeals that are not there yet, with their histories in the past. Returns
/// how many it stored; none when the demo decisions are not logged.
///
/// # Errors
/// Store and ledger errors (the reversed appeal logs its superseding decision).
pub async fn seed_appeals(p: &Platform) -> Result<usize, Error> {
    let keys: Vec<String> = APPEALS.iter().map(|a| super::demo_key(a.decision)).collect();
    let Some((org_id, decisions)) = super::loan_decisions(p, &keys).await? else { return Ok(0) };
    let mut users = BTreeMap::new();
    for (role, email) in
        [(roles::PROVIDER_REVIEWER, "admin@indus-bank.demo"), (roles::REGULATOR, "admin@regulator.demo")]
    {
        if let Some((u, _)) = p.store().user_for_login(email).await? {
            users.insert(role, u.id);
        }
    }
    let now = p.now().replace_nanosecond(0).unwrap_or_else(|_| p.now());
    let mut stored = 0;
    for (a, key) in APPEALS.iter().zip(&keys) {
        match p.store().case_by_reference(a.reference).await {
            Ok(_) => continue,
            Err(mizan_store::StoreError::NotFound { .. }) => {}
            Err(e) => return Err(e.into()),
        }
        let Some(d) = decisions.get(key) else { continue };
        let decided = OffsetDateTime::parse(&d.decided_at, &time::format_description::well_known::Rfc3339)
            .map_err(|e| Error::Internal(format!("stored decision time: {e}")))?;
        if decided >= now - Duration::hours(a.filed_hours_ago) {
            tracing::info!(appeal = a.reference, "demo appeal not filed: its decision is more recent");
            continue;
        }
        if let Some(open) = p.store().open_case_about(crate::appeals::APPEAL, &d.reference).await? {
            tracing::info!(appeal = a.reference, %open, "demo appeal not filed: its decision has an open appeal");
            continue;
        }
        let document = match a.document {
            Some(name) => Some(crate::documents::check(
                "document",
                crate::documents::DocumentIn {
                    name: name.to_owned(),
                    declared_type: None,
                    bytes: bytes::Bytes::from_static(DEMO_PDF),
                },
                usize::MAX,
            )?),
            None => None,
        };
        let case =
            build(p, a, org_id, &d.reference, now, document.as_ref().map(|d| d.sha256.as_str())).await?;
        p.store_past_appeal(&PastAppeal {
            reference: a.reference,
            token: a.token,
            subject: &d.reference,
            lang: a.lang,
            case: &case,
            users: &users,
            consent: a.summary.is_some(),
            document,
        })
        .await?;
        stored += 1;
    }
    Ok(stored)
}

/// The case of `a` on decision `subject`, its moves made at their past times and its deadlines
/// fired up to `now`. A reversal logs its superseding decision (once: it is keyed by the appeal).
async fn build(
    p: &Platform,
    a: &DemoAppeal,
    org_id: i64,
    subject: &str,
    now: OffsetDateTime,
    document: Option<&str>,
) -> Result<Case, Error> {
    let t = CaseType::appeal();
    let ago = |hours: i64| now - Duration::hours(hours);
    let (category, grounds, disputed) = a.filing;
    let mut fields = BTreeMap::from([
        ("category".to_owned(), category.to_owned()),
        ("grounds".to_owned(), grounds.to_owned()),
        ("disputed".to_owned(), disputed.to_owned()),
    ]);
    if let Some(sha256) = document {
        fields.insert(crate::appeals::DOCUMENT_FIELD.to_owned(), sha256.to_owned());
    }
    let mut case = Case::open(t, roles::APPELLANT, fields, ago(a.filed_hours_ago));
    // The summary goes with the last decision or settlement.
    let summary_at = a.steps.iter().rposition(|(_, step)| matches!(step, Step::Decide(..) | Step::Uphold(_)));
    for (i, &(hours, step)) in a.steps.iter().enumerate() {
        let at = ago(hours);
        let (name, role, fields) = match step {
            Step::Decide(outcome, reasons, new_output) => {
                let mut f = BTreeMap::from([
                    ("outcome".to_owned(), outcome.to_owned()),
                    ("reasons".to_owned(), reasons.to_owned()),
                ]);
                if let Some(output) = new_output {
                    let v = Value::String(output.to_owned());
                    let new = match p.store().superseded_by(subject).await? {
                        Some(new) => new,
                        None => {
                            p.supersede_at(
                                org_id,
                                subject,
                                (APPEAL, a.reference),
                                &v,
                                roles::PROVIDER_REVIEWER,
                                at,
                            )
                            .await?
                        }
                    };
                    f.insert("new_output".to_owned(), v.to_string());
                    f.insert("new_decision".to_owned(), new);
                }
                ("decide", roles::PROVIDER_REVIEWER, f)
            }
            Step::Dispute(grounds) => {
                ("dispute", roles::APPELLANT, BTreeMap::from([("grounds".to_owned(), grounds.to_owned())]))
            }
            Step::Uphold(reasons) => {
                ("uphold", roles::REGULATOR, BTreeMap::from([("reasons".to_owned(), reasons.to_owned())]))
            }
            Step::Withdraw(reasons) => {
                ("withdraw", roles::APPELLANT, BTreeMap::from([("reasons".to_owned(), reasons.to_owned())]))
            }
        };
        let mut fields = fields;
        if let (Some(summary), true) = (a.summary, summary_at == Some(i)) {
            fields.insert("summary".to_owned(), summary.to_owned());
        }
        let m = Move { name: name.to_owned(), role: role.to_owned(), fields, at };
        case.apply(t, &m).map_err(|e| Error::Internal(format!("demo appeal `{}`: {e}", a.reference)))?;
    }
    case.tick(t, now);
    Ok(case)
}
