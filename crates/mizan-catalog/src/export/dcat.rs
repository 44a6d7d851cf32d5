//! DCAT-AP 3 (3.0.1): a dataset version, and a page of the whole catalogue, as JSON-LD and
//! Turtle, checked in CI by pySHACL against SEMIC's own shapes (`oracles/dcat/`).
//!
//! Each document describes two `dcat:Dataset`s: the version (`{base}/datasets/{slug}/v/{n}`,
//! the full record: distributions, `dcat:version`, `dct:issued`/`dct:modified`, access rights)
//! and the dataset it is a version of (`{base}/datasets/{slug}`, the same title, description,
//! publisher, contact, themes, keywords and coverage, and `dcat:hasVersion` naming the
//! version). DCAT-AP 3 keeps `dcat:hasVersion` and flags `dcat:isVersionOf` as an inverse
//! property to avoid (`deprecateduris.ttl`), so the link is written from the dataset side; a
//! version after the first also names `dcat:previousVersion` (DCAT 3).
//!
//! Choices a reader needs to know:
//! - **Access rights** (EU access-right table): `open` → `PUBLIC`; `registered` (sign in and
//!   accept terms) → `RESTRICTED` ("available under certain conditions"); `restricted` (only by
//!   an approved request, usually because the data is personal) → `NON_PUBLIC`.
//! - **Places** are Mizan URIs, `{base}/places/{id}`, typed `dct:Location` with their English
//!   and Urdu names: the EU place table has no districts of Pakistan, and our vocabulary has no
//!   GeoNames ids yet. The catalogue's own coverage is the EU country `PAK`.
//! - **Distribution ids** are `{version}/files/{index}`: identifiers, not addresses;
//!   `dcat:accessURL` is the version page and `dcat:downloadURL` the file.
//! - **Values from controlled vocabularies** (themes, frequency, file type, media type, access
//!   rights, licence) carry their class and label in the document, so a validator without the
//!   EU vocabularies loaded still checks the classes (the "ranges" shapes) and no harvester has
//!   to dereference them.
//! - **Paging** of the catalogue follows Hydra: the page is a `hydra:PartialCollectionView`
//!   with `hydra:first`/`previous`/`next`/`last`, and also a `hydra:PagedCollection` with the
//!   older `hydra:firstPage`/`nextPage`/... and `hydra:totalItems`/`itemsPerPage`, which the
//!   EU data portal's and CKAN's (`ckanext-dcat`) harvesters read.

use serde_json::Value;

use super::rdf::{Graph, Term, iri, lang, plain, typed};
use super::{Publisher, VersionView, rfc3339};
use crate::{AccessTier, FileFormat, Text, vocab};

const THEME_TABLE: &str = "http://publications.europa.eu/resource/authority/data-theme";
const FREQUENCY_TABLE: &str = "http://publications.europa.eu/resource/authority/frequency";
pub(super) const ACCESS_TABLE: &str = "http://publications.europa.eu/resource/authority/access-right";
const FILE_TYPE_TABLE: &str = "http://publications.europa.eu/resource/authority/file-type";
const LANGUAGE_TABLE: &str = "http://publications.europa.eu/resource/authority/language";
const IANA: &str = "https://www.iana.org/assignments/media-types";

/// The version as DCAT-AP 3 JSON-LD (inline `@context`, flat `@graph`).
#[must_use]
pub fn dataset_jsonld(v: &VersionView) -> Value {
    let mut g = Graph::default();
    describe(&mut g, v);
    g.jsonld()
}

/// The version as DCAT-AP 3 Turtle.
#[must_use]
pub fn dataset_turtle(v: &VersionView) -> String {
    let mut g = Graph::default();
    describe(&mut g, v);
    g.turtle()
}

/// One page of the whole catalogue, as harvesters poll it.
#[derive(Debug, Clone, Copy)]
pub struct CatalogPage<'a> {
    /// The site's address, `https://mizan.example`, without a trailing slash.
    pub base_url: &'a str,
    /// The path this serialisation is served at (`/catalog.jsonld`, `/catalog.ttl`); page `n`
    /// is `{base}{endpoint}?page={n}`.
    pub endpoint: &'a str,
    /// The repository's name.
    pub title: &'a Text,
    /// What the repository is.
    pub description: &'a Text,
    /// Who runs the repository.
    pub publisher: &'a Publisher,
    /// This page's number, from 1.
    pub page: u64,
    /// Datasets per page (at least 1; 0 is read as 1).
    pub page_size: u64,
    /// Datasets in the whole catalogue.
    pub total: u64,
    /// The versions on this page (for each dataset, the version the platform lists: its
    /// newest).
    pub datasets: &'a [VersionView<'a>],
}

