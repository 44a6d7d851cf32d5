//! Declared column formats: a few named shapes checked without a regex engine, or any
//! pattern of the `regex` crate, matched against the whole value.

use regex::Regex;

use crate::ProfileError;

/// A declared format.
#[derive(Debug, Clone)]
pub struct Pattern {
    declared: String,
    shape: Shape,
}

#[derive(Debug, Clone)]
enum Shape {
    Integer,
    Decimal,
    Date,
    Datetime,
    Email,
    Cnic,
    PkMobile,
    Regex(Regex),
}

impl Pattern {
    /// Parses a declared format: `integer`, `decimal`, `YYYY-MM-DD` (or `date`), `datetime`
    /// (ISO 8601), `email`, `cnic` (`12345-1234567-1` or 13 digits), `pk-mobile`
    /// (`03XX-XXXXXXX`, `03XXXXXXXXX`, `+923XXXXXXXXX`), or `regex:<pattern>` matched
    /// against the whole value.
    ///
    /// # Errors
    /// [`ProfileError::BadPattern`] when the name is unknown or the regex does not compile.
    pub fn parse(column: &str, declared: &str) -> Result<Self, ProfileError> {
        let bad = |message: String| ProfileError::BadPattern {
            column: column.to_owned(),
            declared: declared.to_owned(),
            message,
        };
        let shape = match declared {
            "integer" => Shape::Integer,
            "decimal" => Shape::Decimal,
            "YYYY-MM-DD" | "date" => Shape::Date,
            "datetime" => Shape::Datetime,
            "email" => Shape::Email,
            "cnic" => Shape::Cnic,
            "pk-mobile" => Shape::PkMobile,
            other => match other.strip_prefix("regex:") {
                Some(p) => Shape::Regex(Regex::new(&format!("^(?:{p})$")).map_err(|e| bad(e.to_string()))?),
                None => {
                    return Err(bad(
                        "use one of `integer`, `decimal`, `YYYY-MM-DD`, `datetime`, `email`, `cnic`, \
                         `pk-mobile` or `regex:<pattern>`"
                            .to_owned(),
                    ));
                }
            },
        };
        Ok(Self { declared: declared.to_owned(), shape })
    }

    /// The format as declared.
    #[must_use]
    pub fn declared(&self) -> &str {
        &self.declared
    }

    /// Whether `v` fits.
    #[must_use]
    pub fn matches(&self, v: &str) -> bool {
        match &self.shape {
            Shape::Integer => is_integer(v),
            Shape::Decimal => is_float(v),
            Shape::Date => is_date(v),
            Shape::Datetime => is_datetime(v),
            Shape::Email => is_email(v),
            Shape::Cnic => is_cnic(v),
            Shape::PkMobile => is_pk_mobile(v),
            Shape::Regex(r) => r.is_match(v),
        }
    }
}

fn digits(b: &[u8]) -> bool {
    !b.is_empty() && b.iter().all(u8::is_ascii_digit)
}

/// An optional sign and decimal digits that fit an `i64`.
pub(crate) fn is_integer(v: &str) -> bool {
    v.parse::<i64>().is_ok()
}

/// A finite number written in decimal (`1`, `-2.5`, `.5`, `1e-3`), not `inf` or `nan`.
pub(crate) fn parse_float(v: &str) -> Option<f64> {
    let first = *v.as_bytes().first()?;
    if !(first.is_ascii_digit() || matches!(first, b'-' | b'+' | b'.')) {
        return None;
    }
    let x: f64 = v.parse().ok()?;
    x.is_finite().then_some(x)
}

pub(crate) fn is_float(v: &str) -> bool {
    parse_float(v).is_some()
}

/// `true`, `false` and their `True`/`TRUE`/`False`/`FALSE` spellings (as pandas reads them).
pub(crate) fn parse_bool(v: &str) -> Option<bool> {
    match v {
        "true" | "True" | "TRUE" => Some(true),
        "false" | "False" | "FALSE" => Some(false),
        _ => None,
    }
}

