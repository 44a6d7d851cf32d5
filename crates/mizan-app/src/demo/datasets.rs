//! The demo datasets of the national AI data repository (issue #18 item 10): nine synthetic
//! Pakistani datasets that `serve --demo` publishes, so that a newcomer can search in Urdu,
//! read profiles and Croissant, see the PII scan flag a CNIC column, and request access to a
//! restricted dataset, all without a byte of real data.
//!
//! What is here, and who publishes it ([`demo_datasets`] lists them in this order):
//!
//! | slug | org | tier | file |
//! |---|---|---|---|
//! | `district-school-enrolment` | citizen services | open, 2 versions | CSV |
//! | `crop-yields-by-district` | citizen services | open, 2 versions | CSV |
//! | `microfinance-repayments` | Indus bank | restricted (CNIC, mobile) | CSV |
//! | `urdu-news-headlines` | citizen services | registered | JSON Lines |
//! | `outpatient-visits-by-district` | Rahbar health | open | CSV |
//! | `electricity-load-shedding` | citizen services | open | CSV |
//! | `metro-ridership-daily` | citizen services | registered | CSV |
//! | `citizen-service-complaints` | citizen services | restricted (names, e-mail) | CSV |
//! | `air-quality-pm25-daily` | citizen services | open | CSV + notes |
//!
//! Only `demo-citizen-services` has a data steward, so it publishes seven of the nine,
//! including one restricted dataset whose access requests the steward can decide; the bank
//! and the health company each publish the one dataset that is theirs by nature.
//!
//! Why generated here, and how: real Pakistani microdata cannot ship in a demo, and a fixture
//! file would hide how the numbers were made. Each dataset draws from its own ChaCha20 stream
//! (seeded with [`SEED`] plus the dataset's number, so changing one leaves the others' bytes
//! alone) through integer arithmetic only, and every decimal is printed from a scaled integer:
//! the bytes are the same on every run and machine, and no `f64` formatting or `HashMap` order
//! enters. The figures are shaped like Pakistani statistics (2023 census populations, the
//! 2015 cotton failure, the 2022 floods, Lahore's winter smog, Ramadan and Eid in ridership)
//! but are not them, and every description says so.
//!
//! Identifiers: the CNICs and mobile numbers of `microfinance-repayments` and the names and
//! e-mail addresses of `citizen-service-complaints` are generated (e-mail on the reserved
//! `example.*` domains) and shaped like real ones, so that the scan flags them; both datasets
//! are restricted. Open and registered datasets hold no column the scan flags.
//!
//! Size: about 2.8 MB for the newest versions together (older versions add about 0.1 MB),
//! generated in well under a second in a release build.

use std::fmt::{Display, Write as _};

use mizan_catalog::{AccessTier, Column, ColumnType, Contact, DatasetMeta, Rai, Temporal, Text};
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;
use time::macros::date;
use time::{Date, Duration, Month, Weekday};

/// The seed every demo dataset is generated from (each adds its own number).
pub(crate) const SEED: u64 = 0x4D49_5A41_4E18_0010;

/// One demo dataset: who publishes it, its newest version, and the versions before it.
pub(crate) struct DemoDataset {
    /// The publishing organisation's slug (`demo-citizen-services`, ...).
    pub org: &'static str,
    /// The dataset's slug.
    pub slug: &'static str,
    /// The newest version's metadata.
    pub meta: DatasetMeta,
    /// The newest version's files.
    pub files: Vec<DemoFile>,
    /// How many versions to publish; `earlier.len() + 1`.
    pub versions: u32,
    /// The versions before the newest, oldest first, each an earlier subset of the rows.
    pub earlier: Vec<DemoVersion>,
}

/// A version published before the newest one.
pub(crate) struct DemoVersion {
    /// Its metadata (its own temporal coverage and description).
    pub meta: DatasetMeta,
    /// Its files.
    pub files: Vec<DemoFile>,
}

/// One file of a demo dataset version.
pub(crate) struct DemoFile {
    /// File name (`district-school-enrolment.csv`).
    pub name: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

impl DemoDataset {
    /// Every version, oldest first, as (metadata, files): publish them in this order.
    pub(crate) fn all_versions(&self) -> impl Iterator<Item = (&DatasetMeta, &[DemoFile])> {
        self.earlier
            .iter()
            .map(|v| (&v.meta, v.files.as_slice()))
            .chain(std::iter::once((&self.meta, self.files.as_slice())))
    }
}

/// Every demo dataset, generated from [`SEED`]; the same bytes on every call.
pub(crate) fn demo_datasets() -> Vec<DemoDataset> {
    vec![
        school_enrolment(),
        crop_yields(),
        microfinance(),
        news_headlines(),
        outpatient_visits(),
        load_shedding(),
        metro_ridership(),
        citizen_complaints(),
        air_quality(),
    ]
}

const CITIZEN: &str = "demo-citizen-services";
const BANK: &str = "demo-indus-bank";
const HEALTH: &str = "demo-rahbar-health";

// ---------------------------------------------------------------------------------------------
// Randomness, text and tables
// ---------------------------------------------------------------------------------------------

/// A seeded stream with the few draws the generators need, all on integers.
struct Gen(ChaCha20Rng);

impl Gen {
    fn new(dataset: u64) -> Self {
        Gen(ChaCha20Rng::seed_from_u64(SEED.wrapping_add(dataset)))
    }

    /// Uniform in `0..n` (multiply-shift; `n` > 0).
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.0.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as u64) as i64
    }

    /// True with probability `per_mille` / 1000.
    fn chance(&mut self, per_mille: i64) -> bool {
        (self.below(1000) as i64) < per_mille
    }

    /// One element. Every caller passes a non-empty constant slice, so the index is in range.
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len() as u64) as usize]
    }

    /// One element, by weight. Non-empty slices with a positive total, as in [`Gen::pick`].
    fn weighted<'a, T>(&mut self, xs: &'a [T], weight: impl Fn(&T) -> u64) -> &'a T {
        let total: u64 = xs.iter().map(&weight).sum();
        let mut r = self.below(total.max(1));
        for x in xs {
            let w = weight(x);
            if r < w {
                return x;
            }
            r -= w;
        }
        &xs[xs.len() - 1]
    }

    /// `v` moved by up to ±`pct` percent, more often near the middle (the mean of two draws).
    fn vary(&mut self, v: i64, pct: i64) -> i64 {
        let spread = pct * 10;
        let d = (self.range(-spread, spread) + self.range(-spread, spread)) / 2;
        v * (1000 + d) / 1000
    }
}

/// `v` / 10^`places`, printed with exactly `places` decimals.
fn dec(v: i64, places: u32) -> String {
    let scale = 10_i64.pow(places);
    let sign = if v < 0 { "-" } else { "" };
    let (a, b) = (v.abs() / scale, v.abs() % scale);
    format!("{sign}{a}.{b:0width$}", width = places as usize)
}

/// Rounded integer division of non-negative numbers.
fn div_round(a: i64, b: i64) -> i64 {
    (a + b / 2) / b
}

fn iso(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

fn year_month(year: i32, month: Month) -> String {
    format!("{year:04}-{:02}", u8::from(month))
}

/// Every day from `start` to `end`, inclusive.
fn days(start: Date, end: Date) -> Vec<Date> {
    let mut out = Vec::new();
    let mut d = start;
    while d <= end {
        out.push(d);
        let Some(next) = d.next_day() else { break };
        d = next;
    }
    out
}

/// Every (year, month) from January of `first` to December of `last`.
fn months(first: i32, last: i32) -> Vec<(i32, Month)> {
    let mut out = Vec::new();
    for year in first..=last {
        let mut m = Month::January;
        for _ in 0..12 {
            out.push((year, m));
            m = m.next();
        }
    }
    out
}

fn cell(x: impl Display) -> String {
    x.to_string()
}

macro_rules! cells {
    ($($x:expr),* $(,)?) => { vec![$(cell($x)),*] };
}

/// Rows under a header, written as CSV (RFC 4180 quoting, `\n` line ends).
struct Table {
    header: &'static [&'static str],
    rows: Vec<Vec<String>>,
}

impl Table {
    fn new(header: &'static [&'static str]) -> Self {
        Table { header, rows: Vec::new() }
    }

    fn push(&mut self, row: Vec<String>) {
        debug_assert_eq!(row.len(), self.header.len(), "a row of `{}`", self.header.join(","));
        self.rows.push(row);
    }

    /// The header and the rows `keep` accepts.
    fn csv(&self, keep: impl Fn(&[String]) -> bool) -> Vec<u8> {
        let mut out = String::new();
        csv_line(&mut out, self.header.iter().copied());
        for row in self.rows.iter().filter(|r| keep(r)) {
            csv_line(&mut out, row.iter().map(String::as_str));
        }
        out.into_bytes()
    }

    fn file(&self, name: &str) -> DemoFile {
        DemoFile { name: name.to_owned(), bytes: self.csv(|_| true) }
    }
}

fn csv_line<'a>(out: &mut String, cells: impl Iterator<Item = &'a str>) {
    for (i, c) in cells.enumerate() {
        if i > 0 {
            out.push(',');
        }
        if c.contains([',', '"', '\n', '\r']) {
            out.push('"');
            out.push_str(&c.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(c);
        }
    }
    out.push('\n');
}

/// `s` as a JSON string literal.
fn json_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

// ---------------------------------------------------------------------------------------------
// Metadata helpers
// ---------------------------------------------------------------------------------------------

fn col(name: &str, kind: ColumnType, en: &str, ur: &str) -> Column {
    Column {
        name: name.to_owned(),
        kind,
        description: Text::new(en, ur),
        unit: None,
        allowed_values: Vec::new(),
        format: None,
        sensitive: false,
    }
}

/// The optional parts of a [`Column`], chained onto [`col`].
trait ColumnExt {
    fn unit(self, unit: &str) -> Self;
    fn values<S: AsRef<str>>(self, values: &[S]) -> Self;
    fn format(self, format: &str) -> Self;
    fn sensitive(self) -> Self;
}

impl ColumnExt for Column {
    fn unit(mut self, unit: &str) -> Self {
        self.unit = Some(unit.to_owned());
        self
    }
    fn values<S: AsRef<str>>(mut self, values: &[S]) -> Self {
        self.allowed_values = values.iter().map(|v| v.as_ref().to_owned()).collect();
        self
    }
    fn format(mut self, format: &str) -> Self {
        self.format = Some(format.to_owned());
        self
    }
    fn sensitive(mut self) -> Self {
        self.sensitive = true;
        self
    }
}

fn province_col(places: &[&Place]) -> Column {
    let names = unique(places.iter().map(|p| p.province.en()));
    col("province", ColumnType::Text, "Province or territory.", "صوبہ یا علاقہ۔").values(&names).sensitive()
}

fn district_col(places: &[&Place]) -> Column {
    let names: Vec<&str> = places.iter().map(|p| p.en).collect();
    col("district", ColumnType::Text, "District.", "ضلع۔").values(&names).sensitive()
}

fn date_col(name: &str, en: &str, ur: &str) -> Column {
    col(name, ColumnType::Date, en, ur).format("YYYY-MM-DD")
}

fn month_col() -> Column {
    col("month", ColumnType::Text, "Calendar month (YYYY-MM).", "کیلنڈر کا مہینہ (YYYY-MM)۔")
        .format("regex:[0-9]{4}-(0[1-9]|1[0-2])")
}

fn gender_col(values: &[&str]) -> Column {
    col("gender", ColumnType::Text, "Gender.", "صنف۔").values(values).sensitive()
}

fn age_band_col(values: &[&str]) -> Column {
    col("age_band", ColumnType::Text, "Age band, in completed years.", "عمر کا گروپ، مکمل برسوں میں۔")
        .values(values)
        .sensitive()
}

/// Each value once, in first-seen order.
fn unique<'a>(values: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut out: Vec<&str> = Vec::new();
    for v in values {
        if !out.contains(&v) {
            out.push(v);
        }
    }
    out
}

fn keywords(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| (*w).to_owned()).collect()
}

fn contact(name: &str, email: &str) -> Contact {
    Contact { name: name.to_owned(), email: email.to_owned() }
}

fn temporal(start: &str, end: &str) -> Temporal {
    Temporal { start: Some(start.to_owned()), end: Some(end.to_owned()) }
}

/// Province ids, then district ids, of `places`, each once, in order.
fn spatial(places: &[&Place]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for p in places {
        if !out.iter().any(|s| s == p.province.id()) {
            out.push(p.province.id().to_owned());
        }
    }
    for p in places {
        if !out.iter().any(|s| s == p.id) {
            out.push(p.id.to_owned());
        }
    }
    out
}

const SYNTHETIC_EN: &str = "Synthetic demo data, generated by a seeded script in Mizan: do not use it for \
                            policy, research findings or reporting.";
const SYNTHETIC_UR: &str = "مصنوعی ڈیمو ڈیٹا، جو میزان میں ایک مقررہ بیج والے اسکرپٹ سے تیار کیا گیا ہے: اسے پالیسی، \
                            تحقیقی نتائج یا رپورٹنگ کے لیے استعمال نہ کریں۔";

// ---------------------------------------------------------------------------------------------
// Places
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Province {
    Punjab,
    Sindh,
    Kp,
    Balochistan,
    Islamabad,
    GilgitBaltistan,
    AzadKashmir,
}

impl Province {
    /// The id in the catalogue's place vocabulary.
    fn id(self) -> &'static str {
        match self {
            Province::Punjab => "punjab",
            Province::Sindh => "sindh",
            Province::Kp => "khyber-pakhtunkhwa",
            Province::Balochistan => "balochistan",
            Province::Islamabad => "islamabad",
            Province::GilgitBaltistan => "gilgit-baltistan",
            Province::AzadKashmir => "azad-kashmir",
        }
    }

    /// The name written in the files.
    fn en(self) -> &'static str {
        match self {
            Province::Punjab => "Punjab",
            Province::Sindh => "Sindh",
            Province::Kp => "Khyber Pakhtunkhwa",
            Province::Balochistan => "Balochistan",
            Province::Islamabad => "Islamabad Capital Territory",
            Province::GilgitBaltistan => "Gilgit-Baltistan",
            Province::AzadKashmir => "Azad Jammu and Kashmir",
        }
    }

    /// The first digit of a CNIC issued there (`None` where the demo issues none).
    fn cnic_digit(self) -> Option<u64> {
        match self {
            Province::Kp => Some(1),
            Province::Punjab => Some(3),
            Province::Sindh => Some(4),
            Province::Balochistan => Some(5),
            Province::Islamabad => Some(6),
            Province::GilgitBaltistan => Some(7),
            Province::AzadKashmir => None,
        }
    }
}

/// A district of the catalogue's vocabulary with what the generators need to know about it.
struct Place {
    id: &'static str,
    province: Province,
    en: &'static str,
    /// Population, thousands (2023 census, rounded).
    pop_k: i64,
    /// A rough 0–100 development index (literacy, urbanisation, services).
    dev: i64,
}

const fn place(id: &'static str, province: Province, en: &'static str, pop_k: i64, dev: i64) -> Place {
    Place { id, province, en, pop_k, dev }
}

use Province::{AzadKashmir, Balochistan, GilgitBaltistan, Islamabad, Kp, Punjab, Sindh};

/// Every district the demo uses; ids and English names are the catalogue's (`places.yaml`).
static PLACES: [Place; 38] = [
    place("lahore", Punjab, "Lahore", 13_004, 85),
    place("faisalabad", Punjab, "Faisalabad", 9_075, 65),
    place("rawalpindi", Punjab, "Rawalpindi", 6_118, 80),
    place("multan", Punjab, "Multan", 5_362, 60),
    place("gujranwala", Punjab, "Gujranwala", 5_960, 68),
    place("sialkot", Punjab, "Sialkot", 4_499, 72),
    place("bahawalpur", Punjab, "Bahawalpur", 4_284, 45),
    place("sargodha", Punjab, "Sargodha", 4_334, 55),
    place("dera-ghazi-khan", Punjab, "Dera Ghazi Khan", 3_400, 35),
    place("sahiwal", Punjab, "Sahiwal", 2_881, 55),
    place("rahim-yar-khan", Punjab, "Rahim Yar Khan", 5_564, 40),
    place("karachi-central", Sindh, "Karachi Central", 3_822, 80),
    place("karachi-east", Sindh, "Karachi East", 3_921, 78),
    place("karachi-south", Sindh, "Karachi South", 2_329, 75),
    place("hyderabad", Sindh, "Hyderabad", 2_432, 60),
    place("sukkur", Sindh, "Sukkur", 1_639, 50),
    place("larkana", Sindh, "Larkana", 1_784, 45),
    place("mirpur-khas", Sindh, "Mirpur Khas", 1_682, 35),
    place("tharparkar", Sindh, "Tharparkar", 1_778, 20),
    place("shaheed-benazirabad", Sindh, "Shaheed Benazirabad", 1_845, 38),
    place("peshawar", Kp, "Peshawar", 4_758, 60),
    place("mardan", Kp, "Mardan", 2_744, 50),
    place("swat", Kp, "Swat", 2_687, 45),
    place("abbottabad", Kp, "Abbottabad", 1_419, 70),
    place("dera-ismail-khan", Kp, "Dera Ismail Khan", 1_829, 35),
    place("kohat", Kp, "Kohat", 1_234, 45),
    place("bannu", Kp, "Bannu", 1_357, 35),
    place("quetta", Balochistan, "Quetta", 2_595, 50),
    place("gwadar", Balochistan, "Gwadar", 305, 30),
    place("turbat", Balochistan, "Kech (Turbat)", 1_060, 30),
    place("khuzdar", Balochistan, "Khuzdar", 997, 25),
    place("sibi", Balochistan, "Sibi", 224, 30),
    place("zhob", Balochistan, "Zhob", 350, 22),
    place("islamabad-district", Islamabad, "Islamabad", 2_363, 90),
    place("gilgit", GilgitBaltistan, "Gilgit", 330, 50),
    place("skardu", GilgitBaltistan, "Skardu", 270, 45),
    place("muzaffarabad", AzadKashmir, "Muzaffarabad", 650, 55),
    place("mirpur", AzadKashmir, "Mirpur", 456, 65),
];

