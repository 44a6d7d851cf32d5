//! Checking the steward's [`Settings`], and the fixed-point view of a numeric column.
//!
//! Numbers are stored and summed as integers in units of 10^-`decimals` (fixed point), so a
//! sum is exact (`i128`) and its noise is discrete Laplace on integers: no floating-point
//! rounding can widen a sum's sensitivity (Mironov 2012's attack on floating-point Laplace
//! does not apply). A column's bounds must fit in 2^53 units so each bound is exact in an
//! `f64` and `k` times a bound fits in an `i64` sensitivity.

use crate::{NumericColumn, Settings, SettingsError};

/// The most columns a steward may declare.
pub const MAX_DECLARED_COLUMNS: usize = 64;
/// The most public keys of one categorical column.
pub const MAX_KEYS: usize = 1000;
/// The most rows one unit may contribute.
pub const MAX_ROWS_PER_UNIT: u32 = 1000;
/// The most decimals of a numeric column.
pub const MAX_DECIMALS: u8 = 6;
/// δ of one query (and of the whole project) must stay below this.
pub const MAX_DELTA: f64 = 1e-3;
/// The largest bound, in units of 10^-decimals (2^53).
pub(crate) const MAX_FIXED: i64 = 1 << 53;

/// The default δ one partition-selection query spends.
pub(crate) fn default_query_delta() -> f64 {
    1e-7
}

/// A numeric column in fixed point: values are integers in units of 10^-`decimals`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Fixed {
    /// The lower bound, in units.
    pub lower: i64,
    /// The upper bound, in units.
    pub upper: i64,
    /// Decimals kept.
    pub decimals: u8,
    /// 10^decimals.
    pub scale: f64,
}

impl Fixed {
    /// The fixed-point view of `column` (whose bounds were validated).
    pub fn of(column: &NumericColumn) -> Fixed {
        let scale = 10f64.powi(i32::from(column.decimals));
        // validated to lie within ±2^53
        let to_units = |x: f64| (x * scale).round() as i64;
        Fixed {
            lower: to_units(column.lower),
            upper: to_units(column.upper),
            decimals: column.decimals,
            scale,
        }
    }

    /// The largest magnitude of a value: one row's contribution to a sum.
    pub fn magnitude(&self) -> i64 {
        self.lower.unsigned_abs().max(self.upper.unsigned_abs()).try_into().unwrap_or(i64::MAX)
    }

    /// Units back to the column's own units.
    // values within ±2^53 units are exact
    pub fn value_of(&self, units: i64) -> f64 {
        units as f64 / self.scale
    }

    /// Parses `text` to units, rounded half away from zero at `decimals` places and clamped
    /// to the bounds; missing or unparsable text takes the lower bound.
    pub fn parse(&self, text: &str) -> i64 {
        let text = text.trim();
        let units = match parse_decimal(text, self.decimals) {
            Some(units) => units,
            None => match text.parse::<f64>() {
                // `as` saturates (±inf to the i128 range), and the clamp below does the rest
                Ok(x) if !x.is_nan() => (x * self.scale).round() as i128,
                _ => return self.lower,
            },
        };
        // within [lower, upper], so the cast is exact
        units.clamp(i128::from(self.lower), i128::from(self.upper)) as i64
    }
}

/// Parses a plain decimal (`-12.345`, `+7`, `.5`) exactly to units of 10^-`decimals`,
/// rounding half away from zero; `None` for anything else (exponents, `inf`, text) or more
/// than 30 digits.
fn parse_decimal(text: &str, decimals: u8) -> Option<i128> {
    let bytes = text.as_bytes();
    let (negative, digits) = match bytes.first()? {
        b'-' => (true, &bytes[1..]),
        b'+' => (false, &bytes[1..]),
        _ => (false, bytes),
    };
    if digits.len() > 40 {
        return None;
    }
    let mut units: i128 = 0;
    let mut seen_digit = false;
    let mut seen_point = false;
    let mut kept = 0u8;
    // the first digit past `decimals` places decides the rounding; later ones are ignored
    let mut first_dropped: Option<u8> = None;
    let mut integer_digits = 0usize;
    for &b in digits {
        match b {
            b'0'..=b'9' => {
                seen_digit = true;
                let d = b - b'0';
                if !seen_point {
                    integer_digits += 1;
                    if integer_digits > 30 {
                        return None;
                    }
                    units = units * 10 + i128::from(d);
                } else if kept < decimals {
                    units = units * 10 + i128::from(d);
                    kept += 1;
                } else if first_dropped.is_none() {
                    first_dropped = Some(d);
                }
            }
            b'.' if !seen_point => seen_point = true,
            _ => return None,
        }
    }
    if !seen_digit {
        return None;
    }
    for _ in kept..decimals {
        units *= 10;
    }
    if first_dropped.is_some_and(|d| d >= 5) {
        units += 1;
    }
    Some(if negative { -units } else { units })
}

