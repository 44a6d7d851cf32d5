//! The platform's results in people's words. An explanation read as plain sentences, in English or Urdu: the factors for and against a
//! decision, how strong each was, and what would have changed it. The numbers come from the
//! `mizan.explanation/1` document; only the words are made here. Also an audit's refusal.

use mizan_app::audits::InputError;
use mizan_app::explain::{ExplanationDoc, FeatureInfo};
use mizan_app::models::ModelCard;
use serde_json::Value;

use crate::i18n::Lang;

/// An audit's refusal, in `lang`.
#[must_use]
pub fn audit_error(lang: Lang, e: &InputError) -> String {
    lang.t_args(e.key, &e.args)
}

/// One factor, in words.
#[derive(Debug, Clone)]
pub struct Factor {
    /// The feature, in the page's language where known.
    pub label: String,
    /// Its value, formatted.
    pub value: String,
    /// `receipt-strength-major`, `-moderate` or `-minor`, translated.
    pub strength: String,
}

/// The plain-language reading of an explanation.
#[derive(Debug, Clone)]
pub struct Plain {
    /// Whether the model's outcome is favourable (`None` for multi-class models).
    pub favourable: Option<bool>,
    /// Factors that pushed toward the favourable outcome, strongest first.
    pub for_: Vec<Factor>,
    /// Factors that pushed against it, strongest first.
    pub against: Vec<Factor>,
    /// Each recourse option as one sentence.
    pub options: Vec<String>,
    /// When the logged outcome contradicts the model's: the sentence saying so.
    pub contradiction: Option<String>,
}

/// A feature's label: the model card's in `lang`, else `feature-<name>` from the locale files,
/// else the name with spaces.
#[must_use]
pub fn feature_label(lang: Lang, card: Option<&ModelCard>, name: &str) -> String {
    if let Some(f) = card.and_then(|c| c.feature(name)) {
        return f.label.get(lang.code()).to_owned();
    }
    let key = format!("feature-{name}");
    if lang.has(&key) { lang.t(&key) } else { name.replace('_', " ") }
}

/// A logged output in `lang`: the model card's label for it, `None` when the card gives none.
#[must_use]
pub fn output_label(lang: Lang, card: Option<&ModelCard>, output: &Value) -> Option<String> {
    card.and_then(|c| c.output(output)).map(|o| o.label.get(lang.code()).to_owned())
}

/// A feature's value for reading: the card's label of a coded value, else the number with the
/// card's unit.
#[must_use]
pub fn feature_value(lang: Lang, card: Option<&ModelCard>, name: &str, v: Option<f64>) -> String {
    let Some(v) = v else { return lang.t("receipt-missing-value") };
    let f = card.and_then(|c| c.feature(name));
    if let Some(coded) = f.and_then(|f| f.values.iter().find(|c| c.value == v)) {
        return coded.label.get(lang.code()).to_owned();
    }
    match f.and_then(|f| f.unit.as_ref()) {
        Some(unit) => format!("{} {}", format_number(v), unit.get(lang.code())),
        None => format_number(v),
    }
}

/// A number for reading: whole numbers with thousands separators, others with up to four
/// decimals.
#[must_use]
pub fn format_number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        // Whole and small enough to be exact in i64.
        let n = v as i64;
        let digits = n.unsigned_abs().to_string();
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(c);
        }
        if n < 0 { format!("-{out}") } else { out }
    } else {
        let s = format!("{v:.4}");
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    }
}

