//! Public pages: the transparency register (list, detail, versions, diffs) and the
//! "report an error" flow. No sign-in needed; only public projections are ever read.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use mizan_register::{FieldChange, Record, Value, diff};
use mizan_store::PublicEntry;
use serde::Deserialize;

use crate::AppState;
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::list::ListParams;
use crate::pages::{Ctx, FieldRow, field_rows, render};
use crate::reports::check_report;
use crate::serve::{ClientAddr, retry_after};

/// A register row for display.
pub struct Row {
    /// Public id.
    pub public_id: String,
    /// Name in the page language (or the other one).
    pub name: String,
    /// Summary.
    pub summary: String,
    /// Language of the name when it fell back to the other language.
    pub name_lang: Option<&'static str>,
    /// Language of the summary when it fell back.
    pub summary_lang: Option<&'static str>,
    /// Organisation.
    pub org_name: String,
    /// Sector code.
    pub sector: String,
    /// Status code.
    pub status: String,
    /// Tier code ("" if unclassified).
    pub tier: String,
    /// Impact level ("" if not assessed).
    pub level: String,
    /// Demo data.
    pub is_demo: bool,
}

/// The other language's code when `key` has no text in `lang` (so the page can mark it).
fn fallback_lang(lang: Lang, record: &Record, key: &str) -> Option<&'static str> {
    match record.get(key) {
        Some(Value::Text(t)) if (if lang == Lang::Ur { &t.ur } else { &t.en }).is_empty() => {
            Some(lang.other().code())
        }
        _ => None,
    }
}

fn row(lang: Lang, e: &PublicEntry) -> Row {
    Row {
        name_lang: fallback_lang(lang, &e.record, "name"),
        summary_lang: fallback_lang(lang, &e.record, "short_description"),
        public_id: e.public_id.clone(),
        name: e.record.text("name", lang.code()),
        summary: e.record.text("short_description", lang.code()),
        org_name: e.org_name.clone(),
        sector: e.sector.clone(),
        status: e.status.clone(),
        tier: e.risk_tier.clone(),
        level: e.impact_level.clone(),
        is_demo: e.is_demo,
    }
}

#[derive(Template)]
#[template(path = "register_list.html")]
struct ListPage {
    ctx: Ctx,
    params: ListParams,
    rows: Vec<Row>,
    total: i64,
    page: u32,
    pages: u32,
    sectors: Vec<String>,
    orgs: Vec<(String, String)>,
    prev_href: Option<String>,
    next_href: Option<String>,
}

fn page_href(p: &ListParams, page: u32) -> String {
    use crate::util::url_encode as e;
    format!(
        "/register?q={}&sector={}&org={}&status={}&tier={}&level={}&page={page}",
        e(&p.q),
        e(&p.sector),
        e(&p.org),
        e(&p.status),
        e(&p.tier),
        e(&p.level)
    )
}

/// `GET /` and `GET /register`: the searchable, filterable register.
pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(params): Query<ListParams>,
) -> Result<Response, AppError> {
    let query = params.to_query(20)?;
    let page = state.app.store().public_list(&query).await?;
    let (sectors, orgs) = state.app.store().public_facets().await?;
    let pages = u32::try_from((page.total + i64::from(page.per_page) - 1) / i64::from(page.per_page))
        .unwrap_or(1)
        .max(1);
    let rows = page.entries.iter().map(|e| row(ctx.lang, e)).collect();
    Ok(render(&ListPage {
        prev_href: (page.page > 1).then(|| page_href(&params, page.page - 1)),
        next_href: (page.page < pages).then(|| page_href(&params, page.page + 1)),
        ctx,
        rows,
        total: page.total,
        page: page.page,
        pages,
        sectors,
        orgs,
        params,
    }))
}

#[derive(Template)]
#[template(path = "register_detail.html")]
struct DetailPage {
    ctx: Ctx,
    oversight: crate::routes::oversight::PublicOversight,
    entry: PublicEntry,
    name: String,
    fields: Vec<FieldRow>,
    classification: Option<crate::views::ClassView>,
    impact: Option<crate::views::ImpactView>,
    assessments: Option<Vec<crate::views::audits::StandardView>>,
    disclosure: u64,
    intake_notice: Option<String>,
    appeals: crate::views::appeals::StatsView,
    /// The provider's figures over all its systems.
    provider_appeals: crate::views::appeals::StatsView,
    /// The system's newest model gives no (or incomplete) labels: its explanations show the
    /// provider's own feature names and output values.
    labels_missing: bool,
}

