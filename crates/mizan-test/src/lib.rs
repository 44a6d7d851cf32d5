//! Test support: [`TestApp`] runs the real router on a real database, fresh for each test.
//!
//! The backend comes from the environment so one suite runs on both databases:
//! `MIZAN_TEST_DATABASE_URL=postgres://user@host:port/postgres` makes every test create its own
//! PostgreSQL database; without it each test gets a SQLite file in a temporary directory.
//! `MIZAN_TEST_REQUIRE_POSTGRES=1` (set by CI) turns a missing URL into a failure instead of a
//! silent fall-back, so a broken CI setup cannot pass by testing only SQLite.
#![warn(missing_docs)]
#![allow(clippy::missing_panics_doc, reason = "test support: a failed setup should stop the test")]

use std::net::SocketAddr;

use mizan_server::{AppState, Config};
use mizan_store::Store;

/// Says once per test binary, on stderr past the test harness's capture (which only takes
/// `print!` and `eprint!`), that its database tests ran on SQLite alone, so a run without
/// PostgreSQL is never mistaken for one with it.
fn say_postgres_skipped() {
    use std::io::Write as _;
    static SAID: std::sync::Once = std::sync::Once::new();
    SAID.call_once(|| {
        let _ = writeln!(
            std::io::stderr(),
            "note: MIZAN_TEST_DATABASE_URL is not set, so these database tests ran on SQLite only \
             and their PostgreSQL runs were skipped (scripts/test runs them on a throwaway PostgreSQL)"
        );
    });
}

/// A fresh, migrated database that lives as long as this value.
pub struct TestDb {
    /// Connection URL.
    pub url: String,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    /// Makes a fresh database on the configured backend.
    pub async fn new() -> TestDb {
        match std::env::var("MIZAN_TEST_DATABASE_URL") {
            Ok(admin) if !admin.is_empty() => {
                use sqlx::Connection;
                let name = format!("mizan_test_{:016x}", rand::random::<u64>());
                let mut conn = sqlx::PgConnection::connect(&admin).await.expect("connect to test PostgreSQL");
                sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&mut conn)
                    .await
                    .expect("create test database");
                let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
                TestDb { url: format!("{base}/{name}"), _dir: None }
            }
            _ => {
                assert!(
                    std::env::var("MIZAN_TEST_REQUIRE_POSTGRES").is_err(),
                    "MIZAN_TEST_REQUIRE_POSTGRES is set but MIZAN_TEST_DATABASE_URL is not"
                );
                say_postgres_skipped();
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}", dir.path().join("mizan.db").display());
                TestDb { url, _dir: Some(dir) }
            }
        }
    }

    /// Which backend tests run on, for messages.
    #[must_use]
    pub fn backend_name() -> &'static str {
        if std::env::var("MIZAN_TEST_DATABASE_URL").is_ok_and(|u| !u.is_empty()) {
            "postgres"
        } else {
            "sqlite"
        }
    }

    /// A migrated store on this database.
    pub async fn store(&self) -> Store {
        let store = Store::connect(&self.url).await.expect("connect");
        store.migrate().await.expect("migrate");
        store
    }
}

/// A running Mizan server on 127.0.0.1 with its own database.
pub struct TestApp {
    /// Base URL, e.g. `http://127.0.0.1:41234`.
    pub base: String,
    /// Listening address.
    pub addr: SocketAddr,
    /// Direct store access for setup and assertions.
    pub store: Store,
    /// The database (kept alive).
    pub db: TestDb,
    /// The data directory (the decision ledger lives under it), removed on drop.
    pub data_dir: tempfile::TempDir,
    /// The running platform the server calls (its logs, to configure witnesses in a test).
    pub platform: mizan_app::Platform,
    /// The running decision and events logs.
    pub logs: std::sync::Arc<mizan_app::logs::Logs>,
}

