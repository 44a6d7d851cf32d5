//! Crash test of the decision ledger: the real `mizan serve` is killed with SIGKILL at random
//! moments during sustained ingestion, again and again, and restarted. After every restart:
//! every acknowledged decision (an HTTP 201 the client received) is in the database with the
//! leaf it was promised and is provably in the log; no two checkpoints ever seen share a size
//! with different roots; and at the end the log verifies from scratch with `mizan log verify`.
//!
//! Rounds: `MIZAN_CRASH_ROUNDS` (default 20).

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mizan_ledger::checkpoint::{TlogProof, open_checkpoint};
use mizan_ledger::note::NoteVerifier;
use rand::Rng;
use serde_json::{Value, json};

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

struct Server {
    child: Child,
    base: String,
}

impl Server {
    async fn start(data: &str, demo: bool) -> Server {
        // The free port can be taken by another program before the server binds it; only that
        // failure is retried.
        for _ in 0..5 {
            match Self::try_start(data, demo).await {
                Ok(s) => return s,
                Err(log) if log.contains("cannot listen") => continue,
                Err(log) => panic!("server exited during start:\n{log}"),
            }
        }
        panic!("no free port after 5 tries");
    }

    async fn try_start(data: &str, demo: bool) -> Result<Server, String> {
        let port = free_port();
        let mut args = vec!["serve", "--data-dir", data, "--listen"];
        let listen = format!("127.0.0.1:{port}");
        args.push(&listen);
        if demo {
            args.push("--demo");
        }
        let mut child = Command::new(env!("CARGO_BIN_EXE_mizan"))
            .args(&args)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start mizan serve");
        // Drain stderr so the server never blocks on a full pipe.
        let stderr = child.stderr.take().expect("stderr");
        let log: Arc<Mutex<Vec<String>>> = Arc::default();
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                sink.lock().unwrap().push(line);
            }
        });
        let base = format!("http://{listen}");
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Ok(r) = reqwest::get(format!("{base}/api/v1/systems?per_page=1")).await
                && r.status().is_success()
            {
                break;
            }
            assert!(Instant::now() < deadline, "server did not come up");
            if let Ok(Some(status)) = child.try_wait() {
                std::thread::sleep(Duration::from_millis(200));
                return Err(format!("{status}\n{}", log.lock().unwrap().join("\n")));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Ok(Server { child, base })
    }

    fn kill(mut self) {
        // SIGKILL: no shutdown code runs.
        self.child.kill().expect("kill");
        self.child.wait().expect("reap");
    }
}

#[derive(Debug, Clone)]
struct Acked {
    reference: String,
    leaf_index: u64,
    leaf_hash: String,
}

