//! The route table, grouped by audience. Reading this file tells you every URL Mizan serves.
//!
//! API routes are declared once: each handler's `#[utoipa::path]` names its method and path,
//! and [`api_routes`] registers it with `utoipa-axum`'s `routes!`, which routes it and puts it
//! in the OpenAPI document together, so the two cannot disagree (a test checks both ways).

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::http::{Extensions, HeaderMap, StatusCode, Version, header};
use axum::middleware::from_fn;
use axum::routing::{any, get, post};
use axum::{Json, Router};
use tower_http::compression::predicate::{Predicate, SizeAbove};
use tower_http::compression::{CompressionLayer, CompressionLevel};
use utoipa::OpenApi as _;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt as _};
use utoipa_axum::routes;

use crate::error::{AppError, render_api_errors, render_page_errors};
use crate::routes::{
    api, appeals, audits, ckan, datasets_api, decisions, explain, obligations, oversight, provider, public,
    regulator, review, risk, schemas, session, verify,
};
use crate::routes::{data_access, datasets, datasets_steward, grid, sandbox};
use crate::{AppState, csrf, static_files};

/// Largest request body accepted anywhere (a full record in Urdu and English fits easily).
pub const BODY_LIMIT: usize = 256 * 1024;
/// What a form adds to an uploaded file (its other fields and the multipart framing).
pub const FORM_SLACK: usize = 64 * 1024;

