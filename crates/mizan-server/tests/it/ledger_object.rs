//! The decision API with the ledger in object storage (`mizan serve --ledger-store URL`): a
//! `file://` directory through `object_store`, and an S3-compatible bucket when
//! `MIZAN_TEST_S3_URL` is set. Receipts prove inclusion, `/log/...` is read through the store,
//! and the log verifies from scratch both in the store and over HTTP.

use crate::common;

use std::sync::Arc;
use std::time::Duration;

use crate::common::TestApp;
use mizan_app::logs::LedgerStorage;
use mizan_ledger::checkpoint::TlogProof;
use mizan_ledger::note::NoteVerifier;
use mizan_ledger::store::LogStore;
use mizan_ledger::verify::verify_log;
use mizan_ledger_object::ObjectStorage;
use serde_json::{Value, json};

fn decision(key: &str) -> Value {
    json!({
        "idempotency_key": key,
        "system_version": 1,
        "model_hash": "sha256:9f2c0d6e",
        "features": {"income": 85000, "tenure_months": 14},
        "output": "approve",
        "score": 0.81,
        "human": {"involved": false, "by": null},
        "decided_at": "2026-11-30T09:15:27Z",
        "subject_ref": format!("applicant-{key}")
    })
}

/// Logs decisions on a server whose ledger lives in `storage` and checks everything a citizen
/// and an auditor would.
async fn check(storage: Arc<ObjectStorage>) {
    let app = TestApp::start_with_ledger(true, &LedgerStorage::Object(storage.clone())).await;
    let (id, bank) = common::registered_system(&app, "Loans with an object-stored ledger").await;
    let http = reqwest::Client::new();
    let batch = json!([decision("o-1"), decision("o-2"), decision("o-3")]);
    let res = http
        .post(app.url(&format!("/api/v1/systems/{id}/decisions")))
        .bearer_auth(&bank)
        .json(&batch)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201, "{}", storage.url());
    let receipts: Value = res.json().await.unwrap();
    let reference = receipts["receipts"][1]["reference"].as_str().unwrap().to_owned();

    let mut proven = None;
    for _ in 0..200 {
        let r: Value = http
            .get(app.url(&format!("/api/v1/receipts/{reference}")))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if r["status"] == "proven" {
            proven = Some(r);
            break;
        }
        assert_eq!(r["status"], "pending");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let r = proven.expect("the receipt is proven");
    let vkey = NoteVerifier::from_vkey(r["vkey"].as_str().unwrap()).unwrap();
    let proof = TlogProof::parse(r["proof"].as_str().unwrap()).unwrap();
    let leaf = hex::decode(r["leaf"].as_str().unwrap()).unwrap();
    let cp = proof.verify(&leaf, &vkey).expect("inclusion proof verifies against the log key");
    assert!(cp.checkpoint.size >= 3);

    // The tiles are in the object store, not in the data directory, and `/log/...` serves them.
    let shard = r["log"].as_str().unwrap().rsplit('/').next().unwrap().to_owned();
    let in_store = storage.read_only(&shard).unwrap();
    assert!(!app.data_dir.path().join("ledger").join(&shard).join("tile").exists());
    let served = http.get(app.url(&format!("/log/{shard}/checkpoint"))).send().await.unwrap();
    assert_eq!(served.status(), 200);
    let served = served.bytes().await.unwrap();
    let stored = tokio::task::spawn_blocking(move || in_store.read("checkpoint")).await.unwrap().unwrap();
    assert_eq!(Some(served.to_vec()), stored);
    for probe in ["origin", ".state/latest", "tile/../origin", "tile/0/abc"] {
        let res = http.get(app.url(&format!("/log/{shard}/{probe}"))).send().await.unwrap();
        assert_eq!(res.status(), 404, "{probe} is not served");
    }

    // The log verifies from scratch, read from the store and read over HTTP.
    let (in_store, over_http) = (storage.read_only(&shard).unwrap(), app.url(&format!("/log/{shard}")));
    let (direct, served) = tokio::task::spawn_blocking(move || {
        let http_log = mizan_witness::HttpLog::new(&over_http, Duration::from_secs(10)).unwrap();
        (verify_log(&in_store, &vkey).unwrap().size, verify_log(&http_log, &vkey).unwrap().size)
    })
    .await
    .unwrap();
    assert!(direct >= cp.checkpoint.size && served >= cp.checkpoint.size, "{direct} {served}");
    // The events log sits beside it under its own prefix.
    let events = storage.read_only(&format!("events/{shard}")).unwrap();
    let origin = tokio::task::spawn_blocking(move || events.read("origin")).await.unwrap().unwrap();
    assert!(origin.is_some_and(|o| o.starts_with(b"events.")));
}

