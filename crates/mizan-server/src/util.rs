//! Small helpers shared by handlers: URL encoding and form field access.

/// Percent-encodes a string for a query parameter value.
#[must_use]
pub fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(char::from(b));
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Submitted form fields in order; repeated keys (checkbox groups) keep every value.
#[derive(Debug, Clone, Default)]
pub struct FormFields(pub Vec<(String, String)>);

impl FormFields {
    /// The first value of `key`, trimmed, or "".
    #[must_use]
    pub fn get(&self, key: &str) -> &str {
        self.0.iter().find(|(k, _)| k == key).map_or("", |(_, v)| v.trim())
    }

    /// Refuses a field carrying a character no document may hold (a vertical tab, NUL; see
    /// [`mizan_register::forbidden_char`]), naming the first such field.
    ///
    /// # Errors
    /// [`AppError::Invalid`] naming the field and the character's position.
    pub fn check_text(&self) -> Result<(), crate::error::AppError> {
        for (k, v) in &self.0 {
            if let Some(e) = control_error(k, v) {
                return Err(crate::error::AppError::Invalid(vec![e]));
            }
        }
        Ok(())
    }

    /// Every value of `key`.
    #[must_use]
    pub fn all(&self, key: &str) -> Vec<String> {
        self.0.iter().filter(|(k, _)| k == key).map(|(_, v)| v.trim().to_owned()).collect()
    }
}

/// `s` as XML 1.0 character data or attribute text: markup characters escaped, and any
/// character XML cannot carry at all (C0 controls but tab, newline and carriage return;
/// U+FFFE, U+FFFF) replaced by U+FFFD, so one bad value can never make a whole feed invalid.
/// Validation refuses such characters first; this is the writer's own defence.
#[must_use]
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if mizan_register::is_forbidden(c) => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// A cell of a CSV download that a spreadsheet will not run: a cell starting with `=`, `+`,
/// `-`, `@`, tab or carriage return is a formula to Excel and LibreOffice, so it gets a
/// leading `'` (OWASP's advice); control characters other than tab, newline and carriage
/// return become U+FFFD.
#[must_use]
pub fn csv_cell(s: &str) -> std::borrow::Cow<'_, str> {
    let risky = s.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let bad = mizan_register::forbidden_char(s).is_some();
    if !risky && !bad {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 1);
    if risky {
        out.push('\'');
    }
    out.extend(s.chars().map(|c| if mizan_register::is_forbidden(c) { '\u{FFFD}' } else { c }));
    std::borrow::Cow::Owned(out)
}

/// The error for a value carrying a forbidden control character, if it does.
#[must_use]
pub fn control_error(field: &str, value: &str) -> Option<mizan_register::FieldError> {
    let (i, c) = mizan_register::forbidden_char(value)?;
    Some(mizan_register::FieldError {
        field: field.to_owned(),
        code: mizan_register::FieldErrorCode::ControlCharacter {
            position: i + 1,
            character: format!("U+{:04X}", u32::from(c)),
        },
    })
}

/// A JSON body with no forbidden control character in any string or key (see
/// [`mizan_register::forbidden_char`]): the class of input that would make a feed invalid
/// XML or that PostgreSQL cannot store, refused at the edge naming the JSON path.
#[derive(Debug, Clone)]
pub struct CleanJson<T>(pub T);

impl<T, S> axum::extract::FromRequest<S> for CleanJson<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = axum::response::Response;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        use axum::response::IntoResponse as _;
        let axum::Json(value) = axum::Json::<serde_json::Value>::from_request(req, state)
            .await
            .map_err(axum::response::IntoResponse::into_response)?;
        if let Some(e) = mizan_register::forbidden_in_json(&value) {
            return Err(crate::error::AppError::Invalid(vec![e]).into_response());
        }
        serde_json::from_value(value).map(CleanJson).map_err(|e| {
            let detail = format!("the JSON body does not have the expected shape: {e}");
            let field = detail.split('`').nth(1).map(str::to_owned);
            crate::error::AppError::BadRequest { field, detail }.into_response()
        })
    }
}

