//! The route table, grouped by audience. Reading this file tells you every URL Mizan serves.

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware::from_fn;
use axum::routing::{get, post};

use crate::error::{AppError, render_api_errors, render_page_errors};
use crate::routes::{
    api, audits, decisions, explain, obligations, provider, public, regulator, review, risk, session, verify,
};
use crate::{AppState, csrf, static_files};

/// Largest request body accepted anywhere (a full record in Urdu and English fits easily).
pub const BODY_LIMIT: usize = 256 * 1024;

/// Builds the whole application.
pub fn router(state: AppState) -> Router {
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
        .route("/verify", get(verify::page).post(verify::check))
        .route("/receipt", get(explain::receipt_lookup))
        .route("/receipt/{reference}", get(explain::receipt))
        .route("/login", get(session::login_form).post(session::login))
        .route("/logout", post(session::logout))
        .route("/lang/{code}", get(session::switch_lang))
        // provider
        .route("/app", get(provider::home))
        .route("/app/systems", post(provider::create))
        .route("/app/systems/new", get(provider::new_form))
        .route("/app/systems/{id}", get(provider::show))
        .route("/app/systems/{id}/edit", get(provider::edit_form).post(provider::update))
        .route("/app/systems/{id}/transition", post(provider::transition))
        .route("/app/systems/{id}/risk", get(risk::form).post(risk::save))
        .route("/app/systems/{id}/impact", get(risk::impact_form).post(risk::impact_save))
        .route("/app/systems/{id}/obligations", get(obligations::page))
        .route("/app/systems/{id}/obligations/{obligation}", post(obligations::save))
        .route(
            "/app/systems/{id}/models",
            get(explain::models_page)
                .post(explain::models_upload)
                .layer(DefaultBodyLimit::max(explain::MODEL_LIMIT + 64 * 1024)),
        )
        .route(
            "/app/systems/{id}/audits",
            get(audits::provider_page)
                .post(audits::provider_upload)
                .layer(DefaultBodyLimit::max(audits::BODY_LIMIT)),
        )
        .route("/app/systems/{id}/audits/logged", post(audits::provider_logged))
        .route("/app/systems/{id}/audits/{file}", get(audits::provider_report))
        .route("/app/reports", get(provider::reports))
        .route("/app/reports/{reference}", post(provider::respond))
        .route("/app/settings/tokens", get(provider::tokens).post(provider::create_token))
        .route("/app/settings/tokens/{id}/revoke", post(provider::revoke_token))
        // regulator
        .route("/regulator", get(regulator::queue))
        .route("/regulator/systems/{id}", get(regulator::show))
        .route("/regulator/systems/{id}/transition", post(regulator::transition))
        .route("/regulator/systems/{id}/override", post(regulator::override_tier))
        .route("/regulator/systems/{id}/decisions", get(explain::regulator_decisions))
        .route("/regulator/decisions/{reference}", get(explain::regulator_decision))
        .route(
            "/regulator/systems/{id}/audits",
            get(audits::regulator_page)
                .post(audits::regulator_upload)
                .layer(DefaultBodyLimit::max(audits::BODY_LIMIT)),
        )
        .route("/regulator/systems/{id}/audits/logged", post(audits::regulator_logged))
        .route("/regulator/systems/{id}/audits/{file}", get(audits::regulator_report))
        // ethics board
        .route("/review", get(review::queue))
        .route("/review/systems/{id}", get(review::show).post(review::decide))
        .fallback(|| async { AppError::NotFound("page".into()) })
        .layer(from_fn(render_page_errors))
        .layer(from_fn(csrf::ensure_token))
        .layer(axum::Extension(crate::CookieSecurity(state.config.secure_cookies)));

    let api = Router::new()
        .route("/systems", get(api::list))
        .route("/systems/{id}", get(api::detail))
        .route("/systems/{id}/versions", get(api::versions))
        .route("/systems/{id}/versions/{version}", get(api::version))
        .route("/systems/{id}/reports", post(api::file_report))
        .route("/systems/{id}/classification", get(risk::public_classification))
        .route("/systems/{id}/impact", get(risk::public_impact))
        .route("/reports/{reference}", get(api::report))
        .route("/register.json", get(api::bulk_json))
        .route("/register.csv", get(api::bulk_csv))
        .route("/changes.atom", get(api::feed))
        .route("/openapi.json", get(api::openapi))
        .route("/org/systems", get(api::org_systems).post(api::create_system))
        .route("/org/systems/{id}", get(api::org_system).put(api::update_system))
        .route("/org/systems/{id}/transitions", post(api::org_transition))
        .route("/org/systems/{id}/risk-answers", get(risk::api_get).put(risk::api_put))
        .route("/org/systems/{id}/impact-answers", get(risk::impact_api_get).put(risk::impact_api_put))
        .route("/org/systems/{id}/obligations", get(obligations::api_list))
        .route("/org/systems/{id}/obligations/{obligation}", axum::routing::put(obligations::api_put))
        .route("/regulator/queue", get(api::regulator_queue))
        .route("/regulator/systems/{id}/transitions", post(api::regulator_transition))
        .route("/regulator/systems/{id}/tier-override", post(api::regulator_override))
        .route(
            "/systems/{id}/decisions",
            post(decisions::log_decisions).layer(DefaultBodyLimit::max(decisions::BODY_LIMIT)),
        )
        .route("/receipts/{reference}", get(decisions::receipt_status))
        .route("/logs", get(verify::logs))
        .route("/events/{id}/proof", get(verify::event_proof))
        .route("/receipts/{reference}/explanation", get(explain::api_explanation))
        .route(
            "/org/systems/{id}/versions/{version}/model",
            post(explain::api_upload).layer(DefaultBodyLimit::max(explain::MODEL_LIMIT)),
        )
        .route("/org/systems/{id}/models", get(explain::api_models))
        .route("/regulator/decisions/{reference}/explanation", get(explain::api_regulator_explanation))
        .route("/org/decisions/{reference}", axum::routing::delete(decisions::erase))
        .route(
            "/org/systems/{id}/versions/{version}/audits",
            post(audits::api_org_upload).layer(DefaultBodyLimit::max(audits::BODY_LIMIT)),
        )
        .route("/org/systems/{id}/versions/{version}/audits/logged", post(audits::api_org_logged))
        .route("/org/systems/{id}/audits", get(audits::api_org_list))
        .route("/org/systems/{id}/audits/{audit}/report", get(audits::api_org_report))
        .route(
            "/regulator/systems/{id}/versions/{version}/audits",
            post(audits::api_regulator_upload).layer(DefaultBodyLimit::max(audits::BODY_LIMIT)),
        )
        .route("/regulator/systems/{id}/versions/{version}/audits/logged", post(audits::api_regulator_logged))
        .route("/regulator/systems/{id}/audits", get(audits::api_regulator_list))
        .route("/regulator/systems/{id}/audits/{audit}/report", get(audits::api_regulator_report))
        .route("/review/queue", get(review::api_queue))
        .route("/review/systems/{id}/reviews", post(review::api_decide))
        .route("/review/systems/{id}/versions/{version}", get(review::api_state))
        .fallback(|| async { AppError::NotFound("endpoint".into()) })
        .layer(from_fn(render_api_errors));

    // The decision log, read from its files (C2SP tlog-tiles).
    let log =
        Router::new().route("/{shard}/{*path}", get(decisions::log_file)).layer(from_fn(render_api_errors));

    Router::new()
        .nest("/api/v1", api)
        .nest("/log", log)
        .route("/static/{file}", get(static_files::serve))
        .merge(pages)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(from_fn(crate::security_headers))
        .with_state(state)
}
