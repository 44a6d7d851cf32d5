//! The national compute grid (issue #20), as pages and as JSON: the public page with the
//! published criteria and the figures (per province, institution kind, sector and month, and
//! utilisation) and their CSV; an institution's requests and projects with used and remaining
//! budgets; the request form; one request with its history, the reviewer's scoring form and
//! the applicant's withdrawal.
//!
//! Everything goes through `mizan_app::Platform` (`request_compute`, `compute_request`,
//! `move_compute_request`, `compute_queue`, `grid_projects`, `grid_figures`), which the
//! `compute-allocation` case type decides.

use askama::Template;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use mizan_app::grid::{ComputeDecisionIn, ComputeRequestIn, ComputeView, FAST_TRACK, criteria};
use mizan_cases::EntryKind;
use mizan_grid::{Balance, Figures, Totals, hours};
use serde::Serialize;
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::SignedIn;
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::pages::{Ctx, render};

// ---------------------------------------------------------------------------------------------
// The public figures
// ---------------------------------------------------------------------------------------------

/// Allocations, and CPU- and GPU-seconds granted and used, of one group.
#[derive(Debug, Serialize, ToSchema)]
pub struct TotalsOut {
    /// The group's code (`punjab`, `startup`, `academia`, `2026-12`; `all` for the total).
    pub key: String,
    /// Allocations granted.
    pub allocations: u64,
    /// CPU-seconds granted.
    pub cpu_seconds_granted: u64,
    /// GPU-seconds granted.
    pub gpu_seconds_granted: u64,
    /// CPU-seconds used (finished jobs, from `sacct`).
    pub cpu_seconds_used: u64,
    /// GPU-seconds used.
    pub gpu_seconds_used: u64,
}

/// The grid's public figures.
#[derive(Debug, Serialize, ToSchema)]
pub struct GridFiguresOut {
    /// The first month counted (`YYYY-MM`).
    pub from: String,
    /// The last month counted.
    pub to: String,
    /// Every allocation in the period.
    pub total: TotalsOut,
    /// Per province of the institution.
    pub by_province: Vec<TotalsOut>,
    /// Per institution kind (`university`, `startup`, `public-body`, `company`).
    pub by_institution_kind: Vec<TotalsOut>,
    /// Startups versus academia (and others).
    pub by_sector: Vec<TotalsOut>,
    /// Per month: grants by their first day, usage by the jobs' end.
    pub by_month: Vec<TotalsOut>,
    /// CPU-seconds used over the grid's CPUs × the period's seconds, in percent (two decimals).
    pub cpu_utilisation_percent: String,
    /// GPU utilisation, likewise.
    pub gpu_utilisation_percent: String,
}

/// A stored day (`YYYY-MM-DD`) as the start of that day in UTC, which `ctx.date` words.
fn day_time(day: &str) -> String {
    format!("{day}T00:00:00Z")
}

fn secs(v: u128) -> u64 {
    u64::try_from(v).unwrap_or(u64::MAX)
}

fn totals_out(key: String, t: &Totals) -> TotalsOut {
    TotalsOut {
        key,
        allocations: t.allocations,
        cpu_seconds_granted: secs(t.granted_cpu_seconds),
        gpu_seconds_granted: secs(t.granted_gpu_seconds),
        cpu_seconds_used: secs(t.used_cpu_seconds),
        gpu_seconds_used: secs(t.used_gpu_seconds),
    }
}

fn figures_out(f: &Figures, from: String, to: String) -> GridFiguresOut {
    GridFiguresOut {
        from,
        to,
        total: totals_out("all".into(), &f.total),
        by_province: f.by_province.iter().map(|(k, t)| totals_out(k.as_str().into(), t)).collect(),
        by_institution_kind: f.by_kind.iter().map(|(k, t)| totals_out(k.as_str().into(), t)).collect(),
        by_sector: f.by_sector.iter().map(|(k, t)| totals_out(k.as_str().into(), t)).collect(),
        by_month: f.by_month.iter().map(|(k, t)| totals_out(k.to_string(), t)).collect(),
        cpu_utilisation_percent: f.cpu_utilisation.percent(2),
        gpu_utilisation_percent: f.gpu_utilisation.percent(2),
    }
}

fn period_of(f: &Figures) -> (String, String) {
    let first = f.by_month.keys().next().map(ToString::to_string).unwrap_or_default();
    let last = f.by_month.keys().next_back().map(ToString::to_string).unwrap_or_default();
    (first, last)
}

