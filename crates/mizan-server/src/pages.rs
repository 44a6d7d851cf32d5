//! Page context and template structs. Templates live in `templates/`; every string a person
//! reads comes from the Fluent files through [`Ctx::t`].

use askama::Template;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::{Html, IntoResponse, Response};
use mizan_register::{FIELDS, FieldError, FieldErrorCode, FieldKind, Record, Value};
use mizan_store::Principal;

use crate::AppState;
use crate::auth::MaybeUser;
use crate::csrf::CsrfToken;
use crate::error::AppError;
use crate::i18n::Lang;

/// What the navigation shows for a signed-in user.
#[derive(Debug, Clone)]
pub struct UserNav {
    /// Display name.
    pub name: String,
    /// Organisation name.
    pub org: String,
    /// Provider or government department member.
    pub provider: bool,
    /// Regulator member.
    pub regulator: bool,
    /// Ethics-board reviewer.
    pub reviewer: bool,
    /// May make API tokens (their own, or the organisation's with `tokens:manage`).
    pub tokens: bool,
    /// Where their appeals are (`/app/appeals`, `/regulator/appeals`), if they may read them.
    pub appeals: Option<&'static str>,
    /// May review decisions held by an oversight policy.
    pub oversight: bool,
    /// May publish the organisation's datasets (`datasets:write`).
    pub datasets: bool,
}

/// A number of things, as templates hand it (by value or by reference, of any integer type).
pub trait Count {
    /// The number, 0 for a negative one.
    fn count(&self) -> u64;
}

macro_rules! count_for {
    ($($t:ty),*) => {$(
        impl Count for $t {
            fn count(&self) -> u64 {
                u64::try_from(*self).unwrap_or(0)
            }
        }
    )*};
}
count_for!(u32, u64, usize, i32, i64);

impl<T: Count + ?Sized> Count for &T {
    fn count(&self) -> u64 {
        (**self).count()
    }
}

/// Everything the layout needs: language, CSRF token, who is signed in, where we are.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// Page language.
    pub lang: Lang,
    /// CSRF token for forms.
    pub csrf: String,
    /// Signed-in user, if any.
    pub user: Option<UserNav>,
    /// The principal, for permission checks in handlers.
    pub principal: Option<Principal>,
    /// Current path and query (for the language switch and sign-in return).
    pub path: String,
}

impl Ctx {
    /// Translates a key.
    #[must_use]
    pub fn t(&self, key: &str) -> String {
        self.lang.t(key)
    }

    /// Translates a key with one argument.
    #[must_use]
    pub fn t1(&self, key: &str, name: &str, value: impl std::fmt::Display) -> String {
        self.lang.t_args(key, &[(name, value.to_string())])
    }

    /// Translates a key with one number, so the plural form is chosen by it (`1 system`,
    /// `2 systems`; Urdu by its own plural rules).
    #[must_use]
    pub fn count(&self, key: &str, name: &str, n: impl Count) -> String {
        self.lang.t_count(key, name, n.count())
    }

    /// An event's reason as a reader sees it: an obligation change (`EU-X: in_progress`) names
    /// the status in words, a model card's names the card without its JSON (kept in the record
    /// and the API); any other reason is shown as written.
    #[must_use]
    pub fn event_reason(&self, kind: &str, reason: &str) -> String {
        if kind == "obligation"
            && let Some((id, status)) = reason.rsplit_once(": ")
            && mizan_store::OBLIGATION_STATUSES.contains(&status)
        {
            return format!("{id}: {}", self.code("obligation-status", status));
        }
        // A model card's event carries the whole card for the record; the trail names it.
        if kind == "model-card"
            && let Some((what, _card)) = reason.split_once(": {")
        {
            return what.to_owned();
        }
        reason.to_owned()
    }

    /// A fairness standard's name in the page language (`pk-national` → "National standard").
    #[must_use]
    pub fn preset(&self, name: &str) -> String {
        crate::views::audits::standard_label(self.lang, name)
    }

