//! Human oversight of decisions: the provider's queue of decisions held for review and the
//! review page, the policy and figures in the API and on the register. The rules are in
//! `mizan_app::held`; this module parses, calls one operation and answers.

use askama::Template;
use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use mizan_app::held::{HeldView, OversightFigures, REVIEW_OUTCOMES, ReviewIn};
use mizan_formats::OversightPolicy;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::{SignedIn, TokenUser, require};
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::pages::{Ctx, render};
use crate::util::CleanJson;

// ---- words ----

fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.as_f64().map_or_else(|| n.to_string(), crate::plain::format_number),
        other => other.to_string(),
    }
}

/// A policy in sentences a person can read, one per rule.
#[must_use]
pub fn policy_words(lang: Lang, p: &OversightPolicy) -> Vec<String> {
    let mut out = Vec::new();
    if !p.adverse_outputs.is_empty() {
        let list = p.adverse_outputs.iter().map(value_text).collect::<Vec<_>>().join(", ");
        out.push(lang.t_args("oversight-rule-adverse", &[("outputs", list)]));
    }
    if p.sample_percent > 0.0 {
        out.push(lang.t_args("oversight-rule-sample", &[("percent", format!("{}", p.sample_percent))]));
    }
    if let Some(m) = p.margin {
        out.push(lang.t_args(
            "oversight-rule-margin",
            &[("width", format!("{}", m.width)), ("threshold", format!("{}", m.threshold))],
        ));
    }
    for f in &p.features {
        out.push(match &f.values {
            None => lang.t_args(
                "oversight-rule-feature",
                &[("name", crate::plain::feature_label(lang, None, &f.name))],
            ),
            Some(vs) => lang.t_args(
                "oversight-rule-feature-values",
                &[
                    ("name", crate::plain::feature_label(lang, None, &f.name)),
                    ("values", vs.iter().map(value_text).collect::<Vec<_>>().join(", ")),
                ],
            ),
        });
    }
    out
}

/// A system's oversight for its register page.
pub struct PublicOversight {
    /// Each policy in force: the version it holds from, and its rules in words.
    pub policies: Vec<(i64, Vec<String>)>,
    /// Decisions held and waiting.
    pub waiting: i64,
    /// Reviewed decisions.
    pub reviewed: i64,
    /// "n of m" changed by the person, or "".
    pub changed: String,
}

/// The register page's view of a system's oversight.
#[must_use]
pub fn public_view(ctx: &Ctx, f: &OversightFigures) -> PublicOversight {
    PublicOversight {
        policies: f.policies.iter().map(|(v, p)| (*v, policy_words(ctx.lang, p))).collect(),
        waiting: f.waiting,
        reviewed: f.agreement.reviewed,
        changed: if f.agreement.reviewed == 0 {
            String::new()
        } else {
            ctx.lang.t_args(
                "oversight-changed-n-of-m",
                &[("n", f.agreement.changed.to_string()), ("m", f.agreement.reviewed.to_string())],
            )
        },
    }
}

// ---- pages ----

/// A row of the queue.
pub struct HeldRow {
    reference: String,
    system: String,
    reasons: String,
    late: bool,
    due: String,
    opened: String,
}

/// A reviewer's agreement with the AI, in words.
pub struct ReviewerRow {
    name: String,
    reviewed: i64,
    changed: i64,
    agreement: String,
}

#[derive(Template)]
#[template(path = "held_queue.html")]
struct QueuePage {
    ctx: Ctx,
    rows: Vec<HeldRow>,
    reviewers: Vec<ReviewerRow>,
    page: i64,
    more: bool,
}

fn reasons_words(ctx: &Ctx, reasons: &str) -> String {
    reasons
        .split(',')
        .filter(|r| !r.is_empty())
        .map(|r| ctx.code("oversight-reason", r))
        .collect::<Vec<_>>()
        .join(", ")
}

fn percent(x: Option<f64>) -> String {
    x.map_or_else(String::new, |x| format!("{:.0} %", x * 100.0))
}

