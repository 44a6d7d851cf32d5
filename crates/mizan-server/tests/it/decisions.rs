//! The decision API end to end: a provider logs decisions, the citizen's receipt proves
//! inclusion offline against the log key, the served log verifies from scratch, bad input
//! writes nothing, and erasure leaves a verifiable log with an unlinkable leaf.

use crate::common;

use std::time::Duration;

use crate::common::{TestApp, create_draft, token};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use mizan_ledger::ack::Acknowledgement;
use mizan_ledger::checkpoint::TlogProof;
use mizan_ledger::leaf::LeafCommitment;
use mizan_ledger::merkle::{Hash, leaf_hash};
use mizan_ledger::note::NoteVerifier;
use mizan_ledger::verify::verify_log;
use mizan_ledger_fs::FsStore;
use mizan_server::error::AppError;
use serde_json::{Value, json};

fn http() -> reqwest::Client {
    reqwest::Client::new()
}

async fn json_of(res: reqwest::Response) -> Value {
    res.json().await.expect("json body")
}

fn decision(key: &str, approve: bool) -> Value {
    json!({
        "idempotency_key": key,
        "system_version": 1,
        "model_hash": "sha256:9f2c0d6e",
        "features": {"income": 85000, "tenure_months": 14, "district": "Multan"},
        "output": if approve { "approve" } else { "decline" },
        "score": if approve { 0.81 } else { 0.34 },
        "human": {"involved": false, "by": null},
        "decided_at": "2026-11-30T09:15:27Z",
        "subject_ref": format!("applicant-{key}")
    })
}

