//! The national compute grid: requests for CPU- and GPU-hours are the `compute-allocation` case
//! type (`mizan_cases::CaseType::compute_allocation`); an approval records an allocation in the
//! same transaction; the allocations become Slurm accounts through a two-step sync
//! ([`Platform::grid_sync`]); usage comes back from `sacct` in idempotent imports committed to
//! in the events log ([`Platform::grid_import`]); and the public figures are computed from those
//! records ([`Platform::grid_figures`]).
//!
//! `mizan-grid` decides (names, the cluster state allocations call for, the exact `sacctmgr`
//! operations, parsing, balances, figures); this module reads and writes the records and runs
//! Slurm's own tools ([`Slurm`]) with the arguments `mizan-grid` gives, never through a shell.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::Duration as StdDuration;

use mizan_cases::{Case, CaseType, Entry, Move};
use mizan_grid::{
    AccountName, Balance, Criterion, FastTrack, Figures, GrantRow, InstitutionKind, Period, Province,
    SlurmState, SyncPlan, TresMinutes, Usage, UsageRow, UserName, YearMonth,
};
use mizan_store::{
    GridAllocation, GridImportSummary, GridInstitution, GridResource, NewCase, NewGridAllocation,
    NewGridImport, NewGridJob, Principal, QueueFilter, Store, StoredCase,
};
use time::Date;

use crate::appeals::{apply_move, new_case_reference, projection, random_hex, text_field};
use crate::{Error, Platform};

/// The case type's name.
pub const COMPUTE_ALLOCATION: &str = "compute-allocation";

/// The case roles of the type (`types/compute-allocation.yaml`).
pub mod roles {
    /// The person asking, a member of a registered institution.
    pub const APPLICANT: &str = "applicant";
    /// A grid reviewer of the resource's operator (`grid:review`).
    pub const REVIEWER: &str = "grid-reviewer";
    /// Another member of the applicant's institution: sees the request, makes no move.
    pub const COLLEAGUE: &str = "colleague";
}

/// A startup's first request: a small fixed amount, decided within 5 days.
pub const FAST_TRACK: FastTrack = FastTrack { cpu_hours: 2_000, gpu_hours: 100, max_days: 5 };

/// Longest allocation, in days.
pub const MAX_DAYS: i64 = 366;

/// Most members (logins) of one project, the principal investigator included.
pub const MAX_MEMBERS: usize = 20;

/// Most hours of either kind one request may ask for.
pub const MAX_HOURS: u64 = 10_000_000;

/// Longest project title, in characters.
pub const MAX_TITLE: usize = 200;

/// The published criteria requests are scored against (`grid-criteria.json`).
///
/// # Panics
/// Never: the embedded file is checked by this crate's tests.
#[must_use]
pub fn criteria() -> &'static [Criterion] {
    static CRITERIA: std::sync::OnceLock<Vec<Criterion>> = std::sync::OnceLock::new();
    CRITERIA
        .get_or_init(|| serde_json::from_str(include_str!("grid-criteria.json")).expect("grid-criteria.json"))
}

/// The events-log subject of a cluster's records.
#[must_use]
pub fn subject_of(cluster: &str) -> String {
    format!("grid:{cluster}")
}

/// A request as filed.
#[derive(Debug, Clone, Default)]
pub struct ComputeRequestIn {
    /// The resource asked for.
    pub resource_id: i64,
    /// The project's title.
    pub title: String,
    /// Why it needs the grid, and what it will do with it.
    pub justification: String,
    /// CPU-hours asked for (as typed).
    pub cpu_hours: String,
    /// GPU-hours asked for (as typed).
    pub gpu_hours: String,
    /// First day, `YYYY-MM-DD`.
    pub starts_on: String,
    /// Last day, `YYYY-MM-DD`.
    pub ends_on: String,
    /// The members' cluster logins, the principal investigator first.
    pub members: Vec<String>,
    /// `en` or `ur`.
    pub lang: String,
}

/// What the opening entry says, read back.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ComputeTerms {
    /// The resource.
    pub resource_id: i64,
    /// The project's title.
    pub title: String,
    /// The justification.
    pub justification: String,
    /// CPU-hours asked for.
    pub cpu_hours: u64,
    /// GPU-hours asked for.
    pub gpu_hours: u64,
    /// First day.
    pub starts_on: String,
    /// Last day.
    pub ends_on: String,
    /// Cluster logins, the principal investigator first.
    pub members: Vec<String>,
}

/// A reviewer's decision.
#[derive(Debug, Clone, Default)]
pub struct ComputeDecisionIn {
    /// Points per criterion id (as typed).
    pub scores: Vec<(String, String)>,
    /// CPU-hours granted (approvals).
    pub cpu_hours: String,
    /// GPU-hours granted (approvals).
    pub gpu_hours: String,
    /// Reasons, shown to the applicant.
    pub reasons: String,
}

