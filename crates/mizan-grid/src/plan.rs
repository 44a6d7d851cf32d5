//! The sync plan: the exact `sacctmgr` operations that turn what the cluster holds into what
//! Mizan says, within Mizan's scope, in an order Slurm accepts.
//!
//! **Scope.** Only managed accounts ([`AccountName::is_managed`]: `mzi-` and `mzp-` names)
//! and the user associations in them are compared. Anything else in either state (root, an
//! operator's accounts and their users) is never added, changed, moved or removed. A managed
//! account that is no longer wanted but still holds an account outside the scope (an operator
//! put one under it) is kept, with its limits as they are, and listed in
//! [`SyncPlan::kept`]; its users are still removed.
//!
//! **Order** (each step sorted by name, so a plan is deterministic):
//! 1. remove user associations that should not be there (before their accounts go);
//! 2. add accounts, parents before children;
//! 3. move accounts whose parent changed, in order of their depth in the desired tree (so a
//!    move never makes a cycle, even when two accounts swap places);
//! 4. modify descriptions, organizations and limits;
//! 5. remove accounts, children before parents;
//! 6. add user associations (their accounts exist by now).
//!
//! `apply(actual, plan(desired, actual))` equals `desired` on the scope and `actual` off it,
//! and a second plan is empty (`tests/sync.rs`, a property test against this model, where
//! [`SyncOp::apply`] refuses what `sacctmgr` refuses).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::error::ApplyError;
use crate::names::{AccountName, UserName};
use crate::state::{AccountState, Limits, SlurmState};

/// Changes to an account's association limits: for each limit, `None` leaves it and
/// `Some(v)` sets it to `v` (`Some(None)` clears it, `-1` to `sacctmgr`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LimitChanges {
    /// `GrpTRESMins=cpu=`
    pub cpu: Option<Option<u64>>,
    /// `GrpTRESMins=gres/gpu=`
    pub gpu: Option<Option<u64>>,
    /// `GrpSubmitJobs=`
    pub grp_submit_jobs: Option<Option<u32>>,
    /// `GrpJobs=`
    pub grp_jobs: Option<Option<u32>>,
}

impl LimitChanges {
    /// The changes that turn `from` into `to`.
    #[must_use]
    pub fn between(from: &Limits, to: &Limits) -> Self {
        fn diff<T: PartialEq + Copy>(a: Option<T>, b: Option<T>) -> Option<Option<T>> {
            if a == b { None } else { Some(b) }
        }
        Self {
            cpu: diff(from.grp_tres_mins.cpu, to.grp_tres_mins.cpu),
            gpu: diff(from.grp_tres_mins.gpu, to.grp_tres_mins.gpu),
            grp_submit_jobs: diff(from.grp_submit_jobs, to.grp_submit_jobs),
            grp_jobs: diff(from.grp_jobs, to.grp_jobs),
        }
    }

    /// Whether nothing changes.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        *self == LimitChanges::default()
    }

    fn apply(&self, limits: &mut Limits) {
        if let Some(v) = self.cpu {
            limits.grp_tres_mins.cpu = v;
        }
        if let Some(v) = self.gpu {
            limits.grp_tres_mins.gpu = v;
        }
        if let Some(v) = self.grp_submit_jobs {
            limits.grp_submit_jobs = v;
        }
        if let Some(v) = self.grp_jobs {
            limits.grp_jobs = v;
        }
    }

    /// `sacctmgr` words: `GrpTRESMins=cpu=600,gres/gpu=-1`, `GrpSubmitJobs=0`, `GrpJobs=-1`.
    fn words(&self, out: &mut Vec<String>) {
        fn value<T: fmt::Display>(v: Option<T>) -> String {
            v.map_or_else(|| "-1".to_owned(), |v| v.to_string())
        }
        let mut tres = Vec::new();
        if let Some(v) = self.cpu {
            tres.push(format!("cpu={}", value(v)));
        }
        if let Some(v) = self.gpu {
            tres.push(format!("gres/gpu={}", value(v)));
        }
        if !tres.is_empty() {
            out.push(format!("GrpTRESMins={}", tres.join(",")));
        }
        if let Some(v) = self.grp_submit_jobs {
            out.push(format!("GrpSubmitJobs={}", value(v)));
        }
        if let Some(v) = self.grp_jobs {
            out.push(format!("GrpJobs={}", value(v)));
        }
    }
}