/// The places with these ids, in this order; an unknown id is left out (the tests check that
/// every list in this file resolves completely).
fn places(ids: &[&str]) -> Vec<&'static Place> {
    ids.iter().filter_map(|id| PLACES.iter().find(|p| p.id == *id)).collect()
}

fn places_in(provinces: &[Province]) -> Vec<&'static Place> {
    PLACES.iter().filter(|p| provinces.contains(&p.province)).collect()
}

// ---------------------------------------------------------------------------------------------
// 1. District school enrolment
// ---------------------------------------------------------------------------------------------

/// Level, share of the population of its age (per mille, both genders), enrolment relative to
/// primary (per mille).
const LEVELS: [(&str, i64, i64); 3] = [("primary", 130, 1000), ("middle", 70, 720), ("secondary", 45, 540)];

fn school_enrolment() -> DemoDataset {
    let mut g = Gen::new(1);
    let districts = places_in(&[Punjab, Sindh, Kp, Balochistan]);
    let mut t = Table::new(&[
        "year",
        "province",
        "district",
        "gender",
        "level",
        "age_population_estimate",
        "enrolled",
        "out_of_school_estimate",
    ]);
    for year in 2019..=2024_i64 {
        for d in &districts {
            for gender in ["girls", "boys"] {
                for (level, share, relative) in LEVELS {
                    // 2023 census population, about 2.5% a year of growth either side.
                    let pop = d.pop_k * 1000 * (1000 + 25 * (year - 2023)) / 1000;
                    let age_pop = g.vary(pop * share / 2000, 3);
                    let mut rate = 450 + d.dev * 9 / 2;
                    if gender == "girls" {
                        rate -=
                            (100 - d.dev) * 5 / 2 + if level == "primary" { 0 } else { (100 - d.dev) / 2 };
                    }
                    rate = rate * relative / 1000 + (year - 2019) * 6;
                    rate -= match year {
                        2020 => 30,
                        2021 => 10,
                        2022 if matches!(d.province, Sindh | Balochistan) => 40,
                        _ => 0,
                    };
                    let rate = g.vary(rate, 2).clamp(80, 980);
                    let enrolled = age_pop * rate / 1000;
                    t.push(cells![
                        year,
                        d.province.en(),
                        d.en,
                        gender,
                        level,
                        age_pop,
                        enrolled,
                        age_pop - enrolled
                    ]);
                }
            }
        }
    }
    let dictionary = vec![
        col("year", ColumnType::Integer, "School year (the year it starts).", "تعلیمی سال (جس سال شروع ہوا)۔"),
        province_col(&districts),
        district_col(&districts),
        gender_col(&["girls", "boys"]),
        col("level", ColumnType::Text, "School level.", "تعلیمی سطح۔").values(&["primary", "middle", "secondary"]),
        col(
            "age_population_estimate",
            ColumnType::Integer,
            "Estimated children of the level's official age (primary 5–9, middle 10–12, secondary 13–14) of this gender.",
            "اس سطح کی سرکاری عمر (پرائمری 5–9، مڈل 10–12، سیکنڈری 13–14) کے اس صنف کے بچوں کی تخمینی تعداد۔",
        )
        .unit("children"),
        col(
            "enrolled",
            ColumnType::Integer,
            "Pupils of that age enrolled in government, private or madrassa schools.",
            "اس عمر کے وہ طلبہ جو سرکاری، نجی اسکولوں یا دینی مدارس میں داخل ہیں۔",
        )
        .unit("pupils"),
        col(
            "out_of_school_estimate",
            ColumnType::Integer,
            "Estimated children of that age not enrolled.",
            "اس عمر کے ان بچوں کا تخمینہ جو کسی اسکول میں داخل نہیں۔",
        )
        .unit("children"),
    ];
    let meta = |last_year: i64| DatasetMeta {
        title: Text::new(
            &format!("District school enrolment by gender and level, 2019–{last_year}"),
            &format!("ضلع وار اسکول داخلے، صنف اور تعلیمی سطح کے لحاظ سے، 2019–{last_year}"),
        ),
        description: Text::new(
            &format!(
                "{SYNTHETIC_EN} Pupils enrolled in 33 districts of Punjab, Sindh, Khyber Pakhtunkhwa and \
                 Balochistan, by school year, gender (girls, boys) and level (primary, middle, secondary), with \
                 the estimated school-age population and the estimated number of children out of school, \
                 2019–{last_year}.{}",
                if last_year == 2024 {
                    " Version 2 adds the 2024 school year; version 1 (2019–2023) stays downloadable."
                } else {
                    ""
                }
            ),
            &format!(
                "{SYNTHETIC_UR} پنجاب، سندھ، خیبر پختونخوا اور بلوچستان کے 33 اضلاع میں داخل طلبہ کی تعداد، تعلیمی سال، صنف \
                 (لڑکیاں، لڑکے) اور سطح (پرائمری، مڈل، سیکنڈری) کے لحاظ سے، اسکول جانے کی عمر کی تخمینی آبادی اور اسکول \
                 سے باہر بچوں کے تخمینے کے ساتھ، 2019–{last_year}۔{}",
                if last_year == 2024 {
                    " ورژن 2 میں تعلیمی سال 2024 شامل کیا گیا ہے؛ ورژن 1 (2019–2023) بدستور ڈاؤن لوڈ کیا جا سکتا ہے۔"
                } else {
                    ""
                }
            ),
        ),
        themes: vec!["EDUC".into()],
        keywords: keywords(&[
            "school enrolment",
            "out-of-school children",
            "girls' education",
            "education",
            "districts",
            "اسکول",
            "داخلہ",
            "تعلیم",
            "اسکول سے باہر بچے",
            "لڑکیوں کی تعلیم",
        ]),
        licence: "cc-by-4.0".into(),
        temporal: temporal("2019-01-01", &format!("{last_year}-12-31")),
        spatial: spatial(&districts),
        contact: contact("Education Data Cell (demo)", "education-data@citizen-services.demo"),
        frequency: "ANNUAL".into(),
        access: AccessTier::Open,
        dictionary: dictionary.clone(),
        pii_reasons: Vec::new(),
        rai: Rai {
            data_collection: Text::new(
                "Generated from rounded 2023 census district populations and plausible enrolment rates that \
                 rise with a district's development and fall for girls and for higher levels; it imitates the \
                 shape of an annual school census, not its numbers.",
                "یہ 2023 کی مردم شماری کی اضلاع کی آبادی کے موٹے اعداد اور داخلے کی ایسی قرینِ قیاس شرحوں سے تیار کیا گیا ہے \
                 جو ضلع کی ترقی کے ساتھ بڑھتی اور لڑکیوں اور اعلیٰ سطحوں کے لیے کم ہوتی ہیں؛ یہ سالانہ اسکول مردم شماری کی \
                 شکل کی نقل ہے، اس کے اعداد کی نہیں۔",
            ),
            data_biases: Text::new(
                "Out-of-school estimates are highest for girls in the less developed districts of Balochistan, \
                 Sindh and southern Punjab, as in real surveys; a model trained on this data learns that gap. \
                 Private schools and madrassas are folded into one count.",
                "اسکول سے باہر بچوں کے تخمینے بلوچستان، سندھ اور جنوبی پنجاب کے کم ترقی یافتہ اضلاع کی لڑکیوں کے لیے سب سے \
                 زیادہ ہیں، جیسا کہ حقیقی سرویز میں ہوتا ہے؛ اس ڈیٹا پر تربیت پانے والا ماڈل یہی فرق سیکھتا ہے۔ نجی اسکول اور \
                 دینی مدارس ایک ہی گنتی میں شامل ہیں۔",
            ),
            data_limitations: Text::new(
                "Synthetic. Only 33 districts. The 2020 pandemic dip and the 2022 flood dip in Sindh and \
                 Balochistan are put in by construction.",
                "مصنوعی ڈیٹا۔ صرف 33 اضلاع۔ 2020 میں وبا اور 2022 میں سندھ اور بلوچستان میں سیلاب کے باعث کمی جان بوجھ کر \
                 رکھی گئی ہے۔",
            ),
            personal_sensitive_information: Text::new(
                "Nothing about individuals: counts by district, year, gender and level. Gender, province and \
                 district are marked sensitive so that the bias profile groups by them.",
                "کسی فرد کے بارے میں کچھ نہیں: ضلع، سال، صنف اور سطح کے لحاظ سے صرف تعداد۔ صنف، صوبہ اور ضلع حساس نشان زد \
                 ہیں تاکہ تعصب کا جائزہ ان کے لحاظ سے گروہ بندی کرے۔",
            ),
        },
    };
    let name = "district-school-enrolment.csv";
    DemoDataset {
        org: CITIZEN,
        slug: "district-school-enrolment",
        meta: meta(2024),
        files: vec![t.file(name)],
        versions: 2,
        earlier: vec![DemoVersion {
            meta: meta(2023),
            files: vec![DemoFile { name: name.to_owned(), bytes: t.csv(|r| r[0] != "2024") }],
        }],
    }
}

// ---------------------------------------------------------------------------------------------
// 2. Crop yields
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Crop {
    Wheat,
    Rice,
    Cotton,
    Sugarcane,
    Maize,
}

impl Crop {
    fn id(self) -> &'static str {
        match self {
            Crop::Wheat => "wheat",
            Crop::Rice => "rice",
            Crop::Cotton => "cotton",
            Crop::Sugarcane => "sugarcane",
            Crop::Maize => "maize",
        }
    }

    fn season(self) -> &'static str {
        if self == Crop::Wheat { "rabi" } else { "kharif" }
    }

    /// Yield in 2015, hundredths of a tonne per hectare.
    fn base_yield(self, province: Province) -> i64 {
        let punjab = match self {
            Crop::Wheat => 280,
            Crop::Rice => 360,
            Crop::Cotton => 190,
            Crop::Sugarcane => 6_500,
            Crop::Maize => 550,
        };
        let factor = match (province, self) {
            (Sindh, Crop::Wheat) => 1_080,
            (Sindh, Crop::Cotton) => 1_150,
            (Sindh, Crop::Sugarcane) => 1_020,
            (Kp, Crop::Wheat) => 780,
            (Kp, Crop::Maize) => 420,
            (Kp, Crop::Sugarcane) => 780,
            (Kp, Crop::Rice) => 700,
            (Balochistan, Crop::Cotton) => 800,
            (Balochistan, _) => 880,
            _ => 1_000,
        };
        punjab * factor / 1000
    }

    /// Yield trend, per mille a year.
    fn trend(self) -> i64 {
        match self {
            Crop::Wheat => 12,
            Crop::Rice | Crop::Sugarcane => 10,
            Crop::Cotton => 0,
            Crop::Maize => 30,
        }
    }

    /// Area trend, per mille a year (cotton gives way to maize).
    fn area_trend(self) -> i64 {
        match self {
            Crop::Cotton => -30,
            Crop::Maize => 40,
            _ => 5,
        }
    }
}

struct CropDistrict {
    district: &'static str,
    /// Crops and their area in 2015, hectares.
    crops: &'static [(Crop, i64)],
}

const fn cd(district: &'static str, crops: &'static [(Crop, i64)]) -> CropDistrict {
    CropDistrict { district, crops }
}

const CROP_DISTRICTS: [CropDistrict; 23] = {
    use Crop::{Cotton, Maize, Rice, Sugarcane, Wheat};
    [
        cd("lahore", &[(Wheat, 60_000), (Rice, 45_000)]),
        cd("faisalabad", &[(Wheat, 330_000), (Sugarcane, 70_000), (Maize, 40_000), (Cotton, 20_000)]),
        cd("rawalpindi", &[(Wheat, 120_000), (Maize, 15_000)]),
        cd("multan", &[(Wheat, 190_000), (Cotton, 110_000)]),
        cd("gujranwala", &[(Wheat, 210_000), (Rice, 190_000)]),
        cd("sialkot", &[(Wheat, 150_000), (Rice, 110_000)]),
        cd("bahawalpur", &[(Wheat, 300_000), (Cotton, 160_000)]),
        cd("sargodha", &[(Wheat, 250_000), (Sugarcane, 45_000)]),
        cd("dera-ghazi-khan", &[(Wheat, 200_000), (Cotton, 90_000)]),
        cd("sahiwal", &[(Wheat, 170_000), (Maize, 60_000), (Cotton, 30_000)]),
        cd("rahim-yar-khan", &[(Wheat, 340_000), (Cotton, 170_000), (Sugarcane, 110_000)]),
        cd("hyderabad", &[(Wheat, 40_000), (Sugarcane, 25_000), (Cotton, 20_000)]),
        cd("sukkur", &[(Wheat, 60_000), (Rice, 30_000)]),
        cd("larkana", &[(Wheat, 50_000), (Rice, 120_000)]),
        cd("mirpur-khas", &[(Wheat, 45_000), (Cotton, 70_000), (Sugarcane, 30_000)]),
        cd("shaheed-benazirabad", &[(Wheat, 90_000), (Cotton, 80_000), (Sugarcane, 35_000)]),
        cd("peshawar", &[(Wheat, 35_000), (Maize, 12_000), (Sugarcane, 8_000)]),
        cd("mardan", &[(Wheat, 60_000), (Sugarcane, 35_000), (Maize, 25_000)]),
        cd("swat", &[(Wheat, 50_000), (Maize, 45_000), (Rice, 8_000)]),
        cd("dera-ismail-khan", &[(Wheat, 110_000), (Sugarcane, 30_000)]),
        cd("bannu", &[(Wheat, 40_000), (Maize, 15_000)]),
        cd("sibi", &[(Wheat, 35_000), (Rice, 20_000)]),
        cd("khuzdar", &[(Wheat, 30_000), (Cotton, 10_000)]),
    ]
};

