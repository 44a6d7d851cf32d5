//! The data steward's pages (issue #18): the organisation's datasets, the form that creates a
//! dataset or edits its metadata, and the page that manages the newest version: upload and
//! remove files, record a reason for each column the personal-data scan flagged as a direct
//! identifier, and publish. A steward publishes a dataset in the browser, without the API.
//!
//! Every change goes through the operations the steward's API uses
//! (`mizan_app::Platform::{create_dataset, update_dataset_meta, add_dataset_file,
//! remove_dataset_file, publish_dataset}`) and names the version it was made from (`after`, a
//! hidden field). A form made from an older version than the newest changes nothing: the page
//! shows the newest version and says someone changed the dataset meanwhile.
//!
//! **The upload form** is `multipart/form-data`, read part by part (multer, through axum's
//! `Multipart`): the file part goes to `mizan_app::datasets::Upload` chunk by chunk as it
//! arrives, so memory stays flat whatever the size, and the body stops at
//! `Limits::dataset_file_bytes` (plus the form's slack, by the route's body limit). The CSRF
//! token is checked as soon as its part arrives (the form sends it first) and again before
//! anything is kept; an upload refused for any reason removes its temporary file when the
//! `Upload` is dropped.
//!
//! Pages show words: tiers, licences, themes, places, frequencies and personal-data kinds come
//! from the vocabularies or the Fluent files; slugs, column names and hashes are identifiers
//! and go in `<code>`. A form's errors are shown next to the input they are about, in the
//! page's language, with what was typed kept.

use crate::views::datasets::{DictRow, dict_rows, is_ur, percent, pick, pii_label, size_words};
use askama::Template;
use axum::extract::multipart::{Field, MultipartError, MultipartRejection};
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use mizan_app::datasets::{DatasetView, Upload};
use mizan_catalog::{AccessTier, DatasetMeta, FieldError, PiiReason, Source, vocab};
use mizan_store::ActorRef;
use serde::Deserialize;

use crate::AppState;
use crate::auth::{SignedIn, require};
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::pages::{Ctx, render};
use crate::util::FormFields;

/// The permission every page here needs.
const PERMISSION: &str = "datasets:write";
/// Longest text part of the upload form (the CSRF token, `after`, a file name), in bytes.
const MAX_TEXT_PART: usize = 1024;
/// Longest reason for publishing a flagged column, in characters.
const MAX_REASON: usize = 2000;
/// Slugs the page routes use themselves (`/app/datasets/new`).
const RESERVED_SLUGS: [&str; 1] = ["new"];

// ---------------------------------------------------------------------------------------------
// Words for ids
// ---------------------------------------------------------------------------------------------

fn term_label(lang: Lang, t: &vocab::Term) -> String {
    if is_ur(lang) { t.ur.clone() } else { t.en.clone() }
}

fn place_label(lang: Lang, p: &vocab::Place) -> String {
    if is_ur(lang) { p.ur.clone() } else { p.en.clone() }
}

fn licence_label(lang: Lang, l: &vocab::Licence) -> String {
    let name = if is_ur(lang) { &l.title.ur } else { &l.title.en };
    let open = lang.t(if l.open { "ds-licence-open" } else { "ds-licence-not-open" });
    format!("{name} ({open})")
}

fn access_label(lang: Lang, tier: AccessTier) -> String {
    lang.t(&format!("ds-access-{}", tier.id()))
}

/// Why a column was flagged (`column-name`, `values`, `both`) in words.
fn evidence_label(lang: Lang, evidence: &str) -> String {
    let key = format!("dss-evidence-{evidence}");
    if lang.has(&key) { lang.t(&key) } else { String::new() }
}

fn bad(field: &str, detail: impl Into<String>) -> AppError {
    AppError::BadRequest { field: Some(field.into()), detail: detail.into() }
}

fn manage_href(slug: &str, done: &str) -> String {
    format!("/app/datasets/{slug}?done={done}")
}

// ---------------------------------------------------------------------------------------------
// The organisation's datasets
// ---------------------------------------------------------------------------------------------

/// One of the organisation's datasets, at its newest version.
pub struct ListRow {
    /// Slug.
    pub slug: String,
    /// Title in the page language.
    pub title: String,
    /// `en` when the Urdu page shows the English title.
    pub title_lang: Option<&'static str>,
    /// Newest version.
    pub version: i64,
    /// The newest version is published.
    pub published: bool,
    /// The version the public sees, when one is published.
    pub public_version: Option<i64>,
    /// Access tier in words.
    pub access: String,
    /// When the newest version was made (RFC 3339).
    pub at: String,
}

#[derive(Template)]
#[template(path = "steward_list.html")]
struct ListPage {
    ctx: Ctx,
    rows: Vec<ListRow>,
}

/// `GET /app/datasets`: the organisation's datasets, each at its newest version.
pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    SignedIn(p): SignedIn,
) -> Result<Response, AppError> {
    require(&p, PERMISSION)?;
    let mut rows = Vec::new();
    for v in state.app.org_datasets(p.scope()).await? {
        // One read per dataset for its newest published version: a steward's datasets are few.
        let public = state.app.store().dataset_versions(v.stored.dataset_id, true).await?;
        let (title, title_lang) = pick(ctx.lang, &v.meta.title);
        rows.push(ListRow {
            published: v.is_published(),
            public_version: public.first().map(|r| r.version),
            access: access_label(ctx.lang, v.meta.access),
            slug: v.stored.slug.clone(),
            title,
            title_lang,
            version: v.stored.version,
            at: v.stored.at.clone(),
        });
    }
    Ok(render(&ListPage { ctx, rows }))
}

