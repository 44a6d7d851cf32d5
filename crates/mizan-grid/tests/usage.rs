//! Metering: imports are idempotent and independent of order (proptest), re-imports replace
//! and never add, and balances never go negative in the books.

use std::collections::BTreeMap;

use mizan_grid::{AccountName, Balance, JobRecord, TresMinutes, Usage, UsageBook, UserName, remaining};
use proptest::prelude::*;
use time::macros::datetime;
use time::{Duration, PrimitiveDateTime};

const ACCOUNTS: [&str; 3] = ["mzp-1", "mzp-2", "ops"];

fn job(
    id: u64,
    cluster: &str,
    account: &str,
    elapsed: u64,
    cpus: u32,
    gpus: u32,
    finished: bool,
) -> JobRecord {
    let start = datetime!(2026-12-01 00:00:00);
    JobRecord {
        job_id: id.to_string(),
        cluster: cluster.into(),
        account: AccountName::new(account).unwrap(),
        user: UserName::new("alice").unwrap(),
        elapsed_seconds: elapsed,
        alloc_cpus: cpus,
        alloc_gpus: gpus,
        start: Some(start),
        end: finished.then(|| start + Duration::seconds(i64::try_from(elapsed).unwrap())),
        state: if finished { "COMPLETED" } else { "RUNNING" }.into(),
    }
}

/// One job's versions as successive imports would see them: running snapshots with growing
/// elapsed time (the account may even differ early on), then possibly the finished record.
fn versions() -> impl Strategy<Value = Vec<JobRecord>> {
    (
        1u64..40,
        0usize..2,
        prop::collection::vec((1u64..5000, 0usize..3), 1..4),
        1u32..64,
        0u32..4,
        any::<bool>(),
    )
        .prop_map(|(id, cluster, steps, cpus, gpus, finishes)| {
            let cluster = ["c1", "c2"][cluster];
            let mut elapsed = 0;
            let mut out = Vec::new();
            let n = steps.len();
            for (i, (step, account)) in steps.into_iter().enumerate() {
                elapsed += step;
                let last = i + 1 == n;
                let account = if last { ACCOUNTS[(id % 3) as usize] } else { ACCOUNTS[account] };
                out.push(job(id, cluster, account, elapsed, cpus, gpus, last && finishes));
            }
            out
        })
}

/// Jobs as batches: every version of every job (plus duplicates), shuffled into batches.
fn history() -> impl Strategy<Value = (Vec<JobRecord>, Vec<Vec<JobRecord>>)> {
    prop::collection::vec(versions(), 0..30)
        .prop_flat_map(|jobs| {
            // every version of each (cluster, id), whichever generated job it came from
            let mut finals: BTreeMap<(String, String), Vec<JobRecord>> = BTreeMap::new();
            for v in &jobs {
                let k = (v[0].cluster.clone(), v[0].job_id.clone());
                finals.entry(k).or_default().extend(v.iter().cloned());
            }
            let all: Vec<JobRecord> = jobs.into_iter().flatten().collect();
            let n = all.len();
            (
                Just(finals),
                Just(all.clone()),
                prop::collection::vec(0..n.max(1), 0..n + 5),
                Just(all).prop_shuffle(),
                1usize..6,
            )
        })
        .prop_map(|(finals, all, dups, shuffled, batches)| {
            let mut stream = shuffled;
            for d in dups {
                if let Some(j) = all.get(d) {
                    stream.push(j.clone());
                }
            }
            let size = stream.len().div_ceil(batches).max(1);
            let batches: Vec<Vec<JobRecord>> = stream.chunks(size).map(<[JobRecord]>::to_vec).collect();
            // the version that stays: finished beats running, then longer elapsed, then the rest
            let expected = finals
                .into_values()
                .map(|mut v| {
                    v.sort_by(|a, b| {
                        (
                            a.is_finished(),
                            a.elapsed_seconds,
                            a.end,
                            a.start,
                            a.alloc_cpus,
                            a.alloc_gpus,
                            &a.account,
                            &a.user,
                            &a.state,
                        )
                            .cmp(&(
                                b.is_finished(),
                                b.elapsed_seconds,
                                b.end,
                                b.start,
                                b.alloc_cpus,
                                b.alloc_gpus,
                                &b.account,
                                &b.user,
                                &b.state,
                            ))
                    });
                    v.pop().unwrap()
                })
                .collect();
            (expected, batches)
        })
}

