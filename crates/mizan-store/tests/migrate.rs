//! Upgrading a database in use: migration 0023 rebuilds SQLite's `system_events` (to let events
//! be about subjects other than AI systems), which must keep every event, its id, and every row
//! that points at it (events-log leaves, case entries), with foreign keys whole and the
//! append-only triggers back in place.

use mizan_store::{ActorRef, OrgKind, OrgScope, Store};
use sqlx::Row;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool};

#[tokio::test]
async fn the_event_rebuild_keeps_every_event_and_what_points_at_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mizan.db");
    // The schema as it was before migration 0023.
    let options = SqliteConnectOptions::new().filename(&path).create_if_missing(true).foreign_keys(true);
    let pool = SqlitePool::connect_with(options.clone()).await.unwrap();
    let mut before = sqlx::migrate!("./migrations/sqlite");
    let all = before.migrations.len();
    before.migrations =
        before.migrations.iter().filter(|m| m.version < 23).cloned().collect::<Vec<_>>().into();
    assert!(before.migrations.len() < all, "migration 0023 exists");
    before.run(&pool).await.unwrap();
    pool.close().await;

    // A system with its events, one of them recorded in the events log, written by the store.
    let store = Store::connect(&format!("sqlite://{}", path.display())).await.unwrap();
    let org = store.create_org("upgrade-org", "Upgrade test", OrgKind::Provider).await.unwrap();
    let actor = ActorRef { user_id: None, name: "tester".into() };
    let system = store
        .create_system(OrgScope::new(org.id), &actor, &mizan_register::Record::default(), false)
        .await
        .unwrap();
    let events_before = store.org_system(OrgScope::new(org.id), &system).await.unwrap().events;
    assert!(!events_before.is_empty());
    let first = events_before[0].id;
    store.record_event_leaves("events.test/1", &[(first, 0, "ab".repeat(32))]).await.unwrap();

    store.migrate().await.unwrap();

    let after = store.org_system(OrgScope::new(org.id), &system).await.unwrap().events;
    assert_eq!(
        after.iter().map(|e| (e.id, e.kind.clone(), e.reason.clone())).collect::<Vec<_>>(),
        events_before.iter().map(|e| (e.id, e.kind.clone(), e.reason.clone())).collect::<Vec<_>>(),
        "every event kept, with its id"
    );
    let leaf = store.event_leaf(first).await.unwrap().expect("the leaf still names its event");
    assert_eq!(leaf.event.public_id, system);
    assert_eq!(leaf.leaf_index, 0);

    let pool = SqlitePool::connect_with(options).await.unwrap();
    let broken = sqlx::query("PRAGMA foreign_key_check").fetch_all(&pool).await.unwrap();
    assert!(broken.is_empty(), "{} rows break a foreign key", broken.len());
    let err = sqlx::query("UPDATE system_events SET reason = 'x'").execute(&pool).await.unwrap_err();
    assert!(err.to_string().contains("system_events is append-only"), "{err}");
    let err = sqlx::query("DELETE FROM system_events").execute(&pool).await.unwrap_err();
    assert!(err.to_string().contains("system_events is append-only"), "{err}");
    // An event is about a system or a named subject, never both or neither.
    let err = sqlx::query(
        "INSERT INTO system_events (version, kind, from_status, to_status, actor_name, reason, at) \
         VALUES (1, 'x', '', '', 'x', 'x', 'x')",
    )
    .execute(&pool)
    .await
    .unwrap_err();
    assert!(err.to_string().contains("CHECK constraint failed"), "{err}");
    let fk: i64 = sqlx::query("PRAGMA foreign_keys").fetch_one(&pool).await.unwrap().get(0);
    assert_eq!(fk, 1);
}