/// A request as someone allowed to see it sees it.
#[derive(Debug, Clone)]
pub struct ComputeView {
    /// The case.
    pub case: StoredCase,
    /// What was asked.
    pub terms: ComputeTerms,
    /// The history, oldest first.
    pub history: Vec<Entry>,
    /// The viewer's role.
    pub role: String,
    /// The moves open to the viewer now.
    pub moves: Vec<String>,
    /// The resource asked for.
    pub resource: Option<GridResource>,
    /// The allocation granted, with its balance.
    pub allocation: Option<(GridAllocation, Balance)>,
}

/// What a sync did or would do.
#[derive(Debug, Clone)]
pub struct SyncReport {
    /// The cluster.
    pub cluster: String,
    /// The plan: what differs, in `sacctmgr` terms.
    pub plan: SyncPlan,
    /// Whether it was applied.
    pub applied: bool,
}

/// Slurm's own command-line tools, run without a shell, with `SLURM_CONF` and the rest of the
/// environment as the process has them.
#[derive(Debug, Clone, Default)]
pub struct Slurm {
    /// Where `sacctmgr` and `sacct` are; `None` for the `PATH`.
    pub bin_dir: Option<PathBuf>,
    /// The cluster's `slurm.conf`; `None` for `SLURM_CONF` as the process has it (or Slurm's
    /// default).
    pub conf: Option<PathBuf>,
}

/// How often the server syncs Slurm when nothing changed (allocations start and end by date).
pub const SYNC_EVERY: StdDuration = StdDuration::from_secs(300);

/// How often the server imports usage from `sacct`.
pub const IMPORT_EVERY: StdDuration = StdDuration::from_secs(600);

/// How long one Slurm command may take.
const SLURM_TIMEOUT: StdDuration = StdDuration::from_secs(60);

impl Slurm {
    /// Runs `tool` with `args`; its standard output.
    ///
    /// # Errors
    /// [`Error::Unavailable`] when the tool cannot be run, fails or takes too long, with its
    /// own message.
    pub async fn run(&self, tool: &str, args: &[String]) -> Result<String, Error> {
        let program = self.bin_dir.as_ref().map_or_else(|| PathBuf::from(tool), |d| d.join(tool));
        let mut cmd = tokio::process::Command::new(&program);
        // sacct prints local times without an offset: in UTC they are what Mizan stores.
        cmd.args(args).env("TZ", "UTC").kill_on_drop(true).stdin(std::process::Stdio::null());
        if let Some(conf) = &self.conf {
            cmd.env("SLURM_CONF", conf);
        }
        let out = tokio::time::timeout(SLURM_TIMEOUT, cmd.output())
            .await
            .map_err(|_| {
                Error::Unavailable(format!("`{tool}` took longer than {}s", SLURM_TIMEOUT.as_secs()))
            })?
            .map_err(|e| Error::Unavailable(format!("cannot run `{}`: {e}", program.display())))?;
        if !out.status.success() {
            let err = String::from_utf8_lossy(&out.stderr);
            let shown: String = err.trim().chars().take(500).collect();
            return Err(Error::Unavailable(format!("`{tool} {}` failed: {shown}", args.join(" "))));
        }
        String::from_utf8(out.stdout)
            .map_err(|_| Error::Unavailable(format!("`{tool}` wrote text that is not UTF-8")))
    }
}

fn parse_hours(field: &str, text: &str) -> Result<u64, Error> {
    let t = text.trim().replace(',', "");
    let n: u64 = t.parse().map_err(|_| Error::bad(field, "must be a whole number of hours"))?;
    if n > MAX_HOURS {
        return Err(Error::bad(field, format!("at most {MAX_HOURS} hours")));
    }
    Ok(n)
}

fn parse_day(field: &str, text: &str) -> Result<Date, Error> {
    let f = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(text.trim(), &f).map_err(|_| Error::bad(field, "must be a date, YYYY-MM-DD"))
}

/// A stored date (`YYYY-MM-DD`), or `Date::MIN` for a damaged one (which no period contains).
fn day(text: &str) -> Date {
    parse_day("", text).unwrap_or(Date::MIN)
}

pub(crate) fn parse_terms(e: &Entry) -> ComputeTerms {
    let get = |k: &str| e.fields.get(k).cloned().unwrap_or_default();
    ComputeTerms {
        resource_id: get("resource").parse().unwrap_or(0),
        title: get("title"),
        justification: get("justification"),
        cpu_hours: get("cpu_hours").parse().unwrap_or(0),
        gpu_hours: get("gpu_hours").parse().unwrap_or(0),
        starts_on: get("starts_on"),
        ends_on: get("ends_on"),
        members: get("members").split(", ").filter(|v| !v.is_empty()).map(str::to_owned).collect(),
    }
}

fn kind_of(i: &GridInstitution) -> InstitutionKind {
    i.kind.parse().unwrap_or(InstitutionKind::PublicBody)
}

fn province_of(i: &GridInstitution) -> Province {
    i.province.parse().unwrap_or(Province::IslamabadCapitalTerritory)
}

impl Platform {
    /// The institution `org_id` is registered as, if any.
    ///
    /// # Errors
    /// Database errors.
    pub async fn grid_institution(&self, org_id: i64) -> Result<Option<GridInstitution>, Error> {
        Ok(self.store().grid_institutions().await?.into_iter().find(|i| i.org_id == org_id))
    }

