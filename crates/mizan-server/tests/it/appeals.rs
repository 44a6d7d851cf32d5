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

/// Logs one decision for a freshly registered system of the demo bank; returns the system,
/// the bank's token and the receipt reference.
async fn decided(app: &TestApp, name: &str) -> (String, String, String) {
    let (id, bank) = common::registered_system(app, name).await;
    let body = json!([{
        "idempotency_key": "k-1",
        "system_version": 1,
        "model_hash": "sha256:9f2c0d6e",
        "features": {"income": 85000, "age": 41},
        "output": "decline",
        "score": 0.31,
        "human": {"involved": false, "by": null},
        "decided_at": mizan_formats::decision::format_decided_at(time::OffsetDateTime::now_utc() - time::Duration::minutes(1)).unwrap(),
        "subject_ref": "applicant-1"
    }]);
    let res = http()
        .post(app.url(&format!("/api/v1/systems/{id}/decisions")))
        .bearer_auth(&bank)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "decision logged: {}", res.status());
    let receipts: Value = res.json().await.unwrap();
    let reference = receipts["receipts"][0]["reference"].as_str().expect("reference").to_owned();
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

/// Whether `text` holds something that looks like a CNIC number (`35202-1234567-1` or 13
/// digits in a row), a Pakistani mobile number (`03001234567`, `+923001234567`, with or without
/// separators) or an e-mail address. Deliberately broad: a false alarm is a test to read, a
/// miss is a leak.
fn personal_data_in(text: &str, published: &[String]) -> Option<String> {
    let digits_only = |s: &str| s.chars().filter(char::is_ascii_digit).collect::<String>();
    // Runs of digits with the separators people write between them.
    // A run inside a word (hex digests, ids) is not a number anyone wrote.
    let mut run = String::new();
    let mut runs = Vec::new();
    let mut prev = ' ';
    let mut in_word = false;
    for c in text.chars() {
        if c.is_ascii_digit() || (!run.is_empty() && matches!(c, '-' | ' ' | '+')) {
            if run.is_empty() {
                in_word = prev.is_alphanumeric();
            }
            run.push(c);
        } else {
            let ends_clean = run.ends_with(|x: char| !x.is_ascii_digit()) || !c.is_alphanumeric();
            if !run.is_empty() && !in_word && ends_clean {
                runs.push(run.clone());
            }
            run.clear();
        }
        prev = c;
    }
    if !in_word {
        runs.push(run);
    }
    for r in runs {
        let d = digits_only(&r);
        if d.len() == 13 && !d.starts_with("92") {
            return Some(format!("a CNIC-like number `{r}`"));
        }
        if (d.len() == 11 && d.starts_with("03")) || (d.len() == 12 && d.starts_with("923")) {
            return Some(format!("a phone-like number `{r}`"));
        }
    }
    let bytes = text.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'@' && i > 0 && i + 1 < bytes.len() {
            let before = bytes[i - 1].is_ascii_alphanumeric();
            let after = &text[i + 1..];
            let domain: String =
                after.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '.' || *c == '-').collect();
            let local: String = text[..i]
                .chars()
                .rev()
                .take_while(|c| c.is_ascii_alphanumeric() || ".!#$%&'*+/=?^_`{|}~-".contains(*c))
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            let address = format!("{local}@{domain}");
            if before && domain.contains('.') && !domain.ends_with('.') && !published.contains(&address) {
                return Some(format!(
                    "an e-mail-like address near `{}`",
                    &text[i.saturating_sub(20)..(i + 20).min(text.len())]
                ));
            }
        }
    }
    None
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
}
