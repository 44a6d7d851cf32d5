//! Appeals: the filing form from a receipt, the filer's status page, the provider's queue and
//! review page, the regulator's queue, and the same operations in the API. The rules are in
//! `mizan_app::appeals`; this module parses, calls one operation and answers.

use askama::Template;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use mizan_app::appeals::{Actor, AppealIn, AppealView, GROUNDS, OutcomeIn};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::{SignedIn, TokenUser, require};
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::pages::{Ctx, render};
use crate::serve::{ClientAddr, retry_after};
use crate::util::{CleanJson, url_encode};

#[derive(Template)]
#[template(path = "appeal_form.html")]
struct FormPage {
    ctx: Ctx,
    receipt: String,
    grounds: Vec<&'static str>,
    features: Vec<String>,
    errors: Vec<String>,
    typed: AppealIn,
}

async fn features_of(state: &AppState, receipt: &str) -> Result<Vec<String>, AppError> {
    let d = state.app.store().decision(receipt).await?;
    Ok(d.record_json
        .as_deref()
        .and_then(|r| serde_json::from_str::<Value>(r).ok())
        .and_then(|v| v.get("features")?.as_object().map(|m| m.keys().cloned().collect()))
        .unwrap_or_default())
}

/// `GET /receipt/{ref}/appeal`: the one form between a receipt and a filed appeal.
pub async fn form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(receipt): Path<String>,
) -> Result<Response, AppError> {
    let receipt = receipt.to_ascii_lowercase();
    let features = features_of(&state, &receipt).await?;
    let typed = AppealIn { category: String::new(), lang: ctx.lang_code().to_owned(), ..AppealIn::default() };
    Ok(render(&FormPage { ctx, receipt, grounds: GROUNDS.to_vec(), features, errors: vec![], typed }))
}

/// `POST /receipt/{ref}/appeal`: files the appeal and shows its status page.
pub async fn file(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(receipt): Path<String>,
    ClientAddr(from): ClientAddr,
    CsrfForm(form): CsrfForm,
) -> Result<Response, AppError> {
    let receipt = receipt.to_ascii_lowercase();
    let input = AppealIn {
        grounds: form.get("grounds").to_owned(),
        category: form.get("category").to_owned(),
        disputed: form.all("disputed"),
        email: Some(form.get("email").to_owned()),
        phone: Some(form.get("phone").to_owned()),
        consent: form.get("consent") == "yes",
        lang: ctx.lang_code().to_owned(),
    };
    let refused = |ctx: Ctx, errors: Vec<String>, status, typed: AppealIn, features| {
        let mut res = render(&FormPage {
            ctx,
            receipt: receipt.clone(),
            grounds: GROUNDS.to_vec(),
            features,
            errors,
            typed,
        });
        *res.status_mut() = status;
        res
    };
    if let Err(wait) = state.app.public_form("appeal", from).await {
        let features = features_of(&state, &receipt).await?;
        let (header, minutes) = retry_after(wait);
        let wait = ctx.lang.t_count("wait-minutes", "minutes", minutes);
        let message = ctx.lang.t_args("form-throttled", &[("wait", wait)]);
        let mut res = refused(ctx, vec![message], axum::http::StatusCode::TOO_MANY_REQUESTS, input, features);
        res.headers_mut().insert(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from(header));
        return Ok(res);
    }
    match state.app.file_appeal(&receipt, input.clone()).await {
        Ok(filed) => Ok(Redirect::to(&format!(
            "/appeals/{}?token={}&new=1",
            filed.reference,
            url_encode(&filed.token)
        ))
        .into_response()),
        Err(mizan_app::Error::BadRequest { field, detail }) => {
            let features = features_of(&state, &receipt).await?;
            let label = field
                .map(|f| ctx.t(&format!("appeal-{}", f.split('[').next().unwrap_or(&f))))
                .unwrap_or_default();
            Ok(refused(
                ctx,
                vec![format!("{label}: {detail}")],
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                input,
                features,
            ))
        }
        Err(mizan_app::Error::Conflict(detail)) => {
            let features = features_of(&state, &receipt).await?;
            Ok(refused(ctx, vec![detail], axum::http::StatusCode::CONFLICT, input, features))
        }
        Err(e) => Err(e.into()),
    }
}

