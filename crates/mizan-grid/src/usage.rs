//! Metering: `sacct` job records in, per-account usage out, idempotently.
//!
//! **Input.** [`sacct_args`]: `sacct -a -X -P -n --format=`[`SACCT_FORMAT`] (allocations
//! only, no steps), read by [`parse_sacct`] one line at a time. `AllocTRES` gives the CPUs
//! (`cpu=`) and GPUs: the untyped `gres/gpu=` count when present, else the sum of the typed
//! `gres/gpu:<type>=` counts. Slurm writes both for a typed request (`gres/gpu=2` and
//! `gres/gpu:a100=2` for the same two GPUs), so adding them all would count twice. `Start`
//! and `End` are local times (`2026-12-07T10:00:00`), or `Unknown`/`None` when there is none.
//!
//! **Running jobs.** Every job is imported, running ones with their elapsed time so far; a job
//! is keyed by `(cluster, JobIDRaw)`, so a later import *replaces* it and never adds to it.
//! Which of two versions of a job stays is decided by content alone: a finished record (one
//! with an `End`) beats an unfinished one, then the longer elapsed time, then the rest of the
//! fields in order. That makes [`UsageBook::import`] a join: importing the same records
//! again changes nothing (idempotent), and any order or grouping of batches gives the same
//! book (`tests/usage.rs`). Usage is allocated TRES × elapsed seconds, as Slurm charges a
//! `GrpTRESMins` limit, summed exactly in 128 bits.
//!
//! **Memory.** The book keeps each job in 48 bytes plus its key (clusters, accounts, users
//! and states are interned), about 80 MB for a million jobs; it can be rebuilt from the
//! stored jobs with [`UsageBook::import`].

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use time::{Date, Month, PrimitiveDateTime, Time};

use crate::error::ParseError;
use crate::figures::YearMonth;
use crate::model::Usage;
use crate::names::{AccountName, UserName};

/// The fields Mizan asks `sacct` for, in order.
pub const SACCT_FORMAT: &str = "JobIDRaw,Cluster,Account,User,ElapsedRaw,AllocTRES,Start,End,State";
const SACCT_FIELDS: [&str; 9] =
    ["JobIDRaw", "Cluster", "Account", "User", "ElapsedRaw", "AllocTRES", "Start", "End", "State"];

/// The arguments after `sacct` for one cluster's jobs that were eligible, running or ended
/// between `start` and `end` (Slurm times such as `2026-12-01T00:00:00` or `now-2days`).
#[must_use]
pub fn sacct_args(cluster: &str, start: &str, end: &str) -> Vec<String> {
    vec![
        "-a".into(),
        "-X".into(),
        "-P".into(),
        "-n".into(),
        format!("--clusters={cluster}"),
        format!("--starttime={start}"),
        format!("--endtime={end}"),
        format!("--format={SACCT_FORMAT}"),
    ]
}

/// One job allocation as `sacct -X` reports it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct JobRecord {
    /// `JobIDRaw`: unique within a cluster.
    pub job_id: String,
    /// `Cluster`.
    pub cluster: String,
    /// `Account`.
    pub account: AccountName,
    /// `User`.
    pub user: UserName,
    /// `ElapsedRaw`: seconds run (so far, for a running job).
    pub elapsed_seconds: u64,
    /// CPUs allocated (`AllocTRES` `cpu=`).
    pub alloc_cpus: u32,
    /// GPUs allocated (`AllocTRES` `gres/gpu`, see the module docs).
    pub alloc_gpus: u32,
    /// `Start`, local time; `None` when it has not started.
    pub start: Option<PrimitiveDateTime>,
    /// `End`, local time; `None` while it runs or waits.
    pub end: Option<PrimitiveDateTime>,
    /// `State` as Slurm writes it (`COMPLETED`, `CANCELLED by 0`, `RUNNING`, ...).
    pub state: String,
}

