//! The demo compute grid: one resource (the cluster `mizan`, which `scripts/slurm-cluster`
//! starts locally), five institutions across the provinces, requests in every state of the
//! `compute-allocation` case type with histories in the past, the allocations the approved ones
//! granted, and months of usage imported from `sacct` text the way a real import is, twice, so
//! the second shows that nothing is counted again.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use mizan_cases::{Case, CaseType, Move};
use mizan_grid::{AccountName, TresMinutes};
use mizan_store::{NewCase, NewGridAllocation, NewGridResource};
use time::{Duration, OffsetDateTime};

use crate::grid::{COMPUTE_ALLOCATION, roles, subject_of};
use crate::{Error, Platform};

/// The demo cluster's name: the local cluster's (`scripts/slurm-cluster`).
pub const CLUSTER: &str = "mizan";

/// The demo grid reviewer.
pub const REVIEWER: &str = "reviewer@grid.demo";

/// Institutions: slug, kind, province.
const INSTITUTIONS: &[(&str, &str, &str)] = &[
    ("demo-pide", "university", "islamabad"),
    ("demo-uet-peshawar", "university", "khyber-pakhtunkhwa"),
    ("demo-sehat-ai", "startup", "sindh"),
    ("demo-zarai-labs", "startup", "punjab"),
    ("demo-buitems", "university", "balochistan"),
];

/// A demo decision: the move, days after asking, the scores per criterion, the hours granted
/// and the reasons.
type Decision = (&'static str, i64, [u32; 5], (u64, u64), &'static str);

struct DemoRequest {
    reference: &'static str,
    applicant: &'static str,
    title: &'static str,
    justification: &'static str,
    hours: (u64, u64),
    members: &'static [&'static str],
    asked_days_ago: i64,
    /// Days the allocation runs from the request.
    runs_days: i64,
    fast_track: bool,
    /// The decision: move, days after asking, scores, hours granted, reasons.
    decision: Option<Decision>,
    /// Jobs a month of usage: (jobs, CPUs each, GPUs each, hours each).
    usage: Option<(u32, u32, u32, u32)>,
}

