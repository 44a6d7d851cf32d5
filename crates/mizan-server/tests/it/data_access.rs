//! Access requests for restricted datasets (issue #18 item 9) over real HTTP: a researcher asks
//! for the demo bank's restricted microfinance repayments, the bank decides with reasons, and an
//! approval opens that one version's files, signed in or with a download token scoped to it,
//! until the agreement ends. Every step and every download is committed to in the events log
//! under the dataset, naming nobody. And the same in a browser, at a phone's width, axe-clean.

use std::sync::Arc;
use std::time::Duration;

use mizan_app::throttle::ManualClock;
use mizan_server::Config;
use sha2::{Digest as _, Sha256};
use thirtyfour::prelude::ElementQueryable as _;

use crate::common::browser::Browser;
use crate::common::{TestApp, csrf_of, password, sign_in};

const RESEARCHER: &str = "researcher@pide.demo";
const BANK: &str = "admin@indus-bank.demo";
const DATASET: &str = "microfinance-repayments";

async fn get(c: &reqwest::Client, app: &TestApp, path: &str) -> (u16, String) {
    let res = c.get(app.url(path)).send().await.expect("request");
    (res.status().as_u16(), res.text().await.expect("body"))
}

async fn post(c: &reqwest::Client, app: &TestApp, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
    c.post(app.url(path)).form(form).send().await.expect("request")
}

/// The reference a request's redirect names.
fn reference_of(res: &reqwest::Response) -> String {
    let location = res.headers()["location"].to_str().expect("location");
    location.strip_prefix("/app/data-access/").expect("goes to the request").to_owned()
}

