//! A dataset version's metadata (`mizan.dataset/1`) and its validation.
//!
//! Organisation → dataset → immutable versions → distributions. What a version says about
//! itself is one [`DatasetMeta`] value, stored as JSON and validated here before anything is
//! written; a new file or any metadata change makes a new version, so an old version keeps the
//! words and files it was published with. Errors name the field (`dictionary[2].name`), so a
//! form or an API client can point at it.

use serde::{Deserialize, Serialize};

use crate::vocab;

/// The format name of [`DatasetMeta`] as stored and served.
pub const FORMAT: &str = "mizan.dataset/1";

/// Longest title, in characters.
pub const MAX_TITLE: usize = 200;
/// Longest description, in characters.
pub const MAX_DESCRIPTION: usize = 8_000;
/// Most keywords.
pub const MAX_KEYWORDS: usize = 30;
/// Most columns in a data dictionary.
pub const MAX_COLUMNS: usize = 1_000;

/// A text in English and (optionally) Urdu.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Text {
    /// English.
    #[serde(default)]
    pub en: String,
    /// Urdu; empty when not given.
    #[serde(default)]
    pub ur: String,
}

impl Text {
    /// A text in both languages.
    #[must_use]
    pub fn new(en: &str, ur: &str) -> Self {
        Self { en: en.to_owned(), ur: ur.to_owned() }
    }

    /// The text in `lang` (`ur` or anything else for English), falling back to English.
    #[must_use]
    pub fn get(&self, lang: &str) -> &str {
        if lang == "ur" && !self.ur.is_empty() { &self.ur } else { &self.en }
    }
}

/// Who may download a version's files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AccessTier {
    /// Anyone, without signing in.
    Open,
    /// Any signed-in person who accepts the registered-use terms.
    Registered,
    /// By an approved access request, with a token scoped to the version.
    Restricted,
}

impl AccessTier {
    /// Every tier, most open first.
    pub const ALL: [AccessTier; 3] = [AccessTier::Open, AccessTier::Registered, AccessTier::Restricted];

    /// Stable id (`open`, `registered`, `restricted`).
    #[must_use]
    pub fn id(self) -> &'static str {
        match self {
            AccessTier::Open => "open",
            AccessTier::Registered => "registered",
            AccessTier::Restricted => "restricted",
        }
    }

    /// The tier with this id.
    #[must_use]
    pub fn parse(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.id() == id)
    }
}

/// A column's type in the data dictionary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ColumnType {
    /// Text.
    Text,
    /// Whole numbers.
    Integer,
    /// Numbers with a fraction.
    Number,
    /// True or false.
    Boolean,
    /// A calendar date (ISO 8601).
    Date,
    /// A date and time (ISO 8601).
    Datetime,
}

impl ColumnType {
    /// Every type.
    pub const ALL: [ColumnType; 6] = [
        ColumnType::Text,
        ColumnType::Integer,
        ColumnType::Number,
        ColumnType::Boolean,
        ColumnType::Date,
        ColumnType::Datetime,
    ];

    /// Stable id.
    #[must_use]
    pub fn id(self) -> &'static str {
        match self {
            ColumnType::Text => "text",
            ColumnType::Integer => "integer",
            ColumnType::Number => "number",
            ColumnType::Boolean => "boolean",
            ColumnType::Date => "date",
            ColumnType::Datetime => "datetime",
        }
    }

    /// The type with this id.
    #[must_use]
    pub fn parse(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.id() == id)
    }
}

/// One column of the data dictionary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Column {
    /// The column's name in the file.
    pub name: String,
    /// Its type.
    #[serde(rename = "type")]
    pub kind: ColumnType,
    /// What it holds.
    #[serde(default)]
    pub description: Text,
    /// Unit of measure (`PKR`, `kg/ha`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// The values it may take, if it is coded.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_values: Vec<String>,
    /// A declared format the profile checks values against (`YYYY-MM-DD`, `email`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    /// A sensitive attribute (gender, province, age band, ...): the bias profile groups by it.
    #[serde(default)]
    pub sensitive: bool,
}

