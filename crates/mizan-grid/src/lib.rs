//! The national compute grid (issue #20): institutions and resources, approved
//! [`Allocation`]s with their budgets, the cluster state they call for
//! ([`desired_state`]), the exact `sacctmgr` operations that bring a Slurm cluster there
//! ([`plan`]), usage metered from `sacct` ([`UsageBook`]) with balances that never go
//! negative ([`Balance`]), and the public [`figures`].
//!
//! **Slurm enforces, Mizan plans.** An allocation is a Slurm account under its institution's
//! account, with its members as users and its budget as `GrpTRESMins` (`cpu`, `gres/gpu`);
//! when an allocation is not in force, [`EXPIRY`]'s limits stop new jobs. Mizan never kills a
//! job. [`plan`] compares two [`SlurmState`]s, the one [`desired_state`] derives and the one
//! [`parse_state`] reads from `sacctmgr`, and returns operations whose
//! [`SyncOp::sacctmgr_args`] run without a shell and whose `Display` is the `--dry-run`
//! line.
//!
//! **Scope.** Mizan manages the accounts whose names it derives (`mzi-<institution slug>`,
//! `mzp-<case reference>`, see [`AccountName`]) and nothing else: root, an operator's own
//! accounts and their users are never in a plan.
//!
//! **Metering.** `sacct` lines become [`JobRecord`]s ([`parse_sacct`]); [`UsageBook::import`]
//! keys them by `(cluster, JobIDRaw)` and keeps one version of each job by a content order,
//! so imports are idempotent and independent of order; usage is CPU- and GPU-seconds,
//! exact.
//!
//! This crate does no I/O: no SQL, HTTP, files or processes. The app runs `sacctmgr` and
//! `sacct` with the arguments this crate gives ([`assoc_args`], [`account_args`],
//! [`sacct_args`], [`SyncOp::sacctmgr_args_on`]) and hands their output back as text.
#![warn(missing_docs)]

mod error;
mod figures;
mod model;
mod names;
mod plan;
mod review;
mod sacctmgr;
mod state;
mod usage;

pub use error::{ApplyError, NameError, ParseError, ReviewError};
pub use figures::{CSV_HEADER, Figures, GrantRow, Period, Totals, UsageRow, Utilisation, YearMonth, figures};
pub use model::{
    Balance, InstitutionKind, Province, Resource, Sector, TresMinutes, UnknownCode, Usage, hours, remaining,
};
pub use names::{
    AccountName, INSTITUTION_PREFIX, MAX_ACCOUNT_NAME, MAX_USER_NAME, PROJECT_PREFIX, UserName, slurm_text,
};
pub use plan::{LimitChanges, SyncOp, SyncPlan, plan};
pub use review::{Criterion, FastTrack, Score, fast_track_eligible, weighted_score};
pub use sacctmgr::{
    ACCOUNT_FORMAT, ASSOC_FORMAT, AccountInfo, account_args, assoc_args, parse_accounts, parse_associations,
    parse_state,
};
pub use state::{
    AccountState, Allocation, EXPIRY, Expiry, Limits, SlurmState, TresMinutesLimit, desired_state,
};
pub use usage::{
    AccountImport, ImportSummary, JobRecord, SACCT_FORMAT, UsageBook, parse_sacct, parse_sacct_line,
    sacct_args,
};
