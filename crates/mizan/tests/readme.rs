//! The README is true (issue #15, item 11): every command in its ```` ```sh ````, ```` ```bash ````
//! and ```` ```console ```` blocks is run with the built `mizan`, or listed in [`NOT_RUN`] with
//! the reason. A new README command that is neither fails this test, and so does an entry of
//! [`NOT_RUN`] that no longer names exactly one command.
//!
//! Each block runs in a fresh directory (its own `./mizan-data`), with the checkout's `crates/`
//! linked into it so the README's example paths resolve, and `mizan` on `PATH`
//! (`cargo run [--release] -p mizan --` becomes `mizan`). Commands run through `sh -c` as
//! written, but for the placeholders and addresses [`Block::substitute`] fills in: a block that
//! names `DIR`, `VKEY`, `./mizan-data` or `127.0.0.1:8080` first gets a server started in its
//! directory, on a free port. A command must exit 0; `serve` and `witness` must answer HTTP
//! (the demo server's port comes from `MIZAN_LISTEN`, which the README documents) and are then
//! stopped; `log monitor` must verify one round and is then stopped.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const README: &str = include_str!("../../../README.md");

/// Why the local Slurm cluster's commands are not run here.
const SLURM: &str = "needs root and Debian's Slurm, munge and MariaDB; scripts/test starts the same cluster, runs scripts/slurm-smoke on it and the grid's tests against it";

/// README commands this test does not run, by a part of the command that names exactly one,
/// with why.
const NOT_RUN: &[(&str, &str)] = &[
    ("scripts/test", "the whole suite, this test included; CI runs it"),
    (
        "mizan log verify s3://",
        "needs S3-compatible object storage; scripts/test runs the S3 tests against moto",
    ),
    (
        "mizan log verify receipt.json",
        "needs a receipt and a witness policy the README leaves to the reader; tests/log_cli.rs verifies receipts offline",
    ),
    ("/oversight", "an API call with a real token and system; the server's oversight tests make it"),
    ("scripts/slurm-cluster start", SLURM),
    ("sinfo;", SLURM),
    ("scripts/slurm-smoke", SLURM),
    ("scripts/slurm-cluster stop", SLURM),
    (
        "adminlevel=operator",
        "a Slurm administrator's one-off on a real cluster; the local cluster runs Mizan's commands as root",
    ),
    (
        "serve --demo --slurm",
        "needs a Slurm cluster (see SLURM); crates/mizan-server/tests/it/grid.rs syncs and imports as the server does",
    ),
    (
        "grid sync --dry-run",
        "needs a Slurm cluster (see SLURM); the grid's Slurm test checks that a dry run after a sync is empty",
    ),
    (
        "format=Account,ParentName",
        "needs a Slurm cluster (see SLURM); the grid's Slurm test reads the account's limits this way",
    ),
    ("/versions/1/model?", "an API call with a token and a model file; the server's explain tests make it"),
    (
        "/versions/1/audits?",
        "an API call with a token and a decisions file; the server's audit tests make it",
    ),
];

/// What a command's output must contain, where the README says what it prints.
const PRINTS: &[(&str, &str)] = &[
    ("create-user", "password (shown once): "),
    ("create-token", "mzn_"),
    ("mizan log verify DIR", "ok: "),
    ("mizan classify crates/mizan-rules/examples/bank-credit-scoring.yaml", "high"),
];

/// How long a server or a monitor has to show it works.
const WAIT: Duration = Duration::from_secs(30);

/// The commands of the README's shell blocks, a block at a time: continuation lines joined,
/// comments and `$ ` prompts removed, output lines of `console` blocks left out.
fn blocks(readme: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut lines = readme.lines();
    while let Some(line) = lines.next() {
        let fence = line.trim_start();
        let Some(lang) = fence.strip_prefix("```") else { continue };
        let lang = lang.trim();
        let mut body = Vec::new();
        for l in lines.by_ref() {
            if l.trim_start().starts_with("```") {
                break;
            }
            body.push(l.trim().to_owned());
        }
        if !matches!(lang, "sh" | "bash" | "console" | "shell") {
            continue;
        }
        let mut commands = Vec::new();
        let mut pending = String::new();
        for l in body {
            let l = if lang == "console" {
                match l.strip_prefix("$ ") {
                    Some(c) => c.to_owned(),
                    None if !pending.is_empty() => l,
                    None => continue, // output
                }
            } else {
                l
            };
            let l = strip_comment(&l);
            if let Some(head) = l.strip_suffix('\\') {
                pending.push_str(head.trim_end());
                pending.push(' ');
                continue;
            }
            pending.push_str(l.trim());
            if !pending.trim().is_empty() {
                commands.push(pending.split_whitespace().collect::<Vec<_>>().join(" "));
            }
            pending.clear();
        }
        out.push(commands);
    }
    out
}

