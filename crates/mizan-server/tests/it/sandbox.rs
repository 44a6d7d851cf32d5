//! The privacy-safe data sandbox (issue #19) over real HTTP: the bank's steward opens its
//! restricted microfinance repayments to private queries, a researcher asks for a sandbox
//! project with a colleague, the bank approves, and the project asks queries on the page and
//! with a project token until its budget is spent. Refusals spend nothing; every spend is an
//! event in the events log under the dataset, and the events add up to what the pages say.
//! Parallel queries at the end of a budget never overspend (both databases). And the same in a
//! browser, at a phone's width, axe-clean.

use std::sync::Arc;
use std::time::Duration;

use mizan_app::sandbox::Asker;
use mizan_app::throttle::ManualClock;
use mizan_server::Config;
use serde_json::{Value, json};

use crate::common::browser::Browser;
use crate::common::{TestApp, csrf_of, password, sign_in};

const RESEARCHER: &str = "researcher@pide.demo";
/// A colleague on the project: another demo account.
const COLLEAGUE: &str = "steward@citizen-services.demo";
const BANK: &str = "admin@indus-bank.demo";
const DATASET: &str = "microfinance-repayments";

async fn get(c: &reqwest::Client, app: &TestApp, path: &str) -> (u16, String) {
    let res = c.get(app.url(path)).send().await.expect("request");
    (res.status().as_u16(), res.text().await.expect("body"))
}

async fn post(c: &reqwest::Client, app: &TestApp, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
    c.post(app.url(path)).form(form).send().await.expect("request")
}

/// The steward's settings form, filled in: the CNIC as the unit, two rows per unit, the amount
/// between 0 and 500,000, gender and province with public keys, district without.
fn settings_form<'a>(
    csrf: &'a str,
    columns: &[String],
    file: &'a str,
    project_epsilon: &'a str,
) -> Vec<(String, String)> {
    let mut form: Vec<(String, String)> = vec![
        ("csrf".into(), csrf.into()),
        ("file".into(), file.into()),
        ("unit_column".into(), "borrower_cnic".into()),
        ("max_rows_per_unit".into(), "2".into()),
        ("project_epsilon".into(), project_epsilon.into()),
        ("project_delta".into(), "0.000001".into()),
        ("max_query_epsilon".into(), "0.5".into()),
        ("synthetic_epsilon".into(), "1".into()),
    ];
    for (i, c) in columns.iter().enumerate() {
        let (role, lower, upper, keys) = match c.as_str() {
            "loan_amount_pkr" => ("numeric", "0", "500000", ""),
            "days_late" => ("numeric", "0", "180", ""),
            "gender" => ("categorical", "", "", "female\nmale"),
            "province" => (
                "categorical",
                "",
                "",
                "Punjab\nSindh\nKhyber Pakhtunkhwa\nBalochistan\nIslamabad Capital Territory",
            ),
            "repaid_on_time" => ("categorical", "", "", "true\nfalse"),
            "district" => ("categorical", "", "", ""),
            _ => ("none", "", "", ""),
        };
        form.push((format!("role-{i}"), role.into()));
        form.push((format!("lower-{i}"), lower.into()));
        form.push((format!("upper-{i}"), upper.into()));
        form.push((format!("keys-{i}"), keys.into()));
    }
    form
}

/// Opens the sandbox as the bank's steward through the settings form; returns the settings page.
async fn open_sandbox(app: &TestApp, project_epsilon: &str) -> (reqwest::Client, String) {
    let view = app.platform.public_dataset(DATASET, None).await.expect("dataset");
    let path = format!("/app/datasets/{DATASET}/v/{}/sandbox", view.stored.version);
    let bank = sign_in(app, BANK, password(BANK)).await;
    let (status, form) = get(&bank, app, &path).await;
    assert_eq!(status, 200);
    let csrf = csrf_of(&form);
    let columns = mizan_app::dataset_access::columns_of(&view);
    let file = view.files[0].name.clone();
    // A bound the wrong way round is named, and nothing is set.
    let mut bad = settings_form(&csrf, &columns, &file, project_epsilon);
    let at = columns.iter().position(|c| c == "loan_amount_pkr").expect("amount column");
    for (k, v) in &mut bad {
        if *k == format!("upper-{at}") {
            *v = "-5".into();
        }
    }
    let res = bank.post(app.url(&path)).form(&bad).send().await.unwrap();
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(page.contains("upper"), "the field is named");
    assert!(app.platform.sandbox_of(&view).await.unwrap().is_none(), "nothing set");
    let res = bank
        .post(app.url(&path))
        .form(&settings_form(&csrf, &columns, &file, project_epsilon))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap_or_default());
    let (_, page) = get(&bank, app, &path).await;
    assert!(page.contains("Settings in force"));
    (bank, path)
}