fn crop_yields() -> DemoDataset {
    let mut g = Gen::new(2);
    let ids: Vec<&str> = CROP_DISTRICTS.iter().map(|c| c.district).collect();
    let districts = places(&ids);
    let mut t = Table::new(&[
        "year",
        "season",
        "province",
        "district",
        "crop",
        "area_hectares",
        "production_tonnes",
        "yield_tonnes_per_hectare",
    ]);
    for year in 2015..=2024_i64 {
        for (cdist, d) in CROP_DISTRICTS.iter().zip(&districts) {
            for &(crop, area0) in cdist.crops {
                let years = year - 2015;
                let mut area = area0 * (1000 + crop.area_trend() * years) / 1000;
                let mut yld = crop.base_yield(d.province) * (1000 + crop.trend() * years) / 1000;
                let flood = year == 2022 && crop != Crop::Wheat && matches!(d.province, Sindh | Balochistan);
                if flood {
                    area = area * 750 / 1000;
                    yld = yld * 650 / 1000;
                }
                // Pink bollworm (2015), the 2022 heatwave, a record 2023 wheat crop, a poor 2024
                // cotton crop.
                let shock = match (crop, year) {
                    (Crop::Cotton, 2015) => 720,
                    (Crop::Cotton, 2022) if d.province == Punjab => 850,
                    (Crop::Cotton, 2024) => 900,
                    (Crop::Wheat, 2022) => 950,
                    (Crop::Wheat, 2023) => 1_060,
                    _ => 1_000,
                };
                yld = yld * shock / 1000;
                let area = g.vary(area, 5).max(500) / 100 * 100;
                let yld = g.vary(yld, 6).max(10);
                let production = area * yld / 100;
                t.push(cells![
                    year,
                    crop.season(),
                    d.province.en(),
                    d.en,
                    crop.id(),
                    area,
                    production,
                    dec(div_round(production * 100, area), 2),
                ]);
            }
        }
    }
    let dictionary = vec![
        col(
            "year",
            ColumnType::Integer,
            "Harvest year (rabi wheat sown the autumn before).",
            "کٹائی کا سال (ربیع کی گندم پچھلے سال خزاں میں بوئی جاتی ہے)۔",
        ),
        col("season", ColumnType::Text, "Cropping season.", "فصل کا موسم (ربیع یا خریف)۔")
            .values(&["rabi", "kharif"]),
        province_col(&districts),
        district_col(&districts),
        col(
            "crop",
            ColumnType::Text,
            "Crop; cotton is seed cotton (phutti), rice is paddy.",
            "فصل؛ کپاس سے مراد پھٹی اور چاول سے مراد دھان ہے۔",
        )
        .values(&["wheat", "rice", "cotton", "sugarcane", "maize"]),
        col("area_hectares", ColumnType::Integer, "Area sown.", "زیرِ کاشت رقبہ۔").unit("ha"),
        col("production_tonnes", ColumnType::Integer, "Production.", "کل پیداوار۔").unit("t"),
        col(
            "yield_tonnes_per_hectare",
            ColumnType::Number,
            "Production divided by area, two decimals.",
            "فی ہیکٹر پیداوار (کل پیداوار تقسیم رقبہ)، دو اعشاریہ تک۔",
        )
        .unit("t/ha"),
    ];
    let meta = |last_year: i64| DatasetMeta {
        title: Text::new(
            &format!("Crop area, production and yield by district, 2015–{last_year}"),
            &format!("اضلاع کے لحاظ سے فصلوں کا رقبہ، پیداوار اور فی ہیکٹر پیداوار، 2015–{last_year}"),
        ),
        description: Text::new(
            &format!(
                "{SYNTHETIC_EN} Area sown, production and yield of wheat (rabi) and of rice, cotton, sugarcane \
                 and maize (kharif) in 23 districts of Punjab, Sindh, Khyber Pakhtunkhwa and Balochistan, by \
                 harvest year, 2015–{last_year}. It shows the 2015 cotton failure, the 2022 heatwave and the 2022 \
                 floods in Sindh and Balochistan.{}",
                if last_year == 2024 { " Version 2 adds the 2024 harvest." } else { "" }
            ),
            &format!(
                "{SYNTHETIC_UR} پنجاب، سندھ، خیبر پختونخوا اور بلوچستان کے 23 اضلاع میں گندم (ربیع) اور چاول، کپاس، گنا اور \
                 مکئی (خریف) کا زیرِ کاشت رقبہ، کل پیداوار اور فی ہیکٹر پیداوار، کٹائی کے سال کے لحاظ سے، 2015–{last_year}۔ \
                 اس میں 2015 میں کپاس کی ناکامی، 2022 کی شدید گرمی اور 2022 میں سندھ اور بلوچستان کے سیلاب کا اثر نظر آتا ہے۔{}",
                if last_year == 2024 {
                    " ورژن 2 میں 2024 کی فصل شامل کی گئی ہے۔"
                } else {
                    ""
                }
            ),
        ),
        themes: vec!["AGRI".into()],
        keywords: keywords(&[
            "crop yield",
            "wheat",
            "cotton",
            "rice",
            "sugarcane",
            "maize",
            "agriculture",
            "floods",
            "فصل",
            "گندم",
            "کپاس",
            "چاول",
            "گنا",
            "مکئی",
            "زراعت",
            "پیداوار",
        ]),
        licence: "cc-by-4.0".into(),
        temporal: temporal("2015-01-01", &format!("{last_year}-12-31")),
        spatial: spatial(&districts),
        contact: contact("Agriculture Statistics Wing (demo)", "agri-stats@citizen-services.demo"),
        frequency: "ANNUAL".into(),
        access: AccessTier::Open,
        dictionary: dictionary.clone(),
        pii_reasons: Vec::new(),
        rai: Rai {
            data_collection: Text::new(
                "Generated from typical Pakistani yields per crop and province, a yearly trend, weather noise \
                 and the known shocks of 2015 and 2022; it imitates crop reporting service estimates.",
                "ہر فصل اور صوبے کی عام پیداوار، سالانہ رجحان، موسمی اتار چڑھاؤ اور 2015 اور 2022 کے معلوم جھٹکوں سے تیار کیا \
                 گیا ہے؛ یہ فصلوں کی رپورٹنگ سروس کے تخمینوں کی نقل ہے۔",
            ),
            data_biases: Text::new(
                "Districts are those with large areas of these five crops; rain-fed and mountain agriculture, \
                 fruit, vegetables and pulses are missing.",
                "صرف وہ اضلاع شامل ہیں جہاں ان پانچ فصلوں کا بڑا رقبہ ہے؛ بارانی اور پہاڑی زراعت، پھل، سبزیاں اور دالیں شامل \
                 نہیں۔",
            ),
            data_limitations: Text::new(
                "Synthetic. One row per district, crop and year; no irrigation, price or input data.",
                "مصنوعی ڈیٹا۔ ہر ضلع، فصل اور سال کی ایک قطار؛ آبپاشی، قیمت یا زرعی مداخل کا ڈیٹا شامل نہیں۔",
            ),
            personal_sensitive_information: Text::new(
                "None: district totals only.",
                "کوئی نہیں: صرف ضلعی مجموعے۔",
            ),
        },
    };
    let name = "crop-yields-by-district.csv";
    DemoDataset {
        org: CITIZEN,
        slug: "crop-yields-by-district",
        meta: meta(2024),
        files: vec![t.file(name)],
        versions: 2,
        earlier: vec![DemoVersion {
            meta: meta(2023),
            files: vec![DemoFile { name: name.to_owned(), bytes: t.csv(|r| r[0] != "2024") }],
        }],
    }
}

// ---------------------------------------------------------------------------------------------
// 3. Microfinance repayments
// ---------------------------------------------------------------------------------------------

/// Purpose, typical amount (PKR), weight.
const LOAN_PURPOSES: [(&str, i64, u64); 7] = [
    ("livestock", 80_000, 26),
    ("agriculture-inputs", 60_000, 18),
    ("small-shop", 100_000, 22),
    ("tailoring", 40_000, 12),
    ("home-improvement", 120_000, 8),
    ("education-fees", 50_000, 6),
    ("auto-rickshaw", 250_000, 8),
];

const AGE_BANDS_ADULT: [&str; 5] = ["18-24", "25-34", "35-44", "45-54", "55-64"];

/// Mobile network prefixes (`03XX`) in use.
const MOBILE_PREFIXES: [u64; 26] = [
    300, 301, 302, 303, 304, 305, 306, 307, 308, 309, 310, 311, 312, 313, 314, 315, 320, 321, 322, 323, 330,
    331, 332, 333, 334, 345,
];

/// A synthetic CNIC: the province's digit, 4 + 7 random digits, and a last digit odd for men and
/// even for women, as on real cards.
fn synthetic_cnic(g: &mut Gen, province_digit: u64, female: bool) -> String {
    let locality = province_digit * 10_000 + g.below(10_000);
    let serial = g.below(10_000_000);
    let last = g.below(5) * 2 + u64::from(!female);
    format!("{locality:05}-{serial:07}-{last}")
}

fn synthetic_mobile(g: &mut Gen) -> String {
    format!("0{}-{:07}", g.pick(&MOBILE_PREFIXES), g.below(10_000_000))
}

fn microfinance() -> DemoDataset {
    const ROWS: usize = 3_000;
    let mut g = Gen::new(3);
    let districts = places_in(&[Punjab, Sindh, Kp, Balochistan, Islamabad]);
    let mut t = Table::new(&[
        "loan_id",
        "borrower_cnic",
        "mobile",
        "gender",
        "age_band",
        "province",
        "district",
        "loan_purpose",
        "disbursed_on",
        "loan_amount_pkr",
        "tenure_months",
        "repaid_on_time",
        "days_late",
    ]);
    let start = date!(2020 - 01 - 01);
    let flood = date!(2022 - 09 - 01);
    let mut loans: Vec<(Date, Vec<String>)> = Vec::with_capacity(ROWS);
    for _ in 0..ROWS {
        let d = *g.weighted(&districts, |d| (d.pop_k * (120 - d.dev)) as u64);
        let female = g.chance(600);
        let age_band = *g.weighted(&AGE_BANDS_ADULT, |a| match *a {
            "18-24" => 14,
            "25-34" => 34,
            "35-44" => 30,
            "45-54" => 16,
            _ => 6,
        });
        let (purpose, typical, _) = *g.weighted(&LOAN_PURPOSES, |p| p.2);
        let amount = (g.vary(typical, 50) / 5_000 * 5_000).clamp(15_000, 500_000);
        let tenure = *g.pick(&[6_i64, 12, 12, 12, 18, 24]);
        let disbursed = start.checked_add(Duration::days(g.range(0, 1095))).unwrap_or(start);
        let matures = disbursed.checked_add(Duration::days(tenure * 30)).unwrap_or(disbursed);
        let hit_by_flood = matches!(d.province, Sindh | Balochistan) && disbursed <= flood && matures > flood;
        let mut late_risk = 80;
        late_risk += if female { -30 } else { 0 };
        late_risk += if age_band == "18-24" { 30 } else { 0 };
        late_risk += if amount > 150_000 { 30 } else { 0 };
        late_risk += if hit_by_flood { 250 } else { 0 };
        let late = g.chance(late_risk);
        let days_late = match (late, g.chance(800)) {
            (false, _) => 0,
            (true, true) => g.range(1, 30),
            (true, false) => g.range(31, 180),
        };
        let Some(digit) = d.province.cnic_digit() else { continue };
        loans.push((
            disbursed,
            cells![
                "",
                synthetic_cnic(&mut g, digit, female),
                synthetic_mobile(&mut g),
                if female { "female" } else { "male" },
                age_band,
                d.province.en(),
                d.en,
                purpose,
                iso(disbursed),
                amount,
                tenure,
                !late,
                days_late,
            ],
        ));
    }
    loans.sort_by_key(|(d, _)| *d);
    for (i, (_, mut row)) in loans.into_iter().enumerate() {
        row[0] = format!("MF-{:06}", i + 1);
        t.push(row);
    }
    let purposes: Vec<&str> = LOAN_PURPOSES.iter().map(|p| p.0).collect();
    let dictionary = vec![
        col("loan_id", ColumnType::Text, "Loan reference, in order of disbursement.", "قرض کا حوالہ نمبر، اجرا کی ترتیب سے۔")
            .format("regex:MF-[0-9]{6}"),
        col(
            "borrower_cnic",
            ColumnType::Text,
            "The borrower's CNIC: synthetic, generated from a seed, shaped like a real one (first digit the province, last digit odd for men and even for women). A direct identifier.",
            "قرض دار کا شناختی کارڈ نمبر: فرضی، ایک بیج سے بنایا گیا، لیکن اصلی نمبر جیسی ساخت کا (پہلا ہندسہ صوبہ، آخری ہندسہ مردوں کے لیے طاق اور خواتین کے لیے جفت)۔ براہِ راست شناخت کنندہ۔",
        )
        .format("cnic"),
        col(
            "mobile",
            ColumnType::Text,
            "The borrower's mobile number: synthetic, shaped like a real one. A direct identifier.",
            "قرض دار کا موبائل نمبر: فرضی، لیکن اصلی نمبر جیسی ساخت کا۔ براہِ راست شناخت کنندہ۔",
        )
        .format("pk-mobile"),
        gender_col(&["female", "male"]),
        age_band_col(&AGE_BANDS_ADULT),
        province_col(&districts),
        district_col(&districts),
        col("loan_purpose", ColumnType::Text, "What the loan was for.", "قرض کا مقصد۔").values(&purposes),
        date_col("disbursed_on", "Date the loan was paid out.", "قرض کی ادائیگی (اجرا) کی تاریخ۔"),
        col("loan_amount_pkr", ColumnType::Integer, "Amount lent.", "قرض کی رقم۔").unit("PKR"),
        col("tenure_months", ColumnType::Integer, "Repayment period.", "واپسی کی مدت۔").unit("months"),
        col(
            "repaid_on_time",
            ColumnType::Boolean,
            "Whether every instalment was paid by its due date.",
            "کیا ہر قسط مقررہ تاریخ تک ادا کی گئی۔",
        ),
        col(
            "days_late",
            ColumnType::Integer,
            "Days the latest instalment was overdue (0 when repaid on time).",
            "سب سے زیادہ تاخیر والی قسط کتنے دن لیٹ ہوئی (وقت پر واپسی کی صورت میں 0)۔",
        )
        .unit("days"),
    ];
    let meta = DatasetMeta {
        title: Text::new(
            "Microfinance loan repayments (synthetic borrowers), 2020–2024",
            "مائیکرو فنانس قرضوں کی واپسی (فرضی قرض دار)، 2020–2024",
        ),
        description: Text::new(
            &format!(
                "{SYNTHETIC_EN} 3,000 small loans of a bank's microfinance programme disbursed 2020–2022, one row \
                 per loan, with the borrower's gender, age band, province and district, the amount, tenure and \
                 purpose, and whether it was repaid on time. Each row holds a CNIC and a mobile number so that \
                 the PII scan and access requests can be tried: both are generated and belong to no one, but \
                 they are shaped like real ones, so the dataset is restricted and released only under a \
                 data-sharing agreement."
            ),
            &format!(
                "{SYNTHETIC_UR} ایک بینک کے مائیکرو فنانس پروگرام کے 2020–2022 میں جاری کیے گئے 3,000 چھوٹے قرضے، ہر قرض کی ایک \
                 قطار، جس میں قرض دار کی صنف، عمر کا گروپ، صوبہ اور ضلع، رقم، مدت اور مقصد، اور یہ درج ہے کہ قرض وقت پر واپس \
                 ہوا یا نہیں۔ ہر قطار میں شناختی کارڈ نمبر اور موبائل نمبر بھی ہے تاکہ ذاتی معلومات کی جانچ اور رسائی کی \
                 درخواست آزمائی جا سکے: دونوں فرضی ہیں اور کسی کے نہیں، لیکن ان کی ساخت اصلی نمبروں جیسی ہے، اس لیے یہ \
                 ڈیٹاسیٹ محدود ہے اور صرف ڈیٹا شیئرنگ معاہدے کے تحت دیا جاتا ہے۔"
            ),
        ),
        themes: vec!["ECON".into()],
        keywords: keywords(&[
            "microfinance",
            "loans",
            "repayment",
            "financial inclusion",
            "credit scoring",
            "women borrowers",
            "مائیکرو فنانس",
            "قرض",
            "قرض کی واپسی",
            "مالی شمولیت",
            "خواتین",
        ]),
        licence: "research-only".into(),
        temporal: temporal("2020-01-01", "2024-12-31"),
        spatial: spatial(&districts),
        contact: contact("Microfinance Data Office (demo)", "data-office@indus-bank.demo"),
        frequency: "IRREG".into(),
        access: AccessTier::Restricted,
        dictionary,
        pii_reasons: Vec::new(),
        rai: Rai {
            data_collection: Text::new(
                "Generated: borrowers drawn in proportion to district population, weighted towards less \
                 developed districts; amounts by loan purpose; lateness from a simple risk score. CNICs and \
                 mobile numbers are random digits in the real layout.",
                "تیار کردہ ڈیٹا: قرض دار اضلاع کی آبادی کے تناسب سے، کم ترقی یافتہ اضلاع کی طرف جھکاؤ کے ساتھ، چنے گئے؛ رقم قرض کے \
                 مقصد کے لحاظ سے؛ تاخیر ایک سادہ خطرے کے اسکور سے۔ شناختی کارڈ اور موبائل نمبر اصلی ترتیب میں بے ترتیب ہندسے ہیں۔",
            ),
            data_biases: Text::new(
                "Women are 60% of borrowers and repay on time more often, as in Pakistani microfinance. Loans \
                 running in Sindh and Balochistan when the 2022 floods struck are late far more often: a credit \
                 model trained on this data would penalise those provinces for a disaster.",
                "قرض داروں میں 60 فیصد خواتین ہیں اور وہ زیادہ تر وقت پر واپسی کرتی ہیں، جیسا کہ پاکستان کے مائیکرو فنانس میں ہے۔ \
                 2022 کے سیلاب کے وقت سندھ اور بلوچستان میں جاری قرضے کہیں زیادہ لیٹ ہوئے: اس ڈیٹا پر تربیت پانے والا کریڈٹ ماڈل ان \
                 صوبوں کو ایک آفت کی سزا دے گا۔",
            ),
            data_limitations: Text::new(
                "Synthetic. Repayment is one yes/no and the days late; no income, household or credit history.",
                "مصنوعی ڈیٹا۔ واپسی صرف ہاں/نہیں اور تاخیر کے دنوں کی صورت میں ہے؛ آمدنی، گھرانے یا سابقہ قرضوں کی تاریخ شامل نہیں۔",
            ),
            personal_sensitive_information: Text::new(
                "Two direct identifiers, which the PII scan flags: `borrower_cnic` (CNIC) and `mobile` (mobile \
                 number). Both are synthetic and any match with a real person is a coincidence, but they are \
                 treated as real: the dataset is restricted. Gender, age band, province and district are \
                 sensitive attributes. A real release would drop both columns or replace them with salted hashes.",
                "دو براہِ راست شناخت کنندہ، جنہیں ذاتی معلومات کی جانچ نشان زد کرتی ہے: `borrower_cnic` (شناختی کارڈ نمبر) اور \
                 `mobile` (موبائل نمبر)۔ دونوں فرضی ہیں اور کسی حقیقی شخص سے مماثلت محض اتفاق ہوگی، لیکن انہیں اصلی سمجھا جاتا ہے: \
                 اس لیے ڈیٹاسیٹ محدود ہے۔ صنف، عمر کا گروپ، صوبہ اور ضلع حساس خصوصیات ہیں۔ حقیقی اجرا میں یہ دونوں کالم ہٹا دیے جاتے \
                 یا نمک ملے ہیش سے بدل دیے جاتے۔",
            ),
        },
    };
    DemoDataset {
        org: BANK,
        slug: "microfinance-repayments",
        meta,
        files: vec![t.file("microfinance-repayments.csv")],
        versions: 1,
        earlier: Vec::new(),
    }
}