/// The national compute grid's public figures: allocations and CPU- and GPU-time granted and
/// used, per province, institution kind, sector (startups versus academia) and month, and the
/// grid's utilisation, computed from the allocations and the imported `sacct` records.
#[utoipa::path(get, path = "/api/v1/grid/figures", operation_id = "grid_figures", tag = "grid",
    responses((status = 200, body = GridFiguresOut, description = "the figures")))]
pub async fn api_figures(State(state): State<AppState>) -> Result<Json<GridFiguresOut>, AppError> {
    let f = state.app.grid_figures().await?;
    let (from, to) = period_of(&f);
    Ok(Json(figures_out(&f, from, to)))
}

/// The same figures as CSV (RFC 4180): `dimension,key,allocations,cpu_hours_granted,
/// gpu_hours_granted,cpu_hours_used,gpu_hours_used`, hours with two decimals; `dimension` is
/// `total`, `province`, `institution-kind`, `sector` or `month`.
#[utoipa::path(get, path = "/api/v1/grid/figures.csv", operation_id = "grid_figures_csv", tag = "grid",
    responses((status = 200, content_type = "text/csv", body = String, description = "the figures, one row per group")))]
pub async fn api_figures_csv(State(state): State<AppState>) -> Result<Response, AppError> {
    let f = state.app.grid_figures().await?;
    let mut res = f.to_csv().into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"grid-figures.csv\""),
    );
    Ok(res)
}

struct FigureRow {
    label: String,
    allocations: u64,
    cpu_granted: String,
    gpu_granted: String,
    cpu_used: String,
    gpu_used: String,
}

fn figure_row(label: String, t: &Totals) -> FigureRow {
    FigureRow {
        label,
        allocations: t.allocations,
        cpu_granted: hours(t.granted_cpu_seconds),
        gpu_granted: hours(t.granted_gpu_seconds),
        cpu_used: hours(t.used_cpu_seconds),
        gpu_used: hours(t.used_gpu_seconds),
    }
}

struct CriterionRow {
    title: String,
    weight: u32,
    max_score: u32,
}

#[derive(Template)]
#[template(path = "grid_public.html")]
struct PublicPage {
    ctx: Ctx,
    resources: Vec<(String, i64, i64)>,
    criteria: Vec<CriterionRow>,
    fast_track: String,
    total: FigureRow,
    tables: Vec<(String, String, Vec<FigureRow>)>,
    cpu_utilisation: String,
    gpu_utilisation: String,
    states: Vec<(String, usize)>,
    late: usize,
    institutions: usize,
}

/// The fast track's terms in words.
fn fast_track_text(ctx: &Ctx) -> String {
    ctx.lang.t_args(
        "grid-fast-track",
        &[
            ("cpu", FAST_TRACK.cpu_hours.to_string()),
            ("gpu", FAST_TRACK.gpu_hours.to_string()),
            ("days", FAST_TRACK.max_days.to_string()),
        ],
    )
}

fn criteria_rows(ctx: &Ctx) -> Vec<CriterionRow> {
    criteria()
        .iter()
        .map(|c| CriterionRow {
            title: if ctx.lang_code() == "ur" { c.title_ur.clone() } else { c.title_en.clone() },
            weight: c.weight,
            max_score: c.max_score,
        })
        .collect()
}

/// `GET /grid`: the grid's resources, criteria and public figures.
pub async fn public(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    let f = state.app.grid_figures().await?;
    let resources = state
        .app
        .grid_resources()
        .await?
        .into_iter()
        .map(|r| (r.new.description, r.new.cpus, r.new.gpus))
        .collect();
    let month_label = |m: &mizan_grid::YearMonth| {
        let (y, n) =
            m.to_string().split_once('-').map(|(y, n)| (y.to_owned(), n.to_owned())).unwrap_or_default();
        format!("{} {y}", ctx.t(&format!("month-{}", n.trim_start_matches('0'))))
    };
    let province_label = |code: &str| {
        mizan_catalog::vocab::place(code).map_or_else(
            || code.to_owned(),
            |p| if ctx.lang_code() == "ur" { p.ur.clone() } else { p.en.clone() },
        )
    };
    let tables = vec![
        (
            "by-province".to_owned(),
            ctx.t("grid-by-province"),
            f.by_province.iter().map(|(k, t)| figure_row(province_label(k.as_str()), t)).collect(),
        ),
        (
            "by-kind".to_owned(),
            ctx.t("grid-by-kind"),
            f.by_kind.iter().map(|(k, t)| figure_row(ctx.code("grid-kind", k.as_str()), t)).collect(),
        ),
        (
            "by-sector".to_owned(),
            ctx.t("grid-by-sector"),
            f.by_sector.iter().map(|(k, t)| figure_row(ctx.code("grid-sector", k.as_str()), t)).collect(),
        ),
        (
            "by-month".to_owned(),
            ctx.t("grid-by-month"),
            f.by_month.iter().map(|(k, t)| figure_row(month_label(k), t)).collect(),
        ),
    ];
    let requests = state.app.compute_requests().await?;
    let mut states: Vec<(String, usize)> = Vec::new();
    for s in ["submitted", "fast-track", "escalated", "approved", "refused", "withdrawn"] {
        let n = requests.iter().filter(|c| c.projection.state == s).count();
        states.push((ctx.code("grid-state", s), n));
    }
    let late = requests.iter().filter(|c| c.projection.late).count();
    let institutions = state.app.store().grid_institutions().await?.len();
    Ok(render(&PublicPage {
        resources,
        criteria: criteria_rows(&ctx),
        fast_track: fast_track_text(&ctx),
        total: figure_row(ctx.t("grid-total"), &f.total),
        tables,
        cpu_utilisation: f.cpu_utilisation.percent(2),
        gpu_utilisation: f.gpu_utilisation.percent(2),
        states,
        late,
        institutions,
        ctx,
    }))
}

