//! The witness over real HTTP on `127.0.0.1:0`, with its state in a temp directory: it cosigns
//! consistent checkpoints, answers each bad request with the status C2SP tlog-witness gives
//! it, keeps its state across a restart, serves the cosigned checkpoint to monitors, and
//! concurrent add-checkpoint calls never move its stored size backwards.

use std::collections::HashMap;
use std::sync::Arc;

use ed25519_dalek::SigningKey;
use mizan_ledger::Hash;
use mizan_ledger::checkpoint::Checkpoint;
use mizan_ledger::log::Log;
use mizan_ledger::note::{CosignatureSigner, Note, NoteSigner, verify_cosignature};
use mizan_ledger::policy::{Policy, check};
use mizan_ledger::store::MemoryStore;
use mizan_witness::state::origin_hash;
use mizan_witness::{ClientError, FsWitnessStore, WitnessClient, WitnessService, add_checkpoint};
use tokio::sync::oneshot;

const ORIGIN: &str = "decisions.mizan.example/2026";
const ORIGIN2: &str = "events.mizan.example/2026";

fn log_signer() -> NoteSigner {
    NoteSigner::new(ORIGIN, SigningKey::from_bytes(&[3u8; 32])).unwrap()
}

fn witness_signer() -> CosignatureSigner {
    CosignatureSigner::new("witness.mizan.example/w1", SigningKey::from_bytes(&[8u8; 32])).unwrap()
}

fn log2_signer() -> NoteSigner {
    NoteSigner::new(ORIGIN2, SigningKey::from_bytes(&[4u8; 32])).unwrap()
}

/// A log grown to each of `sizes`, with the signed checkpoint at each size.
struct Grown {
    log: Log,
    checkpoints: HashMap<u64, Vec<u8>>,
}

fn grow(sizes: &[u64]) -> Grown {
    let mut log = Log::open(Arc::new(MemoryStore::new()), log_signer(), ORIGIN).unwrap();
    let mut checkpoints = HashMap::new();
    for &s in sizes {
        let entries: Vec<Vec<u8>> = (log.size()..s).map(|i| format!("decision {i}").into_bytes()).collect();
        log.append_batch(&entries).unwrap();
        checkpoints.insert(s, log.checkpoint().unwrap().to_vec());
    }
    Grown { log, checkpoints }
}

impl Grown {
    fn proof(&self, old: u64, new: u64) -> Vec<Hash> {
        self.log.prove_consistency(old, new).unwrap()
    }
}

struct Running {
    url: String,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl Running {
    async fn stop(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        self.task.await.unwrap();
    }
}

async fn start(dir: &std::path::Path) -> Running {
    let store = Arc::new(FsWitnessStore::open(dir).unwrap());
    let service =
        WitnessService::new(witness_signer(), vec![log_signer().verifier(), log2_signer().verifier()], store)
            .with_clock(Arc::new(|| 1_700_000_000));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        mizan_witness::serve(listener, Arc::new(service), async {
            let _ = rx.await;
        })
        .await
        .unwrap();
    });
    Running { url, stop: Some(tx), task }
}

/// Posts a raw body; returns status, content type and body.
async fn post(url: &str, body: &[u8]) -> (u16, String, String) {
    let res = reqwest::Client::new()
        .post(format!("{url}/add-checkpoint"))
        .body(body.to_vec())
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let ctype = res.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    (status, ctype, res.text().await.unwrap())
}

fn body(old: u64, proof: &[Hash], cp: &[u8]) -> Vec<u8> {
    mizan_witness::request::AddCheckpoint { old_size: old, proof: proof.to_vec(), checkpoint: cp.to_vec() }
        .encode()
}

