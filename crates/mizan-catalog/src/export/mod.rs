//! The shapes outsiders read a dataset version in: DCAT-AP 3 ([`dcat`], JSON-LD and Turtle, and
//! the paged whole-catalogue document harvesters poll), schema.org `Dataset` ([`schema_org`],
//! for the `<script type="application/ld+json">` of a dataset page), Croissant 1.1 with the RAI
//! vocabulary ([`croissant`]), and CKAN's package, resource and organisation dicts ([`ckan`],
//! for the read-only Action API).
//!
//! Every shape is generated from one [`VersionView`], which the platform fills from what it
//! stores (the version's [`DatasetMeta`], its files and their profiles, the publisher), so no
//! shape is ever written by hand per dataset, and all of them say the same thing. Nothing here
//! does I/O or reads a clock: times come in the view. Each shape is validated in CI by a tool we
//! did not write (`oracles/validate-catalog`: pySHACL against the DCAT-AP 3.0.1 shapes,
//! `mlcroissant`; the `ckanapi` client against the live server).
//!
//! URIs: a dataset is `{base}/datasets/{slug}`, a version `{base}/datasets/{slug}/v/{n}`, a
//! file `{base}/datasets/{slug}/v/{n}/files/{index}` (an identifier, not a download address),
//! a place `{base}/places/{id}` and the catalogue `{base}/catalog`. A slug is validated
//! ([`crate::check_slug`]), but every IRI is still escaped where it is written
//! ([`iri`]), so a bad value makes an odd address, never a broken document.

use std::fmt::Write as _;

use time::OffsetDateTime;

use crate::{AccessTier, ColumnType, DatasetMeta, FileFormat, Text};

pub mod ckan;
pub mod croissant;
pub mod dcat;
mod rdf;
pub mod schema_org;

/// A publishing organisation, as the exports name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Publisher {
    /// Stable slug (`ministry-of-education`); CKAN's organisation `name`.
    pub slug: String,
    /// Its name, in English and Urdu.
    pub name: Text,
    /// The absolute URL of its page on Mizan.
    pub homepage: String,
}

/// One column of a tabular file, as the profile found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnView {
    /// Its name in the file.
    pub name: String,
    /// The data dictionary's type where the column is listed there, else the profile's
    /// inferred type.
    pub kind: ColumnType,
    /// The dictionary's description (English); empty when there is none.
    pub description: String,
}

/// One distribution (file) of a version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileView {
    /// Its file name, unique within the version.
    pub name: String,
    /// Its format.
    pub format: FileFormat,
    /// Size in bytes.
    pub bytes: u64,
    /// SHA-256 of its bytes, lowercase hex.
    pub sha256: String,
    /// The absolute URL it is downloaded from (Mizan's, or the external address).
    pub download_url: String,
    /// Its columns, from the profile, when the file is tabular; empty otherwise.
    pub columns: Vec<ColumnView>,
}

/// What the bias profile and the PII scan add to the steward's responsible-AI text (English).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RaiExtra {
    /// Appended to `rai:dataBiases` (for example, the groups the bias profile found unbalanced).
    pub biases: String,
    /// Appended to `rai:personalSensitiveInformation` (for example, the columns the scan
    /// flagged and what it found).
    pub personal_info: String,
}

/// Everything the exports say about one dataset version.
#[derive(Debug, Clone, Copy)]
pub struct VersionView<'a> {
    /// The site's address, `https://mizan.example`, without a trailing slash.
    pub base_url: &'a str,
    /// Who publishes the dataset.
    pub publisher: &'a Publisher,
    /// The dataset's slug.
    pub slug: &'a str,
    /// The version number, from 1.
    pub version: u32,
    /// When the dataset's first version was published.
    pub issued: OffsetDateTime,
    /// When this version was published.
    pub modified: OffsetDateTime,
    /// What the version says about itself.
    pub meta: &'a DatasetMeta,
    /// Its files, in the version's order.
    pub files: &'a [FileView],
    /// What the profile and the scan add to the RAI text.
    pub rai_extra: &'a RaiExtra,
}

impl VersionView<'_> {
    /// The base URL without any trailing slash.
    fn base(&self) -> &str {
        self.base_url.trim_end_matches('/')
    }

    /// The dataset's page: `{base}/datasets/{slug}`.
    #[must_use]
    pub fn dataset_url(&self) -> String {
        format!("{}/datasets/{}", self.base(), self.slug)
    }

    /// This version's page: `{base}/datasets/{slug}/v/{version}`.
    #[must_use]
    pub fn version_url(&self) -> String {
        format!("{}/v/{}", self.dataset_url(), self.version)
    }

    /// The page of version `n` of the same dataset.
    #[must_use]
    pub fn version_url_of(&self, n: u32) -> String {
        format!("{}/v/{n}", self.dataset_url())
    }

    /// The identifier of file `index` of this version (not its download address).
    #[must_use]
    pub fn file_url(&self, index: usize) -> String {
        format!("{}/files/{index}", self.version_url())
    }

    /// The dataset's identifier across exports: `{slug}/v{version}`.
    #[must_use]
    pub fn identifier(&self) -> String {
        format!("{}/v{}", self.slug, self.version)
    }

    /// The steward's English text followed by the profile's or scan's, one paragraph each.
    fn joined(steward: &str, extra: &str) -> String {
        match (steward.trim(), extra.trim()) {
            (a, "") => a.to_owned(),
            ("", b) => b.to_owned(),
            (a, b) => format!("{a}\n\n{b}"),
        }
    }

    /// `rai:dataBiases`: the steward's text and the bias profile's.
    #[must_use]
    pub fn data_biases(&self) -> String {
        Self::joined(&self.meta.rai.data_biases.en, &self.rai_extra.biases)
    }

    /// `rai:personalSensitiveInformation`: the steward's text and the PII scan's.
    #[must_use]
    pub fn personal_sensitive_information(&self) -> String {
        Self::joined(&self.meta.rai.personal_sensitive_information.en, &self.rai_extra.personal_info)
    }
}

/// Whether the version may be downloaded by anyone, without signing in.
fn is_open(meta: &DatasetMeta) -> bool {
    meta.access == AccessTier::Open
}

/// The EU access-right URI of a tier (see [`dcat`]'s notes on the mapping).
fn dcat_access_right_uri(t: AccessTier) -> String {
    format!("{}/{}", dcat::ACCESS_TABLE, dcat::access_right(t).0)
}

/// A time as RFC 3339 in UTC with seconds (`2024-01-02T03:04:05Z`).
fn rfc3339(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// `s` made safe to use as an IRI in Turtle and JSON-LD: the characters RDF forbids in an IRI
/// (controls, space, `<>"{}|^` and backtick, and `\`) are percent-encoded. Everything else,
/// including non-ASCII letters, is kept (an IRI, not a URI).
#[must_use]
pub fn iri(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c <= ' ' || c == '\u{7f}' || matches!(c, '<' | '>' | '"' | '{' | '}' | '|' | '^' | '`' | '\\') {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                let _ = write!(out, "%{b:02X}");
            }
        } else {
            out.push(c);
        }
    }
    out
}