/// How to reach the publisher about the dataset.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    /// A team or office, not a person's private name.
    pub name: String,
    /// An office address.
    pub email: String,
}

/// The period the data covers (ISO 8601 dates, either end open).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Temporal {
    /// First day covered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    /// Last day covered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<String>,
}

/// A steward's reason to publish a column the scan flagged as a direct identifier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PiiReason {
    /// The flagged column.
    pub column: String,
    /// Why it may be published (for example: the numbers are synthetic, or the column is a
    /// salted hash).
    pub reason: String,
}

/// What the steward writes for Croissant's responsible-AI fields; the bias profile adds to it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rai {
    /// Known biases (`rai:dataBiases`).
    #[serde(default)]
    pub data_biases: Text,
    /// Known limitations (`rai:dataLimitations`).
    #[serde(default)]
    pub data_limitations: Text,
    /// Personal or sensitive information it holds (`rai:personalSensitiveInformation`).
    #[serde(default)]
    pub personal_sensitive_information: Text,
    /// How it was collected (`rai:dataCollection`).
    #[serde(default)]
    pub data_collection: Text,
}

/// What a dataset version says about itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatasetMeta {
    /// Title.
    pub title: Text,
    /// Description.
    pub description: Text,
    /// Theme ids (EU data-theme table).
    #[serde(default)]
    pub themes: Vec<String>,
    /// Keywords, in either language.
    #[serde(default)]
    pub keywords: Vec<String>,
    /// Licence id from the register.
    pub licence: String,
    /// The period covered.
    #[serde(default)]
    pub temporal: Temporal,
    /// Province and district ids covered.
    #[serde(default)]
    pub spatial: Vec<String>,
    /// Whom to ask.
    pub contact: Contact,
    /// Frequency id (EU frequency table).
    pub frequency: String,
    /// Who may download.
    pub access: AccessTier,
    /// The data dictionary.
    #[serde(default)]
    pub dictionary: Vec<Column>,
    /// Reasons to publish flagged columns.
    #[serde(default)]
    pub pii_reasons: Vec<PiiReason>,
    /// Responsible-AI notes.
    #[serde(default)]
    pub rai: Rai,
}

/// A field that is wrong, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{field}`: {message}")]
pub struct FieldError {
    /// The field's path (`title.en`, `dictionary[2].name`).
    pub field: String,
    /// What is wrong, in words.
    pub message: String,
}

fn err(field: impl Into<String>, message: impl Into<String>) -> FieldError {
    FieldError { field: field.into(), message: message.into() }
}

/// A dataset's slug: lowercase letters, digits and single dashes, 3 to 64 characters.
///
/// # Errors
/// Says what is wrong with it.
pub fn check_slug(slug: &str) -> Result<(), FieldError> {
    let ok_chars = slug.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !(3..=64).contains(&slug.len()) {
        return Err(err("slug", "must be 3 to 64 characters"));
    }
    // Pages use these words beside dataset slugs (`/app/datasets/new`).
    if matches!(slug, "new" | "edit") {
        return Err(err("slug", format!("`{slug}` is reserved; choose another name")));
    }
    if !ok_chars || slug.starts_with('-') || slug.ends_with('-') || slug.contains("--") {
        return Err(err("slug", "use lowercase letters, digits and single dashes (`district-enrolment`)"));
    }
    Ok(())
}

fn is_date(s: &str) -> bool {
    let f = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(s, f).is_ok()
}

fn text_ok(field: &str, t: &Text, max: usize, required: bool, out: &mut Vec<FieldError>) {
    if required && t.en.trim().is_empty() {
        out.push(err(format!("{field}.en"), "is required"));
    }
    for (lang, s) in [("en", &t.en), ("ur", &t.ur)] {
        if s.chars().count() > max {
            out.push(err(format!("{field}.{lang}"), format!("is longer than {max} characters")));
        }
        if s.chars().any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t') {
            out.push(err(format!("{field}.{lang}"), "holds a control character"));
        }
    }
}

