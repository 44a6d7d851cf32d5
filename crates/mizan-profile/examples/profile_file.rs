//! Profiles one file and prints the profile as JSON: the benchmark's driver.
//!
//! `cargo run --release --example profile_file -p mizan-profile -- FILE [--sensitive a,b]`
//! The format comes from the extension (`.csv`, `.parquet`, `.jsonl`). A stand-in PII
//! observer (CNIC, mobile number and e-mail shapes) sees the values, as the platform's
//! scanner would; its counts go to stderr with the time taken.

use std::time::Instant;

use mizan_profile::{Format, Options, ValueObserver, profile_file};

/// Counts values shaped like a CNIC, a Pakistani mobile number or an e-mail address.
#[derive(Default)]
struct Shapes {
    hits: u64,
}

impl ValueObserver for Shapes {
    fn observe(&mut self, v: &str) {
        let b = v.as_bytes();
        let digits = b.iter().filter(|c| c.is_ascii_digit()).count();
        let cnic =
            (b.len() == 15 && b.get(5) == Some(&b'-') && digits == 13) || (b.len() == 13 && digits == 13);
        let mobile = b.starts_with(b"03") && digits == 11;
        let email = memchr_at(b) && v.contains('.');
        self.hits += u64::from(cnic || mobile || email);
    }
}

fn memchr_at(b: &[u8]) -> bool {
    b.contains(&b'@')
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
    let out = profile_file(format, file, &options, &mut |_| Some(Shapes::default()))?;
    let took = start.elapsed();
    let hits: u64 = out.observers.iter().map(|(_, o)| o.hits).sum();
    eprintln!(
        "profiled {} rows x {} columns in {:.2} s; pii-shaped values: {hits}",
        out.profile.rows,
        out.profile.columns.len(),
        took.as_secs_f64()
    );
    println!("{}", serde_json::to_string_pretty(&out.profile)?);
    Ok(())
}
