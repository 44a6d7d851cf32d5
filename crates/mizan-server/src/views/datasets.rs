//! Words the data repository's pages share: the public dataset pages (`routes/datasets.rs`)
//! and the steward's (`routes/datasets_steward.rs`) show sizes, shares, personal-data kinds and
//! texts in the page's language the same way.

use crate::i18n::Lang;

/// Whether the page is in Urdu.
pub fn is_ur(lang: Lang) -> bool {
    lang == Lang::Ur
}

/// A vocabulary's English and Urdu labels in the page's language.
pub fn labels(lang: Lang, l: &mizan_catalog::vocab::Labels) -> String {
    if is_ur(lang) { l.ur.clone() } else { l.en.clone() }
}

/// A version number from a path (`/v/{version}`): 1 or more, else not found.
///
/// # Errors
/// [`AppError::NotFound`] naming what was asked.
pub fn parse_version(v: &str) -> Result<i64, crate::error::AppError> {
    v.parse::<i64>()
        .ok()
        .filter(|n| *n >= 1)
        .ok_or_else(|| crate::error::AppError::NotFound(format!("version `{v}`")))
}

/// A share (0 to 1) as a percentage, `12.5 %`.
pub fn percent(share: f64) -> String {
    let p = share * 100.0;
    if p > 0.0 && p < 0.1 { "< 0.1 %".to_owned() } else { format!("{p:.1} %") }
}

/// The English and Urdu of a text in the page's language, with the language it fell back to.
pub fn pick(lang: Lang, t: &mizan_catalog::Text) -> (String, Option<&'static str>) {
    if is_ur(lang) && t.ur.trim().is_empty() {
        (t.en.clone(), Some("en"))
    } else {
        (t.get(lang.code()).to_owned(), None)
    }
}

/// A personal-data kind (`mizan_pii::Kind` id) in words.
pub fn pii_label(lang: Lang, kind: &str) -> String {
    let key = format!("ds-pii-{kind}");
    if lang.has(&key) { lang.t(&key) } else { lang.t("ds-pii-other") }
}

/// A size in words: `57 KB`, `1.4 MB` (binary multiples, as file managers show them).
#[expect(clippy::cast_precision_loss, reason = "a file size shown to one decimal")]
pub fn size_words(lang: Lang, bytes: u64) -> String {
    const UNITS: [&str; 4] = ["ds-size-kb", "ds-size-mb", "ds-size-gb", "ds-size-tb"];
    if bytes < 1024 {
        return lang.t_count("ds-size-bytes", "n", bytes);
    }
    let mut x = bytes as f64 / 1024.0;
    let mut unit = 0;
    while x >= 1024.0 && unit < UNITS.len() - 1 {
        x /= 1024.0;
        unit += 1;
    }
    let n = if x < 10.0 { format!("{x:.1}") } else { format!("{x:.0}") };
    lang.t_args(UNITS[unit], &[("n", n)])
}

/// A column type in words.
pub fn column_type_label(lang: Lang, t: mizan_catalog::ColumnType) -> String {
    lang.t(&format!("ds-type-{}", t.id()))
}

/// A column of the data dictionary, as the public and the steward's pages show it.
pub struct DictRow {
    /// Name.
    pub name: String,
    /// Type in words.
    pub kind: String,
    /// Description in the page language.
    pub description: String,
    /// `en` when it fell back to English.
    pub description_lang: Option<&'static str>,
    /// Unit.
    pub unit: String,
    /// Allowed values, joined.
    pub allowed: String,
    /// Declared format.
    pub format: String,
    /// Marked sensitive.
    pub sensitive: bool,
}

/// The data dictionary of `meta` in the page's language.
pub fn dict_rows(lang: Lang, meta: &mizan_catalog::DatasetMeta) -> Vec<DictRow> {
    meta.dictionary
        .iter()
        .map(|c| {
            let (description, description_lang) = pick(lang, &c.description);
            DictRow {
                name: c.name.clone(),
                kind: column_type_label(lang, c.kind),
                description,
                description_lang,
                unit: c.unit.clone().unwrap_or_default(),
                allowed: c.allowed_values.join(", "),
                format: c.format.clone().unwrap_or_default(),
                sensitive: c.sensitive,
            }
        })
        .collect()
}
