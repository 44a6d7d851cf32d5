//! The public pages of the national AI data repository (issue #18): search with facets, a
//! dataset version's page (metadata, files, personal-data flags, profile, bias profile, data
//! dictionary, versions, schema.org JSON-LD), file downloads, and accepting the registered-use
//! terms.
//!
//! Everything a person reads is in words: tiers, themes, licences, places, frequencies, column
//! types and personal-data kinds come from the vocabularies or the Fluent files, never as ids;
//! column names and hashes are identifiers and go in `<code>`. Highlights arrive from the index
//! as [`mizan_search::Segment`]s and are rendered by the template, escaped, with `<mark>`.
//!
//! **Downloads** stream the stored file in 64 KiB reads (memory stays flat whatever the size)
//! after [`mizan_app::Platform::dataset_download`] has passed the version's access tier. They
//! answer one byte range (`Range: bytes=a-b`, `a-`, `-n`) with 206, an unsatisfiable one with
//! 416, and several with the whole file (RFC 9110 §14.2 lets a server ignore `Range`); the
//! file's SHA-256 is its strong `ETag` (`If-None-Match` → 304, `If-Range`) and its
//! `Repr-Digest` (RFC 9530), which describes the whole file even in a 206.

use crate::views::datasets::{
    DictRow, dict_rows, is_ur, labels, parse_version, percent, pick, pii_label, size_words,
};
use std::collections::BTreeMap;

use askama::Template;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use base64::Engine as _;
use mizan_app::datasets::DatasetView;
use mizan_catalog::export::schema_org;
use mizan_catalog::{AccessTier, Source, vocab};
use mizan_profile::{ColumnProfile, Kind, Scalar, SensitiveColumn};
use serde::Deserialize;

use crate::AppState;
use crate::auth::SignedIn;
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::pages::{Ctx, ErrorPage, render};
use crate::util::url_encode;

/// Hits per page.
const PER_PAGE: usize = 20;
/// Highest page number: the index skips at most [`mizan_search::MAX_OFFSET`] hits.
const MAX_PAGE: usize = mizan_search::MAX_OFFSET / PER_PAGE + 1;
/// Top values shown per text column.
const TOP_VALUES: usize = 5;

// ---------------------------------------------------------------------------------------------
// Words for ids
// ---------------------------------------------------------------------------------------------

fn theme_label(lang: Lang, id: &str) -> String {
    vocab::theme(id)
        .map_or_else(|| lang.t("ds-unknown"), |t| if is_ur(lang) { t.ur.clone() } else { t.en.clone() })
}

fn place_label(lang: Lang, id: &str) -> String {
    vocab::place(id)
        .map_or_else(|| lang.t("ds-unknown"), |p| if is_ur(lang) { p.ur.clone() } else { p.en.clone() })
}

fn licence_label(lang: Lang, id: &str) -> String {
    vocab::licence(id).map_or_else(|| lang.t("ds-unknown"), |l| labels(lang, &l.title))
}

fn frequency_label(lang: Lang, id: &str) -> String {
    vocab::frequency(id)
        .map_or_else(|| lang.t("ds-unknown"), |f| if is_ur(lang) { f.ur.clone() } else { f.en.clone() })
}

/// A format as the facet and the search index name it (`CSV`, `Parquet`, `JSON Lines`,
/// `File`); the proper names stay, a file of no known format is said in words.
fn format_label(lang: Lang, label: &str) -> String {
    if label == mizan_catalog::FileFormat::Other.label() {
        lang.t("ds-format-other")
    } else {
        label.to_owned()
    }
}

fn access_label(lang: Lang, id: &str) -> String {
    match AccessTier::parse(id) {
        Some(t) => lang.t(&format!("ds-access-{}", t.id())),
        None => lang.t("ds-unknown"),
    }
}

fn kind_id(k: Kind) -> &'static str {
    match k {
        Kind::Integer => "integer",
        Kind::Float => "float",
        Kind::Boolean => "boolean",
        Kind::Date => "date",
        Kind::Datetime => "datetime",
        Kind::Text => "text",
        Kind::Empty => "empty",
    }
}

