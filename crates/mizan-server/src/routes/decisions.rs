//! Logging automated decisions and the citizen's receipt, over HTTP.
//!
//! `POST /api/v1/systems/{id}/decisions` takes a JSON array of decisions and answers a receipt
//! for each; `GET /api/v1/receipts/{ref}` gives the holder of a reference an offline proof
//! (C2SP tlog-proof) and the record's opening; the log itself is served under `/log/{shard}/`.
//! The work (checks, commitments, the group commit, proofs) is `mizan_app::decisions`; these
//! handlers parse, call it and answer.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use mizan_app::decisions::{self as app, HEAVY_BODY, HEAVY_ITEMS, off_the_workers, parse_items};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::{TokenUser, require};
use crate::error::AppError;

/// Body limit of the decision endpoint (a full batch with rich feature vectors).
pub const BODY_LIMIT: usize = 8 * 1024 * 1024;

// The request body as OpenAPI describes it; `mizan_app::decisions::DecisionIn` parses and
// checks it (these two types only document the wire format).
/// One automated decision as a provider reports it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionIn {
    /// The provider's key for this decision; re-sending it returns the same receipt.
    #[schema(schema_with = idempotency_key_schema)]
    pub idempotency_key: String,
    /// The system version that decided: a version of the system that was registered.
    #[schema(minimum = 1)]
    pub system_version: i64,
    /// Hash of the model that decided, e.g. `sha256:<hex>`.
    #[schema(schema_with = model_hash_schema)]
    pub model_hash: String,
    /// The input features as the model saw them (at most 500).
    #[schema(value_type = Object)]
    pub features: serde_json::Map<String, Value>,
    /// The outcome: a label, a number or a yes/no (nothing else).
    #[schema(schema_with = output_schema)]
    pub output: Value,
    /// The model's score, if any.
    pub score: Option<f64>,
    /// Whether a person took part, and who (a role or staff reference, not a name).
    pub human: HumanIn,
    /// When the decision was made (RFC 3339), not in the future.
    #[schema(format = DateTime)]
    pub decided_at: String,
    /// The provider's reference for the person decided about (kept here, never in the log).
    #[schema(max_length = 128)]
    pub subject_ref: String,
    /// The receipt reference of an earlier decision of this system that this one replaces
    /// (after a human review or an appeal). The new record commits to the earlier leaf, so the
    /// log shows both, linked; the earlier receipt then names its replacement.
    #[schema(max_length = 64)]
    pub supersedes: Option<String>,
}

fn idempotency_key_schema() -> utoipa::openapi::schema::Schema {
    crate::openapi::non_blank(
        128,
        "The provider's key for this decision; re-sending it returns the same receipt.",
    )
}

fn model_hash_schema() -> utoipa::openapi::schema::Schema {
    crate::openapi::non_blank(200, "Hash of the model that decided, e.g. `sha256:<hex>`.")
}

/// A decision's `output`: a string, a number or a boolean, as `mizan_app::decisions` accepts.
fn output_schema() -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Schema, Type};
    let one_of = OneOfBuilder::new()
        .item(ObjectBuilder::new().schema_type(Type::String))
        .item(ObjectBuilder::new().schema_type(Type::Number))
        .item(ObjectBuilder::new().schema_type(Type::Boolean))
        .description(Some("The outcome: a label, a number or a yes/no."))
        .build();
    Schema::OneOf(one_of)
}

/// A batch of decisions as the request body: 1 to [`app::MAX_BATCH`] items.
pub struct DecisionBatch;

impl utoipa::PartialSchema for DecisionBatch {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::ArrayBuilder;
        ArrayBuilder::new()
            .items(utoipa::openapi::Ref::from_schema_name("DecisionIn"))
            .min_items(Some(1))
            .max_items(Some(app::MAX_BATCH))
            .into()
    }
}

impl utoipa::ToSchema for DecisionBatch {
    fn schemas(schemas: &mut Vec<(String, utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>)>) {
        schemas.push(("DecisionIn".into(), <DecisionIn as utoipa::PartialSchema>::schema()));
        <DecisionIn as ToSchema>::schemas(schemas);
    }
}

/// Human involvement in a decision.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HumanIn {
    /// Whether a person took part.
    pub involved: bool,
    /// Who, as a role or staff reference.
    #[schema(max_length = 128)]
    pub by: Option<String>,
}

