//! Reading `sacctmgr` and `sacct` output: realistic lines, hostile ones, and errors that name
//! the line, the column and the field.

use mizan_grid::{
    AccountName, Limits, ParseError, TresMinutesLimit, UserName, parse_accounts, parse_associations,
    parse_sacct, parse_state, plan,
};
use time::macros::datetime;

fn acct(s: &str) -> AccountName {
    AccountName::new(s).unwrap()
}

/// What `sacctmgr -P -n show assoc cluster=mizan format=Account,ParentName,User,GrpTRESMins,GrpSubmit,GrpJobs`
/// prints for a small cluster (Slurm 22.05).
const ASSOC: &str = "\
root|||||
root||root|||
mzi-punjab-university|root||||
mzp-ca-dem0000004|mzi-punjab-university||cpu=600,gres/gpu=120||
mzp-ca-dem0000004||alice|||
mzp-ca-dem0000004||bob|||
mzp-ca-dem0000004||bob|||
mzp-ca-dem0000009|mzi-punjab-university||cpu=0,gres/gpu=0|0|0
ops|root||cpu=1000000,mem=5000,node=10|100|
ops||carol|cpu=5||
";

const ACCOUNTS: &str = "\
mzi-punjab-university|university of the punjab|mzi-punjab-university
mzp-ca-dem0000004|urdu ocr (nastaliq)|mzi-punjab-university
mzp-ca-dem0000009|mzp-ca-dem0000009|mzi-punjab-university
ops|operator tests|hpc
root|default root account|root
";

#[test]
fn associations() {
    let s = parse_associations(ASSOC).unwrap();
    assert_eq!(s.accounts.len(), 4, "root is implicit");
    let p = &s.accounts[&acct("mzp-ca-dem0000004")];
    assert_eq!(p.parent, acct("mzi-punjab-university"));
    assert_eq!(p.limits, Limits::active(mizan_grid::TresMinutes { cpu: 600, gpu: 120 }));
    let blocked = &s.accounts[&acct("mzp-ca-dem0000009")].limits;
    assert_eq!(blocked.grp_submit_jobs, Some(0));
    assert_eq!(blocked.grp_jobs, Some(0));
    let ops = &s.accounts[&acct("ops")].limits;
    assert_eq!(ops.grp_tres_mins, TresMinutesLimit { cpu: Some(1_000_000), gpu: None }, "other TRES ignored");
    assert_eq!(ops.grp_submit_jobs, Some(100));
    let users: Vec<(&str, &str)> = s.users.iter().map(|(a, u)| (a.as_str(), u.as_str())).collect();
    assert_eq!(
        users,
        [("mzp-ca-dem0000004", "alice"), ("mzp-ca-dem0000004", "bob"), ("ops", "carol"), ("root", "root")]
    );
}

#[test]
fn state_with_descriptions_and_a_plan_that_leaves_operators_alone() {
    let actual = parse_state(ASSOC, ACCOUNTS).unwrap();
    assert_eq!(actual.accounts[&acct("mzp-ca-dem0000004")].description, "urdu ocr (nastaliq)");
    assert_eq!(actual.accounts[&acct("ops")].organization, "hpc");
    let accounts = parse_accounts(ACCOUNTS).unwrap();
    assert_eq!(accounts[&acct("root")].description, "default root account");
    // An empty desired state removes only what Mizan manages.
    let p = plan(&mizan_grid::SlurmState::default(), &actual);
    assert_eq!(
        p.to_string(),
        "sacctmgr -i remove user where name=alice account=mzp-ca-dem0000004\n\
         sacctmgr -i remove user where name=bob account=mzp-ca-dem0000004\n\
         sacctmgr -i remove account where name=mzp-ca-dem0000004\n\
         sacctmgr -i remove account where name=mzp-ca-dem0000009\n\
         sacctmgr -i remove account where name=mzi-punjab-university\n"
    );
}

fn error(text: &str) -> ParseError {
    parse_associations(text).unwrap_err()
}

#[test]
fn association_errors_name_line_and_column() {
    let e = error("root|||||\nmzp-1|root||cpu=abc||\n");
    assert_eq!((e.line, e.column, e.field), (2, 4, Some("GrpTRESMins")));
    assert_eq!(
        e.to_string(),
        "line 2, column 4 (`GrpTRESMins`): `cpu=abc`: `abc` is not a whole number of minutes"
    );

    // `-p` (a trailing `|`) is another format
    let e = error("root||||||\n");
    assert_eq!((e.line, e.column), (1, 0));
    assert!(e.to_string().contains("7 fields where 6 were asked for"), "{e}");

    let e = error("Ops|root||||\n");
    assert_eq!((e.line, e.column, e.field), (1, 1, Some("Account")));
    assert!(e.to_string().contains("`O` at position 0"), "{e}");

    let e = error("mzp-1|||||\n");
    assert_eq!((e.line, e.column), (1, 2));
    assert_eq!(error("mzp-1|root|||x|\n").column, 5);
    assert_eq!(error("mzp-1|root||||-1\n").column, 6);
    assert_eq!(error("mzp-1|root||cpu||\n").column, 4);
    assert_eq!(error("mzp-1|root|||a b||\n").line, 1);
    let e = error("mzp-1|root|||||\nmzp-1||Bad User|||\n");
    assert_eq!((e.line, e.column, e.field), (1, 0, None));

    // the same account twice with different limits: two clusters' associations
    let e = error("mzp-1|root||cpu=1||\nmzp-1|root||cpu=2||\n");
    assert_eq!((e.line, e.column), (2, 1));
    assert!(e.to_string().contains("differs from line 1"), "{e}");

    // descriptions cannot hold a pipe Mizan did not write
    let e = parse_accounts("ops|a|b|c\n").unwrap_err();
    assert_eq!((e.line, e.column), (1, 0));
    // Windows line ends and blank lines are fine
    assert_eq!(parse_associations("root|||||\r\n\r\nmzp-1|root||||\r\n").unwrap().accounts.len(), 1);
}

