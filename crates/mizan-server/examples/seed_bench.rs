//! Loads N AI systems into a database for the register and review-queue benchmarks
//! (`bench/register/run.sh`, `bench/review/run.sh`). Usage: `seed_bench DATABASE_URL N [AWAITING]`.
//!
//! Every system but the last AWAITING (default 0) is registered; those are high-risk and left
//! waiting for the ethics board, with one approval each. A reviewer account
//! `bench-reviewer@example.pk` (password `bench-reviewer`) is made for the queue benchmark.
//! It goes through the store's real API (create, answer, submit, review, register), so the rows
//! are exactly what the application would have written.

use mizan_register::{Record, Status};
use mizan_store::{
    ActorRef, OrgKind, OrgScope, Principal, RegulatorScope, ReviewDecision, ReviewerScope, Store,
};
use serde_json::json;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let url = args.next().ok_or("usage: seed_bench DATABASE_URL N")?;
    let n: usize = args.next().ok_or("usage: seed_bench DATABASE_URL N")?.parse()?;
    let awaiting: usize = args.next().map_or(Ok(0), |a| a.parse())?;
    let store = Store::connect(&url).await?;
    store.migrate().await?;
    let reg_org = store.create_org("bench-regulator", "Bench regulator", OrgKind::Regulator).await?;
    let reg = RegulatorScope::of(&Principal {
        user: None,
        org: reg_org.clone(),
        roles: vec![],
        permissions: Default::default(),
        via_token: false,
    })
    .ok_or("regulator scope")?;
    let sectors = mizan_register::SECTORS;
    let mut orgs = vec![];
    for i in 0..20 {
        orgs.push(
            store
                .create_org(&format!("bench-org-{i}"), &format!("Bench organisation {i}"), OrgKind::Provider)
                .await?,
        );
    }
    let actor = ActorRef { user_id: None, name: "bench".into() };
    let mut reviewers = vec![];
    for (i, email) in ["bench-reviewer@example.pk", "bench-reviewer-2@example.pk"].into_iter().enumerate() {
        let hash = mizan_app::passwords::hash_password("bench-reviewer")?;
        let user = store.create_user(email, &format!("Bench reviewer {i}"), &hash).await?;
        store.add_membership(user.id, reg_org.id, "reviewer").await?;
        reviewers.push(
            ReviewerScope::of(&Principal {
                user: Some(user),
                org: reg_org.clone(),
                roles: vec!["reviewer".into()],
                permissions: ["review:decide".to_owned()].into(),
                via_token: false,
            })
            .ok_or("reviewer scope")?,
        );
    }
    let low_risk = serde_json::from_value(json!({"is_ai_system": "no"}))?;
    // Credit scoring (Annex III point 5(b)): every question neutral, then what differs.
    let mut high_risk = mizan_rules::Ruleset::embedded()?.neutral_answers();
    for (q, a) in [
        ("is_ai_system", "yes"),
        ("role", "provider"),
        ("annex_iii_5", "yes"),
        ("annex_iii_5_point", "creditworthiness"),
        ("profiling", "yes"),
    ] {
        high_risk.insert(q.to_owned(), a.to_owned());
    }
    let impact = serde_json::from_value(json!({
        "decision_type": "informs_human", "reversibility": "easily", "duration": "brief", "rights_affected": "no",
        "vulnerable_groups": "no", "personal_data": "none", "scale": "under_1k", "opacity": "fully",
        "human_review": "all", "bias_testing": "continuously", "appeal_route": "yes", "logging": "yes"
    }))?;
    for i in 0..n {
        let org = &orgs[i % orgs.len()];
        let scope = OrgScope::new(org.id);
        let record = Record::from_json(&json!({
            "name": {"en": format!("Benchmark system {i:05}"), "ur": format!("نظام {i}")},
            "short_description": "A generated system for load testing the register",
            "sector": sectors[i % sectors.len()],
            "purpose": "load testing", "intended_use": "load testing", "deployment_context": "benchmark",
            "affected_persons": "nobody", "legal_basis": "none", "human_oversight": "always",
            "appeals_mechanism": "none", "data_development": "synthetic", "data_operational": "synthetic",
            "model_type": "gradient boosted trees", "risk_management": "n/a", "contact_email": "bench@example.pk",
            "deployment_status": "in-use", "languages": ["en", "ur"]
        }))
        .map_err(|e| format!("{e:?}"))?;
        let id = store.create_system(scope, &actor, &record, false).await?;
        store.set_impact_answers(scope, &id, &actor, &impact).await?;
        if i + awaiting >= n {
            store.set_risk_answers(scope, &id, &actor, &high_risk).await?;
            let v = store.submit(scope, &id, &actor, "").await?;
            store.decide_review(&reviewers[1], &id, v, ReviewDecision::Approve, "bench").await?;
        } else {
            store.set_risk_answers(scope, &id, &actor, &low_risk).await?;
            store.submit(scope, &id, &actor, "").await?;
            store.regulator_transition(reg, &id, Status::UnderReview, &actor, "bench").await?;
            store.regulator_transition(reg, &id, Status::Registered, &actor, "bench").await?;
        }
        if i % 1000 == 999 {
            eprintln!("{} systems loaded", i + 1);
        }
    }
    store.close().await;
    Ok(())
}