    /// Registers an organisation with the grid (or corrects its kind and province); its Slurm
    /// account is derived from its slug.
    ///
    /// # Errors
    /// [`Error::BadRequest`] for an unknown kind or province; [`Error::NotFound`] for an unknown
    /// organisation.
    pub async fn set_grid_institution(&self, slug: &str, kind: &str, province: &str) -> Result<(), Error> {
        register_institution(self.store(), slug, kind, province).await
    }

    /// Every resource of the grid.
    ///
    /// # Errors
    /// Database errors.
    pub async fn grid_resources(&self) -> Result<Vec<GridResource>, Error> {
        Ok(self.store().grid_resources().await?)
    }

    /// Files a request by `p` for its institution. Returns the case's reference. A startup's first
    /// request that fits the fast track's amount goes on the fast track.
    ///
    /// # Errors
    /// [`Error::Refused`] when `p`'s organisation is not registered with the grid or `p` is not a
    /// signed-in person; [`Error::BadRequest`] naming the field.
    pub async fn request_compute(&self, p: &Principal, input: ComputeRequestIn) -> Result<String, Error> {
        let Some(user) = p.user.as_ref() else {
            return Err(Error::Refused("a request for compute is made by a signed-in person".into()));
        };
        let Some(inst) = self.grid_institution(p.org.id).await? else {
            return Err(Error::Refused(format!(
                "{} is not registered with the national compute grid; ask the grid's operator to register it",
                p.org.name
            )));
        };
        let resources = self.grid_resources().await?;
        let Some(resource) = resources.iter().find(|r| r.id == input.resource_id) else {
            return Err(Error::bad("resource", "choose one of the grid's resources"));
        };
        let title = text_field("title", &input.title, true)?;
        if title.chars().count() > MAX_TITLE {
            return Err(Error::bad("title", format!("at most {MAX_TITLE} characters")));
        }
        let justification = text_field("justification", &input.justification, true)?;
        let cpu_hours = parse_hours("cpu_hours", &input.cpu_hours)?;
        let gpu_hours = parse_hours("gpu_hours", &input.gpu_hours)?;
        if cpu_hours == 0 && gpu_hours == 0 {
            return Err(Error::bad("cpu_hours", "ask for some CPU-hours or GPU-hours"));
        }
        if gpu_hours > 0 && resource.new.gpus == 0 {
            return Err(Error::bad("gpu_hours", "this resource has no GPUs"));
        }
        let starts = parse_day("starts_on", &input.starts_on)?;
        let ends = parse_day("ends_on", &input.ends_on)?;
        if ends < starts {
            return Err(Error::bad("ends_on", "must not be before the first day"));
        }
        if (ends - starts).whole_days() >= MAX_DAYS {
            return Err(Error::bad("ends_on", format!("an allocation runs at most {MAX_DAYS} days")));
        }
        if starts < self.now().date() {
            return Err(Error::bad("starts_on", "must not be in the past"));
        }
        let mut members: Vec<String> = Vec::new();
        for (i, m) in input.members.iter().map(|m| m.trim()).filter(|m| !m.is_empty()).enumerate() {
            let name = UserName::new(m).map_err(|e| Error::bad(format!("members[{i}]"), e.to_string()))?;
            if !members.iter().any(|x| x == name.as_str()) {
                members.push(name.as_str().to_owned());
            }
        }
        if members.is_empty() {
            return Err(Error::bad("members", "name at least the principal investigator's cluster login"));
        }
        if members.len() > MAX_MEMBERS {
            return Err(Error::bad("members", format!("at most {MAX_MEMBERS} logins")));
        }
        let previous =
            self.store().grid_allocations().await?.iter().filter(|a| a.new.org_id == inst.org_id).count();
        let fast = mizan_grid::fast_track_eligible(kind_of(&inst), previous)
            && FAST_TRACK.fits(TresMinutes::from_hours(cpu_hours, gpu_hours));
        let t = CaseType::compute_allocation();
        let fields = BTreeMap::from([
            ("resource".to_owned(), resource.id.to_string()),
            ("cluster".to_owned(), resource.new.cluster.clone()),
            ("title".to_owned(), title),
            ("justification".to_owned(), justification),
            ("cpu_hours".to_owned(), cpu_hours.to_string()),
            ("gpu_hours".to_owned(), gpu_hours.to_string()),
            ("starts_on".to_owned(), starts.to_string()),
            ("ends_on".to_owned(), ends.to_string()),
            ("members".to_owned(), members.join(", ")),
        ]);
        let mut case = Case::open(t, roles::APPLICANT, fields, self.now());
        if fast {
            let m = Move {
                name: "fast_track".into(),
                role: mizan_cases::SYSTEM.into(),
                fields: BTreeMap::new(),
                at: self.now(),
            };
            apply_move(t, &mut case, &m)?;
        }
        let key = random_hex(32);
        let new = NewCase {
            reference: new_case_reference("GR"),
            case_type: t.name.clone(),
            type_version: i64::from(t.version),
            org_id: inst.org_id,
            system_id: None,
            system_version: 0,
            subject: subject_of(&resource.new.cluster),
            token_hash: String::new(),
            entry_key: key.clone(),
            lang: if input.lang == "ur" { "ur" } else { "en" }.to_owned(),
            contact_email: None,
            contact_phone: None,
            publish_consent: false,
            grounds_category: String::new(),
            document: None,
        };
        let entries = Self::entries_for(&key, 0, &case, Some(user.id))?;
        self.case_writer.open(new.clone(), entries, projection(t, &case, None)).await?;
        Ok(new.reference)
    }