impl DatasetMeta {
    /// Every field that is wrong; empty when the metadata may be stored.
    #[must_use]
    pub fn problems(&self) -> Vec<FieldError> {
        let mut out = Vec::new();
        text_ok("title", &self.title, MAX_TITLE, true, &mut out);
        text_ok("description", &self.description, MAX_DESCRIPTION, true, &mut out);
        for (i, t) in self.themes.iter().enumerate() {
            if vocab::theme(t).is_none() {
                out.push(err(
                    format!("themes[{i}]"),
                    format!("`{t}` is not a theme (use AGRI, ECON, EDUC, ...)"),
                ));
            }
        }
        if self.keywords.len() > MAX_KEYWORDS {
            out.push(err("keywords", format!("at most {MAX_KEYWORDS}")));
        }
        for (i, k) in self.keywords.iter().enumerate() {
            if k.trim().is_empty() || k.chars().count() > 60 || k.chars().any(char::is_control) {
                out.push(err(format!("keywords[{i}]"), "must be 1 to 60 characters of text"));
            }
        }
        if vocab::licence(&self.licence).is_none() {
            out.push(err("licence", format!("`{}` is not in the licence register", self.licence)));
        }
        for (field, d) in [("temporal.start", &self.temporal.start), ("temporal.end", &self.temporal.end)] {
            if let Some(d) = d
                && !is_date(d)
            {
                out.push(err(field, format!("`{d}` is not a date (YYYY-MM-DD)")));
            }
        }
        if let (Some(a), Some(b)) = (&self.temporal.start, &self.temporal.end)
            && is_date(a)
            && is_date(b)
            && a > b
        {
            out.push(err("temporal.end", "is before the start"));
        }
        for (i, p) in self.spatial.iter().enumerate() {
            if vocab::place(p).is_none() {
                out.push(err(format!("spatial[{i}]"), format!("`{p}` is not a province or district id")));
            }
        }
        if self.contact.name.trim().is_empty() {
            out.push(err("contact.name", "is required"));
        }
        if !looks_like_email(&self.contact.email) {
            out.push(err("contact.email", "must be an e-mail address"));
        }
        if vocab::frequency(&self.frequency).is_none() {
            out.push(err(
                "frequency",
                format!("`{}` is not a frequency (use ANNUAL, MONTHLY, ...)", self.frequency),
            ));
        }
        if self.access == AccessTier::Open && vocab::licence(&self.licence).is_some_and(|l| !l.open) {
            out.push(err("licence", "an open dataset needs an open licence"));
        }
        if self.dictionary.len() > MAX_COLUMNS {
            out.push(err("dictionary", format!("at most {MAX_COLUMNS} columns")));
        }
        let mut names = std::collections::BTreeSet::new();
        for (i, c) in self.dictionary.iter().enumerate() {
            if c.name.trim().is_empty()
                || c.name.chars().count() > 200
                || c.name.chars().any(char::is_control)
            {
                out.push(err(format!("dictionary[{i}].name"), "must be 1 to 200 characters of text"));
            } else if !names.insert(c.name.as_str()) {
                out.push(err(format!("dictionary[{i}].name"), format!("`{}` is listed twice", c.name)));
            }
            text_ok(&format!("dictionary[{i}].description"), &c.description, 2_000, false, &mut out);
            if c.allowed_values.len() > 500 {
                out.push(err(format!("dictionary[{i}].allowed_values"), "at most 500 values"));
            }
        }
        for (i, r) in self.pii_reasons.iter().enumerate() {
            if r.reason.trim().chars().count() < 10 {
                out.push(err(format!("pii_reasons[{i}].reason"), "say why, in at least 10 characters"));
            }
        }
        text_ok("rai.data_biases", &self.rai.data_biases, 4_000, false, &mut out);
        text_ok("rai.data_limitations", &self.rai.data_limitations, 4_000, false, &mut out);
        text_ok(
            "rai.personal_sensitive_information",
            &self.rai.personal_sensitive_information,
            4_000,
            false,
            &mut out,
        );
        text_ok("rai.data_collection", &self.rai.data_collection, 4_000, false, &mut out);
        out
    }

