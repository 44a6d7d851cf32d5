//! The server's integration suites in one test binary (one link instead of nine on a 2-core
//! machine), each module a suite over the real router on a fresh database: SQLite, or
//! PostgreSQL when `MIZAN_TEST_DATABASE_URL` is set (see `mizan-test`).
//!
//! `scripts/test` runs them all on SQLite, then the database suites again on PostgreSQL by
//! module name (`api::`, `pages::`, ...); `postgres` is built only with `--features
//! postgres-tests`.

mod common;

mod api;
mod appeals;
mod audits;
mod browser;
mod browser_explain;
mod data_access;
mod datasets_api;
mod datasets_pages;
mod datasets_steward;
mod decisions;
mod explain;
mod grid;
mod hardening;
mod intake;
mod ledger_object;
mod oversight;
mod pages;
#[cfg(feature = "postgres-tests")]
mod postgres;
mod sandbox;
mod weight;
