//! The ethics board: a reviewer's queue, the review page of one submitted version, and the
//! decision with reasons. Pages and the JSON API share the store calls; the policy (who needs
//! review, how many approvals, who may not review) is `mizan_rules::review`.

use askama::Template;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use mizan_register::Record;
use mizan_store::{
    Principal, QueueItem, RegulatorScope, ReviewDecision, ReviewState, ReviewerScope, StoreError, SystemView,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::{SignedIn, TokenUser, require};
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::pages::{Ctx, FieldRow, field_rows, render};
use crate::util::CleanJson;
use crate::views::{ClassView, ImpactView, stored_views};

/// The reviewer scope of a principal.
///
/// # Errors
/// [`AppError::Forbidden`] without `review:decide`, or for a token not made by a person.
pub fn reviewer(p: &Principal) -> Result<ReviewerScope, AppError> {
    require(p, "review:decide")?;
    ReviewerScope::of(p).ok_or_else(|| AppError::Forbidden("review:decide".into()))
}

#[derive(Template)]
#[template(path = "review_queue.html")]
struct QueuePage {
    ctx: Ctx,
    queue: mizan_store::QueuePage,
}

impl QueuePage {
    fn pages(&self) -> usize {
        self.queue.total.div_ceil(self.queue.per_page).max(1)
    }
}

/// Paging of the queue.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(default)]
pub struct QueueParams {
    /// Page, from 1.
    #[param(minimum = 1, maximum = 1_000_000)]
    pub page: Option<usize>,
    /// Items per page (1 to 200; 50 by default).
    #[param(minimum = 1, maximum = 200)]
    pub per_page: Option<usize>,
}

/// Queue items shown per page unless asked otherwise.
const PER_PAGE: usize = 50;

/// `GET /review`: systems waiting for the ethics board that this reviewer may review.
pub async fn queue(
    State(state): State<AppState>,
    ctx: Ctx,
    SignedIn(p): SignedIn,
    Query(q): Query<QueueParams>,
) -> Result<Response, AppError> {
    let scope = reviewer(&p)?;
    let queue =
        state.app.store().review_queue(&scope, q.page.unwrap_or(1), q.per_page.unwrap_or(PER_PAGE)).await?;
    Ok(render(&QueuePage { ctx, queue }))
}

#[derive(Template)]
#[template(path = "review_system.html")]
struct SystemPage {
    ctx: Ctx,
    view: SystemView,
    fields: Vec<FieldRow>,
    review: Option<ReviewState>,
    classification: Option<ClassView>,
    impact: Option<ImpactView>,
    error: Option<String>,
    own_org: bool,
    reason: String,
    appeals: crate::views::appeals::StatsView,
    audit_fails: Option<bool>,
    /// The system's bias assessments, as the regulator reads them (the board sits with it).
    audits: Vec<crate::views::audits::AuditRow>,
    audit_base: String,
    /// The models its versions decide with.
    models: Vec<ModelView>,
}

/// A model as the ethics board reads it: what it is, what it reads (in words where the
/// provider gave them), which side is favourable, and which labels are missing.
pub struct ModelView {
    /// The version it belongs to.
    pub version: i64,
    /// File format.
    pub format: String,
    /// SHA-256 of the file.
    pub sha256: String,
    /// Its inputs, in the page language where labelled.
    pub features: String,
    /// Which side of the threshold is favourable, in words.
    pub favourable: String,
    /// Inputs and outputs without words, by name.
    pub labels_missing: Vec<String>,
}

/// The models of system `id` for the board's and the regulator's pages.
///
/// # Errors
/// Store errors.
pub async fn model_views(state: &AppState, ctx: &Ctx, id: &str) -> Result<Vec<ModelView>, AppError> {
    Ok(state
        .app
        .store()
        .system_models(id)
        .await?
        .into_iter()
        .map(|m| {
            let card = mizan_app::models::card_of(&m);
            ModelView {
                labels_missing: mizan_app::models::labels_missing(&m.feature_names, card.as_ref()),
                features: m
                    .feature_names
                    .iter()
                    .map(|f| crate::plain::feature_label(ctx.lang, card.as_ref(), f))
                    .collect::<Vec<_>>()
                    .join(ctx.t("list-separator").as_str()),
                favourable: ctx.code("models-favourable", m.favourable.as_str()),
                version: m.version,
                format: m.format,
                sha256: m.sha256,
            }
        })
        .collect())
}

async fn page(
    state: &AppState,
    ctx: Ctx,
    p: &Principal,
    id: &str,
    error: Option<String>,
    reason: String,
) -> Result<Response, AppError> {
    let scope = reviewer(p)?;
    let view = state.app.store().reviewer_system(&scope, id).await?;
    let version = view.summary.latest_version;
    let record: Record = state.app.store().version_record(None, None, id, version).await?;
    let (classification, impact) = stored_views(state, ctx.lang, None, id, version).await?;
    let review = state.app.store().review_state(id, version).await?;
    let appeals = crate::views::appeals::stats_view(&ctx, &state.app.appeal_stats(id).await?);
    let audit_fails = state.app.audit_fails(id).await?;
    let (audits, audit_base) = match mizan_store::RegulatorScope::of(p).filter(|_| p.can("register:queue")) {
        Some(r) => {
            crate::views::audits::system_page_list(state, ctx.lang, mizan_store::AuditScope::Regulator(r), id)
                .await?
        }
        None => (Vec::new(), String::new()),
    };
    let models = model_views(state, &ctx, id).await?;
    Ok(render(&SystemPage {
        models,
        appeals,
        audit_fails,
        audits,
        audit_base,
        own_org: view.org_id == p.org.id,
        fields: field_rows(ctx.lang, &record),
        ctx,
        view,
        review: Some(review),
        classification,
        impact,
        error,
        reason,
    }))
}

/// `GET /review/systems/{id}`: the submitted version with its classification, impact level
/// and the reviews so far.
pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    SignedIn(p): SignedIn,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    page(&state, ctx, &p, &id, None, String::new()).await
}