/// `GET /app/oversight`: decisions held for the organisation's review, and how often each
/// reviewer agreed with the AI.
pub async fn queue(
    State(state): State<AppState>,
    ctx: Ctx,
    SignedIn(p): SignedIn,
    axum::extract::Query(q): axum::extract::Query<crate::routes::appeals::QueueQuery>,
) -> Result<Response, AppError> {
    require(&p, "oversight:review")?;
    let page = q.page().clamp(0, crate::routes::appeals::MAX_PAGE);
    let per = crate::routes::appeals::PER_PAGE;
    // A late mark is due before the queue is read.
    state.app.tick_appeals().await?;
    let mut held = state.app.held_queue(&p, per + 1, page * per).await?;
    let more =
        held.len() > usize::try_from(per).unwrap_or(usize::MAX) && page < crate::routes::appeals::MAX_PAGE;
    held.truncate(usize::try_from(per).unwrap_or(usize::MAX));
    let rows = held
        .into_iter()
        .map(|c| HeldRow {
            system: c.system_label(ctx.lang_code()),
            reasons: reasons_words(&ctx, &c.grounds_category),
            late: c.projection.late,
            due: c.projection.next_due_at.as_deref().map(|d| ctx.date(d)).unwrap_or_default(),
            opened: ctx.date(&c.opened_at),
            reference: c.reference,
        })
        .collect();
    let reviewers = state
        .app
        .reviewer_agreement(&p)
        .await?
        .into_iter()
        .map(|(name, a)| ReviewerRow {
            name: if name.is_empty() { ctx.t("oversight-reviewer-unknown") } else { name },
            reviewed: a.reviewed,
            changed: a.changed,
            agreement: percent(a.agreement()),
        })
        .collect();
    Ok(render(&QueuePage { ctx, rows, reviewers, page, more }))
}

/// An input of the held decision.
pub struct InputRow {
    name: String,
    value: String,
}

/// One history line.
pub struct HistoryLine {
    at: String,
    what: String,
    by: String,
    outcome: String,
    reasons: String,
}

#[derive(Template)]
#[template(path = "held.html")]
struct ReviewPage {
    ctx: Ctx,
    reference: String,
    decision: String,
    system: String,
    state: String,
    late: bool,
    reasons: String,
    inputs: Vec<InputRow>,
    output: String,
    score: String,
    moves: Vec<String>,
    outcomes: Vec<&'static str>,
    final_decision: Option<String>,
    history: Vec<HistoryLine>,
    errors: Vec<String>,
}

fn review_page(ctx: Ctx, v: HeldView, errors: Vec<String>) -> Response {
    let (inputs, output, score) = match &v.record {
        Some(r) => (
            r.features
                .iter()
                .map(|(k, val)| InputRow {
                    name: crate::plain::feature_label(ctx.lang, None, k),
                    value: value_text(val),
                })
                .collect(),
            value_text(&r.output),
            r.score.map_or_else(String::new, crate::plain::format_number),
        ),
        None => (vec![], String::new(), String::new()),
    };
    let history = v
        .entries
        .iter()
        .map(|e| HistoryLine {
            at: ctx.date_of(e.at),
            what: match &e.kind {
                mizan_cases::EntryKind::Move { name } => ctx.code("oversight-move", name),
                mizan_cases::EntryKind::Opened => ctx.t("oversight-move-opened"),
                _ => ctx.t("oversight-move-deadline"),
            },
            by: ctx.code("oversight-actor", &e.actor),
            outcome: e.fields.get("outcome").map(|o| ctx.code("oversight-outcome", o)).unwrap_or_default(),
            reasons: e
                .fields
                .get("reasons")
                .filter(|_| e.kind != mizan_cases::EntryKind::Opened)
                .cloned()
                .unwrap_or_default(),
        })
        .collect();
    render(&ReviewPage {
        reference: v.case.reference.clone(),
        decision: v.case.subject.clone(),
        system: v.case.system_label(ctx.lang_code()),
        state: v.case.projection.state.clone(),
        late: v.case.projection.late,
        reasons: reasons_words(&ctx, &v.reasons.join(",")),
        inputs,
        output,
        score,
        moves: v.moves,
        outcomes: REVIEW_OUTCOMES.to_vec(),
        final_decision: v.final_decision,
        history,
        errors,
        ctx,
    })
}