    /// A request as `p` may see it: its applicant or a colleague at the institution, or a grid
    /// reviewer of the resource's operator.
    ///
    /// # Errors
    /// [`Error::NotFound`] when `p` may not see it (or it does not exist).
    pub async fn compute_request(&self, reference: &str, p: &Principal) -> Result<ComputeView, Error> {
        let (case, c, role, resource) = self.load_compute(reference, p).await?;
        let t = CaseType::compute_allocation();
        let terms = c.history.first().map(parse_terms).unwrap_or_default();
        let moves = t.moves_for(&case.projection.state, role).iter().map(|m| m.name.clone()).collect();
        let allocation = match self.store().grid_allocation_of(case.id).await? {
            Some(a) => {
                let used = self.grid_used().await?.remove(&a.new.account).unwrap_or_default();
                let budget = budget_of(&a);
                Some((a, Balance::new(budget, used)))
            }
            None => None,
        };
        Ok(ComputeView {
            case,
            terms,
            history: c.history,
            role: role.to_owned(),
            moves,
            resource,
            allocation,
        })
    }

    async fn load_compute(
        &self,
        reference: &str,
        p: &Principal,
    ) -> Result<(StoredCase, Case, &'static str, Option<GridResource>), Error> {
        let not_found = || Error::NotFound(format!("compute request `{reference}`"));
        let (mut case, mut entries) = match self.store().case_by_reference(reference).await {
            Ok(x) => x,
            Err(mizan_store::StoreError::NotFound { .. }) => return Err(not_found()),
            Err(e) => return Err(e.into()),
        };
        if case.case_type != COMPUTE_ALLOCATION {
            return Err(not_found());
        }
        let terms = Self::replay(&case, &entries)?
            .and_then(|c| c.history.first().map(parse_terms))
            .unwrap_or_default();
        let resource = self.grid_resources().await?.into_iter().find(|r| r.id == terms.resource_id);
        let user = p.user.as_ref().map(|u| u.id);
        let role = if user.is_some() && entries.first().and_then(|e| e.actor_user) == user {
            roles::APPLICANT
        } else if p.can("grid:review") && resource.as_ref().is_some_and(|r| r.new.operator_org_id == p.org.id)
        {
            roles::REVIEWER
        } else if p.user.is_some() && p.org.id == case.org_id {
            roles::COLLEAGUE
        } else {
            return Err(not_found());
        };
        let now = mizan_store::format_time(self.now());
        if case.projection.next_due_at.as_deref().is_some_and(|due| due <= now.as_str()) {
            match self.tick_appeal(reference).await {
                Ok(_) | Err(Error::Conflict(_)) => {}
                Err(e) => return Err(e),
            }
            (case, entries) = self.store().case_by_reference(reference).await?;
        }
        let c = Self::replay(&case, &entries)?
            .ok_or_else(|| Error::Conflict(format!("compute request `{reference}` was erased")))?;
        Ok((case, c, role, resource))
    }