/// `POST /review/systems/{id}`: records the decision. Mistakes the reviewer can fix (no
/// reasons, no decision, a newer version) come back on the page in their language.
pub async fn decide(
    State(state): State<AppState>,
    ctx: Ctx,
    SignedIn(p): SignedIn,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, AppError> {
    let scope = reviewer(&p)?;
    let reason = form.get("reason").trim().to_owned();
    let problem = match (ReviewDecision::parse(form.get("decision")), form.get("version").parse::<i64>()) {
        _ if reason.is_empty() || reason.chars().count() > 4000 => Some(ctx.t("review-reason-required")),
        (Err(_), _) => Some(ctx.t("review-decision-required")),
        (_, Err(_)) => Some(ctx.t("review-stale")),
        (Ok(decision), Ok(version)) => {
            match state.app.store().decide_review(&scope, &id, version, decision, &reason).await {
                Ok(_) => None,
                Err(StoreError::Refused(_)) => Some(ctx.t("review-own-org")),
                Err(StoreError::Conflict(msg)) if msg.contains("latest submitted version") => {
                    Some(ctx.t("review-stale"))
                }
                Err(StoreError::Conflict(msg)) if msg.contains("already reviewed") => {
                    Some(ctx.t("review-already"))
                }
                Err(e) => return Err(e.into()),
            }
        }
    };
    match problem {
        None => Ok(Redirect::to("/review").into_response()),
        Some(msg) => {
            let mut res = page(&state, ctx, &p, &id, Some(msg), reason).await?;
            *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(res)
        }
    }
}

/// One review as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewOut {
    /// The version reviewed.
    pub version: i64,
    /// Reviewer and organisation.
    pub reviewer: String,
    /// `approve`, `request_changes` or `reject`.
    pub decision: String,
    /// The reviewer's reasons.
    pub reason: String,
    /// When (RFC 3339).
    pub at: String,
}

/// Where a version stands with the ethics board.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewStateOut {
    /// Public id of the system.
    pub id: String,
    /// The version.
    pub version: i64,
    /// Tier the need follows from (a regulator's override wins).
    pub tier: String,
    /// Impact level, if assessed.
    pub impact_level: Option<String>,
    /// Whether review is required.
    pub required: bool,
    /// Independent approvals needed.
    pub approvals_needed: u32,
    /// Approvals so far.
    pub approvals: u32,
    /// Whether the version may be registered.
    pub satisfied: bool,
    /// Reviews, oldest first.
    pub reviews: Vec<ReviewOut>,
}

fn state_out(id: &str, s: &ReviewState) -> ReviewStateOut {
    ReviewStateOut {
        id: id.to_owned(),
        version: s.version,
        tier: s.tier.clone(),
        impact_level: s.level.clone(),
        required: s.need.required,
        approvals_needed: s.need.reviewers,
        approvals: s.approvals(),
        satisfied: s.satisfied(),
        reviews: s
            .reviews
            .iter()
            .map(|r| ReviewOut {
                version: r.version,
                reviewer: r.reviewer_name.clone(),
                decision: r.decision.clone(),
                reason: r.reason.clone(),
                at: r.at.clone(),
            })
            .collect(),
    }
}

/// A system waiting for the ethics board.
#[derive(Debug, Serialize, ToSchema)]
pub struct QueueItemOut {
    /// Public id.
    pub id: String,
    /// Name in English.
    pub name: String,
    /// Owning organisation.
    pub organisation: String,
    /// The version to review.
    pub version: i64,
    /// Tier the need follows from.
    pub tier: String,
    /// Impact level, if assessed.
    pub impact_level: Option<String>,
    /// Approvals needed.
    pub approvals_needed: u32,
    /// Approvals so far.
    pub approvals: u32,
    /// Whether the caller already reviewed this version.
    pub reviewed_by_me: bool,
}

