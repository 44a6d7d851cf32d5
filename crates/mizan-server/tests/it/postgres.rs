//! PostgreSQL-only guarantees: row-level security fences a transaction to one organisation even
//! when a query forgets its `org_id` filter. Built only with `--features postgres-tests`, which
//! `scripts/test` passes in its PostgreSQL step; it fails if no PostgreSQL is configured.

use crate::common::TestApp;
use sqlx::{Connection, Row};

/// The demo app on PostgreSQL (these tests mean nothing on SQLite, so they refuse to pass
/// there) and a connection as the database owner, for setting up roles and policies.
async fn postgres_app() -> (TestApp, sqlx::PgConnection) {
    assert_eq!(
        mizan_test::TestDb::backend_name(),
        "postgres",
        "set MIZAN_TEST_DATABASE_URL to run this test"
    );
    let app = TestApp::start(true).await;
    let conn = sqlx::PgConnection::connect(&app.db.url).await.unwrap();
    (app, conn)
}

/// A fresh role without login holding `privileges` on every table: superusers bypass row-level
/// security, so the tests act as an ordinary role, as production should.
async fn ordinary_role(conn: &mut sqlx::PgConnection, privileges: &str) -> String {
    let role = format!("mizan_probe_{:08x}", rand::random::<u32>());
    for sql in [
        format!("CREATE ROLE {role} NOLOGIN"),
        format!("GRANT {privileges} ON ALL TABLES IN SCHEMA public TO {role}"),
        format!("GRANT EXECUTE ON FUNCTION mizan_fenced_org() TO {role}"),
    ] {
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&mut *conn).await.unwrap();
    }
    role
}

#[tokio::test]
async fn row_level_security_fences_each_organisation() {
    let (app, mut conn) = postgres_app().await;
    let bank = app.store.org_by_slug("demo-indus-bank").await.unwrap().id;
    let health = app.store.org_by_slug("demo-rahbar-health").await.unwrap().id;
    let role = ordinary_role(&mut conn, "SELECT, INSERT, UPDATE").await;
    let mut tx = conn.begin().await.unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("SET LOCAL ROLE {role}"))).execute(&mut *tx).await.unwrap();
    let all: i64 =
        sqlx::query("SELECT COUNT(*) AS n FROM systems").fetch_one(&mut *tx).await.unwrap().get("n");
    sqlx::query("SELECT set_config('mizan.org_id', $1, true)")
        .bind(bank.to_string())
        .execute(&mut *tx)
        .await
        .unwrap();
    let visible: i64 =
        sqlx::query("SELECT COUNT(*) AS n FROM systems").fetch_one(&mut *tx).await.unwrap().get("n");
    let others: i64 = sqlx::query("SELECT COUNT(*) AS n FROM systems WHERE org_id = $1")
        .bind(health)
        .fetch_one(&mut *tx)
        .await
        .unwrap()
        .get("n");
    let events: i64 = sqlx::query(
        "SELECT COUNT(*) AS n FROM system_events e JOIN systems s ON s.id = e.system_id WHERE s.org_id = $1",
    )
    .bind(health)
    .fetch_one(&mut *tx)
    .await
    .unwrap()
    .get("n");
    let updated = sqlx::query("UPDATE systems SET updated_at = updated_at WHERE org_id = $1")
        .bind(health)
        .execute(&mut *tx)
        .await
        .unwrap();
    assert!(
        all > visible && visible > 0,
        "unfenced sees all ({all}); fenced sees only the bank's ({visible})"
    );
    assert_eq!(others, 0, "another organisation's systems are invisible");
    assert_eq!(events, 0, "and so are their events");
    assert_eq!(updated.rows_affected(), 0, "and they cannot be changed");
    let insert = sqlx::query(
        "INSERT INTO systems (public_id, org_id, status, draft_json, created_at, updated_at) VALUES ('probe001', $1, 'draft', '{}', '', '')",
    )
    .bind(health)
    .execute(&mut *tx)
    .await;
    let refused = insert.expect_err("nor can rows be written for another organisation").to_string();
    assert!(refused.contains("row-level security"), "refused by the fence, not by chance: {refused}");
    tx.rollback().await.unwrap();
    for sql in [format!("DROP OWNED BY {role}"), format!("DROP ROLE {role}")] {
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&mut conn).await.unwrap();
    }
}

