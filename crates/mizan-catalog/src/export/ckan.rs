//! CKAN 2.10's shapes for a read-only Action API (`/api/3/action/package_search`,
//! `package_show`, `package_list`, `organization_list`, `resource_show`), so existing CKAN
//! clients and harvesters (`ckanapi`, `ckanext-harvest`) read Mizan unchanged.
//!
//! A CKAN package is a dataset as its newest version describes it: `name` and `id` are the
//! slug (CKAN clients treat ids as opaque strings, and `package_show` accepts either),
//! `version` the version number. A resource's id is `{slug}-v{version}-{index}`: stable,
//! readable, unique across the site, and it names the exact immutable file. Licences use
//! CKAN's default licence ids where one matches (`cc-by`, `cc-by-sa`, `cc-zero`, `odc-by`,
//! `odc-odbl`; any other open licence is `other-open`, any closed one `other-closed`), with
//! our exact title and URL in `license_title` and `license_url`. Extras use `ckanext-dcat`'s
//! keys (`identifier`, `access_rights`, `frequency`, `theme`, `temporal_start`,
//! `temporal_end`, `spatial_text`; not `spatial`, which `ckanext-spatial` parses as GeoJSON),
//! plus `mizan_access_tier`. Times are CKAN's: UTC without a zone, with microseconds.

use serde_json::{Value, json};

use super::{Publisher, VersionView};
use crate::{FileFormat, vocab};

/// The id of file `index` of a version: `{slug}-v{version}-{index}`.
#[must_use]
pub fn resource_id(slug: &str, version: u32, index: usize) -> String {
    format!("{slug}-v{version}-{index}")
}

/// A time as CKAN writes it: `2024-01-02T03:04:05.123456` (UTC, no zone).
#[must_use]
pub fn ckan_time(t: time::OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.microsecond()
    )
}

/// CKAN's licence id for one of ours (see the module's notes).
#[must_use]
pub fn licence_id(id: &str) -> &'static str {
    match id {
        "cc-by-4.0" => "cc-by",
        "cc-by-sa-4.0" => "cc-by-sa",
        "cc0-1.0" => "cc-zero",
        "odc-by-1.0" => "odc-by",
        "odbl-1.0" => "odc-odbl",
        other if vocab::licence(other).is_some_and(|l| l.open) => "other-open",
        _ => "other-closed",
    }
}

fn format_name(f: FileFormat) -> &'static str {
    match f {
        FileFormat::Csv => "CSV",
        FileFormat::Parquet => "Parquet",
        FileFormat::Jsonl => "JSONL",
        FileFormat::Other => "",
    }
}

/// An organisation dict (`organization_list` with `all_fields`, and inside a package).
#[must_use]
pub fn organization(p: &Publisher, package_count: u64) -> Value {
    json!({
        "id": p.slug,
        "name": p.slug,
        "title": p.name.en,
        "display_name": p.name.en,
        "description": p.name.ur,
        "image_url": "",
        "is_organization": true,
        "type": "organization",
        "state": "active",
        "approval_status": "approved",
        "package_count": package_count,
    })
}

/// The resource dict of file `index` (`resource_show`, and inside a package); `None` when
/// the version has no such file.
#[must_use]
pub fn resource(v: &VersionView, index: usize) -> Option<Value> {
    let f = v.files.get(index)?;
    Some(json!({
        "id": resource_id(v.slug, v.version, index),
        "package_id": v.slug,
        "name": f.name,
        "description": format!("{} file of version {}.", f.format.label(), v.version),
        "url": f.download_url,
        "format": format_name(f.format),
        "mimetype": f.format.media_type(),
        "mimetype_inner": null,
        "size": f.bytes,
        "hash": f.sha256,
        "hash_algorithm": "sha256",
        "position": index,
        "created": ckan_time(v.modified),
        "last_modified": ckan_time(v.modified),
        "metadata_modified": ckan_time(v.modified),
        "datastore_active": false,
        "url_type": null,
        "resource_type": null,
        "cache_url": null,
        "state": "active",
    }))
}

