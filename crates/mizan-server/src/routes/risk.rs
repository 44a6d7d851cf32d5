//! The risk questionnaire and the classification it leads to: provider pages and API to answer
//! it one question at a time (only questions on the current path are shown), and the public
//! view of a registered version's classification.

use askama::Template;
use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use mizan_rules::{Answers, Ruleset};
use mizan_store::ActorRef;
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::{SignedIn, TokenUser, require};
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::pages::{Ctx, render};
use crate::util::CleanJson;
use crate::views::{ClassView, ImpactView};

/// One question as the form shows it.
pub struct QuestionView {
    /// Question id.
    pub id: String,
    /// Text in the page language.
    pub text: String,
    /// Citation.
    pub cite: String,
    /// (answer code, its words in the page language, selected).
    pub options: Vec<(String, String, bool)>,
}

/// The words of answer `code` in `lang` from `labels`, or the code itself when the data has
/// none (the data's own test makes that impossible for the embedded questionnaires).
pub fn answer_words(
    lang: Lang,
    labels: &std::collections::BTreeMap<String, mizan_rules::Bilingual>,
    code: &str,
) -> String {
    labels.get(code).map_or_else(|| code.to_owned(), |l| lang.pick(l))
}

fn question_view(lang: Lang, rs: &Ruleset, q: &mizan_rules::Question, chosen: Option<&str>) -> QuestionView {
    QuestionView {
        id: q.id.clone(),
        text: lang.pick(&q.text),
        cite: q.cite.clone(),
        options: q
            .allowed()
            .into_iter()
            .map(|a| {
                let words = answer_words(lang, &rs.answer_labels, &a);
                let sel = chosen == Some(a.as_str());
                (a, words, sel)
            })
            .collect(),
    }
}

#[derive(Template)]
#[template(path = "risk_form.html")]
struct RiskPage {
    ctx: Ctx,
    public_id: String,
    answered: Vec<QuestionView>,
    next: Option<QuestionView>,
    classification: Option<ClassView>,
    /// Why complete answers give no result: they contradict each other.
    contradiction: Option<String>,
    editable: bool,
}

/// `GET /app/systems/{id}/risk`: the questionnaire so far and the next question.
pub async fn form(
    State(state): State<AppState>,
    ctx: Ctx,
    SignedIn(p): SignedIn,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    require(&p, "systems:read")?;
    let view = state.app.store().org_system(p.scope(), &id).await?;
    let answers = state.app.store().risk_answers(p.scope(), &id).await?;
    let rs = Ruleset::embedded()?;
    let progress = rs.progress(&answers);
    let lang = ctx.lang;
    // Complete answers that contradict each other are shown as what to fix, not a result.
    let (result, contradiction) = if progress.next.is_none() {
        match rs.classify(&progress.on_path_answers()) {
            Ok(c) => (
                Some(ClassView::from_json(
                    lang,
                    &serde_json::to_value(&c).map_err(|e| AppError::Internal(e.to_string()))?,
                )?),
                None,
            ),
            Err(e @ mizan_rules::RulesError::Contradiction { .. }) => (None, Some(e.to_string())),
            Err(e) => return Err(e.into()),
        }
    } else {
        (None, None)
    };
    let editable = p.can("systems:write")
        && !matches!(
            view.summary.status,
            mizan_register::Status::Submitted
                | mizan_register::Status::UnderReview
                | mizan_register::Status::Retired
        );
    Ok(render(&RiskPage {
        answered: progress.answered.iter().map(|(q, a)| question_view(lang, rs, q, Some(a))).collect(),
        next: progress.next.map(|q| question_view(lang, rs, q, None)),
        classification: result,
        contradiction,
        editable,
        public_id: id,
        ctx,
    }))
}

/// The answers a questionnaire form posted, as fields `q.<question id>`; empty ones are skipped.
fn posted_answers(form: &crate::util::FormFields) -> Answers {
    form.0
        .iter()
        .filter_map(|(k, v)| k.strip_prefix("q.").map(|q| (q.to_owned(), v.trim().to_owned())))
        .filter(|(_, v)| !v.is_empty())
        .collect()
}

