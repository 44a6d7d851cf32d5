//! The HTML pages over real HTTP: sign-in, forms with CSRF, both languages, page-level access
//! and the error pages. (The browser suite drives the same flows in Chromium.)

use crate::common;

use crate::common::{TestApp, csrf, password, sign_in};

async fn text(res: reqwest::Response) -> String {
    res.text().await.expect("body")
}

#[tokio::test]
async fn languages_negotiate_switch_and_render_right_to_left() {
    let app = TestApp::start(true).await;
    let c = app.client();
    let en = text(c.get(app.url("/register")).send().await.unwrap()).await;
    assert!(en.contains("<html lang=\"en\" dir=\"ltr\">"));
    let ur = text(c.get(app.url("/register?lang=ur")).send().await.unwrap()).await;
    assert!(ur.contains("<html lang=\"ur\" dir=\"rtl\">"));
    assert!(ur.contains("مصنوعی ذہانت کے نظاموں کا عوامی رجسٹر"));
    let negotiated = text(
        c.get(app.url("/register"))
            .header("accept-language", "ur-PK,ur;q=0.9,en;q=0.5")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(negotiated.contains("dir=\"rtl\""));

    let res = c.get(app.url("/lang/ur?next=/about")).send().await.unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/about");
    let about = text(c.get(app.url("/about")).send().await.unwrap()).await;
    assert!(about.contains("lang=\"ur\""), "the cookie keeps the choice");

    let missing = c.get(app.url("/register/zzzzzzzz")).send().await.unwrap();
    assert_eq!(missing.status(), 404);
    assert!(text(missing).await.contains("نہیں ملا"), "404 page in Urdu");
    assert_eq!(c.get(app.url("/lang/fr")).send().await.unwrap().status(), 404);

    // The Nastaliq font, and which pages load it: `weight.rs`.
    // Open redirects are refused.
    let res = c.get(app.url("/lang/en?next=//evil.example")).send().await.unwrap();
    assert_eq!(res.headers()["location"], "/");
}

#[tokio::test]
async fn provider_creates_and_submits_regulator_registers_through_forms() {
    let app = TestApp::start(true).await;
    let editor = sign_in(&app, "editor@indus-bank.demo", password("editor@indus-bank.demo")).await;
    let token = csrf(&app, &editor).await;
    let mut form: Vec<(String, String)> = vec![("csrf".into(), token.clone())];
    let fields = [
        ("name.en", "Branch queue forecasting"),
        ("name.ur", "برانچ قطار کی پیش گوئی"),
        ("short_description.en", "Forecasts customer queues"),
        ("sector", "finance"),
        ("purpose.en", "staffing"),
        ("intended_use.en", "staffing"),
        ("deployment_context.en", "branches"),
        ("affected_persons.en", "staff"),
        ("legal_basis.en", "contract"),
        ("human_oversight.en", "managers decide"),
        ("appeals_mechanism.en", "complaints desk"),
        ("data_development.en", "queue logs"),
        ("data_operational.en", "queue logs"),
        ("model_type", "time series"),
        ("risk_management.en", "quarterly review"),
        ("contact_email", "ai@bank.example.pk"),
        ("deployment_status", "pilot"),
        ("languages", "en"),
        ("languages", "ur"),
    ];
    form.extend(fields.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));

    // Invalid input re-shows the form with what was typed, in the page language, and writes nothing.
    let mut bad = form.clone();
    bad.push(("start_date".into(), "2026-02-30".into()));
    let before = app.store.count_demo_systems().await.unwrap();
    let res = editor.post(app.url("/app/systems?lang=ur")).form(&bad).send().await.unwrap();
    assert_eq!(res.status(), 422);
    let page = text(res).await;
    assert!(page.contains("برانچ قطار کی پیش گوئی"), "typed text kept");
    assert!(page.contains("YYYY-MM-DD") && page.contains("dir=\"rtl\""), "Urdu error message");
    let home = text(editor.get(app.url("/app")).send().await.unwrap()).await;
    assert!(!home.contains("Branch queue forecasting"));
    assert_eq!(app.store.count_demo_systems().await.unwrap(), before);

    let res = editor.post(app.url("/app/systems")).form(&form).send().await.unwrap();
    assert_eq!(res.status(), 303);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let id = location.rsplit('/').next().unwrap().to_owned();
    // Submitting before the risk questionnaire is answered is refused with a message.
    let submit = [("csrf", token.as_str()), ("to", "submitted")];
    let res =
        editor.post(app.url(&format!("/app/systems/{id}/transition"))).form(&submit).send().await.unwrap();
    assert_eq!(res.status(), 422);
    assert!(text(res).await.contains("Answer the risk questionnaire"));
    // The questionnaire shows one question at a time along the path.
    let risk = app.url(&format!("/app/systems/{id}/risk"));
    let page = text(editor.get(&risk).send().await.unwrap()).await;
    assert!(page.contains("name=\"q.is_ai_system\"") && !page.contains("name=\"q.role\""));
    for (q, a) in [
        ("q.is_ai_system", "yes"),
        ("q.role", "provider"),
        ("q.scope_military", "no"),
        ("q.scope_research", "no"),
        ("q.scope_pre_market", "no"),
        ("q.open_source", "no"),
        ("q.gpai_model", "no"),
    ] {
        let res = editor.post(&risk).form(&[("csrf", token.as_str()), (q, a)]).send().await.unwrap();
        assert_eq!(res.status(), 303);
    }
    let page = text(editor.get(&risk).send().await.unwrap()).await;
    assert!(page.contains("name=\"q.p5a_manipulation\""), "the next question on the path is asked");
    let res =
        editor.post(&risk).form(&[("csrf", token.as_str()), ("q.is_ai_system", "no")]).send().await.unwrap();
    assert_eq!(res.status(), 303);
    let page = text(editor.get(&risk).send().await.unwrap()).await;
    assert!(
        page.contains("Outside the AI Act") && !page.contains("name=\"q.role\""),
        "changing an answer shortens the path"
    );
    // The impact assessment: every question on one form.
    let impact_url = app.url(&format!("/app/systems/{id}/impact"));
    let mut impact: Vec<(String, String)> = vec![("csrf".into(), token.clone())];
    for (k, v) in common::low_impact().as_object().unwrap() {
        impact.push((format!("q.{k}"), v.as_str().unwrap().to_owned()));
    }
    let res = editor.post(&impact_url).form(&impact).send().await.unwrap();
    assert_eq!(res.status(), 303);
    let page = text(editor.get(&impact_url).send().await.unwrap()).await;
    assert!(page.contains("Impact level I<"), "the level is shown with the form");
    let res = editor
        .post(&impact_url)
        .form(&[("csrf", token.as_str()), ("q.scale", "galactic")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422, "an answer not on the list is refused");
    let res = editor
        .post(app.url(&format!("/app/systems/{id}/transition")))
        .form(&[("csrf", token.as_str()), ("to", "submitted")])
        .send()
        .await
        .unwrap();
    let status = res.status();
    assert_eq!(status, 303, "{}", text(res).await);
    let page = text(editor.get(app.url(&location)).send().await.unwrap()).await;
    assert!(page.contains("status-submitted"));

    // The editor cannot reach regulator pages.
    assert_eq!(editor.get(app.url("/regulator")).send().await.unwrap().status(), 403);

    let reg = sign_in(&app, "admin@regulator.demo", password("admin@regulator.demo")).await;
    // Each role lands where its work is.
    let home = app.url("/app");
    for (client, want) in [
        (reg.clone(), "/regulator"),
        (sign_in(&app, "reviewer@regulator.demo", password("reviewer@regulator.demo")).await, "/review"),
    ] {
        let res = client.get(&home).send().await.unwrap();
        let at = res.headers().get("location").map(|l| l.to_str().unwrap().to_owned());
        assert_eq!(at.as_deref(), Some(want), "lands on {want}");
    }
    let queue = text(reg.get(app.url("/regulator")).send().await.unwrap()).await;
    assert!(queue.contains("Branch queue forecasting"));
    let rtoken = csrf(&app, &reg).await;
    // A reason is required.
    let res = reg
        .post(app.url(&format!("/regulator/systems/{id}/transition")))
        .form(&[("csrf", rtoken.as_str()), ("to", "under_review"), ("reason", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    // The status and tier selects start empty, so no drastic move is a default; a form sent
    // without a choice is refused, naming what to choose, and changes nothing.
    let page = text(reg.get(app.url(&format!("/regulator/systems/{id}"))).send().await.unwrap()).await;
    for select in [
        "<select id=\"to\" name=\"to\" required><option value=\"\" selected>",
        "<select id=\"override-tier\" name=\"tier\" required><option value=\"\" selected>",
    ] {
        assert!(page.contains(select), "{select} starts empty");
    }
    let res = reg
        .post(app.url(&format!("/regulator/systems/{id}/transition")))
        .form(&[("csrf", rtoken.as_str()), ("to", ""), ("reason", "checked")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    assert!(text(res).await.contains("Choose the new status"));
    let res = reg
        .post(app.url(&format!("/regulator/systems/{id}/override")))
        .form(&[("csrf", rtoken.as_str()), ("tier", ""), ("reason", "checked")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    assert!(text(res).await.contains("Choose the tier"));
    for to in ["under_review", "registered"] {
        let res = reg
            .post(app.url(&format!("/regulator/systems/{id}/transition")))
            .form(&[("csrf", rtoken.as_str()), ("to", to), ("reason", "checked")])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303, "move to {to}");
    }
    let public = text(app.client().get(app.url(&format!("/register/{id}"))).send().await.unwrap()).await;
    assert!(public.contains("Branch queue forecasting"));
    let listed = text(app.client().get(app.url("/register?q=queue+forecasting")).send().await.unwrap()).await;
    assert!(listed.contains(&format!("/register/{id}")));
}

#[tokio::test]
async fn forms_without_a_valid_csrf_token_are_refused() {
    let app = TestApp::start(true).await;
    let editor = sign_in(&app, "editor@indus-bank.demo", password("editor@indus-bank.demo")).await;
    let res = editor.post(app.url("/app/systems?lang=ur")).form(&[("name.en", "x")]).send().await.unwrap();
    assert_eq!(res.status(), 403);
    let page = text(res).await;
    assert!(page.contains("یہ فارم پرانا ہو چکا ہے"), "CSRF error in the page language");
    let res = editor
        .post(app.url("/app/systems"))
        .form(&[("csrf", "0".repeat(48).as_str()), ("name.en", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    // Anonymous forms are protected too.
    let res = app
        .client()
        .post(app.url("/login"))
        .form(&[("email", "a@b.c"), ("password", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let res = editor
        .post(app.url("/app/systems"))
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 415);
}

#[tokio::test]
async fn page_access_by_role_and_organisation() {
    let app = TestApp::start(true).await;
    let anon = app.client();
    let res = anon.get(app.url("/app")).send().await.unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/login?next=/app");

    let wrong = app.client();
    let page = text(wrong.get(app.url("/login")).send().await.unwrap()).await;
    let token = common::csrf_of(&page);
    let res = wrong
        .post(app.url("/login"))
        .form(&[("csrf", token.as_str()), ("email", "admin@indus-bank.demo"), ("password", "wrong")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);

    let editor = sign_in(&app, "editor@indus-bank.demo", password("editor@indus-bank.demo")).await;
    let admin = sign_in(&app, "admin@indus-bank.demo", password("admin@indus-bank.demo")).await;
    let health = sign_in(&app, "admin@rahbar-health.demo", password("admin@rahbar-health.demo")).await;
    let reg = sign_in(&app, "admin@regulator.demo", password("admin@regulator.demo")).await;
    let reviewer = sign_in(&app, "reviewer@regulator.demo", password("reviewer@regulator.demo")).await;

    let bank_system = app
        .store
        .org_systems(mizan_store::OrgScope::new(app.store.org_by_slug("demo-indus-bank").await.unwrap().id))
        .await
        .unwrap()[0]
        .public_id
        .clone();
    let cases: Vec<(&reqwest::Client, String, u16)> = vec![
        (&editor, "/app".into(), 200),
        // Anyone signed in makes their own tokens (within their permissions); only an admin
        // sees the organisation's.
        (&editor, "/app/settings/tokens".into(), 200),
        (&admin, "/app/settings/tokens".into(), 200),
        (&editor, format!("/app/systems/{bank_system}"), 200),
        (&health, format!("/app/systems/{bank_system}"), 404),
        (&health, format!("/app/systems/{bank_system}/edit"), 404),
        (&reg, "/app".into(), 303),
        (&reg, "/regulator".into(), 200),
        (&reviewer, "/regulator".into(), 200),
        (&reg, format!("/regulator/systems/{bank_system}"), 200),
        (&editor, format!("/regulator/systems/{bank_system}"), 403),
        (&editor, "/app/reports".into(), 200),
    ];
    for (client, path, want) in cases {
        assert_eq!(client.get(app.url(&path)).send().await.unwrap().status().as_u16(), want, "GET {path}");
    }
    // A reviewer may see the queue but not change status.
    let token = csrf(&app, &reviewer).await;
    let res = reviewer
        .post(app.url(&format!("/regulator/systems/{bank_system}/transition")))
        .form(&[("csrf", token.as_str()), ("to", "suspended"), ("reason", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
}

#[tokio::test]
async fn tokens_made_on_the_settings_page_work_once_shown_and_can_be_revoked() {
    let app = TestApp::start(true).await;
    let admin = sign_in(&app, "admin@indus-bank.demo", password("admin@indus-bank.demo")).await;
    let token = csrf(&app, &admin).await;
    let res = admin
        .post(app.url("/app/settings/tokens"))
        .form(&[("csrf", token.as_str()), ("name", "ci"), ("scope", "systems:read"), ("days", "30")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let page = text(res).await;
    let start = page.find("id=\"new-token\">").expect("secret shown") + "id=\"new-token\">".len();
    let secret = &page[start..start + 68];
    assert!(secret.starts_with("mzn_"));
    let api = reqwest::Client::new();
    assert_eq!(
        api.get(app.url("/api/v1/org/systems")).bearer_auth(secret).send().await.unwrap().status(),
        200
    );
    let again = text(admin.get(app.url("/app/settings/tokens")).send().await.unwrap()).await;
    assert!(!again.contains(secret), "the secret is shown only once");

    let bad = admin
        .post(app.url("/app/settings/tokens"))
        .form(&[("csrf", token.as_str()), ("name", "x"), ("scope", "register:transition"), ("days", "30")])
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 422, "cannot grant a scope the user does not hold");
    let bad = admin
        .post(app.url("/app/settings/tokens"))
        .form(&[("csrf", token.as_str()), ("name", "x"), ("scope", "systems:read"), ("days", "0")])
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 422, "expiry is mandatory");

    let org = app.store.org_by_slug("demo-indus-bank").await.unwrap();
    let id = app.store.tokens(mizan_store::OrgScope::new(org.id)).await.unwrap()[0].id;
    let res = admin
        .post(app.url(&format!("/app/settings/tokens/{id}/revoke")))
        .form(&[("csrf", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(
        api.get(app.url("/api/v1/org/systems")).bearer_auth(secret).send().await.unwrap().status(),
        401
    );
}

#[tokio::test]
async fn public_error_report_form_gives_a_reference() {
    let app = TestApp::start(true).await;
    let c = app.client();
    let list = text(c.get(app.url("/register?q=triage")).send().await.unwrap()).await;
    let start = list.find("href=\"/register/").unwrap() + "href=\"/register/".len();
    let id = list[start..start + 8].to_owned();
    let form_page = text(c.get(app.url(&format!("/register/{id}/report"))).send().await.unwrap()).await;
    let token = common::csrf_of(&form_page);
    let res = c
        .post(app.url(&format!("/register/{id}/report")))
        .form(&[("csrf", token.as_str()), ("field", "purpose"), ("body", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422, "an empty report is refused with a message");
    let res = c
        .post(app.url(&format!("/register/{id}/report")))
        .form(&[("csrf", token.as_str()), ("field", "purpose"), ("body", "The purpose is out of date")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with("/reports/ER-"));
    let status = text(c.get(app.url(&location)).send().await.unwrap()).await;
    assert!(status.contains("The purpose is out of date"));
    let provider = sign_in(&app, "admin@rahbar-health.demo", password("admin@rahbar-health.demo")).await;
    let queue = text(provider.get(app.url("/app/reports")).send().await.unwrap()).await;
    assert!(queue.contains("The purpose is out of date"), "the report reaches the owning organisation");
}

#[tokio::test]
async fn review_form_explains_mistakes_in_the_readers_language() {
    let app = TestApp::start(true).await;
    let reviewer = sign_in(&app, "reviewer3@regulator.demo", password("reviewer3@regulator.demo")).await;
    let editor = sign_in(&app, "editor@indus-bank.demo", password("editor@indus-bank.demo")).await;
    let queue = text(reviewer.get(app.url("/review")).send().await.unwrap()).await;
    let start = queue.find("href=\"/review/systems/").expect("a system in the queue") + 22;
    let id = queue[start..start + 8].to_owned();
    assert_eq!(editor.get(app.url("/review")).send().await.unwrap().status(), 403, "providers cannot review");

    let page = text(reviewer.get(app.url(&format!("/review/systems/{id}"))).send().await.unwrap()).await;
    assert!(
        page.contains("aria-labelledby=\"audits-title\""),
        "the board sees the system's bias assessments"
    );
    let version = page.split("name=\"version\" value=\"").nth(1).expect("version field")[..1].to_owned();
    let token = csrf(&app, &reviewer).await;
    let post = |fields: Vec<(&'static str, String)>| {
        let mut form = vec![("csrf", token.clone())];
        form.extend(fields);
        reviewer
            .post(app.url(&format!("/review/systems/{id}")))
            .header("accept-language", "ur")
            .form(&form)
            .send()
    };
    // No reasons: the page comes back, in Urdu, with the message; nothing is recorded.
    let res =
        post(vec![("decision", "approve".into()), ("version", version.clone()), ("reason", " ".into())])
            .await
            .unwrap();
    assert_eq!(res.status(), 422);
    assert!(text(res).await.contains("اپنی وجوہات لکھیں"));
    // No decision chosen.
    let res = post(vec![("version", version.clone()), ("reason", "fine".into())]).await.unwrap();
    assert_eq!(res.status(), 422);
    // A stale version.
    let res = post(vec![("decision", "approve".into()), ("version", "99".into()), ("reason", "fine".into())])
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    assert!(text(res).await.contains("نیا ورژن"));
    let state = app.store.review_state(&id, version.parse().unwrap()).await.unwrap();
    assert!(state.reviews.iter().all(|r| !r.reviewer_name.starts_with("reviewer3")), "nothing recorded");

    // A good review is recorded and the reviewer returns to the queue.
    let res = post(vec![
        ("decision", "request_changes".into()),
        ("version", version.clone()),
        ("reason", "name the appeal desk".into()),
    ])
    .await
    .unwrap();
    assert_eq!(res.status(), 303);
    let state = app.store.review_state(&id, version.parse().unwrap()).await.unwrap();
    assert!(
        state.reviews.iter().any(|r| r.decision == "request_changes" && r.reason == "name the appeal desk")
    );
    // Sent back to its provider, the system leaves the queue.
    let queue = text(reviewer.get(app.url("/review")).send().await.unwrap()).await;
    assert!(!queue.contains(&format!("/review/systems/{id}")));
    assert_eq!(reviewer.get(app.url(&format!("/review/systems/{id}"))).send().await.unwrap().status(), 404);
}

#[tokio::test]
async fn system_versions_refuse_update_and_delete_at_the_database() {
    use sqlx::{Connection, Row};
    let app = TestApp::start(true).await;
    // A raw connection of its own, bypassing the store: the database itself must refuse.
    let mut conn = sqlx::AnyConnection::connect(&app.db.url).await.expect("connect");
    let snapshot = "SELECT COUNT(*) AS n, MIN(record_json) AS first FROM system_versions";
    let before = sqlx::query(snapshot).fetch_one(&mut conn).await.expect("count");
    let (n, first): (i64, String) = (before.get("n"), before.get("first"));
    assert!(n > 0, "the demo has versions");
    let update = sqlx::query("UPDATE system_versions SET record_json = '{}'").execute(&mut conn).await;
    let refused =
        |r: &Result<_, sqlx::Error>| r.as_ref().is_err_and(|e| e.to_string().contains("system_versions"));
    assert!(refused(&update), "UPDATE on system_versions must be refused by its trigger: {update:?}");
    let delete = sqlx::query("DELETE FROM system_versions").execute(&mut conn).await;
    assert!(refused(&delete), "DELETE on system_versions must be refused by its trigger: {delete:?}");
    let after = sqlx::query(snapshot).fetch_one(&mut conn).await.expect("count");
    assert_eq!(after.get::<i64, _>("n"), n, "no version removed");
    assert_eq!(after.get::<String, _>("first"), first, "no version changed");
}

#[tokio::test]
async fn oversized_and_malformed_form_posts_get_clear_pages_in_the_readers_language() {
    let app = TestApp::start(true).await;
    let c = app.client();
    let list = text(c.get(app.url("/register?q=triage")).send().await.unwrap()).await;
    let start = list.find("href=\"/register/").unwrap() + "href=\"/register/".len();
    let id = list[start..start + 8].to_owned();
    let action = app.url(&format!("/register/{id}/report?lang=ur"));
    let form_page = text(c.get(&action).send().await.unwrap()).await;
    let token = common::csrf_of(&form_page);

    // Over the 256 KiB body limit: 413, as an HTML page in Urdu.
    let huge = "ا".repeat(200 * 1024);
    let res =
        c.post(&action).form(&[("csrf", token.as_str()), ("body", huge.as_str())]).send().await.unwrap();
    assert_eq!(res.status(), 413);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let page = text(res).await;
    assert!(page.contains("<html lang=\"ur\" dir=\"rtl\">"), "the 413 page is in Urdu");
    assert!(page.contains("آپ کا بھیجا گیا مواد بہت بڑا ہے"), "the Urdu message says it is too large");

    // Malformed URL-encoding (stray and invalid escapes, bytes that are not UTF-8): a clear 400 or
    // 422 page in Urdu, never a 500, and no report filed.
    for body in [
        format!("csrf={token}&field=%ZZ&body=%"),
        format!("csrf={token}&field=%FF%FE&body=%E0%A4"),
        format!("csrf={token}&&&==&field=purpose%&body"),
    ] {
        let res = c
            .post(&action)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.clone())
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        assert!(status == 400 || status == 422, "`{body}` gets 400 or 422, not {status}");
        assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
        let page = text(res).await;
        assert!(page.contains("<html lang=\"ur\" dir=\"rtl\">"), "`{body}` answered in Urdu");
    }
    let provider = sign_in(&app, "admin@rahbar-health.demo", password("admin@rahbar-health.demo")).await;
    let queue = text(provider.get(app.url("/app/reports")).send().await.unwrap()).await;
    assert!(!queue.contains("ER-"), "no malformed post filed a report: {queue}");
}

#[tokio::test]
async fn seeding_the_demo_twice_changes_nothing() {
    use sqlx::{Connection, Row};
    let app = TestApp::start(true).await;
    let mut conn = sqlx::AnyConnection::connect(&app.db.url).await.expect("connect");
    let tables = ["organisations", "users", "memberships", "systems", "system_versions", "system_events"];
    let mut counts = Vec::new();
    for t in tables {
        let sql = format!("SELECT COUNT(*) AS n FROM {t}");
        counts.push(
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .fetch_one(&mut conn)
                .await
                .expect("count")
                .get::<i64, _>("n"),
        );
    }
    assert!(counts.iter().all(|n| *n > 0), "the demo fills every table: {counts:?}");
    let demo_systems = app.store.count_demo_systems().await.unwrap();
    assert!(demo_systems >= 12, "at least 12 demo systems");

    let seeded = mizan_app::demo::seed(&app.store).await.expect("second seed");
    assert!(!seeded, "the second run finds the demo there and seeds nothing");
    for (t, before) in tables.iter().zip(&counts) {
        let sql = format!("SELECT COUNT(*) AS n FROM {t}");
        let after: i64 =
            sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_one(&mut conn).await.expect("count").get("n");
        assert_eq!(after, *before, "{t} unchanged by a second seeding");
    }
    assert_eq!(app.store.count_demo_systems().await.unwrap(), demo_systems);
    // The demo users still sign in with the printed passwords.
    sign_in(&app, "admin@regulator.demo", password("admin@regulator.demo")).await;
}

/// Counts read as words in both languages, by each language's plural rules: "one system found",
/// never "1 systems found".
#[tokio::test]
async fn counts_use_plural_forms_in_both_languages() {
    let app = TestApp::start(true).await;
    let c = app.client();
    let one = text(c.get(app.url("/register?q=Personal+loan+credit+scoring")).send().await.unwrap()).await;
    assert!(one.contains("one system found"), "{}", one.split("result-count").nth(1).unwrap_or(""));
    // A person holding a receipt finds its look-up first, before the search and the list.
    let form = one.find("action=\"/receipt\"").expect("the receipt look-up");
    assert!(form < one.find("role=\"search\"").expect("the search"), "the receipt look-up comes first");
    let ur =
        text(c.get(app.url("/register?q=Personal+loan+credit+scoring&lang=ur")).send().await.unwrap()).await;
    assert!(ur.contains("ایک نظام ملا"));
    let many = text(c.get(app.url("/register")).send().await.unwrap()).await;
    assert!(many.contains(" systems found"), "plural for many");
}

/// `/reports` is a look-up form; a reference that cannot be one, or is unknown, gets the form
/// back saying what a reference looks like; a report's page names its system, not its ID, and
/// says when it changed in words.
#[tokio::test]
async fn an_error_report_is_followed_from_a_form_and_names_its_system() {
    let app = TestApp::start(true).await;
    let c = app.client();
    let res = c.get(app.url("/reports")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let form = text(res).await;
    assert!(form.contains("action=\"/reports\"") && form.contains("id=\"reference-hint\""));
    let res = c.get(app.url("/reports?reference=not%20a%20ref!")).send().await.unwrap();
    assert_eq!(res.status(), 400);
    assert!(text(res).await.contains("error-summary"));
    let res = c.get(app.url("/reports?reference=ER-NOPE2345")).send().await.unwrap();
    assert_eq!(res.status(), 404);
    let page = text(res).await;
    assert!(page.contains("No report has this reference") && page.contains("value=\"ER-NOPE2345\""));

    let entry: serde_json::Value =
        c.get(app.url("/api/v1/systems?q=Personal+loan")).send().await.unwrap().json().await.unwrap();
    let (id, name) = (entry["items"][0]["id"].as_str().unwrap(), entry["items"][0]["name"]["en"].as_str());
    let res = c
        .post(app.url(&format!("/api/v1/systems/{id}/reports")))
        .json(&serde_json::json!({"body": "the contact address bounces"}))
        .send()
        .await
        .unwrap();
    let reference = res.json::<serde_json::Value>().await.unwrap()["reference"].as_str().unwrap().to_owned();
    let res =
        c.get(app.url(&format!("/reports?reference={}", reference.to_lowercase()))).send().await.unwrap();
    assert_eq!(res.status(), 303);
    let page = text(c.get(app.url(&format!("/reports/{reference}"))).send().await.unwrap()).await;
    let name = name.unwrap_or("Personal loan credit scoring");
    assert!(page.contains(&format!(">{name}</a>")), "the system by its name");
    let year = time::OffsetDateTime::now_utc().year().to_string();
    let shown = page.split("<time").nth(1).and_then(|t| t.split('>').nth(1)).unwrap_or("");
    assert!(shown.contains(&year) && !shown.contains('T'), "a date in words: {shown}");
}

/// What a person reads on a page: the text outside tags, without the technical record
/// (`<details id="technical">`) and code (`<code>`), where exact values belong, and without
/// what form fields hold.
fn readable(html: &str) -> String {
    let mut s = html.to_owned();
    for (open, close) in [
        ("<details id=\"technical\"", "</details>"),
        ("<code", "</code>"),
        ("<script", "</script>"),
        // What a form holds is the reader's own input, not the page's words.
        ("<textarea", "</textarea>"),
    ] {
        while let Some(i) = s.find(open) {
            let Some(j) = s[i..].find(close) else { break };
            s.replace_range(i..i + j + close.len(), " ");
        }
    }
    let mut out = String::new();
    let mut in_tag = false;
    for c in s.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

/// The first raw RFC 3339 time (`2026-12-06T22:04:05`) in `text`.
fn raw_time(text: &str) -> Option<String> {
    let b = text.as_bytes();
    let digits = |r: std::ops::Range<usize>| r.clone().all(|k| b.get(k).is_some_and(u8::is_ascii_digit));
    (0..b.len()).find_map(|i| {
        let ok = digits(i..i + 4)
            && b.get(i + 4) == Some(&b'-')
            && digits(i + 5..i + 7)
            && b.get(i + 7) == Some(&b'-')
            && digits(i + 8..i + 10)
            && b.get(i + 10) == Some(&b'T')
            && digits(i + 11..i + 13)
            && b.get(i + 13) == Some(&b':');
        ok.then(|| text[i..(i + 19).min(text.len())].to_owned())
    })
}

/// The first word in `text` that looks like an internal code: `snake_case`
/// (`decides_with_review`, `essential_services`, `under_1k`).
fn snake_code(text: &str) -> Option<String> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .find(|w| {
            let parts: Vec<&str> = w.split('_').collect();
            parts.len() > 1
                && parts.iter().all(|p| !p.is_empty())
                && w.bytes().any(|b| b.is_ascii_lowercase())
        })
        .map(str::to_owned)
}

/// Every page of the demo a person reads, in English and Urdu, shows words, not codes: times in
/// words (Pakistan time), never a raw timestamp, and no `snake_case` code (a questionnaire
/// answer, an enumerated value), outside the technical record and `<code>`.
#[tokio::test]
async fn no_page_shows_a_code_or_a_raw_timestamp() {
    assert_eq!(raw_time("at 2026-12-06T22:04:05.174080Z now").as_deref(), Some("2026-12-06T22:04:05"));
    assert_eq!(raw_time("on 6 December 2026 at 22:04"), None);
    assert_eq!(snake_code("Answer: decides_with_review.").as_deref(), Some("decides_with_review"));
    assert_eq!(snake_code("scale under_1k"), Some("under_1k".into()));
    assert_eq!(snake_code("It decides, and a person reviews; __init__ 3_000"), None);
    let app = TestApp::start(true).await;
    mizan_app::demo::seed_appeals(&app.platform).await.expect("demo appeals");
    let public = app.client();
    let entries: serde_json::Value =
        public.get(app.url("/api/v1/systems?per_page=100")).send().await.unwrap().json().await.unwrap();
    let ids: Vec<String> =
        entries["items"].as_array().unwrap().iter().map(|e| e["id"].as_str().unwrap().to_owned()).collect();
    let mut pages = vec!["/register".to_owned(), "/about".to_owned(), "/verify".to_owned()];
    mizan_app::demo::seed_datasets(&app.platform).await.expect("demo datasets");
    pages.push("/datasets".to_owned());
    pages.push("/datasets?q=school".to_owned());
    for d in app.platform.public_datasets().await.expect("datasets") {
        pages.push(format!("/datasets/{}", d.stored.slug));
    }
    let enrolment = app.platform.public_dataset("district-school-enrolment", None).await.expect("dataset");
    for v in &enrolment.versions {
        pages.push(format!("/datasets/district-school-enrolment/v/{}", v.version));
    }
    for id in &ids {
        pages.push(format!("/register/{id}"));
        pages.push(format!("/register/{id}/versions"));
    }
    for (reference, _) in mizan_app::demo::sample_receipts(&app.platform).await.unwrap() {
        pages.push(format!("/receipt/{reference}"));
    }
    for a in mizan_app::demo::APPEALS {
        pages.push(format!("/appeals/{}?token={}", a.reference, a.token));
    }
    let bank = sign_in(&app, "admin@indus-bank.demo", password("admin@indus-bank.demo")).await;
    let regulator = sign_in(&app, "admin@regulator.demo", password("admin@regulator.demo")).await;
    let board = sign_in(&app, "reviewer2@regulator.demo", password("reviewer2@regulator.demo")).await;
    let steward =
        sign_in(&app, "steward@citizen-services.demo", password("steward@citizen-services.demo")).await;
    let scope = mizan_store::OrgScope::new(app.store.org_by_slug("demo-indus-bank").await.unwrap().id);
    let own: Vec<String> =
        app.store.org_systems(scope).await.unwrap().into_iter().map(|s| s.public_id).collect();
    let mut signed: Vec<(&reqwest::Client, String)> = vec![
        (&bank, "/app".into()),
        (&bank, "/app/appeals?view=all".into()),
        (&bank, "/app/settings/tokens".into()),
        (&regulator, "/regulator".into()),
        (&regulator, "/regulator/appeals?view=all".into()),
        (&board, "/review".into()),
    ];
    for id in &own {
        signed.push((&bank, format!("/app/systems/{id}")));
        signed.push((&bank, format!("/app/systems/{id}/risk")));
        signed.push((&bank, format!("/app/systems/{id}/impact")));
        signed.push((&bank, format!("/app/systems/{id}/models")));
        signed.push((&bank, format!("/app/systems/{id}/audits")));
        signed.push((&regulator, format!("/regulator/systems/{id}")));
        signed.push((&board, format!("/review/systems/{id}")));
    }
    for page in ["/app/oversight", "/regulator/reports", "/regulator/appeals", "/app/reports"] {
        signed.push((if page.starts_with("/app") { &bank } else { &regulator }, page.into()));
    }
    // The data steward's pages: the list, the forms, and every dataset of theirs to manage.
    signed.push((&steward, "/app/datasets".into()));
    signed.push((&steward, "/app/datasets/new".into()));
    let citizen =
        mizan_store::OrgScope::new(app.store.org_by_slug("demo-citizen-services").await.unwrap().id);
    for d in app.platform.org_datasets(citizen).await.expect("the steward's datasets") {
        signed.push((&steward, format!("/app/datasets/{}?done=uploaded", d.stored.slug)));
        signed.push((&steward, format!("/app/datasets/{}/edit", d.stored.slug)));
    }
    // Access requests for restricted datasets: the researcher's and the deciders' pages.
    mizan_app::demo::seed_data_access(&app.platform).await.expect("demo access requests");
    let researcher = sign_in(&app, mizan_app::demo::RESEARCHER, password(mizan_app::demo::RESEARCHER)).await;
    signed.push((&researcher, "/app/data-access".into()));
    signed.push((&steward, "/app/data-access".into()));
    signed.push((&bank, "/app/data-access".into()));
    for n in 1..=3 {
        signed.push((&researcher, format!("/app/data-access/DA-DEM000000{n}")));
        signed.push((if n == 1 { &bank } else { &steward }, format!("/app/data-access/DA-DEM000000{n}")));
    }
    // The sandbox: the demo project's page, the request, and the steward's settings.
    mizan_app::demo::seed_sandbox(&app.platform).await.expect("demo sandbox");
    let project = mizan_app::demo::SANDBOX_PROJECT;
    signed.push((&researcher, format!("/app/sandbox/{project}")));
    signed.push((&researcher, format!("/app/data-access/{project}")));
    signed.push((&bank, format!("/app/sandbox/{project}")));
    // The compute grid: the public figures, an institution's page and form, every demo request
    // as its applicant's institution and the grid reviewer see it.
    mizan_app::demo::seed_grid(&app.platform).await.expect("demo grid");
    pages.push("/grid".into());
    let grid = sign_in(&app, "reviewer@grid.demo", password("reviewer@grid.demo")).await;
    signed.push((&researcher, "/app/grid".into()));
    signed.push((&researcher, "/app/grid/apply".into()));
    signed.push((&grid, "/app/grid".into()));
    for n in 1..=8 {
        signed.push((&grid, format!("/app/grid/requests/GR-DEM000000{n}")));
    }
    signed.push((&researcher, "/app/grid/requests/GR-DEM0000001".into()));
    let mf = app.platform.public_dataset("microfinance-repayments", None).await.expect("dataset");
    signed.push((&bank, format!("/app/datasets/microfinance-repayments/v/{}/sandbox", mf.stored.version)));
    pages.push("/datasets/microfinance-repayments".into());
    for slug in ["microfinance-repayments", "citizen-service-complaints"] {
        let v = app.platform.public_dataset(slug, None).await.expect("dataset");
        signed.push((&researcher, format!("/datasets/{slug}")));
        signed.push((&researcher, format!("/datasets/{slug}/v/{}/access", v.stored.version)));
    }
    let mut found = vec![];
    let (mut scanned, mut in_words) = (0, 0);
    for lang in ["en", "ur"] {
        let with = |p: &str| format!("{p}{}lang={lang}", if p.contains('?') { '&' } else { '?' });
        let all =
            pages.iter().map(|p| (&public, p.clone())).chain(signed.iter().map(|(c, p)| (*c, p.clone())));
        for (client, page) in all {
            let res = client.get(app.url(&with(&page))).send().await.unwrap();
            if !res.status().is_success() {
                continue;
            }
            let shown = readable(&text(res).await);
            scanned += 1;
            in_words += usize::from(shown.contains("Pakistan time") || shown.contains("پاکستانی وقت"));
            if let Some(t) = raw_time(&shown) {
                found.push(format!("{page} ({lang}): {t}"));
            }
            if let Some(code) = snake_code(&shown) {
                found.push(format!("{page} ({lang}): {code}"));
            }
        }
    }
    assert!(found.is_empty(), "codes and raw timestamps a person would read:\n{}", found.join("\n"));
    assert!(scanned >= 40, "{scanned} pages read");
    assert!(in_words >= 10, "times are shown in words on {in_words} pages");
}

/// The receipt says who decided and how to reach them, and links to its step-by-step check;
/// the check links back to the receipt.
#[tokio::test]
async fn the_receipt_and_its_check_join_up() {
    let app = TestApp::start(true).await;
    let (reference, _) =
        mizan_app::demo::sample_receipts(&app.platform).await.unwrap().into_iter().next().unwrap();
    let c = app.client();
    let page = text(c.get(app.url(&format!("/receipt/{reference}"))).send().await.unwrap()).await;
    let org = page.split("id=\"organisation\"").nth(1).expect("who decided").split("</dd>").next().unwrap();
    assert!(org.contains("Indus") && org.contains("mailto:"), "{org}");
    assert!(page.contains(&format!("href=\"/verify?reference={reference}\"")));
    let check = text(c.get(app.url(&format!("/verify?reference={reference}"))).send().await.unwrap()).await;
    assert!(check.contains(&format!("href=\"/receipt/{reference}\"")), "the check links back");
}

/// A mistyped or unknown receipt reference gets the look-up form back with what a reference
/// looks like, not a bare error page; spaces and dashes copied with it are forgiven.
#[tokio::test]
async fn a_mistyped_receipt_reference_gets_help() {
    let app = TestApp::start(true).await;
    let (reference, _) =
        mizan_app::demo::sample_receipts(&app.platform).await.unwrap().into_iter().next().unwrap();
    let c = app.client();
    let res = c.get(app.url("/receipt/abc")).send().await.unwrap();
    assert_eq!(res.status(), 404);
    let page = text(res).await;
    assert!(page.contains("20 letters and digits") && page.contains("value=\"abc\""));
    let res = c.get(app.url("/receipt/zzzzzzzzzzzzzzzzzzzz?lang=ur")).send().await.unwrap();
    assert_eq!(res.status(), 404);
    assert!(text(res).await.contains("کوئی فیصلہ نہیں ملا"));
    let spaced = format!("{} {}", &reference[..10], &reference[10..]);
    let res =
        c.get(app.url(&format!("/receipt?reference={}", spaced.replace(' ', "+")))).send().await.unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"].to_str().unwrap(), format!("/receipt/{reference}"));
    assert_eq!(c.get(app.url("/receipt?reference=not-a-ref!")).send().await.unwrap().status(), 400);
}

/// The regulator sees every citizen's error report, with the organisation's answer and how
/// long it took; providers do not.
#[tokio::test]
async fn the_regulator_sees_citizens_error_reports_and_the_answers() {
    let app = TestApp::start(true).await;
    let c = app.client();
    let entry: serde_json::Value =
        c.get(app.url("/api/v1/systems?q=Personal+loan")).send().await.unwrap().json().await.unwrap();
    let id = entry["items"][0]["id"].as_str().unwrap().to_owned();
    let mut refs = vec![];
    for body in ["the contact address bounces", "the purpose is out of date"] {
        let res = c
            .post(app.url(&format!("/api/v1/systems/{id}/reports")))
            .json(&serde_json::json!({"body": body}))
            .send()
            .await
            .unwrap();
        refs.push(res.json::<serde_json::Value>().await.unwrap()["reference"].as_str().unwrap().to_owned());
    }
    let bank = app.store.org_by_slug("demo-indus-bank").await.unwrap();
    app.store
        .respond_report(
            mizan_store::OrgScope::new(bank.id),
            &refs[0],
            mizan_store::ReportStatus::Resolved,
            "Corrected the address.",
        )
        .await
        .unwrap();
    let regulator = sign_in(&app, "admin@regulator.demo", password("admin@regulator.demo")).await;
    let page = text(regulator.get(app.url("/regulator/reports")).send().await.unwrap()).await;
    for r in &refs {
        assert!(page.contains(r.as_str()), "{r} listed");
    }
    assert!(page.contains("Corrected the address.") && page.contains("under a day"));
    assert!(page.contains("Personal loan credit scoring"), "the system by its name");
    let open = page.find(refs[1].as_str()).unwrap();
    assert!(open < page.find(refs[0].as_str()).unwrap(), "open reports first");
    let editor = sign_in(&app, "editor@indus-bank.demo", password("editor@indus-bank.demo")).await;
    assert_eq!(editor.get(app.url("/regulator/reports")).send().await.unwrap().status(), 403);
}

/// The demo's failing loan system shows, in public, where each obligation stands (with the
/// provider's evidence) and its standard's audit with the verdict, in both languages, in the
/// system's JSON and in both bulk downloads.
#[tokio::test]
async fn the_public_page_shows_obligations_and_the_standard_audit() {
    let app = TestApp::start(true).await;
    let c = app.client();
    let list: serde_json::Value =
        c.get(app.url("/api/v1/systems?q=Personal+loan")).send().await.unwrap().json().await.unwrap();
    let id = list["items"][0]["id"].as_str().expect("the demo loan system").to_owned();
    let page = text(c.get(app.url(&format!("/register/{id}"))).send().await.unwrap()).await;
    let obligations = page.split("class=\"obligations-progress\"").nth(1).expect("the progress line");
    assert!(obligations.starts_with(">2 of "), "{}", &obligations[..80]);
    assert!(page.contains("Where it stands (as the provider reports it)"));
    assert!(page.contains("href=\"https://indus-bank.example/ai/personal-loans/"), "evidence links");
    assert!(page.contains(">In progress<") && page.contains(">Not started<"));
    let national = page.split("aria-label=\"National standard (pk-national)\"").nth(1).expect("its standard");
    assert!(national.split("</h3>").next().unwrap().contains("fails"), "the audit's verdict, honestly");
    let ur = text(c.get(app.url(&format!("/register/{id}?lang=ur"))).send().await.unwrap()).await;
    assert!(ur.contains("فراہم کنندہ کے مطابق") && ur.contains(">جاری<"), "in Urdu");

    let json: serde_json::Value =
        c.get(app.url(&format!("/api/v1/systems/{id}"))).send().await.unwrap().json().await.unwrap();
    let statuses: Vec<&str> =
        json["obligations"].as_array().unwrap().iter().map(|o| o["status"].as_str().unwrap()).collect();
    assert_eq!(&statuses[..3], ["done", "done", "in_progress"]);
    assert!(json["obligations"][0]["text"]["ur"].as_str().is_some_and(|t| !t.is_empty()));
    let bulk: serde_json::Value =
        c.get(app.url("/api/v1/register.json")).send().await.unwrap().json().await.unwrap();
    let mine = bulk["systems"].as_array().unwrap().iter().find(|s| s["id"] == id.as_str()).unwrap();
    assert_eq!(mine["obligations"], json["obligations"]);
    assert_eq!(mine["bias_assessments"][0]["summary"]["preset"], "pk-national");
    let csv = text(c.get(app.url("/api/v1/register.csv")).send().await.unwrap()).await;
    let mut rows = csv::Reader::from_reader(csv.trim_start_matches('\u{feff}').as_bytes());
    let header = rows.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap_or_else(|| panic!("column {name}"));
    let row = rows.records().map(Result::unwrap).find(|r| &r[0] == id.as_str()).expect("its row");
    assert_eq!(&row[col("obligations_total")], statuses.len().to_string().as_str());
    assert_eq!(&row[col("obligations_done")], "2");
    assert_eq!(&row[col("bias_audits_published")], "1");
    assert_eq!(&row[col("bias_latest_by_standard")], "pk-national=fail");
}
