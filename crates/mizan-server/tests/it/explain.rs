//! Models and explanations end to end: a provider uploads a model for a system version (bad
//! files and other organisations' systems are refused with nothing kept), logged decisions that
//! name it are explained on demand with numbers equal to `mizan-explain` run directly, the
//! explanation is stored once and reused, recourse honours immutable features, prepared models
//! are kept by hash and never mistaken for one another, and the citizen's page reads it in
//! English and Urdu.

use crate::common;

use std::sync::Arc;

use crate::common::{TestApp, csrf, password, sign_in, token};
use mizan_app::explain::{ExplanationDoc, PreparedModel, PreparedModels, explain_decision};
use mizan_explain::recourse::{Direction, Favourable, Recourse, RecourseConfig};
use mizan_store::OrgScope;
use serde_json::{Value, json};

const XGB: &[u8] = include_bytes!("../../../mizan-explain/examples/german_xgboost.json");
const LOGISTIC: &[u8] = include_bytes!("../../../mizan-explain/examples/german_logistic.json");
const LIGHTGBM: &[u8] = include_bytes!("../../../mizan-explain/examples/german_lightgbm.txt");
const APPLICANTS: &str = include_str!("../../../mizan-explain/examples/german_applicants.csv");

fn http() -> reqwest::Client {
    reqwest::Client::new()
}

async fn json_of(res: reqwest::Response) -> Value {
    res.json().await.expect("json body")
}

/// A registered system of the demo bank, and a token that may log its decisions.
async fn setup(app: &TestApp) -> (String, String) {
    common::registered_system(app, "German credit scoring").await
}

async fn upload(
    app: &TestApp,
    token: &str,
    id: &str,
    version: i64,
    query: &str,
    bytes: &[u8],
) -> reqwest::Response {
    http()
        .post(app.url(&format!("/api/v1/org/systems/{id}/versions/{version}/model?{query}")))
        .bearer_auth(token)
        .header("content-type", "application/octet-stream")
        .body(bytes.to_vec())
        .send()
        .await
        .unwrap()
}

/// Files kept under `<data-dir>/models/`, besides the demo's own model.
fn model_files(app: &TestApp) -> Vec<String> {
    let demo = mizan_explain::model_hash(mizan_app::demo::LOAN_MODEL);
    match std::fs::read_dir(app.data_dir.path().join("models")) {
        Ok(dir) => dir
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|f| *f != demo)
            .collect(),
        Err(_) => vec![],
    }
}

/// The example applicants as decision feature objects.
fn applicants() -> Vec<serde_json::Map<String, Value>> {
    let mut lines = APPLICANTS.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    lines
        .map(|l| {
            header
                .iter()
                .zip(l.split(','))
                .map(|(h, v)| ((*h).to_owned(), json!(v.parse::<f64>().expect("number"))))
                .collect()
        })
        .collect()
}

fn decision(key: &str, model_hash: &str, features: &serde_json::Map<String, Value>) -> Value {
    json!({
        "idempotency_key": key,
        "system_version": 1,
        "model_hash": model_hash,
        "features": features,
        "output": "decided",
        "score": null,
        "human": {"involved": false, "by": null},
        "decided_at": "2026-11-30T09:15:27Z",
        "subject_ref": format!("applicant-{key}")
    })
}