// ---------------------------------------------------------------------------------------------
// The metadata form
// ---------------------------------------------------------------------------------------------

/// What the metadata form holds, as typed.
#[derive(Debug, Clone, Default)]
struct MetaForm {
    slug: String,
    title_en: String,
    title_ur: String,
    description_en: String,
    description_ur: String,
    themes: Vec<String>,
    keywords: String,
    licence: String,
    access: String,
    spatial: Vec<String>,
    start: String,
    end: String,
    frequency: String,
    contact_name: String,
    contact_email: String,
}

impl MetaForm {
    fn from_meta(slug: &str, m: &DatasetMeta) -> MetaForm {
        MetaForm {
            slug: slug.to_owned(),
            title_en: m.title.en.clone(),
            title_ur: m.title.ur.clone(),
            description_en: m.description.en.clone(),
            description_ur: m.description.ur.clone(),
            themes: m.themes.clone(),
            keywords: m.keywords.join(", "),
            licence: m.licence.clone(),
            access: m.access.id().to_owned(),
            spatial: m.spatial.clone(),
            start: m.temporal.start.clone().unwrap_or_default(),
            end: m.temporal.end.clone().unwrap_or_default(),
            frequency: m.frequency.clone(),
            contact_name: m.contact.name.clone(),
            contact_email: m.contact.email.clone(),
        }
    }

    fn from_fields(f: &FormFields) -> MetaForm {
        MetaForm {
            slug: f.get("slug").to_owned(),
            title_en: f.get("title.en").to_owned(),
            title_ur: f.get("title.ur").to_owned(),
            description_en: f.get("description.en").to_owned(),
            description_ur: f.get("description.ur").to_owned(),
            themes: f.all("themes"),
            keywords: f.get("keywords").to_owned(),
            licence: f.get("licence").to_owned(),
            access: f.get("access").to_owned(),
            spatial: f.all("spatial"),
            start: f.get("temporal.start").to_owned(),
            end: f.get("temporal.end").to_owned(),
            frequency: f.get("frequency").to_owned(),
            contact_name: f.get("contact.name").to_owned(),
            contact_email: f.get("contact.email").to_owned(),
        }
    }

    /// The metadata the form describes, on top of `base` (what the form does not show, the
    /// data dictionary, the reasons for flagged columns and the responsible-AI notes, is kept
    /// from it), with every field that is wrong.
    fn to_meta(&self, base: Option<&DatasetMeta>) -> (DatasetMeta, Vec<FieldError>) {
        let mut errors = Vec::new();
        let access = AccessTier::parse(&self.access).unwrap_or_else(|| {
            errors.push(FieldError { field: "access".into(), message: "choose who may download".into() });
            AccessTier::Restricted
        });
        let date = |s: &str| (!s.is_empty()).then(|| s.to_owned());
        let keywords = self
            .keywords
            .split([',', '\u{060C}'])
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .map(str::to_owned)
            .collect();
        let meta = DatasetMeta {
            title: mizan_catalog::Text::new(&self.title_en, &self.title_ur),
            description: mizan_catalog::Text::new(&self.description_en, &self.description_ur),
            themes: self.themes.clone(),
            keywords,
            licence: self.licence.clone(),
            temporal: mizan_catalog::Temporal { start: date(&self.start), end: date(&self.end) },
            spatial: self.spatial.clone(),
            contact: mizan_catalog::Contact {
                name: self.contact_name.clone(),
                email: self.contact_email.clone(),
            },
            frequency: self.frequency.clone(),
            access,
            dictionary: base.map(|b| b.dictionary.clone()).unwrap_or_default(),
            pii_reasons: base.map(|b| b.pii_reasons.clone()).unwrap_or_default(),
            rai: base.map(|b| b.rai.clone()).unwrap_or_default(),
        };
        errors.extend(meta.problems());
        (meta, errors)
    }
}

/// The id of the input a field error is about: `title.en` → `title-en`, `themes[2]` →
/// `themes`, `temporal.start` → `temporal-start`.
fn input_id(field: &str) -> String {
    field.split('[').next().unwrap_or(field).replace(['.', '_'], "-")
}

/// A field error in the page's language: what the field needs, said for its input.
fn error_words(lang: Lang, e: &FieldError) -> (String, String) {
    let id = input_id(&e.field);
    let key = match id.as_str() {
        "licence" if e.message.contains("open licence") => "dss-err-licence-open".to_owned(),
        "temporal-end" if e.message.contains("before") => "dss-err-temporal-order".to_owned(),
        "slug" if e.message.contains("already exists") => "dss-err-slug-taken".to_owned(),
        other => format!("dss-err-{other}"),
    };
    let text = if lang.has(&key) {
        lang.t(&key)
    } else {
        lang.t_args("dss-err-other", &[("field", e.field.clone()), ("detail", e.message.clone())])
    };
    (id, text)
}

/// A checkbox, radio button or option.
pub struct Choice {
    /// The value sent.
    pub value: String,
    /// In words.
    pub label: String,
    /// Chosen.
    pub on: bool,
    /// What choosing it means (access tiers).
    pub explained: String,
}

/// A province with its districts, as checkboxes.
pub struct PlaceGroup {
    /// The province itself.
    pub province: Choice,
    /// Its districts.
    pub districts: Vec<Choice>,
}

