//! Fairness audits: a provider or the regulator audits a system version from an uploaded
//! decisions file or from the system's logged decisions over a time window; the stored reports
//! are listed on the system's pages, and the public sees a summary on the register for
//! high-risk systems.
//!
//! The provider's pages and API (`/app/systems/{id}/audits`, `/api/v1/org/...`) work on the
//! organisation's own systems; the regulator's (`/regulator/systems/{id}/audits`,
//! `/api/v1/regulator/...`) on any. Who may see what is the store's [`AuditScope`]; the
//! computing is `crate::audits`. Nothing is written until the report is complete, so a refused
//! file or window leaves no trace.

use askama::Template;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use mizan_store::{AuditInfo, AuditScope, AuditSource, Auditor, Principal};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::{SignedIn, TokenUser, regulator, require};
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::pages::{Ctx, render};
use crate::util::CleanJson;
use crate::views::audits::{AuditRow, audit_rows};
use mizan_app::audits::{DISCLOSURE_MIN, InputError, PublicSummary, RawParams, Window};

/// Why an audit was not run: the user's input (shown on the form, in the page's language) or
/// anything else.
#[derive(Debug)]
pub enum Refused {
    /// A problem with the file, the columns or the window.
    Input(InputError),
    /// Not found, forbidden, a conflict, or an internal error.
    App(AppError),
}

impl From<InputError> for Refused {
    fn from(e: InputError) -> Self {
        Refused::Input(e)
    }
}

impl From<AppError> for Refused {
    fn from(e: AppError) -> Self {
        Refused::App(e)
    }
}

impl From<mizan_app::Error> for Refused {
    fn from(e: mizan_app::Error) -> Self {
        match e {
            mizan_app::Error::Audit(e) => Refused::Input(e),
            other => Refused::App(other.into()),
        }
    }
}

impl From<mizan_store::StoreError> for Refused {
    fn from(e: mizan_store::StoreError) -> Self {
        Refused::App(e.into())
    }
}

impl From<Refused> for AppError {
    fn from(r: Refused) -> Self {
        match r {
            Refused::Input(e) => e.into(),
            Refused::App(e) => e,
        }
    }
}

fn internal(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(e.to_string())
}

/// Whose pages or API these are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Audience {
    Provider,
    Regulator,
}

impl Audience {
    /// Where `p` may read audits.
    fn reader(self, p: &Principal) -> Result<AuditScope, AppError> {
        match self {
            Audience::Provider => {
                require(p, "systems:read")?;
                Ok(AuditScope::Org(p.scope()))
            }
            Audience::Regulator => Ok(AuditScope::Regulator(regulator(p, "register:queue")?)),
        }
    }

    /// `p` as someone who may run audits.
    fn runner(self, p: &Principal) -> Result<Auditor, AppError> {
        match self {
            Audience::Provider => {
                require(p, "audits:run")?;
                Ok(Auditor::provider(p))
            }
            Audience::Regulator => {
                regulator(p, "audits:run")?;
                Auditor::regulator(p).ok_or_else(|| AppError::Forbidden("audits:run".into()))
            }
        }
    }

    /// The pages of system `id`'s audits.
    fn page(self, id: &str) -> String {
        match self {
            Audience::Provider => format!("/app/systems/{id}/audits"),
            Audience::Regulator => format!("/regulator/systems/{id}/audits"),
        }
    }

    /// The system's own page.
    fn system_page(self, id: &str) -> String {
        match self {
            Audience::Provider => format!("/app/systems/{id}"),
            Audience::Regulator => format!("/regulator/systems/{id}"),
        }
    }

    /// The API of system `id`'s audits.
    fn api(self, id: &str) -> String {
        match self {
            Audience::Provider => format!("/api/v1/org/systems/{id}"),
            Audience::Regulator => format!("/api/v1/regulator/systems/{id}"),
        }
    }
}

/// A file name as the report shows it: the last path component, without control characters,
/// at most 200 characters.
fn file_name(given: Option<&str>) -> String {
    let base = given.unwrap_or_default().rsplit(['/', '\\']).next().unwrap_or_default();
    let clean: String = base.chars().filter(|c| !c.is_control()).take(200).collect();
    if clean.trim().is_empty() { "decisions".to_owned() } else { clean.trim().to_owned() }
}

// ---------------------------------------------------------------------------------------------
// API