/// A number for a table: whole numbers without decimals, others with up to four significant
/// digits, very small or large ones in scientific notation.
fn num(x: f64) -> String {
    if !x.is_finite() {
        return String::new();
    }
    if x.fract() == 0.0 && x.abs() < 1e15 {
        return format!("{x:.0}");
    }
    if x.abs() >= 1e6 || (x != 0.0 && x.abs() < 0.001) {
        return format!("{x:.3e}");
    }
    let s = if x.abs() >= 100.0 { format!("{x:.1}") } else { format!("{x:.3}") };
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// The signed-in person's user id, if any.
fn user_id(ctx: &Ctx) -> Option<i64> {
    ctx.principal.as_ref().and_then(|p| p.user.as_ref()).map(|u| u.id)
}

// ---------------------------------------------------------------------------------------------
// Search
// ---------------------------------------------------------------------------------------------

/// The search page's query string.
#[derive(Debug, Default, Deserialize)]
pub struct SearchParams {
    /// Words.
    #[serde(default)]
    pub q: String,
    /// `relevance` (default), `title` or `newest`.
    #[serde(default)]
    pub sort: String,
    /// Access tier id.
    #[serde(default)]
    pub access: String,
    /// Theme id.
    #[serde(default)]
    pub theme: String,
    /// Province id.
    #[serde(default)]
    pub province: String,
    /// Licence id.
    #[serde(default)]
    pub licence: String,
    /// Format (`CSV`, ...).
    #[serde(default)]
    pub format: String,
    /// Publisher slug.
    #[serde(default)]
    pub publisher: String,
    /// Page number (absent: the first).
    #[serde(default)]
    pub page: Option<String>,
    /// Ignored here (language override).
    #[serde(default)]
    pub lang: String,
}

/// The six facets, in the order the form shows them: (query parameter, label key).
const FACETS: [(&str, &str); 6] = [
    ("access", "ds-facet-access"),
    ("theme", "ds-facet-theme"),
    ("province", "ds-facet-province"),
    ("licence", "ds-facet-licence"),
    ("format", "ds-facet-format"),
    ("publisher", "ds-facet-publisher"),
];

impl SearchParams {
    fn get(&self, param: &str) -> &str {
        match param {
            "access" => &self.access,
            "theme" => &self.theme,
            "province" => &self.province,
            "licence" => &self.licence,
            "format" => &self.format,
            "publisher" => &self.publisher,
            "q" => &self.q,
            "sort" => &self.sort,
            _ => "",
        }
    }

    fn page(&self) -> Result<usize, AppError> {
        let Some(p) = self.page.as_deref() else { return Ok(1) };
        p.parse::<usize>().ok().filter(|n| (1..=MAX_PAGE).contains(n)).ok_or_else(|| AppError::BadRequest {
            field: Some("page".into()),
            detail: format!("`page` must be a whole number from 1 to {MAX_PAGE}"),
        })
    }

    fn sort(&self, lang: Lang) -> mizan_search::Sort {
        match self.sort.as_str() {
            "title" if is_ur(lang) => mizan_search::Sort::TitleUrdu,
            "title" => mizan_search::Sort::Title,
            "newest" => mizan_search::Sort::Modified,
            _ => mizan_search::Sort::Relevance,
        }
    }

    fn query(&self, lang: Lang) -> Result<mizan_search::Query, AppError> {
        let one = |v: &str| if v.is_empty() { Vec::new() } else { vec![v.to_owned()] };
        Ok(mizan_search::Query {
            text: self.q.chars().take(mizan_search::MAX_QUERY_CHARS).collect(),
            filters: mizan_search::Filters {
                publisher: one(&self.publisher),
                theme: one(&self.theme),
                licence: one(&self.licence),
                format: one(&self.format),
                access: one(&self.access),
                province: one(&self.province),
            },
            sort: self.sort(lang),
            offset: (self.page()? - 1) * PER_PAGE,
            limit: PER_PAGE,
        })
    }

    /// This search's address with `param` set to `value` (empty: removed), from page 1
    /// unless `page` is given.
    fn href_with(&self, param: &str, value: &str, page: Option<usize>) -> String {
        let mut parts = Vec::new();
        for p in ["q", "sort", "access", "theme", "province", "licence", "format", "publisher"] {
            let v = if p == param { value } else { self.get(p) };
            if !v.is_empty() {
                parts.push(format!("{p}={}", url_encode(v)));
            }
        }
        if let Some(n) = page.filter(|n| *n > 1) {
            parts.push(format!("page={n}"));
        }
        if parts.is_empty() { "/datasets".to_owned() } else { format!("/datasets?{}", parts.join("&")) }
    }

    fn any_filter(&self) -> bool {
        FACETS.iter().any(|(p, _)| !self.get(p).is_empty())
    }
}

/// One highlighted run of text.
pub struct Seg {
    /// The text, escaped by the template.
    pub text: String,
    /// Whether it matched a word of the query (shown in `<mark>`).
    pub matched: bool,
}

fn segs(s: &[mizan_search::Segment]) -> Vec<Seg> {
    s.iter().map(|x| Seg { text: x.text.clone(), matched: x.matched }).collect()
}

fn joined_is_empty(s: &[mizan_search::Segment]) -> bool {
    s.iter().all(|x| x.text.trim().is_empty())
}

/// One search result.
pub struct HitRow {
    /// Slug.
    pub slug: String,
    /// Title with highlights.
    pub title: Vec<Seg>,
    /// `en` when the Urdu page shows the English title.
    pub title_lang: Option<&'static str>,
    /// Description excerpt with highlights.
    pub description: Vec<Seg>,
    /// `en` when the Urdu page shows the English description.
    pub description_lang: Option<&'static str>,
    /// Publisher's name.
    pub publisher: String,
    /// Access tier in words.
    pub access: String,
    /// Formats in words.
    pub formats: String,
    /// Newest published version.
    pub version: i64,
    /// When it was published (RFC 3339, for `datetime`).
    pub modified_at: String,
    /// The same in words.
    pub modified: String,
    /// Demo data.
    pub is_demo: bool,
}

/// A value of a facet, with its count and the link that filters by it.
pub struct FacetValue {
    /// In words.
    pub label: String,
    /// Datasets with it.
    pub count: u64,
    /// The search filtered by it (or, when it is the filter, without it).
    pub href: String,
    /// Whether the search is filtered by it.
    pub selected: bool,
}

/// A facet: its values, and the options of its select.
pub struct FacetGroup {
    /// The query parameter.
    pub param: &'static str,
    /// In words.
    pub label: String,
    /// Values found, most first.
    pub values: Vec<FacetValue>,
    /// Every value one may choose, (value, label, selected).
    pub options: Vec<(String, String, bool)>,
}

#[derive(Template)]
#[template(path = "datasets_search.html")]
struct SearchPage {
    ctx: Ctx,
    q: String,
    sort: String,
    sorts: Vec<(&'static str, String)>,
    facets: Vec<FacetGroup>,
    hits: Vec<HitRow>,
    total: usize,
    matched_all_words: bool,
    any_filter: bool,
    clear_href: String,
    page: usize,
    pages: usize,
    prev_href: Option<String>,
    next_href: Option<String>,
}

/// `GET /datasets`: search the published datasets, with facets and pages.
pub async fn search(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(params): Query<SearchParams>,
) -> Result<Response, AppError> {
    let lang = ctx.lang;
    let query = params.query(lang)?;
    let page = params.page()?;
    let results = state.app.search_datasets(query).await?;
    // Each dataset's newest published version, for what the index does not hold (tier,
    // version, dates) and the publishers' names. One read of every dataset: fine for the
    // hundreds a national repository holds; a store query by slugs would replace it at scale.
    let views: BTreeMap<String, DatasetView> =
        state.app.public_datasets().await?.into_iter().map(|v| (v.stored.slug.clone(), v)).collect();
    let orgs: BTreeMap<String, String> =
        views.values().map(|v| (v.stored.org_slug.clone(), v.stored.org_name.clone())).collect();

    let hits = results
        .hits
        .iter()
        .filter_map(|h| {
            let v = views.get(&h.id)?;
            let ur_title = is_ur(lang) && !joined_is_empty(&h.title_ur);
            let ur_desc = is_ur(lang) && !joined_is_empty(&h.description_ur);
            let fallback = if is_ur(lang) { Some("en") } else { None };
            let mut formats: Vec<String> =
                v.files.iter().map(|f| format_label(lang, f.format.label())).collect();
            formats.dedup();
            let at = v.stored.published_at.clone().unwrap_or_else(|| v.stored.at.clone());
            Some(HitRow {
                slug: h.id.clone(),
                title: segs(if ur_title { &h.title_ur } else { &h.title_en }),
                title_lang: if ur_title { None } else { fallback },
                description: segs(if ur_desc { &h.description_ur } else { &h.description_en }),
                description_lang: if ur_desc { None } else { fallback },
                publisher: v.stored.org_name.clone(),
                access: access_label(lang, v.meta.access.id()),
                formats: formats.join(", "),
                version: v.stored.version,
                modified: lang.date_words(&at),
                modified_at: at,
                is_demo: v.stored.is_demo,
            })
        })
        .collect();

    let label_of = |param: &str, value: &str| -> String {
        match param {
            "access" => access_label(lang, value),
            "theme" => theme_label(lang, value),
            "province" => place_label(lang, value),
            "licence" => licence_label(lang, value),
            "format" => format_label(lang, value),
            _ => orgs.get(value).cloned().unwrap_or_else(|| lang.t("ds-unknown")),
        }
    };
    let f = &results.facets;
    let facets = FACETS
        .iter()
        .map(|&(param, key)| {
            let counts = match param {
                "access" => &f.access,
                "theme" => &f.theme,
                "province" => &f.province,
                "licence" => &f.licence,
                "format" => &f.format,
                _ => &f.publisher,
            };
            let chosen = params.get(param);
            let values = counts
                .iter()
                .map(|(value, count)| {
                    let selected = value == chosen;
                    FacetValue {
                        label: label_of(param, value),
                        count: *count,
                        href: params.href_with(param, if selected { "" } else { value }, None),
                        selected,
                    }
                })
                .collect();
            let all: Vec<String> = match param {
                "access" => AccessTier::ALL.iter().map(|t| t.id().to_owned()).collect(),
                "theme" => vocab::themes().iter().map(|t| t.id.clone()).collect(),
                "province" => vocab::provinces().iter().map(|p| p.id.clone()).collect(),
                "licence" => vocab::licences().iter().map(|l| l.id.clone()).collect(),
                "format" => [
                    mizan_catalog::FileFormat::Csv,
                    mizan_catalog::FileFormat::Parquet,
                    mizan_catalog::FileFormat::Jsonl,
                    mizan_catalog::FileFormat::Other,
                ]
                .iter()
                .map(|f| f.label().to_owned())
                .collect(),
                _ => orgs.keys().cloned().collect(),
            };
            let options = all
                .into_iter()
                .map(|v| (label_of(param, &v), v == chosen, v))
                .map(|(l, s, v)| (v, l, s))
                .collect();
            FacetGroup { param, label: lang.t(key), values, options }
        })
        .collect();

    let pages = results.total.div_ceil(PER_PAGE).clamp(1, MAX_PAGE);
    let sorts = vec![
        ("relevance", lang.t("ds-sort-relevance")),
        ("title", lang.t("ds-sort-title")),
        ("newest", lang.t("ds-sort-newest")),
    ];
    Ok(render(&SearchPage {
        prev_href: (page > 1).then(|| params.href_with("", "", Some(page - 1))),
        next_href: (page < pages).then(|| params.href_with("", "", Some(page + 1))),
        q: params.q.clone(),
        sort: if params.sort.is_empty() { "relevance".into() } else { params.sort.clone() },
        sorts,
        facets,
        hits,
        total: results.total,
        matched_all_words: results.matched_all_words,
        any_filter: params.any_filter(),
        clear_href: if params.q.is_empty() {
            "/datasets".into()
        } else {
            format!("/datasets?q={}", url_encode(&params.q))
        },
        page,
        pages,
        ctx,
    }))
}

// ---------------------------------------------------------------------------------------------
// The dataset page
// ---------------------------------------------------------------------------------------------

/// A file of the version.
pub struct FileRow {
    /// File name.
    pub name: String,
    /// Format in words.
    pub format: String,
    /// Size in words (empty for a file kept elsewhere).
    pub size: String,
    /// SHA-256, hex (empty for a file kept elsewhere).
    pub sha256: String,
    /// Where to download it, when the reader may.
    pub href: Option<String>,
}

/// A column the personal-data scan flagged.
pub struct FlagRow {
    /// The file.
    pub file: String,
    /// The column.
    pub column: String,
    /// What it holds, in words.
    pub kind: String,
    /// A direct identifier.
    pub direct: bool,
    /// Share of values of that kind.
    pub share: String,
    /// The steward's reason for publishing it.
    pub reason: Option<String>,
}

/// A profiled column.
pub struct ColumnRow {
    /// Name in the file.
    pub name: String,
    /// What it holds, from the dictionary, in the page language.
    pub label: String,
    /// `en` when the label fell back to English.
    pub label_lang: Option<&'static str>,
    /// Type in words.
    pub kind: String,
    /// Missing values, percent.
    pub missing: String,
    /// Distinct values ("about" when estimated).
    pub distinct: String,
    /// Smallest value (numbers).
    pub min: String,
    /// Largest value (numbers).
    pub max: String,
    /// Smallest value (text, dates: in `<code>`).
    pub min_text: String,
    /// Largest value (text, dates).
    pub max_text: String,
    /// Mean (numbers).
    pub mean: String,
    /// The histogram, inline SVG from `mizan_profile::svg` (numbers only).
    pub histogram: Option<String>,
    /// Most frequent values of a text column, (value, count).
    pub top: Vec<(String, u64)>,
    /// The top counts are estimates.
    pub top_estimated: bool,
}

/// A tabular file's profile.
pub struct ProfileView {
    /// The file.
    pub file: String,
    /// Rows, in words.
    pub rows: String,
    /// Duplicate rows, in words (exact or estimated).
    pub duplicates: String,
    /// Columns.
    pub columns: Vec<ColumnRow>,
}

/// A group of a sensitive column.
pub struct GroupRow {
    /// The value.
    pub value: String,
    /// Rows.
    pub count: u64,
    /// Share, percent.
    pub share: String,
    /// Fewer rows than the minimum group size.
    pub small: bool,
    /// Missing values of other columns in the group, (column, percent), where any.
    pub missing: Vec<(String, String)>,
}

/// A row of the comparison with a census reference.
pub struct CompareRow {
    /// The group.
    pub group: String,
    /// Share in the data, percent.
    pub observed: String,
    /// Share in the reference, percent; empty when the reference lacks the group.
    pub reference: String,
    /// Difference in percentage points.
    pub difference: String,
}

/// A sensitive column set against a census reference.
pub struct CompareView {
    /// Rows.
    pub rows: Vec<CompareRow>,
    /// The source's title.
    pub title: String,
    /// Its publisher.
    pub publisher: String,
    /// Its year.
    pub year: u16,
    /// Where to read it.
    pub url: String,
    /// The chart, inline SVG from `mizan_profile::svg`.
    pub svg: String,
}

/// The bias profile of one sensitive column.
pub struct BiasView {
    /// The file.
    pub file: String,
    /// The column.
    pub column: String,
    /// Rows with no value, percent.
    pub missing: String,
    /// Groups.
    pub groups: Vec<GroupRow>,
    /// The chart of shares, inline SVG from `mizan_profile::svg`.
    pub svg: String,
    /// The comparison with the 2023 census, where the column's values match one of its tables.
    pub compare: Option<CompareView>,
}

/// A version in the history.
pub struct VersionRow {
    /// Number.
    pub version: i64,
    /// Published at (RFC 3339).
    pub at: String,
    /// In words.
    pub date: String,
    /// This page's version.
    pub current: bool,
}

#[derive(Template)]
#[template(path = "datasets_show.html")]
struct DatasetPage {
    ctx: Ctx,
    slug: String,
    version: i64,
    title: String,
    title_lang: Option<&'static str>,
    description: String,
    description_lang: Option<&'static str>,
    publisher: String,
    publisher_slug: String,
    access: String,
    access_explained: String,
    licence: Option<(String, String, bool)>,
    themes: Vec<String>,
    places: Vec<String>,
    period: String,
    frequency: String,
    contact_name: String,
    contact_email: String,
    keywords: Vec<String>,
    published_at: String,
    published: String,
    is_demo: bool,
    newer: Option<i64>,
    files: Vec<FileRow>,
    some_without_link: bool,
    flags: Vec<FlagRow>,
    profiles: Vec<ProfileView>,
    bias: Vec<BiasView>,
    min_group_size: u64,
    dictionary: Vec<DictRow>,
    versions: Vec<VersionRow>,
    json_ld: String,
    /// Registered tier: the signed-in reader has not accepted the terms yet.
    terms_form: bool,
    /// Registered tier: nobody is signed in; where to sign in.
    sign_in_href: Option<String>,
    /// Registered tier: the reader accepted the terms.
    accepted: bool,
    terms_title: String,
    terms_text: String,
    terms_error: bool,
    /// Restricted tier: the access figures so far.
    access_figures: Option<AccessFiguresView>,
    /// Restricted tier: where to ask (signed in, no open request and no access yet).
    ask_href: Option<String>,
    /// Restricted tier: the reader's open request.
    open_request: Option<String>,
    /// Restricted tier: the reader's access ends then.
    access_until: Option<String>,
    /// Restricted tier with sandbox settings: the budget and every spend so far.
    sandbox: Option<SandboxView>,
}

/// A version's sandbox as the public sees it: the settings' budgets and every spend, so anyone
/// can add up what was spent (each spend is an event in the events log, with its proof).
struct SandboxView {
    unit_column: String,
    max_rows: u32,
    project_epsilon: String,
    max_query_epsilon: String,
    total_epsilon: String,
    spends: usize,
    projects: usize,
    /// The newest spends: when, shape, ε, event id.
    recent: Vec<(String, String, String, i64)>,
}

/// A restricted dataset's access figures in words.
struct AccessFiguresView {
    requests: i64,
    approved: i64,
    refused: i64,
    median_days: String,
}

/// `GET /datasets/{slug}`: the newest published version.
pub async fn latest(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(slug): Path<String>,
) -> Result<Response, AppError> {
    let view = state.app.public_dataset(&slug, None).await?;
    dataset_page(&state, ctx, &view, false).await
}

/// `GET /datasets/{slug}/v/{version}`: a published version.
pub async fn version(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, version)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let view = state.app.public_dataset(&slug, Some(parse_version(&version)?)).await?;
    dataset_page(&state, ctx, &view, false).await
}

fn period_words(lang: Lang, t: &mizan_catalog::Temporal) -> String {
    // Dates are `YYYY-MM-DD`; as midnight UTC they read as that day in words.
    let day = |d: &str| lang.date_words(&format!("{d}T00:00:00Z"));
    match (t.start.as_deref(), t.end.as_deref()) {
        (Some(a), Some(b)) => lang.t_args("ds-period-range", &[("start", day(a)), ("end", day(b))]),
        (Some(a), None) => lang.t_args("ds-period-from", &[("start", day(a))]),
        (None, Some(b)) => lang.t_args("ds-period-until", &[("end", day(b))]),
        (None, None) => String::new(),
    }
}

fn scalar_words(lang: Lang, s: &Scalar) -> (String, String) {
    match s {
        Scalar::Bool(b) => (lang.t(if *b { "ds-true" } else { "ds-false" }), String::new()),
        #[expect(clippy::cast_precision_loss, reason = "shown to four significant digits")]
        Scalar::Int(i) => (num(*i as f64), String::new()),
        Scalar::Float(x) => (num(*x), String::new()),
        Scalar::Text(t) => (String::new(), t.clone()),
    }
}

fn column_row(lang: Lang, meta: &mizan_catalog::DatasetMeta, c: &ColumnProfile) -> ColumnRow {
    let dict = meta.dictionary.iter().find(|d| d.name == c.name);
    let (label, label_lang) = dict.map_or((String::new(), None), |d| pick(lang, &d.description));
    let kind = match dict {
        Some(d) => crate::views::datasets::column_type_label(lang, d.kind),
        None => lang.t(&format!("ds-kind-{}", kind_id(c.kind))),
    };
    let distinct = if c.distinct.exact {
        c.distinct.count.to_string()
    } else {
        lang.t_args("ds-about", &[("n", c.distinct.count.to_string())])
    };
    let (min, min_text) = c.min.as_ref().map(|s| scalar_words(lang, s)).unwrap_or_default();
    let (max, max_text) = c.max.as_ref().map(|s| scalar_words(lang, s)).unwrap_or_default();
    let numeric = matches!(c.kind, Kind::Integer | Kind::Float);
    let mean = match (c.kind, c.mean) {
        (Kind::Integer | Kind::Float, Some(m)) => num(m),
        (Kind::Boolean, Some(m)) => lang.t_args("ds-true-share", &[("share", percent(m))]),
        _ => String::new(),
    };
    // The chart names the column in words (its name with spaces for underscores); the exact
    // name is beside it in the table.
    let histogram = (numeric && c.histogram.as_ref().is_some_and(|h| !h.bins.is_empty())).then(|| {
        let mut shown = c.clone();
        shown.name = c.name.replace('_', " ");
        mizan_profile::svg::histogram(&shown)
    });
    let text = matches!(c.kind, Kind::Text | Kind::Boolean);
    ColumnRow {
        name: c.name.clone(),
        label,
        label_lang,
        kind,
        missing: percent(c.null_share),
        distinct,
        min,
        max,
        min_text,
        max_text,
        mean,
        histogram,
        top: if text {
            c.top_values.iter().take(TOP_VALUES).map(|t| (t.value.clone(), t.count)).collect()
        } else {
            vec![]
        },
        top_estimated: !c.top_exact,
    }
}

/// The census table a sensitive column's values fit: most of its rows name one of the
/// reference's groups (by name or alias).
#[expect(clippy::cast_precision_loss, reason = "row counts compared as a share")]
fn matching_reference(column: &SensitiveColumn) -> Option<&'static mizan_profile::Reference> {
    let known: u64 = column.groups.iter().map(|g| g.count).sum();
    if known == 0 {
        return None;
    }
    mizan_profile::references()
        .iter()
        .map(|r| {
            let matched: u64 =
                column.groups.iter().filter(|g| r.group(&g.value).is_some()).map(|g| g.count).sum();
            (r, matched as f64 / known as f64)
        })
        .filter(|(_, share)| *share >= 0.5)
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(r, _)| r)
}