/// A text, date or e-mail input, or a text area.
pub struct TextInput {
    /// Element id (what an error links to).
    pub id: &'static str,
    /// Form field name.
    pub name: &'static str,
    /// Label.
    pub label: String,
    /// A hint under the label.
    pub hint: String,
    /// What it holds.
    pub value: String,
    /// `text`, `textarea`, `email` or `date`.
    pub kind: &'static str,
    /// `en` or `ur` when the input is for one language's text.
    pub lang: Option<&'static str>,
    /// Longest value.
    pub max: usize,
    /// Its error, in the page language.
    pub error: Option<String>,
}

impl TextInput {
    /// `rtl` for Urdu text; `ltr` for English text, dates, addresses and the slug; `auto` for
    /// what may be written in either language (keywords, a contact's name).
    #[must_use]
    pub fn dir(&self) -> &'static str {
        match (self.lang, self.kind) {
            (Some("ur"), _) => "rtl",
            (Some(_), _) | (None, "email" | "date") => "ltr",
            _ if self.id == "slug" => "ltr",
            _ => "auto",
        }
    }
}

#[derive(Template)]
#[template(path = "steward_form.html")]
struct FormPage {
    ctx: Ctx,
    /// The slug when editing; `None` for a new dataset.
    editing: Option<String>,
    /// The version the edit is made from.
    after: i64,
    /// Slug, titles, descriptions and keywords.
    about: Vec<TextInput>,
    themes: Vec<Choice>,
    themes_error: Option<String>,
    licences: Vec<Choice>,
    licence_error: Option<String>,
    tiers: Vec<Choice>,
    access_error: Option<String>,
    places: Vec<PlaceGroup>,
    places_error: Option<String>,
    period: Vec<TextInput>,
    frequencies: Vec<Choice>,
    frequency_error: Option<String>,
    contact: Vec<TextInput>,
    /// Every error: (input id, message).
    errors: Vec<(String, String)>,
}

fn form_page(ctx: Ctx, editing: Option<String>, after: i64, f: &MetaForm, errors: &[FieldError]) -> FormPage {
    let lang = ctx.lang;
    let errors: Vec<(String, String)> = errors.iter().map(|e| error_words(lang, e)).collect();
    let err = |id: &str| errors.iter().find(|(i, _)| i == id).map(|(_, m)| m.clone());
    let input =
        |id: &'static str, name: &'static str, label: &str, value: &str, kind, lang_of, max| TextInput {
            id,
            name,
            label: lang.t(label),
            hint: String::new(),
            value: value.to_owned(),
            kind,
            lang: lang_of,
            max,
            error: err(id),
        };
    let mut about = Vec::new();
    if editing.is_none() {
        let mut slug = input("slug", "slug", "dss-slug", &f.slug, "text", None, 64);
        slug.hint = lang.t("dss-slug-hint");
        about.push(slug);
    }
    let (title_max, description_max) = (mizan_catalog::MAX_TITLE, mizan_catalog::MAX_DESCRIPTION);
    about.extend([
        input("title-en", "title.en", "dss-title-en", &f.title_en, "text", Some("en"), title_max),
        input("title-ur", "title.ur", "dss-title-ur", &f.title_ur, "text", Some("ur"), title_max),
        input(
            "description-en",
            "description.en",
            "dss-description-en",
            &f.description_en,
            "textarea",
            Some("en"),
            description_max,
        ),
        input(
            "description-ur",
            "description.ur",
            "dss-description-ur",
            &f.description_ur,
            "textarea",
            Some("ur"),
            description_max,
        ),
    ]);
    let mut keywords = input("keywords", "keywords", "ds-keywords", &f.keywords, "text", None, 2000);
    keywords.hint = lang.t("dss-keywords-hint");
    about.push(keywords);
    let choice = |value: &str, label: String, on: bool| Choice {
        value: value.to_owned(),
        label,
        on,
        explained: String::new(),
    };
    let themes = vocab::themes()
        .iter()
        .map(|t| choice(&t.id, term_label(lang, t), f.themes.contains(&t.id)))
        .collect();
    let licences =
        vocab::licences().iter().map(|l| choice(&l.id, licence_label(lang, l), f.licence == l.id)).collect();
    let tiers = AccessTier::ALL
        .iter()
        .map(|t| Choice {
            explained: lang.t(&format!("dss-access-{}-explained", t.id())),
            ..choice(t.id(), access_label(lang, *t), f.access == t.id())
        })
        .collect();
    let places = vocab::provinces()
        .iter()
        .map(|prov| PlaceGroup {
            province: choice(&prov.id, place_label(lang, prov), f.spatial.contains(&prov.id)),
            districts: vocab::districts()
                .iter()
                .filter(|d| d.province.as_deref() == Some(prov.id.as_str()))
                .map(|d| choice(&d.id, place_label(lang, d), f.spatial.contains(&d.id)))
                .collect(),
        })
        .collect();
    let frequencies = vocab::frequencies()
        .iter()
        .map(|t| choice(&t.id, term_label(lang, t), f.frequency == t.id))
        .collect();
    let period = vec![
        input("temporal-start", "temporal.start", "dss-period-start", &f.start, "date", None, 10),
        input("temporal-end", "temporal.end", "dss-period-end", &f.end, "date", None, 10),
    ];
    let contact = vec![
        input("contact-name", "contact.name", "dss-contact-name", &f.contact_name, "text", None, 200),
        input("contact-email", "contact.email", "dss-contact-email", &f.contact_email, "email", None, 254),
    ];
    FormPage {
        editing,
        after,
        about,
        themes,
        themes_error: err("themes"),
        licences,
        licence_error: err("licence"),
        tiers,
        access_error: err("access"),
        places,
        places_error: err("spatial"),
        period,
        frequencies,
        frequency_error: err("frequency"),
        contact,
        errors,
        ctx,
    }
}