const REQUESTS: &[DemoRequest] = &[
    DemoRequest {
        reference: "GR-DEM0000001",
        applicant: "researcher@pide.demo",
        title: "Poverty maps from satellite imagery",
        justification: "Train a convolutional model on Sentinel-2 tiles and the 2019 PSLM survey to map household \
                        poverty by union council, refreshed each quarter for the BISP targeting review.",
        hours: (60_000, 1_500),
        members: &["ayesha.pide", "bilal.pide"],
        asked_days_ago: 150,
        runs_days: 300,
        fast_track: false,
        decision: Some((
            "approve",
            21,
            [5, 5, 4, 4, 5],
            (50_000, 1_200),
            "Approved: strong public benefit and a team ready to use it. Granted slightly less GPU time \
             than asked; ask again with results if it runs out.",
        )),
        usage: Some((40, 16, 1, 9)),
    },
    DemoRequest {
        reference: "GR-DEM0000002",
        applicant: "researcher@uet-peshawar.demo",
        title: "Pashto speech recognition for public helplines",
        justification: "Fine-tune an open speech model on 400 hours of consented Pashto helpline recordings so \
                        that provincial helplines can transcribe calls in Pashto.",
        hours: (30_000, 2_000),
        members: &["gul.uet", "irfan.uet", "sana.uet"],
        asked_days_ago: 110,
        runs_days: 240,
        fast_track: false,
        decision: Some((
            "approve",
            18,
            [4, 5, 3, 5, 4],
            (20_000, 1_500),
            "Approved with a smaller first allocation: the data-cleaning plan is still thin. Report progress \
             to ask for the rest.",
        )),
        usage: Some((30, 8, 1, 6)),
    },
    DemoRequest {
        reference: "GR-DEM0000003",
        applicant: "founder@sehat-ai.demo",
        title: "Chest X-ray triage model for district hospitals",
        justification: "Validate a triage model on de-identified X-rays from three district hospitals in Sindh \
                        before applying to the regulatory sandbox.",
        hours: (2_000, 100),
        members: &["hina.sehat"],
        asked_days_ago: 70,
        runs_days: 180,
        fast_track: true,
        decision: Some((
            "approve",
            3,
            [4, 5, 4, 5, 3],
            (2_000, 100),
            "Approved on the fast track for a startup's first allocation.",
        )),
        usage: Some((12, 4, 1, 3)),
    },
    DemoRequest {
        reference: "GR-DEM0000004",
        applicant: "founder@zarai-labs.demo",
        title: "Wheat rust detection from farmers' phone photos",
        justification: "Train a small on-phone model to spot wheat rust from photos sent by farmers in southern \
                        Punjab, in Urdu and Saraiki voice notes.",
        hours: (1_500, 80),
        members: &["usman.zarai"],
        asked_days_ago: 2,
        runs_days: 120,
        fast_track: true,
        decision: None,
        usage: None,
    },
    DemoRequest {
        reference: "GR-DEM0000005",
        applicant: "researcher@buitems.demo",
        title: "Groundwater forecasts for the Quetta valley",
        justification: "Run hydrological simulations with learned surrogates to forecast aquifer levels under \
                        three abstraction scenarios for the provincial water department.",
        hours: (25_000, 0),
        members: &["naseem.buitems"],
        asked_days_ago: 50,
        runs_days: 200,
        fast_track: false,
        decision: None,
        usage: None,
    },
    DemoRequest {
        reference: "GR-DEM0000006",
        applicant: "researcher@pide.demo",
        title: "Inflation nowcasting from online prices",
        justification: "Nowcast weekly inflation by city from scraped online prices, compared with the PBS \
                        sensitive price indicator.",
        hours: (8_000, 200),
        members: &["ayesha.pide"],
        asked_days_ago: 3,
        runs_days: 180,
        fast_track: false,
        decision: None,
        usage: None,
    },
    DemoRequest {
        reference: "GR-DEM0000007",
        applicant: "researcher@uet-peshawar.demo",
        title: "Cryptocurrency price prediction",
        justification: "Train large models to predict cryptocurrency prices.",
        hours: (90_000, 5_000),
        members: &["irfan.uet"],
        asked_days_ago: 80,
        runs_days: 365,
        fast_track: false,
        decision: Some((
            "refuse",
            15,
            [1, 1, 2, 2, 1],
            (0, 0),
            "Refused: the project shows no public benefit and no plan to share results; the grid's hours go \
             to work that serves the National AI Policy's aims.",
        )),
        usage: None,
    },
    DemoRequest {
        reference: "GR-DEM0000008",
        applicant: "founder@sehat-ai.demo",
        title: "Urdu medical chatbot",
        justification: "Fine-tune a chatbot on Urdu medical questions.",
        hours: (10_000, 600),
        members: &["hina.sehat"],
        asked_days_ago: 40,
        runs_days: 90,
        fast_track: false,
        decision: Some((
            "withdraw",
            4,
            [0; 5],
            (0, 0),
            "We will apply through the regulatory sandbox first.",
        )),
        usage: None,
    },
];