fn bias_view(file: &str, column: &SensitiveColumn) -> BiasView {
    let groups = column
        .groups
        .iter()
        .map(|g| GroupRow {
            value: g.value.clone(),
            count: g.count,
            share: percent(g.share),
            small: g.under_min_size,
            missing: g
                .missing_share_per_column
                .iter()
                .filter(|(_, s)| **s > 0.0)
                .map(|(c, s)| (c.clone(), percent(*s)))
                .collect(),
        })
        .collect();
    let mut shown = column.clone();
    shown.column = column.column.replace('_', " ");
    let compare = matching_reference(column).map(|r| {
        let c = mizan_profile::bias::compare(&shown, r);
        CompareView {
            rows: c
                .rows
                .iter()
                .map(|row| CompareRow {
                    group: row.group.clone(),
                    observed: percent(row.observed_share),
                    reference: row.reference_share.map(percent).unwrap_or_default(),
                    difference: row.difference.map(|d| format!("{:+.1}", d * 100.0)).unwrap_or_default(),
                })
                .collect(),
            title: c.citation.title.clone(),
            publisher: c.citation.publisher.clone(),
            year: c.citation.year,
            url: c.citation.url.clone(),
            svg: mizan_profile::svg::comparison(&c),
        }
    });
    BiasView {
        file: file.to_owned(),
        column: column.column.clone(),
        missing: percent(column.missing_share),
        groups,
        svg: mizan_profile::svg::bars(&shown),
        compare,
    }
}