#[tokio::test]
async fn a_request_is_approved_with_reasons_then_downloaded_signed_in_and_by_token_until_it_ends() {
    let clock = Arc::new(ManualClock::default());
    let app = TestApp::start_configured(true, Config::default(), Some(clock.clone())).await;
    mizan_app::demo::seed_datasets(&app.platform).await.expect("demo datasets");
    let view = app.platform.public_dataset(DATASET, None).await.expect("dataset");
    let version = view.stored.version;
    let page_path = format!("/datasets/{DATASET}/v/{version}");
    let form_path = format!("{page_path}/access");
    let file = view.files.first().expect("a file").clone();
    let file_path = format!("{page_path}/files/{}", mizan_server::util::url_encode(&file.name));
    let mizan_catalog::Source::File { sha256: file_sha, .. } = &file.source else { panic!("a stored file") };

    // Nobody signed in: the page offers to sign in; the form sends there.
    let anon = app.client();
    let (_, page) = get(&anon, &app, &page_path).await;
    assert!(page.contains("Sign in to ask for access"));
    assert!(page.contains("<dt>Requests</dt><dd>0</dd>"), "the figures start at nothing");
    assert_eq!(anon.get(app.url(&form_path)).send().await.unwrap().status(), 303);

    // The researcher asks; mistakes are named beside what was typed.
    let c = sign_in(&app, RESEARCHER, password(RESEARCHER)).await;
    let (_, page) = get(&c, &app, &page_path).await;
    assert!(page.contains(&format!("href=\"{form_path}\"")), "the page links the form");
    let (status, form) = get(&c, &app, &form_path).await;
    assert_eq!(status, 200);
    assert!(form.contains("Data-sharing agreement"), "the agreement's text is on the form");
    let csrf = csrf_of(&form);
    let purpose = "Repayment rates by province and gender, to test credit-scoring fairness.";
    let mut ask = vec![
        ("csrf", csrf.as_str()),
        ("purpose", purpose),
        ("project", "Fair microcredit"),
        ("variables", "province"),
        ("variables", "gender"),
        ("duration_days", "30"),
        ("agree", "yes"),
    ];
    for (drop, says) in
        [("agree", "accept the data-sharing agreement"), ("purpose", "What you will use the data for")]
    {
        let without: Vec<_> = ask.iter().copied().filter(|(k, _)| *k != drop).collect();
        let res = post(&c, &app, &form_path, &without).await;
        assert_eq!(res.status(), 422, "without {drop}");
        let body = res.text().await.unwrap();
        assert!(body.contains(says), "{drop}: {body}");
        assert!(body.contains("Fair microcredit"), "what was typed stays");
    }
    let mut wrong = ask.clone();
    wrong.push(("variables", "no_such_column"));
    let res = post(&c, &app, &form_path, &wrong).await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("no_such_column"));
    ask[5] = ("duration_days", "3650");
    assert_eq!(post(&c, &app, &form_path, &ask).await.status(), 422, "at most a year");
    ask[5] = ("duration_days", "30");
    let res = post(&c, &app, &form_path, &ask).await;
    assert_eq!(res.status(), 303);
    let reference = reference_of(&res);
    assert!(reference.starts_with("DA-"), "{reference}");
    let res = post(&c, &app, &form_path, &ask).await;
    assert_eq!(res.status(), 409, "one open request per person and dataset");
    assert_eq!(c.get(app.url(&file_path)).send().await.unwrap().status(), 403, "not before approval");
    let (_, page) = get(&c, &app, &page_path).await;
    assert!(page.contains(&format!("href=\"/app/data-access/{reference}\"")), "the page links the request");

    // Only the applicant and the publisher's deciders see it.
    let request_path = format!("/app/data-access/{reference}");
    for email in ["steward@citizen-services.demo", "editor@indus-bank.demo", "admin@regulator.demo"] {
        let other = sign_in(&app, email, password(email)).await;
        assert_eq!(other.get(app.url(&request_path)).send().await.unwrap().status(), 404, "{email}");
    }
    let (_, mine) = get(&c, &app, &request_path).await;
    assert!(mine.contains("Waiting for a decision") && mine.contains(purpose));
    assert!(
        mine.contains("Withdraw the request") && !mine.contains(">Approve<"),
        "the applicant cannot approve"
    );

    // The bank decides: reasons are required.
    let bank = sign_in(&app, BANK, password(BANK)).await;
    let (_, queue) = get(&bank, &app, "/app/data-access").await;
    assert!(queue.contains(&reference), "the bank's queue lists it");
    let (_, page) = get(&bank, &app, &request_path).await;
    assert!(page.contains(">Approve<") && page.contains(">Refuse<"));
    let csrf = csrf_of(&page);
    let move_path = format!("{request_path}/move");
    let res = post(&bank, &app, &move_path, &[("csrf", &csrf), ("move", "approve"), ("reasons", " ")]).await;
    assert_eq!(res.status(), 422);
    let reasons = "Approved for the stated study; keep the files on your research servers.";
    let res =
        post(&bank, &app, &move_path, &[("csrf", &csrf), ("move", "approve"), ("reasons", reasons)]).await;
    assert_eq!(res.status(), 303);
    let res = post(&bank, &app, &move_path, &[("csrf", &csrf), ("move", "refuse"), ("reasons", "x")]).await;
    assert_eq!(res.status(), 409, "decided once");

    // The applicant reads the reasons and downloads the exact bytes.
    let (_, mine) = get(&c, &app, &request_path).await;
    assert!(mine.contains("Approved") && mine.contains("keep the files on your research servers"));
    assert!(mine.contains(&format!("href=\"{file_path}\"")));
    let res = c.get(app.url(&file_path)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "private, no-store, no-transform");
    assert_eq!(hex::encode(Sha256::digest(res.bytes().await.unwrap())), *file_sha);
    let (_, page) = get(&c, &app, &page_path).await;
    assert!(page.contains("Your request was approved"));
    assert!(page.contains("<dt>Requests</dt><dd>1</dd>") && page.contains("<dt>Approved</dt><dd>1</dd>"));
    assert!(page.contains("<dt>Refused</dt><dd>0</dd>"));

    // A token for scripts: shown once, opens this version only, for nobody else's files.
    let res = post(&c, &app, &format!("{request_path}/tokens"), &[("csrf", &csrf_of(&mine))]).await;
    assert_eq!(res.status(), 201);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let body = res.text().await.unwrap();
    let token = body.split("mzd_").nth(1).map(|t| format!("mzd_{}", &t[..48])).expect("the token is shown");
    let by_token = |path: &str| anon.get(app.url(path)).bearer_auth(&token).send();
    let res = by_token(&file_path).await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(hex::encode(Sha256::digest(res.bytes().await.unwrap())), *file_sha);
    let other = app.platform.public_dataset("citizen-service-complaints", None).await.unwrap();
    let other_path = format!(
        "/datasets/citizen-service-complaints/v/{}/files/{}",
        other.stored.version,
        mizan_server::util::url_encode(&other.files[0].name)
    );
    assert_eq!(by_token(&other_path).await.unwrap().status(), 403, "scoped to the one version");
    let forged = anon.get(app.url(&file_path)).bearer_auth("mzd_000000000000").send().await.unwrap();
    assert_eq!(forged.status(), 403);
    let (_, mine) = get(&c, &app, &request_path).await;
    assert!(!mine.contains(&token), "shown once, never again");

    // The events log holds every step and download under the dataset, naming nobody.
    let (case, entries) = app.platform.store().case_by_reference(&reference).await.unwrap();
    assert_eq!(case.subject, format!("dataset:{DATASET}"));
    let ids: Vec<i64> = entries.iter().filter_map(|e| e.event_id).collect();
    assert_eq!(ids.len(), 2, "the request and the decision");
    let events = app.platform.store().subject_events(&format!("dataset:{DATASET}")).await.unwrap();
    let cases: Vec<_> = events.iter().filter(|e| ids.contains(&e.id)).collect();
    assert_eq!(cases.len(), 2);
    for e in &events {
        assert_eq!(e.public_id, format!("dataset:{DATASET}"));
        assert_eq!(e.version, version);
        assert!(!e.actor_name.contains("researcher") && !e.reason.contains(purpose), "{e:?}");
    }
    assert!(cases.iter().all(|e| e.kind == "case" && e.reason.starts_with("case-entry ")));
    let downloads: Vec<_> = events.iter().filter(|e| e.kind == "download").collect();
    assert_eq!(downloads.len(), 2, "the signed-in download and the token's");
    assert!(downloads.iter().all(|e| e.reason.starts_with(&format!("download {reference} hmac-sha256:"))));

    // The agreement ends after the 30 days asked for: nothing opens the files any more.
    clock.advance(Duration::from_secs(86_400 * 30 + 1));
    assert_eq!(c.get(app.url(&file_path)).send().await.unwrap().status(), 403);
    assert_eq!(by_token(&file_path).await.unwrap().status(), 403);
    let (_, mine) = get(&c, &app, &request_path).await;
    assert!(mine.contains("Access ended on") && !mine.contains(&format!("href=\"{file_path}\"")));
    let res = post(&c, &app, &format!("{request_path}/tokens"), &[("csrf", &csrf_of(&mine))]).await;
    assert_eq!(res.status(), 409, "no tokens after the end");
}

