//! The data steward's pages (issue #18) over real HTTP: a steward creates a dataset through
//! the form, uploads a CSV through the multipart form, sees its identity-card column flagged,
//! records a reason, publishes, and an anonymous visitor finds the dataset and downloads the
//! same bytes. Forms made from an old version change nothing; refusals (no file, flags without
//! a reason, a malformed or too-large file) are shown on the page in words. Other organisations
//! and people without `datasets:write` cannot reach the pages. And a browser walk at 360 px in
//! English and Urdu, axe-core clean.

use sha2::{Digest as _, Sha256};

use crate::common::browser::Browser;
use crate::common::{TestApp, csrf_of, password, sign_in};

const STEWARD: &str = "steward@citizen-services.demo";

/// A small CSV with an identity-card column the scan flags.
const WATER_CSV: &[u8] = b"point,cnic,district\n\
    Handpump 1,35202-1234567-1,lahore\n\
    Handpump 2,35202-7654321-3,lahore\n\
    Well 3,42101-1111111-5,karachi-south\n\
    Well 4,61101-2222222-7,islamabad\n";

async fn get(c: &reqwest::Client, app: &TestApp, path: &str) -> (u16, String) {
    let res = c.get(app.url(path)).send().await.expect("request");
    (res.status().as_u16(), res.text().await.expect("body"))
}

async fn post(c: &reqwest::Client, app: &TestApp, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
    c.post(app.url(path)).form(form).send().await.expect("post")
}

fn location(res: &reqwest::Response) -> String {
    res.headers().get("location").map(|v| v.to_str().expect("ascii").to_owned()).unwrap_or_default()
}

/// A browser's `multipart/form-data` body: the CSRF token and `after` first, as the form sends
/// them, then the name and the file.
fn upload_body(csrf: &str, after: i64, name: &str, filename: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let boundary = "----mizanTestBoundary7MA4YWxkTrZu0gW";
    let mut b = Vec::new();
    for (field, value) in [("csrf", csrf.to_owned()), ("after", after.to_string()), ("name", name.to_owned())]
    {
        b.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"\r\n\r\n{value}\r\n")
                .as_bytes(),
        );
    }
    b.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\n\
             Content-Type: text/csv\r\n\r\n"
        )
        .as_bytes(),
    );
    b.extend_from_slice(bytes);
    b.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), b)
}

async fn upload(
    c: &reqwest::Client,
    app: &TestApp,
    slug: &str,
    csrf: &str,
    after: i64,
    filename: &str,
    bytes: &[u8],
) -> reqwest::Response {
    let (ctype, body) = upload_body(csrf, after, "", filename, bytes);
    c.post(app.url(&format!("/app/datasets/{slug}/files")))
        .header("content-type", ctype)
        .body(body)
        .send()
        .await
        .expect("upload")
}

/// The new-dataset form's fields for `slug`, filled in correctly.
fn new_dataset<'a>(csrf: &'a str, slug: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf", csrf),
        ("slug", slug),
        ("title.en", "Village water points"),
        ("title.ur", "دیہی پانی کے مقامات"),
        (
            "description.en",
            "Hand pumps and wells with their district. The identity card numbers are synthetic.",
        ),
        ("description.ur", "ہینڈ پمپ اور کنویں، ضلع کے ساتھ۔"),
        ("themes", "ENVI"),
        ("themes", "REGI"),
        ("keywords", "water, پانی, wells"),
        ("licence", "cc-by-4.0"),
        ("access", "open"),
        ("spatial", "punjab"),
        ("spatial", "karachi-south"),
        ("temporal.start", "2024-01-01"),
        ("temporal.end", "2024-12-31"),
        ("frequency", "ANNUAL"),
        ("contact.name", "Water data office"),
        ("contact.email", "water@citizen-services.demo"),
    ]
}