/// Files and approves a sandbox project for the researcher with a colleague; returns its reference.
async fn approved_project(app: &TestApp, bank: &reqwest::Client) -> (reqwest::Client, String) {
    let view = app.platform.public_dataset(DATASET, None).await.expect("dataset");
    let page_path = format!("/datasets/{DATASET}/v/{}", view.stored.version);
    let c = sign_in(app, RESEARCHER, password(RESEARCHER)).await;
    let (_, page) = get(&c, app, &page_path).await;
    assert!(page.contains("Private queries (sandbox)"), "the public page shows the sandbox");
    assert!(page.contains(&format!("href=\"{page_path}/access?kind=sandbox\"")));
    let (_, form) = get(&c, app, &format!("{page_path}/access?kind=sandbox")).await;
    assert!(form.contains("id=\"kind-sandbox\" name=\"kind\" value=\"sandbox\" checked"));
    let csrf = csrf_of(&form);
    let res = post(
        &c,
        app,
        &format!("{page_path}/access"),
        &[
            ("csrf", csrf.as_str()),
            ("kind", "sandbox"),
            ("members", COLLEAGUE),
            ("purpose", "Repayment on time by province after the 2022 floods, without seeing borrowers."),
            ("project", "Floods and microcredit"),
            ("duration_days", "30"),
            ("agree", "yes"),
        ],
    )
    .await;
    assert_eq!(res.status(), 303);
    let reference =
        res.headers()["location"].to_str().unwrap().trim_start_matches("/app/data-access/").to_owned();

    // Not approved yet: no query.
    let q = mizan_dp::Query {
        statistic: mizan_dp::Statistic::Count,
        group_by: vec![],
        filters: vec![],
        epsilon: 0.1,
    };
    let researcher = principal(app, RESEARCHER).await;
    let err = app.platform.sandbox_query(&reference, Asker::Person(&researcher), &q).await.unwrap_err();
    assert!(matches!(err, mizan_app::Error::Refused(_)), "{err:?}");

    let (_, page) = get(bank, app, &format!("/app/data-access/{reference}")).await;
    let res = post(
        bank,
        app,
        &format!("/app/data-access/{reference}/move"),
        &[("csrf", &csrf_of(&page)), ("move", "approve"), ("reasons", "Approved as a sandbox project.")],
    )
    .await;
    assert_eq!(res.status(), 303);
    (c, reference)
}

async fn principal(app: &TestApp, email: &str) -> mizan_store::Principal {
    let (user, _) = app.store.user_for_login(email).await.unwrap().expect("user");
    app.store.principal_for_user(user).await.unwrap().expect("principal")
}

fn query_form<'a>(
    csrf: &'a str,
    statistic: &'a str,
    column: &'a str,
    group: &'a str,
    epsilon: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf", csrf),
        ("statistic", statistic),
        ("column", column),
        ("bins", "10"),
        ("q", "0.5"),
        ("group_by_1", group),
        ("group_by_2", ""),
        ("filter_column", ""),
        ("filter_values", ""),
        ("epsilon", epsilon),
    ]
}

/// The ε of each `dp-spend` event of the dataset, read from the event's words.
async fn logged_epsilons(app: &TestApp) -> Vec<f64> {
    let events = app.platform.store().subject_events(&format!("dataset:{DATASET}")).await.unwrap();
    events
        .iter()
        .filter(|e| e.kind == "dp-spend")
        .map(|e| {
            let after = e.reason.split("; ε ").nth(1).expect("ε stated");
            after.split(',').next().unwrap().trim().parse::<f64>().expect("a number")
        })
        .collect()
}

