//! The national compute grid (issue #20) over real HTTP: an institution's researcher applies
//! for compute time, a grid reviewer scores the request and approves less than was asked, the
//! allocation is recorded with the approval, and who may see and do what is fenced (both
//! databases). Usage imported from `sacct` text twice counts once and commits to its totals in
//! the events log. Against the real single-node Slurm cluster of `scripts/slurm-cluster`: the
//! allocation becomes an account with its limits, a job within budget runs, one beyond it waits
//! with Slurm's own reason, usage matches `sacct`, a dry run after a sync is empty and a change
//! made by hand shows in the next one.

use std::time::Duration;

use mizan_app::grid::Slurm;
use serde_json::Value;

use crate::common::{TestApp, csrf_of, password, sign_in};

const APPLICANT: &str = "researcher@uet-peshawar.demo";
const REVIEWER: &str = "reviewer@grid.demo";
/// A member of another institution.
const OUTSIDER: &str = "researcher@buitems.demo";

async fn get(c: &reqwest::Client, app: &TestApp, path: &str) -> (u16, String) {
    let res = c.get(app.url(path)).send().await.expect("request");
    (res.status().as_u16(), res.text().await.expect("body"))
}

async fn post(c: &reqwest::Client, app: &TestApp, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
    c.post(app.url(path)).form(form).send().await.expect("request")
}

/// Files a request through the form as the applicant; returns its reference.
async fn apply(
    app: &TestApp,
    c: &reqwest::Client,
    title: &str,
    cpu: &str,
    gpu: &str,
    members: &str,
) -> String {
    let (status, page) = get(c, app, "/app/grid/apply").await;
    assert_eq!(status, 200, "{page}");
    let csrf = csrf_of(&page);
    let resource = app.platform.grid_resources().await.unwrap()[0].id.to_string();
    let today = app.platform.now().date();
    let starts = today.to_string();
    let ends = (today + time::Duration::days(90)).to_string();
    let res = post(
        c,
        app,
        "/app/grid/apply",
        &[
            ("csrf", &csrf),
            ("resource", &resource),
            ("title", title),
            ("justification", "Train a Pashto speech model for provincial helplines."),
            ("cpu_hours", cpu),
            ("gpu_hours", gpu),
            ("starts_on", &starts),
            ("ends_on", &ends),
            ("members", members),
        ],
    )
    .await;
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap_or_default());
    let to = res.headers()["location"].to_str().unwrap().to_owned();
    to.strip_prefix("/app/grid/requests/").expect("goes to the request").to_owned()
}

/// Scores every criterion `points` and makes `name` with the hours granted.
async fn decide(
    app: &TestApp,
    c: &reqwest::Client,
    reference: &str,
    name: &str,
    points: &str,
    (cpu, gpu): (&str, &str),
) -> reqwest::Response {
    let (status, page) = get(c, app, &format!("/app/grid/requests/{reference}")).await;
    assert_eq!(status, 200, "{page}");
    let csrf = csrf_of(&page);
    let ids: Vec<String> = mizan_app::grid::criteria().iter().map(|k| format!("score-{}", k.id)).collect();
    let mut form: Vec<(&str, &str)> = vec![
        ("csrf", &csrf),
        ("move", name),
        ("cpu_hours", cpu),
        ("gpu_hours", gpu),
        ("reasons", "Sound plan; a smaller first allocation."),
    ];
    for id in &ids {
        form.push((id.as_str(), points));
    }
    post(c, app, &format!("/app/grid/requests/{reference}/move"), &form).await
}

