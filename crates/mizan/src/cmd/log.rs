//! `mizan log`: commands on decision-ledger logs. `verify` checks a C2SP tlog-tiles directory
//! from scratch, or a receipt offline (log signature, witness quorum under a C2SP tlog-policy,
//! inclusion, and the record's commitment); `key` prints the server's log key; `monitor`
//! follows a log over HTTP and reports a fork or a missing tile.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use clap::{Args, Subcommand};
use mizan_ledger::checkpoint::Checkpoint;
use mizan_ledger::monitor::{self, MonitorError, MonitorState};
use mizan_ledger::note::{Note, NoteSigner, NoteVerifier};
use mizan_ledger::policy::{self, Cosigned, Policy};
use mizan_ledger::receipt::{self, Evidence, Opening, Outcome, ReceiptError, StepKind, Trust};
use mizan_ledger::store::{CHECKPOINT_PATH, LogStore};
use mizan_ledger::verify::verify_log;
use mizan_ledger_fs::FsStore;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::witness::read_vkey;

/// Arguments of `mizan log`.
#[derive(Debug, Args)]
pub struct LogArgs {
    #[command(subcommand)]
    command: LogCommand,
}

#[derive(Debug, Subcommand)]
enum LogCommand {
    /// Verify a log directory from scratch (re-hash every entry bundle, recompute every hash
    /// tile, check the checkpoint), or a receipt offline: log signature, witness quorum,
    /// inclusion of the leaf and, given the record and its key, the leaf's commitment.
    Verify(VerifyArgs),
    /// Print the verifier key (vkey) of the server's decision log in a data directory.
    Key(KeyArgs),
    /// Follow a log over HTTP: check each new checkpoint's signature and consistency with the
    /// last one seen, and re-hash its new entries into the tiles. Exits 1 on a fork, a missing
    /// tile or a wrong one.
    Monitor(MonitorArgs),
}

#[derive(Debug, Args)]
struct VerifyArgs {
    /// A log directory (holds `checkpoint` and `tile/`), a log in object storage
    /// (`s3://bucket/prefix/2026`, credentials from the `AWS_*` variables; or `file:///path`),
    /// or a receipt: the JSON of `GET /api/v1/receipts/{ref}`, or a bare C2SP tlog-proof file
    /// (then give `--leaf`).
    path: PathBuf,
    /// The log's verifier key (`origin+keyid+base64`), or a file containing it.
    #[arg(long, required_unless_present = "policy")]
    vkey: Option<String>,
    /// A C2SP tlog-policy file: the logs to accept and the witness cosignatures to require.
    #[arg(long, value_name = "FILE")]
    policy: Option<PathBuf>,
    /// The 49-byte leaf, hex (needed for a bare tlog-proof; the receipt JSON carries it).
    #[arg(long, value_name = "HEX")]
    leaf: Option<String>,
    /// The decision record (JSON) to check against the leaf's commitment; needs `--k`.
    #[arg(long, value_name = "FILE", requires = "k")]
    record: Option<PathBuf>,
    /// The record's 32-byte key, hex (the receipt's `opening.k`); needs `--record`.
    #[arg(long, value_name = "HEX", requires = "record")]
    k: Option<String>,
}

#[derive(Debug, Args)]
struct KeyArgs {
    /// The server's data directory (as given to `mizan serve`).
    #[arg(long, env = "MIZAN_DATA_DIR", default_value = "./mizan-data")]
    data_dir: PathBuf,
    /// The log's year (shard); default: the newest.
    #[arg(long)]
    year: Option<String>,
}

#[derive(Debug, Args)]
struct MonitorArgs {
    /// The log's URL prefix, e.g. `http://127.0.0.1:8080/log/2026` (holds `checkpoint`, `tile/`).
    url: String,
    /// Seconds between checks.
    #[arg(long, default_value_t = 60)]
    interval: u64,
    /// Check once and exit.
    #[arg(long)]
    once: bool,
    /// The log's verifier key, or a file containing it (default: the key pinned in the state
    /// file, or on first use the one the log serves at `URL/vkey`).
    #[arg(long)]
    vkey: Option<String>,
    /// Also require every checkpoint to satisfy this C2SP tlog-policy (witness quorum).
    #[arg(long, value_name = "FILE")]
    policy: Option<PathBuf>,
    /// Where the monitor keeps the last checkpoint it verified (one file per log).
    #[arg(long, value_name = "FILE", default_value = "mizan-monitor.state")]
    state: PathBuf,
}

