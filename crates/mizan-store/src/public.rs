//! Reading the public register from an in-memory snapshot.
//!
//! The register is read far more than it is written, by people on slow phones and by scripts.
//! Every list, search and facet is answered from an immutable snapshot of `public_register`
//! (sorted, with search text lower-cased once) instead of a scan per request. Writes that change
//! the register invalidate the snapshot in this process; a snapshot older than
//! [`SNAPSHOT_TTL`] is reloaded, which bounds staleness when several server processes share one
//! PostgreSQL database.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use sqlx::Row;

use crate::systems::public_from_row;
use crate::{PublicEntry, PublicPage, PublicQuery, Result, Store, StoreError};

/// How long another process's change can take to show up here.
pub const SNAPSHOT_TTL: Duration = Duration::from_secs(5);

/// An immutable copy of the public register.
#[derive(Debug)]
pub struct Snapshot {
    entries: Vec<PublicEntry>,
    search: Vec<String>,
    sectors: Vec<String>,
    orgs: Vec<(String, String)>,
    /// (row count, newest `updated_at`) when loaded: a cheap check whether the table changed.
    stamp: (i64, String),
    /// When the stamp was last confirmed, in milliseconds since the Unix epoch.
    checked_ms: AtomicU64,
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

impl Snapshot {
    fn is_fresh(&self) -> bool {
        now_ms().saturating_sub(self.checked_ms.load(Ordering::Relaxed))
            < u64::try_from(SNAPSHOT_TTL.as_millis()).unwrap_or(u64::MAX)
    }
}

/// The shared, replaceable snapshot.
#[derive(Debug, Default, Clone)]
pub(crate) struct PublicCache {
    current: Arc<RwLock<Option<Arc<Snapshot>>>>,
    reload: Arc<tokio::sync::Mutex<()>>,
    /// Bumped by every invalidation; a load that started before a bump is not installed.
    generation: Arc<AtomicU64>,
}

impl PublicCache {
    pub(crate) fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        if let Ok(mut guard) = self.current.write() {
            *guard = None;
        }
    }

    fn current(&self) -> Option<Arc<Snapshot>> {
        self.current.read().ok()?.clone()
    }
}

impl Store {
    /// The current snapshot. A snapshot past its TTL is still served while one background task
    /// checks (cheaply) whether the table changed and reloads only if it did, so readers never
    /// wait on a reload unless this process itself changed the register.
    async fn snapshot(&self) -> Result<Arc<Snapshot>> {
        if let Some(s) = self.public_cache.current() {
            if !s.is_fresh()
                && let Ok(guard) = Arc::clone(&self.public_cache.reload).try_lock_owned()
            {
                let store = self.clone();
                tokio::spawn(async move {
                    let _one = guard;
                    if let Err(e) = store.revalidate().await {
                        tracing::warn!(error = %e, "could not refresh the public register snapshot");
                    }
                });
            }
            return Ok(s);
        }
        let _one = self.public_cache.reload.lock().await;
        if let Some(s) = self.public_cache.current() {
            return Ok(s);
        }
        self.load_snapshot().await
    }

    async fn stamp(&self) -> Result<(i64, String)> {
        let row =
            sqlx::query("SELECT COUNT(*) AS n, COALESCE(MAX(updated_at), '') AS latest FROM public_register")
                .fetch_one(&self.pool)
                .await?;
        Ok((row.try_get("n")?, row.try_get("latest")?))
    }

    async fn revalidate(&self) -> Result<()> {
        let stamp = self.stamp().await?;
        match self.public_cache.current() {
            Some(s) if s.stamp == stamp => {
                s.checked_ms.store(now_ms(), Ordering::Relaxed);
            }
            _ => {
                self.load_snapshot().await?;
            }
        }
        Ok(())
    }

    async fn load_snapshot(&self) -> Result<Arc<Snapshot>> {
        let generation = self.public_cache.generation.load(Ordering::SeqCst);
        let stamp = self.stamp().await?;
        let rows = sqlx::query("SELECT * FROM public_register ORDER BY name_en, public_id")
            .fetch_all(&self.pool)
            .await?;
        let entries: Vec<PublicEntry> = rows.iter().map(public_from_row).collect::<Result<_>>()?;
        let search = entries
            .iter()
            .map(|e| format!("{} {}", e.record.search_text(), e.org_name.to_lowercase()))
            .collect();
        let mut sectors: Vec<String> = entries.iter().map(|e| e.sector.clone()).collect();
        sectors.sort();
        sectors.dedup();
        let mut orgs: Vec<(String, String)> =
            entries.iter().map(|e| (e.org_slug.clone(), e.org_name.clone())).collect();
        orgs.sort_by(|a, b| a.1.cmp(&b.1));
        orgs.dedup();
        let snap = Arc::new(Snapshot {
            entries,
            search,
            sectors,
            orgs,
            stamp,
            checked_ms: AtomicU64::new(now_ms()),
        });
        if let Ok(mut guard) = self.public_cache.current.write()
            && self.public_cache.generation.load(Ordering::SeqCst) == generation
        {
            *guard = Some(Arc::clone(&snap));
        }
        Ok(snap)
    }

    /// One page of the public register: every word of `q` must appear (case-insensitive), and
    /// each non-empty filter must match exactly. Ordered by English name, then id.
    ///
    /// # Errors
    /// Database errors while loading the snapshot.
    pub async fn public_list(&self, q: &PublicQuery) -> Result<PublicPage> {
        let snap = self.snapshot().await?;
        let per_page = q.per_page.clamp(1, 100);
        let page = q.page.max(1);
        let words: Vec<String> = q.q.split_whitespace().take(8).map(str::to_lowercase).collect();
        let matches = |i: usize, e: &PublicEntry| {
            (q.sector.is_empty() || e.sector == q.sector)
                && (q.org.is_empty() || e.org_slug == q.org)
                && (q.status.is_empty() || e.status == q.status)
                && (q.tier.is_empty() || e.risk_tier == q.tier)
                && (q.level.is_empty() || e.impact_level == q.level)
                && words.iter().all(|w| snap.search[i].contains(w.as_str()))
        };
        let skip = (page as usize - 1) * per_page as usize;
        let mut total = 0i64;
        let mut entries = Vec::with_capacity(per_page as usize);
        for (i, e) in snap.entries.iter().enumerate() {
            if matches(i, e) {
                if total as usize >= skip && entries.len() < per_page as usize {
                    entries.push(e.clone());
                }
                total += 1;
            }
        }
        Ok(PublicPage { entries, total, page, per_page })
    }

    /// One system on the public register.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when it was never registered.
    pub async fn public_entry(&self, public_id: &str) -> Result<PublicEntry> {
        let snap = self.snapshot().await?;
        snap.entries
            .iter()
            .find(|e| e.public_id == public_id)
            .cloned()
            .ok_or_else(|| StoreError::NotFound { what: "system", id: public_id.to_owned() })
    }

    /// Sectors and organisations present on the public register, for filter menus.
    ///
    /// # Errors
    /// Database errors while loading the snapshot.
    pub async fn public_facets(&self) -> Result<(Vec<String>, Vec<(String, String)>)> {
        let snap = self.snapshot().await?;
        Ok((snap.sectors.clone(), snap.orgs.clone()))
    }

    /// The whole public register, by name (bulk download).
    ///
    /// # Errors
    /// Database errors while loading the snapshot.
    pub async fn public_all(&self) -> Result<Vec<PublicEntry>> {
        Ok(self.snapshot().await?.entries.clone())
    }
}