/// One `sacctmgr` operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncOp {
    /// `add account`
    AddAccount {
        /// The account.
        name: AccountName,
        /// Its parent.
        parent: AccountName,
        /// `Description`.
        description: String,
        /// `Organization`.
        organization: String,
        /// Limits (only those set are written).
        limits: Limits,
    },
    /// `modify account ... set` description, organization or limits.
    ModifyAccount {
        /// The account.
        name: AccountName,
        /// A new description.
        description: Option<String>,
        /// A new organization.
        organization: Option<String>,
        /// Limit changes.
        limits: LimitChanges,
    },
    /// `modify account ... set parent=`
    MoveAccount {
        /// The account.
        name: AccountName,
        /// Its new parent.
        parent: AccountName,
    },
    /// `remove account`
    RemoveAccount {
        /// The account.
        name: AccountName,
    },
    /// `add user ... account=` (creates the user when Slurm does not know it yet).
    AddUser {
        /// The user.
        user: UserName,
        /// The account.
        account: AccountName,
    },
    /// `remove user ... account=` (the one association only).
    RemoveUser {
        /// The user.
        user: UserName,
        /// The account.
        account: AccountName,
    },
}

impl SyncOp {
    /// The arguments after `sacctmgr -i`, one word each, for running without a shell. No
    /// `cluster=`: `sacctmgr` then acts on every cluster it knows; see
    /// [`SyncOp::sacctmgr_args_on`].
    #[must_use]
    pub fn sacctmgr_args(&self) -> Vec<String> {
        self.args(None)
    }

    /// The arguments after `sacctmgr -i`, limited to one cluster (`cluster=<name>`).
    #[must_use]
    pub fn sacctmgr_args_on(&self, cluster: &str) -> Vec<String> {
        self.args(Some(cluster))
    }

    fn args(&self, cluster: Option<&str>) -> Vec<String> {
        let cluster = || cluster.map(|c| format!("cluster={c}"));
        let mut out: Vec<String> = Vec::new();
        match self {
            SyncOp::AddAccount { name, parent, description, organization, limits } => {
                out.extend(["add".into(), "account".into(), format!("name={name}")]);
                out.extend(cluster());
                out.push(format!("parent={parent}"));
                out.push(format!("description={description}"));
                out.push(format!("organization={organization}"));
                LimitChanges::between(&Limits::default(), limits).words(&mut out);
            }
            SyncOp::ModifyAccount { name, description, organization, limits } => {
                out.extend(["modify".into(), "account".into(), "where".into(), format!("name={name}")]);
                out.extend(cluster());
                out.push("set".into());
                if let Some(d) = description {
                    out.push(format!("description={d}"));
                }
                if let Some(o) = organization {
                    out.push(format!("organization={o}"));
                }
                limits.words(&mut out);
            }
            SyncOp::MoveAccount { name, parent } => {
                out.extend(["modify".into(), "account".into(), "where".into(), format!("name={name}")]);
                out.extend(cluster());
                out.extend(["set".into(), format!("parent={parent}")]);
            }
            SyncOp::RemoveAccount { name } => {
                out.extend(["remove".into(), "account".into(), "where".into(), format!("name={name}")]);
                out.extend(cluster());
            }
            SyncOp::AddUser { user, account } => {
                out.extend([
                    "add".into(),
                    "user".into(),
                    format!("name={user}"),
                    format!("account={account}"),
                ]);
                out.extend(cluster());
            }
            SyncOp::RemoveUser { user, account } => {
                out.extend([
                    "remove".into(),
                    "user".into(),
                    "where".into(),
                    format!("name={user}"),
                    format!("account={account}"),
                ]);
                out.extend(cluster());
            }
        }
        out
    }

    /// The command line, shell-quoted, for `--dry-run` output and logs.
    #[must_use]
    pub fn command_line(&self, cluster: Option<&str>) -> String {
        let mut line = String::from("sacctmgr -i");
        for word in self.args(cluster) {
            line.push(' ');
            line.push_str(&shell_quote(&word));
        }
        line
    }

    /// The account the operation is about.
    #[must_use]
    pub fn account(&self) -> &AccountName {
        match self {
            SyncOp::AddAccount { name, .. }
            | SyncOp::ModifyAccount { name, .. }
            | SyncOp::MoveAccount { name, .. }
            | SyncOp::RemoveAccount { name } => name,
            SyncOp::AddUser { account, .. } | SyncOp::RemoveUser { account, .. } => account,
        }
    }