/// One line of a case's history, in words.
pub struct Line {
    /// When, in words.
    pub when: String,
    /// What happened, in words.
    pub what: String,
    /// Who, in words.
    pub who: String,
    /// The fields worth showing: (label, value).
    pub fields: Vec<(String, String)>,
    /// Its commitment and whether it still matches.
    pub commitment: String,
    /// `Some(true)` intact, `Some(false)` tampered, `None` redacted.
    pub intact: Option<bool>,
    /// The events-log event.
    pub event_id: Option<i64>,
}

fn lines(ctx: &Ctx, v: &AppealView) -> Vec<Line> {
    v.entries
        .iter()
        .map(|e| {
            let (what, who, when, fields) = match &e.entry {
                Some(en) => {
                    let what = match &en.kind {
                        mizan_cases::EntryKind::Opened => ctx.t("appeal-move-opened"),
                        mizan_cases::EntryKind::Move { name } => ctx.code("appeal-move", name),
                        mizan_cases::EntryKind::Deadline { .. } => ctx.t("appeal-deadline"),
                    };
                    let mut fields = Vec::new();
                    for (k, label) in [
                        ("category", "appeal-category"),
                        ("grounds", "appeal-grounds-given"),
                        ("disputed", "appeal-disputed-given"),
                        ("outcome", "appeal-outcome"),
                        ("reasons", "appeal-reasons"),
                        ("new_decision", "appeal-new-decision"),
                    ] {
                        if let Some(val) = en.fields.get(k) {
                            let shown = match k {
                                "category" => ctx.code("appeal-category", val),
                                "outcome" => ctx.code("appeal-outcome", val),
                                _ => val.clone(),
                            };
                            fields.push((ctx.t(label), shown));
                        }
                    }
                    (what, ctx.code("appeal-actor", &en.actor), ctx.date_of(en.at), fields)
                }
                None => (String::new(), String::new(), String::new(), vec![]),
            };
            Line {
                when,
                what,
                who,
                fields,
                commitment: e.commitment.clone(),
                intact: e.intact,
                event_id: e.event_id,
            }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "appeal.html")]
struct AppealPage {
    ctx: Ctx,
    v: AppealView,
    lines: Vec<Line>,
    /// The filer's secret, to keep in links and forms (only on the filer's page).
    token: Option<String>,
    fresh: bool,
    /// `app` or `regulator` for staff, `` for the filer.
    area: &'static str,
    next_due: Option<String>,
    opened: String,
    record: Option<RecordView>,
    two_reviewers: bool,
    errors: Vec<String>,
}

/// The appealed decision as a reviewer sees it.
pub struct RecordView {
    /// Output.
    pub output: String,
    /// Model hash.
    pub model_hash: String,
    /// Version.
    pub version: i64,
    /// Features as (name, value).
    pub features: Vec<(String, String)>,
    /// The latest public audit's id, if any.
    pub audit: Option<String>,
}

async fn record_view(state: &AppState, v: &AppealView) -> Result<Option<RecordView>, AppError> {
    let d = state.app.store().decision(&v.case.subject).await?;
    let Some(r) = d.record_json.as_deref().and_then(|r| serde_json::from_str::<Value>(r).ok()) else {
        return Ok(None);
    };
    let show = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    Ok(Some(RecordView {
        output: r.get("output").map(show).unwrap_or_default(),
        model_hash: r.get("model_hash").map(show).unwrap_or_default(),
        version: d.system_version,
        features: r
            .get("features")
            .and_then(Value::as_object)
            .map(|m| m.iter().map(|(k, v)| (k.clone(), show(v))).collect())
            .unwrap_or_default(),
        audit: state
            .app
            .store()
            .public_audits(&d.system)
            .await
            .ok()
            .and_then(|a| a.into_iter().next())
            .map(|a| a.id),
    }))
}

async fn page(
    state: &AppState,
    ctx: Ctx,
    v: AppealView,
    token: Option<String>,
    fresh: bool,
    area: &'static str,
    errors: Vec<String>,
) -> Result<Response, AppError> {
    let record = if area.is_empty() { None } else { record_view(state, &v).await? };
    let two_reviewers =
        state.app.store().appeal_settings(v.case.system.as_deref().unwrap_or_default()).await?.1 >= 2;
    let lines = lines(&ctx, &v);
    let next_due = v.next_due.map(|t| ctx.date_of(t));
    let opened = ctx.date(&v.case.opened_at);
    let mut res = render(&AppealPage {
        ctx,
        v,
        lines,
        token,
        fresh,
        area,
        next_due,
        opened,
        record,
        two_reviewers,
        errors: errors.clone(),
    });
    if !errors.is_empty() {
        *res.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    // The page carries the filer's secret in its address: never send it on.
    res.headers_mut()
        .insert(axum::http::header::REFERRER_POLICY, axum::http::HeaderValue::from_static("no-referrer"));
    Ok(res)
}

/// Query of the filer's status page.
#[derive(Debug, Deserialize)]
pub struct TokenQuery {
    #[serde(default)]
    token: String,
    #[serde(default)]
    new: String,
}

/// `GET /appeals/{ref}?token=`: the filer's status page.
pub async fn status(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(reference): Path<String>,
    Query(q): Query<TokenQuery>,
) -> Result<Response, AppError> {
    let v = state.app.appeal(&reference, &Actor::Filer(&q.token)).await?;
    page(&state, ctx, v, Some(q.token), q.new == "1", "", vec![]).await
}

/// `POST /appeals/{ref}`: the filer disputes the outcome or withdraws.
pub async fn filer_move(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(reference): Path<String>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, AppError> {
    let token = form.get("token").to_owned();
    let input = OutcomeIn { reasons: form.get("grounds").to_owned(), ..OutcomeIn::default() };
    match state.app.move_appeal(&reference, &Actor::Filer(&token), form.get("move"), input).await {
        Ok(_) => {
            Ok(Redirect::to(&format!("/appeals/{reference}?token={}", url_encode(&token))).into_response())
        }
        Err(mizan_app::Error::BadRequest { detail, .. } | mizan_app::Error::Conflict(detail)) => {
            let v = state.app.appeal(&reference, &Actor::Filer(&token)).await?;
            page(&state, ctx, v, Some(token), false, "", vec![detail]).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "appeal_queue.html")]
struct QueuePage {
    ctx: Ctx,
    area: &'static str,
    rows: Vec<QueueRow>,
    all: Vec<QueueRow>,
    late: Vec<QueueRow>,
    systems: Vec<SystemRow>,
}

/// One system on the regulator's overview.
pub struct SystemRow {
    /// Public id.
    pub system: String,
    /// Name in the page's language.
    pub name: String,
    /// Provider.
    pub org: String,
    /// Figures in words.
    pub stats: StatsView,
    /// Latest audit fails a preset.
    pub audit_fails: Option<bool>,
}

/// One row of a queue.
pub struct QueueRow {
    /// Reference.
    pub reference: String,
    /// System name.
    pub system: String,
    /// State code.
    pub state: String,
    /// Late.
    pub late: bool,
    /// Due, in words.
    pub due: String,
    /// Filed, in words.
    pub opened: String,
}

fn rows(ctx: &Ctx, cases: Vec<mizan_store::StoredCase>) -> Vec<QueueRow> {
    cases
        .into_iter()
        .map(|c| QueueRow {
            system: c.system_label(ctx.lang_code()),
            state: c.projection.state.clone(),
            late: c.projection.late,
            due: c.projection.next_due_at.as_deref().map(|d| ctx.date(d)).unwrap_or_default(),
            opened: ctx.date(&c.opened_at),
            reference: c.reference,
        })
        .collect()
}

async fn queue(
    state: &AppState,
    ctx: Ctx,
    p: &mizan_store::Principal,
    area: &'static str,
) -> Result<Response, AppError> {
    require(p, "appeals:read")?;
    // Deadlines due by now fire before the queue is read, so it shows what is late.
    state.app.tick_appeals().await?;
    let open = state.app.appeal_queue(p, 200).await?;
    let all = state.app.all_appeals(p, 200).await?;
    let (late, systems) = if area == "regulator" {
        let late = state.app.late_appeals(p, 200).await?;
        let systems = state
            .app
            .appeal_overview()
            .await?
            .into_iter()
            .map(|s| SystemRow {
                name: if ctx.lang_code() == "ur" && !s.name_ur.is_empty() {
                    s.name_ur.clone()
                } else {
                    s.name_en.clone()
                },
                org: s.org_name.clone(),
                stats: stats_view(&ctx, &s.stats),
                audit_fails: s.audit_fails,
                system: s.system,
            })
            .collect();
        (rows(&ctx, late), systems)
    } else {
        (vec![], vec![])
    };
    let (open, all) = (rows(&ctx, open), rows(&ctx, all));
    Ok(render(&QueuePage { ctx, area, rows: open, all, late, systems }))
}

/// `GET /app/appeals`: the organisation's open appeals, earliest deadline first.
pub async fn provider_queue(
    State(state): State<AppState>,
    ctx: Ctx,
    SignedIn(p): SignedIn,
) -> Result<Response, AppError> {
    queue(&state, ctx, &p, "app").await
}

/// `GET /regulator/appeals`: appeals before the regulator, and every appeal.
pub async fn regulator_queue(
    State(state): State<AppState>,
    ctx: Ctx,
    SignedIn(p): SignedIn,
) -> Result<Response, AppError> {
    crate::auth::regulator(&p, "appeals:read")?;
    queue(&state, ctx, &p, "regulator").await
}

/// `GET /app/appeals/{ref}` and `/regulator/appeals/{ref}`: one appeal for review.
pub async fn review(
    State(state): State<AppState>,
    ctx: Ctx,
    SignedIn(p): SignedIn,
    Path(reference): Path<String>,
) -> Result<Response, AppError> {
    let area = if mizan_store::RegulatorScope::of(&p).is_some() { "regulator" } else { "app" };
    let v = state.app.appeal(&reference, &Actor::Staff(&p)).await?;
    page(&state, ctx, v, None, false, area, vec![]).await
}

/// `POST /app/appeals/{ref}` and `/regulator/appeals/{ref}`: a reviewer's or the regulator's move.
pub async fn staff_move(
    State(state): State<AppState>,
    ctx: Ctx,
    SignedIn(p): SignedIn,
    Path(reference): Path<String>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, AppError> {
    let area = if mizan_store::RegulatorScope::of(&p).is_some() { "regulator" } else { "app" };
    let new_output = match form.get("new_output").trim() {
        "" => None,
        s => Some(serde_json::from_str::<Value>(s).unwrap_or_else(|_| Value::String(s.to_owned()))),
    };
    let input = OutcomeIn {
        outcome: form.get("outcome").to_owned(),
        reasons: form.get("reasons").to_owned(),
        new_output,
    };
    match state.app.move_appeal(&reference, &Actor::Staff(&p), form.get("move"), input).await {
        Ok(_) => Ok(Redirect::to(&format!("/{area}/appeals/{reference}")).into_response()),
        Err(mizan_app::Error::BadRequest { detail, field }) => {
            let v = state.app.appeal(&reference, &Actor::Staff(&p)).await?;
            let msg = field.map_or(detail.clone(), |f| format!("{f}: {detail}"));
            page(&state, ctx, v, None, false, area, vec![msg]).await
        }
        Err(mizan_app::Error::Conflict(detail) | mizan_app::Error::Refused(detail)) => {
            let v = state.app.appeal(&reference, &Actor::Staff(&p)).await?;
            page(&state, ctx, v, None, false, area, vec![detail]).await
        }
        Err(e) => Err(e.into()),
    }
}

// ---- API ----

/// The caller's API token when the request carries one (staff); none for a filer.
pub struct MaybeToken(Option<mizan_store::Principal>);

impl axum::extract::FromRequestParts<AppState> for MaybeToken {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<Self, AppError> {
        if !parts.headers.contains_key(axum::http::header::AUTHORIZATION) {
            return Ok(MaybeToken(None));
        }
        Ok(MaybeToken(Some(TokenUser::from_request_parts(parts, state).await?.0)))
    }
}

/// An appeal as filed through the API.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppealBody {
    /// Why, in the person's own words (1 to 4000 characters).
    #[schema(min_length = 1, max_length = 4000)]
    pub grounds: String,
    /// What is wrong: `wrong-data`, `unfair`, `unexplained` or `other`.
    #[schema(example = "wrong-data")]
    pub category: String,
    /// The decision's features the person disputes.
    #[serde(default)]
    pub disputed: Vec<String>,
    /// An e-mail address for updates.
    #[serde(default)]
    pub email: Option<String>,
    /// A phone number for updates (kept; text messages are not sent yet).
    #[serde(default)]
    pub phone: Option<String>,
    /// Consent to publish an anonymised summary (default no).
    #[serde(default)]
    pub consent: bool,
    /// `en` or `ur`: the language of every message about the appeal.
    #[serde(default)]
    pub lang: Option<String>,
}

/// A filed appeal.
#[derive(Debug, Serialize, ToSchema)]
pub struct FiledOut {
    /// The appeal's reference.
    pub reference: String,
    /// The secret of the status link; shown once, keep it.
    pub token: String,
    /// The private status page.
    pub status_url: String,
}

/// `POST /api/v1/receipts/{ref}/appeals`: files an appeal; the receipt reference is standing.
#[utoipa::path(post, path = "/api/v1/receipts/{reference}/appeals", operation_id = "file_appeal", tag = "appeals",
    params(("reference" = String, Path, description = "The decision's receipt reference")),
    request_body = AppealBody,
    responses((status = 201, description = "Filed", body = FiledOut),
        (status = 404, description = "No such receipt", content_type = "application/problem+json"), (status = 409, description = "An appeal is open, the record was erased, or the window passed", content_type = "application/problem+json"),
        (status = 422, description = "A field is wrong", content_type = "application/problem+json"), (status = 429, description = "Too many filings from this network", content_type = "application/problem+json")))]
pub async fn api_file(
    State(state): State<AppState>,
    Path(reference): Path<String>,
    ClientAddr(from): ClientAddr,
    CleanJson(body): CleanJson<AppealBody>,
) -> Result<Response, AppError> {
    state.app.public_form("appeal", from).await.map_err(|wait| AppError::Throttled(retry_after(wait).0))?;
    let input = AppealIn {
        grounds: body.grounds,
        category: body.category,
        disputed: body.disputed,
        email: body.email,
        phone: body.phone,
        consent: body.consent,
        lang: body.lang.unwrap_or_else(|| "en".into()),
    };
    let filed = state.app.file_appeal(&reference.to_ascii_lowercase(), input).await?;
    let status_url = format!(
        "{}/appeals/{}?token={}",
        state.app.config().base_url,
        filed.reference,
        url_encode(&filed.token)
    );
    Ok((
        axum::http::StatusCode::CREATED,
        Json(FiledOut { reference: filed.reference, token: filed.token, status_url }),
    )
        .into_response())
}

/// One entry of an appeal in the API.
#[derive(Debug, Serialize, ToSchema)]
pub struct EntryOut {
    /// Position.
    pub seq: i64,
    /// The entry as the case engine wrote it (`null` once its personal data was removed).
    #[schema(value_type = Option<Object>)]
    pub entry: Option<Value>,
    /// HMAC-SHA256 of the entry's JSON under the case key, hex; the events log commits to it.
    pub commitment: String,
    /// Whether the stored entry still matches its commitment.
    pub intact: Option<bool>,
    /// The events-log event that commits to it (`/api/v1/events/{id}/proof`).
    pub event_id: Option<i64>,
}

/// An appeal in the API.
#[derive(Debug, Serialize, ToSchema)]
pub struct AppealOut {
    /// Reference.
    pub reference: String,
    /// The system's public id.
    pub system: Option<String>,
    /// The decision appealed (its receipt reference).
    pub decision: String,
    /// Current state.
    pub state: String,
    /// A deadline was missed.
    pub late: bool,
    /// Latest outcome.
    pub outcome: Option<String>,
    /// When it was filed.
    pub opened_at: String,
    /// The next deadline, if any (RFC 3339).
    pub next_due: Option<String>,
    /// The decision that replaced the appealed one.
    pub superseded_by: Option<String>,
    /// Moves the caller may make now.
    pub moves: Vec<String>,
    /// The case key, hex (to the filer only): HMAC-SHA256 of each entry under it is its commitment.
    pub entry_key: Option<String>,
    /// The history.
    pub entries: Vec<EntryOut>,
}

fn appeal_out(v: AppealView) -> AppealOut {
    AppealOut {
        reference: v.case.reference,
        system: v.case.system,
        decision: v.case.subject,
        state: v.case.projection.state,
        late: v.case.projection.late,
        outcome: v.case.projection.outcome,
        opened_at: v.case.opened_at,
        next_due: v.next_due.map(mizan_store::format_time),
        superseded_by: v.superseded_by,
        moves: v.moves,
        entry_key: v.entry_key,
        entries: v
            .entries
            .into_iter()
            .map(|e| EntryOut {
                seq: e.seq,
                entry: e.entry.and_then(|x| serde_json::to_value(x).ok()),
                commitment: e.commitment,
                intact: e.intact,
                event_id: e.event_id,
            })
            .collect(),
    }
}

/// Query naming the filer's secret.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ApiToken {
    /// The status link's secret (the filer); staff authenticate with a bearer token instead.
    #[serde(default)]
    token: Option<String>,
}

/// `GET /api/v1/appeals/{ref}`: an appeal, for its filer (`?token=`) or staff.
#[utoipa::path(get, path = "/api/v1/appeals/{reference}", operation_id = "get_appeal", tag = "appeals",
    params(("reference" = String, Path), ApiToken),
    responses((status = 200, description = "The appeal", body = AppealOut), (status = 404, description = "No such appeal, or not yours", content_type = "application/problem+json")))]
