//! Appeals (issue #17): filed with a receipt reference and no account, followed by a secret
//! link, decided by the provider's reviewer with a superseding decision when the outcome
//! changes it, escalated to the regulator when a deadline passes (a test clock, no sleeps),
//! held against erasure while open, and every entry committed to in the events log.

use std::sync::Arc;
use std::time::Duration;

use mizan_app::throttle::ManualClock;
use mizan_server::Config;
use serde_json::{Value, json};

use crate::common::{self, TestApp, csrf, password, sign_in, token};

fn http() -> reqwest::Client {
    reqwest::Client::new()
}

/// Logs `n` declined decisions (`{tag}-0`, `{tag}-1`, …) of system `id` through the API as
/// `bank`; returns their receipt references, in order.
async fn declines(app: &TestApp, id: &str, bank: &str, tag: &str, n: usize) -> Vec<String> {
    let at = mizan_formats::decision::format_decided_at(
        time::OffsetDateTime::now_utc() - time::Duration::minutes(1),
    )
    .unwrap();
    let items: Vec<Value> = (0..n)
        .map(|i| {
            json!({"idempotency_key": format!("{tag}-{i}"), "system_version": 1, "model_hash": "sha256:9f2c0d6e",
                   "features": {"income": 85000 + i, "age": 41}, "output": "decline", "score": 0.31,
                   "human": {"involved": false, "by": null}, "decided_at": at, "subject_ref": format!("{tag}-{i}")})
        })
        .collect();
    let res = http()
        .post(app.url(&format!("/api/v1/systems/{id}/decisions")))
        .bearer_auth(bank)
        .json(&items)
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "decisions logged: {}", res.status());
    let receipts: Value = res.json().await.unwrap();
    receipts["receipts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["reference"].as_str().unwrap().to_owned())
        .collect()
}

/// Logs one decision for a freshly registered system of the demo bank; returns the system,
/// the bank's token and the receipt reference.
async fn decided(app: &TestApp, name: &str) -> (String, String, String) {
    let (id, bank) = common::registered_system(app, name).await;
    let reference = declines(app, &id, &bank, "k", 1).await.remove(0);
    (id, bank, reference)
}

async fn file(app: &TestApp, receipt: &str, body: &Value) -> reqwest::Response {
    http().post(app.url(&format!("/api/v1/receipts/{receipt}/appeals"))).json(body).send().await.unwrap()
}

fn appeal_body() -> Value {
    json!({"grounds": "My income was recorded wrongly.", "category": "wrong-data", "disputed": ["income"],
           "email": "person@example.pk", "consent": false, "lang": "ur"})
}

async fn get(app: &TestApp, reference: &str, token: &str) -> reqwest::Response {
    http().get(app.url(&format!("/api/v1/appeals/{reference}?token={token}"))).send().await.unwrap()
}

async fn staff_move(app: &TestApp, bearer: &str, reference: &str, body: &Value) -> reqwest::Response {
    http()
        .post(app.url(&format!("/api/v1/appeals/{reference}/moves")))
        .bearer_auth(bearer)
        .json(body)
        .send()
        .await
        .unwrap()
}

async fn filer_move(app: &TestApp, reference: &str, body: &Value) -> reqwest::Response {
    http().post(app.url(&format!("/api/v1/appeals/{reference}/moves"))).json(body).send().await.unwrap()
}

#[tokio::test]
async fn filing_needs_the_receipt_and_the_link_needs_its_secret() {
    let app = TestApp::start(true).await;
    let (_, _, receipt) = decided(&app, "Appeal filing").await;
    // Field errors name the field.
    let res = file(&app, &receipt, &json!({"grounds": " ", "category": "wrong-data"})).await;
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("grounds"));
    let res = file(&app, &receipt, &json!({"grounds": "x", "category": "because"})).await;
    assert_eq!(res.status(), 400);
    let res =
        file(&app, &receipt, &json!({"grounds": "x", "category": "unfair", "disputed": ["shoe_size"]})).await;
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("shoe_size"));
    // More factors than the decision has is refused before any is looked at.
    let many: Vec<String> = (0..10_000).map(|i| format!("f{i}")).collect();
    let res = file(&app, &receipt, &json!({"grounds": "x", "category": "unfair", "disputed": many})).await;
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("10000 factors named"));
    // A landline cannot receive text messages: refused when filed, not dropped when sent.
    let res =
        file(&app, &receipt, &json!({"grounds": "x", "category": "unfair", "phone": "021 1234567"})).await;
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("mobile"));
    let res =
        file(&app, &receipt, &json!({"grounds": "x", "category": "unfair", "email": "not-an-address"})).await;
    assert_eq!(res.status(), 400);
    // An unknown receipt is a 404.
    assert_eq!(file(&app, "nosuchreceipt0000000", &appeal_body()).await.status(), 404);

    let res = file(&app, &receipt, &appeal_body()).await;
    assert_eq!(res.status(), 201);
    let filed: Value = res.json().await.unwrap();
    let (reference, secret) = (filed["reference"].as_str().unwrap(), filed["token"].as_str().unwrap());
    assert!(reference.starts_with("AP-"));
    assert!(filed["status_url"].as_str().unwrap().contains(secret));
    // One open appeal per decision.
    let res = file(&app, &receipt, &appeal_body()).await;
    assert_eq!(res.status(), 409);
    assert!(res.text().await.unwrap().contains(reference));

    let res = get(&app, reference, secret).await;
    let status = res.status();
    let a: Value = res.json().await.unwrap();
    assert_eq!(status, 200, "{a}");
    assert_eq!(a["state"], "filed");
    assert_eq!(a["decision"], receipt.as_str());
    assert_eq!(a["entries"][0]["entry"]["fields"]["grounds"], "My income was recorded wrongly.");
    assert_eq!(a["entries"][0]["intact"], true);
    assert!(a["entry_key"].is_string(), "the filer may check the commitments");
    assert_eq!(a["moves"], json!(["withdraw"]));
    // A wrong secret, no secret, and another organisation's staff: all 404.
    assert_eq!(get(&app, reference, "00").await.status(), 404);
    let res = http().get(app.url(&format!("/api/v1/appeals/{reference}"))).send().await.unwrap();
    assert_eq!(res.status(), 404);
    let health = token(&app.store, "admin@rahbar-health.demo", &["systems:read"]).await;
    let res = http()
        .get(app.url(&format!("/api/v1/appeals/{reference}")))
        .bearer_auth(&health)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    // The regulator sees every appeal; the provider sees its own, without the key.
    let regulator = token(&app.store, "admin@regulator.demo", &["appeals:read", "appeals:regulate"]).await;
    let res = http()
        .get(app.url(&format!("/api/v1/appeals/{reference}")))
        .bearer_auth(&regulator)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let bank = token(&app.store, "admin@indus-bank.demo", &["appeals:read", "appeals:decide"]).await;
    let res =
        http().get(app.url(&format!("/api/v1/appeals/{reference}"))).bearer_auth(&bank).send().await.unwrap();
    let a: Value = res.json().await.unwrap();
    assert!(a["entry_key"].is_null());
    assert_eq!(a["moves"], json!(["decide"]));
    // The filing is in the events log as a commitment, with no personal data.
    let event = a["entries"][0]["event_id"].as_i64().expect("an event");
    let commitment = a["entries"][0]["commitment"].as_str().unwrap().to_owned();
    let mut proof = Value::Null;
    for _ in 0..100 {
        proof = http()
            .get(app.url(&format!("/api/v1/events/{event}/proof")))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if proof["leaf_index"].is_number() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let logged = proof["event_json"].as_str().expect("the event of a public system is shown");
    assert!(logged.contains(&commitment), "the log commits to the entry: {logged}");
    assert!(!logged.contains("income") && !logged.contains("person@example.pk"), "{logged}");
}