/// A registered system of the demo bank, and a token that may log its decisions.
async fn setup(app: &TestApp) -> (String, String) {
    common::registered_system(app, "Personal loan scoring").await
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

async fn proven(app: &TestApp, reference: &str) -> Value {
    for _ in 0..100 {
        let r = json_of(http().get(app.url(&format!("/api/v1/receipts/{reference}"))).send().await.unwrap())
            .await;
        if r["status"] == "proven" {
            return r;
        }
        assert_eq!(r["status"], "pending");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("receipt {reference} never proven");
}

/// A batch of 203 is stored in multi-row statements of 64, 64, 64, 8, 2 and 1 rows: every
/// decision, whichever statement carried it, opens its own leaf and no other.
#[tokio::test]
async fn every_decision_of_a_large_batch_opens_its_own_leaf() {
    let app = TestApp::start(true).await;
    let (id, bank) = setup(&app).await;
    let batch: Vec<Value> = (0..203).map(|i| decision(&format!("big-{i}"), i % 3 == 0)).collect();
    let res = post(&app, &id, &bank, &json!(batch)).await;
    assert_eq!(res.status(), 201);
    let receipts = json_of(res).await["receipts"].as_array().unwrap().clone();
    assert_eq!(receipts.len(), 203);
    let t =
        time::OffsetDateTime::parse("2026-11-30T09:15:27Z", &time::format_description::well_known::Rfc3339)
            .unwrap()
            .unix_timestamp();
    for (i, receipt) in receipts.iter().enumerate() {
        assert_eq!(receipt["idempotency_key"], format!("big-{i}"));
        let r = proven(&app, receipt["reference"].as_str().unwrap()).await;
        assert_eq!(r["leaf_index"], receipt["leaf_index"], "decision {i}");
        assert_eq!(r["leaf_hash"], receipt["leaf_hash"], "decision {i}");
        let k: [u8; 32] = hex::decode(r["opening"]["k"].as_str().unwrap()).unwrap().try_into().unwrap();
        let record: Value = serde_json::from_str(r["opening"]["record"].as_str().unwrap()).unwrap();
        assert_eq!(record["subject_ref"], format!("applicant-big-{i}"));
        assert_eq!(record["output"], if i % 3 == 0 { "approve" } else { "decline" });
        let leaf = LeafCommitment::commit(&id, t, &record, &k).unwrap().to_bytes();
        assert_eq!(leaf_hash(&leaf).to_hex(), receipt["leaf_hash"], "decision {i}");
    }
    // Sent again (a lookup of 203 keys, which runs off the async workers), every decision gets
    // the receipt it got before, and adds no leaf: the next new decision takes the next index.
    let res = post(&app, &id, &bank, &json!(batch)).await;
    assert_eq!(res.status(), 200);
    let again = json_of(res).await["receipts"].as_array().unwrap().clone();
    for (i, (first, second)) in receipts.iter().zip(&again).enumerate() {
        assert_eq!(first["reference"], second["reference"], "decision {i}");
        assert_eq!(first["leaf_index"], second["leaf_index"], "decision {i}");
    }
    let res = post(&app, &id, &bank, &json!([decision("big-next", true)])).await;
    assert_eq!(res.status(), 201);
    let next = &json_of(res).await["receipts"][0];
    assert_eq!(next["leaf_index"].as_u64().unwrap(), receipts[202]["leaf_index"].as_u64().unwrap() + 1);
}

/// The store's own guard against a second leaf for a key (another process logged it between
/// the lookup and the insert): the whole batch is refused, including its new decisions.
#[tokio::test]
async fn storing_a_key_logged_meanwhile_stores_nothing_of_the_batch() {
    let app = TestApp::start(true).await;
    let (id, bank) = setup(&app).await;
    let res = post(&app, &id, &bank, &json!([decision("taken", true)])).await;
    assert_eq!(res.status(), 201);
    let org = app.store.org_by_slug("demo-indus-bank").await.unwrap();
    let scope = mizan_store::OrgScope::new(org.id);
    let target = app.store.decision_target(scope, &id, 1).await.unwrap();
    let row = |key: &'static str, reference: &'static str, index: u64| mizan_store::NewDecision {
        idempotency_key: key,
        body_sha256: "00",
        system_version: 1,
        record_json: "{}",
        hmac_key: "00",
        decided_at: "2026-11-30T09:15:00Z",
        leaf_index: index,
        leaf_hash: "00",
        reference,
        logged_at: "2026-11-30T09:15:01Z",
        log_origin: "decisions.test/2026",
        held: None,
    };
    let batch = [
        row("fresh-1", "REF00000FRESH1", 900),
        row("taken", "REF00000TAKEN", 901),
        row("fresh-2", "REF00000FRESH2", 902),
    ];
    let err = app.store.insert_decisions(scope, &target, &batch).await.unwrap_err();
    assert!(
        matches!(err, mizan_store::StoreError::Conflict(ref m) if m.contains("logged meanwhile")),
        "{err}"
    );
    let found = app.store.decisions_by_key(scope, &target, &["fresh-1", "fresh-2", "taken"]).await.unwrap();
    assert_eq!(found.keys().collect::<Vec<_>>(), vec!["taken"], "nothing of the refused batch was stored");
    // The same rows without the taken key are stored, and found by key and by reference.
    app.store.insert_decisions(scope, &target, &[batch[0], batch[2]]).await.unwrap();
    let found = app.store.decisions_by_key(scope, &target, &["fresh-1", "fresh-2"]).await.unwrap();
    assert_eq!(found.len(), 2);
    assert_eq!(app.store.decision("REF00000FRESH2").await.unwrap().leaf_index, 902);
}

#[tokio::test]
async fn decisions_get_receipts_that_prove_inclusion_offline() {
    let app = TestApp::start(true).await;
    let (id, bank) = setup(&app).await;
    let batch = json!([decision("a-1", true), decision("a-2", false), decision("a-3", true)]);
    let res = post(&app, &id, &bank, &batch).await;
    assert_eq!(res.status(), 201);
    let receipts = json_of(res).await["receipts"].as_array().unwrap().clone();
    assert_eq!(receipts.len(), 3);
    let indices: Vec<u64> = receipts.iter().map(|r| r["leaf_index"].as_u64().unwrap()).collect();
    assert_eq!(indices[1], indices[0] + 1);
    assert_eq!(indices[2], indices[0] + 2);

    // A retry returns the same receipts (reference, leaf, proof address) and adds no leaf; its
    // acknowledgement is a note for each leaf alone, which verifies just the same.
    let again = post(&app, &id, &bank, &batch).await;
    assert_eq!(again.status(), 200);
    let again = json_of(again).await;
    let again = again["receipts"].as_array().unwrap();
    let without_ack = |r: &Value| {
        let mut r = r.clone();
        let o = r.as_object_mut().unwrap();
        o.remove("acknowledgement");
        o.remove("acknowledgement_proof");
        r
    };
    assert_eq!(
        again.iter().map(without_ack).collect::<Vec<_>>(),
        receipts.iter().map(without_ack).collect::<Vec<_>>()
    );

    // The holder of a reference gets an offline proof and the record's opening.
    let r = proven(&app, receipts[1]["reference"].as_str().unwrap()).await;
    let vkey = NoteVerifier::from_vkey(r["vkey"].as_str().unwrap()).unwrap();
    let proof = TlogProof::parse(r["proof"].as_str().unwrap()).unwrap();
    let leaf = hex::decode(r["leaf"].as_str().unwrap()).unwrap();
    assert_eq!(leaf.len(), 49);
    let cp = proof.verify(&leaf, &vkey).expect("inclusion proof verifies against the log key");
    assert!(cp.checkpoint.size > indices[1]);
    assert_eq!(leaf_hash(&leaf).to_hex(), receipts[1]["leaf_hash"]);
    // The opening recomputes the leaf: HMAC(k, record) with the system id and minute.
    let k: [u8; 32] = hex::decode(r["opening"]["k"].as_str().unwrap()).unwrap().try_into().unwrap();
    let record: Value = serde_json::from_str(r["opening"]["record"].as_str().unwrap()).unwrap();
    assert_eq!(record["output"], "decline");
    assert_eq!(record["subject_ref"], "applicant-a-2");
    let t =
        time::OffsetDateTime::parse("2026-11-30T09:15:27Z", &time::format_description::well_known::Rfc3339)
            .unwrap()
            .unix_timestamp();
    assert_eq!(LeafCommitment::commit(&id, t, &record, &k).unwrap().to_bytes().to_vec(), leaf);
    // No personal identifier is in the leaf: only the system id, the minute and a MAC.
    assert!(!String::from_utf8_lossy(&leaf).contains("applicant"));
    // A tampered proof does not verify.
    let mut bad = leaf.clone();
    bad[20] ^= 1;
    assert!(proof.verify(&bad, &vkey).is_err());

    // Each acknowledgement is a note signed by the log key over a range of leaves, and the
    // receipt's proof puts its leaf in that range. One note covers the whole batch.
    for (r, n) in receipts.iter().chain(again).zip([3, 3, 3, 1, 1, 1]) {
        let ack = Acknowledgement::verify(r["acknowledgement"].as_str().unwrap().as_bytes(), &vkey)
            .expect("acknowledgement signed by the log");
        assert_eq!(ack.count, n);
        let path: Vec<Hash> = r["acknowledgement_proof"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| Hash(B64.decode(h.as_str().unwrap()).unwrap().try_into().unwrap()))
            .collect();
        let leaf = Hash::from_hex(r["leaf_hash"].as_str().unwrap()).unwrap();
        let index = r["leaf_index"].as_u64().unwrap();
        ack.covers(index, &leaf, &path).expect("the leaf is in the acknowledged range");
        assert!(ack.covers(index + 3, &leaf, &path).is_err());
    }
    assert_eq!(receipts[0]["acknowledgement"], receipts[2]["acknowledgement"]);

    // The log is served from files and verifies from scratch with nothing but the vkey.
    let shard = r["log"].as_str().unwrap().rsplit('/').next().unwrap().to_owned();
    let served = http().get(app.url(&format!("/log/{shard}/checkpoint"))).send().await.unwrap();
    assert_eq!(served.status(), 200);
    let served = served.bytes().await.unwrap();
    let dir = app.data_dir.path().join("ledger").join(&shard);
    assert_eq!(served.as_ref(), std::fs::read(dir.join("checkpoint")).unwrap().as_slice());
    let tile = http()
        .get(app.url(&format!("/log/{shard}/tile/0/000.p/{}", cp.checkpoint.size)))
        .send()
        .await
        .unwrap();
    assert_eq!(tile.status(), 200);
    assert_eq!(tile.bytes().await.unwrap().len() as u64, 32 * cp.checkpoint.size);
    for probe in ["../origin", "log.key", "tile/../../log.key", "tile/0/abc"] {
        let res = http().get(app.url(&format!("/log/{shard}/{probe}"))).send().await.unwrap();
        assert_eq!(res.status(), 404, "{probe} is not served");
    }
    let vkey_text =
        http().get(app.url(&format!("/log/{shard}/vkey"))).send().await.unwrap().text().await.unwrap();
    assert_eq!(vkey_text.trim(), r["vkey"]);
    let checked = verify_log(&FsStore::read_only(&dir), &vkey).expect("log verifies");
    assert!(checked.size >= 3);

    // Erasure: the record and key are gone, the log still verifies, the leaf is unlinkable.
    let reference = receipts[1]["reference"].as_str().unwrap();
    let other = token(&app.store, "admin@rahbar-health.demo", &["decisions:write"]).await;
    let res = http()
        .delete(app.url(&format!("/api/v1/org/decisions/{reference}")))
        .bearer_auth(&other)
        .send()
        .await;
    assert_eq!(res.unwrap().status(), 404, "another organisation cannot erase it");
    let res =
        http().delete(app.url(&format!("/api/v1/org/decisions/{reference}"))).bearer_auth(&bank).send().await;
    assert_eq!(res.unwrap().status(), 204);
    let r =
        json_of(http().get(app.url(&format!("/api/v1/receipts/{reference}"))).send().await.unwrap()).await;
    assert_eq!(r["status"], "erased");
    assert!(r["opening"].is_null() && r["leaf"].is_null());
    let proof = TlogProof::parse(r["proof"].as_str().unwrap()).unwrap();
    proof.verify(&leaf, &vkey).expect("the leaf is still provably in the log");
    verify_log(&FsStore::read_only(&dir), &vkey).expect("log verifies after erasure");
}

#[tokio::test]
async fn bad_decision_batches_are_refused_whole() {
    let app = TestApp::start(true).await;
    let (id, bank) = setup(&app).await;
    assert_eq!(post(&app, &id, &bank, &json!([decision("k-1", true)])).await.status(), 201);
    let count = app.store.count_decisions().await.unwrap();
    let size = || {
        let shard = time::OffsetDateTime::now_utc().year().to_string();
        let dir = app.data_dir.path().join("ledger").join(shard);
        std::fs::read_to_string(dir.join("checkpoint")).unwrap_or_default()
    };
    // Wait until the log has published everything logged so far.
    let logged = |cp: &str| cp.lines().nth(1).and_then(|n| n.parse::<i64>().ok()).unwrap_or(0);
    for _ in 0..100 {
        if logged(&size()) >= count {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let before = size();
    assert!(logged(&before) >= count, "log published: {before}");

    let raw = |body: &'static str| {
        http()
            .post(app.url(&format!("/api/v1/systems/{id}/decisions")))
            .bearer_auth(&bank)
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    let res = raw("[{\"idempotency_key\": ").await.unwrap();
    assert_eq!(res.status(), 400);
    assert!(json_of(res).await["detail"].as_str().unwrap().contains("line 1"));
    assert_eq!(raw("{}").await.unwrap().status(), 400);
    assert_eq!(raw("[]").await.unwrap().status(), 400);

    // One bad item spoils the batch: the error names it, nothing is logged.
    let mut late = decision("k-3", true);
    late["decided_at"] = json!("yesterday");
    let res = post(&app, &id, &bank, &json!([decision("k-2", true), late])).await;
    assert_eq!(res.status(), 400);
    let body = json_of(res).await;
    assert_eq!(body["field"], "decisions[1].decided_at", "{body}");
    let mut extra = decision("k-4", true);
    extra["colour"] = json!("red");
    let body = json_of(post(&app, &id, &bank, &json!([extra])).await).await;
    assert_eq!(body["field"], "decisions[0].colour", "{body}");
    let mut missing = decision("k-5", true);
    missing.as_object_mut().unwrap().remove("output");
    let body = json_of(post(&app, &id, &bank, &json!([missing])).await).await;
    assert!(body["detail"].as_str().unwrap().contains("output"), "{body}");
    let mut version = decision("k-6", true);
    version["system_version"] = json!(7);
    let body = json_of(post(&app, &id, &bank, &json!([version])).await).await;
    assert_eq!(body["field"], "decisions[0].system_version");

    // Oversized batch.
    let many: Vec<Value> = (0..1001).map(|i| decision(&format!("m-{i}"), true)).collect();
    let res = post(&app, &id, &bank, &json!(many)).await;
    assert_eq!(res.status(), 400);
    assert!(json_of(res).await["detail"].as_str().unwrap().contains("at most 1000"));

    // The same key with another body, before or inside the batch.
    let res = post(&app, &id, &bank, &json!([decision("k-7", true), decision("k-1", false)])).await;
    assert_eq!(res.status(), 409);
    assert!(json_of(res).await["detail"].as_str().unwrap().contains("different body"));
    let res = post(&app, &id, &bank, &json!([decision("k-8", true), decision("k-8", false)])).await;
    assert_eq!(res.status(), 409);

    // Unknown system, another organisation's system, a token without the scope, a revoked token.
    assert_eq!(post(&app, "zzzzzzzz", &bank, &json!([decision("x", true)])).await.status(), 404);
    let health = token(&app.store, "admin@rahbar-health.demo", &["decisions:write"]).await;
    assert_eq!(post(&app, &id, &health, &json!([decision("x", true)])).await.status(), 404);
    let read_only = token(&app.store, "admin@indus-bank.demo", &["systems:read"]).await;
    assert_eq!(post(&app, &id, &read_only, &json!([decision("x", true)])).await.status(), 403);
    let scope = mizan_store::OrgScope::new(app.store.org_by_slug("demo-indus-bank").await.unwrap().id);
    let tokens = app.store.tokens(scope).await.unwrap();
    let newest = tokens.iter().max_by_key(|t| t.id).unwrap();
    app.store.revoke_token(scope, newest.id).await.unwrap();
    assert_eq!(post(&app, &id, &read_only, &json!([decision("x", true)])).await.status(), 401);

    // A draft that was never submitted cannot log decisions.
    let draft = create_draft(&app, &bank, "Not yet submitted").await;
    assert_eq!(post(&app, &draft, &bank, &json!([decision("x", true)])).await.status(), 409);

    // Wait for something observable rather than a while: one good decision after the refusals.
    // The intake takes requests in order, so a refused batch that had left a row or a leaf
    // would show as more than this one.
    assert_eq!(logged(&before), count);
    assert_eq!(post(&app, &id, &bank, &json!([decision("k-after", true)])).await.status(), 201);
    for _ in 0..200 {
        if logged(&size()) > count {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(app.store.count_decisions().await.unwrap(), count + 1, "no partial batch in the database");
    assert_eq!(logged(&size()), count + 1, "no leaf in the log but the good decision's");
}

#[tokio::test]
async fn anyone_can_verify_a_receipt_on_the_page_in_both_languages() {
    let app = TestApp::start(true).await;
    let (id, bank) = setup(&app).await;
    let res = post(&app, &id, &bank, &json!([decision("v-1", false)])).await;
    let reference = json_of(res).await["receipts"][0]["reference"].as_str().unwrap().to_owned();
    let receipt = proven(&app, &reference).await;

    // Discovery: the log's origin, URL and key, enough to start verifying.
    let logs = json_of(http().get(app.url("/api/v1/logs")).send().await.unwrap()).await;
    assert_eq!(logs[0]["vkey"], receipt["vkey"]);
    assert_eq!(logs[0]["origin"], receipt["log"]);
    let cp = http().get(format!("{}/checkpoint", logs[0]["url"].as_str().unwrap())).send().await.unwrap();
    assert_eq!(cp.status(), 200);

    // By reference, in English.
    let page = http().get(app.url(&format!("/verify?reference={reference}"))).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    assert!(page.contains("Verified: this decision is in the public log"), "{page}");
    assert!(page.contains("decline") && page.contains(&id));
    assert!(!page.contains("check-failed"));

    // Pasting the receipt JSON, in Urdu.
    let c = app.client();
    let form = c.get(app.url("/verify")).send().await.unwrap().text().await.unwrap();
    let token = common::csrf_of(&form);
    let verify = |receipt: String, leaf: &str| {
        c.post(app.url("/verify"))
            .header("accept-language", "ur")
            .form(&[("csrf", token.clone()), ("receipt", receipt), ("leaf", leaf.to_owned())])
            .send()
    };
    let page = verify(receipt.to_string(), "").await.unwrap().text().await.unwrap();
    assert!(page.contains("تصدیق ہو گئی"), "{page}");
    assert!(page.contains("dir=\"rtl\""));
    // A tampered receipt fails, and says which check failed.
    let mut bad = receipt.clone();
    let leaf = bad["leaf"].as_str().unwrap().to_owned();
    let flipped = format!("{}{}", &leaf[..40], if &leaf[40..41] == "0" { "1" } else { "0" }) + &leaf[41..];
    bad["leaf"] = json!(flipped);
    bad["opening"] = Value::Null;
    let page = verify(bad.to_string(), "").await.unwrap().text().await.unwrap();
    assert!(page.contains("تصدیق نہیں ہوئی") && page.contains("check-failed"), "{page}");
    // A bare proof with the leaf verifies inclusion but cannot open the record.
    let page =
        verify(receipt["proof"].as_str().unwrap().to_owned(), &leaf).await.unwrap().text().await.unwrap();
    assert!(page.contains("تصدیق ہو گئی") && page.contains("check-skipped"), "{page}");
    // Garbage is a clear message, not an error page.
    let res = verify("hello".into(), "").await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("check-failed"));
}

#[tokio::test]
async fn with_a_witness_receipts_carry_its_cosignature() {
    let app = TestApp::start(true).await;
    let (id, bank) = setup(&app).await;
    // An independent witness (the real tlog-witness server) that knows the log's key.
    let wdir = tempfile::tempdir().unwrap();
    let signer = mizan_witness::key::load_or_create(
        &wdir.path().join("key"),
        None,
        "witness.test/w1",
        &mut rand::rngs::OsRng,
    )
    .unwrap();
    let wvkey = signer.verifier().to_vkey();
    let store = std::sync::Arc::new(mizan_witness::FsWitnessStore::open(&wdir.path().join("state")).unwrap());
    let service = std::sync::Arc::new(mizan_witness::WitnessService::new(
        signer,
        vec![app.logs.decisions().verifier()],
        store,
    ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let wurl = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(mizan_witness::serve(listener, service, std::future::pending()));

    // A policy that is not well formed is refused with its line.
    assert!(app.logs.start_witnessing("witness W\n").unwrap_err().contains("line 1"));
    app.logs.start_witnessing(&format!("witness W1 {wvkey} {wurl}\nquorum W1\n")).unwrap();
    let logs = json_of(http().get(app.url("/api/v1/logs")).send().await.unwrap()).await;
    assert!(logs[0]["witness_policy"].as_str().unwrap().contains("quorum W1"));

    let res = post(&app, &id, &bank, &json!([decision("w-1", true)])).await;
    assert_eq!(res.status(), 201, "ingestion does not wait for witnesses");
    let reference = json_of(res).await["receipts"][0]["reference"].as_str().unwrap().to_owned();
    let r = proven(&app, &reference).await;
    // The proof's checkpoint carries the witness's cosignature and meets the policy.
    let proof = TlogProof::parse(r["proof"].as_str().unwrap()).unwrap();
    let mut policy = mizan_ledger::policy::Policy::parse(
        format!("log {}\nwitness W1 {wvkey}\nquorum W1\n", r["vkey"].as_str().unwrap()).as_bytes(),
    )
    .unwrap();
    let leaf = hex::decode(r["leaf"].as_str().unwrap()).unwrap();
    let checked = mizan_ledger::policy::check_proof(&proof, &leaf, &policy).expect("witnessed proof");
    assert_eq!(checked.cosigned.len(), 1);
    // The log's published checkpoint is the cosigned one: it meets the policy on its own.
    let shard = r["log"].as_str().unwrap().rsplit('/').next().unwrap().to_owned();
    let published =
        http().get(app.url(&format!("/log/{shard}/checkpoint"))).send().await.unwrap().bytes().await.unwrap();
    let met = mizan_ledger::policy::check(&published, &policy).expect("published checkpoint is cosigned");
    assert!(met.checkpoint.checkpoint.size > r["leaf_index"].as_u64().unwrap());
    // The verification page reports the witness check as passed.
    let page = http()
        .get(app.url(&format!("/verify?reference={reference}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Verified") && !page.contains("check-failed") && page.contains("W1"), "{page}");
    // A policy asking for another witness is not met by this checkpoint.
    let other = mizan_witness::key::load_or_create(
        &wdir.path().join("k2"),
        None,
        "witness.test/w2",
        &mut rand::rngs::OsRng,
    )
    .unwrap()
    .verifier()
    .to_vkey();
    policy = mizan_ledger::policy::Policy::parse(
        format!("log {}\nwitness W2 {other}\nquorum W2\n", r["vkey"].as_str().unwrap()).as_bytes(),
    )
    .unwrap();
    let err = mizan_ledger::policy::check_proof(&proof, &leaf, &policy).unwrap_err();
    assert!(err.to_string().contains("W2"), "{err}");
}

#[tokio::test]
async fn platform_events_are_committed_to_their_own_log() {
    let app = TestApp::start(true).await;
    // A public demo system's history: each event gets a leaf in the events log.
    let list = json_of(http().get(app.url("/api/v1/systems?q=Personal+loan")).send().await.unwrap()).await;
    let id = list["items"][0]["id"].as_str().unwrap().to_owned();
    let events = app.store.public_changes(500).await.unwrap();
    let event = events.iter().find(|e| e.public_id == id).expect("a public event").clone();
    let mut r = Value::Null;
    for _ in 0..100 {
        r = json_of(http().get(app.url(&format!("/api/v1/events/{}/proof", event.id))).send().await.unwrap())
            .await;
        if r["status"] == "proven" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(r["status"], "proven", "{r}");
    let vkey = NoteVerifier::from_vkey(r["vkey"].as_str().unwrap()).unwrap();
    assert!(r["log"].as_str().unwrap().starts_with("events."));
    let entry = hex::decode(r["entry"].as_str().unwrap()).unwrap();
    TlogProof::parse(r["proof"].as_str().unwrap()).unwrap().verify(&entry, &vkey).expect("event proven");
    // The entry commits to the event as published: recompute it from the public JSON.
    let json = r["event_json"].as_str().expect("public event shown");
    let parsed: Value = serde_json::from_str(json).unwrap();
    assert_eq!(parsed["system"], id.as_str());
    use sha2::Digest;
    let sha = hex::encode(sha2::Sha256::digest(json.as_bytes()));
    assert_eq!(String::from_utf8(entry).unwrap(), format!("mizan-event/v1 {} {sha}", event.id));

    // Events of a draft are logged too, but only as a commitment.
    let bank = token(&app.store, "admin@indus-bank.demo", &["systems:read", "systems:write"]).await;
    let draft = create_draft(&app, &bank, "Private draft").await;
    let scope = mizan_store::OrgScope::new(app.store.org_by_slug("demo-indus-bank").await.unwrap().id);
    let ev = app.store.org_system(scope, &draft).await.unwrap().events[0].id;
    for _ in 0..100 {
        r = json_of(http().get(app.url(&format!("/api/v1/events/{ev}/proof"))).send().await.unwrap()).await;
        if r["status"] == "proven" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(r["status"], "proven");
    assert!(r["event_json"].is_null(), "a draft's event is not shown");
    // Both logs are listed and served.
    let logs = json_of(http().get(app.url("/api/v1/logs")).send().await.unwrap()).await;
    assert_eq!(logs.as_array().unwrap().len(), 2);
    let url = logs[1]["url"].as_str().unwrap();
    assert_eq!(http().get(format!("{url}/checkpoint")).send().await.unwrap().status(), 200);
    assert_eq!(http().get(app.url("/api/v1/events/99999999/proof")).send().await.unwrap().status(), 404);
}

/// The same key sent by many requests at once gets one leaf: every request that succeeds holds
/// the same receipt, the others are told to retry, and a retry gets that receipt.
#[tokio::test]
async fn one_key_sent_at_once_by_many_requests_gets_one_leaf() {
    let app = TestApp::start(true).await;
    let (id, bank) = setup(&app).await;
    // Another batch in flight at the same time, so the racing requests share groups with it.
    let others = json!((0..200).map(|i| decision(&format!("other-{i}"), i % 2 == 0)).collect::<Vec<_>>());
    let before = app.logs.decisions().reader().size();
    let body = json!([decision("raced-1", true)]);
    let mut tasks = Vec::new();
    for n in 0..12 {
        let (url, bank) = (app.url(&format!("/api/v1/systems/{id}/decisions")), bank.clone());
        let body = if n == 6 { others.clone() } else { body.clone() };
        tasks.push(tokio::spawn(async move {
            let res = http().post(url).bearer_auth(bank).json(&body).send().await.unwrap();
            let status = res.status().as_u16();
            (n, status, json_of(res).await)
        }));
    }
    let mut refs = std::collections::BTreeSet::new();
    for t in tasks {
        let (n, status, body) = t.await.unwrap();
        if n == 6 {
            assert_eq!(status, 201, "{body}");
            continue;
        }
        match status {
            200 | 201 => {
                refs.insert(body["receipts"][0]["reference"].as_str().unwrap().to_owned());
            }
            409 => assert!(body["detail"].as_str().unwrap().contains("retry"), "{body}"),
            other => panic!("status {other}: {body}"),
        }
    }
    assert!(refs.len() <= 1, "one key, one receipt: {refs:?}");
    let again = json_of(post(&app, &id, &bank, &body).await).await;
    let reference = again["receipts"][0]["reference"].as_str().unwrap().to_owned();
    assert!(refs.is_empty() || refs.contains(&reference));
    // Exactly 201 new leaves: the 200 others and one for the raced key.
    let after = proven(&app, &reference).await["leaf_index"].as_u64().unwrap();
    assert!(after >= before);
    let mut size = app.logs.decisions().reader().size();
    for _ in 0..100 {
        if size >= before + 201 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        size = app.logs.decisions().reader().size();
    }
    assert_eq!(size, before + 201);
}

/// Logs are shards by year and leaf indices restart in each: once next year's log is open, last
/// year's stays readable, its receipts still prove against its own checkpoint, and it is
/// listed and served. A batch acknowledged just before last year's server stopped (journaled,
/// not integrated) is integrated and published when the new year's server opens it, or, while
/// it cannot take that log's lock, left for a later start.
#[tokio::test]
async fn last_years_log_stays_readable_and_proves_its_receipts() {
    use mizan_app::logs::{LedgerStorage, Logs};
    use mizan_ledger::sequencer::SequencerConfig;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("ledger");
    let leaves: Vec<Vec<u8>> = (0..300u16).map(|i| i.to_be_bytes().repeat(20)).collect();
    {
        let old =
            Logs::open(&root, &LedgerStorage::Files, "mizan.test", 2025, SequencerConfig::default()).unwrap();
        old.decisions().append(leaves[..290].to_vec()).await.unwrap();
        assert_eq!(old.decisions().wait_published(290, Duration::from_secs(10)).await.unwrap(), 290);
        old.shutdown().unwrap();
    }
    {
        // The last batch made durable in the journal, as the sequencer does before it
        // acknowledges, and then the server stopped: nothing integrated it.
        use mizan_ledger::store::LogStore;
        let journal = FsStore::open(&root.join("2025")).unwrap();
        journal.stage(&mizan_ledger::log::encode_staged(290, &leaves[290..]).unwrap()).unwrap();
        // While something else holds last year's writer lock, this year's server still starts,
        // serving last year's log as published.
        let held =
            Logs::open(&root, &LedgerStorage::Files, "mizan.test", 2026, SequencerConfig::default()).unwrap();
        assert_eq!(held.decisions().log_for("decisions.mizan.test/2025").unwrap().0.size(), 290);
        assert!(
            held.decisions().has_unpublished_tail("decisions.mizan.test/2025"),
            "its last leaves are pending"
        );
        held.shutdown().unwrap();
    }
    let now =
        Logs::open(&root, &LedgerStorage::Files, "mizan.test", 2026, SequencerConfig::default()).unwrap();
    now.decisions().append(vec![b"this year".to_vec()]).await.unwrap();
    let archived = now.decisions().archived_logs();
    assert_eq!(archived.len(), 1, "{archived:?}");
    let (origin, shard, vkey) = &archived[0];
    assert_eq!((origin.as_str(), shard.as_str()), ("decisions.mizan.test/2025", "2025"));
    let (reader, vkey2) = now.decisions().log_for(origin).unwrap();
    assert_eq!(&vkey2.to_vkey(), vkey);
    assert_eq!(reader.size(), 300);
    let verifier = NoteVerifier::from_vkey(vkey).unwrap();
    for i in [0u64, 5, 299] {
        let proof = reader.receipt(mizan_ledger::log::LeafIndex(i)).unwrap();
        proof.verify(&leaves[i as usize], &verifier).expect("last year's receipt proves");
        // Against this year's key it does not.
        assert!(proof.verify(&leaves[i as usize], &now.decisions().verifier()).is_err());
    }
    // Its files are served, partial tiles answered from full ones.
    let cp = now.decisions().read_archived("2025", "checkpoint").unwrap();
    assert!(String::from_utf8(cp).unwrap().starts_with("decisions.mizan.test/2025\n300\n"));
    assert_eq!(now.decisions().read_archived("2025", "tile/0/000.p/7").unwrap().len(), 7 * 32);
    assert!(now.decisions().read_archived("2025", "origin").is_none(), "only log files are served");
    assert!(now.decisions().log_for("decisions.other/2025").is_none());
    assert!(!now.decisions().has_unpublished_tail("decisions.mizan.test/2025"));
    now.shutdown().unwrap();
    // The journal was emptied, so the next start has nothing to publish in last year's log and
    // does not need its lock.
    assert_eq!(std::fs::metadata(root.join("2025/.state/journal")).unwrap().len(), 0);
    let _held = FsStore::open(&root.join("2025")).unwrap();
    let again =
        Logs::open(&root, &LedgerStorage::Files, "mizan.test", 2026, SequencerConfig::default()).unwrap();
    assert_eq!(again.decisions().log_for("decisions.mizan.test/2025").unwrap().0.size(), 300);
    assert!(!again.decisions().has_unpublished_tail("decisions.mizan.test/2025"));
}

/// A server of last year that stopped between signing a checkpoint and publishing it, its
/// journal already emptied (as object storage empties it once the checkpoint is signed), left a
/// tail only its latest signed record knows: the new year's server publishes it.
#[tokio::test]
async fn last_years_signed_but_unpublished_checkpoint_is_published() {
    use mizan_app::logs::{LedgerStorage, Logs};
    use mizan_ledger::sequencer::SequencerConfig;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("ledger");
    let leaves: Vec<Vec<u8>> = (0..300u16).map(|i| i.to_be_bytes().repeat(20)).collect();
    let old =
        Logs::open(&root, &LedgerStorage::Files, "mizan.test", 2025, SequencerConfig::default()).unwrap();
    old.decisions().append(leaves[..290].to_vec()).await.unwrap();
    assert_eq!(old.decisions().wait_published(290, Duration::from_secs(10)).await.unwrap(), 290);
    let published_290 = old.decisions().read_public("checkpoint").unwrap();
    old.decisions().append(leaves[290..].to_vec()).await.unwrap();
    assert_eq!(old.decisions().wait_published(300, Duration::from_secs(10)).await.unwrap(), 300);
    old.shutdown().unwrap();
    // The state that crash leaves: the latest signed record says 300, the published checkpoint
    // 290, and no journal.
    std::fs::write(root.join("2025/checkpoint"), &published_290).unwrap();
    std::fs::write(root.join("2025/.state/journal"), b"").unwrap();

    let now =
        Logs::open(&root, &LedgerStorage::Files, "mizan.test", 2026, SequencerConfig::default()).unwrap();
    let (reader, verifier) = now.decisions().log_for("decisions.mizan.test/2025").unwrap();
    assert_eq!(reader.size(), 300);
    let proof = reader.receipt(mizan_ledger::log::LeafIndex(299)).unwrap();
    proof.verify(&leaves[299], &verifier).expect("the last leaf proves");
    let cp = now.decisions().read_archived("2025", "checkpoint").unwrap();
    assert!(String::from_utf8(cp).unwrap().starts_with("decisions.mizan.test/2025\n300\n"));
}

/// A crash between appending platform events to their log and recording their leaves leaves
/// leaves the database does not know. On restart they are recorded, not appended again, so each
/// event keeps one leaf; an entry whose hash does not match its event is not taken for it, and a
/// leaf recorded at a higher index (another year's log) does not hide the window.
#[tokio::test]
async fn events_appended_before_a_crash_are_recorded_not_appended_again() {
    use mizan_app::events::{append_unlogged, entry, event_sha256, reconcile};
    // A server's state without its follower, so this test plays the crash and the restart.
    let (_db, store, dir) = seeded().await;
    let state = state_in_year(&store, dir.path(), 2026);
    let log = state.app.logs().events();
    let events = store.unlogged_events(1000).await.unwrap();
    assert!(events.len() > 8, "the demo has a history");
    // An event recorded at a leaf index this log has not reached, as a year's rollover leaves.
    store
        .record_event_leaves("events.elsewhere/2025", &[(events[7].id, 10_000, event_sha256(&events[7]))])
        .await
        .unwrap();

    // Before the crash: five events appended; then one with a hash that is not its event's,
    // followed by its right one; then the first event again. Nothing recorded.
    let mut entries: Vec<Vec<u8>> = events[..5].iter().map(|e| entry(e.id, &event_sha256(e))).collect();
    entries.push(entry(events[5].id, &"0".repeat(64)));
    entries.push(entry(events[5].id, &event_sha256(&events[5])));
    entries.push(entry(events[0].id, &event_sha256(&events[0])));
    log.append(entries).await.unwrap();

    assert_eq!(reconcile(&state.app).await.unwrap(), 6, "the matching leaves are recorded");
    for (i, e) in events[..5].iter().enumerate() {
        let leaf = store.event_leaf(e.id).await.unwrap().expect("recorded");
        assert_eq!(leaf.leaf_index, i as u64, "event {} keeps its first leaf", e.id);
        assert_eq!(leaf.event_sha256, event_sha256(e));
    }
    let fifth = store.event_leaf(events[5].id).await.unwrap().expect("recorded");
    assert_eq!(fifth.leaf_index, 6, "the leaf with the wrong hash is not its leaf, the next one is");
    assert_eq!(reconcile(&state.app).await.unwrap(), 0, "reconciling again finds nothing more");

    // The follower then appends every other event once.
    while append_unlogged(&state.app, log).await.unwrap() > 0 {}
    assert!(store.unlogged_events(1000).await.unwrap().is_empty(), "every event has a leaf");
    assert_eq!(log.staged_size(), 8 + (events.len() - 7) as u64, "no event was appended twice");
}

/// A database with the demo's register and history, its store, and a data directory.
async fn seeded() -> (mizan_test::TestDb, mizan_store::Store, tempfile::TempDir) {
    let db = mizan_test::TestDb::new().await;
    let store = db.store().await;
    mizan_app::demo::seed(&store).await.expect("seed");
    (db, store, tempfile::tempdir().unwrap())
}

/// A server's state without its background tasks (so a test plays the crashes and restarts),
/// with the logs of `year` under `<data_dir>/ledger`.
fn state_in_year(
    store: &mizan_store::Store,
    data_dir: &std::path::Path,
    year: i32,
) -> mizan_server::AppState {
    use mizan_app::logs::{LedgerStorage, Logs};
    use mizan_ledger::sequencer::SequencerConfig;
    let root = data_dir.join("ledger");
    let ledger =
        Logs::open(&root, &LedgerStorage::Files, "mizan.test", year, SequencerConfig::default()).unwrap();
    let config = mizan_app::PlatformConfig::new("http://mizan.test", data_dir);
    let platform = mizan_app::Platform::new(store.clone(), config, ledger);
    mizan_server::AppState::new(platform, mizan_server::Config::default())
}

/// Stops a state's logs as a stopping server does, releasing their locks for the next one.
fn stop(state: mizan_server::AppState) {
    let ledger = std::sync::Arc::clone(state.app.logs());
    drop(state);
    std::sync::Arc::into_inner(ledger).expect("the only holder").shutdown().unwrap();
}

/// A crash at the end of a year, between appending events to that year's events log and
/// recording their leaves, the last batch acknowledged but not yet integrated: the next year's
/// server opens a new events log, integrates last year's journal, and records those leaves in
/// last year's log rather than appending the events again.
#[tokio::test]
async fn events_appended_before_a_crash_at_years_end_are_recorded_in_that_years_log() {
    use axum::extract::{Path, State};
    use mizan_app::events::{entry, event_sha256, reconcile};
    let (_db, store, dir) = seeded().await;
    let last_year = state_in_year(&store, dir.path(), 2025);
    let events = store.unlogged_events(5).await.unwrap();
    let entries: Vec<Vec<u8>> = events.iter().map(|e| entry(e.id, &event_sha256(e))).collect();
    last_year.app.logs().events().append(entries[..3].to_vec()).await.unwrap();
    stop(last_year);
    {
        // The last batch, durable in the journal as the sequencer leaves it before integrating.
        use mizan_ledger::store::LogStore;
        let journal = FsStore::open(&dir.path().join("ledger/events/2025")).unwrap();
        journal.stage(&mizan_ledger::log::encode_staged(3, &entries[3..]).unwrap()).unwrap();
    }

    let now = state_in_year(&store, dir.path(), 2026);
    assert_eq!(reconcile(&now.app).await.unwrap(), 5);
    assert_eq!(reconcile(&now.app).await.unwrap(), 0, "reconciling again finds nothing more");
    for (i, e) in events.iter().enumerate() {
        let leaf = store.event_leaf(e.id).await.unwrap().expect("recorded");
        assert_eq!((leaf.leaf_index, leaf.log_origin.as_deref()), (i as u64, Some("events.mizan.test/2025")));
        let proof =
            mizan_server::routes::verify::event_proof(State(now.clone()), Path(e.id)).await.unwrap().0;
        assert_eq!((proof.status.as_str(), proof.log.as_str()), ("proven", "events.mizan.test/2025"));
    }
    assert_eq!(now.app.logs().events().staged_size(), 0, "nothing appended again");
}

/// Events logs are shards by year too. An event logged last year keeps proving against last
/// year's events log once this year's is open: its proof names that log and verifies with its
/// key, and the log is listed and served. A leaf recorded before leaves named their log is
/// placed in the log that holds its entry; one that no log holds gets no proof.
#[tokio::test]
async fn an_event_of_last_year_proves_against_last_years_events_log() {
    use axum::extract::{Path, State};
    let (db, store, dir) = seeded().await;
    let state_in = |year: i32| state_in_year(&store, dir.path(), year);
    let last_year = state_in(2025);
    let log = last_year.app.logs().events();
    let logged = mizan_app::events::append_unlogged(&last_year.app, log).await.unwrap();
    assert!(logged > 5, "the demo's history is logged");
    assert_eq!(log.wait_published(logged as u64, Duration::from_secs(10)).await.unwrap(), logged as u64);
    let event = store.public_changes(500).await.unwrap()[0].clone();
    // A leaf recorded before leaves named their log is attributed to the only events log there
    // has been.
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&db.url).await.unwrap();
    sqlx::query("UPDATE event_leaves SET log_origin = NULL WHERE event_id = $1")
        .bind(event.id)
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(store.event_leaf(event.id).await.unwrap().unwrap().log_origin, None);
    assert_eq!(mizan_app::events::attribute_legacy_leaves(&last_year.app).await.unwrap(), 1);
    let leaf = store.event_leaf(event.id).await.unwrap().unwrap();
    assert_eq!(leaf.log_origin.as_deref(), Some("events.mizan.test/2025"));
    stop(last_year);

    // The new year: a new events log, empty, beside last year's.
    let now = state_in(2026);
    assert_eq!(now.app.logs().events().origin(), "events.mizan.test/2026");
    let proof =
        mizan_server::routes::verify::event_proof(State(now.clone()), Path(event.id)).await.unwrap().0;
    assert_eq!(proof.status, "proven");
    assert_eq!(proof.log, "events.mizan.test/2025", "the event is in last year's log");
    let vkey = NoteVerifier::from_vkey(&proof.vkey).unwrap();
    let entry = hex::decode(proof.entry.unwrap()).unwrap();
    TlogProof::parse(&proof.proof.unwrap())
        .unwrap()
        .verify(&entry, &vkey)
        .expect("proven with last year's key");

    let logs = mizan_server::routes::verify::logs(State(now.clone())).await.0;
    let old = logs.iter().find(|l| l.origin == "events.mizan.test/2025").expect("listed");
    assert_eq!((old.kind.as_str(), old.shard.as_str(), old.size), ("events", "events-2025", logged as u64));
    let served = mizan_server::routes::decisions::log_file(
        State(now.clone()),
        Path(("events-2025".to_owned(), "checkpoint".to_owned())),
    )
    .await;
    assert_eq!(served.status(), 200);
    let missing = mizan_server::routes::decisions::log_file(
        State(now.clone()),
        Path(("events-2024".to_owned(), "checkpoint".to_owned())),
    )
    .await;
    assert_eq!(missing.status(), 404);
    stop(now);
    // With an earlier events log beside this year's, an unattributed leaf is placed by what the
    // logs hold at its index, not by which log is current.
    let other = store.public_changes(500).await.unwrap()[1].clone();
    let third = store.public_changes(500).await.unwrap()[2].clone();
    sqlx::query("UPDATE event_leaves SET log_origin = NULL WHERE event_id = $1 OR event_id = $2")
        .bind(other.id)
        .bind(third.id)
        .execute(&pool)
        .await
        .unwrap();
    // The third's record is wrong: its index holds another event's entry in every log.
    let third_leaf = store.event_leaf(third.id).await.unwrap().unwrap();
    let moved = (third_leaf.leaf_index + 1) % logged as u64;
    sqlx::query("UPDATE event_leaves SET leaf_index = $1 WHERE event_id = $2")
        .bind(i64::try_from(moved).unwrap())
        .bind(third.id)
        .execute(&pool)
        .await
        .unwrap();
    let again = state_in(2027);
    let this_year = again.app.logs().events();
    // A leaf this year's log has not published yet is pending; one past the end of last year's
    // log, which will not grow, has no proof.
    let fourth = store.public_changes(500).await.unwrap()[3].clone();
    let sha = mizan_app::events::event_sha256(&fourth);
    store.record_event_leaves("events.mizan.test/2027", &[(fourth.id, 5_000, sha.clone())]).await.unwrap();
    let proof =
        mizan_server::routes::verify::event_proof(State(again.clone()), Path(fourth.id)).await.unwrap().0;
    assert_eq!((proof.status.as_str(), proof.log.as_str()), ("pending", "events.mizan.test/2027"));
    assert!(proof.proof.is_none());
    store.record_event_leaves("events.mizan.test/2025", &[(fourth.id, 5_000, sha)]).await.unwrap();
    let err =
        mizan_server::routes::verify::event_proof(State(again.clone()), Path(fourth.id)).await.unwrap_err();
    assert!(matches!(&err, AppError::NotFound(m) if m.contains("no events log served here")), "{err:?}");
    // This year's log has entries too, so an unattributed leaf's index is in both.
    assert_eq!(mizan_app::events::append_unlogged(&again.app, this_year).await.unwrap(), 0);
    this_year.append((0..logged).map(|i| format!("filler {i}").into_bytes()).collect()).await.unwrap();
    this_year.wait_published(logged as u64, Duration::from_secs(10)).await.unwrap();
    assert_eq!(mizan_app::events::attribute_legacy_leaves(&again.app).await.unwrap(), 1);
    assert_eq!(
        store.event_leaf(other.id).await.unwrap().unwrap().log_origin.as_deref(),
        Some("events.mizan.test/2025"),
        "found in the log that has its entry, not the current one"
    );
    let proof =
        mizan_server::routes::verify::event_proof(State(again.clone()), Path(other.id)).await.unwrap().0;
    assert_eq!((proof.status.as_str(), proof.log.as_str()), ("proven", "events.mizan.test/2025"));
    // A leaf no log has stays unattributed, and no proof is claimed for it.
    assert_eq!(store.event_leaf(third.id).await.unwrap().unwrap().log_origin, None);
    let err =
        mizan_server::routes::verify::event_proof(State(again.clone()), Path(third.id)).await.unwrap_err();
    assert!(
        matches!(&err, AppError::NotFound(m) if m.contains("no events log served here has its entry")),
        "{err:?}"
    );
    // The same for a leaf whose recorded log holds another entry at its index.
    sqlx::query("UPDATE event_leaves SET log_origin = 'events.mizan.test/2025' WHERE event_id = $1")
        .bind(third.id)
        .execute(&pool)
        .await
        .unwrap();
    let err = mizan_server::routes::verify::event_proof(State(again), Path(third.id)).await.unwrap_err();
    assert!(
        matches!(&err, AppError::NotFound(m) if m.contains("no events log served here has its entry")),
        "{err:?}"
    );
}

/// The validator of a published schema (`mizan_formats::SCHEMAS`), formats checked too. The
/// dev-dependency has no HTTP or file resolver, so nothing is fetched.
fn validator(name: &str) -> jsonschema::Validator {
    let text = mizan_formats::schema(name).unwrap_or_else(|| panic!("no schema `{name}`"));
    let schema: Value = serde_json::from_str(text).unwrap();
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .build(&schema)
        .unwrap_or_else(|e| panic!("schema `{name}` does not compile: {e}"))
}

/// `instance` (what the server emitted as `what`) is valid under the schema `name`.
fn conforms(name: &str, what: &str, instance: &Value) {
    let errors: Vec<String> =
        validator(name).iter_errors(instance).map(|e| format!("{e} at {}", e.instance_path())).collect();
    assert!(errors.is_empty(), "{what} is not a valid `{name}`: {errors:?}\n{instance:#}");
}

/// What the server emits is what it publishes: receipts (pending or proven, and erased), the
/// decision record in a receipt's opening, a public event's JSON and a stored explanation each
/// validate against their schema, and read back as their format.
#[tokio::test]
async fn what_the_server_emits_validates_against_the_published_schemas() {
    let app = TestApp::start(true).await;
    let (id, bank) = setup(&app).await;
    let res = post(&app, &id, &bank, &json!([decision("s-1", true), decision("s-2", false)])).await;
    assert_eq!(res.status(), 201);
    let refs: Vec<String> = json_of(res).await["receipts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["reference"].as_str().unwrap().to_owned())
        .collect();

    // Right after logging (pending, or proven already if a checkpoint was quick).
    let early =
        json_of(http().get(app.url(&format!("/api/v1/receipts/{}", refs[0]))).send().await.unwrap()).await;
    conforms("mizan.receipt-1", &format!("the receipt of `{}` ({})", refs[0], early["status"]), &early);
    // Proven: the receipt, and the record in its opening.
    let r = proven(&app, &refs[0]).await;
    conforms("mizan.receipt-1", "a proven receipt", &r);
    let receipt: mizan_formats::Receipt = serde_json::from_value(r.clone()).expect("a mizan.receipt/1");
    let text = r["opening"]["record"].as_str().unwrap();
    conforms("mizan.decision-1", "a receipt's opening record", &serde_json::from_str(text).unwrap());
    let record = mizan_formats::DecisionRecord::from_canonical(text).expect("the record is canonical");
    assert_eq!((record.system.as_str(), record.subject_ref.as_str()), (id.as_str(), "applicant-s-1"));
    let leaf = receipt.opening.as_ref().unwrap().leaf().unwrap();
    assert_eq!(Some(hex::encode(leaf)), receipt.leaf, "the opening commits to the receipt's leaf");
    // Erased: no leaf, no opening, still a valid receipt.
    let res = http().delete(app.url(&format!("/api/v1/org/decisions/{}", refs[1]))).bearer_auth(&bank).send();
    assert_eq!(res.await.unwrap().status(), 204);
    let erased =
        json_of(http().get(app.url(&format!("/api/v1/receipts/{}", refs[1]))).send().await.unwrap()).await;
    assert_eq!(erased["status"], "erased");
    conforms("mizan.receipt-1", "an erased receipt", &erased);

    // A public event's JSON, as the events proof shows it.
    let list = json_of(http().get(app.url("/api/v1/systems?q=Personal+loan")).send().await.unwrap()).await;
    let public = list["items"][0]["id"].as_str().unwrap().to_owned();
    let events = app.store.public_changes(500).await.unwrap();
    let event = events.iter().find(|e| e.public_id == public).expect("a public event").clone();
    let mut proof = Value::Null;
    for _ in 0..100 {
        proof =
            json_of(http().get(app.url(&format!("/api/v1/events/{}/proof", event.id))).send().await.unwrap())
                .await;
        if proof["event_json"].is_string() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let text = proof["event_json"].as_str().unwrap_or_else(|| panic!("no event JSON: {proof}"));
    conforms("mizan-event-1", "a public event's JSON", &serde_json::from_str(text).unwrap());
    let read = mizan_formats::EventRecord::from_canonical(text).expect("the event JSON is canonical");
    let entry = hex::decode(proof["entry"].as_str().unwrap()).unwrap();
    assert!(mizan_formats::EventEntry::parse(&entry).unwrap().commits_to(&read), "the entry commits to it");

    // An explanation of a demo decision (the demo's loan model), computed and then stored.
    let org = app.store.org_by_slug("demo-indus-bank").await.unwrap();
    let scope = mizan_store::OrgScope::new(org.id);
    let loans = app
        .store
        .org_systems(scope)
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.name_en == "Personal loan credit scoring")
        .expect("the demo's loan system");
    let target = app.store.decision_target(scope, &loans.public_id, 0).await.unwrap();
    let found =
        app.store.decisions_by_key(scope, &target, &["demo-loan-017", "demo-loan-004"]).await.unwrap();
    for key in ["demo-loan-017", "demo-loan-004"] {
        let reference = &found[key].reference;
        for round in ["computed", "stored"] {
            let res = http().get(app.url(&format!("/api/v1/receipts/{reference}/explanation"))).send().await;
            let res = res.unwrap();
            assert_eq!(res.status(), 200, "{key}");
            let doc = json_of(res).await;
            conforms("mizan.explanation-1", &format!("the {round} explanation of `{key}`"), &doc);
            let doc: mizan_formats::ExplanationDoc =
                serde_json::from_value(doc).expect("a mizan.explanation/1");
            assert_eq!(doc.format, mizan_formats::explanation::FORMAT);
        }
    }
}

/// Every published schema is served at `/api/v1/schemas/<name>.json`, byte for byte as
/// `mizan_formats` (or, for the fairness audit report and the dataset profile,
/// `mizan_fairness_report` and `mizan_profile`) holds it (the
/// path its `$id` names), and an unknown name is a 404 problem listing the schemas there are.
#[tokio::test]
async fn every_published_schema_is_served_byte_for_byte() {
    let app = TestApp::start(false).await;
    let audit = (mizan_fairness_report::SCHEMA_NAME, mizan_fairness_report::SCHEMA);
    let profile = (mizan_profile::SCHEMA_NAME, mizan_profile::SCHEMA);
    for (name, text) in mizan_formats::SCHEMAS.iter().copied().chain([audit, profile]) {
        let res = http().get(app.url(&format!("/api/v1/schemas/{name}.json"))).send().await.unwrap();
        assert_eq!(res.status(), 200, "{name}");
        assert_eq!(res.headers()["content-type"], "application/schema+json", "{name}");
        assert_eq!(res.text().await.unwrap(), text, "{name}");
        let id: Value = serde_json::from_str(text).unwrap();
        assert_eq!(id["$id"], format!("{}{name}.json", mizan_formats::schema::ID_BASE));
    }
    let res = http().get(app.url("/api/v1/schemas/mizan.decision-2.json")).send().await.unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let problem = json_of(res).await;
    let detail = problem["detail"].as_str().unwrap();
    assert!(detail.contains("`mizan.receipt-1.json`"), "{problem}");
    assert!(detail.contains("`mizan.fairness.audit-1.json`"), "{problem}");
    assert!(detail.contains("`mizan.dataset-profile-1.json`"), "{problem}");
}