fn fail(field: impl Into<String>, message: impl Into<String>) -> SettingsError {
    SettingsError { field: field.into(), message: message.into() }
}

/// `a`, `b`, `c`, ... (at most ten names).
pub(crate) fn list_names(names: &[String]) -> String {
    let mut out: Vec<String> = names.iter().take(10).map(|n| format!("`{n}`")).collect();
    if names.len() > 10 {
        out.push(format!("and {} more", names.len() - 10));
    }
    out.join(", ")
}

impl Settings {
    /// Every check that needs only the settings (not the dataset's columns).
    pub(crate) fn check_shape(&self) -> Result<(), SettingsError> {
        if self.unit_column.is_empty() {
            return Err(fail("unit_column", "must name the column of the privacy unit"));
        }
        if !(1..=MAX_ROWS_PER_UNIT).contains(&self.max_rows_per_unit) {
            return Err(fail(
                "max_rows_per_unit",
                format!("must be between 1 and {MAX_ROWS_PER_UNIT}, got {}", self.max_rows_per_unit),
            ));
        }
        let mut seen: Vec<(&str, String)> = Vec::new();
        let mut declared = 0usize;
        for (i, n) in self.numeric.iter().enumerate() {
            let at = format!("numeric[{i}]");
            declared += 1;
            check_declared(&at, &n.name, self, &mut seen, declared)?;
            if !n.lower.is_finite() {
                return Err(fail(
                    format!("{at}.lower"),
                    format!("must be a finite number, got `{}`", n.lower),
                ));
            }
            if !n.upper.is_finite() {
                return Err(fail(
                    format!("{at}.upper"),
                    format!("must be a finite number, got `{}`", n.upper),
                ));
            }
            if n.lower >= n.upper {
                return Err(fail(
                    format!("{at}.upper"),
                    format!("must be greater than the lower bound `{}`, got `{}`", n.lower, n.upper),
                ));
            }
            if n.decimals > MAX_DECIMALS {
                return Err(fail(
                    format!("{at}.decimals"),
                    format!("must be at most {MAX_DECIMALS}, got {}", n.decimals),
                ));
            }
            let scale = 10f64.powi(i32::from(n.decimals));
            // 2^53 is exact
            let limit = MAX_FIXED as f64 / scale;
            for (name, x) in [("lower", n.lower), ("upper", n.upper)] {
                if x.abs() > limit {
                    return Err(fail(
                        format!("{at}.{name}"),
                        format!(
                            "`{x}` is too large: with {} decimals the bounds must lie within ±{limit}",
                            n.decimals
                        ),
                    ));
                }
            }
            let fixed = Fixed::of(n);
            if fixed.lower >= fixed.upper {
                return Err(fail(
                    format!("{at}.upper"),
                    format!(
                        "rounds to the lower bound at {} decimals; raise `decimals` or widen the bounds",
                        n.decimals
                    ),
                ));
            }
        }
        for (i, c) in self.categorical.iter().enumerate() {
            let at = format!("categorical[{i}]");
            declared += 1;
            check_declared(&at, &c.name, self, &mut seen, declared)?;
            if let Some(keys) = &c.keys {
                if keys.is_empty() {
                    return Err(fail(
                        format!("{at}.keys"),
                        "must not be empty; leave `keys` out when the categories are not public",
                    ));
                }
                if keys.len() > MAX_KEYS {
                    return Err(fail(
                        format!("{at}.keys"),
                        format!("at most {MAX_KEYS} keys, got {}", keys.len()),
                    ));
                }
                let mut unique = std::collections::HashSet::new();
                for (j, key) in keys.iter().enumerate() {
                    if !unique.insert(key.as_str()) {
                        return Err(fail(format!("{at}.keys[{j}]"), format!("`{key}` appears twice")));
                    }
                }
            }
        }
        let positive = |field: &str, x: f64| -> Result<(), SettingsError> {
            if x.is_finite() && x > 0.0 {
                Ok(())
            } else {
                Err(fail(field, format!("must be a finite number above 0, got `{x}`")))
            }
        };
        positive("project_epsilon", self.project_epsilon)?;
        positive("max_query_epsilon", self.max_query_epsilon)?;
        if self.max_query_epsilon > self.project_epsilon {
            return Err(fail(
                "max_query_epsilon",
                format!(
                    "`{}` is more than the project's whole budget, project_epsilon `{}`",
                    self.max_query_epsilon, self.project_epsilon
                ),
            ));
        }
        if !(self.synthetic_epsilon.is_finite() && self.synthetic_epsilon >= 0.0) {
            return Err(fail(
                "synthetic_epsilon",
                format!("must be a finite number, 0 or more, got `{}`", self.synthetic_epsilon),
            ));
        }
        if !(self.project_delta.is_finite() && (0.0..MAX_DELTA).contains(&self.project_delta)) {
            return Err(fail(
                "project_delta",
                format!("must be 0 or more and below {MAX_DELTA}, got `{}`", self.project_delta),
            ));
        }
        if !(self.query_delta.is_finite() && self.query_delta > 0.0 && self.query_delta < MAX_DELTA) {
            return Err(fail(
                "query_delta",
                format!("must be above 0 and below {MAX_DELTA}, got `{}`", self.query_delta),
            ));
        }
        if self.project_delta > 0.0 && self.query_delta > self.project_delta {
            return Err(fail(
                "query_delta",
                format!(
                    "`{}` is more than the project's whole δ, project_delta `{}`",
                    self.query_delta, self.project_delta
                ),
            ));
        }
        Ok(())
    }