pub async fn api_get(
    State(state): State<AppState>,
    MaybeToken(p): MaybeToken,
    Path(reference): Path<String>,
    Query(q): Query<ApiToken>,
) -> Result<Json<AppealOut>, AppError> {
    let v = match (&q.token, &p) {
        (Some(t), _) => state.app.appeal(&reference, &Actor::Filer(t)).await?,
        (None, Some(p)) => state.app.appeal(&reference, &Actor::Staff(p)).await?,
        (None, None) => return Err(mizan_app::Error::NotFound(format!("appeal `{reference}`")).into()),
    };
    Ok(Json(appeal_out(v)))
}

/// A move on an appeal.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveBody {
    /// The move: `decide`, `propose`, `confirm` (a provider's reviewer); `uphold`,
    /// `direct_rereview`, `order_reversal` (the regulator); `dispute`, `withdraw` (the filer).
    pub r#move: String,
    /// `upheld`, `reversed` or `modified` (for `decide` and `propose`).
    #[serde(default)]
    pub outcome: Option<String>,
    /// Reasons in plain language (for `dispute`: the grounds).
    #[serde(default)]
    #[schema(max_length = 4000)]
    pub reasons: Option<String>,
    /// The decision's new output when the outcome changes it.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub new_output: Option<Value>,
    /// The filer's secret (for `dispute` and `withdraw`).
    #[serde(default)]
    pub token: Option<String>,
}