/// One page of the queue.
#[derive(Debug, Serialize, ToSchema)]
pub struct QueueOut {
    /// Items, oldest first.
    pub items: Vec<QueueItemOut>,
    /// Items in the whole queue.
    pub total: usize,
    /// This page.
    pub page: usize,
    /// Items per page.
    pub per_page: usize,
}

/// The reviewer's queue: systems of other organisations awaiting review, oldest first.
#[utoipa::path(get, path = "/api/v1/review/queue", tag = "review", security(("token" = [])), params(QueueParams),
    responses((status = 200, body = QueueOut), (status = 403, content_type = "application/problem+json")))]
pub async fn api_queue(
    State(state): State<AppState>,
    TokenUser(p): TokenUser,
    Query(q): Query<QueueParams>,
) -> Result<Json<QueueOut>, AppError> {
    let scope = reviewer(&p)?;
    let page = q.page.unwrap_or(1);
    let per_page = q.per_page.unwrap_or(PER_PAGE);
    for (name, n, max) in [("page", page, 1_000_000), ("per_page", per_page, 200)] {
        if !(1..=max).contains(&n) {
            return Err(AppError::BadRequest {
                field: Some(name.into()),
                detail: format!("`{name}` must be a whole number from 1 to {max}"),
            });
        }
    }
    let page = state.app.store().review_queue(&scope, page, per_page).await?;
    let items = page
        .items
        .iter()
        .map(|i: &QueueItem| QueueItemOut {
            id: i.summary.public_id.clone(),
            name: i.summary.name_en.clone(),
            organisation: i.summary.org_name.clone(),
            version: i.summary.latest_version,
            tier: i.tier.clone(),
            impact_level: i.level.clone(),
            approvals_needed: i.need.reviewers,
            approvals: i.approvals,
            reviewed_by_me: i.reviewed_by_me,
        })
        .collect();
    Ok(Json(QueueOut { items, total: page.total, page: page.page, per_page: page.per_page }))
}

/// A review decision.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewIn {
    /// The version reviewed; must be the latest submitted one.
    #[schema(minimum = 1)]
    #[serde(deserialize_with = "mizan_app::wire::whole_number")]
    pub version: i64,
    /// `approve`, `request_changes` or `reject`.
    #[schema(schema_with = decision_schema)]
    pub decision: String,
    /// Reasons (required, up to 4000 characters; shown to the provider and the regulator).
    #[schema(schema_with = reason_schema)]
    pub reason: String,
}

fn decision_schema() -> utoipa::openapi::schema::Schema {
    crate::openapi::one_of_strings(["approve", "request_changes", "reject"], "The decision.")
}

fn reason_schema() -> utoipa::openapi::schema::Schema {
    crate::openapi::non_blank(4000, "Reasons (shown to the provider and the regulator).")
}

/// Record a review of a system's latest submitted version.
#[utoipa::path(post, path = "/api/v1/review/systems/{id}/reviews", tag = "review", security(("token" = [])),
    params(("id" = String, Path)), request_body = ReviewIn,
    responses((status = 201, body = ReviewStateOut), (status = 400, content_type = "application/problem+json"),
        (status = 403, content_type = "application/problem+json"), (status = 409, content_type = "application/problem+json")))]
pub async fn api_decide(
    State(state): State<AppState>,
    TokenUser(p): TokenUser,
    Path(id): Path<String>,
    CleanJson(body): CleanJson<ReviewIn>,
) -> Result<(StatusCode, Json<ReviewStateOut>), AppError> {
    let scope = reviewer(&p)?;
    let decision = ReviewDecision::parse(&body.decision)
        .map_err(|e| AppError::BadRequest { field: Some("decision".into()), detail: e.to_string() })?;
    if body.reason.trim().is_empty() || body.reason.chars().count() > 4000 {
        return Err(AppError::BadRequest {
            field: Some("reason".into()),
            detail: "`reason` is required (up to 4000 characters)".into(),
        });
    }
    let s = state.app.store().decide_review(&scope, &id, body.version, decision, &body.reason).await?;
    Ok((StatusCode::CREATED, Json(state_out(&id, &s))))
}

/// The review state of a version, for its provider, the regulator or a reviewer.
#[utoipa::path(get, path = "/api/v1/review/systems/{id}/versions/{version}", tag = "review", security(("token" = [])),
    params(("id" = String, Path), ("version" = i64, Path)),
    responses((status = 200, body = ReviewStateOut), (status = 404, content_type = "application/problem+json")))]
pub async fn api_state(
    State(state): State<AppState>,
    TokenUser(p): TokenUser,
    Path((id, version)): Path<(String, i64)>,
) -> Result<Json<ReviewStateOut>, AppError> {
    // Visible to the owning provider (scoped read fails for others), the regulator and reviewers.
    let board = p.can("review:decide") || (p.can("register:queue") && RegulatorScope::of(&p).is_some());
    if !board {
        require(&p, "systems:read")?;
        state.app.store().org_system(p.scope(), &id).await?;
    }
    Ok(Json(state_out(&id, &state.app.store().review_state(&id, version).await?)))
}
