//! Models and explanations: a provider uploads the model file of a system version; anyone
//! holding a decision's receipt reads why the decision was made and what would change it; the
//! regulator reads the full numbers of any decision.
//!
//! A model is loaded with `mizan_explain::load_model` before anything is kept, so a bad file is
//! refused with the engine's reason and nothing is stored. An explanation is computed the first
//! time someone asks for it, from the decision's record and the model whose hash the record
//! names (prepared once and kept in the server's [`PreparedModels`](mizan_app::explain::PreparedModels)),
//! and stored beside the decision; later readers get the stored one.

use std::collections::BTreeMap;
use std::sync::Arc;

use askama::Template;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use mizan_explain::ModelBody;
use mizan_explain::ir::CoverSource;
use mizan_store::{FavourableSide, NewExplanation, NewModel, Principal, StoredDecision, StoredModel};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::{SignedIn, TokenUser, regulator, require};
use crate::error::AppError;
use mizan_app::explain::{ExplanationDoc, PreparedModel, explain_decision, normalise_hash};

use crate::pages::{Ctx, render};
use crate::plain::{Plain, format_number, plain};

/// Decisions listed on the regulator's page of a system.
const REGULATOR_LIST: i64 = 200;
/// Factors shown each way on the citizen's page.
const TOP_FACTORS: usize = 3;

fn bad(field: &str, detail: impl Into<String>) -> AppError {
    AppError::BadRequest { field: Some(field.into()), detail: detail.into() }
}

fn internal(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(e.to_string())
}

/// How to read a model's output, as given with an upload.
#[derive(Debug, Default)]
struct Settings {
    favourable: Option<FavourableSide>,
    threshold: Option<f64>,
    immutable: Vec<String>,
    bounds: BTreeMap<String, (f64, f64)>,
    feature_names: Option<Vec<String>>,
}