/// What an audit was run on.
#[derive(Debug, Serialize, ToSchema)]
pub struct SourceOut {
    /// `upload` or `logged`.
    pub kind: String,
    /// The uploaded file's name.
    pub file_name: Option<String>,
    /// SHA-256 of the uploaded file.
    pub sha256: Option<String>,
    /// Its size in bytes.
    pub size_bytes: Option<i64>,
    /// Start of the window of logged decisions (inclusive).
    pub from: Option<String>,
    /// End of the window (exclusive).
    pub to: Option<String>,
}

fn source_out(s: &AuditSource) -> SourceOut {
    match s {
        AuditSource::Upload { file_name, sha256, size_bytes } => SourceOut {
            kind: "upload".into(),
            file_name: Some(file_name.clone()),
            sha256: Some(sha256.clone()),
            size_bytes: Some(*size_bytes),
            from: None,
            to: None,
        },
        AuditSource::Logged { from, to } => SourceOut {
            kind: "logged".into(),
            file_name: None,
            sha256: None,
            size_bytes: None,
            from: Some(from.clone()),
            to: Some(to.clone()),
        },
    }
}

/// A stored audit.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditOut {
    /// The audit's id.
    pub id: String,
    /// The system's public id.
    pub system: String,
    /// The version audited.
    pub version: i64,
    /// Who ran it.
    pub run_by: String,
    /// `provider` or `regulator`.
    pub role: String,
    /// What it was run on.
    pub source: SourceOut,
    /// Decisions audited.
    pub rows: i64,
    /// The preset judged against.
    pub preset: Option<String>,
    /// Columns and settings.
    #[schema(value_type = Object)]
    pub parameters: serde_json::Value,
    /// What the public may see (verdicts, sizes of groups at or above the threshold).
    #[schema(value_type = Object)]
    pub summary: PublicSummary,
    /// When it was run.
    pub created_at: String,
    /// The full report (`mizan.fairness.audit/1`).
    pub report_url: String,
    /// Whether it follows its standard (a preset, grouped only by the preset's sensitive
    /// attributes), so that it is published once its version is registered as high-risk;
    /// otherwise it is a private working document.
    pub follows_standard: bool,
}

fn audit_out(base: &str, api: &str, a: &AuditInfo) -> Result<AuditOut, AppError> {
    let summary = PublicSummary::parse(&a.summary_json)?;
    Ok(AuditOut {
        id: a.id.clone(),
        system: a.system.clone(),
        version: a.version,
        run_by: a.run_by.clone(),
        role: a.role.as_str().into(),
        source: source_out(&a.source),
        rows: a.rows,
        preset: (!a.preset.is_empty()).then(|| a.preset.clone()),
        parameters: serde_json::from_str(&a.parameters_json).map_err(internal)?,
        follows_standard: summary.follows_standard(),
        summary,
        created_at: a.created_at.clone(),
        report_url: format!("{base}{api}/audits/{}/report", a.id),
    })
}

/// Query of an upload through the API: the columns and, optionally, the file's name.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct UploadQuery {
    /// The file's name, for the report.
    pub file_name: Option<String>,
}

/// Reads an API upload: a `multipart/form-data` body (a `file` part and the column fields) or
/// the raw file with the columns in the query.
fn api_upload_parts(
    headers: &HeaderMap,
    query: &[(String, String)],
    body: Bytes,
) -> Result<(String, Bytes, RawParams), Refused> {
    let ctype = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    if ctype.to_ascii_lowercase().starts_with("multipart/form-data") {
        let parts = crate::multipart::parse(ctype, &body)
            .map_err(|e| AppError::BadRequest { field: Some("file".into()), detail: e.to_string() })?;
        let fields: Vec<(String, String)> = parts
            .iter()
            .filter(|p| p.filename.is_none())
            .map(|p| (p.name.clone(), String::from_utf8_lossy(&p.data).into_owned()))
            .collect();
        let raw = RawParams::from_fields(&fields, &["file_name"])?;
        let file = parts.into_iter().find(|p| p.name == "file").ok_or_else(|| InputError {
            field: "file".into(),
            key: "audit-err-file-required",
            args: vec![],
        })?;
        let name = file_name(file.filename.as_deref());
        return Ok((name, Bytes::from(file.data), raw));
    }
    let raw = RawParams::from_fields(query, &["file_name"])?;
    let given = query.iter().find(|(k, _)| k == "file_name").map(|(_, v)| v.as_str());
    Ok((file_name(given), body, raw))
}