/// A line without its trailing `# comment` (a `#` after whitespace, outside quotes).
fn strip_comment(line: &str) -> &str {
    let (mut single, mut double, mut prev_space) = (false, false, true);
    for (i, c) in line.char_indices() {
        match c {
            '\'' if !double => single = !single,
            '"' if !single => double = !double,
            '#' if !single && !double && prev_space => return line[..i].trim_end(),
            _ => {}
        }
        prev_space = c.is_whitespace();
    }
    line
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("free port").local_addr().expect("addr").port()
}

/// The first line of an HTTP answer to `GET path`, once one comes (bounded by [`WAIT`]).
fn http_status(port: u16, path: &str, child: &mut Child) -> String {
    let start = Instant::now();
    while start.elapsed() < WAIT {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("exited with {status} before answering on port {port}");
        }
        if let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) {
            let _ = write!(s, "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
            let mut answer = String::new();
            let _ = s.read_to_string(&mut answer);
            if let Some(line) = answer.lines().next().filter(|l| l.starts_with("HTTP/1.1 ")) {
                return line.to_owned();
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("nothing answered HTTP on port {port} within {WAIT:?}");
}

/// A child process killed when dropped, so a failing assertion leaves no server behind.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// One block's fresh directory and what its commands' placeholders stand for.
struct Block {
    dir: tempfile::TempDir,
    path_var: String,
    substitutions: Vec<(String, String)>,
    _server: Option<Running>,
}

impl Block {
    fn new(bin: &Path, commands: &[String]) -> Block {
        let dir = tempfile::tempdir().expect("temp dir");
        let checkout = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        std::os::unix::fs::symlink(checkout.join("crates"), dir.path().join("crates")).expect("link crates/");
        let path_var = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
        // The witness's address, hard-coded in the README, moved to a free port.
        let witness = ("127.0.0.1:7380".to_owned(), format!("127.0.0.1:{}", free_port()));
        let mut block = Block { dir, path_var, substitutions: vec![witness.clone()], _server: None };
        let needs_log = ["DIR", "VKEY", "./mizan-data", "127.0.0.1:8080"];
        if commands.iter().any(|c| needs_log.iter().any(|p| c.split_whitespace().any(|w| w.contains(p)))) {
            let port = free_port();
            // With the demo, so the decision log has entries and a checkpoint to verify.
            let mut server =
                block.spawn(&format!("mizan serve --demo --listen 127.0.0.1:{port}"), Stdio::null());
            assert!(http_status(port, "/", &mut server.0).contains(" 200 "), "setup server answers");
            block._server = Some(server);
            let vkey = block.run("mizan log key --data-dir ./mizan-data");
            let year = std::fs::read_dir(block.dir.path().join("mizan-data/ledger"))
                .expect("ledger dir")
                .filter_map(|e| e.ok()?.file_name().into_string().ok())
                .find(|n| n.len() == 4 && n.bytes().all(|b| b.is_ascii_digit()))
                .expect("this year's log");
            block.substitutions = vec![
                ("127.0.0.1:8080/log/2026".into(), format!("127.0.0.1:{port}/log/{year}")),
                ("127.0.0.1:8080".into(), format!("127.0.0.1:{port}")),
                ("VKEY".into(), vkey.trim().to_owned()),
                ("DIR".into(), format!("./mizan-data/ledger/{year}")),
                witness,
            ];
        }
        block
    }

    /// The command as `sh` runs it here: `cargo run` is the built binary, placeholders filled.
    fn substitute(&self, command: &str) -> String {
        let mut c = command
            .replace("cargo run --release -p mizan --", "mizan")
            .replace("cargo run -p mizan --", "mizan");
        for (from, to) in &self.substitutions {
            // `DIR` and `VKEY` are whole words; addresses are parts of URLs.
            let word = from.bytes().all(|b| b.is_ascii_uppercase());
            c = c
                .split(' ')
                .map(|w| {
                    if word {
                        if w == from { to.clone() } else { w.to_owned() }
                    } else {
                        w.replace(from.as_str(), to)
                    }
                })
                .collect::<Vec<_>>()
                .join(" ");
        }
        c
    }

    fn command(&self, command: &str) -> Command {
        let mut cmd = Command::new("sh");
        cmd.arg("-c").arg(format!("exec {command}")).current_dir(self.dir.path()).env("PATH", &self.path_var);
        for (k, _) in std::env::vars_os() {
            if k.to_string_lossy().starts_with("MIZAN_") {
                cmd.env_remove(k);
            }
        }
        cmd.env("NO_COLOR", "1");
        cmd
    }

    fn spawn(&self, command: &str, stdout: Stdio) -> Running {
        let mut cmd = self.command(command);
        cmd.stdout(stdout).stderr(Stdio::null()).stdin(Stdio::null());
        Running(cmd.spawn().unwrap_or_else(|e| panic!("`{command}`: {e}")))
    }

    /// Runs a command to its end; fails unless it exits 0. Its standard output.
    fn run(&self, command: &str) -> String {
        let out = self
            .command(command)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("`{command}`: {e}"));
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "`{command}` failed ({}):\n{stdout}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        stdout
    }
}

/// Runs one README command (already substituted) as the README means it.
fn check(block: &Block, readme_command: &str, command: &str) {
    if command.starts_with("mizan serve") {
        let mut cmd = block.command(command);
        let port = free_port();
        cmd.env("MIZAN_LISTEN", format!("127.0.0.1:{port}")).stdout(Stdio::null()).stderr(Stdio::null());
        let mut server = Running(cmd.spawn().expect("serve"));
        let status = http_status(port, "/", &mut server.0);
        assert!(status.contains(" 200 "), "`{readme_command}` answers `/` with {status}");
    } else if command.starts_with("mizan witness") {
        let port: u16 = command
            .split_whitespace()
            .skip_while(|w| *w != "--listen")
            .nth(1)
            .and_then(|a| a.rsplit(':').next()?.parse().ok())
            .expect("--listen ADDR");
        let mut witness = block.spawn(command, Stdio::null());
        let status = http_status(port, "/", &mut witness.0);
        assert!(status.starts_with("HTTP/1.1 "), "`{readme_command}` answers HTTP");
    } else if command.starts_with("mizan log monitor") {
        let mut monitor = block.spawn(command, Stdio::piped());
        let stdout = monitor.0.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let line = rx.recv_timeout(WAIT).unwrap_or_else(|_| panic!("`{readme_command}` verified no round"));
        assert!(line.starts_with("ok: "), "`{readme_command}` printed `{line}`");
    } else {
        let stdout = block.run(command);
        for (part, printed) in PRINTS {
            if readme_command.contains(part) {
                assert!(stdout.contains(printed), "`{readme_command}` printed no `{printed}`:\n{stdout}");
            }
        }
    }
}

#[test]
fn every_readme_command_runs_as_written_or_is_listed_with_why() {
    let started = Instant::now();
    let blocks = blocks(README);
    let all: Vec<&String> = blocks.iter().flatten().collect();
    assert!(all.len() >= 15, "the README's commands are found: {all:#?}");
    for (part, why) in NOT_RUN {
        let n = all.iter().filter(|c| c.contains(part)).count();
        assert_eq!(n, 1, "NOT_RUN's `{part}` ({why}) names {n} README commands, not one");
    }

    let bin = tempfile::tempdir().expect("bin dir");
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_mizan"), bin.path().join("mizan")).expect("link mizan");
    let mut ran = 0;
    for commands in &blocks {
        let runnable: Vec<&String> =
            commands.iter().filter(|c| !NOT_RUN.iter().any(|(part, _)| c.contains(part))).collect();
        if runnable.is_empty() {
            continue;
        }
        let block = Block::new(bin.path(), commands);
        for c in runnable {
            let command = block.substitute(c);
            assert!(
                command.starts_with("mizan ") && !command.contains("cargo "),
                "README command `{c}` is neither run by this test nor listed in NOT_RUN with why"
            );
            check(&block, c, &command);
            println!("ran: {command}");
            ran += 1;
        }
    }
    for (part, why) in NOT_RUN {
        println!("not run: {part}: {why}");
    }
    assert_eq!(ran + NOT_RUN.len(), all.len(), "every README command is run or listed");
    assert!(started.elapsed() < Duration::from_secs(120), "took {:?}", started.elapsed());
}

#[test]
fn the_readme_parser_joins_continuations_and_drops_comments_and_output() {
    let md = "x\n```sh\nmizan a \\\n  --b \"c # d\"   # comment\n\nmizan e\n```\n```text\nnot a command\n```\n  ```console\n  $ mizan f\n  output\n  ```\n";
    assert_eq!(
        blocks(md),
        [vec!["mizan a --b \"c # d\"".to_owned(), "mizan e".to_owned()], vec!["mizan f".to_owned()]]
    );
}
