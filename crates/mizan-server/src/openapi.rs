//! The OpenAPI 3.1 document: its info, security scheme and tags ([`ApiDoc`]), and the
//! published formats' JSON Schemas among its components. The paths come from the router
//! (`router::api_routes`), which registers each handler with its `#[utoipa::path]`.

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

/// The OpenAPI document with each published format's JSON Schema among its components
/// (OpenAPI 3.1 schemas are JSON Schema 2020-12), under the name it is served by, so the
/// responses that are those formats are described by the very schema outsiders validate
/// against, written once in `mizan-formats`. Each schema's `$id` and `$schema` are dropped
/// (the document's dialect is 2020-12 already) and its `#/$defs/...` references are made
/// absolute within the document.
///
/// # Errors
/// A published schema that is not JSON (a bug the `mizan-formats` tests rule out).
pub fn with_format_schemas(doc: &utoipa::openapi::OpenApi) -> Result<serde_json::Value, String> {
    let mut doc = serde_json::to_value(doc).map_err(|e| e.to_string())?;
    let schemas = doc
        .pointer_mut("/components/schemas")
        .and_then(serde_json::Value::as_object_mut)
        .ok_or("the OpenAPI document has no components")?;
    for (name, text) in mizan_formats::SCHEMAS {
        let text = text.replace("\"#/$defs/", &format!("\"#/components/schemas/{name}/$defs/"));
        let mut schema: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| format!("{name}: {e}"))?;
        if let Some(o) = schema.as_object_mut() {
            o.remove("$id");
            o.remove("$schema");
        }
        schemas.insert((*name).to_owned(), schema);
    }
    Ok(doc)
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
    info(title = "Mizan API", description = "Pakistan's public register of AI systems: read it, report errors, and (with a token) manage your organisation's records."),
    modifiers(&TokenAuth),
    tags((name = "register", description = "the public register"), (name = "downloads", description = "bulk data"),
         (name = "provider", description = "an organisation's own systems"), (name = "regulator", description = "the regulator's work"),
         (name = "review", description = "the ethics board's independent review"),
         (name = "decisions", description = "logged automated decisions, receipts and proofs"),
         (name = "audits", description = "fairness audits (bias assessments) of system versions"),
         (name = "schemas", description = "JSON Schemas of the formats Mizan publishes"))
)]
pub struct ApiDoc;