async fn api_upload(
    state: &AppState,
    audience: Audience,
    p: &Principal,
    (id, version): (&str, i64),
    headers: &HeaderMap,
    query: &[(String, String)],
    body: Bytes,
) -> Result<Response, AppError> {
    let by = audience.runner(p)?;
    let (name, bytes, raw) = api_upload_parts(headers, query, body)?;
    let info = state.app.audit_upload(&by, id, version, name, bytes, raw).await?;
    let out = audit_out(&state.app.config().base_url, &audience.api(id), &info)?;
    Ok((StatusCode::CREATED, Json(out)).into_response())
}

/// Audit a system version from a decisions file (CSV with a header, Parquet or Arrow IPC).
/// Send the file as the body with the columns in the query, or as `multipart/form-data` with a
/// `file` part and the columns as fields. Nothing is stored unless the audit completes.
#[utoipa::path(post, path = "/api/v1/org/systems/{id}/versions/{version}/audits", tag = "audits", security(("token" = [])),
    params(("id" = String, Path), ("version" = i64, Path),
        ("label" = String, Query, min_length = 1, description = "column with the true outcome"),
        ("prediction" = String, Query, min_length = 1, description = "column with the decision"),
        ("sensitive" = String, Query, min_length = 1, description = "comma-separated sensitive columns"),
        ("control" = Option<String>, Query, description = "control column: groups are compared within each of its values"),
        ("weight" = Option<String>, Query, description = "sample weight column"),
        ("pos_label" = Option<String>, Query, description = "the favourable value; inferred for 0/1, -1/1, true/false"),
        ("preset" = Option<String>, Query, description = "pk-national, eu-ai-act-data-governance, nyc-ll144, us-four-fifths or aif360-disparate-impact (which needs `privileged`)"),
        ("privileged" = Option<String>, Query, description = "the privileged group of AIF360's comparisons: one `feature=value` per sensitive column, comma-separated (`sex=male,region=Punjab`)"),
        ("file_name" = Option<String>, Query, description = "the file's name, for the report")),
    request_body(content = Vec<u8>, content_type = "text/csv", description = "the decisions file (at most 32 MiB)"),
    responses((status = 201, body = AuditOut),
        (status = 400, content_type = "application/problem+json", description = "the file or a column is wrong: `field` names it; nothing is stored"),
        (status = 403, content_type = "application/problem+json"), (status = 404, content_type = "application/problem+json"),
        (status = 409, content_type = "application/problem+json", description = "the system has no submitted version"),
        (status = 413, content_type = "application/problem+json")))]
pub async fn api_org_upload(
    State(state): State<AppState>,
    TokenUser(p): TokenUser,
    Path((id, version)): Path<(String, i64)>,
    Query(query): Query<Vec<(String, String)>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    api_upload(&state, Audience::Provider, &p, (&id, version), &headers, &query, body).await
}

/// The regulator audits any system version from a decisions file (as the provider's upload).
#[utoipa::path(post, path = "/api/v1/regulator/systems/{id}/versions/{version}/audits", tag = "audits", security(("token" = [])),
    params(("id" = String, Path), ("version" = i64, Path)),
    request_body(content = Vec<u8>, content_type = "text/csv", description = "the decisions file, columns in the query as for the provider's upload"),
    responses((status = 201, body = AuditOut), (status = 400, content_type = "application/problem+json"),
        (status = 403, content_type = "application/problem+json"), (status = 404, content_type = "application/problem+json"),
        (status = 409, content_type = "application/problem+json", description = "the system has no submitted version"),
        (status = 413, content_type = "application/problem+json")))]
pub async fn api_regulator_upload(
    State(state): State<AppState>,
    TokenUser(p): TokenUser,
    Path((id, version)): Path<(String, i64)>,
    Query(query): Query<Vec<(String, String)>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    api_upload(&state, Audience::Regulator, &p, (&id, version), &headers, &query, body).await
}