/// `GET /app/oversight/{ref}`: one held decision for review.
pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    SignedIn(p): SignedIn,
    Path(reference): Path<String>,
) -> Result<Response, AppError> {
    let v = state.app.held_review(&reference, &p).await?;
    Ok(review_page(ctx, v, vec![]))
}

fn output_of(s: &str) -> Option<Value> {
    match s.trim() {
        "" => None,
        s => Some(
            serde_json::from_str::<Value>(s)
                .ok()
                .filter(|v| !v.is_object() && !v.is_array())
                .unwrap_or_else(|| Value::String(s.to_owned())),
        ),
    }
}

/// `POST /app/oversight/{ref}`: a reviewer confirms or changes the held decision.
pub async fn decide(
    State(state): State<AppState>,
    ctx: Ctx,
    SignedIn(p): SignedIn,
    Path(reference): Path<String>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, AppError> {
    let input = ReviewIn {
        outcome: form.get("outcome").to_owned(),
        new_output: output_of(form.get("new_output")),
        reasons: form.get("reasons").to_owned(),
    };
    match state.app.review_held(&reference, &p, form.get("move"), input).await {
        Ok(_) => Ok(Redirect::to(&format!("/app/oversight/{reference}")).into_response()),
        Err(mizan_app::Error::BadRequest { detail, field }) => {
            let v = state.app.held_review(&reference, &p).await?;
            Ok(review_page(ctx, v, vec![field.map_or(detail.clone(), |f| format!("{f}: {detail}"))]))
        }
        Err(mizan_app::Error::Conflict(detail) | mizan_app::Error::Refused(detail)) => {
            let v = state.app.held_review(&reference, &p).await?;
            Ok(review_page(ctx, v, vec![detail]))
        }
        Err(e) => Err(e.into()),
    }
}

// ---- API ----

/// An oversight policy to set.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyBody {
    /// The version it holds from (until a later version gets its own).
    pub version: i64,
    /// The policy (`mizan.oversight-policy/1`); `{}` holds nothing.
    #[schema(value_type = Object)]
    pub policy: Value,
}

/// A policy in force.
#[derive(Debug, Serialize, ToSchema)]
pub struct PolicyOut {
    /// The version it holds from.
    pub from_version: i64,
    /// The policy (`mizan.oversight-policy/1`).
    #[schema(value_type = Object)]
    pub policy: OversightPolicy,
}

/// A system's human oversight: its policies and what reviewers did.
#[derive(Debug, Serialize, ToSchema)]
pub struct OversightOut {
    /// The policies in force, by the version they hold from.
    pub policies: Vec<PolicyOut>,
    /// Decisions held and waiting for a person.
    pub waiting: i64,
    /// Decisions a person reviewed.
    pub reviewed: i64,
    /// Of those, how many the person changed.
    pub changed: i64,
    /// `changed / reviewed`.
    pub share_changed: Option<f64>,
}

fn oversight_out(f: OversightFigures) -> OversightOut {
    #[allow(clippy::cast_precision_loss)]
    let share = (f.agreement.reviewed > 0).then(|| f.agreement.changed as f64 / f.agreement.reviewed as f64);
    OversightOut {
        policies: f
            .policies
            .into_iter()
            .map(|(from_version, policy)| PolicyOut { from_version, policy })
            .collect(),
        waiting: f.waiting,
        reviewed: f.agreement.reviewed,
        changed: f.agreement.changed,
        share_changed: share,
    }
}

