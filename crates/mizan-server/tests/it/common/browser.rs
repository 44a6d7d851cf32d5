//! A headless Chromium driven through ChromeDriver, with axe-core run on pages: shared by the
//! browser suites. Needs Chromium, ChromeDriver and axe-core (`scripts/test` installs them);
//! missing any is a failure, never a skip.

use std::process::Stdio;
use std::time::Duration;

use thirtyfour::prelude::*;

use super::{TestApp, password};

pub struct Browser {
    pub driver: WebDriver,
    axe: String,
    pub app: TestApp,
    _chromedriver: tokio::process::Child,
    _profile: tempfile::TempDir,
    shots: usize,
}

fn axe_path() -> std::path::PathBuf {
    std::env::var_os("MIZAN_AXE_JS").map_or_else(
        || {
            let home = std::env::var_os("HOME").unwrap_or_default();
            std::path::Path::new(&home).join(".cache/mizan-npm/node_modules/axe-core/axe.min.js")
        },
        Into::into,
    )
}

impl Browser {
    pub async fn start() -> Browser {
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

    pub async fn open(&self, path: &str) {
        self.driver.goto(self.app.url(path)).await.expect("navigate");
    }

    /// Runs axe-core on the current page and fails with every violation listed.
    pub async fn check_a11y(&mut self, label: &str) {
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

    /// Makes the window `width` CSS pixels wide (a phone held upright), and checks it took.
    pub async fn phone_width(&self, width: u32) {
        self.driver.set_window_rect(0, 0, width, 844).await.expect("window size");
        let inner = self.driver.execute("return window.innerWidth;", vec![]).await.expect("innerWidth");
        assert_eq!(inner.json().as_u64(), Some(u64::from(width)), "the page is {width} px wide");
    }

    /// Fails when the current page scrolls sideways, naming the elements that stick out.
    pub async fn assert_no_sideways_scroll(&self, label: &str) {
        let ret = self
            .driver
            .execute(
                "const root = document.documentElement, w = root.clientWidth; \
                 const out = [...document.querySelectorAll('body *')].filter(e => { \
                   const r = e.getBoundingClientRect(); return r.width > 0 && (r.right > w + 0.5 || r.left < -0.5); }) \
                 .slice(0, 5).map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') \
                   + (e.className && typeof e.className === 'string' ? '.' + e.className.trim().replace(/ +/g, '.') : '') \
                   + ' ' + Math.round(e.getBoundingClientRect().left) + '..' + Math.round(e.getBoundingClientRect().right)); \
                 return [root.scrollWidth, w, out];",
                vec![],
            )
            .await
            .expect("measure");
        let (scroll, width, out): (u64, u64, Vec<String>) =
            serde_json::from_value(ret.json().clone()).expect("widths");
        assert!(
            scroll <= width,
            "{label} scrolls sideways: {scroll} px of content in {width} px; sticking out: {}",
            out.join(", ")
        );
    }

    pub async fn text(&self, css: &str) -> String {
        self.driver
            .query(By::Css(css))
            .first()
            .await
            .unwrap_or_else(|_| panic!("`{css}` on page"))
            .text()
            .await
            .expect("text")
    }

    /// Waits (bounded) until an element's text contains `needle`: after a click that navigates,
    /// the old page may still be there for a moment.
    pub async fn expect_text(&self, css: &str, needle: &str) {
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
    pub async fn wait_url(&self, needle: &str) {
        if let Err(last) = self.wait_loaded(|url| url.contains(needle)).await {
            panic!("address never contained `{needle}` (last: `{last}`)");
        }
    }

    /// Waits (bounded) until a loaded page's address satisfies `want`; the last address seen if
    /// it never did.
    async fn wait_loaded(&self, want: impl Fn(&str) -> bool) -> Result<(), String> {
        let mut last = String::new();
        for _ in 0..100 {
            if let Ok(url) = self.driver.current_url().await {
                last = url.to_string();
                let ready = self.driver.execute("return document.readyState;", vec![]).await.ok();
                if want(&last) && ready.is_some_and(|r| r.json().as_str() == Some("complete")) {
                    return Ok(());
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err(last)
    }

    pub async fn fill(&self, css: &str, value: &str) {
        let el = self.driver.query(By::Css(css)).first().await.unwrap_or_else(|_| panic!("`{css}` on page"));
        el.clear().await.expect("clear");
        el.send_keys(value).await.expect("type");
    }

    pub async fn click(&self, css: &str) {
        self.driver
            .query(By::Css(css))
            .first()
            .await
            .unwrap_or_else(|_| panic!("`{css}` on page"))
            .click()
            .await
            .expect("click");
    }

    pub async fn sign_in(&self, email: &str) {
        self.driver.delete_all_cookies().await.expect("cookies");
        self.open("/login").await;
        self.fill("#email", email).await;
        self.fill("#password", password(email)).await;
        self.click("form.narrow button[type=submit]").await;
        // The click only starts the POST. Until its answer has set the session cookie and the
        // browser has loaded the page it redirects to, a navigation by the test could race it
        // (and lose to the redirect, or arrive without the cookie).
        if let Err(last) = self.wait_loaded(|url| !url.contains("/login")).await {
            panic!("signing in as {email} never left the sign-in page (last: `{last}`)");
        }
    }

    pub async fn quit(self) {
        self.driver.quit().await.expect("quit");
    }
}