    /// Applies the operation to a state as `sacctmgr` would, refusing what it refuses (an
    /// account that exists or does not, a parent that does not exist, a cycle, removing an
    /// account that still has children or users, a user association that exists or does not).
    /// `root` always exists.
    ///
    /// # Errors
    /// [`ApplyError`] naming the account or user; the state is then unchanged.
    pub fn apply(&self, state: &mut SlurmState) -> Result<(), ApplyError> {
        let exists = |s: &SlurmState, a: &AccountName| a.is_root() || s.accounts.contains_key(a);
        match self {
            SyncOp::AddAccount { name, parent, description, organization, limits } => {
                if exists(state, name) {
                    return Err(ApplyError::AccountExists(name.to_string()));
                }
                if !exists(state, parent) {
                    return Err(ApplyError::NoAccount(parent.to_string()));
                }
                state.accounts.insert(
                    name.clone(),
                    AccountState {
                        parent: parent.clone(),
                        description: description.clone(),
                        organization: organization.clone(),
                        limits: *limits,
                    },
                );
            }
            SyncOp::ModifyAccount { name, description, organization, limits } => {
                let account =
                    state.accounts.get_mut(name).ok_or_else(|| ApplyError::NoAccount(name.to_string()))?;
                if let Some(d) = description {
                    account.description.clone_from(d);
                }
                if let Some(o) = organization {
                    account.organization.clone_from(o);
                }
                limits.apply(&mut account.limits);
            }
            SyncOp::MoveAccount { name, parent } => {
                if !state.accounts.contains_key(name) {
                    return Err(ApplyError::NoAccount(name.to_string()));
                }
                if !exists(state, parent) {
                    return Err(ApplyError::NoAccount(parent.to_string()));
                }
                // A cycle: `name` is `parent` or one of its ancestors.
                let mut at = parent;
                let mut steps = 0;
                loop {
                    if at == name {
                        return Err(ApplyError::Cycle {
                            account: name.to_string(),
                            parent: parent.to_string(),
                        });
                    }
                    match state.accounts.get(at) {
                        Some(a) if steps <= state.accounts.len() => at = &a.parent,
                        _ => break,
                    }
                    steps += 1;
                }
                if let Some(a) = state.accounts.get_mut(name) {
                    a.parent = parent.clone();
                }
            }
            SyncOp::RemoveAccount { name } => {
                if !state.accounts.contains_key(name) {
                    return Err(ApplyError::NoAccount(name.to_string()));
                }
                if state.accounts.values().any(|a| &a.parent == name) {
                    return Err(ApplyError::HasChildren(name.to_string()));
                }
                if state.users_of(name).next().is_some() {
                    return Err(ApplyError::HasUsers(name.to_string()));
                }
                state.accounts.remove(name);
            }
            SyncOp::AddUser { user, account } => {
                if !exists(state, account) {
                    return Err(ApplyError::NoAccount(account.to_string()));
                }
                if !state.users.insert((account.clone(), user.clone())) {
                    return Err(ApplyError::UserExists {
                        user: user.to_string(),
                        account: account.to_string(),
                    });
                }
            }
            SyncOp::RemoveUser { user, account } => {
                if !state.users.remove(&(account.clone(), user.clone())) {
                    return Err(ApplyError::NoUser { user: user.to_string(), account: account.to_string() });
                }
            }
        }
        Ok(())
    }
}

impl fmt::Display for SyncOp {
    /// The command line without `cluster=`, as `--dry-run` prints it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.command_line(None))
    }
}

/// A word as a POSIX shell reads it back: unchanged when it is only safe characters, else in
/// single quotes (a `'` inside becomes `'\''`).
fn shell_quote(word: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "-_.,=/:@%+".contains(c);
    if !word.is_empty() && word.chars().all(safe) {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// The operations that make `actual` hold `desired` within Mizan's scope.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncPlan {
    /// The operations, in the order to run them.
    pub ops: Vec<SyncOp>,
    /// Managed accounts no longer wanted but kept, because an account outside Mizan's scope
    /// sits under them; an operator should move that account, and the next plan removes them.
    pub kept: Vec<AccountName>,
}

impl SyncPlan {
    /// Whether the cluster already holds what Mizan says (nothing to run).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// Applies every operation in order (for tests and for what-if views).
    ///
    /// # Errors
    /// The first [`ApplyError`]; operations before it stay applied.
    pub fn apply(&self, state: &mut SlurmState) -> Result<(), ApplyError> {
        self.ops.iter().try_for_each(|op| op.apply(state))
    }
}

impl fmt::Display for SyncPlan {
    /// One command line per operation, as `mizan grid sync --dry-run` prints them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for op in &self.ops {
            writeln!(f, "{op}")?;
        }
        Ok(())
    }
}

/// Depth of each account of `accounts` below the first ancestor outside it (0 for an account
/// whose parent is not in the map). A cycle (impossible in Slurm) counts as depth `len`.
fn depths(accounts: &BTreeMap<&AccountName, &AccountState>) -> BTreeMap<AccountName, usize> {
    let mut out: BTreeMap<AccountName, usize> = BTreeMap::new();
    for &name in accounts.keys() {
        if out.contains_key(name) {
            continue;
        }
        // Walk up to a known depth or the top, then fill in on the way back.
        let mut chain = vec![name];
        let mut base = 0;
        while let Some(account) = accounts.get(chain[chain.len() - 1]) {
            let parent = &account.parent;
            if let Some(&d) = out.get(parent) {
                base = d + 1;
                break;
            }
            if !accounts.contains_key(parent) || chain.len() > accounts.len() {
                break;
            }
            chain.push(parent);
        }
        for (i, n) in chain.iter().rev().enumerate() {
            out.entry((*n).clone()).or_insert(base + i);
        }
    }
    out
}