/// `PUT /api/v1/org/systems/{id}/oversight`: sets which decisions a person must review first.
#[utoipa::path(put, path = "/api/v1/org/systems/{id}/oversight", operation_id = "set_oversight_policy", tag = "oversight",
    security(("token" = [])), params(("id" = String, Path)), request_body = PolicyBody,
    responses((status = 200, description = "The system's oversight after the change", body = OversightOut),
        (status = 401, content_type = "application/problem+json"), (status = 403, content_type = "application/problem+json"),
        (status = 404, content_type = "application/problem+json"), (status = 409, description = "No such version", content_type = "application/problem+json"),
        (status = 422, description = "The policy is wrong; the field is named", content_type = "application/problem+json")))]
pub async fn api_set_policy(
    State(state): State<AppState>,
    TokenUser(p): TokenUser,
    Path(id): Path<String>,
    CleanJson(body): CleanJson<PolicyBody>,
) -> Result<Json<OversightOut>, AppError> {
    state.app.set_oversight_policy(&p, &id, body.version, &body.policy).await?;
    Ok(Json(oversight_out(state.app.oversight_figures(&id).await?)))
}

/// `GET /api/v1/systems/{id}/oversight`: a system's oversight policies and figures (public).
#[utoipa::path(get, path = "/api/v1/systems/{id}/oversight", operation_id = "oversight_figures", tag = "oversight",
    params(("id" = String, Path, description = "The system's public id")),
    responses((status = 200, body = OversightOut), (status = 404, description = "Not on the register", content_type = "application/problem+json")))]
pub async fn api_figures(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<OversightOut>, AppError> {
    state.app.store().public_entry(&id).await?;
    Ok(Json(oversight_out(state.app.oversight_figures(&id).await?)))
}

/// A held decision in the queue.
#[derive(Debug, Serialize, ToSchema)]
pub struct HeldOut {
    /// The review's reference.
    pub reference: String,
    /// The held decision's receipt reference.
    pub decision: String,
    /// The system's public id.
    pub system: Option<String>,
    /// Why it was held.
    pub held_for: Vec<String>,
    /// `pending`, `confirming` or `reviewed`.
    pub state: String,
    /// Whether it missed its deadline.
    pub late: bool,
    /// When the next deadline falls.
    pub due: Option<String>,
}

fn held_out(c: mizan_store::StoredCase) -> HeldOut {
    HeldOut {
        held_for: c.grounds_category.split(',').filter(|r| !r.is_empty()).map(str::to_owned).collect(),
        decision: c.subject,
        system: c.system,
        state: c.projection.state,
        late: c.projection.late,
        due: c.projection.next_due_at,
        reference: c.reference,
    }
}

/// `GET /api/v1/org/oversight`: decisions held for the organisation's review.
#[utoipa::path(get, path = "/api/v1/org/oversight", operation_id = "held_queue", tag = "oversight", security(("token" = [])),
    responses((status = 200, body = Vec<HeldOut>), (status = 401, content_type = "application/problem+json"), (status = 403, content_type = "application/problem+json")))]
pub async fn api_queue(
    State(state): State<AppState>,
    TokenUser(p): TokenUser,
) -> Result<Json<Vec<HeldOut>>, AppError> {
    Ok(Json(state.app.held_queue(&p, 500, 0).await?.into_iter().map(held_out).collect()))
}

/// A held decision with what the reviewer needs.
#[derive(Debug, Serialize, ToSchema)]
pub struct HeldDetailOut {
    /// The review.
    #[serde(flatten)]
    pub held: HeldOut,
    /// The decision's inputs.
    #[schema(value_type = Object)]
    pub features: Value,
    /// The AI's output.
    #[schema(value_type = Object)]
    pub output: Value,
    /// The AI's score.
    pub score: Option<f64>,
    /// Moves open to the caller now.
    pub moves: Vec<String>,
    /// The person's final decision, once logged.
    pub final_decision: Option<String>,
}

fn detail_out(v: HeldView) -> HeldDetailOut {
    let (features, output, score) = match &v.record {
        Some(r) => (Value::Object(r.features.clone()), r.output.clone(), r.score),
        None => (Value::Null, Value::Null, None),
    };
    HeldDetailOut {
        features,
        output,
        score,
        moves: v.moves,
        final_decision: v.final_decision,
        held: held_out(v.case),
    }
}

