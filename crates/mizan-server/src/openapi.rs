//! The OpenAPI 3.1 document: its info, security scheme and tags ([`ApiDoc`]), the published
//! formats' JSON Schemas among its components, and the error responses the API's edge gives
//! every operation ([`document`]). The paths come from the router (`router::api_routes`), which
//! registers each handler with its `#[utoipa::path]`.
//!
//! Why the edge's responses are added here rather than written on each handler: a token that
//! does not work (401), a missing permission (403), an unparsable parameter or body (400), an
//! oversized body (413) and a wrong content type (415) are answered by extractors and by
//! `error::render_api_errors` before or around any handler, the same way for every operation.
//! Writing them once, from what the operation declares (security, path parameters, a body),
//! keeps the document true as routes are added; schemathesis (`scripts/fuzz-api`) checks it.

use utoipa::OpenApi;

/// Declares a type that stands, in the OpenAPI document, for a format whose JSON Schema
/// `mizan-formats` publishes: a response `body = ReceiptFormat` becomes a `$ref` to
/// `#/components/schemas/<name>`, and [`with_format_schemas`] puts the published schema there.
macro_rules! format_schema {
    ($ty:ident, $name:literal, $doc:literal) => {
        #[doc = $doc]
        pub struct $ty;

        impl utoipa::PartialSchema for $ty {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::Ref::from_schema_name($name).into()
            }
        }

        impl utoipa::ToSchema for $ty {
            fn name() -> std::borrow::Cow<'static, str> {
                $name.into()
            }
        }
    };
}

format_schema!(ReceiptFormat, "mizan.receipt-1", "The `mizan.receipt/1` document.");
format_schema!(ExplanationFormat, "mizan.explanation-1", "The `mizan.explanation/1` document.");

/// Bilingual text as the register keeps it (`mizan_register::Text`): English and/or Urdu, each
/// left out when empty. Stands in the document for a field served as that JSON object.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // described, never built: the field holds the register's own JSON
pub struct BilingualText {
    /// English.
    en: Option<String>,
    /// Urdu.
    ur: Option<String>,
}

/// The OpenAPI document with each published format's JSON Schema among its components
/// (OpenAPI 3.1 schemas are JSON Schema 2020-12), under the name it is served by, so the
/// responses that are those formats are described by the very schema outsiders validate
/// against, written once in `mizan-formats`. Each schema's `$id` and `$schema` are dropped
/// (the document's dialect is 2020-12 already), and so is its `title` (the format's name, as
/// `mizan.receipt/1`: openapi-python-client names a model after the title's last `/` segment,
/// so every format became a class `Field1` and all but one were dropped). Its `$defs` become
/// components of their own, `<name>.<def>`, and its `#/$defs/<def>` references point there:
/// generators resolve references to components, not into one (openapi-python-client dropped
/// the explanation, model card and oversight policy schemas for it; `scripts/conformance`).
///
/// # Errors
/// A published schema that is not JSON (a bug the `mizan-formats` tests rule out).
fn with_format_schemas(doc: &mut serde_json::Value) -> Result<(), String> {
    let schemas = doc
        .pointer_mut("/components/schemas")
        .and_then(serde_json::Value::as_object_mut)
        .ok_or("the OpenAPI document has no components")?;
    for (name, text) in mizan_formats::SCHEMAS {
        let text = text.replace("\"#/$defs/", &format!("\"#/components/schemas/{name}."));
        let mut schema: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| format!("{name}: {e}"))?;
        if let Some(o) = schema.as_object_mut() {
            o.remove("$id");
            o.remove("$schema");
            o.remove("title");
            if let Some(serde_json::Value::Object(defs)) = o.remove("$defs") {
                for (def, sub) in defs {
                    schemas.insert(format!("{name}.{def}"), sub);
                }
            }
        }
        schemas.insert((*name).to_owned(), schema);
    }
    Ok(())
}

/// The served document: the router's `doc` with the formats' schemas among its components
/// ([`with_format_schemas`]) and the edge's error responses on every operation
/// ([`with_edge_responses`]).
///
/// # Errors
/// A published schema that is not JSON (a bug the `mizan-formats` tests rule out).
pub fn document(doc: &utoipa::openapi::OpenApi) -> Result<serde_json::Value, String> {
    let mut doc = serde_json::to_value(doc).map_err(|e| e.to_string())?;
    with_format_schemas(&mut doc)?;
    if let Some(schemas) = doc.pointer_mut("/components/schemas").and_then(serde_json::Value::as_object_mut) {
        schemas.insert("Record".to_owned(), record_schema());
    }
    with_edge_responses(&mut doc);
    with_text_patterns(&mut doc);
    Ok(doc)
}