impl CatalogPage<'_> {
    /// The catalogue's IRI: `{base}/catalog`.
    #[must_use]
    pub fn catalog_url(&self) -> String {
        format!("{}/catalog", self.base_url.trim_end_matches('/'))
    }

    /// The number of the last page (1 for an empty catalogue).
    #[must_use]
    pub fn last_page(&self) -> u64 {
        self.total.div_ceil(self.page_size.max(1)).max(1)
    }

    /// The address of page `n`.
    #[must_use]
    pub fn page_url(&self, n: u64) -> String {
        let sep = if self.endpoint.contains('?') { '&' } else { '?' };
        format!("{}{}{sep}page={n}", self.base_url.trim_end_matches('/'), self.endpoint)
    }

    /// The previous page's number, if there is one.
    #[must_use]
    pub fn previous(&self) -> Option<u64> {
        (self.page > 1).then(|| self.page.min(self.last_page() + 1) - 1)
    }

    /// The next page's number, if there is one.
    #[must_use]
    pub fn next(&self) -> Option<u64> {
        (self.page < self.last_page()).then(|| self.page + 1)
    }
}

/// A page of the catalogue as DCAT-AP 3 JSON-LD, with Hydra paging.
#[must_use]
pub fn catalog_jsonld(page: &CatalogPage) -> Value {
    catalog_graph(page).jsonld()
}

/// A page of the catalogue as DCAT-AP 3 Turtle, with Hydra paging.
#[must_use]
pub fn catalog_turtle(page: &CatalogPage) -> String {
    catalog_graph(page).turtle()
}

fn catalog_graph(page: &CatalogPage) -> Graph {
    let mut g = Graph::default();
    let cat = iri(&page.catalog_url());
    g.class(&cat, "dcat:Catalog");
    text(&mut g, &cat, "dct:title", page.title);
    text(&mut g, &cat, "dct:description", page.description);
    let publisher = agent(&mut g, page.publisher);
    g.add(&cat, "dct:publisher", publisher);
    for code in ["ENG", "URD"] {
        let l = iri(&format!("{LANGUAGE_TABLE}/{code}"));
        g.class(&l, "dct:LinguisticSystem");
        g.add(&cat, "dct:language", l);
    }
    let home = iri(&format!("{}/datasets", page.base_url.trim_end_matches('/')));
    g.class(&home, "foaf:Document");
    g.add(&cat, "foaf:homepage", home);
    let pak = iri("http://publications.europa.eu/resource/authority/country/PAK");
    g.class(&pak, "dct:Location");
    g.add(&pak, "skos:prefLabel", lang("Pakistan", "en"));
    g.add(&pak, "skos:prefLabel", lang("پاکستان", "ur"));
    g.add(&cat, "dct:spatial", pak);
    let scheme = theme_scheme(&mut g);
    g.add(&cat, "dcat:themeTaxonomy", scheme);
    if let Some(latest) = page.datasets.iter().map(|v| v.modified).max() {
        g.add(&cat, "dct:modified", typed(&rfc3339(latest), "xsd:dateTime"));
    }
    for v in page.datasets {
        let ds = describe(&mut g, v);
        g.add(&cat, "dcat:dataset", ds);
    }
    let view = iri(&page.page_url(page.page));
    g.add(&cat, "hydra:view", view.clone());
    g.class(&view, "hydra:PartialCollectionView");
    g.class(&view, "hydra:PagedCollection");
    let links = [
        ("hydra:first", "hydra:firstPage", Some(1)),
        ("hydra:previous", "hydra:previousPage", page.previous()),
        ("hydra:next", "hydra:nextPage", page.next()),
        ("hydra:last", "hydra:lastPage", Some(page.last_page())),
    ];
    for (now, legacy, n) in links {
        if let Some(n) = n {
            g.add(&view, now, iri(&page.page_url(n)));
            g.add(&view, legacy, iri(&page.page_url(n)));
        }
    }
    g.add(&view, "hydra:totalItems", typed(&page.total.to_string(), "xsd:integer"));
    g.add(&view, "hydra:itemsPerPage", typed(&page.page_size.max(1).to_string(), "xsd:integer"));
    g
}

