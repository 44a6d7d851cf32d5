//! `mizan serve` and `mizan migrate`: open the database (SQLite under the data directory by
//! default, PostgreSQL with `--database-url`), bring the schema up to date, and serve.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use mizan_store::Store;

/// Where the data lives; shared by every command that opens the database.
#[derive(Debug, Args)]
pub struct DbArgs {
    /// Directory for the embedded SQLite database and files.
    #[arg(long, env = "MIZAN_DATA_DIR", default_value = "./mizan-data")]
    pub data_dir: PathBuf,
    /// A PostgreSQL URL (`postgres://user:pass@host/db`); without it Mizan uses SQLite in the data directory.
    #[arg(long, env = "MIZAN_DATABASE_URL")]
    pub database_url: Option<String>,
}

impl DbArgs {
    /// Opens and migrates the database.
    pub async fn open(&self) -> Result<Store> {
        let url = match &self.database_url {
            Some(url) => url.clone(),
            None => {
                std::fs::create_dir_all(&self.data_dir)
                    .with_context(|| format!("cannot create data directory `{}`", self.data_dir.display()))?;
                format!("sqlite://{}", self.data_dir.join("mizan.db").display())
            }
        };
        let store =
            Store::connect(&url).await.with_context(|| format!("cannot open database `{}`", redact(&url)))?;
        store.migrate().await.context("cannot bring the database schema up to date")?;
        Ok(store)
    }
}

/// Hides a password in a database URL before printing it.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            let user = creds.split(':').next().unwrap_or("");
            format!("{}://{user}:***{}", &url[..s], &url[at..])
        }
        _ => url.to_owned(),
    }
}

/// Arguments of `mizan serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    db: DbArgs,
    /// Address to listen on.
    #[arg(long, env = "MIZAN_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Seed demo organisations, users and AI systems (idempotent) and print the demo sign-ins.
    #[arg(long)]
    demo: bool,
    /// Public base URL used in links of the API, feed and downloads (default: http://LISTEN).
    #[arg(long, env = "MIZAN_BASE_URL")]
    base_url: Option<String>,
    /// A C2SP tlog-policy file naming the witnesses (with their URLs) that must cosign the
    /// decision log's checkpoints before receipts are full; this log's key is added if absent.
    #[arg(long, env = "MIZAN_WITNESS_POLICY")]
    witness_policy: Option<PathBuf>,
    /// Keep the decision ledger's tiles, bundles and checkpoints in object storage:
    /// `s3://bucket/prefix` (credentials, region and endpoint from the standard `AWS_*`
    /// environment variables) or `file:///absolute/path`. Default: files under
    /// `<data-dir>/ledger`. Run one `mizan serve` per bucket prefix: a bucket has no writer lock.
    #[arg(long, env = "MIZAN_LEDGER_STORE")]
    ledger_store: Option<String>,
    /// Keep the data repository's files in object storage, under `datasets/` (same URLs as
    /// `--ledger-store`). Default: the ledger's object storage when `--ledger-store` is given,
    /// else files under `<data-dir>/datasets`. Uploads pass through `<data-dir>/datasets/tmp`.
    #[arg(long, env = "MIZAN_DATASET_STORE")]
    dataset_store: Option<String>,
    /// Send e-mail to people who asked to be told about their appeal through this SMTP server:
    /// `smtp://host[:port]` (plain, 25), `smtp://host[:port]?tls=required` (STARTTLS, 587),
    /// `smtps://host[:port]` (TLS, 465), with `user:password@` to log in. Without it the
    /// messages are written as .eml files to `<data-dir>/outbox`.
    #[arg(long, env = "MIZAN_SMTP_URL")]
    smtp_url: Option<String>,
    /// The sender of those e-mails: `Name <address>` or an address.
    #[arg(long, env = "MIZAN_SMTP_FROM", default_value = mizan_notify::DEFAULT_FROM)]
    smtp_from: String,
    /// Mark cookies Secure (set this when serving over HTTPS).
    #[arg(long, env = "MIZAN_SECURE_COOKIES")]
    secure_cookies: bool,
    /// Keep the compute grid's Slurm clusters in line with the allocations: sync at once when an
    /// allocation is approved and every 5 minutes, import usage from `sacct` every 10 minutes.
    /// Runs `sacctmgr` and `sacct` with this process's environment (`SLURM_CONF`) as a Slurm
    /// operator.
    #[arg(long, env = "MIZAN_SLURM")]
    slurm: bool,
    /// Where `sacctmgr` and `sacct` are (default: the `PATH`).
    #[arg(long, env = "MIZAN_SLURM_BIN")]
    slurm_bin: Option<PathBuf>,
    #[command(flatten)]
    http: HttpArgs,
    #[command(flatten)]
    limits: super::limits::LimitArgs,
}

