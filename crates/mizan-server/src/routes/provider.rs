//! Provider pages: the organisation's systems, the record form, submission, the error-report
//! queue and API tokens. Every store call goes through the principal's [`mizan_store::OrgScope`].

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use mizan_register::{Actor, FIELDS, FieldError, FieldKind, LANGUAGES, Record, Status, Value};
use mizan_store::{ActorRef, ReportStatus, SystemSummary, SystemView};
use serde_json::json;

use crate::AppState;
use crate::auth::{SignedIn, require};
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::pages::{Ctx, FieldRow, field_error_text, field_rows, render};
use crate::util::FormFields;

#[derive(Template)]
#[template(path = "app_home.html")]
struct HomePage {
    ctx: Ctx,
    systems: Vec<SystemSummary>,
    can_write: bool,
}

/// `GET /app`: the organisation's systems (regulators go to their queue).
pub async fn home(
    State(state): State<AppState>,
    ctx: Ctx,
    SignedIn(p): SignedIn,
) -> Result<Response, AppError> {
    // Each role lands where its work is: an ethics-board member (who reads the registration
    // queue but cannot move it) on the ethics review, the regulator on its queue.
    if !p.can("systems:read") {
        if p.can("review:decide") && !p.can("register:transition") {
            return Ok(Redirect::to("/review").into_response());
        }
        if p.can("register:queue") {
            return Ok(Redirect::to("/regulator").into_response());
        }
    }
    require(&p, "systems:read")?;
    let systems = state.app.store().org_systems(p.scope()).await?;
    Ok(render(&HomePage { can_write: p.can("systems:write"), ctx, systems }))
}

/// One input of the record form.
pub struct FormInput {
    /// Field key.
    pub key: &'static str,
    /// Label.
    pub label: String,
    /// `text`, `textarea`, `bilingual`, `bilingual-area`, `select`, `date`, `email`, `links`, `languages`.
    pub widget: &'static str,
    /// Required for submission.
    pub required: bool,
    /// Public field.
    pub public: bool,
    /// Length limit.
    pub max_len: usize,
    /// English value (or the only value).
    pub en: String,
    /// Urdu value.
    pub ur: String,
    /// Options: (code, label, selected).
    pub options: Vec<(String, String, bool)>,
    /// Error in the page language.
    pub error: Option<String>,
}

fn form_inputs(lang: Lang, record: &Record, errors: &[FieldError]) -> Vec<FormInput> {
    FIELDS
        .iter()
        .map(|spec| {
            let value = record.get(spec.key);
            let (en, ur) = match value {
                Some(Value::Text(t)) => (t.en.clone(), t.ur.clone()),
                Some(Value::Str(s)) => (s.clone(), String::new()),
                Some(Value::List(items)) => (items.join("\n"), String::new()),
                None => (String::new(), String::new()),
            };
            let selected: Vec<String> = match value {
                Some(Value::List(items)) => items.clone(),
                Some(Value::Str(s)) => vec![s.clone()],
                _ => vec![],
            };
            // (code, translated label, selected) for every allowed code.
            let options = |codes: &[&str], prefix: &str| -> Vec<(String, String, bool)> {
                codes
                    .iter()
                    .map(|c| {
                        ((*c).to_owned(), lang.t(&format!("{prefix}-{c}")), selected.iter().any(|s| s == c))
                    })
                    .collect()
            };
            let (widget, options) = match spec.kind {
                FieldKind::Text { multiline: false } => ("bilingual", vec![]),
                FieldKind::Text { multiline: true } => ("bilingual-area", vec![]),
                FieldKind::Plain => ("text", vec![]),
                FieldKind::Email => ("email", vec![]),
                FieldKind::Date => ("date", vec![]),
                FieldKind::Links => ("links", vec![]),
                FieldKind::Choice(codes) => {
                    ("select", options(codes, if spec.key == "sector" { "sector" } else { "deployment" }))
                }
                FieldKind::Languages => ("languages", options(LANGUAGES, "language")),
            };
            let error = errors
                .iter()
                .find(|e| e.field.split(['.', '[']).next() == Some(spec.key))
                .map(|e| field_error_text(lang, e));
            FormInput {
                key: spec.key,
                label: lang.t(&format!("field-{}", spec.key)),
                widget,
                required: spec.required,
                public: spec.public,
                max_len: spec.max_len,
                en,
                ur,
                options,
                error,
            }
        })
        .collect()
}