fn list(value: &str) -> Vec<String> {
    value.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

impl Settings {
    /// Reads the settings fields; `extra` names fields the caller reads itself.
    fn from_fields(fields: &[(String, String)], extra: &[&str]) -> Result<Settings, AppError> {
        let mut s = Settings::default();
        for (k, v) in fields {
            let v = v.trim();
            match k.as_str() {
                "favourable" => {
                    s.favourable =
                        Some(FavourableSide::parse(v).ok_or_else(|| {
                            bad("favourable", format!("`{v}` is neither `high` nor `low`"))
                        })?);
                }
                "threshold" if !v.is_empty() => {
                    let t = v.parse::<f64>().ok().filter(|t| t.is_finite());
                    s.threshold = Some(t.ok_or_else(|| {
                        bad(
                            "threshold",
                            format!("`{v}` is not a number; give the margin threshold, e.g. `0`"),
                        )
                    })?);
                }
                "threshold" => {}
                "immutable" => s.immutable.extend(list(v)),
                "feature_names" if !v.is_empty() => s.feature_names = Some(list(v)),
                "feature_names" => {}
                "bounds" => {
                    for item in list(v) {
                        let parts: Vec<&str> = item.rsplitn(3, ':').collect();
                        let parsed = match parts.as_slice() {
                            [hi, lo, name] => {
                                lo.parse::<f64>().ok().zip(hi.parse::<f64>().ok()).map(|b| (*name, b))
                            }
                            _ => None,
                        };
                        let Some((name, (lo, hi))) = parsed.filter(|(_, (lo, hi))| lo <= hi) else {
                            return Err(bad(
                                "bounds",
                                format!(
                                    "`{item}` is not `feature:min:max` with min ≤ max, e.g. `existing_loans:0:10`"
                                ),
                            ));
                        };
                        s.bounds.insert(name.to_owned(), (lo, hi));
                    }
                }
                other if extra.contains(&other) => {}
                other => {
                    return Err(bad(
                        other,
                        format!(
                            "unknown field `{other}`; use favourable, threshold, immutable, bounds, feature_names"
                        ),
                    ));
                }
            }
        }
        Ok(s)
    }
}

/// Checks, stores and records a model for `version` of `p`'s system `id`.
async fn upload(
    state: &AppState,
    p: &Principal,
    id: &str,
    version: i64,
    bytes: Bytes,
    s: Settings,
    card: Option<&str>,
) -> Result<(StoredModel, bool), AppError> {
    require(p, "systems:write")?;
    // Ownership first: nothing of another organisation's system is ever touched.
    state.app.store().model_target(p.scope(), id, version).await?;
    // Size first, then the parse on the blocking pool (`Platform::load_model`).
    let mizan_app::models::LoadedModel { model, format } = state.app.load_model(bytes.clone()).await?;
    if let ModelBody::Trees(e) = &model.body
        && e.cover == CoverSource::Absent
    {
        return Err(bad(
            "model",
            "the model file records no covers (training weights per node), which exact TreeSHAP needs; \
             save it with them (XGBoost JSON or UBJSON, LightGBM model.txt with counts)",
        ));
    }
    let names = match s.feature_names {
        None => model.feature_names.clone(),
        Some(n) if n.len() == model.n_features() => n,
        Some(n) => {
            return Err(bad(
                "feature_names",
                format!("{} names given but the model has {} features", n.len(), model.n_features()),
            ));
        }
    };
    let known = |f: &str| names.iter().any(|n| n == f);
    let listing = || names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ");
    if let Some((i, dup)) = names.iter().enumerate().find(|(i, n)| names[..*i].contains(n)) {
        return Err(bad("feature_names", format!("feature `{dup}` appears twice (position {})", i + 1)));
    }
    if let Some(f) = s.immutable.iter().find(|f| !known(f)) {
        return Err(bad(
            "immutable",
            format!("`{f}` is not a feature of the model (features: {})", listing()),
        ));
    }
    if let Some(f) = s.bounds.keys().find(|f| !known(f)) {
        return Err(bad("bounds", format!("`{f}` is not a feature of the model (features: {})", listing())));
    }
    // The card is checked against the model's features before anything is kept.
    if let Some(text) = card {
        mizan_app::models::check_card(text, &names)?;
    }
    let mut immutable = s.immutable;
    immutable.sort();
    immutable.dedup();
    let files = state.app.models().clone();
    let data = bytes.clone();
    let sha256 =
        tokio::task::spawn_blocking(move || files.put(&data)).await.map_err(internal)?.map_err(internal)?;
    let new = NewModel {
        sha256,
        format,
        size_bytes: i64::try_from(bytes.len()).map_err(internal)?,
        feature_names: names,
        favourable: s.favourable.unwrap_or(FavourableSide::High),
        threshold: s.threshold.unwrap_or(0.0),
        immutable,
        bounds: s.bounds,
        uploaded_by: p.actor_name(),
    };
    let (model, created) = state.app.store().insert_model(p.scope(), id, version, &new).await?;
    match card {
        Some(text) => Ok((state.app.set_model_card(p, id, version, text).await?, created)),
        None => Ok((model, created)),
    }
}

/// A model as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ModelOut {
    /// The system's public id.
    pub system: String,
    /// The version it belongs to.
    pub version: i64,
    /// Lowercase hex SHA-256 of the file; decisions name it as `model_hash` `sha256:<hex>`.
    pub sha256: String,
    /// File format.
    pub format: String,
    /// File size.
    pub size_bytes: i64,
    /// Feature names in model order (the keys of a decision's `features`).
    pub feature_names: Vec<String>,
    /// `high` or `low`: which side of the threshold is favourable.
    pub favourable: String,
    /// Margin threshold.
    pub threshold: f64,
    /// Features recourse never changes.
    pub immutable: Vec<String>,
    /// Bounds recourse stays within, by feature.
    pub bounds: BTreeMap<String, [f64; 2]>,
    /// Who uploaded it.
    pub uploaded_by: String,
    /// When.
    pub uploaded_at: String,
    /// The newest `mizan.model-card/1` (JSON Schema at `/api/v1/schemas/mizan.model-card-1.json`),
    /// or `null` when none was given.
    #[schema(value_type = Option<Object>)]
    pub card: Option<Value>,
    /// How many cards were given (the first, then corrections).
    pub cards: i64,
    /// What the card still lacks for explanations to read in people's words: unlabelled
    /// feature names, and `outputs` when no output value is labelled.
    pub labels_missing: Vec<String>,
}