/// Audits are fenced like every tenant table: inside another organisation's fence the demo
/// bank's stored audit is invisible and cannot be written, and no one may change it.
#[tokio::test]
async fn row_level_security_fences_audits() {
    let (app, mut conn) = postgres_app().await;
    let bank = app.store.org_by_slug("demo-indus-bank").await.unwrap().id;
    let health = app.store.org_by_slug("demo-rahbar-health").await.unwrap().id;
    let role = ordinary_role(&mut conn, "SELECT, INSERT, UPDATE, DELETE").await;
    let count = |org: i64| {
        format!(
            "SELECT COUNT(*) AS n FROM audits a JOIN systems s ON s.id = a.system_id WHERE s.org_id = {org}"
        )
    };
    let bank_system: i64 = sqlx::query("SELECT id FROM systems WHERE org_id = $1 ORDER BY id LIMIT 1")
        .bind(bank)
        .fetch_one(&mut conn)
        .await
        .unwrap()
        .get("id");
    let mut tx = conn.begin().await.unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("SET LOCAL ROLE {role}"))).execute(&mut *tx).await.unwrap();
    let unfenced: i64 =
        sqlx::query(sqlx::AssertSqlSafe(count(bank))).fetch_one(&mut *tx).await.unwrap().get("n");
    sqlx::query("SELECT set_config('mizan.org_id', $1, true)")
        .bind(health.to_string())
        .execute(&mut *tx)
        .await
        .unwrap();
    let fenced: i64 =
        sqlx::query(sqlx::AssertSqlSafe(count(bank))).fetch_one(&mut *tx).await.unwrap().get("n");
    assert!(unfenced > 0, "the demo bank has a stored audit");
    assert_eq!(fenced, 0, "another organisation's audits are invisible inside its fence");
    // A write for the bank's system, its id given outright (selecting it inside the fence would
    // find nothing and so insert nothing, proving nothing): the policy refuses the row.
    let copied = sqlx::query(
        "INSERT INTO audits (public_id, system_id, version, run_by_name, run_by_org_id, run_by_role, source, \
         file_name, file_sha256, file_size, rows_audited, preset, parameters_json, report_json, report_html, \
         summary_json, created_at) \
         VALUES ('probe00001', $2, 1, 'probe', $1, 'provider', 'upload', 'x', 'x', 1, 1, '', '{}', '{}', '', '{}', '')",
    )
    .bind(health)
    .bind(bank_system)
    .execute(&mut *tx)
    .await;
    let refused = copied.expect_err("nor written for it").to_string();
    assert!(refused.contains("row-level security"), "refused by the fence, not by chance: {refused}");
    tx.rollback().await.unwrap();
    let rewrite = sqlx::query("DELETE FROM audits").execute(&mut conn).await;
    assert!(rewrite.is_err(), "audits are append-only");
    for sql in [format!("DROP OWNED BY {role}"), format!("DROP ROLE {role}")] {
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&mut conn).await.unwrap();
    }
}

