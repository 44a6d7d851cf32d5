//! The JSON API under `/api/v1`, bulk downloads and the Atom feed.
//!
//! Public endpoints need nothing; provider and regulator endpoints need an API token
//! (`Authorization: Bearer mzn_...`) whose effective permissions are its scopes intersected with
//! its creator's roles. Errors are RFC 9457 problem+json (see `error.rs`). The OpenAPI document
//! is generated from these handlers' annotations.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use mizan_register::{FIELDS, FieldKind, Record, Status, Value};
use mizan_store::{ActorRef, PublicEntry, SystemSummary};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::{TokenUser, regulator, require};
use crate::error::AppError;
use crate::list::ListParams;
use crate::util::CleanJson;

/// An organisation as shown publicly.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrgOut {
    /// Short name.
    pub slug: String,
    /// Display name.
    pub name: String,
}

/// A system on the public register.
#[derive(Debug, Serialize, ToSchema)]
pub struct SystemOut {
    /// Stable 8-character public id.
    pub id: String,
    /// Owning organisation.
    pub organisation: OrgOut,
    /// Sector code.
    pub sector: String,
    /// `registered`, `suspended` or `retired`.
    pub status: String,
    /// The registered version shown.
    pub version: i64,
    /// Risk tier, once classified.
    pub risk_tier: Option<String>,
    /// Impact level `I`-`IV`, once assessed.
    pub impact_level: Option<String>,
    /// The public fields of the record (bilingual text as `{"en": ..., "ur": ...}`).
    #[schema(value_type = Object)]
    pub record: serde_json::Value,
    /// Demo data, not a real system.
    pub demo: bool,
    /// First registration.
    pub registered_at: String,
    /// Last public change.
    pub updated_at: String,
    /// Human-readable page.
    pub html_url: String,
    /// For a high-risk system: the published bias assessments (verdicts, and the sizes of
    /// groups of at least the disclosure threshold), newest first. Absent for other tiers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bias_assessments: Option<Vec<crate::views::audits::PublicAuditOut>>,
    /// In the bulk download: the system's appeal figures, as `/api/v1/systems/{id}/appeals`
    /// gives them (all zero for a system without appeals).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub appeals: Option<crate::views::appeals::StatsOut>,
    /// The obligations of the registered version's classification and where each stands, as
    /// the provider reports it (empty before classification).
    pub obligations: Vec<PublicObligationOut>,
}

/// One obligation of a registered system and where it stands.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicObligationOut {
    /// Obligation id (`EU-RISK-MANAGEMENT`).
    pub id: String,
    /// What it asks, in English and Urdu.
    #[schema(value_type = crate::openapi::BilingualText)]
    pub text: mizan_rules::Bilingual,
    /// The clause.
    pub cite: String,
    /// `not_started`, `in_progress`, `done` or `not_applicable`, as the provider reports it.
    pub status: String,
    /// The provider's link to public evidence ("" if none).
    pub evidence_url: String,
    /// When the provider last changed it ("" if never).
    pub updated_at: String,
}

/// The obligations of `e`'s registered version, for the public.
async fn public_obligations(state: &AppState, e: &PublicEntry) -> Result<Vec<PublicObligationOut>, AppError> {
    Ok(state
        .app
        .version_obligations(&e.public_id, e.version, false)
        .await?
        .into_iter()
        .map(|o| PublicObligationOut {
            id: o.id,
            text: o.text,
            cite: o.cite,
            status: o.status,
            evidence_url: o.evidence_url,
            updated_at: o.updated_at,
        })
        .collect())
}

fn system_out(base: &str, e: &PublicEntry) -> SystemOut {
    SystemOut {
        id: e.public_id.clone(),
        organisation: OrgOut { slug: e.org_slug.clone(), name: e.org_name.clone() },
        sector: e.sector.clone(),
        status: e.status.clone(),
        version: e.version,
        risk_tier: (!e.risk_tier.is_empty()).then(|| e.risk_tier.clone()),
        impact_level: (!e.impact_level.is_empty()).then(|| e.impact_level.clone()),
        record: serde_json::to_value(&e.record).unwrap_or_default(),
        demo: e.is_demo,
        registered_at: e.registered_at.clone(),
        updated_at: e.updated_at.clone(),
        html_url: format!("{base}/register/{}", e.public_id),
        bias_assessments: None,
        appeals: None,
        obligations: vec![],
    }
}