/// Builds record JSON from the form's fields (`key.en`, `key.ur`, repeated `languages`).
fn record_json_from_form(form: &FormFields) -> serde_json::Value {
    let mut obj = serde_json::Map::new();
    for spec in FIELDS {
        let v = match spec.kind {
            FieldKind::Text { .. } => {
                json!({"en": form.get(&format!("{}.en", spec.key)), "ur": form.get(&format!("{}.ur", spec.key))})
            }
            FieldKind::Languages => json!(form.all(spec.key)),
            _ => json!(form.get(spec.key)),
        };
        obj.insert(spec.key.to_owned(), v);
    }
    serde_json::Value::Object(obj)
}

#[derive(Template)]
#[template(path = "system_form.html")]
struct FormPage {
    ctx: Ctx,
    public_id: Option<String>,
    inputs: Vec<FormInput>,
    errors: Vec<String>,
}

/// `GET /app/systems/new`.
pub async fn new_form(ctx: Ctx, SignedIn(p): SignedIn) -> Result<Response, AppError> {
    require(&p, "systems:write")?;
    Ok(render(&FormPage {
        inputs: form_inputs(ctx.lang, &Record::default(), &[]),
        ctx,
        public_id: None,
        errors: vec![],
    }))
}

fn invalid_form(ctx: Ctx, public_id: Option<String>, form: &FormFields, errors: &[FieldError]) -> Response {
    // Re-show what was typed, even the invalid parts, so nothing is lost.
    let typed = Record(
        record_json_from_form(form)
            .as_object()
            .map(|o| {
                o.iter()
                    .filter_map(|(k, v)| {
                        serde_json::from_value::<Value>(v.clone()).ok().map(|v| (k.clone(), v))
                    })
                    .collect()
            })
            .unwrap_or_default(),
    );
    let messages = errors.iter().map(|e| field_error_text(ctx.lang, e)).collect();
    let mut res =
        render(&FormPage { inputs: form_inputs(ctx.lang, &typed, errors), ctx, public_id, errors: messages });
    *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    res
}

/// `POST /app/systems`: creates a draft.
pub async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    SignedIn(p): SignedIn,
    CsrfForm(form): CsrfForm,
) -> Result<Response, AppError> {
    require(&p, "systems:write")?;
    let record = match Record::from_json(&record_json_from_form(&form)) {
        Ok(r) => r,
        Err(errors) => return Ok(invalid_form(ctx, None, &form, &errors)),
    };
    let id = state.app.store().create_system(p.scope(), &ActorRef::from(&p), &record, false).await?;
    Ok(Redirect::to(&format!("/app/systems/{id}")).into_response())
}

/// `GET /app/systems/{id}/edit`.
pub async fn edit_form(
    State(state): State<AppState>,
    ctx: Ctx,
    SignedIn(p): SignedIn,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    require(&p, "systems:write")?;
    let view = state.app.store().org_system(p.scope(), &id).await?;
    Ok(render(&FormPage {
        inputs: form_inputs(ctx.lang, &view.draft, &[]),
        ctx,
        public_id: Some(id),
        errors: vec![],
    }))
}

