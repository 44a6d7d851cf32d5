//! The vocabularies a dataset's metadata draws from, as embedded data: licences (with whether
//! each is open), themes and update frequencies (the EU authority tables DCAT-AP 3 names),
//! Pakistan's provinces and districts, and the terms a person accepts before a download.
//!
//! Data, not code, for the same reason the classifier's rules are: adding a licence or a
//! district is a reviewed change to a YAML file, and every page, export and check reads the same
//! list. The files are parsed once; a file that does not parse is a build defect that the tests
//! catch, so the accessors may assume they parse.

use std::sync::OnceLock;

use serde::Deserialize;

/// A name in English and Urdu.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Labels {
    /// English.
    pub en: String,
    /// Urdu.
    pub ur: String,
}

/// A licence a dataset may name.
#[derive(Debug, Clone, Deserialize)]
pub struct Licence {
    /// Stable id (`cc-by-4.0`).
    pub id: String,
    /// The SPDX identifier, where one exists.
    pub spdx: Option<String>,
    /// Its name.
    pub title: Labels,
    /// Where its text is; DCAT-AP and Croissant name the licence by this.
    pub url: String,
    /// Open in the sense of the Open Definition 2.1.
    pub open: bool,
}

/// An entry of a flat vocabulary (themes, frequencies).
#[derive(Debug, Clone, Deserialize)]
pub struct Term {
    /// Stable id, as in the authority table (`AGRI`, `ANNUAL`).
    pub id: String,
    /// English label.
    pub en: String,
    /// Urdu label.
    pub ur: String,
}

/// A province, territory or district.
#[derive(Debug, Clone, Deserialize)]
pub struct Place {
    /// Stable id (`punjab`, `lahore`).
    pub id: String,
    /// For a district, its province's id; `None` for a province.
    #[serde(default)]
    pub province: Option<String>,
    /// English name.
    pub en: String,
    /// Urdu name.
    pub ur: String,
}

/// Terms a person accepts: registered-use terms or a data-sharing agreement.
#[derive(Debug, Clone, Deserialize)]
pub struct Terms {
    /// Stable id (`registered-use`, `data-sharing-agreement`).
    pub id: String,
    /// Version of the text; what someone accepted is recorded by id and version.
    pub version: u32,
    /// Its title.
    pub title: Labels,
    /// Its text.
    pub text: Labels,
}

#[derive(Deserialize)]
struct PlacesFile {
    provinces: Vec<Place>,
    districts: Vec<Place>,
}

fn parse<T: for<'de> Deserialize<'de>>(name: &str, yaml: &str) -> T {
    match serde_yaml_ng::from_str(yaml) {
        Ok(v) => v,
        // The files are embedded at build time and `tests` parse each one: a failure here is a
        // defect in this crate's data, never input.
        Err(e) => panic!("embedded vocabulary `{name}` does not parse: {e}"),
    }
}

/// Every licence, in the register's order.
#[must_use]
pub fn licences() -> &'static [Licence] {
    static L: OnceLock<Vec<Licence>> = OnceLock::new();
    L.get_or_init(|| parse("licences.yaml", include_str!("../data/licences.yaml")))
}

/// The licence with this id.
#[must_use]
pub fn licence(id: &str) -> Option<&'static Licence> {
    licences().iter().find(|l| l.id == id)
}

/// The data themes (EU data-theme table).
#[must_use]
pub fn themes() -> &'static [Term] {
    static T: OnceLock<Vec<Term>> = OnceLock::new();
    T.get_or_init(|| parse("themes.yaml", include_str!("../data/themes.yaml")))
}

/// The theme with this id.
#[must_use]
pub fn theme(id: &str) -> Option<&'static Term> {
    themes().iter().find(|t| t.id == id)
}

/// The update frequencies (EU frequency table).
#[must_use]
pub fn frequencies() -> &'static [Term] {
    static F: OnceLock<Vec<Term>> = OnceLock::new();
    F.get_or_init(|| parse("frequencies.yaml", include_str!("../data/frequencies.yaml")))
}

/// The frequency with this id.
#[must_use]
pub fn frequency(id: &str) -> Option<&'static Term> {
    frequencies().iter().find(|t| t.id == id)
}

fn places_file() -> &'static PlacesFile {
    static P: OnceLock<PlacesFile> = OnceLock::new();
    P.get_or_init(|| parse("places.yaml", include_str!("../data/places.yaml")))
}

/// Provinces and territories.
#[must_use]
pub fn provinces() -> &'static [Place] {
    &places_file().provinces
}

/// Districts, each naming its province.
#[must_use]
pub fn districts() -> &'static [Place] {
    &places_file().districts
}

/// The province or district with this id.
#[must_use]
pub fn place(id: &str) -> Option<&'static Place> {
    provinces().iter().chain(districts()).find(|p| p.id == id)
}

/// The province a place is in (itself, for a province).
#[must_use]
pub fn province_of(id: &str) -> Option<&'static Place> {
    let p = place(id)?;
    match &p.province {
        None => Some(p),
        Some(prov) => provinces().iter().find(|x| &x.id == prov),
    }
}

/// Every version of every terms text.
#[must_use]
pub fn all_terms() -> &'static [Terms] {
    static T: OnceLock<Vec<Terms>> = OnceLock::new();
    T.get_or_init(|| parse("terms.yaml", include_str!("../data/terms.yaml")))
}

/// The newest version of the terms with this id.
#[must_use]
pub fn terms(id: &str) -> Option<&'static Terms> {
    all_terms().iter().filter(|t| t.id == id).max_by_key(|t| t.version)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_vocabulary_parses_and_ids_are_unique() {
        let mut seen = std::collections::BTreeSet::new();
        for id in licences().iter().map(|l| &l.id) {
            assert!(seen.insert(format!("licence:{id}")), "licence `{id}` twice");
        }
        for id in themes().iter().map(|t| &t.id) {
            assert!(seen.insert(format!("theme:{id}")), "theme `{id}` twice");
        }
        for id in frequencies().iter().map(|t| &t.id) {
            assert!(seen.insert(format!("frequency:{id}")), "frequency `{id}` twice");
        }
        for p in provinces().iter().chain(districts()) {
            assert!(seen.insert(format!("place:{}", p.id)), "place `{}` twice", p.id);
        }
        assert_eq!(provinces().len(), 7);
        for d in districts() {
            let prov = d.province.as_deref().unwrap_or_default();
            assert!(provinces().iter().any(|p| p.id == prov), "district `{}` names no province", d.id);
            assert!(!d.ur.is_empty() && !d.en.is_empty());
        }
        assert!(licence("cc-by-4.0").is_some_and(|l| l.open));
        assert!(licence("research-only").is_some_and(|l| !l.open));
        assert_eq!(province_of("lahore").map(|p| p.id.as_str()), Some("punjab"));
        assert_eq!(province_of("sindh").map(|p| p.id.as_str()), Some("sindh"));
        assert!(terms("registered-use").is_some() && terms("data-sharing-agreement").is_some());
    }
}