/// Builds the whole application. Upload bodies are limited by the platform's
/// [`Limits`](mizan_app::limits::Limits): a form may add [`FORM_SLACK`] to the file.
pub fn router(state: AppState) -> Router {
    let limits = state.app.config().limits.clone();
    let model_form = limits.model_bytes.saturating_add(FORM_SLACK);
    let audit_form = limits.audit_upload_bytes.saturating_add(FORM_SLACK);
    let dataset_form =
        usize::try_from(limits.dataset_file_bytes).unwrap_or(usize::MAX).saturating_add(FORM_SLACK);
    let pages = Router::new()
        // public
        .route("/", get(public::list))
        .route("/register", get(public::list))
        .route("/register/{id}", get(public::detail))
        .route("/register/{id}/versions", get(public::versions))
        .route("/register/{id}/diff", get(public::version_diff))
        .route("/register/{id}/report", get(public::report_form).post(public::report_submit))
        .route("/reports", get(public::report_lookup))
        .route("/reports/{reference}", get(public::report_status))
        .route("/about", get(public::about))
        .route("/datasets", get(datasets::search))
        .route("/datasets/{slug}", get(datasets::latest))
        .route("/datasets/{slug}/v/{version}", get(datasets::version))
        .route("/datasets/{slug}/v/{version}/files/{name}", get(datasets::download))
        .route("/datasets/{slug}/v/{version}/terms", post(datasets::accept_terms))
        .route(
            "/datasets/{slug}/v/{version}/access",
            get(data_access::request_form).post(data_access::request),
        )
        .route("/verify", get(verify::page).post(verify::check))
        .route("/grid", get(grid::public))
        .route("/receipt", get(explain::receipt_lookup))
        .route("/receipt/{reference}", get(explain::receipt))
        .route("/receipt/{reference}/appeal", get(appeals::form).post(appeals::file))
        .route("/appeals/{reference}", get(appeals::status).post(appeals::filer_move))
        .route("/appeals/{reference}/documents/{sha256}", get(appeals::filer_document))
        .route("/login", get(session::login_form).post(session::login))
        .route("/logout", post(session::logout))
        .route("/lang/{code}", get(session::switch_lang))
        // unknown files get the rendered 404 page, like any unknown page
        .route("/static/{file}", get(static_files::serve))
        // provider
        .route("/app", get(provider::home))
        .route("/app/systems", post(provider::create))
        .route("/app/systems/new", get(provider::new_form))
        .route("/app/appeals", get(appeals::provider_queue))
        .route("/app/appeals/{reference}", get(appeals::review).post(appeals::staff_move))
        .route("/app/oversight", get(oversight::queue))
        .route("/app/oversight/{reference}", get(oversight::show).post(oversight::decide))
        .route("/regulator/appeals", get(appeals::regulator_queue))
        .route("/regulator/appeals/{reference}", get(appeals::review).post(appeals::staff_move))
        .route("/app/appeals/{reference}/documents/{sha256}", get(appeals::staff_document))
        .route("/regulator/appeals/{reference}/documents/{sha256}", get(appeals::staff_document))
        .route("/app/systems/{id}", get(provider::show))
        .route("/app/systems/{id}/edit", get(provider::edit_form).post(provider::update))
        .route("/app/systems/{id}/transition", post(provider::transition))
        .route("/app/systems/{id}/intake", post(provider::intake))
        .route("/app/systems/{id}/risk", get(risk::form).post(risk::save))
        .route("/app/systems/{id}/impact", get(risk::impact_form).post(risk::impact_save))
        .route("/app/systems/{id}/obligations", get(obligations::page))
        .route("/app/systems/{id}/obligations/{obligation}", post(obligations::save))
        .route(
            "/app/systems/{id}/models",
            get(explain::models_page).post(explain::models_upload).layer(DefaultBodyLimit::max(model_form)),
        )
        .route("/app/systems/{id}/models/{version}/card", post(explain::models_card))
        .route(
            "/app/systems/{id}/audits",
            get(audits::provider_page).post(audits::provider_upload).layer(DefaultBodyLimit::max(audit_form)),
        )
        .route("/app/systems/{id}/audits/logged", post(audits::provider_logged))
        .route("/app/systems/{id}/audits/privileged", post(audits::provider_privileged))
        .route("/app/systems/{id}/audits/{file}", get(audits::provider_report))
        // the data steward
        .route("/app/datasets", get(datasets_steward::list).post(datasets_steward::create))
        .route("/app/datasets/new", get(datasets_steward::new_form))
        .route("/app/datasets/{slug}", get(datasets_steward::manage))
        .route("/app/datasets/{slug}/edit", get(datasets_steward::edit_form).post(datasets_steward::edit))
        .route(
            "/app/datasets/{slug}/files",
            post(datasets_steward::upload).layer(DefaultBodyLimit::max(dataset_form)),
        )
        .route("/app/datasets/{slug}/files/remove", post(datasets_steward::remove_file))
        .route("/app/datasets/{slug}/reasons", post(datasets_steward::reasons))
        .route("/app/datasets/{slug}/publish", post(datasets_steward::publish))
        // access requests for restricted datasets: the applicant's and the steward's
        .route("/app/data-access", get(data_access::list))
        .route("/app/data-access/{reference}", get(data_access::show))
        .route("/app/data-access/{reference}/move", post(data_access::act))
        .route("/app/data-access/{reference}/tokens", post(data_access::make_token))
        // the national compute grid: an institution's requests and projects, a reviewer's queue
        .route("/app/grid", get(grid::home))
        .route("/app/grid/apply", get(grid::apply_form).post(grid::apply))
        .route("/app/grid/requests/{reference}", get(grid::show))
        .route("/app/grid/requests/{reference}/move", post(grid::act))
        // the privacy-safe sandbox: a project's page and queries, the steward's settings
        .route("/app/sandbox/{reference}", get(sandbox::show))
        .route("/app/sandbox/{reference}/query", post(sandbox::ask))
        .route("/app/sandbox/{reference}/synthetic.csv", get(sandbox::synthetic))
        .route(
            "/app/datasets/{slug}/v/{version}/sandbox",
            get(sandbox::settings_form).post(sandbox::set_settings),
        )
        .route("/app/reports", get(provider::reports))
        .route("/app/reports/{reference}", post(provider::respond))
        .route("/app/settings/tokens", get(provider::tokens).post(provider::create_token))
        .route("/app/settings/tokens/{id}/revoke", post(provider::revoke_token))
        // regulator
        .route("/regulator", get(regulator::queue))
        .route("/regulator/reports", get(regulator::reports))
        .route("/regulator/systems/{id}", get(regulator::show))
        .route("/regulator/systems/{id}/transition", post(regulator::transition))
        .route("/regulator/systems/{id}/override", post(regulator::override_tier))
        .route("/regulator/systems/{id}/intake", post(regulator::intake))
        .route("/regulator/systems/{id}/decisions", get(explain::regulator_decisions))
        .route("/regulator/decisions/{reference}", get(explain::regulator_decision))
        .route("/regulator/contradictions", get(explain::regulator_contradictions))
        .route(
            "/regulator/systems/{id}/audits",
            get(audits::regulator_page)
                .post(audits::regulator_upload)
                .layer(DefaultBodyLimit::max(audit_form)),
        )
        .route("/regulator/systems/{id}/audits/logged", post(audits::regulator_logged))
        .route("/regulator/systems/{id}/audits/{file}", get(audits::regulator_report))
        // ethics board
        .route("/review", get(review::queue))
        .route("/review/systems/{id}", get(review::show).post(review::decide))
        .fallback(|| async { AppError::NotFound("page".into()) })
        .layer(axum::middleware::from_fn_with_state(largest_body(&limits), refuse_oversized))
        .layer(from_fn(render_page_errors))
        .layer(from_fn(csrf::ensure_token))
        .layer(axum::Extension(crate::CookieSecurity(state.config.secure_cookies)));

    let (api, openapi) = api_routes_with(&limits).split_for_parts();
    // Built once; a published schema that is not JSON is ruled out by mizan-formats' tests, and
    // would leave the document without the formats rather than stop the server.
    let openapi = Arc::new(crate::openapi::document(&openapi).unwrap_or_else(|e| {
        tracing::error!(error = %e, "cannot add the formats' schemas to the OpenAPI document");
        serde_json::to_value(&openapi).unwrap_or_default()
    }));
    let api = api
        .route("/api/v1/openapi.json", get(move || async move { Json(Arc::clone(&openapi)) }))
        // Unknown API paths answer problem+json, not the HTML page of the fallback below.
        .route("/api/v1", any(api_not_found))
        .route("/api/v1/{*rest}", any(api_not_found))
        .layer(axum::middleware::from_fn_with_state(largest_body(&limits), refuse_oversized))
        .layer(from_fn(crate::nul::refuse_nul))
        .layer(axum::middleware::from_fn_with_state(
            limits.appeal_document_bytes,
            appeals::refuse_oversized_filing,
        ))
        .layer(from_fn(render_api_errors));

    // The decision log, read from its files (C2SP tlog-tiles).
    // CKAN's Action API (read-only): GET with a query or POST with JSON, no session, no CSRF.
    let ckan_api = Router::new()
        .route("/api/3", get(ckan::version))
        .route("/api/3/action/{action}", get(ckan::action).post(ckan::action))
        .route("/api/action/{action}", get(ckan::action).post(ckan::action));

    let log =
        Router::new().route("/{shard}/{*path}", get(decisions::log_file)).layer(from_fn(render_api_errors));

    Router::new()
        .merge(api)
        .merge(ckan_api)
        .nest("/log", log)
        .merge(pages)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(from_fn(crate::security_headers))
        .layer(compression())
        .with_state(state)
}

