//! Regulator pages: the queue of submitted systems and the status change with a reason.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use mizan_register::{Actor, Record, Status};
use mizan_store::{ActorRef, Principal, SystemSummary, SystemView};

use crate::AppState;
use crate::auth::{SignedIn, regulator};
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::pages::{Ctx, FieldRow, field_rows, render};

#[derive(Template)]
#[template(path = "regulator_queue.html")]
struct QueuePage {
    ctx: Ctx,
    systems: Vec<SystemSummary>,
}

/// `GET /regulator`: systems waiting for the regulator, oldest first.
pub async fn queue(
    State(state): State<AppState>,
    ctx: Ctx,
    SignedIn(p): SignedIn,
) -> Result<Response, AppError> {
    let scope = regulator(&p, "register:queue")?;
    let systems = state.app.store().regulator_queue(scope).await?;
    Ok(render(&QueuePage { ctx, systems }))
}

#[derive(Template)]
#[template(path = "regulator_system.html")]
struct SystemPage {
    ctx: Ctx,
    view: SystemView,
    fields: Vec<FieldRow>,
    actions: Vec<String>,
    error: Option<String>,
    classification: Option<crate::views::ClassView>,
    impact: Option<crate::views::ImpactView>,
    can_override: bool,
    review: Option<mizan_store::ReviewState>,
    audits: Vec<crate::views::audits::AuditRow>,
    audit_base: String,
    intake: crate::views::intake::IntakeView,
}

async fn page(
    state: &AppState,
    ctx: Ctx,
    p: &Principal,
    id: &str,
    error: Option<String>,
) -> Result<Response, AppError> {
    page_with(state, ctx, p, id, error, None).await
}

/// [`page`] with the intake form's refusal shown in its section.
async fn page_with(
    state: &AppState,
    ctx: Ctx,
    p: &Principal,
    id: &str,
    error: Option<String>,
    intake_error: Option<String>,
) -> Result<Response, AppError> {
    let scope = regulator(p, "register:queue")?;
    let view = state.app.store().regulator_system(scope, id).await?;
    // The regulator decides on the submitted version, not on the draft.
    let record: Record = if view.summary.latest_version > 0 {
        state.app.store().version_record(None, Some(scope), id, view.summary.latest_version).await?
    } else {
        view.draft.clone()
    };
    let actions = if p.can("register:transition") {
        view.summary.status.next(Actor::Regulator).into_iter().map(|s| s.as_str().to_owned()).collect()
    } else {
        vec![]
    };
    let (classification, impact) =
        crate::views::stored_views(state, ctx.lang, None, id, view.summary.latest_version).await?;
    let can_override = p.can("register:transition") && view.summary.latest_version > 0;
    let review = if view.summary.latest_version > 0 {
        Some(state.app.store().review_state(id, view.summary.latest_version).await?)
    } else {
        None
    };
    let (audits, audit_base) = crate::views::audits::system_page_list(
        state,
        ctx.lang,
        mizan_store::AuditScope::Regulator(scope),
        id,
    )
    .await?;
    let viewer = crate::views::intake::Viewer {
        side: mizan_store::StoppedBy::Regulator,
        may_control: p.can("intake:stop"),
    };
    let registered = (view.summary.registered_version > 0, view.summary.status == Status::Retired);
    let mut intake = crate::views::intake::control_view(state, ctx.lang, id, viewer, registered).await?;
    intake.error = intake_error;
    Ok(render(&SystemPage {
        intake,
        review,
        audits,
        audit_base,
        can_override,
        fields: field_rows(ctx.lang, &record),
        ctx,
        view,
        actions,
        error,
        classification,
        impact,
    }))
}

/// `GET /regulator/systems/{id}`.
pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    SignedIn(p): SignedIn,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    page(&state, ctx, &p, &id, None).await
}

