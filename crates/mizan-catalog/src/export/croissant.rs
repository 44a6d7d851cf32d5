//! Croissant 1.1 metadata with the RAI 1.0 vocabulary: how an ML tool loads a dataset version,
//! checked in CI by `mlcroissant` (`oracles/croissant/`).
//!
//! Each file is a `cr:FileObject` (`contentUrl`, `encodingFormat`, `sha256`, `contentSize`);
//! each tabular file also gets a `cr:RecordSet` whose `cr:Field`s are its columns, typed from
//! the data dictionary or the profile and read with `source.extract.column`. A file Mizan does
//! not profile is a `FileObject` only. The RAI fields carry the steward's text, with what the
//! bias profile and the PII scan found appended (`rai:dataBiases`,
//! `rai:personalSensitiveInformation`).
//!
//! Ids: Croissant resolves `@id`s as relative IRIs and refers to them from `source`, so they
//! are made from file and column names reduced to `[A-Za-z0-9._-]` (anything else becomes
//! `_`), with a numeric suffix where two reduce to the same id; the real names stay in `name`.
//! A version's number `n` is written `n.0.0`, the semantic version Croissant expects.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::{VersionView, rfc3339};
use crate::{ColumnType, vocab};

/// Croissant 1.1's conformance IRI.
pub const CROISSANT_1_1: &str = "http://mlcommons.org/croissant/1.1";
/// The RAI vocabulary's conformance IRI.
pub const RAI_1_0: &str = "http://mlcommons.org/croissant/RAI/1.0";

/// The `@context` of Croissant 1.1 documents, as the specification gives it.
#[must_use]
pub fn context() -> Value {
    json!({
        "@language": "en",
        "@vocab": "https://schema.org/",
        "arrayShape": "cr:arrayShape",
        "citeAs": "cr:citeAs",
        "column": "cr:column",
        "conformsTo": "dct:conformsTo",
        "containedIn": "cr:containedIn",
        "cr": "http://mlcommons.org/croissant/",
        "rai": "http://mlcommons.org/croissant/RAI/",
        "data": { "@id": "cr:data", "@type": "@json" },
        "dataType": { "@id": "cr:dataType", "@type": "@vocab" },
        "dct": "http://purl.org/dc/terms/",
        "description": { "@container": "@language" },
        "equivalentProperty": "cr:equivalentProperty",
        "examples": { "@id": "cr:examples", "@type": "@json" },
        "extract": "cr:extract",
        "field": "cr:field",
        "fileProperty": "cr:fileProperty",
        "fileObject": "cr:fileObject",
        "fileSet": "cr:fileSet",
        "format": "cr:format",
        "includes": "cr:includes",
        "isArray": "cr:isArray",
        "isLiveDataset": "cr:isLiveDataset",
        "jsonPath": "cr:jsonPath",
        "key": "cr:key",
        "md5": "cr:md5",
        "name": { "@container": "@language" },
        "parentField": "cr:parentField",
        "path": "cr:path",
        "recordSet": "cr:recordSet",
        "references": "cr:references",
        "regex": "cr:regex",
        "repeated": "cr:repeated",
        "replace": "cr:replace",
        "samplingRate": "cr:samplingRate",
        "sc": "https://schema.org/",
        "separator": "cr:separator",
        "source": "cr:source",
        "subField": "cr:subField",
        "transform": "cr:transform",
    })
}

/// Croissant's data type for a column type.
#[must_use]
pub fn data_type(t: ColumnType) -> &'static str {
    match t {
        ColumnType::Text => "sc:Text",
        ColumnType::Integer => "sc:Integer",
        ColumnType::Number => "sc:Float",
        ColumnType::Boolean => "sc:Boolean",
        ColumnType::Date => "sc:Date",
        ColumnType::Datetime => "sc:DateTime",
    }
}

