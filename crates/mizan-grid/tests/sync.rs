//! The sync plan against a model of Slurm (`SyncOp::apply`, which refuses what `sacctmgr`
//! refuses):
//!
//! - for any actual and desired states, applying the plan to the actual state succeeds step by
//!   step, gives the desired state on Mizan's scope and leaves everything else as it was, and
//!   a second plan is empty (proptest);
//! - no operation names an account outside the scope;
//! - `desired_state` turns allocations into accounts, users and limits by the documented rules;
//! - each operation's argv and dry-run line, word for word.

use std::collections::BTreeSet;

use mizan_grid::{
    AccountName, AccountState, Allocation, EXPIRY, Expiry, LimitChanges, Limits, SlurmState, SyncOp,
    TresMinutes, TresMinutesLimit, UserName, desired_state, plan,
};
use proptest::prelude::*;
use time::macros::date;

fn acct(s: &str) -> AccountName {
    AccountName::new(s).unwrap()
}

fn user(s: &str) -> UserName {
    UserName::new(s).unwrap()
}

const MANAGED: [&str; 8] = ["mzi-a", "mzi-b", "mzi-c", "mzp-1", "mzp-2", "mzp-3", "mzp-4", "mzp-5"];
const TOPS: [&str; 3] = ["ops", "chem", "mzx-lookalike"];
const USERS: [&str; 4] = ["alice", "bob", "carol", "root"];

fn limits(code: u8) -> Limits {
    let pick = |c: u8| match c % 4 {
        0 => None,
        1 => Some(0),
        2 => Some(600),
        _ => Some(6000),
    };
    Limits {
        grp_tres_mins: TresMinutesLimit { cpu: pick(code), gpu: pick(code / 4) },
        grp_submit_jobs: [None, Some(0)][usize::from(code / 16 % 2)],
        grp_jobs: [None, Some(0), Some(5)][usize::from(code / 32 % 3)],
    }
}

/// Per managed name: (present, order key, parent choice, description choice, limits code).
type Spec = (bool, u8, u8, u8, u8);

/// Builds a tree over the present managed names: each takes a parent among root, the
/// unmanaged tops given, and the managed names that come before it in order-key order.
fn tree(specs: &[Spec], tops: &[&str], state: &mut SlurmState) {
    let mut order: Vec<(u8, usize)> =
        specs.iter().enumerate().filter(|(_, s)| s.0).map(|(i, s)| (s.1, i)).collect();
    order.sort();
    let mut placed: Vec<AccountName> = Vec::new();
    for (_, i) in order {
        let (_, _, parent_choice, descr, lim) = specs[i];
        let mut parents = vec![AccountName::root()];
        parents.extend(tops.iter().map(|t| acct(t)));
        parents.extend(placed.iter().cloned());
        let parent = parents[usize::from(parent_choice) % parents.len()].clone();
        let name = acct(MANAGED[i]);
        state.accounts.insert(
            name.clone(),
            AccountState {
                parent,
                description: ["one", "two words"][usize::from(descr % 2)].into(),
                organization: ["mzi-a", "mzi-b"][usize::from(descr / 2 % 2)].into(),
                limits: limits(lim),
            },
        );
        placed.push(name);
    }
}

fn users(state: &mut SlurmState, accounts: &[AccountName], picks: &[(u8, u8)]) {
    if accounts.is_empty() {
        return;
    }
    for &(a, u) in picks {
        let account = accounts[usize::from(a) % accounts.len()].clone();
        state.users.insert((account, user(USERS[usize::from(u) % USERS.len()])));
    }
}