fn invalid(page: &FormPage) -> Response {
    let mut res = render(page);
    *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    res
}

/// `GET /app/datasets/new`: the form for a new dataset.
pub async fn new_form(ctx: Ctx, SignedIn(p): SignedIn) -> Result<Response, AppError> {
    require(&p, PERMISSION)?;
    let blank = MetaForm { access: AccessTier::Open.id().to_owned(), ..MetaForm::default() };
    Ok(render(&form_page(ctx, None, 0, &blank, &[])))
}

/// `POST /app/datasets`: creates a dataset at version 1 (metadata only), then its page.
pub async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    SignedIn(p): SignedIn,
    CsrfForm(form): CsrfForm,
) -> Result<Response, AppError> {
    require(&p, PERMISSION)?;
    let typed = MetaForm::from_fields(&form);
    let (meta, mut errors) = typed.to_meta(None);
    if let Err(e) = mizan_catalog::check_slug(&typed.slug) {
        errors.insert(0, e);
    } else if RESERVED_SLUGS.contains(&typed.slug.as_str()) {
        errors.insert(0, FieldError { field: "slug".into(), message: "already exists".into() });
    }
    if !errors.is_empty() {
        return Ok(invalid(&form_page(ctx, None, 0, &typed, &errors)));
    }
    match state.app.create_dataset(p.scope(), &ActorRef::from(&p), &typed.slug, &meta).await {
        Ok(()) => Ok(Redirect::to(&manage_href(&typed.slug, "created")).into_response()),
        Err(mizan_app::Error::Conflict(message)) => {
            let e = FieldError { field: "slug".into(), message };
            Ok(invalid(&form_page(ctx, None, 0, &typed, &[e])))
        }
        Err(mizan_app::Error::BadRequest { field: Some(field), detail }) => {
            let e = FieldError { field, message: detail };
            Ok(invalid(&form_page(ctx, None, 0, &typed, &[e])))
        }
        Err(e) => Err(e.into()),
    }
}

/// `GET /app/datasets/{slug}/edit`: the metadata form, filled from the newest version.
pub async fn edit_form(
    State(state): State<AppState>,
    ctx: Ctx,
    SignedIn(p): SignedIn,
    Path(slug): Path<String>,
) -> Result<Response, AppError> {
    require(&p, PERMISSION)?;
    let cur = state.app.org_dataset(p.scope(), &slug, None).await?;
    let typed = MetaForm::from_meta(&slug, &cur.meta);
    Ok(render(&form_page(ctx, Some(slug), cur.stored.version, &typed, &[])))
}