fn decision(key: &str) -> Value {
    json!({
        "idempotency_key": key,
        "system_version": 1,
        "model_hash": "sha256:crash-test",
        "features": {"income": 50000, "seq": key},
        "output": "approve",
        "score": 0.75,
        "human": {"involved": false, "by": null},
        "decided_at": (time::OffsetDateTime::now_utc() - time::Duration::minutes(1))
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap(),
        "subject_ref": key,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn acknowledged_decisions_survive_sigkill() {
    let rounds: usize = std::env::var("MIZAN_CRASH_ROUNDS").ok().and_then(|r| r.parse().ok()).unwrap_or(20);
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().to_str().expect("utf-8").to_owned();

    let server = Server::start(&data, true).await;
    let out = Command::new(env!("CARGO_BIN_EXE_mizan"))
        .args(["admin", "--data-dir", &data, "create-token", "--org", "demo-indus-bank"])
        .args(["--scopes", "decisions:write", "--expires-in-days", "1"])
        .output()
        .expect("create token");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let token = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    let http = reqwest::Client::new();
    let list: Value = http
        .get(format!("{}/api/v1/systems?q=Personal+loan", server.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let system = list["items"][0]["id"].as_str().expect("demo loan system").to_owned();
    let shard = time::OffsetDateTime::now_utc().year().to_string();
    let vkey_text =
        http.get(format!("{}/log/{shard}/vkey", server.base)).send().await.unwrap().text().await.unwrap();
    let vkey = NoteVerifier::from_vkey(vkey_text.trim()).expect("vkey");

    let acked: Arc<Mutex<Vec<Acked>>> = Arc::default();
    let roots: Arc<Mutex<HashMap<u64, String>>> = Arc::default();
    let checked = std::sync::atomic::AtomicUsize::new(0);
    let mut server = Some(server);
    for round in 0..rounds {
        let s = match server.take() {
            Some(s) => s,
            None => Server::start(&data, false).await,
        };
        check(&http, &s.base, &acked, &roots, &vkey, &shard, &checked).await;
        // Sustained ingestion from four clients and a checkpoint watcher, killed at a random moment.
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let mut tasks = Vec::new();
        for client in 0..4 {
            let (http, base, token, system, acked, stop) =
                (http.clone(), s.base.clone(), token.clone(), system.clone(), acked.clone(), stop.clone());
            tasks.push(tokio::spawn(async move {
                let mut seq = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let batch: Vec<Value> =
                        (0..50).map(|i| decision(&format!("r{round}-c{client}-{seq}-{i}"))).collect();
                    seq += 1;
                    let Ok(res) = http
                        .post(format!("{base}/api/v1/systems/{system}/decisions"))
                        .bearer_auth(&token)
                        .json(&batch)
                        .send()
                        .await
                    else {
                        break;
                    };
                    if res.status() != 201 {
                        break;
                    }
                    let Ok(body) = res.json::<Value>().await else { break };
                    let mut a = acked.lock().unwrap();
                    for r in body["receipts"].as_array().expect("receipts") {
                        a.push(Acked {
                            reference: r["reference"].as_str().unwrap().to_owned(),
                            leaf_index: r["leaf_index"].as_u64().unwrap(),
                            leaf_hash: r["leaf_hash"].as_str().unwrap().to_owned(),
                        });
                    }
                }
            }));
        }
        {
            let (http, base, roots, stop, vkey, shard) =
                (http.clone(), s.base.clone(), roots.clone(), stop.clone(), vkey.clone(), shard.clone());
            tasks.push(tokio::spawn(async move {
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    if let Ok(r) = http.get(format!("{base}/log/{shard}/checkpoint")).send().await
                        && let Ok(bytes) = r.bytes().await
                        && let Ok(cp) = open_checkpoint(&bytes, &vkey)
                    {
                        note_root(&roots, cp.checkpoint.size, &cp.checkpoint.root.to_hex());
                    }
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            }));
        }
        let wait = rand::thread_rng().gen_range(150..700);
        tokio::time::sleep(Duration::from_millis(wait)).await;
        s.kill();
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        for t in tasks {
            t.await.expect("client task");
        }
    }
    let s = Server::start(&data, false).await;
    check(&http, &s.base, &acked, &roots, &vkey, &shard, &checked).await;
    let total = acked.lock().unwrap().len();
    s.kill();
    assert!(total >= rounds * 50, "ingestion made progress: {total} acknowledged in {rounds} rounds");
    let log_dir = dir.path().join("ledger").join(&shard);
    let out = Command::new(env!("CARGO_BIN_EXE_mizan"))
        .args(["log", "verify", log_dir.to_str().unwrap(), "--vkey", vkey_text.trim()])
        .output()
        .expect("mizan log verify");
    assert!(out.status.success(), "log verifies from scratch: {}", String::from_utf8_lossy(&out.stderr));
    eprintln!("{rounds} SIGKILLs, {total} acknowledged decisions, all present and proven");
}

fn note_root(roots: &Mutex<HashMap<u64, String>>, size: u64, root: &str) {
    let mut r = roots.lock().unwrap();
    let seen = r.entry(size).or_insert_with(|| root.to_owned());
    assert_eq!(seen, root, "two checkpoints of size {size} with different roots");
}

/// Every acknowledged decision is stored with its promised leaf and, once the restarted log has
/// published, provably included.
async fn check(
    http: &reqwest::Client,
    base: &str,
    acked: &Mutex<Vec<Acked>>,
    roots: &Mutex<HashMap<u64, String>>,
    vkey: &NoteVerifier,
    shard: &str,
    checked: &std::sync::atomic::AtomicUsize,
) {
    let all: Vec<Acked> = {
        let a = acked.lock().unwrap();
        let from = checked.load(std::sync::atomic::Ordering::Relaxed).min(a.len());
        checked.store(a.len(), std::sync::atomic::Ordering::Relaxed);
        a[from..].to_vec()
    };
    let Some(max) = all.iter().map(|a| a.leaf_index).max() else { return };
    // The restarted log integrates its journal at once; wait for a checkpoint covering everything.
    let deadline = Instant::now() + Duration::from_secs(30);
    let cp = loop {
        let bytes =
            http.get(format!("{base}/log/{shard}/checkpoint")).send().await.unwrap().bytes().await.unwrap();
        let cp = open_checkpoint(&bytes, vkey).expect("published checkpoint verifies").checkpoint;
        note_root(roots, cp.size, &cp.root.to_hex());
        if cp.size > max {
            break cp;
        }
        assert!(Instant::now() < deadline, "log stuck at size {} below acknowledged leaf {max}", cp.size);
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    // Every decision acknowledged before the crash is in the database with the same leaf; a
    // sample is proven against the log key.
    let step = (all.len() / 50).max(1);
    for (i, a) in all.iter().enumerate() {
        let r: Value = http
            .get(format!("{base}/api/v1/receipts/{}", a.reference))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(
            r["leaf_index"].as_u64(),
            Some(a.leaf_index),
            "receipt {} lost or moved: {r}",
            a.reference
        );
        assert_eq!(r["leaf_hash"].as_str(), Some(a.leaf_hash.as_str()));
        if i % step == 0 || i + 1 == all.len() {
            let proof = TlogProof::parse(r["proof"].as_str().expect("proven")).expect("tlog-proof");
            let leaf = hex::decode(r["leaf"].as_str().unwrap()).unwrap();
            let got = proof.verify(&leaf, vkey).expect("inclusion proof verifies");
            note_root(roots, got.checkpoint.size, &got.checkpoint.root.to_hex());
            assert!(got.checkpoint.size >= cp.size, "the log never goes back");
        }
    }
}
