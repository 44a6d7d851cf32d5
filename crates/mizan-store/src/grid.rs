//! The national compute grid: institutions, resources, the allocations approved requests grant,
//! and the jobs `sacct` reported, imported in batches that the events log commits to.
//!
//! An allocation is written in the same transaction as the case move that approves it, and a
//! usage import's jobs, its row and its events-log event in one transaction too, so neither can
//! be half there. A job is keyed by (cluster, job id): importing it again adds nothing.

use sqlx::{AssertSqlSafe, Row};

use crate::cases::{EventSubject, insert_entries, write_projection};
use crate::{Backend, CaseProjection, NewEntry, Result, Store, StoreError, StoredCase};

/// An organisation registered with the grid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GridInstitution {
    /// The organisation.
    pub org_id: i64,
    /// Its slug.
    pub slug: String,
    /// Its name.
    pub name: String,
    /// `university`, `startup`, `public-body` or `company`.
    pub kind: String,
    /// Its province's code (`punjab`, `sindh`, ...).
    pub province: String,
    /// The Slurm account its projects sit under.
    pub account: String,
}

/// A resource to add.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewGridResource {
    /// The Slurm cluster's name.
    pub cluster: String,
    /// The partition.
    pub partition: String,
    /// CPUs.
    pub cpus: i64,
    /// GPUs.
    pub gpus: i64,
    /// Memory, MB.
    pub memory_mb: i64,
    /// The organisation that runs it and decides requests for it.
    pub operator_org_id: i64,
    /// What it is, for people.
    pub description: String,
}

/// A resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GridResource {
    /// Row id.
    pub id: i64,
    /// As added.
    pub new: NewGridResource,
}

/// An allocation to record with the approval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewGridAllocation {
    /// The institution.
    pub org_id: i64,
    /// The resource.
    pub resource_id: i64,
    /// The project's Slurm account.
    pub account: String,
    /// The project's title.
    pub title: String,
    /// Cluster login names, comma-separated.
    pub users: String,
    /// CPU-minutes granted.
    pub cpu_minutes: i64,
    /// GPU-minutes granted.
    pub gpu_minutes: i64,
    /// First day (`YYYY-MM-DD`).
    pub starts_on: String,
    /// Last day (`YYYY-MM-DD`).
    pub ends_on: String,
}

/// An allocation as recorded, with what the figures group it by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GridAllocation {
    /// Row id.
    pub id: i64,
    /// The case that granted it.
    pub case_id: i64,
    /// The case's reference.
    pub reference: String,
    /// As granted.
    pub new: NewGridAllocation,
    /// The resource's cluster.
    pub cluster: String,
    /// The institution's kind.
    pub kind: String,
    /// The institution's province.
    pub province: String,
    /// The institution's name.
    pub institution: String,
    /// The institution's Slurm account.
    pub institution_account: String,
    /// When it was granted.
    pub created_at: String,
}

/// A finished job to import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewGridJob {
    /// The job id as `sacct` gives it (`JobIDRaw`).
    pub job_id: String,
    /// Its Slurm account.
    pub account: String,
    /// Its user.
    pub user: String,
    /// Seconds it ran.
    pub elapsed_seconds: i64,
    /// CPU-seconds: elapsed × CPUs allocated.
    pub cpu_seconds: i64,
    /// GPU-seconds: elapsed × GPUs allocated.
    pub gpu_seconds: i64,
    /// When it ended (RFC 3339, UTC).
    pub ended_at: String,
    /// Its final state (`COMPLETED`, `FAILED`, ...).
    pub state: String,
}

/// A usage import to record.
#[derive(Debug, Clone)]
pub struct NewGridImport<'a> {
    /// The cluster.
    pub cluster: &'a str,
    /// The window asked of `sacct` (RFC 3339).
    pub window: (&'a str, &'a str),
    /// The finished jobs it reported.
    pub jobs: &'a [NewGridJob],
    /// The operator organisation the event is filed under.
    pub org_id: i64,
    /// The events-log subject (`grid:<cluster>`).
    pub subject: &'a str,
    /// Who ran it (a person or `scheduler`).
    pub actor_name: &'a str,
}