/// `POST /app/datasets/{slug}/edit`: a new version with the changed metadata and the same
/// files (and the data dictionary, reasons and notes the form does not show).
pub async fn edit(
    State(state): State<AppState>,
    ctx: Ctx,
    SignedIn(p): SignedIn,
    Path(slug): Path<String>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, AppError> {
    require(&p, PERMISSION)?;
    let after = parse_after(form.get("after"))?;
    let cur = state.app.org_dataset(p.scope(), &slug, None).await?;
    if cur.stored.version != after {
        return stale(&state, ctx, &p, &slug).await;
    }
    let typed = MetaForm::from_fields(&form);
    let (meta, errors) = typed.to_meta(Some(&cur.meta));
    if !errors.is_empty() {
        return Ok(invalid(&form_page(ctx, Some(slug), after, &typed, &errors)));
    }
    if meta == cur.meta {
        return Ok(Redirect::to(&manage_href(&slug, "unchanged")).into_response());
    }
    match state.app.update_dataset_meta(p.scope(), &ActorRef::from(&p), &slug, after, &meta).await {
        Ok(_) => Ok(Redirect::to(&manage_href(&slug, "saved")).into_response()),
        Err(mizan_app::Error::Conflict(_)) => stale(&state, ctx, &p, &slug).await,
        Err(mizan_app::Error::BadRequest { field: Some(field), detail }) => {
            let e = FieldError { field, message: detail };
            Ok(invalid(&form_page(ctx, Some(slug), after, &typed, &[e])))
        }
        Err(e) => Err(e.into()),
    }
}

fn parse_after(v: &str) -> Result<i64, AppError> {
    v.parse::<i64>()
        .ok()
        .filter(|n| *n >= 1)
        .ok_or_else(|| bad("after", "`after` must be the version the form was made from"))
}

// ---------------------------------------------------------------------------------------------
// The manage page
// ---------------------------------------------------------------------------------------------

/// A file of the version.
pub struct FileRow {
    /// File name.
    pub name: String,
    /// Format (`CSV`, ... or in words).
    pub format: String,
    /// Size in words.
    pub size: String,
    /// SHA-256, hex (empty for a file kept elsewhere).
    pub sha256: String,
    /// Rows and columns, in words, for a profiled file.
    pub profile: String,
}

/// A column the scan flagged.
pub struct FlagRow {
    /// The file.
    pub file: String,
    /// The column.
    pub column: String,
    /// What it looks like, in words.
    pub kind: String,
    /// Why it was flagged, in words.
    pub evidence: String,
    /// A direct identifier.
    pub direct: bool,
    /// Share of values of that kind.
    pub share: String,
    /// The recorded reason.
    pub reason: Option<String>,
}

/// The text area for one flagged direct identifier's reason.
pub struct ReasonInput {
    /// Its position (`reason-0`, `column-0`).
    pub index: usize,
    /// The column.
    pub column: String,
    /// What it looks like, in words.
    pub kind: String,
    /// What the text area holds.
    pub value: String,
    /// Its error.
    pub error: Option<String>,
}

/// A version in the history.
pub struct VersionRow {
    /// Number.
    pub version: i64,
    /// When it was made (RFC 3339).
    pub at: String,
    /// Who made it.
    pub by: String,
    /// When it was published (RFC 3339).
    pub published_at: Option<String>,
}

/// What a page shown after a form adds to the version: the outcome or the form's errors.
#[derive(Default)]
struct Notes {
    /// A change went through (`?done=...`): its notice key.
    done: Option<&'static str>,
    /// The form was made from an older version.
    stale: bool,
    /// The upload was refused: why, in the page language.
    upload_error: Option<String>,
    /// The refusal's detail as the profiler says it (in English: it names the file and line).
    upload_detail: Option<String>,
    /// The reasons as typed, by column, with each one's error.
    reasons: Option<Vec<(String, String, Option<String>)>>,
    /// Publication was refused: why.
    publish_error: Option<String>,
}

#[derive(Template)]
#[template(path = "steward_manage.html")]
struct ManagePage {
    ctx: Ctx,
    slug: String,
    version: i64,
    title: String,
    title_lang: Option<&'static str>,
    access: String,
    access_explained: String,
    /// Restricted: the version may have sandbox settings.
    restricted: bool,
    licence: String,
    published: bool,
    public_version: Option<i64>,
    done: Option<String>,
    stale: bool,
    files: Vec<FileRow>,
    flags: Vec<FlagRow>,
    reasons: Vec<ReasonInput>,
    blocking: Vec<String>,
    blocking_text: String,
    dictionary: Vec<DictRow>,
    versions: Vec<VersionRow>,
    upload_error: Option<String>,
    upload_detail: Option<String>,
    publish_error: Option<String>,
    limit: String,
    api_path: String,
}

/// The flagged direct identifiers of a version, each column once, in the scan's order, with
/// what it looks like.
fn direct_flags(v: &DatasetView) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for f in v.scan.files.iter().flat_map(|f| &f.pii).filter(|f| f.direct) {
        if !out.iter().any(|(c, _)| *c == f.column) {
            out.push((f.column.clone(), f.kind.clone()));
        }
    }
    out
}

async fn manage_page(
    state: &AppState,
    ctx: Ctx,
    p: &mizan_store::Principal,
    slug: &str,
    notes: Notes,
) -> Result<Response, AppError> {
    let lang = ctx.lang;
    let v = state.app.org_dataset(p.scope(), slug, None).await?;
    let meta = &v.meta;
    let files = v
        .files
        .iter()
        .map(|f| {
            let (size, sha256) = match &f.source {
                Source::File { sha256, bytes } => (size_words(lang, *bytes), sha256.clone()),
                Source::Url { .. } => (String::new(), String::new()),
            };
            let profile = v.scan.file(&f.name).and_then(|s| s.profile.as_ref()).map_or_else(
                || lang.t("dss-not-profiled"),
                |pr| {
                    lang.t_args(
                        "dss-profile-summary",
                        &[
                            ("rows", lang.t_count("ds-rows", "count", pr.rows)),
                            ("columns", lang.t_count("dss-columns", "count", pr.columns.len() as u64)),
                        ],
                    )
                },
            );
            let format =
                if f.format.is_tabular() { f.format.label().to_owned() } else { lang.t("ds-format-other") };
            FileRow { name: f.name.clone(), format, size, sha256, profile }
        })
        .collect();
    let flags = v
        .scan
        .files
        .iter()
        .flat_map(|f| f.pii.iter().map(move |flag| (f, flag)))
        .map(|(f, flag)| FlagRow {
            file: f.name.clone(),
            column: flag.column.clone(),
            kind: pii_label(lang, &flag.kind),
            evidence: evidence_label(lang, &flag.evidence),
            direct: flag.direct,
            share: percent(flag.share),
            reason: meta.pii_reason(&flag.column).map(str::to_owned),
        })
        .collect();
    let reasons = direct_flags(&v)
        .into_iter()
        .enumerate()
        .map(|(index, (column, kind))| {
            let typed = notes.reasons.as_ref().and_then(|r| r.iter().find(|(c, _, _)| *c == column));
            ReasonInput {
                index,
                kind: pii_label(lang, &kind),
                value: typed.map_or_else(
                    || meta.pii_reason(&column).unwrap_or_default().to_owned(),
                    |(_, t, _)| t.clone(),
                ),
                error: typed.and_then(|(_, _, e)| e.clone()),
                column,
            }
        })
        .collect();
    let blocking: Vec<String> = v.blocking_flags().into_iter().map(|f| f.column).collect();
    let dictionary = dict_rows(lang, meta);
    let versions = v
        .versions
        .iter()
        .map(|r| VersionRow {
            version: r.version,
            at: r.at.clone(),
            by: r.actor_name.clone(),
            published_at: r.published_at.clone(),
        })
        .collect();
    let public_version = v.versions.iter().find(|r| r.published_at.is_some()).map(|r| r.version);
    let (title, title_lang) = pick(lang, &meta.title);
    let status = if notes.stale {
        StatusCode::CONFLICT
    } else if notes.publish_error.is_some() {
        StatusCode::FORBIDDEN
    } else if notes.upload_error.is_some() || notes.reasons.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let limit = state.app.config().limits.dataset_file_bytes;
    let page = ManagePage {
        slug: v.stored.slug.clone(),
        version: v.stored.version,
        title,
        title_lang,
        access: access_label(lang, meta.access),
        access_explained: lang.t(&format!("dss-access-{}-explained", meta.access.id())),
        restricted: meta.access == mizan_catalog::AccessTier::Restricted,
        licence: vocab::licence(&meta.licence)
            .map_or_else(|| lang.t("ds-unknown"), |l| licence_label(lang, l)),
        published: v.is_published(),
        public_version,
        done: notes.done.map(|k| lang.t(&format!("dss-done-{k}"))),
        stale: notes.stale,
        files,
        flags,
        reasons,
        blocking_text: lang.t_args("dss-blocking", &[("tier", access_label(lang, meta.access))]),
        blocking,
        dictionary,
        versions,
        upload_error: notes.upload_error,
        upload_detail: notes.upload_detail,
        publish_error: notes.publish_error,
        limit: size_words(lang, limit),
        api_path: format!("/api/v1/org/datasets/{}/metadata?after={}", v.stored.slug, v.stored.version),
        ctx,
    };
    let mut res = render(&page);
    if status != StatusCode::OK {
        *res.status_mut() = status;
    }
    Ok(res)
}

