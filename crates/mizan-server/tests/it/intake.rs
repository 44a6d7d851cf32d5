//! Who may log decisions: only a system on the public register as `registered`, and only while
//! its decision intake is not stopped. Every refusal is a 409 problem naming the status, or who
//! stopped the intake, when and why; a suspension or a stop refuses the very next request; the
//! stop control works from the API and from the provider's and the regulator's pages, is shown
//! on the public register in English and Urdu, and is kept as history and in the events log.

use std::time::Duration;

use serde_json::{Value, json};

use crate::common::{self, TestApp, create_draft, csrf, password, regulator_moves, sign_in, token};

fn http() -> reqwest::Client {
    reqwest::Client::new()
}

fn decision(key: &str, version: i64) -> Value {
    json!({
        "idempotency_key": key,
        "system_version": version,
        "model_hash": "sha256:9f2c0d6e",
        "features": {"income": 85000},
        "output": "approve",
        "score": 0.81,
        "human": {"involved": false, "by": null},
        "decided_at": "2026-03-01T09:15:27Z",
        "subject_ref": format!("applicant-{key}")
    })
}

async fn post(app: &TestApp, id: &str, token: &str, body: &Value) -> reqwest::Response {
    http()
        .post(app.url(&format!("/api/v1/systems/{id}/decisions")))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap()
}

/// Logs one decision of version 1 for `id` and expects it logged.
async fn logs(app: &TestApp, id: &str, token: &str, key: &str) {
    let res = post(app, id, token, &json!([decision(key, 1)])).await;
    let status = res.status();
    assert_eq!(status, 201, "{key} logged: {}", res.text().await.unwrap());
}

/// Logs one decision for `id` and expects a 409 problem whose detail holds every one of `words`.
async fn refused(app: &TestApp, id: &str, token: &str, key: &str, words: &[&str]) -> String {
    let res = post(app, id, token, &json!([decision(key, 1)])).await;
    assert_eq!(res.status(), 409, "{key} refused");
    let ctype = res.headers()["content-type"].to_str().unwrap().to_owned();
    assert_eq!(ctype, "application/problem+json");
    let body: Value = res.json().await.unwrap();
    let detail = body["detail"].as_str().unwrap().to_owned();
    for w in words {
        assert!(detail.contains(w), "`{w}` is in the refusal: {detail}");
    }
    detail
}