    /// Makes move `name` (`approve`, `refuse` or `withdraw`) on a request for `p`. An approval
    /// scores every published criterion, grants at most what was asked (a fast-track request at
    /// most the fast track's amount) and records the allocation with the move, in one
    /// transaction.
    ///
    /// # Errors
    /// As [`Platform::compute_request`]; [`Error::Conflict`] for a move not open to `p` now;
    /// [`Error::BadRequest`] naming the field.
    pub async fn move_compute_request(
        &self,
        reference: &str,
        p: &Principal,
        name: &str,
        input: ComputeDecisionIn,
    ) -> Result<ComputeView, Error> {
        let (case, mut c, role, resource) = self.load_compute(reference, p).await?;
        let t = CaseType::compute_allocation();
        if !t.moves_for(&case.projection.state, role).iter().any(|m| m.name == name) {
            return Err(Error::Conflict(format!(
                "`{name}` is not open to you on this request now (it is {})",
                case.projection.state
            )));
        }
        let key = case
            .entry_key
            .clone()
            .ok_or_else(|| Error::Conflict("this request's record was erased".into()))?;
        let terms = c.history.first().map(parse_terms).unwrap_or_default();
        let mut fields = BTreeMap::new();
        let reasons = text_field("reasons", &input.reasons, name != "withdraw")?;
        if !reasons.is_empty() {
            fields.insert("reasons".to_owned(), reasons);
        }
        let mut granted = None;
        if name == "approve" || name == "refuse" {
            let mut scores: Vec<(&str, u32)> = Vec::new();
            for (id, text) in &input.scores {
                let field = format!("scores.{id}");
                let n: u32 = text.trim().parse().map_err(|_| Error::bad(&field, "must be a whole number"))?;
                scores.push((id.as_str(), n));
            }
            let score = mizan_grid::weighted_score(criteria(), &scores)
                .map_err(|e| Error::bad("scores", e.to_string()))?;
            let detail: Vec<String> = scores.iter().map(|(id, n)| format!("{id}={n}")).collect();
            fields.insert("scores".to_owned(), detail.join(", "));
            fields.insert("score_per_mille".to_owned(), score.per_mille.to_string());
        }
        if name == "approve" {
            let cpu = parse_hours("cpu_hours", &input.cpu_hours)?;
            let gpu = parse_hours("gpu_hours", &input.gpu_hours)?;
            if cpu > terms.cpu_hours {
                return Err(Error::bad("cpu_hours", format!("at most the {} asked for", terms.cpu_hours)));
            }
            if gpu > terms.gpu_hours {
                return Err(Error::bad("gpu_hours", format!("at most the {} asked for", terms.gpu_hours)));
            }
            if cpu == 0 && gpu == 0 {
                return Err(Error::bad("cpu_hours", "grant some hours, or refuse the request"));
            }
            fields.insert("cpu_hours".to_owned(), cpu.to_string());
            fields.insert("gpu_hours".to_owned(), gpu.to_string());
            granted = Some((cpu, gpu));
        }
        let start = c.history.len();
        let m = Move { name: name.to_owned(), role: role.to_owned(), fields, at: self.now() };
        apply_move(t, &mut c, &m)?;
        let user = p.user.as_ref().map(|u| u.id);
        let new = Self::entries_for(&key, start, &c, user)?;
        let proj = projection(t, &c, Some(&case.projection));
        match granted {
            Some((cpu, gpu)) => {
                let resource =
                    resource.ok_or_else(|| Error::Conflict("the resource asked for is gone".into()))?;
                let account =
                    AccountName::for_project(&case.reference).map_err(|e| Error::Internal(e.to_string()))?;
                let minutes = TresMinutes::from_hours(cpu, gpu);
                let to_i64 = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
                let alloc = NewGridAllocation {
                    org_id: case.org_id,
                    resource_id: resource.id,
                    account: account.as_str().to_owned(),
                    title: terms.title.clone(),
                    users: terms.members.join(","),
                    cpu_minutes: to_i64(minutes.cpu),
                    gpu_minutes: to_i64(minutes.gpu),
                    starts_on: terms.starts_on.clone(),
                    ends_on: terms.ends_on.clone(),
                };
                self.store().approve_with_allocation(&case, &new, &proj, &alloc).await?;
                self.grid_changed();
            }
            None => self.store().append_case(None, &case, 0, &new, &proj).await?,
        }
        self.compute_request(reference, p).await
    }

    /// The requests `p` may act on or watch: for a grid reviewer every open request to its
    /// organisation's resources, earliest deadline first; for an institution's member its
    /// institution's requests, newest first.
    ///
    /// # Errors
    /// Database errors.
    pub async fn compute_queue(&self, p: &Principal) -> Result<Vec<StoredCase>, Error> {
        if p.can("grid:review") {
            let clusters: BTreeSet<String> = self
                .grid_resources()
                .await?
                .into_iter()
                .filter(|r| r.new.operator_org_id == p.org.id)
                .map(|r| subject_of(&r.new.cluster))
                .collect();
            let open =
                self.store().case_queue(None, COMPUTE_ALLOCATION, &[], QueueFilter::Open, 500, 0).await?;
            return Ok(open.into_iter().filter(|c| clusters.contains(&c.subject)).collect());
        }
        Ok(self
            .store()
            .case_queue(Some(p.scope()), COMPUTE_ALLOCATION, &[], QueueFilter::All, 200, 0)
            .await?)
    }

    /// The project titles of `cases`, in order, from each opening entry (empty for an erased
    /// case).
    ///
    /// # Errors
    /// Database errors.
    pub async fn compute_titles(&self, cases: &[StoredCase]) -> Result<Vec<String>, Error> {
        let mut out = Vec::with_capacity(cases.len());
        for c in cases {
            let (case, entries) = self.store().case_by_reference(&c.reference).await?;
            let title = Self::replay(&case, &entries)?
                .and_then(|k| k.history.first().map(|e| parse_terms(e).title))
                .unwrap_or_default();
            out.push(title);
        }
        Ok(out)
    }

    /// Every request, newest first (the public figures' source and the demo's overview).
    ///
    /// # Errors
    /// Database errors.
    pub async fn compute_requests(&self) -> Result<Vec<StoredCase>, Error> {
        Ok(self.store().case_queue(None, COMPUTE_ALLOCATION, &[], QueueFilter::All, 1000, 0).await?)
    }

