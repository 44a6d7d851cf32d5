//! The data repository's rows: datasets, their immutable versions, publications, accepted
//! terms and downloads (issue #18).
//!
//! A version's metadata, distributions and upload scan are JSON the platform validated
//! (`mizan-catalog`, `mizan-profile`, `mizan-pii`); this module stores and finds them. Writes
//! for an organisation take its [`OrgScope`]; public reads see only published versions. Every
//! table but `datasets` is append-only by trigger, so a published version's words and file
//! hashes cannot be changed afterwards, only followed by a newer version.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::systems::ActorRef;
use crate::{OrgScope, Result, Store, StoreError, is_unique_violation, now};

/// A version about to be written.
#[derive(Debug, Clone)]
pub struct NewDatasetVersion {
    /// `mizan.dataset/1` JSON.
    pub meta_json: String,
    /// The distributions, JSON.
    pub files_json: String,
    /// What the upload scan found per file, JSON.
    pub scan_json: String,
    /// The metadata's access tier (`open`, `registered`, `restricted`).
    pub access: String,
}

/// A stored version with its dataset and publisher.
#[derive(Debug, Clone)]
pub struct StoredDatasetVersion {
    /// The dataset's database id.
    pub dataset_id: i64,
    /// The dataset's slug.
    pub slug: String,
    /// The publisher's database id.
    pub org_id: i64,
    /// The publisher's slug.
    pub org_slug: String,
    /// The publisher's name.
    pub org_name: String,
    /// This version.
    pub version: i64,
    /// `mizan.dataset/1` JSON.
    pub meta_json: String,
    /// The distributions, JSON.
    pub files_json: String,
    /// The upload scan, JSON.
    pub scan_json: String,
    /// The access tier.
    pub access: String,
    /// Who made the version.
    pub actor_name: String,
    /// When.
    pub at: String,
    /// When it was published, if it was.
    pub published_at: Option<String>,
    /// When the dataset's first version was published, if any was.
    pub first_published_at: Option<String>,
    /// Whether this is demo data.
    pub is_demo: bool,
}

/// One version in a dataset's history.
#[derive(Debug, Clone)]
pub struct DatasetVersionRef {
    /// The version.
    pub version: i64,
    /// When it was made.
    pub at: String,
    /// When it was published, if it was.
    pub published_at: Option<String>,
    /// Who made it.
    pub actor_name: String,
}

/// Counts of a dataset's governed use.
#[derive(Debug, Clone, Copy, Default)]
pub struct DatasetUse {
    /// Acceptances of terms.
    pub acceptances: i64,
    /// Recorded downloads (registered and restricted versions).
    pub downloads: i64,
}

const VERSION_COLS: &str = "d.id AS dataset_id, d.slug, d.org_id, o.slug AS org_slug, o.name AS org_name, d.is_demo, \
     v.version, v.meta_json, v.files_json, v.scan_json, v.access, v.actor_name, v.at, p.at AS published_at, \
     (SELECT MIN(p2.at) FROM dataset_publications p2 WHERE p2.dataset_id = d.id) AS first_published_at";

const VERSION_FROM: &str = "FROM dataset_versions v JOIN datasets d ON d.id = v.dataset_id \
     JOIN organisations o ON o.id = d.org_id \
     LEFT JOIN dataset_publications p ON p.dataset_id = v.dataset_id AND p.version = v.version";

fn version_from_row(r: &AnyRow) -> Result<StoredDatasetVersion> {
    Ok(StoredDatasetVersion {
        dataset_id: r.try_get("dataset_id")?,
        slug: r.try_get("slug")?,
        org_id: r.try_get("org_id")?,
        org_slug: r.try_get("org_slug")?,
        org_name: r.try_get("org_name")?,
        version: r.try_get("version")?,
        meta_json: r.try_get("meta_json")?,
        files_json: r.try_get("files_json")?,
        scan_json: r.try_get("scan_json")?,
        access: r.try_get("access")?,
        actor_name: r.try_get("actor_name")?,
        at: r.try_get("at")?,
        published_at: r.try_get("published_at")?,
        first_published_at: r.try_get("first_published_at")?,
        is_demo: r.try_get::<i64, _>("is_demo")? != 0,
    })
}

type Tx = sqlx::Transaction<'static, sqlx::Any>;

async fn insert_version(
    tx: &mut Tx,
    dataset_id: i64,
    version: i64,
    v: &NewDatasetVersion,
    actor: &ActorRef,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO dataset_versions (dataset_id, version, meta_json, files_json, scan_json, access, actor_id, actor_name, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(dataset_id)
    .bind(version)
    .bind(&v.meta_json)
    .bind(&v.files_json)
    .bind(&v.scan_json)
    .bind(&v.access)
    .bind(actor.user_id)
    .bind(&actor.name)
    .bind(now())
    .execute(&mut **tx)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            StoreError::Conflict(format!("version {version} was made by someone else meanwhile; reload and try again"))
        } else {
            e.into()
        }
    })?;
    Ok(())
}