/// The newest version, saying that someone changed the dataset since the form was made (409).
async fn stale(
    state: &AppState,
    ctx: Ctx,
    p: &mizan_store::Principal,
    slug: &str,
) -> Result<Response, AppError> {
    manage_page(state, ctx, p, slug, Notes { stale: true, ..Notes::default() }).await
}

/// The manage page's query string.
#[derive(Debug, Default, Deserialize)]
pub struct ManageQuery {
    /// What was just done (`uploaded`, `published`, ...), for its notice.
    #[serde(default)]
    pub done: String,
}

/// What a change's notice may say, by `?done=`.
const DONE: [&str; 7] = ["created", "saved", "unchanged", "uploaded", "removed", "reasons", "published"];

/// `GET /app/datasets/{slug}`: the newest version, to manage.
pub async fn manage(
    State(state): State<AppState>,
    ctx: Ctx,
    SignedIn(p): SignedIn,
    Path(slug): Path<String>,
    Query(q): Query<ManageQuery>,
) -> Result<Response, AppError> {
    require(&p, PERMISSION)?;
    let done = DONE.iter().copied().find(|d| *d == q.done);
    manage_page(&state, ctx, &p, &slug, Notes { done, ..Notes::default() }).await
}

// ---------------------------------------------------------------------------------------------
// Changes
// ---------------------------------------------------------------------------------------------

/// What the upload form sent besides the file.
#[derive(Default)]
struct UploadFields {
    csrf: String,
    after: String,
    name: String,
    /// The file as written so far, and the name the browser gave it.
    file: Option<(Upload, String)>,
}

/// Why an upload stopped before the file was whole.
enum UploadStop {
    /// Over the limit (the route's body limit or the upload's own).
    TooLarge,
    /// Anything else: the request is refused as it is.
    Refused(AppError),
}

impl From<AppError> for UploadStop {
    fn from(e: AppError) -> Self {
        UploadStop::Refused(e)
    }
}

fn multipart_stop(e: &MultipartError) -> UploadStop {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        UploadStop::TooLarge
    } else {
        UploadStop::Refused(bad("file", format!("the upload broke off: {}", e.body_text())))
    }
}