// ---------------------------------------------------------------------------------------------
// 4. Urdu news headlines
// ---------------------------------------------------------------------------------------------

/// A headline pattern: `{city}`, `{city2}`, `{n}`, `{item}` and `{policy}` are filled in both
/// languages alike.
struct Headline {
    category: &'static str,
    ur: &'static str,
    en: &'static str,
    /// Range of `{n}`.
    n: (i64, i64),
    /// Months it fits (empty: any).
    months: &'static [u8],
}

const fn h(category: &'static str, ur: &'static str, en: &'static str) -> Headline {
    Headline { category, ur, en, n: (0, 0), months: &[] }
}

const fn hn(
    category: &'static str,
    ur: &'static str,
    en: &'static str,
    n: (i64, i64),
    months: &'static [u8],
) -> Headline {
    Headline { category, ur, en, n, months }
}

const HEADLINES: [Headline; 44] = [
    // business
    h("business", "{city} میں {item} کی قیمت میں اضافہ", "Price of {item} rises in {city}"),
    h("business", "{city} میں {item} کی قیمت میں کمی", "Price of {item} falls in {city}"),
    h("business", "{city} میں {item} کی قلت، شہری پریشان", "Shortage of {item} troubles residents of {city}"),
    hn(
        "business",
        "اسٹاک مارکیٹ میں {n} پوائنٹس کا اضافہ",
        "Stock market gains {n} points",
        (150, 1_800),
        &[],
    ),
    hn("business", "اسٹاک مارکیٹ میں {n} پوائنٹس کی کمی", "Stock market loses {n} points", (150, 1_500), &[]),
    hn("business", "ترسیلاتِ زر میں {n} فیصد اضافہ", "Remittances up {n} percent", (2, 18), &[]),
    h(
        "business",
        "{city} کے تاجروں کا بجلی کے زائد بلوں کے خلاف احتجاج",
        "{city} traders protest against inflated electricity bills",
    ),
    h("business", "ڈالر کے مقابلے میں روپے کی قدر مستحکم", "Rupee holds steady against the dollar"),
    // weather
    h("weather", "{city} اور گرد و نواح میں بارش کا امکان", "Rain expected in {city} and surrounding areas"),
    hn(
        "weather",
        "{city} میں شدید گرمی، درجہ حرارت {n} ڈگری تک پہنچ گیا",
        "Severe heat in {city} as the temperature reaches {n} degrees",
        (42, 50),
        &[5, 6, 7],
    ),
    hn(
        "weather",
        "دھند کے باعث {city} کے قریب موٹروے بند",
        "Motorway closed near {city} because of fog",
        (0, 0),
        &[12, 1],
    ),
    hn(
        "weather",
        "اسموگ کے باعث {city} میں اسکول بند",
        "Schools closed in {city} because of smog",
        (0, 0),
        &[11, 12, 1],
    ),
    hn(
        "weather",
        "محکمہ موسمیات کی {city} میں آندھی اور بارش کی پیش گوئی",
        "Met Office forecasts storm and rain in {city}",
        (0, 0),
        &[4, 5, 6],
    ),
    hn(
        "weather",
        "{city} میں مون سون کی پہلی بارش، موسم خوشگوار",
        "First monsoon rain brings relief to {city}",
        (0, 0),
        &[7],
    ),
    hn(
        "weather",
        "{city} میں موسلا دھار بارش، نشیبی علاقے زیرِ آب",
        "Heavy rain floods low-lying areas of {city}",
        (0, 0),
        &[7, 8],
    ),
    hn("weather", "{city} میں سردی کی شدت میں اضافہ", "Cold intensifies in {city}", (0, 0), &[12, 1, 2]),
    // sport
    hn(
        "sport",
        "{city} نے {city2} کو {n} رنز سے شکست دے دی",
        "{city} beat {city2} by {n} runs",
        (3, 95),
        &[],
    ),
    hn(
        "sport",
        "{city} نے {city2} کو {n} وکٹوں سے ہرا دیا",
        "{city} beat {city2} by {n} wickets",
        (2, 9),
        &[],
    ),
    h(
        "sport",
        "قومی ہاکی ٹیم کا تربیتی کیمپ {city} میں شروع",
        "National hockey team's training camp begins in {city}",
    ),
    h("sport", "{city} میں قومی اسکواش چیمپئن شپ کا آغاز", "National squash championship begins in {city}"),
    h("sport", "{city} میراتھن میں ہزاروں شہریوں کی شرکت", "Thousands take part in the {city} marathon"),
    hn(
        "sport",
        "قومی کرکٹ ٹیم کے {n} رکنی اسکواڈ کا اعلان",
        "{n}-member national cricket squad announced",
        (15, 18),
        &[],
    ),
    h(
        "sport",
        "{city} میں انٹر اسکول فٹبال ٹورنامنٹ اختتام پذیر",
        "Inter-school football tournament ends in {city}",
    ),
    // politics
    h(
        "politics",
        "وزیر اعلیٰ نے {city} میں نئے اسپتال کا افتتاح کر دیا",
        "Chief Minister opens a new hospital in {city}",
    ),
    hn(
        "politics",
        "قومی اسمبلی میں بجٹ پر بحث جاری",
        "Budget debate continues in the National Assembly",
        (0, 0),
        &[6],
    ),
    h(
        "politics",
        "{city} میں بلدیاتی انتخابات کی تیاریاں مکمل",
        "Preparations for local government elections completed in {city}",
    ),
    h("politics", "وفاقی کابینہ نے {policy} کی منظوری دے دی", "Federal cabinet approves {policy}"),
    h(
        "politics",
        "سینیٹ میں ذاتی ڈیٹا کے تحفظ کا بل پیش",
        "Personal data protection bill tabled in the Senate",
    ),
    hn(
        "politics",
        "{city} میں ترقیاتی منصوبوں کے لیے {n} ارب روپے مختص",
        "Rs {n} billion allocated for development projects in {city}",
        (2, 40),
        &[],
    ),
    h(
        "politics",
        "{city} میں شہریوں کی شکایات کے ازالے کے لیے کھلی کچہری",
        "Open court held in {city} to redress citizens' complaints",
    ),
    // health
    hn(
        "health",
        "{city} میں ڈینگی کے {n} نئے کیسز رپورٹ",
        "{n} new dengue cases reported in {city}",
        (12, 240),
        &[8, 9, 10, 11],
    ),
    h("health", "{city} میں انسدادِ پولیو مہم کا آغاز", "Anti-polio campaign begins in {city}"),
    h(
        "health",
        "{city} کے سرکاری اسپتالوں میں مفت ادویات کی فراہمی شروع",
        "Free medicines now provided at government hospitals in {city}",
    ),
    hn(
        "health",
        "ماہرین کا ہیٹ اسٹروک سے بچاؤ کے لیے احتیاط کا مشورہ",
        "Experts advise precautions against heatstroke",
        (0, 0),
        &[5, 6, 7],
    ),
    h("health", "{city} میں خسرہ سے بچاؤ کی ویکسینیشن مہم", "Measles vaccination drive in {city}"),
    hn(
        "health",
        "{city} میں اسہال اور گیسٹرو کے مریضوں میں اضافہ",
        "Rise in diarrhoea and gastro cases in {city}",
        (0, 0),
        &[6, 7, 8, 9],
    ),
    hn(
        "health",
        "اسموگ کے باعث {city} میں سانس کے امراض بڑھ گئے",
        "Smog drives up respiratory illness in {city}",
        (0, 0),
        &[11, 12, 1],
    ),
    // technology
    h("technology", "{city} میں فائیو جی کی آزمائشی سروس کا آغاز", "5G trial service launched in {city}"),
    h(
        "technology",
        "{city} کے نوجوانوں کے لیے مفت آئی ٹی کورسز کا اعلان",
        "Free IT courses announced for young people in {city}",
    ),
    hn("technology", "آئی ٹی برآمدات میں {n} فیصد اضافہ", "IT exports rise {n} percent", (3, 30), &[]),
    h(
        "technology",
        "{city} میں نیا ٹیکنالوجی پارک قائم کرنے کا فیصلہ",
        "New technology park to be set up in {city}",
    ),
    h(
        "technology",
        "مصنوعی ذہانت کے ذمہ دارانہ استعمال پر قومی کانفرنس {city} میں منعقد",
        "National conference on responsible AI held in {city}",
    ),
    h(
        "technology",
        "سرکاری خدمات کے لیے نئی موبائل ایپ متعارف",
        "New mobile app launched for government services",
    ),
    hn(
        "technology",
        "ملک میں براڈبینڈ صارفین کی تعداد {n} کروڑ سے تجاوز کر گئی",
        "Broadband subscribers in the country pass {n} crore",
        (12, 15),
        &[],
    ),
];

/// Category and its share of headlines.
const NEWS_CATEGORIES: [(&str, u64); 6] =
    [("politics", 20), ("sport", 18), ("business", 20), ("weather", 14), ("health", 14), ("technology", 14)];

const NEWS_CITIES: [(&str, &str); 16] = [
    ("لاہور", "Lahore"),
    ("کراچی", "Karachi"),
    ("اسلام آباد", "Islamabad"),
    ("راولپنڈی", "Rawalpindi"),
    ("پشاور", "Peshawar"),
    ("کوئٹہ", "Quetta"),
    ("ملتان", "Multan"),
    ("فیصل آباد", "Faisalabad"),
    ("حیدرآباد", "Hyderabad"),
    ("سکھر", "Sukkur"),
    ("گوجرانوالہ", "Gujranwala"),
    ("سیالکوٹ", "Sialkot"),
    ("ایبٹ آباد", "Abbottabad"),
    ("گوادر", "Gwadar"),
    ("بہاولپور", "Bahawalpur"),
    ("مردان", "Mardan"),
];

/// Team cities (the first six of [`NEWS_CITIES`]).
const TEAM_CITIES: usize = 6;

/// Commodities, Urdu in the oblique form that precedes `کی`.
const NEWS_ITEMS: [(&str, &str); 10] = [
    ("گندم", "wheat"),
    ("آٹے", "flour"),
    ("چینی", "sugar"),
    ("ٹماٹر", "tomatoes"),
    ("پیاز", "onions"),
    ("دودھ", "milk"),
    ("پیٹرول", "petrol"),
    ("گھی", "ghee"),
    ("چاول", "rice"),
    ("دالوں", "pulses"),
];

/// Policies, Urdu in the oblique form that precedes `کی`.
const NEWS_POLICIES: [(&str, &str); 5] = [
    ("قومی مصنوعی ذہانت پالیسی", "the National Artificial Intelligence Policy"),
    ("نئی تعلیمی پالیسی", "a new education policy"),
    ("ڈیجیٹل پاکستان منصوبے", "the Digital Pakistan plan"),
    ("صحت کارڈ کی توسیع", "the extension of the health card"),
    ("کسانوں کے لیے امدادی پیکج", "a relief package for farmers"),
];

const OUTLETS: [&str; 5] =
    ["Roznama Roshni", "Daily Sitara", "Awaz Digital", "Khabarnama", "Subh-e-Nau Times"];

fn news_headlines() -> DemoDataset {
    const ROWS: usize = 2_000;
    let mut g = Gen::new(4);
    let start = date!(2023 - 01 - 01);
    let mut offsets: Vec<i64> = (0..ROWS).map(|_| g.range(0, 730)).collect();
    offsets.sort_unstable();
    let mut out = String::new();
    for (i, off) in offsets.into_iter().enumerate() {
        let day = start.checked_add(Duration::days(off)).unwrap_or(start);
        let month = u8::from(day.month());
        let (category, _) = *g.weighted(&NEWS_CATEGORIES, |c| c.1);
        let fitting: Vec<&Headline> = HEADLINES
            .iter()
            .filter(|t| t.category == category && (t.months.is_empty() || t.months.contains(&month)))
            .collect();
        let t = *g.pick(&fitting);
        // A match is between two team cities; any other headline may name any city.
        let teams = &NEWS_CITIES[..TEAM_CITIES];
        let (city_ur, city_en) = *g.pick(if t.ur.contains("{city2}") { teams } else { &NEWS_CITIES });
        let mut other = *g.pick(teams);
        while other.1 == city_en {
            other = *g.pick(teams);
        }
        let n = g.range(t.n.0, t.n.1).to_string();
        let (item_ur, item_en) = *g.pick(&NEWS_ITEMS);
        let (policy_ur, policy_en) = *g.pick(&NEWS_POLICIES);
        let fill = |s: &str, city: &str, city2: &str, item: &str, policy: &str| {
            s.replace("{city2}", city2)
                .replace("{city}", city)
                .replace("{n}", &n)
                .replace("{item}", item)
                .replace("{policy}", policy)
        };
        let ur = fill(t.ur, city_ur, other.0, item_ur, policy_ur);
        let en = fill(t.en, city_en, other.1, item_en, policy_en);
        out.push_str("{\"id\":");
        json_str(&mut out, &format!("UNH-{:05}", i + 1));
        out.push_str(",\"date\":");
        json_str(&mut out, &iso(day));
        out.push_str(",\"outlet\":");
        let outlet = *g.pick(&OUTLETS);
        json_str(&mut out, outlet);
        out.push_str(",\"category\":");
        json_str(&mut out, category);
        out.push_str(",\"headline\":");
        json_str(&mut out, &ur);
        out.push_str(",\"headline_en\":");
        json_str(&mut out, &en);
        out.push_str("}\n");
    }
    let categories: Vec<&str> = NEWS_CATEGORIES.iter().map(|c| c.0).collect();
    let dictionary = vec![
        col("id", ColumnType::Text, "Headline id, in date order.", "سرخی کی شناخت، تاریخ کی ترتیب سے۔")
            .format("regex:UNH-[0-9]{5}"),
        date_col("date", "Publication date.", "اشاعت کی تاریخ۔"),
        col("outlet", ColumnType::Text, "The (fictional) newspaper or site.", "(فرضی) اخبار یا ویب سائٹ۔")
            .values(&OUTLETS),
        col("category", ColumnType::Text, "News category.", "خبر کا زمرہ۔").values(&categories),
        col("headline", ColumnType::Text, "The headline, in Urdu.", "سرخی، اردو میں۔"),
        col(
            "headline_en",
            ColumnType::Text,
            "An English translation of the headline.",
            "سرخی کا انگریزی ترجمہ۔",
        ),
    ];
    let meta = DatasetMeta {
        title: Text::new(
            "Urdu news headlines with English translations, 2023–2024",
            "اردو خبروں کی سرخیاں، انگریزی ترجمے کے ساتھ، 2023–2024",
        ),
        description: Text::new(
            &format!(
                "{SYNTHETIC_EN} 2,000 Urdu news headlines of fictional outlets, 2023–2024, each with a category \
                 (politics, sport, business, weather, health, technology) and an English translation, as JSON \
                 Lines. Composed from templates of everyday Urdu news phrasing that follow the seasons (smog in \
                 winter, heat in June, dengue after the monsoon), for trying Urdu search, text classification \
                 and translation. Registered users may download it after accepting the terms of use."
            ),
            &format!(
                "{SYNTHETIC_UR} فرضی اخبارات کی 2023–2024 کی 2,000 اردو سرخیاں، ہر ایک کے ساتھ زمرہ (سیاست، کھیل، کاروبار، موسم، \
                 صحت، ٹیکنالوجی) اور انگریزی ترجمہ، JSON Lines کی صورت میں۔ یہ روزمرہ اردو خبروں کے اسلوب کے سانچوں سے بنائی گئی \
                 ہیں جو موسموں کے ساتھ بدلتے ہیں (سردیوں میں اسموگ، جون میں گرمی، مون سون کے بعد ڈینگی)، تاکہ اردو تلاش، متن کی \
                 درجہ بندی اور ترجمے کو آزمایا جا سکے۔ رجسٹرڈ صارفین استعمال کی شرائط قبول کرنے کے بعد اسے ڈاؤن لوڈ کر سکتے ہیں۔"
            ),
        ),
        themes: vec!["SOCI".into(), "TECH".into()],
        keywords: keywords(&[
            "Urdu",
            "news headlines",
            "natural language processing",
            "text classification",
            "machine translation",
            "corpus",
            "اردو",
            "خبریں",
            "سرخیاں",
            "قدرتی زبان کی پروسیسنگ",
            "ترجمہ",
            "مصنوعی ذہانت",
        ]),
        licence: "cc-by-sa-4.0".into(),
        temporal: temporal("2023-01-01", "2024-12-31"),
        spatial: vec![
            "punjab".into(),
            "sindh".into(),
            "khyber-pakhtunkhwa".into(),
            "balochistan".into(),
            "islamabad".into(),
        ],
        contact: contact("Urdu Language Resources Cell (demo)", "urdu-resources@citizen-services.demo"),
        frequency: "IRREG".into(),
        access: AccessTier::Registered,
        dictionary,
        pii_reasons: Vec::new(),
        rai: Rai {
            data_collection: Text::new(
                "Generated from 44 headline templates written by hand in Urdu with their English translations, \
                 filled with city names, commodities, policies and numbers, on dates spread over two years.",
                "44 سرخیوں کے سانچوں سے تیار کیا گیا جو ہاتھ سے اردو میں انگریزی ترجمے کے ساتھ لکھے گئے، اور جن میں شہروں کے نام، \
                 اشیا، پالیسیاں اور اعداد دو برسوں کی تاریخوں پر بھرے گئے۔",
            ),
            data_biases: Text::new(
                "Standard written Urdu of the national press only: no Roman Urdu, no regional languages, and \
                 large cities far more often than small towns. Templates repeat, so a classifier scores better \
                 here than on real news.",
                "صرف قومی اخبارات کی معیاری تحریری اردو: رومن اردو یا علاقائی زبانیں شامل نہیں، اور بڑے شہروں کا ذکر چھوٹے قصبوں \
                 سے کہیں زیادہ ہے۔ سانچے دہرائے جاتے ہیں، اس لیے درجہ بندی کا ماڈل یہاں حقیقی خبروں کی نسبت بہتر نتائج دکھائے گا۔",
            ),
            data_limitations: Text::new(
                "Synthetic and repetitive (44 templates); the events never happened. Use it to try tools, not to \
                 train a production model.",
                "مصنوعی اور تکراری (44 سانچے)؛ یہ واقعات کبھی پیش نہیں آئے۔ اسے اوزار آزمانے کے لیے استعمال کریں، کسی عملی ماڈل کی \
                 تربیت کے لیے نہیں۔",
            ),
            personal_sensitive_information: Text::new(
                "None: no person is named; officials appear by title only.",
                "کوئی نہیں: کسی شخص کا نام نہیں؛ عہدیداروں کا ذکر صرف عہدے سے ہے۔",
            ),
        },
    };
    DemoDataset {
        org: CITIZEN,
        slug: "urdu-news-headlines",
        meta,
        files: vec![DemoFile { name: "urdu-news-headlines.jsonl".into(), bytes: out.into_bytes() }],
        versions: 1,
        earlier: Vec::new(),
    }
}

