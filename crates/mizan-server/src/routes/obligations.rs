//! The obligations checklist: each obligation that follows from a system's classification, with
//! the NIST AI RMF and ISO/IEC 42001 items it maps to, and the provider's status and evidence.

use askama::Template;
use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use mizan_store::{ActorRef, OBLIGATION_STATUSES, ObligationUpdate, Principal};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::{SignedIn, TokenUser, require};
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::pages::{Ctx, render};
use crate::util::CleanJson;

/// One checklist row.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChecklistItem {
    /// Obligation id.
    pub id: String,
    /// What to do, in the requested language.
    pub text: String,
    /// The clause.
    pub cite: String,
    /// NIST AI RMF subcategories it maps to.
    pub nist: Vec<String>,
    /// ISO/IEC 42001 Annex A controls it maps to.
    pub iso: Vec<String>,
    /// `not_started`, `in_progress`, `done` or `not_applicable`.
    pub status: String,
    /// Link to the evidence.
    pub evidence_url: String,
    /// Note.
    pub note: String,
    /// Last change ("" if never).
    pub updated_at: String,
}

/// The checklist of one of `p`'s systems in `lang`.
async fn checklist(
    state: &AppState,
    lang: Lang,
    p: &Principal,
    id: &str,
) -> Result<Vec<ChecklistItem>, AppError> {
    Ok(state
        .app
        .org_obligations(p.scope(), id)
        .await?
        .into_iter()
        .map(|o| ChecklistItem::of(lang, o))
        .collect())
}

impl ChecklistItem {
    /// An obligation as the checklist shows it, in `lang`.
    #[must_use]
    pub fn of(lang: Lang, o: mizan_app::obligations::ObligationItem) -> ChecklistItem {
        ChecklistItem {
            text: lang.pick(&o.text),
            cite: o.cite,
            nist: o.nist,
            iso: o.iso,
            status: o.status,
            evidence_url: o.evidence_url,
            note: o.note,
            updated_at: o.updated_at,
            id: o.id,
        }
    }
}

#[derive(Template)]
#[template(path = "obligations.html")]
struct ChecklistPage {
    ctx: Ctx,
    public_id: String,
    items: Vec<ChecklistItem>,
    statuses: &'static [&'static str],
    can_write: bool,
}

/// `GET /app/systems/{id}/obligations`.
pub async fn page(
    State(state): State<AppState>,
    ctx: Ctx,
    SignedIn(p): SignedIn,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    require(&p, "systems:read")?;
    let items = checklist(&state, ctx.lang, &p, &id).await?;
    Ok(render(&ChecklistPage {
        items,
        statuses: OBLIGATION_STATUSES,
        can_write: p.can("systems:write"),
        public_id: id,
        ctx,
    }))
}

async fn update(
    state: &AppState,
    p: &Principal,
    id: &str,
    obligation: &str,
    status: &str,
    evidence_url: &str,
    note: &str,
) -> Result<(), AppError> {
    let rs = mizan_rules::Ruleset::embedded()?;
    if !rs.obligation_ids().any(|o| o == obligation) {
        return Err(AppError::NotFound(format!("obligation `{obligation}`")));
    }
    let update = ObligationUpdate { obligation_id: obligation, status, evidence_url, note };
    state.app.store().set_obligation_status(p.scope(), id, &ActorRef::from(p), &update).await?;
    Ok(())
}

/// `POST /app/systems/{id}/obligations/{obligation}`.
pub async fn save(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    Path((id, obligation)): Path<(String, String)>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, AppError> {
    require(&p, "systems:write")?;
    update(&state, &p, &id, &obligation, form.get("status"), form.get("evidence_url"), form.get("note"))
        .await?;
    Ok(Redirect::to(&format!("/app/systems/{id}/obligations")).into_response())
}

/// The organisation's obligations checklist for a system.
#[utoipa::path(get, path = "/api/v1/org/systems/{id}/obligations", tag = "provider", security(("token" = [])), params(("id" = String, Path)),
    responses((status = 200, body = Vec<ChecklistItem>), (status = 404, content_type = "application/problem+json")))]
pub async fn api_list(
    State(state): State<AppState>,
    TokenUser(p): TokenUser,
    Path(id): Path<String>,
) -> Result<Json<Vec<ChecklistItem>>, AppError> {
    require(&p, "systems:read")?;
    Ok(Json(checklist(&state, Lang::En, &p, &id).await?))
}

/// A checklist change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChecklistIn {
    /// `not_started`, `in_progress`, `done` or `not_applicable`.
    #[schema(schema_with = status_schema)]
    pub status: String,
    /// Link to the evidence (https://...), optional.
    #[serde(default)]
    #[schema(max_length = 500, pattern = r"^(https?://[\s\S]*)?$")]
    pub evidence_url: String,
    /// Note, optional.
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub note: String,
}

fn status_schema() -> utoipa::openapi::schema::Schema {
    crate::openapi::one_of_strings(
        mizan_store::OBLIGATION_STATUSES.iter().copied(),
        "The obligation's status.",
    )
}

/// Record the status and evidence of one obligation.
#[utoipa::path(put, operation_id = "put_obligation", path = "/api/v1/org/systems/{id}/obligations/{obligation}", tag = "provider", security(("token" = [])),
    params(("id" = String, Path), ("obligation" = String, Path)), request_body = ChecklistIn,
    responses((status = 200, body = Vec<ChecklistItem>), (status = 404, content_type = "application/problem+json"), (status = 409, content_type = "application/problem+json")))]
pub async fn api_put(
    State(state): State<AppState>,
    TokenUser(p): TokenUser,
    Path((id, obligation)): Path<(String, String)>,
    CleanJson(input): CleanJson<ChecklistIn>,
) -> Result<Json<Vec<ChecklistItem>>, AppError> {
    require(&p, "systems:write")?;
    update(&state, &p, &id, &obligation, &input.status, &input.evidence_url, &input.note).await?;
    Ok(Json(checklist(&state, Lang::En, &p, &id).await?))
}