    /// Translates a dynamic key made of a prefix and a code (`sector-finance`).
    #[must_use]
    pub fn code(&self, prefix: &str, code: &str) -> String {
        if code.is_empty() { String::new() } else { self.lang.t(&format!("{prefix}-{code}")) }
    }

    /// A stored time (RFC 3339) as a date in words (`7 December 2026`), see [`Lang::date_words`].
    #[must_use]
    pub fn date(&self, at: &str) -> String {
        self.lang.date_words(at)
    }

    /// A stored moment (RFC 3339) in words, in Pakistan time, see [`Lang::datetime_words`].
    #[must_use]
    pub fn when(&self, at: &str) -> String {
        self.lang.datetime_words(at)
    }

    /// [`Ctx::date`] of a time.
    #[must_use]
    pub fn date_of(&self, t: time::OffsetDateTime) -> String {
        self.date(&mizan_store::format_time(t))
    }

    /// `text` between a first-strong isolate and a pop (U+2068, U+2069), for places no
    /// markup can go (`<title>`): a right-to-left override inside cannot reorder what is around.
    #[must_use]
    pub fn isolate(&self, text: &str) -> String {
        format!("\u{2068}{text}\u{2069}")
    }

    /// Language code.
    #[must_use]
    pub fn lang_code(&self) -> &'static str {
        self.lang.code()
    }

    /// Text direction.
    #[must_use]
    pub fn dir(&self) -> &'static str {
        self.lang.dir()
    }

    /// Link that switches language and comes back here.
    #[must_use]
    pub fn switch_href(&self) -> String {
        format!("/lang/{}?next={}", self.lang.other().code(), crate::util::url_encode(&self.path))
    }

    /// Name of the other language, written in that language.
    #[must_use]
    pub fn other_lang_name(&self) -> &'static str {
        match self.lang {
            Lang::En => "اردو",
            Lang::Ur => "English",
        }
    }

    /// Code of the other language.
    #[must_use]
    pub fn other_lang_code(&self) -> &'static str {
        self.lang.other().code()
    }
}

impl FromRequestParts<AppState> for Ctx {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let lang = crate::i18n::request_lang(parts);
        let MaybeUser(principal) = MaybeUser::from_request_parts(parts, state).await?;
        let csrf = parts.extensions.get::<CsrfToken>().map(|c| c.0.clone()).unwrap_or_default();
        let user = principal.as_ref().map(|p| UserNav {
            name: p.user.as_ref().map(|u| u.display_name.clone()).unwrap_or_default(),
            org: p.org.name.clone(),
            provider: p.can("systems:read"),
            regulator: p.can("register:queue"),
            reviewer: p.can("review:decide"),
            tokens: p.can("tokens:manage") || p.user.is_some(),
            appeals: p.can("appeals:read").then(|| {
                if mizan_store::RegulatorScope::of(p).is_some() {
                    "/regulator/appeals"
                } else {
                    "/app/appeals"
                }
            }),
            oversight: p.can("oversight:review"),
            datasets: p.can("datasets:write"),
        });
        let path = parts.uri.path_and_query().map_or_else(|| "/".into(), ToString::to_string);
        Ok(Ctx { lang, csrf, user, principal, path })
    }
}

/// Renders a template into a response; a template error is an internal error, never a panic.
pub fn render<T: Template>(t: &T) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => AppError::Internal(format!("template: {e}")).into_response(),
    }
}

/// One field of a record, ready for display.
#[derive(Debug, Clone)]
pub struct FieldRow {
    /// Field key.
    pub key: &'static str,
    /// Translated label.
    pub label: String,
    /// Text to show (single value).
    pub text: String,
    /// Items to show (lists).
    pub items: Vec<String>,
    /// Language of `text`, when it differs from the page (fallback to the other language).
    pub text_lang: Option<&'static str>,
    /// Items are links.
    pub links: bool,
}

