//! The platform's operations without HTTP, on a real database (SQLite, or PostgreSQL when
//! `MIZAN_TEST_DATABASE_URL` is set): log a batch of decisions and prove one offline, run an
//! audit over a window of logged decisions, and refuse bad input without storing anything.

use std::time::Duration;

use mizan_app::audits::{RawParams, Window};
use mizan_app::logs::Logs;
use mizan_app::{Error, Platform, PlatformConfig};
use mizan_ledger::checkpoint::TlogProof;
use mizan_store::{Auditor, OrgScope, Principal};
use mizan_test::TestDb;
use serde_json::{Value, json};

/// A platform over a fresh database with the demo organisations and systems, and its own logs.
struct Running {
    platform: Platform,
    _db: TestDb,
    _dir: tempfile::TempDir,
}

async fn platform() -> Running {
    let db = TestDb::new().await;
    let store = db.store().await;
    mizan_app::demo::seed(&store).await.expect("seed the demo");
    let dir = tempfile::tempdir().unwrap();
    let base_url = "http://mizan.test".to_owned();
    let logs = Logs::open_in(dir.path(), &base_url).expect("open the logs");
    let config = PlatformConfig::new(base_url, dir.path());
    Running { platform: Platform::new(store, config, logs), _db: db, _dir: dir }
}

/// The demo bank, and its personal-loan system (public id, latest version).
async fn loan_system(p: &Platform) -> (mizan_store::Org, String, i64) {
    let org = p.store().org_by_slug("demo-indus-bank").await.unwrap();
    let system = p
        .store()
        .org_systems(OrgScope::new(org.id))
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.name_en == "Personal loan credit scoring")
        .expect("the demo loan system");
    (org, system.public_id, system.latest_version)
}

fn decision(key: &str, version: i64, income: i64, approve: bool) -> Value {
    json!({
        "idempotency_key": key,
        "system_version": version,
        "model_hash": "sha256:00",
        "features": {"monthly_income_pkr": income, "gender": if income % 2 == 0 { "f" } else { "m" }},
        "output": if approve { "approve" } else { "decline" },
        "score": 0.5,
        "human": {"involved": false, "by": null},
        "decided_at": "2026-03-01T10:17:42Z",
        "subject_ref": format!("subject-{key}"),
    })
}

#[tokio::test]
async fn log_a_batch_of_decisions_and_prove_one_offline() {
    let r = platform().await;
    let p = &r.platform;
    let (org, id, version) = loan_system(p).await;
    let scope = OrgScope::new(org.id);
    let items: Vec<Value> =
        (0..10).map(|i| decision(&format!("k{i}"), version, 1000 + i, i % 3 == 0)).collect();
    let (receipts, any_new) = p.log_decisions(scope, &id, items.clone()).await.expect("logged");
    assert!(any_new);
    assert_eq!(receipts.len(), 10);
    let first = receipts[0].leaf_index;
    for (i, r) in receipts.iter().enumerate() {
        assert_eq!(r.leaf_index, first + i as u64, "one leaf each, in order");
        assert_eq!(r.idempotency_key, format!("k{i}"));
    }
    // Sending the batch again logs nothing new: the same receipts.
    let (again, any_new) = p.log_decisions(scope, &id, items).await.unwrap();
    assert!(!any_new);
    assert_eq!(
        again.iter().map(|r| &r.reference).collect::<Vec<_>>(),
        receipts.iter().map(|r| &r.reference).collect::<Vec<_>>()
    );

    // Once a checkpoint covers it, the receipt proves offline with the log's key alone.
    let log = p.logs().decisions();
    let size = log.wait_published(first + 10, Duration::from_secs(10)).await.unwrap();
    assert!(size >= first + 10, "published within the wait");
    let receipt = serde_json::to_value(p.receipt(&receipts[3].reference).await.unwrap()).unwrap();
    assert_eq!(receipt["status"], "proven");
    let proof = TlogProof::parse(receipt["proof"].as_str().expect("a proof")).expect("a C2SP tlog-proof");
    let leaf = hex::decode(receipt["leaf"].as_str().expect("the leaf")).unwrap();
    proof.verify(&leaf, &log.verifier()).expect("the receipt proves against the log key");
    // ... and a leaf it was not given does not.
    let mut other = leaf.clone();
    other[20] ^= 1;
    assert!(proof.verify(&other, &log.verifier()).is_err());
    // The opening recomputes the leaf.
    let opening = &receipt["opening"];
    mizan_ledger::leaf::open(&leaf, opening["record"].as_str().unwrap(), opening["k"].as_str().unwrap())
        .expect("the record and key open the leaf");

    // Erasure keeps the leaf and drops the opening.
    p.erase_decision(scope, &receipts[3].reference).await.unwrap();
    let erased = serde_json::to_value(p.receipt(&receipts[3].reference).await.unwrap()).unwrap();
    assert_eq!(erased["status"], "erased");
    assert!(erased["opening"].is_null());
    assert_eq!(erased["leaf_hash"], receipt["leaf_hash"]);
}

