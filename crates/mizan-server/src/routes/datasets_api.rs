//! The data repository's JSON API (issue #18): search and read published datasets, their
//! versions, profiles and metadata; and, for an organisation's data steward, create datasets,
//! upload files and change metadata (each a new version), and publish.
//!
//! A file upload is the request body itself (`PUT .../files/{name}`), streamed to disk chunk by
//! chunk through `mizan_app::datasets::Upload`: memory stays flat for any size, the body stops
//! at `Limits::dataset_file_bytes`, and a refused or broken upload leaves nothing behind.
//! Every change names the version it was made from (`after`), so two stewards editing at once
//! get a conflict instead of silently overwriting each other.

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use futures_util::StreamExt as _;
use mizan_app::datasets::DatasetView;
use mizan_catalog::{DatasetMeta, Source};
use mizan_store::ActorRef;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::auth::{TokenUser, require};
use crate::error::AppError;
use crate::util::CleanJson;

fn bad(field: &str, detail: impl Into<String>) -> AppError {
    AppError::BadRequest { field: Some(field.into()), detail: detail.into() }
}

/// A publisher.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublisherOut {
    /// Organisation slug.
    pub slug: String,
    /// Its name.
    pub name: String,
}

/// A file of a version.
#[derive(Debug, Serialize, ToSchema)]
pub struct FileOut {
    /// File name.
    pub name: String,
    /// `csv`, `parquet`, `jsonl` or `other`.
    pub format: String,
    /// Media type it is served as.
    pub media_type: String,
    /// Size in bytes (absent for a file kept elsewhere).
    pub bytes: Option<u64>,
    /// SHA-256 of its bytes, hex (absent for a file kept elsewhere).
    pub sha256: Option<String>,
    /// Where to download it.
    pub download_url: String,
}

/// A column the personal-data scan flagged.
#[derive(Debug, Serialize, ToSchema)]
pub struct PiiOut {
    /// The file.
    pub file: String,
    /// The column.
    pub column: String,
    /// What it holds: `cnic`, `ntn`, `mobile-phone`, `landline`, `iban`, `email`, `payment-card`,
    /// `ip-address` or `person-name`.
    pub kind: String,
    /// A direct identifier.
    pub direct: bool,
    /// Share of values that match.
    pub share: f64,
    /// Why it was flagged: `column-name`, `values` or `both`.
    pub evidence: String,
    /// The steward's reason for publishing it, if recorded.
    pub reason: Option<String>,
}

/// One version in a dataset's history.
#[derive(Debug, Serialize, ToSchema)]
pub struct DatasetVersionOut {
    /// The version.
    pub version: i64,
    /// When it was made.
    pub at: String,
    /// When it was published, if it was.
    pub published_at: Option<String>,
}

/// Where to read a version in other formats.
#[derive(Debug, Serialize, ToSchema)]
pub struct DatasetLinks {
    /// The page.
    pub page: String,
    /// DCAT-AP 3 as JSON-LD.
    pub dcat_jsonld: String,
    /// DCAT-AP 3 as Turtle.
    pub dcat_turtle: String,
    /// Croissant 1.1 with the RAI vocabulary.
    pub croissant: String,
    /// The profiles (`mizan.dataset-profile/1`).
    pub profile: String,
}

/// A dataset version.
#[derive(Debug, Serialize, ToSchema)]
pub struct DatasetOut {
    /// The dataset's slug.
    pub slug: String,
    /// This version.
    pub version: i64,
    /// Whether it is published.
    pub published: bool,
    /// When it was published.
    pub published_at: Option<String>,
    /// When it was made.
    pub at: String,
    /// Who publishes it.
    pub publisher: PublisherOut,
    /// `open`, `registered` or `restricted`.
    pub access: String,
    /// The metadata (`mizan.dataset/1`).
    #[schema(value_type = Object)]
    pub meta: serde_json::Value,
    /// Its files.
    pub files: Vec<FileOut>,
    /// Flagged columns.
    pub pii: Vec<PiiOut>,
    /// Flagged direct identifiers that keep this version from being published at its tier.
    pub blocking: Vec<String>,
    /// The dataset's versions, newest first.
    pub versions: Vec<DatasetVersionOut>,
    /// Other formats.
    pub links: DatasetLinks,
}