/// The store's tenant-scoped calls really run inside the organisation's fence. The store connects
/// as an ordinary role (superusers bypass row-level security) for which an extra, restrictive
/// policy hides and refuses every tenant row unless `mizan.org_id` is set. A call that queried
/// the pool directly, outside `begin_scoped_read` / `begin_scoped_write`, would see nothing and
/// could write nothing, even though its SQL filters by `org_id`.
#[tokio::test]
async fn scoped_store_calls_set_the_fence() {
    let (app, mut conn) = postgres_app().await;
    let bank = app.store.org_by_slug("demo-indus-bank").await.unwrap().id;
    let scope = mizan_store::OrgScope::new(bank);
    let role = format!("mizan_probe_{:08x}", rand::random::<u32>());
    let tables =
        ["api_tokens", "error_reports", "systems", "system_versions", "system_events", "intake_stops"];
    let mut setup = vec![
        format!("CREATE ROLE {role} LOGIN PASSWORD '{role}'"),
        format!("GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA public TO {role}"),
        format!("GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {role}"),
        format!("GRANT EXECUTE ON FUNCTION mizan_fenced_org() TO {role}"),
    ];
    for t in tables {
        setup.push(format!(
            "CREATE POLICY probe_needs_fence ON {t} AS RESTRICTIVE TO {role} \
             USING (mizan_fenced_org() IS NOT NULL) WITH CHECK (mizan_fenced_org() IS NOT NULL)"
        ));
    }
    for sql in setup {
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&mut conn).await.unwrap();
    }

    // Rows to find, made through the ordinary (superuser) store.
    let token = app
        .store
        .create_token(
            scope,
            None,
            "probe",
            &["systems:read".into()],
            time::OffsetDateTime::now_utc() + time::Duration::days(1),
        )
        .await
        .unwrap();
    let mut reference = None;
    let mut public_id = None;
    for s in app.store.org_systems(scope).await.unwrap() {
        if let Ok(r) =
            app.store.file_report(&s.public_id, "name_en", "probe report", "probe@example.pk").await
        {
            reference = Some(r);
            public_id = Some(s.public_id);
            break;
        }
    }
    let reference = reference.expect("the demo bank has a public system to report against");
    let public_id = public_id.unwrap();
    let expected = app.store.org_system(scope, &public_id).await.unwrap();
    assert!(!expected.versions.is_empty() && !expected.events.is_empty(), "a registered system has history");

    let (scheme, rest) = app.db.url.split_once("://").unwrap();
    let host = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
    let probe_url = format!("{scheme}://{role}:{role}@{host}");

    // The probe policy bites: unfenced, the probe role sees none of these rows.
    let mut probe_conn = sqlx::PgConnection::connect(&probe_url).await.unwrap();
    for t in tables {
        let n: i64 = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) AS n FROM {t}")))
            .fetch_one(&mut probe_conn)
            .await
            .unwrap()
            .get("n");
        assert_eq!(n, 0, "unfenced, the probe role sees no {t}");
    }
    probe_conn.close().await.unwrap();

    let probe = mizan_store::Store::connect(&probe_url).await.unwrap();
    let listed = probe.tokens(scope).await.unwrap();
    assert!(listed.iter().any(|t| t.id == token.id), "tokens() reads inside the fence");
    let made = probe
        .create_token(
            scope,
            None,
            "fenced",
            &["systems:read".into()],
            time::OffsetDateTime::now_utc() + time::Duration::days(1),
        )
        .await
        .expect("create_token writes inside the fence");
    probe.revoke_token(scope, made.id).await.expect("revoke_token writes inside the fence");
    probe.revoke_token(scope, token.id).await.expect("and finds the organisation's token");
    let after = probe.tokens(scope).await.unwrap();
    assert!(
        after.iter().filter(|t| t.id == token.id || t.id == made.id).all(|t| t.revoked_at.is_some()),
        "both tokens revoked"
    );
    probe
        .respond_report(scope, &reference, mizan_store::ReportStatus::Resolved, "fixed")
        .await
        .expect("respond_report writes inside the fence");
    let answered = app.store.report_by_reference(&reference).await.unwrap();
    assert_eq!(answered.response, "fixed");
    let view = probe.org_system(scope, &public_id).await.expect("org_system reads inside the fence");
    assert_eq!(view.summary.public_id, public_id);
    assert_eq!(view.versions.len(), expected.versions.len(), "versions read inside the fence");
    assert_eq!(view.events.len(), expected.events.len(), "events read inside the fence");
    // The stop control writes inside the fence, and the decision intake reads the stop there:
    // outside it the probe role would see no stop, and the system would look open.
    let loans = app
        .store
        .org_systems(scope)
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.name_en == "Personal loan credit scoring")
        .expect("the demo loan system");
    let actor = mizan_store::ActorRef { user_id: None, name: "probe".into() };
    let by = mizan_store::IntakeControl::Provider(scope);
    probe.decision_target(scope, &loans.public_id, 0).await.expect("a registered system may log");
    probe
        .stop_intake(by, &loans.public_id, &actor, "probe")
        .await
        .expect("stop_intake writes inside the fence");
    let refused = probe.decision_target(scope, &loans.public_id, 0).await.unwrap_err().to_string();
    assert!(refused.contains("stopped by the provider"), "the stop is read inside the fence: {refused}");
    probe
        .resume_intake(by, &loans.public_id, &actor, "")
        .await
        .expect("resume_intake writes inside the fence");
    probe.decision_target(scope, &loans.public_id, 0).await.expect("open again");
    drop(probe);

    let mut teardown: Vec<String> =
        tables.iter().map(|t| format!("DROP POLICY probe_needs_fence ON {t}")).collect();
    teardown.push(format!("DROP OWNED BY {role}"));
    teardown.push(format!("DROP ROLE {role}"));
    for sql in teardown {
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&mut conn).await.unwrap();
    }
}