/// `GET /register/{id}`: the public projection of the latest registered version.
pub async fn detail(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let entry = state.app.store().public_entry(&id).await?;
    let fields = field_rows(ctx.lang, &entry.record).into_iter().filter(|f| f.key != "name").collect();
    let (classification, impact) =
        crate::views::stored_views(&state, ctx.lang, None, &id, entry.version).await?;
    let assessments = crate::views::audits::public_assessments(&state, &id, &entry.risk_tier)
        .await?
        .map(|a| crate::views::audits::standard_views(ctx.lang, &a));
    let intake_notice = crate::views::intake::public_notice(&state, ctx.lang, &id).await?;
    let appeals = crate::views::appeals::stats_view(&ctx, &state.app.appeal_stats(&id).await?);
    let org = state.app.store().org_by_slug(&entry.org_slug).await?;
    let provider_appeals =
        crate::views::appeals::stats_view(&ctx, &state.app.provider_appeal_stats(org.id).await?);
    let oversight = crate::routes::oversight::public_view(&ctx, &state.app.oversight_figures(&id).await?);
    let labels_missing = state.app.store().public_model_labels(&id).await?.is_some_and(|(_, names, card)| {
        let card = card.as_deref().and_then(|t| mizan_app::models::ModelCard::parse(t).ok());
        !mizan_app::models::labels_missing(&names, card.as_ref()).is_empty()
    });
    Ok(render(&DetailPage {
        labels_missing,
        appeals,
        provider_appeals,
        oversight,
        intake_notice,
        name: entry.record.text("name", ctx.lang.code()),
        fields,
        entry,
        classification,
        impact,
        assessments,
        disclosure: mizan_app::audits::DISCLOSURE_MIN,
        ctx,
    }))
}

#[derive(Template)]
#[template(path = "register_versions.html")]
struct VersionsPage {
    ctx: Ctx,
    public_id: String,
    name: String,
    versions: Vec<mizan_store::VersionInfo>,
}

/// `GET /register/{id}/versions`: registered versions with a diff picker.
pub async fn versions(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let entry = state.app.store().public_entry(&id).await?;
    let versions = state.app.store().public_versions(&id).await?;
    Ok(render(&VersionsPage {
        name: entry.record.text("name", ctx.lang.code()),
        public_id: id,
        versions,
        ctx,
    }))
}

/// A changed field for display.
pub struct ChangeRow {
    /// Label.
    pub label: String,
    /// Before, in the page language.
    pub before: String,
    /// After.
    pub after: String,
}