    /// Every allocation of `org_id` with its balance.
    ///
    /// # Errors
    /// Database errors.
    pub async fn grid_projects(&self, org_id: i64) -> Result<Vec<(GridAllocation, Balance)>, Error> {
        let mut used = self.grid_used().await?;
        Ok(self
            .store()
            .grid_allocations()
            .await?
            .into_iter()
            .filter(|a| a.new.org_id == org_id)
            .map(|a| {
                let u = used.remove(&a.new.account).unwrap_or_default();
                let b = Balance::new(budget_of(&a), u);
                (a, b)
            })
            .collect())
    }

    /// Usage per Slurm account, from every imported job.
    async fn grid_used(&self) -> Result<BTreeMap<String, Usage>, Error> {
        let mut out: BTreeMap<String, Usage> = BTreeMap::new();
        for u in self.store().grid_usage().await? {
            let e = out.entry(u.account).or_default();
            *e = e.saturating_add(usage_of(u.cpu_seconds, u.gpu_seconds));
        }
        Ok(out)
    }

    /// The public figures: allocations and hours granted and used per province, institution
    /// kind, sector and month, and utilisation, from the first allocation's month to this one.
    ///
    /// # Errors
    /// Database errors.
    pub async fn grid_figures(&self) -> Result<Figures, Error> {
        let institutions = self.store().grid_institutions().await?;
        let by_account: BTreeMap<&str, &GridInstitution> =
            institutions.iter().map(|i| (i.account.as_str(), i)).collect();
        let allocations = self.store().grid_allocations().await?;
        let grants: Vec<GrantRow> = allocations
            .iter()
            .filter_map(|a| {
                let i = institutions.iter().find(|i| i.org_id == a.new.org_id)?;
                Some(GrantRow {
                    province: province_of(i),
                    kind: kind_of(i),
                    starts: day(&a.new.starts_on),
                    budget: budget_of(a),
                })
            })
            .collect();
        let project_inst: BTreeMap<&str, &GridInstitution> = allocations
            .iter()
            .filter_map(|a| Some((a.new.account.as_str(), *by_account.get(a.institution_account.as_str())?)))
            .collect();
        let usage: Vec<UsageRow> = self
            .store()
            .grid_usage()
            .await?
            .into_iter()
            .filter_map(|u| {
                let i = project_inst.get(u.account.as_str())?;
                let month = day(&format!("{}-01", u.month));
                Some(UsageRow {
                    province: province_of(i),
                    kind: kind_of(i),
                    month: YearMonth::of(month),
                    used: usage_of(u.cpu_seconds, u.gpu_seconds),
                })
            })
            .collect();
        let resources: Vec<mizan_grid::Resource> = self
            .grid_resources()
            .await?
            .iter()
            .map(|r| mizan_grid::Resource {
                cluster: r.new.cluster.clone(),
                partition: r.new.partition.clone(),
                cpus: u32::try_from(r.new.cpus).unwrap_or(0),
                gpus: u32::try_from(r.new.gpus).unwrap_or(0),
                memory_mb: u64::try_from(r.new.memory_mb).unwrap_or(0),
            })
            .collect();
        let today = self.now().date();
        let first = grants.iter().map(|g| g.starts).min().unwrap_or(today).min(today);
        let period = Period { first: YearMonth::of(first), last: YearMonth::of(today) };
        Ok(mizan_grid::figures(&grants, &usage, &resources, period))
    }

    /// Compares what the allocations on `cluster` call for with what Slurm has, and unless
    /// `dry_run` applies the difference ([`sync`]).
    ///
    /// # Errors
    /// As [`sync`].
    pub async fn grid_sync(&self, slurm: &Slurm, cluster: &str, dry_run: bool) -> Result<SyncReport, Error> {
        sync(self.store(), slurm, cluster, self.now().date(), dry_run).await
    }

    /// Imports the jobs `sacct` reports on `cluster` in a window ([`import`]).
    ///
    /// # Errors
    /// As [`import`].
    pub async fn grid_import(
        &self,
        slurm: &Slurm,
        cluster: &str,
        window: (&str, &str),
        actor: &str,
    ) -> Result<GridImportSummary, Error> {
        import(self.store(), slurm, cluster, window, actor).await
    }

    /// Imports `sacct` output ([`import_text`]).
    ///
    /// # Errors
    /// As [`import_text`].
    pub async fn grid_import_text(
        &self,
        cluster: &str,
        text: &str,
        window: (&str, &str),
        actor: &str,
    ) -> Result<GridImportSummary, Error> {
        import_text(self.store(), cluster, text, window, actor).await
    }