impl From<StoredModel> for ModelOut {
    fn from(m: StoredModel) -> Self {
        let card = mizan_app::models::card_of(&m);
        ModelOut {
            labels_missing: mizan_app::models::labels_missing(&m.feature_names, card.as_ref()),
            card: card.and_then(|c| serde_json::to_value(c).ok()),
            cards: m.cards,
            system: m.system,
            version: m.version,
            sha256: m.sha256,
            format: m.format,
            size_bytes: m.size_bytes,
            feature_names: m.feature_names,
            favourable: m.favourable.as_str().into(),
            threshold: m.threshold,
            immutable: m.immutable,
            bounds: m.bounds.into_iter().map(|(k, (lo, hi))| (k, [lo, hi])).collect(),
            uploaded_by: m.uploaded_by,
            uploaded_at: m.uploaded_at,
        }
    }
}

/// Upload the model file a system version decides with (the file is the body).
#[utoipa::path(post, path = "/api/v1/org/systems/{id}/versions/{version}/model", tag = "provider", security(("token" = [])),
    params(("id" = String, Path), ("version" = i64, Path),
        ("favourable" = Option<String>, Query, description = "`high` (default) or `low`: which side of the threshold is favourable"),
        ("threshold" = Option<f64>, Query, description = "margin threshold between the outcomes (default 0, probability 0.5 for logistic models)"),
        ("immutable" = Option<String>, Query, description = "comma-separated features recourse never changes, e.g. `age,sex`"),
        ("bounds" = Option<String>, Query, description = "comma-separated `feature:min:max` that recourse stays within"),
        ("feature_names" = Option<String>, Query, description = "comma-separated names, for a file that records none")),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "XGBoost JSON/UBJSON, LightGBM model.txt or mizan-linear/1 JSON"),
    responses((status = 201, body = ModelOut), (status = 200, body = ModelOut, description = "the same model and settings were uploaded before"),
        (status = 400, content_type = "application/problem+json", description = "the file cannot be loaded or a setting is wrong; nothing is stored"),
        (status = 404, content_type = "application/problem+json"), (status = 409, content_type = "application/problem+json")))]
pub async fn api_upload(
    State(state): State<AppState>,
    TokenUser(p): TokenUser,
    Path((id, version)): Path<(String, i64)>,
    Query(params): Query<Vec<(String, String)>>,
    body: Bytes,
) -> Result<Response, AppError> {
    let settings = Settings::from_fields(&params, &[])?;
    let (model, created) = upload(&state, &p, &id, version, body, settings, None).await?;
    let status = if created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(ModelOut::from(model))).into_response())
}

/// Give or correct the model card of a system version's model: the labels of its features and
/// outputs in English and Urdu, units, steps, coded values, protected and immutable features,
/// bounds and the favourable side. Allowed until a decision has been explained with the model;
/// each card is a system event.
#[utoipa::path(put, path = "/api/v1/org/systems/{id}/versions/{version}/model/card", tag = "provider", security(("token" = [])),
    params(("id" = String, Path), ("version" = i64, Path)),
    request_body(content = Object, content_type = "application/json", description = "a `mizan.model-card/1` document (JSON Schema at `/api/v1/schemas/mizan.model-card-1.json`)"),
    responses((status = 200, body = ModelOut),
        (status = 400, content_type = "application/problem+json", description = "the card does not read or fit the model; `detail` names the path, e.g. `features[2].label.ur`"),
        (status = 404, content_type = "application/problem+json"),
        (status = 409, content_type = "application/problem+json", description = "a decision has already been explained with the model")))]
pub async fn api_set_card(
    State(state): State<AppState>,
    TokenUser(p): TokenUser,
    Path((id, version)): Path<(String, i64)>,
    body: Bytes,
) -> Result<Json<ModelOut>, AppError> {
    require(&p, "systems:write")?;
    let text = std::str::from_utf8(&body).map_err(|_| bad("card", "the card is not UTF-8 text"))?;
    Ok(Json(ModelOut::from(state.app.set_model_card(&p, &id, version, text).await?)))
}

/// The models uploaded for an organisation's system, newest version first.
#[utoipa::path(get, path = "/api/v1/org/systems/{id}/models", tag = "provider", security(("token" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = Vec<ModelOut>), (status = 404, content_type = "application/problem+json")))]
pub async fn api_models(
    State(state): State<AppState>,
    TokenUser(p): TokenUser,
    Path(id): Path<String>,
) -> Result<Json<Vec<ModelOut>>, AppError> {
    require(&p, "systems:read")?;
    Ok(Json(state.app.store().org_models(p.scope(), &id).await?.into_iter().map(ModelOut::from).collect()))
}

