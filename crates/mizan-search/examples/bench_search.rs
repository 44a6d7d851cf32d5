//! Search latency over a synthetic catalogue: indexes N datasets (default 100,000; seeded,
//! English and Urdu words from small vocabularies) into a temporary directory, runs 2,000
//! queries (1–3 words, English and Urdu, with and without filters, every sort) and prints
//! p50/p95/p99 latency. Run by `bench/search/run.sh`; the target is p99 ≤ 20 ms.
//!
//! `cargo run --release -p mizan-search --example bench_search -- [docs] [queries] [limit]`

use std::time::{Duration, Instant};

use mizan_search::{Filters, Index, Query, SearchDoc, Sort};

const EN: &[&str] = &[
    "crop",
    "yield",
    "wheat",
    "rice",
    "cotton",
    "sugarcane",
    "rainfall",
    "temperature",
    "flood",
    "drought",
    "school",
    "enrolment",
    "literacy",
    "teacher",
    "hospital",
    "vaccination",
    "health",
    "maternal",
    "mortality",
    "nutrition",
    "population",
    "census",
    "household",
    "income",
    "poverty",
    "employment",
    "labour",
    "wage",
    "price",
    "inflation",
    "trade",
    "export",
    "import",
    "electricity",
    "energy",
    "gas",
    "water",
    "sanitation",
    "road",
    "traffic",
    "accident",
    "railway",
    "airport",
    "tax",
    "revenue",
    "budget",
    "expenditure",
    "district",
    "tehsil",
    "village",
    "urban",
    "rural",
    "women",
    "children",
    "youth",
    "survey",
    "statistics",
    "annual",
    "monthly",
    "daily",
    "report",
    "register",
    "land",
    "forest",
    "air",
    "quality",
    "pollution",
    "climate",
    "emission",
    "mobile",
    "internet",
    "broadband",
    "digital",
    "court",
    "police",
    "crime",
    "election",
    "voter",
    "parliament",
    "bank",
    "loan",
    "microfinance",
    "insurance",
    "pension",
    "mining",
    "fisheries",
    "livestock",
    "dairy",
    "poultry",
    "fertiliser",
    "irrigation",
    "canal",
    "dam",
    "groundwater",
    "satellite",
    "imagery",
    "boundaries",
    "map",
    "images",
    "speech",
    "text",
    "corpus",
    "language",
    "translation",
    "model",
    "training",
    "benchmark",
];

const UR: &[&str] = &[
    "پاکستان",
    "تعلیم",
    "صحت",
    "زراعت",
    "گندم",
    "چاول",
    "کپاس",
    "بارش",
    "سیلاب",
    "آبادی",
    "مردم",
    "شماری",
    "اسکول",
    "ہسپتال",
    "ویکسین",
    "غذائیت",
    "روزگار",
    "مزدوری",
    "قیمت",
    "مہنگائی",
    "تجارت",
    "برآمد",
    "درآمد",
    "بجلی",
    "توانائی",
    "پانی",
    "سڑک",
    "ریلوے",
    "ٹیکس",
    "بجٹ",
    "ضلع",
    "گاؤں",
    "شہری",
    "دیہی",
    "خواتین",
    "بچے",
    "نوجوان",
    "سروے",
    "اعداد",
    "شمار",
    "سالانہ",
    "ماہانہ",
    "رپورٹ",
    "زمین",
    "جنگلات",
    "ہوا",
    "آلودگی",
    "موسم",
    "موبائل",
    "انٹرنیٹ",
    "عدالت",
    "پولیس",
    "انتخابات",
    "بینک",
    "قرض",
    "ماہی",
    "مویشی",
    "آبپاشی",
    "نہر",
    "ڈیم",
    "زبان",
    "ترجمہ",
    "کارکردگی",
    "ادارہ",
    "شماریات",
    "وزارت",
];

const THEMES: &[&str] = &[
    "agriculture",
    "education",
    "health",
    "economy",
    "energy",
    "environment",
    "transport",
    "governance",
    "justice",
    "population",
    "finance",
    "technology",
    "language",
    "water",
    "labour",
];
const PROVINCES: &[&str] =
    &["punjab", "sindh", "khyber-pakhtunkhwa", "balochistan", "gilgit-baltistan", "ajk", "ict"];
const FORMATS: &[&str] = &["CSV", "Parquet", "JSON", "GeoJSON", "XLSX", "PDF"];
const LICENCES: &[&str] =
    &["cc-by-4.0", "cc-by-sa-4.0", "cc0-1.0", "odbl-1.0", "ogl-pk-1.0", "restricted-use"];
const ACCESS: &[&str] = &["open", "registered", "restricted"];

/// SplitMix64: a fixed, seeded sequence, so every run indexes the same catalogue.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (n > 0).
    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n as u64).unwrap_or(0)
    }

    /// Words from `vocab`, skewed towards the front (a few common words, many rare).
    fn pick<'a>(&mut self, vocab: &[&'a str]) -> &'a str {
        let a = self.below(vocab.len());
        let b = self.below(vocab.len());
        vocab[a.min(b)]
    }

    fn words(&mut self, vocab: &[&str], n: usize) -> String {
        (0..n).map(|_| self.pick(vocab)).collect::<Vec<_>>().join(" ")
    }

    fn some(&mut self, vocab: &[&str], max: usize) -> Vec<String> {
        let n = 1 + self.below(max);
        (0..n).map(|_| vocab[self.below(vocab.len())].to_owned()).collect()
    }
}