#[tokio::test]
async fn a_request_is_scored_approved_and_recorded_and_fenced() {
    let app = TestApp::start(true).await;
    mizan_app::demo::seed_grid(&app.platform).await.expect("demo grid");
    let applicant = sign_in(&app, APPLICANT, password(APPLICANT)).await;
    let reviewer = sign_in(&app, REVIEWER, password(REVIEWER)).await;
    let outsider = sign_in(&app, OUTSIDER, password(OUTSIDER)).await;

    // A bad field is named and nothing is filed.
    let before = app.platform.compute_requests().await.unwrap().len();
    let (_, page) = get(&applicant, &app, "/app/grid/apply").await;
    let csrf = csrf_of(&page);
    let res = post(
        &applicant,
        &app,
        "/app/grid/apply",
        &[("csrf", &csrf), ("resource", "1"), ("title", "x"), ("justification", "y"), ("cpu_hours", "1.5")],
    )
    .await;
    assert_eq!(res.status(), 422);
    let body = res.text().await.unwrap();
    assert!(body.contains("CPU-hours asked for") && body.contains("whole number"), "{body}");
    assert_eq!(app.platform.compute_requests().await.unwrap().len(), before);

    let reference =
        apply(&app, &applicant, "Pashto ASR, second phase", "500", "20", "gul.uet, irfan.uet").await;
    let path = format!("/app/grid/requests/{reference}");
    // Who may see it: the applicant, the reviewer; not another institution, not the public.
    assert_eq!(get(&applicant, &app, &path).await.0, 200);
    let (status, page) = get(&reviewer, &app, &path).await;
    assert_eq!(status, 200);
    assert!(page.contains("Score and decide"), "the reviewer sees the scoring form");
    assert_eq!(get(&outsider, &app, &path).await.0, 404);
    let anonymous = app.client().get(app.url(&path)).send().await.unwrap();
    assert_eq!(anonymous.status(), 303, "the public is sent to sign in");
    // The applicant cannot approve their own request; the reviewer cannot grant more than asked.
    let res = decide(&app, &applicant, &reference, "approve", "5", ("500", "20")).await;
    assert_eq!(res.status(), 409, "{}", res.text().await.unwrap_or_default());
    let res = decide(&app, &reviewer, &reference, "approve", "4", ("900", "20")).await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("at most the 500 asked for"));
    assert!(app.store.grid_allocations().await.unwrap().iter().all(|a| a.reference != reference));
    // Approved with less than asked: the allocation is recorded with the move.
    let res = decide(&app, &reviewer, &reference, "approve", "4", ("300", "10")).await;
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap_or_default());
    let alloc = app
        .store
        .grid_allocations()
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.reference == reference)
        .expect("an allocation");
    assert_eq!((alloc.new.cpu_minutes, alloc.new.gpu_minutes), (300 * 60, 10 * 60));
    assert_eq!(alloc.new.users, "gul.uet,irfan.uet");
    assert_eq!(alloc.new.account, format!("mzp-{}", reference.to_lowercase()));
    let (_, page) = get(&applicant, &app, &path).await;
    assert!(page.contains("Approved") && page.contains("300 CPU-hours granted"), "{page}");
    assert!(page.contains("score 80.0 %"), "every criterion at 4 of 5 is 80 %: {page}");
    // Not a grid reviewer of this resource's operator: the regulator's admin holds
    // `grid:review` but runs no resource, so sees nothing; a bank outside the grid cannot apply.
    let regulator = sign_in(&app, "admin@regulator.demo", password("admin@regulator.demo")).await;
    assert_eq!(get(&regulator, &app, &path).await.0, 404);
    let bank = sign_in(&app, "admin@indus-bank.demo", password("admin@indus-bank.demo")).await;
    let (status, page) = get(&bank, &app, "/app/grid/apply").await;
    assert_eq!(status, 403, "{page}");
    assert!(page.contains("not registered with the national compute grid"), "{page}");
    // A decided request takes no more moves.
    let res = decide(&app, &reviewer, &reference, "refuse", "1", ("0", "0")).await;
    assert_eq!(res.status(), 409);
    // Its entries are in the events log under the cluster.
    let events = app.store.subject_events("grid:mizan").await.unwrap();
    assert!(events.iter().filter(|e| e.kind == "case").count() >= 3, "{events:?}");

    // The public figures count it, in the page, the JSON and the CSV.
    let figures: Value =
        app.client().get(app.url("/api/v1/grid/figures")).send().await.unwrap().json().await.unwrap();
    let allocations = app.store.grid_allocations().await.unwrap();
    assert_eq!(figures["total"]["allocations"], allocations.len());
    let granted: i64 = allocations.iter().map(|a| a.new.cpu_minutes * 60).sum();
    assert_eq!(figures["total"]["cpu_seconds_granted"], granted);
    let csv =
        app.client().get(app.url("/api/v1/grid/figures.csv")).send().await.unwrap().text().await.unwrap();
    assert!(csv.starts_with(mizan_grid::CSV_HEADER), "{csv}");
    assert!(csv.contains(&format!("\r\ntotal,all,{},", allocations.len())), "{csv}");
}

