//! A record's values, their validation against the catalogue, the public projection, and diffs.
//!
//! A record is a map from field key to [`Value`], stored as canonical JSON (keys sorted) so two
//! versions with the same content serialise to the same bytes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::fields::{FIELDS, FieldKind, FieldSpec, LANGUAGES, field};

/// Bilingual text: English and/or Urdu.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Text {
    /// English.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub en: String,
    /// Urdu.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub ur: String,
}

impl Text {
    /// The text in `lang`, falling back to the other language so a page never shows a gap.
    #[must_use]
    pub fn get(&self, lang: &str) -> &str {
        let (first, second) = if lang == "ur" { (&self.ur, &self.en) } else { (&self.en, &self.ur) };
        if first.is_empty() { second } else { first }
    }

    fn is_empty(&self) -> bool {
        self.en.trim().is_empty() && self.ur.trim().is_empty()
    }
}

/// One field's value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Value {
    /// Bilingual text.
    Text(Text),
    /// A code, date, e-mail or plain text.
    Str(String),
    /// Links or language codes.
    List(Vec<String>),
}

impl Value {
    /// A one-line rendering for diffs, CSV cells and search text.
    #[must_use]
    pub fn display(&self, lang: &str) -> String {
        match self {
            Value::Text(t) => t.get(lang).to_owned(),
            Value::Str(s) => s.clone(),
            Value::List(items) => items.join(", "),
        }
    }

    fn is_empty(&self) -> bool {
        match self {
            Value::Text(t) => t.is_empty(),
            Value::Str(s) => s.trim().is_empty(),
            Value::List(items) => items.iter().all(|i| i.trim().is_empty()),
        }
    }
}

/// What is wrong with one field; the code is stable so pages can translate it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "code")]
pub enum FieldErrorCode {
    /// The key is not in the catalogue.
    Unknown,
    /// A required field is empty at submission.
    Required,
    /// The value has the wrong JSON shape for its kind.
    WrongType {
        /// What shape was expected.
        expected: &'static str,
    },
    /// A text or item is longer than allowed.
    TooLong {
        /// The limit in characters.
        max: usize,
        /// The length given.
        actual: usize,
    },
    /// More list items than allowed.
    TooMany {
        /// The limit.
        max: usize,
    },
    /// A code not in the allowed list.
    NotAllowed {
        /// The allowed codes.
        allowed: Vec<&'static str>,
    },
    /// Not a valid `YYYY-MM-DD` date.
    InvalidDate,
    /// Not a plausible e-mail address.
    InvalidEmail,
    /// Not an `https://` or `http://` link.
    InvalidLink,
    /// The end date is before the start date.
    EndBeforeStart,
    /// A control character (a vertical tab, NUL) that would break a document.
    ControlCharacter {
        /// Its position in the value, counting characters from 1.
        position: usize,
        /// Its code point, as `U+000B`.
        character: String,
    },
}

/// A validation failure naming the field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// The field key (for list items `key[index]`).
    pub field: String,
    /// What is wrong.
    #[serde(flatten)]
    pub code: FieldErrorCode,
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let field = &self.field;
        match &self.code {
            FieldErrorCode::Unknown => write!(f, "unknown field `{field}`"),
            FieldErrorCode::Required => write!(f, "field `{field}` is required before submission"),
            FieldErrorCode::WrongType { expected } => write!(f, "field `{field}` must be {expected}"),
            FieldErrorCode::TooLong { max, actual } => {
                write!(f, "field `{field}` is {actual} characters long; the limit is {max}")
            }
            FieldErrorCode::TooMany { max } => write!(f, "field `{field}` has more than {max} items"),
            FieldErrorCode::NotAllowed { allowed } => {
                write!(f, "field `{field}` must be one of: {}", allowed.join(", "))
            }
            FieldErrorCode::InvalidDate => write!(f, "field `{field}` must be a date as YYYY-MM-DD"),
            FieldErrorCode::InvalidEmail => write!(f, "field `{field}` must be an e-mail address"),
            FieldErrorCode::InvalidLink => write!(f, "field `{field}` must start with https:// or http://"),
            FieldErrorCode::EndBeforeStart => write!(f, "field `{field}` is before `start_date`"),
            FieldErrorCode::ControlCharacter { position, character } => {
                write!(f, "field `{field}` has a control character ({character}) at character {position}")
            }
        }
    }
}