#[tokio::test]
async fn a_bad_decision_is_refused_by_field_and_nothing_is_logged() {
    let r = platform().await;
    let p = &r.platform;
    let (org, id, version) = loan_system(p).await;
    let scope = OrgScope::new(org.id);
    let before = p.logs().decisions().staged_size();
    let mut bad = decision("b1", version, 10, true);
    bad["decided_at"] = json!("yesterday");
    let items = vec![decision("b0", version, 10, true), bad];
    match p.log_decisions(scope, &id, items).await {
        Err(Error::BadRequest { field, detail }) => {
            assert_eq!(field.as_deref(), Some("decisions[1].decided_at"), "{detail}");
        }
        other => panic!("expected a bad request, got {other:?}"),
    }
    assert_eq!(p.logs().decisions().staged_size(), before, "no leaf for a refused batch");
    let target = p.store().decision_target(scope, &id, 0).await.unwrap();
    assert!(
        p.store().decisions_by_key(scope, &target, &["b0"]).await.unwrap().is_empty(),
        "no record either"
    );
}

#[tokio::test]
async fn an_audit_over_a_window_of_logged_decisions() {
    let r = platform().await;
    let p = &r.platform;
    let (org, id, version) = loan_system(p).await;
    let scope = OrgScope::new(org.id);
    // 40 decisions: half to each gender, women approved 5 times in 20, men 15 times in 20.
    let items: Vec<Value> = (0..40)
        .map(|i| {
            let female = i % 2 == 0;
            let approve = if female { i % 8 == 0 } else { i % 4 != 1 };
            decision(&format!("w{i}"), version, if female { 2 * i } else { 2 * i + 1 }, approve)
        })
        .collect();
    p.log_decisions(scope, &id, items.clone()).await.unwrap();
    let (f_yes, m_yes) = items.iter().fold((0, 0), |(f, m), d| {
        let yes = d["output"] == "approve";
        let female = d["features"]["gender"] == "f";
        (f + usize::from(yes && female), m + usize::from(yes && !female))
    });

    let principal = Principal {
        user: None,
        org: org.clone(),
        roles: vec!["provider-admin".into()],
        permissions: Default::default(),
        via_token: false,
    };
    let by = Auditor::provider(&principal);
    let raw = RawParams {
        sensitive: vec!["gender".into()],
        pos_label: Some("approve".into()),
        ..RawParams::default()
    };
    let window = Window::parse("2026-03-01", "2026-03-01").unwrap();
    let info = p
        .audit_logged(&by, &id, version, window, raw.clone(), &format!("/api/v1/org/systems/{id}"))
        .await
        .expect("audited");
    assert_eq!(info.rows, 40, "every decision in the window");
    let report: Value = serde_json::from_str(
        &p.store().audit_report(mizan_store::AuditScope::Org(scope), &id, &info.id).await.unwrap().json,
    )
    .unwrap();
    let r = &report["report"];
    assert_eq!(r["labelled"], false, "logged decisions carry no true outcome");
    // The groups' counts are the decisions above: favourable ones count as TP, the others as TN.
    for (gender, yes) in [("f", f_yes), ("m", m_yes)] {
        let g =
            r["groups"].as_array().unwrap().iter().find(|g| g["group"] == json!([gender])).expect("group");
        assert_eq!(g["rows"], 20, "{gender}");
        assert_eq!(g["counts"]["n"][0], yes, "{gender}");
        assert_eq!(g["counts"]["n"][3], 20 - yes, "{gender}");
    }
    assert_ne!(f_yes, m_yes, "the groups differ, so a swapped count would fail");

    // A window with no decisions is refused, naming why, and stores nothing.
    let empty = Window::parse("2025-01-01", "2025-01-31").unwrap();
    let before = p.store().audits(mizan_store::AuditScope::Org(scope), &id).await.unwrap().len();
    match p.audit_logged(&by, &id, version, empty, raw, "/api").await {
        Err(Error::Audit(e)) => assert!(e.key.starts_with("audit-err-"), "{e}"),
        other => panic!("expected a refused audit, got {other:?}"),
    }
    assert_eq!(p.store().audits(mizan_store::AuditScope::Org(scope), &id).await.unwrap().len(), before);
}