/// `POST /api/v1/appeals/{ref}/moves`: makes a move on an appeal.
#[utoipa::path(post, path = "/api/v1/appeals/{reference}/moves", operation_id = "move_appeal", tag = "appeals",
    params(("reference" = String, Path)), request_body = MoveBody,
    responses((status = 200, description = "The appeal after the move", body = AppealOut),
        (status = 404, description = "No such appeal, or not yours", content_type = "application/problem+json"), (status = 409, description = "The move is not open now", content_type = "application/problem+json"),
        (status = 403, description = "Not yours to make", content_type = "application/problem+json"), (status = 422, description = "A field is wrong", content_type = "application/problem+json")))]
pub async fn api_move(
    State(state): State<AppState>,
    MaybeToken(p): MaybeToken,
    Path(reference): Path<String>,
    CleanJson(body): CleanJson<MoveBody>,
) -> Result<Json<AppealOut>, AppError> {
    let input = OutcomeIn {
        outcome: body.outcome.unwrap_or_default(),
        reasons: body.reasons.unwrap_or_default(),
        new_output: body.new_output,
    };
    let v = match (&body.token, &p) {
        (Some(t), _) => state.app.move_appeal(&reference, &Actor::Filer(t), &body.r#move, input).await?,
        (None, Some(p)) => state.app.move_appeal(&reference, &Actor::Staff(p), &body.r#move, input).await?,
        (None, None) => return Err(AppError::Unauthenticated),
    };
    Ok(Json(appeal_out(v)))
}

/// Public appeal figures of a system.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatsOut {
    /// Appeals received.
    pub received: i64,
    /// Decided by the provider.
    pub decided: i64,
    /// Median days from filing to the provider's decision.
    pub median_days_to_decision: Option<f64>,
    /// Share of decided appeals decided within 15 days.
    pub share_decided_on_time: Option<f64>,
    /// Share of decided appeals reversed or modified.
    pub share_changed: Option<f64>,
    /// Share of appeals taken to the regulator.
    pub share_escalated: Option<f64>,
    /// Appeals marked late.
    pub late: i64,
    /// Appeals still open.
    pub open: i64,
}

/// The public figures as shares.
#[must_use]
pub fn stats_out(s: &mizan_store::CaseStats) -> StatsOut {
    #[allow(clippy::cast_precision_loss)]
    let share = |n: i64, d: i64| (d > 0).then(|| n as f64 / d as f64);
    StatsOut {
        received: s.received,
        decided: s.decided,
        median_days_to_decision: s.median_days_to_decision,
        share_decided_on_time: share(s.decided_on_time, s.decided),
        share_changed: share(s.changed, s.decided),
        share_escalated: share(s.escalated, s.received),
        late: s.late,
        open: s.open,
    }
}

/// `GET /api/v1/systems/{id}/appeals`: a system's public appeal figures.
#[utoipa::path(get, path = "/api/v1/systems/{id}/appeals", operation_id = "appeal_figures", tag = "appeals",
    params(("id" = String, Path, description = "The system's public id")),
    responses((status = 200, description = "Figures", body = StatsOut), (status = 404, description = "Not on the register", content_type = "application/problem+json")))]