fn states() -> impl Strategy<Value = (SlurmState, SlurmState)> {
    let specs = || prop::collection::vec(any::<Spec>(), MANAGED.len());
    let picks = || prop::collection::vec(any::<(u8, u8)>(), 0..12);
    (
        specs(),
        specs(),
        prop::collection::vec(any::<bool>(), TOPS.len()),
        picks(),
        picks(),
        any::<(u8, u8, bool)>(),
    )
        .prop_map(|(actual_specs, desired_specs, tops_present, actual_picks, desired_picks, stray)| {
            let tops: Vec<&str> =
                TOPS.iter().zip(&tops_present).filter(|(_, p)| **p).map(|(t, _)| *t).collect();
            let mut actual = SlurmState::default();
            for t in &tops {
                actual.accounts.insert(
                    acct(t),
                    AccountState {
                        parent: AccountName::root(),
                        description: "operator".into(),
                        organization: "hpc".into(),
                        limits: limits(7),
                    },
                );
            }
            tree(&actual_specs, &tops, &mut actual);
            // A stray: an operator's account under a managed one.
            let managed_now: Vec<AccountName> =
                actual.accounts.keys().filter(|n| n.is_managed()).cloned().collect();
            if stray.2 && !managed_now.is_empty() {
                let under = managed_now[usize::from(stray.0) % managed_now.len()].clone();
                actual.accounts.insert(
                    acct("stray"),
                    AccountState {
                        parent: under,
                        description: "stray".into(),
                        organization: "hpc".into(),
                        limits: Limits::default(),
                    },
                );
            }
            let mut all: Vec<AccountName> = actual.accounts.keys().cloned().collect();
            all.push(AccountName::root());
            users(&mut actual, &all, &actual_picks);

            let mut desired = SlurmState::default();
            tree(&desired_specs, &tops, &mut desired);
            let desired_managed: Vec<AccountName> = desired.accounts.keys().cloned().collect();
            users(&mut desired, &desired_managed, &desired_picks);
            // Out-of-scope wishes the plan must ignore.
            if stray.1 % 2 == 0 {
                desired.accounts.insert(
                    acct("ops"),
                    AccountState {
                        parent: AccountName::root(),
                        description: "changed".into(),
                        organization: "changed".into(),
                        limits: Limits::default(),
                    },
                );
                desired.users.insert((AccountName::root(), user("mallory")));
            }
            (desired, actual)
        })
}

fn without(state: &SlurmState, kept: &[AccountName]) -> SlurmState {
    let mut s = state.clone();
    for k in kept {
        s.accounts.remove(k);
    }
    s
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn plan_is_exact_and_stays_in_scope((desired, actual) in states()) {
        let p = plan(&desired, &actual);
        let mut result = actual.clone();
        for op in &p.ops {
            prop_assert!(op.account().is_managed(), "`{op}` touches an account outside the scope");
            if let Err(e) = op.apply(&mut result) {
                return Err(TestCaseError::fail(format!("`{op}` refused: {e}\nplan:\n{p}")));
            }
        }
        prop_assert_eq!(result.unmanaged(), actual.unmanaged());
        prop_assert_eq!(without(&result.managed(), &p.kept), desired.managed());
        for k in &p.kept {
            prop_assert!(result.users_of(k).next().is_none());
            prop_assert!(!desired.accounts.contains_key(k));
        }
        let again = plan(&desired, &result);
        prop_assert!(again.is_empty(), "second plan:\n{}", again);
        prop_assert_eq!(again.kept, p.kept);
    }

    #[test]
    fn plan_is_empty_for_equal_states((desired, _) in states()) {
        prop_assert!(plan(&desired, &desired).is_empty());
    }
}

#[test]
fn swapped_parents_move_without_a_cycle() {
    let account = |parent: &str| AccountState {
        parent: acct(parent),
        description: "x".into(),
        organization: "x".into(),
        limits: Limits::default(),
    };
    let mut actual = SlurmState::default();
    actual.accounts.insert(acct("mzi-a"), account("root"));
    actual.accounts.insert(acct("mzi-b"), account("mzi-a"));
    let mut desired = SlurmState::default();
    desired.accounts.insert(acct("mzi-b"), account("root"));
    desired.accounts.insert(acct("mzi-a"), account("mzi-b"));
    let p = plan(&desired, &actual);
    assert_eq!(
        p.to_string(),
        "sacctmgr -i modify account where name=mzi-b set parent=root\n\
         sacctmgr -i modify account where name=mzi-a set parent=mzi-b\n"
    );
    p.apply(&mut actual).unwrap();
    assert_eq!(actual, desired);
}

#[test]
fn a_managed_account_holding_an_operator_account_is_kept() {
    let account = |parent: &str| AccountState {
        parent: acct(parent),
        description: "x".into(),
        organization: "x".into(),
        limits: Limits::default(),
    };
    let mut actual = SlurmState::default();
    actual.accounts.insert(acct("mzi-a"), account("root"));
    actual.accounts.insert(acct("mzp-1"), account("mzi-a"));
    actual.accounts.insert(acct("ops"), account("mzi-a"));
    actual.users.insert((acct("mzi-a"), user("alice")));
    actual.users.insert((acct("ops"), user("bob")));
    let p = plan(&SlurmState::default(), &actual);
    assert_eq!(p.kept, vec![acct("mzi-a")]);
    assert_eq!(
        p.to_string(),
        "sacctmgr -i remove user where name=alice account=mzi-a\n\
         sacctmgr -i remove account where name=mzp-1\n"
    );
}