    /// The columns the steward marked sensitive.
    #[must_use]
    pub fn sensitive_columns(&self) -> Vec<&str> {
        self.dictionary.iter().filter(|c| c.sensitive).map(|c| c.name.as_str()).collect()
    }

    /// The steward's reason for publishing `column`, if one is recorded.
    #[must_use]
    pub fn pii_reason(&self, column: &str) -> Option<&str> {
        self.pii_reasons.iter().find(|r| r.column == column).map(|r| r.reason.as_str())
    }
}

fn looks_like_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else { return false };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && s.len() <= 254
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// A column the PII scan flagged, as the gate needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flag {
    /// The column.
    pub column: String,
    /// The kind found (`cnic`, `mobile-phone`, ...).
    pub kind: String,
    /// A direct identifier (blocks open and registered publication without a reason).
    pub direct: bool,
}

/// Whether a version may be published at its tier: a direct identifier the scan flagged blocks
/// open and registered publication until the column is removed (a new file) or the steward
/// records a reason. Restricted versions are published with the flag shown.
///
/// # Errors
/// The flagged columns that still need a reason.
pub fn publication_check(meta: &DatasetMeta, flags: &[Flag]) -> Result<(), Vec<Flag>> {
    if meta.access == AccessTier::Restricted {
        return Ok(());
    }
    let blocking: Vec<Flag> =
        flags.iter().filter(|f| f.direct && meta.pii_reason(&f.column).is_none()).cloned().collect();
    if blocking.is_empty() { Ok(()) } else { Err(blocking) }
}

/// Where a distribution's bytes are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Source {
    /// A file Mizan stores, by content.
    File {
        /// SHA-256 of the bytes, hex.
        sha256: String,
        /// Size in bytes.
        bytes: u64,
    },
    /// A file someone else serves.
    Url {
        /// Its address (`https://`).
        url: String,
    },
}

/// A file format Mizan recognises by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FileFormat {
    /// Comma-separated values.
    Csv,
    /// Apache Parquet.
    Parquet,
    /// JSON Lines.
    Jsonl,
    /// Anything else (not profiled).
    Other,
}

impl FileFormat {
    /// From a file name's extension.
    #[must_use]
    pub fn from_name(name: &str) -> Self {
        let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
        match ext.as_str() {
            "csv" => FileFormat::Csv,
            "parquet" => FileFormat::Parquet,
            "jsonl" | "ndjson" => FileFormat::Jsonl,
            _ => FileFormat::Other,
        }
    }

    /// The media type (IANA) a download is served as.
    #[must_use]
    pub fn media_type(self) -> &'static str {
        match self {
            FileFormat::Csv => "text/csv",
            FileFormat::Parquet => "application/vnd.apache.parquet",
            FileFormat::Jsonl => "application/jsonl",
            FileFormat::Other => "application/octet-stream",
        }
    }

    /// A short label (`CSV`).
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            FileFormat::Csv => "CSV",
            FileFormat::Parquet => "Parquet",
            FileFormat::Jsonl => "JSON Lines",
            FileFormat::Other => "File",
        }
    }

    /// Whether the profiler reads it.
    #[must_use]
    pub fn is_tabular(self) -> bool {
        !matches!(self, FileFormat::Other)
    }
}

/// One file of a version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Distribution {
    /// Its file name (`enrolment-2024.csv`); unique within the version.
    pub name: String,
    /// Its format.
    pub format: FileFormat,
    /// Where its bytes are.
    pub source: Source,
}