pub async fn api_stats(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<StatsOut>, AppError> {
    state.app.store().public_entry(&id).await?;
    Ok(Json(stats_out(&state.app.appeal_stats(&id).await?)))
}

/// `GET /api/v1/organisations/{slug}/appeals`: a provider's appeal figures over all its systems.
#[utoipa::path(get, path = "/api/v1/organisations/{slug}/appeals", operation_id = "provider_appeal_figures", tag = "appeals",
    params(("slug" = String, Path, description = "The organisation's slug, as on the register")),
    responses((status = 200, description = "Figures", body = StatsOut), (status = 404, description = "No such organisation", content_type = "application/problem+json")))]
pub async fn api_provider_stats(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Json<StatsOut>, AppError> {
    let org = state.app.store().org_by_slug(&slug).await?;
    let stats = state.app.store().case_stats(mizan_app::appeals::APPEAL, None, Some(org.id), 15).await?;
    Ok(Json(stats_out(&stats)))
}

/// A system's appeal figures in words.
pub struct StatsView {
    /// Received.
    pub received: i64,
    /// Decided.
    pub decided: i64,
    /// Median days to a decision, in words.
    pub median: String,
    /// Decided on time, as "n of m".
    pub on_time: String,
    /// Reversed or changed, as "n of m".
    pub changed: String,
    /// Escalated, as "n of m".
    pub escalated: String,
    /// Marked late.
    pub late: i64,
}

/// [`StatsView`] of figures.
#[must_use]
pub fn stats_view(ctx: &Ctx, s: &mizan_store::CaseStats) -> StatsView {
    let of = |n: i64, total: i64| {
        ctx.lang.t_args("appeal-share", &[("share", n.to_string()), ("total", total.to_string())])
    };
    StatsView {
        received: s.received,
        decided: s.decided,
        median: s.median_days_to_decision.map_or_else(
            || "—".to_owned(),
            |d| ctx.lang.t_args("appeal-days", &[("days", format!("{d:.1}"))]),
        ),
        on_time: of(s.decided_on_time, s.decided),
        changed: of(s.changed, s.decided),
        escalated: of(s.escalated, s.received),
        late: s.late,
    }
}

/// One closed appeal in the public dataset: no names, contacts, grounds or reasons.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicAppeal {
    /// The appeal's reference.
    pub reference: String,
    /// The system's public id.
    pub system: String,
    /// The date it was filed (YYYY-MM-DD).
    pub filed: String,
    /// The date the provider decided, if it did.
    pub decided: Option<String>,
    /// The date it closed.
    pub closed: String,
    /// What the person said was wrong: `wrong-data`, `unfair`, `unexplained` or `other`.
    pub grounds_category: String,
    /// `upheld`, `reversed`, `modified`, or none (withdrawn, or closed without an outcome).
    pub outcome: Option<String>,
    /// How it closed: `closed` or `withdrawn`.
    pub state: String,
    /// Decided within 15 days of filing.
    pub on_time: bool,
    /// Taken to the regulator.
    pub escalated: bool,
    /// Marked late.
    pub late: bool,
}