fn dataset_out(base: &str, v: &DatasetView) -> DatasetOut {
    let slug = &v.stored.slug;
    let ver = v.stored.version;
    let api = format!("{base}/api/v1/datasets/{slug}/versions/{ver}");
    DatasetOut {
        slug: slug.clone(),
        version: ver,
        published: v.is_published(),
        published_at: v.stored.published_at.clone(),
        at: v.stored.at.clone(),
        publisher: PublisherOut { slug: v.stored.org_slug.clone(), name: v.stored.org_name.clone() },
        access: v.meta.access.id().to_owned(),
        meta: serde_json::to_value(&v.meta).unwrap_or_default(),
        files: v
            .files
            .iter()
            .map(|f| {
                let (bytes, sha256, url) = match &f.source {
                    Source::File { sha256, bytes } => (
                        Some(*bytes),
                        Some(sha256.clone()),
                        format!("{base}/datasets/{slug}/v/{ver}/files/{}", crate::util::url_encode(&f.name)),
                    ),
                    Source::Url { url } => (None, None, url.clone()),
                };
                FileOut {
                    name: f.name.clone(),
                    format: serde_json::to_value(f.format)
                        .ok()
                        .and_then(|x| x.as_str().map(str::to_owned))
                        .unwrap_or_default(),
                    media_type: f.format.media_type().to_owned(),
                    bytes,
                    sha256,
                    download_url: url,
                }
            })
            .collect(),
        pii: v
            .scan
            .files
            .iter()
            .flat_map(|f| {
                f.pii.iter().map(|p| PiiOut {
                    file: f.name.clone(),
                    column: p.column.clone(),
                    kind: p.kind.clone(),
                    direct: p.direct,
                    share: p.share,
                    evidence: p.evidence.clone(),
                    reason: v.meta.pii_reason(&p.column).map(str::to_owned),
                })
            })
            .collect(),
        blocking: v.blocking_flags().into_iter().map(|f| f.column).collect(),
        versions: v
            .versions
            .iter()
            .map(|r| DatasetVersionOut {
                version: r.version,
                at: r.at.clone(),
                published_at: r.published_at.clone(),
            })
            .collect(),
        links: DatasetLinks {
            page: format!("{base}/datasets/{slug}/v/{ver}"),
            dcat_jsonld: format!("{api}/dcat.jsonld"),
            dcat_turtle: format!("{api}/dcat.ttl"),
            croissant: format!("{api}/croissant.json"),
            profile: format!("{api}/profile"),
        },
    }
}

/// How search results are ordered.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SortParam {
    /// Best match first (newest first when nothing is searched for).
    Relevance,
    /// By title.
    Title,
    /// Newest version first.
    Modified,
}

/// Search parameters.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// Words to find, in English or Urdu (at most 200 characters).
    #[param(max_length = 200)]
    pub q: Option<String>,
    /// Publisher (organisation slug).
    pub publisher: Option<String>,
    /// Theme id (`AGRI`, `EDUC`, ...).
    pub theme: Option<String>,
    /// Licence id.
    pub licence: Option<String>,
    /// File format (`CSV`, `Parquet`, `JSON Lines`).
    pub format: Option<String>,
    /// `open`, `registered` or `restricted`.
    pub access: Option<String>,
    /// Province id.
    pub province: Option<String>,
    /// `relevance` (default), `title` or `modified`.
    #[param(inline)]
    pub sort: Option<SortParam>,
    /// Page from 1.
    #[param(minimum = 1, maximum = 10_000)]
    pub page: Option<u32>,
    /// Page size, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub per_page: Option<u32>,
}

