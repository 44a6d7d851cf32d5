//! The `mizan` binary: parses the command line and hands each command to a library.
//!
//! Thin on purpose: every command lives in `cmd/<name>.rs`, which converts arguments into a
//! library call and maps the library's error into `anyhow` with `hint:` lines. Exit codes:
//! 0 success, 1 the command failed (the message says why), 2 the command line was invalid.

mod cmd;

/// mimalloc rather than the system allocator: the decision intake allocates and frees many
/// short strings per decision on several threads, and glibc's malloc spent a quarter of the
/// server's time at 30,000 decisions/s (bench/decisions).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::{Parser, Subcommand};

/// Mizan: the software a national AI policy runs on.
#[derive(Debug, Parser)]
#[command(name = "mizan", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

// Each command is one variant and one module under `cmd/`. Keep one line per command here.
#[derive(Debug, Subcommand)]
enum Command {
    /// Run Mizan: the public register, provider and regulator pages, and the API.
    Serve(cmd::serve::ServeArgs),
    /// Bring the database schema up to date and exit.
    Migrate(cmd::serve::MigrateArgs),
    /// Bootstrap a deployment: organisations, users, API tokens.
    Admin(cmd::admin::AdminArgs),
    /// Classify an AI system's risk under the EU AI Act from an answers file.
    Classify(cmd::classify::ClassifyArgs),
    /// Explain a model's decisions (exact TreeSHAP) and what would change them.
    Explain(cmd::explain::ExplainArgs),
    /// Verify logs and receipts, print the log key, monitor a log (C2SP tlog-tiles, tlog-proof).
    Log(cmd::log::LogArgs),
    /// Audit decisions: `mizan audit fairness` reports group fairness with intervals.
    Audit(cmd::audit::AuditArgs),
    /// Run an independent witness (C2SP tlog-witness) that cosigns consistent checkpoints.
    Witness(cmd::witness::WitnessArgs),
    /// The national compute grid: sync allocations to Slurm, import usage, register institutions.
    Grid(cmd::grid::GridArgs),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let result = match cli.command {
        Command::Serve(args) => cmd::serve::run(args),
        Command::Migrate(args) => cmd::serve::migrate(args),
        Command::Admin(args) => cmd::admin::run(args),
        Command::Classify(args) => cmd::classify::run(args),
        Command::Explain(args) => cmd::explain::run(args),
        Command::Log(args) => cmd::log::run(args),
        Command::Audit(args) => cmd::audit::run(args),
        Command::Witness(args) => cmd::witness::run(args),
        Command::Grid(args) => cmd::grid::run(args),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            for cause in err.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            std::process::ExitCode::FAILURE
        }
    }
}