/// A character a request's text may hold: anything but the C0 controls other than tab, newline
/// and carriage return, DEL, U+FFFE and U+FFFF (`mizan_register::forbidden_char`; the API
/// refuses them naming the field).
const TEXT_CHAR: &str = "[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F\\uFFFE\\uFFFF]";
/// A text character that is not white space either.
const SOLID_CHAR: &str = "[^\\u0000-\\u0020\\u007F\\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000\\uFFFE\\uFFFF]";

/// States, on every string a JSON request body holds (following `$ref`s into the components),
/// the characters the API accepts: a `pattern` of [`TEXT_CHAR`]s (one solid character required
/// where the schema already asked for [`NON_BLANK`]). Strings with a format or a fixed set of
/// values are left alone.
fn with_text_patterns(doc: &mut serde_json::Value) {
    use serde_json::Value;
    fn walk(v: &mut Value, refs: &mut Vec<String>) {
        match v {
            Value::Object(o) => {
                if let Some(Value::String(r)) = o.get("$ref")
                    && let Some(name) = r.strip_prefix("#/components/schemas/")
                {
                    refs.push(name.to_owned());
                }
                let is_string = match o.get("type") {
                    Some(Value::String(t)) => t == "string",
                    Some(Value::Array(ts)) => ts.iter().any(|t| t == "string"),
                    _ => false,
                };
                let fixed =
                    ["format", "enum", "const", "contentMediaType"].iter().any(|k| o.contains_key(*k));
                if is_string && !fixed {
                    let pattern = match o.get("pattern").and_then(Value::as_str) {
                        None => Some(format!("^{TEXT_CHAR}*$")),
                        Some(p) if p == NON_BLANK => Some(format!("^{TEXT_CHAR}*{SOLID_CHAR}{TEXT_CHAR}*$")),
                        // "anything" in a pattern of our own (a link's rest) is any text character
                        Some(p) if p.contains("[\\s\\S]") => Some(p.replace("[\\s\\S]", TEXT_CHAR)),
                        Some(_) => None,
                    };
                    if let Some(p) = pattern {
                        o.insert("pattern".into(), Value::String(p));
                    }
                }
                for (_, child) in o.iter_mut() {
                    walk(child, refs);
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|x| walk(x, refs)),
            _ => {}
        }
    }
    let mut refs = Vec::new();
    if let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) {
        for (_, item) in paths.iter_mut() {
            let Some(item) = item.as_object_mut() else { continue };
            for (_, op) in item.iter_mut() {
                if let Some(schema) = op.pointer_mut("/requestBody/content/application~1json/schema") {
                    walk(schema, &mut refs);
                }
            }
        }
    }
    let mut done = std::collections::BTreeSet::new();
    while let Some(name) = refs.pop() {
        if !done.insert(name.clone()) {
            continue;
        }
        if let Some(schema) = doc.pointer_mut(&format!("/components/schemas/{name}")) {
            walk(schema, &mut refs);
        }
    }
}

/// The name of the RFC 9457 problem schema among the components.
const PROBLEM: &str = "Problem";

/// The RFC 9457 problem+json body of every API error (see `error::render_api_errors`).
fn problem_schema() -> serde_json::Value {
    serde_json::json!({
        "type": "object",
        "description": "An RFC 9457 problem: what went wrong, and the field at fault where there is one.",
        "required": ["type", "title", "status", "detail", "instance", "request_id"],
        "properties": {
            "type": {"type": "string", "description": "A URI naming the kind of problem."},
            "title": {"type": "string", "description": "The kind of problem, in English."},
            "status": {"type": "integer", "minimum": 400, "maximum": 599, "description": "The HTTP status."},
            "detail": {"type": "string", "description": "What is wrong with this request."},
            "instance": {"type": "string", "description": "The path requested."},
            "request_id": {"type": "string", "description": "Quote it to correlate with the server's log."},
            "field": {"type": ["string", "null"], "description": "The field or parameter at fault."},
            "errors": {
                "type": "array",
                "description": "Every field that failed validation (422).",
                "items": {"type": "object", "additionalProperties": true},
            },
        },
    })
}