/// A system in a register listing: enough to choose, with a link to the full record.
#[derive(Debug, Serialize, ToSchema)]
pub struct SystemListItem {
    /// Stable 8-character public id.
    pub id: String,
    /// Name, in English and/or Urdu.
    #[schema(value_type = crate::openapi::BilingualText)]
    pub name: serde_json::Value,
    /// Short description, in English and/or Urdu.
    #[schema(value_type = crate::openapi::BilingualText)]
    pub short_description: serde_json::Value,
    /// Owning organisation.
    pub organisation: OrgOut,
    /// Sector code.
    pub sector: String,
    /// `registered`, `suspended` or `retired`.
    pub status: String,
    /// The registered version.
    pub version: i64,
    /// Risk tier, once classified.
    pub risk_tier: Option<String>,
    /// Impact level `I`-`IV`, once assessed.
    pub impact_level: Option<String>,
    /// Demo data, not a real system.
    pub demo: bool,
    /// Last public change.
    pub updated_at: String,
    /// The full record in this API.
    pub url: String,
}

fn list_item(base: &str, e: &PublicEntry) -> SystemListItem {
    let text =
        |k: &str| e.record.get(k).map(|v| serde_json::to_value(v).unwrap_or_default()).unwrap_or_default();
    SystemListItem {
        id: e.public_id.clone(),
        name: text("name"),
        short_description: text("short_description"),
        organisation: OrgOut { slug: e.org_slug.clone(), name: e.org_name.clone() },
        sector: e.sector.clone(),
        status: e.status.clone(),
        version: e.version,
        risk_tier: (!e.risk_tier.is_empty()).then(|| e.risk_tier.clone()),
        impact_level: (!e.impact_level.is_empty()).then(|| e.impact_level.clone()),
        demo: e.is_demo,
        updated_at: e.updated_at.clone(),
        url: format!("{base}/api/v1/systems/{}", e.public_id),
    }
}

/// A page of the register.
#[derive(Debug, Serialize, ToSchema)]
pub struct ListOut {
    /// Systems on this page.
    pub items: Vec<SystemListItem>,
    /// Matching systems in total.
    pub total: i64,
    /// This page (from 1).
    pub page: u32,
    /// Page size.
    pub per_page: u32,
}

/// List filters.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code, reason = "documents the query parameters; parsing uses ListParams")]
struct ListQueryDoc {
    /// Words that must all appear.
    q: Option<String>,
    /// Sector code.
    sector: Option<String>,
    /// Organisation slug.
    org: Option<String>,
    /// `registered`, `suspended` or `retired`.
    status: Option<String>,
    /// Risk tier.
    tier: Option<String>,
    /// Impact level `I`-`IV`.
    level: Option<String>,
    /// Page from 1.
    #[param(minimum = 1, maximum = 100_000)]
    page: Option<u32>,
    /// Page size, 1 to 100 (default 50).
    #[param(minimum = 1, maximum = 100)]
    per_page: Option<u32>,
}

/// List the public register.
#[utoipa::path(get, path = "/api/v1/systems", tag = "register", params(ListQueryDoc),
    responses((status = 200, body = ListOut), (status = 400, description = "invalid parameter", content_type = "application/problem+json")))]
pub async fn list(
    State(state): State<AppState>,
    Query(params): Query<ListParams>,
) -> Result<Json<ListOut>, AppError> {
    let page = state.app.store().public_list(&params.to_query(50)?).await?;
    let base = &state.app.config().base_url;
    Ok(Json(ListOut {
        items: page.entries.iter().map(|e| list_item(base, e)).collect(),
        total: page.total,
        page: page.page,
        per_page: page.per_page,
    }))
}

/// One system on the public register.
#[utoipa::path(get, path = "/api/v1/systems/{id}", tag = "register", params(("id" = String, Path, description = "public id")),
    responses((status = 200, body = SystemOut), (status = 404, content_type = "application/problem+json")))]
