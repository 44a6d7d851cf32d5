//! `mizan log verify | key | monitor` as a user runs them, over logs built with the file store
//! in temp directories: receipts verify offline (signature, witness quorum under a tlog-policy,
//! inclusion, the record's commitment) and every tampering fails with a reason; `log key`
//! prints the server's vkey; `log monitor` follows a log served over HTTP and exits non-zero
//! on a fork or a missing tile.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;

use ed25519_dalek::SigningKey;
use mizan_ledger::checkpoint::TlogProof;
use mizan_ledger::leaf::{LeafCommitment, canonical_json};
use mizan_ledger::log::{LeafIndex, Log};
use mizan_ledger::merkle;
use mizan_ledger::note::{CosignatureSigner, Note, NoteSigner};
use mizan_ledger_fs::FsStore;
use serde_json::{Value, json};

const ORIGIN: &str = "decisions.localhost/2026";

fn mizan(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mizan")).args(args).output().expect("run mizan")
}

fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "failed: {}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The command failed (exit 1) and its stderr says `needle`.
fn fails(o: &Output, needle: &str) {
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "expected failure; stdout: {}", String::from_utf8_lossy(&o.stdout));
    assert!(err.contains(needle), "stderr lacks `{needle}`:\n{err}");
}

fn signer() -> NoteSigner {
    NoteSigner::new(ORIGIN, SigningKey::from_bytes(&[21u8; 32])).unwrap()
}

fn witness(i: u8) -> CosignatureSigner {
    CosignatureSigner::new(&format!("witness.example/w{i}"), SigningKey::from_bytes(&[40 + i; 32])).unwrap()
}

fn open_log(dir: &Path, key: NoteSigner) -> Log {
    Log::open(Arc::new(FsStore::open(dir).unwrap()), key, ORIGIN).unwrap()
}