#[derive(Template)]
#[template(path = "models.html")]
struct ModelsPage {
    ctx: Ctx,
    public_id: String,
    models: Vec<ModelOut>,
    versions: Vec<i64>,
    can_write: bool,
    uploaded: Option<String>,
    base_url: String,
    contradictions: Vec<ContradictionView>,
}

/// A decision whose logged outcome contradicts its model's, as the provider's and the
/// regulator's lists show it.
pub struct ContradictionView {
    reference: String,
    system: String,
    version: i64,
    decided_at: String,
    recorded_output: String,
    recorded: String,
    model: String,
}

impl From<mizan_store::ContradictionRow> for ContradictionView {
    fn from(r: mizan_store::ContradictionRow) -> Self {
        let c: Option<mizan_app::explain::Contradiction> = serde_json::from_str(&r.contradiction).ok();
        let (recorded_output, recorded, model) = c.map_or_else(
            || (String::new(), String::new(), String::new()),
            |c| {
                let output =
                    c.recorded_output.as_str().map_or_else(|| c.recorded_output.to_string(), str::to_owned);
                (output, c.recorded, c.model)
            },
        );
        ContradictionView {
            reference: r.reference,
            system: r.system,
            version: r.version,
            decided_at: r.decided_at,
            recorded_output,
            recorded,
            model,
        }
    }
}

/// Contradictions listed on a page.
const CONTRADICTIONS: i64 = 100;

/// `?uploaded=` after an upload.
#[derive(Debug, Deserialize)]
pub struct UploadedQuery {
    uploaded: Option<String>,
}

/// `GET /app/systems/{id}/models`: the system's models and the upload form.
pub async fn models_page(
    State(state): State<AppState>,
    ctx: Ctx,
    SignedIn(p): SignedIn,
    Path(id): Path<String>,
    Query(q): Query<UploadedQuery>,
) -> Result<Response, AppError> {
    require(&p, "systems:read")?;
    let view = state.app.store().org_system(p.scope(), &id).await?;
    let models =
        state.app.store().org_models(p.scope(), &id).await?.into_iter().map(ModelOut::from).collect();
    let contradictions = state
        .app
        .store()
        .org_contradictions(p.scope(), &id, CONTRADICTIONS)
        .await?
        .into_iter()
        .map(ContradictionView::from)
        .collect();
    Ok(render(&ModelsPage {
        contradictions,
        versions: (1..=view.summary.latest_version).rev().collect(),
        can_write: p.can("systems:write"),
        uploaded: q.uploaded.filter(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit())),
        base_url: state.app.config().base_url.clone(),
        public_id: id,
        models,
        ctx,
    }))
}

/// `POST /app/systems/{id}/models`: the upload form (`multipart/form-data`).
pub async fn models_upload(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    let ctype = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    if !ctype.to_ascii_lowercase().starts_with("multipart/form-data") {
        return Err(AppError::UnsupportedMediaType("multipart/form-data".into()));
    }
    let parts = crate::multipart::parse(ctype, &body).map_err(|e| bad("model", e.to_string()))?;
    let text = |name: &str| {
        parts
            .iter()
            .find(|p| p.name == name && p.filename.is_none())
            .map(|p| String::from_utf8_lossy(&p.data).trim().to_owned())
            .unwrap_or_default()
    };
    crate::csrf::check(&headers, &text("csrf"))?;
    let fields: Vec<(String, String)> = parts
        .iter()
        .filter(|p| p.filename.is_none())
        .map(|p| (p.name.clone(), String::from_utf8_lossy(&p.data).into_owned()))
        .collect();
    let settings = Settings::from_fields(&fields, &["csrf", "version", "model", "card"])?;
    let version = text("version").parse::<i64>().map_err(|_| bad("version", "choose a version"))?;
    let file = parts.iter().find(|p| p.name == "model").ok_or_else(|| bad("model", "choose a model file"))?;
    let card = text("card");
    let card = (!card.is_empty()).then_some(card.as_str());
    let (model, _) = upload(&state, &p, &id, version, Bytes::from(file.data.clone()), settings, card).await?;
    Ok(Redirect::to(&format!("/app/systems/{id}/models?uploaded={}", model.sha256)).into_response())
}

