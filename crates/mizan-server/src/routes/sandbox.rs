//! The privacy-safe data sandbox (issue #19), as pages and as JSON: a project's page with its
//! budget, its query form, the last answer and every spend; the steward's settings form for a
//! restricted version; and `/api/v1/sandbox/projects/{reference}` for scripts holding one of
//! the project's tokens.
//!
//! Everything goes through `mizan_app::Platform` (`sandbox_project`, `sandbox_query`,
//! `set_sandbox`, `sandbox_synthetic`). Answers are noisy numbers with their 95 % intervals;
//! refusals (a column not declared, ε above the cap, a budget that cannot pay) say why.

use askama::Template;
use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use mizan_app::dataset_access::roles;
use mizan_app::datasets::DatasetView;
use mizan_app::sandbox::{Asker, Project, Released, SandboxSettingsIn};
use mizan_catalog::{AccessTier, FileFormat};
use mizan_dp::{CategoricalColumn, Filter, NumericColumn, Settings, Statistic};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::SignedIn;
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::pages::{Ctx, render};
use crate::views::datasets::{parse_version, pick};

// ---------------------------------------------------------------------------------------------
// Queries, as the API and the form send them
// ---------------------------------------------------------------------------------------------

/// A differentially private query.
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QueryIn {
    /// `count`, `sum`, `mean`, `histogram` or `quantile`.
    #[schema(max_length = 20)]
    pub statistic: String,
    /// The numeric column (all but `count`).
    #[serde(default)]
    #[schema(max_length = 200)]
    pub column: Option<String>,
    /// A histogram's bins (2 to 50).
    #[serde(default)]
    #[schema(minimum = 2, maximum = 50)]
    pub bins: Option<u32>,
    /// A quantile's q, between 0 and 1 (0.5: the median).
    #[serde(default)]
    pub q: Option<f64>,
    /// Up to two categorical columns to group by.
    #[serde(default)]
    #[schema(max_items = 2)]
    pub group_by: Vec<String>,
    /// Conditions on categorical columns: a row is kept when each column's value is one of
    /// the values.
    #[serde(default)]
    #[schema(max_items = 8)]
    pub filters: Vec<FilterIn>,
    /// The ε to spend: above 0, at most the settings' per-query cap.
    pub epsilon: f64,
}

/// Keep rows whose `column` is one of `values`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FilterIn {
    /// A categorical column.
    #[schema(max_length = 200)]
    pub column: String,
    /// The categories kept.
    #[schema(max_items = 1000)]
    pub values: Vec<String>,
}

fn bad(field: &str, detail: impl Into<String>) -> AppError {
    AppError::BadRequest { field: Some(field.into()), detail: detail.into() }
}