impl JobRecord {
    /// CPUs × elapsed seconds.
    #[must_use]
    pub fn cpu_seconds(&self) -> u128 {
        u128::from(self.alloc_cpus) * u128::from(self.elapsed_seconds)
    }

    /// GPUs × elapsed seconds.
    #[must_use]
    pub fn gpu_seconds(&self) -> u128 {
        u128::from(self.alloc_gpus) * u128::from(self.elapsed_seconds)
    }

    /// Whether the job has ended (it has an `End`).
    #[must_use]
    pub fn is_finished(&self) -> bool {
        self.end.is_some()
    }
}

/// Reads `sacct -X -P -n --format=`[`SACCT_FORMAT`] output one line at a time; blank lines
/// are skipped, a bad line is an error for that line only.
pub fn parse_sacct(text: &str) -> impl Iterator<Item = Result<JobRecord, ParseError>> + '_ {
    text.lines().enumerate().filter(|(_, l)| !l.is_empty()).map(|(i, l)| parse_sacct_line(i + 1, l))
}

fn field_err(line: usize, column: usize, message: String) -> ParseError {
    ParseError { line, column, field: SACCT_FIELDS.get(column - 1).copied(), message }
}

/// Reads one line of `sacct` output (`line` is its one-based number, for errors).
///
/// # Errors
/// [`ParseError`] naming the line, the field and the value.
pub fn parse_sacct_line(line: usize, text: &str) -> Result<JobRecord, ParseError> {
    let text = text.strip_suffix('\r').unwrap_or(text);
    let mut f = [""; 9];
    let mut count = 0;
    for part in text.split('|') {
        if count < 9 {
            f[count] = part;
        }
        count += 1;
    }
    if count != 9 {
        return Err(ParseError {
            line,
            column: 0,
            field: None,
            message: format!(
                "{count} fields where 9 were asked for (`{}`); run `sacct -X -P -n --format={SACCT_FORMAT}`",
                text.chars().take(120).collect::<String>()
            ),
        });
    }
    let [job_id, cluster, account, user, elapsed, tres, start, end, state] = f;
    if job_id.is_empty() || !job_id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(field_err(
            line,
            1,
            format!("`{job_id}` is not a raw job id (digits only); ask for `JobIDRaw`"),
        ));
    }
    if cluster.is_empty() || cluster.contains(char::is_whitespace) {
        return Err(field_err(line, 2, format!("`{cluster}` is not a cluster name")));
    }
    let account = AccountName::new(account).map_err(|e| field_err(line, 3, e.to_string()))?;
    let user = UserName::new(user).map_err(|e| field_err(line, 4, e.to_string()))?;
    let elapsed_seconds = elapsed.parse::<u64>().map_err(|_| {
        field_err(line, 5, format!("`{elapsed}` is not a whole number of seconds; ask for `ElapsedRaw`"))
    })?;
    let (alloc_cpus, alloc_gpus) = alloc_tres(tres).map_err(|m| field_err(line, 6, m))?;
    let start = slurm_time(start).map_err(|m| field_err(line, 7, m))?;
    let end = slurm_time(end).map_err(|m| field_err(line, 8, m))?;
    if state.is_empty() {
        return Err(field_err(line, 9, "the state is empty".into()));
    }
    Ok(JobRecord {
        job_id: job_id.to_owned(),
        cluster: cluster.to_owned(),
        account,
        user,
        elapsed_seconds,
        alloc_cpus,
        alloc_gpus,
        start,
        end,
        state: state.to_owned(),
    })
}

/// CPUs and GPUs from `AllocTRES` (see the module docs for the GPU rule).
fn alloc_tres(text: &str) -> Result<(u32, u32), String> {
    let (mut cpus, mut gpus, mut typed) = (0u32, None::<u32>, 0u32);
    if text.is_empty() {
        return Ok((0, 0));
    }
    for item in text.split(',') {
        let Some((name, value)) = item.split_once('=') else {
            return Err(format!("`{item}` is not `tres=count`"));
        };
        let count = || value.parse::<u32>().map_err(|_| format!("`{item}`: `{value}` is not a whole number"));
        if name == "cpu" {
            cpus = count()?;
        } else if name == "gres/gpu" {
            gpus = Some(count()?);
        } else if name.starts_with("gres/gpu:") {
            typed = typed.saturating_add(count()?);
        }
    }
    Ok((cpus, gpus.unwrap_or(typed)))
}

