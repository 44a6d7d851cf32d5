//! Throughput of append + integrate (in-memory store, so this measures hashing, tiling and
//! signing, not disk) and of inclusion-proof generation from tiles.

use std::sync::Arc;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use ed25519_dalek::SigningKey;
use mizan_ledger::log::{LeafIndex, Log};
use mizan_ledger::note::NoteSigner;
use mizan_ledger::store::MemoryStore;

const ORIGIN: &str = "bench.mizan.example/2026";

fn signer() -> NoteSigner {
    NoteSigner::new(ORIGIN, SigningKey::from_bytes(&[1u8; 32])).unwrap()
}

fn bench(c: &mut Criterion) {
    let entries: Vec<Vec<u8>> =
        (0u32..1000).map(|i| [i.to_be_bytes().as_slice(), &[0u8; 45]].concat()).collect();
    let mut g = c.benchmark_group("append");
    g.throughput(Throughput::Elements(1000));
    g.bench_function("append_batch_1000_leaves_49_bytes", |b| {
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
    g.finish();

    let mut log = Log::open(Arc::new(MemoryStore::new()), signer(), ORIGIN).unwrap();
    for _ in 0..100 {
        log.append_batch(&entries).unwrap();
    }
    let mut g = c.benchmark_group("proof");
    g.throughput(Throughput::Elements(1));
    let mut i = 0u64;
    g.bench_function("receipt_in_100k_log", |b| {
        b.iter(|| {
            i = (i + 7919) % 100_000;
            log.receipt(LeafIndex(i)).unwrap()
        });
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
