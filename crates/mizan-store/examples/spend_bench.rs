//! Times the sandbox's budget check and record (`bench/sandbox/run.sh`): `Store::record_spend`,
//! which reads a project's running total, checks it against the budget and writes the spend and
//! its event in one write transaction. Usage: `spend_bench DATABASE_URL [SPENDS] [CONCURRENCY]`
//! (defaults 2,000 and 8); `sqlite://DIR/bench.db` or a PostgreSQL URL (a fresh database).
//!
//! Makes one organisation, user, dataset and settings row, then SPENDS spends spread over
//! CONCURRENCY tasks at once, each spend on one of 16 projects' budgets (so spends of the same
//! version contend for the same lock, as they do in the platform). Prints p50, p99 and max of
//! one check-and-record, and the spends per second.

use std::sync::Arc;
use std::time::Instant;

use mizan_store::{
    ActorRef, CaseProjection, NewCase, NewDatasetVersion, NewSandboxSettings, NewSpend, OrgKind, OrgScope,
    Spender, Store,
};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let url = args.next().ok_or("usage: spend_bench DATABASE_URL [SPENDS] [CONCURRENCY]")?;
    let spends: usize = args.next().map_or(Ok(2000), |a| a.parse())?;
    let concurrency: usize = args.next().map_or(Ok(8), |a| a.parse())?;
    let store = Store::connect(&url).await?;
    store.migrate().await?;
    let org = store.create_org("bench-steward", "Bench steward", OrgKind::Provider).await?;
    let scope = OrgScope::new(org.id);
    let user = store.create_user("bench@example.pk", "Bench", "x").await?;
    let actor = ActorRef { user_id: Some(user.id), name: "bench".into() };
    let first = NewDatasetVersion {
        meta_json: "{}".into(),
        files_json: "[]".into(),
        scan_json: "{}".into(),
        access: "restricted".into(),
    };
    store.create_dataset(scope, &actor, "bench-data", &first, false).await?;
    let v = store.org_dataset_version(scope, "bench-data", None).await?;
    let settings_id = store
        .set_sandbox_settings(&NewSandboxSettings {
            dataset_id: v.dataset_id,
            version: v.version,
            settings: "{}".into(),
            file_name: "bench.csv".into(),
            table_sha256: "0".repeat(64),
            rows_in: 0,
            rows_kept: 0,
            units: 0,
            set_by: user.id,
        })
        .await?;
    let mut projects = Vec::new();
    for i in 0..16 {
        let case = NewCase {
            reference: format!("DA-BENCH{i:05}"),
            case_type: "data-access".into(),
            type_version: 1,
            org_id: org.id,
            system_id: None,
            system_version: v.version,
            subject: "dataset:bench-data".into(),
            token_hash: String::new(),
            entry_key: "00".repeat(32),
            lang: "en".into(),
            contact_email: None,
            contact_phone: None,
            publish_consent: false,
            grounds_category: String::new(),
            document: None,
        };
        let approved = CaseProjection { state: "approved".into(), ..CaseProjection::default() };
        projects.push(store.open_case(&case, &[], &approved).await?);
    }
    let store = Arc::new(store);
    let per_task = spends / concurrency.max(1);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for t in 0..concurrency {
        let (store, projects) = (store.clone(), projects.clone());
        tasks.push(tokio::spawn(async move {
            let mut times = Vec::with_capacity(per_task);
            for i in 0..per_task {
                let spend = NewSpend {
                    settings_id,
                    spender: Spender::Project(projects[(t * per_task + i) % projects.len()]),
                    user_id: user.id,
                    shape: "count(*) by province".into(),
                    mechanism: "discrete-laplace".into(),
                    epsilon: 0.001,
                    delta: 0.0,
                    budget: (1e9, 0.0),
                    org_id: org.id,
                    subject: "dataset:bench-data".into(),
                    actor_name: "researcher".into(),
                };
                let at = Instant::now();
                store
                    .record_spend(&spend, |te, _| format!("dp-spend bench: total {te}"))
                    .await
                    .expect("spend")
                    .expect("within budget");
                times.push(at.elapsed().as_secs_f64() * 1000.0);
            }
            times
        }));
    }
    let mut times = Vec::new();
    for t in tasks {
        times.extend(t.await?);
    }
    let wall = started.elapsed().as_secs_f64();
    times.sort_by(f64::total_cmp);
    let q = |p: f64| times[((times.len() as f64 - 1.0) * p).round() as usize];
    println!(
        "{} spends, {concurrency} at once: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms, {:.0} spends/s",
        times.len(),
        q(0.5),
        q(0.99),
        times.last().copied().unwrap_or(0.0),
        times.len() as f64 / wall
    );
    Ok(())
}
