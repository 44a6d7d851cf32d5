//! Writes every export of three sample dataset versions to a directory, for the validators in
//! `oracles/validate-catalog` (pySHACL against DCAT-AP 3, `mlcroissant`) and for reading:
//! an open CSV with a data dictionary, a restricted Parquet file with a CNIC column and RAI
//! text, and a registered dataset whose file another site serves; Urdu titles throughout.
//!
//! Usage: `cargo run -p mizan-catalog --example write_samples -- OUTDIR`

use std::path::Path;

use mizan_catalog::export::dcat::CatalogPage;
use mizan_catalog::export::{
    ColumnView, FileView, Publisher, RaiExtra, VersionView, ckan, croissant, dcat, schema_org,
};
use mizan_catalog::{AccessTier, Column, ColumnType, Contact, DatasetMeta, FileFormat, Rai, Temporal, Text};
use time::macros::datetime;

const BASE: &str = "https://mizan.example";

fn column(name: &str, kind: ColumnType, en: &str) -> Column {
    Column {
        name: name.into(),
        kind,
        description: Text::new(en, ""),
        unit: None,
        allowed_values: vec![],
        format: None,
        sensitive: false,
    }
}

fn views(dictionary: &[Column]) -> Vec<ColumnView> {
    dictionary
        .iter()
        .map(|c| ColumnView { name: c.name.clone(), kind: c.kind, description: c.description.en.clone() })
        .collect()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::env::args().nth(1).ok_or("usage: write_samples OUTDIR")?;
    let out = Path::new(&out);
    std::fs::create_dir_all(out)?;

    let education = Publisher {
        slug: "punjab-school-education".into(),
        name: Text::new("School Education Department, Punjab", "محکمہ سکول ایجوکیشن، پنجاب"),
        homepage: format!("{BASE}/publishers/punjab-school-education"),
    };
    let health = Publisher {
        slug: "health-ministry".into(),
        name: Text::new("Ministry of National Health Services", "وزارت قومی صحت"),
        homepage: format!("{BASE}/publishers/health-ministry"),
    };

    let enrolment_dict = vec![
        column("district", ColumnType::Text, "District name, as in the 2023 census."),
        column("year", ColumnType::Integer, "School year (starting year)."),
        column("girls", ColumnType::Integer, "Girls enrolled."),
        column("boys", ColumnType::Integer, "Boys enrolled."),
        column("ratio", ColumnType::Number, "Girls per 100 boys."),
    ];
    let enrolment = DatasetMeta {
        title: Text::new("District school enrolment, Punjab", "ضلعی اسکول داخلے، پنجاب"),
        description: Text::new(
            "Enrolment in government schools by district, year and sex, from the annual school census.",
            "سالانہ اسکول مردم شماری سے سرکاری اسکولوں میں ضلع، سال اور جنس کے لحاظ سے داخلے۔",
        ),
        themes: vec!["EDUC".into(), "SOCI".into()],
        keywords: vec!["schools".into(), "enrolment".into(), "تعلیم".into()],
        licence: "cc-by-4.0".into(),
        temporal: Temporal { start: Some("2019-09-01".into()), end: Some("2024-08-31".into()) },
        spatial: vec!["punjab".into(), "lahore".into(), "multan".into()],
        contact: Contact { name: "Data office".into(), email: "data@schools.punjab.example".into() },
        frequency: "ANNUAL".into(),
        access: AccessTier::Open,
        dictionary: enrolment_dict.clone(),
        pii_reasons: vec![],
        rai: Rai {
            data_biases: Text::new("Private schools are not covered.", ""),
            data_limitations: Text::new("Counts are as reported by schools and not audited.", ""),
            personal_sensitive_information: Text::default(),
            data_collection: Text::new("Annual school census returns, aggregated by district.", ""),
        },
    };
    let enrolment_files = vec![FileView {
        name: "enrolment 2019-2024.csv".into(),
        format: FileFormat::Csv,
        bytes: 48_213,
        sha256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08".into(),
        download_url: format!("{BASE}/datasets/district-enrolment/v/3/files/enrolment%202019-2024.csv"),
        columns: views(&enrolment_dict),
    }];

    let patients_dict = vec![
        column("cnic", ColumnType::Text, "Patient's CNIC (13 digits)."),
        column("age", ColumnType::Integer, "Age in years at admission."),
        column("sex", ColumnType::Text, "Recorded sex."),
        column("admitted", ColumnType::Datetime, "Admission time."),
        column("diagnosis", ColumnType::Text, "ICD-10 code."),
        column("discharged_alive", ColumnType::Boolean, "Discharged alive."),
    ];
    let patients = DatasetMeta {
        title: Text::new("Hospital admissions \"Sindh\" pilot", "ہسپتال داخلے، سندھ تجرباتی منصوبہ"),
        description: Text::new(
            "Admissions to four public hospitals in Sindh, one row per admission. Restricted: it holds CNIC numbers.",
            "سندھ کے چار سرکاری ہسپتالوں میں داخلے۔",
        ),
        themes: vec!["HEAL".into()],
        keywords: vec!["hospitals".into(), "admissions".into()],
        licence: "research-only".into(),
        temporal: Temporal { start: Some("2022-01-01".into()), end: None },
        spatial: vec!["sindh".into(), "karachi-south".into(), "hyderabad".into()],
        contact: Contact { name: "Health data desk".into(), email: "data@health.example".into() },
        frequency: "MONTHLY".into(),
        access: AccessTier::Restricted,
        dictionary: patients_dict.clone(),
        pii_reasons: vec![],
        rai: Rai {
            data_biases: Text::new("Urban hospitals only; rural admissions are missing.", ""),
            data_limitations: Text::new("Diagnoses are coded at discharge and may be revised.", ""),
            personal_sensitive_information: Text::new("Holds CNIC numbers, age, sex and diagnoses.", ""),
            data_collection: Text::new("Extracted monthly from the hospitals' admission systems.", ""),
        },
    };
    let patients_files = vec![
        FileView {
            name: "admissions.parquet".into(),
            format: FileFormat::Parquet,
            bytes: 1_204_551,
            sha256: "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae".into(),
            download_url: format!("{BASE}/datasets/sindh-admissions/v/2/files/admissions.parquet"),
            columns: views(&patients_dict),
        },
        FileView {
            name: "codebook.pdf".into(),
            format: FileFormat::Other,
            bytes: 88_000,
            sha256: "fcde2b2edba56bf408601fb721fe9b5c338d10ee429ea04fae5511b68fbf8fb9".into(),
            download_url: format!("{BASE}/datasets/sindh-admissions/v/2/files/codebook.pdf"),
            columns: vec![],
        },
    ];
    let patients_extra = RaiExtra {
        biases: "Bias profile: women are 31% of rows; Hyderabad is 9% of rows.".into(),
        personal_info: "PII scan: column `cnic` holds CNIC numbers in 100% of sampled rows.".into(),
    };

    let rainfall = DatasetMeta {
        title: Text::new("Daily rainfall at PMD stations", "محکمہ موسمیات کے اسٹیشنوں پر روزانہ بارش"),
        description: Text::new("Rain.", ""),
        themes: vec!["ENVI".into(), "AGRI".into()],
        keywords: vec!["rain".into(), "weather".into()],
        licence: "odbl-1.0".into(),
        temporal: Temporal { start: None, end: Some("2024-12-31".into()) },
        spatial: vec!["balochistan".into(), "quetta".into()],
        contact: Contact { name: "Climate data centre".into(), email: "climate@pmd.example".into() },
        frequency: "DAILY".into(),
        access: AccessTier::Registered,
        dictionary: vec![],
        pii_reasons: vec![],
        rai: Rai::default(),
    };
    let rainfall_files = vec![FileView {
        name: "rain.jsonl".into(),
        format: FileFormat::Jsonl,
        bytes: 5_000_123,
        sha256: "b5bb9d8014a0f9b1d61e21e796d78dccdf1352f23cd32812f4850b878ae4944c".into(),
        download_url: "https://data.pmd.example/exports/rain.jsonl?year=2024&fmt=jsonl".into(),
        columns: vec![
            ColumnView { name: "station id".into(), kind: ColumnType::Text, description: String::new() },
            ColumnView { name: "date".into(), kind: ColumnType::Date, description: String::new() },
            ColumnView { name: "mm".into(), kind: ColumnType::Number, description: "Rain in mm.".into() },
        ],
    }];

    let no_extra = RaiExtra::default();
    let samples = [
        VersionView {
            base_url: BASE,
            publisher: &education,
            slug: "district-enrolment",
            version: 3,
            issued: datetime!(2024-01-15 09:00 UTC),
            modified: datetime!(2025-02-01 10:30:15.123456 UTC),
            meta: &enrolment,
            files: &enrolment_files,
            rai_extra: &no_extra,
        },
        VersionView {
            base_url: BASE,
            publisher: &health,
            slug: "sindh-admissions",
            version: 2,
            issued: datetime!(2024-06-01 00:00 +05:00),
            modified: datetime!(2025-03-10 12:00 +05:00),
            meta: &patients,
            files: &patients_files,
            rai_extra: &patients_extra,
        },
        VersionView {
            base_url: BASE,
            publisher: &education,
            slug: "pmd-daily-rainfall",
            version: 1,
            issued: datetime!(2025-01-05 08:00 UTC),
            modified: datetime!(2025-01-05 08:00 UTC),
            meta: &rainfall,
            files: &rainfall_files,
            rai_extra: &no_extra,
        },
    ];

    for v in &samples {
        let write_json = |ext: &str, value: &serde_json::Value| -> std::io::Result<()> {
            let text = serde_json::to_string_pretty(value).map_err(std::io::Error::other)?;
            std::fs::write(out.join(format!("{}.{ext}", v.slug)), text + "\n")
        };
        write_json("dcat.jsonld", &dcat::dataset_jsonld(v))?;
        std::fs::write(out.join(format!("{}.dcat.ttl", v.slug)), dcat::dataset_turtle(v))?;
        write_json("croissant.json", &croissant::metadata(v))?;
        write_json("schema.json", &schema_org::dataset(v))?;
        write_json(
            "ckan.json",
            &ckan::success(&format!("{BASE}/api/3/action/help_show?name=package_show"), ckan::package(v)),
        )?;
    }

    let title = Text::new(
        "Mizan: Pakistan's national AI data repository",
        "میزان: پاکستان کا قومی اے آئی ڈیٹا ذخیرہ",
    );
    let description = Text::new(
        "Datasets published by Pakistan's public bodies for AI research and services.",
        "اے آئی تحقیق اور خدمات کے لیے پاکستان کے سرکاری اداروں کے شائع کردہ ڈیٹاسیٹس۔",
    );
    let operator = Publisher {
        slug: "mizan".into(),
        name: Text::new("Mizan national AI data repository", "میزان قومی اے آئی ڈیٹا ذخیرہ"),
        homepage: format!("{BASE}/about"),
    };
    for (n, (ext, chunk)) in [("jsonld", &samples[..2]), ("jsonld", &samples[2..])].into_iter().enumerate() {
        let page = CatalogPage {
            base_url: BASE,
            endpoint: "/catalog.jsonld",
            title: &title,
            description: &description,
            publisher: &operator,
            page: n as u64 + 1,
            page_size: 2,
            total: samples.len() as u64,
            datasets: chunk,
        };
        let text = serde_json::to_string_pretty(&dcat::catalog_jsonld(&page))?;
        std::fs::write(out.join(format!("catalog-page-{}.{ext}", n + 1)), text + "\n")?;
        let ttl = CatalogPage { endpoint: "/catalog.ttl", ..page };
        std::fs::write(out.join(format!("catalog-page-{}.ttl", n + 1)), dcat::catalog_turtle(&ttl))?;
    }
    println!("{}", out.display());
    Ok(())
}