pub async fn detail(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<SystemOut>, AppError> {
    let e = state.app.store().public_entry(&id).await?;
    let mut out = system_out(&state.app.config().base_url, &e);
    out.bias_assessments = crate::views::audits::public_assessments(&state, &id, &e.risk_tier).await?;
    out.obligations = public_obligations(&state, &e).await?;
    Ok(Json(out))
}

/// A registered version.
#[derive(Debug, Serialize, ToSchema)]
pub struct VersionOut {
    /// Version number.
    pub version: i64,
    /// When submitted.
    pub submitted_at: String,
}

/// Registered versions of a system, newest first.
#[utoipa::path(get, path = "/api/v1/systems/{id}/versions", tag = "register", params(("id" = String, Path)),
    responses((status = 200, body = Vec<VersionOut>), (status = 404, content_type = "application/problem+json")))]
pub async fn versions(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Vec<VersionOut>>, AppError> {
    let v = state.app.store().public_versions(&id).await?;
    Ok(Json(v.into_iter().map(|v| VersionOut { version: v.version, submitted_at: v.submitted_at }).collect()))
}

/// The public fields of one registered version.
#[utoipa::path(get, path = "/api/v1/systems/{id}/versions/{version}", tag = "register",
    params(("id" = String, Path), ("version" = i64, Path)),
    responses((status = 200, body = Object), (status = 404, content_type = "application/problem+json")))]
pub async fn version(
    State(state): State<AppState>,
    Path((id, version)): Path<(String, String)>,
) -> Result<Json<Record>, AppError> {
    let n = version.parse::<i64>().map_err(|_| AppError::BadRequest {
        field: Some("version".into()),
        detail: format!("`{version}` is not a version number"),
    })?;
    Ok(Json(state.app.store().public_version(&id, n).await?))
}

/// The whole register as JSON.
#[derive(Debug, Serialize, ToSchema)]
pub struct BulkOut {
    /// When this file was made.
    pub generated_at: String,
    /// Number of systems.
    pub count: usize,
    /// Every system on the register.
    pub systems: Vec<SystemOut>,
}

/// Bulk download of the whole register as JSON, each system with its obligations, its
/// published bias assessments (high-risk systems) and its appeal figures.
#[utoipa::path(get, path = "/api/v1/register.json", tag = "downloads", responses((status = 200, body = BulkOut)))]
pub async fn bulk_json(State(state): State<AppState>) -> Result<Response, AppError> {
    let all = state.app.store().public_all().await?;
    // Every system's appeal figures in one pass over the cases.
    let figures = state.app.appeal_figures_by_system().await?;
    let base = &state.app.config().base_url;
    let mut systems = Vec::with_capacity(all.len());
    for e in &all {
        let mut s = system_out(base, e);
        let stats = figures.get(&e.public_id).cloned().unwrap_or_default();
        s.appeals = Some(crate::views::appeals::stats_out(&stats));
        s.obligations = public_obligations(&state, e).await?;
        s.bias_assessments =
            crate::views::audits::public_assessments(&state, &e.public_id, &e.risk_tier).await?;
        systems.push(s);
    }
    let out = BulkOut { generated_at: mizan_store::now(), count: all.len(), systems };
    let mut res = Json(out).into_response();
    res.headers_mut().insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"mizan-register.json\""),
    );
    Ok(res)
}

/// The appeal columns of the register CSV, after the record's fields, in this order.
pub const APPEAL_COLUMNS: [&str; 6] = [
    "appeals_received",
    "appeals_decided",
    "appeals_median_days_to_decision",
    "appeals_share_decided_on_time",
    "appeals_share_changed",
    "appeals_share_escalated",
];

/// The obligation and bias-assessment columns of the register CSV, after the appeal columns.
pub const ACCOUNTABILITY_COLUMNS: [&str; 5] = [
    "obligations_total",
    "obligations_done",
    "obligations_not_started",
    "bias_audits_published",
    "bias_latest_by_standard",
];

/// How an audit's verdicts read as one word: `fail` if any fails, `pass` if all pass,
/// `insufficient_data` otherwise, `unjudged` without verdicts.
fn verdict_word(summary: &mizan_app::audits::PublicSummary) -> &'static str {
    if summary.verdicts.is_empty() {
        "unjudged"
    } else if summary.fails() {
        "fail"
    } else if summary.verdicts.iter().all(|v| v.outcome == "pass") {
        "pass"
    } else {
        "insufficient_data"
    }
}

