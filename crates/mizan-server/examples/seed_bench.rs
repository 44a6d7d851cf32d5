//! Loads N registered AI systems into a database for the register benchmark
//! (`bench/register/run.sh`). Usage: `seed_bench DATABASE_URL N`.
//!
//! It goes through the store's real API (create, submit, review, register), so the rows are
//! exactly what the application would have written.

use mizan_register::{Record, Status};
use mizan_store::{ActorRef, OrgKind, OrgScope, Principal, RegulatorScope, Store};
use serde_json::json;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let url = args.next().ok_or("usage: seed_bench DATABASE_URL N")?;
    let n: usize = args.next().ok_or("usage: seed_bench DATABASE_URL N")?.parse()?;
    let store = Store::connect(&url).await?;
    store.migrate().await?;
    let regulator = store.create_org("bench-regulator", "Bench regulator", OrgKind::Regulator).await?;
    let reg = RegulatorScope::of(&Principal {
        user: None,
        org: regulator,
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
        store.submit(scope, &id, &actor, "").await?;
        store.regulator_transition(reg, &id, Status::UnderReview, &actor, "bench").await?;
        store.regulator_transition(reg, &id, Status::Registered, &actor, "bench").await?;
        if i % 1000 == 999 {
            eprintln!("{} systems loaded", i + 1);
        }
    }
    store.close().await;
    Ok(())
}