/// A decision record as the server writes it, its key and its leaf.
fn decision(i: u64) -> (Value, [u8; 32], Vec<u8>) {
    let record = json!({
        "system": "PKAI0042",
        "system_version": 1,
        "model_hash": "sha256:00",
        "features": {"income": 1000 + i},
        "output": "approved",
        "score": null,
        "human": {"involved": false, "by": null},
        "decided_at": format!("2026-03-01T10:{:02}:42Z", i % 60),
        "subject_ref": format!("case-{i}"),
    });
    let k = [u8::try_from(i % 250).unwrap() + 1; 32];
    let unix = time::OffsetDateTime::parse(
        record["decided_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap()
    .unix_timestamp();
    let leaf = LeafCommitment::commit("PKAI0042", unix, &record, &k).unwrap().to_bytes().to_vec();
    (record, k, leaf)
}

fn append_decisions(log: &mut Log, range: std::ops::Range<u64>) {
    let leaves: Vec<Vec<u8>> = range.map(|i| decision(i).2).collect();
    log.append_batch(&leaves).unwrap();
}

/// The checkpoint with cosignatures by `by` appended.
fn cosign(checkpoint: &str, by: &[u8]) -> String {
    let mut note = Note::parse(checkpoint.as_bytes()).unwrap();
    for &i in by {
        note.signatures.push(witness(i).cosign(&note.text, 1_772_000_000 + u64::from(i)).unwrap());
    }
    note.to_text()
}

/// A receipt as `GET /api/v1/receipts/{ref}` returns it.
fn receipt_json(proof: &TlogProof, index: u64) -> Value {
    let (record, k, leaf) = decision(index);
    json!({
        "reference": "R-1",
        "status": "proven",
        "system": "PKAI0042",
        "system_version": 1,
        "decided_at": record["decided_at"],
        "leaf_index": index,
        "leaf_hash": merkle::leaf_hash(&leaf).to_hex(),
        "leaf": hex::encode(&leaf),
        "log": ORIGIN,
        "vkey": signer().verifier().to_vkey(),
        "proof": proof.encode(),
        "opening": {"k": hex::encode(k), "record": canonical_json(&record)},
        "erased_at": null,
    })
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A log the server wrote to object storage verifies from its URL: a `file://` directory
/// always, and the S3-compatible bucket of `MIZAN_TEST_S3_URL` when set (`scripts/test` sets
/// it, with the `AWS_*` variables the command reads too).
#[test]
fn verify_reads_a_log_in_object_storage() {
    use mizan_ledger_object::ObjectStorage;
    let tmp = tempfile::tempdir().unwrap();
    let mut urls = vec![format!("file://{}", tmp.path().display())];
    match std::env::var("MIZAN_TEST_S3_URL") {
        Ok(bucket) => urls.push(format!("{}/cli-{}", bucket.trim_end_matches('/'), std::process::id())),
        Err(_) => assert!(
            std::env::var_os("MIZAN_TEST_REQUIRE_S3").is_none(),
            "MIZAN_TEST_REQUIRE_S3 is set but MIZAN_TEST_S3_URL is not"
        ),
    }
    let vkey = signer().verifier().to_vkey();
    for root in urls {
        let storage =
            ObjectStorage::connect(&root, std::env::vars().filter(|(k, _)| k.starts_with("AWS_"))).unwrap();
        let mut log = Log::open(Arc::new(storage.open_log("2026").unwrap()), signer(), ORIGIN).unwrap();
        append_decisions(&mut log, 0..300);
        drop(log);
        let url = format!("{root}/2026");
        let out = ok(&mizan(&["log", "verify", &url, "--vkey", &vkey]));
        assert!(out.starts_with("ok: decisions.localhost/2026 size 300 root "), "{url}: {out}");
        // Another log's key, and a prefix with no log, fail and say why.
        let other =
            NoteSigner::new(ORIGIN, SigningKey::from_bytes(&[22u8; 32])).unwrap().verifier().to_vkey();
        fails(&mizan(&["log", "verify", &url, "--vkey", &other]), "does not verify");
        fails(&mizan(&["log", "verify", &format!("{root}/1999"), "--vkey", &vkey]), "has no `checkpoint`");
    }
    // A changed hash tile is found.
    let tile = tmp.path().join("2026/tile/0/000");
    let mut bytes = std::fs::read(&tile).unwrap();
    bytes[5] ^= 1;
    std::fs::write(&tile, bytes).unwrap();
    let url = format!("file://{}/2026", tmp.path().display());
    fails(&mizan(&["log", "verify", &url, "--vkey", &vkey]), "does not verify");
}

#[test]
fn verify_dir_mode_is_unchanged_and_takes_a_policy() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("log");
    let mut log = open_log(&dir, signer());
    append_decisions(&mut log, 0..300);
    drop(log);
    let vkey = signer().verifier().to_vkey();
    let out = ok(&mizan(&["log", "verify", s(&dir), "--vkey", &vkey]));
    assert!(out.starts_with("ok: decisions.localhost/2026 size 300 root "), "{out}");
    let policy = write(tmp.path(), "none.policy", &format!("log {vkey}\nquorum none\n"));
    let out = ok(&mizan(&["log", "verify", s(&dir), "--policy", s(&policy)]));
    assert!(out.contains("ok: witness quorum `none` met"), "{out}");
    // The log's own checkpoint carries no cosignatures, so a quorum of one fails.
    let one = write(
        tmp.path(),
        "one.policy",
        &format!("log {vkey}\nwitness A {}\nquorum A\n", witness(1).verifier().to_vkey()),
    );
    fails(&mizan(&["log", "verify", s(&dir), "--policy", s(&one)]), "witness `A` did not cosign");
}

#[test]
fn receipts_verify_offline_and_tampering_fails() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("log");
    let mut log = open_log(&dir, signer());
    append_decisions(&mut log, 0..40);
    let receipt = log.receipt(LeafIndex(17)).unwrap();
    let cosigned = TlogProof { checkpoint: cosign(&receipt.checkpoint, &[1, 2]), ..receipt.clone() };
    let vkey = signer().verifier().to_vkey();
    let policy = write(
        tmp.path(),
        "two.policy",
        &format!(
            "# Mizan decisions, two witnesses\nlog {vkey}\nwitness W1 {}\nwitness W2 {}\ngroup both all W1 W2\nquorum both\n",
            witness(1).verifier().to_vkey(),
            witness(2).verifier().to_vkey()
        ),
    );
    let json_path = write(tmp.path(), "receipt.json", &receipt_json(&cosigned, 17).to_string());

    // The receipt JSON from the API, under the policy: all four checks pass.
    let out = ok(&mizan(&["log", "verify", s(&json_path), "--policy", s(&policy)]));
    assert!(out.contains("ok: log signature: decisions.localhost/2026 size 40 root "), "{out}");
    assert!(out.contains("ok: witness quorum `both` met; cosigned by: W1 (2026-"), "{out}");
    assert!(out.contains("ok: leaf 17 is in the log (inclusion proof of"), "{out}");
    assert!(
        out.contains("ok: the record and k open the leaf (system PKAI0042, decided 2026-03-01T10:17:42Z"),
        "{out}"
    );
    // With only the log key: the quorum is reported as not checked.
    let out = ok(&mizan(&["log", "verify", s(&json_path), "--vkey", &vkey]));
    assert!(out.contains("not checked: witness cosignatures"), "{out}");

    // A bare tlog-proof with --leaf, and the record and k from files.
    let (record, k, leaf) = decision(17);
    let proof_path = write(tmp.path(), "r.tlog-proof", &cosigned.encode());
    let record_path = write(tmp.path(), "record.json", &record.to_string());
    let out = ok(&mizan(&[
        "log",
        "verify",
        s(&proof_path),
        "--policy",
        s(&policy),
        "--leaf",
        &hex::encode(&leaf),
        "--record",
        s(&record_path),
        "--k",
        &hex::encode(k),
    ]));
    assert!(out.contains("ok: the record and k open the leaf"), "{out}");
    let out = ok(&mizan(&["log", "verify", s(&proof_path), "--vkey", &vkey, "--leaf", &hex::encode(&leaf)]));
    assert!(out.contains("not checked: the decision record"), "{out}");
    fails(&mizan(&["log", "verify", s(&proof_path), "--vkey", &vkey]), "pass --leaf HEX");

    // Tampering, each with its reason.
    let mut changed = record.clone();
    changed["output"] = json!("refused");
    let changed_path = write(tmp.path(), "changed.json", &changed.to_string());
    fails(
        &mizan(&[
            "log",
            "verify",
            s(&json_path),
            "--vkey",
            &vkey,
            "--record",
            s(&changed_path),
            "--k",
            &hex::encode(k),
        ]),
        "the HMAC differs",
    );
    fails(
        &mizan(&[
            "log",
            "verify",
            s(&json_path),
            "--vkey",
            &vkey,
            "--record",
            s(&record_path),
            "--k",
            &hex::encode([9u8; 32]),
        ]),
        "the HMAC differs",
    );
    let mut later = record.clone();
    later["decided_at"] = json!("2026-03-01T11:17:42Z");
    let later_path = write(tmp.path(), "later.json", &later.to_string());
    fails(
        &mizan(&[
            "log",
            "verify",
            s(&json_path),
            "--vkey",
            &vkey,
            "--record",
            s(&later_path),
            "--k",
            &hex::encode(k),
        ]),
        "but the leaf says minute",
    );
    // Another leaf than the one proven.
    let other_leaf = hex::encode(decision(18).2);
    fails(
        &mizan(&["log", "verify", s(&proof_path), "--vkey", &vkey, "--leaf", &other_leaf]),
        "the leaf is not proven to be in the log",
    );
    // A receipt JSON whose leaf_hash does not match its leaf.
    let mut j = receipt_json(&cosigned, 17);
    j["leaf_hash"] = json!(merkle::leaf_hash(b"x").to_hex());
    let bad_json = write(tmp.path(), "bad.json", &j.to_string());
    fails(&mizan(&["log", "verify", s(&bad_json), "--vkey", &vkey]), "is not the hash of its leaf");
    // The wrong log key.
    let other = NoteSigner::new(ORIGIN, SigningKey::from_bytes(&[22u8; 32])).unwrap().verifier().to_vkey();
    fails(&mizan(&["log", "verify", s(&json_path), "--vkey", &other]), "not signed by this log");
    // Too few cosignatures for the policy, and a tampered cosignature.
    let only_one = TlogProof { checkpoint: cosign(&receipt.checkpoint, &[1]), ..receipt.clone() };
    let p1 = write(tmp.path(), "one.json", &receipt_json(&only_one, 17).to_string());
    fails(
        &mizan(&["log", "verify", s(&p1), "--policy", s(&policy)]),
        "group `both` needs 2 of 2 (`W1`, `W2`) and has 1 (`W1`)",
    );
    let mut note = Note::parse(cosigned.checkpoint.as_bytes()).unwrap();
    note.signatures[2].sig[30] ^= 1;
    let tampered = TlogProof { checkpoint: note.to_text(), ..receipt.clone() };
    let p2 = write(tmp.path(), "tampered.json", &receipt_json(&tampered, 17).to_string());
    fails(&mizan(&["log", "verify", s(&p2), "--policy", s(&policy)]), "witness `W2`");
    // A pending receipt has no proof yet.
    let mut pending = receipt_json(&cosigned, 17);
    pending["status"] = json!("pending");
    pending["proof"] = Value::Null;
    let p3 = write(tmp.path(), "pending.json", &pending.to_string());
    fails(&mizan(&["log", "verify", s(&p3), "--vkey", &vkey]), "has no proof (status `pending`)");
    // A malformed policy names its line.
    let badp = write(tmp.path(), "bad.policy", &format!("log {vkey}\nwitness W1 {vkey}\nquorum none\n"));
    fails(&mizan(&["log", "verify", s(&json_path), "--policy", s(&badp)]), "policy line 2");
    // Neither a key nor a policy: a usage error (exit 2).
    assert_eq!(mizan(&["log", "verify", s(&json_path)]).status.code(), Some(2));
}

#[test]
fn log_key_prints_the_servers_vkey() {
    let tmp = tempfile::tempdir().unwrap();
    let ledger = tmp.path().join("ledger");
    std::fs::create_dir_all(ledger.join("2025")).unwrap();
    std::fs::create_dir_all(ledger.join("2026")).unwrap();
    std::fs::write(ledger.join("log.key"), format!("{}\n", hex::encode([21u8; 32]))).unwrap();
    std::fs::write(ledger.join("2025/origin"), "decisions.localhost/2025").unwrap();
    std::fs::write(ledger.join("2026/origin"), ORIGIN).unwrap();
    let out = ok(&mizan(&["log", "key", "--data-dir", s(tmp.path())]));
    assert_eq!(out.trim(), signer().verifier().to_vkey());
    let out = ok(&mizan(&["log", "key", "--data-dir", s(tmp.path()), "--year", "2025"]));
    assert!(out.starts_with("decisions.localhost/2025+"), "{out}");
    fails(&mizan(&["log", "key", "--data-dir", s(&tmp.path().join("nowhere"))]), "point --data-dir at");
    std::fs::write(ledger.join("log.key"), "not hex").unwrap();
    fails(&mizan(&["log", "key", "--data-dir", s(tmp.path())]), "is not 64 hex digits");
}

/// Serves the files of `dir` over HTTP/1.1 (one request per connection) until the test ends.
fn serve_dir(dir: PathBuf) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request = String::new();
            if reader.read_line(&mut request).is_err() {
                continue;
            }
            loop {
                let mut h = String::new();
                if reader.read_line(&mut h).is_err() || h == "\r\n" || h.is_empty() {
                    break;
                }
            }
            let path = request.split(' ').nth(1).unwrap_or("/").trim_start_matches('/').to_owned();
            let file = (!path.split('/').any(|c| c == ".." || c.is_empty())).then(|| dir.join(&path));
            let (status, body) = match file.and_then(|f| std::fs::read(f).ok()) {
                Some(b) => ("200 OK", b),
                None => ("404 Not Found", b"not found\n".to_vec()),
            };
            let head =
                format!("HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len());
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&body);
        }
    });
    url
}

