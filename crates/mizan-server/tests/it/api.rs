//! The JSON API end to end on a real database (SQLite, or PostgreSQL when
//! `MIZAN_TEST_DATABASE_URL` is set): the register flow, downloads, bad input, and the
//! authorisation matrix.

use crate::common;

use crate::common::{TestApp, create_draft, record, token, token_for};
use serde_json::{Value, json};

async fn json_of(res: reqwest::Response) -> Value {
    res.json().await.expect("json body")
}

fn http() -> reqwest::Client {
    reqwest::Client::new()
}

#[tokio::test]
async fn register_flow_from_draft_to_public_with_versions() {
    let app = TestApp::start(true).await;
    let bank =
        token(&app.store, "admin@indus-bank.demo", &["systems:read", "systems:write", "systems:submit"])
            .await;
    let reg = token(&app.store, "admin@regulator.demo", &["register:queue", "register:transition"]).await;
    let id = create_draft(&app, &bank, "Loan pricing engine").await;

    // A draft is not public.
    assert_eq!(http().get(app.url(&format!("/api/v1/systems/{id}"))).send().await.unwrap().status(), 404);

    let res = http()
        .post(app.url(&format!("/api/v1/org/systems/{id}/transitions")))
        .bearer_auth(&bank)
        .json(&json!({"to": "submitted", "reason": "ready"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(json_of(res).await["status"], "submitted");

    let queue =
        json_of(http().get(app.url("/api/v1/regulator/queue")).bearer_auth(&reg).send().await.unwrap()).await;
    assert!(
        queue.as_array().unwrap().iter().any(|s| s["id"] == id.as_str()),
        "submitted system is in the queue"
    );

    for (to, reason) in [("under_review", "taking it up"), ("registered", "complete")] {
        let res = http()
            .post(app.url(&format!("/api/v1/regulator/systems/{id}/transitions")))
            .bearer_auth(&reg)
            .json(&json!({"to": to, "reason": reason}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "move to {to}");
    }

    let public = json_of(http().get(app.url(&format!("/api/v1/systems/{id}"))).send().await.unwrap()).await;
    assert_eq!(public["status"], "registered");
    assert_eq!(public["record"]["name"]["en"], "Loan pricing engine");
    assert!(public["record"].get("internal_notes").is_none(), "non-public fields never leave: {public}");

    // Edit and register a second version; both stay readable, and the diff names the change.
    let mut r2 = record("Loan pricing engine");
    r2["purpose"] = json!("pricing personal loans");
    let res = http()
        .put(app.url(&format!("/api/v1/org/systems/{id}")))
        .bearer_auth(&bank)
        .json(&r2)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    http()
        .post(app.url(&format!("/api/v1/org/systems/{id}/transitions")))
        .bearer_auth(&bank)
        .json(&json!({"to": "submitted"}))
        .send()
        .await
        .unwrap();
    // While version 2 waits, the public register still shows version 1.
    let public = json_of(http().get(app.url(&format!("/api/v1/systems/{id}"))).send().await.unwrap()).await;
    assert_eq!(public["version"], 1);
    for to in ["under_review", "registered"] {
        let res = http()
            .post(app.url(&format!("/api/v1/regulator/systems/{id}/transitions")))
            .bearer_auth(&reg)
            .json(&json!({"to": to, "reason": "ok"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
    }
    let versions =
        json_of(http().get(app.url(&format!("/api/v1/systems/{id}/versions"))).send().await.unwrap()).await;
    assert_eq!(versions.as_array().unwrap().len(), 2);
    let v1 =
        json_of(http().get(app.url(&format!("/api/v1/systems/{id}/versions/1"))).send().await.unwrap()).await;
    assert_eq!(v1["purpose"]["en"], "testing");
    let diff = http()
        .get(app.url(&format!("/register/{id}/diff?from=1&to=2")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        diff.contains("pricing personal loans") && diff.contains("Purpose"),
        "diff page shows the change"
    );

    // The event trail records every move with who and why.
    let detail = json_of(
        http().get(app.url(&format!("/api/v1/org/systems/{id}"))).bearer_auth(&bank).send().await.unwrap(),
    )
    .await;
    let events = detail["events"].as_array().unwrap();
    let registered: Vec<&Value> =
        events.iter().filter(|e| e["to"] == "registered" && e["kind"] == "transition").collect();
    assert_eq!(registered.len(), 2);
    assert!(
        registered[0]["actor"].as_str().unwrap().contains("Regulatory"),
        "actor recorded: {}",
        registered[0]
    );
    assert_eq!(registered[0]["reason"], "complete");
}

#[tokio::test]
async fn list_search_filters_and_paging() {
    let app = TestApp::start(true).await;
    let all = json_of(http().get(app.url("/api/v1/systems?per_page=100")).send().await.unwrap()).await;
    let total = all["total"].as_i64().unwrap();
    assert!(total >= 11, "demo data registers at least 11 systems, got {total}");
    assert_eq!(all["items"].as_array().unwrap().len() as i64, total);

    let health = json_of(http().get(app.url("/api/v1/systems?sector=health")).send().await.unwrap()).await;
    assert!(health["items"].as_array().unwrap().iter().all(|s| s["sector"] == "health"));
    assert!(health["total"].as_i64().unwrap() >= 1);

    let triage = json_of(http().get(app.url("/api/v1/systems?q=TRIAGE%20nurse")).send().await.unwrap()).await;
    assert_eq!(triage["total"], 1, "search is case-insensitive and needs every word");

    let urdu = json_of(
        http()
            .get(app.url("/api/v1/systems?q=%DA%86%DB%8C%D9%B9%20%D8%A8%D9%88%D9%B9"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(urdu["total"], 1, "Urdu text is searchable (چیٹ بوٹ)");

    let suspended =
        json_of(http().get(app.url("/api/v1/systems?status=suspended")).send().await.unwrap()).await;
    assert_eq!(suspended["total"], 1);

    let p1 = json_of(http().get(app.url("/api/v1/systems?per_page=5&page=1")).send().await.unwrap()).await;
    let p2 = json_of(http().get(app.url("/api/v1/systems?per_page=5&page=2")).send().await.unwrap()).await;
    assert_eq!(p1["items"].as_array().unwrap().len(), 5);
    assert_ne!(p1["items"][0]["id"], p2["items"][0]["id"]);

    let bad = http().get(app.url("/api/v1/systems?page=zero")).send().await.unwrap();
    assert_eq!(bad.status(), 400);
    assert_eq!(bad.headers()["content-type"], "application/problem+json");
    assert_eq!(json_of(bad).await["field"], "page");
}

#[tokio::test]
async fn bulk_downloads_feed_and_openapi() {
    let app = TestApp::start(true).await;
    let total = json_of(http().get(app.url("/api/v1/systems")).send().await.unwrap()).await["total"]
        .as_u64()
        .unwrap();

    let bulk = json_of(http().get(app.url("/api/v1/register.json")).send().await.unwrap()).await;
    assert_eq!(bulk["count"].as_u64().unwrap(), total);

    let csv_bytes = http().get(app.url("/api/v1/register.csv")).send().await.unwrap().bytes().await.unwrap();
    assert!(csv_bytes.starts_with("\u{feff}".as_bytes()), "a byte-order mark, so spreadsheets read Urdu");
    let csv_text = String::from_utf8(csv_bytes[3..].to_vec()).unwrap();
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let headers = reader.headers().unwrap().clone();
    assert!(headers.iter().any(|h| h == "name_ur"));
    assert_eq!(headers.iter().filter(|h| *h == "sector").count(), 1, "one sector column: {headers:?}");
    assert_eq!(&headers[0], "id");
    let level = headers.iter().position(|h| h == "impact_level").expect("an impact level column");
    assert!(!headers.iter().any(|h| h.starts_with("internal_notes")), "non-public fields are not exported");
    let rows: Vec<csv::StringRecord> = reader.records().collect::<Result<_, _>>().unwrap();
    assert_eq!(rows.len() as u64, total);
    for r in &rows {
        let json = bulk["systems"].as_array().unwrap().iter().find(|s| s["id"] == r[0]).unwrap();
        assert_eq!(r[level].to_owned(), json["impact_level"].as_str().unwrap_or("").to_owned(), "{}", &r[0]);
    }

    let atom = http().get(app.url("/api/v1/changes.atom")).send().await.unwrap();
    assert!(atom.headers()["content-type"].to_str().unwrap().starts_with("application/atom+xml"));
    let atom = atom.text().await.unwrap();
    assert!(atom.contains("<feed xmlns=\"http://www.w3.org/2005/Atom\">"));
    assert!(atom.matches("<entry>").count() as u64 >= total, "each registration is an entry");

    let spec = json_of(http().get(app.url("/api/v1/openapi.json")).send().await.unwrap()).await;
    assert!(spec["openapi"].as_str().unwrap().starts_with("3.1"));
    for path in ["/api/v1/systems", "/api/v1/org/systems", "/api/v1/regulator/systems/{id}/transitions"] {
        assert!(spec["paths"].get(path).is_some(), "{path} documented");
    }
    // The verifiable formats are described by the schemas mizan-formats publishes, once.
    let ok = |path: &str| {
        spec["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
            .clone()
    };
    assert_eq!(ok("/api/v1/receipts/{reference}"), "#/components/schemas/mizan.receipt-1");
    assert_eq!(ok("/api/v1/receipts/{reference}/explanation"), "#/components/schemas/mizan.explanation-1");
    for (name, text) in mizan_formats::SCHEMAS {
        let published: Value = serde_json::from_str(text).unwrap();
        let component = &spec["components"]["schemas"][*name];
        assert_eq!(component["required"], published["required"], "{name}");
        assert_eq!(
            component["properties"].as_object().map(serde_json::Map::len),
            published["properties"].as_object().map(serde_json::Map::len),
            "{name}"
        );
    }
    // Every reference in the document resolves within it.
    fn refs<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
        match v {
            Value::Object(o) => {
                if let Some(Value::String(r)) = o.get("$ref") {
                    out.push(r);
                }
                o.values().for_each(|x| refs(x, out));
            }
            Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
            _ => {}
        }
    }
    let mut all = Vec::new();
    refs(&spec, &mut all);
    assert!(all.len() > 20, "the document uses references ({})", all.len());
    for r in all {
        let pointer = r.strip_prefix('#').unwrap_or_else(|| panic!("`{r}` points outside the document"));
        assert!(spec.pointer(pointer).is_some(), "`{r}` does not resolve");
    }
}

/// Every operation the OpenAPI document lists is routed (it answers anything but "endpoint not
/// found" or "method not allowed"), unknown API paths answer that problem, and the router
/// declares no API path outside the document but the document itself.
#[tokio::test]
async fn every_documented_path_is_routed_and_every_routed_path_documented() {
    let app = TestApp::start(false).await;
    let spec = json_of(http().get(app.url("/api/v1/openapi.json")).send().await.unwrap()).await;
    let paths = spec["paths"].as_object().expect("paths");
    assert!(paths.len() >= 40, "the API is documented ({} paths)", paths.len());
    let endpoint_not_found = |status: reqwest::StatusCode, body: &Value| {
        status == 404 && body["detail"].as_str() == Some("endpoint not found")
    };
    let mut operations = 0;
    for (path, item) in paths {
        assert!(path.starts_with("/api/v1/"), "{path} is under /api/v1");
        // Every `{param}` filled with a value no record has: the route still answers.
        let concrete: String = path
            .split('/')
            .map(|seg| if seg.starts_with('{') { "nosuchthing1" } else { seg })
            .collect::<Vec<_>>()
            .join("/");
        for method in item.as_object().unwrap().keys() {
            let m = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).expect("an HTTP method");
            let res = http().request(m, app.url(&concrete)).send().await.unwrap();
            let status = res.status();
            let body: Value = res.json().await.unwrap_or(Value::Null);
            assert!(!endpoint_not_found(status, &body), "{method} {path} is documented but not routed");
            assert_ne!(status, 405, "{method} {path} is documented but not routed for {method}");
            operations += 1;
        }
    }
    assert!(operations > paths.len(), "some paths have several methods");
    // A path nobody documented is not routed.
    for path in ["/api/v1", "/api/v1/nosuch", "/api/v1/systems/x/nosuch/deeper"] {
        let res = http().get(app.url(path)).send().await.unwrap();
        let status = res.status();
        assert!(endpoint_not_found(status, &res.json().await.unwrap()), "{path}");
    }
    // The router declares API paths only through the documented handlers (`routes!`), apart
    // from the document itself and the catch-alls that answer "endpoint not found".
    let router = include_str!("../../src/router.rs");
    for line in router.lines().filter(|l| l.contains(".route(\"/api/v1")) {
        let path = line.split('"').nth(1).unwrap();
        assert!(
            mizan_server::router::UNDOCUMENTED_API_PATHS.contains(&path)
                || path == "/api/v1"
                || path == "/api/v1/{*rest}",
            "`{path}` is routed outside the OpenAPI document"
        );
    }
    for path in mizan_server::router::UNDOCUMENTED_API_PATHS {
        assert_eq!(http().get(app.url(path)).send().await.unwrap().status(), 200, "{path}");
    }
}

/// The document is one a generic client can trust (what openapi-spec-validator and schemathesis
/// found wrong, checked without Python): operation ids are unique, every response has a
/// description, every `{param}` of a path is declared as a path parameter, and every operation
/// documents the errors the API's edge gives it: 401 and 403 with a token, 404 with a path
/// parameter, 400, 413 and 415 with a body; errors are problem+json.
#[tokio::test]
async fn the_document_names_every_operation_and_every_response() {
    let app = TestApp::start(false).await;
    let spec = json_of(http().get(app.url("/api/v1/openapi.json")).send().await.unwrap()).await;
    let mut ids = std::collections::BTreeMap::new();
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().unwrap() {
            let at = format!("{method} {path}");
            let id = op["operationId"].as_str().unwrap_or_else(|| panic!("{at} has no operationId"));
            if let Some(other) = ids.insert(id.to_owned(), at.clone()) {
                panic!("operationId `{id}` names both {other} and {at}");
            }
            let declared: Vec<&str> = op["parameters"]
                .as_array()
                .map(|ps| {
                    ps.iter().filter(|p| p["in"] == "path").filter_map(|p| p["name"].as_str()).collect()
                })
                .unwrap_or_default();
            for seg in path.split('/').filter(|s| s.starts_with('{')) {
                let name = seg.trim_matches(|c| c == '{' || c == '}');
                assert!(declared.contains(&name), "{at} does not declare its path parameter `{name}`");
            }
            let responses = op["responses"].as_object().unwrap_or_else(|| panic!("{at} has no responses"));
            for (status, r) in responses {
                assert!(
                    r["description"].as_str().is_some_and(|d| !d.is_empty()),
                    "{at} {status} has no description"
                );
                if status.starts_with('4') {
                    assert_eq!(
                        r["content"]["application/problem+json"]["schema"]["$ref"],
                        "#/components/schemas/Problem",
                        "{at} {status} is not a problem"
                    );
                }
            }
            let secured = op["security"].as_array().is_some_and(|s| !s.is_empty());
            let has_body = op.get("requestBody").is_some();
            let mut expected = Vec::new();
            if secured {
                expected.extend(["401", "403"]);
            }
            if path.contains('{') {
                expected.push("404");
            }
            if has_body {
                expected.extend(["400", "413", "415"]);
            }
            for status in expected {
                assert!(responses.contains_key(status), "{at} does not document {status}");
            }
        }
    }
    assert!(ids.len() >= 40, "{} operations", ids.len());
}

#[tokio::test]
async fn bad_input_is_a_clear_error_and_writes_nothing() {
    let app = TestApp::start(true).await;
    let bank =
        token(&app.store, "admin@indus-bank.demo", &["systems:read", "systems:write", "systems:submit"])
            .await;
    let count = || async {
        json_of(http().get(app.url("/api/v1/org/systems")).bearer_auth(&bank).send().await.unwrap())
            .await
            .as_array()
            .unwrap()
            .len()
    };
    let before = count().await;
    let post = |body: String, ct: &'static str| {
        http()
            .post(app.url("/api/v1/org/systems"))
            .bearer_auth(&bank)
            .header("content-type", ct)
            .body(body)
            .send()
    };

    let res = post("{\"name\": ".into(), "application/json").await.unwrap();
    assert_eq!(res.status(), 400, "malformed JSON");
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let body = json_of(res).await;
    assert_eq!(body["status"], 400);
    assert!(body["detail"].as_str().unwrap().contains("line"), "says where: {body}");

    let res = post(record("x").to_string(), "text/plain").await.unwrap();
    assert_eq!(res.status(), 415, "wrong content type");
    assert!(json_of(res).await["detail"].as_str().unwrap().contains("application/json"));

    let res =
        post(format!("{{\"name\": \"{}\"}}", "x".repeat(400 * 1024)), "application/json").await.unwrap();
    assert_eq!(res.status(), 413, "oversized body");
    assert_eq!(res.headers()["content-type"], "application/problem+json");

    let mut long = record("x");
    long["name"] = json!({"en": "x".repeat(201)});
    long["sector"] = json!("casino");
    let res = post(long.to_string(), "application/json").await.unwrap();
    assert_eq!(res.status(), 422, "over-long and invalid fields");
    let body = json_of(res).await;
    let fields: Vec<&str> =
        body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert!(fields.contains(&"name.en") && fields.contains(&"sector"), "{body}");

    let res = post(json!({"colour": "blue"}).to_string(), "application/json").await.unwrap();
    assert_eq!(res.status(), 422);
    assert_eq!(json_of(res).await["field"], "colour", "unknown field is named");

    assert_eq!(count().await, before, "nothing was half-written");

    // Submitting an incomplete draft names every missing field and changes nothing.
    let res = post(json!({"name": "only a name"}).to_string(), "application/json").await.unwrap();
    let id = json_of(res).await["id"].as_str().unwrap().to_owned();
    let res = http()
        .post(app.url(&format!("/api/v1/org/systems/{id}/transitions")))
        .bearer_auth(&bank)
        .json(&json!({"to": "submitted"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let body = json_of(res).await;
    assert!(
        body["errors"].as_array().unwrap().iter().any(|e| e["field"] == "sector" && e["code"] == "required")
    );
    let detail = json_of(
        http().get(app.url(&format!("/api/v1/org/systems/{id}"))).bearer_auth(&bank).send().await.unwrap(),
    )
    .await;
    assert_eq!(detail["status"], "draft");
    assert_eq!(detail["latest_version"], 0, "no version was created");

    let res = http()
        .post(app.url(&format!("/api/v1/org/systems/{id}/transitions")))
        .bearer_auth(&bank)
        .json(&json!({"to": "flying"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(json_of(res).await["field"], "to");

    let res = http().get(app.url("/api/v1/systems/zzzzzzzz")).send().await.unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    assert_eq!(http().get(app.url("/api/v1/nothing-here")).send().await.unwrap().status(), 404);
    assert_eq!(http().delete(app.url("/api/v1/systems")).send().await.unwrap().status(), 405);

    let res = http()
        .post(app.url("/api/v1/systems/zzzzzzzz/reports"))
        .json(&json!({"body": "wrong"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
}

#[tokio::test]
async fn tokens_expire_and_revoke() {
    let app = TestApp::start(true).await;
    let org = app.store.org_by_slug("demo-indus-bank").await.unwrap();
    let scope = mizan_store::OrgScope::new(org.id);
    // A token that expires in a second; the test waits until the clock the server reads has
    // passed its expiry (not a fixed while, which a loaded machine could outlast or undercut).
    let expires = time::OffsetDateTime::now_utc() + time::Duration::seconds(1);
    let t = app.store.create_token(scope, None, "soon", &["systems:read".into()], expires).await.unwrap();
    while time::OffsetDateTime::now_utc() <= expires {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let res = http().get(app.url("/api/v1/org/systems")).bearer_auth(&t.secret).send().await.unwrap();
    assert_eq!(res.status(), 401);
    assert!(res.headers().contains_key("www-authenticate"));
    assert!(json_of(res).await["type"].as_str().unwrap().ends_with("token-expired"));

    let live = token(&app.store, "admin@indus-bank.demo", &["systems:read"]).await;
    let tokens = app.store.tokens(scope).await.unwrap();
    app.store.revoke_token(scope, tokens[0].id).await.unwrap();
    let res = http().get(app.url("/api/v1/org/systems")).bearer_auth(&live).send().await.unwrap();
    assert_eq!(res.status(), 401);
    assert!(json_of(res).await["type"].as_str().unwrap().ends_with("token-revoked"));

    let res = http().get(app.url("/api/v1/org/systems")).bearer_auth("mzn_nonsense").send().await.unwrap();
    assert!(json_of(res).await["type"].as_str().unwrap().ends_with("token-unknown"));

    // A token can never exceed its creator's roles: an editor asking for tokens:manage gets nothing extra.
    let editor = token(&app.store, "editor@indus-bank.demo", &["systems:read", "tokens:manage"]).await;
    let p = app.store.principal_for_token(&editor).await.unwrap().unwrap();
    assert!(p.can("systems:read") && !p.can("tokens:manage"));

    // Expiry is mandatory and must be in the future.
    let past = time::OffsetDateTime::now_utc() - time::Duration::days(1);
    assert!(app.store.create_token(scope, None, "old", &["systems:read".into()], past).await.is_err());
    assert!(
        app.store
            .create_token(scope, None, "bad", &["nonsense:scope".into()], past + time::Duration::days(9))
            .await
            .is_err()
    );
}

/// Every API endpoint × every kind of caller gets exactly the intended status.
#[tokio::test]
async fn authorisation_matrix() {
    let app = TestApp::start(true).await;
    let s = &app.store;
    let bank_admin = token(
        s,
        "admin@indus-bank.demo",
        &[
            "systems:read",
            "systems:write",
            "systems:submit",
            "systems:retire",
            "decisions:write",
            "audits:run",
            "intake:stop",
            "appeals:read",
            "appeals:decide",
            "oversight:set",
            "oversight:review",
            "datasets:write",
        ],
    )
    .await;
    let bank_editor = token(
        s,
        "editor@indus-bank.demo",
        &[
            "systems:read",
            "systems:write",
            "systems:submit",
            "decisions:write",
            "audits:run",
            "intake:stop",
            "appeals:read",
        ],
    )
    .await;
    let bank_readonly = token(s, "admin@indus-bank.demo", &["systems:read"]).await;
    let health = token(
        s,
        "admin@rahbar-health.demo",
        &[
            "systems:read",
            "systems:write",
            "systems:submit",
            "systems:retire",
            "decisions:write",
            "audits:run",
            "intake:stop",
            "oversight:set",
            "oversight:review",
        ],
    )
    .await;
    let regulator = token(
        s,
        "admin@regulator.demo",
        &[
            "register:queue",
            "register:transition",
            "audits:run",
            "intake:stop",
            "appeals:read",
            "appeals:regulate",
        ],
    )
    .await;
    let reviewer = token(
        s,
        "reviewer@regulator.demo",
        &["register:queue", "register:transition", "review:decide", "intake:stop"],
    )
    .await;
    let steward = token(s, "steward@citizen-services.demo", &["systems:read", "datasets:write"]).await;
    // An unpublished dataset of the steward's organisation.
    let res = http()
        .post(app.url("/api/v1/org/datasets"))
        .bearer_auth(&steward)
        .json(&json!({"slug": "matrix-data", "meta": {
            "title": {"en": "Matrix data"}, "description": {"en": "A dataset for the matrix."},
            "licence": "cc-by-4.0", "contact": {"name": "Data office", "email": "data@citizen-services.demo"},
            "frequency": "NEVER", "access": "open"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap_or_default());
    let bank_sys = create_draft(&app, &bank_admin, "Matrix subject").await;
    let public_sys = json_of(http().get(app.url("/api/v1/systems?per_page=1")).send().await.unwrap()).await["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // A registered bank system with one logged decision and one audit, and a filed report.
    let (reg_sys, _) = common::registered_system(&app, "Matrix registered").await;
    let decision = json!([{
        "idempotency_key": "matrix-1", "system_version": 1, "model_hash": "sha256:9f2c0d6e",
        "features": {"gender": "female"}, "output": "approve", "score": 0.5,
        "human": {"involved": false, "by": null}, "decided_at": "2026-03-01T00:00:00Z", "subject_ref": "m-1"
    }]);
    let res = http()
        .post(app.url(&format!("/api/v1/systems/{reg_sys}/decisions")))
        .bearer_auth(&bank_admin)
        .json(&decision)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let receipt = json_of(res).await["receipts"][0]["reference"].as_str().unwrap().to_owned();
    // An appeal on another decision (the first is erased last, which an open appeal forbids),
    // and a decision held for review by an oversight policy.
    let mut logged = vec![];
    for (key, output) in [("matrix-appeal", "approve"), ("matrix-held", "decline")] {
        if key == "matrix-held" {
            let res = http()
                .put(app.url(&format!("/api/v1/org/systems/{reg_sys}/oversight")))
                .bearer_auth(&bank_admin)
                .json(&json!({"version": 1, "policy": {"adverse_outputs": ["decline"]}}))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 200);
        }
        let mut d = decision.clone();
        d[0]["idempotency_key"] = key.into();
        d[0]["output"] = output.into();
        // Recent enough to appeal.
        d[0]["decided_at"] = mizan_formats::decision::format_decided_at(
            time::OffsetDateTime::now_utc() - time::Duration::hours(1),
        )
        .unwrap()
        .into();
        let res = http()
            .post(app.url(&format!("/api/v1/systems/{reg_sys}/decisions")))
            .bearer_auth(&bank_admin)
            .json(&d)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
        logged.push(json_of(res).await["receipts"][0]["reference"].as_str().unwrap().to_owned());
    }
    let res = http()
        .post(app.url(&format!("/api/v1/receipts/{}/appeals", logged[0])))
        .json(&json!({"grounds": "matrix", "category": "other"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let appeal = json_of(res).await["reference"].as_str().unwrap().to_owned();
    let queue =
        json_of(http().get(app.url("/api/v1/org/oversight")).bearer_auth(&bank_admin).send().await.unwrap())
            .await;
    let held = queue[0]["reference"].as_str().expect("a held decision").to_owned();
    let mut csv = String::from("gender,repaid,approved\n");
    for i in 0..60 {
        csv.push_str(&format!("{},{},{}\n", ["female", "male"][i % 2], i % 3 % 2, i % 5 % 2));
    }
    let audit_query = "label=repaid&prediction=approved&sensitive=gender";
    let res = http()
        .post(app.url(&format!("/api/v1/org/systems/{reg_sys}/versions/1/audits?{audit_query}")))
        .bearer_auth(&bank_admin)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let audit = json_of(res).await["id"].as_str().unwrap().to_owned();
    let res = http()
        .post(app.url(&format!("/api/v1/systems/{public_sys}/reports")))
        .json(&json!({"body": "matrix setup"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let report = json_of(res).await["reference"].as_str().unwrap().to_owned();
    // The draft's intake stopped by its provider, so that stopping it again is refused (409)
    // wherever access is granted, and resuming the registered system (not stopped) too.
    let res = http()
        .post(app.url(&format!("/api/v1/systems/{bank_sys}/intake/stop")))
        .bearer_auth(&bank_admin)
        .json(&json!({"reason": "matrix setup"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);

    let callers: [(&str, Option<&str>); 8] = [
        ("anonymous", None),
        ("bank_admin", Some(&bank_admin)),
        ("bank_editor", Some(&bank_editor)),
        ("bank_readonly", Some(&bank_readonly)),
        ("health_other_org", Some(&health)),
        ("regulator", Some(&regulator)),
        ("reviewer", Some(&reviewer)),
        ("steward_other_org", Some(&steward)),
    ];
    // Transition bodies are chosen to be refused by the lifecycle (409) when access is granted,
    // so every row sees the same systems in the same states; the only writes that succeed are
    // idempotent (empty answers, a checklist status, the same decision again, reports) and the
    // last row's erasure. Another organisation's system, decision or audit is refused as 404
    // (the store reads within the caller's organisation), never 403, so nothing is disclosed;
    // a missing scope or the wrong kind of organisation is 403.
    let org_sys = format!("/api/v1/org/systems/{bank_sys}");
    let rows: Vec<(&str, String, Option<Value>, [u16; 8])> = vec![
        ("GET", "/api/v1/systems".into(), None, [200; 8]),
        ("GET", format!("/api/v1/systems/{public_sys}"), None, [200; 8]),
        ("GET", "/api/v1/org/systems".into(), None, [401, 200, 200, 200, 200, 403, 403, 200]),
        (
            "POST",
            "/api/v1/org/systems".into(),
            Some(json!({"colour": 1})),
            [401, 422, 422, 403, 422, 403, 403, 403],
        ),
        ("GET", org_sys.clone(), None, [401, 200, 200, 200, 404, 403, 403, 404]),
        ("PUT", org_sys.clone(), Some(json!({"colour": 1})), [401, 422, 422, 403, 422, 403, 403, 403]),
        ("PUT", org_sys.clone(), Some(record("renamed")), [401, 200, 200, 403, 404, 403, 403, 403]),
        (
            "POST",
            format!("{org_sys}/transitions"),
            Some(json!({"to": "draft"})),
            [401, 409, 409, 403, 404, 403, 403, 403],
        ),
        (
            "POST",
            format!("{org_sys}/transitions"),
            Some(json!({"to": "retired"})),
            [401, 409, 403, 403, 404, 403, 403, 403],
        ),
        ("GET", "/api/v1/regulator/queue".into(), None, [401, 403, 403, 403, 403, 200, 200, 403]),
        (
            "POST",
            format!("/api/v1/regulator/systems/{bank_sys}/transitions"),
            Some(json!({"to": "registered", "reason": "x"})),
            [401, 403, 403, 403, 403, 409, 403, 403],
        ),
        // Public reads and reports: everyone, signed in or not.
        ("GET", format!("/api/v1/systems/{public_sys}/versions"), None, [200; 8]),
        ("GET", format!("/api/v1/systems/{public_sys}/versions/1"), None, [200; 8]),
        ("POST", format!("/api/v1/systems/{public_sys}/reports"), Some(json!({"body": "matrix"})), [201; 8]),
        ("GET", format!("/api/v1/reports/{report}"), None, [200; 8]),
        ("GET", "/api/v1/register.json".into(), None, [200; 8]),
        ("GET", "/api/v1/register.csv".into(), None, [200; 8]),
        ("GET", "/api/v1/changes.atom".into(), None, [200; 8]),
        ("GET", "/api/v1/openapi.json".into(), None, [200; 8]),
        // The data repository: reading is public (an unpublished dataset does not exist for
        // anyone there); a steward's operations need `datasets:write` and act within the
        // caller's organisation, so another organisation's steward or admin finds nothing.
        ("GET", "/api/v1/datasets".into(), None, [200; 8]),
        ("GET", "/api/v1/catalog.jsonld".into(), None, [200; 8]),
        ("GET", "/api/v1/datasets/matrix-data".into(), None, [404; 8]),
        ("GET", "/api/3/action/package_list".into(), None, [200; 8]),
        ("GET", "/api/v1/org/datasets".into(), None, [401, 200, 403, 403, 403, 403, 403, 200]),
        ("GET", "/api/v1/org/datasets/matrix-data".into(), None, [401, 404, 403, 403, 403, 403, 403, 200]),
        (
            "POST",
            "/api/v1/org/datasets".into(),
            Some(json!({"slug": "matrix-data", "meta": {}})),
            [401, 400, 403, 403, 403, 403, 403, 400],
        ),
        (
            "PUT",
            "/api/v1/org/datasets/matrix-data/metadata?after=1".into(),
            Some(json!({"colour": 1})),
            [401, 400, 403, 403, 403, 403, 403, 400],
        ),
        (
            "POST",
            "/api/v1/org/datasets/matrix-data/versions/9/publish".into(),
            None,
            [401, 404, 403, 403, 403, 403, 403, 404],
        ),
        (
            "DELETE",
            "/api/v1/org/datasets/matrix-data/files/none.csv?after=1".into(),
            None,
            [401, 404, 403, 403, 403, 403, 403, 404],
        ),
        // The owner's questionnaires and checklist.
        ("GET", format!("{org_sys}/risk-answers"), None, [401, 200, 200, 200, 404, 403, 403, 404]),
        ("PUT", format!("{org_sys}/risk-answers"), Some(json!({})), [401, 200, 200, 403, 404, 403, 403, 403]),
        ("GET", format!("{org_sys}/impact-answers"), None, [401, 200, 200, 200, 404, 403, 403, 404]),
        (
            "PUT",
            format!("{org_sys}/impact-answers"),
            Some(json!({})),
            [401, 200, 200, 403, 404, 403, 403, 403],
        ),
        ("GET", format!("{org_sys}/obligations"), None, [401, 200, 200, 200, 404, 403, 403, 404]),
        (
            "PUT",
            format!("{org_sys}/obligations/EU-QMS"),
            Some(json!({"status": "not_started"})),
            [401, 200, 200, 403, 404, 403, 403, 403],
        ),
        // The regulator's tier override (a body the handler refuses, so nothing changes).
        (
            "POST",
            format!("/api/v1/regulator/systems/{bank_sys}/tier-override"),
            Some(json!({"tier": "high", "reason": " "})),
            [401, 403, 403, 403, 403, 400, 403, 403],
        ),
        // The ethics board.
        ("GET", "/api/v1/review/queue".into(), None, [401, 403, 403, 403, 403, 403, 200, 403]),
        (
            "POST",
            format!("/api/v1/review/systems/{reg_sys}/reviews"),
            Some(json!({"version": 1, "decision": "nonsense", "reason": "x"})),
            [401, 403, 403, 403, 403, 403, 400, 403],
        ),
        (
            "GET",
            format!("/api/v1/review/systems/{reg_sys}/versions/1"),
            None,
            [401, 200, 200, 200, 404, 200, 200, 404],
        ),
        // Decisions: logging the same decision again is idempotent.
        (
            "POST",
            format!("/api/v1/systems/{reg_sys}/decisions"),
            Some(decision.clone()),
            [401, 200, 200, 403, 404, 403, 403, 403],
        ),
        ("GET", format!("/api/v1/receipts/{receipt}"), None, [200; 8]),
        // The stop control: the provider's admins on their own systems, the regulator on any;
        // editors, reviewers and stewards lack `intake:stop` (their roles do not grant it).
        (
            "POST",
            format!("/api/v1/systems/{bank_sys}/intake/stop"),
            Some(json!({"reason": "matrix"})),
            [401, 409, 403, 403, 404, 409, 403, 403],
        ),
        (
            "POST",
            format!("/api/v1/systems/{reg_sys}/intake/resume"),
            None,
            [401, 409, 403, 403, 404, 409, 403, 403],
        ),
        // Models and audits. The regulator holds `audits:run`, but the provider's audit routes
        // act within its own organisation, so the bank's system is not found there (404).
        (
            "POST",
            format!("/api/v1/org/systems/{reg_sys}/versions/1/model"),
            None,
            [401, 400, 400, 403, 404, 403, 403, 403],
        ),
        (
            "GET",
            format!("/api/v1/org/systems/{reg_sys}/models"),
            None,
            [401, 200, 200, 200, 404, 403, 403, 404],
        ),
        (
            "POST",
            format!("/api/v1/org/systems/{reg_sys}/versions/1/audits"),
            None,
            [401, 400, 400, 403, 404, 404, 403, 403],
        ),
        (
            "POST",
            format!("/api/v1/org/systems/{reg_sys}/versions/1/audits/logged"),
            Some(json!({"from": "2030-01-01", "to": "2030-01-02", "sensitive": ["gender"]})),
            [401, 400, 400, 403, 404, 404, 403, 403],
        ),
        (
            "GET",
            format!("/api/v1/org/systems/{reg_sys}/audits"),
            None,
            [401, 200, 200, 200, 404, 403, 403, 404],
        ),
        (
            "GET",
            format!("/api/v1/org/systems/{reg_sys}/audits/{audit}/report"),
            None,
            [401, 200, 200, 200, 404, 403, 403, 404],
        ),
        (
            "POST",
            format!("/api/v1/regulator/systems/{reg_sys}/versions/1/audits"),
            None,
            [401, 403, 403, 403, 403, 400, 403, 403],
        ),
        (
            "POST",
            format!("/api/v1/regulator/systems/{reg_sys}/versions/1/audits/logged"),
            Some(json!({"from": "2030-01-01", "to": "2030-01-02", "sensitive": ["gender"]})),
            [401, 403, 403, 403, 403, 400, 403, 403],
        ),
        (
            "GET",
            format!("/api/v1/regulator/systems/{reg_sys}/audits"),
            None,
            [401, 403, 403, 403, 403, 200, 200, 403],
        ),
        (
            "GET",
            format!("/api/v1/regulator/systems/{reg_sys}/audits/{audit}/report"),
            None,
            [401, 403, 403, 403, 403, 200, 200, 403],
        ),
        // Appeals: filing is public (a body refused by its rules, so nothing is filed); the
        // appeal is the provider's and the regulator's to read, each by permission; another
        // organisation's staff get 404. A move the caller may not make is refused as not open
        // (409) or, for an outsider, not found.
        (
            "POST",
            format!("/api/v1/receipts/{}/appeals", logged[0]),
            Some(json!({"grounds": "x", "category": "nonsense"})),
            [400; 8],
        ),
        ("GET", format!("/api/v1/appeals/{appeal}"), None, [404, 200, 200, 404, 404, 200, 404, 404]),
        ("GET", format!("/api/v1/appeals/{appeal}?token=wrong"), None, [404; 8]),
        (
            "POST",
            format!("/api/v1/appeals/{appeal}/moves"),
            Some(json!({"move": "decide", "outcome": "nonsense", "reasons": "x"})),
            [401, 400, 409, 404, 404, 409, 404, 404],
        ),
        ("GET", format!("/api/v1/systems/{reg_sys}/appeals"), None, [200; 8]),
        ("GET", "/api/v1/organisations/demo-indus-bank/appeals".into(), None, [200; 8]),
        ("GET", "/api/v1/appeals".into(), None, [200; 8]),
        ("GET", "/api/v1/appeals.csv".into(), None, [200; 8]),
        // Oversight: the policy is the provider admin's; held decisions are its reviewers' (and
        // readable by its appeal readers and the regulator); the figures are public.
        (
            "PUT",
            format!("/api/v1/org/systems/{reg_sys}/oversight"),
            Some(json!({"version": 1, "policy": {"adverse_outputs": ["decline"]}})),
            [401, 200, 403, 403, 404, 403, 403, 403],
        ),
        ("GET", format!("/api/v1/systems/{reg_sys}/oversight"), None, [200; 8]),
        ("GET", "/api/v1/org/oversight".into(), None, [401, 200, 403, 403, 200, 403, 403, 403]),
        ("GET", format!("/api/v1/org/oversight/{held}"), None, [401, 200, 200, 404, 404, 200, 404, 404]),
        (
            "POST",
            format!("/api/v1/org/oversight/{held}/moves"),
            Some(json!({"move": "review", "outcome": "nonsense"})),
            [401, 400, 403, 404, 404, 403, 404, 404],
        ),
        ("GET", "/api/v1/org/oversight-reviewers".into(), None, [401, 200, 403, 403, 200, 200, 403, 403]),
        // Erasing a decision, last. Erasure is idempotent for the owner; another organisation's
        // 404 does not depend on it (the erasure is scoped to the caller's own systems).
        (
            "DELETE",
            format!("/api/v1/org/decisions/{receipt}"),
            None,
            [401, 204, 204, 403, 404, 403, 403, 403],
        ),
    ];
    let mut failures = vec![];
    for (method, path, body, expected) in &rows {
        for ((who, tok), want) in callers.iter().zip(expected) {
            let mut req = http().request(method.parse().unwrap(), app.url(path));
            if let Some(t) = tok {
                req = req.bearer_auth(t);
            }
            if let Some(b) = body {
                req = req.json(b);
            }
            let got = req.send().await.unwrap().status().as_u16();
            if got != *want {
                failures.push(format!("{method} {path} as {who}: expected {want}, got {got}"));
            }
        }
    }
    assert!(failures.is_empty(), "authorisation matrix mismatches:\n{}", failures.join("\n"));
}

#[tokio::test]
async fn error_reports_reach_the_owner_and_the_reporter_can_follow() {
    let app = TestApp::start(true).await;
    let entry =
        json_of(http().get(app.url("/api/v1/systems?q=credit%20scoring")).send().await.unwrap()).await;
    let id = entry["items"][0]["id"].as_str().unwrap().to_owned();
    let res = http()
        .post(app.url(&format!("/api/v1/systems/{id}/reports")))
        .json(&json!({"field": "contact_email", "body": "this address bounces", "contact": "me@example.pk"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let reference = json_of(res).await["reference"].as_str().unwrap().to_owned();
    assert!(reference.starts_with("ER-"));

    let bank = app.store.org_by_slug("demo-indus-bank").await.unwrap();
    let other = app.store.org_by_slug("demo-rahbar-health").await.unwrap();
    let queue = app.store.org_reports(mizan_store::OrgScope::new(bank.id)).await.unwrap();
    assert_eq!(queue.len(), 1);
    assert_eq!(queue[0].reporter_contact, "me@example.pk");
    assert!(app.store.org_reports(mizan_store::OrgScope::new(other.id)).await.unwrap().is_empty());
    assert!(
        app.store
            .respond_report(
                mizan_store::OrgScope::new(other.id),
                &reference,
                mizan_store::ReportStatus::Resolved,
                "x"
            )
            .await
            .is_err(),
        "another organisation cannot answer it"
    );
    app.store
        .respond_report(
            mizan_store::OrgScope::new(bank.id),
            &reference,
            mizan_store::ReportStatus::Resolved,
            "address fixed",
        )
        .await
        .unwrap();
    let followed = json_of(
        http().get(app.url(&format!("/api/v1/reports/{}", reference.to_lowercase()))).send().await.unwrap(),
    )
    .await;
    assert_eq!(followed["status"], "resolved");
    assert_eq!(followed["response"], "address fixed");
    assert!(followed.get("contact").is_none(), "the reporter's contact is never shown publicly");

    let res = http()
        .post(app.url(&format!("/api/v1/systems/{id}/reports")))
        .json(&json!({"body": ""}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(json_of(res).await["field"], "body");
}

#[tokio::test]
async fn the_event_trail_cannot_be_rewritten_in_the_database() {
    let app = TestApp::start(true).await;
    let before = app.store.table_fingerprint("system_events").await.unwrap();
    let err = app.store.try_rewrite_history().await.expect_err("UPDATE on system_events must be refused");
    assert!(err.to_string().contains("system_events is append-only"), "{err}");
    let err = app.store.try_erase_history().await.expect_err("DELETE on system_events must be refused");
    assert!(err.to_string().contains("system_events is append-only"), "{err}");
    assert_eq!(
        app.store.table_fingerprint("system_events").await.unwrap(),
        before,
        "the rows are as they were"
    );
}

#[tokio::test]
async fn risk_questionnaire_classifies_each_version_and_the_public_sees_the_tier() {
    let app = TestApp::start(true).await;
    let bank =
        token(&app.store, "admin@indus-bank.demo", &["systems:read", "systems:write", "systems:submit"])
            .await;
    let reg = token(&app.store, "admin@regulator.demo", &["register:queue", "register:transition"]).await;
    let res = http()
        .post(app.url("/api/v1/org/systems"))
        .bearer_auth(&bank)
        .json(&record("Loan approval"))
        .send()
        .await
        .unwrap();
    let id = json_of(res).await["id"].as_str().unwrap().to_owned();
    let risk = app.url(&format!("/api/v1/org/systems/{id}/risk-answers"));
    let submit = || {
        http()
            .post(app.url(&format!("/api/v1/org/systems/{id}/transitions")))
            .bearer_auth(&bank)
            .json(&json!({"to": "submitted"}))
            .send()
    };

    let res = submit().await.unwrap();
    assert_eq!(res.status(), 422, "no answers: cannot submit");
    assert_eq!(json_of(res).await["field"], "risk_answers.is_ai_system");

    let partial = json_of(
        http()
            .put(&risk)
            .bearer_auth(&bank)
            .json(&json!({"is_ai_system": "yes", "role": "provider"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(partial["complete"], false);
    assert_eq!(partial["next"]["id"], "scope_military");
    let bad = http()
        .put(&risk)
        .bearer_auth(&bank)
        .json(&json!({"is_ai_system": "yes", "role": "king"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 422);
    let body = json_of(bad).await;
    assert_eq!(body["field"], "risk_answers.role");
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("allowed: provider, deployer, importer, distributor, provider_and_deployer")
    );
    let unknown = http().put(&risk).bearer_auth(&bank).json(&json!({"colour": "blue"})).send().await.unwrap();
    assert_eq!(unknown.status(), 422);

    // Off the path once the profiling override fires: it must not be stored.
    let mut answers = common::high_risk_answers();
    answers["derogation"] = json!("preparatory_task");
    let done = json_of(http().put(&risk).bearer_auth(&bank).json(&answers).send().await.unwrap()).await;
    assert_eq!(done["complete"], true);
    assert_eq!(done["classification"]["tier"], "high");
    assert!(done["answers"].get("derogation").is_none(), "off-path answers are not stored");

    let res = submit().await.unwrap();
    assert_eq!(res.status(), 422, "no impact answers yet");
    assert_eq!(json_of(res).await["field"], "impact_answers.decision_type");
    let impact_url = app.url(&format!("/api/v1/org/systems/{id}/impact-answers"));
    let mut high = json!({
        "decision_type": "decides_alone", "reversibility": "hard", "duration": "years", "rights_affected": "directly",
        "vulnerable_groups": "mainly", "personal_data": "sensitive", "scale": "over_1m", "opacity": "partly",
        "human_review": "all", "bias_testing": "continuously", "appeal_route": "yes", "logging": "no"
    });
    let res = json_of(http().put(&impact_url).bearer_auth(&bank).json(&high).send().await.unwrap()).await;
    // raw 4+3+3+4+4+3+4+2 = 27 of 32; mitigation 3+3+2+0 = 8 of 10, exactly 80 %: 27 x 0.85 = 22.95, 72 % -> III.
    assert_eq!(res["assessment"]["raw_score"], 27);
    assert_eq!(res["assessment"]["reduced"], true);
    assert_eq!(res["assessment"]["level"]["level"], "III");
    high["logging"] = json!("sometimes");
    let bad = http().put(&impact_url).bearer_auth(&bank).json(&high).send().await.unwrap();
    assert_eq!(bad.status(), 422);
    assert_eq!(json_of(bad).await["field"], "impact_answers.logging");
    assert_eq!(submit().await.unwrap().status(), 200);
    common::approve(&app, &id, 1, 2).await;
    for to in ["registered"] {
        let res = http()
            .post(app.url(&format!("/api/v1/regulator/systems/{id}/transitions")))
            .bearer_auth(&reg)
            .json(&json!({"to": to, "reason": "ok"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
    }
    let c =
        json_of(http().get(app.url(&format!("/api/v1/systems/{id}/classification"))).send().await.unwrap())
            .await;
    assert_eq!(c["tier"], "high");
    assert_eq!(c["ruleset"]["id"], "eu-ai-act");
    assert!(
        c["obligations"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["id"] == "EU-RISK-MANAGEMENT" && !o["text"]["ur"].as_str().unwrap().is_empty())
    );
    let listed =
        json_of(http().get(app.url("/api/v1/systems?tier=high&q=loan+approval")).send().await.unwrap()).await;
    assert_eq!(listed["total"], 1);
    assert_eq!(listed["items"][0]["risk_tier"], "high");
    let page = http().get(app.url(&format!("/register/{id}"))).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("High risk") && page.contains("EU-RISK-MANAGEMENT") && page.contains("Art. 6(3)"));

    // Demo systems are classified too, so the register can be filtered by tier.
    let high =
        json_of(http().get(app.url("/api/v1/systems?tier=high&per_page=100")).send().await.unwrap()).await;
    let limited = json_of(http().get(app.url("/api/v1/systems?tier=limited")).send().await.unwrap()).await;
    assert!(high["total"].as_i64().unwrap() >= 5);
    assert_eq!(limited["total"], 1, "the chatbot");
    // The classification is frozen with the version: the table refuses changes, in its
    // trigger's words, and keeps its rows.
    let before = app.store.table_fingerprint("classifications").await.unwrap();
    for change in [mizan_store::Change::Update, mizan_store::Change::Delete] {
        let err = app.store.try_change("classifications", change).await.expect_err("refused").to_string();
        assert!(
            err.contains("classifications is immutable") || err.contains("classifications is append-only"),
            "{err}"
        );
    }
    assert_eq!(app.store.table_fingerprint("classifications").await.unwrap(), before);
}

#[tokio::test]
async fn regulator_overrides_a_tier_with_a_public_reason() {
    let app = TestApp::start(true).await;
    let reg = token(&app.store, "admin@regulator.demo", &["register:queue", "register:transition"]).await;
    let bank =
        token(&app.store, "admin@indus-bank.demo", &["systems:read", "systems:write", "systems:submit"])
            .await;
    let minimal = json_of(http().get(app.url("/api/v1/systems?q=wheat+yield")).send().await.unwrap()).await;
    assert_eq!(minimal["items"][0]["risk_tier"], "minimal");
    let id = minimal["items"][0]["id"].as_str().unwrap().to_owned();
    let url = app.url(&format!("/api/v1/regulator/systems/{id}/tier-override"));

    let res = http()
        .post(&url)
        .bearer_auth(&bank)
        .json(&json!({"tier": "high", "reason": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403, "providers cannot override");
    let res = http()
        .post(&url)
        .bearer_auth(&reg)
        .json(&json!({"tier": "high", "reason": " "}))
        .send()
        .await
        .unwrap();
    assert_eq!(json_of(res).await["field"], "reason");
    let res = http()
        .post(&url)
        .bearer_auth(&reg)
        .json(&json!({"tier": "extreme", "reason": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 409);
    assert!(json_of(res).await["detail"].as_str().unwrap().contains("unknown tier `extreme`"));

    let reason = "forecasts decide procurement that affects farmers' livelihoods";
    let res = http()
        .post(&url)
        .bearer_auth(&reg)
        .json(&json!({"tier": "high", "reason": reason}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let listed =
        json_of(http().get(app.url("/api/v1/systems?q=wheat+yield&tier=high")).send().await.unwrap()).await;
    assert_eq!(listed["total"], 1, "the override decides the public tier");
    let page = http().get(app.url(&format!("/register/{id}"))).send().await.unwrap().text().await.unwrap();
    assert!(
        page.contains("Regulator&#39;s decision") || page.contains("Regulator's decision"),
        "override shown"
    );
    assert!(
        page.contains("Computed") && page.contains("Minimal risk") && page.contains("farmers"),
        "next to the computed tier"
    );
    // The override brings the new tier's duties: the high-risk provider's, listed on the page
    // and in the record.
    assert!(page.contains("EU-RISK-MANAGEMENT") && page.contains("EU-CONFORMITY"), "high-risk duties shown");
    let record = json_of(http().get(app.url(&format!("/api/v1/systems/{id}"))).send().await.unwrap()).await;
    let duties: Vec<&str> = record["obligations"]
        .as_array()
        .expect("obligations")
        .iter()
        .filter_map(|o| o["id"].as_str())
        .collect();
    assert!(duties.contains(&"EU-RISK-MANAGEMENT") && duties.contains(&"EU-QMS"), "{duties:?}");
    // The computed classification itself is unchanged and the override is in the event trail.
    let c =
        json_of(http().get(app.url(&format!("/api/v1/systems/{id}/classification"))).send().await.unwrap())
            .await;
    assert_eq!(c["tier"], "minimal");
    let view = app
        .store
        .regulator_system(
            mizan_store::RegulatorScope::of(&app.store.principal_for_token(&reg).await.unwrap().unwrap())
                .unwrap(),
            &id,
        )
        .await
        .unwrap();
    assert!(view.events.iter().any(|e| e.kind == "tier-override" && e.reason.contains("farmers")));
    // The override of the registered version is news: it is in the public feed.
    let atom = http().get(app.url("/api/v1/changes.atom")).send().await.unwrap().text().await.unwrap();
    let entry = atom.split("<entry>").nth(1).expect("an entry");
    assert!(entry.contains("risk tier set to high by the regulator") && entry.contains("farmers"), "{entry}");
    assert!(entry.contains(&format!("/register/{id}")));
}

#[tokio::test]
async fn obligations_checklist_records_status_and_evidence() {
    let app = TestApp::start(true).await;
    let bank = token(&app.store, "admin@indus-bank.demo", &["systems:read", "systems:write"]).await;
    let health = token(&app.store, "admin@rahbar-health.demo", &["systems:read", "systems:write"]).await;
    let systems =
        json_of(http().get(app.url("/api/v1/org/systems")).bearer_auth(&bank).send().await.unwrap()).await;
    // The bank's registered credit-scoring system is high-risk: a provider's full list of duties.
    let mut id = String::new();
    for s in systems.as_array().unwrap() {
        let sid = s["id"].as_str().unwrap();
        let list = json_of(
            http()
                .get(app.url(&format!("/api/v1/org/systems/{sid}/obligations")))
                .bearer_auth(&bank)
                .send()
                .await
                .unwrap(),
        )
        .await;
        if list.as_array().unwrap().iter().any(|o| o["id"] == "EU-QMS") {
            id = sid.to_owned();
        }
    }
    assert!(!id.is_empty(), "a high-risk bank system has EU-QMS in its checklist");
    let url = app.url(&format!("/api/v1/org/systems/{id}/obligations/EU-QMS"));
    let body = json!({"status": "done", "evidence_url": "https://bank.example.pk/qms.pdf", "note": "ISO 9001 certified"});
    let list = json_of(http().put(&url).bearer_auth(&bank).json(&body).send().await.unwrap()).await;
    let qms = list.as_array().unwrap().iter().find(|o| o["id"] == "EU-QMS").unwrap().clone();
    assert_eq!(qms["status"], "done");
    assert_eq!(qms["evidence_url"], "https://bank.example.pk/qms.pdf");
    assert!(qms["nist"].as_array().unwrap().iter().any(|n| n == "GOVERN-1.4"));
    assert!(qms["iso"].as_array().unwrap().iter().any(|n| n == "A.2.2"));

    let bad = http().put(&url).bearer_auth(&bank).json(&json!({"status": "finished"})).send().await.unwrap();
    assert_eq!(bad.status(), 409);
    assert!(
        json_of(bad).await["detail"]
            .as_str()
            .unwrap()
            .contains("not_started, in_progress, done, not_applicable")
    );
    let bad = http()
        .put(&url)
        .bearer_auth(&bank)
        .json(&json!({"status": "done", "evidence_url": "ftp://x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 409);
    let unknown = app.url(&format!("/api/v1/org/systems/{id}/obligations/EU-NOTHING"));
    assert_eq!(http().put(&unknown).bearer_auth(&bank).json(&body).send().await.unwrap().status(), 404);
    assert_eq!(
        http().put(&url).bearer_auth(&health).json(&body).send().await.unwrap().status(),
        404,
        "other organisations cannot touch it"
    );
    let page = {
        let c =
            common::sign_in(&app, "admin@indus-bank.demo", common::password("admin@indus-bank.demo")).await;
        c.get(app.url(&format!("/app/systems/{id}/obligations"))).send().await.unwrap().text().await.unwrap()
    };
    assert!(page.contains("https://bank.example.pk/qms.pdf") && page.contains("GOVERN-1.4"));
}

#[tokio::test]
async fn ethics_board_review_gates_registration() {
    let app = TestApp::start(true).await;
    let s = &app.store;
    let bank = token(s, "admin@indus-bank.demo", &["systems:read", "systems:write", "systems:submit"]).await;
    let reg = token(s, "admin@regulator.demo", &["register:queue", "register:transition"]).await;
    let r1 = token(s, "reviewer@regulator.demo", &["review:decide"]).await;
    let r2 = token(s, "reviewer2@regulator.demo", &["review:decide"]).await;
    let r3 = token(s, "reviewer3@regulator.demo", &["review:decide"]).await;
    let put = |path: String, body: Value| http().put(app.url(&path)).bearer_auth(&bank).json(&body).send();
    let submit = |id: String| {
        http()
            .post(app.url(&format!("/api/v1/org/systems/{id}/transitions")))
            .bearer_auth(&bank)
            .json(&json!({"to": "submitted"}))
            .send()
    };
    let review = |t: &str, id: &str, version: i64, decision: &str, reason: &str| {
        http()
            .post(app.url(&format!("/api/v1/review/systems/{id}/reviews")))
            .bearer_auth(t)
            .json(&json!({"version": version, "decision": decision, "reason": reason}))
            .send()
    };
    let register = |id: String| {
        http()
            .post(app.url(&format!("/api/v1/regulator/systems/{id}/transitions")))
            .bearer_auth(&reg)
            .json(&json!({"to": "registered", "reason": "complete"}))
            .send()
    };

    // A high-risk system at impact level III needs two independent approvals.
    let id = create_draft(&app, &bank, "Credit line scoring").await;
    put(format!("/api/v1/org/systems/{id}/risk-answers"), common::high_risk_answers()).await.unwrap();
    let level3 = json!({
        "decision_type": "decides_alone", "reversibility": "hard", "duration": "years", "rights_affected": "directly",
        "vulnerable_groups": "mainly", "personal_data": "sensitive", "scale": "over_1m", "opacity": "partly",
        "human_review": "all", "bias_testing": "continuously", "appeal_route": "yes", "logging": "no"
    });
    let res = json_of(put(format!("/api/v1/org/systems/{id}/impact-answers"), level3).await.unwrap()).await;
    assert_eq!(res["assessment"]["level"]["level"], "III");
    assert_eq!(submit(id.clone()).await.unwrap().status(), 200);
    let state_url = app.url(&format!("/api/v1/review/systems/{id}/versions/1"));
    let st = json_of(http().get(&state_url).bearer_auth(&bank).send().await.unwrap()).await;
    assert_eq!((st["tier"].as_str(), st["required"].as_bool()), (Some("high"), Some(true)));
    assert_eq!((st["impact_level"].as_str(), st["approvals_needed"].as_u64()), (Some("III"), Some(2)));
    assert_eq!(st["approvals"], 0);

    // It is in every reviewer's queue; registration is refused with the reason.
    let queue =
        json_of(http().get(app.url("/api/v1/review/queue")).bearer_auth(&r1).send().await.unwrap()).await;
    assert!(queue["items"].as_array().unwrap().iter().any(|q| q["id"] == id.as_str()));
    // The queue's stored need agrees with the need computed from the frozen rows.
    for item in queue["items"].as_array().unwrap() {
        let url = app.url(&format!(
            "/api/v1/review/systems/{}/versions/{}",
            item["id"].as_str().unwrap(),
            item["version"]
        ));
        let st = json_of(http().get(url).bearer_auth(&r1).send().await.unwrap()).await;
        assert_eq!(item["approvals_needed"], st["approvals_needed"], "{item} vs {st}");
        assert_eq!(item["approvals"], st["approvals"]);
    }
    let total = queue["total"].as_u64().unwrap();
    assert!(total >= 3, "two demo systems and this one: {queue}");
    let paged = json_of(
        http().get(app.url("/api/v1/review/queue?per_page=1&page=2")).bearer_auth(&r1).send().await.unwrap(),
    )
    .await;
    assert_eq!((paged["items"].as_array().unwrap().len(), paged["total"].as_u64()), (1, Some(total)));
    assert_eq!(paged["items"][0]["id"], queue["items"][1]["id"], "pages follow the same order");
    let take_up = http()
        .post(app.url(&format!("/api/v1/regulator/systems/{id}/transitions")))
        .bearer_auth(&reg)
        .json(&json!({"to": "under_review", "reason": "to the ethics board"}))
        .send()
        .await
        .unwrap();
    assert_eq!(take_up.status(), 200);
    let refused = register(id.clone()).await.unwrap();
    assert_eq!(refused.status(), 409);
    assert!(json_of(refused).await["detail"].as_str().unwrap().contains("independent ethics-board approval"));

    // Bad reviews: no reason, unknown decision, a stale version, unknown fields. Nothing is written.
    assert_eq!(review(&r1, &id, 1, "approve", "  ").await.unwrap().status(), 400);
    let bad = review(&r1, &id, 1, "maybe", "hmm").await.unwrap();
    assert_eq!(bad.status(), 400);
    assert_eq!(json_of(bad).await["field"], "decision");
    let stale = review(&r1, &id, 2, "approve", "fine").await.unwrap();
    assert_eq!(stale.status(), 409);
    assert!(json_of(stale).await["detail"].as_str().unwrap().contains("latest submitted version is 1"));
    let extra = http()
        .post(app.url(&format!("/api/v1/review/systems/{id}/reviews")))
        .bearer_auth(&r1)
        .json(&json!({"version": 1, "decision": "approve", "reason": "x", "score": 5}))
        .send()
        .await
        .unwrap();
    assert_eq!(extra.status(), 400);
    let st = json_of(http().get(&state_url).bearer_auth(&reg).send().await.unwrap()).await;
    assert_eq!(st["reviews"].as_array().unwrap().len(), 0);

    // A provider's token cannot review, and a reviewer of the system's own organisation is refused.
    assert_eq!(review(&bank, &id, 1, "approve", "mine").await.unwrap().status(), 403);
    let org = s.org_by_slug("demo-indus-bank").await.unwrap();
    let insider = s.create_user("ethics@indus-bank.demo", "Bank ethics officer", "x").await.unwrap();
    s.add_membership(insider.id, org.id, "reviewer").await.unwrap();
    let insider_token = token_for(s, insider.id, org.id, &["review:decide"]).await;
    let own = review(&insider_token, &id, 1, "approve", "our own system is fine").await.unwrap();
    assert_eq!(own.status(), 403);
    let body = json_of(own).await;
    assert!(body["type"].as_str().unwrap().ends_with("refused"), "{body}");
    assert!(body["detail"].as_str().unwrap().contains("same organisation"));
    let own_queue = json_of(
        http().get(app.url("/api/v1/review/queue")).bearer_auth(&insider_token).send().await.unwrap(),
    )
    .await;
    assert!(
        !own_queue["items"].as_array().unwrap().iter().any(|q| q["id"] == id.as_str()),
        "own systems not queued"
    );

    // One approval is not enough; a second review by the same person is refused.
    let first = review(&r1, &id, 1, "approve", "oversight is adequate").await.unwrap();
    assert_eq!(first.status(), 201);
    let first = json_of(first).await;
    assert_eq!(first["approvals"], 1);
    assert_eq!(review(&r1, &id, 1, "approve", "again").await.unwrap().status(), 409);
    assert_eq!(register(id.clone()).await.unwrap().status(), 409);

    // A request for changes sends it back to the provider with the reasons; the new version
    // starts from zero approvals, so approvals of version 1 count for nothing.
    let back = review(&r2, &id, 1, "request_changes", "describe the appeal route in Urdu too").await.unwrap();
    assert_eq!(back.status(), 201);
    let sys = json_of(
        http().get(app.url(&format!("/api/v1/org/systems/{id}"))).bearer_auth(&bank).send().await.unwrap(),
    )
    .await;
    assert_eq!(sys["status"], "draft");
    let st = json_of(http().get(&state_url).bearer_auth(&bank).send().await.unwrap()).await;
    assert_eq!(st["reviews"][1]["reason"], "describe the appeal route in Urdu too");
    assert_eq!(submit(id.clone()).await.unwrap().status(), 200);
    let v2 = json_of(
        http()
            .get(app.url(&format!("/api/v1/review/systems/{id}/versions/2")))
            .bearer_auth(&reg)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((v2["approvals"].as_u64(), v2["satisfied"].as_bool()), (Some(0), Some(false)));
    assert_eq!(review(&r1, &id, 1, "approve", "old version").await.unwrap().status(), 409);
    for t in [&r1, &r2] {
        assert_eq!(review(t, &id, 2, "approve", "revised record is complete").await.unwrap().status(), 201);
    }
    let ok = register(id.clone()).await.unwrap();
    assert_eq!(ok.status(), 200);
    let public = json_of(http().get(app.url(&format!("/api/v1/systems/{id}"))).send().await.unwrap()).await;
    assert_eq!(public["version"], 2);

    // Impact level IV needs three approvals, whatever the tier; a rejection blocks registration
    // even then.
    let id2 = create_draft(&app, &bank, "Branch footfall forecast").await;
    put(format!("/api/v1/org/systems/{id2}/impact-answers"), common::highest_impact()).await.unwrap();
    assert_eq!(submit(id2.clone()).await.unwrap().status(), 200);
    let st = json_of(
        http()
            .get(app.url(&format!("/api/v1/review/systems/{id2}/versions/1")))
            .bearer_auth(&reg)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((st["tier"].as_str(), st["impact_level"].as_str()), (Some("out_of_scope"), Some("IV")));
    assert_eq!(st["approvals_needed"], 3);
    assert_eq!(review(&r1, &id2, 1, "approve", "fine").await.unwrap().status(), 201);
    assert_eq!(review(&r2, &id2, 1, "approve", "fine").await.unwrap().status(), 201);
    assert_eq!(review(&r3, &id2, 1, "reject", "the profiling is not justified").await.unwrap().status(), 201);
    let blocked = register(id2.clone()).await.unwrap();
    assert_eq!(blocked.status(), 409);
    assert!(json_of(blocked).await["detail"].as_str().unwrap().contains("the profiling is not justified"));

    // A minimal-risk, level-I system needs no review and is not queued.
    let id3 = create_draft(&app, &bank, "Queue length display").await;
    assert_eq!(submit(id3.clone()).await.unwrap().status(), 200);
    let queue =
        json_of(http().get(app.url("/api/v1/review/queue")).bearer_auth(&r1).send().await.unwrap()).await;
    assert!(!queue["items"].as_array().unwrap().iter().any(|q| q["id"] == id3.as_str()));
    let st = json_of(
        http()
            .get(app.url(&format!("/api/v1/review/systems/{id3}/versions/1")))
            .bearer_auth(&bank)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((st["required"].as_bool(), st["approvals_needed"].as_u64()), (Some(false), Some(0)));
    // A regulator's override to `high` puts it in the queue, needing two approvals.
    let res = http()
        .post(app.url(&format!("/api/v1/regulator/systems/{id3}/tier-override")))
        .bearer_auth(&reg)
        .json(&json!({"tier": "high", "reason": "it scores creditworthiness after all"}))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success());
    let queue = json_of(
        http().get(app.url("/api/v1/review/queue?per_page=200")).bearer_auth(&r1).send().await.unwrap(),
    )
    .await;
    let item =
        queue["items"].as_array().unwrap().iter().find(|q| q["id"] == id3.as_str()).expect("queued").clone();
    assert_eq!((item["tier"].as_str(), item["approvals_needed"].as_u64()), (Some("high"), Some(2)));
    common::approve(&app, &id3, 1, 2).await;
    for to in ["registered"] {
        let res = http()
            .post(app.url(&format!("/api/v1/regulator/systems/{id3}/transitions")))
            .bearer_auth(&reg)
            .json(&json!({"to": to, "reason": "complete"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
    }
    let queued = |id: String| {
        let r1 = r1.clone();
        let app = &app;
        async move {
            let queue = json_of(
                http()
                    .get(app.url("/api/v1/review/queue?per_page=200"))
                    .bearer_auth(&r1)
                    .send()
                    .await
                    .unwrap(),
            )
            .await;
            queue["items"].as_array().unwrap().iter().any(|q| q["id"] == id.as_str())
        }
    };
    assert!(!queued(id3.clone()).await, "approved and registered: off the queue");
    // An override of a registered version to a tier that needs more approvals than it has sends
    // it back to the ethics board while it stays on the register.
    let id4 = create_draft(&app, &bank, "Branch queue forecast").await;
    assert_eq!(submit(id4.clone()).await.unwrap().status(), 200);
    for to in ["under_review", "registered"] {
        let res = http()
            .post(app.url(&format!("/api/v1/regulator/systems/{id4}/transitions")))
            .bearer_auth(&reg)
            .json(&json!({"to": to, "reason": "complete"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{to}");
    }
    assert!(!queued(id4.clone()).await);
    let res = http()
        .post(app.url(&format!("/api/v1/regulator/systems/{id4}/tier-override")))
        .bearer_auth(&reg)
        .json(&json!({"tier": "high", "reason": "it decides who is served first"}))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success());
    assert!(queued(id4.clone()).await, "back to the board after the override");
    let board =
        common::sign_in(&app, "reviewer3@regulator.demo", common::password("reviewer3@regulator.demo")).await;
    let page = board.get(app.url(&format!("/review/systems/{id4}"))).send().await.unwrap();
    assert_eq!(page.status(), 200, "the board reads it on its page");
    assert_eq!(review(&r3, &id4, 1, "request_changes", "document the override").await.unwrap().status(), 201);
    common::approve(&app, &id4, 1, 2).await;
    assert!(!queued(id4.clone()).await, "two approvals: off the queue again");
    let public = json_of(http().get(app.url(&format!("/api/v1/systems/{id4}"))).send().await.unwrap()).await;
    assert_eq!((public["status"].as_str(), public["risk_tier"].as_str()), (Some("registered"), Some("high")));

    // Another organisation cannot read the review state of this bank's system.
    let health = token(s, "admin@rahbar-health.demo", &["systems:read"]).await;
    assert_eq!(http().get(&state_url).bearer_auth(&health).send().await.unwrap().status(), 404);
    // Reviews cannot be rewritten in the database: the trigger says so, and they stay as made.
    let before = s.table_fingerprint("reviews").await.unwrap();
    let err = s.try_rewrite_reviews().await.expect_err("reviews are append-only").to_string();
    assert!(err.contains("reviews is append-only"), "{err}");
    assert_eq!(s.table_fingerprint("reviews").await.unwrap(), before, "rows unchanged");
}