/// Adds, to every operation, the error responses the API's edge can give it, and to every
/// response without one a description (OpenAPI requires it) and, for problem+json, the
/// [`PROBLEM`] schema:
/// - 400 where there is a parameter or a body to get wrong;
/// - 401 (no token, or one unknown, expired or revoked) and 403 (a missing permission) where
///   the operation needs a token;
/// - 404 where there is a path parameter naming something;
/// - 413 (too large) and 415 (wrong content type) where there is a body.
fn with_edge_responses(doc: &mut serde_json::Value) {
    use serde_json::{Value, json};
    if let Some(schemas) = doc.pointer_mut("/components/schemas").and_then(Value::as_object_mut) {
        schemas.insert(PROBLEM.to_owned(), problem_schema());
    }
    let problem = || json!({"application/problem+json": {"schema": {"$ref": format!("#/components/schemas/{PROBLEM}")}}});
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else { return };
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else { continue };
        for (method, op) in item.iter_mut() {
            if !["get", "put", "post", "delete", "patch"].contains(&method.as_str()) {
                continue;
            }
            let Some(op) = op.as_object_mut() else { continue };
            let has_body = op.contains_key("requestBody");
            let json_body =
                op.get("requestBody").and_then(|b| b.pointer("/content/application~1json")).is_some();
            let has_params = op.get("parameters").and_then(Value::as_array).is_some_and(|p| !p.is_empty());
            let secured = op.get("security").and_then(Value::as_array).is_some_and(|s| !s.is_empty());
            let responses = op.entry("responses").or_insert_with(|| json!({}));
            let Some(responses) = responses.as_object_mut() else { continue };
            let mut add = |status: &str, description: &str| {
                responses
                    .entry(status)
                    .or_insert_with(|| json!({"description": description, "content": problem()}));
            };
            if has_params || has_body {
                add("400", "a parameter or the body is malformed; `field` names it");
            }
            if secured {
                add("401", "no API token, or one that is unknown, expired or revoked");
                add("403", "the token lacks a permission this needs");
            }
            if path.contains('{') {
                add("404", "nothing by that name, or nothing the caller may see");
            }
            if has_body {
                add("413", "the body is larger than this operation accepts");
                add("415", "the body is not of the documented content type");
            }
            if json_body {
                add("422", "a field holds a control character or is otherwise invalid; `field` names it");
            }
            for (status, response) in responses.iter_mut() {
                let Some(response) = response.as_object_mut() else { continue };
                let empty = response.get("description").and_then(Value::as_str).is_none_or(str::is_empty);
                if empty {
                    response.insert("description".into(), json!(default_description(status)));
                }
                if let Some(Value::Object(media)) = response
                    .get_mut("content")
                    .and_then(|c| c.as_object_mut().and_then(|c| c.get_mut("application/problem+json")))
                {
                    media
                        .entry("schema")
                        .or_insert_with(|| json!({"$ref": format!("#/components/schemas/{PROBLEM}")}));
                }
            }
        }
    }
}

/// What a response with this status means when its operation says nothing more.
fn default_description(status: &str) -> &'static str {
    match status {
        "200" => "the result",
        "201" => "created",
        "204" => "done; nothing to return",
        "400" => "a parameter or the body is malformed; `field` names it",
        "401" => "no API token, or one that is unknown, expired or revoked",
        "403" => "the token lacks a permission this needs, or the action is refused",
        "404" => "nothing by that name, or nothing the caller may see",
        "409" => "the request conflicts with the current state",
        "413" => "the body is larger than this operation accepts",
        "415" => "the body is not of the documented content type",
        "422" => "a field failed validation; `errors` lists each",
        _ => "see the problem's detail",
    }
}

/// A character `str::trim` keeps (Unicode `White_Space` spelled out, so that every regular
/// expression dialect reads it alike): a string the server requires "non-blank" must hold one.
pub const NON_BLANK: &str =
    "[^\\t\\n\\u000B\\f\\r \\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000]";

/// A string of at most `max` characters with something in it besides white space: what the
/// API means by a required text such as a reason.
#[must_use]
pub fn non_blank(max: usize, description: &str) -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(1))
        .max_length(Some(max))
        .pattern(Some(NON_BLANK))
        .description(Some(description))
        .into()
}

/// A string that is one of `values`.
#[must_use]
pub fn one_of_strings<'a>(
    values: impl IntoIterator<Item = &'a str>,
    description: &str,
) -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(values))
        .description(Some(description))
        .into()
}

/// A transparency record as `POST /api/v1/org/systems` and `PUT .../systems/{id}` take it:
/// field key → value, each field as `mizan_register::Record::from_json` accepts it (built from
/// `mizan_register::FIELDS`, so a new field is documented when it is catalogued). `null` or an
/// empty value leaves a field unset. What JSON Schema cannot say: the end date may not precede
/// the start date (422 names `end_date`).
pub struct RecordIn;

impl utoipa::PartialSchema for RecordIn {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        // A reference: [`document`] puts [`record_schema`] among the components, as JSON.
        utoipa::openapi::Ref::from_schema_name("Record").into()
    }
}

impl utoipa::ToSchema for RecordIn {
    fn name() -> std::borrow::Cow<'static, str> {
        "Record".into()
    }
}

/// The characters `str::trim` removes (Unicode `White_Space`), spelled out for a character class.
const WS_CHARS: &str = r"\t\n\u000B\f\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000";

