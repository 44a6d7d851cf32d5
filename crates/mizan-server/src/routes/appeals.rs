//! Appeals: the filing form from a receipt, the filer's status page, the provider's queue and
//! review page, the regulator's queue, and the same operations in the API. The rules are in
//! `mizan_app::appeals`; this module parses, calls one operation and answers.

use askama::Template;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use mizan_app::appeals::{Actor, AppealIn, AppealView, GROUNDS, OutcomeIn};
use mizan_app::documents::DocumentIn;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::{SignedIn, TokenUser, require};
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::pages::{Ctx, render};
use crate::serve::{ClientAddr, retry_after};
use crate::util::{CleanJson, url_encode};
use crate::views::appeals::{StatsOut, StatsView, size_words, stats_out, stats_view};

#[derive(Template)]
#[template(path = "appeal_form.html")]
struct FormPage {
    ctx: Ctx,
    receipt: String,
    grounds: Vec<&'static str>,
    /// The decision's inputs: (name, label in the page language).
    features: Vec<(String, String)>,
    errors: Vec<String>,
    typed: AppealIn,
    /// The largest document accepted, in words.
    max_document: String,
}

fn max_document(state: &AppState, ctx: &Ctx) -> String {
    size_words(ctx, i64::try_from(state.app.config().limits.appeal_document_bytes).unwrap_or(i64::MAX))
}

/// The card of the model decision `reference`'s record names, if its provider gave one: the
/// words for its inputs.
async fn card_for(
    state: &AppState,
    reference: &str,
    record: Option<&Value>,
) -> Result<Option<mizan_formats::model_card::ModelCard>, AppError> {
    let Some(hash) = record.and_then(|r| r.get("model_hash")?.as_str()) else { return Ok(None) };
    let sha256 = hash.strip_prefix("sha256:").unwrap_or(hash);
    Ok(state
        .app
        .store()
        .decision_model(reference, sha256)
        .await?
        .and_then(|m| mizan_app::models::card_of(&m)))
}

async fn features_of(state: &AppState, lang: Lang, receipt: &str) -> Result<Vec<(String, String)>, AppError> {
    let d = state.app.store().decision(receipt).await?;
    let record = d.record_json.as_deref().and_then(|r| serde_json::from_str::<Value>(r).ok());
    let card = card_for(state, receipt, record.as_ref()).await?;
    Ok(record
        .as_ref()
        .and_then(|v| {
            v.get("features")?.as_object().map(|m| {
                m.keys().map(|k| (k.clone(), crate::plain::feature_label(lang, card.as_ref(), k))).collect()
            })
        })
        .unwrap_or_default())
}

/// `GET /receipt/{ref}/appeal`: the one form between a receipt and a filed appeal.
pub async fn form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(receipt): Path<String>,
) -> Result<Response, AppError> {
    let receipt = receipt.to_ascii_lowercase();
    let features = features_of(&state, ctx.lang, &receipt).await?;
    let typed = AppealIn { category: String::new(), lang: ctx.lang_code().to_owned(), ..AppealIn::default() };
    let max_document = max_document(&state, &ctx);
    Ok(render(&FormPage {
        ctx,
        receipt,
        grounds: GROUNDS.to_vec(),
        features,
        errors: vec![],
        typed,
        max_document,
    }))
}

