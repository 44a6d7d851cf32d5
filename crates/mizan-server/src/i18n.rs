//! English and Urdu for every page and message.
//!
//! Messages live in Fluent files under `locales/` and are embedded at build time. A request's
//! language comes from `?lang=`, then the `mizan_lang` cookie, then `Accept-Language`, then
//! English. Urdu pages are `lang="ur" dir="rtl"`.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{Loader, static_loader};
use std::borrow::Cow;
use std::collections::HashMap;

static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "en",
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

/// A page language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// English.
    #[default]
    En,
    /// Urdu.
    Ur,
}

impl Lang {
    /// BCP 47 code.
    #[must_use]
    pub const fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ur => "ur",
        }
    }

    /// Text direction.
    #[must_use]
    pub const fn dir(self) -> &'static str {
        match self {
            Lang::En => "ltr",
            Lang::Ur => "rtl",
        }
    }

    /// The other language, for the switch link.
    #[must_use]
    pub const fn other(self) -> Lang {
        match self {
            Lang::En => Lang::Ur,
            Lang::Ur => Lang::En,
        }
    }

    /// Parses `en` or `ur` (with any region).
    #[must_use]
    pub fn parse(s: &str) -> Option<Lang> {
        let primary = s.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "en" => Some(Lang::En),
            "ur" => Some(Lang::Ur),
            _ => None,
        }
    }

    /// Picks the best supported language from an `Accept-Language` header by q-value
    /// (RFC 9110 §12.5.4); ties keep header order.
    #[must_use]
    pub fn negotiate(accept_language: &str) -> Option<Lang> {
        let mut best: Option<(f32, Lang)> = None;
        for item in accept_language.split(',') {
            let mut parts = item.split(';');
            let Some(tag) = parts.next() else { continue };
            let q = parts
                .find_map(|p| p.trim().strip_prefix("q=").and_then(|v| v.trim().parse::<f32>().ok()))
                .unwrap_or(1.0);
            if let Some(lang) = Lang::parse(tag)
                && q > 0.0
                && best.is_none_or(|(bq, _)| q > bq)
            {
                best = Some((q, lang));
            }
        }
        best.map(|(_, l)| l)
    }

    /// The words of a bilingual text in this language.
    #[must_use]
    pub fn pick(self, text: &mizan_rules::Bilingual) -> String {
        if self == Lang::Ur { text.ur.clone() } else { text.en.clone() }
    }

    /// Looks up a message; a missing key shows the key itself so it is noticed, never a blank.
    #[must_use]
    pub fn t(self, key: &str) -> String {
        let id = self.id();
        LOCALES.try_lookup(&id, key).unwrap_or_else(|| key.to_owned())
    }

    /// Looks up a message with named arguments.
    #[must_use]
    pub fn t_args(self, key: &str, args: &[(&str, String)]) -> String {
        let map: HashMap<Cow<'static, str>, FluentValue<'_>> =
            args.iter().map(|(k, v)| (Cow::Owned((*k).to_owned()), FluentValue::from(v.clone()))).collect();
        LOCALES.try_lookup_with_args(&self.id(), key, &map).unwrap_or_else(|| key.to_owned())
    }

    /// Looks up a message with one numeric argument, so plural forms are chosen by number.
    #[must_use]
    pub fn t_count(self, key: &str, name: &str, n: u64) -> String {
        let map: HashMap<Cow<'static, str>, FluentValue<'_>> =
            std::iter::once((Cow::Owned(name.to_owned()), FluentValue::from(n))).collect();
        LOCALES.try_lookup_with_args(&self.id(), key, &map).unwrap_or_else(|| key.to_owned())
    }

    fn id(self) -> fluent_templates::LanguageIdentifier {
        match self {
            Lang::En => fluent_templates::langid!("en"),
            Lang::Ur => fluent_templates::langid!("ur"),
        }
    }

    /// The day of an RFC 3339 time in words, in UTC: `3 May 2026`, `3 مئی 2026`. A value that
    /// is not a time is shown as it is.
    #[must_use]
    pub fn date_words(self, rfc3339: &str) -> String {
        let Ok(t) = time::OffsetDateTime::parse(rfc3339, &time::format_description::well_known::Rfc3339)
        else {
            return rfc3339.to_owned();
        };
        let t = t.to_offset(time::UtcOffset::UTC);
        let month = self.t(&format!("month-{}", u8::from(t.month())));
        self.t_args(
            "date-words",
            &[("day", t.day().to_string()), ("month", month), ("year", t.year().to_string())],
        )
    }

    /// A moment (RFC 3339) in words in Pakistan time (UTC+5, no daylight saving): `7 December
    /// 2026 at 14:23 Pakistan time`, in Urdu with Urdu month names. The exact UTC value goes in
    /// the `datetime` and `title` of the `<time>` element around it. A value that is not a time
    /// is shown as it is.
    #[must_use]
    pub fn datetime_words(self, rfc3339: &str) -> String {
        let Ok(t) = time::OffsetDateTime::parse(rfc3339, &time::format_description::well_known::Rfc3339)
        else {
            return rfc3339.to_owned();
        };
        let t = t.to_offset(PAKISTAN_TIME);
        let month = self.t(&format!("month-{}", u8::from(t.month())));
        let date = self.t_args(
            "date-words",
            &[("day", t.day().to_string()), ("month", month), ("year", t.year().to_string())],
        );
        let clock = format!("{:02}:{:02}", t.hour(), t.minute());
        self.t_args("datetime-words", &[("date", date), ("time", clock)])
    }

    /// Whether `key` exists in this language (used by the completeness test).
    #[must_use]
    pub fn has(self, key: &str) -> bool {
        LOCALES.try_lookup(&self.id(), key).is_some()
    }
}