/// `s p "en"@en, "ur"@ur` (Urdu only when given).
fn text(g: &mut Graph, s: &Term, p: &'static str, t: &Text) {
    g.add(s, p, lang(&t.en, "en"));
    if !t.ur.trim().is_empty() {
        g.add(s, p, lang(&t.ur, "ur"));
    }
}

/// A keyword tagged `@ur` when it is written in Arabic script, else `@en`.
fn keyword(k: &str) -> Term {
    let arabic =
        k.chars().any(|c| ('\u{0600}'..='\u{06FF}').contains(&c) || ('\u{0750}'..='\u{077F}').contains(&c));
    lang(k, if arabic { "ur" } else { "en" })
}

fn agent(g: &mut Graph, p: &Publisher) -> Term {
    let a = iri(&p.homepage);
    g.class(&a, "foaf:Agent");
    text(g, &a, "foaf:name", &p.name);
    a
}

fn theme_scheme(g: &mut Graph) -> Term {
    let scheme = iri(THEME_TABLE);
    g.class(&scheme, "skos:ConceptScheme");
    g.add(&scheme, "dct:title", lang("Data theme", "en"));
    scheme
}

fn concept(g: &mut Graph, uri: &str, en: &str, ur: &str) -> Term {
    let c = iri(uri);
    g.class(&c, "skos:Concept");
    g.add(&c, "skos:prefLabel", lang(en, "en"));
    if !ur.is_empty() {
        g.add(&c, "skos:prefLabel", lang(ur, "ur"));
    }
    c
}

/// The EU file-type id for a format.
fn file_type(f: FileFormat) -> &'static str {
    match f {
        FileFormat::Csv => "CSV",
        FileFormat::Parquet => "PARQUET",
        FileFormat::Jsonl => "JSON",
        FileFormat::Other => "BIN",
    }
}

/// The EU access-right id for a tier (see the module's notes).
pub(super) fn access_right(t: AccessTier) -> (&'static str, &'static str) {
    match t {
        AccessTier::Open => ("PUBLIC", "Public"),
        AccessTier::Registered => ("RESTRICTED", "Restricted"),
        AccessTier::Restricted => ("NON_PUBLIC", "Non-public"),
    }
}