// ---------------------------------------------------------------------------------------------
// 5. Outpatient visits
// ---------------------------------------------------------------------------------------------

const OPD_DISTRICTS: [&str; 20] = [
    "lahore",
    "faisalabad",
    "rawalpindi",
    "multan",
    "bahawalpur",
    "dera-ghazi-khan",
    "karachi-central",
    "karachi-east",
    "hyderabad",
    "sukkur",
    "larkana",
    "peshawar",
    "mardan",
    "swat",
    "abbottabad",
    "quetta",
    "gwadar",
    "islamabad-district",
    "gilgit",
    "muzaffarabad",
];

/// Age band and its share of visits (per mille).
const OPD_AGE_BANDS: [(&str, i64); 6] =
    [("0-4", 180), ("5-14", 140), ("15-24", 140), ("25-44", 260), ("45-64", 190), ("65+", 90)];

fn outpatient_visits() -> DemoDataset {
    let mut g = Gen::new(5);
    let districts = places(&OPD_DISTRICTS);
    let mut t = Table::new(&[
        "month",
        "province",
        "district",
        "age_band",
        "gender",
        "outpatient_visits",
        "respiratory_visits",
        "diarrhoea_visits",
    ]);
    let suppressed = |n: i64| if n < 10 { String::new() } else { n.to_string() };
    for (year, month) in months(2023, 2024) {
        let m = u8::from(month);
        let winter = matches!(m, 11 | 12 | 1 | 2);
        let summer = (5..=9).contains(&m);
        for d in &districts {
            // The clinics on Rahbar's system see about 4 visits per 1,000 residents a month.
            let total = g.vary(d.pop_k * 4 * (1000 + (i64::from(year) - 2023) * 60) / 1000, 8);
            for (band, share) in OPD_AGE_BANDS {
                for gender in ["female", "male"] {
                    let female_share = match band {
                        "15-24" | "25-44" => 600,
                        "5-14" => 470,
                        _ => 520,
                    };
                    let g_share = if gender == "female" { female_share } else { 1000 - female_share };
                    let visits = g.vary(total * share / 1000 * g_share / 1000, 6);
                    let mut resp = if winter { 280 } else { 140 };
                    if matches!(band, "0-4" | "65+") {
                        resp += 80;
                    }
                    if winter && matches!(d.id, "lahore" | "faisalabad" | "multan") {
                        resp += 80;
                    }
                    let mut diarrhoea = if summer { 90 } else { 40 };
                    if band == "0-4" {
                        diarrhoea *= 2;
                    }
                    if summer && matches!(d.province, Sindh | Balochistan) {
                        diarrhoea += 30;
                    }
                    let resp = g.vary(visits * resp / 1000, 10);
                    let diarrhoea = g.vary(visits * diarrhoea / 1000, 10);
                    t.push(cells![
                        year_month(year, month),
                        d.province.en(),
                        d.en,
                        band,
                        gender,
                        suppressed(visits),
                        suppressed(resp),
                        suppressed(diarrhoea),
                    ]);
                }
            }
        }
    }
    let bands: Vec<&str> = OPD_AGE_BANDS.iter().map(|b| b.0).collect();
    let dictionary = vec![
        month_col(),
        province_col(&districts),
        district_col(&districts),
        age_band_col(&bands),
        gender_col(&["female", "male"]),
        col(
            "outpatient_visits",
            ColumnType::Integer,
            "Outpatient visits; empty when fewer than 10 (suppressed).",
            "او پی ڈی (بیرونی مریضوں) کے دورے؛ 10 سے کم ہوں تو خالی (چھپائے گئے)۔",
        )
        .unit("visits"),
        col(
            "respiratory_visits",
            ColumnType::Integer,
            "Of which for a respiratory illness (cough, pneumonia, asthma); empty when fewer than 10.",
            "ان میں سے سانس کی بیماری (کھانسی، نمونیا، دمہ) کے لیے؛ 10 سے کم ہوں تو خالی۔",
        )
        .unit("visits"),
        col(
            "diarrhoea_visits",
            ColumnType::Integer,
            "Of which for diarrhoea or gastroenteritis; empty when fewer than 10.",
            "ان میں سے اسہال یا گیسٹرو کے لیے؛ 10 سے کم ہوں تو خالی۔",
        )
        .unit("visits"),
    ];
    let meta = DatasetMeta {
        title: Text::new(
            "Outpatient visits by district, month, age band and gender, 2023–2024",
            "اضلاع کے لحاظ سے او پی ڈی (بیرونی مریضوں) کے دورے، مہینے، عمر کے گروپ اور صنف کے لحاظ سے، 2023–2024",
        ),
        description: Text::new(
            &format!(
                "{SYNTHETIC_EN} Monthly outpatient visits at the clinics using a health-records system in 20 \
                 districts, by age band and gender, with the visits for respiratory illness and for diarrhoea. \
                 Counts only, no patient rows; counts under 10 are suppressed. Winter smog and summer \
                 diarrhoea show in the seasons."
            ),
            &format!(
                "{SYNTHETIC_UR} 20 اضلاع میں صحت کے ریکارڈ کا نظام استعمال کرنے والے کلینکس میں ماہانہ او پی ڈی دورے، عمر کے گروپ \
                 اور صنف کے لحاظ سے، سانس کی بیماریوں اور اسہال کے دوروں کے ساتھ۔ صرف تعداد، کسی مریض کی قطار نہیں؛ 10 سے کم تعداد \
                 چھپا دی گئی ہے۔ سردیوں کی اسموگ اور گرمیوں کا اسہال موسموں میں نظر آتا ہے۔"
            ),
        ),
        themes: vec!["HEAL".into()],
        keywords: keywords(&[
            "outpatient",
            "OPD",
            "health facilities",
            "respiratory illness",
            "diarrhoea",
            "smog",
            "صحت",
            "او پی ڈی",
            "مریض",
            "اسپتال",
            "سانس کی بیماری",
            "اسہال",
        ]),
        licence: "odbl-1.0".into(),
        temporal: temporal("2023-01-01", "2024-12-31"),
        spatial: spatial(&districts),
        contact: contact("Health Information Unit (demo)", "health-data@rahbar-health.demo"),
        frequency: "MONTHLY".into(),
        access: AccessTier::Open,
        dictionary,
        pii_reasons: Vec::new(),
        rai: Rai {
            data_collection: Text::new(
                "Generated: about 4 visits per 1,000 residents a month, split by typical age and gender shares, \
                 with seasonal shares for respiratory and diarrhoeal illness.",
                "تیار کردہ ڈیٹا: ہر ماہ فی 1,000 رہائشیوں میں تقریباً 4 دورے، عمر اور صنف کے عام تناسب سے تقسیم، سانس اور اسہال کی \
                 بیماریوں کے موسمی حصوں کے ساتھ۔",
            ),
            data_biases: Text::new(
                "Only people who reach a clinic are counted: women, rural districts and the poorest are \
                 under-represented, and a district's count follows how many clinics use the system more than \
                 how ill its people are.",
                "صرف وہ لوگ گنے گئے جو کلینک تک پہنچے: خواتین، دیہی اضلاع اور غریب ترین لوگ کم نمائندگی پاتے ہیں، اور کسی ضلع کی تعداد \
                 اس کے لوگوں کی بیماری سے زیادہ اس بات پر منحصر ہے کہ کتنے کلینک یہ نظام استعمال کرتے ہیں۔",
            ),
            data_limitations: Text::new(
                "Synthetic. Visits, not patients: one person may visit many times. Small counts are suppressed.",
                "مصنوعی ڈیٹا۔ دوروں کی تعداد ہے، مریضوں کی نہیں: ایک شخص کئی بار آ سکتا ہے۔ چھوٹی تعداد چھپا دی گئی ہے۔",
            ),
            personal_sensitive_information: Text::new(
                "Health data, aggregated: no rows about a person, and counts under 10 suppressed. Age band, \
                 gender, province and district are sensitive attributes.",
                "صحت کا مجموعی ڈیٹا: کسی فرد کی قطار نہیں، اور 10 سے کم تعداد چھپا دی گئی ہے۔ عمر کا گروپ، صنف، صوبہ اور ضلع حساس \
                 خصوصیات ہیں۔",
            ),
        },
    };
    DemoDataset {
        org: HEALTH,
        slug: "outpatient-visits-by-district",
        meta,
        files: vec![t.file("outpatient-visits-by-district.csv")],
        versions: 1,
        earlier: Vec::new(),
    }
}

// ---------------------------------------------------------------------------------------------
// 6. Electricity load-shedding
// ---------------------------------------------------------------------------------------------

/// District, distribution company, feeder code, extra line losses (percentage points).
const GRID: [(&str, &str, &str, i64); 13] = [
    ("lahore", "LESCO", "LHR", 0),
    ("faisalabad", "FESCO", "FSD", 0),
    ("multan", "MEPCO", "MUX", 4),
    ("gujranwala", "GEPCO", "GRW", 0),
    ("rawalpindi", "IESCO", "RWP", 0),
    ("islamabad-district", "IESCO", "ISB", -3),
    ("karachi-south", "K-Electric", "KHS", 8),
    ("karachi-east", "K-Electric", "KHE", 10),
    ("hyderabad", "HESCO", "HYD", 14),
    ("sukkur", "SEPCO", "SKR", 20),
    ("peshawar", "PESCO", "PEW", 18),
    ("bannu", "PESCO", "BNP", 30),
    ("quetta", "QESCO", "UET", 16),
];

const FEEDER_TYPES: [(&str, u64); 3] = [("urban", 50), ("rural", 35), ("industrial", 15)];

/// The loss category a feeder's losses put it in (I: under 10%, ... VI: 60% or more).
fn loss_category(loss_tenths: i64) -> (&'static str, i64) {
    match loss_tenths {
        ..100 => ("I", 0),
        100..200 => ("II", 2),
        200..300 => ("III", 4),
        300..400 => ("IV", 6),
        400..600 => ("V", 8),
        _ => ("VI", 12),
    }
}

struct Feeder {
    id: String,
    kind: &'static str,
    loss_tenths: i64,
}