fn allocation(project: &str, starts: time::Date, ends: time::Date, cpu: u64, users: &[&str]) -> Allocation {
    Allocation {
        project: AccountName::for_project(project).unwrap(),
        institution: AccountName::for_institution("punjab-university").unwrap(),
        institution_name: "University of the Punjab".into(),
        project_title: "Urdu OCR: \"Nastaliq\" models".into(),
        users: users.iter().map(|u| user(u)).collect(),
        budget: TresMinutes { cpu, gpu: cpu / 10 },
        starts,
        ends,
    }
}

#[test]
fn desired_state_from_allocations() {
    let allocations = [
        allocation("CA-DEM0000001", date!(2026 - 01 - 01), date!(2026 - 06 - 30), 6000, &["alice", "bob"]),
        allocation("CA-DEM0000001", date!(2026 - 07 - 01), date!(2026 - 12 - 31), 3000, &["alice", "carol"]),
        allocation("CA-DEM0000001", date!(2027 - 01 - 01), date!(2027 - 06 - 30), 100_000, &["alice"]),
        allocation("CA-DEM0000002", date!(2026 - 01 - 01), date!(2026 - 03 - 31), 600, &["dan"]),
        allocation("CA-DEM0000003", date!(2027 - 02 - 01), date!(2027 - 03 - 31), 600, &["erin"]),
    ];
    let s = desired_state(&allocations, date!(2026 - 12 - 07));
    let institution = &s.accounts[&acct("mzi-punjab-university")];
    assert_eq!(institution.parent, AccountName::root());
    assert_eq!(institution.description, "university of the punjab");
    assert_eq!(institution.organization, "mzi-punjab-university");
    assert!(institution.limits.is_empty());

    // active: the two started allocations' budgets add up (Slurm's usage is cumulative)
    let p1 = &s.accounts[&acct("mzp-ca-dem0000001")];
    assert_eq!(p1.parent, acct("mzi-punjab-university"));
    assert_eq!(p1.description, "urdu ocr nastaliq models");
    assert_eq!(p1.limits, Limits::active(TresMinutes { cpu: 9000, gpu: 900 }));
    assert_eq!(
        s.users_of(&acct("mzp-ca-dem0000001")).map(UserName::as_str).collect::<Vec<_>>(),
        ["alice", "bob", "carol"]
    );
    // expired: kept with its users, new jobs blocked
    let p2 = &s.accounts[&acct("mzp-ca-dem0000002")];
    assert_eq!(p2.limits, EXPIRY.limits(TresMinutes { cpu: 600, gpu: 60 }));
    assert!(s.users.contains(&(acct("mzp-ca-dem0000002"), user("dan"))));
    // not yet started: blocked, nothing granted yet
    let p3 = &s.accounts[&acct("mzp-ca-dem0000003")];
    assert_eq!(p3.limits, EXPIRY.limits(TresMinutes::ZERO));
    assert_eq!(s.accounts.len(), 4);

    // the last day is inclusive
    let last = desired_state(&allocations[3..4], date!(2026 - 03 - 31));
    assert_eq!(
        last.accounts[&acct("mzp-ca-dem0000002")].limits,
        Limits::active(TresMinutes { cpu: 600, gpu: 60 })
    );
}

#[test]
fn expiry_mechanisms() {
    let b = TresMinutes { cpu: 600, gpu: 60 };
    let tres = TresMinutesLimit { cpu: Some(600), gpu: Some(60) };
    assert_eq!(
        Expiry::SubmitJobsZero.limits(b),
        Limits { grp_tres_mins: tres, grp_submit_jobs: Some(0), grp_jobs: None }
    );
    assert_eq!(
        Expiry::JobsZero.limits(b),
        Limits { grp_tres_mins: tres, grp_submit_jobs: None, grp_jobs: Some(0) }
    );
    assert_eq!(
        Expiry::SubmitAndJobsZero.limits(b),
        Limits { grp_tres_mins: tres, grp_submit_jobs: Some(0), grp_jobs: Some(0) }
    );
    assert_eq!(Expiry::TresMinutesZero.limits(b), Limits::active(TresMinutes::ZERO));
}