fn change_rows(lang: Lang, changes: &[FieldChange]) -> Vec<ChangeRow> {
    let show = |v: &Option<Value>| v.as_ref().map(|v| v.display(lang.code())).unwrap_or_default();
    changes
        .iter()
        .map(|c| ChangeRow {
            label: lang.t(&format!("field-{}", c.field)),
            before: show(&c.before),
            after: show(&c.after),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "register_diff.html")]
struct DiffPage {
    ctx: Ctx,
    public_id: String,
    from: i64,
    to: i64,
    changes: Vec<ChangeRow>,
}

/// Query of the diff page.
#[derive(Debug, Deserialize)]
pub struct DiffParams {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

fn version_param(name: &str, v: &str) -> Result<i64, AppError> {
    v.parse::<i64>().ok().filter(|n| *n >= 1).ok_or_else(|| AppError::BadRequest {
        field: Some(name.to_owned()),
        detail: format!("`{name}` must be a version number (1 or more)"),
    })
}

/// `GET /register/{id}/diff?from=&to=`: what changed between two registered versions.
pub async fn version_diff(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(p): Query<DiffParams>,
) -> Result<Response, AppError> {
    let (from, to) = (version_param("from", &p.from)?, version_param("to", &p.to)?);
    let a: Record = state.app.store().public_version(&id, from).await?;
    let b: Record = state.app.store().public_version(&id, to).await?;
    let changes = change_rows(ctx.lang, &diff(&a, &b));
    Ok(render(&DiffPage { ctx, public_id: id, from, to, changes }))
}

#[derive(Template)]
#[template(path = "report_form.html")]
struct ReportFormPage {
    ctx: Ctx,
    public_id: String,
    name: String,
    fields: Vec<(&'static str, String)>,
    errors: Vec<String>,
    body: String,
}

fn report_fields(lang: Lang) -> Vec<(&'static str, String)> {
    mizan_register::FIELDS
        .iter()
        .filter(|f| f.public)
        .map(|f| (f.key, lang.t(&format!("field-{}", f.key))))
        .collect()
}

/// `GET /register/{id}/report`: the form to report an error in a record.
pub async fn report_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let entry = state.app.store().public_entry(&id).await?;
    Ok(render(&ReportFormPage {
        name: entry.record.text("name", ctx.lang.code()),
        fields: report_fields(ctx.lang),
        public_id: id,
        errors: vec![],
        body: String::new(),
        ctx,
    }))
}

/// `POST /register/{id}/report`: files the report and shows its reference.
pub async fn report_submit(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    ClientAddr(from): ClientAddr,
    CsrfForm(form): CsrfForm,
) -> Result<Response, AppError> {
    let entry = state.app.store().public_entry(&id).await?;
    let (field, body, contact) = (form.get("field"), form.get("body"), form.get("contact"));
    let checked = check_report(ctx.lang, field, body, contact);
    // Many reports from one network in a short time wait, with what was written kept.
    let throttled = match &checked {
        Ok(()) => state.app.public_form("error-report", from).await.err(),
        Err(_) => None,
    };
    if checked.is_err() || throttled.is_some() {
        let (status, errors, retry) = match (checked, throttled) {
            (Err(errors), _) => (axum::http::StatusCode::UNPROCESSABLE_ENTITY, errors, None),
            (Ok(()), wait) => {
                let (header, minutes) = retry_after(wait.unwrap_or_default());
                let wait = ctx.lang.t_count("wait-minutes", "minutes", minutes);
                let message = ctx.lang.t_args("form-throttled", &[("wait", wait)]);
                (axum::http::StatusCode::TOO_MANY_REQUESTS, vec![message], Some(header))
            }
        };
        let page = ReportFormPage {
            name: entry.record.text("name", ctx.lang.code()),
            fields: report_fields(ctx.lang),
            public_id: id,
            errors,
            body: body.to_owned(),
            ctx,
        };
        let mut res = render(&page);
        *res.status_mut() = status;
        if let Some(retry) = retry {
            res.headers_mut().insert(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from(retry));
        }
        return Ok(res);
    }
    let reference = state.app.store().file_report(&id, field, body, contact).await?;
    Ok(Redirect::to(&format!("/reports/{reference}?new=1")).into_response())
}

#[derive(Template)]
#[template(path = "report_status.html")]
struct ReportStatusPage {
    ctx: Ctx,
    report: mizan_store::ErrorReport,
    /// The system's public name.
    system: String,
    /// When it last changed, in words.
    updated: String,
    fresh: bool,
}

/// Query of the report status page.
#[derive(Debug, Deserialize)]
pub struct ReportQuery {
    #[serde(default)]
    new: String,
    #[serde(default)]
    reference: String,
}

/// `GET /reports/{ref}`: the reporter follows their report.
pub async fn report_status(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(reference): Path<String>,
    Query(q): Query<ReportQuery>,
) -> Result<Response, AppError> {
    let report = state.app.store().report_by_reference(&reference).await?;
    // The system by its name in the page's language, as the register shows it.
    let system = state
        .app
        .store()
        .public_entry(&report.public_id)
        .await
        .map_or_else(|_| report.public_id.clone(), |e| e.record.text("name", ctx.lang.code()));
    let updated = ctx.date(&report.updated_at);
    Ok(render(&ReportStatusPage { ctx, report, system, updated, fresh: q.new == "1" }))
}

#[derive(Template)]
#[template(path = "report_lookup.html")]
struct ReportLookupPage {
    ctx: Ctx,
    typed: String,
    error: Option<String>,
}

/// `GET /reports`: the form to follow a report; `?reference=` looks one up (a reference that
/// cannot be one gets the form back, saying what one looks like; an unknown one, the same).
pub async fn report_lookup(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<ReportQuery>,
) -> Result<Response, AppError> {
    let r = q.reference.trim();
    if r.is_empty() {
        return Ok(render(&ReportLookupPage { ctx, typed: String::new(), error: None }));
    }
    let well_formed = r.len() <= 20 && r.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    let found = well_formed && state.app.store().report_by_reference(&r.to_uppercase()).await.is_ok();
    if !found {
        let error = Some(ctx.t(if well_formed { "report-lookup-unknown" } else { "report-reference-hint" }));
        let mut res = render(&ReportLookupPage { ctx, typed: r.chars().take(20).collect(), error });
        *res.status_mut() =
            if well_formed { axum::http::StatusCode::NOT_FOUND } else { axum::http::StatusCode::BAD_REQUEST };
        return Ok(res);
    }
    Ok(Redirect::to(&format!("/reports/{}", r.to_uppercase())).into_response())
}

#[derive(Template)]
#[template(path = "about.html")]
struct AboutPage {
    ctx: Ctx,
}

/// `GET /about`: what the register is and how to use its data.
pub async fn about(ctx: Ctx) -> Response {
    render(&AboutPage { ctx })
}
