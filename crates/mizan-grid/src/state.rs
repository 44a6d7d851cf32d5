//! What the cluster should hold and what it holds, in the same shape: accounts with their
//! parent, description, organization and limits, and user associations. [`desired_state`]
//! derives the first from approved allocations; `parse` reads the second from `sacctmgr`.
//!
//! **Enforcement.** A project account carries its budget as `GrpTRESMins` (`cpu` and
//! `gres/gpu`); Slurm itself stops jobs when the budget is used up (with
//! `AccountingStorageEnforce=limits,safe`, a job starts only if it can finish within it).
//! Slurm compares `GrpTRESMins` with the association's raw usage, which must not decay for
//! this to be a budget: the cluster runs with `PriorityDecayHalfLife=0` and
//! `PriorityUsageResetPeriod=NONE`, so raw usage is everything ever used by the account.
//! Hence the rule for several allocations of one project: the limit is the sum of the budgets
//! of every allocation that has started (not only the active ones), and what is left is that
//! sum less all usage.
//!
//! **Expiry.** An allocation outside `[starts, ends]` keeps its account and users (so history
//! stays attached and a renewal is one limit change) but blocks new jobs through
//! [`EXPIRY`]. Running jobs are never killed by Mizan; [`Expiry`] says which mechanisms would
//! and which would not.

use std::collections::{BTreeMap, BTreeSet};

use time::Date;

use crate::model::TresMinutes;
use crate::names::{AccountName, INSTITUTION_PREFIX, PROJECT_PREFIX, UserName, slurm_text};

/// A `GrpTRESMins` limit on CPU and GPU minutes; `None` is no limit (Slurm's `-1`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct TresMinutesLimit {
    /// `cpu=`
    pub cpu: Option<u64>,
    /// `gres/gpu=`
    pub gpu: Option<u64>,
}

/// The association limits Mizan sets on an account; `None` is no limit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Limits {
    /// `GrpTRESMins`: the budget.
    pub grp_tres_mins: TresMinutesLimit,
    /// `GrpSubmitJobs`: at most this many jobs pending or running; `0` refuses submissions.
    pub grp_submit_jobs: Option<u32>,
    /// `GrpJobs`: at most this many jobs running; `0` keeps queued jobs from starting.
    pub grp_jobs: Option<u32>,
}

impl Limits {
    /// The limits of an allocation in force: `GrpTRESMins` is the budget, nothing else.
    #[must_use]
    pub fn active(budget: TresMinutes) -> Self {
        Self {
            grp_tres_mins: TresMinutesLimit { cpu: Some(budget.cpu), gpu: Some(budget.gpu) },
            grp_submit_jobs: None,
            grp_jobs: None,
        }
    }

    /// Whether no limit is set.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        *self == Limits::default()
    }
}

/// How an account whose allocations are not in force blocks new jobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Expiry {
    /// `GrpSubmitJobs=0`: submissions are refused at `sbatch`; jobs already queued may still
    /// start, running jobs finish.
    SubmitJobsZero,
    /// `GrpJobs=0`: jobs may be submitted but none starts; running jobs finish.
    JobsZero,
    /// `GrpSubmitJobs=0` and `GrpJobs=0`: nothing new is accepted and nothing queued starts;
    /// running jobs finish.
    SubmitAndJobsZero,
    /// `GrpTRESMins=cpu=0,gres/gpu=0`: nothing starts, but Slurm documents that reaching a
    /// `GrpTRESMins` limit kills the group's running jobs, so this one does not leave running
    /// jobs alone.
    TresMinutesZero,
}

/// The expiry mechanism in use: switching is this one line.
pub const EXPIRY: Expiry = Expiry::SubmitAndJobsZero;

impl Expiry {
    /// The limits of an account whose allocations (with `budget` granted so far) are not in
    /// force. The budget stays visible in `GrpTRESMins` unless the mechanism is that limit.
    #[must_use]
    pub fn limits(self, budget: TresMinutes) -> Limits {
        let active = Limits::active(budget);
        match self {
            Expiry::SubmitJobsZero => Limits { grp_submit_jobs: Some(0), ..active },
            Expiry::JobsZero => Limits { grp_jobs: Some(0), ..active },
            Expiry::SubmitAndJobsZero => Limits { grp_submit_jobs: Some(0), grp_jobs: Some(0), ..active },
            Expiry::TresMinutesZero => Limits::active(TresMinutes::ZERO),
        }
    }
}

/// One account as Slurm holds it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AccountState {
    /// The parent account (`root` for institutions).
    pub parent: AccountName,
    /// `Description`.
    pub description: String,
    /// `Organization`.
    pub organization: String,
    /// The account association's limits.
    pub limits: Limits,
}

/// The accounts and user associations of one cluster. Slurm's `root` account is implicit and
/// never a key of `accounts`; user associations in it may appear in `users`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SlurmState {
    /// Accounts by name.
    pub accounts: BTreeMap<AccountName, AccountState>,
    /// User associations: `(account, user)`.
    pub users: BTreeSet<(AccountName, UserName)>,
}