/// `POST /app/systems/{id}/risk`: merges the posted answers (fields `q.<question id>`) into the
/// stored ones and keeps those on the resulting path.
pub async fn save(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, AppError> {
    require(&p, "systems:write")?;
    let mut answers = state.app.store().risk_answers(p.scope(), &id).await?;
    let given = posted_answers(&form);
    answers.extend(given);
    let answers = Ruleset::embedded()?.progress(&answers).on_path_answers();
    state.app.store().set_risk_answers(p.scope(), &id, &ActorRef::from(&p), &answers).await?;
    Ok(Redirect::to(&format!("/app/systems/{id}/risk")).into_response())
}

/// The questionnaire state in the API.
#[derive(Debug, Serialize, ToSchema)]
pub struct RiskAnswersOut {
    /// Answers on the current path.
    #[schema(value_type = Object)]
    pub answers: Answers,
    /// Whether every question on the path is answered.
    pub complete: bool,
    /// The next question to answer, when incomplete: id, citation, text and allowed answers.
    #[schema(value_type = Object, nullable)]
    pub next: Option<serde_json::Value>,
    /// The classification the answers lead to, when complete.
    #[schema(value_type = Object, nullable)]
    pub classification: Option<serde_json::Value>,
}

fn answers_out(answers: &Answers) -> Result<RiskAnswersOut, AppError> {
    let rs = Ruleset::embedded()?;
    let progress = rs.progress(answers);
    let on_path = progress.on_path_answers();
    let classification = match progress.next {
        None => Some(
            serde_json::to_value(rs.classify(&on_path)?).map_err(|e| AppError::Internal(e.to_string()))?,
        ),
        Some(_) => None,
    };
    Ok(RiskAnswersOut {
        complete: progress.next.is_none(),
        next: progress
            .next
            .map(|q| json!({"id": q.id, "cite": q.cite, "text": q.text, "allowed": q.allowed()})),
        answers: on_path,
        classification,
    })
}

/// The risk questionnaire answers of one of the organisation's systems.
#[utoipa::path(get, operation_id = "get_risk_answers", path = "/api/v1/org/systems/{id}/risk-answers", tag = "provider", security(("token" = [])), params(("id" = String, Path)),
    responses((status = 200, body = RiskAnswersOut), (status = 404, content_type = "application/problem+json")))]
pub async fn api_get(
    State(state): State<AppState>,
    TokenUser(p): TokenUser,
    Path(id): Path<String>,
) -> Result<Json<RiskAnswersOut>, AppError> {
    require(&p, "systems:read")?;
    Ok(Json(answers_out(&state.app.store().risk_answers(p.scope(), &id).await?)?))
}

/// Replace the risk questionnaire answers (question id → answer). Unknown questions and invalid
/// answers on the path are refused; answers off the path are dropped.
#[utoipa::path(put, operation_id = "put_risk_answers", path = "/api/v1/org/systems/{id}/risk-answers", tag = "provider", security(("token" = [])), params(("id" = String, Path)),
    request_body(content = std::collections::BTreeMap<String, String>, description = "question id → answer"),
    responses((status = 200, body = RiskAnswersOut), (status = 409, content_type = "application/problem+json", description = "the system is submitted: its answers are frozen until it is withdrawn"),
        (status = 422, content_type = "application/problem+json")))]