/// Bulk download of the whole register as CSV (one column per public field and language).
#[utoipa::path(get, path = "/api/v1/register.csv", tag = "downloads", responses((status = 200, content_type = "text/csv",
    description = "UTF-8 with a byte-order mark, so spreadsheet software reads Urdu. One row per system. Columns: id, organisation, status, version, risk_tier, impact_level (I to IV, empty before assessment), demo, registered_at, updated_at; then each public field (the sector among them) of the record (text fields as `<key>_en` and `<key>_ur`); then the system's appeal figures, as `/api/v1/systems/{id}/appeals` gives them: appeals_received, appeals_decided, appeals_median_days_to_decision (empty when none decided), appeals_share_decided_on_time, appeals_share_changed (reversed or modified, of those decided) and appeals_share_escalated (of those received), shares from 0 to 1, empty when there is nothing to divide by; then obligations_total, obligations_done (done or not applicable) and obligations_not_started, as the provider reports them; bias_audits_published (high-risk systems) and bias_latest_by_standard, each standard's latest published audit as `standard=outcome` (pass, fail, insufficient_data or unjudged) joined by `;`. Read columns by name: new ones are added, none is renamed.")))]
pub async fn bulk_csv(State(state): State<AppState>) -> Result<Response, AppError> {
    let all = state.app.store().public_all().await?;
    let figures = state.app.appeal_figures_by_system().await?;
    let mut header_row: Vec<String> = [
        "id",
        "organisation",
        "status",
        "version",
        "risk_tier",
        "impact_level",
        "demo",
        "registered_at",
        "updated_at",
    ]
    .map(str::to_owned)
    .to_vec();
    let public: Vec<_> = FIELDS.iter().filter(|f| f.public).collect();
    for f in &public {
        if matches!(f.kind, FieldKind::Text { .. }) {
            header_row.push(format!("{}_en", f.key));
            header_row.push(format!("{}_ur", f.key));
        } else {
            header_row.push(f.key.to_owned());
        }
    }
    header_row.extend(APPEAL_COLUMNS.map(str::to_owned));
    header_row.extend(ACCOUNTABILITY_COLUMNS.map(str::to_owned));
    // Records end in CRLF, as RFC 4180 (section 2, rule 1) has it; the csv crate's default is LF.
    let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(Vec::new());
    let internal = |e: csv::Error| AppError::Internal(e.to_string());
    w.write_record(header_row.iter().map(|c| csv_cell(c).into_owned())).map_err(internal)?;
    for e in &all {
        let mut row = vec![
            e.public_id.clone(),
            e.org_name.clone(),
            e.status.clone(),
            e.version.to_string(),
            e.risk_tier.clone(),
            e.impact_level.clone(),
            if e.is_demo { "true".into() } else { "false".into() },
            e.registered_at.clone(),
            e.updated_at.clone(),
        ];
        for f in &public {
            match (f.kind, e.record.get(f.key)) {
                (FieldKind::Text { .. }, Some(Value::Text(t))) => {
                    row.push(t.en.clone());
                    row.push(t.ur.clone());
                }
                (FieldKind::Text { .. }, _) => row.extend([String::new(), String::new()]),
                (_, Some(Value::List(items))) => row.push(items.join(";")),
                (_, Some(v)) => row.push(v.display("en")),
                (_, None) => row.push(String::new()),
            }
        }
        let stats = crate::views::appeals::stats_out(&figures.get(&e.public_id).cloned().unwrap_or_default());
        let opt = |v: Option<f64>| v.map(|x| x.to_string()).unwrap_or_default();
        row.extend([
            stats.received.to_string(),
            stats.decided.to_string(),
            opt(stats.median_days_to_decision),
            opt(stats.share_decided_on_time),
            opt(stats.share_changed),
            opt(stats.share_escalated),
        ]);
        let obligations = state.app.version_obligations(&e.public_id, e.version, false).await?;
        let (done, _, not_started, not_applicable) = mizan_app::obligations::tally(&obligations);
        let audits =
            if e.risk_tier == "high" { state.app.published_audits(&e.public_id).await? } else { vec![] };
        let latest: Vec<String> = mizan_app::audits::latest_per_standard(&audits)
            .iter()
            .map(|a| {
                format!("{}={}", a.summary.preset.as_deref().unwrap_or_default(), verdict_word(&a.summary))
            })
            .collect();
        row.extend([
            obligations.len().to_string(),
            (done + not_applicable).to_string(),
            not_started.to_string(),
            audits.len().to_string(),
            latest.join(";"),
        ]);
        w.write_record(row.iter().map(|c| csv_cell(c).into_owned())).map_err(internal)?;
    }
    let written = w.into_inner().map_err(|e| AppError::Internal(e.to_string()))?;
    // A byte-order mark first: spreadsheet software reads the file as UTF-8 only with one, and
    // shows Urdu as mojibake without.
    let mut bytes = Vec::with_capacity(written.len() + 3);
    bytes.extend_from_slice("\u{feff}".as_bytes());
    bytes.extend_from_slice(&written);
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"mizan-register.csv\""),
        ],
        bytes,
    )
        .into_response())
}