#[tokio::test]
async fn a_refusal_gives_reasons_the_figures_count_it_and_the_person_may_ask_again_or_withdraw() {
    let app = TestApp::start(true).await;
    mizan_app::demo::seed_datasets(&app.platform).await.expect("demo datasets");
    let slug = "citizen-service-complaints";
    let view = app.platform.public_dataset(slug, None).await.unwrap();
    let form_path = format!("/datasets/{slug}/v/{}/access", view.stored.version);
    let c = sign_in(&app, RESEARCHER, password(RESEARCHER)).await;
    let ask = |csrf: String| {
        vec![
            ("csrf".to_owned(), csrf),
            ("purpose".to_owned(), "Time to resolve complaints by district.".to_owned()),
            ("project".to_owned(), "Timeliness review".to_owned()),
            ("duration_days".to_owned(), "90".to_owned()),
            ("agree".to_owned(), "yes".to_owned()),
        ]
    };
    let (_, form) = get(&c, &app, &form_path).await;
    let res = c.post(app.url(&form_path)).form(&ask(csrf_of(&form))).send().await.unwrap();
    let reference = reference_of(&res);

    let steward =
        sign_in(&app, "steward@citizen-services.demo", password("steward@citizen-services.demo")).await;
    let (_, page) = get(&steward, &app, &format!("/app/data-access/{reference}")).await;
    let reasons = "The study needs districts and dates, not names: ask for those columns only.";
    let res = post(
        &steward,
        &app,
        &format!("/app/data-access/{reference}/move"),
        &[("csrf", &csrf_of(&page)), ("move", "refuse"), ("reasons", reasons)],
    )
    .await;
    assert_eq!(res.status(), 303);
    let (_, mine) = get(&c, &app, &format!("/app/data-access/{reference}")).await;
    assert!(mine.contains("Refused") && mine.contains("not names: ask for those columns only"));
    let (_, page) = get(&c, &app, &format!("/datasets/{slug}")).await;
    assert!(page.contains("<dt>Refused</dt><dd>1</dd>") && page.contains("<dt>Approved</dt><dd>0</dd>"));
    assert!(!page.contains("<dt>Median days to decide</dt><dd>No decision yet</dd>"));

    // Refused is closed: the person may ask again, then withdraw.
    let (_, form) = get(&c, &app, &form_path).await;
    let res = c.post(app.url(&form_path)).form(&ask(csrf_of(&form))).send().await.unwrap();
    assert_eq!(res.status(), 303);
    let again = reference_of(&res);
    assert_ne!(again, reference);
    let (_, mine) = get(&c, &app, &format!("/app/data-access/{again}")).await;
    let res = post(
        &c,
        &app,
        &format!("/app/data-access/{again}/move"),
        &[("csrf", &csrf_of(&mine)), ("move", "withdraw")],
    )
    .await;
    assert_eq!(res.status(), 303);
    let (_, list) = get(&c, &app, "/app/data-access").await;
    assert!(list.contains(&again) && list.contains("Withdrawn") && list.contains("Refused"));
    // A registered or open version takes no request.
    let open = app.platform.public_dataset("district-school-enrolment", None).await.unwrap();
    let res = c
        .get(app.url(&format!("/datasets/district-school-enrolment/v/{}/access", open.stored.version)))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303, "back to the dataset's page");
}