/// `POST /app/systems/{id}/edit`: saves the draft.
pub async fn update(
    State(state): State<AppState>,
    ctx: Ctx,
    SignedIn(p): SignedIn,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, AppError> {
    require(&p, "systems:write")?;
    let record = match Record::from_json(&record_json_from_form(&form)) {
        Ok(r) => r,
        Err(errors) => {
            // Make sure the system is this organisation's before echoing anything back.
            state.app.store().org_system(p.scope(), &id).await?;
            return Ok(invalid_form(ctx, Some(id), &form, &errors));
        }
    };
    state.app.store().update_draft(p.scope(), &id, &ActorRef::from(&p), &record).await?;
    Ok(Redirect::to(&format!("/app/systems/{id}?saved=1")).into_response())
}

#[derive(Template)]
#[template(path = "app_system.html")]
struct SystemPage {
    ctx: Ctx,
    view: SystemView,
    fields: Vec<FieldRow>,
    missing: Vec<String>,
    actions: Vec<String>,
    can_write: bool,
    editable: bool,
    errors: Vec<String>,
    classification: Option<crate::views::ClassView>,
    impact: Option<crate::views::ImpactView>,
    risk_complete: bool,
    impact_complete: bool,
    review: Option<mizan_store::ReviewState>,
    audits: Vec<crate::views::audits::AuditRow>,
    audit_base: String,
    intake: crate::views::intake::IntakeView,
}

fn provider_actions(p: &mizan_store::Principal, status: Status) -> Vec<String> {
    status
        .next(Actor::Provider)
        .into_iter()
        .filter(|to| match to {
            Status::Submitted | Status::Draft => p.can("systems:submit"),
            Status::Retired => p.can("systems:retire"),
            _ => false,
        })
        .map(|s| s.as_str().to_owned())
        .collect()
}

async fn system_page(
    state: &AppState,
    ctx: Ctx,
    p: &mizan_store::Principal,
    id: &str,
    errors: Vec<String>,
) -> Result<Response, AppError> {
    system_page_with(state, ctx, p, id, errors, None).await
}

/// [`system_page`] with the intake form's refusal shown in its section.
async fn system_page_with(
    state: &AppState,
    ctx: Ctx,
    p: &mizan_store::Principal,
    id: &str,
    errors: Vec<String>,
    intake_error: Option<String>,
) -> Result<Response, AppError> {
    let view = state.app.store().org_system(p.scope(), id).await?;
    let missing = view
        .draft
        .check_complete()
        .err()
        .unwrap_or_default()
        .iter()
        .map(|e| field_error_text(ctx.lang, e))
        .collect();
    let status = view.summary.status;
    let editable = !matches!(status, Status::Submitted | Status::UnderReview | Status::Retired);
    let (classification, impact) =
        crate::views::stored_views(state, ctx.lang, Some(p.scope()), id, view.summary.latest_version).await?;
    let impact_answers = state.app.store().impact_answers(p.scope(), id).await?;
    let impact_complete = mizan_rules::impact::Questionnaire::embedded()?.assess(&impact_answers).is_ok();
    let answers = state.app.store().risk_answers(p.scope(), id).await?;
    // Complete means every question on the path is answered and the answers agree with each
    // other (a contradiction is an error the questionnaire shows).
    let rules = mizan_rules::Ruleset::embedded()?;
    let risk_complete = rules.progress(&answers).next.is_none() && rules.classify(&answers).is_ok();
    // The provider sees the board's reasons, above all when changes were asked for.
    let review = if view.summary.latest_version > 0 {
        Some(state.app.store().review_state(id, view.summary.latest_version).await?)
    } else {
        None
    };
    let (audits, audit_base) =
        crate::views::audits::system_page_list(state, ctx.lang, mizan_store::AuditScope::Org(p.scope()), id)
            .await?;
    let viewer = crate::views::intake::Viewer {
        side: mizan_store::StoppedBy::Provider,
        may_control: p.can("intake:stop"),
    };
    let registered = (view.summary.registered_version > 0, status == Status::Retired);
    let mut intake = crate::views::intake::control_view(state, ctx.lang, id, viewer, registered).await?;
    intake.error = intake_error;
    Ok(render(&SystemPage {
        intake,
        review,
        audits,
        audit_base,
        fields: field_rows(ctx.lang, &view.draft),
        actions: provider_actions(p, status),
        can_write: p.can("systems:write"),
        editable,
        missing,
        view,
        ctx,
        errors,
        classification,
        impact,
        risk_complete,
        impact_complete,
    }))
}

/// `GET /app/systems/{id}`: the draft, status, versions and event trail.
pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    SignedIn(p): SignedIn,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    require(&p, "systems:read")?;
    system_page(&state, ctx, &p, &id, vec![]).await
}