/// An audit of logged decisions: the window and the features to group by.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoggedIn {
    /// Start: a date (`2026-01-01`) or an RFC 3339 time, inclusive.
    #[schema(min_length = 1)]
    pub from: String,
    /// End: a date (that whole day included) or an RFC 3339 time (exclusive).
    #[schema(min_length = 1)]
    pub to: String,
    /// A feature holding the true outcome, if the decisions record one; without it only the
    /// metrics of decisions alone (selection rates, demographic parity, impact ratios) are
    /// computed and the report lists the rest as not computed.
    #[serde(default)]
    pub label: Option<String>,
    /// Features to group by.
    #[schema(min_items = 1)]
    pub sensitive: Vec<String>,
    /// A feature to compare within.
    #[serde(default)]
    pub control: Option<String>,
    /// A feature holding sample weights.
    #[serde(default)]
    pub weight: Option<String>,
    /// The favourable `output` (and label) value, e.g. `approve`; inferred for 0/1, -1/1,
    /// true/false.
    #[serde(default)]
    pub pos_label: Option<String>,
    /// A preset to judge against.
    #[serde(default)]
    pub preset: Option<String>,
    /// The privileged group of AIF360's comparisons: one `feature=value` per sensitive
    /// feature, comma-separated (`sex=male,region=Punjab`).
    #[serde(default)]
    pub privileged: Option<String>,
}

async fn api_logged(
    state: &AppState,
    audience: Audience,
    p: &Principal,
    id: &str,
    version: i64,
    body: LoggedIn,
) -> Result<Response, AppError> {
    let by = audience.runner(p)?;
    let window = Window::parse(&body.from, &body.to)?;
    let raw = RawParams {
        label: body.label,
        prediction: None,
        sensitive: body.sensitive,
        control: body.control,
        weight: body.weight,
        pos_label: body.pos_label,
        preset: body.preset,
        privileged: body.privileged,
    };
    let info = state.app.audit_logged(&by, id, version, window, raw, &audience.api(id)).await?;
    let out = audit_out(&state.app.config().base_url, &audience.api(id), &info)?;
    Ok((StatusCode::CREATED, Json(out)).into_response())
}

/// Audit a system version's own logged decisions over a time window (decisions of that
/// version whose `decided_at` is in the window; erased ones are left out and counted).
#[utoipa::path(post, path = "/api/v1/org/systems/{id}/versions/{version}/audits/logged", tag = "audits", security(("token" = [])),
    params(("id" = String, Path), ("version" = i64, Path)), request_body = LoggedIn,
    responses((status = 201, body = AuditOut),
        (status = 400, content_type = "application/problem+json", description = "a bad window or feature, or no decisions in the window: `field` names it; nothing is stored"),
        (status = 403, content_type = "application/problem+json"), (status = 404, content_type = "application/problem+json"),
        (status = 409, content_type = "application/problem+json", description = "the system has no submitted version")))]
pub async fn api_org_logged(
    State(state): State<AppState>,
    TokenUser(p): TokenUser,
    Path((id, version)): Path<(String, i64)>,
    CleanJson(body): CleanJson<LoggedIn>,
) -> Result<Response, AppError> {
    api_logged(&state, Audience::Provider, &p, &id, version, body).await
}

/// The regulator audits any system version's logged decisions over a time window.
#[utoipa::path(post, path = "/api/v1/regulator/systems/{id}/versions/{version}/audits/logged", tag = "audits", security(("token" = [])),
    params(("id" = String, Path), ("version" = i64, Path)), request_body = LoggedIn,
    responses((status = 201, body = AuditOut), (status = 400, content_type = "application/problem+json"),
        (status = 403, content_type = "application/problem+json"), (status = 404, content_type = "application/problem+json"),
        (status = 409, content_type = "application/problem+json", description = "the system has no submitted version")))]
pub async fn api_regulator_logged(
    State(state): State<AppState>,
    TokenUser(p): TokenUser,
    Path((id, version)): Path<(String, i64)>,
    CleanJson(body): CleanJson<LoggedIn>,
) -> Result<Response, AppError> {
    api_logged(&state, Audience::Regulator, &p, &id, version, body).await
}

async fn api_list(
    state: &AppState,
    audience: Audience,
    p: &Principal,
    id: &str,
) -> Result<Response, AppError> {
    let scope = audience.reader(p)?;
    let audits = state.app.store().audits(scope, id).await?;
    let out = audits
        .iter()
        .map(|a| audit_out(&state.app.config().base_url, &audience.api(id), a))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Json(out).into_response())
}

/// The audits of one of the organisation's systems, newest first.
#[utoipa::path(get, path = "/api/v1/org/systems/{id}/audits", tag = "audits", security(("token" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = Vec<AuditOut>), (status = 404, content_type = "application/problem+json")))]
pub async fn api_org_list(
    State(state): State<AppState>,
    TokenUser(p): TokenUser,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    api_list(&state, Audience::Provider, &p, &id).await
}