/// The package dict of a version (`package_show`, and each of `package_search`'s results).
#[must_use]
pub fn package(v: &VersionView) -> Value {
    let m = v.meta;
    let licence = vocab::licence(&m.licence);
    let tags: Vec<Value> = m
        .keywords
        .iter()
        .map(|k| json!({ "name": k, "display_name": k, "state": "active", "vocabulary_id": null }))
        .collect();
    let resources: Vec<Value> = (0..v.files.len()).filter_map(|i| resource(v, i)).collect();
    let mut extras = vec![
        ("identifier", v.version_url()),
        ("mizan_access_tier", m.access.id().to_owned()),
        ("access_rights", super::dcat_access_right_uri(m.access)),
    ];
    if let Some(f) = vocab::frequency(&m.frequency) {
        extras.push((
            "frequency",
            format!("http://publications.europa.eu/resource/authority/frequency/{}", f.id),
        ));
    }
    let themes: Vec<String> = m
        .themes
        .iter()
        .filter_map(|t| vocab::theme(t))
        .map(|t| format!("http://publications.europa.eu/resource/authority/data-theme/{}", t.id))
        .collect();
    if !themes.is_empty() {
        extras.push(("theme", Value::from(themes).to_string()));
    }
    if let Some(s) = &m.temporal.start {
        extras.push(("temporal_start", s.clone()));
    }
    if let Some(e) = &m.temporal.end {
        extras.push(("temporal_end", e.clone()));
    }
    let places: Vec<&str> = m.spatial.iter().filter_map(|p| vocab::place(p)).map(|p| p.en.as_str()).collect();
    if !places.is_empty() {
        extras.push(("spatial_text", places.join("; ")));
    }
    if !m.title.ur.trim().is_empty() {
        extras.push(("title_ur", m.title.ur.clone()));
    }
    if !m.description.ur.trim().is_empty() {
        extras.push(("notes_ur", m.description.ur.clone()));
    }
    let extras: Vec<Value> = extras.into_iter().map(|(k, val)| json!({ "key": k, "value": val })).collect();
    json!({
        "id": v.slug,
        "name": v.slug,
        "title": m.title.en,
        "notes": m.description.en,
        "url": v.dataset_url(),
        "version": v.version.to_string(),
        "license_id": licence_id(&m.licence),
        "license_title": licence.map_or(m.licence.as_str(), |l| l.title.en.as_str()),
        "license_url": licence.map_or("", |l| l.url.as_str()),
        "isopen": licence.is_some_and(|l| l.open) && super::is_open(m),
        "author": v.publisher.name.en,
        "author_email": null,
        "maintainer": m.contact.name,
        "maintainer_email": m.contact.email,
        "organization": organization(v.publisher, 0),
        "owner_org": v.publisher.slug,
        "private": false,
        "state": "active",
        "type": "dataset",
        "metadata_created": ckan_time(v.issued),
        "metadata_modified": ckan_time(v.modified),
        "tags": tags,
        "num_tags": m.keywords.len(),
        "groups": [],
        "extras": extras,
        "resources": resources,
        "num_resources": v.files.len(),
        "relationships_as_object": [],
        "relationships_as_subject": [],
    })
}

/// `package_search`'s result: the matching count and one page of packages.
#[must_use]
pub fn search_result(count: u64, results: Vec<Value>, sort: &str) -> Value {
    json!({ "count": count, "results": results, "sort": sort, "facets": {}, "search_facets": {} })
}

/// The Action API's success envelope.
#[must_use]
pub fn success(help_url: &str, result: Value) -> Value {
    json!({ "help": help_url, "success": true, "result": result })
}

/// An Action API error, as CKAN reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// No such package, resource or organisation (HTTP 404, `Not Found Error`).
    NotFound,
    /// A parameter is wrong (HTTP 409, `Validation Error`, the field named as a key).
    Validation {
        /// The parameter (`rows`).
        field: String,
        /// What is wrong with it.
        message: String,
    },
    /// A search query CKAN would refuse (HTTP 409, `Search Query Error`).
    SearchQuery(String),
    /// The request itself is malformed, such as a body that is not JSON (HTTP 400).
    BadRequest(String),
    /// Not allowed (HTTP 403, `Authorization Error`).
    Authorization(String),
}

impl ApiError {
    /// The HTTP status CKAN answers with.
    #[must_use]
    pub fn status(&self) -> u16 {
        match self {
            ApiError::NotFound => 404,
            ApiError::Validation { .. } | ApiError::SearchQuery(_) => 409,
            ApiError::BadRequest(_) => 400,
            ApiError::Authorization(_) => 403,
        }
    }
}

/// The Action API's error envelope: `{"help", "success": false, "error": {"__type", ...}}`.
#[must_use]
pub fn error(help_url: &str, e: &ApiError) -> Value {
    let body = match e {
        ApiError::NotFound => json!({ "__type": "Not Found Error", "message": "Not found" }),
        ApiError::Validation { field, message } => {
            let mut o = serde_json::Map::new();
            o.insert("__type".into(), json!("Validation Error"));
            o.insert(field.clone(), json!([message]));
            Value::Object(o)
        }
        ApiError::SearchQuery(m) => json!({ "__type": "Search Query Error", "message": m }),
        ApiError::BadRequest(m) => json!({ "__type": "Bad Request", "message": m }),
        ApiError::Authorization(m) => json!({ "__type": "Authorization Error", "message": m }),
    };
    json!({ "help": help_url, "success": false, "error": body })
}
