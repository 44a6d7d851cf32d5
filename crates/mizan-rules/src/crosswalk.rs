//! The crosswalk between EU AI Act obligations, NIST AI RMF 1.0 and ISO/IEC 42001 Annex A,
//! so a provider who documents one framework sees what it already covers in the others.
//! Identifiers are the standards'; paraphrases are Mizan's own words (`data/crosswalk.yaml`).

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::RulesError;

const CROSSWALK: &str = include_str!("../data/crosswalk.yaml");

/// One mapping from an obligation to framework items.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    /// EU AI Act obligation id from the ruleset.
    pub obligation: String,
    /// NIST AI RMF subcategory ids.
    pub nist: Vec<String>,
    /// ISO/IEC 42001 Annex A control ids.
    pub iso: Vec<String>,
    /// Why these belong together.
    pub rationale: String,
}

/// The catalogues and the mappings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Crosswalk {
    /// Version of the crosswalk data.
    pub version: String,
    /// Function → category → subcategory → paraphrase.
    pub nist: BTreeMap<String, BTreeMap<String, BTreeMap<String, String>>>,
    /// Control id → paraphrase.
    pub iso42001: BTreeMap<String, String>,
    /// Obligation mappings.
    pub mappings: Vec<Mapping>,
}

impl Crosswalk {
    /// The embedded crosswalk.
    ///
    /// # Errors
    /// [`RulesError::BadRuleset`] if the embedded data does not parse.
    pub fn embedded() -> Result<&'static Crosswalk, RulesError> {
        static CELL: OnceLock<Result<Crosswalk, RulesError>> = OnceLock::new();
        CELL.get_or_init(|| {
            serde_yaml_ng::from_str(CROSSWALK)
                .map_err(|e| RulesError::BadRuleset { file: "crosswalk.yaml", reason: e.to_string() })
        })
        .as_ref()
        .map_err(Clone::clone)
    }

    /// Every NIST subcategory id with its paraphrase.
    pub fn nist_subcategories(&self) -> impl Iterator<Item = (&String, &String)> {
        self.nist.values().flat_map(BTreeMap::values).flat_map(BTreeMap::iter)
    }

    /// Number of NIST categories.
    #[must_use]
    pub fn nist_category_count(&self) -> usize {
        self.nist.values().map(BTreeMap::len).sum()
    }

    /// The mapping of one obligation, if any.
    #[must_use]
    pub fn for_obligation(&self, id: &str) -> Option<&Mapping> {
        self.mappings.iter().find(|m| m.obligation == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Ruleset;

    #[test]
    fn catalogue_sizes_are_exact() {
        let c = Crosswalk::embedded().expect("valid crosswalk");
        assert_eq!(c.nist.len(), 4, "NIST AI RMF functions");
        assert_eq!(c.nist_category_count(), 19, "NIST AI RMF categories");
        assert_eq!(c.nist_subcategories().count(), 72, "NIST AI RMF subcategories");
        assert_eq!(c.iso42001.len(), 38, "ISO/IEC 42001 Annex A controls");
        assert!(c.iso42001.keys().all(|k| {
            let section: u32 =
                k.trim_start_matches("A.").split('.').next().and_then(|s| s.parse().ok()).unwrap_or(0);
            (2..=10).contains(&section)
        }));
        // Subcategory ids sit under their own category.
        for (cat_id, subs) in c.nist.values().flat_map(BTreeMap::iter) {
            assert!(subs.keys().all(|s| s.starts_with(&format!("{cat_id}."))), "{cat_id}");
        }
    }

    #[test]
    fn every_mapping_references_existing_ids_and_every_obligation_is_mapped() {
        let c = Crosswalk::embedded().expect("valid crosswalk");
        let rs = Ruleset::embedded().expect("valid ruleset");
        let nist: std::collections::BTreeSet<&String> = c.nist_subcategories().map(|(k, _)| k).collect();
        let obligations: Vec<&str> = rs.obligation_ids().collect();
        for m in &c.mappings {
            assert!(obligations.contains(&m.obligation.as_str()), "unknown obligation {}", m.obligation);
            assert!(m.nist.iter().all(|n| nist.contains(n)), "{}: {:?}", m.obligation, m.nist);
            assert!(m.iso.iter().all(|i| c.iso42001.contains_key(i)), "{}: {:?}", m.obligation, m.iso);
            assert!(!m.rationale.trim().is_empty());
        }
        for o in obligations {
            assert!(c.for_obligation(o).is_some(), "obligation {o} has no crosswalk mapping");
        }
    }
}