impl SearchParams {
    /// The search this asks for.
    ///
    /// # Errors
    /// A parameter out of range, named.
    pub fn to_query(&self) -> Result<mizan_search::Query, AppError> {
        let per_page = self.per_page.unwrap_or(20);
        if !(1..=100).contains(&per_page) {
            return Err(bad("per_page", "must be 1 to 100"));
        }
        let page = self.page.unwrap_or(1);
        if !(1..=10_000).contains(&page) {
            return Err(bad("page", "must be 1 to 10000"));
        }
        let text = self.q.clone().unwrap_or_default();
        if text.chars().count() > 200 {
            return Err(bad("q", "at most 200 characters"));
        }
        let sort = match self.sort.unwrap_or(SortParam::Relevance) {
            SortParam::Relevance => mizan_search::Sort::Relevance,
            SortParam::Title => mizan_search::Sort::Title,
            SortParam::Modified => mizan_search::Sort::Modified,
        };
        let one = |v: &Option<String>| v.iter().filter(|s| !s.is_empty()).cloned().collect::<Vec<_>>();
        let mut q = mizan_search::Query::text(text);
        q.filters = mizan_search::Filters {
            publisher: one(&self.publisher),
            theme: one(&self.theme),
            licence: one(&self.licence),
            format: one(&self.format),
            access: one(&self.access),
            province: one(&self.province),
        };
        q.sort = sort;
        q.limit = per_page as usize;
        q.offset = (page as usize - 1) * per_page as usize;
        // The index pages only so deep; a page beyond is empty, with the total and facets.
        if q.offset > mizan_search::MAX_OFFSET {
            q.offset = 0;
            q.limit = 0;
        }
        Ok(q)
    }
}

/// A search hit.
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchHitOut {
    /// The dataset's slug.
    pub slug: String,
    /// Title in English.
    pub title_en: String,
    /// Title in Urdu.
    pub title_ur: String,
    /// The title with matched words between `«` and `»` (English, else Urdu).
    pub highlight: String,
    /// Where to read it.
    pub url: String,
}

/// A facet value and how many results have it.
#[derive(Debug, Serialize, ToSchema)]
pub struct FacetOut {
    /// The value (id).
    pub value: String,
    /// Results with it.
    pub count: u64,
}

/// Facet counts.
#[derive(Debug, Serialize, ToSchema)]
pub struct FacetsOut {
    /// By publisher.
    pub publisher: Vec<FacetOut>,
    /// By theme.
    pub theme: Vec<FacetOut>,
    /// By licence.
    pub licence: Vec<FacetOut>,
    /// By format.
    pub format: Vec<FacetOut>,
    /// By access tier.
    pub access: Vec<FacetOut>,
    /// By province.
    pub province: Vec<FacetOut>,
}

/// Search results.
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchOut {
    /// Results in all.
    pub total: usize,
    /// This page.
    pub items: Vec<SearchHitOut>,
    /// Counts per facet value.
    pub facets: FacetsOut,
}

fn marked(segments: &[mizan_search::Segment]) -> String {
    segments.iter().map(|s| if s.matched { format!("«{}»", s.text) } else { s.text.clone() }).collect()
}

fn facet(v: &[(String, u64)]) -> Vec<FacetOut> {
    v.iter().map(|(value, count)| FacetOut { value: value.clone(), count: *count }).collect()
}

/// Search the published datasets in English or Urdu, with facets.
#[utoipa::path(get, path = "/api/v1/datasets", tag = "datasets", params(SearchParams),
    responses((status = 200, body = SearchOut), (status = 400, description = "invalid parameter", content_type = "application/problem+json")))]
pub async fn dataset_search(
    State(state): State<AppState>,
    Query(params): Query<SearchParams>,
) -> Result<Json<SearchOut>, AppError> {
    let results = state.app.search_datasets(params.to_query()?).await?;
    let base = &state.app.config().base_url;
    Ok(Json(SearchOut {
        total: results.total,
        items: results
            .hits
            .iter()
            .map(|h| SearchHitOut {
                slug: h.id.clone(),
                title_en: h.title_en.iter().map(|s| s.text.as_str()).collect(),
                title_ur: h.title_ur.iter().map(|s| s.text.as_str()).collect(),
                highlight: if h.title_en.iter().any(|s| s.matched) || h.title_ur.is_empty() {
                    marked(&h.title_en)
                } else {
                    marked(&h.title_ur)
                },
                url: format!("{base}/api/v1/datasets/{}", h.id),
            })
            .collect(),
        facets: FacetsOut {
            publisher: facet(&results.facets.publisher),
            theme: facet(&results.facets.theme),
            licence: facet(&results.facets.licence),
            format: facet(&results.facets.format),
            access: facet(&results.facets.access),
            province: facet(&results.facets.province),
        },
    }))
}