fn is_hex(s: &str) -> bool {
    !s.is_empty() && s.len().is_multiple_of(2) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// What the dataset and its version share: title, description, publisher, contact, keywords,
/// themes, coverage, frequency.
fn describe_common(g: &mut Graph, s: &Term, v: &VersionView, publisher: &Term) {
    let m = v.meta;
    g.class(s, "dcat:Dataset");
    text(g, s, "dct:title", &m.title);
    text(g, s, "dct:description", &m.description);
    g.add(s, "dct:publisher", publisher.clone());
    let contact = iri(&format!("{}#contact", v.dataset_url()));
    g.class(&contact, "vcard:Kind");
    g.add(&contact, "vcard:fn", plain(&m.contact.name));
    g.add(&contact, "vcard:hasEmail", iri(&format!("mailto:{}", m.contact.email)));
    g.add(s, "dcat:contactPoint", contact);
    for k in &m.keywords {
        g.add(s, "dcat:keyword", keyword(k));
    }
    for id in &m.themes {
        if let Some(t) = vocab::theme(id) {
            let c = concept(g, &format!("{THEME_TABLE}/{}", t.id), &t.en, &t.ur);
            let scheme = theme_scheme(g);
            g.add(&c, "skos:inScheme", scheme);
            g.add(s, "dcat:theme", c);
        }
    }
    if let Some(f) = vocab::frequency(&m.frequency) {
        let freq = iri(&format!("{FREQUENCY_TABLE}/{}", f.id));
        g.class(&freq, "dct:Frequency");
        g.add(&freq, "skos:prefLabel", lang(&f.en, "en"));
        g.add(s, "dct:accrualPeriodicity", freq);
    }
    if m.temporal.start.is_some() || m.temporal.end.is_some() {
        let period = iri(&format!("{}#period", v.dataset_url()));
        g.class(&period, "dct:PeriodOfTime");
        if let Some(d) = &m.temporal.start {
            g.add(&period, "dcat:startDate", typed(d, "xsd:date"));
        }
        if let Some(d) = &m.temporal.end {
            g.add(&period, "dcat:endDate", typed(d, "xsd:date"));
        }
        g.add(s, "dct:temporal", period);
    }
    for id in &m.spatial {
        if let Some(p) = vocab::place(id) {
            let loc = iri(&format!("{}/places/{}", v.base(), p.id));
            g.class(&loc, "dct:Location");
            g.add(&loc, "skos:prefLabel", lang(&p.en, "en"));
            g.add(&loc, "skos:prefLabel", lang(&p.ur, "ur"));
            g.add(s, "dct:spatial", loc);
        }
    }
}

/// Adds the version, its dataset and its distributions; returns the version's node.
fn describe(g: &mut Graph, v: &VersionView) -> Term {
    let m = v.meta;
    let version = iri(&v.version_url());
    let dataset = iri(&v.dataset_url());
    let publisher = agent(g, v.publisher);

    describe_common(g, &version, v, &publisher);
    g.add(&version, "dct:identifier", plain(&v.version_url()));
    g.add(&version, "dcat:version", plain(&v.version.to_string()));
    g.add(&version, "dct:issued", typed(&rfc3339(v.issued), "xsd:dateTime"));
    g.add(&version, "dct:modified", typed(&rfc3339(v.modified), "xsd:dateTime"));
    let page = iri(&v.version_url());
    g.class(&page, "foaf:Document");
    g.add(&version, "dcat:landingPage", page);
    if v.version > 1 {
        g.add(&version, "dcat:previousVersion", iri(&v.version_url_of(v.version - 1)));
    }
    let (right, label) = access_right(m.access);
    let rights = iri(&format!("{ACCESS_TABLE}/{right}"));
    g.class(&rights, "dct:RightsStatement");
    g.add(&rights, "rdfs:label", lang(label, "en"));
    g.add(&version, "dct:accessRights", rights);
    let licence = vocab::licence(&m.licence).map(|l| {
        let doc = iri(&l.url);
        g.class(&doc, "dct:LicenseDocument");
        g.add(&doc, "rdfs:label", lang(&l.title.en, "en"));
        doc
    });

    for (i, f) in v.files.iter().enumerate() {
        let d = iri(&v.file_url(i));
        g.add(&version, "dcat:distribution", d.clone());
        g.class(&d, "dcat:Distribution");
        g.add(&d, "dct:title", plain(&f.name));
        g.add(
            &d,
            "dct:description",
            lang(&format!("{} file of version {} of “{}”.", f.format.label(), v.version, m.title.en), "en"),
        );
        g.add(&d, "dcat:accessURL", iri(&v.version_url()));
        g.add(&d, "dcat:downloadURL", iri(&f.download_url));
        let ft = file_type(f.format);
        let format = iri(&format!("{FILE_TYPE_TABLE}/{ft}"));
        g.class(&format, "dct:MediaTypeOrExtent");
        g.add(&d, "dct:format", format);
        let media = iri(&format!("{IANA}/{}", f.format.media_type()));
        g.class(&media, "dct:MediaType");
        g.add(&d, "dcat:mediaType", media);
        g.add(&d, "dcat:byteSize", typed(&f.bytes.to_string(), "xsd:nonNegativeInteger"));
        if is_hex(&f.sha256) {
            let sum = g.blank();
            g.class(&sum, "spdx:Checksum");
            let sha256 = Term::Name("spdx:checksumAlgorithm_sha256");
            g.class(&sha256, "spdx:ChecksumAlgorithm");
            g.add(&sum, "spdx:algorithm", sha256);
            g.add(&sum, "spdx:checksumValue", typed(&f.sha256.to_ascii_lowercase(), "xsd:hexBinary"));
            g.add(&d, "spdx:checksum", sum);
        }
        if let Some(l) = &licence {
            g.add(&d, "dct:license", l.clone());
        }
        let stable = concept(g, "http://data.europa.eu/r5r/availability/stable", "Stable", "");
        g.add(&d, "dcatap:availability", stable);
        g.add(&d, "dct:rights", iri(&format!("{ACCESS_TABLE}/{right}")));
    }

    describe_common(g, &dataset, v, &publisher);
    g.add(&dataset, "dct:identifier", plain(&v.dataset_url()));
    let home = iri(&v.dataset_url());
    g.class(&home, "foaf:Document");
    g.add(&dataset, "dcat:landingPage", home);
    g.add(&dataset, "dcat:hasVersion", version.clone());
    version
}
