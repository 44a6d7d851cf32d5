//! The risk questionnaire and the classification it leads to: provider pages and API to answer
//! it one question at a time (only questions on the current path are shown), and the public
//! view of a registered version's classification.

use askama::Template;
use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use mizan_rules::{Answers, Ruleset};
use mizan_store::ActorRef;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::{SignedIn, TokenUser, require};
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::pages::{Ctx, render};

/// A classification ready for a page, from a stored or freshly computed result.
pub struct ClassView {
    /// Tier code.
    pub tier: String,
    /// Clause that decided the tier.
    pub tier_cite: String,
    /// Operator role.
    pub role: String,
    /// (id, text in the page language, citation, NIST AI RMF ids, ISO/IEC 42001 ids).
    pub obligations: Vec<(String, String, String, String, String)>,
    /// (question text in the page language, answer, citation).
    pub path: Vec<(String, String, String)>,
    /// `id version sha256`.
    pub ruleset: String,
}

#[derive(Deserialize)]
struct StoredResult {
    tier: String,
    tier_cite: String,
    role: String,
    obligations: Vec<StoredObligation>,
    path: Vec<StoredStep>,
    ruleset: StoredStamp,
}

#[derive(Deserialize)]
struct StoredObligation {
    id: String,
    cite: String,
    text: mizan_rules::Bilingual,
}

#[derive(Deserialize)]
struct StoredStep {
    question: String,
    answer: String,
    cite: String,
}

#[derive(Deserialize)]
struct StoredStamp {
    id: String,
    version: String,
    sha256: String,
}

impl ClassView {
    /// Builds the view from a classification as JSON (stored or fresh).
    ///
    /// # Errors
    /// [`AppError::Internal`] if the JSON is not a classification.
    pub fn from_json(lang: Lang, value: &serde_json::Value) -> Result<ClassView, AppError> {
        let r: StoredResult = serde_json::from_value(value.clone())
            .map_err(|e| AppError::Internal(format!("stored classification: {e}")))?;
        let rs = Ruleset::embedded().ok();
        let crosswalk = mizan_rules::crosswalk::Crosswalk::embedded().ok();
        let mapped = |id: &str| {
            crosswalk
                .and_then(|c| c.for_obligation(id))
                .map_or((String::new(), String::new()), |m| (m.nist.join(", "), m.iso.join(", ")))
        };
        let question_text = |id: &str| {
            rs.and_then(|rs| rs.questions.iter().find(|q| q.id == id)).map_or_else(
                || id.to_owned(),
                |q| if lang == Lang::Ur { q.text.ur.clone() } else { q.text.en.clone() },
            )
        };
        Ok(ClassView {
            tier: r.tier,
            tier_cite: r.tier_cite,
            role: r.role,
            obligations: r
                .obligations
                .into_iter()
                .map(|o| {
                    let (nist, iso) = mapped(&o.id);
                    (o.id, if lang == Lang::Ur { o.text.ur } else { o.text.en }, o.cite, nist, iso)
                })
                .collect(),
            path: r.path.into_iter().map(|s| (question_text(&s.question), s.answer, s.cite)).collect(),
            ruleset: format!("{} {} sha256:{}", r.ruleset.id, r.ruleset.version, r.ruleset.sha256),
        })
    }
}

/// One question as the form shows it.
pub struct QuestionView {
    /// Question id.
    pub id: String,
    /// Text in the page language.
    pub text: String,
    /// Citation.
    pub cite: String,
    /// (answer code, selected).
    pub options: Vec<(String, bool)>,
}