/// `2026-12-07T10:00:00`, or `Unknown`, `None` or empty for no time.
fn slurm_time(text: &str) -> Result<Option<PrimitiveDateTime>, String> {
    if text.is_empty() || text == "Unknown" || text == "None" {
        return Ok(None);
    }
    let bad = || format!("`{text}` is not a time like `2026-12-07T10:00:00` (or `Unknown`)");
    let b = text.as_bytes();
    if b.len() != 19 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' || b[16] != b':' {
        return Err(bad());
    }
    let num = |r: std::ops::Range<usize>| -> Result<u16, String> {
        let s = &b[r];
        if s.iter().all(u8::is_ascii_digit) {
            Ok(s.iter().fold(0u16, |n, d| n * 10 + u16::from(d - b'0')))
        } else {
            Err(bad())
        }
    };
    let year = i32::from(num(0..4)?);
    let month = Month::try_from(u8::try_from(num(5..7)?).map_err(|_| bad())?).map_err(|_| bad())?;
    let day = u8::try_from(num(8..10)?).map_err(|_| bad())?;
    let date = Date::from_calendar_date(year, month, day).map_err(|_| bad())?;
    let small = |r| num(r).and_then(|v| u8::try_from(v).map_err(|_| bad()));
    let time = Time::from_hms(small(11..13)?, small(14..16)?, small(17..19)?).map_err(|_| bad())?;
    Ok(Some(PrimitiveDateTime::new(date, time)))
}

/// What one import did, for the events log.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportSummary {
    /// Jobs seen for the first time.
    pub new_jobs: u64,
    /// Jobs seen before whose record moved on (a running job's elapsed time, its end).
    pub updated_jobs: u64,
    /// Jobs seen before with the same record.
    pub unchanged_jobs: u64,
    /// Jobs seen before whose record was older than the one kept (ignored).
    pub stale_jobs: u64,
    /// Per account touched by a new or updated job: what this import changed.
    pub per_account: BTreeMap<AccountName, AccountImport>,
}

/// What an import changed for one account. `total` is the account's usage after it, and
/// `total = before + added - removed`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AccountImport {
    /// New or updated jobs of the account in this import.
    pub jobs: u64,
    /// Usage the new and updated records bring.
    pub added: Usage,
    /// Usage of the records they replaced.
    pub removed: Usage,
    /// The account's usage after the import.
    pub total: Usage,
}

impl fmt::Display for ImportSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} new, {} updated, {} unchanged, {} stale jobs; {} accounts",
            self.new_jobs,
            self.updated_jobs,
            self.unchanged_jobs,
            self.stale_jobs,
            self.per_account.len()
        )
    }
}

/// Strings seen once and numbered.
#[derive(Debug, Clone)]
struct Interner<T> {
    ids: HashMap<T, u32>,
    values: Vec<T>,
}

impl<T> Default for Interner<T> {
    fn default() -> Self {
        Self { ids: HashMap::new(), values: Vec::new() }
    }
}

impl<T: Clone + Eq + std::hash::Hash> Interner<T> {
    fn id(&mut self, value: &T) -> u32 {
        if let Some(&id) = self.ids.get(value) {
            return id;
        }
        // More than 2^32 distinct accounts, users, clusters or states cannot come from one
        // Slurm database; saturate rather than wrap.
        let id = u32::try_from(self.values.len()).unwrap_or(u32::MAX);
        self.ids.insert(value.clone(), id);
        self.values.push(value.clone());
        id
    }

    fn get(&self, value: &T) -> Option<u32> {
        self.ids.get(value).copied()
    }