/// The audits of any system, for the regulator.
#[utoipa::path(get, path = "/api/v1/regulator/systems/{id}/audits", tag = "audits", security(("token" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = Vec<AuditOut>), (status = 404, content_type = "application/problem+json")))]
pub async fn api_regulator_list(
    State(state): State<AppState>,
    TokenUser(p): TokenUser,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    api_list(&state, Audience::Regulator, &p, &id).await
}

fn json_report(json: String) -> Response {
    let mut res = json.into_response();
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    res
}

/// One audit's full report: the `mizan.fairness.audit/1` document.
#[utoipa::path(get, path = "/api/v1/org/systems/{id}/audits/{audit}/report", tag = "audits", security(("token" = [])),
    params(("id" = String, Path), ("audit" = String, Path)),
    responses((status = 200, content_type = "application/json", description = "the mizan.fairness.audit/1 document (JSON Schema at `/api/v1/schemas/mizan.fairness.audit-1.json`)"),
        (status = 404, content_type = "application/problem+json")))]
pub async fn api_org_report(
    State(state): State<AppState>,
    TokenUser(p): TokenUser,
    Path((id, audit)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let scope = Audience::Provider.reader(&p)?;
    Ok(json_report(state.app.store().audit_report(scope, &id, &audit).await?.json))
}

/// One audit's full report, for the regulator.
#[utoipa::path(get, path = "/api/v1/regulator/systems/{id}/audits/{audit}/report", tag = "audits", security(("token" = [])),
    params(("id" = String, Path), ("audit" = String, Path)),
    responses((status = 200, content_type = "application/json", description = "the mizan.fairness.audit/1 document (JSON Schema at `/api/v1/schemas/mizan.fairness.audit-1.json`)"),
        (status = 404, content_type = "application/problem+json")))]