/// `names` sorted by depth (shallowest first, or deepest first when `deepest_first`), then
/// by name.
fn by_depth<'a>(
    names: Vec<&'a AccountName>,
    depth: &BTreeMap<AccountName, usize>,
    deepest_first: bool,
) -> Vec<&'a AccountName> {
    let mut v: Vec<(usize, &AccountName)> =
        names.into_iter().map(|n| (depth.get(n).copied().unwrap_or(0), n)).collect();
    if deepest_first {
        v.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
    } else {
        v.sort();
    }
    v.into_iter().map(|(_, n)| n).collect()
}

/// The plan that turns `actual` into `desired` within Mizan's scope (see the module docs for
/// the scope, the order and what is kept). Accounts and users of `desired` outside the scope
/// are ignored.
#[must_use]
pub fn plan(desired: &SlurmState, actual: &SlurmState) -> SyncPlan {
    let want: BTreeMap<&AccountName, &AccountState> =
        desired.accounts.iter().filter(|(n, _)| n.is_managed()).collect();
    let have: BTreeMap<&AccountName, &AccountState> =
        actual.accounts.iter().filter(|(n, _)| n.is_managed()).collect();

    // Managed accounts to go, unless an unmanaged account will still sit somewhere below them
    // once wanted accounts have moved to their desired parents.
    let parent_after = |name: &AccountName| match want.get(name) {
        Some(a) => Some(&a.parent),
        None => actual.accounts.get(name).map(|a| &a.parent),
    };
    let mut kept: BTreeSet<&AccountName> = BTreeSet::new();
    for (name, account) in &actual.accounts {
        if name.is_managed() {
            continue;
        }
        let mut at = &account.parent;
        let mut steps = 0;
        while let Some(parent) = parent_after(at) {
            if at.is_managed() && !want.contains_key(at) {
                kept.insert(at);
            }
            steps += 1;
            if steps > actual.accounts.len() + want.len() {
                break;
            }
            at = parent;
        }
    }

    let mut ops = Vec::new();

    // 1. user associations to remove
    for (account, user) in actual.users.iter().filter(|(a, _)| a.is_managed()) {
        if !desired.users.contains(&(account.clone(), user.clone())) {
            ops.push(SyncOp::RemoveUser { user: user.clone(), account: account.clone() });
        }
    }

    let want_depth = depths(&want);

    // 2. accounts to add, parents first
    let adds: Vec<&AccountName> = want.keys().filter(|n| !have.contains_key(*n)).copied().collect();
    for name in by_depth(adds, &want_depth, false) {
        let a = want[name];
        ops.push(SyncOp::AddAccount {
            name: name.clone(),
            parent: a.parent.clone(),
            description: a.description.clone(),
            organization: a.organization.clone(),
            limits: a.limits,
        });
    }

    // 3. moves, in order of desired depth
    let moves: Vec<&AccountName> = want
        .iter()
        .filter(|(n, a)| have.get(*n).is_some_and(|h| h.parent != a.parent))
        .map(|(n, _)| *n)
        .collect();
    for name in by_depth(moves, &want_depth, false) {
        ops.push(SyncOp::MoveAccount { name: name.clone(), parent: want[name].parent.clone() });
    }

    // 4. descriptions, organizations and limits
    for (name, a) in &want {
        let Some(h) = have.get(name) else { continue };
        let description = (h.description != a.description).then(|| a.description.clone());
        let organization = (h.organization != a.organization).then(|| a.organization.clone());
        let limits = LimitChanges::between(&h.limits, &a.limits);
        if description.is_some() || organization.is_some() || !limits.is_empty() {
            ops.push(SyncOp::ModifyAccount { name: (*name).clone(), description, organization, limits });
        }
    }

    // 5. accounts to remove, children first
    let have_depth = depths(&actual.accounts.iter().collect());
    let removes: Vec<&AccountName> =
        have.keys().filter(|n| !want.contains_key(*n) && !kept.contains(*n)).copied().collect();
    for name in by_depth(removes, &have_depth, true) {
        ops.push(SyncOp::RemoveAccount { name: name.clone() });
    }

    // 6. user associations to add
    for (account, user) in desired.users.iter().filter(|(a, _)| a.is_managed()) {
        if !actual.users.contains(&(account.clone(), user.clone())) {
            ops.push(SyncOp::AddUser { user: user.clone(), account: account.clone() });
        }
    }

    SyncPlan { ops, kept: kept.into_iter().cloned().collect() }
}