use crate::util::{csv_cell, xml_escape};

/// Atom feed of registrations, suspensions, retirements and the regulator's tier overrides of
/// registered versions.
#[utoipa::path(get, path = "/api/v1/changes.atom", tag = "downloads", responses((status = 200, content_type = "application/atom+xml")))]
pub async fn feed(State(state): State<AppState>) -> Result<Response, AppError> {
    let changes = state.app.store().public_changes(50).await?;
    let base = &state.app.config().base_url;
    let updated = changes.first().map_or_else(mizan_store::now, |c| c.at.clone());
    let mut xml = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\n\
         <title>Mizan AI register: changes</title>\n<id>{0}/api/v1/changes.atom</id>\n\
         <link rel=\"self\" href=\"{0}/api/v1/changes.atom\"/>\n<link href=\"{0}/register\"/>\n\
         <updated>{1}</updated>\n<author><name>Mizan</name></author>\n",
        xml_escape(base),
        xml_escape(&updated)
    );
    for c in &changes {
        let name = state
            .app
            .store()
            .public_entry(&c.public_id)
            .await
            .map(|e| e.record.text("name", "en"))
            .unwrap_or_default();
        // A tier override's reason is `<tier>: <why>`.
        let what = match c.reason.split_once(": ") {
            Some((tier, _)) if c.kind == "tier-override" => {
                format!("risk tier set to {tier} by the regulator")
            }
            _ => c.to_status.clone(),
        };
        xml.push_str(&format!(
            "<entry>\n<id>urn:mizan:event:{}</id>\n<title>{}: {} (version {})</title>\n\
             <link href=\"{}/register/{}\"/>\n<updated>{}</updated>\n<summary>{}</summary>\n</entry>\n",
            c.id,
            xml_escape(&name),
            xml_escape(&what),
            c.version,
            xml_escape(base),
            xml_escape(&c.public_id),
            xml_escape(&c.at),
            xml_escape(&c.reason)
        ));
    }
    xml.push_str("</feed>\n");
    Ok(([(header::CONTENT_TYPE, "application/atom+xml; charset=utf-8")], xml).into_response())
}

/// A report of an error in a public record.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportIn {
    /// The field concerned (a public field key), or empty for the whole record.
    #[serde(default)]
    #[schema(schema_with = report_field_schema)]
    pub field: String,
    /// What is wrong (up to 4000 characters).
    #[schema(schema_with = report_body_schema)]
    pub body: String,
    /// How to reach the reporter (optional; seen only by the owning organisation).
    #[serde(default)]
    #[schema(max_length = 254)]
    pub contact: String,
}

fn report_field_schema() -> utoipa::openapi::schema::Schema {
    let keys = FIELDS.iter().filter(|f| f.public).map(|f| f.key);
    crate::openapi::one_of_strings(
        std::iter::once("").chain(keys),
        "The field concerned (a public field key), or empty for the whole record.",
    )
}

fn report_body_schema() -> utoipa::openapi::schema::Schema {
    crate::openapi::non_blank(4000, "What is wrong (up to 4000 characters).")
}

/// A filed report as its reporter sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportOut {
    /// Reference to follow the report.
    pub reference: String,
    /// The system.
    pub system: String,
    /// The field concerned.
    pub field: String,
    /// `open`, `acknowledged`, `resolved` or `rejected`.
    pub status: String,
    /// The organisation's answer.
    pub response: String,
    /// Filed at.
    pub created_at: String,
    /// Last change.
    pub updated_at: String,
}

fn report_out(r: mizan_store::ErrorReport) -> ReportOut {
    ReportOut {
        reference: r.reference,
        system: r.public_id,
        field: r.field,
        status: r.status.as_str().to_owned(),
        response: r.response,
        created_at: r.created_at,
        updated_at: r.updated_at,
    }
}