/// The filing form's fields and its document, from a `multipart/form-data` body (a browser
/// sends one whenever the form can carry a file) or a URL-encoded one, its CSRF field checked.
async fn filing_form(
    state: &AppState,
    req: axum::extract::Request,
    limit: usize,
) -> Result<(crate::util::FormFields, Option<DocumentIn>), AppError> {
    use axum::extract::FromRequest as _;
    let headers = req.headers().clone();
    let ctype = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    if !ctype.to_ascii_lowercase().starts_with("multipart/form-data") {
        let CsrfForm(fields) = CsrfForm::from_request(req, state).await?;
        return Ok((fields, None));
    }
    // Read at most `limit` bytes: a body without a declared length stops there.
    let body = axum::body::to_bytes(req.into_body(), limit).await.map_err(|_| AppError::TooLargeField {
        field: "document".into(),
        detail: format!("the form is larger than the {limit} bytes accepted"),
    })?;
    let parts = crate::multipart::parse(&ctype, &body)
        .map_err(|e| AppError::BadRequest { field: Some("document".into()), detail: e.to_string() })?;
    let text = |name: &str| {
        parts
            .iter()
            .find(|p| p.name == name && p.filename.is_none())
            .map(|p| String::from_utf8_lossy(&p.data).trim().to_owned())
            .unwrap_or_default()
    };
    crate::csrf::check(&headers, &text("csrf"))?;
    let fields = crate::util::FormFields(
        parts
            .iter()
            .filter(|p| p.filename.is_none())
            .map(|p| (p.name.clone(), String::from_utf8_lossy(&p.data).into_owned()))
            .collect(),
    );
    fields.check_text()?;
    // A form sent without a file chosen has an empty `document` part: no document.
    let document = parts.iter().find(|p| p.name == "document" && !p.data.is_empty()).map(|p| DocumentIn {
        name: p.filename.clone().unwrap_or_default(),
        declared_type: None,
        bytes: axum::body::Bytes::from(p.data.clone()),
    });
    Ok((fields, document))
}