/// `POST /app/systems/{id}/models/{version}/card`: the card form of one model (a text area
/// holding the `mizan.model-card/1` JSON).
pub async fn models_card(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    Path((id, version)): Path<(String, i64)>,
    crate::csrf::CsrfForm(form): crate::csrf::CsrfForm,
) -> Result<Response, AppError> {
    require(&p, "systems:write")?;
    let model = state.app.set_model_card(&p, &id, version, form.get("card")).await?;
    Ok(Redirect::to(&format!("/app/systems/{id}/models?uploaded={}", model.sha256)).into_response())
}

/// `GET /regulator/contradictions`: every decision whose logged outcome contradicts its model.
pub async fn regulator_contradictions(
    State(state): State<AppState>,
    ctx: Ctx,
    SignedIn(p): SignedIn,
) -> Result<Response, AppError> {
    let scope = regulator(&p, "register:queue")?;
    let rows = state.app.store().contradictions(scope, CONTRADICTIONS).await?;
    Ok(render(&ContradictionsPage {
        ctx,
        rows: rows.into_iter().map(ContradictionView::from).collect(),
        limit: CONTRADICTIONS,
    }))
}

#[derive(Template)]
#[template(path = "regulator_contradictions.html")]
struct ContradictionsPage {
    ctx: Ctx,
    rows: Vec<ContradictionView>,
    limit: i64,
}

/// Where a decision's explanation stands.
enum Explained {
    /// Computed (now or before).
    Ready(Box<ExplanationDoc>),
    /// The record was erased.
    Erased(String),
    /// No uploaded model of the system has the hash the record names.
    NoModel(String),
    /// The model cannot explain this record (a feature missing or not a number).
    Unfit(String),
}

fn doc_of(json: &str) -> Result<ExplanationDoc, AppError> {
    serde_json::from_str(json).map_err(|e| AppError::Internal(format!("stored explanation: {e}")))
}

/// The prepared model of `sha256`: kept from an earlier explanation, or read from its file
/// (checked against the hash), loaded and prepared now and kept.
async fn prepared_model(state: &AppState, sha256: &str) -> Result<Arc<PreparedModel>, AppError> {
    if let Some(prepared) = state.app.prepared().get(sha256) {
        return Ok(prepared);
    }
    let files = state.app.models().clone();
    let hash = sha256.to_owned();
    let prepared = tokio::task::spawn_blocking(move || {
        let bytes = files.get(&hash).map_err(internal)?;
        let loaded = mizan_explain::load_model(&bytes).map_err(internal)?;
        Ok::<_, AppError>(PreparedModel::new(loaded))
    })
    .await
    .map_err(internal)??;
    Ok(state.app.prepared().insert(sha256, prepared))
}

/// The explanation of `d`: the stored one, or computed now and stored.
async fn explanation(state: &AppState, d: &StoredDecision) -> Result<Explained, AppError> {
    let Some(record_json) = &d.record_json else {
        return Ok(Explained::Erased(d.erased_at.clone().unwrap_or_default()));
    };
    if let Some(stored) = state.app.store().explanation(&d.reference).await? {
        return Ok(Explained::Ready(Box::new(doc_of(&stored.explanation_json)?)));
    }
    let record: Value =
        serde_json::from_str(record_json).map_err(|e| internal(format!("stored record: {e}")))?;
    let named = record.get("model_hash").and_then(Value::as_str).unwrap_or_default().to_owned();
    let sha256 = normalise_hash(&named);
    let Some(model) = state.app.store().decision_model(&d.reference, &sha256).await? else {
        return Ok(Explained::NoModel(named));
    };
    let prepared = prepared_model(state, &model.sha256).await?;
    let reference = d.reference.clone();
    let m = model.clone();
    let card = mizan_app::models::card_of(&model);
    let computed = tokio::task::spawn_blocking(move || {
        explain_decision(&reference, &record, &m, card.as_ref(), &prepared)
    })
    .await
    .map_err(internal)?;
    let doc = match computed {
        Ok(doc) => doc,
        Err(e) => return Ok(Explained::Unfit(e.to_string())),
    };
    let json = serde_json::to_string(&doc).map_err(internal)?;
    let new = NewExplanation {
        phi0: doc.phi0,
        margin: doc.margin,
        additivity_residual: doc.additivity_residual,
        explanation_json: json,
        contradiction: doc.contradiction.as_ref().map(serde_json::to_string).transpose().map_err(internal)?,
    };
    let stored = state.app.store().insert_explanation(&d.reference, &model, &new).await?;
    Ok(Explained::Ready(Box::new(doc_of(&stored.explanation_json)?)))
}