/// The values of one record, keyed by field.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Record(pub BTreeMap<String, Value>);

impl Record {
    /// Parses a record from JSON and checks every value against the catalogue; empty values are
    /// dropped so that "cleared" and "never set" are the same.
    ///
    /// # Errors
    /// Every problem found, each naming its field.
    pub fn from_json(value: &serde_json::Value) -> Result<Record, Vec<FieldError>> {
        let Some(obj) = value.as_object() else {
            return Err(vec![FieldError {
                field: String::new(),
                code: FieldErrorCode::WrongType { expected: "an object" },
            }]);
        };
        let mut errors = Vec::new();
        let mut out = BTreeMap::new();
        for (key, raw) in obj {
            let Some(spec) = field(key) else {
                errors.push(FieldError { field: key.clone(), code: FieldErrorCode::Unknown });
                continue;
            };
            if raw.is_null() {
                continue;
            }
            match coerce(spec, raw) {
                Ok(v) if v.is_empty() => {}
                Ok(v) => out.insert(key.clone(), v).map_or((), |_| ()),
                Err(code) => errors.push(FieldError { field: key.clone(), code }),
            }
        }
        let record = Record(out);
        errors.extend(record.check_limits());
        if errors.is_empty() { Ok(record) } else { Err(errors) }
    }

    /// The value of a field, if set.
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.get(key)
    }

    /// A text field in `lang` (with fallback), or "".
    #[must_use]
    pub fn text(&self, key: &str, lang: &str) -> String {
        self.get(key).map(|v| v.display(lang)).unwrap_or_default()
    }

    fn check_limits(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        for (key, value) in &self.0 {
            let Some(spec) = field(key) else { continue };
            let too_long = |s: &str, name: String, errors: &mut Vec<FieldError>| {
                if let Some((i, c)) = forbidden_char(s) {
                    errors.push(FieldError {
                        field: name.clone(),
                        code: FieldErrorCode::ControlCharacter {
                            position: i + 1,
                            character: format!("U+{:04X}", u32::from(c)),
                        },
                    });
                }
                let n = s.chars().count();
                if n > spec.max_len {
                    errors.push(FieldError {
                        field: name,
                        code: FieldErrorCode::TooLong { max: spec.max_len, actual: n },
                    });
                }
            };
            match value {
                Value::Text(t) => {
                    too_long(&t.en, format!("{key}.en"), &mut errors);
                    too_long(&t.ur, format!("{key}.ur"), &mut errors);
                }
                Value::Str(s) => too_long(s, key.clone(), &mut errors),
                Value::List(items) => {
                    if items.len() > spec.max_items {
                        errors.push(FieldError {
                            field: key.clone(),
                            code: FieldErrorCode::TooMany { max: spec.max_items },
                        });
                    }
                    for (i, item) in items.iter().enumerate() {
                        too_long(item, format!("{key}[{i}]"), &mut errors);
                    }
                }
            }
        }
        if let (Some(Value::Str(start)), Some(Value::Str(end))) =
            (self.get("start_date"), self.get("end_date"))
        {
            // Both passed the date check, so string order is date order.
            if end < start {
                errors.push(FieldError { field: "end_date".into(), code: FieldErrorCode::EndBeforeStart });
            }
        }
        errors
    }

    /// Checks that everything required for publication is present.
    ///
    /// # Errors
    /// One [`FieldErrorCode::Required`] per missing field, in catalogue order.
    pub fn check_complete(&self) -> Result<(), Vec<FieldError>> {
        let missing: Vec<FieldError> = FIELDS
            .iter()
            .filter(|f| f.required && self.get(f.key).is_none_or(Value::is_empty))
            .map(|f| FieldError { field: f.key.to_owned(), code: FieldErrorCode::Required })
            .collect();
        if missing.is_empty() { Ok(()) } else { Err(missing) }
    }

    /// The public projection: only fields marked public.
    #[must_use]
    pub fn public(&self) -> Record {
        Record(
            self.0
                .iter()
                .filter(|(k, _)| field(k).is_some_and(|f| f.public))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        )
    }

    /// Canonical JSON (sorted keys, no whitespace); equal records give equal bytes.
    #[must_use]
    pub fn to_canonical_json(&self) -> String {
        // A BTreeMap of plain values always serialises.
        serde_json::to_string(&self.0).unwrap_or_default()
    }

    /// All text of the record, lower-cased, for search.
    #[must_use]
    pub fn search_text(&self) -> String {
        let mut s = String::new();
        for v in self.0.values() {
            match v {
                Value::Text(t) => {
                    s.push_str(&t.en);
                    s.push(' ');
                    s.push_str(&t.ur);
                }
                Value::Str(x) => s.push_str(x),
                Value::List(items) => s.push_str(&items.join(" ")),
            }
            s.push(' ');
        }
        s.to_lowercase()
    }
}