/// `GET /api/v1/org/oversight/{ref}`: one held decision.
#[utoipa::path(get, path = "/api/v1/org/oversight/{reference}", operation_id = "get_held", tag = "oversight", security(("token" = [])),
    params(("reference" = String, Path)),
    responses((status = 200, body = HeldDetailOut), (status = 401, content_type = "application/problem+json"), (status = 404, content_type = "application/problem+json")))]
pub async fn api_get(
    State(state): State<AppState>,
    TokenUser(p): TokenUser,
    Path(reference): Path<String>,
) -> Result<Json<HeldDetailOut>, AppError> {
    Ok(Json(detail_out(state.app.held_review(&reference, &p).await?)))
}

/// A reviewer's move.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewBody {
    /// `review`, or `propose` then `confirm` where two reviewers must agree.
    pub r#move: String,
    /// `confirmed`, `reversed` or `modified` (not needed to `confirm` a proposal).
    #[serde(default)]
    pub outcome: Option<String>,
    /// The new output, when the person changes it.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub new_output: Option<Value>,
    /// Why, in plain language.
    #[serde(default)]
    pub reasons: Option<String>,
}

/// `POST /api/v1/org/oversight/{ref}/moves`: confirms or changes a held decision; the final
/// decision is logged superseding the held one.
#[utoipa::path(post, path = "/api/v1/org/oversight/{reference}/moves", operation_id = "review_held", tag = "oversight", security(("token" = [])),
    params(("reference" = String, Path)), request_body = ReviewBody,
    responses((status = 200, description = "The review after the move", body = HeldDetailOut),
        (status = 401, content_type = "application/problem+json"), (status = 403, content_type = "application/problem+json"),
        (status = 404, content_type = "application/problem+json"), (status = 409, description = "The move is not open now", content_type = "application/problem+json"),
        (status = 422, description = "A field is wrong", content_type = "application/problem+json")))]
pub async fn api_move(
    State(state): State<AppState>,
    TokenUser(p): TokenUser,
    Path(reference): Path<String>,
    CleanJson(body): CleanJson<ReviewBody>,
) -> Result<Json<HeldDetailOut>, AppError> {
    let input = ReviewIn {
        outcome: body.outcome.unwrap_or_default(),
        new_output: body.new_output,
        reasons: body.reasons.unwrap_or_default(),
    };
    Ok(Json(detail_out(state.app.review_held(&reference, &p, &body.r#move, input).await?)))
}

/// A reviewer's agreement with the AI.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewerOut {
    /// The reviewer's name.
    pub reviewer: String,
    /// Decisions they reviewed.
    pub reviewed: i64,
    /// Of those, how many they changed.
    pub changed: i64,
    /// The share they confirmed.
    pub agreement: Option<f64>,
}

/// `GET /api/v1/org/oversight-reviewers`: each reviewer's agreement with the AI (the
/// automation-bias measure of EU AI Act Art. 14(4)(b)); the regulator sees every organisation's.
#[utoipa::path(get, path = "/api/v1/org/oversight-reviewers", operation_id = "reviewer_agreement", tag = "oversight", security(("token" = [])),
    responses((status = 200, body = Vec<ReviewerOut>), (status = 401, content_type = "application/problem+json"), (status = 403, content_type = "application/problem+json")))]
pub async fn api_reviewers(
    State(state): State<AppState>,
    TokenUser(p): TokenUser,
) -> Result<Json<Vec<ReviewerOut>>, AppError> {
    Ok(Json(
        state
            .app
            .reviewer_agreement(&p)
            .await?
            .into_iter()
            .map(|(reviewer, a)| ReviewerOut {
                agreement: a.agreement(),
                reviewer,
                reviewed: a.reviewed,
                changed: a.changed,
            })
            .collect(),
    ))
}