    /// The server's grid tasks, run until the process ends: a sync of every cluster when an
    /// allocation changes (at once) and every [`SYNC_EVERY`] (dates start and end allocations),
    /// and a usage import of the last two days every [`IMPORT_EVERY`]. Failures are logged and
    /// retried on the next round; Slurm's own limits keep enforcing meanwhile.
    pub async fn run_grid_tasks(self, slurm: Slurm) {
        let mut next_import = tokio::time::Instant::now();
        loop {
            let clusters: BTreeSet<String> = match self.grid_resources().await {
                Ok(r) => r.into_iter().map(|r| r.new.cluster).collect(),
                Err(e) => {
                    tracing::error!(error = %e, "grid: cannot read the resources");
                    BTreeSet::new()
                }
            };
            for c in &clusters {
                match self.grid_sync(&slurm, c, false).await {
                    Ok(r) if !r.plan.is_empty() => {
                        tracing::info!(cluster = %c, operations = r.plan.ops.len(), "grid: Slurm synced");
                    }
                    Ok(_) => {}
                    Err(e) => tracing::error!(cluster = %c, error = %e, "grid: sync failed"),
                }
            }
            if tokio::time::Instant::now() >= next_import {
                let now = self.now();
                let fmt = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
                let from = (now - time::Duration::days(2)).format(&fmt).unwrap_or_default();
                let to = now.format(&fmt).unwrap_or_default();
                for c in &clusters {
                    match self.grid_import(&slurm, c, (&from, &to), "scheduler").await {
                        Ok(s) if s.jobs_new > 0 => {
                            tracing::info!(cluster = %c, jobs = s.jobs_new, "grid: usage imported");
                        }
                        Ok(_) => {}
                        Err(e) => tracing::error!(cluster = %c, error = %e, "grid: usage import failed"),
                    }
                }
                next_import = tokio::time::Instant::now() + IMPORT_EVERY;
            }
            let _ = tokio::time::timeout(SYNC_EVERY, self.grid_changes()).await;
        }
    }

    /// Tells the sync task that the allocations changed.
    fn grid_changed(&self) {
        self.grid_notify.notify_one();
    }

    /// Waits until the allocations change (an approval), for the server's sync task.
    pub async fn grid_changes(&self) {
        self.grid_notify.notified().await;
    }
}

/// The Slurm state the allocations on `cluster` call for today.
///
/// # Errors
/// Database errors; [`Error::Internal`] for a stored name Slurm would not accept.
pub async fn desired(store: &Store, cluster: &str, today: Date) -> Result<SlurmState, Error> {
    let resources = store.grid_resources().await?;
    let on: BTreeSet<i64> = resources.iter().filter(|r| r.new.cluster == cluster).map(|r| r.id).collect();
    let bad = |e: mizan_grid::NameError| Error::Internal(format!("a stored Slurm name: {e}"));
    let mut out = Vec::new();
    for a in store.grid_allocations().await?.into_iter().filter(|a| on.contains(&a.new.resource_id)) {
        let users =
            a.new.users.split(',').filter(|u| !u.is_empty()).map(UserName::new).collect::<Result<_, _>>();
        out.push(mizan_grid::Allocation {
            project: AccountName::new(&a.new.account).map_err(bad)?,
            institution: AccountName::new(&a.institution_account).map_err(bad)?,
            institution_name: a.institution.clone(),
            project_title: a.new.title.clone(),
            users: users.map_err(bad)?,
            budget: budget_of(&a),
            starts: day(&a.new.starts_on),
            ends: day(&a.new.ends_on),
        });
    }
    Ok(mizan_grid::desired_state(&out, today))
}

/// Compares what the allocations on `cluster` call for with what Slurm has (read with
/// `sacctmgr`), and unless `dry_run` applies the difference, one `sacctmgr -i` operation at a
/// time in the plan's order.
///
/// # Errors
/// [`Error::Unavailable`] when Slurm's tools fail (the operations before the failing one are
/// applied; the next sync plans the rest).
pub async fn sync(
    store: &Store,
    slurm: &Slurm,
    cluster: &str,
    today: Date,
    dry_run: bool,
) -> Result<SyncReport, Error> {
    let desired = desired(store, cluster, today).await?;
    let assoc = slurm.run("sacctmgr", &mizan_grid::assoc_args(cluster)).await?;
    let accounts = slurm.run("sacctmgr", &mizan_grid::account_args()).await?;
    let actual = mizan_grid::parse_state(&assoc, &accounts)
        .map_err(|e| Error::Unavailable(format!("sacctmgr's output: {e}")))?;
    let plan = mizan_grid::plan(&desired, &actual);
    if !dry_run {
        for op in &plan.ops {
            // `-i`: commit at once; without it sacctmgr asks on its standard input.
            let mut args = vec!["-i".to_owned()];
            args.extend(op.sacctmgr_args_on(cluster));
            slurm.run("sacctmgr", &args).await?;
        }
    }
    Ok(SyncReport { cluster: cluster.to_owned(), plan, applied: !dry_run })
}

/// Imports the jobs `sacct` reports on `cluster` between `start` and `end` (RFC 3339 or
/// `sacct`'s own `YYYY-MM-DDTHH:MM:SS`).
///
/// # Errors
/// [`Error::Unavailable`] when `sacct` fails or writes what does not parse; nothing is
/// recorded then.
pub async fn import(
    store: &Store,
    slurm: &Slurm,
    cluster: &str,
    (start, end): (&str, &str),
    actor: &str,
) -> Result<GridImportSummary, Error> {
    let text = slurm.run("sacct", &mizan_grid::sacct_args(cluster, start, end)).await?;
    import_text(store, cluster, &text, (start, end), actor).await
}