#[tokio::test]
async fn the_demo_has_an_appeal_in_every_state_and_each_replays() {
    use mizan_app::appeals::Actor;
    use mizan_app::demo::APPEALS;
    use mizan_cases::EntryKind;

    let r = platform().await;
    let p = &r.platform;
    assert_eq!(mizan_app::demo::seed_decisions(p).await.unwrap(), 24);
    assert_eq!(mizan_app::demo::seed_appeals(p).await.expect("seeded"), APPEALS.len());
    assert_eq!(mizan_app::demo::seed_appeals(p).await.unwrap(), 0, "a second start files nothing");

    let regulator = Principal {
        user: None,
        org: p.store().org_by_slug("demo-regulator").await.unwrap(),
        roles: vec!["regulator-admin".into()],
        permissions: ["appeals:read".to_owned(), "appeals:regulate".to_owned()].into(),
        via_token: false,
    };
    let mut seen = std::collections::BTreeSet::new();
    for a in APPEALS {
        // The regulator's view replays the stored history (an error otherwise) and fires
        // whatever is due, which must be nothing: the seeder recorded it.
        let before = p.store().case_by_reference(a.reference).await.unwrap().1.len();
        let v = p.appeal(a.reference, &Actor::Staff(&regulator)).await.expect(a.reference);
        assert_eq!(v.entries.len(), before, "{}: nothing was due", a.reference);
        assert_eq!(v.case.projection.state, a.state, "{}", a.reference);
        assert_eq!(v.case.projection.late, a.late, "{}", a.reference);
        assert!(v.entries.iter().all(|e| e.intact == Some(true)), "{}: commitments hold", a.reference);
        assert!(v.entries.iter().all(|e| e.event_id.is_some()), "{}: in the events log", a.reference);
        // The documented secret opens the status page; another does not.
        let filer = p.appeal(a.reference, &Actor::Filer(a.token)).await.expect("the demo secret");
        assert!(filer.entry_key.is_some());
        assert!(matches!(p.appeal(a.reference, &Actor::Filer("demo-appeal")).await, Err(Error::NotFound(_))));
        let kinds: Vec<_> =
            v.entries.iter().filter_map(|e| e.entry.as_ref().map(|e| e.kind.clone())).collect();
        let missed = kinds.iter().filter(|k| matches!(k, EntryKind::Deadline { .. })).count();
        assert_eq!(missed > 0, a.late, "{}: a deadline entry exactly when late", a.reference);
        seen.insert((a.state, v.case.projection.outcome.clone(), v.superseded_by.is_some()));
    }
    for want in [
        ("filed", None, false),
        ("decided", Some("upheld".to_owned()), false),
        ("decided", Some("reversed".to_owned()), true),
        ("escalated", Some("upheld".to_owned()), false),
        ("closed", Some("upheld".to_owned()), false),
        ("withdrawn", None, false),
    ] {
        assert!(seen.contains(&want), "no demo appeal {want:?} in {seen:?}");
    }
    assert!(APPEALS.iter().any(|a| a.state == "filed" && a.late));
    assert!(APPEALS.iter().any(|a| a.state == "filed" && !a.late));

    // The reversal logged a decision that supersedes the appealed one, as the case records.
    let reversed = APPEALS.iter().find(|a| a.reference == "AP-DEM0000004").unwrap();
    let v = p.appeal(reversed.reference, &Actor::Filer(reversed.token)).await.unwrap();
    let new = v.superseded_by.clone().expect("replaced");
    let decide = v.entries.iter().rev().find_map(|e| e.entry.as_ref()).unwrap();
    assert_eq!(decide.fields.get("new_decision"), Some(&new));
    let record: Value =
        serde_json::from_str(&p.store().decision(&new).await.unwrap().record_json.unwrap()).unwrap();
    assert_eq!(record["output"], "approve");
    assert!(record["supersedes"]["leaf_index"].is_u64(), "{record}");

    // The public figures follow the projections.
    let stats = p.appeal_stats(&v.case.system.clone().unwrap()).await.unwrap();
    assert_eq!(stats.received, 7);
    assert_eq!(stats.decided, 4);
    assert_eq!(stats.changed, 1);
    assert_eq!(stats.escalated, 2);
    assert_eq!(stats.late, 1);
    assert_eq!(stats.open, 5);

    // All systems' figures in one pass are each system's own (`bench/appeals/run.sh` times both).
    let all = p.store().case_stats_by_system(mizan_app::appeals::APPEAL, 15).await.unwrap();
    assert!(!all.is_empty());
    for (system, figures) in &all {
        let own = p.store().case_stats(mizan_app::appeals::APPEAL, Some(system), None, 15).await.unwrap();
        assert_eq!(figures, &own, "{system}");
    }
    assert_eq!(all.get(v.case.system.as_deref().unwrap()), Some(&stats));
}

