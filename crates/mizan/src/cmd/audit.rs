//! `mizan audit fairness`: a bias assessment of a decisions file.
//!
//! Streams the needed columns into count cells (`mizan-fairness-io`, which also hashes the
//! file), builds the report (`mizan-fairness`: rates with intervals, disparities, corrected
//! group comparisons, a seeded bootstrap, preset verdicts) and renders it
//! (`mizan-fairness-report`) as JSON, text or one self-contained HTML page, to stdout or
//! `--output`. A progress bar appears on stderr when reading takes more than half a second
//! and stderr is a terminal; `--timings` logs how long each phase took.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand, ValueEnum};
use mizan_fairness::{Correction, EdgeMode, bootstrap, preset, report};
use mizan_fairness_report::{Document, Source};

/// Arguments of `mizan audit`.
#[derive(Debug, Args)]
pub struct AuditArgs {
    #[command(subcommand)]
    command: AuditCommand,
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// Group fairness of decisions: rates by group with intervals, disparities (fairlearn
    /// definitions), corrected comparisons, a seeded bootstrap and preset verdicts.
    Fairness(FairnessArgs),
}

/// Report format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// Every number, with counts, seed and input hash (the documented format).
    Json,
    /// A readable summary.
    Text,
    /// One self-contained, printable page with charts and an English and Urdu summary.
    Html,
}

/// Multiple-comparison correction.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum CorrectionArg {
    /// Holm step-down (family-wise error rate).
    Holm,
    /// Benjamini–Hochberg (false discovery rate).
    Bh,
    /// No correction.
    None,
}

#[derive(Debug, Args)]
struct FairnessArgs {
    /// Decisions file: CSV with a header row, Parquet, or Arrow IPC (file or stream); only the
    /// named columns are read.
    #[arg(long)]
    input: PathBuf,
    /// Column with the true outcome.
    #[arg(long)]
    label: String,
    /// Column with the decision (or prediction).
    #[arg(long)]
    prediction: String,
    /// Sensitive feature columns, comma-separated; groups are every combination of their values.
    #[arg(long, value_delimiter = ',', required = true)]
    sensitive: Vec<String>,
    /// Control feature: groups are compared within each of its values.
    #[arg(long)]
    control: Option<String>,
    /// Sample weight column.
    #[arg(long)]
    weight: Option<String>,
    /// The favourable value of label and decision; inferred for 0/1, -1/1 and true/false.
    #[arg(long, allow_hyphen_values = true)]
    pos_label: Option<String>,
    /// A fairness standard to judge against: pk-national, eu-ai-act-data-governance,
    /// nyc-ll144, us-four-fifths or aif360-disparate-impact (which needs --privileged).
    #[arg(long)]
    preset: Option<String>,
    /// The privileged group of AIF360's comparisons (disparate impact, statistical parity,
    /// average odds, ...): one `feature=value` per sensitive feature, comma-separated, e.g.
    /// `--privileged sex=male,region=Punjab`. Without it the report says the AIF360
    /// comparisons need one.
    #[arg(long)]
    privileged: Option<String>,
    /// Output format [default: from the --output extension, else text].
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Write the report here instead of to standard output.
    #[arg(long)]
    output: Option<PathBuf>,
    /// Bootstrap replicates (B) for the worst-case summaries; 0 turns the bootstrap off.
    #[arg(long, default_value_t = 1000)]
    bootstrap: u32,
    /// Seed of the bootstrap's random stream (recorded in the report).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Correction across the group-versus-rest comparisons of each rate.
    #[arg(long, value_enum, default_value = "holm")]
    correction: CorrectionArg,
    /// Groups with fewer rows are flagged as too small to judge.
    #[arg(long, default_value_t = 30)]
    min_group_size: u64,
    /// Groups with fewer favourable (or unfavourable) decisions are flagged as too small.
    #[arg(long, default_value_t = 5)]
    min_events: u64,
    /// Reproduce fairlearn's edge cases: a zero denominator gives 0 instead of undefined.
    #[arg(long)]
    fairlearn_compat: bool,
    /// Log the time of each phase (hash, count pass, report, render) on stderr. The hash and
    /// the count pass then run one after the other instead of side by side.
    #[arg(long)]
    timings: bool,
}

/// Runs `mizan audit`.
///
/// # Errors
/// Unreadable or malformed input (the message names the column, row or line), unknown
/// presets, and failures writing the output.
pub fn run(args: AuditArgs) -> Result<()> {
    match args.command {
        AuditCommand::Fairness(a) => fairness(&a),
    }
}

