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

fn example(name: &str) -> String {
    format!("{}/../mizan-rules/examples/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn classify_works_on_the_shipped_examples() {
    for (file, tier) in [
        ("bank-credit-scoring.yaml", "high"),
        ("citizen-chatbot.json", "limited"),
        ("social-scoring.yaml", "prohibited"),
    ] {
        let o = mizan(&["classify", &example(file), "--format", "json"]);
        assert!(o.status.success(), "{file}: {}", stderr(&o));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json report");
        assert_eq!(v["tier"], tier, "{file}");
        assert_eq!(v["ruleset"]["sha256"].as_str().map(str::len), Some(64));
        assert!(
            v["path"]
                .as_array()
                .is_some_and(|p| p.iter().all(|s| s["cite"].as_str().is_some_and(|c| !c.is_empty())))
        );
    }
    let text = mizan(&["classify", &example("bank-credit-scoring.yaml")]);
    let out = String::from_utf8_lossy(&text.stdout);
    assert!(
        out.contains("tier: high")
            && out.contains("EU-FRIA")
            && out.contains("annex_iii_5_point = creditworthiness"),
        "{out}"
    );

    let schema: serde_json::Value =
        serde_json::from_slice(&mizan(&["classify", "--schema"]).stdout).expect("schema json");
    assert_eq!(schema["additionalProperties"], false);
    assert_eq!(
        schema["properties"]["role"]["enum"],
        serde_json::json!(["provider", "deployer", "importer", "distributor", "provider_and_deployer"])
    );
    let questions = String::from_utf8_lossy(&mizan(&["classify", "--questions"]).stdout).into_owned();
    assert!(questions.contains("p5c_social_scoring  [Art. 5(1)(c)]"));
}

#[test]
fn classify_errors_name_the_question_and_allowed_answers() {
    let dir = tempfile::tempdir().expect("temp dir");
    let write = |name: &str, body: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, body).expect("write");
        p.to_string_lossy().into_owned()
    };
    let o = mizan(&["classify", &write("a.yaml", "is_ai_system: \"yes\"\nrole: owner\n")]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("answer `owner` to question `role` is not allowed (allowed: provider, deployer, importer, distributor, provider_and_deployer)"), "{}", stderr(&o));
    let o = mizan(&["classify", &write("b.yaml", "is_ai_system: \"yes\"\n")]);
    assert!(stderr(&o).contains("question `role` needs an answer"), "{}", stderr(&o));
    let o = mizan(&["classify", &write("c.json", "{\"is_ai_system\": \"no\", \"colour\": \"blue\"}")]);
    assert!(stderr(&o).contains("unknown question `colour`"), "{}", stderr(&o));
    let o = mizan(&["classify", &write("d.txt", "x")]);
    assert!(stderr(&o).contains("unsupported file type `.txt`"));
    let o = mizan(&["classify", &write("e.json", "{not json")]);
    assert!(stderr(&o).contains("is not valid JSON"));
    let o = mizan(&["classify", &write("f.yaml", "role: [1, 2]\n")]);
    assert!(stderr(&o).contains("answer to `role` must be text"), "{}", stderr(&o));
}

/// A reader that stops early (`mizan classify --questions | head`) ends a command quietly with
/// success, as Unix tools do, not with a panic and exit code 101. The pipe's read end is closed
/// before the command starts, so every write it makes fails.
#[test]
fn a_closed_pipe_ends_a_command_quietly() {
    let cases: [&[&str]; 3] = [
        &["classify", "--questions"],
        &["classify", "--questions", "--format", "json"],
        &["log", "verify", "--help"],
    ];
    for args in cases {
        let (reader, writer) = std::io::pipe().expect("pipe");
        drop(reader);
        let out = Command::new(env!("CARGO_BIN_EXE_mizan"))
            .args(args)
            .stdout(writer)
            .stderr(std::process::Stdio::piped())
            .output()
            .expect("run mizan");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
    }
}

/// `mizan explain --recourse` never suggests a protected characteristic (even unasked), and
/// every suggested value is a whole number that, put back into the model, still flips it.
#[test]
fn explain_recourse_is_actionable_and_keeps_protected_features() {
    let examples = concat!(env!("CARGO_MANIFEST_DIR"), "/../mizan-explain/examples");
    let model = format!("{examples}/german_xgboost.json");
    let input = format!("{examples}/german_applicants.csv");
    let background = format!("{examples}/german_background.csv");
    let out = mizan(&["explain", "--model", &model, "--input", &input, "--recourse", "--format", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let m = mizan_explain::load_model(&std::fs::read(&model).expect("model")).expect("loads");
    let header: Vec<String> = std::fs::read_to_string(&input)
        .expect("csv")
        .lines()
        .next()
        .expect("header")
        .split(',')
        .map(str::to_owned)
        .collect();
    let csv = std::fs::read_to_string(&input).expect("csv");
    let mut checked = 0;
    for (row, line) in report["rows"].as_array().expect("rows").iter().zip(csv.lines().skip(1)) {
        assert_eq!(row["never_changed"], serde_json::json!(["sex", "age"]), "protected by name");
        let Some(options) = row["recourse"].get("Options").and_then(serde_json::Value::as_array) else {
            continue;
        };
        let cells: Vec<f64> = line.split(',').map(|c| c.parse().expect("number")).collect();
        for o in options {
            let mut x: Vec<f64> = m
                .feature_names
                .iter()
                .map(|f| cells[header.iter().position(|h| h == f).expect("column")])
                .collect();
            for c in o["changes"].as_array().expect("changes") {
                let name = c["name"].as_str().expect("name");
                assert!(name != "age" && name != "sex", "protected `{name}` suggested");
                let to = c["to"].as_f64().expect("to");
                assert_eq!(to.fract(), 0.0, "`{name}` suggested as {to}");
                x[c["feature"].as_u64().expect("index") as usize] = to;
                checked += 1;
            }
            assert!(m.predict_margin(&x).expect("scores")[0] > 0.0, "the suggestion still flips the model");
        }
    }
    assert!(checked > 0, "some suggestions were checked");
    // The text says which features are never suggested, and why.
    let out = mizan(&[
        "explain",
        "--model",
        &model,
        "--input",
        &input,
        "--background",
        &background,
        "--recourse",
        "--immutable",
        "purpose",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Never suggested: sex, purpose, age"), "{text}");
    assert!(!text.contains(".99999"), "no value just below a threshold: {text}");
}