fn totals(jobs: &[JobRecord]) -> BTreeMap<AccountName, Usage> {
    let mut out: BTreeMap<AccountName, Usage> = BTreeMap::new();
    for j in jobs {
        let u = out.entry(j.account.clone()).or_default();
        u.cpu_seconds += u64::try_from(j.cpu_seconds()).unwrap();
        u.gpu_seconds += u64::try_from(j.gpu_seconds()).unwrap();
    }
    out
}

fn sorted(book: &UsageBook) -> Vec<JobRecord> {
    let mut v: Vec<JobRecord> = book.jobs().collect();
    v.sort_by(|a, b| {
        (&a.cluster, a.job_id.parse::<u64>().unwrap()).cmp(&(&b.cluster, b.job_id.parse().unwrap()))
    });
    v
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn imports_are_idempotent_and_order_independent((expected, batches) in history()) {
        let mut once = UsageBook::new();
        let s = once.import(expected.clone());
        prop_assert_eq!(s.new_jobs as usize, expected.len());

        let mut book = UsageBook::new();
        for b in &batches {
            let summary = book.import(b.clone());
            for (account, a) in &summary.per_account {
                prop_assert_eq!(a.total, book.used(account));
            }
        }
        let mut by_month: BTreeMap<AccountName, Usage> = BTreeMap::new();
        for ((account, _), u) in book.monthly() {
            let t = by_month.entry(account).or_default();
            *t = t.saturating_add(u);
        }
        let used: BTreeMap<AccountName, Usage> = book.per_account().into_iter().filter(|(_, u)| *u != Usage::ZERO).collect();
        prop_assert_eq!(by_month.into_iter().filter(|(_, u)| *u != Usage::ZERO).collect::<BTreeMap<_, _>>(), used);
        let mut backwards = UsageBook::new();
        for b in batches.iter().rev() {
            backwards.import(b.iter().rev().cloned());
        }
        let expected_totals: BTreeMap<AccountName, Usage> =
            totals(&expected).into_iter().filter(|(_, u)| *u != Usage::ZERO).collect();
        for b in [&once, &book, &backwards] {
            let got: BTreeMap<AccountName, Usage> = b.per_account().into_iter().filter(|(_, u)| *u != Usage::ZERO).collect();
            prop_assert_eq!(&got, &expected_totals);
            prop_assert_eq!(sorted(b), sorted(&once));
        }
        // importing everything again changes nothing
        let before = book.per_account();
        for b in &batches {
            let s = book.import(b.clone());
            prop_assert_eq!(s.new_jobs + s.updated_jobs, 0);
            prop_assert!(s.per_account.is_empty());
        }
        prop_assert_eq!(book.per_account(), before);
    }

    #[test]
    fn balances_never_go_negative(cpu in 0u64..1 << 40, gpu in 0u64..1 << 40, used_cpu in 0u64..1 << 46, used_gpu in 0u64..1 << 46) {
        let budget = TresMinutes { cpu, gpu };
        let used = Usage { cpu_seconds: used_cpu, gpu_seconds: used_gpu };
        let b = Balance::new(budget, used);
        // budget + overdrawn = used + remaining, per TRES, in seconds
        prop_assert_eq!(u128::from(cpu) * 60 + u128::from(b.overdrawn.cpu_seconds), u128::from(used_cpu) + u128::from(b.remaining.cpu_seconds));
        prop_assert_eq!(u128::from(gpu) * 60 + u128::from(b.overdrawn.gpu_seconds), u128::from(used_gpu) + u128::from(b.remaining.gpu_seconds));
        prop_assert!(b.remaining.cpu_seconds == 0 || b.overdrawn.cpu_seconds == 0);
        prop_assert!(b.remaining.gpu_seconds == 0 || b.overdrawn.gpu_seconds == 0);
        let r = remaining(budget, used);
        prop_assert!(r.cpu <= cpu && r.gpu <= gpu);
    }
}