fn doc(rng: &mut Rng, i: usize) -> SearchDoc {
    let org = rng.below(60);
    let title_len = 3 + rng.below(5);
    let desc_len = 20 + rng.below(30);
    SearchDoc {
        id: format!("dataset-{i}"),
        org: format!("org-{org}"),
        publisher_en: format!("Bureau of {} {org}", rng.pick(EN)),
        publisher_ur: format!("{} ادارہ {org}", rng.pick(UR)),
        title_en: rng.words(EN, title_len),
        title_ur: rng.words(UR, title_len),
        description_en: rng.words(EN, desc_len),
        description_ur: rng.words(UR, desc_len),
        keywords: [rng.some(EN, 3), rng.some(UR, 2)].concat(),
        themes: rng.some(THEMES, 2),
        licence: LICENCES[rng.below(LICENCES.len())].to_owned(),
        formats: rng.some(FORMATS, 3),
        access: ACCESS[rng.below(ACCESS.len())].to_owned(),
        provinces: rng.some(PROVINCES, 2),
        modified: 1_600_000_000 + i64::try_from(rng.below(150_000_000)).unwrap_or(0),
        version: 1,
    }
}

fn query(rng: &mut Rng) -> Query {
    let vocab = if rng.below(3) == 0 { UR } else { EN };
    let n = 1 + rng.below(3);
    let mut text = rng.words(vocab, n);
    // a third are typed with a trailing space (no prefix), the rest end mid-word
    if rng.below(3) == 0 {
        text.push(' ');
    } else if rng.below(2) == 0 && text.chars().count() > 4 {
        let keep = text.chars().count() - 2;
        text = text.chars().take(keep).collect();
    }
    let mut filters = Filters::default();
    if rng.below(2) == 0 {
        filters.province.push(PROVINCES[rng.below(PROVINCES.len())].to_owned());
    }
    if rng.below(3) == 0 {
        filters.theme.push(THEMES[rng.below(THEMES.len())].to_owned());
    }
    if rng.below(4) == 0 {
        filters.access.push("open".to_owned());
    }
    // one in ten browses (no words), sorted by modification time
    if rng.below(10) == 0 {
        text.clear();
    }
    let sort = match rng.below(10) {
        0 => Sort::Title,
        1 => Sort::Modified,
        _ => Sort::Relevance,
    };
    Query { text, filters, sort, offset: 0, limit: 20 }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss,
        reason = "an index into a short list"
    )]
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(i).copied().unwrap_or_default()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let docs: usize = args.next().map_or(Ok(100_000), |a| a.parse())?;
    let queries: usize = args.next().map_or(Ok(2_000), |a| a.parse())?;
    // hits per page (0: totals and facets only, to see what highlighting costs)
    let limit: usize = args.next().map_or(Ok(20), |a| a.parse())?;
    let dir = tempfile::tempdir()?;
    let index = Index::open(dir.path())?;

    let started = Instant::now();
    let mut rng = Rng(18);
    let count = index.rebuild((0..docs).map(|i| doc(&mut rng, i)))?;
    let indexed = started.elapsed();
    let bytes: u64 = std::fs::read_dir(dir.path().join(mizan_search::SCHEMA_VERSION))?
        .filter_map(Result::ok)
        .filter_map(|e| e.metadata().ok())
        .map(|m| m.len())
        .sum();
    eprintln!(
        "indexed {count} datasets in {:.1} s ({:.1} MB on disk)",
        indexed.as_secs_f64(),
        bytes as f64 / 1e6
    );

    let segments = |dir: &std::path::Path| {
        std::fs::read_dir(dir.join(mizan_search::SCHEMA_VERSION)).map_or(0, |d| {
            d.filter_map(Result::ok).filter(|e| e.path().extension().is_some_and(|x| x == "store")).count()
        })
    };
    eprintln!("segments after rebuild: {}", segments(dir.path()));
    let mut rng = Rng(2026);
    let qs: Vec<Query> = (0..queries).map(|_| Query { limit, ..query(&mut rng) }).collect();
    // warm the page cache and tantivy's caches
    for q in qs.iter().take(200) {
        index.search(q)?;
    }
    let mut times = Vec::with_capacity(qs.len());
    let mut hits = 0usize;
    let mut relaxed = 0usize;
    for q in &qs {
        let t = Instant::now();
        let r = index.search(q)?;
        times.push(t.elapsed());
        hits += r.hits.len();
        relaxed += usize::from(!r.matched_all_words);
    }
    times.sort();
    eprintln!("segments after the run: {}", segments(dir.path()));
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "search {docs} datasets, {queries} queries: p50 {:.2} ms, p95 {:.2} ms, p99 {:.2} ms, max {:.2} ms (mean hits {:.1}, any-word fallbacks {relaxed})",
        ms(percentile(&times, 0.50)),
        ms(percentile(&times, 0.95)),
        ms(percentile(&times, 0.99)),
        ms(percentile(&times, 1.0)),
        hits as f64 / queries as f64,
    );
    Ok(())
}