/// A published dataset at its newest published version.
#[utoipa::path(get, path = "/api/v1/datasets/{slug}", tag = "datasets", params(("slug" = String, Path)),
    responses((status = 200, body = DatasetOut), (status = 404, content_type = "application/problem+json")))]
pub async fn dataset_show(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Json<DatasetOut>, AppError> {
    let v = state.app.public_dataset(&slug, None).await?;
    Ok(Json(dataset_out(&state.app.config().base_url, &v)))
}

/// A published version of a dataset.
#[utoipa::path(get, path = "/api/v1/datasets/{slug}/versions/{version}", tag = "datasets",
    params(("slug" = String, Path), ("version" = i64, Path, minimum = 1)),
    responses((status = 200, body = DatasetOut), (status = 404, content_type = "application/problem+json")))]
pub async fn dataset_version(
    State(state): State<AppState>,
    Path((slug, version)): Path<(String, i64)>,
) -> Result<Json<DatasetOut>, AppError> {
    let v = state.app.public_dataset(&slug, Some(version)).await?;
    Ok(Json(dataset_out(&state.app.config().base_url, &v)))
}

/// A file's profile.
#[derive(Debug, Serialize, ToSchema)]
pub struct FileProfileOut {
    /// The file.
    pub name: String,
    /// Its profile (`mizan.dataset-profile/1`); absent for a file that is not tabular.
    #[schema(value_type = Option<Object>)]
    pub profile: Option<serde_json::Value>,
}

/// The profiles of a published version's files: per column type, missing share, distinct
/// count, range, mean and deviation, quantiles, histogram, top values; duplicate rows; and the
/// bias profile of the sensitive columns.
#[utoipa::path(get, path = "/api/v1/datasets/{slug}/versions/{version}/profile", tag = "datasets",
    params(("slug" = String, Path), ("version" = i64, Path, minimum = 1)),
    responses((status = 200, body = Vec<FileProfileOut>), (status = 404, content_type = "application/problem+json")))]
pub async fn dataset_profile(
    State(state): State<AppState>,
    Path((slug, version)): Path<(String, i64)>,
) -> Result<Json<Vec<FileProfileOut>>, AppError> {
    let v = state.app.public_dataset(&slug, Some(version)).await?;
    Ok(Json(
        v.scan
            .files
            .iter()
            .map(|f| FileProfileOut {
                name: f.name.clone(),
                profile: f.profile.as_ref().and_then(|p| serde_json::to_value(p).ok()),
            })
            .collect(),
    ))
}

/// A new dataset.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewDatasetIn {
    /// Its slug: lowercase letters, digits and single dashes, 3 to 64 characters.
    #[schema(pattern = "^[a-z0-9]+(-[a-z0-9]+)*$", min_length = 3, max_length = 64)]
    pub slug: String,
    /// Its metadata (`mizan.dataset/1`).
    #[schema(value_type = Object)]
    pub meta: serde_json::Value,
}

fn parse_meta(v: serde_json::Value) -> Result<DatasetMeta, AppError> {
    serde_json::from_value(v).map_err(|e| bad("meta", format!("the metadata does not read: {e}")))
}

/// The organisation's datasets at their newest versions, published or not.
#[utoipa::path(get, path = "/api/v1/org/datasets", tag = "steward", security(("token" = [])),
    responses((status = 200, body = Vec<DatasetOut>), (status = 401, content_type = "application/problem+json"), (status = 403, content_type = "application/problem+json")))]