#[test]
fn a_reimport_replaces_and_never_adds() {
    let mut book = UsageBook::new();
    let running = job(7, "c1", "mzp-1", 600, 4, 1, false);
    let s = book.import([running.clone(), running.clone()]);
    assert_eq!((s.new_jobs, s.unchanged_jobs), (1, 1));
    assert_eq!(book.used(&running.account), Usage { cpu_seconds: 2400, gpu_seconds: 600 });
    let done = job(7, "c1", "mzp-1", 900, 4, 1, true);
    let s = book.import([done.clone()]);
    assert_eq!(s.updated_jobs, 1);
    let a = s.per_account[&done.account];
    assert_eq!(a.added, Usage { cpu_seconds: 3600, gpu_seconds: 900 });
    assert_eq!(a.removed, Usage { cpu_seconds: 2400, gpu_seconds: 600 });
    assert_eq!(a.total, Usage { cpu_seconds: 3600, gpu_seconds: 900 });
    // a stale snapshot arriving late does not undo the finished record
    let s = book.import([running]);
    assert_eq!(s.stale_jobs, 1);
    assert_eq!(book.used(&done.account).minutes(), TresMinutes { cpu: 60, gpu: 15 });
    // the same id on another cluster is another job
    book.import([job(7, "c2", "mzp-1", 60, 1, 0, true)]);
    assert_eq!(book.len(), 2);
    assert_eq!(book.job("c1", "7"), Some(done));
    let unknown = AccountName::new("mzp-none").unwrap();
    assert_eq!(book.used(&unknown), Usage::ZERO);
}

#[test]
fn remaining_and_overdrawn() {
    let budget = TresMinutes { cpu: 10, gpu: 1 };
    let b = Balance::new(budget, Usage { cpu_seconds: 630, gpu_seconds: 30 });
    assert_eq!(b.remaining, Usage { cpu_seconds: 0, gpu_seconds: 30 });
    assert_eq!(b.overdrawn, Usage { cpu_seconds: 30, gpu_seconds: 0 });
    assert_eq!(remaining(budget, Usage { cpu_seconds: 59, gpu_seconds: 0 }), TresMinutes { cpu: 9, gpu: 1 });
    assert_eq!(TresMinutes { cpu: 600, gpu: 120 }.to_string(), "cpu=600,gres/gpu=120");
    assert_eq!(TresMinutes::from_hours(10, 2), TresMinutes { cpu: 600, gpu: 120 });
    assert_eq!(TresMinutes { cpu: u64::MAX, gpu: 0 }.checked_add(TresMinutes { cpu: 1, gpu: 0 }), None);
    assert_eq!(
        TresMinutes { cpu: 1, gpu: 1 }.saturating_sub(TresMinutes { cpu: 2, gpu: 0 }),
        TresMinutes { cpu: 0, gpu: 1 }
    );
    assert_eq!(Usage { cpu_seconds: 5400, gpu_seconds: 17 }.to_string(), "cpu=1.50h,gpu=0.00h");
}

#[test]
fn times_survive_the_compact_book() {
    let mut book = UsageBook::new();
    let mut j = job(1, "c1", "mzp-1", 1, 1, 0, true);
    j.start =
        Some(PrimitiveDateTime::new(time::macros::date!(1999 - 12 - 31), time::macros::time!(23:59:59)));
    book.import([j.clone()]);
    assert_eq!(book.jobs().next(), Some(j));
}