async fn provider_moves(app: &TestApp, id: &str, bank: &str, to: &str) {
    let res = http()
        .post(app.url(&format!("/api/v1/org/systems/{id}/transitions")))
        .bearer_auth(bank)
        .json(&json!({"to": to, "reason": "a test"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "the bank moves `{id}` to {to}");
}

#[tokio::test]
async fn only_a_registered_system_may_log_decisions() {
    let app = TestApp::start(true).await;
    let bank = token(
        &app.store,
        "admin@indus-bank.demo",
        &["systems:read", "systems:write", "systems:submit", "systems:retire", "decisions:write"],
    )
    .await;
    let before = app.store.count_decisions().await.unwrap();

    // Never registered: a draft, a submitted system, one under review. A submission withdrawn
    // by its provider is a draft again.
    let draft = create_draft(&app, &bank, "Intake draft").await;
    refused(&app, &draft, &bank, "d-1", &[&format!("system `{draft}` is a draft"), "not registered"]).await;
    let (submitted, _) = common::submitted_system(&app, "Intake submitted").await;
    refused(
        &app,
        &submitted,
        &bank,
        "s-1",
        &["is submitted, not yet registered", "until the regulator registers it"],
    )
    .await;
    let (reviewed, _) = common::submitted_system(&app, "Intake under review").await;
    regulator_moves(&app, &reviewed, "under_review").await;
    refused(&app, &reviewed, &bank, "r-1", &["is under review, not yet registered"]).await;
    let (withdrawn, _) = common::submitted_system(&app, "Intake withdrawn").await;
    provider_moves(&app, &withdrawn, &bank, "draft").await;
    refused(&app, &withdrawn, &bank, "w-1", &["is a draft"]).await;
    assert_eq!(app.store.count_decisions().await.unwrap(), before, "nothing of a refused system is stored");

    // Registered: logged. Suspended by the regulator: refused at the very next request, though
    // the answer for this system was just cached. Registered again: logged at once.
    let (id, _) = common::registered_system(&app, "Intake registered").await;
    logs(&app, &id, &bank, "g-1").await;
    regulator_moves(&app, &id, "suspended").await;
    refused(&app, &id, &bank, "g-2", &[&format!("system `{id}` is suspended"), "registers it again"]).await;
    regulator_moves(&app, &id, "registered").await;
    logs(&app, &id, &bank, "g-3").await;

    // Retired by its provider: refused at once, for good.
    provider_moves(&app, &id, &bank, "retired").await;
    refused(&app, &id, &bank, "g-4", &["is retired", "can no longer log decisions"]).await;
}

/// While a newer version is under review the registered version stays in use: its decisions
/// are logged, and the version under review may not be named until it is registered.
#[tokio::test]
async fn a_registered_system_keeps_logging_while_a_new_version_is_reviewed() {
    let app = TestApp::start(true).await;
    let (id, bank) = common::registered_system(&app, "Intake second version").await;
    logs(&app, &id, &bank, "v1-a").await;
    let res = http()
        .post(app.url(&format!("/api/v1/org/systems/{id}/transitions")))
        .bearer_auth(&bank)
        .json(&json!({"to": "submitted", "reason": "version 2"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    regulator_moves(&app, &id, "under_review").await;
    logs(&app, &id, &bank, "v1-b").await;
    let res = post(&app, &id, &bank, &json!([decision("v2-a", 2)])).await;
    assert_eq!(res.status(), 400);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["field"], "decisions[0].system_version", "{body}");
    assert!(body["detail"].as_str().unwrap().contains("version 2 was never registered"), "{body}");
    regulator_moves(&app, &id, "registered").await;
    let res = post(&app, &id, &bank, &json!([decision("v2-a", 2), decision("v1-c", 1)])).await;
    assert_eq!(res.status(), 201, "both registered versions may be named");
}

async fn intake(app: &TestApp, id: &str, token: &str, what: &str, body: Option<Value>) -> reqwest::Response {
    let mut req = http().post(app.url(&format!("/api/v1/systems/{id}/intake/{what}"))).bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    req.send().await.unwrap()
}

async fn json_of(res: reqwest::Response) -> Value {
    res.json().await.expect("json body")
}

/// The date part of an RFC 3339 time in English words, as the register page writes it.
fn in_words(rfc3339: &str) -> String {
    let t = time::OffsetDateTime::parse(rfc3339, &time::format_description::well_known::Rfc3339).unwrap();
    format!("{} {} {}", t.day(), t.month(), t.year())
}

#[tokio::test]
async fn the_stop_control_refuses_decisions_until_resumed() {
    let app = TestApp::start(true).await;
    let (id, _) = common::registered_system(&app, "Intake stop").await;
    let bank =
        token(&app.store, "admin@indus-bank.demo", &["systems:read", "decisions:write", "intake:stop"]).await;
    let regulator = token(&app.store, "admin@regulator.demo", &["register:queue", "intake:stop"]).await;
    logs(&app, &id, &bank, "k-1").await;

    // The reason is required, at most 1000 characters, on one line without controls.
    for (body, status, field) in [
        (json!({"reason": ""}), 400, "reason"),
        (json!({"reason": "   "}), 400, "reason"),
        (json!({"reason": "x".repeat(1001)}), 400, "reason"),
        (json!({"reason": "two\nlines"}), 400, "reason"),
        (json!({"reason": "bell\u{7}"}), 422, "reason"),
        (json!({}), 400, "reason"),
    ] {
        let res = intake(&app, &id, &bank, "stop", Some(body.clone())).await;
        assert_eq!(res.status(), status, "{body}");
        assert_eq!(json_of(res).await["field"], field, "{body}");
    }
    logs(&app, &id, &bank, "k-2").await;

    // The provider stops it: the next decision is refused naming who, when and why.
    let reason = "model drift found in the March bias audit";
    let res = intake(&app, &id, &bank, "stop", Some(json!({"reason": reason}))).await;
    assert_eq!(res.status(), 200);
    let stop = json_of(res).await;
    assert_eq!(stop["stopped"], true);
    assert_eq!(stop["stopped_by"], "provider");
    assert_eq!(stop["reason"], reason);
    let at = stop["stopped_at"].as_str().unwrap().to_owned();
    refused(&app, &id, &bank, "k-3", &["stopped by the provider", &at, reason]).await;
    let res = intake(&app, &id, &bank, "stop", Some(json!({"reason": "again"}))).await;
    assert_eq!(res.status(), 409, "already stopped");

    // The register page says so, in English and in Urdu.
    let page = http().get(app.url(&format!("/register/{id}"))).send().await.unwrap().text().await.unwrap();
    let sentence = format!("Decision intake stopped on {} by the provider: {reason}", in_words(&at));
    assert!(page.contains(&sentence), "`{sentence}` is on the register page");
    let page =
        http().get(app.url(&format!("/register/{id}?lang=ur"))).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("فیصلوں کا اندراج") && page.contains("فراہم کنندہ نے روک دیا"), "the Urdu notice");
    assert!(page.contains(reason));

    // Another organisation cannot see it, a role without `intake:stop` may not touch it.
    let health = token(&app.store, "admin@rahbar-health.demo", &["intake:stop"]).await;
    assert_eq!(intake(&app, &id, &health, "resume", None).await.status(), 404);
    assert_eq!(intake(&app, &id, &health, "stop", Some(json!({"reason": "x"}))).await.status(), 404);
    let editor = token(&app.store, "editor@indus-bank.demo", &["decisions:write", "intake:stop"]).await;
    assert_eq!(intake(&app, &id, &editor, "resume", None).await.status(), 403);

    // Resumed: the next decision is logged.
    let res = intake(&app, &id, &bank, "resume", None).await;
    assert_eq!(res.status(), 200);
    assert_eq!(json_of(res).await["stopped"], false);
    logs(&app, &id, &bank, "k-4").await;
    let page = http().get(app.url(&format!("/register/{id}"))).send().await.unwrap().text().await.unwrap();
    assert!(!page.contains("Decision intake stopped"), "no notice once resumed");
    assert_eq!(intake(&app, &id, &bank, "resume", None).await.status(), 409, "nothing to resume");

    // The regulator's stop is lifted only by the regulator.
    let res =
        intake(&app, &id, &regulator, "stop", Some(json!({"reason": "complaints under investigation"})))
            .await;
    assert_eq!(res.status(), 200);
    assert_eq!(json_of(res).await["stopped_by"], "regulator");
    refused(&app, &id, &bank, "k-5", &["stopped by the regulator", "complaints under investigation"]).await;
    let res = intake(&app, &id, &bank, "resume", None).await;
    assert_eq!(res.status(), 409);
    assert!(json_of(res).await["detail"].as_str().unwrap().contains("only the regulator can resume it"));
    refused(&app, &id, &bank, "k-5", &["stopped by the regulator"]).await;
    assert_eq!(intake(&app, &id, &regulator, "resume", None).await.status(), 200);
    logs(&app, &id, &bank, "k-5").await;

    // The history: two stops, two resumes, each an event of the system, append-only.
    let scope = mizan_store::OrgScope::new(app.store.org_by_slug("demo-indus-bank").await.unwrap().id);
    let events = app.store.org_system(scope, &id).await.unwrap().events;
    let kinds: Vec<&str> =
        events.iter().map(|e| e.kind.as_str()).filter(|k| k.starts_with("intake-")).collect();
    assert_eq!(kinds, ["intake-stopped", "intake-resumed", "intake-stopped", "intake-resumed"]);
    let stopped = events.iter().find(|e| e.kind == "intake-stopped").unwrap();
    assert_eq!(stopped.reason, format!("provider: {reason}"));
    assert!(app.store.try_rewrite_intake_stops().await.is_err(), "the stop history is append-only");

    // Each is committed to the events log like every other event of a public system.
    let mut r = Value::Null;
    for _ in 0..200 {
        r = json_of(
            http().get(app.url(&format!("/api/v1/events/{}/proof", stopped.id))).send().await.unwrap(),
        )
        .await;
        if r["status"] == "proven" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(r["status"], "proven", "{r}");
    let event: Value =
        serde_json::from_str(r["event_json"].as_str().expect("a public event is shown")).unwrap();
    assert_eq!(event["kind"], "intake-stopped");
    assert_eq!(event["reason"], format!("provider: {reason}"));
}

async fn page_post(
    app: &TestApp,
    c: &reqwest::Client,
    path: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    c.post(app.url(path)).form(form).send().await.unwrap()
}

#[tokio::test]
async fn the_stop_control_works_from_the_provider_and_regulator_pages() {
    let app = TestApp::start(true).await;
    let (id, bank) = common::registered_system(&app, "Intake pages").await;
    let admin = sign_in(&app, "admin@indus-bank.demo", password("admin@indus-bank.demo")).await;
    let app_page = format!("/app/systems/{id}");
    let action = format!("/app/systems/{id}/intake");
    let html = admin.get(app.url(&app_page)).send().await.unwrap().text().await.unwrap();
    assert!(html.contains(&format!("action=\"{action}\"")), "the stop form is on the provider's page");
    assert!(html.contains("Stop decision intake"));

    // CSRF-protected; a blank reason is refused naming what to fix, and stops nothing.
    let res = page_post(&app, &admin, &action, &[("action", "stop"), ("reason", "drift")]).await;
    assert_eq!(res.status(), 403, "no CSRF token, no stop");
    let token = csrf(&app, &admin).await;
    let res =
        page_post(&app, &admin, &action, &[("csrf", &token), ("action", "stop"), ("reason", " ")]).await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("Give a reason of 1 to 1000 characters"));
    logs(&app, &id, &bank, "p-1").await;

    let res = page_post(
        &app,
        &admin,
        &action,
        &[("csrf", &token), ("action", "stop"), ("reason", "data pipeline fault")],
    )
    .await;
    assert_eq!(res.status(), 303);
    refused(&app, &id, &bank, "p-2", &["stopped by the provider", "data pipeline fault"]).await;
    let html = admin.get(app.url(&app_page)).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("by the provider: data pipeline fault") && html.contains("Resume decision intake"));

    // Another organisation's user is told the system does not exist.
    let health = sign_in(&app, "admin@rahbar-health.demo", password("admin@rahbar-health.demo")).await;
    let other = csrf(&app, &health).await;
    let res = page_post(&app, &health, &action, &[("csrf", &other), ("action", "resume")]).await;
    assert_eq!(res.status(), 404);

    // The regulator sees the provider's stop and may lift it; then stops it again, in Urdu.
    let reg = sign_in(&app, "admin@regulator.demo", password("admin@regulator.demo")).await;
    let reg_page = format!("/regulator/systems/{id}");
    let reg_action = format!("/regulator/systems/{id}/intake");
    let html = reg.get(app.url(&reg_page)).send().await.unwrap().text().await.unwrap();
    assert!(html.contains(&format!("action=\"{reg_action}\"")) && html.contains("Resume decision intake"));
    let t = csrf(&app, &reg).await;
    assert_eq!(page_post(&app, &reg, &reg_action, &[("csrf", &t), ("action", "resume")]).await.status(), 303);
    logs(&app, &id, &bank, "p-2").await;
    let res = page_post(
        &app,
        &reg,
        &reg_action,
        &[("csrf", &t), ("action", "stop"), ("reason", "تحقیقات جاری ہیں")],
    )
    .await;
    assert_eq!(res.status(), 303);
    refused(&app, &id, &bank, "p-3", &["stopped by the regulator", "تحقیقات جاری ہیں"]).await;
    let html = reg.get(app.url(&format!("{reg_page}?lang=ur"))).send().await.unwrap().text().await.unwrap();
    assert!(
        html.contains("ریگولیٹر نے روک دیا: تحقیقات جاری ہیں"),
        "the Urdu notice on the regulator's page"
    );

    // The provider cannot lift the regulator's stop: no button, and the form is refused.
    let html = admin.get(app.url(&app_page)).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("Only the regulator can resume") && !html.contains("Resume decision intake"));
    let res = page_post(&app, &admin, &action, &[("csrf", &token), ("action", "resume")]).await;
    assert_eq!(res.status(), 409);
    refused(&app, &id, &bank, "p-3", &["stopped by the regulator"]).await;
}
