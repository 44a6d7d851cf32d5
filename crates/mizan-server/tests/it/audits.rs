//! Fairness audits in the platform, end to end on a real database (SQLite, or PostgreSQL when
//! `MIZAN_TEST_DATABASE_URL` is set): an uploaded file's stored report holds the engine's very
//! numbers, an audit of logged decisions counts exactly the decisions in its window, other
//! organisations and the public see only what they may, bad uploads are refused clearly and
//! store nothing, and the register shows a high-risk system's assessments without small groups,
//! in English and Urdu.

use crate::common;

use std::path::Path;

use crate::common::{TestApp, csrf, password, sign_in, token};
use mizan_fairness::report::{self, GroundTruth};
use mizan_fairness::{bootstrap, preset};
use serde_json::{Value, json};

fn http() -> reqwest::Client {
    reqwest::Client::new()
}

async fn json_of(res: reqwest::Response) -> Value {
    res.json().await.expect("json body")
}

const BANK: &str = "admin@indus-bank.demo";
const HEALTH: &str = "admin@rahbar-health.demo";
const REGULATOR: &str = "admin@regulator.demo";

/// A decisions file: `rows` per (gender, province), with one small province of `small` rows.
fn decisions_csv(small: usize) -> String {
    let mut out = String::from("id,gender,province,repaid,approved\n");
    let mut i = 0usize;
    for (province, n) in [("punjab", 90), ("sindh", 70), ("gilgit", small)] {
        for k in 0..n {
            i += 1;
            let gender = if k % 3 == 0 { "female" } else { "male" };
            let repaid = (k * 7 + i) % 10 < 7;
            let approved = if gender == "female" { (k * 11 + i) % 10 < 5 } else { (k * 11 + i) % 10 < 7 };
            out.push_str(&format!("{i},{gender},{province},{},{}\n", u8::from(repaid), u8::from(approved)));
        }
    }
    out
}

const COLUMNS: &str = "label=repaid&prediction=approved&sensitive=gender,province&preset=pk-national";

async fn upload(app: &TestApp, token: &str, path: &str, query: &str, body: Vec<u8>) -> reqwest::Response {
    http()
        .post(app.url(&format!("{path}?{query}")))
        .bearer_auth(token)
        .header("content-type", "text/csv")
        .body(body)
        .send()
        .await
        .unwrap()
}