/// The limits on connections (see `mizan_server::Config`).
#[derive(Debug, Args)]
struct HttpArgs {
    /// Seconds a client has to send a request's headers; a kept-alive connection idle this
    /// long is closed too.
    #[arg(long, env = "MIZAN_HEADER_TIMEOUT", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
    header_timeout: u64,
    /// Longest wait, in seconds, for the next part of a request body.
    #[arg(long, env = "MIZAN_BODY_IDLE_TIMEOUT", default_value_t = 15, value_parser = clap::value_parser!(u64).range(1..=3600))]
    body_idle_timeout: u64,
    /// Seconds a client has to send a whole request body.
    #[arg(long, env = "MIZAN_BODY_TIMEOUT", default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..=86400))]
    body_timeout: u64,
    /// Connections served at once; more wait until one closes.
    #[arg(long, env = "MIZAN_MAX_CONNECTIONS", default_value_t = 1024, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    max_connections: u64,
}

impl HttpArgs {
    fn config(&self, secure_cookies: bool) -> mizan_server::Config {
        let secs = std::time::Duration::from_secs;
        mizan_server::Config {
            secure_cookies,
            header_timeout: secs(self.header_timeout),
            body_idle_timeout: secs(self.body_idle_timeout),
            body_timeout: secs(self.body_timeout),
            max_connections: usize::try_from(self.max_connections).unwrap_or(usize::MAX),
        }
    }
}

/// Runs `mizan serve`.
pub fn run(args: ServeArgs) -> Result<()> {
    runtime()?.block_on(async move {
        let store = args.db.open().await?;
        if args.demo {
            let seeded = mizan_app::demo::seed(&store).await.context("cannot seed demo data")?;
            let n = mizan_app::demo::count(&store).await?;
            eprintln!(
                "demo data: {n} AI systems ({})",
                if seeded { "just seeded" } else { "already present" }
            );
            eprintln!("demo sign-ins (demo data only, never use these passwords for real accounts):");
            for u in mizan_app::demo::USERS {
                eprintln!("  {:<32} {:<18} {} ({})", u.email, u.password, u.role, u.org);
            }
        }
        let base_url = args.base_url.clone().unwrap_or_else(|| format!("http://{}", args.listen));
        let base_url = base_url.trim_end_matches('/').to_owned();
        let storage = ledger_storage(args.ledger_store.as_deref())?;
        let logs = mizan_app::logs::Logs::open_in_storage(&args.db.data_dir, &base_url, &storage)
            .context("cannot open the decision ledger")?;
        eprintln!("decision log {} (verifier key {})", logs.decisions().origin(), logs.decisions().vkey());
        let mut config = mizan_app::PlatformConfig::new(base_url.clone(), args.db.data_dir.clone());
        config.limits = args.limits.limits();
        config.dataset_storage = match (&args.dataset_store, &storage) {
            (Some(url), _) => Some(object_storage(url, "dataset store")?),
            (None, mizan_app::logs::LedgerStorage::Object(s)) => Some(s.clone()),
            (None, mizan_app::logs::LedgerStorage::Files) => None,
        };
        if let Some(s) = &config.dataset_storage {
            eprintln!("data repository files stored in {}/datasets", s.url());
        }
        config.mail.smtp_url.clone_from(&args.smtp_url);
        config.mail.from.clone_from(&args.smtp_from);
        let notifier =
            mizan_notify::Notifier::new(config.mail.clone()).context("cannot use the mail settings")?;
        eprintln!("appeal messages go to the {}", notifier.describe());
        let platform = mizan_app::Platform::new(store.clone(), config, logs);
        let indexed = platform
            .open_search()
            .await
            .map_err(|e| anyhow::anyhow!("cannot open the dataset search index: {e}"))?;
        tracing::info!(datasets = indexed, "dataset search index ready");
        if args.slurm {
            let slurm = mizan_app::grid::Slurm { bin_dir: args.slurm_bin.clone(), conf: None };
            tokio::spawn(platform.clone().run_grid_tasks(slurm));
            eprintln!("compute grid: allocations are synced to Slurm and usage imported from sacct");
        }
        let state = mizan_server::AppState::new(platform, args.http.config(args.secure_cookies));
        if let Some(path) = &args.witness_policy {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read witness policy `{}`", path.display()))?;
            state
                .app
                .logs()
                .start_witnessing(&text)
                .map_err(|e| anyhow::anyhow!("witness policy `{}`: {e}", path.display()))?;
            eprintln!("decision log witnessed under `{}`", path.display());
        }
        if args.demo {
            let logged = mizan_app::demo::seed_decisions_count(&state.app, 3000)
                .await
                .map_err(|e| anyhow::anyhow!("cannot log demo decisions: {e:?}"))?;
            if logged > 0 {
                eprintln!(
                    "demo data: {logged} decisions logged in {}",
                    state.app.logs().decisions().origin()
                );
            }
            for (reference, output) in mizan_app::demo::sample_receipts(&state.app).await.unwrap_or_default()
            {
                eprintln!("demo receipt ({output}), explained: {base_url}/receipt/{reference}");
            }
            let filed = mizan_app::demo::seed_appeals(&state.app)
                .await
                .map_err(|e| anyhow::anyhow!("cannot file demo appeals: {e:?}"))?;
            if filed > 0 {
                eprintln!("demo data: {filed} appeals filed");
            }
            for a in mizan_app::demo::APPEALS {
                eprintln!("demo appeal ({}): {base_url}/appeals/{}?token={}", a.what, a.reference, a.token);
            }
            let published = mizan_app::demo::seed_datasets(&state.app)
                .await
                .map_err(|e| anyhow::anyhow!("cannot publish demo datasets: {e:?}"))?;
            if published > 0 {
                eprintln!("demo data: {published} datasets published: {base_url}/datasets");
            }
            let asked = mizan_app::demo::seed_data_access(&state.app)
                .await
                .map_err(|e| anyhow::anyhow!("cannot file demo access requests: {e:?}"))?;
            if asked > 0 {
                eprintln!("demo data: {asked} dataset access requests filed: {base_url}/app/data-access");
            }
            let queries = mizan_app::demo::seed_sandbox(&state.app)
                .await
                .map_err(|e| anyhow::anyhow!("cannot open the demo sandbox: {e:?}"))?;
            if queries > 0 {
                eprintln!(
                    "demo data: sandbox project with {queries} private queries: {base_url}/app/sandbox/{}",
                    mizan_app::demo::SANDBOX_PROJECT
                );
            }
            let requests = mizan_app::demo::seed_grid(&state.app)
                .await
                .map_err(|e| anyhow::anyhow!("cannot seed the demo compute grid: {e:?}"))?;
            if requests > 0 {
                eprintln!("demo data: {requests} compute grid requests filed: {base_url}/grid");
            }
            let held = mizan_app::demo::seed_oversight(&state.app)
                .await
                .map_err(|e| anyhow::anyhow!("cannot seed demo oversight: {e:?}"))?;
            if held > 0 {
                eprintln!("demo data: {held} decisions held for a person's review: {base_url}/app/oversight");
            }
        }
        let listener = tokio::net::TcpListener::bind(args.listen).await.with_context(|| {
            format!(
                "cannot listen on `{}` (is another program using it? try --listen 127.0.0.1:8081)",
                args.listen
            )
        })?;
        eprintln!("Mizan is running at {base_url}  (Ctrl-C to stop)");
        mizan_server::serve(listener, state).await.context("server stopped with an error")?;
        store.close().await;
        Ok(())
    })
}