impl TestApp {
    /// Starts a server on a fresh database, optionally with the demo data.
    pub async fn start(with_demo: bool) -> TestApp {
        Self::start_with_ledger(with_demo, &mizan_app::logs::LedgerStorage::Files).await
    }

    /// [`TestApp::start`] with the decision ledger in `storage` (object storage) rather than in
    /// files under the data directory.
    pub async fn start_with_ledger(with_demo: bool, storage: &mizan_app::logs::LedgerStorage) -> TestApp {
        Self::start_full(
            with_demo,
            storage,
            Config::default(),
            None,
            mizan_app::limits::Limits::default(),
            None,
        )
        .await
    }

    /// [`TestApp::start`] sending appeal messages through the SMTP server at `smtp_url`.
    pub async fn start_with_smtp(with_demo: bool, smtp_url: &str) -> TestApp {
        let files = &mizan_app::logs::LedgerStorage::Files;
        let limits = mizan_app::limits::Limits::default();
        Self::start_full(with_demo, files, Config::default(), None, limits, Some(smtp_url.to_owned())).await
    }

    /// [`TestApp::start`] with the server's connection limits in `config`, and throttling
    /// reading time from `clock` when given.
    pub async fn start_configured(
        with_demo: bool,
        config: Config,
        clock: Option<std::sync::Arc<dyn mizan_app::throttle::Clock>>,
    ) -> TestApp {
        let files = &mizan_app::logs::LedgerStorage::Files;
        Self::start_full(with_demo, files, config, clock, mizan_app::limits::Limits::default(), None).await
    }

    /// [`TestApp::start`] with other limits on the work a request may cause.
    pub async fn start_with_limits(with_demo: bool, limits: mizan_app::limits::Limits) -> TestApp {
        Self::start_full(
            with_demo,
            &mizan_app::logs::LedgerStorage::Files,
            Config::default(),
            None,
            limits,
            None,
        )
        .await
    }

    async fn start_full(
        with_demo: bool,
        storage: &mizan_app::logs::LedgerStorage,
        config: Config,
        clock: Option<std::sync::Arc<dyn mizan_app::throttle::Clock>>,
        limits: mizan_app::limits::Limits,
        smtp_url: Option<String>,
    ) -> TestApp {
        let db = TestDb::new().await;
        let store = db.store().await;
        if with_demo {
            mizan_app::demo::seed(&store).await.expect("seed demo");
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let base = format!("http://{addr}");
        let data_dir = tempfile::tempdir().expect("data dir");
        let logs = mizan_app::logs::Logs::open_in_storage(data_dir.path(), &base, storage).expect("logs");
        let mut platform_config = mizan_app::PlatformConfig::new(base.clone(), data_dir.path());
        platform_config.limits = limits;
        platform_config.mail.smtp_url = smtp_url;
        // As `mizan serve` does: the data repository's files go where the ledger goes.
        if let mizan_app::logs::LedgerStorage::Object(s) = storage {
            platform_config.dataset_storage = Some(s.clone());
        }
        if let Some(clock) = clock {
            platform_config.clock = clock;
        }
        let platform = mizan_app::Platform::new(store.clone(), platform_config, logs);
        let state = AppState::new(platform, config);
        if with_demo {
            mizan_app::demo::seed_decisions(&state.app).await.expect("demo decisions");
        }
        let platform = state.app.clone();
        let logs = std::sync::Arc::clone(platform.logs());
        tokio::spawn(async move {
            let _ = axum_serve(listener, state).await;
        });
        TestApp { base, addr, store, db, data_dir, platform, logs }
    }

    /// A client that keeps cookies and does not follow redirects (tests look at them).
    #[must_use]
    pub fn client(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client")
    }

    /// URL of a path.
    #[must_use]
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

async fn axum_serve(listener: tokio::net::TcpListener, state: AppState) -> std::io::Result<()> {
    mizan_server::serve(listener, state).await
}