/// Runs `mizan log`.
///
/// # Errors
/// The first verification failure, naming the tile, leaf index or signature that is wrong.
pub fn run(args: LogArgs) -> Result<()> {
    match args.command {
        LogCommand::Verify(v) => match v.log_url() {
            Some(url) => verify_bucket(url, &v),
            None if v.path.is_dir() => {
                verify_store(&FsStore::read_only(&v.path), &v.path.display().to_string(), &v)
            }
            None => verify_receipt(&v),
        },
        LogCommand::Key(k) => key(&k),
        LogCommand::Monitor(m) => run_monitor(&m),
    }
}

fn read_policy(path: &Path, vkey: Option<&str>) -> Result<Policy> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read policy `{}`", path.display()))?;
    let mut p = Policy::parse(&bytes).with_context(|| format!("policy `{}` is invalid", path.display()))?;
    if let Some(v) = vkey {
        p.add_log(read_vkey(v)?)?;
    }
    Ok(p)
}

fn when(t: u64) -> String {
    i64::try_from(t)
        .ok()
        .and_then(|t| OffsetDateTime::from_unix_timestamp(t).ok())
        .and_then(|d| d.format(&Rfc3339).ok())
        .unwrap_or_else(|| t.to_string())
}

/// Prints the witness quorum a checkpoint met and who cosigned it, with when.
fn print_quorum(quorum: &str, cosigned: &[Cosigned]) {
    let who: Vec<String> = cosigned.iter().map(|c| format!("{} ({})", c.witness, when(c.time))).collect();
    out!(
        "ok: witness quorum `{quorum}` met; cosigned by: {}",
        if who.is_empty() { "nobody (none required)".to_owned() } else { who.join(", ") }
    );
}

/// A log in object storage (`s3://bucket/prefix/2026`, `file:///path`), read through the same
/// client the server writes with; credentials and endpoint from the `AWS_*` variables.
fn verify_bucket(url: &str, args: &VerifyArgs) -> Result<()> {
    let storage = mizan_ledger_object::ObjectStorage::connect(
        url,
        std::env::vars().filter(|(k, _)| k.starts_with("AWS_")),
    )
    .with_context(|| format!("cannot open `{url}`"))?;
    let store = storage.read_only("").with_context(|| format!("cannot open `{url}`"))?;
    verify_store(&store, url, args)
}

/// Verifies the log in `store` from scratch (`name` says where it is, for messages).
fn verify_store(store: &dyn LogStore, name: &str, args: &VerifyArgs) -> Result<()> {
    let checkpoint = store
        .read(CHECKPOINT_PATH)
        .with_context(|| format!("cannot read `{name}/checkpoint`"))?
        .ok_or_else(|| {
            anyhow!(
                "`{name}` has no `checkpoint`\nhint: point at the log that holds `checkpoint` and `tile/`"
            )
        })?;
    let policy = args.policy.as_deref().map(|p| read_policy(p, args.vkey.as_deref())).transpose()?;
    let vkey = match (&args.vkey, &policy) {
        (Some(v), _) => read_vkey(v)?,
        (None, Some(p)) => {
            let origin = Note::parse(&checkpoint)
                .and_then(|n| Checkpoint::parse_body(&n.text))
                .with_context(|| format!("`{name}/checkpoint` is malformed"))?
                .origin;
            p.logs().iter().find(|l| l.key.name() == origin).map(|l| l.key.clone()).ok_or_else(|| {
                anyhow!(
                    "the policy lists no log with origin `{origin}`\nhint: add `log <vkey>` or pass --vkey"
                )
            })?
        }
        (None, None) => bail!("pass --vkey VKEY or --policy FILE"),
    };
    let cp = verify_log(store, &vkey).with_context(|| format!("log `{name}` does not verify"))?;
    out!("ok: {} size {} root {}", cp.origin, cp.size, cp.root);
    if let Some(p) = &policy {
        let checked =
            policy::check(&checkpoint, p).context("the log's checkpoint does not satisfy the policy")?;
        print_quorum(&checked.quorum, &checked.cosigned);
    }
    Ok(())
}

impl VerifyArgs {
    /// The path as an object-storage URL, when it is one.
    fn log_url(&self) -> Option<&str> {
        self.path.to_str().filter(|p| p.starts_with("s3://") || p.starts_with("file://"))
    }
}