/// `YYYY-MM-DD` with a real month and day (leap years included).
pub(crate) fn is_date(v: &str) -> bool {
    let b = v.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let (y, m, d) = (&v[..4], &v[5..7], &v[8..]);
    if !(digits(y.as_bytes()) && digits(m.as_bytes()) && digits(d.as_bytes())) {
        return false;
    }
    let (Ok(y), Ok(m), Ok(d)) = (y.parse::<u32>(), m.parse::<u32>(), d.parse::<u32>()) else {
        return false;
    };
    let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&d)
}

/// A date, `T` or a space, `HH:MM[:SS[.fraction]]`, then optionally `Z` or `±HH:MM`.
pub(crate) fn is_datetime(v: &str) -> bool {
    let b = v.as_bytes();
    if b.len() < 16 || !v.is_char_boundary(10) || !is_date(&v[..10]) || !matches!(b[10], b'T' | b' ') {
        return false;
    }
    let rest = &b[11..];
    let two =
        |s: &[u8], max: u8| s.len() >= 2 && digits(&s[..2]) && (s[0] - b'0') * 10 + (s[1] - b'0') <= max;
    if !(two(rest, 23) && rest.get(2) == Some(&b':') && two(&rest[3..], 59)) {
        return false;
    }
    let mut i = 5;
    if rest.get(i) == Some(&b':') {
        if !two(&rest[i + 1..], 60) {
            return false;
        }
        i += 3;
        if rest.get(i) == Some(&b'.') {
            let n = rest[i + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
            if n == 0 {
                return false;
            }
            i += 1 + n;
        }
    }
    match &rest[i..] {
        [] | [b'Z'] => true,
        [b'+' | b'-', tz @ ..] => tz.len() == 5 && two(tz, 23) && tz[2] == b':' && two(&tz[3..], 59),
        _ => false,
    }
}

fn is_email(v: &str) -> bool {
    let Some((local, domain)) = v.split_once('@') else { return false };
    let ok = |c: char| !c.is_whitespace() && c != '@';
    !local.is_empty()
        && local.chars().all(ok)
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && domain.chars().all(ok)
}

fn is_cnic(v: &str) -> bool {
    let b = v.as_bytes();
    (b.len() == 13 && digits(b))
        || (b.len() == 15
            && b[5] == b'-'
            && b[13] == b'-'
            && digits(&b[..5])
            && digits(&b[6..13])
            && digits(&b[14..]))
}

fn is_pk_mobile(v: &str) -> bool {
    let b = v.as_bytes();
    match b {
        [b'0', b'3', ..] if b.len() == 11 => digits(b),
        [b'0', b'3', ..] if b.len() == 12 => b[4] == b'-' && digits(&b[..4]) && digits(&b[5..]),
        [b'+', b'9', b'2', b'3', ..] if b.len() == 13 => digits(&b[1..]),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        let p = |d: &str| Pattern::parse("c", d).unwrap_or_else(|e| panic!("{e}"));
        assert!(p("YYYY-MM-DD").matches("2024-02-29"));
        assert!(!p("YYYY-MM-DD").matches("2023-02-29"));
        assert!(p("datetime").matches("2024-02-29T10:11:12.5+05:00"));
        assert!(p("datetime").matches("2024-02-29 10:11"));
        assert!(!p("datetime").matches("2024-02-29T25:11"));
        assert!(p("cnic").matches("35202-1234567-1"));
        assert!(!p("cnic").matches("35202-1234567-12"));
        assert!(p("pk-mobile").matches("0300-1234567"));
        assert!(p("pk-mobile").matches("+923001234567"));
        assert!(p("email").matches("a.b@gov.pk"));
        assert!(!p("email").matches("a.b@gov"));
        assert!(p("regex:[A-Z]{3}").matches("ABC"));
        assert!(!p("regex:[A-Z]{3}").matches("ABCD"));
        assert!(Pattern::parse("c", "phone").is_err());
        assert!(parse_float("inf").is_none());
        assert!(parse_float("-nan").is_none());
        assert_eq!(parse_float("1e3"), Some(1000.0));
    }
}
