//! `mizan witness`: runs an independent C2SP tlog-witness for the logs given by key, with its
//! state and key in a directory (`mizan-witness` does the work).

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use clap::Args;
use mizan_ledger::note::{ALG_ED25519, NoteVerifier};
use mizan_witness::{FsWitnessStore, WitnessService};

/// The witness name used when a key is created without `--name`.
const DEFAULT_NAME: &str = "localhost/mizan-witness";

/// Arguments of `mizan witness`.
#[derive(Debug, Args)]
pub struct WitnessArgs {
    /// Address to listen on; `POST /add-checkpoint` is served at its root.
    #[arg(long, default_value = "127.0.0.1:7380")]
    listen: SocketAddr,
    /// A log to follow: its vkey (`origin+keyid+base64`, as `mizan log key` prints it) or a
    /// file containing it. Repeat for more logs.
    #[arg(long = "log-key", required = true, value_name = "VKEY")]
    log_keys: Vec<String>,
    /// Directory for the witness's state (the latest cosigned checkpoint of each log) and, by
    /// default, its key. One witness process per directory.
    #[arg(long, value_name = "DIR")]
    state_dir: PathBuf,
    /// The witness's private key; created with mode 0600 on first use
    /// (default: STATE_DIR/witness.key).
    #[arg(long, value_name = "FILE")]
    key: Option<PathBuf>,
    /// The witness's name, part of its vkey; used when the key is created
    /// (default: `localhost/mizan-witness`).
    #[arg(long)]
    name: Option<String>,
}

/// Reads a vkey given inline or as a file.
pub fn read_vkey(arg: &str) -> Result<NoteVerifier> {
    let text = if std::path::Path::new(arg).is_file() {
        std::fs::read_to_string(arg).with_context(|| format!("cannot read vkey file `{arg}`"))?
    } else {
        arg.to_owned()
    };
    NoteVerifier::from_vkey(text.trim()).map_err(|e| {
        anyhow::anyhow!(
            "{e}\nhint: pass the log's vkey, for example `decisions.example/2026+1a2b3c4d+AQ...` (see `mizan log key`)"
        )
    })
}

/// Runs `mizan witness` until Ctrl-C.
///
/// # Errors
/// A bad log key, a state directory held by another witness, an unusable key file, or a port
/// in use.
pub fn run(args: WitnessArgs) -> Result<()> {
    let mut logs = Vec::new();
    for k in &args.log_keys {
        let v = read_vkey(k)?;
        if v.alg() != ALG_ED25519 {
            bail!(
                "`--log-key {k}` is not a log key (type 0x01)\nhint: this looks like a witness key; pass the log's vkey"
            );
        }
        if logs.iter().any(|l: &NoteVerifier| l.name() == v.name()) {
            bail!("two `--log-key`s for origin `{}`; a witness follows one key per log", v.name());
        }
        logs.push(v);
    }
    let store = FsWitnessStore::open(&args.state_dir)
        .with_context(|| format!("cannot open witness state `{}`", args.state_dir.display()))?;
    let key_path = args.key.clone().unwrap_or_else(|| args.state_dir.join("witness.key"));
    let signer = mizan_witness::key::load_or_create(
        &key_path,
        args.name.as_deref(),
        DEFAULT_NAME,
        &mut rand::rngs::OsRng,
    )?;
    let service = WitnessService::new(signer, logs.clone(), Arc::new(store));
    super::serve::runtime()?.block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.listen).await.with_context(|| {
            format!(
                "cannot listen on `{}` (is another program using it? try --listen 127.0.0.1:7381)",
                args.listen
            )
        })?;
        // stdout carries only the vkey, printed once the port is bound: a script that has read
        // it can submit at once.
        out!("{}", service.verifier().to_vkey());
        std::io::stdout().flush().context("cannot write to stdout")?;
        let bound = listener.local_addr().map_or_else(|_| args.listen.to_string(), |a| a.to_string());
        tracing::info!(
            listen = %bound,
            witness = service.verifier().name(),
            logs = ?logs.iter().map(NoteVerifier::name).collect::<Vec<_>>(),
            state_dir = %args.state_dir.display(),
            "witness running (Ctrl-C to stop)"
        );
        mizan_witness::serve(listener, Arc::new(service), async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .context("witness stopped with an error")
    })
}