/// A receipt offline: the one receipt check (`mizan_ledger::receipt::check`, the same as the
/// server's `/verify` page), printing a line for each step that held and stopping at the first
/// that failed.
fn verify_receipt(args: &VerifyArgs) -> Result<()> {
    let path = &args.path;
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read receipt `{}`", path.display()))?;
    let mut evidence =
        Evidence::from_text(&text).with_context(|| format!("`{}` is not a receipt", path.display()))?;
    evidence.leaf_given.clone_from(&args.leaf);
    if let (Some(r), Some(k)) = (&args.record, &args.k) {
        let record =
            std::fs::read_to_string(r).with_context(|| format!("cannot read record `{}`", r.display()))?;
        // The flags replace the receipt's own opening.
        evidence.opening = Some(Opening { k: k.clone(), record });
    }
    let policy = args.policy.as_deref().map(|p| read_policy(p, args.vkey.as_deref())).transpose()?;
    let key;
    let trust = match &policy {
        Some(p) => Trust::Policy(p),
        None => {
            key = read_vkey(args.vkey.as_deref().unwrap_or_default())?;
            Trust::Log(&key)
        }
    };
    let check = receipt::check(&evidence, trust);
    for step in &check.steps {
        match (&step.outcome, step.kind) {
            (Outcome::Passed(d), StepKind::Signature) => out!("ok: log signature: {d}"),
            (Outcome::Passed(_), StepKind::Witnesses) => {
                print_quorum(check.quorum.as_deref().unwrap_or("none"), &check.cosigned);
            }
            (Outcome::Passed(_), StepKind::Inclusion) => {
                let (index, hashes) = check.proof.as_ref().map_or((0, 0), |p| (p.index, p.proof.len()));
                out!("ok: leaf {index} is in the log (inclusion proof of {hashes} hashes)");
            }
            (Outcome::Passed(d), StepKind::Commitment) => {
                out!("ok: the record and k open the leaf ({d})");
            }
            (Outcome::Skipped(_), StepKind::Witnesses) if policy.is_none() => {
                out!("not checked: witness cosignatures (pass --policy POLICY to require a quorum)");
            }
            (Outcome::Skipped(_), StepKind::Commitment) if evidence.opening.is_none() => {
                out!("not checked: the decision record (pass --record FILE --k HEX)");
            }
            _ => {}
        }
    }
    if let Some((kind, e)) = check.failure() {
        let hint = match e {
            ReceiptError::NoLeaf => {
                "\nhint: pass --leaf HEX, the 49-byte leaf (the receipt JSON's `leaf`); an erased decision's leaf can no longer be shown"
            }
            _ => "",
        };
        bail!("the {} check failed: {e}{hint}", kind.as_str());
    }
    if !check.passed() {
        // Only a receipt without a proof gets here: inclusion skipped, nothing failed.
        let why = match check.step(StepKind::Inclusion).map(|s| &s.outcome) {
            Some(Outcome::Skipped(why)) => why.as_str(),
            _ => "the leaf's inclusion was not checked",
        };
        bail!(
            "receipt `{}`: {why}\nhint: a pending decision gets its proof once the log publishes a checkpoint; fetch the receipt again in a few seconds",
            path.display()
        );
    }
    Ok(())
}

fn key(args: &KeyArgs) -> Result<()> {
    let ledger = args.data_dir.join("ledger");
    let key_path = ledger.join("log.key");
    let text = std::fs::read_to_string(&key_path).with_context(|| {
        format!(
            "cannot read `{}`\nhint: point --data-dir at the directory `mizan serve` uses",
            key_path.display()
        )
    })?;
    let seed: [u8; 32] = hex::decode(text.trim())
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| anyhow!("ledger key `{}` is not 64 hex digits", key_path.display()))?;
    let shard = match &args.year {
        Some(y) => y.clone(),
        None => newest_shard(&ledger)?,
    };
    let origin_path = ledger.join(&shard).join("origin");
    let origin = std::fs::read_to_string(&origin_path).with_context(|| {
        format!("cannot read `{}`; is `{shard}` a log of this server?", origin_path.display())
    })?;
    let signer = NoteSigner::new(origin.trim(), ed25519_dalek::SigningKey::from_bytes(&seed))?;
    out!("{}", signer.verifier().to_vkey());
    Ok(())
}

