//! Demo data for `mizan serve --demo`: a regulator, two providers, a government department, a
//! user for every role, and realistic AI systems in Pakistani settings, every one marked as
//! demo data. Seeding is idempotent: a second run finds the demo organisations and stops.

use mizan_register::{Record, Status};
use mizan_store::{
    ActorRef, OrgKind, OrgScope, RegulatorScope, ReviewDecision, ReviewerScope, Store, StoreError,
};
use serde_json::json;

use crate::passwords::hash_password;

mod appeals;
mod data_access;
mod datasets;
mod grid;
mod oversight;
mod sandbox;

pub use appeals::{APPEALS, DemoAppeal, seed_appeals};
pub use data_access::{RESEARCHER, seed_data_access};
pub use grid::seed_grid;
pub use oversight::seed_oversight;
pub use sandbox::{PROJECT as SANDBOX_PROJECT, seed_sandbox};

/// A demo account to print on start.
#[derive(Debug, Clone)]
pub struct DemoUser {
    /// Sign-in e-mail.
    pub email: &'static str,
    /// Password (demo only).
    pub password: &'static str,
    /// Role.
    pub role: &'static str,
    /// Organisation slug.
    pub org: &'static str,
}

/// Every demo account.
pub const USERS: &[DemoUser] = &[
    DemoUser {
        email: "admin@regulator.demo",
        password: "demo-regulator",
        role: "regulator-admin",
        org: "demo-regulator",
    },
    DemoUser {
        email: "reviewer@regulator.demo",
        password: "demo-reviewer",
        role: "reviewer",
        org: "demo-regulator",
    },
    DemoUser {
        email: "reviewer2@regulator.demo",
        password: "demo-reviewer2",
        role: "reviewer",
        org: "demo-regulator",
    },
    DemoUser {
        email: "reviewer3@regulator.demo",
        password: "demo-reviewer3",
        role: "reviewer",
        org: "demo-regulator",
    },
    DemoUser {
        email: "admin@indus-bank.demo",
        password: "demo-bank-admin",
        role: "provider-admin",
        org: "demo-indus-bank",
    },
    DemoUser {
        email: "editor@indus-bank.demo",
        password: "demo-bank-editor",
        role: "provider-editor",
        org: "demo-indus-bank",
    },
    DemoUser {
        email: "admin@rahbar-health.demo",
        password: "demo-health-admin",
        role: "provider-admin",
        org: "demo-rahbar-health",
    },
    DemoUser {
        email: "admin@citizen-services.demo",
        password: "demo-gov-admin",
        role: "provider-admin",
        org: "demo-citizen-services",
    },
    DemoUser {
        email: "steward@citizen-services.demo",
        password: "demo-steward",
        role: "steward",
        org: "demo-citizen-services",
    },
    DemoUser {
        email: "researcher@pide.demo",
        password: "demo-researcher",
        role: "researcher",
        org: "demo-pide",
    },
    DemoUser { email: "reviewer@grid.demo", password: "demo-grid", role: "grid-reviewer", org: "demo-grid" },
    DemoUser {
        email: "researcher@uet-peshawar.demo",
        password: "demo-uet",
        role: "researcher",
        org: "demo-uet-peshawar",
    },
    DemoUser {
        email: "founder@sehat-ai.demo",
        password: "demo-sehat",
        role: "provider-admin",
        org: "demo-sehat-ai",
    },
    DemoUser {
        email: "founder@zarai-labs.demo",
        password: "demo-zarai",
        role: "provider-admin",
        org: "demo-zarai-labs",
    },
    DemoUser {
        email: "researcher@buitems.demo",
        password: "demo-buitems",
        role: "researcher",
        org: "demo-buitems",
    },
];

const ORGS: &[(&str, &str, OrgKind)] = &[
    ("demo-regulator", "AI Regulatory Directorate (demo)", OrgKind::Regulator),
    ("demo-indus-bank", "Indus Commercial Bank (demo)", OrgKind::Provider),
    ("demo-rahbar-health", "Rahbar Health Technologies (demo)", OrgKind::Provider),
    ("demo-citizen-services", "Department of Citizen Services (demo)", OrgKind::Government),
    ("demo-pide", "Pakistan Institute of Development Economics (demo)", OrgKind::Government),
    ("demo-grid", "National Compute Grid (demo)", OrgKind::Government),
    ("demo-uet-peshawar", "University of Engineering and Technology Peshawar (demo)", OrgKind::Government),
    ("demo-sehat-ai", "Sehat AI (demo)", OrgKind::Provider),
    ("demo-zarai-labs", "Zarai Labs (demo)", OrgKind::Provider),
    ("demo-buitems", "BUITEMS Quetta (demo)", OrgKind::Government),
];

struct DemoSystem {
    org: &'static str,
    unit: &'static str,
    name: (&'static str, &'static str),
    short: (&'static str, &'static str),
    sector: &'static str,
    purpose: &'static str,
    affected: &'static str,
    model: &'static str,
    oversight: &'static str,
    data: &'static str,
    supplier: &'static str,
    /// Final status; `Registered` twice means a second version was registered too.
    end: &'static [Status],
    /// How the risk questionnaire is answered.
    risk: Risk,
}