/// The schema.org JSON-LD of the version, safe to put in a `<script>` element: the same export
/// input as the DCAT-AP and Croissant documents (`DatasetView::export_parts`).
fn json_ld(base: &str, view: &DatasetView) -> String {
    let base = base.trim_end_matches('/');
    let parts = view.export_parts(base);
    schema_org::script_safe(&schema_org::dataset(&view.export_view(base, &parts)))
}

async fn dataset_page(
    state: &AppState,
    ctx: Ctx,
    view: &DatasetView,
    terms_error: bool,
) -> Result<Response, AppError> {
    let lang = ctx.lang;
    let meta = &view.meta;
    let s = &view.stored;
    let user = user_id(&ctx);
    let accepted = match (meta.access, user) {
        (AccessTier::Registered, Some(u)) => state.app.accepted_terms(view, u).await?,
        _ => false,
    };
    let grant = match (meta.access, user) {
        (AccessTier::Restricted, Some(u)) => state.app.access_grant(view, u).await?,
        _ => None,
    };
    let may_download = match meta.access {
        AccessTier::Open => true,
        AccessTier::Registered => accepted,
        AccessTier::Restricted => grant.is_some(),
    };
    let restricted = meta.access == AccessTier::Restricted;
    let access_figures = if restricted {
        let f = state.app.data_access_figures(&s.slug).await?;
        Some(AccessFiguresView {
            requests: f.requests,
            approved: f.approved,
            refused: f.refused,
            median_days: f.median_days.map_or_else(|| lang.t("da-figures-none"), |d| format!("{d:.1}")),
        })
    } else {
        None
    };
    let sandbox = if restricted {
        state.app.sandbox_of(view).await?.map(|sb| SandboxView {
            unit_column: sb.settings.unit_column.clone(),
            max_rows: sb.settings.max_rows_per_unit,
            project_epsilon: format!("{}", sb.settings.project_epsilon),
            max_query_epsilon: format!("{}", sb.settings.max_query_epsilon),
            total_epsilon: format!("{:.4}", sb.total_epsilon())
                .trim_end_matches('0')
                .trim_end_matches('.')
                .to_owned(),
            spends: sb.spends.len(),
            projects: sb.projects(),
            recent: sb
                .spends
                .iter()
                .rev()
                .take(20)
                .map(|x| (x.at.clone(), x.shape.clone(), format!("{}", x.epsilon), x.event_id))
                .collect(),
        })
    } else {
        None
    };
    let open_request = match (restricted, user, &grant) {
        (true, Some(u), None) => state
            .app
            .store()
            .open_case_filed_by(
                mizan_app::dataset_access::DATA_ACCESS,
                &mizan_app::dataset_access::subject_of(&s.slug),
                u,
            )
            .await?
            .map(|r| format!("/app/data-access/{r}")),
        _ => None,
    };
    let page_href = format!("/datasets/{}/v/{}", s.slug, s.version);
    let files: Vec<FileRow> = view
        .files
        .iter()
        .map(|f| {
            let (size, sha256, href) = match &f.source {
                Source::File { sha256, bytes } => (
                    size_words(lang, *bytes),
                    sha256.clone(),
                    may_download.then(|| format!("{page_href}/files/{}", url_encode(&f.name))),
                ),
                Source::Url { url } => (String::new(), String::new(), may_download.then(|| url.clone())),
            };
            FileRow { name: f.name.clone(), format: format_label(lang, f.format.label()), size, sha256, href }
        })
        .collect();
    let flags = view
        .scan
        .files
        .iter()
        .flat_map(|f| f.pii.iter().map(move |p| (f, p)))
        .map(|(f, p)| FlagRow {
            file: f.name.clone(),
            column: p.column.clone(),
            kind: pii_label(lang, &p.kind),
            direct: p.direct,
            share: percent(p.share),
            reason: meta.pii_reason(&p.column).map(str::to_owned),
        })
        .collect();
    let mut profiles = Vec::new();
    let mut bias = Vec::new();
    let mut min_group_size = 0;
    for f in &view.scan.files {
        let Some(p) = &f.profile else { continue };
        profiles.push(ProfileView {
            file: f.name.clone(),
            rows: lang.t_count("ds-rows", "count", p.rows),
            duplicates: lang.t_args(
                if p.duplicate_rows.exact { "ds-duplicates-exact" } else { "ds-duplicates-estimated" },
                &[("n", p.duplicate_rows.count.to_string())],
            ),
            columns: p.columns.iter().map(|c| column_row(lang, meta, c)).collect(),
        });
        if let Some(b) = &p.bias {
            min_group_size = b.min_group_size;
            bias.extend(b.columns.iter().map(|c| bias_view(&f.name, c)));
        }
    }
    let dictionary = dict_rows(lang, meta);
    let versions: Vec<VersionRow> = view
        .versions
        .iter()
        .map(|v| {
            let at = v.published_at.clone().unwrap_or_else(|| v.at.clone());
            VersionRow { version: v.version, date: lang.date_words(&at), at, current: v.version == s.version }
        })
        .collect();
    let newer = view.versions.iter().map(|v| v.version).max().filter(|n| *n > s.version);
    let terms = vocab::terms("registered-use");
    let (title, title_lang) = pick(lang, &meta.title);
    let (description, description_lang) = pick(lang, &meta.description);
    let published_at = s.published_at.clone().unwrap_or_else(|| s.at.clone());
    let access_explained = lang.t(&format!("ds-access-{}-explained", meta.access.id()));
    let registered = meta.access == AccessTier::Registered;
    Ok(render(&DatasetPage {
        slug: s.slug.clone(),
        version: s.version,
        title,
        title_lang,
        description,
        description_lang,
        publisher: s.org_name.clone(),
        publisher_slug: s.org_slug.clone(),
        access: access_label(lang, meta.access.id()),
        access_explained,
        licence: vocab::licence(&meta.licence).map(|l| (labels(lang, &l.title), l.url.clone(), l.open)),
        themes: meta.themes.iter().map(|t| theme_label(lang, t)).collect(),
        places: meta.spatial.iter().map(|p| place_label(lang, p)).collect(),
        period: period_words(lang, &meta.temporal),
        frequency: frequency_label(lang, &meta.frequency),
        contact_name: meta.contact.name.clone(),
        contact_email: meta.contact.email.clone(),
        keywords: meta.keywords.clone(),
        published: lang.date_words(&published_at),
        published_at,
        is_demo: s.is_demo,
        newer,
        some_without_link: files.iter().any(|f| f.href.is_none()),
        files,
        flags,
        profiles,
        bias,
        min_group_size,
        dictionary,
        versions,
        json_ld: json_ld(&state.app.config().base_url, view),
        terms_form: registered && user.is_some() && !accepted,
        sign_in_href: ((registered || restricted) && user.is_none())
            .then(|| format!("/login?next={}", url_encode(&format!("{page_href}#access")))),
        ask_href: (restricted && user.is_some() && grant.is_none() && open_request.is_none())
            .then(|| format!("{page_href}/access")),
        access_until: grant.map(|(_, until)| mizan_store::format_time(until)),
        sandbox,
        open_request,
        access_figures,
        accepted: registered && accepted,
        terms_title: terms.map(|t| labels(lang, &t.title)).unwrap_or_default(),
        terms_text: terms.map(|t| labels(lang, &t.text)).unwrap_or_default(),
        terms_error,
        ctx,
    }))
}