fn load_shedding() -> DemoDataset {
    let mut g = Gen::new(6);
    let ids: Vec<&str> = GRID.iter().map(|x| x.0).collect();
    let districts = places(&ids);
    let mut feeders: Vec<(&Place, &str, Vec<Feeder>)> = Vec::new();
    for (&(_, company, code, extra), &d) in GRID.iter().zip(&districts) {
        let mut list = Vec::new();
        for _ in 0..6 {
            let (kind, _) = *g.weighted(&FEEDER_TYPES, |f| f.1);
            let base = match kind {
                "industrial" => g.range(30, 80),
                "urban" => g.range(60, 180),
                _ => g.range(150, 420),
            };
            list.push(Feeder {
                id: format!("{company}-{code}-{:03}", g.range(1, 899)),
                kind,
                loss_tenths: (base + extra * 10).max(20),
            });
        }
        list.sort_by(|a, b| a.id.cmp(&b.id));
        feeders.push((d, company, list));
    }
    let mut t = Table::new(&[
        "month",
        "province",
        "district",
        "distribution_company",
        "feeder_id",
        "feeder_type",
        "loss_category",
        "line_loss_percent",
        "scheduled_hours",
        "unscheduled_hours",
    ]);
    for (year, month) in months(2022, 2024) {
        let m = u8::from(month);
        let days_in = i64::from(month.length(year));
        let summer = (5..=9).contains(&m);
        let crisis = year == 2022 && (5..=8).contains(&m);
        for (d, company, list) in &feeders {
            for f in list {
                let loss = g.vary(f.loss_tenths, 4);
                let (category, summer_hours) = loss_category(loss);
                // Daily hours, tenths: the category's summer schedule, half in winter; industrial
                // feeders are exempt; the 2022 fuel shortage adds two hours everywhere.
                let mut daily = summer_hours * 10;
                if !summer {
                    daily /= 2;
                }
                if f.kind == "industrial" {
                    daily = 0;
                }
                if crisis {
                    daily += if category == "I" { 10 } else { 20 };
                }
                let scheduled = if daily == 0 { 0 } else { g.vary(daily * days_in, 10) };
                let mut faults = if f.kind == "rural" { g.range(80, 300) } else { g.range(20, 120) };
                if summer {
                    faults = faults * 3 / 2;
                }
                if matches!(m, 7 | 8) {
                    faults *= 2;
                }
                t.push(cells![
                    year_month(year, month),
                    d.province.en(),
                    d.en,
                    company,
                    &f.id,
                    f.kind,
                    category,
                    dec(loss, 1),
                    dec(scheduled, 1),
                    dec(faults, 1),
                ]);
            }
        }
    }
    let companies = unique(GRID.iter().map(|x| x.1));
    let dictionary = vec![
        month_col(),
        province_col(&districts),
        district_col(&districts),
        col("distribution_company", ColumnType::Text, "Electricity distribution company.", "بجلی کی تقسیم کار کمپنی۔")
            .values(&companies),
        col("feeder_id", ColumnType::Text, "11 kV feeder (fictional code).", "11 کلو وولٹ فیڈر (فرضی کوڈ)۔"),
        col("feeder_type", ColumnType::Text, "What the feeder mostly supplies.", "فیڈر زیادہ تر کسے بجلی دیتا ہے۔")
            .values(&["urban", "rural", "industrial"]),
        col(
            "loss_category",
            ColumnType::Text,
            "Loss category that sets the schedule: I under 10% losses, II 10–20%, III 20–30%, IV 30–40%, V 40–60%, VI 60% or more.",
            "نقصانات کا زمرہ جس سے شیڈول طے ہوتا ہے: I دس فیصد سے کم، II دس سے بیس فیصد، III بیس سے تیس، IV تیس سے چالیس، V چالیس سے ساٹھ، VI ساٹھ فیصد یا زیادہ۔",
        )
        .values(&["I", "II", "III", "IV", "V", "VI"]),
        col(
            "line_loss_percent",
            ColumnType::Number,
            "Aggregate technical and commercial losses of the feeder that month.",
            "اس مہینے فیڈر کے مجموعی تکنیکی اور تجارتی نقصانات۔",
        )
        .unit("%"),
        col("scheduled_hours", ColumnType::Number, "Hours of announced load-shedding in the month.", "مہینے میں اعلان شدہ لوڈشیڈنگ کے گھنٹے۔")
            .unit("h"),
        col(
            "unscheduled_hours",
            ColumnType::Number,
            "Hours without supply from faults and forced outages in the month.",
            "مہینے میں خرابیوں اور اچانک بندش سے بجلی کی عدم فراہمی کے گھنٹے۔",
        )
        .unit("h"),
    ];
    let meta = DatasetMeta {
        title: Text::new(
            "Electricity load-shedding hours by feeder and month, 2022–2024",
            "فیڈر اور مہینے کے لحاظ سے بجلی کی لوڈشیڈنگ کے گھنٹے، 2022–2024",
        ),
        description: Text::new(
            &format!(
                "{SYNTHETIC_EN} Monthly hours of scheduled load-shedding and of unscheduled outages on 78 \
                 fictional 11 kV feeders in 13 districts served by ten distribution companies, with each \
                 feeder's line losses and the loss category that sets its schedule. Shows the summer 2022 \
                 shortage and how schedules follow losses."
            ),
            &format!(
                "{SYNTHETIC_UR} دس تقسیم کار کمپنیوں کے 13 اضلاع میں 78 فرضی 11 کلو وولٹ فیڈرز پر ماہانہ شیڈول شدہ لوڈشیڈنگ اور غیر \
                 اعلانیہ بندش کے گھنٹے، ہر فیڈر کے لائن نقصانات اور اس نقصان کے زمرے کے ساتھ جو اس کا شیڈول طے کرتا ہے۔ اس میں 2022 \
                 کی گرمیوں کی قلت اور نقصانات کے مطابق شیڈول نظر آتے ہیں۔"
            ),
        ),
        themes: vec!["ENER".into()],
        keywords: keywords(&[
            "load-shedding",
            "electricity",
            "power outages",
            "feeders",
            "line losses",
            "DISCO",
            "لوڈشیڈنگ",
            "بجلی",
            "بجلی کی بندش",
            "فیڈر",
            "لائن لاسز",
        ]),
        licence: "cc0-1.0".into(),
        temporal: temporal("2022-01-01", "2024-12-31"),
        spatial: spatial(&districts),
        contact: contact("Energy Statistics Desk (demo)", "energy-data@citizen-services.demo"),
        frequency: "MONTHLY".into(),
        access: AccessTier::Open,
        dictionary,
        pii_reasons: Vec::new(),
        rai: Rai {
            data_collection: Text::new(
                "Generated: six feeders per district with losses by feeder type and area, a load-shedding \
                 schedule by loss category, and random fault hours that rise in summer and the monsoon.",
                "تیار کردہ ڈیٹا: ہر ضلع میں چھ فیڈر، فیڈر کی قسم اور علاقے کے لحاظ سے نقصانات، نقصان کے زمرے کے مطابق لوڈشیڈنگ کا \
                 شیڈول، اور خرابی کے بے ترتیب گھنٹے جو گرمیوں اور مون سون میں بڑھ جاتے ہیں۔",
            ),
            data_biases: Text::new(
                "Loss-based load-shedding punishes every household on a high-loss feeder for the theft of \
                 some: rural feeders and poorer districts get the most hours. A model that predicts outages \
                 from this learns the policy, not the grid.",
                "نقصانات کی بنیاد پر لوڈشیڈنگ کسی فیڈر کے ہر گھرانے کو چند لوگوں کی بجلی چوری کی سزا دیتی ہے: دیہی فیڈرز اور غریب اضلاع \
                 کو سب سے زیادہ گھنٹے ملتے ہیں۔ اس ڈیٹا سے بندش کی پیش گوئی کرنے والا ماڈل گرڈ نہیں بلکہ پالیسی سیکھتا ہے۔",
            ),
            data_limitations: Text::new(
                "Synthetic. Six feeders per district stand for hundreds; hours are monthly totals.",
                "مصنوعی ڈیٹا۔ ہر ضلع کے چھ فیڈر سینکڑوں کی نمائندگی کرتے ہیں؛ گھنٹے ماہانہ مجموعے ہیں۔",
            ),
            personal_sensitive_information: Text::new(
                "None: feeders, not consumers.",
                "کوئی نہیں: فیڈرز کا ڈیٹا ہے، صارفین کا نہیں۔",
            ),
        },
    };
    DemoDataset {
        org: CITIZEN,
        slug: "electricity-load-shedding",
        meta,
        files: vec![t.file("electricity-load-shedding.csv")],
        versions: 1,
        earlier: Vec::new(),
    }
}

// ---------------------------------------------------------------------------------------------
// 7. Metro ridership
// ---------------------------------------------------------------------------------------------

struct Line {
    name: &'static str,
    /// Stations, and the district of each station after the previous entry's (station numbers
    /// from 1).
    districts: &'static [(&'static str, u32)],
    /// Boardings on an ordinary weekday, whole line.
    weekday: i64,
}

static LINES: [Line; 3] = [
    Line { name: "Lahore Orange Line", districts: &[("lahore", 26)], weekday: 200_000 },
    Line {
        name: "Karachi Green Line",
        districts: &[("karachi-central", 15), ("karachi-south", 21)],
        weekday: 60_000,
    },
    Line {
        name: "Islamabad-Rawalpindi Metro",
        districts: &[("rawalpindi", 10), ("islamabad-district", 24)],
        weekday: 130_000,
    },
];

fn metro_ridership() -> DemoDataset {
    let mut g = Gen::new(7);
    let district_ids: Vec<&str> = LINES.iter().flat_map(|l| l.districts.iter().map(|d| d.0)).collect();
    let districts = places(&district_ids);
    // Each station's share of its line: terminals and interchanges are busier.
    let mut stations: Vec<(&Line, u32, &Place, i64)> = Vec::new();
    let mut di = 0;
    for line in &LINES {
        let total = line.districts.last().map_or(0, |d| d.1);
        let mut weights = Vec::new();
        for s in 1..=total {
            let busy = if s == 1 || s == total || s.is_multiple_of(7) {
                g.range(150, 250)
            } else {
                g.range(50, 120)
            };
            weights.push(busy);
        }
        let sum: i64 = weights.iter().sum();
        let mut s = 1;
        for &(_, upto) in line.districts {
            let Some(d) = districts.get(di) else { break };
            di += 1;
            while s <= upto {
                let w = weights.get(s as usize - 1).copied().unwrap_or(0);
                stations.push((line, s, d, line.weekday * w / sum.max(1)));
                s += 1;
            }
        }
    }
    // Kashmir Day, election day, Pakistan Day, Eid ul Fitr.
    let holidays = [
        date!(2024 - 02 - 05),
        date!(2024 - 02 - 08),
        date!(2024 - 03 - 23),
        date!(2024 - 04 - 10),
        date!(2024 - 04 - 11),
        date!(2024 - 04 - 12),
    ];
    let ramadan = date!(2024 - 03 - 12)..=date!(2024 - 04 - 09);
    let mut t = Table::new(&["date", "day_type", "district", "line", "station", "boardings"]);
    for day in days(date!(2024 - 01 - 01), date!(2024 - 04 - 30)) {
        let holiday = holidays.contains(&day);
        let (day_type, factor) = match (holiday, day.weekday()) {
            (true, _) => ("public-holiday", if day == date!(2024 - 02 - 08) { 300 } else { 450 }),
            (false, Weekday::Sunday) => ("sunday", 650),
            (false, Weekday::Saturday) => ("saturday", 850),
            (false, Weekday::Friday) => ("weekday", 950),
            (false, _) => ("weekday", 1_000),
        };
        let factor = if ramadan.contains(&day) { factor * 800 / 1000 } else { factor };
        for (line, no, d, base) in &stations {
            // About one count in a hundred is lost to a gate counter fault.
            let boardings =
                if g.chance(10) { String::new() } else { g.vary(base * factor / 1000, 12).to_string() };
            t.push(cells![iso(day), day_type, d.en, line.name, format!("Station {no}"), boardings]);
        }
    }
    let line_names: Vec<&str> = LINES.iter().map(|l| l.name).collect();
    let dictionary = vec![
        date_col("date", "Service day.", "سروس کا دن۔"),
        col(
            "day_type",
            ColumnType::Text,
            "Weekday, Saturday, Sunday or public holiday (Kashmir Day, election day, Pakistan Day, Eid ul Fitr).",
            "دن کی قسم: عام دن، ہفتہ، اتوار یا عام تعطیل (یومِ کشمیر، انتخابات کا دن، یومِ پاکستان، عید الفطر)۔",
        )
        .values(&["weekday", "saturday", "sunday", "public-holiday"]),
        district_col(&districts),
        col("line", ColumnType::Text, "Rapid transit line.", "تیز رفتار ٹرانزٹ لائن۔").values(&line_names),
        col(
            "station",
            ColumnType::Text,
            "Station, by its number along the line from the northern end (real names are left out).",
            "اسٹیشن، شمالی سرے سے لائن پر اس کے نمبر کے ساتھ (اصل نام شامل نہیں)۔",
        ),
        col(
            "boardings",
            ColumnType::Integer,
            "Passengers entering at the station that day; empty when the gate counters failed.",
            "اس دن اسٹیشن سے سوار ہونے والے مسافر؛ گیٹ کاؤنٹر خراب ہونے پر خالی۔",
        )
        .unit("passengers"),
    ];
    let meta = DatasetMeta {
        title: Text::new(
            "Daily metro boardings by station: Lahore, Karachi, Islamabad–Rawalpindi, January–April 2024",
            "اسٹیشن وار روزانہ میٹرو مسافر: لاہور، کراچی، اسلام آباد–راولپنڈی، جنوری تا اپریل 2024",
        ),
        description: Text::new(
            &format!(
                "{SYNTHETIC_EN} Daily boardings at each station of the Lahore Orange Line, the Karachi Green \
                 Line and the Islamabad–Rawalpindi Metro from January to April 2024. Stations are numbered, not \
                 named. Weekends, public holidays, election day, Ramadan and Eid ul Fitr show in the counts."
            ),
            &format!(
                "{SYNTHETIC_UR} جنوری سے اپریل 2024 تک لاہور اورنج لائن، کراچی گرین لائن اور اسلام آباد–راولپنڈی میٹرو کے ہر اسٹیشن \
                 پر روزانہ سوار ہونے والے مسافر۔ اسٹیشنوں کے نام نہیں، نمبر دیے گئے ہیں۔ ہفتہ وار چھٹیاں، عام تعطیلات، انتخابات کا دن، \
                 رمضان اور عید الفطر اعداد میں نظر آتے ہیں۔"
            ),
        ),
        themes: vec!["TRAN".into()],
        keywords: keywords(&[
            "public transport",
            "metro",
            "ridership",
            "Orange Line",
            "Green Line",
            "Metro Bus",
            "Ramadan",
            "پبلک ٹرانسپورٹ",
            "میٹرو",
            "اورنج لائن",
            "گرین لائن",
            "مسافر",
            "نقل و حمل",
        ]),
        licence: "cc-by-4.0".into(),
        temporal: temporal("2024-01-01", "2024-04-30"),
        spatial: spatial(&districts),
        contact: contact("Urban Transport Data Unit (demo)", "transport-data@citizen-services.demo"),
        frequency: "DAILY".into(),
        access: AccessTier::Registered,
        dictionary,
        pii_reasons: Vec::new(),
        rai: Rai {
            data_collection: Text::new(
                "Generated: a typical weekday total per line spread over its stations, scaled by day type, \
                 Ramadan and holidays, with noise and a few lost counts.",
                "تیار کردہ ڈیٹا: ہر لائن کے عام دن کے کل مسافر اس کے اسٹیشنوں پر تقسیم، دن کی قسم، رمضان اور تعطیلات کے مطابق کم یا \
                 زیادہ، اتار چڑھاؤ اور چند گمشدہ گنتیوں کے ساتھ۔",
            ),
            data_biases: Text::new(
                "Counts people who ride, not people who need transport: areas without a line, and women who \
                 avoid crowded stations, are absent.",
                "یہ سفر کرنے والوں کو گنتا ہے، ٹرانسپورٹ کے ضرورت مندوں کو نہیں: جن علاقوں میں لائن نہیں، اور وہ خواتین جو بھیڑ والے \
                 اسٹیشنوں سے گریز کرتی ہیں، شامل نہیں۔",
            ),
            data_limitations: Text::new(
                "Synthetic. Four months only; boardings, not journeys; about 1% of counts are missing.",
                "مصنوعی ڈیٹا۔ صرف چار ماہ؛ سوار ہونے کی تعداد، مکمل سفر نہیں؛ تقریباً ایک فیصد گنتیاں موجود نہیں۔",
            ),
            personal_sensitive_information: Text::new(
                "None: station counts, no card or passenger data. Registered access asks users not to link it \
                 with other data to find people.",
                "کوئی نہیں: اسٹیشن کی گنتی، کوئی کارڈ یا مسافر کا ڈیٹا نہیں۔ رجسٹرڈ رسائی کی شرائط کے تحت اسے دوسرے ڈیٹا سے ملا کر \
                 افراد کی تلاش منع ہے۔",
            ),
        },
    };
    DemoDataset {
        org: CITIZEN,
        slug: "metro-ridership-daily",
        meta,
        files: vec![t.file("metro-ridership-daily.csv")],
        versions: 1,
        earlier: Vec::new(),
    }
}

// ---------------------------------------------------------------------------------------------
// 8. Citizen service complaints
// ---------------------------------------------------------------------------------------------

/// Category, department, typical days to resolve, satisfaction (per mille) when resolved.
const COMPLAINT_KINDS: [(&str, &str, i64, i64, u64); 9] = [
    ("water-supply", "Water and Sanitation Agency", 12, 620, 16),
    ("electricity", "Electricity Distribution Company", 6, 640, 18),
    ("sanitation", "Municipal Corporation", 9, 600, 14),
    ("roads", "Communication and Works Department", 25, 520, 9),
    ("education", "School Education Department", 18, 610, 8),
    ("health", "Health Department", 10, 630, 9),
    ("police", "Police", 14, 420, 10),
    ("land-records", "Board of Revenue", 35, 380, 7),
    ("gas", "Gas Distribution Company", 8, 650, 9),
];

/// A complainant's name as typed, gender, and the stem of a made-up e-mail address.
const NAMES: [(&str, &str, &str); 32] = [
    ("Muhammad Ali", "male", "m.ali"),
    ("Ahmed Raza", "male", "ahmed.raza"),
    ("Bilal Ahmed", "male", "bilal.ahmed"),
    ("Imran Hussain", "male", "imran.hussain"),
    ("Usman Tariq", "male", "usman.tariq"),
    ("Abdul Rehman", "male", "a.rehman"),
    ("Hamza Sheikh", "male", "hamza.sheikh"),
    ("Gul Khan", "male", "gul.khan"),
    ("Zahid Baloch", "male", "zahid.baloch"),
    ("Faisal Memon", "male", "faisal.memon"),
    ("Sajid Afridi", "male", "sajid.afridi"),
    ("Kamran Qureshi", "male", "kamran.qureshi"),
    ("محمد اسلم", "male", "m.aslam"),
    ("غلام رسول", "male", "ghulam.rasool"),
    ("خالد محمود", "male", "khalid.mahmood"),
    ("عبدالستار", "male", "abdul.sattar"),
    ("نوید اقبال", "male", "naveed.iqbal"),
    ("شاہد حسین", "male", "shahid.hussain"),
    ("Ayesha Khan", "female", "ayesha.khan"),
    ("Fatima Bibi", "female", "fatima.bibi"),
    ("Zainab Noor", "female", "zainab.noor"),
    ("Sana Iqbal", "female", "sana.iqbal"),
    ("Nadia Parveen", "female", "nadia.parveen"),
    ("Hina Akhtar", "female", "hina.akhtar"),
    ("Rabia Batool", "female", "rabia.batool"),
    ("Shazia Baloch", "female", "shazia.baloch"),
    ("فاطمہ بی بی", "female", "fatima.bb"),
    ("عائشہ خان", "female", "ayesha.k"),
    ("نسرین اختر", "female", "nasreen.akhtar"),
    ("شازیہ پروین", "female", "shazia.parveen"),
    ("مریم نواز", "female", "maryam.n"),
    ("کلثوم بی بی", "female", "kulsoom.bibi"),
];