/// The explanation as JSON, or the reason there is none as an error.
async fn explanation_json(state: &AppState, d: &StoredDecision) -> Result<Json<ExplanationDoc>, AppError> {
    match explanation(state, d).await? {
        Explained::Ready(doc) => Ok(Json(*doc)),
        Explained::Erased(at) => Err(AppError::Conflict(format!(
            "decision `{}` was erased at {at}; nothing is left to explain",
            d.reference
        ))),
        Explained::NoModel(hash) => Err(AppError::Conflict(format!(
            "decision `{}` cannot be explained: no model uploaded for system `{}` has the hash `{hash}` its record names; \
             the provider must upload that model",
            d.reference, d.system
        ))),
        Explained::Unfit(reason) => Err(AppError::Conflict(format!(
            "decision `{}` cannot be explained with its model: {reason}",
            d.reference
        ))),
    }
}

/// Explain a logged decision: SHAP values, φ₀, the additivity residual and what would change
/// the outcome. Computed on first request and stored; whoever holds the reference may read it.
#[utoipa::path(get, path = "/api/v1/receipts/{reference}/explanation", tag = "decisions", params(("reference" = String, Path)),
    responses((status = 200, body = crate::openapi::ExplanationFormat, description = "the `mizan.explanation/1` document (JSON Schema also at `/api/v1/schemas/mizan.explanation-1.json`)"), (status = 404, content_type = "application/problem+json"),
        (status = 409, content_type = "application/problem+json", description = "erased, or no uploaded model matches the decision's model hash")))]
pub async fn api_explanation(
    State(state): State<AppState>,
    Path(reference): Path<String>,
) -> Result<Json<ExplanationDoc>, AppError> {
    let d = state.app.store().decision(&reference).await?;
    explanation_json(&state, &d).await
}

/// The full explanation of any decision, for the regulator.
#[utoipa::path(get, path = "/api/v1/regulator/decisions/{reference}/explanation", tag = "regulator", security(("token" = [])),
    params(("reference" = String, Path)),
    responses((status = 200, body = crate::openapi::ExplanationFormat, description = "the `mizan.explanation/1` document (JSON Schema also at `/api/v1/schemas/mizan.explanation-1.json`)"), (status = 403, content_type = "application/problem+json"),
        (status = 404, content_type = "application/problem+json"), (status = 409, content_type = "application/problem+json")))]
pub async fn api_regulator_explanation(
    State(state): State<AppState>,
    TokenUser(p): TokenUser,
    Path(reference): Path<String>,
) -> Result<Json<ExplanationDoc>, AppError> {
    regulator(&p, "register:queue")?;
    let d = state.app.store().decision(&reference).await?;
    explanation_json(&state, &d).await
}

/// `?reference=` of the lookup form.
#[derive(Debug, Deserialize)]
pub struct LookupQuery {
    #[serde(default)]
    reference: String,
}

#[derive(Template)]
#[template(path = "receipt_lookup.html")]
struct LookupPage {
    ctx: Ctx,
    /// What was typed, to correct.
    typed: String,
    /// What was wrong with it.
    error: Option<String>,
}

/// The look-up form again, saying what was wrong with `typed` (a mistyped or unknown reference
/// gets help, not a bare error page).
fn lookup_again(ctx: Ctx, typed: &str, key: &str, status: StatusCode) -> Response {
    let error = Some(ctx.t(key));
    let mut res = render(&LookupPage { ctx, typed: typed.chars().take(40).collect(), error });
    *res.status_mut() = status;
    res
}