/// `s` reduced to `[A-Za-z0-9._-]` for use in an `@id` (never empty).
#[must_use]
pub fn id_part(s: &str) -> String {
    let out: String = s
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') { c } else { '_' })
        .collect();
    if out.is_empty() || out.chars().all(|c| c == '.') { format!("_{out}") } else { out }
}

/// `base`, or `base_2`, `base_3`, ... : the first not yet in `taken`, which it joins.
fn unique(base: String, taken: &mut BTreeSet<String>) -> String {
    let mut id = base.clone();
    let mut n = 2u32;
    while !taken.insert(id.clone()) {
        id = format!("{base}_{n}");
        n += 1;
    }
    id
}

/// The version as Croissant 1.1 JSON-LD.
#[must_use]
pub fn metadata(v: &VersionView) -> Value {
    let m = v.meta;
    let mut taken = BTreeSet::new();
    let mut distribution = Vec::new();
    let mut record_sets = Vec::new();
    for f in v.files {
        let file_id = unique(id_part(&f.name), &mut taken);
        distribution.push(json!({
            "@type": "cr:FileObject",
            "@id": file_id,
            "name": f.name,
            "contentUrl": f.download_url,
            "encodingFormat": f.format.media_type(),
            "contentSize": format!("{} B", f.bytes),
            "sha256": f.sha256,
        }));
        if !f.format.is_tabular() || f.columns.is_empty() {
            continue;
        }
        let stem = f.name.rsplit_once('.').map_or(f.name.as_str(), |(s, _)| s);
        let rs_id = unique(id_part(&format!("{stem}-records")), &mut taken);
        let mut field_ids = BTreeSet::new();
        let fields: Vec<Value> = f
            .columns
            .iter()
            .map(|c| {
                let fid = unique(format!("{rs_id}/{}", id_part(&c.name)), &mut field_ids);
                let mut field = json!({
                    "@type": "cr:Field",
                    "@id": fid,
                    "name": c.name,
                    "dataType": data_type(c.kind),
                    "source": { "fileObject": { "@id": file_id }, "extract": { "column": c.name } },
                });
                if !c.description.trim().is_empty()
                    && let Some(o) = field.as_object_mut()
                {
                    o.insert("description".into(), json!(c.description));
                }
                field
            })
            .collect();
        record_sets.push(json!({
            "@type": "cr:RecordSet",
            "@id": rs_id,
            "name": format!("{} records", f.name),
            "description": format!("The rows of {}.", f.name),
            "field": fields,
        }));
    }
    let creator = json!({
        "@type": "sc:Organization",
        "name": v.publisher.name.en,
        "url": v.publisher.homepage,
    });
    let mut d = json!({
        "@context": context(),
        "@type": "sc:Dataset",
        "conformsTo": [CROISSANT_1_1, RAI_1_0],
        "name": m.title.en,
        "description": m.description.en,
        "url": v.version_url(),
        "sameAs": v.dataset_url(),
        "version": format!("{}.0.0", v.version),
        "datePublished": rfc3339(v.modified),
        "dateModified": rfc3339(v.modified),
        "creator": creator,
        "publisher": creator,
        "keywords": m.keywords,
        "citeAs": format!(
            "{}. {} (version {}). Mizan. {}",
            v.publisher.name.en.trim(),
            m.title.en.trim(),
            v.version,
            v.version_url()
        ),
        "distribution": distribution,
        "recordSet": record_sets,
    });
    let Some(obj) = d.as_object_mut() else { return d };
    if let Some(l) = vocab::licence(&m.licence) {
        obj.insert("license".into(), json!(l.url));
    }
    let rai = [
        ("rai:dataBiases", v.data_biases()),
        ("rai:dataLimitations", m.rai.data_limitations.en.trim().to_owned()),
        ("rai:personalSensitiveInformation", v.personal_sensitive_information()),
        ("rai:dataCollection", m.rai.data_collection.en.trim().to_owned()),
    ];
    for (key, text) in rai {
        if !text.is_empty() {
            obj.insert(key.into(), json!(text));
        }
    }
    d
}