    /// [`Settings::validate`]'s body.
    pub(crate) fn validate_against(&self, columns: &[String]) -> Result<(), SettingsError> {
        let mut header = std::collections::HashSet::new();
        for c in columns {
            if !header.insert(c.as_str()) {
                return Err(fail("columns", format!("`{c}` appears twice in the dataset's header")));
            }
        }
        if !self.dataset_columns.is_empty() && self.dataset_columns != columns {
            return Err(fail(
                "dataset_columns",
                format!(
                    "the settings were made for the columns {}, but the dataset has {}",
                    list_names(&self.dataset_columns),
                    list_names(columns)
                ),
            ));
        }
        let known = |field: &str, name: &str| -> Result<(), SettingsError> {
            if header.contains(name) {
                Ok(())
            } else {
                Err(fail(
                    field,
                    format!("`{name}` is not a column of the dataset (columns: {})", list_names(columns)),
                ))
            }
        };
        if !self.unit_column.is_empty() {
            known("unit_column", &self.unit_column)?;
        }
        for (i, n) in self.numeric.iter().enumerate() {
            known(&format!("numeric[{i}].name"), &n.name)?;
        }
        for (i, c) in self.categorical.iter().enumerate() {
            known(&format!("categorical[{i}].name"), &c.name)?;
        }
        self.check_shape()
    }
}

fn check_declared<'a>(
    at: &str,
    name: &'a str,
    settings: &Settings,
    seen: &mut Vec<(&'a str, String)>,
    declared: usize,
) -> Result<(), SettingsError> {
    if declared > MAX_DECLARED_COLUMNS {
        return Err(fail(at, format!("at most {MAX_DECLARED_COLUMNS} columns may be declared")));
    }
    if name.is_empty() {
        return Err(fail(format!("{at}.name"), "must name a column"));
    }
    if name == settings.unit_column {
        return Err(fail(
            format!("{at}.name"),
            format!("`{name}` is the unit column; it identifies people and may not be queried"),
        ));
    }
    if let Some((_, first)) = seen.iter().find(|(n, _)| *n == name) {
        return Err(fail(format!("{at}.name"), format!("`{name}` is already declared as {first}")));
    }
    seen.push((name, at.to_owned()));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_round_half_away_from_zero() {
        assert_eq!(parse_decimal("12.345", 2), Some(1235));
        assert_eq!(parse_decimal("-12.345", 2), Some(-1235));
        assert_eq!(parse_decimal("12.344", 2), Some(1234));
        assert_eq!(parse_decimal("12", 2), Some(1200));
        assert_eq!(parse_decimal(".5", 0), Some(1));
        assert_eq!(parse_decimal("0.49", 0), Some(0));
        assert_eq!(parse_decimal("7.", 1), Some(70));
        assert_eq!(parse_decimal("1e3", 0), None);
        assert_eq!(parse_decimal("", 0), None);
        assert_eq!(parse_decimal("-", 0), None);
        assert_eq!(parse_decimal("1.2.3", 0), None);
    }

    #[test]
    fn parse_clamps_and_defaults_to_lower() {
        let f = Fixed::of(&NumericColumn { name: "x".into(), lower: -1.5, upper: 100.0, decimals: 1 });
        assert_eq!((f.lower, f.upper), (-15, 1000));
        assert_eq!(f.parse("12.34"), 123);
        assert_eq!(f.parse("1e9"), 1000);
        assert_eq!(f.parse("-inf"), -15);
        assert_eq!(f.parse("NaN"), -15);
        assert_eq!(f.parse(""), -15);
        assert_eq!(f.parse("n/a"), -15);
        assert_eq!(f.parse("500"), 1000);
    }
}
