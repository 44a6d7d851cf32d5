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

    /// Every value of `key`.
    #[must_use]
    pub fn all(&self, key: &str) -> Vec<String> {
        self.0.iter().filter(|(k, _)| k == key).map(|(_, v)| v.trim().to_owned()).collect()
    }
}

/// Only same-site relative paths are allowed as redirect targets (no open redirects).
#[must_use]
pub fn safe_next<'a>(next: &'a str, fallback: &'a str) -> &'a str {
    if next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') { next } else { fallback }
}