/// Report an error in a public record.
#[utoipa::path(post, path = "/api/v1/systems/{id}/reports", tag = "register", params(("id" = String, Path)), request_body = ReportIn,
    responses((status = 201, body = ReportOut), (status = 400, content_type = "application/problem+json"), (status = 404, content_type = "application/problem+json"),
        (status = 429, description = "too many reports from this address: wait `Retry-After` seconds", content_type = "application/problem+json")))]
pub async fn file_report(
    State(state): State<AppState>,
    Path(id): Path<String>,
    crate::serve::ClientAddr(from): crate::serve::ClientAddr,
    CleanJson(input): CleanJson<ReportIn>,
) -> Result<Response, AppError> {
    if let Err(errors) =
        crate::reports::check_report(crate::i18n::Lang::En, &input.field, &input.body, &input.contact)
    {
        let field = if input.body.trim().is_empty() || input.body.chars().count() > 4000 {
            "body"
        } else if input.contact.chars().count() > 254 {
            "contact"
        } else {
            "field"
        };
        return Err(AppError::BadRequest { field: Some(field.into()), detail: errors.join("; ") });
    }
    // The same throttle as the register page's form: one count per address for both.
    state.app.store().public_entry(&id).await?;
    if let Err(wait) = state.app.public_form("error-report", from).await {
        return Err(AppError::Throttled(crate::serve::retry_after(wait).0));
    }
    let reference = state.app.store().file_report(&id, &input.field, &input.body, &input.contact).await?;
    let report = state.app.store().report_by_reference(&reference).await?;
    Ok((StatusCode::CREATED, Json(report_out(report))).into_response())
}

/// Follow a report by reference.
#[utoipa::path(get, path = "/api/v1/reports/{reference}", tag = "register", params(("reference" = String, Path)),
    responses((status = 200, body = ReportOut), (status = 404, content_type = "application/problem+json")))]
pub async fn report(
    State(state): State<AppState>,
    Path(reference): Path<String>,
) -> Result<Json<ReportOut>, AppError> {
    Ok(Json(report_out(state.app.store().report_by_reference(&reference).await?)))
}

/// A system as its provider (or the regulator) sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrgSystemOut {
    /// Public id.
    pub id: String,
    /// Organisation name.
    pub organisation: String,
    /// Lifecycle status.
    pub status: String,
    /// Newest submitted version (0: none).
    pub latest_version: i64,
    /// Newest registered version (0: none).
    pub registered_version: i64,
    /// Last change.
    pub updated_at: String,
}

fn org_system_out(s: &SystemSummary) -> OrgSystemOut {
    OrgSystemOut {
        id: s.public_id.clone(),
        organisation: s.org_name.clone(),
        status: s.status.as_str().to_owned(),
        latest_version: s.latest_version,
        registered_version: s.registered_version,
        updated_at: s.updated_at.clone(),
    }
}

/// A system with its draft record and event trail.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrgSystemDetail {
    /// Summary.
    #[serde(flatten)]
    pub summary: OrgSystemOut,
    /// The working draft, all fields.
    #[schema(value_type = Object)]
    pub draft: serde_json::Value,
    /// Event trail, oldest first.
    pub events: Vec<EventOut>,
}

/// One event of the trail.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventOut {
    /// `created`, `edited` or `transition`.
    pub kind: String,
    /// Version concerned.
    pub version: i64,
    /// Status before.
    pub from: String,
    /// Status after.
    pub to: String,
    /// Who.
    pub actor: String,
    /// Why.
    pub reason: String,
    /// When.
    pub at: String,
}

fn detail_out(v: mizan_store::SystemView) -> OrgSystemDetail {
    OrgSystemDetail {
        summary: org_system_out(&v.summary),
        draft: serde_json::to_value(&v.draft).unwrap_or_default(),
        events: v
            .events
            .into_iter()
            .map(|e| EventOut {
                kind: e.kind,
                version: e.version,
                from: e.from_status,
                to: e.to_status,
                actor: e.actor_name,
                reason: e.reason,
                at: e.at,
            })
            .collect(),
    }
}

/// The token's organisation's systems.
#[utoipa::path(get, path = "/api/v1/org/systems", tag = "provider", security(("token" = [])),
    responses((status = 200, body = Vec<OrgSystemOut>), (status = 401, content_type = "application/problem+json"), (status = 403, content_type = "application/problem+json")))]