pub async fn api_regulator_report(
    State(state): State<AppState>,
    TokenUser(p): TokenUser,
    Path((id, audit)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let scope = Audience::Regulator.reader(&p)?;
    Ok(json_report(state.app.store().audit_report(scope, &id, &audit).await?.json))
}

/// The values of the two forms, kept when one is shown again with an error.
#[derive(Debug, Clone, Default)]
pub struct FormValues {
    /// Which form: `upload` or `logged`.
    pub form: String,
    /// Version.
    pub version: String,
    /// Label.
    pub label: String,
    /// Decision column.
    pub prediction: String,
    /// Sensitive columns, comma-separated.
    pub sensitive: String,
    /// Control.
    pub control: String,
    /// Weight.
    pub weight: String,
    /// Favourable value.
    pub pos_label: String,
    /// Preset.
    pub preset: String,
    /// Privileged group (`sex=male`).
    pub privileged: String,
    /// Window start.
    pub from: String,
    /// Window end.
    pub to: String,
}

impl FormValues {
    fn of(form: &str, fields: &[(String, String)]) -> FormValues {
        let get = |k: &str| {
            fields.iter().find(|(n, _)| n == k).map(|(_, v)| v.trim().to_owned()).unwrap_or_default()
        };
        let sensitive: Vec<String> =
            fields.iter().filter(|(n, _)| n == "sensitive").map(|(_, v)| v.trim().to_owned()).collect();
        FormValues {
            form: form.to_owned(),
            version: get("version"),
            label: get("label"),
            prediction: get("prediction"),
            sensitive: sensitive.join(","),
            control: get("control"),
            weight: get("weight"),
            pos_label: get("pos_label"),
            preset: get("preset"),
            privileged: get("privileged"),
            from: get("from"),
            to: get("to"),
        }
    }

    /// The value shown for a field of form `form`.
    #[must_use]
    pub fn value(&self, form: &str, field: &str) -> String {
        if self.form != form {
            return String::new();
        }
        match field {
            "label" => self.label.clone(),
            "prediction" => self.prediction.clone(),
            "sensitive" => self.sensitive.clone(),
            "control" => self.control.clone(),
            "weight" => self.weight.clone(),
            "pos_label" => self.pos_label.clone(),
            "privileged" => self.privileged.clone(),
            "from" => self.from.clone(),
            "to" => self.to.clone(),
            _ => String::new(),
        }
    }

    /// Whether `option` of `field` was chosen in form `form`.
    #[must_use]
    pub fn chosen(&self, form: &str, field: &str, option: &str) -> bool {
        self.form == form
            && match field {
                "version" => self.version == option,
                "preset" => self.preset == option,
                _ => false,
            }
    }
}

#[derive(Template)]
#[template(path = "audits.html")]
struct AuditsPage {
    ctx: Ctx,
    back: String,
    action: String,
    audits: Vec<AuditRow>,
    audit_base: String,
    versions: Vec<i64>,
    presets: Vec<(String, String)>,
    can_run: bool,
    /// Whether the viewer may declare a version's privileged group (the provider).
    can_declare: bool,
    /// Each version's declared privileged group, newest version first, as people read it.
    declared: Vec<(i64, String)>,
    created: Option<String>,
    error: Option<(String, String)>,
    values: FormValues,
    api: String,
    base_url: String,
    disclosure: u64,
}

/// `?created=` after a run.
#[derive(Debug, Deserialize)]
pub struct CreatedQuery {
    created: Option<String>,
}

/// What the audits page shows besides the list: a stored run, or a refused one with its form.
#[derive(Debug, Default)]
struct Outcome {
    created: Option<String>,
    error: Option<(String, String)>,
    values: FormValues,
}

async fn audits_page(
    state: &AppState,
    ctx: Ctx,
    audience: Audience,
    p: &Principal,
    id: &str,
    Outcome { created, error, values }: Outcome,
) -> Result<Response, AppError> {
    let scope = audience.reader(p)?;
    let latest = match audience {
        Audience::Provider => state.app.store().org_system(p.scope(), id).await?.summary.latest_version,
        Audience::Regulator => {
            state
                .app
                .store()
                .regulator_system(regulator(p, "register:queue")?, id)
                .await?
                .summary
                .latest_version
        }
    };
    let audits = audit_rows(ctx.lang, &state.app.store().audits(scope, id).await?)?;
    let presets = mizan_fairness::preset::builtin()
        .iter()
        .map(|p| (p.name.to_owned(), ctx.t(&format!("audit-preset-{}", p.name))))
        .collect();
    let can_run = audience.runner(p).is_ok();
    let declared = state
        .app
        .store()
        .declared_privileged(scope, id)
        .await?
        .into_iter()
        .map(|(v, g)| (v, g.replace('=', " = ").replace(',', " × ")))
        .collect();
    Ok(render(&AuditsPage {
        can_declare: can_run && matches!(audience, Audience::Provider),
        declared,
        back: audience.system_page(id),
        action: audience.page(id),
        audit_base: audience.page(id),
        api: audience.api(id),
        base_url: state.app.config().base_url.clone(),
        versions: (1..=latest).rev().collect(),
        created: created.filter(|c| c.len() == 10 && c.bytes().all(|b| b.is_ascii_alphanumeric())),
        disclosure: DISCLOSURE_MIN,
        audits,
        presets,
        can_run,
        error,
        values,
        ctx,
    }))
}

/// A refusal on a page: the form again with the message in the page's language (400), or an
/// error page.
async fn page_refusal(
    state: &AppState,
    ctx: Ctx,
    audience: Audience,
    p: &Principal,
    id: &str,
    refused: Refused,
    values: FormValues,
) -> Result<Response, AppError> {
    match refused {
        Refused::Input(e) => {
            let msg = (e.field.clone(), crate::plain::audit_error(ctx.lang, &e));
            let mut res =
                audits_page(state, ctx, audience, p, id, Outcome { error: Some(msg), values, created: None })
                    .await?;
            *res.status_mut() = StatusCode::BAD_REQUEST;
            Ok(res)
        }
        Refused::App(e) => Err(e),
    }
}

fn version_of(v: &str) -> Result<i64, Refused> {
    v.parse::<i64>().map_err(|_| {
        Refused::Input(InputError { field: "version".into(), key: "audit-err-version", args: vec![] })
    })
}

async fn show(
    state: AppState,
    ctx: Ctx,
    audience: Audience,
    p: Principal,
    id: String,
    created: Option<String>,
) -> Result<Response, AppError> {
    audits_page(&state, ctx, audience, &p, &id, Outcome { created, ..Outcome::default() }).await
}

/// `GET /app/systems/{id}/audits`: the system's audits and the forms to run one.
pub async fn provider_page(
    State(state): State<AppState>,
    ctx: Ctx,
    SignedIn(p): SignedIn,
    Path(id): Path<String>,
    Query(q): Query<CreatedQuery>,
) -> Result<Response, AppError> {
    show(state, ctx, Audience::Provider, p, id, q.created).await
}

/// `GET /regulator/systems/{id}/audits`: the same for the regulator, on any system.
pub async fn regulator_page(
    State(state): State<AppState>,
    ctx: Ctx,
    SignedIn(p): SignedIn,
    Path(id): Path<String>,
    Query(q): Query<CreatedQuery>,
) -> Result<Response, AppError> {
    show(state, ctx, Audience::Regulator, p, id, q.created).await
}

async fn page_upload(
    state: AppState,
    ctx: Ctx,
    audience: Audience,
    p: Principal,
    id: String,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    let ctype = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    if !ctype.to_ascii_lowercase().starts_with("multipart/form-data") {
        return Err(AppError::UnsupportedMediaType("multipart/form-data".into()));
    }
    let parts = crate::multipart::parse(ctype, &body)
        .map_err(|e| AppError::BadRequest { field: Some("file".into()), detail: e.to_string() })?;
    let fields: Vec<(String, String)> = parts
        .iter()
        .filter(|p| p.filename.is_none())
        .map(|p| (p.name.clone(), String::from_utf8_lossy(&p.data).into_owned()))
        .collect();
    let csrf = fields.iter().find(|(k, _)| k == "csrf").map(|(_, v)| v.trim()).unwrap_or_default();
    crate::csrf::check(&headers, csrf)?;
    let by = audience.runner(&p)?;
    let values = FormValues::of("upload", &fields);
    let run = async {
        let raw = RawParams::from_fields(&fields, &["csrf", "version"])?;
        let version = version_of(&values.version)?;
        let file = parts.iter().find(|p| p.name == "file" && p.filename.is_some()).ok_or_else(|| {
            InputError { field: "file".into(), key: "audit-err-file-required", args: vec![] }
        })?;
        let name = file_name(file.filename.as_deref());
        state
            .app
            .audit_upload(&by, &id, version, name, Bytes::from(file.data.clone()), raw)
            .await
            .map_err(Refused::from)
    };
    match run.await {
        Ok(info) => Ok(Redirect::to(&format!("{}?created={}", audience.page(&id), info.id)).into_response()),
        Err(r) => page_refusal(&state, ctx, audience, &p, &id, r, values).await,
    }
}

/// `POST /app/systems/{id}/audits`: the upload form (`multipart/form-data`).
pub async fn provider_upload(
    State(state): State<AppState>,
    ctx: Ctx,
    SignedIn(p): SignedIn,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    page_upload(state, ctx, Audience::Provider, p, id, headers, body).await
}

/// `POST /regulator/systems/{id}/audits`: the regulator's upload form.
pub async fn regulator_upload(
    State(state): State<AppState>,
    ctx: Ctx,
    SignedIn(p): SignedIn,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    page_upload(state, ctx, Audience::Regulator, p, id, headers, body).await
}

async fn page_logged(
    state: AppState,
    ctx: Ctx,
    audience: Audience,
    p: Principal,
    id: String,
    form: crate::util::FormFields,
) -> Result<Response, AppError> {
    let by = audience.runner(&p)?;
    let values = FormValues::of("logged", &form.0);
    let run = async {
        let raw = RawParams::from_fields(&form.0, &["csrf", "version", "from", "to"])?;
        let version = version_of(&values.version)?;
        let window = Window::parse(form.get("from"), form.get("to"))?;
        state
            .app
            .audit_logged(&by, &id, version, window, raw, &audience.api(&id))
            .await
            .map_err(Refused::from)
    };
    match run.await {
        Ok(info) => Ok(Redirect::to(&format!("{}?created={}", audience.page(&id), info.id)).into_response()),
        Err(r) => page_refusal(&state, ctx, audience, &p, &id, r, values).await,
    }
}

/// `POST /app/systems/{id}/audits/privileged`: declare a version's privileged group.
pub async fn provider_privileged(
    State(state): State<AppState>,
    ctx: Ctx,
    SignedIn(p): SignedIn,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, AppError> {
    let values = FormValues::of("declare", &form.0);
    let run = async {
        let version = version_of(&values.version)?;
        state.app.declare_privileged(&p, &id, version, form.get("privileged")).await.map_err(Refused::from)
    };
    match run.await {
        Ok(_) => {
            Ok(Redirect::to(&format!("{}#privileged-title", Audience::Provider.page(&id))).into_response())
        }
        Err(r) => page_refusal(&state, ctx, Audience::Provider, &p, &id, r, values).await,
    }
}

/// A privileged group to declare.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeclareIn {
    /// One `feature=value` per sensitive feature, comma-separated (`sex=male,region=Punjab`).
    #[schema(
        min_length = 3,
        max_length = 200,
        pattern = r"^\s*[^=,\s][^=,]*=[^,]*(,\s*[^=,\s][^=,]*=[^,]*)*$"
    )]
    pub privileged: String,
}

