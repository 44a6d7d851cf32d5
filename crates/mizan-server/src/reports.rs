//! A public error report's checks, with the problems in the reader's language; the register
//! page's form and `POST /api/v1/systems/{id}/reports` both use them.

use crate::i18n::Lang;

/// Limits of a public report.
const REPORT_BODY_MAX: usize = 4000;

/// Checks a report; returns (field, body, contact) or the translated problems.
pub fn check_report(lang: Lang, field: &str, body: &str, contact: &str) -> Result<(), Vec<String>> {
    let mut errors = vec![];
    if !field.is_empty() && !mizan_register::FIELDS.iter().any(|f| f.public && f.key == field) {
        errors.push(lang.t("report-error-field"));
    }
    if body.trim().is_empty() {
        errors.push(lang.t("report-error-empty"));
    }
    if body.chars().count() > REPORT_BODY_MAX {
        errors.push(lang.t_args("report-error-long", &[("max", REPORT_BODY_MAX.to_string())]));
    }
    if contact.chars().count() > 254 {
        errors.push(lang.t_args("report-error-contact", &[("max", "254".into())]));
    }
    if errors.is_empty() { Ok(()) } else { Err(errors) }
}
