//! Ethics-board review policy: which systems need review, by how many independent reviewers,
//! and who may not review. Pure functions the server calls; the numbers come from the impact
//! level data.

use crate::Tier;
use crate::impact::Assessment;

/// Why a reviewer is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReviewError {
    /// Reviewers may not review their own organisation's systems.
    #[error("a reviewer from organisation `{0}` cannot review a system of the same organisation")]
    OwnOrganisation(i64),
}

/// What review a submitted system needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReviewNeed {
    /// Whether the ethics board must review it.
    pub required: bool,
    /// Independent approvals needed.
    pub reviewers: u32,
}

/// Systems of impact level II and above, or of tier `high`, need review; the number of
/// reviewers comes from the level, with at least two for a high-risk tier.
#[must_use]
pub fn review_need(tier: Tier, assessment: Option<&Assessment>) -> ReviewNeed {
    let from_level = assessment.map_or(0, |a| a.level.independent_reviewers);
    let level_requires = assessment.is_some_and(|a| a.level.level != "I");
    let required = level_requires || tier == Tier::High || tier == Tier::Prohibited;
    let floor = if matches!(tier, Tier::High | Tier::Prohibited) { 2 } else { 0 };
    ReviewNeed { required, reviewers: if required { from_level.max(floor).max(1) } else { 0 } }
}

/// Refuses a reviewer from the system's own organisation.
///
/// # Errors
/// [`ReviewError::OwnOrganisation`].
pub fn check_reviewer(reviewer_org: i64, system_org: i64) -> Result<(), ReviewError> {
    if reviewer_org == system_org { Err(ReviewError::OwnOrganisation(reviewer_org)) } else { Ok(()) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::impact::Questionnaire;

    #[test]
    fn reviewers_by_level_and_tier() {
        let q = Questionnaire::embedded().expect("valid");
        let level = |raw| q.level_for(raw, 100, 0, 10);
        assert_eq!(
            review_need(Tier::Minimal, Some(&level(10))),
            ReviewNeed { required: false, reviewers: 0 }
        );
        assert_eq!(review_need(Tier::Minimal, Some(&level(40))), ReviewNeed { required: true, reviewers: 1 });
        assert_eq!(review_need(Tier::Limited, Some(&level(60))), ReviewNeed { required: true, reviewers: 2 });
        assert_eq!(review_need(Tier::Minimal, Some(&level(90))), ReviewNeed { required: true, reviewers: 3 });
        assert_eq!(review_need(Tier::High, Some(&level(10))), ReviewNeed { required: true, reviewers: 2 });
        assert_eq!(review_need(Tier::High, None), ReviewNeed { required: true, reviewers: 2 });
        assert_eq!(review_need(Tier::OutOfScope, None), ReviewNeed { required: false, reviewers: 0 });
    }

    #[test]
    fn own_organisation_refused() {
        assert!(check_reviewer(3, 3).is_err());
        assert!(check_reviewer(3, 4).is_ok());
    }
}
