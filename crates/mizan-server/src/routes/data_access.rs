//! Access requests for restricted datasets (issue #18 item 9), as pages: the request form on a
//! restricted version, the person's own requests and a steward's queue, one request with its
//! history and the moves open to the reader, and download tokens made once and shown once.
//!
//! Everything goes through `mizan_app::Platform` (`request_dataset_access`, `data_access`,
//! `move_data_access`, `make_access_token`), which the `data-access` case type decides. Pages
//! show words: states, moves and roles come from the Fluent files, times as dates.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use mizan_app::dataset_access::{AccessRequestIn, AccessView, DURATIONS, columns_of, roles};
use mizan_app::datasets::DatasetView;
use mizan_cases::EntryKind;
use mizan_catalog::{AccessTier, vocab};
use mizan_store::StoredCase;

use crate::AppState;
use crate::auth::SignedIn;
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::pages::{Ctx, render};
use crate::util::url_encode;
use crate::views::datasets::{labels, parse_version, pick};

/// `?kind=sandbox` on the request form: ask for a sandbox project.
#[derive(Debug, Default, serde::Deserialize)]
pub struct KindParam {
    kind: Option<String>,
}

/// What the request form holds, as typed.
#[derive(Debug, Clone, Default)]
struct Typed {
    purpose: String,
    project: String,
    variables: Vec<String>,
    duration: i64,
    agree: bool,
    sandbox: bool,
    members: String,
}

#[derive(Template)]
#[template(path = "access_form.html")]
struct FormPage {
    ctx: Ctx,
    slug: String,
    version: i64,
    title: String,
    title_lang: Option<&'static str>,
    publisher: String,
    columns: Vec<String>,
    durations: Vec<(i64, String)>,
    agreement_title: String,
    agreement_text: String,
    /// The version has sandbox settings: a project may be asked for.
    sandbox_open: bool,
    typed: Typed,
    errors: Vec<String>,
    error_field: String,
}

fn durations(ctx: &Ctx) -> Vec<(i64, String)> {
    DURATIONS.iter().map(|d| (*d, ctx.t1("da-duration-days", "n", d))).collect()
}

fn form_page(
    ctx: Ctx,
    view: &DatasetView,
    sandbox_open: bool,
    typed: Typed,
    errors: Vec<String>,
    error_field: String,
) -> FormPage {
    let (title, title_lang) = pick(ctx.lang, &view.meta.title);
    let agreement = vocab::terms("data-sharing-agreement");
    FormPage {
        slug: view.stored.slug.clone(),
        version: view.stored.version,
        title,
        title_lang,
        publisher: view.stored.org_name.clone(),
        columns: columns_of(view),
        durations: durations(&ctx),
        agreement_title: agreement.map(|t| labels(ctx.lang, &t.title)).unwrap_or_default(),
        agreement_text: agreement.map(|t| labels(ctx.lang, &t.text)).unwrap_or_default(),
        sandbox_open,
        typed,
        errors,
        error_field,
        ctx,
    }
}

async fn restricted_view(state: &AppState, slug: &str, version: &str) -> Result<DatasetView, AppError> {
    Ok(state.app.public_dataset(slug, Some(parse_version(version)?)).await?)
}

/// `GET /datasets/{slug}/v/{version}/access`: the request form of a restricted version.
pub async fn request_form(
    State(state): State<AppState>,
    ctx: Ctx,
    SignedIn(_): SignedIn,
    Path((slug, version)): Path<(String, String)>,
    Query(kind): Query<KindParam>,
) -> Result<Response, AppError> {
    let view = restricted_view(&state, &slug, &version).await?;
    if view.meta.access != AccessTier::Restricted {
        return Ok(Redirect::to(&format!("/datasets/{}/v/{}", view.stored.slug, view.stored.version))
            .into_response());
    }
    let sandbox_open = state.app.sandbox_of(&view).await?.is_some();
    let typed = Typed {
        duration: 90,
        sandbox: sandbox_open && kind.kind.as_deref() == Some("sandbox"),
        ..Typed::default()
    };
    Ok(render(&form_page(ctx, &view, sandbox_open, typed, vec![], String::new())))
}