/// The append-only history cannot be emptied wholesale either: TRUNCATE, which skips row
/// triggers, is refused by a statement trigger on both tables.
#[tokio::test]
async fn history_tables_refuse_truncate() {
    // The app holds the database these tables are in.
    let (app, mut conn) = postgres_app().await;
    // Its events-log follower records leaves in `event_leaves`, which references
    // `system_events`: an insert there locks the two tables in the opposite order to
    // `TRUNCATE … CASCADE`, and PostgreSQL would end the race as a deadlock before the trigger
    // had a say. Wait until it has logged the demo's events; after that it only reads.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !app.store.unlogged_events(1).await.unwrap().is_empty() {
        assert!(std::time::Instant::now() < deadline, "the events log caught up within 30 s");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    for table in ["system_events", "system_versions"] {
        let count = format!("SELECT COUNT(*) AS n FROM {table}");
        let before: i64 =
            sqlx::query(sqlx::AssertSqlSafe(count.clone())).fetch_one(&mut conn).await.unwrap().get("n");
        assert!(before > 0, "the demo fills {table}");
        let res =
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!("TRUNCATE {table} CASCADE"))).execute(&mut conn).await;
        let err = res.expect_err("TRUNCATE must be refused").to_string();
        assert!(err.contains(&format!("{table} is append-only")), "refused by the trigger: {err}");
        let after: i64 = sqlx::query(sqlx::AssertSqlSafe(count)).fetch_one(&mut conn).await.unwrap().get("n");
        assert_eq!(after, before, "{table} kept every row");
    }
}

/// The stop history is fenced like every tenant table and append-only: inside another
/// organisation's fence the bank's stops are invisible and cannot be written, and no one may
/// change, delete or truncate them.
#[tokio::test]
async fn row_level_security_fences_intake_stops() {
    let (app, mut conn) = postgres_app().await;
    let bank = app.store.org_by_slug("demo-indus-bank").await.unwrap().id;
    let health = app.store.org_by_slug("demo-rahbar-health").await.unwrap().id;
    let scope = mizan_store::OrgScope::new(bank);
    let loans = app
        .store
        .org_systems(scope)
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.name_en == "Personal loan credit scoring")
        .expect("the demo loan system");
    let actor = mizan_store::ActorRef { user_id: None, name: "probe".into() };
    app.store
        .stop_intake(mizan_store::IntakeControl::Provider(scope), &loans.public_id, &actor, "probe")
        .await
        .unwrap();
    let role = ordinary_role(&mut conn, "SELECT, INSERT, UPDATE, DELETE").await;
    let count = format!(
        "SELECT COUNT(*) AS n FROM intake_stops i JOIN systems s ON s.id = i.system_id WHERE s.org_id = {bank}"
    );
    let mut tx = conn.begin().await.unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("SET LOCAL ROLE {role}"))).execute(&mut *tx).await.unwrap();
    let unfenced: i64 =
        sqlx::query(sqlx::AssertSqlSafe(count.clone())).fetch_one(&mut *tx).await.unwrap().get("n");
    sqlx::query("SELECT set_config('mizan.org_id', $1, true)")
        .bind(health.to_string())
        .execute(&mut *tx)
        .await
        .unwrap();
    let fenced: i64 = sqlx::query(sqlx::AssertSqlSafe(count)).fetch_one(&mut *tx).await.unwrap().get("n");
    assert_eq!(unfenced, 1, "the bank's stop");
    assert_eq!(fenced, 0, "another organisation's stops are invisible inside its fence");
    let written = sqlx::query(
        "INSERT INTO intake_stops (system_id, seq, action, by_role, actor_name, reason, at) \
         SELECT s.id, 99, 'resume', 'provider', 'probe', '', '' FROM systems s WHERE s.org_id = $1 LIMIT 1",
    )
    .bind(bank)
    .execute(&mut *tx)
    .await;
    assert!(written.is_err() || written.unwrap().rows_affected() == 0, "nor written for it");
    tx.rollback().await.unwrap();
    for sql in ["UPDATE intake_stops SET reason = 'x'", "DELETE FROM intake_stops", "TRUNCATE intake_stops"] {
        let err =
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&mut conn).await.expect_err(sql).to_string();
        assert!(err.contains("intake_stops is append-only"), "{sql}: {err}");
    }
    for sql in [format!("DROP OWNED BY {role}"), format!("DROP ROLE {role}")] {
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&mut conn).await.unwrap();
    }
}