// ---------------------------------------------------------------------------------------------
// An institution's and a reviewer's home
// ---------------------------------------------------------------------------------------------

struct RequestRow {
    reference: String,
    title: String,
    state: String,
    late: bool,
    opened_at: String,
}

struct ProjectRow {
    reference: String,
    title: String,
    account: String,
    ends_on: String,
    balance: BalanceRow,
}

struct BalanceRow {
    cpu_granted: String,
    gpu_granted: String,
    cpu_used: String,
    gpu_used: String,
    cpu_left: String,
    gpu_left: String,
    overdrawn: bool,
}

fn balance_row(b: &Balance) -> BalanceRow {
    let (cpu_b, gpu_b) = b.budget.seconds();
    BalanceRow {
        cpu_granted: hours(cpu_b),
        gpu_granted: hours(gpu_b),
        cpu_used: hours(b.used.cpu_seconds.into()),
        gpu_used: hours(b.used.gpu_seconds.into()),
        cpu_left: hours(b.remaining.cpu_seconds.into()),
        gpu_left: hours(b.remaining.gpu_seconds.into()),
        overdrawn: b.overdrawn != mizan_grid::Usage::default(),
    }
}

#[derive(Template)]
#[template(path = "grid_home.html")]
struct HomePage {
    ctx: Ctx,
    institution: Option<String>,
    reviewer: bool,
    requests: Vec<RequestRow>,
    projects: Vec<ProjectRow>,
}

/// `GET /app/grid`: an institution's requests and projects, or a reviewer's open requests.
pub async fn home(
    State(state): State<AppState>,
    ctx: Ctx,
    SignedIn(p): SignedIn,
) -> Result<Response, AppError> {
    let institution = state.app.grid_institution(p.org.id).await?.map(|i| i.name);
    let reviewer = p.can("grid:review");
    let cases = if reviewer || institution.is_some() { state.app.compute_queue(&p).await? } else { vec![] };
    let titles = state.app.compute_titles(&cases).await?;
    let requests = cases
        .iter()
        .zip(titles)
        .map(|(c, title)| RequestRow {
            reference: c.reference.clone(),
            title,
            state: ctx.code("grid-state", &c.projection.state),
            late: c.projection.late,
            opened_at: c.opened_at.clone(),
        })
        .collect();
    let projects = if institution.is_some() {
        state
            .app
            .grid_projects(p.org.id)
            .await?
            .iter()
            .map(|(a, b)| ProjectRow {
                reference: a.reference.clone(),
                title: a.new.title.clone(),
                account: a.new.account.clone(),
                ends_on: day_time(&a.new.ends_on),
                balance: balance_row(b),
            })
            .collect()
    } else {
        vec![]
    };
    Ok(render(&HomePage { ctx, institution, reviewer, requests, projects }))
}

// ---------------------------------------------------------------------------------------------
// The request form
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Default)]
struct Typed {
    resource: i64,
    title: String,
    justification: String,
    cpu_hours: String,
    gpu_hours: String,
    starts_on: String,
    ends_on: String,
    members: String,
}

#[derive(Template)]
#[template(path = "grid_apply.html")]
struct ApplyPage {
    ctx: Ctx,
    institution: String,
    resources: Vec<(i64, String)>,
    criteria: Vec<CriterionRow>,
    fast_track: String,
    typed: Typed,
    errors: Vec<String>,
    error_field: String,
}