fn record_schema() -> serde_json::Value {
    use mizan_register::{FIELDS, FieldKind, LANGUAGES};
    use serde_json::json;
    let ws = format!("[{WS_CHARS}]*");
    // Lists may also come as one string of items separated by commas or new lines, each
    // trimmed, blank ones dropped (as forms send them).
    let list_string = |item: &str| {
        let part = format!("{ws}({item})?{ws}");
        json!({"type": "string", "pattern": format!("^{part}([,\\n]{part})*$")})
    };
    let mut properties = serde_json::Map::new();
    for f in FIELDS {
        let max = f.max_len;
        let one = match f.kind {
            FieldKind::Text { .. } => json!({"anyOf": [
                {"type": "string", "maxLength": max},
                {"type": "object", "additionalProperties": false, "properties": {
                    "en": {"type": "string", "maxLength": max},
                    "ur": {"type": "string", "maxLength": max},
                }},
            ]}),
            FieldKind::Plain => json!({"type": "string", "maxLength": max}),
            FieldKind::Choice(allowed) => {
                json!({"type": "string", "pattern": format!("^{ws}({})?{ws}$", allowed.join("|"))})
            }
            FieldKind::Email => {
                let (c, d) = (format!("[^@{WS_CHARS}]"), format!("[^@.{WS_CHARS}]"));
                json!({"type": "string", "maxLength": max,
                    "pattern": format!("^{ws}({c}+@{d}{c}*\\.{c}*{d})?{ws}$")})
            }
            // Days 29 to 31 only where every year has them: 29 February, valid in leap
            // years, is accepted but not promised.
            FieldKind::Date => json!({"type": "string", "pattern": format!(
                "^{ws}((19[0-9][0-9]|2[01][0-9][0-9]|2200)-((0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])|(0[13-9]|1[0-2])-(29|30)|(0[13578]|1[02])-31))?{ws}$"
            )}),
            FieldKind::Links => json!({"anyOf": [
                {"type": "array", "items": {"type": "string", "maxLength": max,
                    "pattern": format!("^{ws}(https?://[\\s\\S]*)?$")}},
                list_string("https?://[^,\\n]*"),
            ]}),
            FieldKind::Languages => json!({"anyOf": [
                {"type": "array",
                    "items": {"type": "string", "pattern": format!("^{ws}({})?{ws}$", LANGUAGES.join("|"))}},
                list_string(&LANGUAGES.join("|")),
            ]}),
        };
        let mut value = json!({"anyOf": [one, {"type": "null"}]});
        if matches!(f.kind, FieldKind::Links | FieldKind::Languages) {
            // Blank items are dropped before counting, so the limit is not a `maxItems`.
            value["description"] = json!(format!("At most {} items that are not blank.", f.max_items));
        }
        properties.insert(f.key.to_owned(), value);
    }
    json!({
        "type": "object",
        "description": "A transparency record: field key → value. Text is a string (English) or {\"en\", \"ur\"}; null or empty leaves a field unset; the end date may not precede the start date.",
        "additionalProperties": false,
        "properties": properties,
    })
}

struct TokenAuth;

impl utoipa::Modify for TokenAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The OpenAPI 3.1 document of this API, but for its paths (the router adds them).
#[derive(OpenApi)]
#[openapi(
    info(title = "Mizan API", description = "Pakistan's public register of AI systems: read it, report errors, and (with a token) manage your organisation's records. Errors are RFC 9457 problem+json. No text may hold the NUL character (U+0000): a JSON body with `\\u0000`, or a URL with `%00`, is refused with 400."),
    modifiers(&TokenAuth),
    tags((name = "register", description = "the public register"), (name = "downloads", description = "bulk data"),
         (name = "provider", description = "an organisation's own systems"), (name = "regulator", description = "the regulator's work"),
         (name = "review", description = "the ethics board's independent review"),
         (name = "decisions", description = "logged automated decisions, receipts and proofs"),
         (name = "audits", description = "fairness audits (bias assessments) of system versions"),
         (name = "appeals", description = "appeals against automated decisions: filed with a receipt reference, decided by a person, escalated to the regulator"),
         (name = "oversight", description = "human oversight: which decisions a person must review before they take effect, the review, and reviewers' agreement with the AI"),
         (name = "datasets", description = "the national AI data repository: search, versions, profiles, metadata (DCAT-AP 3, Croissant 1.1)"),
         (name = "steward", description = "an organisation's datasets: create, upload files, change metadata, publish"),
         (name = "grid", description = "the national compute grid's public figures: allocations and CPU- and GPU-time granted and used, per province, institution kind, sector and month, and utilisation"),
         (name = "sandbox", description = "the privacy-safe data sandbox: differentially private queries of an approved project, with a project token (`mzd_...`), under a budget recorded in the events log"),
         (name = "schemas", description = "JSON Schemas of the formats Mizan publishes"))
)]
pub struct ApiDoc;