/// `POST /regulator/systems/{id}/transition`: moves a system, with a reason that is recorded.
pub async fn transition(
    State(state): State<AppState>,
    ctx: Ctx,
    SignedIn(p): SignedIn,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, AppError> {
    let scope = regulator(&p, "register:transition")?;
    // The status select starts empty: a drastic move is never the default.
    if form.get("to").is_empty() {
        let msg = ctx.t("regulator-choose-status");
        let mut res = page(&state, ctx, &p, &id, Some(msg)).await?;
        *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        return Ok(res);
    }
    let to = Status::parse(form.get("to"))
        .map_err(|e| AppError::BadRequest { field: Some("to".into()), detail: e.to_string() })?;
    let reason = form.get("reason");
    if reason.is_empty() || reason.chars().count() > 2000 {
        let msg = ctx.t("regulator-reason-required");
        let mut res = page(&state, ctx, &p, &id, Some(msg)).await?;
        *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        return Ok(res);
    }
    if to == Status::Registered {
        let view = state.app.store().regulator_system(scope, &id).await?;
        let review = state.app.store().review_state(&id, view.summary.latest_version).await?;
        if !review.satisfied() {
            let msg = ctx.count("review-register-blocked", "n", review.need.reviewers);
            let mut res = page(&state, ctx, &p, &id, Some(msg)).await?;
            *res.status_mut() = StatusCode::CONFLICT;
            return Ok(res);
        }
    }
    state.app.store().regulator_transition(scope, &id, to, &ActorRef::from(&p), reason).await?;
    Ok(Redirect::to(&format!("/regulator/systems/{id}")).into_response())
}

/// `POST /regulator/systems/{id}/override`: sets the tier by decision of the regulator, with a
/// reason that is recorded and shown publicly beside the computed tier.
pub async fn override_tier(
    State(state): State<AppState>,
    ctx: Ctx,
    SignedIn(p): SignedIn,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, AppError> {
    let scope = regulator(&p, "register:transition")?;
    let reason = form.get("reason");
    // The tier select starts empty: "Prohibited" is never the default.
    let missing = if form.get("tier").is_empty() {
        Some("regulator-choose-tier")
    } else if reason.is_empty() || reason.chars().count() > 2000 {
        Some("regulator-reason-required")
    } else {
        None
    };
    if let Some(key) = missing {
        let msg = ctx.t(key);
        let mut res = page(&state, ctx, &p, &id, Some(msg)).await?;
        *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        return Ok(res);
    }
    state.app.store().override_tier(scope, &id, form.get("tier"), &ActorRef::from(&p), reason).await?;
    Ok(Redirect::to(&format!("/regulator/systems/{id}")).into_response())
}

/// `POST /regulator/systems/{id}/intake`: stops (`action=stop`, with a public `reason`) or
/// resumes (`action=resume`) any system's decision intake.
pub async fn intake(
    State(state): State<AppState>,
    ctx: Ctx,
    SignedIn(p): SignedIn,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, AppError> {
    let scope = regulator(&p, "intake:stop")?;
    let by = mizan_store::IntakeControl::Regulator(scope);
    let actor = ActorRef::from(&p);
    let done = match form.get("action") {
        "stop" => state.app.stop_intake(by, &id, &actor, form.get("reason")).await.map(drop),
        "resume" => state.app.resume_intake(by, &id, &actor).await,
        other => {
            return Err(AppError::BadRequest {
                field: Some("action".into()),
                detail: format!("unknown action `{other}` (expected `stop` or `resume`)"),
            });
        }
    };
    match done {
        Ok(()) => Ok(Redirect::to(&format!("/regulator/systems/{id}")).into_response()),
        Err(mizan_app::Error::BadRequest { field: Some(f), .. }) if f == "reason" => {
            let msg = ctx.t("intake-reason-invalid");
            let mut res = page_with(&state, ctx, &p, &id, None, Some(msg)).await?;
            *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(res)
        }
        Err(e) => Err(e.into()),
    }
}

/// One citizen's error report as the regulator reads it.
pub struct ReportRow {
    reference: String,
    public_id: String,
    system: String,
    org: String,
    field: String,
    body: String,
    status: &'static str,
    response: String,
    filed: String,
    /// How long the organisation took to answer, in words ("" while unanswered).
    took: String,
}

#[derive(Template)]
#[template(path = "regulator_reports.html")]
struct ReportsPage {
    ctx: Ctx,
    rows: Vec<ReportRow>,
}

/// `GET /regulator/reports`: every citizen's error report, open ones first, with the
/// organisation's answer and how long it took.
pub async fn reports(
    State(state): State<AppState>,
    ctx: Ctx,
    SignedIn(p): SignedIn,
) -> Result<Response, AppError> {
    let scope = regulator(&p, "register:queue")?;
    let mut rows = Vec::new();
    for (r, org) in state.app.store().all_reports(scope, 500).await? {
        let system = state
            .app
            .store()
            .public_entry(&r.public_id)
            .await
            .map_or_else(|_| r.public_id.clone(), |e| e.record.text("name", ctx.lang.code()));
        let parse =
            |t: &str| time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).ok();
        let answered = r.status != mizan_store::ReportStatus::Open && !r.response.is_empty();
        let took = match (answered, parse(&r.created_at), parse(&r.updated_at)) {
            (true, Some(a), Some(b)) => {
                let days = u64::try_from((b - a).whole_days()).unwrap_or(0);
                ctx.count("regulator-reports-days", "days", days)
            }
            _ => String::new(),
        };
        rows.push(ReportRow {
            field: if r.field.is_empty() { String::new() } else { ctx.code("field", &r.field) },
            filed: ctx.date(&r.created_at),
            status: r.status.as_str(),
            reference: r.reference,
            public_id: r.public_id,
            system,
            org,
            body: r.body,
            response: r.response,
            took,
        });
    }
    Ok(render(&ReportsPage { ctx, rows }))
}
