//! The explanation pages in headless Chromium with axe-core on every page: a citizen looks up a
//! demo receipt from the register and reads it in English and Urdu (with the technical record
//! opened), a provider opens the models page, and the regulator reads every number of a
//! decision. Needs Chromium and axe-core like `browser.rs` (`scripts/test` installs both);
//! missing either is a failure, never a skip.

use crate::common::TestApp;
use crate::common::browser::Browser;
use mizan_store::OrgScope;
use thirtyfour::prelude::*;

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
    let target = app.store.decision_target(scope, &system.public_id, 0).await.expect("target");
    let keys: Vec<String> = (0..24).map(|i| format!("demo-loan-{i:03}")).collect();
    let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
    let found = app.store.decisions_by_key(scope, &target, &refs).await.expect("decisions");
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
    // The residual shown is a number in scientific notation, and TreeSHAP's is tiny: the
    // contributions add up to the margin.
    let shown = b.driver.find(By::Css("#residual")).await.expect("residual").text().await.expect("text");
    let residual: f64 = shown.trim().parse().unwrap_or_else(|_| panic!("`{shown}` is not a number"));
    assert!(residual.abs() < 1e-4, "additivity residual {residual}");
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