fn newest_shard(ledger: &Path) -> Result<String> {
    let entries = std::fs::read_dir(ledger).with_context(|| format!("cannot list `{}`", ledger.display()))?;
    let mut shards: Vec<String> = entries
        .filter_map(std::result::Result::ok)
        .filter(|e| e.path().join("origin").is_file())
        .filter_map(|e| e.file_name().to_str().map(str::to_owned))
        .collect();
    shards.sort_by_key(|s| (s.len(), s.clone()));
    shards.pop().ok_or_else(|| {
        anyhow!("`{}` holds no log yet\nhint: start `mizan serve` once to create it", ledger.display())
    })
}

fn load_state(args: &MonitorArgs, log: &mizan_witness::HttpLog) -> Result<MonitorState> {
    let given = args.vkey.as_deref().map(read_vkey).transpose()?;
    match std::fs::read_to_string(&args.state) {
        Ok(text) => {
            let state = MonitorState::parse(&text)
                .with_context(|| format!("monitor state `{}` is unusable", args.state.display()))?;
            if let Some(g) = given
                && g != state.key
            {
                bail!(
                    "`--vkey` is `{}` but `{}` follows `{}`\nhint: use another --state file for another log",
                    g.to_vkey(),
                    args.state.display(),
                    state.key.to_vkey()
                );
            }
            Ok(state)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = match given {
                Some(k) => k,
                None => {
                    let url = log.url("vkey");
                    let body = mizan_ledger::store::LogStore::read(log, "vkey")
                        .with_context(|| format!("cannot fetch `{url}`"))?
                        .ok_or_else(|| anyhow!("`{url}` not found\nhint: pass --vkey"))?;
                    let k = NoteVerifier::from_vkey(String::from_utf8_lossy(&body).trim())
                        .with_context(|| format!("`{url}` is not a vkey"))?;
                    tracing::warn!(vkey = %k.to_vkey(), "trusting the key the log serves, on first use; pin it with --vkey");
                    k
                }
            };
            Ok(MonitorState::new(key))
        }
        Err(e) => Err(e).with_context(|| format!("cannot read `{}`", args.state.display())),
    }
}

/// Writes the state durably: temp file, fsync, rename, fsync directory.
fn save_state(path: &Path, state: &MonitorState) -> Result<()> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let tmp = dir.join(format!(".{}.tmp", path.file_name().and_then(|n| n.to_str()).unwrap_or("monitor")));
    let write = || -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(state.encode().as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)?;
        std::fs::File::open(dir)?.sync_all()
    };
    write().with_context(|| format!("cannot save monitor state `{}`", path.display()))
}

fn run_monitor(args: &MonitorArgs) -> Result<()> {
    let log = mizan_witness::HttpLog::new(&args.url, Duration::from_secs(30))?;
    let policy = args.policy.as_deref().map(|p| read_policy(p, args.vkey.as_deref())).transpose()?;
    let mut state = load_state(args, &log)?;
    loop {
        match monitor::step(&state, &log) {
            Ok(step) => {
                let last = step.state.last.as_ref().map(|l| &l.checkpoint);
                if let (Some(p), Some(l)) = (&policy, &step.state.last) {
                    policy::check(l.note.to_text().as_bytes(), p).with_context(|| {
                        format!("checkpoint at size {} does not satisfy the policy", step.new_size)
                    })?;
                }
                if let Some(cp) = last {
                    if step.new_size > step.old_size {
                        out!(
                            "ok: {} size {} -> {} root {} ({} new entries re-hashed)",
                            cp.origin,
                            step.old_size,
                            step.new_size,
                            cp.root,
                            step.new_size - step.old_size
                        );
                    } else {
                        out!("ok: {} size {} root {} (unchanged)", cp.origin, cp.size, cp.root);
                    }
                }
                std::io::stdout().flush().ok();
                if step.state != state {
                    save_state(&args.state, &step.state)?;
                    state = step.state;
                }
            }
            Err(MonitorError::Fetch(why)) if !args.once => {
                tracing::warn!(url = %args.url, error = %why, "cannot read the log; trying again");
            }
            Err(e) => {
                let hint = match &e {
                    MonitorError::Fork(_) => {
                        "\nhint: the log showed two histories; keep the state file and the checkpoints as evidence"
                    }
                    MonitorError::Missing(_) => {
                        "\nhint: the log published a checkpoint it cannot back with tiles"
                    }
                    _ => "",
                };
                return Err(anyhow!("{e}{hint}")).with_context(|| format!("log `{}`", args.url));
            }
        }
        if args.once {
            return Ok(());
        }
        std::thread::sleep(Duration::from_secs(args.interval.max(1)));
    }
}
