//! Attacks an outsider, a careless client or a malicious provider would try, each answered
//! as issue #14 asks: redirects that stay on this site, throttled sign-in and public forms,
//! connection timeouts and a connection cap, erasure that reaches every table and response,
//! text that cannot break documents, and the small edges (caching, 404s, problem instances,
//! reviewers' own tokens).

use std::sync::Arc;
use std::time::Duration;

use mizan_app::throttle::ManualClock;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use crate::common::{self, TestApp, csrf, csrf_of, password, sign_in, token};

fn http() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

fn location(res: &reqwest::Response) -> String {
    res.headers().get("location").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default()
}

/// `next` values a browser would follow off-site once it strips tabs and newlines or reads
/// `\` as `/` (the WHATWG URL rules), and ones that would break the `Location` header.
const HOSTILE_NEXT: &[&str] = &[
    "/%09/evil.example/",
    "/%0A/evil.example/",
    "/%0D%0A/evil.example/",
    "%2F%2Fevil.example",
    "/%5Cevil.example",
    "%5C%5Cevil.example",
    "https://evil.example/",
    "//evil.example",
    "/%2F/evil.example",
    "/%E2%80%AE/evil",
    "/%00",
];

#[tokio::test]
async fn redirects_stay_on_this_site() {
    let app = TestApp::start(true).await;
    for next in HOSTILE_NEXT {
        let res = http().get(app.url(&format!("/lang/ur?next={next}"))).send().await.unwrap();
        assert_eq!(res.status(), 303, "{next}");
        assert_eq!(location(&res), "/", "/lang with next={next}");
    }
    // An Urdu search comes back percent-encoded, a valid header.
    let res =
        http().get(app.url("/lang/ur?next=%2Fregister%3Fq%3D%D8%A8%DB%8C%D9%86%DA%A9")).send().await.unwrap();
    assert_eq!(location(&res), "/register?q=%D8%A8%DB%8C%D9%86%DA%A9");

    let c = app.client();
    let page = c.get(app.url("/login")).send().await.unwrap().text().await.unwrap();
    let token = csrf_of(&page);
    let email = "editor@indus-bank.demo";
    for next in ["/\t/evil.example/", "/\n/evil.example", "\\\\evil.example", "/\\evil.example"] {
        let res = c
            .post(app.url("/login"))
            .form(&[
                ("csrf", token.as_str()),
                ("email", email),
                ("password", password(email)),
                ("next", next),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303, "{next:?}");
        assert_eq!(location(&res), "/app", "after sign-in with next={next:?}");
    }
}

/// One sign-in attempt: status and `Retry-After`.
async fn attempt(app: &TestApp, email: &str, pass: &str) -> (u16, Option<u64>) {
    let c = app.client();
    let page = c.get(app.url("/login")).send().await.unwrap().text().await.unwrap();
    let token = csrf_of(&page);
    let res = c
        .post(app.url("/login"))
        .form(&[("csrf", token.as_str()), ("email", email), ("password", pass), ("next", "/app")])
        .send()
        .await
        .unwrap();
    let retry = res.headers().get("retry-after").map(|v| v.to_str().unwrap().parse().unwrap());
    (res.status().as_u16(), retry)
}

#[tokio::test]
async fn sign_in_is_throttled_then_locked_the_same_for_every_account() {
    let clock = Arc::new(ManualClock::default());
    let app = TestApp::start_configured(true, mizan_server::Config::default(), Some(clock.clone())).await;
    let real = "admin@regulator.demo";
    let mut seen = Vec::new();
    for email in [real, "nobody@regulator.demo"] {
        let mut statuses = Vec::new();
        for i in 0..10 {
            statuses.push(attempt(&app, email, "wrong password 123").await.0);
            if i == 5 {
                // The sixth failure makes the account wait a second: a try before then is
                // answered 429 at once, without checking the password.
                assert_eq!(attempt(&app, email, password(real)).await, (429, Some(1)), "{email}");
            }
            if i < 9 {
                clock.advance(Duration::from_secs(61));
            }
        }
        // The tenth wrong password locks the account: the right one is refused now too.
        let (status, retry) = attempt(&app, email, password(real)).await;
        assert_eq!(status, 429, "{email} locked");
        assert_eq!(retry, Some(15 * 60), "{email}: Retry-After is the lockout");
        seen.push(statuses);
    }
    assert_eq!(seen[0], seen[1], "an existing and an unknown account answer alike");
    assert_eq!(seen[0], vec![401; 10]);
    // The page says how long to wait, in words.
    let c = app.client();
    let page = c.get(app.url("/login?lang=ur")).send().await.unwrap().text().await.unwrap();
    let t = csrf_of(&page);
    let res = c
        .post(app.url("/login?lang=ur"))
        .form(&[("csrf", t.as_str()), ("email", real), ("password", "x"), ("next", "/app")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 429);
    let body = res.text().await.unwrap();
    let alert =
        body.split("role=\"alert\"").nth(1).unwrap_or_default().split("</div>").next().unwrap_or_default();
    // What is left of the real account's lockout (the clock moved on for the other account).
    assert!(alert.contains("6 منٹ"), "the wait in words: {alert}");
    // The lockouts are on the security record, not in the public events log.
    let events = app.store.security_events(10).await.unwrap();
    assert!(events.iter().any(|e| e.kind == "sign-in-lockout" && e.subject == real), "{events:?}");
    assert!(events.iter().any(|e| e.kind == "sign-in-lockout" && e.subject == "nobody@regulator.demo"));
    // After the lockout the right password works again, and resets the count.
    clock.advance(Duration::from_secs(15 * 60));
    assert_eq!(attempt(&app, real, password(real)).await.0, 303);
    assert_eq!(attempt(&app, real, "wrong password 123").await.0, 401);
}

#[tokio::test]
async fn public_error_reports_are_throttled_per_address() {
    let app = TestApp::start(true).await;
    let c = app.client();
    let list = c.get(app.url("/register?q=triage")).send().await.unwrap().text().await.unwrap();
    let start = list.find("href=\"/register/").unwrap() + "href=\"/register/".len();
    let id = list[start..start + 8].to_owned();
    let page = c.get(app.url(&format!("/register/{id}/report"))).send().await.unwrap().text().await.unwrap();
    let t = csrf_of(&page);
    let send = |n: usize| {
        let (c, url, t) = (c.clone(), app.url(&format!("/register/{id}/report")), t.clone());
        async move {
            c.post(url)
                .form(&[("csrf", t.as_str()), ("field", "purpose"), ("body", &format!("report number {n}"))])
                .send()
                .await
                .unwrap()
        }
    };
    for n in 0..11 {
        assert_eq!(send(n).await.status(), 303, "report {n} is accepted");
    }
    let res = send(11).await;
    assert_eq!(res.status(), 429);
    assert!(res.headers().get("retry-after").is_some());
    let body = res.text().await.unwrap();
    assert!(body.contains("report number 11"), "what was written is kept");
    // The API's report endpoint counts against the same address.
    let res = http()
        .post(app.url(&format!("/api/v1/systems/{id}/reports")))
        .json(&json!({"field": "purpose", "body": "one more"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 429);
    let retry: u64 = res.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(retry > 0 && retry <= 600, "{retry}");
    assert_eq!(res.json::<Value>().await.unwrap()["status"], 429);
    let events = app.store.security_events(10).await.unwrap();
    assert!(events.iter().any(|e| e.kind == "form-throttled" && e.subject == "error-report"), "{events:?}");
}

/// Reads until the peer closes or `limit` passes; true if it closed (or reset) in time.
async fn closed_within(s: &mut TcpStream, limit: Duration) -> bool {
    let mut buf = [0u8; 4096];
    tokio::time::timeout(limit, async {
        loop {
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await
    .is_ok()
}

/// Reads one response head (until the blank line).
async fn response_head(s: &mut TcpStream) -> String {
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    while !got.windows(4).any(|w| w == b"\r\n\r\n") {
        let n =
            tokio::time::timeout(Duration::from_secs(5), s.read(&mut buf)).await.expect("answered").unwrap();
        assert!(n > 0, "closed before answering");
        got.extend_from_slice(&buf[..n]);
    }
    String::from_utf8_lossy(&got).into_owned()
}

#[tokio::test]
async fn slow_and_oversized_clients_are_cut_off() {
    let config = mizan_server::Config {
        header_timeout: Duration::from_secs(1),
        body_idle_timeout: Duration::from_secs(1),
        body_timeout: Duration::from_secs(2),
        ..mizan_server::Config::default()
    };
    let app = TestApp::start_configured(false, config, None).await;

    // Half-sent headers: closed after the header timeout.
    let mut s = TcpStream::connect(app.addr).await.unwrap();
    s.write_all(b"GET / HTTP/1.1\r\nHost: mizan\r\n").await.unwrap();
    assert!(closed_within(&mut s, Duration::from_secs(5)).await, "half-sent headers close the connection");

    // An idle kept-alive connection: closed after the same timeout.
    let mut s = TcpStream::connect(app.addr).await.unwrap();
    s.write_all(b"GET /about HTTP/1.1\r\nHost: mizan\r\n\r\n").await.unwrap();
    assert!(response_head(&mut s).await.starts_with("HTTP/1.1 200"));
    assert!(closed_within(&mut s, Duration::from_secs(5)).await, "an idle connection is closed");

    // A huge Content-Length and no body: refused at once, not waited for.
    let mut s = TcpStream::connect(app.addr).await.unwrap();
    s.write_all(
        b"POST /api/v1/org/systems HTTP/1.1\r\nHost: mizan\r\nContent-Type: application/json\r\n\
          Content-Length: 99999999999\r\n\r\n",
    )
    .await
    .unwrap();
    let head = response_head(&mut s).await;
    assert!(head.starts_with("HTTP/1.1 413"), "{head}");
    assert!(head.to_ascii_lowercase().contains("application/problem+json"), "{head}");

    // A body that stops half-way: cut off after the body's idle timeout.
    let mut s = TcpStream::connect(app.addr).await.unwrap();
    s.write_all(
        b"POST /api/v1/org/systems HTTP/1.1\r\nHost: mizan\r\nContent-Type: application/json\r\n\
          Authorization: Bearer x\r\nContent-Length: 1000\r\n\r\n{\"name\":",
    )
    .await
    .unwrap();
    assert!(closed_within(&mut s, Duration::from_secs(6)).await, "a stalled body is cut off");

    // A body trickling one byte at a time, each within the idle timeout: the whole-body
    // deadline ends it.
    let mut s = TcpStream::connect(app.addr).await.unwrap();
    s.write_all(
        b"POST /login HTTP/1.1\r\nHost: mizan\r\nContent-Type: application/x-www-form-urlencoded\r\n\
          Content-Length: 1000\r\n\r\n",
    )
    .await
    .unwrap();
    let started = std::time::Instant::now();
    let mut cut = false;
    for _ in 0..20 {
        tokio::time::sleep(Duration::from_millis(400)).await;
        if s.write_all(b"a").await.is_err() {
            cut = true;
            break;
        }
        let mut buf = [0u8; 512];
        if let Ok(Ok(n)) = tokio::time::timeout(Duration::from_millis(10), s.read(&mut buf)).await {
            cut = n == 0 || String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 4");
            if cut {
                break;
            }
        }
    }
    assert!(cut, "a trickled body is ended by the deadline ({:?})", started.elapsed());
}

#[tokio::test]
async fn connections_over_the_cap_wait_their_turn() {
    let config = mizan_server::Config { max_connections: 2, ..mizan_server::Config::default() };
    let app = TestApp::start_configured(false, config, None).await;
    let a = TcpStream::connect(app.addr).await.unwrap();
    let b = TcpStream::connect(app.addr).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let client = reqwest::Client::builder().timeout(Duration::from_millis(1500)).build().unwrap();
    assert!(client.get(app.url("/about")).send().await.is_err(), "a third connection is not served yet");
    drop(a);
    drop(b);
    let res = http().get(app.url("/about")).send().await.unwrap();
    assert_eq!(res.status(), 200, "served once the others close");
}

/// Every byte the database and the data directory hold, and (on PostgreSQL) every row as text.
async fn everything_stored(app: &TestApp) -> Vec<u8> {
    let mut all = Vec::new();
    if let Some(path) = app.db.url.strip_prefix("sqlite://") {
        for suffix in ["", "-wal", "-shm", "-journal"] {
            if let Ok(bytes) = std::fs::read(format!("{path}{suffix}")) {
                all.extend(bytes);
            }
        }
    } else {
        use sqlx::Row as _;
        let pool = sqlx::PgPool::connect(&app.db.url).await.unwrap();
        let tables: Vec<String> = sqlx::query_scalar(
            "SELECT quote_ident(table_schema) || '.' || quote_ident(table_name) FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        assert!(tables.len() > 10, "{tables:?}");
        for t in tables {
            for row in sqlx::query(sqlx::AssertSqlSafe(format!("SELECT CAST(x AS TEXT) AS t FROM {t} x")))
                .fetch_all(&pool)
                .await
                .unwrap()
            {
                all.extend(row.get::<String, _>("t").into_bytes());
            }
        }
    }
    let mut stack = vec![app.data_dir.path().to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(bytes) = std::fs::read(&path) {
                all.extend(bytes);
            }
        }
    }
    all
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[tokio::test]
async fn an_erased_decision_is_gone_from_every_table_file_and_response() {
    let app = TestApp::start(true).await;
    let (id, bank) = common::registered_system(&app, "Erasure check").await;
    const DISTRICT: &str = "Qadirabad-erasure-marker";
    const SUBJECT: &str = "subject-erasure-marker-7731";
    let decision = |key: &str, district: &str, subject: &str, approve: bool| {
        json!({
            "idempotency_key": key, "system_version": 1, "model_hash": "sha256:9f2c0d6e",
            "features": {"income": 85000, "district": district, "gender": if approve { "f" } else { "m" }},
            "output": if approve { "approve" } else { "decline" }, "score": 0.5,
            "human": {"involved": false, "by": null}, "decided_at": "2026-03-10T09:15:27Z",
            "subject_ref": subject
        })
    };
    let mut batch: Vec<Value> = (0..24)
        .map(|i| decision(&format!("k-{i}"), "Multan", &format!("applicant-{i}"), i % 2 == 0))
        .collect();
    let marked = decision("k-marked", DISTRICT, SUBJECT, false);
    batch.push(marked.clone());
    let res = http()
        .post(app.url(&format!("/api/v1/systems/{id}/decisions")))
        .bearer_auth(&bank)
        .json(&Value::Array(batch))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let receipts: Value = res.json().await.unwrap();
    let reference = receipts["receipts"].as_array().or_else(|| receipts.as_array()).unwrap().last().unwrap()
        ["reference"]
        .as_str()
        .unwrap()
        .to_owned();
    // A fairness audit grouped by district, run while the decision is there.
    let audits = token(&app.store, "admin@indus-bank.demo", &["systems:read", "audits:run"]).await;
    let res = http()
        .post(app.url(&format!("/api/v1/org/systems/{id}/versions/1/audits/logged")))
        .bearer_auth(&audits)
        .json(&json!({"from": "2026-03-01", "to": "2026-03-31", "sensitive": ["district"], "pos_label": "approve"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let audit: Value = res.json().await.unwrap();
    assert!(contains(&everything_stored(&app).await, SUBJECT), "the marker is stored before erasure");

    let res = http()
        .delete(app.url(&format!("/api/v1/org/decisions/{reference}")))
        .bearer_auth(&bank)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);

    let stored = everything_stored(&app).await;
    for marker in [DISTRICT, SUBJECT] {
        assert!(!contains(&stored, marker), "`{marker}` is still stored after erasure");
    }
    // Every response that shows decisions or audits of the system.
    let reg = token(&app.store, "admin@regulator.demo", &["register:queue", "audits:run"]).await;
    let regulator = sign_in(&app, "admin@regulator.demo", password("admin@regulator.demo")).await;
    let provider = sign_in(&app, "admin@indus-bank.demo", password("admin@indus-bank.demo")).await;
    let report = audit["report_url"].as_str().unwrap().to_owned();
    let report = report
        .split_once("://")
        .map_or(report.as_str(), |(_, rest)| &rest[rest.find('/').unwrap()..])
        .to_owned();
    let pages = vec![
        (http(), format!("/api/v1/receipts/{reference}"), None),
        (http(), format!("/receipt/{reference}"), None),
        (regulator.clone(), format!("/regulator/decisions/{reference}"), None),
        (regulator.clone(), format!("/regulator/systems/{id}/decisions"), None),
        (regulator.clone(), format!("/regulator/systems/{id}/audits"), None),
        (provider.clone(), format!("/app/systems/{id}/audits"), None),
        (http(), report.clone(), Some(audits.clone())),
        (http(), format!("/api/v1/regulator/systems/{id}/audits"), Some(reg.clone())),
    ];
    let audit_text = audit.to_string();
    assert!(!audit_text.contains(DISTRICT), "the audit's answer names no rare value: {audit_text}");
    for (client, path, bearer) in pages {
        let mut req = client.get(app.url(&path));
        if let Some(b) = bearer {
            req = req.bearer_auth(b);
        }
        let res = req.send().await.unwrap();
        let status = res.status();
        let body = res.text().await.unwrap();
        assert!(status.is_success(), "{path}: {status}");
        for marker in [DISTRICT, SUBJECT] {
            assert!(!body.contains(marker), "{path} still shows `{marker}`");
        }
    }
    // Re-sending a guessed body under the erased decision's key confirms nothing.
    let res = http()
        .post(app.url(&format!("/api/v1/systems/{id}/decisions")))
        .bearer_auth(&bank)
        .json(&json!([marked]))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 409);
    assert!(res.text().await.unwrap().contains("erased"));
}

#[tokio::test]
async fn control_characters_are_refused_naming_the_field() {
    let app = TestApp::start(true).await;
    let bank = token(&app.store, "admin@indus-bank.demo", &["systems:read", "systems:write"]).await;
    // NUL is refused before any handler reads the body (400, `nul.rs`), on both databases.
    let mut record = common::record("x");
    record["name"]["en"] = json!("Loan\u{0}scoring");
    let res =
        http().post(app.url("/api/v1/org/systems")).bearer_auth(&bank).json(&record).send().await.unwrap();
    assert_eq!(res.status(), 400, "NUL");
    for (name, bad) in [("vertical tab", "Loan\u{B}scoring"), ("escape", "\u{1B}[31m"), ("DEL", "a\u{7F}")] {
        let mut record = common::record("x");
        record["name"]["en"] = json!(bad);
        let res = http()
            .post(app.url("/api/v1/org/systems"))
            .bearer_auth(&bank)
            .json(&record)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 422, "{name}");
        let problem: Value = res.json().await.unwrap();
        assert_eq!(problem["field"], "name.en", "{name}: {problem}");
    }
    // Any JSON body, at any depth.
    let id = common::create_draft(&app, &bank, "Control check").await;
    let res = http()
        .post(app.url(&format!("/api/v1/org/systems/{id}/transitions")))
        .bearer_auth(&bank)
        .json(&json!({"to": "submitted", "reason": "ok\u{C}"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    assert_eq!(res.json::<Value>().await.unwrap()["field"], "reason");
    // Forms too: tab, newline and carriage return are text, a vertical tab is not.
    let c = sign_in(&app, "admin@indus-bank.demo", password("admin@indus-bank.demo")).await;
    let t = csrf(&app, &c).await;
    let res = c
        .post(app.url("/app/settings/tokens"))
        .form(&[("csrf", t.as_str()), ("name", "line\u{B}feed"), ("scope", "systems:read"), ("days", "30")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("U+000B"));
    let res = c
        .post(app.url("/app/settings/tokens"))
        .form(&[
            ("csrf", t.as_str()),
            ("name", "tab\tand\r\nnewline"),
            ("scope", "systems:read"),
            ("days", "30"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn caching_404s_and_problem_instances() {
    let app = TestApp::start(true).await;
    let anon = http().get(app.url("/register")).send().await.unwrap();
    assert!(anon.headers().get("cache-control").is_none_or(|v| v != "no-store"));
    let c = sign_in(&app, "admin@indus-bank.demo", password("admin@indus-bank.demo")).await;
    for path in ["/app", "/register", "/app/settings/tokens"] {
        let res = c.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.headers()["cache-control"], "no-store", "{path} signed in");
    }
    let bank = token(&app.store, "admin@indus-bank.demo", &["systems:read"]).await;
    let res = http().get(app.url("/api/v1/org/systems")).bearer_auth(&bank).send().await.unwrap();
    assert_eq!(res.headers()["cache-control"], "no-store");

    let res = http().get(app.url("/static/no-such-file.css")).send().await.unwrap();
    assert_eq!(res.status(), 404);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    assert!(res.text().await.unwrap().contains("<h1>"));

    let res = http().get(app.url("/log/2026/no-such-file?x=1")).send().await.unwrap();
    assert_eq!(res.status(), 404);
    let problem: Value = res.json().await.unwrap();
    assert_eq!(problem["instance"], "/log/2026/no-such-file?x=1");
}

#[tokio::test]
async fn a_reviewer_makes_their_own_review_token() {
    let app = TestApp::start(true).await;
    let email = "reviewer2@regulator.demo";
    let c = sign_in(&app, email, password(email)).await;
    let page = c.get(app.url("/app/settings/tokens")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let t = csrf_of(&page.text().await.unwrap());
    // Not a permission they lack.
    let res = c
        .post(app.url("/app/settings/tokens"))
        .form(&[("csrf", t.as_str()), ("name", "grab"), ("scope", "register:transition"), ("days", "30")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let res = c
        .post(app.url("/app/settings/tokens"))
        .form(&[("csrf", t.as_str()), ("name", "my reviews"), ("scope", "review:decide"), ("days", "30")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    let start = html.find("id=\"new-token\">").unwrap() + "id=\"new-token\">".len();
    let secret = &html[start..start + html[start..].find('<').unwrap()];
    let res = http().get(app.url("/api/v1/review/queue")).bearer_auth(secret).send().await.unwrap();
    assert_eq!(res.status(), 200, "the reviewer's own token reaches the review API");
    // They see only their own tokens, not the regulator's.
    let admin = token(&app.store, "admin@regulator.demo", &["register:queue"]).await;
    assert!(!admin.is_empty());
    let page = c.get(app.url("/app/settings/tokens")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("my reviews") && !page.contains(">test<"), "only their own tokens are listed");
}

/// Every append-only table, on both databases: an UPDATE, and unless the table allows erasure
/// a DELETE and (on PostgreSQL) a TRUNCATE, are refused with the trigger's own message, and the
/// rows are as they were. Every table with a trigger is on the list, so a new protected table
/// cannot go untested.
#[tokio::test]
async fn every_append_only_table_refuses_change_and_keeps_its_rows() {
    use mizan_store::{APPEND_ONLY, Change};
    let app = TestApp::start(true).await;
    // Rows where the demo has none: a tier override, an intake stop, a security event.
    let (id, _) = common::registered_system(&app, "Append-only probe").await;
    let reg =
        token(&app.store, "admin@regulator.demo", &["register:queue", "register:transition", "intake:stop"])
            .await;
    let res = http()
        .post(app.url(&format!("/api/v1/regulator/systems/{id}/tier-override")))
        .bearer_auth(&reg)
        .json(&json!({"tier": "high", "reason": "probe"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let res = http()
        .post(app.url(&format!("/api/v1/systems/{id}/intake/stop")))
        .bearer_auth(&reg)
        .json(&json!({"reason": "probe of the stop history"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap_or_default());
    app.store.record_security_event("probe", "probe", "127.0.0.1", "probe").await.unwrap();
    // An explanation: a demo loan decision's, computed on first request.
    let org = app.store.org_by_slug("demo-indus-bank").await.unwrap();
    let scope = mizan_store::OrgScope::new(org.id);
    let loans = app
        .store
        .org_systems(scope)
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.name_en == "Personal loan credit scoring")
        .expect("the demo loan system");
    let target = app.store.decision_target(scope, &loans.public_id, 0).await.unwrap();
    let found = app.store.decisions_by_key(scope, &target, &["demo-loan-017"]).await.unwrap();
    let reference = &found["demo-loan-017"].reference;
    let res = http().get(app.url(&format!("/api/v1/receipts/{reference}/explanation"))).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let explanation: Value = res.json().await.unwrap();
    let factor = explanation["features"][0]["name"].as_str().expect("a factor").to_owned();
    // A case history: an appeal of that decline.
    let res = http()
        .post(app.url(&format!("/api/v1/receipts/{reference}/appeals")))
        .json(&json!({"grounds": "A factor was recorded wrongly.", "category": "wrong-data",
                      "disputed": [factor], "consent": false, "lang": "en"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap_or_default());
    // An oversight policy (the empty one holds nothing, and is still recorded).
    let bank = token(&app.store, "admin@indus-bank.demo", &["systems:read", "oversight:set"]).await;
    let res = http()
        .put(app.url(&format!("/api/v1/org/systems/{id}/oversight")))
        .bearer_auth(&bank)
        .json(&json!({"version": 1, "policy": {}}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap_or_default());

    // A dataset: a version, a publication, an acceptance of terms and a governed download.
    let steward = token(&app.store, "steward@citizen-services.demo", &["datasets:write"]).await;
    let res = http()
        .post(app.url("/api/v1/org/datasets"))
        .bearer_auth(&steward)
        .json(&json!({"slug": "append-only-probe", "meta": {
            "title": {"en": "Probe"}, "description": {"en": "A probe of the append-only tables."},
            "licence": "cc-by-4.0", "contact": {"name": "Data office", "email": "data@citizen-services.demo"},
            "frequency": "NEVER", "access": "registered"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap_or_default());
    let res = http()
        .put(app.url("/api/v1/org/datasets/append-only-probe/files/probe.csv?after=1"))
        .bearer_auth(&steward)
        .body("a,b\n1,2\n")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap_or_default());
    let res = http()
        .post(app.url("/api/v1/org/datasets/append-only-probe/versions/2/publish"))
        .bearer_auth(&steward)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap_or_default());
    let view = app.platform.public_dataset("append-only-probe", None).await.unwrap();
    let (user, _) = app.store.user_for_login("admin@indus-bank.demo").await.unwrap().unwrap();
    app.platform.accept_terms(&view, user.id).await.unwrap();
    app.platform
        .dataset_download(
            &view,
            "probe.csv",
            mizan_app::dataset_access::Downloader { user: Some(user.id), token: None },
        )
        .await
        .unwrap();
    // An access request and a download token of its approval.
    mizan_app::demo::seed_datasets(&app.platform).await.unwrap();
    mizan_app::demo::seed_data_access(&app.platform).await.unwrap();
    // Sandbox settings, spends and a synthetic sample.
    assert_eq!(mizan_app::demo::seed_sandbox(&app.platform).await.unwrap(), 2);
    let (case, _) = app.store.case_by_reference("DA-DEM0000001").await.unwrap();
    let granted = app.platform.public_dataset("microfinance-repayments", None).await.unwrap();
    let (researcher, _) = app.store.user_for_login(mizan_app::demo::RESEARCHER).await.unwrap().unwrap();
    app.store
        .add_access_token(&mizan_store::NewAccessToken {
            case_id: case.id,
            dataset_id: granted.stored.dataset_id,
            version: granted.stored.version,
            user_id: researcher.id,
            token_hash: "0".repeat(64),
            expires_at: "2027-06-01T00:00:00Z".into(),
        })
        .await
        .unwrap();

    // The compute grid's resources, allocations, imports and jobs.
    mizan_app::demo::seed_grid(&app.platform).await.expect("demo grid");
    let postgres = app.store.backend() == mizan_store::Backend::Postgres;
    for &(table, _, deletable) in APPEND_ONLY {
        let before = app.store.table_fingerprint(table).await.unwrap();
        assert!(before.0 > 0, "`{table}` has no rows, so a refusal would prove nothing");
        let mut changes = vec![Change::Update];
        if !deletable {
            changes.push(Change::Delete);
            if postgres {
                changes.push(Change::Truncate);
            }
        }
        for change in changes {
            let err = app
                .store
                .try_change(table, change)
                .await
                .expect_err(&format!("{change:?} of `{table}` must be refused"))
                .to_string();
            // The trigger's own words: TRUNCATE cascades, so another protected table's trigger
            // may be the one that speaks.
            let own = ["is append-only", "is immutable", "are computed once"].iter().any(|w| err.contains(w));
            assert!(own, "{change:?} of `{table}`: not a trigger's refusal: {err}");
            if change != Change::Truncate {
                assert!(err.contains(table), "{change:?} of `{table}`: {err}");
            }
            assert_eq!(app.store.table_fingerprint(table).await.unwrap(), before, "{change:?} of `{table}`");
        }
    }
    let mut listed: Vec<&str> = APPEND_ONLY.iter().map(|(t, _, _)| *t).collect();
    listed.sort_unstable();
    assert_eq!(
        app.store.tables_with_triggers().await.unwrap(),
        listed,
        "every table with a trigger is tested"
    );
}
