//! Memory and tile size over a long run: appends N leaf-sized entries (default 10 million)
//! through the group-commit sequencer to a durable filesystem log, printing the process's RSS
//! and the hash-tile bytes per entry every million.
//!
//! `cargo run --release -p mizan-ledger-fs --example ten_million -- [N] [DIR]`

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use mizan_ledger::log::Log;
use mizan_ledger::note::NoteSigner;
use mizan_ledger::sequencer::{Sequencer, SequencerConfig};
use mizan_ledger_fs::FsStore;

fn rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmRSS:"))?.split_whitespace().nth(1)?.parse().ok())
        .unwrap_or(0)
}

fn tile_bytes(dir: &Path) -> u64 {
    fn walk(p: &Path, total: &mut u64) {
        let Ok(rd) = std::fs::read_dir(p) else { return };
        for e in rd.flatten() {
            let path = e.path();
            if path.file_name().is_some_and(|n| n == "entries") {
                continue;
            }
            match e.metadata() {
                Ok(m) if m.is_dir() => walk(&path, total),
                Ok(m) => *total += m.len(),
                Err(_) => {}
            }
        }
    }
    let mut total = 0;
    walk(&dir.join("tile"), &mut total);
    total
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let n: u64 = args.next().map_or(Ok(10_000_000), |a| a.parse())?;
    let dir = args.next().map_or_else(|| std::env::temp_dir().join("mizan-ten-million"), PathBuf::from);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let origin = "decisions.bench.example/2026";
    let signer = NoteSigner::new(origin, ed25519_dalek::SigningKey::from_bytes(&[9; 32]))?;
    let log = Log::open(Arc::new(FsStore::open(&dir)?), signer, origin)?;
    let seq = Sequencer::start(log, SequencerConfig::default())?;
    let started = Instant::now();
    println!("entries,rss_kb,hash_tile_bytes_per_entry,seconds");
    println!("0,{},0,0", rss_kb());
    let batch = 4096u64;
    let mut done = 0u64;
    let mut next_report = 1_000_000u64;
    // A few submitters in flight at once, as a server would have.
    let mut pending = std::collections::VecDeque::new();
    while done < n {
        let k = batch.min(n - done);
        let entries: Vec<Vec<u8>> = (done..done + k)
            .map(|i| {
                let mut e = vec![1u8; 49];
                e[41..49].copy_from_slice(&i.to_be_bytes());
                e
            })
            .collect();
        pending.push_back(seq.enqueue(entries)?);
        if pending.len() >= 8
            && let Some(p) = pending.pop_front()
        {
            p.wait()?;
        }
        done += k;
        if done >= next_report || done == n {
            while let Some(p) = pending.pop_front() {
                p.wait()?;
            }
            seq.wait_published(done, std::time::Duration::from_secs(60))?;
            println!(
                "{done},{},{:.3},{:.1}",
                rss_kb(),
                tile_bytes(&dir) as f64 / done as f64,
                started.elapsed().as_secs_f64()
            );
            next_report += 1_000_000;
        }
    }
    drop(seq);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
