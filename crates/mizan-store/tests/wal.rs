//! SQLite's write-ahead log is copied back into the database by the background checkpoints a
//! server runs, not only by the commit that crosses `wal_autocheckpoint`.

use std::time::Duration;

use mizan_store::{OrgKind, Store};

/// Bytes of the main database file and of its write-ahead log.
fn sizes(dir: &std::path::Path) -> (u64, u64) {
    let len = |name: &str| std::fs::metadata(dir.join(name)).map_or(0, |m| m.len());
    (len("mizan.db"), len("mizan.db-wal"))
}

async fn write_orgs(store: &Store, prefix: &str) {
    for i in 0..300 {
        let name = format!("{prefix} organisation {i} {}", "x".repeat(400));
        store.create_org(&format!("{prefix}-{i}"), &name, OrgKind::Provider).await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn background_checkpoints_copy_the_log_into_the_database() {
    // Without the task, 300 commits stay in the log (far below the autocheckpoint limit).
    let quiet = tempfile::tempdir().unwrap();
    let store =
        Store::connect(&format!("sqlite://{}", quiet.path().join("mizan.db").display())).await.unwrap();
    store.migrate().await.unwrap();
    let (db_before, _) = sizes(quiet.path());
    write_orgs(&store, "quiet").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (db_after, wal) = sizes(quiet.path());
    assert_eq!(db_after, db_before, "nothing checkpointed without the task");
    assert!(wal > 0);

    // With it, the database file takes the new pages within a few intervals.
    let busy = tempfile::tempdir().unwrap();
    let store =
        Store::connect(&format!("sqlite://{}", busy.path().join("mizan.db").display())).await.unwrap();
    store.migrate().await.unwrap();
    let task = store.spawn_wal_checkpoints(Duration::from_millis(20)).expect("SQLite runs checkpoints");
    let (db_before, _) = sizes(busy.path());
    write_orgs(&store, "busy").await;
    let mut grown = false;
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(20)).await;
        if sizes(busy.path()).0 > db_before + 100 * 1024 {
            grown = true;
            break;
        }
    }
    assert!(grown, "the database file took the checkpointed pages: {:?}", sizes(busy.path()));
    task.abort();
}