impl SlurmState {
    /// The part of this state that Mizan manages: accounts with [`AccountName::is_managed`]
    /// names and the user associations in them.
    #[must_use]
    pub fn managed(&self) -> SlurmState {
        SlurmState {
            accounts: self
                .accounts
                .iter()
                .filter(|(n, _)| n.is_managed())
                .map(|(n, a)| (n.clone(), a.clone()))
                .collect(),
            users: self.users.iter().filter(|(a, _)| a.is_managed()).cloned().collect(),
        }
    }

    /// The part Mizan must never touch: everything [`SlurmState::managed`] leaves out.
    #[must_use]
    pub fn unmanaged(&self) -> SlurmState {
        SlurmState {
            accounts: self
                .accounts
                .iter()
                .filter(|(n, _)| !n.is_managed())
                .map(|(n, a)| (n.clone(), a.clone()))
                .collect(),
            users: self.users.iter().filter(|(a, _)| !a.is_managed()).cloned().collect(),
        }
    }

    /// The users of `account`.
    pub fn users_of<'a>(&'a self, account: &'a AccountName) -> impl Iterator<Item = &'a UserName> + 'a {
        let start = (account.clone(), UserName::smallest());
        self.users.range(start..).take_while(move |(a, _)| a == account).map(|(_, u)| u)
    }
}

/// An approved allocation, as the app reads it from the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allocation {
    /// The project's account ([`AccountName::for_project`]).
    pub project: AccountName,
    /// The institution's account ([`AccountName::for_institution`]).
    pub institution: AccountName,
    /// The institution's name (becomes its account's description, see [`slurm_text`]).
    pub institution_name: String,
    /// The project's title (becomes its account's description).
    pub project_title: String,
    /// The principal investigator and members, as cluster login names.
    pub users: BTreeSet<UserName>,
    /// CPU and GPU minutes granted.
    pub budget: TresMinutes,
    /// First day in force.
    pub starts: Date,
    /// Last day in force (inclusive).
    pub ends: Date,
}

impl Allocation {
    /// Whether the allocation is in force on `today` (`starts ≤ today ≤ ends`).
    #[must_use]
    pub fn is_active(&self, today: Date) -> bool {
        self.starts <= today && today <= self.ends
    }
}

/// What the cluster should hold for these allocations on `today`.
///
/// - an institution account under `root` for each institution with an allocation
///   (description: its name; organization: its account name; no limits);
/// - a project account under its institution for each project (description: its title;
///   organization: the institution's account name), with the union of its allocations' users;
/// - limits: `GrpTRESMins` = the sum of the budgets of the project's allocations that have
///   started (`starts ≤ today`; see the module docs for why not only active ones); when none
///   is active on `today`, [`EXPIRY`]'s limits block new jobs;
/// - when a project's allocations disagree on institution, name or title, the allocation that
///   starts last (then ends last, then the greatest institution) gives them.
///
/// An allocation whose project account does not start with `mzp-`, or whose institution
/// account does not start with `mzi-`, is left out (derived names always do).
#[must_use]
pub fn desired_state(allocations: &[Allocation], today: Date) -> SlurmState {
    let mut by_project: BTreeMap<&AccountName, Vec<&Allocation>> = BTreeMap::new();
    for a in allocations {
        if a.project.as_str().starts_with(PROJECT_PREFIX)
            && a.institution.as_str().starts_with(INSTITUTION_PREFIX)
        {
            by_project.entry(&a.project).or_default().push(a);
        }
    }
    let mut state = SlurmState::default();
    for (project, allocs) in by_project {
        // The allocation that names the institution, title and name: starts last, ends last.
        let Some(lead) = allocs.iter().max_by(|x, y| {
            (x.starts, x.ends, &x.institution, &x.institution_name, &x.project_title).cmp(&(
                y.starts,
                y.ends,
                &y.institution,
                &y.institution_name,
                &y.project_title,
            ))
        }) else {
            continue;
        };
        let budget = allocs
            .iter()
            .filter(|a| a.starts <= today)
            .fold(TresMinutes::ZERO, |sum, a| sum.saturating_add(a.budget));
        let limits = if allocs.iter().any(|a| a.is_active(today)) {
            Limits::active(budget)
        } else {
            EXPIRY.limits(budget)
        };
        // Institutions: the lead allocation of the greatest project names it; any consistent
        // rule will do, and this one is deterministic.
        state.accounts.insert(
            lead.institution.clone(),
            AccountState {
                parent: AccountName::root(),
                description: slurm_text(&lead.institution_name, lead.institution.as_str()),
                organization: lead.institution.as_str().to_owned(),
                limits: Limits::default(),
            },
        );
        state.accounts.insert(
            project.clone(),
            AccountState {
                parent: lead.institution.clone(),
                description: slurm_text(&lead.project_title, project.as_str()),
                organization: lead.institution.as_str().to_owned(),
                limits,
            },
        );
        for a in &allocs {
            for u in &a.users {
                state.users.insert((project.clone(), u.clone()));
            }
        }
    }
    state
}