/// What an import added.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GridImportSummary {
    /// The import's row id.
    pub id: i64,
    /// Jobs reported.
    pub jobs_seen: i64,
    /// Jobs not imported before.
    pub jobs_new: i64,
    /// Per account, the new jobs' (count, CPU-seconds, GPU-seconds), by account name.
    pub per_account: Vec<(String, i64, i64, i64)>,
    /// The events-log event, when anything was new.
    pub event_id: Option<i64>,
}

/// A recorded import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GridImport {
    /// Row id.
    pub id: i64,
    /// The cluster.
    pub cluster: String,
    /// The window's start.
    pub window_start: String,
    /// The window's end.
    pub window_end: String,
    /// Jobs reported.
    pub jobs_seen: i64,
    /// Jobs new.
    pub jobs_new: i64,
    /// CPU-seconds of the new jobs.
    pub cpu_seconds: i64,
    /// GPU-seconds of the new jobs.
    pub gpu_seconds: i64,
    /// Its event.
    pub event_id: Option<i64>,
    /// When.
    pub at: String,
}

/// Usage of one account in one month.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GridUsage {
    /// The Slurm account.
    pub account: String,
    /// `YYYY-MM` of the jobs' end.
    pub month: String,
    /// Jobs.
    pub jobs: i64,
    /// CPU-seconds.
    pub cpu_seconds: i64,
    /// GPU-seconds.
    pub gpu_seconds: i64,
}

/// Rows per multi-row `INSERT` of jobs (10 parameters each, under SQLite's 32,766).
const JOB_CHUNK: usize = 500;

const ALLOC_COLS: &str = "a.id, a.case_id, c.reference, a.org_id, a.resource_id, a.account, a.title, a.users, \
     a.cpu_minutes, a.gpu_minutes, a.starts_on, a.ends_on, a.created_at, r.cluster, i.kind, i.province, \
     o.name AS institution, i.account AS institution_account";
const ALLOC_FROM: &str = "grid_allocations a JOIN cases c ON c.id = a.case_id \
     JOIN grid_resources r ON r.id = a.resource_id JOIN grid_institutions i ON i.org_id = a.org_id \
     JOIN organisations o ON o.id = a.org_id";

fn allocation_from_row(r: &sqlx::any::AnyRow) -> Result<GridAllocation> {
    Ok(GridAllocation {
        id: r.try_get("id")?,
        case_id: r.try_get("case_id")?,
        reference: r.try_get("reference")?,
        new: NewGridAllocation {
            org_id: r.try_get("org_id")?,
            resource_id: r.try_get("resource_id")?,
            account: r.try_get("account")?,
            title: r.try_get("title")?,
            users: r.try_get("users")?,
            cpu_minutes: r.try_get("cpu_minutes")?,
            gpu_minutes: r.try_get("gpu_minutes")?,
            starts_on: r.try_get("starts_on")?,
            ends_on: r.try_get("ends_on")?,
        },
        cluster: r.try_get("cluster")?,
        kind: r.try_get("kind")?,
        province: r.try_get("province")?,
        institution: r.try_get("institution")?,
        institution_account: r.try_get("institution_account")?,
        created_at: r.try_get("created_at")?,
    })
}

fn resource_from_row(r: &sqlx::any::AnyRow) -> Result<GridResource> {
    Ok(GridResource {
        id: r.try_get("id")?,
        new: NewGridResource {
            cluster: r.try_get("cluster")?,
            partition: r.try_get("partition_name")?,
            cpus: r.try_get("cpus")?,
            gpus: r.try_get("gpus")?,
            memory_mb: r.try_get("memory_mb")?,
            operator_org_id: r.try_get("operator_org_id")?,
            description: r.try_get("description")?,
        },
    })
}