#[tokio::test]
async fn a_steward_creates_uploads_explains_a_flag_and_publishes_and_anyone_downloads_the_bytes() {
    let limits =
        mizan_app::limits::Limits { dataset_file_bytes: 4096, ..mizan_app::limits::Limits::default() };
    let app = TestApp::start_with_limits(true, limits).await;
    let c = sign_in(&app, STEWARD, password(STEWARD)).await;

    let (status, list) = get(&c, &app, "/app/datasets").await;
    assert_eq!(status, 200);
    assert!(list.contains("href=\"/app/datasets\">Our datasets</a>"), "the navigation links the pages");
    assert!(list.contains("href=\"/app/datasets/new\""));
    let (status, form) = get(&c, &app, "/app/datasets/new").await;
    assert_eq!(status, 200);
    let csrf = csrf_of(&form);
    for label in [
        "for=\"slug\"",
        "for=\"title-ur\"",
        "for=\"licence\"",
        "for=\"access-restricted\"",
        "for=\"temporal-end\"",
    ] {
        assert!(form.contains(label), "a label for every field: {label}");
    }
    assert!(form.contains("All of Punjab") && form.contains("Lahore"), "places by province and district");
    assert!(form.contains("(an open licence)") && form.contains("(not an open licence)"));

    // Wrong fields: the form again, each message by its input, what was typed kept.
    let mut wrong = new_dataset(&csrf, "water-points");
    for (k, v) in &mut wrong {
        match *k {
            "title.en" => *v = "",
            "licence" => *v = "research-only",
            "contact.email" => *v = "not an address",
            "temporal.end" => *v = "2023-01-01",
            _ => {}
        }
    }
    let res = post(&c, &app, "/app/datasets", &wrong).await;
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(page.contains("id=\"title-en-error\"") && page.contains("Give a title in English"));
    assert!(page.contains("id=\"licence-error\"") && page.contains("An open dataset needs an open licence"));
    assert!(page.contains("id=\"contact-email-error\"") && page.contains("href=\"#contact-email\""));
    assert!(page.contains("The last day is before the first."));
    assert!(page.contains("aria-invalid=\"true\" aria-describedby=\"title-en-error\""));
    assert!(page.contains("value=\"not an address\""), "what was typed is kept");
    assert!(page.contains("value=\"karachi-south\" checked"), "ticked places stay ticked");
    assert!(page.contains("Hand pumps and wells"));
    let (_, ur) = get(&c, &app, "/app/datasets/new?lang=ur").await;
    assert!(ur.contains("dir=\"rtl\"") && ur.contains("نیا ڈیٹاسیٹ"));

    // Created: version 1, no file, nothing public; publishing is refused in words.
    let res = post(&c, &app, "/app/datasets", &new_dataset(&csrf, "water-points")).await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/app/datasets/water-points?done=created");
    let res = post(&c, &app, "/app/datasets", &new_dataset(&csrf, "water-points")).await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("A dataset with this short name already exists"));
    let (status, page) = get(&c, &app, "/app/datasets/water-points?done=created").await;
    assert_eq!(status, 200);
    assert!(page.contains("The dataset was created as version 1"));
    assert!(
        page.contains("Version 1 is not published.")
            && page.contains("Nothing of this dataset is public yet")
    );
    let res =
        post(&c, &app, "/app/datasets/water-points/publish", &[("csrf", &csrf), ("version", "1")]).await;
    assert_eq!(res.status(), 403);
    assert!(res.text().await.unwrap().contains("Add at least one file before publishing."));

    // A malformed file: refused on the page, naming the file and the line; nothing kept.
    let res = upload(&c, &app, "water-points", &csrf, 1, "broken.csv", b"a,b\n1,\"open\n2,3\n").await;
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(page.contains("The file broken.csv could not be read"), "names the file");
    assert!(page.contains("line 2"), "says where: {}", page.split("id=\"file-error\"").nth(1).unwrap_or(""));
    // Too large: the limit in words; empty: said so. Neither makes a version.
    let res = upload(&c, &app, "water-points", &csrf, 1, "big.csv", &vec![b'1'; 10_000]).await;
    assert_eq!(res.status(), 413);
    assert!(res.text().await.unwrap().contains("The file is larger than the 4.0 KB accepted"));
    let res = upload(&c, &app, "water-points", &csrf, 1, "empty.csv", b"").await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("The file is empty"));
    // Without the CSRF token: refused.
    let res = upload(&c, &app, "water-points", "", 1, "water.csv", WATER_CSV).await;
    assert_eq!(res.status(), 403);
    let dir = app.data_dir.path().join("datasets").join("sha256");
    assert!(!dir.exists() || std::fs::read_dir(&dir).unwrap().next().is_none(), "no file kept");

    // The CSV: version 2, its identity-card column flagged, publication blocked until a reason.
    let res = upload(&c, &app, "water-points", &csrf, 1, "water.csv", WATER_CSV).await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/app/datasets/water-points?done=uploaded");
    let (_, page) = get(&c, &app, "/app/datasets/water-points").await;
    assert!(page.contains("Version 2 is not published."));
    assert!(page.contains(&hex::encode(Sha256::digest(WATER_CSV))), "the file's SHA-256");
    assert!(page.contains("4 rows, 3 columns"), "the profile's summary");
    assert!(page.contains("Identity card numbers (CNIC)") && page.contains("Direct identifier"));
    assert!(page.contains("id=\"blocking\"") && page.contains("cannot be published with the access “Open”"));
    assert!(page.contains("<textarea id=\"reason-0\" name=\"reason-0\""));
    assert!(page.contains("Publish version 2"));
    let res =
        post(&c, &app, "/app/datasets/water-points/publish", &[("csrf", &csrf), ("version", "2")]).await;
    assert_eq!(res.status(), 403);
    assert!(res.text().await.unwrap().contains("without a reason (cnic)"));

    // A form made from version 1 changes nothing and shows the newest.
    let stale =
        [("csrf", csrf.as_str()), ("after", "1"), ("column-0", "cnic"), ("reason-0", "synthetic numbers")];
    let res = post(&c, &app, "/app/datasets/water-points/reasons", &stale).await;
    assert_eq!(res.status(), 409);
    let page = res.text().await.unwrap();
    assert!(page.contains("Someone changed this dataset meanwhile; here is the newest version"));
    assert!(page.contains("Publish version 2"));
    // Too short a reason: said by its text area, what was typed kept.
    let short = [("csrf", csrf.as_str()), ("after", "2"), ("column-0", "cnic"), ("reason-0", "fake")];
    let res = post(&c, &app, "/app/datasets/water-points/reasons", &short).await;
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(page.contains("id=\"reason-0-error\"") && page.contains(">fake</textarea>"));
    let reason = "The numbers are synthetic: made for this test, they belong to nobody.";
    let good = [("csrf", csrf.as_str()), ("after", "2"), ("column-0", "cnic"), ("reason-0", reason)];
    let res = post(&c, &app, "/app/datasets/water-points/reasons", &good).await;
    assert_eq!(res.status(), 303);
    let (_, page) = get(&c, &app, "/app/datasets/water-points").await;
    assert!(page.contains("Version 3 is not published.") && !page.contains("id=\"blocking\""));
    assert!(page.contains(reason));

    // Published: the page says so and links the public page.
    let res =
        post(&c, &app, "/app/datasets/water-points/publish", &[("csrf", &csrf), ("version", "3")]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/app/datasets/water-points?done=published");
    let (_, page) = get(&c, &app, "/app/datasets/water-points?done=published").await;
    assert!(page.contains("Version 3 is published") && page.contains("href=\"/datasets/water-points\""));
    assert!(!page.contains("Publish version"));
    let (_, list) = get(&c, &app, "/app/datasets").await;
    assert!(list.contains("Village water points") && list.contains("Published"));

    // Anyone finds it by search and downloads exactly the bytes uploaded.
    let anon = app.client();
    let (_, found) = get(&anon, &app, "/datasets?q=water").await;
    assert!(found.contains("href=\"/datasets/water-points\""), "found by search");
    let (status, public) = get(&anon, &app, "/datasets/water-points").await;
    assert_eq!(status, 200);
    assert!(public.contains(reason), "the reason is public");
    let href = "/datasets/water-points/v/3/files/water.csv";
    assert!(public.contains(&format!("href=\"{href}\"")));
    let res = anon.get(app.url(href)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(&res.bytes().await.unwrap()[..], WATER_CSV);

    // Editing the metadata: prefilled; saving makes version 4 and keeps the reason; the public
    // keeps version 3 until the next publication.
    let (_, edit) = get(&c, &app, "/app/datasets/water-points/edit").await;
    assert!(edit.contains("value=\"Village water points\"") && edit.contains("name=\"after\" value=\"3\""));
    assert!(edit.contains("value=\"ENVI\" checked") && edit.contains("value=\"ANNUAL\" selected"));
    let mut changed = new_dataset(&csrf, "water-points");
    changed.retain(|(k, _)| *k != "slug");
    for (k, v) in &mut changed {
        if *k == "title.en" {
            *v = "Village water points and wells";
        }
    }
    changed.push(("after", "3"));
    let res = post(&c, &app, "/app/datasets/water-points/edit", &changed).await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/app/datasets/water-points?done=saved");
    let (_, page) = get(&c, &app, "/app/datasets/water-points").await;
    assert!(page.contains("<h1>Village water points and wells</h1>"));
    assert!(page.contains("Version 4 is not published. The public sees version 3."));
    assert!(page.contains(reason), "the reason the form does not show is kept");
    let res = post(&c, &app, "/app/datasets/water-points/edit", &changed).await;
    assert_eq!(res.status(), 409, "the same form again is made from an old version");

    // Removing the file makes version 5 without it.
    let res = post(
        &c,
        &app,
        "/app/datasets/water-points/files/remove",
        &[("csrf", &csrf), ("after", "4"), ("name", "water.csv")],
    )
    .await;
    assert_eq!(res.status(), 303);
    let (_, page) = get(&c, &app, "/app/datasets/water-points").await;
    assert!(page.contains("Version 5 is not published.") && page.contains("No file yet."));
}

#[tokio::test]
async fn other_organisations_and_people_without_the_permission_cannot_reach_the_pages() {
    let app = TestApp::start(true).await;
    let steward = sign_in(&app, STEWARD, password(STEWARD)).await;
    let csrf = crate::common::csrf(&app, &steward).await;
    let res = post(&steward, &app, "/app/datasets", &new_dataset(&csrf, "water-points")).await;
    assert_eq!(res.status(), 303);
    // Without the CSRF token: refused.
    let mut no_token = new_dataset("", "other-points");
    no_token.retain(|(k, _)| *k != "csrf");
    assert_eq!(post(&steward, &app, "/app/datasets", &no_token).await.status(), 403);

    // The bank's administrator may publish datasets, but not the steward's: not found.
    let email = "admin@indus-bank.demo";
    let bank = sign_in(&app, email, password(email)).await;
    let bank_csrf = crate::common::csrf(&app, &bank).await;
    for path in ["/app/datasets/water-points", "/app/datasets/water-points/edit"] {
        assert_eq!(get(&bank, &app, path).await.0, 404, "{path}");
    }
    let res =
        post(&bank, &app, "/app/datasets/water-points/publish", &[("csrf", &bank_csrf), ("version", "1")])
            .await;
    assert_eq!(res.status(), 404);
    let res = upload(&bank, &app, "water-points", &bank_csrf, 1, "water.csv", WATER_CSV).await;
    assert_eq!(res.status(), 404);
    let (_, list) = get(&bank, &app, "/app/datasets").await;
    assert!(!list.contains("water-points"), "another organisation's datasets are not listed");

    // An editor without `datasets:write`: forbidden, and no link in the navigation.
    let email = "editor@indus-bank.demo";
    let editor = sign_in(&app, email, password(email)).await;
    for path in ["/app/datasets", "/app/datasets/new"] {
        assert_eq!(get(&editor, &app, path).await.0, 403, "{path}");
    }
    let (_, home) = get(&editor, &app, "/app").await;
    assert!(!home.contains("href=\"/app/datasets\""));

    // Nobody signed in: sent to sign in.
    let res = app.client().get(app.url("/app/datasets")).send().await.unwrap();
    assert_eq!(res.status(), 303);
    assert!(location(&res).starts_with("/login?next="));
}

/// The steward's list, the new-dataset form, a manage page with flagged columns and the edit
/// form, in English and Urdu, at a phone's 360 px: axe-core clean and nothing scrolls sideways.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn steward_pages_pass_axe_on_a_360_px_phone_in_both_languages() {
    let mut b = Browser::start().await;
    mizan_app::demo::seed_datasets(&b.app.platform).await.expect("demo datasets");
    b.sign_in(STEWARD).await;
    b.phone_width(360).await;
    for lang in ["en", "ur"] {
        for page in [
            "/app/datasets",
            "/app/datasets/new",
            "/app/datasets/citizen-service-complaints",
            "/app/datasets/district-school-enrolment?done=uploaded",
            "/app/datasets/district-school-enrolment/edit",
        ] {
            let sep = if page.contains('?') { '&' } else { '?' };
            b.open(&format!("{page}{sep}lang={lang}")).await;
            let label = format!("{page} ({lang})");
            b.assert_no_sideways_scroll(&label).await;
            b.check_a11y(&label).await;
        }
    }
    // A form sent with mistakes, as the browser shows it.
    b.open("/app/datasets/new?lang=en").await;
    b.fill("#slug", "Not A Slug").await;
    b.click(".dss-form button[type=submit]").await;
    b.expect_text(".error-summary", "short name").await;
    b.assert_no_sideways_scroll("the form with errors").await;
    b.check_a11y("the form with errors").await;
    b.quit().await;
}