/// A receipt: what the provider hands to the person decided about.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReceiptOut {
    /// The reference to quote and to look the receipt up by (keep it: it is the key to the record).
    pub reference: String,
    /// The provider's idempotency key.
    pub idempotency_key: String,
    /// Index of the decision's leaf in the log.
    pub leaf_index: u64,
    /// The leaf hash, hex.
    pub leaf_hash: String,
    /// The log's origin.
    pub log: String,
    /// A note signed by the log key, given before any checkpoint covers the leaf: the leaves it
    /// acknowledges (a range of indices) and the Merkle root of their hashes. One note covers
    /// every decision logged together; a decision sent again gets a note for its leaf alone.
    pub acknowledgement: String,
    /// The leaf's inclusion proof in the acknowledged leaves (base64 hashes, leaf to root).
    pub acknowledgement_proof: Vec<String>,
    /// Where to fetch the proof once the next checkpoint is published.
    pub proof_url: String,
    /// `in_effect`; `pending_review` while the system's oversight policy holds the decision for
    /// a person's review (it has no effect until then); `reviewed` once a person's final
    /// decision replaced it.
    #[schema(example = "in_effect")]
    pub status: &'static str,
    /// Why the oversight policy held it: `adverse`, `sample`, `margin`, `feature`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub held_for: Vec<String>,
    /// The person's final decision that replaced a held one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub final_decision: Option<String>,
}

/// Receipts of a batch, in the order sent.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReceiptsOut {
    /// One per decision.
    pub receipts: Vec<ReceiptOut>,
}

impl From<app::Receipt> for ReceiptOut {
    fn from(r: app::Receipt) -> Self {
        ReceiptOut {
            reference: r.reference,
            idempotency_key: r.idempotency_key,
            leaf_index: r.leaf_index,
            leaf_hash: r.leaf_hash,
            log: r.log,
            acknowledgement: r.acknowledgement,
            acknowledgement_proof: r.acknowledgement_proof,
            proof_url: r.proof_url,
            status: r.status,
            held_for: r.held_for,
            final_decision: r.final_decision,
        }
    }
}

/// Log a batch of automated decisions and get a receipt for each.
#[utoipa::path(post, path = "/api/v1/systems/{id}/decisions", tag = "decisions", security(("token" = [])),
    params(("id" = String, Path)), request_body = DecisionBatch,
    responses((status = 201, body = ReceiptsOut), (status = 200, body = ReceiptsOut, description = "every decision was logged before (same receipts)"),
        (status = 400, content_type = "application/problem+json"), (status = 404, content_type = "application/problem+json"),
        (status = 409, description = "a key reused with another body; or the system may not log decisions: it is not registered (a draft, submitted, under review), suspended or retired, or its intake is stopped (the detail says by whom, when and why)", content_type = "application/problem+json"),
        (status = 413, content_type = "application/problem+json")))]
pub async fn log_decisions(
    State(state): State<AppState>,
    TokenUser(p): TokenUser,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, AppError> {
    require(&p, "decisions:write")?;
    let items = off_the_workers(body.len() > HEAVY_BODY, move || parse_items(&body)).await?;
    let (receipts, any_new) = state.app.log_decisions(p.scope(), &id, items).await?;
    let status = if any_new { StatusCode::CREATED } else { StatusCode::OK };
    let heavy = receipts.len() > HEAVY_ITEMS;
    let json = off_the_workers(heavy, move || {
        let receipts = receipts.into_iter().map(ReceiptOut::from).collect();
        serde_json::to_vec(&ReceiptsOut { receipts })
            .map_err(|e| mizan_app::Error::Internal(format!("receipts: {e}")))
    })
    .await?;
    Ok((status, [(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], json).into_response())
}

/// Look up a decision receipt: proof of inclusion in the log and the record's opening. The body
/// is the `mizan.receipt/1` document itself, so what a holder keeps is exactly what `/verify`
/// and `mizan log verify` check.
#[utoipa::path(get, path = "/api/v1/receipts/{reference}", tag = "decisions", params(("reference" = String, Path)),
    responses((status = 200, body = crate::openapi::ReceiptFormat, description = "the `mizan.receipt/1` document (JSON Schema also at `/api/v1/schemas/mizan.receipt-1.json`)"),
        (status = 404, content_type = "application/problem+json")))]
pub async fn receipt_status(
    State(state): State<AppState>,
    Path(reference): Path<String>,
) -> Result<Json<mizan_formats::Receipt>, AppError> {
    Ok(Json(state.app.receipt(&reference).await?))
}

/// Erase a decision's record and key (a data-protection request); the leaf stays.
#[utoipa::path(delete, path = "/api/v1/org/decisions/{reference}", tag = "decisions", security(("token" = [])),
    params(("reference" = String, Path)),
    responses((status = 204), (status = 404, content_type = "application/problem+json")))]
pub async fn erase(
    State(state): State<AppState>,
    TokenUser(p): TokenUser,
    Path(reference): Path<String>,
) -> Result<StatusCode, AppError> {
    require(&p, "decisions:write")?;
    state.app.erase_decision(p.scope(), &reference).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Why a system's decision intake is stopped (shown publicly).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StopIn {
    /// Why, in words the public can read: 1 to 1000 characters on one line, no control
    /// characters.
    #[schema(schema_with = stop_reason_schema)]
    pub reason: String,
}