#[test]
fn monitor_follows_a_log_and_reports_forks_and_missing_tiles() {
    let tmp = tempfile::tempdir().unwrap();
    let served = tmp.path().join("served");
    let dir = served.join("2026");
    let mut log = open_log(&dir, signer());
    append_decisions(&mut log, 0..5);
    std::fs::write(dir.join("vkey"), format!("{}\n", signer().verifier().to_vkey())).unwrap();
    let url = format!("{}/2026", serve_dir(served.clone()));
    let state = tmp.path().join("monitor.state");
    let run = |extra: &[&str]| {
        let mut args = vec!["log", "monitor", url.as_str(), "--once", "--state", s(&state)];
        args.extend_from_slice(extra);
        mizan(&args)
    };
    // First run: trusts the served key on first use, re-hashes all five entries.
    let out = ok(&run(&[]));
    assert!(out.contains("ok: decisions.localhost/2026 size 0 -> 5 root"), "{out}");
    let pinned = std::fs::read_to_string(&state).unwrap();
    assert!(pinned.contains(&signer().verifier().to_vkey()), "{pinned}");
    // Nothing new.
    let out = ok(&run(&[]));
    assert!(out.contains("size 5 root") && out.contains("(unchanged)"), "{out}");
    // The log grows across a tile boundary.
    append_decisions(&mut log, 5..300);
    let out = ok(&run(&["--vkey", &signer().verifier().to_vkey()]));
    assert!(out.contains("size 5 -> 300") && out.contains("295 new entries re-hashed"), "{out}");
    // A missing tile: the log grows but a tile of the new size is gone.
    append_decisions(&mut log, 300..310);
    drop(log);
    std::fs::rename(dir.join("tile/0/001.p/54"), tmp.path().join("hidden")).unwrap();
    fails(&run(&[]), "missing: hash tile `tile/0/001.p/54`");
    std::fs::rename(tmp.path().join("hidden"), dir.join("tile/0/001.p/54")).unwrap();
    ok(&run(&[]));
    // A fork: the same key signs another history, larger than what the monitor saw.
    std::fs::remove_dir_all(&dir).unwrap();
    let mut fork = open_log(&dir, signer());
    append_decisions(&mut fork, 1000..1400);
    drop(fork);
    fails(&run(&[]), "fork: checkpoint at size 400");
    // The state still holds the last good checkpoint, and another key is refused.
    assert!(std::fs::read_to_string(&state).unwrap().contains("\n310\n"));
    let other = NoteSigner::new(ORIGIN, SigningKey::from_bytes(&[23u8; 32])).unwrap().verifier().to_vkey();
    fails(&run(&["--vkey", &other]), "use another --state file");
}