pub async fn org_systems(
    State(state): State<AppState>,
    TokenUser(p): TokenUser,
) -> Result<Json<Vec<OrgSystemOut>>, AppError> {
    require(&p, "systems:read")?;
    Ok(Json(state.app.store().org_systems(p.scope()).await?.iter().map(org_system_out).collect()))
}

/// One of the organisation's systems with its draft and events.
#[utoipa::path(get, path = "/api/v1/org/systems/{id}", tag = "provider", security(("token" = [])), params(("id" = String, Path)),
    responses((status = 200, body = OrgSystemDetail), (status = 404, content_type = "application/problem+json")))]
pub async fn org_system(
    State(state): State<AppState>,
    TokenUser(p): TokenUser,
    Path(id): Path<String>,
) -> Result<Json<OrgSystemDetail>, AppError> {
    require(&p, "systems:read")?;
    Ok(Json(detail_out(state.app.store().org_system(p.scope(), &id).await?)))
}

fn parse_record(body: &serde_json::Value) -> Result<Record, AppError> {
    Record::from_json(body).map_err(AppError::Invalid)
}

/// Create a draft system; the body is the record (field key → value).
#[utoipa::path(post, path = "/api/v1/org/systems", tag = "provider", security(("token" = [])), request_body = crate::openapi::RecordIn,
    responses((status = 201, body = OrgSystemDetail), (status = 422, content_type = "application/problem+json")))]
pub async fn create_system(
    State(state): State<AppState>,
    TokenUser(p): TokenUser,
    CleanJson(body): CleanJson<serde_json::Value>,
) -> Result<Response, AppError> {
    require(&p, "systems:write")?;
    let record = parse_record(&body)?;
    let id = state.app.store().create_system(p.scope(), &ActorRef::from(&p), &record, false).await?;
    let view = state.app.store().org_system(p.scope(), &id).await?;
    let mut res = (StatusCode::CREATED, Json(detail_out(view))).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("/api/v1/org/systems/{id}")) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    Ok(res)
}

/// Replace the draft record.
#[utoipa::path(put, path = "/api/v1/org/systems/{id}", tag = "provider", security(("token" = [])), params(("id" = String, Path)), request_body = crate::openapi::RecordIn,
    responses((status = 200, body = OrgSystemDetail), (status = 409, content_type = "application/problem+json"), (status = 422, content_type = "application/problem+json")))]
pub async fn update_system(
    State(state): State<AppState>,
    TokenUser(p): TokenUser,
    Path(id): Path<String>,
    CleanJson(body): CleanJson<serde_json::Value>,
) -> Result<Json<OrgSystemDetail>, AppError> {
    require(&p, "systems:write")?;
    let record = parse_record(&body)?;
    state.app.store().update_draft(p.scope(), &id, &ActorRef::from(&p), &record).await?;
    Ok(Json(detail_out(state.app.store().org_system(p.scope(), &id).await?)))
}

/// A lifecycle move.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransitionIn {
    /// Target status.
    #[schema(schema_with = status_schema)]
    pub to: String,
    /// Why (optional).
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub reason: String,
}

/// A regulator's lifecycle move: the reason is required.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegulatorTransitionIn {
    /// Target status.
    #[schema(schema_with = status_schema)]
    pub to: String,
    /// Why (required, up to 2000 characters).
    #[schema(schema_with = reason_schema)]
    pub reason: String,
}

fn status_schema() -> utoipa::openapi::schema::Schema {
    crate::openapi::one_of_strings(Status::ALL.iter().map(|s| s.as_str()), "Target status.")
}

fn reason_schema() -> utoipa::openapi::schema::Schema {
    crate::openapi::non_blank(2000, "Why (required, up to 2000 characters; shown publicly).")
}

/// Submit, withdraw or retire one of the organisation's systems.
#[utoipa::path(post, path = "/api/v1/org/systems/{id}/transitions", tag = "provider", security(("token" = [])), params(("id" = String, Path)), request_body = TransitionIn,
    responses((status = 200, body = OrgSystemDetail), (status = 409, content_type = "application/problem+json"), (status = 422, content_type = "application/problem+json")))]
