//! A read-only CKAN-compatible Action API (`/api/3/action/...` and, as CKAN and `ckanapi` use
//! it, `/api/action/...`; issue #18 item 8), so that
//! existing CKAN clients and harvesters (`ckanapi`, ckanext-harvest, the EU data portal's
//! harvester) read the data repository unchanged: `package_list`, `package_show`,
//! `package_search`, `organization_list` and `resource_show`.
//!
//! CKAN clients call actions by `GET` with query parameters or by `POST` with a JSON object
//! (ckanapi's default), so every action takes both. Answers are CKAN's envelope
//! (`{"help", "success", "result"}`) and its errors (`Not Found Error` with 404, `Validation
//! Error` with 409); the dicts come from `mizan_catalog::export::ckan`. Only published datasets
//! appear, each as its newest published version. Not in the OpenAPI document: it is CKAN's API,
//! documented by CKAN.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use mizan_app::datasets::DatasetView;
use mizan_catalog::export::ckan::{self, ApiError};
use serde_json::{Map, Value};

use crate::AppState;

/// Most rows one `package_search` returns: the search index's page size (CKAN's own default cap
/// is 1000; a client pages on with `start`, as with any CKAN).
const MAX_ROWS: u64 = mizan_search::MAX_LIMIT as u64;

fn help(state: &AppState, action: &str) -> String {
    format!("{}/api/3/action/help_show?name={action}", state.app.config().base_url)
}

fn fail(state: &AppState, action: &str, e: &ApiError) -> Response {
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST);
    (status, Json(ckan::error(&help(state, action), e))).into_response()
}

/// The action's parameters: the query string for `GET`, the JSON object for `POST`.
fn params(method: &Method, query: Option<&str>, body: &[u8]) -> Result<Map<String, Value>, ApiError> {
    if method == Method::POST && !body.is_empty() {
        return match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(m)) => Ok(m),
            _ => Err(ApiError::BadRequest("the body must be a JSON object".to_owned())),
        };
    }
    Ok(url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
        .collect())
}

