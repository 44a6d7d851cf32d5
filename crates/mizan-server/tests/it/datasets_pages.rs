//! The data repository's public pages (issue #18) over real HTTP, on the demo datasets: search
//! in English and in Urdu typed with Arabic letter forms, facets, the dataset page (profile,
//! personal-data flags in words, versions, schema.org JSON-LD), downloads with byte ranges and
//! validators, and the access tiers (registered after accepting the terms, restricted only by
//! an approved request, which `data_access.rs` follows).

use sha2::{Digest as _, Sha256};

use crate::common::browser::Browser;
use crate::common::{TestApp, password, sign_in};

/// A demo app with the demo datasets published.
async fn app() -> TestApp {
    let app = TestApp::start(true).await;
    mizan_app::demo::seed_datasets(&app.platform).await.expect("demo datasets");
    app
}

async fn get(c: &reqwest::Client, app: &TestApp, path: &str) -> (u16, String) {
    let res = c.get(app.url(path)).send().await.expect("request");
    (res.status().as_u16(), res.text().await.expect("body"))
}

/// The slugs of the results, in order.
fn result_slugs(html: &str) -> Vec<String> {
    html.split("<li class=\"dataset\">")
        .skip(1)
        .filter_map(|li| li.split("href=\"/datasets/").nth(1)?.split('"').next().map(str::to_owned))
        .collect()
}

/// The texts marked in `<mark>`.
fn marks(html: &str) -> Vec<String> {
    html.split("<mark>").skip(1).filter_map(|m| m.split("</mark>").next().map(str::to_owned)).collect()
}

