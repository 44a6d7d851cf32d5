//! The data repository's API end to end (issue #18), on SQLite or PostgreSQL: a steward creates a
//! dataset, uploads a file (a new version, profiled and scanned), publishes it, and everyone finds
//! it by search and reads its version, files and profile; a flagged direct identifier blocks open
//! publication until a reason is recorded; stale changes conflict; other organisations and
//! tokens without the permission are refused; and uploads that are malformed, too large or
//! broken off leave no file and no version behind.

use std::path::Path;

use crate::common::{TestApp, token};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

const STEWARD: &str = "steward@citizen-services.demo";
const BANK: &str = "admin@indus-bank.demo";

fn http() -> reqwest::Client {
    reqwest::Client::new()
}

fn meta(title: &str, access: &str) -> Value {
    json!({
        "title": {"en": title, "ur": "ضلعی اسکول داخلے"},
        "description": {"en": "Pupils enrolled per district and year.", "ur": "ہر ضلع اور سال میں داخل طلبہ۔"},
        "themes": ["EDUC"],
        "keywords": ["schools", "enrolment"],
        "licence": "cc-by-4.0",
        "spatial": ["punjab", "lahore"],
        "contact": {"name": "Education data office", "email": "data@citizen-services.demo"},
        "frequency": "ANNUAL",
        "access": access,
        "dictionary": [
            {"name": "district", "type": "text", "sensitive": true},
            {"name": "pupils", "type": "integer", "unit": "pupils"}
        ]
    })
}

fn enrolment_csv() -> String {
    let mut s = String::from("district,year,pupils\n");
    for (i, d) in ["Lahore", "Multan", "Sialkot", "Quetta"].iter().enumerate() {
        for y in 2020..2025 {
            s.push_str(&format!("{d},{y},{}\n", 1000 + i * 37 + (y as usize - 2020) * 11));
        }
    }
    s
}

fn cnic_csv() -> String {
    let mut s = String::from("borrower_cnic,amount\n");
    for i in 0..40u32 {
        s.push_str(&format!("35202-{:07}-{},{}\n", 1_234_000 + i, i % 10, 5000 + i));
    }
    s
}

async fn create(app: &TestApp, tok: &str, slug: &str, access: &str) -> reqwest::Response {
    http()
        .post(app.url("/api/v1/org/datasets"))
        .bearer_auth(tok)
        .json(&json!({"slug": slug, "meta": meta("District school enrolment", access)}))
        .send()
        .await
        .unwrap()
}

async fn put_file(
    app: &TestApp,
    tok: &str,
    slug: &str,
    after: i64,
    name: &str,
    body: Vec<u8>,
) -> reqwest::Response {
    http()
        .put(app.url(&format!("/api/v1/org/datasets/{slug}/files/{name}?after={after}")))
        .bearer_auth(tok)
        .body(body)
        .send()
        .await
        .unwrap()
}

async fn publish(app: &TestApp, tok: &str, slug: &str, version: i64) -> reqwest::Response {
    http()
        .post(app.url(&format!("/api/v1/org/datasets/{slug}/versions/{version}/publish")))
        .bearer_auth(tok)
        .send()
        .await
        .unwrap()
}

async fn org_version(app: &TestApp, tok: &str, slug: &str) -> i64 {
    let v: Value = http()
        .get(app.url(&format!("/api/v1/org/datasets/{slug}")))
        .bearer_auth(tok)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v["version"].as_i64().expect("version")
}

/// Files under the repository's folders (kept and in progress).
fn files_under(dir: &Path) -> Vec<String> {
    fn walk(d: &Path, out: &mut Vec<String>) {
        let Ok(rd) = std::fs::read_dir(d) else { return };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() { walk(&p, out) } else { out.push(p.display().to_string()) }
        }
    }
    let mut out = Vec::new();
    walk(dir, &mut out);
    out.sort();
    out
}