fn text(p: &Map<String, Value>, key: &str) -> Option<String> {
    match p.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn number(p: &Map<String, Value>, key: &str, default: u64) -> Result<u64, ApiError> {
    match text(p, key) {
        None => Ok(default),
        Some(s) => s.trim().parse::<u64>().map_err(|_| ApiError::Validation {
            field: key.to_owned(),
            message: "Invalid integer".to_owned(),
        }),
    }
}

fn package(state: &AppState, v: &DatasetView) -> Value {
    let base = &state.app.config().base_url;
    let parts = v.export_parts(base);
    ckan::package(&v.export_view(base, &parts))
}

async fn run(state: &AppState, action: &str, p: &Map<String, Value>) -> Result<Value, ApiError> {
    let internal = |e: mizan_app::Error| {
        tracing::error!(error = %e, action, "ckan action failed");
        ApiError::BadRequest("the repository could not answer; try again".to_owned())
    };
    match action {
        "package_list" => {
            let all = state.app.public_datasets().await.map_err(internal)?;
            Ok(Value::from(all.iter().map(|v| v.stored.slug.clone()).collect::<Vec<_>>()))
        }
        "package_show" => {
            let id = text(p, "id").ok_or_else(|| ApiError::Validation {
                field: "id".to_owned(),
                message: "Missing value".to_owned(),
            })?;
            match state.app.public_dataset(&id, None).await {
                Ok(v) => Ok(package(state, &v)),
                Err(mizan_app::Error::NotFound(_)) => Err(ApiError::NotFound),
                Err(e) => Err(internal(e)),
            }
        }
        "resource_show" => {
            let id = text(p, "id").ok_or_else(|| ApiError::Validation {
                field: "id".to_owned(),
                message: "Missing value".to_owned(),
            })?;
            // A resource id is `{slug}-v{version}-{index}` (`ckan::resource_id`).
            let parsed = id.rsplit_once('-').and_then(|(rest, index)| {
                let (slug, version) = rest.rsplit_once("-v")?;
                Some((slug.to_owned(), version.parse::<i64>().ok()?, index.parse::<usize>().ok()?))
            });
            let Some((slug, version, index)) = parsed else { return Err(ApiError::NotFound) };
            let v = match state.app.public_dataset(&slug, Some(version)).await {
                Ok(v) => v,
                Err(mizan_app::Error::NotFound(_)) => return Err(ApiError::NotFound),
                Err(e) => return Err(internal(e)),
            };
            let base = &state.app.config().base_url;
            let parts = v.export_parts(base);
            ckan::resource(&v.export_view(base, &parts), index).ok_or(ApiError::NotFound)
        }
        "organization_list" => {
            let all = state.app.public_datasets().await.map_err(internal)?;
            let all_fields = text(p, "all_fields").is_some_and(|s| s == "true" || s == "True" || s == "1");
            let mut orgs: Vec<(String, String, u64)> = Vec::new();
            for v in &all {
                match orgs.iter_mut().find(|o| o.0 == v.stored.org_slug) {
                    Some(o) => o.2 += 1,
                    None => orgs.push((v.stored.org_slug.clone(), v.stored.org_name.clone(), 1)),
                }
            }
            orgs.sort();
            Ok(Value::from(
                orgs.into_iter()
                    .map(|(slug, name, n)| {
                        if all_fields {
                            let base = &state.app.config().base_url;
                            let publisher = mizan_catalog::export::Publisher {
                                homepage: format!("{base}/datasets?publisher={slug}"),
                                slug,
                                name: mizan_catalog::Text::new(&name, ""),
                            };
                            ckan::organization(&publisher, n)
                        } else {
                            Value::String(slug)
                        }
                    })
                    .collect::<Vec<_>>(),
            ))
        }
        "package_search" => {
            let rows = number(p, "rows", 10)?.min(MAX_ROWS);
            let start = number(p, "start", 0)?;
            let q = text(p, "q").unwrap_or_default();
            let q = if q.trim() == "*:*" { String::new() } else { q };
            let mut query = mizan_search::Query::text(q.chars().take(200).collect::<String>());
            // `fq=organization:<slug>` is how CKAN clients ask for one publisher's datasets.
            if let Some(fq) = text(p, "fq") {
                for part in fq.split_whitespace() {
                    if let Some(org) = part.strip_prefix("organization:") {
                        query.filters.publisher.push(org.trim_matches('"').to_owned());
                    }
                }
            }
            query.offset = usize::try_from(start).unwrap_or(usize::MAX);
            query.limit = usize::try_from(rows.max(1)).unwrap_or(mizan_search::MAX_LIMIT);
            let results =
                state.app.search_datasets(query).await.map_err(|e| ApiError::SearchQuery(e.to_string()))?;
            let mut out = Vec::new();
            if rows > 0 {
                for hit in &results.hits {
                    if let Ok(v) = state.app.public_dataset(&hit.id, None).await {
                        out.push(package(state, &v));
                    }
                }
            }
            let sort = text(p, "sort").unwrap_or_else(|| "score desc, metadata_modified desc".to_owned());
            Ok(ckan::search_result(results.total as u64, out, &sort))
        }
        _ => Err(ApiError::BadRequest(format!("unknown action `{action}`"))),
    }
}

/// `GET` or `POST /api/3/action/{action}`.
pub async fn action(
    State(state): State<AppState>,
    Path(action): Path<String>,
    method: Method,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let p = match params(&method, query.as_deref(), &body) {
        Ok(p) => p,
        Err(e) => return fail(&state, &action, &e),
    };
    match run(&state, &action, &p).await {
        Ok(result) => Json(ckan::success(&help(&state, &action), result)).into_response(),
        Err(e) => fail(&state, &action, &e),
    }
}

/// `GET /api/3`: the API version, as CKAN answers it.
pub async fn version() -> Json<Value> {
    Json(serde_json::json!({"version": 3}))
}