impl QueryIn {
    fn to_query(&self) -> Result<mizan_dp::Query, AppError> {
        let column = || {
            self.column
                .clone()
                .filter(|c| !c.is_empty())
                .ok_or_else(|| bad("column", format!("a {} needs a numeric column", self.statistic)))
        };
        let statistic = match self.statistic.as_str() {
            "count" => Statistic::Count,
            "sum" => Statistic::Sum { column: column()? },
            "mean" => Statistic::Mean { column: column()? },
            "histogram" => Statistic::Histogram { column: column()?, bins: self.bins.unwrap_or(10) },
            "quantile" => Statistic::Quantile { column: column()?, q: self.q.unwrap_or(0.5) },
            other => {
                return Err(bad(
                    "statistic",
                    format!("`{other}` is not one of count, sum, mean, histogram, quantile"),
                ));
            }
        };
        if self.filters.len() > 8 {
            return Err(bad("filters", "at most 8 filters"));
        }
        Ok(mizan_dp::Query {
            statistic,
            group_by: self.group_by.iter().filter(|g| !g.is_empty()).cloned().collect(),
            filters: self
                .filters
                .iter()
                .map(|f| Filter { column: f.column.clone(), values: f.values.clone() })
                .collect(),
            epsilon: self.epsilon,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Answers and projects, as JSON
// ---------------------------------------------------------------------------------------------

/// One released number.
#[derive(Debug, Serialize, ToSchema)]
pub struct CellOut {
    /// The group's categories, one per grouping column (and the bin of a histogram).
    pub group: Vec<String>,
    /// The noisy value.
    pub value: f64,
    /// The 95 % interval's low end.
    pub low: f64,
    /// The 95 % interval's high end.
    pub high: f64,
}

/// A spend in the budget ledger.
#[derive(Debug, Serialize, ToSchema)]
pub struct SpendOut {
    /// The query's shape, without values.
    pub shape: String,
    /// `discrete-laplace`, `discrete-laplace-threshold` or `exponential`.
    pub mechanism: String,
    /// ε spent.
    pub epsilon: f64,
    /// δ spent.
    pub delta: f64,
    /// The project's ε after it.
    pub total_epsilon: f64,
    /// The project's δ after it.
    pub total_delta: f64,
    /// When (RFC 3339).
    pub at: String,
    /// The events-log event that records it.
    pub event_id: i64,
    /// Its inclusion proof.
    pub proof_url: String,
}

/// A noisy answer and what it cost.
#[derive(Debug, Serialize, ToSchema)]
pub struct AnswerOut {
    /// The released numbers. Never a row, never an exact count.
    pub cells: Vec<CellOut>,
    /// Cells left out: groups that failed partition selection or had fewer than 10 noisy rows.
    pub suppressed: usize,
    /// The noise's scale for each number (a mean's: of its sum).
    pub scale: f64,
    /// A mean's count noise scale.
    pub count_scale: Option<f64>,
    /// Half-width of the 95 % interval of the noise.
    pub accuracy95: f64,
    /// The partition-selection threshold, when the groups are not public.
    pub threshold: Option<f64>,
    /// The spend recorded before the answer was released.
    pub spend: SpendOut,
    /// The project's ε left.
    pub epsilon_left: f64,
    /// The project's δ left.
    pub delta_left: f64,
}

/// A numeric column the sandbox declares.
#[derive(Debug, Serialize, ToSchema)]
pub struct NumericOut {
    /// Name.
    pub name: String,
    /// Lower bound.
    pub lower: f64,
    /// Upper bound.
    pub upper: f64,
}

/// A categorical column the sandbox declares.
#[derive(Debug, Serialize, ToSchema)]
pub struct CategoricalOut {
    /// Name.
    pub name: String,
    /// Its public categories; absent when they are not public (groups then pass partition
    /// selection).
    pub keys: Option<Vec<String>>,
}

/// A sandbox project: its budget, what it may query, and every spend.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProjectOut {
    /// The project's reference.
    pub reference: String,
    /// The dataset.
    pub dataset: String,
    /// Its version.
    pub version: i64,
    /// Whether queries may be asked now.
    pub active: bool,
    /// When the agreement ends (RFC 3339).
    pub expires_at: Option<String>,
    /// Total ε.
    pub budget_epsilon: f64,
    /// Total δ.
    pub budget_delta: f64,
    /// ε spent.
    pub spent_epsilon: f64,
    /// δ spent.
    pub spent_delta: f64,
    /// The most ε one query may spend.
    pub max_query_epsilon: f64,
    /// The privacy unit's column.
    pub unit_column: String,
    /// The most rows one unit contributes.
    pub max_rows_per_unit: u32,
    /// Numeric columns.
    pub numeric: Vec<NumericOut>,
    /// Categorical columns.
    pub categorical: Vec<CategoricalOut>,
    /// Every spend, oldest first.
    pub spends: Vec<SpendOut>,
    /// The synthetic sample, when there is one.
    pub synthetic_url: Option<String>,
}

fn spend_out(base: &str, s: &mizan_store::Spend) -> SpendOut {
    SpendOut {
        shape: s.shape.clone(),
        mechanism: s.mechanism.clone(),
        epsilon: s.epsilon,
        delta: s.delta,
        total_epsilon: s.total_epsilon,
        total_delta: s.total_delta,
        at: s.at.clone(),
        event_id: s.event_id,
        proof_url: format!("{base}/api/v1/events/{}/proof", s.event_id),
    }
}

fn project_out(base: &str, p: &Project) -> ProjectOut {
    let s = &p.sandbox.settings;
    let (spent_epsilon, spent_delta) = p.spent();
    ProjectOut {
        reference: p.case.reference.clone(),
        dataset: p.terms.slug.clone(),
        version: p.terms.version,
        active: p.active,
        expires_at: p.expires_at.map(mizan_store::format_time),
        budget_epsilon: s.project_epsilon,
        budget_delta: s.project_delta,
        spent_epsilon,
        spent_delta,
        max_query_epsilon: s.max_query_epsilon,
        unit_column: s.unit_column.clone(),
        max_rows_per_unit: s.max_rows_per_unit,
        numeric: s
            .numeric
            .iter()
            .map(|n| NumericOut { name: n.name.clone(), lower: n.lower, upper: n.upper })
            .collect(),
        categorical: s
            .categorical
            .iter()
            .map(|c| CategoricalOut { name: c.name.clone(), keys: c.keys.clone() })
            .collect(),
        spends: p.spends.iter().map(|x| spend_out(base, x)).collect(),
        synthetic_url: p
            .sandbox
            .synthetic
            .as_ref()
            .map(|_| format!("{base}/api/v1/sandbox/projects/{}/synthetic", p.case.reference)),
    }
}

fn answer_out(base: &str, r: &Released) -> AnswerOut {
    let plan = &r.answer.plan;
    AnswerOut {
        cells: r
            .answer
            .cells
            .iter()
            .map(|c| CellOut { group: c.group.clone(), value: c.value, low: c.low, high: c.high })
            .collect(),
        suppressed: r.answer.suppressed,
        scale: plan.scale,
        count_scale: plan.count_scale,
        accuracy95: plan.accuracy95,
        threshold: plan.threshold,
        spend: spend_out(base, &r.spend),
        epsilon_left: (r.budget.0 - r.spend.total_epsilon).max(0.0),
        delta_left: (r.budget.1 - r.spend.total_delta).max(0.0),
    }
}

/// The project token in an `Authorization: Bearer mzd_…` header.
fn bearer(headers: &HeaderMap) -> Result<&str, AppError> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| t.starts_with(mizan_app::dataset_access::TOKEN_PREFIX))
        .ok_or(AppError::Unauthenticated)
}

/// A sandbox project: budget, spent, columns and every spend. Needs one of the project's
/// tokens (`mzd_…`, made on the project's page).
#[utoipa::path(get, path = "/api/v1/sandbox/projects/{reference}", tag = "sandbox", security(("token" = [])),
    params(("reference" = String, Path, max_length = 40)),
    responses((status = 200, body = ProjectOut),
        (status = 401, description = "no project token", content_type = "application/problem+json"),
        (status = 404, description = "no such project for this token", content_type = "application/problem+json")))]