impl Store {
    /// Registers `org_id` with the grid, or changes its kind and province (its account stays).
    ///
    /// # Errors
    /// [`StoreError::Conflict`] when another institution has `account`.
    pub async fn set_grid_institution(
        &self,
        org_id: i64,
        kind: &str,
        province: &str,
        account: &str,
    ) -> Result<()> {
        let (_guard, mut tx) = self.begin_write().await?;
        let taken: Option<i64> =
            sqlx::query_scalar("SELECT org_id FROM grid_institutions WHERE account = $1 AND org_id <> $2")
                .bind(account)
                .bind(org_id)
                .fetch_optional(&mut *tx)
                .await?;
        if taken.is_some() {
            return Err(StoreError::Conflict(format!(
                "the Slurm account `{account}` is another institution's"
            )));
        }
        sqlx::query(
            "INSERT INTO grid_institutions (org_id, kind, province, account, created_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (org_id) DO UPDATE SET kind = excluded.kind, province = excluded.province",
        )
        .bind(org_id)
        .bind(kind)
        .bind(province)
        .bind(account)
        .bind(crate::now())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Every institution, by name.
    ///
    /// # Errors
    /// Database errors.
    pub async fn grid_institutions(&self) -> Result<Vec<GridInstitution>> {
        let rows = sqlx::query(
            "SELECT i.org_id, o.slug, o.name, i.kind, i.province, i.account FROM grid_institutions i \
             JOIN organisations o ON o.id = i.org_id ORDER BY o.name",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(GridInstitution {
                    org_id: r.try_get("org_id")?,
                    slug: r.try_get("slug")?,
                    name: r.try_get("name")?,
                    kind: r.try_get("kind")?,
                    province: r.try_get("province")?,
                    account: r.try_get("account")?,
                })
            })
            .collect()
    }