#[tokio::test]
async fn decisions_are_proven_with_the_ledger_in_a_file_url() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("file://{}", dir.path().display());
    check(ObjectStorage::connect(&url, Vec::<(String, String)>::new()).unwrap()).await;
    let logs = std::fs::read_dir(dir.path())
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().join("checkpoint").is_file());
    assert_eq!(logs.count(), 1, "the decisions log's checkpoint is in the directory");
}

#[tokio::test]
async fn decisions_are_proven_with_the_ledger_in_s3() {
    let Some(storage) = s3("server") else { return };
    check(storage).await;
}

/// A fresh prefix in the S3 bucket `MIZAN_TEST_S3_URL` names (credentials from `AWS_*`), or
/// `None` when it is not set, which `MIZAN_TEST_REQUIRE_S3` (set in CI) makes a failure.
fn s3(tag: &str) -> Option<Arc<ObjectStorage>> {
    let Ok(url) = std::env::var("MIZAN_TEST_S3_URL") else {
        assert!(
            std::env::var_os("MIZAN_TEST_REQUIRE_S3").is_none(),
            "MIZAN_TEST_REQUIRE_S3 is set but MIZAN_TEST_S3_URL is not"
        );
        eprintln!(
            "skipped: MIZAN_TEST_S3_URL is not set (scripts/test starts a local S3 server and sets it)"
        );
        return None;
    };
    let prefix = format!("{tag}-{:016x}", rand::random::<u64>());
    let aws = std::env::vars().filter(|(k, _)| k.starts_with("AWS_"));
    Some(ObjectStorage::connect(&format!("{}/{prefix}", url.trim_end_matches('/')), aws).unwrap())
}

/// Logs are shards by year in object storage too: once next year's log is open, last year's is
/// found by listing the store, served read-only, and its receipts still prove. A batch
/// acknowledged just before last year's server stopped (journaled in the store, not yet
/// integrated) is integrated when this year's server opens it.
async fn earlier_years_are_served(storage: Arc<ObjectStorage>) {
    use mizan_app::logs::Logs;
    use mizan_ledger::log::{LeafIndex, encode_staged};
    use mizan_ledger::sequencer::SequencerConfig;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("ledger");
    let kept = LedgerStorage::Object(Arc::clone(&storage));
    let leaves: Vec<Vec<u8>> = (0..300u16).map(|i| i.to_be_bytes().repeat(20)).collect();
    let old = Logs::open(&root, &kept, "mizan.test", 2025, SequencerConfig::default()).unwrap();
    old.decisions().append(leaves[..290].to_vec()).await.unwrap();
    assert_eq!(old.decisions().wait_published(290, Duration::from_secs(10)).await.unwrap(), 290);
    old.shutdown().unwrap();
    let (last, storage2) = (leaves[290..].to_vec(), Arc::clone(&storage));
    tokio::task::spawn_blocking(move || {
        let journal = storage2.open_log("2025").unwrap();
        journal.stage(&encode_staged(290, &last).unwrap()).unwrap();
    })
    .await
    .unwrap();

    let now = Logs::open(&root, &kept, "mizan.test", 2026, SequencerConfig::default()).unwrap();
    let archived = now.decisions().archived_logs();
    assert_eq!(archived.len(), 1, "{archived:?}");
    let (origin, shard, vkey) = &archived[0];
    assert_eq!((origin.as_str(), shard.as_str()), ("decisions.mizan.test/2025", "2025"));
    assert_eq!(now.decisions().previous_log(), Some("decisions.mizan.test/2025"));
    let (reader, _) = now.decisions().log_for(origin).unwrap();
    assert_eq!(reader.size(), 300, "the journaled batch is integrated");
    let verifier = NoteVerifier::from_vkey(vkey).unwrap();
    for i in [0u64, 289, 299] {
        let proof = reader.receipt(LeafIndex(i)).unwrap();
        proof.verify(&leaves[i as usize], &verifier).expect("last year's receipt proves");
    }
    let cp = now.decisions().read_archived("2025", "checkpoint").unwrap();
    assert!(String::from_utf8(cp).unwrap().starts_with("decisions.mizan.test/2025\n300\n"));
    // An events log that never published anything is not listed.
    assert!(now.events().archived_logs().is_empty());
    now.shutdown().unwrap();
}