/// Seeds the demo grid, if not there yet. Returns how many requests it filed.
///
/// # Errors
/// Store errors.
pub async fn seed_grid(p: &Platform) -> Result<usize, Error> {
    let Ok(operator) = p.store().org_by_slug("demo-grid").await else { return Ok(0) };
    if p.grid_resources().await?.is_empty() {
        p.store()
            .add_grid_resource(&NewGridResource {
                cluster: CLUSTER.to_owned(),
                partition: "batch".to_owned(),
                cpus: 512,
                gpus: 16,
                memory_mb: 4_194_304,
                operator_org_id: operator.id,
                description: "National Compute Grid, Islamabad: 8 nodes of 64 cores, 16 GPUs (demo)"
                    .to_owned(),
            })
            .await?;
    }
    for (slug, kind, province) in INSTITUTIONS {
        if p.store().org_by_slug(slug).await.is_ok() {
            p.set_grid_institution(slug, kind, province).await?;
        }
    }
    let Some(resource) = p.grid_resources().await?.into_iter().find(|r| r.new.cluster == CLUSTER) else {
        return Ok(0);
    };
    let reviewer = p.store().user_for_login(REVIEWER).await?.map(|(u, _)| u.id);
    let t = CaseType::compute_allocation();
    let now = p.now().replace_nanosecond(0).unwrap_or_else(|_| p.now());
    let criteria = crate::grid::criteria();
    let mut filed = 0;
    let mut sacct = String::new();
    for r in REQUESTS {
        match p.store().case_by_reference(r.reference).await {
            Ok(_) => continue,
            Err(mizan_store::StoreError::NotFound { .. }) => {}
            Err(e) => return Err(e.into()),
        }
        let Some((applicant, _)) = p.store().user_for_login(r.applicant).await? else { continue };
        let Some(principal) = p.store().principal_for_user(applicant.clone()).await? else { continue };
        let org_id = principal.org.id;
        let asked = now - Duration::days(r.asked_days_ago);
        let starts = (asked + Duration::days(7)).date();
        let ends = starts + Duration::days(r.runs_days);
        let fields = BTreeMap::from([
            ("resource".to_owned(), resource.id.to_string()),
            ("cluster".to_owned(), CLUSTER.to_owned()),
            ("title".to_owned(), r.title.to_owned()),
            ("justification".to_owned(), words(r.justification)),
            ("cpu_hours".to_owned(), r.hours.0.to_string()),
            ("gpu_hours".to_owned(), r.hours.1.to_string()),
            ("starts_on".to_owned(), starts.to_string()),
            ("ends_on".to_owned(), ends.to_string()),
            ("members".to_owned(), r.members.join(", ")),
        ]);
        let mut case = Case::open(t, roles::APPLICANT, fields, asked);
        if r.fast_track {
            let m = Move {
                name: "fast_track".into(),
                role: mizan_cases::SYSTEM.into(),
                fields: BTreeMap::new(),
                at: asked,
            };
            crate::appeals::apply_move(t, &mut case, &m)?;
        }
        let mut decision_at = None;
        if let Some((name, after, scores, granted, reasons)) = r.decision {
            let at = asked + Duration::days(after);
            case.tick(t, at);
            let mut fields = BTreeMap::from([("reasons".to_owned(), words(reasons))]);
            let role = if name == "withdraw" {
                roles::APPLICANT
            } else {
                let pairs: Vec<(&str, u32)> = criteria.iter().map(|c| c.id.as_str()).zip(scores).collect();
                let score = mizan_grid::weighted_score(criteria, &pairs)
                    .map_err(|e| Error::Internal(e.to_string()))?;
                let detail: Vec<String> = pairs.iter().map(|(id, n)| format!("{id}={n}")).collect();
                fields.insert("scores".to_owned(), detail.join(", "));
                fields.insert("score_per_mille".to_owned(), score.per_mille.to_string());
                if name == "approve" {
                    fields.insert("cpu_hours".to_owned(), granted.0.to_string());
                    fields.insert("gpu_hours".to_owned(), granted.1.to_string());
                }
                roles::REVIEWER
            };
            decision_at = Some(case.history.len());
            let m = Move { name: name.to_owned(), role: role.to_owned(), fields, at };
            crate::appeals::apply_move(t, &mut case, &m)?;
        }
        // Deadlines that passed before now fire as they would have.
        case.tick(t, now);
        let key = crate::appeals::random_hex(32);
        let mut entries = Platform::entries_for(&key, 0, &case, Some(applicant.id))?;
        let decided_by_reviewer = r.decision.is_some_and(|d| d.0 != "withdraw");
        for e in entries.iter_mut().filter(|e| e.seq > 0 && e.actor_user.is_some() && decided_by_reviewer) {
            e.actor_user = reviewer;
        }
        let new = NewCase {
            reference: r.reference.to_owned(),
            case_type: COMPUTE_ALLOCATION.to_owned(),
            type_version: i64::from(t.version),
            org_id,
            system_id: None,
            system_version: 0,
            subject: subject_of(CLUSTER),
            token_hash: String::new(),
            entry_key: key,
            lang: "en".to_owned(),
            contact_email: None,
            contact_phone: None,
            publish_consent: false,
            grounds_category: String::new(),
            document: None,
        };
        let approved = r.decision.filter(|d| d.0 == "approve");
        match (approved, decision_at) {
            (Some((_, _, _, granted, _)), Some(at)) => {
                // Opened as it stood before the decision; the approval and its allocation are
                // written together, as a reviewer's are.
                let before =
                    Case::replay(t, &case.history[..at]).map_err(|e| Error::Internal(e.to_string()))?;
                let split = entries.split_off(at);
                p.store().open_case(&new, &entries, &crate::appeals::projection(t, &before, None)).await?;
                let (stored, _) = p.store().case_by_reference(r.reference).await?;
                let account =
                    AccountName::for_project(r.reference).map_err(|e| Error::Internal(e.to_string()))?;
                let minutes = TresMinutes::from_hours(granted.0, granted.1);
                let alloc = NewGridAllocation {
                    org_id,
                    resource_id: resource.id,
                    account: account.as_str().to_owned(),
                    title: r.title.to_owned(),
                    users: r.members.join(","),
                    cpu_minutes: i64::try_from(minutes.cpu).unwrap_or(i64::MAX),
                    gpu_minutes: i64::try_from(minutes.gpu).unwrap_or(i64::MAX),
                    starts_on: starts.to_string(),
                    ends_on: ends.to_string(),
                };
                let proj = crate::appeals::projection(t, &case, Some(&stored.projection));
                p.store().approve_with_allocation(&stored, &split, &proj, &alloc).await?;
                if let Some(u) = r.usage {
                    usage_lines(&mut sacct, r, account.as_str(), u, starts.midnight().assume_utc(), now);
                }
            }
            _ => {
                p.store().open_case(&new, &entries, &crate::appeals::projection(t, &case, None)).await?;
            }
        }
        filed += 1;
    }
    if !sacct.is_empty() {
        let window = (mizan_store::format_time(now - Duration::days(200)), mizan_store::format_time(now));
        let w = (window.0.as_str(), window.1.as_str());
        // Imported twice, as an hourly schedule with overlapping windows would: the second adds
        // nothing.
        let half: String = sacct.lines().take(sacct.lines().count() / 2).map(|l| format!("{l}\n")).collect();
        p.grid_import_text(CLUSTER, &half, w, "scheduler").await?;
        p.grid_import_text(CLUSTER, &sacct, w, "scheduler").await?;
    }
    Ok(filed)
}