pub async fn api_put(
    State(state): State<AppState>,
    TokenUser(p): TokenUser,
    Path(id): Path<String>,
    CleanJson(given): CleanJson<Answers>,
) -> Result<Json<RiskAnswersOut>, AppError> {
    require(&p, "systems:write")?;
    let rs = Ruleset::embedded()?;
    if let Some(q) = given.keys().find(|k| !rs.questions.iter().any(|q| &q.id == *k)) {
        return Err(mizan_rules::RulesError::UnknownQuestion {
            question: q.clone(),
            known: rs.questions.iter().map(|q| q.id.clone()).collect(),
        }
        .into());
    }
    // An invalid answer on the path is an error, not a silently re-asked question.
    // So is a contradiction between complete answers.
    if let Err(
        e @ (mizan_rules::RulesError::InvalidAnswer { .. } | mizan_rules::RulesError::Contradiction { .. }),
    ) = rs.classify(&given)
    {
        return Err(e.into());
    }
    let answers = rs.progress(&given).on_path_answers();
    state.app.store().set_risk_answers(p.scope(), &id, &ActorRef::from(&p), &answers).await?;
    Ok(Json(answers_out(&answers)?))
}

/// The classification of the registered version shown on the public register.
#[utoipa::path(get, path = "/api/v1/systems/{id}/classification", tag = "register", params(("id" = String, Path)),
    responses((status = 200, body = Object), (status = 404, content_type = "application/problem+json")))]
pub async fn public_classification(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, AppError> {
    let entry = state.app.store().public_entry(&id).await?;
    let c = state
        .app
        .store()
        .classification(None, &id, entry.version)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("classification of `{id}`")))?;
    Ok(Json(c.result))
}

#[derive(Template)]
#[template(path = "impact_form.html")]
struct ImpactPage {
    ctx: Ctx,
    public_id: String,
    risk: Vec<QuestionView>,
    mitigation: Vec<QuestionView>,
    impact: Option<ImpactView>,
    editable: bool,
}

fn impact_questions(
    lang: Lang,
    questionnaire: &mizan_rules::impact::Questionnaire,
    qs: &[mizan_rules::impact::WeightedQuestion],
    answers: &Answers,
) -> Vec<QuestionView> {
    qs.iter()
        .map(|q| QuestionView {
            id: q.id.clone(),
            text: lang.pick(&q.text),
            cite: String::new(),
            options: q
                .answers
                .iter()
                .map(|(a, _)| {
                    (
                        a.clone(),
                        answer_words(lang, &questionnaire.answer_labels, a),
                        answers.get(&q.id) == Some(a),
                    )
                })
                .collect(),
        })
        .collect()
}

fn assessment_json(answers: &Answers) -> Option<serde_json::Value> {
    let q = mizan_rules::impact::Questionnaire::embedded().ok()?;
    q.assess(answers).ok().and_then(|a| serde_json::to_value(a).ok())
}

/// `GET /app/systems/{id}/impact`: the impact assessment questionnaire and its result.
pub async fn impact_form(
    State(state): State<AppState>,
    ctx: Ctx,
    SignedIn(p): SignedIn,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    require(&p, "systems:read")?;
    let view = state.app.store().org_system(p.scope(), &id).await?;
    let answers = state.app.store().impact_answers(p.scope(), &id).await?;
    let q = mizan_rules::impact::Questionnaire::embedded()?;
    let lang = ctx.lang;
    let editable = p.can("systems:write")
        && !matches!(
            view.summary.status,
            mizan_register::Status::Submitted
                | mizan_register::Status::UnderReview
                | mizan_register::Status::Retired
        );
    Ok(render(&ImpactPage {
        risk: impact_questions(lang, q, &q.risk, &answers),
        mitigation: impact_questions(lang, q, &q.mitigation, &answers),
        impact: assessment_json(&answers).and_then(|v| ImpactView::from_json(lang, &v)),
        editable,
        public_id: id,
        ctx,
    }))
}

/// Keeps only known questions with allowed answers (a form may send partial answers).
fn valid_impact_answers(given: Answers) -> Result<Answers, AppError> {
    let q = mizan_rules::impact::Questionnaire::embedded()?;
    let mut out = Answers::new();
    for (k, v) in given {
        let Some(question) = q.risk.iter().chain(&q.mitigation).find(|x| x.id == k) else {
            return Err(mizan_rules::RulesError::UnknownQuestion {
                question: k,
                known: q.risk.iter().chain(&q.mitigation).map(|x| x.id.clone()).collect(),
            }
            .into());
        };
        if !question.answers.iter().any(|(a, _)| *a == v) {
            return Err(mizan_rules::RulesError::InvalidAnswer {
                question: k,
                answer: v,
                allowed: question.answers.iter().map(|(a, _)| a.clone()).collect(),
            }
            .into());
        }
        out.insert(k, v);
    }
    Ok(out)
}