pub async fn org_datasets(
    State(state): State<AppState>,
    TokenUser(p): TokenUser,
) -> Result<Json<Vec<DatasetOut>>, AppError> {
    require(&p, "datasets:write")?;
    let base = &state.app.config().base_url;
    Ok(Json(state.app.org_datasets(p.scope()).await?.iter().map(|v| dataset_out(base, v)).collect()))
}

/// Create a dataset (version 1, no files yet).
#[utoipa::path(post, path = "/api/v1/org/datasets", tag = "steward", security(("token" = [])), request_body = NewDatasetIn,
    responses((status = 201, body = DatasetOut), (status = 400, content_type = "application/problem+json", description = "`detail` names the field, e.g. `meta.title.en`"),
        (status = 401, content_type = "application/problem+json"), (status = 403, content_type = "application/problem+json"),
        (status = 409, content_type = "application/problem+json", description = "the slug is taken")))]
pub async fn create_dataset(
    State(state): State<AppState>,
    TokenUser(p): TokenUser,
    CleanJson(body): CleanJson<NewDatasetIn>,
) -> Result<(StatusCode, Json<DatasetOut>), AppError> {
    require(&p, "datasets:write")?;
    let meta = parse_meta(body.meta)?;
    state.app.create_dataset(p.scope(), &ActorRef::from(&p), &body.slug, &meta).await?;
    let v = state.app.org_dataset(p.scope(), &body.slug, None).await?;
    Ok((StatusCode::CREATED, Json(dataset_out(&state.app.config().base_url, &v))))
}

/// Version parameter of a version (optional: the newest).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VersionParam {
    /// The version (default: the newest).
    #[param(minimum = 1)]
    pub version: Option<i64>,
}

/// One of the organisation's datasets, at a version (default the newest), published or not.
#[utoipa::path(get, path = "/api/v1/org/datasets/{slug}", tag = "steward", security(("token" = [])),
    params(("slug" = String, Path), VersionParam),
    responses((status = 200, body = DatasetOut), (status = 404, content_type = "application/problem+json")))]
pub async fn org_dataset(
    State(state): State<AppState>,
    TokenUser(p): TokenUser,
    Path(slug): Path<String>,
    Query(q): Query<VersionParam>,
) -> Result<Json<DatasetOut>, AppError> {
    require(&p, "datasets:write")?;
    let v = state.app.org_dataset(p.scope(), &slug, q.version).await?;
    Ok(Json(dataset_out(&state.app.config().base_url, &v)))
}

/// The version a change is made from.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AfterParam {
    /// The newest version as the caller saw it; a newer one refuses the change (409).
    #[param(minimum = 1)]
    pub after: i64,
}

/// Change the metadata: makes a new version with the same files.
#[utoipa::path(put, path = "/api/v1/org/datasets/{slug}/metadata", tag = "steward", security(("token" = [])),
    params(("slug" = String, Path), AfterParam),
    request_body(content = Object, description = "the metadata (`mizan.dataset/1`)"),
    responses((status = 200, body = DatasetOut), (status = 400, content_type = "application/problem+json"),
        (status = 404, content_type = "application/problem+json"), (status = 409, content_type = "application/problem+json")))]
pub async fn put_dataset_metadata(
    State(state): State<AppState>,
    TokenUser(p): TokenUser,
    Path(slug): Path<String>,
    Query(q): Query<AfterParam>,
    CleanJson(body): CleanJson<serde_json::Value>,
) -> Result<Json<DatasetOut>, AppError> {
    require(&p, "datasets:write")?;
    let meta = parse_meta(body)?;
    let v = state.app.update_dataset_meta(p.scope(), &ActorRef::from(&p), &slug, q.after, &meta).await?;
    let view = state.app.org_dataset(p.scope(), &slug, Some(v)).await?;
    Ok(Json(dataset_out(&state.app.config().base_url, &view)))
}