fn fairness(a: &FairnessArgs) -> Result<()> {
    if let Some(bad) = a.sensitive.iter().find(|s| s.trim().is_empty()) {
        bail!(
            "`--sensitive` has an empty column name (`{bad}`)\nhint: separate column names with commas, e.g. `--sensitive sex,age_band`"
        );
    }
    for (i, s) in a.sensitive.iter().enumerate() {
        if a.sensitive[..i].contains(s) {
            bail!("column `{s}` is listed twice in `--sensitive`\nhint: list each sensitive column once");
        }
    }
    let preset = match &a.preset {
        None => None,
        Some(name) => Some(preset::find(name).with_context(|| {
            let names: Vec<String> = preset::builtin().iter().map(|p| format!("`{}`", p.name)).collect();
            format!("unknown preset `{name}`\nhint: the presets are {}", names.join(", "))
        })?),
    };
    let pairs = match &a.privileged {
        None => None,
        Some(text) => Some(mizan_fairness::aif360::parse_privileged(text).map_err(|e| {
            anyhow::anyhow!(
                "`--privileged`: {e}\nhint: one value per sensitive feature, e.g. `--privileged sex=male`"
            )
        })?),
    };
    let format = a.format.unwrap_or_else(|| format_from(a.output.as_deref()));
    let spec = mizan_fairness_io::Spec {
        label: a.label.clone(),
        prediction: a.prediction.clone(),
        sensitive: a.sensitive.clone(),
        control: a.control.clone(),
        weight: a.weight.clone(),
        pos_label: a.pos_label.clone(),
        ..mizan_fairness_io::Spec::default()
    };
    let started = Instant::now();
    let (loaded, read_times) = with_progress(std::io::stderr().is_terminal(), |progress| {
        let opts = mizan_fairness_io::Options { progress, ..mizan_fairness_io::Options::default() };
        if a.timings {
            let t = Instant::now();
            let sha256 = mizan_fairness_io::sha256(&a.input, progress)?;
            let hash = t.elapsed();
            let t = Instant::now();
            let c = mizan_fairness_io::count(&a.input, &spec, &opts)?;
            let loaded =
                mizan_fairness_io::Loaded { cells: c.cells, sha256, rows: c.rows, pos_label: c.pos_label };
            Ok((loaded, Some((hash, t.elapsed()))))
        } else {
            mizan_fairness_io::load_with(&a.input, &spec, &opts).map(|l| (l, None))
        }
    })
    .with_context(|| format!("cannot audit `{}`", a.input.display()))?;
    let read = started.elapsed();
    let privileged = match &pairs {
        None => None,
        Some(p) => Some(mizan_fairness::aif360::privileged_group(&loaded.cells, p).map_err(|e| {
            anyhow::anyhow!(
                "`--privileged`: {e}\nhint: one value per sensitive feature, e.g. `--privileged sex=male`"
            )
        })?),
    };
    let cfg = report::Config {
        privileged,
        mode: if a.fairlearn_compat { EdgeMode::FairlearnCompat } else { EdgeMode::Honest },
        min_rows: a.min_group_size,
        min_events: a.min_events,
        preset,
        correction: match a.correction {
            CorrectionArg::Holm => Correction::Holm,
            CorrectionArg::Bh => Correction::BenjaminiHochberg,
            CorrectionArg::None => Correction::None,
        },
        bootstrap: bootstrap::Config {
            replicates: a.bootstrap,
            seed: a.seed,
            ..bootstrap::Config::default()
        },
        ..report::Config::default()
    };
    let t = Instant::now();
    let built = report::build(&loaded.cells, &cfg);
    let report_time = t.elapsed();
    let source = Source {
        input: a.input.display().to_string(),
        sha256: loaded.sha256,
        rows: u64::try_from(loaded.rows).unwrap_or(u64::MAX),
        label: a.label.clone(),
        prediction: a.prediction.clone(),
        pos_label: loaded.pos_label.clone(),
        weight: a.weight.clone(),
    };
    let doc = Document::new(&built, source, env!("CARGO_PKG_VERSION"), &reproduce(a, &loaded.pos_label));
    let t = Instant::now();
    let out = match format {
        Format::Json => mizan_fairness_report::json(&doc)?,
        Format::Text => mizan_fairness_report::text(&doc),
        Format::Html => mizan_fairness_report::html(&doc),
    };
    if let Some((hash, count)) = read_times {
        #[expect(clippy::cast_precision_loss, reason = "a rate for people to read")]
        let rows_per_s = loaded.rows as f64 / count.as_secs_f64();
        tracing::info!(
            rows = loaded.rows,
            hash_s = hash.as_secs_f64(),
            count_pass_s = count.as_secs_f64(),
            rows_per_s = rows_per_s.round(),
            threads = mizan_fairness_io::threads(),
            read_s = read.as_secs_f64(),
            report_s = report_time.as_secs_f64(),
            render_s = t.elapsed().as_secs_f64(),
            "timings"
        );
    }
    match &a.output {
        Some(path) => {
            std::fs::write(path, out)
                .with_context(|| format!("cannot write the report to `{}`", path.display()))?;
            tracing::info!(path = %path.display(), rows = built.rows, groups = built.groups.len(), "wrote fairness report");
        }
        None => out_raw!("{out}"),
    }
    Ok(())
}