/// What `sacct -a -X -P -n --format=JobIDRaw,Cluster,Account,User,ElapsedRaw,AllocTRES,Start,End,State` prints.
const SACCT: &str = "\
1001|mizan|mzp-ca-dem0000004|alice|3600|billing=2,cpu=2,gres/gpu=1,mem=1000M,node=1|2026-12-07T10:00:00|2026-12-07T11:00:00|COMPLETED
1002|mizan|mzp-ca-dem0000004|bob|120|billing=4,cpu=4,gres/gpu:a100=2,gres/gpu=2,mem=4G,node=1|2026-12-07T10:00:00|Unknown|RUNNING
1003|mizan|mzp-ca-dem0000004|alice|0||Unknown|Unknown|PENDING
1004|mizan|mzp-ca-dem0000004|alice|60|cpu=1,gres/gpu:a100=1,gres/gpu:v100=2,mem=1G|2026-12-07T10:00:00|2026-12-07T10:01:00|CANCELLED by 0
1005|mizan|mzp-ca-dem0000004|alice|0||None|2026-12-07T10:00:00|CANCELLED by 1000

1006|mizan|ops|1234|10|cpu=64|2026-12-07T10:00:00|2026-12-07T10:00:10|FAILED
";

#[test]
fn sacct_lines() {
    let jobs: Vec<_> = parse_sacct(SACCT).collect::<Result<_, _>>().unwrap();
    assert_eq!(jobs.len(), 6);
    let j = &jobs[0];
    assert_eq!(
        (j.job_id.as_str(), j.cluster.as_str(), j.account.as_str()),
        ("1001", "mizan", "mzp-ca-dem0000004")
    );
    assert_eq!(j.user, UserName::new("alice").unwrap());
    assert_eq!((j.alloc_cpus, j.alloc_gpus, j.elapsed_seconds), (2, 1, 3600));
    assert_eq!((j.cpu_seconds(), j.gpu_seconds()), (7200, 3600));
    assert_eq!(j.start, Some(datetime!(2026-12-07 10:00:00)));
    assert_eq!(j.end, Some(datetime!(2026-12-07 11:00:00)));
    assert!(j.is_finished());
    // typed and untyped GPU counts of the same GPUs: counted once
    assert_eq!((jobs[1].alloc_gpus, jobs[1].end, jobs[1].is_finished()), (2, None, false));
    assert_eq!(jobs[2].cpu_seconds(), 0);
    // only typed counts: their sum
    assert_eq!(jobs[3].alloc_gpus, 3);
    assert_eq!(jobs[3].state, "CANCELLED by 0");
    assert_eq!(jobs[4].start, None);
    assert_eq!(jobs[5].user.as_str(), "1234");
}

fn sacct_error(line: &str) -> ParseError {
    parse_sacct(line).next().unwrap().unwrap_err()
}

#[test]
fn sacct_errors_name_line_and_column() {
    let ok = "1|c|mzp-1|alice|60|cpu=1|Unknown|Unknown|PENDING";
    assert!(parse_sacct(ok).next().unwrap().is_ok());
    let e = sacct_error("1_2|c|mzp-1|alice|60|cpu=1|Unknown|Unknown|PENDING");
    assert_eq!((e.line, e.column, e.field), (1, 1, Some("JobIDRaw")));
    assert!(e.to_string().contains("`1_2` is not a raw job id"), "{e}");
    assert_eq!(sacct_error("1|c|mzp-1|alice|00:01:00|cpu=1|Unknown|Unknown|PENDING").column, 5);
    assert_eq!(sacct_error("1|c|mzp-1|alice|60|cpu=x|Unknown|Unknown|PENDING").column, 6);
    assert_eq!(sacct_error("1|c|mzp-1|alice|60|cpu|Unknown|Unknown|PENDING").column, 6);
    assert_eq!(sacct_error("1|c|mzp-1|alice|60|cpu=1|2026-13-01T00:00:00|Unknown|PENDING").column, 7);
    assert_eq!(sacct_error("1|c|mzp-1|alice|60|cpu=1|Unknown|2026-02-30T00:00:00|PENDING").column, 8);
    assert_eq!(sacct_error("1|c|mzp-1|alice|60|cpu=1|Unknown|2026-02-03 00:00:00|PENDING").column, 8);
    assert_eq!(sacct_error("1|c|mzp-1|alice|60|cpu=1|Unknown|Unknown|").column, 9);
    assert_eq!(sacct_error("1|c|Mzp|alice|60|cpu=1|Unknown|Unknown|X").column, 3);
    assert_eq!(sacct_error("1|c|mzp-1|Al|60|cpu=1|Unknown|Unknown|X").column, 4);
    assert_eq!(sacct_error("1| |mzp-1|al|60|cpu=1|Unknown|Unknown|X").column, 2);
    let e = sacct_error("1|c|mzp-1|alice|60|cpu=1|Unknown|Unknown|PENDING|");
    assert_eq!((e.column, e.field), (0, None));
    let e = parse_sacct(
        "\n1|c|mzp-1|alice|60|cpu=1|Unknown|Unknown|OK\n2|c|mzp-1|alice|x|cpu=1|Unknown|Unknown|OK\n",
    )
    .find_map(Result::err)
    .unwrap();
    assert_eq!(
        e.to_string(),
        "line 3, column 5 (`ElapsedRaw`): `x` is not a whole number of seconds; ask for `ElapsedRaw`"
    );
}