/// `POST /datasets/{slug}/v/{version}/access`: files the request and goes to it; a bad field
/// shows the form again with what was typed and the error beside it.
pub async fn request(
    State(state): State<AppState>,
    ctx: Ctx,
    SignedIn(p): SignedIn,
    Path((slug, version)): Path<(String, String)>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, AppError> {
    form.check_text()?;
    let view = restricted_view(&state, &slug, &version).await?;
    let Some(user) = p.user.as_ref().map(|u| u.id) else {
        return Err(AppError::Refused(ctx.t("da-person-only")));
    };
    let typed = Typed {
        purpose: form.get("purpose").to_owned(),
        project: form.get("project").to_owned(),
        variables: form.all("variables"),
        duration: form.get("duration_days").parse().unwrap_or(0),
        agree: form.get("agree") == "yes",
        sandbox: form.get("kind") == "sandbox",
        members: form.get("members").to_owned(),
    };
    let input = AccessRequestIn {
        purpose: typed.purpose.clone(),
        project: typed.project.clone(),
        variables: typed.variables.clone(),
        duration_days: typed.duration,
        agree: typed.agree,
        lang: ctx.lang.code().to_owned(),
        sandbox: typed.sandbox,
        members: typed
            .members
            .split([',', '\n'])
            .map(|m| m.trim().to_owned())
            .filter(|m| !m.is_empty())
            .collect(),
    };
    let sandbox_open = state.app.sandbox_of(&view).await?.is_some();
    match state.app.request_dataset_access(&view, user, input).await {
        Ok(reference) => Ok(Redirect::to(&format!("/app/data-access/{reference}")).into_response()),
        Err(mizan_app::Error::BadRequest { field, detail }) => {
            let field = field.unwrap_or_default();
            let base = field.split('[').next().unwrap_or_default().to_owned();
            let key = format!("da-field-{base}");
            let label = if ctx.lang.has(&key) { ctx.t(&key) } else { base.clone() };
            let detail =
                if ctx.lang.has(&format!("{key}-error")) { ctx.t(&format!("{key}-error")) } else { detail };
            let mut res =
                render(&form_page(ctx, &view, sandbox_open, typed, vec![format!("{label}: {detail}")], base));
            *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(res)
        }
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------------------------
// The lists
// ---------------------------------------------------------------------------------------------

struct Row {
    reference: String,
    /// The dataset's slug, for its link.
    dataset: String,
    /// Its title in the page's language, with the language it fell back to.
    title: (String, Option<&'static str>),
    state: String,
    late: bool,
    opened_at: String,
}

/// The rows of `cases`, each dataset named by its title (the published datasets read once).
async fn rows(state: &AppState, ctx: &Ctx, cases: &[StoredCase]) -> Result<Vec<Row>, AppError> {
    let titles: std::collections::BTreeMap<String, (String, Option<&'static str>)> = if cases.is_empty() {
        std::collections::BTreeMap::new()
    } else {
        state
            .app
            .public_datasets()
            .await?
            .iter()
            .map(|d| (d.stored.slug.clone(), pick(ctx.lang, &d.meta.title)))
            .collect()
    };
    Ok(cases
        .iter()
        .map(|c| {
            let dataset = c.subject.strip_prefix("dataset:").unwrap_or(&c.subject).to_owned();
            Row {
                reference: c.reference.clone(),
                title: titles.get(&dataset).cloned().unwrap_or_else(|| (dataset.clone(), None)),
                dataset,
                state: ctx.code("da-state", &c.projection.state),
                late: c.projection.late,
                opened_at: c.opened_at.clone(),
            }
        })
        .collect())
}

#[derive(Template)]
#[template(path = "access_list.html")]
struct ListPage {
    ctx: Ctx,
    mine: Vec<Row>,
    to_decide: Option<Vec<Row>>,
}

/// `GET /app/data-access`: the reader's requests, and for a steward the organisation's.
pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    SignedIn(p): SignedIn,
) -> Result<Response, AppError> {
    let mine = match p.user.as_ref() {
        Some(u) => rows(&state, &ctx, &state.app.my_data_access(u.id).await?).await?,
        None => vec![],
    };
    let to_decide = if p.can("datasets:access") {
        Some(rows(&state, &ctx, &state.app.data_access_queue(&p).await?).await?)
    } else {
        None
    };
    Ok(render(&ListPage { ctx, mine, to_decide }))
}

// ---------------------------------------------------------------------------------------------
// One request
// ---------------------------------------------------------------------------------------------

struct HistoryRow {
    what: String,
    who: String,
    at: String,
    reasons: String,
}

struct FileLink {
    name: String,
    href: String,
}

#[derive(Template)]
#[template(path = "access_show.html")]
struct ShowPage {
    ctx: Ctx,
    reference: String,
    slug: String,
    version: i64,
    title: String,
    title_lang: Option<&'static str>,
    publisher: String,
    state: String,
    late: bool,
    steward: bool,
    purpose: String,
    project: String,
    /// Column names (identifiers, shown as code); empty for every column.
    variables: Vec<String>,
    duration: String,
    agreement: String,
    history: Vec<HistoryRow>,
    moves: Vec<(String, String)>,
    needs_reasons: bool,
    expires_at: Option<String>,
    active: bool,
    files: Vec<FileLink>,
    tokens: Vec<(String, String)>,
    may_make_token: bool,
    new_token: Option<String>,
    example_url: String,
    error: Option<String>,
    /// A sandbox project (queries, never files).
    sandbox: bool,
    members: Vec<String>,
}

async fn show_page(
    state: &AppState,
    ctx: Ctx,
    v: AccessView,
    new_token: Option<String>,
    error: Option<String>,
) -> Result<ShowPage, AppError> {
    let view = state.app.public_dataset(&v.terms.slug, Some(v.terms.version)).await?;
    let (title, title_lang) = pick(ctx.lang, &view.meta.title);
    let history = v
        .history
        .iter()
        .map(|e| HistoryRow {
            what: match &e.kind {
                EntryKind::Opened => ctx.t("da-entry-opened"),
                EntryKind::Move { name } => ctx.code("da-entry", name),
                EntryKind::Deadline { .. } => ctx.t("da-entry-late"),
            },
            who: ctx.code("da-role", &e.actor),
            at: mizan_store::format_time(e.at),
            reasons: e.fields.get("reasons").cloned().unwrap_or_default(),
        })
        .collect();
    let files = if v.active && v.role == roles::APPLICANT && !v.terms.sandbox {
        view.files
            .iter()
            .map(|f| FileLink {
                name: f.name.clone(),
                href: format!(
                    "/datasets/{}/v/{}/files/{}",
                    view.stored.slug,
                    view.stored.version,
                    url_encode(&f.name)
                ),
            })
            .collect()
    } else {
        vec![]
    };
    let agreement = vocab::terms(&v.terms.agreement.0)
        .map(|t| {
            format!("{} ({})", labels(ctx.lang, &t.title), ctx.t1("version-n", "n", v.terms.agreement.1))
        })
        .unwrap_or_default();
    let base = state.app.config().base_url.trim_end_matches('/');
    let example_url = if v.terms.sandbox {
        format!("{base}/api/v1/sandbox/projects/{}", v.case.reference)
    } else {
        files.first().map(|f| format!("{base}{}", f.href)).unwrap_or_default()
    };
    Ok(ShowPage {
        example_url,
        reference: v.case.reference.clone(),
        slug: view.stored.slug.clone(),
        version: view.stored.version,
        title,
        title_lang,
        publisher: view.stored.org_name.clone(),
        state: ctx.code("da-state", &v.case.projection.state),
        late: v.case.projection.late,
        steward: v.role == roles::STEWARD,
        purpose: v.terms.purpose.clone(),
        project: v.terms.project.clone(),
        variables: v.terms.variables.clone(),
        duration: ctx.t1("da-duration-days", "n", v.terms.duration_days),
        agreement,
        history,
        needs_reasons: v.moves.iter().any(|m| m != "withdraw"),
        moves: v.moves.iter().map(|m| (m.clone(), ctx.code("da-move", m))).collect(),
        expires_at: v.expires_at.map(mizan_store::format_time),
        active: v.active,
        files,
        tokens: v.tokens.iter().map(|t| (t.created_at.clone(), t.expires_at.clone())).collect(),
        may_make_token: v.active
            && (v.role == roles::APPLICANT || (v.terms.sandbox && v.role == roles::MEMBER))
            && v.tokens.len() < mizan_app::dataset_access::MAX_TOKENS,
        sandbox: v.terms.sandbox,
        members: v.terms.members.clone(),
        new_token,
        error,
        ctx,
    })
}

/// `GET /app/data-access/{reference}`: one request, for its applicant or a steward of the
/// publisher.
pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    SignedIn(p): SignedIn,
    Path(reference): Path<String>,
) -> Result<Response, AppError> {
    let v = state.app.data_access(&reference, &p).await?;
    Ok(render(&show_page(&state, ctx, v, None, None).await?))
}

/// `POST /app/data-access/{reference}/move`: approve, refuse or withdraw, with reasons.
pub async fn act(
    State(state): State<AppState>,
    ctx: Ctx,
    SignedIn(p): SignedIn,
    Path(reference): Path<String>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, AppError> {
    form.check_text()?;
    let name = form.get("move").to_owned();
    match state.app.move_data_access(&reference, &p, &name, form.get("reasons")).await {
        Ok(_) => Ok(Redirect::to(&format!("/app/data-access/{reference}")).into_response()),
        Err(mizan_app::Error::BadRequest { .. }) => {
            let v = state.app.data_access(&reference, &p).await?;
            let message = ctx.t("da-reasons-needed");
            let mut res = render(&show_page(&state, ctx, v, None, Some(message)).await?);
            *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(res)
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /app/data-access/{reference}/tokens`: makes a download token and shows it once.
pub async fn make_token(
    State(state): State<AppState>,
    ctx: Ctx,
    SignedIn(p): SignedIn,
    Path(reference): Path<String>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, AppError> {
    form.check_text()?;
    let (secret, _) = state.app.make_access_token(&reference, &p).await?;
    let v = state.app.data_access(&reference, &p).await?;
    let mut res = render(&show_page(&state, ctx, v, Some(secret), None).await?);
    // Shown once: no cache may keep the page that holds it.
    res.headers_mut()
        .insert(axum::http::header::CACHE_CONTROL, axum::http::HeaderValue::from_static("no-store"));
    *res.status_mut() = StatusCode::CREATED;
    Ok(res)
}