/// Upload a file (the request body, any type, streamed; at most the server's
/// `--dataset-file-bytes`): CSV, Parquet and JSON Lines are profiled and scanned for personal
/// data. Makes a new version with the file added or replaced. A file the profiler cannot read
/// as its name's format says is refused and nothing is kept.
#[utoipa::path(put, path = "/api/v1/org/datasets/{slug}/files/{name}", tag = "steward", security(("token" = [])),
    params(("slug" = String, Path), ("name" = String, Path, description = "file name, e.g. `enrolment.csv`"), AfterParam),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 200, body = DatasetOut), (status = 400, content_type = "application/problem+json", description = "the file does not read as its format; `detail` says where"),
        (status = 404, content_type = "application/problem+json"), (status = 409, content_type = "application/problem+json"),
        (status = 413, content_type = "application/problem+json"), (status = 503, content_type = "application/problem+json")))]
pub async fn put_dataset_file(
    State(state): State<AppState>,
    TokenUser(p): TokenUser,
    Path((slug, name)): Path<(String, String)>,
    Query(q): Query<AfterParam>,
    body: Body,
) -> Result<Json<DatasetOut>, AppError> {
    require(&p, "datasets:write")?;
    mizan_catalog::check_file_name(&name).map_err(|e| bad("name", e.message))?;
    // Look the dataset up before reading the body, so a wrong name costs no upload.
    state.app.org_dataset(p.scope(), &slug, Some(q.after)).await?;
    let limit = state.app.config().limits.dataset_file_bytes;
    let mut upload = state.app.dataset_files().begin("file", limit)?;
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| {
            if std::error::Error::source(&e)
                .is_some_and(<dyn std::error::Error>::is::<http_body_util::LengthLimitError>)
            {
                AppError::from(mizan_app::Error::TooLarge {
                    field: "file".to_owned(),
                    detail: format!("the file is larger than the limit of {limit} bytes"),
                })
            } else {
                bad("file", format!("the upload broke off: {e}"))
            }
        })?;
        upload.write(&chunk)?;
    }
    let staged = upload.finish()?;
    let v = state.app.add_dataset_file(p.scope(), &ActorRef::from(&p), &slug, q.after, &name, staged).await?;
    let view = state.app.org_dataset(p.scope(), &slug, Some(v)).await?;
    Ok(Json(dataset_out(&state.app.config().base_url, &view)))
}

/// Remove a file: makes a new version without it.
#[utoipa::path(delete, path = "/api/v1/org/datasets/{slug}/files/{name}", tag = "steward", security(("token" = [])),
    params(("slug" = String, Path), ("name" = String, Path), AfterParam),
    responses((status = 200, body = DatasetOut), (status = 404, content_type = "application/problem+json"), (status = 409, content_type = "application/problem+json")))]
pub async fn delete_dataset_file(
    State(state): State<AppState>,
    TokenUser(p): TokenUser,
    Path((slug, name)): Path<(String, String)>,
    Query(q): Query<AfterParam>,
) -> Result<Json<DatasetOut>, AppError> {
    require(&p, "datasets:write")?;
    let v = state.app.remove_dataset_file(p.scope(), &ActorRef::from(&p), &slug, q.after, &name).await?;
    let view = state.app.org_dataset(p.scope(), &slug, Some(v)).await?;
    Ok(Json(dataset_out(&state.app.config().base_url, &view)))
}

/// Publish a version. Refused while the scan's direct identifiers have no recorded reason and
/// the tier is open or registered.
#[utoipa::path(post, path = "/api/v1/org/datasets/{slug}/versions/{version}/publish", tag = "steward", security(("token" = [])),
    params(("slug" = String, Path), ("version" = i64, Path, minimum = 1)),
    responses((status = 200, body = DatasetOut), (status = 403, content_type = "application/problem+json", description = "flagged columns need a reason, or the version has no file"),
        (status = 404, content_type = "application/problem+json"), (status = 409, content_type = "application/problem+json", description = "already published")))]
