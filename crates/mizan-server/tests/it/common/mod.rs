//! Helpers shared by the server's integration tests: sign-in, CSRF, tokens, a valid record.
#![allow(dead_code, reason = "a suite may leave a helper unused when built without a feature")]

pub mod browser;

use mizan_store::{OrgScope, Store};
pub use mizan_test::TestApp;
use serde_json::{Value, json};

/// A complete, valid record (every required field), named `name`.
pub fn record(name: &str) -> Value {
    json!({
        "name": {"en": name, "ur": "آزمائشی نظام"},
        "short_description": "A system made by a test",
        "sector": "finance",
        "purpose": "testing", "intended_use": "testing", "deployment_context": "a test",
        "affected_persons": "nobody", "legal_basis": "none", "human_oversight": "always",
        "appeals_mechanism": "write to us", "data_development": "synthetic", "data_operational": "synthetic",
        "model_type": "logistic regression", "risk_management": "reviewed", "contact_email": "ai@test.example.pk",
        "deployment_status": "pilot", "languages": ["en", "ur"], "internal_notes": "secret-internal-note"
    })
}

/// Makes an API token for a demo user with the given scopes (expiring in `days`, may be negative
/// to make an expired one by writing directly is not possible, so use `days >= 1`).
pub async fn token(store: &Store, email: &str, scopes: &[&str]) -> String {
    let (user, _) = store.user_for_login(email).await.expect("db").expect("demo user");
    let org_slug = mizan_app::demo::USERS.iter().find(|u| u.email == email).expect("demo user").org;
    let org = store.org_by_slug(org_slug).await.expect("org");
    let scopes: Vec<String> = scopes.iter().map(|s| (*s).to_owned()).collect();
    let expires = time::OffsetDateTime::now_utc() + time::Duration::days(30);
    store
        .create_token(OrgScope::new(org.id), Some(user.id), "test", &scopes, expires)
        .await
        .expect("token")
        .secret
}

/// Extracts the CSRF token from a page.
pub fn csrf_of(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker).expect("page has a CSRF field") + marker.len();
    html[start..start + 48].to_owned()
}

/// Signs in through the real form; returns the client holding the session.
pub async fn sign_in(app: &TestApp, email: &str, password: &str) -> reqwest::Client {
    let c = app.client();
    let page = c.get(app.url("/login")).send().await.expect("login page").text().await.expect("body");
    let csrf = csrf_of(&page);
    let res = c
        .post(app.url("/login"))
        .form(&[("csrf", csrf.as_str()), ("email", email), ("password", password), ("next", "/app")])
        .send()
        .await
        .expect("login");
    assert_eq!(res.status(), 303, "sign-in of {email} should redirect");
    c
}

/// A fresh CSRF token for a signed-in client.
pub async fn csrf(app: &TestApp, c: &reqwest::Client) -> String {
    let page = c.get(app.url("/about")).send().await.expect("page").text().await.expect("body");
    csrf_of(&page)
}

/// Password of a demo user.
pub fn password(email: &str) -> &'static str {
    mizan_app::demo::USERS.iter().find(|u| u.email == email).expect("demo user").password
}

/// Creates a draft through the API and returns its public id.
pub async fn create_draft(app: &TestApp, token: &str, name: &str) -> String {
    let res = reqwest::Client::new()
        .post(app.url("/api/v1/org/systems"))
        .bearer_auth(token)
        .json(&record(name))
        .send()
        .await
        .expect("create");
    assert_eq!(res.status(), 201);
    let v: Value = res.json().await.expect("json");
    let id = v["id"].as_str().expect("id").to_owned();
    let res = reqwest::Client::new()
        .put(app.url(&format!("/api/v1/org/systems/{id}/risk-answers")))
        .bearer_auth(token)
        .json(&serde_json::json!({"is_ai_system": "no"}))
        .send()
        .await
        .expect("risk answers");
    assert_eq!(res.status(), 200, "risk answers saved");
    let res = reqwest::Client::new()
        .put(app.url(&format!("/api/v1/org/systems/{id}/impact-answers")))
        .bearer_auth(token)
        .json(&low_impact())
        .send()
        .await
        .expect("impact answers");
    assert_eq!(res.status(), 200, "impact answers saved");
    id
}

/// Impact answers of a low-impact system (level I).
pub fn low_impact() -> Value {
    json!({
        "decision_type": "informs_human", "reversibility": "easily", "duration": "brief", "rights_affected": "no",
        "vulnerable_groups": "no", "personal_data": "none", "scale": "under_1k", "opacity": "fully",
        "human_review": "all", "bias_testing": "continuously", "appeal_route": "yes", "logging": "yes"
    })
}

/// Impact answers at the top of the scale with no mitigation (level IV: three reviewers).
pub fn highest_impact() -> Value {
    json!({
        "decision_type": "decides_alone", "reversibility": "irreversible", "duration": "permanent",
        "rights_affected": "directly", "vulnerable_groups": "mainly", "personal_data": "biometric",
        "scale": "over_1m", "opacity": "no",
        "human_review": "no", "bias_testing": "no", "appeal_route": "no", "logging": "no"
    })
}