/// Reads `doc` as sentences in `lang`, with up to `top` factors each way, in the words of the
/// model's card `card` where it gives them.
#[must_use]
pub fn plain(doc: &ExplanationDoc, lang: Lang, top: usize, card: Option<&ModelCard>) -> Plain {
    let toward = if doc.favourable.side == "low" { -1.0 } else { 1.0 };
    let total: f64 = doc.features.iter().map(|f| f.phi.abs()).sum();
    let mut order: Vec<&FeatureInfo> = doc.features.iter().filter(|f| f.phi != 0.0).collect();
    order.sort_by(|a, b| b.phi.abs().total_cmp(&a.phi.abs()));
    let factor = |f: &FeatureInfo| {
        let share = if total > 0.0 { f.phi.abs() / total } else { 0.0 };
        let strength = if share >= 0.4 {
            "receipt-strength-major"
        } else if share >= 0.15 {
            "receipt-strength-moderate"
        } else {
            "receipt-strength-minor"
        };
        Factor {
            label: feature_label(lang, card, &f.name),
            value: feature_value(lang, card, &f.name, f.value),
            strength: lang.t(strength),
        }
    };
    let for_ = order.iter().filter(|f| f.phi * toward > 0.0).take(top).map(|f| factor(f)).collect();
    let against = order.iter().filter(|f| f.phi * toward < 0.0).take(top).map(|f| factor(f)).collect();
    let options = doc
        .recourse
        .options
        .iter()
        .map(|o| {
            let parts: Vec<String> = o
                .changes
                .iter()
                .map(|c| {
                    lang.t_args(
                        "receipt-change",
                        &[
                            ("feature", feature_label(lang, card, &c.name)),
                            ("to", feature_value(lang, card, &c.name, Some(c.to_rounded))),
                            ("from", feature_value(lang, card, &c.name, c.from)),
                        ],
                    )
                })
                .collect();
            parts.join(&format!(" {} ", lang.t("receipt-and")))
        })
        .collect();
    let favourable = match doc.outcome.as_str() {
        "favourable" => Some(true),
        "unfavourable" => Some(false),
        _ => None,
    };
    let contradiction = doc.contradiction.as_ref().map(|c| {
        let output = output_label(lang, card, &c.recorded_output).unwrap_or_else(|| {
            c.recorded_output.as_str().map_or_else(|| c.recorded_output.to_string(), str::to_owned)
        });
        let key = if c.recorded == "favourable" {
            "receipt-contradiction-recorded-for"
        } else {
            "receipt-contradiction-recorded-against"
        };
        lang.t_args(key, &[("output", output)])
    });
    Plain { favourable, for_, against, options, contradiction }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every audit refusal the platform can raise (`mizan-app`'s `audits.rs`) and every one the
    /// pages use has a message, in both languages.
    #[test]
    fn every_audit_message_has_both_languages() {
        use std::collections::BTreeSet;
        let keys = |ftl: &'static str| -> BTreeSet<&'static str> {
            ftl.lines()
                .filter_map(|l| l.split_once(" = ").map(|(k, _)| k))
                .filter(|k| k.starts_with("audit-"))
                .collect()
        };
        let en = keys(include_str!("../locales/en/main.ftl"));
        let ur = keys(include_str!("../locales/ur/main.ftl"));
        assert!(en.len() > 20, "the audit messages are in the English file");
        assert_eq!(en, ur, "the same audit messages in English and Urdu");
        // Every key the code and templates use exists.
        let used = [include_str!("../../mizan-app/src/audits.rs"), include_str!("routes/audits.rs")];
        for src in used {
            for k in
                src.split('"').filter(|s| s.starts_with("audit-err-") && s.len() > 10 && !s.contains(' '))
            {
                assert!(en.contains(k), "{k} is used but has no message");
            }
        }
        let args = [("n", "3".to_owned()), ("column", "c".to_owned())];
        assert_eq!(
            Lang::Ur.t_args("audit-disclosure", &args),
            "عوامی رجسٹر پر 3 سے کم فیصلوں والے گروہ نہیں دکھائے جاتے۔"
        );
        let e = InputError {
            field: "preset".into(),
            key: "audit-err-preset",
            args: vec![("preset", "x".into()), ("presets", "`pk-national`".into())],
        };
        assert_ne!(audit_error(Lang::En, &e), audit_error(Lang::Ur, &e), "translated, not the key");
    }

    #[test]
    fn numbers_read_well() {
        assert_eq!(format_number(1_234_567.0), "1,234,567");
        assert_eq!(format_number(-45_000.0), "-45,000");
        assert_eq!(format_number(12.0), "12");
        assert_eq!(format_number(0.125), "0.125");
        assert_eq!(format_number(2.0 / 3.0), "0.6667");
    }
}