#[tokio::test]
async fn a_reversal_supersedes_the_decision_and_the_receipt_says_so() {
    let app = TestApp::start(true).await;
    let (id, _, receipt) = decided(&app, "Appeal reversal").await;
    let filed: Value = file(&app, &receipt, &appeal_body()).await.json().await.unwrap();
    let reference = filed["reference"].as_str().unwrap();
    let secret = filed["token"].as_str().unwrap();
    let bank = token(&app.store, "admin@indus-bank.demo", &["appeals:read", "appeals:decide"]).await;
    // A reversal must say what the decision becomes.
    let res = staff_move(
        &app,
        &bank,
        reference,
        &json!({"move": "decide", "outcome": "reversed", "reasons": "Income was 95,000."}),
    )
    .await;
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("new_output"));
    let long = "a".repeat(201);
    let res = staff_move(
        &app,
        &bank,
        reference,
        &json!({"move": "decide", "outcome": "reversed", "reasons": "r", "new_output": long}),
    )
    .await;
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("at most 200 characters"));
    // A move the reviewer may not make is refused in words.
    let res = staff_move(&app, &bank, reference, &json!({"move": "uphold", "reasons": "x"})).await;
    assert_eq!(res.status(), 409);
    let res = staff_move(
        &app,
        &bank,
        reference,
        &json!({"move": "decide", "outcome": "reversed", "reasons": "Income was 95,000.", "new_output": "approve"}),
    )
    .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let a: Value = get(&app, reference, secret).await.json().await.unwrap();
    assert_eq!(a["state"], "decided");
    assert_eq!(a["outcome"], "reversed");
    let new = a["superseded_by"].as_str().expect("a new decision").to_owned();
    assert_eq!(a["entries"][1]["entry"]["fields"]["new_decision"], new.as_str());

    // Both leaves are provable, and the new record commits to the old leaf.
    let old: Value = http()
        .get(app.url(&format!("/api/v1/receipts/{receipt}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let fresh: Value =
        http().get(app.url(&format!("/api/v1/receipts/{new}"))).send().await.unwrap().json().await.unwrap();
    let record: Value = serde_json::from_str(fresh["opening"]["record"].as_str().unwrap()).unwrap();
    assert_eq!(record["output"], "approve");
    assert_eq!(record["supersedes"]["leaf_index"], old["leaf_index"]);
    assert_eq!(record["supersedes"]["leaf_hash"], old["leaf_hash"]);
    assert_eq!(record["system"], id.as_str());
    assert_eq!(record["human"]["involved"], true);
    assert_ne!(old["leaf_index"], fresh["leaf_index"]);
    // The original's receipt page names its replacement.
    let page =
        http().get(app.url(&format!("/receipt/{receipt}"))).send().await.unwrap().text().await.unwrap();
    assert!(page.contains(&format!("/receipt/{new}")), "the receipt links the new decision");

    // The filer disputes: the appeal goes before the regulator, who orders it closed.
    let res =
        filer_move(&app, reference, &json!({"move": "dispute", "reasons": "Still wrong.", "token": secret}))
            .await;
    assert_eq!(res.status(), 200);
    let regulator = token(&app.store, "admin@regulator.demo", &["appeals:read", "appeals:regulate"]).await;
    let res = staff_move(
        &app,
        &regulator,
        reference,
        &json!({"move": "uphold", "reasons": "The reversal stands."}),
    )
    .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let a: Value = get(&app, reference, secret).await.json().await.unwrap();
    assert_eq!(a["state"], "closed");
    assert!(a["moves"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn an_open_appeal_holds_its_decision_and_erasure_keeps_only_commitments() {
    let app = TestApp::start(true).await;
    let (_, _, receipt) = decided(&app, "Appeal hold").await;
    let filed: Value = file(&app, &receipt, &appeal_body()).await.json().await.unwrap();
    let reference = filed["reference"].as_str().unwrap();
    let secret = filed["token"].as_str().unwrap();
    let eraser = token(&app.store, "admin@indus-bank.demo", &["decisions:write"]).await;
    let erase =
        || http().delete(app.url(&format!("/api/v1/org/decisions/{receipt}"))).bearer_auth(&eraser).send();
    let res = erase().await.unwrap();
    assert_eq!(res.status(), 409);
    assert!(res.text().await.unwrap().contains(reference));
    // Withdrawn, the appeal is closed and the decision may go.
    let res = filer_move(&app, reference, &json!({"move": "withdraw", "token": secret})).await;
    assert_eq!(res.status(), 200);
    assert!(erase().await.unwrap().status().is_success());
    // The case keeps its commitments and figures, not the person's words or address, and
    // the status link no longer opens it.
    let (case, entries) = app.store.case_by_reference(reference).await.unwrap();
    assert!(case.redacted_at.is_some());
    assert!(case.contact_email.is_none() && case.entry_key.is_none());
    assert!(entries.iter().all(|e| e.entry_json.is_none() && e.commitment.len() == 64));
    assert_eq!(case.projection.state, "withdrawn");
    assert_eq!(get(&app, reference, secret).await.status(), 404);
}

#[tokio::test]
async fn deadlines_mark_late_and_escalate_at_their_boundary() {
    let clock = Arc::new(ManualClock::default());
    let app = TestApp::start_configured(true, Config::default(), Some(clock.clone())).await;
    let (_, _, receipt) = decided(&app, "Appeal deadlines").await;
    let filed: Value = file(&app, &receipt, &appeal_body()).await.json().await.unwrap();
    let reference = filed["reference"].as_str().unwrap();
    let secret = filed["token"].as_str().unwrap();
    let day = Duration::from_secs(86_400);
    clock.advance(day * 15 - Duration::from_secs(1));
    let a: Value = get(&app, reference, secret).await.json().await.unwrap();
    assert_eq!(a["late"], false, "not late a second before 15 days");
    clock.advance(Duration::from_secs(1));
    let a: Value = get(&app, reference, secret).await.json().await.unwrap();
    assert_eq!(a["late"], true, "late at 15 days");
    assert_eq!(a["state"], "filed");
    clock.advance(day * 25);
    let a: Value = get(&app, reference, secret).await.json().await.unwrap();
    assert_eq!(a["state"], "escalated", "before the regulator at 40 days");
    assert_eq!(a["late"], true, "and still late");
    // The regulator's queue lists it; the provider's does not.
    let regulator = sign_in(&app, "admin@regulator.demo", password("admin@regulator.demo")).await;
    let page = regulator.get(app.url("/regulator/appeals")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains(reference));
    let bank = sign_in(&app, "admin@indus-bank.demo", password("admin@indus-bank.demo")).await;
    let res = bank.get(app.url("/app/appeals")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let page = res.text().await.unwrap();
    let open_part = page.split("<h2>").next().unwrap();
    assert!(!open_part.contains(reference), "an escalated appeal waits on the regulator, not the provider");
    // The regulator orders the reversal from its page; a new decision is logged.
    let token = csrf(&app, &regulator).await;
    let res = regulator
        .post(app.url(&format!("/regulator/appeals/{reference}")))
        .form(&[
            ("csrf", token.as_str()),
            ("move", "order_reversal"),
            ("new_output", "approve"),
            ("reasons", "Late and wrong."),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let a: Value = get(&app, reference, secret).await.json().await.unwrap();
    assert_eq!(a["state"], "closed");
    assert_eq!(a["outcome"], "reversed");
    assert!(a["superseded_by"].is_string());
}

#[tokio::test]
async fn from_receipt_to_filed_appeal_in_three_pages_in_urdu() {
    let app = TestApp::start(true).await;
    let (_, _, receipt) = decided(&app, "Appeal pages").await;
    let c = app.client();
    // Page 1: the receipt offers the review.
    let page =
        c.get(app.url(&format!("/receipt/{receipt}?lang=ur"))).send().await.unwrap().text().await.unwrap();
    assert!(page.contains(&format!("/receipt/{receipt}/appeal")));
    // Page 2: the form.
    let res = c
        .get(app.url(&format!("/receipt/{receipt}/appeal")))
        .header("accept-language", "ur")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let form = res.text().await.unwrap();
    assert!(form.contains("اپنے الفاظ میں وجہ بتائیں"));
    assert!(form.contains("value=\"income\""));
    let token = common::csrf_of(&form);
    // A blank reason comes back with what was typed and the error.
    let res = c
        .post(app.url(&format!("/receipt/{receipt}/appeal")))
        .header("accept-language", "ur")
        .form(&[
            ("csrf", token.as_str()),
            ("category", "unfair"),
            ("grounds", ""),
            ("email", "me@example.pk"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("me@example.pk"));
    // Page 3: filed, with the reference and the private link.
    let res = c
        .post(app.url(&format!("/receipt/{receipt}/appeal")))
        .header("accept-language", "ur")
        .form(&[
            ("csrf", token.as_str()),
            ("category", "unfair"),
            ("grounds", "یہ فیصلہ غلط ہے"),
            ("disputed", "age"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with("/appeals/AP-") && location.contains("token="));
    let res = c.get(app.url(&location)).header("accept-language", "ur").send().await.unwrap();
    assert_eq!(res.headers()["referrer-policy"], "no-referrer");
    let page = res.text().await.unwrap();
    assert!(page.contains("ادارے کی نظرِ ثانی کا انتظار"), "the state in Urdu words");
    assert!(page.contains("یہ فیصلہ غلط ہے"));
    // The case was filed in Urdu.
    let reference = location.trim_start_matches("/appeals/").split('?').next().unwrap();
    let (case, _) = app.store.case_by_reference(reference).await.unwrap();
    assert_eq!(case.lang, "ur");
    assert!(!case.publish_consent, "consent defaults to no");
}

/// The files of `dir` (recursively) whose text contains `needle`, waiting up to 10 s for one:
/// messages are sent in the background.
async fn wait_for_message(dir: &std::path::Path, needle: &str) -> String {
    for _ in 0..100 {
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                } else if let Ok(text) = std::fs::read_to_string(&path)
                    && text.contains(needle)
                {
                    return text;
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no message mentioning {needle} in {}", dir.display());
}

#[tokio::test]
async fn the_filer_is_told_in_their_language_in_the_outbox_without_smtp() {
    let app = TestApp::start(true).await;
    let (_, _, receipt) = decided(&app, "Appeal outbox").await;
    let filed: Value = file(&app, &receipt, &appeal_body()).await.json().await.unwrap();
    let reference = filed["reference"].as_str().unwrap();
    let outbox = app.data_dir.path().join("outbox");
    let eml = wait_for_message(&outbox, &format!("X-Mizan-Reference: {reference}")).await;
    assert!(eml.contains("Content-Language: ur"), "{eml}");
    assert!(eml.contains("To: person@example.pk") || eml.contains("<person@example.pk>"), "{eml}");
    // The acknowledgement carries the private link (quoted-printable or base64 in the body).
    assert!(eml.contains("Subject: =?utf-8?"), "an Urdu subject, encoded: {eml}");
    // A decision sends a second message.
    let bank = token(&app.store, "admin@indus-bank.demo", &["appeals:read", "appeals:decide"]).await;
    let res = staff_move(
        &app,
        &bank,
        reference,
        &json!({"move": "decide", "outcome": "upheld", "reasons": "Checked again."}),
    )
    .await;
    assert_eq!(res.status(), 200);
    for _ in 0..100 {
        let n = std::fs::read_dir(&outbox).unwrap().count();
        if n >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(std::fs::read_dir(&outbox).unwrap().count(), 2, "an acknowledgement and a decision");
}

#[tokio::test]
async fn the_filer_is_told_through_a_real_smtp_server() {
    let (Ok(url), Ok(dir)) = (std::env::var("MIZAN_TEST_SMTP_URL"), std::env::var("MIZAN_TEST_SMTP_DIR"))
    else {
        assert!(
            std::env::var_os("MIZAN_TEST_REQUIRE_SMTP").is_none(),
            "MIZAN_TEST_REQUIRE_SMTP is set but no SMTP server is"
        );
        eprintln!("appeals: SMTP test skipped (no MIZAN_TEST_SMTP_URL)");
        return;
    };
    let app = TestApp::start_with_smtp(true, &url).await;
    let (_, _, receipt) = decided(&app, "Appeal smtp").await;
    let filed: Value = file(&app, &receipt, &appeal_body()).await.json().await.unwrap();
    let reference = filed["reference"].as_str().unwrap();
    let mail = wait_for_message(std::path::Path::new(&dir), &format!("X-Mizan-Reference: {reference}")).await;
    assert!(mail.contains("Content-Language: ur"), "{mail}");
    assert!(
        !app.data_dir.path().join("outbox").exists()
            || std::fs::read_dir(app.data_dir.path().join("outbox")).unwrap().count() == 0,
        "sent, not written to the outbox"
    );
}

/// Whether `text` holds something that looks like a CNIC number, a Pakistani mobile number or
/// an e-mail address not in `published` (`mizan_app::pii`, the check public summaries pass).
fn personal_data_in(text: &str, published: &[String]) -> Option<String> {
    mizan_app::pii::find(text, published).map(|f| f.to_string())
}

#[test]
fn the_personal_data_scanner_finds_what_it_looks_for() {
    assert!(personal_data_in("id 35202-1234567-1 here", &[]).is_some());
    assert!(personal_data_in("3520212345671", &[]).is_some());
    assert!(personal_data_in("call 0300 1234567", &[]).is_some());
    assert!(personal_data_in("+92-300-1234567", &[]).is_some());
    assert!(personal_data_in("write to a.person@example.pk now", &[]).is_some());
    assert!(personal_data_in("write to ai@bank.pk", &["ai@bank.pk".to_owned()]).is_none());
    assert!(personal_data_in("2026-12-07T05:03:36.123456Z, 85000, v1, AP-9AFJFMT12D", &[]).is_none());
    assert!(
        personal_data_in("hmac-sha256:ab03146801642cd 24d3c03146801642f", &[]).is_none(),
        "hex is no number"
    );
    assert!(personal_data_in("<dd>03001234567</dd>", &[]).is_some());
}

#[tokio::test]
async fn no_public_output_holds_a_cnic_a_phone_number_or_an_e_mail_address() {
    let app = TestApp::start(true).await;
    let (id, _, receipt) = decided(&app, "Appeal privacy").await;
    let body = json!({"grounds": "My CNIC 35202-1234567-1 was misread; call me on 0300 1234567 or write to a.person@example.pk",
        "category": "wrong-data", "email": "a.person@example.pk", "phone": "0300 1234567", "consent": true});
    let filed: Value = file(&app, &receipt, &body).await.json().await.unwrap();
    let reference = filed["reference"].as_str().unwrap();
    let bank = token(&app.store, "admin@indus-bank.demo", &["appeals:read", "appeals:decide"]).await;
    let res = staff_move(
        &app,
        &bank,
        reference,
        &json!({"move": "decide", "outcome": "upheld",
        "reasons": "We called 0300 1234567 and checked CNIC 35202-1234567-1."}),
    )
    .await;
    assert_eq!(res.status(), 200);
    let secret = filed["token"].as_str().unwrap();
    assert_eq!(
        filer_move(&app, reference, &json!({"move": "withdraw", "token": secret})).await.status(),
        200
    );
    // Wait until the events log holds the case's entries, so the proofs are in the scan.
    let a: Value = get(&app, reference, secret).await.json().await.unwrap();
    let events: Vec<i64> =
        a["entries"].as_array().unwrap().iter().filter_map(|e| e["event_id"].as_i64()).collect();
    let mut public = vec![
        format!("/register/{id}"),
        format!("/register/{id}?lang=ur"),
        format!("/api/v1/systems/{id}"),
        format!("/api/v1/systems/{id}/appeals"),
        "/api/v1/appeals".to_owned(),
        "/api/v1/appeals.csv".to_owned(),
        "/api/v1/register.json".to_owned(),
        "/api/v1/register.csv".to_owned(),
        "/api/v1/changes.atom".to_owned(),
        "/register".to_owned(),
    ];
    public.extend(events.iter().map(|e| format!("/api/v1/events/{e}/proof")));
    for _ in 0..100 {
        let last: Value =
            http().get(app.url(&public[public.len() - 1])).send().await.unwrap().json().await.unwrap();
        if last["leaf_index"].is_number() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The contact addresses providers publish in their register records are public on purpose.
    let bulk: Value =
        http().get(app.url("/api/v1/register.json")).send().await.unwrap().json().await.unwrap();
    let mut published = Vec::new();
    let mut stack = vec![&bulk];
    while let Some(v) = stack.pop() {
        match v {
            Value::String(s) if s.contains('@') => published.push(s.clone()),
            Value::Array(a) => stack.extend(a),
            Value::Object(o) => stack.extend(o.values()),
            _ => {}
        }
    }
    assert!(!published.iter().any(|p| p.contains("a.person")));
    let dataset: Value = http().get(app.url("/api/v1/appeals")).send().await.unwrap().json().await.unwrap();
    assert!(
        dataset["appeals"].as_array().unwrap().iter().any(|r| r["reference"] == reference),
        "the closed appeal is in the dataset"
    );
    for path in &public {
        let res = http().get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), 200, "{path}");
        let text = res.text().await.unwrap();
        let found = personal_data_in(&text, &published);
        assert!(found.is_none(), "{path} holds {found:?}");
    }
}

#[tokio::test]
async fn the_demo_appeals_open_from_the_links_the_readme_lists() {
    use mizan_app::demo::APPEALS;

    let app = TestApp::start(true).await;
    assert_eq!(mizan_app::demo::seed_appeals(&app.platform).await.expect("demo appeals"), APPEALS.len());
    let readme = include_str!("../../../../README.md");
    for a in APPEALS {
        let link = format!("/appeals/{}?token={}", a.reference, a.token);
        assert!(readme.contains(&format!("`{link}`")), "README lists {link}");
        let res = http().get(app.url(&format!("{link}&lang=en"))).send().await.unwrap();
        assert_eq!(res.status(), 200, "{link}");
        let page = res.text().await.unwrap();
        assert!(page.contains(a.reference), "{link}");
        assert_eq!(page.contains("Late: the organisation missed a deadline"), a.late, "{link}");
        let wrong =
            http().get(app.url(&format!("/appeals/{}?token=demo", a.reference))).send().await.unwrap();
        assert_eq!(wrong.status(), 404);
    }
    // The filed one carries a document its filer can download; the one the regulator closed
    // carries a summary its filer consented to, in the public dataset.
    let v: Value = get(&app, "AP-DEM0000001", "demo-appeal-filed").await.json().await.unwrap();
    let doc = v["documents"][0]["url"].as_str().expect("a demo document").to_owned();
    let res = http().get(app.url(&format!("{doc}?token=demo-appeal-filed"))).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.bytes().await.unwrap().starts_with(b"%PDF-"));
    let dataset: Value = http().get(app.url("/api/v1/appeals")).send().await.unwrap().json().await.unwrap();
    let closed =
        dataset["appeals"].as_array().unwrap().iter().find(|a| a["reference"] == "AP-DEM0000006").unwrap();
    assert!(closed["summary"].as_str().is_some_and(|s| s.contains("decision stands")), "{closed}");
    // The reversed appeal links its new decision, and the original receipt says it was replaced.
    let res = get(&app, "AP-DEM0000004", "demo-appeal-reversed").await;
    let v: Value = res.json().await.unwrap();
    let (old, new) = (v["decision"].as_str().unwrap(), v["superseded_by"].as_str().expect("replaced"));
    assert_eq!(v["outcome"], "reversed", "{v}");
    let receipt = http().get(app.url(&format!("/receipt/{old}?lang=en"))).send().await.unwrap();
    let receipt = receipt.text().await.unwrap();
    assert!(receipt.contains("id=\"superseded\"") && receipt.contains(&format!("/receipt/{new}")));
    // The escalated one waits in the regulator's queue; the bank's queue holds the two filed.
    let regulator = sign_in(&app, "admin@regulator.demo", password("admin@regulator.demo")).await;
    let queue = regulator.get(app.url("/regulator/appeals")).send().await.unwrap().text().await.unwrap();
    let waiting = queue.split("<h2").next().unwrap();
    assert!(waiting.contains("AP-DEM0000005") && !waiting.contains("AP-DEM0000006"), "{waiting}");
    // A provider's figures over all its systems; an unknown provider is a 404.
    let figures: Value = http()
        .get(app.url("/api/v1/organisations/demo-indus-bank/appeals"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(figures["received"], APPEALS.len(), "{figures}");
    assert_eq!(figures["late"], 1, "{figures}");
    let res = http().get(app.url("/api/v1/organisations/no-such-provider/appeals")).send().await.unwrap();
    assert_eq!(res.status(), 404);
    // The regulator's overview: late appeals, and systems by appeals beside their latest audit.
    let late = queue.split("id=\"late-title\"").nth(1).unwrap().split("<h2").next().unwrap();
    assert!(late.contains("AP-DEM0000002") && !late.contains("AP-DEM0000001"), "{late}");
    let systems = queue.split("id=\"systems-title\"").nth(1).unwrap().split("<h2").next().unwrap();
    assert!(systems.contains("1 of 4"), "one of four decided appeals changed: {systems}");
    assert!(systems.contains("Passes its preset") || systems.contains("Fails its preset"), "{systems}");
    let bank = sign_in(&app, "admin@indus-bank.demo", password("admin@indus-bank.demo")).await;
    let queue = bank.get(app.url("/app/appeals")).send().await.unwrap().text().await.unwrap();
    let waiting = queue.split("<h2").next().unwrap();
    for (reference, listed) in [("AP-DEM0000001", true), ("AP-DEM0000002", true), ("AP-DEM0000003", false)] {
        assert_eq!(waiting.contains(reference), listed, "{reference} in the bank's queue");
    }
    // Every appeal, closed ones too, newest first, on the other view.
    let all =
        regulator.get(app.url("/regulator/appeals?view=all")).send().await.unwrap().text().await.unwrap();
    for a in APPEALS {
        assert!(all.contains(a.reference), "{} among all appeals", a.reference);
    }
}

/// A queue longer than a page is shown 50 rows at a time, earliest deadline first, each row
/// on exactly one page.
#[tokio::test]
async fn a_long_queue_is_paged() {
    let app = TestApp::start(true).await;
    let (id, bank) = common::registered_system(&app, "Appeal paging").await;
    for r in declines(&app, &id, &bank, "page", 53).await {
        let input = mizan_app::appeals::AppealIn {
            grounds: "wrong".into(),
            category: "other".into(),
            lang: "en".into(),
            ..Default::default()
        };
        app.platform.file_appeal(&r, input).await.unwrap();
    }
    let c = sign_in(&app, "admin@indus-bank.demo", password("admin@indus-bank.demo")).await;
    let refs = |page: &str| -> Vec<String> {
        page.split("href=\"/app/appeals/AP-").skip(1).map(|s| s[..10].to_owned()).collect()
    };
    let first = c.get(app.url("/app/appeals")).send().await.unwrap().text().await.unwrap();
    assert_eq!(refs(&first).len(), 50, "a page holds 50");
    assert!(first.contains("id=\"next-page\""));
    let second = c.get(app.url("/app/appeals?page=1")).send().await.unwrap().text().await.unwrap();
    let (a, b) = (refs(&first), refs(&second));
    assert!(b.len() >= 3, "the rest on the next page: {}", b.len());
    assert!(b.iter().all(|r| !a.contains(r)), "no row on two pages");
    assert!(!second.contains("id=\"next-page\"") && second.contains("rel=\"prev\""));
    // A page beyond the last shows none; a page that is no number is refused.
    let far = c.get(app.url("/app/appeals?page=9")).send().await.unwrap().text().await.unwrap();
    assert!(refs(&far).is_empty());
    assert_eq!(c.get(app.url("/app/appeals?page=x")).send().await.unwrap().status(), 400);
}

/// A one-page PDF (its bytes start `%PDF-`, which is what is checked).
const PDF: &[u8] = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n";

fn b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn with_document(mut body: Value, name: &str, media_type: &str, bytes: &[u8]) -> Value {
    body["document"] = json!({"name": name, "media_type": media_type, "content_base64": b64(bytes)});
    body
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// Every file under `<data-dir>/documents`.
fn document_files(app: &TestApp) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![app.data_dir.path().join("documents")];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out
}

#[tokio::test]
async fn a_document_is_kept_by_its_hash_and_only_those_who_may_see_the_appeal_get_it() {
    let app = TestApp::start(true).await;
    let (_, _, receipt) = decided(&app, "Appeal document").await;
    let res =
        file(&app, &receipt, &with_document(appeal_body(), "slip (March).pdf", "application/pdf", PDF)).await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let filed: Value = res.json().await.unwrap();
    let (reference, secret) = (filed["reference"].as_str().unwrap(), filed["token"].as_str().unwrap());
    let sha = sha256_hex(PDF);
    let a: Value = get(&app, reference, secret).await.json().await.unwrap();
    assert_eq!(a["documents"][0]["sha256"], sha.as_str(), "{a}");
    assert_eq!(a["documents"][0]["media_type"], "application/pdf");
    assert_eq!(a["documents"][0]["size_bytes"], PDF.len());
    // The filing's entry names the document, so its commitment in the events log covers it.
    assert_eq!(a["entries"][0]["entry"]["fields"]["document_sha256"], sha.as_str());
    assert_eq!(a["entries"][0]["intact"], true);
    // Stored under its hash, once.
    let files = document_files(&app);
    assert_eq!(files.len(), 1);
    assert!(files[0].ends_with(format!("documents/sha256/{}/{sha}", &sha[..2])), "{files:?}");

    let api = format!("/api/v1/appeals/{reference}/documents/{sha}");
    // The filer, by the secret (API and page).
    for path in
        [format!("{api}?token={secret}"), format!("/appeals/{reference}/documents/{sha}?token={secret}")]
    {
        let res = http().get(app.url(&path)).send().await.unwrap();
        assert_eq!(res.status(), 200, "{path}");
        assert_eq!(res.headers()["content-type"], "application/pdf");
        assert_eq!(res.headers()["x-content-type-options"], "nosniff");
        let disposition = res.headers()["content-disposition"].to_str().unwrap().to_owned();
        assert!(disposition.starts_with("attachment; filename=\"slip__March_.pdf\""), "{disposition}");
        assert_eq!(res.bytes().await.unwrap().as_ref(), PDF);
    }
    // The provider's reviewer and the regulator, by token.
    let bank = token(&app.store, "admin@indus-bank.demo", &["appeals:read", "appeals:decide"]).await;
    let regulator = token(&app.store, "admin@regulator.demo", &["appeals:read", "appeals:regulate"]).await;
    for bearer in [&bank, &regulator] {
        let res = http().get(app.url(&api)).bearer_auth(bearer).send().await.unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.bytes().await.unwrap().as_ref(), PDF);
    }
    // Anyone else: another organisation, a wrong secret, no secret, a hash not of this appeal.
    let health = token(&app.store, "admin@rahbar-health.demo", &["systems:read"]).await;
    assert_eq!(http().get(app.url(&api)).bearer_auth(&health).send().await.unwrap().status(), 404);
    assert_eq!(http().get(app.url(&format!("{api}?token=00"))).send().await.unwrap().status(), 404);
    assert_eq!(http().get(app.url(&api)).send().await.unwrap().status(), 404);
    let other = format!("/api/v1/appeals/{reference}/documents/{}?token={secret}", sha256_hex(b"other"));
    assert_eq!(http().get(app.url(&other)).send().await.unwrap().status(), 404);
    let page = format!("/appeals/{reference}/documents/{sha}?token=wrong");
    assert_eq!(http().get(app.url(&page)).send().await.unwrap().status(), 404);
    // The status page and the reviewer's page list it with its size in words and a link.
    let status = http()
        .get(app.url(&format!("/appeals/{reference}?token={secret}&lang=en")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(status.contains(&format!("/appeals/{reference}/documents/{sha}?token={secret}")), "{status}");
    assert!(status.contains(&format!("{} bytes", PDF.len())), "the size in words");
    let reviewer = sign_in(&app, "admin@indus-bank.demo", password("admin@indus-bank.demo")).await;
    let page = reviewer
        .get(app.url(&format!("/app/appeals/{reference}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let link = format!("/app/appeals/{reference}/documents/{sha}");
    assert!(page.contains(&link));
    let res = reviewer.get(app.url(&link)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let other_org = sign_in(&app, "admin@rahbar-health.demo", password("admin@rahbar-health.demo")).await;
    assert_eq!(other_org.get(app.url(&link)).send().await.unwrap().status(), 404);

    // The same bytes with another appeal are stored once, for both.
    let (_, _, second) = decided(&app, "Appeal document twice").await;
    let res = file(&app, &second, &with_document(appeal_body(), "copy.pdf", "application/pdf", PDF)).await;
    assert_eq!(res.status(), 201);
    assert_eq!(document_files(&app).len(), 1, "same bytes, one file");
}

#[tokio::test]
async fn documents_of_the_wrong_kind_or_size_are_refused_naming_the_field_and_kept_nowhere() {
    let limits =
        mizan_app::limits::Limits { appeal_document_bytes: 1000, ..mizan_app::limits::Limits::default() };
    let app = TestApp::start_with_limits(true, limits).await;
    let (_, _, receipt) = decided(&app, "Appeal bad document").await;
    // Declared a PDF, but the bytes are a Windows program: the bytes decide.
    let res =
        file(&app, &receipt, &with_document(appeal_body(), "slip.pdf", "application/pdf", b"MZ\x90\x00\x03"))
            .await;
    assert_eq!(res.status(), 400);
    let p: Value = res.json().await.unwrap();
    assert_eq!(p["field"], "document", "{p}");
    assert!(p["detail"].as_str().unwrap().contains("not a PDF, PNG or JPEG"), "{p}");
    // A PNG declared as a PDF.
    let res = file(
        &app,
        &receipt,
        &with_document(appeal_body(), "a.pdf", "application/pdf", b"\x89PNG\r\n\x1a\nrest"),
    )
    .await;
    assert_eq!(res.status(), 400);
    // Over the limit (1000 bytes here): 413 naming the document.
    let mut big = b"%PDF-1.4\n".to_vec();
    big.resize(2000, b' ');
    let res = file(&app, &receipt, &with_document(appeal_body(), "big.pdf", "application/pdf", &big)).await;
    assert_eq!(res.status(), 413);
    let p: Value = res.json().await.unwrap();
    assert!(p["field"].as_str().unwrap().starts_with("document"), "{p}");
    assert!(document_files(&app).is_empty(), "nothing kept");
    assert!(app.store.open_case_about("appeal", &receipt).await.unwrap().is_none(), "nothing filed");
    // A body declared far larger than the limit is refused before it is sent: the answer
    // comes while most of the body is still unsent (API and page).
    for (path, ctype) in [
        (format!("/api/v1/receipts/{receipt}/appeals"), "application/json"),
        (format!("/receipt/{receipt}/appeal"), "multipart/form-data; boundary=x"),
    ] {
        let (status, text) = declared_but_unsent(&app, &path, ctype, 10_000_000).await;
        assert_eq!(status, 413, "{path}: {text}");
        assert!(text.contains("document") || text.contains("A document"), "{path}: {text}");
    }
    // The page: a wrong kind comes back on the form with the field's label.
    let c = app.client();
    let form = c
        .get(app.url(&format!("/receipt/{receipt}/appeal?lang=en")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(form.contains(r#"enctype="multipart/form-data""#) && form.contains(r#"type="file""#));
    let csrf_token = common::csrf_of(&form);
    let res = post_form(&c, &app, &receipt, &csrf_token, Some(("notes.txt", b"plain text"))).await;
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(page.contains("A document (optional): the document is not a PDF"), "{page}");
    assert!(document_files(&app).is_empty());
    // And a good one files the appeal, in three pages as before.
    let res = post_form(&c, &app, &receipt, &csrf_token, Some(("slip.pdf", PDF))).await;
    assert_eq!(res.status(), 303);
    assert_eq!(document_files(&app).len(), 1);
    // A filing refused after the checks (an appeal is now open) writes no file.
    let (_, _, other) = decided(&app, "Appeal bad document 2").await;
    assert_eq!(file(&app, &other, &appeal_body()).await.status(), 201);
    let res =
        file(&app, &other, &with_document(appeal_body(), "x.png", "image/png", b"\x89PNG\r\n\x1a\nnew"))
            .await;
    assert_eq!(res.status(), 409);
    assert_eq!(document_files(&app).len(), 1, "no file for a refused filing");
}

/// The filing form sent as a browser sends it (`multipart/form-data`), with a file or not.
async fn post_form(
    c: &reqwest::Client,
    app: &TestApp,
    receipt: &str,
    csrf: &str,
    document: Option<(&str, &[u8])>,
) -> reqwest::Response {
    let boundary = "----mizan-appeal";
    let mut b = Vec::new();
    for (k, v) in [("csrf", csrf), ("category", "wrong-data"), ("grounds", "My income is wrong.")] {
        b.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").as_bytes(),
        );
    }
    let (name, bytes) = document.unwrap_or(("", b""));
    b.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"document\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n")
            .as_bytes(),
    );
    b.extend_from_slice(bytes);
    b.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    c.post(app.url(&format!("/receipt/{receipt}/appeal?lang=en")))
        .header("content-type", format!("multipart/form-data; boundary={boundary}"))
        .body(b)
        .send()
        .await
        .unwrap()
}

/// Sends the head of a POST declaring `length` bytes and only a few of them, and reads the
/// answer: a server that waited for the whole body would never answer.
async fn declared_but_unsent(app: &TestApp, path: &str, ctype: &str, length: u64) -> (u16, String) {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let mut s = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: {ctype}\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n{{\"grounds\"",
        app.addr
    );
    s.write_all(head.as_bytes()).await.unwrap();
    // Read the answer's head and its body (by its length); the connection may stay open.
    let mut out = Vec::new();
    let answered = tokio::time::timeout(Duration::from_secs(10), async {
        let mut buf = [0u8; 4096];
        loop {
            let n = s.read(&mut buf).await.unwrap();
            out.extend_from_slice(&buf[..n]);
            let text = String::from_utf8_lossy(&out).into_owned();
            if let Some((head, body)) = text.split_once("\r\n\r\n") {
                let length = head
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().to_owned())
                    })
                    .and_then(|v| v.parse::<usize>().ok())
                    .unwrap_or(0);
                if body.len() >= length {
                    break;
                }
            }
            if n == 0 {
                break;
            }
        }
    })
    .await;
    assert!(answered.is_ok(), "{path}: no answer before the body was sent");
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    (status, text)
}

#[tokio::test]
async fn erasing_a_closed_appeals_decision_deletes_its_document() {
    let app = TestApp::start(true).await;
    let (_, _, first) = decided(&app, "Appeal erase document").await;
    let (_, _, second) = decided(&app, "Appeal erase document 2").await;
    let mut filed = Vec::new();
    for receipt in [&first, &second] {
        let res =
            file(&app, receipt, &with_document(appeal_body(), "slip.pdf", "application/pdf", PDF)).await;
        assert_eq!(res.status(), 201);
        let v: Value = res.json().await.unwrap();
        let (r, t) = (v["reference"].as_str().unwrap().to_owned(), v["token"].as_str().unwrap().to_owned());
        assert_eq!(filer_move(&app, &r, &json!({"move": "withdraw", "token": t})).await.status(), 200);
        filed.push(r);
    }
    let eraser = token(&app.store, "admin@indus-bank.demo", &["decisions:write"]).await;
    let erase =
        |r: String| http().delete(app.url(&format!("/api/v1/org/decisions/{r}"))).bearer_auth(&eraser).send();
    assert_eq!(document_files(&app).len(), 1);
    assert!(erase(first.clone()).await.unwrap().status().is_success());
    let (case, _) = app.store.case_by_reference(&filed[0]).await.unwrap();
    assert!(app.store.case_documents(case.id).await.unwrap().is_empty(), "the row is gone");
    assert_eq!(document_files(&app).len(), 1, "the other appeal still names the same bytes");
    assert!(erase(second.clone()).await.unwrap().status().is_success());
    assert!(document_files(&app).is_empty(), "no appeal names the bytes any more: deleted");
    let (case, _) = app.store.case_by_reference(&filed[1]).await.unwrap();
    assert!(app.store.case_documents(case.id).await.unwrap().is_empty());
    assert!(!app.store.document_in_use(&sha256_hex(PDF)).await.unwrap());
}

#[tokio::test]
async fn a_public_summary_needs_consent_holds_no_personal_data_and_is_published() {
    let app = TestApp::start(true).await;
    let bank = token(&app.store, "admin@indus-bank.demo", &["appeals:read", "appeals:decide"]).await;
    let mut refs = Vec::new();
    for (name, consent) in [("Appeal summary yes", true), ("Appeal summary no", false)] {
        let (_, _, receipt) = decided(&app, name).await;
        let mut body = appeal_body();
        body["consent"] = json!(consent);
        let v: Value = file(&app, &receipt, &body).await.json().await.unwrap();
        refs.push((v["reference"].as_str().unwrap().to_owned(), v["token"].as_str().unwrap().to_owned()));
    }
    let ((yes, yes_token), (no, no_token)) = (refs[0].clone(), refs[1].clone());
    let decide = |summary: &str| json!({"move": "decide", "outcome": "upheld", "reasons": "Checked.", "summary": summary});
    // Personal data is refused, naming the field and what was found.
    for (summary, found) in [
        ("Call the person on 0300 1234567.", "phone-like"),
        ("Their CNIC 35202-1234567-1 was misread.", "CNIC-like"),
        ("Write to a.person@example.pk for details.", "e-mail-like"),
    ] {
        let res = staff_move(&app, &bank, &yes, &decide(summary)).await;
        assert_eq!(res.status(), 400, "{summary}");
        let p: Value = res.json().await.unwrap();
        assert_eq!(p["field"], "summary");
        assert!(p["detail"].as_str().unwrap().contains(found), "{p}");
    }
    let res = staff_move(&app, &bank, &yes, &decide(&"x".repeat(501))).await;
    assert_eq!(res.status(), 400);
    // Without consent there is no summary to write.
    let res = staff_move(&app, &bank, &no, &decide("A fair summary.")).await;
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("did not consent"));
    // The reviewer's page offers the summary only where the person consented.
    let reviewer = sign_in(&app, "admin@indus-bank.demo", password("admin@indus-bank.demo")).await;
    for (r, offered) in [(&yes, true), (&no, false)] {
        let page = reviewer
            .get(app.url(&format!("/app/appeals/{r}?lang=ur")))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(page.contains("id=\"summary\""), offered, "{r}");
        assert_eq!(page.contains("عوامی خلاصہ"), offered, "in Urdu: {r}");
    }
    let summary =
        "The income on file was checked against the person's salary slips, and the decision stands.";
    assert_eq!(staff_move(&app, &bank, &yes, &decide(summary)).await.status(), 200);
    assert_eq!(
        staff_move(&app, &bank, &no, &json!({"move": "decide", "outcome": "upheld", "reasons": "Checked."}))
            .await
            .status(),
        200
    );
    for (r, t) in [(&yes, &yes_token), (&no, &no_token)] {
        assert_eq!(filer_move(&app, r, &json!({"move": "withdraw", "token": t})).await.status(), 200);
    }
    // Published with its closed appeal, only where the person consented.
    let dataset: Value = http().get(app.url("/api/v1/appeals")).send().await.unwrap().json().await.unwrap();
    let row = |r: &str| {
        dataset["appeals"].as_array().unwrap().iter().find(|a| a["reference"] == r).cloned().unwrap()
    };
    assert_eq!(row(&yes)["summary"], summary);
    assert!(row(&no)["summary"].is_null());
    let csv = http().get(app.url("/api/v1/appeals.csv")).send().await.unwrap().text().await.unwrap();
    assert!(csv.starts_with("reference,system,filed,decided,closed,grounds_category,outcome,state,on_time,escalated,late,summary\r\n"));
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let line = |r: &str| rows.iter().find(|x| &x[0] == r).cloned().unwrap();
    assert_eq!(&line(&yes)[11], summary, "quoted: the summary holds a comma");
    assert_eq!(&line(&no)[11], "");
    // The summary is on the record too (the entry commits to it).
    let a: Value = get(&app, &yes, &yes_token).await.json().await.unwrap();
    assert_eq!(a["entries"][1]["entry"]["fields"]["summary"], summary);
}

#[tokio::test]
async fn the_bulk_register_downloads_carry_each_systems_appeal_figures() {
    let app = TestApp::start(true).await;
    assert!(mizan_app::demo::seed_appeals(&app.platform).await.expect("demo appeals") > 0);
    let bulk: Value =
        http().get(app.url("/api/v1/register.json")).send().await.unwrap().json().await.unwrap();
    let systems = bulk["systems"].as_array().unwrap();
    let mut with_appeals = 0;
    for s in systems {
        let id = s["id"].as_str().unwrap();
        let own: Value = http()
            .get(app.url(&format!("/api/v1/systems/{id}/appeals")))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(s["appeals"], own, "{id}: the bulk figures are the system's");
        if own["received"].as_i64().unwrap() > 0 {
            with_appeals += 1;
            assert_eq!(own["received"], mizan_app::demo::APPEALS.len());
        }
    }
    assert_eq!(with_appeals, 1, "the demo bank's loan system");
    let csv = http().get(app.url("/api/v1/register.csv")).send().await.unwrap().text().await.unwrap();
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let header = reader.headers().unwrap().clone();
    let col =
        |name: &str| header.iter().position(|h| h == name).unwrap_or_else(|| panic!("no column {name}"));
    let cols = [
        ("appeals_received", "received"),
        ("appeals_decided", "decided"),
        ("appeals_median_days_to_decision", "median_days_to_decision"),
        ("appeals_share_decided_on_time", "share_decided_on_time"),
        ("appeals_share_changed", "share_changed"),
        ("appeals_share_escalated", "share_escalated"),
    ];
    assert_eq!(
        col("appeals_share_escalated"),
        header.len() - 1 - mizan_server::routes::api::ACCOUNTABILITY_COLUMNS.len(),
        "appeal columns come after the record's, before the obligations and audits"
    );
    let mut rows = 0;
    for r in reader.records() {
        let r = r.unwrap();
        let s = systems.iter().find(|s| s["id"] == r[0]).unwrap();
        for (c, k) in cols {
            let got: Option<f64> = (!r[col(c)].is_empty()).then(|| r[col(c)].parse().unwrap());
            assert_eq!(got, s["appeals"][k].as_f64(), "{} {c}", &r[0]);
        }
        rows += 1;
    }
    assert_eq!(rows, systems.len());
    // A citizen reaches the provider's figures from any of its systems' register pages.
    let loan = systems.iter().find(|s| s["appeals"]["received"].as_i64() > Some(0)).unwrap();
    let page = http()
        .get(app.url(&format!("/register/{}?lang=en", loan["id"].as_str().unwrap())))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let provider = page.split("id=\"provider-appeals-title\"").nth(1).expect("the provider's figures");
    assert!(provider.contains(&format!("<dd>{}</dd>", mizan_app::demo::APPEALS.len())), "{provider}");
    assert!(provider.contains("/api/v1/organisations/demo-indus-bank/appeals"));
}

/// Filings made at the same moment are opened together (one transaction, one sync), each its
/// own savepoint: one refused case does not take the others with it, and concurrent filings all
/// land, each once.
#[tokio::test]
async fn filings_at_the_same_moment_are_opened_together_and_fail_alone() {
    let app = TestApp::start(true).await;
    let (_, _, receipt) = decided(&app, "Appeal group commit").await;
    let target = app.store.appeal_target(&receipt).await.unwrap();
    let now = mizan_store::format_time(time::OffsetDateTime::now_utc());
    let case = |reference: &str| {
        let new = mizan_store::NewCase {
            reference: reference.to_owned(),
            case_type: "appeal".into(),
            type_version: 1,
            org_id: target.org_id,
            system_id: Some(target.system_id),
            system_version: 1,
            subject: receipt.clone(),
            token_hash: String::new(),
            entry_key: "00".into(),
            lang: "en".into(),
            contact_email: None,
            contact_phone: None,
            publish_consent: false,
            grounds_category: "other".into(),
            document: None,
        };
        let entry = mizan_store::NewEntry {
            seq: 0,
            entry_json: "{}".into(),
            commitment: "00".into(),
            actor_user: None,
            actor_name: "appellant".into(),
            from: String::new(),
            to: "filed".into(),
            at: now.clone(),
        };
        let p = mizan_store::CaseProjection {
            state: "closed".into(),
            is_open: false,
            entered_at: now.clone(),
            ..Default::default()
        };
        (new, vec![entry], p)
    };
    let group = [case("AP-GROUP00001"), case("AP-GROUP00001"), case("AP-GROUP00002")];
    let results = app.store.open_case_group(&group).await.unwrap();
    assert!(results[0].is_ok() && results[2].is_ok(), "{results:?}");
    assert!(matches!(results[1], Err(mizan_store::StoreError::Conflict(_))), "{results:?}");
    for r in ["AP-GROUP00001", "AP-GROUP00002"] {
        let (_, entries) = app.store.case_by_reference(r).await.unwrap();
        assert_eq!(entries.len(), 1, "{r} stored with its one entry");
    }

    // Twelve people file at once on twelve decisions: twelve appeals, each once.
    let (id, bank) = common::registered_system(&app, "Appeal group filings").await;
    let filings = declines(&app, &id, &bank, "g", 12).await.into_iter().map(|reference| {
        let platform = app.platform.clone();
        tokio::spawn(async move {
            let input = mizan_app::appeals::AppealIn {
                grounds: "wrong".into(),
                category: "other".into(),
                lang: "en".into(),
                ..Default::default()
            };
            platform.file_appeal(&reference, input).await
        })
    });
    let mut filed = std::collections::BTreeSet::new();
    for f in filings.collect::<Vec<_>>() {
        filed.insert(f.await.unwrap().expect("filed").reference);
    }
    assert_eq!(filed.len(), 12);
}