fn question_view(lang: Lang, q: &mizan_rules::Question, chosen: Option<&str>) -> QuestionView {
    QuestionView {
        id: q.id.clone(),
        text: if lang == Lang::Ur { q.text.ur.clone() } else { q.text.en.clone() },
        cite: q.cite.clone(),
        options: q.allowed().into_iter().map(|a| (a.clone(), chosen == Some(a.as_str()))).collect(),
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
    let view = state.store.org_system(p.scope(), &id).await?;
    let answers = state.store.risk_answers(p.scope(), &id).await?;
    let rs = Ruleset::embedded()?;
    let progress = rs.progress(&answers);
    let lang = ctx.lang;
    let result = if progress.next.is_none() {
        let c = rs.classify(&progress.on_path_answers())?;
        Some(ClassView::from_json(
            lang,
            &serde_json::to_value(&c).map_err(|e| AppError::Internal(e.to_string()))?,
        )?)
    } else {
        None
    };
    let editable = p.can("systems:write")
        && !matches!(
            view.summary.status,
            mizan_register::Status::Submitted
                | mizan_register::Status::UnderReview
                | mizan_register::Status::Retired
        );
    Ok(render(&RiskPage {
        answered: progress.answered.iter().map(|(q, a)| question_view(lang, q, Some(a))).collect(),
        next: progress.next.map(|q| question_view(lang, q, None)),
        classification: result,
        editable,
        public_id: id,
        ctx,
    }))
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
    let mut answers = state.store.risk_answers(p.scope(), &id).await?;
    let given: Answers = form
        .0
        .iter()
        .filter_map(|(k, v)| k.strip_prefix("q.").map(|q| (q.to_owned(), v.trim().to_owned())))
        .filter(|(_, v)| !v.is_empty())
        .collect();
    answers.extend(given);
    let answers = Ruleset::embedded()?.progress(&answers).on_path_answers();
    state.store.set_risk_answers(p.scope(), &id, &ActorRef::from(&p), &answers).await?;
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
    #[schema(value_type = Object)]
    pub next: Option<serde_json::Value>,
    /// The classification the answers lead to, when complete.
    #[schema(value_type = Object)]
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
#[utoipa::path(get, path = "/api/v1/org/systems/{id}/risk-answers", tag = "provider", security(("token" = [])), params(("id" = String, Path)),
    responses((status = 200, body = RiskAnswersOut), (status = 404, content_type = "application/problem+json")))]
pub async fn api_get(
    State(state): State<AppState>,
    TokenUser(p): TokenUser,
    Path(id): Path<String>,
) -> Result<Json<RiskAnswersOut>, AppError> {
    require(&p, "systems:read")?;
    Ok(Json(answers_out(&state.store.risk_answers(p.scope(), &id).await?)?))
}

/// Replace the risk questionnaire answers (question id → answer). Unknown questions and invalid
/// answers on the path are refused; answers off the path are dropped.
#[utoipa::path(put, path = "/api/v1/org/systems/{id}/risk-answers", tag = "provider", security(("token" = [])), params(("id" = String, Path)),
    request_body = Object,
    responses((status = 200, body = RiskAnswersOut), (status = 422, content_type = "application/problem+json")))]
pub async fn api_put(
    State(state): State<AppState>,
    TokenUser(p): TokenUser,
    Path(id): Path<String>,
    Json(given): Json<Answers>,
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
    if let Err(e @ mizan_rules::RulesError::InvalidAnswer { .. }) = rs.classify(&given) {
        return Err(e.into());
    }
    let answers = rs.progress(&given).on_path_answers();
    state.store.set_risk_answers(p.scope(), &id, &ActorRef::from(&p), &answers).await?;
    Ok(Json(answers_out(&answers)?))
}

/// The classification of the registered version shown on the public register.
#[utoipa::path(get, path = "/api/v1/systems/{id}/classification", tag = "register", params(("id" = String, Path)),
    responses((status = 200, body = Object), (status = 404, content_type = "application/problem+json")))]
pub async fn public_classification(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, AppError> {
    let entry = state.store.public_entry(&id).await?;
    let c = state
        .store
        .classification(None, &id, entry.version)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("classification of `{id}`")))?;
    Ok(Json(c.result))
}