/// A page of the public appeals dataset.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicAppeals {
    /// Closed appeals, oldest first.
    pub appeals: Vec<PublicAppeal>,
    /// The cursor of the next page, if there is one.
    pub next: Option<String>,
}

/// Cursor query.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct Cursor {
    /// The `next` of the previous page.
    #[serde(default)]
    after: Option<String>,
    /// Rows per page, 1 to 1000 (default 100).
    #[serde(default)]
    limit: Option<i64>,
}

fn public_row(c: &mizan_store::ClosedCase) -> PublicAppeal {
    let day = |s: &str| s.get(..10).unwrap_or(s).to_owned();
    PublicAppeal {
        reference: c.reference.clone(),
        system: c.system.clone(),
        filed: day(&c.opened_at),
        decided: c.decided_at.as_deref().map(day),
        closed: day(&c.closed_at),
        grounds_category: c.grounds_category.clone(),
        outcome: c.outcome.clone(),
        state: c.state.clone(),
        on_time: c.on_time,
        escalated: c.escalated,
        late: c.late,
    }
}

/// `GET /api/v1/appeals`: the public dataset of closed appeals, oldest first, by cursor.
#[utoipa::path(get, path = "/api/v1/appeals", operation_id = "list_closed_appeals", tag = "appeals", params(Cursor),
    responses((status = 200, description = "A page of closed appeals", body = PublicAppeals), (status = 400, description = "A bad cursor or limit", content_type = "application/problem+json")))]
