//! `mizan log`: commands on decision-ledger directories, starting with `verify`, which checks
//! a C2SP tlog-tiles directory from scratch with nothing but the log's verifier key.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use mizan_ledger_fs::FsStore;
use mizan_ledger_fs::ledger::note::NoteVerifier;
use mizan_ledger_fs::ledger::verify::verify_log;

/// Arguments of `mizan log`.
#[derive(Debug, Args)]
pub struct LogArgs {
    #[command(subcommand)]
    command: LogCommand,
}

#[derive(Debug, Subcommand)]
enum LogCommand {
    /// Verify a log directory from scratch: re-hash every entry bundle, recompute every hash
    /// tile and check the checkpoint's signature and root.
    Verify(VerifyArgs),
}

#[derive(Debug, Args)]
struct VerifyArgs {
    /// The log directory (holds `checkpoint` and `tile/`).
    dir: PathBuf,
    /// The log's verifier key (`origin+keyid+base64`), or a file containing it.
    #[arg(long)]
    vkey: String,
}

/// Runs `mizan log`.
///
/// # Errors
/// The first verification failure, naming the tile or leaf index that is wrong.
pub fn run(args: LogArgs) -> Result<()> {
    match args.command {
        LogCommand::Verify(v) => verify(&v),
    }
}

fn verify(args: &VerifyArgs) -> Result<()> {
    let vkey_text = if std::path::Path::new(&args.vkey).is_file() {
        std::fs::read_to_string(&args.vkey)
            .with_context(|| format!("cannot read vkey file `{}`", args.vkey))?
    } else {
        args.vkey.clone()
    };
    let vkey = NoteVerifier::from_vkey(vkey_text.trim())
        .context("hint: pass the log's vkey, for example `decisions.example/2026+1a2b3c4d+AQ...`")?;
    if !args.dir.join("checkpoint").is_file() {
        anyhow::bail!(
            "`{}` has no `checkpoint` file\nhint: point at the log directory that holds `checkpoint` and `tile/`",
            args.dir.display()
        );
    }
    let store = FsStore::read_only(&args.dir);
    let cp =
        verify_log(&store, &vkey).with_context(|| format!("log `{}` does not verify", args.dir.display()))?;
    println!("ok: {} size {} root {}", cp.origin, cp.size, cp.root);
    Ok(())
}
