//! Benchmark driver (bench/dp/run.sh): builds a sandbox table from generated rows, then times
//! `Table::read_for` + `answer` for a few queries, printing the median of several runs.
//!
//!     bench [ROWS] [REPETITIONS] [TABLE_PATH]     (defaults: 10000000 5 /tmp/mizan-dp-bench.arrow)
//!
//! The rows: a unit id drawn among ROWS / 3 units (about three rows a unit; `k = 3` cuts
//! the heavier ones), a province (public keys, one value outside them), a sex (public
//! keys), a district (about 140 values, not public) and an income (log-uniform, 2 decimals).
//! The generator is seeded, so every run builds the same table.

use std::fs::File;
use std::io::BufReader;
use std::time::Instant;

use mizan_dp::{
    CategoricalColumn, NumericColumn, Query, Settings, Statistic, Table, TableBuilder, answer, plan,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const PROVINCES: [&str; 5] = ["Punjab", "Sindh", "Khyber Pakhtunkhwa", "Balochistan", "Islamabad"];
const WEIGHTS: [f64; 5] = [0.53, 0.23, 0.17, 0.06, 0.01];

fn settings() -> Settings {
    Settings {
        unit_column: "cnic".into(),
        max_rows_per_unit: 3,
        numeric: vec![NumericColumn { name: "income".into(), lower: 0.0, upper: 1_000_000.0, decimals: 2 }],
        categorical: vec![
            CategoricalColumn {
                name: "province".into(),
                keys: Some(PROVINCES[..4].iter().map(|p| (*p).to_owned()).collect()),
            },
            CategoricalColumn { name: "sex".into(), keys: Some(vec!["female".into(), "male".into()]) },
            CategoricalColumn { name: "district".into(), keys: None },
        ],
        project_epsilon: 10.0,
        project_delta: 1e-6,
        max_query_epsilon: 1.0,
        synthetic_epsilon: 1.0,
        query_delta: 1e-7,
        dataset_columns: Vec::new(),
    }
}

/// Calls `row` with each generated row's fields.
fn generate(rows: u64, mut row: impl FnMut(&[&str])) {
    let mut rng = ChaCha8Rng::seed_from_u64(19);
    let units = (rows / 3).max(1);
    let mut unit = String::new();
    let mut district = String::new();
    let mut income = String::new();
    for _ in 0..rows {
        use std::fmt::Write;
        unit.clear();
        district.clear();
        income.clear();
        let _ = write!(unit, "{:013}", rng.gen_range(0..units));
        let u: f64 = rng.r#gen();
        let mut p = 0;
        let mut acc = WEIGHTS[0];
        while u > acc && p < 4 {
            p += 1;
            acc += WEIGHTS[p];
        }
        let sex = if rng.gen_bool(0.49) { "female" } else { "male" };
        let _ = write!(district, "{}-{}", &PROVINCES[p][..3], rng.gen_range(0..35));
        // log-uniform between 1,000 and 1,000,000, in paisa
        let x: f64 = 10f64.powf(3.0 + 3.0 * rng.r#gen::<f64>());
        let _ = write!(income, "{x:.2}");
        row(&[&unit, PROVINCES[p], sex, &district, &income]);
    }
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let rows: u64 = args.get(1).map_or(Ok(10_000_000), |a| a.parse())?;
    let reps: usize = args.get(2).map_or(Ok(5), |a| a.parse())?;
    let path = args.get(3).cloned().unwrap_or_else(|| "/tmp/mizan-dp-bench.arrow".into());
    let s = settings();
    let header: Vec<String> = ["cnic", "province", "sex", "district", "income"].map(String::from).to_vec();

    let t = Instant::now();
    let mut n = 0u64;
    generate(rows, |r| n += r.len() as u64);
    let generation = t.elapsed().as_secs_f64();

    let t = Instant::now();
    let mut builder = TableBuilder::new(&s, &header)?;
    let mut failed = None;
    generate(rows, |r| {
        if let Err(e) = builder.push(r) {
            failed.get_or_insert(e);
        }
    });
    if let Some(e) = failed {
        return Err(e.into());
    }
    let pushed = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let stats = builder.finish(std::io::BufWriter::new(File::create(&path)?))?;
    let written = t.elapsed().as_secs_f64();
    let size = std::fs::metadata(&path)?.len();
    println!(
        "build: {rows} rows ({} units, {} kept) in {:.2} s (generating {:.2} s, pushing {:.2} s, writing {:.2} s); \
         table {:.1} MiB at {path}",
        stats.units,
        stats.rows_kept,
        pushed - generation + written,
        generation,
        pushed - generation,
        written,
        size as f64 / (1 << 20) as f64
    );
    let _ = n;

    let queries = [
        (
            "count by province, sex",
            Query {
                statistic: Statistic::Count,
                group_by: vec!["province".into(), "sex".into()],
                filters: Vec::new(),
                epsilon: 0.5,
            },
        ),
        (
            "mean(income) by province",
            Query {
                statistic: Statistic::Mean { column: "income".into() },
                group_by: vec!["province".into()],
                filters: Vec::new(),
                epsilon: 0.5,
            },
        ),
        (
            "mean(income) by province, sex",
            Query {
                statistic: Statistic::Mean { column: "income".into() },
                group_by: vec!["province".into(), "sex".into()],
                filters: Vec::new(),
                epsilon: 0.5,
            },
        ),
        (
            "count by district (partition selection)",
            Query {
                statistic: Statistic::Count,
                group_by: vec!["district".into()],
                filters: Vec::new(),
                epsilon: 0.5,
            },
        ),
        (
            "quantile(income, 0.5) by province",
            Query {
                statistic: Statistic::Quantile { column: "income".into(), q: 0.5 },
                group_by: vec!["province".into()],
                filters: Vec::new(),
                epsilon: 0.5,
            },
        ),
    ];
    for (name, q) in queries {
        let p = plan(&s, &q)?;
        let mut read_ms = Vec::new();
        let mut total_ms = Vec::new();
        let mut cells = 0;
        for _ in 0..reps {
            let t = Instant::now();
            let table = Table::read_for(&p, &s, BufReader::new(File::open(&path)?))?;
            let read = t.elapsed().as_secs_f64() * 1e3;
            let a = answer(&p, &s, &table)?;
            total_ms.push(t.elapsed().as_secs_f64() * 1e3);
            read_ms.push(read);
            cells = a.cells.len();
        }
        println!(
            "{name}: median {:.0} ms (read_for {:.0} ms) over {reps} runs; {cells} cells",
            median(total_ms),
            median(read_ms)
        );
    }
    Ok(())
}