/// A startup's first small request goes on the fast track; a startup that already holds an
/// allocation, or asks for more than the fast track's amount, waits in the ordinary queue.
#[tokio::test]
async fn only_a_startups_first_small_request_is_fast_tracked() {
    let app = TestApp::start(true).await;
    mizan_app::demo::seed_grid(&app.platform).await.expect("demo grid");
    let state = |app: &TestApp, reference: String| {
        let store = app.store.clone();
        async move { store.case_by_reference(&reference).await.unwrap().0.projection.state }
    };
    // Zarai Labs has no allocation yet (its demo request waits on the fast track).
    let zarai = sign_in(&app, "founder@zarai-labs.demo", password("founder@zarai-labs.demo")).await;
    let small = apply(&app, &zarai, "Rust detection, second model", "1000", "50", "usman.zarai").await;
    assert_eq!(state(&app, small).await, "fast-track");
    let large = apply(&app, &zarai, "Rust detection at scale", "3000", "50", "usman.zarai").await;
    assert_eq!(state(&app, large).await, "submitted");
    // Sehat AI already holds its fast-track allocation.
    let sehat = sign_in(&app, "founder@sehat-ai.demo", password("founder@sehat-ai.demo")).await;
    let again = apply(&app, &sehat, "Triage model, second site", "500", "10", "hina.sehat").await;
    assert_eq!(state(&app, again).await, "submitted");
    // A university is never fast-tracked.
    let uet = sign_in(&app, APPLICANT, password(APPLICANT)).await;
    let uni = apply(&app, &uet, "Small pilot", "10", "0", "gul.uet").await;
    assert_eq!(state(&app, uni).await, "submitted");
}

#[tokio::test]
async fn usage_imported_twice_counts_once_and_is_committed_to() {
    let app = TestApp::start(true).await;
    mizan_app::demo::seed_grid(&app.platform).await.expect("demo grid");
    let used = |app: &TestApp| {
        let store = app.store.clone();
        async move { store.grid_usage().await.unwrap().iter().map(|u| u.cpu_seconds).sum::<i64>() }
    };
    let start = used(&app).await;
    let text = "900001|mizan|mzp-gr-dem0000001|ayesha.pide|3600|billing=4,cpu=4,gres/gpu=1,node=1|2026-11-01T10:00:00|2026-11-01T11:00:00|COMPLETED\n\
                900002|mizan|mzp-gr-dem0000001|bilal.pide|60|billing=2,cpu=2,node=1|2026-11-02T10:00:00|Unknown|RUNNING\n";
    let window = ("2026-11-01T00:00:00", "2026-11-03T00:00:00");
    let first = app.platform.grid_import_text("mizan", text, window, "test").await.unwrap();
    assert_eq!((first.jobs_seen, first.jobs_new), (1, 1), "the running job waits until it ends");
    assert_eq!(first.per_account, vec![("mzp-gr-dem0000001".to_owned(), 1, 4 * 3600, 3600)]);
    let again = app.platform.grid_import_text("mizan", text, window, "test").await.unwrap();
    assert_eq!((again.jobs_new, again.event_id), (0, None));
    assert_eq!(used(&app).await, start + 4 * 3600);
    let event = app
        .store
        .subject_events("grid:mizan")
        .await
        .unwrap()
        .into_iter()
        .find(|e| Some(e.id) == first.event_id);
    let event = event.expect("the import's event");
    assert!(
        event.reason.contains("mzp-gr-dem0000001: 1 jobs, 14400 cpu-seconds, 3600 gpu-seconds"),
        "{}",
        event.reason
    );
    // Output that does not parse names the line, and nothing is recorded.
    let err = app
        .platform
        .grid_import_text("mizan", "900003|mizan|mzp-x|u|NaN|cpu=1|Unknown|Unknown|FAILED\n", window, "test")
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("line 1"), "{err}");
    assert_eq!(used(&app).await, start + 4 * 3600);
}

fn slurm_conf() -> Option<String> {
    match std::env::var("MIZAN_TEST_SLURM_CONF") {
        Ok(c) if !c.is_empty() => Some(c),
        _ => {
            assert!(
                std::env::var("MIZAN_TEST_REQUIRE_SLURM").is_err(),
                "MIZAN_TEST_REQUIRE_SLURM is set but MIZAN_TEST_SLURM_CONF is not"
            );
            eprintln!("MIZAN_TEST_SLURM_CONF is not set: the Slurm test did not run (scripts/test runs it)");
            None
        }
    }
}