async fn apply_page(
    state: &AppState,
    ctx: Ctx,
    p: &mizan_store::Principal,
    typed: Typed,
    errors: Vec<String>,
    error_field: String,
) -> Result<ApplyPage, AppError> {
    let Some(inst) = state.app.grid_institution(p.org.id).await? else {
        return Err(AppError::Refused(ctx.t("grid-not-institution")));
    };
    let resources =
        state.app.grid_resources().await?.into_iter().map(|r| (r.id, r.new.description)).collect();
    Ok(ApplyPage {
        institution: inst.name,
        resources,
        criteria: criteria_rows(&ctx),
        fast_track: fast_track_text(&ctx),
        typed,
        errors,
        error_field,
        ctx,
    })
}

/// `GET /app/grid/apply`: the request form, for a member of a registered institution.
pub async fn apply_form(
    State(state): State<AppState>,
    ctx: Ctx,
    SignedIn(p): SignedIn,
) -> Result<Response, AppError> {
    let today = state.app.now().date();
    let typed = Typed {
        resource: state.app.grid_resources().await?.first().map_or(0, |r| r.id),
        cpu_hours: "0".into(),
        gpu_hours: "0".into(),
        starts_on: (today + time::Duration::days(7)).to_string(),
        ends_on: (today + time::Duration::days(187)).to_string(),
        ..Typed::default()
    };
    Ok(render(&apply_page(&state, ctx, &p, typed, vec![], String::new()).await?))
}

/// `POST /app/grid/apply`: files the request and goes to it; a bad field shows the form again
/// with what was typed and the error beside it.
pub async fn apply(
    State(state): State<AppState>,
    ctx: Ctx,
    SignedIn(p): SignedIn,
    CsrfForm(form): CsrfForm,
) -> Result<Response, AppError> {
    form.check_text()?;
    let typed = Typed {
        resource: form.get("resource").parse().unwrap_or(0),
        title: form.get("title").to_owned(),
        justification: form.get("justification").to_owned(),
        cpu_hours: form.get("cpu_hours").to_owned(),
        gpu_hours: form.get("gpu_hours").to_owned(),
        starts_on: form.get("starts_on").to_owned(),
        ends_on: form.get("ends_on").to_owned(),
        members: form.get("members").to_owned(),
    };
    let input = ComputeRequestIn {
        resource_id: typed.resource,
        title: typed.title.clone(),
        justification: typed.justification.clone(),
        cpu_hours: typed.cpu_hours.clone(),
        gpu_hours: typed.gpu_hours.clone(),
        starts_on: typed.starts_on.clone(),
        ends_on: typed.ends_on.clone(),
        members: typed
            .members
            .split([',', '\n', ' '])
            .map(|m| m.trim().to_owned())
            .filter(|m| !m.is_empty())
            .collect(),
        lang: ctx.lang_code().to_owned(),
    };
    match state.app.request_compute(&p, input).await {
        Ok(reference) => Ok(Redirect::to(&format!("/app/grid/requests/{reference}")).into_response()),
        Err(mizan_app::Error::BadRequest { field, detail }) => {
            let field = field.unwrap_or_default();
            let base = field.split('[').next().unwrap_or_default().to_owned();
            let key = format!("grid-field-{base}");
            let label = if ctx.lang.has(&key) { ctx.t(&key) } else { ctx.t("grid-field-other") };
            let message = format!("{label}: {}", field_detail(&ctx, &detail));
            let mut res = render(&apply_page(&state, ctx, &p, typed, vec![message], base).await?);
            *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(res)
        }
        Err(e) => Err(e.into()),
    }
}

/// The app's English detail in the page's language where the Fluent files have it; Urdu
/// pages otherwise say only that the field needs attention (the English stays for English).
fn field_detail(ctx: &Ctx, detail: &str) -> String {
    if ctx.lang_code() == "ur" { ctx.t("grid-field-check") } else { detail.to_owned() }
}

// ---------------------------------------------------------------------------------------------
// One request
// ---------------------------------------------------------------------------------------------

struct HistoryRow {
    what: String,
    who: String,
    at: String,
    reasons: String,
    granted: Option<(String, String)>,
    score: Option<String>,
}

struct ScoreInput {
    id: String,
    title: String,
    weight: u32,
    options: Vec<u32>,
}