async fn audit_count(app: &TestApp, token: &str, id: &str) -> usize {
    let list = json_of(
        http()
            .get(app.url(&format!("/api/v1/org/systems/{id}/audits")))
            .bearer_auth(token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    list.as_array().expect("a list").len()
}

/// A registered system of the demo bank, and a bank token that may read, run audits and log.
async fn bank_system(app: &TestApp, name: &str) -> (String, String) {
    let (id, _) = common::registered_system(app, name).await;
    let t =
        token(&app.store, BANK, &["systems:read", "systems:write", "audits:run", "decisions:write"]).await;
    (id, t)
}

/// A submitted (not yet registered, so not public) system of the demo bank, and a bank token
/// that may read and run audits.
async fn bank_submitted_system(app: &TestApp, name: &str) -> (String, String) {
    let (id, _) = common::submitted_system(app, name).await;
    let t =
        token(&app.store, BANK, &["systems:read", "systems:write", "audits:run", "decisions:write"]).await;
    (id, t)
}

#[tokio::test]
async fn an_uploaded_files_stored_report_holds_the_engines_numbers() {
    let app = TestApp::start(true).await;
    let (id, bank) = bank_system(&app, "Loan approvals").await;
    let csv = decisions_csv(12);
    let res = upload(
        &app,
        &bank,
        &format!("/api/v1/org/systems/{id}/versions/1/audits"),
        &format!("{COLUMNS}&file_name=loans.csv"),
        csv.clone().into_bytes(),
    )
    .await;
    assert_eq!(res.status(), 201);
    let audit = json_of(res).await;
    assert_eq!(audit["rows"], 172);
    assert_eq!(audit["role"], "provider");
    assert_eq!(audit["source"]["file_name"], "loans.csv");
    assert_eq!(audit["parameters"]["sensitive"], json!(["gender", "province"]));

    // The same file through the engine and the report crate, with the settings recorded.
    let spec = mizan_fairness_io::Spec {
        label: "repaid".into(),
        prediction: "approved".into(),
        sensitive: vec!["gender".into(), "province".into()],
        ..mizan_fairness_io::Spec::default()
    };
    let loaded = mizan_fairness_io::load_bytes(Path::new("loans.csv"), csv.as_bytes(), &spec).unwrap();
    let built = report::build(
        &loaded.cells,
        &report::Config {
            preset: preset::find("pk-national"),
            bootstrap: bootstrap::Config { replicates: 1000, seed: 0, ..bootstrap::Config::default() },
            ground_truth: GroundTruth::Observed,
            ..report::Config::default()
        },
    );
    let source = mizan_fairness_report::Source {
        input: "loans.csv".into(),
        sha256: loaded.sha256.clone(),
        rows: 172,
        label: "repaid".into(),
        prediction: "approved".into(),
        pos_label: "1".into(),
        weight: None,
    };
    let doc = mizan_fairness_report::Document::new(&built, source, "x", "x");
    let engine: Value = serde_json::from_str(&mizan_fairness_report::json(&doc).unwrap()).unwrap();

    let stored =
        json_of(http().get(audit["report_url"].as_str().unwrap()).bearer_auth(&bank).send().await.unwrap())
            .await;
    assert_eq!(stored["format"], "mizan.fairness.audit/1");
    assert_eq!(stored["report"], engine["report"], "every count, rate, interval and verdict is the engine's");
    assert_eq!(stored["source"]["sha256"], mizan_store::sha256_hex(csv.as_bytes()));
    assert_eq!(stored["source"]["sha256"], audit["source"]["sha256"]);
    assert!(
        stored["reproduce"]
            .as_str()
            .unwrap()
            .starts_with("mizan audit fairness --input loans.csv --label repaid")
    );
    let verdicts = stored["report"]["verdicts"].as_array().unwrap();
    assert_eq!(audit["summary"]["verdicts"].as_array().unwrap().len(), verdicts.len());

    // The same file as multipart/form-data through the API gives the same report.
    let boundary = "mizan-test-boundary";
    let mut body = Vec::new();
    for (k, v) in [
        ("label", "repaid"),
        ("prediction", "approved"),
        ("sensitive", "gender,province"),
        ("preset", "pk-national"),
    ] {
        body.extend(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").bytes(),
        );
    }
    body.extend(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"loans.csv\"\r\nContent-Type: text/csv\r\n\r\n")
            .bytes(),
    );
    body.extend(csv.bytes());
    body.extend(format!("\r\n--{boundary}--\r\n").bytes());
    let res = http()
        .post(app.url(&format!("/api/v1/org/systems/{id}/versions/1/audits")))
        .bearer_auth(&bank)
        .header("content-type", format!("multipart/form-data; boundary={boundary}"))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let second = json_of(res).await;
    let again =
        json_of(http().get(second["report_url"].as_str().unwrap()).bearer_auth(&bank).send().await.unwrap())
            .await;
    assert_eq!(again["report"], stored["report"]);
    assert_eq!(audit_count(&app, &bank, &id).await, 2);

    // The provider's page lists both with their reports; the HTML report is the engine's
    // self-contained page under a content policy that lets nothing load or run.
    let c = sign_in(&app, BANK, password(BANK)).await;
    let page = c.get(app.url(&format!("/app/systems/{id}"))).send().await.unwrap().text().await.unwrap();
    let audit_id = audit["id"].as_str().unwrap();
    assert!(page.contains(&format!("/app/systems/{id}/audits/{audit_id}.html")), "listed on the system page");
    let res = c.get(app.url(&format!("/app/systems/{id}/audits/{audit_id}.html"))).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let csp = res.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(csp.contains("sandbox") && csp.contains("default-src 'none'"), "{csp}");
    let html = res.text().await.unwrap();
    assert!(html.contains("<h1>Fairness audit</h1>") && html.contains("loans.csv"));

    // Reports are immutable below the application.
    let before = app.store.table_fingerprint("audits").await.unwrap();
    let err =
        app.store.try_rewrite_audits().await.expect_err("the database refuses to change a stored audit");
    assert!(err.to_string().contains("audits is append-only"), "{err}");
    assert_eq!(app.store.table_fingerprint("audits").await.unwrap(), before);
}

#[tokio::test]
async fn a_provider_runs_an_audit_through_the_page_form() {
    let app = TestApp::start(true).await;
    let (id, _) = bank_system(&app, "Form audits").await;
    let c = sign_in(&app, BANK, password(BANK)).await;
    let page = c.get(app.url(&format!("/app/systems/{id}/audits"))).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    assert!(page.contains(r#"enctype="multipart/form-data""#) && page.contains("audits/logged"));
    let token = csrf(&app, &c).await;
    let form = |fields: &[(&str, &str)], file: &str| {
        let boundary = "form-boundary-1";
        let mut body = String::new();
        for (k, v) in fields {
            body.push_str(&format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
            ));
        }
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"C:\\\\fakepath\\\\loans.csv\"\r\n\r\n{file}\r\n--{boundary}--\r\n"
        ));
        (format!("multipart/form-data; boundary={boundary}"), body)
    };
    let fields = [
        ("csrf", token.as_str()),
        ("version", "1"),
        ("label", "repaid"),
        ("prediction", "approved"),
        ("sensitive", "gender"),
        ("preset", "us-four-fifths"),
    ];
    let (ctype, body) = form(&fields, &decisions_csv(40));
    let res = c
        .post(app.url(&format!("/app/systems/{id}/audits")))
        .header("content-type", ctype)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let to = res.headers()["location"].to_str().unwrap().to_owned();
    assert!(to.starts_with(&format!("/app/systems/{id}/audits?created=")), "{to}");
    let page = c.get(app.url(&to)).send().await.unwrap().text().await.unwrap();
    assert!(
        page.contains("id=\"created\"") && page.contains("file loans.csv"),
        "the path is dropped from the name"
    );

    // A wrong column in Urdu: the form again, saying which column and which ones exist.
    let (ctype, body) = form(
        &[
            ("csrf", token.as_str()),
            ("version", "1"),
            ("label", "repaid"),
            ("prediction", "approved"),
            ("sensitive", "sex"),
        ],
        &decisions_csv(40),
    );
    let res = c
        .post(app.url(&format!("/app/systems/{id}/audits?lang=ur")))
        .header("content-type", ctype)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let page = res.text().await.unwrap();
    assert!(page.contains(r#"lang="ur" dir="rtl""#), "the Urdu page");
    assert!(page.contains("کالم `sex` فائل میں نہیں ملا"), "the message is in Urdu");
    assert!(page.contains("`gender`, `province`"), "and lists the columns present");
    // A missing CSRF token is refused before anything else.
    let (ctype, body) = form(&[("version", "1")], "a\n");
    let res = c
        .post(app.url(&format!("/app/systems/{id}/audits")))
        .header("content-type", ctype)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let t = token_with_audits(&app).await;
    assert_eq!(audit_count(&app, &t, &id).await, 1, "only the good upload was stored");
}

async fn token_with_audits(app: &TestApp) -> String {
    token(&app.store, BANK, &["systems:read", "audits:run"]).await
}

fn logged(key: &str, when: &str, gender: &str, approve: bool, repaid: bool) -> Value {
    json!({
        "idempotency_key": key,
        "system_version": 1,
        "model_hash": "sha256:9f2c0d6e",
        "features": {"income": 85000, "gender": gender, "repaid": repaid},
        "output": if approve { "approve" } else { "decline" },
        "score": 0.5,
        "human": {"involved": false, "by": null},
        "decided_at": when,
        "subject_ref": format!("applicant-{key}")
    })
}

#[tokio::test]
async fn an_audit_of_logged_decisions_counts_exactly_the_decisions_in_its_window() {
    let app = TestApp::start(true).await;
    let (id, bank) = bank_system(&app, "Logged loan decisions").await;
    // 12 in the window (its first second and its last), 7 just outside it on either side.
    let mut batch = Vec::new();
    let mut inside = Vec::new();
    for i in 0..40 {
        let (when, is_in) = match i % 5 {
            0 => ("2026-03-01T00:00:00Z", true),
            1 => ("2026-03-15T12:30:00Z", true),
            2 => ("2026-03-31T23:59:59Z", true),
            3 => ("2026-02-28T23:59:59Z", false),
            _ => ("2026-04-01T00:00:00Z", false),
        };
        let gender = if i % 2 == 0 { "female" } else { "male" };
        let approve = i % 3 != 0;
        batch.push(logged(&format!("k{i}"), when, gender, approve, i % 4 != 0));
        if is_in {
            inside.push((gender, approve));
        }
    }
    let res = http()
        .post(app.url(&format!("/api/v1/systems/{id}/decisions")))
        .bearer_auth(&bank)
        .json(&batch)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let receipts = json_of(res).await["receipts"].as_array().unwrap().clone();

    let run = |body: Value| {
        let (app, bank, id) = (&app, bank.clone(), id.clone());
        async move {
            http()
                .post(app.url(&format!("/api/v1/org/systems/{id}/versions/1/audits/logged")))
                .bearer_auth(&bank)
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };
    let res = run(json!({"from": "2026-03-01", "to": "2026-03-31", "sensitive": ["gender"], "pos_label": "approve", "preset": "pk-national"})).await;
    assert_eq!(res.status(), 201);
    let audit = json_of(res).await;
    assert_eq!(audit["rows"], inside.len(), "exactly the decisions in the window");
    assert_eq!(
        audit["source"],
        json!({"kind": "logged", "file_name": null, "sha256": null, "size_bytes": null,
        "from": "2026-03-01T00:00:00Z", "to": "2026-04-01T00:00:00Z"})
    );
    let report =
        json_of(http().get(audit["report_url"].as_str().unwrap()).bearer_auth(&bank).send().await.unwrap())
            .await;
    let r = &report["report"];
    assert_eq!(r["labelled"], false, "logged decisions carry no true outcome");
    for gender in ["female", "male"] {
        let g = r["groups"].as_array().unwrap().iter().find(|g| g["group"] == json!([gender])).unwrap();
        let n = inside.iter().filter(|(x, _)| *x == gender).count();
        let favourable = inside.iter().filter(|(x, a)| *x == gender && *a).count();
        assert_eq!(g["rows"], n, "{gender}");
        // Without labels the cells count favourable decisions as TP and the others as TN.
        assert_eq!(g["counts"]["n"][0], favourable, "{gender}");
        assert_eq!(g["counts"]["n"][3], n - favourable, "{gender}");
    }
    let unavailable: Vec<&str> =
        r["unavailable"].as_array().unwrap().iter().map(|u| u["id"].as_str().unwrap()).collect();
    assert!(
        unavailable.contains(&"fairlearn:equalized_odds_difference:between_groups:worst_case"),
        "{unavailable:?}"
    );
    let eo = r["verdicts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["metric"].as_str().unwrap().contains("equalized_odds"))
        .unwrap();
    assert_eq!(eo["outcome"], "insufficient_data");
    assert_eq!(report["source"]["pos_label"], "approve");

    // With the outcome a feature holds, error rates are computed too.
    let res = run(json!({"from": "2026-03-01", "to": "2026-03-31", "sensitive": ["gender"], "label": "repaid", "pos_label": "approve"})).await;
    assert_eq!(
        res.status(),
        400,
        "labels `true`/`false` and decisions `approve`/`decline` share no favourable value"
    );
    let body = json_of(res).await;
    assert_eq!(body["field"], "label");
    assert!(body["detail"].as_str().unwrap().contains("`false`, `true`"), "{body}");
    let labelled: Vec<Value> = (0..40)
        .map(|i| {
            let mut d = logged(
                &format!("l{i}"),
                "2026-05-02T10:00:00Z",
                ["female", "male"][i % 2],
                i % 3 != 0,
                false,
            );
            d["features"]["merited"] = json!(if i % 4 == 0 { "decline" } else { "approve" });
            d
        })
        .collect();
    let res = http()
        .post(app.url(&format!("/api/v1/systems/{id}/decisions")))
        .bearer_auth(&bank)
        .json(&labelled)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let res = run(json!({"from": "2026-05-01", "to": "2026-05-31", "sensitive": ["gender"], "label": "merited", "pos_label": "approve"})).await;
    assert_eq!(res.status(), 201);
    let audit = json_of(res).await;
    assert_eq!(audit["rows"], 40);
    let report =
        json_of(http().get(audit["report_url"].as_str().unwrap()).bearer_auth(&bank).send().await.unwrap())
            .await;
    assert_eq!(report["report"]["labelled"], true, "a feature holding the outcome gives error rates too");
    assert!(report["report"].get("unavailable").is_none());

    // An erased decision in the window is left out, and the report says so.
    let reference = receipts[0]["reference"].as_str().unwrap();
    let res = http()
        .delete(app.url(&format!("/api/v1/org/decisions/{reference}")))
        .bearer_auth(&bank)
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "erased");
    let res = run(json!({"from": "2026-03-01T00:00:00Z", "to": "2026-04-01T00:00:00Z", "sensitive": ["gender"], "pos_label": "approve"})).await;
    assert_eq!(res.status(), 201);
    let audit = json_of(res).await;
    assert_eq!(audit["rows"], inside.len() - 1);
    let report =
        json_of(http().get(audit["report_url"].as_str().unwrap()).bearer_auth(&bank).send().await.unwrap())
            .await;
    assert!(report["source"]["input"].as_str().unwrap().contains("(1 erased decisions left out)"));

    // A window with no decisions, a feature no decision has, and a bad date: clear, nothing stored.
    let before = audit_count(&app, &bank, &id).await;
    let res = run(
        json!({"from": "2025-01-01", "to": "2025-01-31", "sensitive": ["gender"], "pos_label": "approve"}),
    )
    .await;
    assert_eq!(res.status(), 400);
    assert_eq!(json_of(res).await["field"], "from");
    let res = run(
        json!({"from": "2026-03-01", "to": "2026-03-31", "sensitive": ["province"], "pos_label": "approve"}),
    )
    .await;
    assert_eq!(res.status(), 400);
    let body = json_of(res).await;
    assert_eq!(body["field"], "sensitive");
    assert!(body["detail"].as_str().unwrap().contains("`gender`, `income`, `repaid`"), "{body}");
    let res = run(json!({"from": "March", "to": "2026-03-31", "sensitive": ["gender"]})).await;
    assert_eq!(json_of(res).await["field"], "from");
    assert_eq!(audit_count(&app, &bank, &id).await, before);

    // The regulator audits the same decisions (of any system) and both see it.
    let reg = token(&app.store, REGULATOR, &["register:queue", "audits:run"]).await;
    let res = http()
        .post(app.url(&format!("/api/v1/regulator/systems/{id}/versions/1/audits/logged")))
        .bearer_auth(&reg)
        .json(&json!({"from": "2026-03-01", "to": "2026-03-31", "sensitive": ["gender"], "pos_label": "approve"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let regulator_audit = json_of(res).await;
    assert_eq!(regulator_audit["role"], "regulator");
    assert_eq!(regulator_audit["rows"], inside.len() - 1);
    let listed = json_of(
        http()
            .get(app.url(&format!("/api/v1/org/systems/{id}/audits")))
            .bearer_auth(&bank)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(
        listed.as_array().unwrap().iter().any(|a| a["role"] == "regulator"),
        "the provider sees the regulator's audit"
    );
}

#[tokio::test]
async fn other_organisations_and_the_public_see_only_what_they_may() {
    let app = TestApp::start(true).await;
    let (id, bank) = bank_submitted_system(&app, "Tenant fenced audits").await;
    let res = upload(
        &app,
        &bank,
        &format!("/api/v1/org/systems/{id}/versions/1/audits"),
        COLUMNS,
        decisions_csv(40).into_bytes(),
    )
    .await;
    assert_eq!(res.status(), 201);
    let audit = json_of(res).await;
    let audit_id = audit["id"].as_str().unwrap();

    // Another provider: not found, whatever it asks; nothing is created.
    let health = token(&app.store, HEALTH, &["systems:read", "audits:run"]).await;
    let res = upload(
        &app,
        &health,
        &format!("/api/v1/org/systems/{id}/versions/1/audits"),
        COLUMNS,
        decisions_csv(40).into_bytes(),
    )
    .await;
    assert_eq!(res.status(), 404);
    for path in [
        format!("/api/v1/org/systems/{id}/audits"),
        format!("/api/v1/org/systems/{id}/audits/{audit_id}/report"),
    ] {
        let res = http().get(app.url(&path)).bearer_auth(&health).send().await.unwrap();
        assert_eq!(res.status(), 404, "{path}");
    }
    let res = http()
        .post(app.url(&format!("/api/v1/org/systems/{id}/versions/1/audits/logged")))
        .bearer_auth(&health)
        .json(&json!({"from": "2026-01-01", "to": "2026-01-31", "sensitive": ["gender"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let c = sign_in(&app, HEALTH, password(HEALTH)).await;
    for path in [format!("/app/systems/{id}/audits"), format!("/app/systems/{id}/audits/{audit_id}.html")] {
        assert_eq!(c.get(app.url(&path)).send().await.unwrap().status(), 404, "{path}");
    }
    // Nor through the regulator's door.
    let res = http()
        .get(app.url(&format!("/api/v1/regulator/systems/{id}/audits")))
        .bearer_auth(&health)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    // The bank's own token without `audits:run` may read but not run.
    let reader = token(&app.store, BANK, &["systems:read"]).await;
    let res = upload(
        &app,
        &reader,
        &format!("/api/v1/org/systems/{id}/versions/1/audits"),
        COLUMNS,
        decisions_csv(40).into_bytes(),
    )
    .await;
    assert_eq!(res.status(), 403);
    assert_eq!(json_of(res).await["detail"], "this needs the `audits:run` permission");
    assert_eq!(audit_count(&app, &bank, &id).await, 1);

    // The public: a submitted system is not on the register at all.
    assert_eq!(http().get(app.url(&format!("/api/v1/systems/{id}"))).send().await.unwrap().status(), 404);
    assert_eq!(app.store.public_audits(&id).await.unwrap().len(), 0);
    let page = http().get(app.url(&format!("/register/{id}"))).send().await.unwrap();
    assert_eq!(page.status(), 404);

    // A registered system that is not high-risk shows no assessments, even with one stored.
    let reg = token(&app.store, REGULATOR, &["register:queue", "register:transition", "audits:run"]).await;
    for to in ["under_review", "registered"] {
        let res = http()
            .post(app.url(&format!("/api/v1/regulator/systems/{id}/transitions")))
            .bearer_auth(&reg)
            .json(&json!({"to": to, "reason": "ok"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{to}");
    }
    let public = json_of(http().get(app.url(&format!("/api/v1/systems/{id}"))).send().await.unwrap()).await;
    assert_ne!(public["risk_tier"], "high");
    assert!(public.get("bias_assessments").is_none(), "{public}");
    let page = http().get(app.url(&format!("/register/{id}"))).send().await.unwrap().text().await.unwrap();
    assert!(!page.contains("bias-assessments"));
}

#[tokio::test]
async fn the_register_shows_a_high_risk_systems_assessments_without_small_groups() {
    let app = TestApp::start(true).await;
    let bank = token_with_audits(&app).await;
    let id = common::registered_high_risk(&app, "Public credit scoring", common::high_risk_answers()).await;
    let public = json_of(http().get(app.url(&format!("/api/v1/systems/{id}"))).send().await.unwrap()).await;
    assert_eq!(public["risk_tier"], "high");
    assert_eq!(public["bias_assessments"], json!([]), "a high-risk system lists its assessments, none yet");

    let res = upload(
        &app,
        &bank,
        &format!("/api/v1/org/systems/{id}/versions/1/audits"),
        &format!("{COLUMNS}&file_name=internal-q1.csv"),
        decisions_csv(12).into_bytes(),
    )
    .await;
    assert_eq!(res.status(), 201);
    let audit = json_of(res).await;
    let groups =
        json_of(http().get(audit["report_url"].as_str().unwrap()).bearer_auth(&bank).send().await.unwrap())
            .await["report"]["groups"]
            .clone();
    let sizes: Vec<(String, u64)> = groups
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["group"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_str().unwrap())
                    .collect::<Vec<_>>()
                    .join(" × "),
                g["rows"].as_u64().unwrap(),
            )
        })
        .collect();
    let (shown, hidden): (Vec<_>, Vec<_>) = sizes.iter().filter(|(_, n)| *n > 0).partition(|(_, n)| *n >= 30);
    assert!(
        !shown.is_empty() && !hidden.is_empty(),
        "the file has groups on both sides of the threshold: {sizes:?}"
    );

    let public = json_of(http().get(app.url(&format!("/api/v1/systems/{id}"))).send().await.unwrap()).await;
    let a = &public["bias_assessments"][0];
    assert_eq!(a["run_by"], "provider");
    assert_eq!(a["source"], "upload");
    assert_eq!(a["file_sha256"], audit["source"]["sha256"]);
    assert!(
        a.get("file_name").is_none() && !public.to_string().contains("internal-q1.csv"),
        "no file names in public"
    );
    assert_eq!(a["summary"]["disclosure_threshold"], 30);
    assert_eq!(a["summary"]["suppressed_groups"], hidden.len());
    let listed: Vec<(String, u64)> = a["summary"]["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["group"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_str().unwrap())
                    .collect::<Vec<_>>()
                    .join(" × "),
                g["rows"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(listed, shown.iter().map(|(g, n)| (g.clone(), *n)).collect::<Vec<_>>());
    assert_eq!(a["summary"]["verdicts"].as_array().unwrap().len(), 3, "pk-national has three rules");
    assert!(
        a["summary"]["verdicts"][0].get("value").is_none(),
        "outcomes, not values a small group could move"
    );
    assert!(!public.to_string().contains("gilgit"), "no small group is named");

    let page = http().get(app.url(&format!("/register/{id}"))).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("id=\"bias-assessments\"") && page.contains("Bias assessments"));
    assert!(page.contains("groups with fewer than 30 decisions are not shown"));
    for (g, n) in &shown {
        assert!(page.contains(&format!("<bdi>{g}</bdi></td><td>{n}</td>")), "{g} {n}");
    }
    assert!(!page.contains("gilgit"), "small groups are hidden");
    assert!(page.contains(&format!("{} smaller groups are not shown", hidden.len())));
    assert!(page.contains("pk-national") && page.contains("run by the provider"));

    let ur =
        http().get(app.url(&format!("/register/{id}?lang=ur"))).send().await.unwrap().text().await.unwrap();
    assert!(ur.contains(r#"<html lang="ur" dir="rtl">"#), "the Urdu page is right to left");
    let section = &ur[ur.find("id=\"bias-assessments\"").expect("the section")..];
    assert!(section.contains("تعصب کے جائزے") && section.contains("فراہم کنندہ نے چلایا"), "in Urdu");
    assert!(!section.contains("gilgit"));

    // An audit of a version that was never registered stays private.
    let writer = token(&app.store, BANK, &["systems:read", "systems:write", "systems:submit"]).await;
    let mut r2 = common::record("Public credit scoring");
    r2["purpose"] = json!("second version");
    let res = http()
        .put(app.url(&format!("/api/v1/org/systems/{id}")))
        .bearer_auth(&writer)
        .json(&r2)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let res = http()
        .post(app.url(&format!("/api/v1/org/systems/{id}/transitions")))
        .bearer_auth(&writer)
        .json(&json!({"to": "submitted"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let res = upload(
        &app,
        &bank,
        &format!("/api/v1/org/systems/{id}/versions/2/audits"),
        COLUMNS,
        decisions_csv(40).into_bytes(),
    )
    .await;
    assert_eq!(res.status(), 201);
    let public = json_of(http().get(app.url(&format!("/api/v1/systems/{id}"))).send().await.unwrap()).await;
    assert_eq!(
        public["bias_assessments"].as_array().unwrap().len(),
        1,
        "only the registered version's audit"
    );
    assert_eq!(audit_count(&app, &bank, &id).await, 2, "the provider sees both");
}

#[tokio::test]
async fn bad_uploads_are_refused_clearly_and_store_nothing() {
    let app = TestApp::start(true).await;
    let (id, bank) = bank_system(&app, "Refused uploads").await;
    let path = format!("/api/v1/org/systems/{id}/versions/1/audits");
    let check = |res: reqwest::Response, status: u16, field: &'static str, says: &'static [&'static str]| async move {
        assert_eq!(res.status(), status, "{field}");
        assert_eq!(res.headers()["content-type"], "application/problem+json");
        let body = json_of(res).await;
        assert_eq!(body["field"], field, "{body}");
        for s in says {
            assert!(body["detail"].as_str().unwrap().contains(s), "{s}: {body}");
        }
    };
    // A missing column lists the columns present.
    let res = upload(
        &app,
        &bank,
        &path,
        "label=repaid&prediction=approved&sensitive=sex",
        decisions_csv(40).into_bytes(),
    )
    .await;
    check(
        res,
        400,
        "sensitive",
        &["column `sex` not found", "`id`, `gender`, `province`, `repaid`, `approved`"],
    )
    .await;
    // A label that is not binary, without a favourable value.
    let res = upload(
        &app,
        &bank,
        &path,
        "label=province&prediction=approved&sensitive=gender",
        decisions_csv(40).into_bytes(),
    )
    .await;
    check(res, 400, "pos_label", &["cannot tell the favourable value", "`province`"]).await;
    // A decision missing in a row names the row.
    let holes = "repaid,approved,gender\n1,1,f\n0,,m\n".as_bytes().to_vec();
    let res = upload(&app, &bank, &path, "label=repaid&prediction=approved&sensitive=gender", holes).await;
    check(res, 400, "prediction", &["column `approved`", "data row 2"]).await;
    // An empty file, and a header with no rows.
    let res = upload(&app, &bank, &path, COLUMNS, Vec::new()).await;
    check(res, 400, "file", &["no data rows"]).await;
    let res = upload(&app, &bank, &path, COLUMNS, b"id,gender,province,repaid,approved\n".to_vec()).await;
    check(res, 400, "file", &["no data rows"]).await;
    // Parquet that is not.
    let res = upload(&app, &bank, &path, COLUMNS, b"PAR1 this is not parquet".to_vec()).await;
    check(res, 400, "file", &["Parquet"]).await;
    // Bad settings.
    let res =
        upload(&app, &bank, &path, "prediction=approved&sensitive=gender", decisions_csv(40).into_bytes())
            .await;
    check(res, 400, "label", &["true outcome"]).await;
    let res = upload(&app, &bank, &path, &format!("{COLUMNS}x"), decisions_csv(40).into_bytes()).await;
    check(res, 400, "preset", &["unknown standard `pk-nationalx`", "`us-four-fifths`"]).await;
    let res = upload(
        &app,
        &bank,
        &format!("/api/v1/org/systems/{id}/versions/9/audits"),
        COLUMNS,
        decisions_csv(40).into_bytes(),
    )
    .await;
    assert_eq!(res.status(), 404, "no version 9");
    // Larger than the limit: refused before it is read.
    let mut big = decisions_csv(40).into_bytes();
    big.resize(mizan_app::limits::Limits::default().audit_upload_bytes + 64 * 1024 + 1, b'\n');
    let res = upload(&app, &bank, &path, COLUMNS, big).await;
    assert_eq!(res.status(), 413);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    assert_eq!(audit_count(&app, &bank, &id).await, 0, "nothing was stored");
}

/// The issue's bomb: a small file whose sensitive column has 20,000 distinct values.
fn many_groups_csv(rows: usize) -> Vec<u8> {
    let mut out = String::from("repaid,approved,gender,zip\n");
    for i in 0..rows {
        out.push_str(&format!("{},{},{},z{i}\n", i % 2, (i / 2) % 2, ["f", "m"][i % 2]));
    }
    out.into_bytes()
}

#[tokio::test]
async fn uploads_over_a_limit_are_refused_naming_the_column_and_store_nothing() {
    let app = TestApp::start(true).await;
    let (id, bank) = bank_system(&app, "Bounded audits").await;
    let path = format!("/api/v1/org/systems/{id}/versions/1/audits");
    let problem = |res: reqwest::Response| async move {
        assert_eq!(res.status(), 400);
        assert_eq!(res.headers()["content-type"], "application/problem+json");
        json_of(res).await
    };
    // Too many groups in one column: refused while counting, naming it.
    let q = "label=repaid&prediction=approved&sensitive=zip";
    let p = problem(upload(&app, &bank, &path, q, many_groups_csv(20_000)).await).await;
    assert_eq!(p["field"], "sensitive", "{p}");
    assert!(p["detail"].as_str().unwrap().contains("column `zip` has more than 2000 distinct values"), "{p}");
    // Too many intersections: each column fits, their product (2 × 1,500 × 3) does not.
    let mut csv = String::from("repaid,approved,gender,zip,band\n");
    for i in 0..3000 {
        csv.push_str(&format!("{},{},{},z{},b{}\n", i % 2, (i / 2) % 2, ["f", "m"][i % 2], i % 1500, i % 3));
    }
    let q = "label=repaid&prediction=approved&sensitive=gender,zip&control=band";
    let p = problem(upload(&app, &bank, &path, q, csv.into_bytes()).await).await;
    assert_eq!(p["field"], "sensitive", "{p}");
    assert!(p["detail"].as_str().unwrap().contains("`gender` (2) × `zip` (1500) × `band` (3)"), "{p}");
    // A value too long: column and row.
    let long = format!("repaid,approved,gender\n1,1,f\n0,1,{}\n", "x".repeat(300));
    let q = "label=repaid&prediction=approved&sensitive=gender";
    let p = problem(upload(&app, &bank, &path, q, long.into_bytes()).await).await;
    assert_eq!(p["field"], "sensitive", "{p}");
    let detail = p["detail"].as_str().unwrap();
    assert!(detail.contains("column `gender` has a value of 300 characters at data row 2"), "{p}");
    assert!(!detail.contains("xxxxxxxxxx"), "the value itself is not echoed: {p}");
    assert_eq!(audit_count(&app, &bank, &id).await, 0, "nothing was stored");

    // The page says it in Urdu.
    let c = sign_in(&app, BANK, password(BANK)).await;
    let token = csrf(&app, &c).await;
    let boundary = "bounds-boundary";
    let mut body = String::new();
    for (k, v) in [
        ("csrf", token.as_str()),
        ("version", "1"),
        ("label", "repaid"),
        ("prediction", "approved"),
        ("sensitive", "zip"),
    ] {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
        ));
    }
    body.push_str(&format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"zip.csv\"\r\n\r\n{}\r\n--{boundary}--\r\n",
        String::from_utf8(many_groups_csv(20_000)).unwrap()
    ));
    for (lang, says) in [
        ("en", "column `zip` has more than 2000 distinct values"),
        ("ur", "کالم `zip` میں 2000 سے زیادہ مختلف قدریں ہیں"),
    ] {
        let res = c
            .post(app.url(&format!("/app/systems/{id}/audits?lang={lang}")))
            .header("content-type", format!("multipart/form-data; boundary={boundary}"))
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400);
        let page = res.text().await.unwrap();
        assert!(page.contains(says), "{lang}: {page}");
    }
    assert_eq!(audit_count(&app, &bank, &id).await, 0, "nothing was stored");
}

#[tokio::test]
async fn a_report_over_the_limit_is_refused_before_it_is_stored() {
    let limits =
        mizan_app::limits::Limits { audit_report_bytes: 20_000, ..mizan_app::limits::Limits::default() };
    let app = TestApp::start_with_limits(true, limits).await;
    let (id, bank) = bank_system(&app, "Large reports").await;
    let path = format!("/api/v1/org/systems/{id}/versions/1/audits");
    let res = upload(&app, &bank, &path, COLUMNS, decisions_csv(40).into_bytes()).await;
    assert_eq!(res.status(), 400);
    let p = json_of(res).await;
    assert_eq!(p["field"], "sensitive", "{p}");
    assert!(p["detail"].as_str().unwrap().contains("more than the 20000 an audit may store"), "{p}");
    assert_eq!(audit_count(&app, &bank, &id).await, 0, "nothing was stored");
}

#[tokio::test]
async fn audits_beyond_the_limit_at_once_are_refused_as_busy() {
    let app = TestApp::start(true).await;
    let (id, bank) = bank_system(&app, "Busy audits").await;
    let path = format!("/api/v1/org/systems/{id}/versions/1/audits");
    // Two audits (the default) hold every permit.
    let held: Vec<_> = (0..2).map(|_| app.platform.heavy_permit().expect("a permit")).collect();
    assert!(app.platform.heavy_permit().is_err(), "no third permit");
    let res = upload(&app, &bank, &path, COLUMNS, decisions_csv(40).into_bytes()).await;
    assert_eq!(res.status(), 503);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let p = json_of(res).await;
    assert!(p["detail"].as_str().unwrap().contains("try again"), "{p}");
    assert_eq!(audit_count(&app, &bank, &id).await, 0, "nothing was stored");
    // Logged audits share the permits.
    let res = http()
        .post(app.url(&format!("/api/v1/org/systems/{id}/versions/1/audits/logged")))
        .bearer_auth(&bank)
        .json(&json!({"from": "2026-01-01", "to": "2026-01-31", "sensitive": ["gender"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 503);
    drop(held);
    let res = upload(&app, &bank, &path, COLUMNS, decisions_csv(40).into_bytes()).await;
    assert_eq!(res.status(), 201, "free again once the others finish");
}

/// One decision per person with a unique monthly income, all approved: grouped by income, every
/// group is one person and every measure looks perfect.
fn flattering_csv() -> String {
    let mut out = String::from("id,gender,province,monthly_income,repaid,approved\n");
    for i in 0..120 {
        let gender = if i % 2 == 0 { "female" } else { "male" };
        out.push_str(&format!("{i},{gender},punjab,{},1,1\n", 40_000 + i * 137));
    }
    out
}

/// Only audits that follow a standard are public, each standard shows its latest audit and its
/// history, and a failing audit is never hidden behind newer ones of another shape.
#[tokio::test]
async fn public_assessments_follow_a_standard_and_a_failing_one_stays_visible() {
    let app = TestApp::start(true).await;
    let bank = token_with_audits(&app).await;
    let id = common::registered_high_risk(&app, "Gamed credit scoring", common::high_risk_answers()).await;
    let path = format!("/api/v1/org/systems/{id}/versions/1/audits");
    let run = |query: String, body: String| {
        let (app, bank, path) = (&app, &bank, &path);
        async move {
            let res = upload(app, bank, path, &query, body.into_bytes()).await;
            assert_eq!(res.status(), 201, "{query}");
            json_of(res).await
        }
    };
    let failing = run(COLUMNS.into(), decisions_csv(12)).await;
    let fails =
        |a: &Value| a["summary"]["verdicts"].as_array().unwrap().iter().any(|v| v["outcome"] == "fail");
    assert!(fails(&failing) && failing["follows_standard"] == true, "{failing}");
    // No standard, grouped by income: private.
    let no_standard =
        run("label=repaid&prediction=approved&sensitive=monthly_income".into(), flattering_csv()).await;
    // A standard, but grouped by a column the standard does not name: private.
    let off_standard = run(
        "label=repaid&prediction=approved&sensitive=monthly_income&preset=nyc-ll144".into(),
        flattering_csv(),
    )
    .await;
    for a in [&no_standard, &off_standard] {
        assert_eq!(a["follows_standard"], false, "{a}");
    }
    // A newer passing audit of another standard.
    let other = run(
        "label=repaid&prediction=approved&sensitive=sex&preset=us-four-fifths".into(),
        flattering_csv().replace("gender", "sex"),
    )
    .await;
    assert!(!fails(&other) && other["follows_standard"] == true, "{other}");

    let public = json_of(http().get(app.url(&format!("/api/v1/systems/{id}"))).send().await.unwrap()).await;
    let listed: Vec<(&str, bool)> = public["bias_assessments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["id"].as_str().unwrap(), a["latest_of_standard"].as_bool().unwrap()))
        .collect();
    let id_of = |a: &Value| a["id"].as_str().unwrap().to_owned();
    assert_eq!(listed, vec![(id_of(&other).as_str(), true), (id_of(&failing).as_str(), true)]);
    assert!(!public.to_string().contains("monthly_income"), "private audits stay private");

    let page = http().get(app.url(&format!("/register/{id}"))).send().await.unwrap().text().await.unwrap();
    let national = page.split("aria-label=\"National standard (pk-national)\"").nth(1).expect("the standard");
    assert!(national.split("</h3>").next().unwrap().contains("fails"), "the failing standard says so");
    assert!(page.contains("aria-label=\"US four-fifths rule (us-four-fifths)\""));

    // A newer passing audit of the national standard: the failing one moves to its history.
    // Every group has the same 50 decisions: the same rates, the same errors.
    let mut fair = String::from("id,gender,province,repaid,approved\n");
    for (g, (gender, province)) in
        [("female", "punjab"), ("female", "sindh"), ("male", "punjab"), ("male", "sindh")].iter().enumerate()
    {
        for k in 0..50 {
            fair.push_str(&format!(
                "{},{gender},{province},{},{}\n",
                g * 50 + k,
                k % 2,
                u8::from(k % 5 != 0)
            ));
        }
    }
    let passing = run(COLUMNS.into(), fair).await;
    assert!(!fails(&passing), "{passing}");
    let page = http().get(app.url(&format!("/register/{id}"))).send().await.unwrap().text().await.unwrap();
    let national = page.split("aria-label=\"National standard (pk-national)\"").nth(1).expect("the standard");
    let national = national.split("</section>").next().unwrap();
    assert!(national.split("</h3>").next().unwrap().contains("passes"));
    let history = national.split("<details class=\"earlier\">").nth(1).expect("the history");
    assert!(history.contains("One earlier audit of this standard") && history.contains("outcome-fail"));
    assert_eq!(audit_count(&app, &bank, &id).await, 5, "the provider keeps all five");
}

#[tokio::test]
async fn a_privileged_group_gives_aif360_golden_numbers_and_words() {
    let app = TestApp::start(true).await;
    let (id, bank) = bank_system(&app, "AIF360 comparisons").await;
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../mizan-fairness/tests/data");
    let golden: Value = serde_json::from_str(
        &std::fs::read_to_string(data.join("aif360/synthetic_intersection.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        (golden["privileged"][0].as_str(), golden["privileged"][1].as_str()),
        (Some("male"), Some("north"))
    );
    let csv = std::fs::read(data.join("fairlearn/synthetic.csv")).unwrap();
    let path = format!("/api/v1/org/systems/{id}/versions/1/audits");
    let columns = "label=label&prediction=prediction&sensitive=sex,region&weight=weight&pos_label=1&file_name=synthetic.csv";

    // A value the data does not hold is refused, naming the column; nothing is stored.
    let res =
        upload(&app, &bank, &path, &format!("{columns}&privileged=sex=male,region=atlantis"), csv.clone())
            .await;
    assert_eq!(res.status(), 400);
    let body = json_of(res).await;
    assert_eq!(body["field"], "privileged", "{body}");
    assert!(body["detail"].as_str().unwrap().contains("`atlantis` in `region`"), "{body}");
    let res = upload(&app, &bank, &path, &format!("{columns}&privileged=sex=male"), csv.clone()).await;
    assert_eq!(res.status(), 400);
    assert!(json_of(res).await["detail"].as_str().unwrap().contains("`region`"));
    assert_eq!(audit_count(&app, &bank, &id).await, 0);

    let res = upload(
        &app,
        &bank,
        &path,
        &format!("{columns}&privileged=region=north,sex=male&preset=aif360-disparate-impact"),
        csv,
    )
    .await;
    assert_eq!(res.status(), 201);
    let audit = json_of(res).await;
    assert_eq!(audit["parameters"]["privileged"], "sex=male,region=north", "stored in the features' order");
    let stored =
        json_of(http().get(audit["report_url"].as_str().unwrap()).bearer_auth(&bank).send().await.unwrap())
            .await;
    let report = &stored;
    assert!(report["reproduce"].as_str().unwrap().contains("--privileged sex=male,region=north"));
    let metrics = report["report"]["aif360"]["metrics"].as_array().expect("aif360 metrics");
    let want = golden["metrics"].as_object().unwrap();
    assert_eq!(metrics.len(), want.len());
    for m in metrics {
        let (got, w) = (m["value"].as_f64().unwrap(), want[m["id"].as_str().unwrap()].as_f64().unwrap());
        assert!((got - w).abs() <= 1e-12 * w.abs().max(1.0), "{}: want {w}, got {got}", m["id"]);
    }
    let di = want["aif360:disparate_impact"].as_f64().unwrap();
    let verdict = report["report"]["verdicts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["metric"] == "aif360:disparate_impact")
        .expect("the preset judges disparate impact")
        .clone();
    assert_eq!(verdict["outcome"], if di >= 0.8 { "pass" } else { "fail" });

    // The report's Urdu summary reads the same disparate impact.
    let c = sign_in(&app, BANK, password(BANK)).await;
    let audit_id = audit["id"].as_str().unwrap();
    let html = c
        .get(app.url(&format!("/app/systems/{id}/audits/{audit_id}.html")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let urdu = html.split("<section id=\"summary-ur\"").nth(1).unwrap().split("</section>").next().unwrap();
    assert!(urdu.contains("متفاوت اثر") && urdu.contains(&format!("\u{2066}{di:.2}\u{2069} گنا")), "{urdu}");
    assert!(html.contains("<section id=\"aif360\">"));

    // The version declares its privileged group once; a later audit that names none uses it,
    // feature by feature.
    let declare = |group: &'static str| {
        http()
            .put(app.url(&format!("/api/v1/org/systems/{id}/versions/1/privileged-group")))
            .bearer_auth(&bank)
            .json(&json!({ "privileged": group }))
            .send()
    };
    let res = declare("sex male").await.unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(json_of(res).await["field"], "privileged");
    let res = declare("region=north, sex=male, channel=web").await.unwrap();
    assert_eq!(res.status(), 201);
    assert_eq!(json_of(res).await["privileged"], "region=north,sex=male,channel=web");
    let again = declare("sex=female").await.unwrap();
    assert_eq!(again.status(), 409, "a declaration cannot change");
    let csv = std::fs::read(data.join("fairlearn/synthetic.csv")).unwrap();
    let res = upload(&app, &bank, &path, columns, csv).await;
    assert_eq!(res.status(), 201);
    let declared = json_of(res).await;
    assert_eq!(declared["parameters"]["privileged"], "sex=male,region=north");
    let stored = json_of(
        http().get(declared["report_url"].as_str().unwrap()).bearer_auth(&bank).send().await.unwrap(),
    )
    .await;
    assert_eq!(stored["report"]["aif360"]["metrics"], report["report"]["aif360"]["metrics"]);
    let page =
        c.get(app.url(&format!("/app/systems/{id}/audits"))).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("region = north × sex = male × channel = web"), "the page shows the declaration");
    // The form says what was wrong, under a heading about the declaration.
    let csrf_token = csrf(&app, &c).await;
    let res = c
        .post(app.url(&format!("/app/systems/{id}/audits/privileged")))
        .form(&[("csrf", csrf_token.as_str()), ("version", "1"), ("privileged", " , ")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let page = res.text().await.unwrap();
    assert!(
        page.contains("The privileged group was not declared")
            && page.contains("the privileged group is empty")
    );
}