pub async fn publish_dataset(
    State(state): State<AppState>,
    TokenUser(p): TokenUser,
    Path((slug, version)): Path<(String, i64)>,
) -> Result<Json<DatasetOut>, AppError> {
    require(&p, "datasets:write")?;
    state.app.publish_dataset(p.scope(), &ActorRef::from(&p), &slug, version).await?;
    let view = state.app.org_dataset(p.scope(), &slug, Some(version)).await?;
    Ok(Json(dataset_out(&state.app.config().base_url, &view)))
}

fn typed(content_type: &'static str, body: String) -> axum::response::Response {
    use axum::response::IntoResponse as _;
    ([(axum::http::header::CONTENT_TYPE, content_type)], body).into_response()
}

/// A published version in one of the export shapes, served as `content_type`.
async fn export(
    state: &AppState,
    slug: &str,
    version: i64,
    content_type: &'static str,
    shape: impl FnOnce(&mizan_catalog::export::VersionView<'_>) -> String,
) -> Result<axum::response::Response, AppError> {
    let v = state.app.public_dataset(slug, Some(version)).await?;
    let base = &state.app.config().base_url;
    let parts = v.export_parts(base);
    Ok(typed(content_type, shape(&v.export_view(base, &parts))))
}

/// A published version as DCAT-AP 3 JSON-LD (validated in CI with pySHACL against the DCAT-AP 3
/// shapes).
#[utoipa::path(get, path = "/api/v1/datasets/{slug}/versions/{version}/dcat.jsonld", tag = "datasets",
    params(("slug" = String, Path), ("version" = i64, Path, minimum = 1)),
    responses((status = 200, content_type = "application/ld+json", body = Object, description = "DCAT-AP 3"), (status = 404, content_type = "application/problem+json")))]
pub async fn dataset_dcat_jsonld(
    State(state): State<AppState>,
    Path((slug, version)): Path<(String, i64)>,
) -> Result<axum::response::Response, AppError> {
    export(&state, &slug, version, "application/ld+json", |v| {
        mizan_catalog::export::dcat::dataset_jsonld(v).to_string()
    })
    .await
}

/// A published version as DCAT-AP 3 Turtle.
#[utoipa::path(get, path = "/api/v1/datasets/{slug}/versions/{version}/dcat.ttl", tag = "datasets",
    params(("slug" = String, Path), ("version" = i64, Path, minimum = 1)),
    responses((status = 200, content_type = "text/turtle", body = String, description = "DCAT-AP 3"), (status = 404, content_type = "application/problem+json")))]
pub async fn dataset_dcat_turtle(
    State(state): State<AppState>,
    Path((slug, version)): Path<(String, i64)>,
) -> Result<axum::response::Response, AppError> {
    let v = state.app.public_dataset(&slug, Some(version)).await?;
    let base = &state.app.config().base_url;
    let parts = v.export_parts(base);
    Ok(typed(
        "text/turtle; charset=utf-8",
        mizan_catalog::export::dcat::dataset_turtle(&v.export_view(base, &parts)),
    ))
}

/// A published version as Croissant 1.1 with the responsible-AI vocabulary: record sets and
/// fields from the data dictionary and profile (validated in CI with `mlcroissant`).
#[utoipa::path(get, path = "/api/v1/datasets/{slug}/versions/{version}/croissant.json", tag = "datasets",
    params(("slug" = String, Path), ("version" = i64, Path, minimum = 1)),
    responses((status = 200, content_type = "application/ld+json", body = Object, description = "Croissant 1.1"), (status = 404, content_type = "application/problem+json")))]
pub async fn dataset_croissant(
    State(state): State<AppState>,
    Path((slug, version)): Path<(String, i64)>,
) -> Result<axum::response::Response, AppError> {
    export(&state, &slug, version, "application/ld+json", |v| {
        mizan_catalog::export::croissant::metadata(v).to_string()
    })
    .await
}

/// Catalogue paging.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CatalogParams {
    /// Page from 1.
    #[param(minimum = 1, maximum = 100_000)]
    pub page: Option<u64>,
    /// Datasets per page, 1 to 100 (default 50).
    #[param(minimum = 1, maximum = 100)]
    pub per_page: Option<u64>,
}