    fn value(&self, id: u32) -> &T {
        // ids are only made by `id`, so they index `values`.
        &self.values[id as usize]
    }
}

const NO_TIME: i64 = i64::MIN;

/// A job as the book keeps it: 48 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    elapsed: u64,
    /// Seconds since 1970-01-01T00:00:00 of the local time, or [`NO_TIME`].
    start: i64,
    end: i64,
    account: u32,
    user: u32,
    cpus: u32,
    gpus: u32,
    state: u32,
}

fn to_secs(t: Option<PrimitiveDateTime>) -> i64 {
    t.map_or(NO_TIME, |t| t.assume_utc().unix_timestamp())
}

fn from_secs(s: i64) -> Option<PrimitiveDateTime> {
    if s == NO_TIME {
        return None;
    }
    time::OffsetDateTime::from_unix_timestamp(s).ok().map(|t| PrimitiveDateTime::new(t.date(), t.time()))
}

/// Per-account usage built from imported jobs (see the module docs).
#[derive(Debug, Clone, Default)]
pub struct UsageBook {
    clusters: Interner<String>,
    accounts: Interner<AccountName>,
    users: Interner<UserName>,
    states: Interner<String>,
    jobs: HashMap<(u32, u64), Entry>,
    /// Exact CPU- and GPU-seconds per account id.
    totals: Vec<(u128, u128)>,
}

impl UsageBook {
    /// An empty book.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// The number of jobs held.
    #[must_use]
    pub fn len(&self) -> usize {
        self.jobs.len()
    }