/// `GET /receipt`: the lookup form, or with `?reference=` the way to that receipt's page.
pub async fn receipt_lookup(ctx: Ctx, Query(q): Query<LookupQuery>) -> Result<Response, AppError> {
    let r = q.reference.trim().to_ascii_lowercase();
    if r.is_empty() {
        return Ok(render(&LookupPage { ctx, typed: String::new(), error: None }));
    }
    // People copy references with spaces and dashes; those are dropped, anything else is a typo.
    let r: String = r.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    if r.len() != 20 || !r.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Ok(lookup_again(ctx, q.reference.trim(), "receipt-reference-hint", StatusCode::BAD_REQUEST));
    }
    Ok(Redirect::to(&format!("/receipt/{r}")).into_response())
}

/// One feature row of the technical record, formatted.
struct TechFeature {
    label: String,
    name: String,
    value: String,
    encoded: String,
    phi: String,
    immutable: bool,
    bounds: String,
    default_routed: u32,
}

/// One recourse option of the technical record, formatted.
struct TechOption {
    changes: String,
    cost: String,
    margin: String,
    score: String,
}

#[derive(Template)]
#[template(path = "receipt.html")]
struct ReceiptPage {
    ctx: Ctx,
    /// The regulator's view (every number shown, technical record open).
    regulator: bool,
    reference: String,
    system: String,
    system_name: Option<String>,
    system_version: i64,
    decided_at: String,
    leaf_index: u64,
    status: &'static str,
    output: String,
    /// The output is the model card's label (else the provider's raw value, in English).
    output_labelled: bool,
    human: Option<bool>,
    doc: Option<ExplanationDoc>,
    plain: Option<Plain>,
    features: Vec<TechFeature>,
    options: Vec<TechOption>,
    erased_at: Option<String>,
    no_model: Option<String>,
    unfit: Option<String>,
    /// The decision that replaced this one after a review.
    superseded_by: Option<String>,
    /// An appeal on it is open.
    appeal_open: bool,
    /// The organisation that decided, and its public contact address ("" when none).
    organisation: Option<(String, String)>,
    /// Held for a person's review, and not yet reviewed.
    held: bool,
}

fn num(v: f64) -> String {
    format!("{v:.6}")
}

async fn receipt_page(
    state: &AppState,
    ctx: Ctx,
    reference: &str,
    regulator: bool,
) -> Result<Response, AppError> {
    let d = state.app.store().decision(reference).await?;
    let record: Option<Value> = d.record_json.as_deref().and_then(|r| serde_json::from_str(r).ok());
    let status = if d.erased_at.is_some() {
        "erased"
    } else if d.leaf_index < state.app.logs().decisions().reader().size() {
        "proven"
    } else {
        "pending"
    };
    let entry = state.app.store().public_entry(&d.system).await.ok();
    let system_name = entry.as_ref().map(|e| e.record.text("name", ctx.lang.code()));
    // Who decided, and how to reach them, as the register publishes it.
    let organisation = entry.as_ref().map(|e| {
        let contact = e.record.get("contact_email").map(|v| v.display(ctx.lang.code())).unwrap_or_default();
        (e.org_name.clone(), contact)
    });
    let raw_output = record.as_ref().and_then(|r| r.get("output")).cloned().unwrap_or(Value::Null);
    let human = record.as_ref().and_then(|r| r.pointer("/human/involved")).and_then(Value::as_bool);
    let (mut doc, mut erased_at, mut no_model, mut unfit) = (None, None, None, None);
    match explanation(state, &d).await? {
        Explained::Ready(e) => doc = Some(*e),
        Explained::Erased(at) => erased_at = Some(at),
        Explained::NoModel(h) => no_model = Some(h),
        Explained::Unfit(r) => unfit = Some(r),
    }
    // The model's card gives the words (labels, units, coded values, output labels).
    let card = match &doc {
        Some(e) => state
            .app
            .store()
            .decision_model(&d.reference, &e.model.sha256)
            .await?
            .and_then(|m| mizan_app::models::card_of(&m)),
        None => None,
    };
    let labelled = crate::plain::output_label(ctx.lang, card.as_ref(), &raw_output);
    let output_labelled = labelled.is_some();
    let output = labelled.unwrap_or_else(|| match &raw_output {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    });
    let plain = doc.as_ref().map(|e| plain(e, ctx.lang, TOP_FACTORS, card.as_ref()));
    let missing = ctx.t("receipt-missing-value");
    let opt = |v: Option<f64>| v.map_or_else(|| missing.clone(), format_number);
    let features = doc
        .iter()
        .flat_map(|e| &e.features)
        .map(|f| TechFeature {
            label: crate::plain::feature_label(ctx.lang, card.as_ref(), &f.name),
            name: f.name.clone(),
            value: opt(f.value),
            encoded: opt(f.encoded),
            phi: format!("{:+.6}", f.phi),
            immutable: f.immutable,
            bounds: f.bounds.map_or_else(String::new, |[lo, hi]| {
                format!("{} – {}", format_number(lo), format_number(hi))
            }),
            default_routed: f.default_routed,
        })
        .collect();
    let options = doc
        .iter()
        .flat_map(|e| &e.recourse.options)
        .map(|o| TechOption {
            changes: o
                .changes
                .iter()
                .map(|c| format!("{}: {} → {}", c.name, opt(c.from), c.to))
                .collect::<Vec<_>>()
                .join("; "),
            cost: format!("{:.4}", o.cost),
            margin: num(o.margin),
            score: num(o.score),
        })
        .collect();
    let superseded_by = state.app.store().superseded_by(&d.reference).await?;
    let appeal_open =
        state.app.store().open_case_about(mizan_app::appeals::APPEAL, &d.reference).await?.is_some();
    let held = d.held.is_some() && superseded_by.is_none();
    Ok(render(&ReceiptPage {
        organisation,
        held,
        superseded_by,
        appeal_open,
        regulator,
        reference: d.reference,
        system: d.system,
        system_name,
        system_version: d.system_version,
        decided_at: d.decided_at,
        leaf_index: d.leaf_index,
        status,
        output,
        output_labelled,
        human,
        plain,
        features,
        options,
        doc,
        erased_at,
        no_model,
        unfit,
        ctx,
    }))
}