/// `POST /app/systems/{id}/transition`: submit, withdraw or retire.
pub async fn transition(
    State(state): State<AppState>,
    ctx: Ctx,
    SignedIn(p): SignedIn,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, AppError> {
    let to = Status::parse(form.get("to"))
        .map_err(|e| AppError::BadRequest { field: Some("to".into()), detail: e.to_string() })?;
    require(&p, if to == Status::Retired { "systems:retire" } else { "systems:submit" })?;
    let reason: String = form.get("reason").chars().take(2000).collect();
    match state.app.store().provider_transition(p.scope(), &id, to, &ActorRef::from(&p), &reason).await {
        Ok(()) => Ok(Redirect::to(&format!("/app/systems/{id}")).into_response()),
        Err(mizan_store::StoreError::Questionnaire(_)) => {
            let message = ctx.t("app-questionnaire-incomplete");
            let mut res = system_page(&state, ctx, &p, &id, vec![message]).await?;
            *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(res)
        }
        Err(mizan_store::StoreError::Invalid(errors)) => {
            let lang = ctx.lang;
            let messages = errors.iter().map(|e| field_error_text(lang, e)).collect();
            let mut res = system_page(&state, ctx, &p, &id, messages).await?;
            *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(res)
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /app/systems/{id}/intake`: stops (`action=stop`, with a public `reason`) or resumes
/// (`action=resume`) the system's decision intake.
pub async fn intake(
    State(state): State<AppState>,
    ctx: Ctx,
    SignedIn(p): SignedIn,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, AppError> {
    require(&p, "intake:stop")?;
    let by = mizan_store::IntakeControl::Provider(p.scope());
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
        Ok(()) => Ok(Redirect::to(&format!("/app/systems/{id}")).into_response()),
        Err(mizan_app::Error::BadRequest { field: Some(f), .. }) if f == "reason" => {
            let message = ctx.t("intake-reason-invalid");
            let mut res = system_page_with(&state, ctx, &p, &id, vec![], Some(message)).await?;
            *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(res)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "app_reports.html")]
struct ReportsPage {
    ctx: Ctx,
    reports: Vec<mizan_store::ErrorReport>,
    can_respond: bool,
    statuses: Vec<&'static str>,
}

/// `GET /app/reports`: error reports about the organisation's records.
pub async fn reports(
    State(state): State<AppState>,
    ctx: Ctx,
    SignedIn(p): SignedIn,
) -> Result<Response, AppError> {
    require(&p, "reports:read")?;
    let reports = state.app.store().org_reports(p.scope()).await?;
    Ok(render(&ReportsPage {
        ctx,
        reports,
        can_respond: p.can("reports:respond"),
        statuses: ReportStatus::ALL.iter().map(|s| s.as_str()).collect(),
    }))
}

/// `POST /app/reports/{ref}`: answers a report.
pub async fn respond(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    Path(reference): Path<String>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, AppError> {
    require(&p, "reports:respond")?;
    let status = ReportStatus::parse(form.get("status")).ok_or_else(|| AppError::BadRequest {
        field: Some("status".into()),
        detail: "`status` must be one of: open, acknowledged, resolved, rejected".into(),
    })?;
    let response = form.get("response");
    if response.chars().count() > 4000 {
        return Err(AppError::BadRequest {
            field: Some("response".into()),
            detail: "`response` is longer than 4000 characters".into(),
        });
    }
    state.app.store().respond_report(p.scope(), &reference, status, response).await?;
    Ok(Redirect::to("/app/reports").into_response())
}

#[derive(Template)]
#[template(path = "tokens.html")]
struct TokensPage {
    ctx: Ctx,
    tokens: Vec<mizan_store::ApiToken>,
    scopes: Vec<String>,
    new_secret: Option<String>,
    errors: Vec<String>,
}

async fn tokens_page(
    state: &AppState,
    ctx: Ctx,
    p: &mizan_store::Principal,
    new_secret: Option<String>,
    errors: Vec<String>,
) -> Result<Response, AppError> {
    let tokens = match (p.can("tokens:manage"), &p.user) {
        (true, _) => state.app.store().tokens(p.scope()).await?,
        (false, Some(u)) => state.app.store().tokens_made_by(p.scope(), u.id).await?,
        (false, None) => return Err(AppError::Forbidden("tokens:manage".into())),
    };
    let scopes = p.permissions.iter().cloned().collect();
    Ok(render(&TokensPage { ctx, tokens, scopes, new_secret, errors }))
}

/// Whether `p` may make tokens: an administrator with `tokens:manage`, or any signed-in
/// person for their own use (a reviewer's token for the review API, say); never more than
/// the permissions they hold.
fn may_make_tokens(p: &mizan_store::Principal) -> Result<(), AppError> {
    if p.can("tokens:manage") || p.user.is_some() {
        Ok(())
    } else {
        Err(AppError::Forbidden("tokens:manage".into()))
    }
}

/// `GET /app/settings/tokens`: an administrator sees the organisation's tokens; anyone else
/// the tokens they made.
pub async fn tokens(
    State(state): State<AppState>,
    ctx: Ctx,
    SignedIn(p): SignedIn,
) -> Result<Response, AppError> {
    may_make_tokens(&p)?;
    tokens_page(&state, ctx, &p, None, vec![]).await
}

/// `POST /app/settings/tokens`: makes a token and shows its secret once.
pub async fn create_token(
    State(state): State<AppState>,
    ctx: Ctx,
    SignedIn(p): SignedIn,
    CsrfForm(form): CsrfForm,
) -> Result<Response, AppError> {
    may_make_tokens(&p)?;
    let name = form.get("name");
    let scopes = form.all("scope");
    let days = form.get("days").parse::<i64>().ok().filter(|d| (1..=365).contains(d));
    let mut errors = vec![];
    if name.is_empty() || name.chars().count() > 100 {
        errors.push(ctx.t("token-error-name"));
    }
    if scopes.is_empty() || scopes.iter().any(|s| !p.can(s)) {
        errors.push(ctx.t("token-error-scopes"));
    }
    let Some(days) = days.filter(|_| errors.is_empty()) else {
        if days.is_none() {
            errors.push(ctx.t("token-error-days"));
        }
        let mut res = tokens_page(&state, ctx, &p, None, errors).await?;
        *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        return Ok(res);
    };
    let user_id = p.user.as_ref().map(|u| u.id);
    let expires = time::OffsetDateTime::now_utc() + time::Duration::days(days);
    let token = state.app.store().create_token(p.scope(), user_id, name, &scopes, expires).await?;
    tokens_page(&state, ctx, &p, Some(token.secret), vec![]).await
}

/// `POST /app/settings/tokens/{id}/revoke`.
pub async fn revoke_token(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    Path(id): Path<i64>,
    CsrfForm(_): CsrfForm,
) -> Result<Response, AppError> {
    match (p.can("tokens:manage"), &p.user) {
        (true, _) => state.app.store().revoke_token(p.scope(), id).await?,
        (false, Some(u)) => state.app.store().revoke_own_token(p.scope(), u.id, id).await?,
        (false, None) => return Err(AppError::Forbidden("tokens:manage".into())),
    }
    Ok(Redirect::to("/app/settings/tokens").into_response())
}