fn stop_reason_schema() -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    // Controls nowhere (C0, DEL, C1, the noncharacters U+FFFE and U+FFFF), and one character
    // that is neither a control nor white space.
    const LINE: &str = "[^\\u0000-\\u001F\\u007F-\\u009F\\uFFFE\\uFFFF]";
    const MARK: &str = "[^\\u0000-\\u0020\\u007F-\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000\\uFFFE\\uFFFF]";
    ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(1))
        .max_length(Some(mizan_app::oversight::MAX_REASON))
        .pattern(Some(format!("^{LINE}*{MARK}{LINE}*$")))
        .description(Some(
            "Why, in words the public can read: 1 to 1000 characters on one line, no control characters.",
        ))
        .into()
}

/// The state of a system's decision intake.
#[derive(Debug, Serialize, ToSchema)]
pub struct IntakeOut {
    /// The system's public id.
    pub system: String,
    /// Whether the intake is stopped: decisions for the system are refused (409).
    pub stopped: bool,
    /// Who stopped it: `provider` or `regulator`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped_by: Option<String>,
    /// When it was stopped (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped_at: Option<String>,
    /// Why (public).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Who acts on a system's intake: the regulator on any system, a provider on its own.
fn intake_control(p: &mizan_store::Principal) -> Result<mizan_store::IntakeControl, AppError> {
    require(p, "intake:stop")?;
    Ok(match mizan_store::RegulatorScope::of(p) {
        Some(scope) => mizan_store::IntakeControl::Regulator(scope),
        None => mizan_store::IntakeControl::Provider(p.scope()),
    })
}

/// Stop a system's decision intake with a public reason (EU AI Act Art. 14(4)(e)): until it is
/// resumed, logging a decision for the system fails with 409 naming who stopped it, when and
/// why, and the register page shows the stop. The provider (permission `intake:stop`, on its
/// own systems) or the regulator (on any system) may stop it.
#[utoipa::path(post, path = "/api/v1/systems/{id}/intake/stop", tag = "decisions", security(("token" = [])),
    params(("id" = String, Path)), request_body = StopIn,
    responses((status = 200, body = IntakeOut), (status = 400, content_type = "application/problem+json"),
        (status = 404, content_type = "application/problem+json"),
        (status = 409, description = "already stopped, or the system is retired", content_type = "application/problem+json"),
        (status = 422, content_type = "application/problem+json")))]
pub async fn stop_intake(
    State(state): State<AppState>,
    TokenUser(p): TokenUser,
    Path(id): Path<String>,
    crate::util::CleanJson(input): crate::util::CleanJson<StopIn>,
) -> Result<Json<IntakeOut>, AppError> {
    let by = intake_control(&p)?;
    let stop = state.app.stop_intake(by, &id, &mizan_store::ActorRef::from(&p), &input.reason).await?;
    Ok(Json(IntakeOut {
        system: id,
        stopped: true,
        stopped_by: Some(stop.by.as_str().to_owned()),
        stopped_at: Some(stop.at),
        reason: Some(stop.reason),
    }))
}

/// Resume a system's stopped decision intake. A stop the regulator made is resumed only by the
/// regulator (409 for the provider).
#[utoipa::path(post, path = "/api/v1/systems/{id}/intake/resume", tag = "decisions", security(("token" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = IntakeOut), (status = 404, content_type = "application/problem+json"),
        (status = 409, description = "not stopped, or stopped by the regulator and asked by the provider", content_type = "application/problem+json")))]
pub async fn resume_intake(
    State(state): State<AppState>,
    TokenUser(p): TokenUser,
    Path(id): Path<String>,
) -> Result<Json<IntakeOut>, AppError> {
    let by = intake_control(&p)?;
    state.app.resume_intake(by, &id, &mizan_store::ActorRef::from(&p)).await?;
    Ok(Json(IntakeOut { system: id, stopped: false, stopped_by: None, stopped_at: None, reason: None }))
}

/// `GET /log/{shard}/{*path}`: the log's checkpoint, hash tiles and entry bundles, read from
/// its storage.
pub async fn log_file(State(state): State<AppState>, Path((shard, rel)): Path<(String, String)>) -> Response {
    match state.app.log_file(&shard, &rel).await {
        Ok(Some(bytes)) => log_response(&rel, bytes),
        Ok(None) => AppError::NotFound(format!("log file `{rel}` in log `{shard}`")).into_response(),
        Err(e) => AppError::from(e).into_response(),
    }
}

/// A log file with its content type and caching: full tiles never change, so they may be
/// cached for ever; the checkpoint may not; a vkey is text.
fn log_response(rel: &str, bytes: Vec<u8>) -> Response {
    let (ctype, cache) = if rel == "vkey" {
        ("text/plain; charset=utf-8", "max-age=3600")
    } else if rel == "checkpoint" {
        ("text/plain; charset=utf-8", "no-store")
    } else if rel.contains(".p/") {
        ("application/octet-stream", "max-age=60")
    } else {
        ("application/octet-stream", "public, max-age=31536000, immutable")
    };
    let mut res = bytes.into_response();
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(ctype));
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    res
}