#[test]
fn accounts_outside_the_prefixes_are_not_derived() {
    let mut a = allocation("CA-1", date!(2026 - 01 - 01), date!(2026 - 12 - 31), 60, &["alice"]);
    a.project = acct("ops");
    assert_eq!(desired_state(&[a], date!(2026 - 06 - 01)), SlurmState::default());
}

#[test]
fn argv_and_dry_run_lines() {
    let add = SyncOp::AddAccount {
        name: acct("mzp-ca-dem0000004"),
        parent: acct("mzi-punjab-university"),
        description: "urdu ocr (nastaliq)".into(),
        organization: "mzi-punjab-university".into(),
        limits: Limits::active(TresMinutes { cpu: 600, gpu: 120 }),
    };
    assert_eq!(
        add.sacctmgr_args_on("mizan"),
        [
            "add",
            "account",
            "name=mzp-ca-dem0000004",
            "cluster=mizan",
            "parent=mzi-punjab-university",
            "description=urdu ocr (nastaliq)",
            "organization=mzi-punjab-university",
            "GrpTRESMins=cpu=600,gres/gpu=120",
        ]
    );
    assert_eq!(
        add.to_string(),
        "sacctmgr -i add account name=mzp-ca-dem0000004 parent=mzi-punjab-university \
         'description=urdu ocr (nastaliq)' organization=mzi-punjab-university GrpTRESMins=cpu=600,gres/gpu=120"
    );
    let modify = SyncOp::ModifyAccount {
        name: acct("mzp-1"),
        description: None,
        organization: None,
        limits: LimitChanges {
            cpu: None,
            gpu: Some(None),
            grp_submit_jobs: Some(Some(0)),
            grp_jobs: Some(None),
        },
    };
    assert_eq!(
        modify.command_line(Some("mizan")),
        "sacctmgr -i modify account where name=mzp-1 cluster=mizan set GrpTRESMins=gres/gpu=-1 GrpSubmitJobs=0 GrpJobs=-1"
    );
    let shell = SyncOp::ModifyAccount {
        name: acct("mzp-1"),
        description: Some("it's".into()),
        organization: None,
        limits: LimitChanges::default(),
    };
    assert_eq!(shell.to_string(), r"sacctmgr -i modify account where name=mzp-1 set 'description=it'\''s'");
    assert_eq!(
        SyncOp::AddUser { user: user("alice"), account: acct("mzp-1") }.sacctmgr_args(),
        ["add", "user", "name=alice", "account=mzp-1"]
    );
    assert_eq!(
        SyncOp::RemoveUser { user: user("alice"), account: acct("mzp-1") }.command_line(Some("c1")),
        "sacctmgr -i remove user where name=alice account=mzp-1 cluster=c1"
    );
    assert_eq!(
        SyncOp::RemoveAccount { name: acct("mzp-1") }.to_string(),
        "sacctmgr -i remove account where name=mzp-1"
    );
}

#[test]
fn the_model_refuses_what_sacctmgr_refuses() {
    let mut s = SlurmState::default();
    let add = |name: &str, parent: &str| SyncOp::AddAccount {
        name: acct(name),
        parent: acct(parent),
        description: String::new(),
        organization: String::new(),
        limits: Limits::default(),
    };
    add("mzi-a", "root").apply(&mut s).unwrap();
    assert!(add("mzi-a", "root").apply(&mut s).is_err());
    assert!(add("mzp-1", "mzi-missing").apply(&mut s).is_err());
    add("mzp-1", "mzi-a").apply(&mut s).unwrap();
    let before = s.clone();
    assert!(SyncOp::RemoveAccount { name: acct("mzi-a") }.apply(&mut s).is_err());
    assert!(SyncOp::MoveAccount { name: acct("mzi-a"), parent: acct("mzp-1") }.apply(&mut s).is_err());
    SyncOp::AddUser { user: user("alice"), account: acct("mzp-1") }.apply(&mut s).unwrap();
    assert!(SyncOp::AddUser { user: user("alice"), account: acct("mzp-1") }.apply(&mut s).is_err());
    assert!(SyncOp::RemoveAccount { name: acct("mzp-1") }.apply(&mut s).is_err());
    assert!(SyncOp::RemoveUser { user: user("bob"), account: acct("mzp-1") }.apply(&mut s).is_err());
    SyncOp::RemoveUser { user: user("alice"), account: acct("mzp-1") }.apply(&mut s).unwrap();
    assert_eq!(s, before);
    let _: BTreeSet<_> = s.users.clone();
}