/// Content types worth compressing: pages, stylesheets, JSON (with problem+json and the
/// schemas), CSV and the Atom feed. Fonts (WOFF2 is already Brotli), log tiles, model files and
/// documents go as they are.
const COMPRESSED_TYPES: [&str; 7] = [
    "text/html",
    "text/css",
    "application/json",
    "application/problem+json",
    "application/schema+json",
    "text/csv",
    "application/atom+xml",
];

/// gzip or Brotli, as the client asks (`Accept-Encoding`), for [`COMPRESSED_TYPES`] of at least
/// 256 bytes; `Vary: Accept-Encoding` is set. Level 5 for both: Brotli's default, 11, made the
/// 147 KiB `openapi.json` only 12% smaller for 65 times the CPU (144 ms against 2 ms), too
/// dear on every request of a large download. The encoder works on the body as it streams and
/// never gathers it whole.
fn compression() -> CompressionLayer<impl Predicate> {
    let wanted = |_: StatusCode, _: Version, headers: &HeaderMap, _: &Extensions| {
        // A dataset download says `no-transform`: its ETag, digest and ranges are of the bytes
        // as stored, which compression would change.
        let no_transform = headers
            .get(header::CACHE_CONTROL)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.split(',').any(|d| d.trim().eq_ignore_ascii_case("no-transform")));
        !no_transform
            && headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|ct| {
                let essence = ct.split(';').next().unwrap_or_default().trim();
                COMPRESSED_TYPES.iter().any(|t| essence.eq_ignore_ascii_case(t))
            })
    };
    CompressionLayer::new()
        .no_deflate()
        .no_zstd()
        .quality(CompressionLevel::Precise(5))
        .compress_when(SizeAbove::new(256).and(wanted))
}