/// Ask, approve and download in a browser at a phone's 360 px, in both languages, axe-core
/// clean at every step.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_access_request_is_asked_approved_and_downloaded_in_a_browser() {
    let mut b = Browser::start().await;
    mizan_app::demo::seed_datasets(&b.app.platform).await.expect("demo datasets");
    let view = b.app.platform.public_dataset(DATASET, None).await.unwrap();
    let page_path = format!("/datasets/{DATASET}/v/{}", view.stored.version);
    b.phone_width(360).await;
    b.sign_in(RESEARCHER).await;
    for lang in ["ur", "en"] {
        b.open(&format!("{page_path}?lang={lang}")).await;
        b.check_a11y(&format!("restricted page ({lang})")).await;
        b.open(&format!("{page_path}/access?lang={lang}")).await;
        b.assert_no_sideways_scroll(&format!("request form ({lang})")).await;
        b.check_a11y(&format!("request form ({lang})")).await;
    }
    b.open(&page_path).await;
    b.click(&format!("a[href=\"{page_path}/access\"]")).await;
    b.wait_url("/access").await;
    b.fill("#purpose", "Repayment rates by province, for a fairness study.").await;
    b.fill("#project", "Fair microcredit").await;
    b.click("#duration-90").await;
    b.click("#agree").await;
    b.click("form[action$=\"/access\"] button[type=submit]").await;
    b.wait_url("/app/data-access/DA-").await;
    b.expect_text("p.status", "Waiting for a decision").await;
    let url = b.driver.current_url().await.unwrap().to_string();
    let request_path = url.split_once("/app/").map(|(_, p)| format!("/app/{p}")).unwrap();
    for lang in ["en", "ur"] {
        for path in [request_path.as_str(), "/app/data-access"] {
            b.open(&format!("{path}?lang={lang}")).await;
            b.assert_no_sideways_scroll(&format!("{path} ({lang})")).await;
            b.check_a11y(&format!("{path} ({lang})")).await;
        }
    }

    b.sign_in(BANK).await;
    b.open(&format!("{request_path}?lang=en")).await;
    b.check_a11y("the steward's view").await;
    b.fill("#reasons", "Approved for the fairness study.").await;
    b.click("button[value=approve]").await;
    b.expect_text("p.status", "Approved").await;

    b.sign_in(RESEARCHER).await;
    b.open(&format!("{request_path}?lang=en")).await;
    b.expect_text("p.status", "Access until").await;
    b.check_a11y("an approved request").await;
    let href = b
        .driver
        .query(thirtyfour::By::Css("a[download]"))
        .first()
        .await
        .expect("a download link")
        .attr("href")
        .await
        .unwrap()
        .expect("href");
    // The browser's own session fetches the file: the bytes a person would save.
    let size = b
        .driver
        .execute("return fetch(arguments[0]).then(r => r.ok ? r.arrayBuffer().then(a => a.byteLength) : -r.status);", vec![
            serde_json::Value::String(href),
        ])
        .await
        .expect("fetch")
        .json()
        .as_i64()
        .expect("a number");
    let mizan_catalog::Source::File { bytes, .. } = &view.files[0].source else { panic!("a stored file") };
    assert_eq!(u64::try_from(size).unwrap_or(0), *bytes, "the whole file");
    b.quit().await;
}