pub async fn get_sandbox_project(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(reference): Path<String>,
) -> Result<Json<ProjectOut>, AppError> {
    let token = bearer(&headers)?;
    let p = state.app.sandbox_project(&reference, Asker::Token(token)).await?;
    Ok(Json(project_out(&state.app.config().base_url, &p)))
}

/// Asks a differentially private query of a sandbox project. The spend is checked against the
/// project's budget and recorded in the events log before the answer is released; a refused
/// query (409 budget, 400 shape) spends nothing and reads no data.
#[utoipa::path(post, path = "/api/v1/sandbox/projects/{reference}/queries", tag = "sandbox",
    security(("token" = [])), request_body = QueryIn,
    params(("reference" = String, Path, max_length = 40)),
    responses((status = 201, body = AnswerOut),
        (status = 400, description = "a query the settings refuse, naming why", content_type = "application/problem+json"),
        (status = 401, description = "no project token", content_type = "application/problem+json"),
        (status = 403, description = "the project is not approved or has ended", content_type = "application/problem+json"),
        (status = 404, description = "no such project for this token", content_type = "application/problem+json"),
        (status = 409, description = "the budget left cannot pay for the query", content_type = "application/problem+json")))]
pub async fn ask_sandbox_query(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(reference): Path<String>,
    crate::util::CleanJson(input): crate::util::CleanJson<QueryIn>,
) -> Result<(StatusCode, Json<AnswerOut>), AppError> {
    let token = bearer(&headers)?;
    let query = input.to_query()?;
    let r = state.app.sandbox_query(&reference, Asker::Token(token), &query).await?;
    Ok((StatusCode::CREATED, Json(answer_out(&state.app.config().base_url, &r))))
}

/// The project's DP synthetic sample (CSV; every row marked `synthetic`), for writing an
/// analysis before spending budget on the real data.
#[utoipa::path(get, path = "/api/v1/sandbox/projects/{reference}/synthetic", tag = "sandbox",
    security(("token" = [])), params(("reference" = String, Path, max_length = 40)),
    responses((status = 200, description = "the synthetic sample", content_type = "text/csv"),
        (status = 401, description = "no project token", content_type = "application/problem+json"),
        (status = 403, description = "the project is not approved or has ended", content_type = "application/problem+json"),
        (status = 404, description = "no such project, or no sample", content_type = "application/problem+json")))]