#[tokio::test]
async fn a_steward_publishes_a_dataset_and_everyone_finds_it() {
    let app = TestApp::start(true).await;
    let tok = token(&app.store, STEWARD, &["datasets:write"]).await;
    let res = create(&app, &tok, "school-enrolment", "open").await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());

    let csv = enrolment_csv();
    let res = put_file(&app, &tok, "school-enrolment", 1, "enrolment.csv", csv.clone().into_bytes()).await;
    assert_eq!(res.status(), 200);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["version"], 2);
    assert_eq!(v["published"], false);
    let sha = hex::encode(Sha256::digest(csv.as_bytes()));
    assert_eq!(v["files"][0]["sha256"], sha.as_str());
    assert_eq!(v["files"][0]["bytes"], csv.len());
    assert_eq!(v["pii"], json!([]), "no personal data in enrolment counts");

    // Not public before publication.
    assert_eq!(http().get(app.url("/api/v1/datasets/school-enrolment")).send().await.unwrap().status(), 404);
    assert_eq!(publish(&app, &tok, "school-enrolment", 2).await.status(), 200);
    assert_eq!(publish(&app, &tok, "school-enrolment", 2).await.status(), 409, "published once");

    let found: Value =
        http().get(app.url("/api/v1/datasets?q=enrolment")).send().await.unwrap().json().await.unwrap();
    assert_eq!(found["total"], 1, "{found}");
    assert_eq!(found["items"][0]["slug"], "school-enrolment");
    assert!(found["items"][0]["highlight"].as_str().unwrap().contains("«enrolment»"), "{found}");
    let urdu: Value = http()
        .get(app.url(&format!("/api/v1/datasets?q={}", "داخلے")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(urdu["total"], 1, "found by its Urdu title: {urdu}");
    let none: Value = http()
        .get(app.url("/api/v1/datasets?q=enrolment&access=restricted"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(none["total"], 0, "the access facet filters");

    let shown: Value =
        http().get(app.url("/api/v1/datasets/school-enrolment")).send().await.unwrap().json().await.unwrap();
    assert_eq!(shown["version"], 2);
    assert_eq!(shown["publisher"]["slug"], "demo-citizen-services");
    assert_eq!(shown["versions"].as_array().unwrap().len(), 1, "only published versions are public");

    let profile: Value = http()
        .get(app.url("/api/v1/datasets/school-enrolment/versions/2/profile"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(profile[0]["name"], "enrolment.csv");
    assert_eq!(profile[0]["profile"]["rows"], 20, "{profile}");
    let deep: Value = http()
        .get(app.url("/api/v1/datasets?page=9000&per_page=100"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (deep["total"].as_u64(), deep["items"].as_array().map(Vec::len)),
        (Some(1), Some(0)),
        "{deep}"
    );
    let bad = http().get(app.url("/api/v1/datasets?sort=sideways")).send().await.unwrap();
    assert_eq!(bad.status(), 400);
}

#[tokio::test]
async fn a_direct_identifier_blocks_open_publication_until_a_reason_is_recorded() {
    let app = TestApp::start(true).await;
    let tok = token(&app.store, STEWARD, &["datasets:write"]).await;
    assert_eq!(create(&app, &tok, "loans", "open").await.status(), 201);
    let res = put_file(&app, &tok, "loans", 1, "loans.csv", cnic_csv().into_bytes()).await;
    assert_eq!(res.status(), 200);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["pii"][0]["column"], "borrower_cnic", "{v}");
    assert_eq!(v["pii"][0]["kind"], "cnic");
    assert_eq!(v["blocking"], json!(["borrower_cnic"]));

    let res = publish(&app, &tok, "loans", 2).await;
    assert_eq!(res.status(), 403);
    assert!(res.text().await.unwrap().contains("borrower_cnic"), "the refusal names the column");

    let mut m = meta("District school enrolment", "open");
    m["pii_reasons"] =
        json!([{"column": "borrower_cnic", "reason": "the numbers are synthetic, made for training"}]);
    let res = http()
        .put(app.url("/api/v1/org/datasets/loans/metadata?after=2"))
        .bearer_auth(&tok)
        .json(&m)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["version"], 3);
    assert_eq!(
        v["pii"][0]["reason"], "the numbers are synthetic, made for training",
        "the flag stays, with its reason"
    );
    assert_eq!(publish(&app, &tok, "loans", 3).await.status(), 200);
}

#[tokio::test]
async fn stale_changes_conflict_and_bad_metadata_names_the_field() {
    let app = TestApp::start(true).await;
    let tok = token(&app.store, STEWARD, &["datasets:write"]).await;
    assert_eq!(create(&app, &tok, "crops", "open").await.status(), 201);
    assert_eq!(create(&app, &tok, "crops", "open").await.status(), 409, "a slug is taken once");
    assert_eq!(put_file(&app, &tok, "crops", 1, "a.csv", enrolment_csv().into_bytes()).await.status(), 200);
    let res = put_file(&app, &tok, "crops", 1, "b.csv", enrolment_csv().into_bytes()).await;
    assert_eq!(res.status(), 409, "made from version 1 while version 2 exists");
    assert_eq!(org_version(&app, &tok, "crops").await, 2);

    let mut m = meta("", "open");
    m["licence"] = json!("cc-by-4.0");
    let res = http()
        .put(app.url("/api/v1/org/datasets/crops/metadata?after=2"))
        .bearer_auth(&tok)
        .json(&m)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let p: Value = res.json().await.unwrap();
    assert!(p.to_string().contains("title.en"), "{p}");
    let res = http()
        .post(app.url("/api/v1/org/datasets"))
        .bearer_auth(&tok)
        .json(&json!({"slug": "Not A Slug", "meta": meta("x", "open")}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(org_version(&app, &tok, "crops").await, 2, "nothing changed");
}

#[tokio::test]
async fn other_organisations_and_tokens_without_the_permission_are_refused() {
    let app = TestApp::start(true).await;
    let tok = token(&app.store, STEWARD, &["datasets:write"]).await;
    assert_eq!(create(&app, &tok, "complaints", "open").await.status(), 201);
    let bank = token(&app.store, BANK, &["datasets:write"]).await;
    for res in [
        http().get(app.url("/api/v1/org/datasets/complaints")).bearer_auth(&bank).send().await.unwrap(),
        put_file(&app, &bank, "complaints", 1, "x.csv", b"a\n1\n".to_vec()).await,
        publish(&app, &bank, "complaints", 1).await,
    ] {
        assert_eq!(res.status(), 404, "another organisation's dataset does not exist for it");
    }
    let listed: Value = http()
        .get(app.url("/api/v1/org/datasets"))
        .bearer_auth(&bank)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed, json!([]));
    let read_only = token(&app.store, STEWARD, &["systems:read"]).await;
    for res in [
        http().get(app.url("/api/v1/org/datasets")).bearer_auth(&read_only).send().await.unwrap(),
        create(&app, &read_only, "other", "open").await,
        put_file(&app, &read_only, "complaints", 1, "x.csv", b"a\n1\n".to_vec()).await,
    ] {
        assert_eq!(res.status(), 403);
    }
    assert_eq!(create(&app, "not-a-token", "x-y-z", "open").await.status(), 401);
    assert_eq!(org_version(&app, &tok, "complaints").await, 1);
}

#[tokio::test]
async fn uploads_that_are_malformed_too_large_or_broken_off_leave_nothing_behind() {
    let limits =
        mizan_app::limits::Limits { dataset_file_bytes: 4096, ..mizan_app::limits::Limits::default() };
    let app = TestApp::start_with_limits(true, limits).await;
    let tok = token(&app.store, STEWARD, &["datasets:write"]).await;
    assert_eq!(create(&app, &tok, "uploads", "open").await.status(), 201);
    let dir = app.data_dir.path().join("datasets");

    // Malformed: an unterminated quote; the error names the file and the line.
    let res = put_file(&app, &tok, "uploads", 1, "bad.csv", b"a,b\n1,\"open\n2,3\n".to_vec()).await;
    assert_eq!(res.status(), 400);
    let p: Value = res.json().await.unwrap();
    assert!(p["detail"].as_str().unwrap().contains("bad.csv"), "{p}");

    // Too large: refused at the limit (declared and streamed alike).
    let res = put_file(&app, &tok, "uploads", 1, "big.csv", vec![b'1'; 10_000]).await;
    assert_eq!(res.status(), 413);
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = (0..10).map(|_| Ok(vec![b'2'; 1000])).collect();
    let res = http()
        .put(app.url("/api/v1/org/datasets/uploads/files/streamed.csv?after=1"))
        .bearer_auth(&tok)
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(chunks)))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413, "a body of no declared length stops at the limit");

    // Broken off: the client's stream fails half way.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        vec![Ok(b"a,b\n1,2\n".to_vec()), Err(std::io::Error::other("the phone lost its signal"))];
    let res = http()
        .put(app.url("/api/v1/org/datasets/uploads/files/cut.csv?after=1"))
        .bearer_auth(&tok)
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(chunks)))
        .send()
        .await;
    assert!(res.is_err() || res.is_ok_and(|r| !r.status().is_success()));

    // Wait for the server to notice the broken connection, then nothing may remain.
    for _ in 0..100 {
        if files_under(&dir).is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(files_under(&dir), Vec::<String>::new(), "no file kept or left half-written");
    assert_eq!(org_version(&app, &tok, "uploads").await, 1, "no version was made");
}