/// Risk answers that classify a credit-scoring system as high-risk (Annex III point 5(b)):
/// every question answered neutrally, then what differs.
pub fn high_risk_answers() -> Value {
    let mut answers =
        serde_json::to_value(mizan_rules::Ruleset::embedded().expect("ruleset").neutral_answers())
            .expect("answers");
    for (q, a) in [
        ("is_ai_system", "yes"),
        ("role", "provider"),
        ("annex_iii_5", "yes"),
        ("annex_iii_5_point", "creditworthiness"),
        ("profiling", "yes"),
    ] {
        answers[q] = json!(a);
    }
    answers
}

/// A registered high-risk system of the demo bank named `name`, classified by `risk` answers
/// (three ethics-board approvals at impact level IV, then registered by the regulator).
pub async fn registered_high_risk(app: &TestApp, name: &str, risk: Value) -> String {
    let writer =
        token(&app.store, "admin@indus-bank.demo", &["systems:read", "systems:write", "systems:submit"])
            .await;
    let id = create_draft(app, &writer, name).await;
    let http = reqwest::Client::new();
    for (path, body) in [("risk-answers", risk), ("impact-answers", highest_impact())] {
        let res = http
            .put(app.url(&format!("/api/v1/org/systems/{id}/{path}")))
            .bearer_auth(&writer)
            .json(&body)
            .send()
            .await
            .expect("answers");
        assert_eq!(res.status(), 200, "{path}");
    }
    let res = http
        .post(app.url(&format!("/api/v1/org/systems/{id}/transitions")))
        .bearer_auth(&writer)
        .json(&json!({"to": "submitted"}))
        .send()
        .await
        .expect("submit");
    assert_eq!(res.status(), 200);
    approve(app, &id, 1, 3).await;
    regulator_moves(app, &id, "registered").await;
    id
}

/// Ethics-board approvals of `version` by the first `n` demo reviewers, through the API.
pub async fn approve(app: &TestApp, id: &str, version: i64, n: usize) {
    let reviewers = ["reviewer@regulator.demo", "reviewer2@regulator.demo", "reviewer3@regulator.demo"];
    for email in &reviewers[..n] {
        let t = token(&app.store, email, &["review:decide"]).await;
        let res = reqwest::Client::new()
            .post(app.url(&format!("/api/v1/review/systems/{id}/reviews")))
            .bearer_auth(&t)
            .json(&json!({"version": version, "decision": "approve", "reason": "read and found adequate"}))
            .send()
            .await
            .expect("review");
        assert_eq!(res.status(), 201, "{email} approves");
    }
}

/// Makes an API token for any user and organisation (for users made inside a test).
pub async fn token_for(store: &Store, user_id: i64, org_id: i64, scopes: &[&str]) -> String {
    let scopes: Vec<String> = scopes.iter().map(|s| (*s).to_owned()).collect();
    let expires = time::OffsetDateTime::now_utc() + time::Duration::days(30);
    store
        .create_token(OrgScope::new(org_id), Some(user_id), "test", &scopes, expires)
        .await
        .expect("token")
        .secret
}

/// Moves system `id` through the regulator's API to `to` with a reason, expecting success.
pub async fn regulator_moves(app: &TestApp, id: &str, to: &str) {
    let regulator =
        token(&app.store, "admin@regulator.demo", &["register:queue", "register:transition"]).await;
    let res = reqwest::Client::new()
        .post(app.url(&format!("/api/v1/regulator/systems/{id}/transitions")))
        .bearer_auth(&regulator)
        .json(&json!({"to": to, "reason": format!("moved to {to} by a test")}))
        .send()
        .await
        .expect("regulator transition");
    assert_eq!(res.status(), 200, "the regulator moves `{id}` to {to}");
}

/// A submitted (not registered) system of the demo bank named `name`, and a token of the bank
/// that may read, write, submit and log decisions.
pub async fn submitted_system(app: &TestApp, name: &str) -> (String, String) {
    let bank = token(
        &app.store,
        "admin@indus-bank.demo",
        &["systems:read", "systems:write", "systems:submit", "decisions:write"],
    )
    .await;
    let id = create_draft(app, &bank, name).await;
    let res = reqwest::Client::new()
        .post(app.url(&format!("/api/v1/org/systems/{id}/transitions")))
        .bearer_auth(&bank)
        .json(&json!({"to": "submitted"}))
        .send()
        .await
        .expect("submit");
    assert_eq!(res.status(), 200, "submitted");
    (id, bank)
}

/// A system of the demo bank named `name`, registered the way the regulator registers one
/// (submitted by the bank, taken up and registered by the regulator: a low-impact, non-AI
/// record needs no ethics-board approval), so that it may log decisions; and a token of the
/// bank that may read, write, submit and log decisions.
pub async fn registered_system(app: &TestApp, name: &str) -> (String, String) {
    let (id, bank) = submitted_system(app, name).await;
    regulator_moves(app, &id, "under_review").await;
    regulator_moves(app, &id, "registered").await;
    (id, bank)
}