/// Imports `sacct` output (`mizan_grid::SACCT_FORMAT`, `-P -n`): the finished jobs, each
/// once however often it is imported, their totals per account committed to in the events
/// log. Running and pending jobs are left for a later import, when they have ended.
///
/// # Errors
/// [`Error::BadRequest`] naming the line for output that does not parse (nothing recorded);
/// [`Error::NotFound`] for a cluster the grid has no resource on.
pub async fn import_text(
    store: &Store,
    cluster: &str,
    text: &str,
    window: (&str, &str),
    actor: &str,
) -> Result<GridImportSummary, Error> {
    let resources = store.grid_resources().await?;
    let Some(resource) = resources.iter().find(|r| r.new.cluster == cluster) else {
        return Err(Error::NotFound(format!("cluster `{cluster}` on the grid")));
    };
    let mut jobs = Vec::new();
    for r in mizan_grid::parse_sacct(text) {
        let j = r.map_err(|e| Error::BadRequest { field: None, detail: format!("sacct output: {e}") })?;
        if j.cluster != cluster || !j.is_finished() {
            continue;
        }
        let Some(end) = j.end else { continue };
        let to_i64 = |v: u128| i64::try_from(v).unwrap_or(i64::MAX);
        jobs.push(NewGridJob {
            job_id: j.job_id.clone(),
            account: j.account.as_str().to_owned(),
            user: j.user.as_str().to_owned(),
            elapsed_seconds: i64::try_from(j.elapsed_seconds).unwrap_or(i64::MAX),
            cpu_seconds: to_i64(j.cpu_seconds()),
            gpu_seconds: to_i64(j.gpu_seconds()),
            ended_at: mizan_store::format_time(end.assume_utc()),
            state: j.state.clone(),
        });
    }
    let subject = subject_of(cluster);
    let import = NewGridImport {
        cluster,
        window,
        jobs: &jobs,
        org_id: resource.new.operator_org_id,
        subject: &subject,
        actor_name: actor,
    };
    Ok(store
        .record_grid_import(&import, |per| {
            let parts: Vec<String> = per
                .iter()
                .map(|(a, n, cpu, gpu)| format!("{a}: {n} jobs, {cpu} cpu-seconds, {gpu} gpu-seconds"))
                .collect();
            format!("usage import of {cluster} from {} to {}: {}", window.0, window.1, parts.join("; "))
        })
        .await?)
}

/// Registers the organisation `slug` with the grid as `kind` in `province` (or corrects them);
/// its Slurm account is derived from its slug.
///
/// # Errors
/// [`Error::BadRequest`] for an unknown kind or province; [`Error::NotFound`] for an unknown
/// organisation.
pub async fn register_institution(
    store: &Store,
    slug: &str,
    kind: &str,
    province: &str,
) -> Result<(), Error> {
    let org = store.org_by_slug(slug).await.map_err(|_| Error::NotFound(format!("organisation `{slug}`")))?;
    let kind: InstitutionKind =
        kind.parse().map_err(|e: mizan_grid::UnknownCode| Error::bad("kind", e.to_string()))?;
    let province: Province =
        province.parse().map_err(|e: mizan_grid::UnknownCode| Error::bad("province", e.to_string()))?;
    let account = AccountName::for_institution(slug).map_err(|e| Error::bad("slug", e.to_string()))?;
    store.set_grid_institution(org.id, kind.as_str(), province.as_str(), account.as_str()).await?;
    Ok(())
}

fn budget_of(a: &GridAllocation) -> TresMinutes {
    TresMinutes {
        cpu: u64::try_from(a.new.cpu_minutes).unwrap_or(0),
        gpu: u64::try_from(a.new.gpu_minutes).unwrap_or(0),
    }
}

fn usage_of(cpu_seconds: i64, gpu_seconds: i64) -> Usage {
    Usage {
        cpu_seconds: u64::try_from(cpu_seconds).unwrap_or(0),
        gpu_seconds: u64::try_from(gpu_seconds).unwrap_or(0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_published_criteria_parse_and_weigh() {
        let c = criteria();
        assert!(c.len() >= 3, "{c:?}");
        let full: Vec<(&str, u32)> = c.iter().map(|k| (k.id.as_str(), k.max_score)).collect();
        assert_eq!(mizan_grid::weighted_score(c, &full).unwrap().per_mille, 1000);
    }

    #[test]
    fn hours_and_days_say_what_is_wrong() {
        assert_eq!(parse_hours("cpu_hours", " 1,200 ").unwrap(), 1200);
        let named = |e: Error, field: &str, words: &str| match e {
            Error::BadRequest { field: Some(f), detail } => {
                assert!(f == field && detail.contains(words), "{f}: {detail}");
            }
            other => panic!("{other:?}"),
        };
        named(parse_hours("cpu_hours", "1.5").unwrap_err(), "cpu_hours", "whole number");
        named(parse_hours("gpu_hours", "20000000").unwrap_err(), "gpu_hours", "at most");
        named(parse_day("ends_on", "31/12/2026").unwrap_err(), "ends_on", "YYYY-MM-DD");
    }
}