#[test]
fn witness_cli_cosigns_and_keeps_its_key() {
    let tmp = tempfile::tempdir().unwrap();
    let state = tmp.path().join("witness");
    let vkey = signer().verifier().to_vkey();
    // Refused before starting: a witness key given as a log key, and two keys for one origin.
    let wkey = witness(1).verifier().to_vkey();
    fails(&mizan(&["witness", "--log-key", &wkey, "--state-dir", s(&state)]), "is not a log key");
    let other = NoteSigner::new(ORIGIN, SigningKey::from_bytes(&[24u8; 32])).unwrap().verifier().to_vkey();
    fails(
        &mizan(&["witness", "--log-key", &vkey, "--log-key", &other, "--state-dir", s(&state)]),
        "two `--log-key`s for origin `decisions.localhost/2026`",
    );
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let listen = format!("127.0.0.1:{port}");
    let start = || {
        let mut child = Command::new(env!("CARGO_BIN_EXE_mizan"))
            .args(["witness", "--listen", &listen, "--log-key", &vkey, "--state-dir", s(&state)])
            .args(["--name", "witness.mizan.example/w1"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        (child, line.trim().to_owned())
    };
    let (mut child, wvkey) = start();
    assert!(wvkey.starts_with("witness.mizan.example/w1+"), "{wvkey}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(state.join("witness.key")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let dir = tmp.path().join("log");
    let mut log = open_log(&dir, signer());
    append_decisions(&mut log, 0..3);
    let checkpoint = log.checkpoint().unwrap().to_vec();
    let url = format!("http://{listen}");
    let rt = tokio::runtime::Runtime::new().unwrap();
    // The vkey is printed once the port is bound, so the witness answers at once.
    let lines = rt.block_on(mizan_witness::add_checkpoint(&url, 0, &[], &checkpoint)).unwrap();
    // The cosigned checkpoint satisfies a policy naming this witness.
    let policy = write(tmp.path(), "w.policy", &format!("log {vkey}\nwitness W {wvkey}\nquorum W\n"));
    let receipt = TlogProof {
        checkpoint: format!("{}{lines}", String::from_utf8(checkpoint.clone()).unwrap()),
        ..log.receipt(LeafIndex(1)).unwrap()
    };
    let proof_path = write(tmp.path(), "w.tlog-proof", &receipt.encode());
    let out = ok(&mizan(&[
        "log",
        "verify",
        s(&proof_path),
        "--policy",
        s(&policy),
        "--leaf",
        &hex::encode(decision(1).2),
    ]));
    assert!(out.contains("ok: witness quorum `W` met; cosigned by: W ("), "{out}");
    child.kill().unwrap();
    child.wait().unwrap();
    // Restarted, it has the same key and remembers size 3.
    let (mut child, again) = start();
    assert_eq!(again, wvkey);
    let err = rt.block_on(mizan_witness::add_checkpoint(&url, 0, &[], &checkpoint));
    assert!(matches!(err, Err(mizan_witness::ClientError::Conflict { size: 3, .. })), "{err:?}");
    child.kill().unwrap();
    child.wait().unwrap();
}
