//! The `mizan` binary as a user runs it: bootstrap commands, and clear errors with a non-zero
//! exit for bad flags and configuration.

use std::process::{Command, Output};

fn mizan(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mizan")).args(args).output().expect("run mizan")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn admin_bootstraps_an_organisation_user_and_token() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().to_str().expect("utf-8 path");
    let ok = |o: Output| {
        assert!(o.status.success(), "failed: {}", stderr(&o));
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    let out = ok(mizan(&[
        "admin",
        "--data-dir",
        data,
        "create-org",
        "--slug",
        "state-bank",
        "--name",
        "State Bank",
        "--kind",
        "provider",
    ]));
    assert!(out.contains("created organisation `state-bank`"));
    let out = ok(mizan(&[
        "admin",
        "--data-dir",
        data,
        "create-user",
        "--email",
        "a@bank.example.pk",
        "--name",
        "A",
        "--org",
        "state-bank",
        "--role",
        "provider-admin",
    ]));
    let password = out
        .lines()
        .find_map(|l| l.strip_prefix("password (shown once): "))
        .expect("generated password printed");
    assert_eq!(password.len(), 20);
    let out = ok(mizan(&[
        "admin",
        "--data-dir",
        data,
        "create-token",
        "--org",
        "state-bank",
        "--scopes",
        "systems:read,systems:write",
        "--expires-in-days",
        "30",
    ]));
    assert!(out.trim().starts_with("mzn_") && out.trim().len() == 68, "token printed once on stdout: {out}");

    // Mistakes name what was wrong and exit non-zero.
    let dup = mizan(&[
        "admin",
        "--data-dir",
        data,
        "create-org",
        "--slug",
        "state-bank",
        "--name",
        "x",
        "--kind",
        "provider",
    ]);
    assert!(!dup.status.success());
    assert!(stderr(&dup).contains("organisation `state-bank` already exists"));
    let role = mizan(&[
        "admin",
        "--data-dir",
        data,
        "create-user",
        "--email",
        "b@x.pk",
        "--name",
        "B",
        "--org",
        "state-bank",
        "--role",
        "king",
    ]);
    assert!(!role.status.success());
    assert!(stderr(&role).contains("unknown role `king`"), "{}", stderr(&role));
    let kind =
        mizan(&["admin", "--data-dir", data, "create-org", "--slug", "x", "--name", "x", "--kind", "bank"]);
    assert!(stderr(&kind).contains("unknown organisation kind `bank`"));
    let scope = mizan(&[
        "admin",
        "--data-dir",
        data,
        "create-token",
        "--org",
        "state-bank",
        "--scopes",
        "root",
        "--expires-in-days",
        "1",
    ]);
    assert!(stderr(&scope).contains("unknown scope `root`"));
    let forever = mizan(&[
        "admin",
        "--data-dir",
        data,
        "create-token",
        "--org",
        "state-bank",
        "--scopes",
        "systems:read",
        "--expires-in-days",
        "0",
    ]);
    assert_eq!(forever.status.code(), Some(2), "expiry is mandatory and bounded");
}

#[test]
fn bad_configuration_is_a_clear_error() {
    let o = mizan(&["serve", "--listen", "not-an-address"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--listen"));
    let o = mizan(&["serve", "--database-url", "mysql://localhost/x"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("unsupported database url"), "{}", stderr(&o));
    let o = mizan(&["migrate", "--data-dir", "/proc/mizan-cannot-be-here"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("cannot create data directory"), "{}", stderr(&o));
    let o = mizan(&["serve", "--frobnicate"]);
    assert_eq!(o.status.code(), Some(2));
}
