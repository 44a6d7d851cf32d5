//! The register lifecycle of an AI system and who may move it.
//!
//! `draft → submitted → under_review → registered → suspended → retired`. The table of allowed
//! moves lives here, once, so that the HTML pages, the API and the store all refuse the same
//! things. Every move the store performs is also written to the append-only events table.

use std::fmt;

/// Where a system stands in the register.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// Being written by its provider; not public.
    Draft,
    /// Sent to the regulator for registration.
    Submitted,
    /// A regulator has taken it up.
    UnderReview,
    /// On the public register.
    Registered,
    /// Registered but not to be used until further notice; stays public with this status.
    Suspended,
    /// No longer in use; stays public for the record.
    Retired,
}

/// Who asks for a move; the allowed moves differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    /// The organisation that owns the system.
    Provider,
    /// The regulator.
    Regulator,
}

/// A move that the lifecycle does not allow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    /// The status code is not one of the six.
    #[error(
        "unknown status `{0}` (expected one of: draft, submitted, under_review, registered, suspended, retired)"
    )]
    UnknownStatus(String),
    /// The move is not in the table for this actor.
    #[error("a {actor} cannot move a system from `{from}` to `{to}`")]
    NotAllowed {
        /// Current status.
        from: Status,
        /// Requested status.
        to: Status,
        /// Who asked.
        actor: &'static str,
    },
}

impl Status {
    /// Every status, in lifecycle order.
    pub const ALL: [Status; 6] = [
        Status::Draft,
        Status::Submitted,
        Status::UnderReview,
        Status::Registered,
        Status::Suspended,
        Status::Retired,
    ];

    /// The stable code used in the database, API and translation keys.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::Submitted => "submitted",
            Status::UnderReview => "under_review",
            Status::Registered => "registered",
            Status::Suspended => "suspended",
            Status::Retired => "retired",
        }
    }

    /// Parses a status code.
    ///
    /// # Errors
    /// [`TransitionError::UnknownStatus`] when `s` is not a status code.
    pub fn parse(s: &str) -> Result<Status, TransitionError> {
        Status::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| TransitionError::UnknownStatus(s.to_owned()))
    }

    /// Checks that `actor` may move a system from `self` to `to`.
    ///
    /// # Errors
    /// [`TransitionError::NotAllowed`] when the move is not in the table.
    pub fn check_transition(self, to: Status, actor: Actor) -> Result<(), TransitionError> {
        use Status::{Draft, Registered, Retired, Submitted, Suspended, UnderReview};
        let allowed = match actor {
            Actor::Provider => matches!(
                (self, to),
                (Draft | Registered, Submitted) | (Submitted, Draft) | (Registered | Suspended, Retired)
            ),
            Actor::Regulator => matches!(
                (self, to),
                (Submitted, UnderReview | Draft)
                    | (UnderReview, Registered | Draft)
                    | (Registered, Suspended)
                    | (Suspended, Registered)
                    | (Registered | Suspended, Retired)
            ),
        };
        if allowed {
            Ok(())
        } else {
            Err(TransitionError::NotAllowed {
                from: self,
                to,
                actor: match actor {
                    Actor::Provider => "provider",
                    Actor::Regulator => "regulator",
                },
            })
        }
    }

    /// The moves `actor` can make from here, for rendering buttons.
    #[must_use]
    pub fn next(self, actor: Actor) -> Vec<Status> {
        Status::ALL.into_iter().filter(|to| self.check_transition(*to, actor).is_ok()).collect()
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()), Ok(s));
        }
        assert!(Status::parse("published").is_err());
    }

    #[test]
    fn provider_cannot_register_itself() {
        for from in Status::ALL {
            assert!(from.check_transition(Status::Registered, Actor::Provider).is_err());
            assert!(from.check_transition(Status::UnderReview, Actor::Provider).is_err());
        }
    }

    #[test]
    fn regulator_path_to_registration() {
        assert!(Status::Submitted.check_transition(Status::UnderReview, Actor::Regulator).is_ok());
        assert!(Status::UnderReview.check_transition(Status::Registered, Actor::Regulator).is_ok());
        assert!(Status::Draft.check_transition(Status::Registered, Actor::Regulator).is_err());
        assert!(Status::Retired.check_transition(Status::Registered, Actor::Regulator).is_err());
        assert_eq!(Status::Registered.next(Actor::Regulator), vec![Status::Suspended, Status::Retired]);
    }
}
