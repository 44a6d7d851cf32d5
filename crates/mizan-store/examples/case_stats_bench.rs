//! Times the public appeal figures of every system (`bench/appeals/run.sh`). Usage:
//! `case_stats_bench DATA_DIR [SYSTEMS] [CASES_PER_SYSTEM]` (defaults 1,000 and 1,000).
//!
//! Makes a fresh SQLite database in DATA_DIR with SYSTEMS systems (through `Store::create_system`)
//! and SYSTEMS × CASES_PER_SYSTEM closed appeals, then computes every system's figures twice:
//! with `Store::case_stats` once per system (what `GET /api/v1/systems/{id}/appeals` runs), and
//! with `Store::case_stats_by_system` in one pass; it checks both agree and prints the times.
//!
//! Opening a million cases through `Store::open_case` would take tens of minutes of commits, so
//! the `cases` rows are inserted by one SQL statement: each row as a closed appeal's projection
//! (state `closed`, an outcome, a first decision 0 to 29 days after filing, some escalated or
//! late). The figures read only `cases` (and `systems` to name the system), so the entries and
//! events an appeal also has are not written; they do not change what the figures read.

use std::time::Instant;

use mizan_register::Record;
use mizan_store::{ActorRef, OrgKind, OrgScope, Store};
use serde_json::json;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir =
        std::path::PathBuf::from(args.next().ok_or("usage: case_stats_bench DATA_DIR [SYSTEMS] [CASES]")?);
    let systems: usize = args.next().map_or(Ok(1000), |a| a.parse())?;
    let per_system: usize = args.next().map_or(Ok(1000), |a| a.parse())?;
    std::fs::create_dir_all(&dir)?;
    let db = dir.join("stats.db");
    let store = Store::connect(&format!("sqlite://{}", db.display())).await?;
    store.migrate().await?;

    let started = Instant::now();
    let org = store.create_org("bench-provider", "Bench provider", OrgKind::Provider).await?;
    let scope = OrgScope::new(org.id);
    let actor = ActorRef { user_id: None, name: "bench".into() };
    let mut ids = Vec::with_capacity(systems);
    for i in 0..systems {
        let record = Record::from_json(&json!({
            "name": {"en": format!("Benchmark system {i:05}"), "ur": format!("نظام {i}")},
            "short_description": "A generated system for the appeal figures benchmark",
            "sector": mizan_register::SECTORS[i % mizan_register::SECTORS.len()],
            "purpose": "load testing", "intended_use": "load testing", "deployment_context": "benchmark",
            "affected_persons": "nobody", "legal_basis": "none", "human_oversight": "always",
            "appeals_mechanism": "none", "data_development": "synthetic", "data_operational": "synthetic",
            "model_type": "gradient boosted trees", "risk_management": "n/a", "contact_email": "bench@example.pk",
            "deployment_status": "in-use", "languages": ["en", "ur"]
        }))
        .map_err(|e| format!("{e:?}"))?;
        ids.push(store.create_system(scope, &actor, &record, false).await?);
    }
    store.close().await;

    let total = systems * per_system;
    let conn = rusqlite::Connection::open(&db)?;
    conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF;")?;
    let first: i64 = conn.query_row("SELECT min(id) FROM systems", [], |r| r.get(0))?;
    let last: i64 = conn.query_row("SELECT max(id) FROM systems", [], |r| r.get(0))?;
    if usize::try_from(last - first + 1)? != systems {
        return Err("system ids are not contiguous".into());
    }
    // Row i: system i % SYSTEMS; filed up to 400 days ago; decided 0 to 29 days (and i % 24
    // hours) later; outcomes upheld, reversed, modified in turn; every 7th escalated, 11th late.
    conn.execute(
        "INSERT INTO cases (reference, case_type, type_version, org_id, system_id, subject, state, late, is_open, \
         opened_at, entered_at, next_due_at, decided_at, outcome, escalated, closed_at, token_hash, entry_key, lang, \
         publish_consent, grounds_category) \
         WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ?1 - 1), \
         t(i, opened, decided) AS (SELECT i, datetime('now', '-' || (30 + i % 370) || ' days', '-' || (i % 1440) || ' minutes'), \
             datetime('now', '-' || (30 + i % 370) || ' days', '-' || (i % 1440) || ' minutes', '+' || (i % 30) || ' days', '+' || (i % 24) || ' hours') FROM n) \
         SELECT printf('AP-B%09d', i), 'appeal', 1, ?2, ?3 + i % ?4, printf('bench-%d', i), 'closed', i % 11 = 0, 0, \
             replace(opened, ' ', 'T') || '.000000Z', replace(decided, ' ', 'T') || '.000000Z', NULL, \
             replace(decided, ' ', 'T') || '.000000Z', CASE i % 3 WHEN 0 THEN 'upheld' WHEN 1 THEN 'reversed' ELSE 'modified' END, \
             i % 7 = 0, replace(decided, ' ', 'T') || '.000000Z', '', NULL, 'en', 0, 'wrong-data' FROM t",
        rusqlite::params![i64::try_from(total)?, org.id, first, i64::try_from(systems)?],
    )?;
    conn.execute_batch("ANALYZE; PRAGMA wal_checkpoint(TRUNCATE);")?;
    drop(conn);
    println!(
        "seeded {systems} systems and {total} closed appeals in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let store = Store::connect(&format!("sqlite://{}", db.display())).await?;
    // Warm the page cache as a running server's would be.
    store.case_stats_by_system("appeal", 15).await?;
    let t0 = Instant::now();
    let mut one_by_one = Vec::with_capacity(systems);
    for id in &ids {
        one_by_one.push(store.case_stats("appeal", Some(id), None, 15).await?);
    }
    let each = t0.elapsed();
    let t1 = Instant::now();
    let all = store.case_stats_by_system("appeal", 15).await?;
    let together = t1.elapsed();
    for (id, st) in ids.iter().zip(&one_by_one) {
        if all.get(id) != Some(st) {
            return Err(
                format!("figures of `{id}` differ: {st:?} one by one, {:?} together", all.get(id)).into()
            );
        }
    }
    let received: i64 = one_by_one.iter().map(|s| s.received).sum();
    println!(
        "figures of {systems} systems ({received} cases): case_stats per system {:.3} s ({:.2} ms each); \
         case_stats_by_system {:.3} s; the same figures",
        each.as_secs_f64(),
        each.as_secs_f64() * 1000.0 / systems as f64,
        together.as_secs_f64()
    );
    store.close().await;
    Ok(())
}