fn citizen_complaints() -> DemoDataset {
    const ROWS: usize = 3_000;
    let mut g = Gen::new(8);
    let districts = places_in(&[Punjab, Sindh, Kp, Balochistan, Islamabad]);
    let start = date!(2023 - 01 - 01);
    let cutoff = date!(2024 - 11 - 15);
    let mut rows: Vec<(Date, Vec<String>)> = Vec::with_capacity(ROWS);
    for _ in 0..ROWS {
        let d = *g.weighted(&districts, |d| (d.pop_k * (20 + d.dev)) as u64);
        let female = g.chance(210);
        let candidates: Vec<&(&str, &str, &str)> =
            NAMES.iter().filter(|n| (n.1 == "female") == female).collect();
        let (name, gender, stem) = **g.pick(&candidates);
        let email = if g.chance(550) {
            let n = g.range(1, 99);
            let domain = g.pick(&["example.com", "example.org", "example.net"]);
            format!("{stem}{n}@{domain}")
        } else {
            String::new()
        };
        let (category, department, typical, satisfied_pm, _) = *g.weighted(&COMPLAINT_KINDS, |k| k.4);
        let submitted = start.checked_add(Duration::days(g.range(0, 730))).unwrap_or(start);
        let channel = g.weighted(&[("mobile-app", 70), ("web", 20), ("helpline", 10)], |c| c.1).0;
        let status = if submitted >= cutoff && g.chance(600) {
            "in-progress"
        } else if g.chance(70) {
            "rejected"
        } else if g.chance(40) {
            "in-progress"
        } else {
            "resolved"
        };
        let province_factor = match d.province {
            Punjab => 1000,
            Sindh => 1300,
            Kp => 1100,
            Balochistan => 1600,
            _ => 800,
        };
        let (days_to_resolve, satisfied) = match status {
            "resolved" => {
                let days = g.vary(typical * province_factor / 1000, 60).max(1);
                let happy = satisfied_pm - (days - typical).max(0) * 8;
                (days.to_string(), g.chance(happy).to_string())
            }
            "rejected" => (String::new(), g.chance(80).to_string()),
            _ => (String::new(), String::new()),
        };
        rows.push((
            submitted,
            cells![
                "",
                iso(submitted),
                name,
                email,
                gender,
                d.province.en(),
                d.en,
                category,
                department,
                channel,
                status,
                days_to_resolve,
                satisfied,
            ],
        ));
    }
    rows.sort_by_key(|(d, _)| *d);
    let mut t = Table::new(&[
        "complaint_id",
        "submitted_on",
        "complainant_name",
        "email",
        "gender",
        "province",
        "district",
        "category",
        "department",
        "channel",
        "status",
        "days_to_resolve",
        "satisfied",
    ]);
    for (i, (_, mut row)) in rows.into_iter().enumerate() {
        row[0] = format!("PCP-{:06}", i + 1);
        t.push(row);
    }
    let categories: Vec<&str> = COMPLAINT_KINDS.iter().map(|k| k.0).collect();
    let departments: Vec<&str> = COMPLAINT_KINDS.iter().map(|k| k.1).collect();
    let dictionary = vec![
        col(
            "complaint_id",
            ColumnType::Text,
            "Complaint reference, in order of submission.",
            "شکایت کا حوالہ نمبر، جمع کرانے کی ترتیب سے۔",
        )
        .format("regex:PCP-[0-9]{6}"),
        date_col("submitted_on", "Date the complaint was submitted.", "شکایت جمع کرانے کی تاریخ۔"),
        col(
            "complainant_name",
            ColumnType::Text,
            "The complainant's name as typed, in English or Urdu script: synthetic, from a list of common names. A direct identifier.",
            "شکایت کنندہ کا نام، جیسا لکھا گیا، انگریزی یا اردو رسم الخط میں: فرضی، عام ناموں کی فہرست سے۔ براہِ راست شناخت کنندہ۔",
        ),
        col(
            "email",
            ColumnType::Text,
            "The complainant's e-mail address, if given: synthetic, on example domains. A direct identifier.",
            "شکایت کنندہ کا ای میل پتا، اگر دیا گیا: فرضی، مثالی ڈومینز پر۔ براہِ راست شناخت کنندہ۔",
        )
        .format("email"),
        gender_col(&["female", "male"]),
        province_col(&districts),
        district_col(&districts),
        col("category", ColumnType::Text, "What the complaint is about.", "شکایت کس بارے میں ہے۔")
            .values(&categories),
        col(
            "department",
            ColumnType::Text,
            "The department it was sent to.",
            "وہ محکمہ جسے شکایت بھیجی گئی۔",
        )
        .values(&departments),
        col("channel", ColumnType::Text, "How it was submitted.", "شکایت کیسے جمع کرائی گئی۔").values(&[
            "mobile-app",
            "web",
            "helpline",
        ]),
        col("status", ColumnType::Text, "Status at the end of 2024.", "2024 کے اختتام پر شکایت کی صورتِ حال۔")
            .values(&["resolved", "in-progress", "rejected"]),
        col(
            "days_to_resolve",
            ColumnType::Integer,
            "Days from submission to resolution; empty unless resolved.",
            "جمع کرانے سے حل ہونے تک کے دن؛ حل نہ ہونے کی صورت میں خالی۔",
        )
        .unit("days"),
        col(
            "satisfied",
            ColumnType::Boolean,
            "Whether the complainant marked the outcome satisfactory; empty while in progress.",
            "کیا شکایت کنندہ نے نتیجے کو تسلی بخش قرار دیا؛ زیرِ کارروائی شکایت کے لیے خالی۔",
        ),
    ];
    let meta = DatasetMeta {
        title: Text::new(
            "Citizen service complaints with complainant details, 2023–2024",
            "شہریوں کی سرکاری خدمات سے متعلق شکایات، شکایت کنندہ کی تفصیلات کے ساتھ، 2023–2024",
        ),
        description: Text::new(
            &format!(
                "{SYNTHETIC_EN} 3,000 complaints to a citizens' portal about water, electricity, sanitation, \
                 roads, schools, health, police, land records and gas, with the department, channel, status, \
                 days to resolve and whether the complainant was satisfied. Rows name the complainant and give \
                 an e-mail address (both made up), so the dataset is for government use only, on request."
            ),
            &format!(
                "{SYNTHETIC_UR} شہریوں کے پورٹل پر پانی، بجلی، صفائی، سڑکوں، اسکولوں، صحت، پولیس، زمین کے ریکارڈ اور گیس سے متعلق \
                 3,000 شکایات، محکمے، ذریعے، صورتِ حال، حل ہونے کے دنوں اور شکایت کنندہ کے اطمینان کے ساتھ۔ قطاروں میں شکایت کنندہ کا \
                 نام اور ای میل پتا (دونوں فرضی) درج ہے، اس لیے یہ ڈیٹاسیٹ صرف سرکاری استعمال کے لیے، درخواست پر دستیاب ہے۔"
            ),
        ),
        themes: vec!["GOVE".into()],
        keywords: keywords(&[
            "citizen complaints",
            "grievance redress",
            "public services",
            "citizen portal",
            "government performance",
            "شکایات",
            "شہری",
            "سرکاری خدمات",
            "شکایات کا ازالہ",
            "سٹیزن پورٹل",
        ]),
        licence: "government-internal".into(),
        temporal: temporal("2023-01-01", "2024-12-31"),
        spatial: spatial(&districts),
        contact: contact("Citizen Feedback Cell (demo)", "feedback-data@citizen-services.demo"),
        frequency: "MONTHLY".into(),
        access: AccessTier::Restricted,
        dictionary,
        pii_reasons: Vec::new(),
        rai: Rai {
            data_collection: Text::new(
                "Generated: complainants drawn by district population, favouring more developed districts; \
                 names from a short list of common Pakistani names in English and Urdu script; e-mail addresses \
                 on the reserved example.com, example.org and example.net domains.",
                "تیار کردہ ڈیٹا: شکایت کنندگان اضلاع کی آبادی کے مطابق، زیادہ ترقی یافتہ اضلاع کی طرف جھکاؤ کے ساتھ، چنے گئے؛ نام \
                 انگریزی اور اردو رسم الخط میں عام پاکستانی ناموں کی مختصر فہرست سے؛ ای میل پتے مخصوص مثالی ڈومینز example.com، \
                 example.org اور example.net پر۔",
            ),
            data_biases: Text::new(
                "Only one complainant in five is a woman, and cities with smartphones and literacy complain more: \
                 the complaints show who can complain, not where services fail most. Resolution is slowest in \
                 Balochistan and satisfaction lowest for police and land records, by construction.",
                "ہر پانچ میں سے صرف ایک شکایت کنندہ خاتون ہے، اور اسمارٹ فون اور خواندگی والے شہر زیادہ شکایت کرتے ہیں: یہ شکایات بتاتی \
                 ہیں کہ کون شکایت کر سکتا ہے، یہ نہیں کہ خدمات کہاں سب سے زیادہ ناکام ہیں۔ حل سب سے سست بلوچستان میں اور اطمینان پولیس \
                 اور زمین کے ریکارڈ کے لیے سب سے کم رکھا گیا ہے۔",
            ),
            data_limitations: Text::new(
                "Synthetic. No complaint text; the status is a snapshot at the end of 2024.",
                "مصنوعی ڈیٹا۔ شکایت کا متن شامل نہیں؛ صورتِ حال 2024 کے اختتام کی ہے۔",
            ),
            personal_sensitive_information: Text::new(
                "Two direct identifiers, which the PII scan flags: `complainant_name` and `email`. Both are \
                 made up, but the dataset is handled as if they were real: restricted, for government use \
                 only. Gender, province and district are sensitive attributes.",
                "دو براہِ راست شناخت کنندہ، جنہیں ذاتی معلومات کی جانچ نشان زد کرتی ہے: `complainant_name` اور `email`۔ دونوں فرضی \
                 ہیں، لیکن ڈیٹاسیٹ سے ایسا سلوک کیا جاتا ہے جیسے وہ اصلی ہوں: محدود، صرف سرکاری استعمال کے لیے۔ صنف، صوبہ اور ضلع حساس \
                 خصوصیات ہیں۔",
            ),
        },
    };
    DemoDataset {
        org: CITIZEN,
        slug: "citizen-service-complaints",
        meta,
        files: vec![t.file("citizen-service-complaints.csv")],
        versions: 1,
        earlier: Vec::new(),
    }
}

// ---------------------------------------------------------------------------------------------
// 9. Air quality
// ---------------------------------------------------------------------------------------------

/// Monthly mean PM2.5 (µg/m³), January first.
const SMOG_BELT: [i64; 12] = [200, 140, 90, 75, 80, 70, 45, 40, 55, 120, 260, 230];
const COASTAL: [i64; 12] = [95, 85, 60, 45, 40, 35, 30, 30, 35, 55, 80, 100];
const HIGHLAND: [i64; 12] = [80, 65, 45, 40, 45, 40, 35, 35, 35, 45, 70, 85];

/// District, monitor, seasonal profile, scale (per mille).
const MONITORS: [(&str, &str, &[i64; 12], i64); 8] = [
    ("lahore", "LHR-01", &SMOG_BELT, 1_000),
    ("faisalabad", "FSD-01", &SMOG_BELT, 900),
    ("multan", "MUX-01", &SMOG_BELT, 820),
    ("peshawar", "PEW-01", &SMOG_BELT, 760),
    ("islamabad-district", "ISB-01", &SMOG_BELT, 450),
    ("karachi-east", "KHI-01", &COASTAL, 1_000),
    ("hyderabad", "HYD-01", &COASTAL, 900),
    ("quetta", "UET-01", &HIGHLAND, 1_000),
];

/// The US EPA (2024) AQI category of a PM2.5 daily mean in tenths of µg/m³.
fn aqi_category(pm_tenths: i64) -> &'static str {
    match pm_tenths {
        ..=90 => "good",
        91..=354 => "moderate",
        355..=554 => "unhealthy-for-sensitive-groups",
        555..=1254 => "unhealthy",
        1255..=2254 => "very-unhealthy",
        _ => "hazardous",
    }
}

const AIR_NOTES: &str = "\
Daily PM2.5 in eight cities, 2023-2024 (synthetic demo data)
============================================================

What: one row per monitor and day. pm25_ugm3 is the mean of the valid hourly readings (µg/m³,
one decimal); a day with fewer than 18 valid hours has no mean and no category.
Categories: US EPA AQI breakpoints as revised in 2024 (good up to 9.0, moderate up to 35.4,
unhealthy for sensitive groups up to 55.4, unhealthy up to 125.4, very unhealthy up to 225.4,
hazardous above).
Known gaps: the Quetta monitor was offline from 10 June to 5 July 2023.
How made: monthly means typical of each city's climate (the Punjab smog belt, the coast, the
Balochistan highlands) with day-to-day persistence and noise, from a fixed seed. Do not use it
for health advice or research.

آٹھ شہروں میں روزانہ PM2.5، 2023-2024 (مصنوعی ڈیمو ڈیٹا)

ہر مانیٹر اور دن کی ایک قطار۔ pm25_ugm3 درست گھنٹہ وار ریڈنگز کا اوسط ہے (مائیکروگرام فی مکعب میٹر، ایک اعشاریہ)؛
جس دن 18 سے کم درست گھنٹے ہوں اس کا اوسط اور زمرہ خالی ہے۔ زمرے امریکی ای پی اے کے 2024 کے معیار کے مطابق ہیں۔
کوئٹہ کا مانیٹر 10 جون سے 5 جولائی 2023 تک بند رہا۔ یہ ڈیٹا ایک مقررہ بیج سے تیار کیا گیا ہے؛ اسے صحت سے متعلق مشورے
یا تحقیق کے لیے استعمال نہ کریں۔
";