/// The declared privileged group.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeclaredOut {
    /// The version that declares it.
    pub version: i64,
    /// The group as stored (`sex=male,region=Punjab`).
    pub privileged: String,
}

/// Declare the privileged group of AIF360's comparisons for a system version, once: every
/// later audit of that version that names no privileged group uses the declared value of each
/// of its sensitive features.
#[utoipa::path(put, path = "/api/v1/org/systems/{id}/versions/{version}/privileged-group", tag = "audits", security(("token" = [])),
    params(("id" = String, Path), ("version" = i64, Path)), request_body = DeclareIn,
    responses((status = 201, body = DeclaredOut),
        (status = 400, content_type = "application/problem+json", description = "not `feature=value` pairs: `field` names it"),
        (status = 403, content_type = "application/problem+json"), (status = 404, content_type = "application/problem+json"),
        (status = 409, content_type = "application/problem+json", description = "the version already declares one, or has not been submitted")))]
pub async fn api_org_privileged(
    State(state): State<AppState>,
    TokenUser(p): TokenUser,
    Path((id, version)): Path<(String, i64)>,
    CleanJson(body): CleanJson<DeclareIn>,
) -> Result<Response, AppError> {
    let privileged = state.app.declare_privileged(&p, &id, version, &body.privileged).await?;
    Ok((StatusCode::CREATED, Json(DeclaredOut { version, privileged })).into_response())
}