#[derive(Template)]
#[template(path = "grid_request.html")]
struct RequestPage {
    ctx: Ctx,
    reference: String,
    institution: String,
    state: String,
    late: bool,
    title: String,
    justification: String,
    cpu_hours: u64,
    gpu_hours: u64,
    starts_on: String,
    ends_on: String,
    members: Vec<String>,
    resource: String,
    history: Vec<HistoryRow>,
    decide: bool,
    withdraw: bool,
    scores: Vec<ScoreInput>,
    allocation: Option<(String, BalanceRow)>,
    error: Option<String>,
}

fn request_page(ctx: Ctx, v: ComputeView, error: Option<String>) -> RequestPage {
    let history = v
        .history
        .iter()
        .map(|e| HistoryRow {
            what: match &e.kind {
                EntryKind::Opened => ctx.t("grid-entry-opened"),
                EntryKind::Move { name } => ctx.code("grid-entry", name),
                EntryKind::Deadline { .. } => ctx.t("grid-entry-late"),
            },
            who: ctx.code("grid-role", &e.actor),
            at: mizan_store::format_time(e.at),
            reasons: e.fields.get("reasons").cloned().unwrap_or_default(),
            granted: match (&e.kind, e.fields.get("cpu_hours"), e.fields.get("gpu_hours")) {
                (EntryKind::Move { name }, Some(c), Some(g)) if name == "approve" => {
                    Some((c.clone(), g.clone()))
                }
                _ => None,
            },
            score: e.fields.get("score_per_mille").and_then(|s| s.parse::<u64>().ok()).map(|pm| {
                let pct = format!("{}.{}", pm / 10, pm % 10);
                ctx.t1("grid-score-percent", "n", pct)
            }),
        })
        .collect();
    let scores = criteria()
        .iter()
        .map(|c| ScoreInput {
            id: c.id.clone(),
            title: if ctx.lang_code() == "ur" { c.title_ur.clone() } else { c.title_en.clone() },
            weight: c.weight,
            options: (0..=c.max_score).collect(),
        })
        .collect();
    RequestPage {
        reference: v.case.reference.clone(),
        institution: v.case.org_name.clone(),
        state: ctx.code("grid-state", &v.case.projection.state),
        late: v.case.projection.late,
        title: v.terms.title.clone(),
        justification: v.terms.justification.clone(),
        cpu_hours: v.terms.cpu_hours,
        gpu_hours: v.terms.gpu_hours,
        starts_on: day_time(&v.terms.starts_on),
        ends_on: day_time(&v.terms.ends_on),
        members: v.terms.members.clone(),
        resource: v.resource.map(|r| r.new.description).unwrap_or_default(),
        history,
        decide: v.moves.iter().any(|m| m == "approve"),
        withdraw: v.moves.iter().any(|m| m == "withdraw"),
        scores,
        allocation: v.allocation.as_ref().map(|(a, b)| (a.new.account.clone(), balance_row(b))),
        error,
        ctx,
    }
}

/// `GET /app/grid/requests/{reference}`: one request, for its institution or a grid reviewer
/// of the resource's operator.
pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    SignedIn(p): SignedIn,
    Path(reference): Path<String>,
) -> Result<Response, AppError> {
    let v = state.app.compute_request(&reference, &p).await?;
    Ok(render(&request_page(ctx, v, None)))
}

/// `POST /app/grid/requests/{reference}/move`: approve or refuse with scores (and the hours
/// granted), or withdraw.
pub async fn act(
    State(state): State<AppState>,
    ctx: Ctx,
    SignedIn(p): SignedIn,
    Path(reference): Path<String>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, AppError> {
    form.check_text()?;
    let name = form.get("move").to_owned();
    let input = ComputeDecisionIn {
        scores: criteria()
            .iter()
            .map(|c| (c.id.clone(), form.get(&format!("score-{}", c.id)).to_owned()))
            .collect(),
        cpu_hours: form.get("cpu_hours").to_owned(),
        gpu_hours: form.get("gpu_hours").to_owned(),
        reasons: form.get("reasons").to_owned(),
    };
    match state.app.move_compute_request(&reference, &p, &name, input).await {
        Ok(_) => Ok(Redirect::to(&format!("/app/grid/requests/{reference}")).into_response()),
        Err(mizan_app::Error::BadRequest { field, detail }) => {
            let v = state.app.compute_request(&reference, &p).await?;
            let base = field.unwrap_or_default().split(['.', '[']).next().unwrap_or_default().to_owned();
            let key = format!("grid-field-{base}");
            let label = if ctx.lang.has(&key) { ctx.t(&key) } else { ctx.t("grid-field-other") };
            let message = format!("{label}: {}", field_detail(&ctx, &detail));
            let mut res = render(&request_page(ctx, v, Some(message)));
            *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(res)
        }
        Err(e) => Err(e.into()),
    }
}