/// A distribution's file name: no path, no control characters, at most 200 characters.
///
/// # Errors
/// Says what is wrong with it.
pub fn check_file_name(name: &str) -> Result<(), FieldError> {
    if name.is_empty()
        || name.chars().count() > 200
        || name.contains(['/', '\\'])
        || name.starts_with('.')
        || name.chars().any(char::is_control)
    {
        return Err(err(
            "file",
            "the file name must be 1 to 200 characters, without `/`, `\\` or a leading dot",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn sample() -> DatasetMeta {
        DatasetMeta {
            title: Text::new("District school enrolment", "ضلعی اسکول داخلے"),
            description: Text::new("Enrolment by district.", "ضلع وار داخلے۔"),
            themes: vec!["EDUC".into()],
            keywords: vec!["schools".into()],
            licence: "cc-by-4.0".into(),
            temporal: Temporal { start: Some("2020-01-01".into()), end: Some("2024-12-31".into()) },
            spatial: vec!["punjab".into(), "lahore".into()],
            contact: Contact { name: "Data office".into(), email: "data@education.demo".into() },
            frequency: "ANNUAL".into(),
            access: AccessTier::Open,
            dictionary: vec![Column {
                name: "district".into(),
                kind: ColumnType::Text,
                description: Text::default(),
                unit: None,
                allowed_values: vec![],
                format: None,
                sensitive: true,
            }],
            pii_reasons: vec![],
            rai: Rai::default(),
        }
    }

    #[test]
    fn a_good_record_has_no_problems_and_each_bad_field_is_named() {
        assert_eq!(sample().problems(), vec![]);
        let mut m = sample();
        m.title.en = String::new();
        m.licence = "mit-ish".into();
        m.spatial.push("atlantis".into());
        m.temporal.end = Some("2019-01-01".into());
        m.frequency = "HOURLY".into();
        m.dictionary.push(m.dictionary[0].clone());
        let fields: Vec<String> = m.problems().into_iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            ["title.en", "licence", "temporal.end", "spatial[2]", "frequency", "dictionary[1].name"]
        );
    }

    #[test]
    fn an_open_dataset_needs_an_open_licence() {
        let mut m = sample();
        m.licence = "research-only".into();
        assert_eq!(m.problems()[0].field, "licence");
        m.access = AccessTier::Restricted;
        assert_eq!(m.problems(), vec![]);
    }

    #[test]
    fn a_direct_identifier_blocks_publication_until_a_reason_is_recorded() {
        let flags = [Flag { column: "cnic".into(), kind: "cnic".into(), direct: true }];
        let mut m = sample();
        assert_eq!(publication_check(&m, &flags).unwrap_err().len(), 1);
        m.access = AccessTier::Registered;
        assert!(publication_check(&m, &flags).is_err());
        m.pii_reasons
            .push(PiiReason { column: "cnic".into(), reason: "synthetic numbers for training".into() });
        assert!(publication_check(&m, &flags).is_ok());
        m.pii_reasons.clear();
        m.access = AccessTier::Restricted;
        assert!(publication_check(&m, &flags).is_ok());
    }

    #[test]
    fn slugs_and_file_names() {
        assert!(check_slug("district-enrolment-2024").is_ok());
        for bad in ["ab", "Upper", "a--b", "-ab", "ab-", "a b", "اردو", "new", "edit"] {
            assert!(check_slug(bad).is_err(), "{bad}");
        }
        assert!(check_file_name("data.csv").is_ok());
        for bad in ["", "../x", "a/b", ".hidden", "a\u{0}b"] {
            assert!(check_file_name(bad).is_err(), "{bad:?}");
        }
        assert_eq!(FileFormat::from_name("X.PARQUET"), FileFormat::Parquet);
    }

    #[test]
    fn metadata_round_trips_as_json() {
        let m = sample();
        let s = serde_json::to_string(&m).unwrap();
        assert_eq!(serde_json::from_str::<DatasetMeta>(&s).unwrap(), m);
    }
}
