//! Opens one appeal on each of the decisions listed in a file, for the appeals queue benchmark
//! (`bench/appeals/run.sh`). Usage: `seed_appeals DATABASE_URL REFS_FILE`.
//!
//! Filing through the API costs a request, a throttle and a commit per appeal; 100,000 of them
//! would take longer than the benchmark itself. This writes through the store's real API
//! (`Store::open_case`) the rows `Platform::file_appeal` writes for an appeal without contact
//! details: the case row, its opening entry (the case engine's own, committed to under a fresh
//! case key) and the `system_events` row whose reason is that commitment, in one transaction.
//! The decisions must have been logged already (the server may be running: SQLite waits for its
//! write lock).

use std::collections::BTreeMap;

use hmac::Mac as _;
use mizan_cases::{Case, CaseType};
use mizan_store::{CaseProjection, NewCase, NewEntry, Store};
use rand::RngCore as _;

fn random_hex(n: usize) -> String {
    let mut b = vec![0u8; n];
    rand::thread_rng().fill_bytes(&mut b);
    hex::encode(b)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: seed_appeals DATABASE_URL REFS_FILE";
    let url = args.next().ok_or(usage)?;
    let refs = std::fs::read_to_string(args.next().ok_or(usage)?)?;
    let store = Store::connect(&url).await?;
    let t = CaseType::appeal();
    let started = std::time::Instant::now();
    let mut n = 0u32;
    for reference in refs.lines().map(str::trim).filter(|r| !r.is_empty()) {
        let d = store.decision(reference).await?;
        let target = store.appeal_target(&d.reference).await?;
        let now = time::OffsetDateTime::now_utc();
        let fields = BTreeMap::from([
            ("grounds".to_owned(), format!("Benchmark appeal {n}: my income was read wrongly")),
            ("category".to_owned(), "wrong-data".to_owned()),
        ]);
        let case = Case::open(t, mizan_app::appeals::roles::APPELLANT, fields, now);
        let key = random_hex(32);
        let opening = &case.history[0]; // `Case::open` writes exactly one entry, the opening
        let entry_json = serde_json::to_string(opening)?;
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&hex::decode(&key)?)?;
        mac.update(entry_json.as_bytes());
        let entry = NewEntry {
            seq: 0,
            commitment: hex::encode(mac.finalize().into_bytes()),
            entry_json,
            actor_user: None,
            actor_name: opening.actor.clone(),
            from: opening.from.clone(),
            to: opening.to.clone(),
            at: mizan_store::format_time(opening.at),
        };
        let projection = CaseProjection {
            state: case.state.clone(),
            is_open: true,
            entered_at: mizan_store::format_time(case.entered_at),
            next_due_at: case.due(t).first().map(|(at, _)| mizan_store::format_time(*at)),
            ..CaseProjection::default()
        };
        let new = NewCase {
            reference: format!("AP-{}", random_hex(5).to_uppercase()),
            case_type: t.name.clone(),
            type_version: i64::from(t.version),
            org_id: target.org_id,
            system_id: Some(target.system_id),
            system_version: d.system_version,
            subject: d.reference.clone(),
            token_hash: mizan_store::sha256_hex(random_hex(24).as_bytes()),
            entry_key: key,
            lang: "en".to_owned(),
            contact_email: None,
            contact_phone: None,
            publish_consent: false,
            grounds_category: "wrong-data".to_owned(),
            document: None,
        };
        store.open_case(&new, &[entry], &projection).await?;
        n += 1;
        if n.is_multiple_of(10_000) {
            eprintln!("{n} appeals opened ({:.0}/s)", f64::from(n) / started.elapsed().as_secs_f64());
        }
    }
    store.close().await;
    eprintln!("{n} appeals opened in {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}