/// `POST /datasets/{slug}/v/{version}/terms`: the signed-in reader accepts the registered-use
/// terms for this version (the `accept` box ticked), then goes back to the page.
pub async fn accept_terms(
    State(state): State<AppState>,
    ctx: Ctx,
    SignedIn(p): SignedIn,
    Path((slug, version)): Path<(String, String)>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, AppError> {
    let view = state.app.public_dataset(&slug, Some(parse_version(&version)?)).await?;
    let Some(user) = p.user.as_ref().map(|u| u.id) else {
        return Err(AppError::Refused(ctx.t("ds-terms-person-only")));
    };
    let back = format!("/datasets/{}/v/{}#access", view.stored.slug, view.stored.version);
    if view.meta.access != AccessTier::Registered {
        return Ok(Redirect::to(&back).into_response());
    }
    if form.get("accept") != "yes" {
        let mut res = dataset_page(&state, ctx, &view, true).await?;
        *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        return Ok(res);
    }
    state.app.accept_terms(&view, user).await?;
    Ok(Redirect::to(&back).into_response())
}

// ---------------------------------------------------------------------------------------------
// Downloads
// ---------------------------------------------------------------------------------------------

/// What a `Range` header asks of a file of `len` bytes.
#[derive(Debug, PartialEq, Eq)]
enum RangeAsk {
    /// No usable range (absent, not bytes, malformed, or several): the whole file.
    Whole,
    /// Bytes `start..=end`.
    Part(u64, u64),
    /// A range that starts past the end (or an empty suffix).
    Unsatisfiable,
}

/// Parses `Range` (RFC 9110 §14.1.2) against a file of `len` bytes. Several ranges are served
/// as the whole file; a malformed header is ignored, as the RFC allows.
fn parse_range(value: &str, len: u64) -> RangeAsk {
    let Some(set) = value.trim().strip_prefix("bytes=") else { return RangeAsk::Whole };
    if set.contains(',') {
        return RangeAsk::Whole;
    }
    let Some((a, b)) = set.trim().split_once('-') else { return RangeAsk::Whole };
    let (a, b) = (a.trim(), b.trim());
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit());
    match (digits(a), digits(b), b.is_empty()) {
        // `-n`: the last n bytes.
        (false, true, _) if a.is_empty() => match b.parse::<u64>() {
            Ok(0) => RangeAsk::Unsatisfiable,
            Ok(n) if len > 0 => RangeAsk::Part(len.saturating_sub(n), len - 1),
            Ok(_) => RangeAsk::Unsatisfiable,
            // More digits than a u64 holds: the whole file is the last "n" bytes.
            Err(_) if len > 0 => RangeAsk::Part(0, len - 1),
            Err(_) => RangeAsk::Unsatisfiable,
        },
        // `a-` or `a-b`.
        (true, _, empty) if empty || digits(b) => {
            let Ok(start) = a.parse::<u64>() else { return RangeAsk::Unsatisfiable };
            let end = if empty { u64::MAX } else { b.parse::<u64>().unwrap_or(u64::MAX) };
            if end < start {
                RangeAsk::Whole
            } else if start >= len {
                RangeAsk::Unsatisfiable
            } else {
                RangeAsk::Part(start, end.min(len - 1))
            }
        }
        _ => RangeAsk::Whole,
    }
}