#[tokio::test]
async fn datasets_are_found_in_english_and_in_urdu_typed_with_arabic_letters_and_narrowed_by_facets() {
    let app = app().await;
    let c = app.client();

    let (status, page) = get(&c, &app, "/datasets").await;
    assert_eq!(status, 200);
    assert_eq!(result_slugs(&page).len(), 9, "every demo dataset is listed");
    assert!(
        page.contains("<link rel=\"alternate\" type=\"application/ld+json\" href=\"/api/v1/catalog.jsonld\"")
    );
    assert!(page.contains("href=\"/datasets\">Datasets</a>"), "the navigation links the repository");

    // English: the school enrolment dataset, the matched word marked.
    let (_, page) = get(&c, &app, "/datasets?q=enrolment").await;
    let slugs = result_slugs(&page);
    assert_eq!(slugs.first().map(String::as_str), Some("district-school-enrolment"), "{slugs:?}");
    assert!(marks(&page).iter().any(|m| m.eq_ignore_ascii_case("enrolment")), "{:?}", marks(&page));

    // Urdu typed with Arabic kaf (U+0643) and Arabic yeh (U+064A) for Urdu ک and ی: "اسکول" and
    // "سرخیاں" as a keyboard without Urdu letters writes them.
    let (_, page) = get(&c, &app, "/datasets?q=%D8%A7%D8%B3%D9%83%D9%88%D9%84&lang=ur").await;
    assert!(page.contains("dir=\"rtl\""));
    let slugs = result_slugs(&page);
    assert!(slugs.iter().any(|s| s == "district-school-enrolment"), "{slugs:?}");
    assert!(marks(&page).iter().any(|m| m == "اسکول"), "the Urdu title's word is marked: {:?}", marks(&page));
    let arabic_yeh = "سرخياں";
    assert!(arabic_yeh.contains('\u{064A}'));
    let (_, page) =
        get(&c, &app, &format!("/datasets?q={}&lang=ur", mizan_server::util::url_encode(arabic_yeh))).await;
    assert_eq!(result_slugs(&page).first().map(String::as_str), Some("urdu-news-headlines"));
    assert!(marks(&page).iter().any(|m| m == "سرخیاں"), "{:?}", marks(&page));

    // A facet link adds its filter; the filter narrows the results to that tier.
    let (_, page) = get(&c, &app, "/datasets").await;
    assert!(page.contains("href=\"/datasets?access=registered\">Registered users (2)</a>"), "facet link");
    let (_, page) = get(&c, &app, "/datasets?access=registered").await;
    let mut slugs = result_slugs(&page);
    slugs.sort();
    assert_eq!(slugs, ["metro-ridership-daily", "urdu-news-headlines"]);
    assert!(page.contains("aria-current=\"true\""), "the chosen value is marked and removes the filter");
    let (_, page) = get(&c, &app, "/datasets?q=enrolment&theme=TRAN").await;
    assert!(result_slugs(&page).is_empty());
    assert!(page.contains("No dataset found."));
    // The publisher facet names the organisation, not its slug.
    assert!(!page.contains(">demo-citizen-services"), "a publisher is named in words");
    let (status, _) = get(&c, &app, "/datasets?page=0").await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn the_dataset_page_shows_profile_flags_versions_and_schema_org() {
    let app = app().await;
    let c = app.client();

    // Every change makes a version; the page lists the published ones, newest first.
    let view = app.platform.public_dataset("district-school-enrolment", None).await.expect("dataset");
    let (newest, older) = (view.stored.version, view.versions.last().expect("versions").version);
    assert!(older < newest, "the demo publishes the enrolment data twice");
    let (status, page) = get(&c, &app, "/datasets/district-school-enrolment").await;
    assert_eq!(status, 200);
    assert!(page.contains("<h1>District school enrolment"));
    assert!(page.contains("Creative Commons Attribution 4.0") && page.contains("an open licence"));
    assert!(page.contains("Anyone may download these files"));
    assert!(page.contains("id=\"profile-title\"") && page.contains("<svg"), "profile with a histogram");
    assert!(page.contains("duplicate rows (counted exactly)"));
    assert!(page.contains("id=\"bias-title\"") && page.contains("Compared with the 2023 census"));
    assert!(page.contains("Pakistan Bureau of Statistics"));
    assert!(
        page.contains(&format!("href=\"/datasets/district-school-enrolment/v/{older}\"")),
        "the older version is linked"
    );
    assert!(
        page.contains(&format!(
            "/api/v1/datasets/district-school-enrolment/versions/{newest}/croissant.json"
        ))
    );
    assert!(!page.contains("id=\"newer\""), "the newest version has no newer notice");
    let ld = page
        .split("<script type=\"application/ld+json\">")
        .nth(1)
        .and_then(|s| s.split("</script>").next())
        .expect("schema.org JSON-LD");
    let ld: serde_json::Value = serde_json::from_str(ld).expect("the JSON-LD parses");
    assert_eq!(ld["@type"], "Dataset");
    assert_eq!(ld["version"], newest.to_string());

    let (_, old) = get(&c, &app, &format!("/datasets/district-school-enrolment/v/{older}")).await;
    assert!(old.contains("id=\"newer\""));
    assert!(old.contains(&format!("href=\"/datasets/district-school-enrolment/v/{newest}\"")));

    // The restricted microfinance data: its identifiers flagged in words, no download link.
    let (_, page) = get(&c, &app, "/datasets/microfinance-repayments").await;
    assert!(page.contains("Identity card numbers (CNIC)"), "flag in words");
    assert!(page.contains("Mobile phone numbers"));
    assert!(page.contains("Direct identifier"));
    assert!(
        !page.contains("href=\"/datasets/microfinance-repayments/v/"),
        "no download link when restricted"
    );
    assert!(page.contains("a steward of the publisher decides"), "the page says how to ask");

    // In Urdu: right to left, the Urdu title, the tier and the flags in Urdu.
    let (_, page) = get(&c, &app, "/datasets/microfinance-repayments?lang=ur").await;
    assert!(page.contains("dir=\"rtl\""));
    assert!(page.contains("شناختی کارڈ نمبر (CNIC)"));
    let words: String = page.split('<').filter_map(|t| t.split_once('>').map(|(_, w)| w)).collect();
    assert!(!words.contains("ds-"), "no message key shown untranslated");

    let (status, _) = get(&c, &app, "/datasets/no-such-dataset").await;
    assert_eq!(status, 404);
    let (status, _) = get(&c, &app, "/datasets/district-school-enrolment/v/99").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn open_files_download_whole_and_by_range_with_their_hash() {
    let app = app().await;
    let c = app.client();
    let (_, page) = get(&c, &app, "/datasets/district-school-enrolment").await;
    let path = page
        .split("<td><a href=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .filter(|h| h.starts_with("/datasets/district-school-enrolment/v/") && h.contains("/files/"))
        .expect("a download link")
        .to_owned();
    let shown = page.split("<code class=\"hash\">").nth(1).and_then(|s| s.split('<').next()).expect("hash");

    let res = c.get(app.url(&path)).send().await.expect("download");
    assert_eq!(res.status(), 200);
    let h = res.headers().clone();
    assert_eq!(h["content-type"], "text/csv");
    assert!(
        h["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment; filename=\"district-school-enrolment.csv\"")
    );
    assert_eq!(h["accept-ranges"], "bytes");
    assert_eq!(h["etag"], format!("\"{shown}\""));
    let whole = res.bytes().await.expect("body");
    assert_eq!(h["content-length"], whole.len().to_string().as_str());
    let sha = Sha256::digest(&whole);
    assert_eq!(hex::encode(sha), shown, "the bytes hash to the hash the page shows");
    use base64::Engine as _;
    let repr = format!("sha-256=:{}:", base64::engine::general_purpose::STANDARD.encode(sha));
    assert_eq!(h["repr-digest"], repr.as_str());
    let len = whole.len();

    for (range, from, to) in [
        ("bytes=10-99", 10, 99),
        ("bytes=100-", 100, len - 1),
        ("bytes=-50", len - 50, len - 1),
        ("bytes=0-0", 0, 0),
    ] {
        let res = c.get(app.url(&path)).header("range", range).send().await.expect("range");
        assert_eq!(res.status(), 206, "{range}");
        assert_eq!(res.headers()["content-range"], format!("bytes {from}-{to}/{len}").as_str());
        assert_eq!(res.headers()["repr-digest"], repr.as_str(), "the digest is the whole file's");
        let part = res.bytes().await.expect("part");
        assert_eq!(&part[..], &whole[from..=to], "{range}");
    }
    let res = c.get(app.url(&path)).header("range", format!("bytes={len}-")).send().await.unwrap();
    assert_eq!(res.status(), 416);
    assert_eq!(res.headers()["content-range"], format!("bytes */{len}").as_str());
    let res = c.get(app.url(&path)).header("range", "bytes=0-1,5-9").send().await.unwrap();
    assert_eq!(res.status(), 200, "several ranges get the whole file");
    assert_eq!(res.bytes().await.unwrap().len(), len);
    let res = c
        .get(app.url(&path))
        .header("range", "bytes=0-9")
        .header("if-range", "\"other\"")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "a stale If-Range gets the whole file");
    let res = c.get(app.url(&path)).header("if-none-match", format!("\"{shown}\"")).send().await.unwrap();
    assert_eq!(res.status(), 304);

    let nothing = format!("{}/nothing.csv", path.rsplit_once('/').expect("a path").0);
    let (status, _) = get(&c, &app, &nothing).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn registered_files_need_the_terms_accepted_and_restricted_files_are_refused() {
    let app = app().await;
    let view = app.platform.public_dataset("metro-ridership-daily", None).await.expect("dataset");
    let file = view.files.first().expect("a file").name.clone();
    let page_path = format!("/datasets/metro-ridership-daily/v/{}", view.stored.version);
    let path = format!("{page_path}/files/{}", mizan_server::util::url_encode(&file));

    // Nobody signed in: sent to sign in, the page offers it.
    let anon = app.client();
    let res = anon.get(app.url(&path)).send().await.unwrap();
    assert_eq!(res.status(), 303);
    assert!(res.headers()["location"].to_str().unwrap().starts_with("/login?next="));
    let (_, page) = get(&anon, &app, &page_path).await;
    assert!(page.contains("Sign in to download") && !page.contains(&format!("href=\"{path}\"")));

    // Signed in, terms not accepted: refused, the page shows the terms and the form.
    let email = "admin@indus-bank.demo";
    let c = sign_in(&app, email, password(email)).await;
    let res = c.get(app.url(&path)).send().await.unwrap();
    assert_eq!(res.status(), 403);
    assert!(res.text().await.unwrap().contains("Accept the terms of use"));
    let (_, page) = get(&c, &app, &page_path).await;
    assert!(page.contains("I will use this dataset only within its licence"), "the terms' text");
    assert!(page.contains(&format!("action=\"{page_path}/terms\"")));
    let csrf = crate::common::csrf_of(&page);
    let (_, ur) = get(&c, &app, &format!("{page_path}?lang=ur")).await;
    assert!(ur.contains("میں یہ ڈیٹاسیٹ صرف اس کے لائسنس کے مطابق"), "the terms in Urdu");

    // Not ticked: the page again, saying so; no acceptance.
    let res =
        c.post(app.url(&format!("{page_path}/terms"))).form(&[("csrf", csrf.as_str())]).send().await.unwrap();
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("Tick the box"));
    assert_eq!(c.get(app.url(&path)).send().await.unwrap().status(), 403);
    // Without the CSRF token: refused.
    let res = c.post(app.url(&format!("{page_path}/terms"))).form(&[("accept", "yes")]).send().await.unwrap();
    assert_eq!(res.status(), 403);

    let res = c
        .post(app.url(&format!("{page_path}/terms")))
        .form(&[("csrf", csrf.as_str()), ("accept", "yes")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], format!("{page_path}#access").as_str());
    let (_, page) = get(&c, &app, &page_path).await;
    assert!(page.contains("You accepted the terms of use"));
    assert!(page.contains(&format!("href=\"{path}\"")), "the download link appears");
    let res = c.get(app.url(&path)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "private, no-store, no-transform");
    assert!(!res.bytes().await.unwrap().is_empty());

    // Restricted: a restricted version's file.
    let view = app.platform.public_dataset("microfinance-repayments", None).await.expect("dataset");
    let file = &view.files.first().expect("a file").name;
    let path = format!(
        "/datasets/microfinance-repayments/v/{}/files/{}",
        view.stored.version,
        mizan_server::util::url_encode(file)
    );
    // Restricted: nobody signed in is sent to sign in; signed in without an approved request,
    // refused (data_access.rs follows a request to its download).
    let res = anon.get(app.url(&path)).send().await.unwrap();
    assert_eq!(res.status(), 303);
    let res = c.get(app.url(&path)).send().await.unwrap();
    assert_eq!(res.status(), 403);
    assert!(res.text().await.unwrap().contains("This dataset is restricted"));
}

/// The search page and a dataset page, in English and Urdu, at a phone's 360 px: axe-core
/// clean and nothing scrolls sideways.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn datasets_pages_pass_axe_on_a_360_px_phone_in_both_languages() {
    let mut b = Browser::start().await;
    mizan_app::demo::seed_datasets(&b.app.platform).await.expect("demo datasets");
    b.phone_width(360).await;
    for lang in ["en", "ur"] {
        for page in [
            "/datasets?q=school",
            "/datasets/district-school-enrolment",
            "/datasets/microfinance-repayments",
            "/datasets/urdu-news-headlines",
        ] {
            let sep = if page.contains('?') { '&' } else { '?' };
            b.open(&format!("{page}{sep}lang={lang}")).await;
            let label = format!("{page} ({lang})");
            b.assert_no_sideways_scroll(&label).await;
            b.check_a11y(&label).await;
        }
    }
    b.quit().await;
}