fn air_quality() -> DemoDataset {
    let mut g = Gen::new(9);
    let ids: Vec<&str> = MONITORS.iter().map(|m| m.0).collect();
    let districts = places(&ids);
    let outage = date!(2023 - 06 - 10)..=date!(2023 - 07 - 05);
    let mut t =
        Table::new(&["date", "province", "district", "monitor", "pm25_ugm3", "aqi_category", "valid_hours"]);
    let all_days = days(date!(2023 - 01 - 01), date!(2024 - 12 - 31));
    for (&(district_id, monitor, profile, scale), &d) in MONITORS.iter().zip(&districts) {
        // Day-to-day persistence: today's deviation keeps 70% of yesterday's (per mille).
        let mut deviation = 0_i64;
        for &day in &all_days {
            let month = usize::from(u8::from(day.month())) - 1;
            let base = profile.get(month).copied().unwrap_or(50) * scale / 100;
            deviation = deviation * 7 / 10 + g.range(-260, 260);
            let pm_tenths = (base * (1000 + deviation) / 1000).max(40);
            let valid = if district_id == "quetta" && outage.contains(&day) {
                0
            } else if g.chance(40) {
                g.range(0, 17)
            } else {
                g.range(20, 24)
            };
            let (pm, category) =
                if valid >= 18 { (dec(pm_tenths, 1), aqi_category(pm_tenths)) } else { (String::new(), "") };
            t.push(cells![iso(day), d.province.en(), d.en, monitor, pm, category, valid]);
        }
    }
    let monitors: Vec<&str> = MONITORS.iter().map(|m| m.1).collect();
    let dictionary = vec![
        date_col("date", "Day (Pakistan Standard Time).", "دن (پاکستان کا معیاری وقت)۔"),
        province_col(&districts),
        district_col(&districts),
        col(
            "monitor",
            ColumnType::Text,
            "Monitoring station (fictional code).",
            "نگرانی کا اسٹیشن (فرضی کوڈ)۔",
        )
        .values(&monitors),
        col(
            "pm25_ugm3",
            ColumnType::Number,
            "Daily mean of fine particulate matter (PM2.5); empty when under 18 valid hours.",
            "باریک ذرات (PM2.5) کا روزانہ اوسط؛ 18 سے کم درست گھنٹے ہوں تو خالی۔",
        )
        .unit("µg/m³"),
        col(
            "aqi_category",
            ColumnType::Text,
            "US EPA (2024) air quality category of the daily mean; empty when there is none.",
            "روزانہ اوسط کا امریکی ای پی اے (2024) کے مطابق ہوا کے معیار کا زمرہ؛ اوسط نہ ہو تو خالی۔",
        )
        .values(&[
            "good",
            "moderate",
            "unhealthy-for-sensitive-groups",
            "unhealthy",
            "very-unhealthy",
            "hazardous",
        ]),
        col(
            "valid_hours",
            ColumnType::Integer,
            "Hours with a valid reading (0–24).",
            "درست ریڈنگ والے گھنٹے (0–24)۔",
        )
        .unit("h"),
    ];
    let meta = DatasetMeta {
        title: Text::new(
            "Daily PM2.5 air quality in eight cities, 2023–2024",
            "آٹھ شہروں میں فضائی معیار: روزانہ PM2.5، 2023–2024",
        ),
        description: Text::new(
            &format!(
                "{SYNTHETIC_EN} Daily mean fine particulate matter (PM2.5) at one monitor in each of Lahore, \
                 Faisalabad, Multan, Peshawar, Islamabad, Karachi, Hyderabad and Quetta, with the air quality \
                 category and the hours of valid readings. Lahore's winter smog reaches hazardous levels. \
                 `data-notes.txt` explains the columns and the gaps, in English and Urdu."
            ),
            &format!(
                "{SYNTHETIC_UR} لاہور، فیصل آباد، ملتان، پشاور، اسلام آباد، کراچی، حیدرآباد اور کوئٹہ میں ایک ایک مانیٹر پر باریک ذرات \
                 (PM2.5) کا روزانہ اوسط، ہوا کے معیار کے زمرے اور درست ریڈنگ کے گھنٹوں کے ساتھ۔ لاہور کی سردیوں کی اسموگ خطرناک سطح تک \
                 پہنچتی ہے۔ `data-notes.txt` میں کالموں اور خلا کی وضاحت انگریزی اور اردو میں ہے۔"
            ),
        ),
        themes: vec!["ENVI".into(), "HEAL".into()],
        keywords: keywords(&[
            "air quality",
            "PM2.5",
            "smog",
            "air pollution",
            "AQI",
            "environment",
            "فضائی آلودگی",
            "اسموگ",
            "ہوا کا معیار",
            "ماحولیات",
            "باریک ذرات",
        ]),
        licence: "cc-by-4.0".into(),
        temporal: temporal("2023-01-01", "2024-12-31"),
        spatial: spatial(&districts),
        contact: contact("Environmental Monitoring Cell (demo)", "air-quality@citizen-services.demo"),
        frequency: "DAILY".into(),
        access: AccessTier::Open,
        dictionary,
        pii_reasons: Vec::new(),
        rai: Rai {
            data_collection: Text::new(
                "Generated: monthly means typical of each city's climate, day-to-day persistence and noise, \
                 random short days and one monitor outage.",
                "تیار کردہ ڈیٹا: ہر شہر کی آب و ہوا کے مطابق ماہانہ اوسط، دن بہ دن تسلسل اور اتار چڑھاؤ، چند نامکمل دن اور ایک مانیٹر \
                 کی بندش۔",
            ),
            data_biases: Text::new(
                "One monitor per city stands for the whole city; smaller towns and the countryside, where \
                 crop burning starts, have none.",
                "ہر شہر کا ایک مانیٹر پورے شہر کی نمائندگی کرتا ہے؛ چھوٹے قصبوں اور دیہات میں، جہاں فصلوں کی باقیات جلائی جاتی ہیں، کوئی \
                 مانیٹر نہیں۔",
            ),
            data_limitations: Text::new(
                "Synthetic. Days with under 18 valid hours have no value; the Quetta monitor is missing from \
                 10 June to 5 July 2023.",
                "مصنوعی ڈیٹا۔ 18 سے کم درست گھنٹوں والے دنوں کی قدر خالی ہے؛ کوئٹہ کا مانیٹر 10 جون سے 5 جولائی 2023 تک غائب ہے۔",
            ),
            personal_sensitive_information: Text::new("None.", "کوئی نہیں۔"),
        },
    };
    DemoDataset {
        org: CITIZEN,
        slug: "air-quality-pm25-daily",
        meta,
        files: vec![
            t.file("air-quality-pm25-daily.csv"),
            DemoFile { name: "data-notes.txt".into(), bytes: AIR_NOTES.as_bytes().to_vec() },
        ],
        versions: 1,
        earlier: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A CSV file's records (RFC 4180: quoted fields may hold commas, quotes and newlines).
    fn parse_csv(bytes: &[u8]) -> Vec<Vec<String>> {
        let text = std::str::from_utf8(bytes).expect("CSV is UTF-8");
        let mut records = Vec::new();
        let mut record = Vec::new();
        let mut field = String::new();
        let mut quoted = false;
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            match (quoted, c) {
                (true, '"') if chars.peek() == Some(&'"') => {
                    field.push('"');
                    chars.next();
                }
                (true, '"') => quoted = false,
                (true, c) => field.push(c),
                (false, '"') if field.is_empty() => quoted = true,
                (false, ',') => record.push(std::mem::take(&mut field)),
                (false, '\n') => {
                    record.push(std::mem::take(&mut field));
                    records.push(std::mem::take(&mut record));
                }
                (false, c) => field.push(c),
            }
        }
        assert!(field.is_empty() && record.is_empty(), "the file ends with a newline");
        records
    }

    /// A tabular file: its name, header, and rows of cells (`None` for an empty or null value).
    type Parsed = (String, Vec<String>, Vec<Vec<Option<String>>>);

    /// Every tabular file of every version. A JSON Lines file's header is the dictionary's
    /// names, once every line is checked to hold exactly those keys.
    fn tables(ds: &DemoDataset) -> Vec<Parsed> {
        let mut out = Vec::new();
        for (_, files) in ds.all_versions() {
            for f in files {
                if f.name.ends_with(".csv") {
                    let mut records = parse_csv(&f.bytes);
                    let header = records.remove(0);
                    let rows = records
                        .into_iter()
                        .map(|r| r.into_iter().map(|c| if c.is_empty() { None } else { Some(c) }).collect())
                        .collect();
                    out.push((f.name.clone(), header, rows));
                } else if f.name.ends_with(".jsonl") {
                    let text = std::str::from_utf8(&f.bytes).expect("JSON Lines is UTF-8");
                    let header: Vec<String> = ds.meta.dictionary.iter().map(|c| c.name.clone()).collect();
                    let mut names: Vec<&String> = header.iter().collect();
                    names.sort();
                    let mut rows = Vec::new();
                    for line in text.lines() {
                        let v: serde_json::Value = serde_json::from_str(line).expect("each line is JSON");
                        let obj = v.as_object().expect("each line is an object");
                        let mut keys: Vec<&String> = obj.keys().collect();
                        keys.sort();
                        assert_eq!(keys, names, "{}: keys and dictionary in {line}", ds.slug);
                        rows.push(
                            header
                                .iter()
                                .map(|k| match obj.get(k) {
                                    Some(serde_json::Value::String(s)) => Some(s.clone()),
                                    Some(serde_json::Value::Null) | None => None,
                                    Some(other) => Some(other.to_string()),
                                })
                                .collect(),
                        );
                    }
                    out.push((f.name.clone(), header, rows));
                }
            }
        }
        out
    }

    #[test]
    fn every_dataset_has_valid_bilingual_metadata() {
        let all = demo_datasets();
        assert!(all.len() >= 8);
        let mut slugs = std::collections::BTreeSet::new();
        for ds in &all {
            assert!(slugs.insert(ds.slug), "slug `{}` twice", ds.slug);
            assert!(mizan_catalog::check_slug(ds.slug).is_ok(), "{}", ds.slug);
            assert!(["demo-citizen-services", "demo-indus-bank", "demo-rahbar-health"].contains(&ds.org));
            let domain = ds.org.trim_start_matches("demo-");
            assert_eq!(ds.versions as usize, ds.earlier.len() + 1, "{}", ds.slug);
            for (meta, files) in ds.all_versions() {
                assert_eq!(meta.problems(), vec![], "{}", ds.slug);
                assert!(meta.contact.email.ends_with(&format!("@{domain}.demo")), "{}", ds.slug);
                for t in [&meta.title, &meta.description] {
                    assert!(!t.en.is_empty() && !t.ur.is_empty(), "{}", ds.slug);
                    assert!(
                        t.ur.chars().any(|c| ('\u{0600}'..='\u{06FF}').contains(&c)),
                        "{}: Urdu",
                        ds.slug
                    );
                }
                let rai = &meta.rai;
                for t in [
                    &rai.data_collection,
                    &rai.data_biases,
                    &rai.data_limitations,
                    &rai.personal_sensitive_information,
                ] {
                    assert!(!t.en.is_empty() && !t.ur.is_empty(), "{}: RAI", ds.slug);
                }
                assert!(
                    meta.keywords.iter().any(|k| k.chars().any(|c| ('\u{0600}'..='\u{06FF}').contains(&c)))
                );
                assert!(meta.keywords.iter().any(|k| k.is_ascii()));
                for c in &meta.dictionary {
                    assert!(
                        !c.description.en.is_empty() && !c.description.ur.is_empty(),
                        "{}.{}",
                        ds.slug,
                        c.name
                    );
                }
                assert!(
                    !meta.spatial.is_empty() && meta.temporal.start.is_some() && meta.temporal.end.is_some()
                );
                for f in files {
                    assert!(mizan_catalog::check_file_name(&f.name).is_ok(), "{}", f.name);
                }
            }
        }
        assert!(all.iter().any(|d| d.versions >= 2), "one dataset shows an old version");
        for tier in AccessTier::ALL {
            assert!(all.iter().any(|d| d.meta.access == tier), "a dataset at tier `{}`", tier.id());
        }
        let citizen = all.iter().filter(|d| d.org == CITIZEN).count();
        assert!(citizen * 2 > all.len(), "the org with the steward publishes most");
    }

    #[test]
    fn generation_is_deterministic() {
        let (a, b) = (demo_datasets(), demo_datasets());
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(x.meta, y.meta);
            let bytes = |d: &DemoDataset| -> Vec<(String, Vec<u8>)> {
                d.all_versions()
                    .flat_map(|(_, fs)| fs.iter().map(|f| (f.name.clone(), f.bytes.clone())))
                    .collect()
            };
            assert!(bytes(x) == bytes(y), "{} differs between two calls", x.slug);
        }
    }

    /// A digest of every byte, so that a change to a generator (or to a dependency's stream) is
    /// seen in review rather than discovered in a demo.
    #[test]
    fn the_bytes_are_pinned() {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        let mut total = 0;
        for d in demo_datasets() {
            for (_, files) in d.all_versions() {
                for f in files {
                    total += f.bytes.len();
                    for &b in f.name.as_bytes().iter().chain(&f.bytes) {
                        h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
                    }
                }
            }
        }
        assert!(total < 3_000_000, "{total} bytes: keep the demo under 3 MB");
        assert_eq!(
            format!("{h:016x}"),
            PINNED_DIGEST,
            "the demo data changed: update PINNED_DIGEST if intended"
        );
    }

    const PINNED_DIGEST: &str = "c668ac61191b8c02";

    #[test]
    fn files_match_their_dictionaries() {
        for ds in demo_datasets() {
            let tabs = tables(&ds);
            assert!(!tabs.is_empty(), "{}", ds.slug);
            for (name, header, rows) in tabs {
                let names: Vec<&str> = ds.meta.dictionary.iter().map(|c| c.name.as_str()).collect();
                assert_eq!(header, names, "{name}: header and dictionary");
                assert!((500..=20_000).contains(&rows.len()), "{name}: {} rows", rows.len());
                for (i, row) in rows.iter().enumerate() {
                    assert_eq!(row.len(), header.len(), "{name} row {i}");
                    for (c, v) in ds.meta.dictionary.iter().zip(row) {
                        let Some(v) = v else { continue };
                        let ok = match c.kind {
                            ColumnType::Integer => v.parse::<i64>().is_ok(),
                            ColumnType::Number => v.parse::<f64>().is_ok(),
                            ColumnType::Boolean => v == "true" || v == "false",
                            ColumnType::Date => {
                                Date::parse(v, time::macros::format_description!("[year]-[month]-[day]"))
                                    .is_ok()
                            }
                            ColumnType::Text | ColumnType::Datetime => !v.is_empty(),
                        };
                        assert!(ok, "{name} row {i}: `{v}` is not {} in `{}`", c.kind.id(), c.name);
                        if !c.allowed_values.is_empty() {
                            assert!(
                                c.allowed_values.contains(v),
                                "{name} row {i}: `{v}` not allowed in `{}`",
                                c.name
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn every_place_list_resolves_in_the_vocabulary() {
        for p in &PLACES {
            let v =
                mizan_catalog::vocab::place(p.id).unwrap_or_else(|| panic!("`{}` not in places.yaml", p.id));
            assert_eq!(v.en, p.en, "{}", p.id);
            assert_eq!(v.province.as_deref(), Some(p.province.id()), "{}", p.id);
        }
        let lists: [Vec<&str>; 5] = [
            CROP_DISTRICTS.iter().map(|c| c.district).collect(),
            OPD_DISTRICTS.to_vec(),
            GRID.iter().map(|g| g.0).collect(),
            LINES.iter().flat_map(|l| l.districts.iter().map(|d| d.0)).collect(),
            MONITORS.iter().map(|m| m.0).collect(),
        ];
        for ids in lists {
            assert_eq!(places(&ids).len(), ids.len(), "{ids:?}");
        }
    }

    #[test]
    fn older_versions_are_earlier_subsets() {
        for ds in demo_datasets().iter().filter(|d| d.versions > 1) {
            let new = std::str::from_utf8(&ds.files[0].bytes).expect("UTF-8");
            for old in &ds.earlier {
                let old_text = std::str::from_utf8(&old.files[0].bytes).expect("UTF-8");
                assert!(old_text.len() < new.len());
                assert!(old_text.lines().all(|l| new.lines().any(|n| n == l)), "{}", ds.slug);
                assert!(old.meta.temporal.end < ds.meta.temporal.end);
            }
        }
    }

    #[test]
    fn cnics_and_mobiles_are_well_formed_and_match_province_and_gender() {
        let all = demo_datasets();
        let mf = all.iter().find(|d| d.slug == "microfinance-repayments").expect("the microfinance dataset");
        assert_eq!(mf.meta.access, AccessTier::Restricted);
        let (_, header, rows) = tables(mf).remove(0);
        let at = |name: &str| header.iter().position(|h| h == name).expect("column");
        let (cnic, mobile, gender, province) =
            (at("borrower_cnic"), at("mobile"), at("gender"), at("province"));
        let mut seen = std::collections::BTreeSet::new();
        for row in &rows {
            let get = |i: usize| row[i].as_deref().expect("no empty cells");
            let c = get(cnic);
            let parts: Vec<&str> = c.split('-').collect();
            assert_eq!(parts.iter().map(|p| p.len()).collect::<Vec<_>>(), [5, 7, 1], "{c}");
            assert!(parts.iter().all(|p| p.bytes().all(|b| b.is_ascii_digit())), "{c}");
            let first = c.as_bytes()[0] - b'0';
            assert!((1..=7).contains(&first), "{c}");
            let expected = PLACES
                .iter()
                .find(|p| p.province.en() == get(province))
                .and_then(|p| p.province.cnic_digit());
            assert_eq!(Some(u64::from(first)), expected, "{c} in {}", get(province));
            let last = c.as_bytes()[c.len() - 1] - b'0';
            assert_eq!(last.is_multiple_of(2), get(gender) == "female", "{c}");
            assert!(seen.insert(c.to_owned()), "{c} twice");
            let m = get(mobile);
            assert!(m.len() == 12 && m.starts_with("03") && m.as_bytes()[4] == b'-', "{m}");
        }
        // Generated from the seed: a different seed gives different numbers.
        let mut other = Gen(ChaCha20Rng::seed_from_u64(SEED ^ 1));
        assert!(!seen.contains(&synthetic_cnic(&mut other, 3, true)));
    }

    #[test]
    fn decimals_and_csv_quoting() {
        assert_eq!(dec(2875, 2), "28.75");
        assert_eq!(dec(5, 1), "0.5");
        assert_eq!(dec(-105, 1), "-10.5");
        let mut s = String::new();
        csv_line(&mut s, ["a,b", "say \"hi\"", "x\ny", "plain"].into_iter());
        assert_eq!(s, "\"a,b\",\"say \"\"hi\"\"\",\"x\ny\",plain\n");
        assert_eq!(parse_csv(s.as_bytes()), vec![vec!["a,b", "say \"hi\"", "x\ny", "plain"]]);
        let mut j = String::new();
        json_str(&mut j, "لاہور \"x\"\n");
        assert_eq!(serde_json::from_str::<String>(&j).expect("valid JSON"), "لاہور \"x\"\n");
    }
}