/// Bytes of reading ahead and done, shared with the readers' threads.
#[derive(Default)]
struct Bar {
    total: AtomicU64,
    done: AtomicU64,
}

impl mizan_fairness_io::Progress for Bar {
    fn add_work(&self, bytes: u64) {
        self.total.fetch_add(bytes, Ordering::Relaxed);
    }

    fn work_done(&self, bytes: u64) {
        self.done.fetch_add(bytes, Ordering::Relaxed);
    }
}

impl Bar {
    #[expect(clippy::cast_precision_loss, reason = "a bar for people to read")]
    fn draw(&self, elapsed: Duration) {
        let total = self.total.load(Ordering::Relaxed).max(1);
        let done = self.done.load(Ordering::Relaxed).min(total);
        let fraction = done as f64 / total as f64;
        const WIDTH: usize = 30;
        #[expect(clippy::cast_possible_truncation, clippy::cast_sign_loss, reason = "0..=WIDTH")]
        let filled = (fraction * WIDTH as f64) as usize;
        let seconds = elapsed.as_secs_f64();
        // Work is bytes over every pass (a CSV is read twice), so the bar shows the fraction and
        // the time left, not sizes.
        let left = if fraction > 0.02 {
            format!(", about {:.0} s left", (seconds * (1.0 - fraction) / fraction).ceil())
        } else {
            String::new()
        };
        let mut err = std::io::stderr().lock();
        // Nothing to do if stderr is gone: the bar is decoration.
        let _ = write!(
            err,
            "\r\x1b[2K[{}{}] {:>3.0}%  reading, {seconds:.1} s{left}",
            "#".repeat(filled),
            "-".repeat(WIDTH - filled),
            fraction * 100.0,
        );
        let _ = err.flush();
    }
}

/// Runs `f` with a progress bar on stderr (when `show` and `f` takes over half a second);
/// the bar's line is cleared when `f` returns.
fn with_progress<T>(show: bool, f: impl FnOnce(Option<&dyn mizan_fairness_io::Progress>) -> T) -> T {
    if !show {
        return f(None);
    }
    let bar = Bar::default();
    let (stop, stopped) = mpsc::channel::<()>();
    std::thread::scope(|s| {
        let bar = &bar;
        s.spawn(move || {
            let start = Instant::now();
            let mut drawn = false;
            while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(Duration::from_millis(100))
            {
                if start.elapsed() > Duration::from_millis(500) {
                    bar.draw(start.elapsed());
                    drawn = true;
                }
            }
            if drawn {
                eprint!("\r\x1b[2K");
            }
        });
        let out = f(Some(bar));
        drop(stop);
        out
    })
}

fn format_from(output: Option<&Path>) -> Format {
    let ext = output.and_then(Path::extension).and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("json") => Format::Json,
        Some("html" | "htm") => Format::Html,
        _ => Format::Text,
    }
}

/// Quotes `s` for a POSIX shell when it needs it.
fn sh(s: &str) -> String {
    let plain = !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_./,:=+@%".contains(c));
    if plain { s.to_owned() } else { format!("'{}'", s.replace('\'', r"'\''")) }
}

/// The command line that recomputes this report (format and output left out).
fn reproduce(a: &FairnessArgs, pos_label: &str) -> String {
    let mut parts = vec![
        "mizan audit fairness".to_owned(),
        format!("--input {}", sh(&a.input.display().to_string())),
        format!("--label {}", sh(&a.label)),
        format!("--prediction {}", sh(&a.prediction)),
        format!("--sensitive {}", sh(&a.sensitive.join(","))),
    ];
    if let Some(c) = &a.control {
        parts.push(format!("--control {}", sh(c)));
    }
    if let Some(w) = &a.weight {
        parts.push(format!("--weight {}", sh(w)));
    }
    parts.push(format!("--pos-label {}", sh(pos_label)));
    if let Some(p) = &a.preset {
        parts.push(format!("--preset {}", sh(p)));
    }
    if let Some(p) = &a.privileged {
        parts.push(format!("--privileged {}", sh(p)));
    }
    let correction = match a.correction {
        CorrectionArg::Holm => "holm",
        CorrectionArg::Bh => "bh",
        CorrectionArg::None => "none",
    };
    parts.push(format!(
        "--bootstrap {} --seed {} --correction {correction} --min-group-size {} --min-events {}",
        a.bootstrap, a.seed, a.min_group_size, a.min_events
    ));
    if a.fairlearn_compat {
        parts.push("--fairlearn-compat".to_owned());
    }
    parts.join(" ")
}