fn run(cmd: &mut std::process::Command) -> String {
    let out = cmd.output().expect("runs");
    assert!(out.status.success(), "{cmd:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// The test's own jobs: `runuser -u mizan-u1 -- sbatch` on the test cluster.
fn sbatch(conf: &str, account: &str, minutes: u32) -> String {
    run(std::process::Command::new("runuser").env("SLURM_CONF", conf).args([
        "-u",
        "mizan-u1",
        "--",
        "sbatch",
        "--parsable",
        "--chdir=/tmp",
        "--output=/dev/null",
        "-A",
        account,
        "-n",
        "1",
        "-t",
        &minutes.to_string(),
        "--wrap",
        "sleep 2",
    ]))
    .trim()
    .to_owned()
}

fn squeue(conf: &str, job: &str) -> (String, String) {
    let s = run(std::process::Command::new("squeue")
        .env("SLURM_CONF", conf)
        .args(["-h", "-j", job, "-o", "%T|%r"]));
    let (state, reason) = s.trim().split_once('|').unwrap_or(("", ""));
    (state.to_owned(), reason.to_owned())
}

#[tokio::test]
async fn an_approved_allocation_is_enforced_on_a_real_slurm_cluster() {
    let Some(conf) = slurm_conf() else { return };
    let app = TestApp::start(true).await;
    mizan_app::demo::seed_grid(&app.platform).await.expect("demo grid");
    let applicant = sign_in(&app, APPLICANT, password(APPLICANT)).await;
    let reviewer = sign_in(&app, REVIEWER, password(REVIEWER)).await;
    // One CPU-hour: 60 CPU-minutes, so a 2-minute job fits and a 2-hour one does not.
    let reference = apply(&app, &applicant, "Slurm enforcement probe", "1", "0", "mizan-u1").await;
    let res = decide(&app, &reviewer, &reference, "approve", "3", ("1", "0")).await;
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap_or_default());
    let account = format!("mzp-{}", reference.to_lowercase());
    let slurm = Slurm { bin_dir: None, conf: Some(conf.clone().into()) };

    let applied = app.platform.grid_sync(&slurm, "mizan", false).await.expect("sync");
    assert!(!applied.plan.is_empty());
    let assoc = run(std::process::Command::new("sacctmgr").env("SLURM_CONF", &conf).args([
        "-P",
        "-n",
        "show",
        "assoc",
        "cluster=mizan",
        &format!("account={account}"),
        "format=Account,ParentName,User,GrpTRESMins",
    ]));
    assert!(assoc.contains(&format!("{account}|mzi-demo-uet-peshawar||cpu=60")), "{assoc}");
    assert!(assoc.contains(&format!("{account}||mizan-u1|")), "{assoc}");
    let dry = app.platform.grid_sync(&slurm, "mizan", true).await.expect("dry run");
    assert!(dry.plan.is_empty(), "a dry run after a sync shows nothing: {}", dry.plan);

    // A change made by hand shows in the next dry run, and the sync undoes it.
    run(std::process::Command::new("sacctmgr").env("SLURM_CONF", &conf).args([
        "-i",
        "modify",
        "account",
        "where",
        &format!("name={account}"),
        "cluster=mizan",
        "set",
        "GrpTRESMins=cpu=5000",
    ]));
    let dry = app.platform.grid_sync(&slurm, "mizan", true).await.expect("dry run");
    assert_eq!(dry.plan.ops.len(), 1, "{}", dry.plan);
    assert!(dry.plan.to_string().contains("GrpTRESMins=cpu=60"), "{}", dry.plan);
    app.platform.grid_sync(&slurm, "mizan", false).await.expect("sync");

    // A job within budget runs and ends; one that would pass it waits with Slurm's reason.
    let small = sbatch(&conf, &account, 2);
    let big = sbatch(&conf, &account, 120);
    let mut reason = String::new();
    for _ in 0..60 {
        let (state, r) = squeue(&conf, &big);
        reason = r;
        if state == "PENDING" && reason == "AssocGrpCPUMinutesLimit" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert_eq!(reason, "AssocGrpCPUMinutesLimit");
    let mut ended = false;
    for _ in 0..120 {
        if squeue(&conf, &small).0.is_empty() {
            ended = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert!(ended, "the job within budget ran and ended");
    run(std::process::Command::new("scancel").env("SLURM_CONF", &conf).arg(&big));

    // Usage imported from sacct agrees with sacct within a CPU-minute.
    let fmt = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    let now = time::OffsetDateTime::now_utc();
    let from = (now - time::Duration::hours(1)).format(&fmt).unwrap();
    let to = (now + time::Duration::minutes(1)).format(&fmt).unwrap();
    let mut imported = 0;
    for _ in 0..40 {
        let s = app.platform.grid_import(&slurm, "mizan", (&from, &to), "test").await.expect("import");
        imported += s.per_account.iter().filter(|(a, ..)| *a == account).map(|(_, n, ..)| n).sum::<i64>();
        if imported >= 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert!(imported >= 1, "the finished job was imported");
    let sacct = run(std::process::Command::new("sacct").env("SLURM_CONF", &conf).env("TZ", "UTC").args([
        "-a",
        "-X",
        "-P",
        "-n",
        "-A",
        &account,
        "-S",
        &from,
        "-E",
        &to,
        "--format=JobIDRaw,ElapsedRaw,AllocCPUS,State",
    ]));
    let sacct_cpu_seconds: i64 = sacct
        .lines()
        .filter(|l| !l.contains("RUNNING") && !l.contains("PENDING"))
        .filter_map(|l| {
            let f: Vec<&str> = l.split('|').collect();
            Some(f.get(1)?.parse::<i64>().ok()? * f.get(2)?.parse::<i64>().ok()?)
        })
        .sum();
    let ours: i64 = app
        .store
        .grid_usage()
        .await
        .unwrap()
        .iter()
        .filter(|u| u.account == account)
        .map(|u| u.cpu_seconds)
        .sum();
    assert!((ours - sacct_cpu_seconds).abs() <= 60, "Mizan {ours} CPU-seconds, sacct {sacct_cpu_seconds}");
    assert!(ours > 0);
}

/// In a browser at a phone's width, in both languages and axe-clean: the public figures, the
/// institution's page, the request form filled in and sent, and the reviewer scoring and
/// approving it.
#[tokio::test]
async fn a_request_is_made_and_decided_in_a_browser() {
    let mut b = crate::common::browser::Browser::start().await;
    mizan_app::demo::seed_grid(&b.app.platform).await.expect("demo grid");
    b.phone_width(360).await;
    for lang in ["en", "ur"] {
        let path = format!("/grid?lang={lang}");
        b.open(&path).await;
        b.assert_no_sideways_scroll(&path).await;
        b.check_a11y(&path).await;
    }
    b.sign_in(APPLICANT).await;
    for lang in ["ur", "en"] {
        for path in ["/app/grid", "/app/grid/apply", "/app/grid/requests/GR-DEM0000002"] {
            let path = format!("{path}?lang={lang}");
            b.open(&path).await;
            b.assert_no_sideways_scroll(&path).await;
            b.check_a11y(&path).await;
        }
    }
    b.open("/app/grid/apply").await;
    b.fill("#title", "Pashto OCR for land records").await;
    b.fill("#justification", "Digitise handwritten Pashto land records in Peshawar district.").await;
    b.fill("#cpu_hours", "800").await;
    b.fill("#gpu_hours", "40").await;
    b.fill("#members", "gul.uet").await;
    b.click("form[action=\"/app/grid/apply\"] button[type=submit]").await;
    b.expect_text("#asked-title", "What was asked for").await;
    b.check_a11y("a new request").await;
    let reference = b
        .app
        .platform
        .compute_requests()
        .await
        .unwrap()
        .into_iter()
        .find(|c| !c.reference.starts_with("GR-DEM"))
        .expect("the request")
        .reference;
    b.sign_in(REVIEWER).await;
    let path = format!("/app/grid/requests/{reference}");
    b.open(&path).await;
    b.assert_no_sideways_scroll(&path).await;
    b.check_a11y(&path).await;
    for c in mizan_app::grid::criteria() {
        b.click(&format!("#score-{}-4", c.id)).await;
    }
    b.fill("#cpu_hours", "600").await;
    b.fill("#reasons", "Approved with a smaller first allocation.").await;
    b.click("button[value=\"approve\"]").await;
    b.expect_text("#allocation-title", "Allocation").await;
    b.expect_text(".history", "600 CPU-hours granted").await;
    b.check_a11y("an approved request").await;
    b.quit().await;
}