    /// Adds a resource. Returns its id.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] when the cluster already has that partition.
    pub async fn add_grid_resource(&self, new: &NewGridResource) -> Result<i64> {
        let (_guard, mut tx) = self.begin_write().await?;
        let exists: Option<i64> =
            sqlx::query_scalar("SELECT id FROM grid_resources WHERE cluster = $1 AND partition_name = $2")
                .bind(&new.cluster)
                .bind(&new.partition)
                .fetch_optional(&mut *tx)
                .await?;
        if exists.is_some() {
            return Err(StoreError::Conflict(format!(
                "cluster `{}` already has a partition `{}`",
                new.cluster, new.partition
            )));
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO grid_resources (cluster, partition_name, cpus, gpus, memory_mb, operator_org_id, description, \
             created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(&new.cluster)
        .bind(&new.partition)
        .bind(new.cpus)
        .bind(new.gpus)
        .bind(new.memory_mb)
        .bind(new.operator_org_id)
        .bind(&new.description)
        .bind(crate::now())
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Every resource, by cluster and partition.
    ///
    /// # Errors
    /// Database errors.
    pub async fn grid_resources(&self) -> Result<Vec<GridResource>> {
        let rows = sqlx::query(
            "SELECT id, cluster, partition_name, cpus, gpus, memory_mb, operator_org_id, description \
             FROM grid_resources ORDER BY cluster, partition_name",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(resource_from_row).collect()
    }

    /// Appends the approving entries to a `compute-allocation` case, writes its projection and
    /// records the allocation it grants, in one transaction.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] when the case already has an allocation or the account is taken.
    pub async fn approve_with_allocation(
        &self,
        case: &StoredCase,
        entries: &[NewEntry],
        p: &CaseProjection,
        new: &NewGridAllocation,
    ) -> Result<i64> {
        let (_guard, mut tx) = self.begin_write().await?;
        let taken: Option<i64> =
            sqlx::query_scalar("SELECT id FROM grid_allocations WHERE case_id = $1 OR account = $2")
                .bind(case.id)
                .bind(&new.account)
                .fetch_optional(&mut *tx)
                .await?;
        if taken.is_some() {
            return Err(StoreError::Conflict(format!(
                "an allocation for this request or for the account `{}` exists already",
                new.account
            )));
        }
        let subject = case.subject.clone();
        insert_entries(
            &mut tx,
            case.id,
            // A grid request names no version of anything: its events carry version 0.
            (EventSubject::Named { org_id: case.org_id, subject: &subject }, 0),
            entries,
        )
        .await?;
        write_projection(&mut tx, case.id, p).await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO grid_allocations (case_id, org_id, resource_id, account, title, users, cpu_minutes, \
             gpu_minutes, starts_on, ends_on, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
             RETURNING id",
        )
        .bind(case.id)
        .bind(new.org_id)
        .bind(new.resource_id)
        .bind(&new.account)
        .bind(&new.title)
        .bind(&new.users)
        .bind(new.cpu_minutes)
        .bind(new.gpu_minutes)
        .bind(&new.starts_on)
        .bind(&new.ends_on)
        .bind(crate::now())
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Every allocation, oldest first.
    ///
    /// # Errors
    /// Database errors.
    pub async fn grid_allocations(&self) -> Result<Vec<GridAllocation>> {
        let rows = sqlx::query(AssertSqlSafe(format!("SELECT {ALLOC_COLS} FROM {ALLOC_FROM} ORDER BY a.id")))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(allocation_from_row).collect()
    }

    /// The allocation a case granted.
    ///
    /// # Errors
    /// Database errors.
    pub async fn grid_allocation_of(&self, case_id: i64) -> Result<Option<GridAllocation>> {
        let row =
            sqlx::query(AssertSqlSafe(format!("SELECT {ALLOC_COLS} FROM {ALLOC_FROM} WHERE a.case_id = $1")))
                .bind(case_id)
                .fetch_optional(&self.pool)
                .await?;
        row.as_ref().map(allocation_from_row).transpose()
    }

    /// Records an import: the jobs not seen before, the import's row and an events-log event
    /// committing to the new jobs' totals per account (`reason` writes its text from them), in
    /// one transaction. Jobs seen before are skipped, so importing the same window twice adds
    /// nothing.
    ///
    /// # Errors
    /// Database errors; nothing is recorded then.
    pub async fn record_grid_import(
        &self,
        import: &NewGridImport<'_>,
        reason: impl FnOnce(&[(String, i64, i64, i64)]) -> String,
    ) -> Result<GridImportSummary> {
        let (_guard, mut tx) = self.begin_write().await?;
        if self.backend == Backend::Postgres {
            // Two imports of one cluster at once would both count a job as new; SQLite's writer
            // lock (taken above) already serialises them.
            sqlx::query("SELECT pg_advisory_xact_lock(hashtext('grid-import:' || $1))")
                .bind(import.cluster)
                .execute(&mut *tx)
                .await?;
        }
        // The batch's own duplicates count once, the first as reported.
        let mut seen = std::collections::HashSet::new();
        let unique: Vec<&NewGridJob> =
            import.jobs.iter().filter(|j| seen.insert(j.job_id.as_str())).collect();
        let mut known = std::collections::HashSet::new();
        for chunk in unique.chunks(JOB_CHUNK) {
            let marks: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
            let sql = format!(
                "SELECT job_id FROM grid_jobs WHERE cluster = $1 AND job_id IN ({})",
                marks.join(", ")
            );
            let mut q = sqlx::query_scalar::<_, String>(AssertSqlSafe(sql)).bind(import.cluster);
            for j in chunk {
                q = q.bind(&j.job_id);
            }
            known.extend(q.fetch_all(&mut *tx).await?);
        }
        let fresh: Vec<&NewGridJob> = unique.into_iter().filter(|j| !known.contains(&j.job_id)).collect();
        let mut per: std::collections::BTreeMap<&str, (i64, i64, i64)> = std::collections::BTreeMap::new();
        for j in &fresh {
            let e = per.entry(j.account.as_str()).or_default();
            e.0 += 1;
            e.1 += j.cpu_seconds;
            e.2 += j.gpu_seconds;
        }
        let per_account: Vec<(String, i64, i64, i64)> =
            per.into_iter().map(|(a, (n, c, g))| (a.to_owned(), n, c, g)).collect();
        let at = crate::now();
        let event_id = if fresh.is_empty() {
            None
        } else {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO system_events (subject, org_id, version, kind, from_status, to_status, actor_id, \
                 actor_name, reason, at) VALUES ($1, $2, 0, 'grid-usage', '', '', NULL, $3, $4, $5) RETURNING id",
            )
            .bind(import.subject)
            .bind(import.org_id)
            .bind(import.actor_name)
            .bind(reason(&per_account))
            .bind(&at)
            .fetch_one(&mut *tx)
            .await?;
            Some(id)
        };
        let cpu: i64 = fresh.iter().map(|j| j.cpu_seconds).sum();
        let gpu: i64 = fresh.iter().map(|j| j.gpu_seconds).sum();
        let jobs_seen = i64::try_from(import.jobs.len()).unwrap_or(i64::MAX);
        let jobs_new = i64::try_from(fresh.len()).unwrap_or(i64::MAX);
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO grid_imports (cluster, window_start, window_end, jobs_seen, jobs_new, cpu_seconds, \
             gpu_seconds, event_id, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(import.cluster)
        .bind(import.window.0)
        .bind(import.window.1)
        .bind(jobs_seen)
        .bind(jobs_new)
        .bind(cpu)
        .bind(gpu)
        .bind(event_id)
        .bind(&at)
        .fetch_one(&mut *tx)
        .await?;
        for chunk in fresh.chunks(JOB_CHUNK) {
            let mut sql = String::from(
                "INSERT INTO grid_jobs (cluster, job_id, account, user_name, elapsed_seconds, cpu_seconds, \
                 gpu_seconds, ended_at, state, import_id) VALUES ",
            );
            for i in 0..chunk.len() {
                let b = i * 10;
                if i > 0 {
                    sql.push_str(", ");
                }
                let marks: Vec<String> = (1..=10).map(|k| format!("${}", b + k)).collect();
                sql.push('(');
                sql.push_str(&marks.join(", "));
                sql.push(')');
            }
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for j in chunk {
                q = q
                    .bind(import.cluster)
                    .bind(&j.job_id)
                    .bind(&j.account)
                    .bind(&j.user)
                    .bind(j.elapsed_seconds)
                    .bind(j.cpu_seconds)
                    .bind(j.gpu_seconds)
                    .bind(&j.ended_at)
                    .bind(&j.state)
                    .bind(id);
            }
            q.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(GridImportSummary { id, jobs_seen, jobs_new, per_account, event_id })
    }

    /// The newest imports of a cluster, newest first.
    ///
    /// # Errors
    /// Database errors.
    pub async fn grid_imports(&self, cluster: &str, limit: i64) -> Result<Vec<GridImport>> {
        let rows = sqlx::query(
            "SELECT id, cluster, window_start, window_end, jobs_seen, jobs_new, cpu_seconds, gpu_seconds, event_id, at \
             FROM grid_imports WHERE cluster = $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(cluster)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(GridImport {
                    id: r.try_get("id")?,
                    cluster: r.try_get("cluster")?,
                    window_start: r.try_get("window_start")?,
                    window_end: r.try_get("window_end")?,
                    jobs_seen: r.try_get("jobs_seen")?,
                    jobs_new: r.try_get("jobs_new")?,
                    cpu_seconds: r.try_get("cpu_seconds")?,
                    gpu_seconds: r.try_get("gpu_seconds")?,
                    event_id: r.try_get("event_id")?,
                    at: r.try_get("at")?,
                })
            })
            .collect()
    }

    /// Usage per account and month of the jobs' end, from every imported job.
    ///
    /// # Errors
    /// Database errors.
    pub async fn grid_usage(&self) -> Result<Vec<GridUsage>> {
        let rows = sqlx::query(
            "SELECT account, substr(ended_at, 1, 7) AS month, COUNT(*) AS jobs, CAST(SUM(cpu_seconds) AS BIGINT) AS cpu, \
             CAST(SUM(gpu_seconds) AS BIGINT) AS gpu FROM grid_jobs GROUP BY account, substr(ended_at, 1, 7) ORDER BY account, month",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(GridUsage {
                    account: r.try_get("account")?,
                    month: r.try_get("month")?,
                    jobs: r.try_get("jobs")?,
                    cpu_seconds: r.try_get("cpu")?,
                    gpu_seconds: r.try_get("gpu")?,
                })
            })
            .collect()
    }
}