/// A redirect target, if it is a path on this site; else `fallback`.
///
/// Browsers follow the WHATWG URL rules: they drop tabs and newlines anywhere, strip leading
/// and trailing C0 controls and spaces, and read `\` as `/`, so `/\t/evil.example` and
/// `/\evil.example` lead off-site. Accepted is only a path that starts with exactly one `/`
/// and has no control character, whitespace or backslash, neither as sent nor once
/// percent-decoded (`/%09/evil.example`). Non-ASCII characters (an Urdu search) come back
/// percent-encoded, so the result is always a valid `Location` header.
#[must_use]
pub fn safe_next(next: &str, fallback: &str) -> String {
    fn hostile(s: &str) -> bool {
        !s.starts_with('/')
            || s.starts_with("//")
            || s.chars().any(|c| c.is_control() || c.is_whitespace() || c == '\\' || invisible(c))
    }
    // Zero-width and direction-changing characters: they make a link read as something else.
    fn invisible(c: char) -> bool {
        matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}')
    }
    let decoded = percent_decode(next);
    if hostile(next) || decoded.as_deref().is_none_or(hostile) {
        return fallback.to_owned();
    }
    let mut out = String::with_capacity(next.len());
    for c in next.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut buf = [0; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
    out
}

/// `s` with `%XX` escapes decoded, or `None` if the result is not UTF-8.
fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| char::from(c).to_digit(16);
        if b[i] == b'%'
            && let (Some(h), Some(l)) =
                (b.get(i + 1).and_then(|c| hex(*c)), b.get(i + 2).and_then(|c| hex(*c)))
        {
            out.push(u8::try_from(h * 16 + l).unwrap_or(0));
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    /// Targets a browser would take off-site (or that break a header), as the WHATWG URL
    /// parser reads them: each must fall back.
    #[test]
    fn hostile_targets_fall_back() {
        let hostile = [
            "",
            "https://evil.example/",
            "//evil.example/",
            "/\\evil.example/",
            "\\/evil.example/",
            "/\t/evil.example/",
            "/%09/evil.example/",
            "/%0a/evil.example/",
            "/%0D%0A/evil.example/",
            "/\n/evil.example/",
            "/\r\nSet-Cookie: x=1",
            "/%5Cevil.example/",
            "/%2F/evil.example/",
            "/%2f%2fevil.example/",
            " /evil",
            "/ /evil.example",
            "/\u{0}x",
            "/%00x",
            "/\u{0B}/evil.example",
            "/\u{A0}/evil.example",
            "/%E2%80%AE/x",
            "/\u{202E}x",
            "javascript:alert(1)",
            "/%ff",
            "evil.example",
        ];
        for h in hostile {
            assert_eq!(safe_next(h, "/app"), "/app", "{h:?} must not be a redirect target");
        }
    }

    #[test]
    fn writers_neutralise_what_breaks_documents() {
        use super::{csv_cell, xml_escape};
        assert_eq!(
            xml_escape("a\u{B}b<&>\"'\u{0}\u{FFFF}\tc"),
            "a\u{FFFD}b&lt;&amp;&gt;&quot;&apos;\u{FFFD}\u{FFFD}\tc"
        );
        for risky in ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "=HYPERLINK(\"http://x\")"] {
            assert_eq!(csv_cell(risky), format!("'{risky}"), "{risky:?}");
        }
        assert_eq!(csv_cell("bank loans"), "bank loans");
        assert_eq!(csv_cell("a\u{B}b"), "a\u{FFFD}b");
        assert_eq!(csv_cell("قرض"), "قرض");
    }

    #[test]
    fn paths_on_this_site_are_kept() {
        assert_eq!(safe_next("/app/systems/7", "/"), "/app/systems/7");
        assert_eq!(safe_next("/register?q=bank&page=2", "/"), "/register?q=bank&page=2");
        assert_eq!(safe_next("/register?q=%D8%A8", "/"), "/register?q=%D8%A8");
        assert_eq!(safe_next("/register?q=بینک", "/"), "/register?q=%D8%A8%DB%8C%D9%86%DA%A9");
        assert_eq!(safe_next("/", "/app"), "/");
    }
}