async fn catalog_page(
    state: &AppState,
    params: &CatalogParams,
    endpoint: &str,
    turtle: bool,
) -> Result<axum::response::Response, AppError> {
    let page = params.page.unwrap_or(1);
    let per_page = params.per_page.unwrap_or(50);
    if !(1..=100_000).contains(&page) {
        return Err(bad("page", "must be 1 to 100000"));
    }
    if !(1..=100).contains(&per_page) {
        return Err(bad("per_page", "must be 1 to 100"));
    }
    // Links to other pages keep a page size that is not the default.
    let endpoint =
        if per_page == 50 { endpoint.to_owned() } else { format!("{endpoint}?per_page={per_page}") };
    let all = state.app.public_datasets().await?;
    let base = &state.app.config().base_url;
    let start = usize::try_from((page - 1) * per_page).unwrap_or(usize::MAX);
    let chosen: Vec<&DatasetView> =
        all.iter().skip(start).take(usize::try_from(per_page).unwrap_or(100)).collect();
    let parts: Vec<_> = chosen.iter().map(|v| v.export_parts(base)).collect();
    let views: Vec<_> = chosen.iter().zip(&parts).map(|(v, p)| v.export_view(base, p)).collect();
    let publisher = mizan_catalog::export::Publisher {
        slug: "mizan".to_owned(),
        name: mizan_catalog::Text::new("Mizan national AI data repository", "میزان قومی اے آئی ڈیٹا ذخیرہ"),
        homepage: format!("{base}/datasets"),
    };
    let title = mizan_catalog::Text::new(
        "Pakistan's national AI data repository",
        "پاکستان کا قومی اے آئی ڈیٹا ذخیرہ",
    );
    let description = mizan_catalog::Text::new(
        "Datasets published by ministries, regulators and institutions for AI research and oversight, with profiles, personal-data scans and access terms.",
        "وزارتوں، ریگولیٹرز اور اداروں کے شائع کردہ ڈیٹاسیٹس، اے آئی تحقیق اور نگرانی کے لیے، پروفائل، ذاتی ڈیٹا کی جانچ اور رسائی کی شرائط کے ساتھ۔",
    );
    let cp = mizan_catalog::export::dcat::CatalogPage {
        base_url: base,
        endpoint: &endpoint,
        title: &title,
        description: &description,
        publisher: &publisher,
        page,
        page_size: per_page,
        total: all.len() as u64,
        datasets: &views,
    };
    Ok(if turtle {
        typed("text/turtle; charset=utf-8", mizan_catalog::export::dcat::catalog_turtle(&cp))
    } else {
        typed("application/ld+json", mizan_catalog::export::dcat::catalog_jsonld(&cp).to_string())
    })
}

/// The whole catalogue as DCAT-AP 3 JSON-LD, each dataset at its newest published version,
/// paged for harvesters (Hydra `first`, `next`, `last`).
#[utoipa::path(get, path = "/api/v1/catalog.jsonld", tag = "datasets", params(CatalogParams),
    responses((status = 200, content_type = "application/ld+json", body = Object, description = "a DCAT-AP 3 catalogue page"), (status = 400, content_type = "application/problem+json")))]
pub async fn catalog_jsonld(
    State(state): State<AppState>,
    Query(params): Query<CatalogParams>,
) -> Result<axum::response::Response, AppError> {
    catalog_page(&state, &params, "/api/v1/catalog.jsonld", false).await
}

/// The whole catalogue as DCAT-AP 3 Turtle, paged as the JSON-LD.
#[utoipa::path(get, path = "/api/v1/catalog.ttl", tag = "datasets", params(CatalogParams),
    responses((status = 200, content_type = "text/turtle", body = String, description = "a DCAT-AP 3 catalogue page"), (status = 400, content_type = "application/problem+json")))]
pub async fn catalog_turtle(
    State(state): State<AppState>,
    Query(params): Query<CatalogParams>,
) -> Result<axum::response::Response, AppError> {
    catalog_page(&state, &params, "/api/v1/catalog.ttl", true).await
}