pub async fn get_sandbox_synthetic(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(reference): Path<String>,
) -> Result<Response, AppError> {
    let token = bearer(&headers)?;
    synthetic_response(&state, &reference, Asker::Token(token)).await
}

async fn synthetic_response(state: &AppState, reference: &str, who: Asker<'_>) -> Result<Response, AppError> {
    let s = state.app.sandbox_synthetic(reference, who).await?;
    let bytes = u64::try_from(s.bytes).unwrap_or(0);
    let stream = state.app.dataset_files().read(&s.sha256, 0, bytes).await?;
    // Fused: the response is compressed (CSV), and the compressor polls its body once more after
    // the end, which panicked the stream's `unfold` and cut every compressed download short.
    let mut res = Body::from_stream(futures_util::StreamExt::fuse(stream)).into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(bytes));
    let name = format!("attachment; filename=\"{reference}-synthetic.csv\"");
    if let Ok(v) = HeaderValue::from_str(&name) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    Ok(res)
}

// ---------------------------------------------------------------------------------------------
// The project's page
// ---------------------------------------------------------------------------------------------

struct SpendRow {
    shape: String,
    epsilon: String,
    total: String,
    at: String,
    event_id: i64,
}

struct AnswerView {
    headings: Vec<String>,
    rows: Vec<(Vec<String>, String, String)>,
    suppressed: usize,
    mechanism: String,
    scale: String,
    accuracy: String,
    epsilon: String,
    threshold: Option<String>,
}

#[derive(Template)]
#[template(path = "sandbox_project.html")]
struct ProjectPage {
    ctx: Ctx,
    reference: String,
    slug: String,
    version: i64,
    title: String,
    title_lang: Option<&'static str>,
    active: bool,
    expires_at: Option<String>,
    may_ask: bool,
    spent: String,
    budget: String,
    left: String,
    spent_share: u32,
    delta_budget: Option<(String, String)>,
    cap: String,
    unit_column: String,
    max_rows: u32,
    numeric: Vec<(String, String, String)>,
    categorical: Vec<(String, Option<Vec<String>>)>,
    spends: Vec<SpendRow>,
    synthetic: bool,
    answer: Option<AnswerView>,
    error: Option<String>,
    typed: QueryIn,
    filter_column: String,
    filter_values: String,
}

/// A number as people read it: at most six significant digits, no exponent for everyday sizes.
fn words(x: f64) -> String {
    if !x.is_finite() {
        return String::new();
    }
    if x == 0.0 {
        return "0".into();
    }
    let digits = (6 - 1 - x.abs().log10().floor() as i32).clamp(0, 9);
    let s = format!("{x:.*}", usize::try_from(digits).unwrap_or(0));
    if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_owned() } else { s }
}

fn mechanism_words(ctx: &Ctx, m: mizan_dp::Mechanism) -> String {
    ctx.code("sb-mechanism", mizan_app::sandbox::mechanism_id(m))
}

fn answer_view(ctx: &Ctx, r: &Released) -> AnswerView {
    let plan = &r.answer.plan;
    let mut headings: Vec<String> = plan.query.group_by.clone();
    if matches!(plan.query.statistic, Statistic::Histogram { .. }) {
        headings.push(ctx.t("sb-bin"));
    }
    AnswerView {
        headings,
        rows: r
            .answer
            .cells
            .iter()
            .map(|c| (c.group.clone(), words(c.value), format!("{} – {}", words(c.low), words(c.high))))
            .collect(),
        suppressed: r.answer.suppressed,
        mechanism: mechanism_words(ctx, plan.mechanism),
        scale: words(plan.scale),
        accuracy: words(plan.accuracy95),
        epsilon: words(plan.epsilon),
        threshold: plan.threshold.map(words),
    }
}