#[tokio::test]
async fn earlier_years_are_served_from_a_file_url() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("file://{}", dir.path().display());
    earlier_years_are_served(ObjectStorage::connect(&url, Vec::<(String, String)>::new()).unwrap()).await;
}

#[tokio::test]
async fn earlier_years_are_served_from_s3() {
    let Some(storage) = s3("years") else { return };
    earlier_years_are_served(storage).await;
}

/// A steward's upload is kept in the object storage (not the data directory), downloads whole
/// and by range from it with its hash, and a metadata change re-scans it from there.
async fn dataset_files_in(storage: Arc<ObjectStorage>) -> TestApp {
    use object_store::ObjectStoreExt as _;
    use sha2::{Digest as _, Sha256};
    let app = TestApp::start_with_ledger(true, &LedgerStorage::Object(storage.clone())).await;
    let http = reqwest::Client::new();
    let steward = common::token(&app.store, "steward@citizen-services.demo", &["datasets:write"]).await;
    let meta = json!({
        "title": {"en": "Water points"}, "description": {"en": "Water points by district."},
        "licence": "cc-by-4.0", "contact": {"name": "Data office", "email": "data@citizen-services.demo"},
        "frequency": "NEVER", "access": "open"});
    let res = http
        .post(app.url("/api/v1/org/datasets"))
        .bearer_auth(&steward)
        .json(&json!({"slug": "water-points", "meta": meta}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap_or_default());
    let body: String = std::iter::once("district,points\n".to_owned())
        .chain((0..2000).map(|i| format!("District {i},{}\n", i * 7 % 113)))
        .collect();
    let sha = hex::encode(Sha256::digest(body.as_bytes()));
    let res = http
        .put(app.url("/api/v1/org/datasets/water-points/files/points.csv?after=1"))
        .bearer_auth(&steward)
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap_or_default());
    // Kept in the storage, not in the data directory; nothing left in the upload directory.
    let (store, key) = storage.object(&format!("datasets/sha256/{}/{sha}", &sha[..2])).unwrap();
    assert_eq!(store.head(&key).await.unwrap().size, body.len() as u64, "{}", storage.url());
    assert!(!app.data_dir.path().join(format!("datasets/sha256/{}/{sha}", &sha[..2])).exists());
    let tmp = app.data_dir.path().join("datasets/tmp");
    assert_eq!(std::fs::read_dir(&tmp).map_or(0, Iterator::count), 0, "no upload left behind");
    // A metadata change re-scans the kept file (read back from the storage).
    let mut changed = meta.clone();
    changed["description"]["en"] = json!("Working water points by district.");
    let res = http
        .put(app.url("/api/v1/org/datasets/water-points/metadata?after=2"))
        .bearer_auth(&steward)
        .json(&changed)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap_or_default());
    let res = http
        .post(app.url("/api/v1/org/datasets/water-points/versions/3/publish"))
        .bearer_auth(&steward)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap_or_default());
    let profile: Value = http
        .get(app.url("/api/v1/datasets/water-points/versions/3/profile"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(profile[0]["profile"]["rows"], 2000, "{profile}");
    // Downloads, whole and by range, come from the storage.
    let path = "/datasets/water-points/v/3/files/points.csv";
    let res = http.get(app.url(path)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(hex::encode(Sha256::digest(res.bytes().await.unwrap())), sha);
    let res = http.get(app.url(path)).header("range", "bytes=16-31").send().await.unwrap();
    assert_eq!(res.status(), 206);
    assert_eq!(res.headers()["content-range"], format!("bytes 16-31/{}", body.len()).as_str());
    assert_eq!(res.bytes().await.unwrap().as_ref(), &body.as_bytes()[16..32]);
    app
}

#[tokio::test]
async fn dataset_files_live_in_a_file_url() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("file://{}", dir.path().display());
    dataset_files_in(ObjectStorage::connect(&url, Vec::<(String, String)>::new()).unwrap()).await;
    let kept: Vec<_> = std::fs::read_dir(dir.path().join("datasets/sha256")).unwrap().collect();
    assert_eq!(kept.len(), 1, "the file is in the directory the URL names");
}

#[tokio::test]
async fn dataset_files_live_in_s3() {
    let Some(storage) = s3("datasets") else { return };
    dataset_files_in(storage).await;
}