/// The shape of a demo system's risk answers.
#[derive(Clone, Copy)]
enum Risk {
    /// Annex III use: point number (`1`-`8`), sub-point answer, provider or deployer, with or
    /// without profiling.
    AnnexIii(&'static str, &'static str, &'static str, bool),
    /// Safety component of a regulated product (medical device).
    AnnexI,
    /// A chatbot deployed by the organisation.
    Chatbot,
    /// None of the above.
    Minimal,
}

/// Impact answers: decisions about people's livelihoods score high; planning tools low.
fn impact_answers(risk: Risk) -> mizan_rules::Answers {
    let high = [
        ("decision_type", "decides_with_review"),
        ("reversibility", "with_effort"),
        ("duration", "years"),
        ("rights_affected", "directly"),
        ("vulnerable_groups", "some"),
        ("personal_data", "sensitive"),
        ("scale", "over_1m"),
        ("opacity", "partly"),
        ("human_review", "adverse_only"),
        ("bias_testing", "before_only"),
        ("appeal_route", "yes"),
        ("logging", "yes"),
    ];
    let low = [
        ("decision_type", "informs_human"),
        ("reversibility", "easily"),
        ("duration", "brief"),
        ("rights_affected", "no"),
        ("vulnerable_groups", "no"),
        ("personal_data", "none"),
        ("scale", "under_100k"),
        ("opacity", "fully"),
        ("human_review", "all"),
        ("bias_testing", "continuously"),
        ("appeal_route", "yes"),
        ("logging", "yes"),
    ];
    let chosen = match risk {
        Risk::AnnexIii(..) | Risk::AnnexI => high,
        Risk::Chatbot | Risk::Minimal => low,
    };
    chosen.into_iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect()
}

fn risk_answers(risk: Risk) -> mizan_rules::Answers {
    // Every question answered neutrally, then what differs (ruleset 2.0.0 question ids).
    let mut a =
        mizan_rules::Ruleset::embedded().map(mizan_rules::Ruleset::neutral_answers).unwrap_or_default();
    let mut set = |k: &str, v: &str| {
        a.insert(k.to_owned(), v.to_owned());
    };
    set("is_ai_system", "yes");
    set("role", "provider");
    match risk {
        Risk::AnnexIii(area, point, role, profiling) => {
            set(&format!("annex_iii_{area}"), "yes");
            // The demo's biometric system verifies a claimed identity (1:1); Annex III point
            // 1(a) excludes verification whose sole purpose is confirming identity.
            if area == "1" {
                set("annex_iii_1a", point);
            } else {
                set(&format!("annex_iii_{area}_point"), point);
            }
            set("role", role);
            set("profiling", if profiling { "yes" } else { "no" });
            if role == "deployer" {
                // A public authority that decides about people's benefits.
                set("deployer_public", "public_authority");
                set("decisions_about_people", "yes");
                set("significant_effects", "yes");
            }
        }
        Risk::AnnexI => {
            set("annex_i_product", "section_a");
            set("annex_i_a_third_party", "yes");
        }
        Risk::Chatbot => {
            set("role", "deployer");
            set("interacts_with_people", "yes");
            set("generates_synthetic_content", "yes");
        }
        Risk::Minimal => {}
    }
    a
}

const SYSTEMS: &[DemoSystem] = &[
    DemoSystem {
        org: "demo-citizen-services",
        unit: "Identity Registration Wing",
        name: ("Face match for identity card renewal", "شناختی کارڈ کی تجدید کے لیے چہرے کی مطابقت"),
        short: (
            "Compares an applicant's live photo with the photo on record when an identity card is renewed at a registration centre.",
            "رجسٹریشن مرکز پر شناختی کارڈ کی تجدید کے وقت درخواست گزار کی تازہ تصویر کا ریکارڈ میں موجود تصویر سے موازنہ کرتا ہے۔",
        ),
        sector: "identity",
        purpose: "Reduce impersonation in card renewals and shorten queues at registration centres.",
        affected: "Every adult citizen renewing an identity card in person; about 40,000 people a day.",
        model: "Convolutional neural network producing face embeddings; cosine-similarity threshold",
        oversight: "A non-match never refuses a renewal: it sends the applicant to a registration officer who checks documents and decides.",
        data: "Photos captured at registration centres with consent; a labelled evaluation set balanced by province, gender and age band.",
        supplier: "In-house engineering team with an external audit",
        end: &[Status::Registered],
        risk: Risk::AnnexIii("1", "verification_only", "provider", false),
    },
    DemoSystem {
        org: "demo-indus-bank",
        unit: "Retail Credit",
        name: ("Personal loan credit scoring", "ذاتی قرض کے لیے کریڈٹ اسکورنگ"),
        short: (
            "Scores personal loan applications for the likelihood of repayment.",
            "ذاتی قرض کی درخواستوں کو ادائیگی کے امکان کے لحاظ سے اسکور کرتا ہے۔",
        ),
        sector: "finance",
        purpose: "Decide personal loan applications up to PKR 1,500,000 consistently and quickly.",
        affected: "Applicants for personal loans at branches and in the mobile app.",
        model: "Logistic regression scorecard over income, existing loans, employment and credit history",
        oversight: "Applications scored in the grey zone, and every refusal appealed, are decided by a credit officer.",
        data: "Five years of the bank's own loan outcomes and credit bureau data; no religion, ethnicity or sect is used.",
        supplier: "Indus Commercial Bank data science team",
        end: &[Status::Registered],
        risk: Risk::AnnexIii("5", "creditworthiness", "provider", true),
    },
    DemoSystem {
        org: "demo-citizen-services",
        unit: "Revenue Intelligence Unit",
        name: ("Sales-tax return risk scoring", "سیلز ٹیکس گوشواروں کی رسک اسکورنگ"),
        short: ("Ranks sales-tax returns for audit by their risk of under-reporting.", ""),
        sector: "taxation",
        purpose: "Focus a limited number of audits on the returns most likely to under-report tax.",
        affected: "Registered sales-tax filers, mostly small and medium businesses.",
        model: "Logistic regression with monotone constraints",
        oversight: "A score only selects returns for review; an auditor opens every case and decides on any assessment.",
        data: "Historical returns and completed audit outcomes; invoice matching data.",
        supplier: "",
        end: &[Status::Registered],
        risk: Risk::Minimal,
    },
    DemoSystem {
        org: "demo-rahbar-health",
        unit: "Emergency Care",
        name: ("Emergency department triage assistant", "ایمرجنسی شعبے کے لیے ٹرائیج معاون"),
        short: (
            "Suggests a triage category from vital signs and the presenting complaint.",
            "اہم علامات اور مریض کی شکایت کی بنیاد پر ٹرائیج کیٹیگری تجویز کرتا ہے۔",
        ),
        sector: "health",
        purpose: "Help nurses in busy emergency departments recognise critically ill patients sooner.",
        affected: "Patients arriving at the emergency departments of partner hospitals in Lahore and Multan.",
        model: "Gradient-boosted trees over vital signs and coded complaints",
        oversight: "The triage nurse always sets the category; the suggestion is shown beside their own assessment.",
        data: "De-identified triage records from two teaching hospitals, 2021-2025.",
        supplier: "Rahbar Health Technologies",
        end: &[Status::Registered],
        risk: Risk::AnnexI,
    },
    DemoSystem {
        org: "demo-citizen-services",
        unit: "Higher Education Admissions Cell",
        name: ("University admissions merit ranking", "جامعات میں داخلے کی میرٹ درجہ بندی"),
        short: (
            "Computes merit positions for public university admissions from marks, tests and quotas.",
            "",
        ),
        sector: "education",
        purpose: "Publish transparent merit lists for undergraduate admissions across public universities.",
        affected: "Students applying to public universities in the province; about 120,000 a year.",
        model: "Rule-based scoring with a learned tie-break model for equal aggregates",
        oversight: "Merit lists are checked by each university's admissions committee before publication.",
        data: "Board examination results, entry test scores and quota eligibility declared by applicants.",
        supplier: "",
        end: &[Status::Registered],
        risk: Risk::AnnexIii("3", "admission", "provider", true),
    },
    DemoSystem {
        org: "demo-citizen-services",
        unit: "Safe City Traffic Unit",
        name: ("Traffic camera number-plate reading", "ٹریفک کیمروں کے ذریعے نمبر پلیٹ کی شناخت"),
        short: (
            "Reads vehicle number plates from traffic cameras to issue e-challans for red-light violations.",
            "سرخ بتی کی خلاف ورزی پر ای چالان کے لیے ٹریفک کیمروں سے گاڑیوں کی نمبر پلیٹ پڑھتا ہے۔",
        ),
        sector: "transport",
        purpose: "Enforce red-light rules at monitored junctions without stopping traffic.",
        affected: "Drivers and registered owners of vehicles passing monitored junctions.",
        model: "Object detection and optical character recognition (deep learning)",
        oversight: "A traffic warden confirms every plate reading before a challan is issued; owners can contest online.",
        data: "Camera images from monitored junctions with manually confirmed plate readings.",
        supplier: "Safe City Authority with a local integrator",
        end: &[Status::Registered],
        risk: Risk::Minimal,
    },
    DemoSystem {
        org: "demo-citizen-services",
        unit: "Citizen Contact Centre",
        name: ("Citizen services chatbot", "شہری خدمات چیٹ بوٹ"),
        short: (
            "Answers questions about government services in Urdu and English on the web and WhatsApp.",
            "ویب اور واٹس ایپ پر اردو اور انگریزی میں سرکاری خدمات کے بارے میں سوالات کے جواب دیتا ہے۔",
        ),
        sector: "public-administration",
        purpose: "Give citizens round-the-clock answers about documents, fees and office hours.",
        affected: "Members of the public contacting the department online.",
        model: "Retrieval-augmented large language model restricted to published service guides",
        oversight: "Every conversation offers a hand-over to a human agent; the bot makes no decisions about anyone.",
        data: "Published service guides and anonymised frequently asked questions.",
        supplier: "Licensed general-purpose model, deployed by the department",
        end: &[Status::Registered],
        risk: Risk::Chatbot,
    },
    DemoSystem {
        org: "demo-citizen-services",
        unit: "Agriculture Extension Department",
        name: ("Wheat yield forecasting", "گندم کی پیداوار کی پیش گوئی"),
        short: ("Forecasts district wheat yields from satellite imagery and weather data.", ""),
        sector: "agriculture",
        purpose: "Plan procurement, storage and import decisions before harvest.",
        affected: "No individual decisions; informs provincial food-security planning.",
        model: "Random forest regression over vegetation indices and weather",
        oversight: "Forecasts are reviewed by the crop reporting service before they are used.",
        data: "Sentinel-2 imagery, meteorological records and crop-cut survey results.",
        supplier: "",
        end: &[Status::Registered, Status::Registered],
        risk: Risk::Minimal,
    },
    DemoSystem {
        org: "demo-indus-bank",
        unit: "Microfinance",
        name: ("Microfinance repayment early warning", ""),
        short: (
            "Flags microfinance borrowers likely to miss repayments so officers can offer rescheduling.",
            "",
        ),
        sector: "finance",
        purpose: "Offer rescheduling before borrowers fall into arrears.",
        affected: "Microfinance borrowers, many of them women running home businesses.",
        model: "Logistic regression",
        oversight: "A loan officer contacts the borrower; no penalty is applied from the score.",
        data: "Repayment histories of the bank's microfinance portfolio.",
        supplier: "",
        end: &[Status::Submitted],
        risk: Risk::AnnexIii("5", "creditworthiness", "provider", true),
    },
    DemoSystem {
        org: "demo-indus-bank",
        unit: "Fraud Operations",
        name: ("Card transaction fraud detection", "کارڈ لین دین میں فراڈ کی نشاندہی"),
        short: ("Holds card transactions that look fraudulent until the customer confirms them.", ""),
        sector: "finance",
        purpose: "Stop fraudulent card payments while inconveniencing as few customers as possible.",
        affected: "Debit and credit card holders of the bank.",
        model: "Gradient-boosted trees with streaming features",
        oversight: "Held transactions are released by the customer in the app or by a fraud analyst.",
        data: "Card transactions labelled by confirmed fraud reports.",
        supplier: "",
        end: &[Status::Registered, Status::Suspended],
        risk: Risk::Minimal,
    },
    DemoSystem {
        org: "demo-rahbar-health",
        unit: "Radiology",
        name: ("Chest X-ray tuberculosis screening", "سینے کے ایکسرے سے ٹی بی کی اسکریننگ"),
        short: ("Scores chest X-rays for signs of tuberculosis in community screening camps.", ""),
        sector: "health",
        purpose: "Find people who need a confirmatory TB test in areas with few radiologists.",
        affected: "People attending community TB screening camps.",
        model: "Convolutional neural network",
        oversight: "A positive screen leads to a sputum test ordered by a doctor; no diagnosis is made by the system.",
        data: "Labelled chest X-rays from national screening programmes.",
        supplier: "Rahbar Health Technologies",
        end: &[Status::UnderReview],
        risk: Risk::AnnexI,
    },
    DemoSystem {
        org: "demo-citizen-services",
        unit: "Social Protection Wing",
        name: ("Cash transfer eligibility targeting", "نقد امداد کے لیے اہلیت کا تعین"),
        short: (
            "Estimates household welfare from survey data to decide eligibility for cash transfers.",
            "نقد امداد کی اہلیت کے لیے سروے کے اعداد و شمار سے گھرانے کی معاشی حالت کا تخمینہ لگاتا ہے۔",
        ),
        sector: "social-protection",
        purpose: "Target unconditional cash transfers to the poorest households.",
        affected: "Households surveyed in the national socio-economic registry.",
        model: "Proxy means test (linear regression on household characteristics)",
        oversight: "Households can ask for a re-survey at any tehsil office; appeals are decided by a committee.",
        data: "National socio-economic registry survey data.",
        supplier: "",
        end: &[Status::Registered],
        risk: Risk::AnnexIii("5", "public_benefits", "deployer", true),
    },
    DemoSystem {
        org: "demo-rahbar-health",
        unit: "Telemedicine",
        name: ("Telemedicine symptom checker", ""),
        short: ("Suggests whether a caller should see a doctor today, this week, or manage at home.", ""),
        sector: "health",
        purpose: "Route telemedicine callers to the right level of care.",
        affected: "Callers to the telemedicine helpline.",
        model: "Decision rules with a gradient-boosted risk score",
        oversight: "A doctor reviews every call flagged as urgent.",
        data: "De-identified helpline records.",
        supplier: "",
        end: &[Status::Draft],
        risk: Risk::AnnexI,
    },
    DemoSystem {
        org: "demo-citizen-services",
        unit: "Provincial Disaster Management",
        name: ("Flood early-warning alerts", "سیلاب کی پیشگی وارننگ"),
        short: (
            "Forecasts river levels and sends SMS alerts to villages at risk of flooding.",
            "دریا کی سطح کی پیش گوئی کر کے خطرے والے دیہات کو ایس ایم ایس الرٹ بھیجتا ہے۔",
        ),
        sector: "public-administration",
        purpose: "Give villages along the Indus more time to move people and livestock to safety.",
        affected: "Residents of flood-prone union councils.",
        model: "Hydrological model with a neural network correction",
        oversight: "Duty officers approve every alert before it is sent.",
        data: "River gauge readings, rainfall forecasts and historic flood extents.",
        supplier: "",
        end: &[Status::Registered],
        risk: Risk::Minimal,
    },
];

fn record_for(s: &DemoSystem, version: u32) -> Record {
    let bi = |en: &str, ur: &str| json!({"en": en, "ur": ur});
    let mut purpose = s.purpose.to_owned();
    if version > 1 {
        purpose.push_str(" Version 2 adds district-level confidence intervals.");
    }
    let v = json!({
        "name": bi(s.name.0, s.name.1),
        "short_description": bi(s.short.0, s.short.1),
        "organisation_unit": s.unit,
        "sector": s.sector,
        "purpose": purpose,
        "intended_use": format!("Used by {} as part of its normal work. {}", s.unit, s.purpose),
        "deployment_context": "Deployed in Pakistan. This is a demonstration record in Mizan; the system is illustrative.",
        "affected_persons": s.affected,
        "legal_basis": "Demonstration record: the legal basis would cite the enabling statute and the Personal Data Protection law.",
        "human_oversight": s.oversight,
        "appeals_mechanism": "Anyone affected can ask for a human review through the organisation's complaints desk, and appeal a decision through Mizan.",
        "data_development": s.data,
        "data_operational": "Only the inputs needed for each decision, kept for the period the law requires.",
        "model_type": s.model,
        "supplier": s.supplier,
        "risk_management": "Bias assessment before deployment and every six months; drift monitoring; incident log reviewed monthly.",
        "impact_assessments": ["https://mizan.example.pk/demo/impact-assessment.pdf"],
        "contact_email": "ai-transparency@example.pk",
        "deployment_status": "in-use",
        "languages": if s.name.1.is_empty() { json!(["en"]) } else { json!(["en", "ur"]) },
        "start_date": "2025-07-01",
        "internal_notes": "Demo data: not a real system.",
    });
    // The literals above are valid by construction; an error here is a bug in this file.
    Record::from_json(&v).unwrap_or_default()
}

/// Seeds the demo data unless it is already there. Returns true when it seeded.
///
/// # Errors
/// Store errors.
pub async fn seed(store: &Store) -> Result<bool, StoreError> {
    if store.org_by_slug("demo-regulator").await.is_ok() {
        return Ok(false);
    }
    for (slug, name, kind) in ORGS {
        store.create_org(slug, name, *kind).await?;
    }
    let mut regulator_principal = None;
    let mut reviewers = Vec::new();
    for u in USERS {
        let hash = hash_password(u.password).map_err(StoreError::Conflict)?;
        let name = u.email.split('@').next().unwrap_or(u.email);
        let user = store.create_user(u.email, &format!("{name} (demo)"), &hash).await?;
        let org = store.org_by_slug(u.org).await?;
        store.add_membership(user.id, org.id, u.role).await?;
        if u.role == "reviewer" {
            let p = mizan_store::Principal {
                user: Some(user.clone()),
                org: org.clone(),
                roles: vec![u.role.into()],
                permissions: ["review:decide".to_owned()].into(),
                via_token: false,
            };
            reviewers.extend(ReviewerScope::of(&p));
        }
        if u.role == "regulator-admin" {
            regulator_principal =
                Some(ActorRef { user_id: Some(user.id), name: format!("{name} (demo), {}", org.name) });
        }
    }
    let reg_actor =
        regulator_principal.unwrap_or(ActorRef { user_id: None, name: "regulator (demo)".into() });
    let reg = RegulatorScope::of(&demo_regulator(store).await?)
        .ok_or_else(|| StoreError::Conflict("demo regulator missing".into()))?;
    for s in SYSTEMS {
        let org = store.org_by_slug(s.org).await?;
        let scope = OrgScope::new(org.id);
        let actor = ActorRef { user_id: None, name: format!("{} (demo)", org.name) };
        let id = store.create_system(scope, &actor, &record_for(s, 1), true).await?;
        store.set_risk_answers(scope, &id, &actor, &risk_answers(s.risk)).await?;
        store.set_impact_answers(scope, &id, &actor, &impact_answers(s.risk)).await?;
        let mut version = 1;
        for (i, step) in s.end.iter().enumerate() {
            if i > 0 && *step == Status::Registered {
                version += 1;
                store.update_draft(scope, &id, &actor, &record_for(s, version)).await?;
            }
            match step {
                Status::Draft => {}
                Status::Submitted => {
                    store.submit(scope, &id, &actor, "first submission").await?;
                }
                Status::UnderReview => {
                    // One approval of the several needed, so the review queue has work in it.
                    let v = store.submit(scope, &id, &actor, "first submission").await?;
                    approve(store, &reviewers[..1], &id, v).await?;
                }
                Status::Registered => {
                    let v = store
                        .submit(
                            scope,
                            &id,
                            &actor,
                            if i == 0 { "first submission" } else { "updated record" },
                        )
                        .await?;
                    let need = store.review_state(&id, v).await?.need;
                    if need.required {
                        let n = usize::try_from(need.reviewers).unwrap_or(usize::MAX).min(reviewers.len());
                        approve(store, &reviewers[..n], &id, v).await?;
                    } else {
                        store
                            .regulator_transition(
                                reg,
                                &id,
                                Status::UnderReview,
                                &reg_actor,
                                "taken up for review",
                            )
                            .await?;
                    }
                    store
                        .regulator_transition(
                            reg,
                            &id,
                            Status::Registered,
                            &reg_actor,
                            "record complete; registered",
                        )
                        .await?;
                }
                Status::Suspended => {
                    store
                        .regulator_transition(
                            reg,
                            &id,
                            Status::Suspended,
                            &reg_actor,
                            "suspended pending a bias audit after complaints",
                        )
                        .await?;
                }
                Status::Retired => {}
            }
        }
    }
    seed_audits(store).await?;
    seed_obligations(store).await?;
    Ok(true)
}

/// Where the bank stands on the personal-loan system's obligations: a few done with public
/// evidence, one in progress, the rest not started, so the register shows an honest mix.
///
/// # Errors
/// Store errors.
pub async fn seed_obligations(store: &Store) -> Result<(), StoreError> {
    let (slug, _, name) = AUDIT_SYSTEM;
    let org = store.org_by_slug(slug).await?;
    let scope = OrgScope::new(org.id);
    let Some(system) = store.org_systems(scope).await?.into_iter().find(|s| s.name_en == name && s.is_demo)
    else {
        return Ok(());
    };
    if !store.obligation_statuses(scope, &system.public_id).await?.is_empty() {
        return Ok(());
    }
    let Some(c) = store.classification(Some(scope), &system.public_id, system.latest_version).await? else {
        return Ok(());
    };
    let ids: Vec<String> = c.result["obligations"]
        .as_array()
        .map(|list| list.iter().filter_map(|o| o["id"].as_str().map(str::to_owned)).collect())
        .unwrap_or_default();
    let actor = ActorRef { user_id: None, name: format!("{} (demo)", org.name) };
    for (i, id) in ids.iter().enumerate() {
        let (status, evidence) = match i {
            0 | 1 => ("done", format!("https://indus-bank.example/ai/personal-loans/{}", id.to_lowercase())),
            2 => ("in_progress", String::new()),
            _ => continue,
        };
        let update =
            mizan_store::ObligationUpdate { obligation_id: id, status, evidence_url: &evidence, note: "" };
        store.set_obligation_status(scope, &system.public_id, &actor, &update).await?;
    }
    Ok(())
}

/// Each reviewer approves version `v` with a short demo reason.
async fn approve(store: &Store, reviewers: &[ReviewerScope], id: &str, v: i64) -> Result<(), StoreError> {
    for r in reviewers {
        store
            .decide_review(
                r,
                id,
                v,
                ReviewDecision::Approve,
                "Record, classification and impact assessment read; oversight and appeal routes are adequate.",
            )
            .await?;
    }
    Ok(())
}

async fn demo_regulator(store: &Store) -> Result<mizan_store::Principal, StoreError> {
    let org = store.org_by_slug("demo-regulator").await?;
    Ok(mizan_store::Principal {
        user: None,
        org,
        roles: vec!["regulator-admin".into()],
        permissions: Default::default(),
        via_token: false,
    })
}

/// How many demo systems exist (for the start-up message).
///
/// # Errors
/// Store errors.
pub async fn count(store: &Store) -> Result<i64, StoreError> {
    store.count_demo_systems().await
}

/// The demo system whose decisions are logged, and how many.
const DECISION_SYSTEM: (&str, &str) = ("demo-indus-bank", "Personal loan credit scoring");
const DEMO_DECISIONS: usize = 24;

/// The demo system's model: a logistic scorecard in the documented `mizan-linear/1` JSON.
pub const LOAN_MODEL: &[u8] = include_bytes!("../demo/personal-loan-model.json");
/// The demo model's card: labels in English and Urdu, units, steps and output labels, so its
/// explanations read in people's words.
pub const LOAN_CARD: &str = include_str!("../demo/personal-loan-card.json");
/// Features the demo model's recourse never changes: both only grow with time.
const LOAN_IMMUTABLE: [&str; 2] = ["months_at_employer", "credit_history_months"];
/// Bounds the demo model's recourse stays within.
const LOAN_BOUNDS: [(&str, f64, f64); 4] = [
    ("monthly_income_pkr", 0.0, 2_000_000.0),
    ("existing_loans", 0.0, 10.0),
    ("months_at_employer", 0.0, 480.0),
    ("credit_history_months", 0.0, 600.0),
];

/// Uploads the demo model for the personal-loan system's latest version (unless it is there)
/// and logs demo decisions scored by it, through the same path as the API, unless the system
/// already has them. Returns how many decisions were logged.
///
/// # Errors
/// Store, model file and ledger errors.
pub async fn seed_decisions(state: &crate::Platform) -> Result<usize, crate::Error> {
    seed_decisions_count(state, DEMO_DECISIONS).await
}

/// [`seed_decisions`] with `count` decisions (`serve --demo` logs a few thousand, so the log,
/// receipts and the verification page have something real to show; tests log a few).
///
/// # Errors
/// Store, model file and ledger errors.
pub async fn seed_decisions_count(state: &crate::Platform, count: usize) -> Result<usize, crate::Error> {
    let org = state.store().org_by_slug(DECISION_SYSTEM.0).await?;
    let scope = OrgScope::new(org.id);
    let Some(system) = state
        .store()
        .org_systems(scope)
        .await?
        .into_iter()
        .find(|s| s.name_en == DECISION_SYSTEM.1 && s.is_demo)
    else {
        return Ok(0);
    };
    let model = mizan_explain::load_model(LOAN_MODEL)
        .map_err(|e| crate::Error::Internal(format!("demo model: {e}")))?;
    let files = state.models().clone();
    let sha256 = tokio::task::spawn_blocking(move || files.put(LOAN_MODEL))
        .await
        .map_err(|e| crate::Error::Internal(e.to_string()))?
        .map_err(|e| crate::Error::Internal(e.to_string()))?;
    let upload = mizan_store::NewModel {
        sha256: sha256.clone(),
        format: "mizan-linear-json".into(),
        size_bytes: i64::try_from(LOAN_MODEL.len()).unwrap_or(i64::MAX),
        feature_names: model.feature_names.clone(),
        favourable: mizan_store::FavourableSide::High,
        threshold: 0.0,
        immutable: LOAN_IMMUTABLE.iter().map(|f| (*f).to_owned()).collect(),
        bounds: LOAN_BOUNDS.iter().map(|&(f, lo, hi)| (f.to_owned(), (lo, hi))).collect(),
        uploaded_by: org.name.clone(),
    };
    match state.store().insert_model(scope, &system.public_id, system.latest_version, &upload).await {
        // A data directory from before the demo model keeps whatever its version has.
        Ok((m, _)) if m.cards == 0 => {
            let card = crate::models::check_card(LOAN_CARD, &m.feature_names)?;
            let json = serde_json::to_string(&card)
                .map_err(|e| crate::Error::Internal(format!("demo card: {e}")))?;
            let actor = mizan_store::ActorRef { user_id: None, name: org.name.clone() };
            match state
                .store()
                .set_model_card(scope, &system.public_id, system.latest_version, &json, &actor)
                .await
            {
                // Explained before cards existed: it keeps the words it had.
                Ok(_) | Err(StoreError::Conflict(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(_) | Err(StoreError::Conflict(_)) => {}
        Err(e) => return Err(e.into()),
    }
    // Only a registered system whose intake is open may log decisions; one that is not (the
    // regulator suspended it in this data directory) gets none.
    let target = match state.store().decision_target(scope, &system.public_id, 0).await {
        Ok(t) => t,
        Err(StoreError::Conflict(why)) => {
            tracing::info!(system = %system.public_id, %why, "demo decisions not logged");
            return Ok(0);
        }
        Err(e) => return Err(e.into()),
    };
    if !state.store().decisions_by_key(scope, &target, &[&demo_key(0)]).await?.is_empty() {
        return Ok(0);
    }
    let mut logged = 0;
    for start in (0..count).step_by(crate::decisions::MAX_BATCH) {
        let end = (start + crate::decisions::MAX_BATCH).min(count);
        let items = (start..end)
            .map(|i| demo_decision(&model, &sha256, i, count, target.registered_version()))
            .collect::<Result<Vec<_>, _>>()?;
        let (_, fresh) = state.log_decisions(scope, &system.public_id, items).await?;
        logged += if fresh { end - start } else { 0 };
    }
    Ok(logged)
}

/// Two demo receipts to print on start, a declined and an approved applicant: `(reference,
/// outcome)`. Empty when the demo decisions are not there.
///
/// # Errors
/// Store errors.
pub async fn sample_receipts(state: &crate::Platform) -> Result<Vec<(String, String)>, StoreError> {
    let keys = [demo_key(17), demo_key(4)];
    let Some((_, found)) = loan_decisions(state, &keys).await? else { return Ok(vec![]) };
    Ok(keys
        .iter()
        .filter_map(|k| found.get(k))
        .filter_map(|d| {
            let record: serde_json::Value = serde_json::from_str(d.record_json.as_deref()?).ok()?;
            Some((d.reference.clone(), record.get("output")?.as_str()?.to_owned()))
        })
        .collect())
}

/// The demo loan decisions with idempotency keys `keys`, and the bank's organisation id; `None`
/// when the loan system is missing or may not log decisions (so none were logged).
async fn loan_decisions(
    state: &crate::Platform,
    keys: &[String],
) -> Result<Option<(i64, std::collections::HashMap<String, mizan_store::StoredDecision>)>, StoreError> {
    let org = state.store().org_by_slug(DECISION_SYSTEM.0).await?;
    let scope = OrgScope::new(org.id);
    let Some(system) = state
        .store()
        .org_systems(scope)
        .await?
        .into_iter()
        .find(|s| s.name_en == DECISION_SYSTEM.1 && s.is_demo)
    else {
        return Ok(None);
    };
    let target = match state.store().decision_target(scope, &system.public_id, 0).await {
        Ok(t) => t,
        Err(StoreError::Conflict(_)) => return Ok(None),
        Err(e) => return Err(e),
    };
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    Ok(Some((org.id, state.store().decisions_by_key(scope, &target, &keys).await?)))
}

fn demo_key(i: usize) -> String {
    format!("demo-loan-{i:03}")
}

/// A plausible loan applicant, decided by the demo model: the score and outcome are the model's.
fn demo_decision(
    model: &mizan_explain::Model,
    sha256: &str,
    i: usize,
    total: usize,
    version: i64,
) -> Result<serde_json::Value, crate::Error> {
    let income = 45_000.0 + ((i * 37_919) % 160_000) as f64;
    let existing = ((i * 7) % 4) as f64;
    let tenure = ((i * 13) % 96) as f64;
    let history = ((i * 29) % 120) as f64;
    let margins = model
        .predict_margin(&[income, existing, tenure, history])
        .map_err(|e| crate::Error::Internal(format!("demo model: {e}")))?;
    let score = model.score(&margins, 0);
    let approve = margins[0] > 0.0;
    // Spread over the last 30 days, oldest first.
    let span = 60 * 24 * 30;
    let minutes_ago = i64::try_from((total - i.min(total)) * span / total.max(1)).unwrap_or(0).max(1);
    let when = time::OffsetDateTime::now_utc() - time::Duration::minutes(minutes_ago);
    let when = when.replace_nanosecond(0).unwrap_or(when);
    Ok(json!({
        "idempotency_key": demo_key(i),
        "system_version": version,
        "model_hash": format!("sha256:{sha256}"),
        "features": {
            "monthly_income_pkr": income,
            "existing_loans": existing,
            "months_at_employer": tenure,
            "credit_history_months": history,
        },
        "output": if approve { "approve" } else { "decline" },
        "score": score,
        "human": {"involved": !approve, "by": if approve { None } else { Some("credit-officer") }},
        "decided_at": when.format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
        "subject_ref": format!("demo-applicant-{i:03}"),
    }))
}

/// The demo system with a stored bias assessment (high-risk and registered, so the summary
/// shows on the public register).
const AUDIT_SYSTEM: (&str, &str, &str) =
    ("demo-indus-bank", "admin@indus-bank.demo", "Personal loan credit scoring");

/// A bias assessment of the personal-loan system, run by the bank on a generated file of past
/// applications (whether each loan was repaid, whether it was approved, gender, province and
/// age band), judged against the national preset. One province is small on purpose, so the
/// register shows a group left out below the disclosure threshold. Does nothing when the
/// system already has an assessment.
///
/// # Errors
/// Store errors.
pub async fn seed_audits(store: &Store) -> Result<(), StoreError> {
    let (slug, email, name) = AUDIT_SYSTEM;
    let org = store.org_by_slug(slug).await?;
    let Some(system) =
        store.org_systems(OrgScope::new(org.id)).await?.into_iter().find(|s| s.name_en == name && s.is_demo)
    else {
        return Ok(());
    };
    let scope = mizan_store::AuditScope::Org(OrgScope::new(org.id));
    if !store.audits(scope, &system.public_id).await?.is_empty() || system.latest_version == 0 {
        return Ok(());
    }
    let user = store.user_for_login(email).await?.map(|(u, _)| u);
    let by = mizan_store::Auditor::provider(&mizan_store::Principal {
        user,
        org,
        roles: vec!["provider-admin".into()],
        permissions: Default::default(),
        via_token: false,
    });
    let raw = crate::audits::RawParams {
        label: Some("repaid".into()),
        prediction: Some("approved".into()),
        sensitive: vec!["gender".into(), "province".into()],
        pos_label: Some("1".into()),
        preset: Some("pk-national".into()),
        privileged: Some("gender=male,province=Punjab".into()),
        ..crate::audits::RawParams::default()
    };
    let params = crate::audits::Params::check(raw, crate::audits::Kind::Upload)
        .map_err(|e| StoreError::Conflict(e.to_string()))?;
    let p = params.clone();
    let computed = tokio::task::spawn_blocking(move || {
        let limits = crate::limits::Limits::default();
        crate::audits::audit_file(
            "demo-loan-applications-2025.csv",
            demo_applications().as_bytes(),
            &p,
            &limits,
        )
    })
    .await
    .map_err(|e| StoreError::Conflict(e.to_string()))?
    .map_err(|e| StoreError::Conflict(e.to_string()))?;
    let csv_len = i64::try_from(demo_applications().len()).unwrap_or(i64::MAX);
    let new = mizan_store::NewAudit {
        version: system.latest_version,
        source: mizan_store::AuditSource::Upload {
            file_name: "demo-loan-applications-2025.csv".into(),
            sha256: computed.sha256,
            size_bytes: csv_len,
        },
        rows: computed.rows,
        preset: "pk-national".into(),
        parameters_json: params.to_json(),
        report_json: computed.report_json,
        report_html: computed.report_html,
        summary_json: computed.summary_json,
    };
    store.insert_audit(&by, &system.public_id, &new).await?;
    Ok(())
}

/// 1,200 generated loan applications: the same every time, so the demo report is too.
fn demo_applications() -> String {
    const PROVINCES: [(&str, usize); 5] = [
        ("Punjab", 520),
        ("Sindh", 330),
        ("Khyber Pakhtunkhwa", 210),
        ("Balochistan", 118),
        ("Gilgit-Baltistan", 22),
    ];
    let mut out = String::from("applicant,gender,province,age_band,repaid,approved\n");
    let mut i = 0usize;
    for (province, n) in PROVINCES {
        for k in 0..n {
            i += 1;
            let gender = if (k * 7 + i) % 5 < 2 { "female" } else { "male" };
            let age = ["18-29", "30-44", "45-59", "60+"][(k * 3 + i / 7) % 4];
            // About 70 % repay; approvals follow repayment, a little less often for women.
            let repaid = (k * 13 + i * 7) % 10 < 7;
            let roll = (k * 31 + i * 17) % 100;
            let approved = if repaid { roll < if gender == "female" { 74 } else { 82 } } else { roll < 18 };
            out.push_str(&format!(
                "A{i:05},{gender},{province},{age},{},{}\n",
                u8::from(repaid),
                u8::from(approved)
            ));
        }
    }
    out
}

/// Publishes the demo datasets (`demo/datasets.rs`), each version with its files, unless they
/// are there. Returns how many datasets it published.
///
/// # Errors
/// Store, scan and file errors.
pub async fn seed_datasets(p: &crate::Platform) -> Result<usize, crate::Error> {
    let mut made = 0;
    for d in datasets::demo_datasets() {
        let org = p.store().org_by_slug(d.org).await?;
        let actor = ActorRef { user_id: None, name: format!("{} (demo data)", org.name) };
        let versions: Vec<crate::datasets::SeedVersion<'_>> = d
            .all_versions()
            .map(|(meta, files)| {
                (meta, files.iter().map(|f| (f.name.as_str(), f.bytes.as_slice())).collect())
            })
            .collect();
        debug_assert_eq!(versions.len(), d.versions as usize, "`{}` lists its versions", d.slug);
        if p.seed_dataset(OrgScope::new(org.id), &actor, d.slug, &versions).await? {
            made += 1;
        }
    }
    Ok(made)
}
