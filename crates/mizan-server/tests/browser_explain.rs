//! The explanation pages in headless Chromium with axe-core on every page: a citizen looks up a
//! demo receipt from the register and reads it in English and Urdu (with the technical record
//! opened), a provider opens the models page, and the regulator reads every number of a
//! decision. Needs Chromium and axe-core like `browser.rs` (`scripts/test` installs both);
//! missing either is a failure, never a skip.

mod common;

use std::process::Stdio;
use std::time::Duration;

use common::{TestApp, password};
use mizan_store::OrgScope;
use thirtyfour::prelude::*;

struct Browser {
    driver: WebDriver,
    axe: String,
    app: TestApp,
    _chromedriver: tokio::process::Child,
    _profile: tempfile::TempDir,
    shots: usize,
}

fn axe_path() -> std::path::PathBuf {
    std::env::var_os("MIZAN_AXE_JS").map(Into::into).unwrap_or_else(|| {
        let home = std::env::var_os("HOME").unwrap_or_default();
        std::path::Path::new(&home).join(".cache/mizan-npm/node_modules/axe-core/axe.min.js")
    })
}

impl Browser {
    async fn start() -> Browser {
        let axe_file = axe_path();
        let axe = std::fs::read_to_string(&axe_file).unwrap_or_else(|e| {
            panic!(
                "axe-core not found at `{}` ({e}); run scripts/test, which installs it",
                axe_file.display()
            )
        });
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").expect("free port");
            l.local_addr().expect("addr").port()
        };
        let chromedriver = tokio::process::Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("chromedriver not found; run scripts/test, which installs chromium and chromium-driver");
        // Wait until the driver answers (bounded): readiness polling, not a timing assumption.
        let status = format!("http://127.0.0.1:{port}/status");
        let mut ready = false;
        for _ in 0..100 {
            if reqwest::get(&status).await.is_ok() {
                ready = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(ready, "chromedriver did not start on port {port}");
        let profile = tempfile::tempdir().expect("profile dir");
        let mut caps = DesiredCapabilities::chrome();
        caps.set_binary("/usr/bin/chromium").expect("binary");
        for arg in [
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=1280,900",
            &format!("--user-data-dir={}", profile.path().display()),
        ] {
            caps.add_arg(arg).expect("arg");
        }
        let driver = WebDriver::new(format!("http://127.0.0.1:{port}"), caps).await.expect("start chromium");
        let app = TestApp::start(true).await;
        Browser { driver, axe, app, _chromedriver: chromedriver, _profile: profile, shots: 0 }
    }

    async fn open(&self, path: &str) {
        self.driver.goto(self.app.url(path)).await.expect("navigate");
    }

    /// Runs axe-core on the current page and fails with every violation listed.
    async fn check_a11y(&mut self, label: &str) {
        self.driver.execute(&self.axe, vec![]).await.expect("inject axe");
        let ret = self
            .driver
            .execute(
                "return axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a','wcag2aa','wcag21a','wcag21aa','best-practice']}})\
                 .then(r => r.violations.map(v => v.id + ': ' + v.help + ' at ' + v.nodes.map(n => n.target.join(' ')).slice(0, 3).join(' | ')));",
                vec![],
            )
            .await
            .expect("run axe");
        let violations: Vec<String> = serde_json::from_value(ret.json().clone()).expect("violations list");
        if let Some(dir) = std::env::var_os("MIZAN_SCREENSHOTS") {
            self.shots += 1;
            let file = std::path::Path::new(&dir).join(format!("{:02}-{label}.png", self.shots));
            self.driver.screenshot(&file).await.expect("screenshot");
        }
        assert!(violations.is_empty(), "axe-core violations on {label}:\n{}", violations.join("\n"));
    }

    /// Waits (bounded) until an element's text contains `needle`: after a click that navigates,
    /// the old page may still be there for a moment.
    async fn expect_text(&self, css: &str, needle: &str) {
        let mut last = String::new();
        for _ in 0..100 {
            if let Ok(el) = self.driver.find(By::Css(css)).await
                && let Ok(t) = el.text().await
            {
                if t.contains(needle) {
                    return;
                }
                last = t;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("`{css}` never contained `{needle}` (last: `{last}`)");
    }

    /// Waits (bounded) until the page's address contains `needle` and the page has finished
    /// loading: a submit navigates asynchronously, and reading the DOM before then sees either
    /// the old page or an empty new one.
    async fn wait_url(&self, needle: &str) {
        let mut last = String::new();
        for _ in 0..100 {
            if let Ok(url) = self.driver.current_url().await {
                last = url.to_string();
                let ready = self.driver.execute("return document.readyState;", vec![]).await.ok();
                if last.contains(needle) && ready.is_some_and(|r| r.json().as_str() == Some("complete")) {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("address never contained `{needle}` (last: `{last}`)");
    }

    async fn fill(&self, css: &str, value: &str) {
        let el = self.driver.query(By::Css(css)).first().await.unwrap_or_else(|_| panic!("`{css}` on page"));
        el.clear().await.expect("clear");
        el.send_keys(value).await.expect("type");
    }

    async fn click(&self, css: &str) {
        self.driver
            .query(By::Css(css))
            .first()
            .await
            .unwrap_or_else(|_| panic!("`{css}` on page"))
            .click()
            .await
            .expect("click");
    }

    async fn sign_in(&self, email: &str) {
        self.driver.delete_all_cookies().await.expect("cookies");
        self.open("/login").await;
        self.fill("#email", email).await;
        self.fill("#password", password(email)).await;
        self.click("form.narrow button[type=submit]").await;
    }

    async fn quit(self) {
        self.driver.quit().await.expect("quit");
    }
}

/// The demo personal-loan system's public id and its decisions' references, by key.
async fn demo_loan(app: &TestApp) -> (String, Vec<String>) {
    let org = app.store.org_by_slug("demo-indus-bank").await.expect("bank");
    let scope = OrgScope::new(org.id);
    let system = app
        .store
        .org_systems(scope)
        .await
        .expect("systems")
        .into_iter()
        .find(|s| s.name_en == "Personal loan credit scoring")
        .expect("loan system");
    let target = app.store.decision_target(scope, &system.public_id).await.expect("target");
    let keys: Vec<String> = (0..24).map(|i| format!("demo-loan-{i:03}")).collect();
    let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
    let found = app.store.decisions_by_key(scope, target, &refs).await.expect("decisions");
    (system.public_id, keys.iter().map(|k| found[k].reference.clone()).collect())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_citizen_reads_a_receipt_and_the_regulator_reads_every_number() {
    let mut b = Browser::start().await;
    let (loan, refs) = demo_loan(&b.app).await;
    let declined = refs[17].clone();

    // From the register's lookup form to the receipt, in English.
    b.open("/register?lang=en").await;
    b.expect_text("#receipt-lookup-title", "Look up a decision receipt").await;
    b.check_a11y("register-with-receipt-lookup").await;
    b.fill("#receipt-reference", &declined).await;
    b.click("form.receipt-lookup button[type=submit]").await;
    b.wait_url(&format!("/receipt/{declined}")).await;
    b.expect_text("h1", "Your decision").await;
    b.expect_text("ul.factors-against", "Existing loans").await;
    b.expect_text("ul.options", "instead of 49,623").await;
    b.check_a11y("receipt-en").await;
    b.click("#technical summary").await;
    b.expect_text("#residual", "e").await;
    b.check_a11y("receipt-technical-en").await;

    // The same receipt in Urdu, right to left.
    b.open(&format!("/receipt/{declined}?lang=ur")).await;
    b.expect_text("h1", "آپ کا فیصلہ").await;
    let dir = b.driver.find(By::Css("html")).await.expect("html").attr("dir").await.expect("dir");
    assert_eq!(dir.as_deref(), Some("rtl"));
    b.expect_text("ul.factors-against", "موجودہ قرضے").await;
    b.check_a11y("receipt-ur").await;

    // An approved applicant: nothing to change.
    b.open(&format!("/receipt/{}?lang=en", refs[4])).await;
    b.expect_text("section.recourse", "No change is needed").await;
    b.check_a11y("receipt-approved-en").await;

    // The lookup page on its own.
    b.open("/receipt?lang=ur").await;
    b.expect_text("h1", "رسید").await;
    b.check_a11y("receipt-lookup-ur").await;

    // The provider's models page.
    b.sign_in("admin@indus-bank.demo").await;
    b.wait_url("/app").await;
    b.open(&format!("/app/systems/{loan}/models?lang=en")).await;
    b.expect_text("h1", "Models and explanations").await;
    b.expect_text("table", "mizan-linear-json").await;
    b.check_a11y("models-en").await;
    b.open(&format!("/app/systems/{loan}/models?lang=ur")).await;
    b.expect_text("h1", "ماڈل اور وضاحتیں").await;
    b.check_a11y("models-ur").await;

    // The regulator: the system's decisions, then every number of one.
    b.sign_in("admin@regulator.demo").await;
    b.wait_url("/regulator").await;
    b.open(&format!("/regulator/systems/{loan}/decisions?lang=en")).await;
    b.expect_text("h1", "Logged decisions").await;
    b.check_a11y("regulator-decisions").await;
    b.click(&format!("a[href='/regulator/decisions/{declined}']")).await;
    b.wait_url(&format!("/regulator/decisions/{declined}")).await;
    b.expect_text("table.numbers", "monthly_income_pkr").await;
    b.check_a11y("regulator-decision").await;
    b.quit().await;
}