fn coerce(spec: &FieldSpec, raw: &serde_json::Value) -> Result<Value, FieldErrorCode> {
    use serde_json::Value as J;
    match spec.kind {
        FieldKind::Text { .. } => match raw {
            J::String(s) => Ok(Value::Text(Text { en: s.trim().to_owned(), ur: String::new() })),
            J::Object(_) => serde_json::from_value::<Text>(raw.clone())
                .map(|t| Value::Text(Text { en: t.en.trim().to_owned(), ur: t.ur.trim().to_owned() }))
                .map_err(|_| FieldErrorCode::WrongType {
                    expected: "text, or an object with `en` and/or `ur`",
                }),
            _ => Err(FieldErrorCode::WrongType { expected: "text, or an object with `en` and/or `ur`" }),
        },
        FieldKind::Plain | FieldKind::Email | FieldKind::Date | FieldKind::Choice(_) => {
            let J::String(s) = raw else {
                return Err(FieldErrorCode::WrongType { expected: "a string" });
            };
            let s = s.trim().to_owned();
            if s.is_empty() {
                return Ok(Value::Str(s));
            }
            match spec.kind {
                FieldKind::Email if !is_email(&s) => Err(FieldErrorCode::InvalidEmail),
                FieldKind::Date if !is_date(&s) => Err(FieldErrorCode::InvalidDate),
                FieldKind::Choice(allowed) if !allowed.contains(&s.as_str()) => {
                    Err(FieldErrorCode::NotAllowed { allowed: allowed.to_vec() })
                }
                _ => Ok(Value::Str(s)),
            }
        }
        FieldKind::Links | FieldKind::Languages => {
            let items: Vec<String> = match raw {
                J::Array(a) => a
                    .iter()
                    .map(|x| x.as_str().map(|s| s.trim().to_owned()))
                    .collect::<Option<Vec<_>>>()
                    .ok_or(FieldErrorCode::WrongType { expected: "a list of strings" })?,
                // Forms send lists as one newline- or comma-separated string.
                J::String(s) => s.split([',', '\n']).map(|x| x.trim().to_owned()).collect(),
                _ => return Err(FieldErrorCode::WrongType { expected: "a list of strings" }),
            };
            let items: Vec<String> = items.into_iter().filter(|s| !s.is_empty()).collect();
            for item in &items {
                if spec.kind == FieldKind::Links
                    && !(item.starts_with("https://") || item.starts_with("http://"))
                {
                    return Err(FieldErrorCode::InvalidLink);
                }
                if spec.kind == FieldKind::Languages && !LANGUAGES.contains(&item.as_str()) {
                    return Err(FieldErrorCode::NotAllowed { allowed: LANGUAGES.to_vec() });
                }
            }
            Ok(Value::List(items))
        }
    }
}

/// Whether `s` is a valid e-mail address as the WHATWG HTML standard defines it (what a
/// browser's `type=email` field accepts): a local part of letters, digits and
/// ``.!#$%&'*+/=?^_`{|}~-``, then `@`, then dot-separated labels of letters, digits and inner
/// hyphens, each at most 63 long. Mizan also asks for a dot in the domain (a reachable
/// address) and at most 254 characters (RFC 5321's path limit).
#[must_use]
pub fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else { return false };
    let local_ok = !local.is_empty()
        && local.bytes().all(|b| b.is_ascii_alphanumeric() || b".!#$%&'*+/=?^_`{|}~-".contains(&b));
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    s.len() <= 254 && local_ok && domain.contains('.') && domain.split('.').all(label_ok)
}