fn project_page(
    ctx: Ctx,
    view: &DatasetView,
    p: &Project,
    answer: Option<&Released>,
    error: Option<String>,
    typed: QueryIn,
) -> ProjectPage {
    let s = &p.sandbox.settings;
    let (spent, spent_delta) = p.spent();
    let (left, left_delta) = p.left();
    let (title, title_lang) = pick(ctx.lang, &view.meta.title);
    let share = if s.project_epsilon > 0.0 { (spent / s.project_epsilon * 100.0).round() } else { 0.0 };
    let filter = typed.filters.first().cloned().unwrap_or_default();
    ProjectPage {
        reference: p.case.reference.clone(),
        slug: view.stored.slug.clone(),
        version: view.stored.version,
        title,
        title_lang,
        active: p.active,
        expires_at: p.expires_at.map(mizan_store::format_time),
        may_ask: p.active && p.role != roles::STEWARD,
        spent: words(spent),
        budget: words(s.project_epsilon),
        left: words(left),
        spent_share: share.clamp(0.0, 100.0) as u32,
        delta_budget: (s.project_delta > 0.0).then(|| {
            (
                words(spent_delta),
                format!("{} ({} {})", words(s.project_delta), ctx.t("sb-left"), words(left_delta)),
            )
        }),
        cap: words(s.max_query_epsilon),
        unit_column: s.unit_column.clone(),
        max_rows: s.max_rows_per_unit,
        numeric: s.numeric.iter().map(|n| (n.name.clone(), words(n.lower), words(n.upper))).collect(),
        categorical: s.categorical.iter().map(|c| (c.name.clone(), c.keys.clone())).collect(),
        spends: p
            .spends
            .iter()
            .rev()
            .map(|x| SpendRow {
                shape: x.shape.clone(),
                epsilon: words(x.epsilon),
                total: words(x.total_epsilon),
                at: x.at.clone(),
                event_id: x.event_id,
            })
            .collect(),
        synthetic: p.sandbox.synthetic.is_some(),
        answer: answer.map(|r| answer_view(&ctx, r)),
        error,
        filter_column: filter.column,
        filter_values: filter.values.join(", "),
        typed,
        ctx,
    }
}

/// `GET /app/sandbox/{reference}`: the project's page.
pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    SignedIn(p): SignedIn,
    Path(reference): Path<String>,
) -> Result<Response, AppError> {
    let project = state.app.sandbox_project(&reference, Asker::Person(&p)).await?;
    let view = state.app.public_dataset(&project.terms.slug, Some(project.terms.version)).await?;
    let typed = QueryIn {
        statistic: "count".into(),
        epsilon: (project.sandbox.settings.max_query_epsilon / 2.0),
        ..QueryIn::default()
    };
    Ok(render(&project_page(ctx, &view, &project, None, None, typed)))
}

fn typed_from(form: &crate::util::FormFields) -> QueryIn {
    let opt = |k: &str| Some(form.get(k).trim().to_owned()).filter(|v| !v.is_empty());
    let values: Vec<String> =
        form.get("filter_values").split(',').map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()).collect();
    let filters = match opt("filter_column") {
        Some(column) => vec![FilterIn { column, values }],
        None => vec![],
    };
    QueryIn {
        statistic: form.get("statistic").to_owned(),
        column: opt("column"),
        bins: opt("bins").and_then(|b| b.parse().ok()),
        q: opt("q").and_then(|q| q.parse().ok()),
        group_by: [opt("group_by_1"), opt("group_by_2")].into_iter().flatten().collect(),
        filters,
        epsilon: form.get("epsilon").trim().parse().unwrap_or(f64::NAN),
    }
}

