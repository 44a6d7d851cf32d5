//! Human oversight of decisions (issue #17 item 5): a provider's policy per system version holds
//! decisions for a person's review; they are logged `pending_review` and have no effect until a
//! reviewer confirms or changes them, which logs the final decision superseding the held one.
//! Reviewers' agreement with the AI is counted per reviewer and per system, and the share a
//! person changed is public.

use mizan_store::OrgScope;
use serde_json::{Value, json};

use crate::common::{self, TestApp, token};

fn http() -> reqwest::Client {
    reqwest::Client::new()
}

const BANK: &str = "admin@indus-bank.demo";

/// One decision time for the whole run, so a decision sent again has the same body.
static WHEN: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    mizan_formats::decision::format_decided_at(time::OffsetDateTime::now_utc() - time::Duration::minutes(1))
        .unwrap()
});

fn decision(key: &str, output: &str, score: f64, features: Value) -> Value {
    json!({
        "idempotency_key": key,
        "system_version": 1,
        "model_hash": "sha256:9f2c0d6e",
        "features": features,
        "output": output,
        "score": score,
        "human": {"involved": false, "by": null},
        "decided_at": WHEN.as_str(),
        "subject_ref": format!("applicant-{key}"),
    })
}

async fn log(app: &TestApp, id: &str, bearer: &str, items: &Value) -> Vec<Value> {
    let res = http()
        .post(app.url(&format!("/api/v1/systems/{id}/decisions")))
        .bearer_auth(bearer)
        .json(items)
        .send()
        .await
        .unwrap();
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert!(status.is_success(), "logged: {status} {body}");
    body["receipts"].as_array().unwrap().clone()
}

async fn put_policy(app: &TestApp, id: &str, bearer: &str, body: &Value) -> reqwest::Response {
    http()
        .put(app.url(&format!("/api/v1/org/systems/{id}/oversight")))
        .bearer_auth(bearer)
        .json(body)
        .send()
        .await
        .unwrap()
}

async fn review(app: &TestApp, bearer: &str, reference: &str, body: &Value) -> reqwest::Response {
    http()
        .post(app.url(&format!("/api/v1/org/oversight/{reference}/moves")))
        .bearer_auth(bearer)
        .json(body)
        .send()
        .await
        .unwrap()
}

async fn json_of(res: reqwest::Response) -> (u16, Value) {
    let status = res.status().as_u16();
    let text = res.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

/// A held decision's review as `bearer` reads it: the status and the body.
async fn held_detail(app: &TestApp, bearer: &str, case: &str) -> (u16, Value) {
    json_of(
        http()
            .get(app.url(&format!("/api/v1/org/oversight/{case}")))
            .bearer_auth(bearer)
            .send()
            .await
            .unwrap(),
    )
    .await
}

/// The review case of held decision `decision`, from the queue.
async fn case_of(app: &TestApp, bearer: &str, decision: &str) -> String {
    let (status, queue) =
        json_of(http().get(app.url("/api/v1/org/oversight")).bearer_auth(bearer).send().await.unwrap()).await;
    assert_eq!(status, 200, "{queue}");
    queue
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["decision"] == decision)
        .and_then(|h| h["reference"].as_str())
        .unwrap_or_else(|| panic!("{decision} is not in the queue: {queue}"))
        .to_owned()
}