/// The first string or key under `v` holding a [`forbidden_char`]: its path (`reason`,
/// `answers.q1`, `items[3]`), position (from 1) and code point (`U+000B`).
#[must_use]
pub fn forbidden_in_json(v: &serde_json::Value) -> Option<FieldError> {
    fn at(path: &str, s: &str) -> Option<FieldError> {
        let (i, c) = forbidden_char(s)?;
        Some(FieldError {
            field: path.to_owned(),
            code: FieldErrorCode::ControlCharacter {
                position: i + 1,
                character: format!("U+{:04X}", u32::from(c)),
            },
        })
    }
    fn walk(v: &serde_json::Value, path: &mut String) -> Option<FieldError> {
        use serde_json::Value as J;
        match v {
            J::String(s) => at(path, s),
            J::Array(items) => items.iter().enumerate().find_map(|(i, x)| {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                let found = walk(x, path);
                path.truncate(len);
                found
            }),
            J::Object(map) => map.iter().find_map(|(k, x)| {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(k);
                let found = at(path, k).or_else(|| walk(x, path));
                path.truncate(len);
                found
            }),
            _ => None,
        }
    }
    walk(v, &mut String::new())
}

/// The first character of `s` that no document may carry, with its position (0-based, in
/// characters): C0 controls other than tab, newline and carriage return (one vertical tab
/// makes an XML feed invalid; PostgreSQL cannot store NUL), DEL, and the noncharacters
/// U+FFFE and U+FFFF.
#[must_use]
pub fn forbidden_char(s: &str) -> Option<(usize, char)> {
    s.chars().enumerate().find(|&(_, c)| is_forbidden(c))
}

/// Whether no document may carry `c` (see [`forbidden_char`]); writers replace it.
#[must_use]
pub fn is_forbidden(c: char) -> bool {
    matches!(c, '\u{0}'..='\u{8}' | '\u{B}' | '\u{C}' | '\u{E}'..='\u{1F}' | '\u{7F}' | '\u{FFFE}' | '\u{FFFF}')
}

fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let num = |r: std::ops::Range<usize>| s.get(r).and_then(|x| x.parse::<u32>().ok());
    let (Some(y), Some(m), Some(d)) = (num(0..4), num(5..7), num(8..10)) else { return false };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1900..=2200).contains(&y) && (1..=days).contains(&d)
}

/// One field that differs between two versions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldChange {
    /// The field key.
    pub field: &'static str,
    /// The value before, if any.
    pub before: Option<Value>,
    /// The value after, if any.
    pub after: Option<Value>,
}