pub async fn api_dataset(
    State(state): State<AppState>,
    Query(q): Query<Cursor>,
) -> Result<Json<PublicAppeals>, AppError> {
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(mizan_app::Error::bad("limit", "must be 1 to 1000").into());
    }
    let after = match q.after.as_deref() {
        None | Some("") => 0,
        Some(a) => {
            a.parse::<i64>().map_err(|_| mizan_app::Error::bad("after", "not a cursor from this dataset"))?
        }
    };
    let rows = state.app.store().closed_cases(mizan_app::appeals::APPEAL, after, limit + 1).await?;
    let next = (rows.len() > usize::try_from(limit).unwrap_or(usize::MAX))
        .then(|| rows[rows.len() - 2].id.to_string());
    let appeals = rows.iter().take(usize::try_from(limit).unwrap_or(0)).map(public_row).collect();
    Ok(Json(PublicAppeals { appeals, next }))
}

/// `GET /api/v1/appeals.csv`: every closed appeal, as CSV.
#[utoipa::path(get, path = "/api/v1/appeals.csv", operation_id = "closed_appeals_csv", tag = "appeals",
    responses((status = 200, description = "CSV, one row per closed appeal", content_type = "text/csv")))]
pub async fn api_dataset_csv(State(state): State<AppState>) -> Result<Response, AppError> {
    let mut out = String::from(
        "reference,system,filed,decided,closed,grounds_category,outcome,state,on_time,escalated,late\r\n",
    );
    let mut after = 0;
    loop {
        let rows = state.app.store().closed_cases(mizan_app::appeals::APPEAL, after, 5000).await?;
        let Some(last) = rows.last() else { break };
        after = last.id;
        for c in rows.iter().map(public_row) {
            let cells = [
                c.reference,
                c.system,
                c.filed,
                c.decided.unwrap_or_default(),
                c.closed,
                c.grounds_category,
                c.outcome.unwrap_or_default(),
                c.state,
                c.on_time.to_string(),
                c.escalated.to_string(),
                c.late.to_string(),
            ];
            out.push_str(&cells.iter().map(|x| crate::util::csv_cell(x)).collect::<Vec<_>>().join(","));
            out.push_str("\r\n");
        }
    }
    Ok(([(axum::http::header::CONTENT_TYPE, "text/csv; charset=utf-8")], out).into_response())
}
