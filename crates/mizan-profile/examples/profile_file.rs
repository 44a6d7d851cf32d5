//! Profiles one file and prints the profile as JSON: the benchmark's driver.
//!
//! `cargo run --release --example profile_file -p mizan-profile -- FILE [--sensitive a,b] [--no-pii]`
//! The format comes from the extension (`.csv`, `.parquet`, `.jsonl`). The platform's PII
//! scanner (`mizan_pii::ColumnScanner`, a dev-dependency) sees every value, as on an upload;
//! the flagged columns go to stderr with the time taken.

use std::time::Instant;

use mizan_profile::{Format, Options, ValueObserver, profile_file};

/// The platform's personal-data scanner (`mizan-pii`) as the observer of a column, as
/// `mizan-app` runs it on every upload. A Parquet dictionary's value is classified once with
/// its count (`observe_repeated`), not once per row.
struct Pii(mizan_pii::ColumnScanner);

impl ValueObserver for Pii {
    fn observe(&mut self, v: &str) {
        self.0.observe(v);
    }

    fn observe_repeated(&mut self, v: &str, count: u64) {
        self.0.observe_repeated(v, count);
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let path = args.first().ok_or("usage: profile_file FILE [--sensitive a,b]")?;
    let format = match path.rsplit('.').next() {
        Some("csv") => Format::Csv,
        Some("parquet") => Format::Parquet,
        Some("jsonl" | "ndjson") => Format::JsonLines,
        _ => return Err("the file name must end in .csv, .parquet or .jsonl".into()),
    };
    let mut options = Options::default();
    if let Some(i) = args.iter().position(|a| a == "--sensitive") {
        options.sensitive =
            args.get(i + 1).map(|s| s.split(',').map(str::to_owned).collect()).unwrap_or_default();
    }
    let start = Instant::now();
    let file = std::fs::File::open(path)?;
    let scan = !args.iter().any(|a| a == "--no-pii");
    let out =
        profile_file(format, file, &options, &mut |c| scan.then(|| Pii(mizan_pii::ColumnScanner::new(c))))?;
    let took = start.elapsed();
    let flagged: Vec<String> = out
        .observers
        .iter()
        .filter_map(|(c, o)| o.0.finish().map(|f| format!("{c}: {}", f.kind.id())))
        .collect();
    eprintln!(
        "profiled {} rows x {} columns in {:.2} s; flagged: {}",
        out.profile.rows,
        out.profile.columns.len(),
        took.as_secs_f64(),
        flagged.join(", ")
    );
    println!("{}", serde_json::to_string_pretty(&out.profile)?);
    Ok(())
}