/// `POST /app/systems/{id}/audits/logged`: audit the system's logged decisions over a window.
pub async fn provider_logged(
    State(state): State<AppState>,
    ctx: Ctx,
    SignedIn(p): SignedIn,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, AppError> {
    page_logged(state, ctx, Audience::Provider, p, id, form).await
}

/// `POST /regulator/systems/{id}/audits/logged`: the regulator's audit of logged decisions.
pub async fn regulator_logged(
    State(state): State<AppState>,
    ctx: Ctx,
    SignedIn(p): SignedIn,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, AppError> {
    page_logged(state, ctx, Audience::Regulator, p, id, form).await
}

/// The stored report page. It is Mizan's own self-contained document (inline style, inline
/// SVG, no script), so it gets its own content policy: nothing may load, nothing may run, and
/// it is sandboxed away from the site's cookies.
fn html_report(html: String) -> Response {
    let mut res = html.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; sandbox",
        ),
    );
    res
}

async fn report(
    state: AppState,
    audience: Audience,
    p: Principal,
    id: String,
    file: String,
) -> Result<Response, AppError> {
    let scope = audience.reader(&p)?;
    let (audit, kind) = file.rsplit_once('.').ok_or_else(|| AppError::NotFound("report".into()))?;
    let stored = state.app.store().audit_report(scope, &id, audit).await?;
    match kind {
        "html" => Ok(html_report(stored.html)),
        "json" => {
            let mut res = json_report(stored.json);
            let disposition = format!("attachment; filename=\"mizan-audit-{}-{}.json\"", id, stored.info.id);
            if let Ok(v) = HeaderValue::from_str(&disposition) {
                res.headers_mut().insert(header::CONTENT_DISPOSITION, v);
            }
            Ok(res)
        }
        _ => Err(AppError::NotFound("report".into())),
    }
}

/// `GET /app/systems/{id}/audits/{file}`: an audit's report, `{audit}.html` or `{audit}.json`.
pub async fn provider_report(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    Path((id, file)): Path<(String, String)>,
) -> Result<Response, AppError> {
    report(state, Audience::Provider, p, id, file).await
}

/// `GET /regulator/systems/{id}/audits/{file}`: the same for the regulator.
pub async fn regulator_report(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    Path((id, file)): Path<(String, String)>,
) -> Result<Response, AppError> {
    report(state, Audience::Regulator, p, id, file).await
}