/// `POST /app/sandbox/{reference}/query`: asks a query and shows its answer, or why it was
/// refused (nothing spent).
pub async fn ask(
    State(state): State<AppState>,
    ctx: Ctx,
    SignedIn(p): SignedIn,
    Path(reference): Path<String>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, AppError> {
    form.check_text()?;
    let typed = typed_from(&form);
    let outcome = match typed.to_query() {
        Ok(q) => state.app.sandbox_query(&reference, Asker::Person(&p), &q).await.map_err(AppError::from),
        Err(e) => Err(e),
    };
    let (released, error, status) = match outcome {
        Ok(r) => (Some(r), None, StatusCode::OK),
        Err(AppError::BadRequest { detail, .. }) => (None, Some(detail), StatusCode::UNPROCESSABLE_ENTITY),
        Err(AppError::Conflict(detail)) => (None, Some(detail), StatusCode::CONFLICT),
        Err(e) => return Err(e),
    };
    let project = state.app.sandbox_project(&reference, Asker::Person(&p)).await?;
    let view = state.app.public_dataset(&project.terms.slug, Some(project.terms.version)).await?;
    let error = error.map(|d| format!("{} {d}", ctx.t("sb-refused")));
    let mut res = render(&project_page(ctx, &view, &project, released.as_ref(), error, typed));
    *res.status_mut() = status;
    Ok(res)
}

/// `GET /app/sandbox/{reference}/synthetic.csv`: the synthetic sample, for the project's people.
pub async fn synthetic(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    Path(reference): Path<String>,
) -> Result<Response, AppError> {
    synthetic_response(&state, &reference, Asker::Person(&p)).await
}

// ---------------------------------------------------------------------------------------------
// The steward's settings
// ---------------------------------------------------------------------------------------------

struct ColumnRow {
    index: usize,
    name: String,
    role: &'static str,
    lower: String,
    upper: String,
    keys: String,
}

#[derive(Template)]
#[template(path = "sandbox_settings.html")]
struct SettingsPage {
    ctx: Ctx,
    slug: String,
    version: i64,
    title: String,
    title_lang: Option<&'static str>,
    files: Vec<String>,
    file: String,
    unit_column: String,
    max_rows: String,
    columns: Vec<ColumnRow>,
    project_epsilon: String,
    project_delta: String,
    max_query_epsilon: String,
    synthetic_epsilon: String,
    locked: bool,
    current: Option<(String, i64, i64, i64, usize, String)>,
    errors: Vec<String>,
    saved: bool,
}

fn settings_page(
    ctx: Ctx,
    view: &DatasetView,
    sandbox: Option<&mizan_app::sandbox::Sandbox>,
    typed: Option<(&SandboxSettingsIn, &[String])>,
    errors: Vec<String>,
) -> SettingsPage {
    let (title, title_lang) = pick(ctx.lang, &view.meta.title);
    let files: Vec<String> =
        view.files.iter().filter(|f| f.format == FileFormat::Csv).map(|f| f.name.clone()).collect();
    let settings = typed.map(|(t, _)| &t.settings).or(sandbox.map(|s| &s.settings));
    let columns = mizan_app::dataset_access::columns_of(view)
        .into_iter()
        .enumerate()
        .map(|(index, name)| {
            let dict = view.meta.dictionary.iter().find(|c| c.name == name);
            let numeric = settings.and_then(|s| s.numeric.iter().find(|n| n.name == name));
            let cat = settings.and_then(|s| s.categorical.iter().find(|c| c.name == name));
            let role = if numeric.is_some() {
                "numeric"
            } else if cat.is_some() {
                "categorical"
            } else {
                "none"
            };
            let keys = match cat {
                Some(c) => c.keys.as_ref().map(|k| k.join("\n")).unwrap_or_default(),
                None => dict.map(|d| d.allowed_values.join("\n")).unwrap_or_default(),
            };
            ColumnRow {
                index,
                role,
                lower: numeric.map(|n| n.lower.to_string()).unwrap_or_default(),
                upper: numeric.map(|n| n.upper.to_string()).unwrap_or_default(),
                keys,
                name,
            }
        })
        .collect();
    let num = |f: fn(&Settings) -> f64, d: &str| settings.map_or_else(|| d.to_owned(), |s| f(s).to_string());
    SettingsPage {
        slug: view.stored.slug.clone(),
        version: view.stored.version,
        title,
        title_lang,
        file: typed
            .map(|(t, _)| t.file.clone())
            .or(sandbox.map(|s| s.stored.new.file_name.clone()))
            .or(files.first().cloned())
            .unwrap_or_default(),
        files,
        unit_column: settings.map(|s| s.unit_column.clone()).unwrap_or_default(),
        max_rows: settings.map_or_else(|| "1".to_owned(), |s| s.max_rows_per_unit.to_string()),
        columns,
        project_epsilon: num(|s| s.project_epsilon, "2"),
        project_delta: num(|s| s.project_delta, "0.000001"),
        max_query_epsilon: num(|s| s.max_query_epsilon, "0.5"),
        synthetic_epsilon: num(|s| s.synthetic_epsilon, "1"),
        locked: sandbox.is_some_and(|s| !s.spends.is_empty()),
        current: sandbox.map(|s| {
            (
                s.stored.new.file_name.clone(),
                s.stored.new.rows_in,
                s.stored.new.rows_kept,
                s.stored.new.units,
                s.spends.len(),
                words(s.total_epsilon()),
            )
        }),
        errors,
        saved: false,
        ctx,
    }
}

async fn steward_view(
    state: &AppState,
    p: &mizan_store::Principal,
    slug: &str,
    version: &str,
) -> Result<DatasetView, AppError> {
    crate::auth::require(p, "datasets:access")?;
    let view = state.app.org_dataset(p.scope(), slug, Some(parse_version(version)?)).await?;
    if view.meta.access != AccessTier::Restricted {
        return Err(AppError::Conflict(
            "only a restricted version has a sandbox: an open one's files are public".into(),
        ));
    }
    Ok(view)
}

/// `GET /app/datasets/{slug}/v/{version}/sandbox`: the steward's sandbox settings.
pub async fn settings_form(
    State(state): State<AppState>,
    ctx: Ctx,
    SignedIn(p): SignedIn,
    Path((slug, version)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let view = steward_view(&state, &p, &slug, &version).await?;
    let sandbox = state.app.sandbox_of(&view).await?;
    let mut page = settings_page(ctx, &view, sandbox.as_ref(), None, vec![]);
    page.saved = sandbox.is_some();
    Ok(render(&page))
}

fn settings_from(form: &crate::util::FormFields, columns: &[String]) -> Result<SandboxSettingsIn, AppError> {
    let number = |k: &str| -> Result<f64, AppError> {
        form.get(k).trim().parse::<f64>().map_err(|_| bad(k, format!("`{}` is not a number", form.get(k))))
    };
    let mut numeric = Vec::new();
    let mut categorical = Vec::new();
    for (i, name) in columns.iter().enumerate() {
        match form.get(&format!("role-{i}")) {
            "numeric" => numeric.push(NumericColumn {
                name: name.clone(),
                lower: number(&format!("lower-{i}"))?,
                upper: number(&format!("upper-{i}"))?,
                ..NumericColumn::default()
            }),
            "categorical" => {
                let keys: Vec<String> = form
                    .get(&format!("keys-{i}"))
                    .lines()
                    .map(|k| k.trim().to_owned())
                    .filter(|k| !k.is_empty())
                    .collect();
                categorical
                    .push(CategoricalColumn { name: name.clone(), keys: (!keys.is_empty()).then_some(keys) });
            }
            _ => {}
        }
    }
    Ok(SandboxSettingsIn {
        file: form.get("file").to_owned(),
        settings: Settings {
            unit_column: form.get("unit_column").to_owned(),
            max_rows_per_unit: form
                .get("max_rows_per_unit")
                .trim()
                .parse()
                .map_err(|_| bad("max_rows_per_unit", "a whole number from 1 to 1,000"))?,
            numeric,
            categorical,
            project_epsilon: number("project_epsilon")?,
            project_delta: number("project_delta")?,
            max_query_epsilon: number("max_query_epsilon")?,
            synthetic_epsilon: number("synthetic_epsilon")?,
            ..Settings::default()
        },
    })
}

/// `POST /app/datasets/{slug}/v/{version}/sandbox`: sets the settings and builds the table.
pub async fn set_settings(
    State(state): State<AppState>,
    ctx: Ctx,
    SignedIn(p): SignedIn,
    Path((slug, version)): Path<(String, String)>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, AppError> {
    form.check_text()?;
    let view = steward_view(&state, &p, &slug, &version).await?;
    let columns = mizan_app::dataset_access::columns_of(&view);
    let input = match settings_from(&form, &columns) {
        Ok(i) => i,
        Err(AppError::BadRequest { field, detail }) => {
            let sandbox = state.app.sandbox_of(&view).await?;
            let msg = format!("{}: {detail}", field.unwrap_or_default());
            let mut res = render(&settings_page(ctx, &view, sandbox.as_ref(), None, vec![msg]));
            *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            return Ok(res);
        }
        Err(e) => return Err(e),
    };
    match state.app.set_sandbox(&p, &view.stored.slug, view.stored.version, input.clone()).await {
        Ok(_) => {
            Ok(Redirect::to(&format!("/app/datasets/{}/v/{}/sandbox", view.stored.slug, view.stored.version))
                .into_response())
        }
        Err(mizan_app::Error::BadRequest { field, detail }) => {
            let sandbox = state.app.sandbox_of(&view).await?;
            let msg = format!("{}: {detail}", field.unwrap_or_default());
            let mut res =
                render(&settings_page(ctx, &view, sandbox.as_ref(), Some((&input, &columns)), vec![msg]));
            *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(res)
        }
        Err(e) => Err(e.into()),
    }
}