async fn dataset_id_in(tx: &mut Tx, scope: OrgScope, slug: &str) -> Result<i64> {
    sqlx::query("SELECT id FROM datasets WHERE slug = $1 AND org_id = $2")
        .bind(slug)
        .bind(scope.org_id())
        .fetch_optional(&mut **tx)
        .await?
        .map(|r| r.try_get::<i64, _>(0))
        .transpose()?
        .ok_or_else(|| StoreError::NotFound { what: "dataset", id: slug.to_owned() })
}

impl Store {
    /// Creates a dataset with its first version.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] when the slug is taken (by any organisation).
    pub async fn create_dataset(
        &self,
        scope: OrgScope,
        actor: &ActorRef,
        slug: &str,
        first: &NewDatasetVersion,
        is_demo: bool,
    ) -> Result<()> {
        let (_guard, mut tx) = self.begin_scoped_write(scope).await?;
        let row = sqlx::query(
            "INSERT INTO datasets (org_id, slug, created_at, is_demo) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(scope.org_id())
        .bind(slug)
        .bind(now())
        .bind(i64::from(is_demo))
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                StoreError::Conflict(format!("a dataset named `{slug}` already exists; choose another name"))
            } else {
                e.into()
            }
        })?;
        let id: i64 = row.try_get(0)?;
        insert_version(&mut tx, id, 1, first, actor).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Adds a version after `after` (the version the change was made from), returning its
    /// number.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] for a dataset of another organisation; [`StoreError::Conflict`]
    /// when a newer version than `after` exists (someone else changed it meanwhile).
    pub async fn add_dataset_version(
        &self,
        scope: OrgScope,
        actor: &ActorRef,
        slug: &str,
        after: i64,
        v: &NewDatasetVersion,
    ) -> Result<i64> {
        let (_guard, mut tx) = self.begin_scoped_write(scope).await?;
        let id = dataset_id_in(&mut tx, scope, slug).await?;
        let latest: i64 =
            sqlx::query("SELECT COALESCE(MAX(version), 0) FROM dataset_versions WHERE dataset_id = $1")
                .bind(id)
                .fetch_one(&mut *tx)
                .await?
                .try_get(0)?;
        if latest != after {
            return Err(StoreError::Conflict(format!(
                "the dataset is at version {latest}, not {after}: someone changed it meanwhile; reload and try again"
            )));
        }
        insert_version(&mut tx, id, after + 1, v, actor).await?;
        tx.commit().await?;
        Ok(after + 1)
    }

    /// Publishes a version (once).
    ///
    /// # Errors
    /// [`StoreError::NotFound`] for no such version; [`StoreError::Conflict`] when it is
    /// already published.
    pub async fn publish_dataset_version(
        &self,
        scope: OrgScope,
        actor: &ActorRef,
        slug: &str,
        version: i64,
    ) -> Result<()> {
        let (_guard, mut tx) = self.begin_scoped_write(scope).await?;
        let id = dataset_id_in(&mut tx, scope, slug).await?;
        let exists = sqlx::query("SELECT 1 FROM dataset_versions WHERE dataset_id = $1 AND version = $2")
            .bind(id)
            .bind(version)
            .fetch_optional(&mut *tx)
            .await?
            .is_some();
        if !exists {
            return Err(StoreError::NotFound { what: "dataset version", id: format!("{slug} v{version}") });
        }
        sqlx::query("INSERT INTO dataset_publications (dataset_id, version, actor_id, actor_name, at) VALUES ($1, $2, $3, $4, $5)")
            .bind(id)
            .bind(version)
            .bind(actor.user_id)
            .bind(&actor.name)
            .bind(now())
            .execute(&mut *tx)
            .await
            .map_err(|e| {
                if is_unique_violation(&e) {
                    StoreError::Conflict(format!("version {version} of `{slug}` is already published"))
                } else {
                    e.into()
                }
            })?;
        tx.commit().await?;
        Ok(())
    }

    /// The organisation's datasets, each at its newest version, newest dataset first.
    ///
    /// # Errors
    /// Database errors.
    pub async fn org_datasets(&self, scope: OrgScope) -> Result<Vec<StoredDatasetVersion>> {
        let mut tx = self.begin_scoped_read(scope).await?;
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {VERSION_COLS} {VERSION_FROM} WHERE d.org_id = $1 AND v.version = \
             (SELECT MAX(v2.version) FROM dataset_versions v2 WHERE v2.dataset_id = d.id) ORDER BY d.id DESC"
        )))
        .bind(scope.org_id())
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        rows.iter().map(version_from_row).collect()
    }

    /// One of the organisation's dataset versions (the newest when `version` is `None`),
    /// published or not.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when it does not exist or belongs to another organisation.
    pub async fn org_dataset_version(
        &self,
        scope: OrgScope,
        slug: &str,
        version: Option<i64>,
    ) -> Result<StoredDatasetVersion> {
        let mut tx = self.begin_scoped_read(scope).await?;
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {VERSION_COLS} {VERSION_FROM} WHERE d.slug = $1 AND d.org_id = $2 AND v.version = \
             COALESCE($3, (SELECT MAX(v2.version) FROM dataset_versions v2 WHERE v2.dataset_id = d.id))"
        )))
        .bind(slug)
        .bind(scope.org_id())
        .bind(version)
        .fetch_optional(&mut *tx)
        .await?;
        tx.commit().await?;
        match row {
            Some(r) => version_from_row(&r),
            None => Err(StoreError::NotFound { what: "dataset", id: slug.to_owned() }),
        }
    }

    /// A published version (the newest published when `version` is `None`).
    ///
    /// # Errors
    /// Database errors.
    pub async fn public_dataset_version(
        &self,
        slug: &str,
        version: Option<i64>,
    ) -> Result<Option<StoredDatasetVersion>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {VERSION_COLS} {VERSION_FROM} WHERE d.slug = $1 AND p.at IS NOT NULL AND v.version = \
             COALESCE($2, (SELECT MAX(p2.version) FROM dataset_publications p2 WHERE p2.dataset_id = d.id))"
        )))
        .bind(slug)
        .bind(version)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(version_from_row).transpose()
    }

    /// Every dataset's newest published version, in dataset order (the catalogue, the search
    /// index's rebuild, harvesters).
    ///
    /// # Errors
    /// Database errors.
    pub async fn public_datasets(&self) -> Result<Vec<StoredDatasetVersion>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {VERSION_COLS} {VERSION_FROM} WHERE p.at IS NOT NULL AND v.version = \
             (SELECT MAX(p2.version) FROM dataset_publications p2 WHERE p2.dataset_id = d.id) ORDER BY d.id"
        )))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(version_from_row).collect()
    }

    /// A dataset's versions, newest first; `published_only` for the public.
    ///
    /// # Errors
    /// Database errors.
    pub async fn dataset_versions(
        &self,
        dataset_id: i64,
        published_only: bool,
    ) -> Result<Vec<DatasetVersionRef>> {
        let rows = sqlx::query(
            "SELECT v.version, v.at, v.actor_name, p.at AS published_at FROM dataset_versions v \
             LEFT JOIN dataset_publications p ON p.dataset_id = v.dataset_id AND p.version = v.version \
             WHERE v.dataset_id = $1 AND ($2 = 0 OR p.at IS NOT NULL) ORDER BY v.version DESC",
        )
        .bind(dataset_id)
        .bind(i64::from(published_only))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(DatasetVersionRef {
                    version: r.try_get("version")?,
                    at: r.try_get("at")?,
                    published_at: r.try_get("published_at")?,
                    actor_name: r.try_get("actor_name")?,
                })
            })
            .collect()
    }

    /// Records that `user_id` accepted terms for a dataset version.
    ///
    /// # Errors
    /// Database errors.
    pub async fn accept_dataset_terms(
        &self,
        dataset_id: i64,
        version: i64,
        user_id: i64,
        terms: (&str, u32),
    ) -> Result<()> {
        let (_guard, mut tx) = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO dataset_acceptances (dataset_id, version, user_id, terms_id, terms_version, at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(dataset_id)
        .bind(version)
        .bind(user_id)
        .bind(terms.0)
        .bind(i64::from(terms.1))
        .bind(now())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Whether `user_id` accepted these terms (id and version) for the dataset version.
    ///
    /// # Errors
    /// Database errors.
    pub async fn accepted_dataset_terms(
        &self,
        dataset_id: i64,
        version: i64,
        user_id: i64,
        terms: (&str, u32),
    ) -> Result<bool> {
        Ok(sqlx::query(
            "SELECT 1 FROM dataset_acceptances WHERE dataset_id = $1 AND version = $2 AND user_id = $3 \
             AND terms_id = $4 AND terms_version = $5",
        )
        .bind(dataset_id)
        .bind(version)
        .bind(user_id)
        .bind(terms.0)
        .bind(i64::from(terms.1))
        .fetch_optional(&self.pool)
        .await?
        .is_some())
    }

    /// Records a download of a governed (registered or restricted) version's file.
    ///
    /// # Errors
    /// Database errors.
    pub async fn record_dataset_download(
        &self,
        dataset_id: i64,
        version: i64,
        file: &str,
        user_id: Option<i64>,
    ) -> Result<()> {
        let (_guard, mut tx) = self.begin_write().await?;
        sqlx::query("INSERT INTO dataset_downloads (dataset_id, version, file_name, user_id, at) VALUES ($1, $2, $3, $4, $5)")
            .bind(dataset_id)
            .bind(version)
            .bind(file)
            .bind(user_id)
            .bind(now())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Counts of a dataset's acceptances and recorded downloads.
    ///
    /// # Errors
    /// Database errors.
    pub async fn dataset_use(&self, dataset_id: i64) -> Result<DatasetUse> {
        let r = sqlx::query(
            "SELECT (SELECT COUNT(*) FROM dataset_acceptances WHERE dataset_id = $1), \
                    (SELECT COUNT(*) FROM dataset_downloads WHERE dataset_id = $1)",
        )
        .bind(dataset_id)
        .fetch_one(&self.pool)
        .await?;
        Ok(DatasetUse { acceptances: r.try_get(0)?, downloads: r.try_get(1)? })
    }
}