pub async fn org_transition(
    State(state): State<AppState>,
    TokenUser(p): TokenUser,
    Path(id): Path<String>,
    CleanJson(t): CleanJson<TransitionIn>,
) -> Result<Json<OrgSystemDetail>, AppError> {
    let to = Status::parse(&t.to)
        .map_err(|e| AppError::BadRequest { field: Some("to".into()), detail: e.to_string() })?;
    require(&p, if to == Status::Retired { "systems:retire" } else { "systems:submit" })?;
    if t.reason.chars().count() > 2000 {
        return Err(AppError::BadRequest {
            field: Some("reason".into()),
            detail: "`reason` may be up to 2000 characters".into(),
        });
    }
    state.app.store().provider_transition(p.scope(), &id, to, &ActorRef::from(&p), &t.reason).await?;
    Ok(Json(detail_out(state.app.store().org_system(p.scope(), &id).await?)))
}

/// The regulator's queue: submitted and under-review systems.
#[utoipa::path(get, path = "/api/v1/regulator/queue", tag = "regulator", security(("token" = [])),
    responses((status = 200, body = Vec<OrgSystemOut>), (status = 403, content_type = "application/problem+json")))]
pub async fn regulator_queue(
    State(state): State<AppState>,
    TokenUser(p): TokenUser,
) -> Result<Json<Vec<OrgSystemOut>>, AppError> {
    let scope = regulator(&p, "register:queue")?;
    Ok(Json(state.app.store().regulator_queue(scope).await?.iter().map(org_system_out).collect()))
}

/// Move any system through the register lifecycle, with a reason.
#[utoipa::path(post, path = "/api/v1/regulator/systems/{id}/transitions", tag = "regulator", security(("token" = [])), params(("id" = String, Path)), request_body = RegulatorTransitionIn,
    responses((status = 200, body = OrgSystemDetail), (status = 400, content_type = "application/problem+json"), (status = 409, content_type = "application/problem+json")))]
pub async fn regulator_transition(
    State(state): State<AppState>,
    TokenUser(p): TokenUser,
    Path(id): Path<String>,
    CleanJson(t): CleanJson<RegulatorTransitionIn>,
) -> Result<Json<OrgSystemDetail>, AppError> {
    let scope = regulator(&p, "register:transition")?;
    let to = Status::parse(&t.to)
        .map_err(|e| AppError::BadRequest { field: Some("to".into()), detail: e.to_string() })?;
    if t.reason.trim().is_empty() || t.reason.chars().count() > 2000 {
        return Err(AppError::BadRequest {
            field: Some("reason".into()),
            detail: "`reason` is required (up to 2000 characters)".into(),
        });
    }
    state.app.store().regulator_transition(scope, &id, to, &ActorRef::from(&p), &t.reason).await?;
    Ok(Json(detail_out(state.app.store().regulator_system(scope, &id).await?)))
}

/// A regulator's tier override.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OverrideIn {
    /// `prohibited`, `high`, `limited` or `minimal`.
    #[schema(schema_with = tier_schema)]
    pub tier: String,
    /// Why (required, shown publicly).
    #[schema(schema_with = reason_schema)]
    pub reason: String,
}

fn tier_schema() -> utoipa::openapi::schema::Schema {
    crate::openapi::one_of_strings(["prohibited", "high", "limited", "minimal", "out_of_scope"], "The tier.")
}

/// Override the computed tier of a system's latest version, with a public reason.
#[utoipa::path(post, path = "/api/v1/regulator/systems/{id}/tier-override", tag = "regulator", security(("token" = [])), params(("id" = String, Path)), request_body = OverrideIn,
    responses((status = 204), (status = 400, content_type = "application/problem+json"), (status = 409, content_type = "application/problem+json")))]
pub async fn regulator_override(
    State(state): State<AppState>,
    TokenUser(p): TokenUser,
    Path(id): Path<String>,
    CleanJson(o): CleanJson<OverrideIn>,
) -> Result<StatusCode, AppError> {
    let scope = regulator(&p, "register:transition")?;
    if o.reason.trim().is_empty() || o.reason.chars().count() > 2000 {
        return Err(AppError::BadRequest {
            field: Some("reason".into()),
            detail: "`reason` is required (up to 2000 characters)".into(),
        });
    }
    state.app.store().override_tier(scope, &id, &o.tier, &ActorRef::from(&p), &o.reason).await?;
    Ok(StatusCode::NO_CONTENT)
}
