//! schema.org `Dataset` JSON-LD for the `<script type="application/ld+json">` of a dataset
//! version's page, so search engines (Google Dataset Search) find the data.
//!
//! Follows Google's Dataset structured-data guidance: `name` and a `description` of 50 to 5000
//! characters (a shorter one is completed with a generated sentence, a longer one cut at a word
//! with an ellipsis), `url`, `identifier`, `keywords`, `license`, `creator`, `temporalCoverage`
//! as an ISO 8601 interval (an open end written `..`), `spatialCoverage` places, and a
//! `DataDownload` per file. Every download is free of charge (`isAccessibleForFree`); a version
//! that is not open says what access needs in `conditionsOfAccess`.
//!
//! Embedding JSON in HTML needs one more step: [`script_safe`] escapes `<`, `>` and `&` so a
//! title holding `</script>` cannot end the script element.

use serde_json::{Value, json};

use super::{VersionView, rfc3339};
use crate::{AccessTier, vocab};

/// Shortest description Google's guidance accepts.
const MIN_DESCRIPTION: usize = 50;
/// Longest description Google's guidance accepts.
const MAX_DESCRIPTION: usize = 5_000;

/// The version as a schema.org `Dataset`.
#[must_use]
pub fn dataset(v: &VersionView) -> Value {
    let m = v.meta;
    let organisation = json!({
        "@type": "Organization",
        "@id": v.publisher.homepage,
        "name": v.publisher.name.en,
        "url": v.publisher.homepage,
    });
    let mut d = json!({
        "@context": "https://schema.org/",
        "@type": "Dataset",
        "@id": v.version_url(),
        "name": m.title.en,
        "description": description(v),
        "url": v.version_url(),
        "identifier": v.version_url(),
        "version": v.version.to_string(),
        "datePublished": rfc3339(v.issued),
        "dateModified": rfc3339(v.modified),
        "inLanguage": ["en", "ur"],
        "isAccessibleForFree": true,
        "creator": organisation,
        "publisher": organisation,
        "includedInDataCatalog": {
            "@type": "DataCatalog",
            "url": format!("{}/datasets", v.base()),
        },
    });
    let Some(obj) = d.as_object_mut() else { return d };
    if !m.title.ur.trim().is_empty() {
        obj.insert("alternateName".into(), json!({ "@language": "ur", "@value": m.title.ur }));
    }
    if !m.keywords.is_empty() {
        obj.insert("keywords".into(), json!(m.keywords));
    }
    if let Some(l) = vocab::licence(&m.licence) {
        obj.insert("license".into(), json!(l.url));
    }
    if m.access != AccessTier::Open {
        let conditions = match m.access {
            AccessTier::Registered => {
                "Download after signing in to Mizan and accepting the terms of use for registered datasets."
            }
            _ => "Download only by an approved access request under a data-sharing agreement.",
        };
        obj.insert("conditionsOfAccess".into(), json!(conditions));
    }
    if m.temporal.start.is_some() || m.temporal.end.is_some() {
        let start = m.temporal.start.as_deref().unwrap_or("..");
        let end = m.temporal.end.as_deref().unwrap_or("..");
        obj.insert("temporalCoverage".into(), json!(format!("{start}/{end}")));
    }
    let places: Vec<Value> = m
        .spatial
        .iter()
        .filter_map(|id| vocab::place(id))
        .map(|p| json!({ "@type": "Place", "name": p.en, "url": format!("{}/places/{}", v.base(), p.id) }))
        .collect();
    if !places.is_empty() {
        obj.insert("spatialCoverage".into(), Value::Array(places));
    }
    let downloads: Vec<Value> = v
        .files
        .iter()
        .map(|f| {
            json!({
                "@type": "DataDownload",
                "name": f.name,
                "encodingFormat": f.format.media_type(),
                "contentUrl": f.download_url,
                "contentSize": format!("{} B", f.bytes),
                "sha256": f.sha256,
            })
        })
        .collect();
    if !downloads.is_empty() {
        obj.insert("distribution".into(), Value::Array(downloads));
    }
    let variables: Vec<Value> = m
        .dictionary
        .iter()
        .map(|c| {
            let mut p = json!({ "@type": "PropertyValue", "name": c.name });
            if !c.description.en.trim().is_empty()
                && let Some(o) = p.as_object_mut()
            {
                o.insert("description".into(), json!(c.description.en));
            }
            if let Some(u) = &c.unit
                && let Some(o) = p.as_object_mut()
            {
                o.insert("unitText".into(), json!(u));
            }
            p
        })
        .collect();
    if !variables.is_empty() {
        obj.insert("variableMeasured".into(), Value::Array(variables));
    }
    d
}

/// The English description, completed or cut to Google's 50 to 5000 characters.
fn description(v: &VersionView) -> String {
    let m = v.meta;
    let mut s = m.description.en.trim().to_owned();
    if s.chars().count() < MIN_DESCRIPTION {
        let extra = format!(
            "{} (version {}), published by {} on Mizan, Pakistan's national AI data repository.",
            m.title.en.trim(),
            v.version,
            v.publisher.name.en.trim()
        );
        s = if s.is_empty() { extra } else { format!("{s} {extra}") };
    }
    if s.chars().count() > MAX_DESCRIPTION {
        let cut: String = s.chars().take(MAX_DESCRIPTION - 1).collect();
        let at_word =
            cut.rfind(char::is_whitespace).filter(|&i| i > MAX_DESCRIPTION / 2).unwrap_or(cut.len());
        s = format!("{}…", cut.get(..at_word).unwrap_or(&cut).trim_end());
    }
    s
}

/// JSON text safe inside `<script type="application/ld+json">`: `<`, `>` and `&` (and the JS
/// line separators U+2028 and U+2029) are written as `\u` escapes, which JSON parsers read back
/// as the same characters, so nothing in a value can close the element or open a comment.
#[must_use]
pub fn script_safe(value: &Value) -> String {
    let s = value.to_string();
    let mut out = String::with_capacity(s.len());
    // The characters escaped here occur only inside JSON strings (serde_json writes no other
    // `<`, `>`, `&`), where a `\u` escape means the same character.
    for c in s.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}