fn words(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `sacct -P -n` lines (`mizan_grid::SACCT_FORMAT`) for a month of jobs per month since `from`.
fn usage_lines(
    out: &mut String,
    r: &DemoRequest,
    account: &str,
    (jobs, cpus, gpus, hours): (u32, u32, u32, u32),
    from: OffsetDateTime,
    now: OffsetDateTime,
) {
    let id_base: u64 = r.reference.bytes().map(u64::from).sum::<u64>() * 100_000;
    let mut n = 0u64;
    let mut month_start = from;
    while month_start < now {
        for j in 0..jobs {
            n += 1;
            let start = month_start + Duration::hours(i64::from(j) * 17);
            // Jobs run a little shorter or longer than asked, as real ones do.
            let secs = i64::from(hours) * 3600 - i64::from(j % 7) * 600;
            let end = start + Duration::seconds(secs);
            if end >= now {
                break;
            }
            let user = r.members[usize::try_from(n).unwrap_or(0) % r.members.len()];
            let fmt = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
            let (s, e) = (start.format(&fmt).unwrap_or_default(), end.format(&fmt).unwrap_or_default());
            let gres = if gpus > 0 { format!(",gres/gpu={gpus}") } else { String::new() };
            let state = if j % 11 == 3 { "FAILED" } else { "COMPLETED" };
            let _ = writeln!(
                out,
                "{}|{CLUSTER}|{account}|{user}|{secs}|billing={cpus},cpu={cpus}{gres},mem={}M,node=1|{s}|{e}|{state}",
                id_base + n,
                cpus * 4000,
            );
        }
        month_start += Duration::days(30);
    }
}
