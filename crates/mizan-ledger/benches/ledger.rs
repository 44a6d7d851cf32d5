//! Ledger throughput: appends (in memory, and durable on this machine's disk through
//! `mizan-ledger-fs` with the group-commit sequencer) and receipt proofs (one thread and two).
//!
//! Run: `CARGO_TARGET_DIR=$HOME/.cache/mizan-target cargo bench -p mizan-ledger --bench ledger`.
//! Criterion prints each figure as elements per second: entries for `append/*`, receipts for
//! `proof/*`. The durable benches write under `$CARGO_TARGET_DIR/mizan-ledger-bench`.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use ed25519_dalek::SigningKey;
use mizan_ledger::log::{LeafIndex, Log, LogReader};
use mizan_ledger::note::NoteSigner;
use mizan_ledger::sequencer::{Sequencer, SequencerConfig};
use mizan_ledger::store::MemoryStore;
use mizan_ledger_fs::FsStore;

const ORIGIN: &str = "bench.mizan.example/2026";

fn signer() -> NoteSigner {
    NoteSigner::new(ORIGIN, SigningKey::from_bytes(&[1u8; 32])).unwrap()
}

/// 49-byte leaves, the size of a decision commitment.
fn leaves(from: u32, n: u32) -> Vec<Vec<u8>> {
    (from..from + n).map(|i| [i.to_be_bytes().as_slice(), &[7u8; 45]].concat()).collect()
}

fn bench_dir(name: &str) -> PathBuf {
    let base = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| PathBuf::from("target"), PathBuf::from);
    let d = base.join("mizan-ledger-bench").join(name);
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn append(c: &mut Criterion) {
    let entries = leaves(0, 1000);
    let mut g = c.benchmark_group("append");
    g.throughput(Throughput::Elements(1000));
    g.bench_function("memory_append_batch_1000", |b| {
        b.iter_batched(
            || {
                let mut log = Log::open(Arc::new(MemoryStore::new()), signer(), ORIGIN).unwrap();
                log.append_batch(&entries).unwrap();
                log
            },
            |mut log| log.append_batch(&entries).unwrap(),
            BatchSize::SmallInput,
        );
    });
    g.sample_size(10).measurement_time(Duration::from_secs(8));
    // Durable: every tile, bundle and checkpoint fsync'd, one batch of 1,000 at a time.
    let dir = bench_dir("append-batch");
    let mut log = Log::open(Arc::new(FsStore::open(&dir).unwrap()), signer(), ORIGIN).unwrap();
    g.bench_function("fsync_append_batch_1000", |b| b.iter(|| log.append_batch(&entries).unwrap()));
    drop(log);
    // Durable group commit: 8 submitters, 1,000 entries each in submissions of 100; an
    // iteration ends when all 8,000 are acknowledged (staged with one fdatasync per batch).
    let dir = bench_dir("sequencer");
    let log = Log::open(Arc::new(FsStore::open(&dir).unwrap()), signer(), ORIGIN).unwrap();
    let config =
        SequencerConfig { max_batch: 4096, max_wait: Duration::from_millis(2), ..Default::default() };
    let seq = Sequencer::start(log, config).unwrap();
    g.throughput(Throughput::Elements(8000));
    let batch = leaves(0, 100);
    g.bench_function("fsync_sequencer_8x1000_in_submissions_of_100", |b| {
        b.iter(|| {
            std::thread::scope(|s| {
                for _ in 0..8 {
                    s.spawn(|| {
                        for _ in 0..10 {
                            seq.submit(batch.clone()).unwrap();
                        }
                    });
                }
            });
        });
    });
    g.finish();
    let size = seq.staged_size();
    seq.wait_published(size, Duration::from_secs(60)).unwrap();
    drop(seq.shutdown().unwrap());
}

fn proofs(c: &mut Criterion) {
    let mut g = c.benchmark_group("proof");
    // 100,000 leaves on disk, published in batches of 1,000.
    let dir = bench_dir("proofs");
    let mut log = Log::open(Arc::new(FsStore::open(&dir).unwrap()), signer(), ORIGIN).unwrap();
    for k in 0..100 {
        log.append_batch(&leaves(k * 1000, 1000)).unwrap();
    }
    let reader = log.reader();
    g.throughput(Throughput::Elements(1));
    let mut i = 0u64;
    g.bench_function("receipt_in_100k_log", |b| {
        b.iter(|| {
            i = (i + 7919) % 100_000;
            reader.receipt(LeafIndex(i)).unwrap()
        });
    });
    g.throughput(Throughput::Elements(2 * 1000));
    g.bench_function("receipts_in_100k_log_2_threads", |b| {
        b.iter(|| {
            std::thread::scope(|s| {
                for t in 0..2u64 {
                    let r: &LogReader = &reader;
                    s.spawn(move || {
                        let mut i = t * 50_000;
                        for _ in 0..1000 {
                            i = (i + 7919) % 100_000;
                            r.receipt(LeafIndex(i)).unwrap();
                        }
                    });
                }
            });
        });
    });
    g.finish();
    let stats = reader.cache_stats();
    eprintln!(
        "tile cache: {} hits, {} misses, {} tiles, {} bytes",
        stats.hits, stats.misses, stats.tiles, stats.bytes
    );
}

criterion_group!(benches, append, proofs);
criterion_main!(benches);
