//! Benchmark for issue #20 (run by `bench/grid/run.sh`, release build): parse and import
//! 1,000,000 `sacct` job records held in memory, and plan a sync for 10,000 accounts from two
//! generated states. Prints the best of `reps` runs of each.
//!
//! `grid_bench [jobs] [accounts] [reps]` (defaults 1000000, 10000, 3). Inputs are generated
//! from a fixed-seed linear congruential generator, so every run sees the same data.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

use mizan_grid::{
    AccountName, AccountState, Limits, SlurmState, TresMinutes, UsageBook, UserName, parse_sacct, plan,
};

/// A fixed-seed generator (Knuth's MMIX constants): the same data every run.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % below
    }
}

fn sacct_text(jobs: u64, accounts: u64) -> String {
    let mut rng = Lcg(20);
    let mut out = String::with_capacity(usize::try_from(jobs).unwrap_or(0) * 150);
    for id in 1..=jobs {
        let account = rng.next(accounts);
        let user = rng.next(5000);
        let elapsed = rng.next(86_400);
        let cpus = 1 + rng.next(64);
        let gpus = rng.next(5);
        let day = 1 + rng.next(28);
        let hour = rng.next(12);
        let tres = if gpus > 0 {
            format!("billing={cpus},cpu={cpus},gres/gpu:a100={gpus},gres/gpu={gpus},mem={}G,node=1", cpus * 4)
        } else {
            format!("billing={cpus},cpu={cpus},mem={}G,node=1", cpus * 4)
        };
        let running = rng.next(20) == 0;
        let (end, state) = if running {
            ("Unknown".to_owned(), "RUNNING")
        } else {
            (format!("2026-11-{day:02}T{:02}:30:00", hour + 12), "COMPLETED")
        };
        let _ = writeln!(
            out,
            "{id}|mizan|mzp-ca-dem{account:07}|u{user:04}|{elapsed}|{tres}|2026-11-{day:02}T{hour:02}:00:00|{end}|{state}"
        );
    }
    out
}

fn states(accounts: u64) -> (SlurmState, SlurmState) {
    let mut rng = Lcg(7);
    let mut desired = SlurmState::default();
    let mut actual = SlurmState::default();
    let name = |s: String| AccountName::new(&s).unwrap_or_else(|e| panic!("generated name: {e}"));
    let institutions = (accounts / 20).max(1);
    for i in 0..institutions {
        let state = AccountState {
            parent: AccountName::root(),
            description: format!("institution {i}"),
            organization: format!("mzi-inst{i:05}"),
            limits: Limits::default(),
        };
        desired.accounts.insert(name(format!("mzi-inst{i:05}")), state.clone());
        actual.accounts.insert(name(format!("mzi-inst{i:05}")), state);
    }
    for p in 0..accounts {
        let project = name(format!("mzp-ca-dem{p:07}"));
        let institution = name(format!("mzi-inst{:05}", p % institutions));
        let budget = TresMinutes { cpu: 60 * (1 + rng.next(100_000)), gpu: 60 * rng.next(1000) };
        let state = AccountState {
            parent: institution.clone(),
            description: format!("project {p}"),
            organization: institution.to_string(),
            limits: Limits::active(budget),
        };
        let users: BTreeSet<UserName> = (0..3)
            .map(|_| UserName::new(&format!("u{:04}", rng.next(5000))).unwrap_or_else(|e| panic!("{e}")))
            .collect();
        let change = rng.next(100);
        if change >= 5 {
            desired.accounts.insert(project.clone(), state.clone());
            for u in &users {
                desired.users.insert((project.clone(), u.clone()));
            }
        }
        if !(5..10).contains(&change) {
            let mut have = state;
            if change < 15 {
                have.limits = Limits::active(TresMinutes { cpu: budget.cpu / 2, gpu: budget.gpu });
            }
            actual.accounts.insert(project.clone(), have);
            for (k, u) in users.iter().enumerate() {
                if !(change < 20 && k == 0) {
                    actual.users.insert((project.clone(), u.clone()));
                }
            }
        }
    }
    // operator accounts the plan must leave alone
    for o in 0..100 {
        actual.accounts.insert(
            name(format!("ops{o}")),
            AccountState {
                parent: AccountName::root(),
                description: "operator".into(),
                organization: "hpc".into(),
                limits: Limits::default(),
            },
        );
    }
    (desired, actual)
}

fn best(times: &[Duration]) -> Duration {
    times.iter().copied().min().unwrap_or_default()
}

fn main() {
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .map(|a| a.parse().unwrap_or_else(|_| panic!("`{a}` is not a number")))
        .collect();
    let jobs = args.first().copied().unwrap_or(1_000_000);
    let accounts = args.get(1).copied().unwrap_or(10_000);
    let reps = args.get(2).copied().unwrap_or(3).max(1);

    let t = Instant::now();
    let text = sacct_text(jobs, accounts);
    println!(
        "generated {jobs} sacct lines ({:.1} MiB) in {:.2?}",
        text.len() as f64 / 1_048_576.0,
        t.elapsed()
    );
    let mut times = Vec::new();
    let mut summary = None;
    for _ in 0..reps {
        let t = Instant::now();
        let mut book = UsageBook::new();
        let records = parse_sacct(&text).map(|r| r.unwrap_or_else(|e| panic!("generated line: {e}")));
        let s = book.import(records);
        times.push(t.elapsed());
        // a second import of the same lines: every job unchanged
        let t2 = Instant::now();
        let again = book.import(parse_sacct(&text).filter_map(Result::ok));
        assert_eq!(again.unchanged_jobs, jobs);
        summary = Some((s, book.len(), t2.elapsed()));
    }
    if let Some((s, len, reimport)) = summary {
        println!(
            "parse + import {jobs} jobs: best {:.3?} of {reps} (target <= 10 s); {len} jobs, {} accounts; re-import {:.3?}",
            best(&times),
            s.per_account.len(),
            reimport
        );
    }

    let (desired, actual) = states(accounts);
    let mut times = Vec::new();
    let mut ops = 0;
    for _ in 0..reps {
        let t = Instant::now();
        let p = plan(&desired, &actual);
        times.push(t.elapsed());
        ops = p.ops.len();
    }
    println!(
        "sync plan for {} desired / {} actual accounts: best {:.3?} of {reps} (target <= 1 s); {ops} operations",
        desired.accounts.len(),
        actual.accounts.len(),
        best(&times)
    );
}