/// The ledger's storage for `--ledger-store`. S3 settings come from the `AWS_*` environment
/// variables, read here as `AmazonS3Builder::from_env` would read them.
fn ledger_storage(url: Option<&str>) -> Result<mizan_app::logs::LedgerStorage> {
    let Some(url) = url else { return Ok(mizan_app::logs::LedgerStorage::Files) };
    let storage = object_storage(url, "ledger store")?;
    eprintln!("decision ledger stored in {}", storage.url());
    Ok(mizan_app::logs::LedgerStorage::Object(storage))
}

/// Object storage at `url` (`what` names it in errors), with S3 settings from the `AWS_*`
/// environment variables.
fn object_storage(url: &str, what: &str) -> Result<std::sync::Arc<mizan_ledger_object::ObjectStorage>> {
    let aws = std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .filter(|(k, _)| k.starts_with("AWS_"));
    mizan_ledger_object::ObjectStorage::connect(url, aws)
        .with_context(|| format!("cannot open {what} `{url}`"))
}

/// Arguments of `mizan migrate`.
#[derive(Debug, Args)]
pub struct MigrateArgs {
    #[command(flatten)]
    db: DbArgs,
}

/// Runs `mizan migrate`.
pub fn migrate(args: MigrateArgs) -> Result<()> {
    runtime()?.block_on(async move {
        let store = args.db.open().await?;
        store.close().await;
        eprintln!("database schema is up to date");
        Ok(())
    })
}

/// The async runtime for commands that need one.
pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start the async runtime")
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        serve: super::ServeArgs,
    }

    /// The flags' defaults are the libraries' defaults, so the README's one table is true for
    /// both; and a flag reaches the setting it names.
    #[test]
    fn flag_defaults_are_the_library_defaults() {
        let cli = Cli::try_parse_from(["serve"]).unwrap();
        let config = cli.serve.http.config(false);
        let d = mizan_server::Config::default();
        assert_eq!(
            (config.header_timeout, config.body_idle_timeout, config.body_timeout, config.max_connections),
            (d.header_timeout, d.body_idle_timeout, d.body_timeout, d.max_connections)
        );
        assert_eq!(cli.serve.limits.limits(), mizan_app::limits::Limits::default());
        let cli = Cli::try_parse_from(["serve", "--header-timeout", "3", "--max-connections", "7"]).unwrap();
        let config = cli.serve.http.config(true);
        assert_eq!(config.header_timeout, std::time::Duration::from_secs(3));
        assert_eq!(config.max_connections, 7);
        assert!(config.secure_cookies);
        assert!(
            Cli::try_parse_from(["serve", "--header-timeout", "0"]).is_err(),
            "a zero timeout is refused"
        );
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(super::redact("postgres://mizan:secret@db:5432/m"), "postgres://mizan:***@db:5432/m");
        assert_eq!(super::redact("sqlite://x.db"), "sqlite://x.db");
    }
}