/// `GET /receipt/{reference}`: the decision in plain words, with the technical record.
pub async fn receipt(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(reference): Path<String>,
) -> Result<Response, AppError> {
    let reference = reference.to_ascii_lowercase();
    if reference.len() != 20 || !reference.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Ok(lookup_again(ctx, &reference, "receipt-reference-hint", StatusCode::NOT_FOUND));
    }
    match state.app.store().decision(&reference).await {
        Err(mizan_store::StoreError::NotFound { .. }) => {
            return Ok(lookup_again(ctx, &reference, "receipt-lookup-unknown", StatusCode::NOT_FOUND));
        }
        Err(e) => return Err(e.into()),
        Ok(_) => {}
    }
    receipt_page(&state, ctx, &reference, false).await
}

/// `GET /regulator/decisions/{reference}`: every number of a decision's explanation.
pub async fn regulator_decision(
    State(state): State<AppState>,
    ctx: Ctx,
    SignedIn(p): SignedIn,
    Path(reference): Path<String>,
) -> Result<Response, AppError> {
    regulator(&p, "register:queue")?;
    receipt_page(&state, ctx, &reference, true).await
}

/// One row of the regulator's list.
struct DecisionRow {
    reference: String,
    decided_at: String,
    version: i64,
    output: String,
    erased: bool,
}

#[derive(Template)]
#[template(path = "regulator_decisions.html")]
struct DecisionsPage {
    ctx: Ctx,
    public_id: String,
    rows: Vec<DecisionRow>,
    limit: i64,
}

/// `GET /regulator/systems/{id}/decisions`: the newest decisions of a system.
pub async fn regulator_decisions(
    State(state): State<AppState>,
    ctx: Ctx,
    SignedIn(p): SignedIn,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let scope = regulator(&p, "register:queue")?;
    let rows = state
        .app
        .store()
        .regulator_decisions(scope, &id, REGULATOR_LIST)
        .await?
        .into_iter()
        .map(|d| {
            let output = d
                .record_json
                .as_deref()
                .and_then(|r| serde_json::from_str::<Value>(r).ok())
                .and_then(|r| r.get("output").cloned())
                .map_or_else(String::new, |o| o.as_str().map_or_else(|| o.to_string(), str::to_owned));
            DecisionRow {
                erased: d.erased_at.is_some(),
                reference: d.reference,
                decided_at: d.decided_at,
                version: d.system_version,
                output,
            }
        })
        .collect();
    Ok(render(&DecisionsPage { ctx, public_id: id, rows, limit: REGULATOR_LIST }))
}