/// `/api/v1/openapi.json`, the one API path the OpenAPI document does not list (it is the
/// document).
pub const UNDOCUMENTED_API_PATHS: &[&str] = &["/api/v1/openapi.json"];

/// The largest body any route accepts under `limits`.
#[must_use]
pub fn largest_body(limits: &mizan_app::limits::Limits) -> usize {
    [
        BODY_LIMIT,
        limits.audit_upload_bytes.saturating_add(FORM_SLACK),
        limits.model_bytes.saturating_add(FORM_SLACK),
        limits.appeal_document_bytes.saturating_add(FORM_SLACK),
        appeals::api_filing_limit(limits.appeal_document_bytes),
        decisions::BODY_LIMIT,
        usize::try_from(limits.dataset_file_bytes).unwrap_or(usize::MAX).saturating_add(FORM_SLACK),
    ]
    .into_iter()
    .max()
    .unwrap_or(BODY_LIMIT)
}

/// Refuses a request whose `Content-Length` is over [`largest_body`] at once, with 413,
/// before any of the body is read (a route's own smaller limit stops its body as it arrives).
async fn refuse_oversized(
    axum::extract::State(max): axum::extract::State<usize>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse as _;
    let declared = req
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > max as u64) {
        return AppError::TooLarge.into_response();
    }
    next.run(req).await
}

async fn api_not_found() -> AppError {
    AppError::NotFound("endpoint".into())
}

/// Every documented API operation, by resource, with the default limits (see
/// [`api_routes_with`]).
pub fn api_routes() -> OpenApiRouter<AppState> {
    api_routes_with(&mizan_app::limits::Limits::default())
}

