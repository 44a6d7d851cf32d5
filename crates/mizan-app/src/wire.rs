//! How request bodies read JSON numbers where a whole number is meant.
//!
//! JSON Schema (and so the OpenAPI document) calls `2.0` an integer: an integer is any number
//! with a zero fractional part. serde reads `2.0` into an `i64` only as an error, so a client
//! that writes its version numbers as floats, which the document allows, was refused. Fields
//! documented as integers read through [`whole_number`] instead.

use serde::{Deserialize, Deserializer, de};

/// Reads an `i64` written as a JSON integer or as a number with no fractional part (`2.0`),
/// refusing `2.5`, numbers out of range and anything not a number.
///
/// # Errors
/// A deserializer error naming what was found, e.g. "`2.5` is not a whole number".
pub fn whole_number<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    match serde_json::Number::deserialize(d)? {
        n if n.is_i64() => n.as_i64().ok_or_else(|| de::Error::custom("not a whole number")),
        n => match n.as_f64() {
            // i64::MAX as f64 rounds up to 2^63, so the upper bound is exclusive.
            Some(f) if f.fract() == 0.0 && f >= -(2f64.powi(63)) && f < 2f64.powi(63) =>
            {
                #[expect(clippy::cast_possible_truncation, reason = "checked whole and in range just above")]
                Ok(f as i64)
            }
            _ => Err(de::Error::custom(format!("`{n}` is not a whole number in range"))),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct V {
        #[serde(deserialize_with = "whole_number")]
        v: i64,
    }

    fn check(json: &str, expect: Option<i64>) {
        let got = serde_json::from_str::<V>(json).ok().map(|v| v.v);
        assert_eq!(got, expect, "{json}");
    }

    #[test]
    fn whole_numbers_in_either_spelling() {
        check(r#"{"v": 2}"#, Some(2));
        check(r#"{"v": -7}"#, Some(-7));
        check(r#"{"v": 931130.0}"#, Some(931_130));
        check(r#"{"v": 2e3}"#, Some(2000));
        check(r#"{"v": 2.5}"#, None);
        check(r#"{"v": 1e300}"#, None);
        check(r#"{"v": "2"}"#, None);
        check(r#"{"v": null}"#, None);
    }
}