/// A short text part, whole.
async fn text_part(field: &mut Field<'_>, name: &str) -> Result<String, UploadStop> {
    let mut buf = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(|e| multipart_stop(&e))? {
        if buf.len() + chunk.len() > MAX_TEXT_PART {
            return Err(bad(name, format!("`{name}` is longer than {MAX_TEXT_PART} bytes")).into());
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(String::from_utf8(buf).map_err(|_| bad(name, format!("`{name}` is not UTF-8")))?.trim().to_owned())
}

/// Reads the form's parts in order, streaming the file part to an [`Upload`] as it comes.
async fn read_upload_form(
    state: &AppState,
    headers: &HeaderMap,
    mut multipart: Multipart,
) -> Result<UploadFields, UploadStop> {
    let limit = state.app.config().limits.dataset_file_bytes;
    let mut out = UploadFields::default();
    while let Some(mut field) = multipart.next_field().await.map_err(|e| multipart_stop(&e))? {
        match field.name().unwrap_or_default() {
            "csrf" => {
                out.csrf = text_part(&mut field, "csrf").await?;
                // Before any byte of the file is written (the form sends the token first).
                crate::csrf::check(headers, &out.csrf)?;
            }
            "after" => out.after = text_part(&mut field, "after").await?,
            "name" => out.name = text_part(&mut field, "name").await?,
            "file" => {
                if out.file.is_some() {
                    return Err(bad("file", "send one file at a time").into());
                }
                // Browsers send the base name; old ones sent a whole path.
                let given = field.file_name().unwrap_or_default();
                let given = given.rsplit(['/', '\\']).next().unwrap_or_default().to_owned();
                let mut upload = state.app.dataset_files().begin("file", limit).map_err(AppError::from)?;
                while let Some(chunk) = field.chunk().await.map_err(|e| multipart_stop(&e))? {
                    match upload.write(&chunk) {
                        Ok(()) => {}
                        Err(mizan_app::Error::TooLarge { .. }) => return Err(UploadStop::TooLarge),
                        Err(e) => return Err(AppError::from(e).into()),
                    }
                }
                out.file = Some((upload, given));
            }
            // Anything else is read past (multer skips it when the next part is asked for).
            _ => {}
        }
    }
    Ok(out)
}

/// `POST /app/datasets/{slug}/files`: the upload form (`multipart/form-data`: `csrf`, `after`,
/// an optional `name`, and the `file`). Adds the file or replaces the one of the same name,
/// making a new version; a file that does not read as its format, is empty or too large is
/// refused on the manage page, saying why, and nothing is kept.
pub async fn upload(
    State(state): State<AppState>,
    ctx: Ctx,
    SignedIn(p): SignedIn,
    Path(slug): Path<String>,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, AppError> {
    require(&p, PERMISSION)?;
    // The dataset is looked up before the body is read, so a wrong address costs no upload.
    let cur = state.app.org_dataset(p.scope(), &slug, None).await?;
    let multipart = multipart.map_err(|_| AppError::UnsupportedMediaType("multipart/form-data".into()))?;
    let lang = ctx.lang;
    let limit = state.app.config().limits.dataset_file_bytes;
    let too_large = || Notes {
        upload_error: Some(lang.t_args("dss-too-large", &[("max", size_words(lang, limit))])),
        ..Notes::default()
    };
    let refuse = |key: &str| Notes { upload_error: Some(lang.t(key)), ..Notes::default() };
    // A body declared larger than a file and its form can be is refused before it is read.
    let slack = crate::router::FORM_SLACK as u64;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit.saturating_add(slack)) {
        let mut res = manage_page(&state, ctx, &p, &slug, too_large()).await?;
        *res.status_mut() = StatusCode::PAYLOAD_TOO_LARGE;
        return Ok(res);
    }
    let fields = match read_upload_form(&state, &headers, multipart).await {
        Ok(f) => f,
        Err(UploadStop::TooLarge) => {
            let mut res = manage_page(&state, ctx, &p, &slug, too_large()).await?;
            *res.status_mut() = StatusCode::PAYLOAD_TOO_LARGE;
            return Ok(res);
        }
        Err(UploadStop::Refused(e)) => return Err(e),
    };
    crate::csrf::check(&headers, &fields.csrf)?;
    let after = parse_after(&fields.after)?;
    if after != cur.stored.version {
        return stale(&state, ctx, &p, &slug).await;
    }
    let Some((upload, given)) = fields.file.filter(|(_, given)| !given.is_empty()) else {
        return manage_page(&state, ctx, &p, &slug, refuse("dss-choose-file")).await;
    };
    let name = if fields.name.is_empty() { given } else { fields.name };
    if mizan_catalog::check_file_name(&name).is_err() {
        return manage_page(&state, ctx, &p, &slug, refuse("dss-bad-file-name")).await;
    }
    let staged = match upload.finish() {
        Ok(s) => s,
        Err(mizan_app::Error::BadRequest { .. }) => {
            return manage_page(&state, ctx, &p, &slug, refuse("dss-empty-file")).await;
        }
        Err(e) => return Err(e.into()),
    };
    match state.app.add_dataset_file(p.scope(), &ActorRef::from(&p), &slug, after, &name, staged).await {
        Ok(_) => Ok(Redirect::to(&manage_href(&slug, "uploaded")).into_response()),
        Err(mizan_app::Error::Conflict(_)) => stale(&state, ctx, &p, &slug).await,
        Err(mizan_app::Error::BadRequest { detail, .. }) => {
            let notes = Notes {
                upload_error: Some(lang.t_args("dss-unreadable", &[("file", name)])),
                upload_detail: Some(detail),
                ..Notes::default()
            };
            manage_page(&state, ctx, &p, &slug, notes).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /app/datasets/{slug}/files/remove`: a new version without the file `name`.
pub async fn remove_file(
    State(state): State<AppState>,
    ctx: Ctx,
    SignedIn(p): SignedIn,
    Path(slug): Path<String>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, AppError> {
    require(&p, PERMISSION)?;
    let after = parse_after(form.get("after"))?;
    let cur = state.app.org_dataset(p.scope(), &slug, None).await?;
    if cur.stored.version != after {
        return stale(&state, ctx, &p, &slug).await;
    }
    match state.app.remove_dataset_file(p.scope(), &ActorRef::from(&p), &slug, after, form.get("name")).await
    {
        Ok(_) => Ok(Redirect::to(&manage_href(&slug, "removed")).into_response()),
        Err(mizan_app::Error::Conflict(_)) => stale(&state, ctx, &p, &slug).await,
        Err(e) => Err(e.into()),
    }
}

/// `POST /app/datasets/{slug}/reasons`: the reasons for publishing the flagged direct
/// identifiers (`column-N`, `reason-N`); an emptied reason is withdrawn. A new version with the
/// reasons in its metadata, unless nothing changed.
pub async fn reasons(
    State(state): State<AppState>,
    ctx: Ctx,
    SignedIn(p): SignedIn,
    Path(slug): Path<String>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, AppError> {
    require(&p, PERMISSION)?;
    let after = parse_after(form.get("after"))?;
    let cur = state.app.org_dataset(p.scope(), &slug, None).await?;
    if cur.stored.version != after {
        return stale(&state, ctx, &p, &slug).await;
    }
    let lang = ctx.lang;
    let mut meta = cur.meta.clone();
    let mut typed = Vec::new();
    let mut any_error = false;
    for (i, (column, _)) in direct_flags(&cur).into_iter().enumerate() {
        // The text areas are those of version `after`, which is the newest: the same columns.
        if form.get(&format!("column-{i}")) != column {
            return Err(bad(&format!("column-{i}"), format!("expected the column `{column}`")));
        }
        let reason = form.get(&format!("reason-{i}")).to_owned();
        let error = match reason.chars().count() {
            0 => None,
            n if n < 10 => Some(lang.t("dss-err-reason-short")),
            n if n > MAX_REASON => {
                Some(lang.t_args("dss-err-reason-long", &[("max", MAX_REASON.to_string())]))
            }
            _ => None,
        };
        any_error |= error.is_some();
        meta.pii_reasons.retain(|r| r.column != column);
        if !reason.is_empty() {
            meta.pii_reasons.push(PiiReason { column: column.clone(), reason: reason.clone() });
        }
        typed.push((column, reason, error));
    }
    if any_error {
        return manage_page(&state, ctx, &p, &slug, Notes { reasons: Some(typed), ..Notes::default() }).await;
    }
    if meta == cur.meta {
        return Ok(Redirect::to(&manage_href(&slug, "unchanged")).into_response());
    }
    match state.app.update_dataset_meta(p.scope(), &ActorRef::from(&p), &slug, after, &meta).await {
        Ok(_) => Ok(Redirect::to(&manage_href(&slug, "reasons")).into_response()),
        Err(mizan_app::Error::Conflict(_)) => stale(&state, ctx, &p, &slug).await,
        Err(mizan_app::Error::BadRequest { .. }) => {
            // The checks above match the catalogue's; anything else it finds is said generally.
            let typed =
                typed.into_iter().map(|(c, r, _)| (c, r, Some(lang.t("dss-err-reason-short")))).collect();
            manage_page(&state, ctx, &p, &slug, Notes { reasons: Some(typed), ..Notes::default() }).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /app/datasets/{slug}/publish`: publishes the newest version (`version`); a refusal
/// (no file, or direct identifiers without a reason) is shown on the page in words.
pub async fn publish(
    State(state): State<AppState>,
    ctx: Ctx,
    SignedIn(p): SignedIn,
    Path(slug): Path<String>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, AppError> {
    require(&p, PERMISSION)?;
    let version = parse_after(form.get("version"))?;
    let cur = state.app.org_dataset(p.scope(), &slug, None).await?;
    if cur.stored.version != version {
        return stale(&state, ctx, &p, &slug).await;
    }
    let lang = ctx.lang;
    match state.app.publish_dataset(p.scope(), &ActorRef::from(&p), &slug, version).await {
        Ok(()) => Ok(Redirect::to(&manage_href(&slug, "published")).into_response()),
        Err(mizan_app::Error::Refused(_)) => {
            let blocking: Vec<String> = cur.blocking_flags().into_iter().map(|f| f.column).collect();
            let message = if cur.files.is_empty() {
                lang.t("dss-refused-no-files")
            } else {
                lang.t_args("dss-refused-flags", &[("columns", blocking.join(", "))])
            };
            manage_page(&state, ctx, &p, &slug, Notes { publish_error: Some(message), ..Notes::default() })
                .await
        }
        Err(mizan_app::Error::Conflict(_)) => stale(&state, ctx, &p, &slug).await,
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_errors_point_at_their_inputs() {
        for (field, id) in [
            ("title.en", "title-en"),
            ("themes[2]", "themes"),
            ("temporal.start", "temporal-start"),
            ("contact.email", "contact-email"),
            ("spatial[0]", "spatial"),
            ("slug", "slug"),
        ] {
            assert_eq!(input_id(field), id, "{field}");
        }
        let e =
            FieldError { field: "licence".into(), message: "an open dataset needs an open licence".into() };
        assert_eq!(error_words(Lang::En, &e).0, "licence");
        assert_ne!(error_words(Lang::En, &e).1, "dss-err-licence-open", "translated");
    }

    #[test]
    fn keywords_split_on_english_and_urdu_commas_and_the_form_keeps_what_it_does_not_show() {
        let mut base = MetaForm {
            title_en: "A".into(),
            description_en: "B".into(),
            keywords: "schools, اسکول، enrolment,,".into(),
            licence: "cc-by-4.0".into(),
            access: "open".into(),
            frequency: "ANNUAL".into(),
            contact_name: "Data office".into(),
            contact_email: "data@example.pk".into(),
            ..MetaForm::default()
        };
        let (meta, errors) = base.to_meta(None);
        assert_eq!(errors, vec![]);
        assert_eq!(meta.keywords, ["schools", "اسکول", "enrolment"]);
        let mut kept = meta.clone();
        kept.pii_reasons.push(PiiReason { column: "cnic".into(), reason: "synthetic numbers only".into() });
        base.title_en = "A new title".into();
        let (edited, _) = base.to_meta(Some(&kept));
        assert_eq!(edited.pii_reasons, kept.pii_reasons);
        base.access = "everyone".into();
        let (_, errors) = base.to_meta(None);
        assert_eq!(errors[0].field, "access");
    }
}