/// `POST /receipt/{ref}/appeal`: files the appeal and shows its status page. The body is
/// `multipart/form-data` when the form can carry a document (URL-encoded is accepted too); one
/// whose declared length is over the document limit and the form's slack is refused, naming
/// the document, before any of it is read.
pub async fn file(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(receipt): Path<String>,
    ClientAddr(from): ClientAddr,
    req: axum::extract::Request,
) -> Result<Response, AppError> {
    let receipt = receipt.to_ascii_lowercase();
    let max_doc = max_document(&state, &ctx);
    let refused = |ctx: Ctx, errors: Vec<String>, status, typed: AppealIn, features| {
        let mut res = render(&FormPage {
            ctx,
            receipt: receipt.clone(),
            grounds: GROUNDS.to_vec(),
            features,
            errors,
            typed,
            max_document: max_doc.clone(),
        });
        *res.status_mut() = status;
        res
    };
    let limit = state.app.config().limits.appeal_document_bytes.saturating_add(crate::router::FORM_SLACK);
    let declared = req
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let too_large = |ctx: &Ctx| ctx.lang.t_args("appeal-document-too-large", &[("max", max_doc.clone())]);
    let blank = AppealIn { lang: ctx.lang_code().to_owned(), ..AppealIn::default() };
    if declared.is_some_and(|n| n > limit as u64) {
        let features = features_of(&state, ctx.lang, &receipt).await?;
        let errors = vec![too_large(&ctx)];
        return Ok(refused(ctx, errors, axum::http::StatusCode::PAYLOAD_TOO_LARGE, blank, features));
    }
    let (form, document) = match filing_form(&state, req, limit).await {
        Ok(x) => x,
        Err(AppError::TooLargeField { .. }) => {
            let features = features_of(&state, ctx.lang, &receipt).await?;
            let errors = vec![too_large(&ctx)];
            return Ok(refused(ctx, errors, axum::http::StatusCode::PAYLOAD_TOO_LARGE, blank, features));
        }
        Err(e) => return Err(e),
    };
    let had_document = document.is_some();
    let input = AppealIn {
        grounds: form.get("grounds").to_owned(),
        category: form.get("category").to_owned(),
        disputed: form.all("disputed"),
        email: Some(form.get("email").to_owned()),
        phone: Some(form.get("phone").to_owned()),
        consent: form.get("consent") == "yes",
        lang: ctx.lang_code().to_owned(),
        document,
    };
    if let Err(wait) = state.app.public_form("appeal", from).await {
        let features = features_of(&state, ctx.lang, &receipt).await?;
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
        Err(e @ (mizan_app::Error::BadRequest { .. } | mizan_app::Error::TooLarge { .. })) => {
            let (field, detail, status) = match e {
                mizan_app::Error::TooLarge { field, detail } => {
                    (Some(field), detail, axum::http::StatusCode::PAYLOAD_TOO_LARGE)
                }
                mizan_app::Error::BadRequest { field, detail } => {
                    (field, detail, axum::http::StatusCode::UNPROCESSABLE_ENTITY)
                }
                _ => (None, String::new(), axum::http::StatusCode::UNPROCESSABLE_ENTITY),
            };
            let features = features_of(&state, ctx.lang, &receipt).await?;
            let label = field
                .map(|f| ctx.t(&format!("appeal-{}", f.split('[').next().unwrap_or(&f))))
                .unwrap_or_default();
            let mut errors = vec![format!("{label}: {detail}")];
            if had_document {
                errors.push(ctx.t("appeal-document-again"));
            }
            Ok(refused(ctx, errors, status, input, features))
        }
        Err(mizan_app::Error::Conflict(detail)) => {
            let features = features_of(&state, ctx.lang, &receipt).await?;
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

fn lines(ctx: &Ctx, v: &AppealView, card: Option<&mizan_formats::model_card::ModelCard>) -> Vec<Line> {
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
                        ("summary", "appeal-summary-given"),
                    ] {
                        if let Some(val) = en.fields.get(k) {
                            let shown = match k {
                                "category" => ctx.code("appeal-category", val),
                                "outcome" => ctx.code("appeal-outcome", val),
                                "disputed" => val
                                    .split(", ")
                                    .map(|f| crate::plain::feature_label(ctx.lang, card, f))
                                    .collect::<Vec<_>>()
                                    .join(ctx.t("list-separator").as_str()),
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
    documents: Vec<DocView>,
}

/// A document of an appeal, as its page lists it.
pub struct DocView {
    /// The name the person gave it.
    pub name: String,
    /// Its size in words.
    pub size: String,
    /// Where it downloads from, for this viewer.
    pub href: String,
    /// The link's words: its name and size.
    pub label: String,
}

/// The documents of `v` with the download links of `area` (`` for the filer, with `token`).
fn doc_views(ctx: &Ctx, v: &AppealView, area: &str, token: Option<&str>) -> Vec<DocView> {
    v.documents
        .iter()
        .map(|d| DocView {
            label: ctx.lang.t_args(
                "appeal-document-download",
                &[("name", d.file_name.clone()), ("size", size_words(ctx, d.size_bytes))],
            ),
            name: d.file_name.clone(),
            size: size_words(ctx, d.size_bytes),
            href: match (area, token) {
                ("", Some(t)) => {
                    format!("/appeals/{}/documents/{}?token={}", v.case.reference, d.sha256, url_encode(t))
                }
                (area, _) => format!("/{area}/appeals/{}/documents/{}", v.case.reference, d.sha256),
            },
        })
        .collect()
}

/// A document as a download: its stored type, never shown inline, never sniffed.
fn document_response(doc: &mizan_store::StoredDocument, bytes: Vec<u8>) -> Response {
    use axum::http::{HeaderValue, header};
    let ascii: String = doc
        .file_name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') { c } else { '_' })
        .collect();
    let disposition =
        format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{}", url_encode(&doc.file_name));
    let mut res = bytes.into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&doc.media_type)
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&disposition).unwrap_or(HeaderValue::from_static("attachment")),
    );
    h.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    res
}

/// `GET /appeals/{ref}/documents/{sha256}?token=`: a document, for the filer.
pub async fn filer_document(
    State(state): State<AppState>,
    Path((reference, sha256)): Path<(String, String)>,
    Query(q): Query<TokenQuery>,
) -> Result<Response, AppError> {
    let (doc, bytes) = state.app.appeal_document(&reference, &Actor::Filer(&q.token), &sha256).await?;
    Ok(document_response(&doc, bytes))
}

/// `GET /app/appeals/{ref}/documents/{sha256}` and `/regulator/...`: a document, for the
/// provider's staff and the regulator.
pub async fn staff_document(
    State(state): State<AppState>,
    SignedIn(p): SignedIn,
    Path((reference, sha256)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let (doc, bytes) = state.app.appeal_document(&reference, &Actor::Staff(&p), &sha256).await?;
    Ok(document_response(&doc, bytes))
}

/// The appealed decision as a reviewer sees it.
pub struct RecordView {
    /// Output.
    pub output: String,
    /// Model hash.
    pub model_hash: String,
    /// Version.
    pub version: i64,
    /// Features as (label in the page language, value).
    pub features: Vec<(String, String)>,
    /// The latest public audit's id, if any.
    pub audit: Option<String>,
}

async fn record_view(
    state: &AppState,
    lang: Lang,
    v: &AppealView,
    card: Option<&mizan_formats::model_card::ModelCard>,
) -> Result<Option<RecordView>, AppError> {
    let d = state.app.store().decision(&v.case.subject).await?;
    let Some(r) = d.record_json.as_deref().and_then(|r| serde_json::from_str::<Value>(r).ok()) else {
        return Ok(None);
    };
    let show = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    Ok(Some(RecordView {
        output: r
            .get("output")
            .map(|o| crate::plain::output_label(lang, card, o).unwrap_or_else(|| show(o)))
            .unwrap_or_default(),
        model_hash: r.get("model_hash").map(show).unwrap_or_default(),
        version: d.system_version,
        features: r
            .get("features")
            .and_then(Value::as_object)
            .map(|m| m.iter().map(|(k, v)| (crate::plain::feature_label(lang, card, k), show(v))).collect())
            .unwrap_or_default(),
        audit: state
            .app
            .published_audits(&d.system)
            .await
            .ok()
            .and_then(|a| a.into_iter().next())
            .map(|a| a.audit.id),
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
    let decided = state.app.store().decision(&v.case.subject).await?;
    let recorded = decided.record_json.as_deref().and_then(|r| serde_json::from_str::<Value>(r).ok());
    let card = card_for(state, &v.case.subject, recorded.as_ref()).await?;
    let record = if area.is_empty() { None } else { record_view(state, ctx.lang, &v, card.as_ref()).await? };
    let two_reviewers =
        state.app.reviewers_required(v.case.system.as_deref().unwrap_or_default()).await? >= 2;
    let lines = lines(&ctx, &v, card.as_ref());
    let next_due = v.next_due.map(|t| ctx.date_of(t));
    let opened = ctx.date(&v.case.opened_at);
    let documents = doc_views(&ctx, &v, area, token.as_deref());
    let mut res = render(&AppealPage {
        documents,
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
    /// `open` (the work waiting, earliest deadline first) or `all` (every appeal, newest first).
    view: &'static str,
    rows: Vec<QueueRow>,
    late: Vec<QueueRow>,
    systems: Vec<SystemRow>,
    /// The page shown, from 0.
    page: i64,
    /// Whether there is a next page.
    more: bool,
}

/// Rows on one page of a queue.
pub const PER_PAGE: i64 = 50;

/// The last page a queue shows (deeper pages would only walk rows to skip them; the earliest
/// deadlines are at the front).
pub const MAX_PAGE: i64 = 200;

impl QueueQuery {
    /// The page asked for (0 when none).
    #[must_use]
    pub fn page(&self) -> i64 {
        self.page.unwrap_or(0)
    }
}

/// A queue page's place: `?view=all&page=2`.
#[derive(Debug, Deserialize)]
pub struct QueueQuery {
    /// `all` for every appeal, newest first; otherwise the open ones.
    #[serde(default)]
    view: Option<String>,
    /// The page, from 0.
    #[serde(default)]
    page: Option<i64>,
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
    q: &QueueQuery,
) -> Result<Response, AppError> {
    require(p, "appeals:read")?;
    // Deadlines due by now fire before the queue is read, so it shows what is late.
    state.app.tick_appeals().await?;
    let view = if q.view.as_deref() == Some("all") { "all" } else { "open" };
    let page = q.page.unwrap_or(0).clamp(0, MAX_PAGE);
    // One row more than shown says whether there is a next page.
    let mut list = if view == "all" {
        state.app.all_appeals(p, PER_PAGE + 1, page * PER_PAGE).await?
    } else {
        state.app.appeal_queue(p, PER_PAGE + 1, page * PER_PAGE).await?
    };
    let more = list.len() > usize::try_from(PER_PAGE).unwrap_or(usize::MAX) && page < MAX_PAGE;
    list.truncate(usize::try_from(PER_PAGE).unwrap_or(usize::MAX));
    let (late, systems) = if area == "regulator" && view == "open" && page == 0 {
        let late = state.app.late_appeals(p, PER_PAGE, 0).await?;
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
    let rows = rows(&ctx, list);
    Ok(render(&QueuePage { ctx, area, view, rows, late, systems, page, more }))
}

/// `GET /app/appeals`: the organisation's open appeals, earliest deadline first.
pub async fn provider_queue(
    State(state): State<AppState>,
    ctx: Ctx,
    SignedIn(p): SignedIn,
    Query(q): Query<QueueQuery>,
) -> Result<Response, AppError> {
    queue(&state, ctx, &p, "app", &q).await
}

/// `GET /regulator/appeals`: appeals before the regulator, and every appeal.
pub async fn regulator_queue(
    State(state): State<AppState>,
    ctx: Ctx,
    SignedIn(p): SignedIn,
    Query(q): Query<QueueQuery>,
) -> Result<Response, AppError> {
    crate::auth::regulator(&p, "appeals:read")?;
    queue(&state, ctx, &p, "regulator", &q).await
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
        summary: Some(form.get("summary").to_owned()),
    };
    match state.app.move_appeal(&reference, &Actor::Staff(&p), form.get("move"), input).await {
        Ok(_) => Ok(Redirect::to(&format!("/{area}/appeals/{reference}")).into_response()),
        Err(mizan_app::Error::BadRequest { detail, field }) => {
            let v = state.app.appeal(&reference, &Actor::Staff(&p)).await?;
            let msg = field.map_or(detail.clone(), |f| {
                let key = format!("appeal-{f}");
                let label = if ctx.lang.has(&key) { ctx.t(&key) } else { f };
                format!("{label}: {detail}")
            });
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

/// The largest filing the API takes: the JSON of an appeal with a document of
/// `document_bytes` in base64 (4 characters per 3 bytes).
#[must_use]
pub fn api_filing_limit(document_bytes: usize) -> usize {
    document_bytes.div_ceil(3).saturating_mul(4).saturating_add(crate::router::BODY_LIMIT)
}

/// Refuses an API filing whose declared length is over [`api_filing_limit`] at once, naming
/// the document, before any of the body is read (the API's other layers buffer a JSON body to
/// check it, so this runs outside them; the route's body limit stops a filing without a
/// declared length as it arrives).
pub async fn refuse_oversized_filing(
    axum::extract::State(document_bytes): axum::extract::State<usize>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    // Every API request passes here: tell a filing by its path without allocating.
    let is_filing = req.method() == axum::http::Method::POST
        && req
            .uri()
            .path()
            .strip_prefix("/api/v1/receipts/")
            .and_then(|rest| rest.strip_suffix("/appeals"))
            .is_some_and(|receipt| !receipt.is_empty() && !receipt.contains('/'));
    let limit = api_filing_limit(document_bytes);
    let declared = req
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if let (true, Some(n)) = (is_filing, declared)
        && n > limit as u64
    {
        return AppError::TooLargeField {
            field: "document".into(),
            detail: format!(
                "the filing is {n} bytes; at most {limit} are accepted (a document of at most {document_bytes} bytes, in base64)"
            ),
        }
        .into_response();
    }
    next.run(req).await
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
    /// One document, optional: a PDF, PNG or JPEG (recognised by its bytes) of at most
    /// `--appeal-document-max-bytes` (5 MiB by default). Its SHA-256 goes into the filing's
    /// entry, so the events log commits to it.
    #[serde(default)]
    pub document: Option<DocumentBody>,
}

/// A document filed with an appeal, its bytes in base64.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DocumentBody {
    /// The file's name (kept for the download; at most 120 characters are kept).
    #[schema(min_length = 1, max_length = 255, example = "salary-slip.pdf")]
    pub name: String,
    /// `application/pdf`, `image/png` or `image/jpeg`; it must match the bytes.
    #[schema(example = "application/pdf")]
    pub media_type: String,
    /// The bytes, base64 (RFC 4648, standard alphabet, padded).
    #[schema(pattern = "^[A-Za-z0-9+/]*={0,2}$")]
    pub content_base64: String,
}

/// The document of a filing through the API, decoded.
fn api_document(d: DocumentBody, max: usize) -> Result<DocumentIn, AppError> {
    use base64::Engine as _;
    let chars = d.name.trim().chars().count();
    if chars == 0 || chars > 255 {
        return Err(AppError::BadRequest {
            field: Some("document.name".into()),
            detail: "the document's name must have 1 to 255 characters".into(),
        });
    }
    // Checked before decoding: base64 holds 3 bytes in every 4 characters.
    if d.content_base64.len() / 4 * 3 > max.saturating_add(3) {
        return Err(AppError::TooLargeField {
            field: "document.content_base64".into(),
            detail: format!("the document is larger than the {max} bytes accepted"),
        });
    }
    let bytes = base64::engine::general_purpose::STANDARD.decode(d.content_base64.trim()).map_err(|e| {
        AppError::BadRequest {
            field: Some("document.content_base64".into()),
            detail: format!("not base64: {e}"),
        }
    })?;
    Ok(DocumentIn { name: d.name, declared_type: Some(d.media_type), bytes: bytes.into() })
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
/// A document goes in the same body (`document`, base64), so the filing's entry commits to it.
#[utoipa::path(post, path = "/api/v1/receipts/{reference}/appeals", operation_id = "file_appeal", tag = "appeals",
    params(("reference" = String, Path, description = "The decision's receipt reference")),
    request_body = AppealBody,
    responses((status = 201, description = "Filed", body = FiledOut),
        (status = 404, description = "No such receipt", content_type = "application/problem+json"), (status = 409, description = "An appeal is open, the record was erased, or the window passed", content_type = "application/problem+json"),
        (status = 413, description = "The body, or the document, is larger than accepted (the problem names `document`)", content_type = "application/problem+json"),
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
        document: body
            .document
            .map(|d| api_document(d, state.app.config().limits.appeal_document_bytes))
            .transpose()?,
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
    /// The documents filed with it.
    pub documents: Vec<DocumentOut>,
}

/// A document of an appeal in the API.
#[derive(Debug, Serialize, ToSchema)]
pub struct DocumentOut {
    /// SHA-256 of the bytes, hex (the filing's entry names it as `document_sha256`).
    pub sha256: String,
    /// The name it was filed under.
    pub name: String,
    /// `application/pdf`, `image/png` or `image/jpeg`.
    pub media_type: String,
    /// Size in bytes.
    pub size_bytes: i64,
    /// The download, relative to this site (add `?token=` as a filer, or send a staff token).
    pub url: String,
}

fn appeal_out(v: AppealView) -> AppealOut {
    let documents = v
        .documents
        .iter()
        .map(|d| DocumentOut {
            url: format!("/api/v1/appeals/{}/documents/{}", v.case.reference, d.sha256),
            sha256: d.sha256.clone(),
            name: d.file_name.clone(),
            media_type: d.media_type.clone(),
            size_bytes: d.size_bytes,
        })
        .collect();
    AppealOut {
        documents,
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

/// `GET /api/v1/appeals/{ref}/documents/{sha256}`: a document of an appeal, for its filer
/// (`?token=`), the provider's staff or the regulator (a bearer token); anyone else gets 404.
#[utoipa::path(get, path = "/api/v1/appeals/{reference}/documents/{sha256}", operation_id = "get_appeal_document", tag = "appeals",
    params(("reference" = String, Path), ("sha256" = String, Path, description = "The document's SHA-256, hex"), ApiToken),
    responses((status = 200, description = "The document, as an attachment of its stored type",
            content((Vec<u8> = "application/pdf"), (Vec<u8> = "image/png"), (Vec<u8> = "image/jpeg"))),
        (status = 404, description = "No such appeal or document, or not yours", content_type = "application/problem+json")))]
pub async fn api_document_get(
    State(state): State<AppState>,
    MaybeToken(p): MaybeToken,
    Path((reference, sha256)): Path<(String, String)>,
    Query(q): Query<ApiToken>,
) -> Result<Response, AppError> {
    let (doc, bytes) = match (&q.token, &p) {
        (Some(t), _) => state.app.appeal_document(&reference, &Actor::Filer(t), &sha256).await?,
        (None, Some(p)) => state.app.appeal_document(&reference, &Actor::Staff(p), &sha256).await?,
        (None, None) => return Err(mizan_app::Error::NotFound(format!("appeal `{reference}`")).into()),
    };
    Ok(document_response(&doc, bytes))
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
    /// A short public summary for the appeals dataset (with `decide`, `propose`, `confirm`,
    /// `uphold` or `order_reversal`), only when the filer consented; no name, CNIC number,
    /// phone number or e-mail address.
    #[serde(default)]
    #[schema(max_length = 500)]
    pub summary: Option<String>,
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
        summary: body.summary,
    };
    let v = match (&body.token, &p) {
        (Some(t), _) => state.app.move_appeal(&reference, &Actor::Filer(t), &body.r#move, input).await?,
        (None, Some(p)) => state.app.move_appeal(&reference, &Actor::Staff(p), &body.r#move, input).await?,
        (None, None) => return Err(AppError::Unauthenticated),
    };
    Ok(Json(appeal_out(v)))
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
    /// The reviewer's anonymised summary, only where the person consented to its publication.
    pub summary: Option<String>,
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
        summary: c.summary.clone(),
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
    responses((status = 200, description = "CSV, one row per closed appeal. Columns, in this order: reference, system, filed, decided, closed, grounds_category, outcome, state, on_time, escalated, late, summary (empty unless the person consented); new columns are only ever added at the end.", content_type = "text/csv")))]
pub async fn api_dataset_csv(State(state): State<AppState>) -> Result<Response, AppError> {
    let internal = |e: csv::Error| AppError::Internal(e.to_string());
    let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(Vec::new());
    w.write_record([
        "reference",
        "system",
        "filed",
        "decided",
        "closed",
        "grounds_category",
        "outcome",
        "state",
        "on_time",
        "escalated",
        "late",
        "summary",
    ])
    .map_err(internal)?;
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
                c.summary.unwrap_or_default(),
            ];
            // Quoted where a cell holds a comma, quote or line break (a summary may).
            w.write_record(cells.iter().map(|x| crate::util::csv_cell(x).into_owned())).map_err(internal)?;
        }
    }
    let out = w.into_inner().map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(([(axum::http::header::CONTENT_TYPE, "text/csv; charset=utf-8")], out).into_response())
}