#[tokio::test]
async fn the_demo_holds_declined_loans_for_a_person_and_shows_reviews() {
    let r = platform().await;
    let p = &r.platform;
    assert_eq!(mizan_app::demo::seed_decisions(p).await.unwrap(), 24);
    assert_eq!(mizan_app::demo::seed_oversight(p).await.expect("seeded"), 6);
    assert_eq!(mizan_app::demo::seed_oversight(p).await.unwrap(), 0, "a second start holds nothing more");
    let bank = p.store().org_by_slug("demo-indus-bank").await.unwrap();
    let system = p
        .store()
        .org_systems(mizan_store::OrgScope::new(bank.id))
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.name_en == "Personal loan credit scoring")
        .unwrap();
    let f = p.oversight_figures(&system.public_id).await.unwrap();
    assert_eq!((f.agreement.reviewed, f.agreement.changed, f.waiting), (3, 1, 3));
    assert_eq!(f.policies.len(), 1);
    assert_eq!(f.policies.values().next().unwrap().adverse_outputs, vec![Value::from("decline")]);
    // The demo decisions logged before the policy stay in effect; the held ones wait.
    let (user, _) = p.store().user_for_login("admin@indus-bank.demo").await.unwrap().unwrap();
    let reviewer = p.store().principal_for_user(user).await.unwrap().unwrap();
    let queue = p.held_queue(&reviewer, 50, 0).await.unwrap();
    assert_eq!(queue.len(), 3);
    for c in &queue {
        let v = p.held_review(&c.reference, &reviewer).await.unwrap();
        assert_eq!(v.reasons.first().map(String::as_str), Some("adverse"), "{:?}", v.reasons);
        assert_eq!(v.record.as_ref().map(|r| r.output.clone()), Some(Value::from("decline")));
        assert!(v.final_decision.is_none());
    }
    let agreement = p.reviewer_agreement(&reviewer).await.unwrap();
    assert_eq!(agreement.len(), 1);
    assert_eq!(agreement[0].1.reviewed, 3);
}