/// Publish → search → download in a browser at a phone's width: a steward creates a dataset
/// with the form, uploads a file through the file input and publishes it; a visitor who is not
/// signed in searches, opens the dataset and downloads exactly the bytes uploaded. axe-core
/// clean at each page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dataset_is_published_found_and_downloaded_in_a_browser() {
    use thirtyfour::prelude::{By, ElementQueryable as _};
    let mut b = Browser::start().await;
    b.phone_width(360).await;
    b.sign_in(STEWARD).await;
    b.open("/app/datasets/new?lang=en").await;
    b.fill("#slug", "river-gauges").await;
    b.fill("#title-en", "River gauge readings").await;
    b.fill("#description-en", "Daily river levels at gauges on the Indus, made up for a test.").await;
    for (select, value) in [("#licence", "cc-by-4.0"), ("#frequency", "DAILY")] {
        b.driver
            .execute(
                "document.querySelector(arguments[0]).value = arguments[1];",
                vec![serde_json::json!(select), serde_json::json!(value)],
            )
            .await
            .expect("choose");
    }
    b.click("#access-open").await;
    b.fill("#contact-name", "Hydrology office").await;
    b.fill("#contact-email", "rivers@citizen-services.demo").await;
    b.click(".dss-form button[type=submit]").await;
    b.wait_url("/app/datasets/river-gauges?done=created").await;

    let dir = tempfile::tempdir().unwrap();
    let csv: String = std::iter::once("gauge,day,level_m\n".to_owned())
        .chain(
            (1..=60).map(|d| format!("Tarbela,2025-01-{:02},{}.{}\n", (d - 1) % 28 + 1, 400 + d % 9, d % 10)),
        )
        .collect();
    let path = dir.path().join("gauges.csv");
    std::fs::write(&path, &csv).unwrap();
    b.driver
        .query(By::Css("#file"))
        .first()
        .await
        .expect("the file input")
        .send_keys(path.display().to_string())
        .await
        .expect("choose the file");
    b.click(".dss-upload button[type=submit]").await;
    b.wait_url("done=uploaded").await;
    b.check_a11y("the dataset with its file").await;
    b.click(".dss-publish button[type=submit]").await;
    b.wait_url("done=published").await;
    b.expect_text("#state", "is published").await;

    // A visitor, not signed in, finds it by search and downloads it.
    b.driver.delete_all_cookies().await.expect("cookies");
    b.open("/datasets?lang=en").await;
    b.fill("#q", "river gauge").await;
    b.click("form.ds-filters button[type=submit]").await;
    b.wait_url("q=river").await;
    b.check_a11y("the search results").await;
    b.click("a[href=\"/datasets/river-gauges\"]").await;
    b.wait_url("/datasets/river-gauges").await;
    b.assert_no_sideways_scroll("the published dataset").await;
    b.check_a11y("the published dataset").await;
    let href = b
        .driver
        .query(By::Css("a[download]"))
        .first()
        .await
        .expect("a download link")
        .attr("href")
        .await
        .unwrap()
        .expect("href");
    let text = b
        .driver
        .execute("return fetch(arguments[0]).then(r => r.text());", vec![serde_json::json!(href)])
        .await
        .expect("fetch")
        .json()
        .as_str()
        .map(str::to_owned)
        .expect("the file's text");
    assert_eq!(text, csv, "the bytes uploaded");
    b.quit().await;
}