/// `POST /app/systems/{id}/impact`: merges the posted answers (fields `q.<id>`) and saves them.
pub async fn impact_save(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, AppError> {
    require(&p, "systems:write")?;
    let mut answers = state.app.store().impact_answers(p.scope(), &id).await?;
    let given = posted_answers(&form);
    answers.extend(valid_impact_answers(given)?);
    state.app.store().set_impact_answers(p.scope(), &id, &ActorRef::from(&p), &answers).await?;
    Ok(Redirect::to(&format!("/app/systems/{id}/impact")).into_response())
}

/// The impact assessment state in the API.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImpactAnswersOut {
    /// Answers given.
    #[schema(value_type = Object)]
    pub answers: Answers,
    /// Whether every question is answered.
    pub complete: bool,
    /// The assessment (score, thresholds, level and its obligations), when complete.
    #[schema(value_type = Object, nullable)]
    pub assessment: Option<serde_json::Value>,
}

fn impact_out(answers: Answers) -> ImpactAnswersOut {
    let assessment = assessment_json(&answers);
    ImpactAnswersOut { complete: assessment.is_some(), assessment, answers }
}

/// The impact assessment answers of one of the organisation's systems.
#[utoipa::path(get, path = "/api/v1/org/systems/{id}/impact-answers", tag = "provider", security(("token" = [])), params(("id" = String, Path)),
    responses((status = 200, body = ImpactAnswersOut), (status = 404, content_type = "application/problem+json")))]
pub async fn impact_api_get(
    State(state): State<AppState>,
    TokenUser(p): TokenUser,
    Path(id): Path<String>,
) -> Result<Json<ImpactAnswersOut>, AppError> {
    require(&p, "systems:read")?;
    Ok(Json(impact_out(state.app.store().impact_answers(p.scope(), &id).await?)))
}

/// Replace the impact assessment answers (question id → answer).
#[utoipa::path(put, path = "/api/v1/org/systems/{id}/impact-answers", tag = "provider", security(("token" = [])), params(("id" = String, Path)),
    request_body(content = std::collections::BTreeMap<String, String>, description = "question id → answer"),
    responses((status = 200, body = ImpactAnswersOut), (status = 409, content_type = "application/problem+json", description = "the system is submitted: its answers are frozen until it is withdrawn"),
        (status = 422, content_type = "application/problem+json")))]
pub async fn impact_api_put(
    State(state): State<AppState>,
    TokenUser(p): TokenUser,
    Path(id): Path<String>,
    CleanJson(given): CleanJson<Answers>,
) -> Result<Json<ImpactAnswersOut>, AppError> {
    require(&p, "systems:write")?;
    let answers = valid_impact_answers(given)?;
    state.app.store().set_impact_answers(p.scope(), &id, &ActorRef::from(&p), &answers).await?;
    Ok(Json(impact_out(answers)))
}

/// The impact assessment of the registered version shown on the public register.
#[utoipa::path(get, path = "/api/v1/systems/{id}/impact", tag = "register", params(("id" = String, Path)),
    responses((status = 200, body = Object), (status = 404, content_type = "application/problem+json")))]
pub async fn public_impact(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, AppError> {
    let entry = state.app.store().public_entry(&id).await?;
    let c = state
        .app
        .store()
        .classification(None, &id, entry.version)
        .await?
        .filter(|c| !c.impact.is_null())
        .ok_or_else(|| AppError::NotFound(format!("impact assessment of `{id}`")))?;
    Ok(Json(c.impact))
}