#[tokio::test]
async fn a_policy_holds_decisions_until_a_person_reviews_them() {
    let app = TestApp::start(true).await;
    let (id, bank) = common::registered_system(&app, "Oversight holds").await;
    let reviewer = token(&app.store, BANK, &["oversight:set", "oversight:review", "decisions:write"]).await;

    // Setting a policy needs the permission, a version the system has, and a policy that is
    // right; a wrong rule is named.
    let policy = json!({
        "adverse_outputs": ["decline"],
        "margin": {"threshold": 0.5, "width": 0.05},
        "features": [{"name": "district", "values": ["Kech"]}]
    });
    assert_eq!(put_policy(&app, &id, &bank, &json!({"version": 1, "policy": policy})).await.status(), 403);
    let (status, body) =
        json_of(put_policy(&app, &id, &reviewer, &json!({"version": 9, "policy": policy})).await).await;
    assert_eq!(status, 409, "{body}");
    let (status, body) = json_of(
        put_policy(&app, &id, &reviewer, &json!({"version": 1, "policy": {"sample_percent": 150}})).await,
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(body.to_string().contains("sample_percent"), "{body}");
    let (status, body) =
        json_of(put_policy(&app, &id, &reviewer, &json!({"version": 1, "policy": policy})).await).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["policies"][0]["from_version"], 1);
    assert_eq!(body["policies"][0]["policy"]["adverse_outputs"], json!(["decline"]));

    // Each rule holds what it names, and nothing else.
    let receipts = log(
        &app,
        &id,
        &bank,
        &json!([
            decision("adverse", "decline", 0.2, json!({"income": 1})),
            decision("clear", "approve", 0.9, json!({"income": 2})),
            decision("close", "approve", 0.52, json!({"income": 3})),
            decision("kech", "approve", 0.9, json!({"income": 4, "district": "Kech"})),
        ]),
    )
    .await;
    let status: Vec<&str> = receipts.iter().map(|r| r["status"].as_str().unwrap()).collect();
    assert_eq!(status, ["pending_review", "in_effect", "pending_review", "pending_review"]);
    assert_eq!(receipts[0]["held_for"], json!(["adverse"]));
    assert_eq!(receipts[2]["held_for"], json!(["margin"]));
    assert_eq!(receipts[3]["held_for"], json!(["feature"]));
    assert!(receipts[1].get("held_for").is_none());
    let held = receipts[0]["reference"].as_str().unwrap().to_owned();
    let close = receipts[2]["reference"].as_str().unwrap().to_owned();

    // The person decided about sees that it has no effect yet, and cannot appeal it meanwhile;
    // nor can it be erased while its review is open.
    let page =
        app.client().get(app.url(&format!("/receipt/{held}"))).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("id=\"held\""), "the receipt says it waits for a person");
    assert!(!page.contains("id=\"ask-review\""), "no appeal while a person reviews it");
    let res = http()
        .post(app.url(&format!("/api/v1/receipts/{held}/appeals")))
        .json(&json!({"grounds": "wrong", "category": "other"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 409);
    let res = http()
        .delete(app.url(&format!("/api/v1/org/decisions/{held}")))
        .bearer_auth(&bank)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 409);
    assert!(res.text().await.unwrap().contains("review"));

    // Another organisation's reviewer does not see it; the queue has the three held ones.
    let other = token(&app.store, "admin@rahbar-health.demo", &["oversight:review"]).await;
    let case = case_of(&app, &reviewer, &held).await;
    assert!(case.starts_with("OV-"), "{case}");
    assert_eq!(held_detail(&app, &other, &case).await.0, 404);
    assert_eq!(
        review(&app, &other, &case, &json!({"move": "review", "outcome": "confirmed"})).await.status(),
        404
    );
    let (_, detail) = held_detail(&app, &reviewer, &case).await;
    assert_eq!(detail["output"], "decline");
    assert_eq!(detail["features"]["income"], 1);
    assert_eq!(detail["moves"], json!(["review"]));

    // The reviewer confirms: the final decision is logged, by a person, superseding the held one.
    let (status, after) = json_of(
        review(
            &app,
            &reviewer,
            &case,
            &json!({"move": "review", "outcome": "confirmed", "reasons": "Four open loans."}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{after}");
    assert_eq!(after["state"], "reviewed");
    let final_ref = after["final_decision"].as_str().expect("final decision").to_owned();
    let (_, old) =
        json_of(http().get(app.url(&format!("/api/v1/receipts/{held}"))).send().await.unwrap()).await;
    let (_, new) =
        json_of(http().get(app.url(&format!("/api/v1/receipts/{final_ref}"))).send().await.unwrap()).await;
    let record: Value = serde_json::from_str(new["opening"]["record"].as_str().unwrap()).unwrap();
    assert_eq!(record["output"], "decline");
    assert_eq!(record["human"]["involved"], true);
    assert_eq!(record["supersedes"]["leaf_index"], old["leaf_index"]);
    assert_eq!(record["supersedes"]["leaf_hash"], old["leaf_hash"]);
    // Once decided, nothing more.
    let res = review(&app, &reviewer, &case, &json!({"move": "review", "outcome": "confirmed"})).await;
    assert_eq!(res.status(), 409);
    // The held receipt now points to the final decision; sending it again says so.
    let page =
        app.client().get(app.url(&format!("/receipt/{held}"))).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("id=\"superseded\"") && !page.contains("id=\"held\""));
    let again =
        log(&app, &id, &bank, &json!([decision("adverse", "decline", 0.2, json!({"income": 1}))])).await;
    assert_eq!(again[0]["status"], "reviewed");
    assert_eq!(again[0]["final_decision"], final_ref.as_str());

    // Changing the output needs the new output, and a different one.
    let close_case = case_of(&app, &reviewer, &close).await;
    let (status, body) = json_of(
        review(&app, &reviewer, &close_case, &json!({"move": "review", "outcome": "reversed"})).await,
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(body.to_string().contains("new_output"));
    let same = json!({"move": "review", "outcome": "modified", "new_output": "approve"});
    assert_eq!(review(&app, &reviewer, &close_case, &same).await.status(), 400);
    let reverse = json!({"move": "review", "outcome": "reversed", "new_output": "decline", "reasons": "Income unverified."});
    let (status, after) = json_of(review(&app, &reviewer, &close_case, &reverse).await).await;
    assert_eq!(status, 200, "{after}");
    let changed = after["final_decision"].as_str().unwrap();
    let (_, r) =
        json_of(http().get(app.url(&format!("/api/v1/receipts/{changed}"))).send().await.unwrap()).await;
    let record: Value = serde_json::from_str(r["opening"]["record"].as_str().unwrap()).unwrap();
    assert_eq!(record["output"], "decline");

    // Public figures: two reviewed, one changed, one waiting; per reviewer the same.
    let (_, figures) =
        json_of(http().get(app.url(&format!("/api/v1/systems/{id}/oversight"))).send().await.unwrap()).await;
    assert_eq!((figures["reviewed"].as_i64(), figures["changed"].as_i64()), (Some(2), Some(1)), "{figures}");
    assert_eq!(figures["waiting"], 1);
    assert_eq!(figures["share_changed"], 0.5);
    let (_, reviewers) = json_of(
        http().get(app.url("/api/v1/org/oversight-reviewers")).bearer_auth(&reviewer).send().await.unwrap(),
    )
    .await;
    assert_eq!(reviewers.as_array().unwrap().len(), 1, "{reviewers}");
    assert_eq!(reviewers[0]["reviewed"], 2);
    assert_eq!(reviewers[0]["agreement"], 0.5);
    let page =
        app.client().get(app.url(&format!("/register/{id}"))).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("id=\"oversight-changed\""), "the register shows the share changed");
    assert!(page.contains("Kech"), "the register shows the policy's rules");
    let page = app
        .client()
        .get(app.url(&format!("/register/{id}?lang=ur")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("نظرِ ثانی"), "the oversight section is in Urdu");

    // The policy change is an event of the system, on the record.
    let scope = OrgScope::new(app.store.org_by_slug("demo-indus-bank").await.unwrap().id);
    let events = app.store.org_system(scope, &id).await.unwrap().events;
    let set = events.iter().find(|e| e.kind == "oversight-policy").expect("the policy change is an event");
    assert!(set.reason.contains("Kech"), "the event carries the policy: {}", set.reason);
}

#[tokio::test]
async fn the_random_sample_is_drawn_from_the_public_leaf_hash() {
    let app = TestApp::start(true).await;
    let (id, bank) = common::registered_system(&app, "Oversight sample").await;
    let admin = token(&app.store, BANK, &["oversight:set"]).await;
    let res = put_policy(&app, &id, &admin, &json!({"version": 1, "policy": {"sample_percent": 50}})).await;
    assert_eq!(res.status(), 200);
    let items: Vec<Value> =
        (0..40).map(|i| decision(&format!("s{i}"), "approve", 0.9, json!({"i": i}))).collect();
    let receipts = log(&app, &id, &bank, &Value::Array(items)).await;
    let mut held = 0;
    for r in &receipts {
        let mut leaf = [0u8; 32];
        hex::decode_to_slice(r["leaf_hash"].as_str().unwrap(), &mut leaf).unwrap();
        let drawn = mizan_formats::oversight::sample_draw(&leaf) < 50.0;
        assert_eq!(r["status"] == "pending_review", drawn, "anyone can recompute the draw: {r}");
        held += usize::from(drawn);
    }
    assert!((5..=35).contains(&held), "{held} of 40 held at 50 %");
}

#[tokio::test]
async fn two_reviewers_must_agree_where_the_law_asks_for_two() {
    let app = TestApp::start(true).await;
    let (id, bank) = common::registered_system(&app, "Oversight two").await;
    let first = token(&app.store, BANK, &["oversight:set", "oversight:review"]).await;
    let org = app.store.org_by_slug("demo-indus-bank").await.unwrap();
    app.store.set_appeal_settings(OrgScope::new(org.id), &id, 183, 2).await.unwrap();
    put_policy(&app, &id, &first, &json!({"version": 1, "policy": {"adverse_outputs": ["decline"]}})).await;
    let receipts = log(&app, &id, &bank, &json!([decision("a", "decline", 0.1, json!({"x": 1}))])).await;
    let held = receipts[0]["reference"].as_str().unwrap();
    let case = case_of(&app, &first, held).await;
    // A second person of the bank, who may review.
    let user = app.store.create_user("second@indus-bank.demo", "Second Reviewer", "x").await.unwrap();
    app.store.add_membership(user.id, org.id, "appeals-reviewer").await.unwrap();
    let second = common::token_for(&app.store, user.id, org.id, &["oversight:review"]).await;

    let (_, detail) = held_detail(&app, &first, &case).await;
    assert_eq!(detail["moves"], json!(["propose"]), "one reviewer alone cannot settle it");
    // A proposal's new output is checked when it is made, not first when it is confirmed.
    let bad = json!({"move": "propose", "outcome": "reversed", "new_output": {"deep": [1, 2]}});
    let (status, body) = json_of(review(&app, &first, &case, &bad).await).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.to_string().contains("new_output"));
    let propose =
        json!({"move": "propose", "outcome": "reversed", "new_output": "approve", "reasons": "Verified."});
    let (status, after) = json_of(review(&app, &first, &case, &propose).await).await;
    assert_eq!(status, 200, "{after}");
    assert_eq!(after["state"], "confirming");
    assert!(after["final_decision"].is_null(), "nothing takes effect on one person's word");
    let res = review(&app, &first, &case, &json!({"move": "confirm"})).await;
    assert_eq!(res.status(), 403, "the same person cannot confirm their own proposal");
    let (status, after) = json_of(review(&app, &second, &case, &json!({"move": "confirm"})).await).await;
    assert_eq!(status, 200, "{after}");
    assert_eq!(after["state"], "reviewed");
    let new = after["final_decision"].as_str().unwrap();
    let (_, r) = json_of(http().get(app.url(&format!("/api/v1/receipts/{new}"))).send().await.unwrap()).await;
    let record: Value = serde_json::from_str(r["opening"]["record"].as_str().unwrap()).unwrap();
    assert_eq!(record["output"], "approve");
    // The agreement counts the person who settled it.
    let (_, reviewers) = json_of(
        http().get(app.url("/api/v1/org/oversight-reviewers")).bearer_auth(&second).send().await.unwrap(),
    )
    .await;
    assert_eq!(reviewers[0]["reviewer"], "Second Reviewer", "{reviewers}");
    assert_eq!(reviewers[0]["changed"], 1);
}

/// The server stopped between logging a held decision and opening its review: the background
/// pass opens it, once.
#[tokio::test]
async fn a_held_decision_without_its_case_gets_one() {
    let app = TestApp::start(true).await;
    let (id, _) = common::registered_system(&app, "Oversight lost case").await;
    let org = app.store.org_by_slug("demo-indus-bank").await.unwrap();
    let scope = OrgScope::new(org.id);
    let target = app.store.decision_target(scope, &id, 1).await.unwrap();
    let now = mizan_store::format_time(time::OffsetDateTime::now_utc());
    let row = mizan_store::NewDecision {
        idempotency_key: "lost",
        body_sha256: "00",
        system_version: 1,
        record_json: "{}",
        hmac_key: "00",
        decided_at: "2026-11-30T09:15:00Z",
        leaf_index: 990,
        leaf_hash: "00",
        reference: "REF0000000LOSTHELD01",
        logged_at: &now,
        log_origin: "decisions.test/2026",
        held: Some("sample"),
    };
    app.store.insert_decisions(scope, &target, &[row]).await.unwrap();
    assert_eq!(app.platform.reconcile_reviews().await.unwrap(), 1);
    assert_eq!(app.platform.reconcile_reviews().await.unwrap(), 0, "opened once");
    let reviewer = token(&app.store, BANK, &["oversight:review"]).await;
    let case = case_of(&app, &reviewer, "REF0000000LOSTHELD01").await;
    assert!(case.starts_with("OV-"));
}

#[tokio::test]
async fn the_review_pages_work_in_both_languages() {
    let app = TestApp::start(true).await;
    let (id, bank) = common::registered_system(&app, "Oversight pages").await;
    let admin = token(&app.store, BANK, &["oversight:set"]).await;
    put_policy(&app, &id, &admin, &json!({"version": 1, "policy": {"adverse_outputs": ["decline"]}})).await;
    let receipts = log(&app, &id, &bank, &json!([decision("p", "decline", 0.1, json!({"income": 7}))])).await;
    let held = receipts[0]["reference"].as_str().unwrap();
    let c = common::sign_in(&app, BANK, common::password(BANK)).await;
    let page = c.get(app.url("/app/oversight")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Decisions waiting for a person"), "{page}");
    let case = page.split("/app/oversight/OV-").nth(1).map(|s| format!("OV-{}", &s[..10])).expect("a row");
    let page = c.get(app.url(&format!("/app/oversight/{case}"))).send().await.unwrap().text().await.unwrap();
    assert!(page.contains(held) && page.contains("name=\"outcome\""));
    let csrf = common::csrf(&app, &c).await;
    let res = c
        .post(app.url(&format!("/app/oversight/{case}")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("move", "review"),
            ("outcome", "reversed"),
            ("new_output", ""),
            ("reasons", ""),
        ])
        .send()
        .await
        .unwrap();
    let page = res.text().await.unwrap();
    assert!(page.contains("error-summary") && page.contains("new_output"), "the error is named on the page");
    let res = c
        .post(app.url(&format!("/app/oversight/{case}")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("move", "review"),
            ("outcome", "confirmed"),
            ("new_output", ""),
            ("reasons", "Stands."),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303, "a review made goes back to its page");
    let page = c.get(app.url(&format!("/app/oversight/{case}"))).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("id=\"final-decision\""), "after the review the final decision is linked: {page}");
    let ur = c.get(app.url("/app/oversight?lang=ur")).send().await.unwrap().text().await.unwrap();
    assert!(ur.contains("نظرِ ثانی"), "the queue in Urdu");
}

/// A system classified as remote biometric identification (Annex III point 1(a)) needs two
/// people to agree, on a held decision and on an appeal, whatever its own setting says.
#[tokio::test]
async fn remote_biometric_identification_needs_two_reviewers_by_its_classification() {
    let app = TestApp::start(true).await;
    let mut risk = common::high_risk_answers();
    risk["annex_iii_5"] = json!("no");
    risk["annex_iii_1"] = json!("yes");
    risk["annex_iii_1a"] = json!("remote_identification");
    let id = common::registered_high_risk(&app, "Face matching at the gate", risk).await;
    assert_eq!(app.platform.reviewers_required(&id).await.unwrap(), 2);
    let bank = token(&app.store, BANK, &["decisions:write", "oversight:set", "oversight:review"]).await;
    put_policy(&app, &id, &bank, &json!({"version": 1, "policy": {"adverse_outputs": ["no match"]}})).await;
    let receipts =
        log(&app, &id, &bank, &json!([decision("gate-1", "no match", 0.2, json!({"gate": 3}))])).await;
    let case = case_of(&app, &bank, receipts[0]["reference"].as_str().unwrap()).await;
    let (_, detail) = held_detail(&app, &bank, &case).await;
    assert_eq!(detail["moves"], json!(["propose"]), "one person alone cannot settle it");
    // A system not so classified needs one.
    let (other, _) = common::registered_system(&app, "Not biometric").await;
    assert_eq!(app.platform.reviewers_required(&other).await.unwrap(), 1);
}

/// A review that stopped after logging the final decision and before the case moved completes
/// with that decision when made again, and logs no second one.
#[tokio::test]
async fn a_review_interrupted_after_logging_completes_without_a_second_decision() {
    let app = TestApp::start(true).await;
    let (id, bank) = common::registered_system(&app, "Oversight interrupted").await;
    let reviewer = token(&app.store, BANK, &["oversight:set", "oversight:review"]).await;
    put_policy(&app, &id, &reviewer, &json!({"version": 1, "policy": {"adverse_outputs": ["decline"]}}))
        .await;
    let receipts =
        log(&app, &id, &bank, &json!([decision("i-1", "decline", 0.2, json!({"income": 1}))])).await;
    let held = receipts[0]["reference"].as_str().unwrap().to_owned();
    let case = case_of(&app, &reviewer, &held).await;
    // The final decision as the review logs it, then nothing more (the server stopped).
    let mut fin = decision("i-1-final", "approve", 0.2, json!({"income": 1}));
    fin["human"] = json!({"involved": true, "by": "provider-reviewer"});
    fin["supersedes"] = json!(held);
    let logged = log(&app, &id, &bank, &json!([fin])).await;
    let final_ref = logged[0]["reference"].as_str().unwrap().to_owned();
    assert_eq!(logged[0]["status"], "in_effect", "a person's replacing decision is not held again");
    // Made again with another output: refused, naming the decision already logged.
    let (status, body) =
        json_of(review(&app, &reviewer, &case, &json!({"move": "review", "outcome": "confirmed"})).await)
            .await;
    assert_eq!(status, 409, "{body}");
    assert!(body.to_string().contains(&final_ref));
    // Made again as it was: the case records that decision.
    let again = json!({"move": "review", "outcome": "reversed", "new_output": "approve"});
    let (status, after) = json_of(review(&app, &reviewer, &case, &again).await).await;
    assert_eq!(status, 200, "{after}");
    assert_eq!(after["final_decision"], final_ref.as_str());
}