    /// Whether no job is held.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.jobs.is_empty()
    }

    /// The order that decides which of two versions of a job stays (the greater).
    fn rank(&self, e: &Entry) -> impl Ord + '_ {
        (
            e.end != NO_TIME,
            e.elapsed,
            e.end,
            e.start,
            e.cpus,
            e.gpus,
            self.accounts.value(e.account),
            self.users.value(e.user),
            self.states.value(e.state),
        )
    }

    /// Imports job records (see the module docs for the rule) and says what changed.
    /// `JobIDRaw` values are digits (as [`parse_sacct`] checks); a record whose `job_id` does
    /// not fit in `u64` is counted as stale and ignored.
    pub fn import<I: IntoIterator<Item = JobRecord>>(&mut self, jobs: I) -> ImportSummary {
        let mut summary = ImportSummary::default();
        let mut touched: BTreeMap<u32, AccountImport> = BTreeMap::new();
        for job in jobs {
            let Ok(job_id) = job.job_id.parse::<u64>() else {
                summary.stale_jobs += 1;
                continue;
            };
            let key = (self.clusters.id(&job.cluster), job_id);
            let entry = Entry {
                elapsed: job.elapsed_seconds,
                start: to_secs(job.start),
                end: to_secs(job.end),
                account: self.accounts.id(&job.account),
                user: self.users.id(&job.user),
                cpus: job.alloc_cpus,
                gpus: job.alloc_gpus,
                state: self.states.id(&job.state),
            };
            let old = self.jobs.get(&key).copied();
            if let Some(old) = old {
                if old == entry {
                    summary.unchanged_jobs += 1;
                    continue;
                }
                if self.rank(&entry) < self.rank(&old) {
                    summary.stale_jobs += 1;
                    continue;
                }
                summary.updated_jobs += 1;
                let (cpu, gpu) = usage_of(&old);
                self.add(old.account, cpu, gpu, false);
                let t = touched.entry(old.account).or_default();
                t.removed = t.removed.saturating_add(saturate(cpu, gpu));
            } else {
                summary.new_jobs += 1;
            }
            let (cpu, gpu) = usage_of(&entry);
            self.add(entry.account, cpu, gpu, true);
            let t = touched.entry(entry.account).or_default();
            t.jobs += 1;
            t.added = t.added.saturating_add(saturate(cpu, gpu));
            self.jobs.insert(key, entry);
        }
        for (id, mut t) in touched {
            let (cpu, gpu) = self.totals.get(id as usize).copied().unwrap_or_default();
            t.total = saturate(cpu, gpu);
            summary.per_account.insert(self.accounts.value(id).clone(), t);
        }
        summary
    }

    fn add(&mut self, account: u32, cpu: u128, gpu: u128, plus: bool) {
        let i = account as usize;
        if self.totals.len() <= i {
            self.totals.resize(i + 1, (0, 0));
        }
        let t = &mut self.totals[i];
        if plus {
            t.0 += cpu;
            t.1 += gpu;
        } else {
            // Only what was added before is taken away, so this never goes below zero.
            t.0 -= cpu;
            t.1 -= gpu;
        }
    }

    /// The account's usage (CPU- and GPU-seconds; zero when it has no jobs).
    #[must_use]
    pub fn used(&self, account: &AccountName) -> Usage {
        self.accounts
            .get(account)
            .and_then(|id| self.totals.get(id as usize))
            .map_or(Usage::ZERO, |&(cpu, gpu)| saturate(cpu, gpu))
    }

    /// Every account with jobs and its usage, by name.
    #[must_use]
    pub fn per_account(&self) -> BTreeMap<AccountName, Usage> {
        self.totals
            .iter()
            .enumerate()
            .map(|(id, &(cpu, gpu))| (self.accounts.values[id].clone(), saturate(cpu, gpu)))
            .collect()
    }

    /// Usage per account and month, for the public figures: a job counts in the month it
    /// ended, a running job in the month it started; a job with neither time has not run and
    /// is left out. Per account, the months add up to [`UsageBook::used`] (below `u64::MAX`).
    #[must_use]
    pub fn monthly(&self) -> BTreeMap<(AccountName, YearMonth), Usage> {
        let mut exact: BTreeMap<(u32, YearMonth), (u128, u128)> = BTreeMap::new();
        for e in self.jobs.values() {
            let Some(when) = from_secs(e.end).or_else(|| from_secs(e.start)) else { continue };
            let (cpu, gpu) = usage_of(e);
            let t = exact.entry((e.account, YearMonth::of(when.date()))).or_default();
            t.0 += cpu;
            t.1 += gpu;
        }
        exact
            .into_iter()
            .map(|((a, m), (cpu, gpu))| ((self.accounts.value(a).clone(), m), saturate(cpu, gpu)))
            .collect()
    }

    /// The job kept for `(cluster, job_id)`.
    #[must_use]
    pub fn job(&self, cluster: &str, job_id: &str) -> Option<JobRecord> {
        let key = (self.clusters.get(&cluster.to_owned())?, job_id.parse().ok()?);
        self.jobs.get(&key).map(|e| self.record(key, e))
    }

    /// Every job kept, in no particular order (to store them, or to rebuild a book).
    pub fn jobs(&self) -> impl Iterator<Item = JobRecord> + '_ {
        self.jobs.iter().map(|(&k, e)| self.record(k, e))
    }

    fn record(&self, (cluster, job_id): (u32, u64), e: &Entry) -> JobRecord {
        JobRecord {
            job_id: job_id.to_string(),
            cluster: self.clusters.value(cluster).clone(),
            account: self.accounts.value(e.account).clone(),
            user: self.users.value(e.user).clone(),
            elapsed_seconds: e.elapsed,
            alloc_cpus: e.cpus,
            alloc_gpus: e.gpus,
            start: from_secs(e.start),
            end: from_secs(e.end),
            state: self.states.value(e.state).clone(),
        }
    }
}

fn usage_of(e: &Entry) -> (u128, u128) {
    (u128::from(e.cpus) * u128::from(e.elapsed), u128::from(e.gpus) * u128::from(e.elapsed))
}

fn saturate(cpu: u128, gpu: u128) -> Usage {
    Usage {
        cpu_seconds: u64::try_from(cpu).unwrap_or(u64::MAX),
        gpu_seconds: u64::try_from(gpu).unwrap_or(u64::MAX),
    }
}