/// Every documented API operation, by resource; each path and method comes from the handler's
/// `#[utoipa::path]`, and the OpenAPI document is built from the same list. Upload bodies are
/// limited by `limits`.
pub fn api_routes_with(limits: &mizan_app::limits::Limits) -> OpenApiRouter<AppState> {
    let audit_form = limits.audit_upload_bytes.saturating_add(FORM_SLACK);
    OpenApiRouter::with_openapi(crate::openapi::ApiDoc::openapi())
        // the public register
        .routes(routes!(api::list))
        .routes(routes!(api::detail))
        .routes(routes!(api::versions))
        .routes(routes!(api::version))
        .routes(routes!(api::file_report))
        .routes(routes!(api::report))
        .routes(
            routes!(appeals::api_file)
                .layer(DefaultBodyLimit::max(appeals::api_filing_limit(limits.appeal_document_bytes))),
        )
        .routes(routes!(appeals::api_get))
        .routes(routes!(appeals::api_document_get))
        .routes(routes!(appeals::api_move))
        .routes(routes!(appeals::api_stats))
        .routes(routes!(appeals::api_provider_stats))
        .routes(routes!(appeals::api_dataset))
        .routes(routes!(appeals::api_dataset_csv))
        .routes(routes!(oversight::api_set_policy))
        .routes(routes!(oversight::api_figures))
        .routes(routes!(oversight::api_queue))
        .routes(routes!(oversight::api_get))
        .routes(routes!(oversight::api_move))
        .routes(routes!(oversight::api_reviewers))
        .routes(routes!(risk::public_classification))
        .routes(routes!(risk::public_impact))
        .routes(routes!(api::bulk_json))
        .routes(routes!(api::bulk_csv))
        .routes(routes!(api::feed))
        .routes(routes!(schemas::schema))
        // the data repository
        .routes(routes!(datasets_api::dataset_search))
        .routes(routes!(datasets_api::dataset_show))
        .routes(routes!(datasets_api::dataset_version))
        .routes(routes!(datasets_api::dataset_profile))
        .routes(routes!(grid::api_figures))
        .routes(routes!(grid::api_figures_csv))
        .routes(routes!(sandbox::get_sandbox_project))
        .routes(routes!(sandbox::ask_sandbox_query))
        .routes(routes!(sandbox::get_sandbox_synthetic))
        .routes(routes!(datasets_api::dataset_dcat_jsonld))
        .routes(routes!(datasets_api::dataset_dcat_turtle))
        .routes(routes!(datasets_api::dataset_croissant))
        .routes(routes!(datasets_api::catalog_jsonld))
        .routes(routes!(datasets_api::catalog_turtle))
        .routes(routes!(datasets_api::org_datasets, datasets_api::create_dataset))
        .routes(routes!(datasets_api::org_dataset))
        .routes(routes!(datasets_api::put_dataset_metadata))
        .routes(
            routes!(datasets_api::put_dataset_file, datasets_api::delete_dataset_file).layer(
                DefaultBodyLimit::max(usize::try_from(limits.dataset_file_bytes).unwrap_or(usize::MAX)),
            ),
        )
        .routes(routes!(datasets_api::publish_dataset))
        // an organisation's own systems
        .routes(routes!(api::org_systems, api::create_system))
        .routes(routes!(api::org_system, api::update_system))
        .routes(routes!(api::org_transition))
        .routes(routes!(risk::api_get, risk::api_put))
        .routes(routes!(risk::impact_api_get, risk::impact_api_put))
        .routes(routes!(obligations::api_list))
        .routes(routes!(obligations::api_put))
        // the regulator
        .routes(routes!(api::regulator_queue))
        .routes(routes!(api::regulator_transition))
        .routes(routes!(api::regulator_override))
        // decisions, receipts, logs and proofs
        .routes(routes!(decisions::log_decisions).layer(DefaultBodyLimit::max(decisions::BODY_LIMIT)))
        .routes(routes!(decisions::receipt_status))
        .routes(routes!(decisions::erase))
        .routes(routes!(decisions::stop_intake))
        .routes(routes!(decisions::resume_intake))
        .routes(routes!(verify::logs))
        .routes(routes!(verify::event_proof))
        // models and explanations
        .routes(routes!(explain::api_upload).layer(DefaultBodyLimit::max(limits.model_bytes)))
        .routes(routes!(explain::api_models))
        .routes(routes!(explain::api_set_card))
        .routes(routes!(explain::api_explanation))
        .routes(routes!(explain::api_regulator_explanation))
        // fairness audits
        .routes(routes!(audits::api_org_upload).layer(DefaultBodyLimit::max(audit_form)))
        .routes(routes!(audits::api_org_logged))
        .routes(routes!(audits::api_org_privileged))
        .routes(routes!(audits::api_org_list))
        .routes(routes!(audits::api_org_report))
        .routes(routes!(audits::api_regulator_upload).layer(DefaultBodyLimit::max(audit_form)))
        .routes(routes!(audits::api_regulator_logged))
        .routes(routes!(audits::api_regulator_list))
        .routes(routes!(audits::api_regulator_report))
        // the ethics board
        .routes(routes!(review::api_queue))
        .routes(routes!(review::api_decide))
        .routes(routes!(review::api_state))
}