async fn log(app: &TestApp, id: &str, token: &str, items: &[Value]) -> Vec<String> {
    let res = http()
        .post(app.url(&format!("/api/v1/systems/{id}/decisions")))
        .bearer_auth(token)
        .json(&items)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    json_of(res).await["receipts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["reference"].as_str().unwrap().to_owned())
        .collect()
}

async fn explanation(app: &TestApp, reference: &str) -> reqwest::Response {
    http().get(app.url(&format!("/api/v1/receipts/{reference}/explanation"))).send().await.unwrap()
}

#[tokio::test]
async fn upload_refuses_corrupt_models_and_other_organisations_systems() {
    let app = TestApp::start(true).await;
    let (id, bank) = setup(&app).await;

    // A truncated file: the engine's reason, the field, and nothing kept.
    let res = upload(&app, &bank, &id, 1, "", &XGB[..XGB.len() / 2]).await;
    assert_eq!(res.status(), 400);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let p = json_of(res).await;
    assert_eq!(p["field"], "model");
    assert!(p["detail"].as_str().unwrap().contains("cannot be loaded"), "{p}");
    // Not a model at all, and an unsupported format version, each named.
    let p = json_of(upload(&app, &bank, &id, 1, "", b"hello, world").await).await;
    assert!(p["detail"].as_str().unwrap().contains("unrecognised model file"), "{p}");
    let p = json_of(upload(&app, &bank, &id, 1, "", br#"{"format": "mizan-linear/2"}"#).await).await;
    assert!(p["detail"].as_str().unwrap().contains("mizan-linear/2"), "{p}");
    let p = json_of(upload(&app, &bank, &id, 1, "", b"").await).await;
    assert!(p["detail"].as_str().unwrap().contains("empty"), "{p}");
    // Settings that do not fit the model name the field and the model's features.
    let p = json_of(upload(&app, &bank, &id, 1, "immutable=age,religion", XGB).await).await;
    assert_eq!(p["field"], "immutable");
    assert!(p["detail"].as_str().unwrap().contains("`religion`"), "{p}");
    let p = json_of(upload(&app, &bank, &id, 1, "bounds=age:90:18", XGB).await).await;
    assert_eq!(p["field"], "bounds");
    let p = json_of(upload(&app, &bank, &id, 1, "favourable=sideways", XGB).await).await;
    assert_eq!(p["field"], "favourable");
    let p = json_of(upload(&app, &bank, &id, 1, "colour=blue", XGB).await).await;
    assert_eq!(p["field"], "colour");
    // A version that does not exist.
    assert_eq!(upload(&app, &bank, &id, 2, "", XGB).await.status(), 404);

    // Another organisation cannot upload a model for the bank's system, even a good one.
    let health = token(&app.store, "admin@rahbar-health.demo", &["systems:read", "systems:write"]).await;
    let res = upload(&app, &health, &id, 1, "", XGB).await;
    assert_eq!(res.status(), 404, "another organisation's system is not found");
    assert!(model_files(&app).is_empty(), "nothing was kept: {:?}", model_files(&app));
    let listed = http()
        .get(app.url(&format!("/api/v1/org/systems/{id}/models")))
        .bearer_auth(&bank)
        .send()
        .await
        .unwrap();
    assert_eq!(json_of(listed).await, json!([]));
    // A token that may only read cannot upload.
    let reader = token(&app.store, "admin@indus-bank.demo", &["systems:read"]).await;
    assert_eq!(upload(&app, &reader, &id, 1, "", XGB).await.status(), 403);

    // A good upload is kept under its hash; repeating it changes nothing; other settings for
    // the same version are a conflict.
    let res = upload(&app, &bank, &id, 1, "immutable=sex,age&bounds=age:18:80", XGB).await;
    assert_eq!(res.status(), 201);
    let m = json_of(res).await;
    let hash = mizan_explain::model_hash(XGB);
    assert_eq!(m["sha256"], hash.as_str());
    assert_eq!(m["format"], "xgboost-json");
    assert_eq!(m["immutable"], json!(["age", "sex"]));
    assert_eq!(m["bounds"]["age"], json!([18.0, 80.0]));
    assert_eq!(m["feature_names"].as_array().unwrap().len(), 9);
    assert_eq!(model_files(&app), vec![hash.clone()]);
    assert_eq!(std::fs::read(app.data_dir.path().join("models").join(&hash)).unwrap(), XGB);
    let again = upload(&app, &bank, &id, 1, "immutable=age,sex&bounds=age:18:80", XGB).await;
    assert_eq!(again.status(), 200);
    let res = upload(&app, &bank, &id, 1, "favourable=low", XGB).await;
    assert_eq!(res.status(), 409);
    assert!(json_of(res).await["detail"].as_str().unwrap().contains("new version"));
    let listed = http()
        .get(app.url(&format!("/api/v1/org/systems/{id}/models")))
        .bearer_auth(&bank)
        .send()
        .await
        .unwrap();
    assert_eq!(json_of(listed).await.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn explanations_add_up_match_the_engine_and_keep_immutable_features() {
    let app = TestApp::start(true).await;
    let (id, bank) = setup(&app).await;
    assert_eq!(upload(&app, &bank, &id, 1, "immutable=age,sex", XGB).await.status(), 201);
    let hash = mizan_explain::model_hash(XGB);
    let rows = applicants();
    let items: Vec<Value> = rows
        .iter()
        .enumerate()
        .map(|(i, f)| decision(&format!("x-{i}"), &format!("sha256:{hash}"), f))
        .collect();
    let refs = log(&app, &id, &bank, &items).await;

    let model = mizan_explain::load_model(XGB).unwrap();
    let mut unfavourable = 0;
    for (r, features) in refs.iter().zip(&rows) {
        let res = explanation(&app, r).await;
        assert_eq!(res.status(), 200);
        let doc = json_of(res).await;
        assert_eq!(doc["format"], "mizan.explanation/1");
        assert_eq!(doc["model"]["sha256"], hash.as_str());
        assert_eq!(doc["method"], "tree_path_dependent");
        let x: Vec<f64> = model.feature_names.iter().map(|n| features[n].as_f64().unwrap()).collect();
        let margin = model.predict_margin(&x).unwrap()[0];
        let phi: Vec<f64> =
            doc["features"].as_array().unwrap().iter().map(|f| f["phi"].as_f64().unwrap()).collect();
        let phi0 = doc["phi0"].as_f64().unwrap();
        // Efficiency: the contributions add up to the model's own margin.
        assert!((phi.iter().sum::<f64>() + phi0 - margin).abs() <= 1e-9, "Σφ + φ0 = margin for {r}");
        assert!(doc["additivity_residual"].as_f64().unwrap() <= 1e-9);
        assert_eq!(doc["margin"].as_f64().unwrap(), margin);
        // The same numbers as the engine run directly on the same features.
        let direct = mizan_explain::shap::explain(&model, &hash, &x, 0).unwrap();
        for (j, (a, b)) in phi.iter().zip(&direct.phi).enumerate() {
            assert!((a - b).abs() <= 1e-12, "φ[{j}] of {r}: {a} vs {b}");
        }
        assert!((phi0 - direct.phi0).abs() <= 1e-12);
        // Recourse never touches an immutable feature, and every option really flips the model.
        let recourse = &doc["recourse"];
        if doc["outcome"] == "unfavourable" {
            unfavourable += 1;
            assert_ne!(recourse["status"], "already_favourable");
        } else {
            assert_eq!(recourse["status"], "already_favourable");
        }
        for option in recourse["options"].as_array().unwrap() {
            let mut y = x.clone();
            for c in option["changes"].as_array().unwrap() {
                let name = c["name"].as_str().unwrap();
                assert!(name != "age" && name != "sex", "recourse changed immutable `{name}`");
                let j = model.feature_names.iter().position(|n| n == name).unwrap();
                y[j] = c["to"].as_f64().unwrap();
            }
            assert!(model.predict_margin(&y).unwrap()[0] > 0.0, "option flips the outcome");
        }
        // Computed once: a second read returns the stored document unchanged.
        let stored = app.store.explanation(r).await.unwrap().expect("stored");
        assert_eq!(json_of(explanation(&app, r).await).await, doc);
        assert_eq!(app.store.explanation(r).await.unwrap().unwrap().computed_at, stored.computed_at);
    }
    assert!(unfavourable > 0, "the example applicants include an unfavourable outcome");

    // The regulator reads the same numbers; a provider token may not use the regulator's API.
    let reg = token(&app.store, "admin@regulator.demo", &["register:queue"]).await;
    let url = app.url(&format!("/api/v1/regulator/decisions/{}/explanation", refs[1]));
    let res = http().get(&url).bearer_auth(&reg).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(json_of(res).await, json_of(explanation(&app, &refs[1]).await).await);
    assert_eq!(http().get(&url).bearer_auth(&bank).send().await.unwrap().status(), 403);

    // Erasure deletes the explanation with the record.
    let res = http()
        .delete(app.url(&format!("/api/v1/org/decisions/{}", refs[0])))
        .bearer_auth(&bank)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert!(app.store.explanation(&refs[0]).await.unwrap().is_none());
    let res = explanation(&app, &refs[0]).await;
    assert_eq!(res.status(), 409);
    assert!(json_of(res).await["detail"].as_str().unwrap().contains("erased"));
}

#[tokio::test]
async fn linear_recourse_honours_bounds_and_immutable_features() {
    let app = TestApp::start(true).await;
    let (id, bank) = setup(&app).await;
    let res = upload(
        &app,
        &bank,
        &id,
        1,
        "immutable=age,sex&bounds=duration:4:72,credit_amount:250:20000",
        LOGISTIC,
    )
    .await;
    assert_eq!(res.status(), 201);
    let hash = mizan_explain::model_hash(LOGISTIC);
    let rows = applicants();
    let items: Vec<Value> =
        rows.iter().enumerate().map(|(i, f)| decision(&format!("l-{i}"), &hash.to_uppercase(), f)).collect();
    let refs = log(&app, &id, &bank, &items).await;
    let model = mizan_explain::load_model(LOGISTIC).unwrap();
    for (r, features) in refs.iter().zip(&rows) {
        let doc = json_of(explanation(&app, r).await).await;
        assert_eq!(doc["method"], "linear_closed_form", "a bare upper-case hex hash matches too");
        let x: Vec<f64> = model.feature_names.iter().map(|n| features[n].as_f64().unwrap()).collect();
        let margin = model.predict_margin(&x).unwrap()[0];
        let phi: f64 = doc["features"].as_array().unwrap().iter().map(|f| f["phi"].as_f64().unwrap()).sum();
        assert!((phi + doc["phi0"].as_f64().unwrap() - margin).abs() <= 1e-9);
        for option in doc["recourse"]["options"].as_array().unwrap() {
            for c in option["changes"].as_array().unwrap() {
                let name = c["name"].as_str().unwrap();
                assert!(name != "age" && name != "sex");
                let to = c["to"].as_f64().unwrap();
                let rounded = c["to_rounded"].as_f64().unwrap();
                match name {
                    "duration" => assert!((4.0..=72.0).contains(&to) && (4.0..=72.0).contains(&rounded)),
                    "credit_amount" => assert!((250.0..=20000.0).contains(&to)),
                    _ => {}
                }
                // The rounded value shown to people still changes the outcome.
                let mut y = x.clone();
                y[model.feature_names.iter().position(|n| n == name).unwrap()] = rounded;
                assert!(model.predict_margin(&y).unwrap()[0] > 0.0);
            }
        }
    }
}

/// Changes the registered system `id`'s record, submits it and has the regulator register it:
/// version 2, whose decisions may then be logged.
async fn second_version(app: &TestApp, id: &str, token: &str) {
    let mut record = common::record("German credit scoring");
    record["purpose"] = json!("second version, with a LightGBM model");
    let res = http()
        .put(app.url(&format!("/api/v1/org/systems/{id}")))
        .bearer_auth(token)
        .json(&record)
        .send()
        .await;
    assert_eq!(res.unwrap().status(), 200);
    let res = http()
        .post(app.url(&format!("/api/v1/org/systems/{id}/transitions")))
        .bearer_auth(token)
        .json(&json!({ "to": "submitted" }))
        .send()
        .await;
    assert_eq!(res.unwrap().status(), 200);
    common::regulator_moves(app, id, "under_review").await;
    common::regulator_moves(app, id, "registered").await;
}

/// `mizan-explain` run directly (nothing prepared beforehand) on the decision's features, with
/// the constraints the document says it used: its SHAP values and recourse must be the
/// document's, to the bit.
fn assert_engine_agrees(doc: &ExplanationDoc, bytes: &[u8], features: &serde_json::Map<String, Value>) {
    let model = mizan_explain::load_model(bytes).unwrap();
    let x: Vec<f64> = model.feature_names.iter().map(|n| features[n].as_f64().unwrap()).collect();
    let direct = mizan_explain::shap::explain(&model, &doc.model.sha256, &x, 0).unwrap();
    assert_eq!(doc.features.iter().map(|f| f.phi).collect::<Vec<_>>(), direct.phi, "φ of {}", doc.reference);
    assert_eq!((doc.phi0, doc.margin), (direct.phi0, direct.margin));
    let config = RecourseConfig {
        output: 0,
        favourable: if doc.favourable.side == "high" {
            Favourable::Above(doc.favourable.threshold)
        } else {
            Favourable::Below(doc.favourable.threshold)
        },
        directions: doc
            .features
            .iter()
            .map(|f| if f.immutable { Direction::Immutable } else { Direction::Any })
            .collect(),
        bounds: doc
            .features
            .iter()
            .map(|f| f.bounds.map_or((f64::NEG_INFINITY, f64::INFINITY), |[lo, hi]| (lo, hi)))
            .collect(),
        mads: doc.features.iter().map(|f| f.scale).collect(),
        max_options: mizan_app::explain::MAX_OPTIONS * 3,
        max_changes: mizan_app::explain::MAX_CHANGES,
    };
    // The platform searches widely, then keeps the options that survive rounding to values the
    // features can take (whole numbers here: every value of these rows is whole).
    let found = mizan_explain::recourse::search(&model, &x, &config).unwrap();
    let config = RecourseConfig { max_options: mizan_app::explain::MAX_OPTIONS, ..config };
    let steps = vec![mizan_explain::recourse::FeatureStep::Every(1.0); x.len()];
    assert!(x.iter().all(|v| v.fract() == 0.0));
    match mizan_explain::recourse::actionable(&model, &x, &config, &steps, found).unwrap() {
        Recourse::AlreadyFavourable => assert_eq!(doc.recourse.status, "already_favourable"),
        Recourse::NoneWithinConstraints { searched } => assert_eq!(doc.recourse.searched, Some(searched)),
        Recourse::Options(options) => {
            let got: Vec<_> = doc
                .recourse
                .options
                .iter()
                .map(|o| {
                    (o.cost, o.margin, o.changes.iter().map(|c| (c.name.clone(), c.to)).collect::<Vec<_>>())
                })
                .collect();
            let want: Vec<_> = options
                .iter()
                .map(|o| {
                    (o.cost, o.margin, o.changes.iter().map(|c| (c.name.clone(), c.to)).collect::<Vec<_>>())
                })
                .collect();
            assert_eq!(got, want, "recourse of {}", doc.reference);
        }
    }
}

/// Explanations come from prepared models kept by model hash. Two decisions of one model share
/// one prepared model and get exactly what the engine gives when run directly; a different
/// model uploaded for the next version is kept beside it and never mistaken for it, though the
/// applicants are the same; and past its capacity the cache drops the least recently used.
#[tokio::test]
async fn prepared_models_are_kept_by_hash_and_never_confused() {
    let app = TestApp::start(true).await;
    let (id, bank) = setup(&app).await;
    assert_eq!(upload(&app, &bank, &id, 1, "immutable=age,sex", XGB).await.status(), 201);
    let xgb = mizan_explain::model_hash(XGB);
    let rows = &applicants()[1..3];
    let v1 = log(&app, &id, &bank, &[decision("k-1", &xgb, &rows[0]), decision("k-2", &xgb, &rows[1])]).await;
    second_version(&app, &id, &bank).await;
    assert_eq!(upload(&app, &bank, &id, 2, "immutable=age,sex", LIGHTGBM).await.status(), 201);
    let lgb = mizan_explain::model_hash(LIGHTGBM);
    let mut items = vec![decision("k-3", &lgb, &rows[0]), decision("k-4", &lgb, &rows[1])];
    for item in &mut items {
        item["system_version"] = json!(2);
    }
    let v2 = log(&app, &id, &bank, &items).await;

    let cache = PreparedModels::new(2);
    let mut margins = Vec::new();
    for (refs, bytes, hash) in [(&v1, XGB, &xgb), (&v2, LIGHTGBM, &lgb)] {
        let fresh = PreparedModel::new(mizan_explain::load_model(bytes).unwrap());
        let mut shared: Option<Arc<PreparedModel>> = None;
        for (r, features) in refs.iter().zip(rows) {
            // The server's document (from the server's own cache) names this decision's model
            // and holds what the engine gives for it.
            let served: ExplanationDoc = explanation(&app, r).await.json().await.unwrap();
            assert_eq!(&served.model.sha256, hash);
            assert_engine_agrees(&served, bytes, features);
            margins.push(served.margin);
            // A cache of our own: the first decision prepares the model, the second finds it;
            // both give the same document as a model prepared afresh, and as the server.
            let d = app.store.decision(r).await.unwrap();
            let record: Value = serde_json::from_str(d.record_json.as_deref().unwrap()).unwrap();
            let stored = app.store.decision_model(r, hash).await.unwrap().expect("the decision's model");
            let prepared = match cache.get(hash) {
                Some(p) => p,
                None => cache.insert(hash, PreparedModel::new(mizan_explain::load_model(bytes).unwrap())),
            };
            if let Some(first) = &shared {
                assert!(Arc::ptr_eq(first, &prepared), "one prepared model per hash");
            }
            shared = Some(Arc::clone(&prepared));
            let cached = explain_decision(r, &record, &stored, None, &prepared).unwrap();
            assert_eq!(cached, explain_decision(r, &record, &stored, None, &fresh).unwrap());
            assert_eq!(cached, served);
        }
    }
    assert_eq!(cache.hashes(), [xgb.clone(), lgb.clone()], "one entry per model, in order of use");
    assert_ne!(margins[0..2], margins[2..4], "the same applicants, two models, two answers");

    // Past capacity the least recently used model goes: here the LightGBM one, since the
    // XGBoost one was used since.
    let xgb_kept = cache.get(&xgb).expect("kept");
    let linear = mizan_explain::model_hash(LOGISTIC);
    cache.insert(&linear, PreparedModel::new(mizan_explain::load_model(LOGISTIC).unwrap()));
    assert_eq!(cache.hashes(), [xgb.clone(), linear]);
    assert!(cache.get(&lgb).is_none(), "dropped");
    assert!(Arc::ptr_eq(&cache.get(&xgb).unwrap(), &xgb_kept), "kept, not prepared again");
}

#[tokio::test]
async fn a_decision_without_its_model_says_so() {
    let app = TestApp::start(true).await;
    let (id, bank) = setup(&app).await;
    let refs = log(&app, &id, &bank, &[decision("n-1", "sha256:9f2c0d6e", &applicants()[0])]).await;
    let res = explanation(&app, &refs[0]).await;
    assert_eq!(res.status(), 409);
    let p = json_of(res).await;
    assert!(p["detail"].as_str().unwrap().contains("no model uploaded"), "{p}");
    assert!(p["detail"].as_str().unwrap().contains("sha256:9f2c0d6e"), "{p}");
    for (lang, needle) in [("en", "cannot be explained yet"), ("ur", "وضاحت ابھی ممکن نہیں")]
    {
        let res = http().get(app.url(&format!("/receipt/{}?lang={lang}", refs[0]))).send().await.unwrap();
        assert_eq!(res.status(), 200);
        let html = res.text().await.unwrap();
        assert!(html.contains(needle), "{lang} page says the model is missing");
        assert!(html.contains("sha256:9f2c0d6e"));
    }
    // A model that lacks a feature the record needs is named, not guessed.
    let mut features = applicants()[0].clone();
    features.remove("duration");
    assert_eq!(upload(&app, &bank, &id, 1, "", LOGISTIC).await.status(), 201);
    let hash = mizan_explain::model_hash(LOGISTIC);
    let refs = log(&app, &id, &bank, &[decision("n-2", &format!("sha256:{hash}"), &features)]).await;
    let p = json_of(explanation(&app, &refs[0]).await).await;
    assert!(p["detail"].as_str().unwrap().contains("feature `duration`"), "{p}");
    assert!(app.store.explanation(&refs[0]).await.unwrap().is_none(), "nothing is stored for it");
}

/// The demo's personal-loan decisions, by key.
async fn demo_references(app: &TestApp) -> Vec<String> {
    let org = app.store.org_by_slug("demo-indus-bank").await.unwrap();
    let scope = OrgScope::new(org.id);
    let system = app
        .store
        .org_systems(scope)
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.name_en == "Personal loan credit scoring")
        .unwrap();
    let target = app.store.decision_target(scope, &system.public_id, 0).await.unwrap();
    let keys: Vec<String> = (0..24).map(|i| format!("demo-loan-{i:03}")).collect();
    let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
    let found = app.store.decisions_by_key(scope, &target, &refs).await.unwrap();
    keys.iter().map(|k| found[k].reference.clone()).collect()
}

#[tokio::test]
async fn demo_receipts_read_in_english_and_urdu() {
    let app = TestApp::start(true).await;
    let refs = demo_references(&app).await;
    // Applicant 17 was declined: low income and three existing loans.
    let r = &refs[17];
    let doc = json_of(explanation(&app, r).await).await;
    assert_eq!(doc["outcome"], "unfavourable");
    assert_eq!(doc["recorded_output"], "decline");
    assert_eq!(doc["recorded_score"], doc["score"], "the demo logged the model's own score");
    assert_eq!(doc["model"]["sha256"], mizan_explain::model_hash(mizan_app::demo::LOAN_MODEL).as_str());
    assert_eq!(doc["recourse"]["status"], "options");
    for o in doc["recourse"]["options"].as_array().unwrap() {
        for c in o["changes"].as_array().unwrap() {
            assert!(!["months_at_employer", "credit_history_months"].contains(&c["name"].as_str().unwrap()));
        }
    }
    let en =
        http().get(app.url(&format!("/receipt/{r}?lang=en"))).send().await.unwrap().text().await.unwrap();
    assert!(en.contains(r#"<html lang="en" dir="ltr">"#));
    for needle in [
        "What counted against you",
        "Existing loans",
        "What would change the outcome",
        "Monthly income: ",
        "instead of 49,623 rupees",
        "<strong id=\"outcome\">Declined</strong>",
        "result was not in your favour",
        "<details id=\"technical\">",
        &format!("/api/v1/receipts/{r}"),
        &format!("/verify?reference={r}"),
    ] {
        assert!(en.contains(needle), "English page has `{needle}`");
    }
    let ur =
        http().get(app.url(&format!("/receipt/{r}?lang=ur"))).send().await.unwrap().text().await.unwrap();
    assert!(ur.contains(r#"<html lang="ur" dir="rtl">"#), "the Urdu page is right to left");
    for needle in [
        "آپ کا فیصلہ",
        "کن باتوں نے آپ کے خلاف کام کیا",
        "ماہانہ آمدنی",
        "موجودہ قرضے",
        "نتیجہ کیسے بدل سکتا تھا",
        "49,623 روپے کے بجائے",
        "<strong id=\"outcome\">مسترد</strong>",
    ] {
        assert!(ur.contains(needle), "Urdu page has `{needle}`");
    }
    assert!(!ur.contains("What counted"), "no English left on the Urdu page");
    assert!(!ur.contains(">decline<"), "the outcome is in Urdu, not the provider's raw value");
    // The demo's card gives every label: its public page does not say labels are missing, and
    // income suggestions are in whole thousands of rupees (the card's step).
    let system = doc["system"].as_str().unwrap();
    let public =
        http().get(app.url(&format!("/register/{system}"))).send().await.unwrap().text().await.unwrap();
    assert!(!public.contains("id=\"labels-missing\""));
    for c in
        doc["recourse"]["options"].as_array().unwrap().iter().flat_map(|o| o["changes"].as_array().unwrap())
    {
        if c["name"] == "monthly_income_pkr" {
            assert_eq!(c["to"].as_f64().unwrap() % 1000.0, 0.0, "{c}");
        }
    }
    // An approved applicant needs no change.
    let approved = json_of(explanation(&app, &refs[4]).await).await;
    assert_eq!(approved["recourse"]["status"], "already_favourable");

    // The lookup form on the register leads to the receipt's page.
    let register = http().get(app.url("/register")).send().await.unwrap().text().await.unwrap();
    assert!(register.contains(r#"action="/receipt""#));
    let res =
        app.client().get(app.url(&format!("/receipt?reference={}", r.to_uppercase()))).send().await.unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], format!("/receipt/{r}").as_str());
    let res = http().get(app.url("/receipt?reference=not%20a%20reference")).send().await.unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(http().get(app.url("/receipt/nosuchreference0000")).send().await.unwrap().status(), 404);

    // Seeding again changes nothing: same decisions, same model.
    let other_ledger = tempfile::tempdir().unwrap();
    let ledger = mizan_app::logs::Logs::open_in(other_ledger.path(), &app.base).unwrap();
    let state = mizan_server::AppState::new(
        mizan_app::Platform::new(
            app.store.clone(),
            mizan_app::PlatformConfig::new(app.base.clone(), app.data_dir.path()),
            ledger,
        ),
        mizan_server::Config::default(),
    );
    assert_eq!(mizan_app::demo::seed_decisions(&state.app).await.unwrap(), 0);
    assert_eq!(demo_references(&app).await, refs);
    // `serve --demo` prints a declined and an approved receipt to open.
    let samples = mizan_app::demo::sample_receipts(&state.app).await.unwrap();
    assert_eq!(
        samples,
        vec![(refs[17].clone(), "decline".to_owned()), (refs[4].clone(), "approve".to_owned())]
    );
}

#[tokio::test]
async fn provider_uploads_through_the_page_and_the_regulator_reads_every_number() {
    let app = TestApp::start(true).await;
    let (id, _) = setup(&app).await;
    let c = sign_in(&app, "admin@indus-bank.demo", password("admin@indus-bank.demo")).await;
    let page =
        c.get(app.url(&format!("/app/systems/{id}/models"))).send().await.unwrap().text().await.unwrap();
    assert!(page.contains(r#"enctype="multipart/form-data""#));
    let token = csrf(&app, &c).await;
    let boundary = "----mizan-test-boundary";
    let multipart = |csrf: &str, file: &[u8]| {
        let mut b = Vec::new();
        for (k, v) in [
            ("csrf", csrf),
            ("version", "1"),
            ("favourable", "high"),
            ("threshold", "0"),
            ("immutable", "age, sex"),
        ] {
            b.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                    .as_bytes(),
            );
        }
        b.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"model\"; filename=\"m.json\"\r\nContent-Type: application/json\r\n\r\n")
                .as_bytes(),
        );
        b.extend_from_slice(file);
        b.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        b
    };
    let post = |body: Vec<u8>| {
        c.post(app.url(&format!("/app/systems/{id}/models")))
            .header("content-type", format!("multipart/form-data; boundary={boundary}"))
            .body(body)
            .send()
    };
    // A forged form (wrong CSRF token) and a corrupt file are refused, nothing kept.
    assert_eq!(post(multipart("0".repeat(48).as_str(), XGB)).await.unwrap().status(), 403);
    let res = post(multipart(&token, b"{\"learner\": 3}")).await.unwrap();
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("cannot be loaded"));
    assert!(model_files(&app).is_empty());
    let res = post(multipart(&token, XGB)).await.unwrap();
    assert_eq!(res.status(), 303);
    let hash = mizan_explain::model_hash(XGB);
    assert_eq!(res.headers()["location"], format!("/app/systems/{id}/models?uploaded={hash}").as_str());
    let page = c
        .get(app.url(&format!("/app/systems/{id}/models?uploaded={hash}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains(&format!("sha256:{hash}")));
    assert!(page.contains("age, sex"));

    // The regulator lists the demo system's decisions and reads every number of one.
    let refs = demo_references(&app).await;
    let reg = sign_in(&app, "admin@regulator.demo", password("admin@regulator.demo")).await;
    let org = app.store.org_by_slug("demo-indus-bank").await.unwrap();
    let loan = app
        .store
        .org_systems(OrgScope::new(org.id))
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.name_en == "Personal loan credit scoring")
        .unwrap();
    let list = reg
        .get(app.url(&format!("/regulator/systems/{}/decisions", loan.public_id)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(list.contains(&format!("/regulator/decisions/{}", refs[17])));
    let full = reg
        .get(app.url(&format!("/regulator/decisions/{}", refs[17])))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for needle in [
        "<details id=\"technical\" open>",
        "Value as the model compares it",
        "never changed",
        "monthly_income_pkr",
    ] {
        assert!(full.contains(needle), "regulator page has `{needle}`");
    }
    // A provider may not open the regulator's page.
    let res = c.get(app.url(&format!("/regulator/decisions/{}", refs[17]))).send().await.unwrap();
    assert_eq!(res.status(), 403);
}

#[tokio::test]
async fn model_uploads_are_bounded_and_invalid_json_says_where() {
    let app = TestApp::start(true).await;
    let (id, bank) = setup(&app).await;
    // JSON that breaks on line 3 is reported as JSON, with line and column.
    let broken = b"{\n  \"learner\": {\n    \"attributes\": [1, 2,, 3]\n  }\n}\n";
    let res = upload(&app, &bank, &id, 1, "", broken).await;
    assert_eq!(res.status(), 400);
    let p = json_of(res).await;
    assert_eq!(p["field"], "model");
    let detail = p["detail"].as_str().unwrap();
    assert!(detail.contains("invalid JSON in the model file at line 3, column"), "{p}");
    assert!(!detail.contains("ubjson"), "{p}");
    // A model body over the limit (the issue's 30 MiB) is refused before it is parsed.
    let mut big = b"{\"learner\": [".to_vec();
    while big.len() < 30 << 20 {
        big.extend_from_slice(b"[0.5, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5], ");
    }
    big.extend_from_slice(b"0]}");
    let res = upload(&app, &bank, &id, 1, "", &big).await;
    assert_eq!(res.status(), 413);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    assert!(model_files(&app).is_empty(), "nothing kept");
}

#[tokio::test]
async fn the_model_limit_comes_from_the_platform_limits() {
    let limits = mizan_app::limits::Limits { model_bytes: 1000, ..mizan_app::limits::Limits::default() };
    let app = TestApp::start_with_limits(true, limits).await;
    let (id, bank) = setup(&app).await;
    assert!(XGB.len() > 1000);
    let res = upload(&app, &bank, &id, 1, "", XGB).await;
    assert_eq!(res.status(), 413, "the body limit is the platform's");
    // And the platform refuses it before parsing, whoever calls it.
    let e = app.platform.load_model(axum::body::Bytes::from_static(XGB)).await.unwrap_err();
    assert!(e.to_string().contains("at most 1000 are accepted"), "{e}");
}

/// A model card for the example German credit models: every feature labelled in English and
/// Urdu, coded values for the categories, units, and the two outputs.
fn german_card() -> Value {
    let coded = |labels: &[(&str, &str)]| -> Value {
        labels
            .iter()
            .enumerate()
            .map(|(i, (en, ur))| json!({"value": i, "label": {"en": en, "ur": ur}}))
            .collect()
    };
    json!({
        "format": "mizan.model-card/1",
        "features": [
            {"name": "sex", "label": {"en": "Sex", "ur": "جنس"}, "protected": true,
             "values": coded(&[("female", "عورت"), ("male", "مرد")])},
            {"name": "age", "label": {"en": "Age", "ur": "عمر"}, "unit": {"en": "years", "ur": "سال"}, "step": 1, "protected": true},
            {"name": "job", "label": {"en": "Job skill level", "ur": "ملازمت کی مہارت کا درجہ"}, "step": 1, "min": 0, "max": 3},
            {"name": "housing", "label": {"en": "Housing", "ur": "رہائش"},
             "values": coded(&[("free housing", "مفت رہائش"), ("own home", "اپنا گھر"), ("rented home", "کرائے کا گھر")])},
            {"name": "saving_accounts", "label": {"en": "Savings", "ur": "بچت"},
             "values": coded(&[("little savings", "تھوڑی بچت"), ("moderate savings", "درمیانی بچت"), ("savings not known", "بچت معلوم نہیں"), ("quite rich", "کافی بچت"), ("rich", "بہت بچت")])},
            {"name": "checking_account", "label": {"en": "Checking account", "ur": "چیکنگ اکاؤنٹ"},
             "values": coded(&[("little in checking", "چیکنگ میں تھوڑی رقم"), ("moderate in checking", "چیکنگ میں درمیانی رقم"), ("no checking account", "کوئی چیکنگ اکاؤنٹ نہیں"), ("rich in checking", "چیکنگ میں زیادہ رقم")])},
            {"name": "credit_amount", "label": {"en": "Amount borrowed", "ur": "قرض کی رقم"}, "unit": {"en": "marks", "ur": "مارک"}, "step": 1, "min": 250, "max": 20000},
            {"name": "duration", "label": {"en": "Loan length", "ur": "قرض کی مدت"}, "unit": {"en": "months", "ur": "مہینے"}, "step": 1, "min": 4, "max": 72},
            {"name": "purpose", "label": {"en": "Purpose", "ur": "مقصد"}, "immutable": true,
             "values": coded(&[("business", "کاروبار"), ("car", "گاڑی"), ("appliances", "گھریلو سامان"), ("education", "تعلیم"), ("furniture", "فرنیچر"), ("radio or TV", "ریڈیو یا ٹی وی"), ("repairs", "مرمت"), ("other", "دیگر")])}
        ],
        "outputs": [
            {"value": "approve", "label": {"en": "Approved", "ur": "منظور"}, "favourable": true},
            {"value": "decline", "label": {"en": "Declined", "ur": "مسترد"}, "favourable": false}
        ]
    })
}

async fn put_card(app: &TestApp, token: &str, id: &str, version: i64, card: &Value) -> reqwest::Response {
    http()
        .put(app.url(&format!("/api/v1/org/systems/{id}/versions/{version}/model/card")))
        .bearer_auth(token)
        .json(card)
        .send()
        .await
        .unwrap()
}

/// Model-card events of system `id`.
async fn card_events(app: &TestApp, bank: &str, id: &str) -> usize {
    let _ = bank;
    let org = app.store.org_by_slug("demo-indus-bank").await.unwrap();
    let view = app.store.org_system(OrgScope::new(org.id), id).await.unwrap();
    view.events.iter().filter(|e| e.kind == "model-card").count()
}

/// The applicants with the outputs the model gives them (favourable side high, threshold 0).
fn decided(model: &mizan_explain::Model, prefix: &str) -> Vec<(Value, Vec<f64>, bool)> {
    applicants()
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let x: Vec<f64> = model.feature_names.iter().map(|n| f[n].as_f64().unwrap()).collect();
            let good = model.predict_margin(&x).unwrap()[0] > 0.0;
            let mut d =
                decision(&format!("{prefix}-{i}"), &format!("sha256:{}", mizan_explain::model_hash(XGB)), f);
            d["output"] = json!(if good { "approve" } else { "decline" });
            (d, x, good)
        })
        .collect()
}

#[tokio::test]
async fn model_cards_label_explanations_and_are_corrected_only_before_use() {
    let app = TestApp::start(true).await;
    let (id, bank) = setup(&app).await;
    // Uploaded without labels: the provider's page warns, the public page says so.
    assert_eq!(upload(&app, &bank, &id, 1, "", XGB).await.status(), 201);
    let listed = json_of(
        http()
            .get(app.url(&format!("/api/v1/org/systems/{id}/models")))
            .bearer_auth(&bank)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(listed[0]["card"], Value::Null);
    assert!(listed[0]["labels_missing"].as_array().unwrap().contains(&json!("checking_account")));
    let provider = sign_in(&app, "admin@indus-bank.demo", password("admin@indus-bank.demo")).await;
    let page = provider
        .get(app.url(&format!("/app/systems/{id}/models")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Labels missing"), "the provider's page warns");
    for lang in ["en", "ur"] {
        let public = http()
            .get(app.url(&format!("/register/{id}?lang={lang}")))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(public.contains("id=\"labels-missing\""), "the public page ({lang}) says labels are missing");
    }

    // A card that does not fit the model is refused, saying what and where; nothing is kept.
    let cases: [(&str, Value, &str); 4] = [
        ("/features/0/name", json!("religion"), "features[0].name"),
        ("/features/1/label/ur", json!(""), "features[1].label.ur"),
        ("/features/3/values/0/value", json!("free"), "invalid type"),
        ("/outputs/1/label/en", json!(" "), "outputs[1].label.en"),
    ];
    for (pointer, value, says) in cases {
        let mut card = german_card();
        *card.pointer_mut(pointer).unwrap() = value;
        let res = put_card(&app, &bank, &id, 1, &card).await;
        assert_eq!(res.status(), 400, "{pointer}");
        let p = json_of(res).await;
        assert_eq!(p["field"], "card");
        assert!(p["detail"].as_str().unwrap().contains(says), "{pointer}: {p}");
    }
    assert_eq!(card_events(&app, &bank, &id).await, 0);

    // A good card, then a correction before any explanation: both kept, each an event.
    let mut card = german_card();
    card["outputs"][1]["label"]["en"] = json!("Turned down");
    let res = put_card(&app, &bank, &id, 1, &card).await;
    assert_eq!(res.status(), 200);
    let res = put_card(&app, &bank, &id, 1, &german_card()).await;
    assert_eq!(res.status(), 200);
    let m = json_of(res).await;
    assert_eq!(m["cards"], 2);
    assert_eq!(m["labels_missing"], json!([]));
    assert_eq!(m["card"]["outputs"][1]["label"]["en"], "Declined", "the newest card wins");
    assert_eq!(card_events(&app, &bank, &id).await, 2, "every card given is an event");
    let public = http().get(app.url(&format!("/register/{id}"))).send().await.unwrap().text().await.unwrap();
    assert!(!public.contains("id=\"labels-missing\""));

    // Explanations read in the card's words, in both languages; protected features (age, sex)
    // and immutable ones are never suggested, and every suggested value is one the feature can
    // take (whole numbers, existing codes) and still flips the model.
    let model = mizan_explain::load_model(XGB).unwrap();
    let rows = decided(&model, "card");
    let refs = log(&app, &id, &bank, &rows.iter().map(|r| r.0.clone()).collect::<Vec<_>>()).await;
    let card = german_card();
    let mut declined = None;
    let mut options = 0;
    for (r, (_, x, good)) in refs.iter().zip(&rows) {
        let doc = json_of(explanation(&app, r).await).await;
        assert_eq!(doc["contradiction"], Value::Null, "a consistent log has no contradiction");
        for o in doc["recourse"]["options"].as_array().unwrap() {
            options += 1;
            let mut y = x.clone();
            for c in o["changes"].as_array().unwrap() {
                let name = c["name"].as_str().unwrap();
                assert!(!["age", "sex", "purpose"].contains(&name), "`{name}` suggested");
                let to = c["to"].as_f64().unwrap();
                assert_eq!(to.fract(), 0.0, "`{name}` suggested as {to}");
                let f = card["features"].as_array().unwrap().iter().find(|f| f["name"] == name).unwrap();
                if let Some(values) = f["values"].as_array() {
                    assert!(
                        values.iter().any(|v| v["value"].as_f64() == Some(to)),
                        "`{name}` = {to} is no code"
                    );
                }
                y[model.feature_names.iter().position(|n| n == name).unwrap()] = to;
            }
            assert!(model.predict_margin(&y).unwrap()[0] > 0.0, "the suggestion still flips the model");
        }
        if !good && declined.is_none() {
            declined = Some(r.clone());
        }
    }
    assert!(options > 0, "some suggestions were checked");
    let r = declined.expect("a declined applicant");
    let en =
        http().get(app.url(&format!("/receipt/{r}?lang=en"))).send().await.unwrap().text().await.unwrap();
    for needle in ["<strong id=\"outcome\">Declined</strong>", "Checking account", "Loan length"] {
        assert!(en.contains(needle), "English receipt has `{needle}`");
    }
    assert!(!en.contains("checking account: ") && !en.contains(">decline<"), "no raw names or outputs");
    let ur =
        http().get(app.url(&format!("/receipt/{r}?lang=ur"))).send().await.unwrap().text().await.unwrap();
    for needle in ["<strong id=\"outcome\">مسترد</strong>", "چیکنگ اکاؤنٹ", "قرض کی مدت"]
    {
        assert!(ur.contains(needle), "Urdu receipt has `{needle}`");
    }

    // Once a decision was explained with the model, its card can no longer change.
    let res = put_card(&app, &bank, &id, 1, &german_card()).await;
    assert_eq!(res.status(), 409);
    assert!(json_of(res).await["detail"].as_str().unwrap().contains("already explained"));
    assert_eq!(card_events(&app, &bank, &id).await, 2, "a refused correction is no event");
}

#[tokio::test]
async fn an_outcome_contradicting_the_model_is_said_and_listed() {
    let app = TestApp::start(true).await;
    let (id, bank) = setup(&app).await;
    // The favourable side set wrongly: a low margin counts as favourable.
    assert_eq!(upload(&app, &bank, &id, 1, "favourable=low", XGB).await.status(), 201);
    let model = mizan_explain::load_model(XGB).unwrap();
    let rows = decided(&model, "wrong");
    let refs = log(&app, &id, &bank, &rows.iter().map(|r| r.0.clone()).collect::<Vec<_>>()).await;
    let (r, _) = refs.iter().zip(&rows).find(|(_, row)| !row.2).expect("a declined applicant");
    let doc = json_of(explanation(&app, r).await).await;
    assert_eq!(doc["outcome"], "favourable", "under the wrong setting the model reads favourable");
    assert_eq!(
        doc["contradiction"],
        json!({"recorded_output": "decline", "recorded": "unfavourable", "model": "favourable", "source": "common_word"})
    );
    // The receipt says so plainly instead of "no change is needed", in both languages.
    let en =
        http().get(app.url(&format!("/receipt/{r}?lang=en"))).send().await.unwrap().text().await.unwrap();
    assert!(en.contains("id=\"contradiction\""));
    assert!(en.contains("The two do not agree"));
    assert!(!en.contains("No change is needed"), "the receipt does not claim the result was in their favour");
    let ur =
        http().get(app.url(&format!("/receipt/{r}?lang=ur"))).send().await.unwrap().text().await.unwrap();
    assert!(ur.contains("دونوں میں مطابقت نہیں"));
    assert!(!ur.contains("کسی تبدیلی کی ضرورت نہیں"));
    // An approved applicant's log agrees... under the wrong side it does not either: listed too.
    // The provider sees the contradictions on the model page, the regulator on its list.
    let provider = sign_in(&app, "admin@indus-bank.demo", password("admin@indus-bank.demo")).await;
    let page = provider
        .get(app.url(&format!("/app/systems/{id}/models")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("id=\"contradictions\"") && page.contains(r.as_str()), "listed for the provider");
    let reg = sign_in(&app, "admin@regulator.demo", password("admin@regulator.demo")).await;
    let list = reg.get(app.url("/regulator/contradictions")).send().await.unwrap();
    assert_eq!(list.status(), 200);
    let list = list.text().await.unwrap();
    assert!(list.contains(&format!("/regulator/decisions/{r}")), "listed for the regulator");
    let list_ur =
        reg.get(app.url("/regulator/contradictions?lang=ur")).send().await.unwrap().text().await.unwrap();
    assert!(list_ur.contains("ناموافق"));
    // Another organisation's provider may not read the regulator's list.
    assert_eq!(provider.get(app.url("/regulator/contradictions")).send().await.unwrap().status(), 403);
    // A consistent system lists none.
    let demo_list = app.store.org_contradictions(
        OrgScope::new(app.store.org_by_slug("demo-indus-bank").await.unwrap().id),
        &id,
        10,
    );
    assert!(!demo_list.await.unwrap().is_empty());
}

/// The ethics board reads the model a system decides with on its review page: the file, its
/// inputs, its favourable side, and which labels the provider has not given.
#[tokio::test]
async fn the_review_page_shows_the_model_and_its_missing_labels() {
    let app = TestApp::start(true).await;
    let (id, token) = common::submitted_system(&app, "Reviewed credit scoring").await;
    let bytes = mizan_app::demo::LOAN_MODEL;
    let res = upload(&app, &token, &id, 1, "favourable=high", bytes).await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let board =
        common::sign_in(&app, "reviewer2@regulator.demo", common::password("reviewer2@regulator.demo")).await;
    let page =
        board.get(app.url(&format!("/review/systems/{id}"))).send().await.unwrap().text().await.unwrap();
    let section = page.split("id=\"review-models-title\"").nth(1).expect("the model section");
    assert!(section.contains(&format!("sha256:{}", mizan_explain::model_hash(bytes))), "the file");
    assert!(section.contains("higher scores"), "the favourable side in words");
    assert!(section.contains("Labels missing"), "no card, so the labels are missing");
    let ur = board
        .get(app.url(&format!("/review/systems/{id}?lang=ur")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(ur.contains("وہ ماڈل جس سے یہ فیصلے کرتا ہے"));
}