/// Whether an `If-None-Match` value names `etag` (weak comparison, RFC 9110 §13.1.2) or is `*`.
fn none_match(value: &str, etag: &str) -> bool {
    value.split(',').map(str::trim).any(|t| t == "*" || t.strip_prefix("W/").unwrap_or(t) == etag)
}

/// `Content-Disposition: attachment` with an ASCII `filename` and the exact name as
/// `filename*` (RFC 6266, RFC 8187).
fn content_disposition(name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' { c } else { '_' })
        .collect();
    let mut encoded = String::with_capacity(name.len());
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(char::from(b));
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

fn header_value(s: &str) -> Result<HeaderValue, AppError> {
    HeaderValue::from_str(s).map_err(|e| AppError::Internal(format!("header value `{s}`: {e}")))
}

/// `GET /datasets/{slug}/v/{version}/files/{name}`: the file, when the version's tier lets the
/// reader have it; one byte range on request.
pub async fn download(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path((slug, version, name)): Path<(String, String, String)>,
) -> Result<Response, AppError> {
    let view = state.app.public_dataset(&slug, Some(parse_version(&version)?)).await?;
    let user = user_id(&ctx);
    // A download token of an approved access request (`mzd_…`), for scripts.
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| t.starts_with(mizan_app::dataset_access::TOKEN_PREFIX));
    if view.meta.access != AccessTier::Open && user.is_none() && token.is_none() {
        // Sign in first; the sign-in page comes back here.
        return Err(AppError::Unauthenticated);
    }
    let who = mizan_app::dataset_access::Downloader { user, token };
    let dist = match state.app.dataset_download(&view, &name, who).await {
        Ok(x) => x,
        Err(mizan_app::Error::Refused(_)) => {
            let key = if view.meta.access == AccessTier::Registered {
                "ds-refused-terms"
            } else {
                "ds-refused-restricted"
            };
            return Err(AppError::Refused(ctx.t(key)));
        }
        Err(e) => return Err(e.into()),
    };
    let Source::File { sha256, .. } = &dist.source else {
        return Err(AppError::NotFound(format!("file `{name}`")));
    };
    let files = state.app.dataset_files();
    let len = files.size(sha256).await?;
    let etag = format!("\"{sha256}\"");
    let digest =
        hex::decode(sha256).map_err(|e| AppError::Internal(format!("stored hash `{sha256}`: {e}")))?;
    let mut h = HeaderMap::new();
    h.insert(header::ETAG, header_value(&etag)?);
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(
        "repr-digest",
        header_value(&format!("sha-256=:{}:", base64::engine::general_purpose::STANDARD.encode(digest)))?,
    );
    // An open file is the same bytes for everyone for ever (a version never changes); any
    // other is the reader's own and kept by no cache.
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(if view.meta.access == AccessTier::Open {
            "public, max-age=86400, no-transform"
        } else {
            "private, no-store, no-transform"
        }),
    );
    if headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()).is_some_and(|v| none_match(v, &etag))
    {
        return Ok((StatusCode::NOT_MODIFIED, h).into_response());
    }
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(dist.format.media_type()));
    h.insert(header::CONTENT_DISPOSITION, header_value(&content_disposition(&dist.name))?);
    // `If-Range` with another validator (or a date: ours are hashes) asks for the whole file.
    let if_range_ok = headers.get(header::IF_RANGE).is_none_or(|v| v.as_bytes() == etag.as_bytes());
    let ask = match headers.get(header::RANGE).and_then(|v| v.to_str().ok()) {
        Some(r) if if_range_ok => parse_range(r, len),
        _ => RangeAsk::Whole,
    };
    let (status, start, count) = match ask {
        RangeAsk::Whole => (StatusCode::OK, 0, len),
        RangeAsk::Part(a, b) => {
            h.insert(header::CONTENT_RANGE, header_value(&format!("bytes {a}-{b}/{len}"))?);
            (StatusCode::PARTIAL_CONTENT, a, b - a + 1)
        }
        RangeAsk::Unsatisfiable => {
            h.insert(header::CONTENT_RANGE, header_value(&format!("bytes */{len}"))?);
            h.remove(header::CONTENT_DISPOSITION);
            // Rendered here (text/html), so the page layer passes it through with its status.
            let page = ErrorPage::new(ctx.lang, 416, "ds-range-unsatisfiable", vec![]);
            let mut res = (StatusCode::RANGE_NOT_SATISFIABLE, Html(page.render_string())).into_response();
            for (k, v) in [header::CONTENT_RANGE, header::ETAG, header::ACCEPT_RANGES]
                .into_iter()
                .filter_map(|k| h.get(&k).cloned().map(|v| (k, v)))
            {
                res.headers_mut().insert(k, v);
            }
            return Ok(res);
        }
    };
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(count));
    // Read a chunk at a time from disk or object storage; a file that ends early ends the body
    // early (the client sees fewer bytes than `Content-Length` and knows).
    let stream = files.read(sha256, start, count).await?;
    Ok((status, h, Body::from_stream(stream)).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        use RangeAsk::{Part, Unsatisfiable, Whole};
        for (header, expect) in [
            ("bytes=0-9", Part(0, 9)),
            ("bytes=10-", Part(10, 99)),
            ("bytes=-10", Part(90, 99)),
            ("bytes=-1000", Part(0, 99)),
            ("bytes=90-1000", Part(90, 99)),
            ("bytes=99-99", Part(99, 99)),
            ("bytes=100-", Unsatisfiable),
            ("bytes=-0", Unsatisfiable),
            ("bytes=0-1,5-6", Whole),
            ("bytes=9-2", Whole),
            ("bytes=a-b", Whole),
            ("items=0-1", Whole),
            ("bytes=-", Whole),
            ("bytes=99999999999999999999999-", Unsatisfiable),
        ] {
            assert_eq!(parse_range(header, 100), expect, "{header}");
        }
    }

    #[test]
    fn file_names_in_content_disposition() {
        assert_eq!(
            content_disposition("a b.csv"),
            "attachment; filename=\"a b.csv\"; filename*=UTF-8''a%20b.csv"
        );
        assert_eq!(
            content_disposition("اردو\".csv"),
            "attachment; filename=\"_____.csv\"; filename*=UTF-8''%D8%A7%D8%B1%D8%AF%D9%88%22.csv"
        );
    }

    #[test]
    fn sizes_and_numbers_in_words() {
        assert_eq!(size_words(Lang::En, 58_000), "57 KB");
        assert_eq!(size_words(Lang::En, 1_500_000), "1.4 MB");
        assert_eq!(num(2.5), "2.5");
        assert_eq!(num(1234.5678), "1234.6");
        assert_eq!(percent(0.125), "12.5 %");
        assert!(none_match("W/\"ab\", \"cd\"", "\"ab\""));
        assert!(!none_match("\"cd\"", "\"ab\""));
    }
}