/// Pakistan Standard Time, UTC+5 all year.
pub const PAKISTAN_TIME: time::UtcOffset = match time::UtcOffset::from_hms(5, 0, 0) {
    Ok(o) => o,
    Err(_) => time::UtcOffset::UTC,
};

/// Reads a cookie value from request headers.
#[must_use]
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| {
            let (k, v) = c.trim().split_once('=')?;
            (k == name).then_some(v)
        })
}

/// The language of this request.
pub fn request_lang(parts: &Parts) -> Lang {
    let from_query = parts
        .uri
        .query()
        .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("lang=")).and_then(Lang::parse));
    from_query
        .or_else(|| cookie(&parts.headers, "mizan_lang").and_then(Lang::parse))
        .or_else(|| {
            parts.headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).and_then(Lang::negotiate)
        })
        .unwrap_or_default()
}

impl<S: Send + Sync> FromRequestParts<S> for Lang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(request_lang(parts))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation_respects_q_values() {
        assert_eq!(Lang::negotiate("ur-PK,ur;q=0.9,en;q=0.8"), Some(Lang::Ur));
        assert_eq!(Lang::negotiate("en-GB;q=0.5, ur;q=0.7"), Some(Lang::Ur));
        assert_eq!(Lang::negotiate("fr, en;q=0.1"), Some(Lang::En));
        assert_eq!(Lang::negotiate("de, fr"), None);
        assert_eq!(Lang::negotiate("ur;q=0, en;q=0.1"), Some(Lang::En));
    }

    #[test]
    fn dates_in_words_in_both_languages() {
        assert_eq!(Lang::En.date_words("2026-05-03T23:59:59.123456Z"), "3 May 2026");
        assert_eq!(Lang::Ur.date_words("2026-12-31T10:00:00Z"), "31 دسمبر 2026");
        // Read in UTC whatever the offset it was written with.
        assert_eq!(Lang::En.date_words("2026-01-01T03:00:00+05:00"), "31 December 2025");
        assert_eq!(Lang::En.date_words("yesterday"), "yesterday");
    }

    #[test]
    fn both_languages_have_the_same_keys() {
        let keys = |text: &str| -> std::collections::BTreeSet<String> {
            text.lines()
                .filter(|l| l.starts_with(|c: char| c.is_ascii_lowercase()))
                .filter_map(|l| l.split_once(" =").map(|(k, _)| k.trim().to_owned()))
                .collect()
        };
        let en = keys(include_str!("../locales/en/main.ftl"));
        let ur = keys(include_str!("../locales/ur/main.ftl"));
        let only_en: Vec<_> = en.difference(&ur).collect();
        let only_ur: Vec<_> = ur.difference(&en).collect();
        assert!(
            only_en.is_empty() && only_ur.is_empty(),
            "only in English: {only_en:?}; only in Urdu: {only_ur:?}"
        );
    }

    #[test]
    fn urdu_messages_differ_from_english() {
        assert_ne!(Lang::Ur.t("register-title"), Lang::En.t("register-title"));
        assert_eq!(Lang::En.t("no-such-key"), "no-such-key");
    }
}
