//! Comparing a sensitive column's group shares with a reference population shipped as data
//! with its citation (`data/reference/*.yaml`, embedded at build time).

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::model::SensitiveColumn;

/// Where a reference's numbers come from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Citation {
    /// Title of the source.
    pub title: String,
    /// Who published it.
    pub publisher: String,
    /// Year of the figures.
    pub year: u16,
    /// Where to read it.
    pub url: String,
}

/// One group of a reference population.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferenceGroup {
    /// The group's name.
    pub name: String,
    /// People in it.
    pub count: u64,
    /// Other spellings data may use (matched ignoring case, as the name is).
    #[serde(default)]
    pub aliases: Vec<String>,
}

/// A reference population: group counts with their citation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reference {
    /// Stable identifier, e.g. `pk-census-2023-province`.
    pub id: String,
    /// What it counts.
    pub title: String,
    /// The kind of column it fits (`province`, `gender`).
    pub dimension: String,
    /// Its source.
    pub citation: Citation,
    /// Caveats.
    #[serde(default)]
    pub note: Option<String>,
    /// The groups.
    pub groups: Vec<ReferenceGroup>,
}

impl Reference {
    /// The group a data value names (by name or alias, ignoring case and outer spaces).
    #[must_use]
    pub fn group(&self, value: &str) -> Option<&ReferenceGroup> {
        let v = value.trim();
        self.groups
            .iter()
            .find(|g| g.name.eq_ignore_ascii_case(v) || g.aliases.iter().any(|a| a.eq_ignore_ascii_case(v)))
    }

    /// A group's share of the reference's total.
    #[must_use]
    #[expect(clippy::cast_precision_loss, reason = "population counts below 2^52")]
    pub fn share(&self, group: &ReferenceGroup) -> f64 {
        let total: u64 = self.groups.iter().map(|g| g.count).sum();
        if total == 0 { 0.0 } else { group.count as f64 / total as f64 }
    }
}

const EMBEDDED: &str = include_str!("../data/reference/pakistan-2023-census-provinces.yaml");

/// The reference populations shipped with the crate.
#[must_use]
pub fn references() -> &'static [Reference] {
    static PARSED: OnceLock<Vec<Reference>> = OnceLock::new();
    // The embedded file is checked by a test; a broken one gives no references, not a panic.
    PARSED.get_or_init(|| serde_yaml_ng::from_str(EMBEDDED).unwrap_or_default())
}

/// One group's observed share against the reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComparisonRow {
    /// The reference's group name, or the data's value when the reference lacks it.
    pub group: String,
    /// Rows in the data.
    pub observed_count: u64,
    /// Share among rows with a value.
    pub observed_share: f64,
    /// Share in the reference; `None` when the reference lacks the group.
    pub reference_share: Option<f64>,
    /// `observed_share − reference_share`.
    pub difference: Option<f64>,
    /// `observed_share / reference_share`.
    pub ratio: Option<f64>,
}

/// A sensitive column set against a reference population.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// The column.
    pub column: String,
    /// The reference's id.
    pub reference: String,
    /// Its citation.
    pub citation: Citation,
    /// Reference groups first (in its order, absent ones with a zero share), then data
    /// values the reference lacks.
    pub rows: Vec<ComparisonRow>,
}

/// Compares a column's group shares with a reference.
#[must_use]
#[expect(clippy::cast_precision_loss, reason = "counts below 2^52")]
pub fn compare(column: &SensitiveColumn, reference: &Reference) -> Comparison {
    let known: u64 = column.groups.iter().map(|g| g.count).sum();
    let share = |c: u64| if known == 0 { 0.0 } else { c as f64 / known as f64 };
    let mut rows: Vec<ComparisonRow> = reference
        .groups
        .iter()
        .map(|rg| {
            let count: u64 =
                column.groups.iter().filter(|g| reference.group(&g.value) == Some(rg)).map(|g| g.count).sum();
            let observed = share(count);
            let expected = reference.share(rg);
            ComparisonRow {
                group: rg.name.clone(),
                observed_count: count,
                observed_share: observed,
                reference_share: Some(expected),
                difference: Some(observed - expected),
                ratio: (expected > 0.0).then(|| observed / expected),
            }
        })
        .collect();
    rows.extend(column.groups.iter().filter(|g| reference.group(&g.value).is_none()).map(|g| {
        ComparisonRow {
            group: g.value.clone(),
            observed_count: g.count,
            observed_share: share(g.count),
            reference_share: None,
            difference: None,
            ratio: None,
        }
    }));
    Comparison {
        column: column.column.clone(),
        reference: reference.id.clone(),
        citation: reference.citation.clone(),
        rows,
    }
}