fn note_body(cp: &[u8]) -> String {
    Note::parse(cp).unwrap().text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn witness_over_http() {
    let dir = tempfile::tempdir().unwrap();
    let g = grow(&[10, 15, 300]);
    let w = start(dir.path()).await;
    let wv = witness_signer().verifier();

    // First contact: old size 0, no proof. The answer is one cosignature/v1 line.
    let lines = add_checkpoint(&w.url, 0, &[], &g.checkpoints[&10]).await.unwrap();
    let sig = Note::parse(format!("x\n\n{lines}").as_bytes()).unwrap().signatures;
    assert_eq!(sig.len(), 1);
    assert_eq!(verify_cosignature(&wv, &note_body(&g.checkpoints[&10]), &sig[0]).unwrap(), 1_700_000_000);
    // The returned lines append to the checkpoint and satisfy a policy requiring this witness.
    let policy = Policy::parse(
        format!(
            "log {}\nwitness W1 {} {}\nquorum W1\n",
            log_signer().verifier().to_vkey(),
            wv.to_vkey(),
            w.url
        )
        .as_bytes(),
    )
    .unwrap();
    let cosigned = format!("{}{lines}", String::from_utf8(g.checkpoints[&10].clone()).unwrap());
    assert_eq!(check(cosigned.as_bytes(), &policy).unwrap().cosigned[0].witness, "W1");

    // 409 with the stored size as `text/x.tlog.size`, for a stale or a guessed old size.
    let (status, ctype, text) = post(&w.url, &body(0, &[], &g.checkpoints[&15])).await;
    assert_eq!((status, ctype.as_str(), text.as_str()), (409, "text/x.tlog.size", "10\n"));
    let client = WitnessClient::new(reqwest::Client::new(), &w.url);
    let err = client.add_checkpoint(3, &g.proof(3, 15), &g.checkpoints[&15]).await.unwrap_err();
    assert!(matches!(err, ClientError::Conflict { size: 10, .. }), "{err}");

    // 422: a proof that does not verify; the state does not move.
    let (status, _, text) = post(&w.url, &body(10, &g.proof(9, 15), &g.checkpoints[&15])).await;
    assert_eq!(status, 422, "{text}");
    // 422: the same size with another root (a fork of the log at size 10).
    let mut fork = Log::open(Arc::new(MemoryStore::new()), log_signer(), ORIGIN).unwrap();
    let other: Vec<Vec<u8>> = (0..10).map(|i| format!("other {i}").into_bytes()).collect();
    fork.append_batch(&other).unwrap();
    let (status, _, text) = post(&w.url, &body(10, &[], fork.checkpoint().unwrap())).await;
    assert_eq!(status, 422, "{text}");
    assert!(text.contains("equal sizes but different roots"), "{text}");
    // 400: old size above the checkpoint's size.
    let (status, _, text) = post(&w.url, &body(15, &[], &g.checkpoints[&10])).await;
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("old size `15` is larger than the checkpoint's size `10`"), "{text}");
    // 400: a malformed body names the line.
    let (status, _, text) = post(&w.url, b"old 010\n\nx\n").await;
    assert_eq!(
        (status, text.as_str()),
        (
            400,
            "add-checkpoint body line 1: expected `old <size>`, the size in decimal without leading zeros\n"
        )
    );
    let (status, _, _) = post(&w.url, b"old 10\n\nnot a note\n").await;
    assert_eq!(status, 400);
    // 404: a log this witness does not follow.
    let stranger = NoteSigner::new("other.example/log", SigningKey::from_bytes(&[9u8; 32])).unwrap();
    let mut slog = Log::open(Arc::new(MemoryStore::new()), stranger, "other.example/log").unwrap();
    slog.append_batch(&[b"s".to_vec()]).unwrap();
    let (status, _, text) = post(&w.url, &body(0, &[], slog.checkpoint().unwrap())).await;
    assert_eq!(status, 404, "{text}");
    // 403: the right origin signed by the wrong key, or a signature that fails.
    let impostor = NoteSigner::new(ORIGIN, SigningKey::from_bytes(&[10u8; 32])).unwrap();
    let mut ilog = Log::open(Arc::new(MemoryStore::new()), impostor, ORIGIN).unwrap();
    ilog.append_batch(&(0..15).map(|i| format!("decision {i}").into_bytes()).collect::<Vec<_>>()).unwrap();
    let (status, _, text) = post(&w.url, &body(10, &g.proof(10, 15), ilog.checkpoint().unwrap())).await;
    assert_eq!(status, 403, "{text}");
    let mut bad = Note::parse(&g.checkpoints[&15]).unwrap();
    bad.signatures[0].sig[0] ^= 1;
    let (status, _, _) = post(&w.url, &body(10, &g.proof(10, 15), bad.to_text().as_bytes())).await;
    assert_eq!(status, 403);
    // 422: size zero must have the empty tree's root; old size 0 takes no proof.
    let zero = Checkpoint { origin: ORIGIN2.into(), size: 0, root: Hash([1; 32]), extensions: vec![] };
    let (status, _, _) = post(&w.url, &body(0, &[], zero.sign(&log2_signer()).unwrap().as_bytes())).await;
    assert_eq!(status, 422);
    let one = Checkpoint { origin: ORIGIN2.into(), size: 1, root: Hash([1; 32]), extensions: vec![] };
    let (status, _, _) =
        post(&w.url, &body(0, &[Hash([2; 32])], one.sign(&log2_signer()).unwrap().as_bytes())).await;
    assert_eq!(status, 422);
    let empty = Checkpoint { origin: ORIGIN2.into(), size: 0, root: Hash::empty_tree(), extensions: vec![] };
    let (status, _, _) = post(&w.url, &body(0, &[], empty.sign(&log2_signer()).unwrap().as_bytes())).await;
    assert_eq!(status, 200);
    // Oversized bodies are refused before parsing.
    let (status, _, _) = post(&w.url, &vec![b'a'; mizan_witness::server::MAX_BODY + 1]).await;
    assert_eq!(status, 413);

    // Advance to 15, then 300.
    client.add_checkpoint(10, &g.proof(10, 15), &g.checkpoints[&15]).await.unwrap();
    client.add_checkpoint(15, &g.proof(15, 300), &g.checkpoints[&300]).await.unwrap();

    // Monitoring: the latest cosigned checkpoint with the log's and the witness's signatures.
    let http = reqwest::Client::new();
    let res = http.get(format!("{}/{}/checkpoint", w.url, origin_hash(ORIGIN))).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let served = res.text().await.unwrap();
    assert!(served.starts_with(&note_body(&g.checkpoints[&300])));
    assert_eq!(check(served.as_bytes(), &policy).unwrap().checkpoint.checkpoint.size, 300);
    let res =
        http.get(format!("{}/{}/checkpoint", w.url, origin_hash("other.example/log"))).send().await.unwrap();
    assert_eq!(res.status(), 404);

    // Restart on the same state directory: the witness remembers size 300.
    w.stop().await;
    let w = start(dir.path()).await;
    let (status, _, text) = post(&w.url, &body(0, &[], &g.checkpoints[&300])).await;
    assert_eq!((status, text.as_str()), (409, "300\n"));
    // A rollback to an older checkpoint of the same log is refused.
    let (status, _, _) = post(&w.url, &body(300, &[], &g.checkpoints[&15])).await;
    assert_eq!(status, 400);
    w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_add_checkpoint_never_rolls_back() {
    let dir = tempfile::tempdir().unwrap();
    let sizes: Vec<u64> = (1..=40).map(|i| i * 7).collect();
    let g = Arc::new(grow(&sizes));
    let w = start(dir.path()).await;
    let url = w.url.clone();
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));

    // A watcher reads the witness's size as fast as it can; it must never go down.
    let watcher = {
        let (url, done) = (url.clone(), done.clone());
        tokio::spawn(async move {
            let http = reqwest::Client::new();
            let mut seen = vec![0u64];
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                let res = http.get(format!("{url}/{}/checkpoint", origin_hash(ORIGIN))).send().await.unwrap();
                if res.status() == 200 {
                    let text = res.text().await.unwrap();
                    let size: u64 = text.lines().nth(1).unwrap().parse().unwrap();
                    assert!(size >= *seen.last().unwrap(), "size went back: {seen:?} then {size}");
                    seen.push(size);
                }
            }
            seen
        })
    };

    // 24 tasks, each pushing the witness to its own target size from whatever size it finds,
    // racing each other; losers get 409 and retry from the size they are told.
    let tasks: Vec<_> = (0..24)
        .map(|t| {
            let (g, url) = (g.clone(), url.clone());
            let target = sizes[(t * 13) % sizes.len()];
            tokio::spawn(async move {
                let client = WitnessClient::new(reqwest::Client::new(), &url);
                let mut current = 0;
                let mut won = Vec::new();
                loop {
                    if current >= target {
                        return won;
                    }
                    let proof = g.proof(current, target);
                    match client.add_checkpoint(current, &proof, &g.checkpoints[&target]).await {
                        Ok(_) => {
                            won.push((current, target));
                            current = target;
                        }
                        Err(ClientError::Conflict { size, .. }) => current = size,
                        Err(e) => panic!("task {t}: {e}"),
                    }
                }
            })
        })
        .collect();
    let mut wins = Vec::new();
    for t in tasks {
        wins.extend(t.await.unwrap());
    }
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    let seen = watcher.await.unwrap();
    let max = (0..24).map(|t| sizes[(t * 13) % sizes.len()]).max().unwrap();
    // Every cosigned move went forward from the size the witness held, and the final state is
    // the largest target.
    assert!(wins.iter().all(|(from, to)| from < to));
    let (status, _, text) = post(&url, &body(0, &[], &g.checkpoints[&7])).await;
    assert_eq!((status, text), (409, format!("{max}\n")));
    assert!(seen.windows(2).all(|p| p[0] <= p[1]));
    // The moves chain: each started where the previous one ended.
    let mut chain = wins.clone();
    chain.sort_unstable();
    let mut at = 0;
    for (from, to) in chain {
        assert_eq!(from, at, "a cosignature was issued from a size the witness no longer held: {wins:?}");
        at = to;
    }
    assert_eq!(at, max);
    w.stop().await;
}