#[tokio::test]
async fn a_sandbox_project_asks_private_queries_until_its_budget_is_spent_and_every_spend_is_logged() {
    let clock = Arc::new(ManualClock::default());
    let app = TestApp::start_configured(true, Config::default(), Some(clock.clone())).await;
    mizan_app::demo::seed_datasets(&app.platform).await.expect("demo datasets");
    let (bank, _) = open_sandbox(&app, "3").await;
    let (c, reference) = approved_project(&app, &bank).await;
    let project_path = format!("/app/sandbox/{reference}");

    // The steward's synthetic sample was paid for from the steward's own budget, and logged.
    assert_eq!(logged_epsilons(&app).await, vec![1.0]);

    // On the page: a grouped count, with its intervals and budget.
    let (status, page) = get(&c, &app, &project_path).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("ε 0</span> of <span dir=\"ltr\">3"), "nothing spent yet");
    let csrf = csrf_of(&page);
    let res =
        post(&c, &app, &format!("{project_path}/query"), &query_form(&csrf, "count", "", "province", "0.5"))
            .await;
    assert_eq!(res.status(), 200);
    let page = res.text().await.unwrap();
    assert!(page.contains("<h2 id=\"answer-title\">Answer</h2>"), "{page}");
    assert!(page.contains("Punjab") && page.contains("Discrete Laplace noise"));
    assert!(page.contains("<strong dir=\"ltr\">ε 2.5</strong>"), "the budget falls by what was spent");

    // A colleague on the project makes a token; the API answers with the same budget.
    let colleague = sign_in(&app, COLLEAGUE, password(COLLEAGUE)).await;
    let (status, request) = get(&colleague, &app, &format!("/app/data-access/{reference}")).await;
    assert_eq!(status, 200, "a member sees the project");
    let res = post(
        &colleague,
        &app,
        &format!("/app/data-access/{reference}/tokens"),
        &[("csrf", &csrf_of(&request))],
    )
    .await;
    assert_eq!(res.status(), 201);
    let shown = res.text().await.unwrap();
    let token = shown
        .split("<code class=\"secret\" dir=\"ltr\">")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_owned();
    assert!(token.starts_with("mzd_"));
    let api = app.client();
    let url = app.url(&format!("/api/v1/sandbox/projects/{reference}"));
    let p: Value = api.get(&url).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    assert_eq!(p["spent_epsilon"], 0.5);
    assert_eq!(p["budget_epsilon"], 3.0);
    assert_eq!(p["spends"].as_array().unwrap().len(), 1);
    assert!(p["synthetic_url"].is_string());
    assert_eq!(api.get(&url).send().await.unwrap().status(), 401, "no token, no project");

    // A mean by gender: every released number sits inside its interval, groups are the keys.
    let res = api
        .post(format!("{url}/queries"))
        .bearer_auth(&token)
        .json(&json!({"statistic": "mean", "column": "loan_amount_pkr", "group_by": ["gender"], "epsilon": 0.5}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let a: Value = res.json().await.unwrap();
    for cell in a["cells"].as_array().unwrap() {
        let (v, lo, hi) =
            (cell["value"].as_f64().unwrap(), cell["low"].as_f64().unwrap(), cell["high"].as_f64().unwrap());
        assert!(lo <= v && v <= hi, "{cell}");
        assert!(["female", "male"].contains(&cell["group"][0].as_str().unwrap()), "{cell}");
    }
    assert_eq!(a["spend"]["total_epsilon"], 1.0);
    assert_eq!(a["epsilon_left"], 2.0);

    // Refusals say why and spend nothing: over the cap, a column that is not there, one the
    // steward did not declare, a statistic that does not exist.
    for (body, says) in [
        (json!({"statistic": "count", "epsilon": 0.9}), "0.5"),
        (json!({"statistic": "sum", "column": "no_such_column", "epsilon": 0.1}), "not a column"),
        (json!({"statistic": "sum", "column": "tenure_months", "epsilon": 0.1}), "not declared"),
        (json!({"statistic": "median", "epsilon": 0.1}), "not one of"),
    ] {
        let res = api.post(format!("{url}/queries")).bearer_auth(&token).json(&body).send().await.unwrap();
        assert_eq!(res.status(), 400, "{body}");
        let problem: Value = res.json().await.unwrap();
        assert!(problem["detail"].as_str().unwrap().contains(says), "{problem}");
    }
    let p: Value = api.get(&url).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    assert_eq!(p["spent_epsilon"], 1.0, "refusals spend nothing");

    // The token answers queries; it never opens the files.
    let view = app.platform.public_dataset(DATASET, None).await.unwrap();
    let file = format!(
        "/datasets/{DATASET}/v/{}/files/{}",
        view.stored.version,
        mizan_server::util::url_encode(&view.files[0].name)
    );
    assert_eq!(api.get(app.url(&file)).bearer_auth(&token).send().await.unwrap().status(), 403);
    let (status, _) = get(&c, &app, &file).await;
    assert_eq!(status, 403, "a sandbox project opens no file, signed in either");

    // Spend the rest: four more at 0.5 fit exactly, the fifth is refused with what is left.
    for _ in 0..4 {
        let res = api
            .post(format!("{url}/queries"))
            .bearer_auth(&token)
            .json(&json!({"statistic": "histogram", "column": "days_late", "bins": 6, "epsilon": 0.5}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
    }
    let res = api
        .post(format!("{url}/queries"))
        .bearer_auth(&token)
        .json(&json!({"statistic": "count", "epsilon": 0.01}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 409);
    let problem: Value = res.json().await.unwrap();
    assert!(problem["detail"].as_str().unwrap().contains("budget"), "{problem}");

    // The events log says what the pages say: six spends of 0.5 plus the steward's 1.
    let logged = logged_epsilons(&app).await;
    assert_eq!(logged.len(), 7);
    assert!((logged.iter().sum::<f64>() - 4.0).abs() < 1e-12, "{logged:?}");
    let events = app.platform.store().subject_events(&format!("dataset:{DATASET}")).await.unwrap();
    let spend = events.iter().find(|e| e.kind == "dp-spend").unwrap();
    assert!(!spend.reason.contains("researcher") && !spend.actor_name.contains('@'), "{spend:?}");
    // Each spend has its proof in the events log, and its words are public with the dataset.
    let mut r = Value::Null;
    for _ in 0..100 {
        r = api
            .get(app.url(&format!("/api/v1/events/{}/proof", spend.id)))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if r["status"] == "proven" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(r["status"], "proven", "{r}");
    let vkey = mizan_ledger::note::NoteVerifier::from_vkey(r["vkey"].as_str().unwrap()).unwrap();
    let entry = hex::decode(r["entry"].as_str().unwrap()).unwrap();
    mizan_ledger::checkpoint::TlogProof::parse(r["proof"].as_str().unwrap())
        .unwrap()
        .verify(&entry, &vkey)
        .expect("proven");
    assert!(r["event_json"].as_str().unwrap().contains("dp-spend"));
    let (_, public) = get(&app.client(), &app, &format!("/datasets/{DATASET}")).await;
    assert!(public.contains("ε 4</span>"), "the public total adds up");

    // Settings cannot change once budget was spent under them.
    let sandbox = app.platform.sandbox_of(&view).await.unwrap().unwrap();
    let bank_p = principal(&app, BANK).await;
    let again = mizan_app::sandbox::SandboxSettingsIn {
        file: view.files[0].name.clone(),
        settings: sandbox.settings.clone(),
    };
    let err = app.platform.set_sandbox(&bank_p, DATASET, view.stored.version, again).await.unwrap_err();
    assert!(matches!(err, mizan_app::Error::Conflict(_)), "{err:?}");

    // Someone outside the project finds nothing; when the agreement ends, nothing is asked.
    let outsider = principal(&app, "admin@regulator.demo").await;
    let q = mizan_dp::Query {
        statistic: mizan_dp::Statistic::Count,
        group_by: vec![],
        filters: vec![],
        epsilon: 0.01,
    };
    let err = app.platform.sandbox_query(&reference, Asker::Person(&outsider), &q).await.unwrap_err();
    assert!(matches!(err, mizan_app::Error::NotFound(_)), "{err:?}");
    clock.advance(Duration::from_secs(86_400 * 30 + 1));
    let res = api
        .post(format!("{url}/queries"))
        .bearer_auth(&token)
        .json(&json!({"statistic": "count", "epsilon": 0.01}))
        .send()
        .await
        .unwrap();
    assert!(matches!(res.status().as_u16(), 401 | 403 | 404), "{}", res.status());
}

/// Many queries at once near the end of a budget: the ledger lets exactly as many through as
/// the budget pays for, on SQLite and PostgreSQL alike.
#[tokio::test]
async fn parallel_queries_at_the_end_of_a_budget_never_overspend() {
    let app = TestApp::start(true).await;
    mizan_app::demo::seed_datasets(&app.platform).await.expect("demo datasets");
    let (bank, _) = open_sandbox(&app, "1").await;
    let (_, reference) = approved_project(&app, &bank).await;
    let researcher = Arc::new(principal(&app, RESEARCHER).await);
    let platform = app.platform.clone();
    let mut tasks = Vec::new();
    for _ in 0..24 {
        let (platform, researcher, reference) = (platform.clone(), researcher.clone(), reference.clone());
        tasks.push(tokio::spawn(async move {
            let q = mizan_dp::Query {
                statistic: mizan_dp::Statistic::Count,
                group_by: vec!["gender".into()],
                filters: vec![],
                epsilon: 0.3,
            };
            platform.sandbox_query(&reference, Asker::Person(&researcher), &q).await
        }));
    }
    let mut ok = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => ok += 1,
            Err(mizan_app::Error::Conflict(m)) => assert!(m.contains("budget"), "{m}"),
            Err(e) => panic!("{e:?}"),
        }
    }
    assert_eq!(ok, 3, "0.3 three times fits in 1; a fourth would not");
    let project = app.platform.sandbox_project(&reference, Asker::Person(&researcher)).await.unwrap();
    assert_eq!(project.spends.len(), 3);
    assert!(project.spent().0 <= 1.0);
    let totals: Vec<f64> = project.spends.iter().map(|s| s.total_epsilon).collect();
    for (i, t) in totals.iter().enumerate() {
        assert!((t - 0.3 * (i as f64 + 1.0)).abs() < 1e-9, "running totals {totals:?}");
    }
}

#[tokio::test]
async fn a_sandbox_query_is_asked_in_a_browser() {
    let mut b = Browser::start().await;
    mizan_app::demo::seed_datasets(&b.app.platform).await.expect("demo datasets");
    mizan_app::demo::seed_data_access(&b.app.platform).await.expect("demo requests");
    let asked = mizan_app::demo::seed_sandbox(&b.app.platform).await.expect("demo sandbox");
    assert_eq!(asked, 2, "the demo project starts with two queries");
    let project = format!("/app/sandbox/{}", mizan_app::demo::SANDBOX_PROJECT);
    let view = b.app.platform.public_dataset(DATASET, None).await.unwrap();
    b.phone_width(360).await;
    b.sign_in(BANK).await;
    for lang in ["en", "ur"] {
        let path = format!("/app/datasets/{DATASET}/v/{}/sandbox?lang={lang}", view.stored.version);
        b.open(&path).await;
        b.assert_no_sideways_scroll(&path).await;
        b.check_a11y(&path).await;
    }
    b.sign_in(RESEARCHER).await;
    for lang in ["ur", "en"] {
        for path in [project.clone(), format!("/datasets/{DATASET}")] {
            let path = format!("{path}?lang={lang}");
            b.open(&path).await;
            b.assert_no_sideways_scroll(&path).await;
            b.check_a11y(&path).await;
        }
    }
    b.open(&project).await;
    b.click("#group_by_1-1").await;
    b.fill("#epsilon", "0.25").await;
    b.click("form[action$=\"/query\"] button[type=submit]").await;
    b.expect_text("#answer-title", "Answer").await;
    b.check_a11y("an answer").await;
    b.assert_no_sideways_scroll("an answer").await;
    b.expect_text("#spends-title", "Queries asked").await;
    b.quit().await;
}