/// Rows for every field set in `record`, in catalogue order, with translated codes.
#[must_use]
pub fn field_rows(lang: Lang, record: &Record) -> Vec<FieldRow> {
    FIELDS
        .iter()
        .filter_map(|spec| {
            let value = record.get(spec.key)?;
            let mut row = FieldRow {
                key: spec.key,
                label: lang.t(&format!("field-{}", spec.key)),
                text: String::new(),
                items: vec![],
                text_lang: None,
                links: spec.kind == FieldKind::Links,
            };
            match (spec.kind, value) {
                (FieldKind::Choice(_), Value::Str(code)) => {
                    let prefix = if spec.key == "sector" { "sector" } else { "deployment" };
                    row.text = lang.t(&format!("{prefix}-{code}"));
                }
                (FieldKind::Languages, Value::List(codes)) => {
                    row.items = codes.iter().map(|c| lang.t(&format!("language-{c}"))).collect();
                }
                (_, Value::List(items)) => row.items.clone_from(items),
                (_, Value::Text(t)) => {
                    row.text = t.get(lang.code()).to_owned();
                    let own = if lang == Lang::Ur { &t.ur } else { &t.en };
                    if own.is_empty() {
                        row.text_lang = Some(lang.other().code());
                    }
                }
                (_, Value::Str(s)) => row.text.clone_from(s),
            }
            Some(row)
        })
        .collect()
}

/// A field error in the page's language.
#[must_use]
pub fn field_error_text(lang: Lang, e: &FieldError) -> String {
    let base = e.field.split(['.', '[']).next().unwrap_or(&e.field);
    // A register field has a label; any other form field or JSON path is named as sent.
    let label = match base {
        "" => String::new(),
        b if lang.has(&format!("field-{b}")) => lang.t(&format!("field-{b}")),
        _ => format!("`{}`", e.field),
    };
    let key = match &e.code {
        FieldErrorCode::Unknown => "fielderr-unknown",
        FieldErrorCode::Required => "fielderr-required",
        FieldErrorCode::WrongType { .. } => "fielderr-wrong-type",
        FieldErrorCode::TooLong { .. } => "fielderr-too-long",
        FieldErrorCode::TooMany { .. } => "fielderr-too-many",
        FieldErrorCode::NotAllowed { .. } => "fielderr-not-allowed",
        FieldErrorCode::InvalidDate => "fielderr-date",
        FieldErrorCode::InvalidEmail => "fielderr-email",
        FieldErrorCode::InvalidLink => "fielderr-link",
        FieldErrorCode::EndBeforeStart => "fielderr-end-before-start",
        FieldErrorCode::ControlCharacter { .. } => "fielderr-control",
    };
    let (max, actual) = match &e.code {
        FieldErrorCode::TooLong { max, actual } => (max.to_string(), actual.to_string()),
        FieldErrorCode::TooMany { max } => (max.to_string(), String::new()),
        FieldErrorCode::ControlCharacter { position, character } => (character.clone(), position.to_string()),
        _ => (String::new(), String::new()),
    };
    lang.t_args(key, &[("field", label), ("max", max), ("actual", actual)])
}

/// The error page.
#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    /// Layout context (anonymous: error pages never show user data).
    pub ctx: Ctx,
    /// HTTP status.
    pub status: u16,
    /// Translation key of the title.
    pub title_key: String,
    /// Detail lines.
    pub detail: Vec<String>,
}

impl ErrorPage {
    /// An error page in `lang`.
    #[must_use]
    pub fn new(lang: Lang, status: u16, title_key: &str, detail: Vec<String>) -> Self {
        ErrorPage {
            ctx: Ctx { lang, csrf: String::new(), user: None, principal: None, path: "/".into() },
            status,
            title_key: title_key.to_owned(),
            detail,
        }
    }

    /// Renders to a string; falls back to a minimal page if the template fails.
    #[must_use]
    pub fn render_string(&self) -> String {
        self.render()
            .unwrap_or_else(|_| format!("<!doctype html><title>{0}</title><h1>{0}</h1>", self.status))
    }
}