/// Fields that differ between `a` and `b`, in catalogue order.
#[must_use]
pub fn diff(a: &Record, b: &Record) -> Vec<FieldChange> {
    FIELDS
        .iter()
        .filter_map(|f| {
            let (x, y) = (a.get(f.key), b.get(f.key));
            (x != y).then(|| FieldChange { field: f.key, before: x.cloned(), after: y.cloned() })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn e_mail_addresses_as_browsers_check_them() {
        for ok in ["ai@sbp.org.pk", "first.last+tag@ministry.gov.pk", "x_y-z@a-b.example", "o'brien@bank.pk"]
        {
            assert!(is_email(ok), "{ok}");
        }
        for bad in [
            "",
            "plain",
            "@bank.pk",
            "a@",
            "a@bank",
            "a@.bank.pk",
            "a@bank.pk.",
            "a@-bank.pk",
            "a@bank-.pk",
            "a b@bank.pk",
            "a@b@bank.pk",
            "a@bank..pk",
            "\"q\"@bank.pk",
            "a@bänk.pk",
            "a\u{B}@bank.pk",
            "a@[127.0.0.1]",
        ] {
            assert!(!is_email(bad), "{bad:?}");
        }
        assert!(!is_email(&format!("{}@bank.pk", "a".repeat(250))));
    }

    #[test]
    fn control_characters_are_refused_naming_the_field() {
        let r = Record::from_json(
            &serde_json::json!({"name": {"en": "Loan\u{B}scoring"}, "purpose": "ok\tfine\r\n"}),
        );
        let errors = r.unwrap_err();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].field, "name.en");
        assert_eq!(
            errors[0].code,
            FieldErrorCode::ControlCharacter { position: 5, character: "U+000B".into() }
        );
    }

    fn complete() -> serde_json::Value {
        json!({
            "name": {"en": "Credit scoring", "ur": "کریڈٹ اسکورنگ"},
            "short_description": "Scores loan applications",
            "sector": "finance",
            "purpose": "p", "intended_use": "i", "deployment_context": "d", "affected_persons": "a",
            "legal_basis": "l", "human_oversight": "h", "appeals_mechanism": "ap",
            "data_development": "dd", "data_operational": "do", "model_type": "gradient boosted trees",
            "risk_management": "rm", "contact_email": "ai@bank.example.pk", "deployment_status": "in-use",
            "languages": ["en", "ur"], "internal_notes": "secret"
        })
    }

    #[test]
    fn complete_record_validates_and_projects() {
        let r = Record::from_json(&complete()).expect("valid");
        assert!(r.check_complete().is_ok());
        assert!(r.get("internal_notes").is_some());
        assert!(r.public().get("internal_notes").is_none());
        assert_eq!(r.text("name", "ur"), "کریڈٹ اسکورنگ");
        assert_eq!(r.text("short_description", "ur"), "Scores loan applications");
    }

    #[test]
    fn errors_name_the_field() {
        let mut v = complete();
        v["sector"] = json!("casino");
        v["contact_email"] = json!("nobody");
        v["colour"] = json!("blue");
        v["name"] = json!({"en": "x".repeat(201)});
        v["start_date"] = json!("2026-02-30");
        v["languages"] = json!(["en", "fr"]);
        let errs = Record::from_json(&v).expect_err("invalid");
        let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
        for f in ["sector", "contact_email", "colour", "name.en", "start_date", "languages"] {
            assert!(fields.contains(&f), "{f} missing from {fields:?}");
        }
        let long = errs.iter().find(|e| e.field == "name.en").expect("name error");
        assert_eq!(long.code, FieldErrorCode::TooLong { max: 200, actual: 201 });
        assert_eq!(long.to_string(), "field `name.en` is 201 characters long; the limit is 200");
    }

    #[test]
    fn missing_required_fields_listed() {
        let r = Record::from_json(&json!({"name": "only a name"})).expect("valid draft");
        let missing = r.check_complete().expect_err("incomplete");
        assert!(missing.iter().any(|e| e.field == "sector"));
        assert!(!missing.iter().any(|e| e.field == "name"));
    }

    #[test]
    fn urdu_length_counts_characters_not_bytes() {
        let mut v = complete();
        v["name"] = json!({"ur": "ک".repeat(200)});
        assert!(Record::from_json(&v).is_ok());
    }

    #[test]
    fn end_before_start_refused() {
        let mut v = complete();
        v["start_date"] = json!("2026-05-01");
        v["end_date"] = json!("2026-04-30");
        let errs = Record::from_json(&v).expect_err("invalid");
        assert_eq!(errs[0].code, FieldErrorCode::EndBeforeStart);
    }

    #[test]
    fn diff_lists_changed_fields_in_order() {
        let a = Record::from_json(&complete()).expect("valid");
        let mut v = complete();
        v["purpose"] = json!("new purpose");
        v["supplier"] = json!("Acme");
        let b = Record::from_json(&v).expect("valid");
        let d = diff(&a, &b);
        assert_eq!(d.iter().map(|c| c.field).collect::<Vec<_>>(), vec!["purpose", "supplier"]);
        assert!(d[1].before.is_none());
        assert!(diff(&a, &a).is_empty());
    }

    #[test]
    fn canonical_json_is_stable() {
        let a = Record::from_json(&complete()).expect("valid");
        let b =
            Record::from_json(&serde_json::from_str(&a.to_canonical_json()).expect("json")).expect("valid");
        assert_eq!(a.to_canonical_json(), b.to_canonical_json());
        // And it is the canonical form written out by hand, not only a fixed point of itself:
        // fields in key order, no spaces, bilingual text as `en` then `ur`, lists in order,
        // non-ASCII as UTF-8 (not escaped).
        let r = Record::from_json(&json!({
            "sector": "finance",
            "name": {"ur": "نام", "en": "Name"},
            "languages": ["en", "ur"]
        }))
        .expect("valid draft");
        assert_eq!(
            r.to_canonical_json(),
            r#"{"languages":["en","ur"],"name":{"en":"Name","ur":"نام"},"sector":"finance"}"#
        );
    }
}
